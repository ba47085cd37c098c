//! Durable publishing: the [`OutboxStore`] contract, relay `OK false` classification, and the
//! retry backoff.
//!
//! Semantics: an event enters the outbox before anything is sent. The publisher removes it only
//! after at least one relay accepted it (`OK true`, or `OK false` with a `duplicate:` reason);
//! otherwise it records the failure with the next attempt time. Because the store is durable,
//! a process killed mid-publish resumes on restart: the event is still due.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use nostr::{Event, EventId};
use rand::Rng;

/// An error reported by the storage behind an [`OutboxStore`].
#[derive(Debug, thiserror::Error)]
#[error("outbox store: {0}")]
pub struct StoreError(pub Box<dyn std::error::Error + Send + Sync>);

impl StoreError {
    /// Wraps any storage error.
    pub fn new(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self(Box::new(e))
    }
}

/// One pending event as returned by [`OutboxStore::outbox_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// The signed event to publish.
    pub event: Event,
    /// Failed attempts so far (0 for a fresh event).
    pub attempts: u32,
    /// Unix time before which the item is not due.
    pub next_attempt_at: u64,
    /// Reason of the last failure, if any.
    pub last_error: Option<String>,
}

/// The outbox operations the publisher needs. The SQLite store implements this; it must be
/// durable for the "survives restart" guarantee.
///
/// Contract:
/// - `outbox_enqueue`: insert the event due immediately with 0 attempts; enqueueing an id that
///   is already queued is a no-op (the event is the same, ids are content hashes).
/// - `outbox_due(now, limit)`: up to `limit` items with `next_attempt_at <= now`, oldest
///   `next_attempt_at` first.
/// - `outbox_record_accept(id, relay_url)`: a relay accepted the event; remove the row.
///   Unknown ids are a no-op.
/// - `outbox_record_failure(id, relay_url, reason, next_attempt_at)`: one failed attempt:
///   increment `attempts`, store the reason and the next attempt time. Unknown ids are a no-op.
pub trait OutboxStore: Send + Sync {
    /// Queues `event` for publishing, due now.
    fn outbox_enqueue(&self, event: &Event) -> Result<(), StoreError>;
    /// Items due at `now`, at most `limit`.
    fn outbox_due(&self, now: u64, limit: usize) -> Result<Vec<OutboxItem>, StoreError>;
    /// Removes the event: `relay_url` accepted it.
    fn outbox_record_accept(&self, id: &EventId, relay_url: &str) -> Result<(), StoreError>;
    /// Records one failed attempt and when to try again.
    fn outbox_record_failure(
        &self,
        id: &EventId,
        relay_url: &str,
        reason: &str,
        next_attempt_at: u64,
    ) -> Result<(), StoreError>;
}

/// An in-memory [`OutboxStore`] with the exact semantics of the contract above. It is **not
/// durable**: use it for tests and throwaway sessions only; the app uses the SQLite store.
#[derive(Debug, Default)]
pub struct MemoryOutbox {
    rows: Mutex<BTreeMap<EventId, OutboxItem>>,
}

impl MemoryOutbox {
    /// An empty outbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of queued events.
    pub fn len(&self) -> usize {
        self.rows.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// `true` when nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the row for `id`, if queued.
    pub fn get(&self, id: &EventId) -> Option<OutboxItem> {
        self.rows.lock().ok().and_then(|r| r.get(id).cloned())
    }

    fn rows(&self) -> Result<std::sync::MutexGuard<'_, BTreeMap<EventId, OutboxItem>>, StoreError> {
        self.rows
            .lock()
            .map_err(|_| StoreError(Box::from("memory outbox lock poisoned")))
    }
}

impl OutboxStore for MemoryOutbox {
    fn outbox_enqueue(&self, event: &Event) -> Result<(), StoreError> {
        self.rows()?.entry(event.id).or_insert_with(|| OutboxItem {
            event: event.clone(),
            attempts: 0,
            next_attempt_at: 0,
            last_error: None,
        });
        Ok(())
    }

    fn outbox_due(&self, now: u64, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
        let rows = self.rows()?;
        let mut due: Vec<OutboxItem> = rows
            .values()
            .filter(|i| i.next_attempt_at <= now)
            .cloned()
            .collect();
        due.sort_by_key(|i| (i.next_attempt_at, i.event.created_at));
        due.truncate(limit);
        Ok(due)
    }

    fn outbox_record_accept(&self, id: &EventId, _relay_url: &str) -> Result<(), StoreError> {
        self.rows()?.remove(id);
        Ok(())
    }

    fn outbox_record_failure(
        &self,
        id: &EventId,
        relay_url: &str,
        reason: &str,
        next_attempt_at: u64,
    ) -> Result<(), StoreError> {
        if let Some(row) = self.rows()?.get_mut(id) {
            row.attempts = row.attempts.saturating_add(1);
            row.next_attempt_at = next_attempt_at;
            row.last_error = Some(format!("{relay_url}: {reason}"));
        }
        Ok(())
    }
}

