//! Trust from one viewer, conserved along edges, capped by ring, and withheld by keys the
//! viewer's network flags unsafe.
//!
//! Rings by breadth-first distance over proven-deal edges: distance 1 = the viewer's direct
//! partners (ring 0), the viewer's follows that are not partners are seeded at distance 2
//! (ring 1), distance 3 is ring 2; everything further is unreachable. Trust flows outward along
//! ring-increasing edges only: the viewer sends each direct partner `cap0 + forward`, each
//! follow `cap1 + forward`; a node keeps `min(cap, inflow)` as its rater weight and forwards at
//! most `min(inflow − kept, per_child × children, forward_max)`, split equally among its
//! children. Nothing is ever copied, so whatever sits behind an edge shares that edge's flow.
//!
//! **Vetting.** Rings are settled one at a time, outward. Once ring k's trust is known (it
//! depends only on what ring k − 1 forwarded), each ring-k key's *unsafe share* `u` is taken
//! from the safety reports about it by raters at distance ≤ k + 1 — the viewer, rings 0..=k —
//! each weighing the rater's trust × the tier of the rated deal. A key whose share reaches the
//! lower quantile (the screening flag's rule) is *flagged*: it keeps its own trust as a rater
//! but forwards nothing and is not expanded, so keys reachable only through it stay
//! unreachable. Any other key forwards `(1 − u)^k` of what it would have (the damping its
//! rating weight gets). Reports from a key's own children and beyond never count toward its
//! flag, and no ring-k trust depends on a ring-k flag, so the order is well defined and the
//! result deterministic (`docs/REPUTATION.md` §3 has the proof sketch of the bounds).

use std::collections::HashMap;

use nostr::PublicKey;

use super::graph::{DealGraph, NodeId};
use super::{Params, ReputationError};

/// One reached node of a trust map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrustEntry {
    /// Edges from the viewer: 0 = the viewer, 1 = direct partner, 2, 3; follows sit at 2.
    pub dist: u8,
    /// Trust this node keeps as a rater (never above its ring cap).
    pub trust: f64,
    /// Total trust that flowed into it.
    pub inflow: f64,
    /// Trust sent along each of its child edges.
    pub per_child: f64,
    /// Number of children (neighbours one ring further out); 0 for a flagged node.
    pub children: u32,
    /// Trust the viewer sent it directly (direct partners and follows), else 0.
    pub from_viewer: f64,
    /// Its parent on a shortest path from the viewer through keys that are not flagged (`None`
    /// for the viewer and for follows without deals).
    pub parent: Option<NodeId>,
    /// Weighted share of "unsafe" among the safety reports about it from the viewer and rings
    /// up to its own (0..=1; 0 without reports). Decided for rings 0 and 1, the rings that
    /// forward; 0 in ring 2 and for the viewer.
    pub unsafe_share: f64,
    /// The viewer's network flags it unsafe (`unsafe_share` reached the lower quantile): it
    /// forwards no trust, and nothing is reached through it.
    pub flagged: bool,
}

impl TrustEntry {
    fn new(dist: u8, parent: Option<NodeId>) -> Self {
        Self {
            dist,
            trust: 0.0,
            inflow: 0.0,
            per_child: 0.0,
            children: 0,
            from_viewer: 0.0,
            parent,
            unsafe_share: 0.0,
            flagged: false,
        }
    }

    /// The paper's hop number of this rater (0 = direct partner), `None` for the viewer.
    pub fn hop(&self) -> Option<u8> {
        self.dist.checked_sub(1)
    }
}

/// What trust propagation asks about the nodes it reaches, beyond the graph: their keys, and
/// the safety reports about them (the rating book, and the deals the ratings name).
pub(crate) trait Vetting {
    /// The keys of nodes `ids`, in order (`None` for an id without one).
    fn keys(&mut self, ids: &[NodeId]) -> Result<Vec<Option<PublicKey>>, ReputationError>;

