//! What happens to events after the relay layer verified them: they are stored, fed to the
//! reputation engine, and direct messages are applied to negotiations. Also the live
//! subscriptions and the catch-up a restarted client runs.

use std::time::Duration;

use nostr::{Event, Filter, Kind, Timestamp};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::conversation::DmOutcome;
use super::{App, AppError, AppEvent, SYNC_OVERLAP_SECS, lock, unix_now};
use crate::protocol::follows::parse_follows;
use crate::protocol::intent::parse_intent;
use crate::protocol::kinds;
use crate::protocol::rating::parse_rating;
use crate::protocol::receipt::parse_receipt;
use crate::relay::{Incoming, Stream, VerifiedEvent, transport};
use std::sync::Arc;

use crate::reputation::{Directory, RepInput, Reputation};
use crate::store::StoreDirectory;

/// Cursor names in the store.
const CURSOR_DMS: &str = "dms";
const CURSOR_PUBLIC: &str = "public";

/// Public kinds the reputation engine needs.
pub(crate) const REPUTATION_KINDS: [u16; 4] = [
    kinds::PROFILE,
    kinds::FOLLOWS,
    kinds::RATING,
    kinds::RECEIPT,
];

/// Most events the live loop stores in one transaction (bounds the batch's memory).
pub(crate) const LIVE_BATCH_MAX: usize = 2_000;
/// How long the live loop keeps collecting after a batch's first event: fewer, larger
/// transactions under load (docs/BENCHMARKS.md), at most this much delay for a lone event.
pub(crate) const LIVE_BATCH_WINDOW: Duration = Duration::from_millis(5);

/// Most estimated memory of one live batch (bytes): with [`LIVE_BATCH_MAX`], bounds a batch of
/// large events as well as a batch of many small ones.
pub(crate) const LIVE_BATCH_MAX_BYTES: usize = 16 * 1024 * 1024;

/// What [`next_batch`] reads from: a plain channel or one of the relay client's streams.
pub(crate) trait BatchRx<T> {
    /// The next item; `None` once closed and drained.
    fn recv(&mut self) -> impl std::future::Future<Output = Option<T>> + Send;
    /// An item if one is ready.
    fn try_recv(&mut self) -> Result<T, mpsc::error::TryRecvError>;
}

/// Plain channels, for the batching tests (the app reads relay streams).
#[cfg(test)]
impl<T: Send> BatchRx<T> for mpsc::Receiver<T> {
    fn recv(&mut self) -> impl std::future::Future<Output = Option<T>> + Send {
        mpsc::Receiver::recv(self)
    }
    fn try_recv(&mut self) -> Result<T, mpsc::error::TryRecvError> {
        mpsc::Receiver::try_recv(self)
    }
}

impl<T: Send> BatchRx<T> for Stream<T> {
    fn recv(&mut self) -> impl std::future::Future<Output = Option<T>> + Send {
        Stream::recv(self)
    }
    fn try_recv(&mut self) -> Result<T, mpsc::error::TryRecvError> {
        Stream::try_recv(self)
    }
}

/// The next batch of the live loop: waits for one item, then takes what arrives within
/// `window` of it, up to `max` items or until the items' `weight` (estimated bytes) reaches
/// `max_bytes` (everything already queued is taken at once, within those bounds). `None` once
/// the channel is closed and drained.
pub(crate) async fn next_batch<T>(
    rx: &mut impl BatchRx<T>,
    max: usize,
    max_bytes: usize,
    window: Duration,
    weight: impl Fn(&T) -> usize,
) -> Option<Vec<T>> {
    let first = rx.recv().await?;
    let deadline = tokio::time::Instant::now() + window;
    let mut bytes = weight(&first);
    let mut batch = Vec::with_capacity(max.clamp(1, 64));
    batch.push(first);
    while batch.len() < max && bytes < max_bytes {
        let next = match rx.try_recv() {
            Ok(v) => v,
            Err(mpsc::error::TryRecvError::Disconnected) => break,
            Err(mpsc::error::TryRecvError::Empty) => {
                match tokio::time::timeout_at(deadline, rx.recv()).await {
                    Ok(Some(v)) => v,
                    Ok(None) | Err(_) => break,
                }
            }
        };
        bytes = bytes.saturating_add(weight(&next));
        batch.push(next);
    }
    Some(batch)
}

