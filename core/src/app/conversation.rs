//! Everything that arrives from a counterparty besides terms (issue 22): the entry point for
//! every decrypted direct message (blocked senders dropped first, each refused message recorded
//! once with its reason), chat inside a deal, the status stages, and blocking a key.

use nostr::{EventId, PublicKey};

use super::deals::{Outgoing, parse_nego};
use super::{
    App, AppError, AppEvent, BlockedView, ChatMessageView, DealStage, DealView, Refusal,
    RefusalCode, RefusalView, Rule, unix_now,
};
use crate::identity::{parse_public_key, to_npub};
use crate::negotiation::{Effect, NegotiationError};
use crate::protocol::envelope::{EnvelopeType, MAX_TEXT_BYTES, Stage, parse_envelope};
use crate::protocol::{NegoId, ProtocolError};
use crate::relay::DecryptedDm;
use crate::store::{ChatRecord, RefusalRecord};

/// Longest chat message (bytes): the envelope's `text` limit, both ways.
pub const MAX_CHAT_BYTES: usize = MAX_TEXT_BYTES;

/// What happened to one incoming direct message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DmOutcome {
    /// Applied to a deal.
    Applied,
    /// Dropped without a trace: our own copy, a blocked sender, or refused before.
    Ignored,
    /// Refused now (recorded with its reason).
    Refused,
}

/// The typed reason of a refusal, and the field at fault; `None` for a failure of ours (storage,
/// an internal error) that may succeed later, which is not a refusal of their message.
pub(crate) fn refusal_of(e: &AppError) -> Option<(RefusalCode, Option<&'static str>)> {
    match e {
        AppError::Protocol(p) => Some(protocol_refusal(p)),
        AppError::Negotiation(n) => Some(negotiation_refusal(n)),
        AppError::UnknownNegotiation { .. } => Some((RefusalCode::UnknownDeal, None)),
        AppError::UnknownIntent { .. } | AppError::NotPossible { .. } => {
            Some((RefusalCode::NotForUs, None))
        }
        AppError::InvalidInput { .. } => Some((RefusalCode::Malformed, None)),
        _ => None,
    }
}

pub(crate) fn protocol_refusal(p: &ProtocolError) -> (RefusalCode, Option<&'static str>) {
    use ProtocolError as P;
    match p {
        P::NotJson { .. } | P::UnsupportedVersion { .. } | P::WrongKind { .. } => {
            (RefusalCode::NotFreeport, None)
        }
        // Not one of the negotiation types (the reference's friend chat, escrow, …).
        P::MissingField {
            field: "v" | "type",
        }
        | P::InvalidField { field: "type", .. } => (RefusalCode::NotFreeport, None),
        P::MissingField { field }
        | P::InvalidField { field, .. }
        | P::TooLarge { field, .. }
        | P::Mismatch { a: field, .. } => (RefusalCode::Malformed, Some(field)),
        P::MissingTag { tag } | P::InvalidTag { tag, .. } => (RefusalCode::Malformed, Some(tag)),
        P::InvalidNegoId { .. } => (RefusalCode::Malformed, Some("nego")),
        P::Expired { .. } => (RefusalCode::Expired, None),
    }
}

fn negotiation_refusal(n: &NegotiationError) -> (RefusalCode, Option<&'static str>) {
    use NegotiationError as N;
    match n {
        N::Protocol(p) => protocol_refusal(p),
        N::NotAParty { .. } | N::FromSelf | N::NegoMismatch { .. } | N::IntentMismatch { .. } => {
            (RefusalCode::NotForUs, None)
        }
        N::Terminal { .. } => (RefusalCode::Closed, None),
        N::Irreversible { .. } => (RefusalCode::Irreversible, None),
        N::RoundCapReached { .. } => (RefusalCode::RoundCapReached, None),
        N::Expired { .. } => (RefusalCode::Expired, None),
        N::TooManyMessages { .. } => (RefusalCode::TooManyMessages, None),
        N::InvalidContact { .. } => (RefusalCode::Malformed, Some("contact")),
        N::UnknownThread { .. } => (RefusalCode::UnknownDeal, None),
        N::BadOpening { .. } => (RefusalCode::BadOpening, None),
        N::ThreadLimit { .. } => (RefusalCode::ThreadLimit, None),
        _ => (RefusalCode::NotAllowedNow, None),
    }
}

/// The stored label of a refusal: `code` or `code:field`.
fn code_label(code: RefusalCode, field: Option<&str>) -> String {
    match field {
        Some(f) => format!("{}:{f}", code.as_str()),
        None => code.as_str().to_string(),
    }
}

