//! End to end across relays (issue 23): people who read and write on different relays still
//! trade, because each publishes where they can be reached (NIP-65 kind 10002, NIP-17 kind
//! 10050) on a shared index relay, and every phone routes by those lists.
//!
//! Alice publishes and reads only on relay A, Bob only on relay B. Alice's quote reaches Bob,
//! Bob's acceptance reaches Alice, the meet and the ratings complete, and Alice's screening of
//! Bob finds his history on B. The fast suite runs on embedded relays; the same scenario runs
//! with nostr-rs-relay as the index relay (ignored by default, like `relay_real.rs`). A second
//! test shows the fallbacks: a peer with no lists, and a peer with only a NIP-65 list.

mod common;

use std::time::Duration;

use common::*;
use freeport_core::app::{DealState, RateInput, Response, ScanInput};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::envelope::EnvelopeType;
use freeport_core::protocol::intent::new_intent_d;
use freeport_core::protocol::kinds;
use freeport_core::protocol::receipt::{ReceiptDraft, build_receipt};
use freeport_core::relay::lists::{KIND_INBOX_RELAYS, KIND_RELAY_LIST};
use freeport_core::relay::{InboxAdvertised, PeerRelays, Transport};
use nostr::nips::nip19::{FromBech32, Nip19Event};
use nostr::{Event, EventBuilder, EventId, Filter, Keys, Kind, RelayUrl, Tag, Timestamp};

/// A phone that reads and writes only on `home` and publishes its lists on `index` too.
async fn person(name: &'static str, home: &str, index: &str) -> Person {
    let p = Person::offline_with(name, &[home.to_string()], |c| {
        c.index_relays = vec![index.to_string()];
    });
    p.connect().await;
    // The first sync publishes the relay lists (kinds 10002 and 10050).
    p.app.sync().await.expect("sync");
    p.flushed().await;
    p
}

fn lists_of(who: &[nostr::PublicKey]) -> Filter {
    Filter::new()
        .kinds([
            Kind::Custom(KIND_RELAY_LIST),
            Kind::Custom(KIND_INBOX_RELAYS),
        ])
        .authors(who.iter().copied())
}

fn tag_values(e: &Event, name: &str) -> Vec<Vec<String>> {
    e.tags
        .iter()
        .map(|t| t.as_slice().to_vec())
        .filter(|t| t.first().map(String::as_str) == Some(name))
        .collect()
}

/// A proven deal between `owner` and `responder` (both halves), as its two signed events.
fn proven_deal(owner: &Keys, responder: &Keys) -> Vec<Event> {
    let nego =
        NegoId::new(&new_intent_d(), owner.public_key(), responder.public_key()).expect("nego");
    let intent_id = EventId::all_zeros();
    [(owner, responder), (responder, owner)]
        .iter()
        .map(|(author, peer)| {
            build_receipt(
                &ReceiptDraft {
                    nego: nego.clone(),
                    peer: peer.public_key(),
                    intent_id,
                    meet: None,
                    countersigns: None,
                },
                Timestamp::from(now().saturating_sub(86_400)),
            )
            .sign_with_keys(author)
            .expect("sign")
        })
        .collect()
}

