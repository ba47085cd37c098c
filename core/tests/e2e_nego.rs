//! End to end over a real relay on loopback: intents and private negotiation through `App`, the
//! same code paths a phone uses, between several people (each with their own data dir, secret
//! store and relay connection) and hand-crafted peers speaking the wire protocol like the
//! reference agent.
//!
//! The fast suite runs on the embedded rust-nostr relay; the main happy path and the
//! relay-restart case also run on nostr-rs-relay (ignored by default, like `relay_real.rs`).

mod common;

use std::time::Duration;

use common::*;
use freeport_core::app::{
    AppError, AppEvent, DealAction, FieldViolation, FormEntry, Format, IntentAction, Payload,
    PostIntent, Refusal, RefusalCode, Response, Rule, TermValue,
};
use freeport_core::negotiation::{MAX_COUNTERS, NegotiationError};
use freeport_core::protocol::envelope::{EnvelopeType, FILLED_REASON, parse_envelope};
use freeport_core::protocol::intent::{MAX_FLEX_MINUTES, Side, TimeWindow};
use freeport_core::protocol::kinds;
use freeport_core::relay::{EmbeddedRelay, Transport, transport};
use nostr::{Filter, JsonUtil, Keys, Kind};

// ---- relays the scenarios can take down and bring back --------------------------------------

/// A loopback relay a scenario can stop and restart on the same port with its data.
trait Loopback {
    fn url(&self) -> String;
    async fn down(&mut self);
    async fn up(&mut self);
}

impl Loopback for EmbeddedRelay {
    fn url(&self) -> String {
        EmbeddedRelay::url(self)
    }
    async fn down(&mut self) {
        self.stop();
    }
    async fn up(&mut self) {
        self.restart().await.expect("relay restarts");
    }
}

impl Loopback for RealRelay {
    fn url(&self) -> String {
        RealRelay::url(self)
    }
    async fn down(&mut self) {
        self.kill();
    }
    async fn up(&mut self) {
        self.spawn();
    }
}

/// Drains the app events received so far.
fn drain(rx: &mut tokio::sync::broadcast::Receiver<AppEvent>) -> Vec<AppEvent> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push(e);
    }
    out
}

/// Waits until `n` messages were refused.
async fn until_rejected(
    rx: &mut tokio::sync::broadcast::Receiver<AppEvent>,
    n: usize,
) -> Vec<RefusalCode> {
    let mut reasons = Vec::new();
    while reasons.len() < n {
        match tokio::time::timeout(PATIENCE, rx.recv()).await {
            Ok(Ok(AppEvent::MessageRejected { code, .. })) => reasons.push(code),
            Ok(Ok(_)) => {}
            other => panic!("waiting for {n} rejections, got {reasons:?} then {other:?}"),
        }
    }
    reasons
}

// ---- the main happy path (both relays) --------------------------------------------------------

