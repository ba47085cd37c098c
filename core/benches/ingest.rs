//! Ingest throughput: 10 000 signed intents through the verify + store pipeline a phone runs on
//! relay input (the relay layer's `IngestGate`: shape checks, dedup, id recompute, Schnorr
//! verify, newest-wins; then `Store::insert_events` in batches of 256 like the app's ingest
//! loop), side by side with the raw libsecp256k1 Schnorr verify rate of the same events,
//! measured in the same run, on one core and on two.
//!
//! Run: `CARGO_TARGET_DIR=/root/.cache/freeport/release cargo bench -p freeport-core --bench ingest`
//! (prints a table; numbers in docs/BENCHMARKS.md).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use freeport_core::protocol::intent::{IntentDraft, Side, build_intent, new_intent_d};
use freeport_core::protocol::market::builtin;
use freeport_core::relay::IngestLimits;
use freeport_core::relay::ingest::{self, IngestGate};
use freeport_core::store::{DataKey, Store};
use nostr::secp256k1::{Message, XOnlyPublicKey};
use nostr::{Event, Keys, Timestamp};

const N: usize = 10_000;
const BATCH: usize = 256;
const RUNS: usize = 5;

fn intents() -> Vec<Event> {
    let market = builtin().by_schema("goods/1").expect("goods market");
    let authors: Vec<Keys> = (0..100).map(|_| Keys::generate()).collect();
    let now = Timestamp::now();
    (0..N)
        .map(|i| {
            let mut draft = IntentDraft::for_market(
                if i % 2 == 0 {
                    Side::Offer
                } else {
                    Side::Request
                },
                market,
                format!("Item {i}"),
                serde_json::json!({
                    "item": format!("thing {i}"), "condition": "good", "price": 10 + i % 90,
                    "currency": "SGD", "location": {"name": "Tanjong Pagar", "geohash": "w21z74"}
                }),
                now,
            );
            draft.geohash = Some("w21z74".into());
            draft.g_precision = 5;
            build_intent(&draft, &new_intent_d(), now)
                .expect("intent")
                .sign_with_keys(&authors[i % authors.len()])
                .expect("sign")
        })
        .collect()
}

/// What raw verification needs, prepared outside the timing: the message (the id), the parsed
/// x-only key and the signature.
type Prepared = (
    Message,
    XOnlyPublicKey,
    nostr::secp256k1::schnorr::Signature,
);

fn prepare(events: &[Event]) -> Vec<Prepared> {
    events
        .iter()
        .map(|e| {
            (
                Message::from_digest(e.id.to_bytes()),
                e.pubkey.xonly().expect("valid key"),
                e.sig,
            )
        })
        .collect()
}

/// Raw libsecp256k1 BIP-340 verification of every signature.
fn raw_verify(items: &[Prepared]) -> usize {
    let secp = nostr::secp256k1::Secp256k1::verification_only();
    items
        .iter()
        .filter(|(m, pk, sig)| secp.verify_schnorr(sig, m, pk).is_ok())
        .count()
}

fn raw_verify_threads(items: &[Prepared], threads: usize) -> usize {
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let hs: Vec<_> = items
            .chunks(chunk)
            .map(|c| s.spawn(move || raw_verify(c)))
            .collect();
        hs.into_iter().map(|h| h.join().expect("thread")).sum()
    })
}

fn fresh_store(dir: &tempfile::TempDir, run: usize) -> Store {
    Store::open_with_key(
        dir.path().join(format!("ingest-{run}.db")),
        DataKey::generate(),
    )
    .expect("store")
}

/// The pipeline on one thread: gate then store inserts in batches of `batch` (the app's live
/// loop takes up to 256 queued events; a catch-up inserts a whole query result at once).
fn pipeline_one(events: &[Event], store: &Store) -> usize {
    pipeline_one_batched(events, store, BATCH)
}

