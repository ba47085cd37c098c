//! End-to-end tests of the meet exchange, rendering and scanning (pure, fixed clocks).

use nostr::{Event, EventId, JsonUtil, Keys, Timestamp};
use rand::SeedableRng;
use rand::rngs::StdRng;

use super::*;
use crate::protocol::NegoId;
use crate::protocol::receipt::{DealTier, MeetNonce, classify, parse_receipt};

const T0: u64 = 1_750_000_000;

struct Deal {
    owner: Keys,
    resp: Keys,
    nego: NegoId,
    intent: EventId,
}

fn deal() -> Deal {
    let owner = Keys::generate();
    let resp = Keys::generate();
    let nego = NegoId::new("00112233aabbccdd", owner.public_key(), resp.public_key()).unwrap();
    Deal {
        owner,
        resp,
        nego,
        intent: EventId::from_byte_array([0xab; 32]),
    }
}

impl Deal {
    fn ctx_for(&self, me: &Keys, peer: &Keys) -> MeetContext {
        MeetContext {
            nego: self.nego.clone(),
            my_pubkey: me.public_key(),
            peer: peer.public_key(),
            intent_id: self.intent,
        }
    }
    /// The owner shows, the responder scans.
    fn shower_ctx(&self) -> MeetContext {
        self.ctx_for(&self.owner, &self.resp)
    }
    fn scanner_ctx(&self) -> MeetContext {
        self.ctx_for(&self.resp, &self.owner)
    }
}

fn ts(t: u64) -> Timestamp {
    Timestamp::from(t)
}

fn shown(d: &Deal, at: u64) -> ShownCode {
    make_meet_code(&d.shower_ctx(), &d.owner, MeetNonce::random(), ts(at)).unwrap()
}

#[test]
fn full_exchange_offline_ends_met_with_matching_words() {
    let d = deal();
    let policy = MeetPolicy::default();
    let mut rng = StdRng::seed_from_u64(1);
    let mut session = MeetSession::new(d.shower_ctx(), policy).unwrap();
    let code = session.current(&d.owner, ts(T0), &mut rng).unwrap().clone();
    assert!(code.text.starts_with(MEET_PREFIX));
    assert_eq!(code.text.len(), token::MEET_CODE_CHARS);

    // Scanner, 5 s later on its own clock.
    let verified = verify_shower_token(&code.text, &d.scanner_ctx(), ts(T0 + 5), &policy).unwrap();
    assert_eq!(verified.event, code.half);
    assert_eq!(verified.nonce, code.nonce);
    let claimed = verified.claim(true).unwrap();
    let pair = countersign(&claimed, &d.resp, ts(T0 + 6)).unwrap();
    assert_eq!(pair.shower.id, code.half.id);
    pair.shower.verify().unwrap();
    pair.scanner.verify().unwrap();
    assert_eq!(pair.scanner.pubkey, d.resp.public_key());
    assert_eq!(pair.scanner.created_at, ts(T0 + 6));

    let shower_r = parse_receipt(&pair.shower).unwrap();
    let scanner_r = parse_receipt(&pair.scanner).unwrap();
    assert_eq!(scanner_r.meet, Some(code.nonce));
    assert_eq!(scanner_r.countersigns, Some(code.half.id));
    assert_eq!(shower_r.meet, Some(code.nonce));
    assert_eq!(shower_r.countersigns, None);
    assert_eq!(classify(&shower_r, Some(&scanner_r)), DealTier::Met);
    assert_eq!(classify(&scanner_r, Some(&shower_r)), DealTier::Met);
    // Wire shape: content carries the nonce, tags d, p, meet (+ e on the scanner's half).
    assert!(
        pair.scanner
            .as_json()
            .contains(&format!("[\"e\",\"{}\"", code.half.id.to_hex()))
    );

    // Return code back to the shower, 20 s later.
    let ret = pair.return_code().unwrap();
    assert!(ret.starts_with(RETURN_PREFIX));
    let back = session.accept_return_code(&ret, ts(T0 + 26)).unwrap();
    assert_eq!(back.shower, pair.shower);
    assert_eq!(back.scanner, pair.scanner);
    assert_eq!(back.words(), pair.words());
    assert_eq!(
        back.words(),
        short_auth_words(&pair.scanner.id, &pair.shower.id)
    );
}

