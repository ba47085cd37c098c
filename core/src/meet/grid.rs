//! Module-level (grid) reading: once the finder and the sampler have placed the symbol's grid
//! in the frame, read the grey value of every module from the frame itself and decide dark or
//! light per module against its neighbours *in the grid*, instead of trusting the pixel-level
//! binariser's verdict at the module centre.
//!
//! A pixel binariser decides from a window of pixels around each pixel; near a glare spot, a
//! dim screen under bright reflections or a steep light gradient that window straddles light
//! levels that have nothing to do with the module. In the grid, a module's neighbours are
//! modules of the same code at nearly the same light, half of them dark: the two clusters of
//! a 7×7-module window give a threshold that follows the light module by module.

use rxing::common::BitMatrix;
use rxing::qrcode::common::Version;
use rxing::qrcode::cpp_port::decoder::Decode;

use super::detect::Gray;

/// A point in module coordinates and the pixel point it lies at.
pub(crate) type Pair = ((f64, f64), (f64, f64));

/// A plane projective map from module coordinates (0..dim on both axes, module `(x, y)`
/// covering `[x, x + 1) × [y, y + 1)`) to pixel coordinates (pixel `i` covering `[i, i + 1)`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Homography {
    m: [f64; 9],
}

impl Homography {
    /// The map taking the symbol's corners (module (0,0), (dim,0), (dim,dim), (0,dim)) to the
    /// pixel points `tl, tr, br, bl` (Heckbert's square-to-quadrilateral). `None` when the
    /// quadrilateral is degenerate.
    pub(crate) fn from_corners(dim: u32, q: [(f64, f64); 4]) -> Option<Self> {
        let [(x0, y0), (x1, y1), (x2, y2), (x3, y3)] = q;
        let (dx3, dy3) = (x0 - x1 + x2 - x3, y0 - y1 + y2 - y3);
        let (dx1, dx2, dy1, dy2) = (x1 - x2, x3 - x2, y1 - y2, y3 - y2);
        let den = dx1 * dy2 - dx2 * dy1;
        if den.abs() < 1e-12 || dim == 0 {
            return None;
        }
        let g = (dx3 * dy2 - dx2 * dy3) / den;
        let h = (dx1 * dy3 - dx3 * dy1) / den;
        let d = f64::from(dim);
        let m = [
            (x1 - x0 + g * x1) / d,
            (x3 - x0 + h * x3) / d,
            x0,
            (y1 - y0 + g * y1) / d,
            (y3 - y0 + h * y3) / d,
            y0,
            g / d,
            h / d,
            1.0,
        ];
        m.iter().all(|v| v.is_finite()).then_some(Self { m })
    }

    /// The affine map taking module points `src[i]` to pixel points `dst[i]` (three pairs).
    pub(crate) fn affine(src: [(f64, f64); 3], dst: [(f64, f64); 3]) -> Option<Self> {
        // Solve for (a, b, c) with a·u + b·v + c = x, and the same for y.
        let [(u0, v0), (u1, v1), (u2, v2)] = src;
        let det = u0 * (v1 - v2) - v0 * (u1 - u2) + (u1 * v2 - u2 * v1);
        if det.abs() < 1e-9 {
            return None;
        }
        let solve = |r0: f64, r1: f64, r2: f64| {
            let a = (r0 * (v1 - v2) - v0 * (r1 - r2) + (r1 * v2 - r2 * v1)) / det;
            let b = (u0 * (r1 - r2) - r0 * (u1 - u2) + (u1 * r2 - u2 * r1)) / det;
            let c = (u0 * (v1 * r2 - v2 * r1) - v0 * (u1 * r2 - u2 * r1)
                + r0 * (u1 * v2 - u2 * v1))
                / det;
            (a, b, c)
        };
        let (a, b, c) = solve(dst[0].0, dst[1].0, dst[2].0);
        let (d, e, f) = solve(dst[0].1, dst[1].1, dst[2].1);
        let m = [a, b, c, d, e, f, 0.0, 0.0, 1.0];
        m.iter().all(|v| v.is_finite()).then_some(Self { m })
    }

