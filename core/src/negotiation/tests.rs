//! Unit tests: one per rule of DESIGN §3.1 and the brief.

use super::*;
use crate::protocol::envelope::{build_envelope, parse_envelope};
use nostr::Keys;
use serde_json::json;

const T0: u64 = 1_700_000_000;
const EXP: u64 = T0 + 3_600;

struct World {
    owner: PublicKey,
    resp: PublicKey,
    intent: IntentInfo,
    counter_ids: u64,
}

impl World {
    fn new() -> Self {
        let owner = Keys::generate().public_key();
        let resp = Keys::generate().public_key();
        Self {
            owner,
            resp,
            intent: IntentInfo {
                intent_id: EventId::from_hex(&"11".repeat(32)).unwrap(),
                d: "0123456789abcdef".into(),
                author: owner,
                market: "sg-rideshare".into(),
                terms: Terms::new().with("payment", json!("SGD 15")),
                expires_at: EXP,
                double_accept: true,
            },
            counter_ids: 0,
        }
    }
    fn pair(&self) -> (Negotiation, Negotiation) {
        (
            Negotiation::new_owner(&self.intent, self.resp).unwrap(),
            Negotiation::new_responder(&self.intent, self.resp).unwrap(),
        )
    }
    fn eid(&mut self) -> EventId {
        self.counter_ids += 1;
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.counter_ids.to_be_bytes());
        EventId::from_byte_array(b)
    }
}

fn sent(fx: &[Effect]) -> Vec<Envelope> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Send(env) => Some((**env).clone()),
            _ => None,
        })
        .collect()
}

fn one_sent(fx: &[Effect]) -> Envelope {
    let s = sent(fx);
    assert_eq!(s.len(), 1, "expected one send in {fx:?}");
    // Everything we send must survive our own strict parser.
    let back = parse_envelope(&build_envelope(&s[0]).unwrap()).unwrap();
    assert_eq!(back, s[0]);
    s[0].clone()
}

fn pay(p: &str) -> Terms {
    Terms::new().with("payment", json!(p))
}

#[test]
fn responder_accepts_intent_then_owner_accepts_confirms_both() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let acc = one_sent(&r.accept("R · +6591234567", None, T0).unwrap());
    assert_eq!(r.state(), State::AcceptedByUs);
    assert_eq!(acc.terms.as_ref(), Some(&pay("SGD 15")));
    let fx = o.apply_incoming(w.resp, &acc, w.eid(), T0).unwrap();
    assert_eq!(o.state(), State::AcceptedByThem);
    assert!(fx.contains(&Effect::StateChanged {
        from: State::Open,
        to: State::AcceptedByThem
    }));
    let fx = o.accept("O · +6598765432", None, T0 + 1).unwrap();
    assert_eq!(o.state(), State::Confirmed);
    assert!(fx.contains(&Effect::PublishReceipt));
    assert!(fx.iter().any(|e| matches!(e, Effect::Confirmed { their_contact, .. } if their_contact == "R · +6591234567")));
    let acc2 = one_sent(&fx);
    let fx = r.apply_incoming(w.owner, &acc2, w.eid(), T0 + 2).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    assert!(fx.contains(&Effect::PublishReceipt));
    assert_eq!(r.confirmed_terms(), o.confirmed_terms());
    assert_eq!(r.their_contact().unwrap().contact, "O · +6598765432");
}

#[test]
fn contact_is_only_sent_in_accept() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    assert!(c.contact.is_none() && c.contact_salt.is_none());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let ch = one_sent(&o.chat("hello", T0).unwrap());
    assert!(ch.contact.is_none());
    let a = one_sent(&o.accept("O", Some(ContactSalt([9; 32])), T0).unwrap());
    assert_eq!(a.contact.as_deref(), Some("O"));
    assert_eq!(a.contact_salt, Some(ContactSalt([9; 32])));
}

#[test]
fn counters_send_only_what_changed_and_partial_counters_merge() {
    let mut w = World::new();
    w.intent.terms = pay("SGD 15")
        .with(
            "from",
            json!({"name": "Tanjong Pagar", "geohash": "w21z74"}),
        )
        .with("window", json!({"start": T0 + 600, "end": T0 + 1200}));
    let (mut o, mut r) = w.pair();
    // The case: a counter of the payment alone keeps the route and the time.
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    assert_eq!(
        c.terms.as_ref(),
        Some(&pay("SGD 12")),
        "no nulls, nothing else"
    );
    assert_eq!(
        build_envelope(&c).unwrap().matches("null").count(),
        0,
        "the wire form erases nothing"
    );
    let full = w.intent.terms.clone().with("payment", json!("SGD 12"));
    assert_eq!(r.terms(), &full);
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    assert_eq!(o.terms(), &full);
    // Owner counters a note; the responder (reference-style) answers with a partial counter.
    let oc = one_sent(
        &o.counter(Terms::new().with("note", json!("2 bags")), T0 + 1)
            .unwrap(),
    );
    assert_eq!(
        oc.terms.as_ref(),
        Some(&Terms::new().with("note", json!("2 bags")))
    );
    r.apply_incoming(w.owner, &oc, w.eid(), T0 + 1).unwrap();
    let mut partial = Envelope::new(
        EnvelopeType::Counter,
        o.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 5,
    );
    partial.terms = Some(pay("SGD 13"));
    o.apply_incoming(w.resp, &partial, w.eid(), T0 + 5).unwrap();
    assert_eq!(
        o.terms(),
        &w.intent
            .terms
            .clone()
            .with("payment", json!("SGD 13"))
            .with("note", json!("2 bags"))
    );
    // Dropping a key takes an explicit null, which is sent so a merging peer drops it too.
    let c2 = one_sent(
        &o.counter(Terms::new().with("note", Value::Null), T0 + 6)
            .unwrap(),
    );
    assert_eq!(
        c2.terms.as_ref(),
        Some(&Terms::new().with("note", Value::Null))
    );
    assert_eq!(o.terms().get("note"), None);
    assert_eq!(o.terms().get("from"), w.intent.terms.get("from"));
    // A counter that changes nothing is refused.
    assert_eq!(
        r.counter(pay("SGD 12"), T0 + 7),
        Err(NegotiationError::NoChange)
    );
}

