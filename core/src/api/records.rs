//! Records and enums the facade adds to the view records of `app::views`, with their
//! conversions to the use-case types. Conversions validate what foreign code can get wrong
//! (JSON text, bounds) and name the field in the error.

use std::time::Duration;

use serde_json::{Map, Value};

use super::FreeportError;
use crate::app::{
    AppConfig, AppEvent, DealState, FormEntry, IntentSide, Payload, PostIntent, ProfileUpdate,
    RateInput, RefusalCode,
};
use crate::protocol::envelope::Terms;
use crate::protocol::intent::TimeWindow;
use crate::rules::{Format, Rule, ValueKind};

/// Highest proof-of-work difficulty a caller may ask for. Each bit doubles the signing time;
/// 24 bits already take minutes on a cheap phone, beyond that a call would never return.
pub const MAX_POW_BITS: u8 = 24;

/// How long one-shot relay queries (browse, screen, sync) wait for answers.
const QUERY_TIMEOUT: Duration = Duration::from_secs(5);

/// Settings of a [`FreeportApp`](super::FreeportApp). Start from
/// [`default_config`](super::default_config).
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct FreeportConfig {
    /// Directory for the SQLite store (app-private storage; nothing secret is written there in
    /// plain text).
    pub data_dir: String,
    /// Read and write relays for this run (`wss://…`; `ws://` only to this device, e.g. a test
    /// relay). Empty (as [`default_config`](super::default_config) returns it): the saved relay
    /// settings, which start as the shipped defaults. When nothing is saved yet, non-empty
    /// `relays` also become the first settings (read, write and inbox).
    pub relays: Vec<String>,
    /// Index relays: our relay lists are also published there and other people's looked up
    /// there, connected on demand ([`default_config`](super::default_config): the shipped ones).
    #[uniffi(default)]
    pub index_relays: Vec<String>,
    /// ISO 3166 region for phone numbers typed in national format, e.g. `SG`.
    pub default_region: Option<String>,
    /// NIP-13 proof of work on intents (reference client: 12).
    pub intent_pow_bits: u8,
    /// NIP-13 proof of work on ratings (reference client: 8).
    pub rating_pow_bits: u8,
    /// Precision of the geohash tags published with an intent, 1–12 (reference: 5).
    pub geohash_precision: u8,
}

fn check_pow(field: &str, bits: u8) -> Result<u8, FreeportError> {
    if bits > MAX_POW_BITS {
        return Err(FreeportError::invalid(
            field,
            Rule::AboveMaximum {
                max: f64::from(MAX_POW_BITS),
            },
        ));
    }
    Ok(bits)
}

impl TryFrom<FreeportConfig> for AppConfig {
    type Error = FreeportError;

    fn try_from(c: FreeportConfig) -> Result<Self, FreeportError> {
        if c.data_dir.trim().is_empty() {
            return Err(FreeportError::invalid("data_dir", Rule::Required));
        }
        if c.geohash_precision < 1 {
            return Err(FreeportError::invalid(
                "geohash_precision",
                Rule::BelowMinimum { min: 1.0 },
            ));
        }
        if c.geohash_precision > 12 {
            return Err(FreeportError::invalid(
                "geohash_precision",
                Rule::AboveMaximum { max: 12.0 },
            ));
        }
        if !c.relays.is_empty() {
            crate::relay::RelaySettings::uniform(&c.relays).map_err(|v| {
                FreeportError::InvalidRelays {
                    violations: v.into_iter().map(Into::into).collect(),
                }
            })?;
        }
        for u in &c.index_relays {
            crate::relay::lists::check_relay_url(u, crate::relay::UrlPolicy::OWN).map_err(
                |_| {
                    FreeportError::invalid(
                        "index_relays",
                        Rule::BadFormat {
                            format: Format::RelayUrl,
                        },
                    )
                },
            )?;
        }
        let mut cfg = AppConfig::new(c.data_dir, c.relays);
        cfg.index_relays = c.index_relays;
        cfg.intent_pow_bits = check_pow("intent_pow_bits", c.intent_pow_bits)?;
        cfg.rating_pow_bits = check_pow("rating_pow_bits", c.rating_pow_bits)?;
        cfg.geohash_precision = c.geohash_precision;
        cfg.default_region = c.default_region.filter(|r| !r.trim().is_empty());
        cfg.query_timeout = QUERY_TIMEOUT;
        Ok(cfg)
    }
}

/// The user's own identity.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct IdentityView {
    /// Public key, 64 hex characters.
    pub pubkey: String,
    /// The same key as `npub1…`, for sharing.
    pub npub: String,
}

