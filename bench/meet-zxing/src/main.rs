//! Our meetup-code decoder and zxing-cpp side by side, in one run, on the meet corpus
//! (core/tests/meet_corpus/synth.rs: 12 classes × 24 camera-like 1280×720 frames, plus frames
//! without a code). Prints the markdown tables of docs/MEET.md.
//!
//! Run (release, one thread; see docs/MEET.md):
//! `cargo run --release --manifest-path bench/meet-zxing/Cargo.toml`
//!
//! Environment: `MEET_BENCH_FAILURES=1` lists the frames each decoder missed, with their
//! parameters; `MEET_BENCH_DUMP=dir` writes every frame as PNG; `MEET_BENCH_ONLY=ours` skips
//! zxing-cpp, `MEET_BENCH_ONLY=passes` runs only the options of `MEET_BENCH_PASSES` (below).

#[path = "../../../core/tests/meet_corpus/synth.rs"]
mod synth;

use std::hint::black_box;
use std::time::{Duration, Instant};

use freeport_core::meet::scan::{Gate, Pass, Strategy, decode_frame_with};
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
    Rqrr,
    /// A named strategy of our passes (the options compared in docs/MEET.md): passes that
    /// always run, passes that run when those saw finder patterns, try-harder.
    Passes(String, Vec<Pass>, Vec<Pass>, Gate, bool),
}

