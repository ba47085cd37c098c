//! Why a meet code was refused, with the sentence the app shows the person holding the phone.

use std::fmt;

use crate::protocol::ProtocolError;

/// Which kind of Freeport code a text is (by its prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum CodeKind {
    /// `FPM1:` — the code the shower displays (their signed receipt half).
    Meet,
    /// `FPR1:` — the code the scanner displays back (the countersigned half).
    Return,
}

impl CodeKind {
    /// The text prefix of this kind of code, version included.
    pub fn prefix(&self) -> &'static str {
        match self {
            CodeKind::Meet => super::token::MEET_PREFIX,
            CodeKind::Return => super::token::RETURN_PREFIX,
        }
    }
}

impl fmt::Display for CodeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CodeKind::Meet => "meetup code",
            CodeKind::Return => "return code",
        })
    }
}

/// Why a meet code, image or camera frame was refused. `Display` is the user-facing sentence;
/// the fields name what exactly was wrong for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MeetError {
    /// The text does not start with any Freeport prefix (a URL, a Wi-Fi code, random text).
    #[error("This is not a Freeport code")]
    NotFreeport {
        /// The start of what was read, shortened.
        found: String,
    },
    /// A Freeport code, but of the other kind (e.g. a return code where a meetup code was
    /// expected).
    #[error("{}", wrong_kind_message(*expected, *found))]
    WrongKind {
        /// The kind this screen expects.
        expected: CodeKind,
        /// The kind that was scanned.
        found: CodeKind,
    },
    /// A Freeport prefix with a version this build does not know.
    #[error("This code was made by a newer version of Freeport — update the app to read it")]
    UnsupportedVersion {
        /// The prefix found, e.g. `FPM2:`.
        prefix: String,
    },
    /// Fewer characters than the code format has: the code was cut off.
    #[error(
        "This code is incomplete — scan it again, or copy the whole code ({found_chars} of {expected_chars} characters)"
    )]
    Truncated {
        /// Characters after the prefix the format requires.
        expected_chars: usize,
        /// Characters found.
        found_chars: usize,
    },
    /// More characters than the code format has.
    #[error("This code has extra characters at the end — copy only the code")]
    TooLong {
        /// Characters after the prefix the format requires.
        expected_chars: usize,
        /// Characters found.
        found_chars: usize,
    },
    /// A character outside the code alphabet.
    #[error("This code contains a character that does not belong in it — scan it again")]
    BadCharacter {
        /// Character position after the prefix.
        position: usize,
        /// The character found.
        found: char,
    },
    /// A field of the code is structurally invalid (e.g. a public key that is not a curve
    /// point, non-zero padding bits).
    #[error("This code is damaged — scan it again")]
    Damaged {
        /// The field that failed and why.
        field: &'static str,
        /// The rule broken.
        rule: String,
    },
    /// The code was made for another negotiation.
    #[error("This code belongs to a different deal")]
    DifferentDeal,
    /// The scanner scanned a code its own key made.
    #[error("This is your own code — the other person should scan it")]
    OwnCode,
    /// The code was signed by a key that is not this deal's counterparty.
    #[error("This code was not made by the person you made this deal with")]
    ThirdKey {
        /// The key that signed, hex.
        found: String,
    },
    /// The signature does not match the rebuilt receipt half: a changed character, a code for
    /// other deal terms, or a forgery.
    #[error("This code is damaged or has been tampered with — ask them to show a fresh one")]
    BadSignature,
    /// Older than the TTL.
    #[error(
        "This code expired {} ago — ask them to refresh it",
        humane_duration(age_secs.saturating_sub(*ttl_secs))
    )]
    Expired {
        /// Seconds since the code was made.
        age_secs: u64,
        /// The TTL it was checked against.
        ttl_secs: u64,
    },
    /// Dated further in the future than the clock-skew tolerance.
    #[error(
        "This code is dated {} in the future — check the time on both phones",
        humane_duration(*ahead_secs)
    )]
    FromFuture {
        /// Seconds ahead of this phone's clock.
        ahead_secs: u64,
        /// The tolerance it was checked against.
        tolerance_secs: u64,
    },
    /// The store's nonce ledger says this code was already used.
    #[error("This code was already used")]
    AlreadyUsed {
        /// The nonce, hex.
        nonce: String,
    },
    /// A return code for none of the codes this phone showed recently.
    #[error("This return code does not match a code you showed recently — show a fresh code")]
    UnknownReturn,
    /// A time this format cannot carry (after 2106) or arithmetic that would overflow.
    #[error("This phone's clock is wrong — check the date and time")]
    ClockOutOfRange {
        /// The time value, unix seconds.
        unix: u64,
    },
    /// The caller's deal record or keys do not fit together (a programming error, never input).
    #[error("Internal error: {reason}")]
    Context {
        /// What does not fit.
        reason: String,
    },
    /// No QR code was found in the picture or frame.
    #[error("No code found — hold the phone steady and fill the frame with the code")]
    NoCode,
    /// Image bytes that cannot be decoded as PNG or JPEG.
    #[error("This picture cannot be read")]
    BadImage {
        /// The decoder's reason.
        reason: String,
    },
    /// Raw frame geometry that does not fit its buffer.
    #[error("Internal error: camera frame {reason}")]
    BadFrame {
        /// What does not fit.
        reason: String,
    },
    /// The QR encoder or PNG writer failed.
    #[error("Internal error: cannot draw the code: {reason}")]
    Render {
        /// The encoder's reason.
        reason: String,
    },
    /// A rebuilt receipt half fails the protocol parser (never expected: the builder and parser
    /// share one canonical form).
    #[error("Internal error: {0}")]
    Protocol(#[from] ProtocolError),
}