#[test]
fn either_party_can_show() {
    let d = deal();
    let policy = MeetPolicy::default();
    // The responder shows, the owner scans.
    let code = make_meet_code(&d.scanner_ctx(), &d.resp, MeetNonce([3; 16]), ts(T0)).unwrap();
    let v = verify_shower_token(&code.text, &d.shower_ctx(), ts(T0), &policy).unwrap();
    let pair = countersign(&v.claim(true).unwrap(), &d.owner, ts(T0)).unwrap();
    let back = verify_return_code(
        &pair.return_code().unwrap(),
        &code.half,
        &d.scanner_ctx(),
        ts(T0 + 1),
        &policy,
    )
    .unwrap();
    assert_eq!(back.scanner, pair.scanner);
}

#[test]
fn session_rotates_every_period_and_on_clock_jumps() {
    let d = deal();
    let mut rng = StdRng::seed_from_u64(2);
    let mut s = MeetSession::new(d.shower_ctx(), MeetPolicy::default()).unwrap();
    assert_eq!(s.next_rotation_at(), None);
    let a = s.current(&d.owner, ts(T0), &mut rng).unwrap().clone();
    assert_eq!(s.next_rotation_at(), Some(ts(T0 + 20)));
    let a2 = s.current(&d.owner, ts(T0 + 19), &mut rng).unwrap().clone();
    assert_eq!(a, a2);
    let b = s.current(&d.owner, ts(T0 + 20), &mut rng).unwrap().clone();
    assert_ne!(a.nonce, b.nonce);
    assert_eq!(b.half.created_at, ts(T0 + 20));
    // The clock went backwards: a code dated in the future would be refused, so rotate.
    let c = s.current(&d.owner, ts(T0 + 10), &mut rng).unwrap().clone();
    assert_ne!(c.nonce, b.nonce);
    assert_eq!(s.shown().len(), 3);
    // Old codes are forgotten after ttl + skew + return window (60 + 30 + 600 s).
    s.current(&d.owner, ts(T0 + 2_000), &mut rng).unwrap();
    assert_eq!(s.shown().len(), 1);
    // A session refuses keys that are not its own.
    let stranger = Keys::generate();
    assert!(matches!(
        s.current(&stranger, ts(T0 + 5_000), &mut rng),
        Err(MeetError::Context { .. })
    ));
}

#[test]
fn session_memory_is_bounded() {
    let d = deal();
    let mut rng = StdRng::seed_from_u64(3);
    let policy = MeetPolicy {
        rotation_secs: 1,
        ..MeetPolicy::default()
    };
    let mut s = MeetSession::new(d.shower_ctx(), policy).unwrap();
    for i in 0..200 {
        s.current(&d.owner, ts(T0 + i), &mut rng).unwrap();
    }
    assert!(s.shown().len() <= 90);
}

#[test]
fn ttl_and_skew_boundaries() {
    let d = deal();
    let p = MeetPolicy::default();
    let code = shown(&d, T0);
    let ctx = d.scanner_ctx();
    assert!(verify_shower_token(&code.text, &ctx, ts(T0 + 60), &p).is_ok());
    assert_eq!(
        verify_shower_token(&code.text, &ctx, ts(T0 + 61), &p).unwrap_err(),
        MeetError::Expired {
            age_secs: 61,
            ttl_secs: 60
        }
    );
    let e = verify_shower_token(&code.text, &ctx, ts(T0 + 240), &p).unwrap_err();
    assert_eq!(
        e.to_string(),
        "This code expired 3 minutes ago — ask them to refresh it"
    );
    // The shower's clock is 30 s ahead: accepted; 31 s: refused.
    assert!(verify_shower_token(&code.text, &ctx, ts(T0 - 30), &p).is_ok());
    assert_eq!(
        verify_shower_token(&code.text, &ctx, ts(T0 - 31), &p).unwrap_err(),
        MeetError::FromFuture {
            ahead_secs: 31,
            tolerance_secs: 30
        }
    );
}

