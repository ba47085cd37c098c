//! Use cases: the one place that orchestrates the pure modules (protocol, negotiation, meet,
//! reputation, contact) with the store, the secret store and the relays. The CLI and the UniFFI
//! facade call only this layer; they hold no business logic.
//!
//! One [`App`] is one user on one device: a data directory (SQLite store), a [`SecretStore`]
//! (identity, data key, private contact), and a relay client once [`App::start_network`] ran.

mod caps;
pub mod checkins;
mod conversation;
mod deals;
mod ingest;
mod intents;
mod meetup;
pub mod notices;
pub mod pass;
mod profile;
mod rate;
pub mod refusal;
mod relays;
mod screen;
pub mod views;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nostr::{Event, EventId, Keys, PublicKey};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::contact::{ContactError, PhoneError};
use crate::identity::{self, IdentityError, SecretStore, SecretStoreError};
use crate::meet::{MeetError, MeetPolicy, MeetSession};
use crate::negotiation::NegotiationError;
use crate::protocol::market::MarketRegistry;
use crate::protocol::{NegoId, ProtocolError};
use crate::relay::{
    OutboxItem, OutboxStore, RelayClient, RelayConfig, RelayError, StoreError as OutboxError,
};
use crate::reputation::{Params, Reputation, ReputationError};
use crate::store::{Store, StoreError};

pub use crate::checkin::{CheckinAction, CheckinPolicy, CheckinState};
pub use checkins::{
    CheckinAlert, CheckinDelivery, CheckinMeetingView, CheckinPersonView, CheckinScreeningView,
    CheckinShare, CheckinView, DealCheckinView, MAX_TRUSTED_CONTACTS, TrustedContactView,
    WatchedCheckinView,
};
pub use deals::Response;
pub use intents::{MAX_INTENTS_PER_AUTHOR, Payload, PostIntent, WITHDRAWN_REASON, market_views};
pub use meetup::ScanInput;
pub use notices::{
    MAX_NOTICES_PER_CALL, MeetStep, Notice, NoticeChannel, NoticeDeal, NoticeKind, NoticeSettings,
};
pub use pass::{PassOutcome, PassReport};
pub use profile::{CONTACT_ENTRY, FULL_NUMBER_WARNING, ProfileUpdate};
pub use rate::RateInput;
pub use refusal::{Refusal, refusal_of};
pub use relays::{
    LIST_TTL_SECS, MAX_LINK_HINTS, MAX_SYNC_PEERS, RelayFileImport, RelaySettingsView,
    describe_violations,
};
pub use screen::{EvaluationStats, screen_events, screening_view};
pub use views::*;

/// File name of the SQLite store inside the data directory.
pub const DB_FILE: &str = "freeport.db";

/// How far back a restarted client re-reads direct messages before its last-seen cursor
/// (relays and clocks disagree; replays are harmless, the negotiation ledger drops them).
pub const SYNC_OVERLAP_SECS: u64 = 15 * 60;

/// Settings of one [`App`].
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Where the store (and nothing secret) lives.
    pub data_dir: PathBuf,
    /// Read and write relays for this run (the CLI's `--relay`); empty: the saved relay
    /// settings. When nothing is saved yet they are also the first settings (read, write and
    /// inbox); with neither, the shipped defaults (`assets/relays.json`).
    pub relays: Vec<String>,
    /// Index relays: our relay lists are published there too and other people's looked up
    /// there (connected on demand). Empty: only our own relays.
    pub index_relays: Vec<String>,
    /// NIP-13 proof of work on intents (reference: 12 bits).
    pub intent_pow_bits: u8,
    /// NIP-13 proof of work on ratings (reference: 8 bits).
    pub rating_pow_bits: u8,
    /// Precision of the `g` tags published with an intent (reference: 5, about ±2.4 km).
    pub geohash_precision: u8,
    /// ISO region for phone numbers typed in national format, e.g. `SG`.
    pub default_region: Option<String>,
    /// Meet code rotation / TTL / clock skew.
    pub meet: MeetPolicy,
    /// Reputation constants.
    pub reputation: Params,
    /// How long a one-shot query waits for relays.
    pub query_timeout: Duration,
    /// While online, how often to catch up from the relays as `sync` does (`None`: only on
    /// demand). The live stream alone can miss events: a relay may skip deliveries to a slow
    /// connection, or drop them under load, and nothing else would ever fetch them.
    pub catch_up_every: Option<Duration>,
    /// Check-in time rules (grace before a contact's alert, reminder lead, deadline limits).
    pub checkin: CheckinPolicy,
}

