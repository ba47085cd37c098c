//! Trading with the deployed reference client, every flow, both directions (issue 22).
//!
//! The reference's two programs are played by [`Reference`]: it publishes intents as the
//! reference does (no `caps` tag), sends the exact JSON its code sends (FREEPORT-V1.md, "What the
//! deployed reference actually sends in negotiation") over real NIP-04 — and NIP-17, which its
//! app reads — on the embedded relay, and reads what our client sends the way it would: the
//! command-line agent sees kind 4 only. Our side is the real `App`, the code a phone runs.

mod common;

use std::time::Duration;

use common::*;
use freeport_core::app::{
    AppEvent, DealStage, DealState, Payload, PhoneStatus, PostIntent, RefusalCode, Response,
    screen_events,
};
use freeport_core::identity::to_npub;
use freeport_core::negotiation::DealAction;
use freeport_core::protocol::envelope::{Terms, parse_envelope};
use freeport_core::protocol::intent::{Side, TimeWindow};
use freeport_core::protocol::kinds;
use freeport_core::relay::{Transport, transport};
use nostr::{Event, EventBuilder, Filter, Keys, Kind, PublicKey, Tag, TagKind, Timestamp};
use serde_json::{Value, json};

// ---- the reference ---------------------------------------------------------------------------

/// A reference program: its command-line agent (reads kind 4 only) or its app (reads both).
struct Reference {
    raw: RawPeer,
    reads_wraps: bool,
}

/// An intent as the reference posts it.
struct RefIntent {
    id: String,
    d: String,
    window: Value,
}

const FROM: &str = "Tanjong Pagar MRT";
const TO: &str = "Changi Airport T3";

fn ride_payload() -> Value {
    json!({
        "from": {"name": FROM, "geohash": WHERE},
        "to": {"name": TO, "geohash": "w21zg3"},
        "payment": "SGD 15",
        "category": "car"
    })
}

fn window_at(start: u64) -> Value {
    json!({"start": start, "end": start + 1_800})
}

impl Reference {
    async fn agent(relays: &[String]) -> Self {
        Self {
            raw: RawPeer::connect(relays, Transport::Nip04).await,
            reads_wraps: false,
        }
    }

    async fn app(relays: &[String]) -> Self {
        Self {
            raw: RawPeer::connect(relays, Transport::Nip04).await,
            reads_wraps: true,
        }
    }

    fn pk(&self) -> PublicKey {
        self.raw.keys.public_key()
    }

    /// Publishes a rideshare intent exactly as the reference builds it: tags `d, t,
    /// expiration, freeport, g…` and nothing of ours.
    async fn post_ride(&self, side: Side) -> RefIntent {
        let d = format!("{:016x}", rand_u64());
        let exp = now() + 6 * 3600;
        let window = window_at(now() + 3 * 3600);
        let content = json!({
            "v": 1, "side": side.as_str(), "market": "sg-rideshare", "schema": "rideshare/1",
            "title": "Ride to Changi", "payload": ride_payload(), "window": window,
            "flex_minutes": 15, "expires_at": exp
        });
        let mut tags = vec![
            Tag::identifier(&d),
            Tag::custom(TagKind::custom("t"), ["sg-rideshare"]),
            Tag::expiration(Timestamp::from(exp)),
            Tag::custom(TagKind::custom("freeport"), ["1"]),
        ];
        for n in 1..=5 {
            tags.push(Tag::custom(TagKind::custom("g"), [&WHERE[..n]]));
        }
        let ev = EventBuilder::new(Kind::Custom(side.kind()), content.to_string())
            .tags(tags)
            .sign_with_keys(&self.raw.keys)
            .expect("sign");
        assert!(self.raw.client.publish_now(&ev).await.is_accepted());
        RefIntent {
            id: ev.id.to_hex(),
            d,
            window,
        }
    }

    /// Sends the reference's JSON to `to` over `tr`.
    async fn send(&self, to: &PublicKey, msg: &Value, tr: Transport) {
        let text = msg.to_string();
        let t = Timestamp::from(now());
        let events = match tr {
            Transport::Nip04 => vec![transport::build_nip04(&self.raw.keys, to, &text, t).unwrap()],
            Transport::Nip17 => {
                vec![
                    transport::build_nip17(&self.raw.keys, to, &text, t)
                        .unwrap()
                        .to_peer,
                ]
            }
        };
        for e in events {
            assert!(self.raw.client.publish_now(&e).await.is_accepted());
        }
    }

