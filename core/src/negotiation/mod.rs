//! Pure negotiation state machine (DESIGN §3.1, FREEPORT-V1.md "Negotiation envelope").
//!
//! One [`Negotiation`] is one party's view of one thread (one responder on one intent). It is
//! driven by incoming envelopes ([`Negotiation::apply_incoming`]), local user actions
//! ([`Negotiation::counter`], [`Negotiation::accept`], …) and the clock ([`Negotiation::tick`]);
//! every call returns the [`Effect`]s the caller must carry out (send an envelope, publish the
//! receipt half, tell the UI). Nothing here performs I/O or reads a clock: `now` is a parameter.
//! The state is serde-serialisable so the store can persist it, including the replay ledger.
//!
//! The intent owner manages every responder's thread through an [`IntentBook`] (private quotes,
//! pick one, "Filled" to the rest). See `docs/NEGOTIATION.md` for the state diagram and rules.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use nostr::{EventId, PublicKey};

use crate::protocol::envelope::{ContactSalt, Envelope, EnvelopeType, FILLED_REASON, Stage, Terms};
use crate::protocol::tolerant::{accepts_table, carries_all, is_as_posted, wire_terms};
use crate::protocol::{NegoId, ProtocolError};

mod actions;
mod book;

pub use actions::DealAction;
pub use book::{IntentBook, MAX_THREADS, Quote};

/// Counters allowed per thread, both sides together (reference round cap).
pub const MAX_COUNTERS: u8 = 8;
/// Incoming envelopes one thread will record before refusing more (bounds the replay ledger).
/// Chat messages are not part of the ledger (the app keeps them, de-duplicated by event id).
pub const MAX_INCOMING_PER_THREAD: usize = 512;
/// How many times we answer a duplicate accept on a confirmed deal by re-sending ours (the
/// reference re-sends its accept whenever it sees a duplicate of ours: without a bound two
/// clients would answer each other forever).
pub const MAX_ACCEPT_RESENDS: u8 = 3;

/// Order of the deal stages (a stage only ever advances).
pub fn stage_rank(s: Option<Stage>) -> u8 {
    match s {
        None => 0,
        Some(Stage::PickedUp) => 1,
        Some(Stage::Completed) => 2,
    }
}

/// Which side of a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Side {
    /// This device's user.
    Us,
    /// The counterparty.
    Them,
}

/// Our role in a thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Role {
    /// We authored the intent and receive quotes.
    Owner,
    /// We responded to someone's intent.
    Responder,
}

/// Per-party negotiation state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum State {
    /// Terms on the table, nobody has accepted them (counters keep it open).
    Open,
    /// We accepted the terms on the table; waiting for theirs.
    AcceptedByUs,
    /// They accepted the terms on the table; waiting for ours.
    AcceptedByThem,
    /// Both accepted the same terms.
    Confirmed,
    /// A confirmed deal one side asked to cancel; `by` asked.
    CancelRequested {
        /// Who asked.
        by: Side,
    },
    /// The meet code was co-signed. Never reversed by any message.
    Met,
    /// Done. Terminal.
    Completed,
    /// Cancelled. Terminal.
    Cancelled,
    /// The intent expired before confirmation. Terminal.
    Expired,
}

impl State {
    /// `true` for states nothing can leave: completed, cancelled, expired.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled | Self::Expired)
    }

    /// `true` once the parties met (met or completed): no message reverses it.
    pub fn is_met(self) -> bool {
        matches!(self, Self::Met | Self::Completed)
    }

    /// `true` for confirmed and every state that follows a confirmation (cancel request, met,
    /// completed).
    pub fn is_confirmed_or_later(self) -> bool {
        matches!(
            self,
            Self::Confirmed | Self::CancelRequested { .. } | Self::Met | Self::Completed
        )
    }

    /// `true` before confirmation (open or one accept): these expire with the intent.
    pub fn is_unconfirmed(self) -> bool {
        matches!(self, Self::Open | Self::AcceptedByUs | Self::AcceptedByThem)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Self::Open => "open",
            Self::AcceptedByUs => "accepted_by_us",
            Self::AcceptedByThem => "accepted_by_them",
            Self::Confirmed => "confirmed",
            Self::CancelRequested { by: Side::Us } => "cancel_requested(by us)",
            Self::CancelRequested { by: Side::Them } => "cancel_requested(by them)",
            Self::Met => "met",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
            Self::Expired => "expired",
        };
        f.write_str(s)
    }
}

/// A contact as revealed in an accept: the contact string plus (our extension) the commitment
/// salt.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ContactCard {
    /// The reference contact string (`"<name> · <phone>[ · 🚗 …]"`).
    pub contact: String,
    /// The salt of our published phone commitment, if we publish one.
    pub salt: Option<ContactSalt>,
}

