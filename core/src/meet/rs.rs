//! Errors-and-erasures Reed–Solomon decoding over GF(256) with QR's field (primitive
//! polynomial 0x11D) and generator (roots α⁰ … α^(r−1)).
//!
//! rxing's decoder corrects errors only: a block with `r` check codewords repairs `r/2` wrong
//! codewords wherever they are. When the reader knows *which* codewords are unreliable (a
//! glare spot clips a region of the code to white), it can declare them erased: a block then
//! repairs `e` errors and `f` erasures as long as `2e + f ≤ r` — up to twice as many codewords.
//!
//! Syndromes, the erasure locator, Berlekamp–Massey started from it (so the erasures are
//! folded into the errata locator), Chien search, Forney. Every result is checked by
//! recomputing the syndromes; any input (lengths, positions) fails cleanly, never panics.

/// exp[i] = α^i for i in 0..510 (doubled so products need no reduction mod 255); log[α^i] = i.
struct Tables {
    exp: [u8; 512],
    log: [u8; 256],
}

const fn tables() -> Tables {
    let mut exp = [0u8; 512];
    let mut log = [0u8; 256];
    let mut x: u16 = 1;
    let mut i = 0;
    while i < 255 {
        exp[i] = x as u8;
        log[x as usize] = i as u8;
        x <<= 1;
        if x & 0x100 != 0 {
            x ^= 0x11D;
        }
        i += 1;
    }
    while i < 512 {
        exp[i] = exp[i - 255];
        i += 1;
    }
    Tables { exp, log }
}

static GF: Tables = tables();

fn mul(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        GF.exp[usize::from(GF.log[usize::from(a)]) + usize::from(GF.log[usize::from(b)])]
    }
}

/// a / b; `b` must be non-zero (callers check), 0 otherwise.
fn div(a: u8, b: u8) -> u8 {
    if a == 0 || b == 0 {
        0
    } else {
        GF.exp[usize::from(GF.log[usize::from(a)]) + 255 - usize::from(GF.log[usize::from(b)])]
    }
}

/// α^e for any e ≥ 0.
fn pow_alpha(e: usize) -> u8 {
    GF.exp[e % 255]
}

/// p(x) with coefficients in ascending powers.
fn eval(p: &[u8], x: u8) -> u8 {
    p.iter().rev().fold(0, |acc, &c| mul(acc, x) ^ c)
}

/// Why a block could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RsError {
    /// Block longer than 255, no check codewords, or more check codewords than the block.
    Shape,
    /// An erasure position outside the block.
    Position,
    /// More errata than the check codewords can repair (`2e + f > r`), or the locator's roots
    /// do not match it: the block is beyond repair.
    TooMany,
}

