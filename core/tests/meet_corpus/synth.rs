//! Camera-like synthetic frames of a meetup code on a phone screen, for the decode-rate corpus
//! (tests/meet_corpus.rs), the benchmark (benches/meet.rs) and the side-by-side comparison with
//! zxing-cpp (bench/meet-zxing). Deterministic for a given RNG seed.
//!
//! A frame is built in linear light, as a camera sees it:
//! 1. a cluttered scene (table, floor tiles, boxes, print, cables) under uneven illumination
//!    with vignetting;
//! 2. a phone (dark body, bright screen with a little app UI around the code) placed by a real
//!    pinhole projection: the screen plane is rolled, tilted about an arbitrary in-plane axis
//!    and set at the distance that gives the wanted size, focal length ~1000 px (a 65° phone
//!    camera at 1280 px), so far edges shrink as they do in a photo;
//! 3. the screen's own light (white and black modules), plus what its glass reflects (an
//!    uneven veil that lowers the contrast), an optional specular glare spot, and an optional
//!    sub-pixel grid that the sensor aliases into moiré;
//! 4. supersampling 3×3 per pixel over the phone, then optics: lens blur, defocus (a disc),
//!    motion blur (a line);
//! 5. auto-exposure to a target mean grey, clipping, sensor noise (shot + read), sRGB-like
//!    gamma, 8-bit quantisation, and optionally a heavy JPEG round trip.
//!
//! Sizes are given as the code's side *including its 4-module quiet zone* as a fraction of the
//! frame's short side, blur as a fraction of one module.

#![allow(dead_code)]

use freeport_core::meet::token::deal_tag;
use freeport_core::meet::{MeetToken, QrMatrix};
use freeport_core::protocol::NegoId;
use freeport_core::protocol::receipt::{MeetNonce, ReceiptDraft, build_receipt};
use image::GrayImage;
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

/// Frame size of the corpus (a 720p camera stream).
pub const W: u32 = 1280;
pub const H: u32 = 720;
/// Frames per class.
pub const PER_CLASS: usize = 24;

/// The classes of the corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Upright, 35–55 % of the short side, tilt ≤ 12°, good light: the control.
    Clean,
    /// Any roll angle, tilt ≤ 12°.
    Rotated,
    /// 16–24 % of the short side: 2–3 pixels per module.
    Small,
    /// Tilted 25–45° about a random in-plane axis, any roll.
    Perspective,
    /// Hand shake: a line blur of 0.6–1.6 modules in a random direction.
    MotionBlur,
    /// Out of focus: a disc blur of radius 0.3–0.7 module.
    Defocus,
    /// Screen contrast 10–30 % (dim screen, bright reflections) under light that varies 1.5–3×
    /// across the frame, at any exposure (mean grey 60–190).
    LowContrast,
    /// Low light: read noise σ 8–22 grey levels plus shot noise.
    Noise,
    /// JPEG quality 6–20 (messaging apps, cheap camera pipelines).
    Jpeg,
    /// The screen's sub-pixel grid aliased by the sensor.
    Moire,
    /// A specular highlight on the screen glass, 0.6–2× the screen's white at its peak (the
    /// core saturates), 6–15 % of the code's side in radius.
    Glare,
    /// A tilt of 15–35° with two of: motion blur, defocus, low contrast, noise, JPEG, moiré,
    /// glare, each at moderate strength.
    Mixed,
}

impl Class {
    /// Every class, in table order.
    pub const ALL: [Class; 12] = [
        Class::Clean,
        Class::Rotated,
        Class::Small,
        Class::Perspective,
        Class::MotionBlur,
        Class::Defocus,
        Class::LowContrast,
        Class::Noise,
        Class::Jpeg,
        Class::Moire,
        Class::Glare,
        Class::Mixed,
    ];

    /// Short name for tables.
    pub fn name(&self) -> &'static str {
        match self {
            Class::Clean => "clean",
            Class::Rotated => "rotated",
            Class::Small => "small (2-3 px/module)",
            Class::Perspective => "strong perspective 25-45°",
            Class::MotionBlur => "motion blur",
            Class::Defocus => "defocus",
            Class::LowContrast => "low contrast, uneven light",
            Class::Noise => "sensor noise",
            Class::Jpeg => "heavy JPEG",
            Class::Moire => "screen moiré",
            Class::Glare => "glare",
            Class::Mixed => "mixed",
        }
    }

    /// The seed of the class's frames.
    pub fn seed(&self) -> u64 {
        0x00C0_FFEE + *self as u64
    }
}