/// Why a scanned or typed code was refused, as a code with typed parameters
/// (`FreeportError::InvalidCode`): what a screen words for the person holding the phone. The
/// English sentences of [`MeetError`]'s `Display` are the CLI's and the logs'.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, uniffi::Enum)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum CodeProblem {
    /// Not a Freeport code at all (a URL, a Wi-Fi code, random text).
    NotFreeport,
    /// A Freeport code of the other kind (e.g. a return code where a meetup code belongs).
    WrongKind {
        /// What this step expects.
        expected: CodeKind,
        /// What was scanned.
        found: CodeKind,
    },
    /// Made by a newer version of Freeport: update the app.
    NewerVersion,
    /// Cut off: `found_chars` of `expected_chars` characters.
    Incomplete {
        /// Characters the format has.
        expected_chars: u32,
        /// Characters read.
        found_chars: u32,
    },
    /// Extra characters after the code.
    ExtraCharacters,
    /// A character that does not belong in a code.
    BadCharacter,
    /// Damaged: scan it again.
    Damaged,
    /// Made for a different deal.
    DifferentDeal,
    /// Our own code: the other person should scan it.
    OwnCode,
    /// Not made by the person this deal is with.
    NotTheirCode,
    /// Damaged or tampered with: ask for a fresh code.
    Tampered,
    /// Expired `ago_secs` seconds ago: ask them to refresh it.
    Expired {
        /// Seconds since it expired.
        ago_secs: u64,
    },
    /// Dated `ahead_secs` seconds in the future: check both phones' clocks.
    FromFuture {
        /// Seconds ahead of this phone's clock.
        ahead_secs: u64,
    },
    /// Already used (codes are single-use).
    AlreadyUsed,
    /// A return code for none of the codes this phone showed recently: show a fresh one.
    UnknownReturn,
    /// This phone's clock is wrong.
    ClockWrong,
    /// No code in the picture: hold steady and fill the frame.
    NoCode,
    /// The picture cannot be read.
    BadImage,
}

