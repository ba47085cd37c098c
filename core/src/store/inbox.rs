//! What arrives from peers besides negotiation state: chat inside a deal (sealed text, unread
//! marks), the keys the user blocked, and incoming messages we refused (each recorded once with
//! its reason, so a catch-up that fetches them again neither re-checks nor re-logs them).

use nostr::{EventId, PublicKey};
use rusqlite::{OptionalExtension, params};

use super::{StoreError, StoreTx, to_i64, to_u64};
use crate::protocol::NegoId;

/// Most chat messages kept per deal (a flood from one counterparty is refused beyond this).
pub const MAX_CHAT_PER_DEAL: u32 = 5_000;
/// Most refusals kept (the oldest are dropped).
pub const MAX_REFUSALS: i64 = 1_000;
/// Longest refusal code label (bytes).
const MAX_CODE: usize = 64;
/// Largest chat text or refusal detail stored (bytes).
const MAX_BODY: usize = 64 * 1024;

/// One chat message of a deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRecord {
    /// The deal (must exist).
    pub nego: NegoId,
    /// The message id: the NIP-17 rumor id, or the kind 4 event id.
    pub event_id: EventId,
    /// `true` for what we sent.
    pub from_me: bool,
    /// The envelope's `ts` (the sender's clock).
    pub ts: u64,
    /// When we stored it (our clock).
    pub received_at: u64,
    /// The text.
    pub text: String,
    /// Not read yet (read back from the store; on insert, ours are stored read and theirs
    /// unread whatever this says).
    pub unread: bool,
}

/// Outcome of [`StoreTx::insert_chat`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatInsert {
    /// Stored.
    Inserted,
    /// Already stored (a relay delivered it again): nothing changed.
    Replay,
    /// The deal already holds [`MAX_CHAT_PER_DEAL`] messages: not stored.
    Full,
}

/// One refused incoming message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalRecord {
    /// The message id (rumor id, or the carrying event id).
    pub msg_id: EventId,
    /// Who sent it.
    pub sender: PublicKey,
    /// The deal it named, if it named one of ours.
    pub nego: Option<NegoId>,
    /// The typed reason's label (`app::RefusalCode`).
    pub code: String,
    /// The reason in words (sealed at rest).
    pub detail: String,
    /// When we refused it.
    pub at: u64,
}

fn check_body(field: &'static str, len: usize) -> Result<(), StoreError> {
    if len > MAX_BODY {
        return Err(StoreError::InvalidInput {
            field,
            rule: format!("{len} bytes; the limit is {MAX_BODY}"),
        });
    }
    Ok(())
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt {
        what: what.to_string(),
    }
}