/// Who asked for a catch-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CatchUp {
    /// `sync`: at start, or the user refreshing: everything.
    Full,
    /// The periodic background catch-up: people's own relays only every [`PEERS_READ_EVERY`].
    Background,
}

/// How often the background catch-up reads people's own write relays.
pub(crate) const PEERS_READ_EVERY: Duration = Duration::from_secs(15 * 60);

/// Counts of what a catch-up applied.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Applied {
    pub events: u32,
    pub messages: u32,
}

/// Spawns the two consumer loops of the relay client's streams.
pub(crate) fn spawn_loops(app: App, mut incoming: Incoming) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    if let Some(every) = app.inner.cfg.catch_up_every.filter(|d| !d.is_zero()) {
        // Recovers what the live stream missed (a relay that skipped a delivery, a dropped
        // notification); the first catch-up is the caller's (start, or `sync`).
        let c = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                match catch_up(&c, CatchUp::Background).await {
                    Ok(n) => tracing::debug!(events = n.events, messages = n.messages, "caught up"),
                    Err(e) => tracing::debug!("background catch-up failed: {e}"),
                }
            }
        }));
    }
    {
        // Check-in alarms while online: sleep until the next one (at most a minute) or until a
        // check-in arrives or changes; then, a moment later (what arrives together is applied
        // first: a closing beats the alert of a late check-in), raise what is due.
        let c = app.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let now = super::unix_now();
                let next = c.checkin_next_alarm().ok().flatten().unwrap_or(u64::MAX);
                let wait = std::time::Duration::from_secs(next.saturating_sub(now).min(60));
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = c.inner.checkin_wake.notified() => {}
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                if let Err(e) = c.checkin_tick() {
                    tracing::warn!("check-in alarms: {e}");
                }
            }
        }));
    }
    let a = app.clone();
    let events = tokio::spawn(async move {
        let weight = |v: &VerifiedEvent| crate::relay::client::approx_event_bytes(v.event());
        while let Some(batch) = next_batch(
            &mut incoming.events,
            LIVE_BATCH_MAX,
            LIVE_BATCH_MAX_BYTES,
            LIVE_BATCH_WINDOW,
            weight,
        )
        .await
        {
            let batch = batch.into_iter().map(|v| v.into_event()).collect();
            if let Err(e) = a.ingest_public(batch).await {
                tracing::warn!("ingest failed: {e}");
            }
        }
    });
    let b = app;
    let dms = tokio::spawn(async move {
        while let Some(dm) = incoming.dms.recv().await {
            let created = dm.created_at.as_secs();
            match b.receive_dm(dm, None).await {
                Ok(_) => {
                    // Refused and ignored messages are recorded (or need no record): the cursor
                    // moves past them too.
                    let _ = b.inner.store.sync_cursor_advance(CURSOR_DMS, created);
                }
                // A failure of ours (storage): the next catch-up retries it.
                Err(e) => tracing::warn!("message not applied: {e}"),
            }
        }
    });
    tasks.push(events);
    tasks.push(dms);
    tasks
}

/// The reputation facts in one verified public event: its author was seen, plus the parsed
/// receipt, rating or follow list (unparseable content contributes nothing else).
pub(crate) fn rep_inputs(app: &App, e: &Event) -> Vec<RepInput> {
    let at = e.created_at.as_secs();
    let mut out = vec![RepInput::Seen {
        pubkey: e.pubkey,
        at,
    }];
    match e.kind.as_u16() {
        kinds::RECEIPT => {
            if let Ok(r) = parse_receipt(e) {
                out.push(RepInput::Receipt(r));
            }
        }
        kinds::RATING => {
            if let Ok(r) = parse_rating(e) {
                out.push(RepInput::Rating(app.rating_input(&r)));
            }
        }
        kinds::FOLLOWS => {
            if let Ok(list) = parse_follows(e) {
                out.push(RepInput::Follows {
                    owner: e.pubkey,
                    created_at: at,
                    list,
                });
            }
        }
        _ => {}
    }
    out
}

