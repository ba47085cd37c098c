//! Cold load of the reputation engine from SQLite vs from memory (issue 5, "Numbers to report").
//!
//! For 10k / 100k / 1M proven edges (synthetic community graphs, degree ≈ 6, every deal with a
//! rating): writes the persisted projection once, then measures, each the median of 5 runs:
//! reading the `rep_*` rows, the bulk build, the sequential per-half build it replaces, a trust
//! map and a warm screening, plus graph memory.
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/freeport/release cargo run --release -p freeport-core --example rep_coldload [sizes] [ratings 0|1]
//! ```

use std::time::{Duration, Instant};

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

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .nth(1)
        .map(|a| a.split(',').filter_map(|x| x.parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000, 1_000_000]);
    // Second argument: ratings per deal, 0 or 1 (default 1).
    let with_ratings = std::env::args().nth(2).is_none_or(|a| a != "0");
    println!(
        "| proven edges | keys | ratings | read rows | bulk build | cold load total | per-half inserts (old path) | trust map | screening warm | graph adjacency | keys+index | deal index | db size |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
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
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("cold.db");
        let key = DataKey::generate();
        {
            let st = Store::open_with_key(&path, key.clone())?;
            st.rep_rebuild(&items)?;
        }
        let db_mib = std::fs::metadata(&path)?.len() as f64 / 1048576.0;
        let st = Store::open_with_key(&path, key)?;
        let (mut read, mut build, mut total) = (Vec::new(), Vec::new(), Vec::new());
        let mut rep = None;
        for _ in 0..5 {
            let t = Instant::now();
            let parts = st.rep_load_ready()?.ok_or("projection not ready")?;
            let r = t.elapsed();
            let t2 = Instant::now();
            let built = Reputation::from_parts(Params::default(), parts)?;
            let b = t2.elapsed();
            read.push(r);
            build.push(b);
            total.push(t.elapsed());
            rep = Some(built);
        }
        let rep = rep.ok_or("no run")?;
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
        let tm = rep.trust_map(&viewer);
        let subject = hg.keys[1];
        let mut tmt = Vec::new();
        let mut sct = Vec::new();
        for i in 0..50usize {
            let v = hg.keys[(i * 7919) % hg.keys.len()];
            let t = Instant::now();
            std::hint::black_box(rep.trust_map(&v).len());
            tmt.push(t.elapsed());
            let t = Instant::now();
            std::hint::black_box(rep.screen(&tm, &subject, T0, false).weight_total);
            sct.push(t.elapsed());
        }
        let mem = rep.graph().memory();
        let mib = |b: usize| format!("{:.1} MiB", b as f64 / 1048576.0);
        println!(
            "| {} | {} | {} | {} | {} | **{}** | {} | {:.0} µs | {:.0} µs | {} | {} | {} | {:.0} MiB |",
            rep.graph().edge_count(),
            rep.graph().node_count(),
            rep.ratings().len(),
            ms(median(read)),
            ms(median(build)),
            ms(median(total)),
            ms(median(seq)),
            median(tmt).as_secs_f64() * 1e6,
            median(sct).as_secs_f64() * 1e6,
            mib(mem.adjacency),
            mib(mem.nodes),
            mib(mem.deals),
            db_mib,
        );
    }
    Ok(())
}
