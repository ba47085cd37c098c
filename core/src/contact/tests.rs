//! Unit tests of the contact module (the per-country table is in core/tests/contact_numbers.rs).

use rand::SeedableRng;

use super::*;

fn e(s: &str) -> E164 {
    match parse_phone(s, None) {
        Ok(n) => n,
        Err(err) => panic!("{s} should parse: {err}"),
    }
}

fn salt(b: u8) -> Salt {
    Salt::from_bytes([b; SALT_LEN])
}

// ---------- masks ----------

#[test]
fn reference_mask_matches_the_documented_example() {
    assert_eq!(reference_mask(&e("+84912345678")), "+84•••••5678");
    // +1: the first 3 characters include a national digit.
    assert_eq!(reference_mask(&e("+1 650 253 0000")), "+16•••••0000");
    // +358: the reference cuts the country code.
    assert_eq!(reference_mask(&e("+358 40 1234567")), "+35••••••4567");
}

#[test]
fn display_mask_hides_by_country_code_length() {
    assert_eq!(display_mask(&e("+84912345678")), "+84 •••••5678");
    assert_eq!(display_mask(&e("+16502530000")), "+1 ••••••0000");
    assert_eq!(display_mask(&e("+358401234567")), "+358 •••••4567");
    assert_eq!(display_mask(&e("+8801712345678")), "+880 ••••••5678");
}

#[test]
fn debug_of_e164_does_not_leak_the_number() {
    let dbg = format!("{:?}", e("+84912345678"));
    assert_eq!(dbg, "E164(+84•••••5678)");
    assert!(!dbg.contains("912345"));
    assert_eq!(format!("{:?}", salt(7)), "Salt(..)");
}

#[test]
fn reference_normalise_follows_the_reference_rules() {
    assert_eq!(reference_normalise("+84 912.345-678"), "+84•••••5678");
    assert_eq!(reference_normalise("+84xxXX*5678"), "+84•••••5678");
    assert_eq!(reference_normalise("+84•••••5678"), "+84•••••5678");
    // JavaScript \s includes NBSP.
    assert_eq!(reference_normalise("+84\u{a0}912345678"), "+84•••••5678");
}

#[test]
fn mask_parse_rejects_malformed_input() {
    type Check = fn(&MaskError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, MaskError::Empty)),
        ("  .-  ", |e| matches!(e, MaskError::Empty)),
        ("+84•••5678abc", |e| {
            matches!(
                e,
                MaskError::UnexpectedCharacter {
                    found: 'a',
                    position: 10
                }
            )
        }),
        ("+84+912345678", |e| {
            matches!(e, MaskError::UnexpectedCharacter { found: '+', .. })
        }),
        ("+84…5678", |e| {
            matches!(e, MaskError::UnexpectedCharacter { found: '…', .. })
        }),
        ("+8412", |e| {
            matches!(e, MaskError::DigitCount { digits: 4, .. })
        }),
        ("+8491234567890123", |e| {
            matches!(e, MaskError::DigitCount { digits: 16, .. })
        }),
        (
            "+999•••••5678",
            |e| matches!(e, MaskError::UnknownCountryCode { leading } if leading == "999"),
        ),
        (
            "+8491234567812345678901234567890123456789012345678901234567890123456789",
            |e| matches!(e, MaskError::InputTooLong { limit: 64, .. }),
        ),
    ];
    for (input, check) in cases {
        match Mask::parse(input) {
            Ok(m) => panic!("{input:?} should fail, parsed {m:?}"),
            Err(err) => assert!(check(&err), "{input:?}: unexpected error {err:?}"),
        }
    }
}

#[test]
fn mask_country_code_is_known_only_when_revealed() {
    let known = |s: &str| Mask::parse(s).map(|m| m.country_code());
    assert_eq!(known("+84•••••5678"), Ok(CountryCode::Known(84)));
    assert_eq!(known("+16•••••0000"), Ok(CountryCode::Known(1)));
    assert_eq!(known("+35••••••4567"), Ok(CountryCode::Unknown));
    assert_eq!(known("+358 •••••4567"), Ok(CountryCode::Known(358)));
    assert_eq!(known("091•••5678"), Ok(CountryCode::Unknown));
}

