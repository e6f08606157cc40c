//! The mapping and the renderer, together: slots, type-aware fields, the channel's limits, the
//! fingerprint and refused mappings.

use super::mapping::*;
use super::render::*;
use crate::audience::ExclusionReason;
use crate::channel::Channel;
use crate::clients::zendesk::{FieldOption, UserField};
use crate::template::{Button, Header};
use crate::template::{ButtonKind, HeaderKind, Template};

fn t() -> Template {
    Template {
        name: "order".into(),
        language: "en_US".into(),
        header: Header {
            kind: HeaderKind::Text,
            text: "Order {{A-1}}".into(),
            url: String::new(),
        },
        body: "Hi **{{Ann}}**, your {{Gold}} plan renews on {{31/03/2024}}.".into(),
        buttons: vec![Button {
            kind: ButtonKind::Url,
            text: "Open".into(),
            value: "https://x.test/o/{{A-1}}".into(),
        }],
        ..Template::default()
    }
}

fn custom() -> Vec<UserField> {
    vec![
        UserField {
            id: 1,
            key: "plan".into(),
            title: "Plan".into(),
            kind: "dropdown".into(),
            active: true,
            custom_field_options: vec![FieldOption {
                name: "Gold".into(),
                value: "gold".into(),
            }],
        },
        UserField {
            id: 2,
            key: "renewal".into(),
            title: "Renewal".into(),
            kind: "date".into(),
            active: true,
            custom_field_options: vec![],
        },
        UserField {
            id: 3,
            key: "note".into(),
            title: "Note".into(),
            kind: "textarea".into(),
            active: true,
            custom_field_options: vec![],
        },
    ]
}

fn field(key: &str) -> ValueMapping {
    ValueMapping {
        source: ValueSource::Field {
            key: key.into(),
            date_format: String::new(),
        },
        fallback: String::new(),
    }
}

fn recipient() -> Recipient {
    let mut fields = serde_json::Map::new();
    fields.insert("plan".into(), "gold".into());
    fields.insert("renewal".into(), "2024-03-31T00:00:00+00:00".into());
    fields.insert("note".into(), "Ring\nTwice".into());
    Recipient {
        user_id: 7,
        name: "Ann Smith".into(),
        external_id: Some("A-77".into()),
        user_fields: fields,
        ..Recipient::default()
    }
}

#[test]
fn slots_come_in_header_body_button_order() {
    let s = slots(&t());
    let names: Vec<_> = s
        .iter()
        .map(|s| format!("{}{}:{}", s.component, s.position, s.example))
        .collect();
    assert_eq!(
        names,
        [
            "header1:A-1",
            "body1:Ann",
            "body2:Gold",
            "body3:31/03/2024",
            "button1:A-1"
        ]
    );
}

#[test]
fn fields_are_type_aware_with_fallbacks_and_checks() {
    let mut mapping = vec![
        field("external_id"),
        field("first_name"),
        field("plan"),
        ValueMapping {
            source: ValueSource::Field {
                key: "renewal".into(),
                date_format: "%d/%m/%Y".into(),
            },
            fallback: String::new(),
        },
        field("external_id"),
    ];
    let r = Renderer::new(&t(), Channel::WhatsApp, mapping.clone(), custom());
    let out = r.render(&recipient()).unwrap();
    assert_eq!(out.values, ["A-77", "Ann", "Gold", "31/03/2024", "A-77"]);
    assert_eq!(out.text, "Hi *Ann*, your Gold plan renews on 31/03/2024.");
    let p = r.preview(&out.values);
    assert_eq!(p.whatsapp.header_text, "Order A-77");
    assert!(
        p.sms.text.contains("https://x.test/o/A-77"),
        "{}",
        p.sms.text
    );

    // Empty without a fallback: missing_value, naming the field; with one: the fallback.
    let mut empty = recipient();
    empty.user_fields.remove("plan");
    let (reason, detail) = r.render(&empty).unwrap_err();
    assert_eq!(reason, ExclusionReason::MissingValue);
    assert!(detail.english().contains("plan"), "{detail}");
    mapping[2].fallback = "Standard".into();
    let r = Renderer::new(&t(), Channel::WhatsApp, mapping.clone(), custom());
    assert_eq!(r.render(&empty).unwrap().values[2], "Standard");

    // A line break is refused by WhatsApp, fine in an SMS.
    mapping[1] = field("note");
    let wa = Renderer::new(&t(), Channel::WhatsApp, mapping.clone(), custom());
    let (reason, detail) = wa.render(&recipient()).unwrap_err();
    assert_eq!(reason, ExclusionReason::RenderError);
    assert!(detail.english().contains("line break"), "{detail}");
    let sms = Renderer::new(&t(), Channel::Sms, mapping, custom());
    let out = sms.render(&recipient()).unwrap();
    assert!(
        out.text.starts_with("Hi Ring\nTwice, your Gold"),
        "{}",
        out.text
    );
    assert_eq!(out.segments, 1);
}

