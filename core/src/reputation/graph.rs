//! The proven-deal graph: interned keys, CSR adjacency plus an incremental delta, and receipt
//! pairing by negotiation id.
//!
//! Memory layout (per undirected edge, both directions stored): 4 bytes neighbour id + 1 byte
//! meta in the CSR arrays, 4 bytes per node of offsets. New edges go to a small per-node delta
//! and are merged into the CSR when the delta exceeds a quarter of the base (amortised O(1)).

use std::collections::HashMap;

use nostr::PublicKey;
use sha2::{Digest, Sha256};

use super::ReputationError;
use super::directory::GraphChange;
use super::index::{DealIndex, KeyIndex, hash_bytes};
use crate::protocol::NegoId;
use crate::protocol::receipt::{DealTier, Receipt, classify};

/// Dense node id of an interned public key.
pub type NodeId = u32;

/// 128-bit digest of a negotiation id: the deal's key in the index (collision-resistant, so a
/// forged `d` cannot alias a real deal).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DealKey([u8; 16]);

impl DealKey {
    /// The key of a negotiation id (SHA-256 over its three components, truncated to 128 bits).
    pub fn of(nego: &NegoId) -> Self {
        let mut h = Sha256::new();
        h.update(nego.intent_d().as_bytes());
        h.update([0u8]);
        h.update(nego.author().as_bytes());
        h.update(nego.responder().as_bytes());
        let d = h.finalize();
        let mut out = [0u8; 16];
        out.copy_from_slice(&d[..16]);
        Self(out)
    }

    /// A key from its 16 stored bytes (as written by [`DealKey::to_bytes`]).
    pub fn from_bytes(b: [u8; 16]) -> Self {
        Self(b)
    }

    /// The key's 16 bytes, for persisting.
    pub fn to_bytes(self) -> [u8; 16] {
        self.0
    }
}

/// Packed per-direction edge data: bit 7 = at least one deal met in person, bits 0..=6 = number
/// of deals between the pair (saturating at 127).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeMeta(pub(super) u8);

impl EdgeMeta {
    const MET: u8 = 0x80;
    const COUNT: u8 = 0x7f;

    /// Number of paired deals between the two keys (saturating at 127).
    pub fn deals(self) -> u8 {
        self.0 & Self::COUNT
    }

    /// `true` if at least one of those deals was met in person.
    pub fn met(self) -> bool {
        self.0 & Self::MET != 0
    }

    /// The strongest tier among the pair's deals.
    pub fn tier(self) -> DealTier {
        if self.met() {
            DealTier::Met
        } else {
            DealTier::Proven
        }
    }

    pub(super) fn with_met(self) -> Self {
        Self(self.0 | Self::MET)
    }

    pub(super) fn add(self, tier: DealTier) -> Self {
        let count = (self.0 & Self::COUNT).saturating_add(1).min(Self::COUNT);
        let met = if tier == DealTier::Met || self.met() {
            Self::MET
        } else {
            0
        };
        Self(met | count)
    }
}

/// What inserting a receipt half did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// First half of this deal: kept as a one-sided claim until the other half arrives.
    Pending,
    /// The same party's newer half replaced its older pending half.
    ReplacedPending,
    /// Same or older than what we hold: nothing changed.
    Unchanged,
    /// The other half arrived: a new edge (or one more deal on an edge) of this tier.
    Paired(DealTier),
    /// A deal paired as proven (halves published at confirmation) got both meet halves: it now
    /// counts as met (same deal count).
    UpgradedToMet,
}

/// State of one deal in the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealState<'a> {
    /// Only one half seen; the half's author.
    OneSided { author: &'a PublicKey },
    /// Both halves seen.
    Paired(DealTier),
}

/// Per-node counters for the screening record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct NodeStats {
    pub(super) deals: u32,
    pub(super) met: u32,
}

/// Approximate heap bytes held by the graph, by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GraphMemory {
    /// CSR offsets, neighbours, meta and the delta.
    pub adjacency: usize,
    /// Interned keys, their index and per-node counters (`keys + index + stats`).
    pub nodes: usize,
    /// The interned keys alone (32 B each).
    pub keys: usize,
    /// The key index alone (sorted permutation + recent inserts).
    pub index: usize,
    /// The deal index (paired tiers and pending halves).
    pub deals: usize,
}

