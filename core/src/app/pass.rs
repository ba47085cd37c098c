//! The background pass: what a phone's periodic background work (Android WorkManager, iOS
//! `BGAppRefreshTask`) and `freeport notices` run. One bounded call: connect, catch up on what is
//! addressed to us since the last persisted cursors, apply it (negotiations, meetings, ratings),
//! push the outbox, disconnect, and return the notices not yet shown.
//!
//! Bounds. The caller gives a time budget; the pass checks it between units of work (one
//! message, one page of events) and gives every relay query only the time that is left, keeping
//! a reserve for the outbox and the disconnect. Memory is bounded per query: at most
//! [`PASS_PAGE`] events per relay and [`PASS_QUERY_BYTES_PER_RELAY`] of parsed events per
//! relay (the relay layer drops the rest, and the page counts as *truncated*).
//!
//! Cursors advance only over what was processed. Each stream (NIP-17 gift wraps, NIP-04
//! messages, ratings and receipts naming us) is read in time windows from its cursor to now,
//! oldest window first. A window counts as read when at least one relay answered it completely
//! (EOSE in time, under the page limit and its byte budget: that relay's whole view); when every
//! answering relay may hold more, the window is halved and read again. A window is applied in
//! order (messages by the time they were written) and the cursor moves to its end only once
//! every event in it was applied. A one-second window that overflows on every answering relay
//! (a flood) is applied as fetched and counted in `flooded`. Limits are per relay, so a relay
//! that floods cannot crowd out what another relay returns for the same window, nor make the
//! pass walk second by second while another relay answers completely. Gift wraps carry randomised
//! timestamps (up to two days back, NIP-59), so their cursor is the start of the last pass that
//! read the whole range, and the pass re-reads two days of wraps each time: the wraps it already
//! applied are skipped without decrypting (`processed_wraps`, in the same transaction as what
//! they changed).
//!
//! Everything a message changes and its notices are one store transaction
//! ([`App::apply_dm`]), so a pass killed at any point (deadline, kill -9) has applied each
//! message entirely or not at all; the next pass reads from the same cursors and applies the
//! rest once (a negotiation ignores a message it already applied; a notice key is unique).

use std::time::Duration;

use nostr::{Event, Filter, Kind, PublicKey, Timestamp};
use serde::Serialize;
use tokio::time::Instant;

use super::conversation::DmOutcome;
use super::notices::Notice;
use super::{App, AppError, SYNC_OVERLAP_SECS, unix_now};
use crate::protocol::kinds;
use crate::relay::{RelayClient, RelayConfig, transport};

/// Most events one relay may return to one query of a pass.
pub const PASS_PAGE: usize = 200;
/// Most estimated memory of parsed events one relay may return to one query of a pass.
pub const PASS_QUERY_BYTES_PER_RELAY: usize = 4 * 1024 * 1024;
/// How far back NIP-59 randomises a gift wrap's `created_at`.
pub const WRAP_BACKDATE_SECS: u64 = 2 * 24 * 3600;
/// How long processed gift wraps are remembered (longer than any pass looks back).
pub const WRAP_MEMORY_SECS: u64 = WRAP_BACKDATE_SECS + 24 * 3600;
/// Shortest budget a pass accepts (it needs a connection and a query at least).
pub const MIN_PASS_BUDGET: Duration = Duration::from_millis(100);
/// Longest budget a pass accepts (Android gives a worker 10 minutes).
pub const MAX_PASS_BUDGET: Duration = Duration::from_secs(600);

/// Cursor names (the `sync_cursors` table).
const CURSOR_WRAPS: &str = "pass.wraps";
const CURSOR_NIP04: &str = "pass.nip04";
const CURSOR_MINE: &str = "pass.mine";
/// The live stream's DM cursor, which a completed pass also moves.
const CURSOR_DMS: &str = "dms";
const CURSOR_PUBLIC: &str = "public";

/// How a pass ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, uniffi::Enum)]
#[serde(rename_all = "snake_case")]
pub enum PassOutcome {
    /// Everything addressed to us up to the pass's start was read and applied.
    Complete,
    /// The budget ran out first; the next pass continues from the cursors.
    Deadline,
    /// No relay could be reached; nothing was read (the outbox waits).
    Offline,
}

