//! Table-driven tests of the contact layer over real-world number formats from many countries
//! (1-, 2- and 3-digit calling codes): normalisation, masks, interop with the reference mask,
//! commitments, contact strings, invalid input and mismatch handling.

use freeport_core::contact::{
    AttestationVerdict, E164, MaskMatch, PhoneError, ProfilePhone, Salt, attestation_for,
    build_contact_string, commitment, display_mask, evaluate_attestation, extract_e164,
    mask_matches, parse_phone, reference_mask, reference_normalise,
};
use proptest::prelude::*;

/// (region, input as people write it, expected E.164, country code).
const NUMBERS: &[(&str, &str, &str, u16)] = &[
    // +1 (NANP): US and Canada
    ("US", "(650) 253-0000", "+16502530000", 1),
    ("US", "650.253.0000", "+16502530000", 1),
    ("CA", "506-234-5678", "+15062345678", 1),
    // +7 Russia: national prefix 8
    ("RU", "8 (912) 345-67-89", "+79123456789", 7),
    // two-digit codes
    ("GB", "07400 123456", "+447400123456", 44),
    ("GB", "+44 (0)20 7946 0000", "+442079460000", 44),
    ("VN", "091 234 56 78", "+84912345678", 84),
    ("VN", "0912.345.678", "+84912345678", 84),
    ("VN", "0084 912 345 678", "+84912345678", 84),
    ("SG", "9123 4567", "+6591234567", 65),
    ("DE", "030 123456", "+4930123456", 49),
    ("DE", "0151 23456789", "+4915123456789", 49),
    ("FR", "06 12 34 56 78", "+33612345678", 33),
    ("IT", "06 1234 5678", "+390612345678", 39), // leading zero kept in E.164
    ("IT", "312 345 6789", "+393123456789", 39),
    ("JP", "090-1234-5678", "+819012345678", 81),
    ("IN", "98765 43210", "+919876543210", 91),
    ("AU", "0412 345 678", "+61412345678", 61),
    ("BR", "(11) 96123-4567", "+5511961234567", 55),
    ("CN", "131 2345 6789", "+8613123456789", 86),
    ("ID", "0812-3456-789", "+628123456789", 62),
    ("ZA", "071 123 4567", "+27711234567", 27),
    ("MX", "55 1234 5678", "+525512345678", 52),
    // three-digit codes
    ("FI", "040 1234567", "+358401234567", 358),
    ("BD", "01712-345678", "+8801712345678", 880),
    ("NG", "0802 123 4567", "+2348021234567", 234),
    ("AE", "050 123 4567", "+971501234567", 971),
    ("IE", "085 012 3456", "+353850123456", 353),
    ("HK", "5123 4567", "+85251234567", 852),
    ("UA", "050 123 4567", "+380501234567", 380),
];

fn parse_ok(input: &str, region: Option<&str>) -> E164 {
    match parse_phone(input, region) {
        Ok(n) => n,
        Err(err) => panic!("{input:?} (region {region:?}) should parse: {err}"),
    }
}

#[test]
fn national_and_international_formats_normalise_to_e164() {
    let mut countries = std::collections::BTreeSet::new();
    for &(region, input, expected, cc) in NUMBERS {
        let n = parse_ok(input, Some(region));
        assert_eq!(n.as_str(), expected, "{region} {input}");
        assert_eq!(n.country_code(), cc, "{region} {input}");
        assert_eq!(
            format!("+{}{}", n.country_code(), n.national_digits()),
            expected
        );
        // The E.164 form parses to itself without a region, and with any region.
        assert_eq!(parse_ok(expected, None), n);
        assert_eq!(parse_ok(expected, Some("VN")), n);
        // Lower-case region codes work.
        assert_eq!(parse_ok(input, Some(&region.to_lowercase())), n);
        countries.insert(cc);
    }
    assert!(countries.len() >= 15, "only {} countries", countries.len());
    assert!(countries.iter().any(|c| *c < 10));
    assert!(countries.iter().any(|c| *c >= 100));
}

#[test]
fn unicode_digits_and_separators_are_read() {
    let expected = "+84912345678";
    for input in [
        "+84 912 345 678",
        "+84-912-345-678",
        "+84.912.345.678",
        "+84\u{a0}912\u{a0}345\u{a0}678",
        "＋８４９１２３４５６７８", // full-width
        "+٨٤٩١٢٣٤٥٦٧٨",             // Arabic-Indic
        "+۸۴۹۱۲۳۴۵۶۷۸",             // extended Arabic-Indic (Persian)
        "+84 (91) 234–56–78",
        "  +84912345678  ",
    ] {
        assert_eq!(parse_ok(input, None).as_str(), expected, "{input:?}");
    }
}

