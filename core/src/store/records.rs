//! Private records: negotiations (sealed detail), messages (sealed envelopes, replay
//! protection), the meetup nonce ledger, settings and sync cursors.

use nostr::{EventId, PublicKey};
use rusqlite::{OptionalExtension, params};

use super::{StoreError, StoreTx, to_i64, to_u64};
use crate::protocol::NegoId;
use crate::protocol::receipt::MeetNonce;

/// Longest setting / cursor key (bytes).
pub const MAX_SETTING_KEY: usize = 128;
/// Largest setting value (bytes).
pub const MAX_SETTING_VALUE: usize = 64 * 1024;
/// Largest sealed detail / envelope plaintext (bytes).
pub const MAX_SEALED_PLAINTEXT: usize = 256 * 1024;
/// Longest role / state / message-type label (bytes).
pub const MAX_LABEL: usize = 64;

/// A negotiation as the store keeps it. `role` and `state` are the negotiation layer's labels,
/// stored verbatim; `detail` (terms, contact, state detail) is sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NegotiationRecord {
    /// Negotiation id.
    pub nego: NegoId,
    /// The intent event the negotiation is about.
    pub intent_id: EventId,
    /// Our role (e.g. `owner`, `responder`).
    pub role: String,
    /// Current state label.
    pub state: String,
    /// Last change (unix seconds).
    pub updated_at: u64,
    /// Serialized private detail (sealed in the database).
    pub detail: Vec<u8>,
}

/// A decrypted negotiation message. `envelope` is sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRecord {
    /// Negotiation it belongs to (must exist).
    pub nego: NegoId,
    /// The carrying event (gift wrap or kind 4) id.
    pub event_id: EventId,
    /// Who sent it.
    pub sender: PublicKey,
    /// Envelope `type`.
    pub msg_type: String,
    /// Envelope `ts`.
    pub ts: u64,
    /// Decrypted envelope JSON.
    pub envelope: Vec<u8>,
}

/// Outcome of [`StoreTx::insert_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageInsert {
    /// New message stored.
    Inserted,
    /// Same event id, or same (sender, type, ts) in this negotiation: a replay; nothing changed.
    Replay,
}

