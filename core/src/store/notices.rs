//! Notices (what the background pass tells the user) and the gift wraps a pass already opened.
//!
//! A notice row is written in the same transaction as the change it reports (a negotiation
//! moved, a meeting recorded), or — for what is derived again from public events, such as a
//! rating — keyed so that deriving it twice inserts it once: `key` is UNIQUE and inserts ignore
//! a conflict. Rows stay *pending* (`delivered_at` NULL) until the caller acknowledges them
//! (it has shown them), so a kill between the pass and the notification costs at most a repeat
//! of the same id, never a loss. `seq` is AUTOINCREMENT: an id is never reused, even after
//! delivered rows are pruned, so platforms can use it as the notification's id.
//!
//! The body (the notice as the app layer serialised it) is sealed like the other private
//! columns; `nego` and `kind` are plain, as `negotiations.nego` and `state` are.

use rusqlite::{OptionalExtension, params};

use super::{StoreError, StoreTx, to_i64, to_u64};

/// Longest notice key (bytes).
pub const MAX_NOTICE_KEY: usize = 256;
/// Largest notice body (bytes).
pub const MAX_NOTICE_BODY: usize = 16 * 1024;
/// Most ids one acknowledgement may name.
pub const MAX_ACK_IDS: usize = 10_000;

/// A notice to insert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeInsert<'a> {
    /// Idempotency key: a second insert with the same key changes nothing.
    pub key: &'a str,
    /// The deal it is about (its grouping key), if any.
    pub nego: Option<&'a str>,
    /// Kind label (`[a-z_]`).
    pub kind: &'a str,
    /// When it happened (unix seconds).
    pub created_at: u64,
    /// The serialised notice (sealed at rest).
    pub body: &'a [u8],
}

/// A stored notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    /// Stable, increasing id (never reused).
    pub seq: u64,
    /// Idempotency key.
    pub key: String,
    /// Grouping key.
    pub nego: Option<String>,
    /// Kind label.
    pub kind: String,
    /// When it happened.
    pub created_at: u64,
    /// When the caller acknowledged it (`None`: pending).
    pub delivered_at: Option<u64>,
    /// The serialised notice.
    pub body: Vec<u8>,
}

type Row = (
    i64,
    String,
    Option<String>,
    String,
    i64,
    Option<i64>,
    Vec<u8>,
);

const COLUMNS: &str = "seq, key, nego, kind, created_at, delivered_at, body";

fn check_kind(kind: &str) -> Result<(), StoreError> {
    if kind.is_empty()
        || kind.len() > 64
        || !kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
    {
        return Err(StoreError::InvalidInput {
            field: "notice kind",
            rule: "must be 1..=64 characters of [a-z_]".into(),
        });
    }
    Ok(())
}

