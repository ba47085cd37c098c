//! The meetup: one phone shows a rotating single-use code, the other scans it and co-signs the
//! deal receipt — with no network needed. Nonce use, both halves in the outbox and the move to
//! `met` happen in one store transaction, so a replayed or forwarded code changes nothing and a
//! crash can't leave half a meeting.

use nostr::{EventId, Timestamp};

use super::notices::{MeetStep, NoticeKind, PendingNotice};
use super::{
    App, AppError, AppEvent, DealAction, DealState, MeetCodeView, MeetOutcomeView, Refusal, lock,
    unix_now,
};
use crate::meet::token::deal_tag;
use crate::meet::{
    Code, MeetContext, MeetError, MeetSession, MetPair, QrMatrix, RenderOptions, countersign,
    scan_frame, scan_image, scan_text, verify_return_code, verify_shower_token,
};
use crate::negotiation::{Negotiation, State};
use crate::protocol::NegoId;
use crate::protocol::receipt::Receipt;

/// What a scanner saw.
#[derive(Debug, Clone, PartialEq)]
pub enum ScanInput {
    /// The code's text (typed, pasted, or read by a platform QR detector).
    Text(String),
    /// An encoded image (PNG/JPEG).
    Image(Vec<u8>),
    /// A raw grayscale camera frame (CameraX Y plane, iOS luma plane).
    Frame {
        width: u32,
        height: u32,
        stride: u32,
        data: Vec<u8>,
    },
}

/// Settings key of the halves shown for `nego` (hashed: keys are at most 128 bytes).
fn shown_key(nego: &NegoId) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(nego.to_string().as_bytes());
    format!("meet.shown.{}", hex::encode(&h[..16]))
}

impl App {
    fn meet_context(&self, n: &Negotiation, intent_id: EventId) -> Result<MeetContext, AppError> {
        Ok(MeetContext {
            nego: n.nego().clone(),
            my_pubkey: self.public_key()?,
            peer: n.counterparty(),
            intent_id,
        })
    }

    /// The code to show now for a confirmed deal (rotating: call again at `refresh_at`).
    pub fn meet_show(&self, nego: &str, png_px: u32) -> Result<MeetCodeView, AppError> {
        let nego_id = super::deals::parse_nego(nego)?;
        let (n, rec) = self.load_thread(&nego_id)?;
        n.check(DealAction::ShowCode, unix_now())?;
        let keys = self.keys()?;
        let ctx = self.meet_context(&n, rec.intent_id)?;
        let now = Timestamp::from(unix_now());
        let (shown, halves) = {
            let mut sessions = lock(&self.inner.shown);
            if !sessions.contains_key(&nego_id) {
                sessions.insert(nego_id.clone(), MeetSession::new(ctx, self.inner.cfg.meet)?);
            }
            let session = sessions
                .get_mut(&nego_id)
                .ok_or_else(|| AppError::Internal {
                    reason: "meet session vanished".into(),
                })?;
            let code = session.current(&keys, now, &mut rand::rngs::OsRng)?.clone();
            // Remember recent halves so a return code can be checked in a later process too.
            let halves: Vec<String> = session
                .shown()
                .iter()
                .rev()
                .take(8)
                .map(|c| nostr::JsonUtil::as_json(&c.half))
                .collect();
            (code, halves)
        };
        self.inner.store.setting_set(
            &shown_key(&nego_id),
            &serde_json::to_string(&halves).map_err(|e| AppError::Internal {
                reason: e.to_string(),
            })?,
        )?;
        let qr = QrMatrix::encode(&shown.text)?;
        let opts = RenderOptions::fit(png_px.max(64), qr.width, 4);
        let created = shown.half.created_at.as_secs();
        let policy = self.inner.cfg.meet;
        Ok(MeetCodeView {
            nego: nego.to_string(),
            token: shown.text.clone(),
            png: qr.to_png(&opts)?,
            svg: qr.to_svg(&opts)?,
            terminal: qr.to_terminal(2, true)?,
            qr_version: u32::try_from(qr.version).unwrap_or(0),
            created_at: created,
            expires_at: created.saturating_add(policy.ttl_secs),
            refresh_at: created.saturating_add(policy.rotation_secs),
        })
    }

    /// Scans a code: a shower's meet code (we verify it, co-sign, and move to `met`) or a
    /// scanner's return code (we verify their countersigned half, and move to `met`).
    pub async fn meet_scan(&self, input: ScanInput) -> Result<MeetOutcomeView, AppError> {
        let code = match &input {
            ScanInput::Text(t) => scan_text(t)?,
            ScanInput::Image(bytes) => scan_image(bytes)?,
            ScanInput::Frame {
                width,
                height,
                stride,
                data,
            } => {
                let frame = crate::meet::LumaFrame::new(*width, *height, *stride, data)?;
                scan_frame(&frame)?
            }
        };
        match code {
            Code::Meet(token) => {
                self.scan_meet_code(&token.encode(), token.deal_tag, &token.nonce)
                    .await
            }
            Code::Return(token) => self.scan_return_code(&token.encode(), token.deal_tag).await,
        }
    }