#[test]
fn tolerant_comparison_accepts_cross_format_masks_of_the_same_number() {
    for number in [
        "+84912345678",
        "+16502530000",
        "+358401234567",
        "+8801712345678",
        "+442079460000",
        "+6591234567",
    ] {
        let n = e(number);
        let forms = [
            number.to_string(),
            reference_mask(&n),
            display_mask(&n),
            reference_mask(&n).replace('•', "x"),
            display_mask(&n).replace('•', "*"),
        ];
        for a in &forms {
            for b in &forms {
                assert_eq!(mask_matches(a, b), MaskMatch::Match, "{a} vs {b}");
            }
        }
    }
}

#[test]
fn tolerant_comparison_rejects_different_numbers() {
    let mismatch = |a: &str, b: &str| match mask_matches(a, b) {
        MaskMatch::Mismatch { reason } => reason,
        other => panic!("{a} vs {b}: expected mismatch, got {other:?}"),
    };
    // Same visible digits, different digit count.
    assert_eq!(
        mismatch("+84•••••5678", "+84••••••5678"),
        MaskMismatch::DigitCount { a: 11, b: 12 }
    );
    // Same last four and digit count, different country code (display masks reveal it).
    assert_eq!(
        mismatch("+44 ••••••5678", "+84 ••••••5678"),
        MaskMismatch::CountryCode { a: 44, b: 84 }
    );
    assert_eq!(
        mismatch("+358 •••••4567", "+359401234567"),
        MaskMismatch::CountryCode { a: 358, b: 359 }
    );
    // A visible digit differs.
    assert_eq!(
        mismatch("+84•••••5678", "+84912345679"),
        MaskMismatch::Digit { position: 11 }
    );
    // Two full numbers differing only in the hidden middle: the reference would accept
    // (both mask to +84•••••5678); we do not.
    assert_eq!(
        mismatch("+84912345678", "+84987655678"),
        MaskMismatch::Digit { position: 4 }
    );
}

#[test]
fn tolerant_comparison_reports_incomparable_cases() {
    let incomparable = |a: &str, b: &str| match mask_matches(a, b) {
        MaskMatch::Incomparable { reason } => reason,
        other => panic!("{a} vs {b}: expected incomparable, got {other:?}"),
    };
    assert_eq!(
        incomparable("+84•••••••••", "+84912345678"),
        Incomparable::TooFewSharedDigits {
            shared: 0,
            required: MIN_SHARED_DIGITS
        }
    );
    assert_eq!(
        incomparable("0912345678", "+84912345678"),
        Incomparable::MixedInternationalAndNational
    );
    assert!(matches!(
        incomparable("call me", "+84912345678"),
        Incomparable::Unreadable { side: Side::A, .. }
    ));
    assert!(matches!(
        incomparable("+84912345678", ""),
        Incomparable::Unreadable { side: Side::B, .. }
    ));
}

#[test]
fn comparison_accepts_everything_the_reference_accepts() {
    // Pairs the reference accepts: equal after its normalisation.
    let pairs = [
        ("+84•••••5678", "+84912345678"),
        ("+84 xxx xx 5678", "+84•••••5678"),
        ("+84-***-**-5678", "+84 912 345 678"),
        ("091•••5678", "0912345678"), // national-format profile of a reference user
        ("+84•••••••••", "+84•••••••••"), // reveals nothing, but equal
        ("+35••••••4567", "+358401234567"),
    ];
    for (a, b) in pairs {
        assert_eq!(reference_normalise(a), reference_normalise(b), "{a} / {b}");
        assert_eq!(mask_matches(a, b), MaskMatch::Match, "{a} vs {b}");
        assert_eq!(mask_matches(b, a), MaskMatch::Match, "{b} vs {a}");
    }
}

#[test]
fn published_phone_distinguishes_full_numbers_and_masks() {
    assert_eq!(
        PublishedPhone::parse("+84 912 345 678"),
        Ok(PublishedPhone::Full(e("+84912345678")))
    );
    assert!(matches!(
        PublishedPhone::parse("+84•••••5678"),
        Ok(PublishedPhone::Mask(m)) if m.digit_count() == 11 && !m.is_full()
    ));
    // National format, as reference users may publish: kept digit for digit.
    assert!(matches!(
        PublishedPhone::parse("0912345678"),
        Ok(PublishedPhone::Mask(m)) if m.is_full() && !m.is_international()
    ));
    assert!(PublishedPhone::parse("n/a").is_err());
}