#[test]
fn rendered_limits_are_checked() {
    let long = ValueMapping {
        source: ValueSource::Static {
            value: "x".repeat(1000),
        },
        fallback: String::new(),
    };
    let mapping = vec![
        field("external_id"),
        long.clone(),
        field("plan"),
        field("renewal"),
        field("external_id"),
    ];
    let (reason, detail) = Renderer::new(&t(), Channel::WhatsApp, mapping.clone(), custom())
        .render(&recipient())
        .unwrap_err();
    assert_eq!(reason, ExclusionReason::RenderError);
    assert!(detail.english().contains("1024"), "{detail}");
    let mut huge = mapping.clone();
    huge[1].source = ValueSource::Static {
        value: "y".repeat(1700),
    };
    let (_, detail) = Renderer::new(&t(), Channel::Sms, huge, custom())
        .render(&recipient())
        .unwrap_err();
    assert!(detail.english().contains("1600"), "{detail}");
    let ok = Renderer::new(&t(), Channel::Sms, mapping, custom())
        .render(&recipient())
        .unwrap();
    assert_eq!(ok.segments, 7, "1,000+ GSM characters: 7 segments of 153");
    // The header counts with its words: "Order " and a 58-character value make 64.
    let mut long_header = field("external_id");
    long_header.source = ValueSource::Static {
        value: "z".repeat(58),
    };
    let mut m = mapping_of_five();
    m[0] = long_header;
    let (reason, detail) = Renderer::new(&t(), Channel::WhatsApp, m, custom())
        .render(&recipient())
        .unwrap_err();
    assert_eq!(reason, ExclusionReason::RenderError);
    assert!(detail.english().contains("header"), "{detail}");
}

/// A mapping of the test template's five values that renders.
fn mapping_of_five() -> Vec<ValueMapping> {
    vec![
        field("external_id"),
        field("first_name"),
        field("plan"),
        field("renewal"),
        field("external_id"),
    ]
}

#[test]
fn the_fingerprint_ignores_per_recipient_values_only() {
    let m = |v: &str| {
        vec![
            field("external_id"),
            ValueMapping {
                source: ValueSource::Static { value: v.into() },
                fallback: String::new(),
            },
        ]
    };
    let base = fingerprint(&t(), Channel::WhatsApp, &m("A"));
    assert_eq!(base, fingerprint(&t(), Channel::WhatsApp, &m("A")));
    assert_ne!(
        base,
        fingerprint(&t(), Channel::WhatsApp, &m("B")),
        "static values count"
    );
    assert_ne!(
        base,
        fingerprint(&t(), Channel::Sms, &m("A")),
        "the channel counts"
    );
    let mut other = t();
    other.language = "fr".into();
    assert_ne!(
        base,
        fingerprint(&other, Channel::WhatsApp, &m("A")),
        "the language counts"
    );
    let mut fallback = m("A");
    fallback[0].fallback = "x".into();
    assert_eq!(
        base,
        fingerprint(&t(), Channel::WhatsApp, &fallback),
        "per-recipient values do not"
    );
}

#[test]
fn mappings_that_cannot_work_are_refused_up_front() {
    let available = fields(&custom());
    assert!(check_mapping(&t(), &[field("name")], &available)
        .unwrap_err()
        .english()
        .contains("5 dynamic value(s) and the mapping 1"));
    let mut m = vec![field("name"); 5];
    m[2] = field("nope");
    assert!(check_mapping(&t(), &m, &available)
        .unwrap_err()
        .english()
        .contains("no user field \"nope\""));
    m[2] = ValueMapping {
        source: ValueSource::Field {
            key: "renewal".into(),
            date_format: "%Q".into(),
        },
        fallback: String::new(),
    };
    assert!(check_mapping(&t(), &m, &available)
        .unwrap_err()
        .english()
        .contains("not a date format"));
    m[2] = field("plan");
    assert!(check_mapping(&t(), &m, &available).is_ok());
    assert_eq!(format_date("2024-03-31", "%d %B %Y"), "31 March 2024");
    assert_eq!(format_date("soon", "%d"), "soon");
    // Text that is not a date is kept, whatever its characters (no byte slicing in them).
    assert_eq!(format_date("2024-03-3€1", "%d"), "2024-03-3€1");
    assert_eq!(
        format_date("日本語の日付です日本語", "%d"),
        "日本語の日付です日本語"
    );
}

#[test]
fn a_name_is_one_value_whatever_its_later_slots_hold() {
    let t = Template {
        header: Header {
            kind: HeaderKind::Text,
            text: "For {{Clarice}}".into(),
            url: String::new(),
        },
        body: "Hi {{Clarice}}, your order ships {{Monday}} to you.".into(),
        buttons: Vec::new(),
        ..t()
    };
    let s = slots(&t);
    assert_eq!(
        s.iter()
            .map(|s| (s.example.as_str(), s.first))
            .collect::<Vec<_>>(),
        vec![("Clarice", 0), ("Clarice", 0), ("Monday", 2)],
        "the body's Clarice is the header's"
    );
    let first = field("first_name");
    let monday = ValueMapping {
        source: ValueSource::Static {
            value: "today".into(),
        },
        fallback: String::new(),
    };
    let m = vec![first.clone(), first.clone(), monday.clone()];
    // A later slot holding something else (an app that sent it stale): the first decides, in the
    // rendering and in the blackout's fingerprint alike.
    let stale = vec![
        first.clone(),
        ValueMapping {
            source: ValueSource::Static {
                value: "someone else".into(),
            },
            fallback: String::new(),
        },
        monday,
    ];
    assert_eq!(by_name(&t, &stale), m);
    assert_eq!(
        fingerprint(&t, Channel::WhatsApp, &by_name(&t, &stale)),
        fingerprint(&t, Channel::WhatsApp, &m)
    );
}