impl App {
    /// Stores verified public events and feeds them to reputation, keeping the persisted
    /// projection (`store::rep`) in step with the in-memory engine.
    pub(crate) fn store_public(&self, events: &[Event]) -> Result<(), AppError> {
        if events.is_empty() {
            return Ok(());
        }
        self.inner.store.insert_events_rep_begin(events)?;
        self.apply_and_project(events)
    }

    /// Applies stored events to the engine and writes their projection. Runs after the events'
    /// own transaction, so rating attestations see profiles stored in the same batch; a crash in
    /// between leaves `rep_state.inflight` set and the next open rebuilds once.
    fn apply_and_project(&self, events: &[Event]) -> Result<(), AppError> {
        self.project(events)?;
        // A profile that arrives or changes after the ratings about its author re-checks their
        // phone attestations: the live screening must not stay frozen at the ingest order.
        let mut authors: Vec<nostr::PublicKey> = events
            .iter()
            .filter(|e| e.kind.as_u16() == kinds::PROFILE)
            .map(|e| e.pubkey)
            .collect();
        authors.sort_unstable();
        authors.dedup();
        for a in authors {
            if let Err(e) = self.reattest_ratings_about(&a) {
                tracing::warn!("attestations not re-checked: {e}");
            }
        }
        Ok(())
    }

    /// Re-evaluates the phone attestations of the ratings about `ratee` against its profiles as
    /// stored now; `true` if one changed (its screening then changed too).
    pub(crate) fn reattest_ratings_about(
        &self,
        ratee: &nostr::PublicKey,
    ) -> Result<bool, AppError> {
        let held: Vec<(nostr::PublicKey, crate::reputation::DealKey, u64, bool)> =
            lock(&self.inner.rep)
                .ratings()
                .about(ratee)
                .filter(|h| h.contact_verified)
                .map(|h| (h.rater, h.deal, h.created_at, h.attestation_ok))
                .collect();
        if held.is_empty() {
            return Ok(false);
        }
        let events = self.inner.store.query_events(
            &crate::store::EventQuery::new()
                .kinds([kinds::RATING])
                .p(*ratee)
                .limit(crate::store::MAX_QUERY_LIMIT),
        )?;
        let mut changed = false;
        for e in &events {
            let Ok(r) = parse_rating(e) else { continue };
            if !r.contact_verified || r.ratee != *ratee {
                continue;
            }
            let deal = crate::reputation::DealKey::of(&r.nego);
            let at = r.created_at.as_secs();
            let Some(&(_, _, _, was)) = held
                .iter()
                .find(|(rater, d, t, _)| *rater == r.rater && *d == deal && *t == at)
            else {
                continue;
            };
            let ok = self.attestation_ok(&r);
            if ok != was {
                let mut rep = lock(&self.inner.rep);
                self.inner
                    .store
                    .rep_set_attestation(&r.rater, &r.nego, at, ok)?;
                rep.set_attestation(&r.rater, deal, at, ok);
                changed = true;
            }
        }
        if changed {
            self.emit(AppEvent::ScreeningChanged {
                pubkey: ratee.to_hex(),
            });
        }
        Ok(changed)
    }

    /// Writes the projection of stored events and applies it to the engine.
    fn project(&self, events: &[Event]) -> Result<(), AppError> {
        let items: Vec<RepInput> = events.iter().flat_map(|e| rep_inputs(self, e)).collect();
        // The engine stays locked from the projection's commit until it has applied the same
        // facts: its directory answers from the committed rows, so no screening may run in
        // between, and a checkpoint taken from it covers exactly the rows in the store.
        let mut rep = lock(&self.inner.rep);
        let changes = self.inner.store.rep_commit(&items)?;
        // Ratings and follow lists; receipts and first-seen times arrive as the store's changes.
        for i in &items {
            rep.apply(i);
        }
        if let Err(e) = rep.apply_changes(&changes) {
            // The store's rows are the truth: reload them rather than screen from a graph that
            // differs from them.
            tracing::warn!("reputation change refused ({e}); reloading from the store");
            *rep = self.load_engine()?;
        }
        self.checkpoint_if_due(&mut rep);
        Ok(())
    }

