//! Ingest throughput: 10 000 signed intents through the verify + store pipeline a phone runs on
//! relay input (the relay layer's `IngestGate`: shape checks, dedup, id recompute, Schnorr
//! verify, newest-wins; then `Store::insert_events` in batches of 256, of 2 000 (the most the
//! app's live loop takes at once) and of all 10 000 (a catch-up)), side by side with the raw libsecp256k1 Schnorr verify rate of the same events, on one
//! core and on two. The raw rate is measured interleaved with each row, segment by segment, so
//! the ratio holds on a loaded machine (the absolute rates do not).
//!
//! The pipeline rows do what the app does with relay input: they take the events owned (the
//! relay layer hands each parsed event over; the app moves it into the store batch, it never
//! copies it) and pass the gate the subscription's filter (a market browse near a geohash, as
//! `app::intents` sends), so the gate also matches kinds and the `g` tag. The owned copies of
//! each segment are made before its timer starts.
//!
//! Run: `CARGO_TARGET_DIR=/root/.cache/freeport/release cargo bench -p freeport-core --bench ingest`
//! (prints a table; numbers in docs/BENCHMARKS.md).

use std::sync::mpsc;
use std::time::{Duration, Instant};

use freeport_core::protocol::intent::{IntentDraft, Side, build_intent, new_intent_d};
use freeport_core::protocol::market::builtin;
use freeport_core::relay::IngestLimits;
use freeport_core::relay::ingest::{self, EventVerifier, IngestGate};
use freeport_core::store::{DataKey, Store};
use nostr::secp256k1::{Message, XOnlyPublicKey};
use nostr::{Alphabet, Event, Filter, Keys, Kind, SingleLetterTag, Timestamp};

const N: usize = 10_000;
const BATCH: usize = 256;
/// The most the app's live loop takes into one transaction (`app::ingest::LIVE_BATCH_MAX`).
const LIVE_BATCH: usize = 2_000;
const RUNS: usize = 5;
/// Events per interleaved segment on two threads (one segment is several channel batches).
const SEGMENT_2: usize = 1_250;
/// The id recompute the gate runs.
const ID_RECOMPUTE: fn(&Event) -> bool = ingest::id_matches;

/// The filter of a market browse near `w21z74` at precision 5 (what the gate matches in the app).
fn browse_filter() -> Filter {
    Filter::new()
        .kinds([Kind::Custom(32101), Kind::Custom(32102)])
        .custom_tag(SingleLetterTag::lowercase(Alphabet::G), "w21z7")
}

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

