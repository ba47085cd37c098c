//! The relay client: nostr-sdk underneath, our own verification gate on top, an outbox
//! publisher loop, and the direct-message pipeline.
//!
//! Every event message from every relay is taken from the pool's raw message stream
//! (`RelayPoolNotification::Message`, which carries every copy, including copies the SDK
//! accepted from its id-keyed verification cache) and passed through an [`IngestGate`] before it
//! is delivered. Nothing reaches a consumer unverified.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use nostr::{
    Event, EventId, Filter, Keys, Kind, PublicKey, RelayMessage, RelayUrl, SubscriptionId,
    Timestamp,
};
use nostr_relay_pool::monitor::{Monitor, MonitorNotification};
use nostr_relay_pool::relay::FlagCheck;
use nostr_relay_pool::relay::{
    Relay, RelayLimits, RelayOptions, RelayServiceFlags, RelayStatus, SubscribeOptions,
};
use nostr_relay_pool::{RelayPoolNotification, RelayPoolOptions};
use nostr_sdk::{Client, ClientOptions};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, mpsc, watch};
use tokio::task::JoinSet;

use super::extra::{Admit, Extras};
use super::ingest::{DropReason, IngestGate, IngestLimits, IngestStats, keep_newest};
use super::lists::{
    KIND_INBOX_RELAYS, KIND_RELAY_LIST, OwnRelays, PeerRelays, Route, dm_tiers, tagged_people,
};
use super::outbox::{
    BackoffPolicy, OkOutcome, OutboxItem, OutboxStore, Rejection, RejectionKind, StoreError,
    classify_ok,
};
use super::transport::{
    self, DecryptedDm, DmError, GIFT_WRAP_TWEAK_SECS, PeerTransports, SeenTransports, Transport,
};
use crate::protocol::kinds;

/// The default relay set shipped in `assets/relays.json`.
const DEFAULT_RELAYS_JSON: &str = include_str!("../../../assets/relays.json");

/// Errors of the relay layer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RelayError {
    /// A relay URL could not be parsed.
    #[error("invalid relay url `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// The parser's reason.
        reason: String,
    },
    /// The relay configuration is unusable.
    #[error("relay configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// No relay is connected, so the operation cannot proceed.
    #[error("no relay is connected")]
    NoRelayConnected,
    /// nostr-sdk refused the operation.
    #[error("relay pool: {0}")]
    Pool(String),
    /// The outbox store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A direct message could not be built.
    #[error(transparent)]
    Dm(#[from] DmError),
    /// The client was shut down.
    #[error("the relay client is shut down")]
    Shutdown,
}

/// Parses the embedded `assets/relays.json` into the default relay list.
pub fn default_relays() -> Result<Vec<String>, RelayError> {
    parse_relay_list(DEFAULT_RELAYS_JSON)
}

/// The default index relays of `assets/relays.json` (where relay lists are published and looked
/// up), empty if the file names none.
pub fn default_index_relays() -> Result<Vec<String>, RelayError> {
    parse_named_list(DEFAULT_RELAYS_JSON, "index", false)
}

/// Parses a relay list file of the form `{"relays": ["wss://…", …]}`: every entry must pass the
/// rules of the user's own settings ([`super::lists::check_relay_url`]); entries come back in
/// canonical form.
pub fn parse_relay_list(json: &str) -> Result<Vec<String>, RelayError> {
    parse_named_list(json, "relays", true)
}

fn parse_named_list(json: &str, key: &str, required: bool) -> Result<Vec<String>, RelayError> {
    let v: serde_json::Value = serde_json::from_str(json).map_err(|e| RelayError::Config {
        reason: format!("relay list is not JSON: {e}"),
    })?;
    let list = match v.get(key).and_then(|r| r.as_array()) {
        Some(l) => l,
        None if !required => return Ok(Vec::new()),
        None => {
            return Err(RelayError::Config {
                reason: format!("relay list has no `{key}` array"),
            });
        }
    };
    let mut out = Vec::with_capacity(list.len());
    for item in list {
        let url = item.as_str().ok_or_else(|| RelayError::Config {
            reason: "relay list entry is not a string".into(),
        })?;
        let u =
            super::lists::check_relay_url(url, super::lists::UrlPolicy::OWN).map_err(|rule| {
                RelayError::InvalidUrl {
                    url: crate::protocol::excerpt(url),
                    reason: rule.to_string(),
                }
            })?;
        out.push(super::lists::canonical(&u));
    }
    Ok(out)
}

fn parse_url(url: &str) -> Result<RelayUrl, RelayError> {
    RelayUrl::parse(url).map_err(|e| RelayError::InvalidUrl {
        url: crate::protocol::excerpt(url),
        reason: e.to_string(),
    })
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Tunables of the relay client.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Our read relays: live subscriptions and queries go there.
    pub read: Vec<String>,
    /// Our write relays: our events are published there.
    pub write: Vec<String>,
    /// Our inbox relays: direct messages to us arrive there (read for direct messages too;
    /// our copy of each message we send goes there).
    pub inbox: Vec<String>,
    /// Index relays: our relay lists are published there too, and others' lists are looked up
    /// there. Connected on demand, like other people's relays.
    pub index: Vec<String>,
    /// Most connections to relays that are not ours (other people's relays, index relays) open
    /// at once. At the cap the least recently used idle one is closed; if all are in use, the
    /// new relay is skipped (counted in [`Traffic::extra_refused`]).
    pub max_extra_relays: usize,
    /// Most relays of one person's list used to reach them or read from them.
    pub max_relays_per_peer: usize,
    /// An extra connection unused for this long is closed.
    pub extra_idle: Duration,
    /// How long a publish or query waits for an extra connection to open.
    pub extra_connect_timeout: Duration,
    /// Caps enforced on every incoming event.
    pub limits: IngestLimits,
    /// Outbox retry schedule.
    pub backoff: BackoffPolicy,
    /// How long to wait for a relay's `OK` to one event.
    pub ok_timeout: Duration,
    /// Delay between reconnection attempts to a dropped relay.
    pub reconnect_interval: Duration,
    /// Let the SDK stretch the reconnection delay for relays that keep failing.
    pub adaptive_reconnect: bool,
    /// Largest relay message accepted off the socket (bytes).
    pub max_message_bytes: u32,
    /// Outbox items fetched per round.
    pub outbox_batch: usize,
    /// Events published concurrently by the outbox loop.
    pub publish_concurrency: usize,
    /// Longest the outbox loop sleeps without being woken.
    pub outbox_poll: Duration,
    /// Capacity of the delivered-event and DM channels (back-pressure beyond it).
    pub channel_capacity: usize,
    /// Most estimated memory the delivered-event stream, and separately the DM stream, may hold
    /// waiting for the consumer (bytes; back-pressure beyond it). `channel_capacity` alone
    /// would let 1 024 maximum-size events (≈ 200 MiB) queue behind a slow store.
    pub stream_max_bytes: usize,
    /// How long the ingest task waits for room in the delivered-event stream before it starts
    /// shedding: dropping admitted events (counted as `shed`) until the consumer catches up.
    /// Waiting longer only moves the backlog upstream, into the SDK's notification queue, where
    /// it is bounded by count alone (8 192 parsed relay messages). Shed events are recovered by
    /// the app's catch-up query (`AppConfig::catch_up_every`). `None`: always wait. Direct
    /// messages always wait (their content is capped at 96 KiB).
    pub stream_shed_after: Option<Duration>,
    /// Largest estimated in-memory size of what one relay may return to one [`RelayClient::query`]
    /// (bytes). A query collects events until EOSE, and an event's memory can be ~40× its wire
    /// size (10 000 short tags ≈ 4 MiB), so `limit` alone does not bound memory; beyond this
    /// budget the relay's further events are dropped and counted as `too_large`.
    pub query_max_bytes_per_relay: usize,
}

impl RelayConfig {
    /// A configuration using `relays` for reading, writing and the inbox (no index relays),
    /// with default tunables.
    pub fn new(relays: Vec<String>) -> Self {
        Self::with_roles(relays.clone(), relays.clone(), relays, Vec::new())
    }

