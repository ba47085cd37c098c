//! Notices: what happened while the user was not looking, as codes with parameters (no
//! English; each platform words them). A notice is written in the same store transaction as the
//! change it reports, so it exists exactly when the change does; it stays *pending* until the
//! caller acknowledges it ([`App::ack_notices`]) after showing it, so a process killed in between
//! shows it again (under the same id) instead of losing it.
//!
//! What a notice never carries: terms, contact details (a phone number), message text, keys. It
//! names the deal (negotiation id, intent id, the intent's public title and market) so the
//! platform can group notifications per deal and open the right screen.
//!
//! Kinds and where they come from:
//!
//! | kind | source | channel |
//! |---|---|---|
//! | `new_quote` | a responder's first message on one of my intents | deals |
//! | `counter` | the other side proposed new terms | deals |
//! | `accepted` | the other side accepted the terms on the table (my turn) | deals |
//! | `confirmed` | both accepted: the deal is confirmed | deals |
//! | `cancel_requested` | the other side asks to cancel a confirmed deal | deals |
//! | `cancelled` | the other side cancelled | deals |
//! | `filled` | the owner took another offer ("Filled") | deals |
//! | `meet` | the other side scanned my meet code, or recorded the meeting I recorded | deals |
//! | `rating_received` | the counterparty of one of my deals rated me | ratings |
//! | `checkin_received` | a trusted contact shared a meetup check-in with me | safety |
//! | `checkin_overdue` | a contact's check-in deadline passed with no word from them | safety |
//! | `checkin_safe` | a contact closed their check-in: safe | safety |
//! | `checkin_duress` | a contact closed their check-in under duress: act now | safety |
//! | `checkin_reminder` | my own check-in's deadline is close (extend it or say I'm safe) | safety |
//!
//! Check-in notices (issue #21, `app/checkins.rs`) carry no deal of mine (except the
//! reminder): their parameters say who, with whom, where and until when, with the person met's
//! phone masked.

use serde::{Deserialize, Serialize};

use nostr::EventId;

use super::{App, AppError, AppEvent, unix_now};
use crate::negotiation::{Effect, Side, State};
use crate::protocol::NegoId;
use crate::protocol::envelope::Stage;
use crate::store::{NoticeInsert, NoticeRow, StoreTx};

/// Most notices one call returns; the rest stay pending for the next call.
pub const MAX_NOTICES_PER_CALL: usize = 100;

/// Delivered notices are kept this long (seconds), then pruned.
pub const NOTICE_RETENTION_SECS: u64 = 30 * 24 * 3600;

/// Settings key of the per-channel switches.
const SETTINGS_KEY: &str = "notices.settings";

/// How the other side's meeting step reached us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum MeetStep {
    /// They scanned the code this phone showed: the deal is met on their side (and on ours once
    /// their co-signed receipt arrives).
    ScannedYourCode,
    /// Their phone recorded a meeting this phone had already recorded (they scanned our return
    /// code, or received our co-signed receipt): it is now on both phones.
    RecordedOnTheirPhone,
}