/// 1 requester × 3 responders with private quotes; the owner picks one; the others are Filled.
async fn private_quotes_pick_one_rest_filled(relays: Vec<String>) {
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let carol = Person::online("Carol", &relays).await;
    let dan = Person::online("Dan", &relays).await;

    let intent = alice.post_request("Wanted: a city bike", 150, 3600).await;
    let base = intent_terms(&intent);
    let mut negos = Vec::new();
    for (p, price) in [(&bob, 120), (&carol, 110), (&dan, 130)] {
        let seen = p.find(&intent.id).await;
        // The browsed intent's payload arrives typed: the price as money in its currency,
        // labelled by the market's form, the currency not repeated on a line of its own.
        let price_term = seen
            .terms
            .iter()
            .find(|t| t.path == "/price")
            .expect("price");
        assert_eq!(price_term.label, "Price");
        assert_eq!(
            price_term.value,
            TermValue::Money {
                amount: "150".into(),
                currency: "SGD".into()
            }
        );
        assert!(seen.terms.iter().all(|t| t.path != "/currency"));
        let d = p
            .app
            .respond(&seen.id, Response::Counter(priced(&base, price)))
            .await
            .expect("respond");
        assert_eq!(d.state, DealState::Open);
        assert_eq!(d.role, DealRole::Responder);
        assert_eq!(d.their_contact, None, "no contact before confirmation");
        p.flushed().await;
        negos.push(d.nego);
    }

    // The owner sees every quote side by side.
    for n in &negos {
        alice.until_known(n).await;
    }
    let quotes = alice.app.quotes(&intent.id).expect("quotes");
    let mut prices: Vec<u64> = quotes.iter().map(|q| price_of(&q.deal)).collect();
    prices.sort();
    assert_eq!(prices, vec![110, 120, 130]);
    for q in &quotes {
        // Each quote's terms on the table are typed the same way, with the quoted price.
        let price = q
            .deal
            .terms
            .iter()
            .find(|t| t.path == "/price")
            .expect("price");
        assert_eq!(
            price.value,
            TermValue::Money {
                amount: price_of(&q.deal).to_string(),
                currency: "SGD".into()
            }
        );
        assert_eq!(price.edit_text, Some(price_of(&q.deal).to_string()));
        assert_eq!(q.deal.proposed_by, Party::Them);
        assert_eq!(q.deal.role, DealRole::Owner);
        assert_eq!(q.deal.their_contact, None);
    }

    // Responders never see each other: each phone holds one thread, with its own terms, and no
    // direct message on the relay that it can open is about another responder's thread.
    let dms = on_relay(
        &relays,
        Filter::new().kinds([Kind::GiftWrap, Kind::EncryptedDirectMessage]),
    )
    .await;
    assert!(dms.len() >= 3, "the quotes went through the relay");
    for (p, (n, price)) in [&bob, &carol, &dan]
        .into_iter()
        .zip(negos.iter().zip([120, 110, 130]))
    {
        let deals = p.app.deals().expect("deals");
        assert_eq!(deals.len(), 1, "{} holds only its own thread", p.name);
        assert_eq!(&deals[0].nego, n);
        assert_eq!(price_of(&deals[0]), price);
        for e in &dms {
            if let Ok(dm) = transport::open_dm(&p.keys, e) {
                let env = parse_envelope(&dm.plaintext).expect("our envelopes parse");
                assert_eq!(&env.nego.to_string(), n, "{} read another thread", p.name);
            }
        }
    }

    // Alice picks Bob; Bob's phone accepts his own quote automatically; the rest are Filled.
    let picked = alice.app.pick(&negos[0]).await.expect("pick");
    assert_eq!(picked.state, DealState::AcceptedByUs);
    let a = alice.until_state(&negos[0], DealState::Confirmed).await;
    let b = bob.until_state(&negos[0], DealState::Confirmed).await;
    assert_eq!(price_of(&a), 120);
    assert_eq!(price_of(&b), 120);
    assert!(a.their_contact.as_deref().is_some_and(|c| !c.is_empty()));
    assert!(b.their_contact.as_deref().is_some_and(|c| !c.is_empty()));
    for (p, n) in [(&carol, &negos[1]), (&dan, &negos[2])] {
        let d = p.until_state(n, DealState::Cancelled).await;
        assert_eq!(d.cancellation.map(|c| c.reason), Some(CancelReason::Filled));
        assert_eq!(
            d.their_contact, None,
            "{} never learns Alice's contact",
            p.name
        );
        let mine = alice.deal(n);
        assert_eq!(mine.state, DealState::Cancelled);
        assert_eq!(mine.their_contact, None);
    }
    // A second pick on a filled intent is refused and changes nothing.
    let again = alice.app.pick(&negos[1]).await;
    assert!(again.is_err(), "second pick refused: {again:?}");
    assert_eq!(alice.deal(&negos[1]).state, DealState::Cancelled);

    // Both halves of the (proven-tier) receipt reached the relay.
    alice.flushed().await;
    bob.flushed().await;
    let receipts = on_relay(&relays, Filter::new().kind(Kind::Custom(kinds::RECEIPT))).await;
    let mut authors: Vec<_> = receipts.iter().map(|e| e.pubkey).collect();
    authors.sort();
    let mut want = vec![alice.keys.public_key(), bob.keys.public_key()];
    want.sort();
    assert_eq!(authors, want);
}

