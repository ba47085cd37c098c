//! Free functions: library version, public-key validation, default configuration, the
//! full-number warning, geohash encoding, and plain QR codes (a contact's profile code).

use nostr::nips::nip19::ToBech32;

use super::FreeportError;
use super::records::FreeportConfig;
use crate::identity::{PassphrasePurpose, passphrase_violations};
use crate::meet::scan::{LumaFrame, ScanEffort, decode_frame};
use crate::meet::{QrMatrix, RenderOptions};
use crate::rules::{FieldViolation, Format, Rule};

/// Longest text [`qr_png`] encodes (characters): a `nostr:nprofile…` with a few relay hints fits.
pub const MAX_QR_TEXT_CHARS: usize = 512;

/// Longest public-key input accepted by [`validate_npub`] (characters); longer input is refused
/// before parsing.
/// (An `nprofile` with a few relay hints, as other clients' profile codes carry, fits.)
pub const MAX_PUBLIC_KEY_INPUT_CHARS: usize = 512;

/// The markets bundled with this build as a user with these preferred languages (BCP 47, most
/// preferred first) reads them: the same views `FreeportApp.markets()` returns after
/// `set_locales(locales)`, without opening an app (previews, screenshot fixtures, a screen
/// shown before the core is open). Never fails: malformed or unknown tags are skipped.
#[uniffi::export]
pub fn bundled_markets(locales: Vec<String>) -> Vec<crate::app::MarketView> {
    crate::app::market_views(crate::protocol::market::builtin_localized(&locales))
}

/// The version of the Rust core (`freeport-core` crate version), for the About screen and bug reports.
#[uniffi::export]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Validate a public key typed or pasted by the user and return it in canonical `npub1…` form.
///
/// Accepts an `npub`, an `nprofile` (relay hints ignored), 64 hex characters, or either as a
/// `nostr:` URI, ignoring surrounding whitespace. Refuses a secret key (`nsec…`) with a rule
/// telling the user not to share it.
#[uniffi::export]
pub fn validate_npub(input: String) -> Result<String, FreeportError> {
    let invalid = |rule: Rule| FreeportError::invalid("npub", rule);
    let not_a_key = || {
        invalid(Rule::BadFormat {
            format: Format::PublicKey,
        })
    };
    let trimmed = input.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(invalid(Rule::Required));
    }
    if chars > MAX_PUBLIC_KEY_INPUT_CHARS {
        return Err(invalid(Rule::TooLong {
            max: crate::rules::count(MAX_PUBLIC_KEY_INPUT_CHARS),
        }));
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("nsec1") || lower.starts_with("nostr:nsec1") {
        return Err(invalid(Rule::IsSecretKey));
    }
    let key = match crate::identity::decode_public_key(trimmed) {
        Some(Ok(key)) => key,
        _ => return Err(not_a_key()),
    };
    // `parse` accepts any 32 bytes; a key must also be a point on the curve to ever sign.
    key.xonly().map_err(|_| not_a_key())?;
    key.to_bech32().map_err(|e| FreeportError::Internal {
        reason: format!("bech32 encoding failed: {e}"),
    })
}

/// The configuration a fresh install uses: no run relays (the saved relay settings are used:
/// the relays shipped in `assets/relays.json` until the user changes them), the shipped index
/// relays, and the reference client's proof-of-work and geohash precision, with `data_dir` as
/// given.
#[uniffi::export]
pub fn default_config(data_dir: String) -> FreeportConfig {
    let base = crate::app::AppConfig::new(data_dir.clone(), Vec::new());
    FreeportConfig {
        data_dir,
        relays: Vec::new(),
        // Compiled in and checked by the relay module's tests; an unreadable list would only
        // leave relay lists unpublished on index relays, never crash the app.
        index_relays: crate::relay::default_index_relays().unwrap_or_default(),
        default_region: None,
        intent_pow_bits: base.intent_pow_bits,
        rating_pow_bits: base.rating_pow_bits,
        geohash_precision: base.geohash_precision,
    }
}

