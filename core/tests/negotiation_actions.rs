//! Property test of the owner's side: an intent with several responders' quotes, driven by
//! random moves of everybody and a network that delivers in any order. After every step, each
//! quote offers exactly the moves that succeed (`IntentBook::actions`): an offered move
//! succeeds, every other is refused — picking included (refused while another quote is
//! picked), and accepting is never offered to the owner (it is picking).
//!
//! The responder's side is covered over a wider state space by `negotiation_props.rs`.

use freeport_core::negotiation::{
    ContactCard, DealAction, Effect, IntentBook, IntentInfo, Negotiation, State,
};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::envelope::{Envelope, Stage, Terms};
use nostr::{EventId, Keys, PublicKey};
use proptest::prelude::*;
use serde_json::json;

const T0: u64 = 1_700_000_000;
const RESPONDERS: usize = 3;

fn terms(arg: u8) -> Terms {
    Terms::new().with("price", json!(100 + u32::from(arg)))
}

#[derive(Debug, Clone)]
enum Op {
    /// The owner makes `action` (an index into `DealAction::ALL`) on quote `quote`.
    Owner {
        quote: usize,
        action: usize,
        arg: u8,
    },
    /// Responder `who` counters (`accept == false`) or accepts the terms on their table.
    Responder { who: usize, accept: bool, arg: u8 },
    /// Deliver the in-flight message at this index (any order).
    Deliver(usize),
    /// Time passes (the intent expires at `T0 + ttl`).
    Wait(u8),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..RESPONDERS, 0..DealAction::ALL.len(), 0u8..4)
            .prop_map(|(quote, action, arg)| Op::Owner { quote, action, arg }),
        3 => (0..RESPONDERS, any::<bool>(), 0u8..4)
            .prop_map(|(who, accept, arg)| Op::Responder { who, accept, arg }),
        6 => (0usize..32).prop_map(Op::Deliver),
        1 => (0u8..60).prop_map(Op::Wait),
    ]
}

struct Msg {
    /// `None`: to the owner; `Some(i)`: to responder `i`.
    to: Option<usize>,
    from: PublicKey,
    env: Envelope,
}

struct Sim {
    book: IntentBook,
    responders: Vec<(PublicKey, Negotiation)>,
    in_flight: Vec<Msg>,
    now: u64,
    next_id: u64,
    picks: usize,
}

impl Sim {
    fn new(ttl: u64) -> Self {
        let owner = Keys::generate().public_key();
        let intent = IntentInfo {
            intent_id: EventId::from_byte_array([9; 32]),
            d: "0011223344556677".into(),
            author: owner,
            market: "sg-goods".into(),
            terms: terms(0),
            expires_at: T0 + ttl,
            // Both sides are Freeport clients (the intent carries our `caps`).
            double_accept: true,
        };
        let responders = (0..RESPONDERS)
            .map(|_| {
                let pk = Keys::generate().public_key();
                let mut n = Negotiation::new_responder(&intent, pk).expect("thread");
                // As the app does on the responder's side.
                n.set_auto_accept(Some(ContactCard {
                    contact: "resp · +6591234567".into(),
                    salt: None,
                }))
                .expect("card");
                (pk, n)
            })
            .collect();
        Self {
            book: IntentBook::new(intent),
            responders,
            in_flight: Vec::new(),
            now: T0,
            next_id: 0,
            picks: 0,
        }
    }

