//! Reading a placed grid with erasures: every module comes with a confidence (how far its grey
//! value lies from its local threshold, relative to the local contrast; zero where the light
//! clipped the code flat), codewords made of unsure modules are declared erased, and each
//! Reed–Solomon block is decoded with errors and erasures ([`super::rs`]).
//!
//! The format information (its own BCH code), the version's function patterns, the mask
//! formulas, the block structure and the bit-stream parser are rxing's; the codeword placement
//! and the de-interleaving are written here because they must carry each codeword's
//! confidence along (both checked against rxing in the tests).

use rxing::common::BitMatrix;
use rxing::qrcode::common::{ErrorCorrectionLevel, Version, VersionRef};
use rxing::qrcode::cpp_port::decoder::DecodeBitStream;
use rxing::qrcode::decoder::{BitMatrixParser, DataMask};

use super::rs;

/// Syndromes every erasure decode leaves unused as a check (see [`rs::decode`]): a random word
/// passes three of them with probability 256⁻³ ≈ 6·10⁻⁸ (more syndromes left, with room for an
/// error or two, are safer still), about the odds of plain errors-only decoding at its bound.
const SLACK: usize = 3;

/// The symbol's codewords in QR order (data and check codewords of all blocks interleaved),
/// unmasked, each with the lowest confidence of its eight modules plus an eighth of their mean
/// (so that among codewords with one unknown module, the ones with more unsure modules rank
/// first). `None` when the matrix is
/// not a QR symbol the format information can be read from.
pub(crate) struct Codewords {
    pub version: VersionRef,
    pub ec: ErrorCorrectionLevel,
    pub bytes: Vec<u8>,
    pub conf: Vec<f32>,
}

/// Reads the codewords of a `dim × dim` grid of module verdicts (`dark`, row-major) with their
/// confidences (`conf`, same layout).
pub(crate) fn codewords(bits: &BitMatrix, conf: &[f32], dim: u32) -> Option<Codewords> {
    if conf.len() != (dim as usize) * (dim as usize) {
        return None;
    }
    let version = Version::getProvisionalVersionForDimension(dim).ok()?;
    let mut parser = BitMatrixParser::new(bits.clone()).ok()?;
    let format = parser.readFormatInformation().ok()?;
    let ec = format.getErrorCorrectionLevel();
    let mask = DataMask::try_from(format.getDataMask()).ok()?;
    let function = version.buildFunctionPattern().ok()?;
    if function.width() != dim {
        return None;
    }
    let total = version.getTotalCodewords() as usize;
    let mut bytes = Vec::with_capacity(total);
    let mut confs = Vec::with_capacity(total);
    let (mut cur, mut lowest, mut sum, mut n) = (0u8, f32::INFINITY, 0f32, 0);
    let mut up = true;
    let mut x = dim as i64 - 1;
    while x > 0 {
        if x == 6 {
            // The vertical timing pattern's column is skipped whole.
            x -= 1;
        }
        for count in 0..dim {
            let y = if up { dim - 1 - count } else { count };
            for col in 0..2 {
                let xx = (x - col) as u32;
                if function.get(xx, y) {
                    continue;
                }
                let dark = bits.get(xx, y) ^ mask.isMasked(y, xx);
                cur = (cur << 1) | u8::from(dark);
                let c = conf[(y * dim + xx) as usize];
                lowest = lowest.min(c);
                sum += c;
                n += 1;
                if n == 8 {
                    if bytes.len() < total {
                        bytes.push(cur);
                        confs.push(lowest + sum / 64.0);
                    }
                    (cur, lowest, sum, n) = (0, f32::INFINITY, 0.0, 0);
                }
            }
        }
        up = !up;
        x -= 2;
    }
    (bytes.len() == total).then_some(Codewords {
        version,
        ec,
        bytes,
        conf: confs,
    })
}