    /// A configuration with relays by role, with default tunables.
    pub fn with_roles(
        read: Vec<String>,
        write: Vec<String>,
        inbox: Vec<String>,
        index: Vec<String>,
    ) -> Self {
        Self {
            read,
            write,
            inbox,
            index,
            max_extra_relays: 16,
            max_relays_per_peer: 3,
            extra_idle: Duration::from_secs(60),
            extra_connect_timeout: Duration::from_secs(5),
            limits: IngestLimits::default(),
            backoff: BackoffPolicy::default(),
            ok_timeout: Duration::from_secs(10),
            reconnect_interval: Duration::from_secs(10),
            adaptive_reconnect: true,
            max_message_bytes: 256 * 1024,
            outbox_batch: 64,
            publish_concurrency: 8,
            outbox_poll: Duration::from_secs(30),
            channel_capacity: 1024,
            stream_max_bytes: 16 * 1024 * 1024,
            stream_shed_after: Some(Duration::from_secs(2)),
            query_max_bytes_per_relay: 64 * 1024 * 1024,
        }
    }

    /// The default relays from `assets/relays.json` with default tunables.
    pub fn with_default_relays() -> Result<Self, RelayError> {
        Ok(Self::new(default_relays()?))
    }
}

/// An event that passed the ingest gate, with the relay and subscription it came from.
/// Only the relay layer can construct one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedEvent {
    event: Event,
    relay_url: RelayUrl,
    subscription_id: SubscriptionId,
}

impl VerifiedEvent {
    /// The verified event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// Consumes the wrapper, returning the verified event.
    pub fn into_event(self) -> Event {
        self.event
    }

    /// The relay that delivered it first.
    pub fn relay_url(&self) -> &RelayUrl {
        &self.relay_url
    }

    /// The subscription it arrived on.
    pub fn subscription_id(&self) -> &SubscriptionId {
        &self.subscription_id
    }
}

/// The receiving ends of the client's streams.
#[derive(Debug)]
pub struct Incoming {
    /// Verified events of live subscriptions (except direct messages).
    pub events: Stream<VerifiedEvent>,
    /// Decrypted direct messages (NIP-17 and NIP-04) that passed every check.
    pub dms: Stream<DecryptedDm>,
}

/// The receiving end of one of the client's streams: bounded in items
/// ([`RelayConfig::channel_capacity`]) and in estimated memory
/// ([`RelayConfig::stream_max_bytes`]). An item's share of the memory budget is released when
/// it is received. While either bound is reached the ingest task waits; on the event stream it
/// waits at most [`RelayConfig::stream_shed_after`] and then sheds (docs/RELAY.md).
#[derive(Debug)]
pub struct Stream<T> {
    rx: mpsc::Receiver<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    units: usize,
}

/// Granularity of the streams' memory budget (a semaphore permit per KiB).
const STREAM_UNIT: usize = 1024;

impl<T> Stream<T> {
    /// Receives the next item; `None` once the client has stopped.
    pub async fn recv(&mut self) -> Option<T> {
        self.rx.recv().await.map(|(v, _)| v)
    }

    /// Receives an item if one is ready.
    pub fn try_recv(&mut self) -> Result<T, mpsc::error::TryRecvError> {
        self.rx.try_recv().map(|(v, _)| v)
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// `true` if no item is waiting.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Estimated bytes of the items waiting (in whole KiB per item).
    pub fn queued_bytes(&self) -> usize {
        self.units
            .saturating_sub(self.budget.available_permits())
            .saturating_mul(STREAM_UNIT)
    }
}

/// The sending side of a [`Stream`].
struct StreamTx<T> {
    tx: mpsc::Sender<(T, OwnedSemaphorePermit)>,
    budget: Arc<Semaphore>,
    units: usize,
}

impl<T> StreamTx<T> {
    /// Waits for room for `bytes` (an item larger than the whole budget waits for all of it)
    /// and a free slot, then sends. `false` once the receiver is gone.
    async fn send(&self, item: T, bytes: usize) -> bool {
        let Ok(permit) = self
            .budget
            .clone()
            .acquire_many_owned(self.units_for(bytes))
            .await
        else {
            return false;
        };
        self.tx.send((item, permit)).await.is_ok()
    }

    fn units_for(&self, bytes: usize) -> u32 {
        u32::try_from(bytes.div_ceil(STREAM_UNIT).clamp(1, self.units)).unwrap_or(u32::MAX)
    }

    /// Sends if there is room now; gives the item back otherwise (or if the receiver is gone).
    fn try_send(&self, item: T, bytes: usize) -> Result<(), T> {
        let Ok(permit) = self
            .budget
            .clone()
            .try_acquire_many_owned(self.units_for(bytes))
        else {
            return Err(item);
        };
        self.tx
            .try_send((item, permit))
            .map_err(|e| e.into_inner().0)
    }

    /// Waits until `deadline` at most for room, then sends; gives the item back if there was
    /// none by then (or if the receiver is gone).
    async fn send_by(
        &self,
        item: T,
        bytes: usize,
        deadline: tokio::time::Instant,
    ) -> Result<(), T> {
        let wait = async {
            let permit = self
                .budget
                .clone()
                .acquire_many_owned(self.units_for(bytes))
                .await
                .ok()?;
            let slot = self.tx.reserve().await.ok()?;
            Some((permit, slot))
        };
        match tokio::time::timeout_at(deadline, wait).await {
            Ok(Some((permit, slot))) => {
                slot.send((item, permit));
                Ok(())
            }
            _ => Err(item),
        }
    }
}

/// A stream of at most `capacity` items and about `max_bytes` of estimated memory.
fn stream<T>(capacity: usize, max_bytes: usize) -> (StreamTx<T>, Stream<T>) {
    let units = (max_bytes / STREAM_UNIT).clamp(1, Semaphore::MAX_PERMITS.min(u32::MAX as usize));
    let budget = Arc::new(Semaphore::new(units));
    let (tx, rx) = mpsc::channel(capacity.max(1));
    (
        StreamTx {
            tx,
            budget: budget.clone(),
            units,
        },
        Stream { rx, budget, units },
    )
}

/// The outcome of publishing one event to every relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishReport {
    /// The event published.
    pub event_id: EventId,
    /// Relays that have the event now.
    pub accepted: Vec<RelayUrl>,
    /// Relays that refused it, with why.
    pub rejected: Vec<(RelayUrl, Rejection)>,
    /// It reached where it is routed ([`Route::done`]): the outbox is finished with it.
    pub delivered: bool,
}

impl PublishReport {
    /// `true` if at least one relay accepted.
    pub fn is_accepted(&self) -> bool {
        !self.accepted.is_empty()
    }
}

/// What [`RelayClient::send_dm`] queued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentDm {
    /// The transport used.
    pub transport: Transport,
    /// Id of the NIP-17 rumor (`None` for NIP-04).
    pub rumor_id: Option<EventId>,
    /// Ids of the events queued in the outbox (wrap to peer then wrap to self, or the kind 4).
    pub event_ids: Vec<EventId>,
}

/// A relay and its connection state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayState {
    /// The relay URL.
    pub url: String,
    /// `true` when connected.
    pub connected: bool,
    /// The SDK's status name (Connected, Connecting, Disconnected, …).
    pub status: String,
}

struct LiveSub {
    filter: Filter,
    /// Stored events received per relay before its EOSE (for the `limit` check).
    pre_eose: HashMap<RelayUrl, usize>,
    eose: HashSet<RelayUrl>,
}

enum QueryMsg {
    Event(Box<VerifiedEvent>),
    /// The relay finished: `true` for EOSE, `false` for CLOSED (refused or aborted).
    Done(RelayUrl, bool),
}

struct QuerySub {
    filter: Filter,
    gate: IngestGate,
    pre_eose: HashMap<RelayUrl, usize>,
    /// Estimated bytes of the events admitted so far, per relay.
    bytes: HashMap<RelayUrl, usize>,
    /// Relays that sent more than the filter's `limit` or more than their byte budget.
    truncated: HashSet<RelayUrl>,
    tx: mpsc::Sender<QueryMsg>,
}

/// What one relay query returned, and which relays are known to have sent everything they
/// hold for the filter (see [`RelayClient::query_page`]).
#[derive(Debug, Default)]
pub struct QueryPage {
    /// Verified events, newest first (newest version per replaceable coordinate).
    pub events: Vec<VerifiedEvent>,
    /// Relays the query was sent to.
    pub relays_asked: usize,
    /// Relays that answered completely: EOSE (the end of their stored events) before the
    /// timeout, fewer events than the filter's `limit`, within their byte budget.
    pub relays_complete: usize,
    /// Relays that may hold more: they sent `limit` events or more, or exceeded their byte
    /// budget ([`RelayConfig::query_max_bytes_per_relay`]).
    pub relays_truncated: usize,
}