/// What a notice reports: a code and its parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Enum)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeKind {
    /// Someone answered one of my intents: a new quote to look at.
    NewQuote {
        /// `true`: they accepted the intent as posted; `false`: they proposed other terms.
        accepted_as_posted: bool,
    },
    /// The other side proposed new terms.
    Counter,
    /// The other side accepted the terms on the table; it is my turn.
    Accepted,
    /// Both sides accepted: the deal is confirmed and contacts are exchanged.
    Confirmed,
    /// The other side asks to cancel a confirmed deal.
    CancelRequested,
    /// The other side wrote in the deal's chat (the text is not in the notice: it stays in
    /// the app, behind the lock screen).
    ChatMessage,
    /// The other side cancelled.
    Cancelled,
    /// The intent's owner took another offer.
    Filled,
    /// The other side recorded the meeting.
    Meet {
        /// Which code they scanned.
        step: MeetStep,
    },
    /// The counterparty of one of my deals rated me (the two structured signals).
    RatingReceived {
        /// They felt safe (`None`: a client that sent only a score).
        safe: Option<bool>,
        /// They found me reliable (`None`: a client that sent only a score).
        reliable: Option<bool>,
    },
    /// A trusted contact shared a meetup check-in with me: this phone keeps the alarm.
    CheckinReceived {
        /// Who, with whom, where, until when.
        checkin: super::checkins::CheckinAlert,
    },
    /// A contact's check-in deadline passed and nothing closed it: they may need help.
    CheckinOverdue {
        /// Who, with whom, where, until when.
        checkin: super::checkins::CheckinAlert,
    },
    /// A contact said they are safe.
    CheckinSafe {
        /// Whose check-in.
        checkin: super::checkins::CheckinAlert,
    },
    /// A contact closed their check-in under duress: they are not OK, act now.
    CheckinDuress {
        /// Who, with whom, where.
        checkin: super::checkins::CheckinAlert,
    },
    /// My own check-in's deadline is close: extend it, or say I'm safe.
    CheckinReminder {
        /// The check-in.
        checkin_id: String,
        /// Its deadline (unix seconds).
        deadline: u64,
    },
}

impl NoticeKind {
    /// The stable snake_case code (`new_quote`, `counter`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NewQuote { .. } => "new_quote",
            Self::Counter => "counter",
            Self::Accepted => "accepted",
            Self::Confirmed => "confirmed",
            Self::CancelRequested => "cancel_requested",
            Self::ChatMessage => "chat_message",
            Self::Cancelled => "cancelled",
            Self::Filled => "filled",
            Self::Meet { .. } => "meet",
            Self::RatingReceived { .. } => "rating_received",
            Self::CheckinReceived { .. } => "checkin_received",
            Self::CheckinOverdue { .. } => "checkin_overdue",
            Self::CheckinSafe { .. } => "checkin_safe",
            Self::CheckinDuress { .. } => "checkin_duress",
            Self::CheckinReminder { .. } => "checkin_reminder",
        }
    }

    /// The channel (Android notification channel, iOS category) it is posted on.
    pub fn channel(&self) -> NoticeChannel {
        match self {
            Self::RatingReceived { .. } => NoticeChannel::Ratings,
            Self::CheckinReceived { .. }
            | Self::CheckinOverdue { .. }
            | Self::CheckinSafe { .. }
            | Self::CheckinDuress { .. }
            | Self::CheckinReminder { .. } => NoticeChannel::Safety,
            _ => NoticeChannel::Deals,
        }
    }
}

/// Groups of notices a user can switch off, and that platforms post on separate channels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum NoticeChannel {
    /// Quotes, counters, confirmations, cancellations, meetings.
    Deals,
    /// Ratings received.
    Ratings,
    /// Safety alerts (check-ins, issue #21): high importance.
    Safety,
}

/// The deal a notice is about: what a platform needs to group it and open the deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct NoticeDeal {
    /// Negotiation id (the grouping key and the deep-link target).
    pub nego: String,
    /// The intent the deal is on.
    pub intent_id: String,
    /// The intent's public title (empty if this phone does not have the intent).
    pub intent_title: String,
    /// The intent's market.
    pub market: String,
}

/// One notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct Notice {
    /// Stable id, increasing, never reused: use it as the notification id, and acknowledge it
    /// with [`App::ack_notices`] once shown.
    pub id: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: NoticeKind,
    /// Where it is posted.
    pub channel: NoticeChannel,
    /// When it happened (unix seconds).
    pub created_at: u64,
    /// The deal it is about (every kind but the contacts' check-in alerts has one).
    #[serde(flatten)]
    pub deal: Option<NoticeDeal>,
}

/// Which channels the user wants to hear about (all on by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, uniffi::Record)]
pub struct NoticeSettings {
    pub deals: bool,
    pub ratings: bool,
    pub safety: bool,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        Self {
            deals: true,
            ratings: true,
            safety: true,
        }
    }
}