    fn id(&mut self) -> EventId {
        self.next_id += 1;
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&self.next_id.to_be_bytes());
        EventId::from_byte_array(b)
    }

    fn nego_of(&self, who: usize) -> NegoId {
        self.responders[who].1.nego().clone()
    }

    fn send_from_owner(&mut self, fx: Vec<(NegoId, Effect)>) {
        let owner = self.book.intent().author;
        for (nego, e) in fx {
            if let Effect::Send(env) = e {
                let to = self
                    .responders
                    .iter()
                    .position(|(_, n)| *n.nego() == nego)
                    .expect("a responder's thread");
                self.in_flight.push(Msg {
                    to: Some(to),
                    from: owner,
                    env: *env,
                });
            }
        }
    }

    fn send_from_responder(&mut self, who: usize, fx: Vec<Effect>) {
        let from = self.responders[who].0;
        for e in fx {
            if let Effect::Send(env) = e {
                self.in_flight.push(Msg {
                    to: None,
                    from,
                    env: *env,
                });
            }
        }
    }

    fn step(&mut self, op: &Op) {
        let now = self.now;
        match op {
            Op::Owner { quote, action, arg } => {
                let nego = self.nego_of(*quote);
                if self.book.thread(&nego).is_none() {
                    return; // that responder has not written yet
                }
                if let Ok(fx) =
                    owner_move(&mut self.book, &nego, DealAction::ALL[*action], *arg, now)
                {
                    if DealAction::ALL[*action] == DealAction::Pick {
                        self.picks += 1;
                    }
                    self.send_from_owner(fx);
                }
            }
            Op::Responder { who, accept, arg } => {
                let n = &mut self.responders[*who].1;
                let r = if *accept {
                    n.accept("resp · +6591234567", None, now)
                } else {
                    n.counter(terms(*arg), now)
                };
                if let Ok(fx) = r {
                    self.send_from_responder(*who, fx);
                }
            }
            Op::Deliver(i) => {
                if self.in_flight.is_empty() {
                    return;
                }
                let m = self.in_flight.remove(i % self.in_flight.len());
                let id = self.id();
                match m.to {
                    None => {
                        if let Ok(fx) = self.book.apply_incoming(m.from, &m.env, id, now) {
                            self.send_from_owner(fx);
                        }
                    }
                    Some(who) => {
                        let r = self.responders[who]
                            .1
                            .apply_incoming(m.from, &m.env, id, now);
                        if let Ok(fx) = r {
                            self.send_from_responder(who, fx);
                        }
                    }
                }
            }
            Op::Wait(dt) => {
                self.now += u64::from(*dt);
                let now = self.now;
                let _ = self.book.tick(now);
                for (_, n) in &mut self.responders {
                    let _ = n.tick(now);
                }
            }
        }
    }
}

/// The owner's move as the app makes it for a UI action (accepting a quote is picking it).
fn owner_move(
    book: &mut IntentBook,
    nego: &NegoId,
    action: DealAction,
    arg: u8,
    now: u64,
) -> Result<Vec<(NegoId, Effect)>, String> {
    let r = match action {
        DealAction::Accept | DealAction::Pick => book.pick(nego, "owner · +6598765432", None, now),
        DealAction::Counter => {
            let table = book
                .thread(nego)
                .map(|t| t.terms().clone())
                .unwrap_or_default();
            let t = (0..5)
                .map(|k| terms(arg.wrapping_add(k)))
                .find(|t| !t.same_deal(&table))
                .expect("a differing price");
            book.act(nego, now, |n| n.counter(t, now))
        }
        DealAction::Cancel => book.act(nego, now, |n| n.cancel(None, now)),
        DealAction::RequestCancel => book.act(nego, now, |n| n.request_cancel(None, now)),
        DealAction::AgreeCancel => book.act(nego, now, |n| n.agree_cancel(now)),
        DealAction::DeclineCancel => book.act(nego, now, |n| n.decline_cancel(now)),
        DealAction::ShowCode | DealAction::ScanCode => book.act(nego, now, |n| n.mark_met(now)),
        DealAction::Rate => {
            return book
                .check(nego, DealAction::Rate, now)
                .map(|_| Vec::new())
                .map_err(|e| e.to_string());
        }
        DealAction::Chat => book.act(nego, now, |n| n.chat("on my way", now)),
        DealAction::MarkPickedUp => book.act(nego, now, |n| n.mark_stage(Stage::PickedUp, now)),
        DealAction::MarkCompleted => book.act(nego, now, |n| n.mark_stage(Stage::Completed, now)),
    };
    r.map_err(|e| e.to_string())
}