fn check_label(field: &'static str, v: &str) -> Result<(), StoreError> {
    if v.is_empty() || v.len() > MAX_LABEL {
        return Err(StoreError::InvalidInput {
            field,
            rule: format!("must be 1..={MAX_LABEL} bytes, found {}", v.len()),
        });
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
    {
        return Err(StoreError::InvalidInput {
            field,
            rule: "has characters outside [A-Za-z0-9_.-]".into(),
        });
    }
    Ok(())
}

fn check_size(field: &'static str, len: usize, max: usize) -> Result<(), StoreError> {
    if len > max {
        return Err(StoreError::InvalidInput {
            field,
            rule: format!("{len} bytes; the limit is {max}"),
        });
    }
    Ok(())
}

fn check_key(field: &'static str, k: &str) -> Result<(), StoreError> {
    if k.is_empty() {
        return Err(StoreError::InvalidInput {
            field,
            rule: "is empty".into(),
        });
    }
    check_size(field, k.len(), MAX_SETTING_KEY)
}

fn parse_nego(s: &str) -> Result<NegoId, StoreError> {
    s.parse().map_err(|e| StoreError::Corrupt {
        what: format!("stored negotiation id: {e}"),
    })
}

fn event_id(field: &'static str, b: &[u8]) -> Result<EventId, StoreError> {
    EventId::from_slice(b).map_err(|_| StoreError::Corrupt {
        what: format!("{field} is not a 32-byte id"),
    })
}

type NegoRow = (String, Vec<u8>, String, String, i64, Vec<u8>);

const NEGO_COLUMNS: &str = "nego, intent_id, role, state, updated_at, detail";

impl StoreTx<'_> {
    /// Consumes a meetup nonce for `nego` at `now`. The UNIQUE constraint makes this atomic: a
    /// second use (even racing, even after a restart) is [`StoreError::NonceUsed`].
    pub fn use_nonce(&self, nonce: &MeetNonce, nego: &NegoId, now: u64) -> Result<(), StoreError> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO used_nonces (nonce, nego, used_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(nonce) DO NOTHING",
            )?
            .execute(params![
                nonce.0.as_slice(),
                nego.to_string(),
                to_i64("now", now)?
            ])?;
        if n == 1 {
            return Ok(());
        }
        let used_at = self
            .nonce_used_at(nonce)?
            .ok_or_else(|| StoreError::Corrupt {
                what: "nonce insert conflicted but no row exists".into(),
            })?;
        Err(StoreError::NonceUsed { used_at })
    }

    /// When `nonce` was consumed, if it was.
    pub fn nonce_used_at(&self, nonce: &MeetNonce) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT used_at FROM used_nonces WHERE nonce = ?1")?
            .query_row([nonce.0.as_slice()], |r| r.get(0))
            .optional()?;
        v.map(|t| to_u64("used_nonces.used_at", t)).transpose()
    }

    /// Inserts or replaces a negotiation; `detail` is sealed with AAD bound to the nego id.
    pub fn upsert_negotiation(&self, rec: &NegotiationRecord) -> Result<(), StoreError> {
        check_label("role", &rec.role)?;
        check_label("state", &rec.state)?;
        check_size("detail", rec.detail.len(), MAX_SEALED_PLAINTEXT)?;
        let nego = rec.nego.to_string();
        let sealed = self
            .key
            .seal("negotiations", "detail", &nego, &rec.detail)?;
        self.conn
            .prepare_cached(
                "INSERT INTO negotiations (nego, intent_id, role, state, updated_at, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(nego) DO UPDATE SET intent_id = excluded.intent_id,
                    role = excluded.role, state = excluded.state,
                    updated_at = excluded.updated_at, detail = excluded.detail",
            )?
            .execute(params![
                nego,
                rec.intent_id.as_bytes().as_slice(),
                rec.role,
                rec.state,
                to_i64("updated_at", rec.updated_at)?,
                sealed
            ])?;
        Ok(())
    }

    fn nego_from_row(
        &self,
        (nego, intent, role, state, updated, sealed): NegoRow,
    ) -> Result<NegotiationRecord, StoreError> {
        let detail = self.key.open("negotiations", "detail", &nego, &sealed)?;
        Ok(NegotiationRecord {
            nego: parse_nego(&nego)?,
            intent_id: event_id("negotiations.intent_id", &intent)?,
            role,
            state,
            updated_at: to_u64("negotiations.updated_at", updated)?,
            detail: detail.to_vec(),
        })
    }

    fn nego_rows(
        &self,
        sql: &str,
        arg: Option<&[u8]>,
    ) -> Result<Vec<NegotiationRecord>, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<NegoRow> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        };
        let rows = match arg {
            Some(a) => st.query_map([a], map)?.collect::<Result<Vec<_>, _>>()?,
            None => st.query_map([], map)?.collect::<Result<Vec<_>, _>>()?,
        };
        rows.into_iter().map(|r| self.nego_from_row(r)).collect()
    }

    /// One negotiation, decrypted.
    pub fn get_negotiation(&self, nego: &NegoId) -> Result<Option<NegotiationRecord>, StoreError> {
        let row: Option<NegoRow> = self
            .conn
            .prepare_cached(&format!(
                "SELECT {NEGO_COLUMNS} FROM negotiations WHERE nego = ?1"
            ))?
            .query_row([nego.to_string()], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .optional()?;
        row.map(|r| self.nego_from_row(r)).transpose()
    }

    /// Negotiations on `intent_id`, most recently updated first.
    pub fn negotiations_for_intent(
        &self,
        intent_id: &EventId,
    ) -> Result<Vec<NegotiationRecord>, StoreError> {
        self.nego_rows(
            &format!(
                "SELECT {NEGO_COLUMNS} FROM negotiations WHERE intent_id = ?1
                 ORDER BY updated_at DESC, nego"
            ),
            Some(intent_id.as_bytes().as_slice()),
        )
    }

    /// All negotiations, most recently updated first.
    pub fn list_negotiations(&self) -> Result<Vec<NegotiationRecord>, StoreError> {
        self.nego_rows(
            &format!("SELECT {NEGO_COLUMNS} FROM negotiations ORDER BY updated_at DESC, nego"),
            None,
        )
    }

    /// Stores a decrypted message (sealed, AAD bound to its event id). A repeated event id or a
    /// repeated (sender, type, ts) in the same negotiation is a [`MessageInsert::Replay`] and
    /// changes nothing. The negotiation must exist.
    pub fn insert_message(&self, msg: &MessageRecord) -> Result<MessageInsert, StoreError> {
        check_label("msg_type", &msg.msg_type)?;
        check_size("envelope", msg.envelope.len(), MAX_SEALED_PLAINTEXT)?;
        let nego = msg.nego.to_string();
        let known: bool = self
            .conn
            .prepare_cached("SELECT 1 FROM negotiations WHERE nego = ?1")?
            .exists([&nego])?;
        if !known {
            return Err(StoreError::NotFound {
                what: "negotiation",
                key: nego,
            });
        }
        let sealed = self.key.seal(
            "messages",
            "envelope",
            &msg.event_id.to_hex(),
            &msg.envelope,
        )?;
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO messages (nego, event_id, sender, msg_type, ts, envelope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
            )?
            .execute(params![
                nego,
                msg.event_id.as_bytes().as_slice(),
                msg.sender.as_bytes().as_slice(),
                msg.msg_type,
                to_i64("ts", msg.ts)?,
                sealed
            ])?;
        Ok(if n == 1 {
            MessageInsert::Inserted
        } else {
            MessageInsert::Replay
        })
    }

    /// Messages of `nego`, oldest first.
    pub fn messages_for(&self, nego: &NegoId) -> Result<Vec<MessageRecord>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT event_id, sender, msg_type, ts, envelope FROM messages
             WHERE nego = ?1 ORDER BY ts, seq",
        )?;
        let rows = st
            .query_map([nego.to_string()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, sender, msg_type, ts, sealed)| {
                let event_id = event_id("messages.event_id", &id)?;
                let envelope =
                    self.key
                        .open("messages", "envelope", &event_id.to_hex(), &sealed)?;
                Ok(MessageRecord {
                    nego: nego.clone(),
                    event_id,
                    sender: PublicKey::from_slice(&sender).map_err(|_| StoreError::Corrupt {
                        what: "messages.sender is not a 32-byte key".into(),
                    })?,
                    msg_type,
                    ts: to_u64("messages.ts", ts)?,
                    envelope: envelope.to_vec(),
                })
            })
            .collect()
    }

    /// A setting's value.
    pub fn setting_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        check_key("setting key", key)?;
        Ok(self
            .conn
            .prepare_cached("SELECT v FROM settings WHERE k = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// Sets a setting (replacing any previous value).
    pub fn setting_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        check_key("setting key", key)?;
        check_size("setting value", value.len(), MAX_SETTING_VALUE)?;
        self.conn
            .prepare_cached(
                "INSERT INTO settings (k, v) VALUES (?1, ?2)
                 ON CONFLICT(k) DO UPDATE SET v = excluded.v",
            )?
            .execute([key, value])?;
        Ok(())
    }

    /// The last `created_at` seen on subscription `sub_key`.
    pub fn sync_cursor_get(&self, sub_key: &str) -> Result<Option<u64>, StoreError> {
        check_key("cursor key", sub_key)?;
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT last_seen FROM sync_cursors WHERE sub_key = ?1")?
            .query_row([sub_key], |r| r.get(0))
            .optional()?;
        v.map(|t| to_u64("sync_cursors.last_seen", t)).transpose()
    }

    /// Moves the cursor to `created_at` if that is later; returns the stored value.
    pub fn sync_cursor_advance(&self, sub_key: &str, created_at: u64) -> Result<u64, StoreError> {
        check_key("cursor key", sub_key)?;
        let v = to_i64("created_at", created_at)?;
        let stored: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO sync_cursors (sub_key, last_seen) VALUES (?1, ?2)
                 ON CONFLICT(sub_key) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)
                 RETURNING last_seen",
            )?
            .query_row(params![sub_key, v], |r| r.get(0))?;
        to_u64("sync_cursors.last_seen", stored)
    }
}
