//! Behaviour tests of the reputation layer, including the issue's "Must hold" list.

use nostr::PublicKey;

use super::reference::reference_screen;
use super::synth::{self, T0, receipt_pair, synth_key};
use super::*;
use crate::protocol::NegoId;
use crate::protocol::receipt::DealTier;

const DAY: u64 = 86_400;

struct World {
    rep: Reputation,
    next: u64,
}

fn k(tag: &str, i: u64) -> PublicKey {
    synth_key(tag, i)
}

impl World {
    fn new() -> Self {
        Self::with(Params::default())
    }

    fn with(p: Params) -> Self {
        Self {
            rep: Reputation::new(p).unwrap(),
            next: 1,
        }
    }

    fn deal(&mut self, a: PublicKey, b: PublicKey, tier: DealTier) -> NegoId {
        self.next += 1;
        let (x, y) = receipt_pair(a, b, self.next, tier);
        self.rep.insert_receipt(&x).unwrap();
        self.rep.insert_receipt(&y).unwrap();
        x.nego
    }

    fn one_sided(&mut self, author: PublicKey, peer: PublicKey) -> NegoId {
        self.next += 1;
        let (x, _) = receipt_pair(author, peer, self.next, DealTier::Proven);
        self.rep.insert_receipt(&x).unwrap();
        x.nego
    }

    fn rate(&mut self, rater: PublicKey, ratee: PublicKey, nego: NegoId, safe: bool, rel: bool) {
        self.next += 1;
        let r = synth::rating(rater, ratee, nego, safe, rel, T0 + self.next);
        self.rep.insert_rating(r).unwrap();
    }

    fn screen(&self, viewer: &PublicKey, subject: &PublicKey) -> Screening {
        let t = self.rep.trust_map(viewer).unwrap();
        self.rep.screen(&t, subject, T0 + 30 * DAY, true).unwrap()
    }
}

/// Weight the raters in `who` carry in a screening (from the explain list).
fn weight_of(s: &Screening, who: &dyn Fn(&str) -> bool) -> f64 {
    s.raters
        .as_ref()
        .unwrap()
        .iter()
        .filter(|r| who(&r.pubkey))
        .map(|r| r.weight)
        .sum()
}

// ---------------------------------------------------------------- validity and weights

#[test]
fn lower_quantile_20_safe_7_unsafe_flags_and_20_5_does_not() {
    for (unsafe_n, flagged) in [(7u64, true), (5, false)] {
        let mut w = World::new();
        let (v, s) = (k("v", 0), k("s", 0));
        for i in 0..20 + unsafe_n {
            let r = k("r", i);
            w.deal(v, r, DealTier::Met);
            let n = w.deal(r, s, DealTier::Met);
            w.rate(r, s, n, i >= unsafe_n, true);
        }
        let sc = w.screen(&v, &s);
        let ws: Vec<f64> = sc
            .raters
            .as_ref()
            .unwrap()
            .iter()
            .map(|r| r.weight)
            .collect();
        assert!(
            ws.iter().all(|x| (x - 1.0).abs() < 1e-12),
            "equal weights: {ws:?}"
        );
        assert_eq!(
            sc.safety.flagged,
            flagged,
            "{unsafe_n} unsafe of {}",
            20 + unsafe_n
        );
        assert_eq!(sc.safety.raters as u64, 20 + unsafe_n);
        assert!(!sc.reliability.flagged);
        assert_eq!(
            sc.verdict,
            if flagged {
                Verdict::Warning
            } else {
                Verdict::Trusted
            }
        );
    }
}

#[test]
fn only_the_counterparty_of_a_real_deal_counts() {
    let mut w = World::new();
    let (v, s, r, x) = (k("v", 0), k("s", 0), k("r", 0), k("x", 0));
    w.deal(v, r, DealTier::Met);
    w.deal(v, x, DealTier::Met);
    let n = w.deal(r, s, DealTier::Met);
    // x is not a party of n: refused with a typed error, nothing stored.
    let bad = synth::rating(x, s, n.clone(), false, false, T0);
    assert!(matches!(
        w.rep.insert_rating(bad),
        Err(ReputationError::RaterNotCounterparty { .. })
    ));
    // Rating a deal that has no receipt at all: stored but ignored.
    let ghost = synth::synth_nego(x, s, 999_999);
    w.rate(x, s, ghost, false, false);
    // Out-of-range score: refused.
    let mut odd = synth::rating(r, s, n.clone(), true, true, T0);
    odd.score = Some(3);
    assert_eq!(
        w.rep.insert_rating(odd),
        Err(ReputationError::ScoreOutOfRange { score: 3 })
    );
    w.rate(r, s, n, true, true);
    let sc = w.screen(&v, &s);
    assert_eq!(sc.raters.as_ref().unwrap().len(), 1);
    assert_eq!(sc.safety.raters, 1);
    assert!(!sc.safety.flagged);
}

