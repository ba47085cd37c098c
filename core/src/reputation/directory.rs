//! The engine's identities and deal facts kept outside its memory.
//!
//! In memory the engine needs only what trust propagation walks: node ids, the CSR adjacency
//! and per-node counters (≈ 13 MiB at 1M proven edges). The dictionaries around it — every
//! node's 32-byte key, the 128-bit key of every deal with its tier, the held receipt halves and
//! first-seen times (≈ 30 MiB more at 1M edges) — are only *looked up*: a handful of keys per
//! screening, one deal per rating. An engine built with a [`Directory`]
//! ([`Reputation::with_directory`](super::Reputation::with_directory)) asks it for those and
//! holds none of them; the app's directory is the store's `rep_*` tables (indexed point
//! lookups), which already hold them. Without a directory (the CLI's offline screening, the
//! Sybil simulation, tests) the engine keeps them itself, as before.
//!
//! The module stays pure: the trait is the boundary, the I/O lives in its implementation.
//!
//! In directory mode the engine does not pair receipts itself: the store decides pairings and
//! upgrades (`reputation::receipt_step`, the same rules) and hands the engine [`GraphChange`]s
//! with the node ids it assigned, in pairing order (author of the completing half first), the
//! order the in-memory engine interns keys in — so both engines number nodes identically.

use std::fmt::Debug;

use nostr::PublicKey;

use super::ReputationError;
use super::graph::{DealKey, NodeId};
use crate::protocol::receipt::DealTier;

/// What is known about one deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealFact {
    /// Only one half is held; its author.
    OneSided {
        /// Author of the held half.
        author: PublicKey,
    },
    /// Both halves seen: the deal's tier (`Proven` or `Met`).
    Paired(DealTier),
}

/// Where an engine without in-memory dictionaries looks up keys, deals and first-seen times.
///
/// Every answer must describe exactly the changes the engine has applied (the store answers
/// from the rows that produced the [`GraphChange`]s), so a lookup never sees a node the graph
/// does not have. Errors are refused lookups (I/O, corrupt rows); the engine passes them on as
/// [`ReputationError::Directory`] and computes nothing from partial data.
pub trait Directory: Send + Sync + Debug {
    /// The node id of `pk`, if it has a paired deal.
    fn node(&self, pk: &PublicKey) -> Result<Option<NodeId>, ReputationError>;
    /// The key of node `id`.
    fn key(&self, id: NodeId) -> Result<Option<PublicKey>, ReputationError>;
    /// The state of the deal with key `deal`, if any half of it is known.
    fn deal(&self, deal: &DealKey) -> Result<Option<DealFact>, ReputationError>;
    /// The oldest event time seen for `pk` (any kind).
    fn first_seen(&self, pk: &PublicKey) -> Result<Option<u64>, ReputationError>;

    /// [`Directory::node`] of each key, in order. Override to answer many at once cheaper
    /// (one screening asks for every rater of the subject).
    fn nodes(&self, pks: &[PublicKey]) -> Result<Vec<Option<NodeId>>, ReputationError> {
        pks.iter().map(|p| self.node(p)).collect()
    }

    /// [`Directory::key`] of each id, in order (a trust map names the nodes it reaches).
    fn keys(&self, ids: &[NodeId]) -> Result<Vec<Option<PublicKey>>, ReputationError> {
        ids.iter().map(|i| self.key(*i)).collect()
    }

    /// [`Directory::deal`] of each deal key, in order.
    fn deals(&self, deals: &[DealKey]) -> Result<Vec<Option<DealFact>>, ReputationError> {
        deals.iter().map(|d| self.deal(d)).collect()
    }
}

/// One change to the graph decided by the directory's owner (the store), with node ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphChange {
    /// A deal paired between `a` (author of the completing half) and `b` at `tier`. A node id
    /// equal to the current node count is a new node (`a`'s first if both are new).
    Pair {
        /// Completing half's author.
        a: NodeId,
        /// Its counterparty.
        b: NodeId,
        /// `Proven` or `Met`.
        tier: DealTier,
    },
    /// A deal between `a` and `b` paired as proven became met.
    Upgrade {
        /// One party.
        a: NodeId,
        /// The other.
        b: NodeId,
    },
}

