//! Sybil evaluation harness (issues 5 and 25): synthetic honest neighbourhood graphs plus puppet
//! clusters of n ∈ {10, 100, 1000, 10000} with g ∈ {0, 1, 5, 20} genuine deals with honest
//! users, measured over many honest viewers with our weighting — *before* (trust from the graph
//! alone, every key forwards) and *after* (keys the viewer's network flags unsafe forward
//! nothing, issue 25) — and with the reference client's weighting as the baseline.
//!
//! ```text
//! cargo run --release -p freeport-core --example sybil_sim -- [--honest 10000] [--viewers 200]
//!     [--seed 42] [--unfair 0.02] [--png docs/img/sybil_puppet_weight.png]
//! ```
//!
//! The honest world: every honest deal is rated by both parties, safe and reliable, except a
//! share `--unfair` of the ratings, which say unsafe and unreliable (mistakes, grudges).
//!
//! Two attacks per (n, g):
//! * (a) flagged attacker — the attacker's main account B did g genuine deals with honest users
//!   of one neighbourhood, who rated it unsafe and unreliable; all n − 1 other puppets co-signed
//!   deals with B (and densely among themselves) and rate it safe and reliable. A brand-new
//!   account M did deals with 20 puppets only, who praise it.
//! * (b) badmouth — the best-connected honest key T, rated well by its honest partners; g
//!   puppets did a genuine deal with T *and* one with another honest key of T's neighbourhood
//!   (so they can sit as close to a viewer as T does), and rate T unsafe and unreliable; every
//!   other puppet publishes a one-sided receipt ("no-show" claim) with T and rates it the same.
//!   Besides T's own record, the question is whether this cuts the trust T forwards: how many
//!   screenings of the honest keys behind T (its partners one ring further from the viewer)
//!   change.
//!
//! Viewers are honest keys within three hops of the target's honest partners (the people who
//! would screen it); for g = 0 in (a), B has no honest partners and viewers are uniform.
//! "Puppet weight" is the total weight of puppet ratings on the subject in units of one
//! direct-partner vote; a "flip" is a viewer whose safety or reliability flag on the subject
//! differs with and without the puppets' ratings (same deals in both worlds); "held" is the
//! trust the n − 1 puppets other than B together keep as raters; "M in net" is M's "partners
//! in your network"; "T cut" is the share of viewers whose trust map flags T (it forwards
//! nothing).

use std::collections::{HashSet, VecDeque};
use std::time::Instant;

use freeport_core::protocol::NegoId;
use freeport_core::protocol::receipt::DealTier;
use freeport_core::reputation::reference::reference_screen;
use freeport_core::reputation::synth::{self, T0, receipt_pair};
use freeport_core::reputation::{Params, Reputation, Screening, TrustMap};
use nostr::PublicKey;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

const NOW: u64 = T0 + 30 * 86_400;

struct Args {
    honest: usize,
    viewers: usize,
    seed: u64,
    unfair: f64,
    png: String,
}

