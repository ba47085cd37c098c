//! Meetup check-ins end to end on the embedded relay, with three homes: Alice (the user, who
//! meets), Bob (the counterparty), Carol (Alice's trusted contact, whose phone is closed and
//! learns everything from background passes, as a phone's periodic work would). Safe, overdue,
//! extended and duress; then the edge cases: late arrival, replays, messages before their
//! check-in, a contact who removed you, a deal cancelled before the meetup, "safe" offline,
//! clock skew, and bad input from strangers and contacts — refused with a reason, alerting
//! nobody. Time rules are shortened (a one-second grace) so deadlines pass within a test.

mod common;

use std::time::Duration;

use common::*;
use freeport_core::app::{
    AppError, CheckinAction, CheckinDelivery, CheckinPolicy, CheckinShare, CheckinState,
    CheckinView, Notice, NoticeChannel, NoticeKind, PassOutcome, ProfileUpdate, Refusal,
    RefusalCode, Response,
};
use freeport_core::checkin::{
    CheckinId, CheckinMessage, Closing, Meeting, Place, ScreeningSnapshot, SharedCheckin,
    build_message,
};
use freeport_core::identity::to_npub;
use freeport_core::relay::Transport;
use freeport_core::reputation::Verdict;
use nostr::{Filter, Keys, Kind};

const BUDGET: Duration = Duration::from_secs(30);

/// Check-in time rules short enough for a test: deadlines a few seconds ahead, a one-second
/// grace, a reminder two seconds before.
fn fast() -> CheckinPolicy {
    CheckinPolicy {
        grace_secs: 1,
        remind_before_secs: 2,
        min_lead_secs: 1,
        ..CheckinPolicy::default()
    }
}

struct Town {
    alice: Person,
    bob: Person,
    carol: Person,
    nego: String,
    relays: Vec<String>,
    _relay: freeport_core::relay::EmbeddedRelay,
}

/// Alice (owner) and Bob have a confirmed deal; Alice saw Bob's screening card; Alice and Carol
/// keep each other as trusted contacts. Carol's phone is closed (no network).
async fn town() -> Town {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let alice = Person::offline_with("Alice", &relays, |c| c.checkin = fast());
    alice.connect().await;
    let bob = Person::online("Bob", &relays).await;
    bob.app
        .set_profile(ProfileUpdate {
            name: Some("Bob".into()),
            phone: Some("+65 8765 4321".into()),
            ..Default::default()
        })
        .await
        .expect("profile");
    bob.flushed().await;
    let carol = Person::offline_with("Carol", &relays, |c| c.checkin = fast());

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
    // What the deal screen shows before sharing: Bob's card (fetches his profile too).
    alice
        .app
        .screen_remote(&bob.keys.public_key().to_hex(), false)
        .await
        .expect("screen");

    alice
        .app
        .add_trusted_contact(&to_npub(&carol.keys.public_key()), Some("Carol".into()))
        .expect("alice trusts carol");
    carol
        .app
        .add_trusted_contact(&to_npub(&alice.keys.public_key()), None)
        .expect("carol trusts alice");
    Town {
        alice,
        bob,
        carol,
        nego,
        relays,
        _relay: relay,
    }
}

fn share(t: &Town, until: u64) -> CheckinShare {
    CheckinShare {
        nego: t.nego.clone(),
        contacts: vec![to_npub(&t.carol.keys.public_key())],
        deadline: until,
        place_name: Some("Tanjong Pagar MRT, exit A".into()),
        geohash: Some("w21z7".into()),
    }
}

/// One background pass on a closed phone; returns its notices, acknowledged.
async fn pass(p: &Person) -> Vec<Notice> {
    let r = p.app.background_pass(BUDGET).await.expect("pass");
    assert_eq!(r.outcome, PassOutcome::Complete, "{}: {r:?}", p.name);
    let ids: Vec<u64> = r.notices.iter().map(|n| n.id).collect();
    p.app.ack_notices(&ids).expect("ack");
    r.notices
}

fn codes(ns: &[Notice]) -> Vec<&'static str> {
    ns.iter().map(|n| n.kind.code()).collect()
}

