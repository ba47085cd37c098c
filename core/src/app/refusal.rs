//! Why the core refused an action, and why it dropped an incoming message: codes with typed
//! parameters a screen words in the user's language (the CLI's English is `cli/src/english.rs`).
//!
//! The state machine's own errors ([`NegotiationError`]) stay precise for logs and tests; this
//! is the one mapping from them (and from the app's rules) to what a person is told.

use serde::Serialize;

use super::{DealAction, DealState};
use crate::negotiation::NegotiationError;

/// Why an action was refused (`FreeportError::NotPossible`). Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Refusal {
    /// The terms on the table are our own proposal: wait for their answer.
    NotYourTurn,
    /// Both sides together used all `cap` counter-offers of this negotiation.
    NoRoundsLeft {
        /// Counters allowed per negotiation.
        cap: u32,
    },
    /// The counter-offer proposes exactly the terms already on the table.
    NoChange,
    /// The intent expired before the deal was confirmed.
    IntentExpired,
    /// The negotiation is over (`state` is completed, cancelled or expired).
    DealClosed {
        /// Its state.
        state: DealState,
    },
    /// The deal was met in person: nothing undoes that.
    AlreadyMet,
    /// The action does not fit the negotiation's `state` (e.g. a counter after confirming).
    NotNow {
        /// The action refused, when it is one a screen offers.
        action: Option<DealAction>,
        /// The negotiation's state.
        state: DealState,
    },
    /// Another quote on this intent is already picked.
    AlreadyPicked,
    /// The intent already has `limit` negotiations.
    TooManyQuotes {
        /// Most negotiations per intent.
        limit: u32,
    },
    /// This is our own intent.
    OwnIntent,
    /// The intent was withdrawn by its author.
    IntentWithdrawn,
    /// We already negotiate on this intent (the deal is `state`).
    AlreadyResponded {
        /// That negotiation's state.
        state: DealState,
    },
    /// Only the intent's owner may do this (pick a quote, see the quotes).
    OwnerOnly,
    /// Only the intent's author may withdraw it.
    AuthorOnly,
    /// We already rated this deal.
    AlreadyRated,
    /// They never sent a contact, so there is no number to attest.
    NoContactToAttest,
    /// This phone has not shown a meet code for that deal (a return code needs one).
    NoCodeShown,
    /// This device already has an identity.
    IdentityExists,
    /// You blocked the counterparty: nothing is sent to a blocked key.
    Blocked,
    /// A check-in needs a confirmed (or met) deal; this one is `state`.
    CheckinNeedsConfirmedDeal {
        /// The deal's state.
        state: DealState,
    },
    /// This deal already has an open check-in: extend, close or cancel it first.
    CheckinOpen,
    /// This deal has no open check-in (or no check-in at all).
    NoCheckin,
    /// The check-in is over (`state` is safe or cancelled).
    CheckinClosed {
        /// Its state.
        state: crate::checkin::CheckinState,
    },
    /// There is no trusted contact yet: add one first.
    NoTrustedContacts,
    /// `npub` is not one of your trusted contacts.
    NotATrustedContact {
        /// The key given.
        npub: String,
    },
    /// The trusted contact list is full.
    TooManyTrustedContacts {
        /// Most contacts kept.
        max: u32,
    },
    /// A check-in never goes to the person you meet.
    ContactIsCounterparty,
    /// No check-in PINs are set.
    NoCheckinPins,
    /// The PIN is neither of your check-in PINs. Nothing was changed.
    WrongPin,
}

fn u32_of(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The refusal a state-machine error means for the user, if it is one (a malformed envelope,
/// an invalid contact or an unknown thread are not refusals: they map to other error kinds).
pub fn refusal_of(e: &NegotiationError) -> Option<Refusal> {
    Some(match e {
        NegotiationError::NotYourTurn => Refusal::NotYourTurn,
        NegotiationError::RoundCapReached { cap } => Refusal::NoRoundsLeft {
            cap: u32::from(*cap),
        },
        NegotiationError::NoChange => Refusal::NoChange,
        NegotiationError::Expired { .. } => Refusal::IntentExpired,
        NegotiationError::Terminal { state } => Refusal::DealClosed {
            state: (*state).into(),
        },
        NegotiationError::Irreversible { .. } => Refusal::AlreadyMet,
        NegotiationError::NotAllowed { action, state } => Refusal::NotNow {
            action: DealAction::ALL.into_iter().find(|a| a.code() == *action),
            state: (*state).into(),
        },
        NegotiationError::AlreadyPicked { .. } => Refusal::AlreadyPicked,
        NegotiationError::ThreadLimit { limit } => Refusal::TooManyQuotes {
            limit: u32_of(*limit),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiation::State;

    #[test]
    fn state_machine_errors_become_refusal_codes() {
        assert_eq!(
            refusal_of(&NegotiationError::NotYourTurn),
            Some(Refusal::NotYourTurn)
        );
        assert_eq!(
            refusal_of(&NegotiationError::NotAllowed {
                action: "counter",
                state: State::AcceptedByUs
            }),
            Some(Refusal::NotNow {
                action: Some(DealAction::Counter),
                state: DealState::AcceptedByUs
            })
        );
        assert_eq!(
            refusal_of(&NegotiationError::RoundCapReached { cap: 8 }),
            Some(Refusal::NoRoundsLeft { cap: 8 })
        );
        assert_eq!(
            refusal_of(&NegotiationError::UnknownThread { nego: "x".into() }),
            None
        );
        let json = serde_json::to_value(Refusal::DealClosed {
            state: DealState::CancelRequestedByThem,
        })
        .unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "deal_closed", "state": "cancel_requested_by_them"})
        );
    }
}