    /// The next message our client sent to this peer, as JSON, with its transport. The agent
    /// only ever sees kind 4: a gift wrap to it is a message lost.
    async fn recv(&mut self) -> (Value, Transport) {
        let dm = loop {
            let dm = tokio::time::timeout(PATIENCE, self.raw.incoming.dms.recv())
                .await
                .expect("a message arrives")
                .expect("stream open");
            // Its own sends come back on its subscription: not messages to it.
            if dm.sender != self.pk() {
                break dm;
            }
        };
        if !self.reads_wraps {
            assert_eq!(
                dm.transport,
                Transport::Nip04,
                "the reference agent reads kind 4 only: it never sees this gift wrap"
            );
        }
        let v: Value = serde_json::from_str(&dm.plaintext).expect("JSON");
        // What we send always passes our own strict parser, and the reference's (v, type, nego).
        parse_envelope(&dm.plaintext).expect("our envelope parses");
        (v, dm.transport)
    }

    /// The next message of `type`.
    async fn recv_type(&mut self, ty: &str) -> (Value, Transport) {
        loop {
            let (v, t) = self.recv().await;
            if v["type"] == ty {
                return (v, t);
            }
        }
    }
}

fn rand_u64() -> u64 {
    let k = Keys::generate();
    let b = k.public_key().to_bytes();
    u64::from_be_bytes(b[..8].try_into().expect("8 bytes"))
}

/// The reference's negotiation id.
fn nego_id(d: &str, author: &PublicKey, responder: &PublicKey) -> String {
    format!("{d}:{}:{}", author.to_hex(), responder.to_hex())
}

/// An envelope as the reference's `make*` functions build it (key order and all).
fn envelope(ty: &str, nego: &str, intent_id: &str, d: &str, body: Value) -> Value {
    let mut m = json!({
        "v": 1, "type": ty, "nego": nego, "intent_id": intent_id, "intent_d": d,
        "market": "sg-rideshare"
    });
    for (k, v) in body.as_object().expect("object") {
        m[k] = v.clone();
    }
    m["ts"] = json!(now());
    m
}

// ---- our side ----------------------------------------------------------------------------------

/// Posts one of our ride intents (with our `caps` tag) and returns (id, d, window).
async fn post_our_ride(p: &Person, side: Side) -> (String, String, Value) {
    let start = now() + 3 * 3600;
    let i = p
        .app
        .post_intent(PostIntent {
            market: "rideshare".into(),
            side,
            title: "Ride to Changi".into(),
            payload: Payload::Json(ride_payload()),
            geohash: Some(WHERE.into()),
            expires_in_secs: Some(6 * 3600),
            pow_bits: Some(0),
            window: Some(TimeWindow {
                start,
                end: start + 1_800,
            }),
            flex_minutes: Some(15),
        })
        .await
        .expect("post");
    p.flushed().await;
    (i.id, i.d, window_at(start))
}

/// Browses the rideshare market until `id` shows up.
async fn find_ride(p: &Person, id: &str) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let seen = p
            .app
            .browse("rideshare", Some(WHERE), 1)
            .await
            .expect("browse");
        if seen.iter().any(|i| i.id == id) {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "intent not found");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn terms_of(d: &freeport_core::app::DealView) -> Value {
    serde_json::from_str(&d.terms_json).expect("terms json")
}

async fn relays() -> (freeport_core::relay::EmbeddedRelay, Vec<String>) {
    let r = embedded_relay().await;
    let urls = vec![r.url()];
    (r, urls)
}

// ---- 1. transport and the agent's single accept ------------------------------------------