/// Everything that defines one frame besides the scene's clutter.
#[derive(Debug, Clone, Copy)]
pub struct Params {
    /// Code side (quiet zone included) as a fraction of the frame's short side, seen face-on.
    pub scale: f64,
    /// Roll (rotation in the image plane), radians.
    pub roll: f64,
    /// Tilt of the screen plane away from face-on, radians, about the in-plane axis at
    /// `tilt_axis` radians.
    pub tilt: f64,
    pub tilt_axis: f64,
    /// Where the code's centre lands, as a fraction of the frame size from the centre.
    pub offset: (f64, f64),
    /// Lens blur sigma in pixels (always present).
    pub lens_px: f64,
    /// Defocus disc radius, modules.
    pub defocus: f64,
    /// Motion blur length in modules, and its direction in radians.
    pub motion: f64,
    pub motion_dir: f64,
    /// Michelson contrast of the code on the screen at its centre (white vs black module,
    /// reflections included).
    pub contrast: f64,
    /// How much the light (and the screen's reflection veil) varies across the frame: the
    /// brightest point over the darkest, ≥ 1.
    pub unevenness: f64,
    /// Mean grey the auto-exposure aims for.
    pub mean_grey: f64,
    /// Read noise sigma in grey levels (shot noise scales with it).
    pub noise: f64,
    /// JPEG quality, 0 for none.
    pub jpeg: u8,
    /// Sub-pixel grid: screen pixels per module (0 for none) and the grid's depth (0..1).
    pub moire_px: f64,
    pub moire_depth: f64,
    /// Glare: peak over the screen white (0 for none), radius as a fraction of the code side.
    pub glare: f64,
    pub glare_radius: f64,
}

impl Params {
    /// A clean, face-on, mid-sized code in good light.
    pub fn clean() -> Self {
        Self {
            scale: 0.45,
            roll: 0.0,
            tilt: 0.0,
            tilt_axis: 0.0,
            offset: (0.0, 0.0),
            lens_px: 0.6,
            defocus: 0.0,
            motion: 0.0,
            motion_dir: 0.0,
            contrast: 0.85,
            unevenness: 1.2,
            mean_grey: 120.0,
            noise: 2.0,
            jpeg: 0,
            moire_px: 0.0,
            moire_depth: 0.0,
            glare: 0.0,
            glare_radius: 0.0,
        }
    }

    /// Random parameters for a class.
    pub fn random(class: Class, rng: &mut StdRng) -> Self {
        let deg = std::f64::consts::PI / 180.0;
        let mut p = Self::clean();
        // What every frame has: hand jitter, a slight tilt, a little blur and noise, some
        // unevenness, any exposure a phone picks indoors or out.
        p.scale = rng.gen_range(0.35..0.55);
        p.roll = rng.gen_range(-4.0..4.0) * deg;
        p.tilt = rng.gen_range(0.0..12.0) * deg;
        p.tilt_axis = rng.gen_range(0.0..std::f64::consts::TAU);
        p.offset = (rng.gen_range(-0.12..0.12), rng.gen_range(-0.12..0.12));
        p.lens_px = rng.gen_range(0.45..0.8);
        p.contrast = rng.gen_range(0.7..0.92);
        p.unevenness = rng.gen_range(1.1..1.5);
        p.mean_grey = rng.gen_range(70.0..170.0);
        p.noise = rng.gen_range(1.5..3.5);
        match class {
            Class::Clean => {}
            Class::Rotated => p.roll = rng.gen_range(0.0..std::f64::consts::TAU),
            Class::Small => p.scale = rng.gen_range(0.16..0.24),
            Class::Perspective => {
                p.roll = rng.gen_range(0.0..std::f64::consts::TAU);
                p.tilt = rng.gen_range(25.0..45.0) * deg;
                p.scale = rng.gen_range(0.4..0.6);
            }
            Class::MotionBlur => {
                p.motion = rng.gen_range(0.6..1.6);
                p.motion_dir = rng.gen_range(0.0..std::f64::consts::PI);
            }
            Class::Defocus => p.defocus = rng.gen_range(0.3..0.7),
            Class::LowContrast => {
                p.contrast = rng.gen_range(0.1..0.3);
                p.unevenness = rng.gen_range(1.5..3.0);
                p.mean_grey = rng.gen_range(60.0..190.0);
            }
            Class::Noise => {
                p.noise = rng.gen_range(8.0..22.0);
                p.mean_grey = rng.gen_range(50.0..130.0);
            }
            Class::Jpeg => p.jpeg = rng.gen_range(6..=20),
            Class::Moire => {
                p.moire_px = rng.gen_range(6.0..14.0);
                p.moire_depth = rng.gen_range(0.5..0.9);
                p.lens_px = rng.gen_range(0.3..0.5);
            }
            Class::Glare => {
                p.glare = rng.gen_range(0.6..2.0);
                p.glare_radius = rng.gen_range(0.06..0.15);
            }
            Class::Mixed => {
                p.roll = rng.gen_range(0.0..std::f64::consts::TAU);
                p.tilt = rng.gen_range(15.0..35.0) * deg;
                p.scale = rng.gen_range(0.3..0.55);
                let first = rng.gen_range(0..7);
                let second = (first + rng.gen_range(1..7)) % 7;
                for pick in [first, second] {
                    match pick {
                        0 => {
                            p.motion = rng.gen_range(0.3..0.7);
                            p.motion_dir = rng.gen_range(0.0..std::f64::consts::PI);
                        }
                        1 => p.defocus = rng.gen_range(0.15..0.3),
                        2 => {
                            p.contrast = rng.gen_range(0.15..0.35);
                            p.unevenness = rng.gen_range(1.3..2.2);
                        }
                        3 => p.noise = rng.gen_range(6.0..12.0),
                        4 => p.jpeg = rng.gen_range(15..=35),
                        5 => {
                            p.moire_px = rng.gen_range(6.0..12.0);
                            p.moire_depth = rng.gen_range(0.4..0.7);
                        }
                        _ => {
                            p.glare = rng.gen_range(0.8..1.8);
                            p.glare_radius = rng.gen_range(0.06..0.14);
                        }
                    }
                }
            }
        }
        p
    }
}

