//! Profile metadata — kind 0 (FREEPORT-V1.md "Profile").
//!
//! Fields Freeport uses: `name, picture, about, link, lud16, phone, vehicle_model, plate`, plus
//! our extension `phone_commit` (64 hex). Users may already have a profile written by another
//! Nostr client, so [`build_profile`] starts from the existing content and replaces only our
//! fields: `display_name`, `nip05`, `banner` and anything else survive an update.

use nostr::{Event, EventBuilder, Kind, Timestamp};
use serde_json::{Map, Value};

use super::{
    ProtocolError, check_kind, content_object, excerpt, is_hex64, json_type, kinds, limits,
};

/// The profile fields Freeport reads and writes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    /// Display name.
    pub name: Option<String>,
    /// Avatar URL.
    pub picture: Option<String>,
    /// Free-form bio.
    pub about: Option<String>,
    /// A link the user chose to show.
    pub link: Option<String>,
    /// Lightning address.
    pub lud16: Option<String>,
    /// Phone: a mask (`+84•••••5678`, our default) or full E.164 (explicit opt-in).
    pub phone: Option<String>,
    /// Vehicle model (rideshare drivers).
    pub vehicle_model: Option<String>,
    /// Licence plate (rideshare drivers).
    pub plate: Option<String>,
    /// Our extension: salted commitment to the full phone number (64 lowercase hex).
    pub phone_commit: Option<String>,
}

/// `(field, max characters)` for every string field, in the order we write them.
const FIELDS: [(&str, usize); 9] = [
    ("name", 100),
    ("picture", 2048),
    ("about", 2000),
    ("link", 2048),
    ("lud16", 320),
    ("phone", 32),
    ("vehicle_model", 100),
    ("plate", 32),
    ("phone_commit", 64),
];

impl Profile {
    fn get(&self, field: &str) -> Option<&String> {
        match field {
            "name" => self.name.as_ref(),
            "picture" => self.picture.as_ref(),
            "about" => self.about.as_ref(),
            "link" => self.link.as_ref(),
            "lud16" => self.lud16.as_ref(),
            "phone" => self.phone.as_ref(),
            "vehicle_model" => self.vehicle_model.as_ref(),
            "plate" => self.plate.as_ref(),
            "phone_commit" => self.phone_commit.as_ref(),
            _ => None,
        }
    }

    fn slot(&mut self, field: &str) -> Option<&mut Option<String>> {
        match field {
            "name" => Some(&mut self.name),
            "picture" => Some(&mut self.picture),
            "about" => Some(&mut self.about),
            "link" => Some(&mut self.link),
            "lud16" => Some(&mut self.lud16),
            "phone" => Some(&mut self.phone),
            "vehicle_model" => Some(&mut self.vehicle_model),
            "plate" => Some(&mut self.plate),
            "phone_commit" => Some(&mut self.phone_commit),
            _ => None,
        }
    }

    /// Checks lengths and the `phone_commit` shape.
    pub fn validate(&self) -> Result<(), ProtocolError> {
        for (field, max) in FIELDS {
            if let Some(v) = self.get(field) {
                check_value(field, v, max)?;
            }
        }
        Ok(())
    }
}

fn check_value(field: &'static str, v: &str, max: usize) -> Result<(), ProtocolError> {
    let n = v.chars().count();
    if n > max {
        return Err(ProtocolError::TooLarge {
            field,
            actual: n,
            limit: max,
        });
    }
    if field == "phone_commit" && !is_hex64(v) {
        return Err(ProtocolError::field(
            "phone_commit",
            format!("`{}` is not 64 lowercase hex characters", excerpt(v)),
        ));
    }
    Ok(())
}

/// Parses a kind-0 profile. Unknown fields are ignored; a known field of the wrong type or over
/// its length limit is an error naming the field; empty strings and `null` read as absent.
pub fn parse_profile(event: &Event) -> Result<Profile, ProtocolError> {
    check_kind(event, kinds::PROFILE, "a profile (0)")?;
    let map = content_object(&event.content)?;
    let mut p = Profile::default();
    for (field, max) in FIELDS {
        let value = match map.get(field) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if s.is_empty() => continue,
            Some(Value::String(s)) => s,
            Some(other) => {
                return Err(ProtocolError::field(
                    field,
                    format!("must be a string, found {}", json_type(other)),
                ));
            }
        };
        check_value(field, value, max)?;
        if let Some(slot) = p.slot(field) {
            *slot = Some(value.clone());
        }
    }
    Ok(p)
}

