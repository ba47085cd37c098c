//! Property tests of the negotiation state machine: random interleavings of both parties' actions
//! with a network that reorders, duplicates (same event id, or same (type, ts) re-wrapped) and
//! injects envelopes from a third key.
//!
//! Invariants checked after every step:
//! - both parties never hold confirmed terms that differ;
//! - confirmed terms, once set, never change;
//! - terminal states (completed, cancelled, expired) never change;
//! - met / completed are never reversed;
//! - the round cap (8 counters, both sides together) is never exceeded;
//! - a refused envelope (error) changes nothing;
//! - the actions a thread offers (`Negotiation::actions`) are exactly the moves that succeed:
//!   every offered move succeeds, every other one is refused.

use freeport_core::negotiation::{
    ContactCard, DealAction, Effect, IntentInfo, MAX_COUNTERS, Negotiation, Role, Side, State,
};
use freeport_core::protocol::envelope::{
    Envelope, EnvelopeType, FILLED_REASON, Stage, Terms, build_envelope, parse_envelope,
};
use nostr::{EventId, Keys, PublicKey};
use proptest::prelude::*;
use serde_json::json;

const T0: u64 = 1_700_000_000;

#[derive(Debug, Clone)]
enum Op {
    /// A local action by the owner (`true`) or the responder; `arg` picks terms / variants.
    Local { owner: bool, action: u8, arg: u8 },
    /// Deliver the in-flight message at this index (any order: reordering).
    Deliver(usize),
    /// Deliver an already-delivered message again, with the same id or a fresh one.
    Duplicate { idx: usize, same_id: bool },
    /// A third key forges an envelope onto the thread.
    Inject { to_owner: bool, kind: u8 },
    /// Time passes.
    Wait(u8),
    /// The peer re-sends an old message of its own with a fresh `ts` and id (a buggy or
    /// reference peer re-sending an old accept after the terms moved on).
    Resend(usize),
    /// The peer sends a counter its own (tracked) state machine did not make: the reference
    /// client has no turn rule, so counters can cross.
    PeerCounter { to_owner: bool, arg: u8 },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (any::<bool>(), 0u8..10, 0u8..4).prop_map(|(owner, action, arg)| Op::Local { owner, action, arg }),
        5 => (0usize..64).prop_map(Op::Deliver),
        1 => (0usize..64, any::<bool>()).prop_map(|(idx, same_id)| Op::Duplicate { idx, same_id }),
        1 => (any::<bool>(), 0u8..8).prop_map(|(to_owner, kind)| Op::Inject { to_owner, kind }),
        1 => (0u8..40).prop_map(Op::Wait),
        1 => (0usize..64).prop_map(Op::Resend),
        1 => (any::<bool>(), 0u8..4).prop_map(|(to_owner, arg)| Op::PeerCounter { to_owner, arg }),
    ]
}

#[derive(Clone)]
struct Msg {
    to_owner: bool,
    env: Envelope,
    id: EventId,
}

struct Sim {
    owner_pk: PublicKey,
    resp_pk: PublicKey,
    mallory: PublicKey,
    intent: IntentInfo,
    owner: Negotiation,
    resp: Negotiation,
    in_flight: Vec<Msg>,
    delivered: Vec<Msg>,
    now: u64,
    next_id: u64,
    /// Terms each side ever sent an accept for (owner, responder).
    accepted: (Vec<Terms>, Vec<Terms>),
    /// Coverage of what the walk reached.
    stats: Stats,
    /// A peer sent something its tracked state machine did not produce (`Resend`,
    /// `PeerCounter`): safety must still hold, but the two views may legitimately diverge.
    untracked_peer_message: bool,
}

/// What one random walk reached (to show the property test explores the interesting states).
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    both_confirmed: bool,
    met: bool,
    cancelled: bool,
    expired: bool,
    stale_accept: bool,
    cancel_requested: bool,
    round_cap: bool,
}

fn terms(arg: u8) -> Terms {
    let t = Terms::new().with("payment", json!(format!("SGD {}", 10 + arg)));
    if arg.is_multiple_of(2) {
        t.with("note", json!("bags"))
    } else {
        t
    }
}