/// A 3×3 matrix, row-major.
type M3 = [[f64; 3]; 3];

fn mul(a: &M3, b: &M3) -> M3 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn invert(m: &M3) -> M3 {
    let c = |i: usize, j: usize| {
        let (i1, i2) = ((i + 1) % 3, (i + 2) % 3);
        let (j1, j2) = ((j + 1) % 3, (j + 2) % 3);
        m[i1][j1] * m[i2][j2] - m[i1][j2] * m[i2][j1]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    std::array::from_fn(|i| std::array::from_fn(|j| c(j, i) / det))
}

fn rot_z(a: f64) -> M3 {
    let (s, c) = a.sin_cos();
    [[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]
}

/// Rotation by `angle` about the unit axis (cos a, sin a, 0).
fn rot_axis(a: f64, angle: f64) -> M3 {
    let (ux, uy) = (a.cos(), a.sin());
    let (s, c) = angle.sin_cos();
    let t = 1.0 - c;
    [
        [c + ux * ux * t, ux * uy * t, uy * s],
        [ux * uy * t, c + uy * uy * t, -ux * s],
        [-uy * s, ux * s, c],
    ]
}

fn gauss(rng: &mut StdRng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.r#gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A linear-light float image.
struct Lin {
    w: usize,
    h: usize,
    px: Vec<f32>,
}

impl Lin {
    fn fill_rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, v: f32) {
        let xa = x0.clamp(0.0, self.w as f64) as usize;
        let xb = x1.clamp(0.0, self.w as f64) as usize;
        let ya = y0.clamp(0.0, self.h as f64) as usize;
        let yb = y1.clamp(0.0, self.h as f64) as usize;
        for y in ya..yb {
            self.px[y * self.w + xa..y * self.w + xb.max(xa)].fill(v);
        }
    }

    /// Fills the pixels whose centre `inside` says are in a shape, within a bounding box.
    fn fill_with(&mut self, bb: (f64, f64, f64, f64), v: f32, inside: impl Fn(f64, f64) -> bool) {
        let xa = bb.0.max(0.0) as usize;
        let xb = (bb.2.min(self.w as f64)).max(0.0) as usize;
        let ya = bb.1.max(0.0) as usize;
        let yb = (bb.3.min(self.h as f64)).max(0.0) as usize;
        for y in ya..yb {
            for x in xa..xb {
                if inside(x as f64 + 0.5, y as f64 + 0.5) {
                    self.px[y * self.w + x] = v;
                }
            }
        }
    }
}

/// The reflectance of a cluttered scene: a table or floor texture, tiles, boxes, printed text,
/// cables and a few high-contrast patterns that a finder could mistake for part of a code.
fn clutter(w: usize, h: usize, rng: &mut StdRng) -> Lin {
    let base: f32 = rng.gen_range(0.15..0.6);
    let mut img = Lin {
        w,
        h,
        px: vec![base; w * h],
    };
    let (wf, hf) = (w as f64, h as f64);
    // Wood grain / floor: a few low-frequency stripes.
    let f = rng.gen_range(0.01..0.04);
    let th: f64 = rng.gen_range(0.0..std::f64::consts::PI);
    let amp: f32 = rng.gen_range(0.02..0.08);
    let (s, c) = th.sin_cos();
    // sin(t) + 0.3 sin(3.1 t) with t = (x cos θ + y sin θ) f, separated into per-column and
    // per-row factors (sin(a + b) = sin a cos b + cos a sin b): no trigonometry per pixel.
    let sc = |k: f64, v: f64| (k * v).sin_cos();
    let cols: Vec<[(f64, f64); 2]> = (0..w)
        .map(|x| [sc(f, x as f64 * c), sc(3.1 * f, x as f64 * c)])
        .collect();
    let rows: Vec<[(f64, f64); 2]> = (0..h)
        .map(|y| [sc(f, y as f64 * s), sc(3.1 * f, y as f64 * s)])
        .collect();
    for (y, r) in rows.iter().enumerate() {
        for (x, k) in cols.iter().enumerate() {
            let s1 = k[0].0 * r[0].1 + k[0].1 * r[0].0;
            let s3 = k[1].0 * r[1].1 + k[1].1 * r[1].0;
            img.px[y * w + x] = (base + amp * (s1 + 0.3 * s3) as f32).clamp(0.02, 0.95);
        }
    }
    // Floor or wall tiles in one region.
    if rng.gen_bool(0.5) {
        let tile = rng.gen_range(30.0..90.0);
        let (x0, y0) = (rng.gen_range(0.0..wf * 0.5), rng.gen_range(0.0..hf * 0.5));
        let (x1, y1) = (
            x0 + rng.gen_range(200.0..600.0),
            y0 + rng.gen_range(150.0..400.0),
        );
        let dark: f32 = rng.gen_range(0.1..0.5);
        img.fill_with((x0, y0, x1, y1), dark, |x, y| {
            ((((x - x0) / tile).floor() + ((y - y0) / tile).floor()) as i64) % 2 == 0
        });
    }
    // Boxes, books, cards.
    for _ in 0..rng.gen_range(8..20) {
        let (cx, cy) = (rng.gen_range(0.0..wf), rng.gen_range(0.0..hf));
        let (hw, hh): (f64, f64) = (rng.gen_range(10.0..160.0), rng.gen_range(10.0..160.0));
        let v: f32 = rng.gen_range(0.03..0.9);
        let a: f64 = rng.gen_range(0.0..std::f64::consts::PI);
        let (s, c) = a.sin_cos();
        let r = hw.max(hh) * 1.5;
        img.fill_with((cx - r, cy - r, cx + r, cy + r), v, |x, y| {
            let (dx, dy) = (x - cx, y - cy);
            (dx * c + dy * s).abs() < hw && (-dx * s + dy * c).abs() < hh
        });
    }
    // Discs (cups, coins, buttons) and rings.
    for _ in 0..rng.gen_range(3..10) {
        let (cx, cy) = (rng.gen_range(0.0..wf), rng.gen_range(0.0..hf));
        let r = rng.gen_range(5.0..60.0);
        let ring = rng.gen_bool(0.4);
        let v: f32 = rng.gen_range(0.03..0.9);
        img.fill_with((cx - r, cy - r, cx + r, cy + r), v, |x, y| {
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            d < r && (!ring || d > r * 0.6)
        });
    }
    // Printed text: rows of small dark glyph blocks on a light sheet.
    for _ in 0..rng.gen_range(1..4) {
        let (x0, y0) = (
            rng.gen_range(0.0..wf - 100.0),
            rng.gen_range(0.0..hf - 60.0),
        );
        let (sw, sh) = (rng.gen_range(120.0..380.0), rng.gen_range(60.0..260.0));
        let paper: f32 = rng.gen_range(0.6..0.9);
        img.fill_rect(x0, y0, x0 + sw, y0 + sh, paper);
        let glyph = rng.gen_range(3.0..9.0);
        let mut y = y0 + glyph;
        while y + glyph < y0 + sh {
            let mut x = x0 + glyph;
            while x + glyph < x0 + sw {
                let gw = glyph * rng.gen_range(0.4..1.0);
                if rng.gen_bool(0.85) {
                    let ink: f32 = rng.gen_range(0.03..0.15);
                    img.fill_rect(x, y, x + gw, y + glyph, ink);
                }
                x += gw + glyph * rng.gen_range(0.2..1.2);
            }
            y += glyph * 1.8;
        }
    }
    // Cables and edges: thick lines.
    for _ in 0..rng.gen_range(2..6) {
        let (ax, ay) = (rng.gen_range(0.0..wf), rng.gen_range(0.0..hf));
        let (bx, by) = (rng.gen_range(0.0..wf), rng.gen_range(0.0..hf));
        let t = rng.gen_range(2.0..9.0);
        let v: f32 = rng.gen_range(0.02..0.8);
        let (dx, dy) = (bx - ax, by - ay);
        let len2 = (dx * dx + dy * dy).max(1.0);
        img.fill_with(
            (
                ax.min(bx) - t,
                ay.min(by) - t,
                ax.max(bx) + t,
                ay.max(by) + t,
            ),
            v,
            |x, y| {
                let u = ((x - ax) * dx + (y - ay) * dy) / len2;
                let (px, py) = (ax + u * dx, ay + u * dy);
                (0.0..=1.0).contains(&u) && (x - px).powi(2) + (y - py).powi(2) < t * t
            },
        );
    }
    // A few black-and-white patterns that excite a finder: nested squares, checkers, stripes.
    for _ in 0..rng.gen_range(1..4) {
        let (cx, cy) = (rng.gen_range(0.0..wf), rng.gen_range(0.0..hf));
        let u = rng.gen_range(2.0..10.0);
        let kind = rng.gen_range(0..3);
        let (lo, hi): (f32, f32) = (rng.gen_range(0.03..0.15), rng.gen_range(0.6..0.9));
        let r = u * 7.0;
        img.fill_with((cx - r, cy - r, cx + r, cy + r), hi, |_, _| true);
        img.fill_with((cx - r, cy - r, cx + r, cy + r), lo, |x, y| {
            let (i, j) = (((x - cx + r) / u) as i64, ((y - cy + r) / u) as i64);
            match kind {
                0 => {
                    let d = (i - 7).abs().max((j - 7).abs());
                    d % 2 == 0 || d <= 1
                }
                1 => (i + j) % 2 == 0,
                _ => i % 3 == 0,
            }
        });
    }
    img
}

/// Light falling on the scene: a smooth gradient, a soft shadow edge and vignetting; values
/// from 1/`unevenness` to 1 (before vignetting).
fn illumination(w: usize, h: usize, unevenness: f64, rng: &mut StdRng) -> Vec<f32> {
    let a: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let (ga, gb) = (a.cos(), a.sin());
    let sa: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
    let (sx, sy) = (sa.cos(), sa.sin());
    let s_off = rng.gen_range(-0.3..0.3);
    let s_soft = rng.gen_range(0.05..0.25);
    let s_share = rng.gen_range(0.0..0.6);
    let vig = rng.gen_range(0.1..0.35);
    let (wf, hf) = (w as f64, h as f64);
    let low = 1.0 / unevenness;
    let mut out = vec![0f32; w * h];
    // The shadow's logistic edge 1 / (1 + e^(−(nx sx + ny sy − off) / soft)), with the
    // exponential split into a column and a row factor.
    let ex: Vec<f64> = (0..w)
        .map(|x| (-((x as f64 / wf) - 0.5) * sx / s_soft).exp())
        .collect();
    let ey: Vec<f64> = (0..h)
        .map(|y| ((s_off - ((y as f64 / hf) - 0.5) * sy) / s_soft).exp())
        .collect();
    for y in 0..h {
        for x in 0..w {
            let (nx, ny) = ((x as f64 / wf) - 0.5, (y as f64 / hf) - 0.5);
            let grad = 0.5 + (nx * ga + ny * gb) * 0.9; // 0..1 roughly
            let sh = 1.0 / (1.0 + ex[x] * ey[y]);
            let t = ((1.0 - s_share) * grad + s_share * sh).clamp(0.0, 1.0);
            let l = low + (1.0 - low) * t;
            let r2 = nx * nx + ny * ny * (hf / wf).powi(2);
            out[y * w + x] = (l * (1.0 - vig * r2 * 2.5)) as f32;
        }
    }
    out
}

/// Separable Gaussian blur in place.
fn gaussian_blur(img: &mut Lin, sigma: f64) {
    if sigma < 0.2 {
        return;
    }
    let r = (sigma * 3.0).ceil() as i64;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let (w, h) = (img.w as i64, img.h as i64);
    let mut tmp = vec![0f32; img.px.len()];
    for y in 0..h {
        let row = &img.px[(y * w) as usize..((y + 1) * w) as usize];
        for x in 0..w {
            let mut acc = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let xx = (x + i as i64 - r).clamp(0, w - 1);
                acc += kv * row[xx as usize];
            }
            tmp[(y * w + x) as usize] = acc;
        }
    }
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for (i, kv) in k.iter().enumerate() {
                let yy = (y + i as i64 - r).clamp(0, h - 1);
                acc += kv * tmp[(yy * w + x) as usize];
            }
            img.px[(y * w + x) as usize] = acc;
        }
    }
}