/// Builds a kind-0 event with `profile`'s fields, keeping every other field of `existing` (the
/// user's current profile event, if any — written by us or by another client). Our fields that
/// are `None` are removed. If `existing` is not a readable kind-0 JSON object there is nothing
/// to keep and the profile starts empty. Sign with the same keys that signed `existing`.
pub fn build_profile(
    profile: &Profile,
    existing: Option<&Event>,
    created_at: Timestamp,
) -> Result<EventBuilder, ProtocolError> {
    profile.validate()?;
    let mut map: Map<String, Value> = existing
        .filter(|e| e.kind.as_u16() == kinds::PROFILE)
        .and_then(|e| content_object(&e.content).ok())
        .unwrap_or_default();
    for (field, _) in FIELDS {
        match profile.get(field) {
            Some(v) if !v.is_empty() => {
                map.insert(field.to_string(), Value::from(v.as_str()));
            }
            _ => {
                map.remove(field);
            }
        }
    }
    let content = Value::Object(map).to_string();
    if content.len() > limits::MAX_CONTENT_BYTES {
        return Err(ProtocolError::TooLarge {
            field: "content",
            actual: content.len(),
            limit: limits::MAX_CONTENT_BYTES,
        });
    }
    Ok(EventBuilder::new(Kind::Metadata, content).custom_created_at(created_at))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nostr::Keys;
    use serde_json::json;

    fn kind0(content: &str, keys: &Keys) -> Event {
        EventBuilder::new(Kind::Metadata, content)
            .sign_with_keys(keys)
            .unwrap()
    }

    fn full() -> Profile {
        Profile {
            name: Some("Linh".into()),
            picture: Some("https://img.example/linh.jpg".into()),
            about: Some("Driver, Hanoi".into()),
            link: Some("https://linh.example".into()),
            lud16: Some("linh@wallet.example".into()),
            phone: Some("+84•••••5678".into()),
            vehicle_model: Some("Honda Wave".into()),
            plate: Some("29-B1 123.45".into()),
            phone_commit: Some("0f".repeat(32)),
        }
    }

    #[test]
    fn round_trip_of_every_field() {
        let k = Keys::generate();
        let ev = build_profile(&full(), None, Timestamp::from(10))
            .unwrap()
            .sign_with_keys(&k)
            .unwrap();
        assert_eq!(ev.kind, Kind::Metadata);
        assert_eq!(parse_profile(&ev).unwrap(), full());
    }

    #[test]
    fn update_preserves_fields_of_other_clients() {
        let k = Keys::generate();
        let theirs = kind0(
            &json!({
                "name": "old", "display_name": "Linh N.", "nip05": "linh@example.org",
                "banner": "https://b", "about": "from another app", "bot": false
            })
            .to_string(),
            &k,
        );
        let mut ours = parse_profile(&theirs).unwrap();
        assert_eq!(ours.name.as_deref(), Some("old"));
        ours.name = Some("Linh".into());
        ours.about = None;
        ours.phone = Some("+84•••••5678".into());
        let ev = build_profile(&ours, Some(&theirs), Timestamp::from(20))
            .unwrap()
            .sign_with_keys(&k)
            .unwrap();
        let v: Value = serde_json::from_str(&ev.content).unwrap();
        assert_eq!(v["display_name"], "Linh N.");
        assert_eq!(v["nip05"], "linh@example.org");
        assert_eq!(v["banner"], "https://b");
        assert_eq!(v["bot"], false);
        assert_eq!(v["name"], "Linh");
        assert_eq!(v["phone"], "+84•••••5678");
        assert!(v.get("about").is_none(), "cleared field must be removed");
        // Garbage or a non-profile as `existing` leaves nothing to keep but does not fail.
        let junk = kind0("not json", &k);
        let ev = build_profile(&ours, Some(&junk), Timestamp::from(30))
            .unwrap()
            .sign_with_keys(&k)
            .unwrap();
        assert_eq!(parse_profile(&ev).unwrap(), ours);
    }

    #[test]
    fn tolerant_reading() {
        let k = Keys::generate();
        let ev = kind0(
            "{\"name\":\"\",\"about\":null,\"display_name\":7,\"website\":\"x\",\"lud16\":\"a@b\"}",
            &k,
        );
        let p = parse_profile(&ev).unwrap();
        assert_eq!(p.name, None);
        assert_eq!(p.about, None);
        assert_eq!(p.lud16.as_deref(), Some("a@b"));
        assert_eq!(parse_profile(&kind0("{}", &k)).unwrap(), Profile::default());
    }

    #[test]
    fn wrong_types_and_sizes_name_the_field() {
        let k = Keys::generate();
        for (field, content) in [
            ("name", json!({"name": 5})),
            ("phone", json!({"phone": ["+84"]})),
            ("plate", json!({"plate": {"x": 1}})),
            ("picture", json!({"picture": true})),
        ] {
            let err = parse_profile(&kind0(&content.to_string(), &k)).unwrap_err();
            assert!(
                matches!(&err, ProtocolError::InvalidField { field: f, .. } if *f == field),
                "{err:?}"
            );
        }
        let err =
            parse_profile(&kind0(&json!({"about": "a".repeat(2001)}).to_string(), &k)).unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::TooLarge {
                field: "about",
                actual: 2001,
                ..
            }
        ));
        let err =
            parse_profile(&kind0(&json!({"phone_commit": "xyz"}).to_string(), &k)).unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::InvalidField {
                field: "phone_commit",
                ..
            }
        ));
        assert!(matches!(
            parse_profile(&kind0("[]", &k)),
            Err(ProtocolError::NotJson { .. })
        ));
        let big = json!({"x": "a".repeat(limits::MAX_CONTENT_BYTES)}).to_string();
        assert!(matches!(
            parse_profile(&kind0(&big, &k)),
            Err(ProtocolError::TooLarge {
                field: "content",
                ..
            })
        ));
        let ev = EventBuilder::new(Kind::TextNote, "{}")
            .sign_with_keys(&k)
            .unwrap();
        assert!(matches!(
            parse_profile(&ev),
            Err(ProtocolError::WrongKind { found: 1, .. })
        ));
    }

    #[test]
    fn build_validates_and_caps_size() {
        let mut p = full();
        p.plate = Some("P".repeat(33));
        assert!(matches!(
            build_profile(&p, None, Timestamp::from(1)),
            Err(ProtocolError::TooLarge { field: "plate", .. })
        ));
        let mut p = full();
        p.phone_commit = Some("00".into());
        assert!(build_profile(&p, None, Timestamp::from(1)).is_err());
        // An existing profile that is already near the limit cannot grow past it.
        let k = Keys::generate();
        let fat = kind0(
            &json!({"banner": "b".repeat(limits::MAX_CONTENT_BYTES - 30)}).to_string(),
            &k,
        );
        assert!(matches!(
            build_profile(&full(), Some(&fat), Timestamp::from(1)),
            Err(ProtocolError::TooLarge {
                field: "content",
                ..
            })
        ));
    }
}