impl GraphMemory {
    /// Sum of all parts.
    pub fn total(&self) -> usize {
        self.adjacency + self.nodes + self.deals
    }
}

/// What one receipt half does to its deal, given what the index holds for that deal. Shared by
/// the in-memory graph and the persisted form (`store::rep`), so both pair identically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptStep {
    /// Nothing changes.
    Ignore,
    /// The half becomes the deal's held half (pending first half, or a meet half waiting to
    /// upgrade a proven deal), with the outcome to report.
    Hold(ReceiptOutcome),
    /// The other party's half is held: the deal pairs at this tier (the held half is dropped).
    Pair(DealTier),
    /// Both meet halves of a deal paired as proven: it becomes met (the held half is dropped).
    Upgrade,
}

/// Decides [`ReceiptStep`] for half `r` of a deal whose paired tier is `paired` and whose held
/// half (pending if unpaired, upgrade candidate if paired) is `held`. `r` must already have
/// passed the party checks of [`DealGraph::insert_receipt`].
pub fn receipt_step(paired: Option<DealTier>, held: Option<&Receipt>, r: &Receipt) -> ReceiptStep {
    match (paired, held) {
        (Some(tier), _) if tier != DealTier::Proven || r.meet.is_none() => ReceiptStep::Ignore,
        (Some(_), Some(h)) if h.author != r.author && classify(h, Some(r)) == DealTier::Met => {
            ReceiptStep::Upgrade
        }
        (Some(_), Some(h)) if h.author == r.author && r.created_at <= h.created_at => {
            ReceiptStep::Ignore
        }
        (Some(_), _) => ReceiptStep::Hold(ReceiptOutcome::Unchanged),
        (None, None) => ReceiptStep::Hold(ReceiptOutcome::Pending),
        (None, Some(h)) if h.author == r.author => {
            if r.created_at > h.created_at {
                ReceiptStep::Hold(ReceiptOutcome::ReplacedPending)
            } else {
                ReceiptStep::Ignore
            }
        }
        (None, Some(h)) => match classify(h, Some(r)) {
            // Unreachable for halves that passed the party checks; keep the held half.
            DealTier::OneSided => ReceiptStep::Ignore,
            tier => ReceiptStep::Pair(tier),
        },
    }
}

/// Checks the party rules of a receipt half: its author is one party of the negotiation and its
/// `p` the other.
pub fn check_receipt_parties(r: &Receipt) -> Result<(), ReputationError> {
    match r.nego.counterparty_of(&r.author) {
        None => Err(ReputationError::ReceiptAuthorNotParty {
            author: r.author.to_hex(),
            nego: r.nego.to_string(),
        }),
        Some(peer) if peer != r.peer => Err(ReputationError::ReceiptPeerMismatch {
            peer: r.peer.to_hex(),
            nego: r.nego.to_string(),
        }),
        Some(_) => Ok(()),
    }
}

/// The node count after pairing `a` (completing half's author) with `b` at `tier` in a graph
/// of `n` nodes, where node ids are numbered in pairing order: a new node must be numbered next,
/// `a` before `b`. Refuses a deal with itself, a one-sided tier, an id that skips ahead and a
/// graph that would be full — the rule shared by [`DealGraph::apply_change`] and the bulk build
/// [`DealGraph::from_changes`].
pub(super) fn pair_node_count(
    n: u64,
    a: NodeId,
    b: NodeId,
    tier: DealTier,
) -> Result<u64, ReputationError> {
    let bad = |rule: String| ReputationError::InvalidPart {
        part: "change",
        index: 0,
        rule,
    };
    if a == b || tier == DealTier::OneSided {
        return Err(bad(format!(
            "a paired deal needs two different nodes and a proven or met tier \
             (got {a}, {b}, {tier:?})"
        )));
    }
    let mut count = n;
    for v in [u64::from(a), u64::from(b)] {
        if v == count {
            count += 1;
        } else if v > count {
            return Err(bad(format!(
                "nodes {a} and {b} skip ids: the graph has {n} nodes"
            )));
        }
    }
    if count >= u64::from(NodeId::MAX) {
        return Err(ReputationError::TooManyNodes { limit: NodeId::MAX });
    }
    Ok(count)
}