// ---------- commitments ----------

#[test]
fn commitment_matches_the_independent_known_answer() {
    // Computed with coreutils:
    // { printf 'freeport/phone-commit/v1\x00+84912345678\x00'; <bytes 0x00..0x1f>; } | sha256sum
    let mut bytes = [0u8; SALT_LEN];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::try_from(i).unwrap_or(0);
    }
    assert_eq!(
        commitment(&e("+84912345678"), &Salt::from_bytes(bytes)),
        "873cb4d0c5cf43de7b662a0c8332e88bb34e9efdab5ef2ba6059eb9a38e3b419"
    );
    assert_eq!(
        commitment(&e("+65 9123 4567"), &salt(0xaa)),
        "016062b841dbb75ecb90646c5efd12aa8da63a8d33ed3f633cc6b1ce5794e52e"
    );
}

#[test]
fn commitment_round_trips_through_the_envelope_salt() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let sender = e("+84912345678");
    let s = Salt::from_rng(&mut rng);
    let published = commitment(&sender, &s);
    // Salt travels as hex in the encrypted accept; the receiver recomputes.
    let received = Salt::from_hex(&s.to_hex()).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(received, s);
    assert_eq!(commitment(&e("+84 91 234 56 78"), &received), published);
    // Another number or another salt gives another commitment.
    assert_ne!(commitment(&e("+84912345679"), &received), published);
    assert_ne!(commitment(&sender, &Salt::from_rng(&mut rng)), published);
    // Upper-case hex is read too and normalised.
    assert_eq!(
        normalise_commitment("phone_commit", &published.to_uppercase()),
        Ok(published.clone())
    );
}

#[test]
fn preloaded_metadata_knows_the_calling_codes() {
    preload_metadata();
    let code = |s: &str| Mask::parse(s).map(|m| m.country_code());
    for (mask, cc) in [
        ("+1••••••0000", 1),
        ("+7••••••••89", 7),
        ("+880••••••5678", 880),
    ] {
        assert_eq!(code(mask), Ok(CountryCode::Known(cc)), "{mask}");
    }
}

#[test]
fn random_salts_differ() {
    assert_ne!(Salt::random(), Salt::random());
    assert_eq!(Salt::random().to_hex().len(), 64);
}

#[test]
fn salt_and_commitment_parsers_reject_malformed_hex() {
    assert_eq!(
        Salt::from_hex("abcd"),
        Err(CommitError::WrongLength {
            field: "contact_salt",
            actual: 4
        })
    );
    let mut bad = "0".repeat(63);
    bad.push('g');
    assert_eq!(
        Salt::from_hex(&bad),
        Err(CommitError::NotHex {
            field: "contact_salt",
            position: 63
        })
    );
    let multibyte = "é".repeat(32);
    assert!(matches!(
        normalise_commitment("contact_commit", &multibyte),
        Err(CommitError::WrongLength { actual: 32, .. })
    ));
    let multibyte64 = "é".repeat(64);
    assert!(matches!(
        normalise_commitment("contact_commit", &multibyte64),
        Err(CommitError::NotHex { position: 0, .. })
    ));
}

// ---------- contact string ----------

#[test]
fn contact_string_has_the_reference_format_and_extracts_back() {
    let n = e("+84912345678");
    let plain = build_contact_string("Lan", &n, None);
    assert_eq!(plain, "Lan · +84912345678");
    let with_car = build_contact_string("Lan", &n, Some(("Honda Wave", "29X1-123.45")));
    assert_eq!(with_car, "Lan · +84912345678 · 🚗 Honda Wave • 29X1-123.45");
    for s in [&plain, &with_car] {
        assert_eq!(extract_phone(s).as_deref(), Ok("+84912345678"));
        assert_eq!(extract_e164(s, None), Ok(n.clone()));
        // What the reference's regex takes (first match) is the phone too.
        let (a, b) = find_phone_like(s).unwrap_or((0, 0));
        assert_eq!(s.get(a..b), Some("+84912345678"));
    }
}