/// Waits until the next second, so the next addressable version is strictly newer.
async fn next_second() {
    let t = now();
    while now() <= t {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn alice_on_a_and_bob_on_b_trade_through_their_lists(a: String, b: String, index: String) {
    let alice = person("Alice", &a, &index).await;
    let bob = person("Bob", &b, &index).await;
    let (ak, bk) = (alice.keys.public_key(), bob.keys.public_key());

    // Both lists are on the index relay, each saying where its owner is; Bob's are not on A.
    let on_index = on_relay(std::slice::from_ref(&index), lists_of(&[ak, bk])).await;
    assert_eq!(on_index.len(), 4, "two lists each on the index relay");
    let bobs_inbox = on_index
        .iter()
        .find(|e| e.pubkey == bk && e.kind.as_u16() == KIND_INBOX_RELAYS)
        .expect("Bob's inbox list");
    assert_eq!(
        tag_values(bobs_inbox, "relay"),
        vec![vec!["relay".to_string(), b.clone()]]
    );
    let bobs_list = on_index
        .iter()
        .find(|e| e.pubkey == bk && e.kind.as_u16() == KIND_RELAY_LIST)
        .expect("Bob's relay list");
    assert_eq!(
        tag_values(bobs_list, "r"),
        vec![vec!["r".to_string(), b.clone()]]
    );
    assert!(
        on_relay(std::slice::from_ref(&a), lists_of(&[bk]))
            .await
            .is_empty()
    );
    assert!(
        bob.app.relay_settings().expect("settings").published,
        "the settings are marked published"
    );

    // Bob's earlier deal with Carol: only B holds it.
    let carol = Keys::generate();
    let history = proven_deal(&bob.keys, &carol);
    let b_obs = observer(std::slice::from_ref(&b)).await;
    for e in &history {
        assert!(b_obs.publish_now(e).await.is_accepted());
    }
    b_obs.shutdown().await;

    // Bob posts on B; the link he shares names B.
    let intent = bob.post_request("Wanted: a cello", 300, 3600).await;
    assert!(intent.link.starts_with("nostr:nevent1"), "{}", intent.link);
    let n = Nip19Event::from_bech32(intent.link.trim_start_matches("nostr:")).expect("nevent");
    assert_eq!(n.event_id.to_hex(), intent.id);
    assert_eq!(n.author, Some(bk));
    assert_eq!(n.relays, vec![RelayUrl::parse(&b).expect("url")]);
    let intents = Filter::new()
        .kinds([Kind::Custom(kinds::OFFER), Kind::Custom(kinds::REQUEST)])
        .author(bk);
    assert!(on_relay(std::slice::from_ref(&a), intents).await.is_empty());

    // Alice opens the link and quotes: the quote reaches Bob, who reads only B.
    let deal = alice
        .app
        .respond(
            &intent.link,
            Response::Counter(priced(&intent_terms(&intent), 280)),
        )
        .await
        .expect("respond through the link");
    let nego = deal.nego;
    alice.flushed().await;
    bob.until_known(&nego).await;
    assert_eq!(
        alice.app.peer_inbox(&bk).await.expect("inbox"),
        InboxAdvertised::Yes
    );
    // The gift wrap to Bob went to his inbox relay only; Alice's copy to herself to hers.
    let wraps_to = |pk| Filter::new().kind(Kind::GiftWrap).pubkey(pk);
    assert!(
        on_relay(std::slice::from_ref(&a), wraps_to(bk))
            .await
            .is_empty()
    );
    assert!(
        !on_relay(std::slice::from_ref(&b), wraps_to(bk))
            .await
            .is_empty()
    );
    assert!(
        !on_relay(std::slice::from_ref(&a), wraps_to(ak))
            .await
            .is_empty()
    );

    // Bob accepts the quote: the acceptance reaches Alice on A, the deal is confirmed.
    bob.app.pick(&nego).await.expect("pick");
    alice.until_state(&nego, DealState::Confirmed).await;
    bob.until_state(&nego, DealState::Confirmed).await;
    alice.flushed().await;
    bob.flushed().await;
    next_second().await;

    // The meet: Bob shows, Alice scans online; her phone sends both halves where Bob reads too,
    // so Bob's phone learns the meeting from B without the return code.
    let code = bob.app.meet_show(&nego, 256).expect("show");
    let out = alice
        .app
        .meet_scan(ScanInput::Text(code.token))
        .await
        .expect("scan");
    assert_eq!(out.state, DealState::Met);
    alice.flushed().await;
    bob.until_state(&nego, DealState::Met).await;

    // Ratings: each reaches the other's read relay, its `p` tag naming where the ratee is.
    let rate = RateInput {
        safe: true,
        reliable: true,
        score: Some(2),
        reached_number: false,
    };
    alice.app.rate(&nego, rate).await.expect("Alice rates");
    bob.app.rate(&nego, rate).await.expect("Bob rates");
    alice.flushed().await;
    bob.flushed().await;
    let ratings_by = |pk| Filter::new().kind(Kind::Custom(kinds::RATING)).author(pk);
    let alices = on_relay(std::slice::from_ref(&b), ratings_by(ak)).await;
    assert_eq!(alices.len(), 1, "Alice's rating of Bob is on B");
    assert_eq!(
        tag_values(&alices[0], "p"),
        vec![vec!["p".to_string(), bk.to_hex(), b.clone()]]
    );
    assert_eq!(
        on_relay(std::slice::from_ref(&a), ratings_by(bk))
            .await
            .len(),
        1
    );

    // Screening: what Alice knew of Bob is their own deal; fetching from Bob's relays finds
    // his deal with Carol, which only B holds.
    let before = alice.app.screen(&bk.to_hex(), false).expect("screen");
    assert_eq!(before.partners, 1, "{before:?}");
    let card = alice
        .app
        .screen_remote(&bk.to_hex(), false)
        .await
        .expect("screen remote");
    assert_eq!(card.partners, 2, "Carol is found on B: {card:?}");
    assert!(card.met_in_person >= 1, "{card:?}");

    // Nothing here opened more connections than the caps allow.
    let t = alice.app.relay_traffic().await.expect("online");
    assert!(t.extra_opened >= 2, "B and the index relay: {t:?}");
    assert_eq!(t.extra_refused, 0, "{t:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn alice_on_a_and_bob_on_b_trade_on_embedded_relays() {
    let (a, b, index) = (
        embedded_relay().await,
        embedded_relay().await,
        embedded_relay().await,
    );
    alice_on_a_and_bob_on_b_trade_through_their_lists(a.url(), b.url(), index.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs nostr-rs-relay; scripts/test.sh runs them"]
async fn alice_on_a_and_bob_on_b_trade_with_nostr_rs_relay_as_the_index() {
    let (a, b) = (embedded_relay().await, embedded_relay().await);
    let index = RealRelay::start();
    alice_on_a_and_bob_on_b_trade_through_their_lists(a.url(), b.url(), index.url()).await;
}

/// Dave never published a list (like the reference client): Alice's answer goes where she
/// writes, and Dave, reading there, gets it. Erin published only a NIP-65 list (reads on C): the
/// answer to her goes to C. Alice picks Dave's quote (an accept to Dave); once Dave accepts too,
/// Erin is told the intent is filled.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_an_inbox_list_messages_go_to_the_read_relays_then_to_ours() {
    let (a, c, index) = (
        embedded_relay().await,
        embedded_relay().await,
        embedded_relay().await,
    );
    let (a, c, index) = (a.url(), c.url(), index.url());
    let alice = person("Alice", &a, &index).await;
    let ak = alice.keys.public_key();
    let intent = alice.post_request("Wanted: a tent", 90, 3600).await;

    let mut dave = RawPeer::connect(std::slice::from_ref(&a), Transport::Nip17).await;
    let mut erin = RawPeer::connect(std::slice::from_ref(&c), Transport::Nip17).await;
    // Erin's only list: a NIP-65 list, read and write on C, on the index relay.
    let erins_list = EventBuilder::new(Kind::Custom(KIND_RELAY_LIST), "")
        .tags([Tag::parse(["r", c.as_str()]).expect("tag")])
        .sign_with_keys(&erin.keys)
        .expect("sign");
    let idx = observer(std::slice::from_ref(&index)).await;
    assert!(idx.publish_now(&erins_list).await.is_accepted());
    idx.shutdown().await;
    // Erin reaches Alice at the inbox Alice's list names (A), not on her own relay.
    erin.client.set_peer_relays(
        ak,
        PeerRelays {
            inbox: vec![RelayUrl::parse(&a).expect("url")],
            ..Default::default()
        },
    );

    let mut from_dave = dave.envelope(EnvelopeType::Counter, &intent, now());
    from_dave.terms = Some(priced(&intent_terms(&intent), 80));
    let mut from_erin = erin.envelope(EnvelopeType::Counter, &intent, now());
    from_erin.terms = Some(priced(&intent_terms(&intent), 85));
    dave.send(&from_dave).await;
    erin.send(&from_erin).await;
    let (nd, ne) = (from_dave.nego.to_string(), from_erin.nego.to_string());
    alice.until_known(&nd).await;
    alice.until_known(&ne).await;

    alice.app.pick(&nd).await.expect("pick Dave");
    let (acc, _) = dave.recv_kind(EnvelopeType::Accept).await;
    assert_eq!(acc.nego, from_dave.nego);
    // Dave accepts too (with his contact): confirmed, and Erin is told it is filled.
    let mut back = dave.envelope(EnvelopeType::Accept, &intent, now());
    back.terms = acc.terms.clone();
    back.contact = Some("Dave · +65 8000 0001".into());
    dave.send(&back).await;
    alice.until_state(&nd, DealState::Confirmed).await;
    let (filled, _) = erin.recv_kind(EnvelopeType::Cancel).await;
    assert_eq!(filled.nego, from_erin.nego);
    alice.flushed().await;

    let (dk, ek) = (dave.keys.public_key(), erin.keys.public_key());
    assert_eq!(
        alice.app.peer_inbox(&dk).await.expect("dave"),
        InboxAdvertised::No
    );
    assert_eq!(
        alice.app.peer_inbox(&ek).await.expect("erin"),
        InboxAdvertised::No
    );
    let wraps_to = |pk| Filter::new().kind(Kind::GiftWrap).pubkey(pk);
    assert!(
        !on_relay(std::slice::from_ref(&a), wraps_to(dk))
            .await
            .is_empty()
    );
    assert!(
        on_relay(std::slice::from_ref(&a), wraps_to(ek))
            .await
            .is_empty()
    );
    assert!(
        !on_relay(std::slice::from_ref(&c), wraps_to(ek))
            .await
            .is_empty()
    );
}
