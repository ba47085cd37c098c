//! Cold load of the reputation engine from SQLite vs from memory (issue 5, "Numbers to report").
//!
//! For 10k / 100k / 1M proven edges (synthetic community graphs, degree ≈ 6; ratings optional):
//! writes the persisted projection once, then measures the app's engine — directory mode: node
//! ids, adjacency and counters in memory, keys / deal facts / first-seen times looked up in the
//! store — each cell the median of 5 runs:
//! * the row load (no checkpoint): reading every paired deal's node ids, ratings and follow
//!   lists, then the bulk build;
//! * the checkpoint load: reading the graph blob (+ the rows after it), then decoding it;
//! * the same with the longest tail the app allows before it checkpoints again;
//! * a trust map (the first after a batch, with the engine's lookup cache empty; the same
//!   again; and, first too, one of the graph alone — no reports, as before issue 25 — for
//!   another viewer) and a
//!   screening (lookups through the store) on the loaded engine, and a popular
//!   subject's first and warm (repeated: looked-up answers cached) screening; an
//!   incremental receipt pair (mean over 2 000 new deals): the engine applying the store's
//!   change, and the whole app path (store commit + apply);
//! * its memory by part, next to the memory-mode engine (every key, deal and first-seen time
//!   in memory) built from the same facts.
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/freeport/release cargo run --release -p freeport-core --example rep_coldload [sizes] [ratings 0|1]
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use freeport_core::protocol::receipt::DealTier;
use freeport_core::reputation::synth::{self, T0, receipt_pair};
use freeport_core::reputation::{Directory, GraphParts, Params, RepInput, Reputation};
use freeport_core::store::{DataKey, Store, StoreDirectory};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn mib(b: usize) -> String {
    format!("{:.1}", b as f64 / 1048576.0)
}

