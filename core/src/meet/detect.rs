//! Finding and reading a QR code in a grayscale frame: our pre-processing passes over `rxing`'s
//! port of zxing-cpp's QR finder, grid sampler and decoder.
//!
//! A pass turns the frame into a bit matrix (a binariser, at full or reduced resolution); the
//! finder then looks for finder-pattern triples in it and the decoder reads the first grid that
//! passes Reed–Solomon. Which passes run, in which order, is the strategy of
//! [`super::scan::ScanEffort`] (measured in docs/MEET.md).

use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{FindFinderPatterns, GenerateFinderPatternSets, SampleQR};
use rxing::{Binarizer, Luma8Source};

use super::grid;

/// A packed 8-bit grayscale image.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Gray<'a> {
    pub w: usize,
    pub h: usize,
    pub px: &'a [u8],
}

/// One way to turn the frame into bits for the finder.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pass {
    /// rxing's hybrid binariser (8×8 blocks, 5×5-block averages, 24-level contrast floor) at
    /// full resolution: the decoder before issue 24.
    Hybrid,
    /// The hybrid binariser over a copy averaged down by 2 (or 3) in each direction: blur,
    /// defocus, noise, JPEG blocks and moiré shrink with the pixels.
    HybridDown(u8),
    /// Our local-mean threshold: a pixel is dark when it is below the mean of the window
    /// around it (radius in pixels) by more than `floor` grey levels; at full resolution or
    /// averaged down by the factor. Unlike the hybrid binariser it keeps contrasts far below 24
    /// levels, and its window follows uneven light.
    LocalMean { down: u8, radius: u16, floor: u8 },
    /// Our block binariser: the hybrid binariser's scheme (8×8 blocks, thresholds averaged
    /// over 5×5 blocks) with a contrast floor of `floor` grey levels instead of 24, so a dim
    /// code under bright reflections still splits into dark and light; averaged down by `down`.
    Block { down: u8, floor: u8 },
}

/// Most finder-pattern triples sampled per pass: the plausible ones come first, and a cluttered
/// frame can offer hundreds.
const MAX_SETS: usize = 24;

/// What a pass found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Found {
    /// A symbol that passed Reed–Solomon: its text.
    Text(String),
    /// No text; `patterns` finder-pattern candidates (`finders`, in full-resolution pixels),
    /// `sets` of them arranged like a code.
    Unread {
        patterns: usize,
        sets: bool,
        finders: Vec<grid::Finder>,
    },
}

/// Where the bits came from: the full-resolution frame and the factor the pass averaged it
/// down by, so a grid found in the bits can be read again from the grey values.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub full: Gray<'a>,
    pub down: f64,
}

/// The symbol grid of a sampler result, in full-resolution pixels.
fn grid_of(det: &impl DetectorRXingResult, src: Source<'_>) -> Option<(u32, grid::Homography)> {
    let dim = det.getBits().width();
    let pts = det.getPoints();
    if pts.len() < 4 {
        return None;
    }
    // rxing reports tl, tr, bl, br, each half a pixel past the corner.
    let c = |i: usize| {
        (
            (f64::from(pts[i].x) - 0.5) * src.down,
            (f64::from(pts[i].y) - 0.5) * src.down,
        )
    };
    let h = grid::Homography::from_corners(dim, [c(0), c(1), c(3), c(2)])?;
    Some((dim, h))
}

