//! Cold start: builds the engine in one pass from persisted rows (`store::rep` reads them).
//!
//! Per-half inserts cost ~1.2 µs each (hash lookups, delta pushes, compactions): 2.3 s for the
//! 2M halves of a 1M-edge graph. Here the CSR is built directly — degrees, prefix sums, one
//! scatter, a sort of each (short) row — and the deal index is filled with its final capacity.
//!
//! Pure: the caller hands in plain vectors. Node ids are assigned in the order the deals were
//! paired (author of the completing half first, then its peer), exactly as sequential
//! [`DealGraph::insert_receipt`] calls would, so a loaded engine screens identically to the one
//! that ingested the same events (same ids → same row order → same float sums and paths).

use nostr::PublicKey;

use super::checkpoint::RepTail;
use std::sync::Arc;

use super::directory::{Directory, GraphChange, GraphParts};
use super::graph::{DealGraph, DealKey, EdgeMeta, NodeId, NodeStats};
use super::index::{DealIndex, KeyIndex};
use super::screen::{HeldRating, NOT_SEEN};
use super::{Params, RatingInput, Reputation, ReputationError};
use crate::protocol::receipt::{DealTier, Receipt};

/// One paired deal as persisted. `a` and `b` index [`RepParts::keys`]; `a` is the author of the
/// half that completed the pair, `b` its counterparty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealRow {
    /// The deal's key (digest of its negotiation id).
    pub key: DealKey,
    /// Author of the completing half.
    pub a: u32,
    /// Its counterparty.
    pub b: u32,
    /// Final tier (`Proven` or `Met`; never `OneSided`).
    pub tier: DealTier,
}

/// Everything the engine holds, as plain vectors (the persisted form, decoded).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RepParts {
    /// A checkpoint of the graph part ([`Reputation::checkpoint`]); when present, `keys`,
    /// `first_seen` and `deals` are empty and `tail` holds what changed after it.
    pub checkpoint: Option<Vec<u8>>,
    /// Changes after the checkpoint, replayed in order.
    pub tail: Vec<RepTail>,
    /// Interned keys; the `u32` fields below index this.
    pub keys: Vec<PublicKey>,
    /// Oldest event time per key that authored anything: `(key index, created_at)`.
    pub first_seen: Vec<(u32, u64)>,
    /// Paired deals, in the order they were paired.
    pub deals: Vec<DealRow>,
    /// Receipt halves still waiting for something — the first half of an unpaired deal, or a
    /// meet half of a deal paired as proven — in arrival order.
    pub open_halves: Vec<Receipt>,
    /// Ratings (latest per rater and deal), in the order each (rater, deal) first arrived, in
    /// their held form: read back without re-parsing negotiation ids.
    pub ratings: Vec<RatingRow>,
    /// Follow lists: `(owner, created_at, follows)`.
    pub follows: Vec<(PublicKey, u64, Vec<PublicKey>)>,
}

/// One persisted rating: who is rated, and the rating as the book holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRow {
    /// The rated key.
    pub ratee: PublicKey,
    /// The rating.
    pub rating: HeldRating,
}

fn bad(part: &'static str, index: usize, rule: impl Into<String>) -> ReputationError {
    ReputationError::InvalidPart {
        part,
        index,
        rule: rule.into(),
    }
}

impl RatingInput {
    /// The rules every stored rating must pass: the rater is the ratee's counterparty in the
    /// named negotiation, and a score is within −1..=2.
    pub fn validate(&self) -> Result<(), ReputationError> {
        if self.nego.counterparty_of(&self.rater) != Some(self.ratee) {
            return Err(ReputationError::RaterNotCounterparty {
                rater: self.rater.to_hex(),
                ratee: self.ratee.to_hex(),
                nego: self.nego.to_string(),
            });
        }
        if let Some(s) = self.score
            && !(-1..=2).contains(&s)
        {
            return Err(ReputationError::ScoreOutOfRange { score: s });
        }
        Ok(())
    }
}

