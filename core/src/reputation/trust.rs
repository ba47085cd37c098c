//! Trust from one viewer, conserved along edges and capped by ring.
//!
//! Breadth-first rings over proven-deal edges: distance 1 = the viewer's direct partners
//! (ring 0), the viewer's follows that are not partners are seeded at distance 2 (ring 1),
//! distance 3 is ring 2; everything further is unreachable. Trust then flows outward along
//! ring-increasing edges only: the viewer sends each direct partner `cap0 + forward`, each
//! follow `cap1 + forward`; a node keeps `min(cap, inflow)` as its rater weight and forwards at
//! most `min(inflow − kept, per_child × children, forward_max)`, split equally among its children.
//! Nothing is ever copied, so whatever sits behind an edge shares that edge's flow
//! (`docs/REPUTATION.md` has the proof sketch of the bounds).

use std::collections::HashMap;

use nostr::PublicKey;

use super::Params;
use super::graph::{DealGraph, NodeId};

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
    /// Number of children (neighbours one ring further out).
    pub children: u32,
    /// Trust the viewer sent it directly (direct partners and follows), else 0.
    pub from_viewer: f64,
    /// Its parent on a shortest path from the viewer (`None` for the viewer and for follows
    /// without deals).
    pub parent: Option<NodeId>,
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
        }
    }

    /// The paper's hop number of this rater (0 = direct partner), `None` for the viewer.
    pub fn hop(&self) -> Option<u8> {
        self.dist.checked_sub(1)
    }
}

/// The viewer's trust over the graph.
#[derive(Debug, Clone)]
pub struct TrustMap {
    viewer: PublicKey,
    viewer_node: Option<NodeId>,
    slots: HashMap<NodeId, usize>,
    nodes: Vec<NodeId>,
    entries: Vec<TrustEntry>,
    /// Follows with no paired deal (not in the graph): seeded at ring 1.
    outside: HashMap<PublicKey, TrustEntry>,
    /// The keys of the reached nodes (so "is this rater in my network?" needs no lookup).
    by_key: HashMap<PublicKey, NodeId>,
    generation: u64,
}

const MAX_DIST: u8 = 3;

impl TrustMap {
    /// Computes the viewer's trust map. `follows` is the viewer's own follow list (seeds).
    pub fn compute(
        graph: &DealGraph,
        viewer: &PublicKey,
        follows: &[PublicKey],
        p: &Params,
    ) -> Self {
        let follows: Vec<(PublicKey, Option<NodeId>)> =
            follows.iter().map(|f| (*f, graph.node(f))).collect();
        let mut m = Self::compute_resolved(graph, viewer, graph.node(viewer), &follows, p);
        let keys: Vec<Option<PublicKey>> = m.nodes.iter().map(|x| graph.key(*x).copied()).collect();
        m.attach_keys(&keys);
        m
    }

    /// Records the keys of the reached nodes (`keys[i]` of the `i`-th, in [`TrustMap::iter`]
    /// order), for [`TrustMap::by_key`].
    pub(crate) fn attach_keys(&mut self, keys: &[Option<PublicKey>]) {
        self.by_key = self
            .nodes
            .iter()
            .zip(keys)
            .filter_map(|(x, k)| k.map(|k| (k, *x)))
            .collect();
    }

    /// The node ids reached, in [`TrustMap::iter`] order.
    pub(crate) fn reached(&self) -> &[NodeId] {
        &self.nodes
    }

    /// The entry of `pk` without looking its node id up: a reached node, or a follow without
    /// deals.
    pub fn by_key(&self, pk: &PublicKey) -> Option<&TrustEntry> {
        match self.by_key.get(pk) {
            Some(id) => self.entry(*id),
            None => self.outside.get(pk),
        }
    }