/// Reads the first QR code in `bits`.
fn read_bits(bits: &BitMatrix, try_harder: bool, src: Option<Source<'_>>) -> Found {
    let mut patterns = FindFinderPatterns(bits, try_harder, 0);
    let n = patterns.len();
    // Finder candidates in full-resolution pixels, for the pair completion.
    let finders: Vec<grid::Finder> = src.map_or_else(Vec::new, |s| {
        patterns
            .iter()
            .map(|c| grid::Finder {
                x: f64::from(c.p.x) * s.down,
                y: f64::from(c.p.y) * s.down,
                size: f64::from(c.size) * s.down,
            })
            .collect()
    });
    let unread = |sets| Found::Unread {
        patterns: n,
        sets,
        finders: finders.clone(),
    };
    if patterns.len() < 3 {
        return unread(false);
    }
    let sets = GenerateFinderPatternSets(&mut patterns);
    if sets.is_empty() {
        return unread(false);
    }
    for set in sets.iter().take(MAX_SETS) {
        let Ok(det) = SampleQR(bits, set) else {
            continue;
        };
        if let Ok(res) = Decode(det.getBits())
            && res.isValid()
        {
            return Found::Text(res.text());
        }
        if let Some(src) = src
            && let Some((dim, h)) = grid_of(&det, src)
            && let Some(t) = grid::read(src.full, &h, dim)
        {
            return Found::Text(t);
        }
    }
    unread(true)
}

/// The image averaged down by `F` in each direction (a last partial row and column dropped).
/// `F` is a constant so the inner sums unroll.
fn downscale_by<const F: usize>(g: Gray<'_>) -> (Vec<u8>, usize, usize) {
    let (w, h) = (g.w / F, g.h / F);
    let mut out = vec![0u8; w * h];
    let div = (F * F) as u32;
    let mut acc = vec![0u32; w];
    for (oy, out_row) in out.chunks_exact_mut(w.max(1)).enumerate().take(h) {
        acc.fill(0);
        for row in g.px[oy * F * g.w..].chunks_exact(g.w).take(F) {
            for (a, chunk) in acc.iter_mut().zip(row.chunks_exact(F)) {
                let mut s = 0u32;
                for &p in chunk {
                    s += u32::from(p);
                }
                *a += s;
            }
        }
        for (o, a) in out_row.iter_mut().zip(&acc) {
            *o = ((a + div / 2) / div) as u8;
        }
    }
    (out, w, h)
}

/// The frame and its averaged-down copies, each made at most once per frame.
pub(crate) struct Pyramid<'a> {
    full: Gray<'a>,
    half: std::cell::OnceCell<Option<(Vec<u8>, usize, usize)>>,
    third: std::cell::OnceCell<Option<(Vec<u8>, usize, usize)>>,
}

impl<'a> Pyramid<'a> {
    pub(crate) fn new(full: Gray<'a>) -> Self {
        Self {
            full,
            half: std::cell::OnceCell::new(),
            third: std::cell::OnceCell::new(),
        }
    }

    /// The frame averaged down by `f` (1, 2 or 3); `None` when that leaves less than a
    /// version-1 symbol's 21 pixels a side.
    fn level(&self, f: u8) -> Option<Gray<'_>> {
        let g = self.full;
        let fits = |f: usize| g.w / f >= 21 && g.h / f >= 21;
        let cell = match f {
            0 | 1 => return Some(g),
            2 => self
                .half
                .get_or_init(|| fits(2).then(|| downscale_by::<2>(g))),
            _ => self
                .third
                .get_or_init(|| fits(3).then(|| downscale_by::<3>(g))),
        };
        cell.as_ref().map(|(px, w, h)| Gray {
            w: *w,
            h: *h,
            px: px.as_slice(),
        })
    }
}

/// rxing's hybrid binariser.
fn hybrid(g: Gray<'_>) -> Option<BitMatrix> {
    let source = Luma8Source::new_with_slice(g.px, g.w as u32, g.h as u32).ok()?;
    HybridBinarizer::new(source)
        .get_black_matrix()
        .ok()
        .cloned()
}

