//! Meetup check-ins with trusted contacts (issue #21; the pure part is [`crate::checkin`]).
//!
//! * Trusted contacts: a short local list (never published). Both sides keep one: a phone acts
//!   on check-ins only from keys on its own list, so a contact who removed you ignores yours, and
//!   a stranger's check-ins — a flood included — are refused (recorded with a typed reason) and
//!   alert nobody.
//! * Sharing: from a confirmed (or met) deal, to chosen contacts, as NIP-17 gift wraps only (no
//!   NIP-04, no copy to ourselves, never to the counterparty). The check-in, its messages in the
//!   outbox and nothing else are committed together; offline, the messages wait in the outbox
//!   and the view says "not yet sent" until a relay took them.
//! * Closing: "I'm safe", or duress (by flag, or by the duress PIN the user set): the same on
//!   this phone's screen and store; only the contacts' phones tell them apart.
//! * Receiving: routed from [`App::receive_dm`] before negotiation parsing. Each contact's copy
//!   ([`Watch`]) and its notices are written in one transaction with the gift wrap marked
//!   processed.
//! * The clock: [`App::checkin_tick`] raises the user's reminder shortly before their deadline
//!   and a contact's overdue alert past it; it runs at app open, in every background pass and
//!   while online, and [`App::checkin_next_alarm`] tells the platform when to wake for the next.
//! * A deal cancelled before the meetup cancels its check-in (`prepare_effects`): by us, always;
//!   by the counterparty, only while the meeting has not started — a counterparty cannot silence
//!   a check-in in progress by cancelling the deal.

use nostr::{Event, EventId, PublicKey, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::conversation::DmOutcome;
use super::deals::{Outgoing, parse_nego};
use super::notices::{Notice, NoticeDeal, NoticeKind, PendingNotice};
use super::{App, AppError, AppEvent, DealState, Refusal, RefusalCode, Rule, unix_now};
use crate::checkin::{
    CheckinAction, CheckinError, CheckinId, CheckinMessage, CheckinPolicy, CheckinState, Closing,
    MAX_NAME_CHARS, MAX_PLACE_CHARS, Meeting, Place, ScreeningSnapshot, SharedCheckin, Watch,
    WatchEvent, WatchPhase, build_message, message::masked_phone, parse_message,
};
use crate::identity::{parse_public_key, to_npub};
use crate::negotiation::{Effect, Side, State};
use crate::protocol::NegoId;
use crate::relay::{DecryptedDm, Transport, transport};
use crate::reputation::Verdict;
use crate::store::{CheckinRow, StoreError, StoreTx, TrustedRow, WatchRow};

/// Most trusted contacts a user keeps.
pub const MAX_TRUSTED_CONTACTS: usize = 20;
/// Most check-ins from one contact that may be waiting or open at once.
pub const MAX_LIVE_PER_SENDER: u64 = 16;
/// How long a contact's closed copy is kept (longer than a share stays acceptable, so a replay
/// always meets its copy).
pub const WATCH_RETENTION_SECS: u64 = 30 * 24 * 3600;
/// Most check-ins a list returns.
pub const MAX_LISTED: usize = 200;
/// Shortest and longest check-in PIN (digits).
pub const MIN_PIN_DIGITS: usize = 4;
pub const MAX_PIN_DIGITS: usize = 12;
/// Longest label a user gives a contact (characters).
pub const MAX_LABEL_CHARS: usize = 64;

/// Secret store entry of the check-in PINs (salted hashes).
const PINS_ENTRY: &str = "freeport.checkin.pins.v1";

/// How a check-in's messages stand in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum CheckinDelivery {
    /// A relay took every message.
    Sent,
    /// Messages wait in the outbox (offline): they go the moment a relay is reachable.
    NotYetSent,
}

/// A trusted contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct TrustedContactView {
    pub pubkey: String,
    pub npub: String,
    /// The name they publish, if this phone has their profile.
    pub name: Option<String>,
    /// The label the user gave them.
    pub label: Option<String>,
    pub added_at: u64,
    /// The deal they were added from, if any.
    pub from_deal: Option<String>,
}

/// A person in a check-in (a contact, or who shares it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CheckinPersonView {
    pub pubkey: String,
    pub npub: String,
    /// The user's label for them, else their published name.
    pub name: Option<String>,
}

/// The screening card of the person met, as the sharer saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CheckinScreeningView {
    pub deals: u32,
    pub partners: u32,
    pub partners_in_network: u32,
    pub met_in_person: u32,
    pub verified_by: u32,
    pub new_account: bool,
    pub verdict: Verdict,
}

/// Who is met.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CheckinMeetingView {
    pub pubkey: String,
    pub npub: String,
    pub name: Option<String>,
    /// Masked (never the full number).
    pub phone: Option<String>,
    pub screening: CheckinScreeningView,
}

/// The user's own check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct CheckinView {
    pub id: String,
    pub nego: String,
    /// Never `duress`: a duress closing reads `safe` here.
    pub state: CheckinState,
    pub shared_at: u64,
    /// When the meeting starts, if later than the share.
    pub meet_at: Option<u64>,
    /// The deadline now (countdown target).
    pub deadline: u64,
    /// When this phone reminds the user (`None`: done or closed).
    pub remind_at: Option<u64>,
    pub contacts: Vec<CheckinPersonView>,
    pub meeting: CheckinMeetingView,
    pub place_name: Option<String>,
    pub geohash: Option<String>,
    pub delivery: CheckinDelivery,
    /// Messages still in the outbox.
    pub unsent: u32,
    /// What the user may do now.
    pub actions: Vec<CheckinAction>,
    pub closed_at: Option<u64>,
}

/// A deal's check-in as the deal screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct DealCheckinView {
    pub nego: String,
    /// The latest check-in of this deal, if any.
    pub checkin: Option<CheckinView>,
    /// What the user may do: `share` when a new one is possible, else the current one's.
    pub actions: Vec<CheckinAction>,
    /// Why sharing is not offered (when no check-in is open): a code to word, or `None`.
    pub share_refusal: Option<Refusal>,
}