impl QueryPage {
    /// At least one relay answered completely: the events are at least that relay's whole view.
    pub fn is_complete(&self) -> bool {
        self.relays_complete > 0
    }
}

/// An upper estimate of the heap and inline memory an [`Event`] occupies once parsed (each tag
/// is a `Tag` of a few hundred bytes plus a `Vec` and a `String` per value).
pub(crate) fn approx_event_bytes(event: &Event) -> usize {
    const PER_TAG: usize = std::mem::size_of::<nostr::Tag>() + 64;
    const PER_VALUE: usize = 48;
    let tags = event.tags.iter().fold(0usize, |acc, t| {
        t.as_slice()
            .iter()
            .fold(acc.saturating_add(PER_TAG), |a, v| {
                a.saturating_add(PER_VALUE).saturating_add(v.len())
            })
    });
    std::mem::size_of::<Event>()
        .saturating_add(event.content.len())
        .saturating_add(tags)
}

/// Charges `event` to `relay`'s share of a query's memory budget.
fn charge_query_bytes(
    bytes: &mut HashMap<RelayUrl, usize>,
    relay: &RelayUrl,
    event: &Event,
    budget: usize,
) -> Result<(), DropReason> {
    let used = bytes.entry(relay.clone()).or_insert(0);
    let next = used.saturating_add(approx_event_bytes(event));
    if next > budget {
        return Err(DropReason::TooLarge {
            field: "query",
            actual: next,
            limit: budget,
        });
    }
    *used = next;
    Ok(())
}

struct Routes {
    live: HashMap<SubscriptionId, LiveSub>,
    queries: HashMap<SubscriptionId, QuerySub>,
    gate: IngestGate,
    total: IngestStats,
}

struct Inner {
    client: Client,
    keys: Keys,
    config: RelayConfig,
    outbox: Arc<dyn OutboxStore>,
    routes: Mutex<Routes>,
    transports: Mutex<PeerTransports>,
    wake: Notify,
    flush_all: AtomicBool,
    shutdown: watch::Sender<bool>,
    /// Our relays by role (changed by [`RelayClient::set_own_relays`]).
    own: RwLock<OwnRelays>,
    /// Other people's relay lists, as the app looked them up.
    peers: Mutex<PeerBook>,
    /// The on-demand connections to relays that are not ours.
    extras: Arc<Mutex<Extras>>,
    /// What extra connections cost so far (closed connections' bytes included).
    traffic: Mutex<Traffic>,
}

/// Most people whose relay lists the client keeps in memory (the app keeps them all in its
/// store and hands them in again when needed).
const MAX_PEER_BOOK: usize = 10_000;

/// Other people's relay lists, bounded (the oldest entry goes first).
#[derive(Default)]
struct PeerBook {
    lists: HashMap<PublicKey, PeerRelays>,
    order: VecDeque<PublicKey>,
}

impl PeerBook {
    fn set(&mut self, pk: PublicKey, relays: PeerRelays) {
        if self.lists.insert(pk, relays).is_none() {
            self.order.push_back(pk);
            while self.order.len() > MAX_PEER_BOOK {
                if let Some(old) = self.order.pop_front() {
                    self.lists.remove(&old);
                }
            }
        }
    }

    fn get(&self, pk: &PublicKey) -> Option<&PeerRelays> {
        self.lists.get(pk)
    }
}

/// Connections and bytes of the client so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Connections opened to relays that are not ours (other people's, index relays).
    pub extra_opened: u64,
    /// Extra connections closed (idle, evicted at the cap, or shut down).
    pub extra_closed: u64,
    /// Extra relays skipped because the cap was reached and every extra connection was in use.
    pub extra_refused: u64,
    /// Extra connections open now.
    pub extra_open: u64,
    /// Bytes sent to every relay (ours and extra, open and closed).
    pub bytes_sent: u64,
    /// Bytes received from every relay.
    pub bytes_received: u64,
    closed_sent: u64,
    closed_received: u64,
}

/// Holds one use of an extra connection; released on drop.
struct ExtraLease {
    extras: Arc<Mutex<Extras>>,
    url: RelayUrl,
}

impl Drop for ExtraLease {
    fn drop(&mut self) {
        lock(&self.extras).release(&self.url, std::time::Instant::now());
    }
}

/// The Freeport relay client. Cheap to clone; all clones share one connection pool.
#[derive(Clone)]
pub struct RelayClient {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RelayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayClient")
            .field("pubkey", &self.inner.keys.public_key())
            .field("relays", &self.inner.own_relays())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks cannot leave the state half-updated in a way
    // that matters more than losing the client, so recover the guard.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn read_lock<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|p| p.into_inner())
}

fn write_lock<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|p| p.into_inner())
}

/// Parses our relay lists (every URL must parse).
fn own_relays(
    read: &[String],
    write: &[String],
    inbox: &[String],
    index: &[String],
) -> Result<OwnRelays, RelayError> {
    for u in read.iter().chain(write).chain(inbox).chain(index) {
        parse_url(u)?;
    }
    Ok(OwnRelays::from_lists(read, write, inbox, index))
}

/// The SDK flags of one of our relays: `READ` where we read (read and inbox relays; live
/// subscriptions go to every `READ` relay), `WRITE` where we publish, `PING` to keep it up, and
/// `GOSSIP` on all of them: the SDK refuses to send an event to a relay without `WRITE` or
/// `GOSSIP`, and an inbox relay that is not a write relay still receives our copy of each
/// message (and a read-only one a query). Where events go is decided by [`route_event`].
fn flags_for(own: &OwnRelays, url: &RelayUrl) -> RelayServiceFlags {
    let mut f = RelayServiceFlags::PING | RelayServiceFlags::GOSSIP;
    if own.read.contains(url) || own.inbox.contains(url) {
        f |= RelayServiceFlags::READ;
    }
    if own.write.contains(url) {
        f |= RelayServiceFlags::WRITE;
    }
    f
}

impl Inner {
    fn own_relays(&self) -> OwnRelays {
        read_lock(&self.own).clone()
    }

    fn base_options(&self) -> RelayOptions {
        let c = &self.config;
        let mut limits = RelayLimits::default();
        limits.messages.max_size = Some(c.max_message_bytes);
        RelayOptions::new()
            .limits(limits)
            // We enforce filters ourselves (and never ban on the SDK's say-so).
            .verify_subscriptions(false)
            .ban_relay_on_mismatch(false)
    }

    /// One of our relays: kept connected (reconnects), with its role flags.
    fn own_options(&self, flags: RelayServiceFlags) -> RelayOptions {
        let c = &self.config;
        self.base_options()
            .flags(flags)
            .reconnect(true)
            .retry_interval(c.reconnect_interval)
            .adjust_retry_interval(c.adaptive_reconnect)
    }

    /// An extra connection: no live subscriptions (no `READ`), not a publish target of its own
    /// (no `WRITE`), not reconnected (it is reopened when next needed).
    fn extra_options(&self) -> RelayOptions {
        self.base_options()
            .flags(RelayServiceFlags::GOSSIP)
            .reconnect(false)
    }
}

/// Relays of ours among `urls` as they are, the others leased as extra connections (opened if
/// needed, within the cap). Returns the relays to use and the leases to hold while using them.
async fn lease(inner: &Arc<Inner>, urls: &[RelayUrl]) -> (Vec<(RelayUrl, Relay)>, Vec<ExtraLease>) {
    let pool = inner.client.pool();
    let own = inner.own_relays();
    let mut out = Vec::new();
    let mut leases = Vec::new();
    for url in urls {
        if own.contains(url) {
            if let Ok(r) = pool.relay(url).await {
                out.push((url.clone(), r));
            }
            continue;
        }
        let admit = lock(&inner.extras).acquire(url, std::time::Instant::now());
        match admit {
            Admit::Refused => {
                lock(&inner.traffic).extra_refused += 1;
                tracing::debug!(relay = %url, "extra relay skipped: every extra connection is in use");
                continue;
            }
            Admit::Present => {}
            Admit::Open { evict } => {
                if let Some(v) = evict {
                    close_extra(inner, v).await;
                }
                lock(&inner.traffic).extra_opened += 1;
            }
        }
        leases.push(ExtraLease {
            extras: inner.extras.clone(),
            url: url.clone(),
        });
        let relay = match pool.relay(url).await {
            Ok(r) => Ok(r),
            Err(_) => match pool.add_relay(url.clone(), inner.extra_options()).await {
                Ok(_) => pool.relay(url).await,
                Err(e) => Err(e),
            },
        };
        match relay {
            Ok(r) => {
                if !r.is_connected() {
                    r.connect();
                }
                out.push((url.clone(), r));
            }
            Err(e) => tracing::debug!(relay = %url, error = %e, "extra relay not added"),
        }
    }
    (out, leases)
}

