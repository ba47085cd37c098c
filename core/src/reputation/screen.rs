//! Rating validity and weighting, lower-quantile aggregation, verdict, path and badge.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use nostr::PublicKey;
use serde::Serialize;

use super::directory::{DealFact, Directory, GraphChange};
use super::graph::{DealGraph, DealKey, DealState, NodeId, ReceiptOutcome};
use super::trust::{Revision, TrustMap, Vetting, lower_quantile_is_no};
use super::{Params, RatingInput, ReputationError};
use crate::protocol::receipt::{DealTier, Receipt};

/// What adding a rating did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RatingOutcome {
    /// First rating by this rater on this deal.
    Added,
    /// A newer rating replaced the rater's earlier one on the same deal.
    Replaced,
    /// Same age or older than the one held: ignored.
    Stale,
}

/// A held rating, packed: everything screening reads, without the negotiation id's strings or
/// the contact mask (64 bytes; the ratee is implied by where it is filed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeldRating {
    /// Author of the rating event.
    pub rater: PublicKey,
    /// Key of the rated deal ([`DealKey::of`] its negotiation id).
    pub deal: DealKey,
    /// Event `created_at` (seconds).
    pub created_at: u64,
    /// Reference score −1..=2, if present.
    pub score: Option<i8>,
    /// Was the counterparty safe to meet?
    pub safe: Option<bool>,
    /// Did the counterparty show up and do what was agreed?
    pub reliable: Option<bool>,
    /// NIP-13 proof-of-work bits of the event id.
    pub pow_bits: u8,
    /// The rater claims to have reached the ratee at their advertised number.
    pub contact_verified: bool,
    /// The contact module accepted the attestation.
    pub attestation_ok: bool,
}

const _: () = assert!(std::mem::size_of::<HeldRating>() <= 64);

impl HeldRating {
    /// The held form of a rating.
    pub fn of(r: &RatingInput) -> Self {
        Self {
            rater: r.rater,
            deal: DealKey::of(&r.nego),
            created_at: r.created_at,
            score: r.score,
            safe: r.safe,
            reliable: r.reliable,
            pow_bits: r.pow_bits,
            contact_verified: r.contact_verified,
            attestation_ok: r.attestation_ok,
        }
    }
}

/// Marks the end of a ratee's chain in [`RatingBook`].
const END: u32 = u32::MAX;

/// All ratings, latest per (rater, deal), filed by ratee in arrival order.
///
/// About 75 B per rating plus ≈ 50 B per distinct ratee: the ratings in one array, each ratee's
/// ratings chained through `next` (first and last index per ratee), and the (rater, deal)
/// uniqueness index as a table of 4-byte positions hashed with a per-process random key (so
/// crafted ratings cannot force collisions). The earlier layout (a `RatingInput` per rating
/// with its negotiation id strings, a map keyed by (rater, deal) and a `Vec` per ratee) took
/// ≈ 330 B per rating.
#[derive(Debug, Clone, Default)]
pub struct RatingBook {
    ratings: Vec<HeldRating>,
    /// Next rating about the same ratee, or [`END`].
    next: Vec<u32>,
    /// Ratee → (first, last) index of its chain.
    chains: HashMap<PublicKey, (u32, u32)>,
    /// Positions in `ratings`, unique by (rater, deal).
    latest: hashbrown::HashTable<u32>,
    hasher: std::hash::RandomState,
    /// Bumped by every rating added or replaced.
    revision: u64,
}

impl RatingBook {
    fn hash_of(hasher: &std::hash::RandomState, r: &HeldRating) -> u64 {
        use std::hash::BuildHasher;
        hasher.hash_one((r.rater.to_bytes(), r.deal.to_bytes()))
    }

    /// Adds a rating. Refuses ratings whose rater is not the ratee's counterparty in the named
    /// negotiation, and scores outside −1..=2. Whether the deal itself exists is checked at
    /// screening time (receipts may arrive after the rating). Refuses, changing nothing, a
    /// rating beyond the book's capacity (2³² − 1 ratings).
    pub fn add(&mut self, r: RatingInput) -> Result<RatingOutcome, ReputationError> {
        r.validate()?;
        self.add_held(r.ratee, HeldRating::of(&r))
    }

