//! Store layer: the local SQLite database (see `docs/STORE.md`).
//!
//! One file, WAL journal, `synchronous=NORMAL` (a committed transaction survives a process kill;
//! only an OS crash can lose the last few), foreign keys on, a busy timeout. WAL checkpoints (the
//! copy back into the database file and its fsyncs) run on a background thread with its own
//! connection, woken after each write transaction, so a writer never waits for the disk
//! ([`Checkpointer`]); the writer's own auto-checkpoint stays on as a backstop. The schema is
//! versioned with `PRAGMA user_version` ([`schema`]); a database written by a newer build is
//! refused with [`StoreError::TooNew`] and left untouched.
//!
//! Public events are stored in plain columns (tags as JSON; schema v8). Private data (negotiation terms and contact details,
//! decrypted messages) is sealed per value with XChaCha20-Poly1305 under a data key kept in the
//! [`SecretStore`], never in the database ([`crypto`]).
//!
//! Every operation is available on [`StoreTx`]; [`Store::transaction`] runs several of them
//! atomically (e.g. the meetup co-sign: use the nonce, enqueue both receipt halves, update the
//! negotiation). The convenience methods on [`Store`] each run in their own transaction.

mod checkins;
mod crypto;
mod directory;
mod events;
mod inbox;
mod notices;
mod outbox;
mod peers;
mod records;
mod rep;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use nostr::{Event, EventId, PublicKey};
use rusqlite::{Connection, OpenFlags, OptionalExtension, TransactionBehavior};

use crate::identity::{SecretStore, SecretStoreError};
use crate::protocol::NegoId;
use crate::protocol::receipt::MeetNonce;

pub use checkins::{CheckinRow, TrustedRow, WatchRow};
pub use crypto::{DATA_KEY_ENTRY, DataKey};
pub use directory::StoreDirectory;
pub use events::{
    EventQuery, InsertReport, MAX_QUERY_LIMIT, MAX_QUERY_VALUES, PROFILE_HISTORY_LEN,
};
pub use inbox::{ChatInsert, ChatRecord, MAX_CHAT_PER_DEAL, MAX_REFUSALS, RefusalRecord};
pub use notices::{MAX_ACK_IDS, NoticeInsert, NoticeRow};
pub use outbox::OutboxEntry;
pub use peers::{MAX_PEER_BATCH, PeerRelayMarks};
pub use records::{MessageInsert, MessageRecord, NegotiationRecord};
pub use rep::RepStatus;
pub use schema::SCHEMA_VERSION;

/// How long a connection waits for another writer before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