/// A relay killed mid-negotiation and restarted: the pending accept waits in the outbox, nothing
/// is lost, and the thread completes.
async fn relay_killed_mid_negotiation<R: Loopback>(mut relay: R) {
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let intent = alice.post_request("Wanted: a tent", 80, 3600).await;
    let seen = bob.find(&intent.id).await;
    let d = bob
        .app
        .respond(
            &seen.id,
            Response::Counter(priced(&intent_terms(&intent), 70)),
        )
        .await
        .expect("respond");
    bob.flushed().await;
    alice.until_known(&d.nego).await;

    relay.down().await;
    let picked = alice.app.pick(&d.nego).await.expect("pick works offline");
    assert_eq!(picked.state, DealState::AcceptedByUs);
    assert!(
        !alice.app.outbox().expect("outbox").is_empty(),
        "the accept waits in the durable outbox"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    relay.up().await;

    let a = alice.until_state(&d.nego, DealState::Confirmed).await;
    let b = bob.until_state(&d.nego, DealState::Confirmed).await;
    assert_eq!(price_of(&a), 70);
    assert_eq!(price_of(&b), 70);
    alice.flushed().await;
    bob.flushed().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_private_quotes_owner_picks_one_the_others_are_filled() {
    let relay = embedded_relay().await;
    private_quotes_pick_one_rest_filled(vec![relay.url()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn relay_killed_mid_negotiation_and_restarted_loses_nothing() {
    relay_killed_mid_negotiation(embedded_relay().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs nostr-rs-relay; scripts/test.sh runs them"]
async fn nostr_rs_relay_three_private_quotes_owner_picks_one() {
    let relay = RealRelay::start();
    private_quotes_pick_one_rest_filled(vec![relay.url()]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs nostr-rs-relay; scripts/test.sh runs them"]
async fn nostr_rs_relay_killed_mid_negotiation_and_restarted_loses_nothing() {
    relay_killed_mid_negotiation(RealRelay::start()).await;
}

// ---- races, caps, cancels, expiry -------------------------------------------------------------

/// Alice accepts Bob's quote at the moment Bob (a reference-style agent that does not take turns)
/// sends a new counter: the counter voids her accept, Bob's copy of her accept is stale for him,
/// and the deal confirms only on terms both accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crossing_counter_and_accept_never_confirm_on_different_terms() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let mut bob = RawPeer::connect(&relays, Transport::Nip17).await;
    let intent = alice.post_request("Wanted: a desk", 100, 3600).await;
    let base = intent_terms(&intent);
    let t = now();

    let mut c1 = bob.envelope(EnvelopeType::Counter, &intent, t);
    c1.terms = Some(priced(&base, 120));
    bob.send(&c1).await;
    let nego = c1.nego.to_string();
    let d = alice.until_known(&nego).await;
    assert_eq!((d.state, price_of(&d)), (DealState::Open, 120));

    // The crossing: her accept of 120 and his counter of 125 are in flight at the same time.
    let mut c2 = bob.envelope(EnvelopeType::Counter, &intent, t + 1);
    c2.terms = Some(priced(&base, 125));
    let (accepted, _) = tokio::join!(alice.app.accept(&nego), bob.send(&c2));
    assert_eq!(accepted.expect("accept").state, DealState::AcceptedByUs);
    let (her_accept, _) = bob.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(
        her_accept
            .terms
            .as_ref()
            .and_then(|t| t.get("price"))
            .and_then(|v| v.as_u64()),
        Some(120),
        "her accept names the terms she saw"
    );
    assert!(
        her_accept.contact.is_some(),
        "an accept carries the contact"
    );

    // His counter reached her after her accept: it voids it; nothing is confirmed.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while price_of(&alice.deal(&nego)) != 125 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "counter never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = alice.deal(&nego);
    assert_eq!(d.state, DealState::Open);
    assert_eq!(d.proposed_by, Party::Them);
    assert_eq!(d.their_contact, None);

    // An accept of the old terms from him now is stale and confirms nothing.
    let mut stale = bob.envelope(EnvelopeType::Accept, &intent, t + 2);
    stale.terms = Some(priced(&base, 120));
    stale.contact = Some("Bob · +65 9123 4567".into());
    bob.send(&stale).await;
    // She accepts 125; he accepts 125: confirmed on 125.
    let d = alice.app.accept(&nego).await.expect("accept 125");
    assert_eq!(d.state, DealState::AcceptedByUs);
    let (acc, _) = bob.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(
        acc.terms
            .as_ref()
            .and_then(|t| t.get("price"))
            .and_then(|v| v.as_u64()),
        Some(125)
    );
    let mut ok = bob.envelope(EnvelopeType::Accept, &intent, t + 3);
    ok.terms = Some(priced(&base, 125));
    ok.contact = Some("Bob · +65 9123 4567".into());
    bob.send(&ok).await;
    let d = alice.until_state(&nego, DealState::Confirmed).await;
    assert_eq!(price_of(&d), 125);
    assert_eq!(d.their_contact.as_deref(), Some("Bob · +65 9123 4567"));
}

/// Eight counters in all, alternating; the ninth is refused on both phones; an accept still
/// closes the deal on the last terms.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn round_cap_is_eight_counters() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let intent = alice.post_request("Wanted: a lamp", 10, 3600).await;
    let base = intent_terms(&intent);
    let seen = bob.find(&intent.id).await;
    let nego = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 30)))
        .await
        .expect("counter 1")
        .nego;
    alice.until_known(&nego).await;
    let mut price = 30;
    for round in 2..=u32::from(MAX_COUNTERS) {
        price = if round % 2 == 0 { price - 2 } else { price - 1 };
        let (me, them) = if round % 2 == 0 {
            (&alice, &bob)
        } else {
            (&bob, &alice)
        };
        let d = me
            .app
            .counter(&nego, priced(&base, price))
            .await
            .expect("counter");
        assert_eq!(d.rounds_left, u32::from(MAX_COUNTERS) - round);
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while price_of(&them.deal(&nego)) != u64::from(price) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "round {round} never arrived"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // Round 8 was Alice's; Bob's turn, but the cap is reached.
    assert_eq!(bob.deal(&nego).rounds_left, 0);
    assert_eq!(alice.deal(&nego).rounds_left, 0);
    let refused = bob.app.counter(&nego, priced(&base, 1)).await;
    assert!(
        matches!(
            refused,
            Err(AppError::Negotiation(NegotiationError::RoundCapReached {
                cap: MAX_COUNTERS
            }))
        ),
        "{refused:?}"
    );
    assert_eq!(
        price_of(&bob.deal(&nego)),
        u64::from(price),
        "refusal changed nothing"
    );
    bob.app.accept(&nego).await.expect("accept at the cap");
    alice.until_state(&nego, DealState::AcceptedByThem).await;
    alice.app.accept(&nego).await.expect("owner accepts");
    let a = alice.until_state(&nego, DealState::Confirmed).await;
    let b = bob.until_state(&nego, DealState::Confirmed).await;
    assert_eq!(price_of(&a), u64::from(price));
    assert_eq!(price_of(&b), u64::from(price));
}

/// Cancel flows: a responder withdraws before confirmation; a confirmed deal's cancel request
/// is declined (stays confirmed) and then agreed (cancelled on both phones).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_flows() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let carol = Person::online("Carol", &relays).await;
    let intent = alice.post_request("Wanted: a kettle", 20, 3600).await;
    let base = intent_terms(&intent);

    // Unilateral cancel before confirmation.
    let seen = bob.find(&intent.id).await;
    let nb = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 25)))
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nb).await;
    let d = bob
        .app
        .cancel(&nb, Some("found one elsewhere".into()))
        .await
        .expect("cancel");
    assert_eq!(d.state, DealState::Cancelled);
    let a = alice.until_state(&nb, DealState::Cancelled).await;
    assert_eq!(
        a.cancellation.map(|c| (c.by, c.reason)),
        Some((
            Party::Them,
            CancelReason::Said {
                text: "found one elsewhere".into()
            }
        ))
    );
    assert!(
        alice.app.accept(&nb).await.is_err(),
        "a cancelled thread stays cancelled"
    );
    assert_eq!(alice.deal(&nb).state, DealState::Cancelled);

    // A confirmed deal: request → decline → request → agree.
    let seen = carol.find(&intent.id).await;
    let nc = carol
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 22)))
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nc).await;
    alice.app.pick(&nc).await.expect("pick");
    alice.until_state(&nc, DealState::Confirmed).await;
    carol.until_state(&nc, DealState::Confirmed).await;
    let d = carol
        .app
        .request_cancel(&nc, Some("can't make it".into()))
        .await
        .expect("request");
    assert_eq!(d.state, DealState::CancelRequestedByUs);
    assert_eq!(
        d.actions,
        [
            DealAction::Cancel,
            DealAction::Chat,
            DealAction::MarkPickedUp,
            DealAction::MarkCompleted
        ]
    );
    let a = alice
        .until_state(&nc, DealState::CancelRequestedByThem)
        .await;
    assert_eq!(
        a.actions,
        [
            DealAction::Cancel,
            DealAction::AgreeCancel,
            DealAction::DeclineCancel,
            DealAction::Chat,
            DealAction::MarkPickedUp,
            DealAction::MarkCompleted
        ]
    );
    alice.app.decline_cancel(&nc).await.expect("decline");
    assert_eq!(alice.deal(&nc).state, DealState::Confirmed);
    let c = carol.until_state(&nc, DealState::Confirmed).await;
    assert_eq!(
        c.actions,
        [
            DealAction::Cancel,
            DealAction::RequestCancel,
            DealAction::ShowCode,
            DealAction::ScanCode,
            DealAction::Rate,
            DealAction::Chat,
            DealAction::MarkPickedUp,
            DealAction::MarkCompleted
        ]
    );

    carol
        .app
        .request_cancel(&nc, Some("really can't".into()))
        .await
        .expect("second request");
    alice
        .until_state(&nc, DealState::CancelRequestedByThem)
        .await;
    let d = alice.app.agree_cancel(&nc).await.expect("agree");
    assert_eq!(d.state, DealState::Cancelled);
    let c = carol.until_state(&nc, DealState::Cancelled).await;
    assert_eq!(
        c.cancellation.map(|c| c.reason),
        Some(CancelReason::Said {
            text: "really can't".into()
        })
    );
    assert!(c.actions.is_empty(), "{:?}", c.actions);
    // Nothing moves a cancelled deal again.
    assert!(carol.app.accept(&nc).await.is_err());
    assert!(alice.app.decline_cancel(&nc).await.is_err());
    assert_eq!(alice.deal(&nc).state, DealState::Cancelled);
}