impl Sim {
    fn new(auto_owner: bool, auto_resp: bool, ttl: u64) -> Self {
        let owner_pk = Keys::generate().public_key();
        let resp_pk = Keys::generate().public_key();
        let intent = IntentInfo {
            intent_id: EventId::from_byte_array([7; 32]),
            d: "00112233aabbccdd".into(),
            author: owner_pk,
            market: "sg-rideshare".into(),
            terms: terms(5),
            expires_at: T0 + ttl,
            double_accept: true,
        };
        let mut owner = Negotiation::new_owner(&intent, resp_pk).unwrap();
        let mut resp = Negotiation::new_responder(&intent, resp_pk).unwrap();
        let card = |s: &str| ContactCard {
            contact: s.into(),
            salt: None,
        };
        if auto_owner {
            owner.set_auto_accept(Some(card("owner"))).unwrap();
        }
        if auto_resp {
            resp.set_auto_accept(Some(card("resp"))).unwrap();
        }
        Self {
            owner_pk,
            resp_pk,
            mallory: Keys::generate().public_key(),
            intent,
            owner,
            resp,
            in_flight: Vec::new(),
            delivered: Vec::new(),
            now: T0,
            next_id: 0,
            accepted: (Vec::new(), Vec::new()),
            stats: Stats::default(),
            untracked_peer_message: false,
        }
    }