/// Default period of the background catch-up while online.
pub const DEFAULT_CATCH_UP_EVERY: Duration = Duration::from_secs(120);

impl AppConfig {
    /// Defaults for a data directory and relay set.
    pub fn new(data_dir: impl Into<PathBuf>, relays: Vec<String>) -> Self {
        Self {
            data_dir: data_dir.into(),
            relays,
            index_relays: Vec::new(),
            intent_pow_bits: 12,
            rating_pow_bits: 8,
            geohash_precision: 5,
            default_region: None,
            meet: MeetPolicy::default(),
            reputation: Params::default(),
            query_timeout: Duration::from_secs(5),
            catch_up_every: Some(DEFAULT_CATCH_UP_EVERY),
            checkin: CheckinPolicy::default(),
        }
    }
}

/// Everything that can go wrong in a use case. Each variant carries what a UI needs to say.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AppError {
    #[error("no identity on this device yet: create one or restore a backup")]
    NoIdentity,
    #[error("not connected to any relay yet")]
    Offline,
    #[error("unknown market `{market}`")]
    UnknownMarket { market: String },
    #[error("unknown intent {id}")]
    UnknownIntent { id: String },
    #[error("unknown negotiation {nego}")]
    UnknownNegotiation { nego: String },
    /// `what` names the action for logs; `why` is the code a screen words.
    #[error("{what} is not possible: {why:?}")]
    NotPossible { what: &'static str, why: Refusal },
    /// Every rule the input broke, each on its field.
    #[error("invalid input: {}", violations_line(violations))]
    InvalidInput { violations: Vec<FieldViolation> },
    /// Relay settings were refused: every violation, each with its list and position.
    #[error("relay settings: {}", relays::describe_violations(violations))]
    InvalidRelays {
        violations: Vec<crate::relay::RelayViolation>,
    },
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    SecretStore(#[from] SecretStoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Relay(#[from] RelayError),
    #[error(transparent)]
    Negotiation(#[from] NegotiationError),
    #[error(transparent)]
    Meet(#[from] MeetError),
    #[error(transparent)]
    Phone(#[from] PhoneError),
    #[error(transparent)]
    Contact(#[from] ContactError),
    #[error(transparent)]
    Reputation(#[from] ReputationError),
    #[error("internal error: {reason}")]
    Internal { reason: String },
}

impl AppError {
    /// An invalid-input error: one rule broken on one field.
    pub fn invalid(field: impl Into<String>, rule: Rule) -> Self {
        Self::InvalidInput {
            violations: vec![FieldViolation::new(field, rule)],
        }
    }

    /// A refused action.
    pub fn refused(what: &'static str, why: Refusal) -> Self {
        Self::NotPossible { what, why }
    }
}

/// Violations as codes on one line, for logs (`title: TooLong { max: 200 }; …`). Screens and the
/// CLI word the codes themselves.
fn violations_line(v: &[FieldViolation]) -> String {
    v.iter()
        .map(|x| format!("{}: {:?}", x.field, x.rule))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Live updates for listeners (UI screens, `freeport watch`).
// A notice with a check-in alert is the large variant; events are few and short-lived (and
// mirror the FFI's enum, which cannot box).
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AppEvent {
    /// A new or updated intent arrived in a market.
    IntentSeen { market: String, intent_id: String },
    /// A negotiation changed state or terms.
    NegotiationChanged { nego: String, state: DealState },
    /// A deal was co-signed in person.
    DealMet { nego: String },
    /// New receipts/ratings/profile data changed someone's screening.
    ScreeningChanged { pubkey: String },
    /// An incoming message was refused (injection, replay of a closed thread, bad JSON…).
    /// Sent once per message (it is recorded: see `App::refusals`); `nego` when it came from
    /// the counterparty of one of our deals.
    MessageRejected {
        code: RefusalCode,
        nego: Option<String>,
    },
    /// A chat message arrived in a deal.
    ChatReceived { nego: String },
    /// Something the user should hear about happened (see [`Notice`]); written before this is
    /// sent, pending until acknowledged.
    Notice { notice: Notice },
    /// A check-in (ours, or one a contact shares) changed: refresh its screen.
    CheckinChanged { id: String },
}

struct Net {
    client: RelayClient,
    tasks: Vec<JoinHandle<()>>,
}

/// Shared state behind the [`App`] handle.
pub(crate) struct Inner {
    pub(crate) cfg: AppConfig,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) store: Arc<Store>,
    /// The markets as this user reads them: the built-in ones, localized for the locales last
    /// given to [`App::set_locales`] (their own English until then). Every view of a market —
    /// [`App::markets`], the forms, labels taken from a form — goes through [`App::market`] or
    /// [`App::market_registry`], so it is in the user's language.
    pub(crate) markets: RwLock<&'static MarketRegistry>,
    keys: RwLock<Option<Keys>>,
    net: tokio::sync::Mutex<Option<Net>>,
    pub(crate) client: RwLock<Option<RelayClient>>,
    pub(crate) rep: Mutex<Reputation>,
    /// Meet codes this device is showing, per negotiation (for return codes).
    pub(crate) shown: Mutex<HashMap<NegoId, MeetSession>>,
    /// Books of our intents as last persisted, so a message on a busy intent does not re-read
    /// and parse every thread (see `App::take_book`). Guarded by `nego_lock` for writers.
    pub(crate) books: Mutex<HashMap<EventId, crate::negotiation::IntentBook>>,
    /// Serialises negotiation read-modify-write cycles.
    pub(crate) nego_lock: tokio::sync::Mutex<()>,
    /// Blocked keys (the store's `blocked_keys`, held for the ingest path's checks).
    pub(crate) blocked: RwLock<HashSet<PublicKey>>,
    /// When the background catch-up last read people's own write relays (unix seconds).
    pub(crate) peers_read_at: Mutex<Option<u64>>,
    /// One background pass at a time.
    pub(crate) pass_lock: tokio::sync::Mutex<()>,
    /// Wakes the online check-in clock (a check-in arrived or changed).
    pub(crate) checkin_wake: tokio::sync::Notify,
    pub(crate) events: broadcast::Sender<AppEvent>,
}

/// One user on one device. Cheap to clone (a handle).
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("data_dir", &self.inner.cfg.data_dir)
            .finish_non_exhaustive()
    }
}

/// Current unix time in seconds.
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The SQLite store is the durable outbox of the relay client.
struct StoreOutbox(Arc<Store>);

impl OutboxStore for StoreOutbox {
    fn outbox_enqueue(&self, event: &Event) -> Result<(), OutboxError> {
        self.0
            .outbox_enqueue(event)
            .map(|_| ())
            .map_err(OutboxError::new)
    }

    fn outbox_due(&self, now: u64, limit: usize) -> Result<Vec<OutboxItem>, OutboxError> {
        // The publisher asks for `u64::MAX` ("everything, ignore backoff") after a reconnect;
        // SQLite integers are signed 64-bit.
        let now = now.min(i64::MAX as u64);
        Ok(self
            .0
            .outbox_due(now, limit)
            .map_err(OutboxError::new)?
            .into_iter()
            .map(|e| OutboxItem {
                event: e.event,
                attempts: e.attempts,
                next_attempt_at: e.next_attempt_at,
                last_error: e.last_error,
            })
            .collect())
    }

    fn outbox_record_accept(&self, id: &EventId, relay_url: &str) -> Result<(), OutboxError> {
        self.0
            .outbox_record_accept(id, relay_url)
            .map(|_| ())
            .map_err(OutboxError::new)
    }

    fn outbox_record_failure(
        &self,
        id: &EventId,
        relay_url: &str,
        reason: &str,
        next_attempt_at: u64,
    ) -> Result<(), OutboxError> {
        self.0
            .outbox_record_failure(id, relay_url, reason, next_attempt_at)
            .map(|_| ())
            .map_err(OutboxError::new)
    }
}

impl App {
    /// Opens (or creates) the data directory and the store, loads the identity if the secret
    /// store has one, and loads the reputation graph (persisted projection, else a rebuild from
    /// stored events). No network yet.
    pub fn open(cfg: AppConfig, secrets: Arc<dyn SecretStore>) -> Result<Self, AppError> {
        std::fs::create_dir_all(&cfg.data_dir).map_err(|e| AppError::Internal {
            reason: format!("cannot create {}: {e}", cfg.data_dir.display()),
        })?;
        let store = Arc::new(Store::open(cfg.data_dir.join(DB_FILE), secrets.as_ref())?);
        let keys = identity::Identity::load(secrets.as_ref())?.map(|id| id.keys().clone());
        let rep = Reputation::with_directory(
            cfg.reputation.clone(),
            Arc::new(crate::store::StoreDirectory::new(store.clone())),
        )?;
        let blocked: HashSet<PublicKey> =
            store.blocked_keys()?.into_iter().map(|(k, _)| k).collect();
        let (events, _) = broadcast::channel(256);
        let app = Self {
            inner: Arc::new(Inner {
                cfg,
                secrets,
                store,
                markets: RwLock::new(crate::protocol::market::builtin()),
                keys: RwLock::new(keys),
                net: tokio::sync::Mutex::new(None),
                client: RwLock::new(None),
                rep: Mutex::new(rep),
                shown: Mutex::new(HashMap::new()),
                books: Mutex::new(HashMap::new()),
                nego_lock: tokio::sync::Mutex::new(()),
                blocked: RwLock::new(blocked),
                peers_read_at: Mutex::new(None),
                pass_lock: tokio::sync::Mutex::new(()),
                checkin_wake: tokio::sync::Notify::new(),
                events,
            }),
        };
        app.load_reputation()?;
        // Alarms that rang while the app was closed (a contact's overdue check-in, our reminder).
        if let Err(e) = app.checkin_tick() {
            tracing::warn!("check-in alarms not checked: {e}");
        }
        Ok(app)
    }

    /// The configuration this app runs with.
    pub fn config(&self) -> &AppConfig {
        &self.inner.cfg
    }

    /// Subscribes to live updates.
    pub fn subscribe(&self) -> broadcast::Receiver<AppEvent> {
        self.inner.events.subscribe()
    }

    pub(crate) fn emit(&self, ev: AppEvent) {
        let _ = self.inner.events.send(ev);
    }

    // ---- identity ---------------------------------------------------------------------------

    /// `true` once an identity exists on this device.
    pub fn has_identity(&self) -> bool {
        self.inner.keys.read().map(|k| k.is_some()).unwrap_or(false)
    }

    pub(crate) fn keys(&self) -> Result<Keys, AppError> {
        self.inner
            .keys
            .read()
            .ok()
            .and_then(|k| k.clone())
            .ok_or(AppError::NoIdentity)
    }

    /// Our public key.
    pub fn public_key(&self) -> Result<PublicKey, AppError> {
        Ok(self.keys()?.public_key())
    }

    /// Creates a fresh identity in the secret store (fails if one exists).
    pub fn create_identity(&self) -> Result<PublicKey, AppError> {
        let id = identity::Identity::create(self.inner.secrets.as_ref())?;
        let pk = id.public_key();
        self.set_keys(id.keys().clone());
        Ok(pk)
    }

    /// Restores an identity from an NIP-49 `ncryptsec` backup. A wrong passphrase changes
    /// nothing.
    pub fn restore_identity(
        &self,
        ncryptsec: &str,
        passphrase: &str,
    ) -> Result<PublicKey, AppError> {
        let violations =
            identity::passphrase_violations(passphrase, None, identity::PassphrasePurpose::Restore);
        if !violations.is_empty() {
            return Err(AppError::InvalidInput { violations });
        }
        let id = identity::Identity::restore_from_ncryptsec(
            self.inner.secrets.as_ref(),
            ncryptsec,
            passphrase,
            identity::DecryptCost::Default,
        )?;
        let pk = id.public_key();
        self.set_keys(id.keys().clone());
        self.rebuild_reputation()?;
        Ok(pk)
    }

    /// Exports an NIP-49 encrypted backup of the secret key. The passphrase must follow the
    /// backup rule ([`identity::passphrase_violations`]); a refused one changes nothing.
    pub fn export_backup(&self, passphrase: &str) -> Result<String, AppError> {
        let violations = identity::passphrase_violations(
            passphrase,
            None,
            identity::PassphrasePurpose::NewBackup,
        );
        if !violations.is_empty() {
            return Err(AppError::InvalidInput { violations });
        }
        let id = identity::Identity::require(self.inner.secrets.as_ref())?;
        Ok(id.export_ncryptsec(passphrase, identity::DEFAULT_LOG_N)?)
    }

    fn set_keys(&self, keys: Keys) {
        if let Ok(mut k) = self.inner.keys.write() {
            *k = Some(keys);
        }
    }

    // ---- network ----------------------------------------------------------------------------

    /// Connects to our relays (read, write and inbox: [`App::relay_settings`], or this run's
    /// `AppConfig::relays`), starts the ingest loop and the outbox publisher, and subscribes to
    /// our direct messages (from the last-seen cursor minus an overlap window) and to the public
    /// events reputation needs. Idempotent.
    pub async fn start_network(&self) -> Result<(), AppError> {
        let mut net = self.inner.net.lock().await;
        if net.is_some() {
            return Ok(());
        }
        let keys = self.keys()?;
        let run = self.run_relays()?;
        let mut rc = RelayConfig::with_roles(run.read, run.write, run.inbox, run.index);
        rc.outbox_poll = Duration::from_secs(5);
        let (client, incoming) =
            RelayClient::start(keys, rc, Arc::new(StoreOutbox(self.inner.store.clone()))).await?;
        // Messages an earlier run left in the outbox go where they were meant to.
        if let Err(e) = self.load_peer_relays_into(&client) {
            tracing::warn!("stored relay lists not loaded: {e}");
        }
        if let Ok(mut c) = self.inner.client.write() {
            *c = Some(client.clone());
        }
        let tasks = ingest::spawn_loops(self.clone(), incoming);
        *net = Some(Net { client, tasks });
        drop(net);
        self.subscribe_live().await?;
        Ok(())
    }

    /// Stops the background tasks and disconnects.
    pub async fn stop_network(&self) {
        let net = self.inner.net.lock().await.take();
        if let Ok(mut c) = self.inner.client.write() {
            *c = None;
        }
        if let Some(net) = net {
            net.client.shutdown().await;
            for t in net.tasks {
                t.abort();
            }
        }
    }

    pub(crate) fn client(&self) -> Result<RelayClient, AppError> {
        self.inner
            .client
            .read()
            .ok()
            .and_then(|c| c.clone())
            .ok_or(AppError::Offline)
    }

    /// Waits up to `timeout` for at least one relay connection; returns how many are connected.
    pub async fn wait_connected(&self, timeout: Duration) -> Result<usize, AppError> {
        Ok(self.client()?.wait_for_connected(1, timeout).await)
    }

    /// Relay connection states.
    pub async fn relay_status(&self) -> Vec<RelayStatusView> {
        match self.client() {
            Ok(c) => c
                .relays()
                .await
                .into_iter()
                .map(|r| RelayStatusView {
                    url: r.url,
                    connected: r.connected,
                })
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Events still waiting for a relay to accept them.
    pub fn outbox(&self) -> Result<Vec<OutboxItemView>, AppError> {
        Ok(self
            .inner
            .store
            .outbox_list()?
            .into_iter()
            .map(|e| OutboxItemView {
                id: e.event.id.to_hex(),
                kind: u32::from(e.event.kind.as_u16()),
                created_at: e.created,
                attempts: e.attempts,
                next_attempt_at: e.next_attempt_at,
                last_error: e.last_error,
            })
            .collect())
    }

    /// Waits until the outbox is empty or `timeout` passes; returns how many events remain.
    pub async fn flush_outbox(&self, timeout: Duration) -> Result<usize, AppError> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let left = self.inner.store.outbox_list()?.len();
            if left == 0 || tokio::time::Instant::now() >= deadline {
                return Ok(left);
            }
            if let Ok(c) = self.client() {
                c.wake_outbox();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Catches up: fetches our direct messages since the cursor (with overlap) and the public
    /// receipts, ratings, profiles and follow lists, applies them, and pushes the outbox.
    pub async fn sync(&self) -> Result<SyncReport, AppError> {
        let client = self.client()?;
        let connected = client
            .wait_for_connected(1, self.inner.cfg.query_timeout)
            .await;
        let applied = ingest::catch_up(self, ingest::CatchUp::Full).await?;
        client.wake_outbox();
        let pending = self.flush_outbox(Duration::from_secs(3)).await?;
        Ok(SyncReport {
            events_received: applied.events,
            messages_applied: applied.messages,
            outbox_pending: u32::try_from(pending).unwrap_or(u32::MAX),
            relays_connected: u32::try_from(connected).unwrap_or(u32::MAX),
        })
    }

    async fn subscribe_live(&self) -> Result<(), AppError> {
        ingest::subscribe_live(self).await
    }

    /// Publishes (via the durable outbox) events we signed, and stores them locally first so the
    /// UI sees them immediately and nothing is lost if the process dies.
    pub(crate) async fn publish(&self, events: Vec<Event>) -> Result<(), AppError> {
        self.store_public(&events)?;
        match self.client() {
            Ok(c) => {
                for e in events {
                    c.publish(e).await?;
                }
            }
            Err(_) => {
                for e in &events {
                    self.inner.store.outbox_enqueue(e)?;
                }
            }
        }
        Ok(())
    }
}
