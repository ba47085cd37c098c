//! The error every exported function returns.

/// Why an exported call failed. Every variant names what was wrong in fields, never only prose.
///
/// Kotlin sees `ApiException.<Variant>` with one `val` per field; Swift sees `ApiError.<variant>`
/// with labelled associated values. `Display` is exported (Kotlin `toString()`, Swift
/// `description`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum ApiError {
    /// An argument broke a rule; `field` names the argument, `rule` says what was expected.
    #[error("{field}: {rule}")]
    InvalidInput {
        /// The argument (or record field) that was refused.
        field: String,
        /// The rule it broke, in words suitable for a developer log.
        rule: String,
    },
    /// The platform secret store is temporarily unusable (e.g. device not unlocked yet); retry later.
    #[error("secret store unavailable during {operation}: {reason}")]
    SecretStoreUnavailable {
        /// `get`, `put` or `delete`.
        operation: String,
        /// What the platform reported.
        reason: String,
    },
    /// The platform secret store failed (threw an unexpected exception or lost a write).
    #[error("secret store failed during {operation}: {reason}")]
    SecretStoreFailed {
        /// `get`, `put`, `delete` or `verify`.
        operation: String,
        /// What the platform reported, or what check failed.
        reason: String,
    },
    /// A stored secret exists but cannot be used; it is left untouched so it can be recovered.
    #[error("stored secret `{key}` is unusable: {rule}")]
    CorruptSecret {
        /// The secret-store key under which the bad value sits.
        key: String,
        /// What is wrong with it (never the secret itself).
        rule: String,
    },
    /// A bug or a dead worker thread inside the core; report it.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: String,
    },
}