/// Disc (defocus) blur of radius `r` pixels, with row prefix sums: O(r) per pixel.
fn disc_blur(img: &mut Lin, r: f64) {
    if r < 0.5 {
        return;
    }
    let (w, h) = (img.w, img.h);
    let mut pre = vec![0f32; (w + 1) * h];
    for y in 0..h {
        let mut acc = 0.0;
        for x in 0..w {
            acc += img.px[y * w + x];
            pre[y * (w + 1) + x + 1] = acc;
        }
    }
    let ri = r.floor() as i64;
    let spans: Vec<(i64, i64)> = (-ri..=ri)
        .map(|dy| {
            (
                dy,
                (r * r - (dy * dy) as f64).max(0.0).sqrt().round() as i64,
            )
        })
        .collect();
    let area: f32 = spans.iter().map(|(_, s)| (2 * s + 1) as f32).sum();
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            let mut acc = 0.0;
            for &(dy, s) in &spans {
                let yy = (y + dy).clamp(0, h as i64 - 1) as usize;
                let a = (x - s).clamp(0, w as i64) as usize;
                let b = (x + s + 1).clamp(0, w as i64) as usize;
                // Outside the frame the edge pixel repeats.
                let inside = pre[yy * (w + 1) + b] - pre[yy * (w + 1) + a];
                let missing = (2 * s + 1) as usize - (b - a);
                let edge = if x - s < 0 {
                    img.px[yy * w]
                } else {
                    img.px[yy * w + w - 1]
                };
                acc += inside + missing as f32 * edge;
            }
            img.px[(y as usize) * w + x as usize] = acc / area;
        }
    }
}

