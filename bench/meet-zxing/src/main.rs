//! Our meetup-code decoder and zxing-cpp side by side, in one run, on the meet corpus
//! (core/tests/meet_corpus/synth.rs: 12 classes × 24 camera-like 1280×720 frames, plus frames
//! without a code). Prints the markdown tables of docs/MEET.md.
//!
//! Run (release, one thread; see docs/MEET.md):
//! `cargo run --release --manifest-path bench/meet-zxing/Cargo.toml`
//!
//! Environment: `MEET_BENCH_FAILURES=1` lists the frames each decoder missed, with their
//! parameters; `MEET_BENCH_DUMP=dir` writes every frame as PNG; `MEET_BENCH_ONLY=ours` skips
//! zxing-cpp (quick iterations on our decoder).

#[path = "../../../core/tests/meet_corpus/synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use freeport_core::meet::scan::{Pass, decode_frame_with};
use freeport_core::meet::{LumaFrame, QrMatrix, ScanEffort, decode_frame};
use image::GrayImage;
use synth::{Class, PER_CLASS, Params};
use zxingcpp::{BarcodeFormat, BarcodeReader, ImageFormat, ImageView};

/// A decoder under test.
#[derive(Clone, PartialEq, Eq)]
enum Dec {
    OursLive,
    OursStill,
    ZxingDefault,
    ZxingFast,
    /// A named list of our passes (the options compared in docs/MEET.md).
    Passes(String, Vec<Pass>, bool),
}

impl Dec {
    fn name(&self) -> &str {
        match self {
            Dec::OursLive => "ours, live (Fast)",
            Dec::OursStill => "ours, still (Thorough)",
            Dec::ZxingDefault => "zxing-cpp 3.1.1 (defaults)",
            Dec::ZxingFast => "zxing-cpp 3.1.1 (no try-harder)",
            Dec::Passes(name, ..) => name,
        }
    }
}

struct Zx {
    default: BarcodeReader,
    fast: BarcodeReader,
}

fn decode(dec: &Dec, zx: &Zx, img: &GrayImage) -> Option<String> {
    match dec {
        Dec::Passes(_, passes, harder) => {
            let f = LumaFrame::new(img.width(), img.height(), img.width(), img.as_raw()).ok()?;
            decode_frame_with(&f, passes, *harder)
        }
        Dec::OursLive | Dec::OursStill => {
            let f = LumaFrame::new(img.width(), img.height(), img.width(), img.as_raw()).ok()?;
            let effort = if *dec == Dec::OursLive {
                ScanEffort::Fast
            } else {
                ScanEffort::Thorough
            };
            decode_frame(&f, effort).ok()
        }
        Dec::ZxingDefault | Dec::ZxingFast => {
            let iv =
                ImageView::from_slice(img.as_raw(), img.width(), img.height(), ImageFormat::Lum)
                    .ok()?;
            let r = if *dec == Dec::ZxingDefault {
                &zx.default
            } else {
                &zx.fast
            };
            r.from(iv)
                .ok()?
                .into_iter()
                .find(|b| b.is_valid())
                .map(|b| b.text())
        }
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1e3)
}

fn median_p95(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    let n = v.len();
    (v[n / 2], v[(n * 95 / 100).min(n - 1)])
}