    /// Adds a rating already reduced to its held form (as the store persists it, after
    /// [`RatingBook::add`]'s checks passed once on the event): about `ratee`. Refuses, changing
    /// nothing, a score outside −1..=2 and a rating of oneself.
    pub fn add_held(
        &mut self,
        ratee: PublicKey,
        held: HeldRating,
    ) -> Result<RatingOutcome, ReputationError> {
        if let Some(s) = held.score
            && !(-1..=2).contains(&s)
        {
            return Err(ReputationError::ScoreOutOfRange { score: s });
        }
        if held.rater == ratee {
            return Err(ReputationError::RaterNotCounterparty {
                rater: held.rater.to_hex(),
                ratee: ratee.to_hex(),
                nego: "(stored rating)".into(),
            });
        }
        let hash = Self::hash_of(&self.hasher, &held);
        let ratings = &self.ratings;
        let found = self.latest.find(hash, |&i| {
            ratings
                .get(i as usize)
                .is_some_and(|h| h.rater == held.rater && h.deal == held.deal)
        });
        if let Some(&i) = found {
            return match self.ratings.get_mut(i as usize) {
                Some(h) if held.created_at > h.created_at => {
                    *h = held;
                    self.revision = self.revision.wrapping_add(1);
                    Ok(RatingOutcome::Replaced)
                }
                _ => Ok(RatingOutcome::Stale),
            };
        }
        let i = u32::try_from(self.ratings.len())
            .ok()
            .filter(|i| *i != END)
            .ok_or(ReputationError::TooManyRatings { limit: END })?;
        match self.chains.get_mut(&ratee) {
            Some((_, last)) => {
                if let Some(n) = self.next.get_mut(*last as usize) {
                    *n = i;
                }
                *last = i;
            }
            None => {
                self.chains.insert(ratee, (i, i));
            }
        }
        self.ratings.push(held);
        self.next.push(END);
        self.revision = self.revision.wrapping_add(1);
        let (ratings, hasher) = (&self.ratings, &self.hasher);
        self.latest.insert_unique(hash, i, |&j| {
            ratings
                .get(j as usize)
                .map_or(0, |h| Self::hash_of(hasher, h))
        });
        Ok(RatingOutcome::Added)
    }

    /// Re-evaluates the contact attestation of the held rating (`rater`, `deal`) written at
    /// `created_at` (the ratee's profile arrived or changed). `true` if it changed.
    pub fn set_attestation(
        &mut self,
        rater: &PublicKey,
        deal: DealKey,
        created_at: u64,
        ok: bool,
    ) -> bool {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one((rater.to_bytes(), deal.to_bytes()));
        let ratings = &self.ratings;
        let Some(&i) = self.latest.find(hash, |&i| {
            ratings
                .get(i as usize)
                .is_some_and(|h| h.rater == *rater && h.deal == deal)
        }) else {
            return false;
        };
        match self.ratings.get_mut(i as usize) {
            Some(h) if h.created_at == created_at && h.attestation_ok != ok => {
                h.attestation_ok = ok;
                true
            }
            _ => false,
        }
    }

    /// Ratings held about `ratee` (latest per rater and deal), in arrival order.
    pub fn about<'a>(&'a self, ratee: &PublicKey) -> impl Iterator<Item = &'a HeldRating> + 'a {
        let mut at = self.chains.get(ratee).map_or(END, |c| c.0);
        std::iter::from_fn(move || {
            let r = self.ratings.get(at as usize)?;
            at = self.next.get(at as usize).copied().unwrap_or(END);
            Some(r)
        })
    }

    /// Number of ratings held.
    pub fn len(&self) -> usize {
        self.ratings.len()
    }

    /// Changes with every rating added or replaced.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// `true` if no rating is held.
    pub fn is_empty(&self) -> bool {
        self.ratings.is_empty()
    }

    /// Approximate heap bytes held.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        self.ratings.capacity() * size_of::<HeldRating>()
            + self.next.capacity() * 4
            + super::index::hash_bytes(self.chains.capacity(), size_of::<(PublicKey, (u32, u32))>())
            + super::index::hash_bytes(self.latest.capacity(), 4)
    }
}

/// A rating that passed every validity rule, with its signals after reference mapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Valid<'a> {
    pub r: &'a HeldRating,
    pub tier: DealTier,
    pub safe: Option<bool>,
    pub reliable: Option<bool>,
    pub score: Option<i8>,
}