    /// The least-squares homography through at least four pairs (module point, pixel point),
    /// coordinates normalised for conditioning. `None` when the points are degenerate.
    pub(crate) fn fit(pairs: &[Pair]) -> Option<Self> {
        let n = pairs.len();
        if n < 4 {
            return None;
        }
        let norm = |pts: &mut dyn Iterator<Item = (f64, f64)>| {
            let v: Vec<(f64, f64)> = pts.collect();
            let (cx, cy) = v.iter().fold((0.0, 0.0), |a, p| (a.0 + p.0, a.1 + p.1));
            let (cx, cy) = (cx / n as f64, cy / n as f64);
            let s = v
                .iter()
                .map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt())
                .sum::<f64>()
                / n as f64;
            (cx, cy, if s > 1e-9 { 1.0 / s } else { 1.0 })
        };
        let (mx, my, ms) = norm(&mut pairs.iter().map(|p| p.0));
        let (px, py, ps) = norm(&mut pairs.iter().map(|p| p.1));
        // Normal equations of the 2n × 8 DLT system (h8 = 1).
        let mut a = [[0.0f64; 9]; 8];
        for &((u, v), (x, y)) in pairs {
            let (u, v) = ((u - mx) * ms, (v - my) * ms);
            let (x, y) = ((x - px) * ps, (y - py) * ps);
            for row in [
                [u, v, 1.0, 0.0, 0.0, 0.0, -u * x, -v * x, x],
                [0.0, 0.0, 0.0, u, v, 1.0, -u * y, -v * y, y],
            ] {
                for i in 0..8 {
                    for j in 0..9 {
                        a[i][j] += row[i] * row[j];
                    }
                }
            }
        }
        // Gaussian elimination with partial pivoting.
        for c in 0..8 {
            let p = (c..8).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
            if a[p][c].abs() < 1e-12 {
                return None;
            }
            a.swap(c, p);
            let pivot = a[c];
            for (r, row) in a.iter_mut().enumerate() {
                if r != c {
                    let f = row[c] / pivot[c];
                    for (x, p) in row.iter_mut().zip(pivot).skip(c) {
                        *x -= f * p;
                    }
                }
            }
        }
        let h: Vec<f64> = (0..8).map(|i| a[i][8] / a[i][i]).collect();
        // Undo the normalisations: H = Tp⁻¹ · Hn · Tm.
        let hn = [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0];
        let tm = [ms, 0.0, -mx * ms, 0.0, ms, -my * ms, 0.0, 0.0, 1.0];
        let tp_inv = [1.0 / ps, 0.0, px, 0.0, 1.0 / ps, py, 0.0, 0.0, 1.0];
        let mul = |a: [f64; 9], b: [f64; 9]| {
            let mut o = [0.0; 9];
            for i in 0..3 {
                for j in 0..3 {
                    o[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
                }
            }
            o
        };
        let m = mul(tp_inv, mul(hn, tm));
        m.iter().all(|v| v.is_finite()).then_some(Self { m })
    }

    /// Pixel coordinates of the point at module coordinates `(u, v)`.
    pub(crate) fn map(&self, u: f64, v: f64) -> (f64, f64) {
        let m = &self.m;
        let w = m[6] * u + m[7] * v + m[8];
        (
            (m[0] * u + m[1] * v + m[2]) / w,
            (m[3] * u + m[4] * v + m[5]) / w,
        )
    }
}

/// Grey value at pixel coordinates `(x, y)` (pixel `i` covers `[i, i + 1)`), bilinear; `None`
/// outside the frame.
fn bilinear(g: Gray<'_>, x: f64, y: f64) -> Option<f32> {
    let (x, y) = (x - 0.5, y - 0.5);
    if !(x >= 0.0 && y >= 0.0) {
        return None;
    }
    let (x0, y0) = (x as usize, y as usize);
    if x0 + 1 >= g.w || y0 + 1 >= g.h {
        return None;
    }
    let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let i = y0 * g.w + x0;
    let p = |k: usize| f32::from(g.px[k]);
    let top = p(i) + (p(i + 1) - p(i)) * fx;
    let bot = p(i + g.w) + (p(i + g.w + 1) - p(i + g.w)) * fx;
    Some(top + (bot - top) * fy)
}