fn args() -> Args {
    let mut a = Args {
        honest: 10_000,
        viewers: 200,
        seed: 42,
        unfair: 0.02,
        png: "docs/img/sybil_puppet_weight.png".into(),
    };
    let v: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i + 1 < v.len() {
        match v[i].as_str() {
            "--honest" => a.honest = v[i + 1].parse().unwrap_or(a.honest),
            "--viewers" => a.viewers = v[i + 1].parse().unwrap_or(a.viewers),
            "--seed" => a.seed = v[i + 1].parse().unwrap_or(a.seed),
            "--unfair" => a.unfair = v[i + 1].parse().unwrap_or(a.unfair),
            "--png" => a.png = v[i + 1].clone(),
            _ => {}
        }
        i += 2;
    }
    a
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

/// Means over viewers, indexed [reference, before, after] where it applies.
#[derive(Default, Clone, Copy)]
struct Row {
    viewers: usize,
    /// Puppet weight on the subject.
    weight: [f64; 3],
    /// Viewers whose flag on the subject flipped.
    flips: [usize; 3],
    /// Trust the puppets other than the subject hold (before, after).
    held: [f64; 2],
    /// (a): M's partners in your network, and the puppets' weight on M (before, after).
    m_in_net: [f64; 2],
    m_weight: [f64; 2],
    /// (b): screenings of keys behind T, how many changed, viewers with any change, viewers
    /// whose map flags T (before, after).
    behind: usize,
    behind_changed: [usize; 2],
    viewers_changed: [usize; 2],
    t_flagged: [usize; 2],
}

impl Row {
    fn mean(&self, x: f64) -> f64 {
        x / self.viewers.max(1) as f64
    }
    fn pct(&self, x: usize) -> f64 {
        100.0 * x as f64 / self.viewers.max(1) as f64
    }
}

fn puppet_weight(s: &Screening, puppets: &HashSet<String>) -> f64 {
    s.raters
        .iter()
        .flatten()
        .filter(|r| puppets.contains(&r.pubkey))
        .map(|r| r.weight)
        .sum()
}

/// The two trust maps of `viewer` in `rep`: [before (graph alone), after (vetted)].
fn maps(rep: &Reputation, viewer: &PublicKey) -> [TrustMap; 2] {
    [
        rep.trust_map_unvetted(viewer).expect("memory-mode engine"),
        rep.trust_map(viewer).expect("memory-mode engine"),
    ]
}

/// Screens `subject` for every viewer in `honest` (the same deals, without the puppets'
/// ratings) and `attacked`, with the reference weighting and our propagation before and after.
struct Scene<'a> {
    honest: &'a Reputation,
    attacked: &'a Reputation,
    subject: PublicKey,
    puppets: &'a HashSet<PublicKey>,
    puppet_hex: HashSet<String>,
}

impl Scene<'_> {
    fn screen(rep: &Reputation, t: &TrustMap, who: &PublicKey) -> Screening {
        rep.screen(t, who, NOW, true).expect("memory-mode engine")
    }

    /// Reference, before, after: puppet weight and flips on the subject, puppet-held trust.
    fn subject(&self, row: &mut Row, viewer: &PublicKey) -> ([TrustMap; 2], [TrustMap; 2]) {
        let (h, a) = (maps(self.honest, viewer), maps(self.attacked, viewer));
        let p = self.attacked.params();
        // The reference: plain breadth-first hops (the "before" map's rings).
        let rb = reference_screen(
            self.honest.graph(),
            self.honest.ratings(),
            &h[0],
            &self.subject,
            p,
        );
        let ra = reference_screen(
            self.attacked.graph(),
            self.attacked.ratings(),
            &a[0],
            &self.subject,
            p,
        );
        row.weight[0] += ra
            .raters
            .iter()
            .filter(|(k, _)| self.puppets.contains(k))
            .map(|x| x.1)
            .sum::<f64>();
        let rf = |r: &freeport_core::reputation::reference::ReferenceResult| {
            (r.safety.flagged, r.reliability.flagged)
        };
        row.flips[0] += usize::from(rf(&rb) != rf(&ra));
        for i in 0..2 {
            let before = Self::screen(self.honest, &h[i], &self.subject);
            let after = Self::screen(self.attacked, &a[i], &self.subject);
            row.weight[i + 1] += puppet_weight(&after, &self.puppet_hex);
            row.flips[i + 1] += usize::from(flags(&before) != flags(&after));
            let g = self.attacked.graph();
            row.held[i] += self
                .puppets
                .iter()
                .filter(|k| **k != self.subject)
                .filter_map(|k| a[i].get(g, k))
                .map(|e| e.trust)
                .sum::<f64>();
        }
        row.viewers += 1;
        (h, a)
    }
}

/// What changed in a screening that a user sees: verdict, flags, partners in your network.
fn seen(s: &Screening) -> (freeport_core::reputation::Verdict, (bool, bool), u32) {
    (s.verdict, flags(s), s.partners_in_network)
}

/// `graph` with every honest deal rated by both parties: safe and reliable, except a share
/// `unfair` of the ratings (never those of `target`, whose partners all rate it well). Returns
/// the engine and the number of unfair ratings.
fn rated(
    graph: &Reputation,
    hg: &synth::HonestGraph,
    target: PublicKey,
    unfair: f64,
    seed: u64,
) -> (Reputation, usize) {
    let mut rep = graph.clone();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x0ea7);
    let mut count = 0;
    for &(x, y, _, d) in &hg.edges {
        let (xk, yk) = (hg.keys[x as usize], hg.keys[y as usize]);
        let nego = synth::synth_nego(xk, yk, d);
        for (rater, ratee) in [(xk, yk), (yk, xk)] {
            let ok = !rng.gen_bool(unfair) || ratee == target;
            count += usize::from(!ok);
            rep.insert_rating(synth::rating(rater, ratee, nego.clone(), ok, ok, T0 + 1))
                .expect("synthetic rating");
        }
    }
    (rep, count)
}