/// Intent expiry: an unconfirmed thread expires with its intent on both phones (and refuses
/// further moves); a confirmed one on another intent of the same owner does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn intent_expiry_expires_unconfirmed_threads_only() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let carol = Person::online("Carol", &relays).await;
    let short = 8;
    let ia = alice.post_request("Wanted: a chair", 30, short).await;
    let ib = alice.post_request("Wanted: a table", 60, short).await;

    let seen = bob.find(&ia.id).await;
    let na = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&intent_terms(&ia), 28)))
        .await
        .expect("respond a")
        .nego;
    let seen = carol.find(&ib.id).await;
    let nb = carol
        .app
        .respond(&seen.id, Response::Counter(priced(&intent_terms(&ib), 55)))
        .await
        .expect("respond b")
        .nego;
    alice.until_known(&na).await;
    alice.until_known(&nb).await;
    alice.app.pick(&na).await.expect("pick");
    alice.until_state(&na, DealState::Confirmed).await;
    bob.until_state(&na, DealState::Confirmed).await;

    // Wait out the intents' lifetime (the expiry is the intent's, in whole seconds).
    let expires = ia.expires_at.max(ib.expires_at);
    while now() <= expires {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    for p in [&alice, &bob, &carol] {
        p.app.sync().await.expect("sync");
    }
    assert_eq!(
        alice.deal(&na).state,
        DealState::Confirmed,
        "confirmed deals outlive the intent"
    );
    assert_eq!(bob.deal(&na).state, DealState::Confirmed);
    assert_eq!(alice.deal(&nb).state, DealState::Expired);
    assert_eq!(carol.deal(&nb).state, DealState::Expired);
    assert!(
        carol
            .app
            .counter(&nb, priced(&intent_terms(&ib), 50))
            .await
            .is_err(),
        "an expired thread refuses moves"
    );
    assert!(alice.app.accept(&nb).await.is_err());
    assert_eq!(carol.deal(&nb).state, DealState::Expired);
    // And the intent is gone from browse.
    let seen = carol
        .app
        .browse("goods", Some(WHERE), 1)
        .await
        .expect("browse");
    assert!(seen.iter().all(|i| i.id != ib.id && i.id != ia.id));
}

// ---- delivery faults, injection, NIP-04, restart ----------------------------------------------