/// What one background pass did, and the notices to show.
#[derive(Debug, Clone, PartialEq, Serialize, uniffi::Record)]
pub struct PassReport {
    /// Notices not acknowledged yet (including earlier ones never acknowledged), oldest first,
    /// at most [`super::notices::MAX_NOTICES_PER_CALL`]. Show them, then acknowledge them.
    pub notices: Vec<Notice>,
    /// More notices are pending than were returned.
    pub more_notices: bool,
    pub outcome: PassOutcome,
    /// Direct messages applied to negotiations.
    pub messages_applied: u32,
    /// Public events (ratings, receipts naming us) applied.
    pub events_applied: u32,
    /// Windows whose one second held more events than a page (a flood): read as far as a page.
    pub flooded: u32,
    /// Events still waiting in the outbox.
    pub outbox_pending: u32,
    pub relays_connected: u32,
}

/// The streams a pass reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Feed {
    Wraps,
    Nip04,
    Mine,
}

impl Feed {
    fn filter(self, me: PublicKey) -> Filter {
        match self {
            Self::Wraps => Filter::new().kind(Kind::GiftWrap).pubkey(me),
            Self::Nip04 => Filter::new().kind(Kind::EncryptedDirectMessage).pubkey(me),
            Self::Mine => Filter::new()
                .kinds([Kind::Custom(kinds::RATING), Kind::Custom(kinds::RECEIPT)])
                .pubkey(me),
        }
    }
}

/// How far one feed got.
#[derive(Debug, Default)]
struct FeedRun {
    /// Every window up to now was applied.
    complete: bool,
    /// Every event with `created_at` ≤ this was applied (windows from the start).
    reached: Option<u64>,
    applied: u32,
    flooded: u32,
}

/// What applying one page did.
struct PageRun {
    applied: u32,
    /// `Some(t)`: the budget ran out; events from `t` on were not applied.
    stopped_at: Option<u64>,
}

impl App {
    /// Runs one background pass within `budget` (clamped to 100 ms ..= 10 min). Uses the running
    /// connection when the app is online, else opens its own and closes it at the end (a
    /// concurrent [`App::start_network`] waits for it). Passes do not overlap: a second one
    /// waits for the first within its own budget.
    pub async fn background_pass(&self, budget: Duration) -> Result<PassReport, AppError> {
        let budget = budget.clamp(MIN_PASS_BUDGET, MAX_PASS_BUDGET);
        let started = Instant::now();
        let deadline = started + budget;
        let keys = self.keys()?;
        let mut report = PassReport {
            notices: Vec::new(),
            more_notices: false,
            outcome: PassOutcome::Deadline,
            messages_applied: 0,
            events_applied: 0,
            flooded: 0,
            outbox_pending: 0,
            relays_connected: 0,
        };
        let Ok(_one) = tokio::time::timeout_at(deadline, self.inner.pass_lock.lock()).await else {
            return self.with_notices(report);
        };
        // Keep time for the outbox and the goodbye.
        let reserve = (budget / 5).min(Duration::from_secs(3));
        let work_until = deadline - reserve;

        let net = self.inner.net.lock().await;
        // While the pass owns the connection it holds `net`: `start_network` waits for it.
        let (own, _holding) = if net.is_some() {
            drop(net);
            (None, None)
        } else {
            let mut rc = RelayConfig::new(self.inner.cfg.relays.clone());
            rc.query_max_bytes_per_relay = PASS_QUERY_BYTES_PER_RELAY;
            rc.outbox_poll = Duration::from_millis(500);
            let outbox = std::sync::Arc::new(super::StoreOutbox(self.inner.store.clone()));
            let (client, incoming) = RelayClient::start(keys.clone(), rc, outbox).await?;
            if let Ok(mut c) = self.inner.client.write() {
                *c = Some(client.clone());
            }
            // No live subscriptions: the streams stay empty; they close with the client.
            (Some((client, incoming)), Some(net))
        };
        let result = self
            .pass_work(&mut report, started, work_until, deadline)
            .await;
        if let Some((client, incoming)) = own {
            client.shutdown().await;
            drop(incoming);
            if let Ok(mut c) = self.inner.client.write() {
                *c = None;
            }
        }
        result?;
        if let Err(e) = self.prune_notices() {
            tracing::warn!("pruning notices: {e}");
        }
        if let Err(e) = self.prune_checkins() {
            tracing::warn!("pruning check-ins: {e}");
        }
        // After reading (a "safe" waiting on the relays closes a check-in first), and offline
        // too: a contact's alarm rings whether or not this phone reaches a relay. A failure
        // here must not hold back the deal notices: logged, and the next tick tries again.
        if let Err(e) = self.checkin_tick() {
            tracing::warn!("check-in alarms: {e}");
        }
        self.with_notices(report)
    }