    fn fresh_id(&mut self) -> EventId {
        self.next_id += 1;
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.next_id.to_be_bytes());
        EventId::from_byte_array(b)
    }

    fn enqueue(&mut self, from_owner: bool, fx: &[Effect]) {
        for e in fx {
            if matches!(e, Effect::StaleAccept { .. }) {
                self.stats.stale_accept = true;
            }
            if let Effect::Send(env) = e {
                let env: &Envelope = env;
                if env.kind == EnvelopeType::Accept {
                    let t = env.terms.clone().expect("our accepts carry terms");
                    if from_owner {
                        self.accepted.0.push(t);
                    } else {
                        self.accepted.1.push(t);
                    }
                }
                // Whatever we send must pass our own strict parser unchanged.
                let wire = build_envelope(env).expect("we built an invalid envelope");
                assert_eq!(&parse_envelope(&wire).expect("we sent unparseable"), env);
                let id = self.fresh_id();
                self.in_flight.push(Msg {
                    to_owner: !from_owner,
                    env: env.clone(),
                    id,
                });
            }
        }
    }

    fn local(&mut self, owner: bool, action: u8, arg: u8) {
        let now = self.now;
        let n = if owner {
            &mut self.owner
        } else {
            &mut self.resp
        };
        let before = n.clone();
        let r = match action {
            0 | 1 => n.counter(terms(arg), now),
            2 | 3 => n.accept(if owner { "owner" } else { "resp" }, None, now),
            4 => n.cancel(
                if arg == 0 {
                    Some(FILLED_REASON.into())
                } else {
                    None
                },
                now,
            ),
            5 => n.request_cancel(None, now),
            6 => {
                if arg.is_multiple_of(2) {
                    n.agree_cancel(now)
                } else {
                    n.decline_cancel(now)
                }
            }
            7 => n.mark_met(now),
            8 => n.mark_completed(now),
            _ => n.chat("hi", now),
        };
        if matches!(
            r,
            Err(freeport_core::negotiation::NegotiationError::RoundCapReached { .. })
        ) {
            self.stats.round_cap = true;
        }
        match r {
            Ok(fx) => self.enqueue(owner, &fx),
            // A refused local action changes nothing, except that a due expiry is applied.
            Err(freeport_core::negotiation::NegotiationError::Expired { .. }) => {
                assert_eq!(n.state(), State::Expired)
            }
            Err(_) => assert_eq!(*n, before, "a refused action changed the state"),
        }
    }

    fn deliver(&mut self, m: Msg) {
        let now = self.now;
        let (n, sender) = if m.to_owner {
            (&mut self.owner, self.resp_pk)
        } else {
            (&mut self.resp, self.owner_pk)
        };
        let before = n.clone();
        match n.apply_incoming(sender, &m.env, m.id, now) {
            // Replies (auto-accept, resend, cancel_agree) come from the receiver.
            Ok(fx) => self.enqueue(m.to_owner, &fx),
            Err(_) => assert_eq!(
                view(n),
                view(&before),
                "a refused envelope changed the state"
            ),
        }
    }

    fn inject(&mut self, to_owner: bool, kind: u8) {
        let now = self.now;
        let kinds = EnvelopeType::ALL;
        let kind = kinds[kind as usize % kinds.len()];
        let target = if to_owner { &self.owner } else { &self.resp };
        let mut env = Envelope::new(
            kind,
            target.nego().clone(),
            self.intent.intent_id,
            "sg-rideshare",
            now,
        );
        env.terms = Some(terms(1));
        if kind == EnvelopeType::Accept {
            env.contact = Some("mallory".into());
        }
        let id = self.fresh_id();
        let mallory = self.mallory;
        let n = if to_owner {
            &mut self.owner
        } else {
            &mut self.resp
        };
        let before = n.clone();
        assert!(n.apply_incoming(mallory, &env, id, now).is_err());
        assert_eq!(*n, before, "an injected envelope changed the state");
    }

    fn step(&mut self, op: &Op) {
        match op {
            Op::Local { owner, action, arg } => self.local(*owner, *action, *arg),
            Op::Deliver(i) => {
                if !self.in_flight.is_empty() {
                    let m = self.in_flight.remove(i % self.in_flight.len());
                    self.delivered.push(m.clone());
                    self.deliver(m);
                }
            }
            Op::Duplicate { idx, same_id } => {
                if !self.delivered.is_empty() {
                    let mut m = self.delivered[idx % self.delivered.len()].clone();
                    if !same_id {
                        m.id = self.fresh_id();
                    }
                    let before = if m.to_owner {
                        self.owner.clone()
                    } else {
                        self.resp.clone()
                    };
                    self.deliver(m.clone());
                    let after = if m.to_owner { &self.owner } else { &self.resp };
                    assert_eq!(after, &before, "a replay changed the state");
                }
            }
            Op::Inject { to_owner, kind } => self.inject(*to_owner, *kind),
            Op::Resend(idx) => {
                if !self.delivered.is_empty() {
                    self.untracked_peer_message = true;
                    let mut m = self.delivered[idx % self.delivered.len()].clone();
                    m.id = self.fresh_id();
                    m.env.ts = self.now + 100_000 + self.next_id;
                    self.deliver(m);
                }
            }
            Op::PeerCounter { to_owner, arg } => {
                self.untracked_peer_message = true;
                let target = if *to_owner { &self.owner } else { &self.resp };
                let mut env = Envelope::new(
                    EnvelopeType::Counter,
                    target.nego().clone(),
                    self.intent.intent_id,
                    "sg-rideshare",
                    self.now + 200_000 + self.next_id,
                );
                // A partial counter, as the reference sends.
                env.terms = Some(Terms::new().with("payment", json!(format!("SGD {}", 20 + arg))));
                let id = self.fresh_id();
                self.deliver(Msg {
                    to_owner: *to_owner,
                    env,
                    id,
                });
            }
            Op::Wait(dt) => {
                self.now += u64::from(*dt);
                let now = self.now;
                self.owner.tick(now);
                self.resp.tick(now);
            }
        }
    }
}

