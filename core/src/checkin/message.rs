//! The check-in messages: versioned JSON carried as the content of a NIP-17 rumor (kind 14),
//! never anything else (not kind 4, never public). One JSON object per message:
//!
//! ```text
//! {"v":1,"type":"checkin.share","id":<hex32>,"seq":0,"ts":<unix>,"deadline":<unix>,
//!  "meet_at"?:<unix>,
//!  "meeting":{"pubkey":<hex64>,"name"?:<s>,"phone"?:<masked>,
//!             "screening":{"deals":n,"partners":n,"in_network":n,"met":n,"verified_by":n,
//!                          "new_account":b,"verdict":"trusted"|"caution"|"unknown"|"warning"}},
//!  "place":{"name"?:<s>,"geohash"?:<geohash>}}
//! {"v":1,"type":"checkin.extend","id":…,"seq":n,"ts":…,"deadline":<unix>}
//! {"v":1,"type":"checkin.close","id":…,"seq":n,"ts":…,"status":"safe"|"help"}
//! {"v":1,"type":"checkin.cancel","id":…,"seq":n,"ts":…}
//! ```
//!
//! `id` names the check-in (16 random bytes), `seq` orders its messages (the share is 0, each
//! later message one more), `ts` is the sender's clock when it was written, `deadline` absolute
//! unix seconds in the sender's clock. `status` `"help"` is the duress closing; both statuses
//! have four letters so the two closings encrypt to the same size. The parser is strict on
//! structure and limits and ignores unknown keys (additive extensions).

use serde_json::{Map, Value, json};

use nostr::PublicKey;

use super::{Closing, MAX_MESSAGE_BYTES, MAX_NAME_CHARS, MAX_PHONE_CHARS, MAX_PLACE_CHARS};
use crate::protocol::intent::validate_geohash;
use crate::protocol::{
    ProtocolError, VERSION, content_object, excerpt, json_type, opt_str, req_str, req_u64,
};
use crate::reputation::Verdict;

/// Message type prefix: a DM whose `type` starts with it is a check-in, not a deal envelope.
pub const TYPE_PREFIX: &str = "checkin.";

const T_SHARE: &str = "checkin.share";
const T_EXTEND: &str = "checkin.extend";
const T_CLOSE: &str = "checkin.close";
const T_CANCEL: &str = "checkin.cancel";

const STATUS_SAFE: &str = "safe";
const STATUS_DURESS: &str = "help";

/// A check-in's id: 32 lowercase hex characters (16 random bytes).
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CheckinId(String);

impl CheckinId {
    /// A fresh random id.
    pub fn random() -> Self {
        let bytes: [u8; 16] = rand::random();
        Self(hex::encode(bytes))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CheckinId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CheckinId {
    type Error = ProtocolError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        if s.len() == 32
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            Ok(Self(s))
        } else {
            Err(ProtocolError::field(
                "id",
                format!("`{}` is not 32 lowercase hex characters", excerpt(&s)),
            ))
        }
    }
}

impl std::str::FromStr for CheckinId {
    type Err = ProtocolError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::try_from(s.to_string())
    }
}

impl From<CheckinId> for String {
    fn from(id: CheckinId) -> Self {
        id.0
    }
}

/// The screening card of the person met, as the user saw it when sharing.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ScreeningSnapshot {
    pub deals: u32,
    pub partners: u32,
    pub partners_in_network: u32,
    pub met_in_person: u32,
    pub verified_by: u32,
    pub new_account: bool,
    pub verdict: Verdict,
}

/// Who the user meets.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Meeting {
    /// Their key.
    pub pubkey: PublicKey,
    /// Their display name, if they published one.
    pub name: Option<String>,
    /// Their phone, masked (never the full number).
    pub phone: Option<String>,
    /// The screening card as the user saw it.
    pub screening: ScreeningSnapshot,
}

/// Where.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Place {
    /// A name the user typed (or the deal's place).
    pub name: Option<String>,
    /// A geohash at the precision the user picked.
    pub geohash: Option<String>,
}