/// Why a relay did not accept an event: the NIP-01 machine-readable prefix of `OK false`, or a
/// transport failure on our side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectionKind {
    /// `rate-limited:` — try again later.
    RateLimited,
    /// `auth-required:` — NIP-42 authentication needed (the client authenticates automatically
    /// and re-sends once; this is what remains if that failed).
    AuthRequired,
    /// `pow:` — the relay wants more proof of work.
    Pow,
    /// `invalid:` — the relay considers the event malformed.
    Invalid,
    /// `blocked:` — the relay refuses our key or content.
    Blocked,
    /// `restricted:` — the relay is not open to us.
    Restricted,
    /// `error:` — the relay failed internally.
    Error,
    /// `OK false` with no recognised prefix.
    Other,
    /// No `OK` within the timeout.
    Timeout,
    /// The relay is not connected (or the socket failed while sending).
    NotConnected,
}

impl RejectionKind {
    /// `true` when retrying the same event at this relay cannot succeed by waiting alone.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            Self::Invalid | Self::Blocked | Self::Pow | Self::Restricted
        )
    }
}

/// One relay's refusal of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The classified reason.
    pub kind: RejectionKind,
    /// The relay's message (or our transport error), verbatim.
    pub message: String,
}

/// What an `OK` message from a relay means for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OkOutcome {
    /// The relay has the event (`OK true`, or `OK false` with `duplicate:`).
    Accepted,
    /// The relay refused it.
    Rejected(Rejection),
}

/// Classifies an `OK` by its status and NIP-01 machine-readable prefix.
pub fn classify_ok(status: bool, message: &str) -> OkOutcome {
    if status {
        return OkOutcome::Accepted;
    }
    let prefix = message.split_once(':').map(|(p, _)| p.trim());
    let kind = match prefix {
        Some("duplicate") => return OkOutcome::Accepted,
        Some("rate-limited") => RejectionKind::RateLimited,
        Some("auth-required") => RejectionKind::AuthRequired,
        Some("pow") => RejectionKind::Pow,
        Some("invalid") => RejectionKind::Invalid,
        Some("blocked") => RejectionKind::Blocked,
        Some("restricted") => RejectionKind::Restricted,
        Some("error") => RejectionKind::Error,
        _ => RejectionKind::Other,
    };
    OkOutcome::Rejected(Rejection {
        kind,
        message: message.to_string(),
    })
}

/// Exponential backoff with jitter for outbox retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffPolicy {
    /// Delay after the first failure (before jitter).
    pub base: Duration,
    /// Largest delay; also used at once when every relay refused permanently.
    pub cap: Duration,
    /// Smallest delay after a `rate-limited:` refusal.
    pub rate_limited_floor: Duration,
}

impl Default for BackoffPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(300),
            rate_limited_floor: Duration::from_secs(30),
        }
    }
}

impl BackoffPolicy {
    /// The delay before the next attempt after `attempts` earlier failures (0 = first failure)
    /// whose refusals were `kinds`. Full-range jitter in `[d/2, d]` spreads retries of a batch.
    pub fn delay<R: Rng + ?Sized>(
        &self,
        attempts: u32,
        kinds: &[RejectionKind],
        rng: &mut R,
    ) -> Duration {
        let cap_ms = u64::try_from(self.cap.as_millis()).unwrap_or(u64::MAX);
        if !kinds.is_empty() && kinds.iter().all(|k| k.is_permanent()) {
            return self.cap;
        }
        let base_ms = u64::try_from(self.base.as_millis()).unwrap_or(u64::MAX);
        let factor = 1u64.checked_shl(attempts.min(32)).unwrap_or(u64::MAX);
        let mut ms = base_ms.saturating_mul(factor).min(cap_ms);
        if kinds.contains(&RejectionKind::RateLimited) {
            let floor = u64::try_from(self.rate_limited_floor.as_millis()).unwrap_or(u64::MAX);
            ms = ms.max(floor.min(cap_ms));
        }
        let low = ms / 2;
        let jittered = if ms > low {
            rng.gen_range(low..=ms)
        } else {
            ms
        };
        Duration::from_millis(jittered)
    }