impl NoticeSettings {
    /// `true` if notices of `channel` are wanted.
    pub fn wants(&self, channel: NoticeChannel) -> bool {
        match channel {
            NoticeChannel::Deals => self.deals,
            NoticeChannel::Ratings => self.ratings,
            NoticeChannel::Safety => self.safety,
        }
    }
}

/// What the store keeps of a notice (sealed).
#[derive(Debug, Serialize, Deserialize)]
struct Body {
    kind: NoticeKind,
    deal: Option<NoticeDeal>,
}

/// A notice about to be written: its idempotency key and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingNotice {
    /// Same key, same notice: a second insert changes nothing.
    pub key: String,
    pub kind: NoticeKind,
    pub deal: Option<NoticeDeal>,
    pub created_at: u64,
}

impl PendingNotice {
    /// Writes it (unless its key exists); returns the notice if it was new.
    pub(crate) fn insert(
        &self,
        tx: &StoreTx<'_>,
    ) -> Result<Option<Notice>, crate::store::StoreError> {
        let body = serde_json::to_vec(&Body {
            kind: self.kind.clone(),
            deal: self.deal.clone(),
        })
        .map_err(|e| crate::store::StoreError::Corrupt {
            what: format!("notice body: {e}"),
        })?;
        let id = tx.notice_insert(&NoticeInsert {
            key: &self.key,
            nego: self.deal.as_ref().map(|d| d.nego.as_str()),
            kind: self.kind.code(),
            created_at: self.created_at,
            body: &body,
        })?;
        Ok(id.map(|id| Notice {
            id,
            channel: self.kind.channel(),
            kind: self.kind.clone(),
            created_at: self.created_at,
            deal: self.deal.clone(),
        }))
    }
}

fn from_row(row: NoticeRow) -> Result<Notice, AppError> {
    let body: Body = serde_json::from_slice(&row.body).map_err(|e| AppError::Internal {
        reason: format!("notice {} unreadable: {e}", row.seq),
    })?;
    Ok(Notice {
        id: row.seq,
        channel: body.kind.channel(),
        kind: body.kind,
        created_at: row.created_at,
        deal: body.deal,
    })
}

/// The notices one incoming message's effects give, for the thread(s) they touched.
///
/// * `opened`: the thread this message opened (a new responder on our intent) — one
///   `new_quote`, whatever else its first message did;
/// * `state_of`: each thread's state after the message (for `meet`: their `picked_up` while we
///   are still confirmed means they scanned our code; once we are met, our return code);
/// * `source`: the carrying event, which makes each key unique per message.
///
/// Our own moves (effects `by: Us`, "Filled" we send to other responders) give nothing.
pub(crate) fn from_effects(
    effects: &[(NegoId, Effect)],
    opened: Option<(&NegoId, bool)>,
    state_of: impl Fn(&NegoId) -> Option<State>,
    source: &EventId,
) -> Vec<(NegoId, String, NoticeKind)> {
    let mut out: Vec<(NegoId, String, NoticeKind)> = Vec::new();
    if let Some((nego, accepted_as_posted)) = opened {
        out.push((
            nego.clone(),
            format!("new_quote:{nego}"),
            NoticeKind::NewQuote { accepted_as_posted },
        ));
    }
    for (nego, fx) in effects {
        if opened.is_some_and(|(n, _)| n == nego) {
            continue;
        }
        let found = match fx {
            Effect::TermsChanged { by: Side::Them, .. } => {
                Some((format!("counter:{nego}:{source}"), NoticeKind::Counter))
            }
            Effect::StateChanged { to, from } => match (from, to) {
                (_, State::AcceptedByThem) => {
                    Some((format!("accepted:{nego}:{source}"), NoticeKind::Accepted))
                }
                // A declined cancel request goes back to confirmed: not a new confirmation.
                (State::CancelRequested { .. }, State::Confirmed) => None,
                (_, State::Confirmed) => Some((format!("confirmed:{nego}"), NoticeKind::Confirmed)),
                (_, State::CancelRequested { by: Side::Them }) => Some((
                    format!("cancel_requested:{nego}:{source}"),
                    NoticeKind::CancelRequested,
                )),
                _ => None,
            },
            Effect::Cancelled {
                by: Side::Them,
                filled,
                ..
            } => Some((
                format!("ended:{nego}"),
                if *filled {
                    NoticeKind::Filled
                } else {
                    NoticeKind::Cancelled
                },
            )),
            Effect::Chat { .. } => Some((format!("chat:{nego}:{source}"), NoticeKind::ChatMessage)),
            Effect::PeerStatus {
                stage: Stage::PickedUp,
            } => match state_of(nego) {
                Some(State::Confirmed | State::CancelRequested { .. }) => Some((
                    format!("meet:{nego}"),
                    NoticeKind::Meet {
                        step: MeetStep::ScannedYourCode,
                    },
                )),
                Some(State::Met | State::Completed) => Some((
                    format!("meet:{nego}"),
                    NoticeKind::Meet {
                        step: MeetStep::RecordedOnTheirPhone,
                    },
                )),
                _ => None,
            },
            _ => None,
        };
        if let Some((key, kind)) = found
            && !out.iter().any(|(_, k, _)| *k == key)
        {
            out.push((nego.clone(), key, kind));
        }
    }
    // Their accept that our phone confirmed at once (a responder's auto-accept): "confirmed"
    // says it all.
    let confirmed: Vec<NegoId> = out
        .iter()
        .filter(|(_, _, k)| *k == NoticeKind::Confirmed)
        .map(|(n, _, _)| n.clone())
        .collect();
    out.retain(|(n, _, k)| !(*k == NoticeKind::Accepted && confirmed.contains(n)));
    out
}