/// The check-in itself (`checkin.share`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Share {
    pub id: CheckinId,
    /// When it was written (sender's clock).
    pub ts: u64,
    /// The deadline (absolute, sender's clock).
    pub deadline: u64,
    /// When the meeting starts (sender's clock), if it is later than the share.
    pub meet_at: Option<u64>,
    pub meeting: Meeting,
    pub place: Place,
}

/// One check-in message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CheckinMessage {
    /// The check-in (sequence 0).
    Share(Box<Share>),
    /// A new deadline.
    Extend {
        id: CheckinId,
        seq: u32,
        ts: u64,
        deadline: u64,
    },
    /// Closed: safe or duress.
    Close {
        id: CheckinId,
        seq: u32,
        ts: u64,
        closing: Closing,
    },
    /// Called off.
    Cancel { id: CheckinId, seq: u32, ts: u64 },
}

impl CheckinMessage {
    /// The check-in it belongs to.
    pub fn id(&self) -> &CheckinId {
        match self {
            Self::Share(s) => &s.id,
            Self::Extend { id, .. } | Self::Close { id, .. } | Self::Cancel { id, .. } => id,
        }
    }

    /// Its place in the check-in's sequence (the share is 0).
    pub fn seq(&self) -> u32 {
        match self {
            Self::Share(_) => 0,
            Self::Extend { seq, .. } | Self::Close { seq, .. } | Self::Cancel { seq, .. } => *seq,
        }
    }

    /// When it was written (sender's clock).
    pub fn ts(&self) -> u64 {
        match self {
            Self::Share(s) => s.ts,
            Self::Extend { ts, .. } | Self::Close { ts, .. } | Self::Cancel { ts, .. } => *ts,
        }
    }

    /// The wire type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Share(_) => T_SHARE,
            Self::Extend { .. } => T_EXTEND,
            Self::Close { .. } => T_CLOSE,
            Self::Cancel { .. } => T_CANCEL,
        }
    }
}

/// `true` when `plaintext` is a JSON object whose `type` is a check-in type (so it is routed
/// here, not to the negotiation parser, whatever else is wrong with it).
pub fn is_checkin(plaintext: &str) -> bool {
    if plaintext.len() > crate::protocol::limits::MAX_CONTENT_BYTES {
        return false;
    }
    serde_json::from_str::<Value>(plaintext)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(|t| t.starts_with(TYPE_PREFIX)))
        .unwrap_or(false)
}

