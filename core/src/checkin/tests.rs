use nostr::Keys;
use proptest::prelude::*;

use super::message::masked_phone;
use super::*;
use crate::reputation::Verdict;

const NOW: u64 = 1_700_000_000;

fn policy() -> CheckinPolicy {
    CheckinPolicy::default()
}

fn meeting() -> Meeting {
    Meeting {
        pubkey: Keys::generate().public_key(),
        name: Some("Bob".into()),
        phone: Some("+65 ••••4321".into()),
        screening: ScreeningSnapshot {
            deals: 12,
            partners: 9,
            partners_in_network: 3,
            met_in_person: 2,
            verified_by: 4,
            new_account: false,
            verdict: Verdict::Trusted,
        },
    }
}

fn place() -> Place {
    Place {
        name: Some("Tanjong Pagar MRT, exit A".into()),
        geohash: Some("w21z7".into()),
    }
}

fn shared(deadline: u64) -> (SharedCheckin, CheckinMessage) {
    SharedCheckin::share(
        CheckinId::random(),
        "d:aa:bb".into(),
        vec![Keys::generate().public_key()],
        meeting(),
        place(),
        None,
        deadline,
        NOW,
        &policy(),
    )
    .expect("share")
}

fn roundtrip(m: &CheckinMessage) -> CheckinMessage {
    let text = build_message(m).expect("build");
    assert!(is_checkin(&text), "{text}");
    parse_message(&text).expect("parse")
}

#[test]
fn every_message_round_trips_through_its_json() {
    let (mut c, share) = shared(NOW + 3600);
    assert_eq!(roundtrip(&share), share);
    let ext = c.extend(NOW + 7200, NOW + 10, &policy()).unwrap();
    assert_eq!(roundtrip(&ext), ext);
    let close = c.close(Closing::Duress, NOW + 20).unwrap();
    assert_eq!(roundtrip(&close), close);
    let (mut c2, _) = shared(NOW + 3600);
    let cancel = c2.cancel(NOW + 5).unwrap();
    assert_eq!(roundtrip(&cancel), cancel);
    let v: serde_json::Value = serde_json::from_str(&build_message(&share).unwrap()).unwrap();
    assert_eq!(v["v"], 1);
    assert_eq!(v["type"], "checkin.share");
    assert_eq!(v["meeting"]["screening"]["verdict"], "trusted");
    assert_eq!(v["place"]["geohash"], "w21z7");
}

#[test]
fn safe_and_duress_closings_are_the_same_size() {
    let id = CheckinId::random();
    let msg = |closing| CheckinMessage::Close {
        id: id.clone(),
        seq: 3,
        ts: NOW,
        closing,
    };
    let safe = build_message(&msg(Closing::Safe)).unwrap();
    let duress = build_message(&msg(Closing::Duress)).unwrap();
    assert_ne!(safe, duress);
    assert_eq!(safe.len(), duress.len());
}

#[test]
fn the_users_own_check_in_reads_safe_whichever_way_it_was_closed() {
    let (mut a, _) = shared(NOW + 3600);
    let (mut b, _) = shared(NOW + 3600);
    a.close(Closing::Safe, NOW + 60).unwrap();
    b.close(Closing::Duress, NOW + 60).unwrap();
    assert_eq!(a.state(NOW + 61), CheckinState::Safe);
    assert_eq!(b.state(NOW + 61), CheckinState::Safe);
    // Nothing stored differs but the id and the random recipients/meeting of each test.
    let strip = |c: &SharedCheckin| (c.phase, c.seq, c.closed_at, c.deadline);
    assert_eq!(strip(&a), strip(&b));
    assert!(a.actions().is_empty());
    assert!(matches!(
        a.extend(NOW + 7200, NOW + 62, &policy()),
        Err(CheckinError::Closed {
            state: CheckinState::Safe
        })
    ));
}