/// Tries `action` on a copy of `n` with valid arguments: the move the UI's button makes.
fn perform(n: &Negotiation, action: DealAction, now: u64) -> Result<(), String> {
    let mut n = n.clone();
    let r = match action {
        DealAction::Accept | DealAction::Pick => n.accept("me · +6591234567", None, now),
        // Terms that differ from the table (a counter of the same terms is an argument error).
        DealAction::Counter => {
            let t = (0..4)
                .map(terms)
                .find(|t| !t.same_deal(n.terms()))
                .expect("one of four terms differs");
            n.counter(t, now)
        }
        DealAction::Cancel => n.cancel(None, now),
        DealAction::RequestCancel => n.request_cancel(None, now),
        DealAction::AgreeCancel => n.agree_cancel(now),
        DealAction::DeclineCancel => n.decline_cancel(now),
        // Showing or scanning the code leads to `mark_met`; rating needs no move of the thread.
        DealAction::ShowCode | DealAction::ScanCode => n.mark_met(now),
        DealAction::Rate => return n.check(DealAction::Rate, now).map_err(|e| e.to_string()),
        DealAction::Chat => n.chat("see you at the gate", now),
        DealAction::MarkPickedUp => n.mark_stage(Stage::PickedUp, now),
        DealAction::MarkCompleted => n.mark_stage(Stage::Completed, now),
    };
    r.map(|_| ()).map_err(|e| e.to_string())
}

/// Offered actions succeed, the others are refused (the owner's accept is offered as `pick`;
/// `mark_met` is also allowed while a cancel is requested, where no code is offered).
fn check_actions(n: &Negotiation, now: u64) {
    let offered = n.actions(now);
    for a in DealAction::ALL {
        let is_offered = offered.contains(&a);
        let outcome = perform(n, a, now);
        match (a, n.role()) {
            (DealAction::Accept, Role::Owner) => {
                assert!(!is_offered, "the owner is offered accept, not pick");
                continue;
            }
            (DealAction::Pick, Role::Responder) => {
                assert!(!is_offered, "a responder is offered pick");
                continue;
            }
            (DealAction::ShowCode | DealAction::ScanCode, _)
                if matches!(n.state(), State::CancelRequested { .. }) =>
            {
                assert!(!is_offered, "{a:?} offered while a cancel is requested");
                continue;
            }
            _ => {}
        }
        assert_eq!(
            is_offered,
            outcome.is_ok(),
            "{a:?} in {:?} ({:?}, proposed by {:?}, {} counters): offered {is_offered}, move {outcome:?}",
            n.state(),
            n.role(),
            n.proposed_by(),
            n.counters_used()
        );
    }
}

/// Everything observable about a thread except its replay ledger.
fn view(n: &Negotiation) -> String {
    format!(
        "{:?}|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}",
        n.state(),
        n.terms(),
        n.proposed_by(),
        n.counters_used(),
        n.confirmed_terms(),
        n.their_contact(),
        n.peer_stage(),
        n.cancellation()
    )
}

#[derive(Clone, PartialEq, Debug)]
struct Snap {
    state: State,
    confirmed: Option<Terms>,
}

fn snap(n: &Negotiation) -> Snap {
    Snap {
        state: n.state(),
        confirmed: n.confirmed_terms().cloned(),
    }
}

fn check_step(before: &Snap, after: &Snap, who: &str) {
    if before.state.is_terminal() {
        assert_eq!(before, after, "{who}: terminal state changed");
    }
    if before.state.is_met() {
        assert!(
            after.state.is_met(),
            "{who}: met reversed to {:?}",
            after.state
        );
    }
    if before.confirmed.is_some() {
        assert_eq!(
            before.confirmed, after.confirmed,
            "{who}: confirmed terms changed"
        );
    }
}