    /// The unix time of the next attempt: `now + delay`, rounded up to whole seconds, at least
    /// one second after `now`.
    pub fn next_attempt_at<R: Rng + ?Sized>(
        &self,
        now: u64,
        attempts: u32,
        kinds: &[RejectionKind],
        rng: &mut R,
    ) -> u64 {
        let d = self.delay(attempts, kinds, rng);
        let secs = d
            .as_secs()
            .saturating_add(u64::from(d.subsec_nanos() > 0))
            .max(1);
        now.saturating_add(secs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::{EventBuilder, Keys, Timestamp};
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn ev(keys: &Keys, n: u64) -> Event {
        EventBuilder::text_note(format!("n{n}"))
            .custom_created_at(Timestamp::from_secs(1_000 + n))
            .sign_with_keys(keys)
            .expect("sign")
    }

    #[test]
    fn classify_every_prefix() {
        assert_eq!(classify_ok(true, ""), OkOutcome::Accepted);
        assert_eq!(
            classify_ok(false, "duplicate: have it"),
            OkOutcome::Accepted
        );
        let cases = [
            ("rate-limited: slow down", RejectionKind::RateLimited),
            ("auth-required: who are you", RejectionKind::AuthRequired),
            ("pow: difficulty 20 required", RejectionKind::Pow),
            ("invalid: bad tags", RejectionKind::Invalid),
            ("blocked: go away", RejectionKind::Blocked),
            ("restricted: members only", RejectionKind::Restricted),
            ("error: db down", RejectionKind::Error),
            ("no prefix here", RejectionKind::Other),
            ("", RejectionKind::Other),
            ("duplicate", RejectionKind::Other),
        ];
        for (msg, kind) in cases {
            assert_eq!(
                classify_ok(false, msg),
                OkOutcome::Rejected(Rejection {
                    kind,
                    message: msg.to_string()
                }),
                "{msg}"
            );
        }
    }

    #[test]
    fn backoff_grows_with_jitter_and_caps() {
        let p = BackoffPolicy::default();
        let mut rng = StdRng::seed_from_u64(7);
        for attempts in 0..40u32 {
            let full = p
                .base
                .saturating_mul(1u32.checked_shl(attempts.min(31)).unwrap_or(u32::MAX))
                .min(p.cap);
            for _ in 0..50 {
                let d = p.delay(attempts, &[RejectionKind::Timeout], &mut rng);
                assert!(d <= full, "attempt {attempts}: {d:?} > {full:?}");
                assert!(d >= full / 2, "attempt {attempts}: {d:?} < {:?}", full / 2);
            }
        }
        // Jitter actually varies.
        let a: Vec<_> = (0..20).map(|_| p.delay(5, &[], &mut rng)).collect();
        assert!(a.iter().any(|d| *d != a[0]));
    }

    #[test]
    fn backoff_permanent_and_rate_limited() {
        let p = BackoffPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            p.delay(
                0,
                &[RejectionKind::Invalid, RejectionKind::Blocked],
                &mut rng
            ),
            p.cap
        );
        // One relay only timed out: not permanent, normal schedule.
        assert!(
            p.delay(
                0,
                &[RejectionKind::Invalid, RejectionKind::Timeout],
                &mut rng
            ) <= p.base
        );
        let d = p.delay(0, &[RejectionKind::RateLimited], &mut rng);
        assert!(d >= p.rate_limited_floor / 2 && d <= p.rate_limited_floor);
        assert!(p.next_attempt_at(100, 0, &[], &mut rng) > 100);
        assert_eq!(p.next_attempt_at(u64::MAX, 3, &[], &mut rng), u64::MAX);
    }

    #[test]
    fn memory_outbox_follows_the_contract() {
        let keys = Keys::generate();
        let ob = MemoryOutbox::new();
        let (a, b, c) = (ev(&keys, 1), ev(&keys, 2), ev(&keys, 3));
        for e in [&a, &b, &c] {
            ob.outbox_enqueue(e).expect("enqueue");
        }
        ob.outbox_enqueue(&a).expect("re-enqueue is a no-op");
        assert_eq!(ob.len(), 3);
        assert_eq!(ob.outbox_due(0, 2).expect("due").len(), 2);

        ob.outbox_record_failure(&a.id, "wss://r", "timeout", 50)
            .expect("fail");
        let due: Vec<EventId> = ob
            .outbox_due(10, 10)
            .expect("due")
            .into_iter()
            .map(|i| i.event.id)
            .collect();
        assert_eq!(due.len(), 2);
        assert!(!due.contains(&a.id));
        let row = ob.get(&a.id).expect("row");
        assert_eq!(row.attempts, 1);
        assert_eq!(row.last_error.as_deref(), Some("wss://r: timeout"));
        assert_eq!(ob.outbox_due(50, 10).expect("due").len(), 3);

        ob.outbox_record_accept(&b.id, "wss://r").expect("accept");
        ob.outbox_record_accept(&b.id, "wss://r")
            .expect("unknown id is a no-op");
        ob.outbox_record_failure(&b.id, "wss://r", "late", 1)
            .expect("unknown id is a no-op");
        assert_eq!(ob.len(), 2);
        assert!(ob.get(&b.id).is_none());
    }
}