/// For each block (in QR order): its number of data codewords and the indices, into the
/// interleaved codeword sequence, of its data then check codewords.
pub(crate) fn block_layout(
    version: VersionRef,
    ec: ErrorCorrectionLevel,
) -> Vec<(usize, Vec<usize>)> {
    let ecb = version.getECBlocksForLevel(ec);
    let per_ec = ecb.getECCodewordsPerBlock() as usize;
    let data: Vec<usize> = ecb
        .getECBlocks()
        .iter()
        .flat_map(|b| std::iter::repeat_n(b.getDataCodewords() as usize, b.getCount() as usize))
        .collect();
    let mut blocks: Vec<(usize, Vec<usize>)> = data
        .iter()
        .map(|&d| (d, Vec::with_capacity(d + per_ec)))
        .collect();
    let mut next = 0usize;
    // Data codewords: round-robin over the blocks, the longer ones taking one more at the end.
    for i in 0..data.iter().copied().max().unwrap_or(0) {
        for (d, idx) in &mut blocks {
            if i < *d {
                idx.push(next);
                next += 1;
            }
        }
    }
    // Check codewords: round-robin.
    for _ in 0..per_ec {
        for (_, idx) in &mut blocks {
            idx.push(next);
            next += 1;
        }
    }
    blocks
}

