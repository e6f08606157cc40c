//! Each recipient in their own language, against the sandbox: a template in `en_US`, `fr`, `es`
//! and `pt_BR` sent to users of eight countries whose Zendesk locales take every form (`fr`,
//! `fr-CA`, `pt-BR`, `pt`, `es-419`, `en-GB`, `de-CH`, `eu` which Meta lacks) — each gets the
//! translation the chain gives (asserted from the payloads the sandbox received, against a table
//! written here, not the code's chain); a translation still in review sends its recipients the
//! default; the message sent again in another language blacks everyone out; an entry recorded
//! before templates had translations still blacks out; bad input refused, nothing saved.

use crate::support;

use relay_core::audience::ExclusionReason;
use relay_core::campaign::{CampaignControl, CampaignStatus};
use relay_core::channel::Channel;
use relay_core::message::mapping;
use relay_core::message::{LanguageChoice, LanguageValue, MessageSpec};
use relay_core::template::drafts::Draft;
use relay_core::template::translations::LanguageMatch;
use relay_core::template::Template;
use relay_core::workspace::Workspace;
use relay_core::ErrorCode;
use relay_sandbox::data::Population;
use relay_sandbox::{Sandbox, SandboxConfig};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use support::send::{sandbox_log, WA};

const BODIES: [(&str, &str); 3] = [
    (
        "fr",
        "Bonjour {{Ann}}, votre colis arrive {{Friday}} avant midi.",
    ),
    (
        "es",
        "Hola {{Ann}}, su paquete llega el {{Friday}} antes del mediodía.",
    ),
    (
        "pt_BR",
        "Olá {{Ann}}, seu pacote chega {{Friday}} antes do meio-dia.",
    ),
];

/// The translation a Zendesk locale gets from a template in en_US (the default), fr, es and
/// pt_BR, written out by hand from the rules the README states.
fn expected(locale: &str) -> &'static str {
    match locale {
        "fr" | "fr-CA" => "fr",                 // exact; fr-CA → its language
        "es" | "es-MX" | "es-419" => "es",      // exact; a region of Spanish → its language
        "pt-BR" | "pt" => "pt_BR",              // exact; pt → the rule pt=pt_BR
        "en-US" | "en-GB" | "en-IN" => "en_US", // exact; another region of English
        _ => "en_US",                           // de, de-CH, eu: none of theirs → the default
    }
}

/// A template's translation in `language`, with `body`, saved and returned.
fn translate(ws: &Workspace, main: &Draft, language: &str, body: &str) -> Draft {
    let copy = ws.add_translation(&main.id, language).unwrap();
    ws.save_template(
        Some(&copy.id),
        &Template {
            body: body.into(),
            ..copy.template
        },
    )
    .unwrap()
}

async fn sandbox(users: u64, approve_after: Duration) -> Sandbox {
    Sandbox::start(SandboxConfig {
        users,
        approve_after,
        zendesk_rate_per_minute: 100_000,
        export_rate_per_minute: 100_000,
        ..SandboxConfig::default()
    })
    .await
    .unwrap()
}

/// A workspace with the parcel template in en_US, its translations, all submitted to WhatsApp
/// (approved when the sandbox approves at once), and the audience fetched.
async fn translated(sb: &Sandbox) -> (Workspace, tempfile::TempDir, Draft, String) {
    let (ws, tmp) = support::workspace_on(sb);
    ws.set_key("default_country", "GB").unwrap();
    let main = ws
        .save_template(
            None,
            &Template {
                name: "parcel_notice".into(),
                language: "en_US".into(),
                body: "Hi {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
                integrations: vec![WA.into()],
                ..Template::default()
            },
        )
        .unwrap();
    for (language, body) in BODIES {
        translate(&ws, &main, language, body);
    }
    let audience = ws
        .fetch_audience("role:end-user", &AtomicBool::new(false), |_| {})
        .await
        .unwrap()
        .id;
    (ws, tmp, main, audience)
}

fn each(main: &Draft) -> MessageSpec {
    MessageSpec {
        template_id: main.id.clone(),
        integration_id: WA.into(),
        mapping: support::parcel_mapping(),
        language: LanguageChoice::Each,
        language_values: [("fr", "lundi"), ("es", "lunes"), ("pt_BR", "segunda-feira")]
            .into_iter()
            .map(|(language, value)| LanguageValue {
                language: language.into(),
                name: "Friday".into(),
                value: value.into(),
            })
            .collect(),
    }
}

