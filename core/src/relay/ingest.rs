//! The ingest gate: every event a relay sends passes through [`IngestGate::admit`] before it can
//! reach storage, state or UI.
//!
//! The gate is pure (no I/O, no clock: `now` is a parameter). It enforces, in this order:
//! size and tag caps, NIP-40 expiry, the subscription's filter (and its `limit` before EOSE),
//! de-duplication by event id (bounded), **our own** id recomputation and Schnorr signature check
//! (never a cache keyed by id), and newest-wins for replaceable/addressable coordinates
//! (ties broken by the lowest id). Only events that passed every check are recorded in the
//! de-duplication set, so a forged copy that arrives first cannot shadow the genuine event.
//!
//! What the gate does remember to go faster is only what is a pure function of its input: the
//! parsed x-only key of recent authors ([`EventVerifier`]); the id and the signature of every
//! event are checked in full.

use std::collections::{HashMap, HashSet, VecDeque};

use nostr::filter::MatchEventOptions;
use nostr::secp256k1::{Message, XOnlyPublicKey};
use nostr::{Event, EventId, Filter, Kind, PublicKey, SECP256K1, Timestamp};
use sha2::{Digest, Sha256};

use crate::protocol::{kinds, limits};

/// Caps applied to every incoming event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngestLimits {
    /// Largest serialized event JSON we accept (bytes).
    pub max_event_json_bytes: usize,
    /// Largest `content` of a plaintext event (bytes).
    pub max_content_bytes: usize,
    /// Largest `content` of an encrypted event: kinds 4, 13 and 1059 (bytes).
    pub max_encrypted_content_bytes: usize,
    /// Most tags on one event (tag floods are refused).
    pub max_tags: usize,
    /// Most tags on a follow list (kind 3), which legitimately carries one tag per follow.
    pub max_tags_follow_list: usize,
    /// How many event ids the de-duplication set remembers (oldest forgotten first).
    pub dedup_capacity: usize,
    /// How many replaceable/addressable coordinates newest-wins remembers.
    pub coordinate_capacity: usize,
    /// How many authors' parsed public keys the signature check remembers.
    pub key_cache_capacity: usize,
}

impl Default for IngestLimits {
    fn default() -> Self {
        Self {
            max_event_json_bytes: 192 * 1024,
            max_content_bytes: limits::MAX_CONTENT_BYTES,
            // A NIP-44 payload of the largest supported plaintext is ~87.5 KiB of base64.
            max_encrypted_content_bytes: 96 * 1024,
            max_tags: limits::MAX_TAGS,
            max_tags_follow_list: 10_000,
            dedup_capacity: 100_000,
            coordinate_capacity: 50_000,
            key_cache_capacity: 1_024,
        }
    }
}

/// Why the gate refused an event. Each variant names the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DropReason {
    /// A size cap was exceeded.
    #[error("`{field}` is {actual} bytes; the limit is {limit}")]
    TooLarge {
        /// Which part of the event was too large (`event`, `content`).
        field: &'static str,
        /// Measured size.
        actual: usize,
        /// The cap.
        limit: usize,
    },
    /// More tags than allowed for this kind.
    #[error("{actual} tags; the limit is {limit}")]
    TooManyTags {
        /// Number of tags on the event.
        actual: usize,
        /// The cap.
        limit: usize,
    },
    /// The NIP-40 `expiration` tag is in the past.
    #[error("expired at {expires_at} (now {now})")]
    Expired {
        /// The event's expiration.
        expires_at: u64,
        /// The time of the check.
        now: u64,
    },
    /// The event arrived on a subscription we do not have (or no longer have).
    #[error("event for unknown subscription `{subscription}`")]
    UnknownSubscription {
        /// The subscription id the relay used.
        subscription: String,
    },
    /// The event does not match the filter of the subscription it arrived on.
    #[error("event does not match the subscription filter")]
    OffFilter,
    /// The relay sent more stored events than the filter's `limit`.
    #[error("more than the filter limit of {limit} stored events")]
    BeyondLimit {
        /// The filter's `limit`.
        limit: usize,
    },
    /// Already delivered on this stream.
    #[error("duplicate event id")]
    Duplicate,
    /// The id is not the hash of the event's fields.
    #[error("event id does not match its content")]
    InvalidId,
    /// The Schnorr signature does not verify for the id and pubkey.
    #[error("invalid signature")]
    InvalidSignature,
    /// An equal-or-newer version of this replaceable/addressable coordinate was already delivered.
    #[error("stale version: created_at {created_at} is older than the delivered {newest}")]
    Stale {
        /// This event's `created_at`.
        created_at: u64,
        /// The `created_at` of the version already delivered.
        newest: u64,
    },
}