/// Re-running `sync` (the relay re-delivers every message in the overlap window) and replaying a
/// message in a fresh wrap change nothing; an accept delivered before the counter it accepts
/// (reordering) confirms nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn duplicate_and_reordered_delivery_change_nothing() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let intent = alice.post_request("Wanted: a fan", 40, 3600).await;
    let base = intent_terms(&intent);

    // Duplicates: two app phones, a confirmed deal, then sync twice on both.
    let seen = bob.find(&intent.id).await;
    let nb = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 35)))
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nb).await;
    alice.app.pick(&nb).await.expect("pick");
    alice.until_state(&nb, DealState::Confirmed).await;
    bob.until_state(&nb, DealState::Confirmed).await;
    alice.flushed().await;
    bob.flushed().await;
    let (a0, b0) = (alice.deal(&nb), bob.deal(&nb));
    let mut events = alice.app.subscribe();
    for _ in 0..2 {
        let r = alice.app.sync().await.expect("sync");
        assert!(
            r.messages_applied >= 1,
            "the overlap window re-delivers the thread"
        );
        bob.app.sync().await.expect("sync");
    }
    assert_eq!(alice.deal(&nb), a0, "re-delivery changed Alice's deal");
    assert_eq!(bob.deal(&nb), b0, "re-delivery changed Bob's deal");
    assert!(
        !drain(&mut events)
            .iter()
            .any(|e| matches!(e, AppEvent::NegotiationChanged { .. })),
        "no change announced"
    );

    // Reordering, with a reference-style peer on another intent: the accept of 38 is sent
    // before the counter of 38 it accepts.
    let intent2 = alice.post_request("Wanted: a heater", 40, 3600).await;
    let base2 = intent_terms(&intent2);
    let mut raw = RawPeer::connect(&relays, Transport::Nip17).await;
    let t = now();
    let mut counter = raw.envelope(EnvelopeType::Counter, &intent2, t);
    counter.terms = Some(priced(&base2, 38));
    let mut accept = raw.envelope(EnvelopeType::Accept, &intent2, t);
    accept.terms = Some(priced(&base2, 38));
    accept.contact = Some("Raw · +65 8000 0000".into());
    let nr = counter.nego.to_string();
    raw.send(&accept).await;
    raw.send(&counter).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while alice.app.deal(&nr).map(|d| price_of(&d)).ok() != Some(38) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the late counter never applied"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let d = alice.deal(&nr);
    assert_eq!(d.state, DealState::Open, "the early accept did not count");
    assert_eq!(d.proposed_by, Party::Them);
    assert_eq!(d.their_contact, None);

    // A replay of the counter in a fresh wrap (same envelope, new event id) is dropped; the chat
    // sent after it proves it was processed.
    let before = alice.deal(&nr);
    let mut rx = alice.app.subscribe();
    raw.send(&counter).await;
    let mut chat = raw.envelope(EnvelopeType::Chat, &intent2, t + 5);
    chat.text = Some("still there?".into());
    raw.send(&chat).await;
    // (A change notice of the counter may still be on its way: wait for the chat itself.)
    loop {
        match tokio::time::timeout(PATIENCE, rx.recv()).await {
            Ok(Ok(AppEvent::ChatReceived { nego })) if nego == nr => break,
            Ok(Ok(_)) => {}
            other => panic!("waiting for the chat, got {other:?}"),
        }
    }
    let mut after = alice.deal(&nr);
    assert_eq!(after.unread, before.unread + 1, "the chat arrived");
    after.unread = before.unread;
    assert_eq!(after, before, "the replay changed nothing");

    // The thread still completes on the terms both accepted.
    alice.app.accept(&nr).await.expect("accept 38");
    let (acc, _) = raw.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(
        acc.terms
            .as_ref()
            .and_then(|t| t.get("price"))
            .and_then(|v| v.as_u64()),
        Some(38)
    );
    let mut ok = raw.envelope(EnvelopeType::Accept, &intent2, t + 1);
    ok.terms = acc.terms.clone();
    ok.contact = Some("Raw · +65 8000 0000".into());
    raw.send(&ok).await;
    assert_eq!(
        price_of(&alice.until_state(&nr, DealState::Confirmed).await),
        38
    );
}

