//! Template review: a submitted template checked as Meta checks it (name, language, category,
//! components, numbered parameters with examples, buttons), with the reason of a refusal.

use serde_json::Value;
use std::collections::BTreeSet;

const LANGUAGES: &str = include_str!("languages.txt");

pub(super) fn placeholders(text: &str) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or("A {{ is not closed with }}")?;
        let inner = &after[..end];
        let n: u32 = inner
            .parse()
            .map_err(|_| format!("Invalid parameter {{{{{inner}}}}}: use {{{{1}}}}, {{{{2}}}}…"))?;
        out.push(n);
        rest = &after[end + 2..];
    }
    Ok(out)
}

fn check_sequential(ns: &[u32], what: &str) -> Result<u32, String> {
    let distinct: BTreeSet<u32> = ns.iter().copied().collect();
    for (i, n) in distinct.iter().enumerate() {
        if *n != i as u32 + 1 {
            return Err(format!(
                "{what} parameters must be numbered {{{{1}}}} to {{{{n}}}} without gaps"
            ));
        }
    }
    Ok(distinct.len() as u32)
}

/// Validates a create request like Meta does; returns a reason on refusal.
pub(super) fn validate_template(body: &Value) -> Result<(), String> {
    let name = body["name"].as_str().ok_or("name is required")?;
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err("name must be 1 to 512 lowercase letters, digits and underscores".into());
    }
    let language = body["language"].as_str().ok_or("language is required")?;
    if !LANGUAGES.lines().any(|l| l == language) {
        return Err(format!("language {language} is not supported by WhatsApp"));
    }
    let category = body["category"].as_str().ok_or("category is required")?;
    const CATEGORIES: [&str; 14] = [
        "MARKETING",
        "UTILITY",
        "AUTHENTICATION",
        "ACCOUNT_UPDATE",
        "PAYMENT_UPDATE",
        "PERSONAL_FINANCE_UPDATE",
        "SHIPPING_UPDATE",
        "RESERVATION_UPDATE",
        "ISSUE_RESOLUTION",
        "APPOINTMENT_UPDATE",
        "TRANSPORTATION_UPDATE",
        "TICKET_UPDATE",
        "ALERT_UPDATE",
        "AUTO_REPLY",
    ];
    if !CATEGORIES.contains(&category) {
        return Err(format!("category {category} is not valid"));
    }
    let components = body["components"]
        .as_array()
        .ok_or("components is required")?;
    let count = |t: &str| components.iter().filter(|c| c["type"] == t).count();
    if count("BODY") != 1 {
        return Err("exactly one BODY component is required".into());
    }
    if count("HEADER") > 1 || count("FOOTER") > 1 || count("BUTTONS") > 1 {
        return Err("at most one HEADER, FOOTER and BUTTONS component".into());
    }
    for c in components {
        match c["type"].as_str().unwrap_or_default() {
            "BODY" => {
                let text = c["text"].as_str().ok_or("BODY text is required")?;
                if text.chars().count() > 1024 {
                    return Err("BODY text is longer than 1024 characters".into());
                }
                let n = check_sequential(&placeholders(text)?, "BODY")?;
                if n > 0 {
                    let examples = c["example"]["body_text"][0]
                        .as_array()
                        .map(|a| a.len())
                        .unwrap_or(0);
                    if examples as u32 != n {
                        return Err(format!(
                            "BODY has {n} parameters but example.body_text has {examples} values"
                        ));
                    }
                    let t = text.trim();
                    if t.starts_with("{{") || t.trim_end_matches(['.', '!', '?']).ends_with("}}") {
                        return Err("BODY may not start or end with a parameter".into());
                    }
                }
            }
            "HEADER" => match c["format"].as_str().unwrap_or_default() {
                "TEXT" => {
                    let text = c["text"].as_str().ok_or("HEADER text is required")?;
                    if text.chars().count() > 60 || text.contains('\n') {
                        return Err("HEADER text must be one line of at most 60 characters".into());
                    }
                    let n = check_sequential(&placeholders(text)?, "HEADER")?;
                    if n > 1 {
                        return Err("HEADER may have at most one parameter".into());
                    }
                    if n == 1 && c["example"]["header_text"].as_array().map(|a| a.len()) != Some(1)
                    {
                        return Err("HEADER parameter needs example.header_text".into());
                    }
                }
                "IMAGE" | "VIDEO" | "DOCUMENT" | "LOCATION" => {}
                other => return Err(format!("HEADER format {other} is not valid")),
            },
            "FOOTER" => {
                let text = c["text"].as_str().ok_or("FOOTER text is required")?;
                if text.chars().count() > 60 || text.contains("{{") {
                    return Err("FOOTER must be at most 60 characters without parameters".into());
                }
            }
            "BUTTONS" => {
                let buttons = c["buttons"].as_array().ok_or("BUTTONS needs buttons")?;
                if buttons.is_empty() || buttons.len() > 10 {
                    return Err("1 to 10 buttons".into());
                }
                let kind = |k: &str| buttons.iter().filter(|b| b["type"] == k).count();
                if kind("URL") > 2 || kind("PHONE_NUMBER") > 1 {
                    return Err("at most 2 URL buttons and 1 PHONE_NUMBER button".into());
                }
                for b in buttons {
                    if b["text"]
                        .as_str()
                        .is_none_or(|t| t.is_empty() || t.chars().count() > 25)
                    {
                        return Err("button text must be 1 to 25 characters".into());
                    }
                    if b["type"] == "URL" {
                        let url = b["url"].as_str().unwrap_or_default();
                        if !url.starts_with("https://") || url.len() > 2000 {
                            return Err(
                                "URL buttons need an https URL of at most 2000 characters".into()
                            );
                        }
                        let params = placeholders(url)?;
                        if params.len() > 1 || (params.len() == 1 && !url.ends_with("{{1}}")) {
                            return Err("a URL button may have one parameter, at the end".into());
                        }
                    }
                }
            }
            other => return Err(format!("component type {other} is not valid")),
        }
    }
    Ok(())
}