fn run(ops: &[Op], auto_owner: bool, auto_resp: bool, ttl: u64, drain: bool) -> Stats {
    let mut sim = Sim::new(auto_owner, auto_resp, ttl);
    let mut states_seen = Vec::new();
    let mut all: Vec<Op> = ops.to_vec();
    if drain {
        // Finally deliver everything still in flight, in order.
        all.extend(std::iter::repeat_n(Op::Deliver(0), 64));
    }
    for op in &all {
        let (bo, br) = (snap(&sim.owner), snap(&sim.resp));
        sim.step(op);
        let (ao, ar) = (snap(&sim.owner), snap(&sim.resp));
        check_step(&bo, &ao, "owner");
        check_step(&br, &ar, "responder");
        if let (Some(a), Some(b)) = (&ao.confirmed, &ar.confirmed) {
            assert!(
                a.same_deal(b),
                "confirmed on different terms: {a:?} vs {b:?}"
            );
            sim.stats.both_confirmed = true;
        }
        // Nobody is ever confirmed on terms both sides did not accept.
        for (conf, who) in [(&ao.confirmed, "owner"), (&ar.confirmed, "responder")] {
            if let Some(t) = conf {
                assert!(
                    sim.accepted.0.iter().any(|a| a.same_deal(t)),
                    "{who} confirmed on {t:?}, which the owner never accepted"
                );
                assert!(
                    sim.accepted.1.iter().any(|a| a.same_deal(t)),
                    "{who} confirmed on {t:?}, which the responder never accepted"
                );
            }
        }
        for st in [ao.state, ar.state] {
            match st {
                State::Met | State::Completed => sim.stats.met = true,
                State::Cancelled => sim.stats.cancelled = true,
                State::Expired => sim.stats.expired = true,
                State::CancelRequested { .. } => sim.stats.cancel_requested = true,
                _ => {}
            }
        }
        assert!(sim.owner.counters_used() <= MAX_COUNTERS);
        assert!(sim.resp.counters_used() <= MAX_COUNTERS);
        assert_eq!(
            sim.owner.rounds_left() + sim.owner.counters_used(),
            MAX_COUNTERS
        );
        states_seen.push((ao.state, ar.state));
        check_actions(&sim.owner, sim.now);
        check_actions(&sim.resp, sim.now);
    }
    // Confirmed implies the other side accepted those terms: if one side is confirmed and the
    // network is drained, the other is confirmed on the same terms or has since moved on by an
    // explicit cancel / expiry.
    if drain && sim.in_flight.is_empty() && !sim.untracked_peer_message {
        for (me, other) in [(&sim.owner, &sim.resp), (&sim.resp, &sim.owner)] {
            if me.state() == State::Confirmed && other.confirmed_terms().is_none() {
                assert!(
                    matches!(
                        other.state(),
                        State::Cancelled | State::Expired | State::AcceptedByThem
                    ),
                    "one side confirmed, the other {:?}",
                    other.state()
                );
            }
        }
    }
    sim.stats
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 768, ..ProptestConfig::default() })]

    #[test]
    fn interleavings_preserve_invariants(
        ops in prop::collection::vec(op(), 1..80),
        auto_owner in any::<bool>(),
        auto_resp in any::<bool>(),
        ttl in 20u64..400,
        drain in any::<bool>(),
    ) {
        run(&ops, auto_owner, auto_resp, ttl, drain);
    }
}

/// The random walks are not vacuous: over a fixed-seed sample they reach every interesting
/// situation the invariants are about.
#[test]
fn random_walks_reach_every_interesting_state() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[42; 32]),
    );
    let strat = (
        prop::collection::vec(op(), 1..80),
        any::<bool>(),
        any::<bool>(),
        20u64..400,
        any::<bool>(),
    );
    let mut total = Stats::default();
    for _ in 0..600 {
        let (ops, ao, ar, ttl, drain) = strat.new_tree(&mut runner).unwrap().current();
        let s = run(&ops, ao, ar, ttl, drain);
        total.both_confirmed |= s.both_confirmed;
        total.met |= s.met;
        total.cancelled |= s.cancelled;
        total.expired |= s.expired;
        total.stale_accept |= s.stale_accept;
        total.cancel_requested |= s.cancel_requested;
        total.round_cap |= s.round_cap;
    }
    assert!(total.both_confirmed, "{total:?}");
    assert!(total.met, "{total:?}");
    assert!(total.cancelled, "{total:?}");
    assert!(total.expired, "{total:?}");
    assert!(total.stale_accept, "{total:?}");
    assert!(total.cancel_requested, "{total:?}");
    assert!(total.round_cap, "{total:?}");
}