fn main() {
    let text = synth::fixed_code(&synth::fixed_deal());
    let m = QrMatrix::encode(&text).expect("the corpus code encodes");
    let zx = Zx {
        default: BarcodeReader::new().formats([BarcodeFormat::QRCode]),
        fast: BarcodeReader::new()
            .formats([BarcodeFormat::QRCode])
            .try_harder(false)
            .try_rotate(false)
            .try_invert(false)
            .try_downscale(false),
    };
    let only_ours = std::env::var("MEET_BENCH_ONLY").is_ok_and(|v| v == "ours");
    let mut decs: Vec<Dec> = vec![Dec::OursLive, Dec::OursStill];
    if !only_ours {
        decs.extend([Dec::ZxingDefault, Dec::ZxingFast]);
    }
    // Options: MEET_BENCH_PASSES="name=pass,pass;name2=..." with passes `hybrid`, `down2`,
    // `down3` (hybrid averaged down), `lm<down>:<radius>:<floor>` (local mean), and `+harder`
    // for the finder's every-row scan.
    if let Ok(spec) = std::env::var("MEET_BENCH_PASSES") {
        for opt in spec.split(';').filter(|s| !s.is_empty()) {
            let (name, list) = opt.split_once('=').expect("name=passes");
            let mut harder = false;
            let passes = list
                .split(',')
                .filter_map(|p| match p {
                    "hybrid" => Some(Pass::Hybrid),
                    "down2" => Some(Pass::HybridDown(2)),
                    "down3" => Some(Pass::HybridDown(3)),
                    "+harder" => {
                        harder = true;
                        None
                    }
                    lm => {
                        let v: Vec<u16> = lm
                            .trim_start_matches("lm")
                            .split(':')
                            .map(|n| n.parse().expect("lm<down>:<radius>:<floor>"))
                            .collect();
                        Some(Pass::LocalMean {
                            down: v[0] as u8,
                            radius: v[1],
                            floor: v[2] as u8,
                        })
                    }
                })
                .collect();
            decs.push(Dec::Passes(name.to_string(), passes, harder));
        }
    }
    let dump = std::env::var_os("MEET_BENCH_DUMP").map(std::path::PathBuf::from);
    if let Some(d) = &dump {
        std::fs::create_dir_all(d).expect("dump directory");
    }

    // The corpus, generated once.
    let t = Instant::now();
    let mut corpus: Vec<(Class, usize, Params, GrayImage)> = Vec::new();
    for class in Class::ALL {
        for (i, (p, img)) in synth::class_frames(&m, class).enumerate() {
            if let Some(d) = &dump {
                img.save(d.join(format!("{class:?}-{i:02}.png"))).expect("dump");
            }
            corpus.push((class, i, p, img));
        }
    }
    let no_code: Vec<GrayImage> = synth::no_code_frames(48, 0x0BAD_C0DE).collect();
    if let Some(d) = &dump {
        for (i, img) in no_code.iter().enumerate() {
            img.save(d.join(format!("nocode-{i:02}.png"))).expect("dump");
        }
    }
    eprintln!(
        "corpus: {} frames with the code, {} without, made in {:.1} s",
        corpus.len(),
        no_code.len(),
        t.elapsed().as_secs_f64()
    );

    // counts[class][decoder], false reads, time per frame.
    let mut counts = vec![vec![0usize; decs.len()]; Class::ALL.len()];
    let mut false_reads = vec![0usize; decs.len()];
    let mut times: Vec<Vec<Duration>> = vec![Vec::new(); decs.len()];
    let mut missed: Vec<Vec<String>> = vec![Vec::new(); decs.len()];
    for (ci, class) in Class::ALL.iter().enumerate() {
        for (c, i, p, img) in corpus.iter().filter(|f| f.0 == *class) {
            for (di, dec) in decs.iter().enumerate() {
                let t = Instant::now();
                let r = decode(dec, &zx, img);
                times[di].push(t.elapsed());
                match r {
                    Some(s) if s == text => counts[ci][di] += 1,
                    Some(s) => {
                        false_reads[di] += 1;
                        missed[di].push(format!("{c:?}-{i:02} FALSE READ {s:?}"));
                    }
                    None => missed[di].push(format!(
                        "{c:?}-{i:02} scale {:.2} tilt {:.0}° defocus {:.2} motion {:.2} contrast {:.2} uneven {:.1} grey {:.0} noise {:.1} jpeg {} moire {:.1}/{:.2} glare {:.1}/{:.2}",
                        p.scale,
                        p.tilt.to_degrees(),
                        p.defocus,
                        p.motion,
                        p.contrast,
                        p.unevenness,
                        p.mean_grey,
                        p.noise,
                        p.jpeg,
                        p.moire_px,
                        p.moire_depth,
                        p.glare,
                        p.glare_radius
                    )),
                }
            }
        }
    }
    let mut nc_times: Vec<Vec<Duration>> = vec![Vec::new(); decs.len()];
    for img in &no_code {
        for (di, dec) in decs.iter().enumerate() {
            let t = Instant::now();
            let r = decode(dec, &zx, img);
            nc_times[di].push(t.elapsed());
            if let Some(s) = r {
                false_reads[di] += 1;
                missed[di].push(format!("no-code frame FALSE READ {s:?}"));
            }
            black_box(());
        }
    }

    println!(
        "## Decode success per class (1280×720, {PER_CLASS} frames each, one run)\n"
    );
    print!("| class |");
    for d in &decs {
        print!(" {} |", d.name());
    }
    println!();
    print!("|---|");
    for _ in &decs {
        print!("---|");
    }
    println!();
    for (ci, class) in Class::ALL.iter().enumerate() {
        print!("| {} |", class.name());
        for di in 0..decs.len() {
            print!(" {}/{PER_CLASS} |", counts[ci][di]);
        }
        println!();
    }
    let total = corpus.len();
    print!("| **all** |");
    for di in 0..decs.len() {
        let n: usize = counts.iter().map(|c| c[di]).sum();
        print!(
            " **{n}/{total} ({:.1} %)** |",
            100.0 * n as f64 / total as f64
        );
    }
    println!();
    print!("| false reads (incl. {} no-code frames) |", no_code.len());
    for f in &false_reads {
        print!(" {f} |");
    }
    println!();

    println!("\n## Decode time per 1280×720 frame (median / p95, ms, one core)\n");
    print!("| frames |");
    for d in &decs {
        print!(" {} |", d.name());
    }
    println!();
    print!("|---|");
    for _ in &decs {
        print!("---|");
    }
    println!();
    print!("| {total} with the code |");
    for t in &times {
        let (a, b) = median_p95(t.clone());
        print!(" {} / {} |", ms(a), ms(b));
    }
    println!();
    print!("| {} without a code |", no_code.len());
    for t in &nc_times {
        let (a, b) = median_p95(t.clone());
        print!(" {} / {} |", ms(a), ms(b));
    }
    println!();

    if std::env::var_os("MEET_BENCH_FAILURES").is_some() {
        for (di, d) in decs.iter().enumerate() {
            println!("\n### Missed by {}\n", d.name());
            for f in &missed[di] {
                println!("- {f}");
            }
        }
    }
}
