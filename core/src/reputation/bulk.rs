//! Cold start: builds a directory-mode engine in one pass from its persisted form
//! ([`GraphParts`], read by `store::rep`), and the plain types that form is made of.
//!
//! Adding deals one at a time goes through the graph's delta and its repeated compactions
//! (measured for receipt halves: ~1.2 µs each, 2.3 s for the 2M halves of a 1M-edge graph).
//! [`DealGraph::from_changes`] builds the CSR directly instead — degrees, prefix sums, one
//! scatter, a sort of each (short) row. With a graph checkpoint the graph is decoded instead
//! and only the changes after it are applied.
//!
//! Pure: the caller hands in plain vectors. Node ids are the store's, assigned in the order the
//! deals were paired (author of the completing half first, then its peer) — the order
//! sequential [`DealGraph::insert_receipt`] calls intern keys in — so a loaded engine screens
//! identically to the one that ingested the same events (same ids → same row order → same float
//! sums and paths).

use std::sync::Arc;

use nostr::PublicKey;

use super::directory::{Directory, GraphChange, GraphParts};
use super::graph::{DealGraph, EdgeMeta, NodeId, NodeStats, pair_node_count};
use super::screen::HeldRating;
use super::{Params, RatingInput, Reputation, ReputationError};
use crate::protocol::receipt::{DealTier, Receipt};

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
            n = pair_node_count(n, a, b, tier).map_err(|e| match e {
                e @ ReputationError::TooManyNodes { .. } => e,
                ReputationError::InvalidPart { rule, .. } => bad("deals", i, rule),
                other => bad("deals", i, other.to_string()),
            })?;
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
        // The directory's rows changed with this fact (a held half, a first-seen time …).
        self.lookups.clear();
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