/// Counters of what the gate admitted and dropped, by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestStats {
    /// Events admitted.
    pub accepted: u64,
    /// Dropped: a size cap.
    pub too_large: u64,
    /// Dropped: tag flood.
    pub too_many_tags: u64,
    /// Dropped: NIP-40 expired.
    pub expired: u64,
    /// Dropped: unknown subscription id.
    pub unknown_subscription: u64,
    /// Dropped: off the subscription filter.
    pub off_filter: u64,
    /// Dropped: beyond the filter's `limit` before EOSE.
    pub beyond_limit: u64,
    /// Dropped: duplicate id.
    pub duplicate: u64,
    /// Dropped: id does not match the fields.
    pub invalid_id: u64,
    /// Dropped: bad signature.
    pub invalid_signature: u64,
    /// Dropped: stale replaceable/addressable version.
    pub stale: u64,
    /// Relay messages that were not valid JSON or exceeded the message cap (counted by the client).
    pub malformed: u64,
    /// Notifications lost because the consumer fell behind (counted by the client).
    pub lagged: u64,
    /// Direct messages dropped after the event itself was admitted (undecryptable, seal
    /// mismatch, not addressed to us; counted by the client).
    pub dm_rejected: u64,
    /// Admitted live events dropped because the consumer had not made room within
    /// `RelayConfig::stream_shed_after` (counted by the client; a catch-up query recovers them).
    pub shed: u64,
}

impl IngestStats {
    /// Counts one drop under its reason.
    pub fn record_drop(&mut self, reason: &DropReason) {
        let counter = match reason {
            DropReason::TooLarge { .. } => &mut self.too_large,
            DropReason::TooManyTags { .. } => &mut self.too_many_tags,
            DropReason::Expired { .. } => &mut self.expired,
            DropReason::UnknownSubscription { .. } => &mut self.unknown_subscription,
            DropReason::OffFilter => &mut self.off_filter,
            DropReason::BeyondLimit { .. } => &mut self.beyond_limit,
            DropReason::Duplicate => &mut self.duplicate,
            DropReason::InvalidId => &mut self.invalid_id,
            DropReason::InvalidSignature => &mut self.invalid_signature,
            DropReason::Stale { .. } => &mut self.stale,
        };
        *counter = counter.saturating_add(1);
    }

    /// Total number of events dropped for any reason the gate checks.
    pub fn dropped(&self) -> u64 {
        [
            self.too_large,
            self.too_many_tags,
            self.expired,
            self.unknown_subscription,
            self.off_filter,
            self.beyond_limit,
            self.duplicate,
            self.invalid_id,
            self.invalid_signature,
            self.stale,
        ]
        .iter()
        .fold(0u64, |acc, n| acc.saturating_add(*n))
    }
}

/// Recomputes the id and verifies the Schnorr signature of `event`. Never consults a cache.
pub fn verify_event(event: &Event) -> Result<(), DropReason> {
    if !id_matches(event) {
        return Err(DropReason::InvalidId);
    }
    let key = event
        .pubkey
        .xonly()
        .map_err(|_| DropReason::InvalidSignature)?;
    verify_signature(event, &key)
}

/// `true` if `event.id` is the SHA-256 of the NIP-01 serialisation
/// `[0, pubkey, created_at, kind, tags, content]`.
///
/// The same bytes as nostr's `EventId::new`, which builds a `serde_json::Value` tree first (a
/// copy of every tag); here the array is serialised straight into the hash.
pub fn id_matches(event: &Event) -> bool {
    let mut hasher = Sha256::new();
    let preimage = (
        0u8,
        &event.pubkey,
        event.created_at,
        event.kind,
        &event.tags,
        &event.content,
    );
    if serde_json::to_writer(&mut hasher, &preimage).is_err() {
        return false;
    }
    let digest: [u8; 32] = hasher.finalize().into();
    digest == *event.id.as_bytes()
}