/// Local-mean threshold with a summed-area table: dark when `p + floor < mean(window)`.
fn local_mean(g: Gray<'_>, radius: usize, floor: u8) -> Option<BitMatrix> {
    let (w, h) = (g.w, g.h);
    if w == 0 || h == 0 {
        return None;
    }
    // Summed-area table, one extra row and column of zeros. u32 holds 255 × 8192² / 64 ... the
    // frame is at most MAX_SIDE², and 255 × 2048 × 2048 < 2³². Larger inputs are downscaled
    // before they get here (scan.rs), checked again below.
    if (w as u64) * (h as u64) * 255 >= u64::from(u32::MAX) {
        return None;
    }
    let sw = w + 1;
    let mut sat = vec![0u32; sw * (h + 1)];
    for y in 0..h {
        let mut run = 0u32;
        let row = &g.px[y * w..(y + 1) * w];
        let (prev, cur) = sat.split_at_mut((y + 1) * sw);
        let prev = &prev[y * sw..];
        for x in 0..w {
            run += u32::from(row[x]);
            cur[x + 1] = prev[x + 1] + run;
        }
    }
    let mut bits = BitMatrix::new(w as u32, h as u32).ok()?;
    let floor = u32::from(floor);
    // Column sums of the window's rows, per row of the output: sat[y1] − sat[y0].
    let mut cols = vec![0u32; sw];
    for y in 0..h {
        let y0 = y.saturating_sub(radius);
        let y1 = (y + radius + 1).min(h);
        let rows = (y1 - y0) as u32;
        let (top, bot) = (&sat[y0 * sw..(y0 + 1) * sw], &sat[y1 * sw..(y1 + 1) * sw]);
        for ((c, b), t) in cols.iter_mut().zip(bot).zip(top) {
            *c = b - t;
        }
        let row = &g.px[y * w..(y + 1) * w];
        for (x, &p) in row.iter().enumerate() {
            let x0 = x.saturating_sub(radius);
            let x1 = (x + radius + 1).min(w);
            let sum = cols[x1] - cols[x0];
            let n = rows * (x1 - x0) as u32;
            // p + floor < sum / n, in integers.
            if (u32::from(p) + floor) * n < sum {
                bits.set(x as u32, y as u32);
            }
        }
    }
    Some(bits)
}

/// Block thresholds (8×8 blocks, 5×5-block average of the block black points): the scheme of
/// zxing's hybrid binariser, with the low-contrast floor as a parameter. A block whose range is
/// at most `floor` is taken as flat: light (half its minimum) unless its already-computed
/// neighbours say it lies in a darker region.
fn block(g: Gray<'_>, floor: u8) -> Option<BitMatrix> {
    const B: usize = 8;
    let (w, h) = (g.w, g.h);
    if w < 5 * B || h < 5 * B {
        return None;
    }
    let (bw, bh) = (w.div_ceil(B), h.div_ceil(B));
    let mut bp = vec![0u32; bw * bh];
    let floor = u32::from(floor);
    for by in 0..bh {
        let y0 = (by * B).min(h - B);
        for bx in 0..bw {
            let x0 = (bx * B).min(w - B);
            let (mut sum, mut lo, mut hi) = (0u32, 255u32, 0u32);
            for row in g.px[y0 * w..].chunks_exact(w).take(B) {
                for &p in &row[x0..x0 + B] {
                    let p = u32::from(p);
                    sum += p;
                    lo = lo.min(p);
                    hi = hi.max(p);
                }
            }
            let mut v = sum / (B * B) as u32;
            if hi - lo <= floor {
                v = lo / 2;
                if by > 0 && bx > 0 {
                    let n = (bp[(by - 1) * bw + bx]
                        + 2 * bp[by * bw + bx - 1]
                        + bp[(by - 1) * bw + bx - 1])
                        / 4;
                    if lo < n {
                        v = n;
                    }
                }
            }
            bp[by * bw + bx] = v;
        }
    }
    let mut bits = BitMatrix::new(w as u32, h as u32).ok()?;
    for by in 0..bh {
        let y0 = (by * B).min(h - B);
        let cy = by.clamp(2, bh - 3);
        for bx in 0..bw {
            let x0 = (bx * B).min(w - B);
            let cx = bx.clamp(2, bw - 3);
            let mut sum = 0;
            for r in bp[(cy - 2) * bw..].chunks_exact(bw).take(5) {
                sum += r[cx - 2..=cx + 2].iter().sum::<u32>();
            }
            let t = sum / 25;
            for y in y0..y0 + B {
                let row = &g.px[y * w..(y + 1) * w];
                for (x, &p) in row.iter().enumerate().skip(x0).take(B) {
                    if u32::from(p) <= t {
                        bits.set(x as u32, y as u32);
                    }
                }
            }
        }
    }
    Some(bits)
}