/// What the public intent says, as far as negotiation is concerned.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntentInfo {
    /// The intent event id.
    pub intent_id: EventId,
    /// The intent's `d`.
    pub d: String,
    /// The intent author (owner).
    pub author: PublicKey,
    /// The market (`t` tag).
    pub market: String,
    /// The standing proposal: the terms the intent offers.
    pub terms: Terms,
    /// The intent's expiration (unix seconds).
    pub expires_at: u64,
    /// The intent's client confirms only when both sides accepted the same terms (our `caps`
    /// tag `accept2`). Without it the intent comes from the reference, whose client confirms on
    /// a single accept of its proposal: our accept of its terms then confirms for us too.
    #[serde(default)]
    pub double_accept: bool,
}

/// Something the caller must do (or show) after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Encrypt and send this envelope to the counterparty.
    Send(Box<Envelope>),
    /// The state changed.
    StateChanged {
        /// Before.
        from: State,
        /// After.
        to: State,
    },
    /// New terms are on the table.
    TermsChanged {
        /// The complete terms now on the table.
        terms: Terms,
        /// Who proposed them.
        by: Side,
    },
    /// The deal is confirmed on `terms`; here is the counterparty's contact.
    Confirmed {
        /// The agreed terms.
        terms: Terms,
        /// Their contact string.
        their_contact: String,
        /// Their commitment salt, if they sent one.
        their_contact_salt: Option<ContactSalt>,
    },
    /// Publish our receipt half now (the reference does so on confirmation; so do we).
    PublishReceipt,
    /// They accepted terms that are not on the table (crossed with a counter): nothing changed.
    StaleAccept {
        /// The terms their accept carried (`None`: it carried none).
        their_terms: Option<Terms>,
    },
    /// The thread was cancelled.
    Cancelled {
        /// Who cancelled.
        by: Side,
        /// The reason given.
        reason: Option<String>,
        /// `true` for the owner's "Filled — taken by another offer".
        filled: bool,
    },
    /// Their contact arrived after the deal was confirmed (the reference's "contact backflow"
    /// accept, or a late accept after a single-accept confirmation).
    ContactReceived {
        /// Their contact string.
        contact: String,
        /// Their commitment salt, if they sent one.
        salt: Option<ContactSalt>,
    },
    /// A chat message arrived.
    Chat {
        /// The text.
        text: String,
    },
    /// They reported the deal's progress.
    PeerStatus {
        /// Their stage.
        stage: Stage,
    },
}

impl Effect {
    fn send(env: Envelope) -> Self {
        Self::Send(Box::new(env))
    }
}

