//! What the local user may do on a thread right now, decided by the same checks the moves run.
//!
//! [`Negotiation::check`] is the one legality test of every user move: `counter`, `accept`,
//! `cancel`, `request_cancel`, `agree_cancel` and `decline_cancel` call it before acting, the app
//! calls it before showing or scanning a meet code and before rating. [`Negotiation::actions`]
//! is simply every [`DealAction`] whose check passes, so a screen that offers exactly these
//! buttons never offers a move the core would refuse, and never hides one it would accept
//! (`core/tests/negotiation_props.rs` checks both over random reachable states).
//!
//! The owner's side goes through [`IntentBook::actions`]: accepting a quote is a *pick* there,
//! refused while another quote is picked. A refusal names the move by its [`DealAction::code`]
//! (`NotAllowed { action: "counter", .. }`), so the app can say which move was refused.

use super::{
    IntentBook, MAX_COUNTERS, Negotiation, NegotiationError, Role, Side, State, stage_rank,
};
use crate::protocol::NegoId;
use crate::protocol::envelope::Stage;

/// A move the local user can make on a deal, as offered to the UI (`DealView.actions`).
///
/// The serde names are the stable codes (`accept`, `request_cancel`, …) the CLI's `--json`
/// prints and translations key on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
    uniffi::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum DealAction {
    /// Accept the terms on the table (responder; reveals our contact, may confirm).
    Accept,
    /// Owner: accept this responder's quote (confirms it, or waits for their accept); the other
    /// quotes get "Filled" once it confirms.
    Pick,
    /// Propose other terms (uses one of the shared rounds).
    Counter,
    /// Leave the negotiation (any state before met).
    Cancel,
    /// Ask the other side to agree to cancel a confirmed deal.
    RequestCancel,
    /// Agree to their request to cancel: the deal is cancelled.
    AgreeCancel,
    /// Decline their request to cancel: the deal stays confirmed.
    DeclineCancel,
    /// Show the single-use meet code (confirmed deal).
    ShowCode,
    /// Scan the other phone's meet code (confirmed deal).
    ScanCode,
    /// Rate the counterparty (confirmed or met deal, not rated yet).
    Rate,
    /// Send a chat message in the deal (any state but cancelled or expired).
    Chat,
    /// Tell them the goods or the passenger were picked up (`negotiate.status`, confirmed deal).
    MarkPickedUp,
    /// Tell them the deal is done (`negotiate.status` `completed`; nothing reverses it).
    MarkCompleted,
}

impl DealAction {
    /// Every action, in the order screens show them.
    pub const ALL: [DealAction; 13] = [
        DealAction::Accept,
        DealAction::Pick,
        DealAction::Counter,
        DealAction::Cancel,
        DealAction::RequestCancel,
        DealAction::AgreeCancel,
        DealAction::DeclineCancel,
        DealAction::ShowCode,
        DealAction::ScanCode,
        DealAction::Rate,
        DealAction::Chat,
        DealAction::MarkPickedUp,
        DealAction::MarkCompleted,
    ];

    /// The stable code, e.g. `request_cancel`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Accept => "accept",
            Self::Pick => "pick",
            Self::Counter => "counter",
            Self::Cancel => "cancel",
            Self::RequestCancel => "request_cancel",
            Self::AgreeCancel => "agree_cancel",
            Self::DeclineCancel => "decline_cancel",
            Self::ShowCode => "show_code",
            Self::ScanCode => "scan_code",
            Self::Rate => "rate",
            Self::Chat => "chat",
            Self::MarkPickedUp => "mark_picked_up",
            Self::MarkCompleted => "mark_completed",
        }
    }
}