/// The proven-deal graph.
#[derive(Debug, Clone, Default)]
pub struct DealGraph {
    pub(super) keys: Vec<PublicKey>,
    pub(super) index: KeyIndex,
    pub(super) stats: Vec<NodeStats>,
    /// CSR over nodes `0..offsets.len()-1`; rows sorted by neighbour id.
    pub(super) offsets: Vec<u32>,
    pub(super) nbrs: Vec<NodeId>,
    pub(super) meta: Vec<EdgeMeta>,
    /// Edges added since the last compaction, per node (both directions).
    delta: HashMap<NodeId, Vec<(NodeId, EdgeMeta)>>,
    delta_entries: usize,
    pub(super) paired: DealIndex,
    pending: HashMap<DealKey, Receipt>,
    /// Meet-carrying halves of deals paired as proven, waiting for the other party's.
    upgrades: HashMap<DealKey, Receipt>,
    pub(super) edges: usize,
    pub(super) generation: u64,
}

/// Below this many delta entries the graph never compacts (cheap to scan).
const MIN_DELTA: usize = 4096;

impl DealGraph {
    /// An empty graph.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of interned keys.
    pub fn node_count(&self) -> usize {
        self.stats.len()
    }

    /// Number of distinct partner pairs (undirected edges).
    pub fn edge_count(&self) -> usize {
        self.edges
    }

    /// Bumped on every change that can alter a trust map.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The node id of a key, if it has any paired deal.
    pub fn node(&self, pk: &PublicKey) -> Option<NodeId> {
        self.index.get(&self.keys, pk)
    }

    /// The key of a node id.
    pub fn key(&self, id: NodeId) -> Option<&PublicKey> {
        self.keys.get(id as usize)
    }

    fn intern(&mut self, pk: &PublicKey) -> Result<NodeId, ReputationError> {
        if let Some(id) = self.node(pk) {
            return Ok(id);
        }
        let id = NodeId::try_from(self.keys.len())
            .ok()
            .filter(|id| *id < NodeId::MAX)
            .ok_or(ReputationError::TooManyNodes { limit: NodeId::MAX })?;
        self.keys.push(*pk);
        self.stats.push(NodeStats::default());
        self.index.insert(&self.keys, *pk, id);
        Ok(id)
    }

    /// Inserts one verified receipt half, pairing it with the other half by negotiation id.
    ///
    /// A paired deal never loses its tier: signatures are permanent evidence, and a later
    /// replacement of one half cannot undo a meeting already proven. A deal paired as proven
    /// (both halves published at confirmation, as the reference does) is upgraded to met once
    /// both parties' meet halves arrive.
    pub fn insert_receipt(&mut self, r: &Receipt) -> Result<ReceiptOutcome, ReputationError> {
        check_receipt_parties(r)?;
        let key = DealKey::of(&r.nego);
        let paired = self.paired.get(&key);
        let held = match paired {
            Some(_) => self.upgrades.get(&key),
            None => self.pending.get(&key),
        };
        match receipt_step(paired, held, r) {
            ReceiptStep::Ignore => Ok(ReceiptOutcome::Unchanged),
            ReceiptStep::Hold(outcome) => {
                match paired {
                    Some(_) => self.upgrades.insert(key, r.clone()),
                    None => self.pending.insert(key, r.clone()),
                };
                Ok(outcome)
            }
            ReceiptStep::Pair(tier) => {
                // Intern both before mutating anything else, so an error leaves the graph
                // untouched.
                self.pair(&r.author, &r.peer, key, tier)?;
                self.pending.remove(&key);
                Ok(ReceiptOutcome::Paired(tier))
            }
            ReceiptStep::Upgrade => {
                if !self.upgrade(&r.author, &r.peer, &key) {
                    return Ok(ReceiptOutcome::Unchanged);
                }
                self.upgrades.remove(&key);
                Ok(ReceiptOutcome::UpgradedToMet)
            }
        }
    }

    /// Adds paired deal `key` between `a` (author of the completing half) and `b` at `tier`,
    /// interning both keys (`a` first). Refuses, changing nothing, when the graph is full.
    fn pair(
        &mut self,
        a: &PublicKey,
        b: &PublicKey,
        key: DealKey,
        tier: DealTier,
    ) -> Result<(), ReputationError> {
        // Intern both before mutating anything else, so an error leaves the graph untouched.
        let (na, nb) = (self.node(a), self.node(b));
        let need = usize::from(na.is_none()) + usize::from(nb.is_none());
        if self.node_count().saturating_add(need) >= NodeId::MAX as usize {
            return Err(ReputationError::TooManyNodes { limit: NodeId::MAX });
        }
        let x = match na {
            Some(x) => x,
            None => self.intern(a)?,
        };
        let y = match nb {
            Some(y) => y,
            None => self.intern(b)?,
        };
        self.paired.insert(key, tier);
        self.add_deal_edge(x, y, tier);
        Ok(())
    }