const KEY_CHECK_ROW: &str = "data_key_check";
const KEY_CHECK_PLAIN: &[u8] = b"freeport data key check v1";

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The database was written by a newer build; it was not modified.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    TooNew { found: u32, supported: u32 },
    /// This meetup nonce was already consumed.
    #[error("meet nonce already used at {used_at}")]
    NonceUsed { used_at: u64 },
    /// The data key in the secret store does not open this database.
    #[error("the data key does not match this database")]
    WrongDataKey,
    /// The database has encrypted data but the secret store has no data key for it.
    #[error("the database's data key is missing from the secret store (`{DATA_KEY_ENTRY}`)")]
    DataKeyMissing,
    /// The stored data key has the wrong length.
    #[error("data key must be 32 bytes, found {len}")]
    DataKeyInvalid { len: usize },
    /// The secret store failed.
    #[error("secret store: {0}")]
    SecretStore(#[from] SecretStoreError),
    /// A sealed column failed to decrypt (wrong key, value moved between rows, tampering).
    #[error("{table}.{column}: {reason}")]
    Crypto {
        table: &'static str,
        column: &'static str,
        reason: String,
    },
    /// A row does not have the shape this build wrote.
    #[error("corrupt data: {what}")]
    Corrupt { what: String },
    /// An input value is outside what the store accepts.
    #[error("`{field}`: {rule}")]
    InvalidInput { field: &'static str, rule: String },
    /// A referenced row does not exist.
    #[error("{what} `{key}` not found")]
    NotFound { what: &'static str, key: String },
    /// A previous panic poisoned the connection lock.
    #[error("store lock poisoned by an earlier panic")]
    Poisoned,
}

/// Converts a u64 timestamp/count to SQLite's i64, refusing values that do not fit.
pub(crate) fn to_i64(field: &'static str, v: u64) -> Result<i64, StoreError> {
    i64::try_from(v).map_err(|_| StoreError::InvalidInput {
        field,
        rule: format!("{v} exceeds the largest storable integer"),
    })
}

/// Converts a stored i64 back to u64 (negative values are corruption).
pub(crate) fn to_u64(field: &'static str, v: i64) -> Result<u64, StoreError> {
    u64::try_from(v).map_err(|_| StoreError::Corrupt {
        what: format!("{field} is negative ({v})"),
    })
}

/// WAL size (pages) at which the writer checkpoints by itself: only reached if the background
/// [`Checkpointer`] is missing or cannot keep up (SQLite's default is 1 000).
const BACKSTOP_AUTOCHECKPOINT_PAGES: u32 = 8_192;

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` on its own thread and connection each time a write
/// transaction committed (wake-ups that arrive while one runs are merged into the next).
///
/// A passive checkpoint never blocks the writer or readers; it fsyncs the WAL, copies committed
/// pages into the database file and fsyncs that. Running it right after commits also makes
/// committed data durable against an OS crash sooner than SQLite's default (every 1 000 pages).
struct Checkpointer {
    wake: Option<SyncSender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread, or `None` (with a warning) if it cannot: the writer then checkpoints
    /// itself as SQLite normally does.
    fn start(path: &Path) -> Option<Self> {
        let conn = match Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .and_then(|c| c.busy_timeout(BUSY_TIMEOUT).map(|()| c))
        {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("no background checkpointer (open failed: {e})");
                return None;
            }
        };
        let (wake, rx) = mpsc::sync_channel::<()>(1);
        let spawned = std::thread::Builder::new()
            .name("freeport-wal-checkpoint".into())
            .spawn(move || {
                for () in rx {
                    if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
                    {
                        tracing::warn!("background WAL checkpoint failed: {e}");
                    }
                }
            });
        match spawned {
            Ok(thread) => Some(Self {
                wake: Some(wake),
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::warn!("no background checkpointer (spawn failed: {e})");
                None
            }
        }
    }

    /// Asks for a checkpoint; never blocks (a pending request already covers this commit).
    fn wake(&self) {
        if let Some(w) = &self.wake {
            // Full: a request is pending and covers this commit. Disconnected: shutting down.
            let _ = w.try_send(());
        }
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        // Closing the channel ends the thread after its current checkpoint; joining closes its
        // connection before the writer's, whose close then runs the final checkpoint.
        self.wake = None;
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("background WAL checkpointer panicked");
        }
    }
}

/// The local database.
pub struct Store {
    conn: Mutex<Connection>,
    key: DataKey,
    path: PathBuf,
    /// `None` for an in-memory database, or if the thread could not start.
    checkpointer: Option<Checkpointer>,
}

impl Drop for Store {
    fn drop(&mut self) {
        // Stop the checkpointer (and close its connection) before the writer connection closes.
        self.checkpointer = None;
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Opens the connection, refuses newer schemas before touching anything, then configures and
/// migrates.
fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let mut conn = Connection::open(path)?;
    // Read-only check first: a database from a newer build must not be modified at all (even
    // switching the journal mode writes the header).
    schema::check_not_newer(&conn)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") && path != Path::new(":memory:") {
        return Err(StoreError::Corrupt {
            what: format!("could not enable WAL (journal_mode is {mode})"),
        });
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    schema::migrate_to(&mut conn, schema::SCHEMA_VERSION)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating if needed) the database at `path`, with the data key from `secrets`.
    ///
    /// A new database gets a fresh data key, saved to `secrets` under [`DATA_KEY_ENTRY`] before
    /// anything is encrypted with it. An existing database whose key is missing is
    /// [`StoreError::DataKeyMissing`]; a key that does not match is [`StoreError::WrongDataKey`].
    pub fn open(path: impl AsRef<Path>, secrets: &dyn SecretStore) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path)?;
        let has_check = Self::key_check(&conn)?.is_some();
        let key = match (DataKey::load(secrets)?, has_check) {
            (Some(k), _) => k,
            (None, true) => return Err(StoreError::DataKeyMissing),
            (None, false) => {
                let k = DataKey::generate();
                k.save(secrets)?;
                k
            }
        };
        Self::finish_open(conn, key, path)
    }

    /// Opens the database at `path` with an explicit data key (tests, tools).
    pub fn open_with_key(path: impl AsRef<Path>, key: DataKey) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let conn = open_connection(&path)?;
        Self::finish_open(conn, key, path)
    }

    fn key_check(conn: &Connection) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(conn
            .query_row("SELECT v FROM meta WHERE k = ?1", [KEY_CHECK_ROW], |r| {
                r.get(0)
            })
            .optional()?)
    }

    fn finish_open(conn: Connection, key: DataKey, path: PathBuf) -> Result<Self, StoreError> {
        match Self::key_check(&conn)? {
            Some(sealed) => match key.open("meta", "v", KEY_CHECK_ROW, &sealed) {
                Ok(p) if p.as_slice() == KEY_CHECK_PLAIN => {}
                _ => return Err(StoreError::WrongDataKey),
            },
            None => {
                let sealed = key.seal("meta", "v", KEY_CHECK_ROW, KEY_CHECK_PLAIN)?;
                conn.execute(
                    "INSERT INTO meta(k, v) VALUES (?1, ?2)",
                    rusqlite::params![KEY_CHECK_ROW, sealed],
                )?;
            }
        }
        let checkpointer = if path == Path::new(":memory:") {
            None
        } else {
            Checkpointer::start(&path)
        };
        if checkpointer.is_some() {
            conn.pragma_update(None, "wal_autocheckpoint", BACKSTOP_AUTOCHECKPOINT_PAGES)?;
        }
        Ok(Self {
            conn: Mutex::new(conn),
            key,
            path,
            checkpointer,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>, StoreError> {
        self.conn.lock().map_err(|_| StoreError::Poisoned)
    }

    /// Runs `f` in one write transaction: everything it did is committed together if it returns
    /// `Ok`, and nothing is if it returns `Err`.
    pub fn transaction<T>(
        &self,
        f: impl FnOnce(&StoreTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&StoreTx {
            conn: &tx,
            key: &self.key,
        })?;
        tx.commit()?;
        drop(conn);
        if let Some(c) = &self.checkpointer {
            c.wake();
        }
        Ok(out)
    }

    fn read<T>(
        &self,
        f: impl FnOnce(&StoreTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.lock()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
        let out = f(&StoreTx {
            conn: &tx,
            key: &self.key,
        })?;
        tx.commit()?;
        Ok(out)
    }

    /// Inserts verified events in one transaction (see [`StoreTx::insert_events`]).
    pub fn insert_events(&self, events: &[Event]) -> Result<InsertReport, StoreError> {
        self.transaction(|tx| tx.insert_events(events))
    }

    /// Events matching `q`, newest first (see [`StoreTx::query_events`]).
    pub fn query_events(&self, q: &EventQuery) -> Result<Vec<Event>, StoreError> {
        self.read(|tx| tx.query_events(q))
    }

    /// One event by id.
    pub fn get_event(&self, id: &EventId) -> Result<Option<Event>, StoreError> {
        self.read(|tx| tx.get_event(id))
    }

    /// Number of stored events.
    pub fn event_count(&self) -> Result<u64, StoreError> {
        self.read(|tx| tx.event_count())
    }

    /// Superseded kind-0 profiles of `author`, newest first (at most [`PROFILE_HISTORY_LEN`]).
    pub fn profile_history(&self, author: &PublicKey) -> Result<Vec<Event>, StoreError> {
        self.read(|tx| tx.profile_history(author))
    }

    /// Queues a signed event for publishing (idempotent by id). `true` if newly queued.
    pub fn outbox_enqueue(&self, event: &Event) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.outbox_enqueue(event))
    }

    /// Entries whose next attempt is due at `now`, oldest due first.
    pub fn outbox_due(&self, now: u64, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|tx| tx.outbox_due(now, limit))
    }

    /// A relay accepted the event: it leaves the outbox. `true` if it was queued.
    pub fn outbox_record_accept(&self, id: &EventId, relay_url: &str) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.outbox_record_accept(id, relay_url))
    }

    /// A relay refused or timed out: count the attempt and schedule the next one.
    pub fn outbox_record_failure(
        &self,
        id: &EventId,
        relay_url: &str,
        reason: &str,
        next_attempt_at: u64,
    ) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.outbox_record_failure(id, relay_url, reason, next_attempt_at))
    }

    /// Everything still queued, in enqueue order.
    pub fn outbox_list(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.read(|tx| tx.outbox_list())
    }

    /// Consumes a meetup nonce; [`StoreError::NonceUsed`] if it was already used.
    pub fn use_nonce(&self, nonce: &MeetNonce, nego: &NegoId, now: u64) -> Result<(), StoreError> {
        self.transaction(|tx| tx.use_nonce(nonce, nego, now))
    }

    /// `true` if the nonce was consumed.
    pub fn is_nonce_used(&self, nonce: &MeetNonce) -> Result<bool, StoreError> {
        Ok(self.read(|tx| tx.nonce_used_at(nonce))?.is_some())
    }

    /// When the nonce was consumed, if it was.
    pub fn nonce_used_at(&self, nonce: &MeetNonce) -> Result<Option<u64>, StoreError> {
        self.read(|tx| tx.nonce_used_at(nonce))
    }

    /// Records a meetup co-sign atomically: consumes `nonce`, queues `events` (both receipt
    /// halves) and writes `negotiation`. Nothing happens if the nonce was already used.
    pub fn record_meet(
        &self,
        nonce: &MeetNonce,
        now: u64,
        events: &[Event],
        negotiation: &NegotiationRecord,
    ) -> Result<(), StoreError> {
        self.transaction(|tx| {
            tx.use_nonce(nonce, &negotiation.nego, now)?;
            for e in events {
                tx.outbox_enqueue(e)?;
            }
            tx.upsert_negotiation(negotiation)
        })
    }

    /// Inserts or replaces a negotiation (its `detail` is sealed).
    pub fn upsert_negotiation(&self, rec: &NegotiationRecord) -> Result<(), StoreError> {
        self.transaction(|tx| tx.upsert_negotiation(rec))
    }

    /// One negotiation, decrypted.
    pub fn get_negotiation(&self, nego: &NegoId) -> Result<Option<NegotiationRecord>, StoreError> {
        self.read(|tx| tx.get_negotiation(nego))
    }

    /// All negotiations on an intent, most recently updated first.
    pub fn negotiations_for_intent(
        &self,
        intent_id: &EventId,
    ) -> Result<Vec<NegotiationRecord>, StoreError> {
        self.read(|tx| tx.negotiations_for_intent(intent_id))
    }

    /// All negotiations, most recently updated first.
    pub fn list_negotiations(&self) -> Result<Vec<NegotiationRecord>, StoreError> {
        self.read(|tx| tx.list_negotiations())
    }

    /// Stores a decrypted negotiation message; replays are reported, not stored.
    pub fn insert_message(&self, msg: &MessageRecord) -> Result<MessageInsert, StoreError> {
        self.transaction(|tx| tx.insert_message(msg))
    }

    /// Messages of a negotiation, oldest first.
    pub fn messages_for(&self, nego: &NegoId) -> Result<Vec<MessageRecord>, StoreError> {
        self.read(|tx| tx.messages_for(nego))
    }

    /// Stores a chat message of a deal (see [`StoreTx::insert_chat`]).
    pub fn insert_chat(&self, c: &ChatRecord) -> Result<ChatInsert, StoreError> {
        self.transaction(|tx| tx.insert_chat(c))
    }

    /// The chat of a deal, in arrival order.
    pub fn chat_for(&self, nego: &NegoId) -> Result<Vec<ChatRecord>, StoreError> {
        self.read(|tx| tx.chat_for(nego))
    }

    /// Their unread messages in a deal.
    pub fn chat_unread(&self, nego: &NegoId) -> Result<u32, StoreError> {
        self.read(|tx| tx.chat_unread(nego))
    }

    /// Marks a deal's chat read; returns how many messages were unread.
    pub fn chat_mark_read(&self, nego: &NegoId) -> Result<u32, StoreError> {
        self.transaction(|tx| tx.chat_mark_read(nego))
    }

    /// Blocks a key.
    pub fn block_key(&self, key: &PublicKey, at: u64) -> Result<(), StoreError> {
        self.transaction(|tx| tx.block_key(key, at))
    }

    /// Unblocks a key; `true` if it was blocked.
    pub fn unblock_key(&self, key: &PublicKey) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.unblock_key(key))
    }

    /// Every blocked key, oldest block first.
    pub fn blocked_keys(&self) -> Result<Vec<(PublicKey, u64)>, StoreError> {
        self.read(|tx| tx.blocked_keys())
    }

    /// Records a refused incoming message once; `false` if it was already recorded.
    pub fn record_refusal(&self, r: &RefusalRecord) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.record_refusal(r))
    }

    /// `true` if the message was refused before.
    pub fn is_refused(&self, msg_id: &EventId) -> Result<bool, StoreError> {
        self.read(|tx| tx.is_refused(msg_id))
    }

    /// How many refusals concern a deal.
    pub fn refusal_count(&self, nego: &NegoId) -> Result<u32, StoreError> {
        self.read(|tx| tx.refusal_count(nego))
    }

    /// Refusals, newest first (all, or those about one deal).
    pub fn refusals(&self, nego: Option<&NegoId>) -> Result<Vec<RefusalRecord>, StoreError> {
        self.read(|tx| tx.refusals(nego))
    }

    /// A setting's value.
    pub fn setting_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.read(|tx| tx.setting_get(key))
    }

    /// Sets a setting.
    pub fn setting_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.transaction(|tx| tx.setting_set(key, value))
    }

    /// The last `created_at` seen on a subscription.
    pub fn sync_cursor_get(&self, sub_key: &str) -> Result<Option<u64>, StoreError> {
        self.read(|tx| tx.sync_cursor_get(sub_key))
    }

    /// Moves a subscription cursor forward (never backward); returns the stored value.
    pub fn sync_cursor_advance(&self, sub_key: &str, created_at: u64) -> Result<u64, StoreError> {
        self.transaction(|tx| tx.sync_cursor_advance(sub_key, created_at))
    }
}

/// A handle on one open transaction; every store operation is available here.
pub struct StoreTx<'a> {
    conn: &'a Connection,
    key: &'a DataKey,
}

impl std::fmt::Debug for StoreTx<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreTx")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn committed_writes_reach_the_database_file_without_the_writer_checkpointing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("ckpt.db");
        let s = Store::open_with_key(&path, DataKey::generate()).expect("store");
        assert!(s.checkpointer.is_some());
        let len = || std::fs::metadata(&path).expect("metadata").len();
        let before = len();
        let value = "x".repeat(4_000);
        for i in 0..25 {
            s.setting_set(&format!("k{i}"), &value).expect("set");
        }
        // ~25 pages: far below the writer's own auto-checkpoint, so only the background thread
        // can have copied them into the main file. (A deadline for liveness, not a speed test.)
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while len() < before + 25 * 4_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(len() >= before + 25 * 4_000, "{before} -> {}", len());
        // Closing stops the thread; the data is there on reopen.
        let key = s.key.clone();
        drop(s);
        let s = Store::open_with_key(&path, key).expect("reopen");
        assert_eq!(s.setting_get("k24").expect("get"), Some(value));
    }
}