    /// For each key of `who`: the total weight of its "safe" and of its "unsafe" reports by
    /// raters `map` holds at distance ≤ `upto` (the viewer is at 0), each report weighing the
    /// rater's trust × the tier weight of its deal. Only valid safety signals count (PoW floor,
    /// a paired deal).
    fn reports(
        &mut self,
        map: &TrustMap,
        who: &[PublicKey],
        upto: u8,
    ) -> Result<Vec<(f64, f64)>, ReputationError>;
}

/// Looks keys up in `graph` and hears no reports: the trust of the graph alone (no key is
/// flagged), as propagation was before the network's reports counted (issue 25).
#[cfg(test)]
pub(crate) struct GraphOnly<'g>(pub(crate) &'g DealGraph);

#[cfg(test)]
impl Vetting for GraphOnly<'_> {
    fn keys(&mut self, ids: &[NodeId]) -> Result<Vec<Option<PublicKey>>, ReputationError> {
        Ok(ids.iter().map(|x| self.0.key(*x).copied()).collect())
    }

    fn reports(
        &mut self,
        _: &TrustMap,
        who: &[PublicKey],
        _: u8,
    ) -> Result<Vec<(f64, f64)>, ReputationError> {
        Ok(vec![(0.0, 0.0); who.len()])
    }
}

/// `true` when the weighted lower `q`-quantile of a 0/1 signal is 0: the "no" weight reaches
/// `q` of the total (with a tolerance for float rounding of equal weights). The rule of the
/// screening's flags and of the propagation's.
pub(crate) fn lower_quantile_is_no(no: f64, total: f64, q: f64) -> bool {
    total > 0.0 && no >= q * total * (1.0 - 1e-12)
}

/// Input revision a trust map was computed at: graph generation, rating book revision, follow
/// lists revision.
pub(crate) type Revision = (u64, u64, u64);

/// The viewer's trust over the graph.
#[derive(Debug, Clone)]
pub struct TrustMap {
    viewer: PublicKey,
    viewer_node: Option<NodeId>,
    slots: HashMap<NodeId, usize>,
    nodes: Vec<NodeId>,
    entries: Vec<TrustEntry>,
    /// The key of each reached node (`entries` order), once looked up.
    keys: Vec<Option<PublicKey>>,
    /// Follows with no paired deal (not in the graph): seeded at ring 1.
    outside: HashMap<PublicKey, TrustEntry>,
    /// The keys of the reached nodes (so "is this rater in my network?" needs no lookup).
    by_key: HashMap<PublicKey, NodeId>,
    revision: Revision,
}

const MAX_DIST: u8 = 3;

impl TrustMap {
    /// The trust map of the graph alone: keys from `graph`, no reports (no key flagged).
    #[cfg(test)]
    pub(crate) fn compute(
        graph: &DealGraph,
        viewer: &PublicKey,
        follows: &[PublicKey],
        p: &Params,
    ) -> Self {
        let follows: Vec<(PublicKey, Option<NodeId>)> =
            follows.iter().map(|f| (*f, graph.node(f))).collect();
        Self::compute_vetted(
            graph,
            viewer,
            graph.node(viewer),
            &follows,
            p,
            &mut GraphOnly(graph),
        )
        .unwrap_or_else(|_| unreachable!("the graph-only vetting never fails"))
    }

