//! Drawing a code as a QR symbol: PNG bytes, SVG text, terminal text (EC level M).

use std::fmt::Write as _;

use image::{GrayImage, ImageEncoder, Luma};
use qrcode::{Color, EcLevel, QrCode, Version};

use super::error::MeetError;

/// Largest module size accepted, in pixels (a 64 px module of a version-8 code is already a
/// 3.5k-pixel image).
pub const MAX_MODULE_PX: u32 = 64;
/// Largest quiet zone accepted, in modules (the QR standard asks for 4).
pub const MAX_QUIET_ZONE: u32 = 16;

/// Size options for raster and vector output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Pixels (PNG) or user units (SVG) per module, 1..=64.
    pub module_px: u32,
    /// Light border in modules, 0..=16 (4 is the standard minimum for reliable scanning).
    pub quiet_zone: u32,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            module_px: 8,
            quiet_zone: 4,
        }
    }
}

impl RenderOptions {
    /// The largest module size whose image (quiet zone included) fits in `px` pixels, for a
    /// code `modules` wide; at least 1.
    pub fn fit(px: u32, modules: u32, quiet_zone: u32) -> Self {
        let total = modules.saturating_add(quiet_zone.saturating_mul(2)).max(1);
        Self {
            module_px: (px / total).clamp(1, MAX_MODULE_PX),
            quiet_zone,
        }
    }

    fn check(&self) -> Result<(), MeetError> {
        if self.module_px == 0 || self.module_px > MAX_MODULE_PX {
            return Err(MeetError::Render {
                reason: format!(
                    "module_px {} is outside 1..={MAX_MODULE_PX}",
                    self.module_px
                ),
            });
        }
        if self.quiet_zone > MAX_QUIET_ZONE {
            return Err(MeetError::Render {
                reason: format!("quiet_zone {} is over {MAX_QUIET_ZONE}", self.quiet_zone),
            });
        }
        Ok(())
    }
}

/// A QR symbol's modules (`true` = dark), row-major.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    /// Modules per side.
    pub width: u32,
    /// QR version (1..=40).
    pub version: i16,
    dark: Vec<bool>,
}

/// QR error-correction level: the share of codewords a reader can restore (L 7 %, M 15 %,
/// Q 25 %, H 30 %), paid for with a larger symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrEcLevel {
    L,
    M,
    Q,
    H,
}

impl QrMatrix {
    /// Encodes `text` at error-correction level M (mode chosen by the encoder: our codes are
    /// all alphanumeric). Why M: docs/MEET.md, "Error-correction level and module size".
    pub fn encode(text: &str) -> Result<Self, MeetError> {
        Self::encode_at(text, QrEcLevel::M)
    }

    /// Encodes `text` at the given error-correction level (the benchmark compares them).
    pub fn encode_at(text: &str, level: QrEcLevel) -> Result<Self, MeetError> {
        let level = match level {
            QrEcLevel::L => EcLevel::L,
            QrEcLevel::M => EcLevel::M,
            QrEcLevel::Q => EcLevel::Q,
            QrEcLevel::H => EcLevel::H,
        };
        let code = QrCode::with_error_correction_level(text.as_bytes(), level).map_err(|e| {
            MeetError::Render {
                reason: e.to_string(),
            }
        })?;
        let version = match code.version() {
            Version::Normal(v) | Version::Micro(v) => v,
        };
        let width = u32::try_from(code.width()).map_err(|_| MeetError::Render {
            reason: "symbol too wide".into(),
        })?;
        let dark = code
            .to_colors()
            .into_iter()
            .map(|c| c == Color::Dark)
            .collect();
        Ok(Self {
            width,
            version,
            dark,
        })
    }

    /// Whether module (x, y) is dark; outside the symbol (the quiet zone) is light.
    pub fn is_dark(&self, x: i64, y: i64) -> bool {
        let w = i64::from(self.width);
        if x < 0 || y < 0 || x >= w || y >= w {
            return false;
        }
        let i = usize::try_from(y * w + x).unwrap_or(usize::MAX);
        self.dark.get(i).copied().unwrap_or(false)
    }