#[test]
fn tier_weights_met_proven_and_one_sided_reliability_negatives_only() {
    let mut w = World::new();
    let v = k("v", 0);
    let s = k("s", 0);
    let (rm, rp, r1, r2) = (k("m", 0), k("p", 0), k("o", 0), k("o", 1));
    for r in [rm, rp, r1, r2] {
        w.deal(v, r, DealTier::Met);
        w.deal(r, k("other", 0), DealTier::Met); // not a sole-partner rater
    }
    let nm = w.deal(rm, s, DealTier::Met);
    let np = w.deal(rp, s, DealTier::Proven);
    let n1 = w.one_sided(r1, s);
    let n2 = w.one_sided(s, r2); // the half is the ratee's, not the rater's
    w.rate(rm, s, nm, true, true);
    w.rate(rp, s, np, true, true);
    w.rate(r1, s, n1, false, false);
    w.rate(r2, s, n2, false, false);
    let sc = w.screen(&v, &s);
    let by = |pk: PublicKey| weight_of(&sc, &|h| h == pk.to_hex());
    assert!((by(rm) - 1.0).abs() < 1e-12);
    assert!((by(rp) - 0.5).abs() < 1e-12);
    assert!((by(r1) - 0.25).abs() < 1e-12);
    assert_eq!(by(r2), 0.0);
    // The one-sided rater's "unsafe" is ignored; its no-show counts for reliability only.
    assert_eq!(sc.safety.raters, 2);
    assert_eq!(sc.reliability.raters, 3);
    assert!((sc.safety.weight - 1.5).abs() < 1e-12);
    assert!((sc.reliability.value.unwrap() - 1.5 / 1.75).abs() < 1e-12);
    assert!(
        !sc.reliability.flagged,
        "0.25 of 1.75 is below the quartile"
    );
}

#[test]
fn repeated_ratings_decay_and_latest_per_deal_wins() {
    let mut w = World::new();
    let (v, s, r) = (k("v", 0), k("s", 0), k("r", 0));
    w.deal(v, r, DealTier::Met);
    let deals: Vec<NegoId> = (0..3).map(|_| w.deal(r, s, DealTier::Proven)).collect();
    for n in &deals {
        w.rate(r, s, n.clone(), true, true);
    }
    // Proven deals: 0.5 + 0.25 + 0.125 = 0.875 ≤ trust 1.0, so no scaling.
    let sc = w.screen(&v, &s);
    assert!((weight_of(&sc, &|_| true) - 0.875).abs() < 1e-12);
    // Re-rating the first deal later replaces it (still three ratings, now one unsafe).
    let newer = synth::rating(r, s, deals[0].clone(), false, true, T0 + 10 * DAY);
    assert_eq!(w.rep.insert_rating(newer), Ok(RatingOutcome::Replaced));
    let older = synth::rating(r, s, deals[0].clone(), true, true, T0);
    assert_eq!(w.rep.insert_rating(older), Ok(RatingOutcome::Stale));
    let sc = w.screen(&v, &s);
    assert!((weight_of(&sc, &|_| true) - 0.875).abs() < 1e-12);
    // The newest (unsafe) rating has decay 1: 0.5 of 0.875 → flagged.
    assert!(sc.safety.flagged);
    // Met deals: 1 + ½ + ¼ = 1.75 is scaled down to the rater's trust, 1.0.
    let mut w = World::new();
    w.deal(v, r, DealTier::Met);
    for _ in 0..3 {
        let n = w.deal(r, s, DealTier::Met);
        w.rate(r, s, n, true, true);
    }
    let sc = w.screen(&v, &s);
    assert!((weight_of(&sc, &|_| true) - 1.0).abs() < 1e-12);
}