/// Builds the JSON of a message (checked with the parser's rules first).
pub fn build_message(m: &CheckinMessage) -> Result<String, ProtocolError> {
    let mut o = json!({
        "v": VERSION,
        "type": m.type_name(),
        "id": m.id().as_str(),
        "seq": m.seq(),
        "ts": m.ts(),
    });
    let map = o
        .as_object_mut()
        .ok_or_else(|| ProtocolError::field("content", "not an object"))?;
    match m {
        CheckinMessage::Share(s) => {
            check_share(s)?;
            map.insert("deadline".into(), json!(s.deadline));
            if let Some(t) = s.meet_at {
                map.insert("meet_at".into(), json!(t));
            }
            let mut meeting = json!({ "pubkey": s.meeting.pubkey.to_hex() });
            if let Some(mm) = meeting.as_object_mut() {
                if let Some(n) = &s.meeting.name {
                    mm.insert("name".into(), json!(n));
                }
                if let Some(p) = &s.meeting.phone {
                    mm.insert("phone".into(), json!(p));
                }
                let sc = &s.meeting.screening;
                mm.insert(
                    "screening".into(),
                    json!({
                        "deals": sc.deals,
                        "partners": sc.partners,
                        "in_network": sc.partners_in_network,
                        "met": sc.met_in_person,
                        "verified_by": sc.verified_by,
                        "new_account": sc.new_account,
                        "verdict": sc.verdict,
                    }),
                );
            }
            map.insert("meeting".into(), meeting);
            let mut place = Map::new();
            if let Some(n) = &s.place.name {
                place.insert("name".into(), json!(n));
            }
            if let Some(g) = &s.place.geohash {
                place.insert("geohash".into(), json!(g));
            }
            map.insert("place".into(), Value::Object(place));
        }
        CheckinMessage::Extend { deadline, .. } => {
            map.insert("deadline".into(), json!(deadline));
        }
        CheckinMessage::Close { closing, .. } => {
            let status = match closing {
                Closing::Safe => STATUS_SAFE,
                Closing::Duress => STATUS_DURESS,
            };
            map.insert("status".into(), json!(status));
        }
        CheckinMessage::Cancel { .. } => {}
    }
    let text = o.to_string();
    if text.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge {
            field: "content",
            actual: text.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    Ok(text)
}

/// Parses a check-in message.
pub fn parse_message(plaintext: &str) -> Result<CheckinMessage, ProtocolError> {
    if plaintext.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge {
            field: "content",
            actual: plaintext.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    let map = content_object(plaintext)?;
    crate::protocol::check_version(&map)?;
    let kind = req_str(&map, "type")?;
    let id: CheckinId = req_str(&map, "id")?.parse()?;
    let seq = u32::try_from(req_u64(&map, "seq")?)
        .map_err(|_| ProtocolError::field("seq", "out of range"))?;
    let ts = req_u64(&map, "ts")?;
    let later = |seq: u32| -> Result<u32, ProtocolError> {
        if seq == 0 {
            Err(ProtocolError::field("seq", "only the share has sequence 0"))
        } else {
            Ok(seq)
        }
    };
    match kind {
        T_SHARE => {
            if seq != 0 {
                return Err(ProtocolError::field("seq", "a share has sequence 0"));
            }
            let deadline = req_u64(&map, "deadline")?;
            let meet_at = match map.get("meet_at") {
                None | Some(Value::Null) => None,
                Some(_) => Some(req_u64(&map, "meet_at")?),
            };
            let meeting = object(&map, "meeting")?;
            let pubkey_hex = req_str(meeting, "pubkey")?;
            let pubkey = PublicKey::from_hex(pubkey_hex).map_err(|_| {
                ProtocolError::field("pubkey", format!("`{}` is not a key", excerpt(pubkey_hex)))
            })?;
            let sc = object(meeting, "screening")?;
            let count = |f: &'static str| -> Result<u32, ProtocolError> {
                u32::try_from(req_u64(sc, f)?).map_err(|_| ProtocolError::field(f, "out of range"))
            };
            let verdict = match req_str(sc, "verdict")? {
                "trusted" => Verdict::Trusted,
                "caution" => Verdict::Caution,
                "unknown" => Verdict::Unknown,
                "warning" => Verdict::Warning,
                other => {
                    return Err(ProtocolError::field(
                        "verdict",
                        format!("unknown verdict `{}`", excerpt(other)),
                    ));
                }
            };
            let new_account = match sc.get("new_account") {
                Some(Value::Bool(b)) => *b,
                None | Some(Value::Null) => {
                    return Err(ProtocolError::MissingField {
                        field: "new_account",
                    });
                }
                Some(other) => {
                    return Err(ProtocolError::field(
                        "new_account",
                        format!("must be a boolean, found {}", json_type(other)),
                    ));
                }
            };
            let place = match map.get("place") {
                None | Some(Value::Null) => Place::default(),
                Some(_) => {
                    let p = object(&map, "place")?;
                    Place {
                        name: opt_str(p, "name")?.map(str::to_string),
                        geohash: opt_str(p, "geohash")?.map(str::to_string),
                    }
                }
            };
            let share = Share {
                id,
                ts,
                deadline,
                meet_at,
                meeting: Meeting {
                    pubkey,
                    name: opt_str(meeting, "name")?.map(str::to_string),
                    phone: opt_str(meeting, "phone")?.map(str::to_string),
                    screening: ScreeningSnapshot {
                        deals: count("deals")?,
                        partners: count("partners")?,
                        partners_in_network: count("in_network")?,
                        met_in_person: count("met")?,
                        verified_by: count("verified_by")?,
                        new_account,
                        verdict,
                    },
                },
                place,
            };
            check_share(&share)?;
            Ok(CheckinMessage::Share(Box::new(share)))
        }
        T_EXTEND => Ok(CheckinMessage::Extend {
            id,
            seq: later(seq)?,
            ts,
            deadline: req_u64(&map, "deadline")?,
        }),
        T_CLOSE => {
            let closing = match req_str(&map, "status")? {
                STATUS_SAFE => Closing::Safe,
                STATUS_DURESS => Closing::Duress,
                other => {
                    return Err(ProtocolError::field(
                        "status",
                        format!("unknown status `{}`", excerpt(other)),
                    ));
                }
            };
            Ok(CheckinMessage::Close {
                id,
                seq: later(seq)?,
                ts,
                closing,
            })
        }
        T_CANCEL => Ok(CheckinMessage::Cancel {
            id,
            seq: later(seq)?,
            ts,
        }),
        other => Err(ProtocolError::field(
            "type",
            format!("unknown type `{}`", excerpt(other)),
        )),
    }
}

fn object<'a>(
    map: &'a Map<String, Value>,
    field: &'static str,
) -> Result<&'a Map<String, Value>, ProtocolError> {
    match map.get(field) {
        None | Some(Value::Null) => Err(ProtocolError::MissingField { field }),
        Some(Value::Object(o)) => Ok(o),
        Some(other) => Err(ProtocolError::field(
            field,
            format!("must be an object, found {}", json_type(other)),
        )),
    }
}

