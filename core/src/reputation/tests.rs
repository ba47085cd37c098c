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
        let t = w.rep.trust_map_unvetted(&viewer).unwrap();
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

// ---------------------------------------------------------------- flagged keys (issue 25)

/// The issue-25 attack. The viewer V has direct partners h1, h2 (each with one more deal); the
/// scammer S did a genuine met deal with each, both rated unsafe and unreliable. S then makes
/// `n` puppets with dense met deals among them and a met deal with S each, all praising S; and
/// a brand-new account M deals with `min(20, n)` of them, all praising M. `g` more direct
/// partners of V (`e` keys) did a genuine deal with one puppet each (not rated).
struct FlaggedAttack {
    w: World,
    v: PublicKey,
    s: PublicKey,
    m: PublicKey,
    puppets: Vec<PublicKey>,
    /// (honest partner, puppet) of the g honest deals with puppets.
    honest_edges: Vec<(PublicKey, PublicKey)>,
}

fn flagged_attack(n: usize, g: usize) -> FlaggedAttack {
    let mut w = World::new();
    let (v, s, m) = (k("v", 0), k("scammer", 0), k("newcomer", 0));
    for i in 0..2 {
        let h = k("h", i);
        w.deal(v, h, DealTier::Met);
        w.deal(h, k("z", i), DealTier::Met);
        let nego = w.deal(h, s, DealTier::Met);
        w.rate(h, s, nego, false, false);
    }
    let c = synth::sybil_cluster("puppet", n, 8, 7);
    for &(a, b, d) in &c.edges {
        let (x, y) = receipt_pair(c.keys[a as usize], c.keys[b as usize], d, DealTier::Met);
        w.rep.insert_receipt(&x).unwrap();
        w.rep.insert_receipt(&y).unwrap();
    }
    for &p in &c.keys {
        let nego = w.deal(p, s, DealTier::Met);
        w.rate(p, s, nego, true, true);
    }
    for &p in c.keys.iter().take(20) {
        let nego = w.deal(p, m, DealTier::Met);
        w.rate(p, m, nego, true, true);
    }
    let mut honest_edges = Vec::new();
    for j in 0..g {
        let e = k("e", j as u64);
        w.deal(v, e, DealTier::Met);
        let p = c.keys[(20 + j) % n];
        w.deal(e, p, DealTier::Met);
        honest_edges.push((e, p));
    }
    FlaggedAttack {
        w,
        v,
        s,
        m,
        puppets: c.keys,
        honest_edges,
    }
}

#[test]
fn a_flagged_key_vouches_for_nobody_and_its_puppets_stay_outside_your_network() {
    for n in [10usize, 100, 1000, 10_000] {
        let a = flagged_attack(n, 0);
        let (w, g) = (&a.w, a.w.rep.graph());
        let pu = is_puppet(&a.puppets);
        let t = w.rep.trust_map(&a.v).unwrap();
        // S: reached (its own trust as a rater is its ring's cap), flagged, forwards nothing.
        let se = *t.get(g, &a.s).unwrap();
        assert!(se.flagged && se.unsafe_share == 1.0, "n={n}: {se:?}");
        assert_eq!((se.dist, se.children, se.per_child), (2, 0, 0.0));
        assert!(
            a.puppets
                .iter()
                .chain([&a.m])
                .all(|p| t.get(g, p).is_none()),
            "n={n}: nothing is reached through S"
        );
        let sid = g.node(&a.s).unwrap();
        for p in &a.puppets {
            assert_eq!(t.edge_flow(g, sid, g.node(p).unwrap()), 0.0);
        }

        // S is flagged and the puppets' praise weighs at most ε together, for every n.
        let ss = w.screen(&a.v, &a.s);
        assert!(ss.safety.flagged && ss.reliability.flagged, "n={n}");
        assert_eq!(ss.verdict, Verdict::Warning);
        let pw = weight_of(&ss, &pu);
        assert!(pw <= 0.05 + 1e-12, "n={n}: puppet weight on S {pw}");
        assert!(ss.unreachable_weight <= 0.05 + 1e-12);

        // M, whose partners are only puppets, has none in your network.
        let sm = w.screen(&a.v, &a.m);
        let dealt = n.min(20) as u32;
        assert_eq!((sm.partners, sm.partners_in_network), (dealt, 0), "n={n}");
        let b = badge(&sm);
        assert_eq!((b.partners, b.partners_in_network), (dealt, 0), "{b:?}");
        assert!(weight_of(&sm, &pu) <= 0.05 + 1e-12);
        assert_eq!(sm.verdict, Verdict::Unknown);
        assert!(sm.path.is_empty());
        // A puppet is not shown as connected to you through S.
        assert!(w.screen(&a.v, &a.puppets[0]).path.is_empty());

        // Before (the graph's trust alone): the puppets' praise of S was a full direct-partner
        // vote in your network, and M had every partner "in your network".
        let t0 = w.rep.trust_map_unvetted(&a.v).unwrap();
        let old_s = w.rep.screen(&t0, &a.s, T0 + 30 * DAY, true).unwrap();
        let old_m = w.rep.screen(&t0, &a.m, T0 + 30 * DAY, true).unwrap();
        let old_pw = weight_of(&old_s, &pu);
        assert!((old_pw - 1.0).abs() < 1e-9, "n={n}: before {old_pw}");
        assert_eq!(old_m.partners_in_network, dealt);
    }
}