    fn with_notices(&self, mut report: PassReport) -> Result<PassReport, AppError> {
        report.notices = self.pending_notices()?;
        report.more_notices = self
            .inner
            .store
            .transaction(|tx| tx.notices_pending_count())?
            > report.notices.len() as u64;
        report.outbox_pending =
            u32::try_from(self.inner.store.outbox_list()?.len()).unwrap_or(u32::MAX);
        Ok(report)
    }

    async fn pass_work(
        &self,
        report: &mut PassReport,
        started: Instant,
        work_until: Instant,
        deadline: Instant,
    ) -> Result<(), AppError> {
        let client = self.client()?;
        let wait = self.inner.cfg.query_timeout.min(left(work_until));
        let connected = client.wait_for_connected(1, wait).await;
        report.relays_connected = u32::try_from(connected).unwrap_or(u32::MAX);
        if connected == 0 {
            report.outcome = PassOutcome::Offline;
            return Ok(());
        }
        // Wall-clock start of this pass: what a complete wrap feed covers.
        let pass_start = unix_now().saturating_sub(started.elapsed().as_secs());
        let store = &self.inner.store;
        let dm_cursor = store.sync_cursor_get(CURSOR_DMS)?;
        let mut complete = true;

        // 1. Gift wraps (the whole back-dating window since the last complete read).
        let wraps_from = store
            .sync_cursor_get(CURSOR_WRAPS)?
            .or(dm_cursor)
            .unwrap_or(0)
            .saturating_sub(WRAP_BACKDATE_SECS + SYNC_OVERLAP_SECS);
        let run = self
            .read_feed(&client, Feed::Wraps, wraps_from, pass_start, work_until)
            .await?;
        report.messages_applied += run.applied;
        report.flooded += run.flooded;
        if run.complete {
            store.sync_cursor_advance(CURSOR_WRAPS, pass_start)?;
        }
        complete &= run.complete;

        // 2. NIP-04 messages (true timestamps).
        if Instant::now() < work_until {
            let from = store
                .sync_cursor_get(CURSOR_NIP04)?
                .or(dm_cursor)
                .map_or(0, |c| c.saturating_add(1).saturating_sub(SYNC_OVERLAP_SECS));
            let run = self
                .read_feed(&client, Feed::Nip04, from, pass_start, work_until)
                .await?;
            if let Some(t) = run.reached {
                store.sync_cursor_advance(CURSOR_NIP04, t)?;
            }
            report.messages_applied += run.applied;
            report.flooded += run.flooded;
            complete &= run.complete;
            if complete {
                // Every message to us up to the pass's start is applied.
                store.sync_cursor_advance(CURSOR_DMS, pass_start)?;
            }
        } else {
            complete = false;
        }

        // 3. Ratings and receipts naming us.
        if Instant::now() < work_until {
            let from = store
                .sync_cursor_get(CURSOR_MINE)?
                .or(store.sync_cursor_get(CURSOR_PUBLIC)?)
                .map_or(0, |c| c.saturating_add(1).saturating_sub(SYNC_OVERLAP_SECS));
            let run = self
                .read_feed(&client, Feed::Mine, from, pass_start, work_until)
                .await?;
            if let Some(t) = run.reached {
                store.sync_cursor_advance(CURSOR_MINE, t)?;
            }
            report.events_applied += run.applied;
            report.flooded += run.flooded;
            complete &= run.complete;
        } else {
            complete = false;
        }

        if complete {
            self.expire_due().await?;
        }
        // 4. What we (and the replies above) queued: until nothing is due or the budget ends.
        self.push_outbox(
            &client,
            deadline - Duration::from_millis(50).min(left(deadline)),
        )
        .await?;
        report.outcome = if complete {
            PassOutcome::Complete
        } else {
            PassOutcome::Deadline
        };
        Ok(())
    }