/// Prints honest recall before and after for `viewers`: trust over the ring cap of every key
/// the plain rings reach (a key the vetted map no longer reaches counts 0).
fn recall(rep: &Reputation, viewers: &[PublicKey], unfair: f64) {
    let p = rep.params();
    let mut ring_sum = [[0.0f64; 3]; 2];
    let mut ring_n = [0usize; 3];
    let (mut judged, mut flagged, mut lost, mut warned) = (0usize, 0usize, 0usize, 0usize);
    for v in viewers {
        let [t0, t1] = maps(rep, v);
        for (x, e) in t0.iter() {
            let Some(h) = e.hop().map(usize::from) else {
                continue;
            };
            ring_n[h] += 1;
            ring_sum[0][h] += e.trust / p.ring_caps[h];
            match t1.entry(x) {
                Some(after) => ring_sum[1][h] += after.trust / p.ring_caps[h],
                None => lost += 1,
            }
        }
        for (x, e) in t1.iter() {
            if e.hop().is_some_and(|h| h < 2) {
                judged += 1;
                flagged += usize::from(e.flagged);
                if e.flagged
                    && let Some(k) = t1.key(x)
                {
                    let sc = rep.screen(&t1, k, NOW, false).expect("memory-mode engine");
                    warned += usize::from(sc.safety.flagged);
                }
            }
        }
    }
    let total: usize = ring_n.iter().sum();
    let line = |i: usize| {
        format!(
            "hop0 {:.3}  hop1 {:.3}  hop2 {:.3}  all {:.3}",
            ring_sum[i][0] / ring_n[0].max(1) as f64,
            ring_sum[i][1] / ring_n[1].max(1) as f64,
            ring_sum[i][2] / ring_n[2].max(1) as f64,
            ring_sum[i].iter().sum::<f64>() / total.max(1) as f64,
        )
    };
    println!(
        "  {:>4.1} % unfair ratings: before {}  |  after {}  |  {:.2} % of honest keys in rings 0-1 \
         flagged ({:.0} % of them also carry the safety warning when screened), {:.2} % of keys no \
         longer reached",
        100.0 * unfair,
        line(0),
        line(1),
        100.0 * flagged as f64 / judged.max(1) as f64,
        100.0 * warned as f64 / flagged.max(1) as f64,
        100.0 * lost as f64 / total.max(1) as f64
    );
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
    // The best-connected honest key is the badmouthing target; its partners all rate it well.
    let target_ix = (0..a.honest)
        .max_by_key(|i| (adj[*i].len(), std::cmp::Reverse(*i)))
        .unwrap_or(0);
    let target = hg.keys[target_ix];
    let graph_only = base;
    let (base, unfair) = rated(&graph_only, &hg, target, a.unfair, a.seed);
    println!(
        "honest graph: {} keys, {} proven edges, {} ratings ({} unfair: unsafe and unreliable) \
         (built in {:.2?})",
        a.honest,
        base.graph().edge_count(),
        base.ratings().len(),
        unfair,
        started.elapsed()
    );

    // Honest recall over random viewers, before and after: trust over the ring cap of every
    // key the plain rings reach (a key no longer reached counts 0), so what unfair ratings cost
    // by flagging honest keys shows — at this run's share of unfair ratings and two others.
    let recall_viewers: Vec<PublicKey> = (0..a.viewers)
        .map(|_| hg.keys[rng.gen_range(0..a.honest)])
        .collect();
    println!(
        "honest recall (trust / ring cap over the keys the plain rings reach, mean over {} viewers):",
        a.viewers
    );
    let mut shares = vec![0.01, a.unfair, 0.05];
    shares.sort_by(f64::total_cmp);
    shares.dedup();
    for share in shares {
        let other;
        let world = if share == a.unfair {
            &base
        } else {
            other = rated(&graph_only, &hg, target, share, a.seed).0;
            &other
        };
        recall(world, &recall_viewers, share);
    }
    drop(graph_only);
    println!("badmouthing target T: {} partners", adj[target_ix].len());

    let ns = [10usize, 100, 1000, 10_000];
    let gs = [0usize, 1, 5, 20];
    let mut rows_a = Vec::new();
    let mut rows_b = Vec::new();
    let pick = |pool: &[u32], rng: &mut StdRng| -> Vec<PublicKey> {
        let mut v: Vec<u32> = pool.to_vec();
        v.shuffle(rng);
        v.truncate(a.viewers);
        v.into_iter().map(|i| hg.keys[i as usize]).collect()
    };
    let m_key = synth::synth_key("newcomer", a.seed);
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
        // (b): the honest keys of T's neighbourhood the double-dealing puppets also deal with.
        let t_comm = target_ix - target_ix % 50;
        let t_partners: HashSet<u32> = adj[target_ix].iter().copied().collect();
        let mut doubles: Vec<u32> = (t_comm..(t_comm + 50).min(a.honest))
            .map(|i| i as u32)
            .filter(|i| *i as usize != target_ix && !t_partners.contains(i))
            .collect();
        doubles.shuffle(&mut grng);
        for &n in &ns {
            let cluster = synth::sybil_cluster("puppet", n, 8, a.seed.wrapping_add(n as u64));
            let pair = |w: &mut Reputation, x: PublicKey, y: PublicKey, d: u64| {
                let (r1, r2) = receipt_pair(x, y, d, DealTier::Met);
                w.insert_receipt(&r1).expect("receipt");
                w.insert_receipt(&r2).expect("receipt");
                r1.nego
            };
            let rate = |w: &mut Reputation, list: &[(PublicKey, PublicKey, NegoId, bool)]| {
                for (rater, ratee, nego, ok) in list {
                    w.insert_rating(synth::rating(
                        *rater,
                        *ratee,
                        nego.clone(),
                        *ok,
                        *ok,
                        T0 + 3,
                    ))
                    .expect("rating");
                }
            };
            let mut clustered = base.clone();
            for &(x, y, d) in &cluster.edges {
                pair(
                    &mut clustered,
                    cluster.keys[x as usize],
                    cluster.keys[y as usize],
                    d,
                );
            }
            let mut deal = 1u64 << 55;
            let mut next = || {
                deal += 1;
                deal
            };
            let b = cluster.keys[0];
            let puppets: HashSet<PublicKey> = cluster.keys.iter().copied().collect();
            let puppet_hex: HashSet<String> = puppets.iter().map(|k| k.to_hex()).collect();

            // (a): g honest partners of B in one neighbourhood rate it badly; every other
            // puppet deals with B, 20 of them with M; then they praise both.
            let mut honest_a = clustered.clone();
            for &h_ix in &b_partners {
                let h = hg.keys[h_ix as usize];
                let nego = pair(&mut honest_a, h, b, next());
                honest_a
                    .insert_rating(synth::rating(h, b, nego, false, false, T0 + 2))
                    .expect("rating");
            }
            let mut praise = Vec::new();
            for &pu in cluster.keys.iter().skip(1) {
                praise.push((pu, b, pair(&mut honest_a, b, pu, next()), true));
            }
            for &pu in cluster.keys.iter().skip(1).take(20) {
                praise.push((pu, m_key, pair(&mut honest_a, pu, m_key, next()), true));
            }
            let mut attacked_a = honest_a.clone();
            rate(&mut attacked_a, &praise);
            let scene = Scene {
                honest: &honest_a,
                attacked: &attacked_a,
                subject: b,
                puppets: &puppets,
                puppet_hex: puppet_hex.clone(),
            };
            let mut ra = Row::default();
            for v in &boost_viewers {
                let (_, maps_a) = scene.subject(&mut ra, v);
                for (i, map) in maps_a.iter().enumerate() {
                    let sm = Scene::screen(&attacked_a, map, &m_key);
                    ra.m_in_net[i] += f64::from(sm.partners_in_network);
                    ra.m_weight[i] += puppet_weight(&sm, &puppet_hex);
                }
            }
            drop((honest_a, attacked_a));

            // (b): g puppets with a genuine deal with T and one with T's neighbourhood (whose
            // honest key rates them well); every other puppet claims a no-show with T. All rate
            // T unsafe and unreliable.
            let mut honest_b = clustered;
            let mut badmouth = Vec::new();
            for j in 0..g.min(n) {
                let pu = cluster.keys[(j + 1) % n];
                badmouth.push((pu, target, pair(&mut honest_b, target, pu, next()), false));
                if let Some(&h) = doubles.get(j % doubles.len().max(1)) {
                    let hk = hg.keys[h as usize];
                    let hn = pair(&mut honest_b, hk, pu, next());
                    honest_b
                        .insert_rating(synth::rating(hk, pu, hn, true, true, T0 + 2))
                        .expect("rating");
                }
            }
            let genuine: HashSet<PublicKey> = badmouth.iter().map(|x| x.0).collect();
            for &pu in &cluster.keys {
                if !genuine.contains(&pu) {
                    let (claim, _) = receipt_pair(pu, target, next(), DealTier::Proven);
                    honest_b.insert_receipt(&claim).expect("receipt");
                    badmouth.push((pu, target, claim.nego, false));
                }
            }
            let mut attacked_b = honest_b.clone();
            rate(&mut attacked_b, &badmouth);
            let scene = Scene {
                honest: &honest_b,
                attacked: &attacked_b,
                subject: target,
                puppets: &puppets,
                puppet_hex,
            };
            let mut rb = Row::default();
            let gr = attacked_b.graph();
            let t_node = gr.node(&target).expect("target has deals");
            for v in &bad_viewers {
                let (maps_h, maps_a) = scene.subject(&mut rb, v);
                // Keys behind T: its honest partners one ring further from the viewer than T
                // (by the plain breadth-first rings), or not reached at all.
                let t_dist = maps_h[0].entry(t_node).map(|e| e.dist);
                let behind: Vec<PublicKey> = adj[target_ix]
                    .iter()
                    .map(|y| hg.keys[*y as usize])
                    .filter(|y| {
                        let d = gr.node(y).and_then(|x| maps_h[0].entry(x)).map(|e| e.dist);
                        match (t_dist, d) {
                            (Some(t), Some(d)) => d > t,
                            (_, None) => true,
                            (None, Some(_)) => false,
                        }
                    })
                    .collect();
                rb.behind += behind.len();
                for i in 0..2 {
                    let mut changed = 0;
                    for y in &behind {
                        let s0 = Scene::screen(&honest_b, &maps_h[i], y);
                        let s1 = Scene::screen(&attacked_b, &maps_a[i], y);
                        changed += usize::from(seen(&s0) != seen(&s1));
                    }
                    rb.behind_changed[i] += changed;
                    rb.viewers_changed[i] += usize::from(changed > 0);
                    rb.t_flagged[i] +=
                        usize::from(maps_a[i].entry(t_node).is_some_and(|e| e.flagged));
                }
            }
            eprintln!("n={n} g={g} done ({:.1?})", started.elapsed());
            rows_a.push((n, g, ra));
            rows_b.push((n, g, rb));
        }
    }

    println!();
    println!(
        "(a) flagged attacker B: g genuine deals rated unsafe, n puppets praise it; M dealt with 20 puppets"
    );
    println!(
        "{:>6} {:>3} | {:>9} {:>9} {:>9} | {:>6} {:>6} {:>6} | {:>8} {:>8} | {:>6} {:>6} | {:>8} {:>8}",
        "n",
        "g",
        "weight ref",
        "before",
        "after",
        "flip ref",
        "before",
        "after",
        "held bef.",
        "after",
        "M in net",
        "after",
        "M weight",
        "after"
    );
    for (n, g, r) in &rows_a {
        println!(
            "{:>6} {:>3} | {:>10.3} {:>9.4} {:>9.4} | {:>7.1}% {:>5.1}% {:>5.1}% | {:>9.4} {:>8.4} | {:>8.2} {:>6.2} | {:>8.4} {:>8.4}",
            n,
            g,
            r.mean(r.weight[0]),
            r.mean(r.weight[1]),
            r.mean(r.weight[2]),
            r.pct(r.flips[0]),
            r.pct(r.flips[1]),
            r.pct(r.flips[2]),
            r.mean(r.held[0]),
            r.mean(r.held[1]),
            r.mean(r.m_in_net[0]),
            r.mean(r.m_in_net[1]),
            r.mean(r.m_weight[0]),
            r.mean(r.m_weight[1]),
        );
    }
    println!();
    println!(
        "(b) badmouthing the best-connected honest key T: g puppets with a deal with T and with its neighbourhood"
    );
    println!(
        "{:>6} {:>3} | {:>9} {:>9} {:>9} | {:>6} {:>6} {:>6} | {:>7} | {:>13} {:>13} | {:>11} {:>11} | {:>6} {:>6}",
        "n",
        "g",
        "weight ref",
        "before",
        "after",
        "flip ref",
        "before",
        "after",
        "behind",
        "changed bef.",
        "after",
        "viewers bef.",
        "after",
        "T cut bef.",
        "after"
    );
    for (n, g, r) in &rows_b {
        let share = |x: usize| 100.0 * x as f64 / r.behind.max(1) as f64;
        println!(
            "{:>6} {:>3} | {:>10.3} {:>9.4} {:>9.4} | {:>7.1}% {:>5.1}% {:>5.1}% | {:>7} | {:>12.2}% {:>12.2}% | {:>11.1}% {:>10.1}% | {:>9.1}% {:>5.1}%",
            n,
            g,
            r.mean(r.weight[0]),
            r.mean(r.weight[1]),
            r.mean(r.weight[2]),
            r.pct(r.flips[0]),
            r.pct(r.flips[1]),
            r.pct(r.flips[2]),
            r.behind,
            share(r.behind_changed[0]),
            share(r.behind_changed[1]),
            r.pct(r.viewers_changed[0]),
            r.pct(r.viewers_changed[1]),
            r.pct(r.t_flagged[0]),
            r.pct(r.t_flagged[1]),
        );
    }
    println!("\n(total {:.1?})", started.elapsed());
    let plotted: Vec<PlotRow> = rows_a
        .iter()
        .map(|(n, g, r)| {
            (
                *n,
                *g,
                [
                    r.mean(r.weight[0]),
                    r.mean(r.weight[1]),
                    r.mean(r.weight[2]),
                ],
            )
        })
        .collect();
    match plot(&plotted, &a.png) {
        Ok(()) => println!("plot written to {}", a.png),
        Err(e) => eprintln!("plot not written: {e}"),
    }
}