#[test]
fn reference_contact_strings_extract() {
    let cases = [
        ("Minh · +84 912 345 678", "+84 912 345 678"),
        ("Minh · 0912.345.678 · 🚗 Vios • 30A-123.45", "0912.345.678"),
        ("Tan · +65 9123-4567", "+65 9123-4567"),
        ("no separators +44 20 7946 0000 here", "+44 20 7946 0000"),
    ];
    for (contact, phone) in cases {
        assert_eq!(extract_phone(contact).as_deref(), Ok(phone), "{contact}");
    }
    assert_eq!(
        extract_e164("Minh · 0912.345.678", Some("vn")),
        Ok(e("+84912345678"))
    );
}

#[test]
fn names_with_digits_do_not_hide_the_phone() {
    // A reference-built string whose name contains a phone-like run: the reference's regex
    // would take the name's digits; our structural extraction takes the phone field.
    let contact = "Bus 12 345 678 · +84912345678";
    assert_eq!(find_phone_like(contact), Some((4, 14)));
    assert_eq!(extract_phone(contact).as_deref(), Ok("+84912345678"));
    // A name containing the separator itself.
    let contact = "A · B 2024 · +84912345678";
    assert_eq!(extract_phone(contact).as_deref(), Ok("+84912345678"));
    // When we build, the name's phone-like run is defused so the reference extracts correctly.
    let built = build_contact_string("Bus 12 345 678", &e("+84912345678"), None);
    assert_eq!(built, "Bus … · +84912345678");
    let (a, b) = find_phone_like(&built).unwrap_or((0, 0));
    assert_eq!(built.get(a..b), Some("+84912345678"));
    // Short digit runs in names are kept.
    assert_eq!(
        build_contact_string("Anna 2024", &e("+84912345678"), None),
        "Anna 2024 · +84912345678"
    );
    // Separators and control characters in fields are neutralised.
    assert_eq!(
        build_contact_string("Ann · x\n", &e("+84912345678"), Some(("Car•1", "A·B"))),
        "Ann x · +84912345678 · 🚗 Car 1 • A B"
    );
}

#[test]
fn phone_like_scanner_follows_the_reference_regex() {
    let m = |s: &str| find_phone_like(s).and_then(|(a, b)| s.get(a..b).map(str::to_string));
    assert_eq!(m("1234567"), None); // 7 chars: one short
    assert_eq!(m("12345678"), Some("12345678".into()));
    assert_eq!(m("+1234567"), None);
    assert_eq!(m("+12345678"), Some("+12345678".into()));
    assert_eq!(m("++12345678"), Some("+12345678".into()));
    assert_eq!(m("1 2 3 4 5"), Some("1 2 3 4 5".into()));
    assert_eq!(m("1-------"), None); // must end in a digit
    assert_eq!(m("12345678-- x"), Some("12345678".into())); // backtracks to the last digit
    assert_eq!(m("a 123 4567 b"), Some("123 4567".into()));
    assert_eq!(m("１２３４５６７８"), None); // JavaScript \d is ASCII only
    assert_eq!(m("ph: 123.456.7890!"), Some("123.456.7890".into()));
    assert_eq!(m(""), None);
}

#[test]
fn contact_extraction_rejects_bad_input() {
    assert_eq!(extract_phone("Lan"), Err(ContactError::NoPhone));
    assert_eq!(extract_phone(""), Err(ContactError::NoPhone));
    let long = "9".repeat(MAX_CONTACT_BYTES + 1);
    assert_eq!(
        extract_phone(&long),
        Err(ContactError::TooLong {
            actual: MAX_CONTACT_BYTES + 1,
            limit: MAX_CONTACT_BYTES
        })
    );
    assert!(matches!(
        extract_e164("Lan · 0912 345 678", None),
        Err(ContactError::InvalidPhone(PhoneError::MissingCountryCode))
    ));
}

// ---------- visibility ----------

