//! Public events: batched insert with NIP-01 replaceable/addressable semantics, queries, and the
//! kind-0 profile history.

use std::cmp::Ordering;

use nostr::secp256k1::schnorr::Signature;
use nostr::{Event, EventId, JsonUtil, Kind, PublicKey, Tags, Timestamp};
use rusqlite::types::Value;
use rusqlite::{OptionalExtension, params};

use super::{StoreError, StoreTx, to_i64, to_u64};
use crate::protocol::{first_tag_value, is_hex64};

const PROFILE_KIND: u16 = 0;

/// How many superseded kind-0 versions are kept per author.
pub const PROFILE_HISTORY_LEN: usize = 5;
/// Largest `limit` a query may ask for.
pub const MAX_QUERY_LIMIT: usize = 10_000;
/// Most values one query filter list (kinds, authors, d, p) may hold.
pub const MAX_QUERY_VALUES: usize = 1_000;
/// `limit` used when a query does not set one.
pub const DEFAULT_QUERY_LIMIT: usize = 500;

/// What [`StoreTx::insert_events`] did with a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InsertReport {
    /// Events newly stored.
    pub inserted: usize,
    /// Events already stored (same id), including repeats within the batch.
    pub duplicates: usize,
    /// Incoming replaceable/addressable events not stored because the stored version wins.
    pub superseded: usize,
    /// Stored versions deleted because an incoming version won.
    pub replaced: usize,
    /// Ephemeral events (kinds 20000..30000), never stored.
    pub ephemeral: usize,
}

/// A filter over stored events. Empty lists mean "any". Results are newest first, ties by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventQuery {
    /// Event kinds.
    pub kinds: Vec<u16>,
    /// Authors.
    pub authors: Vec<PublicKey>,
    /// `d` identifiers (replaceable/addressable kinds only).
    pub d: Vec<String>,
    /// First `p` tag of the event.
    pub p: Vec<PublicKey>,
    /// `created_at >= since`.
    pub since: Option<u64>,
    /// `created_at <= until`.
    pub until: Option<u64>,
    /// At most this many results ([`DEFAULT_QUERY_LIMIT`] if `None`).
    pub limit: Option<usize>,
}

impl EventQuery {
    /// An empty query (everything, newest first, default limit).
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds kinds.
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = u16>) -> Self {
        self.kinds.extend(kinds);
        self
    }
    /// Adds an author.
    pub fn author(mut self, pk: PublicKey) -> Self {
        self.authors.push(pk);
        self
    }
    /// Adds a `d` identifier.
    pub fn d(mut self, d: impl Into<String>) -> Self {
        self.d.push(d.into());
        self
    }
    /// Adds a `p` key.
    pub fn p(mut self, pk: PublicKey) -> Self {
        self.p.push(pk);
        self
    }
    /// Sets `since`.
    pub fn since(mut self, t: u64) -> Self {
        self.since = Some(t);
        self
    }
    /// Sets `until`.
    pub fn until(mut self, t: u64) -> Self {
        self.until = Some(t);
        self
    }
    /// Sets `limit`.
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }
}

/// The NIP-01 address slot of an event: `Some(d)` for replaceable (`""`) and addressable kinds.
///
/// The kind is normalised from its number first: `Kind::Custom(0)` built locally must behave
/// exactly like `Kind::Metadata` parsed from a relay.
fn address_d(event: &Event) -> Option<String> {
    let kind = Kind::from(event.kind.as_u16());
    if kind.is_addressable() {
        Some(first_tag_value(event, "d").unwrap_or("").to_string())
    } else if kind.is_replaceable() {
        Some(String::new())
    } else {
        None
    }
}

fn first_p(event: &Event) -> Option<[u8; 32]> {
    let p = first_tag_value(event, "p")?;
    if !is_hex64(p) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(p, &mut out).ok()?;
    Some(out)
}

/// The first 8 bytes of a 32-byte key: what the `events_id` and `events_author` indexes hold.
fn prefix8(key: &[u8; 32]) -> [u8; 8] {
    let mut out = [0u8; 8];
    out.copy_from_slice(&key[..8]);
    out
}

/// NIP-01 ordering of two versions of one address: newer `created_at` wins, ties go to the
/// lowest id. `Greater` means `a` wins.
fn version_order(a_created: u64, a_id: &[u8], b_created: u64, b_id: &[u8]) -> Ordering {
    a_created.cmp(&b_created).then_with(|| b_id.cmp(a_id))
}

pub(crate) fn decode_event(raw: &str) -> Result<Event, StoreError> {
    Event::from_json(raw).map_err(|e| StoreError::Corrupt {
        what: format!("stored event JSON: {e}"),
    })
}