#[test]
fn invalid_numbers_give_clear_errors() {
    type Check = fn(&PhoneError) -> bool;
    let cases: &[(&str, Option<&str>, Check, &str)] = &[
        (
            "",
            None,
            |e| *e == PhoneError::Empty,
            "phone number is empty",
        ),
        ("   ", Some("VN"), |e| *e == PhoneError::Empty, "empty"),
        (
            "+84 91234",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::TooShort {
                        country_code: 84,
                        digits: 5,
                        ..
                    }
                )
            },
            "too short for +84",
        ),
        (
            "+84 912 345 678 999",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::TooLong {
                        country_code: 84,
                        ..
                    }
                )
            },
            "too long for +84",
        ),
        (
            "+999 123 4567",
            None,
            |e| matches!(e, PhoneError::UnknownCountryCode { .. }),
            "unknown country code",
        ),
        (
            "0912345678",
            None,
            |e| *e == PhoneError::MissingCountryCode,
            "needs a country",
        ),
        (
            "0912345678",
            Some("XX"),
            |e| matches!(e, PhoneError::UnknownRegion { .. }),
            "not a known region",
        ),
        (
            "0912345678",
            Some("VNM"),
            |e| matches!(e, PhoneError::UnknownRegion { .. }),
            "not a known region",
        ),
        (
            "tel:+84912345678",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::UnexpectedCharacter {
                        found: 't',
                        position: 0
                    }
                )
            },
            "unexpected character",
        ),
        (
            "+84912345678;ext=1",
            None,
            |e| matches!(e, PhoneError::UnexpectedCharacter { found: ';', .. }),
            "unexpected character",
        ),
        (
            "++84912345678",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::UnexpectedCharacter {
                        found: '+',
                        position: 1
                    }
                )
            },
            "unexpected character",
        ),
        (
            "call me",
            None,
            |e| matches!(e, PhoneError::UnexpectedCharacter { found: 'c', .. }),
            "unexpected character",
        ),
        (
            "12",
            Some("VN"),
            |e| matches!(e, PhoneError::NotANumber { digits: 2 }),
            "not a phone number",
        ),
        (
            "+1 650 253 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000 0000",
            None,
            |e| matches!(e, PhoneError::InputTooLong { limit: 64, .. }),
            "limit is 64",
        ),
        (
            // Singapore uses 8, 10 and 11 digits, not 9.
            "+65 9123 45678",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::InvalidLength {
                        country_code: 65,
                        digits: 9,
                        ..
                    }
                )
            },
            "wrong length for +65",
        ),
        (
            // Valid length for Vietnam, but no Vietnamese number range starts with 1.
            "+84 123 456 789",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::NotAssigned {
                        country_code: 84,
                        ..
                    }
                )
            },
            "not a valid number for +84",
        ),
        (
            "+1 123 456 7890",
            None,
            |e| {
                matches!(
                    e,
                    PhoneError::NotAssigned {
                        country_code: 1,
                        ..
                    }
                )
            },
            "not a valid number for +1",
        ),
    ];
    for (input, region, check, text) in cases {
        match parse_phone(input, *region) {
            Ok(n) => panic!("{input:?} should fail, parsed {n:?}"),
            Err(err) => {
                assert!(check(&err), "{input:?}: unexpected error {err:?}");
                let shown = err.to_string();
                assert!(
                    shown.contains(text),
                    "{input:?}: message {shown:?} lacks {text:?}"
                );
                // Messages never repeat the number itself.
                assert!(!shown.contains("912345"), "{shown}");
            }
        }
    }
}

#[test]
fn masks_interoperate_with_the_reference_format_both_ways() {
    for &(region, input, expected, _) in NUMBERS {
        let n = parse_ok(input, Some(region));
        let ours = reference_mask(&n);
        // Shape: first 3 chars, one dot per hidden digit, last 4 digits.
        let chars: Vec<char> = expected.chars().collect();
        let head: String = chars.iter().take(3).collect();
        let tail: String = chars.iter().skip(chars.len() - 4).collect();
        let dots = "•".repeat(chars.len() - 7);
        assert_eq!(ours, format!("{head}{dots}{tail}"), "{expected}");
        // What a reference verifier computes from our published mask and the full number
        // it reached is equal: it accepts our profile.
        assert_eq!(reference_normalise(&ours), reference_normalise(expected));
        // Our verifier accepts reference masks and full numbers in every format, both ways.
        let display = display_mask(&n);
        for (a, b) in [
            (&ours, expected.to_string()),
            (&ours, display.clone()),
            (&display, expected.to_string()),
            (&ours.replace('•', "x"), display.replace('•', "*")),
        ] {
            assert_eq!(mask_matches(a, &b), MaskMatch::Match, "{a} vs {b}");
            assert_eq!(mask_matches(&b, a), MaskMatch::Match, "{b} vs {a}");
        }
    }
}