impl From<nostr::PublicKey> for IdentityView {
    fn from(pk: nostr::PublicKey) -> Self {
        Self {
            pubkey: pk.to_hex(),
            npub: crate::identity::to_npub(&pk),
        }
    }
}

/// What the profile screen submits. `None` leaves a field empty in the published profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, uniffi::Record)]
pub struct ProfileInput {
    /// Display name.
    pub name: Option<String>,
    /// A short self-description.
    pub about: Option<String>,
    /// Phone number (international, or national with `default_region`); kept private, only a
    /// mask and a salted commitment are published unless `publish_full_number`.
    pub phone: Option<String>,
    /// Publish the full number (needs `full_number_warning_shown`).
    pub publish_full_number: bool,
    /// The exact [`full_number_warning`](super::full_number_warning) the user confirmed.
    pub full_number_warning_shown: Option<String>,
    /// Vehicle model (ride-share drivers).
    pub vehicle_model: Option<String>,
    /// Licence plate (ride-share drivers).
    pub plate: Option<String>,
}

impl From<ProfileInput> for ProfileUpdate {
    fn from(p: ProfileInput) -> Self {
        Self {
            name: p.name,
            about: p.about,
            phone: p.phone,
            publish_full_number: p.publish_full_number,
            full_number_warning_shown: p.full_number_warning_shown,
            vehicle_model: p.vehicle_model,
            plate: p.plate,
        }
    }
}

/// What the post form submits: the market form's entries as typed (the core builds and
/// validates the payload; every violation comes back on its field).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PostIntentInput {
    /// Market topic (`sg-rideshare`), schema (`goods/1`) or schema family (`goods`).
    pub market: String,
    /// Offer or request.
    pub side: IntentSide,
    /// One-line title (at most 200 characters).
    pub title: String,
    /// What was entered in the market's form fields (`MarketView.form`), by path.
    pub entries: Vec<FormEntry>,
    /// Where (a geohash); published at the configured precision. `None`: where the first
    /// place field of the form is.
    pub geohash: Option<String>,
    /// Lifetime; the market's default when `None`.
    pub expires_in_secs: Option<u64>,
    /// Proof of work; the configured `intent_pow_bits` when `None`.
    pub pow_bits: Option<u8>,
    /// When: the window's start and end (unix seconds), as the reference's agent matches it.
    #[uniffi(default = None)]
    pub window_start: Option<u64>,
    #[uniffi(default = None)]
    pub window_end: Option<u64>,
    /// Minutes of flexibility around the window.
    #[uniffi(default = None)]
    pub flex_minutes: Option<u32>,
}

/// Parses foreign JSON text that must be an object, naming `field` when it is not.
pub(crate) fn json_object(field: &str, text: &str) -> Result<Map<String, Value>, FreeportError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(FreeportError::invalid(
            field,
            Rule::WrongType {
                expected: ValueKind::Object,
            },
        )),
        Err(_) => Err(FreeportError::invalid(
            field,
            Rule::BadFormat {
                format: Format::Json,
            },
        )),
    }
}

/// Negotiation terms from foreign JSON text (an object of term keys).
pub(crate) fn terms_from_json(text: &str) -> Result<Terms, FreeportError> {
    let map = json_object("terms_json", text)?;
    Terms::from_map(&map).map_err(|_| FreeportError::invalid("terms_json", Rule::Invalid))
}

impl TryFrom<PostIntentInput> for PostIntent {
    type Error = FreeportError;

    fn try_from(p: PostIntentInput) -> Result<Self, FreeportError> {
        let pow_bits = p.pow_bits.map(|b| check_pow("pow_bits", b)).transpose()?;
        let window = match (p.window_start, p.window_end) {
            (None, None) => None,
            (Some(start), Some(end)) => Some(TimeWindow { start, end }),
            (Some(_), None) => return Err(FreeportError::invalid("window_end", Rule::Required)),
            (None, Some(_)) => return Err(FreeportError::invalid("window_start", Rule::Required)),
        };
        Ok(Self {
            market: p.market,
            side: p.side.into(),
            title: p.title,
            payload: Payload::Form(p.entries),
            geohash: p.geohash,
            expires_in_secs: p.expires_in_secs,
            pow_bits,
            window,
            flex_minutes: p.flex_minutes,
        })
    }
}

/// A rating: two yes/no questions, an optional reference score and the phone attestation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct RateRecord {
    /// Did I feel safe?
    pub safe: bool,
    /// Did they do what was agreed?
    pub reliable: bool,
    /// Optional −1..=2 score for reference clients; derived from the answers when `None`.
    pub score: Option<i8>,
    /// "I reached them at the number their profile shows" (attests the number).
    pub reached_number: bool,
}