#[test]
fn a_flagged_attacker_adds_nothing_to_what_honest_edges_carry_into_its_puppets() {
    for g in [1usize, 5] {
        for n in [100usize, 1000] {
            let a = flagged_attack(n, g);
            let (w, gr) = (&a.w, a.w.rep.graph());
            let t = w.rep.trust_map(&a.v).unwrap();
            let node = |k: &PublicKey| gr.node(k).unwrap();
            let crossing: f64 = a
                .honest_edges
                .iter()
                .map(|(e, p)| t.edge_flow(gr, node(e), node(p)))
                .sum();
            let through_s: f64 = a
                .puppets
                .iter()
                .map(|p| t.edge_flow(gr, node(&a.s), node(p)))
                .sum();
            let held: f64 = a
                .puppets
                .iter()
                .filter_map(|p| t.get(gr, p))
                .map(|e| e.trust)
                .sum();
            assert_eq!(through_s, 0.0, "g={g} n={n}");
            assert!(crossing > 0.0 && crossing <= 0.8 * g as f64 + 1e-9);
            assert!(held <= crossing + 1e-9, "g={g} n={n}: {held} > {crossing}");
            let pw = weight_of(&w.screen(&a.v, &a.s), &is_puppet(&a.puppets));
            assert!(pw <= crossing + 0.05 + 1e-9, "g={g} n={n}: {pw}");
            // Before, S forwarded its full 1.0 into the cluster on top of the honest edges.
            let t0 = w.rep.trust_map_unvetted(&a.v).unwrap();
            let held0: f64 = a
                .puppets
                .iter()
                .filter_map(|p| t0.get(gr, p))
                .map(|e| e.trust)
                .sum();
            eprintln!("g={g} n={n}: crossing {crossing}, held {held}, held before {held0}");
            assert!(
                held0 >= held + 0.5,
                "g={g} n={n}: before {held0}, now {held}"
            );
        }
    }
}

#[test]
fn one_unfair_unsafe_rating_among_many_good_ones_does_not_stop_a_key_vouching() {
    // H: the viewer's partner, rated by 9 more of the viewer's partners after a met deal each.
    // C: H's partner, reached only through H; Z: C's partner. H rates C well, C rates Z well.
    let world = |unfair: u64| {
        let mut w = World::new();
        let (v, h, c, z) = (k("v", 0), k("h", 0), k("c", 0), k("z", 0));
        w.deal(v, h, DealTier::Met);
        for i in 0..9 {
            let r = k("r", i);
            w.deal(v, r, DealTier::Met);
            let n = w.deal(r, h, DealTier::Met);
            w.rate(r, h, n, i >= unfair, true);
        }
        let nc = w.deal(h, c, DealTier::Met);
        let nz = w.deal(c, z, DealTier::Met);
        w.rate(h, c, nc, true, true);
        w.rate(c, z, nz, true, true);
        (w, v, h, c, z)
    };
    let mut last_forward = f64::INFINITY;
    for unfair in 0..=3u64 {
        let (w, v, h, c, z) = world(unfair);
        let g = w.rep.graph();
        let t = w.rep.trust_map(&v).unwrap();
        let t0 = w.rep.trust_map_unvetted(&v).unwrap();
        let he = *t.get(g, &h).unwrap();
        let u = unfair as f64 / 9.0;
        assert!((he.unsafe_share - u).abs() < 1e-12, "{he:?}");
        let full = t0.get(g, &h).unwrap().per_child;
        if unfair < 3 {
            // Below the quartile: H still vouches, damped like its rating weight, (1 − u)².
            assert!(!he.flagged);
            assert!((he.per_child - full * (1.0 - u).powi(2)).abs() < 1e-12);
            assert!(he.per_child < last_forward);
            last_forward = he.per_child;
            // What it forwards still covers C's ring cap: nothing behind H changes at all.
            assert_eq!(t.get(g, &c).map(|e| e.trust), Some(0.3));
            for subject in [c, z] {
                let now = w.screen(&v, &subject);
                let before = w.rep.screen(&t0, &subject, T0 + 30 * DAY, true).unwrap();
                assert_eq!(now, before, "{unfair} unfair");
                assert_eq!(now.partners_in_network, now.partners);
            }
        } else {
            // 3 of 9 reach the quartile: H is flagged and C is outside your network.
            assert!(he.flagged && he.per_child == 0.0);
            assert!(t.get(g, &c).is_none() && t.get(g, &z).is_none());
            assert_eq!(w.screen(&v, &z).partners_in_network, 0);
        }
    }
}