/// The sentence the profile screen must show (and pass back in
/// `ProfileInput.full_number_warning_shown`) before publishing a full phone number.
#[uniffi::export]
pub fn full_number_warning() -> String {
    crate::app::FULL_NUMBER_WARNING.to_owned()
}

/// What a backup passphrase breaks for `purpose`, as the user types it (live feedback): the
/// same rule `export_backup` and `restore_identity` enforce. `confirmation` is the "type it
/// again" field when the screen has one (a mismatch is reported on field `confirmation`).
/// Empty when acceptable.
#[uniffi::export]
pub fn check_passphrase(
    passphrase: String,
    confirmation: Option<String>,
    purpose: PassphrasePurpose,
) -> Vec<FieldViolation> {
    passphrase_violations(&passphrase, confirmation.as_deref(), purpose)
}

/// Encodes a position as a geohash of `precision` characters (1–12), e.g. for the "near me"
/// filter of browse. Refuses coordinates outside the globe or NaN.
#[uniffi::export]
pub fn geohash_for(lat: f64, lon: f64, precision: u8) -> Result<String, FreeportError> {
    if precision < 1 {
        return Err(FreeportError::invalid(
            "precision",
            Rule::BelowMinimum { min: 1.0 },
        ));
    }
    if precision > 12 {
        return Err(FreeportError::invalid(
            "precision",
            Rule::AboveMaximum { max: 12.0 },
        ));
    }
    let coordinates = || Rule::BadFormat {
        format: Format::Coordinates,
    };
    if !(-90.0..=90.0).contains(&lat) {
        return Err(FreeportError::invalid("lat", coordinates()));
    }
    if !(-180.0..=180.0).contains(&lon) {
        return Err(FreeportError::invalid("lon", coordinates()));
    }
    crate::protocol::intent::encode_geohash(lat, lon, usize::from(precision))
        .map_err(|_| FreeportError::invalid("lat", coordinates()))
}

/// The QR code of `text` as PNG bytes about `px` pixels wide (quiet zone included), e.g. the
/// profile code `nostr:npub1…` a contact scans to screen you. Meet codes come from
/// `FreeportApp::meet_show` instead (they rotate and are single-use).
#[uniffi::export]
pub fn qr_png(text: String, px: u32) -> Result<Vec<u8>, FreeportError> {
    let chars = text.chars().count();
    if chars == 0 {
        return Err(FreeportError::invalid("text", Rule::Required));
    }
    if chars > MAX_QR_TEXT_CHARS {
        return Err(FreeportError::invalid(
            "text",
            Rule::TooLong {
                max: crate::rules::count(MAX_QR_TEXT_CHARS),
            },
        ));
    }
    let qr = QrMatrix::encode(&text).map_err(|_| FreeportError::invalid("text", Rule::Invalid))?;
    let opts = RenderOptions::fit(px.clamp(64, 4096), qr.width, 4);
    qr.to_png(&opts).map_err(|e| FreeportError::Internal {
        reason: e.to_string(),
    })
}

