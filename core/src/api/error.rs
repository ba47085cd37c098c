//! The one error every exported call returns, and its mapping from the use-case layer.

use crate::app::AppError;
use crate::contact::ContactError;
use crate::identity::{IdentityError, SecretStoreError};
use crate::meet::MeetError;
use crate::negotiation::NegotiationError;
use crate::protocol::ProtocolError;
use crate::relay::RelayError;
use crate::relay::embedded::EmbeddedRelayError;
use crate::reputation::ReputationError;
use crate::store::StoreError;

/// Why an exported call failed: small variants whose fields say what a screen needs.
///
/// Kotlin sees `FreeportException.<Variant>` with one `val` per field; Swift sees
/// `FreeportError.<Variant>` with labelled associated values. `Display` is exported (Kotlin
/// `toString()`, Swift `description`). Messages never contain secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum FreeportError {
    /// No identity on this device yet: create one or restore a backup.
    #[error("no identity on this device yet: create one or restore a backup")]
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
    /// The action does not fit the current state (e.g. picking twice, rating an unmet deal).
    #[error("{what} is not possible: {why}")]
    NotPossible {
        /// The action that was refused.
        what: String,
        /// Why, in words a screen can show.
        why: String,
    },
    /// An argument broke a rule; `field` names it, `rule` says what was expected.
    #[error("{field}: {rule}")]
    InvalidInput {
        /// The argument (or record field, or payload field) that was refused.
        field: String,
        /// The rule it broke.
        rule: String,
    },
    /// Relay settings were refused: every violation, each with its list, position and rule
    /// code (screens place each under its entry). Nothing was changed.
    #[error("relay settings: {} problem(s)", violations.len())]
    InvalidRelays {
        /// What is wrong, entry by entry.
        violations: Vec<super::RelayViolationRecord>,
    },
    /// A scanned or typed meet code was refused; `reason` is the sentence to show the user.
    #[error("{reason}")]
    InvalidCode {
        /// User-facing sentence, e.g. "This code was already used".
        reason: String,
    },
    /// The backup passphrase is wrong. Nothing was changed.
    #[error("wrong passphrase for this backup")]
    WrongPassphrase,
    /// A phone number or contact card was refused.
    #[error("phone number: {reason}")]
    Phone {
        /// What is wrong with it.
        reason: String,
    },
    /// The on-device database failed.
    #[error("storage: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// Talking to the relays failed.
    #[error("network: {reason}")]
    Network {
        /// What failed.
        reason: String,
    },
    /// The platform secret store (Keystore / Keychain) failed.
    #[error("secret store: {reason}")]
    SecretStore {
        /// What the store reported.
        reason: String,
    },
    /// A bug inside the core (or a foreign callback that threw something unexpected); report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: String,
    },
}