/// Closes an extra connection (unless it became one of ours), keeping its byte counts.
async fn close_extra(inner: &Inner, url: RelayUrl) {
    if inner.own_relays().contains(&url) {
        return;
    }
    let pool = inner.client.pool();
    if let Ok(r) = pool.relay(&url).await {
        let (sent, received) = (r.stats().bytes_sent(), r.stats().bytes_received());
        let mut t = lock(&inner.traffic);
        t.extra_closed += 1;
        t.closed_sent = t.closed_sent.saturating_add(sent as u64);
        t.closed_received = t.closed_received.saturating_add(received as u64);
    }
    let _ = pool.force_remove_relay(url).await;
}

/// Closes extra connections unused for [`RelayConfig::extra_idle`].
async fn reaper_loop(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    let every = (inner.config.extra_idle / 4).max(Duration::from_millis(100));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => break,
        }
        let idle = lock(&inner.extras).take_idle(std::time::Instant::now());
        for url in idle {
            tracing::debug!(relay = %url, "closing idle extra relay");
            close_extra(&inner, url).await;
        }
    }
}

/// Waits for each relay's connection, at most `t`.
async fn wait_all(relays: Vec<Relay>, t: Duration) {
    let mut set = JoinSet::new();
    for r in relays {
        set.spawn(async move { r.wait_for_connection(t).await });
    }
    while set.join_next().await.is_some() {}
}

/// The relay a direct message to `peer` goes to first (their first inbox relay, else their
/// first read relay), as the rumor's relay hint; `None` when they published no list.
fn route_event_hint(inner: &Inner, peer: &PublicKey) -> Option<RelayUrl> {
    let peers = lock(&inner.peers);
    let p = peers.get(peer)?;
    p.inbox.first().or_else(|| p.read.first()).cloned()
}

/// Most tagged people whose read relays an event is also sent to.
const MAX_TAGGED_ROUTED: usize = 3;

/// Where `event` goes (docs/RELAY.md, "Routing"):
/// - a gift wrap to us (our copy): our inbox relays;
/// - a gift wrap to someone else: their inbox relays, then their read relays, then our write
///   relays, in tiers ([`super::lists::dm_tiers`]);
/// - anything else: our write relays; and as further groups the write relays of its author when
///   it is not us (the scanner publishes both receipt halves), the read relays of each of up to
///   three people it tags (NIP-65: mentions go where the mentioned read), and the index relays
///   for our own relay lists.
fn route_event(inner: &Inner, event: &Event) -> Route {
    let me = inner.keys.public_key();
    let own = inner.own_relays();
    let per = inner.config.max_relays_per_peer;
    let peers = lock(&inner.peers);
    let k = event.kind.as_u16();
    if k == kinds::GIFT_WRAP {
        let tiers = match tagged_people(event, 1).first() {
            Some(pk) if *pk == me => vec![if own.inbox.is_empty() {
                own.write.clone()
            } else {
                own.inbox.clone()
            }],
            Some(pk) => dm_tiers(peers.get(pk), &own.write, per),
            None => vec![own.write.clone()],
        };
        return Route {
            tiers,
            groups: Vec::new(),
        };
    }
    let mut groups: Vec<Vec<RelayUrl>> = Vec::new();
    if event.pubkey == me && (k == KIND_RELAY_LIST || k == KIND_INBOX_RELAYS) {
        groups.push(own.index.clone());
    }
    if event.pubkey != me
        && let Some(p) = peers.get(&event.pubkey)
    {
        groups.push(p.write.iter().take(per).cloned().collect());
    }
    for pk in tagged_people(event, MAX_TAGGED_ROUTED) {
        if pk != me
            && let Some(p) = peers.get(&pk)
        {
            groups.push(p.read.iter().take(per).cloned().collect());
        }
    }
    groups.retain(|g| !g.is_empty());
    Route {
        tiers: vec![own.write.clone()],
        groups,
    }
}

/// Checks the filter's `limit` for stored events (before EOSE) from `relay`.
fn beyond_limit(
    filter: &Filter,
    pre_eose: &mut HashMap<RelayUrl, usize>,
    eose: bool,
    relay: &RelayUrl,
) -> Result<(), DropReason> {
    if eose {
        return Ok(());
    }
    if let Some(limit) = filter.limit {
        let n = pre_eose.entry(relay.clone()).or_insert(0);
        *n = n.saturating_add(1);
        if *n > limit {
            return Err(DropReason::BeyondLimit { limit });
        }
    }
    Ok(())
}

enum Dispatch {
    Live(VerifiedEvent),
    Query(mpsc::Sender<QueryMsg>, VerifiedEvent),
    QueryDone(mpsc::Sender<QueryMsg>, RelayUrl, bool),
}

