//! Synchronous helpers: library version and public-key validation.

use nostr::PublicKey;
use nostr::nips::nip19::ToBech32;

use super::ApiError;

/// Longest public-key input accepted by [`validate_npub`] (characters); longer input is refused
/// before parsing.
pub const MAX_PUBLIC_KEY_INPUT_CHARS: usize = 200;

/// The version of the Rust core (`freeport-core` crate version), for the About screen and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Validate a public key typed or pasted by the user and return it in canonical `npub1…` form.
///
/// Accepts an `npub`, 64 hex characters or a `nostr:npub…` URI, ignoring surrounding
/// whitespace. Refuses a secret key (`nsec…`) with a rule telling the user not to share it.
#[uniffi::export]
pub fn validate_npub(input: String) -> Result<String, ApiError> {
    let invalid = |rule: String| ApiError::InvalidInput {
        field: "npub".to_owned(),
        rule,
    };
    let trimmed = input.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(invalid("is empty".to_owned()));
    }
    if chars > MAX_PUBLIC_KEY_INPUT_CHARS {
        return Err(invalid(format!(
            "is {chars} characters long; the limit is {MAX_PUBLIC_KEY_INPUT_CHARS}"
        )));
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("nsec1") || lower.starts_with("nostr:nsec1") {
        return Err(invalid(
            "is a secret key (nsec); never share it — enter the public key (npub) instead"
                .to_owned(),
        ));
    }
    let key = PublicKey::parse(trimmed).map_err(|_| {
        invalid("is not an npub, a 64-character hex public key or a nostr: URI".to_owned())
    })?;
    // `parse` accepts any 32 bytes; a key must also be a point on the curve to ever sign.
    key.xonly()
        .map_err(|_| invalid("is not a valid secp256k1 x-only public key".to_owned()))?;
    key.to_bech32().map_err(|e| ApiError::Internal {
        reason: format!("bech32 encoding failed: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e";
    const NPUB: &str = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";

    fn rule_of(err: ApiError) -> (String, String) {
        match err {
            ApiError::InvalidInput { field, rule } => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn version_is_the_crate_version() {
        assert_eq!(core_version(), env!("CARGO_PKG_VERSION"));
        assert!(!core_version().is_empty());
    }

    #[test]
    fn accepts_npub_hex_and_uri_and_returns_the_canonical_npub() {
        assert_eq!(validate_npub(NPUB.to_owned()).unwrap(), NPUB);
        assert_eq!(validate_npub(HEX.to_owned()).unwrap(), NPUB);
        assert_eq!(validate_npub(format!("  nostr:{NPUB}\n")).unwrap(), NPUB);
    }

    #[test]
    fn refuses_empty_and_whitespace() {
        for input in ["", "   ", "\n\t"] {
            let (field, rule) = rule_of(validate_npub(input.to_owned()).unwrap_err());
            assert_eq!(field, "npub");
            assert_eq!(rule, "is empty");
        }
    }

    #[test]
    fn refuses_a_secret_key_without_echoing_it() {
        let nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5";
        let err = validate_npub(nsec.to_owned()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("secret key"), "{text}");
        assert!(!text.contains(nsec));
        let err = validate_npub(format!("NOSTR:{}", nsec.to_uppercase())).unwrap_err();
        assert!(rule_of(err).1.contains("never share it"));
    }

    #[test]
    fn refuses_malformed_keys() {
        let bad_checksum = format!("{}q", &NPUB[..NPUB.len() - 1]);
        for input in [
            "npub1",
            "hello",
            &HEX[..63],
            &format!("{HEX}00"),
            &bad_checksum,
            "note1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq",
            "ééééé",
        ] {
            let (field, rule) = rule_of(validate_npub(input.to_owned()).unwrap_err());
            assert_eq!(field, "npub");
            assert!(rule.starts_with("is not an npub"), "{input}: {rule}");
        }
    }

    #[test]
    fn refuses_32_bytes_that_are_not_a_curve_point() {
        // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is not a quadratic residue mod p).
        let not_on_curve = format!("{}05", "0".repeat(62));
        let (_, rule) = rule_of(validate_npub(not_on_curve).unwrap_err());
        assert_eq!(rule, "is not a valid secp256k1 x-only public key");
    }

    #[test]
    fn refuses_overlong_input_before_parsing() {
        let (_, rule) = rule_of(validate_npub("n".repeat(10_000)).unwrap_err());
        assert_eq!(rule, "is 10000 characters long; the limit is 200");
    }

    #[test]
    fn display_names_the_field_and_rule() {
        let err = validate_npub(String::new()).unwrap_err();
        assert_eq!(err.to_string(), "npub: is empty");
    }
}
