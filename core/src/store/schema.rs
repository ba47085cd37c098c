//! Schema migrations, versioned with `PRAGMA user_version`.
//!
//! `MIGRATIONS[i]` upgrades a database from version `i` to `i + 1`. Each step runs in its own
//! transaction together with the `user_version` bump, so a crash mid-upgrade leaves the previous
//! version intact. Never edit a released step: append a new one.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// The migration steps, oldest first.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: public events, settings, sync cursors, and the data-key check value.
    r#"
    CREATE TABLE events (
        seq        INTEGER PRIMARY KEY,
        id         BLOB    NOT NULL UNIQUE,
        pubkey     BLOB    NOT NULL,
        kind       INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        d          TEXT,            -- set for replaceable ('') and addressable kinds only
        p          BLOB,            -- first `p` tag (32 bytes) if any
        expires_at INTEGER,         -- NIP-40 `expiration` if any
        raw        TEXT    NOT NULL
    );
    CREATE INDEX events_kind_time   ON events(kind, created_at DESC);
    CREATE INDEX events_author_kind ON events(pubkey, kind, created_at DESC);
    CREATE UNIQUE INDEX events_address ON events(kind, pubkey, d) WHERE d IS NOT NULL;
    CREATE INDEX events_kind_d      ON events(kind, d) WHERE d IS NOT NULL;
    CREATE INDEX events_p_kind      ON events(p, kind, created_at DESC) WHERE p IS NOT NULL;

    CREATE TABLE settings (
        k TEXT PRIMARY KEY,
        v TEXT NOT NULL
    );

    CREATE TABLE sync_cursors (
        sub_key    TEXT PRIMARY KEY,
        last_seen  INTEGER NOT NULL
    );

    CREATE TABLE meta (
        k TEXT PRIMARY KEY,
        v BLOB NOT NULL
    );
    "#,
    // v2: private negotiation state (encrypted), messages, the outbox and the nonce ledger.
    r#"
    CREATE TABLE negotiations (
        nego       TEXT    PRIMARY KEY,
        intent_id  BLOB    NOT NULL,
        role       TEXT    NOT NULL,
        state      TEXT    NOT NULL,
        updated_at INTEGER NOT NULL,
        detail     BLOB    NOT NULL   -- XChaCha20-Poly1305 sealed, AAD binds the nego id
    );
    CREATE INDEX negotiations_intent ON negotiations(intent_id);
    CREATE INDEX negotiations_updated ON negotiations(updated_at DESC);

    CREATE TABLE messages (
        seq        INTEGER PRIMARY KEY,
        nego       TEXT    NOT NULL REFERENCES negotiations(nego) ON DELETE CASCADE,
        event_id   BLOB    NOT NULL UNIQUE,
        sender     BLOB    NOT NULL,
        msg_type   TEXT    NOT NULL,
        ts         INTEGER NOT NULL,
        envelope   BLOB    NOT NULL,  -- sealed decrypted envelope, AAD binds the event id
        UNIQUE (nego, sender, msg_type, ts)
    );

    CREATE TABLE outbox (
        seq             INTEGER PRIMARY KEY,
        id              BLOB    NOT NULL UNIQUE,
        raw             TEXT    NOT NULL,
        created         INTEGER NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error      TEXT
    );
    CREATE INDEX outbox_due ON outbox(next_attempt_at, seq);

    CREATE TABLE used_nonces (
        seq     INTEGER PRIMARY KEY,
        nonce   BLOB    NOT NULL UNIQUE,
        nego    TEXT    NOT NULL,
        used_at INTEGER NOT NULL
    );
    "#,
    // v3: previous versions of kind-0 profiles ("verified on a previous number").
    r#"
    CREATE TABLE profile_history (
        seq        INTEGER PRIMARY KEY,
        id         BLOB    NOT NULL UNIQUE,
        pubkey     BLOB    NOT NULL,
        created_at INTEGER NOT NULL,
        raw        TEXT    NOT NULL
    );
    CREATE INDEX profile_history_author ON profile_history(pubkey, created_at DESC);
    "#,
    // v4: the compact persisted form of the reputation inputs (store/rep.rs). Empty after the
    // upgrade: `rep_state.built` stays unset until the app back-fills it once from `events`.
    r#"
    CREATE TABLE rep_keys (
        id         INTEGER PRIMARY KEY,
        pubkey     BLOB    NOT NULL UNIQUE,
        first_seen INTEGER            -- oldest created_at of any event it signed; NULL = none
    );
    CREATE TABLE rep_deals (
        seq  INTEGER PRIMARY KEY,     -- pairing order (node ids are assigned in this order)
        deal BLOB    NOT NULL UNIQUE, -- 16-byte DealKey
        a    INTEGER NOT NULL,        -- rep_keys.id of the completing half's author
        b    INTEGER NOT NULL,        -- rep_keys.id of its counterparty
        tier INTEGER NOT NULL         -- 1 proven, 2 met
    );
    CREATE TABLE rep_halves (
        deal       BLOB    PRIMARY KEY, -- at most one held half per deal
        author     INTEGER NOT NULL,
        peer       INTEGER NOT NULL,
        nego       TEXT    NOT NULL,
        id         BLOB    NOT NULL,
        intent_id  BLOB    NOT NULL,
        meet       BLOB,
        countersigns BLOB,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE rep_ratings (
        seq        INTEGER PRIMARY KEY, -- first-arrival order of (rater, deal)
        rater      INTEGER NOT NULL,
        deal       BLOB    NOT NULL,
        ratee      INTEGER NOT NULL,
        nego       TEXT    NOT NULL,
        score      INTEGER,
        safe       INTEGER,
        reliable   INTEGER,
        created_at INTEGER NOT NULL,
        pow_bits   INTEGER NOT NULL,
        contact_verified INTEGER NOT NULL,
        contact_masked   TEXT,
        attestation_ok   INTEGER NOT NULL,
        UNIQUE (rater, deal)
    );
    CREATE TABLE rep_follows (
        owner      INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        list       BLOB    NOT NULL   -- concatenated 32-byte keys
    );
    CREATE TABLE rep_state (
        k TEXT PRIMARY KEY,
        v INTEGER NOT NULL
    );
    "#,
    // v5: drop `events_kind_d`, a random-key index updated on every replaceable/addressable
    // insert. No query the app runs filters on `d` without an author (those use
    // `events_address`); a `d`-only query still runs, on the `kind` prefix of `events_address`.
    r#"
    DROP INDEX IF EXISTS events_kind_d;
    "#,
    // v6: the reputation checkpoint (store/rep.rs): the engine's graph part as one blob with the
    // last `rep_deals.seq` / `rep_keys.id` it covers, and the rows at or below those that
    // changed after it was written (first-seen times, upgrades), replayed at load.
    r#"
    CREATE TABLE rep_checkpoint (
        id       INTEGER PRIMARY KEY CHECK (id = 1),
        deal_seq INTEGER NOT NULL,
        key_id   INTEGER NOT NULL,
        data     BLOB    NOT NULL
    );
    CREATE TABLE rep_ck_dirty (
        kind INTEGER NOT NULL,        -- 0: rep_keys.id (first_seen changed), 1: rep_deals.seq (upgraded)
        id   INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
    ) WITHOUT ROWID;
    "#,
    // v7: a leaner `events` for ingest speed (docs/BENCHMARKS.md). Every insert updated four
    // index B-trees, three of them keyed by random 32-byte values (`id` UNIQUE, `events_address`
    // on (kind, pubkey, d), `events_author_kind` on (pubkey, …)). Now:
    // - `events_id` indexes the first 8 bytes of the id (queries match the full id on hit; the
    //   insert path checks for the full id before inserting, so ids stay unique);
    // - `events_author` on (first 8 bytes of the author, kind, d) serves both the newest-wins
    //   address lookup and the by-author queries (which match the full key on hit);
    // - `expires_at` is gone: no query ever read it (NIP-40 is enforced when intents are parsed).
    // The UNIQUE constraint on `id` cannot be dropped in place, so the table is rebuilt; `seq`
    // and every stored column are copied unchanged.
    r#"
    CREATE TABLE events_lean (
        seq        INTEGER PRIMARY KEY,
        id         BLOB    NOT NULL,
        pubkey     BLOB    NOT NULL,
        kind       INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        d          TEXT,            -- set for replaceable ('') and addressable kinds only
        p          BLOB,            -- first `p` tag (32 bytes) if any
        raw        TEXT    NOT NULL
    );
    INSERT INTO events_lean (seq, id, pubkey, kind, created_at, d, p, raw)
        SELECT seq, id, pubkey, kind, created_at, d, p, raw FROM events ORDER BY seq;
    DROP TABLE events;
    ALTER TABLE events_lean RENAME TO events;
    CREATE INDEX events_id        ON events(substr(id, 1, 8));
    CREATE INDEX events_author    ON events(substr(pubkey, 1, 8), kind, d);
    CREATE INDEX events_kind_time ON events(kind, created_at DESC);
    CREATE INDEX events_p_kind    ON events(p, kind, created_at DESC) WHERE p IS NOT NULL;
    "#,
    // v8: no event JSON in `events` (docs/BENCHMARKS.md, session 3). `raw` repeated the id,
    // author and signature as 256 hex characters beside the binary columns and cost a JSON
    // serialisation per insert. Now a row holds what the other columns do not: `tags` (their
    // JSON array), `content` (plain text) and `sig` (64 bytes); readers rebuild the event
    // (store/events.rs `StoredEvent::into_event`), whose NIP-01 JSON is byte-identical to the old `raw`.
    // Rebuilt like v7 (`seq` and every other column copied unchanged) so `tags`, `content`
    // and `sig` can be NOT NULL; a row whose `raw` lacks one of them fails the step, which then
    // leaves the database at v7.
    r#"
    CREATE TABLE events_v8 (
        seq        INTEGER PRIMARY KEY,
        id         BLOB    NOT NULL,
        pubkey     BLOB    NOT NULL,
        kind       INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        d          TEXT,            -- set for replaceable ('') and addressable kinds only
        p          BLOB,            -- first `p` tag (32 bytes) if any
        tags       TEXT    NOT NULL, -- JSON array of the tags
        content    TEXT    NOT NULL,
        sig        BLOB    NOT NULL  -- 64-byte BIP-340 signature
    );
    INSERT INTO events_v8 (seq, id, pubkey, kind, created_at, d, p, tags, content, sig)
        SELECT seq, id, pubkey, kind, created_at, d, p,
               json_extract(raw, '$.tags'), json_extract(raw, '$.content'),
               unhex(json_extract(raw, '$.sig'))
        FROM events ORDER BY seq;
    DROP TABLE events;
    ALTER TABLE events_v8 RENAME TO events;
    CREATE INDEX events_id        ON events(substr(id, 1, 8));
    CREATE INDEX events_author    ON events(substr(pubkey, 1, 8), kind, d);
    CREATE INDEX events_kind_time ON events(kind, created_at DESC);
    CREATE INDEX events_p_kind    ON events(p, kind, created_at DESC) WHERE p IS NOT NULL;
    "#,
    // v9: node ids in the store (store/rep.rs, docs/REPUTATION.md §8). The app's reputation
    // engine no longer holds keys, deal keys or first-seen times; it looks them up here
    // (`store::StoreDirectory`) by the dense node id the store now assigns each key at its first
    // paired deal, in pairing order (`node`, NULL until then; unique). Rows written before have
    // no node ids and the stored checkpoint is in the old (key-holding) format, so both are
    // dropped and the projection is marked not built: the app rebuilds it once from `events`
    // at its next open (`rep_rebuild`, which also assigns the ids).
    r#"
    ALTER TABLE rep_keys ADD COLUMN node INTEGER;
    CREATE UNIQUE INDEX rep_keys_node ON rep_keys(node) WHERE node IS NOT NULL;
    DELETE FROM rep_checkpoint;
    DELETE FROM rep_ck_dirty;
    DELETE FROM rep_state WHERE k = 'built';
    "#,
    // v10 (issue 22): chat inside a deal, blocked
    // keys, and refused incoming messages (each recorded once, with its reason).
    r#"
    CREATE TABLE chat_messages (
        seq         INTEGER PRIMARY KEY,
        nego        TEXT    NOT NULL REFERENCES negotiations(nego) ON DELETE CASCADE,
        event_id    BLOB    NOT NULL UNIQUE,   -- NIP-17 rumor id, or the kind 4 event id
        from_me     INTEGER NOT NULL,
        ts          INTEGER NOT NULL,          -- the envelope's ts (the sender's clock)
        received_at INTEGER NOT NULL,          -- our clock
        unread      INTEGER NOT NULL,
        body        BLOB    NOT NULL           -- sealed text, AAD binds the event id
    );
    CREATE INDEX chat_messages_nego ON chat_messages(nego, seq);
    CREATE INDEX chat_messages_unread ON chat_messages(nego) WHERE unread = 1;

    CREATE TABLE blocked_keys (
        pubkey     BLOB    PRIMARY KEY,
        blocked_at INTEGER NOT NULL
    );

    CREATE TABLE refusals (
        seq      INTEGER PRIMARY KEY,
        msg_id   BLOB    NOT NULL UNIQUE,      -- rumor id, or the carrying event id
        sender   BLOB    NOT NULL,
        nego     TEXT,                          -- when the message named one of ours
        code     TEXT    NOT NULL,              -- the typed reason (app::RefusalCode)
        detail   BLOB    NOT NULL,              -- sealed: the reason in words, AAD binds msg_id
        at       INTEGER NOT NULL
    );
    CREATE INDEX refusals_nego ON refusals(nego, seq) WHERE nego IS NOT NULL;
    "#,
    // v11: other people's relay lists (issue 23). The lists themselves are events (kinds 10002
    // and 10050, newest wins); this table says when each person's lists were last looked up
    // (`checked_at`), and up to when their own events were read from their write relays
    // (`synced_until`, NULL: never).
    r#"
    CREATE TABLE peer_relays (
        pubkey       BLOB    PRIMARY KEY,
        checked_at   INTEGER,
        synced_until INTEGER
    ) WITHOUT ROWID;
    "#,
    // v12: notices and the gift wraps a background pass already opened (store/notices.rs,
    // docs/NOTIFICATIONS.md). `seq` is AUTOINCREMENT so a notice id is never reused (platforms use
    // it as the notification id); `key` makes deriving the same notice twice insert it once;
    // `body` is sealed. `processed_wraps` lets a pass skip decrypting the two days of NIP-17 wraps
    // it must re-read (their timestamps are randomised up to two days back).
    r#"
    CREATE TABLE notices (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        key          TEXT    NOT NULL UNIQUE,
        nego         TEXT,
        kind         TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        delivered_at INTEGER,
        body         BLOB    NOT NULL
    );
    CREATE INDEX notices_pending ON notices(seq) WHERE delivered_at IS NULL;
    CREATE INDEX notices_nego    ON notices(nego) WHERE delivered_at IS NULL;

    CREATE TABLE processed_wraps (
        id         BLOB    PRIMARY KEY,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX processed_wraps_time ON processed_wraps(created_at);
    "#,
    // v13 (issue #21): meetup check-ins (store/checkins.rs, docs/SAFETY.md). The user's trusted
    // contacts (local only, never published), the user's own check-ins, and the check-ins
    // contacts share with the user ("watches"). Bodies are sealed; `remind_at` / `alarm_at`
    // (NULL when nothing is pending) are when this phone must act next.
    r#"
    CREATE TABLE trusted_contacts (
        pubkey   BLOB    PRIMARY KEY,
        added_at INTEGER NOT NULL,
        body     BLOB    NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE checkins (
        id         TEXT    PRIMARY KEY,
        nego       TEXT    NOT NULL,
        open       INTEGER NOT NULL,
        remind_at  INTEGER,
        updated_at INTEGER NOT NULL,
        body       BLOB    NOT NULL
    );
    CREATE INDEX checkins_nego   ON checkins(nego);
    CREATE INDEX checkins_remind ON checkins(remind_at) WHERE remind_at IS NOT NULL;

    CREATE TABLE checkin_watches (
        sender     BLOB    NOT NULL,
        id         TEXT    NOT NULL,
        live       INTEGER NOT NULL,
        alarm_at   INTEGER,
        updated_at INTEGER NOT NULL,
        body       BLOB    NOT NULL,
        PRIMARY KEY (sender, id)
    );
    CREATE INDEX checkin_watches_alarm ON checkin_watches(alarm_at) WHERE alarm_at IS NOT NULL;
    "#,
];

/// The version whose step gave `rep_keys` node ids and dropped the old checkpoint (tests).
#[cfg(test)]
pub(crate) const REP_NODE_VERSION: u32 = 9;

/// The version whose step rebuilt `events` with the compact 8-byte-prefix indexes (tests).
#[cfg(test)]
pub(crate) const LEAN_EVENTS_VERSION: u32 = 7;

/// The version whose step replaced the `raw` event JSON with `tags`, `content` and `sig` (tests).
#[cfg(test)]
pub(crate) const LEAN_ROW_VERSION: u32 = 8;

/// The schema version this build writes.
pub const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// Reads `PRAGMA user_version`.
pub(crate) fn user_version(conn: &Connection) -> Result<u32, StoreError> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        what: format!("user_version {v} is negative"),
    })
}