impl RelayClient {
    /// Connects to our relays (in the background: a relay that is down or slow never blocks)
    /// and starts the ingest pipeline, the outbox publisher and the closing of idle extra
    /// connections.
    pub async fn start(
        keys: Keys,
        config: RelayConfig,
        outbox: Arc<dyn OutboxStore>,
    ) -> Result<(Self, Incoming), RelayError> {
        let own = own_relays(&config.read, &config.write, &config.inbox, &config.index)?;
        let monitor = Monitor::new(256);
        let client = Client::builder()
            .signer(keys.clone())
            .monitor(monitor.clone())
            .opts(
                ClientOptions::new()
                    .automatic_authentication(true)
                    .pool(RelayPoolOptions::new().notification_channel_size(8192)),
            )
            .build();
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            client,
            routes: Mutex::new(Routes {
                live: HashMap::new(),
                queries: HashMap::new(),
                gate: IngestGate::new(config.limits.clone()),
                total: IngestStats::default(),
            }),
            keys,
            outbox,
            transports: Mutex::new(PeerTransports::default()),
            wake: Notify::new(),
            flush_all: AtomicBool::new(false),
            shutdown,
            own: RwLock::new(own.clone()),
            peers: Mutex::new(PeerBook::default()),
            extras: Arc::new(Mutex::new(Extras::new(
                config.max_extra_relays,
                config.extra_idle,
            ))),
            traffic: Mutex::new(Traffic::default()),
            config,
        });
        let (cap, max_bytes) = (inner.config.channel_capacity, inner.config.stream_max_bytes);
        let (ev_tx, ev_rx) = stream(cap, max_bytes);
        let (dm_tx, dm_rx) = stream(cap, max_bytes);

        // Subscribe to the notification streams before any relay can deliver anything.
        let notifications = inner.client.notifications();
        let statuses = monitor.subscribe();
        tokio::spawn(ingest_loop(inner.clone(), notifications, ev_tx, dm_tx));
        tokio::spawn(monitor_loop(inner.clone(), statuses));
        tokio::spawn(outbox_loop(inner.clone()));
        tokio::spawn(reaper_loop(inner.clone()));

        let me = Self { inner };
        for url in own.connected_set() {
            let flags = flags_for(&own, &url);
            me.add_own_relay(url, flags).await?;
        }
        Ok((
            me,
            Incoming {
                events: ev_rx,
                dms: dm_rx,
            },
        ))
    }

    /// Our public key.
    pub fn public_key(&self) -> PublicKey {
        self.inner.keys.public_key()
    }

    async fn add_own_relay(
        &self,
        url: RelayUrl,
        flags: RelayServiceFlags,
    ) -> Result<bool, RelayError> {
        let pool = self.inner.client.pool();
        if lock(&self.inner.extras).forget(&url) {
            // It was open as an extra connection (other options): reopen it as ours.
            let _ = pool.force_remove_relay(url.clone()).await;
            lock(&self.inner.traffic).extra_closed += 1;
        }
        let added = pool
            .add_relay(url.clone(), self.inner.own_options(flags))
            .await
            .map_err(|e| RelayError::Pool(e.to_string()))?;
        pool.connect_relay(url)
            .await
            .map_err(|e| RelayError::Pool(e.to_string()))?;
        Ok(added)
    }

    /// Adds a relay at runtime for reading, writing and the inbox, and starts connecting to it
    /// (non-blocking). It inherits every live subscription. Returns `false` if it was already
    /// one of ours.
    pub async fn add_relay(&self, url: &str) -> Result<bool, RelayError> {
        let url = parse_url(url)?;
        let mut own = self.inner.own_relays();
        if own.contains(&url) {
            return Ok(false);
        }
        own.read.push(url.clone());
        own.write.push(url.clone());
        own.inbox.push(url.clone());
        *write_lock(&self.inner.own) = own.clone();
        self.add_own_relay(url.clone(), flags_for(&own, &url)).await
    }

    /// Disconnects and removes one of our relays (from every role).
    pub async fn remove_relay(&self, url: &str) -> Result<(), RelayError> {
        let url = parse_url(url)?;
        {
            let mut own = write_lock(&self.inner.own);
            own.read.retain(|u| *u != url);
            own.write.retain(|u| *u != url);
            own.inbox.retain(|u| *u != url);
        }
        self.inner
            .client
            .pool()
            .force_remove_relay(url)
            .await
            .map_err(|e| RelayError::Pool(e.to_string()))
    }

    /// Replaces our relays by role at runtime: relays no longer ours are closed, new ones
    /// connected (inheriting the live subscriptions if we read there), and a relay whose roles
    /// changed is reconnected with its new roles. Index relays are connected on demand.
    pub async fn set_own_relays(
        &self,
        read: &[String],
        write: &[String],
        inbox: &[String],
        index: &[String],
    ) -> Result<(), RelayError> {
        let new = own_relays(read, write, inbox, index)?;
        let old = std::mem::replace(&mut *write_lock(&self.inner.own), new.clone());
        let pool = self.inner.client.pool();
        let new_set = new.connected_set();
        for url in old.connected_set() {
            let gone = !new_set.contains(&url);
            let changed = !gone && flags_for(&old, &url) != flags_for(&new, &url);
            if gone || changed {
                let _ = pool.force_remove_relay(url).await;
            }
        }
        for url in new_set {
            let flags = flags_for(&new, &url);
            let unchanged = old.contains(&url) && flags_for(&old, &url) == flags;
            if !unchanged {
                self.add_own_relay(url, flags).await?;
            }
        }
        self.inner.flush_all.store(true, Ordering::SeqCst);
        self.inner.wake.notify_one();
        Ok(())
    }

    /// The configuration the client runs with.
    pub fn config(&self) -> &RelayConfig {
        &self.inner.config
    }

    /// Our relays by role.
    pub fn own_relays(&self) -> OwnRelays {
        self.inner.own_relays()
    }

    /// Records someone's relay lists (as the app looked them up): their inbox relays receive
    /// our direct messages to them, their read relays our events that tag them, and their write
    /// relays are where [`RelayClient::query_on`] callers read their events.
    pub fn set_peer_relays(&self, peer: PublicKey, relays: PeerRelays) {
        lock(&self.inner.peers).set(peer, relays);
    }

    /// Someone's relay lists as last recorded.
    pub fn peer_relays(&self, peer: &PublicKey) -> Option<PeerRelays> {
        lock(&self.inner.peers).get(peer).cloned()
    }

    /// Where an event would be published now (docs/RELAY.md, "Routing").
    pub fn route(&self, event: &Event) -> Route {
        route_event(&self.inner, event)
    }

    /// Every one of our relays and its connection state.
    pub async fn relays(&self) -> Vec<RelayState> {
        let mut out: Vec<RelayState> = self
            .inner
            .client
            .relays()
            .await
            .into_iter()
            .map(|(url, r)| RelayState {
                url: url.to_string(),
                connected: r.is_connected(),
                status: r.status().to_string(),
            })
            .collect();
        out.sort_by(|a, b| a.url.cmp(&b.url));
        out
    }

    /// Connections opened, refused and closed, and bytes so far.
    pub async fn traffic(&self) -> Traffic {
        let mut t = *lock(&self.inner.traffic);
        t.bytes_sent = t.closed_sent;
        t.bytes_received = t.closed_received;
        for r in self.inner.client.pool().all_relays().await.values() {
            t.bytes_sent = t.bytes_sent.saturating_add(r.stats().bytes_sent() as u64);
            t.bytes_received = t
                .bytes_received
                .saturating_add(r.stats().bytes_received() as u64);
        }
        t.extra_open = lock(&self.inner.extras).len() as u64;
        t
    }

    /// Our connected relays (read or write).
    async fn connected_relays(&self) -> Vec<(RelayUrl, Relay)> {
        self.inner
            .client
            .relays()
            .await
            .into_iter()
            .filter(|(_, r)| r.is_connected())
            .collect()
    }

    /// Our connected relays we read from.
    async fn connected_reading(&self) -> Vec<RelayUrl> {
        self.inner
            .client
            .pool()
            .relays_with_flag(RelayServiceFlags::READ, FlagCheck::All)
            .await
            .into_iter()
            .filter(|(_, r)| r.is_connected())
            .map(|(u, _)| u)
            .collect()
    }

    /// Waits until at least `n` relays are connected, or `timeout` passes. Returns how many
    /// are connected at the end.
    pub async fn wait_for_connected(&self, n: usize, timeout: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let c = self.connected_relays().await.len();
            if c >= n || tokio::time::Instant::now() >= deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Opens a live subscription. Matching verified events arrive on [`Incoming::events`]
    /// (direct messages on [`Incoming::dms`]). Relays added later inherit it.
    pub async fn subscribe(&self, filter: Filter) -> Result<SubscriptionId, RelayError> {
        let id = SubscriptionId::generate();
        lock(&self.inner.routes).live.insert(
            id.clone(),
            LiveSub {
                filter: filter.clone(),
                pre_eose: HashMap::new(),
                eose: HashSet::new(),
            },
        );
        if let Err(e) = self
            .inner
            .client
            .subscribe_with_id(id.clone(), filter, None)
            .await
        {
            lock(&self.inner.routes).live.remove(&id);
            return Err(RelayError::Pool(e.to_string()));
        }
        Ok(id)
    }

    /// Closes a live subscription.
    pub async fn unsubscribe(&self, id: &SubscriptionId) {
        self.inner.client.unsubscribe(id).await;
        lock(&self.inner.routes).live.remove(id);
    }

    /// Subscribes to our direct messages since `since`: gift wraps addressed to us (looking
    /// back the NIP-59 two-day timestamp tweak further), NIP-04 messages to us, and our own
    /// NIP-04 messages (for other devices and restarts).
    pub async fn subscribe_dms(&self, since: Timestamp) -> Result<Vec<SubscriptionId>, RelayError> {
        let me = self.public_key();
        let wrap_since = Timestamp::from_secs(since.as_secs().saturating_sub(GIFT_WRAP_TWEAK_SECS));
        let filters = [
            Filter::new()
                .kind(Kind::from(kinds::GIFT_WRAP))
                .pubkey(me)
                .since(wrap_since),
            Filter::new()
                .kind(Kind::from(kinds::NIP04_DM))
                .pubkey(me)
                .since(since),
            Filter::new()
                .kind(Kind::from(kinds::NIP04_DM))
                .author(me)
                .since(since),
        ];
        let mut ids = Vec::with_capacity(filters.len());
        for f in filters {
            ids.push(self.subscribe(f).await?);
        }
        Ok(ids)
    }

    /// One-shot fetch from our read relays: asks every connected one for `filter` (first
    /// waiting, within `timeout`, for one to be connected), collects verified events until each
    /// relay sent EOSE (or CLOSED) or `timeout` passes, then closes the subscription.
    /// Duplicates are removed and only the newest version of each replaceable/addressable
    /// coordinate is kept. Has its own de-duplication, so it also returns events already
    /// delivered on the live stream.
    pub async fn query(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<Vec<VerifiedEvent>, RelayError> {
        Ok(self.query_relays(filter, true, &[], timeout).await?.events)
    }

    /// [`RelayClient::query`], also telling how complete the answer is: how many relays sent
    /// EOSE in time without reaching the filter's `limit` (a relay at the limit may hold more,
    /// older events: relays return the newest first) or their byte budget. A caller that
    /// advances a cursor over the answer must only do so for a complete page.
    pub async fn query_page(
        &self,
        filter: Filter,
        timeout: Duration,
    ) -> Result<QueryPage, RelayError> {
        self.query_relays(filter, true, &[], timeout).await
    }

    /// [`RelayClient::query`] on our read relays and on `extra` relays too (someone's write
    /// relays, index relays, relay hints), connected on demand within the same `timeout` and
    /// the caps of [`RelayConfig::max_extra_relays`]. Every event is verified as from any relay.
    pub async fn query_on(
        &self,
        filter: Filter,
        extra: &[RelayUrl],
        timeout: Duration,
    ) -> Result<Vec<VerifiedEvent>, RelayError> {
        Ok(self
            .query_relays(filter, true, extra, timeout)
            .await?
            .events)
    }

    /// [`RelayClient::query`] on `relays` only (ours among them as they are, others connected
    /// on demand).
    pub async fn query_at(
        &self,
        filter: Filter,
        relays: &[RelayUrl],
        timeout: Duration,
    ) -> Result<Vec<VerifiedEvent>, RelayError> {
        Ok(self
            .query_relays(filter, false, relays, timeout)
            .await?
            .events)
    }

    async fn query_relays(
        &self,
        filter: Filter,
        include_ours: bool,
        extra: &[RelayUrl],
        timeout: Duration,
    ) -> Result<QueryPage, RelayError> {
        let started = tokio::time::Instant::now();
        let own = self.inner.own_relays();
        let reading = own.reading();
        let mut wanted: Vec<RelayUrl> = Vec::new();
        let mut ours_wanted: Vec<RelayUrl> = Vec::new();
        for u in extra {
            if reading.contains(u) {
                if !include_ours && !ours_wanted.contains(u) {
                    ours_wanted.push(u.clone());
                }
            } else if !wanted.contains(u) {
                wanted.push(u.clone());
            }
        }
        let (leased, _leases) = lease(&self.inner, &wanted).await;
        // Right after start (or a reconnect) no relay may be up yet: wait for the first of ours,
        // and for the extra connections, within the same time budget instead of failing a
        // browse the user opened at launch.
        let connect_wait = timeout.min(self.inner.config.extra_connect_timeout);
        let wait_extras = wait_all(
            leased.iter().map(|(_, r)| r.clone()).collect(),
            connect_wait,
        );
        if !include_ours || (own.read.is_empty() && own.inbox.is_empty()) {
            wait_extras.await;
        } else {
            tokio::join!(self.wait_for_connected(1, timeout), wait_extras);
        }
        let timeout = timeout.saturating_sub(started.elapsed());
        let mut relays: Vec<RelayUrl> = self
            .connected_reading()
            .await
            .into_iter()
            .filter(|u| include_ours || ours_wanted.contains(u))
            .collect();
        for (u, r) in &leased {
            if r.is_connected() && !relays.contains(u) {
                relays.push(u.clone());
            }
        }
        if relays.is_empty() {
            return Err(RelayError::NoRelayConnected);
        }
        let id = SubscriptionId::generate();
        let (tx, mut rx) = mpsc::channel(self.inner.config.channel_capacity.max(1));
        lock(&self.inner.routes).queries.insert(
            id.clone(),
            QuerySub {
                filter: filter.clone(),
                gate: IngestGate::new(self.inner.config.limits.clone()),
                pre_eose: HashMap::new(),
                bytes: HashMap::new(),
                truncated: HashSet::new(),
                tx,
            },
        );
        let relays_asked = relays.len();
        let mut eosed: HashSet<RelayUrl> = HashSet::new();
        let mut pending: HashSet<RelayUrl> = relays.iter().cloned().collect();
        match self
            .inner
            .client
            .subscribe_with_id_to(relays, id.clone(), filter.clone(), None)
            .await
        {
            Ok(output) => {
                for url in output.failed.keys() {
                    pending.remove(url);
                }
            }
            Err(e) => {
                lock(&self.inner.routes).queries.remove(&id);
                return Err(RelayError::Pool(e.to_string()));
            }
        }
        let mut events: Vec<VerifiedEvent> = Vec::new();
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        while !pending.is_empty() {
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(QueryMsg::Event(e)) => events.push(*e),
                    Some(QueryMsg::Done(url, eose)) => {
                        if pending.remove(&url) && eose {
                            eosed.insert(url);
                        }
                    }
                    None => break,
                },
                _ = &mut deadline => break,
            }
        }
        self.inner.client.unsubscribe(&id).await;
        let sub = lock(&self.inner.routes).queries.remove(&id);
        let limit = filter.limit;
        let mut truncated: HashSet<RelayUrl> = HashSet::new();
        if let Some(q) = sub {
            truncated = q.truncated;
            if let Some(l) = limit {
                truncated.extend(
                    q.pre_eose
                        .into_iter()
                        .filter(|(_, n)| *n >= l)
                        .map(|(u, _)| u),
                );
            }
        }
        let relays_complete = eosed.difference(&truncated).count();
        // Drain what arrived between the last EOSE and the removal.
        while let Ok(QueryMsg::Event(e)) = rx.try_recv() {
            events.push(*e);
        }
        let survivors: HashSet<EventId> =
            keep_newest(events.iter().map(|v| v.event.clone()).collect())
                .into_iter()
                .map(|e| e.id)
                .collect();
        events.retain(|v| survivors.contains(&v.event.id));
        events.sort_by(|a, b| {
            b.event
                .created_at
                .cmp(&a.event.created_at)
                .then(a.event.id.cmp(&b.event.id))
        });
        Ok(QueryPage {
            events,
            relays_asked,
            relays_complete,
            relays_truncated: truncated.len(),
        })
    }

    /// Queues `event` in the outbox and wakes the publisher. The event is removed from the
    /// outbox only once a relay accepted it.
    pub async fn publish(&self, event: Event) -> Result<EventId, RelayError> {
        let id = event.id;
        self.enqueue(vec![event]).await?;
        Ok(id)
    }

    async fn enqueue(&self, events: Vec<Event>) -> Result<(), RelayError> {
        let store = self.inner.outbox.clone();
        tokio::task::spawn_blocking(move || {
            for e in &events {
                store.outbox_enqueue(e)?;
            }
            Ok::<(), StoreError>(())
        })
        .await
        .map_err(|e| RelayError::Store(StoreError::new(e)))??;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Publishes `event` now, bypassing the outbox, to where it is routed (our write relays,
    /// the read relays of people it tags, a recipient's inbox relays: [`RelayClient::route`]),
    /// and reports what each relay said. Relays that are not connected are reported as such.
    pub async fn publish_now(&self, event: &Event) -> PublishReport {
        publish_routed(&self.inner, event, 0).await
    }

    /// Sends `plaintext` to `peer` over `transport` through the outbox. NIP-17 queues two gift
    /// wraps (to the peer and to ourselves); NIP-04 queues one kind 4.
    pub async fn send_dm(
        &self,
        peer: PublicKey,
        plaintext: &str,
        transport: Transport,
    ) -> Result<SentDm, RelayError> {
        let now = Timestamp::from_secs(unix_now());
        let keys = &self.inner.keys;
        let sent = match transport {
            Transport::Nip17 => {
                // NIP-17: the rumor's `p` may name the relay the recipient is reached at.
                let hint = route_event_hint(&self.inner, &peer);
                let out =
                    transport::build_nip17_with_hint(keys, &peer, plaintext, now, hint.as_ref())?;
                let ids = vec![out.to_peer.id, out.to_self.id];
                self.enqueue(vec![out.to_peer, out.to_self]).await?;
                SentDm {
                    transport,
                    rumor_id: Some(out.rumor_id),
                    event_ids: ids,
                }
            }
            Transport::Nip04 => {
                let e = transport::build_nip04(keys, &peer, plaintext, now)?;
                let ids = vec![e.id];
                self.enqueue(vec![e]).await?;
                SentDm {
                    transport,
                    rumor_id: None,
                    event_ids: ids,
                }
            }
        };
        Ok(sent)
    }

    /// The transport to use for `peer`: NIP-04 only if they have only ever used NIP-04.
    pub fn transport_for(&self, peer: &PublicKey) -> Transport {
        lock(&self.inner.transports).preferred(peer)
    }

    /// What transports `peer` has used towards us (for persisting).
    pub fn seen_transports(&self, peer: &PublicKey) -> SeenTransports {
        lock(&self.inner.transports).seen(peer)
    }

    /// Records a transport `peer` used (e.g. restored from the store at start-up).
    pub fn note_peer_transport(&self, peer: PublicKey, transport: Transport) {
        lock(&self.inner.transports).note(peer, transport);
    }

    /// Totals of what the ingest pipeline admitted and dropped (live stream and queries).
    pub fn stats(&self) -> IngestStats {
        lock(&self.inner.routes).total
    }

    /// Wakes the outbox publisher (it also wakes by itself on enqueue and on reconnect).
    pub fn wake_outbox(&self) {
        self.inner.wake.notify_one();
    }

    /// Stops the background tasks and disconnects from every relay.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        self.inner.wake.notify_one();
        self.inner.client.shutdown().await;
    }
}