#[test]
fn bad_codes_get_the_right_reason() {
    let d = deal();
    let p = MeetPolicy::default();
    let ctx = d.scanner_ctx();
    let now = ts(T0 + 1);

    // Another deal with the same person.
    let other = NegoId::new(
        "ffeeddccbbaa0011",
        d.owner.public_key(),
        d.resp.public_key(),
    )
    .unwrap();
    let other_ctx = MeetContext {
        nego: other,
        ..d.shower_ctx()
    };
    let foreign = make_meet_code(&other_ctx, &d.owner, MeetNonce([1; 16]), ts(T0)).unwrap();
    let e = verify_shower_token(&foreign.text, &ctx, now, &p).unwrap_err();
    assert_eq!(e, MeetError::DifferentDeal);
    assert_eq!(e.to_string(), "This code belongs to a different deal");

    // A third key that learned the negotiation id and signs a code for it.
    let third = Keys::generate();
    let honest = shown(&d, T0);
    let mut forged = MeetToken::parse(&honest.text).unwrap();
    let ev = crate::protocol::receipt::build_receipt(
        &crate::protocol::receipt::ReceiptDraft {
            nego: d.nego.clone(),
            peer: d.resp.public_key(),
            intent_id: d.intent,
            meet: Some(forged.nonce),
            countersigns: None,
        },
        ts(T0),
    )
    .sign_with_keys(&third)
    .unwrap();
    forged.shower = third.public_key();
    forged.sig = ev.sig;
    assert!(matches!(
        verify_shower_token(&forged.encode(), &ctx, now, &p),
        Err(MeetError::ThirdKey { .. })
    ));

    // The scanner scans its own screen (or a screenshot of it).
    assert_eq!(
        verify_shower_token(&honest.text, &d.shower_ctx(), now, &p).unwrap_err(),
        MeetError::OwnCode
    );

    // The scanner's record has different deal terms (intent) → the rebuilt event differs.
    let mut wrong_terms = ctx.clone();
    wrong_terms.intent_id = EventId::from_byte_array([0xcd; 32]);
    assert_eq!(
        verify_shower_token(&honest.text, &wrong_terms, now, &p).unwrap_err(),
        MeetError::BadSignature
    );

    // Truncated, foreign prefix, not Freeport.
    assert!(matches!(
        verify_shower_token(&honest.text[..150], &ctx, now, &p),
        Err(MeetError::Truncated { .. })
    ));
    assert!(matches!(
        verify_shower_token("WIFI:S:home;T:WPA;P:secret;;", &ctx, now, &p),
        Err(MeetError::NotFreeport { .. })
    ));
    let v = verify_shower_token(&honest.text, &ctx, now, &p).unwrap();
    let pair = countersign(&v.clone().claim(true).unwrap(), &d.resp, now).unwrap();
    assert!(matches!(
        verify_shower_token(&pair.return_code().unwrap(), &ctx, now, &p),
        Err(MeetError::WrongKind { .. })
    ));

    // Replay: the ledger already had the nonce.
    let e = v.claim(false).unwrap_err();
    assert!(matches!(e, MeetError::AlreadyUsed { .. }));
    assert_eq!(e.to_string(), "This code was already used");

    // Countersigning with keys that are not the scanner's is a programming error.
    let v = verify_shower_token(&honest.text, &ctx, now, &p).unwrap();
    assert!(matches!(
        countersign(&v.claim(true).unwrap(), &d.owner, now),
        Err(MeetError::Context { .. })
    ));
}