/// A directory-mode engine's persisted form, decoded (`store::rep` reads it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GraphParts {
    /// A graph checkpoint ([`Reputation::graph_checkpoint`](super::Reputation::graph_checkpoint)),
    /// if one is stored.
    pub checkpoint: Option<Vec<u8>>,
    /// Without a checkpoint: every paired deal as [`GraphChange::Pair`] with its final tier, in
    /// pairing order. With one: the deals paired after it (`Pair`, final tier, pairing order),
    /// then the upgrades of deals it covers (`Upgrade`).
    pub changes: Vec<GraphChange>,
    /// Ratings in the order each (rater, deal) first arrived, in held form.
    pub ratings: Vec<super::RatingRow>,
    /// Follow lists: `(owner, created_at, follows)`.
    pub follows: Vec<(PublicKey, u64, Vec<PublicKey>)>,
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::{Arc, Mutex};

    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};

    use super::*;
    use crate::protocol::receipt::Receipt;
    use crate::reputation::synth::{self, T0, receipt_pair, synth_key};
    use crate::reputation::{NodeId, Params, ReceiptOutcome, Reputation};

    /// A directory answering from an in-memory engine (the store plays this part in the app).
    #[derive(Debug)]
    struct EngineDir(Arc<Mutex<Reputation>>);

    impl Directory for EngineDir {
        fn node(&self, pk: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
            self.0.lock().unwrap().node_of(pk)
        }
        fn key(&self, id: NodeId) -> Result<Option<PublicKey>, ReputationError> {
            self.0.lock().unwrap().key_of(id)
        }
        fn deal(&self, deal: &DealKey) -> Result<Option<DealFact>, ReputationError> {
            self.0.lock().unwrap().deal_of(deal)
        }
        fn first_seen(&self, pk: &PublicKey) -> Result<Option<u64>, ReputationError> {
            self.0.lock().unwrap().first_seen(pk)
        }
    }

    /// A directory whose every lookup fails (also for codec tests, which never look up).
    #[derive(Debug)]
    pub(crate) struct Broken;

    impl Directory for Broken {
        fn node(&self, _: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
            Err(ReputationError::Directory {
                reason: "disk gone".into(),
            })
        }
        fn key(&self, _: NodeId) -> Result<Option<PublicKey>, ReputationError> {
            Err(ReputationError::Directory {
                reason: "disk gone".into(),
            })
        }
        fn deal(&self, _: &DealKey) -> Result<Option<DealFact>, ReputationError> {
            Err(ReputationError::Directory {
                reason: "disk gone".into(),
            })
        }
        fn first_seen(&self, _: &PublicKey) -> Result<Option<u64>, ReputationError> {
            Err(ReputationError::Directory {
                reason: "disk gone".into(),
            })
        }
    }

    /// What the in-memory engine decided for one half, as the change the store would hand on.
    fn change_of(mem: &Reputation, r: &Receipt, out: ReceiptOutcome) -> Option<GraphChange> {
        let node = |k| mem.node_of(k).unwrap().unwrap();
        match out {
            ReceiptOutcome::Paired(tier) => Some(GraphChange::Pair {
                a: node(&r.author),
                b: node(&r.peer),
                tier,
            }),
            ReceiptOutcome::UpgradedToMet => Some(GraphChange::Upgrade {
                a: node(&r.author),
                b: node(&r.peer),
            }),
            _ => None,
        }
    }

    /// A shuffled mix: community deals (some proven now and met later, some one-sided), a
    /// Sybil cluster with two attack edges, ratings (some on one-sided deals, some stale),
    /// follow lists and lurkers.
    fn mix(
        seed: u64,
    ) -> (
        Vec<Receipt>,
        Vec<crate::reputation::RatingInput>,
        Vec<PublicKey>,
    ) {
        let mut rng = StdRng::seed_from_u64(seed);
        let hg = synth::honest_graph(300, 15, 5, seed);
        let cl = synth::sybil_cluster("dirpuppet", 40, 4, seed);
        let mut halves = Vec::new();
        let mut ratings = Vec::new();
        let mut d = 0u64;
        let mut edges: Vec<(PublicKey, PublicKey, DealTier)> = hg
            .edges
            .iter()
            .map(|&(a, b, t, _)| (hg.keys[a as usize], hg.keys[b as usize], t))
            .collect();
        for &(a, b, _) in &cl.edges {
            edges.push((cl.keys[a as usize], cl.keys[b as usize], DealTier::Proven));
        }
        for i in 0..2 {
            edges.push((cl.keys[i], hg.keys[i * 7], DealTier::Met));
        }
        for (a, b, tier) in edges {
            d += 1;
            let roll = rng.gen_range(0..10);
            if roll == 0 {
                // One-sided: only the first half, rated negatively by its author.
                let (x, _) = receipt_pair(a, b, d, DealTier::Proven);
                ratings.push(synth::rating(a, b, x.nego.clone(), true, false, T0 + d));
                halves.push(x);
                continue;
            }
            if roll == 1 && tier == DealTier::Met {
                // Paired as proven first, upgraded by both meet halves later.
                let (p1, p2) = receipt_pair(a, b, d, DealTier::Proven);
                halves.extend([p1, p2]);
            }
            let (x, y) = receipt_pair(a, b, d, tier);
            let safe = rng.gen_range(0..6) != 0;
            ratings.push(synth::rating(b, a, x.nego.clone(), safe, true, T0 + d));
            ratings.push(synth::rating(a, b, x.nego.clone(), true, safe, T0 + d));
            if rng.gen_range(0..8) == 0 {
                // An older rating of the same deal: stale.
                ratings.push(synth::rating(
                    b,
                    a,
                    x.nego.clone(),
                    !safe,
                    false,
                    T0 + d - 1,
                ));
            }
            halves.extend([x, y]);
        }
        // The cluster's first key is a scammer its two genuine honest partners rate unsafe:
        // viewers near them flag it, and nothing is reached through it.
        for j in 1..=2usize {
            d += 1;
            let (x, y) = receipt_pair(hg.keys[j], cl.keys[0], d, DealTier::Met);
            ratings.push(synth::rating(
                hg.keys[j],
                cl.keys[0],
                x.nego.clone(),
                false,
                false,
                T0 + d,
            ));
            halves.extend([x, y]);
        }
        halves.shuffle(&mut rng);
        let mut keys = hg.keys.clone();
        keys.extend(cl.keys.iter().take(5));
        keys.push(synth_key("nobody", seed));
        (halves, ratings, keys)
    }

    #[test]
    fn directory_mode_screens_identically_to_memory_mode() {
        for seed in 1..=3u64 {
            let (halves, ratings, keys) = mix(seed);
            let mem = Arc::new(Mutex::new(Reputation::new(Params::default()).unwrap()));
            let dir: Arc<dyn Directory> = Arc::new(EngineDir(mem.clone()));
            let mut ext = Reputation::with_directory(Params::default(), dir.clone()).unwrap();
            let mut changes = Vec::new();
            for h in &halves {
                let mut m = mem.lock().unwrap();
                if let Ok(out) = m.insert_receipt(h)
                    && let Some(c) = change_of(&m, h, out)
                {
                    changes.push(c);
                    drop(m);
                    ext.apply_changes(&[c]).unwrap();
                }
            }
            assert!(
                changes
                    .iter()
                    .any(|c| matches!(c, GraphChange::Upgrade { .. }))
            );
            for r in &ratings {
                let a = mem.lock().unwrap().insert_rating(r.clone());
                let b = ext.insert_rating(r.clone());
                assert_eq!(a, b);
            }
            for (i, v) in keys.iter().enumerate().step_by(17) {
                let follows: Vec<PublicKey> =
                    keys.iter().skip(i + 3).step_by(41).copied().collect();
                mem.lock().unwrap().set_follows(*v, follows.clone(), T0 + 5);
                ext.set_follows(*v, follows, T0 + 5);
            }
            // Loaded from the changes in one bulk pass, and from a graph checkpoint + tail.
            let bulk = Reputation::from_graph_parts(
                Params::default(),
                dir.clone(),
                GraphParts {
                    changes: changes
                        .iter()
                        .filter(|c| matches!(c, GraphChange::Pair { .. }))
                        .map(|c| final_tier(c, &changes))
                        .collect(),
                    ratings: Vec::new(),
                    ..GraphParts::default()
                },
            )
            .unwrap();
            let half = changes.len() / 2;
            let mut first = Reputation::with_directory(Params::default(), dir.clone()).unwrap();
            first.apply_changes(&changes[..half]).unwrap();
            let ck = first.graph_checkpoint().unwrap();
            let mut resumed =
                Reputation::from_graph_checkpoint(Params::default(), dir.clone(), &ck).unwrap();
            resumed.apply_changes(&changes[half..]).unwrap();

            // A copy: the directory locks the original on every lookup.
            let m = mem.lock().unwrap().clone();
            assert!(m.graph().memory().keys > 0 && ext.graph().memory().keys == 0);
            assert_eq!(ext.graph().memory().deals, 0);
            for g in [ext.graph(), bulk.graph(), resumed.graph()] {
                assert_eq!(g.node_count(), m.graph().node_count());
                assert_eq!(g.edge_count(), m.graph().edge_count());
                for x in 0..g.node_count() as NodeId {
                    let mut want: Vec<_> = m.graph().neighbors(x).collect();
                    let mut got: Vec<_> = g.neighbors(x).collect();
                    want.sort_by_key(|e| e.0);
                    got.sort_by_key(|e| e.0);
                    assert_eq!(got, want, "node {x}");
                    assert_eq!(g.deal_counts(x), m.graph().deal_counts(x));
                }
            }
            let mut compared = 0;
            let (mut flagged, mut damped) = (0, 0);
            for v in keys.iter().step_by(13) {
                let (tm, te) = (m.trust_map(v).unwrap(), ext.trust_map(v).unwrap());
                assert_eq!(tm.len(), te.len());
                // The same rings, flags and flows, node by node (exact floats).
                let entries = |t: &crate::reputation::TrustMap| -> Vec<_> {
                    t.iter().map(|(x, e)| (x, *e, t.key(x).copied())).collect()
                };
                let want = entries(&tm);
                assert_eq!(entries(&te), want);
                flagged += want.iter().filter(|e| e.1.flagged).count();
                damped += want
                    .iter()
                    .filter(|e| !e.1.flagged && e.1.unsafe_share > 0.0)
                    .count();
                for s in keys.iter().step_by(7) {
                    let want = m.screen(&tm, s, T0 + 86_400, true).unwrap();
                    assert_eq!(ext.screen(&te, s, T0 + 86_400, true).unwrap(), want);
                    compared += 1;
                }
            }
            assert!(compared > 500, "{compared}");
            assert!(
                flagged > 10 && damped > 3,
                "{flagged} flagged, {damped} damped"
            );
        }
    }

    /// A pair change with the final tier its deal reached (as the store's rows hold it).
    fn final_tier(c: &GraphChange, all: &[GraphChange]) -> GraphChange {
        match *c {
            GraphChange::Pair { a, b, tier } => {
                let pos = all.iter().position(|x| x == c).unwrap();
                let upgraded = all[pos..].iter().any(
                    |x| matches!(*x, GraphChange::Upgrade { a: p, b: q } if (p, q) == (a, b) || (p, q) == (b, a)),
                );
                GraphChange::Pair {
                    a,
                    b,
                    tier: if upgraded { DealTier::Met } else { tier },
                }
            }
            other => other,
        }
    }

    #[test]
    fn refused_changes_and_receipts_change_nothing() {
        let mut ext = Reputation::with_directory(Params::default(), Arc::new(Broken)).unwrap();
        let pair = |a, b, tier| GraphChange::Pair { a, b, tier };
        for bad in [
            pair(1, 0, DealTier::Proven),        // skips id 0
            pair(0, 2, DealTier::Proven),        // skips id 1
            pair(0, 0, DealTier::Met),           // a deal with itself
            pair(0, 1, DealTier::OneSided),      // not paired
            GraphChange::Upgrade { a: 0, b: 1 }, // no such edge
        ] {
            assert!(ext.apply_changes(&[bad]).is_err(), "{bad:?}");
            assert_eq!(ext.graph().node_count(), 0);
            assert_eq!(ext.graph().generation(), 0);
        }
        ext.apply_changes(&[pair(0, 1, DealTier::Proven)]).unwrap();
        ext.apply_changes(&[pair(2, 0, DealTier::Met), pair(1, 3, DealTier::Proven)])
            .unwrap();
        assert_eq!(ext.graph().node_count(), 4);
        ext.apply_changes(&[GraphChange::Upgrade { a: 1, b: 0 }])
            .unwrap();
        assert_eq!(ext.graph().deal_counts(0), (2, 2));
        // The store pairs receipts in directory mode; the engine refuses to.
        let (x, _) = receipt_pair(synth_key("r", 1), synth_key("r", 2), 1, DealTier::Met);
        assert!(matches!(
            ext.insert_receipt(&x),
            Err(ReputationError::Directory { .. })
        ));
        // And a memory-mode engine refuses changes meant for a directory.
        let mut mem = Reputation::new(Params::default()).unwrap();
        assert!(mem.apply_changes(&[pair(0, 1, DealTier::Met)]).is_err());
        assert!(
            mem.graph_checkpoint().is_ok(),
            "an empty graph holds no keys yet"
        );
        mem.insert_receipt(&x).unwrap();
        let (_, y) = receipt_pair(synth_key("r", 1), synth_key("r", 2), 1, DealTier::Met);
        mem.insert_receipt(&y).unwrap();
        assert!(mem.graph_checkpoint().is_err());
    }

    #[test]
    fn a_failing_directory_fails_the_screening_instead_of_guessing() {
        let mut ext = Reputation::with_directory(Params::default(), Arc::new(Broken)).unwrap();
        ext.apply_changes(&[GraphChange::Pair {
            a: 0,
            b: 1,
            tier: DealTier::Met,
        }])
        .unwrap();
        let v = synth_key("v", 1);
        assert!(matches!(
            ext.trust_map(&v),
            Err(ReputationError::Directory { .. })
        ));
        assert!(matches!(
            ext.first_seen(&v),
            Err(ReputationError::Directory { .. })
        ));
    }
}
