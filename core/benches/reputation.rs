//! Reputation benchmarks (issue 5 "Numbers to report"): trust-map build from memory over 10k /
//! 100k / 1M proven edges, warm screening per subject, incremental receipt insert, graph memory.
//! Every deal is rated by both parties, one rating in 50 unsafe and unreliable, so the trust
//! map's vetting (issue 25: keys the viewer's network flags forward nothing) walks real reports;
//! `trust_map_graph_only` is the same walk without them (the propagation before issue 25).
//!
//! ```text
//! CARGO_TARGET_DIR=/root/.cache/freeport/release cargo bench -p freeport-core --bench reputation
//! ```
//!
//! Cold load from SQLite is not measured here: the store lands separately.

use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use freeport_core::protocol::receipt::DealTier;
use freeport_core::reputation::synth::{self, T0, receipt_pair, synth_key};
use freeport_core::reputation::{Params, Reputation};
use nostr::PublicKey;

struct Fixture {
    rep: Reputation,
    keys: Vec<PublicKey>,
    viewer: PublicKey,
    subject: PublicKey,
}

fn peak_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn fixture(edges: usize) -> Fixture {
    let nodes = edges / 3;
    let hg = synth::honest_graph(nodes, 50, 6, 7);
    let mut rep = Reputation::new(Params::default()).expect("default params");
    let t = Instant::now();
    for &(a, b, tier, d) in &hg.edges {
        let (x, y) = receipt_pair(hg.keys[a as usize], hg.keys[b as usize], d, tier);
        rep.insert_receipt(&x).expect("receipt");
        rep.insert_receipt(&y).expect("receipt");
    }
    let built = t.elapsed();
    for (i, &(a, b, _, d)) in hg.edges.iter().enumerate() {
        let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
        let nego = synth::synth_nego(ka, kb, d);
        for (j, (rater, ratee)) in [(ka, kb), (kb, ka)].into_iter().enumerate() {
            let ok = (2 * i + j) % 50 != 7;
            rep.insert_rating(synth::rating(rater, ratee, nego.clone(), ok, ok, T0 + 1))
                .expect("rating");
        }
    }
    let viewer = hg.keys[0];
    // The subject: a key two hops away; its partners rate it, their partners rate them.
    let g = rep.graph().clone();
    let v = g.node(&viewer).expect("viewer has deals");
    let hop1 = g.neighbors(v).next().expect("partner").0;
    let subject_id = g
        .neighbors(hop1)
        .map(|x| x.0)
        .find(|x| *x != v)
        .expect("two-hop key");
    let subject = *g.key(subject_id).expect("key");
    let mut deal = 1u64 << 56;
    let mut rate = |rep: &mut Reputation, rater: PublicKey, ratee: PublicKey, ok: bool| {
        deal += 1;
        let (x, y) = receipt_pair(rater, ratee, deal, DealTier::Met);
        rep.insert_receipt(&x).expect("receipt");
        rep.insert_receipt(&y).expect("receipt");
        rep.insert_rating(synth::rating(rater, ratee, x.nego, ok, ok, T0 + 5))
            .expect("rating");
    };
    let partners: Vec<PublicKey> = g
        .neighbors(subject_id)
        .filter_map(|(y, _)| g.key(y).copied())
        .collect();
    for (i, p) in partners.iter().enumerate() {
        rate(&mut rep, *p, subject, i % 4 != 0);
        let pid = g.node(p).expect("partner");
        let second: Vec<PublicKey> = g
            .neighbors(pid)
            .filter_map(|(y, _)| g.key(y).copied())
            .collect();
        for q in second {
            if q != subject {
                rate(&mut rep, q, *p, true);
            }
        }
    }
    let mem = rep.graph().memory();
    println!(
        "fixture {edges} target edges: {} keys, {} edges, insert-all {:.1?} ({:.2} µs/receipt half); \
         memory adjacency {:.2} MiB, nodes {:.2} MiB, deal index {:.2} MiB, total {:.2} MiB; peak RSS {} MiB",
        rep.graph().node_count(),
        rep.graph().edge_count(),
        built,
        built.as_secs_f64() * 1e6 / (2 * hg.edges.len()) as f64,
        mem.adjacency as f64 / 1048576.0,
        mem.nodes as f64 / 1048576.0,
        mem.deals as f64 / 1048576.0,
        mem.total() as f64 / 1048576.0,
        peak_rss_kib().map(|k| k / 1024).unwrap_or(0),
    );
    Fixture {
        rep,
        keys: hg.keys,
        viewer,
        subject,
    }
}

fn benches(c: &mut Criterion) {
    for (label, edges) in [("10k", 10_000usize), ("100k", 100_000), ("1M", 1_000_000)] {
        let mut f = fixture(edges);
        let tm = f.rep.trust_map(&f.viewer).unwrap();
        println!(
            "{label}: trust map reaches {} keys ({} without vetting), {} ratings held; subject screens as {:?} with {} raters",
            tm.len(),
            f.rep.trust_map_unvetted(&f.viewer).unwrap().len(),
            f.rep.ratings().len(),
            f.rep.screen(&tm, &f.subject, T0, false).unwrap().verdict,
            f.rep
                .screen(&tm, &f.subject, T0, true)
                .unwrap()
                .raters
                .map(|r| r.len())
                .unwrap_or(0)
        );
        let mut g = c.benchmark_group(format!("reputation_{label}"));
        g.sample_size(30);
        let mut vi = 0usize;
        g.bench_function("trust_map_from_memory", |b| {
            b.iter(|| {
                vi = (vi + 7919) % f.keys.len();
                black_box(f.rep.trust_map(&f.keys[vi]).unwrap().len())
            })
        });
        let mut vi = 0usize;
        g.bench_function("trust_map_graph_only", |b| {
            b.iter(|| {
                vi = (vi + 7919) % f.keys.len();
                black_box(f.rep.trust_map_unvetted(&f.keys[vi]).unwrap().len())
            })
        });
        g.bench_function("screen_warm", |b| {
            b.iter(|| {
                black_box(
                    f.rep
                        .screen(&tm, &f.subject, T0, false)
                        .unwrap()
                        .weight_total,
                )
            })
        });
        let mut deal = 1u64 << 60;
        let n = f.keys.len() as u64;
        g.bench_function("insert_receipt_pair", |b| {
            b.iter_batched(
                || {
                    deal += 1;
                    let a = f.keys[(deal % n) as usize];
                    let z = synth_key("bench-new", deal);
                    receipt_pair(a, z, deal, DealTier::Met)
                },
                |(x, y)| {
                    f.rep.insert_receipt(&x).expect("receipt");
                    f.rep.insert_receipt(&y).expect("receipt")
                },
                BatchSize::SmallInput,
            )
        });
        g.finish();
    }
}

criterion_group!(reputation, benches);
criterion_main!(reputation);