/// Refuses databases written by a newer build (before anything touches them).
pub(crate) fn check_not_newer(conn: &Connection) -> Result<u32, StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(found)
}

/// Applies the steps needed to reach `target` (≤ [`SCHEMA_VERSION`]). Returns the version the
/// database was at before.
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<u32, StoreError> {
    let start = check_not_newer(conn)?;
    let mut current = start;
    while current < target {
        let step = MIGRATIONS.get(current as usize).ok_or(StoreError::TooNew {
            found: target,
            supported: SCHEMA_VERSION,
        })?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
        // Re-check inside the lock: another process may have migrated meanwhile.
        let seen = user_version(&tx)?;
        if seen != current {
            drop(tx);
            current = check_not_newer(conn)?;
            continue;
        }
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", current + 1)?;
        tx.commit()?;
        current += 1;
    }
    Ok(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tables(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    #[test]
    fn fresh_database_reaches_current_version() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(migrate_to(&mut c, SCHEMA_VERSION).unwrap(), 0);
        assert_eq!(user_version(&c).unwrap(), SCHEMA_VERSION);
        let t = tables(&c);
        for want in [
            "events",
            "messages",
            "meta",
            "negotiations",
            "notices",
            "outbox",
            "processed_wraps",
            "profile_history",
            "rep_checkpoint",
            "rep_ck_dirty",
            "rep_deals",
            "rep_follows",
            "rep_halves",
            "rep_keys",
            "rep_ratings",
            "rep_state",
            "settings",
            "chat_messages",
            "blocked_keys",
            "refusals",
            "sync_cursors",
            "trusted_contacts",
            "checkins",
            "checkin_watches",
            "used_nonces",
        ] {
            assert!(t.iter().any(|n| n == want), "missing table {want}: {t:?}");
        }
        // Idempotent.
        assert_eq!(migrate_to(&mut c, SCHEMA_VERSION).unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn upgrades_from_every_older_version_keep_data() {
        for from in 1..SCHEMA_VERSION {
            let mut c = Connection::open_in_memory().unwrap();
            migrate_to(&mut c, from).unwrap();
            assert_eq!(user_version(&c).unwrap(), from);
            c.execute(
                "INSERT INTO settings(k, v) VALUES ('probe', ?1)",
                [from.to_string()],
            )
            .unwrap();
            assert_eq!(migrate_to(&mut c, SCHEMA_VERSION).unwrap(), from);
            assert_eq!(user_version(&c).unwrap(), SCHEMA_VERSION);
            let v: String = c
                .query_row("SELECT v FROM settings WHERE k='probe'", [], |r| r.get(0))
                .unwrap();
            assert_eq!(v, from.to_string());
            assert!(tables(&c).iter().any(|n| n == "profile_history"));
        }
    }

    fn indexes(conn: &Connection) -> Vec<String> {
        let mut st = conn
            .prepare("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name='events'")
            .unwrap();
        st.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn plan(conn: &Connection, sql: &str) -> String {
        let mut st = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        st.query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap()
            .join("; ")
    }

    #[test]
    fn v5_drops_only_the_kind_d_index_and_queries_keep_an_index() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 4).unwrap();
        assert!(indexes(&c).iter().any(|n| n == "events_kind_d"));
        migrate_to(&mut c, 5).unwrap();
        let idx = indexes(&c);
        assert!(!idx.iter().any(|n| n == "events_kind_d"), "{idx:?}");
        for keep in [
            "events_kind_time",
            "events_author_kind",
            "events_address",
            "events_p_kind",
        ] {
            assert!(idx.iter().any(|n| n == keep), "missing {keep}: {idx:?}");
        }
        // The newest-wins lookup of the insert path and a `d`-only query both use an index.
        let lookup = plan(
            &c,
            "SELECT seq FROM events WHERE kind = 1 AND pubkey = x'00' AND d = ''",
        );
        assert!(lookup.contains("events_address"), "{lookup}");
        let by_d = plan(
            &c,
            "SELECT raw FROM events WHERE kind IN (32104) AND d IN ('n') \
             ORDER BY created_at DESC, id ASC LIMIT 10",
        );
        assert!(by_d.contains("USING INDEX"), "{by_d}");
    }

    #[test]
    fn v9_gives_rep_keys_node_ids_and_drops_the_old_checkpoint_and_built_mark() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, REP_NODE_VERSION - 1).unwrap();
        c.execute_batch(
            "INSERT INTO rep_keys (id, pubkey, first_seen) VALUES (1, x'01', 5), (2, x'02', NULL);
             INSERT INTO rep_deals (seq, deal, a, b, tier) VALUES (1, x'0a', 1, 2, 1);
             INSERT INTO rep_checkpoint (id, deal_seq, key_id, data) VALUES (1, 1, 2, x'00ff');
             INSERT INTO rep_ck_dirty (kind, id) VALUES (0, 1), (1, 1);
             INSERT INTO rep_state (k, v) VALUES ('built', 1), ('inflight', 0);",
        )
        .unwrap();
        migrate_to(&mut c, REP_NODE_VERSION).unwrap();
        let count = |sql: &str| -> i64 { c.query_row(sql, [], |r| r.get(0)).unwrap() };
        // Rows stay (the rebuild clears them); node ids start unassigned.
        assert_eq!(count("SELECT COUNT(*) FROM rep_keys WHERE node IS NULL"), 2);
        assert_eq!(count("SELECT COUNT(*) FROM rep_deals"), 1);
        assert_eq!(count("SELECT COUNT(*) FROM rep_checkpoint"), 0);
        assert_eq!(count("SELECT COUNT(*) FROM rep_ck_dirty"), 0);
        assert_eq!(count("SELECT COUNT(*) FROM rep_state WHERE k = 'built'"), 0);
        // Node ids are unique; any number of keys may have none.
        c.execute("UPDATE rep_keys SET node = 0 WHERE id = 1", [])
            .unwrap();
        assert!(
            c.execute("UPDATE rep_keys SET node = 0 WHERE id = 2", [])
                .is_err()
        );
        c.execute("INSERT INTO rep_keys (pubkey) VALUES (x'03'), (x'04')", [])
            .unwrap();
        // The directory's lookup by node and the next-id query use the index.
        let by_node = plan(&c, "SELECT pubkey FROM rep_keys WHERE node = 7");
        assert!(by_node.contains("rep_keys_node"), "{by_node}");
        let next = plan(
            &c,
            "SELECT COALESCE(MAX(node), -1) + 1 FROM rep_keys WHERE node IS NOT NULL",
        );
        assert!(next.contains("rep_keys_node"), "{next}");
    }

    #[test]
    fn newer_database_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        assert!(matches!(
            migrate_to(&mut c, SCHEMA_VERSION),
            Err(StoreError::TooNew { found, supported })
                if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION
        ));
        assert!(tables(&c).is_empty());
    }

    #[test]
    fn a_failing_step_leaves_the_previous_version() {
        let mut c = Connection::open_in_memory().unwrap();
        migrate_to(&mut c, 1).unwrap();
        // Sabotage: a table v2 wants to create already exists.
        c.execute_batch("CREATE TABLE outbox (x INTEGER)").unwrap();
        assert!(migrate_to(&mut c, SCHEMA_VERSION).is_err());
        assert_eq!(user_version(&c).unwrap(), 1);
        assert!(!tables(&c).iter().any(|n| n == "negotiations"));
    }
}