impl Negotiation {
    /// Whether the local user may make `action` on this thread at `now`; the error is exactly
    /// what the move itself would return. Arguments are not judged here (a counter proposing
    /// the terms already on the table is still refused with `NoChange`, a blank contact with
    /// `InvalidContact`). [`DealAction::Pick`] is the owner's accept and is judged with the
    /// other threads of the intent by [`IntentBook::check`]; on a lone thread it is the owner's
    /// accept.
    pub fn check(&self, action: DealAction, now: u64) -> Result<(), NegotiationError> {
        match action {
            DealAction::Accept => {
                self.check_live(now)?;
                match self.state {
                    State::Open if self.proposed_by == Side::Us => {
                        Err(NegotiationError::NotYourTurn)
                    }
                    State::Open | State::AcceptedByThem => Ok(()),
                    state => Err(NegotiationError::NotAllowed {
                        action: "accept",
                        state,
                    }),
                }
            }
            DealAction::Pick => {
                if self.role != Role::Owner {
                    return Err(NegotiationError::NotAllowed {
                        action: "pick",
                        state: self.state,
                    });
                }
                self.check(DealAction::Accept, now)
            }
            DealAction::Counter => {
                self.check_live(now)?;
                if !matches!(self.state, State::Open | State::AcceptedByThem) {
                    return Err(NegotiationError::NotAllowed {
                        action: "counter",
                        state: self.state,
                    });
                }
                if self.proposed_by == Side::Us {
                    return Err(NegotiationError::NotYourTurn);
                }
                if self.counters >= MAX_COUNTERS {
                    return Err(NegotiationError::RoundCapReached { cap: MAX_COUNTERS });
                }
                Ok(())
            }
            DealAction::Cancel => self.refuse_if_final("cancel"),
            DealAction::RequestCancel => {
                self.refuse_if_final("request_cancel")?;
                self.require(State::Confirmed, "request_cancel")
            }
            DealAction::AgreeCancel => {
                self.refuse_if_final("agree_cancel")?;
                self.require(State::CancelRequested { by: Side::Them }, "agree_cancel")
            }
            DealAction::DeclineCancel => {
                self.refuse_if_final("decline_cancel")?;
                self.require(State::CancelRequested { by: Side::Them }, "decline_cancel")
            }
            // The meet code co-signs a confirmed deal (both phones confirmed, nobody asked to
            // cancel): showing and scanning are for exactly that state.
            DealAction::ShowCode => self.require(State::Confirmed, "show_code"),
            DealAction::ScanCode => self.require(State::Confirmed, "scan_code"),
            DealAction::Rate => {
                if matches!(self.state, State::Confirmed | State::Met | State::Completed) {
                    Ok(())
                } else {
                    Err(NegotiationError::NotAllowed {
                        action: "rate",
                        state: self.state,
                    })
                }
            }
            DealAction::Chat => self.refuse_if_dead("chat"),
            DealAction::MarkPickedUp => self.check_stage(Stage::PickedUp),
            DealAction::MarkCompleted => self.check_stage(Stage::Completed),
        }
    }

    /// Whether we may report `stage` now: a confirmed (or met) deal, and a stage only advances.
    pub(super) fn check_stage(&self, stage: Stage) -> Result<(), NegotiationError> {
        let action = match stage {
            Stage::PickedUp => "picked_up",
            Stage::Completed => "completed",
        };
        match self.state {
            State::Confirmed | State::CancelRequested { .. } | State::Met => {}
            state if state.is_terminal() => return Err(NegotiationError::Terminal { state }),
            state => return Err(NegotiationError::NotAllowed { action, state }),
        }
        if stage_rank(Some(stage)) <= stage_rank(self.our_stage) {
            return Err(NegotiationError::NotAllowed {
                action,
                state: self.state,
            });
        }
        Ok(())
    }

    /// Every action [`Negotiation::check`] allows at `now`, in [`DealAction::ALL`] order.
    /// The owner's accept is offered as [`DealAction::Pick`] (see [`IntentBook::actions`] for
    /// the rule across quotes); a responder never picks.
    pub fn actions(&self, now: u64) -> Vec<DealAction> {
        DealAction::ALL
            .into_iter()
            .filter(|a| match (a, self.role) {
                (DealAction::Accept, Role::Owner) => false,
                _ => self.check(*a, now).is_ok(),
            })
            .collect()
    }

    /// Terminal and expiry checks of the moves that change terms or accept them (the read-only
    /// half of `local_preamble`).
    fn check_live(&self, now: u64) -> Result<(), NegotiationError> {
        if self.state.is_terminal() {
            return Err(NegotiationError::Terminal { state: self.state });
        }
        if now >= self.expires_at && self.state.is_unconfirmed() {
            return Err(NegotiationError::Expired {
                expires_at: self.expires_at,
                now,
            });
        }
        Ok(())
    }

    fn require(&self, want: State, action: &'static str) -> Result<(), NegotiationError> {
        if self.state == want {
            Ok(())
        } else if self.state.is_terminal() {
            Err(NegotiationError::Terminal { state: self.state })
        } else {
            Err(NegotiationError::NotAllowed {
                action,
                state: self.state,
            })
        }
    }
}

impl IntentBook {
    /// Whether the owner may make `action` on thread `nego` at `now`. Accept and pick are the
    /// same move for the owner, refused with `AlreadyPicked` while another quote is picked
    /// (accepted by us, or confirmed and later).
    pub fn check(
        &self,
        nego: &NegoId,
        action: DealAction,
        now: u64,
    ) -> Result<(), NegotiationError> {
        let thread = self
            .thread(nego)
            .ok_or_else(|| NegotiationError::UnknownThread {
                nego: nego.to_string(),
            })?;
        if matches!(action, DealAction::Accept | DealAction::Pick) {
            if let Some(other) = self.threads().find(|n| {
                n.nego() != nego
                    && (n.state() == State::AcceptedByUs || n.state().is_confirmed_or_later())
            }) {
                return Err(NegotiationError::AlreadyPicked {
                    nego: other.nego().to_string(),
                });
            }
            return thread.check(DealAction::Pick, now);
        }
        thread.check(action, now)
    }

    /// Every action the owner may take on thread `nego` now (accepting is offered as
    /// [`DealAction::Pick`]); empty for a thread this book does not hold.
    pub fn actions(&self, nego: &NegoId, now: u64) -> Vec<DealAction> {
        DealAction::ALL
            .into_iter()
            .filter(|a| *a != DealAction::Accept && self.check(nego, *a, now).is_ok())
            .collect()
    }
}
