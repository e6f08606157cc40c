//! The body is authored as Markdown and converted per channel with `pulldown-cmark`:
//! WhatsApp formatting (`*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ``` ````, lists,
//! quotes) for WhatsApp, plain text for SMS. What a channel cannot show (images, tables, headings,
//! link syntax, HTML) becomes a warning. Dynamic values are protected from Markdown during the
//! conversion, so `{{first_name}}` is never read as emphasis.

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

pub use crate::channel::Channel;

/// Something the channel cannot show: the validator's warning about it (its text says what
/// happens to it).
pub type Dropped = super::validate::IssueCode;

const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';
/// Inserted after a literal WhatsApp marker so it is not read as formatting.
const ZWSP: char = '\u{200B}';

/// `{{Example}}` → a private-use sentinel holding its index; returns the examples.
fn protect(text: &str) -> (String, Vec<String>) {
    let Ok(ps) = super::placeholders(text) else {
        return (text.to_string(), Vec::new());
    };
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut raw = Vec::new();
    for (n, p) in ps.iter().enumerate() {
        out.push_str(&text[last..p.start]);
        out.push(OPEN);
        out.push_str(&n.to_string());
        out.push(CLOSE);
        raw.push(text[p.start..p.end].to_string());
        last = p.end;
    }
    out.push_str(&text[last..]);
    (out, raw)
}

