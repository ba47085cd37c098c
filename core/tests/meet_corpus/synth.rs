//! Synthetic camera frames of a QR code, for the decode-rate corpus (tests/meet_corpus.rs) and
//! the benchmark (benches/meet.rs). Deterministic for a given RNG seed.
//!
//! A frame is a textured gray background with the code placed through a homography (scale,
//! rotation, perspective), area-sampled 2×2 per pixel like a camera sensor, then optionally
//! blurred, contrast-reduced, overlaid with a moiré pattern (a phone screen photographed by a
//! phone camera) and given sensor noise.

#![allow(dead_code)]

use freeport_core::meet::token::deal_tag;
use freeport_core::meet::{MeetToken, QrMatrix};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::receipt::{MeetNonce, ReceiptDraft, build_receipt};
use image::{GrayImage, Luma};
use nostr::secp256k1::SECP256K1;
use nostr::{EventId, Keys, SecretKey, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The deal of the fixed corpus code: fixed keys, negotiation and intent.
pub struct FixedDeal {
    pub owner: Keys,
    pub resp: Keys,
    pub nego: NegoId,
    pub intent: EventId,
}

/// The fixed deal (owner shows, responder scans).
pub fn fixed_deal() -> FixedDeal {
    let owner = Keys::new(SecretKey::from_slice(&[0x11; 32]).unwrap());
    let resp = Keys::new(SecretKey::from_slice(&[0x22; 32]).unwrap());
    let nego = NegoId::new("00112233aabbccdd", owner.public_key(), resp.public_key()).unwrap();
    FixedDeal {
        owner,
        resp,
        nego,
        intent: EventId::from_byte_array([0xab; 32]),
    }
}

/// Creation time of the fixed code.
pub const FIXED_AT: u32 = 1_750_000_000;

/// A real meetup code of the fixed deal, byte-identical on every run (deterministic nonce and
/// signature randomness), so the corpus and its decode rates are reproducible.
pub fn fixed_code(d: &FixedDeal) -> String {
    let nonce = MeetNonce([0x5a; 16]);
    let draft = ReceiptDraft {
        nego: d.nego.clone(),
        peer: d.resp.public_key(),
        intent_id: d.intent,
        meet: Some(nonce),
        countersigns: None,
    };
    let ev = build_receipt(&draft, Timestamp::from(u64::from(FIXED_AT)))
        .build(d.owner.public_key())
        .sign_with_ctx(SECP256K1, &mut StdRng::seed_from_u64(99), &d.owner)
        .unwrap();
    MeetToken {
        deal_tag: deal_tag(&d.nego),
        created_at: FIXED_AT,
        nonce,
        shower: d.owner.public_key(),
        sig: ev.sig,
    }
    .encode()
}

/// The perturbation classes of the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Upright code at 40 % of the short side, clean: the control.
    Clean,
    /// Any angle.
    Rotated,
    /// 15–80 % of the frame's short side.
    Scaled,
    /// Gaussian blur, sigma 0.3–0.6 modules.
    Blurred,
    /// Gaussian sensor noise, sigma 10–35 gray levels.
    Noisy,
    /// 12–30 % contrast.
    LowContrast,
    /// Perspective tilt up to ~40° about either axis, any rotation.
    Perspective,
    /// A screen photo: moiré interference, mild blur, reduced contrast, slight rotation.
    Moire,
    /// All of the above at moderate strength.
    Mixed,
}

impl Class {
    /// Every class, in table order.
    pub const ALL: [Class; 9] = [
        Class::Clean,
        Class::Rotated,
        Class::Scaled,
        Class::Blurred,
        Class::Noisy,
        Class::LowContrast,
        Class::Perspective,
        Class::Moire,
        Class::Mixed,
    ];

    /// Short name for tables.
    pub fn name(&self) -> &'static str {
        match self {
            Class::Clean => "clean",
            Class::Rotated => "rotated (any angle)",
            Class::Scaled => "scaled 15-80 %",
            Class::Blurred => "blurred",
            Class::Noisy => "noisy",
            Class::LowContrast => "low contrast",
            Class::Perspective => "perspective skew",
            Class::Moire => "moire (screen photo)",
            Class::Mixed => "mixed",
        }
    }
}

/// Everything that defines one synthetic frame.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Code side (quiet zone included) as a fraction of the frame's short side.
    pub scale: f64,
    /// Rotation, radians.
    pub angle: f64,
    /// Perspective: relative shrink of one side (horizontal and vertical tilt), −0.4..0.4.
    pub tilt_x: f64,
    pub tilt_y: f64,
    /// Blur sigma in modules.
    pub blur_modules: f32,
    /// Noise sigma in gray levels.
    pub noise: f64,
    /// Contrast: light − dark as a fraction of 255.
    pub contrast: f64,
    /// Moiré amplitude 0..1.
    pub moire: f64,
}

