//! Reading a code: from text, from an image file (PNG/JPEG), or from a raw grayscale camera
//! frame (Android CameraX `ImageAnalysis` Y plane, iOS `CVPixelBuffer` luma plane).
//!
//! Decoder: `rxing`'s port of zxing-cpp's QR reader over a hybrid (local-threshold) binarizer,
//! chosen over `rqrr` on measured speed and robustness (docs/MEET.md). Live frames use
//! [`ScanEffort::Fast`] (one pass; frames without a code are the common case and must be cheap);
//! still images use [`ScanEffort::Thorough`] (every row scanned, inverted colours, second
//! reader).

use std::collections::HashSet;
use std::io::Cursor;

use image::GrayImage;
use rxing::common::HybridBinarizer;
use rxing::qrcode::QRCodeReader;
use rxing::qrcode::cpp_port::QrReader;
use rxing::{BarcodeFormat, BinaryBitmap, DecodeHints, Luma8Source, Reader};

#[doc(hidden)]
pub use super::detect::{Gate, Pass, Strategy};
use super::detect::{Gray, run};
use super::error::MeetError;
use super::token::{Code, parse_code};

/// Largest frame or image side accepted, in pixels.
pub const MAX_SIDE: u32 = 8192;
/// Images larger than this (longest side) are downscaled before decoding: a phone photo at
/// 4000 px gains nothing over 2000 px for a code that fills at least 15 % of it.
pub const MAX_DECODE_SIDE: u32 = 2048;

/// Most memory one picture may make the decoder allocate (64 MiB: a 16-megapixel RGBA photo). The
/// header alone decides the buffer size, so without this a 59-byte PNG claiming 5 376 × 7 453
/// pixels made the decoder allocate 160 MB before finding the data missing (found by fuzzing).
pub const MAX_IMAGE_ALLOC: u64 = 64 * 1024 * 1024;

/// How hard to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanEffort {
    /// One pass for live camera frames; the next frame is the retry.
    Fast,
    /// Everything, for a single still image.
    Thorough,
}

/// A borrowed 8-bit grayscale frame with a row stride (bytes per row, ≥ width).
#[derive(Debug, Clone, Copy)]
pub struct LumaFrame<'a> {
    width: u32,
    height: u32,
    stride: u32,
    data: &'a [u8],
}

impl<'a> LumaFrame<'a> {
    /// Checks the geometry against the buffer: `0 < width ≤ stride`, sides ≤ [`MAX_SIDE`], and
    /// `data` holds `stride × (height − 1) + width` bytes at least (the last row may be short of
    /// its padding, as on Android).
    pub fn new(width: u32, height: u32, stride: u32, data: &'a [u8]) -> Result<Self, MeetError> {
        let bad = |reason: String| MeetError::BadFrame { reason };
        if width == 0 || height == 0 {
            return Err(bad(format!("is {width}×{height}")));
        }
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(bad(format!("{width}×{height} exceeds {MAX_SIDE} px")));
        }
        if stride < width {
            return Err(bad(format!("stride {stride} < width {width}")));
        }
        let need = (stride as usize)
            .checked_mul(height as usize - 1)
            .and_then(|n| n.checked_add(width as usize))
            .ok_or_else(|| bad("size overflows".into()))?;
        if data.len() < need {
            return Err(bad(format!(
                "buffer has {} bytes, {width}×{height} stride {stride} needs {need}",
                data.len()
            )));
        }
        Ok(Self {
            width,
            height,
            stride,
            data,
        })
    }

    /// Frame width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Frame height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// The pixels as one contiguous `width × height` buffer (borrowed when already packed).
    fn packed(&self) -> std::borrow::Cow<'a, [u8]> {
        let (w, h, s) = (
            self.width as usize,
            self.height as usize,
            self.stride as usize,
        );
        if w == s {
            // `new` checked data.len() >= w * h in this case.
            return std::borrow::Cow::Borrowed(self.data.get(..w * h).unwrap_or(&[]));
        }
        let mut out = Vec::with_capacity(w * h);
        for row in self.data.chunks(s).take(h) {
            out.extend_from_slice(row.get(..w).unwrap_or(row));
        }
        std::borrow::Cow::Owned(out)
    }
}

/// Live frames: our local-mean threshold at half resolution (low contrast, uneven light,
/// noise, JPEG, moiré), then rxing's hybrid binariser at full resolution (small codes); only
/// if either saw finder patterns it could not read, the local mean at full resolution (glare,
/// defocus, mixed). Measured against the alternatives in docs/MEET.md.
const FAST: Strategy<'static> = Strategy {
    always: &[
        Pass::LocalMean {
            down: 2,
            radius: 8,
            floor: 2,
        },
        Pass::Hybrid,
    ],
    if_candidates: &[Pass::LocalMean {
        down: 1,
        radius: 16,
        floor: 2,
    }],
    gate: Gate::Patterns(2),
    try_harder: false,
    grid: true,
};