/// Line (motion) blur of `len` pixels in direction `dir`, sampled every half pixel.
fn motion_blur(img: &mut Lin, len: f64, dir: f64) {
    if len < 1.0 {
        return;
    }
    let n = (len * 2.0).ceil() as i64;
    let (dx, dy) = (dir.cos() * len / n as f64, dir.sin() * len / n as f64);
    let offs: Vec<(i64, i64)> = (0..=n)
        .map(|i| {
            let t = i as f64 - n as f64 / 2.0;
            ((t * dx).round() as i64, (t * dy).round() as i64)
        })
        .collect();
    let (w, h) = (img.w as i64, img.h as i64);
    let src = img.px.clone();
    let inv = 1.0 / offs.len() as f32;
    for y in 0..h {
        for x in 0..w {
            let mut acc = 0.0;
            for &(ox, oy) in &offs {
                let xx = (x + ox).clamp(0, w - 1);
                let yy = (y + oy).clamp(0, h - 1);
                acc += src[(yy * w + xx) as usize];
            }
            img.px[(y * w + x) as usize] = acc * inv;
        }
    }
}

/// The geometry of one placed phone: plane (module) coordinates ↔ image pixels.
pub struct Placement {
    /// Image → plane.
    inv: M3,
    /// Plane → image.
    fwd: M3,
    /// Pixels per module at the code's centre, along the module grid (geometric mean).
    pub module_px: f64,
    /// The code's four corners (quiet zone excluded) in the image.
    pub corners: [(f64, f64); 4],
}

