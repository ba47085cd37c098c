//! Publishing the phone in the profile, attesting it when rating, and judging attestations.

use super::commit::{CommitError, Salt, commitment, normalise_commitment};
use super::mask::{
    Incomparable, Mask, MaskError, MaskMatch, MaskMismatch, mask_matches, reference_mask,
};
use super::phone::E164;

/// Text the UI must show, and the user confirm, before the full number is published.
pub const PUBLISH_FULL_WARNING: &str = "Publishing your full phone number is permanent. Your \
profile is copied by relays and by anyone who reads it; the number cannot be taken back, even \
if you switch to the masked number later. Counterparties already receive your full number in \
the encrypted accept, so publishing it is never needed to trade.";

/// Proof that the user saw [`PUBLISH_FULL_WARNING`] and chose to publish the full number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullNumberConsent(());

impl FullNumberConsent {
    /// Records the consent; `shown_warning` must be exactly the warning the UI displayed.
    pub fn acknowledge(shown_warning: &str) -> Result<FullNumberConsent, ConsentError> {
        if shown_warning == PUBLISH_FULL_WARNING {
            Ok(FullNumberConsent(()))
        } else {
            Err(ConsentError::WarningNotShown)
        }
    }
}

/// Why a full-number consent was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConsentError {
    /// The acknowledged text is not [`PUBLISH_FULL_WARNING`].
    #[error("publishing the full number requires showing PUBLISH_FULL_WARNING verbatim")]
    WarningNotShown,
}

/// How the profile publishes the phone. The default is the mask.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PhoneVisibility {
    /// Reference mask (`+84•••••5678`).
    #[default]
    Masked,
    /// Full E.164, only with the user's explicit consent.
    Full(FullNumberConsent),
}

/// The profile fields to publish for a phone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfilePhoneFields {
    /// Profile `phone`: the reference mask, or the full number with consent.
    pub phone: String,
    /// Profile `phone_commit` (our extension), when a salt is used.
    pub phone_commit: Option<String>,
}

/// Builds the profile's `phone` (and `phone_commit` when `salt` is given).
pub fn profile_phone_fields(
    number: &E164,
    visibility: &PhoneVisibility,
    salt: Option<&Salt>,
) -> ProfilePhoneFields {
    let phone = match visibility {
        PhoneVisibility::Masked => reference_mask(number),
        PhoneVisibility::Full(_) => number.as_str().to_string(),
    };
    ProfilePhoneFields {
        phone,
        phone_commit: salt.map(|s| commitment(number, s)),
    }
}

/// A phone value a subject published (now or in an earlier profile), as read from the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePhone {
    /// Profile `phone` (full number or mask), if any.
    pub phone: Option<String>,
    /// Profile `phone_commit`, if any.
    pub phone_commit: Option<String>,
}

impl ProfilePhone {
    fn commit(&self) -> Option<String> {
        // A malformed published commitment is treated as absent: the subject's own garbage
        // must not turn honest attestations into mismatches.
        self.phone_commit
            .as_deref()
            .and_then(|c| normalise_commitment("phone_commit", c).ok())
    }
}

/// The contact fields of a rating, as read from the wire.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attestation {
    /// Rating `contact_verified`.
    pub contact_verified: bool,
    /// Rating `contact_masked`.
    pub contact_masked: Option<String>,
    /// Rating `contact_commit` (our extension).
    pub contact_commit: Option<String>,
}

/// The attestation a rater publishes after confirming "I reached them at this number":
/// the reference mask of the number reached and, when the counterparty sent a salt, the
/// commitment recomputed from that number and salt.
///
/// Before asking the user to confirm, the app can preview what verifiers will conclude with
/// `evaluate_attestation(&attestation_for(reached, salt), &subject_now, &[])`.
pub fn attestation_for(reached: &E164, salt: Option<&Salt>) -> Attestation {
    Attestation {
        contact_verified: true,
        contact_masked: Some(reference_mask(reached)),
        contact_commit: salt.map(|s| commitment(reached, s)),
    }
}

/// A verifier's judgement of one attestation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationVerdict {
    /// The rating makes no contact claim.
    NotAttested,
    /// The commitment matches the current `phone_commit` (strong: every digit checked).
    VerifiedExact,
    /// The attested mask matches the current `phone`.
    Verified,
    /// Matches a phone value the subject published before ("verified on a previous number").
    VerifiedPreviousNumber {
        /// True when it was a commitment match.
        exact: bool,
    },
    /// The claim cannot be checked; not counted, no warning.
    Unverifiable {
        /// Why.
        reason: Unverifiable,
    },
    /// Contradicts what the subject publishes: discard, show a quiet warning.
    Mismatch {
        /// What contradicts.
        reason: AttestationMismatch,
    },
}