/// Valid ratings of `subject`: PoW at or above the floor; the deal exists with the rater as a
/// party (paired: all signals; one-sided and published by the rater: a reliability negative
/// only). Reference-only ratings (score, no `safe`/`reliable`) map score −1 → reliable=false.
pub(crate) fn valid_ratings<'a>(
    memo: &mut Memo<'a>,
    subject: &PublicKey,
) -> Result<Vec<Valid<'a>>, ReputationError> {
    let (book, p) = (&memo.rep.ratings, &memo.rep.params);
    let mut out = Vec::new();
    for r in book.about(subject) {
        if r.pow_bits < p.pow_floor || r.rater == *subject {
            continue;
        }
        let mapped_reliable = match (r.safe, r.reliable, r.score) {
            (None, None, Some(-1)) => Some(false),
            (_, rel, _) => rel,
        };
        match memo.deal(&r.deal)? {
            Some(DealFact::Paired(tier)) => out.push(Valid {
                r,
                tier,
                safe: r.safe,
                reliable: mapped_reliable,
                score: r.score,
            }),
            Some(DealFact::OneSided { author })
                if author == r.rater && mapped_reliable == Some(false) =>
            {
                out.push(Valid {
                    r,
                    tier: DealTier::OneSided,
                    safe: None,
                    reliable: Some(false),
                    score: None,
                })
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Node ids and deal facts looked up during one screening: straight from the engine's own
/// dictionaries, or through its [`Directory`] once per key and deal.
pub(crate) struct Memo<'r> {
    pub(crate) rep: &'r Reputation,
    c: MutexGuard<'r, LookupCache>,
}

/// Directory answers kept from one screening to the next (directory mode). They can only
/// change when the store commits a batch, and the engine applies every committed batch
/// ([`Reputation::apply`], [`Reputation::apply_changes`]), which empties the cache; so a
/// cached answer is always the directory's current one. Bounded: emptied when a part exceeds
/// [`LOOKUP_CACHE_MAX`] entries (≈ 1 MiB each).
#[derive(Debug, Default)]
pub(super) struct LookupCache {
    nodes: HashMap<PublicKey, Option<NodeId>>,
    deals: HashMap<DealKey, Option<DealFact>>,
}

/// Most cached answers of each kind.
const LOOKUP_CACHE_MAX: usize = 16_384;

/// The engine's [`LookupCache`]; a clone starts empty.
#[derive(Debug, Default)]
pub(super) struct Lookups(Mutex<LookupCache>);

impl Clone for Lookups {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl Lookups {
    fn lock(&self) -> MutexGuard<'_, LookupCache> {
        // A panic mid-screening may have left partial entries: start over.
        self.0.lock().unwrap_or_else(|poisoned| {
            let mut c = poisoned.into_inner();
            c.nodes.clear();
            c.deals.clear();
            c
        })
    }

    /// Forgets every cached answer (the directory's rows changed).
    pub(super) fn clear(&self) {
        let mut c = self.lock();
        c.nodes.clear();
        c.deals.clear();
    }
}

impl<'r> Memo<'r> {
    pub(crate) fn new(rep: &'r Reputation) -> Self {
        let mut c = rep.lookups.lock();
        if c.nodes.len() > LOOKUP_CACHE_MAX {
            c.nodes.clear();
        }
        if c.deals.len() > LOOKUP_CACHE_MAX {
            c.deals.clear();
        }
        Self { rep, c }
    }

    pub(crate) fn node(&mut self, pk: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
        if self.rep.dir.is_none() {
            return Ok(self.rep.graph.node(pk));
        }
        if let Some(n) = self.c.nodes.get(pk) {
            return Ok(*n);
        }
        let n = self.rep.node_of(pk)?;
        self.c.nodes.insert(*pk, n);
        Ok(n)
    }

    /// Looks up, in one batch each, the nodes and deals not asked for yet (directory mode).
    fn prefetch(&mut self, pks: &[PublicKey], deals: &[DealKey]) -> Result<(), ReputationError> {
        let Some(dir) = &self.rep.dir else {
            return Ok(());
        };
        fetch_missing(&mut self.c.nodes, pks, |want| dir.nodes(want))?;
        fetch_missing(&mut self.c.deals, deals, |want| dir.deals(want))
    }

    fn deal(&mut self, key: &DealKey) -> Result<Option<DealFact>, ReputationError> {
        if self.rep.dir.is_none() {
            return self.rep.deal_of(key);
        }
        if let Some(d) = self.c.deals.get(key) {
            return Ok(*d);
        }
        let d = self.rep.deal_of(key)?;
        self.c.deals.insert(*key, d);
        Ok(d)
    }
}

/// Asks `ask` once for the distinct `keys` that `cache` lacks, and files the answers.
fn fetch_missing<K: Copy + Ord + std::hash::Hash, V>(
    cache: &mut HashMap<K, V>,
    keys: &[K],
    ask: impl FnOnce(&[K]) -> Result<Vec<V>, ReputationError>,
) -> Result<(), ReputationError> {
    let mut want: Vec<K> = keys
        .iter()
        .filter(|k| !cache.contains_key(*k))
        .copied()
        .collect();
    want.sort_unstable();
    want.dedup();
    for (k, v) in want.iter().zip(ask(&want)?) {
        cache.insert(*k, v);
    }
    Ok(())
}

/// Tier weight of a rating.
pub(crate) fn tier_weight(p: &Params, t: DealTier) -> f64 {
    match t {
        DealTier::Met => p.tier_met,
        DealTier::Proven => p.tier_proven,
        DealTier::OneSided => p.tier_one_sided,
    }
}

/// `true` if every paired deal of the rater (node `rater`) is with the subject (node `subject`),
/// or it has none at all.
pub(crate) fn sole_partner(
    graph: &DealGraph,
    rater: Option<NodeId>,
    subject: Option<NodeId>,
) -> bool {
    let Some(r) = rater else {
        return true;
    };
    graph.neighbors(r).all(|(y, _)| Some(y) == subject)
}

/// One safety or reliability aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Dimension {
    /// Weighted share of "yes" signals from your network (0..=1), `null` without any.
    pub value: Option<f64>,
    /// The weighted 25th percentile of the signals is "no" (the "no" share reached the quantile).
    pub flagged: bool,
    /// Total weight of the signals from your network.
    pub weight: f64,
    /// Distinct raters from your network behind the signals.
    pub raters: u32,
}

/// Screening verdict. The serde names (`trusted`, `caution`, `unknown`, `warning`) are the
/// stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, uniffi::Enum)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Enough weight from your network and nothing flagged.
    Trusted,
    /// Some evidence, but thin or a new account.
    Caution,
    /// No rating from your network.
    Unknown,
    /// Your network's ratings flag safety or reliability.
    Warning,
}

/// One rater's contribution (with `--explain`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RaterExplain {
    /// Rater key, hex.
    pub pubkey: String,
    /// Total weight of the rater's ratings of the subject.
    pub weight: f64,
    /// Edges from you (0 = you, 1 = a direct partner); `null` = outside your network.
    pub hop: Option<u8>,
    /// Strongest tier among the rated deals.
    pub tier: DealTier,
}