#[test]
fn sole_partner_discount_unsafe_penalty_and_pow_floor() {
    let p = Params {
        pow_floor: 8,
        ..Params::default()
    };
    let mut w = World::with(p);
    let (v, s) = (k("v", 0), k("s", 0));
    // A ring-1 rater whose only deal is with the subject (reached through the subject).
    let a = k("a", 0);
    w.deal(v, s, DealTier::Met);
    let na = w.deal(a, s, DealTier::Met);
    w.rate(a, s, na, true, true);
    // Two direct partners; the network (v's partner q) rates b unsafe.
    let (b, c, q) = (k("b", 0), k("c", 0), k("q", 0));
    for x in [b, c, q] {
        w.deal(v, x, DealTier::Met);
    }
    let nb = w.deal(b, s, DealTier::Met);
    let nc = w.deal(c, s, DealTier::Met);
    let nq = w.deal(q, b, DealTier::Met);
    w.rate(b, s, nb, true, true);
    w.rate(q, b, nq, false, true);
    // c's rating has too little PoW.
    let mut weak = synth::rating(c, s, nc, false, false, T0);
    weak.pow_bits = 7;
    w.rep.insert_rating(weak).unwrap();
    let sc = w.screen(&v, &s);
    let by = |pk: PublicKey| weight_of(&sc, &|h| h == pk.to_hex());
    // a: ring-1 cap 0.3 (a is the subject's child), × 0.5 sole-partner discount.
    assert!((by(a) - 0.15).abs() < 1e-12, "{}", by(a));
    // b: the network says 100 % unsafe → (1 − 1)² = 0.
    assert_eq!(by(b), 0.0);
    assert_eq!(by(c), 0.0);
    assert!(
        sc.raters
            .as_ref()
            .unwrap()
            .iter()
            .all(|r| r.pubkey != c.to_hex())
    );
    // Nonlinear: with half the network's weight saying unsafe, b keeps (1 − ½)² = ¼.
    let d = k("d", 0);
    w.deal(v, d, DealTier::Met);
    let nd = w.deal(d, b, DealTier::Met);
    w.rate(d, b, nd, true, true);
    let sc = w.screen(&v, &s);
    assert!((weight_of(&sc, &|h| h == b.to_hex()) - 0.25).abs() < 1e-12);
}

#[test]
fn reference_only_ratings_are_mapped() {
    let mut w = World::new();
    let (v, s) = (k("v", 0), k("s", 0));
    for (i, score) in [(0u64, -1i8), (1, 2)] {
        let r = k("r", i);
        w.deal(v, r, DealTier::Met);
        w.deal(r, k("z", i), DealTier::Met);
        let n = w.deal(r, s, DealTier::Met);
        let mut rt = synth::rating(r, s, n, true, true, T0);
        rt.safe = None;
        rt.reliable = None;
        rt.score = Some(score);
        w.rep.insert_rating(rt).unwrap();
    }
    let sc = w.screen(&v, &s);
    assert_eq!(sc.safety.value, None, "safety unknown");
    assert_eq!(
        sc.reliability.raters, 1,
        "only score −1 maps to reliable=false"
    );
    assert_eq!(sc.reliability.value, Some(0.0));
    assert!(sc.reliability.flagged);
    assert_eq!(sc.score, Some(0.5));
}

#[test]
fn new_account_uses_the_oldest_event_of_any_kind() {
    let mut w = World::new();
    let (v, s) = (k("v", 0), k("s", 0));
    let n = w.deal(v, s, DealTier::Met);
    let now = T0 + 30 * DAY;
    let t = w.rep.trust_map(&v).unwrap();
    // Its receipt (at ≈ T0) is older than 7 days.
    assert!(!w.rep.screen(&t, &s, now, false).unwrap().new_account);
    // Republishing a profile now changes nothing.
    w.rep.observe(s, now);
    assert!(!w.rep.screen(&t, &s, now, false).unwrap().new_account);
    assert!(
        w.rep
            .screen(&t, &s, T0 + 3 * DAY, false)
            .unwrap()
            .new_account
    );
    // Unknown keys are new.
    assert!(
        w.rep
            .screen(&t, &k("never", 0), now, false)
            .unwrap()
            .new_account
    );
    let _ = n;
}

