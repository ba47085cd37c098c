//! Freeport core: all domain logic, storage, relay I/O and the UniFFI surface.
//!
//! Layering (dependencies point downward only; see DESIGN.md §2):
//!
//! ```text
//! api/          UniFFI facade: thin, converts and delegates
//! app/          use cases: post, browse, negotiate, meet, rate, screen, backup, check-ins
//! checkin/      pure meetup check-in: messages, state machines (no I/O)
//! protocol/     pure wire formats (no I/O)
//! negotiation/  pure state machine (no I/O)
//! reputation/   pure graph + trust propagation + aggregation (no I/O)
//! contact/      pure phone normalisation, masking, commitments
//! meet/         single-use codes: token, QR render/decode, ledger rules
//! store/        SQLite: migrations, events, negotiations, outbox, nonces, settings
//! relay/        nostr-sdk client, outbox publishing, subscriptions, NIP-17/NIP-04
//! identity/     keys, SecretStore implementations, NIP-49 backup
//! rules         pure validation codes (FieldViolation, Rule) every layer reports with
//! ```

pub mod api;
pub mod app;
pub mod checkin;
pub mod contact;
pub mod identity;
pub mod meet;
pub mod negotiation;
pub mod protocol;
pub mod relay;
pub mod reputation;
pub mod rules;
pub mod store;

uniffi::setup_scaffolding!();