/// The `events` columns an event is rebuilt from (schema v8), in [`StoredEvent::read`]'s order.
pub(crate) const EVENT_COLUMNS: &str = "id, pubkey, created_at, kind, tags, content, sig";

/// One `events` row as read from SQLite, before it is rebuilt into an [`Event`].
pub(crate) struct StoredEvent {
    id: [u8; 32],
    pubkey: [u8; 32],
    created_at: i64,
    kind: i64,
    tags: String,
    content: String,
    sig: Vec<u8>,
}

impl StoredEvent {
    /// Reads the [`EVENT_COLUMNS`] of a result row (they must come first, in that order).
    pub(crate) fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            pubkey: r.get(1)?,
            created_at: r.get(2)?,
            kind: r.get(3)?,
            tags: r.get(4)?,
            content: r.get(5)?,
            sig: r.get(6)?,
        })
    }

    /// The event the row was stored from: the same fields, so the same NIP-01 JSON and the
    /// same id and signature (the row was verified when it was stored; nothing here re-checks).
    pub(crate) fn into_event(self) -> Result<Event, StoreError> {
        let corrupt = |what: String| StoreError::Corrupt { what };
        let kind = u16::try_from(self.kind)
            .map_err(|_| corrupt(format!("events.kind {} is not a u16", self.kind)))?;
        let created_at = to_u64("events.created_at", self.created_at)?;
        let tags: Tags = serde_json::from_str(&self.tags)
            .map_err(|e| corrupt(format!("events.tags JSON: {e}")))?;
        let sig =
            Signature::from_slice(&self.sig).map_err(|e| corrupt(format!("events.sig: {e}")))?;
        Ok(Event::new(
            EventId::from_byte_array(self.id),
            PublicKey::from_byte_array(self.pubkey),
            Timestamp::from_secs(created_at),
            Kind::from(kind),
            tags,
            self.content,
            sig,
        ))
    }
}

/// Rebuilds the events of stored rows (see [`StoredEvent::into_event`]).
pub(crate) fn rebuild_events(rows: Vec<StoredEvent>) -> Result<Vec<Event>, StoreError> {
    rows.into_iter().map(StoredEvent::into_event).collect()
}