#[test]
fn every_single_character_change_is_refused() {
    let d = deal();
    let p = MeetPolicy::default();
    let ctx = d.scanner_ctx();
    let code = shown(&d, T0);
    let body_start = MEET_PREFIX.len();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for i in body_start..code.text.len() {
        let orig = &code.text[i..=i];
        // Flip to the character 1 step further in the alphabet (one to five bits change).
        let pos = alphabet.find(orig).unwrap();
        let repl = &alphabet[(pos + 1) % 32..=(pos + 1) % 32];
        let mut t = code.text.clone();
        t.replace_range(i..=i, repl);
        let e = verify_shower_token(&t, &ctx, ts(T0), &p).unwrap_err();
        let name = format!("{e:?}");
        *reasons
            .entry(name.split([' ', '{', '(']).next().unwrap().to_string())
            .or_default() += 1;
    }
    // The signature, nonce and time regions fail the signature; the deal-tag region says
    // "different deal"; the key region is a third key or not a key at all.
    // 64 + 16 + 4 signed bytes = 134.4 characters; 4 tag bytes = 6.4; 32 key bytes = 51.2.
    let n = |k: &str| reasons.get(k).copied().unwrap_or(0);
    assert!(n("BadSignature") >= 130, "{reasons:?}");
    assert!(n("DifferentDeal") >= 6, "{reasons:?}");
    assert!(n("ThirdKey") + n("Damaged") >= 50, "{reasons:?}");
    assert!(
        n("Damaged") > 0,
        "a corrupted key should sometimes be off the curve: {reasons:?}"
    );
    assert_eq!(
        reasons.values().sum::<usize>(),
        code.text.len() - body_start
    );
}

#[test]
fn return_code_failures() {
    let d = deal();
    let p = MeetPolicy::default();
    let mut rng = StdRng::seed_from_u64(4);
    let mut session = MeetSession::new(d.shower_ctx(), p).unwrap();
    let code = session.current(&d.owner, ts(T0), &mut rng).unwrap().clone();
    let v = verify_shower_token(&code.text, &d.scanner_ctx(), ts(T0), &p).unwrap();
    let pair = countersign(&v.claim(true).unwrap(), &d.resp, ts(T0 + 2)).unwrap();
    let ret = pair.return_code().unwrap();

    // A different session (other nonce) does not know this return.
    let mut other = MeetSession::new(d.shower_ctx(), p).unwrap();
    other.current(&d.owner, ts(T0), &mut rng).unwrap();
    assert_eq!(
        other.accept_return_code(&ret, ts(T0 + 3)).unwrap_err(),
        MeetError::UnknownReturn
    );
    // A changed signature character.
    let mut bad = ret.clone();
    let i = bad.len() - 20;
    let c = if &bad[i..=i] == "A" { "B" } else { "A" };
    bad.replace_range(i..=i, c);
    assert_eq!(
        session.accept_return_code(&bad, ts(T0 + 3)).unwrap_err(),
        MeetError::BadSignature
    );
    // The meet code itself is not a return code.
    assert!(matches!(
        session.accept_return_code(&code.text, ts(T0 + 3)),
        Err(MeetError::WrongKind { .. })
    ));
    // Too late: past the return window.
    assert!(matches!(
        session.accept_return_code(&ret, ts(T0 + 2 + 601)),
        Err(MeetError::Expired { .. })
    ));
    // The shower's own half must be its own.
    let not_mine: Event = pair.scanner.clone();
    assert!(matches!(
        verify_return_code(&ret, &not_mine, &d.shower_ctx(), ts(T0 + 3), &p),
        Err(MeetError::Context { .. })
    ));
    assert!(session.accept_return_code(&ret, ts(T0 + 3)).is_ok());
}

#[test]
fn context_must_fit_the_negotiation() {
    let d = deal();
    let stranger = Keys::generate();
    let bad = d.ctx_for(&stranger, &d.owner);
    assert!(matches!(
        MeetSession::new(bad, MeetPolicy::default()),
        Err(MeetError::Context { .. })
    ));
    let bad_peer = d.ctx_for(&d.owner, &stranger);
    assert!(matches!(
        make_meet_code(&bad_peer, &d.owner, MeetNonce([0; 16]), ts(T0)),
        Err(MeetError::Context { .. })
    ));
    // A clock past 2106 cannot be carried by the code.
    assert!(matches!(
        make_meet_code(
            &d.shower_ctx(),
            &d.owner,
            MeetNonce([0; 16]),
            ts(u64::from(u32::MAX) + 1)
        ),
        Err(MeetError::ClockOutOfRange { .. })
    ));
}