async fn publish_routed(inner: &Arc<Inner>, event: &Event, attempts: u32) -> PublishReport {
    let route = route_event(inner, event);
    let targets = route.targets(attempts);
    let (relays, leases) = lease(inner, &targets).await;
    let timeout = inner.config.ok_timeout;
    let connect_wait = inner.config.extra_connect_timeout;
    let event = Arc::new(event.clone());
    let mut set: JoinSet<(RelayUrl, Result<(), Rejection>)> = JoinSet::new();
    let leased: HashSet<RelayUrl> = leases.iter().map(|l| l.url.clone()).collect();
    let mut refused: Vec<(RelayUrl, Rejection)> = Vec::new();
    for url in &targets {
        if !relays.iter().any(|(u, _)| u == url) {
            refused.push((
                url.clone(),
                Rejection {
                    kind: RejectionKind::NotConnected,
                    message: "no connection available (the cap on extra relays is reached)".into(),
                },
            ));
        }
    }
    for (url, relay) in relays {
        let event = event.clone();
        // An extra connection just opened, or one of ours still making its first connection
        // (right after start): worth waiting for. One of ours that is down is not.
        let opening = leased.contains(&url)
            || matches!(
                relay.status(),
                RelayStatus::Initialized | RelayStatus::Pending | RelayStatus::Connecting
            );
        set.spawn(async move {
            if opening && !relay.is_connected() {
                relay.wait_for_connection(connect_wait).await;
            }
            if !relay.is_connected() {
                return (
                    url,
                    Err(Rejection {
                        kind: RejectionKind::NotConnected,
                        message: format!("relay is {}", relay.status()),
                    }),
                );
            }
            let result = match tokio::time::timeout(timeout, relay.send_event(&event)).await {
                Err(_) => Err(Rejection {
                    kind: RejectionKind::Timeout,
                    message: format!("no OK within {} ms", timeout.as_millis()),
                }),
                Ok(Ok(_)) => Ok(()),
                Ok(Err(nostr_relay_pool::relay::Error::RelayMessage(msg))) => {
                    match classify_ok(false, &msg) {
                        OkOutcome::Accepted => Ok(()),
                        OkOutcome::Rejected(r) => Err(r),
                    }
                }
                Ok(Err(nostr_relay_pool::relay::Error::Timeout)) => Err(Rejection {
                    kind: RejectionKind::Timeout,
                    message: "timeout".into(),
                }),
                Ok(Err(e)) => Err(Rejection {
                    kind: RejectionKind::NotConnected,
                    message: e.to_string(),
                }),
            };
            (url, result)
        });
    }
    let mut report = PublishReport {
        event_id: event.id,
        accepted: Vec::new(),
        rejected: Vec::new(),
        delivered: false,
    };
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((url, Ok(()))) => report.accepted.push(url),
            Ok((url, Err(r))) => report.rejected.push((url, r)),
            Err(e) => tracing::warn!(error = %e, "publish task failed"),
        }
    }
    drop(leases);
    report.rejected.extend(refused);
    report.accepted.sort();
    report.rejected.sort_by(|a, b| a.0.cmp(&b.0));
    report.delivered = route.done(attempts, &report.accepted);
    report
}