impl StoreTx<'_> {
    /// Inserts events that the caller has already verified (id and signature), as one unit of
    /// work. Duplicates are skipped; for replaceable (kinds 0, 3, 10000..20000) and addressable
    /// (30000..40000) kinds only the newest version per (kind, author[, d]) is kept, ties going
    /// to the lowest id (NIP-01). Superseded kind-0 profiles go to the profile history.
    pub fn insert_events(&self, events: &[Event]) -> Result<InsertReport, StoreError> {
        let mut report = InsertReport::default();
        // Per event: one id probe and one insert, plus one address lookup for replaceable and
        // addressable kinds. Both lookups run on compact 8-byte key prefixes (schema v7) and
        // match the full key on hit. The id probe comes first, so an id is never stored twice
        // (not even a copy under another address, which only unverified input could produce).
        let mut exists = self
            .conn
            .prepare_cached("SELECT 1 FROM events WHERE substr(id, 1, 8) = ?1 AND id = ?2")?;
        let mut find_addr = self.conn.prepare_cached(
            "SELECT seq, id, created_at FROM events
             WHERE substr(pubkey, 1, 8) = ?1 AND kind = ?2 AND d = ?3 AND pubkey = ?4",
        )?;
        let mut delete = self.conn.prepare_cached(&format!(
            "DELETE FROM events WHERE seq = ?1 RETURNING {EVENT_COLUMNS}"
        ))?;
        // No event JSON (schema v8): only what the other columns do not hold.
        let mut insert = self.conn.prepare_cached(
            "INSERT INTO events (id, pubkey, kind, created_at, d, p, tags, content, sig)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;

        for e in events {
            if Kind::from(e.kind.as_u16()).is_ephemeral() {
                report.ephemeral += 1;
                continue;
            }
            let id = e.id.as_bytes();
            let pubkey = e.pubkey.as_bytes();
            if exists.exists(params![prefix8(id), id.as_slice()])? {
                report.duplicates += 1;
                continue;
            }
            let kind = i64::from(e.kind.as_u16());
            let created = e.created_at.as_secs();
            let created_i = to_i64("created_at", created)?;
            let d = address_d(e);

            if let Some(d) = &d {
                let current = find_addr
                    .query_row(params![prefix8(pubkey), kind, d, pubkey.as_slice()], |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, [u8; 32]>(1)?,
                            r.get::<_, i64>(2)?,
                        ))
                    })
                    .optional()?;
                if let Some((seq, old_id, old_created)) = current {
                    let old_created = to_u64("events.created_at", old_created)?;
                    if version_order(created, id, old_created, &old_id) != Ordering::Greater {
                        report.superseded += 1;
                        if e.kind.as_u16() == PROFILE_KIND {
                            self.history_add(id, pubkey, created_i, &e.as_json())?;
                        }
                        continue;
                    }
                    let old = delete.query_row([seq], StoredEvent::read)?;
                    report.replaced += 1;
                    if e.kind.as_u16() == PROFILE_KIND {
                        self.history_add(
                            &old_id,
                            pubkey,
                            to_i64("created_at", old_created)?,
                            &old.into_event()?.as_json(),
                        )?;
                    }
                }
            }

            let p = first_p(e);
            let tags = serde_json::to_string(&e.tags).map_err(|err| StoreError::InvalidInput {
                field: "tags",
                rule: format!("not serialisable: {err}"),
            })?;
            insert.execute(params![
                id.as_slice(),
                pubkey.as_slice(),
                kind,
                created_i,
                d,
                p.as_ref().map(|b| b.as_slice()),
                tags,
                e.content,
                e.sig.as_ref().as_slice(),
            ])?;
            report.inserted += 1;
        }
        Ok(report)
    }

    fn history_add(
        &self,
        id: &[u8],
        pubkey: &[u8],
        created_at: i64,
        raw: &str,
    ) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO profile_history (id, pubkey, created_at, raw) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(id) DO NOTHING",
            )?
            .execute(params![id, pubkey, created_at, raw])?;
        self.conn
            .prepare_cached(
                "DELETE FROM profile_history WHERE pubkey = ?1 AND seq NOT IN (
                    SELECT seq FROM profile_history WHERE pubkey = ?1
                    ORDER BY created_at DESC, id ASC LIMIT ?2)",
            )?
            .execute(params![pubkey, PROFILE_HISTORY_LEN as i64])?;
        Ok(())
    }

    /// Events matching `q`, newest first (ties by id), at most `q.limit`.
    pub fn query_events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        let limit = q.limit.unwrap_or(DEFAULT_QUERY_LIMIT);
        if limit > MAX_QUERY_LIMIT {
            return Err(StoreError::InvalidInput {
                field: "limit",
                rule: format!("{limit} exceeds {MAX_QUERY_LIMIT}"),
            });
        }
        let mut sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE 1=1");
        let mut args: Vec<Value> = Vec::new();
        let mut list = |field: &'static str,
                        column: &str,
                        values: Vec<Value>,
                        sql: &mut String|
         -> Result<(), StoreError> {
            if values.is_empty() {
                return Ok(());
            }
            if values.len() > MAX_QUERY_VALUES {
                return Err(StoreError::InvalidInput {
                    field,
                    rule: format!("{} values; the limit is {MAX_QUERY_VALUES}", values.len()),
                });
            }
            sql.push_str(" AND ");
            sql.push_str(column);
            sql.push_str(" IN (");
            for i in 0..values.len() {
                sql.push_str(if i == 0 { "?" } else { ",?" });
            }
            sql.push(')');
            args.extend(values);
            Ok(())
        };
        list(
            "kinds",
            "kind",
            q.kinds
                .iter()
                .map(|k| Value::Integer(i64::from(*k)))
                .collect(),
            &mut sql,
        )?;
        // The author index holds 8-byte key prefixes; the full keys then filter its hits.
        list(
            "authors",
            "substr(pubkey, 1, 8)",
            q.authors
                .iter()
                .map(|a| Value::Blob(prefix8(a.as_bytes()).to_vec()))
                .collect(),
            &mut sql,
        )?;
        list(
            "authors",
            "pubkey",
            q.authors
                .iter()
                .map(|a| Value::Blob(a.as_bytes().to_vec()))
                .collect(),
            &mut sql,
        )?;
        list(
            "d",
            "d",
            q.d.iter().map(|d| Value::Text(d.clone())).collect(),
            &mut sql,
        )?;
        list(
            "p",
            "p",
            q.p.iter()
                .map(|p| Value::Blob(p.as_bytes().to_vec()))
                .collect(),
            &mut sql,
        )?;
        if let Some(s) = q.since {
            sql.push_str(" AND created_at >= ?");
            args.push(Value::Integer(to_i64("since", s)?));
        }
        if let Some(u) = q.until {
            sql.push_str(" AND created_at <= ?");
            args.push(Value::Integer(to_i64("until", u)?));
        }
        sql.push_str(" ORDER BY created_at DESC, id ASC LIMIT ?");
        args.push(Value::Integer(limit as i64));

        let mut st = self.conn.prepare_cached(&sql)?;
        let rows = st
            .query_map(rusqlite::params_from_iter(args), StoredEvent::read)?
            .collect::<Result<Vec<_>, _>>()?;
        rebuild_events(rows)
    }

    /// One event by id.
    pub fn get_event(&self, id: &EventId) -> Result<Option<Event>, StoreError> {
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events WHERE substr(id, 1, 8) = ?1 AND id = ?2"
            ))?
            .query_row(
                params![prefix8(id.as_bytes()), id.as_bytes().as_slice()],
                StoredEvent::read,
            )
            .optional()?;
        row.map(StoredEvent::into_event).transpose()
    }

    /// Number of stored events.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?;
        to_u64("count", n)
    }

    /// Superseded kind-0 profiles of `author`, newest first.
    pub fn profile_history(&self, author: &PublicKey) -> Result<Vec<Event>, StoreError> {
        let mut st = self.conn.prepare_cached(
            "SELECT raw FROM profile_history WHERE pubkey = ?1 ORDER BY created_at DESC, id ASC",
        )?;
        let raws = st
            .query_map([author.as_bytes().as_slice()], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        raws.iter().map(|r| decode_event(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{DataKey, Store};
    use nostr::{EventBuilder, Keys, Tag, Timestamp};

    fn store(dir: &tempfile::TempDir) -> Store {
        Store::open_with_key(dir.path().join("events.db"), DataKey::generate()).expect("store")
    }

    fn versioned(keys: &Keys, kind: u16, d: Option<&str>, created: u64, content: &str) -> Event {
        EventBuilder::new(Kind::from(kind), content)
            .tags(d.map(Tag::identifier))
            .custom_created_at(Timestamp::from_secs(created))
            .sign_with_keys(keys)
            .expect("sign")
    }

    #[test]
    fn repeats_of_the_current_version_are_duplicates_not_superseded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let k = Keys::generate();
        let offer = versioned(&k, 32101, Some("aa"), 100, "v1");
        let profile = versioned(&k, 0, None, 100, "{}");
        let r = s
            .insert_events(&[offer.clone(), profile.clone(), offer.clone()])
            .expect("insert");
        assert_eq!(
            r,
            InsertReport {
                inserted: 2,
                duplicates: 1,
                ..Default::default()
            }
        );
        let r = s
            .insert_events(&[profile.clone(), offer.clone()])
            .expect("insert");
        assert_eq!(
            r,
            InsertReport {
                duplicates: 2,
                ..Default::default()
            }
        );
        // A duplicate profile is not a superseded version: nothing went to the history.
        assert!(
            s.profile_history(&k.public_key())
                .expect("history")
                .is_empty()
        );
        assert_eq!(s.event_count().expect("count"), 2);
    }

    #[test]
    fn replaced_profile_goes_to_history_byte_for_byte() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let k = Keys::generate();
        let old = versioned(&k, 0, None, 100, "{\"name\":\"é 🚲\"}");
        let new = versioned(&k, 0, None, 200, "{\"name\":\"new\"}");
        s.insert_events(std::slice::from_ref(&old)).expect("insert");
        let r = s.insert_events(std::slice::from_ref(&new)).expect("insert");
        assert_eq!((r.inserted, r.replaced), (1, 1));
        assert_eq!(
            s.profile_history(&k.public_key()).expect("history"),
            vec![old]
        );
        assert_eq!(s.get_event(&new.id).expect("get"), Some(new));
    }

    #[test]
    fn an_id_stored_under_another_address_is_a_duplicate_and_changes_nothing() {
        // Not a verified event: a stored id on a different address. The store must neither
        // replace the current version at that address nor store the copy.
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let k = Keys::generate();
        let at_a = versioned(&k, 32101, Some("aa"), 100, "a");
        let at_b = versioned(&k, 32101, Some("bb"), 100, "b");
        s.insert_events(&[at_a.clone(), at_b.clone()])
            .expect("insert");
        for created in [50, 100, 200] {
            let copy = Event::new(
                at_a.id,
                at_b.pubkey,
                Timestamp::from_secs(created),
                at_b.kind,
                at_b.tags.clone(),
                "forged",
                at_b.sig,
            );
            refused_as_duplicate(&s, &copy);
        }
        assert_eq!(s.get_event(&at_b.id).expect("get"), Some(at_b));
        assert_eq!(s.get_event(&at_a.id).expect("get"), Some(at_a));
        assert_eq!(s.event_count().expect("count"), 2);
    }

    /// Inserting `copy` stores and changes nothing: it only counts as a duplicate.
    fn refused_as_duplicate(s: &Store, copy: &Event) {
        let r = s.insert_events(std::slice::from_ref(copy)).expect("insert");
        assert_eq!(
            r,
            InsertReport {
                duplicates: 1,
                ..Default::default()
            },
            "{copy:?}"
        );
    }

    #[test]
    fn a_forged_copy_of_a_stored_id_is_refused_where_nothing_else_is_stored() {
        // Unverified copies of stored ids where no other version stands in the way: at an
        // empty address, and as a regular (non-addressable) kind. Only the id probe refuses
        // these; nothing may be stored or changed.
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let k = Keys::generate();
        let offer = versioned(&k, 32101, Some("aa"), 100, "a");
        let note = versioned(&k, 1, None, 100, "n");
        s.insert_events(&[offer.clone(), note.clone()])
            .expect("insert");
        let forge = |id: EventId, kind: u16, d: &str| {
            Event::new(
                id,
                Keys::generate().public_key(),
                Timestamp::from_secs(500),
                Kind::from(kind),
                [Tag::identifier(d)],
                "forged",
                offer.sig,
            )
        };
        let copies = [
            forge(offer.id, 32101, "empty-address"),
            forge(offer.id, 1, ""),
            forge(note.id, 32102, "elsewhere"),
            forge(note.id, 1, ""),
        ];
        for copy in &copies {
            refused_as_duplicate(&s, copy);
        }
        assert_eq!(s.get_event(&offer.id).expect("get"), Some(offer));
        assert_eq!(s.get_event(&note.id).expect("get"), Some(note));
        assert_eq!(s.event_count().expect("count"), 2);
    }

    #[test]
    fn version_order_is_newest_then_lowest_id() {
        assert_eq!(version_order(2, &[9], 1, &[0]), Ordering::Greater);
        assert_eq!(version_order(1, &[0], 2, &[9]), Ordering::Less);
        assert_eq!(version_order(5, &[1], 5, &[2]), Ordering::Greater);
        assert_eq!(version_order(5, &[2], 5, &[1]), Ordering::Less);
        assert_eq!(version_order(5, &[2], 5, &[2]), Ordering::Equal);
    }

    /// The insert statement of the builds before the `events` rebuild (schema v1–v6).
    const V5_INSERT: &str =
        "INSERT INTO events (id, pubkey, kind, created_at, d, p, expires_at, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

    fn tagged(keys: &Keys, kind: u16, created: u64, tags: Vec<Tag>) -> Event {
        EventBuilder::new(Kind::from(kind), format!("k{kind} t{created}"))
            .tags(tags)
            .custom_created_at(Timestamp::from_secs(created))
            .sign_with_keys(keys)
            .expect("sign")
    }

    /// What a query must return, computed from the event list alone.
    fn oracle(all: &[Event], q: &EventQuery) -> Vec<Event> {
        let mut out: Vec<Event> = all
            .iter()
            .filter(|e| q.kinds.is_empty() || q.kinds.contains(&e.kind.as_u16()))
            .filter(|e| q.authors.is_empty() || q.authors.contains(&e.pubkey))
            .filter(|e| q.d.is_empty() || address_d(e).is_some_and(|d| q.d.contains(&d)))
            .filter(|e| {
                q.p.is_empty() || first_p(e).is_some_and(|p| q.p.iter().any(|x| *x.as_bytes() == p))
            })
            .filter(|e| q.since.is_none_or(|s| e.created_at.as_secs() >= s))
            .filter(|e| q.until.is_none_or(|u| e.created_at.as_secs() <= u))
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            b.created_at
                .cmp(&a.created_at)
                .then_with(|| a.id.as_bytes().cmp(b.id.as_bytes()))
        });
        out.truncate(q.limit.unwrap_or(DEFAULT_QUERY_LIMIT));
        out
    }

    /// One stored row: seq, id, pubkey, kind, created_at, d, p, raw.
    type Row = (
        i64,
        Vec<u8>,
        Vec<u8>,
        i64,
        i64,
        Option<String>,
        Option<Vec<u8>>,
        String,
    );

    fn rows(c: &rusqlite::Connection) -> Vec<Row> {
        let mut st = c
            .prepare("SELECT seq, id, pubkey, kind, created_at, d, p, raw FROM events ORDER BY seq")
            .expect("prepare");
        st.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    }

    fn plan(c: &rusqlite::Connection, sql: &str, args: impl rusqlite::Params) -> String {
        let mut st = c
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        st.query_map(args, |r| r.get::<_, String>(3))
            .expect("plan rows")
            .collect::<Result<Vec<_>, _>>()
            .expect("plan")
            .join("; ")
    }

    #[test]
    fn lean_events_upgrade_keeps_every_row_and_queries_and_inserts_behave_as_before() {
        use crate::store::schema::{LEAN_EVENTS_VERSION, migrate_to};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = rusqlite::Connection::open(dir.path().join("old.db")).expect("open");
        // The `events` table as every version before the rebuild had it.
        migrate_to(&mut c, LEAN_EVENTS_VERSION - 1).expect("before");

        let (alice, bob) = (Keys::generate(), Keys::generate());
        let bob_hex = bob.public_key().to_hex();
        let mut all = Vec::new();
        for (i, k) in [&alice, &bob, &alice, &bob].into_iter().enumerate() {
            let t = 1_000 + i as u64;
            all.push(tagged(
                k,
                32101,
                t,
                vec![Tag::identifier(format!("{i:016x}"))],
            ));
            all.push(tagged(
                k,
                32102,
                t + 10,
                vec![
                    Tag::identifier(if i < 2 {
                        "shared".into()
                    } else {
                        format!("s{i}")
                    }),
                    Tag::parse(["expiration", "99999"]).expect("tag"),
                ],
            ));
        }
        all.push(tagged(&alice, 0, 900, vec![]));
        all.push(tagged(&bob, 0, 901, vec![]));
        all.push(tagged(
            &alice,
            1,
            950,
            vec![Tag::parse(["p", &bob_hex]).expect("tag")],
        ));
        all.push(tagged(&bob, 1, 950, vec![]));
        // Rows as the previous builds stored them (shared `d` on two kinds and two authors).
        let mut ins = c.prepare(V5_INSERT).expect("insert");
        for e in &all {
            ins.execute(params![
                e.id.as_bytes().as_slice(),
                e.pubkey.as_bytes().as_slice(),
                i64::from(e.kind.as_u16()),
                e.created_at.as_secs() as i64,
                address_d(e),
                first_p(e).as_ref().map(|p| p.as_slice()),
                Option::<i64>::None,
                e.as_json(),
            ])
            .expect("old insert");
        }
        drop(ins);
        let before = rows(&c);

        migrate_to(&mut c, LEAN_EVENTS_VERSION).expect("rebuild");
        assert_eq!(
            rows(&c),
            before,
            "every row and its seq survive the rebuild"
        );
        // The store below reads the current row layout.
        migrate_to(&mut c, crate::store::schema::SCHEMA_VERSION).expect("current");

        let key = crate::store::DataKey::generate();
        let tx = StoreTx {
            conn: &c,
            key: &key,
        };
        let queries = [
            EventQuery::new(),
            EventQuery::new().kinds([32101, 32102]).since(1_002),
            EventQuery::new()
                .kinds([32101, 32102])
                .author(alice.public_key()),
            EventQuery::new()
                .kinds([0])
                .author(bob.public_key())
                .limit(1),
            EventQuery::new()
                .kinds([32102])
                .author(bob.public_key())
                .d("shared"),
            EventQuery::new()
                .author(alice.public_key())
                .author(bob.public_key())
                .limit(3),
            EventQuery::new().d("shared"),
            EventQuery::new().p(bob.public_key()),
            EventQuery::new().kinds([32101]).until(1_001),
        ];
        for q in &queries {
            assert_eq!(tx.query_events(q).expect("query"), oracle(&all, q), "{q:?}");
        }
        for e in &all {
            assert_eq!(tx.get_event(&e.id).expect("get").as_ref(), Some(e));
        }

        // Inserts against migrated rows: repeats are duplicates, newest-wins still holds.
        let again = tx.insert_events(&all).expect("insert");
        assert_eq!(
            again,
            InsertReport {
                duplicates: all.len(),
                ..Default::default()
            }
        );
        let older = tagged(&bob, 32102, 1_000, vec![Tag::identifier("shared")]);
        let newer = tagged(&bob, 32102, 2_000, vec![Tag::identifier("shared")]);
        let note = tagged(&bob, 1, 2_000, vec![]);
        let r = tx
            .insert_events(&[older.clone(), newer.clone(), note.clone(), note.clone()])
            .expect("insert");
        assert_eq!(
            r,
            InsertReport {
                inserted: 2,
                duplicates: 1,
                superseded: 1,
                replaced: 1,
                ..Default::default()
            }
        );
        let shared = EventQuery::new()
            .kinds([32102])
            .author(bob.public_key())
            .d("shared");
        assert_eq!(tx.query_events(&shared).expect("query"), vec![newer]);
        assert_eq!(tx.get_event(&older.id).expect("get"), None);
        assert_eq!(tx.event_count().expect("count"), all.len() as u64 + 1);

        // The hot lookups run on the compact indexes.
        let by_addr = plan(
            &c,
            "SELECT seq, id, created_at FROM events
             WHERE substr(pubkey, 1, 8) = ?1 AND kind = ?2 AND d = ?3 AND pubkey = ?4",
            params![[0u8; 8], 1, "", [0u8; 32]],
        );
        assert!(by_addr.contains("events_author"), "{by_addr}");
        let by_id = plan(
            &c,
            "SELECT 1 FROM events WHERE substr(id, 1, 8) = ?1 AND id = ?2",
            params![[0u8; 8], [0u8; 32]],
        );
        assert!(by_id.contains("events_id"), "{by_id}");
        let idx: Vec<String> = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        let mut idx = idx;
        idx.sort();
        assert_eq!(
            idx,
            [
                "events_author",
                "events_id",
                "events_kind_time",
                "events_p_kind"
            ]
        );
    }

    /// The insert statement of the builds with `raw` event JSON (schema v7).
    const V7_INSERT: &str = "INSERT INTO events (id, pubkey, kind, created_at, d, p, raw)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

    /// Events whose JSON needs every kind of escape, tags of every shape, and no tags at all.
    fn awkward_events() -> Vec<Event> {
        let k = Keys::generate();
        let other = Keys::generate().public_key().to_hex();
        let contents = [
            "",
            "plain",
            "quote \" backslash \\ slash / tab \t newline \n cr \r",
            "control \u{1} \u{8} \u{c} \u{1f} del \u{7f}",
            "non-ASCII é ß 中文 🚲 \u{2028} \u{2029}",
            "{\"json\":\"in content\",\"n\":[1,2]}",
        ];
        let mut out = Vec::new();
        for (i, c) in contents.iter().enumerate() {
            let t = 1_000 + i as u64;
            out.push(tagged(&k, 1, t, vec![]));
            out.push(tagged(
                &k,
                32101,
                t,
                vec![
                    Tag::identifier(format!("d-{i} \" é")),
                    Tag::parse(["p", &other]).expect("p"),
                    Tag::parse(["g", "w21z7"]).expect("g"),
                    Tag::parse(["t", c, "", "extra \n"]).expect("t"),
                    Tag::parse(["single"]).expect("single"),
                ],
            ));
            out.push(
                EventBuilder::new(Kind::from(30_000 + i as u16), *c)
                    .tags([Tag::parse(["d", c]).expect("d")])
                    .custom_created_at(Timestamp::from_secs(t))
                    .sign_with_keys(&k)
                    .expect("sign"),
            );
        }
        out.push(versioned(&k, 0, None, 900, "{\"name\":\"é 🚲\"}"));
        out
    }

    #[test]
    fn rebuilt_events_are_byte_identical_and_verify() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let all = awkward_events();
        let r = s.insert_events(&all).expect("insert");
        assert_eq!(r.inserted, all.len());
        for e in &all {
            let got = s.get_event(&e.id).expect("get").expect("stored");
            assert_eq!(got.as_json(), e.as_json(), "byte-identical JSON");
            assert_eq!(&got, e);
            got.verify().expect("the rebuilt event verifies");
        }
        let q = s
            .query_events(&EventQuery::new().limit(MAX_QUERY_LIMIT))
            .expect("query");
        assert_eq!(q.len(), all.len());
        for e in &q {
            e.verify().expect("queried events verify");
        }
        let scanned = s.read(|tx| tx.rep_scan_events()).expect("scan");
        assert_eq!(scanned.len(), all.len());
        assert!(scanned.iter().all(|e| all.contains(e)));
    }

    #[test]
    fn a_row_without_json_stores_no_hex_copy_of_id_pubkey_or_sig() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let k = Keys::generate();
        let e = versioned(&k, 32101, Some("aa"), 100, "hello");
        s.insert_events(std::slice::from_ref(&e)).expect("insert");
        let (tags, content, sig): (String, String, Vec<u8>) = s
            .read(|tx| {
                Ok(tx
                    .conn
                    .query_row("SELECT tags, content, sig FROM events", [], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                    })?)
            })
            .expect("row");
        assert_eq!(tags, r#"[["d","aa"]]"#);
        assert_eq!(content, "hello");
        assert_eq!(sig, e.sig.as_ref().to_vec());
    }

    #[test]
    fn corrupt_rows_are_refused_with_a_typed_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir);
        let e = versioned(&Keys::generate(), 1, None, 100, "x");
        s.insert_events(std::slice::from_ref(&e)).expect("insert");
        for bad in [
            "UPDATE events SET tags = '[[\"d\"'",
            "UPDATE events SET tags = '[1]'",
            "UPDATE events SET sig = x'00'",
            "UPDATE events SET kind = 70000",
            "UPDATE events SET created_at = -1",
        ] {
            s.transaction(|tx| Ok(tx.conn.execute_batch(bad)?))
                .expect("tamper");
            assert!(
                matches!(s.get_event(&e.id), Err(StoreError::Corrupt { .. })),
                "{bad}"
            );
            s.transaction(|tx| {
                tx.conn.execute("DELETE FROM events", [])?;
                tx.insert_events(std::slice::from_ref(&e))
            })
            .expect("restore");
        }
    }

    /// seq, id, d and p of one stored row.
    type KeyColumns = (i64, Vec<u8>, Option<String>, Option<Vec<u8>>);

    fn key_columns(c: &rusqlite::Connection) -> Vec<KeyColumns> {
        c.prepare("SELECT seq, id, d, p FROM events ORDER BY seq")
            .expect("prepare")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    #[test]
    fn lean_row_upgrade_converts_every_row_to_the_same_events() {
        use crate::store::schema::{LEAN_ROW_VERSION, SCHEMA_VERSION, migrate_to};
        let dir = tempfile::tempdir().expect("tempdir");
        let mut c = rusqlite::Connection::open(dir.path().join("v7.db")).expect("open");
        migrate_to(&mut c, LEAN_ROW_VERSION - 1).expect("v7");
        let all = awkward_events();
        let mut ins = c.prepare(V7_INSERT).expect("insert");
        for e in &all {
            ins.execute(params![
                e.id.as_bytes().as_slice(),
                e.pubkey.as_bytes().as_slice(),
                i64::from(e.kind.as_u16()),
                e.created_at.as_secs() as i64,
                address_d(e),
                first_p(e).as_ref().map(|p| p.as_slice()),
                e.as_json(),
            ])
            .expect("v7 insert");
        }
        drop(ins);
        let keys_before = key_columns(&c);

        migrate_to(&mut c, LEAN_ROW_VERSION).expect("v8");
        let keys_after = key_columns(&c);
        assert_eq!(keys_after, keys_before, "seq and the key columns survive");
        // The later steps (v9: reputation node ids; v10: chat, blocked keys, refusals; v11: peer
        // relay marks; v12: notices; v13: check-ins) leave `events` alone; the checks below run
        // at the current version.
        assert_eq!(
            SCHEMA_VERSION, 13,
            "a later step: check it keeps `events` too"
        );
        migrate_to(&mut c, SCHEMA_VERSION).expect("current");
        assert_eq!(key_columns(&c), keys_before);
        let columns: Vec<String> = c
            .prepare("SELECT name FROM pragma_table_info('events')")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("names");
        assert!(!columns.iter().any(|n| n == "raw"), "{columns:?}");

        let key = crate::store::DataKey::generate();
        let tx = StoreTx {
            conn: &c,
            key: &key,
        };
        for e in &all {
            let got = tx.get_event(&e.id).expect("get").expect("converted");
            assert_eq!(got.as_json(), e.as_json(), "byte-identical JSON");
            got.verify().expect("the converted event verifies");
        }
        assert_eq!(
            tx.query_events(&EventQuery::new()).expect("query"),
            oracle(&all, &EventQuery::new())
        );
        // Inserts against converted rows: repeats are duplicates.
        let again = tx.insert_events(&all).expect("insert");
        assert_eq!(again.duplicates, all.len());
    }

    #[test]
    fn lean_row_upgrade_fails_whole_on_a_row_without_a_signature() {
        use crate::store::schema::{LEAN_ROW_VERSION, migrate_to, user_version};
        let mut c = rusqlite::Connection::open_in_memory().expect("open");
        migrate_to(&mut c, LEAN_ROW_VERSION - 1).expect("v7");
        let e = versioned(&Keys::generate(), 1, None, 100, "x");
        let mut json: serde_json::Value = serde_json::from_str(&e.as_json()).expect("json");
        json["sig"] = serde_json::Value::String("not hex".into());
        c.execute(
            V7_INSERT,
            params![
                e.id.as_bytes().as_slice(),
                e.pubkey.as_bytes().as_slice(),
                1,
                100,
                Option::<String>::None,
                Option::<Vec<u8>>::None,
                json.to_string(),
            ],
        )
        .expect("v7 insert");
        assert!(migrate_to(&mut c, LEAN_ROW_VERSION).is_err());
        assert_eq!(user_version(&c).expect("version"), LEAN_ROW_VERSION - 1);
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM events WHERE raw IS NOT NULL",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(n, 1, "the v7 row is untouched");
    }
}