fn pipeline_one_batched(events: &[Event], store: &Store, batch_len: usize) -> usize {
    let mut gate = IngestGate::new(IngestLimits::default());
    let now = Timestamp::now().as_secs();
    let mut batch = Vec::with_capacity(batch_len);
    let mut stored = 0;
    for e in events {
        if gate.admit(e, None, now).is_ok() {
            batch.push(e.clone());
            if batch.len() == batch_len {
                stored += store.insert_events(&batch).expect("insert").inserted;
                batch.clear();
            }
        }
    }
    if !batch.is_empty() {
        stored += store.insert_events(&batch).expect("insert").inserted;
    }
    stored
}

/// The pipeline on two cores: the stateless checks (shape, id recompute, Schnorr verify) split
/// over `threads` workers; the store writer (which also de-duplicates by id and keeps the
/// newest addressable version) on the calling thread.
fn pipeline_threads(events: &[Event], store: &Store, threads: usize) -> usize {
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(8);
    let limits = IngestLimits::default();
    let now = Timestamp::now().as_secs();
    let chunks: Vec<&[Event]> = events.chunks(BATCH).collect();
    let per = chunks.len().div_ceil(threads);
    std::thread::scope(|s| {
        for part in chunks.chunks(per) {
            let tx = tx.clone();
            let limits = &limits;
            s.spawn(move || {
                for c in part {
                    let ok: Vec<Event> = c
                        .iter()
                        .filter(|e| {
                            ingest::check_shape(e, limits, now).is_ok()
                                && ingest::verify_event(e).is_ok()
                        })
                        .cloned()
                        .collect();
                    if tx.send(ok).is_err() {
                        return;
                    }
                }
            });
        }
        drop(tx);
        let mut stored = 0;
        for batch in rx {
            stored += store.insert_events(&batch).expect("insert").inserted;
        }
        stored
    })
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let events = intents();
    let prepared = prepare(&events);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut rows: Vec<(String, f64)> = Vec::new();
    let mut measure = |name: &str, f: &mut dyn FnMut(usize) -> usize| {
        let mut rates = Vec::new();
        for run in 0..RUNS {
            let t = Instant::now();
            let n = f(run);
            let d = t.elapsed();
            assert_eq!(n, N, "{name}: every event passes");
            rates.push(rate(n, d));
        }
        rows.push((name.to_string(), median(rates)));
    };
    measure("raw schnorr verify, 1 thread", &mut |_| {
        raw_verify(&prepared)
    });
    measure("verify + store pipeline, 1 thread", &mut |run| {
        pipeline_one(&events, &fresh_store(&dir, run))
    });
    measure(
        "verify + store pipeline, 1 thread, one batch (catch-up)",
        &mut |run| pipeline_one_batched(&events, &fresh_store(&dir, 300 + run), N),
    );
    // Where the single-thread time goes.
    measure(
        "  of which: gate only (shape, dedup, id, verify)",
        &mut |_| {
            let mut gate = IngestGate::new(IngestLimits::default());
            let now = Timestamp::now().as_secs();
            events
                .iter()
                .filter(|e| gate.admit(e, None, now).is_ok())
                .count()
        },
    );
    measure("  of which: id recompute only", &mut |_| {
        events.iter().filter(|e| e.verify_id()).count()
    });
    measure(
        "  of which: store inserts only (batches of 256)",
        &mut |run| {
            let store = fresh_store(&dir, 200 + run);
            events
                .chunks(BATCH)
                .map(|c| store.insert_events(c).expect("insert").inserted)
                .sum()
        },
    );
    measure("raw schnorr verify, 2 threads", &mut |_| {
        raw_verify_threads(&prepared, 2)
    });
    measure(
        "verify + store pipeline, 2 verify threads + writer",
        &mut |run| pipeline_threads(&events, &fresh_store(&dir, 100 + run), 2),
    );
    let raw1 = rows[0].1;
    let raw2 = rows[6].1;
    println!("\ningest of {N} signed intents (median of {RUNS} runs)\n");
    println!("{:<52} {:>12} {:>10}", "pipeline", "events/s", "× raw");
    for (name, r) in &rows {
        let base = if name.contains("2 ") { raw2 } else { raw1 };
        println!("{name:<52} {r:>12.0} {:>10.2}", r / base);
    }
}
