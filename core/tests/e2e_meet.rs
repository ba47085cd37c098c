//! End to end: the meetup code through `App` on two phones — show, scan the PNG with no network,
//! both receipt halves queued and published once online, the return code, the short
//! authentication words, the `met` classification on the relay, and every bad code refused with
//! no state change.

mod common;

use std::time::Duration;

use common::*;
use freeport_core::app::{AppError, Response, ScanInput};
use freeport_core::meet::token::deal_tag;
use freeport_core::meet::{MeetContext, MeetError, MeetToken, make_meet_code};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::intent::new_intent_d;
use freeport_core::protocol::kinds;
use freeport_core::protocol::receipt::{
    DealTier, MeetNonce, ReceiptDraft, build_receipt, classify, parse_receipt,
};
use nostr::{EventId, Filter, Keys, Kind, Timestamp};

/// Alice (owner) and Bob (responder) with a confirmed deal; returns the negotiation id.
async fn confirmed(relays: &[String]) -> (Person, Person, String, EventId) {
    let alice = Person::online("Alice", relays).await;
    let bob = Person::online("Bob", relays).await;
    let intent = alice.post_request("Wanted: a city bike", 150, 3600).await;
    let seen = bob.find(&intent.id).await;
    let nego = bob
        .app
        .respond(
            &seen.id,
            Response::Counter(priced(&intent_terms(&intent), 120)),
        )
        .await
        .expect("respond")
        .nego;
    alice.until_known(&nego).await;
    alice.app.pick(&nego).await.expect("pick");
    alice.until_state(&nego, DealState::Confirmed).await;
    bob.until_state(&nego, DealState::Confirmed).await;
    alice.flushed().await;
    bob.flushed().await;
    // Receipt halves are addressable (kind, author, d): a meet half must be strictly newer than
    // the proven half published at confirmation to replace it on relays.
    let t = now();
    while now() <= t {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let id = EventId::from_hex(&intent.id).expect("intent id");
    (alice, bob, nego, id)
}

/// The receipt halves of `nego` on the relay, classified.
async fn tier_on_relay(relays: &[String], nego: &str) -> DealTier {
    let got = on_relay(
        relays,
        Filter::new()
            .kind(Kind::Custom(kinds::RECEIPT))
            .identifier(nego.to_string()),
    )
    .await;
    let halves: Vec<_> = got.iter().filter_map(|e| parse_receipt(e).ok()).collect();
    match halves.as_slice() {
        [a] => classify(a, None),
        [a, b] => classify(a, Some(b)),
        other => panic!(
            "expected one or two halves of {nego}, found {}",
            other.len()
        ),
    }
}

fn receipts_in_outbox(p: &Person) -> usize {
    p.app
        .outbox()
        .expect("outbox")
        .iter()
        .filter(|i| i.kind == u32::from(kinds::RECEIPT))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn offline_scan_of_the_png_queues_both_halves_and_publishes_them_later() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let (mut alice, bob, nego, _) = confirmed(&relays).await;

    // Alice's phone has no network at the meetup.
    alice.relaunch(&relays).await;
    assert_eq!(tier_on_relay(&relays, &nego).await, DealTier::Proven);

    let code = bob.app.meet_show(&nego, 512).expect("show");
    assert!(code.token.starts_with("FPM1:"));
    assert!(code.expires_at > code.created_at);
    let out = alice
        .app
        .meet_scan(ScanInput::Image(code.png.clone()))
        .await
        .expect("scan the PNG");
    assert_eq!(out.state, DealState::Met);
    assert_eq!(out.nego, nego);
    assert_eq!(out.queued_events, 2);
    assert_eq!(out.sas_words.len(), 4);
    assert_eq!(alice.deal(&nego).state, DealState::Met);
    assert_eq!(
        receipts_in_outbox(&alice),
        2,
        "both halves wait in the outbox"
    );

    // A replay of the same code: "already used", nothing changes.
    let again = alice
        .app
        .meet_scan(ScanInput::Text(code.token.clone()))
        .await;
    assert!(
        matches!(again, Err(AppError::Meet(MeetError::AlreadyUsed { .. }))),
        "{again:?}"
    );
    assert_eq!(receipts_in_outbox(&alice), 2);
    assert_eq!(alice.deal(&nego).state, DealState::Met);

    // The return code, scanned back by Bob (his phone may be offline too): same words.
    let ret = out.return_token.clone().expect("return code");
    let back = bob
        .app
        .meet_scan(ScanInput::Text(ret.clone()))
        .await
        .expect("return");
    assert_eq!(back.state, DealState::Met);
    assert_eq!(
        back.sas_words, out.sas_words,
        "both phones show the same words"
    );
    assert_eq!(bob.deal(&nego).state, DealState::Met);
    // Met is never reversed.
    assert!(bob.app.cancel(&nego, None).await.is_err());
    assert!(alice.app.request_cancel(&nego, None).await.is_err());
    assert_eq!(bob.deal(&nego).state, DealState::Met);

    // Back online: the halves are published and the relay shows a met deal.
    alice.connect().await;
    alice.flushed().await;
    bob.flushed().await;
    assert_eq!(tier_on_relay(&relays, &nego).await, DealTier::Met);
    let card = alice
        .app
        .screen(&bob.keys.public_key().to_hex(), false)
        .expect("screen");
    assert!(card.met_in_person >= 1, "{card:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_shower_learns_the_meeting_from_the_relay_without_a_return_code() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let (alice, bob, nego, _) = confirmed(&relays).await;
    // Roles the other way round: the owner shows, the responder scans, online.
    let code = alice.app.meet_show(&nego, 256).expect("show");
    let out = bob
        .app
        .meet_scan(ScanInput::Text(code.token))
        .await
        .expect("scan");
    assert_eq!(out.state, DealState::Met);
    bob.flushed().await;
    alice.until_state(&nego, DealState::Met).await;
    assert_eq!(tier_on_relay(&relays, &nego).await, DealTier::Met);
}

/// The shower learns the meeting whatever order the two halves reach it in: here the scanner's
/// countersigning half arrives first, in its own batch, and the shower's own half (which the
/// scanner published, and which a restarted shower no longer holds in memory) only later.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_shower_learns_the_meeting_when_the_countersignature_arrives_first() {
    let first = embedded_relay().await;
    let second = embedded_relay().await;
    let (mut alice, bob, nego, _) = confirmed(&[first.url()]).await;
    let code = alice.app.meet_show(&nego, 256).expect("show");
    // Alice's phone goes away before Bob scans (and forgets the code it showed).
    alice.app.stop_network().await;
    let out = bob
        .app
        .meet_scan(ScanInput::Text(code.token))
        .await
        .expect("scan");
    assert_eq!(out.state, DealState::Met);
    bob.flushed().await;

    // Both halves as the first relay holds them.
    let halves = on_relay(
        &[first.url()],
        Filter::new()
            .kind(Kind::Custom(kinds::RECEIPT))
            .identifier(nego.clone()),
    )
    .await;
    let theirs = halves
        .iter()
        .find(|e| e.pubkey == bob.keys.public_key())
        .expect("Bob's half")
        .clone();
    let mine = halves
        .iter()
        .find(|e| e.pubkey == alice.keys.public_key())
        .expect("Alice's half, published by Bob")
        .clone();

    // Alice comes back on the second relay, which receives Bob's half first, then hers.
    let c = observer(&[second.url()]).await;
    alice.relaunch(&[second.url()]).await;
    alice.connect().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!c.publish_now(&theirs).await.accepted.is_empty());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!c.publish_now(&mine).await.accepted.is_empty());
    alice.until_state(&nego, DealState::Met).await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_codes_are_refused_with_a_reason_and_change_nothing() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let (alice, bob, nego, intent_id) = confirmed(&relays).await;
    let nego_id: NegoId = nego.parse().expect("nego");
    let ctx = MeetContext {
        nego: nego_id.clone(),
        my_pubkey: bob.keys.public_key(),
        peer: alice.keys.public_key(),
        intent_id,
    };
    let t = now();
    let scan = |text: String| {
        let app = alice.app.clone();
        async move { app.meet_scan(ScanInput::Text(text)).await }
    };

    // Expired: Bob's genuine code from ten minutes ago.
    let old = make_meet_code(
        &ctx,
        &bob.keys,
        MeetNonce::random(),
        Timestamp::from(t - 600),
    )
    .expect("code");
    let r = scan(old.text).await;
    assert!(
        matches!(r, Err(AppError::Meet(MeetError::Expired { .. }))),
        "{r:?}"
    );

    // Another deal: Bob's code for his deal with Carol.
    let carol = Keys::generate();
    let other =
        NegoId::new(&new_intent_d(), carol.public_key(), bob.keys.public_key()).expect("nego");
    let other_ctx = MeetContext {
        nego: other,
        my_pubkey: bob.keys.public_key(),
        peer: carol.public_key(),
        intent_id,
    };
    let theirs = make_meet_code(
        &other_ctx,
        &bob.keys,
        MeetNonce::random(),
        Timestamp::from(t),
    )
    .expect("code");
    let r = scan(theirs.text).await;
    assert!(
        matches!(r, Err(AppError::Meet(MeetError::DifferentDeal))),
        "{r:?}"
    );

    // A third key: Mallory signs a half for Alice and Bob's deal under her own key.
    let mallory = Keys::generate();
    let nonce = MeetNonce::random();
    let half = build_receipt(
        &ReceiptDraft {
            nego: nego_id.clone(),
            peer: alice.keys.public_key(),
            intent_id,
            meet: Some(nonce),
            countersigns: None,
        },
        Timestamp::from(t),
    )
    .sign_with_keys(&mallory)
    .expect("sign");
    let forged = MeetToken {
        deal_tag: deal_tag(&nego_id),
        created_at: u32::try_from(t).expect("time"),
        nonce,
        shower: mallory.public_key(),
        sig: half.sig,
    }
    .encode();
    let r = scan(forged).await;
    assert!(
        matches!(r, Err(AppError::Meet(MeetError::ThirdKey { .. }))),
        "{r:?}"
    );

    // Tampered: one character of a genuine code changed.
    let genuine = bob.app.meet_show(&nego, 256).expect("show");
    let mut chars: Vec<char> = genuine.token.chars().collect();
    let i = chars.len() - 10;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let r = scan(chars.into_iter().collect()).await;
    assert!(r.is_err(), "a changed character is refused: {r:?}");

    // Alice's own code.
    let own = alice.app.meet_show(&nego, 256).expect("show");
    let r = scan(own.token).await;
    assert!(
        matches!(r, Err(AppError::Meet(MeetError::OwnCode))),
        "{r:?}"
    );

    // Not a Freeport code at all.
    let r = scan("https://example.com/".into()).await;
    assert!(
        matches!(r, Err(AppError::Meet(MeetError::NotFreeport { .. }))),
        "{r:?}"
    );

    // None of that changed anything, and the genuine code still works.
    assert_eq!(alice.deal(&nego).state, DealState::Confirmed);
    assert_eq!(receipts_in_outbox(&alice), 0);
    let out = scan(genuine.token).await.expect("the genuine code");
    assert_eq!(out.state, DealState::Met);
}

/// The owner scans (her intent's book of threads was kept in memory by the confirmation), then
/// a message on the deal arrives: the deal stays met. (The meeting is written outside the usual
/// change path; a kept book from before it once wrote "confirmed" back.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_message_after_the_owner_scans_keeps_the_deal_met() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let (alice, bob, nego, _) = confirmed(&relays).await;
    let code = bob.app.meet_show(&nego, 256).expect("show");
    let out = alice
        .app
        .meet_scan(ScanInput::Text(code.token))
        .await
        .expect("scan");
    assert_eq!(out.state, DealState::Met);
    bob.app
        .chat_send(&nego, "thanks, see you")
        .await
        .expect("chat");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while alice.app.chat(&nego).expect("chat").is_empty() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the chat never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(alice.deal(&nego).state, DealState::Met);
}