impl App {
    /// The deal part of a notice about `nego` (from the stored negotiation and intent).
    pub(crate) fn notice_deal(
        &self,
        nego: &NegoId,
        intent_id: &EventId,
        market: &str,
    ) -> NoticeDeal {
        let title = self
            .load_intent(&intent_id.to_hex())
            .map(|i| i.title)
            .unwrap_or_default();
        NoticeDeal {
            nego: nego.to_string(),
            intent_id: intent_id.to_hex(),
            intent_title: title,
            market: market.to_string(),
        }
    }

    /// Tells listeners about notices that were just written.
    pub(crate) fn emit_notices(&self, notices: Vec<Notice>) {
        for n in notices {
            self.emit(AppEvent::Notice { notice: n });
        }
    }

    /// Notices not acknowledged yet, oldest first (at most [`MAX_NOTICES_PER_CALL`]), for the
    /// channels the user has switched on; those of switched-off channels are acknowledged here
    /// (they would otherwise surface when the channel is switched on again).
    pub fn pending_notices(&self) -> Result<Vec<Notice>, AppError> {
        let settings = self.notice_settings()?;
        let now = unix_now();
        let store = &self.inner.store;
        // Switched-off channels are skipped in batches until a page has something to show.
        loop {
            let rows = store.transaction(|tx| tx.notices_pending(MAX_NOTICES_PER_CALL))?;
            let got = rows.len();
            let mut wanted = Vec::new();
            let mut muted = Vec::new();
            for row in rows {
                let seq = row.seq;
                match from_row(row) {
                    Ok(n) if settings.wants(n.channel) => wanted.push(n),
                    Ok(_) => muted.push(seq),
                    Err(e) => {
                        // A body this build cannot read (a newer kind after a downgrade): skip
                        // it rather than block every later notice.
                        tracing::warn!("{e}");
                        muted.push(seq);
                    }
                }
            }
            if !muted.is_empty() {
                store.transaction(|tx| tx.notices_ack(&muted, now))?;
            }
            if !wanted.is_empty() || muted.is_empty() || got < MAX_NOTICES_PER_CALL {
                return Ok(wanted);
            }
        }
    }

    /// Acknowledges notices the caller has shown (by id); unknown or already acknowledged ids
    /// are ignored. Returns how many were pending.
    pub fn ack_notices(&self, ids: &[u64]) -> Result<usize, AppError> {
        let now = unix_now();
        Ok(self
            .inner
            .store
            .transaction(|tx| tx.notices_ack(ids, now))?)
    }