impl Placement {
    fn to_plane(&self, x: f64, y: f64) -> (f64, f64) {
        let m = &self.inv;
        let wv = m[2][0] * x + m[2][1] * y + m[2][2];
        (
            (m[0][0] * x + m[0][1] * y + m[0][2]) / wv,
            (m[1][0] * x + m[1][1] * y + m[1][2]) / wv,
        )
    }

    fn to_image(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.fwd;
        let wv = m[2][0] * u + m[2][1] * v + m[2][2];
        (
            (m[0][0] * u + m[0][1] * v + m[0][2]) / wv,
            (m[1][0] * u + m[1][1] * v + m[1][2]) / wv,
        )
    }
}

/// Pinhole projection of the screen plane: plane coordinates in modules with the code's
/// quiet-zone square at [0, side]², rolled, tilted and placed so that face-on it would span
/// `p.scale` of the short side.
fn place(side: f64, qr_width: f64, w: u32, h: u32, p: &Params) -> Placement {
    let (wf, hf) = (f64::from(w), f64::from(h));
    let f = 1.55 * wf / 2.0; // ~65° horizontal field of view
    let (cx, cy) = (wf / 2.0, hf / 2.0);
    // Distance (in module units) at which the code spans scale × short side face-on.
    let z = f * side / (p.scale * wf.min(hf));
    let target = (cx + p.offset.0 * wf, cy + p.offset.1 * hf);
    let (tx, ty) = ((target.0 - cx) * z / f, (target.1 - cy) * z / f);
    let r = mul(&rot_z(p.roll), &rot_axis(p.tilt_axis, p.tilt));
    // X_cam = R · (u − side/2, v − side/2, 0) + (tx, ty, z); image = K · X_cam.
    let c = side / 2.0;
    let t = [
        tx - r[0][0] * c - r[0][1] * c,
        ty - r[1][0] * c - r[1][1] * c,
        z - r[2][0] * c - r[2][1] * c,
    ];
    let e: M3 = [
        [r[0][0], r[0][1], t[0]],
        [r[1][0], r[1][1], t[1]],
        [r[2][0], r[2][1], t[2]],
    ];
    let k: M3 = [[f, 0.0, cx], [0.0, f, cy], [0.0, 0.0, 1.0]];
    let fwd = mul(&k, &e);
    let inv = invert(&fwd);
    let mut pl = Placement {
        inv,
        fwd,
        module_px: 0.0,
        corners: [(0.0, 0.0); 4],
    };
    let (a, b) = (pl.to_image(c - 0.5, c), pl.to_image(c + 0.5, c));
    let (d, e2) = (pl.to_image(c, c - 0.5), pl.to_image(c, c + 0.5));
    let lx = ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
    let ly = ((d.0 - e2.0).powi(2) + (d.1 - e2.1).powi(2)).sqrt();
    pl.module_px = (lx * ly).sqrt();
    let (q0, q1) = (4.0, 4.0 + qr_width);
    pl.corners = [
        pl.to_image(q0, q0),
        pl.to_image(q1, q0),
        pl.to_image(q1, q1),
        pl.to_image(q0, q1),
    ];
    pl
}