    /// The viewer's trust map with the viewer's and the follows' node ids already looked up
    /// (`None`: no paired deal), vetted ring by ring by `vet` (module docs).
    pub(crate) fn compute_vetted(
        graph: &DealGraph,
        viewer: &PublicKey,
        viewer_node: Option<NodeId>,
        follows: &[(PublicKey, Option<NodeId>)],
        p: &Params,
        vet: &mut dyn Vetting,
    ) -> Result<Self, ReputationError> {
        let mut m = TrustMap {
            viewer: *viewer,
            viewer_node,
            slots: HashMap::new(),
            nodes: Vec::new(),
            entries: Vec::new(),
            keys: Vec::new(),
            outside: HashMap::new(),
            by_key: HashMap::new(),
            revision: (graph.generation(), 0, 0),
        };
        let caps = |ring: usize| p.ring_caps.get(ring).copied().unwrap_or(0.0);
        let mut levels: [Vec<NodeId>; MAX_DIST as usize + 1] = Default::default();
        if let Some(v) = m.viewer_node {
            let mut e = TrustEntry::new(0, None);
            e.trust = 1.0;
            e.inflow = 1.0;
            m.insert(v, e);
            for (y, _) in graph.neighbors(v) {
                if m.insert(y, TrustEntry::new(1, Some(v))) {
                    levels[1].push(y);
                }
            }
        }
        for (f, node) in follows {
            if f == viewer {
                continue;
            }
            match *node {
                Some(id) => {
                    if m.insert(id, TrustEntry::new(2, m.viewer_node)) {
                        levels[2].push(id);
                    }
                }
                None => {
                    let mut e = TrustEntry::new(2, None);
                    e.trust = caps(1);
                    e.inflow = caps(1);
                    e.from_viewer = caps(1);
                    m.outside.insert(*f, e);
                }
            }
        }
        let mut keyed = 0;
        for d in 1..=MAX_DIST {
            let ring = usize::from(d - 1);
            let cap = caps(ring);
            let level = std::mem::take(&mut levels[usize::from(d)]);
            // Trust kept: the viewer sends a direct partner or a follow at least its cap; any
            // other node keeps what ring d − 1 forwarded to it, up to the cap.
            for &x in &level {
                let direct = m.entry(x).is_some_and(|e| m.is_direct(e));
                if let Some(e) = m.entry_mut(x) {
                    e.trust = if direct {
                        cap
                    } else {
                        cap.min(e.inflow).max(0.0)
                    };
                }
            }
            // The keys of everything reached so far (one batch per ring).
            let fresh: Vec<NodeId> = m.nodes.get(keyed..).unwrap_or_default().to_vec();
            let keys = vet.keys(&fresh)?;
            for ((x, k), slot) in fresh.iter().zip(keys).zip(m.keys.iter_mut().skip(keyed)) {
                if let Some(k) = k {
                    m.by_key.insert(k, *x);
                }
                *slot = k;
            }
            keyed = m.nodes.len();
            let (Some(per), Some(max)) = (p.forward_per_child.get(ring), p.forward_max.get(ring))
            else {
                levels[usize::from(d)] = level;
                continue;
            };
            // This ring's flags, from the viewer and rings 0..=ring (their trust is final).
            m.judge(&level, d, p, vet)?;
            // The next ring: reached through keys that are not flagged.
            let mut next = Vec::new();
            for &x in &level {
                if m.entry(x).is_some_and(|e| e.flagged) {
                    continue;
                }
                for (y, _) in graph.neighbors(x) {
                    if m.insert(y, TrustEntry::new(d + 1, Some(x))) {
                        next.push(y);
                    }
                }
            }
            if let Some(l) = levels.get_mut(usize::from(d) + 1) {
                l.extend(next);
            }
            // Children, the viewer's direct sends, and the flow to ring d + 1.
            for &x in &level {
                let Some(e) = m.entry(x) else { continue };
                let direct = m.is_direct(e);
                let children = if e.flagged {
                    0
                } else {
                    graph
                        .neighbors(x)
                        .filter(|(y, _)| m.entry(*y).is_some_and(|c| c.dist == d + 1))
                        .count()
                };
                let Some(e) = m.entry_mut(x) else { continue };
                e.children = u32::try_from(children).unwrap_or(u32::MAX);
                if direct {
                    e.from_viewer = cap + (per * f64::from(e.children)).min(*max);
                    e.inflow += e.from_viewer;
                }
                if e.children == 0 {
                    continue;
                }
                let spare = (e.inflow - e.trust).max(0.0);
                let damping = (1.0 - e.unsafe_share)
                    .max(0.0)
                    .powf(p.unsafe_penalty_exponent);
                let fwd = spare.min(per * f64::from(e.children)).min(*max) * damping;
                e.per_child = fwd / f64::from(e.children);
                let share = e.per_child;
                for (y, _) in graph.neighbors(x) {
                    if let Some(c) = m.entry_mut(y)
                        && c.dist == d + 1
                    {
                        c.inflow += share;
                    }
                }
            }
            levels[usize::from(d)] = level;
        }
        Ok(m)
    }