    /// The symbol as an 8-bit grayscale image (black on white).
    pub fn to_luma(&self, opts: &RenderOptions) -> Result<GrayImage, MeetError> {
        opts.check()?;
        let q = i64::from(opts.quiet_zone);
        let side_modules = self.width + 2 * opts.quiet_zone;
        let side = side_modules * opts.module_px;
        let m = i64::from(opts.module_px);
        Ok(GrayImage::from_fn(side, side, |x, y| {
            let mx = i64::from(x) / m - q;
            let my = i64::from(y) / m - q;
            Luma([if self.is_dark(mx, my) { 0 } else { 255 }])
        }))
    }

    /// The symbol as a PNG file.
    pub fn to_png(&self, opts: &RenderOptions) -> Result<Vec<u8>, MeetError> {
        let img = self.to_luma(opts)?;
        let mut out = Vec::new();
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::L8,
            )
            .map_err(|e| MeetError::Render {
                reason: e.to_string(),
            })?;
        Ok(out)
    }

    /// The symbol as a standalone SVG document (one path, crisp edges, white background).
    pub fn to_svg(&self, opts: &RenderOptions) -> Result<String, MeetError> {
        opts.check()?;
        let side = (self.width + 2 * opts.quiet_zone) * opts.module_px;
        let mut path = String::new();
        let w = i64::from(self.width);
        for y in 0..w {
            let mut x = 0;
            while x < w {
                if !self.is_dark(x, y) {
                    x += 1;
                    continue;
                }
                let start = x;
                while x < w && self.is_dark(x, y) {
                    x += 1;
                }
                // One horizontal run of dark modules per sub-path.
                let _ = write!(
                    path,
                    "M{} {}h{}v1h-{}z",
                    start + i64::from(opts.quiet_zone),
                    y + i64::from(opts.quiet_zone),
                    x - start,
                    x - start
                );
            }
        }
        let vb = self.width + 2 * opts.quiet_zone;
        Ok(format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{side}\" height=\"{side}\" \
             viewBox=\"0 0 {vb} {vb}\" shape-rendering=\"crispEdges\">\
             <rect width=\"{vb}\" height=\"{vb}\" fill=\"#fff\"/>\
             <path fill=\"#000\" d=\"{path}\"/></svg>"
        ))
    }

    /// The symbol as terminal text, two module rows per line with Unicode half blocks.
    /// `dark_terminal`: the terminal draws light glyphs on a dark background, so light modules
    /// are drawn as blocks and dark modules left blank (use `false` for light themes).
    pub fn to_terminal(&self, quiet_zone: u32, dark_terminal: bool) -> Result<String, MeetError> {
        if quiet_zone > MAX_QUIET_ZONE {
            return Err(MeetError::Render {
                reason: format!("quiet_zone {quiet_zone} is over {MAX_QUIET_ZONE}"),
            });
        }
        let q = i64::from(quiet_zone);
        let w = i64::from(self.width);
        let lit = |x: i64, y: i64| self.is_dark(x, y) != dark_terminal;
        let mut out = String::new();
        let mut y = -q;
        while y < w + q {
            for x in -q..w + q {
                out.push(match (lit(x, y), lit(x, y + 1) && y + 1 < w + q) {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    (false, false) => ' ',
                });
            }
            out.push('\n');
            y += 2;
        }
        Ok(out)
    }
}

/// PNG bytes of the QR for `text`.
pub fn render_png(text: &str, opts: &RenderOptions) -> Result<Vec<u8>, MeetError> {
    QrMatrix::encode(text)?.to_png(opts)
}

/// SVG document of the QR for `text`.
pub fn render_svg(text: &str, opts: &RenderOptions) -> Result<String, MeetError> {
    QrMatrix::encode(text)?.to_svg(opts)
}

/// Terminal text of the QR for `text` (standard 4-module quiet zone).
pub fn render_terminal(text: &str, dark_terminal: bool) -> Result<String, MeetError> {
    QrMatrix::encode(text)?.to_terminal(4, dark_terminal)
}
