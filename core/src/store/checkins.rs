//! Check-ins (issue #21): the user's trusted contacts, the user's own check-ins, and the
//! check-ins contacts share with the user ("watches").
//!
//! Bodies (the app layer's serialised check-in, the contact's label) are sealed like the other
//! private columns; what stays plain is what the queries need: keys, ids, the deal id, whether a
//! check-in is open, and the next time this phone must act (`remind_at`, `alarm_at`), which the
//! platforms' alarms are scheduled from.

use nostr::{EventId, PublicKey};
use rusqlite::{OptionalExtension, params};

use super::{StoreError, StoreTx, to_i64, to_u64};

/// One trusted contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRow {
    pub pubkey: PublicKey,
    pub added_at: u64,
    /// Sealed at rest (the label, where they were added from).
    pub body: Vec<u8>,
}

/// One of the user's own check-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinRow {
    /// The check-in id (32 hex).
    pub id: String,
    /// The deal it is about.
    pub nego: String,
    /// Not closed or cancelled yet.
    pub open: bool,
    /// When the user is to be reminded (`None`: done, or closed).
    pub remind_at: Option<u64>,
    pub updated_at: u64,
    /// Sealed at rest.
    pub body: Vec<u8>,
}

/// A check-in someone shares with the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRow {
    pub sender: PublicKey,
    pub id: String,
    /// Waiting for its check-in, or open.
    pub live: bool,
    /// When this phone alerts unless it is closed first (`None`: alerted, closed, or waiting).
    pub alarm_at: Option<u64>,
    pub updated_at: u64,
    /// Sealed at rest.
    pub body: Vec<u8>,
}

fn pk_from(bytes: &[u8], what: &str) -> Result<PublicKey, StoreError> {
    PublicKey::from_slice(bytes).map_err(|_| StoreError::Corrupt {
        what: format!("{what} is not a 32-byte key"),
    })
}

fn opt_u64(field: &'static str, v: Option<i64>) -> Result<Option<u64>, StoreError> {
    v.map(|x| to_u64(field, x)).transpose()
}

fn opt_i64(field: &'static str, v: Option<u64>) -> Result<Option<i64>, StoreError> {
    v.map(|x| to_i64(field, x)).transpose()
}

fn watch_row_key(sender: &PublicKey, id: &str) -> String {
    format!("{}:{id}", sender.to_hex())
}

type RawCheckin = (String, String, bool, Option<i64>, i64, Vec<u8>);
type RawWatch = (Vec<u8>, String, bool, Option<i64>, i64, Vec<u8>);

const CHECKIN_COLUMNS: &str = "id, nego, open, remind_at, updated_at, body";
const WATCH_COLUMNS: &str = "sender, id, live, alarm_at, updated_at, body";

