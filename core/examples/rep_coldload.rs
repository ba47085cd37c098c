//! Cold load of the reputation engine from SQLite vs from memory (issue 5, "Numbers to report").
//!
//! For 10k / 100k / 1M proven edges (synthetic community graphs, degree ≈ 6; ratings optional):
//! writes the persisted projection once, then measures, each the median of 5 runs:
//! * the row load (no checkpoint): reading every `rep_*` row, then the bulk build;
//! * the checkpoint load: reading the blob (+ the rows after it), then decoding it;
//! * the same with the longest tail the app allows before it checkpoints again (deals paired
//!   after the checkpoint, replayed from rows at load);
//! * the old in-memory path (every receipt half inserted one by one);
//! * a trust map and a warm screening on the loaded engine, an incremental receipt pair into it
//!   (mean over 2 000 new deals), and its memory by part.
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/freeport/release cargo run --release -p freeport-core --example rep_coldload [sizes] [ratings 0|1]
//! ```

use std::time::{Duration, Instant};

use freeport_core::protocol::receipt::DealTier;
use freeport_core::reputation::synth::{self, T0, receipt_pair};
use freeport_core::reputation::{Params, RepInput, Reputation};
use freeport_core::store::{DataKey, Store};

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

/// Reads with `read`, builds with `from_parts`, 5 times; medians of read, build, total.
fn load(
    st: &Store,
    read: impl Fn(&Store) -> Option<freeport_core::reputation::RepParts>,
) -> Result<(Duration, Duration, Duration, Reputation), Box<dyn std::error::Error>> {
    let (mut r, mut b, mut t) = (Vec::new(), Vec::new(), Vec::new());
    let mut last: Option<Reputation> = None;
    for _ in 0..5 {
        let t0 = Instant::now();
        let parts = read(st).ok_or("projection not ready")?;
        let r0 = t0.elapsed();
        let t1 = Instant::now();
        let rep = Reputation::from_parts(Params::default(), parts)?;
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
        "| edges | keys | ratings | rows: read + build = load | checkpoint: read + decode = **cold load** | longest tail: deals, read + replay = load | checkpoint size, write | per-half inserts (old) | trust map | screening warm | receipt pair, incremental | adjacency | keys | index | stats | deal index | first-seen | rating book | db |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
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
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("cold.db");
        let key = DataKey::generate();
        {
            let st = Store::open_with_key(&path, key.clone())?;
            st.rep_rebuild(&items)?;
        }
        let db_mib = std::fs::metadata(&path)?.len() as f64 / 1048576.0;
        let st = Store::open_with_key(&path, key)?;

        let (rows_read, rows_build, rows_total, mut rep) =
            load(&st, |s| s.rep_load_rows_ready().ok().flatten())?;
        let t = Instant::now();
        let data = rep.checkpoint()?;
        st.rep_checkpoint_save(&data)?;
        let ck_write = t.elapsed();
        let (ck_read, ck_build, ck_total, rep) = load(&st, |s| s.rep_load_ready().ok().flatten())?;

        let mut seq = Vec::new();
        for _ in 0..if edges >= 1_000_000 { 1 } else { 3 } {
            let t = Instant::now();
            let mut r = Reputation::new(Params::default())?;
            for i in &items {
                r.apply(i);
            }
            seq.push(t.elapsed());
        }

        let viewer = hg.keys[0];
        let tm = rep.trust_map(&viewer).unwrap();
        let subject = hg.keys[1];
        let mut tmt = Vec::new();
        let mut sct = Vec::new();
        for i in 0..50usize {
            let v = hg.keys[(i * 7919) % n];
            let t = Instant::now();
            std::hint::black_box(rep.trust_map(&v).unwrap().len());
            tmt.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(rep.screen(&tm, &subject, T0, false).unwrap().weight_total);
            sct.push(t.elapsed());
        }
        let g = rep.graph().memory();
        let seen = rep.first_seen_bytes();

        let mut inc = rep.clone();
        let pairs: Vec<_> = (0..2000).map(fresh).collect();
        let t = Instant::now();
        for (x, y) in &pairs {
            inc.insert_receipt(x)?;
            inc.insert_receipt(y)?;
        }
        let per_pair = t.elapsed() / pairs.len() as u32;
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
            load(&st, |s| s.rep_load_ready().ok().flatten())?;

        println!(
            "| {} | {} | {} | {} + {} = {} | {} + {} = **{}** | {}: {} + {} = {} | {} MiB, {} | {} | {:.0} µs | {:.0} µs | {:.1} µs | {} | {} | {} | {} | {} | {} | {} | {:.0} MiB |",
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
            ms(median(seq)),
            median(tmt).as_secs_f64() * 1e6,
            median(sct).as_secs_f64() * 1e6,
            per_pair.as_secs_f64() * 1e6,
            mib(g.adjacency),
            mib(g.keys),
            mib(g.index),
            mib(g.nodes - g.keys - g.index),
            mib(g.deals),
            mib(seen),
            mib(rep.ratings().heap_bytes()),
            db_mib,
        );
    }
    Ok(())
}