#[test]
fn accept_crossing_a_cancel_ends_cancelled_on_both_sides() {
    let mut sim = Sim::new(false, false, 3600);
    sim.local(false, 0, 1); // responder counters terms(1)
    sim.step(&Op::Deliver(0));
    sim.local(true, 2, 0); // owner accepts terms(1)
    sim.local(false, 4, 1); // responder cancels at the same time (crossing)
    sim.step(&Op::Deliver(1));
    sim.step(&Op::Deliver(0));
    assert_eq!(sim.owner.state(), State::Cancelled);
    assert_eq!(sim.resp.state(), State::Cancelled);
    assert!(sim.owner.confirmed_terms().is_none());
}

#[test]
fn filled_cancel_reaches_a_confirmed_responder() {
    let mut sim = Sim::new(false, true, 3600);
    sim.local(false, 0, 2);
    sim.step(&Op::Deliver(0));
    sim.local(true, 2, 0);
    sim.step(&Op::Deliver(0)); // responder auto-confirms
    assert_eq!(sim.resp.state(), State::Confirmed);
    sim.step(&Op::Deliver(0)); // owner confirms
    assert_eq!(sim.owner.state(), State::Confirmed);
    sim.local(true, 4, 0); // owner: Filled
    sim.step(&Op::Deliver(0));
    assert_eq!(
        sim.resp.cancellation(),
        Some((Side::Them, Some(FILLED_REASON)))
    );
}

/// A JSON value for a fuzzed envelope field: right type, wrong type, or garbage.
fn fuzz_value() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number)),
        ".{0,40}".prop_map(serde_json::Value::from),
        prop::sample::select(vec![
            "negotiate.counter",
            "negotiate.accept",
            "negotiate.cancel",
            "negotiate.chat",
            "negotiate.status",
            "picked_up",
            "completed",
            "0123456789abcdef",
        ])
        .prop_map(serde_json::Value::from),
        prop::collection::btree_map("[a-z_]{1,12}", ".{0,10}", 0..4).prop_map(|m| {
            serde_json::Value::Object(m.into_iter().map(|(k, v)| (k, v.into())).collect())
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The parser never panics, and whatever it accepts re-builds and re-parses to the same value.
    #[test]
    fn parser_total_on_garbage(raw in ".{0,300}") {
        if let Ok(env) = parse_envelope(&raw) {
            let again = parse_envelope(&build_envelope(&env).unwrap()).unwrap();
            prop_assert_eq!(again, env);
        }
    }

    /// Start from a valid accept and overwrite / drop random fields: never a panic, and anything
    /// accepted round-trips.
    #[test]
    fn parser_total_on_mutated_envelopes(
        edits in prop::collection::vec((prop::sample::select(vec![
            "v", "type", "nego", "intent_id", "intent_d", "market", "terms", "contact",
            "contact_salt", "payAddress", "reason", "text", "stage", "ts",
        ]), prop::option::of(fuzz_value())), 1..5),
    ) {
        let owner = Keys::generate().public_key();
        let resp = Keys::generate().public_key();
        let nego = freeport_core::protocol::NegoId::new("0123456789abcdef", owner, resp).unwrap();
        let mut env = Envelope::new(EnvelopeType::Accept, nego, EventId::from_byte_array([3; 32]), "m", 1);
        env.terms = Some(terms(1));
        env.contact = Some("c".into());
        let mut v: serde_json::Value = serde_json::from_str(&build_envelope(&env).unwrap()).unwrap();
        let obj = v.as_object_mut().unwrap();
        for (k, val) in edits {
            match val {
                Some(x) => { obj.insert(k.to_string(), x); }
                None => { obj.remove(k); }
            }
        }
        if let Ok(mut env) = parse_envelope(&v.to_string()) {
            if env.kind == EnvelopeType::Counter && env.contact.is_some() {
                // Read from the reference, never sent by us: the builder refuses contact before
                // an accept.
                prop_assert!(build_envelope(&env).is_err());
                env.contact = None;
            }
            let again = parse_envelope(&build_envelope(&env).unwrap()).unwrap();
            prop_assert_eq!(again, env);
        }
    }
}
