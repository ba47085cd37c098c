//! Meet code benchmark: token size and QR version, render time, verify + countersign time.
//! Prints markdown tables for docs/MEET.md.
//!
//! Run: `cargo bench -p freeport-core --bench meet` (release profile). Decoding (rates per
//! class of the meet corpus and time per frame, beside zxing-cpp) is measured by the separate
//! crate `bench/meet-zxing`, so the workspace never compiles zxing-cpp's C++.

#[path = "../tests/meet_corpus/synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use freeport_core::meet::{
    MeetContext, MeetPolicy, QrMatrix, RenderOptions, countersign, make_meet_code,
    verify_shower_token,
};
use freeport_core::protocol::receipt::MeetNonce;
use nostr::Timestamp;

/// Median and 95th percentile of `f` over `n` runs.
fn time<F: FnMut()>(n: usize, mut f: F) -> (Duration, Duration) {
    let mut v: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    (v[n / 2], v[(n * 95 / 100).min(n - 1)])
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

/// RFC 9285 base45, for the size comparison only.
fn base45(data: &[u8]) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    let mut s = String::new();
    for ch in data.chunks(2) {
        if let [a, b] = ch {
            let mut n = u32::from(*a) * 256 + u32::from(*b);
            for _ in 0..3 {
                s.push(char::from(A[(n % 45) as usize]));
                n /= 45;
            }
        } else {
            let mut n = u32::from(ch[0]);
            for _ in 0..2 {
                s.push(char::from(A[(n % 45) as usize]));
                n /= 45;
            }
        }
    }
    s
}

fn main() {
    let d = synth::fixed_deal();
    let (owner, resp, nego, intent) = (d.owner.clone(), d.resp.clone(), d.nego.clone(), d.intent);
    let shower_ctx = MeetContext {
        nego: nego.clone(),
        my_pubkey: owner.public_key(),
        peer: resp.public_key(),
        intent_id: intent,
    };
    let scanner_ctx = MeetContext {
        nego: nego.clone(),
        my_pubkey: resp.public_key(),
        peer: owner.public_key(),
        intent_id: intent,
    };
    let now = Timestamp::from(u64::from(synth::FIXED_AT));
    // The corpus code (deterministic), as a ShownCode for the verify timing.
    let code = make_meet_code(&shower_ctx, &owner, MeetNonce([0x5a; 16]), now).unwrap();
    let code = freeport_core::meet::ShownCode {
        text: synth::fixed_code(&d),
        ..code
    };
    let policy = MeetPolicy::default();
    let v = verify_shower_token(&code.text, &scanner_ctx, now, &policy).unwrap();
    let pair = countersign(&v.clone().claim(true).unwrap(), &resp, now).unwrap();
    let ret = pair.return_code().unwrap();

    println!("## Token size and QR version (EC level M)\n");
    println!("| code | encoding | characters | QR version | modules |");
    println!("|---|---|---|---|---|");
    let body_meet = &code.text[5..];
    let raw_meet: Vec<u8> = {
        // Re-derive the payload bytes from the base32 body for the base45 comparison.
        let t = freeport_core::meet::MeetToken::parse(&code.text).unwrap();
        let mut b = Vec::new();
        b.extend_from_slice(&t.deal_tag);
        b.extend_from_slice(&t.created_at.to_be_bytes());
        b.extend_from_slice(&t.nonce.0);
        b.extend_from_slice(&t.shower.to_bytes());
        b.extend_from_slice(&t.sig.serialize());
        b
    };
    assert_eq!(body_meet.len(), 192);
    let b45 = format!("FPM1:{}", base45(&raw_meet));
    for (name, enc, text) in [
        ("meetup FPM1", "base32 (chosen)", code.text.as_str()),
        ("meetup FPM1", "base45 (alternative)", b45.as_str()),
        ("return FPR1", "base32 (chosen)", ret.as_str()),
    ] {
        let m = QrMatrix::encode(text).unwrap();
        println!(
            "| {name} | {enc} | {} | {} | {}×{} |",
            text.len(),
            m.version,
            m.width,
            m.width
        );
    }

    println!("\n## Render (median / p95 of 200, ms)\n");
    println!("| output | size | median | p95 |");
    println!("|---|---|---|---|");
    let m = QrMatrix::encode(&code.text).unwrap();
    let opts = RenderOptions::fit(512, m.width, 4);
    let side = (m.width + 8) * opts.module_px;
    let (a, b) = time(200, || {
        black_box(freeport_core::meet::render_png(&code.text, &opts).unwrap());
    });
    println!(
        "| PNG (encode + draw + deflate) | {side}×{side} px ({} px/module) | {} | {} |",
        opts.module_px,
        ms(a),
        ms(b)
    );
    let (a, b) = time(200, || {
        black_box(freeport_core::meet::render_svg(&code.text, &RenderOptions::default()).unwrap());
    });
    println!("| SVG | vector | {} | {} |", ms(a), ms(b));
    let (a, b) = time(200, || {
        black_box(freeport_core::meet::render_terminal(&code.text, true).unwrap());
    });
    println!(
        "| terminal half blocks | {} columns | {} | {} |",
        m.width + 8,
        ms(a),
        ms(b)
    );

    println!("\n## Verify and countersign (median of 200, ms)\n");
    let (a, _) = time(200, || {
        black_box(verify_shower_token(&code.text, &scanner_ctx, now, &policy).unwrap());
    });
    let (c, _) = time(200, || {
        black_box(countersign(&v.clone().claim(true).unwrap(), &resp, now).unwrap());
    });
    println!(
        "verify_shower_token {} ms · countersign {} ms\n",
        ms(a),
        ms(c)
    );
}