#[test]
fn a_flag_counts_the_viewer_and_raters_up_to_the_keys_own_ring_only() {
    let mut w = World::new();
    let v = k("v", 0);
    // T in ring 1 behind h, who rates it well; T's 10 children, reached only through T (and
    // dealing with each other, so none is a sole partner), all rate it unsafe.
    let (h, t_key) = (k("h", 0), k("t", 0));
    w.deal(v, h, DealTier::Met);
    let nt = w.deal(h, t_key, DealTier::Met);
    w.rate(h, t_key, nt, true, true);
    let kids: Vec<PublicKey> = (0..10).map(|i| k("kid", i)).collect();
    for (i, &c) in kids.iter().enumerate() {
        let n = w.deal(c, t_key, DealTier::Met);
        w.rate(c, t_key, n, false, false);
        w.deal(c, kids[(i + 1) % kids.len()], DealTier::Met);
    }
    // Ring 0: a rates its fellow partner b unsafe; the viewer itself rates its partner c unsafe.
    let (a, b, c) = (k("a", 0), k("b", 0), k("c", 0));
    for x in [a, b, c] {
        w.deal(v, x, DealTier::Met);
    }
    let nab = w.deal(a, b, DealTier::Met);
    w.rate(a, b, nab, false, true);
    let nvc = synth::synth_nego(v, c, 1_000_000);
    let (x, y) = receipt_pair(v, c, 1_000_000, DealTier::Met);
    w.rep.insert_receipt(&x).unwrap();
    w.rep.insert_receipt(&y).unwrap();
    w.rate(v, c, nvc, false, true);
    let (b_kid, c_kid) = (k("bk", 0), k("ck", 0));
    w.deal(b, b_kid, DealTier::Met);
    w.deal(c, c_kid, DealTier::Met);

    let g = w.rep.graph();
    let tm = w.rep.trust_map(&v).unwrap();
    // T's children cannot cut the trust T forwards to them…
    let te = *tm.get(g, &t_key).unwrap();
    assert!(!te.flagged && te.unsafe_share == 0.0, "{te:?}");
    assert!(te.per_child > 0.0);
    for c in &kids {
        assert!(tm.get(g, c).is_some_and(|e| e.trust > 0.0));
    }
    // …but they are in your network, so the screening of T carries their warning.
    assert!(w.screen(&v, &t_key).safety.flagged);
    // A fellow ring-0 rater and the viewer's own rating count.
    for (x, kid) in [(b, b_kid), (c, c_kid)] {
        let e = *tm.get(g, &x).unwrap();
        assert!(e.flagged && e.unsafe_share == 1.0, "{e:?}");
        assert!(tm.get(g, &kid).is_none());
    }
    assert!(!tm.get(g, &a).unwrap().flagged);
}