/// Reads a stored label back.
fn parse_code_label(label: &str) -> (RefusalCode, Option<String>) {
    let (code, field) = match label.split_once(':') {
        Some((c, f)) => (c, Some(f.to_string())),
        None => (label, None),
    };
    (
        RefusalCode::from_label(code).unwrap_or(RefusalCode::Malformed),
        field,
    )
}

/// Refuses text that is not text a person typed: empty, too long, or with control characters
/// other than line breaks and tabs.
fn check_chat_text(text: &str) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::invalid("text", Rule::Blank));
    }
    if text.len() > MAX_CHAT_BYTES {
        return Err(AppError::invalid(
            "text",
            Rule::TooLarge {
                max: u32::try_from(MAX_CHAT_BYTES).unwrap_or(u32::MAX),
            },
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(AppError::invalid("text", Rule::ControlCharacters));
    }
    Ok(())
}

fn chat_view(c: &ChatRecord) -> ChatMessageView {
    ChatMessageView {
        text: c.text.clone(),
        from_me: c.from_me,
        at: c.ts,
        unread: c.unread,
    }
}

impl From<DealStage> for Stage {
    fn from(s: DealStage) -> Self {
        match s {
            DealStage::PickedUp => Stage::PickedUp,
            DealStage::Completed => Stage::Completed,
        }
    }
}

impl App {
    // ---- incoming ---------------------------------------------------------------------------

    /// The entry point for every decrypted direct message, live or caught up. Our own copies
    /// are only used to keep the chat of other devices; a blocked sender's messages are dropped
    /// before anything is parsed (no deal, no notification, nothing sent back); a message
    /// refused before is not checked again. A refusal is recorded once, with its reason, and
    /// reported once. `Err` only for a failure of ours (storage), which a later catch-up retries.
    ///
    /// `wrap` (a gift wrap's id and time, from a background pass) is recorded as processed with
    /// whatever the message changed, or on its own when it changes nothing, so the pass does not
    /// open it again.
    pub(crate) async fn receive_dm(
        &self,
        dm: DecryptedDm,
        wrap: Option<(EventId, u64)>,
    ) -> Result<DmOutcome, AppError> {
        let me = self.public_key()?;
        let msg_id = dm.rumor_id.unwrap_or(dm.event_id);
        let done = |app: &App| -> Result<(), AppError> {
            if let Some((id, at)) = wrap {
                app.inner
                    .store
                    .transaction(|tx| tx.wrap_mark_processed(&id, at))?;
            }
            Ok(())
        };
        if dm.sender == me {
            self.note_own_copy(&dm, msg_id);
            done(self)?;
            return Ok(DmOutcome::Ignored);
        }
        if self.is_blocked(&dm.sender) || self.inner.store.is_refused(&msg_id)? {
            done(self)?;
            return Ok(DmOutcome::Ignored);
        }
        // A check-in is not a deal envelope: it has its own path (and its own refusals).
        if crate::checkin::is_checkin(&dm.plaintext) {
            return self.receive_checkin(dm, msg_id, wrap).await;
        }
        let sender = dm.sender;
        // The deal a message names, read loosely: a malformed message still names its deal.
        let named = serde_json::from_str::<serde_json::Value>(&dm.plaintext)
            .ok()
            .and_then(|v| v.get("nego")?.as_str()?.parse::<NegoId>().ok());
        match self.apply_dm(dm, msg_id, wrap).await {
            Ok(()) => Ok(DmOutcome::Applied),
            Err(e) => match refusal_of(&e) {
                Some((code, field)) => {
                    // Filed under a deal only when it came from that deal's counterparty: a
                    // third key naming someone's deal must not write on its screen.
                    let nego = named.filter(|n| {
                        n.counterparty_of(&me) == Some(sender)
                            && self.inner.store.get_negotiation(n).ok().flatten().is_some()
                    });
                    self.refuse(msg_id, sender, nego.as_ref(), code, field, &e.to_string());
                    done(self)?;
                    Ok(DmOutcome::Refused)
                }
                None => Err(e),
            },
        }
    }

    /// Records a refused message once; the first time it is also logged and reported.
    pub(crate) fn refuse(
        &self,
        msg_id: EventId,
        sender: PublicKey,
        nego: Option<&NegoId>,
        code: RefusalCode,
        field: Option<&str>,
        detail: &str,
    ) {
        let rec = RefusalRecord {
            msg_id,
            sender,
            nego: nego.cloned(),
            code: code_label(code, field),
            detail: detail.chars().take(1_000).collect(),
            at: unix_now(),
        };
        match self.inner.store.record_refusal(&rec) {
            Ok(true) => {
                tracing::info!("message refused ({}): {detail}", rec.code);
                self.emit(AppEvent::MessageRejected {
                    code,
                    nego: nego.map(ToString::to_string),
                });
                if let Some((thread, _)) = nego.and_then(|n| self.load_thread(n).ok()) {
                    self.emit(AppEvent::NegotiationChanged {
                        nego: thread.nego().to_string(),
                        state: thread.state().into(),
                    });
                }
            }
            Ok(false) => {}
            Err(e) => tracing::warn!("refusal not recorded: {e}"),
        }
    }

    /// Our own copy of a message we sent (another device of ours, or this one before a
    /// restart): a chat message joins the deal's history.
    fn note_own_copy(&self, dm: &DecryptedDm, msg_id: EventId) {
        let Ok(env) = parse_envelope(&dm.plaintext) else {
            return;
        };
        if env.kind != EnvelopeType::Chat {
            return;
        }
        let Some(text) = env.text else { return };
        if check_chat_text(&text).is_err() {
            return;
        }
        // Fails harmlessly when the deal is not on this device.
        let _ = self.inner.store.insert_chat(&ChatRecord {
            nego: env.nego,
            event_id: msg_id,
            from_me: true,
            ts: env.ts,
            received_at: unix_now(),
            text,
            unread: false,
        });
    }

    /// Refused incoming messages, newest first: all, or those about one deal.
    pub fn refusals(&self, nego: Option<&str>) -> Result<Vec<RefusalView>, AppError> {
        let nego = nego.map(parse_nego).transpose()?;
        Ok(self
            .inner
            .store
            .refusals(nego.as_ref())?
            .into_iter()
            .map(|r| {
                let (code, field) = parse_code_label(&r.code);
                RefusalView {
                    code,
                    field,
                    nego: r.nego.map(|n| n.to_string()),
                    sender: r.sender.to_hex(),
                    sender_npub: to_npub(&r.sender),
                    at: r.at,
                    detail: r.detail,
                }
            })
            .collect())
    }

    // ---- chat -------------------------------------------------------------------------------

    /// Sends a chat message in a deal (text only, at most [`MAX_CHAT_BYTES`]; any state but
    /// cancelled or expired). Chat is between the two parties only: it is never part of a
    /// rating or of anything published.
    pub async fn chat_send(&self, nego: &str, text: &str) -> Result<ChatMessageView, AppError> {
        check_chat_text(text)?;
        let nego = parse_nego(nego)?;
        let _g = self.inner.nego_lock.lock().await;
        let (mut n, rec) = self.load_thread(&nego)?;
        if self.is_blocked(&n.counterparty()) {
            return Err(AppError::refused("chat", Refusal::Blocked));
        }
        let now = unix_now();
        let fx = n.chat(text, now)?;
        let records = self.changed_records([&n], rec.intent_id)?;
        let mut out = Outgoing::default();
        let mut record = None;
        for e in fx {
            if let Effect::Send(env) = e
                && let Some((id, events)) = self.envelope_events(&env).await?
            {
                out.events.extend(events);
                record = Some(ChatRecord {
                    nego: nego.clone(),
                    event_id: id,
                    from_me: true,
                    ts: env.ts,
                    received_at: now,
                    text: text.to_string(),
                    unread: false,
                });
            }
        }
        // Blocked meanwhile: nothing is sent or recorded.
        let Some(record) = record else {
            return Err(AppError::refused("chat", Refusal::Blocked));
        };
        // The thread, the message in the outbox and the chat line: together or not at all.
        self.commit_change_with(&records, &out, &[], |tx| tx.insert_chat(&record))?;
        if let Ok(c) = self.client() {
            c.wake_outbox();
        }
        Ok(chat_view(&record))
    }

    /// A deal's chat, oldest first.
    pub fn chat(&self, nego: &str) -> Result<Vec<ChatMessageView>, AppError> {
        let nego = parse_nego(nego)?;
        self.load_thread(&nego)?;
        Ok(self
            .inner
            .store
            .chat_for(&nego)?
            .iter()
            .map(chat_view)
            .collect())
    }

    /// Marks a deal's chat read (the screen showed it); returns how many were unread.
    pub fn mark_chat_read(&self, nego: &str) -> Result<u32, AppError> {
        let nego = parse_nego(nego)?;
        let (thread, _) = self.load_thread(&nego)?;
        let n = self.inner.store.chat_mark_read(&nego)?;
        if n > 0 {
            self.emit(AppEvent::NegotiationChanged {
                nego: nego.to_string(),
                state: thread.state().into(),
            });
        }
        Ok(n)
    }

    // ---- stages -----------------------------------------------------------------------------

    /// Reports the deal's progress to the counterparty (`picked_up`, then `completed`), like
    /// the reference's buttons. `completed` closes the deal: nothing reverses it.
    pub async fn mark_stage(&self, nego: &str, stage: DealStage) -> Result<DealView, AppError> {
        let stage = Stage::from(stage);
        self.act(nego, move |n, now| n.mark_stage(stage, now)).await
    }

    // ---- blocking ---------------------------------------------------------------------------

    /// `true` when `key` is blocked on this device.
    pub(crate) fn is_blocked(&self, key: &PublicKey) -> bool {
        self.inner
            .blocked
            .read()
            .map(|b| b.contains(key))
            .unwrap_or(false)
    }

    /// Blocks a key (npub, nprofile, hex or nostr: URI): its intents are hidden, its messages
    /// dropped before they open or change a deal, nothing is sent to it, and nothing tells it.
    /// Stored on this device only.
    pub fn block(&self, key: &str) -> Result<BlockedView, AppError> {
        let pk = parse_public_key(key)?;
        if self.public_key().ok() == Some(pk) {
            return Err(AppError::invalid("key", Rule::IsOwnKey));
        }
        let now = unix_now();
        self.inner.store.block_key(&pk, now)?;
        if let Ok(mut b) = self.inner.blocked.write() {
            b.insert(pk);
        }
        Ok(self.blocked_view(&pk, now))
    }

    /// Unblocks a key; `true` if it was blocked. Its intents and new messages are seen again.
    pub fn unblock(&self, key: &str) -> Result<bool, AppError> {
        let pk = parse_public_key(key)?;
        let was = self.inner.store.unblock_key(&pk)?;
        if let Ok(mut b) = self.inner.blocked.write() {
            b.remove(&pk);
        }
        Ok(was)
    }

    /// Every blocked key, oldest block first.
    pub fn blocked(&self) -> Result<Vec<BlockedView>, AppError> {
        Ok(self
            .inner
            .store
            .blocked_keys()?
            .into_iter()
            .map(|(pk, at)| self.blocked_view(&pk, at))
            .collect())
    }

    fn blocked_view(&self, pk: &PublicKey, at: u64) -> BlockedView {
        BlockedView {
            pubkey: pk.to_hex(),
            npub: to_npub(pk),
            name: self.profile_of(pk).and_then(|p| p.name),
            blocked_at: at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_code_has_a_stable_label() {
        for c in RefusalCode::ALL {
            assert_eq!(RefusalCode::from_label(c.as_str()), Some(c));
            let (back, field) = parse_code_label(&code_label(c, Some("terms")));
            assert_eq!((back, field.as_deref()), (c, Some("terms")));
        }
        assert_eq!(
            parse_code_label("from_a_newer_build"),
            (RefusalCode::Malformed, None)
        );
    }

    #[test]
    fn errors_map_to_codes_and_ours_are_not_refusals() {
        let proto = |p| refusal_of(&AppError::Protocol(p));
        assert_eq!(
            proto(ProtocolError::NotJson { reason: "x".into() }),
            Some((RefusalCode::NotFreeport, None))
        );
        assert_eq!(
            proto(ProtocolError::InvalidField {
                field: "type",
                rule: "unknown".into()
            }),
            Some((RefusalCode::NotFreeport, None))
        );
        assert_eq!(
            proto(ProtocolError::InvalidField {
                field: "terms",
                rule: "x".into()
            }),
            Some((RefusalCode::Malformed, Some("terms")))
        );
        assert_eq!(
            refusal_of(&AppError::Negotiation(NegotiationError::RoundCapReached {
                cap: 8
            })),
            Some((RefusalCode::RoundCapReached, None))
        );
        assert_eq!(
            refusal_of(&AppError::Internal {
                reason: "disk".into()
            }),
            None
        );
    }

    #[test]
    fn chat_text_is_text() {
        assert!(check_chat_text("On my way\nblue car").is_ok());
        assert!(check_chat_text("  ").is_err());
        assert!(check_chat_text("bell\u{7}").is_err());
        assert!(check_chat_text(&"x".repeat(MAX_CHAT_BYTES + 1)).is_err());
    }
}
