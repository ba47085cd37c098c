//! Meetup check-in with a trusted contact (issue #21): the pure part — message formats, the two
//! state machines and their typed errors. No I/O: `now` is always passed in.
//!
//! A user about to meet a stranger shares a *check-in* with one or more trusted contacts: who
//! they meet (key, name, masked phone, the screening card as they saw it), where, when, and a
//! **deadline**. Each contact's own phone keeps an alarm for the deadline; "I'm safe" closes the
//! check-in and cancels it; silence past the deadline raises a safety alert on the contact's
//! phone. There is no server: messages travel as NIP-17 gift wraps from the user's phone to each
//! contact's, and every phone decides on its own.
//!
//! * [`message`]: the versioned JSON carried inside NIP-17 rumors (`checkin.share`,
//!   `checkin.extend`, `checkin.close`, `checkin.cancel`); strict parser, size limits.
//! * [`machine`]: [`SharedCheckin`], the user's own check-in (planned → active → safe | overdue
//!   | cancelled), which produces the messages; and [`Watch`], a contact's copy, which consumes
//!   them: duplicates and replays are no-ops (each message has a sequence number), an extension
//!   or closing that arrives before the check-in is held and applied when it comes, and a
//!   check-in that arrives after its deadline is overdue at the next tick (run right after what
//!   arrived together is applied, so a closing in the same batch wins).
//!
//! Duress: closing has two kinds, [`Closing::Safe`] and [`Closing::Duress`]. They are one
//! message type with a status of equal length (`"safe"` / `"help"`), so the gift wraps are the
//! same size; the user's own check-in records only *closed* (its state is [`CheckinState::Safe`]
//! either way), so nothing on the user's phone tells them apart. Only the contacts see
//! [`CheckinState::Duress`].
//!
//! Time: the deadline is absolute unix time in the sender's clock. A contact's alarm fires at
//! `deadline − ahead + grace` where `ahead` is how far the sender's clock is observed to run
//! ahead of ours (a message's `ts` later than our clock at receipt; bounded) and `grace`
//! ([`CheckinPolicy::grace_secs`]) absorbs a clock running behind and the time a last-second
//! "I'm safe" takes to arrive. The observed offset is kept and shown.

pub mod machine;
pub mod message;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::protocol::ProtocolError;

pub use machine::{SharedCheckin, Watch, WatchEvent, WatchPhase};
pub use message::{
    CheckinId, CheckinMessage, Meeting, Place, ScreeningSnapshot, Share, build_message, is_checkin,
    parse_message,
};

/// Longest check-in message we build or accept (bytes of JSON).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024;
/// Longest display name carried (characters).
pub const MAX_NAME_CHARS: usize = 64;
/// Longest place name carried (characters).
pub const MAX_PLACE_CHARS: usize = 200;
/// Longest (masked) phone carried (characters).
pub const MAX_PHONE_CHARS: usize = 32;
/// Most contacts one check-in is shared with.
pub const MAX_RECIPIENTS: usize = 10;
/// Most messages one check-in may send after its share (extensions, then the closing).
pub const MAX_UPDATES: u32 = 64;
/// Most messages a contact holds for a check-in that has not arrived yet.
pub const MAX_HELD: usize = 8;

/// The time rules of check-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckinPolicy {
    /// After the deadline, how long a contact's phone waits before alerting (clock skew, a
    /// last-second "I'm safe" on its way).
    pub grace_secs: u64,
    /// How long before the deadline the user's own phone reminds them.
    pub remind_before_secs: u64,
    /// Shortest time from now to a deadline the user may set.
    pub min_lead_secs: u64,
    /// Longest time from now to a deadline the user may set.
    pub max_ahead_secs: u64,
    /// Largest clock offset between two phones that is taken as skew (beyond it, the message
    /// was delayed or a clock is badly wrong: the offset is shown, the alarm is not moved).
    pub max_skew_secs: u64,
    /// A check-in whose deadline passed longer ago than this is history: refused, no alert
    /// (a replay of an old one).
    pub stale_after_secs: u64,
}

impl Default for CheckinPolicy {
    fn default() -> Self {
        Self {
            grace_secs: 5 * 60,
            remind_before_secs: 10 * 60,
            min_lead_secs: 60,
            max_ahead_secs: 3 * 24 * 3600,
            max_skew_secs: 15 * 60,
            stale_after_secs: 7 * 24 * 3600,
        }
    }
}

/// Where a check-in stands. The user's own check-in is never [`CheckinState::Duress`]: closing
/// under duress looks like [`CheckinState::Safe`] on their phone; only contacts see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum CheckinState {
    /// Shared; the meeting has not started yet.
    Planned,
    /// The meeting is on; the deadline has not passed.
    Active,
    /// The deadline passed with no closing message (on a contact's phone: the alert was
    /// raised).
    Overdue,
    /// Closed: the user said they are safe.
    Safe,
    /// Closed under duress: the user is not OK (contacts only).
    Duress,
    /// Cancelled (by the user, or because the deal was cancelled).
    Cancelled,
}

impl CheckinState {
    /// `true` once nothing changes any more (safe, duress, cancelled).
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Safe | Self::Duress | Self::Cancelled)
    }
}

/// How a check-in was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closing {
    /// "I'm safe".
    Safe,
    /// "I'm not OK, act now" — looks like safe on the user's screen.
    Duress,
}

/// What the user may do with a check-in now.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, uniffi::Enum,
)]
#[serde(rename_all = "snake_case")]
pub enum CheckinAction {
    /// Share a new check-in for this deal.
    Share,
    /// Move the deadline.
    Extend,
    /// "I'm safe" (or, by PIN, duress).
    Safe,
    /// Call it off (nothing to watch any more).
    Cancel,
}

/// Why a check-in operation or message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckinError {
    /// The message breaks the wire format.
    #[error(transparent)]
    Wire(#[from] ProtocolError),
    /// The check-in is closed (or cancelled): nothing more can be done with it.
    #[error("the check-in is {state:?}")]
    Closed { state: CheckinState },
    /// The deadline is not far enough in the future.
    #[error("deadline {deadline} is not at least {min_lead_secs}s after {now}")]
    DeadlineTooSoon {
        deadline: u64,
        now: u64,
        min_lead_secs: u64,
    },
    /// The deadline is further ahead than the policy allows.
    #[error("deadline {deadline} is more than {max_ahead_secs}s after {now}")]
    DeadlineTooFar {
        deadline: u64,
        now: u64,
        max_ahead_secs: u64,
    },
    /// No recipient, or more than [`MAX_RECIPIENTS`].
    #[error("{found} recipients; 1..={max}")]
    Recipients { found: usize, max: usize },
    /// Too many messages for one check-in.
    #[error("more than {max} updates to one check-in")]
    TooManyUpdates { max: u32 },
    /// A check-in whose deadline passed long ago (a replay of history).
    #[error("stale check-in: its deadline {deadline} passed long before {now}")]
    Stale { deadline: u64, now: u64 },
    /// Too many messages held for a check-in that has not arrived.
    #[error("more than {max} messages held for a check-in that has not arrived")]
    TooManyHeld { max: usize },
    /// A message of another check-in (a bug of the caller).
    #[error("message for check-in {found}, not {expected}")]
    WrongCheckin { expected: String, found: String },
}
