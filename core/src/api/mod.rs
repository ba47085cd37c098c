//! UniFFI surface: the only API the Android and iOS apps call (see lib.rs for the layering and
//! docs/BINDINGS.md for the table of everything exported).
//!
//! Thin by rule: every method converts foreign input, calls [`crate::app::App`] and converts the
//! result; there is no business logic here. Every failure is a [`FreeportError`] (small
//! variants with fields, `Display` exported). No panic crosses the boundary: nothing here
//! unwraps, indexes or does unchecked arithmetic on foreign input, and UniFFI catches unwinding
//! panics (`panic = "unwind"` in every profile) as a last resort.
//!
//! Foreign traits: [`crate::identity::SecretStore`] (Keystore / Keychain) and [`AppListener`].

mod app;
mod error;
mod info;
mod listener;
mod records;
mod relay;
mod relay_settings;

pub use app::FreeportApp;
pub use error::FreeportError;
pub use info::{
    MAX_PUBLIC_KEY_INPUT_CHARS, check_passphrase, core_version, default_config,
    full_number_warning, geohash_for, validate_npub,
};
pub use listener::{AppListener, ListenerHandle};
pub use records::{
    AppEventRecord, CheckinShareInput, FreeportConfig, IdentityView, MAX_POW_BITS, PostIntentInput,
    ProfileInput, RateRecord,
};
pub use relay::EmbeddedRelayHandle;
pub use relay_settings::{InboxStatus, RelayListRole, RelayUrlRule, RelayViolationRecord};