/// Envelopes from a third key — claiming an existing thread's id, or re-sealing a party's
/// message under another key — are refused and change nothing; the real thread then completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forged_envelopes_from_a_third_key_change_nothing() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let mallory = RawPeer::connect(&relays, Transport::Nip17).await;
    let intent = alice.post_request("Wanted: a drill", 50, 3600).await;
    let base = intent_terms(&intent);
    let seen = bob.find(&intent.id).await;
    let nb = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 45)))
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nb).await;
    let (a0, b0) = (alice.deal(&nb), bob.deal(&nb));
    let bob_env = {
        // Bob's real thread id, as Mallory could learn it from Bob's public key and the intent.
        let mut e = mallory.envelope(EnvelopeType::Accept, &intent, now());
        e.nego = nb.parse().expect("nego");
        e
    };
    let mut ra = alice.app.subscribe();
    let mut rb = bob.app.subscribe();

    // 1. Re-sealed: Bob's name on the rumor, Mallory's key on the seal.
    let mut forged = bob_env.clone();
    forged.terms = Some(priced(&base, 45));
    forged.contact = Some("Mallory · +65 8888 8888".into());
    let json = freeport_core::protocol::envelope::build_envelope(&forged).expect("json");
    let wrap = reseal(
        &mallory.keys,
        &bob.keys.public_key(),
        &alice.keys.public_key(),
        &json,
    );
    assert!(mallory.client.publish_now(&wrap).await.is_accepted());
    // 2. An accept on Bob's thread, from Mallory's own key, to Alice.
    let alice_pk = alice.keys.public_key();
    let json = freeport_core::protocol::envelope::build_envelope(&forged).expect("json");
    mallory.send_text(&alice_pk, &json).await;
    // 3. A cancel of Bob's thread, to Alice.
    let mut cancel = bob_env.clone();
    cancel.kind = EnvelopeType::Cancel;
    cancel.ts += 1;
    let json = freeport_core::protocol::envelope::build_envelope(&cancel).expect("json");
    mallory.send_text(&alice_pk, &json).await;
    // 4. A "Filled" cancel of Bob's thread, to Bob, as if from the owner.
    let mut filled = cancel.clone();
    filled.reason = Some(FILLED_REASON.into());
    let json = freeport_core::protocol::envelope::build_envelope(&filled).expect("json");
    mallory.send_text(&bob.keys.public_key(), &json).await;

    let ra_reasons = until_rejected(&mut ra, 2).await;
    let rb_reasons = until_rejected(&mut rb, 1).await;
    assert_eq!(ra_reasons.len(), 2, "{ra_reasons:?}");
    assert_eq!(rb_reasons.len(), 1, "{rb_reasons:?}");
    assert_eq!(alice.deal(&nb), a0, "Alice's thread untouched");
    assert_eq!(bob.deal(&nb), b0, "Bob's thread untouched");
    assert_eq!(
        alice.app.deals().expect("deals").len(),
        1,
        "no thread opened for Mallory"
    );
    assert_eq!(bob.app.deals().expect("deals").len(), 1);

    // The real thread still completes, and Bob gets Alice's contact, not Mallory's.
    alice.app.pick(&nb).await.expect("pick");
    let a = alice.until_state(&nb, DealState::Confirmed).await;
    bob.until_state(&nb, DealState::Confirmed).await;
    assert!(!a.their_contact.unwrap_or_default().contains("Mallory"));
}

/// A NIP-17 gift wrap to `to` whose seal is signed by `sealer` but whose rumor claims `claimed`.
fn reseal(
    sealer: &Keys,
    claimed: &nostr::PublicKey,
    to: &nostr::PublicKey,
    text: &str,
) -> nostr::Event {
    use nostr::nips::nip44;
    let rumor = nostr::EventBuilder::new(Kind::PrivateDirectMessage, text)
        .tags([nostr::Tag::public_key(*to)])
        .build(*claimed);
    let seal_content = nip44::encrypt(
        sealer.secret_key(),
        to,
        rumor.as_json(),
        nip44::Version::default(),
    )
    .expect("seal encrypt");
    let seal = nostr::EventBuilder::new(Kind::Seal, seal_content)
        .sign_with_keys(sealer)
        .expect("seal");
    let eph = Keys::generate();
    let wrap_content = nip44::encrypt(
        eph.secret_key(),
        to,
        seal.as_json(),
        nip44::Version::default(),
    )
    .expect("wrap encrypt");
    nostr::EventBuilder::new(Kind::GiftWrap, wrap_content)
        .tags([nostr::Tag::public_key(*to)])
        .sign_with_keys(&eph)
        .expect("wrap")
}

/// A peer that only speaks NIP-04 (the reference CLI agent) quotes, is picked, accepts, and the
/// deal confirms; our phone answered it on NIP-04 only.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nip04_only_peer_completes_a_deal() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let mut nina = RawPeer::connect(&relays, Transport::Nip04).await;
    let intent = alice.post_request("Wanted: a guitar", 200, 3600).await;
    let base = intent_terms(&intent);
    let t = now();
    let mut c = nina.envelope(EnvelopeType::Counter, &intent, t);
    c.terms = Some(priced(&base, 180));
    nina.send(&c).await;
    let nego = c.nego.to_string();
    alice.until_known(&nego).await;
    assert_eq!(alice.app.quotes(&intent.id).expect("quotes").len(), 1);

    alice.app.pick(&nego).await.expect("pick");
    let (acc, tr) = nina.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(tr, Transport::Nip04, "answered on the peer's transport");
    assert_eq!(acc.nego, c.nego);
    assert!(acc.contact.is_some());
    let mut mine = nina.envelope(EnvelopeType::Accept, &intent, t + 1);
    mine.terms = acc.terms.clone();
    mine.contact = Some("Nina · +65 9765 4321".into());
    nina.send(&mine).await;
    let d = alice.until_state(&nego, DealState::Confirmed).await;
    assert_eq!(price_of(&d), 180);
    assert_eq!(d.their_contact.as_deref(), Some("Nina · +65 9765 4321"));
    alice.flushed().await;
    let wraps = on_relay(
        &relays,
        Filter::new()
            .kind(Kind::GiftWrap)
            .pubkey(nina.keys.public_key()),
    )
    .await;
    assert!(
        wraps.is_empty(),
        "no gift wrap was sent to a NIP-04-only peer"
    );
    let kind4 = on_relay(
        &relays,
        Filter::new()
            .kind(Kind::EncryptedDirectMessage)
            .author(alice.keys.public_key())
            .pubkey(nina.keys.public_key()),
    )
    .await;
    assert!(!kind4.is_empty());
}