/// Stills: every pass whatever the first ones found, every third row scanned.
const THOROUGH: Strategy<'static> = Strategy {
    always: &[
        Pass::LocalMean {
            down: 2,
            radius: 8,
            floor: 2,
        },
        Pass::Hybrid,
        Pass::LocalMean {
            down: 1,
            radius: 16,
            floor: 2,
        },
        Pass::HybridDown(3),
    ],
    if_candidates: &[],
    gate: Gate::Sets,
    try_harder: true,
    grid: true,
};

fn hints() -> DecodeHints {
    DecodeHints {
        PossibleFormats: Some(HashSet::from([BarcodeFormat::QR_CODE])),
        TryHarder: Some(true),
        AlsoInverted: Some(true),
        ..DecodeHints::default()
    }
}

/// Decodes the text of a QR code in a packed grayscale buffer.
fn decode_packed(
    data: &[u8],
    width: u32,
    height: u32,
    effort: ScanEffort,
) -> Result<String, MeetError> {
    let strategy = match effort {
        ScanEffort::Fast => &FAST,
        ScanEffort::Thorough => &THOROUGH,
    };
    if let Some(t) = decode_with(data, width, height, strategy) {
        return Ok(t);
    }
    if effort == ScanEffort::Thorough {
        // Last resort for stills: inverted colours and rxing's port of zxing's Java reader.
        let source =
            Luma8Source::new_with_slice(data, width, height).map_err(|e| MeetError::BadFrame {
                reason: e.to_string(),
            })?;
        let mut bitmap = BinaryBitmap::new(HybridBinarizer::new(source));
        let h = hints();
        if let Ok(r) = QrReader.decode_with_hints(&mut bitmap, &h) {
            return Ok(r.getText().to_string());
        }
        if let Ok(r) = QRCodeReader.decode_with_hints(&mut bitmap, &h) {
            return Ok(r.getText().to_string());
        }
    }
    Err(MeetError::NoCode)
}

fn decode_with(data: &[u8], width: u32, height: u32, strategy: &Strategy<'_>) -> Option<String> {
    run(
        Gray {
            w: width as usize,
            h: height as usize,
            px: data,
        },
        strategy,
    )
}

/// Runs exactly the given strategy over a frame (for the benchmark's comparison of options).
#[doc(hidden)]
pub fn decode_frame_with(frame: &LumaFrame<'_>, strategy: &Strategy<'_>) -> Option<String> {
    let packed = frame.packed();
    decode_with(&packed, frame.width, frame.height, strategy)
}

/// Finds and reads the QR code in a camera frame; returns its text (not yet parsed).
pub fn decode_frame(frame: &LumaFrame<'_>, effort: ScanEffort) -> Result<String, MeetError> {
    let packed = frame.packed();
    decode_packed(&packed, frame.width, frame.height, effort)
}

/// Finds and reads the QR code in a grayscale image.
pub fn decode_luma(img: &GrayImage, effort: ScanEffort) -> Result<String, MeetError> {
    let frame = LumaFrame::new(img.width(), img.height(), img.width(), img.as_raw())?;
    decode_frame(&frame, effort)
}

/// Finds and reads the QR code in PNG or JPEG bytes (thorough effort; large photos are
/// downscaled to [`MAX_DECODE_SIDE`]).
pub fn decode_image(bytes: &[u8]) -> Result<String, MeetError> {
    let bad = |e: &dyn std::fmt::Display| MeetError::BadImage {
        reason: e.to_string(),
    };
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| bad(&e))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_IMAGE_ALLOC);
    reader.limits(limits);
    let img = reader.decode().map_err(|e| bad(&e))?.into_luma8();
    let (w, h) = img.dimensions();
    let longest = w.max(h);
    let img = if longest > MAX_DECODE_SIDE {
        let nw = (u64::from(w) * u64::from(MAX_DECODE_SIDE) / u64::from(longest)).max(1) as u32;
        let nh = (u64::from(h) * u64::from(MAX_DECODE_SIDE) / u64::from(longest)).max(1) as u32;
        image::imageops::resize(&img, nw, nh, image::imageops::FilterType::Triangle)
    } else {
        img
    };
    decode_luma(&img, ScanEffort::Thorough)
}

/// Reads a Freeport code from a camera frame: decode, then parse the text.
pub fn scan_frame(frame: &LumaFrame<'_>) -> Result<Code, MeetError> {
    parse_code(&decode_frame(frame, ScanEffort::Fast)?)
}

/// Reads a Freeport code from PNG or JPEG bytes.
pub fn scan_image(bytes: &[u8]) -> Result<Code, MeetError> {
    parse_code(&decode_image(bytes)?)
}

/// Reads a Freeport code from text (pasted, or received over the encrypted channel).
pub fn scan_text(text: &str) -> Result<Code, MeetError> {
    parse_code(text)
}