/// We counter the agent's ride: the first contact is NIP-04 (the agent reads nothing else), our
/// counter carries only what changed (no nulls erasing the route and time), the agent accepts by
/// echoing it with its contact and never sends anything else, and we confirm.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_counter_the_agents_ride_over_nip04_and_confirm_on_its_single_accept() {
    let (_relay, urls) = relays().await;
    let mut agent = Reference::agent(&urls).await;
    let bob = Person::online("Bob", &urls).await;
    let ride = agent.post_ride(Side::Offer).await;
    find_ride(&bob, &ride.id).await;

    let counter = Terms::new().with("payment", json!("SGD 12"));
    let d = bob
        .app
        .respond(&ride.id, Response::Counter(counter))
        .await
        .expect("respond");
    bob.flushed().await;
    let (msg, tr) = agent.recv().await;
    assert_eq!(tr, Transport::Nip04, "first contact by NIP-04");
    assert_eq!(msg["type"], "negotiate.counter");
    assert_eq!(
        msg["terms"],
        json!({"payment": "SGD 12"}),
        "only what changed"
    );
    assert!(
        msg.get("contact").is_none(),
        "we never send contact before accepting"
    );
    assert_eq!(
        msg["nego"],
        nego_id(&ride.d, &agent.pk(), &bob.keys.public_key())
    );

    // The agent's evaluateCounter → tryAccept: accept of `mergeTerms(undefined, counter)`.
    let accept = envelope(
        "negotiate.accept",
        &d.nego,
        &ride.id,
        &ride.d,
        json!({"terms": msg["terms"], "contact": "Agent Ann · +6590001111"}),
    );
    agent
        .send(&bob.keys.public_key(), &accept, Transport::Nip04)
        .await;
    let deal = bob.until_state(&d.nego, DealState::Confirmed).await;
    assert_eq!(
        deal.their_contact.as_deref(),
        Some("Agent Ann · +6590001111")
    );
    let t = terms_of(&deal);
    assert_eq!(t["payment"], "SGD 12");
    assert_eq!(t["from"]["name"], FROM, "the route stands");
    assert_eq!(t["window"], ride.window, "the time stands");
    // Our automatic accept also goes by NIP-04 (the agent drops it: it is confirmed already).
    let (ours, tr) = agent.recv_type("negotiate.accept").await;
    assert_eq!(tr, Transport::Nip04);
    assert_eq!(
        ours["terms"]["from"], FROM,
        "places as the reference writes them"
    );
    // Like the reference, we published our receipt half on confirmation.
    bob.flushed().await;
    let receipts = on_relay(
        &urls,
        Filter::new()
            .kind(Kind::Custom(kinds::RECEIPT))
            .author(bob.keys.public_key()),
    )
    .await;
    assert_eq!(receipts.len(), 1);
}

/// The agent accepts our ride request "as posted": the deal waits for our pick, which confirms
/// it at once — the agent never sends a second accept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agents_as_posted_accept_of_our_request_confirms_when_we_pick() {
    let (_relay, urls) = relays().await;
    let mut agent = Reference::agent(&urls).await;
    let alice = Person::online("Alice", &urls).await;
    let (id, d, window) = post_our_ride(&alice, Side::Request).await;
    let nego = nego_id(&d, &alice.keys.public_key(), &agent.pk());
    let accept = envelope(
        "negotiate.accept",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": window, "note": "as posted"},
               "contact": "Agent Ann · +6590001111"}),
    );
    agent
        .send(&alice.keys.public_key(), &accept, Transport::Nip04)
        .await;
    let deal = alice.until_state(&nego, DealState::AcceptedByThem).await;
    assert_eq!(deal.their_contact, None, "no contact before confirmation");
    let picked = alice.app.pick(&nego).await.expect("pick");
    assert_eq!(picked.state, DealState::Confirmed);
    assert_eq!(
        picked.their_contact.as_deref(),
        Some("Agent Ann · +6590001111")
    );
    assert_eq!(terms_of(&picked)["payment"], "SGD 15", "the posted terms");
    alice.flushed().await;
    let (ours, tr) = agent.recv_type("negotiate.accept").await;
    assert_eq!(
        tr,
        Transport::Nip04,
        "answered on the only transport it reads"
    );
    assert!(ours["contact"].as_str().is_some());
}

// ---- 2. the app's messages, over both transports -------------------------------------------