#[path = "../../tests/support/scripted_relay.rs"]
mod scripted_relay;

/// A relay that answers every REQ with what it holds at that moment (then EOSE) and accepts every
/// EVENT, but never pushes an event to a subscription that is already open: the live stream of a
/// relay that skips deliveries. Only a new REQ (a catch-up) brings what arrived since.
fn relay_without_live_delivery() -> scripted_relay::Scripted {
    use scripted_relay::{Out, Scripted};
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    Scripted::spawn(move |msg, _| match msg[0].as_str() {
        Some("REQ") => {
            let mut out: Vec<Out> = held
                .lock()
                .expect("held")
                .iter()
                .map(|e| Out::Text(serde_json::json!(["EVENT", msg[1], e]).to_string()))
                .collect();
            out.push(Out::Text(serde_json::json!(["EOSE", msg[1]]).to_string()));
            out
        }
        Some("EVENT") => {
            held.lock().expect("held").push(msg[1].clone());
            vec![Out::Text(
                serde_json::json!(["OK", msg[1]["id"], true, ""]).to_string(),
            )]
        }
        _ => vec![],
    })
}

/// What the live stream missed is caught up in the background: a NIP-04 peer's quote lands on a
/// relay that never pushes it to the open subscription, and the owner's phone still gets it,
/// without anyone pressing refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_background_catch_up_fetches_what_the_live_stream_missed() {
    let relay = relay_without_live_delivery();
    let relays = vec![relay.url.clone()];
    let mut alice = Person::offline("Alice", &relays);
    alice
        .relaunch_with(&relays, |c| {
            c.catch_up_every = Some(Duration::from_millis(500))
        })
        .await;
    alice.connect().await;
    let intent = alice.post_request("Wanted: a drum", 90, 3600).await;
    let nina = RawPeer::connect(&relays, Transport::Nip04).await;
    let mut c = nina.envelope(EnvelopeType::Counter, &intent, now());
    c.terms = Some(priced(&intent_terms(&intent), 85));
    nina.send(&c).await;
    // No pull-to-refresh: only the periodic catch-up can bring Nina's quote.
    alice.until_known(&c.nego.to_string()).await;
    assert_eq!(alice.app.quotes(&intent.id).expect("quotes").len(), 1);
}

/// The transport a peer uses survives a restart: after the app is relaunched, a NIP-04-only
/// peer (the reference CLI agent) is still answered on NIP-04, never with a gift wrap it cannot
/// read — even when no relay still holds the peer's earlier messages (here the phone comes back
/// on another relay, as after a relay pruned old DMs), so nothing re-teaches it the transport.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nip04_only_peer_is_still_answered_on_nip04_after_a_restart() {
    let first = embedded_relay().await;
    let second = embedded_relay().await;
    let mut alice = Person::online("Alice", &[first.url()]).await;
    let mut nina = RawPeer::connect(&[first.url(), second.url()], Transport::Nip04).await;
    let intent = alice.post_request("Wanted: a cello", 300, 3600).await;
    let mut c = nina.envelope(EnvelopeType::Counter, &intent, now());
    c.terms = Some(priced(&intent_terms(&intent), 280));
    nina.send(&c).await;
    let nego = c.nego.to_string();
    alice.until_known(&nego).await;

    let later = vec![second.url()];
    alice.relaunch(&later).await;
    alice.connect().await;
    alice.app.pick(&nego).await.expect("pick after restart");
    let (acc, tr) = nina.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(
        tr,
        Transport::Nip04,
        "restart switched the peer's transport"
    );
    assert_eq!(acc.nego, c.nego);
    alice.flushed().await;
    let wraps = on_relay(
        &later,
        Filter::new()
            .kind(Kind::GiftWrap)
            .pubkey(nina.keys.public_key()),
    )
    .await;
    assert!(wraps.is_empty(), "a gift wrap went to a NIP-04-only peer");
}

/// A phone whose app is killed and relaunched (same data dir, same secret store) resumes every
/// thread: what it had is still there, what arrived while it was down is caught up by `sync`,
/// and the deal completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarted_app_resumes_every_thread() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let mut alice = Person::online("Alice", &relays).await;
    let mut bob = Person::online("Bob", &relays).await;
    let carol = Person::online("Carol", &relays).await;
    let intent = alice.post_request("Wanted: a camera", 300, 3600).await;
    let base = intent_terms(&intent);
    let seen = bob.find(&intent.id).await;
    let nb = bob
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 280)))
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nb).await;

    // Alice's app dies; Carol quotes meanwhile.
    alice.relaunch(&relays).await;
    let seen = carol.find(&intent.id).await;
    let nc = carol
        .app
        .respond(&seen.id, Response::Counter(priced(&base, 260)))
        .await
        .expect("respond")
        .nego;
    carol.flushed().await;
    assert_eq!(
        alice.deal(&nb).state,
        DealState::Open,
        "persisted across the restart"
    );
    assert!(alice.app.deal(&nc).is_err(), "not heard yet: offline");

    alice.connect().await;
    alice.app.sync().await.expect("sync");
    let q = alice.app.quotes(&intent.id).expect("quotes");
    assert_eq!(q.len(), 2, "Bob's thread resumed and Carol's caught up");
    alice.app.pick(&nc).await.expect("pick Carol");
    alice.until_state(&nc, DealState::Confirmed).await;
    carol.until_state(&nc, DealState::Confirmed).await;
    bob.until_state(&nb, DealState::Cancelled).await;

    // Bob's app restarts too: the Filled outcome stays.
    bob.relaunch(&relays).await;
    bob.connect().await;
    bob.app.sync().await.expect("sync");
    let d = bob.deal(&nb);
    assert_eq!(d.state, DealState::Cancelled);
    assert_eq!(d.cancellation.map(|c| c.reason), Some(CancelReason::Filled));
}