impl AttestationVerdict {
    /// True when the attestation verifies the subject's current number (counts towards
    /// "verified by N" if the reputation engine trusts the rater).
    pub fn verifies_current_number(&self) -> bool {
        matches!(
            self,
            AttestationVerdict::VerifiedExact | AttestationVerdict::Verified
        )
    }

    /// True when the verdict should be surfaced as a quiet warning.
    pub fn is_warning(&self) -> bool {
        matches!(self, AttestationVerdict::Mismatch { .. })
    }
}

/// Why an attestation could not be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Unverifiable {
    /// `contact_verified` without a mask or a commitment the subject can be checked against.
    #[error("attestation carries neither a mask nor a checkable commitment")]
    NothingToCheck,
    /// The subject publishes no phone (now or before).
    #[error("the subject publishes no phone number")]
    NoPublishedPhone,
    /// The masks cannot be compared (too little overlap, mixed formats, unreadable profile).
    #[error("{0}")]
    Incomparable(Incomparable),
}

/// Why an attestation contradicts the subject's published phone.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationMismatch {
    /// `contact_commit` differs from the published `phone_commit` (and every previous one).
    #[error("contact_commit does not match the published phone_commit")]
    Commitment,
    /// The attested mask differs from the published phone.
    #[error("contact_masked does not match the published phone: {0}")]
    Mask(MaskMismatch),
    /// The commitment matches but the mask in the same rating contradicts the number.
    #[error("contact_masked contradicts the matching commitment: {0}")]
    MaskContradictsCommitment(MaskMismatch),
    /// `contact_masked` is not a readable mask.
    #[error("contact_masked is unreadable: {0}")]
    UnreadableMask(MaskError),
    /// `contact_commit` is not 64 hex characters.
    #[error("contact_commit is unreadable: {0}")]
    UnreadableCommitment(CommitError),
}

/// Judges one rating's contact attestation against the subject's current published phone
/// and the phone values it published before (any order). Pure: the caller decides which
/// raters are trusted and counts only their `verifies_current_number()` verdicts.
pub fn evaluate_attestation(
    att: &Attestation,
    current: &ProfilePhone,
    previous: &[ProfilePhone],
) -> AttestationVerdict {
    use AttestationVerdict as V;
    if !att.contact_verified {
        return V::NotAttested;
    }
    let att_mask = match att.contact_masked.as_deref() {
        None => None,
        Some(s) => match Mask::parse_phone_field(s) {
            Ok(_) => Some(s),
            Err(e) => {
                return V::Mismatch {
                    reason: AttestationMismatch::UnreadableMask(e),
                };
            }
        },
    };
    let att_commit = match att.contact_commit.as_deref() {
        None => None,
        Some(s) => match normalise_commitment("contact_commit", s) {
            Ok(c) => Some(c),
            Err(e) => {
                return V::Mismatch {
                    reason: AttestationMismatch::UnreadableCommitment(e),
                };
            }
        },
    };

    // Commitment path: decisive whenever the subject publishes a commitment.
    if let Some(commit) = &att_commit {
        let current_commit = current.commit();
        if current_commit.as_deref() == Some(commit.as_str()) {
            if let (Some(m), Some(p)) = (att_mask, current.phone.as_deref())
                && let MaskMatch::Mismatch { reason } = mask_matches(m, p)
            {
                return V::Mismatch {
                    reason: AttestationMismatch::MaskContradictsCommitment(reason),
                };
            }
            return V::VerifiedExact;
        }
        if previous
            .iter()
            .any(|p| p.commit().as_deref() == Some(commit.as_str()))
        {
            return V::VerifiedPreviousNumber { exact: true };
        }
        if current_commit.is_some() {
            return V::Mismatch {
                reason: AttestationMismatch::Commitment,
            };
        }
        // The subject publishes no commitment now: fall back to the mask.
    }

    let Some(mask) = att_mask else {
        return V::Unverifiable {
            reason: Unverifiable::NothingToCheck,
        };
    };
    let matches_previous = || {
        previous.iter().any(|p| {
            p.phone
                .as_deref()
                .is_some_and(|ph| mask_matches(mask, ph) == MaskMatch::Match)
        })
    };
    let Some(published) = current.phone.as_deref() else {
        return if matches_previous() {
            V::VerifiedPreviousNumber { exact: false }
        } else {
            V::Unverifiable {
                reason: Unverifiable::NoPublishedPhone,
            }
        };
    };
    match mask_matches(mask, published) {
        MaskMatch::Match => V::Verified,
        _ if matches_previous() => V::VerifiedPreviousNumber { exact: false },
        MaskMatch::Mismatch { reason } => V::Mismatch {
            reason: AttestationMismatch::Mask(reason),
        },
        MaskMatch::Incomparable { reason } => V::Unverifiable {
            reason: Unverifiable::Incomparable(reason),
        },
    }
}