/// (n, g, puppet weight [reference, before, after]).
type PlotRow = (usize, usize, [f64; 3]);

fn plot(rows: &[PlotRow], path: &str) -> Result<(), Box<dyn std::error::Error>> {
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
                "Puppets praising a flagged attacker: their weight on it (units: one direct partner)",
                ("sans-serif", 18),
            );
        }
        let mut chart = builder.build_cartesian_2d(
            (5f64..20_000f64).log_scale(),
            (1e-3f64..2_000f64).log_scale(),
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
            let series = |k: usize| -> Vec<(f64, f64)> {
                rows.iter()
                    .filter(|r| r.1 == g)
                    .map(|r| (r.0 as f64, r.2[k].max(1e-3)))
                    .collect()
            };
            for (k, width) in [(2usize, 3u32), (1, 1), (0, 1)] {
                let pts = series(k);
                let style = color.stroke_width(width);
                let s = if k == 1 {
                    chart.draw_series(DashedLineSeries::new(pts.clone(), 6, 4, style))?
                } else {
                    chart.draw_series(LineSeries::new(pts.clone(), style))?
                };
                // Colour = g (after, thick); one black legend entry each for the dashed
                // "before" lines and the thin reference lines.
                if has_font && k == 2 {
                    s.label(format!("after, g={g}"))
                        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
                } else if has_font && ci == 0 {
                    let label = if k == 1 {
                        "before (dashed, every g)"
                    } else {
                        "reference (thin, x, every g)"
                    };
                    s.label(label).legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], BLACK.stroke_width(1))
                    });
                }
                if k == 0 {
                    chart.draw_series(pts.iter().map(|p| Cross::new(*p, 4, color)))?;
                } else if k == 2 {
                    chart.draw_series(pts.iter().map(|p| Circle::new(*p, 4, color.filled())))?;
                }
            }
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