/// The grey value of every module (row-major, `dim × dim`): the mean of 3×3 points at ±0.22
/// module around its centre. `None` when part of the grid lies outside the frame.
pub(crate) fn sample(g: Gray<'_>, h: &Homography, dim: u32) -> Option<Vec<f32>> {
    const OFF: [f64; 3] = [-0.22, 0.0, 0.22];
    let mut out = Vec::with_capacity((dim * dim) as usize);
    for y in 0..dim {
        for x in 0..dim {
            let mut sum = 0.0;
            for dy in OFF {
                for dx in OFF {
                    let (px, py) = h.map(f64::from(x) + 0.5 + dx, f64::from(y) + 0.5 + dy);
                    sum += bilinear(g, px, py)?;
                }
            }
            out.push(sum / 9.0);
        }
    }
    Some(out)
}

/// Two-cluster (isodata) threshold of `v`: the midpoint of the means of the values below and
/// above it, iterated from the mean; with the two means.
fn isodata(v: &[f32]) -> (f32, f32, f32) {
    let mut t = v.iter().sum::<f32>() / v.len().max(1) as f32;
    let (mut dark, mut light) = (t, t);
    for _ in 0..4 {
        let (mut sl, mut nl, mut sh, mut nh) = (0.0, 0u32, 0.0, 0u32);
        for &x in v {
            if x < t {
                sl += x;
                nl += 1;
            } else {
                sh += x;
                nh += 1;
            }
        }
        let lo = if nl > 0 { sl / nl as f32 } else { t };
        let hi = if nh > 0 { sh / nh as f32 } else { t };
        let nt = (lo + hi) / 2.0;
        let done = (nt - t).abs() < 0.25;
        (t, dark, light) = (nt, lo, hi);
        if done {
            break;
        }
    }
    (t, dark, light)
}

/// Grey levels between the two clusters of a window below which the window is taken as flat
/// (clipped by glare, or no code at all): its modules are unknown.
const MIN_CONTRAST: f32 = 6.0;

/// Thresholds each module against the two-cluster split of the `(2r+1)²` modules around it:
/// dark (true) or light, and how sure, row-major. The confidence is the module's distance from
/// its threshold against half the code's typical contrast (the median over all windows), so a
/// region where glare or a halo squeezed the contrast is unsure even where its modules split
/// cleanly; a flat window (clipped white, or no code) gives 0.
pub(crate) fn threshold_local(vals: &[f32], dim: u32, r: u32) -> (Vec<bool>, Vec<f32>) {
    let d = dim as usize;
    let r = r as usize;
    let mut dark = vec![false; d * d];
    let mut dist = vec![0f32; d * d];
    let mut contrast = vec![0f32; d * d];
    let mut win = Vec::with_capacity((2 * r + 1) * (2 * r + 1));
    for y in 0..d {
        let (y0, y1) = (y.saturating_sub(r), (y + r + 1).min(d));
        for x in 0..d {
            let (x0, x1) = (x.saturating_sub(r), (x + r + 1).min(d));
            win.clear();
            for row in vals[y0 * d..y1 * d].chunks_exact(d) {
                win.extend_from_slice(&row[x0..x1]);
            }
            let (t, lo, hi) = isodata(&win);
            let v = vals[y * d + x];
            dark[y * d + x] = v < t;
            dist[y * d + x] = (v - t).abs();
            contrast[y * d + x] = hi - lo;
        }
    }
    let mut sorted = contrast.clone();
    sorted.sort_by(f32::total_cmp);
    let typical = sorted
        .get(sorted.len() / 2)
        .copied()
        .unwrap_or(0.0)
        .max(MIN_CONTRAST);
    let conf = dist
        .iter()
        .zip(&contrast)
        .map(|(&e, &c)| {
            if c < MIN_CONTRAST {
                0.0
            } else {
                (e * 2.0 / typical).min(1.0)
            }
        })
        .collect();
    (dark, conf)
}

