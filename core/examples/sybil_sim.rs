//! Sybil evaluation harness (issue 5): synthetic honest neighbourhood graphs plus puppet clusters
//! of n ∈ {10, 100, 1000, 10000} with g ∈ {0, 1, 5, 20} genuine deals with honest users, measured
//! over many honest viewers with our weighting and with the reference client's as the baseline.
//!
//! ```text
//! cargo run --release -p freeport-core --example sybil_sim -- [--honest 10000] [--viewers 200]
//!     [--seed 42] [--png docs/img/sybil_puppet_weight.png]
//! ```
//!
//! Two attacks per (n, g):
//! * boost — the attacker's main account B did g genuine deals with honest users, who rated it
//!   unsafe and unreliable; all n puppets co-signed deals with B and rate it safe and reliable.
//! * badmouth — an honest target T rated well by its honest partners; g puppets did genuine deals
//!   with T and rate it unsafe and unreliable, every other puppet publishes a one-sided receipt
//!   ("no-show" claim) with T and rates it the same.
//!
//! Viewers are honest keys within three hops of the target's honest partners (the people who
//! would screen it); for g = 0 boost, B has no honest partners and viewers are uniform.
//! "Puppet weight" is the total weight of puppet ratings on the subject in units of one
//! direct-partner vote; a "flip" is a viewer whose safety or reliability flag on the subject
//! differs with and without the puppets' ratings.

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use freeport_core::protocol::receipt::DealTier;
use freeport_core::reputation::reference::reference_screen;
use freeport_core::reputation::synth::{self, T0, receipt_pair};
use freeport_core::reputation::{Params, Reputation, Screening};
use nostr::PublicKey;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const NOW: u64 = T0 + 30 * 86_400;

struct Args {
    honest: usize,
    viewers: usize,
    seed: u64,
    png: String,
}