    /// `true` for a node the viewer sends trust to directly: a direct partner, or a follow
    /// seeded in ring 1 (its parent is the viewer; a ring-1 key reached by the walk has a ring-0
    /// parent).
    fn is_direct(&self, e: &TrustEntry) -> bool {
        e.dist == 1 || (e.dist == 2 && e.parent == self.viewer_node)
    }

    /// Decides the unsafe share and flag of every key of `level` (at distance `d`) from the
    /// reports of raters at distance ≤ `d`.
    fn judge(
        &mut self,
        level: &[NodeId],
        d: u8,
        p: &Params,
        vet: &mut dyn Vetting,
    ) -> Result<(), ReputationError> {
        let keyed: Vec<(NodeId, PublicKey)> = level
            .iter()
            .filter_map(|x| {
                let k = self.keys.get(*self.slots.get(x)?)?.as_ref()?;
                Some((*x, *k))
            })
            .collect();
        let who: Vec<PublicKey> = keyed.iter().map(|(_, k)| *k).collect();
        let reports = vet.reports(self, &who, d)?;
        for ((x, _), (yes, no)) in keyed.iter().zip(reports) {
            let total = yes + no;
            if let Some(e) = self.entry_mut(*x)
                && total > 0.0
            {
                e.unsafe_share = (no / total).clamp(0.0, 1.0);
                e.flagged = lower_quantile_is_no(no, total, p.quantile);
            }
        }
        Ok(())
    }

    /// Records the input revision the map was computed at ([`TrustMap::is_current`]).
    pub(crate) fn set_revision(&mut self, r: Revision) {
        self.revision = r;
    }

    /// The entry of `pk` without looking its node id up: a reached node, or a follow without
    /// deals.
    pub fn by_key(&self, pk: &PublicKey) -> Option<&TrustEntry> {
        match self.by_key.get(pk) {
            Some(id) => self.entry(*id),
            None => self.outside.get(pk),
        }
    }

    fn insert(&mut self, id: NodeId, e: TrustEntry) -> bool {
        if self.slots.contains_key(&id) {
            return false;
        }
        self.slots.insert(id, self.entries.len());
        self.nodes.push(id);
        self.entries.push(e);
        self.keys.push(None);
        true
    }

    /// The entry of a node, if the viewer reaches it.
    pub fn entry(&self, id: NodeId) -> Option<&TrustEntry> {
        self.slots.get(&id).and_then(|i| self.entries.get(*i))
    }

    fn entry_mut(&mut self, id: NodeId) -> Option<&mut TrustEntry> {
        let i = *self.slots.get(&id)?;
        self.entries.get_mut(i)
    }

    /// The entry of a key: the viewer, a reached node, or a follow without deals.
    pub fn get(&self, graph: &DealGraph, pk: &PublicKey) -> Option<&TrustEntry> {
        self.lookup(pk, graph.node(pk))
    }

    /// The entry of `pk` whose node id (`None`: no paired deal) is already looked up.
    pub fn lookup(&self, pk: &PublicKey, node: Option<NodeId>) -> Option<&TrustEntry> {
        match node {
            Some(id) => self.entry(id),
            None => self.outside.get(pk),
        }
    }

    /// The key of reached node `id`.
    pub fn key(&self, id: NodeId) -> Option<&PublicKey> {
        self.keys.get(*self.slots.get(&id)?)?.as_ref()
    }

    /// The viewer's key.
    pub fn viewer(&self) -> &PublicKey {
        &self.viewer
    }