/// Reads the pool's raw message stream and routes every event through a gate.
async fn ingest_loop(
    inner: Arc<Inner>,
    mut notifications: broadcast::Receiver<RelayPoolNotification>,
    ev_tx: StreamTx<VerifiedEvent>,
    dm_tx: StreamTx<DecryptedDm>,
) {
    let mut shutdown = inner.shutdown.subscribe();
    let mut shedding = false;
    loop {
        let n = tokio::select! {
            n = notifications.recv() => n,
            _ = shutdown.changed() => break,
        };
        let (relay_url, message) = match n {
            Ok(RelayPoolNotification::Message { relay_url, message }) => (relay_url, message),
            Ok(RelayPoolNotification::Shutdown) => break,
            Ok(_) => continue,
            Err(broadcast::error::RecvError::Lagged(n)) => {
                let mut r = lock(&inner.routes);
                r.total.lagged = r.total.lagged.saturating_add(n);
                tracing::warn!(lost = n, "relay notifications lagged");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => break,
        };
        let dispatch = route(&inner, relay_url, message);
        match dispatch {
            Some(Dispatch::Live(v)) => deliver_live(&inner, v, &ev_tx, &dm_tx, &mut shedding).await,
            Some(Dispatch::Query(tx, v)) => {
                let _ = tx.send(QueryMsg::Event(Box::new(v))).await;
            }
            Some(Dispatch::QueryDone(tx, url, eose)) => {
                let _ = tx.send(QueryMsg::Done(url, eose)).await;
            }
            None => {}
        }
    }
}

/// Decides what one relay message means; runs the gate for events. Never awaits.
fn route(inner: &Inner, relay_url: RelayUrl, message: RelayMessage<'static>) -> Option<Dispatch> {
    let now = unix_now();
    let mut guard = lock(&inner.routes);
    let routes = &mut *guard;
    match message {
        RelayMessage::Event {
            subscription_id,
            event,
        } => {
            let sub_id = subscription_id.into_owned();
            let event = event.into_owned();
            let verdict = if let Some(sub) = routes.live.get_mut(&sub_id) {
                let eose = sub.eose.contains(&relay_url);
                match beyond_limit(&sub.filter, &mut sub.pre_eose, eose, &relay_url) {
                    Err(reason) => {
                        routes.gate.record_external_drop(&reason);
                        Err(reason)
                    }
                    Ok(()) => routes.gate.admit(&event, Some(&sub.filter), now),
                }
                .map(|()| None)
            } else if let Some(q) = routes.queries.get_mut(&sub_id) {
                let budget = inner.config.query_max_bytes_per_relay;
                // Charged before the gate records the id, so an event refused for budget can
                // still arrive from another relay.
                let verdict = beyond_limit(&q.filter, &mut q.pre_eose, false, &relay_url)
                    .and_then(|()| charge_query_bytes(&mut q.bytes, &relay_url, &event, budget));
                if verdict.is_err() {
                    q.truncated.insert(relay_url.clone());
                }
                verdict
                    .and_then(|()| q.gate.admit(&event, Some(&q.filter), now))
                    .map(|()| Some(q.tx.clone()))
            } else {
                Err(DropReason::UnknownSubscription {
                    subscription: crate::protocol::excerpt(&sub_id.to_string()),
                })
            };
            match verdict {
                Ok(query_tx) => {
                    routes.total.accepted = routes.total.accepted.saturating_add(1);
                    let v = VerifiedEvent {
                        event,
                        relay_url,
                        subscription_id: sub_id,
                    };
                    Some(match query_tx {
                        Some(tx) => Dispatch::Query(tx, v),
                        None => Dispatch::Live(v),
                    })
                }
                Err(reason) => {
                    routes.total.record_drop(&reason);
                    tracing::debug!(relay = %relay_url, id = %event.id, %reason, "dropped event");
                    None
                }
            }
        }
        RelayMessage::EndOfStoredEvents(sub_id) => {
            let sub_id = sub_id.into_owned();
            if let Some(sub) = routes.live.get_mut(&sub_id) {
                sub.eose.insert(relay_url);
                None
            } else {
                routes
                    .queries
                    .get(&sub_id)
                    .map(|q| Dispatch::QueryDone(q.tx.clone(), relay_url, true))
            }
        }
        RelayMessage::Closed {
            subscription_id,
            message,
        } => {
            let sub_id = subscription_id.into_owned();
            tracing::info!(relay = %relay_url, sub = %sub_id, %message, "subscription closed by relay");
            routes
                .queries
                .get(&sub_id)
                .map(|q| Dispatch::QueryDone(q.tx.clone(), relay_url, false))
        }
        _ => None,
    }
}

async fn deliver_live(
    inner: &Inner,
    v: VerifiedEvent,
    ev_tx: &StreamTx<VerifiedEvent>,
    dm_tx: &StreamTx<DecryptedDm>,
    shedding: &mut bool,
) {
    let k = v.event.kind.as_u16();
    if k == kinds::GIFT_WRAP || k == kinds::NIP04_DM {
        match transport::open_dm(&inner.keys, &v.event) {
            Ok(dm) => {
                if dm.sender != inner.keys.public_key() {
                    lock(&inner.transports).note(dm.sender, dm.transport);
                }
                let bytes = std::mem::size_of::<DecryptedDm>().saturating_add(dm.plaintext.len());
                let _ = dm_tx.send(dm, bytes).await;
            }
            Err(reason) => {
                let mut r = lock(&inner.routes);
                r.total.dm_rejected = r.total.dm_rejected.saturating_add(1);
                tracing::debug!(id = %v.event.id, %reason, "dropped direct message");
            }
        }
    } else {
        let bytes = approx_event_bytes(&v.event);
        let Some(patience) = inner.config.stream_shed_after else {
            let _ = ev_tx.send(v, bytes).await;
            return;
        };
        // Room now: deliver (and stop shedding). No room: wait up to `patience`, unless already
        // shedding, in which case drop at once so the relays' backlog keeps draining.
        let v = match ev_tx.try_send(v, bytes) {
            Ok(()) => {
                *shedding = false;
                return;
            }
            Err(v) => v,
        };
        let outcome = if *shedding {
            Err(v)
        } else {
            ev_tx
                .send_by(v, bytes, tokio::time::Instant::now() + patience)
                .await
        };
        if let Err(v) = outcome {
            *shedding = true;
            let mut r = lock(&inner.routes);
            r.total.shed = r.total.shed.saturating_add(1);
            tracing::debug!(id = %v.event.id, "live stream full: event shed");
        }
    }
}

/// Watches relay status: on (re)connection, makes sure the relay has every live subscription
/// and wakes the outbox for an immediate full retry.
async fn monitor_loop(inner: Arc<Inner>, mut statuses: broadcast::Receiver<MonitorNotification>) {
    let mut shutdown = inner.shutdown.subscribe();
    loop {
        let n = tokio::select! {
            n = statuses.recv() => n,
            _ = shutdown.changed() => break,
        };
        match n {
            Ok(MonitorNotification::StatusChanged { relay_url, status }) => {
                if status == RelayStatus::Connected {
                    // Extra connections carry no live subscription and no outbox of their own.
                    if !inner.own_relays().contains(&relay_url) {
                        tracing::debug!(relay = %relay_url, "extra relay connected");
                        continue;
                    }
                    tracing::info!(relay = %relay_url, "relay connected");
                    if let Ok(relay) = inner.client.relay(&relay_url).await
                        && relay.flags().has_read()
                    {
                        let live: Vec<(SubscriptionId, Filter)> = lock(&inner.routes)
                            .live
                            .iter()
                            .map(|(id, s)| (id.clone(), s.filter.clone()))
                            .collect();
                        for (id, filter) in live {
                            if relay.subscription(&id).await.is_none()
                                && let Err(e) = relay
                                    .subscribe_with_id(id, filter, SubscribeOptions::default())
                                    .await
                            {
                                tracing::warn!(relay = %relay_url, error = %e, "resubscribe failed");
                            }
                        }
                    }
                    inner.flush_all.store(true, Ordering::SeqCst);
                    inner.wake.notify_one();
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                inner.flush_all.store(true, Ordering::SeqCst);
                inner.wake.notify_one();
            }
            Err(broadcast::error::RecvError::Closed) => break,
        }
    }
}

async fn store_call<T: Send + 'static>(
    store: &Arc<dyn OutboxStore>,
    f: impl FnOnce(&dyn OutboxStore) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || f(store.as_ref()))
        .await
        .map_err(StoreError::new)?
}