#[test]
fn places_go_on_the_wire_as_names() {
    let mut w = World::new();
    w.intent.terms = pay("SGD 15")
        .with(
            "from",
            json!({"name": "Tanjong Pagar", "geohash": "w21z74"}),
        )
        .with("to", json!({"name": "Changi T3", "geohash": "w23b1c"}));
    let (mut o, mut r) = w.pair();
    let c = one_sent(
        &r.counter(
            Terms::new().with("to", json!({"name": "Bugis", "geohash": "w21z8k"})),
            T0,
        )
        .unwrap(),
    );
    assert_eq!(c.terms.as_ref().unwrap().get("to"), Some(&json!("Bugis")));
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let a = one_sent(&o.accept("O", None, T0 + 1).unwrap());
    let t = a.terms.as_ref().unwrap();
    assert_eq!(t.get("from"), Some(&json!("Tanjong Pagar")));
    assert_eq!(t.get("to"), Some(&json!("Bugis")));
    // Our own peer reads the names back as the places on its table and confirms.
    r.apply_incoming(w.owner, &a, w.eid(), T0 + 1).unwrap();
    let ra = one_sent(&r.accept("R", None, T0 + 2).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0 + 2).unwrap();
    assert_eq!(o.state(), State::Confirmed);
    assert_eq!(r.state(), State::Confirmed);
    // Each side confirms its own table: the place we proposed as an object reads as its name
    // on the other side; both name the same deal.
    assert!(crate::protocol::tolerant::accepts_table(
        o.confirmed_terms().unwrap(),
        &crate::protocol::tolerant::wire_terms(r.confirmed_terms().unwrap())
    ));
}

use serde_json::Value;

#[test]
fn round_cap_is_eight_counters_in_total() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    for i in 0..8u64 {
        let (from, to, sender) = if i % 2 == 0 {
            (&mut r, &mut o, w.resp)
        } else {
            (&mut o, &mut r, w.owner)
        };
        let c = one_sent(&from.counter(pay(&format!("SGD {i}")), T0 + i).unwrap());
        let id = w.eid();
        to.apply_incoming(sender, &c, id, T0 + i).unwrap();
    }
    assert_eq!(o.rounds_left(), 0);
    assert_eq!(r.rounds_left(), 0);
    assert_eq!(
        r.counter(pay("SGD 99"), T0 + 20),
        Err(NegotiationError::RoundCapReached { cap: 8 })
    );
    // A ninth counter from the peer is refused and changes nothing.
    let mut ninth = Envelope::new(
        EnvelopeType::Counter,
        r.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 30,
    );
    ninth.terms = Some(pay("SGD 1"));
    let (terms, state) = (o.terms().clone(), o.state());
    let id = w.eid();
    assert_eq!(
        o.apply_incoming(w.resp, &ninth, id, T0 + 30),
        Err(NegotiationError::RoundCapReached { cap: 8 })
    );
    assert_eq!(
        (o.terms(), o.state(), o.counters_used()),
        (&terms, state, 8)
    );
    // Its replay is now a recorded no-op.
    assert_eq!(o.apply_incoming(w.resp, &ninth, id, T0 + 31), Ok(vec![]));
    // Accepting is still possible after the cap.
    let a = one_sent(&r.accept("R", None, T0 + 40).unwrap());
    o.apply_incoming(w.resp, &a, w.eid(), T0 + 40).unwrap();
    assert_eq!(o.state(), State::AcceptedByThem);
}

#[test]
fn turns_alternate_and_own_proposal_cannot_be_accepted() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    // Owner cannot counter or accept its own standing proposal.
    assert_eq!(
        o.counter(pay("SGD 1"), T0),
        Err(NegotiationError::NotYourTurn)
    );
    assert_eq!(o.accept("O", None, T0), Err(NegotiationError::NotYourTurn));
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    assert_eq!(
        r.counter(pay("SGD 11"), T0),
        Err(NegotiationError::NotYourTurn)
    );
    assert_eq!(r.accept("R", None, T0), Err(NegotiationError::NotYourTurn));
    assert_eq!(
        r.counter(pay("SGD 12"), T0),
        Err(NegotiationError::NotYourTurn)
    );
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    assert_eq!(
        o.counter(pay("SGD 12"), T0),
        Err(NegotiationError::NoChange)
    );
}

#[test]
fn stale_accept_crossing_a_counter_does_not_confirm() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let oc = one_sent(&o.counter(pay("SGD 13"), T0 + 1).unwrap());
    r.apply_incoming(w.owner, &oc, w.eid(), T0 + 1).unwrap();
    // The responder accepts 13 while a reference owner (no turn rule) sends a counter of 14:
    // the two cross on the wire.
    let ra = one_sent(&r.accept("R", None, T0 + 2).unwrap());
    let mut oc14 = Envelope::new(
        EnvelopeType::Counter,
        r.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 2,
    );
    oc14.terms = Some(pay("SGD 14"));
    // The responder's accept is void: the counter reopens the table.
    r.apply_incoming(w.owner, &oc14, w.eid(), T0 + 3).unwrap();
    assert_eq!(r.state(), State::Open);
    assert_eq!(r.terms(), &pay("SGD 14"));
    // The owner side, whose table says 14, receives the accept of 13: stale, nothing changes.
    let mut o14 = o.clone();
    o14.table = pay("SGD 14");
    o14.proposed_by = Side::Us;
    let before = o14.state();
    let fx = o14.apply_incoming(w.resp, &ra, w.eid(), T0 + 4).unwrap();
    assert_eq!(
        fx,
        vec![Effect::StaleAccept {
            their_terms: Some(pay("SGD 13"))
        }]
    );
    assert_eq!(o14.state(), before);
    assert_eq!(o14.confirmed_terms(), None);
}

#[test]
fn accept_without_terms_never_confirms() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let mut a = one_sent(&r.accept("R", None, T0).unwrap());
    a.terms = None;
    let fx = o.apply_incoming(w.resp, &a, w.eid(), T0).unwrap();
    assert_eq!(fx, vec![Effect::StaleAccept { their_terms: None }]);
    assert_eq!(o.state(), State::Open);
}

#[test]
fn single_accept_on_our_proposal_auto_confirms_like_the_reference() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    r.set_auto_accept(Some(ContactCard {
        contact: "R · +6591234567".into(),
        salt: None,
    }))
    .unwrap();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let oa = one_sent(&o.accept("O", None, T0 + 1).unwrap());
    let fx = r.apply_incoming(w.owner, &oa, w.eid(), T0 + 1).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    assert!(fx.contains(&Effect::PublishReceipt));
    let ra = one_sent(&fx);
    assert_eq!(ra.contact.as_deref(), Some("R · +6591234567"));
    o.apply_incoming(w.resp, &ra, w.eid(), T0 + 2).unwrap();
    assert_eq!(o.state(), State::Confirmed);
    assert_eq!(o.confirmed_terms(), Some(&pay("SGD 12")));
}