#[test]
fn masks_of_different_numbers_do_not_match() {
    let numbers: Vec<E164> = NUMBERS
        .iter()
        .map(|&(r, i, _, _)| parse_ok(i, Some(r)))
        .collect();
    let last4 = |s: &str| -> String {
        let chars: Vec<char> = s.chars().collect();
        chars.iter().skip(chars.len().saturating_sub(4)).collect()
    };
    for a in &numbers {
        for b in &numbers {
            if a == b {
                continue;
            }
            assert!(
                matches!(
                    mask_matches(a.as_str(), b.as_str()),
                    MaskMatch::Mismatch { .. }
                ),
                "{a:?} vs {b:?}"
            );
            assert!(
                matches!(
                    mask_matches(&reference_mask(b), a.as_str()),
                    MaskMatch::Mismatch { .. }
                ),
                "{b:?} mask vs {a:?}"
            );
            // b's display mask forged to show a's last four digits: still a mismatch with a
            // when country code or digit count differ. (With both equal, the forged mask is
            // genuinely consistent with a: it reveals nothing else.)
            if a.country_code() == b.country_code() && a.as_str().len() == b.as_str().len() {
                continue;
            }
            let display_b = display_mask(b);
            let keep = display_b.chars().count() - 4;
            let forged: String =
                display_b.chars().take(keep).collect::<String>() + &last4(a.as_str());
            assert!(
                matches!(
                    mask_matches(&forged, a.as_str()),
                    MaskMatch::Mismatch { .. }
                ),
                "{forged} vs {a:?}"
            );
        }
    }
}

#[test]
fn reference_masks_that_cut_the_country_code_stay_ambiguous() {
    // +358 (Finland) and +353 (Ireland) numbers of equal length and tail have the same
    // reference mask; only a revealed country code tells them apart.
    let fi = parse_ok("+358 40 123 4567", None);
    let ie_display = "+353 •••••4567";
    assert_eq!(reference_mask(&fi), "+35••••••4567");
    assert_eq!(mask_matches("+35••••••4567", ie_display), MaskMatch::Match);
    assert!(matches!(
        mask_matches(fi.as_str(), ie_display),
        MaskMatch::Mismatch { .. }
    ));
    assert!(matches!(
        mask_matches(&display_mask(&fi), ie_display),
        MaskMatch::Mismatch { .. }
    ));
}

#[test]
fn commitments_round_trip_for_every_country() {
    for &(region, input, expected, _) in NUMBERS {
        let sender = parse_ok(input, Some(region));
        let salt = Salt::random();
        let published = commitment(&sender, &salt);
        assert_eq!(published.len(), 64);
        // Accept: contact string + salt hex; the rater extracts, parses and recomputes.
        let contact = build_contact_string("Alex", &sender, Some(("Wave", "29X1-123.45")));
        let reached = match extract_e164(&contact, Some("SG")) {
            Ok(n) => n,
            Err(err) => panic!("{contact}: {err}"),
        };
        assert_eq!(reached.as_str(), expected);
        let received_salt = match Salt::from_hex(&salt.to_hex()) {
            Ok(s) => s,
            Err(err) => panic!("{err}"),
        };
        assert_eq!(commitment(&reached, &received_salt), published);
        // The rating attests exactly and verifies strongly.
        let subject = ProfilePhone {
            phone: Some(reference_mask(&sender)),
            phone_commit: Some(published.clone()),
        };
        let att = attestation_for(&reached, Some(&received_salt));
        assert_eq!(
            evaluate_attestation(&att, &subject, &[]),
            AttestationVerdict::VerifiedExact
        );
    }
}

#[test]
fn attestations_of_another_number_are_mismatches() {
    let subject_number = parse_ok("+84912345678", None);
    let salt = Salt::random();
    let subject = ProfilePhone {
        phone: Some(reference_mask(&subject_number)),
        phone_commit: Some(commitment(&subject_number, &salt)),
    };
    for &(region, input, _, _) in NUMBERS {
        let reached = parse_ok(input, Some(region));
        if reached == subject_number {
            continue;
        }
        for salt_used in [Some(&salt), None] {
            let v = evaluate_attestation(&attestation_for(&reached, salt_used), &subject, &[]);
            assert!(v.is_warning(), "{reached:?}: {v:?}");
            assert!(!v.verifies_current_number());
        }
    }
}

proptest! {
    #[test]
    fn parsing_never_panics_and_is_idempotent(input in "\\PC{0,40}", region in "[A-Za-z]{0,3}") {
        let region = if region.is_empty() { None } else { Some(region.as_str()) };
        if let Ok(n) = parse_phone(&input, region) {
            let again = parse_phone(n.as_str(), None);
            prop_assert_eq!(again.as_ref(), Ok(&n));
            prop_assert!(n.as_str().len() <= 16);
            prop_assert_eq!(reference_mask(&n).chars().count(), n.as_str().len());
        }
    }

    #[test]
    fn phone_like_inputs_never_panic(input in "[+0-9 .()\\-]{0,30}", region in "(VN|US|GB|FI|IT)?") {
        let region = if region.is_empty() { None } else { Some(region.as_str()) };
        let _ = parse_phone(&input, region);
        let _ = mask_matches(&input, "+84•••••5678");
        let _ = extract_e164(&input, region);
    }

    #[test]
    fn masks_never_panic(a in "[+0-9•xX* ]{0,24}", b in "\\PC{0,24}") {
        let _ = mask_matches(&a, &b);
        let _ = mask_matches(&b, &a);
        let _ = reference_normalise(&b);
    }
}