/// A check-in to share from a deal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckinShareInput {
    /// The deal (confirmed or met).
    pub nego: String,
    /// Trusted contacts to share with (npub, nprofile, hex or `nostr:` URI); at least one.
    pub contacts: Vec<String>,
    /// The deadline, unix seconds (at least a minute, at most three days ahead).
    pub deadline: u64,
    /// Where (default: the deal's place).
    pub place_name: Option<String>,
    /// A geohash at the precision the user picked (default: the deal's place's).
    pub geohash: Option<String>,
}

impl From<CheckinShareInput> for crate::app::CheckinShare {
    fn from(c: CheckinShareInput) -> Self {
        Self {
            nego: c.nego,
            contacts: c.contacts,
            deadline: c.deadline,
            place_name: c.place_name,
            geohash: c.geohash,
        }
    }
}

impl From<RateRecord> for RateInput {
    fn from(r: RateRecord) -> Self {
        Self {
            safe: r.safe,
            reliable: r.reliable,
            score: r.score,
            reached_number: r.reached_number,
        }
    }
}

/// A live update delivered to an [`AppListener`](super::AppListener).
// A notice with a check-in alert is the large variant; events are few and short-lived, and
// UniFFI enums cannot box.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum AppEventRecord {
    /// A new or updated intent arrived in a watched market.
    IntentSeen {
        /// Market topic.
        market: String,
        /// Intent event id, hex.
        intent_id: String,
    },
    /// A negotiation changed state or terms.
    NegotiationChanged {
        /// Negotiation id.
        nego: String,
        /// Its state now.
        state: DealState,
    },
    /// A deal was co-signed in person.
    DealMet {
        /// Negotiation id.
        nego: String,
    },
    /// New receipts, ratings or profile data changed someone's screening.
    ScreeningChanged {
        /// Public key, hex.
        pubkey: String,
    },
    /// An incoming message was refused (injection, replay, malformed…); reported once per
    /// message (see `FreeportApp::refusals`).
    MessageRejected {
        /// Why, as a code.
        code: RefusalCode,
        /// The deal it concerned, when it came from that deal's counterparty.
        nego: Option<String>,
    },
    /// A chat message arrived in a deal.
    ChatReceived {
        /// Negotiation id.
        nego: String,
    },
    /// A notice was written (pending until acknowledged with `ackNotices`).
    Notice {
        /// The notice.
        notice: crate::app::Notice,
    },
    /// A check-in (the user's own, or one a contact shares) changed: refresh its screen.
    CheckinChanged {
        /// The check-in id.
        id: String,
    },
}