/// The app's first message is a counter carrying its contact, with places as strings: the quote
/// shows (contact hidden until confirmed), and our pick confirms at once with its contact.
async fn apps_counter_with_contact_is_a_quote(tr: Transport) {
    let (_relay, urls) = relays().await;
    let mut app = Reference::app(&urls).await;
    let alice = Person::online("Alice", &urls).await;
    let (id, d, window) = post_our_ride(&alice, Side::Request).await;
    let nego = nego_id(&d, &alice.keys.public_key(), &app.pk());
    let counter = envelope(
        "negotiate.counter",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": window, "payment": "S$12", "from": FROM, "to": TO},
               "contact": "Linh · +6591112222"}),
    );
    app.send(&alice.keys.public_key(), &counter, tr).await;
    alice.until_known(&nego).await;
    let quotes = alice.app.quotes(&id).expect("quotes");
    assert_eq!(quotes.len(), 1);
    let q = &quotes[0].deal;
    assert_eq!(q.state, DealState::Open);
    assert_eq!(q.their_contact, None, "kept private until confirmation");
    assert_eq!(terms_of(q)["payment"], "S$12");
    assert_eq!(terms_of(q)["from"], FROM);
    let picked = alice.app.pick(&nego).await.expect("pick");
    assert_eq!(
        picked.state,
        DealState::Confirmed,
        "the app confirms on our accept"
    );
    assert_eq!(picked.their_contact.as_deref(), Some("Linh · +6591112222"));
    alice.flushed().await;
    let (ours, back) = app.recv_type("negotiate.accept").await;
    assert_eq!(back, tr, "answered on the transport it used");
    assert_eq!(ours["terms"]["payment"], "S$12");
    assert_eq!(ours["terms"]["to"], TO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_counter_with_contact_is_a_quote_over_nip04() {
    apps_counter_with_contact_is_a_quote(Transport::Nip04).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_counter_with_contact_is_a_quote_over_nip17() {
    apps_counter_with_contact_is_a_quote(Transport::Nip17).await;
}

/// The app's one-tap accept carries only what its user saw, reformatted ("S$15", the posted
/// start with its own end, places as names): it accepts the terms on the table.
async fn apps_one_tap_accept_names_the_table(tr: Transport) {
    let (_relay, urls) = relays().await;
    let app = Reference::app(&urls).await;
    let alice = Person::online("Alice", &urls).await;
    let (id, d, window) = post_our_ride(&alice, Side::Request).await;
    let start = window["start"].as_u64().expect("start");
    let nego = nego_id(&d, &alice.keys.public_key(), &app.pk());
    let accept = envelope(
        "negotiate.accept",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": {"start": start, "end": start + 900}, "payment": "S$15",
                         "from": FROM, "to": TO},
               "contact": "Linh · +6591112222", "payAddress": "linh@wallet.example"}),
    );
    app.send(&alice.keys.public_key(), &accept, tr).await;
    alice.until_state(&nego, DealState::AcceptedByThem).await;
    let picked = alice.app.pick(&nego).await.expect("pick");
    assert_eq!(picked.state, DealState::Confirmed);
    // Confirmed on our table, not on the app's rewording.
    let t = terms_of(&picked);
    assert_eq!(t["payment"], "SGD 15");
    assert_eq!(t["window"], window);
    assert!(
        alice
            .app
            .refusals(Some(&nego))
            .expect("refusals")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_one_tap_accept_names_the_table_over_nip04() {
    apps_one_tap_accept_names_the_table(Transport::Nip04).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apps_one_tap_accept_names_the_table_over_nip17() {
    apps_one_tap_accept_names_the_table(Transport::Nip17).await;
}

/// We accept the app's ride as posted: confirmed at once (no second accept will come); the
/// app's automatic "contact backflow" accept brings its contact, and we do not answer it.
/// Returns the confirmed deal for the next flows.
async fn confirmed_with_the_app(urls: &[String]) -> (Reference, Person, RefIntent, String) {
    let mut app = Reference::app(urls).await;
    let bob = Person::online("Bob", urls).await;
    let ride = app.post_ride(Side::Offer).await;
    find_ride(&bob, &ride.id).await;
    let d = bob
        .app
        .respond(&ride.id, Response::Accept)
        .await
        .expect("accept as posted");
    assert_eq!(
        d.state,
        DealState::Confirmed,
        "the reference confirms on our accept"
    );
    assert_eq!(d.their_contact, None);
    bob.flushed().await;
    let (ours, tr) = app.recv_type("negotiate.accept").await;
    assert_eq!(tr, Transport::Nip04, "first contact by NIP-04");
    assert_eq!(ours["terms"]["from"], FROM);
    assert_eq!(ours["terms"]["payment"], "SGD 15");
    // The backflow: the app's own accept, echoing the terms, with its contact.
    let back = envelope(
        "negotiate.accept",
        &d.nego,
        &ride.id,
        &ride.d,
        json!({"terms": ours["terms"], "contact": "Owner Oscar · +6598887777"}),
    );
    app.send(&bob.keys.public_key(), &back, Transport::Nip04)
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while bob.deal(&d.nego).their_contact.is_none() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "contact never arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        bob.deal(&d.nego).their_contact.as_deref(),
        Some("Owner Oscar · +6598887777")
    );
    (app, bob, ride, d.nego)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_accept_the_apps_ride_as_posted_and_its_contact_backflow_needs_no_answer() {
    let (_relay, urls) = relays().await;
    let (app, bob, _ride, _nego) = confirmed_with_the_app(&urls).await;
    bob.flushed().await;
    bob.app.sync().await.expect("sync");
    bob.flushed().await;
    // Exactly one message from Bob to the app: the accept (no reply to the backflow).
    let sent = on_relay(
        &urls,
        Filter::new()
            .kind(Kind::EncryptedDirectMessage)
            .author(bob.keys.public_key()),
    )
    .await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].tags.public_keys().next(), Some(&app.pk()));
}

