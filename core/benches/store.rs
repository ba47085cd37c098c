//! Store insert throughput: 10 000 signed events, batched vs one transaction per event.
//!
//! Run: `cargo bench -p freeport-core --bench store` (prints a table; numbers in docs/STORE.md).

use std::time::{Duration, Instant};

use freeport_core::store::{DataKey, EventQuery, Store};
use nostr::{Event, EventBuilder, Keys, Kind, Tag, Timestamp};

const N: usize = 10_000;

fn signed_events() -> Vec<Event> {
    let authors: Vec<Keys> = (0..50).map(|_| Keys::generate()).collect();
    (0..N)
        .map(|i| {
            let k = &authors[i % authors.len()];
            let peer = authors[(i + 1) % authors.len()].public_key();
            // A realistic mix: receipts/ratings (addressable, unique d), intents, notes.
            let (kind, tags) = match i % 4 {
                0 => (
                    32104,
                    vec![Tag::identifier(format!("{i:016x}")), Tag::public_key(peer)],
                ),
                1 => (
                    32103,
                    vec![Tag::identifier(format!("{i:016x}")), Tag::public_key(peer)],
                ),
                2 => (
                    32101,
                    vec![
                        Tag::identifier(format!("{i:016x}")),
                        Tag::hashtag("sg-rideshare"),
                    ],
                ),
                _ => (1, vec![]),
            };
            EventBuilder::new(Kind::Custom(kind), format!("{{\"v\":1,\"i\":{i}}}"))
                .tags(tags)
                .custom_created_at(Timestamp::from(1_700_000_000 + i as u64))
                .sign_with_keys(k)
                .expect("signing")
        })
        .collect()
}

fn run(events: &[Event], batch: usize) -> Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    let store =
        Store::open_with_key(dir.path().join("bench.db"), DataKey::generate()).expect("open");
    let start = Instant::now();
    for chunk in events.chunks(batch) {
        let r = store.insert_events(chunk).expect("insert");
        assert_eq!(r.inserted, chunk.len());
    }
    let took = start.elapsed();
    assert_eq!(store.event_count().expect("count"), events.len() as u64);
    took
}

fn main() {
    let events = signed_events();
    println!(
        "store insert benchmark: {N} signed events, WAL, synchronous=NORMAL, on-disk temp file"
    );
    println!("{:<32} {:>12} {:>14}", "mode", "total ms", "events/s");
    for batch in [N, 1_000, 100, 1] {
        // Best of three to reduce noise on a shared machine.
        let best = (0..3).map(|_| run(&events, batch)).min().expect("runs");
        let label = if batch == 1 {
            "1 transaction per event".to_string()
        } else {
            format!("batches of {batch}")
        };
        println!(
            "{:<32} {:>12.1} {:>14.0}",
            label,
            best.as_secs_f64() * 1e3,
            N as f64 / best.as_secs_f64()
        );
    }

    // Query latency on the filled store.
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open_with_key(dir.path().join("q.db"), DataKey::generate()).expect("open");
    store.insert_events(&events).expect("insert");
    // events[3] is a kind-1 note; its author also has receipts pointing at others.
    let author = events[3].pubkey;
    let queries = [
        (
            "kind 32104 newest 100",
            EventQuery::new().kinds([32104]).limit(100),
        ),
        (
            "author + kind 1",
            EventQuery::new().author(author).kinds([1]),
        ),
        ("p tag", EventQuery::new().p(author)),
    ];
    println!("{:<32} {:>12} {:>14}", "query", "µs/query", "results");
    for (name, q) in queries {
        let reps = 200;
        let start = Instant::now();
        let mut n = 0;
        for _ in 0..reps {
            n = store.query_events(&q).expect("query").len();
        }
        let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(reps);
        println!("{name:<32} {per:>12.1} {n:>14}");
    }
}
