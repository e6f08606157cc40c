//! Template throughput: validate (both channels) + convert + render both previews.
//!
//!     cargo bench -p relay-core --bench templates
//!
//! The figure in the README is `time` per template from the "validate+convert+render" line,
//! turned into templates per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use relay_core::template::preview::preview;
use relay_core::template::validate::validate;
use relay_core::template::{Button, ButtonKind, Category, Header, HeaderKind, Template};
use std::hint::black_box;

fn template() -> Template {
    Template {
        name: "order_shipped".into(),
        integrations: vec!["wa1".into(), "sms1".into()],
        category: Category::Utility,
        language: "en_US".into(),
        header: Header { kind: HeaderKind::Text, text: "Order {{A-1042}}".into(), url: String::new() },
        body: "Hi **{{Clarice}}**, your order has shipped and arrives _{{Monday}}_ between {{9:00}} and noon.\n\n\
               - Track it online any time\n- Or reply to this message with *questions*\n\n> Thank you for shopping with us."
            .into(),
        footer: "Reply STOP to unsubscribe".into(),
        buttons: vec![Button { kind: ButtonKind::Url, text: "Track order".into(), value: "https://example.com/track/{{A-1042}}".into() }],
    }
}

fn bench(c: &mut Criterion) {
    let t = template();
    let values = vec![
        "Ann".to_string(),
        "Tuesday".to_string(),
        "10:00".to_string(),
    ];
    let mut group = c.benchmark_group("templates");
    group.throughput(Throughput::Elements(1));
    group.bench_function("validate+convert+render", |b| {
        b.iter(|| {
            let issues = validate(black_box(&t), true, true);
            let p = preview(black_box(&t), &[], black_box(&values));
            black_box((issues, p))
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