impl MeetError {
    /// What the person holding the phone is told, or `None` for an internal failure (a
    /// programming error, never the code's fault).
    pub fn problem(&self) -> Option<CodeProblem> {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Some(match self {
            Self::NotFreeport { .. } => CodeProblem::NotFreeport,
            Self::WrongKind { expected, found } => CodeProblem::WrongKind {
                expected: *expected,
                found: *found,
            },
            Self::UnsupportedVersion { .. } => CodeProblem::NewerVersion,
            Self::Truncated {
                expected_chars,
                found_chars,
            } => CodeProblem::Incomplete {
                expected_chars: n(*expected_chars),
                found_chars: n(*found_chars),
            },
            Self::TooLong { .. } => CodeProblem::ExtraCharacters,
            Self::BadCharacter { .. } => CodeProblem::BadCharacter,
            Self::Damaged { .. } => CodeProblem::Damaged,
            Self::DifferentDeal => CodeProblem::DifferentDeal,
            Self::OwnCode => CodeProblem::OwnCode,
            Self::ThirdKey { .. } => CodeProblem::NotTheirCode,
            Self::BadSignature => CodeProblem::Tampered,
            Self::Expired { age_secs, ttl_secs } => CodeProblem::Expired {
                ago_secs: age_secs.saturating_sub(*ttl_secs),
            },
            Self::FromFuture { ahead_secs, .. } => CodeProblem::FromFuture {
                ahead_secs: *ahead_secs,
            },
            Self::AlreadyUsed { .. } => CodeProblem::AlreadyUsed,
            Self::UnknownReturn => CodeProblem::UnknownReturn,
            Self::ClockOutOfRange { .. } => CodeProblem::ClockWrong,
            Self::NoCode => CodeProblem::NoCode,
            Self::BadImage { .. } => CodeProblem::BadImage,
            Self::Context { .. }
            | Self::BadFrame { .. }
            | Self::Render { .. }
            | Self::Protocol(_) => {
                return None;
            }
        })
    }
}

fn wrong_kind_message(expected: CodeKind, found: CodeKind) -> String {
    match (expected, found) {
        (CodeKind::Meet, CodeKind::Return) => {
            "This is a return code — scan the meetup code on the other phone".into()
        }
        (CodeKind::Return, CodeKind::Meet) => {
            "This is a meetup code — scan the return code the other phone shows after scanning yours"
                .into()
        }
        _ => format!("This is a {found}, not a {expected}"),
    }
}

/// A duration as people say it: "1 second", "40 seconds", "3 minutes", "2 hours", "5 days".
/// Rounds down to the largest whole unit.
pub fn humane_duration(secs: u64) -> String {
    let (n, unit) = match secs {
        0..=59 => (secs, "second"),
        60..=3_599 => (secs / 60, "minute"),
        3_600..=86_399 => (secs / 3_600, "hour"),
        _ => (secs / 86_400, "day"),
    };
    if n == 1 {
        format!("1 {unit}")
    } else {
        format!("{n} {unit}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn humane_durations_read_naturally() {
        assert_eq!(humane_duration(0), "0 seconds");
        assert_eq!(humane_duration(1), "1 second");
        assert_eq!(humane_duration(59), "59 seconds");
        assert_eq!(humane_duration(60), "1 minute");
        assert_eq!(humane_duration(180), "3 minutes");
        assert_eq!(humane_duration(239), "3 minutes");
        assert_eq!(humane_duration(3_600), "1 hour");
        assert_eq!(humane_duration(7_300), "2 hours");
        assert_eq!(humane_duration(86_400 * 5 + 10), "5 days");
        assert_eq!(
            humane_duration(u64::MAX),
            format!("{} days", u64::MAX / 86_400)
        );
    }

    #[test]
    fn user_messages_match_the_issue() {
        let e = MeetError::Expired {
            age_secs: 240,
            ttl_secs: 60,
        };
        assert_eq!(
            e.to_string(),
            "This code expired 3 minutes ago — ask them to refresh it"
        );
        assert_eq!(
            MeetError::DifferentDeal.to_string(),
            "This code belongs to a different deal"
        );
        assert_eq!(
            MeetError::AlreadyUsed { nonce: "00".into() }.to_string(),
            "This code was already used"
        );
        assert_eq!(
            MeetError::FromFuture {
                ahead_secs: 120,
                tolerance_secs: 30
            }
            .to_string(),
            "This code is dated 2 minutes in the future — check the time on both phones"
        );
        assert!(
            MeetError::WrongKind {
                expected: CodeKind::Meet,
                found: CodeKind::Return
            }
            .to_string()
            .starts_with("This is a return code")
        );
    }
}