/// Reads the QR code in one raw 8-bit luma camera frame (`stride` bytes per row, ≥ `width`) and
/// returns its text, e.g. a contact's `nostr:npub1…` (then [`validate_npub`]). One fast pass:
/// a frame without a readable code is `InvalidCode`, and the next frame is the retry. Meet codes
/// go through `FreeportApp::meet_scan_frame`, which also verifies and co-signs them.
#[uniffi::export]
pub fn decode_qr_frame(
    width: u32,
    height: u32,
    stride: u32,
    data: Vec<u8>,
) -> Result<String, FreeportError> {
    let refused = super::error::from_meet;
    let frame = LumaFrame::new(width, height, stride, &data).map_err(refused)?;
    decode_frame(&frame, ScanEffort::Fast).map_err(refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::PublicKey;

    #[test]
    fn default_config_uses_the_saved_relays_the_shipped_index_and_reference_settings() {
        let c = default_config("/data/x".into());
        assert_eq!(c.data_dir, "/data/x");
        assert!(
            c.relays.is_empty(),
            "the saved settings (shipped defaults) are used"
        );
        assert!(!c.index_relays.is_empty());
        assert!(
            c.index_relays.iter().all(|r| r.starts_with("wss://")),
            "{:?}",
            c.index_relays
        );
        let shipped = crate::relay::default_relays().unwrap();
        assert!(!shipped.is_empty() && shipped.iter().all(|r| r.starts_with("wss://")));
        assert_eq!(
            (c.intent_pow_bits, c.rating_pow_bits, c.geohash_precision),
            (12, 8, 5)
        );
    }

    #[test]
    fn geohash_for_encodes_and_refuses_bad_coordinates() {
        // The centre of cell w21z74 (Tanjong Pagar, Singapore).
        assert_eq!(geohash_for(1.2881, 103.8483, 6).unwrap(), "w21z74");
        assert_eq!(geohash_for(1.2881, 103.8483, 3).unwrap(), "w21");
        for (lat, lon, p, field) in [
            (91.0, 0.0, 5, "lat"),
            (f64::NAN, 0.0, 5, "lat"),
            (0.0, -180.5, 5, "lon"),
            (0.0, f64::INFINITY, 5, "lon"),
            (0.0, 0.0, 0, "precision"),
            (0.0, 0.0, 13, "precision"),
        ] {
            let (f, _) = rule_of(geohash_for(lat, lon, p).unwrap_err());
            assert_eq!(f, field);
        }
    }

    #[test]
    fn the_full_number_warning_is_the_app_layer_sentence() {
        assert_eq!(full_number_warning(), crate::app::FULL_NUMBER_WARNING);
        assert!(!full_number_warning().is_empty());
    }

    const HEX: &str = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e";
    const NPUB: &str = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg";

    fn rule_of(err: FreeportError) -> (String, Rule) {
        match err {
            FreeportError::InvalidInput { mut violations } if violations.len() == 1 => {
                let v = violations.remove(0);
                (v.field, v.rule)
            }
            other => panic!("expected one InvalidInput violation, got {other:?}"),
        }
    }

    const PUBLIC_KEY: Rule = Rule::BadFormat {
        format: Format::PublicKey,
    };

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
        assert_eq!(
            validate_npub(format!("NOSTR:{}", NPUB.to_uppercase())).unwrap(),
            NPUB
        );
    }

    #[test]
    fn accepts_the_nprofile_other_clients_put_in_profile_codes() {
        use nostr::RelayUrl;
        use nostr::nips::nip19::Nip19Profile;
        let pk = PublicKey::from_hex(HEX).unwrap();
        let relays = [
            "wss://relay.damus.io",
            "wss://nos.lol",
            "wss://relay.nostr.band",
        ]
        .map(|u| RelayUrl::parse(u).unwrap());
        let nprofile = Nip19Profile::new(pk, relays).to_bech32().unwrap();
        assert!(nprofile.len() + 6 <= MAX_PUBLIC_KEY_INPUT_CHARS);
        for input in [
            nprofile.clone(),
            format!("nostr:{nprofile}"),
            format!(" NOSTR:{}\n", nprofile.to_uppercase()),
        ] {
            assert_eq!(validate_npub(input.clone()).unwrap(), NPUB, "{input}");
            assert_eq!(crate::identity::parse_public_key(&input).unwrap(), pk);
        }
        // A damaged nprofile is refused like a damaged npub.
        let flipped = format!("{}q", &nprofile[..nprofile.len() - 1]);
        let flipped = if flipped == nprofile {
            format!("{}p", &nprofile[..nprofile.len() - 1])
        } else {
            flipped
        };
        assert!(validate_npub(flipped.clone()).is_err());
        assert!(matches!(
            crate::identity::parse_public_key(&flipped),
            Err(crate::identity::IdentityError::InvalidPublicKey { .. })
        ));
        // Mixed case is not bech32.
        let mixed = format!("{}{}", &nprofile[..20], nprofile[20..].to_uppercase());
        assert!(validate_npub(mixed).is_err());
    }

    #[test]
    fn refuses_empty_and_whitespace() {
        for input in ["", "   ", "\n\t"] {
            let (field, rule) = rule_of(validate_npub(input.to_owned()).unwrap_err());
            assert_eq!(field, "npub");
            assert_eq!(rule, Rule::Required);
        }
    }

    #[test]
    fn refuses_a_secret_key_without_echoing_it() {
        let nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5";
        let err = validate_npub(nsec.to_owned()).unwrap_err();
        assert!(!format!("{err} {err:?}").contains(nsec));
        assert_eq!(rule_of(err), ("npub".into(), Rule::IsSecretKey));
        let err = validate_npub(format!("NOSTR:{}", nsec.to_uppercase())).unwrap_err();
        assert_eq!(rule_of(err).1, Rule::IsSecretKey);
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
            assert_eq!(rule, PUBLIC_KEY, "{input}");
        }
    }

    #[test]
    fn refuses_32_bytes_that_are_not_a_curve_point() {
        // x = 5 has no y on secp256k1 (5^3 + 7 = 132 is not a quadratic residue mod p).
        let not_on_curve = format!("{}05", "0".repeat(62));
        let (_, rule) = rule_of(validate_npub(not_on_curve).unwrap_err());
        assert_eq!(rule, PUBLIC_KEY);
    }

    #[test]
    fn refuses_overlong_input_before_parsing() {
        let (_, rule) = rule_of(validate_npub("n".repeat(10_000)).unwrap_err());
        assert_eq!(rule, Rule::TooLong { max: 512 });
    }

    #[test]
    fn passphrase_feedback_is_the_enforced_rule() {
        assert!(
            check_passphrase("correct horse".into(), None, PassphrasePurpose::NewBackup).is_empty()
        );
        assert_eq!(
            check_passphrase(
                "short".into(),
                Some("shorts".into()),
                PassphrasePurpose::NewBackup
            ),
            vec![
                FieldViolation::new("passphrase", Rule::TooShort { min: 8 }),
                FieldViolation::new("confirmation", Rule::Mismatch)
            ]
        );
        assert!(check_passphrase("x".into(), None, PassphrasePurpose::Restore).is_empty());
    }

    #[test]
    fn a_profile_qr_renders_and_reads_back_from_a_padded_camera_frame() {
        let npub =
            validate_npub("npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6".into())
                .expect("npub");
        let text = format!("nostr:{npub}");
        let png = qr_png(text.clone(), 400).expect("png");
        let img = image::load_from_memory(&png).expect("a PNG").to_luma8();
        assert!(img.width() <= 400 && img.width() >= 64, "{}", img.width());
        // As a camera delivers it: rows padded to a stride wider than the image.
        let (w, h) = (img.width(), img.height());
        let stride = w + 24;
        let mut data = vec![0x80u8; (stride * h) as usize];
        for (y, row) in img.as_raw().chunks(w as usize).enumerate() {
            let at = y * stride as usize;
            data[at..at + w as usize].copy_from_slice(row);
        }
        let read = decode_qr_frame(w, h, stride, data).expect("decoded");
        assert_eq!(read, text);
        assert_eq!(validate_npub(read).expect("a key"), npub);
    }

    #[test]
    fn bad_qr_input_is_a_typed_refusal() {
        assert_eq!(
            qr_png(String::new(), 300),
            Err(FreeportError::invalid("text", Rule::Required))
        );
        assert!(matches!(
            qr_png("x".repeat(MAX_QR_TEXT_CHARS + 1), 300),
            Err(FreeportError::InvalidInput { .. })
        ));
        // A blank frame has no code; a frame shorter than its geometry is refused, not read past.
        assert!(matches!(
            decode_qr_frame(64, 64, 64, vec![255; 64 * 64]),
            Err(FreeportError::InvalidCode { .. })
        ));
        assert_eq!(
            decode_qr_frame(64, 64, 64, vec![255; 64 * 64]),
            Err(FreeportError::InvalidCode {
                problem: crate::meet::CodeProblem::NoCode
            })
        );
        for (stride, len) in [(80, 100), (32, 64 * 64)] {
            assert_eq!(
                decode_qr_frame(64, 64, stride, vec![255; len]),
                Err(FreeportError::invalid("frame", Rule::Invalid))
            );
        }
    }
}
