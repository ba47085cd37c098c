//! Meet code benchmark: token size and QR version, render time, per-frame decode time with and
//! without a code (rxing fast / rxing thorough / rqrr), decode success per perturbation class,
//! verify + countersign time. Prints markdown tables for docs/MEET.md.
//!
//! Run: `cargo bench -p freeport-core --bench meet` (release profile).

#[path = "../tests/meet_corpus/synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use freeport_core::meet::{
    LumaFrame, MeetContext, MeetPolicy, QrMatrix, RenderOptions, ScanEffort, countersign,
    decode_frame, make_meet_code, verify_shower_token,
};
use freeport_core::protocol::receipt::MeetNonce;
use image::GrayImage;
use nostr::Timestamp;
use rand::SeedableRng;
use rand::rngs::StdRng;
use synth::{Class, Params};

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

fn rqrr_decode(img: &GrayImage) -> Option<String> {
    let mut p = rqrr::PreparedImage::prepare(img.clone());
    p.detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, s)| s))
}

fn rxing_decode(img: &GrayImage, effort: ScanEffort) -> Option<String> {
    let f = LumaFrame::new(img.width(), img.height(), img.width(), img.as_raw()).ok()?;
    decode_frame(&f, effort).ok()
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

    println!("## Decode time per frame (median / p95 over 40 frames, ms)\n");
    println!("| frame | content | rxing fast (live) | rxing thorough (stills) | rqrr |");
    println!("|---|---|---|---|---|");
    for (w, h) in [(640u32, 480u32), (1280, 720)] {
        for with_code in [true, false] {
            let mut rng = StdRng::seed_from_u64(42);
            let frames: Vec<GrayImage> = (0..40)
                .map(|_| {
                    if with_code {
                        let mut p = Params::random(Class::Clean, &mut rng);
                        p.noise = 3.0;
                        synth::frame(&m, w, h, &p, &mut rng)
                    } else {
                        synth::background(w, h, &mut rng)
                    }
                })
                .collect();
            let mut cells = Vec::new();
            for dec in 0..3 {
                let mut i = 0;
                let mut hits = 0;
                let (a, b) = time(frames.len(), || {
                    let img = &frames[i % frames.len()];
                    i += 1;
                    let r = match dec {
                        0 => rxing_decode(img, ScanEffort::Fast),
                        1 => rxing_decode(img, ScanEffort::Thorough),
                        _ => rqrr_decode(img),
                    };
                    if r.is_some() {
                        hits += 1;
                    }
                    black_box(r);
                });
                cells.push(format!(
                    "{} / {} ({hits}/{} read)",
                    ms(a),
                    ms(b),
                    frames.len()
                ));
            }
            println!(
                "| {w}×{h} | {} | {} | {} | {} |",
                if with_code {
                    "code, 35-50 % of short side"
                } else {
                    "no code"
                },
                cells[0],
                cells[1],
                cells[2]
            );
        }
    }

    println!("\n## Decode success per perturbation class (1280×720, 24 frames each)\n");
    println!("| class | rxing fast | rxing thorough | rqrr |");
    println!("|---|---|---|---|");
    let mut failures = Vec::new();
    for class in Class::ALL {
        let mut rng = StdRng::seed_from_u64(0xF00D + class as u64);
        let mut counts = [0usize; 3];
        for _ in 0..24 {
            let p = Params::random(class, &mut rng);
            let img = synth::frame(&m, 1280, 720, &p, &mut rng);
            let ok = |r: Option<String>| r.as_deref() == Some(code.text.as_str());
            counts[0] += usize::from(ok(rxing_decode(&img, ScanEffort::Fast)));
            counts[1] += usize::from(ok(rxing_decode(&img, ScanEffort::Thorough)));
            counts[2] += usize::from(ok(rqrr_decode(&img)));
            if !ok(rxing_decode(&img, ScanEffort::Fast)) {
                failures.push(format!("{}: {p:?}", class.name()));
            }
        }
        println!(
            "| {} | {}/24 | {}/24 | {}/24 |",
            class.name(),
            counts[0],
            counts[1],
            counts[2]
        );
    }
    if std::env::var_os("MEET_BENCH_FAILURES").is_some() {
        println!("\nFrames rxing fast missed:");
        for f in failures {
            println!("- {f}");
        }
    }
}