impl StoreTx<'_> {
    // ---- chat --------------------------------------------------------------------------------

    /// Stores a chat message (text sealed, AAD bound to its id). Ours are stored read; theirs
    /// unread. A repeated id is a [`ChatInsert::Replay`].
    pub fn insert_chat(&self, c: &ChatRecord) -> Result<ChatInsert, StoreError> {
        check_body("chat text", c.text.len())?;
        let nego = c.nego.to_string();
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
        let id = c.event_id.as_bytes().as_slice();
        let dup: bool = self
            .conn
            .prepare_cached("SELECT 1 FROM chat_messages WHERE event_id = ?1")?
            .exists([id])?;
        if dup {
            return Ok(ChatInsert::Replay);
        }
        let held: u32 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM chat_messages WHERE nego = ?1")?
            .query_row([&nego], |r| r.get(0))?;
        if held >= MAX_CHAT_PER_DEAL {
            return Ok(ChatInsert::Full);
        }
        let sealed = self.key.seal(
            "chat_messages",
            "body",
            &c.event_id.to_hex(),
            c.text.as_bytes(),
        )?;
        self.conn
            .prepare_cached(
                "INSERT INTO chat_messages (nego, event_id, from_me, ts, received_at, unread, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute(params![
                nego,
                id,
                c.from_me,
                to_i64("ts", c.ts)?,
                to_i64("received_at", c.received_at)?,
                !c.from_me,
                sealed
            ])?;
        Ok(ChatInsert::Inserted)
    }

    /// The chat of `nego` in the order it was written (the sender's `ts`, then arrival),
    /// decrypted.
    pub fn chat_for(&self, nego: &NegoId) -> Result<Vec<ChatRecord>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT event_id, from_me, ts, received_at, body, unread FROM chat_messages
             WHERE nego = ?1 ORDER BY ts, seq",
        )?;
        let rows = st
            .query_map([nego.to_string()], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, from_me, ts, received, sealed, unread)| {
                let event_id = EventId::from_slice(&id)
                    .map_err(|_| corrupt("chat_messages.event_id is not a 32-byte id"))?;
                let plain = self
                    .key
                    .open("chat_messages", "body", &event_id.to_hex(), &sealed)?;
                let text = String::from_utf8(plain.to_vec())
                    .map_err(|_| corrupt("chat_messages.body is not UTF-8"))?;
                Ok(ChatRecord {
                    nego: nego.clone(),
                    event_id,
                    from_me,
                    ts: to_u64("chat_messages.ts", ts)?,
                    received_at: to_u64("chat_messages.received_at", received)?,
                    text,
                    unread,
                })
            })
            .collect()
    }

    /// How many of their messages in `nego` are unread.
    pub fn chat_unread(&self, nego: &NegoId) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM chat_messages WHERE nego = ?1 AND unread = 1")?
            .query_row([nego.to_string()], |r| r.get(0))?)
    }

    /// Marks every message of `nego` read; returns how many were unread.
    pub fn chat_mark_read(&self, nego: &NegoId) -> Result<u32, StoreError> {
        let n = self
            .conn
            .prepare_cached("UPDATE chat_messages SET unread = 0 WHERE nego = ?1 AND unread = 1")?
            .execute([nego.to_string()])?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    // ---- blocked keys ------------------------------------------------------------------------

    /// Blocks `key` (idempotent; the first time is kept).
    pub fn block_key(&self, key: &PublicKey, at: u64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO blocked_keys (pubkey, blocked_at) VALUES (?1, ?2)
                 ON CONFLICT(pubkey) DO NOTHING",
            )?
            .execute(params![key.as_bytes().as_slice(), to_i64("at", at)?])?;
        Ok(())
    }

    /// Unblocks `key`; `true` if it was blocked.
    pub fn unblock_key(&self, key: &PublicKey) -> Result<bool, StoreError> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM blocked_keys WHERE pubkey = ?1")?
            .execute([key.as_bytes().as_slice()])?;
        Ok(n > 0)
    }

    /// Every blocked key with when it was blocked, oldest first.
    pub fn blocked_keys(&self) -> Result<Vec<(PublicKey, u64)>, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT pubkey, blocked_at FROM blocked_keys ORDER BY blocked_at")?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(k, at)| {
                let pk = PublicKey::from_slice(&k)
                    .map_err(|_| corrupt("blocked_keys.pubkey is not a 32-byte key"))?;
                Ok((pk, to_u64("blocked_keys.blocked_at", at)?))
            })
            .collect()
    }

    // ---- refusals ----------------------------------------------------------------------------

    /// Records a refused message once; `false` if it was already recorded. Keeps the newest
    /// [`MAX_REFUSALS`].
    pub fn record_refusal(&self, r: &RefusalRecord) -> Result<bool, StoreError> {
        if r.code.is_empty() || r.code.len() > MAX_CODE {
            return Err(StoreError::InvalidInput {
                field: "code",
                rule: format!("must be 1..={MAX_CODE} bytes"),
            });
        }
        check_body("refusal detail", r.detail.len())?;
        let sealed = self.key.seal(
            "refusals",
            "detail",
            &r.msg_id.to_hex(),
            r.detail.as_bytes(),
        )?;
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO refusals (msg_id, sender, nego, code, detail, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(msg_id) DO NOTHING",
            )?
            .execute(params![
                r.msg_id.as_bytes().as_slice(),
                r.sender.as_bytes().as_slice(),
                r.nego.as_ref().map(ToString::to_string),
                r.code,
                sealed,
                to_i64("at", r.at)?
            ])?;
        if n == 1 {
            self.conn
                .prepare_cached(
                    "DELETE FROM refusals WHERE seq <= (SELECT MAX(seq) FROM refusals) - ?1",
                )?
                .execute([MAX_REFUSALS])?;
        }
        Ok(n == 1)
    }

    /// `true` if message `msg_id` was refused before.
    pub fn is_refused(&self, msg_id: &EventId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM refusals WHERE msg_id = ?1")?
            .exists([msg_id.as_bytes().as_slice()])?)
    }

    /// Refusals, newest first: all of them, or those about `nego`.
    pub fn refusals(&self, nego: Option<&NegoId>) -> Result<Vec<RefusalRecord>, StoreError> {
        let sql_all = "SELECT msg_id, sender, nego, code, detail, at FROM refusals
                       ORDER BY seq DESC";
        let sql_one = "SELECT msg_id, sender, nego, code, detail, at FROM refusals
                       WHERE nego = ?1 ORDER BY seq DESC";
        type Row = (Vec<u8>, Vec<u8>, Option<String>, String, Vec<u8>, i64);
        let map = |r: &rusqlite::Row<'_>| -> rusqlite::Result<Row> {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        };
        let rows: Vec<Row> = match nego {
            Some(n) => self
                .conn
                .prepare_cached(sql_one)?
                .query_map([n.to_string()], map)?
                .collect::<Result<_, _>>()?,
            None => self
                .conn
                .prepare_cached(sql_all)?
                .query_map([], map)?
                .collect::<Result<_, _>>()?,
        };
        rows.into_iter()
            .map(|(id, sender, nego, code, sealed, at)| {
                let msg_id = EventId::from_slice(&id)
                    .map_err(|_| corrupt("refusals.msg_id is not a 32-byte id"))?;
                let detail = self
                    .key
                    .open("refusals", "detail", &msg_id.to_hex(), &sealed)?;
                Ok(RefusalRecord {
                    msg_id,
                    sender: PublicKey::from_slice(&sender)
                        .map_err(|_| corrupt("refusals.sender is not a 32-byte key"))?,
                    nego: nego
                        .map(|n| n.parse::<NegoId>())
                        .transpose()
                        .map_err(|_| corrupt("refusals.nego is not a negotiation id"))?,
                    code,
                    detail: String::from_utf8(detail.to_vec())
                        .map_err(|_| corrupt("refusals.detail is not UTF-8"))?,
                    at: to_u64("refusals.at", at)?,
                })
            })
            .collect()
    }

    /// How many refusals concern `nego`.
    pub fn refusal_count(&self, nego: &NegoId) -> Result<u32, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM refusals WHERE nego = ?1")?
            .query_row([nego.to_string()], |r| r.get(0))?)
    }

    /// When `key` was blocked, if it is.
    pub fn blocked_at(&self, key: &PublicKey) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT blocked_at FROM blocked_keys WHERE pubkey = ?1")?
            .query_row([key.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        v.map(|t| to_u64("blocked_keys.blocked_at", t)).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DataKey, NegotiationRecord, Store};
    use nostr::Keys;

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open_with_key(dir.path().join("t.db"), DataKey::generate()).expect("open");
        (dir, s)
    }

    fn nego() -> NegoId {
        NegoId::new(
            "0123456789abcdef",
            Keys::generate().public_key(),
            Keys::generate().public_key(),
        )
        .expect("nego")
    }

    fn with_deal(s: &Store, n: &NegoId) {
        s.upsert_negotiation(&NegotiationRecord {
            nego: n.clone(),
            intent_id: EventId::from_byte_array([1; 32]),
            role: "owner".into(),
            state: "open".into(),
            updated_at: 1,
            detail: b"{}".to_vec(),
        })
        .expect("deal");
    }

    fn chat(n: &NegoId, id: u8, from_me: bool, text: &str) -> ChatRecord {
        ChatRecord {
            nego: n.clone(),
            event_id: EventId::from_byte_array([id; 32]),
            from_me,
            ts: 100 + u64::from(id),
            received_at: 200,
            text: text.into(),
            unread: false,
        }
    }

    #[test]
    fn chat_is_sealed_ordered_deduplicated_and_counts_unread() {
        let (_d, s) = store();
        let n = nego();
        assert!(matches!(
            s.insert_chat(&chat(&n, 1, false, "hi")),
            Err(StoreError::NotFound { .. })
        ));
        with_deal(&s, &n);
        assert_eq!(
            s.insert_chat(&chat(&n, 1, false, "hi")).unwrap(),
            ChatInsert::Inserted
        );
        assert_eq!(
            s.insert_chat(&chat(&n, 2, true, "hello")).unwrap(),
            ChatInsert::Inserted
        );
        // Same ts, another id: another message.
        let mut same_second = chat(&n, 3, false, "blue car");
        same_second.ts = 101;
        assert_eq!(s.insert_chat(&same_second).unwrap(), ChatInsert::Inserted);
        assert_eq!(
            s.insert_chat(&chat(&n, 1, false, "hi")).unwrap(),
            ChatInsert::Replay
        );
        let all = s.chat_for(&n).unwrap();
        let texts: Vec<&str> = all.iter().map(|c| c.text.as_str()).collect();
        // By the sender's time, then arrival: "blue car" was written in the second of "hi".
        assert_eq!(texts, ["hi", "blue car", "hello"]);
        let unread: Vec<bool> = all.iter().map(|c| c.unread).collect();
        assert_eq!(unread, [true, true, false]);
        assert_eq!(s.chat_unread(&n).unwrap(), 2, "ours are never unread");
        assert_eq!(s.chat_mark_read(&n).unwrap(), 2);
        assert_eq!(s.chat_unread(&n).unwrap(), 0);
        // The text is not in the database file in plain.
        let raw = std::fs::read(s.path()).unwrap_or_default();
        assert!(!raw.windows(8).any(|w| w == b"blue car"));
    }

    #[test]
    fn blocks_and_refusals_are_recorded_once() {
        let (_d, s) = store();
        let k = Keys::generate().public_key();
        s.block_key(&k, 5).unwrap();
        s.block_key(&k, 9).unwrap();
        assert_eq!(s.blocked_keys().unwrap(), vec![(k, 5)]);
        assert!(s.unblock_key(&k).unwrap());
        assert!(!s.unblock_key(&k).unwrap());
        assert!(s.blocked_keys().unwrap().is_empty());

        let n = nego();
        let r = RefusalRecord {
            msg_id: EventId::from_byte_array([7; 32]),
            sender: k,
            nego: Some(n.clone()),
            code: "stale_accept".into(),
            detail: "they accepted terms that are not on the table".into(),
            at: 10,
        };
        assert!(s.record_refusal(&r).unwrap());
        assert!(!s.record_refusal(&r).unwrap(), "once");
        assert!(s.is_refused(&r.msg_id).unwrap());
        assert_eq!(s.refusals(Some(&n)).unwrap(), vec![r.clone()]);
        assert_eq!(s.refusals(Some(&nego())).unwrap(), vec![]);
        // Bounded: the oldest go.
        for i in 0..(MAX_REFUSALS + 5) {
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&i.to_be_bytes());
            b[31] = 1;
            s.record_refusal(&RefusalRecord {
                msg_id: EventId::from_byte_array(b),
                nego: None,
                ..r.clone()
            })
            .unwrap();
        }
        let all = s.refusals(None).unwrap();
        assert_eq!(all.len() as i64, MAX_REFUSALS);
        assert!(!s.is_refused(&r.msg_id).unwrap());
    }
}