// ---- 3. the rest of the vocabulary -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_and_stages_with_the_app_both_ways() {
    let (_relay, urls) = relays().await;
    let (mut app, bob, ride, nego) = confirmed_with_the_app(&urls).await;
    let mut events = bob.app.subscribe();
    // Two chats in the same second are two messages.
    for text in ["On my way", "Blue Toyota, SBA1234"] {
        let chat = envelope(
            "negotiate.chat",
            &nego,
            &ride.id,
            &ride.d,
            json!({"text": text}),
        );
        app.send(&bob.keys.public_key(), &chat, Transport::Nip04)
            .await;
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while bob.deal(&nego).unread < 2 {
        assert!(tokio::time::Instant::now() < deadline, "chat never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let history = bob.app.chat(&nego).expect("history");
    let texts: Vec<&str> = history.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["On my way", "Blue Toyota, SBA1234"]);
    assert!(history.iter().all(|m| !m.from_me && m.unread));
    assert_eq!(bob.app.mark_chat_read(&nego).expect("read"), 2);
    assert_eq!(bob.deal(&nego).unread, 0);
    let mut got = Vec::new();
    while let Ok(e) = events.try_recv() {
        got.push(e);
    }
    assert!(got.contains(&AppEvent::ChatReceived { nego: nego.clone() }));

    // Ours reaches the app as its JSON.
    let mine = bob
        .app
        .chat_send(&nego, "See you at exit B")
        .await
        .expect("send");
    assert!(mine.from_me);
    bob.flushed().await;
    let (m, tr) = app.recv_type("negotiate.chat").await;
    assert_eq!(
        (m["text"].as_str(), tr),
        (Some("See you at exit B"), Transport::Nip04)
    );
    assert_eq!(bob.app.chat(&nego).expect("history").len(), 3);

    // Stages: the app reports picked up, then completed; stages only advance.
    for stage in ["picked_up", "completed"] {
        let st = envelope(
            "negotiate.status",
            &nego,
            &ride.id,
            &ride.d,
            json!({"stage": stage}),
        );
        app.send(&bob.keys.public_key(), &st, Transport::Nip04)
            .await;
    }
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while bob.deal(&nego).stage != Some(DealStage::Completed) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "stage never arrived"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // After "completed" a cancel can no longer undo the deal, and is refused with that reason.
    let cancel = envelope(
        "negotiate.cancel",
        &nego,
        &ride.id,
        &ride.d,
        json!({"reason": "changed my mind"}),
    );
    app.send(&bob.keys.public_key(), &cancel, Transport::Nip04)
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while bob.app.refusals(Some(&nego)).expect("refusals").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refusal never recorded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        bob.app.refusals(Some(&nego)).expect("refusals")[0].code,
        RefusalCode::Irreversible
    );
    assert_eq!(bob.deal(&nego).state, DealState::Confirmed);
    // Our own stage report goes out as the app's JSON.
    bob.app
        .mark_stage(&nego, DealStage::Completed)
        .await
        .expect("completed");
    bob.flushed().await;
    let (st, _) = app.recv_type("negotiate.status").await;
    assert_eq!(st["stage"], "completed");
    assert_eq!(bob.deal(&nego).state, DealState::Completed);
    // Chat is never part of a rating.
    bob.app
        .rate(
            &nego,
            freeport_core::app::RateInput {
                safe: true,
                reliable: true,
                score: None,
                reached_number: false,
            },
        )
        .await
        .expect("rate");
    bob.flushed().await;
    let ratings = on_relay(
        &urls,
        Filter::new()
            .kind(Kind::Custom(kinds::RATING))
            .author(bob.keys.public_key()),
    )
    .await;
    assert_eq!(ratings.len(), 1);
    for text in ["On my way", "Blue Toyota", "exit B"] {
        assert!(!ratings[0].content.contains(text));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_cancel_with_the_app_both_ways() {
    let (_relay, urls) = relays().await;
    let (mut app, bob, ride, nego) = confirmed_with_the_app(&urls).await;
    // They ask, we decline.
    let ask = envelope(
        "negotiate.cancel_request",
        &nego,
        &ride.id,
        &ride.d,
        json!({}),
    );
    app.send(&bob.keys.public_key(), &ask, Transport::Nip04)
        .await;
    let d = bob
        .until_state(&nego, DealState::CancelRequestedByThem)
        .await;
    assert!(d.actions.contains(&DealAction::AgreeCancel));
    let d = bob.app.decline_cancel(&nego).await.expect("decline");
    assert_eq!(d.state, DealState::Confirmed);
    bob.flushed().await;
    let (m, _) = app.recv_type("negotiate.cancel_decline").await;
    assert_eq!(m["nego"], nego);
    // We ask, they agree.
    let d = bob
        .app
        .request_cancel(&nego, Some("rain".into()))
        .await
        .expect("request");
    assert_eq!(d.state, DealState::CancelRequestedByUs);
    assert!(!d.actions.contains(&DealAction::AgreeCancel));
    bob.flushed().await;
    app.recv_type("negotiate.cancel_request").await;
    let agree = envelope(
        "negotiate.cancel_agree",
        &nego,
        &ride.id,
        &ride.d,
        json!({}),
    );
    app.send(&bob.keys.public_key(), &agree, Transport::Nip04)
        .await;
    bob.until_state(&nego, DealState::Cancelled).await;
}

// ---- 4. transport choice by capability ----------------------------------------------------

/// A reference peer that advertises a NIP-17 inbox (kind 10050) gets gift wraps at first
/// contact; so does the author of an intent with our `caps` tag; and with "NIP-17 only" even
/// the agent gets them (and never sees them: the privacy setting's cost).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_follows_what_the_peer_showed_it_reads() {
    let (_relay, urls) = relays().await;
    let bob = Person::online("Bob", &urls).await;

    // 1. Inbox list.
    let mut inbox = Reference::app(&urls).await;
    let list = EventBuilder::new(Kind::Custom(kinds::DM_RELAYS), "")
        .tags([Tag::custom(TagKind::custom("relay"), [urls[0].as_str()])])
        .sign_with_keys(&inbox.raw.keys)
        .expect("sign");
    assert!(inbox.raw.client.publish_now(&list).await.is_accepted());
    let ride = inbox.post_ride(Side::Offer).await;
    find_ride(&bob, &ride.id).await;
    bob.app
        .respond(
            &ride.id,
            Response::Counter(Terms::new().with("payment", json!("SGD 13"))),
        )
        .await
        .expect("respond");
    bob.flushed().await;
    let (_, tr) = inbox.recv().await;
    assert_eq!(tr, Transport::Nip17, "it advertised a NIP-17 inbox");

    // 2. Our own caps tag on the intent.
    let carol = Person::online("Carol", &urls).await;
    let (id, _, _) = post_our_ride(&carol, Side::Offer).await;
    find_ride(&bob, &id).await;
    bob.app
        .respond(
            &id,
            Response::Counter(Terms::new().with("payment", json!("SGD 14"))),
        )
        .await
        .expect("respond");
    bob.flushed().await;
    let from_bob = on_relay(
        &urls,
        Filter::new()
            .kind(Kind::EncryptedDirectMessage)
            .author(bob.keys.public_key())
            .pubkey(carol.keys.public_key()),
    )
    .await;
    assert!(
        from_bob.is_empty(),
        "no NIP-04 to a client that reads gift wraps"
    );
    let d = carol
        .until_known(&nego_id(
            &carol.app.my_intents().expect("mine")[0].d,
            &carol.keys.public_key(),
            &bob.keys.public_key(),
        ))
        .await;
    assert_eq!(terms_of(&d)["payment"], "SGD 14");

    // 3. NIP-17 only: the agent never sees our message.
    let mut agent = Reference::app(&urls).await; // reads both, to observe the transport
    agent.reads_wraps = true;
    let ride = agent.post_ride(Side::Offer).await;
    find_ride(&bob, &ride.id).await;
    bob.app.set_require_nip17(true).expect("setting");
    assert!(bob.app.require_nip17());
    bob.app
        .respond(
            &ride.id,
            Response::Counter(Terms::new().with("payment", json!("SGD 11"))),
        )
        .await
        .expect("respond");
    bob.flushed().await;
    let (_, tr) = agent.recv().await;
    assert_eq!(tr, Transport::Nip17, "NIP-17 only, whatever the peer reads");
}

// ---- 5. blocking -------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_key_is_hidden_dropped_and_never_answered_until_unblocked() {
    let (_relay, urls) = relays().await;
    let mallory = Reference::app(&urls).await;
    let alice = Person::online("Alice", &urls).await;
    let ride = mallory.post_ride(Side::Offer).await;
    find_ride(&alice, &ride.id).await;
    let blocked = alice.app.block(&to_npub(&mallory.pk())).expect("block");
    assert_eq!(blocked.pubkey, mallory.pk().to_hex());
    assert!(alice.app.block(&to_npub(&alice.keys.public_key())).is_err());
    let seen = alice
        .app
        .browse("rideshare", Some(WHERE), 1)
        .await
        .expect("browse");
    assert!(
        seen.iter().all(|i| i.id != ride.id),
        "its intents are hidden"
    );

    let (id, d, window) = post_our_ride(&alice, Side::Request).await;
    let nego = nego_id(&d, &alice.keys.public_key(), &mallory.pk());
    let mut events = alice.app.subscribe();
    let counter = envelope(
        "negotiate.counter",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": window, "payment": "S$1"}, "contact": "M"}),
    );
    mallory
        .send(&alice.keys.public_key(), &counter, Transport::Nip04)
        .await;
    mallory
        .send(&alice.keys.public_key(), &counter, Transport::Nip17)
        .await;
    alice.app.sync().await.expect("sync");
    alice.app.sync().await.expect("sync");
    assert!(alice.app.deal(&nego).is_err(), "no deal");
    assert!(alice.app.quotes(&id).expect("quotes").is_empty());
    assert!(
        alice.app.refusals(None).expect("refusals").is_empty(),
        "not even a record"
    );
    let mut got = Vec::new();
    while let Ok(e) = events.try_recv() {
        got.push(e);
    }
    assert!(
        got.iter().all(|e| !matches!(
            e,
            AppEvent::MessageRejected { .. } | AppEvent::NegotiationChanged { .. }
        )),
        "no notification: {got:?}"
    );
    let to_mallory = on_relay(
        &urls,
        Filter::new()
            .author(alice.keys.public_key())
            .pubkey(mallory.pk()),
    )
    .await;
    assert!(to_mallory.is_empty(), "nothing sent back");
    assert_eq!(alice.app.blocked().expect("list").len(), 1);

    // Unblocked: its intents show again and its messages open a deal.
    assert!(alice.app.unblock(&mallory.pk().to_hex()).expect("unblock"));
    let seen = alice
        .app
        .browse("rideshare", Some(WHERE), 1)
        .await
        .expect("browse");
    assert!(seen.iter().any(|i| i.id == ride.id));
    let counter = envelope(
        "negotiate.counter",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": window, "payment": "S$2"}, "contact": "M"}),
    );
    mallory
        .send(&alice.keys.public_key(), &counter, Transport::Nip04)
        .await;
    alice.until_known(&nego).await;
}