    /// Acknowledges every pending notice of one deal (the user opened it: nothing left to tell).
    pub fn mark_deal_seen(&self, nego: &str) -> Result<usize, AppError> {
        let nego = super::deals::parse_nego(nego)?;
        let now = unix_now();
        let key = nego.to_string();
        Ok(self
            .inner
            .store
            .transaction(|tx| tx.notices_ack_nego(&key, now))?)
    }

    /// Which channels are switched on.
    pub fn notice_settings(&self) -> Result<NoticeSettings, AppError> {
        Ok(match self.inner.store.setting_get(SETTINGS_KEY)? {
            Some(v) => serde_json::from_str(&v).unwrap_or_default(),
            None => NoticeSettings::default(),
        })
    }

    /// Switches channels on or off.
    pub fn set_notice_settings(&self, s: NoticeSettings) -> Result<(), AppError> {
        let v = serde_json::to_string(&s).map_err(|e| AppError::Internal {
            reason: e.to_string(),
        })?;
        self.inner.store.setting_set(SETTINGS_KEY, &v)?;
        Ok(())
    }

    /// Deletes acknowledged notices older than [`NOTICE_RETENTION_SECS`], and processed gift
    /// wraps no catch-up reaches any more.
    pub(crate) fn prune_notices(&self) -> Result<(), AppError> {
        let now = unix_now();
        let wraps_before = now.saturating_sub(super::pass::WRAP_MEMORY_SECS);
        self.inner.store.transaction(|tx| {
            tx.notices_prune(now.saturating_sub(NOTICE_RETENTION_SECS))?;
            tx.wraps_prune(wraps_before)
        })?;
        Ok(())
    }

    /// A rating from the counterparty of one of our deals: a `rating_received` notice (once per
    /// deal and rater: a newer version of the same rating says nothing new). Ratings from anyone
    /// else — strangers can publish ratings naming us — give none.
    pub(crate) fn rating_notice(
        &self,
        r: &crate::protocol::rating::Rating,
    ) -> Result<Option<PendingNotice>, AppError> {
        let Ok(me) = self.public_key() else {
            return Ok(None);
        };
        if r.ratee != me {
            return Ok(None);
        }
        let Ok((n, rec)) = self.load_thread(&r.nego) else {
            return Ok(None);
        };
        if n.counterparty() != r.rater || !n.state().is_confirmed_or_later() {
            return Ok(None);
        }
        let (safe, reliable) = r.signals();
        Ok(Some(PendingNotice {
            key: format!("rating:{}:{}", r.nego, r.rater.to_hex()),
            kind: NoticeKind::RatingReceived { safe, reliable },
            deal: Some(self.notice_deal(&r.nego, &rec.intent_id, n.market())),
            created_at: r.created_at.as_secs(),
        }))
    }