impl Params {
    /// A clean, upright, mid-sized code.
    pub fn clean() -> Self {
        Self {
            scale: 0.4,
            angle: 0.0,
            tilt_x: 0.0,
            tilt_y: 0.0,
            blur_modules: 0.0,
            noise: 0.0,
            contrast: 0.75,
            moire: 0.0,
        }
    }

    /// Random parameters for a class.
    pub fn random(class: Class, rng: &mut StdRng) -> Self {
        let mut p = Self::clean();
        // Small hand jitter everywhere.
        p.angle = rng.gen_range(-0.05..0.05);
        p.scale = rng.gen_range(0.35..0.5);
        match class {
            Class::Clean => {}
            Class::Rotated => p.angle = rng.gen_range(0.0..std::f64::consts::TAU),
            Class::Scaled => p.scale = rng.gen_range(0.15..0.80),
            Class::Blurred => p.blur_modules = rng.gen_range(0.3..0.6),
            Class::Noisy => p.noise = rng.gen_range(10.0..35.0),
            Class::LowContrast => p.contrast = rng.gen_range(0.12..0.30),
            Class::Perspective => {
                p.angle = rng.gen_range(0.0..std::f64::consts::TAU);
                p.tilt_x = rng.gen_range(-0.4..0.4);
                p.tilt_y = rng.gen_range(-0.4..0.4);
            }
            Class::Moire => {
                p.moire = rng.gen_range(0.25..0.5);
                p.blur_modules = rng.gen_range(0.1..0.25);
                p.contrast = rng.gen_range(0.4..0.6);
                p.angle = rng.gen_range(-0.3..0.3);
            }
            Class::Mixed => {
                p.angle = rng.gen_range(0.0..std::f64::consts::TAU);
                p.scale = rng.gen_range(0.25..0.6);
                p.tilt_x = rng.gen_range(-0.2..0.2);
                p.tilt_y = rng.gen_range(-0.2..0.2);
                p.blur_modules = rng.gen_range(0.1..0.3);
                p.noise = rng.gen_range(5.0..15.0);
                p.contrast = rng.gen_range(0.35..0.6);
                p.moire = rng.gen_range(0.0..0.25);
            }
        }
        p
    }
}

/// Solves the homography mapping `src[i]` → `dst[i]` (four point pairs).
fn homography(src: [(f64, f64); 4], dst: [(f64, f64); 4]) -> [f64; 8] {
    let mut m = [[0f64; 9]; 8];
    for i in 0..4 {
        let (x, y) = src[i];
        let (u, v) = dst[i];
        m[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y, u];
        m[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y, v];
    }
    for col in 0..8 {
        let piv = (col..8)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap();
        m.swap(col, piv);
        let d = m[col][col];
        for v in m[col].iter_mut().skip(col) {
            *v /= d;
        }
        let pivot = m[col];
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col];
                for (v, p) in row.iter_mut().zip(pivot.iter()).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    std::array::from_fn(|i| m[i][8])
}

fn apply(h: &[f64; 8], x: f64, y: f64) -> (f64, f64) {
    let w = h[6] * x + h[7] * y + 1.0;
    (
        (h[0] * x + h[1] * y + h[2]) / w,
        (h[3] * x + h[4] * y + h[5]) / w,
    )
}

