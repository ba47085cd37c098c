//! The one error every exported call returns, and its mapping from the use-case layer.

use crate::app::{AppError, Refusal, refusal_of};
use crate::contact::PhoneProblem;
use crate::identity::{IdentityError, SecretStoreError};
use crate::meet::{CodeProblem, MeetError};
use crate::negotiation::NegotiationError;
use crate::protocol::ProtocolError;
use crate::relay::RelayError;
use crate::relay::embedded::EmbeddedRelayError;
use crate::reputation::ReputationError;
use crate::rules::{FieldViolation, Format, Rule};
use crate::store::StoreError;

/// Why an exported call failed: small variants whose fields are typed codes a screen words in
/// the user's language (see `docs/BINDINGS.md`, "What the UI may decide").
///
/// Kotlin sees `FreeportException.<Variant>` with one `val` per field; Swift sees
/// `FreeportError.<Variant>` with labelled associated values. `reason` fields (storage,
/// network, secret store, internal) are diagnostics for logs and bug reports, not messages.
/// `Display` is exported (Kotlin `toString()`, Swift `description`) for logs: it prints codes,
/// not sentences. Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum FreeportError {
    /// No identity on this device yet: create one or restore a backup.
    #[error("no identity on this device yet")]
    NoIdentity,
    /// Not connected to any relay (call `start_network`, or wait for a connection).
    #[error("not connected to any relay")]
    Offline,
    /// The market name is not one this build knows.
    #[error("unknown market `{market}`")]
    UnknownMarket {
        /// The name as given.
        market: String,
    },
    /// No intent with this id is stored on the device.
    #[error("unknown intent {id}")]
    UnknownIntent {
        /// The id as given.
        id: String,
    },
    /// No negotiation with this id is stored on the device.
    #[error("unknown negotiation {nego}")]
    UnknownNegotiation {
        /// The id as given.
        nego: String,
    },
    /// The action does not fit now (picking twice, countering your own proposal, rating twice…).
    /// Nothing was changed.
    #[error("not possible: {refusal:?}")]
    NotPossible {
        /// Why, as a code.
        refusal: Refusal,
    },
    /// Input broke rules: every violation, each on its field (a JSON pointer for market form
    /// fields, else the argument's name). Nothing was changed.
    #[error("invalid input: {}", violations_line(violations))]
    InvalidInput {
        /// What is wrong, per field.
        violations: Vec<FieldViolation>,
    },
    /// Relay settings were refused: every violation, each with its list, position and rule
    /// code (screens place each under its entry). Nothing was changed.
    #[error("relay settings: {} problem(s)", violations.len())]
    InvalidRelays {
        /// What is wrong, entry by entry.
        violations: Vec<super::RelayViolationRecord>,
    },
    /// A scanned or typed meet code (or QR frame) was refused.
    #[error("code refused: {problem:?}")]
    InvalidCode {
        /// Why, as a code.
        problem: CodeProblem,
    },
    /// The backup passphrase is wrong. Nothing was changed.
    #[error("wrong passphrase for this backup")]
    WrongPassphrase,
    /// A phone number or contact card was refused.
    #[error("phone number refused: {problem:?}")]
    Phone {
        /// Why, as a code.
        problem: PhoneProblem,
    },
    /// The on-device database failed.
    #[error("storage: {reason}")]
    Storage {
        /// What failed (diagnostic).
        reason: String,
    },
    /// Talking to the relays failed.
    #[error("network: {reason}")]
    Network {
        /// What failed (diagnostic).
        reason: String,
    },
    /// The platform secret store (Keystore / Keychain) failed.
    #[error("secret store: {reason}")]
    SecretStore {
        /// What the store reported (diagnostic).
        reason: String,
    },
    /// A bug inside the core (or a foreign callback that threw something unexpected); report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong (diagnostic).
        reason: String,
    },
}