    /// Writes notices that are derived again whenever their source is seen (ratings): the key
    /// makes a repeat a no-op. Returns the new ones (already announced to listeners).
    pub(crate) fn record_notices(
        &self,
        pending: &[PendingNotice],
    ) -> Result<Vec<Notice>, AppError> {
        if pending.is_empty() {
            return Ok(Vec::new());
        }
        let new = self.inner.store.transaction(|tx| {
            let mut out = Vec::new();
            for p in pending {
                out.extend(p.insert(tx)?);
            }
            Ok(out)
        })?;
        self.emit_notices(new.clone());
        Ok(new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::negotiation::Side;
    use crate::protocol::envelope::Terms;
    use nostr::Keys;

    fn nego(i: u8) -> NegoId {
        let a = Keys::generate().public_key();
        let b = Keys::generate().public_key();
        NegoId::new(&format!("d{i}"), a, b).unwrap()
    }

    fn codes(v: &[(NegoId, String, NoticeKind)]) -> Vec<&'static str> {
        v.iter().map(|(_, _, k)| k.code()).collect()
    }

    #[test]
    fn their_moves_give_notices_ours_do_not() {
        let n = nego(1);
        let src = EventId::all_zeros();
        let state = |_: &NegoId| Some(State::Open);
        let cases: Vec<(Effect, Option<&str>)> = vec![
            (
                Effect::TermsChanged {
                    terms: Terms::new(),
                    by: Side::Them,
                },
                Some("counter"),
            ),
            (
                Effect::TermsChanged {
                    terms: Terms::new(),
                    by: Side::Us,
                },
                None,
            ),
            (
                Effect::StateChanged {
                    from: State::Open,
                    to: State::AcceptedByThem,
                },
                Some("accepted"),
            ),
            (
                Effect::StateChanged {
                    from: State::AcceptedByUs,
                    to: State::Confirmed,
                },
                Some("confirmed"),
            ),
            (
                Effect::StateChanged {
                    from: State::CancelRequested { by: Side::Us },
                    to: State::Confirmed,
                },
                None,
            ),
            (
                Effect::StateChanged {
                    from: State::Confirmed,
                    to: State::CancelRequested { by: Side::Them },
                },
                Some("cancel_requested"),
            ),
            (
                Effect::Chat {
                    text: "at the gate".into(),
                },
                Some("chat_message"),
            ),
            (
                Effect::StateChanged {
                    from: State::Confirmed,
                    to: State::CancelRequested { by: Side::Us },
                },
                None,
            ),
            (
                Effect::Cancelled {
                    by: Side::Them,
                    reason: Some("07 1234 5678".into()),
                    filled: false,
                },
                Some("cancelled"),
            ),
            (
                Effect::Cancelled {
                    by: Side::Them,
                    reason: None,
                    filled: true,
                },
                Some("filled"),
            ),
            (
                Effect::Cancelled {
                    by: Side::Us,
                    reason: None,
                    filled: true,
                },
                None,
            ),
            (
                Effect::StateChanged {
                    from: State::Open,
                    to: State::Expired,
                },
                None,
            ),
        ];
        for (fx, want) in cases {
            let got = from_effects(&[(n.clone(), fx.clone())], None, state, &src);
            assert_eq!(codes(&got), want.into_iter().collect::<Vec<_>>(), "{fx:?}");
        }
    }

    #[test]
    fn an_accept_confirmed_at_once_is_one_confirmed_notice() {
        let n = nego(4);
        let fx = vec![
            (
                n.clone(),
                Effect::StateChanged {
                    from: State::Open,
                    to: State::AcceptedByThem,
                },
            ),
            (
                n.clone(),
                Effect::StateChanged {
                    from: State::AcceptedByThem,
                    to: State::Confirmed,
                },
            ),
        ];
        let got = from_effects(&fx, None, |_| None, &EventId::all_zeros());
        assert_eq!(codes(&got), vec!["confirmed"]);
    }

    #[test]
    fn a_new_thread_is_one_new_quote_and_filled_to_others_is_ours() {
        let (mine, other) = (nego(1), nego(2));
        let src = EventId::all_zeros();
        let fx = vec![
            (
                mine.clone(),
                Effect::StateChanged {
                    from: State::Open,
                    to: State::AcceptedByThem,
                },
            ),
            (
                other.clone(),
                Effect::Cancelled {
                    by: Side::Us,
                    reason: None,
                    filled: true,
                },
            ),
        ];
        let got = from_effects(&fx, Some((&mine, true)), |_| None, &src);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].0, mine);
        assert_eq!(
            got[0].2,
            NoticeKind::NewQuote {
                accepted_as_posted: true
            }
        );
        assert_eq!(got[0].1, format!("new_quote:{mine}"));
    }

    #[test]
    fn picked_up_is_a_meet_notice_whose_step_follows_our_state() {
        let n = nego(3);
        let src = EventId::all_zeros();
        let fx = [(
            n.clone(),
            Effect::PeerStatus {
                stage: Stage::PickedUp,
            },
        )];
        let at = |s: State| from_effects(&fx, None, move |_| Some(s), &src);
        assert_eq!(
            at(State::Confirmed)[0].2,
            NoticeKind::Meet {
                step: MeetStep::ScannedYourCode
            }
        );
        assert_eq!(
            at(State::Met)[0].2,
            NoticeKind::Meet {
                step: MeetStep::RecordedOnTheirPhone
            }
        );
        // One meet notice per deal, whichever way it arrives.
        assert_eq!(at(State::Met)[0].1, format!("meet:{n}"));
        assert!(at(State::Cancelled).is_empty());
    }

    fn alert() -> super::super::checkins::CheckinAlert {
        use super::super::checkins::{
            CheckinAlert, CheckinMeetingView, CheckinPersonView, CheckinScreeningView,
        };
        CheckinAlert {
            id: "cd".repeat(16),
            from: CheckinPersonView {
                pubkey: "aa".into(),
                npub: "npub1a".into(),
                name: Some("Alice".into()),
            },
            meeting: CheckinMeetingView {
                pubkey: "bb".into(),
                npub: "npub1b".into(),
                name: None,
                phone: Some("+65••••4321".into()),
                screening: CheckinScreeningView {
                    deals: 1,
                    partners: 1,
                    partners_in_network: 0,
                    met_in_person: 0,
                    verified_by: 0,
                    new_account: true,
                    verdict: crate::reputation::Verdict::Unknown,
                },
            },
            place_name: Some("MRT".into()),
            geohash: None,
            meet_at: None,
            deadline: 7,
        }
    }

    #[test]
    fn check_in_notices_go_to_the_safety_channel_with_their_parameters() {
        let k = NoticeKind::CheckinOverdue { checkin: alert() };
        assert_eq!(k.channel(), NoticeChannel::Safety);
        assert_eq!(k.code(), "checkin_overdue");
        let v = serde_json::to_value(&k).unwrap();
        assert_eq!(v["kind"], "checkin_overdue");
        assert_eq!(v["checkin"]["meeting"]["phone"], "+65••••4321");
        assert_eq!(v["checkin"]["deadline"], 7);
        for k in [
            NoticeKind::CheckinReceived { checkin: alert() },
            NoticeKind::CheckinSafe { checkin: alert() },
            NoticeKind::CheckinDuress { checkin: alert() },
            NoticeKind::CheckinReminder {
                checkin_id: "x".into(),
                deadline: 1,
            },
        ] {
            assert_eq!(k.channel(), NoticeChannel::Safety, "{k:?}");
        }
    }

    #[test]
    fn the_json_item_has_a_snake_case_kind_and_the_nego_at_the_top() {
        let n = Notice {
            id: 7,
            kind: NoticeKind::RatingReceived {
                safe: Some(true),
                reliable: Some(false),
            },
            channel: NoticeChannel::Ratings,
            created_at: 5,
            deal: Some(NoticeDeal {
                nego: "abc".into(),
                intent_id: "ff".into(),
                intent_title: "Bike".into(),
                market: "goods/1".into(),
            }),
        };
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v["kind"], "rating_received");
        assert_eq!(v["nego"], "abc");
        assert_eq!(v["channel"], "ratings");
        assert_eq!(v["safe"], true);
        assert_eq!(v["id"], 7);
        // The stored body round-trips every kind.
        for kind in [
            NoticeKind::NewQuote {
                accepted_as_posted: false,
            },
            NoticeKind::Counter,
            NoticeKind::Accepted,
            NoticeKind::Confirmed,
            NoticeKind::CancelRequested,
            NoticeKind::Cancelled,
            NoticeKind::Filled,
            NoticeKind::Meet {
                step: MeetStep::RecordedOnTheirPhone,
            },
            NoticeKind::RatingReceived {
                safe: None,
                reliable: Some(true),
            },
            NoticeKind::CheckinOverdue { checkin: alert() },
            NoticeKind::CheckinDuress { checkin: alert() },
            NoticeKind::CheckinReminder {
                checkin_id: "ab".repeat(16),
                deadline: 9,
            },
        ] {
            let b = serde_json::to_vec(&Body {
                kind: kind.clone(),
                deal: None,
            })
            .unwrap();
            let back: Body = serde_json::from_slice(&b).unwrap();
            assert_eq!(back.kind, kind);
            assert_eq!(serde_json::to_value(&kind).unwrap()["kind"], kind.code());
        }
    }
}
