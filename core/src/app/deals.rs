//! Negotiation use cases: respond, counter, accept, cancel, pick, quotes, deals; and applying
//! incoming envelopes. Each thread is persisted (sealed) as one negotiation record; the owner's
//! threads on one intent are driven through an [`IntentBook`] so that confirming one sends the
//! authoritative "Filled" cancel to every other responder.

use nostr::{Event, EventId, PublicKey, Timestamp};

use super::notices::{Notice, PendingNotice};
use super::{App, AppError, AppEvent, DealView, QuoteView, lock, unix_now};
use crate::identity::to_npub;
use crate::negotiation::{Effect, IntentBook, IntentInfo, Negotiation, Role, Side, State};
use crate::protocol::NegoId;
use crate::protocol::envelope::{Envelope, EnvelopeType, Terms, build_envelope, parse_envelope};
use crate::protocol::intent::Intent;
use crate::protocol::receipt::{ReceiptDraft, build_receipt};
use crate::relay::transport::SeenTransports;
use crate::relay::{DecryptedDm, Transport, transport};
use crate::store::{MessageRecord, NegotiationRecord, StoreError, StoreTx};

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
}

/// How a responder opens a thread on someone's intent.
#[derive(Debug, Clone, PartialEq)]
pub enum Response {
    /// Accept the intent's terms as posted (reveals our contact).
    Accept,
    /// Propose other terms (complete terms; merged onto the intent's).
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
    fn peer_transports(&self, peer: &PublicKey) -> SeenTransports {
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

    /// The events that carry an envelope to the counterparty (NIP-17 by default, to them and a
    /// copy to us; NIP-04 for a peer that has only ever used NIP-04).
    fn envelope_events(&self, env: &Envelope) -> Result<Vec<Event>, AppError> {
        let keys = self.keys()?;
        let me = keys.public_key();
        let peer = env
            .nego
            .counterparty_of(&me)
            .ok_or_else(|| AppError::Internal {
                reason: "envelope for a negotiation we are not part of".into(),
            })?;
        let json = build_envelope(env)?;
        let tr = self.peer_transports(&peer).preferred();
        let now = Timestamp::from(unix_now());
        let events =
            match tr {
                Transport::Nip17 => {
                    let out = transport::build_nip17(&keys, &peer, &json, now).map_err(|e| {
                        AppError::Internal {
                            reason: e.to_string(),
                        }
                    })?;
                    vec![out.to_peer, out.to_self]
                }
                Transport::Nip04 => vec![
                    transport::build_nip04(&keys, &peer, &json, now).map_err(|e| {
                        AppError::Internal {
                            reason: e.to_string(),
                        }
                    })?,
                ],
            };
        Ok(events)
    }

    /// Builds (and signs) what the state machine asked to send, and notes what listeners must
    /// hear; nothing is written yet (see [`App::commit_change`]).
    pub(crate) fn prepare_effects(
        &self,
        intent_id: EventId,
        effects: &[(NegoId, Effect)],
    ) -> Result<Outgoing, AppError> {
        let mut out = Outgoing::default();
        for (nego, fx) in effects {
            match fx {
                Effect::Send(env) => out.events.extend(self.envelope_events(env)?),
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
                        let ev = build_receipt(&draft, Timestamp::from(unix_now()))
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
                | Effect::PeerStatus { .. }
                | Effect::StaleAccept { .. } => out.changed.push((nego.clone(), None)),
            }
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
        Ok(self.inner.store.transaction(|tx| {
            for r in threads {
                tx.upsert_negotiation(r)?;
            }
            for e in &out.events {
                tx.outbox_enqueue(e)?;
            }
            extra(tx)?;
            let mut new = Vec::new();
            for n in notices {
                new.extend(n.insert(tx)?);
            }
            Ok(new)
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
                Some(s) => state_label(s).to_string(),
                None => self
                    .inner
                    .store
                    .get_negotiation(&nego)
                    .ok()
                    .flatten()
                    .map(|r| r.state)
                    .unwrap_or_default(),
            };
            self.emit(AppEvent::NegotiationChanged {
                nego: nego.to_string(),
                state,
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
        let out = self.prepare_effects(intent_id, effects)?;
        let new = self.commit_change(&recs, &out, &[], |_| Ok(()))?;
        self.finish_change(out, new).await
    }

    // ---- local actions ------------------------------------------------------------------

    /// Opens a thread on someone's intent with an accept (reveals our contact) or a counter.
    pub async fn respond(&self, intent_id: &str, response: Response) -> Result<DealView, AppError> {
        self.ensure_intent(intent_id).await?;
        let _g = self.inner.nego_lock.lock().await;
        let me = self.public_key()?;
        let intent = self.load_intent(intent_id)?;
        if intent.author == me {
            return Err(AppError::NotPossible {
                what: "respond",
                why: "this is your own intent".into(),
            });
        }
        if intent.is_withdrawn() {
            return Err(AppError::NotPossible {
                what: "respond",
                why: "the intent was withdrawn".into(),
            });
        }
        let info = intent_info(&intent);
        let nego = NegoId::new(&info.d, info.author, me)?;
        if let Ok((n, _)) = self.load_thread(&nego) {
            return Err(AppError::NotPossible {
                what: "respond",
                why: format!(
                    "you already have a thread on this intent ({})",
                    state_label(n.state())
                ),
            });
        }
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
    async fn act(
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
            let mut book = self.load_book(&intent)?;
            let fx = book.act(&nego, now, |t| f(t, now))?;
            self.commit_local(book.threads(), rec.intent_id, &fx)
                .await?;
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

    /// Proposes new (complete) terms.
    pub async fn counter(&self, nego: &str, terms: Terms) -> Result<DealView, AppError> {
        self.act(nego, |n, now| n.counter(terms, now)).await
    }

    /// Accepts the terms on the table (reveals our contact; confirms if they accepted too).
    pub async fn accept(&self, nego: &str) -> Result<DealView, AppError> {
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
            return Err(AppError::NotPossible {
                what: "pick",
                why: "only the intent's owner picks a quote".into(),
            });
        }
        let intent = self.load_intent(&rec.intent_id.to_hex())?;
        let mut book = self.load_book(&intent)?;
        let (contact, salt) = self.contact_card()?;
        let fx = book.pick(&nego_id, contact, salt, unix_now())?;
        self.commit_local(book.threads(), rec.intent_id, &fx)
            .await?;
        self.deal(nego)
    }

    /// Cancels every live thread on one of our intents (used when withdrawing it).
    pub(crate) async fn cancel_all_on_intent(
        &self,
        intent: &Intent,
        reason: &str,
    ) -> Result<(), AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let mut book = self.load_book(intent)?;
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
        self.commit_local(book.threads(), intent.id, &all).await
    }

    // ---- incoming -------------------------------------------------------------------------

    /// Applies one decrypted direct message. Anything that is not a valid envelope for a thread
    /// we are part of (injection from a third key, wrong intent, malformed JSON) is refused and
    /// changes nothing.
    pub(crate) async fn on_dm(&self, dm: DecryptedDm) -> Result<(), AppError> {
        self.apply_dm(dm, None).await
    }

    /// [`App::on_dm`], recording `wrap` (the gift wrap's id and time) as processed in the same
    /// transaction as everything the message changed: the threads, the message, what it makes
    /// us send (an auto-accept, "Filled" to other responders, our receipt half) and its
    /// notices. A process killed at any point has either done all of it or none of it, and the
    /// message is applied again (once) by the next catch-up.
    pub(crate) async fn apply_dm(
        &self,
        dm: DecryptedDm,
        wrap: Option<(EventId, u64)>,
    ) -> Result<(), AppError> {
        let me = self.public_key()?;
        if dm.sender == me {
            return Ok(()); // our own copy of something we sent
        }
        let env = parse_envelope(&dm.plaintext)?;
        let _g = self.inner.nego_lock.lock().await;
        let now = unix_now();
        let nego = env.nego.clone();
        let (intent_id, effects, records, opened, states, market) = if nego.author() == me {
            // We own the intent: route through its book (opens a thread for a new responder).
            let intent =
                self.load_intent(&env.intent_id.to_hex())
                    .map_err(|_| AppError::NotPossible {
                        what: "accept message",
                        why: "it refers to an intent we don't have".into(),
                    })?;
            if intent.author != me || intent.d != nego.intent_d() {
                return Err(AppError::NotPossible {
                    what: "accept message",
                    why: "its negotiation id does not match our intent".into(),
                });
            }
            let mut book = self.load_book(&intent)?;
            let existed = book.thread(&nego).is_some();
            let fx = book.apply_incoming(dm.sender, &env, dm.event_id, now)?;
            let opened = (!existed && book.thread(&nego).is_some())
                .then(|| (nego.clone(), env.kind == EnvelopeType::Accept));
            let records = self.changed_records(book.threads(), intent.id)?;
            let states: Vec<(NegoId, State)> = book
                .threads()
                .map(|t| (t.nego().clone(), t.state()))
                .collect();
            (
                intent.id,
                fx,
                records,
                opened,
                states,
                intent.market.clone(),
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
            )
        } else {
            return Err(AppError::NotPossible {
                what: "accept message",
                why: "we are not a party of its negotiation".into(),
            });
        };
        let out = self.prepare_effects(intent_id, &effects)?;
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
            &dm.event_id,
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
        let msg = MessageRecord {
            nego: nego.clone(),
            event_id: dm.rumor_id.unwrap_or(dm.event_id),
            sender: dm.sender,
            msg_type: env.kind.as_str().to_string(),
            ts: env.ts,
            envelope: dm.plaintext.into_bytes(),
        };
        let stored = self.commit_change(&records, &out, &notices, |tx| {
            // A message of a thread we did not keep (refused before it opened) is not stored.
            if tx.get_negotiation(&msg.nego)?.is_some() {
                tx.insert_message(&msg)?;
            }
            if let Some((id, at)) = wrap {
                tx.wrap_mark_processed(&id, at)?;
            }
            Ok(())
        })?;
        drop(_g);
        self.remember_peer_transport(dm.sender, dm.transport);
        self.finish_change(out, stored).await
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
        Ok(self.deal_view(&n, &rec))
    }

    /// Every negotiation we are part of, most recently changed first.
    pub fn deals(&self) -> Result<Vec<DealView>, AppError> {
        let mut out: Vec<DealView> = self
            .inner
            .store
            .list_negotiations()?
            .into_iter()
            .filter_map(|rec| {
                let n: Negotiation = serde_json::from_slice(&rec.detail).ok()?;
                Some(self.deal_view(&n, &rec))
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
            return Err(AppError::NotPossible {
                what: "quotes",
                why: "only the intent's owner sees its quotes".into(),
            });
        }
        let trust = self.viewer_trust()?;
        let mut out = Vec::new();
        for rec in self.inner.store.negotiations_for_intent(&intent.id)? {
            let Ok(n) = serde_json::from_slice::<Negotiation>(&rec.detail) else {
                continue;
            };
            let screening = self.screening_view_with(trust.as_ref(), &n.counterparty(), false)?;
            out.push(QuoteView {
                deal: self.deal_view(&n, &rec),
                screening,
            });
        }
        Ok(out)
    }

    pub(crate) fn deal_view(&self, n: &Negotiation, rec: &NegotiationRecord) -> DealView {
        let peer: PublicKey = n.counterparty();
        let title = self
            .load_intent(&rec.intent_id.to_hex())
            .map(|i| i.title)
            .unwrap_or_default();
        let state = n.state();
        let terms = n.confirmed_terms().unwrap_or(n.terms());
        let confirmed = state.is_confirmed_or_later();
        let rated = self.has_rated(n.nego()).unwrap_or(false);
        DealView {
            nego: n.nego().to_string(),
            intent_id: rec.intent_id.to_hex(),
            intent_title: title,
            market: n.market().to_string(),
            role: role_label(n.role()).to_string(),
            state: state_label(state).to_string(),
            counterparty: peer.to_hex(),
            counterparty_npub: to_npub(&peer),
            terms_json: terms.to_value().to_string(),
            proposed_by: match n.proposed_by() {
                Side::Us => "us".into(),
                Side::Them => "them".into(),
            },
            rounds_left: u32::from(n.rounds_left()),
            their_contact: if confirmed {
                n.their_contact().map(|c| c.contact.clone())
            } else {
                None
            },
            cancel_reason: n.cancellation().and_then(|(_, r)| r.map(str::to_string)),
            expires_at: n.expires_at(),
            updated_at: rec.updated_at,
            can_meet: state == State::Confirmed,
            can_rate: !rated && matches!(state, State::Confirmed | State::Met | State::Completed),
            rated,
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