impl Dec {
    fn name(&self) -> &str {
        match self {
            Dec::OursLive => "ours, live (Fast)",
            Dec::OursStill => "ours, still (Thorough)",
            Dec::ZxingDefault => "zxing-cpp 3.1.1 (defaults)",
            Dec::ZxingFast => "zxing-cpp 3.1.1 (no try-harder)",
            Dec::Rqrr => "rqrr 0.11",
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
        Dec::Rqrr => {
            let mut p = rqrr::PreparedImage::prepare(img.clone());
            p.detect_grids()
                .into_iter()
                .find_map(|g| g.decode().ok().map(|(_, s)| s))
        }
        Dec::Passes(_, always, if_candidates, gate, try_harder) => {
            let f = LumaFrame::new(img.width(), img.height(), img.width(), img.as_raw()).ok()?;
            let s = Strategy {
                always,
                if_candidates,
                gate: *gate,
                try_harder: *try_harder,
                grid: false,
            };
            decode_frame_with(&f, &s)
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

/// CPU time of this thread: what one core spends on the frame, whatever else the machine
/// runs (a shared 2-core machine makes wall-clock medians swing by 3×).
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec into the valid, exclusively borrowed `ts`.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn parse_passes(list: &str) -> Vec<Pass> {
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let nums = |prefix: &str| -> Vec<u16> {
                p.trim_start_matches(prefix)
                    .split(':')
                    .map(|n| n.parse().expect("pass parameters"))
                    .collect()
            };
            match p {
                "hybrid" => Pass::Hybrid,
                "down2" => Pass::HybridDown(2),
                "down3" => Pass::HybridDown(3),
                b if b.starts_with("blk") => {
                    let v = nums("blk");
                    Pass::Block {
                        down: v[0] as u8,
                        floor: v[1] as u8,
                    }
                }
                _ => {
                    let v = nums("lm");
                    Pass::LocalMean {
                        down: v[0] as u8,
                        radius: v[1],
                        floor: v[2] as u8,
                    }
                }
            }
        })
        .collect()
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
    let only = std::env::var("MEET_BENCH_ONLY").unwrap_or_default();
    let mut decs: Vec<Dec> = Vec::new();
    if only != "passes" {
        decs.extend([Dec::OursLive, Dec::OursStill]);
    }
    if only.is_empty() {
        decs.extend([Dec::ZxingDefault, Dec::ZxingFast]);
    }
    if std::env::var_os("MEET_BENCH_RQRR").is_some() {
        decs.push(Dec::Rqrr);
    }
    // Options: MEET_BENCH_PASSES="name=pass,pass|pass;name2=..." with passes `hybrid`,
    // `down2`, `down3` (hybrid averaged down), `lm<down>:<radius>:<floor>` (local mean),
    // `blk<down>:<floor>` (block thresholds with a lower contrast floor); passes after `|` run
    // only when the first ones saw signs of a code: `@sets` (finder patterns arranged like a
    // code, the default) or `@<n>` (at least n finder patterns); `+harder` scans every third
    // row.
    if let Ok(spec) = std::env::var("MEET_BENCH_PASSES") {
        for opt in spec.split(';').filter(|s| !s.is_empty()) {
            let (name, list) = opt.split_once('=').expect("name=passes");
            let harder = list.contains("+harder");
            let list = list.replace(",+harder", "").replace("+harder", "");
            let (list, gate) = match list.split_once('@') {
                Some((l, "sets")) => (l.to_string(), Gate::Sets),
                Some((l, n)) => (
                    l.to_string(),
                    Gate::Patterns(n.parse().expect("@sets or @n")),
                ),
                None => (list.clone(), Gate::Sets),
            };
            let (a, b) = list.split_once('|').unwrap_or((&list, ""));
            decs.push(Dec::Passes(
                name.to_string(),
                parse_passes(a),
                parse_passes(b),
                gate,
                harder,
            ));
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
                img.save(d.join(format!("{class:?}-{i:02}.png")))
                    .expect("dump");
            }
            corpus.push((class, i, p, img));
        }
    }
    let no_code: Vec<GrayImage> = synth::no_code_frames(48, 0x0BAD_C0DE).collect();
    if let Some(d) = &dump {
        for (i, img) in no_code.iter().enumerate() {
            img.save(d.join(format!("nocode-{i:02}.png")))
                .expect("dump");
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
                let t = cpu_now();
                let r = decode(dec, &zx, img);
                times[di].push(cpu_now() - t);
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
            let t = cpu_now();
            let r = decode(dec, &zx, img);
            nc_times[di].push(cpu_now() - t);
            if let Some(s) = r {
                false_reads[di] += 1;
                missed[di].push(format!("no-code frame FALSE READ {s:?}"));
            }
            black_box(());
        }
    }

    println!("## Decode success per class (1280×720, {PER_CLASS} frames each, one run)\n");
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

    println!("\n## Decode time per 1280×720 frame (median / p95 of thread CPU time, ms)\n");
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

    if std::env::var_os("MEET_BENCH_EC").is_some() {
        symbol_options(&text, &zx);
    }

    if let Ok(which) = std::env::var("MEET_BENCH_FAILURES") {
        for (di, d) in decs.iter().enumerate() {
            if which != "1" && !which.split(',').any(|w| d.name().starts_with(w)) {
                continue;
            }
            println!("\n### Missed by {}\n", d.name());
            for f in &missed[di] {
                println!("- {f}");
            }
        }
    }
}

/// Item 4 of issue 24: would another error-correction level, or a shorter payload (bigger
/// modules at the same size on screen), read better? Every symbol is drawn at the same size in
/// the same scenes (same seeds), and read by our live path and zxing-cpp.
fn symbol_options(text: &str, zx: &Zx) {
    use freeport_core::meet::QrEcLevel;
    // The meetup code without the shower's key (32 of its 120 bytes): 88 bytes, 141 base32
    // characters. Same alphabet, so the same QR mode; a real one would need a new prefix.
    let short = format!("FPM2:{}", &text[5..5 + 141]);
    let options: Vec<(&str, String, QrEcLevel)> = vec![
        (
            "FPM1, 197 chars, EC M (today)",
            text.to_string(),
            QrEcLevel::M,
        ),
        ("FPM1, 197 chars, EC L", text.to_string(), QrEcLevel::L),
        ("FPM1, 197 chars, EC Q", text.to_string(), QrEcLevel::Q),
        (
            "without the key, 146 chars, EC M",
            short.clone(),
            QrEcLevel::M,
        ),
        ("without the key, 146 chars, EC L", short, QrEcLevel::L),
    ];
    println!("\n## Symbol options at the same size on screen (ours live / zxing-cpp)\n");
    print!("| class |");
    let mut symbols = Vec::new();
    for (name, t, level) in &options {
        let m = QrMatrix::encode_at(t, *level).expect("encodes");
        print!(" {name}: v{} {}×{} |", m.version, m.width, m.width);
        symbols.push((t.clone(), m));
    }
    println!();
    print!("|---|");
    for _ in &options {
        print!("---|");
    }
    println!();
    let mut totals = vec![(0usize, 0usize); options.len()];
    for class in Class::ALL {
        print!("| {} |", class.name());
        for (oi, (t, m)) in symbols.iter().enumerate() {
            let (mut a, mut b) = (0, 0);
            for (_, img) in synth::class_frames(m, class) {
                a += usize::from(decode(&Dec::OursLive, zx, &img).as_deref() == Some(t));
                b += usize::from(decode(&Dec::ZxingDefault, zx, &img).as_deref() == Some(t));
            }
            totals[oi].0 += a;
            totals[oi].1 += b;
            print!(" {a} / {b} |");
        }
        println!();
    }
    print!("| **all** |");
    for (a, b) in totals {
        print!(" **{a} / {b}** |");
    }
    println!();
}
