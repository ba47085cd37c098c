//! Records and enums the facade adds to the view records of `app::views`, with their
//! conversions to the use-case types. Conversions validate what foreign code can get wrong
//! (JSON text, bounds) and name the field in the error.

use std::time::Duration;

use serde_json::{Map, Value};

use super::FreeportError;
use crate::app::{AppConfig, AppEvent, PostIntent, ProfileUpdate, RateInput};
use crate::protocol::envelope::Terms;
use crate::protocol::intent::Side;

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
    /// Relay URLs (`wss://…`; `ws://` for loopback relays in tests).
    pub relays: Vec<String>,
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
            format!("is {bits}; at most {MAX_POW_BITS} bits of proof of work"),
        ));
    }
    Ok(bits)
}

impl TryFrom<FreeportConfig> for AppConfig {
    type Error = FreeportError;

    fn try_from(c: FreeportConfig) -> Result<Self, FreeportError> {
        if c.data_dir.trim().is_empty() {
            return Err(FreeportError::invalid("data_dir", "is empty"));
        }
        if !(1..=12).contains(&c.geohash_precision) {
            return Err(FreeportError::invalid(
                "geohash_precision",
                format!("is {}; must be 1..=12", c.geohash_precision),
            ));
        }
        let mut cfg = AppConfig::new(c.data_dir, c.relays);
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

/// Which side of a market an intent is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum IntentSide {
    /// Something offered.
    Offer,
    /// Something wanted.
    Request,
}

impl From<IntentSide> for Side {
    fn from(s: IntentSide) -> Self {
        match s {
            IntentSide::Offer => Side::Offer,
            IntentSide::Request => Side::Request,
        }
    }
}

/// What the post form submits.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PostIntentInput {
    /// Market topic (`sg-rideshare`), schema (`goods/1`) or schema family (`goods`).
    pub market: String,
    /// Offer or request.
    pub side: IntentSide,
    /// One-line title.
    pub title: String,
    /// The payload, a JSON object following the market's schema.
    pub payload_json: String,
    /// Where (a geohash); published at the configured precision.
    pub geohash: Option<String>,
    /// Lifetime; the market's default when `None`.
    pub expires_in_secs: Option<u64>,
    /// Proof of work; the configured `intent_pow_bits` when `None`.
    pub pow_bits: Option<u8>,
}

/// Parses foreign JSON text that must be an object, naming `field` when it is not.
pub(crate) fn json_object(field: &str, text: &str) -> Result<Map<String, Value>, FreeportError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(FreeportError::invalid(field, "must be a JSON object")),
        Err(e) => Err(FreeportError::invalid(field, format!("is not JSON: {e}"))),
    }
}

/// Negotiation terms from foreign JSON text (an object of term keys).
pub(crate) fn terms_from_json(text: &str) -> Result<Terms, FreeportError> {
    let map = json_object("terms_json", text)?;
    Terms::from_map(&map).map_err(|e| FreeportError::invalid("terms_json", e.to_string()))
}

impl TryFrom<PostIntentInput> for PostIntent {
    type Error = FreeportError;

    fn try_from(p: PostIntentInput) -> Result<Self, FreeportError> {
        let payload = Value::Object(json_object("payload_json", &p.payload_json)?);
        let pow_bits = p.pow_bits.map(|b| check_pow("pow_bits", b)).transpose()?;
        Ok(Self {
            market: p.market,
            side: p.side.into(),
            title: p.title,
            payload,
            geohash: p.geohash,
            expires_in_secs: p.expires_in_secs,
            pow_bits,
            window: None,
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
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
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
        /// The new state (see `DealView.state`).
        state: String,
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
    /// An incoming message was refused (injection, replay, malformed…).
    MessageRejected {
        /// Why.
        reason: String,
    },
    /// A notice was written (pending until acknowledged with `ackNotices`).
    Notice {
        /// The notice.
        notice: crate::app::Notice,
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
            AppEvent::MessageRejected { reason } => Self::MessageRejected { reason },
            AppEvent::Notice { notice } => Self::Notice { notice },
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
            default_region: Some("SG".into()),
            intent_pow_bits: 0,
            rating_pow_bits: 0,
            geohash_precision: 5,
        }
    }

    fn field_of(e: FreeportError) -> String {
        match e {
            FreeportError::InvalidInput { field, .. } => field,
            other => panic!("{other:?}"),
        }
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
            payload_json: r#"{"item":"bike","price":10}"#.into(),
            geohash: None,
            expires_in_secs: None,
            pow_bits: Some(0),
        }
    }

    #[test]
    fn post_input_parses_the_payload_object() {
        let p = PostIntent::try_from(post()).unwrap();
        assert_eq!(p.side, Side::Offer);
        assert_eq!(p.payload["item"], "bike");
        assert_eq!(p.pow_bits, Some(0));
    }

    #[test]
    fn post_input_refuses_non_object_or_broken_json_and_huge_pow() {
        for bad in ["[1,2]", "\"text\"", "{", "", "null"] {
            let e = PostIntent::try_from(PostIntentInput {
                payload_json: bad.into(),
                ..post()
            })
            .unwrap_err();
            assert_eq!(field_of(e), "payload_json", "{bad}");
        }
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
                state: "confirmed".into()
            }),
            AppEventRecord::NegotiationChanged {
                nego: "n".into(),
                state: "confirmed".into()
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
            AppEventRecord::from(AppEvent::MessageRejected { reason: "r".into() }),
            AppEventRecord::MessageRejected { reason: "r".into() }
        );
    }
}