#[test]
fn duplicate_accept_on_confirmed_deal_resends_ours() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let ra = one_sent(&r.accept("R", None, T0).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
    let oa = one_sent(&o.accept("O", None, T0 + 1).unwrap());
    r.apply_incoming(w.owner, &oa, w.eid(), T0 + 1).unwrap();
    // The responder lost the owner's contact and asks again: a fresh accept (new ts, new id).
    let mut again = ra.clone();
    again.ts = T0 + 10;
    let fx = o.apply_incoming(w.resp, &again, w.eid(), T0 + 10).unwrap();
    let resent = one_sent(&fx);
    assert_eq!(resent.kind, EnvelopeType::Accept);
    assert_eq!(resent.contact.as_deref(), Some("O"));
    assert!(resent.ts > oa.ts);
    assert_eq!(o.state(), State::Confirmed);
}

#[test]
fn injection_from_a_third_key_and_wrong_ids_are_refused() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let a = one_sent(&r.accept("R", None, T0).unwrap());
    let mallory = Keys::generate().public_key();
    let before = o.clone();
    assert!(matches!(
        o.apply_incoming(mallory, &a, w.eid(), T0),
        Err(NegotiationError::NotAParty { .. })
    ));
    assert_eq!(
        o.apply_incoming(w.owner, &a, w.eid(), T0),
        Err(NegotiationError::FromSelf)
    );
    // Mallory's own nego id on our intent is a different thread.
    let mut forged = a.clone();
    forged.nego = NegoId::new(&w.intent.d, w.owner, mallory).unwrap();
    assert!(matches!(
        o.apply_incoming(mallory, &forged, w.eid(), T0),
        Err(NegotiationError::NegoMismatch { .. })
    ));
    let mut other_intent = a.clone();
    other_intent.intent_id = EventId::from_hex(&"22".repeat(32)).unwrap();
    assert!(matches!(
        o.apply_incoming(w.resp, &other_intent, w.eid(), T0),
        Err(NegotiationError::IntentMismatch {
            field: "intent_id",
            ..
        })
    ));
    let mut other_market = a.clone();
    other_market.market = "sg-service".into();
    assert!(matches!(
        o.apply_incoming(w.resp, &other_market, w.eid(), T0),
        Err(NegotiationError::IntentMismatch {
            field: "market",
            ..
        })
    ));
    assert_eq!(o, before);
}

#[test]
fn replays_by_event_id_or_type_ts_change_nothing() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    let id = w.eid();
    assert!(!o.apply_incoming(w.resp, &c, id, T0).unwrap().is_empty());
    let after = o.clone();
    assert_eq!(o.apply_incoming(w.resp, &c, id, T0 + 1).unwrap(), vec![]);
    // Same (type, ts) re-wrapped in a new event.
    assert_eq!(
        o.apply_incoming(w.resp, &c, w.eid(), T0 + 1).unwrap(),
        vec![]
    );
    assert_eq!(o, after);
    assert_eq!(o.counters_used(), 1);
    // The ledger survives a serde round trip (the store persists it).
    let json = serde_json::to_string(&o).unwrap();
    let mut back: Negotiation = serde_json::from_str(&json).unwrap();
    assert_eq!(back, o);
    assert_eq!(back.apply_incoming(w.resp, &c, id, T0 + 2).unwrap(), vec![]);
}

#[test]
fn our_sends_of_one_type_never_share_a_ts() {
    let w = World::new();
    let (mut o, _) = w.pair();
    let a = one_sent(&o.chat("a", T0).unwrap());
    let b = one_sent(&o.chat("b", T0).unwrap());
    assert!(b.ts > a.ts);
}