/// The verdicts as a bit matrix for the decoder.
pub(crate) fn to_bits(dark: &[bool], dim: u32) -> Option<BitMatrix> {
    let mut bits = BitMatrix::new(dim, dim).ok()?;
    for (i, _) in dark.iter().enumerate().filter(|(_, d)| **d) {
        bits.set(i as u32 % dim, i as u32 / dim);
    }
    Some(bits)
}

/// A finder-pattern candidate in full-resolution pixels: its centre and its side (≈ 7
/// modules).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Finder {
    pub x: f64,
    pub y: f64,
    pub size: f64,
}

/// Grey value at the centre of module `(u, v)` (fractional modules allowed).
fn at(g: Gray<'_>, h: &Homography, u: f64, v: f64) -> Option<f32> {
    let (x, y) = h.map(u + 0.5, v + 0.5);
    bilinear(g, x, y)
}

/// How well the grid's two timing patterns alternate: the share of neighbouring timing
/// modules whose grey values step the right way (dark at even positions). Needs no threshold,
/// so it holds under a light gradient; about 0.5 on anything that is not a code. `None` as
/// soon as the score can no longer reach `min` (most wrong placements stop after a quarter
/// of the steps).
fn timing_score_over(g: Gray<'_>, h: &Homography, dim: u32, min: f32) -> Option<f32> {
    let steps = 2 * dim.saturating_sub(17);
    // Wrong steps allowed before `min` is out of reach.
    let allowed = ((1.0 - min) * steps as f32).floor() as u32;
    let (mut good, mut n) = (0u32, 0u32);
    for k in 8..dim.saturating_sub(9) {
        let dark_first = k % 2 == 0;
        let k = f64::from(k);
        for (a, b) in [
            (at(g, h, k, 6.0)?, at(g, h, k + 1.0, 6.0)?),
            (at(g, h, 6.0, k)?, at(g, h, 6.0, k + 1.0)?),
        ] {
            good += u32::from((a < b) == dark_first);
            n += 1;
            if n - good > allowed {
                return None;
            }
        }
    }
    (n > 0).then(|| good as f32 / n as f32)
}

/// How much an alignment pattern (dark centre, light ring, dark ring) centred at module
/// `(cu, cv)` stands out: light mean minus dark mean over their spreads.
fn alignment_score(g: Gray<'_>, h: &Homography, cu: f64, cv: f64) -> Option<f32> {
    let (mut d, mut l) = (Vec::with_capacity(17), Vec::with_capacity(8));
    for j in -2i32..=2 {
        for i in -2i32..=2 {
            let v = at(g, h, cu + f64::from(i), cv + f64::from(j))?;
            if i.abs().max(j.abs()) == 1 {
                l.push(v);
            } else {
                d.push(v);
            }
        }
    }
    let stats = |v: &[f32]| {
        let m = v.iter().sum::<f32>() / v.len() as f32;
        let sd = (v.iter().map(|x| (x - m) * (x - m)).sum::<f32>() / v.len() as f32).sqrt();
        (m, sd)
    };
    let ((md, sd), (ml, sl)) = (stats(&d), stats(&l));
    (ml - md > 4.0).then(|| (ml - md) / (sd + sl + 2.0))
}

/// Finds the alignment pattern expected at module `(au, av)` within ±2 modules of where `h`
/// puts it; its pixel centre.
fn locate_alignment(g: Gray<'_>, h: &Homography, au: f64, av: f64) -> Option<(f64, f64)> {
    let mut best: Option<(f32, f64, f64)> = None;
    for step in [0.5, 0.25] {
        let (cu, cv) = best.map_or((au, av), |b| (b.1, b.2));
        let span = if step > 0.3 { 4 } else { 1 };
        for j in -span..=span {
            for i in -span..=span {
                let (u, v) = (cu + f64::from(i) * step, cv + f64::from(j) * step);
                if let Some(s) = alignment_score(g, h, u, v)
                    && best.is_none_or(|b| s > b.0)
                {
                    best = Some((s, u, v));
                }
            }
        }
    }
    let (s, u, v) = best?;
    (s >= 1.5).then(|| h.map(u + 0.5, v + 0.5))
}

