//! The durable outbox: signed events waiting for a relay to accept them.
//!
//! A row is written before any network attempt and removed only when at least one relay
//! accepted the event, so a kill -9 at any point loses nothing (it may cause one re-send, which
//! relays deduplicate by id).

use nostr::{Event, EventId, JsonUtil};
use rusqlite::params;

use super::events::decode_event;
use super::{StoreError, StoreTx, to_i64, to_u64};

/// Longest `last_error` text kept (characters).
pub const MAX_ERROR_CHARS: usize = 500;

/// One queued event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// The signed event.
    pub event: Event,
    /// When it was queued (the event's `created_at`).
    pub created: u64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// Not before this time (unix seconds; 0 = immediately).
    pub next_attempt_at: u64,
    /// `"<relay>: <reason>"` of the last failure.
    pub last_error: Option<String>,
}

fn row_to_entry(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<(String, i64, i64, i64, Option<String>)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
}

fn build(
    (raw, created, attempts, next, last_error): (String, i64, i64, i64, Option<String>),
) -> Result<OutboxEntry, StoreError> {
    Ok(OutboxEntry {
        event: decode_event(&raw)?,
        created: to_u64("outbox.created", created)?,
        attempts: u32::try_from(attempts).map_err(|_| StoreError::Corrupt {
            what: format!("outbox.attempts is {attempts}"),
        })?,
        next_attempt_at: to_u64("outbox.next_attempt_at", next)?,
        last_error,
    })
}

impl StoreTx<'_> {
    /// Queues a signed event (idempotent by id). Returns `true` if it was not queued before.
    pub fn outbox_enqueue(&self, event: &Event) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO outbox (id, raw, created, attempts, next_attempt_at)
                 VALUES (?1, ?2, ?3, 0, 0) ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![
                event.id.as_bytes().as_slice(),
                event.as_json(),
                to_i64("created_at", event.created_at.as_secs())?,
            ])?;
        Ok(n == 1)
    }

    /// Entries due at `now` (`next_attempt_at <= now`), earliest due first, at most `limit`.
    pub fn outbox_due(&self, now: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut st = self.conn.prepare_cached(
            "SELECT raw, created, attempts, next_attempt_at, last_error FROM outbox
             WHERE next_attempt_at <= ?1 ORDER BY next_attempt_at, seq LIMIT ?2",
        )?;
        let rows = st
            .query_map(params![to_i64("now", now)?, limit], row_to_entry)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(build).collect()
    }

    /// Everything queued, in enqueue order.
    pub fn outbox_list(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT raw, created, attempts, next_attempt_at, last_error FROM outbox ORDER BY seq",
        )?;
        let rows = st
            .query_map([], row_to_entry)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter().map(build).collect()
    }

    /// `relay_url` accepted the event: remove it from the outbox (one accepting relay is
    /// enough). Returns `true` if it was queued.
    pub fn outbox_record_accept(&self, id: &EventId, relay_url: &str) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM outbox WHERE id = ?1")?
            .execute([id.as_bytes().as_slice()])?;
        if n == 1 {
            tracing::debug!(event = %id, relay = relay_url, "outbox: accepted, removed");
        }
        Ok(n == 1)
    }

    /// `relay_url` refused or timed out: count the attempt, keep the reason and schedule the
    /// next try at `next_attempt_at`. Returns `true` if the event was queued.
    pub fn outbox_record_failure(
        &self,
        id: &EventId,
        relay_url: &str,
        reason: &str,
        next_attempt_at: u64,
    ) -> Result<bool, StoreError> {
        let mut msg = format!("{relay_url}: {reason}");
        if msg.chars().count() > MAX_ERROR_CHARS {
            msg = msg.chars().take(MAX_ERROR_CHARS).collect();
        }
        let n = self
            .conn
            .prepare_cached(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3
                 WHERE id = ?1",
            )?
            .execute(params![
                id.as_bytes().as_slice(),
                to_i64("next_attempt_at", next_attempt_at)?,
                msg
            ])?;
        Ok(n == 1)
    }
}