#[test]
fn path_verified_by_json_names_and_badge() {
    let mut w = World::new();
    let (v, a, b, s) = (k("v", 0), k("a", 0), k("b", 0), k("s", 0));
    w.deal(v, a, DealTier::Met);
    w.deal(a, b, DealTier::Met);
    let n = w.deal(b, s, DealTier::Met);
    let mut r = synth::rating(b, s, n, true, true, T0);
    r.contact_verified = true;
    r.contact_masked = Some("+84•••••5678".into());
    r.attestation_ok = true;
    w.rep.insert_rating(r).unwrap();
    let sc = w.screen(&v, &s);
    let hex = |k: PublicKey| k.to_hex();
    assert_eq!(sc.path, vec![hex(v), hex(a), hex(b), hex(s)]);
    assert_eq!(sc.verified_by, 1);
    assert_eq!(sc.partners_in_network, 1);
    let json = serde_json::to_value(&sc).unwrap();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "deals",
            "partners",
            "partners_in_network",
            "met_in_person",
            "verified_by",
            "new_account",
            "safety",
            "reliability",
            "score",
            "weight_total",
            "unreachable_weight",
            "verdict",
            "reasons",
            "path",
            "raters"
        ]
    );
    let dim: Vec<&str> = json["safety"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(dim, ["value", "flagged", "weight", "raters"]);
    let r0: Vec<&str> = json["raters"][0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(r0, ["pubkey", "weight", "hop", "tier"]);
    assert_eq!(json["raters"][0]["hop"], 2);
    assert_eq!(json["raters"][0]["tier"], "met");
    assert_eq!(json["verdict"], "caution");
    // Without explain there is no `raters` key.
    let t = w.rep.trust_map(&v).unwrap();
    let plain = serde_json::to_value(w.rep.screen(&t, &s, T0 + 30 * DAY, false).unwrap()).unwrap();
    assert!(plain.get("raters").is_none());
    assert_eq!(
        badge(&sc),
        Badge {
            verdict: Verdict::Caution,
            deals: 1,
            partners: 1,
            partners_in_network: 1,
            verified_by: 1,
            new_account: false
        }
    );
    assert_eq!(
        json["reasons"],
        serde_json::json!([{"code": "few_ratings_from_network"}])
    );
}

#[test]
fn trusted_badge_has_the_star() {
    let mut w = World::new();
    let (v, s) = (k("v", 0), k("s", 0));
    for i in 0..3 {
        let r = k("r", i);
        w.deal(v, r, DealTier::Met);
        let n = w.deal(r, s, DealTier::Met);
        let mut rt = synth::rating(r, s, n, true, true, T0);
        rt.contact_verified = true;
        rt.attestation_ok = true;
        w.rep.insert_rating(rt).unwrap();
    }
    let sc = w.screen(&v, &s);
    assert_eq!(sc.verdict, Verdict::Trusted);
    assert_eq!(
        badge(&sc),
        Badge {
            verdict: Verdict::Trusted,
            deals: 3,
            partners: 3,
            partners_in_network: 3,
            verified_by: 3,
            new_account: false
        }
    );
    assert_eq!(sc.reasons, vec![Reason::RatedWellInNetwork { count: 3 }]);
}

#[test]
fn invalid_params_are_refused() {
    let bad = [
        Params {
            epsilon: f64::NAN,
            ..Params::default()
        },
        Params {
            quantile: 1.0,
            ..Params::default()
        },
        Params {
            ring_caps: [1.0, -0.3, 0.1],
            ..Params::default()
        },
    ];
    for p in bad {
        assert!(matches!(
            Reputation::new(p),
            Err(ReputationError::InvalidParam { .. })
        ));
    }
}

// ---------------------------------------------------------------- Sybil "Must hold"

#[test]
fn whitepaper_50_puppet_cluster_shape() {
    let mut w = World::new();
    let v = k("v", 0);
    w.deal(v, k("friend", 0), DealTier::Met);
    let s = k("puppet", 0);
    for i in 1..=50 {
        let pu = k("puppet", i);
        let n = w.deal(s, pu, DealTier::Met);
        w.rate(pu, s, n, true, true);
    }
    let t = w.rep.trust_map(&v).unwrap();
    let sc = w.rep.screen(&t, &s, T0 + DAY, false).unwrap();
    assert_eq!(
        badge(&sc),
        Badge {
            verdict: Verdict::Unknown,
            deals: 50,
            partners: 50,
            partners_in_network: 0,
            verified_by: 0,
            new_account: true
        }
    );
    assert_eq!(
        sc.reasons,
        vec![
            Reason::NoRatingsFromNetwork,
            Reason::RatingsOutsideNetwork { count: 50 },
            Reason::NewAccount { days: 7 }
        ]
    );
    assert_eq!(sc.verdict, Verdict::Unknown);
    assert!(sc.unreachable_weight <= 0.05 + 1e-12);
    assert!(sc.path.is_empty());
}

/// An honest world plus the keys of the honest graph.
fn honest_world(n: usize, seed: u64) -> (World, synth::HonestGraph) {
    let hg = synth::honest_graph(n, 50, 6, seed);
    let mut w = World::new();
    for &(a, b, tier, d) in &hg.edges {
        let (x, y) = receipt_pair(hg.keys[a as usize], hg.keys[b as usize], d, tier);
        w.rep.insert_receipt(&x).unwrap();
        w.rep.insert_receipt(&y).unwrap();
    }
    (w, hg)
}

/// Adds an `n`-puppet cluster: dense internal deals plus a star from puppet 0 (the attacker's
/// main account) to every puppet, all rating puppet 0 safe and reliable. Returns the keys.
fn add_cluster(w: &mut World, n: usize) -> Vec<PublicKey> {
    let c = synth::sybil_cluster("puppet", n, 8, 7);
    for &(a, b, d) in &c.edges {
        let (x, y) = receipt_pair(c.keys[a as usize], c.keys[b as usize], d, DealTier::Met);
        w.rep.insert_receipt(&x).unwrap();
        w.rep.insert_receipt(&y).unwrap();
    }
    let s = c.keys[0];
    for &p in c.keys.iter().skip(1) {
        let nego = w.deal(s, p, DealTier::Met);
        w.rate(p, s, nego, true, true);
    }
    c.keys
}

fn is_puppet(keys: &[PublicKey]) -> impl Fn(&str) -> bool + '_ {
    let set: std::collections::HashSet<String> = keys.iter().map(|k| k.to_hex()).collect();
    move |h: &str| set.contains(h)
}

