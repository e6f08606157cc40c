//! `--map VAR=field:KEY|static:TEXT` (with `--fallback VAR=TEXT` and `--date-format VAR=FMT`):
//! the command line's way to say the field mapping the wizard's step 4 shows.

use relay_core::message::mapping::{Slot, ValueMapping, ValueSource};

/// Builds a mapping from command-line arguments: `VAR=field:KEY` or `VAR=static:TEXT` for each
/// dynamic value, optional `VAR=TEXT` fallbacks and `VAR=FORMAT` date formats. VAR is the dynamic
/// value's name as written in the template (`{{First name}}` → `First name`, case-insensitive)
/// or its position in mapping order (`1`, `2`…).
pub fn mapping_from_args(
    slots: &[Slot],
    maps: &[String],
    fallbacks: &[String],
    date_formats: &[String],
) -> Result<Vec<ValueMapping>, String> {
    let names = || {
        slots
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{} ({})", s.example, i + 1))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // A position names one slot; a name, every slot of that name.
    let find = |arg: &str| -> Result<(Vec<usize>, String), String> {
        let (var, rest) = arg.split_once('=').ok_or_else(|| {
            format!("\"{arg}\" is not VAR=VALUE (for example --map 'First name=field:first_name').")
        })?;
        let var = var.trim();
        let indices: Vec<usize> = match var.parse::<usize>() {
            Ok(n) if (1..=slots.len()).contains(&n) => vec![n - 1],
            _ => slots
                .iter()
                .enumerate()
                .filter(|(_, s)| s.example.eq_ignore_ascii_case(var))
                .map(|(i, _)| i)
                .collect(),
        };
        if indices.is_empty() {
            return Err(format!(
                "The template has no dynamic value \"{var}\". Its values: {}.",
                names()
            ));
        }
        Ok((indices, rest.to_string()))
    };
    let mut out: Vec<Option<ValueMapping>> = vec![None; slots.len()];
    for arg in maps {
        let (indices, rest) = find(arg)?;
        let source = match rest.split_once(':') {
            Some(("field", key)) if !key.trim().is_empty() => ValueSource::Field {
                key: key.trim().to_string(),
                date_format: String::new(),
            },
            Some(("static", value)) => ValueSource::Static {
                value: value.to_string(),
            },
            _ => {
                return Err(format!(
                    "\"{arg}\": write field:KEY (a user field) or static:TEXT (the same text for everyone)."
                ))
            }
        };
        for i in indices {
            out[i] = Some(ValueMapping {
                source: source.clone(),
                fallback: String::new(),
            });
        }
    }
    let missing: Vec<String> = slots
        .iter()
        .zip(&out)
        .filter(|(_, m)| m.is_none())
        .map(|(s, _)| s.example.clone())
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Map every dynamic value with --map (field:KEY or static:TEXT); not mapped yet: {}.",
            missing.join(", ")
        ));
    }
    let mut out: Vec<ValueMapping> = out.into_iter().flatten().collect();
    for arg in fallbacks {
        let (indices, rest) = find(arg)?;
        for i in indices {
            out[i].fallback = rest.clone();
        }
    }
    for arg in date_formats {
        let (indices, rest) = find(arg)?;
        for i in indices {
            match &mut out[i].source {
                ValueSource::Field { date_format, .. } => *date_format = rest.clone(),
                ValueSource::Static { .. } => {
                    return Err(format!(
                        "\"{arg}\": a date format applies to a field, and this value is static."
                    ))
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use relay_core::message::mapping::slots;
    use relay_core::template::{Header, HeaderKind, Template};

    #[test]
    fn mapping_from_args_by_name_or_position_with_fallbacks() {
        let slots = vec![
            Slot {
                component: relay_core::message::mapping::SlotComponent::Body,
                position: 1,
                example: "First name".into(),
                first: 0,
            },
            Slot {
                component: relay_core::message::mapping::SlotComponent::Body,
                position: 2,
                example: "Date".into(),
                first: 1,
            },
        ];
        let m = mapping_from_args(
            &slots,
            &[
                "first NAME=field:first_name".into(),
                "2=field:renewal".into(),
            ],
            &["1=there".into()],
            &["Date=%d/%m/%Y".into()],
        )
        .unwrap();
        assert_eq!(m[0].fallback, "there");
        assert_eq!(
            m[1].source,
            ValueSource::Field {
                key: "renewal".into(),
                date_format: "%d/%m/%Y".into()
            }
        );
        let e = mapping_from_args(&slots, &["1=static:Hi".into()], &[], &[]).unwrap_err();
        assert!(e.contains("not mapped yet: Date."), "{e}");
        let e = mapping_from_args(&slots, &["3=static:x".into()], &[], &[]).unwrap_err();
        assert!(e.contains("First name (1), Date (2)"), "{e}");
        let e = mapping_from_args(&slots, &["1=name".into()], &[], &[]).unwrap_err();
        assert!(e.contains("field:KEY"), "{e}");
    }

    #[test]
    fn one_map_by_name_maps_every_slot_of_that_name() {
        let t = Template {
            header: Header {
                kind: HeaderKind::Text,
                text: "For {{Clarice}}".into(),
                url: String::new(),
            },
            body: "Hi {{Clarice}}, your order ships {{Monday}} to you.".into(),
            name: "order".into(),
            language: "en_US".into(),
            ..Template::default()
        };
        let s = slots(&t);
        assert_eq!(
            s.iter()
                .map(|s| (s.example.as_str(), s.first))
                .collect::<Vec<_>>(),
            vec![("Clarice", 0), ("Clarice", 0), ("Monday", 2)],
            "the body's Clarice is the header's"
        );
        let m = mapping_from_args(
            &s,
            &[
                "clarice=field:first_name".into(),
                "Monday=static:today".into(),
            ],
            &["Clarice=there".into()],
            &[],
        )
        .unwrap();
        assert_eq!(m[0], m[1], "both Clarice slots mapped, with the fallback");
        assert_eq!(m[1].fallback, "there");
        // A position still names one slot.
        let e = mapping_from_args(
            &s,
            &["1=field:first_name".into(), "3=static:x".into()],
            &[],
            &[],
        )
        .unwrap_err();
        assert!(e.contains("not mapped yet: Clarice"), "{e}");
    }
}