    /// Our live (confirmed or met) threads whose deal tag matches the code's.
    fn thread_for_tag(
        &self,
        tag: [u8; 4],
        want: impl Fn(&Negotiation) -> bool,
    ) -> Result<(Negotiation, EventId), AppError> {
        let mut other_state = None;
        for rec in self.inner.store.list_negotiations()? {
            let Ok(n) = serde_json::from_slice::<Negotiation>(&rec.detail) else {
                continue;
            };
            if deal_tag(n.nego()) == tag {
                if want(&n) {
                    return Ok((n, rec.intent_id));
                }
                other_state = Some(n.state());
            }
        }
        match other_state {
            Some(s) if s.is_terminal() => Err(AppError::refused(
                "use this code",
                Refusal::DealClosed { state: s.into() },
            )),
            Some(State::Met) => Err(AppError::refused("use this code", Refusal::AlreadyMet)),
            Some(s) => Err(AppError::refused(
                "use this code",
                Refusal::NotNow {
                    action: Some(DealAction::ScanCode),
                    state: s.into(),
                },
            )),
            None => Err(MeetError::DifferentDeal.into()),
        }
    }

    async fn scan_meet_code(
        &self,
        text: &str,
        tag: [u8; 4],
        nonce: &crate::protocol::receipt::MeetNonce,
    ) -> Result<MeetOutcomeView, AppError> {
        let _g = self.inner.nego_lock.lock().await;
        let keys = self.keys()?;
        // A replayed code names a deal that is already met: say "already used", not "that deal
        // is met" (the ledger is checked again, atomically, when the nonce is claimed below).
        if self.inner.store.nonce_used_at(nonce)?.is_some() {
            return Err(MeetError::AlreadyUsed {
                nonce: nonce.to_hex(),
            }
            .into());
        }
        let now = unix_now();
        let (mut n, intent_id) =
            self.thread_for_tag(tag, |n| n.check(DealAction::ScanCode, now).is_ok())?;
        let ctx = self.meet_context(&n, intent_id)?;
        let verified = verify_shower_token(text, &ctx, Timestamp::from(now), &self.inner.cfg.meet)?;
        let used = self.inner.store.nonce_used_at(&verified.nonce)?;
        let claimed = verified.claim(used.is_none())?;
        let pair = countersign(&claimed, &keys, Timestamp::from(now))?;
        let fx = n.mark_met(now)?;
        let rec = self.thread_record(&n, intent_id)?;
        // The status message telling the other side (queued: works offline too).
        let out = self
            .prepare_effects(intent_id, &with_nego(n.nego(), fx))
            .await?;
        let mut out = out;
        out.events
            .splice(0..0, [pair.shower.clone(), pair.scanner.clone()]);
        // One transaction, through the common change path: the deal is met, both halves and the
        // status are queued, and the nonce becomes used (a replay fails it and rolls all back).
        let nonce = pair.nonce;
        self.commit_change(&[rec], &out, &[], |tx| tx.use_nonce(&nonce, n.nego(), now))?;
        drop(_g);
        self.after_met(&pair).await?;
        self.finish_change(out, Vec::new()).await?;
        let ret = pair.return_code()?;
        let qr = QrMatrix::encode(&ret)?;
        let opts = RenderOptions::fit(512, qr.width, 4);
        Ok(MeetOutcomeView {
            nego: n.nego().to_string(),
            counterparty: n.counterparty().to_hex(),
            sas_words: pair.words().iter().map(|w| w.to_string()).collect(),
            return_png: Some(qr.to_png(&opts)?),
            return_token: Some(ret),
            state: DealState::Met,
            queued_events: 2,
        })
    }

    async fn scan_return_code(
        &self,
        text: &str,
        tag: [u8; 4],
    ) -> Result<MeetOutcomeView, AppError> {
        let _g = self.inner.nego_lock.lock().await;
        // The shower completes its own meeting: confirmed, or already met by the scanner's
        // receipt arriving first.
        let (mut n, intent_id) =
            self.thread_for_tag(tag, |n| matches!(n.state(), State::Confirmed | State::Met))?;
        let ctx = self.meet_context(&n, intent_id)?;
        let now = unix_now();
        let mut last_err: Option<MeetError> = None;
        let mut pair: Option<MetPair> = None;
        for half in self.shown_halves(n.nego()) {
            match verify_return_code(
                text,
                &half,
                &ctx,
                Timestamp::from(now),
                &self.inner.cfg.meet,
            ) {
                Ok(p) => {
                    pair = Some(p);
                    break;
                }
                Err(e) => last_err = Some(e),
            }
        }
        let pair = match (pair, last_err) {
            (Some(p), _) => p,
            (None, Some(e)) => return Err(e.into()),
            (None, None) => {
                return Err(AppError::refused(
                    "check the return code",
                    Refusal::NoCodeShown,
                ));
            }
        };
        let fx = if n.state() == State::Confirmed {
            n.mark_met(now)?
        } else {
            Vec::new()
        };
        let rec = self.thread_record(&n, intent_id)?;
        let out = self
            .prepare_effects(intent_id, &with_nego(n.nego(), fx))
            .await?;
        self.commit_change(&[rec], &out, &[], |tx| {
            tx.outbox_enqueue(&pair.shower)?;
            tx.outbox_enqueue(&pair.scanner)?;
            Ok(())
        })?;
        drop(_g);
        self.after_met(&pair).await?;
        self.finish_change(out, Vec::new()).await?;
        Ok(MeetOutcomeView {
            nego: n.nego().to_string(),
            counterparty: n.counterparty().to_hex(),
            sas_words: pair.words().iter().map(|w| w.to_string()).collect(),
            return_token: None,
            return_png: None,
            state: DealState::Met,
            queued_events: 2,
        })
    }