#[test]
fn the_senders_states_follow_the_clock_and_the_closing() {
    let mut p = policy();
    p.min_lead_secs = 1;
    let (c, _) = SharedCheckin::share(
        CheckinId::random(),
        "n".into(),
        vec![Keys::generate().public_key()],
        meeting(),
        place(),
        Some(NOW + 600),
        NOW + 3600,
        NOW,
        &p,
    )
    .unwrap();
    assert_eq!(c.state(NOW), CheckinState::Planned);
    assert_eq!(c.state(NOW + 600), CheckinState::Active);
    assert_eq!(c.state(NOW + 3600), CheckinState::Overdue);
    assert_eq!(
        c.actions(),
        vec![
            CheckinAction::Extend,
            CheckinAction::Safe,
            CheckinAction::Cancel
        ]
    );
    // Reminded ten minutes before; a short check-in halfway.
    assert_eq!(c.remind_at(&p), Some(NOW + 3000));
    let (short, _) = SharedCheckin::share(
        CheckinId::random(),
        "n".into(),
        vec![Keys::generate().public_key()],
        meeting(),
        place(),
        None,
        NOW + 300,
        NOW,
        &p,
    )
    .unwrap();
    assert_eq!(short.remind_at(&p), Some(NOW + 150));
    // Overdue is still open: "I'm safe" late is a false alarm called off.
    let mut late = c.clone();
    assert!(late.close(Closing::Safe, NOW + 4000).is_ok());
}

#[test]
fn deadlines_and_recipients_are_checked() {
    let p = policy();
    let share = |contacts: Vec<nostr::PublicKey>, deadline| {
        SharedCheckin::share(
            CheckinId::random(),
            "n".into(),
            contacts,
            meeting(),
            place(),
            None,
            deadline,
            NOW,
            &p,
        )
    };
    let one = vec![Keys::generate().public_key()];
    assert!(matches!(
        share(one.clone(), NOW + 10),
        Err(CheckinError::DeadlineTooSoon { .. })
    ));
    assert!(matches!(
        share(one.clone(), NOW - 10),
        Err(CheckinError::DeadlineTooSoon { .. })
    ));
    assert!(matches!(
        share(one.clone(), NOW + p.max_ahead_secs + 1),
        Err(CheckinError::DeadlineTooFar { .. })
    ));
    assert!(matches!(
        share(Vec::new(), NOW + 3600),
        Err(CheckinError::Recipients { found: 0, .. })
    ));
    let many: Vec<_> = (0..=MAX_RECIPIENTS)
        .map(|_| Keys::generate().public_key())
        .collect();
    assert!(matches!(
        share(many, NOW + 3600),
        Err(CheckinError::Recipients { .. })
    ));
    // The same contact twice is one recipient.
    let (c, _) = share(vec![one[0], one[0]], NOW + 3600).unwrap();
    assert_eq!(c.contacts.len(), 1);
}

#[test]
fn only_masks_travel_never_a_full_number() {
    assert_eq!(masked_phone("+6591234567").as_deref(), Some("+65 ••••4567"));
    assert_eq!(masked_phone("+65••••4567").as_deref(), Some("+65••••4567"));
    assert_eq!(masked_phone("not a phone"), None);
    let mut m = meeting();
    m.phone = Some("+6591234567".into());
    let r = SharedCheckin::share(
        CheckinId::random(),
        "n".into(),
        vec![Keys::generate().public_key()],
        m,
        place(),
        None,
        NOW + 3600,
        NOW,
        &policy(),
    );
    assert!(matches!(
        r,
        Err(CheckinError::Wire(
            crate::protocol::ProtocolError::InvalidField { field: "phone", .. }
        ))
    ));
    // A mask that hides one digit of a long number shows too much.
    let (_, share) = shared(NOW + 3600);
    let text = build_message(&share)
        .unwrap()
        .replace("+65 ••••4321", "+659123•321");
    assert!(parse_message(&text).is_err());
}