fn violations_line(v: &[FieldViolation]) -> String {
    v.iter()
        .map(|x| format!("{}: {:?}", x.field, x.rule))
        .collect::<Vec<_>>()
        .join("; ")
}

impl FreeportError {
    /// An [`FreeportError::InvalidInput`] with one violation.
    pub fn invalid(field: impl Into<String>, rule: Rule) -> Self {
        Self::InvalidInput {
            violations: vec![FieldViolation::new(field, rule)],
        }
    }

    fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal {
            reason: e.to_string(),
        }
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for FreeportError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        Self::Internal { reason: e.reason }
    }
}

impl From<AppError> for FreeportError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NoIdentity => Self::NoIdentity,
            AppError::Offline => Self::Offline,
            AppError::UnknownMarket { market } => Self::UnknownMarket { market },
            AppError::UnknownIntent { id } => Self::UnknownIntent { id },
            AppError::UnknownNegotiation { nego } => Self::UnknownNegotiation { nego },
            AppError::NotPossible { why, .. } => Self::NotPossible { refusal: why },
            AppError::InvalidInput { violations } => Self::InvalidInput { violations },
            AppError::InvalidRelays { violations } => Self::InvalidRelays {
                violations: violations.into_iter().map(Into::into).collect(),
            },
            AppError::Protocol(p) => from_protocol(p),
            AppError::Identity(i) => from_identity(i),
            AppError::SecretStore(s) => from_secret_store(s),
            AppError::Store(s) => from_store(s),
            AppError::Relay(r) => from_relay(r),
            AppError::Negotiation(n) => from_negotiation(n),
            AppError::Meet(m) => from_meet(m),
            AppError::Phone(p) => Self::Phone {
                problem: p.problem(),
            },
            AppError::Contact(c) => Self::Phone {
                problem: c.problem(),
            },
            AppError::Reputation(r) => from_reputation(r),
            AppError::Internal { reason } => Self::Internal { reason },
        }
    }
}

impl From<EmbeddedRelayError> for FreeportError {
    fn from(e: EmbeddedRelayError) -> Self {
        Self::Network {
            reason: e.to_string(),
        }
    }
}

/// A refused code is `InvalidCode` with its problem; an internal meet failure is `Internal`.
pub(crate) fn from_meet(m: MeetError) -> FreeportError {
    match (m.problem(), &m) {
        (Some(problem), _) => FreeportError::InvalidCode { problem },
        // A camera frame whose geometry does not fit its buffer: the caller's input.
        (None, MeetError::BadFrame { .. }) => FreeportError::invalid("frame", Rule::Invalid),
        (None, _) => FreeportError::internal(m),
    }
}

/// Protocol errors reach the facade from building our own events out of user input that passed
/// the typed checks (which catch what a person can get wrong), so they name the field with the
/// closest rule.
fn from_protocol(p: ProtocolError) -> FreeportError {
    let (field, rule) = match &p {
        ProtocolError::MissingField { field } => ((*field).to_owned(), Rule::Required),
        ProtocolError::MissingTag { tag } => ((*tag).to_owned(), Rule::Required),
        ProtocolError::TooLarge { field, limit, .. } => (
            (*field).to_owned(),
            Rule::TooLarge {
                max: u32::try_from(*limit).unwrap_or(u32::MAX),
            },
        ),
        ProtocolError::InvalidField { field, .. } => ((*field).to_owned(), Rule::Invalid),
        ProtocolError::InvalidTag { tag, .. } => ((*tag).to_owned(), Rule::Invalid),
        ProtocolError::Mismatch { a, .. } => ((*a).to_owned(), Rule::Invalid),
        ProtocolError::InvalidNegoId { .. } => ("nego".to_owned(), Rule::Invalid),
        ProtocolError::Expired { .. } => ("expires_at".to_owned(), Rule::NotPositive),
        ProtocolError::NotJson { .. } => (
            "content".to_owned(),
            Rule::BadFormat {
                format: Format::Json,
            },
        ),
        ProtocolError::UnsupportedVersion { .. } | ProtocolError::WrongKind { .. } => {
            ("content".to_owned(), Rule::Invalid)
        }
    };
    FreeportError::invalid(field, rule)
}