#[test]
fn cancel_works_before_met_and_never_after() {
    let mut w = World::new();
    // From open.
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.cancel(Some("changed my mind".into()), T0).unwrap());
    assert_eq!(r.state(), State::Cancelled);
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    assert_eq!(o.state(), State::Cancelled);
    assert_eq!(
        o.cancellation(),
        Some((Side::Them, Some("changed my mind")))
    );
    // From confirmed.
    let (mut o, mut r) = w.pair();
    let ra = one_sent(&r.accept("R", None, T0).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
    let oa = one_sent(&o.accept("O", None, T0).unwrap());
    r.apply_incoming(w.owner, &oa, w.eid(), T0).unwrap();
    let cx = one_sent(&o.cancel(None, T0 + 1).unwrap());
    let fx = r.apply_incoming(w.owner, &cx, w.eid(), T0 + 1).unwrap();
    assert_eq!(r.state(), State::Cancelled);
    assert!(fx.contains(&Effect::Cancelled {
        by: Side::Them,
        reason: None,
        filled: false
    }));
    // Terminal: nothing changes it.
    assert_eq!(
        r.accept("R", None, T0 + 2),
        Err(NegotiationError::Terminal {
            state: State::Cancelled
        })
    );
    assert!(r.tick(EXP + 1).is_empty());
    // After met: cancel is refused both ways.
    let (mut o, mut r) = w.pair();
    let ra = one_sent(&r.accept("R", None, T0).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
    let oa = one_sent(&o.accept("O", None, T0).unwrap());
    r.apply_incoming(w.owner, &oa, w.eid(), T0).unwrap();
    let st = one_sent(&r.mark_met(T0 + 5).unwrap());
    assert_eq!(st.stage, Some(Stage::PickedUp));
    assert!(matches!(
        r.cancel(None, T0 + 6),
        Err(NegotiationError::Irreversible { .. })
    ));
    let cx = one_sent(&o.cancel(Some(FILLED_REASON.into()), T0 + 6).unwrap());
    assert!(matches!(
        r.apply_incoming(w.owner, &cx, w.eid(), T0 + 6),
        Err(NegotiationError::Irreversible { .. })
    ));
    assert_eq!(r.state(), State::Met);
    let fx = o.apply_incoming(w.resp, &st, w.eid(), T0 + 7);
    assert!(matches!(fx, Err(NegotiationError::Terminal { .. })));
    one_sent(&r.mark_completed(T0 + 8).unwrap());
    assert_eq!(r.state(), State::Completed);
    assert!(matches!(
        r.mark_met(T0 + 9),
        Err(NegotiationError::Terminal { .. })
    ));
}

#[test]
fn cancel_request_agree_decline_and_mutual() {
    let mut w = World::new();
    let confirmed = |w: &mut World| {
        let (mut o, mut r) = w.pair();
        let ra = one_sent(&r.accept("R", None, T0).unwrap());
        o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
        let oa = one_sent(&o.accept("O", None, T0).unwrap());
        r.apply_incoming(w.owner, &oa, w.eid(), T0).unwrap();
        (o, r)
    };
    // Decline keeps the deal.
    let (mut o, mut r) = confirmed(&mut w);
    let rq = one_sent(&r.request_cancel(Some("sick".into()), T0 + 1).unwrap());
    assert_eq!(r.state(), State::CancelRequested { by: Side::Us });
    o.apply_incoming(w.resp, &rq, w.eid(), T0 + 1).unwrap();
    assert_eq!(o.state(), State::CancelRequested { by: Side::Them });
    let (mut o, mut r) = confirmed(&mut w);
    let rq = one_sent(&r.request_cancel(None, T0 + 1).unwrap());
    o.apply_incoming(w.resp, &rq, w.eid(), T0 + 1).unwrap();
    let dec = one_sent(&o.decline_cancel(T0 + 2).unwrap());
    assert_eq!(o.state(), State::Confirmed);
    r.apply_incoming(w.owner, &dec, w.eid(), T0 + 2).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    // Agree cancels on both sides.
    let rq = one_sent(&r.request_cancel(None, T0 + 3).unwrap());
    o.apply_incoming(w.resp, &rq, w.eid(), T0 + 3).unwrap();
    assert!(matches!(
        r.agree_cancel(T0 + 4),
        Err(NegotiationError::NotAllowed { .. })
    ));
    let ag = one_sent(&o.agree_cancel(T0 + 4).unwrap());
    assert_eq!(o.state(), State::Cancelled);
    r.apply_incoming(w.owner, &ag, w.eid(), T0 + 4).unwrap();
    assert_eq!(r.state(), State::Cancelled);
    // Both ask at once: cancelled.
    let (mut o, mut r) = confirmed(&mut w);
    let rq1 = one_sent(&r.request_cancel(None, T0 + 1).unwrap());
    let rq2 = one_sent(&o.request_cancel(None, T0 + 1).unwrap());
    o.apply_incoming(w.resp, &rq1, w.eid(), T0 + 2).unwrap();
    r.apply_incoming(w.owner, &rq2, w.eid(), T0 + 2).unwrap();
    assert_eq!((o.state(), r.state()), (State::Cancelled, State::Cancelled));
    // A cancel request before confirmation is agreed automatically.
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 9"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let mut rq = Envelope::new(
        EnvelopeType::CancelRequest,
        r.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 1,
    );
    rq.reason = Some("nah".into());
    let fx = o.apply_incoming(w.resp, &rq, w.eid(), T0 + 1).unwrap();
    assert_eq!(one_sent(&fx).kind, EnvelopeType::CancelAgree);
    assert_eq!(o.state(), State::Cancelled);
}

#[test]
fn expiry_is_enforced_for_unconfirmed_only() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 9"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    assert!(o.tick(EXP - 1).is_empty());
    assert_eq!(
        o.tick(EXP),
        vec![Effect::StateChanged {
            from: State::Open,
            to: State::Expired
        }]
    );
    assert_eq!(
        r.accept("R", None, EXP),
        Err(NegotiationError::Expired {
            expires_at: EXP,
            now: EXP
        })
    );
    assert_eq!(r.state(), State::Expired);
    // A late message to an unexpired-but-due thread expires it and is ignored.
    let (mut o, mut r) = w.pair();
    let a = one_sent(&r.accept("R", None, EXP - 10).unwrap());
    let fx = o.apply_incoming(w.resp, &a, w.eid(), EXP + 5).unwrap();
    assert_eq!(o.state(), State::Expired);
    assert_eq!(fx.len(), 1);
    // Confirmed deals outlive the intent.
    let (mut o, mut r) = w.pair();
    let ra = one_sent(&r.accept("R", None, T0).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
    o.accept("O", None, T0).unwrap();
    assert!(o.tick(EXP + 100).is_empty());
    assert_eq!(o.state(), State::Confirmed);
}

#[test]
fn counter_after_confirm_is_refused() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let ra = one_sent(&r.accept("R", None, T0).unwrap());
    o.apply_incoming(w.resp, &ra, w.eid(), T0).unwrap();
    o.accept("O", None, T0).unwrap();
    let mut c = Envelope::new(
        EnvelopeType::Counter,
        o.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 1,
    );
    c.terms = Some(pay("SGD 1"));
    assert!(matches!(
        o.apply_incoming(w.resp, &c, w.eid(), T0 + 1),
        Err(NegotiationError::NotAllowed { .. })
    ));
    assert_eq!(o.confirmed_terms(), Some(&pay("SGD 15")));
    // And we cannot counter once we accepted.
    let (_, mut r) = w.pair();
    r.accept("R", None, T0).unwrap();
    assert!(matches!(
        r.counter(pay("SGD 3"), T0),
        Err(NegotiationError::NotAllowed { .. })
    ));
}

#[test]
fn status_and_chat_reach_the_ui() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.chat("is 5pm ok?", T0).unwrap());
    // The owner has the thread (e.g. created via the book); chat is delivered.
    assert_eq!(
        o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap(),
        vec![Effect::Chat {
            text: "is 5pm ok?".into()
        }]
    );
    let mut st = Envelope::new(
        EnvelopeType::Status,
        o.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0,
    );
    st.stage = Some(Stage::Completed);
    o.apply_incoming(w.resp, &st, w.eid(), T0).unwrap();
    assert_eq!(o.peer_stage(), Some(Stage::Completed));
    assert_eq!(o.state(), State::Open);
}

// ---------------------------------------------------------------------------------------------
// IntentBook: private quotes, pick, Filled.
// ---------------------------------------------------------------------------------------------

