//! Throughput of the protocol layer's hot paths: parsing received intents (with market schema
//! validation), building them, parsing ratings, and geohash covers for browsing.
//!
//! Run: `cargo run -p freeport-core --example protocol_bench` (numbers in docs/PROTOCOL.md).

use std::hint::black_box;
use std::time::Instant;

use freeport_core::protocol::NegoId;
use freeport_core::protocol::intent::{
    IntentDraft, Side, build_intent, geohash_cover, new_intent_d, parse_intent,
};
use freeport_core::protocol::market;
use freeport_core::protocol::rating::{RatingDraft, Score, build_rating, parse_rating};
use nostr::{Keys, Timestamp};
use serde_json::json;

const NOW: u64 = 1_760_000_000;

fn measure(name: &str, iters: u32, mut f: impl FnMut()) {
    f(); // warm-up (first use compiles the market schemas)
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let per = start.elapsed() / iters;
    let rate = 1.0 / per.as_secs_f64();
    println!(
        "| {name:<44} | {:>10.2} µs | {:>12.0} /s |",
        per.as_secs_f64() * 1e6,
        rate
    );
}

fn main() {
    let keys = Keys::generate();
    let now = Timestamp::from(NOW);
    let rideshare = market::builtin()
        .by_topic("sg-rideshare")
        .expect("built-in rideshare market");
    let payload = json!({
        "from": {"name": "Hoan Kiem", "geohash": "w7er8u"},
        "to": {"name": "Noi Bai", "geohash": "w7g2p1"},
        "category": "car", "payment": "VND 250000", "note": "2 bags"
    });
    let mut draft = IntentDraft::for_market(Side::Offer, rideshare, "Ride", payload.clone(), now);
    draft.geohash = Some("w7er8u".into());
    draft.topics = vec!["vn_hanoi".into()];
    let intent = build_intent(&draft, &new_intent_d(), now)
        .expect("valid draft")
        .sign_with_keys(&keys)
        .expect("sign");

    let peer = Keys::generate();
    let nego =
        NegoId::new("0123456789abcdef", keys.public_key(), peer.public_key()).expect("nego id");
    let rating = build_rating(
        &RatingDraft {
            nego,
            ratee: keys.public_key(),
            score: Score::GOOD,
            safe: true,
            reliable: true,
            contact_masked: Some("+84•••••5678".into()),
            contact_commit: None,
        },
        now,
    )
    .expect("valid rating")
    .sign_with_keys(&peer)
    .expect("sign");

    println!("| operation                                    |    per call |         rate |");
    println!("|----------------------------------------------|-------------|--------------|");
    measure("parse_intent (rideshare, schema-validated)", 20_000, || {
        black_box(parse_intent(black_box(&intent), now).is_ok());
    });
    measure("Market::validate_payload (rideshare)", 50_000, || {
        black_box(rideshare.validate_payload(black_box(&payload)).is_ok());
    });
    measure("build_intent (unsigned, incl. validation)", 20_000, || {
        black_box(build_intent(black_box(&draft), "0123456789abcdef", now).is_ok());
    });
    measure("build_intent + sign (Schnorr)", 5_000, || {
        let ev = build_intent(&draft, "0123456789abcdef", now)
            .ok()
            .and_then(|b| b.sign_with_keys(&keys).ok());
        black_box(ev);
    });
    measure("event.verify (Schnorr, for comparison)", 5_000, || {
        black_box(intent.verify().is_ok());
    });
    measure("parse_rating", 50_000, || {
        black_box(parse_rating(black_box(&rating)).is_ok());
    });
    measure("geohash_cover radius 1 (9 cells)", 20_000, || {
        black_box(geohash_cover(black_box("w7er8"), 1).map(|v| v.len()).ok());
    });
    measure("geohash_cover radius 4 (81 cells)", 2_000, || {
        black_box(geohash_cover(black_box("w7er8"), 4).map(|v| v.len()).ok());
    });
}