/// The bits of one pass, and the factor its image was averaged down by.
fn pass_bits(pyr: &Pyramid<'_>, pass: Pass) -> (u8, Option<BitMatrix>) {
    match pass {
        Pass::Hybrid => (1, pyr.level(1).and_then(hybrid)),
        Pass::HybridDown(f) => (f, pyr.level(f).and_then(hybrid)),
        Pass::LocalMean {
            down,
            radius,
            floor,
        } => (
            down,
            pyr.level(down)
                .and_then(|g| local_mean(g, usize::from(radius), floor)),
        ),
        Pass::Block { down, floor } => (down, pyr.level(down).and_then(|g| block(g, floor))),
    }
}

/// Runs one pass over the frame.
pub(crate) fn run_pass(pyr: &Pyramid<'_>, pass: Pass, try_harder: bool, grid: bool) -> Found {
    let (down, bits) = pass_bits(pyr, pass);
    let src = grid.then(|| Source {
        full: pyr.full,
        down: f64::from(down.max(1)),
    });
    match bits {
        Some(bits) => read_bits(&bits, try_harder, src),
        None => Found::Unread {
            patterns: 0,
            sets: false,
            finders: Vec::new(),
        },
    }
}

/// When the second stage of a strategy runs.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// An earlier pass found finder patterns arranged like a code, and could not read it.
    Sets,
    /// An earlier pass found at least this many finder-pattern candidates.
    Patterns(usize),
}

/// A decoding strategy: passes that always run, then passes that run only when the earlier
/// ones saw signs of a code they could not read (so a frame without a code stays cheap).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Strategy<'a> {
    pub always: &'a [Pass],
    pub if_candidates: &'a [Pass],
    pub gate: Gate,
    /// The finder scans every third row instead of a row every few modules.
    pub try_harder: bool,
    /// Grey-level grid reading ([`grid`]): a sampled grid that fails to decode is read again
    /// from the frame's grey values with module-level thresholds (then with its unsure
    /// codewords erased, [`super::soft`]), and when nothing was read, pairs of finder patterns
    /// are completed into a code (glare or a clipped screen wiping out the third).
    pub grid: bool,
}

/// Runs a strategy; the first text read wins.
pub(crate) fn run(g: Gray<'_>, s: &Strategy<'_>) -> Option<String> {
    let pyr = Pyramid::new(g);
    let mut candidates = false;
    let mut finders: Vec<grid::Finder> = Vec::new();
    let mut collect = |found: Vec<grid::Finder>| {
        for f in found {
            let near = |g: &grid::Finder| {
                (g.x - f.x).abs() < f.size / 4.0 && (g.y - f.y).abs() < f.size / 4.0
            };
            if !finders.iter().any(near) {
                finders.push(f);
            }
        }
    };
    for &p in s.always {
        match run_pass(&pyr, p, s.try_harder, s.grid) {
            Found::Text(t) => return Some(t),
            Found::Unread {
                patterns,
                sets,
                finders,
            } => {
                collect(finders);
                candidates |= match s.gate {
                    Gate::Sets => sets,
                    Gate::Patterns(n) => patterns >= n,
                };
            }
        }
    }
    if candidates {
        for &p in s.if_candidates {
            match run_pass(&pyr, p, s.try_harder, s.grid) {
                Found::Text(t) => return Some(t),
                Found::Unread { finders, .. } => collect(finders),
            }
        }
    }
    if s.grid && finders.len() >= 2 {
        return grid::recover(g, &finders);
    }
    None
}