#[test]
fn vetted_maps_follow_the_stated_order_conserve_trust_and_do_not_depend_on_rating_order() {
    // A community graph whose every deal is rated by both sides, one rating in five unsafe.
    let hg = synth::honest_graph(600, 30, 6, 11);
    let mut ratings = Vec::new();
    let mut w = World::new();
    for (i, &(a, b, tier, d)) in hg.edges.iter().enumerate() {
        let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
        let (x, y) = receipt_pair(ka, kb, d, tier);
        w.rep.insert_receipt(&x).unwrap();
        w.rep.insert_receipt(&y).unwrap();
        let ok = i % 5 != 0;
        ratings.push(synth::rating(ka, kb, x.nego.clone(), ok, ok, T0 + 1));
        ratings.push(synth::rating(kb, ka, x.nego, true, true, T0 + 1));
    }
    let mut reversed = w.rep.clone();
    for r in &ratings {
        w.rep.insert_rating(r.clone()).unwrap();
    }
    for r in ratings.iter().rev() {
        reversed.insert_rating(r.clone()).unwrap();
    }
    let g = w.rep.graph();
    let p = Params::default();
    let (mut flagged, mut damped) = (0, 0);
    for vi in (0..600).step_by(20) {
        let v = hg.keys[vi];
        let t = w.rep.trust_map(&v).unwrap();
        for (x, e) in t.iter() {
            if e.dist == 0 {
                continue;
            }
            // Conservation: keeps plus forwards at most what flowed in.
            let out = e.per_child * f64::from(e.children);
            assert!(e.trust + out <= e.inflow + 1e-9, "{e:?}");
            // Reached only through a key that is not flagged, one ring closer.
            let parent = t.entry(e.parent.unwrap()).unwrap();
            assert!(!parent.flagged && parent.dist + 1 == e.dist);
            if e.flagged {
                assert_eq!((e.children, e.per_child), (0, 0.0));
            }
            // Every neighbour of a key that forwards is reached.
            if !e.flagged && e.dist < 3 {
                assert!(g.neighbors(x).all(|(y, _)| t.entry(y).is_some()));
            }
            // The flag, recomputed from its definition: reports about the key by the viewer
            // and rings up to its own, trust × tier weighted, against the quartile.
            if e.dist <= 2 {
                let key = g.key(x).unwrap();
                let (mut yes, mut no) = (0.0, 0.0);
                for r in w.rep.ratings().about(key) {
                    let Some(re) = t.get(g, &r.rater).filter(|re| re.dist <= e.dist) else {
                        continue;
                    };
                    let tier = match g.deal_by_key(&r.deal) {
                        Some(graph::DealState::Paired(DealTier::Met)) => p.tier_met,
                        Some(graph::DealState::Paired(_)) => p.tier_proven,
                        _ => continue,
                    };
                    match r.safe {
                        Some(true) => yes += re.trust * tier,
                        Some(false) => no += re.trust * tier,
                        None => {}
                    }
                }
                let u = if yes + no > 0.0 { no / (yes + no) } else { 0.0 };
                assert!((e.unsafe_share - u).abs() < 1e-12, "{e:?} vs {u}");
                assert_eq!(e.flagged, u >= 0.25 - 1e-12, "{e:?}");
                flagged += usize::from(e.flagged);
                damped += usize::from(!e.flagged && u > 0.0);
            }
        }
        // The same facts in another order: the same keys reached, flagged and trusted.
        let r = reversed.trust_map(&v).unwrap();
        assert_eq!(t.len(), r.len());
        for (x, e) in t.iter() {
            let f = r.entry(x).unwrap();
            assert_eq!(
                (e.dist, e.flagged, e.children),
                (f.dist, f.flagged, f.children)
            );
            assert!((e.trust - f.trust).abs() < 1e-12 && (e.per_child - f.per_child).abs() < 1e-12);
        }
    }
    assert!(
        flagged > 20 && damped > 20,
        "{flagged} flagged, {damped} damped"
    );
}

#[test]
fn a_trust_map_knows_when_a_rating_or_a_follow_list_changed_it() {
    let mut w = World::new();
    let (v, h, s) = (k("v", 0), k("h", 0), k("s", 0));
    w.deal(v, h, DealTier::Met);
    let n = w.deal(h, s, DealTier::Met);
    let t = w.rep.trust_map(&v).unwrap();
    assert!(t.is_current(&w.rep));
    w.rate(h, s, n, false, false);
    assert!(!t.is_current(&w.rep), "a rating can flag a key");
    let t = w.rep.trust_map(&v).unwrap();
    w.rep.set_follows(v, vec![s], T0 + 1);
    assert!(!t.is_current(&w.rep));
    let t = w.rep.trust_map(&v).unwrap();
    w.deal(s, k("x", 0), DealTier::Met);
    assert!(!t.is_current(&w.rep));
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
    let hops = w.rep.trust_map_unvetted(&v).unwrap();
    let refr = reference_screen(w.rep.graph(), w.rep.ratings(), &hops, &s, w.rep.params());
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