#[test]
fn profile_publishes_the_mask_unless_full_is_consented() {
    let n = e("+84912345678");
    let masked = profile_phone_fields(&n, &PhoneVisibility::default(), None);
    assert_eq!(masked.phone, "+84•••••5678");
    assert_eq!(masked.phone_commit, None);

    assert_eq!(
        FullNumberConsent::acknowledge("ok"),
        Err(ConsentError::WarningNotShown)
    );
    let consent =
        FullNumberConsent::acknowledge(PUBLISH_FULL_WARNING).unwrap_or_else(|err| panic!("{err}"));
    let s = salt(3);
    let full = profile_phone_fields(&n, &PhoneVisibility::Full(consent), Some(&s));
    assert_eq!(full.phone, "+84912345678");
    assert_eq!(full.phone_commit, Some(commitment(&n, &s)));
    assert!(PUBLISH_FULL_WARNING.contains("permanent"));
}

// ---------- attestation ----------

fn profile(phone: &str, commit: Option<String>) -> ProfilePhone {
    ProfilePhone {
        phone: Some(phone.to_string()),
        phone_commit: commit,
    }
}

#[test]
fn attestation_for_reports_the_reached_number() {
    let n = e("+84912345678");
    let s = salt(9);
    let att = attestation_for(&n, Some(&s));
    assert!(att.contact_verified);
    assert_eq!(att.contact_masked.as_deref(), Some("+84•••••5678"));
    assert_eq!(att.contact_commit, Some(commitment(&n, &s)));
    assert_eq!(attestation_for(&n, None).contact_commit, None);
}

#[test]
fn verdicts_for_matching_attestations() {
    let n = e("+84912345678");
    let s = salt(1);
    let subject = profile("+84•••••5678", Some(commitment(&n, &s)));
    // Commitment match: strong.
    let v = evaluate_attestation(&attestation_for(&n, Some(&s)), &subject, &[]);
    assert_eq!(v, AttestationVerdict::VerifiedExact);
    assert!(v.verifies_current_number());
    // Mask only (reference rater, or no salt): standard verification.
    let v = evaluate_attestation(&attestation_for(&n, None), &subject, &[]);
    assert_eq!(v, AttestationVerdict::Verified);
    // Reference rater attesting a display-style mask against a full published number.
    let reference_rater = Attestation {
        contact_verified: true,
        contact_masked: Some("+84 xxxxx5678".into()),
        contact_commit: None,
    };
    assert_eq!(
        evaluate_attestation(&reference_rater, &profile("+84912345678", None), &[]),
        AttestationVerdict::Verified
    );
}

#[test]
fn verdicts_for_mismatching_attestations() {
    let n = e("+84912345678");
    let other = e("+84912345679");
    let s = salt(1);
    let subject = profile("+84•••••5678", Some(commitment(&n, &s)));

    // Rater reached another number: commitment differs.
    let v = evaluate_attestation(&attestation_for(&other, Some(&s)), &subject, &[]);
    assert_eq!(
        v,
        AttestationVerdict::Mismatch {
            reason: AttestationMismatch::Commitment
        }
    );
    assert!(v.is_warning() && !v.verifies_current_number());

    // Mask-only mismatch.
    let v = evaluate_attestation(&attestation_for(&other, None), &subject, &[]);
    assert_eq!(
        v,
        AttestationVerdict::Mismatch {
            reason: AttestationMismatch::Mask(MaskMismatch::Digit { position: 11 })
        }
    );

    // Copied commitment with a mask of a different number: contradiction.
    let forged = Attestation {
        contact_verified: true,
        contact_masked: Some(reference_mask(&e("+84987651111"))),
        contact_commit: subject.phone_commit.clone(),
    };
    assert!(matches!(
        evaluate_attestation(&forged, &subject, &[]),
        AttestationVerdict::Mismatch {
            reason: AttestationMismatch::MaskContradictsCommitment(_)
        }
    ));

    // Unreadable fields are mismatches too (discarded with a warning).
    let junk_mask = Attestation {
        contact_verified: true,
        contact_masked: Some("trust me".into()),
        contact_commit: None,
    };
    assert!(matches!(
        evaluate_attestation(&junk_mask, &subject, &[]),
        AttestationVerdict::Mismatch {
            reason: AttestationMismatch::UnreadableMask(_)
        }
    ));
    let junk_commit = Attestation {
        contact_verified: true,
        contact_masked: None,
        contact_commit: Some("zz".into()),
    };
    assert!(matches!(
        evaluate_attestation(&junk_commit, &subject, &[]),
        AttestationVerdict::Mismatch {
            reason: AttestationMismatch::UnreadableCommitment(_)
        }
    ));
}