    /// Halves this device showed for `nego` (this process's session, then the persisted ones).
    fn shown_halves(&self, nego: &NegoId) -> Vec<nostr::Event> {
        let mut out: Vec<nostr::Event> = lock(&self.inner.shown)
            .get(nego)
            .map(|s| s.shown().iter().map(|c| c.half.clone()).collect())
            .unwrap_or_default();
        if let Ok(Some(json)) = self.inner.store.setting_get(&shown_key(nego))
            && let Ok(list) = serde_json::from_str::<Vec<String>>(&json)
        {
            for s in list {
                if let Ok(e) = <nostr::Event as nostr::JsonUtil>::from_json(&s)
                    && e.verify().is_ok()
                    && !out.iter().any(|x| x.id == e.id)
                {
                    out.push(e);
                }
            }
        }
        out
    }

    /// Both halves are in the outbox: store them locally, feed reputation, wake the publisher.
    async fn after_met(&self, pair: &MetPair) -> Result<(), AppError> {
        let events = vec![pair.shower.clone(), pair.scanner.clone()];
        self.store_public(&events)?;
        if self.client().is_ok() {
            // Both halves also go where the peer reads and writes: make sure their lists are
            // known first, off the scan (a meetup may have no network to wait for).
            let app = self.clone();
            let peer = self
                .public_key()
                .ok()
                .and_then(|me| pair.nego.counterparty_of(&me));
            tokio::spawn(async move {
                if let Some(p) = peer
                    && let Err(e) = app.ensure_peer_relays(&[p]).await
                {
                    tracing::debug!("relay lists of the counterparty not refreshed: {e}");
                }
                if let Ok(c) = app.client() {
                    c.wake_outbox();
                }
            });
        }
        self.forget_shown(&pair.nego);
        self.emit(AppEvent::DealMet {
            nego: pair.nego.to_string(),
        });
        Ok(())
    }

    /// A receipt naming us arrived from a relay: if it countersigns a half we showed (the scanner
    /// published both halves), our side of the deal is met too.
    pub(crate) async fn on_receipt_for_me(&self, r: &Receipt) {
        let (Some(meet), Some(linked)) = (r.meet, r.countersigns) else {
            return;
        };
        let _g = self.inner.nego_lock.lock().await;
        let Ok((mut n, rec)) = self.load_thread(&r.nego) else {
            return;
        };
        if n.state() != State::Confirmed {
            return;
        }
        let ours = self
            .inner
            .store
            .get_event(&linked)
            .ok()
            .flatten()
            .or_else(|| {
                self.shown_halves(&r.nego)
                    .into_iter()
                    .find(|e| e.id == linked)
            });
        let Some(ours) = ours else {
            return;
        };
        let me = match self.public_key() {
            Ok(p) => p,
            Err(_) => return,
        };
        let ok = ours.pubkey == me
            && crate::protocol::receipt::parse_receipt(&ours)
                .map(|h| h.meet == Some(meet) && h.nego == r.nego)
                .unwrap_or(false);
        if !ok {
            return;
        }
        let now = unix_now();
        let Ok(fx) = n.mark_met(now) else {
            return;
        };
        // The thread, our status message and the notice, together.
        let committed = async {
            let rec2 = self.thread_record(&n, rec.intent_id)?;
            let out = self
                .prepare_effects(rec.intent_id, &with_nego(&r.nego, fx))
                .await?;
            let notice = PendingNotice {
                key: format!("meet:{}", r.nego),
                kind: NoticeKind::Meet {
                    step: MeetStep::ScannedYourCode,
                },
                deal: Some(self.notice_deal(&r.nego, &rec.intent_id, n.market())),
                created_at: now,
            };
            let new = self.commit_change(&[rec2], &out, &[notice], |_| Ok(()))?;
            Ok::<_, AppError>((out, new))
        }
        .await;
        drop(_g);
        match committed {
            Ok((out, new)) => {
                if let Err(e) = self.finish_change(out, new).await {
                    tracing::warn!("after a meeting: {e}");
                }
            }
            Err(e) => {
                tracing::warn!("recording a meeting failed: {e}");
                return;
            }
        }
        self.forget_shown(&r.nego);
        self.emit(AppEvent::DealMet {
            nego: r.nego.to_string(),
        });
    }
}

fn with_nego(
    nego: &NegoId,
    fx: Vec<crate::negotiation::Effect>,
) -> Vec<(NegoId, crate::negotiation::Effect)> {
    fx.into_iter().map(|e| (nego.clone(), e)).collect()
}