/// Decodes `block` (data then `ec` check codewords, as QR stores a block: first byte = highest
/// power) in place, treating the codewords at `erasures` (indices into `block`) as unknown.
/// Returns the number of codewords changed. On error `block` is unchanged.
///
/// `slack`: how many of the `r` syndromes must remain unused by the correction
/// (`2e + f ≤ r − slack`). Each unused syndrome is a check a random word passes with
/// probability 1/256, so a slack of a few keeps a heavily erased block from "decoding" noise.
pub(crate) fn decode(
    block: &mut [u8],
    ec: usize,
    erasures: &[usize],
    slack: usize,
) -> Result<usize, RsError> {
    let n = block.len();
    if n > 255 || ec == 0 || ec > n {
        return Err(RsError::Shape);
    }
    let mut er: Vec<usize> = erasures.to_vec();
    er.sort_unstable();
    er.dedup();
    if er.iter().any(|&i| i >= n) {
        return Err(RsError::Position);
    }
    let f = er.len();
    if f + slack > ec {
        return Err(RsError::TooMany);
    }
    // Index i holds the coefficient of x^(n−1−i); its locator is α^(n−1−i).
    let loc = |i: usize| pow_alpha(n - 1 - i);
    // Syndromes S_j = r(α^j).
    let synd: Vec<u8> = (0..ec).map(|j| eval_block(block, pow_alpha(j))).collect();
    if synd.iter().all(|&s| s == 0) {
        return Ok(0);
    }
    // Erasure locator Γ(x) = Π (1 − X_i x).
    let mut gamma = vec![1u8];
    for &i in &er {
        let x = loc(i);
        let mut next = vec![0u8; gamma.len() + 1];
        for (k, &c) in gamma.iter().enumerate() {
            next[k] ^= c;
            next[k + 1] ^= mul(c, x);
        }
        gamma = next;
    }
    // Berlekamp–Massey from Γ: C is the errata locator, L its length.
    let mut c = gamma.clone();
    let mut b = gamma;
    let mut l = f;
    let mut m = 1usize;
    let mut bd = 1u8;
    for k in f..ec {
        let mut d = synd[k];
        for i in 1..=l.min(k) {
            d ^= mul(c.get(i).copied().unwrap_or(0), synd[k - i]);
        }
        if d == 0 {
            m += 1;
            continue;
        }
        let coef = div(d, bd);
        let mut next = c.clone();
        if next.len() < b.len() + m {
            next.resize(b.len() + m, 0);
        }
        for (i, &bc) in b.iter().enumerate() {
            next[i + m] ^= mul(coef, bc);
        }
        if 2 * l <= k + f {
            b = std::mem::replace(&mut c, next);
            l = k + 1 + f - l;
            bd = d;
            m = 1;
        } else {
            c = next;
            m += 1;
        }
    }
    while c.len() > 1 && c.last() == Some(&0) {
        c.pop();
    }
    let deg = c.len() - 1;
    if deg != l || l < f || 2 * (l - f) + f + slack > ec {
        return Err(RsError::TooMany);
    }
    // Chien search over the block's positions: X_i⁻¹ is a root.
    let roots: Vec<usize> = (0..n)
        .filter(|&i| eval(&c, pow_alpha(255 - (n - 1 - i) % 255)) == 0)
        .collect();
    if roots.len() != deg {
        return Err(RsError::TooMany);
    }
    // Errata evaluator Ω(x) = S(x) Λ(x) mod x^r, Forney: Y = X Ω(X⁻¹) / Λ'(X⁻¹).
    let mut omega = vec![0u8; ec];
    for (i, &ci) in c.iter().enumerate() {
        for (j, &s) in synd.iter().enumerate() {
            if i + j < ec {
                omega[i + j] ^= mul(ci, s);
            }
        }
    }
    let deriv: Vec<u8> = c
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, &ci)| if i % 2 == 1 { ci } else { 0 })
        .collect();
    let mut fixed = block.to_vec();
    let mut changed = 0;
    for &i in &roots {
        let x = loc(i);
        let xinv = div(1, x);
        let den = eval(&deriv, xinv);
        if den == 0 {
            return Err(RsError::TooMany);
        }
        let y = mul(x, div(eval(&omega, xinv), den));
        if y != 0 {
            changed += 1;
        }
        fixed[i] ^= y;
    }
    if (0..ec).any(|j| eval_block(&fixed, pow_alpha(j)) != 0) {
        return Err(RsError::TooMany);
    }
    block.copy_from_slice(&fixed);
    Ok(changed)
}