fn from_secret_store(s: SecretStoreError) -> FreeportError {
    FreeportError::SecretStore {
        reason: s.to_string(),
    }
}

fn from_identity(i: IdentityError) -> FreeportError {
    let bad =
        |field: &str, format: Format| FreeportError::invalid(field, Rule::BadFormat { format });
    match i {
        IdentityError::WrongPassphrase => FreeportError::WrongPassphrase,
        IdentityError::NotFound => FreeportError::NoIdentity,
        IdentityError::SecretStore(s) => from_secret_store(s),
        IdentityError::InvalidPublicKey { .. } => bad("pubkey", Format::PublicKey),
        IdentityError::InvalidBackup { .. } | IdentityError::CostTooHigh { .. } => {
            bad("ncryptsec", Format::Backup)
        }
        IdentityError::WeakPassphrase { violations } => FreeportError::InvalidInput { violations },
        IdentityError::AlreadyExists { .. } => FreeportError::NotPossible {
            refusal: Refusal::IdentityExists,
        },
        e @ (IdentityError::InvalidSecretKey { .. }
        | IdentityError::InvalidCost { .. }
        | IdentityError::Crypto { .. }) => FreeportError::internal(e),
    }
}

fn from_store(s: StoreError) -> FreeportError {
    match s {
        StoreError::SecretStore(e) => from_secret_store(e),
        // A meet nonce the ledger already holds: the same problem a scanner shows.
        StoreError::NonceUsed { .. } => FreeportError::InvalidCode {
            problem: CodeProblem::AlreadyUsed,
        },
        other => FreeportError::Storage {
            reason: other.to_string(),
        },
    }
}

fn from_relay(r: RelayError) -> FreeportError {
    match r {
        RelayError::NoRelayConnected | RelayError::Shutdown => FreeportError::Offline,
        RelayError::InvalidUrl { .. } | RelayError::Config { .. } => FreeportError::invalid(
            "relays",
            Rule::BadFormat {
                format: Format::RelayUrl,
            },
        ),
        RelayError::Store(e) => FreeportError::Storage {
            reason: e.to_string(),
        },
        other => FreeportError::Network {
            reason: other.to_string(),
        },
    }
}

fn from_negotiation(n: NegotiationError) -> FreeportError {
    if let Some(refusal) = refusal_of(&n) {
        return FreeportError::NotPossible { refusal };
    }
    match n {
        NegotiationError::Protocol(p) => from_protocol(p),
        NegotiationError::UnknownThread { nego } => FreeportError::UnknownNegotiation { nego },
        // Our own contact card (built from the profile's phone) is empty or too long.
        NegotiationError::InvalidContact { rule } => FreeportError::Phone {
            problem: if rule == "is empty" {
                PhoneProblem::Empty
            } else {
                PhoneProblem::ContactTooLong {
                    max: u32::try_from(crate::protocol::envelope::MAX_CONTACT_BYTES)
                        .unwrap_or(u32::MAX),
                }
            },
        },
        // Incoming-message errors never answer a local call; if one does, it is a bug.
        other => FreeportError::internal(other),
    }
}