/// The screening record the UI and the CLI both show.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Screening {
    /// Paired deals of the subject.
    pub deals: u32,
    /// Distinct partners.
    pub partners: u32,
    /// Partners inside your network (reached by your trust).
    pub partners_in_network: u32,
    /// Deals met in person (co-signed meet code).
    pub met_in_person: u32,
    /// Raters from your network whose contact attestation was accepted.
    pub verified_by: u32,
    /// No event of any kind older than the new-account window.
    pub new_account: bool,
    /// Safety aggregate.
    pub safety: Dimension,
    /// Reliability aggregate.
    pub reliability: Dimension,
    /// Weighted mean score (−1..=2), `null` without scores.
    pub score: Option<f64>,
    /// Total weight of all counted ratings (network + unreachable pool).
    pub weight_total: f64,
    /// Weight of all raters outside your network together (≤ ε).
    pub unreachable_weight: f64,
    /// Verdict.
    pub verdict: Verdict,
    /// Short neutral reasons for the verdict, as codes.
    pub reasons: Vec<Reason>,
    /// Viewer → … → subject, hex keys; empty when not connected.
    pub path: Vec<String>,
    /// Per-rater contributions, with explain only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raters: Option<Vec<RaterExplain>>,
}

/// Why a screening reached its verdict: short, neutral, as codes with typed parameters (each
/// platform words them, with plurals; the CLI's English is in `cli/src/english.rs`). The serde
/// form is `{"code": "rated_well_in_network", "count": 3}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Reason {
    /// People in your network reported feeling unsafe with them.
    ReportedUnsafe,
    /// People in your network reported that they did not do what was agreed.
    ReportedUnreliable,
    /// Nobody in your network rated them.
    NoRatingsFromNetwork,
    /// `count` ratings come from outside your network (they carry little weight).
    RatingsOutsideNetwork {
        /// Raters outside your network.
        count: u32,
    },
    /// `count` people in your network rated them well.
    RatedWellInNetwork {
        /// Raters in your network.
        count: u32,
    },
    /// Too little rating weight from your network to trust them yet.
    FewRatingsFromNetwork,
    /// No activity of theirs is older than `days` days.
    NewAccount {
        /// The new-account window, in days.
        days: u32,
    },
}

/// The one-line summary lists show next to a person (`★ 12 deals · 9 partners · 3 in your
/// network · verified by 9 · new account`), as its parts: each platform lays it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct Badge {
    /// The verdict (a star goes with `trusted`).
    pub verdict: Verdict,
    /// Paired deals.
    pub deals: u32,
    /// Distinct partners.
    pub partners: u32,
    /// Partners inside your network.
    pub partners_in_network: u32,
    /// Raters from your network who reached them at their published number.
    pub verified_by: u32,
    /// No activity older than the new-account window.
    pub new_account: bool,
}

/// The badge of a screening.
pub fn badge(s: &Screening) -> Badge {
    Badge {
        verdict: s.verdict,
        deals: s.deals,
        partners: s.partners,
        partners_in_network: s.partners_in_network,
        verified_by: s.verified_by,
        new_account: s.new_account,
    }
}

/// The reputation engine: graph, ratings, follow lists and first-seen times, plus the params.
#[derive(Debug, Clone)]
pub struct Reputation {
    pub(super) graph: DealGraph,
    pub(super) ratings: RatingBook,
    pub(super) follows: HashMap<PublicKey, (u64, Vec<PublicKey>)>,
    /// Oldest event time per graph node ([`NOT_SEEN`] if none); keys outside the graph are in
    /// `seen_other` (moved here when they become a node).
    pub(super) first_seen: Vec<u64>,
    pub(super) seen_other: HashMap<PublicKey, u64>,
    pub(super) params: Params,
    /// Where keys, deal facts and first-seen times are looked up instead of held (directory
    /// mode; `graph` then has no keys and changes only by [`Reputation::apply_changes`]).
    pub(super) dir: Option<Arc<dyn Directory>>,
    /// Directory answers kept between screenings (directory mode).
    pub(super) lookups: Lookups,
    /// Bumped whenever a follow list is replaced.
    pub(super) follows_revision: u64,
}

/// Marks a graph node without a first-seen time.
pub(super) const NOT_SEEN: u64 = u64::MAX;

impl Reputation {
    /// An empty engine with validated params.
    pub fn new(params: Params) -> Result<Self, ReputationError> {
        params.validate()?;
        Ok(Self {
            graph: DealGraph::new(),
            ratings: RatingBook::default(),
            follows: HashMap::new(),
            first_seen: Vec::new(),
            seen_other: HashMap::new(),
            params,
            dir: None,
            lookups: Lookups::default(),
            follows_revision: 0,
        })
    }

    /// An empty engine in directory mode: it holds node ids, the adjacency, per-node counters,
    /// ratings and follow lists, and asks `dir` for keys, deal facts and first-seen times. Its
    /// graph changes only through [`Reputation::apply_changes`].
    pub fn with_directory(
        params: Params,
        dir: Arc<dyn Directory>,
    ) -> Result<Self, ReputationError> {
        let mut rep = Self::new(params)?;
        rep.dir = Some(dir);
        Ok(rep)
    }

    /// `true` in directory mode.
    pub fn has_directory(&self) -> bool {
        self.dir.is_some()
    }