fn check_book(book: &IntentBook, now: u64) {
    let negos: Vec<NegoId> = book.threads().map(|t| t.nego().clone()).collect();
    for nego in &negos {
        let offered = book.actions(nego, now);
        let state = book.thread(nego).map(Negotiation::state);
        assert!(
            !offered.contains(&DealAction::Accept),
            "the owner picks; accept is never offered"
        );
        for a in DealAction::ALL {
            if a == DealAction::Accept {
                continue;
            }
            let is_offered = offered.contains(&a);
            if matches!(a, DealAction::ShowCode | DealAction::ScanCode)
                && matches!(state, Some(State::CancelRequested { .. }))
            {
                assert!(!is_offered, "{a:?} offered while a cancel is requested");
                continue;
            }
            let outcome = owner_move(&mut book.clone(), nego, a, 1, now);
            assert_eq!(
                is_offered,
                outcome.is_ok(),
                "{a:?} on a quote in {state:?} (book: {:?}): offered {is_offered}, move {outcome:?}",
                book.threads().map(Negotiation::state).collect::<Vec<_>>()
            );
        }
    }
    // At most one quote can be picked at a time.
    let picked = book
        .threads()
        .filter(|t| t.state() == State::AcceptedByUs || t.state().is_confirmed_or_later())
        .count();
    assert!(picked <= 1, "{picked} quotes picked at once");
    if picked == 1 {
        for nego in &negos {
            let t = book.thread(nego).map(Negotiation::state);
            if !matches!(t, Some(State::AcceptedByUs))
                && !t.is_some_and(|s| s.is_confirmed_or_later())
            {
                assert!(!book.actions(nego, now).contains(&DealAction::Pick));
            }
        }
    }
}

fn run(ops: &[Op], ttl: u64) -> (usize, bool) {
    let mut sim = Sim::new(ttl);
    let mut confirmed = false;
    for op in ops {
        sim.step(op);
        check_book(&sim.book, sim.now);
        confirmed |= sim.book.threads().any(|t| t.state() == State::Confirmed);
    }
    (sim.picks, confirmed)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn every_offered_move_succeeds_and_no_other_does(
        ops in prop::collection::vec(op(), 1..80),
        ttl in 30u64..600,
    ) {
        run(&ops, ttl);
    }
}

/// The walks are not vacuous: over a fixed-seed sample, owners pick and deals confirm.
#[test]
fn random_walks_pick_and_confirm() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strat = (prop::collection::vec(op(), 1..80), 30u64..600);
    let (mut picks, mut confirmed) = (0, false);
    for _ in 0..300 {
        let (ops, ttl) = strat.new_tree(&mut runner).expect("tree").current();
        let (p, c) = run(&ops, ttl);
        picks += p;
        confirmed |= c;
    }
    assert!(picks > 0, "no walk ever picked");
    assert!(confirmed, "no walk ever confirmed");
}

#[test]
fn a_second_pick_is_not_offered_while_one_is_pending() {
    let mut sim = Sim::new(3600);
    for who in 0..2 {
        sim.step(&Op::Responder {
            who,
            accept: false,
            arg: who as u8 + 1,
        });
    }
    while !sim.in_flight.is_empty() {
        sim.step(&Op::Deliver(0));
    }
    let (a, b) = (sim.nego_of(0), sim.nego_of(1));
    for n in [&a, &b] {
        assert_eq!(
            sim.book.actions(n, sim.now),
            [
                DealAction::Pick,
                DealAction::Counter,
                DealAction::Cancel,
                DealAction::Chat
            ]
        );
    }
    let fx = sim
        .book
        .pick(&a, "owner · +6598765432", None, sim.now)
        .expect("pick");
    sim.send_from_owner(fx);
    // Picked, waiting for their accept: no second pick, no counter on our own accept.
    assert_eq!(
        sim.book.actions(&a, sim.now),
        [DealAction::Cancel, DealAction::Chat]
    );
    assert_eq!(
        sim.book.actions(&b, sim.now),
        [DealAction::Counter, DealAction::Cancel, DealAction::Chat]
    );
    // Their auto-accept confirms; the other quote is filled and offers nothing.
    while !sim.in_flight.is_empty() {
        sim.step(&Op::Deliver(0));
    }
    assert_eq!(
        sim.book.thread(&a).map(Negotiation::state),
        Some(State::Confirmed)
    );
    assert_eq!(
        sim.book.actions(&a, sim.now),
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
    assert!(sim.book.actions(&b, sim.now).is_empty());
}
