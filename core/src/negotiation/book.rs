//! The intent owner's side: every responder's thread on one intent (private quotes), picking one,
//! and the authoritative "Filled — taken by another offer" cancel to the rest.
//!
//! Threads are private by construction: each thread only ever produces envelopes addressed to its
//! own responder, and the only thing another responder learns is the "Filled" cancel.

use std::collections::BTreeMap;

use nostr::{EventId, PublicKey};

use super::{ContactCard, Effect, IntentInfo, Negotiation, NegotiationError, Side, State};
use crate::protocol::NegoId;
use crate::protocol::envelope::{ContactSalt, Envelope, EnvelopeType, FILLED_REASON, Terms};

/// Most responder threads one intent keeps (a flood of openers is refused beyond this).
pub const MAX_THREADS: usize = 256;

/// One responder's quote, for the owner's side-by-side view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quote {
    /// The thread.
    pub nego: NegoId,
    /// The responder.
    pub responder: PublicKey,
    /// The thread's state.
    pub state: State,
    /// The terms on the table in that thread.
    pub terms: Terms,
    /// Who proposed them.
    pub proposed_by: Side,
    /// Counters left.
    pub rounds_left: u8,
}

/// All threads on one intent we own.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IntentBook {
    intent: IntentInfo,
    threads: BTreeMap<NegoId, Negotiation>,
    /// The thread whose confirmation filled the intent.
    filled_by: Option<NegoId>,
    /// Threads changed since the book was built (not persisted; not part of equality).
    #[serde(skip)]
    touched: Touched,
}

/// The ids of threads a book changed, so a caller persists those and not every thread.
#[derive(Debug, Clone, Default)]
struct Touched(std::collections::BTreeSet<NegoId>);

impl PartialEq for Touched {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Touched {}

impl IntentBook {
    /// An empty book for `intent` (we are its author).
    pub fn new(intent: IntentInfo) -> Self {
        Self {
            intent,
            threads: BTreeMap::new(),
            filled_by: None,
            touched: Touched::default(),
        }
    }

    /// The intent.
    /// Rebuilds a book from persisted threads (the store keeps one record per thread). Threads
    /// of another intent are ignored; the filled thread is the confirmed (or later) one.
    pub fn from_threads(intent: IntentInfo, threads: Vec<Negotiation>) -> Self {
        let threads: BTreeMap<NegoId, Negotiation> = threads
            .into_iter()
            .filter(|t| t.intent_id() == intent.intent_id && t.role() == super::Role::Owner)
            .map(|t| (t.nego().clone(), t))
            .collect();
        let filled_by = threads
            .values()
            .find(|t| t.state().is_confirmed_or_later())
            .map(|t| t.nego().clone());
        Self {
            intent,
            threads,
            filled_by,
            touched: Touched::default(),
        }
    }

    pub fn intent(&self) -> &IntentInfo {
        &self.intent
    }

    /// The thread that filled the intent, once one confirmed.
    pub fn filled_by(&self) -> Option<&NegoId> {
        self.filled_by.as_ref()
    }

    /// One thread.
    pub fn thread(&self, nego: &NegoId) -> Option<&Negotiation> {
        self.threads.get(nego)
    }

    /// Every thread.
    pub fn threads(&self) -> impl Iterator<Item = &Negotiation> {
        self.threads.values()
    }

    /// The threads an action or a message changed since the book was built (a superset: a
    /// thread that was tried and refused may be listed; its state is unchanged).
    pub fn touched(&self) -> impl Iterator<Item = &Negotiation> {
        self.touched.0.iter().filter_map(|id| self.threads.get(id))
    }

    /// Forgets which threads changed (after they were persisted).
    pub fn clear_touched(&mut self) {
        self.touched.0.clear();
    }

    /// Every responder's current quote, side by side (owner-only view).
    pub fn quotes(&self) -> Vec<Quote> {
        self.threads
            .values()
            .map(|n| Quote {
                nego: n.nego().clone(),
                responder: n.counterparty(),
                state: n.state(),
                terms: n.terms().clone(),
                proposed_by: n.proposed_by(),
                rounds_left: n.rounds_left(),
            })
            .collect()
    }