/// `true` if a store call failed only because the runtime is shutting down (its blocking task
/// was cancelled before it ran): not a storage failure, and nothing to report at error level.
fn cancelled_by_shutdown(e: &StoreError) -> bool {
    e.0.downcast_ref::<tokio::task::JoinError>()
        .is_some_and(|j| j.is_cancelled())
}

/// Publishes one outbox item and records the result. Returns the next attempt time on failure.
async fn process_item(inner: &Arc<Inner>, item: OutboxItem) -> Result<Option<u64>, StoreError> {
    let report = publish_routed(inner, &item.event, item.attempts).await;
    let id = item.event.id;
    if report.delivered
        && let Some(url) = report.accepted.first()
    {
        let url = url.to_string();
        store_call(&inner.outbox, move |s| s.outbox_record_accept(&id, &url)).await?;
        return Ok(None);
    }
    let kinds: Vec<RejectionKind> = report.rejected.iter().map(|(_, r)| r.kind).collect();
    let now = unix_now();
    let next =
        inner
            .config
            .backoff
            .next_attempt_at(now, item.attempts, &kinds, &mut rand::thread_rng());
    let relay_url = report
        .rejected
        .first()
        .map(|(u, _)| u.to_string())
        .unwrap_or_default();
    let reason = if report.rejected.is_empty() {
        "no relay configured".to_string()
    } else {
        report
            .rejected
            .iter()
            .map(|(u, r)| format!("{u}: {}", r.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    tracing::info!(id = %id, attempts = item.attempts + 1, next, %reason, "publish failed");
    store_call(&inner.outbox, move |s| {
        s.outbox_record_failure(&id, &relay_url, &reason, next)
    })
    .await?;
    Ok(Some(next))
}

/// The outbox publisher: publishes due events, records accepts and failures, sleeps until the
/// earliest retry, a new enqueue, a reconnect, or the poll interval.
async fn outbox_loop(inner: Arc<Inner>) {
    let mut shutdown = inner.shutdown.subscribe();
    let mut earliest_retry: Option<u64> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        let connected = inner
            .client
            .relays()
            .await
            .values()
            .any(|r| r.is_connected());
        let mut more = false;
        if connected {
            let now = unix_now();
            // After a reconnect every pending event is retried at once, whatever its backoff.
            let horizon = if inner.flush_all.swap(false, Ordering::SeqCst) {
                u64::MAX
            } else {
                now
            };
            if earliest_retry.is_some_and(|t| t <= now) {
                earliest_retry = None;
            }
            let batch = inner.config.outbox_batch.max(1);
            match store_call(&inner.outbox, move |s| s.outbox_due(horizon, batch)).await {
                Ok(due) => {
                    more = due.len() == batch;
                    let mut set = JoinSet::new();
                    let mut items = due.into_iter();
                    loop {
                        while set.len() < inner.config.publish_concurrency.max(1) {
                            match items.next() {
                                Some(item) => {
                                    let inner = inner.clone();
                                    set.spawn(async move { process_item(&inner, item).await });
                                }
                                None => break,
                            }
                        }
                        match set.join_next().await {
                            Some(Ok(Ok(Some(next)))) => {
                                earliest_retry = Some(earliest_retry.map_or(next, |t| t.min(next)));
                            }
                            Some(Ok(Ok(None))) => {}
                            Some(Ok(Err(e))) if cancelled_by_shutdown(&e) => {
                                tracing::debug!("outbox: store call cancelled, shutting down");
                                return;
                            }
                            Some(Ok(Err(e))) => {
                                tracing::error!(error = %e, "outbox store failed");
                                more = false;
                            }
                            Some(Err(e)) if e.is_cancelled() => {
                                tracing::debug!("outbox: publish task cancelled, shutting down");
                                return;
                            }
                            Some(Err(e)) => tracing::error!(error = %e, "outbox task failed"),
                            None => break,
                        }
                    }
                }
                Err(e) if cancelled_by_shutdown(&e) => {
                    tracing::debug!("outbox: store call cancelled, shutting down");
                    return;
                }
                Err(e) => tracing::error!(error = %e, "outbox store failed"),
            }
        }
        if more {
            continue;
        }
        let now = unix_now();
        let sleep_for = match earliest_retry {
            Some(t) if connected => {
                Duration::from_secs(t.saturating_sub(now).max(1)).min(inner.config.outbox_poll)
            }
            _ => inner.config.outbox_poll,
        };
        tokio::select! {
            _ = inner.wake.notified() => {}
            _ = tokio::time::sleep(sleep_for) => {}
            _ = shutdown.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_store_call_cancelled_by_shutdown_is_told_apart_from_a_store_failure() {
        let task = tokio::spawn(std::future::pending::<()>());
        task.abort();
        let cancelled = task.await.expect_err("aborted");
        assert!(cancelled_by_shutdown(&StoreError::new(cancelled)));
        let panicked = tokio::spawn(async { panic!("boom") })
            .await
            .expect_err("panicked");
        assert!(!cancelled_by_shutdown(&StoreError::new(panicked)));
        let io = std::io::Error::other("disk full");
        assert!(!cancelled_by_shutdown(&StoreError::new(io)));
    }
}