    /// Approximate heap bytes of the first-seen times held in memory (per node, plus keys
    /// outside the graph); none in directory mode.
    pub fn first_seen_bytes(&self) -> usize {
        self.first_seen.capacity() * 8 + super::index::hash_bytes(self.seen_other.capacity(), 40)
    }

    /// The node id of `pk`, if it has a paired deal.
    pub fn node_of(&self, pk: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
        match &self.dir {
            Some(d) => d.node(pk),
            None => Ok(self.graph.node(pk)),
        }
    }

    /// The key of node `id`.
    pub fn key_of(&self, id: NodeId) -> Result<Option<PublicKey>, ReputationError> {
        match &self.dir {
            Some(d) => d.key(id),
            None => Ok(self.graph.key(id).copied()),
        }
    }

    /// What is known about the deal with key `key`.
    pub fn deal_of(&self, key: &DealKey) -> Result<Option<DealFact>, ReputationError> {
        match &self.dir {
            Some(d) => d.deal(key),
            None => Ok(self.graph.deal_by_key(key).map(|s| match s {
                DealState::OneSided { author } => DealFact::OneSided { author: *author },
                DealState::Paired(t) => DealFact::Paired(t),
            })),
        }
    }

    /// Applies the store's pairings and upgrades, in order (directory mode). Stops at the
    /// first refused change and reports its index; the changes before it stay applied (the
    /// caller reloads the engine from its directory's owner).
    pub fn apply_changes(&mut self, changes: &[GraphChange]) -> Result<(), ReputationError> {
        if self.dir.is_none() {
            return Err(ReputationError::Directory {
                reason: "an engine without a directory pairs receipts itself".into(),
            });
        }
        self.lookups.clear();
        for (i, c) in changes.iter().enumerate() {
            self.graph
                .apply_change(c)
                .map_err(|e| ReputationError::InvalidPart {
                    part: "change",
                    index: i,
                    rule: e.to_string(),
                })?;
        }
        Ok(())
    }

    /// The params in use.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// The deal graph.
    pub fn graph(&self) -> &DealGraph {
        &self.graph
    }

    /// The rating book.
    pub fn ratings(&self) -> &RatingBook {
        &self.ratings
    }

    /// Inserts a verified receipt half (also records its author as seen at `created_at`).
    /// Refused in directory mode, where the directory's owner pairs receipts
    /// ([`Reputation::apply_changes`]).
    pub fn insert_receipt(&mut self, r: &Receipt) -> Result<ReceiptOutcome, ReputationError> {
        if self.dir.is_some() {
            return Err(ReputationError::Directory {
                reason: "receipts are paired by the directory's owner in directory mode".into(),
            });
        }
        let out = self.graph.insert_receipt(r)?;
        self.sync_nodes();
        self.observe(r.author, r.created_at.as_secs());
        Ok(out)
    }

    /// Gives nodes interned since the last call their first-seen slot (moving the time held
    /// for the key while it was not a node).
    pub(super) fn sync_nodes(&mut self) {
        if self.dir.is_some() {
            return;
        }
        while self.first_seen.len() < self.graph.node_count() {
            let id = self.first_seen.len() as NodeId;
            let t = self
                .graph
                .key(id)
                .and_then(|k| self.seen_other.remove(k))
                .unwrap_or(NOT_SEEN);
            self.first_seen.push(t);
        }
    }

    /// Adds a verified rating (also records its author as seen).
    pub fn insert_rating(&mut self, r: RatingInput) -> Result<RatingOutcome, ReputationError> {
        self.lookups.clear();
        let (who, at) = (r.rater, r.created_at);
        let out = self.ratings.add(r)?;
        self.observe(who, at);
        Ok(out)
    }

    /// Re-evaluates a held rating's contact attestation (see [`RatingBook::set_attestation`]).
    pub fn set_attestation(
        &mut self,
        rater: &PublicKey,
        deal: DealKey,
        created_at: u64,
        ok: bool,
    ) -> bool {
        let changed = self.ratings.set_attestation(rater, deal, created_at, ok);
        if changed {
            self.lookups.clear();
        }
        changed
    }

    /// Sets `owner`'s follow list if it is newer than the one held (latest kind 3 wins).
    pub fn set_follows(&mut self, owner: PublicKey, follows: Vec<PublicKey>, created_at: u64) {
        self.lookups.clear();
        if self
            .follows
            .get(&owner)
            .is_some_and(|(t, _)| *t >= created_at)
        {
            return;
        }
        let mut f = follows;
        f.sort_unstable();
        f.dedup();
        f.retain(|k| *k != owner);
        self.follows.insert(owner, (created_at, f));
        self.follows_revision = self.follows_revision.wrapping_add(1);
        self.observe(owner, created_at);
    }

    /// Records that `pubkey` signed an event of any kind at `created_at` (keeps the oldest, so
    /// republishing a profile cannot make an account look older or newer).
    /// Times are clamped below `u64::MAX` (the store cannot hold them anyway). A no-op in
    /// directory mode (the directory holds first-seen times).
    pub fn observe(&mut self, pubkey: PublicKey, created_at: u64) {
        if self.dir.is_some() {
            return;
        }
        let t = created_at.min(NOT_SEEN - 1);
        if let Some(id) = self.graph.node(&pubkey)
            && let Some(e) = self.first_seen.get_mut(id as usize)
        {
            *e = (*e).min(t);
            return;
        }
        let e = self.seen_other.entry(pubkey).or_insert(t);
        *e = (*e).min(t);
    }