impl DealGraph {
    /// Builds a compacted graph from paired deals (see [`DealRow`]). Refuses, changing nothing,
    /// a key index out of range, a deal with itself, a one-sided tier, a repeated deal key or a
    /// repeated public key.
    pub fn from_deals(keys: &[PublicKey], deals: &[DealRow]) -> Result<Self, ReputationError> {
        let mut g = DealGraph::new();
        let mut remap: Vec<NodeId> = vec![NodeId::MAX; keys.len()];
        let mut ends: Vec<(NodeId, NodeId, DealTier)> = Vec::with_capacity(deals.len());
        let mut index: Vec<(DealKey, bool)> = Vec::with_capacity(deals.len());
        for (i, d) in deals.iter().enumerate() {
            if d.a == d.b {
                return Err(bad("deals", i, "a deal needs two different keys"));
            }
            if d.tier == DealTier::OneSided {
                return Err(bad("deals", i, "a paired deal cannot be one-sided"));
            }
            let mut ids = [0 as NodeId; 2];
            for (slot, k) in ids.iter_mut().zip([d.a, d.b]) {
                let ki = k as usize;
                let Some(cur) = remap.get_mut(ki) else {
                    return Err(bad(
                        "deals",
                        i,
                        format!("key index {k} is beyond the {} keys", keys.len()),
                    ));
                };
                if *cur == NodeId::MAX {
                    let id = NodeId::try_from(g.keys.len())
                        .ok()
                        .filter(|id| *id < NodeId::MAX - 1)
                        .ok_or(ReputationError::TooManyNodes { limit: NodeId::MAX })?;
                    let pk = keys
                        .get(ki)
                        .copied()
                        .ok_or_else(|| bad("deals", i, format!("key index {k} is out of range")))?;
                    g.keys.push(pk);
                    *cur = id;
                }
                *slot = *cur;
            }
            index.push((d.key, d.tier == DealTier::Met));
            ends.push((ids[0], ids[1], d.tier));
        }
        drop(remap);
        g.index = KeyIndex::build(&g.keys)
            .map_err(|pos| bad("keys", pos, "the same public key is listed twice"))?;
        g.paired = DealIndex::build(index).map_err(|k| {
            let at = deals.iter().rposition(|d| d.key == k).unwrap_or(0);
            bad("deals", at, "the deal key is listed twice")
        })?;
        let n = g.keys.len();
        g.build_csr(n, &ends)?;
        drop(ends);
        g.generation = deals.len() as u64;
        Ok(g)
    }

    /// Builds a compacted graph without keys of its own (directory mode) from every paired deal
    /// as [`GraphChange::Pair`], in pairing order, with node ids numbered as
    /// [`DealGraph::apply_change`] requires. Refuses, changing nothing, anything else.
    pub fn from_changes(changes: &[GraphChange]) -> Result<Self, ReputationError> {
        let mut ends: Vec<(NodeId, NodeId, DealTier)> = Vec::with_capacity(changes.len());
        let mut n: u64 = 0;
        for (i, c) in changes.iter().enumerate() {
            let GraphChange::Pair { a, b, tier } = *c else {
                return Err(bad("deals", i, "only paired deals build a graph"));
            };
            if a == b || tier == DealTier::OneSided {
                return Err(bad(
                    "deals",
                    i,
                    "a paired deal needs two different nodes and a proven or met tier",
                ));
            }
            for v in [a, b] {
                let v = u64::from(v);
                if v == n {
                    n += 1;
                } else if v > n {
                    return Err(bad("deals", i, format!("node {v} skips ids: {n} so far")));
                }
            }
            if n >= u64::from(NodeId::MAX) {
                return Err(ReputationError::TooManyNodes { limit: NodeId::MAX });
            }
            ends.push((a, b, tier));
        }
        let mut g = DealGraph::new();
        g.build_csr(usize::try_from(n).unwrap_or(usize::MAX), &ends)?;
        g.generation = changes.len() as u64;
        Ok(g)
    }

