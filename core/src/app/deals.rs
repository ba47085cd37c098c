//! Negotiation use cases: respond, counter, accept, cancel, pick, quotes, deals; and applying
//! incoming envelopes. Each thread is persisted (sealed) as one negotiation record; the owner's
//! threads on one intent are driven through an [`IntentBook`] so that confirming one sends the
//! authoritative "Filled" cancel to every other responder.

use nostr::{Event, EventId, PublicKey, Timestamp};

use std::collections::HashMap;

use serde_json::Value;

use super::notices::{Notice, PendingNotice};
use super::{
    App, AppError, AppEvent, CancelReason, Cancellation, DealAction, DealStage, DealState,
    DealView, FormEntry, QuoteView, Refusal, RefusalCode, Rule, lock, unix_now,
};
use crate::identity::to_npub;
use crate::negotiation::{
    Effect, IntentBook, IntentInfo, Negotiation, NegotiationError, Role, State,
};
use crate::protocol::NegoId;
use crate::protocol::envelope::{
    Envelope, EnvelopeType, Stage, Terms, build_envelope, parse_envelope,
};
use crate::protocol::form::edit_terms;
use crate::protocol::intent::Intent;
use crate::protocol::receipt::{ReceiptDraft, build_receipt_with_hint};
use crate::relay::transport::SeenTransports;
use crate::relay::{DecryptedDm, Transport, transport};
use crate::store::{ChatInsert, ChatRecord, MessageRecord, NegotiationRecord, StoreError, StoreTx};

/// What a change to negotiations sends and announces, prepared (built and signed) before the
/// store transaction that records the change, so the change, its outgoing messages and its
/// notices are committed together or not at all.
#[derive(Debug, Default)]
pub(crate) struct Outgoing {
    /// Signed events for the outbox (envelopes to the counterparty, our receipt half).
    pub events: Vec<Event>,
    /// Our receipt halves among them, stored locally after the commit (reputation).
    pub receipts: Vec<Event>,
    /// Threads whose listeners must hear about a change (with the new state when known).
    pub changed: Vec<(NegoId, Option<State>)>,
    /// Check-ins the change closes (a deal cancelled before the meetup cancels its check-in):
    /// their messages are among `events`.
    pub checkins: Vec<crate::store::CheckinRow>,
}

/// Most intent books kept in memory between changes (a user has a few live intents).
const MAX_KEPT_BOOKS: usize = 32;

/// How a responder opens a thread on someone's intent.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Accept the intent's terms as posted (reveals our contact).
    Accept,
    /// Propose other terms: the changes, merged onto the intent's terms (keys not given stand;
    /// a `null` removes one). Only what changed is sent.
    Counter(Terms),
}

/// The standing proposal of an intent: its payload fields and window, as negotiation terms.
pub(crate) fn intent_terms(i: &Intent) -> Terms {
    let mut t = Terms::new();
    for (k, v) in &i.payload {
        t = t.with(k, v.clone());
    }
    if let Some(w) = &i.window {
        t = t.with(
            "window",
            serde_json::json!({ "start": w.start, "end": w.end }),
        );
    }
    t
}

pub(crate) fn intent_info(i: &Intent) -> IntentInfo {
    IntentInfo {
        intent_id: i.id,
        d: i.d.clone(),
        author: i.author,
        market: i.market.clone(),
        terms: intent_terms(i),
        expires_at: i.expires_at,
        double_accept: i.has_cap(crate::protocol::intent::CAP_DOUBLE_ACCEPT),
    }
}

fn role_label(r: Role) -> &'static str {
    match r {
        Role::Owner => "owner",
        Role::Responder => "responder",
    }
}

/// Stable, machine-friendly state label.
pub(crate) fn state_label(s: State) -> &'static str {
    match s {
        State::Open => "open",
        State::AcceptedByUs => "accepted_by_us",
        State::AcceptedByThem => "accepted_by_them",
        State::Confirmed => "confirmed",
        State::CancelRequested { .. } => "cancel_requested",
        State::Met => "met",
        State::Completed => "completed",
        State::Cancelled => "cancelled",
        State::Expired => "expired",
    }
}

pub(crate) fn parse_nego(nego: &str) -> Result<NegoId, AppError> {
    nego.trim()
        .parse()
        .map_err(|_| AppError::UnknownNegotiation {
            nego: nego.to_string(),
        })
}

impl App {
    // ---- persistence --------------------------------------------------------------------

    pub(crate) fn load_thread(
        &self,
        nego: &NegoId,
    ) -> Result<(Negotiation, NegotiationRecord), AppError> {
        let rec = self.inner.store.get_negotiation(nego)?.ok_or_else(|| {
            AppError::UnknownNegotiation {
                nego: nego.to_string(),
            }
        })?;
        let n: Negotiation =
            serde_json::from_slice(&rec.detail).map_err(|e| AppError::Internal {
                reason: format!("negotiation record unreadable: {e}"),
            })?;
        Ok((n, rec))
    }