#[test]
fn codes_fit_small_qr_versions_and_round_trip_through_png() {
    let d = deal();
    let code = shown(&d, T0);
    let m = QrMatrix::encode(&code.text).unwrap();
    // Target: version <= 8 at EC level M. Measured: 197 characters -> version 8 (49x49).
    assert_eq!(m.version, 8, "meet code needs version {}", m.version);
    let v =
        verify_shower_token(&code.text, &d.scanner_ctx(), ts(T0), &MeetPolicy::default()).unwrap();
    let pair = countersign(&v.claim(true).unwrap(), &d.resp, ts(T0)).unwrap();
    let ret = pair.return_code().unwrap();
    // 178 characters -> version 7 (45x45).
    assert_eq!(QrMatrix::encode(&ret).unwrap().version, 7);

    for opts in [
        RenderOptions::default(),
        RenderOptions {
            module_px: 3,
            quiet_zone: 2,
        },
    ] {
        let png = render_png(&code.text, &opts).unwrap();
        let img = image::load_from_memory(&png).unwrap();
        assert_eq!(
            img.width(),
            (m.width + 2 * opts.quiet_zone) * opts.module_px
        );
        assert_eq!(decode_image(&png).unwrap(), code.text);
        assert_eq!(
            scan_image(&png).unwrap(),
            Code::Meet(MeetToken::parse(&code.text).unwrap())
        );
    }
    assert!(matches!(
        render_png(
            &code.text,
            &RenderOptions {
                module_px: 0,
                quiet_zone: 4
            }
        ),
        Err(MeetError::Render { .. })
    ));
    assert!(matches!(
        render_png(
            &code.text,
            &RenderOptions {
                module_px: 4,
                quiet_zone: 17
            }
        ),
        Err(MeetError::Render { .. })
    ));
}

#[test]
fn svg_and_terminal_render_every_module() {
    let text = "FPM1:ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let m = QrMatrix::encode(text).unwrap();
    let w = i64::from(m.width);
    let dark = (0..w)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| m.is_dark(x, y))
        .count() as i64;
    let svg = render_svg(text, &RenderOptions::default()).unwrap();
    assert!(svg.starts_with("<svg"));
    assert!(svg.ends_with("</svg>"));
    // Sum of the horizontal run lengths (`h<n>`) equals the dark module count.
    let runs: i64 = svg
        .split('h')
        .skip(1)
        .filter_map(|s| s.split('v').next()?.parse::<i64>().ok())
        .sum();
    assert_eq!(runs, dark);

    for dark_terminal in [true, false] {
        let t = render_terminal(text, dark_terminal).unwrap();
        let lines: Vec<&str> = t.lines().collect();
        let side = m.width as usize + 8;
        assert_eq!(lines.len(), side.div_ceil(2));
        assert!(lines.iter().all(|l| l.chars().count() == side));
        // Check every module against the half-block glyphs.
        for (row, line) in lines.iter().enumerate() {
            for (col, ch) in line.chars().enumerate() {
                let x = col as i64 - 4;
                let y = 2 * row as i64 - 4;
                let lit = |y: i64| y < w + 4 && m.is_dark(x, y) != dark_terminal;
                let expect = match (lit(y), lit(y + 1)) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                };
                assert_eq!(ch, expect, "row {row} col {col}");
            }
        }
    }
}