impl FreeportError {
    /// An [`FreeportError::InvalidInput`] naming the field and the rule.
    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> Self {
        Self::InvalidInput {
            field: field.into(),
            rule: rule.into(),
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
            AppError::NotPossible { what, why } => Self::NotPossible {
                what: what.to_owned(),
                why,
            },
            AppError::InvalidInput { field, rule } => Self::invalid(field, rule),
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
                reason: p.to_string(),
            },
            AppError::Contact(c) => from_contact(c),
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

/// Every meet error is a refused code; its `Display` is the user-facing sentence.
fn from_meet(m: MeetError) -> FreeportError {
    FreeportError::InvalidCode {
        reason: m.to_string(),
    }
}

/// Protocol errors reach the facade from building our own events out of user input (a payload
/// that breaks the market schema, an over-long title), so they are input errors naming the field.
fn from_protocol(p: ProtocolError) -> FreeportError {
    let rule = p.to_string();
    let field = match &p {
        ProtocolError::MissingField { field }
        | ProtocolError::InvalidField { field, .. }
        | ProtocolError::TooLarge { field, .. } => (*field).to_owned(),
        ProtocolError::MissingTag { tag } | ProtocolError::InvalidTag { tag, .. } => {
            (*tag).to_owned()
        }
        ProtocolError::Mismatch { a, .. } => (*a).to_owned(),
        ProtocolError::InvalidNegoId { .. } => "nego".to_owned(),
        ProtocolError::Expired { .. } => "expires_at".to_owned(),
        ProtocolError::NotJson { .. }
        | ProtocolError::UnsupportedVersion { .. }
        | ProtocolError::WrongKind { .. } => "content".to_owned(),
    };
    FreeportError::InvalidInput { field, rule }
}

fn from_secret_store(s: SecretStoreError) -> FreeportError {
    FreeportError::SecretStore {
        reason: s.to_string(),
    }
}

fn from_identity(i: IdentityError) -> FreeportError {
    let rule = i.to_string();
    match i {
        IdentityError::WrongPassphrase => FreeportError::WrongPassphrase,
        IdentityError::NotFound => FreeportError::NoIdentity,
        IdentityError::SecretStore(s) => from_secret_store(s),
        IdentityError::InvalidPublicKey { .. } => FreeportError::invalid("pubkey", rule),
        IdentityError::InvalidSecretKey { .. } => FreeportError::invalid("secret_key", rule),
        IdentityError::InvalidBackup { .. } | IdentityError::CostTooHigh { .. } => {
            FreeportError::invalid("ncryptsec", rule)
        }
        IdentityError::WeakPassphrase { .. } => FreeportError::invalid("passphrase", rule),
        IdentityError::AlreadyExists { .. } => FreeportError::NotPossible {
            what: "create identity".to_owned(),
            why: rule,
        },
        IdentityError::InvalidCost { .. } | IdentityError::Crypto { .. } => {
            FreeportError::internal(rule)
        }
    }
}

fn from_store(s: StoreError) -> FreeportError {
    match s {
        StoreError::SecretStore(e) => from_secret_store(e),
        StoreError::InvalidInput { field, rule } => FreeportError::invalid(field, rule),
        // A meet nonce the ledger already holds: the same sentence a scanner shows.
        StoreError::NonceUsed { .. } => from_meet(MeetError::AlreadyUsed {
            nonce: String::new(),
        }),
        other => FreeportError::Storage {
            reason: other.to_string(),
        },
    }
}

fn from_relay(r: RelayError) -> FreeportError {
    match r {
        RelayError::NoRelayConnected | RelayError::Shutdown => FreeportError::Offline,
        RelayError::InvalidUrl { .. } | RelayError::Config { .. } => {
            FreeportError::invalid("relays", r.to_string())
        }
        RelayError::Store(e) => FreeportError::Storage {
            reason: e.to_string(),
        },
        other => FreeportError::Network {
            reason: other.to_string(),
        },
    }
}

fn from_negotiation(n: NegotiationError) -> FreeportError {
    let why = n.to_string();
    match n {
        NegotiationError::Protocol(p) => from_protocol(p),
        NegotiationError::UnknownThread { nego } => FreeportError::UnknownNegotiation { nego },
        NegotiationError::InvalidContact { .. } => FreeportError::Phone { reason: why },
        NegotiationError::NotAllowed { action, .. }
        | NegotiationError::Irreversible { action, .. } => FreeportError::NotPossible {
            what: action.to_owned(),
            why,
        },
        _ => FreeportError::NotPossible {
            what: "negotiation".to_owned(),
            why,
        },
    }
}

fn from_contact(c: ContactError) -> FreeportError {
    match c {
        ContactError::InvalidPhone(p) => FreeportError::Phone {
            reason: p.to_string(),
        },
        other => FreeportError::Phone {
            reason: other.to_string(),
        },
    }
}

fn from_reputation(r: ReputationError) -> FreeportError {
    match r {
        ReputationError::InvalidParam { field, rule } => FreeportError::invalid(field, rule),
        // The app's directory is the on-device database.
        ReputationError::Directory { reason } => FreeportError::Storage { reason },
        other => FreeportError::internal(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contact::PhoneError;

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
            FreeportError::from(AppError::NotPossible {
                what: "pick",
                why: "only the owner".into()
            }),
            FreeportError::NotPossible {
                what: "pick".into(),
                why: "only the owner".into()
            }
        );
        assert_eq!(
            FreeportError::from(AppError::invalid("geohash", "bad char")),
            FreeportError::invalid("geohash", "bad char")
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
    fn every_meet_error_is_an_invalid_code_with_the_user_sentence() {
        let cases = [
            (
                MeetError::DifferentDeal,
                "This code belongs to a different deal",
            ),
            (
                MeetError::AlreadyUsed { nonce: "00".into() },
                "This code was already used",
            ),
            (
                MeetError::NotFreeport {
                    found: "http".into(),
                },
                "This is not a Freeport code",
            ),
            (
                MeetError::Expired {
                    age_secs: 240,
                    ttl_secs: 60,
                },
                "This code expired 3 minutes ago — ask them to refresh it",
            ),
        ];
        for (e, sentence) in cases {
            assert_eq!(
                map(e),
                FreeportError::InvalidCode {
                    reason: sentence.into()
                }
            );
        }
        // The ledger's own "already used" reads the same as the token check's.
        assert_eq!(
            map(StoreError::NonceUsed { used_at: 5 }),
            FreeportError::InvalidCode {
                reason: "This code was already used".into()
            }
        );
    }

    #[test]
    fn identity_errors_map_to_passphrase_input_and_store_variants() {
        assert_eq!(
            map(IdentityError::WrongPassphrase),
            FreeportError::WrongPassphrase
        );
        assert_eq!(map(IdentityError::NotFound), FreeportError::NoIdentity);
        match map(IdentityError::InvalidBackup {
            rule: "bad bech32".into(),
        }) {
            FreeportError::InvalidInput { field, rule } => {
                assert_eq!(field, "ncryptsec");
                assert!(rule.contains("bad bech32"), "{rule}");
            }
            other => panic!("{other:?}"),
        }
        match map(IdentityError::AlreadyExists {
            public_key: "ab".into(),
        }) {
            FreeportError::NotPossible { what, .. } => assert_eq!(what, "create identity"),
            other => panic!("{other:?}"),
        }
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
            FreeportError::invalid("price", "field `price`: must be a number")
        );
        match map(ProtocolError::TooLarge {
            field: "title",
            actual: 900,
            limit: 120,
        }) {
            FreeportError::InvalidInput { field, .. } => assert_eq!(field, "title"),
            other => panic!("{other:?}"),
        }
        match map(NegotiationError::Protocol(ProtocolError::MissingField {
            field: "terms",
        })) {
            FreeportError::InvalidInput { field, .. } => assert_eq!(field, "terms"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn relay_negotiation_phone_and_store_errors() {
        assert_eq!(map(RelayError::NoRelayConnected), FreeportError::Offline);
        assert_eq!(map(RelayError::Shutdown), FreeportError::Offline);
        match map(RelayError::InvalidUrl {
            url: "ftp://x".into(),
            reason: "scheme".into(),
        }) {
            FreeportError::InvalidInput { field, rule } => {
                assert_eq!(field, "relays");
                assert!(rule.contains("ftp://x"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            map(RelayError::Pool("timeout".into())),
            FreeportError::Network { .. }
        ));
        assert_eq!(
            map(NegotiationError::NotYourTurn),
            FreeportError::NotPossible {
                what: "negotiation".into(),
                why: "the terms on the table are our own proposal; wait for their answer".into()
            }
        );
        assert_eq!(
            map(NegotiationError::UnknownThread { nego: "n".into() }),
            FreeportError::UnknownNegotiation { nego: "n".into() }
        );
        assert_eq!(
            map(PhoneError::Empty),
            FreeportError::Phone {
                reason: "phone number is empty".into()
            }
        );
        assert_eq!(
            map(ContactError::NoPhone),
            FreeportError::Phone {
                reason: "`contact` contains no phone number".into()
            }
        );
        assert!(matches!(
            map(StoreError::Corrupt { what: "row".into() }),
            FreeportError::Storage { .. }
        ));
        assert_eq!(
            map(StoreError::InvalidInput {
                field: "key",
                rule: "too long".into()
            }),
            FreeportError::invalid("key", "too long")
        );
        assert_eq!(
            map(ReputationError::InvalidParam {
                field: "epsilon",
                rule: "in 0..1".into()
            }),
            FreeportError::invalid("epsilon", "in 0..1")
        );
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
    fn display_is_the_message_a_screen_shows() {
        assert_eq!(
            FreeportError::invalid("npub", "is empty").to_string(),
            "npub: is empty"
        );
        assert_eq!(
            FreeportError::InvalidCode {
                reason: "This code was already used".into()
            }
            .to_string(),
            "This code was already used"
        );
    }
}