/// Text a person typed: no control characters, at most `max` characters, not blank.
fn check_text(field: &'static str, s: &str, max: usize) -> Result<(), ProtocolError> {
    if s.trim().is_empty() {
        return Err(ProtocolError::field(field, "is blank"));
    }
    let n = s.chars().count();
    if n > max {
        return Err(ProtocolError::TooLarge {
            field,
            actual: n,
            limit: max,
        });
    }
    if s.chars().any(char::is_control) {
        return Err(ProtocolError::field(field, "contains control characters"));
    }
    Ok(())
}

/// The rules every share follows, built or received.
fn check_share(s: &Share) -> Result<(), ProtocolError> {
    if let Some(n) = &s.meeting.name {
        check_text("name", n, MAX_NAME_CHARS)?;
    }
    if let Some(p) = &s.meeting.phone {
        check_text("phone", p, MAX_PHONE_CHARS)?;
        // Masked only: a number with every digit visible never travels in a check-in.
        match crate::contact::Mask::parse(p) {
            Ok(m) if is_masked(&m) => {}
            Ok(_) => return Err(ProtocolError::field("phone", "shows too many digits")),
            Err(_) => return Err(ProtocolError::field("phone", "not a phone mask")),
        }
    }
    if let Some(n) = &s.place.name {
        check_text("place", n, MAX_PLACE_CHARS)?;
    }
    if let Some(g) = &s.place.geohash {
        validate_geohash("geohash", g)?;
    }
    if s.deadline <= s.ts {
        return Err(ProtocolError::field("deadline", "not after the share"));
    }
    if let Some(t) = s.meet_at
        && t >= s.deadline
    {
        return Err(ProtocolError::field("meet_at", "not before the deadline"));
    }
    Ok(())
}

/// Most digits a carried mask may show (a country code of up to three digits and the last
/// four: what our display mask and the reference mask show).
pub const MAX_VISIBLE_DIGITS: usize = 7;

/// `true` when `m` hides at least one digit and shows at most [`MAX_VISIBLE_DIGITS`].
fn is_masked(m: &crate::contact::Mask) -> bool {
    let visible = m.to_text().chars().filter(char::is_ascii_digit).count();
    !m.is_full() && visible <= MAX_VISIBLE_DIGITS
}

/// The mask of a published profile phone for a check-in: a mask stays as it is; a full number
/// is masked (country code and last four digits shown); anything unreadable is left out.
pub fn masked_phone(published: &str) -> Option<String> {
    use crate::contact::{PublishedPhone, display_mask};
    match PublishedPhone::parse(published).ok()? {
        PublishedPhone::Full(n) => Some(display_mask(&n)),
        PublishedPhone::Mask(m) if is_masked(&m) => {
            let t = m.to_text();
            (t.chars().count() <= MAX_PHONE_CHARS).then_some(t)
        }
        PublishedPhone::Mask(_) => None,
    }
}