#[test]
fn frames_with_stride_and_bad_geometry() {
    let text = shown(&deal(), T0).text;
    let img = QrMatrix::encode(&text)
        .unwrap()
        .to_luma(&RenderOptions {
            module_px: 4,
            quiet_zone: 4,
        })
        .unwrap();
    let (w, h) = img.dimensions();
    // Put the code in a 640-wide frame with 64 bytes of row padding, last row unpadded.
    let (fw, fh, stride) = (640u32, 480u32, 704u32);
    let mut buf = vec![200u8; (stride * (fh - 1) + fw) as usize];
    for y in 0..h {
        for x in 0..w {
            buf[((y + 10) * stride + x + 100) as usize] = img.get_pixel(x, y).0[0];
        }
    }
    let frame = LumaFrame::new(fw, fh, stride, &buf).unwrap();
    assert_eq!(decode_frame(&frame, ScanEffort::Fast).unwrap(), text);
    assert!(matches!(scan_frame(&frame).unwrap(), Code::Meet(_)));
    // A blank frame has no code.
    let blank = vec![128u8; 640 * 480];
    let f = LumaFrame::new(640, 480, 640, &blank).unwrap();
    assert_eq!(decode_frame(&f, ScanEffort::Fast), Err(MeetError::NoCode));
    assert_eq!(
        decode_frame(&f, ScanEffort::Thorough),
        Err(MeetError::NoCode)
    );
    for (w, h, s, len) in [
        (0, 10, 10, 100),
        (10, 0, 10, 100),
        (10, 10, 9, 100),
        (10, 10, 10, 99),
        (10, 10, 12, 117),
        (9000, 1, 9000, 9000),
        (u32::MAX, 2, u32::MAX, 10),
    ] {
        let data = vec![0u8; len];
        assert!(
            matches!(
                LumaFrame::new(w, h, s, &data),
                Err(MeetError::BadFrame { .. })
            ),
            "{w}x{h} stride {s} len {len}"
        );
    }
    assert!(LumaFrame::new(10, 10, 12, &[0u8; 118]).is_ok());
}