#[test]
fn g0_puppet_weight_at_most_epsilon_and_no_flag_flips() {
    let (base, hg) = honest_world(2000, 1);
    let viewer = hg.keys[0];
    let t = base.rep.trust_map(&viewer).unwrap();
    // A good subject in the viewer's ring 1 and a bad one, both rated by honest partners.
    let ring = |d: u8| {
        hg.keys
            .iter()
            .copied()
            .filter(|pk| t.get(base.rep.graph(), pk).is_some_and(|e| e.dist == d))
            .collect::<Vec<_>>()
    };
    let good = ring(2)[0];
    let bad = ring(2)[1];
    let mut honest = base;
    let rate_all = |w: &mut World, subject: PublicKey, unsafe_every: usize| {
        let g = w.rep.graph().clone();
        let sid = g.node(&subject).unwrap();
        for (i, (y, _)) in g.neighbors(sid).enumerate() {
            let rater = *g.key(y).unwrap();
            // Find a deal between rater and subject in the honest edge list.
            let d = hg
                .edges
                .iter()
                .find(|e| {
                    let (a, b) = (hg.keys[e.0 as usize], hg.keys[e.1 as usize]);
                    (a == rater && b == subject) || (a == subject && b == rater)
                })
                .unwrap();
            let nego = synth::synth_nego(hg.keys[d.0 as usize], hg.keys[d.1 as usize], d.3);
            let ok = unsafe_every == 0 || i % unsafe_every != 0;
            w.rate(rater, subject, nego, ok, ok);
        }
    };
    rate_all(&mut honest, good, 0);
    rate_all(&mut honest, bad, 1);
    let before_good = honest.screen(&viewer, &good);
    let before_bad = honest.screen(&viewer, &bad);
    assert!(!before_good.safety.flagged && before_bad.safety.flagged);
    for n in [10usize, 100, 1000, 10_000] {
        let mut w = World {
            rep: honest.rep.clone(),
            next: 1 << 50,
        };
        let puppets = add_cluster(&mut w, n);
        // Badmouthing: every puppet claims a no-show with `good` (one-sided; good never
        // countersigns) and rates it unsafe and unreliable. Boosting: every puppet claims a deal
        // with `bad` and rates it safe.
        for &p in &puppets {
            let ng = w.one_sided(p, good);
            w.rate(p, good, ng, false, false);
            let nb = w.one_sided(p, bad);
            w.rate(p, bad, nb, true, true);
        }
        let pu = is_puppet(&puppets);
        let sg = w.screen(&viewer, &good);
        let sb = w.screen(&viewer, &bad);
        let ss = w.screen(&viewer, &puppets[0]);
        for (what, sc) in [("good", &sg), ("bad", &sb), ("attacker", &ss)] {
            let pw = weight_of(sc, &pu);
            assert!(pw <= 0.05 + 1e-12, "n={n} {what}: puppet weight {pw}");
        }
        assert_eq!(sg.safety.flagged, before_good.safety.flagged, "n={n}");
        assert_eq!(
            sg.reliability.flagged, before_good.reliability.flagged,
            "n={n}"
        );
        assert_eq!(sb.safety.flagged, before_bad.safety.flagged, "n={n}");
        assert_eq!(
            sb.reliability.flagged, before_bad.reliability.flagged,
            "n={n}"
        );
        assert_eq!(ss.verdict, Verdict::Unknown);
        assert_eq!(ss.partners_in_network, 0);
        // The reference weighting, same data: puppets dominate.
        let t = w.rep.trust_map(&viewer).unwrap();
        let r = reference_screen(w.rep.graph(), w.rep.ratings(), &t, &good, w.rep.params());
        let ref_pw: f64 = r
            .raters
            .iter()
            .filter(|(k, _)| pu(&k.to_hex()))
            .map(|x| x.1)
            .sum();
        assert!(
            ref_pw >= 0.05 * 0.5 * 0.5 * n as f64 - 1e-9,
            "reference gives each puppet ε"
        );
    }
}