/// BIP-340 verification of `event.sig` over `event.id` with the already parsed author key.
fn verify_signature(event: &Event, key: &XOnlyPublicKey) -> Result<(), DropReason> {
    let message = Message::from_digest(event.id.to_bytes());
    SECP256K1
        .verify_schnorr(&event.sig, &message, key)
        .map_err(|_| DropReason::InvalidSignature)
}

/// Verifies events like [`verify_event`] (id recomputed, signature checked, every time), but
/// remembers the parsed x-only key of recent authors, so an author's key is lifted onto the
/// curve once rather than once per event. Keys are cached by their 32 bytes, never by event id,
/// and only keys that parsed; the cache holds at most `capacity` authors (oldest forgotten first).
#[derive(Debug)]
pub struct EventVerifier {
    keys: HashMap<PublicKey, XOnlyPublicKey>,
    order: VecDeque<PublicKey>,
    capacity: usize,
}

impl EventVerifier {
    /// A verifier that remembers at most `capacity` author keys (at least one).
    pub fn new(capacity: usize) -> Self {
        Self {
            keys: HashMap::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Recomputes the id and verifies the signature of `event`.
    pub fn verify(&mut self, event: &Event) -> Result<(), DropReason> {
        if !id_matches(event) {
            return Err(DropReason::InvalidId);
        }
        let key = self.key_of(&event.pubkey)?;
        verify_signature(event, &key)
    }

    /// Number of author keys currently remembered (bounded by the capacity).
    pub fn cached_keys(&self) -> usize {
        self.keys.len()
    }

    fn key_of(&mut self, pubkey: &PublicKey) -> Result<XOnlyPublicKey, DropReason> {
        if let Some(key) = self.keys.get(pubkey) {
            return Ok(*key);
        }
        let key = pubkey.xonly().map_err(|_| DropReason::InvalidSignature)?;
        self.keys.insert(*pubkey, key);
        self.order.push_back(*pubkey);
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.keys.remove(&old);
            }
        }
        Ok(key)
    }
}

/// Size, tag-count and NIP-40 checks that need nothing but the event and the clock.
pub fn check_shape(event: &Event, limits: &IngestLimits, now: u64) -> Result<(), DropReason> {
    let tag_limit = if event.kind == Kind::from(kinds::FOLLOWS) {
        limits.max_tags_follow_list
    } else {
        limits.max_tags
    };
    if event.tags.len() > tag_limit {
        return Err(DropReason::TooManyTags {
            actual: event.tags.len(),
            limit: tag_limit,
        });
    }
    let content_limit = if is_encrypted_kind(event.kind) {
        limits.max_encrypted_content_bytes
    } else {
        limits.max_content_bytes
    };
    if event.content.len() > content_limit {
        return Err(DropReason::TooLarge {
            field: "content",
            actual: event.content.len(),
            limit: content_limit,
        });
    }
    let json_len = serialized_len(event);
    if json_len > limits.max_event_json_bytes {
        return Err(DropReason::TooLarge {
            field: "event",
            actual: json_len,
            limit: limits.max_event_json_bytes,
        });
    }
    if let Some(expires_at) = event.tags.expiration()
        && expires_at.as_secs() < now
    {
        return Err(DropReason::Expired {
            expires_at: expires_at.as_secs(),
            now,
        });
    }
    Ok(())
}

/// `true` for kinds whose content is ciphertext (NIP-04 DM, NIP-59 seal and gift wrap).
pub fn is_encrypted_kind(kind: Kind) -> bool {
    let k = kind.as_u16();
    k == kinds::NIP04_DM || k == kinds::SEAL || k == kinds::GIFT_WRAP
}

