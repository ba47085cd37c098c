//! Contact binding (DESIGN §3.5, issue 6): phone normalisation to E.164, masks, the contact
//! string exchanged in the encrypted accept, salted commitments, and the attestation check.
//!
//! Pure: no I/O, no clock. The only side effect is [`Salt::random`] drawing from the OS
//! CSPRNG. The wire fields (`phone`, `phone_commit`, `contact_verified`, `contact_masked`,
//! `contact_commit`, `contact`, `contact_salt`) are parsed in `protocol/`; this module works
//! on their plain string values. Formats and the privacy analysis are in docs/CONTACT.md.
//!
//! Flow:
//! 1. Profile: [`parse_phone`] → [`profile_phone_fields`] (mask by default; the full number
//!    only with a [`FullNumberConsent`]; `phone_commit` when a [`Salt`] is kept).
//! 2. Accept: [`build_contact_string`]; the salt goes hex-encoded in `contact_salt`.
//! 3. Receipt of an accept: [`extract_e164`] (+ [`Salt::from_hex`]).
//! 4. Rating: [`attestation_for`] the number actually reached.
//! 5. Screening: [`evaluate_attestation`] per rating; the reputation engine counts
//!    `verifies_current_number()` verdicts of trusted raters only.

mod attest;
mod commit;
mod exchange;
mod mask;
mod phone;

pub use attest::{
    Attestation, AttestationMismatch, AttestationVerdict, ConsentError, FullNumberConsent,
    PUBLISH_FULL_WARNING, PhoneVisibility, ProfilePhone, ProfilePhoneFields, Unverifiable,
    attestation_for, evaluate_attestation, profile_phone_fields,
};
pub use commit::{COMMIT_DOMAIN, CommitError, SALT_LEN, Salt, commitment, normalise_commitment};
pub use exchange::{
    CONTACT_SEPARATOR, ContactError, MAX_CONTACT_BYTES, MAX_CONTACT_FIELD_CHARS,
    build_contact_string, extract_e164, extract_phone, find_phone_like,
};
pub use mask::{
    CountryCode, HIDDEN, Incomparable, MAX_MASK_INPUT_CHARS, MIN_SHARED_DIGITS, Mask, MaskError,
    MaskMatch, MaskMismatch, PublishedPhone, Side, display_mask, mask_matches, reference_mask,
    reference_normalise,
};
pub use phone::{
    E164, MAX_E164_DIGITS, MAX_PHONE_INPUT_CHARS, PhoneError, PhoneProblem, parse_phone,
    preload_metadata,
};

#[cfg(test)]
mod tests;