/// Each notification's (locale of its user, language code, the static value it carried).
fn delivered(
    ws: &Workspace,
    campaign: &str,
    log: &[Value],
    users: u64,
) -> Vec<(String, String, String)> {
    let pop = Population::new(SandboxConfig::default().seed, users.max(50));
    let page = ws.campaign_recipients(campaign, None, 0, 1000).unwrap();
    let user_of: HashMap<String, u64> = page
        .rows
        .iter()
        .filter(|r| r.reason.is_none() && !r.cancelled)
        .filter_map(|r| Some((r.phone.clone()?, r.user_id.parse().ok()?)))
        .collect();
    log.iter()
        .map(|n| {
            let user = user_of[n["destination_id"].as_str().unwrap()];
            let locale = pop.user(pop.index_of(user).unwrap()).locale().to_string();
            let template = &n["body"]["message"]["template"];
            let friday = template["components"][0]["parameters"][1]["text"]
                .as_str()
                .unwrap()
                .to_string();
            (locale, n["language"].as_str().unwrap().to_string(), friday)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_recipient_gets_their_translation_and_the_message_is_one_for_the_blackout() {
    let users = 400;
    let sb = sandbox(users, Duration::ZERO).await;
    let (ws, _tmp, main, audience) = translated(&sb).await;
    let entries = ws
        .submit_translations("parcel_notice", &[WA.into()])
        .await
        .unwrap();
    assert_eq!(entries.len(), 4, "every translation submitted");
    let spec = each(&main);
    let checked = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    assert!(checked.eligible > 150, "{}", checked.eligible);
    let per: BTreeMap<&str, u32> = checked
        .languages
        .iter()
        .map(|c| (c.language.as_str(), c.recipients))
        .collect();
    assert_eq!(per.values().sum::<u32>(), checked.eligible);
    assert_eq!(per.len(), 4, "{per:?}");

    let c = ws
        .create_campaign(&audience, spec, Some(500), None)
        .await
        .unwrap();
    let done = ws
        .run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    assert_eq!(done.status, CampaignStatus::Completed);
    assert_eq!(done.counts.sent, checked.eligible);
    let log = sandbox_log(&sb).await;
    let got = delivered(&ws, &c.id, &log, users);
    assert_eq!(got.len() as u32, checked.eligible);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (locale, language, friday) in &got {
        assert_eq!(language, expected(locale), "a user of locale {locale}");
        let want = match language.as_str() {
            "fr" => "lundi",
            "es" => "lunes",
            "pt_BR" => "segunda-feira",
            _ => "Monday",
        };
        assert_eq!(friday, want, "the static value in {language}");
        *seen.entry(locale.clone()).or_default() += 1;
    }
    for form in [
        "fr", "fr-CA", "pt-BR", "pt", "es-419", "en-GB", "de-CH", "eu", "en-US",
    ] {
        assert!(
            seen.contains_key(form),
            "the audience has a {form} user: {seen:?}"
        );
    }
    let from_log: BTreeMap<&str, u32> = got.iter().fold(BTreeMap::new(), |mut m, (_, l, _)| {
        *m.entry(l.as_str()).or_default() += 1;
        m
    });
    assert_eq!(from_log, per, "the review's counts are what was sent");
    // The report says each recipient's language.
    let rows = ws.campaign_recipients(&c.id, None, 0, 1000).unwrap().rows;
    assert!(rows
        .iter()
        .filter(|r| r.reason.is_none())
        .all(|r| r.language.is_some()));

    // The same template, in French for everyone, as the window makes it (the French text in the
    // mapping, the other languages' given per language), then in each recipient's language with
    // French as the default: nobody gets it a second time.
    let fr = ws.template_translation("parcel_notice", "fr").unwrap();
    let mut french = support::parcel_mapping();
    french[1] = mapping::ValueMapping {
        source: mapping::ValueSource::Static {
            value: "lundi".into(),
        },
        fallback: String::new(),
    };
    let values = |list: &[(&str, &str)]| -> Vec<LanguageValue> {
        list.iter()
            .map(|(language, value)| LanguageValue {
                language: language.to_string(),
                name: "Friday".into(),
                value: value.to_string(),
            })
            .collect()
    };
    let fr_default = MessageSpec {
        template_id: fr.id.clone(),
        mapping: french.clone(),
        language: LanguageChoice::Each,
        language_values: values(&[
            ("en_US", "Monday"),
            ("es", "lunes"),
            ("pt_BR", "segunda-feira"),
        ]),
        ..each(&main)
    };
    let fr_default = ws
        .check_audience(&audience, Some(fr_default))
        .await
        .unwrap();
    assert_eq!(
        fr_default.eligible, 0,
        "the default language does not make another message"
    );
    let again = MessageSpec {
        template_id: fr.id,
        mapping: french,
        language: LanguageChoice::One,
        language_values: values(&[("en_US", "Monday")]),
        ..each(&main)
    };
    let second = ws.check_audience(&audience, Some(again)).await.unwrap();
    assert_eq!(second.eligible, 0);
    assert_eq!(
        second.count(ExclusionReason::Blackout),
        checked.eligible,
        "every translation is one message"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_translation_still_in_review_sends_its_recipients_the_default() {
    let users = 200;
    let sb = sandbox(users, Duration::from_secs(600)).await;
    let (ws, _tmp, main, audience) = translated(&sb).await;
    let pt = ws.template_translation("parcel_notice", "pt_BR").unwrap();
    for d in [
        &main.id,
        &ws.template_translation("parcel_notice", "fr").unwrap().id,
    ] {
        ws.submit_template(d, &[WA.into()]).await.unwrap();
    }
    // Meta reviews in ten minutes: once they are approved, pt_BR is submitted (in review).
    reqwest::Client::new()
        .post(format!("{}/_sandbox/clock", sb.base_url()))
        .json(&serde_json::json!({ "advance_ms": 660_000 }))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    ws.sync_templates().await.unwrap();
    ws.submit_template(&pt.id, &[WA.into()]).await.unwrap();
    let spec = MessageSpec {
        language_values: Vec::new(),
        ..each(&main)
    };
    let checked = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    let fell_back = checked
        .languages
        .iter()
        .find(|c| c.language == "en_US")
        .unwrap()
        .not_approved;
    assert!(fell_back > 0, "{:?}", checked.languages);
    assert!(checked
        .languages
        .iter()
        .all(|c| c.language != "pt_BR" && c.language != "es"));
    let c = ws
        .create_campaign(&audience, spec, Some(500), None)
        .await
        .unwrap();
    ws.run_campaign(&c.id, &CampaignControl::default(), |_| {})
        .await
        .unwrap();
    let got = delivered(&ws, &c.id, &sandbox_log(&sb).await, users);
    for (locale, language, _) in &got {
        let want = match expected(locale) {
            "fr" => "fr",
            _ => "en_US", // pt_BR in review, es never submitted: the default
        };
        assert_eq!(language, want, "a user of locale {locale}");
    }
    assert_eq!(
        got.iter()
            .filter(|(l, _, _)| matches!(expected(l), "pt_BR" | "es"))
            .count() as u32,
        fell_back,
        "those whose translation is in review or was never submitted there: the default"
    );

    // The default itself not sendable (one language: pt_BR, in review): refused, nothing made.
    let before = ws.campaigns().unwrap().len();
    let one = MessageSpec {
        template_id: pt.id.clone(),
        language: LanguageChoice::One,
        language_values: Vec::new(),
        ..each(&main)
    };
    let err = ws
        .create_campaign(&audience, one, None, None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput, "{err:?}");
    assert_eq!(ws.campaigns().unwrap().len(), before);
    // A translation still being written (a value missing) and never submitted is left out of
    // each recipient's language, not in the way.
    let de = ws.add_translation(&main.id, "de").unwrap();
    ws.save_template(
        Some(&de.id),
        &Template {
            body: "Hallo {{Ann}}, Ihr Paket".into(),
            ..de.template
        },
    )
    .unwrap();
    // Each recipient's language with the default in review: theirs or nothing (the blackout
    // off, or everyone was reached just now).
    ws.set_key("blackout_days", "0").unwrap();
    let pt_default = MessageSpec {
        template_id: pt.id,
        language_values: Vec::new(),
        ..each(&main)
    };
    let checked = ws
        .check_audience(&audience, Some(pt_default))
        .await
        .unwrap();
    let none = checked.count(ExclusionReason::NoTranslation);
    assert!(none > 0);
    let languages: Vec<&str> = checked
        .languages
        .iter()
        .map(|c| c.language.as_str())
        .collect();
    assert!(
        languages.iter().all(|l| ["fr", "en_US"].contains(l)),
        "{languages:?}"
    );
    assert_eq!(
        checked.eligible
            + none
            + checked
                .excluded
                .iter()
                .filter(|c| c.reason != ExclusionReason::NoTranslation)
                .map(|c| c.count)
                .sum::<u32>(),
        checked.users
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_recorded_before_translations_still_blacks_out() {
    let sb = sandbox(60, Duration::ZERO).await;
    let (ws, _tmp, main, audience) = translated(&sb).await;
    ws.submit_translations("parcel_notice", &[WA.into()])
        .await
        .unwrap();
    let spec = each(&main);
    let checked = ws
        .check_audience(&audience, Some(spec.clone()))
        .await
        .unwrap();
    // Two recipients reached by an earlier Relay: one in French, one in English, each recorded
    // under the fingerprint of then (name, language, channel, static values by position).
    let members = ws
        .audience_members(
            &audience,
            relay_core::audience::MemberFilter::Eligible,
            0,
            50,
        )
        .unwrap()
        .rows;
    let fr = ws.template_translation("parcel_notice", "fr").unwrap();
    let fr_mapping = vec![
        support::parcel_mapping()[0].clone(),
        mapping::ValueMapping {
            source: mapping::ValueSource::Static {
                value: "lundi".into(),
            },
            fallback: String::new(),
        },
    ];
    let then = [
        mapping::fingerprint(&fr.template, Channel::WhatsApp, &fr_mapping),
        mapping::fingerprint(
            &main.template,
            Channel::WhatsApp,
            &support::parcel_mapping(),
        ),
    ];
    let now = ws.now_ms();
    for (m, fingerprint) in members.iter().zip(then) {
        relay_core::blackout::record_blackout(
            ws.db().connection(),
            m.user_id.parse().unwrap(),
            m.phone.as_deref().unwrap(),
            fingerprint,
            now - 3_600_000,
            Some("an-earlier-relay"),
            relay_core::blackout::Reach::Sent,
        )
        .unwrap();
    }
    let again = ws.check_audience(&audience, Some(spec)).await.unwrap();
    assert_eq!(again.count(ExclusionReason::Blackout), 2);
    assert_eq!(again.eligible, checked.eligible - 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_translations_are_refused_and_nothing_is_saved() {
    let sb = sandbox(20, Duration::ZERO).await;
    let (ws, _tmp, main, audience) = translated(&sb).await;
    let count = || {
        relay_core::template::drafts::translations(&ws.db(), "parcel_notice")
            .unwrap()
            .len()
    };
    assert_eq!(count(), 4);
    let lacks = Template {
        language: "de".into(),
        body: "Hallo {{Ann}}, Ihr Paket kommt bald.".into(),
        ..main.template.clone()
    };
    let err = ws.save_template_by_name(&lacks).unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);
    assert!(
        err.text.english().contains("{{Friday}}"),
        "{}",
        err.text.english()
    );
    let adds = Template {
        language: "de".into(),
        body: "Hallo {{Ann}}, Paket {{Nummer}} kommt {{Friday}}.".into(),
        ..main.template.clone()
    };
    let err = ws.save_template_by_name(&adds).unwrap_err();
    assert!(
        err.text.english().contains("{{Nummer}}"),
        "{}",
        err.text.english()
    );
    let unknown = Template {
        language: "xx_YY".into(),
        ..main.template.clone()
    };
    let err = ws.save_template_by_name(&unknown).unwrap_err();
    assert_eq!(
        err.details.as_ref().unwrap().fields.keys().next().unwrap(),
        "language"
    );
    assert!(err.text.english().contains("en_US"), "says what to write");
    assert_eq!(
        ws.add_translation(&main.id, "fr").unwrap_err().code,
        ErrorCode::InvalidInput,
        "a language the template has"
    );
    assert_eq!(count(), 4, "nothing saved");
    // `en-us` is Meta's en_US: the translation in that language updated, not a fifth one.
    let typed = Template {
        language: "en-us".into(),
        body: "Hello {{Ann}}, your parcel arrives on {{Friday}} before noon.".into(),
        ..main.template.clone()
    };
    assert_eq!(ws.save_template_by_name(&typed).unwrap().id, main.id);
    assert_eq!(count(), 4);

    // A static value per language for a language the campaign does not send, or for a value
    // that is not static: refused, nothing checked.
    ws.submit_translations("parcel_notice", &[WA.into()])
        .await
        .unwrap();
    let mut spec = each(&main);
    spec.language_values.push(LanguageValue {
        language: "de".into(),
        name: "Friday".into(),
        value: "Montag".into(),
    });
    let err = ws.check_audience(&audience, Some(spec)).await.unwrap_err();
    assert_eq!(
        err.details.unwrap().fields.keys().next().unwrap(),
        "language_values"
    );
    let mut spec = each(&main);
    spec.language_values[0].name = "Ann".into();
    assert!(ws.check_audience(&audience, Some(spec)).await.is_err());
    // The preview of a recipient says the language they get, and why.
    let ok = ws
        .check_audience(&audience, Some(each(&main)))
        .await
        .unwrap();
    assert!(ok.eligible > 0);
    let member = ws
        .audience_members(
            &audience,
            relay_core::audience::MemberFilter::Eligible,
            0,
            1,
        )
        .unwrap()
        .rows
        .remove(0);
    let p = ws
        .preview_recipient(&audience, &member.user_id)
        .await
        .unwrap();
    assert!(p.language.is_some() && p.matched.is_some() && p.matched != Some(LanguageMatch::One));
}