#[test]
fn one_owner_three_responders_pick_one_others_get_filled() {
    let w = World::new();
    let mut book = IntentBook::new(w.intent.clone());
    let mut ids = 100u8;
    let mut eid = || {
        ids += 1;
        EventId::from_byte_array([ids; 32])
    };
    let rs: Vec<PublicKey> = (0..3).map(|_| Keys::generate().public_key()).collect();
    let mut resp: Vec<Negotiation> = rs
        .iter()
        .map(|pk| Negotiation::new_responder(&w.intent, *pk).unwrap())
        .collect();
    // R0 counters 12, R1 counters 13, R2 accepts the intent as posted (15).
    let c0 = one_sent(&resp[0].counter(pay("SGD 12"), T0).unwrap());
    let c1 = one_sent(&resp[1].counter(pay("SGD 13"), T0).unwrap());
    let a2 = one_sent(&resp[2].accept("R2", None, T0).unwrap());
    for (pk, env) in [(rs[0], &c0), (rs[1], &c1), (rs[2], &a2)] {
        let fx = book.apply_incoming(pk, env, eid(), T0).unwrap();
        // Nothing is ever sent to anyone on receipt of a quote.
        assert!(fx.iter().all(|(_, e)| !matches!(e, Effect::Send(_))));
    }
    let quotes = book.quotes();
    assert_eq!(quotes.len(), 3);
    // What changed is what must be persisted: the three new threads.
    assert_eq!(book.touched().count(), 3);
    book.clear_touched();
    let q = |pk: PublicKey| quotes.iter().find(|q| q.responder == pk).unwrap().clone();
    assert_eq!(q(rs[0]).terms, pay("SGD 12"));
    assert_eq!(q(rs[1]).terms, pay("SGD 13"));
    assert_eq!(q(rs[2]).state, State::AcceptedByThem);
    // Owner picks R1 (their counter at 13): we accept; R1 is not confirmed yet, nobody is filled.
    let n1 = q(rs[1]).nego;
    let fx = book.pick(&n1, "Owner · +6590000000", None, T0 + 1).unwrap();
    let sends: Vec<_> = fx
        .iter()
        .filter_map(|(n, e)| matches!(e, Effect::Send(_)).then_some(n.clone()))
        .collect();
    assert_eq!(sends, vec![n1.clone()]);
    let touched: Vec<NegoId> = book.touched().map(|t| t.nego().clone()).collect();
    assert_eq!(
        touched,
        vec![n1.clone()],
        "a pick changes the picked thread only"
    );
    book.clear_touched();
    assert!(matches!(
        book.pick(&q(rs[2]).nego, "O", None, T0 + 1),
        Err(NegotiationError::AlreadyPicked { .. })
    ));
    // R1 accepts back; the book confirms and fills the others with the exact reason.
    let oa = fx
        .iter()
        .find_map(|(_, e)| match e {
            Effect::Send(env) => Some((**env).clone()),
            _ => None,
        })
        .unwrap();
    resp[1].apply_incoming(w.owner, &oa, eid(), T0 + 1).unwrap();
    assert_eq!(resp[1].state(), State::AcceptedByThem);
    let ra = one_sent(&resp[1].accept("R1", None, T0 + 2).unwrap());
    assert_eq!(resp[1].state(), State::Confirmed);
    book.clear_touched();
    let fx = book.apply_incoming(rs[1], &ra, eid(), T0 + 2).unwrap();
    assert_eq!(book.filled_by(), Some(&n1));
    // The confirmation changed the winner and filled the two others: all three to persist.
    assert_eq!(book.touched().count(), 3);
    let filled: Vec<(NegoId, Envelope)> = fx
        .iter()
        .filter_map(|(n, e)| match e {
            Effect::Send(env) => Some((n.clone(), (**env).clone())),
            _ => None,
        })
        .collect();
    assert_eq!(filled.len(), 2);
    for (n, env) in &filled {
        assert_ne!(n, &n1);
        assert_eq!(
            env.reason.as_deref(),
            Some("Filled — taken by another offer")
        );
        assert!(env.is_filled());
        // Each cancel goes to its own responder's thread only (privacy).
        assert_eq!(&env.nego, n);
        assert!(env.contact.is_none() && env.terms.is_none());
    }
    // Deliver: R0 (open) and R2 (accepted_by_us, would have been confirmed by the reference).
    for (n, env) in &filled {
        let i = rs.iter().position(|pk| *pk == n.responder()).unwrap();
        let fx = resp[i].apply_incoming(w.owner, env, eid(), T0 + 3).unwrap();
        assert!(fx.contains(&Effect::Cancelled {
            by: Side::Them,
            reason: Some(FILLED_REASON.into()),
            filled: true
        }));
        assert_eq!(resp[i].state(), State::Cancelled);
    }
    assert_eq!(book.thread(&n1).unwrap().state(), State::Confirmed);
    // A latecomer gets Filled right away.
    let late = Keys::generate().public_key();
    let mut rl = Negotiation::new_responder(&w.intent, late).unwrap();
    let cl = one_sent(&rl.counter(pay("SGD 20"), T0 + 4).unwrap());
    let fx = book.apply_incoming(late, &cl, eid(), T0 + 4).unwrap();
    assert!(
        fx.iter()
            .any(|(_, e)| matches!(e, Effect::Send(env) if env.is_filled()))
    );
}

#[test]
fn filled_cancels_a_locally_confirmed_thread_but_not_a_met_one() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    r.set_auto_accept(Some(ContactCard {
        contact: "R".into(),
        salt: None,
    }))
    .unwrap();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    let oa = one_sent(&o.accept("O", None, T0).unwrap());
    r.apply_incoming(w.owner, &oa, w.eid(), T0).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    let mut filled = Envelope::new(
        EnvelopeType::Cancel,
        r.nego().clone(),
        w.intent.intent_id,
        "sg-rideshare",
        T0 + 1,
    );
    filled.reason = Some(FILLED_REASON.into());
    let mut met = r.clone();
    r.apply_incoming(w.owner, &filled, w.eid(), T0 + 1).unwrap();
    assert_eq!(r.state(), State::Cancelled);
    met.mark_met(T0).unwrap();
    assert!(
        met.apply_incoming(w.owner, &filled, w.eid(), T0 + 1)
            .is_err()
    );
    assert_eq!(met.state(), State::Met);
}