    /// The oldest event time seen for `pubkey`.
    pub fn first_seen(&self, pubkey: &PublicKey) -> Result<Option<u64>, ReputationError> {
        if let Some(d) = &self.dir {
            return d.first_seen(pubkey);
        }
        Ok(match self.graph.node(pubkey) {
            Some(id) if (id as usize) < self.first_seen.len() => self
                .first_seen
                .get(id as usize)
                .copied()
                .filter(|t| *t != NOT_SEEN),
            _ => self.seen_other.get(pubkey).copied(),
        })
    }

    /// The viewer's trust map (seeded by the viewer's own follow list), vetted by the viewer's
    /// network: keys it flags unsafe forward no trust (`docs/REPUTATION.md` §3).
    pub fn trust_map(&self, viewer: &PublicKey) -> Result<TrustMap, ReputationError> {
        self.trust_map_with(viewer, false)
    }

    /// The viewer's trust map from the graph alone: nobody's reports count, no key is flagged
    /// and every key forwards in full — trust propagation as it was before issue 25, and the
    /// breadth-first hops of the reference weighting. For the evaluation's baseline; screening
    /// uses [`Reputation::trust_map`].
    pub fn trust_map_unvetted(&self, viewer: &PublicKey) -> Result<TrustMap, ReputationError> {
        self.trust_map_with(viewer, true)
    }

    fn trust_map_with(&self, viewer: &PublicKey, blind: bool) -> Result<TrustMap, ReputationError> {
        let follows = self
            .follows
            .get(viewer)
            .map(|(_, f)| f.as_slice())
            .unwrap_or(&[]);
        let mut resolved = Vec::with_capacity(follows.len());
        for f in follows {
            resolved.push((*f, self.node_of(f)?));
        }
        let viewer_node = self.node_of(viewer)?;
        let mut vet = NetworkReports {
            memo: Memo::new(self),
            blind,
        };
        let mut m = TrustMap::compute_vetted(
            &self.graph,
            viewer,
            viewer_node,
            &resolved,
            &self.params,
            &mut vet,
        )?;
        m.set_revision(self.revision());
        Ok(m)
    }

    /// The revision of the engine's inputs: graph generation, rating book, follow lists
    /// ([`TrustMap::is_current`]).
    pub(crate) fn revision(&self) -> Revision {
        (
            self.graph.generation(),
            self.ratings.revision(),
            self.follows_revision,
        )
    }

    /// Screens `subject` through `trust` at time `now` (seconds).
    pub fn screen(
        &self,
        trust: &TrustMap,
        subject: &PublicKey,
        now: u64,
        explain: bool,
    ) -> Result<Screening, ReputationError> {
        screen(self, trust, subject, now, explain)
    }
}

struct RaterAcc<'a> {
    key: PublicKey,
    node: Option<NodeId>,
    ratings: Vec<Valid<'a>>,
    base: f64,
    hop: Option<u8>,
    in_network: bool,
    weight: f64,
}

/// The safety reports about `who` by raters `trust` holds at distance ≤ `upto` (the viewer is
/// at 0): total "safe" and "unsafe" weight, each report weighing the rater's trust × the tier
/// weight of its deal. A one-sided deal carries no safety signal.
fn safety_reports(
    memo: &mut Memo<'_>,
    trust: &TrustMap,
    who: &PublicKey,
    upto: u8,
) -> Result<(f64, f64), ReputationError> {
    let (mut yes, mut no) = (0.0, 0.0);
    let p = &memo.rep.params;
    for r in memo.rep.ratings.about(who) {
        // Only a safety signal from inside the viewer's network counts: check that (no lookup)
        // before asking for the deal.
        let Some(safe) = r.safe else { continue };
        if r.pow_bits < p.pow_floor || r.rater == *who {
            continue;
        }
        let Some(e) = trust.by_key(&r.rater).filter(|e| e.dist <= upto) else {
            continue;
        };
        let Some(DealFact::Paired(tier)) = memo.deal(&r.deal)? else {
            continue;
        };
        let w = e.trust * tier_weight(p, tier);
        if safe {
            yes += w;
        } else {
            no += w;
        }
    }
    Ok((yes, no))
}

/// Unsafe share (0..=1) the viewer's network reports about `who`; 0 without reports.
fn unsafe_share(
    memo: &mut Memo<'_>,
    trust: &TrustMap,
    who: &PublicKey,
) -> Result<f64, ReputationError> {
    let (yes, no) = safety_reports(memo, trust, who, u8::MAX)?;
    Ok(if yes + no > 0.0 { no / (yes + no) } else { 0.0 })
}

/// What trust propagation hears from the engine ([`Vetting`]): keys from the graph or the
/// directory, safety reports from the rating book (deal facts looked up in one batch per
/// ring, and kept in the engine's lookup cache for the screenings that follow). `blind` hears
/// none: the trust of the graph alone.
struct NetworkReports<'r> {
    memo: Memo<'r>,
    blind: bool,
}