impl StoreTx<'_> {
    // ---- trusted contacts --------------------------------------------------------------------

    /// Adds or updates a trusted contact; `true` if it was new.
    pub fn trusted_put(&self, r: &TrustedRow) -> Result<bool, StoreError> {
        let pk = r.pubkey;
        let existed = self.trusted_get(&pk)?.is_some();
        let sealed = self
            .key
            .seal("trusted_contacts", "body", &pk.to_hex(), &r.body)?;
        self.conn
            .prepare_cached(
                "INSERT INTO trusted_contacts (pubkey, added_at, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(pubkey) DO UPDATE SET body = excluded.body",
            )?
            .execute(params![
                pk.as_bytes().as_slice(),
                to_i64("added_at", r.added_at)?,
                sealed
            ])?;
        Ok(!existed)
    }

    /// Removes a trusted contact; `true` if it was one.
    pub fn trusted_remove(&self, pk: &PublicKey) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("DELETE FROM trusted_contacts WHERE pubkey = ?1")?
            .execute([pk.as_bytes().as_slice()])?
            > 0)
    }

    /// One trusted contact.
    pub fn trusted_get(&self, pk: &PublicKey) -> Result<Option<TrustedRow>, StoreError> {
        let row: Option<(i64, Vec<u8>)> = self
            .conn
            .prepare_cached("SELECT added_at, body FROM trusted_contacts WHERE pubkey = ?1")?
            .query_row([pk.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        row.map(|(at, sealed)| {
            Ok(TrustedRow {
                pubkey: *pk,
                added_at: to_u64("trusted_contacts.added_at", at)?,
                body: self
                    .key
                    .open("trusted_contacts", "body", &pk.to_hex(), &sealed)?
                    .to_vec(),
            })
        })
        .transpose()
    }

    /// Every trusted contact, oldest first.
    pub fn trusted_all(&self) -> Result<Vec<TrustedRow>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT pubkey, added_at, body FROM trusted_contacts ORDER BY added_at, pubkey",
        )?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(k, at, sealed)| {
                let pk = pk_from(&k, "trusted_contacts.pubkey")?;
                Ok(TrustedRow {
                    pubkey: pk,
                    added_at: to_u64("trusted_contacts.added_at", at)?,
                    body: self
                        .key
                        .open("trusted_contacts", "body", &pk.to_hex(), &sealed)?
                        .to_vec(),
                })
            })
            .collect()
    }

    /// `true` when `pk` is a trusted contact.
    pub fn is_trusted(&self, pk: &PublicKey) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM trusted_contacts WHERE pubkey = ?1")?
            .exists([pk.as_bytes().as_slice()])?)
    }

    /// How many trusted contacts there are.
    pub fn trusted_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM trusted_contacts")?
            .query_row([], |r| r.get(0))?;
        to_u64("count", n)
    }

    // ---- the user's own check-ins ------------------------------------------------------------

    /// Inserts or replaces one of the user's check-ins.
    pub fn checkin_put(&self, r: &CheckinRow) -> Result<(), StoreError> {
        let sealed = self.key.seal("checkins", "body", &r.id, &r.body)?;
        self.conn
            .prepare_cached(
                "INSERT INTO checkins (id, nego, open, remind_at, updated_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET open = excluded.open,
                    remind_at = excluded.remind_at, updated_at = excluded.updated_at,
                    body = excluded.body",
            )?
            .execute(params![
                r.id,
                r.nego,
                r.open,
                opt_i64("remind_at", r.remind_at)?,
                to_i64("updated_at", r.updated_at)?,
                sealed
            ])?;
        Ok(())
    }

    fn checkin_rows(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<CheckinRow>, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st
            .query_map(args, |r| -> rusqlite::Result<RawCheckin> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(id, nego, open, remind, updated, sealed)| {
                let body = self.key.open("checkins", "body", &id, &sealed)?.to_vec();
                Ok(CheckinRow {
                    id,
                    nego,
                    open,
                    remind_at: opt_u64("checkins.remind_at", remind)?,
                    updated_at: to_u64("checkins.updated_at", updated)?,
                    body,
                })
            })
            .collect()
    }

    /// One of the user's check-ins by id.
    pub fn checkin_get(&self, id: &str) -> Result<Option<CheckinRow>, StoreError> {
        Ok(self
            .checkin_rows(
                &format!("SELECT {CHECKIN_COLUMNS} FROM checkins WHERE id = ?1"),
                [id],
            )?
            .into_iter()
            .next())
    }

    /// The user's check-ins for one deal, newest first.
    pub fn checkins_of_nego(&self, nego: &str) -> Result<Vec<CheckinRow>, StoreError> {
        self.checkin_rows(
            &format!(
                "SELECT {CHECKIN_COLUMNS} FROM checkins WHERE nego = ?1
                 ORDER BY updated_at DESC, id"
            ),
            [nego],
        )
    }

    /// The user's check-ins: open ones first, then the newest, at most `limit`.
    pub fn checkins_recent(&self, limit: usize) -> Result<Vec<CheckinRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.checkin_rows(
            &format!(
                "SELECT {CHECKIN_COLUMNS} FROM checkins
                 ORDER BY open DESC, updated_at DESC, id LIMIT ?1"
            ),
            [limit],
        )
    }

    /// Check-ins whose reminder is due at `now`.
    pub fn checkins_remind_due(&self, now: u64) -> Result<Vec<CheckinRow>, StoreError> {
        self.checkin_rows(
            &format!(
                "SELECT {CHECKIN_COLUMNS} FROM checkins
                 WHERE remind_at IS NOT NULL AND remind_at <= ?1 ORDER BY remind_at"
            ),
            [to_i64("now", now)?],
        )
    }

    /// The earliest pending reminder.
    pub fn checkin_next_remind(&self) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT MIN(remind_at) FROM checkins WHERE remind_at IS NOT NULL")?
            .query_row([], |r| r.get(0))?;
        opt_u64("checkins.remind_at", v)
    }

    // ---- check-ins shared with the user ----------------------------------------------------

    /// Inserts or replaces a watch.
    pub fn watch_put(&self, r: &WatchRow) -> Result<(), StoreError> {
        let sealed = self.key.seal(
            "checkin_watches",
            "body",
            &watch_row_key(&r.sender, &r.id),
            &r.body,
        )?;
        self.conn
            .prepare_cached(
                "INSERT INTO checkin_watches (sender, id, live, alarm_at, updated_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(sender, id) DO UPDATE SET live = excluded.live,
                    alarm_at = excluded.alarm_at, updated_at = excluded.updated_at,
                    body = excluded.body",
            )?
            .execute(params![
                r.sender.as_bytes().as_slice(),
                r.id,
                r.live,
                opt_i64("alarm_at", r.alarm_at)?,
                to_i64("updated_at", r.updated_at)?,
                sealed
            ])?;
        Ok(())
    }

    fn watch_rows(
        &self,
        sql: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<WatchRow>, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let rows = st
            .query_map(args, |r| -> rusqlite::Result<RawWatch> {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(k, id, live, alarm, updated, sealed)| {
                let sender = pk_from(&k, "checkin_watches.sender")?;
                let body = self
                    .key
                    .open(
                        "checkin_watches",
                        "body",
                        &watch_row_key(&sender, &id),
                        &sealed,
                    )?
                    .to_vec();
                Ok(WatchRow {
                    sender,
                    id,
                    live,
                    alarm_at: opt_u64("checkin_watches.alarm_at", alarm)?,
                    updated_at: to_u64("checkin_watches.updated_at", updated)?,
                    body,
                })
            })
            .collect()
    }

    /// One watch.
    pub fn watch_get(&self, sender: &PublicKey, id: &str) -> Result<Option<WatchRow>, StoreError> {
        Ok(self
            .watch_rows(
                &format!(
                    "SELECT {WATCH_COLUMNS} FROM checkin_watches WHERE sender = ?1 AND id = ?2"
                ),
                params![sender.as_bytes().as_slice(), id],
            )?
            .into_iter()
            .next())
    }

    /// Watches, live ones first, then the most recently changed, at most `limit`.
    pub fn watches_recent(&self, limit: usize) -> Result<Vec<WatchRow>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.watch_rows(
            &format!(
                "SELECT {WATCH_COLUMNS} FROM checkin_watches
                 ORDER BY live DESC, updated_at DESC LIMIT ?1"
            ),
            [limit],
        )
    }

    /// Watches whose alarm is due at `now`.
    pub fn watches_due(&self, now: u64) -> Result<Vec<WatchRow>, StoreError> {
        self.watch_rows(
            &format!(
                "SELECT {WATCH_COLUMNS} FROM checkin_watches
                 WHERE alarm_at IS NOT NULL AND alarm_at <= ?1 ORDER BY alarm_at"
            ),
            [to_i64("now", now)?],
        )
    }

    /// The earliest pending alarm.
    pub fn watch_next_alarm(&self) -> Result<Option<u64>, StoreError> {
        let v: Option<i64> = self
            .conn
            .prepare_cached("SELECT MIN(alarm_at) FROM checkin_watches WHERE alarm_at IS NOT NULL")?
            .query_row([], |r| r.get(0))?;
        opt_u64("checkin_watches.alarm_at", v)
    }

    /// How many of `sender`'s check-ins are live (waiting or open).
    pub fn watch_live_count(&self, sender: &PublicKey) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM checkin_watches WHERE sender = ?1 AND live = 1")?
            .query_row([sender.as_bytes().as_slice()], |r| r.get(0))?;
        to_u64("count", n)
    }

    /// Deletes watches with no pending alarm (closed, cancelled, alerted long ago, or never
    /// completed) that did not change since `before`.
    pub fn watches_prune(&self, before: u64) -> Result<usize, StoreError> {
        Ok(self
            .conn
            .prepare_cached(
                "DELETE FROM checkin_watches WHERE alarm_at IS NULL AND updated_at < ?1",
            )?
            .execute([to_i64("before", before)?])?)
    }

    /// How many of `ids` are still waiting in the outbox.
    pub fn outbox_holding(&self, ids: &[EventId]) -> Result<u32, StoreError> {
        let mut st = self
            .conn
            .prepare_cached("SELECT 1 FROM outbox WHERE id = ?1")?;
        let mut n = 0u32;
        for id in ids {
            if st.exists([id.as_bytes().as_slice()])? {
                n = n.saturating_add(1);
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{DataKey, Store};
    use super::*;
    use nostr::Keys;

    fn store() -> Store {
        Store::open_with_key(":memory:", DataKey::generate()).expect("store")
    }

    #[test]
    fn trusted_contacts_are_added_once_listed_and_removed() {
        let s = store();
        let pk = Keys::generate().public_key();
        let row = TrustedRow {
            pubkey: pk,
            added_at: 5,
            body: b"{\"label\":\"Mum\"}".to_vec(),
        };
        assert!(s.transaction(|tx| tx.trusted_put(&row)).unwrap());
        assert!(!s.transaction(|tx| tx.trusted_put(&row)).unwrap());
        assert!(s.transaction(|tx| tx.is_trusted(&pk)).unwrap());
        assert_eq!(s.transaction(|tx| tx.trusted_all()).unwrap(), vec![row]);
        assert_eq!(s.transaction(|tx| tx.trusted_count()).unwrap(), 1);
        assert!(s.transaction(|tx| tx.trusted_remove(&pk)).unwrap());
        assert!(!s.transaction(|tx| tx.trusted_remove(&pk)).unwrap());
        assert!(!s.transaction(|tx| tx.is_trusted(&pk)).unwrap());
    }

    #[test]
    fn checkins_and_watches_keep_their_due_times() {
        let s = store();
        let a = CheckinRow {
            id: "a".repeat(32),
            nego: "n1".into(),
            open: true,
            remind_at: Some(100),
            updated_at: 1,
            body: b"one".to_vec(),
        };
        let mut b = a.clone();
        b.id = "b".repeat(32);
        b.remind_at = Some(50);
        s.transaction(|tx| {
            tx.checkin_put(&a)?;
            tx.checkin_put(&b)
        })
        .unwrap();
        assert_eq!(
            s.transaction(|tx| tx.checkin_next_remind()).unwrap(),
            Some(50)
        );
        assert_eq!(
            s.transaction(|tx| tx.checkins_remind_due(60)).unwrap(),
            vec![b.clone()]
        );
        b.remind_at = None;
        b.open = false;
        s.transaction(|tx| tx.checkin_put(&b)).unwrap();
        assert_eq!(
            s.transaction(|tx| tx.checkin_get(&b.id)).unwrap(),
            Some(b.clone())
        );
        assert_eq!(
            s.transaction(|tx| tx.checkins_of_nego("n1")).unwrap().len(),
            2
        );
        // Open first.
        assert_eq!(
            s.transaction(|tx| tx.checkins_recent(10)).unwrap()[0].id,
            a.id
        );

        let sender = Keys::generate().public_key();
        let w = WatchRow {
            sender,
            id: "c".repeat(32),
            live: true,
            alarm_at: Some(200),
            updated_at: 10,
            body: b"watch".to_vec(),
        };
        s.transaction(|tx| tx.watch_put(&w)).unwrap();
        assert_eq!(
            s.transaction(|tx| tx.watch_get(&sender, &w.id)).unwrap(),
            Some(w.clone())
        );
        assert_eq!(
            s.transaction(|tx| tx.watch_next_alarm()).unwrap(),
            Some(200)
        );
        assert!(s.transaction(|tx| tx.watches_due(199)).unwrap().is_empty());
        assert_eq!(s.transaction(|tx| tx.watches_due(200)).unwrap().len(), 1);
        assert_eq!(s.transaction(|tx| tx.watch_live_count(&sender)).unwrap(), 1);
        // Live rows are never pruned; closed ones are, once old.
        assert_eq!(s.transaction(|tx| tx.watches_prune(1_000)).unwrap(), 0);
        let mut closed = w.clone();
        closed.live = false;
        closed.alarm_at = None;
        s.transaction(|tx| tx.watch_put(&closed)).unwrap();
        assert_eq!(s.transaction(|tx| tx.watches_prune(5)).unwrap(), 0);
        assert_eq!(s.transaction(|tx| tx.watches_prune(11)).unwrap(), 1);
    }

    #[test]
    fn a_sealed_body_moved_to_another_row_does_not_open() {
        let s = store();
        let sender = Keys::generate().public_key();
        for id in ["d".repeat(32), "e".repeat(32)] {
            s.transaction(|tx| {
                tx.watch_put(&WatchRow {
                    sender,
                    id: id.clone(),
                    live: true,
                    alarm_at: None,
                    updated_at: 1,
                    body: id.clone().into_bytes(),
                })
            })
            .unwrap();
        }
        s.transaction(|tx| {
            tx.conn.execute_batch(
                "UPDATE checkin_watches SET body = (SELECT body FROM checkin_watches
                 WHERE id = 'dddddddddddddddddddddddddddddddd') WHERE id = 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee'",
            )?;
            Ok(())
        })
        .unwrap();
        assert!(matches!(
            s.transaction(|tx| tx.watch_get(&sender, &"e".repeat(32))),
            Err(StoreError::Crypto { .. })
        ));
    }
}