/// An upper bound of the event's JSON size without serializing it (escapes can add at most 5
/// bytes per content byte, which the content cap bounds separately).
fn serialized_len(event: &Event) -> usize {
    // id, pubkey, sig, created_at, kind and JSON punctuation.
    const FIXED: usize = 64 + 64 + 128 + 20 + 5 + 64;
    let tags: usize = event
        .tags
        .iter()
        .map(|t| {
            t.as_slice().iter().fold(2usize, |acc, v| {
                acc.saturating_add(v.len()).saturating_add(3)
            })
        })
        .fold(0usize, |acc, n| acc.saturating_add(n));
    FIXED
        .saturating_add(event.content.len())
        .saturating_add(tags)
}

/// The newest-wins key of a replaceable (`d` = "") or addressable event.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Coordinate {
    kind: u16,
    pubkey: PublicKey,
    d: String,
}

fn coordinate_of(event: &Event) -> Option<Coordinate> {
    if event.kind.is_addressable() {
        Some(Coordinate {
            kind: event.kind.as_u16(),
            pubkey: event.pubkey,
            d: event.tags.identifier().unwrap_or_default().to_string(),
        })
    } else if event.kind.is_replaceable() {
        Some(Coordinate {
            kind: event.kind.as_u16(),
            pubkey: event.pubkey,
            d: String::new(),
        })
    } else {
        None
    }
}

/// `true` if (a_created, a_id) supersedes (b_created, b_id): newer wins, ties go to the lowest id.
pub fn supersedes(
    a_created: Timestamp,
    a_id: &EventId,
    b_created: Timestamp,
    b_id: &EventId,
) -> bool {
    a_created > b_created || (a_created == b_created && a_id < b_id)
}

/// A set that remembers at most `capacity` items, forgetting the oldest first.
#[derive(Debug)]
struct BoundedSet<T: std::hash::Hash + Eq + Clone> {
    set: HashSet<T>,
    order: VecDeque<T>,
    capacity: usize,
}

