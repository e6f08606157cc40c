//! Meta's silent rules: messages the WhatsApp Business API accepts and Meta then never delivers.
//! Each is a row of [`RULES`] — which messages it catches, why, where Meta says so, and the id a
//! team policy lists in `meta_rules_lifted` once Meta lifts it. A recipient a rule catches is
//! left out of the campaign with reason `meta_rule` and the rule's words (`meta_rule.ID`).

use crate::channel::Channel;
use crate::template::Category;

/// One of Meta's rules.
#[derive(Debug)]
pub struct MetaRule {
    /// Its id: `meta_rules_lifted` lists it to lift it; its words are `meta_rule.ID`.
    pub id: &'static str,
    /// The template categories it catches (WhatsApp only).
    pub categories: &'static [Category],
    /// The countries (ISO 3166) of the numbers it catches, as libphonenumber reads them.
    pub regions: &'static [&'static str],
    /// Where Meta says so.
    pub source: &'static str,
}

/// Every rule Relay keeps. A new one is a row here and its words in `i18n`.
pub const RULES: &[MetaRule] = &[MetaRule {
    // "As of April 1, 2025, we have paused delivery of all marketing template messages to
    // WhatsApp users who have a US phone number (a number composed of a +1 dialing code and a
    // US area code)": Canada's +1 numbers are not caught.
    id: "marketing_us",
    categories: &[Category::Marketing],
    regions: &["US"],
    source: "https://developers.facebook.com/docs/whatsapp/pricing/updates-to-pricing/#paused-delivery-of-marketing-messages-to-us-whatsapp-users",
}];

impl MetaRule {
    /// Whether it catches a message (of a category it applies to) to a number of this country.
    pub fn catches(&self, region: Option<&str>) -> bool {
        region.is_some_and(|r| self.regions.contains(&r))
    }

    /// The country calling codes of the numbers it may catch (`+1` for the US), to read only
    /// those numbers.
    pub fn prefixes(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .regions
            .iter()
            .filter_map(|r| crate::phone::Country::parse(r))
            .filter_map(|c| c.calling_code())
            .map(|n| format!("+{n}"))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// The rules that apply to a message of `category` sent through `channel`, less those the
/// team lifted.
pub fn applying(channel: Channel, category: Category, lifted: &[String]) -> Vec<&'static MetaRule> {
    if channel != Channel::WhatsApp {
        return Vec::new();
    }
    RULES
        .iter()
        .filter(|r| r.categories.contains(&category) && !lifted.iter().any(|l| l == r.id))
        .collect()
}

/// Whether `id` names a rule (a setting lifting an unknown rule is refused).
pub fn is_rule(id: &str) -> bool {
    RULES.iter().any(|r| r.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marketing_to_us_numbers_is_caught_not_canada_nor_utility_nor_sms_nor_once_lifted() {
        let us = crate::phone::region_of("+12125552368");
        let ca = crate::phone::region_of("+15145550123");
        assert_eq!(us.as_deref(), Some("US"));
        assert_eq!(ca.as_deref(), Some("CA"));
        let rules = applying(Channel::WhatsApp, Category::Marketing, &[]);
        assert_eq!(rules.len(), 1);
        assert!(rules[0].catches(us.as_deref()));
        assert!(!rules[0].catches(ca.as_deref()));
        assert_eq!(rules[0].prefixes(), vec!["+1".to_string()]);
        assert!(applying(Channel::WhatsApp, Category::Utility, &[]).is_empty());
        assert!(applying(Channel::Sms, Category::Marketing, &[]).is_empty());
        assert!(applying(
            Channel::WhatsApp,
            Category::Marketing,
            &["marketing_us".into()]
        )
        .is_empty());
        assert!(is_rule("marketing_us") && !is_rule("marketing_eu"));
    }
}