#[test]
fn g_attack_edges_bound_puppet_weight_by_crossing_trust_flat_in_n() {
    let (base, hg) = honest_world(2000, 2);
    let viewer = hg.keys[0];
    let t = base.rep.trust_map(&viewer).unwrap();
    // Attack endpoints: honest keys in rings 0 and 1 (not the viewer), alternating.
    let pick = |d: u8| {
        hg.keys
            .iter()
            .copied()
            .filter(|pk| t.get(base.rep.graph(), pk).is_some_and(|e| e.dist == d))
            .collect::<Vec<_>>()
    };
    let (r0, r1) = (pick(1), pick(2));
    for g in [1usize, 5, 20] {
        let endpoints: Vec<PublicKey> = (0..g)
            .map(|j| {
                if j % 2 == 0 {
                    r0[j / 2 % r0.len()]
                } else {
                    r1[j / 2 % r1.len()]
                }
            })
            .collect();
        let mut rows = Vec::new();
        for n in [10usize, 100, 1000, 10_000] {
            if n < g {
                continue;
            }
            let mut w = World {
                rep: base.rep.clone(),
                next: 1 << 50,
            };
            let puppets = add_cluster(&mut w, n);
            // Genuine deals: endpoint j with puppet j; the honest side rates the puppet badly.
            for (j, &h) in endpoints.iter().enumerate() {
                let nego = w.deal(h, puppets[j], DealTier::Met);
                w.rate(h, puppets[j], nego, false, false);
            }
            let tm = w.rep.trust_map(&viewer).unwrap();
            let gr = w.rep.graph();
            let crossing: f64 = endpoints
                .iter()
                .enumerate()
                .map(|(j, h)| tm.edge_flow(gr, gr.node(h).unwrap(), gr.node(&puppets[j]).unwrap()))
                .sum();
            let sc = w.rep.screen(&tm, &puppets[0], T0 + 30 * DAY, true).unwrap();
            let pw = weight_of(&sc, &is_puppet(&puppets));
            // Trust every puppet holds as a rater (the worst case for any subject).
            let held: f64 = puppets
                .iter()
                .filter_map(|p| tm.get(gr, p))
                .map(|e| e.trust)
                .sum();
            assert!(
                pw <= crossing + 0.05 + 1e-9,
                "g={g} n={n}: puppet weight {pw} > crossing {crossing} + ε"
            );
            assert!(
                held <= crossing + 1e-9,
                "g={g} n={n}: held {held} > crossing {crossing}"
            );
            rows.push((n, crossing, pw, held));
        }
        eprintln!("g={g}: (n, crossing, puppet weight, puppet-held trust) = {rows:?}");
        let (n0, c0, w0, _) = rows[0];
        for &(n, c, _, _) in &rows[1..] {
            assert!(
                (c - c0).abs() <= 0.01 * c0,
                "g={g}: crossing {c0} at n={n0}, {c} at n={n}"
            );
        }
        // Slope from the smallest to the largest n, in direct-partner votes per puppet (the
        // reference weighting adds ε = 0.05 per unconnected puppet).
        let &(nl, _, wl, hl) = rows.last().unwrap();
        let slope = (wl - w0) / (nl - n0) as f64;
        assert!(slope < 0.01, "g={g}: {slope} per puppet");
        // A small cluster may absorb less than crosses (ring caps), never more; once it can
        // absorb it (n ≥ 1000 here) more puppets gain the attacker nothing.
        let &(_, _, w1k, h1k) = rows.iter().find(|r| r.0 == 1000).unwrap();
        assert!(
            wl - w1k <= 0.01 * c0,
            "g={g}: {w1k} at n=1000, {wl} at n={nl}"
        );
        assert!(
            hl - h1k <= 0.01 * c0,
            "g={g}: held {h1k} at n=1000, {hl} at n={nl}"
        );
    }
}