/// What the phone looks like in plane coordinates (modules, the code's quiet-zone square at
/// [0, side]²): `None` outside the phone, else (is screen, screen value 0..1 or body).
fn phone_at(m: Option<&QrMatrix>, side: f64, u: f64, v: f64) -> Option<(bool, f32)> {
    // Screen: the quiet zone plus a white app margin, wider at top and bottom; body: a bezel.
    let (sx0, sx1, sy0, sy1) = (-2.0, side + 2.0, -9.0, side + 12.0);
    let bezel = 2.5;
    if u < sx0 - bezel || u > sx1 + bezel || v < sy0 - bezel || v > sy1 + bezel {
        return None;
    }
    if u < sx0 || u > sx1 || v < sy0 || v > sy1 {
        return Some((false, 0.0));
    }
    if (0.0..side).contains(&u) && (0.0..side).contains(&v) {
        let dark = m.is_some_and(|m| m.is_dark(u.floor() as i64 - 4, v.floor() as i64 - 4));
        return Some((true, if dark { 0.0 } else { 1.0 }));
    }
    // App UI: a title bar and two text lines above, a button below.
    let ui = (v > -7.5 && v < -6.0 && u > 3.0 && u < side * 0.7)
        || (v > -4.5 && v < -3.5 && u > 3.0 && u < side - 3.0 && (u * 0.7).fract() < 0.8)
        || (v > side + 4.0 && v < side + 8.0 && u > side * 0.25 && u < side * 0.75);
    Some((true, if ui { 0.15 } else { 1.0 }))
}

/// Renders a `w`×`h` frame of the code of `m` per `p`.
pub fn frame(m: &QrMatrix, w: u32, h: u32, p: &Params, rng: &mut StdRng) -> GrayImage {
    render(Some(m), w, h, p, rng)
}

/// A frame of the same kind of scene with no code in it (the phone shows an empty screen).
pub fn frame_without_code(w: u32, h: u32, p: &Params, rng: &mut StdRng) -> GrayImage {
    render(None, w, h, p, rng)
}