/// Why an incoming envelope or a local action was refused. The thread state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NegotiationError {
    #[error("malformed: {0}")]
    Protocol(#[from] ProtocolError),
    #[error("sender {sender} is not a party of negotiation {nego} (injection refused)")]
    NotAParty { sender: String, nego: String },
    #[error("envelope is from our own key (a copy to self), not from the counterparty")]
    FromSelf,
    #[error("envelope negotiation id {found} does not match this thread {expected}")]
    NegoMismatch { expected: String, found: String },
    #[error("envelope `{field}` is {found}, but the intent says {expected}")]
    IntentMismatch {
        field: &'static str,
        expected: String,
        found: String,
    },
    #[error("the negotiation is {state}; terminal states never change")]
    Terminal { state: State },
    #[error("the negotiation is {state}; `{action}` cannot reverse a met deal")]
    Irreversible { state: State, action: &'static str },
    #[error("`{action}` is not allowed while {state}")]
    NotAllowed { action: &'static str, state: State },
    #[error("the round cap of {cap} counters (both sides together) is reached")]
    RoundCapReached { cap: u8 },
    #[error("the terms on the table are our own proposal; wait for their answer")]
    NotYourTurn,
    #[error("the counter proposes the terms already on the table")]
    NoChange,
    #[error("the intent expired at {expires_at} (now {now})")]
    Expired { expires_at: u64, now: u64 },
    #[error("more than {limit} incoming envelopes on one thread")]
    TooManyMessages { limit: usize },
    #[error("contact: {rule}")]
    InvalidContact { rule: &'static str },
    #[error("no thread {nego} on this intent")]
    UnknownThread { nego: String },
    #[error("a new thread must open with a counter or an accept, not {kind}")]
    BadOpening { kind: EnvelopeType },
    #[error("this intent already has {limit} threads")]
    ThreadLimit { limit: usize },
    #[error("thread {nego} is already picked on this intent")]
    AlreadyPicked { nego: String },
}

/// One party's state of one negotiation thread.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Negotiation {
    nego: NegoId,
    role: Role,
    intent_id: EventId,
    market: String,
    expires_at: u64,
    state: State,
    /// Terms on the table (normalized, complete).
    table: Terms,
    /// Who put the table terms there (the intent counts as the owner's proposal).
    proposed_by: Side,
    counters: u8,
    /// Terms both sides accepted (set on confirmation, never changed afterwards).
    confirmed_terms: Option<Terms>,
    /// The contact we sent in our accept (re-sent on a duplicate accept).
    our_card: Option<ContactCard>,
    their_card: Option<ContactCard>,
    /// Contact to accept with automatically when they accept terms we proposed.
    auto_accept: Option<ContactCard>,
    peer_stage: Option<Stage>,
    /// The stage we reported (`status`).
    #[serde(default)]
    our_stage: Option<Stage>,
    cancel_reason: Option<String>,
    cancelled_by: Option<Side>,
    /// The contact the reference puts in its counters (kept private until confirmation).
    #[serde(default)]
    their_offer_card: Option<ContactCard>,
    /// The counterparty's client confirms on a single accept of its proposal (the reference):
    /// our accept of its terms confirms for us too, since no second accept will come.
    #[serde(default)]
    single_accept_peer: bool,
    /// Keys whose value on the table came from a counter (either side's): an accept must carry
    /// them; only keys still at the intent's standing value may be left out.
    #[serde(default)]
    countered_keys: Vec<String>,
    /// How many duplicate accepts on the confirmed deal we answered with ours.
    #[serde(default)]
    accepts_resent: u8,
    /// Replay ledger: event ids applied.
    seen_events: BTreeSet<EventId>,
    /// Replay ledger: (type, ts) applied from the counterparty.
    seen_type_ts: BTreeSet<(EnvelopeType, u64)>,
    /// Last `ts` we used per type, so two sends of a type never share a `ts`.
    last_sent_ts: BTreeMap<EnvelopeType, u64>,
}

impl Negotiation {
    /// Our thread as a responder to `intent` with our key `us`.
    pub fn new_responder(intent: &IntentInfo, us: PublicKey) -> Result<Self, NegotiationError> {
        let nego = NegoId::new(&intent.d, intent.author, us)?;
        Ok(Self::with(nego, Role::Responder, intent))
    }

    /// Our thread as the owner of `intent` with `responder`.
    pub fn new_owner(intent: &IntentInfo, responder: PublicKey) -> Result<Self, NegotiationError> {
        let nego = NegoId::new(&intent.d, intent.author, responder)?;
        Ok(Self::with(nego, Role::Owner, intent))
    }

    fn with(nego: NegoId, role: Role, intent: &IntentInfo) -> Self {
        Self {
            nego,
            role,
            intent_id: intent.intent_id,
            market: intent.market.clone(),
            expires_at: intent.expires_at,
            state: State::Open,
            table: intent.terms.normalized(),
            proposed_by: match role {
                Role::Owner => Side::Us,
                Role::Responder => Side::Them,
            },
            counters: 0,
            confirmed_terms: None,
            our_card: None,
            their_card: None,
            auto_accept: None,
            peer_stage: None,
            our_stage: None,
            cancel_reason: None,
            cancelled_by: None,
            their_offer_card: None,
            single_accept_peer: role == Role::Responder && !intent.double_accept,
            countered_keys: Vec::new(),
            accepts_resent: 0,
            seen_events: BTreeSet::new(),
            seen_type_ts: BTreeSet::new(),
            last_sent_ts: BTreeMap::new(),
        }
    }

    /// When they accept terms *we* proposed, accept back automatically with `card` (the
    /// reference behaviour: a single accept on your own proposal confirms). `None` turns it off.
    pub fn set_auto_accept(&mut self, card: Option<ContactCard>) -> Result<(), NegotiationError> {
        if let Some(c) = &card {
            validate_card(c)?;
        }
        self.auto_accept = card;
        Ok(())
    }

    /// The negotiation id.
    /// The intent this thread negotiates.
    pub fn intent_id(&self) -> EventId {
        self.intent_id
    }

    /// The market (topic) of the intent.
    pub fn market(&self) -> &str {
        &self.market
    }

    pub fn nego(&self) -> &NegoId {
        &self.nego
    }
    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Current state.
    pub fn state(&self) -> State {
        self.state
    }
    /// The complete terms on the table.
    pub fn terms(&self) -> &Terms {
        &self.table
    }
    /// Who proposed the terms on the table.
    pub fn proposed_by(&self) -> Side {
        self.proposed_by
    }
    /// Counters used so far (both sides).
    pub fn counters_used(&self) -> u8 {
        self.counters
    }
    /// Counters left before the cap (for UIs).
    pub fn rounds_left(&self) -> u8 {
        MAX_COUNTERS.saturating_sub(self.counters)
    }
    /// The confirmed terms, once confirmed.
    pub fn confirmed_terms(&self) -> Option<&Terms> {
        self.confirmed_terms.as_ref()
    }
    /// Their contact: from their accept, else from a counter (the reference sends it there).
    /// The caller shows it only once the deal is confirmed.
    pub fn their_contact(&self) -> Option<&ContactCard> {
        self.their_card.as_ref().or(self.their_offer_card.as_ref())
    }
    /// The last stage they reported.
    pub fn peer_stage(&self) -> Option<Stage> {
        self.peer_stage
    }
    /// The last stage we reported.
    pub fn our_stage(&self) -> Option<Stage> {
        self.our_stage
    }
    /// The furthest stage either side reported.
    pub fn stage(&self) -> Option<Stage> {
        if stage_rank(self.peer_stage) > stage_rank(self.our_stage) {
            self.peer_stage
        } else {
            self.our_stage
        }
    }
    /// `true` when their client confirms on a single accept (the reference).
    pub fn single_accept_peer(&self) -> bool {
        self.single_accept_peer
    }
    /// `true` once either side reported the deal completed: like a met deal, nothing reverses it
    /// (the reference refuses cancels "unless the stage is completed").
    fn done(&self) -> bool {
        self.state.is_met() || self.stage() == Some(Stage::Completed)
    }
    /// Why and by whom it was cancelled.
    pub fn cancellation(&self) -> Option<(Side, Option<&str>)> {
        self.cancelled_by
            .map(|s| (s, self.cancel_reason.as_deref()))
    }
    /// The intent's expiration.
    pub fn expires_at(&self) -> u64 {
        self.expires_at
    }
    /// The counterparty's key.
    pub fn counterparty(&self) -> PublicKey {
        match self.role {
            Role::Owner => self.nego.responder(),
            Role::Responder => self.nego.author(),
        }
    }
    fn us(&self) -> PublicKey {
        match self.role {
            Role::Owner => self.nego.author(),
            Role::Responder => self.nego.responder(),
        }
    }

    // -----------------------------------------------------------------------------------------
    // Clock
    // -----------------------------------------------------------------------------------------

    /// Expires an unconfirmed negotiation once `now` reaches the intent's expiration.
    pub fn tick(&mut self, now: u64) -> Vec<Effect> {
        let mut fx = Vec::new();
        if now >= self.expires_at && self.state.is_unconfirmed() {
            self.set_state(State::Expired, &mut fx);
        }
        fx
    }

    // -----------------------------------------------------------------------------------------
    // Incoming
    // -----------------------------------------------------------------------------------------

    /// Applies an envelope received from `sender` in event `event_id` (the DM's id, already
    /// signature-checked by the relay layer). Checks the sender is the counterparty and the id
    /// matches this thread (injection), drops replays (same event id, or same (type, ts)),
    /// enforces expiry, then applies the message. On `Err` the thread is unchanged; only the replay
    /// ledger records an envelope that passed the origin checks (so its replay is a no-op too).
    pub fn apply_incoming(
        &mut self,
        sender: PublicKey,
        env: &Envelope,
        event_id: EventId,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        self.check_origin(sender, env)?;
        if env.kind == EnvelopeType::Chat {
            // Chat changes no state; the app keeps it de-duplicated by event id. Two chats in the
            // same second are two messages, and a long conversation must not fill the ledger.
            self.refuse_if_dead("chat")?;
            return Ok(vec![Effect::Chat {
                text: env.text.clone().unwrap_or_default(),
            }]);
        }
        // Two status reports in one second ("picked up", then "completed") are two messages:
        // a status with a seen (type, ts) is a replay unless it would advance the stage of a
        // thread that takes statuses.
        let new_stage = env.kind == EnvelopeType::Status
            && !matches!(self.state, State::Cancelled | State::Expired)
            && stage_rank(env.stage) > stage_rank(self.peer_stage);
        let same_type_ts = self.seen_type_ts.contains(&(env.kind, env.ts)) && !new_stage;
        if self.seen_events.contains(&event_id) || same_type_ts {
            return Ok(Vec::new());
        }
        if self.seen_events.len() >= MAX_INCOMING_PER_THREAD {
            return Err(NegotiationError::TooManyMessages {
                limit: MAX_INCOMING_PER_THREAD,
            });
        }
        let expired = self.tick(now);
        let result = if expired.is_empty() {
            self.dispatch(env, now)
        } else {
            // The thread expired just now; the message arrived too late to matter.
            Ok(expired)
        };
        // Recorded even when refused by the state machine, so a replay of a refused envelope
        // can never apply later (e.g. an old cancel_agree against a new cancel request).
        self.seen_events.insert(event_id);
        self.seen_type_ts.insert((env.kind, env.ts));
        result
    }

    fn check_origin(&self, sender: PublicKey, env: &Envelope) -> Result<(), NegotiationError> {
        if env.nego != self.nego {
            return Err(NegotiationError::NegoMismatch {
                expected: self.nego.to_string(),
                found: env.nego.to_string(),
            });
        }
        if sender == self.us() {
            return Err(NegotiationError::FromSelf);
        }
        if sender != self.counterparty() {
            return Err(NegotiationError::NotAParty {
                sender: sender.to_hex(),
                nego: self.nego.to_string(),
            });
        }
        if env.intent_id != self.intent_id {
            return Err(NegotiationError::IntentMismatch {
                field: "intent_id",
                expected: self.intent_id.to_hex(),
                found: env.intent_id.to_hex(),
            });
        }
        if env.market != self.market {
            return Err(NegotiationError::IntentMismatch {
                field: "market",
                expected: self.market.clone(),
                found: crate::protocol::excerpt(&env.market),
            });
        }
        Ok(())
    }

    fn dispatch(&mut self, env: &Envelope, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        match env.kind {
            EnvelopeType::Counter => self.on_counter(env),
            EnvelopeType::Accept => self.on_accept(env, now),
            EnvelopeType::Cancel => self.on_cancel(env),
            EnvelopeType::Chat => {
                self.refuse_if_dead("chat")?;
                Ok(vec![Effect::Chat {
                    text: env.text.clone().unwrap_or_default(),
                }])
            }
            EnvelopeType::CancelRequest => self.on_cancel_request(env, now),
            EnvelopeType::CancelAgree => self.on_cancel_answer(true),
            EnvelopeType::CancelDecline => self.on_cancel_answer(false),
            EnvelopeType::Status => {
                self.refuse_if_dead("status")?;
                let Some(stage) = env.stage else {
                    return Err(ProtocolError::MissingField { field: "stage" }.into());
                };
                // A stage only advances: relays may deliver an old `picked_up` after `completed`.
                if stage_rank(Some(stage)) <= stage_rank(self.peer_stage) {
                    return Ok(Vec::new());
                }
                self.peer_stage = Some(stage);
                Ok(vec![Effect::PeerStatus { stage }])
            }
        }
    }

    fn on_counter(&mut self, env: &Envelope) -> Result<Vec<Effect>, NegotiationError> {
        self.refuse_after_confirm("counter")?;
        if self.counters >= MAX_COUNTERS {
            return Err(NegotiationError::RoundCapReached { cap: MAX_COUNTERS });
        }
        let Some(patch) = &env.terms else {
            return Err(ProtocolError::MissingField { field: "terms" }.into());
        };
        // The reference puts its contact in its counters (a firm offer: its client confirms as
        // soon as we accept, and sends no second accept). Kept private until confirmation.
        let offer_card = match &env.contact {
            Some(c) => {
                let card = ContactCard {
                    contact: c.clone(),
                    salt: None,
                };
                validate_card(&card)?;
                Some(card)
            }
            None => None,
        };
        // The reference sends partial counters: merge them into the terms on the table.
        let mut fx = Vec::new();
        let next = patch.merged_onto(&self.table);
        self.note_countered(&Terms::diff(&self.table, &next));
        self.table = next;
        self.proposed_by = Side::Them;
        self.counters = self.counters.saturating_add(1);
        if let Some(card) = offer_card {
            self.their_offer_card = Some(card);
            self.single_accept_peer = true;
        }
        fx.push(Effect::TermsChanged {
            terms: self.table.clone(),
            by: Side::Them,
        });
        // A counter voids any pending accept on either side.
        self.set_state(State::Open, &mut fx);
        Ok(fx)
    }

    fn on_accept(&mut self, env: &Envelope, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        if self.state.is_terminal() && self.state != State::Completed {
            return Err(NegotiationError::Terminal { state: self.state });
        }
        let card = ContactCard {
            contact: env.contact.clone().unwrap_or_default(),
            salt: env.contact_salt,
        };
        validate_card(&card)?;
        let stale = || {
            Ok(vec![Effect::StaleAccept {
                their_terms: env.terms.clone(),
            }])
        };
        let Some(their_terms) = env.terms.as_ref() else {
            // We cannot tell which terms a terms-less accept meant: never confirm on a guess.
            return stale();
        };
        match self.state {
            State::Met | State::Completed => Ok(Vec::new()),
            State::Confirmed | State::CancelRequested { .. } => {
                let same = self
                    .confirmed_terms
                    .as_ref()
                    .is_some_and(|t| accepts_table(t, their_terms));
                if !same {
                    return stale();
                }
                if self.their_card.is_none() {
                    // Their first accept after we confirmed on a single accept (the reference's
                    // automatic "contact backflow"): it carries their contact; nothing to answer.
                    self.their_card = Some(card.clone());
                    return Ok(vec![Effect::ContactReceived {
                        contact: card.contact,
                        salt: card.salt,
                    }]);
                }
                // A duplicate accept on a confirmed deal means "send yours again" — a bounded
                // number of times, since the reference answers our re-sent accept with its own.
                match self.our_card.clone() {
                    Some(our) if self.accepts_resent < MAX_ACCEPT_RESENDS => {
                        self.accepts_resent = self.accepts_resent.saturating_add(1);
                        let terms = self.confirmed_terms.clone().unwrap_or_default();
                        Ok(vec![Effect::send(self.accept_envelope(terms, our, now))])
                    }
                    _ => Ok(Vec::new()),
                }
            }
            State::Open | State::AcceptedByUs | State::AcceptedByThem => {
                if !self.accept_names_table(their_terms) {
                    return stale();
                }
                let mut fx = Vec::new();
                self.their_card = Some(card);
                match self.state {
                    State::AcceptedByUs => self.confirm(&mut fx),
                    State::Open => {
                        self.set_state(State::AcceptedByThem, &mut fx);
                        if self.proposed_by == Side::Us
                            && let Some(our) = self.auto_accept.clone()
                        {
                            fx.push(Effect::send(self.accept_envelope(
                                self.table.clone(),
                                our.clone(),
                                now,
                            )));
                            self.our_card = Some(our);
                            self.confirm(&mut fx);
                        }
                    }
                    // AcceptedByThem: a duplicate of their accept; nothing new.
                    _ => {}
                }
                Ok(fx)
            }
            // Cancelled / Expired handled above.
            State::Cancelled | State::Expired => {
                Err(NegotiationError::Terminal { state: self.state })
            }
        }
    }

    /// Whether an accept of `accepted` means the terms on the table (read tolerantly):
    /// - "as posted" (the reference agent) means the intent's standing terms, so only while
    ///   nobody has countered;
    /// - otherwise every key it carries must match the table (places by name, windows by start,
    ///   amounts by value: the reference app repeats only what its user saw, in its own format);
    /// - and it may leave out only keys still at the intent's standing value: every key a
    ///   counter (either side's) set must be in it. An accept written before a counter reached
    ///   its sender lacks that counter's keys (or has the old values) and stays stale, even when
    ///   it is otherwise a subset of the table. The reference's own accepts carry every key its
    ///   counters touched (it merges them all into the terms it accepts).
    fn accept_names_table(&self, accepted: &Terms) -> bool {
        if is_as_posted(accepted) && self.counters > 0 {
            return false;
        }
        accepts_table(&self.table, accepted) && carries_all(accepted, &self.countered_keys)
    }

    /// Records the keys a counter set (and forgets those it removed).
    fn note_countered(&mut self, diff: &Terms) {
        for (k, v) in diff.iter() {
            if v.is_null() {
                self.countered_keys.retain(|o| o != k);
            } else if !self.countered_keys.contains(k) {
                self.countered_keys.push(k.clone());
            }
        }
    }

    fn on_cancel(&mut self, env: &Envelope) -> Result<Vec<Effect>, NegotiationError> {
        self.refuse_if_final("cancel")?;
        let mut fx = Vec::new();
        self.cancelled_by = Some(Side::Them);
        self.cancel_reason = env.reason.clone();
        self.set_state(State::Cancelled, &mut fx);
        fx.push(Effect::Cancelled {
            by: Side::Them,
            reason: env.reason.clone(),
            filled: env.is_filled(),
        });
        Ok(fx)
    }

    fn on_cancel_request(
        &mut self,
        env: &Envelope,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        self.refuse_if_final("cancel_request")?;
        let mut fx = Vec::new();
        match self.state {
            State::Confirmed => self.set_state(State::CancelRequested { by: Side::Them }, &mut fx),
            State::CancelRequested { by: Side::Them } => {}
            // Both asked: nobody wants the deal any more.
            State::CancelRequested { by: Side::Us } => {
                self.cancelled_by = Some(Side::Them);
                self.cancel_reason = env.reason.clone();
                self.set_state(State::Cancelled, &mut fx);
                fx.push(Effect::Cancelled {
                    by: Side::Them,
                    reason: env.reason.clone(),
                    filled: false,
                });
            }
            // Nothing is confirmed yet, so either side may leave anyway: agree on the user's
            // behalf (the reference may believe a single accept confirmed the deal).
            _ => {
                let reply = self.envelope(EnvelopeType::CancelAgree, now);
                fx.push(Effect::send(reply));
                self.cancelled_by = Some(Side::Them);
                self.cancel_reason = env.reason.clone();
                self.set_state(State::Cancelled, &mut fx);
                fx.push(Effect::Cancelled {
                    by: Side::Them,
                    reason: env.reason.clone(),
                    filled: false,
                });
            }
        }
        Ok(fx)
    }

    fn on_cancel_answer(&mut self, agree: bool) -> Result<Vec<Effect>, NegotiationError> {
        let action = if agree {
            "cancel_agree"
        } else {
            "cancel_decline"
        };
        self.refuse_if_final(action)?;
        if self.state != (State::CancelRequested { by: Side::Us }) {
            return Err(NegotiationError::NotAllowed {
                action,
                state: self.state,
            });
        }
        let mut fx = Vec::new();
        if agree {
            self.cancelled_by = Some(Side::Us);
            self.set_state(State::Cancelled, &mut fx);
            fx.push(Effect::Cancelled {
                by: Side::Us,
                reason: self.cancel_reason.clone(),
                filled: false,
            });
        } else {
            self.cancel_reason = None;
            self.set_state(State::Confirmed, &mut fx);
        }
        Ok(fx)
    }

    // -----------------------------------------------------------------------------------------
    // Local actions
    // -----------------------------------------------------------------------------------------

    /// Proposes a change to the terms on the table: `changes` is merged onto them like the
    /// reference merges a counter (`{...table, ...changes}`; a `null` removes a key), and only
    /// what actually changed is sent — so a counter of `{"payment":"SGD 15"}` keeps the route
    /// and the time on both sides. Uses one of the 8 rounds.
    pub fn counter(&mut self, changes: Terms, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        self.local_preamble(now)?;
        self.check(DealAction::Counter, now)?;
        let next = changes.merged_onto(&self.table);
        if next.same_deal(&self.table) {
            return Err(NegotiationError::NoChange);
        }
        let diff = Terms::diff(&self.table, &next);
        let mut env = self.envelope(EnvelopeType::Counter, now);
        env.terms = Some(wire_terms(&diff));
        crate::protocol::envelope::build_envelope(&env)?;
        let mut fx = vec![Effect::send(env)];
        self.note_countered(&diff);
        self.table = next;
        self.proposed_by = Side::Us;
        self.counters = self.counters.saturating_add(1);
        fx.push(Effect::TermsChanged {
            terms: self.table.clone(),
            by: Side::Us,
        });
        self.set_state(State::Open, &mut fx);
        Ok(fx)
    }

    /// Accepts the terms on the table, revealing our contact (the only message that carries it).
    /// Confirms if they already accepted the same terms.
    pub fn accept(
        &mut self,
        contact: impl Into<String>,
        contact_salt: Option<ContactSalt>,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        let card = ContactCard {
            contact: contact.into(),
            salt: contact_salt,
        };
        validate_card(&card)?;
        self.local_preamble(now)?;
        self.check(DealAction::Accept, now)?;
        let mut fx = Vec::new();
        match self.state {
            State::Open => {
                fx.push(Effect::send(self.accept_envelope(
                    self.table.clone(),
                    card.clone(),
                    now,
                )));
                self.our_card = Some(card);
                if self.single_accept_peer {
                    // They proposed these terms and their client confirms on our accept without
                    // answering it: waiting for a second accept would wait forever.
                    self.confirm(&mut fx);
                } else {
                    self.set_state(State::AcceptedByUs, &mut fx);
                }
            }
            State::AcceptedByThem => {
                fx.push(Effect::send(self.accept_envelope(
                    self.table.clone(),
                    card.clone(),
                    now,
                )));
                self.our_card = Some(card);
                self.confirm(&mut fx);
            }
            state => {
                return Err(NegotiationError::NotAllowed {
                    action: "accept",
                    state,
                });
            }
        }
        Ok(fx)
    }

    /// Cancels unilaterally (any non-terminal state before `met`).
    pub fn cancel(
        &mut self,
        reason: Option<String>,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        self.check(DealAction::Cancel, now)?;
        let mut env = self.envelope(EnvelopeType::Cancel, now);
        env.reason = reason.clone();
        crate::protocol::envelope::build_envelope(&env)?;
        let filled = env.is_filled();
        let mut fx = vec![Effect::send(env)];
        self.cancelled_by = Some(Side::Us);
        self.cancel_reason = reason.clone();
        self.set_state(State::Cancelled, &mut fx);
        fx.push(Effect::Cancelled {
            by: Side::Us,
            reason,
            filled,
        });
        Ok(fx)
    }

    /// Asks the counterparty to agree to cancel a confirmed deal.
    pub fn request_cancel(
        &mut self,
        reason: Option<String>,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        self.check(DealAction::RequestCancel, now)?;
        let mut env = self.envelope(EnvelopeType::CancelRequest, now);
        env.reason = reason.clone();
        crate::protocol::envelope::build_envelope(&env)?;
        let mut fx = vec![Effect::send(env)];
        self.cancel_reason = reason;
        self.set_state(State::CancelRequested { by: Side::Us }, &mut fx);
        Ok(fx)
    }

    /// Agrees to their cancel request: the deal is cancelled.
    pub fn agree_cancel(&mut self, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        self.answer_cancel(true, now)
    }

    /// Declines their cancel request: the deal stays confirmed.
    pub fn decline_cancel(&mut self, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        self.answer_cancel(false, now)
    }

    fn answer_cancel(&mut self, agree: bool, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        let (action, kind) = if agree {
            (DealAction::AgreeCancel, EnvelopeType::CancelAgree)
        } else {
            (DealAction::DeclineCancel, EnvelopeType::CancelDecline)
        };
        self.check(action, now)?;
        let mut fx = vec![Effect::send(self.envelope(kind, now))];
        if agree {
            self.cancelled_by = Some(Side::Them);
            self.set_state(State::Cancelled, &mut fx);
            fx.push(Effect::Cancelled {
                by: Side::Them,
                reason: self.cancel_reason.clone(),
                filled: false,
            });
        } else {
            self.set_state(State::Confirmed, &mut fx);
        }
        Ok(fx)
    }

    /// Records that the meet code was co-signed (confirmed → met); tells them `picked_up`.
    pub fn mark_met(&mut self, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        match self.state {
            State::Confirmed | State::CancelRequested { .. } => {}
            state if state.is_terminal() => return Err(NegotiationError::Terminal { state }),
            state => {
                return Err(NegotiationError::NotAllowed {
                    action: "mark_met",
                    state,
                });
            }
        }
        let mut fx = Vec::new();
        if stage_rank(self.our_stage) < stage_rank(Some(Stage::PickedUp)) {
            let mut env = self.envelope(EnvelopeType::Status, now);
            env.stage = Some(Stage::PickedUp);
            fx.push(Effect::send(env));
            self.our_stage = Some(Stage::PickedUp);
        }
        self.set_state(State::Met, &mut fx);
        Ok(fx)
    }

    /// Records that the deal is done; tells them `completed`. From `met` (code co-signed), or
    /// straight from `confirmed` for a deal with a peer that has no meet code (the reference):
    /// either way nothing reverses it afterwards.
    pub fn mark_completed(&mut self, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        self.mark_stage(Stage::Completed, now)
    }

    /// Reports the deal's progress (`negotiate.status`), as the reference's "Picked up" /
    /// "Completed" buttons do. `picked_up` is only a report (`met` needs the co-signed code);
    /// `completed` also moves the deal to `completed`. A stage only advances.
    pub fn mark_stage(&mut self, stage: Stage, now: u64) -> Result<Vec<Effect>, NegotiationError> {
        self.check_stage(stage)?;
        let mut env = self.envelope(EnvelopeType::Status, now);
        env.stage = Some(stage);
        let mut fx = vec![Effect::send(env)];
        self.our_stage = Some(stage);
        if stage == Stage::Completed {
            if matches!(self.state, State::CancelRequested { .. }) {
                self.cancel_reason = None;
            }
            self.set_state(State::Completed, &mut fx);
        }
        Ok(fx)
    }

    /// Sends a chat message (any state but cancelled/expired).
    pub fn chat(
        &mut self,
        text: impl Into<String>,
        now: u64,
    ) -> Result<Vec<Effect>, NegotiationError> {
        self.check(DealAction::Chat, now)?;
        let text = text.into();
        if text.trim().is_empty() {
            return Err(ProtocolError::field("text", "is empty").into());
        }
        let mut env = self.envelope(EnvelopeType::Chat, now);
        env.text = Some(text);
        crate::protocol::envelope::build_envelope(&env)?;
        Ok(vec![Effect::send(env)])
    }

    // -----------------------------------------------------------------------------------------
    // Helpers
    // -----------------------------------------------------------------------------------------

    fn confirm(&mut self, fx: &mut Vec<Effect>) {
        self.confirmed_terms = Some(self.table.clone());
        self.set_state(State::Confirmed, fx);
        let their = self.their_contact().cloned().unwrap_or(ContactCard {
            contact: String::new(),
            salt: None,
        });
        fx.push(Effect::Confirmed {
            terms: self.table.clone(),
            their_contact: their.contact,
            their_contact_salt: their.salt,
        });
        fx.push(Effect::PublishReceipt);
    }

    fn set_state(&mut self, to: State, fx: &mut Vec<Effect>) {
        let from = self.state;
        if from != to {
            self.state = to;
            fx.push(Effect::StateChanged { from, to });
        }
    }

    /// Expiry and terminal checks shared by counter/accept.
    fn local_preamble(&mut self, now: u64) -> Result<(), NegotiationError> {
        if self.state.is_terminal() {
            return Err(NegotiationError::Terminal { state: self.state });
        }
        if now >= self.expires_at && self.state.is_unconfirmed() {
            let _ = self.tick(now);
            return Err(NegotiationError::Expired {
                expires_at: self.expires_at,
                now,
            });
        }
        Ok(())
    }

    /// Refuses in terminal states and after `met` (what cancels must never touch).
    fn refuse_if_final(&self, action: &'static str) -> Result<(), NegotiationError> {
        match self.state {
            s if s.is_terminal() && !s.is_met() => Err(NegotiationError::Terminal { state: s }),
            _ if self.done() => Err(NegotiationError::Irreversible {
                state: self.state,
                action,
            }),
            _ => Ok(()),
        }
    }

    /// Refuses in cancelled/expired threads (chat and status still flow after completion).
    fn refuse_if_dead(&self, _action: &'static str) -> Result<(), NegotiationError> {
        match self.state {
            State::Cancelled | State::Expired => {
                Err(NegotiationError::Terminal { state: self.state })
            }
            _ => Ok(()),
        }
    }

    /// Refuses changes of terms after confirmation.
    fn refuse_after_confirm(&self, action: &'static str) -> Result<(), NegotiationError> {
        self.refuse_if_final(action)?;
        if self.state.is_confirmed_or_later() {
            return Err(NegotiationError::NotAllowed {
                action,
                state: self.state,
            });
        }
        Ok(())
    }

    /// A bare envelope of `kind` with a `ts` strictly above the last one we used for that type.
    fn envelope(&mut self, kind: EnvelopeType, now: u64) -> Envelope {
        let last = self.last_sent_ts.get(&kind).copied();
        let ts = match last {
            Some(l) if l >= now => l.saturating_add(1),
            _ => now,
        };
        self.last_sent_ts.insert(kind, ts);
        Envelope::new(
            kind,
            self.nego.clone(),
            self.intent_id,
            self.market.clone(),
            ts,
        )
    }

    fn accept_envelope(&mut self, terms: Terms, card: ContactCard, now: u64) -> Envelope {
        let mut env = self.envelope(EnvelopeType::Accept, now);
        env.terms = Some(wire_terms(&terms));
        env.contact = Some(card.contact);
        env.contact_salt = card.salt;
        env
    }
}

fn validate_card(card: &ContactCard) -> Result<(), NegotiationError> {
    if card.contact.trim().is_empty() {
        return Err(NegotiationError::InvalidContact { rule: "is empty" });
    }
    if card.contact.len() > crate::protocol::envelope::MAX_CONTACT_BYTES {
        return Err(NegotiationError::InvalidContact {
            rule: "is longer than 512 bytes",
        });
    }
    Ok(())
}

/// `true` when `reason` is exactly the owner's "Filled" reason.
pub fn is_filled_reason(reason: Option<&str>) -> bool {
    reason == Some(FILLED_REASON)
}

#[cfg(test)]
mod tests;
