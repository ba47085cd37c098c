//! UniFFI surface: the only API the Android and iOS apps call (see lib.rs for the layering).
//!
//! Thin by rule: functions here validate and convert foreign input, delegate to the layers
//! below, and map every failure to a small structured error ([`ApiError`]) whose `Display` is
//! exported, so Kotlin's `toString()` and Swift's `description` show the Rust message. No panic
//! crosses the boundary: UniFFI catches unwinding panics (`panic = "unwind"` in every profile)
//! and the code here does not index, unwrap or do unchecked arithmetic on foreign input.
//!
//! What is exported today is the pipeline-proving surface (docs/BINDINGS.md): a sync function
//! ([`core_version`]), a validating function with a typed error ([`validate_npub`]), a foreign
//! trait implemented by the platform ([`SecretStore`]), and an async function on tokio that
//! calls it ([`load_or_create_identity`]). The `FreeportApp` facade is added next to these.

mod error;
mod info;

pub use error::ApiError;
pub use info::{MAX_PUBLIC_KEY_INPUT_CHARS, core_version, validate_npub};