    /// Applies an envelope from `sender`. Recomputes the negotiation id from the intent and the
    /// sender and refuses a mismatch (an envelope from a third key, or about another intent); a
    /// new responder's thread is opened by a counter or an accept.
    pub fn apply_incoming(
        &mut self,
        sender: PublicKey,
        env: &Envelope,
        event_id: EventId,
        now: u64,
    ) -> Result<Vec<(NegoId, Effect)>, NegotiationError> {
        if sender == self.intent.author {
            return Err(NegotiationError::FromSelf);
        }
        let expected = NegoId::new(&self.intent.d, self.intent.author, sender)?;
        if env.nego != expected {
            return Err(NegotiationError::NotAParty {
                sender: sender.to_hex(),
                nego: env.nego.to_string(),
            });
        }
        let mut out = Vec::new();
        self.touched.0.insert(expected.clone());
        if let Some(thread) = self.threads.get_mut(&expected) {
            let fx = thread.apply_incoming(sender, env, event_id, now)?;
            out.extend(fx.into_iter().map(|e| (expected.clone(), e)));
        } else {
            if !matches!(env.kind, EnvelopeType::Counter | EnvelopeType::Accept) {
                return Err(NegotiationError::BadOpening { kind: env.kind });
            }
            if self.threads.len() >= MAX_THREADS {
                return Err(NegotiationError::ThreadLimit { limit: MAX_THREADS });
            }
            let mut thread = Negotiation::new_owner(&self.intent, sender)?;
            let fx = thread.apply_incoming(sender, env, event_id, now)?;
            out.extend(fx.into_iter().map(|e| (expected.clone(), e)));
            self.threads.insert(expected, thread);
        }
        self.settle(now, &mut out);
        Ok(out)
    }

    /// Runs a local action on one thread (counter, chat, cancel, mark_met, …), then sends
    /// "Filled" to the other threads if that confirmed the deal.
    pub fn act<F>(
        &mut self,
        nego: &NegoId,
        now: u64,
        f: F,
    ) -> Result<Vec<(NegoId, Effect)>, NegotiationError>
    where
        F: FnOnce(&mut Negotiation) -> Result<Vec<Effect>, NegotiationError>,
    {
        let thread = self
            .threads
            .get_mut(nego)
            .ok_or_else(|| NegotiationError::UnknownThread {
                nego: nego.to_string(),
            })?;
        self.touched.0.insert(nego.clone());
        let fx = f(thread)?;
        let mut out: Vec<(NegoId, Effect)> = fx.into_iter().map(|e| (nego.clone(), e)).collect();
        self.settle(now, &mut out);
        Ok(out)
    }

    /// Picks one responder's quote: accepts the terms on the table in that thread with our
    /// contact. When the thread confirms (now, if they had accepted; otherwise when their accept
    /// arrives) every other open thread receives the "Filled" cancel.
    pub fn pick(
        &mut self,
        nego: &NegoId,
        contact: impl Into<String>,
        contact_salt: Option<ContactSalt>,
        now: u64,
    ) -> Result<Vec<(NegoId, Effect)>, NegotiationError> {
        self.check(nego, super::DealAction::Pick, now)?;
        let card = ContactCard {
            contact: contact.into(),
            salt: contact_salt,
        };
        self.act(nego, now, |n| n.accept(card.contact, card.salt, now))
    }

    /// Expires every unconfirmed thread once the intent expired.
    pub fn tick(&mut self, now: u64) -> Vec<(NegoId, Effect)> {
        let mut out = Vec::new();
        for (id, t) in &mut self.threads {
            let fx = t.tick(now);
            if !fx.is_empty() {
                self.touched.0.insert(id.clone());
            }
            out.extend(fx.into_iter().map(|e| (id.clone(), e)));
        }
        out
    }

    /// Once one thread is confirmed, cancels every other live pre-met thread with "Filled".
    fn settle(&mut self, now: u64, out: &mut Vec<(NegoId, Effect)>) {
        if self.filled_by.is_none() {
            self.filled_by = self
                .threads
                .values()
                .find(|n| n.state().is_confirmed_or_later())
                .map(|n| n.nego().clone());
        }
        let Some(winner) = self.filled_by.clone() else {
            return;
        };
        for (id, t) in &mut self.threads {
            if *id == winner || t.state().is_terminal() || t.state().is_met() {
                continue;
            }
            if let Ok(fx) = t.cancel(Some(FILLED_REASON.to_string()), now) {
                self.touched.0.insert(id.clone());
                out.extend(fx.into_iter().map(|e| (id.clone(), e)));
            }
        }
    }
}