/// Posting through the market form: every violation comes back at once, on its field, and
/// nothing is published; a good form posts. What each side may do with the intent is the core's.
#[tokio::test]
async fn form_violations_and_intent_actions_come_from_the_core() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::online("Alice", &relays).await;
    let bob = Person::online("Bob", &relays).await;
    let post = |title: &str, entries: Vec<FormEntry>, geohash: &str, expires: u64| PostIntent {
        market: "sg-goods".into(),
        side: Side::Offer,
        title: title.into(),
        payload: Payload::Form(entries),
        geohash: Some(geohash.into()),
        expires_in_secs: Some(expires),
        pow_bits: Some(0),
        window: None,
        flex_minutes: None,
    };
    let in_an_hour = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        + 3_600;
    let bad = alice
        .app
        .post_intent(PostIntent {
            // A window picked backwards and too much flexibility, with the rest of the form.
            window: Some(TimeWindow {
                start: in_an_hour + 600,
                end: in_an_hour,
            }),
            flex_minutes: Some(MAX_FLEX_MINUTES + 1),
            ..post(
                "   ",
                vec![
                    FormEntry::text("/price", "ten"),
                    FormEntry::text("/currency", "sgd"),
                    FormEntry::place("/location", "Bishan", "w21z!"),
                ],
                "W21Z!",
                0,
            )
        })
        .await;
    let Err(AppError::InvalidInput { violations }) = bad else {
        panic!("{bad:?}");
    };
    let geohash = Rule::BadFormat {
        format: Format::Geohash,
    };
    for (field, rule) in [
        ("title", Rule::Required),
        ("/item", Rule::Required),
        ("/condition", Rule::Required),
        ("/price", Rule::NotANumber),
        ("/location/geohash", geohash.clone()),
        ("geohash", geohash.clone()),
        ("expires_in", Rule::NotPositive),
        ("window_end", Rule::EndBeforeStart),
        (
            "flex_minutes",
            Rule::AboveMaximum {
                max: f64::from(MAX_FLEX_MINUTES),
            },
        ),
    ] {
        assert!(
            violations.contains(&FieldViolation::new(field, rule.clone())),
            "{field} {rule:?} missing from {violations:?}"
        );
    }
    assert!(
        !violations.iter().any(|v| v.field == "/currency"),
        "`sgd` is upper-cased by the core, not refused: {violations:?}"
    );
    assert!(
        alice.app.my_intents().expect("mine").is_empty(),
        "nothing published"
    );

    let good = vec![
        FormEntry::text("/item", "Road bike"),
        FormEntry::text("/condition", "good"),
        FormEntry::text("/price", "120"),
        FormEntry::text("/currency", "sgd"),
        FormEntry::place("/location", "Bishan", WHERE),
    ];
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(
            &alice.app.build_payload("goods", &good).expect("payload")
        )
        .expect("json")["currency"],
        "SGD"
    );
    let i = alice
        .app
        .post_intent(post(" Road bike ", good, WHERE, 3600))
        .await
        .expect("post");
    assert_eq!(i.title, "Road bike");
    assert_eq!(i.actions, [IntentAction::Withdraw]);
    let seen = bob.find(&i.id).await;
    assert_eq!(seen.actions, [IntentAction::Accept, IntentAction::Counter]);
    assert!(seen.badge.is_some(), "a browsed author has a badge");
    // Our own intent: no responding to it.
    assert!(matches!(
        alice.app.respond(&i.id, Response::Accept).await,
        Err(AppError::NotPossible {
            why: Refusal::OwnIntent,
            ..
        })
    ));
    let d = bob
        .app
        .respond(&seen.id, Response::Accept)
        .await
        .expect("respond");
    assert_eq!(
        d.actions,
        [DealAction::Cancel, DealAction::Chat],
        "accepted: wait for them"
    );
    assert!(
        bob.find(&i.id).await.actions.is_empty(),
        "one thread per intent"
    );
    assert!(matches!(
        bob.app.respond(&seen.id, Response::Accept).await,
        Err(AppError::NotPossible {
            why: Refusal::AlreadyResponded { .. },
            ..
        })
    ));
    alice.app.withdraw_intent(&i.id).await.expect("withdraw");
    // The withdrawal replaced the intent (same address): it offers nothing, and withdrawing
    // it again is refused.
    let mine = alice.app.my_intents().expect("mine");
    assert_eq!(mine.len(), 1);
    assert!(mine[0].withdrawn && mine[0].actions.is_empty(), "{mine:?}");
    assert!(matches!(
        alice.app.withdraw_intent(&mine[0].id).await,
        Err(AppError::NotPossible {
            why: Refusal::IntentWithdrawn,
            ..
        })
    ));
    let cancelled = bob.until_state(&d.nego, DealState::Cancelled).await;
    assert_eq!(
        cancelled.cancellation.map(|c| c.reason),
        Some(CancelReason::Withdrawn)
    );
}
