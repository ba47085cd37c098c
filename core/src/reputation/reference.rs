//! The deployed reference client's weighting (FREEPORT-V1.md, last section), kept **only** as
//! the baseline of the Sybil evaluation. Screening never uses it.
//!
//! Hop weights are *copied*, not split: 1.0 for direct partners, 0.3 one hop further (and for
//! follows), 0.1 two hops further; every unreachable rater gets its own 0.05. Repeat ratings decay
//! 0.5^i, unilateral (one-sided) ratings ×0.5, reciprocal-only raters ×0.5; score = Σw·s / Σw.
//! Its known flaw: n unconnected puppets weigh 0.05·n in a normalised average.

use std::collections::HashMap;

use nostr::PublicKey;

use super::Params;
use super::graph::{DealGraph, DealState};
use super::screen::{Dimension, RatingBook, sole_partner};
use super::trust::TrustMap;

/// The reference client's constants.
pub mod constants {
    /// Hop weights (direct partner, one further, two further).
    pub const HOPS: [f64; 3] = [1.0, 0.3, 0.1];
    /// Weight of a followed key.
    pub const FOLLOW: f64 = 0.3;
    /// Weight of *each* unreachable rater.
    pub const UNKNOWN: f64 = 0.05;
    /// Factor of unilateral ("disputed", one-sided) ratings.
    pub const DISPUTED: f64 = 0.5;
    /// Factor of raters whose only partner is the subject.
    pub const RECIPROCAL_ONLY: f64 = 0.5;
}

/// (created_at, factor, safe, reliable, score) of one counted rating.
type RefRating = (u64, f64, Option<bool>, Option<bool>, Option<i8>);

/// What the reference weighting makes of a subject (same quantile rule as ours, so the two can
/// be compared on equal terms).
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceResult {
    /// Safety over every weighted signal.
    pub safety: Dimension,
    /// Reliability over every weighted signal.
    pub reliability: Dimension,
    /// Σw·s / Σw.
    pub score: Option<f64>,
    /// Σw.
    pub weight_total: f64,
    /// Total weight per rater.
    pub raters: Vec<(PublicKey, f64)>,
}

/// Scores `subject` the way the reference client does, for the viewer of `trust`, whose
/// distances are the reference's hops: pass the plain breadth-first map,
/// [`Reputation::trust_map_unvetted`](super::Reputation::trust_map_unvetted) (the vetted map
/// does not expand through flagged keys, which the reference knows nothing of).
pub fn reference_screen(
    graph: &DealGraph,
    book: &RatingBook,
    trust: &TrustMap,
    subject: &PublicKey,
    p: &Params,
) -> ReferenceResult {
    let mut per: HashMap<PublicKey, Vec<RefRating>> = HashMap::new();
    for r in book.about(subject) {
        if r.pow_bits < p.pow_floor || r.rater == *subject {
            continue;
        }
        let factor = match graph.deal_by_key(&r.deal) {
            Some(DealState::Paired(_)) => 1.0,
            Some(DealState::OneSided { author }) if *author == r.rater => constants::DISPUTED,
            _ => continue,
        };
        let reliable = match (r.safe, r.reliable, r.score) {
            (None, None, Some(-1)) => Some(false),
            (_, rel, _) => rel,
        };
        per.entry(r.rater)
            .or_default()
            .push((r.created_at, factor, r.safe, reliable, r.score));
    }
    let (mut safety, mut reliability) = (Vec::new(), Vec::new());
    let (mut sw, mut ss, mut total) = (0.0, 0.0, 0.0);
    let mut raters = Vec::new();
    for (idx, (rater, mut list)) in per.into_iter().enumerate() {
        let base = match trust.get(graph, &rater).map(|e| e.dist) {
            Some(0) | Some(1) => constants::HOPS[0],
            Some(2) => constants::HOPS[1].max(constants::FOLLOW),
            Some(3) => constants::HOPS[2],
            _ => constants::UNKNOWN,
        };
        let recip = if sole_partner(graph, graph.node(&rater), graph.node(subject)) {
            constants::RECIPROCAL_ONLY
        } else {
            1.0
        };
        list.sort_by_key(|x| std::cmp::Reverse(x.0));
        let mut rw = 0.0;
        for (i, (_, factor, safe, rel, score)) in list.into_iter().enumerate() {
            let w = base * recip * factor * 0.5f64.powi(i32::try_from(i).unwrap_or(i32::MAX));
            rw += w;
            if let Some(s) = safe {
                safety.push((w, s, idx));
            }
            if let Some(r) = rel {
                reliability.push((w, r, idx));
            }
            if let Some(s) = score {
                sw += w;
                ss += w * f64::from(s);
            }
        }
        total += rw;
        raters.push((rater, rw));
    }
    ReferenceResult {
        safety: super::screen::dimension(&safety, p.quantile),
        reliability: super::screen::dimension(&reliability, p.quantile),
        score: (sw > 0.0).then(|| ss / sw),
        weight_total: total,
        raters,
    }
}