    /// Fills the counters and the CSR arrays of `n` nodes from deal ends `(a, b, tier)` (every
    /// id below `n`): degrees, prefix sums, one scatter, then each row sorted with repeated
    /// partners folded into one edge.
    fn build_csr(
        &mut self,
        n: usize,
        ends: &[(NodeId, NodeId, DealTier)],
    ) -> Result<(), ReputationError> {
        let g = self;
        g.stats = vec![NodeStats::default(); n];
        // Degrees (with multiplicity), then prefix sums give each row's slice of the scatter.
        let mut start = vec![0usize; n + 1];
        for &(x, y, tier) in ends {
            for v in [x, y] {
                if let Some(s) = start.get_mut(v as usize + 1) {
                    *s += 1;
                }
                if let Some(st) = g.stats.get_mut(v as usize) {
                    st.deals = st.deals.saturating_add(1);
                    if tier == DealTier::Met {
                        st.met = st.met.saturating_add(1);
                    }
                }
            }
        }
        for i in 0..n {
            let prev = start.get(i).copied().unwrap_or(0);
            if let Some(s) = start.get_mut(i + 1) {
                *s += prev;
            }
        }
        let total = start.get(n).copied().unwrap_or(0);
        let mut cursor = start.clone();
        let mut scatter: Vec<(NodeId, bool)> = vec![(0, false); total];
        for &(x, y, tier) in ends {
            for (u, v) in [(x, y), (y, x)] {
                if let Some(c) = cursor.get_mut(u as usize)
                    && let Some(e) = scatter.get_mut(*c)
                {
                    *e = (v, tier == DealTier::Met);
                    *c += 1;
                }
            }
        }
        // Sort each row and fold repeated partners into one edge (deal count, met flag).
        let mut offsets = Vec::with_capacity(n + 1);
        let mut nbrs = Vec::with_capacity(total);
        let mut meta: Vec<EdgeMeta> = Vec::with_capacity(total);
        offsets.push(0u32);
        for i in 0..n {
            let (lo, hi) = (
                start.get(i).copied().unwrap_or(0),
                start.get(i + 1).copied().unwrap_or(0),
            );
            if let Some(row) = scatter.get_mut(lo..hi) {
                row.sort_unstable_by_key(|e| e.0);
                let mut last: Option<NodeId> = None;
                for &(y, met) in row.iter() {
                    let tier = if met { DealTier::Met } else { DealTier::Proven };
                    if last == Some(y)
                        && let Some(m) = meta.last_mut()
                    {
                        *m = m.add(tier);
                        continue;
                    }
                    nbrs.push(y);
                    meta.push(EdgeMeta::default().add(tier));
                    last = Some(y);
                }
            }
            let end = u32::try_from(nbrs.len())
                .map_err(|_| bad("deals", i, "more than 2^32 adjacency entries"))?;
            offsets.push(end);
        }
        g.edges = nbrs.len() / 2;
        g.offsets = offsets;
        g.nbrs = nbrs;
        g.meta = meta;
        Ok(())
    }
}

impl Reputation {
    /// Builds the engine from persisted parts in one pass: the graph via
    /// [`DealGraph::from_deals`], then the open halves, ratings and follow lists in their stored
    /// order (entries the engine refuses are skipped, as the live ingest skips them).
    pub fn from_parts(params: Params, parts: RepParts) -> Result<Self, ReputationError> {
        let mut rep = match &parts.checkpoint {
            Some(bytes) => {
                let mut rep = Reputation::from_checkpoint(params, bytes)?;
                // Deals paired after the checkpoint land in the graph's delta, as in the live
                // engine; compaction merges them later (not worth ~40 ms at 1M edges at load).
                rep.apply_tail(&parts.tail)?;
                rep
            }
            None => {
                let mut rep = Reputation::new(params)?;
                rep.graph = DealGraph::from_deals(&parts.keys, &parts.deals)?;
                rep.sync_nodes();
                rep
            }
        };
        for (i, (k, t)) in parts.first_seen.iter().enumerate() {
            let pk = parts
                .keys
                .get(*k as usize)
                .ok_or_else(|| bad("first_seen", i, format!("key index {k} is out of range")))?;
            rep.observe(*pk, *t);
        }
        for h in &parts.open_halves {
            let _ = rep.graph.insert_receipt(h);
        }
        rep.sync_nodes();
        for r in parts.ratings {
            let _ = rep.ratings.add_held(r.ratee, r.rating);
        }
        for (owner, at, list) in parts.follows {
            rep.set_follows(owner, list, at);
        }
        Ok(rep)
    }