#[test]
fn book_refuses_injection_and_bad_openings() {
    let w = World::new();
    let mut book = IntentBook::new(w.intent.clone());
    let mut r = Negotiation::new_responder(&w.intent, w.resp).unwrap();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    let mallory = Keys::generate().public_key();
    // Mallory relays R's envelope as her own.
    assert!(matches!(
        book.apply_incoming(mallory, &c, EventId::from_byte_array([1; 32]), T0),
        Err(NegotiationError::NotAParty { .. })
    ));
    assert!(book.quotes().is_empty());
    // A chat cannot open a thread.
    let ch = one_sent(&r.chat("hi", T0).unwrap());
    assert_eq!(
        book.apply_incoming(w.resp, &ch, EventId::from_byte_array([2; 32]), T0),
        Err(NegotiationError::BadOpening {
            kind: EnvelopeType::Chat
        })
    );
    assert!(book.quotes().is_empty());
    book.apply_incoming(w.resp, &c, EventId::from_byte_array([3; 32]), T0)
        .unwrap();
    assert_eq!(book.quotes().len(), 1);
    // Serialisable for the store.
    let json = serde_json::to_string(&book).unwrap();
    let back: IntentBook = serde_json::from_str(&json).unwrap();
    assert_eq!(back, book);
}

#[test]
fn book_tick_expires_unconfirmed_threads_only() {
    let w = World::new();
    let mut book = IntentBook::new(w.intent.clone());
    let (a, b) = (Keys::generate().public_key(), Keys::generate().public_key());
    let mut ra = Negotiation::new_responder(&w.intent, a).unwrap();
    let mut rb = Negotiation::new_responder(&w.intent, b).unwrap();
    let ca = one_sent(&ra.counter(pay("SGD 12"), T0).unwrap());
    let ab = one_sent(&rb.accept("B", None, T0).unwrap());
    book.apply_incoming(a, &ca, EventId::from_byte_array([1; 32]), T0)
        .unwrap();
    book.apply_incoming(b, &ab, EventId::from_byte_array([2; 32]), T0)
        .unwrap();
    let nb = NegoId::new(&w.intent.d, w.owner, b).unwrap();
    let na = NegoId::new(&w.intent.d, w.owner, a).unwrap();
    book.pick(&nb, "O", None, T0 + 1).unwrap();
    // Picking B confirmed it at once (B had accepted): A was filled, not left to expire.
    assert_eq!(book.thread(&na).unwrap().state(), State::Cancelled);
    assert!(book.tick(EXP + 1).is_empty());
    assert_eq!(book.thread(&nb).unwrap().state(), State::Confirmed);
    // A fresh book with only open threads expires them all.
    let mut book = IntentBook::new(w.intent.clone());
    book.apply_incoming(a, &ca, EventId::from_byte_array([1; 32]), T0)
        .unwrap();
    let fx = book.tick(EXP);
    assert_eq!(
        fx,
        vec![(
            na.clone(),
            Effect::StateChanged {
                from: State::Open,
                to: State::Expired
            }
        )]
    );
}

#[test]
fn book_caps_threads_per_intent() {
    let w = World::new();
    let mut book = IntentBook::new(w.intent.clone());
    for i in 0..=MAX_THREADS {
        let pk = Keys::generate().public_key();
        let mut r = Negotiation::new_responder(&w.intent, pk).unwrap();
        let c = one_sent(&r.counter(pay("SGD 1"), T0).unwrap());
        let mut id = [0u8; 32];
        id[..8].copy_from_slice(&(i as u64).to_be_bytes());
        let res = book.apply_incoming(pk, &c, EventId::from_byte_array(id), T0);
        if i < MAX_THREADS {
            assert!(res.is_ok());
        } else {
            assert_eq!(
                res,
                Err(NegotiationError::ThreadLimit { limit: MAX_THREADS })
            );
        }
    }
    assert_eq!(book.quotes().len(), MAX_THREADS);
}

// ---------------------------------------------------------------------------------------------
// The deployed reference, from the exact JSON it sends (FREEPORT-V1.md, "What the deployed
// reference actually sends in negotiation").
// ---------------------------------------------------------------------------------------------

/// A rideshare intent as the reference posts it (no `caps` tag: its client confirms on a single
/// accept).
fn reference_ride(w: &mut World) {
    w.intent.market = "sg-rideshare".into();
    w.intent.double_accept = false;
    w.intent.terms = Terms::from_map(
        json!({
            "from": {"name": "Tanjong Pagar MRT", "geohash": "w21z74"},
            "to": {"name": "Changi Airport T3", "geohash": "w23b1c"},
            "payment": "SGD 15",
            "category": "car",
            "window": {"start": T0 + 3_000, "end": T0 + 4_800}
        })
        .as_object()
        .unwrap(),
    )
    .unwrap();
}

/// The reference's JSON for `nego`, parsed by our strict-but-tolerant parser.
fn reference_json(w: &World, nego: &NegoId, body: serde_json::Value) -> Envelope {
    let mut m = json!({
        "v": 1,
        "nego": nego.to_string(),
        "intent_id": w.intent.intent_id.to_hex(),
        "intent_d": w.intent.d,
        "market": w.intent.market,
    });
    for (k, v) in body.as_object().unwrap() {
        m[k] = v.clone();
    }
    parse_envelope(&m.to_string()).expect("the reference's JSON parses")
}

#[test]
fn reference_app_counter_with_contact_and_string_places_is_a_quote_whose_contact_waits() {
    let mut w = World::new();
    w.intent.double_accept = true; // our intent
    w.intent.terms = Terms::from_map(
        json!({"from": {"name": "Tanjong Pagar MRT", "geohash": "w21z74"},
               "to": {"name": "Changi Airport T3", "geohash": "w23b1c"}, "payment": "SGD 15"})
        .as_object()
        .unwrap(),
    )
    .unwrap();
    let mut book = IntentBook::new(w.intent.clone());
    let nego = NegoId::new(&w.intent.d, w.owner, w.resp).unwrap();
    let counter = reference_json(
        &w,
        &nego,
        json!({"type": "negotiate.counter",
               "terms": {"window": {"start": T0 + 3_000, "end": T0 + 3_900}, "payment": "S$12",
                         "from": "Tanjong Pagar MRT", "to": "Changi Airport T3"},
               "contact": "Linh · +84912345678", "ts": T0}),
    );
    let fx = book
        .apply_incoming(w.resp, &counter, w.eid(), T0)
        .expect("a counter with contact is read");
    assert!(
        fx.iter()
            .any(|(_, e)| matches!(e, Effect::TermsChanged { .. }))
    );
    let t = book.thread(&nego).unwrap();
    assert_eq!(t.state(), State::Open);
    assert_eq!(t.terms().get("payment"), Some(&json!("S$12")));
    assert_eq!(t.terms().get("from"), Some(&json!("Tanjong Pagar MRT")));
    assert!(
        t.single_accept_peer(),
        "a counter with contact comes from the reference"
    );
    // Picking it confirms at once: the reference confirms on our accept and never answers it.
    let fx = book.pick(&nego, "Me · +6591234567", None, T0 + 1).unwrap();
    let t = book.thread(&nego).unwrap();
    assert_eq!(t.state(), State::Confirmed);
    assert_eq!(t.their_contact().unwrap().contact, "Linh · +84912345678");
    assert!(fx.iter().any(|(_, e)| matches!(e, Effect::PublishReceipt)));
    assert!(fx.iter().any(|(_, e)| matches!(
        e,
        Effect::Confirmed { their_contact, .. } if their_contact == "Linh · +84912345678"
    )));
}

