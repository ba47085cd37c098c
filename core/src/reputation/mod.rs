//! Subjective reputation: the proven-deal graph, conserved trust flow from a viewer, rating
//! validity and weighting, lower-quantile aggregation and the screening record (DESIGN §3.3–3.4,
//! `docs/REPUTATION.md` for the algorithm and the proof sketch of its Sybil bounds).
//!
//! Pure: no I/O, no clock. Inputs are already verified and parsed events; `now` is a parameter.
//!
//! * [`graph::DealGraph`] — interned keys, CSR adjacency with an incremental delta, receipt
//!   pairing by negotiation id.
//! * [`trust::TrustMap`] — trust from one viewer, split (never copied) along edges, capped by the
//!   ring weights 1.0 / 0.3 / 0.1; all unreachable raters together weigh at most ε.
//! * [`screen`] — rating validity, weights, aggregation, verdict, path and badge.
//! * [`reference`] — the deployed reference client's weighting, kept only as the baseline of the
//!   Sybil evaluation (it is *not* used for screening).
//! * [`directory`] — directory mode: keys, deal facts and first-seen times looked up (in the
//!   app, in the store's rows) instead of held; the engine holds only the graph and applies the
//!   store's [`GraphChange`]s.
//! * [`bulk`] — builds a directory-mode engine in one pass from its persisted form (cold
//!   start), CSR by prefix sums instead of per-change inserts; `checkpoint` encodes and decodes
//!   its graph as one blob.
//! * [`synth`] — deterministic synthetic graphs for tests, the benchmark and `sybil_sim`.

use nostr::PublicKey;

use crate::protocol::NegoId;

pub mod bulk;
mod checkpoint;
pub mod directory;
pub mod graph;
mod index;
pub mod reference;
pub mod screen;
pub mod synth;
pub mod trust;

#[cfg(test)]
mod tests;

pub use bulk::{RatingRow, RepInput};
#[cfg(test)]
pub(crate) use checkpoint::v8_checkpoint;
pub use directory::{DealFact, Directory, GraphChange, GraphParts};
pub use graph::{
    DealGraph, DealKey, GraphMemory, NodeId, ReceiptOutcome, ReceiptStep, check_receipt_parties,
    receipt_step,
};
pub use screen::{
    Badge, Dimension, HeldRating, RaterExplain, RatingBook, RatingOutcome, Reason, Reputation,
    Screening, Verdict, badge,
};
pub use trust::{TrustEntry, TrustMap};

/// Seconds in the "new account" window (7 days).
pub const NEW_ACCOUNT_SECS: u64 = 7 * 24 * 3600;

/// A rating as the reputation layer consumes it (the lead maps the protocol's parsed rating onto
/// it). Fields mirror the kind-32103 content plus what the pipeline measured about the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingInput {
    /// Author of the rating event.
    pub rater: PublicKey,
    /// The `p` tag: who is rated.
    pub ratee: PublicKey,
    /// The `d` tag: the deal this rating is about.
    pub nego: NegoId,
    /// Reference score −1..=2, if present.
    pub score: Option<i8>,
    /// Our extension: was the counterparty safe to meet?
    pub safe: Option<bool>,
    /// Our extension: did the counterparty show up and do what was agreed?
    pub reliable: Option<bool>,
    /// Event `created_at` (seconds); the latest per (rater, deal) wins.
    pub created_at: u64,
    /// NIP-13 proof-of-work bits the event id actually has.
    pub pow_bits: u8,
    /// The rater claims to have reached the ratee at their advertised number.
    pub contact_verified: bool,
    /// The mask the rater attests (only meaningful with `contact_verified`).
    pub contact_masked: Option<String>,
    /// The contact module accepted the attestation (mask matches the ratee's published mask).
    pub attestation_ok: bool,
}