/// Sleeps until the unix clock reaches `t`.
async fn until(t: u64) {
    while now() < t {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Gift wraps on the relay addressed to `pk`.
async fn wraps_to(relays: &[String], pk: nostr::PublicKey) -> usize {
    on_relay(relays, Filter::new().kind(Kind::GiftWrap).pubkey(pk))
        .await
        .len()
}

fn alert(n: &Notice) -> &freeport_core::app::CheckinAlert {
    match &n.kind {
        NoticeKind::CheckinReceived { checkin }
        | NoticeKind::CheckinOverdue { checkin }
        | NoticeKind::CheckinSafe { checkin }
        | NoticeKind::CheckinDuress { checkin } => checkin,
        other => panic!("not a check-in alert: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_reaches_the_contact_and_nothing_reaches_the_counterparty() {
    let t = town().await;
    let bob_wraps = wraps_to(&t.relays, t.bob.keys.public_key()).await;
    let deal_screen = t.alice.app.deal_checkin(&t.nego).expect("deal checkin");
    assert_eq!(deal_screen.actions, vec![CheckinAction::Share]);

    let v = t
        .alice
        .app
        .checkin_share(share(&t, now() + 120))
        .await
        .expect("share");
    assert_eq!(v.state, CheckinState::Active);
    assert_eq!(
        v.actions,
        vec![
            CheckinAction::Extend,
            CheckinAction::Safe,
            CheckinAction::Cancel
        ]
    );
    assert_eq!(v.contacts[0].name.as_deref(), Some("Carol"));
    assert_eq!(v.meeting.phone.as_deref(), Some("+65••••4321"));
    t.alice.flushed().await;
    assert_eq!(
        t.alice
            .app
            .deal_checkin(&t.nego)
            .unwrap()
            .checkin
            .unwrap()
            .delivery,
        CheckinDelivery::Sent
    );
    // One open check-in per deal.
    assert!(matches!(
        t.alice.app.checkin_share(share(&t, now() + 120)).await,
        Err(AppError::NotPossible {
            why: Refusal::CheckinOpen,
            ..
        })
    ));

    let got = pass(&t.carol).await;
    assert_eq!(codes(&got), vec!["checkin_received"]);
    let n = &got[0];
    assert_eq!(n.channel, NoticeChannel::Safety);
    assert!(n.deal.is_none());
    let a = alert(n);
    assert_eq!(a.from.pubkey, t.alice.keys.public_key().to_hex());
    assert_eq!(a.meeting.pubkey, t.bob.keys.public_key().to_hex());
    assert_eq!(a.meeting.name.as_deref(), Some("Bob"));
    assert_eq!(a.meeting.phone.as_deref(), Some("+65••••4321"));
    assert_eq!(a.place_name.as_deref(), Some("Tanjong Pagar MRT, exit A"));
    assert_eq!(a.geohash.as_deref(), Some("w21z7"));
    assert_eq!(a.deadline, v.deadline);
    // No full number anywhere in what Carol's phone was told.
    let json = serde_json::to_string(&got).unwrap();
    assert!(
        !json.contains("87654321") && !json.contains("8765 4321"),
        "{json}"
    );

    let watching = t.carol.app.watched_checkins().expect("watched");
    assert_eq!(watching.len(), 1);
    assert_eq!(watching[0].state, CheckinState::Active);
    assert!(watching[0].alarm_at.is_some());
    assert!(
        watching[0]
            .due_at
            .is_some_and(|d| d < watching[0].alarm_at.unwrap())
    );
    assert!(pass(&t.carol).await.is_empty(), "told once");

    let v = t
        .alice
        .app
        .checkin_safe(&t.nego, false)
        .await
        .expect("safe");
    assert_eq!(v.state, CheckinState::Safe);
    assert!(v.actions.is_empty());
    t.alice.flushed().await;
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_safe"]);
    let w = &t.carol.app.watched_checkins().unwrap()[0];
    assert_eq!(w.state, CheckinState::Safe);
    assert_eq!(w.alarm_at, None);
    assert_eq!(w.due_at, None);
    assert_eq!(t.carol.app.checkin_next_alarm().unwrap(), None);

    // Closed: a new one may be shared for the same deal.
    assert_eq!(
        t.alice.app.deal_checkin(&t.nego).unwrap().actions,
        vec![CheckinAction::Share]
    );
    // The counterparty got nothing: no gift wrap, no refusal, no notice.
    assert_eq!(
        wraps_to(&t.relays, t.bob.keys.public_key()).await,
        bob_wraps
    );
    assert!(t.bob.app.refusals(None).unwrap().is_empty());
    assert!(
        t.bob
            .app
            .pending_notices()
            .unwrap()
            .iter()
            .all(|n| n.channel != NoticeChannel::Safety)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_past_the_deadline_alerts_the_contact_once_and_an_extension_moves_it() {
    let t = town().await;
    let first = now() + 4;
    t.alice
        .app
        .checkin_share(share(&t, first))
        .await
        .expect("share");
    t.alice.flushed().await;
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_received"]);

    // Running late: Alice moves the deadline before it passes.
    let later = now() + 8;
    let v = t
        .alice
        .app
        .checkin_extend(&t.nego, later)
        .await
        .expect("extend");
    assert_eq!(v.deadline, later);
    t.alice.flushed().await;
    assert!(pass(&t.carol).await.is_empty(), "an extension is no alarm");
    assert_eq!(t.carol.app.watched_checkins().unwrap()[0].deadline, later);
    let alarm = t.carol.app.checkin_next_alarm().unwrap().expect("alarm");
    assert_eq!(alarm, later + fast().grace_secs);

    // The old deadline passes: nothing. Alice's own phone reminds her before the new one.
    until(first + fast().grace_secs + 1).await;
    assert!(pass(&t.carol).await.is_empty());
    until(later - 1).await;
    let mine = t.alice.app.checkin_tick().expect("tick");
    let reminded = mine
        .iter()
        .chain(t.alice.app.pending_notices().unwrap().iter())
        .any(
            |n| matches!(n.kind, NoticeKind::CheckinReminder { deadline, .. } if deadline == later),
        );
    assert!(reminded, "{mine:?}");

    // The new one passes with no word from Alice: Carol's phone alerts, once.
    until(alarm).await;
    let got = pass(&t.carol).await;
    assert_eq!(codes(&got), vec!["checkin_overdue"]);
    let a = alert(&got[0]);
    assert_eq!(a.deadline, later);
    assert_eq!(a.meeting.npub, to_npub(&t.bob.keys.public_key()));
    assert_eq!(a.meeting.phone.as_deref(), Some("+65••••4321"));
    assert!(pass(&t.carol).await.is_empty(), "alerted once");
    assert_eq!(
        t.carol.app.watched_checkins().unwrap()[0].state,
        CheckinState::Overdue
    );
    assert_eq!(
        t.alice.app.my_checkins().unwrap()[0].state,
        CheckinState::Overdue
    );

    // "I'm safe" late calls the alert off.
    t.alice
        .app
        .checkin_safe(&t.nego, false)
        .await
        .expect("safe");
    t.alice.flushed().await;
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_safe"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duress_looks_safe_on_the_users_phone_and_alerts_the_contact() {
    let t = town().await;
    t.alice.app.set_checkin_pins("2580", "1379").expect("pins");
    assert!(t.alice.app.checkin_pins_set());
    assert!(matches!(
        t.alice.app.set_checkin_pins("1111", "1111"),
        Err(AppError::InvalidInput { .. })
    ));
    t.alice
        .app
        .checkin_share(share(&t, now() + 300))
        .await
        .expect("share");
    // A wrong PIN changes nothing.
    assert!(matches!(
        t.alice.app.checkin_safe_with_pin(&t.nego, "0000").await,
        Err(AppError::NotPossible {
            why: Refusal::WrongPin,
            ..
        })
    ));
    assert!(t.alice.app.my_checkins().unwrap()[0].state == CheckinState::Active);
    let duress = t
        .alice
        .app
        .checkin_safe_with_pin(&t.nego, "1379")
        .await
        .expect("duress");
    t.alice.flushed().await;
    // The share and the closing may reach Carol in one pass, in either order (a closing before
    // its check-in is held): the duress alert is there either way, and nothing says "safe".
    let got = codes(&pass(&t.carol).await);
    assert!(got.contains(&"checkin_duress"), "{got:?}");
    assert!(!got.contains(&"checkin_safe"), "{got:?}");
    assert_eq!(
        t.carol.app.watched_checkins().unwrap()[0].state,
        CheckinState::Duress
    );

    // On Alice's phone it reads exactly like a safe closing: share again, close with the usual
    // PIN, compare everything but ids and times.
    t.alice
        .app
        .checkin_share(share(&t, now() + 300))
        .await
        .expect("share again");
    let safe = t
        .alice
        .app
        .checkin_safe_with_pin(&t.nego, "2580")
        .await
        .expect("safe");
    t.alice.flushed().await;
    let shape = |v: &CheckinView| {
        (
            v.state,
            v.actions.clone(),
            v.contacts.clone(),
            v.meeting.clone(),
            v.place_name.clone(),
        )
    };
    assert_eq!(shape(&duress), shape(&safe));
    let listed = t.alice.app.my_checkins().unwrap();
    assert!(listed.iter().all(|v| v.state == CheckinState::Safe));
    let got = codes(&pass(&t.carol).await);
    assert!(got.contains(&"checkin_safe"), "{got:?}");
    assert!(!got.contains(&"checkin_duress"), "{got:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_that_arrives_after_its_deadline_alerts_at_once() {
    let t = town().await;
    let deadline = now() + 2;
    t.alice
        .app
        .checkin_share(share(&t, deadline))
        .await
        .expect("share");
    t.alice.flushed().await;
    until(deadline + fast().grace_secs + 1).await;
    // Carol's phone was off until now.
    let got = pass(&t.carol).await;
    assert_eq!(codes(&got), vec!["checkin_received", "checkin_overdue"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deal_cancelled_before_the_meetup_cancels_its_check_in_but_the_counterparty_cannot() {
    let t = town().await;
    t.alice
        .app
        .checkin_share(share(&t, now() + 6))
        .await
        .expect("share");
    t.alice.flushed().await;
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_received"]);

    // Bob cancels while the meeting is on: Alice's check-in stays (he cannot silence it).
    t.bob.app.cancel(&t.nego, None).await.expect("bob cancels");
    t.bob.flushed().await;
    t.alice.until_state(&t.nego, DealState::Cancelled).await;
    let v = &t.alice.app.my_checkins().unwrap()[0];
    assert_eq!(v.state, CheckinState::Active);
    // Alice calls it off herself.
    t.alice.app.checkin_cancel(&t.nego).await.expect("cancel");
    t.alice.flushed().await;
    assert!(pass(&t.carol).await.is_empty());
    assert_eq!(
        t.carol.app.watched_checkins().unwrap()[0].state,
        CheckinState::Cancelled
    );
    until(now() + 8).await;
    assert!(
        pass(&t.carol).await.is_empty(),
        "no alarm for a cancelled one"
    );
    // The deal is over: no new check-in.
    assert!(matches!(
        t.alice.app.checkin_share(share(&t, now() + 60)).await,
        Err(AppError::NotPossible {
            why: Refusal::CheckinNeedsConfirmedDeal { .. },
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_the_deal_yourself_cancels_the_check_in_with_it() {
    let t = town().await;
    t.alice
        .app
        .checkin_share(share(&t, now() + 4))
        .await
        .expect("share");
    // A second later (so the contact reads the two in order).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    t.alice
        .app
        .cancel(&t.nego, None)
        .await
        .expect("cancel deal");
    let v = &t.alice.app.my_checkins().unwrap()[0];
    assert_eq!(v.state, CheckinState::Cancelled);
    t.alice.flushed().await;
    until(now() + 6).await;
    // Told of it, then no alarm: it was cancelled with the deal.
    // Carol's phone was off past the deadline; the cancel that came with the check-in wins.
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_received"]);
    assert_eq!(
        t.carol.app.watched_checkins().unwrap()[0].state,
        CheckinState::Cancelled
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn safe_offline_waits_in_the_outbox_and_goes_when_a_relay_is_back() {
    let mut t = town().await;
    t.alice
        .app
        .checkin_share(share(&t, now() + 300))
        .await
        .expect("share");
    t.alice.flushed().await;
    // At the meetup with no network: a relay nobody listens on.
    let dead = vec!["ws://127.0.0.1:9".to_string()];
    t.alice.relaunch_with(&dead, |c| c.checkin = fast()).await;
    let v = t
        .alice
        .app
        .checkin_safe(&t.nego, false)
        .await
        .expect("safe");
    assert_eq!(v.state, CheckinState::Safe);
    assert_eq!(v.delivery, CheckinDelivery::NotYetSent);
    assert_eq!(v.unsent, 1);
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_received"]);

    // The network is back.
    let relays = t.relays.clone();
    t.alice.relaunch_with(&relays, |c| c.checkin = fast()).await;
    t.alice.connect().await;
    t.alice.flushed().await;
    let v = &t.alice.app.my_checkins().unwrap()[0];
    assert_eq!(v.delivery, CheckinDelivery::Sent);
    assert_eq!(codes(&pass(&t.carol).await), vec!["checkin_safe"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_who_removed_you_ignores_your_check_ins() {
    let t = town().await;
    t.carol
        .app
        .remove_trusted_contact(&t.alice.keys.public_key().to_hex())
        .expect("remove");
    t.alice
        .app
        .checkin_share(share(&t, now() + 2))
        .await
        .expect("share");
    t.alice.flushed().await;
    until(now() + 4).await;
    assert!(pass(&t.carol).await.is_empty());
    assert!(t.carol.app.watched_checkins().unwrap().is_empty());
    let refused = t.carol.app.refusals(None).unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].code, RefusalCode::NotAContact);
}

/// A check-in Dave writes himself (a raw client), shared with Carol.
fn dave_share(deadline: u64, ts: u64) -> (SharedCheckin, CheckinMessage) {
    SharedCheckin::share(
        CheckinId::random(),
        "d:1:2".into(),
        vec![Keys::generate().public_key()],
        Meeting {
            pubkey: Keys::generate().public_key(),
            name: Some("Eve".into()),
            phone: None,
            screening: ScreeningSnapshot {
                deals: 0,
                partners: 0,
                partners_in_network: 0,
                met_in_person: 0,
                verified_by: 0,
                new_account: true,
                verdict: Verdict::Unknown,
            },
        },
        Place::default(),
        None,
        deadline,
        ts,
        &fast(),
    )
    .expect("share")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_early_updates_skew_and_bad_input_change_nothing_they_should_not() {
    let relay = embedded_relay().await;
    let relays = vec![relay.url()];
    let carol = Person::offline_with("Carol", &relays, |c| c.checkin = fast());
    let dave = RawPeer::connect(&relays, Transport::Nip17).await;
    carol
        .app
        .add_trusted_contact(&dave.keys.public_key().to_hex(), Some("Dave".into()))
        .expect("trust dave");
    let to = carol.keys.public_key();

    // An extension and a "safe" that arrive before their check-in are held, then applied.
    let (mut c, share_msg) = dave_share(now() + 600, now());
    let ext = c.extend(now() + 900, now(), &fast()).expect("extend");
    let safe = c.close(Closing::Safe, now()).expect("close");
    dave.send_text(&to, &build_message(&ext).unwrap()).await;
    dave.send_text(&to, &build_message(&safe).unwrap()).await;
    assert!(pass(&carol).await.is_empty(), "held, nothing to say yet");
    assert!(carol.app.watched_checkins().unwrap().is_empty());
    dave.send_text(&to, &build_message(&share_msg).unwrap())
        .await;
    assert_eq!(codes(&pass(&carol).await), vec!["checkin_safe"]);

    // Replays (fresh gift wraps of the same messages) change nothing.
    for m in [&share_msg, &ext, &safe] {
        dave.send_text(&to, &build_message(m).unwrap()).await;
    }
    assert!(pass(&carol).await.is_empty());
    assert!(carol.app.refusals(None).unwrap().is_empty());

    // Dave's clock runs ten minutes ahead: the offset is shown and his deadline comes sooner.
    let deadline = now() + 3600;
    let (_, skewed) = dave_share(deadline + 600, now() + 600);
    dave.send_text(&to, &build_message(&skewed).unwrap()).await;
    assert_eq!(codes(&pass(&carol).await), vec!["checkin_received"]);
    let w = carol
        .app
        .watched_checkin(&dave.keys.public_key().to_hex(), skewed.id().as_str())
        .expect("watched");
    let off = w.clock_offset_secs.expect("offset");
    assert!((590..=600).contains(&off), "{off}");
    assert!(w.clock_skewed);
    let alarm = w.alarm_at.expect("alarm");
    assert!(
        alarm.abs_diff(deadline + fast().grace_secs) <= 10,
        "{alarm} vs {deadline}"
    );

    // Malformed from a contact: refused with the field, no notice.
    dave.send_text(
        &to,
        r#"{"v":1,"type":"checkin.share","id":"zz","seq":0,"ts":1}"#,
    )
    .await;
    // Over NIP-04: refused (check-ins travel as gift wraps only).
    let dave04 = RawPeer::connect_as(dave.keys.clone(), &relays, Transport::Nip04).await;
    let (_, other) = dave_share(now() + 600, now());
    dave04.send_text(&to, &build_message(&other).unwrap()).await;
    // A stranger's flood: refused, nobody alerted.
    let mallory = RawPeer::connect(&relays, Transport::Nip17).await;
    for _ in 0..20 {
        let (_, m) = dave_share(now() + 600, now());
        mallory.send_text(&to, &build_message(&m).unwrap()).await;
    }
    assert!(pass(&carol).await.is_empty());
    let refused = carol.app.refusals(None).unwrap();
    let count = |code: RefusalCode| refused.iter().filter(|r| r.code == code).count();
    assert_eq!(count(RefusalCode::NotAContact), 20);
    assert_eq!(count(RefusalCode::Malformed), 2, "{refused:?}");
    assert!(
        refused
            .iter()
            .any(|r| r.field.as_deref() == Some("transport"))
    );
    assert!(refused.iter().any(|r| r.field.as_deref() == Some("id")));
    assert_eq!(carol.app.watched_checkins().unwrap().len(), 2);
}