impl Vetting for NetworkReports<'_> {
    fn keys(&mut self, ids: &[NodeId]) -> Result<Vec<Option<PublicKey>>, ReputationError> {
        let rep = self.memo.rep;
        match &rep.dir {
            Some(d) => d.keys(ids),
            None => Ok(ids.iter().map(|x| rep.graph.key(*x).copied()).collect()),
        }
    }

    fn reports(
        &mut self,
        map: &TrustMap,
        who: &[PublicKey],
        upto: u8,
    ) -> Result<Vec<(f64, f64)>, ReputationError> {
        if self.blind {
            return Ok(vec![(0.0, 0.0); who.len()]);
        }
        let rep = self.memo.rep;
        if rep.dir.is_some() {
            // The deals behind the reports that count, in one batch.
            let deals: Vec<DealKey> = who
                .iter()
                .flat_map(|w| rep.ratings.about(w))
                .filter(|r| {
                    r.safe.is_some() && map.by_key(&r.rater).is_some_and(|e| e.dist <= upto)
                })
                .map(|r| r.deal)
                .collect();
            self.memo.prefetch(&[], &deals)?;
        }
        who.iter()
            .map(|w| safety_reports(&mut self.memo, map, w, upto))
            .collect()
    }
}

pub(crate) fn dimension(signals: &[(f64, bool, usize)], q: f64) -> Dimension {
    let (mut yes, mut no) = (0.0, 0.0);
    let mut raters: Vec<usize> = Vec::new();
    for (w, v, who) in signals {
        if *w <= 0.0 {
            continue;
        }
        if *v {
            yes += w;
        } else {
            no += w;
        }
        raters.push(*who);
    }
    raters.sort_unstable();
    raters.dedup();
    let total = yes + no;
    Dimension {
        value: (total > 0.0).then(|| yes / total),
        // Weighted lower quantile of a 0/1 signal: it is 0 exactly when the weight of the 0s
        // reaches q of the total.
        flagged: lower_quantile_is_no(no, total, q),
        weight: total,
        raters: u32::try_from(raters.len()).unwrap_or(u32::MAX),
    }
}

