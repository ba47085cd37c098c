//! Finding and reading a QR code in a grayscale frame: our pre-processing passes over `rxing`'s
//! port of zxing-cpp's QR finder, grid sampler and decoder.
//!
//! A pass turns the frame into a bit matrix (a binariser, at full or reduced resolution); the
//! finder then looks for finder-pattern triples in it and the decoder reads the first grid that
//! passes Reed–Solomon. Which passes run, in which order, is the strategy of
//! [`super::scan::ScanEffort`] (measured in docs/MEET.md).

use rxing::common::{BitMatrix, DetectorRXingResult, HybridBinarizer};
use rxing::qrcode::cpp_port::decoder::Decode;
use rxing::qrcode::cpp_port::detector::{
    FindFinderPatterns, FinderPatternSet, GenerateFinderPatternSets, SampleQR,
};
use rxing::{Binarizer, Luma8Source};

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
}

/// Most finder-pattern triples sampled per pass: the plausible ones come first, and a cluttered
/// frame can offer hundreds.
const MAX_SETS: usize = 24;

/// Reads the first QR code in `bits`; `None` when no triple samples into a valid symbol.
fn read_bits(bits: &BitMatrix, try_harder: bool) -> Option<String> {
    let mut patterns = FindFinderPatterns(bits, try_harder, 0);
    if patterns.len() < 3 {
        return None;
    }
    let sets = GenerateFinderPatternSets(&mut patterns);
    read_sets(bits, &sets)
}

fn read_sets(bits: &BitMatrix, sets: &[FinderPatternSet]) -> Option<String> {
    for set in sets.iter().take(MAX_SETS) {
        let Ok(det) = SampleQR(bits, set) else {
            continue;
        };
        if let Ok(res) = Decode(det.getBits())
            && res.isValid()
        {
            return Some(res.text());
        }
    }
    None
}

/// The image averaged down by `f` in each direction (the last partial row and column dropped).
pub(crate) fn downscale(g: Gray<'_>, f: usize) -> (Vec<u8>, usize, usize) {
    let (w, h) = (g.w / f, g.h / f);
    let mut out = vec![0u8; w * h];
    let div = (f * f) as u32;
    let half = div / 2;
    let mut acc = vec![0u32; w];
    for oy in 0..h {
        acc.fill(0);
        for row in g.px.chunks_exact(g.w).skip(oy * f).take(f) {
            for (a, chunk) in acc.iter_mut().zip(row.chunks_exact(f)) {
                *a += chunk.iter().map(|&p| u32::from(p)).sum::<u32>();
            }
        }
        for (o, a) in out[oy * w..(oy + 1) * w].iter_mut().zip(&acc) {
            *o = ((a + half) / div) as u8;
        }
    }
    (out, w, h)
}

/// rxing's hybrid binariser.
fn hybrid(g: Gray<'_>) -> Option<BitMatrix> {
    let source = Luma8Source::new_with_slice(g.px, g.w as u32, g.h as u32).ok()?;
    HybridBinarizer::new(source).get_black_matrix().ok().cloned()
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
    for y in 0..h {
        let y0 = y.saturating_sub(radius);
        let y1 = (y + radius + 1).min(h);
        let rows = (y1 - y0) as u32;
        let (top, bot) = (&sat[y0 * sw..(y0 + 1) * sw], &sat[y1 * sw..(y1 + 1) * sw]);
        let row = &g.px[y * w..(y + 1) * w];
        for x in 0..w {
            let x0 = x.saturating_sub(radius);
            let x1 = (x + radius + 1).min(w);
            let sum = bot[x1] + top[x0] - bot[x0] - top[x1];
            let n = rows * (x1 - x0) as u32;
            // p + floor < sum / n, in integers.
            if (u32::from(row[x]) + floor) * n < sum {
                bits.set(x as u32, y as u32);
            }
        }
    }
    Some(bits)
}

/// Runs one pass over the frame.
pub(crate) fn run_pass(g: Gray<'_>, pass: Pass, try_harder: bool) -> Option<String> {
    let down = |f: u8| -> Option<(Vec<u8>, usize, usize)> {
        let f = usize::from(f.max(1));
        (f > 1 && g.w / f >= 21 && g.h / f >= 21).then(|| downscale(g, f))
    };
    match pass {
        Pass::Hybrid => read_bits(&hybrid(g)?, try_harder),
        Pass::HybridDown(f) => {
            let (px, w, h) = down(f)?;
            read_bits(&hybrid(Gray { w, h, px: &px })?, try_harder)
        }
        Pass::LocalMean {
            down: f,
            radius,
            floor,
        } => {
            let bits = if f > 1 {
                let (px, w, h) = down(f)?;
                local_mean(Gray { w, h, px: &px }, usize::from(radius), floor)?
            } else {
                local_mean(g, usize::from(radius), floor)?
            };
            read_bits(&bits, try_harder)
        }
    }
}
