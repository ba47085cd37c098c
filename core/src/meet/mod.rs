//! Single-use meetup codes (DESIGN §3.2, docs/MEET.md): the shower's signed receipt half as a
//! compact rotating QR, the scanner's verification and countersignature, the return code, the
//! short authentication words, QR rendering and decoding.
//!
//! Everything here is pure: the clock (`now`), the randomness for nonces and the used-nonce
//! ledger's answer are inputs; nothing reads files, the network, the clock or the database.
//! No input text, image or frame makes it panic.

mod detect;
pub mod error;
pub mod exchange;
mod grid;
pub mod render;
mod rs;
pub mod sas;
pub mod scan;
mod soft;
pub mod token;

pub use error::{CodeKind, CodeProblem, MeetError, humane_duration};
pub use exchange::{
    ClaimedShowerHalf, MeetContext, MeetPolicy, MeetSession, MetPair, ShownCode,
    VerifiedShowerHalf, countersign, make_meet_code, verify_return_code, verify_shower_token,
};
pub use render::{QrEcLevel, QrMatrix, RenderOptions, render_png, render_svg, render_terminal};
pub use sas::short_auth_words;
pub use scan::{
    LumaFrame, ScanEffort, decode_frame, decode_image, decode_luma, scan_frame, scan_image,
    scan_text,
};
pub use token::{Code, MEET_PREFIX, MeetToken, RETURN_PREFIX, ReturnToken, parse_code};

#[cfg(test)]
mod tests;