    /// `false` once the engine's graph, ratings or follow lists have changed since this map
    /// was computed (a rating can flag a key and so change where trust flows).
    pub fn is_current(&self, rep: &super::Reputation) -> bool {
        self.revision == rep.revision()
    }

    /// Every reached node with its entry (the viewer included), in the order reached.
    pub fn iter(&self) -> impl Iterator<Item = (NodeId, &TrustEntry)> {
        self.nodes.iter().copied().zip(self.entries.iter())
    }

    /// Number of reached nodes (the viewer included).
    pub fn len(&self) -> usize {
        self.entries.len() + self.outside.len()
    }

    /// `true` if nothing is reached (a viewer with no deals and no follows).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Trust that flows along the edge `from → to` (0 if it carries none).
    pub fn edge_flow(&self, graph: &DealGraph, from: NodeId, to: NodeId) -> f64 {
        let (Some(a), Some(b)) = (self.entry(from), self.entry(to)) else {
            return 0.0;
        };
        if Some(from) == self.viewer_node {
            return b.from_viewer;
        }
        if b.dist == a.dist + 1 && graph.neighbors(from).any(|(y, _)| y == to) {
            a.per_child
        } else {
            0.0
        }
    }

    /// Shortest trusted path viewer → … → `id` (node ids), empty if unreached.
    pub fn path_to(&self, id: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cur = Some(id);
        while let Some(x) = cur {
            if self.entry(x).is_none() || out.len() > MAX_DIST as usize + 1 {
                return Vec::new();
            }
            out.push(x);
            cur = self.entry(x).and_then(|e| e.parent);
        }
        out.reverse();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::receipt::DealTier;
    use crate::reputation::synth::{receipt_pair, synth_key};

    fn line(n: u64) -> DealGraph {
        let mut g = DealGraph::new();
        for i in 0..n - 1 {
            let (a, b) = receipt_pair(synth_key("l", i), synth_key("l", i + 1), i, DealTier::Met);
            g.insert_receipt(&a).unwrap();
            g.insert_receipt(&b).unwrap();
        }
        g
    }

    #[test]
    fn rings_and_caps_on_a_line() {
        let g = line(6);
        let p = Params::default();
        let m = TrustMap::compute(&g, &synth_key("l", 0), &[], &p);
        let t = |i| m.get(&g, &synth_key("l", i)).map(|e| (e.dist, e.trust));
        assert_eq!(t(0), Some((0, 1.0)));
        assert_eq!(t(1), Some((1, 1.0)));
        assert_eq!(t(2), Some((2, 0.3)));
        let (d3, t3) = t(3).unwrap();
        assert_eq!(d3, 3);
        assert!((t3 - 0.1).abs() < 1e-12);
        assert_eq!(t(4), None, "beyond ring 2 is unreachable");
        let path = m.path_to(g.node(&synth_key("l", 3)).unwrap());
        assert_eq!(path.len(), 4);
    }

    #[test]
    fn follows_seed_ring_one_and_conservation_holds() {
        let g = line(6);
        let p = Params::default();
        let viewer = synth_key("v", 0);
        let outsider = synth_key("v", 1);
        let m = TrustMap::compute(&g, &viewer, &[synth_key("l", 3), outsider, viewer], &p);
        let e = m.get(&g, &synth_key("l", 3)).unwrap();
        assert_eq!((e.dist, e.trust), (2, 0.3));
        assert_eq!(m.get(&g, &outsider).map(|e| e.trust), Some(0.3));
        // Conservation: no node keeps + forwards more than flowed in.
        for (_, e) in m.iter() {
            if e.dist == 0 {
                continue;
            }
            let out = e.per_child * f64::from(e.children);
            assert!(e.trust + out <= e.inflow + 1e-9, "{e:?}");
        }
    }

    #[test]
    fn viewer_without_deals_or_follows_reaches_nobody() {
        let g = line(3);
        let m = TrustMap::compute(&g, &synth_key("nobody", 0), &[], &Params::default());
        assert!(m.is_empty());
    }
}