#[test]
fn reference_agent_as_posted_accept_then_our_pick_confirms_without_a_second_accept() {
    let mut w = World::new();
    w.intent.double_accept = true;
    w.intent.terms = w
        .intent
        .terms
        .clone()
        .with("window", json!({"start": T0 + 3_000, "end": T0 + 4_800}));
    let mut book = IntentBook::new(w.intent.clone());
    let nego = NegoId::new(&w.intent.d, w.owner, w.resp).unwrap();
    let acc = reference_json(
        &w,
        &nego,
        json!({"type": "negotiate.accept",
               "terms": {"window": {"start": T0 + 3_000, "end": T0 + 4_800}, "note": "as posted"},
               "contact": "agent · +6590000000", "ts": T0}),
    );
    book.apply_incoming(w.resp, &acc, w.eid(), T0).unwrap();
    assert_eq!(book.thread(&nego).unwrap().state(), State::AcceptedByThem);
    book.pick(&nego, "Me", None, T0 + 1)
        .expect("the owner may pick it");
    let t = book.thread(&nego).unwrap();
    assert_eq!(t.state(), State::Confirmed);
    assert_eq!(t.confirmed_terms(), Some(&w.intent.terms.normalized()));
    // "As posted" after a counter no longer means the table.
    let mut w2 = World::new();
    w2.intent.double_accept = true;
    let (mut o, mut r) = w2.pair();
    let c = one_sent(&r.counter(pay("SGD 9"), T0).unwrap());
    o.apply_incoming(w2.resp, &c, w2.eid(), T0).unwrap();
    let oc = one_sent(&o.counter(pay("SGD 10"), T0 + 1).unwrap());
    r.apply_incoming(w2.owner, &oc, w2.eid(), T0 + 1).unwrap();
    let late = reference_json(
        &w2,
        o.nego(),
        json!({"type": "negotiate.accept", "terms": {"note": "as posted"},
               "contact": "agent", "ts": T0 + 2}),
    );
    let fx = o.apply_incoming(w2.resp, &late, w2.eid(), T0 + 2).unwrap();
    assert!(matches!(fx.as_slice(), [Effect::StaleAccept { .. }]));
    assert_eq!(o.state(), State::Open);
}

#[test]
fn reference_app_one_tap_accept_of_the_fields_it_showed_names_the_table() {
    let mut w = World::new();
    reference_ride(&mut w);
    w.intent.double_accept = true; // we own it
    let mut book = IntentBook::new(w.intent.clone());
    let nego = NegoId::new(&w.intent.d, w.owner, w.resp).unwrap();
    let acc = reference_json(
        &w,
        &nego,
        json!({"type": "negotiate.accept",
               "terms": {"window": {"start": T0 + 3_000, "end": T0 + 3_900}, "payment": "S$15",
                         "from": "Tanjong Pagar MRT", "to": "Changi Airport T3"},
               "contact": "Linh · +84912345678", "payAddress": "linh@wallet.example", "ts": T0}),
    );
    book.apply_incoming(w.resp, &acc, w.eid(), T0).unwrap();
    assert_eq!(book.thread(&nego).unwrap().state(), State::AcceptedByThem);
    book.pick(&nego, "Me", None, T0 + 1).unwrap();
    assert_eq!(book.thread(&nego).unwrap().state(), State::Confirmed);
    // The confirmed terms are ours (the table), not the reference's rewording.
    assert_eq!(
        book.thread(&nego).unwrap().confirmed_terms(),
        Some(&w.intent.terms.normalized())
    );
}

#[test]
fn our_accept_of_a_reference_intent_confirms_and_its_contact_backflow_is_recorded_once() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    assert!(r.single_accept_peer());
    let fx = r.accept("Me · +6591234567", None, T0).unwrap();
    let acc = one_sent(&fx);
    assert_eq!(r.state(), State::Confirmed, "no second accept will come");
    assert!(fx.contains(&Effect::PublishReceipt));
    assert_eq!(r.their_contact(), None);
    // What we sent reads as the reference expects: places as names.
    let t = acc.terms.as_ref().unwrap();
    assert_eq!(t.get("from"), Some(&json!("Tanjong Pagar MRT")));
    // The app's automatic second accept carries its contact: recorded, nothing sent back.
    let back = reference_json(
        &w,
        r.nego(),
        json!({"type": "negotiate.accept", "terms": t.to_value(),
               "contact": "Owner · +6598765432", "ts": T0 + 1}),
    );
    let fx = r.apply_incoming(w.owner, &back, w.eid(), T0 + 1).unwrap();
    assert_eq!(
        fx,
        vec![Effect::ContactReceived {
            contact: "Owner · +6598765432".into(),
            salt: None
        }]
    );
    assert_eq!(r.their_contact().unwrap().contact, "Owner · +6598765432");
    // Its "send yours again" pokes are answered a bounded number of times.
    let mut answered = 0;
    for i in 0..10u64 {
        let mut poke = back.clone();
        poke.ts = T0 + 10 + i;
        answered += sent(
            &r.apply_incoming(w.owner, &poke, w.eid(), T0 + 10 + i)
                .unwrap(),
        )
        .len();
    }
    assert_eq!(answered, usize::from(MAX_ACCEPT_RESENDS));
}

#[test]
fn reference_agent_accepts_our_partial_counter_by_echoing_it() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    r.set_auto_accept(Some(ContactCard {
        contact: "Me".into(),
        salt: None,
    }))
    .unwrap();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    // The agent's accept carries `mergeTerms(undefined, our counter)`: our partial terms.
    let acc = reference_json(
        &w,
        r.nego(),
        json!({"type": "negotiate.accept", "terms": c.terms.as_ref().unwrap().to_value(),
               "contact": "agent · +6590000000", "ts": T0 + 1}),
    );
    let fx = r.apply_incoming(w.owner, &acc, w.eid(), T0 + 1).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    assert_eq!(r.their_contact().unwrap().contact, "agent · +6590000000");
    assert_eq!(
        r.confirmed_terms().unwrap().get("payment"),
        Some(&json!("SGD 12"))
    );
    assert!(
        r.confirmed_terms().unwrap().get("from").is_some(),
        "the route stands"
    );
    assert_eq!(
        sent(&fx).len(),
        1,
        "our automatic accept (the agent ignores it)"
    );
}

