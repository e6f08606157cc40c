//! Nobody lost, through the command line: `relay audience fetch` in every export order the
//! documents allow gets everyone Zendesk counts, and says so — with both figures — when the export
//! returns fewer. Runs under `./x test` (the CLI keeps its secrets in the session's keychain).

use crate::common;

use common::{connect, forget_secrets, json, relay, sandbox};
use serde_json::Value;

#[test]
fn every_export_order_fetches_everyone_and_a_short_export_says_so() {
    for order in ["asc", "desc", "unordered"] {
        let tmp = tempfile::tempdir().unwrap();
        let (_sb, info) = sandbox(&["--users", "2500", "--export-order", order]);
        let data = tmp.path().join("data");
        connect(&data, &info);
        let count = json(&relay(
            &data,
            &["--json", "audience", "count", "role:end-user"],
            None,
        ));
        let counted = count["count"].as_u64().expect("a count");
        let fetched = json(&relay(
            &data,
            &["--json", "audience", "fetch", "role:end-user"],
            None,
        ));
        assert_eq!(
            (fetched["status"].clone(), fetched["users"].as_u64()),
            (Value::from("complete"), Some(counted)),
            "{order}: every user Zendesk counts, once"
        );
        // The export now leaves a tenth out, as a lagging index would.
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::Client::new()
                .put(format!(
                    "{}/_sandbox/faults",
                    info["base_url"].as_str().unwrap()
                ))
                .json(&serde_json::json!({"export_order": order, "export_missing": 0.1}))
                .send()
                .await
                .unwrap()
                .error_for_status()
                .unwrap();
        });
        let short = relay(&data, &["audience", "fetch", "role:end-user"], None);
        assert!(short.status.success());
        let text = String::from_utf8_lossy(&short.stdout);
        assert!(text.contains("(incomplete)"), "{order}: {text}");
        assert!(
            text.contains(&format!("Zendesk counted {counted} users")),
            "{order}: both figures: {text}"
        );
        let short = json(&relay(
            &data,
            &["--json", "audience", "fetch", "role:end-user"],
            None,
        ));
        assert_eq!(short["status"], "incomplete", "{order}");
        assert_eq!(short["expected"].as_u64(), Some(counted));
        assert!(short["users"].as_u64().unwrap() < counted);
        forget_secrets(&data);
    }
}
