//! Cost of the contact-layer operations (docs/CONTACT.md §7 records the output).
//!
//! `cargo run -p freeport-core --example contact_bench --release`

use std::hint::black_box;
use std::time::Instant;

use freeport_core::contact::{
    ProfilePhone, Salt, attestation_for, build_contact_string, commitment, evaluate_attestation,
    extract_e164, mask_matches, parse_phone, reference_mask,
};

fn time<T>(label: &str, iterations: u32, mut f: impl FnMut() -> T) {
    // Warm-up, then measure.
    for _ in 0..iterations / 10 {
        black_box(f());
    }
    let start = Instant::now();
    for _ in 0..iterations {
        black_box(f());
    }
    let per = start.elapsed().as_secs_f64() * 1e9 / f64::from(iterations);
    println!("| {label:<52} | {per:>10.0} |");
}

fn main() {
    let cold = Instant::now();
    let first = parse_phone("+84 912 345 678", None);
    println!(
        "first parse (loads libphonenumber metadata): {:.1} ms, ok={}",
        cold.elapsed().as_secs_f64() * 1e3,
        first.is_ok()
    );
    let Ok(n) = first else {
        return;
    };
    let salt = Salt::from_bytes([7; 32]);
    let subject_masked = ProfilePhone {
        phone: Some(reference_mask(&n)),
        phone_commit: Some(commitment(&n, &salt)),
    };
    let subject_full = ProfilePhone {
        phone: Some(n.as_str().to_string()),
        phone_commit: None,
    };
    let att_exact = attestation_for(&n, Some(&salt));
    let att_mask = attestation_for(&n, None);
    let contact = build_contact_string("Lan", &n, Some(("Honda Wave", "29X1-123.45")));

    println!("| operation | ns/op |");
    println!("|---|---:|");
    time("parse_phone E.164 (+84 912 345 678)", 20_000, || {
        parse_phone("+84 912 345 678", None)
    });
    time(
        "parse_phone national + region (091 234 56 78, VN)",
        20_000,
        || parse_phone("091 234 56 78", Some("VN")),
    );
    time("parse_phone invalid (+84 123 456 789)", 20_000, || {
        parse_phone("+84 123 456 789", None)
    });
    time("reference_mask", 200_000, || reference_mask(&n));
    time("commitment (SHA-256)", 200_000, || commitment(&n, &salt));
    time("mask_matches reference vs display mask", 200_000, || {
        mask_matches("+84•••••5678", "+84 •••••5678")
    });
    time(
        "mask_matches mask vs full number (library parse)",
        20_000,
        || mask_matches("+84•••••5678", "+84912345678"),
    );
    time("evaluate_attestation, commitment path", 200_000, || {
        evaluate_attestation(&att_exact, &subject_masked, &[])
    });
    time(
        "evaluate_attestation, mask vs published mask",
        200_000,
        || evaluate_attestation(&att_mask, &subject_masked, &[]),
    );
    time(
        "evaluate_attestation, mask vs published full number",
        20_000,
        || evaluate_attestation(&att_mask, &subject_full, &[]),
    );
    time(
        "extract_e164 from a reference contact string",
        20_000,
        || extract_e164(&contact, None),
    );
}
