//! CSV files are data, never formulas. A spreadsheet reads a cell that begins with `=`, `+`, `-`,
//! `@`, a tab or a carriage return as a formula (OWASP, "CSV Injection"): a Zendesk user named
//! `=HYPERLINK(…)` would run in whoever opens the report. Every cell that holds data from
//! outside — names, mapped values, rendered texts, providers' messages and ids — goes through
//! [`cell`], which puts a `'` in front of those, as OWASP advises; the spreadsheet shows the text
//! as it was. The cells Relay writes itself (sequence numbers, user ids, states, times, E.164
//! numbers: a `+` and digits, which a spreadsheet reads as a number, not a formula) are left alone.

use std::borrow::Cow;

/// The text of a cell, made inert for spreadsheets.
pub fn cell(text: &str) -> Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => Cow::Owned(format!("'{text}")),
        _ => Cow::Borrowed(text),
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn what_a_spreadsheet_would_run_is_quoted_the_rest_untouched() {
        for (raw, safe) in [
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "'=HYPERLINK(\"http://x\",\"y\")",
            ),
            ("+1+1", "'+1+1"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("Ann Lee", "Ann Lee"),
            ("", ""),
            (" =1", " =1"),
            ("a=1", "a=1"),
        ] {
            assert_eq!(cell(raw), safe, "{raw:?}");
        }
    }
}
