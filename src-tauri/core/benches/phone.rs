//! Reading phone numbers: what an audience's fetch does for each user (`relay_core::phone::read`)
//! on a mix of how Zendesk holds them — E.164, national, with separators, other scripts' digits,
//! an extension, a letter typo, not a number.
//!
//!     cargo bench -p relay-core --bench phone
//!
//! The README's figure is `time` per number, turned into numbers per second.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use relay_core::phone::{read, Country};
use std::hint::black_box;

const INPUTS: [&str; 12] = [
    "+33612345678",
    "06 12 34 56 78",
    "+1 (415) 555-0134",
    "0151 23456789",
    "+44 7400 123456",
    "０６１２３４５６７８",
    "06.12.34.56.78 poste 12",
    "+34 612 34 56 78 ext. 4",
    "O6 12 34 56 78",
    "n/a",
    "+39 06 1234 5678",
    "01 42 68 53 00",
];

fn bench(c: &mut Criterion) {
    let fr = Country::parse("FR");
    let mut group = c.benchmark_group("phone");
    group.throughput(Throughput::Elements(INPUTS.len() as u64));
    group.bench_function("read a mix of 12", |b| {
        b.iter(|| {
            for input in INPUTS {
                black_box(read(black_box(input), fr).ok());
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