fn restore(text: &str, raw: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == OPEN {
            let mut n = String::new();
            for d in chars.by_ref() {
                if d == CLOSE {
                    break;
                }
                n.push(d);
            }
            if let Some(r) = n.parse::<usize>().ok().and_then(|i| raw.get(i)) {
                out.push_str(r);
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn escape_markers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        out.push(c);
        if matches!(c, '*' | '_' | '~' | '`') {
            out.push(ZWSP);
        }
    }
    out
}

/// Converts a Markdown body for a channel. Returns the text and what was dropped.
pub fn convert(markdown: &str, channel: Channel) -> (String, Vec<Dropped>) {
    let (protected, raw) = protect(markdown);
    let options = Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES;
    let mut out = String::new();
    let mut dropped: Vec<Dropped> = Vec::new();
    let mut drop = |what: Dropped| {
        if !dropped.contains(&what) {
            dropped.push(what);
        }
    };
    let wa = channel == Channel::WhatsApp;
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut quote_depth = 0usize;
    let mut in_table = 0usize;
    let mut in_heading = false;
    let mut in_code_block = false;
    let mut link_urls: Vec<String> = Vec::new();
    let mut image_depth = 0usize;
    let line_start = |out: &mut String, quote_depth: usize| {
        if quote_depth > 0 {
            out.push_str(&"> ".repeat(quote_depth));
        }
    };
    for event in Parser::new_ext(&protected, options) {
        if image_depth > 0 {
            if let Event::End(TagEnd::Image) = event {
                image_depth -= 1;
            }
            continue;
        }
        if in_table > 0 {
            if let Event::End(TagEnd::Table) = event {
                in_table -= 1;
            }
            continue;
        }
        match event {
            Event::Start(Tag::Paragraph) => line_start(&mut out, quote_depth),
            Event::End(TagEnd::Paragraph) => out.push_str("\n\n"),
            Event::Start(Tag::Heading { .. }) => {
                drop(Dropped::BodyHeadingDropped);
                in_heading = true;
                line_start(&mut out, quote_depth);
                if wa {
                    out.push('*');
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                in_heading = false;
                if wa {
                    out.push('*');
                }
                out.push_str("\n\n");
            }
            Event::Start(Tag::BlockQuote(_)) => quote_depth += 1,
            Event::End(TagEnd::BlockQuote(_)) => quote_depth = quote_depth.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                if wa {
                    out.push_str("```");
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                if out.ends_with('\n') {
                    out.pop();
                }
                if wa {
                    out.push_str("```");
                }
                out.push_str("\n\n");
            }
            Event::Start(Tag::List(start)) => {
                if !lists.is_empty() && !out.ends_with('\n') {
                    out.push('\n');
                }
                lists.push(start);
            }
            Event::End(TagEnd::List(_)) => {
                lists.pop();
                if lists.is_empty() {
                    out.push('\n');
                }
            }
            Event::Start(Tag::Item) => {
                line_start(&mut out, quote_depth);
                out.push_str(&"  ".repeat(lists.len().saturating_sub(1)));
                match lists.last_mut() {
                    Some(Some(n)) => {
                        out.push_str(&format!("{n}. "));
                        *n += 1;
                    }
                    _ => out.push_str("- "),
                }
            }
            Event::End(TagEnd::Item) if !out.ends_with('\n') => out.push('\n'),
            Event::Start(Tag::Strong) if wa => out.push('*'),
            Event::End(TagEnd::Strong) if wa => out.push('*'),
            Event::Start(Tag::Emphasis) if wa => out.push('_'),
            Event::End(TagEnd::Emphasis) if wa => out.push('_'),
            Event::Start(Tag::Strikethrough) if wa => out.push('~'),
            Event::End(TagEnd::Strikethrough) if wa => out.push('~'),
            Event::Start(Tag::Link { dest_url, .. }) => {
                drop(Dropped::BodyLinkDropped);
                link_urls.push(dest_url.to_string());
            }
            Event::End(TagEnd::Link) => {
                if let Some(url) = link_urls.pop() {
                    out.push_str(&format!(" ({url})"));
                }
            }
            Event::Start(Tag::Image { .. }) => {
                drop(Dropped::BodyImageDropped);
                image_depth += 1;
            }
            Event::Start(Tag::Table(_)) => {
                drop(Dropped::BodyTableDropped);
                in_table += 1;
            }
            Event::Html(_) | Event::InlineHtml(_) => {
                drop(Dropped::BodyHtmlDropped);
            }
            Event::Code(code) => {
                if wa {
                    out.push('`');
                    out.push_str(&code);
                    out.push('`');
                } else {
                    out.push_str(&code);
                }
            }
            Event::Text(text) => {
                let t = if in_heading && !wa {
                    text.to_uppercase()
                } else {
                    text.to_string()
                };
                if in_code_block {
                    out.push_str(&t);
                } else if wa {
                    out.push_str(&escape_markers(&t));
                } else {
                    out.push_str(&t);
                }
            }
            Event::SoftBreak | Event::HardBreak => {
                out.push('\n');
                line_start(&mut out, quote_depth);
            }
            Event::Rule => out.push_str("\n\n"),
            _ => {}
        }
    }
    let text = restore(out.trim_end(), &raw);
    (text, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wa(md: &str) -> String {
        convert(md, Channel::WhatsApp).0
    }
    fn sms(md: &str) -> String {
        convert(md, Channel::Sms).0
    }

    #[test]
    fn markdown_to_whatsapp_formatting() {
        assert_eq!(
            wa("Hello **{{Clarice}}**, _welcome_ ~~back~~ `code`"),
            "Hello *{{Clarice}}*, _welcome_ ~back~ `code`"
        );
        assert_eq!(wa("- one\n- two"), "- one\n- two");
        assert_eq!(wa("1. one\n2. two"), "1. one\n2. two");
        assert_eq!(wa("> quoted"), "> quoted");
        assert_eq!(wa("```\nblock\n```"), "```block```");
        assert_eq!(wa("para one\n\npara two"), "para one\n\npara two");
    }

    #[test]
    fn the_same_markdown_as_plain_sms() {
        assert_eq!(
            sms("Hello **{{Clarice}}**, _welcome_ ~~back~~"),
            "Hello {{Clarice}}, welcome back"
        );
        assert_eq!(sms("# Sale"), "SALE");
        assert_eq!(
            sms("See [our site](https://example.com)"),
            "See our site (https://example.com)"
        );
    }

    #[test]
    fn dynamic_values_survive_markdown() {
        // Underscores in an example must not become italics.
        assert_eq!(
            wa("Dear {{first_name_here}}, hi"),
            "Dear {{first_name_here}}, hi"
        );
        assert_eq!(sms("Dear *{{a_b}}* hi"), "Dear {{a_b}} hi");
    }

    #[test]
    fn literal_markers_are_escaped_for_whatsapp() {
        let out = wa(r"5 \* 3 and snake\_case");
        assert!(
            out.contains("*\u{200B}") && out.contains("_\u{200B}"),
            "{out:?}"
        );
        assert_eq!(sms(r"5 \* 3"), "5 * 3");
    }

    #[test]
    fn what_a_channel_cannot_show_is_a_warning() {
        let (_, dropped) = convert("# Title\n\n![img](https://x/y.png)\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n<b>x</b> [l](https://e.com)", Channel::WhatsApp);
        for w in [
            Dropped::BodyHeadingDropped,
            Dropped::BodyImageDropped,
            Dropped::BodyTableDropped,
            Dropped::BodyHtmlDropped,
            Dropped::BodyLinkDropped,
        ] {
            assert!(dropped.contains(&w), "{w} in {dropped:?}");
        }
        let (text, _) = convert(
            "before\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nafter",
            Channel::Sms,
        );
        assert_eq!(
            text, "before\n\nafter",
            "the table is dropped, the rest kept"
        );
    }
}