#[test]
fn honest_recall_within_two_hops_is_at_least_80_percent_of_the_ring_cap() {
    let (w, hg) = honest_world(3000, 3);
    let p = Params::default();
    let (mut sum, mut count) = (0.0, 0usize);
    for v in (0..3000).step_by(150) {
        let t = w.rep.trust_map(&hg.keys[v]).unwrap();
        for (_, e) in t.iter() {
            if let Some(h) = e.hop() {
                sum += e.trust / p.ring_caps[usize::from(h)];
                count += 1;
            }
        }
    }
    let recall = sum / count as f64;
    assert!(count > 1000);
    assert!(recall >= 0.8, "honest recall {recall:.3}");
}

#[test]
fn reference_flaw_40_puppets_outweigh_two_partners_but_not_here() {
    let mut w = World::new();
    let (v, s) = (k("v", 0), k("s", 0));
    for i in 0..2 {
        let r = k("r", i);
        w.deal(v, r, DealTier::Met);
        w.deal(r, k("z", i), DealTier::Met);
        let n = w.deal(r, s, DealTier::Met);
        w.rate(r, s, n, true, true);
    }
    // 40 puppets, unconnected to anyone the viewer knows: they deal among themselves and claim
    // deals with s that s never countersigned (the reference counts those at half weight).
    for i in 0..40 {
        let p = k("p", i);
        w.deal(p, k("p", i + 100), DealTier::Met);
        let n = w.one_sided(p, s);
        w.rate(p, s, n, false, false);
    }
    let t = w.rep.trust_map(&v).unwrap();
    let ours = w.rep.screen(&t, &s, T0 + 30 * DAY, false).unwrap();
    let refr = reference_screen(w.rep.graph(), w.rep.ratings(), &t, &s, w.rep.params());
    assert!(
        refr.safety.flagged,
        "reference: 40 × 0.05 × ½ = 1.0 against 2.0"
    );
    assert!(refr.reliability.flagged);
    assert!(!ours.safety.flagged && !ours.reliability.flagged);
    assert!(ours.unreachable_weight <= 0.05 + 1e-12);
    assert!(ours.score.unwrap() > 1.9);
}

#[test]
fn newcomer_sees_through_follows_and_the_latest_follow_list_wins() {
    let mut w = World::new();
    let (v, f, s) = (k("v", 0), k("f", 0), k("s", 0));
    w.deal(f, k("x", 0), DealTier::Met);
    let n = w.deal(f, s, DealTier::Met);
    w.rate(f, s, n, true, true);
    w.rep.set_follows(v, vec![f, v], T0 + 10);
    let sc = w.screen(&v, &s);
    assert_eq!(sc.path, vec![v.to_hex(), f.to_hex(), s.to_hex()]);
    assert!((weight_of(&sc, &|h| h == f.to_hex()) - 0.3).abs() < 1e-12);
    assert_eq!(sc.verdict, Verdict::Caution);
    // An older list changes nothing; a newer, empty one removes the seed.
    w.rep.set_follows(v, vec![], T0 + 5);
    assert_eq!(w.screen(&v, &s).verdict, Verdict::Caution);
    w.rep.set_follows(v, vec![], T0 + 20);
    assert_eq!(w.screen(&v, &s).verdict, Verdict::Unknown);
}