    /// Marks paired deal `key` between `a` and `b` as met; `false` (nothing changed) if the
    /// deal is not paired, already met, or the keys are not its nodes.
    fn upgrade(&mut self, a: &PublicKey, b: &PublicKey, key: &DealKey) -> bool {
        let (Some(x), Some(y)) = (self.node(a), self.node(b)) else {
            return false;
        };
        if self.paired.get(key) != Some(DealTier::Proven) || !self.paired.set_met(key) {
            return false;
        }
        self.mark_met(x, y);
        true
    }

    /// One deal on the existing edge x–y became met: counters and both directions' meta.
    fn mark_met(&mut self, x: NodeId, y: NodeId) {
        for (u, v) in [(x, y), (y, x)] {
            if let Some(s) = self.stats.get_mut(u as usize) {
                s.met = s.met.saturating_add(1);
            }
            self.set_met(u, v);
        }
        self.generation = self.generation.wrapping_add(1);
    }

    /// `true` if the graph interns its own keys (memory mode); a graph fed by
    /// [`DealGraph::apply_change`] has none.
    pub(super) fn holds_keys(&self) -> bool {
        !self.keys.is_empty()
    }

    /// Applies a change decided by a [`Directory`](super::Directory)'s owner, by node ids (a
    /// graph without keys of its own). A pair's new nodes must be numbered next, `a` first, as
    /// [`DealGraph::insert_receipt`] would intern them; an upgrade needs the edge. Refuses,
    /// changing nothing, anything else.
    pub fn apply_change(&mut self, c: &GraphChange) -> Result<(), ReputationError> {
        let bad = |rule: String| ReputationError::InvalidPart {
            part: "change",
            index: 0,
            rule,
        };
        if self.holds_keys() {
            return Err(bad(
                "the graph holds its own keys: it pairs receipts itself".into(),
            ));
        }
        match *c {
            GraphChange::Pair { a, b, tier } => {
                let n = pair_node_count(self.node_count() as u64, a, b, tier)?;
                while (self.node_count() as u64) < n {
                    self.stats.push(NodeStats::default());
                }
                self.add_deal_edge(a, b, tier);
                Ok(())
            }
            GraphChange::Upgrade { a, b } => {
                if !self.neighbors(a).any(|(y, _)| y == b) {
                    return Err(bad(format!("no edge between nodes {a} and {b} to upgrade")));
                }
                self.mark_met(a, b);
                Ok(())
            }
        }
    }

    /// Sets the met flag on the existing edge x→y.
    fn set_met(&mut self, x: NodeId, y: NodeId) {
        if let Some((lo, hi)) = self.row(x)
            && let Some(row) = self.nbrs.get(lo..hi)
            && let Ok(i) = row.binary_search(&y)
            && let Some(m) = self.meta.get_mut(lo + i)
        {
            *m = m.with_met();
            return;
        }
        if let Some(row) = self.delta.get_mut(&x)
            && let Some(e) = row.iter_mut().find(|e| e.0 == y)
        {
            e.1 = e.1.with_met();
        }
    }

