//! Decode-rate corpus: camera-like 1280×720 frames of a real meetup code on a phone screen in
//! 12 classes (tests/meet_corpus/synth.rs), read with the live-camera path (`ScanEffort::Fast`,
//! the one a scanning phone runs on every frame). Fixed seeds, fixed keys and a deterministic
//! signature make the corpus identical on every run and in debug and release, so the
//! thresholds are the measured counts themselves: a change that loses one frame fails here.
//! The same frames, with zxing-cpp beside us and the timings: docs/MEET.md.

#[path = "meet_corpus/synth.rs"]
mod synth;

use freeport_core::meet::{
    LumaFrame, MeetError, QrMatrix, ScanEffort, decode_frame, decode_luma, scan_frame,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use synth::{Class, H, PER_CLASS, Params, W, fixed_code, fixed_deal};

/// Frames of each class the live path must read (out of 24): what it reads today, measured
/// by `bench/meet-zxing` in the same run as zxing-cpp (docs/MEET.md).
fn threshold(c: Class) -> usize {
    match c {
        Class::Clean => 24,
        Class::Rotated => 24,
        Class::Small => 24,
        Class::Perspective => 24,
        Class::MotionBlur => 22,
        Class::Defocus => 24,
        Class::LowContrast => 21,
        Class::Noise => 24,
        Class::Jpeg => 24,
        Class::Moire => 24,
        Class::Glare => 23,
        Class::Mixed => 23,
    }
}

/// What zxing-cpp 3.1.1 (its default, try-harder options) reads of the same frames, from the
/// same run. Kept here so no threshold can drop below the reference decoder unnoticed.
fn zxing_cpp(c: Class) -> usize {
    match c {
        Class::Small => 23,
        Class::MotionBlur => 20,
        Class::LowContrast => 16,
        Class::Glare => 19,
        Class::Mixed => 22,
        _ => 24,
    }
}

/// Reads every frame of `class`; returns how many gave back exactly `text`, and fails on any
/// other text (a false read) or any error other than "no code".
fn read_class(class: Class, text: &str, m: &QrMatrix) -> (usize, Vec<String>) {
    let mut ok = 0;
    let mut missed = Vec::new();
    for (i, (p, img)) in synth::class_frames(m, class).enumerate() {
        let frame = LumaFrame::new(W, H, W, img.as_raw()).unwrap();
        match decode_frame(&frame, ScanEffort::Fast) {
            Ok(t) => {
                assert_eq!(t, text, "{class:?} frame {i}: false read");
                ok += 1;
            }
            Err(e) => {
                assert_eq!(e, MeetError::NoCode, "{class:?} frame {i}");
                missed.push(format!("{class:?} {i}: {p:?}"));
            }
        }
    }
    (ok, missed)
}

/// Runs `classes` and checks each against its threshold (one test per group, so the groups
/// run in parallel).
fn check(classes: &[Class]) {
    let text = fixed_code(&fixed_deal());
    let m = QrMatrix::encode(&text).unwrap();
    let mut report = String::new();
    let mut below = Vec::new();
    for &class in classes {
        let (ok, missed) = read_class(class, &text, &m);
        report.push_str(&format!("{:<28} {ok:>2}/{PER_CLASS}\n", class.name()));
        if ok < threshold(class) {
            below.push(format!(
                "{class:?}: {ok} < {}; missed {missed:#?}",
                threshold(class)
            ));
        }
    }
    println!("{report}");
    assert!(
        below.is_empty(),
        "below threshold:\n{}\n{report}",
        below.join("\n")
    );
}

#[test]
fn corpus_geometry() {
    check(&[
        Class::Clean,
        Class::Rotated,
        Class::Small,
        Class::Perspective,
    ]);
}

#[test]
fn corpus_optics() {
    check(&[
        Class::MotionBlur,
        Class::Defocus,
        Class::Moire,
        Class::Glare,
    ]);
}

#[test]
fn corpus_light_and_pipeline() {
    check(&[Class::LowContrast, Class::Noise, Class::Jpeg, Class::Mixed]);
}

#[test]
fn thresholds_are_never_below_zxing_cpp() {
    for c in Class::ALL {
        assert!(threshold(c) >= zxing_cpp(c), "{c:?}");
    }
    let ours: usize = Class::ALL.iter().map(|&c| threshold(c)).sum();
    let theirs: usize = Class::ALL.iter().map(|&c| zxing_cpp(c)).sum();
    assert_eq!(
        (ours, theirs, Class::ALL.len() * PER_CLASS),
        (281, 268, 288)
    );
}

#[test]
fn frames_without_a_code_never_decode() {
    for (i, img) in synth::no_code_frames(24, 0x0BAD_C0DE).enumerate() {
        let f = LumaFrame::new(W, H, W, img.as_raw()).unwrap();
        assert_eq!(
            decode_frame(&f, ScanEffort::Fast),
            Err(MeetError::NoCode),
            "frame {i}"
        );
        assert!(
            matches!(scan_frame(&f), Err(MeetError::NoCode)),
            "frame {i}"
        );
    }
}

#[test]
fn a_decoded_frame_parses_as_the_meet_code() {
    let text = fixed_code(&fixed_deal());
    let m = QrMatrix::encode(&text).unwrap();
    let mut rng = StdRng::seed_from_u64(8);
    let img = synth::frame(&m, W, H, &Params::clean(), &mut rng);
    assert_eq!(decode_luma(&img, ScanEffort::Thorough).unwrap(), text);
    let f = LumaFrame::new(W, H, W, img.as_raw()).unwrap();
    match scan_frame(&f).unwrap() {
        freeport_core::meet::Code::Meet(t) => assert_eq!(t.encode(), text),
        other => panic!("expected a meet code, got {other:?}"),
    }
}