/// The packed rating book against a plain model (a map keyed by (rater, deal) and per-ratee
/// lists in arrival order): same outcomes, same ratings, same order, over interleaved ratees,
/// replacements, stale copies and refused ratings.
#[test]
fn packed_rating_book_matches_a_plain_model() {
    use std::collections::HashMap;
    let mut book = RatingBook::default();
    let mut model: HashMap<(PublicKey, PublicKey, u64), (PublicKey, RatingInput)> = HashMap::new();
    let mut order: HashMap<PublicKey, Vec<(PublicKey, PublicKey, u64)>> = HashMap::new();
    let subjects: Vec<PublicKey> = (0..7).map(|i| k("s", i)).collect();
    let raters: Vec<PublicKey> = (0..40).map(|i| k("r", i)).collect();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut step = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut seen = [0usize; 3];
    for _ in 0..5_000 {
        let s = subjects[(step() % 7) as usize];
        let r = raters[(step() % 40) as usize];
        let deal = step() % 5;
        let at = T0 + step() % 50;
        let (safe, reliable) = (step() % 3 != 0, step() % 4 != 0);
        let mut input = synth::rating(r, s, synth::synth_nego(r, s, deal), safe, reliable, at);
        input.pow_bits = (step() % 20) as u8;
        input.contact_verified = step() % 2 == 0;
        input.attestation_ok = step() % 2 == 0;
        input.contact_masked = Some("+44******89".into());
        if step() % 50 == 0 {
            // The rater is not the counterparty in this negotiation: refused, nothing changes.
            let stranger = k("z", step() % 3);
            input.nego = synth::synth_nego(stranger, s, deal);
            let before = book.len();
            assert!(matches!(
                book.add(input),
                Err(ReputationError::RaterNotCounterparty { .. })
            ));
            assert_eq!(book.len(), before);
            continue;
        }
        let key = (r, s, deal);
        let expected = match model.get(&key) {
            Some((_, held)) if at > held.created_at => RatingOutcome::Replaced,
            Some(_) => RatingOutcome::Stale,
            None => RatingOutcome::Added,
        };
        assert_eq!(book.add(input.clone()), Ok(expected));
        seen[expected as usize] += 1;
        match expected {
            RatingOutcome::Added => {
                order.entry(s).or_default().push(key);
                model.insert(key, (s, input));
            }
            RatingOutcome::Replaced => {
                model.insert(key, (s, input));
            }
            RatingOutcome::Stale => {}
        }
    }
    assert!(
        seen.iter().all(|n| *n > 100),
        "every outcome exercised: {seen:?}"
    );
    assert_eq!(book.len(), model.len());
    for s in &subjects {
        let got: Vec<HeldRating> = book.about(s).copied().collect();
        let want: Vec<(PublicKey, RatingInput)> = order
            .get(s)
            .map(|keys| keys.iter().map(|k| model[k].clone()).collect())
            .unwrap_or_default();
        assert_eq!(got.len(), want.len());
        for (g, (ratee, w)) in got.iter().zip(&want) {
            assert_eq!(ratee, s);
            assert_eq!(g.rater, w.rater);
            assert_eq!(g.deal, DealKey::of(&w.nego));
            assert_eq!(g.created_at, w.created_at);
            assert_eq!((g.score, g.safe, g.reliable), (w.score, w.safe, w.reliable));
            assert_eq!(g.pow_bits, w.pow_bits);
            assert_eq!(
                (g.contact_verified, g.attestation_ok),
                (w.contact_verified, w.attestation_ok)
            );
        }
    }
    assert_eq!(book.about(&k("nobody", 0)).count(), 0);
}

/// The stored form loads like the event form, and is checked where it can be without the
/// negotiation id.
#[test]
fn held_ratings_load_like_ratings_and_refuse_what_they_can_check() {
    let (r, s) = (k("r", 0), k("s", 0));
    let input = synth::rating(r, s, synth::synth_nego(r, s, 1), true, false, T0);
    let mut by_event = RatingBook::default();
    let mut by_row = RatingBook::default();
    assert_eq!(by_event.add(input.clone()), Ok(RatingOutcome::Added));
    let held = HeldRating::of(&input);
    assert_eq!(by_row.add_held(s, held), Ok(RatingOutcome::Added));
    assert_eq!(by_row.add_held(s, held), Ok(RatingOutcome::Stale));
    assert_eq!(
        by_event.about(&s).collect::<Vec<_>>(),
        by_row.about(&s).collect::<Vec<_>>()
    );
    let bad_score = HeldRating {
        score: Some(3),
        deal: DealKey::from_bytes([7; 16]),
        ..held
    };
    assert_eq!(
        by_row.add_held(s, bad_score),
        Err(ReputationError::ScoreOutOfRange { score: 3 })
    );
    let own = HeldRating {
        deal: DealKey::from_bytes([8; 16]),
        ..held
    };
    assert!(matches!(
        by_row.add_held(r, own),
        Err(ReputationError::RaterNotCounterparty { .. })
    ));
    assert_eq!(by_row.len(), 1, "refused rows change nothing");
    assert_eq!(by_row.about(&r).count(), 0);
}