/// The pipeline on one thread: gate then store inserts in batches of `batch_len` (the app's
/// live loop takes up to 256 queued events; a catch-up inserts a whole query result at once).
fn pipeline_one_batched(events: Vec<Event>, store: &Store, batch_len: usize) -> usize {
    let mut gate = IngestGate::new(IngestLimits::default());
    let filter = browse_filter();
    let now = Timestamp::now().as_secs();
    let mut batch = Vec::with_capacity(batch_len);
    let mut stored = 0;
    for e in events {
        if gate.admit(&e, Some(&filter), now).is_ok() {
            batch.push(e);
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

/// The pipeline on two cores: the stateless checks (shape, id recompute, Schnorr verify with a
/// per-worker author key cache) split over `threads` workers; the store writer (which also de-duplicates by id and keeps the
/// newest addressable version) on the calling thread.
fn pipeline_threads(events: Vec<Event>, store: &Store, threads: usize) -> usize {
    let (tx, rx) = mpsc::sync_channel::<Vec<Event>>(8);
    let limits = IngestLimits::default();
    let key_cache = limits.key_cache_capacity;
    let now = Timestamp::now().as_secs();
    let filter = browse_filter();
    let opts = nostr::filter::MatchEventOptions {
        nip50: false,
        ..nostr::filter::MatchEventOptions::new()
    };
    // Owned chunks of BATCH events, dealt out to the workers in contiguous parts.
    let per = events.len().div_ceil(BATCH).div_ceil(threads).max(1) * BATCH;
    let mut parts: Vec<Vec<Event>> = Vec::new();
    let mut rest = events.into_iter();
    loop {
        let part: Vec<Event> = rest.by_ref().take(per).collect();
        if part.is_empty() {
            break;
        }
        parts.push(part);
    }
    std::thread::scope(|s| {
        for part in parts {
            let tx = tx.clone();
            let (limits, filter) = (&limits, &filter);
            s.spawn(move || {
                let mut verifier = EventVerifier::new(key_cache);
                let mut rest = part.into_iter();
                loop {
                    let ok: Vec<Event> = rest
                        .by_ref()
                        .take(BATCH)
                        .filter(|e| {
                            ingest::check_shape(e, limits, now).is_ok()
                                && filter.match_event(e, opts)
                                && verifier.verify(e).is_ok()
                        })
                        .collect();
                    if ok.is_empty() || tx.send(ok).is_err() {
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

/// One table row: median rate, and the median over runs of the ratio to the raw Schnorr rate.
///
/// The raw rate is measured interleaved with the row, segment by segment (raw verify of a
/// segment's events, then the row's work on the same events, alternating which goes first),
/// so the load of a shared machine falls on both sides of the ratio alike.
struct Row {
    name: String,
    rate: f64,
    raw: f64,
    ratio: f64,
}

/// The row's work on one segment of events; state (gate, store) lives in the closure.
type Work<'a> = Box<dyn FnMut(Vec<Event>) -> usize + 'a>;

fn measure<'a>(
    events: &[Event],
    prepared: &[Prepared],
    name: &str,
    threads: usize,
    segment: usize,
    mut make: impl FnMut(usize) -> Work<'a>,
) -> Row {
    let (mut rates, mut raws, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        let mut work = make(run);
        let (mut raw_t, mut row_t, mut n) = (Duration::ZERO, Duration::ZERO, 0);
        for (i, (ev, pre)) in events
            .chunks(segment)
            .zip(prepared.chunks(segment))
            .enumerate()
        {
            let raw = || {
                let t = Instant::now();
                let ok = if threads == 1 {
                    raw_verify(pre)
                } else {
                    raw_verify_threads(pre, threads)
                };
                assert_eq!(ok, pre.len(), "raw verify");
                t.elapsed()
            };
            if i % 2 == 1 {
                raw_t += raw();
            }
            // The relay layer's parsed events, owned, as the pipeline receives them.
            let owned = ev.to_vec();
            let t = Instant::now();
            n += work(owned);
            row_t += t.elapsed();
            if i % 2 == 0 {
                raw_t += raw();
            }
        }
        assert_eq!(n, N, "{name}: every event passes");
        rates.push(rate(n, row_t));
        raws.push(rate(N, raw_t));
        ratios.push(raw_t.as_secs_f64() / row_t.as_secs_f64());
    }
    Row {
        name: name.to_string(),
        rate: median(rates),
        raw: median(raws),
        ratio: median(ratios),
    }
}

fn main() {
    let events = intents();
    let prepared = prepare(&events);
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = &dir;
    let now = Timestamp::now().as_secs();
    let (ev, pre) = (&events[..], &prepared[..]);
    let rows = vec![
        measure(ev, pre, "raw schnorr verify, 1 thread", 1, BATCH, |_| {
            let mut segs = pre.chunks(BATCH);
            Box::new(move |_: Vec<Event>| raw_verify(segs.next().expect("segment")))
        }),
        measure(
            ev,
            pre,
            "verify + store pipeline, 1 thread, batches of 256",
            1,
            BATCH,
            |run| {
                let store = fresh_store(dir, run);
                let mut gate = IngestGate::new(IngestLimits::default());
                let filter = browse_filter();
                Box::new(move |c: Vec<Event>| {
                    let batch: Vec<Event> = c
                        .into_iter()
                        .filter(|e| gate.admit(e, Some(&filter), now).is_ok())
                        .collect();
                    store.insert_events(&batch).expect("insert").inserted
                })
            },
        ),
        measure(
            ev,
            pre,
            "verify + store pipeline, 1 thread, batches of 2 000",
            1,
            LIVE_BATCH,
            |run| {
                let store = fresh_store(dir, 400 + run);
                let mut gate = IngestGate::new(IngestLimits::default());
                let filter = browse_filter();
                Box::new(move |c: Vec<Event>| {
                    let batch: Vec<Event> = c
                        .into_iter()
                        .filter(|e| gate.admit(e, Some(&filter), now).is_ok())
                        .collect();
                    store.insert_events(&batch).expect("insert").inserted
                })
            },
        ),
        measure(
            ev,
            pre,
            "verify + store pipeline, 1 thread, one batch (catch-up)",
            1,
            N,
            |run| {
                let store = fresh_store(dir, 300 + run);
                Box::new(move |c: Vec<Event>| pipeline_one_batched(c, &store, N))
            },
        ),
        // Where the single-thread time goes.
        measure(
            ev,
            pre,
            "  of which: gate only (shape, dedup, id, verify)",
            1,
            BATCH,
            |_| {
                let mut gate = IngestGate::new(IngestLimits::default());
                let filter = browse_filter();
                Box::new(move |c: Vec<Event>| {
                    c.iter()
                        .filter(|e| gate.admit(e, Some(&filter), now).is_ok())
                        .count()
                })
            },
        ),
        measure(ev, pre, "  of which: id recompute only", 1, BATCH, |_| {
            Box::new(|c: Vec<Event>| c.iter().filter(|e| ID_RECOMPUTE(e)).count())
        }),
        measure(
            ev,
            pre,
            "  of which: store inserts only (batches of 256)",
            1,
            BATCH,
            |run| {
                let store = fresh_store(dir, 200 + run);
                Box::new(move |c: Vec<Event>| store.insert_events(&c).expect("insert").inserted)
            },
        ),
        measure(
            ev,
            pre,
            "raw schnorr verify, 2 threads",
            2,
            SEGMENT_2,
            |_| {
                let mut segs = pre.chunks(SEGMENT_2);
                Box::new(move |_: Vec<Event>| raw_verify_threads(segs.next().expect("segment"), 2))
            },
        ),
        measure(
            ev,
            pre,
            "verify + store pipeline, 2 verify threads + writer",
            2,
            SEGMENT_2,
            |run| {
                let store = fresh_store(dir, 100 + run);
                Box::new(move |c: Vec<Event>| pipeline_threads(c, &store, 2))
            },
        ),
    ];
    println!(
        "\ningest of {N} signed intents (median of {RUNS} runs; raw rate measured interleaved \
         with each row, segment by segment)\n"
    );
    println!(
        "{:<56} {:>10} {:>10} {:>8}",
        "pipeline", "events/s", "raw/s", "× raw"
    );
    for r in &rows {
        println!(
            "{:<56} {:>10.0} {:>10.0} {:>8.2}",
            r.name, r.rate, r.raw, r.ratio
        );
    }
}
