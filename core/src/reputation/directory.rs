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