impl StoreTx<'_> {
    /// Inserts a pending notice unless one with the same key exists. Returns its id if it was
    /// inserted, `None` if the key was already there.
    pub fn notice_insert(&self, n: &NoticeInsert<'_>) -> Result<Option<u64>, StoreError> {
        if n.key.is_empty() || n.key.len() > MAX_NOTICE_KEY {
            return Err(StoreError::InvalidInput {
                field: "notice key",
                rule: format!("must be 1..={MAX_NOTICE_KEY} bytes"),
            });
        }
        check_kind(n.kind)?;
        if n.body.len() > MAX_NOTICE_BODY {
            return Err(StoreError::InvalidInput {
                field: "notice body",
                rule: format!("{} bytes; the limit is {MAX_NOTICE_BODY}", n.body.len()),
            });
        }
        let exists = self
            .conn
            .prepare_cached("SELECT 1 FROM notices WHERE key = ?1")?
            .exists([n.key])?;
        if exists {
            return Ok(None);
        }
        let sealed = self.key.seal("notices", "body", n.key, n.body)?;
        let seq: i64 = self
            .conn
            .prepare_cached(
                "INSERT INTO notices (key, nego, kind, created_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING seq",
            )?
            .query_row(
                params![
                    n.key,
                    n.nego,
                    n.kind,
                    to_i64("created_at", n.created_at)?,
                    sealed
                ],
                |r| r.get(0),
            )?;
        Ok(Some(to_u64("notices.seq", seq)?))
    }

    fn notice_rows(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st
            .query_map(args, |r| -> rusqlite::Result<Row> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, key, nego, kind, created, delivered, sealed)| {
                let body = self.key.open("notices", "body", &key, &sealed)?;
                Ok(NoticeRow {
                    seq: to_u64("notices.seq", seq)?,
                    key,
                    nego,
                    kind,
                    created_at: to_u64("notices.created_at", created)?,
                    delivered_at: delivered
                        .map(|d| to_u64("notices.delivered_at", d))
                        .transpose()?,
                    body: body.to_vec(),
                })
            })
            .collect()
    }

    /// Pending notices, oldest first, at most `limit`.
    pub fn notices_pending(&self, limit: usize) -> Result<Vec<NoticeRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.notice_rows(
            &format!(
                "SELECT {COLUMNS} FROM notices WHERE delivered_at IS NULL ORDER BY seq LIMIT ?1"
            ),
            [limit],
        )
    }

    /// How many notices are pending.
    pub fn notices_pending_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM notices WHERE delivered_at IS NULL")?
            .query_row([], |r| r.get(0))?;
        to_u64("count", n)
    }

    /// Every notice, delivered or not, oldest first (tests and diagnostics).
    pub fn notices_all(&self) -> Result<Vec<NoticeRow>, StoreError> {
        self.notice_rows(&format!("SELECT {COLUMNS} FROM notices ORDER BY seq"), [])
    }

    /// One notice by key.
    pub fn notice_by_key(&self, key: &str) -> Result<Option<NoticeRow>, StoreError> {
        Ok(self
            .notice_rows(
                &format!("SELECT {COLUMNS} FROM notices WHERE key = ?1"),
                [key],
            )?
            .into_iter()
            .next())
    }

    /// Marks the named pending notices delivered at `now`; returns how many changed (unknown or
    /// already delivered ids are ignored).
    pub fn notices_ack(&self, ids: &[u64], now: u64) -> Result<usize, StoreError> {
        if ids.len() > MAX_ACK_IDS {
            return Err(StoreError::InvalidInput {
                field: "notice ids",
                rule: format!("{} ids; at most {MAX_ACK_IDS} at once", ids.len()),
            });
        }
        let now = to_i64("now", now)?;
        let mut st = self.conn.prepare_cached(
            "UPDATE notices SET delivered_at = ?2 WHERE seq = ?1 AND delivered_at IS NULL",
        )?;
        let mut n = 0;
        for id in ids {
            let Ok(id) = i64::try_from(*id) else {
                continue;
            };
            n += st.execute(params![id, now])?;
        }
        Ok(n)
    }

    /// Marks every pending notice of `nego` delivered (the user opened that deal).
    pub fn notices_ack_nego(&self, nego: &str, now: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "UPDATE notices SET delivered_at = ?2 WHERE nego = ?1 AND delivered_at IS NULL",
            )?
            .execute(params![nego, to_i64("now", now)?])?)
    }

    /// Deletes delivered notices created before `before`; returns how many.
    pub fn notices_prune(&self, before: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "DELETE FROM notices WHERE delivered_at IS NOT NULL AND created_at < ?1",
            )?
            .execute([to_i64("before", before)?])?)
    }

    /// `true` if this gift wrap was opened and applied (or refused for good) by an earlier pass.
    pub fn wrap_processed(&self, id: &nostr::EventId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM processed_wraps WHERE id = ?1")?
            .exists([id.as_bytes().as_slice()])?)
    }

    /// Records a gift wrap as processed (idempotent). `created_at` is the wrap's own (randomised)
    /// time, by which old rows are pruned.
    pub fn wrap_mark_processed(
        &self,
        id: &nostr::EventId,
        created_at: u64,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO processed_wraps (id, created_at) VALUES (?1, ?2)
                 ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![
                id.as_bytes().as_slice(),
                to_i64("created_at", created_at)?
            ])?;
        Ok(())
    }

    /// Forgets processed wraps created before `before` (no query reaches back that far).
    pub fn wraps_prune(&self, before: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM processed_wraps WHERE created_at < ?1")?
            .execute([to_i64("before", before)?])?)
    }

    /// The delivery time of notice `seq`, if it exists (tests).
    pub fn notice_delivered_at(&self, seq: u64) -> Result<Option<Option<u64>>, StoreError> {
        let v: Option<Option<i64>> = self
            .conn
            .prepare_cached("SELECT delivered_at FROM notices WHERE seq = ?1")?
            .query_row([to_i64("seq", seq)?], |r| r.get(0))
            .optional()?;
        v.map(|d| d.map(|t| to_u64("notices.delivered_at", t)).transpose())
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DataKey, Store};

    fn store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Store::open_with_key(dir.path().join("n.db"), DataKey::generate()).expect("open");
        (dir, s)
    }

    fn ins<'a>(key: &'a str, nego: Option<&'a str>, body: &'a [u8]) -> NoticeInsert<'a> {
        NoticeInsert {
            key,
            nego,
            kind: "new_quote",
            created_at: 100,
            body,
        }
    }

    #[test]
    fn a_key_is_inserted_once_and_ids_grow_and_are_never_reused() {
        let (_d, s) = store();
        let a = s
            .transaction(|tx| tx.notice_insert(&ins("a", Some("n1"), b"{}")))
            .unwrap();
        let again = s
            .transaction(|tx| tx.notice_insert(&ins("a", Some("n1"), b"{\"x\":1}")))
            .unwrap();
        assert!(a.is_some());
        assert_eq!(again, None, "same key: nothing inserted");
        let b = s
            .transaction(|tx| tx.notice_insert(&ins("b", None, b"{}")))
            .unwrap()
            .unwrap();
        assert!(b > a.unwrap());
        // Deliver and prune everything; the next id is still larger.
        s.transaction(|tx| tx.notices_ack(&[a.unwrap(), b], 200))
            .unwrap();
        assert_eq!(s.transaction(|tx| tx.notices_prune(1_000)).unwrap(), 2);
        let c = s
            .transaction(|tx| tx.notice_insert(&ins("c", None, b"{}")))
            .unwrap()
            .unwrap();
        assert!(c > b, "{c} reuses an id ≤ {b}");
    }

    #[test]
    fn pending_until_acknowledged_and_acks_are_idempotent() {
        let (_d, s) = store();
        let ids: Vec<u64> = ["a", "b", "c"]
            .iter()
            .map(|k| {
                s.transaction(|tx| tx.notice_insert(&ins(k, Some("n"), k.as_bytes())))
                    .unwrap()
                    .unwrap()
            })
            .collect();
        let pending = s.transaction(|tx| tx.notices_pending(10)).unwrap();
        assert_eq!(pending.iter().map(|r| r.seq).collect::<Vec<_>>(), ids);
        assert_eq!(pending[1].body, b"b");
        assert_eq!(s.transaction(|tx| tx.notices_pending(2)).unwrap().len(), 2);
        assert_eq!(
            s.transaction(|tx| tx.notices_ack(&[ids[0], 999], 5))
                .unwrap(),
            1
        );
        assert_eq!(s.transaction(|tx| tx.notices_ack(&[ids[0]], 6)).unwrap(), 0);
        assert_eq!(
            s.transaction(|tx| tx.notice_delivered_at(ids[0])).unwrap(),
            Some(Some(5))
        );
        assert_eq!(s.transaction(|tx| tx.notices_pending_count()).unwrap(), 2);
        assert_eq!(s.transaction(|tx| tx.notices_ack_nego("n", 7)).unwrap(), 2);
        assert!(
            s.transaction(|tx| tx.notices_pending(10))
                .unwrap()
                .is_empty()
        );
        // Pruning keeps pending rows and recent delivered ones.
        s.transaction(|tx| tx.notice_insert(&ins("d", None, b"d")))
            .unwrap();
        assert_eq!(s.transaction(|tx| tx.notices_prune(100)).unwrap(), 0);
        assert_eq!(s.transaction(|tx| tx.notices_prune(101)).unwrap(), 3);
        assert_eq!(s.transaction(|tx| tx.notices_pending_count()).unwrap(), 1);
    }

    #[test]
    fn bodies_are_sealed_and_bound_to_their_key() {
        let (_d, s) = store();
        s.transaction(|tx| tx.notice_insert(&ins("k1", None, b"secret-ish body")))
            .unwrap();
        s.transaction(|tx| tx.notice_insert(&ins("k2", None, b"other")))
            .unwrap();
        let raw = std::fs::read(s.path()).unwrap_or_default();
        let wal = std::fs::read(s.path().with_extension("db-wal")).unwrap_or_default();
        for bytes in [&raw, &wal] {
            assert!(
                !bytes.windows(15).any(|w| w == b"secret-ish body"),
                "plain body on disk"
            );
        }
        // A body moved to another row does not open.
        s.transaction(|tx| {
            tx.conn
                .execute(
                    "UPDATE notices SET body = (SELECT body FROM notices WHERE key = 'k1')
                     WHERE key = 'k2'",
                    [],
                )
                .map(|_| ())
                .map_err(StoreError::from)
        })
        .unwrap();
        assert!(matches!(
            s.transaction(|tx| tx.notices_pending(10)),
            Err(StoreError::Crypto {
                table: "notices",
                ..
            })
        ));
    }

    #[test]
    fn bad_input_is_refused_and_changes_nothing() {
        let (_d, s) = store();
        let long = "k".repeat(MAX_NOTICE_KEY + 1);
        let big = vec![b'x'; MAX_NOTICE_BODY + 1];
        for bad in [
            ins("", None, b"{}"),
            ins(&long, None, b"{}"),
            ins("ok", None, &big),
            NoticeInsert {
                kind: "New Quote",
                ..ins("ok2", None, b"{}")
            },
        ] {
            assert!(matches!(
                s.transaction(|tx| tx.notice_insert(&bad)),
                Err(StoreError::InvalidInput { .. })
            ));
        }
        assert!(s.transaction(|tx| tx.notices_all()).unwrap().is_empty());
        let many = vec![1u64; MAX_ACK_IDS + 1];
        assert!(s.transaction(|tx| tx.notices_ack(&many, 1)).is_err());
    }

    #[test]
    fn processed_wraps_are_remembered_and_pruned_by_their_time() {
        let (_d, s) = store();
        let a = nostr::EventId::all_zeros();
        let b = nostr::EventId::from_byte_array([1; 32]);
        s.transaction(|tx| {
            tx.wrap_mark_processed(&a, 10)?;
            tx.wrap_mark_processed(&a, 10)?;
            tx.wrap_mark_processed(&b, 20)
        })
        .unwrap();
        assert!(s.transaction(|tx| tx.wrap_processed(&a)).unwrap());
        assert_eq!(s.transaction(|tx| tx.wraps_prune(15)).unwrap(), 1);
        assert!(!s.transaction(|tx| tx.wrap_processed(&a)).unwrap());
        assert!(s.transaction(|tx| tx.wrap_processed(&b)).unwrap());
    }
}