    /// Builds a directory-mode engine from its persisted form: the graph checkpoint plus the
    /// changes after it, or, without one, every paired deal in one bulk pass
    /// ([`DealGraph::from_changes`]); then the ratings and follow lists in their stored order
    /// (entries the engine refuses are skipped, as the live ingest skips them).
    pub fn from_graph_parts(
        params: Params,
        dir: Arc<dyn Directory>,
        parts: GraphParts,
    ) -> Result<Self, ReputationError> {
        let mut rep = match &parts.checkpoint {
            Some(bytes) => {
                let mut rep = Reputation::from_graph_checkpoint(params, dir, bytes)?;
                // Deals paired after the checkpoint land in the graph's delta, as in the live
                // engine; compaction merges them later.
                rep.apply_changes(&parts.changes)?;
                rep
            }
            None => {
                let mut rep = Reputation::with_directory(params, dir)?;
                rep.graph = DealGraph::from_changes(&parts.changes)?;
                rep
            }
        };
        for r in parts.ratings {
            let _ = rep.ratings.add_held(r.ratee, r.rating);
        }
        for (owner, at, list) in parts.follows {
            rep.set_follows(owner, list, at);
        }
        Ok(rep)
    }

    /// Merges the graph's incremental delta into its CSR arrays (the layout a bulk load has).
    pub fn compact(&mut self) {
        self.graph.compact();
    }

    /// Number of distinct keys with a first-seen time (for tests and diagnostics).
    pub fn seen_count(&self) -> usize {
        self.first_seen.iter().filter(|t| **t != NOT_SEEN).count() + self.seen_other.len()
    }

    /// Approximate heap bytes of the first-seen times (per node, plus keys outside the graph).
    pub fn first_seen_bytes(&self) -> usize {
        self.first_seen.capacity() * 8 + super::index::hash_bytes(self.seen_other.capacity(), 40)
    }

    /// The follow list held for `owner` and its `created_at`.
    pub fn follows_of(&self, owner: &PublicKey) -> Option<(u64, &[PublicKey])> {
        self.follows.get(owner).map(|(t, f)| (*t, f.as_slice()))
    }
}

/// One fact the reputation engine learns from a verified public event. The app derives these
/// once per event and hands the same list to the engine ([`Reputation::apply`]) and to the store
/// (`StoreTx::rep_apply`), so the persisted form always matches the live engine.
#[derive(Debug, Clone, PartialEq)]
pub enum RepInput {
    /// `pubkey` signed an event (any kind) at `at`.
    Seen {
        /// Event author.
        pubkey: PublicKey,
        /// Event `created_at`.
        at: u64,
    },
    /// A parsed receipt half.
    Receipt(Receipt),
    /// A parsed rating.
    Rating(RatingInput),
    /// A parsed follow list.
    Follows {
        /// List owner (event author).
        owner: PublicKey,
        /// Event `created_at`.
        created_at: u64,
        /// Followed keys, as published.
        list: Vec<PublicKey>,
    },
}

impl Reputation {
    /// Applies one fact, as the live ingest does (refused receipts and ratings change nothing).
    /// In directory mode `Seen` and `Receipt` change nothing: the directory's owner keeps
    /// first-seen times and pairs receipts, and hands the engine [`GraphChange`]s.
    pub fn apply(&mut self, input: &RepInput) {
        match input {
            RepInput::Seen { pubkey, at } => self.observe(*pubkey, *at),
            RepInput::Receipt(r) => {
                let _ = self.insert_receipt(r);
            }
            RepInput::Rating(r) => {
                let _ = self.insert_rating(r.clone());
            }
            RepInput::Follows {
                owner,
                created_at,
                list,
            } => self.set_follows(*owner, list.clone(), *created_at),
        }
    }
}