#[test]
fn an_accept_that_crossed_our_counter_stays_stale_even_as_a_subset() {
    let mut w = World::new();
    let (mut o, mut r) = w.pair();
    let c = one_sent(&r.counter(pay("SGD 12"), T0).unwrap());
    o.apply_incoming(w.resp, &c, w.eid(), T0).unwrap();
    // The responder accepts the owner's earlier terms while the owner adds a condition (a
    // reference owner has no turn rule): the accept is a subset of the new table, yet it never
    // saw the condition.
    let ra = reference_json(
        &w,
        r.nego(),
        json!({"type": "negotiate.accept", "terms": {"payment": "SGD 12"}, "contact": "R",
               "ts": T0 + 1}),
    );
    let oc = one_sent(
        &o.counter(Terms::new().with("note", json!("no pets")), T0 + 1)
            .unwrap(),
    );
    assert_eq!(
        oc.terms.as_ref(),
        Some(&Terms::new().with("note", json!("no pets")))
    );
    let fx = o.apply_incoming(w.resp, &ra, w.eid(), T0 + 2).unwrap();
    assert!(matches!(fx.as_slice(), [Effect::StaleAccept { .. }]));
    assert_eq!(o.state(), State::Open);
}

#[test]
fn reference_status_cancel_request_and_chat_json() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    r.accept("Me", None, T0).unwrap();
    assert_eq!(r.state(), State::Confirmed);
    let n = r.nego().clone();
    // Two chats in one second are two messages (the ledger does not hold chat).
    for text in ["On my way", "Blue car"] {
        let chat = reference_json(
            &w,
            &n,
            json!({"type": "negotiate.chat", "text": text, "ts": T0 + 5}),
        );
        assert_eq!(
            r.apply_incoming(w.owner, &chat, w.eid(), T0 + 5).unwrap(),
            vec![Effect::Chat { text: text.into() }]
        );
    }
    // Stages only advance; an old picked_up after completed changes nothing.
    let done = reference_json(
        &w,
        &n,
        json!({"type": "negotiate.status", "stage": "completed", "ts": T0 + 7}),
    );
    r.apply_incoming(w.owner, &done, w.eid(), T0 + 7).unwrap();
    let late = reference_json(
        &w,
        &n,
        json!({"type": "negotiate.status", "stage": "picked_up", "ts": T0 + 6}),
    );
    assert_eq!(
        r.apply_incoming(w.owner, &late, w.eid(), T0 + 8).unwrap(),
        vec![]
    );
    assert_eq!(r.stage(), Some(Stage::Completed));
    // "Unless its stage is completed": a cancel request or cancel is refused now.
    let req = reference_json(
        &w,
        &n,
        json!({"type": "negotiate.cancel_request", "ts": T0 + 9}),
    );
    assert!(matches!(
        r.apply_incoming(w.owner, &req, w.eid(), T0 + 9),
        Err(NegotiationError::Irreversible { .. })
    ));
    assert_eq!(r.state(), State::Confirmed);
}

#[test]
fn reference_mutual_cancel_flow() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    r.accept("Me", None, T0).unwrap();
    let n = r.nego().clone();
    let req = reference_json(
        &w,
        &n,
        json!({"type": "negotiate.cancel_request", "ts": T0 + 1}),
    );
    r.apply_incoming(w.owner, &req, w.eid(), T0 + 1).unwrap();
    assert_eq!(r.state(), State::CancelRequested { by: Side::Them });
    let dec = one_sent(&r.decline_cancel(T0 + 2).unwrap());
    assert_eq!(dec.kind, EnvelopeType::CancelDecline);
    assert_eq!(r.state(), State::Confirmed);
    // Ours, and their agree.
    let ask = one_sent(&r.request_cancel(Some("rain".into()), T0 + 3).unwrap());
    assert_eq!(ask.kind, EnvelopeType::CancelRequest);
    let agree = reference_json(
        &w,
        &n,
        json!({"type": "negotiate.cancel_agree", "ts": T0 + 4}),
    );
    r.apply_incoming(w.owner, &agree, w.eid(), T0 + 4).unwrap();
    assert_eq!(r.state(), State::Cancelled);
}

#[test]
fn stages_we_report_advance_and_completed_is_final() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    assert!(matches!(
        r.mark_stage(Stage::PickedUp, T0),
        Err(NegotiationError::NotAllowed { .. })
    ));
    r.accept("Me", None, T0).unwrap();
    let s = one_sent(&r.mark_stage(Stage::PickedUp, T0 + 1).unwrap());
    assert_eq!(s.stage, Some(Stage::PickedUp));
    assert_eq!(r.state(), State::Confirmed, "a report; met needs the code");
    assert!(r.mark_stage(Stage::PickedUp, T0 + 2).is_err());
    let s = one_sent(&r.mark_stage(Stage::Completed, T0 + 3).unwrap());
    assert_eq!(s.stage, Some(Stage::Completed));
    assert_eq!(r.state(), State::Completed);
    assert!(matches!(
        r.cancel(None, T0 + 4),
        Err(NegotiationError::Irreversible { .. })
    ));
    // Chat still flows after completion (where to return a forgotten bag).
    assert_eq!(sent(&r.chat("left my umbrella", T0 + 5).unwrap()).len(), 1);
    assert!(r.chat("   ", T0 + 6).is_err());
}

#[test]
fn two_status_reports_in_one_second_both_apply() {
    let mut w = World::new();
    reference_ride(&mut w);
    let (_, mut r) = w.pair();
    r.accept("Me", None, T0).unwrap();
    let n = r.nego().clone();
    for stage in ["picked_up", "completed"] {
        let st = reference_json(
            &w,
            &n,
            json!({"type": "negotiate.status", "stage": stage, "ts": T0 + 5}),
        );
        r.apply_incoming(w.owner, &st, w.eid(), T0 + 5).unwrap();
    }
    assert_eq!(r.peer_stage(), Some(Stage::Completed));
}