fn render(m: Option<&QrMatrix>, w: u32, h: u32, p: &Params, rng: &mut StdRng) -> GrayImage {
    let (wu, hu) = (w as usize, h as usize);
    // Without a code the screen is blank where a meet code (49 modules) would be.
    let qr_width = f64::from(m.map_or(49, |m| m.width));
    let side = qr_width + 8.0;
    let pl = place(side, qr_width, w, h, p);
    let mut scene = clutter(wu, hu, rng);
    let light = illumination(wu, hu, p.unevenness, rng);
    for (s, l) in scene.px.iter_mut().zip(&light) {
        *s *= *l;
    }
    // A white module (screen light plus the veil its glass reflects) is as bright as a white
    // sheet in the same light, or up to 1.6 times that. With emission e and veil v, a white
    // module is e + v, a black one v, and the contrast c = e / (e + 2 v).
    let total = f64::from(rng.gen_range(0.9f32..1.6));
    let c = p.contrast.clamp(0.02, 0.98);
    let veil0 = (total * (1.0 - c) / (1.0 + c)) as f32;
    let white = (total as f32) - veil0;
    let (ccx, ccy) = pl.to_image(side / 2.0, side / 2.0);
    let centre_light = light
        [(ccy.clamp(0.0, h as f64 - 1.0) as usize) * wu + ccx.clamp(0.0, w as f64 - 1.0) as usize]
        .max(0.05);
    let body: f32 = rng.gen_range(0.03..0.12);
    // Glare spot: centre in plane coordinates, on the code.
    let (gu, gv) = (
        rng.gen_range(0.15..0.85) * side,
        rng.gen_range(0.15..0.85) * side,
    );
    let g_stretch = rng.gen_range(1.0..2.5);
    let g_angle: f64 = rng.gen_range(0.0..std::f64::consts::PI);
    let (gs, gc) = g_angle.sin_cos();
    let g_r = p.glare_radius * side;
    let moire_phase: (f64, f64) = (rng.gen_range(0.0..1.0), rng.gen_range(0.0..1.0));
    // The phone's bounding box in the image.
    let out = [
        (-6.0, -13.0),
        (side + 6.0, -13.0),
        (side + 6.0, side + 16.0),
        (-6.0, side + 16.0),
    ]
    .map(|(u, v)| pl.to_image(u, v));
    let bx0 = out.iter().map(|q| q.0).fold(f64::MAX, f64::min).max(0.0) as usize;
    let bx1 = (out
        .iter()
        .map(|q| q.0)
        .fold(f64::MIN, f64::max)
        .ceil()
        .max(0.0) as usize)
        .min(wu);
    let by0 = out.iter().map(|q| q.1).fold(f64::MAX, f64::min).max(0.0) as usize;
    let by1 = (out
        .iter()
        .map(|q| q.1)
        .fold(f64::MIN, f64::max)
        .ceil()
        .max(0.0) as usize)
        .min(hu);
    const SUB: [f64; 3] = [1.0 / 6.0, 0.5, 5.0 / 6.0];
    for y in by0..by1 {
        for x in bx0..bx1 {
            let bg = scene.px[y * wu + x];
            let l = light[y * wu + x];
            let veil = veil0 * l / centre_light;
            let mut acc = 0f32;
            for sy in SUB {
                for sx in SUB {
                    let (u, v) = pl.to_plane(x as f64 + sx, y as f64 + sy);
                    acc += match phone_at(m, side, u, v) {
                        None => bg,
                        Some((false, _)) => body * l,
                        Some((true, s)) => {
                            let mut e = white * s;
                            if p.moire_px > 0.0 {
                                // Each screen pixel: R, G, B stripes (luma 0.21, 0.72, 0.07)
                                // and a dark gap between rows.
                                let su = u * p.moire_px + moire_phase.0;
                                let sv = v * p.moire_px + moire_phase.1;
                                let sub = su.fract() * 3.0;
                                let luma = if sub < 1.0 {
                                    0.63
                                } else if sub < 2.0 {
                                    2.16
                                } else {
                                    0.21
                                };
                                let gap = if sv.fract() > 0.75 { 0.0 } else { 1.0 };
                                let k = (luma * gap) as f32;
                                e *= 1.0 - p.moire_depth as f32 + p.moire_depth as f32 * k;
                            }
                            let mut g = 0.0;
                            if p.glare > 0.0 {
                                let (du, dv) = (u - gu, v - gv);
                                let a = (du * gc + dv * gs) / (g_r * g_stretch);
                                let b = (-du * gs + dv * gc) / g_r;
                                g = p.glare * total * (-(a * a + b * b) / 2.0).exp();
                            }
                            e + veil + g as f32
                        }
                    };
                }
            }
            scene.px[y * wu + x] = acc / 9.0;
        }
    }
    // Optics.
    gaussian_blur(&mut scene, p.lens_px);
    disc_blur(&mut scene, p.defocus * pl.module_px);
    motion_blur(&mut scene, p.motion * pl.module_px, p.motion_dir);
    // Auto-exposure: the mean maps to the target grey (in linear light), then clip.
    let mean: f64 = scene.px.iter().map(|&v| f64::from(v)).sum::<f64>() / scene.px.len() as f64;
    let gain = ((p.mean_grey / 255.0).powf(2.2) / mean.max(1e-6)) as f32;
    // A table of 4096 Gaussian samples indexed by random numbers: white noise at any scale
    // that matters here, and cheap in unoptimised tests.
    let table: Vec<f32> = (0..4096).map(|_| gauss(rng) as f32).collect();
    // sRGB-like gamma through a table (65 536 steps: under 1.5 grey levels at the dark end).
    let gamma: Vec<f32> = (0..=65_535)
        .map(|i| 255.0 * (i as f32 / 65_535.0).powf(1.0 / 2.2))
        .collect();
    let mut img = GrayImage::new(w, h);
    let noise = p.noise as f32;
    for (o4, v4) in img.chunks_mut(4).zip(scene.px.chunks(4)) {
        let r: u64 = rng.r#gen();
        for (i, (o, &v)) in o4.iter_mut().zip(v4).enumerate() {
            let lin = (v * gain).clamp(0.0, 1.0);
            let g = gamma[(lin * 65_535.0) as usize];
            // Read noise plus shot noise (grows with the square root of the signal).
            let sigma = noise * (0.5 + 0.5 * (lin * 4.0).sqrt().min(1.5));
            let n = table[((r >> (i * 12)) & 4095) as usize] * sigma;
            *o = (g + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    if p.jpeg > 0 {
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, p.jpeg)
            .encode_image(&img)
            .unwrap();
        img = image::load_from_memory(&buf).unwrap().into_luma8();
    }
    img
}

/// The frames of one class, in order (deterministic).
pub fn class_frames(m: &QrMatrix, class: Class) -> impl Iterator<Item = (Params, GrayImage)> + '_ {
    let mut rng = StdRng::seed_from_u64(class.seed());
    (0..PER_CLASS).map(move |_| {
        let p = Params::random(class, &mut rng);
        let img = frame(m, W, H, &p, &mut rng);
        (p, img)
    })
}

/// Frames with no code: the same scenes and cameras, the phone showing an empty screen.
pub fn no_code_frames(n: usize, seed: u64) -> impl Iterator<Item = GrayImage> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n).map(move |i| {
        let class = Class::ALL[i % Class::ALL.len()];
        let p = Params::random(class, &mut rng);
        frame_without_code(W, H, &p, &mut rng)
    })
}