#[test]
fn malformed_messages_are_refused_with_the_field() {
    use crate::protocol::ProtocolError as P;
    let (_, share) = shared(NOW + 3600);
    let good = build_message(&share).unwrap();
    let edit = |f: &dyn Fn(&mut serde_json::Value)| {
        let mut v: serde_json::Value = serde_json::from_str(&good).unwrap();
        f(&mut v);
        parse_message(&v.to_string())
    };
    assert!(matches!(
        edit(&|v| v["v"] = 2.into()),
        Err(P::UnsupportedVersion { .. })
    ));
    assert!(matches!(
        edit(&|v| v["id"] = "XYZ".into()),
        Err(P::InvalidField { field: "id", .. })
    ));
    assert!(matches!(
        edit(&|v| v["seq"] = 1.into()),
        Err(P::InvalidField { field: "seq", .. })
    ));
    assert!(matches!(
        edit(&|v| v["deadline"] = (NOW - 1).into()),
        Err(P::InvalidField {
            field: "deadline",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["meeting"]["pubkey"] = "00".into()),
        Err(P::InvalidField {
            field: "pubkey",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["meeting"]["screening"]["verdict"] = "great".into()),
        Err(P::InvalidField {
            field: "verdict",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["place"]["geohash"] = "aaaa".into()),
        Err(P::InvalidField {
            field: "geohash",
            ..
        })
    ));
    assert!(matches!(
        edit(&|v| v["place"]["name"] = "bell\u{7}".into()),
        Err(P::InvalidField { field: "place", .. })
    ));
    assert!(matches!(
        edit(&|v| v["meeting"]["name"] = "x".repeat(MAX_NAME_CHARS + 1).into()),
        Err(P::TooLarge { field: "name", .. })
    ));
    assert!(matches!(
        edit(&|v| v["type"] = "checkin.explode".into()),
        Err(P::InvalidField { field: "type", .. })
    ));
    assert!(matches!(
        parse_message(&format!(
            r#"{{"v":1,"type":"checkin.close","id":"{}","seq":1,"ts":1,"status":"fine"}}"#,
            share.id()
        )),
        Err(P::InvalidField {
            field: "status",
            ..
        })
    ));
    assert!(matches!(parse_message("[1]"), Err(P::NotJson { .. })));
    assert!(parse_message(&"x".repeat(MAX_MESSAGE_BYTES + 1)).is_err());
    // Unknown keys are extensions: ignored.
    assert!(edit(&|v| v["later"] = "x".into()).is_ok());
    // A negotiation envelope is not a check-in, nor is plain text.
    assert!(!is_checkin(r#"{"v":1,"type":"negotiate.chat"}"#));
    assert!(!is_checkin("hello"));
    assert!(is_checkin(r#"{"type":"checkin.anything"}"#));
}

fn watch_for(share: &CheckinMessage, sender: nostr::PublicKey) -> Watch {
    Watch::new(sender, share.id().clone(), NOW)
}

#[test]
fn a_contact_is_told_once_and_the_alarm_fires_after_the_grace() {
    let p = policy();
    let (mut c, share) = shared(NOW + 3600);
    let sender = Keys::generate().public_key();
    let mut w = watch_for(&share, sender);
    assert_eq!(
        w.apply(&share, NOW + 2, &p).unwrap(),
        vec![WatchEvent::Received]
    );
    assert_eq!(w.apply(&share, NOW + 3, &p).unwrap(), vec![], "duplicate");
    assert_eq!(w.state(NOW + 3, &p), CheckinState::Active);
    assert_eq!(w.alarm_at(&p), Some(NOW + 3600 + p.grace_secs));
    assert!(w.tick(NOW + 3600, &p).is_empty(), "grace");
    assert_eq!(
        w.tick(NOW + 3600 + p.grace_secs, &p),
        vec![WatchEvent::Overdue {
            deadline: NOW + 3600
        }]
    );
    assert!(w.tick(NOW + 9999, &p).is_empty(), "once");
    assert_eq!(w.state(NOW + 9999, &p), CheckinState::Overdue);
    // An extension re-arms it; a late "safe" closes it.
    let ext = c.extend(NOW + 20_000, NOW + 10_000, &p).unwrap();
    assert_eq!(
        w.apply(&ext, NOW + 10_001, &p).unwrap(),
        vec![WatchEvent::Extended {
            deadline: NOW + 20_000
        }]
    );
    assert_eq!(w.state(NOW + 10_001, &p), CheckinState::Active);
    assert!(w.tick(NOW + 10_001, &p).is_empty());
    let close = c.close(Closing::Safe, NOW + 10_002).unwrap();
    assert_eq!(
        w.apply(&close, NOW + 10_003, &p).unwrap(),
        vec![WatchEvent::Closed(Closing::Safe)]
    );
    assert!(w.tick(NOW + 99_999, &p).is_empty());
    assert_eq!(w.alarm_at(&p), None);
    assert_eq!(w.due_at(&p), None, "no countdown once closed");
    // Replays of anything after the closing change nothing.
    for m in [&share, &ext, &close] {
        assert!(w.apply(m, NOW + 10_004, &p).unwrap().is_empty());
    }
}

#[test]
fn duress_is_only_visible_to_the_contact() {
    let p = policy();
    let (mut c, share) = shared(NOW + 3600);
    let mut w = watch_for(&share, Keys::generate().public_key());
    w.apply(&share, NOW, &p).unwrap();
    let close = c.close(Closing::Duress, NOW + 60).unwrap();
    assert_eq!(
        w.apply(&close, NOW + 61, &p).unwrap(),
        vec![WatchEvent::Closed(Closing::Duress)]
    );
    assert_eq!(w.state(NOW + 61, &p), CheckinState::Duress);
    assert_eq!(c.state(NOW + 61), CheckinState::Safe);
}

#[test]
fn a_check_in_that_arrives_after_its_deadline_alerts_at_once() {
    let p = policy();
    let (_, share) = shared(NOW + 3600);
    let mut w = watch_for(&share, Keys::generate().public_key());
    let late = NOW + 3600 + p.grace_secs + 1;
    assert_eq!(
        w.apply(&share, late, &p).unwrap(),
        vec![WatchEvent::Received]
    );
    assert_eq!(
        w.tick(late, &p),
        vec![WatchEvent::Overdue {
            deadline: NOW + 3600
        }]
    );
    // A closing that came in the same batch wins over the alert.
    let (mut c, share) = shared(NOW + 3600);
    let close = c.close(Closing::Safe, NOW + 10).unwrap();
    let mut w = watch_for(&share, Keys::generate().public_key());
    w.apply(&share, late, &p).unwrap();
    w.apply(&close, late, &p).unwrap();
    assert!(w.tick(late, &p).is_empty());
    // One that ended long ago is history (a replay): refused, no alert.
    let mut old = watch_for(&share, Keys::generate().public_key());
    assert!(matches!(
        old.apply(&share, NOW + 3600 + p.stale_after_secs + 1, &p),
        Err(CheckinError::Stale { .. })
    ));
    assert_eq!(old.phase, WatchPhase::Waiting);
}

#[test]
fn messages_before_the_check_in_are_held_and_applied_when_it_comes() {
    let p = policy();
    let (mut c, share) = shared(NOW + 3600);
    let ext = c.extend(NOW + 7200, NOW + 1, &p).unwrap();
    let mut w = watch_for(&share, Keys::generate().public_key());
    assert!(w.apply(&ext, NOW + 2, &p).unwrap().is_empty());
    assert!(w.apply(&ext, NOW + 2, &p).unwrap().is_empty());
    assert_eq!(w.held.len(), 1, "a duplicate is held once");
    assert!(!w.is_known());
    assert_eq!(
        w.apply(&share, NOW + 3, &p).unwrap(),
        vec![WatchEvent::Received]
    );
    assert_eq!(w.deadline, NOW + 7200);
    assert!(w.held.is_empty());

    // Closed before it arrived: the closing is the one event.
    let (mut c, share) = shared(NOW + 3600);
    let close = c.close(Closing::Duress, NOW + 5).unwrap();
    let mut w = watch_for(&share, Keys::generate().public_key());
    w.apply(&close, NOW + 6, &p).unwrap();
    assert_eq!(
        w.apply(&share, NOW + 7, &p).unwrap(),
        vec![WatchEvent::Closed(Closing::Duress)]
    );

    // Held messages are bounded.
    let (_, share) = shared(NOW + 3600);
    let mut w = watch_for(&share, Keys::generate().public_key());
    for seq in 1..=MAX_HELD as u32 {
        let m = CheckinMessage::Extend {
            id: share.id().clone(),
            seq,
            ts: NOW,
            deadline: NOW + 4000,
        };
        w.apply(&m, NOW, &p).unwrap();
    }
    let one_more = CheckinMessage::Extend {
        id: share.id().clone(),
        seq: 99,
        ts: NOW,
        deadline: NOW + 4000,
    };
    assert!(matches!(
        w.apply(&one_more, NOW, &p),
        Err(CheckinError::TooManyHeld { .. })
    ));
}

#[test]
fn clock_skew_moves_the_alarm_within_bounds_and_is_shown() {
    let p = policy();
    let (_, share) = shared(NOW + 3600);
    // The sender's clock runs 10 minutes ahead: its deadline comes 10 minutes sooner here.
    let mut ahead = watch_for(&share, Keys::generate().public_key());
    ahead.apply(&share, NOW - 600, &p).unwrap();
    assert_eq!(ahead.clock_offset, Some(600));
    assert_eq!(ahead.alarm_at(&p), Some(NOW + 3600 - 600 + p.grace_secs));
    assert_eq!(
        ahead.due_at(&p),
        Some(NOW + 3600 - 600),
        "the countdown counts to it too"
    );
    // Behind (or delayed): not moved later than the grace.
    let mut behind = watch_for(&share, Keys::generate().public_key());
    behind.apply(&share, NOW + 600, &p).unwrap();
    assert_eq!(behind.clock_offset, Some(-600));
    assert_eq!(behind.alarm_at(&p), Some(NOW + 3600 + p.grace_secs));
    assert_eq!(behind.due_at(&p), Some(NOW + 3600));
    // Wildly ahead: moved by the largest skew the policy takes, shown as measured.
    let mut wild = watch_for(&share, Keys::generate().public_key());
    wild.apply(&share, NOW - 7200, &p).unwrap();
    assert_eq!(wild.clock_offset, Some(7200));
    assert_eq!(
        wild.alarm_at(&p),
        Some(NOW + 3600 - p.max_skew_secs + p.grace_secs)
    );
}

#[test]
fn a_message_of_another_check_in_is_an_error() {
    let p = policy();
    let (_, a) = shared(NOW + 3600);
    let (_, b) = shared(NOW + 3600);
    let mut w = watch_for(&a, Keys::generate().public_key());
    assert!(matches!(
        w.apply(&b, NOW, &p),
        Err(CheckinError::WrongCheckin { .. })
    ));
}

/// A sender's whole history: the share, `n` extensions, then a closing or a cancel.
fn history(extends: usize, end: u8) -> (Vec<CheckinMessage>, SharedCheckin) {
    let (mut c, share) = shared(NOW + 3600);
    let mut out = vec![share];
    for i in 0..extends {
        out.push(
            c.extend(NOW + 4000 + i as u64 * 100, NOW + 1 + i as u64, &policy())
                .unwrap(),
        );
    }
    match end {
        0 => {}
        1 => out.push(c.close(Closing::Safe, NOW + 100).unwrap()),
        2 => out.push(c.close(Closing::Duress, NOW + 100).unwrap()),
        _ => out.push(c.cancel(NOW + 100).unwrap()),
    }
    (out, c)
}

proptest! {
    /// Whatever order the relays deliver a check-in's messages in, with duplicates, the
    /// contact's copy ends where the sender is: same deadline, same closing, and at most one
    /// event per message.
    #[test]
    fn delivery_order_and_duplicates_do_not_change_the_outcome(
        extends in 0usize..6,
        end in 0u8..4,
        order in proptest::collection::vec(0usize..100, 1..30),
    ) {
        let p = policy();
        let (msgs, sender) = history(extends, end);
        let mut w = watch_for(&msgs[0], Keys::generate().public_key());
        let mut delivered: Vec<&CheckinMessage> = order.iter().map(|i| &msgs[i % msgs.len()]).collect();
        // Every message arrives at least once.
        delivered.extend(msgs.iter());
        let mut events = 0usize;
        for m in &delivered {
            events += w.apply(m, NOW + 50, &p).unwrap().len();
        }
        prop_assert!(events <= msgs.len());
        let want = match end {
            0 => WatchPhase::Open,
            1 => WatchPhase::Closed(Closing::Safe),
            2 => WatchPhase::Closed(Closing::Duress),
            _ => WatchPhase::Cancelled,
        };
        prop_assert_eq!(w.phase, want);
        if end == 0 {
            prop_assert_eq!(w.deadline, sender.deadline);
        }
        prop_assert!(w.held.is_empty());
    }

    /// The parser never panics and refuses anything over the size limit.
    #[test]
    fn the_parser_survives_any_text(s in ".{0,300}") {
        let _ = parse_message(&s);
        let _ = is_checkin(&s);
    }
}
