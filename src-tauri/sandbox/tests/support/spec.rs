//! The official-spec checker shared by the sandbox's contract tests and the core's client tests:
//! OpenAPI/Swagger schemas converted to JSON Schema, plus an undeclared-field check.
#![allow(dead_code)]

use serde_json::{json, Map, Value};
use std::path::PathBuf;

/// The vendored specs live in the sandbox crate (this file is also compiled into the core's tests).
pub fn spec_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../sandbox/specs")
        .join(name)
}

pub fn load_yaml(name: &str) -> Value {
    let text = std::fs::read_to_string(spec_path(name)).unwrap();
    serde_yaml::from_str(&text).unwrap()
}

/// OpenAPI 3.0 / Swagger 2 schema → JSON Schema (draft 7) for *responses*: `nullable` becomes a
/// `null` type, OpenAPI-only keywords are dropped, and `writeOnly` properties (secrets a client
/// sends, never returned) are no longer required.
pub fn convert(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            let write_only: Vec<String> = m
                .get("properties")
                .and_then(Value::as_object)
                .map(|p| {
                    p.iter()
                        .filter(|(_, s)| s.get("writeOnly") == Some(&Value::Bool(true)))
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default();
            for (k, val) in m {
                let skip = matches!(
                    k.as_str(),
                    "nullable"
                        | "example"
                        | "examples"
                        | "readOnly"
                        | "writeOnly"
                        | "discriminator"
                        | "xml"
                        | "externalDocs"
                        | "deprecated"
                ) || k.starts_with("x-");
                if k == "required" {
                    let kept: Vec<Value> = val
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|r| !write_only.iter().any(|w| Some(w.as_str()) == r.as_str()))
                        .cloned()
                        .collect();
                    out.insert(k.clone(), Value::Array(kept));
                } else if !skip {
                    out.insert(k.clone(), convert(val));
                }
            }
            if m.get("nullable") == Some(&Value::Bool(true)) {
                match out.get("type").cloned() {
                    Some(Value::String(t)) => {
                        out.insert("type".into(), json!([t, "null"]));
                    }
                    _ => return json!({"anyOf": [Value::Object(out), {"type": "null"}]}),
                }
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(convert).collect()),
        other => other.clone(),
    }
}

pub struct Spec {
    /// The converted document: `{components: {schemas}}` or `{definitions}`.
    root: Value,
    prefix: &'static str,
    /// Top-level fields every list response may carry although its schema omits them.
    envelope: &'static [&'static str],
}

/// Zendesk's offset pagination fields, documented once for all list endpoints
/// (developer.zendesk.com, "Pagination") rather than in each list schema.
const ZENDESK_PAGINATION: &[&str] = &["next_page", "previous_page", "count"];

impl Spec {
    pub fn openapi(name: &str) -> Spec {
        let doc = load_yaml(name);
        Spec {
            root: json!({"components": {"schemas": convert(&doc["components"]["schemas"])}}),
            prefix: "#/components/schemas/",
            envelope: if name.starts_with("zendesk") {
                ZENDESK_PAGINATION
            } else {
                &[]
            },
        }
    }
    pub fn swagger(name: &str) -> Spec {
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(spec_path(name)).unwrap()).unwrap();
        Spec {
            root: json!({"definitions": convert(&doc["definitions"])}),
            prefix: "#/definitions/",
            envelope: &[],
        }
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(r) => {
                let pointer = r.trim_start_matches('#');
                self.resolve(
                    self.root
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("unresolved {r}")),
                )
            }
            None => schema,
        }
    }

    /// Validates `instance` against schema `name`; panics with every violation.
    pub fn check(&self, name: &str, instance: &Value) {
        let mut schema = self.root.clone();
        schema["$ref"] = json!(format!("{}{name}", self.prefix));
        let validator =
            jsonschema::draft7::new(&schema).unwrap_or_else(|e| panic!("schema {name}: {e}"));
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{name}: the sandbox's response breaks the official schema:\n{}\n{instance:#}",
            errors.join("\n")
        );
        let mut undeclared = Vec::new();
        self.declared(
            &json!({"$ref": format!("{}{name}", self.prefix)}),
            instance,
            "",
            &mut undeclared,
        );
        undeclared.retain(|path| !self.envelope.iter().any(|e| path == &format!(".{e}")));
        assert!(
            undeclared.is_empty(),
            "{name}: fields the official schema does not declare: {undeclared:?}"
        );
    }

    /// The properties a schema declares (through $ref, allOf, anyOf, oneOf).
    fn properties(&self, schema: &Value, out: &mut Map<String, Value>) -> bool {
        let schema = self.resolve(schema);
        let mut open = schema
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false))
            && schema.get("properties").is_none();
        if let Some(p) = schema.get("properties").and_then(Value::as_object) {
            for (k, v) in p {
                out.entry(k.clone()).or_insert(v.clone());
            }
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema
                .get(key)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                open |= self.properties(sub, out);
            }
        }
        open
    }

    fn declared(&self, schema: &Value, instance: &Value, path: &str, undeclared: &mut Vec<String>) {
        let schema = self.resolve(schema);
        match instance {
            Value::Object(obj) => {
                let mut props = Map::new();
                let open = self.properties(schema, &mut props);
                if props.is_empty() {
                    return; // a free-form object (user_fields, photo…)
                }
                for (k, v) in obj {
                    match props.get(k) {
                        Some(sub) => self.declared(sub, v, &format!("{path}.{k}"), undeclared),
                        None if !open => undeclared.push(format!("{path}.{k}")),
                        None => {}
                    }
                }
            }
            Value::Array(items) => {
                if let Some(item_schema) = schema.get("items") {
                    for (i, v) in items.iter().enumerate() {
                        self.declared(item_schema, v, &format!("{path}[{i}]"), undeclared);
                    }
                }
            }
            _ => {}
        }
    }
}