    /// The state of a deal, if any half of it is known.
    pub fn deal(&self, nego: &NegoId) -> Option<DealState<'_>> {
        self.deal_by_key(&DealKey::of(nego))
    }

    /// The state of the deal with key `key`, if any half of it is known.
    pub fn deal_by_key(&self, key: &DealKey) -> Option<DealState<'_>> {
        let key = *key;
        if let Some(t) = self.paired.get(&key) {
            return Some(DealState::Paired(t));
        }
        self.pending
            .get(&key)
            .map(|h| DealState::OneSided { author: &h.author })
    }

    fn add_deal_edge(&mut self, a: NodeId, b: NodeId, tier: DealTier) {
        for (x, y) in [(a, b), (b, a)] {
            if let Some(s) = self.stats.get_mut(x as usize) {
                s.deals = s.deals.saturating_add(1);
                if tier == DealTier::Met {
                    s.met = s.met.saturating_add(1);
                }
            }
            if !self.bump_existing(x, y, tier) {
                self.delta
                    .entry(x)
                    .or_default()
                    .push((y, EdgeMeta::default().add(tier)));
                self.delta_entries += 1;
                if x == a {
                    self.edges += 1;
                }
            }
        }
        self.generation = self.generation.wrapping_add(1);
        if self.delta_entries > MIN_DELTA.max(self.nbrs.len() / 4) {
            self.compact();
        }
    }

    /// Adds one deal to an existing edge x→y; `false` if there is no such edge yet.
    fn bump_existing(&mut self, x: NodeId, y: NodeId, tier: DealTier) -> bool {
        if let Some((lo, hi)) = self.row(x)
            && let Some(row) = self.nbrs.get(lo..hi)
            && let Ok(i) = row.binary_search(&y)
            && let Some(m) = self.meta.get_mut(lo + i)
        {
            *m = m.add(tier);
            return true;
        }
        if let Some(row) = self.delta.get_mut(&x)
            && let Some(e) = row.iter_mut().find(|e| e.0 == y)
        {
            e.1 = e.1.add(tier);
            return true;
        }
        false
    }

    fn row(&self, x: NodeId) -> Option<(usize, usize)> {
        let i = x as usize;
        let lo = *self.offsets.get(i)? as usize;
        let hi = *self.offsets.get(i + 1)? as usize;
        Some((lo, hi))
    }

    /// Merges the delta into the CSR arrays.
    pub fn compact(&mut self) {
        let n = self.node_count();
        if self.delta.is_empty() && self.offsets.len() == n + 1 {
            return;
        }
        let mut offsets = Vec::with_capacity(n + 1);
        let total = self.nbrs.len() + self.delta_entries;
        let mut nbrs = Vec::with_capacity(total);
        let mut meta = Vec::with_capacity(total);
        offsets.push(0u32);
        let mut row: Vec<(NodeId, EdgeMeta)> = Vec::new();
        for x in 0..n {
            row.clear();
            let id = x as NodeId;
            if let Some((lo, hi)) = self.row(id)
                && let (Some(ns), Some(ms)) = (self.nbrs.get(lo..hi), self.meta.get(lo..hi))
            {
                row.extend(ns.iter().copied().zip(ms.iter().copied()));
            }
            if let Some(d) = self.delta.get(&id) {
                row.extend(d.iter().copied());
            }
            row.sort_unstable_by_key(|e| e.0);
            for (y, m) in &row {
                nbrs.push(*y);
                meta.push(*m);
            }
            // Fits: the number of directed entries is bounded by 2 × deals, far below u32::MAX
            // for any graph that fits in a phone's memory; saturate rather than wrap regardless.
            offsets.push(u32::try_from(nbrs.len()).unwrap_or(u32::MAX));
        }
        self.offsets = offsets;
        self.nbrs = nbrs;
        self.meta = meta;
        self.delta = HashMap::new();
        self.delta_entries = 0;
    }

    /// A compacted graph without keys of its own (directory mode) from graph checkpoint parts
    /// the caller has validated.
    pub(super) fn from_checkpoint_parts(
        stats: Vec<NodeStats>,
        offsets: Vec<u32>,
        nbrs: Vec<NodeId>,
        meta: Vec<EdgeMeta>,
        edges: u64,
        generation: u64,
    ) -> Self {
        Self {
            stats,
            offsets,
            nbrs,
            meta,
            edges: usize::try_from(edges).unwrap_or(usize::MAX),
            generation,
            ..Self::default()
        }
    }

    /// Neighbours of `x` with their edge data (CSR row, then delta).
    pub fn neighbors(&self, x: NodeId) -> impl Iterator<Item = (NodeId, EdgeMeta)> + '_ {
        let base = self
            .row(x)
            .and_then(|(lo, hi)| Some((self.nbrs.get(lo..hi)?, self.meta.get(lo..hi)?)))
            .map(|(n, m)| n.iter().copied().zip(m.iter().copied()));
        let delta = self.delta.get(&x).map(|d| d.iter().copied());
        base.into_iter()
            .flatten()
            .chain(delta.into_iter().flatten())
    }

    /// Number of distinct partners of `x`.
    pub fn degree(&self, x: NodeId) -> usize {
        let base = self
            .row(x)
            .map(|(lo, hi)| hi.saturating_sub(lo))
            .unwrap_or(0);
        base + self.delta.get(&x).map(Vec::len).unwrap_or(0)
    }

    /// Paired deals of `x` (all tiers) and how many of them were met in person.
    pub fn deal_counts(&self, x: NodeId) -> (u32, u32) {
        self.stats
            .get(x as usize)
            .map(|s| (s.deals, s.met))
            .unwrap_or((0, 0))
    }

    /// Approximate heap usage.
    pub fn memory(&self) -> GraphMemory {
        use std::mem::size_of;
        let delta: usize = self
            .delta
            .values()
            .map(|v| v.capacity() * size_of::<(NodeId, EdgeMeta)>() + size_of::<Vec<u8>>() + 8)
            .sum();
        let adjacency =
            self.offsets.capacity() * 4 + self.nbrs.capacity() * 4 + self.meta.capacity() + delta;
        let map = hash_bytes;
        let keys = self.keys.capacity() * size_of::<PublicKey>();
        let index = self.index.heap_bytes();
        let nodes = keys + index + self.stats.capacity() * size_of::<NodeStats>();
        let deals = self.paired.heap_bytes()
            + map(self.pending.capacity(), size_of::<(DealKey, Receipt)>())
            + map(self.upgrades.capacity(), size_of::<(DealKey, Receipt)>())
            + (self.pending.len() + self.upgrades.len()) * 128; // NegoId's intent `d` string, typical
        GraphMemory {
            adjacency,
            nodes,
            keys,
            index,
            deals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::receipt::MeetNonce;
    use crate::reputation::synth::{receipt_pair, synth_key};
    use nostr::{EventId, Timestamp};

    #[test]
    fn halves_pair_into_one_edge_with_tier_and_multiplicity() {
        let (a, b) = (synth_key("g", 1), synth_key("g", 2));
        let mut g = DealGraph::new();
        let (h1, h2) = receipt_pair(a, b, 1, DealTier::Met);
        assert_eq!(g.insert_receipt(&h1), Ok(ReceiptOutcome::Pending));
        assert_eq!(g.node(&a), None, "a one-sided half is not an edge");
        assert!(matches!(g.deal(&h1.nego), Some(DealState::OneSided { author }) if *author == a));
        assert_eq!(g.insert_receipt(&h1), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(
            g.insert_receipt(&h2),
            Ok(ReceiptOutcome::Paired(DealTier::Met))
        );
        assert_eq!(g.insert_receipt(&h2), Ok(ReceiptOutcome::Unchanged));
        let (p1, p2) = receipt_pair(a, b, 2, DealTier::Proven);
        g.insert_receipt(&p2).unwrap();
        assert_eq!(
            g.insert_receipt(&p1),
            Ok(ReceiptOutcome::Paired(DealTier::Proven))
        );
        let ia = g.node(&a).unwrap();
        let ib = g.node(&b).unwrap();
        assert_eq!(g.edge_count(), 1);
        assert_eq!(g.degree(ia), 1);
        assert_eq!(g.deal_counts(ia), (2, 1));
        let (n, m) = g.neighbors(ia).next().unwrap();
        assert_eq!(n, ib);
        assert_eq!(m.deals(), 2);
        assert_eq!(m.tier(), DealTier::Met);
        g.compact();
        let (n, m) = g.neighbors(ib).next().unwrap();
        assert_eq!((n, m.deals(), m.met()), (ia, 2, true));
    }

    #[test]
    fn proven_pair_is_upgraded_to_met_by_both_meet_halves_only() {
        let (a, b) = (synth_key("u", 1), synth_key("u", 2));
        let mut g = DealGraph::new();
        let (m1, m2) = receipt_pair(a, b, 7, DealTier::Met);
        let (p1, p2) = receipt_pair(a, b, 7, DealTier::Proven);
        g.insert_receipt(&p1).unwrap();
        assert_eq!(
            g.insert_receipt(&p2),
            Ok(ReceiptOutcome::Paired(DealTier::Proven))
        );
        let ia = g.node(&a).unwrap();
        g.compact(); // the edge lives in the CSR arrays now
        // One meet half is not a meeting.
        assert_eq!(g.insert_receipt(&m1), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(g.deal_counts(ia), (1, 0));
        // A meet half that does not match (another nonce) upgrades nothing.
        let mut odd = m2.clone();
        odd.meet = Some(MeetNonce([9; 16]));
        assert_eq!(g.insert_receipt(&odd), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(g.deal(&m1.nego), Some(DealState::Paired(DealTier::Proven)));
        // The matching pair upgrades once: same deal count, now met.
        assert_eq!(g.insert_receipt(&m1), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(g.insert_receipt(&m2), Ok(ReceiptOutcome::UpgradedToMet));
        assert_eq!(g.deal(&m1.nego), Some(DealState::Paired(DealTier::Met)));
        assert_eq!(g.deal_counts(ia), (1, 1));
        let (_, m) = g.neighbors(ia).next().unwrap();
        assert_eq!((m.deals(), m.met()), (1, true));
        // Proven halves again never downgrade it.
        assert_eq!(g.insert_receipt(&p1), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(g.insert_receipt(&m2), Ok(ReceiptOutcome::Unchanged));
        assert_eq!(g.deal_counts(ia), (1, 1));
    }

    #[test]
    fn newer_pending_half_replaces_older_and_older_is_ignored() {
        let (a, b) = (synth_key("g", 1), synth_key("g", 2));
        let (mut h1, _) = receipt_pair(a, b, 7, DealTier::Proven);
        let mut g = DealGraph::new();
        g.insert_receipt(&h1).unwrap();
        let old = h1.clone();
        h1.created_at = Timestamp::from(h1.created_at.as_secs() + 10);
        h1.id = EventId::from_byte_array([9; 32]);
        assert_eq!(g.insert_receipt(&h1), Ok(ReceiptOutcome::ReplacedPending));
        assert_eq!(g.insert_receipt(&old), Ok(ReceiptOutcome::Unchanged));
    }

    #[test]
    fn malformed_receipt_inputs_are_refused_and_change_nothing() {
        let (a, b, c) = (synth_key("g", 1), synth_key("g", 2), synth_key("g", 3));
        let (mut h1, _) = receipt_pair(a, b, 3, DealTier::Proven);
        let mut g = DealGraph::new();
        h1.author = c;
        assert!(matches!(
            g.insert_receipt(&h1),
            Err(ReputationError::ReceiptAuthorNotParty { .. })
        ));
        h1.author = a;
        h1.peer = c;
        assert!(matches!(
            g.insert_receipt(&h1),
            Err(ReputationError::ReceiptPeerMismatch { .. })
        ));
        assert_eq!(g.deal(&h1.nego), None);
        assert_eq!(g.generation(), 0);
    }

    #[test]
    fn meet_nonce_without_link_pairs_as_proven() {
        let (a, b) = (synth_key("g", 1), synth_key("g", 2));
        let (h1, mut h2) = receipt_pair(a, b, 4, DealTier::Met);
        h2.countersigns = None;
        h2.meet = Some(MeetNonce([1; 16]));
        let mut g = DealGraph::new();
        g.insert_receipt(&h1).unwrap();
        assert_eq!(
            g.insert_receipt(&h2),
            Ok(ReceiptOutcome::Paired(DealTier::Proven))
        );
    }

    #[test]
    fn incremental_inserts_match_a_compacted_graph() {
        let mut g = DealGraph::new();
        let n = 300u64;
        let mut d = 0;
        for i in 0..n {
            for k in 1..=5u64 {
                let j = (i * 7 + k * 13) % n;
                if j == i {
                    continue;
                }
                d += 1;
                let (h1, h2) =
                    receipt_pair(synth_key("c", i), synth_key("c", j), d, DealTier::Proven);
                g.insert_receipt(&h1).unwrap();
                g.insert_receipt(&h2).unwrap();
            }
        }
        let before: Vec<Vec<(NodeId, u8)>> = (0..g.node_count() as NodeId)
            .map(|x| {
                let mut v: Vec<_> = g.neighbors(x).map(|(y, m)| (y, m.deals())).collect();
                v.sort_unstable();
                v
            })
            .collect();
        g.compact();
        for (x, want) in before.iter().enumerate() {
            let got: Vec<_> = g
                .neighbors(x as NodeId)
                .map(|(y, m)| (y, m.deals()))
                .collect();
            assert_eq!(&got, want);
        }
        let total: usize = (0..g.node_count() as NodeId).map(|x| g.degree(x)).sum();
        assert_eq!(total, 2 * g.edge_count());
    }
}