/// A check-in someone shares with the user (the contact's side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct WatchedCheckinView {
    pub id: String,
    pub from: CheckinPersonView,
    pub state: CheckinState,
    /// When they wrote it (their clock).
    pub shared_at: u64,
    /// When it arrived (our clock).
    pub received_at: u64,
    pub meet_at: Option<u64>,
    /// Their deadline (their clock).
    pub deadline: u64,
    /// When this phone alerts unless it is closed first (our clock; `None` once alerted or
    /// closed).
    pub alarm_at: Option<u64>,
    /// Their deadline in our clock (their clock's observed lead taken off) while the check-in is
    /// open, alerted or not; `None` once closed. What a countdown counts to.
    pub due_at: Option<u64>,
    pub meeting: CheckinMeetingView,
    pub place_name: Option<String>,
    pub geohash: Option<String>,
    /// How far their clock runs ahead of ours as observed (seconds; negative: behind, or the
    /// messages came late).
    pub clock_offset_secs: Option<i64>,
    /// The offset is large enough to mention (over a minute either way).
    pub clock_skewed: bool,
    pub closed_at: Option<u64>,
}

/// What a check-in notice carries: everything a contact needs to act (who, with whom, where,
/// when, the counterparty's key and masked number). No full number, no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct CheckinAlert {
    pub id: String,
    pub from: CheckinPersonView,
    pub meeting: CheckinMeetingView,
    pub place_name: Option<String>,
    pub geohash: Option<String>,
    pub meet_at: Option<u64>,
    /// Their deadline (their clock).
    pub deadline: u64,
}

/// What to share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckinShare {
    pub nego: String,
    /// Trusted contacts to share with (npub, nprofile, hex or nostr: URI).
    pub contacts: Vec<String>,
    /// Absolute unix seconds.
    pub deadline: u64,
    /// Where (default: the deal's place).
    pub place_name: Option<String>,
    /// A geohash at the precision the user picks (default: the deal's place's).
    pub geohash: Option<String>,
}

/// What the store keeps of a trusted contact (sealed).
#[derive(Debug, Default, Serialize, Deserialize)]
struct TrustedBody {
    label: Option<String>,
    from_deal: Option<String>,
}

/// What the store keeps of the user's own check-in (sealed).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MineBody {
    checkin: SharedCheckin,
    /// Ids of our messages that were in the outbox when last written.
    pending: Vec<EventId>,
    /// The deadline whose reminder was raised.
    reminded_for: Option<u64>,
}

/// Salted hashes of the check-in PINs (kept in the secret store).
#[derive(Serialize, Deserialize)]
struct Pins {
    salt: String,
    safe: String,
    duress: String,
}

fn pin_hash(salt: &str, pin: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"freeport/checkin-pin/v1|");
    h.update(salt.as_bytes());
    h.update(b"|");
    h.update(pin.as_bytes());
    hex::encode(h.finalize())
}

/// The rule a PIN breaks, if any.
fn pin_rule(pin: &str) -> Option<Rule> {
    let n = pin.chars().count();
    if n == 0 {
        Some(Rule::Required)
    } else if !pin.chars().all(|c| c.is_ascii_digit()) {
        Some(Rule::NotANumber)
    } else if n < MIN_PIN_DIGITS {
        Some(Rule::TooShort {
            min: crate::rules::count(MIN_PIN_DIGITS),
        })
    } else if n > MAX_PIN_DIGITS {
        Some(Rule::TooLong {
            max: crate::rules::count(MAX_PIN_DIGITS),
        })
    } else {
        None
    }
}

/// The rule a person's text breaks (label, place name), if any.
fn text_rule(s: &str, max: usize) -> Option<Rule> {
    if s.trim().is_empty() {
        Some(Rule::Blank)
    } else if s.chars().count() > max {
        Some(Rule::TooLong {
            max: crate::rules::count(max),
        })
    } else if s.chars().any(char::is_control) {
        Some(Rule::ControlCharacters)
    } else {
        None
    }
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal {
        reason: e.to_string(),
    }
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: format!("{what}: {e}"),
    }
}

/// A local check-in operation's error as the app reports it.
fn local_error(e: CheckinError) -> AppError {
    match e {
        CheckinError::Wire(p) => AppError::Protocol(p),
        CheckinError::Closed { state } => {
            AppError::refused("checkin", Refusal::CheckinClosed { state })
        }
        CheckinError::DeadlineTooSoon { min_lead_secs, .. } => AppError::invalid(
            "deadline",
            Rule::TooSoon {
                min_secs: min_lead_secs,
            },
        ),
        CheckinError::DeadlineTooFar { max_ahead_secs, .. } => AppError::invalid(
            "deadline",
            Rule::TooFarAhead {
                max_secs: max_ahead_secs,
            },
        ),
        CheckinError::Recipients { found: 0, .. } => AppError::invalid("contacts", Rule::Required),
        CheckinError::Recipients { max, .. } => AppError::invalid(
            "contacts",
            Rule::TooMany {
                max: crate::rules::count(max),
            },
        ),
        CheckinError::TooManyUpdates { max } => {
            AppError::invalid("deadline", Rule::TooMany { max })
        }
        other => internal(other),
    }
}

fn mine_row(body: &MineBody, policy: &CheckinPolicy, now: u64) -> Result<CheckinRow, AppError> {
    let c = &body.checkin;
    let remind_at = c
        .remind_at(policy)
        .filter(|_| body.reminded_for != Some(c.deadline));
    Ok(CheckinRow {
        id: c.id().to_string(),
        nego: c.nego.clone(),
        open: c.is_open(),
        remind_at,
        updated_at: now,
        body: serde_json::to_vec(body).map_err(internal)?,
    })
}

fn read_mine(row: &CheckinRow) -> Result<MineBody, StoreError> {
    serde_json::from_slice(&row.body).map_err(|e| corrupt("check-in", e))
}