// ---- 6. refusals: once, with their reason ------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refused_message_is_recorded_once_with_its_reason() {
    let (_relay, urls) = relays().await;
    let app = Reference::app(&urls).await;
    let alice = Person::online("Alice", &urls).await;
    let (id, d, window) = post_our_ride(&alice, Side::Request).await;
    let nego = nego_id(&d, &alice.keys.public_key(), &app.pk());
    let mut events = alice.app.subscribe();
    // A counter, then an accept of terms that were never on the table, then a malformed one,
    // then a chat beyond the size cap.
    let counter = envelope(
        "negotiate.counter",
        &nego,
        &id,
        &d,
        json!({"terms": {"payment": "S$12"}}),
    );
    app.send(&alice.keys.public_key(), &counter, Transport::Nip04)
        .await;
    alice.until_known(&nego).await;
    let stale = envelope(
        "negotiate.accept",
        &nego,
        &id,
        &d,
        json!({"terms": {"window": window, "payment": "S$9"}, "contact": "Linh"}),
    );
    app.send(&alice.keys.public_key(), &stale, Transport::Nip04)
        .await;
    let bad = envelope(
        "negotiate.counter",
        &nego,
        &id,
        &d,
        json!({"terms": {"payment": 12}}),
    );
    app.send(&alice.keys.public_key(), &bad, Transport::Nip17)
        .await;
    let long = envelope(
        "negotiate.chat",
        &nego,
        &id,
        &d,
        json!({"text": "x".repeat(20 * 1024)}),
    );
    app.send(&alice.keys.public_key(), &long, Transport::Nip04)
        .await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while alice.app.refusals(Some(&nego)).expect("refusals").len() < 3 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "refusals never recorded: {:?}",
            alice.app.refusals(None)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Re-fetched by three catch-ups: still recorded once, reported once.
    for _ in 0..3 {
        alice.app.sync().await.expect("sync");
    }
    let r = alice.app.refusals(Some(&nego)).expect("refusals");
    let mut codes: Vec<(RefusalCode, Option<String>)> =
        r.iter().map(|x| (x.code, x.field.clone())).collect();
    codes.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(
        codes,
        vec![
            (RefusalCode::Malformed, Some("terms".into())),
            (RefusalCode::Malformed, Some("text".into())),
            (RefusalCode::StaleAccept, None),
        ]
    );
    assert!(r.iter().all(|x| x.sender == app.pk().to_hex()));
    assert_eq!(alice.deal(&nego).refused, 3);
    assert_eq!(alice.deal(&nego).state, DealState::Open);
    assert!(alice.app.chat(&nego).expect("chat").is_empty());
    let mut rejected = 0;
    while let Ok(e) = events.try_recv() {
        if matches!(e, AppEvent::MessageRejected { .. }) {
            rejected += 1;
        }
    }
    assert_eq!(rejected, 3, "reported once each");
}