impl<T: std::hash::Hash + Eq + Clone> BoundedSet<T> {
    fn new(capacity: usize) -> Self {
        Self {
            set: HashSet::new(),
            order: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn contains(&self, item: &T) -> bool {
        self.set.contains(item)
    }

    fn insert(&mut self, item: T) {
        if self.set.insert(item.clone()) {
            self.order.push_back(item);
            while self.order.len() > self.capacity {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }

    fn len(&self) -> usize {
        self.set.len()
    }
}

/// Per-stream admission state: de-duplication and newest-wins. One gate per consumer stream
/// (the live stream has one; every one-shot query gets its own).
#[derive(Debug)]
pub struct IngestGate {
    limits: IngestLimits,
    seen: BoundedSet<EventId>,
    newest: HashMap<Coordinate, (Timestamp, EventId)>,
    newest_order: VecDeque<Coordinate>,
    verifier: EventVerifier,
    stats: IngestStats,
}

impl IngestGate {
    /// A gate with empty state.
    pub fn new(limits: IngestLimits) -> Self {
        Self {
            seen: BoundedSet::new(limits.dedup_capacity),
            newest: HashMap::new(),
            newest_order: VecDeque::new(),
            verifier: EventVerifier::new(limits.key_cache_capacity),
            limits,
            stats: IngestStats::default(),
        }
    }

    /// The limits this gate enforces.
    pub fn limits(&self) -> &IngestLimits {
        &self.limits
    }

    /// What this gate admitted and dropped so far.
    pub fn stats(&self) -> IngestStats {
        self.stats
    }

    /// Number of event ids currently remembered for de-duplication (bounded by the capacity).
    pub fn remembered_ids(&self) -> usize {
        self.seen.len()
    }

    /// Number of coordinates currently tracked by newest-wins (bounded by the capacity).
    pub fn remembered_coordinates(&self) -> usize {
        self.newest.len()
    }

    /// Decides whether `event`, received on a subscription with `filter`, may be delivered.
    ///
    /// `filter` is `None` only for events that did not come from a subscription (never for
    /// relay input). On success the event is recorded (de-duplication, newest-wins).
    pub fn admit(
        &mut self,
        event: &Event,
        filter: Option<&Filter>,
        now: u64,
    ) -> Result<(), DropReason> {
        match self.check(event, filter, now) {
            Ok(coord) => {
                self.stats.accepted = self.stats.accepted.saturating_add(1);
                self.record(event, coord);
                Ok(())
            }
            Err(reason) => {
                self.stats.record_drop(&reason);
                Err(reason)
            }
        }
    }

    /// Counts a drop decided outside the gate (e.g. beyond-limit, unknown subscription).
    pub fn record_external_drop(&mut self, reason: &DropReason) {
        self.stats.record_drop(reason);
    }

    /// Runs every check; on success returns the event's coordinate (if it has one) for
    /// [`Self::record`], so it is built once.
    fn check(
        &mut self,
        event: &Event,
        filter: Option<&Filter>,
        now: u64,
    ) -> Result<Option<Coordinate>, DropReason> {
        check_shape(event, &self.limits, now)?;
        if let Some(filter) = filter {
            let opts = MatchEventOptions {
                nip50: false,
                ..MatchEventOptions::new()
            };
            if !filter.match_event(event, opts) {
                return Err(DropReason::OffFilter);
            }
        }
        // De-duplicate before the (expensive) signature check: only events that passed the
        // check are ever recorded, so a known id here was verified by us with this exact id.
        if self.seen.contains(&event.id) {
            return Err(DropReason::Duplicate);
        }
        self.verifier.verify(event)?;
        let coord = coordinate_of(event);
        if let Some(coord) = &coord
            && let Some((created, id)) = self.newest.get(coord)
            && !supersedes(event.created_at, &event.id, *created, id)
        {
            return Err(DropReason::Stale {
                created_at: event.created_at.as_secs(),
                newest: created.as_secs(),
            });
        }
        Ok(coord)
    }

    fn record(&mut self, event: &Event, coord: Option<Coordinate>) {
        self.seen.insert(event.id);
        if let Some(coord) = coord
            && self
                .newest
                .insert(coord.clone(), (event.created_at, event.id))
                .is_none()
        {
            self.newest_order.push_back(coord);
            while self.newest_order.len() > self.limits.coordinate_capacity.max(1) {
                if let Some(old) = self.newest_order.pop_front() {
                    self.newest.remove(&old);
                }
            }
        }
    }
}

/// Keeps only the newest version of each replaceable/addressable coordinate in `events`
/// (ties → lowest id); other events pass through. Order of the survivors is preserved.
pub fn keep_newest(events: Vec<Event>) -> Vec<Event> {
    let mut best: HashMap<Coordinate, (Timestamp, EventId)> = HashMap::new();
    for e in &events {
        if let Some(c) = coordinate_of(e) {
            match best.get(&c) {
                Some((t, id)) if !supersedes(e.created_at, &e.id, *t, id) => {}
                _ => {
                    best.insert(c, (e.created_at, e.id));
                }
            }
        }
    }
    events
        .into_iter()
        .filter(|e| match coordinate_of(e) {
            Some(c) => best.get(&c).is_some_and(|(_, id)| *id == e.id),
            None => true,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{EventBuilder, JsonUtil, Keys, Tag};

    const NOW: u64 = 1_800_000_000;

    fn note(keys: &Keys, content: &str) -> Event {
        EventBuilder::text_note(content)
            .custom_created_at(Timestamp::from_secs(NOW - 10))
            .sign_with_keys(keys)
            .expect("sign")
    }

    fn addressable(keys: &Keys, d: &str, created: u64, content: &str) -> Event {
        EventBuilder::new(Kind::from(kinds::OFFER), content)
            .tags([Tag::identifier(d)])
            .custom_created_at(Timestamp::from_secs(created))
            .sign_with_keys(keys)
            .expect("sign")
    }

    /// Re-serializes `event` with `content` replaced but id and sig kept (a forged copy).
    fn forge_content(event: &Event, content: &str) -> Event {
        let mut v: serde_json::Value = serde_json::from_str(&event.as_json()).expect("json");
        v["content"] = serde_json::Value::String(content.to_string());
        Event::from_json(v.to_string()).expect("parse forged")
    }

    fn forge_sig(event: &Event) -> Event {
        let mut v: serde_json::Value = serde_json::from_str(&event.as_json()).expect("json");
        let other = note(&Keys::generate(), "x");
        v["sig"] = serde_json::Value::String(other.sig.to_string());
        Event::from_json(v.to_string()).expect("parse forged")
    }

    #[test]
    fn admits_valid_event_once() {
        let keys = Keys::generate();
        let e = note(&keys, "hello");
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&e, None, NOW), Ok(()));
        assert_eq!(gate.admit(&e, None, NOW), Err(DropReason::Duplicate));
        assert_eq!(gate.stats().accepted, 1);
        assert_eq!(gate.stats().duplicate, 1);
    }

    #[test]
    fn forged_content_with_known_id_is_dropped_even_on_a_fresh_gate() {
        let keys = Keys::generate();
        let e = note(&keys, "genuine");
        let forged = forge_content(&e, "forged");
        assert_eq!(forged.id, e.id);
        // A fresh gate (a new query) has never seen the id: our own verification must catch it.
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&forged, None, NOW), Err(DropReason::InvalidId));
        // The forged copy did not poison the dedup set: the genuine one still gets through.
        assert_eq!(gate.admit(&e, None, NOW), Ok(()));
        assert_eq!(gate.stats().invalid_id, 1);
    }

    #[test]
    fn bad_signature_is_dropped() {
        let keys = Keys::generate();
        let e = note(&keys, "genuine");
        let forged = forge_sig(&e);
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(
            gate.admit(&forged, None, NOW),
            Err(DropReason::InvalidSignature)
        );
        assert_eq!(gate.admit(&e, None, NOW), Ok(()));
    }

    #[test]
    fn off_filter_events_are_dropped() {
        let keys = Keys::generate();
        let e = note(&keys, "hello");
        let mut gate = IngestGate::new(IngestLimits::default());
        let wrong_kind = Filter::new().kind(Kind::from(kinds::OFFER));
        assert_eq!(
            gate.admit(&e, Some(&wrong_kind), NOW),
            Err(DropReason::OffFilter)
        );
        let wrong_author = Filter::new().author(Keys::generate().public_key());
        assert_eq!(
            gate.admit(&e, Some(&wrong_author), NOW),
            Err(DropReason::OffFilter)
        );
        let too_old = Filter::new().since(Timestamp::from_secs(NOW));
        assert_eq!(
            gate.admit(&e, Some(&too_old), NOW),
            Err(DropReason::OffFilter)
        );
        let ok = Filter::new().kind(Kind::TextNote).author(keys.public_key());
        assert_eq!(gate.admit(&e, Some(&ok), NOW), Ok(()));
        assert_eq!(gate.stats().off_filter, 3);
    }

    #[test]
    fn newest_addressable_wins_and_ties_go_to_lowest_id() {
        let keys = Keys::generate();
        let old = addressable(&keys, "aa", NOW - 100, "old");
        let new = addressable(&keys, "aa", NOW - 50, "new");
        let other_d = addressable(&keys, "bb", NOW - 200, "other");
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&new, None, NOW), Ok(()));
        assert!(matches!(
            gate.admit(&old, None, NOW),
            Err(DropReason::Stale { .. })
        ));
        assert_eq!(gate.admit(&other_d, None, NOW), Ok(()));

        let t1 = addressable(&keys, "cc", NOW - 10, "one");
        let t2 = addressable(&keys, "cc", NOW - 10, "two");
        let (low, high) = if t1.id < t2.id { (t1, t2) } else { (t2, t1) };
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&high, None, NOW), Ok(()));
        assert_eq!(
            gate.admit(&low, None, NOW),
            Ok(()),
            "same second, lower id supersedes"
        );
        assert!(matches!(
            gate.admit(&high, None, NOW),
            Err(DropReason::Duplicate)
        ));

        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&low, None, NOW), Ok(()));
        assert!(matches!(
            gate.admit(&high, None, NOW),
            Err(DropReason::Stale { .. })
        ));
    }

    #[test]
    fn keep_newest_filters_a_batch() {
        let keys = Keys::generate();
        let old = addressable(&keys, "aa", NOW - 100, "old");
        let new = addressable(&keys, "aa", NOW - 50, "new");
        let n = note(&keys, "plain");
        let out = keep_newest(vec![old, n.clone(), new.clone()]);
        assert_eq!(out, vec![n, new]);
    }

    #[test]
    fn size_and_tag_caps() {
        let keys = Keys::generate();
        let limits = IngestLimits::default();
        let big = EventBuilder::text_note("x".repeat(limits.max_content_bytes + 1))
            .sign_with_keys(&keys)
            .expect("sign");
        let mut gate = IngestGate::new(limits.clone());
        assert_eq!(
            gate.admit(&big, None, NOW),
            Err(DropReason::TooLarge {
                field: "content",
                actual: limits.max_content_bytes + 1,
                limit: limits.max_content_bytes
            })
        );
        let flood = EventBuilder::text_note("flood")
            .tags((0..=limits.max_tags).map(|i| Tag::hashtag(format!("t{i}"))))
            .sign_with_keys(&keys)
            .expect("sign");
        assert_eq!(
            gate.admit(&flood, None, NOW),
            Err(DropReason::TooManyTags {
                actual: limits.max_tags + 1,
                limit: limits.max_tags
            })
        );
        // The same number of tags is fine on a follow list.
        let follows = EventBuilder::new(Kind::from(kinds::FOLLOWS), "")
            .tags((0..=limits.max_tags).map(|_| Tag::public_key(Keys::generate().public_key())))
            .sign_with_keys(&keys)
            .expect("sign");
        assert_eq!(gate.admit(&follows, None, NOW), Ok(()));
        // Many long tags: the JSON cap catches what the tag count does not.
        let wide = EventBuilder::text_note("wide")
            .tags((0..200).map(|_| Tag::hashtag("y".repeat(1024))))
            .sign_with_keys(&keys)
            .expect("sign");
        assert!(matches!(
            gate.admit(&wide, None, NOW),
            Err(DropReason::TooLarge { field: "event", .. })
        ));
    }

    #[test]
    fn expired_events_are_dropped() {
        let keys = Keys::generate();
        let e = EventBuilder::text_note("bye")
            .tags([Tag::expiration(Timestamp::from_secs(NOW - 1))])
            .sign_with_keys(&keys)
            .expect("sign");
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(
            gate.admit(&e, None, NOW),
            Err(DropReason::Expired {
                expires_at: NOW - 1,
                now: NOW
            })
        );
        assert_eq!(gate.admit(&e, None, NOW - 2), Ok(()));
    }

    #[test]
    fn memory_is_bounded() {
        let keys = Keys::generate();
        let limits = IngestLimits {
            dedup_capacity: 8,
            coordinate_capacity: 4,
            ..IngestLimits::default()
        };
        let mut gate = IngestGate::new(limits);
        for i in 0..20 {
            let e = addressable(&keys, &format!("{i:02x}"), NOW - 5, "x");
            assert_eq!(gate.admit(&e, None, NOW), Ok(()));
        }
        assert_eq!(gate.remembered_ids(), 8);
        assert_eq!(gate.remembered_coordinates(), 4);
        assert_eq!(gate.stats().accepted, 20);
    }

    /// Events whose id serialisation exercises JSON escaping: quotes, backslashes, control
    /// characters, non-ASCII, line/paragraph separators, empty tags and empty values.
    fn tricky_events(keys: &Keys) -> Vec<Event> {
        let contents = [
            "",
            "plain",
            "quote \" backslash \\ slash / tab \t nl \n cr \r bs \u{8} ff \u{c}",
            "ctl \u{0} \u{1} \u{1f} del \u{7f}",
            "unicode é 漢字 🚲 \u{2028} \u{2029} \u{feff}",
        ];
        contents
            .iter()
            .enumerate()
            .map(|(i, c)| {
                EventBuilder::new(Kind::from(kinds::OFFER), *c)
                    .tags([
                        Tag::identifier(format!("d{i}\"\n")),
                        Tag::hashtag(*c),
                        Tag::parse(["x", "", "é\u{1}"]).expect("tag"),
                    ])
                    .custom_created_at(Timestamp::from_secs(NOW - i as u64))
                    .sign_with_keys(keys)
                    .expect("sign")
            })
            .collect()
    }

    #[test]
    fn id_recompute_agrees_with_nostr_on_escapes_and_forgeries() {
        let keys = Keys::generate();
        for e in tricky_events(&keys) {
            assert!(e.verify_id(), "nostr accepts its own id");
            assert!(id_matches(&e), "our recompute agrees on {:?}", e.content);
            let forged = forge_content(&e, &format!("{}!", e.content));
            assert!(!forged.verify_id());
            assert!(!id_matches(&forged), "forged content caught");
            assert_eq!(verify_event(&e), Ok(()));
            assert_eq!(verify_event(&forged), Err(DropReason::InvalidId));
        }
    }

    #[test]
    fn verifier_caches_keys_but_still_checks_every_signature() {
        let keys = Keys::generate();
        let mut v = EventVerifier::new(4);
        let a = note(&keys, "one");
        let b = note(&keys, "two");
        assert_eq!(v.verify(&a), Ok(()));
        assert_eq!(v.cached_keys(), 1);
        // Same author, key now cached: a bad signature and forged content are still caught.
        assert_eq!(v.verify(&forge_sig(&b)), Err(DropReason::InvalidSignature));
        assert_eq!(
            v.verify(&forge_content(&b, "forged")),
            Err(DropReason::InvalidId)
        );
        assert_eq!(v.verify(&b), Ok(()));
        // Another author's valid signature over this event is refused too (key mismatch).
        let other = Keys::generate();
        let mut swapped: serde_json::Value =
            serde_json::from_str(&note(&other, "three").as_json()).expect("json");
        swapped["pubkey"] = serde_json::Value::String(keys.public_key().to_hex());
        let swapped = Event::from_json(swapped.to_string()).expect("parse");
        assert_ne!(v.verify(&swapped), Ok(()));
        assert_eq!(v.cached_keys(), 1);
    }

    #[test]
    fn verifier_cache_is_bounded_and_skips_invalid_keys() {
        let mut v = EventVerifier::new(3);
        for _ in 0..10 {
            assert_eq!(v.verify(&note(&Keys::generate(), "x")), Ok(()));
        }
        assert_eq!(v.cached_keys(), 3);

        // A pubkey that is not an x coordinate on the curve (≥ p): id fine, signature refused,
        // nothing cached.
        let mut v = EventVerifier::new(3);
        let genuine = note(&Keys::generate(), "x");
        let bad_key = PublicKey::from_byte_array([0xff; 32]);
        let id = EventId::new(
            &bad_key,
            &genuine.created_at,
            &genuine.kind,
            &genuine.tags,
            &genuine.content,
        );
        let e = Event::new(
            id,
            bad_key,
            genuine.created_at,
            genuine.kind,
            genuine.tags.clone(),
            genuine.content.clone(),
            genuine.sig,
        );
        assert!(id_matches(&e));
        assert_eq!(v.verify(&e), Err(DropReason::InvalidSignature));
        assert_eq!(verify_event(&e), Err(DropReason::InvalidSignature));
        assert_eq!(v.cached_keys(), 0);
    }

    #[test]
    fn gate_with_cached_key_drops_forgeries_of_a_known_author() {
        let keys = Keys::generate();
        let mut gate = IngestGate::new(IngestLimits::default());
        assert_eq!(gate.admit(&note(&keys, "first"), None, NOW), Ok(()));
        let e = note(&keys, "second");
        assert_eq!(
            gate.admit(&forge_content(&e, "forged"), None, NOW),
            Err(DropReason::InvalidId)
        );
        assert_eq!(
            gate.admit(&forge_sig(&e), None, NOW),
            Err(DropReason::InvalidSignature)
        );
        assert_eq!(gate.admit(&e, None, NOW), Ok(()));
        assert_eq!(gate.stats().accepted, 2);
        assert_eq!(gate.stats().dropped(), 2);
    }

    #[test]
    fn stats_total_counts_every_drop() {
        let mut stats = IngestStats::default();
        stats.record_drop(&DropReason::OffFilter);
        stats.record_drop(&DropReason::InvalidSignature);
        stats.record_drop(&DropReason::BeyondLimit { limit: 1 });
        assert_eq!(stats.dropped(), 3);
    }
}