fn watch_row(w: &Watch, policy: &CheckinPolicy) -> Result<WatchRow, StoreError> {
    let alarm_at = w.alarm_at(policy).filter(|_| w.alerted != Some(w.deadline));
    Ok(WatchRow {
        sender: w.sender,
        id: w.id.to_string(),
        live: matches!(w.phase, WatchPhase::Waiting | WatchPhase::Open),
        alarm_at,
        updated_at: w.updated_at,
        body: serde_json::to_vec(w).map_err(|e| corrupt("watch", e))?,
    })
}

fn read_watch(row: &WatchRow) -> Result<Watch, StoreError> {
    serde_json::from_slice(&row.body).map_err(|e| corrupt("watch", e))
}

fn meeting_view(m: &Meeting) -> CheckinMeetingView {
    let s = &m.screening;
    CheckinMeetingView {
        pubkey: m.pubkey.to_hex(),
        npub: to_npub(&m.pubkey),
        name: m.name.clone(),
        phone: m.phone.clone(),
        screening: CheckinScreeningView {
            deals: s.deals,
            partners: s.partners,
            partners_in_network: s.partners_in_network,
            met_in_person: s.met_in_person,
            verified_by: s.verified_by,
            new_account: s.new_account,
            verdict: s.verdict,
        },
    }
}

/// The place of a deal's terms: the first of `location`, `from`, `place`, `pickup` that is a
/// place object (a name and/or a geohash).
fn deal_place(terms: &serde_json::Value) -> Place {
    for key in ["location", "from", "place", "pickup"] {
        let Some(o) = terms.get(key).and_then(|v| v.as_object()) else {
            continue;
        };
        let name = o
            .get("name")
            .and_then(|v| v.as_str())
            .filter(|n| text_rule(n, MAX_PLACE_CHARS).is_none())
            .map(str::to_string);
        let geohash = o
            .get("geohash")
            .and_then(|v| v.as_str())
            .filter(|g| crate::protocol::intent::geohash_rule(g).is_none())
            .map(str::to_string);
        if name.is_some() || geohash.is_some() {
            return Place { name, geohash };
        }
    }
    Place::default()
}

/// When the deal's meeting starts, from its terms' `window.start`.
fn deal_meet_at(terms: &serde_json::Value) -> Option<u64> {
    terms.get("window")?.get("start")?.as_u64()
}

/// Whether a deal in `state` may get a check-in.
fn deal_allows_checkin(state: State) -> bool {
    matches!(
        state,
        State::Confirmed | State::CancelRequested { .. } | State::Met
    )
}

impl App {
    fn policy(&self) -> CheckinPolicy {
        self.inner.cfg.checkin
    }

    // ---- trusted contacts ----------------------------------------------------------------

    fn person(&self, pk: &PublicKey, label: Option<String>) -> CheckinPersonView {
        CheckinPersonView {
            pubkey: pk.to_hex(),
            npub: to_npub(pk),
            name: label.or_else(|| self.profile_of(pk).and_then(|p| p.name)),
        }
    }

    /// A contact as shown: their label if the user gave one, else their published name.
    fn person_of(&self, pk: &PublicKey) -> CheckinPersonView {
        let label = self
            .inner
            .store
            .transaction(|tx| tx.trusted_get(pk))
            .ok()
            .flatten()
            .and_then(|r| serde_json::from_slice::<TrustedBody>(&r.body).ok())
            .and_then(|b| b.label);
        self.person(pk, label)
    }

    fn trusted_view(&self, r: &TrustedRow) -> TrustedContactView {
        let body: TrustedBody = serde_json::from_slice(&r.body).unwrap_or_default();
        TrustedContactView {
            pubkey: r.pubkey.to_hex(),
            npub: to_npub(&r.pubkey),
            name: self.profile_of(&r.pubkey).and_then(|p| p.name),
            label: body.label,
            added_at: r.added_at,
            from_deal: body.from_deal,
        }
    }

    /// The user's trusted contacts, oldest first. Local only: never published.
    pub fn trusted_contacts(&self) -> Result<Vec<TrustedContactView>, AppError> {
        let rows = self.inner.store.transaction(|tx| tx.trusted_all())?;
        Ok(rows.iter().map(|r| self.trusted_view(r)).collect())
    }