/// The block as a polynomial (first byte = highest power) at `x`.
fn eval_block(block: &[u8], x: u8) -> u8 {
    block.iter().fold(0, |acc, &c| mul(acc, x) ^ c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rxing::common::reedsolomon::{PredefinedGenericGF, ReedSolomonDecoder, ReedSolomonEncoder};

    /// A random codeword of `n` codewords with `ec` check codewords, encoded by rxing.
    fn codeword(rng: &mut StdRng, n: usize, ec: usize) -> Vec<u8> {
        let mut v: Vec<i32> = (0..n)
            .map(|i| {
                if i < n - ec {
                    rng.gen_range(0..=255u8).into()
                } else {
                    0
                }
            })
            .collect();
        let mut enc = ReedSolomonEncoder::new(PredefinedGenericGF::QrCodeField256.into()).unwrap();
        enc.encode(&mut v, ec).unwrap();
        v.into_iter().map(|x| x as u8).collect()
    }

    /// `count` distinct positions below `n`.
    fn positions(rng: &mut StdRng, n: usize, count: usize) -> Vec<usize> {
        let mut p: Vec<usize> = (0..n).collect();
        for i in 0..count {
            let j = rng.gen_range(i..n);
            p.swap(i, j);
        }
        p.truncate(count);
        p
    }

    #[test]
    fn field_tables_are_the_qr_field() {
        // α^8 = α^4 + α^3 + α^2 + 1 under 0x11D.
        assert_eq!(pow_alpha(8), 0x1D);
        for a in 1..=255u8 {
            assert_eq!(mul(a, div(1, a)), 1);
        }
    }

    #[test]
    fn errors_and_erasures_within_the_bound_decode_exactly() {
        let mut rng = StdRng::seed_from_u64(24);
        for round in 0..600 {
            let (n, ec) = [(60, 22), (61, 22), (26, 10), (255, 30), (45, 18)][round % 5];
            let good = codeword(&mut rng, n, ec);
            let f = rng.gen_range(0..=ec);
            let e = rng.gen_range(0..=(ec - f) / 2);
            let pos = positions(&mut rng, n, e + f);
            let mut bad = good.clone();
            for &p in &pos {
                // Erased codewords may happen to hold the right value; errors never do.
                bad[p] ^= rng.gen_range(1..=255u8);
            }
            for &p in &pos[e..] {
                if rng.gen_bool(0.2) {
                    bad[p] = good[p];
                }
            }
            let got = decode(&mut bad, ec, &pos[e..], 0);
            assert!(
                got.is_ok(),
                "round {round}: n {n} ec {ec} e {e} f {f}: {got:?}"
            );
            assert_eq!(bad, good, "round {round}");
        }
    }

    #[test]
    fn errors_only_agrees_with_rxing() {
        let mut rng = StdRng::seed_from_u64(7);
        let rx = ReedSolomonDecoder::new(PredefinedGenericGF::QrCodeField256.into());
        let mut disagree_ok = 0;
        for _ in 0..400 {
            let good = codeword(&mut rng, 60, 22);
            let e = rng.gen_range(0..=16);
            let mut bad = good.clone();
            for p in positions(&mut rng, 60, e) {
                bad[p] ^= rng.gen_range(1..=255u8);
            }
            let mut ours = bad.clone();
            let a = decode(&mut ours, 22, &[], 0);
            let mut theirs: Vec<i32> = bad.iter().map(|&x| x.into()).collect();
            let b = rx.decode(&mut theirs, 22);
            let theirs: Vec<u8> = theirs.into_iter().map(|x| x as u8).collect();
            if e <= 11 {
                assert!(a.is_ok() && b.is_ok());
                assert_eq!(ours, good);
                assert_eq!(theirs, good);
            } else {
                // Beyond the bound both fail, or (rarely) both land on the same other word.
                if a.is_ok() != b.is_ok() {
                    disagree_ok += 1;
                } else if a.is_ok() {
                    assert_eq!(ours, theirs);
                }
            }
        }
        assert_eq!(disagree_ok, 0);
    }

    #[test]
    fn beyond_the_bound_fails_cleanly_and_leaves_the_block() {
        let mut rng = StdRng::seed_from_u64(99);
        let (mut failed, mut wrong) = (0, 0);
        for _ in 0..300 {
            let good = codeword(&mut rng, 60, 22);
            let f = rng.gen_range(0..=18);
            let e = (22 - f) / 2 + 1 + rng.gen_range(0..3);
            let pos = positions(&mut rng, 60, (e + f).min(60));
            let mut bad = good.clone();
            for &p in &pos {
                bad[p] ^= rng.gen_range(1..=255u8);
            }
            let before = bad.clone();
            match decode(&mut bad, 22, &pos[e.min(pos.len())..], 4) {
                Ok(_) => {
                    assert_ne!(bad, good);
                    wrong += 1;
                }
                Err(_) => {
                    assert_eq!(bad, before);
                    failed += 1;
                }
            }
        }
        // With four syndromes held back, a miscorrection is a ~1e-9 event.
        assert_eq!(wrong, 0, "{failed} failed");
    }

    #[test]
    fn any_input_is_refused_or_decoded_without_panicking() {
        let mut rng = StdRng::seed_from_u64(3);
        assert_eq!(decode(&mut [], 0, &[], 0), Err(RsError::Shape));
        assert_eq!(decode(&mut [1, 2], 3, &[], 0), Err(RsError::Shape));
        assert_eq!(decode(&mut [0; 300], 10, &[], 0), Err(RsError::Shape));
        assert_eq!(decode(&mut [0; 30], 10, &[30], 0), Err(RsError::Position));
        assert_eq!(decode(&mut [0; 30], 10, &[1; 11], 0), Ok(0));
        assert_eq!(
            decode(&mut [1; 30], 10, &(0..11).collect::<Vec<_>>(), 0),
            Err(RsError::TooMany)
        );
        for _ in 0..3000 {
            let n = rng.gen_range(0..=256);
            let ec = rng.gen_range(0..=n.min(64) + 2);
            let mut v: Vec<u8> = (0..n).map(|_| rng.gen_range(0..=255u8)).collect();
            let er: Vec<usize> = (0..rng.gen_range(0..40))
                .map(|_| rng.gen_range(0..n + 3))
                .collect();
            let _ = decode(&mut v, ec, &er, rng.gen_range(0..4));
        }
        // All-erased and zero blocks.
        assert_eq!(
            decode(&mut [0; 22], 22, &(0..22).collect::<Vec<_>>(), 0),
            Ok(0)
        );
    }
}
