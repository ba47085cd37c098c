//! Shared helpers of the end-to-end suites (`e2e_*.rs`): people with phones (an [`App`] over a
//! temporary data dir and an in-memory secret store), a raw "reference agent" peer that speaks
//! envelopes directly, loopback relays (embedded, and nostr-rs-relay as a child process), and
//! polling with a liveness deadline.
//!
//! Nothing here measures speed: the deadline only turns a hang into a failure.

#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use freeport_core::app::{App, AppConfig, DealView, IntentView, Payload, PostIntent};
#[allow(unused_imports)] // each test binary uses its own share of the typed views
pub use freeport_core::app::{CancelReason, DealRole, DealState, Party};
use freeport_core::identity::{Identity, MemorySecretStore};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::envelope::{Envelope, EnvelopeType, Terms, build_envelope};
use freeport_core::protocol::intent::Side;
use freeport_core::relay::{
    EmbeddedRelay, EmbeddedRelayOptions, Incoming, MemoryOutbox, RelayClient, RelayConfig,
    Transport, transport,
};
use nostr::{Event, EventId, Filter, Keys, Timestamp};

/// Longest any condition may take to become true (relay round trips, reconnects).
pub const PATIENCE: Duration = Duration::from_secs(60);

/// Where the demo town lives.
pub const WHERE: &str = "w21z74";

/// Current unix time in seconds.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An embedded loopback relay with a rate limit no test reaches.
pub async fn embedded_relay() -> EmbeddedRelay {
    EmbeddedRelay::start_with(EmbeddedRelayOptions {
        notes_per_minute: 1_000_000,
        ..Default::default()
    })
    .await
    .expect("embedded relay starts")
}

/// One person with a phone.
pub struct Person {
    pub name: &'static str,
    pub keys: Keys,
    pub app: App,
    pub secrets: Arc<MemorySecretStore>,
    pub dir: PathBuf,
    _home: Option<tempfile::TempDir>,
}

impl Person {
    /// The app's configuration for this person's data dir.
    pub fn config(dir: &Path, relays: &[String]) -> AppConfig {
        let mut cfg = AppConfig::new(dir, relays.to_vec());
        cfg.intent_pow_bits = 0;
        cfg.rating_pow_bits = 0;
        cfg.default_region = Some("SG".into());
        cfg.query_timeout = Duration::from_secs(3);
        cfg
    }

    /// Opens an app for a fresh identity without any network (a phone in airplane mode).
    pub fn offline(name: &'static str, relays: &[String]) -> Self {
        Self::offline_with(name, relays, |_| {})
    }

    /// [`Person::offline`] with a changed configuration (e.g. index relays).
    pub fn offline_with(
        name: &'static str,
        relays: &[String],
        tweak: impl FnOnce(&mut AppConfig),
    ) -> Self {
        let home = tempfile::tempdir().expect("tempdir");
        let dir = home.path().join(name.to_lowercase());
        let keys = Keys::generate();
        let secrets = Arc::new(MemorySecretStore::new());
        Identity::import_secret(secrets.as_ref(), &keys.secret_key().to_secret_hex())
            .expect("import identity");
        let mut cfg = Self::config(&dir, relays);
        tweak(&mut cfg);
        let app = App::open(cfg, secrets.clone()).expect("app opens");
        Self {
            name,
            keys,
            app,
            secrets,
            dir,
            _home: Some(home),
        }
    }

    /// Opens an app for a fresh identity and connects it.
    pub async fn online(name: &'static str, relays: &[String]) -> Self {
        let p = Self::offline(name, relays);
        p.connect().await;
        p
    }

    /// Starts the network and waits for a relay.
    pub async fn connect(&self) {
        self.app.start_network().await.expect("start network");
        assert!(
            self.app.wait_connected(PATIENCE).await.expect("online") >= 1,
            "{} reaches a relay",
            self.name
        );
    }

    /// Drops the running app and opens the same data dir with the same secret store, like a
    /// phone whose app was killed and relaunched. The network is not started.
    pub async fn relaunch(&mut self, relays: &[String]) {
        self.app.stop_network().await;
        let app =
            App::open(Self::config(&self.dir, relays), self.secrets.clone()).expect("app reopens");
        self.app = app;
    }

    /// [`Person::relaunch`] with a changed configuration.
    pub async fn relaunch_with(&mut self, relays: &[String], tweak: impl FnOnce(&mut AppConfig)) {
        self.app.stop_network().await;
        let mut cfg = Self::config(&self.dir, relays);
        tweak(&mut cfg);
        self.app = App::open(cfg, self.secrets.clone()).expect("app reopens");
    }