fn screen(
    rep: &Reputation,
    trust: &TrustMap,
    subject: &PublicKey,
    now: u64,
    explain: bool,
) -> Result<Screening, ReputationError> {
    let p = &rep.params;
    let g = &rep.graph;
    let mut memo = Memo::new(rep);
    let node = memo.node(subject)?;
    {
        let about: Vec<&HeldRating> = rep.ratings.about(subject).collect();
        let raters: Vec<PublicKey> = about.iter().map(|r| r.rater).collect();
        let deals: Vec<DealKey> = about.iter().map(|r| r.deal).collect();
        memo.prefetch(&raters, &deals)?;
    }
    let (deals, met) = node.map(|n| g.deal_counts(n)).unwrap_or((0, 0));
    let partners = node.map(|n| g.degree(n)).unwrap_or(0);
    let partners_in_network = node
        .map(|n| {
            g.neighbors(n)
                .filter(|(y, _)| trust.entry(*y).is_some_and(|e| e.trust > 0.0))
                .count()
        })
        .unwrap_or(0);

    // Group valid ratings by rater.
    let mut by_rater: HashMap<PublicKey, usize> = HashMap::new();
    let mut accs: Vec<RaterAcc<'_>> = Vec::new();
    for v in valid_ratings(&mut memo, subject)? {
        let i = *by_rater.entry(v.r.rater).or_insert_with(|| {
            accs.push(RaterAcc {
                key: v.r.rater,
                node: None,
                ratings: Vec::new(),
                base: 0.0,
                hop: None,
                in_network: false,
                weight: 0.0,
            });
            accs.len() - 1
        });
        if let Some(a) = accs.get_mut(i) {
            a.ratings.push(v);
        }
    }
    for a in &mut accs {
        a.node = memo.node(&a.key)?;
        if let Some(e) = trust.lookup(&a.key, a.node).filter(|e| e.trust > 0.0) {
            a.base = e.trust;
            a.hop = Some(e.dist);
            a.in_network = true;
        }
    }
    // The deals behind the safety reports about each rater from inside the network (the
    // unsafe penalty), in one batch.
    {
        let mut deals: Vec<DealKey> = Vec::new();
        for a in &accs {
            deals.extend(
                rep.ratings
                    .about(&a.key)
                    .filter(|r| r.safe.is_some() && trust.by_key(&r.rater).is_some())
                    .map(|r| r.deal),
            );
        }
        memo.prefetch(&[], &deals)?;
    }
    let pool = accs.iter().filter(|a| !a.in_network).count();
    let pool_base = if pool > 0 {
        p.epsilon / pool as f64
    } else {
        0.0
    };

    let mut safety = Vec::new();
    let mut reliability = Vec::new();
    let (mut score_w, mut score_sum) = (0.0, 0.0);
    let (mut weight_total, mut unreachable_weight) = (0.0, 0.0);
    let mut verified: u32 = 0;
    for (idx, a) in accs.iter_mut().enumerate() {
        if !a.in_network {
            a.base = pool_base;
        }
        // Newest first; decay 1, ½, ¼ … and the rater's total never exceeds its trust.
        a.ratings.sort_by_key(|v| std::cmp::Reverse(v.r.created_at));
        let raw: Vec<f64> = a
            .ratings
            .iter()
            .enumerate()
            .map(|(i, v)| {
                tier_weight(p, v.tier) * 0.5f64.powi(i32::try_from(i).unwrap_or(i32::MAX))
            })
            .collect();
        let sum: f64 = raw.iter().sum();
        let scale = if sum > 1.0 { 1.0 / sum } else { 1.0 };
        let mut factor = 1.0;
        if sole_partner(g, a.node, node) {
            factor *= p.sole_partner_discount;
        }
        let u = unsafe_share(&mut memo, trust, &a.key)?;
        factor *= (1.0 - u).max(0.0).powf(p.unsafe_penalty_exponent);
        let mut attested = false;
        for (v, raw) in a.ratings.iter().zip(raw) {
            let w = a.base * raw * scale * factor;
            a.weight += w;
            if let Some(s) = v.score {
                score_w += w;
                score_sum += w * f64::from(s);
            }
            if a.in_network {
                if let Some(s) = v.safe {
                    safety.push((w, s, idx));
                }
                if let Some(r) = v.reliable {
                    reliability.push((w, r, idx));
                }
                attested |= v.r.contact_verified && v.r.attestation_ok;
            }
        }
        weight_total += a.weight;
        if !a.in_network {
            unreachable_weight += a.weight;
        }
        if attested && a.weight > 0.0 {
            verified = verified.saturating_add(1);
        }
    }
    let safety = dimension(&safety, p.quantile);
    let reliability = dimension(&reliability, p.quantile);
    let new_account = rep
        .first_seen(subject)?
        .is_none_or(|t| now.saturating_sub(t) < p.new_account_secs);
    let network_weight = weight_total - unreachable_weight;
    let in_network_raters = accs.iter().filter(|a| a.in_network).count();

    let to_u32 = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
    let mut reasons = Vec::new();
    let verdict = if safety.flagged || reliability.flagged {
        if safety.flagged {
            reasons.push(Reason::ReportedUnsafe);
        }
        if reliability.flagged {
            reasons.push(Reason::ReportedUnreliable);
        }
        Verdict::Warning
    } else if in_network_raters == 0 {
        reasons.push(Reason::NoRatingsFromNetwork);
        if pool > 0 {
            reasons.push(Reason::RatingsOutsideNetwork {
                count: to_u32(pool),
            });
        }
        Verdict::Unknown
    } else if network_weight >= p.trusted_min_weight && !new_account {
        reasons.push(Reason::RatedWellInNetwork {
            count: to_u32(in_network_raters),
        });
        Verdict::Trusted
    } else {
        if network_weight < p.trusted_min_weight {
            reasons.push(Reason::FewRatingsFromNetwork);
        }
        Verdict::Caution
    };
    if new_account {
        reasons.push(Reason::NewAccount {
            days: u32::try_from(p.new_account_secs / 86_400).unwrap_or(u32::MAX),
        });
    }

    let path = path_to(rep, trust, subject, node)?;
    let raters = explain.then(|| {
        accs.iter()
            .map(|a| RaterExplain {
                pubkey: a.key.to_hex(),
                weight: a.weight,
                hop: a.hop,
                tier: a
                    .ratings
                    .iter()
                    .map(|v| v.tier)
                    .max()
                    .unwrap_or(DealTier::OneSided),
            })
            .collect()
    });
    Ok(Screening {
        deals,
        partners: to_u32(partners),
        partners_in_network: to_u32(partners_in_network),
        met_in_person: met,
        verified_by: verified,
        new_account,
        safety,
        reliability,
        score: (score_w > 0.0).then(|| score_sum / score_w),
        weight_total,
        unreachable_weight,
        verdict,
        reasons,
        path,
        raters,
    })
}

/// Viewer → … → subject through the trust map: the subject's own chain if reached, else via its
/// reached neighbour closest to the viewer (ties: most trust) that the network does not flag
/// (a key reachable only through flagged keys is outside the network: no path).
fn path_to(
    rep: &Reputation,
    trust: &TrustMap,
    subject: &PublicKey,
    node: Option<NodeId>,
) -> Result<Vec<String>, ReputationError> {
    let g = &rep.graph;
    if subject == trust.viewer() {
        return Ok(vec![subject.to_hex()]);
    }
    let viewer = trust.viewer().to_hex();
    let hex = |ids: Vec<u32>| -> Result<Vec<String>, ReputationError> {
        let mut out: Vec<String> = Vec::with_capacity(ids.len() + 1);
        for i in ids {
            if let Some(k) = rep.key_of(i)? {
                out.push(k.to_hex());
            }
        }
        // A viewer without deals reaches the graph through follows: the path still starts at you.
        if out.first().is_some_and(|f| *f != viewer) {
            out.insert(0, viewer.clone());
        }
        Ok(out)
    };
    let Some(s) = node else {
        return Ok(Vec::new());
    };
    if trust.entry(s).is_some() {
        return hex(trust.path_to(s));
    }
    let best = g
        .neighbors(s)
        .filter_map(|(y, _)| {
            trust
                .entry(y)
                .filter(|e| !e.flagged)
                .map(|e| (y, e.dist, e.trust))
        })
        .filter(|(_, _, t)| *t > 0.0)
        .min_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
    match best {
        Some((y, _, _)) => {
            let mut ids = trust.path_to(y);
            if ids.is_empty() {
                return Ok(Vec::new());
            }
            ids.push(s);
            hex(ids)
        }
        None => Ok(Vec::new()),
    }
}