    /// Writes a reputation checkpoint when the store says one is due (see
    /// [`Store::rep_checkpoint_due`](crate::store::Store::rep_checkpoint_due)). `rep` must have
    /// applied exactly the stored rows. Failures only cost the next start some speed.
    fn checkpoint_if_due(&self, rep: &mut Reputation) {
        let store = &self.inner.store;
        match store.rep_checkpoint_due() {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                tracing::warn!("reputation checkpoint check failed: {e}");
                return;
            }
        }
        let written = rep
            .graph_checkpoint()
            .map_err(|e| e.to_string())
            .and_then(|data| store.rep_checkpoint_save(&data).map_err(|e| e.to_string()));
        if let Err(e) = written {
            tracing::warn!("reputation checkpoint not written: {e}");
        }
    }

    /// Stores a batch of verified public events in one transaction and applies them.
    pub(crate) async fn ingest_public(&self, events: Vec<Event>) -> Result<(), AppError> {
        if events.is_empty() {
            return Ok(());
        }
        let store = self.inner.store.clone();
        // The batch moves to the blocking thread and back (no copy of up to 2 000 events).
        let (events, stored) = tokio::task::spawn_blocking(move || {
            let stored = store.insert_events_rep_begin(&events);
            (events, stored)
        })
        .await
        .map_err(|e| AppError::Internal {
            reason: e.to_string(),
        })?;
        stored?;
        self.apply_and_project(&events)?;
        let me = self.public_key().ok();
        let now = Timestamp::from(unix_now());
        let mut notices = Vec::new();
        for e in &events {
            match e.kind.as_u16() {
                kinds::OFFER | kinds::REQUEST => {
                    if let Ok(i) = parse_intent(e, now) {
                        self.emit_intent(&i);
                    }
                }
                kinds::RECEIPT => {
                    if let Ok(r) = parse_receipt(e) {
                        if Some(r.peer) == me {
                            self.on_receipt_for_me(&r).await;
                        }
                        self.emit(AppEvent::ScreeningChanged {
                            pubkey: r.author.to_hex(),
                        });
                    }
                }
                kinds::RATING => {
                    // Every copy, not only new ones: the notice's key makes a repeat a no-op,
                    // and a rating stored just before a crash still gets its notice.
                    if let Ok(r) = parse_rating(e)
                        && let Some(n) = self.rating_notice(&r)?
                    {
                        notices.push(n);
                    }
                    self.emit(AppEvent::ScreeningChanged {
                        pubkey: e.pubkey.to_hex(),
                    })
                }
                kinds::PROFILE => self.emit(AppEvent::ScreeningChanged {
                    pubkey: e.pubkey.to_hex(),
                }),
                _ => {}
            }
        }
        self.record_notices(&notices)?;
        Ok(())
    }

    /// The directory the app's engine looks keys, deals and first-seen times up in: the store.
    fn directory(&self) -> Arc<dyn Directory> {
        Arc::new(StoreDirectory::new(self.inner.store.clone()))
    }

    /// Loads the reputation engine at start-up: from the persisted projection when it is
    /// complete (graph checkpoint plus later rows, or every row in one bulk pass), else by
    /// [`App::rebuild_reputation`] (first start after a schema upgrade, or after a crash between
    /// a batch and its projection).
    pub(crate) fn load_reputation(&self) -> Result<(), AppError> {
        match self.load_ready_engine()? {
            Some(mut rep) => {
                self.checkpoint_if_due(&mut rep);
                *lock(&self.inner.rep) = rep;
                Ok(())
            }
            None => self.rebuild_reputation(),
        }
    }

    /// The engine of the stored projection (see [`App::load_ready_engine`]); a projection that
    /// is not ready is an error here.
    fn load_engine(&self) -> Result<Reputation, AppError> {
        self.load_ready_engine()?.ok_or_else(|| AppError::Internal {
            reason: "the reputation projection is not complete".into(),
        })
    }

    /// The engine of the stored projection, `None` if it is not complete or not loadable. A
    /// refused checkpoint falls back to the rows, and is replaced.
    fn load_ready_engine(&self) -> Result<Option<Reputation>, AppError> {
        let params = self.inner.cfg.reputation.clone();
        let store = &self.inner.store;
        let ready = store.rep_load_graph().or_else(|e| {
            tracing::warn!("reputation checkpoint unreadable ({e}); reading the rows");
            store.rep_load_graph_rows()
        })?;
        let Some(parts) = ready else {
            return Ok(None);
        };
        let from_checkpoint = parts.checkpoint.is_some();
        match Reputation::from_graph_parts(params.clone(), self.directory(), parts) {
            Ok(rep) => return Ok(Some(rep)),
            Err(e) if from_checkpoint => {
                tracing::warn!("reputation checkpoint refused ({e}); reading the rows");
            }
            Err(e) => {
                tracing::warn!("persisted reputation refused ({e}); rebuilding");
                return Ok(None);
            }
        }
        let Some(parts) = store.rep_load_graph_rows()? else {
            return Ok(None);
        };
        match Reputation::from_graph_parts(params, self.directory(), parts) {
            Ok(mut rep) => {
                // Replace the refused checkpoint.
                match rep.graph_checkpoint() {
                    Ok(data) => store.rep_checkpoint_save(&data)?,
                    Err(e) => tracing::warn!("no new checkpoint: {e}"),
                }
                Ok(Some(rep))
            }
            Err(e) => {
                tracing::warn!("persisted reputation refused ({e}); rebuilding");
                Ok(None)
            }
        }
    }

    /// Rebuilds the persisted projection from every stored event (fallback at start-up, and
    /// after a restore) and loads the engine from it.
    pub(crate) fn rebuild_reputation(&self) -> Result<(), AppError> {
        // Profiles first: rating attestations are checked against the ratee's published phone.
        let events = self.inner.store.rep_scan_events()?;
        let items: Vec<RepInput> = events.iter().flat_map(|e| rep_inputs(self, e)).collect();
        drop(events);
        // Locked from the rewrite to the swap: no batch can project in between, so the
        // checkpoint covers exactly the rows this engine loaded.
        let mut live = lock(&self.inner.rep);
        self.inner.store.rep_rebuild(&items)?;
        drop(items);
        let mut rep = self.load_engine()?;
        self.checkpoint_if_due(&mut rep);
        *live = rep;
        Ok(())
    }
}