/// Found by the `qr_image` fuzz target (CI, 2026-11-21): a 59-byte PNG whose header claims
/// 5 376 × 7 453 RGBA pixels made the decoder allocate 160 MB before noticing the data is
/// missing. (The fuzz build skips PNG checksums; here the header gets a valid CRC, as an attacker
/// would give it.) The allocation limit refuses it from the header.
#[test]
fn a_tiny_png_claiming_a_huge_canvas_is_refused_before_allocating() {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut c = 0xFFFF_FFFFu32;
        for b in bytes {
            c ^= u32::from(*b);
            for _ in 0..8 {
                c = if c & 1 == 1 {
                    (c >> 1) ^ 0xEDB8_8320
                } else {
                    c >> 1
                };
            }
        }
        !c
    }
    let mut ihdr = b"IHDR".to_vec();
    ihdr.extend_from_slice(&5376u32.to_be_bytes());
    ihdr.extend_from_slice(&7453u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&13u32.to_be_bytes());
    png.extend_from_slice(&ihdr);
    png.extend_from_slice(&crc32(&ihdr).to_be_bytes());
    let idat = b"IDATx\x9cc`\x80\x00\x14".to_vec();
    png.extend_from_slice(&6u32.to_be_bytes());
    png.extend_from_slice(&idat);
    png.extend_from_slice(&crc32(&idat).to_be_bytes());
    match decode_image(&png) {
        Err(MeetError::BadImage { reason }) => {
            assert!(reason.to_lowercase().contains("limit"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A 12-megapixel RGBA photo is still within the limit.
    const { assert!(4000u64 * 3000 * 4 <= crate::meet::scan::MAX_IMAGE_ALLOC) };
}

#[test]
fn garbage_images_never_panic() {
    use rand::{Rng, RngCore};
    assert!(matches!(decode_image(&[]), Err(MeetError::BadImage { .. })));
    assert!(matches!(
        decode_image(b"not an image at all"),
        Err(MeetError::BadImage { .. })
    ));
    let png = render_png(&shown(&deal(), T0).text, &RenderOptions::default()).unwrap();
    // Every truncation of a valid PNG that loses more than the IEND trailer, and random
    // corruption: errors, never panics. The decoder accepts a PNG missing only IEND's CRC (all
    // pixels and their CRCs intact); the token, so the PNG's length, is random, so a fixed step
    // used to land there in about one run in 25.
    let iend = png.len().saturating_sub(12);
    assert_eq!(png.get(iend + 4..iend + 8), Some(&b"IEND"[..]));
    for cut in (0..iend).step_by(97).chain([iend - 1]) {
        assert!(
            decode_image(&png[..cut]).is_err(),
            "cut at {cut} of {}",
            png.len()
        );
    }
    for cut in iend..png.len() {
        let _ = decode_image(&png[..cut]);
    }
    let mut rng = StdRng::seed_from_u64(5);
    for _ in 0..30 {
        let mut p = png.clone();
        for _ in 0..rng.gen_range(1..20) {
            let i = rng.gen_range(0..p.len());
            p[i] = rng.r#gen();
        }
        let _ = decode_image(&p);
        let mut noise = vec![0u8; rng.gen_range(0..4096)];
        rng.fill_bytes(&mut noise);
        let _ = decode_image(&noise);
    }
    // Random luma frames of random sizes.
    for _ in 0..20 {
        let w = rng.gen_range(1..400);
        let h = rng.gen_range(1..300);
        let mut data = vec![0u8; w * h];
        rng.fill_bytes(&mut data);
        let f = LumaFrame::new(w as u32, h as u32, w as u32, &data).unwrap();
        assert!(decode_frame(&f, ScanEffort::Thorough).is_err());
    }
}

#[test]
fn edge_sized_and_adversarial_frames_never_panic() {
    // Sizes at the edges of the passes: below and at the 21-pixel level limit after averaging
    // by 2 and 3, below and at the 40-pixel block binariser limit, single rows and columns, and
    // a long thin frame at the side limit.
    let sizes = [
        (1, 1),
        (1, 8192),
        (8192, 1),
        (20, 20),
        (41, 41),
        (42, 63),
        (63, 42),
        (39, 40),
        (40, 39),
        (64, 21),
        (8192, 24),
    ];
    let mut rng = StdRng::seed_from_u64(11);
    for (w, h) in sizes {
        let mut data = vec![0u8; w * h];
        rand::RngCore::fill_bytes(&mut rng, &mut data);
        let f = LumaFrame::new(w as u32, h as u32, w as u32, &data).unwrap();
        for effort in [ScanEffort::Fast, ScanEffort::Thorough] {
            assert!(decode_frame(&f, effort).is_err(), "{w}×{h}");
        }
    }
    // Patterns made to excite the finder everywhere: nested squares (1:1:3:1:1 both ways),
    // fine checkers, stripes, and a tiling of finder-like squares, at low contrast too.
    let (w, h) = (320usize, 240usize);
    let patterns: [&dyn Fn(usize, usize) -> bool; 4] = [
        &|x, y| {
            let (i, j) = ((x % 14) as i64 - 7, (y % 14) as i64 - 7);
            let d = i.abs().max(j.abs());
            d % 2 == 1 || d <= 2
        },
        &|x, y| (x + y) % 2 == 0,
        &|x, _| x % 3 == 0,
        &|x, y| {
            let (i, j) = ((x / 2) % 7, (y / 2) % 7);
            i == 0 || j == 0 || i == 6 || j == 6 || (2..=4).contains(&i) && (2..=4).contains(&j)
        },
    ];
    for pat in patterns {
        for (dark, light) in [(0u8, 255u8), (120, 126)] {
            let data: Vec<u8> = (0..w * h)
                .map(|i| if pat(i % w, i / w) { dark } else { light })
                .collect();
            let f = LumaFrame::new(w as u32, h as u32, w as u32, &data).unwrap();
            for effort in [ScanEffort::Fast, ScanEffort::Thorough] {
                assert!(decode_frame(&f, effort).is_err());
            }
        }
    }
}

#[test]
fn qr_text_that_is_not_ours_is_refused() {
    let png = render_png("https://example.com/?q=1", &RenderOptions::default()).unwrap();
    assert_eq!(decode_image(&png).unwrap(), "https://example.com/?q=1");
    assert!(matches!(
        scan_image(&png),
        Err(MeetError::NotFreeport { .. })
    ));
}