    /// [`TrustMap::compute`] with the viewer's and the follows' node ids already looked up
    /// (`None`: no paired deal), for a graph whose keys live in a
    /// [`Directory`](super::Directory).
    pub fn compute_resolved(
        graph: &DealGraph,
        viewer: &PublicKey,
        viewer_node: Option<NodeId>,
        follows: &[(PublicKey, Option<NodeId>)],
        p: &Params,
    ) -> Self {
        let mut m = TrustMap {
            viewer: *viewer,
            viewer_node,
            slots: HashMap::new(),
            nodes: Vec::new(),
            entries: Vec::new(),
            outside: HashMap::new(),
            by_key: HashMap::new(),
            generation: graph.generation(),
        };
        let mut levels: [Vec<NodeId>; 4] = Default::default();
        if let Some(v) = m.viewer_node {
            m.insert(v, TrustEntry::new(0, None));
            for (y, _) in graph.neighbors(v) {
                if m.insert(y, TrustEntry::new(1, Some(v))) {
                    levels[1].push(y);
                }
            }
        }
        let mut seeds: Vec<NodeId> = Vec::new();
        for (f, node) in follows {
            if f == viewer {
                continue;
            }
            match *node {
                Some(id) => {
                    if m.insert(id, TrustEntry::new(2, m.viewer_node)) {
                        levels[2].push(id);
                        seeds.push(id);
                    }
                }
                None => {
                    let mut e = TrustEntry::new(2, None);
                    e.trust = p.ring_caps[1];
                    e.inflow = p.ring_caps[1];
                    e.from_viewer = p.ring_caps[1];
                    m.outside.insert(*f, e);
                }
            }
        }
        // Discover rings 1 and 2 (distances 2 and 3).
        for d in 1..MAX_DIST as usize {
            let (cur, next) = levels.split_at_mut(d + 1);
            if let (Some(cur), Some(next)) = (cur.get(d), next.first_mut()) {
                for &x in cur {
                    for (y, _) in graph.neighbors(x) {
                        if m.insert(y, TrustEntry::new(d as u8 + 1, Some(x))) {
                            next.push(y);
                        }
                    }
                }
            }
        }
        // Children counts (neighbours exactly one ring further out).
        for level in levels.iter().take(MAX_DIST as usize).skip(1) {
            for &x in level {
                let Some(dx) = m.entry(x).map(|e| e.dist) else {
                    continue;
                };
                let c = graph
                    .neighbors(x)
                    .filter(|(y, _)| m.entry(*y).is_some_and(|e| e.dist == dx + 1))
                    .count();
                if let Some(e) = m.entry_mut(x) {
                    e.children = u32::try_from(c).unwrap_or(u32::MAX);
                }
            }
        }
        // The viewer's direct sends.
        let send = |ring: usize, children: u32| -> f64 {
            let cap = p.ring_caps.get(ring).copied().unwrap_or(0.0);
            let per = p.forward_per_child.get(ring).copied().unwrap_or(0.0);
            let max = p.forward_max.get(ring).copied().unwrap_or(0.0);
            cap + (per * f64::from(children)).min(max)
        };
        for &x in levels[1].iter().chain(seeds.iter()) {
            if let Some(e) = m.entry_mut(x) {
                let ring = usize::from(e.dist.saturating_sub(1));
                let s = send(ring, e.children);
                e.from_viewer = s;
                e.inflow += s;
            }
        }
        // Flow outward ring by ring.
        for level in levels.iter().skip(1) {
            for &x in level {
                let Some(e) = m.entry_mut(x) else { continue };
                let ring = usize::from(e.dist.saturating_sub(1));
                let cap = p.ring_caps.get(ring).copied().unwrap_or(0.0);
                e.trust = cap.min(e.inflow).max(0.0);
                let spare = (e.inflow - e.trust).max(0.0);
                let (per, max) = match (p.forward_per_child.get(ring), p.forward_max.get(ring)) {
                    (Some(per), Some(max)) if e.children > 0 => (*per, *max),
                    _ => continue,
                };
                let fwd = spare.min(per * f64::from(e.children)).min(max);
                e.per_child = fwd / f64::from(e.children);
                let (dx, share) = (e.dist, e.per_child);
                for (y, _) in graph.neighbors(x) {
                    if let Some(c) = m.entry_mut(y)
                        && c.dist == dx + 1
                    {
                        c.inflow += share;
                    }
                }
            }
        }
        if let Some(v) = m.viewer_node
            && let Some(e) = m.entry_mut(v)
        {
            e.trust = 1.0;
            e.inflow = 1.0;
        }
        m
    }

    fn insert(&mut self, id: NodeId, e: TrustEntry) -> bool {
        if self.slots.contains_key(&id) {
            return false;
        }
        self.slots.insert(id, self.entries.len());
        self.nodes.push(id);
        self.entries.push(e);
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

    /// The viewer's key.
    pub fn viewer(&self) -> &PublicKey {
        &self.viewer
    }

    /// `false` once the graph has changed since this map was computed.
    pub fn is_current(&self, graph: &DealGraph) -> bool {
        self.generation == graph.generation()
    }

    /// Every reached node with its entry (the viewer included).
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