/// Reads a grid: grey values, module-level thresholds, the decoder (which checks Reed–Solomon);
/// then the same verdicts with their confidences, unsure codewords erased
/// ([`super::soft`]).
pub(crate) fn read(g: Gray<'_>, h: &Homography, dim: u32) -> Option<String> {
    let vals = sample(g, h, dim)?;
    let mut soft = Vec::with_capacity(2);
    for r in [3, 2] {
        let (dark, conf) = threshold_local(&vals, dim, r);
        let bits = to_bits(&dark, dim)?;
        if let Ok(res) = Decode(&bits)
            && res.isValid()
        {
            return Some(res.text());
        }
        soft.push((bits, dark, conf));
    }
    read_soft(&soft[0], &soft[1], dim)
}

/// The erasure decode of a grid from its verdicts at two window sizes: a module the two
/// windows disagree on is unknown, otherwise as sure as the less sure of the two.
fn read_soft(
    a: &(BitMatrix, Vec<bool>, Vec<f32>),
    b: &(BitMatrix, Vec<bool>, Vec<f32>),
    dim: u32,
) -> Option<String> {
    let conf: Vec<f32> = (a.1.iter().zip(&b.1))
        .zip(a.2.iter().zip(&b.2))
        .map(|((da, db), (ca, cb))| if da == db { ca.min(*cb) } else { 0.0 })
        .collect();
    [&b.0, &a.0]
        .into_iter()
        .find_map(|bits| super::soft::decode(&super::soft::codewords(bits, &conf, dim)?))
}

/// The placement of the estimated corner (`pts[est]`) within ±3 modules of where it was put
/// (perspective and the finders' measured sizes put it off by a module or two) whose timing
/// patterns alternate best: the placement as estimated if it reaches [`MIN_TIMING`], a moved
/// one if it scores higher and reaches [`MIN_TIMING_MOVED`]. Only symbols of version 5 and
/// up (40 timing steps or more) are searched: on a version-1 or -2 grid (8 or 16 steps) the
/// best of 49 placements over stripes or a checkerboard alternates perfectly.
fn best_placement(
    g: Gray<'_>,
    h0: Homography,
    pts: [(f64, f64); 3],
    est: usize,
    dim: u32,
) -> Option<Placement> {
    let far = f64::from(dim) - 3.5;
    let src = [(3.5, 3.5), (far, 3.5), (3.5, far)];
    let o = h0.map(0.0, 0.0);
    let du = (h0.map(1.0, 0.0).0 - o.0, h0.map(1.0, 0.0).1 - o.1);
    let dv = (h0.map(0.0, 1.0).0 - o.0, h0.map(0.0, 1.0).1 - o.1);
    let mut best: Option<Placement> =
        timing_score_over(g, &h0, dim, MIN_TIMING).map(|s| (s, pts, h0));
    if dim < 37 {
        return best;
    }
    for j in -3i32..=3 {
        for i in -3i32..=3 {
            if i == 0 && j == 0 {
                continue;
            }
            let mut p = pts;
            let (fi, fj) = (f64::from(i), f64::from(j));
            p[est] = (
                pts[est].0 + fi * du.0 + fj * dv.0,
                pts[est].1 + fi * du.1 + fj * dv.1,
            );
            let Some(h) = Homography::affine(src, p) else {
                continue;
            };
            let min = best
                .as_ref()
                .map_or(MIN_TIMING_MOVED, |b| b.0.max(MIN_TIMING_MOVED));
            if let Some(s) = timing_score_over(g, &h, dim, min)
                && best.as_ref().is_none_or(|b| s > b.0)
            {
                best = Some((s, p, h));
            }
        }
    }
    best
}