/// Repairs each block with the least confident codewords erased (none, then more and more,
/// while the block's check codewords allow), parses the data and returns the text. Nothing
/// that fails Reed–Solomon or the bit-stream parser is returned.
pub(crate) fn decode(cw: &Codewords) -> Option<String> {
    let layout = block_layout(cw.version, cw.ec);
    let total: usize = layout.iter().map(|(_, idx)| idx.len()).sum();
    if total != cw.bytes.len() || layout.is_empty() {
        return None;
    }
    let mut data = Vec::with_capacity(total);
    for (ndata, idx) in &layout {
        let ec = idx.len().checked_sub(*ndata)?;
        let block: Vec<u8> = idx.iter().map(|&i| cw.bytes[i]).collect();
        let mut order: Vec<usize> = (0..idx.len()).collect();
        order.sort_by(|&a, &b| cw.conf[idx[a]].total_cmp(&cw.conf[idx[b]]));
        let mut fixed = None;
        let max_erase = ec.saturating_sub(SLACK);
        let mut k = 0;
        while k <= max_erase {
            let mut b = block.clone();
            let slack = if k == 0 { 0 } else { SLACK };
            if rs::decode(&mut b, ec, &order[..k], slack).is_ok() {
                fixed = Some(b);
                break;
            }
            k += 1;
        }
        data.extend_from_slice(&fixed?[..*ndata]);
    }
    let res = DecodeBitStream(&data, cw.version, cw.ec).ok()?;
    (res.isValid() && !res.text().is_empty()).then(|| res.text())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meet::QrMatrix;
    use rxing::qrcode::decoder::DataBlock;

    const TEXT: &str = "FPM1:SOFTTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567SOFTTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567SOFTTEST0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    fn matrix(text: &str) -> (BitMatrix, u32) {
        let m = QrMatrix::encode(text).unwrap();
        let dim = m.width;
        let mut bits = BitMatrix::new(dim, dim).unwrap();
        for y in 0..dim {
            for x in 0..dim {
                if m.is_dark(i64::from(x), i64::from(y)) {
                    bits.set(x, y);
                }
            }
        }
        (bits, dim)
    }

    #[test]
    fn placement_and_blocks_match_rxing() {
        for text in [TEXT, "FPR1:SHORT", &TEXT[..120]] {
            let (bits, dim) = matrix(text);
            let cw = codewords(&bits, &vec![1.0; (dim * dim) as usize], dim).unwrap();
            let mut p = BitMatrixParser::new(bits.clone()).unwrap();
            assert_eq!(cw.bytes, p.readCodewords().unwrap(), "{dim}");
            let theirs = DataBlock::getDataBlocks(&cw.bytes, cw.version, cw.ec).unwrap();
            let ours = block_layout(cw.version, cw.ec);
            assert_eq!(ours.len(), theirs.len());
            for ((nd, idx), t) in ours.iter().zip(&theirs) {
                assert_eq!(*nd, t.getNumDataCodewords() as usize);
                let b: Vec<u8> = idx.iter().map(|&i| cw.bytes[i]).collect();
                assert_eq!(b, t.getCodewords());
            }
            assert_eq!(decode(&cw).as_deref(), Some(text));
        }
        // Every version and level's layout covers each codeword exactly once.
        for v in 1..=40 {
            let ver = Version::getVersionForNumber(v).unwrap();
            for ec in [
                ErrorCorrectionLevel::L,
                ErrorCorrectionLevel::M,
                ErrorCorrectionLevel::Q,
                ErrorCorrectionLevel::H,
            ] {
                let mut all: Vec<usize> = block_layout(ver, ec)
                    .into_iter()
                    .flat_map(|b| b.1)
                    .collect();
                all.sort_unstable();
                assert_eq!(
                    all,
                    (0..ver.getTotalCodewords() as usize).collect::<Vec<_>>()
                );
            }
        }
    }

    /// The code with a square of modules wiped out (set light, confidence 0), as glare does.
    fn wiped(side: u32) -> (BitMatrix, Vec<f32>, u32) {
        let (mut bits, dim) = matrix(TEXT);
        let mut conf = vec![1.0f32; (dim * dim) as usize];
        let (x0, y0) = (dim / 2 - side / 2, dim / 2 - side / 2);
        for y in y0..y0 + side {
            for x in x0..x0 + side {
                bits.unset(x, y);
                conf[(y * dim + x) as usize] = 0.0;
            }
        }
        (bits, conf, dim)
    }

    #[test]
    fn erasures_read_a_code_plain_decoding_cannot() {
        // 18×18 modules wiped: beyond errors-only Reed–Solomon, within errors and erasures.
        let (bits, conf, dim) = wiped(18);
        assert!(!rxing::qrcode::cpp_port::decoder::Decode(&bits).is_ok_and(|r| r.isValid()));
        let cw = codewords(&bits, &conf, dim).unwrap();
        assert_eq!(decode(&cw).as_deref(), Some(TEXT));
        // Without the confidences the same grid is not read.
        let blind = codewords(&bits, &vec![1.0; conf.len()], dim).unwrap();
        assert_eq!(decode(&blind), None);
        // Too much wiped: nothing read, nothing made up.
        let (bits, conf, dim) = wiped(30);
        assert_eq!(decode(&codewords(&bits, &conf, dim).unwrap()), None);
    }

    #[test]
    fn noise_grids_read_nothing() {
        let mut state = 0x9e37_79b9u32;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let (code, dim) = matrix(TEXT);
        let mut formats = 0;
        for _ in 0..300 {
            // The code's function patterns and format (so the parser gets that far), random
            // data modules of random confidence.
            let function = Version::getProvisionalVersionForDimension(dim)
                .unwrap()
                .buildFunctionPattern()
                .unwrap();
            let mut bits = code.clone();
            let mut conf = vec![1.0f32; (dim * dim) as usize];
            for y in 0..dim {
                for x in 0..dim {
                    if !function.get(x, y) {
                        if next() & 1 == 1 {
                            bits.set(x, y);
                        } else {
                            bits.unset(x, y);
                        }
                        conf[(y * dim + x) as usize] = (next() % 100) as f32 / 100.0;
                    }
                }
            }
            if let Some(cw) = codewords(&bits, &conf, dim) {
                formats += 1;
                assert_eq!(decode(&cw), None);
            }
        }
        assert!(formats > 0);
        // Wrong sizes are refused.
        assert!(codewords(&code, &[1.0; 4], dim).is_none());
    }
}