// ---- 7. attestations stay live -------------------------------------------------------------

/// A rating that attests the ratee's phone arrives before the ratee's profile: once the profile
/// arrives, the live screening counts the attestation, exactly as an offline evaluation of the
/// same events does — and it stops counting when the profile changes to another number.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_profile_re_evaluates_attestations_and_live_equals_offline() {
    use freeport_core::protocol::NegoId;
    use freeport_core::protocol::profile::{Profile, build_profile};
    use freeport_core::protocol::rating::{RatingDraft, Score, build_rating};
    use freeport_core::protocol::receipt::{ReceiptDraft, build_receipt};

    let (_relay, urls) = relays().await;
    let alice = Person::online("Alice", &urls).await;
    let viewer = alice.keys.public_key();
    let (x, r) = (Keys::generate(), Keys::generate());
    let t0 = now() - 30 * 86_400;
    let intent = nostr::EventId::from_byte_array([9; 32]);
    let half = |k: &Keys, nego: &NegoId, peer: PublicKey, t: u64| -> Event {
        build_receipt(
            &ReceiptDraft {
                nego: nego.clone(),
                peer,
                intent_id: intent,
                meet: None,
                countersigns: None,
            },
            Timestamp::from(t),
        )
        .sign_with_keys(k)
        .expect("sign")
    };
    // Alice ↔ X and X ↔ R are proven deals; X rates R and attests R's number.
    let n1 = NegoId::new("00000000000000a1", viewer, x.public_key()).expect("nego");
    let n2 = NegoId::new("00000000000000b2", x.public_key(), r.public_key()).expect("nego");
    let alice_half = half(&alice.keys, &n1, x.public_key(), t0);
    let mut first = vec![
        alice_half,
        half(&x, &n1, viewer, t0 + 1),
        half(&x, &n2, r.public_key(), t0 + 2),
        half(&r, &n2, x.public_key(), t0 + 3),
    ];
    let rating = build_rating(
        &RatingDraft {
            nego: n2.clone(),
            ratee: r.public_key(),
            score: Score::new(2).expect("score"),
            safe: true,
            reliable: true,
            contact_masked: Some("+65••••4567".into()),
            contact_commit: None,
        },
        Timestamp::from(t0 + 10),
    )
    .expect("rating")
    .sign_with_keys(&x)
    .expect("sign");
    first.push(rating);
    let profile = |phone: &str, t: u64| -> Event {
        build_profile(
            &Profile {
                name: Some("Rae".into()),
                phone: Some(phone.into()),
                ..Default::default()
            },
            None,
            Timestamp::from(t),
        )
        .expect("profile")
        .sign_with_keys(&r)
        .expect("sign")
    };
    let obs = observer(&urls).await;
    for e in &first {
        assert!(obs.publish_now(e).await.is_accepted());
    }
    alice.app.sync().await.expect("sync");
    let rk = r.public_key().to_hex();
    let offline = |events: &[Event]| {
        screen_events(
            events,
            &viewer,
            &r.public_key(),
            now(),
            Default::default(),
            false,
        )
        .expect("offline")
        .0
    };
    let live = alice.app.screen(&rk, false).expect("screen");
    assert_eq!(
        live.verified_by, 0,
        "no profile yet: nothing to verify against"
    );
    assert_eq!(offline(&first).verified_by, 0);

    // The profile arrives later.
    let p1 = profile("+65••••4567", t0 + 20);
    assert!(obs.publish_now(&p1).await.is_accepted());
    alice.app.sync().await.expect("sync");
    let mut all = first.clone();
    all.push(p1);
    let live = alice.app.screen(&rk, false).expect("screen");
    let off = offline(&all);
    assert_eq!(off.verified_by, 1);
    assert_eq!(live.verified_by, off.verified_by, "live equals offline");
    assert_eq!(live.phone_status, PhoneStatus::VerifiedBy { count: 1 });

    // The number changes: the attestation no longer verifies the current number.
    let p2 = profile("+65••••9999", t0 + 30);
    assert!(obs.publish_now(&p2).await.is_accepted());
    alice.app.sync().await.expect("sync");
    all.push(p2);
    let live = alice.app.screen(&rk, false).expect("screen");
    assert_eq!(live.verified_by, offline(&all).verified_by);
    assert_eq!(live.verified_by, 0);
    obs.shutdown().await;
}