/// A completed finder triple: its timing score, the three finder centres, the grid.
type Placement = (f32, [(f64, f64); 3], Homography);

/// Timing score from which a completed placement is read (clutter scores about 0.5).
const MIN_TIMING: f32 = 0.75;

/// The same for a placement found by moving the estimated corner: the best of 49 tries on
/// clutter scores higher than one try, so it must score higher too (measured on the corpus's
/// frames without a code: their searched placements stay below 0.8).
const MIN_TIMING_MOVED: f32 = 0.8;

/// Most finder pairs [`recover`] tries.
const MAX_PAIRS: usize = 16;

/// A code of which only two finder patterns were found (glare or a clipped screen wipes out
/// the third): for each pair of similar candidates, every placement of the missing one
/// (the pair as a diagonal, or as a side, either way round), the symbol sizes near the one
/// their distance suggests; a placement whose timing patterns alternate is refined on the
/// alignment patterns it can find and read from the grey values.
pub(crate) fn recover(g: Gray<'_>, finders: &[Finder]) -> Option<String> {
    let mut pairs = Vec::new();
    for (i, a) in finders.iter().enumerate() {
        for b in &finders[i + 1..] {
            let ratio = a.size.max(b.size) / a.size.min(b.size).max(1.0);
            let d = ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt();
            let ms = (a.size + b.size) / 14.0;
            // Between a version-1 side (14 modules) and a version-10 diagonal (~70).
            if ratio < 1.5 && ms >= 1.0 && d / ms >= 12.0 && d / ms <= 75.0 {
                pairs.push((ratio, *a, *b));
            }
        }
    }
    pairs.sort_by(|p, q| p.0.total_cmp(&q.0));
    for &(_, a, b) in pairs.iter().take(MAX_PAIRS) {
        let ms = (a.size + b.size) / 14.0;
        let (pa, pb) = ((a.x, a.y), (b.x, b.y));
        let (mx, my) = ((a.x + b.x) / 2.0, (a.y + b.y) / 2.0);
        let (rx, ry) = (a.x - mx, a.y - my);
        let (dx, dy) = (b.x - a.x, b.y - a.y);
        // (tl, tr, bl) placements; `real` says which two are measured.
        let mut triples: Vec<([(f64, f64); 3], usize)> = Vec::with_capacity(6);
        for s in [1.0, -1.0] {
            let tl = (mx - s * ry, my + s * rx);
            triples.push(([tl, pa, pb], 0));
        }
        for (p, q, d) in [(pa, pb, (dx, dy)), (pb, pa, (-dx, -dy))] {
            triples.push(([p, q, (p.0 - d.1, p.1 + d.0)], 2));
            triples.push(([p, (p.0 + d.1, p.1 - d.0), q], 1));
        }
        for ([tl, mut tr, mut bl], mut est) in triples {
            // Clockwise tl → tr → bl in image coordinates (y down).
            let cross = (tr.0 - tl.0) * (bl.1 - tl.1) - (tr.1 - tl.1) * (bl.0 - tl.0);
            if cross < 0.0 {
                std::mem::swap(&mut tr, &mut bl);
                est = match est {
                    1 => 2,
                    2 => 1,
                    e => e,
                };
            }
            let side = ((tr.0 - tl.0).powi(2) + (tr.1 - tl.1).powi(2)).sqrt() / ms + 7.0;
            let v0 = ((side - 17.0) / 4.0).round() as i32;
            for v in [v0, v0 - 1, v0 + 1] {
                if !(1..=10).contains(&v) {
                    continue;
                }
                let dim = 17 + 4 * v as u32;
                let far = f64::from(dim) - 3.5;
                let src = [(3.5, 3.5), (far, 3.5), (3.5, far)];
                let Some(h0) = Homography::affine(src, [tl, tr, bl]) else {
                    continue;
                };
                let Some((score, pts, h0)) = best_placement(g, h0, [tl, tr, bl], est, dim) else {
                    continue;
                };
                if score < MIN_TIMING {
                    continue;
                }
                let [tl, tr, bl] = pts;
                let mut corr = vec![((3.5, 3.5), tl), ((far, 3.5), tr), ((3.5, far), bl)];
                if let Ok(ver) = Version::getVersionForNumber(v as u32) {
                    let ap = ver.getAlignmentPatternCenters();
                    let (first, last) = (ap.first().copied(), ap.last().copied());
                    for &ay in ap {
                        for &ax in ap {
                            let corner = (Some(ax) == first || Some(ax) == last)
                                && (Some(ay) == first || Some(ay) == last)
                                && !(Some(ax) == last && Some(ay) == last);
                            if corner {
                                continue;
                            }
                            if let Some(p) = locate_alignment(g, &h0, f64::from(ax), f64::from(ay))
                            {
                                corr.push(((f64::from(ax) + 0.5, f64::from(ay) + 0.5), p));
                            }
                        }
                    }
                }
                let h = Homography::fit(&corr).unwrap_or(h0);
                if let Some(t) = read(g, &h, dim).or_else(|| read(g, &h0, dim)) {
                    return Some(t);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meet::{QrMatrix, RenderOptions};

    const TEXT: &str = "FPM1:GRIDTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567GRIDTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567GRIDTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const PX: u32 = 6;
    const QZ: u32 = 4;

    /// The code drawn at 6 px per module, then a light gradient and a low contrast applied:
    /// (image, modules per side).
    fn dim_code(gradient: bool) -> (Vec<u8>, usize, u32) {
        let m = QrMatrix::encode(TEXT).unwrap();
        let img = m
            .to_luma(&RenderOptions {
                module_px: PX,
                quiet_zone: QZ,
            })
            .unwrap();
        let w = img.width() as usize;
        let px = img
            .as_raw()
            .iter()
            .enumerate()
            .map(|(i, &p)| {
                let x = (i % w) as f32 / w as f32;
                let light = if gradient { 60.0 + 150.0 * x } else { 200.0 };
                // 20 % contrast: dark modules at 0.8 of the light.
                (light * if p < 128 { 0.8 } else { 1.0 }) as u8
            })
            .collect();
        (px, w, m.width)
    }

    fn gray(px: &[u8], w: usize) -> Gray<'_> {
        Gray {
            w,
            h: px.len() / w,
            px,
        }
    }

    /// Pixel position of the point at module coordinates `(u, v)` of the drawn code.
    fn centre(u: f64, v: f64) -> (f64, f64) {
        let q = f64::from(QZ * PX);
        (q + u * f64::from(PX), q + v * f64::from(PX))
    }

    #[test]
    fn homographies_map_their_points() {
        let q = [(10.0, 20.0), (300.0, 35.0), (280.0, 310.0), (5.0, 290.0)];
        let h = Homography::from_corners(49, q).unwrap();
        for ((u, v), p) in [(0.0, 0.0), (49.0, 0.0), (49.0, 49.0), (0.0, 49.0)]
            .into_iter()
            .zip(q)
        {
            let (x, y) = h.map(u, v);
            assert!((x - p.0).abs() < 1e-6 && (y - p.1).abs() < 1e-6, "{u},{v}");
        }
        // A least-squares fit through points of `h` (plus exact ones) gives back `h`.
        let pts: Vec<_> = [
            (3.5, 3.5),
            (45.5, 3.5),
            (3.5, 45.5),
            (42.5, 42.5),
            (24.5, 24.5),
        ]
        .into_iter()
        .map(|(u, v)| ((u, v), h.map(u, v)))
        .collect();
        let f = Homography::fit(&pts).unwrap();
        for (u, v) in [(0.0, 0.0), (49.0, 49.0), (10.0, 30.0)] {
            let (a, b) = (h.map(u, v), f.map(u, v));
            assert!((a.0 - b.0).abs() < 1e-6 && (a.1 - b.1).abs() < 1e-6);
        }
        let a = Homography::affine(
            [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)],
            [(5.0, 5.0), (7.0, 5.0), (5.0, 8.0)],
        )
        .unwrap();
        assert_eq!(a.map(1.0, 1.0), (7.0, 8.0));
        // Degenerate input: no map, no panic.
        assert!(Homography::from_corners(49, [(1.0, 1.0); 4]).is_none());
        assert!(Homography::fit(&[((0.0, 0.0), (1.0, 1.0)); 5]).is_none());
        assert!(Homography::affine([(0.0, 0.0); 3], [(1.0, 1.0); 3]).is_none());
    }

    #[test]
    fn the_grid_reads_a_dim_code_under_a_steep_gradient() {
        let (px, w, dim) = dim_code(true);
        let g = gray(&px, w);
        let corners = [
            centre(0.0, 0.0),
            centre(f64::from(dim), 0.0),
            centre(f64::from(dim), f64::from(dim)),
            centre(0.0, f64::from(dim)),
        ];
        let h = Homography::from_corners(dim, corners).unwrap();
        assert_eq!(read(g, &h, dim).as_deref(), Some(TEXT));
        // A grid placed a third of the symbol off reads nothing (and makes nothing up).
        let off = corners.map(|(x, y)| (x + f64::from(dim * PX) / 3.0, y));
        let h = Homography::from_corners(dim, off).unwrap();
        assert_eq!(read(g, &h, dim), None);
        // A grid partly outside the frame is refused.
        let out = corners.map(|(x, y)| (x - 100.0, y));
        assert!(sample(g, &Homography::from_corners(dim, out).unwrap(), dim).is_none());
    }

    #[test]
    fn two_finder_patterns_are_enough_when_glare_hides_the_third() {
        for gradient in [false, true] {
            let (mut px, w, dim) = dim_code(gradient);
            let (tl, tr, bl) = (
                centre(3.5, 3.5),
                centre(f64::from(dim) - 3.5, 3.5),
                centre(3.5, f64::from(dim) - 3.5),
            );
            // Glare: the top-left finder and its surroundings clip to white.
            for (i, p) in px.iter_mut().enumerate() {
                let (x, y) = ((i % w) as f64, (i / w) as f64);
                if (x - tl.0).powi(2) + (y - tl.1).powi(2) < (5.0 * f64::from(PX)).powi(2) {
                    *p = 255;
                }
            }
            let size = 7.0 * f64::from(PX);
            let f = |(x, y): (f64, f64)| Finder { x, y, size };
            let g = gray(&px, w);
            // Either pair order, with a clutter candidate among them.
            let clutter = Finder {
                x: 5.0,
                y: 5.0,
                size,
            };
            assert_eq!(recover(g, &[f(tr), clutter, f(bl)]).as_deref(), Some(TEXT));
            assert_eq!(recover(g, &[f(bl), f(tr)]).as_deref(), Some(TEXT));
            // Two finders of the code's side (top-right, top-left) work too.
            let (px2, _, _) = dim_code(gradient);
            let g2 = gray(&px2, w);
            assert_eq!(recover(g2, &[f(tl), f(tr)]).as_deref(), Some(TEXT));
        }
    }

    #[test]
    fn recovery_reads_nothing_from_noise_or_nonsense() {
        let mut state = 0x1234_5678u32;
        let px: Vec<u8> = (0..640 * 480)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        let g = gray(&px, 640);
        let f = |x, y, size| Finder { x, y, size };
        let finders = [
            f(100.0, 100.0, 40.0),
            f(350.0, 110.0, 42.0),
            f(110.0, 360.0, 38.0),
            f(300.0, 300.0, 40.0),
            f(-5000.0, 1e9, 40.0),
            f(f64::NAN, 3.0, f64::INFINITY),
            f(1.0, 1.0, 0.0),
        ];
        assert_eq!(recover(g, &finders), None);
        // A frame smaller than any code.
        let tiny = [0u8; 4];
        assert_eq!(recover(gray(&tiny, 2), &finders), None);
    }
}