/// Tunable constants of the algorithm. Defaults are the design's numbers; see
/// `docs/REPUTATION.md` for what each one bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Ring caps (hop 0 = direct partners, hop 1, hop 2): most trust a rater in that ring keeps.
    pub ring_caps: [f64; 3],
    /// Trust a ring-0 / ring-1 node forwards per child edge (before `forward_max`).
    pub forward_per_child: [f64; 2],
    /// Most trust a ring-0 / ring-1 node forwards in total, however many children it has.
    pub forward_max: [f64; 2],
    /// All unreachable raters of one subject together weigh at most this (units: one direct
    /// partner's vote).
    pub epsilon: f64,
    /// Rating weight of a deal met in person (meet nonce co-signed).
    pub tier_met: f64,
    /// Rating weight of a proven deal (both halves, no meet).
    pub tier_proven: f64,
    /// Rating weight of a one-sided receipt (reliability negatives only).
    pub tier_one_sided: f64,
    /// Factor for a rater whose every deal is with the subject.
    pub sole_partner_discount: f64,
    /// Exponent `k` of the unsafe penalty `(1 - u)^k`, `u` = unsafe share the viewer's network
    /// reports about the rater.
    pub unsafe_penalty_exponent: f64,
    /// Lower quantile used for the binary safety/reliability signals.
    pub quantile: f64,
    /// Ratings with fewer PoW bits are ignored.
    pub pow_floor: u8,
    /// "New account" window in seconds.
    pub new_account_secs: u64,
    /// In-network weight needed for a `trusted` verdict.
    pub trusted_min_weight: f64,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            ring_caps: [1.0, 0.3, 0.1],
            forward_per_child: [0.8, 0.1],
            forward_max: [8.0, 1.0],
            epsilon: 0.05,
            tier_met: 1.0,
            tier_proven: 0.5,
            tier_one_sided: 0.25,
            sole_partner_discount: 0.5,
            unsafe_penalty_exponent: 2.0,
            quantile: 0.25,
            pow_floor: 0,
            new_account_secs: NEW_ACCOUNT_SECS,
            trusted_min_weight: 1.0,
        }
    }
}

impl Params {
    /// Checks every number is finite and in its range.
    pub fn validate(&self) -> Result<(), ReputationError> {
        let unit = |field: &'static str, v: f64| {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                Ok(())
            } else {
                Err(ReputationError::InvalidParam {
                    field,
                    rule: format!("{v} is not within 0..=1"),
                })
            }
        };
        let nonneg = |field: &'static str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(())
            } else {
                Err(ReputationError::InvalidParam {
                    field,
                    rule: format!("{v} is not a finite non-negative number"),
                })
            }
        };
        for c in self.ring_caps {
            nonneg("ring_caps", c)?;
        }
        for c in self.forward_per_child.iter().chain(self.forward_max.iter()) {
            nonneg("forward", *c)?;
        }
        unit("epsilon", self.epsilon)?;
        unit("tier_met", self.tier_met)?;
        unit("tier_proven", self.tier_proven)?;
        unit("tier_one_sided", self.tier_one_sided)?;
        unit("sole_partner_discount", self.sole_partner_discount)?;
        nonneg("unsafe_penalty_exponent", self.unsafe_penalty_exponent)?;
        nonneg("trusted_min_weight", self.trusted_min_weight)?;
        if !(self.quantile.is_finite() && self.quantile > 0.0 && self.quantile < 1.0) {
            return Err(ReputationError::InvalidParam {
                field: "quantile",
                rule: format!("{} is not strictly between 0 and 1", self.quantile),
            });
        }
        Ok(())
    }
}

/// Why the reputation layer refused an input. Nothing is changed when an error is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReputationError {
    #[error("receipt author {author} is not a party of negotiation {nego}")]
    ReceiptAuthorNotParty { author: String, nego: String },
    #[error("receipt `p` {peer} is not the counterparty of its author in negotiation {nego}")]
    ReceiptPeerMismatch { peer: String, nego: String },
    #[error("rating by {rater} of {ratee}: the rater is not the ratee's counterparty in {nego}")]
    RaterNotCounterparty {
        rater: String,
        ratee: String,
        nego: String,
    },
    #[error("rating `score` {score} is outside -1..=2")]
    ScoreOutOfRange { score: i8 },
    #[error("the graph is full: at most {limit} distinct keys")]
    TooManyNodes { limit: u32 },
    #[error("the rating book is full: at most {limit} ratings")]
    TooManyRatings { limit: u32 },
    #[error("parameter `{field}`: {rule}")]
    InvalidParam { field: &'static str, rule: String },
    #[error("reputation checkpoint, section `{section}`: {rule}")]
    InvalidCheckpoint { section: &'static str, rule: String },
    #[error("reputation directory: {reason}")]
    Directory { reason: String },
    #[error("persisted `{part}` entry {index}: {rule}")]
    InvalidPart {
        part: &'static str,
        index: usize,
        rule: String,
    },
}