#[test]
fn verdicts_without_a_checkable_claim() {
    let n = e("+84912345678");
    let subject = profile("+84•••••5678", None);
    assert_eq!(
        evaluate_attestation(&Attestation::default(), &subject, &[]),
        AttestationVerdict::NotAttested
    );
    // A mask without contact_verified is ignored, as in the reference.
    let not_verified = Attestation {
        contact_verified: false,
        contact_masked: Some("+84•••••5678".into()),
        contact_commit: None,
    };
    assert_eq!(
        evaluate_attestation(&not_verified, &subject, &[]),
        AttestationVerdict::NotAttested
    );
    let bare = Attestation {
        contact_verified: true,
        ..Attestation::default()
    };
    assert_eq!(
        evaluate_attestation(&bare, &subject, &[]),
        AttestationVerdict::Unverifiable {
            reason: Unverifiable::NothingToCheck
        }
    );
    // A commitment when the subject publishes none, and no mask: nothing to check.
    let commit_only = Attestation {
        contact_masked: None,
        ..attestation_for(&n, Some(&salt(2)))
    };
    assert_eq!(
        evaluate_attestation(&commit_only, &subject, &[]),
        AttestationVerdict::Unverifiable {
            reason: Unverifiable::NothingToCheck
        }
    );
    // Subject publishes no phone at all.
    assert_eq!(
        evaluate_attestation(&attestation_for(&n, None), &ProfilePhone::default(), &[]),
        AttestationVerdict::Unverifiable {
            reason: Unverifiable::NoPublishedPhone
        }
    );
    // A malformed published commitment is ignored; the mask decides.
    let bad_commit = profile("+84•••••5678", Some("not hex".into()));
    assert_eq!(
        evaluate_attestation(&attestation_for(&n, Some(&salt(2))), &bad_commit, &[]),
        AttestationVerdict::Verified
    );
}

#[test]
fn number_rotation_keeps_old_attestations_as_previous_number() {
    let old = e("+84912345678");
    let new = e("+6591234567");
    let (s_old, s_new) = (salt(1), salt(2));
    let before = profile(&reference_mask(&old), Some(commitment(&old, &s_old)));
    let now = profile(&reference_mask(&new), Some(commitment(&new, &s_new)));
    let history = [before.clone()];

    // Exact attestation made before the change.
    assert_eq!(
        evaluate_attestation(&attestation_for(&old, Some(&s_old)), &now, &history),
        AttestationVerdict::VerifiedPreviousNumber { exact: true }
    );
    // Mask-only attestation made before the change.
    let v = evaluate_attestation(&attestation_for(&old, None), &now, &history);
    assert_eq!(
        v,
        AttestationVerdict::VerifiedPreviousNumber { exact: false }
    );
    assert!(!v.verifies_current_number() && !v.is_warning());
    // Attestations of the new number verify.
    assert_eq!(
        evaluate_attestation(&attestation_for(&new, Some(&s_new)), &now, &history),
        AttestationVerdict::VerifiedExact
    );
    // Without history the old attestation is a mismatch.
    assert!(evaluate_attestation(&attestation_for(&old, None), &now, &[]).is_warning());
    // Subject removed the phone from the profile: old attestations still show as previous.
    assert_eq!(
        evaluate_attestation(
            &attestation_for(&old, None),
            &ProfilePhone::default(),
            &history
        ),
        AttestationVerdict::VerifiedPreviousNumber { exact: false }
    );
}

/// Every number `parse_phone` accepts, in any region, reads back as itself in E.164 (regression:
/// the fuzzer's `00/781859  04015)` became +78185904015, which did not parse back).
#[test]
fn accepted_numbers_round_trip_through_e164() {
    for input in [
        "00/781859  04015)",
        "0049 30 1234567",
        "+6581234567",
        "(415) 555-0100",
    ] {
        for region in [None, Some("US"), Some("DE"), Some("IN"), Some("SG")] {
            if let Ok(n) = parse_phone(input, region) {
                assert_eq!(
                    parse_phone(n.as_str(), None).as_ref().ok(),
                    Some(&n),
                    "{input:?} in {region:?}"
                );
            }
        }
    }
}