impl From<AppEvent> for AppEventRecord {
    fn from(e: AppEvent) -> Self {
        match e {
            AppEvent::IntentSeen { market, intent_id } => Self::IntentSeen { market, intent_id },
            AppEvent::NegotiationChanged { nego, state } => {
                Self::NegotiationChanged { nego, state }
            }
            AppEvent::DealMet { nego } => Self::DealMet { nego },
            AppEvent::ScreeningChanged { pubkey } => Self::ScreeningChanged { pubkey },
            AppEvent::MessageRejected { code, nego } => Self::MessageRejected { code, nego },
            AppEvent::ChatReceived { nego } => Self::ChatReceived { nego },
            AppEvent::Notice { notice } => Self::Notice { notice },
            AppEvent::CheckinChanged { id } => Self::CheckinChanged { id },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> FreeportConfig {
        FreeportConfig {
            data_dir: "/tmp/x".into(),
            relays: vec!["ws://127.0.0.1:1".into()],
            index_relays: Vec::new(),
            default_region: Some("SG".into()),
            intent_pow_bits: 0,
            rating_pow_bits: 0,
            geohash_precision: 5,
        }
    }

    fn field_of(e: FreeportError) -> String {
        match e {
            FreeportError::InvalidInput { violations } => violations[0].field.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn config_relays_are_checked_by_the_core_rules() {
        match AppConfig::try_from(FreeportConfig {
            relays: vec![
                "wss://ok.example.com".into(),
                "http://bad.example.com".into(),
            ],
            ..config()
        }) {
            Err(FreeportError::InvalidRelays { violations }) => {
                assert_eq!(violations.len(), 3, "read, write and inbox: {violations:?}");
                assert!(violations.iter().all(|v| v.index == Some(1)
                    && v.rule == super::super::RelayUrlRule::Scheme));
            }
            other => panic!("{other:?}"),
        }
        let e = AppConfig::try_from(FreeportConfig {
            index_relays: vec!["wss://10.0.0.1 x".into()],
            ..config()
        })
        .unwrap_err();
        assert_eq!(field_of(e), "index_relays");
        let ok = AppConfig::try_from(FreeportConfig {
            relays: Vec::new(),
            index_relays: vec!["wss://purplepag.es".into()],
            ..config()
        })
        .unwrap();
        assert!(ok.relays.is_empty(), "empty: the saved settings");
        assert_eq!(ok.index_relays, vec!["wss://purplepag.es".to_string()]);
    }

    #[test]
    fn config_converts_and_checks_its_bounds() {
        let cfg = AppConfig::try_from(config()).unwrap();
        assert_eq!(cfg.relays, vec!["ws://127.0.0.1:1".to_string()]);
        assert_eq!(cfg.default_region.as_deref(), Some("SG"));
        assert_eq!(cfg.intent_pow_bits, 0);
        for (c, field) in [
            (
                FreeportConfig {
                    data_dir: " ".into(),
                    ..config()
                },
                "data_dir",
            ),
            (
                FreeportConfig {
                    geohash_precision: 0,
                    ..config()
                },
                "geohash_precision",
            ),
            (
                FreeportConfig {
                    geohash_precision: 13,
                    ..config()
                },
                "geohash_precision",
            ),
            (
                FreeportConfig {
                    intent_pow_bits: 25,
                    ..config()
                },
                "intent_pow_bits",
            ),
            (
                FreeportConfig {
                    rating_pow_bits: 255,
                    ..config()
                },
                "rating_pow_bits",
            ),
        ] {
            assert_eq!(field_of(AppConfig::try_from(c).unwrap_err()), field);
        }
    }

    fn post() -> PostIntentInput {
        PostIntentInput {
            market: "goods/1".into(),
            side: IntentSide::Offer,
            title: "Bike".into(),
            entries: vec![
                FormEntry::text("/item", "bike"),
                FormEntry::text("/price", "10"),
            ],
            geohash: None,
            expires_in_secs: None,
            pow_bits: Some(0),
            window_start: None,
            window_end: None,
            flex_minutes: None,
        }
    }

    #[test]
    fn post_input_carries_the_form_entries() {
        let p = PostIntent::try_from(post()).unwrap();
        assert_eq!(p.side, crate::protocol::intent::Side::Offer);
        let Payload::Form(entries) = &p.payload else {
            panic!("{:?}", p.payload);
        };
        assert_eq!(entries[0], FormEntry::text("/item", "bike"));
        assert_eq!(p.pow_bits, Some(0));
    }

    #[test]
    fn post_input_refuses_huge_pow() {
        let e = PostIntent::try_from(PostIntentInput {
            pow_bits: Some(40),
            ..post()
        })
        .unwrap_err();
        assert_eq!(field_of(e), "pow_bits");
    }

    #[test]
    fn terms_json_must_be_an_object_of_terms() {
        let t = terms_from_json(r#"{"price":120}"#).unwrap();
        assert_eq!(t, Terms::new().with("price", serde_json::json!(120)));
        for bad in ["42", "{\"price\":", "[]"] {
            assert_eq!(field_of(terms_from_json(bad).unwrap_err()), "terms_json");
        }
    }

    #[test]
    fn events_convert_one_to_one() {
        assert_eq!(
            AppEventRecord::from(AppEvent::DealMet { nego: "n".into() }),
            AppEventRecord::DealMet { nego: "n".into() }
        );
        assert_eq!(
            AppEventRecord::from(AppEvent::NegotiationChanged {
                nego: "n".into(),
                state: DealState::Confirmed
            }),
            AppEventRecord::NegotiationChanged {
                nego: "n".into(),
                state: DealState::Confirmed
            }
        );
        assert_eq!(
            AppEventRecord::from(AppEvent::IntentSeen {
                market: "m".into(),
                intent_id: "i".into()
            }),
            AppEventRecord::IntentSeen {
                market: "m".into(),
                intent_id: "i".into()
            }
        );
        assert_eq!(
            AppEventRecord::from(AppEvent::ScreeningChanged { pubkey: "p".into() }),
            AppEventRecord::ScreeningChanged { pubkey: "p".into() }
        );
        assert_eq!(
            AppEventRecord::from(AppEvent::MessageRejected {
                code: RefusalCode::NotForUs,
                nego: Some("n".into()),
            }),
            AppEventRecord::MessageRejected {
                code: RefusalCode::NotForUs,
                nego: Some("n".into()),
            }
        );
    }
}