/// Reads with `read`, builds with `from_graph_parts`, 5 times; medians of read, build, total.
fn load(
    st: &Store,
    dir: &Arc<dyn Directory>,
    read: impl Fn(&Store) -> Option<GraphParts>,
) -> Result<(Duration, Duration, Duration, Reputation), Box<dyn std::error::Error>> {
    let (mut r, mut b, mut t) = (Vec::new(), Vec::new(), Vec::new());
    let mut last: Option<Reputation> = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        let parts = read(st).ok_or("projection not ready")?;
        let r0 = t0.elapsed();
        let t1 = Instant::now();
        let rep = Reputation::from_graph_parts(Params::default(), dir.clone(), parts)?;
        b.push(t1.elapsed());
        r.push(r0);
        t.push(t0.elapsed());
        last = Some(rep);
    }
    let rep = last.ok_or("no run")?;
    Ok((median(r), median(b), median(t), rep))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .nth(1)
        .map(|a| a.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    // Second argument: ratings per deal, 0 or 1 (default 0: the graph alone).
    let with_ratings = std::env::args().nth(2).is_some_and(|a| a == "1");
    println!(
        "| edges | keys | ratings | rows: read + build = load | checkpoint: read + decode = **cold load** | longest tail: deals, read + replay = load | checkpoint size, write | trust map: first / again / graph only | screening | popular subject (200 raters): first / warm | receipt pair: engine / store + engine | **graph** (adjacency + counters) | memory mode: adjacency, keys, key index, counters, deal index, first-seen = total | rating book | db |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for edges in sizes {
        let hg = synth::honest_graph(edges / 3, 50, 6, 7);
        let mut items = Vec::with_capacity(hg.edges.len() * 6);
        for &(a, b, tier, d) in &hg.edges {
            let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
            let (x, y) = receipt_pair(ka, kb, d, tier);
            for h in [&x, &y] {
                items.push(RepInput::Seen {
                    pubkey: h.author,
                    at: h.created_at.as_secs(),
                });
            }
            let ok = d % 5 != 0;
            if with_ratings {
                items.push(RepInput::Rating(synth::rating(
                    kb,
                    ka,
                    x.nego.clone(),
                    ok,
                    ok,
                    T0 + 9,
                )));
            }
            items.push(RepInput::Receipt(x));
            items.push(RepInput::Receipt(y));
        }
        // New deals between existing keys (for the tail and the incremental inserts).
        let n = hg.keys.len();
        let fresh = |i: usize| {
            let (a, b) = (hg.keys[(i * 7919) % n], hg.keys[(i * 104_729 + 1) % n]);
            receipt_pair(a, b, u64::MAX / 2 + i as u64, DealTier::Met)
        };
        let tmp = tempfile::tempdir()?;
        let path = tmp.path().join("cold.db");
        let key = DataKey::generate();
        {
            let st = Store::open_with_key(&path, key.clone())?;
            st.rep_rebuild(&items)?;
        }
        let db_mib = std::fs::metadata(&path)?.len() as f64 / 1048576.0;
        let st = Arc::new(Store::open_with_key(&path, key)?);
        let dir: Arc<dyn Directory> = Arc::new(StoreDirectory::new(st.clone()));

        let (rows_read, rows_build, rows_total, mut rep) =
            load(&st, &dir, |s| s.rep_load_graph_rows().ok().flatten())?;
        let t = Instant::now();
        let data = rep.graph_checkpoint()?;
        st.rep_checkpoint_save(&data)?;
        let ck_write = t.elapsed();
        let (ck_read, ck_build, ck_total, mut rep) =
            load(&st, &dir, |s| s.rep_load_graph().ok().flatten())?;

        // The memory-mode engine of the same facts, for its memory.
        let mem = {
            let mut r = Reputation::new(Params::default())?;
            for i in &items {
                r.apply(i);
            }
            r.compact();
            r
        };
        drop(items);

        let viewer = hg.keys[0];
        let tm = rep.trust_map(&viewer)?;
        let (mut tmt, mut tmw, mut tmu) = (Vec::new(), Vec::new(), Vec::new());
        let mut sct = Vec::new();
        for i in 0..50usize {
            let v = hg.keys[(i * 7919) % n];
            // The graph alone (no reports, as before issue 25) for another viewer, so its store
            // pages are as cold as the next map's: lookup cache empty.
            rep.apply_changes(&[])?;
            let t = Instant::now();
            std::hint::black_box(rep.trust_map_unvetted(&hg.keys[(i * 7919 + 1) % n])?.len());
            tmu.push(t.elapsed());
            // First after a batch: the engine's lookup cache is empty (an empty batch clears it).
            rep.apply_changes(&[])?;
            let t = Instant::now();
            std::hint::black_box(rep.trust_map(&v)?.len());
            tmt.push(t.elapsed());
            // Again: the deal facts behind the reports are cached.
            let t = Instant::now();
            std::hint::black_box(rep.trust_map(&v)?.len());
            tmw.push(t.elapsed());
            let subject = hg.keys[(i * 104_729 + 3) % n];
            let t = Instant::now();
            std::hint::black_box(rep.screen(&tm, &subject, T0, false)?.weight_total);
            sct.push(t.elapsed());
        }
        let g = rep.graph().memory();
        let m = mem.graph().memory();
        let mem_seen = mem.first_seen_bytes();
        let mem_total = m.total() + mem_seen;
        drop(mem);

        // Incremental receipts: the store decides the pairing, the engine applies its change.
        let pairs: Vec<_> = (0..2000).map(fresh).collect();
        let mut engine_time = Duration::ZERO;
        let t = Instant::now();
        let mut inc = rep.clone();
        for (x, y) in &pairs {
            let changes =
                st.rep_commit(&[RepInput::Receipt(x.clone()), RepInput::Receipt(y.clone())])?;
            let t1 = Instant::now();
            inc.apply_changes(&changes)?;
            engine_time += t1.elapsed();
        }
        let whole = t.elapsed() / pairs.len() as u32;
        let engine_per_pair = engine_time / pairs.len() as u32;
        drop(inc);

        // The longest tail the app lets grow before it writes a new checkpoint (max(10k,
        // deals/64) deals paired after it; at most half the graph here): replayed from rows.
        let tail_len = (edges / 64).max(10_000).min(edges / 2);
        let tail: Vec<RepInput> = (2000..2000 + tail_len)
            .flat_map(|i| {
                let (x, y) = fresh(i);
                [RepInput::Receipt(x), RepInput::Receipt(y)]
            })
            .collect();
        st.rep_commit(&tail)?;
        let (tail_read, tail_build, tail_total, _) =
            load(&st, &dir, |s| s.rep_load_graph().ok().flatten())?;
        let tail_rep = |st: &Store,
                        dir: &Arc<dyn Directory>|
         -> Result<Reputation, Box<dyn std::error::Error>> {
            let parts = st.rep_load_graph()?.ok_or("projection not ready")?;
            Ok(Reputation::from_graph_parts(
                Params::default(),
                dir.clone(),
                parts,
            )?)
        };

        // A popular subject: 200 partners met in person, each rating it, each with 5 other
        // rated deals (so the unsafe-penalty look-ups run for every rater).
        let mut hub = tail_rep(&st, &dir)?;
        let subject = hg.keys[5];
        let mut hub_items = Vec::new();
        for i in 0..200u64 {
            let r = synth::synth_key("hub-rater", i);
            let (x, y) = receipt_pair(r, subject, u64::MAX / 4 + i, DealTier::Met);
            hub_items.push(RepInput::Rating(synth::rating(
                r,
                subject,
                x.nego.clone(),
                i % 9 != 0,
                true,
                T0 + 5,
            )));
            hub_items.extend([RepInput::Receipt(x), RepInput::Receipt(y)]);
            for j in 0..5u64 {
                let o = hg.keys[((i * 31 + j * 977) as usize) % n];
                let (x, y) = receipt_pair(o, r, u64::MAX / 4 + 1000 + i * 8 + j, DealTier::Proven);
                hub_items.push(RepInput::Rating(synth::rating(
                    o,
                    r,
                    x.nego.clone(),
                    true,
                    true,
                    T0 + 6,
                )));
                hub_items.extend([RepInput::Receipt(x), RepInput::Receipt(y)]);
            }
        }
        let changes = st.rep_commit(&hub_items)?;
        hub.apply_changes(&changes)?;
        for i in &hub_items {
            hub.apply(i);
        }
        let hv = synth::synth_key("hub-rater", 0);
        let htm = hub.trust_map(&hv)?;
        let mut hubt = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            std::hint::black_box(hub.screen(&htm, &subject, T0, false)?.weight_total);
            hubt.push(t.elapsed());
        }
        let hub_first = hubt.first().copied().unwrap_or_default();
        let hub_screen = median(hubt);
        drop(hub);

        println!(
            "| {} | {} | {} | {} + {} = {} | {} + {} = **{}** | {}: {} + {} = {} | {} MiB, {} | {:.0} / {:.0} / {:.0} µs | {:.0} µs | {:.0} / {:.0} µs | {:.1} µs / {:.0} µs | **{}** ({} + {}) | {}, {}, {}, {}, {}, {} = {} | {} | {:.0} MiB |",
            rep.graph().edge_count(),
            n,
            rep.ratings().len(),
            ms(rows_read),
            ms(rows_build),
            ms(rows_total),
            ms(ck_read),
            ms(ck_build),
            ms(ck_total),
            tail_len,
            ms(tail_read),
            ms(tail_build),
            ms(tail_total),
            mib(data.len()),
            ms(ck_write),
            median(tmt).as_secs_f64() * 1e6,
            median(tmw).as_secs_f64() * 1e6,
            median(tmu).as_secs_f64() * 1e6,
            median(sct).as_secs_f64() * 1e6,
            hub_first.as_secs_f64() * 1e6,
            hub_screen.as_secs_f64() * 1e6,
            engine_per_pair.as_secs_f64() * 1e6,
            whole.as_secs_f64() * 1e6,
            mib(g.total()),
            mib(g.adjacency),
            mib(g.nodes),
            mib(m.adjacency),
            mib(m.keys),
            mib(m.index),
            mib(m.nodes - m.keys - m.index),
            mib(m.deals),
            mib(mem_seen),
            mib(mem_total),
            mib(rep.ratings().heap_bytes()),
            db_mib,
        );
    }
    Ok(())
}