fn gauss(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A textured background: a random gradient plus low-frequency blotches, no code.
pub fn background(w: u32, h: u32, rng: &mut StdRng) -> GrayImage {
    let a: f64 = rng.gen_range(60.0..200.0);
    let gx: f64 = rng.gen_range(-0.08..0.08);
    let gy: f64 = rng.gen_range(-0.08..0.08);
    let (f1, f2): (f64, f64) = (rng.gen_range(0.005..0.02), rng.gen_range(0.005..0.02));
    let ph: f64 = rng.gen_range(0.0..6.0);
    // Separable terms precomputed per column and row (the tests run unoptimised).
    let cols: Vec<(f64, f64)> = (0..w)
        .map(|x| (gx * f64::from(x), 25.0 * (f1 * f64::from(x) + ph).sin()))
        .collect();
    let rows: Vec<(f64, f64)> = (0..h)
        .map(|y| (gy * f64::from(y), (f2 * f64::from(y)).cos()))
        .collect();
    GrayImage::from_fn(w, h, |x, y| {
        let (cx, cs) = cols[x as usize];
        let (ry, rc) = rows[y as usize];
        let v = a + cx + ry + cs * rc;
        Luma([v.clamp(0.0, 255.0) as u8])
    })
}

/// Renders a frame of `w`×`h` with the code of `m` placed per `p`.
pub fn frame(m: &QrMatrix, w: u32, h: u32, p: &Params, rng: &mut StdRng) -> GrayImage {
    let mut img = background(w, h, rng);
    let short = f64::from(w.min(h));
    let modules = f64::from(m.width + 8); // 4-module quiet zone each side
    let side = p.scale * short;
    let (cx, cy) = (
        f64::from(w) / 2.0 + rng.gen_range(-0.1..0.1) * f64::from(w),
        f64::from(h) / 2.0 + rng.gen_range(-0.1..0.1) * f64::from(h),
    );
    // Corners of the code square before rotation, with perspective: shrink one side of each
    // axis pair.
    let r = side / 2.0;
    let local = [
        (-r * (1.0 - p.tilt_y), -r * (1.0 - p.tilt_x)),
        (r * (1.0 + p.tilt_y), -r * (1.0 + p.tilt_x)),
        (r * (1.0 + p.tilt_y), r * (1.0 + p.tilt_x)),
        (-r * (1.0 - p.tilt_y), r * (1.0 - p.tilt_x)),
    ];
    let (s, c) = p.angle.sin_cos();
    let quad = local.map(|(x, y)| (cx + x * c - y * s, cy + x * s + y * c));
    let square = [
        (0.0, 0.0),
        (modules, 0.0),
        (modules, modules),
        (0.0, modules),
    ];
    let hm = homography(quad, square);
    let light = 128.0 + p.contrast * 127.5;
    let dark = 128.0 - p.contrast * 127.5;
    let (x0, x1) = quad
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), q| (a.min(q.0), b.max(q.0)));
    let (y0, y1) = quad
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), q| (a.min(q.1), b.max(q.1)));
    let bx0 = x0.floor().max(0.0) as u32;
    let bx1 = (x1.ceil() as u32).min(w);
    let by0 = y0.floor().max(0.0) as u32;
    let by1 = (y1.ceil() as u32).min(h);
    let q = 4i64;
    for y in by0..by1 {
        for x in bx0..bx1 {
            let mut acc = 0.0;
            let mut inside = 0;
            for (dx, dy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (u, v) = apply(&hm, f64::from(x) + dx, f64::from(y) + dy);
                if u >= 0.0 && v >= 0.0 && u < modules && v < modules {
                    inside += 1;
                    let is_dark = m.is_dark(u.floor() as i64 - q, v.floor() as i64 - q);
                    acc += if is_dark { dark } else { light };
                }
            }
            if inside > 0 {
                let bg = f64::from(img.get_pixel(x, y).0[0]);
                let v = (acc + bg * f64::from(4 - inside)) / 4.0;
                img.put_pixel(x, y, Luma([v.clamp(0.0, 255.0) as u8]));
            }
        }
    }
    let module_px = side / modules;
    if p.moire > 0.0 {
        // Two slightly detuned gratings near the screen's pixel pitch beat into moiré bands.
        let f = rng.gen_range(0.28..0.42);
        let th: f64 = rng.gen_range(0.0..std::f64::consts::PI);
        let (fs, fc) = th.sin_cos();
        let g = f * rng.gen_range(0.9..1.1);
        for y in by0..by1 {
            for x in bx0..bx1 {
                let (xf, yf) = (f64::from(x), f64::from(y));
                let a = (std::f64::consts::TAU * f * (xf * fc + yf * fs)).sin();
                let b = (std::f64::consts::TAU * g * (xf * fs - yf * fc)).sin();
                let k = 1.0 - p.moire * (0.5 + 0.5 * a * b);
                let v = f64::from(img.get_pixel(x, y).0[0]) * k;
                img.put_pixel(x, y, Luma([v.clamp(0.0, 255.0) as u8]));
            }
        }
    }
    if p.blur_modules > 0.0 && bx1 > bx0 && by1 > by0 {
        let sigma = (f64::from(p.blur_modules) * module_px) as f32;
        let pad = (3.0 * sigma).ceil() as u32 + 1;
        let (ax, ay) = (bx0.saturating_sub(pad), by0.saturating_sub(pad));
        let (bw, bh) = ((bx1 + pad).min(w) - ax, (by1 + pad).min(h) - ay);
        let crop = image::imageops::crop_imm(&img, ax, ay, bw, bh).to_image();
        let blurred = image::imageops::blur(&crop, sigma.max(0.1));
        image::imageops::replace(&mut img, &blurred, i64::from(ax), i64::from(ay));
    }
    if p.noise > 0.0 {
        // A table of 4096 Gaussian offsets indexed by random numbers: cheap enough unoptimised,
        // still white noise at the scale of a module.
        let table: Vec<i16> = (0..4096)
            .map(|_| (p.noise * gauss(rng)).round().clamp(-255.0, 255.0) as i16)
            .collect();
        for chunk in img.chunks_mut(4) {
            let r: u64 = rng.r#gen();
            for (i, px) in chunk.iter_mut().enumerate() {
                let n = table[((r >> (i * 12)) & 4095) as usize];
                *px = (i16::from(*px) + n).clamp(0, 255) as u8;
            }
        }
    }
    img
}