    fn put_trusted(
        &self,
        pk: PublicKey,
        label: Option<String>,
        from_deal: Option<String>,
    ) -> Result<TrustedContactView, AppError> {
        if self.public_key().ok() == Some(pk) {
            return Err(AppError::invalid("key", Rule::IsOwnKey));
        }
        if self.is_blocked(&pk) {
            return Err(AppError::refused("trusted contact", Refusal::Blocked));
        }
        let label = label
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());
        if let Some(rule) = label.as_deref().and_then(|l| text_rule(l, MAX_LABEL_CHARS)) {
            return Err(AppError::invalid("label", rule));
        }
        let now = unix_now();
        let body = serde_json::to_vec(&TrustedBody { label, from_deal }).map_err(internal)?;
        let row = self.inner.store.transaction(|tx| {
            let existing = tx.trusted_get(&pk)?;
            if existing.is_none() && tx.trusted_count()? >= MAX_TRUSTED_CONTACTS as u64 {
                return Ok(None);
            }
            let row = TrustedRow {
                pubkey: pk,
                added_at: existing.map_or(now, |e| e.added_at),
                body,
            };
            tx.trusted_put(&row)?;
            Ok(Some(row))
        })?;
        match row {
            Some(r) => Ok(self.trusted_view(&r)),
            None => Err(AppError::refused(
                "trusted contact",
                Refusal::TooManyTrustedContacts {
                    max: crate::rules::count(MAX_TRUSTED_CONTACTS),
                },
            )),
        }
    }

    /// Adds a trusted contact by key (npub, nprofile, hex or `nostr:` URI, as a scanned profile
    /// QR gives it), with an optional label; adding one again updates the label. Refused: our
    /// own key, a blocked key, more than [`MAX_TRUSTED_CONTACTS`].
    pub fn add_trusted_contact(
        &self,
        key: &str,
        label: Option<String>,
    ) -> Result<TrustedContactView, AppError> {
        let pk = parse_public_key(key)?;
        self.put_trusted(pk, label, None)
    }

    /// Adds the counterparty of a past deal as a trusted contact.
    pub fn add_trusted_contact_from_deal(
        &self,
        nego: &str,
        label: Option<String>,
    ) -> Result<TrustedContactView, AppError> {
        let nego = parse_nego(nego)?;
        let (n, _) = self.load_thread(&nego)?;
        self.put_trusted(n.counterparty(), label, Some(nego.to_string()))
    }

    /// Removes a trusted contact; `true` if it was one. Their check-ins are ignored from now on
    /// (the ones already received stay, and their alarms still ring).
    pub fn remove_trusted_contact(&self, key: &str) -> Result<bool, AppError> {
        let pk = parse_public_key(key)?;
        Ok(self.inner.store.transaction(|tx| tx.trusted_remove(&pk))?)
    }

    // ---- PINs --------------------------------------------------------------------------------

    /// `true` when the user set check-in PINs (then "I'm safe" asks for one).
    pub fn checkin_pins_set(&self) -> bool {
        matches!(self.inner.secrets.get(PINS_ENTRY.to_string()), Ok(Some(_)))
    }

    /// Sets the two check-in PINs: the usual one, and the duress one, which closes a check-in the
    /// same way on screen but tells the contacts the user is not OK. Kept (salted and hashed)
    /// in the platform's secret store.
    pub fn set_checkin_pins(&self, safe_pin: &str, duress_pin: &str) -> Result<(), AppError> {
        let mut violations = Vec::new();
        if let Some(r) = pin_rule(safe_pin) {
            violations.push(super::FieldViolation::new("safe_pin", r));
        }
        if let Some(r) = pin_rule(duress_pin) {
            violations.push(super::FieldViolation::new("duress_pin", r));
        }
        if violations.is_empty() && safe_pin == duress_pin {
            violations.push(super::FieldViolation::new(
                "duress_pin",
                Rule::MustDiffer {
                    from: "safe_pin".into(),
                },
            ));
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidInput { violations });
        }
        let salt = hex::encode(rand::random::<[u8; 16]>());
        let pins = Pins {
            safe: pin_hash(&salt, safe_pin),
            duress: pin_hash(&salt, duress_pin),
            salt,
        };
        let bytes = serde_json::to_vec(&pins).map_err(internal)?;
        self.inner.secrets.set(PINS_ENTRY.to_string(), bytes)?;
        Ok(())
    }

    /// Removes the check-in PINs.
    pub fn clear_checkin_pins(&self) -> Result<(), AppError> {
        self.inner.secrets.delete(PINS_ENTRY.to_string())?;
        Ok(())
    }

    /// Which closing a PIN means.
    fn closing_for_pin(&self, pin: &str) -> Result<Closing, AppError> {
        let Some(bytes) = self.inner.secrets.get(PINS_ENTRY.to_string())? else {
            return Err(AppError::refused("checkin", Refusal::NoCheckinPins));
        };
        let pins: Pins = serde_json::from_slice(&bytes).map_err(internal)?;
        let h = pin_hash(&pins.salt, pin);
        if h == pins.duress {
            Ok(Closing::Duress)
        } else if h == pins.safe {
            Ok(Closing::Safe)
        } else {
            Err(AppError::refused("checkin", Refusal::WrongPin))
        }
    }

    // ---- the user's own check-ins ----------------------------------------------------------

    fn mine_view(&self, body: &MineBody, now: u64) -> Result<CheckinView, AppError> {
        let c = &body.checkin;
        let unsent = self
            .inner
            .store
            .transaction(|tx| tx.outbox_holding(&body.pending))?;
        let remind_at = c
            .remind_at(&self.policy())
            .filter(|_| body.reminded_for != Some(c.deadline));
        Ok(CheckinView {
            id: c.id().to_string(),
            nego: c.nego.clone(),
            state: c.state(now),
            shared_at: c.share.ts,
            meet_at: c.share.meet_at,
            deadline: c.deadline,
            remind_at,
            contacts: c.contacts.iter().map(|pk| self.person_of(pk)).collect(),
            meeting: meeting_view(&c.share.meeting),
            place_name: c.share.place.name.clone(),
            geohash: c.share.place.geohash.clone(),
            delivery: if unsent > 0 {
                CheckinDelivery::NotYetSent
            } else {
                CheckinDelivery::Sent
            },
            unsent,
            actions: c.actions(),
            closed_at: c.closed_at,
        })
    }

    /// The events that carry one check-in message to `contact`: a NIP-17 gift wrap to them
    /// only (no copy to ourselves: nothing on this phone's relays tells a closing apart).
    /// `None` for a blocked key.
    async fn checkin_events(
        &self,
        contact: &PublicKey,
        json: &str,
    ) -> Result<Option<Vec<Event>>, AppError> {
        if self.is_blocked(contact) {
            return Ok(None);
        }
        let keys = self.keys()?;
        let hint = self.dm_hint(contact).await?;
        let out = transport::build_nip17_with_hint(
            &keys,
            contact,
            json,
            Timestamp::from(unix_now()),
            hint.as_ref(),
        )
        .map_err(internal)?;
        Ok(Some(vec![out.to_peer]))
    }

    /// The events carrying `msg` to every contact of `c`.
    async fn checkin_outgoing(
        &self,
        c: &SharedCheckin,
        msg: &CheckinMessage,
    ) -> Result<Vec<Event>, AppError> {
        let json = build_message(msg)?;
        let mut events = Vec::new();
        for pk in &c.contacts {
            if let Some(ev) = self.checkin_events(pk, &json).await? {
                events.extend(ev);
            }
        }
        Ok(events)
    }

    /// The stored body after a message: the new check-in, its messages added to what is still
    /// pending.
    fn next_body(
        &self,
        old: Option<&MineBody>,
        checkin: SharedCheckin,
        events: &[Event],
    ) -> Result<MineBody, AppError> {
        let mut pending = Vec::new();
        if let Some(old) = old {
            let store = &self.inner.store;
            for id in &old.pending {
                if store.transaction(|tx| tx.outbox_holding(std::slice::from_ref(id)))? > 0 {
                    pending.push(*id);
                }
            }
        }
        pending.extend(events.iter().map(|e| e.id));
        Ok(MineBody {
            checkin,
            pending,
            reminded_for: old.and_then(|o| o.reminded_for),
        })
    }

    /// Commits a check-in change with its messages, then wakes the publisher.
    fn commit_mine(&self, body: &MineBody, events: &[Event]) -> Result<(), AppError> {
        let row = mine_row(body, &self.policy(), unix_now())?;
        self.inner.store.transaction(|tx| {
            tx.checkin_put(&row)?;
            for e in events {
                tx.outbox_enqueue(e)?;
            }
            Ok(())
        })?;
        if !events.is_empty()
            && let Ok(c) = self.client()
        {
            c.wake_outbox();
        }
        self.emit(AppEvent::CheckinChanged {
            id: body.checkin.id().to_string(),
        });
        Ok(())
    }

    /// The latest check-in of a deal.
    fn latest_of(&self, nego: &NegoId) -> Result<Option<MineBody>, AppError> {
        let rows = self
            .inner
            .store
            .transaction(|tx| tx.checkins_of_nego(&nego.to_string()))?;
        let mut bodies = Vec::new();
        for r in &rows {
            bodies.push(read_mine(r)?);
        }
        // Open first, then the newest share.
        bodies.sort_by_key(|b| (!b.checkin.is_open(), std::cmp::Reverse(b.checkin.share.ts)));
        Ok(bodies.into_iter().next())
    }

    /// Why a new check-in cannot be shared for this deal now, if it cannot.
    fn share_refusal(&self, state: State, open: bool) -> Result<Option<Refusal>, AppError> {
        if open {
            return Ok(Some(Refusal::CheckinOpen));
        }
        if !deal_allows_checkin(state) {
            return Ok(Some(Refusal::CheckinNeedsConfirmedDeal {
                state: DealState::from(state),
            }));
        }
        if self.inner.store.transaction(|tx| tx.trusted_count())? == 0 {
            return Ok(Some(Refusal::NoTrustedContacts));
        }
        Ok(None)
    }

    /// Shares a check-in for a confirmed (or met) deal with trusted contacts. One open check-in
    /// per deal; a new one once the previous is closed or cancelled.
    pub async fn checkin_share(&self, input: CheckinShare) -> Result<CheckinView, AppError> {
        let nego = parse_nego(&input.nego)?;
        let policy = self.policy();
        // Input rules first, each on its field.
        let mut violations = Vec::new();
        if let Some(r) = input
            .place_name
            .as_deref()
            .and_then(|n| text_rule(n, MAX_PLACE_CHARS))
        {
            violations.push(super::FieldViolation::new("place", r));
        }
        if let Some(r) = input
            .geohash
            .as_deref()
            .and_then(crate::protocol::intent::geohash_rule)
        {
            violations.push(super::FieldViolation::new("geohash", r));
        }
        if input.contacts.is_empty() {
            violations.push(super::FieldViolation::new("contacts", Rule::Required));
        }
        if !violations.is_empty() {
            return Err(AppError::InvalidInput { violations });
        }
        let mut contacts = Vec::new();
        for key in &input.contacts {
            contacts.push(parse_public_key(key)?);
        }

        let _g = self.inner.nego_lock.lock().await;
        let (n, _) = self.load_thread(&nego)?;
        let open = self.latest_of(&nego)?.is_some_and(|b| b.checkin.is_open());
        if let Some(why) = self.share_refusal(n.state(), open)? {
            return Err(AppError::refused("checkin share", why));
        }
        let peer = n.counterparty();
        for pk in &contacts {
            if *pk == peer {
                return Err(AppError::refused(
                    "checkin share",
                    Refusal::ContactIsCounterparty,
                ));
            }
            if !self.inner.store.transaction(|tx| tx.is_trusted(pk))? {
                return Err(AppError::refused(
                    "checkin share",
                    Refusal::NotATrustedContact { npub: to_npub(pk) },
                ));
            }
            if self.is_blocked(pk) {
                return Err(AppError::refused("checkin share", Refusal::Blocked));
            }
        }

        // What the user saw of the counterparty, now.
        let trust = self.viewer_trust()?;
        let card = self.screening_view_with(trust.as_ref(), &peer, false)?;
        let profile = self.profile_of(&peer);
        let meeting = Meeting {
            pubkey: peer,
            name: profile
                .as_ref()
                .and_then(|p| p.name.clone())
                .filter(|n| text_rule(n, MAX_NAME_CHARS).is_none()),
            phone: profile
                .as_ref()
                .and_then(|p| p.phone.as_deref())
                .and_then(masked_phone),
            screening: ScreeningSnapshot {
                deals: card.deals,
                partners: card.partners,
                partners_in_network: card.partners_in_network,
                met_in_person: card.met_in_person,
                verified_by: card.verified_by,
                new_account: card.new_account,
                verdict: card.verdict,
            },
        };
        let terms = n.confirmed_terms().unwrap_or(n.terms()).to_value();
        let from_deal = deal_place(&terms);
        let place = Place {
            name: input.place_name.clone().or(from_deal.name),
            geohash: input.geohash.clone().or(from_deal.geohash),
        };
        let now = unix_now();
        let (c, msg) = SharedCheckin::share(
            CheckinId::random(),
            nego.to_string(),
            contacts,
            meeting,
            place,
            deal_meet_at(&terms),
            input.deadline,
            now,
            &policy,
        )
        .map_err(local_error)?;
        let events = self.checkin_outgoing(&c, &msg).await?;
        let body = self.next_body(None, c, &events)?;
        self.commit_mine(&body, &events)?;
        drop(_g);
        self.mine_view(&body, unix_now())
    }

    /// Runs `f` on the deal's open check-in, sends what it produced, and returns the view.
    async fn change_mine(
        &self,
        nego: &str,
        f: impl FnOnce(&mut SharedCheckin, u64) -> Result<CheckinMessage, CheckinError>,
    ) -> Result<CheckinView, AppError> {
        let nego = parse_nego(nego)?;
        let _g = self.inner.nego_lock.lock().await;
        // The deal must be ours.
        self.load_thread(&nego)?;
        let Some(old) = self.latest_of(&nego)? else {
            return Err(AppError::refused("checkin", Refusal::NoCheckin));
        };
        let now = unix_now();
        let mut c = old.checkin.clone();
        let msg = f(&mut c, now).map_err(local_error)?;
        let events = self.checkin_outgoing(&c, &msg).await?;
        let body = self.next_body(Some(&old), c, &events)?;
        self.commit_mine(&body, &events)?;
        drop(_g);
        self.mine_view(&body, unix_now())
    }

    /// Moves the deadline of the deal's open check-in (the contacts get the new one).
    pub async fn checkin_extend(&self, nego: &str, deadline: u64) -> Result<CheckinView, AppError> {
        let policy = self.policy();
        self.change_mine(nego, move |c, now| c.extend(deadline, now, &policy))
            .await
    }

    /// "I'm safe": closes the deal's open check-in. With `duress`, the contacts are told the
    /// user is not OK; nothing on this phone differs (the view reads `safe` either way).
    pub async fn checkin_safe(&self, nego: &str, duress: bool) -> Result<CheckinView, AppError> {
        let closing = if duress {
            Closing::Duress
        } else {
            Closing::Safe
        };
        self.change_mine(nego, move |c, now| c.close(closing, now))
            .await
    }

    /// "I'm safe" with a PIN: the usual PIN closes it safe, the duress PIN closes it under
    /// duress (the same on screen); any other PIN is refused and changes nothing.
    pub async fn checkin_safe_with_pin(
        &self,
        nego: &str,
        pin: &str,
    ) -> Result<CheckinView, AppError> {
        let closing = self.closing_for_pin(pin)?;
        self.change_mine(nego, move |c, now| c.close(closing, now))
            .await
    }

    /// Calls the deal's open check-in off (the contacts stop waiting).
    pub async fn checkin_cancel(&self, nego: &str) -> Result<CheckinView, AppError> {
        self.change_mine(nego, |c, now| c.cancel(now)).await
    }

    /// The user's own check-ins: open ones first, then the newest.
    pub fn my_checkins(&self) -> Result<Vec<CheckinView>, AppError> {
        let rows = self
            .inner
            .store
            .transaction(|tx| tx.checkins_recent(MAX_LISTED))?;
        let now = unix_now();
        rows.iter()
            .map(|r| self.mine_view(&read_mine(r)?, now))
            .collect()
    }

    /// The deal screen's check-in: the latest one and what the user may do.
    pub fn deal_checkin(&self, nego: &str) -> Result<DealCheckinView, AppError> {
        let nego = parse_nego(nego)?;
        let (n, _) = self.load_thread(&nego)?;
        let latest = self.latest_of(&nego)?;
        let now = unix_now();
        let open = latest.as_ref().is_some_and(|b| b.checkin.is_open());
        let share_refusal = if open {
            None
        } else {
            self.share_refusal(n.state(), false)?
        };
        let checkin = latest.map(|b| self.mine_view(&b, now)).transpose()?;
        let actions = match (&checkin, open) {
            (Some(c), true) => c.actions.clone(),
            _ if share_refusal.is_none() => vec![CheckinAction::Share],
            _ => Vec::new(),
        };
        Ok(DealCheckinView {
            nego: nego.to_string(),
            checkin,
            actions,
            share_refusal,
        })
    }

    /// Called while preparing a deal's effects: when the deal is cancelled before the meetup,
    /// its open check-in is cancelled too (messages and record join the deal's transaction).
    /// By us, or by a cancel request either side agreed to: always. By them alone: only while
    /// the meeting has not started — a counterparty cannot call off a check-in in progress.
    pub(crate) async fn cancel_checkin_with_deal(
        &self,
        nego: &NegoId,
        effects: &[(NegoId, Effect)],
        out: &mut Outgoing,
    ) -> Result<(), AppError> {
        let mine = effects.iter().filter(|(n, _)| n == nego);
        let mut ours = false;
        let mut theirs = false;
        for (_, fx) in mine {
            match fx {
                Effect::Cancelled { by: Side::Us, .. } => ours = true,
                Effect::Cancelled { by: Side::Them, .. } => theirs = true,
                // A cancel request answered: we asked, or we agreed to theirs.
                Effect::StateChanged {
                    from: State::CancelRequested { .. },
                    to: State::Cancelled,
                } => ours = true,
                _ => {}
            }
        }
        if !ours && !theirs {
            return Ok(());
        }
        let Some(old) = self.latest_of(nego)? else {
            return Ok(());
        };
        let now = unix_now();
        if !old.checkin.is_open() || (!ours && old.checkin.state(now) != CheckinState::Planned) {
            return Ok(());
        }
        let mut c = old.checkin.clone();
        let msg = c.cancel(now).map_err(local_error)?;
        let events = self.checkin_outgoing(&c, &msg).await?;
        let body = self.next_body(Some(&old), c, &events)?;
        out.events.extend(events);
        out.checkins.push(mine_row(&body, &self.policy(), now)?);
        Ok(())
    }

    // ---- check-ins shared with the user ---------------------------------------------------

    fn alert_of(&self, w: &Watch) -> Option<CheckinAlert> {
        let s = w.share.as_ref()?;
        Some(CheckinAlert {
            id: w.id.to_string(),
            from: self.person_of(&w.sender),
            meeting: meeting_view(&s.meeting),
            place_name: s.place.name.clone(),
            geohash: s.place.geohash.clone(),
            meet_at: s.meet_at,
            deadline: w.deadline,
        })
    }

    fn watch_view(&self, w: &Watch, now: u64) -> Option<WatchedCheckinView> {
        let policy = self.policy();
        let s = w.share.as_ref()?;
        Some(WatchedCheckinView {
            id: w.id.to_string(),
            from: self.person_of(&w.sender),
            state: w.state(now, &policy),
            shared_at: s.ts,
            received_at: w.received_at,
            meet_at: s.meet_at,
            deadline: w.deadline,
            alarm_at: w
                .alarm_at(&policy)
                .filter(|_| w.alerted != Some(w.deadline)),
            due_at: w.due_at(&policy),
            meeting: meeting_view(&s.meeting),
            place_name: s.place.name.clone(),
            geohash: s.place.geohash.clone(),
            clock_offset_secs: w.clock_offset,
            clock_skewed: w.clock_offset.is_some_and(|o| o.abs() > 60),
            closed_at: w.closed_at,
        })
    }

    /// Check-ins contacts share with the user: open ones first, then the most recent.
    pub fn watched_checkins(&self) -> Result<Vec<WatchedCheckinView>, AppError> {
        let rows = self
            .inner
            .store
            .transaction(|tx| tx.watches_recent(MAX_LISTED))?;
        let now = unix_now();
        let mut out = Vec::new();
        for r in &rows {
            if let Some(v) = self.watch_view(&read_watch(r)?, now) {
                out.push(v);
            }
        }
        Ok(out)
    }

    /// One check-in a contact shares (the alert screen), by sender key and check-in id.
    pub fn watched_checkin(&self, from: &str, id: &str) -> Result<WatchedCheckinView, AppError> {
        let sender = parse_public_key(from)?;
        let row = self
            .inner
            .store
            .transaction(|tx| tx.watch_get(&sender, id))?;
        row.map(|r| read_watch(&r))
            .transpose()?
            .and_then(|w| self.watch_view(&w, unix_now()))
            .ok_or_else(|| AppError::refused("checkin", Refusal::NoCheckin))
    }

    /// The notice one watch event gives.
    fn watch_notice(&self, w: &Watch, ev: WatchEvent, now: u64) -> Option<PendingNotice> {
        let alert = self.alert_of(w)?;
        let base = format!("{}:{}", w.sender.to_hex(), w.id);
        let (key, kind) = match ev {
            WatchEvent::Received => (
                format!("checkin_received:{base}"),
                NoticeKind::CheckinReceived { checkin: alert },
            ),
            WatchEvent::Overdue { deadline } => (
                format!("checkin_overdue:{base}:{deadline}"),
                NoticeKind::CheckinOverdue { checkin: alert },
            ),
            WatchEvent::Closed(Closing::Safe) => (
                format!("checkin_safe:{base}"),
                NoticeKind::CheckinSafe { checkin: alert },
            ),
            WatchEvent::Closed(Closing::Duress) => (
                format!("checkin_duress:{base}"),
                NoticeKind::CheckinDuress { checkin: alert },
            ),
            // The countdown on screen shows the new deadline; cancelled needs no alarm.
            WatchEvent::Extended { .. } | WatchEvent::Cancelled => return None,
        };
        Some(PendingNotice {
            key,
            kind,
            deal: None,
            created_at: now,
        })
    }

    /// A check-in message from someone (routed here by [`App::receive_dm`]). Refused, with a
    /// typed reason and no notice: a message over NIP-04, from someone not on our trusted list,
    /// malformed, stale, or one too many. Otherwise the contact's copy and its notices are
    /// committed with the wrap marked processed.
    pub(crate) async fn receive_checkin(
        &self,
        dm: DecryptedDm,
        msg_id: EventId,
        wrap: Option<(EventId, u64)>,
    ) -> Result<DmOutcome, AppError> {
        let sender = dm.sender;
        let refuse = |code: RefusalCode, field: Option<&str>, detail: &str| {
            self.refuse(msg_id, sender, None, code, field, detail);
            if let Some((id, at)) = wrap {
                self.inner
                    .store
                    .transaction(|tx| tx.wrap_mark_processed(&id, at))?;
            }
            Ok(DmOutcome::Refused)
        };
        if dm.transport != Transport::Nip17 {
            return refuse(
                RefusalCode::Malformed,
                Some("transport"),
                "a check-in over NIP-04 (check-ins travel as gift wraps only)",
            );
        }
        if !self.inner.store.transaction(|tx| tx.is_trusted(&sender))? {
            return refuse(
                RefusalCode::NotAContact,
                None,
                "a check-in from a key that is not a trusted contact",
            );
        }
        let msg = match parse_message(&dm.plaintext) {
            Ok(m) => m,
            Err(p) => {
                let (code, field) = super::conversation::protocol_refusal(&p);
                return refuse(code, field, &p.to_string());
            }
        };
        let policy = self.policy();
        let now = unix_now();
        let id = msg.id().to_string();
        let existing = self
            .inner
            .store
            .transaction(|tx| tx.watch_get(&sender, &id))?;
        let mut w = match &existing {
            Some(r) => read_watch(r)?,
            None => {
                if self
                    .inner
                    .store
                    .transaction(|tx| tx.watch_live_count(&sender))?
                    >= MAX_LIVE_PER_SENDER
                {
                    return refuse(
                        RefusalCode::TooManyMessages,
                        None,
                        "too many check-ins from this contact at once",
                    );
                }
                Watch::new(sender, msg.id().clone(), now)
            }
        };
        let events = match w.apply(&msg, now, &policy) {
            Ok(ev) => ev,
            Err(CheckinError::Stale { .. }) => {
                return refuse(RefusalCode::Stale, None, "a check-in that ended long ago");
            }
            Err(CheckinError::TooManyHeld { .. }) => {
                return refuse(
                    RefusalCode::TooManyMessages,
                    None,
                    "too many updates to a check-in that has not arrived",
                );
            }
            Err(e) => return Err(internal(e)),
        };
        let notices: Vec<PendingNotice> = events
            .iter()
            .filter_map(|ev| self.watch_notice(&w, *ev, now))
            .collect();
        let row = watch_row(&w, &policy)?;
        let new = self.inner.store.transaction(|tx| {
            tx.watch_put(&row)?;
            let mut out = Vec::new();
            for n in &notices {
                out.extend(n.insert(tx)?);
            }
            if let Some((id, at)) = wrap {
                tx.wrap_mark_processed(&id, at)?;
            }
            Ok(out)
        })?;
        self.emit(AppEvent::CheckinChanged { id });
        self.emit_notices(new);
        // Online, the clock looks again (a check-in that came late alerts now); a background
        // pass ticks once everything it read is applied.
        self.inner.checkin_wake.notify_one();
        Ok(DmOutcome::Applied)
    }

    // ---- the clock ------------------------------------------------------------------------

    /// Raises what the clock says is due: the user's reminders shortly before their deadlines,
    /// and contacts' overdue alerts. Each once (per deadline). Returns the new notices (also
    /// announced to listeners). Runs at app open, in each background pass and while online;
    /// platforms call it when the alarm they scheduled for [`App::checkin_next_alarm`] rings.
    pub fn checkin_tick(&self) -> Result<Vec<Notice>, AppError> {
        let now = unix_now();
        let policy = self.policy();
        let store = &self.inner.store;
        let mut new = Vec::new();

        // The user's reminders.
        let due = store.transaction(|tx| tx.checkins_remind_due(now))?;
        for row in due {
            // One unreadable row must not stop the others' alarms.
            let body = match read_mine(&row) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!("check-in {} unreadable: {e}", row.id);
                    continue;
                }
            };
            let c = &body.checkin;
            let notice = PendingNotice {
                key: format!("checkin_reminder:{}:{}", c.id(), c.deadline),
                kind: NoticeKind::CheckinReminder {
                    checkin_id: c.id().to_string(),
                    deadline: c.deadline,
                },
                deal: self.reminder_deal(&c.nego),
                created_at: now,
            };
            let id = c.id().to_string();
            let got = store.transaction(|tx| {
                // Read again inside the transaction: an extension may have come in between.
                let Some(fresh) = tx.checkin_get(&id)? else {
                    return Ok(None);
                };
                let mut b = read_mine(&fresh)?;
                if !b.checkin.is_open() || b.reminded_for == Some(b.checkin.deadline) {
                    return Ok(None);
                }
                let deadline = b.checkin.deadline;
                // Moved meanwhile: the next tick reminds for the new deadline.
                if deadline != c.deadline || b.checkin.remind_at(&policy).is_none_or(|t| t > now) {
                    return Ok(None);
                }
                b.reminded_for = Some(deadline);
                let r = mine_row(&b, &policy, now).map_err(|e| corrupt("check-in", e))?;
                tx.checkin_put(&r)?;
                notice.insert(tx)
            })?;
            new.extend(got);
        }

        // Contacts' overdue alerts.
        let due = store.transaction(|tx| tx.watches_due(now))?;
        for row in due {
            let w = match read_watch(&row) {
                Ok(w) => w,
                Err(e) => {
                    tracing::warn!("watched check-in {} unreadable: {e}", row.id);
                    continue;
                }
            };
            // Built outside the write (names come from the store).
            let mut probe = w.clone();
            let notices: Vec<PendingNotice> = probe
                .tick(now, &policy)
                .into_iter()
                .filter_map(|ev| self.watch_notice(&probe, ev, now))
                .collect();
            let got = store.transaction(|tx| {
                let Some(fresh) = tx.watch_get(&w.sender, &w.id.to_string())? else {
                    return Ok(Vec::new());
                };
                let mut w = read_watch(&fresh)?;
                if w.tick(now, &policy).is_empty() {
                    // Closed or extended meanwhile: nothing to say.
                    return Ok(Vec::new());
                }
                tx.watch_put(&watch_row(&w, &policy)?)?;
                let mut out = Vec::new();
                for n in &notices {
                    out.extend(n.insert(tx)?);
                }
                Ok(out)
            })?;
            if !got.is_empty() {
                self.emit(AppEvent::CheckinChanged {
                    id: w.id.to_string(),
                });
            }
            new.extend(got);
        }
        self.emit_notices(new.clone());
        Ok(new)
    }

    fn reminder_deal(&self, nego: &str) -> Option<NoticeDeal> {
        let nego: NegoId = nego.parse().ok()?;
        let (n, rec) = self.load_thread(&nego).ok()?;
        Some(self.notice_deal(&nego, &rec.intent_id, n.market()))
    }

    /// When this phone must next act for check-ins (a reminder, or a contact's alarm), unix
    /// seconds; `None` when nothing is pending. Platforms schedule an exact alarm for it and
    /// call [`App::checkin_tick`] (or a background pass) when it rings.
    pub fn checkin_next_alarm(&self) -> Result<Option<u64>, AppError> {
        let (a, b) = self
            .inner
            .store
            .transaction(|tx| Ok((tx.checkin_next_remind()?, tx.watch_next_alarm()?)))?;
        Ok(match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Forgets contacts' check-ins that closed long ago.
    pub(crate) fn prune_checkins(&self) -> Result<(), AppError> {
        let before = unix_now().saturating_sub(WATCH_RETENTION_SECS);
        self.inner
            .store
            .transaction(|tx| tx.watches_prune(before))?;
        Ok(())
    }
}

/// Writes check-in rows a deal change carries (see [`Outgoing::checkins`]).
pub(crate) fn write_rows(tx: &StoreTx<'_>, rows: &[CheckinRow]) -> Result<(), StoreError> {
    for r in rows {
        tx.checkin_put(r)?;
    }
    Ok(())
}