    /// Reads `feed` from `since` to `until` in windows (see the module docs).
    async fn read_feed(
        &self,
        client: &RelayClient,
        feed: Feed,
        since: u64,
        until: u64,
        work_until: Instant,
    ) -> Result<FeedRun, AppError> {
        let me = self.public_key()?;
        let base = feed.filter(me);
        let mut run = FeedRun::default();
        let mut lo = since;
        let mut width = until.saturating_sub(since);
        while lo <= until {
            let time = self.inner.cfg.query_timeout.min(left(work_until));
            if time.is_zero() {
                return Ok(run);
            }
            let hi = lo.saturating_add(width).min(until);
            let f = base
                .clone()
                .since(Timestamp::from(lo))
                .until(Timestamp::from(hi))
                .limit(PASS_PAGE);
            let page = client.query_page(f, time).await?;
            if !page.is_complete() {
                if page.relays_truncated == 0 {
                    // Nobody finished in time (the budget, or every relay silent).
                    return Ok(run);
                }
                if hi > lo {
                    // Every relay that answered may hold more: read half the window.
                    width = (hi - lo) / 2;
                    continue;
                }
                // One second with more than a page on every answering relay: a flood.
                run.flooded += 1;
            }
            let events: Vec<Event> = page.events.into_iter().map(|v| v.into_event()).collect();
            let done = self.apply_page(feed, events, work_until).await?;
            run.applied += done.applied;
            if let Some(t) = done.stopped_at {
                // Everything strictly before the first unapplied event is applied.
                if t > lo {
                    run.reached = Some(t - 1);
                }
                return Ok(run);
            }
            run.reached = Some(hi);
            lo = hi.saturating_add(1);
            width = width.saturating_mul(2).max(1);
            if hi == until {
                break;
            }
        }
        run.complete = true;
        Ok(run)
    }

    /// Applies one complete window of `feed`, oldest first, until `work_until`.
    async fn apply_page(
        &self,
        feed: Feed,
        mut events: Vec<Event>,
        work_until: Instant,
    ) -> Result<PageRun, AppError> {
        let mut done = PageRun {
            applied: 0,
            stopped_at: None,
        };
        match feed {
            Feed::Mine => {
                if Instant::now() >= work_until {
                    done.stopped_at = events.iter().map(|e| e.created_at.as_secs()).min();
                    return Ok(done);
                }
                done.applied = u32::try_from(events.len()).unwrap_or(u32::MAX);
                self.ingest_public(events).await?;
            }
            Feed::Wraps | Feed::Nip04 => {
                let keys = self.keys()?;
                let store = &self.inner.store;
                events.sort_by_key(|e| e.created_at);
                let mut dms = Vec::with_capacity(events.len());
                for e in &events {
                    let wrap = (feed == Feed::Wraps).then(|| (e.id, e.created_at.as_secs()));
                    if let Some((id, _)) = wrap
                        && store.transaction(|tx| tx.wrap_processed(&id))?
                    {
                        continue;
                    }
                    match transport::open_dm(&keys, e) {
                        Ok(dm) => dms.push((dm, wrap, e.created_at.as_secs())),
                        // Not for us after all, or junk: it never will be; not opened again.
                        Err(_) => {
                            if let Some((id, at)) = wrap {
                                store.transaction(|tx| tx.wrap_mark_processed(&id, at))?;
                            }
                        }
                    }
                }
                // In the order they were written (a wrap's own time is random).
                dms.sort_by_key(|(dm, _, _)| dm.created_at);
                let times: Vec<u64> = dms.iter().map(|(_, _, t)| *t).collect();
                for (i, (dm, wrap, _)) in dms.into_iter().enumerate() {
                    if Instant::now() >= work_until {
                        done.stopped_at = times[i..].iter().min().copied();
                        return Ok(done);
                    }
                    // Our own copies, blocked senders and refused messages are settled there too
                    // (the wrap is marked processed); only a failure of ours is an error.
                    if self.receive_dm(dm, wrap).await? == DmOutcome::Applied {
                        done.applied += 1;
                    }
                }
            }
        }
        Ok(done)
    }

    /// Wakes the publisher and waits until no outbox item is due (published, or backing off)
    /// or `until` passes.
    async fn push_outbox(&self, client: &RelayClient, until: Instant) -> Result<(), AppError> {
        loop {
            let due = self.inner.store.outbox_due(unix_now(), 1)?;
            if due.is_empty() || Instant::now() >= until {
                return Ok(());
            }
            client.wake_outbox();
            tokio::time::sleep(Duration::from_millis(50).min(left(until))).await;
        }
    }
}

/// Time left until `t` (zero once past).
fn left(t: Instant) -> Duration {
    t.saturating_duration_since(Instant::now())
}
