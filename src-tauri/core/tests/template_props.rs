//! Property tests: whatever a template contains, rendering never panics, and a preview never
//! contains an element or attribute outside the whitelist — no input can put markup or script
//! into the web view.

use proptest::prelude::*;
use relay_core::template::preview::{preview, whatsapp_html, ALLOWED_TAGS};
use relay_core::template::validate::validate;
use relay_core::template::{Button, ButtonKind, Header, HeaderKind, Template};

/// Every `<` of the output opens `<tag>` or `</tag>` of an allowed element, with no attribute.
fn only_whitelisted(html: &str) -> Result<(), String> {
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        let after = &rest[i + 1..];
        let end = after
            .find('>')
            .ok_or_else(|| format!("unclosed tag in {html:?}"))?;
        let tag = after[..end].trim_start_matches('/');
        if !ALLOWED_TAGS.contains(&tag) {
            return Err(format!("<{}> in {html:?}", &after[..end]));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// Text rich in what could break a renderer: markup, quotes, formatting markers, braces.
fn nasty() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "\"",
        "'",
        "&",
        "&lt;",
        "*",
        "_",
        "~",
        "`",
        "```",
        "> ",
        "- ",
        "1. ",
        "\n",
        "\n\n",
        "{{",
        "}}",
        "{{Clarice}}",
        "[x](javascript:alert(1))",
        "![i](https://x/y.png)",
        "<b>",
        "</b>",
        "|a|b|\n|-|-|\n",
        "# ",
        "😜",
        "\u{00A0}",
        "\u{3000}",
        "é",
        " ",
        "\u{200B}",
        "javascript:",
        "<a href=\"https://x\">x</a>",
        "<!--",
        "-->",
        "\t",
    ]);
    (prop::collection::vec(pieces, 0..30), any::<String>())
        .prop_map(|(v, s)| format!("{}{}", v.concat(), s))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn whatsapp_html_is_always_whitelisted(text in nasty()) {
        let html = whatsapp_html(&text);
        prop_assert!(only_whitelisted(&html).is_ok(), "{:?}", only_whitelisted(&html));
    }

    #[test]
    fn previews_and_validation_never_panic_and_stay_whitelisted(body in nasty(), header in nasty(), footer in nasty(), button in nasty(), values in prop::collection::vec(nasty(), 0..4)) {
        let t = Template {
            name: header.clone(),
            body,
            header: Header { kind: HeaderKind::Text, text: header, url: String::new() },
            footer,
            buttons: vec![Button { kind: ButtonKind::Url, text: button.clone(), value: button }],
            ..Template::default()
        };
        let _ = validate(&t, true, true);
        let p = preview(&t, &values, &values);
        prop_assert!(only_whitelisted(&p.whatsapp.body_html).is_ok(), "{:?}", only_whitelisted(&p.whatsapp.body_html));
        let _ = relay_core::template::meta_payload(&t);
    }
}

#[test]
fn the_checker_itself_catches_markup() {
    assert!(only_whitelisted("<strong>x</strong><br>").is_ok());
    assert!(only_whitelisted("<script>x</script>").is_err());
    assert!(
        only_whitelisted("<strong class=\"x\">y</strong>").is_err(),
        "attributes are refused"
    );
}