fn args() -> Args {
    let mut a = Args {
        honest: 10_000,
        viewers: 200,
        seed: 42,
        png: "docs/img/sybil_puppet_weight.png".into(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < v.len() {
        match v[i].as_str() {
            "--honest" => a.honest = v[i + 1].parse().unwrap_or(a.honest),
            "--viewers" => a.viewers = v[i + 1].parse().unwrap_or(a.viewers),
            "--seed" => a.seed = v[i + 1].parse().unwrap_or(a.seed),
            "--png" => a.png = v[i + 1].clone(),
            _ => {}
        }
        i += 2;
    }
    a
}

#[derive(Default, Clone, Copy)]
struct Stat {
    puppet_weight: f64,
    flips: usize,
    viewers: usize,
    crossing: f64,
}

fn flags(s: &Screening) -> (bool, bool) {
    (s.safety.flagged, s.reliability.flagged)
}

/// Honest keys within `hops` of any of `from` in the honest adjacency.
fn near(adj: &[Vec<u32>], from: &[u32], hops: usize) -> Vec<u32> {
    let mut seen = HashSet::new();
    let mut q = VecDeque::new();
    for &f in from {
        if seen.insert(f) {
            q.push_back((f, 0));
        }
    }
    while let Some((x, d)) = q.pop_front() {
        if d == hops {
            continue;
        }
        for &y in &adj[x as usize] {
            if seen.insert(y) {
                q.push_back((y, d + 1));
            }
        }
    }
    let mut v: Vec<u32> = seen.into_iter().collect();
    v.sort_unstable();
    v
}

struct Measure {
    ours: Stat,
    reference: Stat,
}

/// Screens `subject` for each viewer in `honest_only` and `attacked` and accumulates stats.
fn measure(
    honest_only: &Reputation,
    attacked: &Reputation,
    viewers: &[PublicKey],
    subject: &PublicKey,
    puppets: &HashSet<PublicKey>,
    attack_edges: &[(PublicKey, PublicKey)],
) -> Measure {
    let p = attacked.params();
    let mut m = Measure {
        ours: Stat::default(),
        reference: Stat::default(),
    };
    let puppet_hex: HashSet<String> = puppets.iter().map(|k| k.to_hex()).collect();
    for v in viewers {
        let t0 = honest_only.trust_map(v).unwrap();
        let t1 = attacked.trust_map(v).unwrap();
        let before = honest_only.screen(&t0, subject, NOW, false).unwrap();
        let after = attacked.screen(&t1, subject, NOW, true).unwrap();
        let pw: f64 = after
            .raters
            .iter()
            .flatten()
            .filter(|r| puppet_hex.contains(&r.pubkey))
            .map(|r| r.weight)
            .sum();
        m.ours.puppet_weight += pw;
        m.ours.flips += usize::from(flags(&before) != flags(&after));
        m.ours.viewers += 1;
        let g = attacked.graph();
        m.ours.crossing += attack_edges
            .iter()
            .filter_map(|(h, a)| Some(t1.edge_flow(g, g.node(h)?, g.node(a)?)))
            .sum::<f64>();
        let rb = reference_screen(honest_only.graph(), honest_only.ratings(), &t0, subject, p);
        let ra = reference_screen(g, attacked.ratings(), &t1, subject, p);
        let rpw: f64 = ra
            .raters
            .iter()
            .filter(|(k, _)| puppets.contains(k))
            .map(|x| x.1)
            .sum();
        m.reference.puppet_weight += rpw;
        let fb = (rb.safety.flagged, rb.reliability.flagged);
        let fa = (ra.safety.flagged, ra.reliability.flagged);
        m.reference.flips += usize::from(fb != fa);
        m.reference.viewers += 1;
    }
    m
}

fn main() {
    let a = args();
    let started = Instant::now();
    let hg = synth::honest_graph(a.honest, 50, 6, a.seed);
    let mut base = Reputation::new(Params::default()).expect("default params are valid");
    let mut adj = vec![Vec::new(); a.honest];
    for &(x, y, tier, d) in &hg.edges {
        let (r1, r2) = receipt_pair(hg.keys[x as usize], hg.keys[y as usize], d, tier);
        base.insert_receipt(&r1).expect("synthetic receipt");
        base.insert_receipt(&r2).expect("synthetic receipt");
        adj[x as usize].push(y);
        adj[y as usize].push(x);
    }
    let mut rng = StdRng::seed_from_u64(a.seed ^ 0xfeed);
    // Honest recall over random viewers.
    let p = Params::default();
    let mut ring_sum = [0.0f64; 3];
    let mut ring_n = [0usize; 3];
    for _ in 0..a.viewers {
        let v = hg.keys[rng.gen_range(0..a.honest)];
        let t = base.trust_map(&v).unwrap();
        for (_, e) in t.iter() {
            if let Some(h) = e.hop() {
                let h = usize::from(h);
                ring_sum[h] += e.trust / p.ring_caps[h];
                ring_n[h] += 1;
            }
        }
    }
    let all: f64 = ring_sum.iter().sum::<f64>() / ring_n.iter().sum::<usize>().max(1) as f64;
    println!(
        "honest graph: {} keys, {} proven edges (built in {:.2?})",
        a.honest,
        base.graph().edge_count(),
        started.elapsed()
    );
    println!(
        "honest recall (trust / ring cap, mean over {} viewers): hop0 {:.3}  hop1 {:.3}  hop2 {:.3}  all {:.3}",
        a.viewers,
        ring_sum[0] / ring_n[0].max(1) as f64,
        ring_sum[1] / ring_n[1].max(1) as f64,
        ring_sum[2] / ring_n[2].max(1) as f64,
        all
    );

    // The honest target T (badmouth) and its honest ratings.
    let target_ix = rng.gen_range(0..a.honest);
    let target = hg.keys[target_ix];
    for &(x, y, _, d) in &hg.edges {
        let (xk, yk) = (hg.keys[x as usize], hg.keys[y as usize]);
        if xk == target || yk == target {
            let rater = if xk == target { yk } else { xk };
            let nego = synth::synth_nego(xk, yk, d);
            base.insert_rating(synth::rating(rater, target, nego, true, true, T0 + 1))
                .expect("synthetic rating");
        }
    }

    let ns = [10usize, 100, 1000, 10_000];
    let gs = [0usize, 1, 5, 20];
    let mut rows = Vec::new();
    println!();
    println!(
        "{:>6} {:>3} | {:>11} {:>9} {:>11} | {:>11} {:>9} | {:>11} {:>9} | {:>11} {:>9}",
        "n",
        "g",
        "boost ours",
        "flip",
        "crossing",
        "boost ref",
        "flip",
        "badm. ours",
        "flip",
        "badm. ref",
        "flip"
    );
    let pick = |pool: &[u32], rng: &mut StdRng| -> Vec<PublicKey> {
        let mut v: Vec<u32> = pool.to_vec();
        v.shuffle(rng);
        v.truncate(a.viewers);
        v.into_iter().map(|i| hg.keys[i as usize]).collect()
    };
    for &g in &gs {
        // Same neighbourhood, attack endpoints and viewers for every n at this g, so the rows
        // differ only by the cluster size.
        let mut grng = StdRng::seed_from_u64(a.seed ^ (g as u64).wrapping_mul(0x9e37_79b9));
        let comm = grng.gen_range(0..(a.honest / 50).max(1)) * 50;
        let b_partners: Vec<u32> = (0..g).map(|j| (comm + (j * 7) % 50) as u32).collect();
        let boost_viewers = if b_partners.is_empty() {
            let all: Vec<u32> = (0..a.honest as u32).collect();
            pick(&all, &mut grng)
        } else {
            pick(&near(&adj, &b_partners, 3), &mut grng)
        };
        let bad_viewers = pick(&near(&adj, &[target_ix as u32], 3), &mut grng);
        for &n in &ns {
            let cluster = synth::sybil_cluster("puppet", n, 8, a.seed.wrapping_add(n as u64));
            let mut world = base.clone();
            for &(x, y, d) in &cluster.edges {
                let (r1, r2) = receipt_pair(
                    cluster.keys[x as usize],
                    cluster.keys[y as usize],
                    d,
                    DealTier::Met,
                );
                world.insert_receipt(&r1).expect("synthetic receipt");
                world.insert_receipt(&r2).expect("synthetic receipt");
            }
            let b = cluster.keys[0];
            let mut deal = 1u64 << 55;
            let mut next = || {
                deal += 1;
                deal
            };
            // Boost: g honest partners of B in one neighbourhood rate it badly.
            let mut boost_edges = Vec::new();
            for &h_ix in &b_partners {
                let h = hg.keys[h_ix as usize];
                let (r1, r2) = receipt_pair(h, b, next(), DealTier::Met);
                world.insert_receipt(&r1).expect("receipt");
                world.insert_receipt(&r2).expect("receipt");
                world
                    .insert_rating(synth::rating(h, b, r1.nego, false, false, T0 + 2))
                    .expect("rating");
                boost_edges.push((h, b));
            }
            // Badmouth: g puppets with genuine deals with T.
            let mut bad_edges = Vec::new();
            let mut genuine_t = Vec::new();
            for j in 0..g.min(n) {
                let pu = cluster.keys[(j + 1) % n];
                let (r1, r2) = receipt_pair(target, pu, next(), DealTier::Met);
                world.insert_receipt(&r1).expect("receipt");
                world.insert_receipt(&r2).expect("receipt");
                bad_edges.push((target, pu));
                genuine_t.push((pu, r1.nego));
            }
            let honest_only = world.clone();
            // Puppet ratings.
            for &pu in cluster.keys.iter().skip(1) {
                let (r1, r2) = receipt_pair(b, pu, next(), DealTier::Met);
                world.insert_receipt(&r1).expect("receipt");
                world.insert_receipt(&r2).expect("receipt");
                world
                    .insert_rating(synth::rating(pu, b, r1.nego, true, true, T0 + 3))
                    .expect("rating");
            }
            let genuine: HashSet<PublicKey> = genuine_t.iter().map(|x| x.0).collect();
            for (pu, nego) in genuine_t {
                world
                    .insert_rating(synth::rating(pu, target, nego, false, false, T0 + 3))
                    .expect("rating");
            }
            for &pu in &cluster.keys {
                if genuine.contains(&pu) {
                    continue;
                }
                let (claim, _) = receipt_pair(pu, target, next(), DealTier::Proven);
                world.insert_receipt(&claim).expect("receipt");
                world
                    .insert_rating(synth::rating(pu, target, claim.nego, false, false, T0 + 3))
                    .expect("rating");
            }
            // The boost world must also contain B's puppet deals without their ratings, so the
            // only difference between the two worlds is the puppets' ratings.
            let mut honest_b = honest_only.clone();
            let mut deal2 = 1u64 << 55;
            deal2 += (g + g.min(n)) as u64;
            for &pu in cluster.keys.iter().skip(1) {
                deal2 += 1;
                let (r1, r2) = receipt_pair(b, pu, deal2, DealTier::Met);
                honest_b.insert_receipt(&r1).expect("receipt");
                honest_b.insert_receipt(&r2).expect("receipt");
            }
            let puppets: HashSet<PublicKey> = cluster.keys.iter().copied().collect();
            let mb = measure(
                &honest_b,
                &world,
                &boost_viewers,
                &b,
                &puppets,
                &boost_edges,
            );
            let mt = measure(
                &honest_b,
                &world,
                &bad_viewers,
                &target,
                &puppets,
                &bad_edges,
            );
            let avg = |s: Stat| s.puppet_weight / s.viewers.max(1) as f64;
            let rate = |s: Stat| s.flips as f64 / s.viewers.max(1) as f64;
            println!(
                "{:>6} {:>3} | {:>11.4} {:>8.1}% {:>11.4} | {:>11.3} {:>8.1}% | {:>11.4} {:>8.1}% | {:>11.3} {:>8.1}%",
                n,
                g,
                avg(mb.ours),
                100.0 * rate(mb.ours),
                mb.ours.crossing / mb.ours.viewers.max(1) as f64,
                avg(mb.reference),
                100.0 * rate(mb.reference),
                avg(mt.ours),
                100.0 * rate(mt.ours),
                avg(mt.reference),
                100.0 * rate(mt.reference),
            );
            rows.push((
                n,
                g,
                avg(mb.ours),
                avg(mb.reference),
                avg(mt.ours),
                avg(mt.reference),
            ));
        }
    }
    println!("\n(total {:.1?})", started.elapsed());
    match plot(&rows, &a.png) {
        Ok(()) => println!("plot written to {}", a.png),
        Err(e) => eprintln!("plot not written: {e}"),
    }
}

type Row = (usize, usize, f64, f64, f64, f64);

fn plot(rows: &[Row], path: &str) -> Result<(), Box<dyn std::error::Error>> {
    use plotters::prelude::*;
    let font = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").ok();
    let has_font = match font {
        Some(bytes) => {
            let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
            plotters::style::register_font("sans-serif", FontStyle::Normal, bytes).is_ok()
        }
        None => false,
    };
    let (w, h) = (1000u32, 640u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut builder = ChartBuilder::on(&root);
        builder
            .margin(20)
            .x_label_area_size(45)
            .y_label_area_size(70);
        if has_font {
            builder.caption(
                "Boost attack: puppet weight on the attacker's account (units: one direct partner)",
                ("sans-serif", 18),
            );
        }
        let mut chart = builder.build_cartesian_2d(
            (5f64..20_000f64).log_scale(),
            (1e-4f64..2_000f64).log_scale(),
        )?;
        if has_font {
            chart
                .configure_mesh()
                .x_desc("puppets n")
                .y_desc("mean puppet weight")
                .draw()?;
        } else {
            chart
                .configure_mesh()
                .disable_x_mesh()
                .disable_y_mesh()
                .draw()?;
        }
        let colors = [BLUE, GREEN, MAGENTA, RED];
        for (ci, g) in [0usize, 1, 5, 20].into_iter().enumerate() {
            let color = colors[ci];
            let ours: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.1 == g)
                .map(|r| (r.0 as f64, r.2.max(1e-4)))
                .collect();
            let refr: Vec<(f64, f64)> = rows
                .iter()
                .filter(|r| r.1 == g)
                .map(|r| (r.0 as f64, r.3.max(1e-4)))
                .collect();
            let s = chart.draw_series(LineSeries::new(ours.clone(), color.stroke_width(3)))?;
            if has_font {
                s.label(format!("ours, g={g}")).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(3))
                });
            }
            chart.draw_series(ours.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
            let s = chart.draw_series(LineSeries::new(refr.clone(), color.stroke_width(1)))?;
            if has_font {
                s.label(format!("reference, g={g}")).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(1))
                });
            }
            chart.draw_series(refr.iter().map(|p| Cross::new(*p, 4, color)))?;
        }
        if has_font {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperLeft)
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .draw()?;
        }
        root.present()?;
    }
    let img = image::RgbImage::from_raw(w, h, buf).ok_or("buffer size")?;
    if let Some(dir) = std::path::Path::new(path).parent() {
        std::fs::create_dir_all(dir)?;
    }
    img.save(path)?;
    Ok(())
}