    /// One deal as this person's phone shows it.
    pub fn deal(&self, nego: &str) -> DealView {
        self.app.deal(nego).expect("deal exists")
    }

    /// Waits until `nego` reaches `state` (syncing in between, as a pull-to-refresh would).
    pub async fn until_state(&self, nego: &str, state: DealState) -> DealView {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(d) = self.app.deal(nego)
                && d.state == state
            {
                return d;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: {nego} never reached {state:?} (now {:?})",
                self.name,
                self.app.deal(nego).map(|d| d.state)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the phone knows `nego` at all.
    pub async fn until_known(&self, nego: &str) -> DealView {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if let Ok(d) = self.app.deal(nego) {
                return d;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: never heard of {nego}",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the outbox is empty.
    pub async fn flushed(&self) {
        let left = self.app.flush_outbox(PATIENCE).await.expect("flush");
        assert_eq!(left, 0, "{}: outbox drained", self.name);
    }

    /// Posts a goods request near [`WHERE`] with no proof of work.
    pub async fn post_request(&self, title: &str, price: u32, expires_in: u64) -> IntentView {
        let i = self
            .app
            .post_intent(PostIntent {
                market: "goods/1".into(),
                side: Side::Request,
                title: title.into(),
                payload: Payload::Json(serde_json::json!({
                    "item": "city bike", "condition": "good", "price": price, "currency": "SGD",
                    "location": {"name": "Tanjong Pagar MRT", "geohash": WHERE}
                })),
                geohash: Some(WHERE.into()),
                expires_in_secs: Some(expires_in),
                pow_bits: Some(0),
                window: None,
                flex_minutes: None,
            })
            .await
            .expect("post intent");
        self.flushed().await;
        i
    }

    /// Finds `intent_id` by browsing the market near [`WHERE`].
    pub async fn find(&self, intent_id: &str) -> IntentView {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let seen = self
                .app
                .browse("goods", Some(WHERE), 1)
                .await
                .expect("browse");
            if let Some(i) = seen.into_iter().find(|i| i.id == intent_id) {
                return i;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: intent not found",
                self.name
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The terms an intent was posted with.
pub fn intent_terms(i: &IntentView) -> Terms {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&i.payload_json).expect("payload json");
    Terms::from_map(&map).expect("terms")
}

/// `terms` with another price.
pub fn priced(terms: &Terms, price: u32) -> Terms {
    terms.clone().with("price", serde_json::json!(price))
}

/// The price in a deal view's terms.
pub fn price_of(d: &DealView) -> u64 {
    let v: serde_json::Value = serde_json::from_str(&d.terms_json).expect("terms json");
    v["price"].as_u64().expect("price")
}

/// A peer that speaks the wire protocol directly, like the reference CLI agent: it builds each
/// envelope itself and sends it as NIP-04 kind 4 (or NIP-17), with no state machine of ours
/// deciding whose turn it is.
pub struct RawPeer {
    pub keys: Keys,
    pub client: RelayClient,
    pub incoming: Incoming,
    pub transport: Transport,
}

impl RawPeer {
    /// Connects a raw peer.
    pub async fn connect(relays: &[String], transport: Transport) -> Self {
        Self::connect_as(Keys::generate(), relays, transport).await
    }

    /// Connects a raw peer with given keys.
    pub async fn connect_as(keys: Keys, relays: &[String], transport: Transport) -> Self {
        let (client, incoming) = RelayClient::start(
            keys.clone(),
            fast_config(relays.to_vec()),
            Arc::new(MemoryOutbox::new()),
        )
        .await
        .expect("raw client starts");
        assert!(client.wait_for_connected(1, PATIENCE).await >= 1);
        client
            .subscribe_dms(Timestamp::from(now().saturating_sub(3 * 24 * 3600)))
            .await
            .expect("dm subscription");
        Self {
            keys,
            client,
            incoming,
            transport,
        }
    }

    /// A bare envelope from this peer about `intent`.
    pub fn envelope(&self, kind: EnvelopeType, intent: &IntentView, ts: u64) -> Envelope {
        let author = freeport_core::identity::parse_public_key(&intent.author).expect("author");
        let nego = NegoId::new(&intent.d, author, self.keys.public_key()).expect("nego");
        let id = EventId::from_hex(&intent.id).expect("intent id");
        Envelope::new(kind, nego, id, intent.market.clone(), ts)
    }

    /// Signs and publishes `env` (to the other party of its negotiation), waiting for the relay.
    pub async fn send(&self, env: &Envelope) -> EventId {
        let peer = env
            .nego
            .counterparty_of(&self.keys.public_key())
            .expect("a party of the negotiation");
        let json = build_envelope(env).expect("valid envelope");
        self.send_text(&peer, &json).await
    }

    /// Sends arbitrary text as a direct message to `peer` on this peer's transport.
    pub async fn send_text(&self, peer: &nostr::PublicKey, text: &str) -> EventId {
        let events = self.wrap(peer, text);
        let id = events[0].id;
        for e in events {
            assert!(
                self.client.publish_now(&e).await.is_accepted(),
                "relay accepts"
            );
        }
        id
    }

    /// The events carrying `text` to `peer` on this peer's transport.
    pub fn wrap(&self, peer: &nostr::PublicKey, text: &str) -> Vec<Event> {
        let t = Timestamp::from(now());
        match self.transport {
            Transport::Nip04 => {
                vec![transport::build_nip04(&self.keys, peer, text, t).expect("nip04")]
            }
            Transport::Nip17 => {
                let out = transport::build_nip17(&self.keys, peer, text, t).expect("nip17");
                vec![out.to_peer]
            }
        }
    }

    /// The next envelope addressed to this peer.
    pub async fn recv(&mut self) -> (Envelope, Transport) {
        let dm = tokio::time::timeout(PATIENCE, self.incoming.dms.recv())
            .await
            .expect("a message arrives")
            .expect("stream open");
        let env =
            freeport_core::protocol::envelope::parse_envelope(&dm.plaintext).expect("envelope");
        (env, dm.transport)
    }

    /// Skips messages until one of `kind` arrives.
    pub async fn recv_kind(&mut self, kind: EnvelopeType) -> (Envelope, Transport) {
        loop {
            let (env, t) = self.recv().await;
            if env.kind == kind {
                return (env, t);
            }
        }
    }
}

/// A negotiation message from `from` about `intent` (a counter at `price`, or any other `kind`
/// with no terms), carried on `t` to the intent's author, written at `ts`. Returns the
/// negotiation id and the event to publish — what a responder's phone would send.
pub fn message_on(
    from: &Keys,
    intent: &IntentView,
    kind: EnvelopeType,
    price: u32,
    ts: u64,
    t: Transport,
) -> (String, Event) {
    let author = freeport_core::identity::parse_public_key(&intent.author).expect("author");
    let nego = NegoId::new(&intent.d, author, from.public_key()).expect("nego");
    let mut env = Envelope::new(
        kind,
        nego.clone(),
        EventId::from_hex(&intent.id).expect("id"),
        intent.market.clone(),
        ts,
    );
    match kind {
        EnvelopeType::Counter => env.terms = Some(priced(&intent_terms(intent), price)),
        EnvelopeType::Accept => {
            env.terms = Some(intent_terms(intent));
            env.contact = Some(format!("Someone · {}", from.public_key().to_hex()));
        }
        _ => {}
    }
    let text = build_envelope(&env).expect("envelope");
    let at = Timestamp::from(ts);
    let ev = match t {
        Transport::Nip17 => {
            transport::build_nip17(from, &author, &text, at)
                .expect("wrap")
                .to_peer
        }
        Transport::Nip04 => transport::build_nip04(from, &author, &text, at).expect("nip04"),
    };
    (nego.to_string(), ev)
}

/// Relay client tunables for tests: fast reconnects and retries.
pub fn fast_config(relays: Vec<String>) -> RelayConfig {
    let mut c = RelayConfig::new(relays);
    c.reconnect_interval = Duration::from_millis(300);
    c.adaptive_reconnect = false;
    c.outbox_poll = Duration::from_millis(300);
    c.backoff.base = Duration::from_millis(200);
    c.backoff.cap = Duration::from_secs(1);
    c
}

/// A raw client to look at (or publish to) what the relays hold; waits for all of them.
pub async fn observer(relays: &[String]) -> RelayClient {
    let (c, _inc) = RelayClient::start(
        Keys::generate(),
        fast_config(relays.to_vec()),
        Arc::new(freeport_core::relay::MemoryOutbox::new()),
    )
    .await
    .expect("observer starts");
    assert_eq!(
        c.wait_for_connected(relays.len(), PATIENCE).await,
        relays.len()
    );
    c
}

/// Every event matching `filter` on the relays (verified, newest version of each address).
pub async fn on_relay(relays: &[String], filter: Filter) -> Vec<Event> {
    let c = observer(relays).await;
    let got = c
        .query(filter, Duration::from_secs(10))
        .await
        .expect("query");
    c.shutdown().await;
    got.into_iter().map(|v| v.into_event()).collect()
}

// ---- nostr-rs-relay ------------------------------------------------------------------------

#[path = "../../../tests/support/nostr_rs_relay.rs"]
mod nostr_rs_relay;
#[allow(unused_imports)] // only the suites that need a real relay use it
pub use nostr_rs_relay::RealRelay;