fn from_reputation(r: ReputationError) -> FreeportError {
    match r {
        // The app's directory is the on-device database.
        ReputationError::Directory { reason } => FreeportError::Storage { reason },
        other => FreeportError::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::DealState;
    use crate::contact::{ContactError, PhoneError};

    fn map(e: impl Into<AppError>) -> FreeportError {
        FreeportError::from(e.into())
    }

    #[test]
    fn plain_app_variants_keep_their_fields() {
        assert_eq!(
            FreeportError::from(AppError::NoIdentity),
            FreeportError::NoIdentity
        );
        assert_eq!(
            FreeportError::from(AppError::Offline),
            FreeportError::Offline
        );
        assert_eq!(
            FreeportError::from(AppError::UnknownMarket {
                market: "pets".into()
            }),
            FreeportError::UnknownMarket {
                market: "pets".into()
            }
        );
        assert_eq!(
            FreeportError::from(AppError::UnknownIntent { id: "ab".into() }),
            FreeportError::UnknownIntent { id: "ab".into() }
        );
        assert_eq!(
            FreeportError::from(AppError::UnknownNegotiation { nego: "x".into() }),
            FreeportError::UnknownNegotiation { nego: "x".into() }
        );
        assert_eq!(
            FreeportError::from(AppError::refused("pick", Refusal::OwnerOnly)),
            FreeportError::NotPossible {
                refusal: Refusal::OwnerOnly
            }
        );
        assert_eq!(
            FreeportError::from(AppError::invalid(
                "geohash",
                Rule::BadFormat {
                    format: Format::Geohash
                }
            )),
            FreeportError::invalid(
                "geohash",
                Rule::BadFormat {
                    format: Format::Geohash
                }
            )
        );
        assert_eq!(
            FreeportError::from(AppError::Internal {
                reason: "boom".into()
            }),
            FreeportError::Internal {
                reason: "boom".into()
            }
        );
    }

    #[test]
    fn every_meet_refusal_is_an_invalid_code_with_its_problem() {
        let cases = [
            (MeetError::DifferentDeal, CodeProblem::DifferentDeal),
            (
                MeetError::AlreadyUsed { nonce: "00".into() },
                CodeProblem::AlreadyUsed,
            ),
            (
                MeetError::NotFreeport {
                    found: "http".into(),
                },
                CodeProblem::NotFreeport,
            ),
            (
                MeetError::Expired {
                    age_secs: 240,
                    ttl_secs: 60,
                },
                CodeProblem::Expired { ago_secs: 180 },
            ),
        ];
        for (e, problem) in cases {
            assert_eq!(map(e), FreeportError::InvalidCode { problem });
        }
        // The ledger's own "already used" is the token check's.
        assert_eq!(
            map(StoreError::NonceUsed { used_at: 5 }),
            FreeportError::InvalidCode {
                problem: CodeProblem::AlreadyUsed
            }
        );
        // A failure of ours is not the code's fault.
        assert!(matches!(
            map(MeetError::Render { reason: "x".into() }),
            FreeportError::Internal { .. }
        ));
    }

    #[test]
    fn identity_errors_map_to_passphrase_input_and_store_variants() {
        assert_eq!(
            map(IdentityError::WrongPassphrase),
            FreeportError::WrongPassphrase
        );
        assert_eq!(map(IdentityError::NotFound), FreeportError::NoIdentity);
        assert_eq!(
            map(IdentityError::InvalidBackup {
                rule: "bad bech32".into(),
            }),
            FreeportError::invalid(
                "ncryptsec",
                Rule::BadFormat {
                    format: Format::Backup
                }
            )
        );
        assert_eq!(
            map(IdentityError::AlreadyExists {
                public_key: "ab".into(),
            }),
            FreeportError::NotPossible {
                refusal: Refusal::IdentityExists
            }
        );
        let weak = vec![FieldViolation::new("passphrase", Rule::TooShort { min: 8 })];
        assert_eq!(
            map(IdentityError::WeakPassphrase {
                violations: weak.clone()
            }),
            FreeportError::InvalidInput { violations: weak }
        );
        let locked = SecretStoreError::Locked {
            reason: "device locked".into(),
        };
        for e in [
            map(locked.clone()),
            map(IdentityError::SecretStore(locked.clone())),
            map(StoreError::SecretStore(locked)),
        ] {
            match e {
                FreeportError::SecretStore { reason } => {
                    assert!(reason.contains("device locked"), "{reason}")
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn protocol_errors_name_the_offending_field() {
        assert_eq!(
            map(ProtocolError::InvalidField {
                field: "price",
                rule: "must be a number".into()
            }),
            FreeportError::invalid("price", Rule::Invalid)
        );
        assert_eq!(
            map(ProtocolError::TooLarge {
                field: "title",
                actual: 900,
                limit: 120,
            }),
            FreeportError::invalid("title", Rule::TooLarge { max: 120 })
        );
        assert_eq!(
            map(NegotiationError::Protocol(ProtocolError::MissingField {
                field: "terms",
            })),
            FreeportError::invalid("terms", Rule::Required)
        );
    }

    #[test]
    fn negotiation_refusals_are_codes() {
        assert_eq!(
            map(NegotiationError::NotYourTurn),
            FreeportError::NotPossible {
                refusal: Refusal::NotYourTurn
            }
        );
        assert_eq!(
            map(NegotiationError::NotAllowed {
                action: "counter",
                state: crate::negotiation::State::Confirmed
            }),
            FreeportError::NotPossible {
                refusal: Refusal::NotNow {
                    action: Some(crate::app::DealAction::Counter),
                    state: DealState::Confirmed
                }
            }
        );
        assert_eq!(
            map(NegotiationError::UnknownThread { nego: "n".into() }),
            FreeportError::UnknownNegotiation { nego: "n".into() }
        );
        assert_eq!(
            map(NegotiationError::InvalidContact { rule: "is empty" }),
            FreeportError::Phone {
                problem: PhoneProblem::Empty
            }
        );
    }

    #[test]
    fn relay_phone_and_store_errors() {
        assert_eq!(map(RelayError::NoRelayConnected), FreeportError::Offline);
        assert_eq!(map(RelayError::Shutdown), FreeportError::Offline);
        assert_eq!(
            map(RelayError::InvalidUrl {
                url: "ftp://x".into(),
                reason: "scheme".into(),
            }),
            FreeportError::invalid(
                "relays",
                Rule::BadFormat {
                    format: Format::RelayUrl
                }
            )
        );
        assert!(matches!(
            map(RelayError::Pool("timeout".into())),
            FreeportError::Network { .. }
        ));
        assert_eq!(
            map(PhoneError::Empty),
            FreeportError::Phone {
                problem: PhoneProblem::Empty
            }
        );
        assert_eq!(
            map(PhoneError::InvalidLength {
                country_code: 65,
                digits: 9,
                allowed: "8, 10".into()
            }),
            FreeportError::Phone {
                problem: PhoneProblem::WrongLength {
                    country_code: 65,
                    digits: 9,
                    allowed: vec![8, 10]
                }
            }
        );
        assert_eq!(
            map(ContactError::NoPhone),
            FreeportError::Phone {
                problem: PhoneProblem::NoPhoneInContact
            }
        );
        assert!(matches!(
            map(StoreError::Corrupt { what: "row".into() }),
            FreeportError::Storage { .. }
        ));
        assert!(matches!(
            map(ReputationError::TooManyNodes { limit: 3 }),
            FreeportError::Internal { .. }
        ));
        assert_eq!(
            map(ReputationError::Directory {
                reason: "disk I/O error".into()
            }),
            FreeportError::Storage {
                reason: "disk I/O error".into()
            }
        );
    }

    #[test]
    fn a_foreign_callback_failure_is_internal_with_its_reason() {
        let e = FreeportError::from(uniffi::UnexpectedUniFFICallbackError::new("kaboom"));
        assert_eq!(
            e,
            FreeportError::Internal {
                reason: "kaboom".into()
            }
        );
    }

    #[test]
    fn display_prints_codes_for_logs() {
        assert_eq!(
            FreeportError::invalid("npub", Rule::Required).to_string(),
            "invalid input: npub: Required"
        );
        assert_eq!(
            FreeportError::InvalidCode {
                problem: CodeProblem::AlreadyUsed
            }
            .to_string(),
            "code refused: AlreadyUsed"
        );
    }
}