    pub(crate) fn thread_record(
        &self,
        n: &Negotiation,
        intent_id: EventId,
    ) -> Result<NegotiationRecord, AppError> {
        Ok(NegotiationRecord {
            nego: n.nego().clone(),
            intent_id,
            role: role_label(n.role()).to_string(),
            state: state_label(n.state()).to_string(),
            updated_at: unix_now(),
            detail: serde_json::to_vec(n).map_err(|e| AppError::Internal {
                reason: e.to_string(),
            })?,
        })
    }

    /// The records of the threads among `threads` that differ from what is stored (an
    /// unchanged thread is not rewritten, so its `updated_at` — the deal list's order — only
    /// moves on a change).
    pub(crate) fn changed_records<'a>(
        &self,
        threads: impl IntoIterator<Item = &'a Negotiation>,
        intent_id: EventId,
    ) -> Result<Vec<NegotiationRecord>, AppError> {
        let mut out = Vec::new();
        for n in threads {
            let rec = self.thread_record(n, intent_id)?;
            if let Some(old) = self.inner.store.get_negotiation(n.nego())?
                && old.detail == rec.detail
                && old.intent_id == rec.intent_id
            {
                continue;
            }
            out.push(rec);
        }
        Ok(out)
    }

    /// The book of `intent` for a change (the caller holds `nego_lock`): the one kept after the
    /// last change when no other write touched its threads since, else read from the store.
    /// Give it back with [`App::keep_book`] once the change is committed.
    fn take_book(&self, intent: &Intent) -> Result<IntentBook, AppError> {
        if let Some(book) = lock(&self.inner.books).remove(&intent.id) {
            return Ok(book);
        }
        self.load_book(intent)
    }

    /// Drops the kept book of `intent_id`: to be called before any write of its threads that
    /// does not go through [`App::commit_change_with`] (which does it itself).
    pub(crate) fn forget_book(&self, intent_id: &EventId) {
        lock(&self.inner.books).remove(intent_id);
    }

    /// Keeps a book whose changes were just committed, for the next change on its intent.
    fn keep_book(&self, mut book: IntentBook) {
        book.clear_touched();
        let mut books = lock(&self.inner.books);
        if books.len() >= MAX_KEPT_BOOKS {
            books.clear();
        }
        books.insert(book.intent().intent_id, book);
    }

    fn load_book(&self, intent: &Intent) -> Result<IntentBook, AppError> {
        let threads = self
            .inner
            .store
            .negotiations_for_intent(&intent.id)?
            .into_iter()
            .filter(|r| r.role == "owner")
            .filter_map(|r| serde_json::from_slice::<Negotiation>(&r.detail).ok())
            .collect();
        Ok(IntentBook::from_threads(intent_info(intent), threads))
    }

    /// Our contact card for accepts: the reference contact string plus our commitment salt.
    fn contact_card(
        &self,
    ) -> Result<(String, Option<crate::protocol::envelope::ContactSalt>), AppError> {
        self.my_contact_card()
    }

    // ---- effects ------------------------------------------------------------------------

    /// What `peer` has used towards us: this session's memory plus what earlier sessions
    /// persisted (so a restart never switches a NIP-04-only peer to NIP-17 it cannot read).
    pub(crate) fn peer_transports(&self, peer: &PublicKey) -> SeenTransports {
        let live = self
            .client()
            .map(|c| c.seen_transports(peer))
            .unwrap_or_default();
        live.union(self.stored_peer_transports(peer))
    }

    /// What earlier sessions recorded for `peer` (nothing if unreadable).
    fn stored_peer_transports(&self, peer: &PublicKey) -> SeenTransports {
        self.inner
            .store
            .setting_get(&peer_transport_key(peer))
            .ok()
            .flatten()
            .map(|v| SeenTransports::from_label(&v))
            .unwrap_or_default()
    }

    /// Records the transport of a message that was a valid envelope of one of our threads (only
    /// those: a stranger's DMs never grow the store).
    fn remember_peer_transport(&self, peer: PublicKey, transport: Transport) {
        if let Ok(c) = self.client() {
            c.note_peer_transport(peer, transport);
        }
        let before = self.stored_peer_transports(&peer);
        let after = before.with(transport);
        if after != before {
            // Best effort: the next message from the peer records it again.
            let _ = self
                .inner
                .store
                .setting_set(&peer_transport_key(&peer), &after.to_label());
        }
    }

    /// The relay a direct message to `peer` goes to first (their first inbox relay, else their
    /// first read relay), looking their lists up when stale; `None` without lists or offline.
    pub(crate) async fn dm_hint(
        &self,
        peer: &PublicKey,
    ) -> Result<Option<nostr::RelayUrl>, AppError> {
        self.ensure_peer_relays(&[*peer]).await?;
        let Ok(c) = self.client() else {
            return Ok(None);
        };
        Ok(c.peer_relays(peer)
            .and_then(|p| p.inbox.first().or_else(|| p.read.first()).cloned()))
    }

    /// A relay where `peer`'s own events are found (their first write relay), for the relay hint
    /// of a `p` tag; looks their lists up when stale. `None` without lists or offline.
    pub(crate) async fn p_hint(
        &self,
        peer: &PublicKey,
    ) -> Result<Option<nostr::RelayUrl>, AppError> {
        self.ensure_peer_relays(&[*peer]).await?;
        let Ok(c) = self.client() else {
            return Ok(None);
        };
        Ok(c.peer_relays(peer).and_then(|p| p.write.first().cloned()))
    }

    /// The events that carry an envelope to the counterparty, on the transport it reads (see
    /// `caps.rs`: gift wraps for a peer that showed it reads them, else NIP-04), built and
    /// signed but not written (the caller commits them to the outbox with what they change).
    /// `None` for a blocked key: nothing is sent to it. Else the message id (the rumor id for
    /// NIP-17, the event id for NIP-04) and the events (NIP-17: to them and a copy to us).
    pub(crate) async fn envelope_events(
        &self,
        env: &Envelope,
    ) -> Result<Option<(EventId, Vec<Event>)>, AppError> {
        let keys = self.keys()?;
        let me = keys.public_key();
        let peer = env
            .nego
            .counterparty_of(&me)
            .ok_or_else(|| AppError::Internal {
                reason: "envelope for a negotiation we are not part of".into(),
            })?;
        if self.is_blocked(&peer) {
            return Ok(None);
        }
        let json = build_envelope(env)?;
        // Where they read (their lists, looked up when stale): the outbox routes the message
        // there, inbox relays first. A published inbox list also tells us they read gift wraps.
        let hint = self.dm_hint(&peer).await?;
        let intent = self.load_intent(&env.intent_id.to_hex()).ok();
        let tr = self.transport_for(&peer, intent.as_ref());
        let now = Timestamp::from(unix_now());
        let internal = |e: crate::relay::DmError| AppError::Internal {
            reason: e.to_string(),
        };
        let (id, events) = match tr {
            Transport::Nip17 => {
                let out = transport::build_nip17_with_hint(&keys, &peer, &json, now, hint.as_ref())
                    .map_err(internal)?;
                (out.rumor_id, vec![out.to_peer, out.to_self])
            }
            Transport::Nip04 => {
                let e = transport::build_nip04(&keys, &peer, &json, now).map_err(internal)?;
                (e.id, vec![e])
            }
        };
        Ok(Some((id, events)))
    }

    /// Builds (and signs) what the state machine asked to send, and notes what listeners must
    /// hear; nothing is written yet (see [`App::commit_change`]).
    pub(crate) async fn prepare_effects(
        &self,
        intent_id: EventId,
        effects: &[(NegoId, Effect)],
    ) -> Result<Outgoing, AppError> {
        let mut out = Outgoing::default();
        for (nego, fx) in effects {
            match fx {
                Effect::Send(env) => {
                    if let Some((_, events)) = self.envelope_events(env).await? {
                        out.events.extend(events);
                    }
                }
                Effect::PublishReceipt => {
                    // Like the reference: publish our (proven-tier) half on confirmation.
                    let keys = self.keys()?;
                    let me = keys.public_key();
                    if let Some(peer) = nego.counterparty_of(&me) {
                        let draft = ReceiptDraft {
                            nego: nego.clone(),
                            peer,
                            intent_id,
                            meet: None,
                            countersigns: None,
                        };
                        // This half is never rebuilt by the other phone (met halves are), so it
                        // may carry where the peer is found (NIP-01 `p` relay hint).
                        let hint = self.p_hint(&peer).await?;
                        let ev = build_receipt_with_hint(
                            &draft,
                            Timestamp::from(unix_now()),
                            hint.as_ref(),
                        )
                        .sign_with_keys(&keys)
                        .map_err(|e| AppError::Internal {
                            reason: e.to_string(),
                        })?;
                        out.events.push(ev.clone());
                        out.receipts.push(ev);
                    }
                }
                Effect::StateChanged { to, .. } => out.changed.push((nego.clone(), Some(*to))),
                Effect::TermsChanged { .. }
                | Effect::Confirmed { .. }
                | Effect::Cancelled { .. }
                | Effect::Chat { .. }
                | Effect::ContactReceived { .. }
                | Effect::PeerStatus { .. }
                | Effect::StaleAccept { .. } => out.changed.push((nego.clone(), None)),
            }
        }
        // A deal cancelled before the meetup takes its check-in with it.
        let mut cancelled: Vec<&NegoId> = Vec::new();
        for (nego, fx) in effects {
            if matches!(fx, Effect::Cancelled { .. }) && !cancelled.contains(&nego) {
                cancelled.push(nego);
            }
        }
        for nego in cancelled {
            self.cancel_checkin_with_deal(nego, effects, &mut out)
                .await?;
        }
        Ok(out)
    }

    /// Records a change in one transaction: the changed threads, the outgoing events (outbox),
    /// the notices, and whatever `extra` writes (a received message, a processed wrap, a used
    /// meet nonce). Returns the notices that were new.
    pub(crate) fn commit_change(
        &self,
        threads: &[NegotiationRecord],
        out: &Outgoing,
        notices: &[PendingNotice],
        extra: impl FnOnce(&StoreTx<'_>) -> Result<(), StoreError>,
    ) -> Result<Vec<Notice>, AppError> {
        Ok(self.commit_change_with(threads, out, notices, extra)?.0)
    }

    /// [`App::commit_change`], also returning what `extra` returned.
    pub(crate) fn commit_change_with<T>(
        &self,
        threads: &[NegotiationRecord],
        out: &Outgoing,
        notices: &[PendingNotice],
        extra: impl FnOnce(&StoreTx<'_>) -> Result<T, StoreError>,
    ) -> Result<(Vec<Notice>, T), AppError> {
        // A kept book must never be older than the store: drop the books of the threads
        // written here (a change made through a book gives it back after this).
        for r in threads {
            self.forget_book(&r.intent_id);
        }
        Ok(self.inner.store.transaction(|tx| {
            for r in threads {
                tx.upsert_negotiation(r)?;
            }
            for e in &out.events {
                tx.outbox_enqueue(e)?;
            }
            super::checkins::write_rows(tx, &out.checkins)?;
            let extra = extra(tx)?;
            let mut new = Vec::new();
            for n in notices {
                new.extend(n.insert(tx)?);
            }
            Ok((new, extra))
        })?)
    }

    /// After the commit: our receipt halves into the local store (reputation), the publisher
    /// woken, listeners told.
    pub(crate) async fn finish_change(
        &self,
        out: Outgoing,
        notices: Vec<Notice>,
    ) -> Result<(), AppError> {
        if !out.receipts.is_empty() {
            self.store_public(&out.receipts)?;
        }
        if !out.events.is_empty()
            && let Ok(c) = self.client()
        {
            c.wake_outbox();
        }
        for (nego, state) in out.changed {
            let state = match state {
                Some(s) => s,
                None => match self.load_thread(&nego) {
                    Ok((n, _)) => n.state(),
                    Err(_) => continue,
                },
            };
            self.emit(AppEvent::NegotiationChanged {
                nego: nego.to_string(),
                state: state.into(),
            });
        }
        self.emit_notices(notices);
        Ok(())
    }

    /// Records threads changed by a local action together with what the action sends, then
    /// tells listeners.
    async fn commit_local<'a>(
        &self,
        threads: impl IntoIterator<Item = &'a Negotiation>,
        intent_id: EventId,
        effects: &[(NegoId, Effect)],
    ) -> Result<(), AppError> {
        let recs = self.changed_records(threads, intent_id)?;
        let out = self.prepare_effects(intent_id, effects).await?;
        let new = self.commit_change(&recs, &out, &[], |_| Ok(()))?;
        self.finish_change(out, new).await
    }

    // ---- local actions ------------------------------------------------------------------

    /// Whether we may open a thread on `intent` now (accepting it as posted or countering): not
    /// our own, not withdrawn, not expired, and no thread of ours on it yet. The one rule behind
    /// [`App::respond`] and `IntentView.actions`.
    pub(crate) fn check_respond(&self, intent: &Intent, now: u64) -> Result<NegoId, AppError> {
        let me = self.public_key()?;
        if intent.author == me {
            return Err(AppError::refused("respond", Refusal::OwnIntent));
        }
        if intent.is_withdrawn() {
            return Err(AppError::refused("respond", Refusal::IntentWithdrawn));
        }
        if now >= intent.expires_at {
            return Err(AppError::refused("respond", Refusal::IntentExpired));
        }
        let nego = NegoId::new(&intent.d, intent.author, me)?;
        if let Some(rec) = self.inner.store.get_negotiation(&nego)? {
            let state = serde_json::from_slice::<Negotiation>(&rec.detail)
                .map(|n| DealState::from(n.state()))
                .unwrap_or(DealState::Open);
            return Err(AppError::refused(
                "respond",
                Refusal::AlreadyResponded { state },
            ));
        }
        Ok(nego)
    }

    /// Opens a thread on someone's intent (its id, or a shared `nevent` link) with an accept
    /// (reveals our contact) or a counter.
    pub async fn respond(&self, intent: &str, response: Response) -> Result<DealView, AppError> {
        let intent_id = self.ensure_intent(intent).await?;
        let intent_id = intent_id.as_str();
        let _g = self.inner.nego_lock.lock().await;
        let me = self.public_key()?;
        let intent = self.load_intent(intent_id)?;
        let nego = self.check_respond(&intent, unix_now())?;
        let info = intent_info(&intent);
        let mut n = Negotiation::new_responder(&info, me)?;
        let (contact, salt) = self.contact_card()?;
        n.set_auto_accept(Some(crate::negotiation::ContactCard {
            contact: contact.clone(),
            salt,
        }))?;
        let now = unix_now();
        let fx = match response {
            Response::Accept => n.accept(contact, salt, now)?,
            Response::Counter(terms) => n.counter(terms, now)?,
        };
        let fx: Vec<(NegoId, Effect)> = fx.into_iter().map(|e| (nego.clone(), e)).collect();
        self.commit_local([&n], intent.id, &fx).await?;
        self.deal(&nego.to_string())
    }

    /// Runs a local action on a thread: through the intent's book for the owner, directly for
    /// a responder.
    pub(crate) async fn act(
        &self,
        nego: &str,
        f: impl FnOnce(
            &mut Negotiation,
            u64,
        ) -> Result<Vec<Effect>, crate::negotiation::NegotiationError>,
    ) -> Result<DealView, AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let nego = parse_nego(nego)?;
        let (n, rec) = self.load_thread(&nego)?;
        let now = unix_now();
        if n.role() == Role::Owner {
            let intent = self.load_intent(&rec.intent_id.to_hex())?;
            let mut book = self.take_book(&intent)?;
            let fx = book.act(&nego, now, |t| f(t, now))?;
            self.commit_local(book.touched(), rec.intent_id, &fx)
                .await?;
            self.keep_book(book);
        } else {
            let mut n = n;
            let fx: Vec<(NegoId, Effect)> = f(&mut n, now)?
                .into_iter()
                .map(|e| (nego.clone(), e))
                .collect();
            self.commit_local([&n], rec.intent_id, &fx).await?;
        }
        self.deal(&nego.to_string())
    }

    /// The terms a counter-offer's form edits make from `base` (see
    /// [`crate::protocol::form::edit_terms`]): typed violations per field when an edit is
    /// refused.
    pub(crate) fn terms_from_entries(
        &self,
        market: &str,
        base: &Terms,
        entries: &[FormEntry],
    ) -> Result<Terms, AppError> {
        let Value::Object(base) = base.to_value() else {
            return Err(AppError::Internal {
                reason: "terms are not an object".into(),
            });
        };
        let market = self.market(market).ok();
        let edited = edit_terms(market, &base, entries)
            .map_err(|violations| AppError::InvalidInput { violations })?;
        Terms::from_map(&edited).map_err(|_| AppError::invalid("terms", Rule::Invalid))
    }

    /// Counters with the terms on the table edited by a form (see [`App::terms_from_entries`]).
    pub async fn counter_entries(
        &self,
        nego: &str,
        entries: &[FormEntry],
    ) -> Result<DealView, AppError> {
        let (n, _) = self.load_thread(&parse_nego(nego)?)?;
        let terms = self.terms_from_entries(n.market(), n.terms(), entries)?;
        self.counter(nego, terms).await
    }

    /// Answers someone's intent with its terms edited by a form.
    pub async fn respond_counter_entries(
        &self,
        intent_id: &str,
        entries: &[FormEntry],
    ) -> Result<DealView, AppError> {
        let intent_id = self.ensure_intent(intent_id).await?;
        let intent = self.load_intent(&intent_id)?;
        let terms = self.terms_from_entries(&intent.market, &intent_terms(&intent), entries)?;
        self.respond(&intent_id, Response::Counter(terms)).await
    }

    /// Proposes a change to the terms on the table (merged onto them; keys not given stand, a
    /// `null` removes one). Only what changed is sent.
    pub async fn counter(&self, nego: &str, terms: Terms) -> Result<DealView, AppError> {
        self.act(nego, |n, now| n.counter(terms, now)).await
    }

    /// Accepts the terms on the table (reveals our contact; confirms if they accepted too). On
    /// our own intent accepting a quote is picking it (see [`App::pick`]).
    pub async fn accept(&self, nego: &str) -> Result<DealView, AppError> {
        let (n, _) = self.load_thread(&parse_nego(nego)?)?;
        if n.role() == Role::Owner {
            return self.pick(nego).await;
        }
        let (contact, salt) = self.contact_card()?;
        self.act(nego, move |n, now| n.accept(contact, salt, now))
            .await
    }

    /// Cancels a thread (any state before `met`).
    pub async fn cancel(&self, nego: &str, reason: Option<String>) -> Result<DealView, AppError> {
        self.act(nego, move |n, now| n.cancel(reason, now)).await
    }

    /// Asks the counterparty to agree to cancel a confirmed deal.
    pub async fn request_cancel(
        &self,
        nego: &str,
        reason: Option<String>,
    ) -> Result<DealView, AppError> {
        self.act(nego, move |n, now| n.request_cancel(reason, now))
            .await
    }

    /// Agrees to the counterparty's request to cancel a confirmed deal: it is cancelled.
    pub async fn agree_cancel(&self, nego: &str) -> Result<DealView, AppError> {
        self.act(nego, |n, now| n.agree_cancel(now)).await
    }

    /// Declines the counterparty's request to cancel: the deal stays confirmed.
    pub async fn decline_cancel(&self, nego: &str) -> Result<DealView, AppError> {
        self.act(nego, |n, now| n.decline_cancel(now)).await
    }

    /// The intent owner picks one responder's quote: accepts it; once confirmed, every other
    /// thread on the intent gets "Filled — taken by another offer".
    pub async fn pick(&self, nego: &str) -> Result<DealView, AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let nego_id = parse_nego(nego)?;
        let (n, rec) = self.load_thread(&nego_id)?;
        if n.role() != Role::Owner {
            return Err(AppError::refused("pick", Refusal::OwnerOnly));
        }
        let intent = self.load_intent(&rec.intent_id.to_hex())?;
        let mut book = self.take_book(&intent)?;
        let (contact, salt) = self.contact_card()?;
        let fx = book.pick(&nego_id, contact, salt, unix_now())?;
        self.commit_local(book.touched(), rec.intent_id, &fx)
            .await?;
        self.keep_book(book);
        self.deal(nego)
    }

    /// Cancels every live thread on one of our intents (used when withdrawing it).
    pub(crate) async fn cancel_all_on_intent(
        &self,
        intent: &Intent,
        reason: &str,
    ) -> Result<(), AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let mut book = self.take_book(intent)?;
        // Only threads still being negotiated: a confirmed deal is an agreement between two
        // people, and taking the listing down must not break it.
        let ids: Vec<NegoId> = book
            .threads()
            .filter(|t| {
                matches!(
                    t.state(),
                    State::Open | State::AcceptedByUs | State::AcceptedByThem
                )
            })
            .map(|t| t.nego().clone())
            .collect();
        let mut all = Vec::new();
        for id in ids {
            if let Ok(fx) = book.act(&id, unix_now(), |t| {
                t.cancel(Some(reason.to_string()), unix_now())
            }) {
                all.extend(fx);
            }
        }
        self.commit_local(book.touched(), intent.id, &all).await?;
        self.keep_book(book);
        Ok(())
    }

    // ---- incoming -------------------------------------------------------------------------

    /// Applies one decrypted direct message from a counterparty (the caller,
    /// [`App::receive_dm`], already dropped blocked senders, our own copies and messages refused
    /// before). Anything that is not a valid envelope for a thread we are part of (injection from
    /// a third key, wrong intent, malformed JSON) is an error and changes nothing; a stale accept
    /// is applied (the ledger records it) and recorded as a refusal.
    ///
    /// `wrap` (the gift wrap's id and time) is recorded as processed in the same transaction as
    /// everything the message changed: the threads, the message or chat line, what it makes us
    /// send (an auto-accept, "Filled" to other responders, our receipt half) and its notices. A
    /// process killed at any point has either done all of it or none of it, and the message is
    /// applied again (once) by the next catch-up.
    pub(crate) async fn apply_dm(
        &self,
        dm: DecryptedDm,
        msg_id: EventId,
        wrap: Option<(EventId, u64)>,
    ) -> Result<(), AppError> {
        let me = self.public_key()?;
        let env = parse_envelope(&dm.plaintext)?;
        let _g = self.inner.nego_lock.lock().await;
        let now = unix_now();
        let nego = env.nego.clone();
        let (intent_id, effects, records, opened, states, market, book) = if nego.author() == me {
            // We own the intent: route through its book (opens a thread for a new responder).
            let intent = self.load_intent(&env.intent_id.to_hex())?;
            if intent.author != me || intent.d != nego.intent_d() {
                return Err(NegotiationError::NegoMismatch {
                    expected: format!("{}:{}", intent.d, intent.author.to_hex()),
                    found: nego.to_string(),
                }
                .into());
            }
            let mut book = self.take_book(&intent)?;
            let existed = book.thread(&nego).is_some();
            let fx = book.apply_incoming(dm.sender, &env, dm.event_id, now)?;
            let opened = (!existed && book.thread(&nego).is_some())
                .then(|| (nego.clone(), env.kind == EnvelopeType::Accept));
            let records = self.changed_records(book.touched(), intent.id)?;
            let states: Vec<(NegoId, State)> = book
                .touched()
                .map(|t| (t.nego().clone(), t.state()))
                .collect();
            (
                intent.id,
                fx,
                records,
                opened,
                states,
                intent.market.clone(),
                Some(book),
            )
        } else if nego.responder() == me {
            let (mut n, rec) = self.load_thread(&nego)?;
            let fx = n.apply_incoming(dm.sender, &env, dm.event_id, now)?;
            let records = self.changed_records([&n], rec.intent_id)?;
            let states = vec![(nego.clone(), n.state())];
            (
                rec.intent_id,
                fx.into_iter().map(|e| (nego.clone(), e)).collect(),
                records,
                None,
                states,
                n.market().to_string(),
                None,
            )
        } else {
            return Err(NegotiationError::NotAParty {
                sender: dm.sender.to_hex(),
                nego: nego.to_string(),
            }
            .into());
        };
        let out = self.prepare_effects(intent_id, &effects).await?;
        let state_of = |n: &NegoId| states.iter().find(|(x, _)| x == n).map(|(_, s)| *s);
        // A quote on an intent already filled is answered "Filled" by the book at once: nothing
        // for the owner to look at.
        let filled_at_once = opened
            .as_ref()
            .is_some_and(|(n, _)| state_of(n).is_some_and(State::is_terminal));
        let notices: Vec<PendingNotice> = super::notices::from_effects(
            &effects,
            opened.as_ref().map(|(n, posted)| (n, *posted)),
            state_of,
            &msg_id,
        )
        .into_iter()
        .filter(|(n, _, _)| !(filled_at_once && *n == nego))
        .map(|(n, key, kind)| PendingNotice {
            deal: Some(self.notice_deal(&n, &intent_id, &market)),
            key,
            kind,
            created_at: now,
        })
        .collect();
        let chats: Vec<ChatRecord> = effects
            .iter()
            .filter_map(|(n, fx)| match fx {
                Effect::Chat { text } => Some(ChatRecord {
                    nego: n.clone(),
                    event_id: msg_id,
                    from_me: false,
                    ts: env.ts,
                    received_at: now,
                    text: text.clone(),
                    unread: true,
                }),
                _ => None,
            })
            .collect();
        let stale = effects
            .iter()
            .any(|(_, fx)| matches!(fx, Effect::StaleAccept { .. }));
        let msg = (!matches!(env.kind, EnvelopeType::Chat)).then(|| MessageRecord {
            nego: nego.clone(),
            event_id: msg_id,
            sender: dm.sender,
            msg_type: env.kind.as_str().to_string(),
            ts: env.ts,
            envelope: dm.plaintext.into_bytes(),
        });
        let (stored, chat_full) = self.commit_change_with(&records, &out, &notices, |tx| {
            // A message of a thread we did not keep (refused before it opened) is not stored.
            if let Some(msg) = &msg
                && tx.get_negotiation(&msg.nego)?.is_some()
            {
                tx.insert_message(msg)?;
            }
            let mut received = Vec::new();
            for c in &chats {
                if tx.get_negotiation(&c.nego)?.is_some() {
                    received.push((c.nego.clone(), tx.insert_chat(c)?));
                }
            }
            if let Some((id, at)) = wrap {
                tx.wrap_mark_processed(&id, at)?;
            }
            Ok(received)
        })?;
        if let Some(book) = book {
            self.keep_book(book);
        }
        drop(_g);
        self.remember_peer_transport(dm.sender, dm.transport);
        let mut refused = stale.then_some((
            RefusalCode::StaleAccept,
            "they accepted terms that are not the ones on the table",
        ));
        for (n, inserted) in chat_full {
            match inserted {
                ChatInsert::Inserted => self.emit(AppEvent::ChatReceived {
                    nego: n.to_string(),
                }),
                ChatInsert::Replay => {}
                ChatInsert::Full => {
                    refused = Some((RefusalCode::ChatFull, "this deal's chat is full"))
                }
            }
        }
        self.finish_change(out, stored).await?;
        if let Some((code, why)) = refused {
            self.refuse(msg_id, dm.sender, Some(&nego), code, None, why);
        }
        Ok(())
    }

    /// Expires unconfirmed threads whose intent expired (enforced, unlike the reference).
    pub async fn expire_due(&self) -> Result<u32, AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let now = unix_now();
        let mut changed = 0u32;
        for rec in self.inner.store.list_negotiations()? {
            let Ok(mut n) = serde_json::from_slice::<Negotiation>(&rec.detail) else {
                continue;
            };
            if n.state().is_terminal() {
                continue;
            }
            let fx = n.tick(now);
            if !fx.is_empty() {
                changed += 1;
                let nego = n.nego().clone();
                let fx: Vec<(NegoId, Effect)> = fx.into_iter().map(|e| (nego.clone(), e)).collect();
                self.commit_local([&n], rec.intent_id, &fx).await?;
            }
        }
        Ok(changed)
    }

    // ---- views ----------------------------------------------------------------------------

    /// One negotiation as the deal screen shows it.
    pub fn deal(&self, nego: &str) -> Result<DealView, AppError> {
        let nego = parse_nego(nego)?;
        let (n, rec) = self.load_thread(&nego)?;
        let book = (n.role() == Role::Owner)
            .then(|| self.book_of(rec.intent_id))
            .flatten();
        Ok(self.deal_view(&n, &rec, book.as_ref()))
    }

    /// Every negotiation we are part of, most recently changed first.
    pub fn deals(&self) -> Result<Vec<DealView>, AppError> {
        let threads: Vec<(Negotiation, NegotiationRecord)> = self
            .inner
            .store
            .list_negotiations()?
            .into_iter()
            .filter_map(|rec| Some((serde_json::from_slice(&rec.detail).ok()?, rec)))
            .collect();
        // The owner's threads are judged with their intent's book: one load per intent.
        let mut books: HashMap<EventId, Option<IntentBook>> = HashMap::new();
        for (n, rec) in &threads {
            if n.role() == Role::Owner && !books.contains_key(&rec.intent_id) {
                books.insert(rec.intent_id, self.book_of(rec.intent_id));
            }
        }
        let mut out: Vec<DealView> = threads
            .iter()
            .map(|(n, rec)| {
                let book = books.get(&rec.intent_id).and_then(Option::as_ref);
                self.deal_view(n, rec, book)
            })
            .collect();
        out.sort_by(|a, b| b.updated_at.cmp(&a.updated_at).then(a.nego.cmp(&b.nego)));
        Ok(out)
    }

    /// The owner's side-by-side view of every responder's quote on one intent, each with the
    /// responder's screening card from our position.
    pub fn quotes(&self, intent_id: &str) -> Result<Vec<QuoteView>, AppError> {
        let me = self.public_key()?;
        let intent = self.load_intent(intent_id)?;
        if intent.author != me {
            return Err(AppError::refused("quotes", Refusal::OwnerOnly));
        }
        let trust = self.viewer_trust()?;
        let book = self.load_book(&intent)?;
        let mut out = Vec::new();
        for rec in self.inner.store.negotiations_for_intent(&intent.id)? {
            let Ok(n) = serde_json::from_slice::<Negotiation>(&rec.detail) else {
                continue;
            };
            if self.is_blocked(&n.counterparty()) {
                continue;
            }
            let screening = self.screening_view_with(trust.as_ref(), &n.counterparty(), false)?;
            out.push(QuoteView {
                deal: self.deal_view(&n, &rec, Some(&book)),
                screening,
            });
        }
        Ok(out)
    }

    /// The book of our intent `intent_id` (every responder's thread on it), which an owner's
    /// thread is judged with; `None` when the intent is gone.
    fn book_of(&self, intent_id: EventId) -> Option<IntentBook> {
        self.load_intent(&intent_id.to_hex())
            .and_then(|i| self.load_book(&i))
            .ok()
    }

    /// What the local user may do on `n` now: the state machine's actions (through the intent's
    /// book for the owner, where accepting is picking), minus `rate` once we rated and `chat`
    /// while the counterparty is blocked (nothing is sent to a blocked key).
    pub(crate) fn deal_actions(
        &self,
        n: &Negotiation,
        book: Option<&IntentBook>,
        rated: bool,
        blocked: bool,
        now: u64,
    ) -> Vec<DealAction> {
        let mut actions = match (n.role(), book) {
            (Role::Owner, Some(b)) if b.thread(n.nego()).is_some() => b.actions(n.nego(), now),
            _ => n.actions(now),
        };
        actions.retain(|a| match a {
            DealAction::Rate => !rated,
            DealAction::Chat => !blocked,
            _ => true,
        });
        actions
    }

    pub(crate) fn deal_view(
        &self,
        n: &Negotiation,
        rec: &NegotiationRecord,
        book: Option<&IntentBook>,
    ) -> DealView {
        let peer: PublicKey = n.counterparty();
        let title = self
            .load_intent(&rec.intent_id.to_hex())
            .map(|i| i.title)
            .unwrap_or_default();
        let state = n.state();
        let terms_value = n.confirmed_terms().unwrap_or(n.terms()).to_value();
        let confirmed = state.is_confirmed_or_later();
        let rated = self.has_rated(n.nego()).unwrap_or(false);
        let blocked = self.is_blocked(&peer);
        DealView {
            nego: n.nego().to_string(),
            intent_id: rec.intent_id.to_hex(),
            intent_title: title,
            market: n.market().to_string(),
            role: n.role().into(),
            state: state.into(),
            counterparty: peer.to_hex(),
            counterparty_npub: to_npub(&peer),
            terms: match &terms_value {
                serde_json::Value::Object(map) => {
                    crate::protocol::terms::term_views(self.market(n.market()).ok(), map)
                }
                _ => Vec::new(),
            },
            terms_json: terms_value.to_string(),
            proposed_by: n.proposed_by().into(),
            rounds_left: u32::from(n.rounds_left()),
            their_contact: if confirmed {
                n.their_contact().map(|c| c.contact.clone())
            } else {
                None
            },
            cancellation: n.cancellation().map(|(by, reason)| Cancellation {
                by: by.into(),
                reason: CancelReason::of(reason),
            }),
            expires_at: n.expires_at(),
            updated_at: rec.updated_at,
            actions: self.deal_actions(n, book, rated, blocked, unix_now()),
            rated,
            stage: n.stage().map(|s| match s {
                Stage::PickedUp => DealStage::PickedUp,
                Stage::Completed => DealStage::Completed,
            }),
            unread: self.inner.store.chat_unread(n.nego()).unwrap_or(0),
            counterparty_blocked: blocked,
            refused: self.inner.store.refusal_count(n.nego()).unwrap_or(0),
        }
    }

    pub(crate) fn forget_shown(&self, nego: &NegoId) {
        lock(&self.inner.shown).remove(nego);
    }
}

/// The settings key under which a peer's transports are kept.
fn peer_transport_key(peer: &PublicKey) -> String {
    format!("peer_transport/{}", peer.to_hex())
}