/// Live subscriptions: our direct messages since the cursor (minus the overlap window) and the
/// public reputation events from now on.
pub(crate) async fn subscribe_live(app: &App) -> Result<(), AppError> {
    let client = app.client()?;
    let since = app
        .inner
        .store
        .sync_cursor_get(CURSOR_DMS)?
        .unwrap_or(0)
        .saturating_sub(SYNC_OVERLAP_SECS);
    client.subscribe_dms(Timestamp::from(since)).await?;
    let f = Filter::new()
        .kinds(REPUTATION_KINDS.iter().map(|k| Kind::Custom(*k)))
        .since(Timestamp::from(unix_now()));
    client.subscribe(f).await?;
    Ok(())
}

/// One-shot catch-up: direct messages addressed to us since the DM cursor (with overlap; NIP-17
/// gift wraps are back-dated up to two days, so their window is wider), public reputation
/// events since the public cursor, our relay lists if they changed, and the reputation events of
/// the people we deal with and follow from their own write relays.
pub(crate) async fn catch_up(app: &App, how: CatchUp) -> Result<Applied, AppError> {
    let client = app.client()?;
    let keys = app.keys()?;
    let me = keys.public_key();
    let timeout = app.inner.cfg.query_timeout;
    let mut applied = Applied::default();

    let dm_since = app
        .inner
        .store
        .sync_cursor_get(CURSOR_DMS)?
        .unwrap_or(0)
        .saturating_sub(SYNC_OVERLAP_SECS);
    let wraps = Filter::new()
        .kind(Kind::GiftWrap)
        .pubkey(me)
        .since(Timestamp::from(dm_since.saturating_sub(2 * 24 * 3600)));
    let nip04 = Filter::new()
        .kind(Kind::EncryptedDirectMessage)
        .pubkey(me)
        .since(Timestamp::from(dm_since));
    let mut dms = Vec::new();
    for f in [wraps, nip04] {
        for v in client.query(f, timeout).await? {
            if let Ok(dm) = transport::open_dm(&keys, v.event()) {
                dms.push(dm);
            }
        }
    }
    dms.sort_by_key(|d| d.created_at);
    let mut newest = dm_since;
    for dm in dms {
        let created = dm.created_at.as_secs();
        match app.receive_dm(dm, None).await {
            Ok(outcome) => {
                if outcome == DmOutcome::Applied {
                    applied.messages += 1;
                }
                newest = newest.max(created);
            }
            Err(e) => tracing::warn!("message not applied: {e}"),
        }
    }
    if newest > dm_since {
        app.inner.store.sync_cursor_advance(CURSOR_DMS, newest)?;
    }

    let pub_since = app.inner.store.sync_cursor_get(CURSOR_PUBLIC)?.unwrap_or(0);
    let f = Filter::new()
        .kinds(REPUTATION_KINDS.iter().map(|k| Kind::Custom(*k)))
        .since(Timestamp::from(pub_since.saturating_sub(SYNC_OVERLAP_SECS)))
        .limit(10_000);
    let got: Vec<Event> = client
        .query(f, timeout)
        .await?
        .into_iter()
        .map(|v| v.into_event())
        .collect();
    applied.events = u32::try_from(got.len()).unwrap_or(u32::MAX);
    let newest_pub = got.iter().map(|e| e.created_at.as_secs()).max();
    app.ingest_public(got).await?;
    if let Some(t) = newest_pub {
        app.inner.store.sync_cursor_advance(CURSOR_PUBLIC, t)?;
    }
    // Our relay lists, when the settings changed since they were last published.
    app.publish_relay_lists_if_changed().await?;
    // The people we deal with and follow, read where they write (NIP-65 outbox model): at every
    // sync the user asks for, in the background at most every PEERS_READ_EVERY (each read opens
    // connections to other relays).
    let now = unix_now();
    let due = how == CatchUp::Full
        || lock(&app.inner.peers_read_at)
            .is_none_or(|t| now.saturating_sub(t) >= PEERS_READ_EVERY.as_secs());
    if due {
        *lock(&app.inner.peers_read_at) = Some(now);
        let peers = app.sync_peers()?;
        let from_peers = app.read_from_peer_relays(&client, &peers).await?;
        applied.events = applied.events.saturating_add(from_peers);
    }
    app.expire_due().await?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::AppConfig;
    use crate::identity::{MemorySecretStore, SecretStore};
    use crate::reputation::Params;
    use crate::reputation::synth::{self, T0, receipt_pair};

    #[tokio::test(start_paused = true)]
    async fn a_lone_event_waits_at_most_the_window() {
        let (tx, mut rx) = mpsc::channel::<u32>(16);
        tx.send(1).await.expect("send");
        let start = tokio::time::Instant::now();
        let batch = next_batch(&mut rx, 2_000, usize::MAX, Duration::from_millis(5), |_| 1).await;
        assert_eq!(batch, Some(vec![1]));
        // Paused clock: exactly the window elapsed, not more.
        assert_eq!(start.elapsed(), Duration::from_millis(5));
    }

    #[tokio::test(start_paused = true)]
    async fn queued_events_are_taken_in_batches_of_at_most_max_without_waiting() {
        let (tx, mut rx) = mpsc::channel::<u32>(5_000);
        for i in 0..4_500 {
            tx.send(i).await.expect("send");
        }
        let start = tokio::time::Instant::now();
        let a = next_batch(&mut rx, 2_000, usize::MAX, Duration::from_millis(5), |_| 1)
            .await
            .expect("a");
        let b = next_batch(&mut rx, 2_000, usize::MAX, Duration::from_millis(5), |_| 1)
            .await
            .expect("b");
        assert_eq!(start.elapsed(), Duration::ZERO, "full batches do not wait");
        assert_eq!(a, (0..2_000).collect::<Vec<_>>());
        assert_eq!(b, (2_000..4_000).collect::<Vec<_>>());
        drop(tx);
        // A closed channel ends the batch at once; then the loop ends.
        let c = next_batch(&mut rx, 2_000, usize::MAX, Duration::from_millis(5), |_| 1)
            .await
            .expect("c");
        assert_eq!(c, (4_000..4_500).collect::<Vec<_>>());
        assert_eq!(start.elapsed(), Duration::ZERO);
        assert_eq!(
            next_batch(&mut rx, 2_000, usize::MAX, Duration::from_millis(5), |_| 1).await,
            None
        );
    }

    #[tokio::test(start_paused = true)]
    async fn events_arriving_within_the_window_join_the_batch_later_ones_do_not() {
        let (tx, mut rx) = mpsc::channel::<u32>(16);
        tokio::spawn(async move {
            tx.send(1).await.expect("send");
            tokio::time::sleep(Duration::from_millis(3)).await;
            tx.send(2).await.expect("send");
            tokio::time::sleep(Duration::from_millis(5)).await;
            tx.send(3).await.expect("send");
        });
        let w = Duration::from_millis(5);
        assert_eq!(
            next_batch(&mut rx, 100, usize::MAX, w, |_| 1).await,
            Some(vec![1, 2])
        );
        assert_eq!(
            next_batch(&mut rx, 100, usize::MAX, w, |_| 1).await,
            Some(vec![3])
        );
        assert_eq!(next_batch(&mut rx, 100, usize::MAX, w, |_| 1).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_batch_also_stops_at_its_byte_budget() {
        let (tx, mut rx) = mpsc::channel::<usize>(64);
        // Items weigh their value: 10 + 20 + 30 reaches 50 at the third; 40 starts the next.
        for w in [10, 20, 30, 40, 5] {
            tx.send(w).await.expect("send");
        }
        let start = tokio::time::Instant::now();
        let w = Duration::from_millis(5);
        assert_eq!(
            next_batch(&mut rx, 100, 50, w, |v| *v).await,
            Some(vec![10, 20, 30])
        );
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "a full batch does not wait"
        );
        // One item over the budget on its own still goes, alone.
        assert_eq!(
            next_batch(&mut rx, 100, 30, w, |v| *v).await,
            Some(vec![40])
        );
        drop(tx);
        assert_eq!(next_batch(&mut rx, 100, 50, w, |v| *v).await, Some(vec![5]));
        assert_eq!(next_batch(&mut rx, 100, 50, w, |v| *v).await, None);
    }

    fn same_screenings(a: &Reputation, b: &Reputation, keys: &[nostr::PublicKey]) {
        assert_eq!(a.graph().node_count(), b.graph().node_count());
        assert_eq!(a.graph().edge_count(), b.graph().edge_count());
        for v in keys.iter().step_by(23) {
            let (ta, tb) = (a.trust_map(v).unwrap(), b.trust_map(v).unwrap());
            for s in keys.iter().step_by(7) {
                assert_eq!(
                    a.screen(&ta, s, T0 + 86_400, true).unwrap(),
                    b.screen(&tb, s, T0 + 86_400, true).unwrap()
                );
            }
        }
    }

    /// A checkpoint that does not decode: the app loads every row instead, gets the live engine,
    /// and replaces the checkpoint with one that decodes to the same engine.
    #[test]
    fn a_refused_checkpoint_loads_the_rows_and_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let secrets: Arc<dyn SecretStore> = Arc::new(MemorySecretStore::new());
        let hg = synth::honest_graph(200, 20, 6, 11);
        let mut items = Vec::new();
        for &(a, b, tier, d) in &hg.edges {
            let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
            let (x, y) = receipt_pair(ka, kb, d, tier);
            let ok = d % 3 != 0;
            items.push(RepInput::Rating(synth::rating(
                kb,
                ka,
                x.nego.clone(),
                ok,
                ok,
                T0 + 9,
            )));
            items.push(RepInput::Receipt(x));
            items.push(RepInput::Receipt(y));
        }
        let mut live = Reputation::new(Params::default()).unwrap();
        for i in &items {
            live.apply(i);
        }
        live.compact();
        {
            let app = App::open(AppConfig::new(dir.path(), vec![]), secrets.clone()).unwrap();
            app.inner.store.rep_rebuild(&items).unwrap();
            app.inner
                .store
                .rep_checkpoint_save(b"not a checkpoint")
                .unwrap();
        }
        let app = App::open(AppConfig::new(dir.path(), vec![]), secrets).unwrap();
        same_screenings(&live, &lock(&app.inner.rep), &hg.keys);
        assert!(lock(&app.inner.rep).has_directory());
        let parts = app.inner.store.rep_load_graph().unwrap().expect("ready");
        assert!(
            parts.checkpoint.is_some(),
            "the refused checkpoint was replaced"
        );
        let again =
            Reputation::from_graph_parts(Params::default(), app.directory(), parts).unwrap();
        same_screenings(&live, &again, &hg.keys);
    }
}
