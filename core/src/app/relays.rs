//! Relay settings and routing (issue 23, DESIGN §3.7): the user's read, write and inbox relays
//! (stored in the store's settings, validated by [`RelaySettings`]), their publication as
//! NIP-65 kind 10002 and NIP-17 kind 10050, and other people's lists: looked up on our read
//! relays and the index relays, stored as events, handed to the relay client for routing, and
//! used to read people's events from their write relays.

use std::collections::HashSet;
use std::path::Path;

use nostr::{Event, Filter, Kind, PublicKey, RelayUrl, Timestamp};
use serde::Serialize;
use tokio::task::JoinSet;

use super::ingest::REPUTATION_KINDS;
use super::{App, AppError, SYNC_OVERLAP_SECS, unix_now};
use crate::protocol::follows::parse_follows;
use crate::protocol::kinds;
use crate::relay::lists::{
    InboxAdvertised, KIND_INBOX_RELAYS, KIND_RELAY_LIST, PeerRelays, RelaySettings, RelayViolation,
    UrlPolicy, assign_outbox_relays, check_relay_url,
};
use crate::relay::{RelayClient, Traffic};
use crate::rules::Rule;
use crate::store::{EventQuery, MAX_PEER_BATCH};

/// Setting holding the user's relay settings (JSON of [`RelaySettings`]).
const SETTINGS_KEY: &str = "relays/settings.v1";
/// Setting holding the relay settings last published as kinds 10002 and 10050.
const PUBLISHED_KEY: &str = "relays/published.v1";

/// How long someone's looked-up relay lists are used before they are looked up again.
pub const LIST_TTL_SECS: u64 = 6 * 3600;
/// Most people a sync reads from their own write relays (counterparties, then follows).
pub const MAX_SYNC_PEERS: usize = 500;
/// Authors per list look-up or per query to someone's relay.
const AUTHORS_PER_QUERY: usize = 200;
/// Queries to other people's relays running at once during a sync.
const PEER_QUERY_CONCURRENCY: usize = 8;
/// Most events one query to someone's relay returns.
const PEER_EVENTS_LIMIT: usize = 2_000;
/// Largest legacy `relays.txt` read.
const MAX_LEGACY_FILE_BYTES: u64 = 64 * 1024;
/// Relay hints a shared link carries (NIP-19).
pub const MAX_LINK_HINTS: usize = 3;

/// The user's relay settings as a screen shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct RelaySettingsView {
    /// Where we read public events and mentions of us.
    pub read: Vec<String>,
    /// Where we publish.
    pub write: Vec<String>,
    /// Where others send our direct messages.
    pub inbox: Vec<String>,
    /// Where our lists are also published and others' looked up (from the app's configuration,
    /// not edited here).
    pub index: Vec<String>,
    /// `false` while these are the defaults nobody saved yet.
    pub saved: bool,
    /// `true` once these lists were queued for publication (kinds 10002 and 10050); a change
    /// is published at the next sync, or at once when online.
    pub published: bool,
    /// This run reads and writes other relays than the settings say (the CLI's `--relay`).
    pub overridden: bool,
}

/// What importing a legacy relay file did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, uniffi::Record)]
pub struct RelayFileImport {
    /// The file's relays became the settings (there were none saved yet).
    pub imported: bool,
    /// Relays of the file that were refused (and left out).
    pub skipped: u32,
    /// The file was removed.
    pub removed: bool,
}

impl App {
    /// The relays used when nothing is saved: this run's relays if given (`AppConfig::relays`),
    /// else the shipped defaults.
    fn seed_settings(&self) -> Result<RelaySettings, AppError> {
        let seed = if self.inner.cfg.relays.is_empty() {
            crate::relay::default_relays()?
        } else {
            self.inner.cfg.relays.clone()
        };
        RelaySettings::uniform(&seed).map_err(|violations| AppError::InvalidRelays { violations })
    }

    /// The saved settings, if any (a stored value this build cannot read counts as none).
    fn saved_settings(&self) -> Result<Option<RelaySettings>, AppError> {
        let Some(json) = self.inner.store.setting_get(SETTINGS_KEY)? else {
            return Ok(None);
        };
        match serde_json::from_str::<RelaySettings>(&json) {
            // Re-validated: a value written by hand (or an older build) obeys today's rules.
            Ok(s) => Ok(s.with(None, None, None).ok()),
            Err(e) => {
                tracing::warn!("stored relay settings unreadable ({e}); using the defaults");
                Ok(None)
            }
        }
    }

    /// The settings in force: saved, else the seed. `true` if saved.
    pub(crate) fn effective_relay_settings(&self) -> Result<(RelaySettings, bool), AppError> {
        match self.saved_settings()? {
            Some(s) => Ok((s, true)),
            None => Ok((self.seed_settings()?, false)),
        }
    }

    /// Our relays for this run: read and write from `AppConfig::relays` when given (the CLI's
    /// `--relay`), else from the settings; the inbox always from the settings; index relays from
    /// the configuration.
    pub(crate) fn run_relays(&self) -> Result<RunRelays, AppError> {
        let (s, _) = self.effective_relay_settings()?;
        let cfg = &self.inner.cfg;
        let (read, write) = if cfg.relays.is_empty() {
            (s.read().to_vec(), s.write().to_vec())
        } else {
            let run = RelaySettings::uniform(&cfg.relays)
                .map_err(|violations| AppError::InvalidRelays { violations })?;
            (run.read().to_vec(), run.write().to_vec())
        };
        let index = cfg
            .index_relays
            .iter()
            .filter_map(|u| check_relay_url(u, UrlPolicy::OWN).ok())
            .map(|u| crate::relay::lists::canonical(&u))
            .collect();
        Ok(RunRelays {
            read,
            write,
            inbox: s.inbox().to_vec(),
            index,
        })
    }

    /// The rules for other people's relays: public `wss://` only, loopback too when this run
    /// uses a loopback relay itself (tests, a relay on this machine).
    pub(crate) fn peer_policy(&self) -> UrlPolicy {
        let loopback = self.run_relays().is_ok_and(|r| {
            r.read
                .iter()
                .chain(&r.write)
                .chain(&r.inbox)
                .filter_map(|u| RelayUrl::parse(u).ok())
                .any(|u| crate::relay::lists::is_loopback(&u))
        });
        UrlPolicy::others(loopback)
    }

    /// The relay settings as a screen shows them.
    pub fn relay_settings(&self) -> Result<RelaySettingsView, AppError> {
        let (s, saved) = self.effective_relay_settings()?;
        let published = self.inner.store.setting_get(PUBLISHED_KEY)?
            == Some(serde_json::to_string(&s).map_err(internal)?);
        let run = self.run_relays()?;
        Ok(RelaySettingsView {
            overridden: run.read != s.read() || run.write != s.write(),
            read: s.read().to_vec(),
            write: s.write().to_vec(),
            inbox: s.inbox().to_vec(),
            index: run.index,
            saved,
            published,
        })
    }

    /// Replaces the lists given (`None` leaves a list as it is) after validating all three;
    /// invalid input is [`AppError::InvalidRelays`] with every violation and changes nothing.
    /// When online, the connections follow at once and the new lists are queued for
    /// publication; otherwise they are published at the next sync.
    pub async fn set_relay_settings(
        &self,
        read: Option<Vec<String>>,
        write: Option<Vec<String>>,
        inbox: Option<Vec<String>>,
    ) -> Result<RelaySettingsView, AppError> {
        let (current, _) = self.effective_relay_settings()?;
        let next = current
            .with(read.as_deref(), write.as_deref(), inbox.as_deref())
            .map_err(|violations| AppError::InvalidRelays { violations })?;
        self.save_relay_settings(&next)?;
        self.apply_relay_settings().await?;
        self.relay_settings()
    }

    /// Checks lists without saving anything (live feedback while typing): every violation.
    pub fn check_relay_settings(
        &self,
        read: Option<Vec<String>>,
        write: Option<Vec<String>>,
        inbox: Option<Vec<String>>,
    ) -> Result<Vec<RelayViolation>, AppError> {
        let (current, _) = self.effective_relay_settings()?;
        Ok(current
            .with(read.as_deref(), write.as_deref(), inbox.as_deref())
            .err()
            .unwrap_or_default())
    }

    /// Goes back to the shipped default relays (saved as the settings).
    pub async fn reset_relay_settings(&self) -> Result<RelaySettingsView, AppError> {
        let d = crate::relay::default_relays()?;
        let s = RelaySettings::uniform(&d)
            .map_err(|violations| AppError::InvalidRelays { violations })?;
        self.save_relay_settings(&s)?;
        self.apply_relay_settings().await?;
        self.relay_settings()
    }

    /// Saves `relays` as read, write and inbox relays (the CLI's `init --relay`).
    pub fn save_uniform_relay_settings(&self, relays: &[String]) -> Result<(), AppError> {
        let s = RelaySettings::uniform(relays)
            .map_err(|violations| AppError::InvalidRelays { violations })?;
        self.save_relay_settings(&s)
    }

    fn save_relay_settings(&self, s: &RelaySettings) -> Result<(), AppError> {
        let json = serde_json::to_string(s).map_err(internal)?;
        self.inner.store.setting_set(SETTINGS_KEY, &json)?;
        Ok(())
    }

    /// Online: the client follows the settings and the lists are queued for publication.
    async fn apply_relay_settings(&self) -> Result<(), AppError> {
        let Ok(client) = self.client() else {
            return Ok(());
        };
        let run = self.run_relays()?;
        client
            .set_own_relays(&run.read, &run.write, &run.inbox, &run.index)
            .await?;
        self.publish_relay_lists_if_changed().await?;
        Ok(())
    }

    /// Imports a relay list file of an earlier version (`relays.txt`: one URL per line) into
    /// the settings if none are saved yet, then removes the file. Refused lines are skipped; a
    /// file with no usable relay imports nothing. A missing file is not an error.
    pub fn import_relay_file(&self, path: &Path) -> Result<RelayFileImport, AppError> {
        let mut out = RelayFileImport {
            imported: false,
            skipped: 0,
            removed: false,
        };
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(AppError::Internal {
                    reason: format!("relay file: {e}"),
                });
            }
        };
        if meta.len() > MAX_LEGACY_FILE_BYTES {
            return Err(AppError::invalid(
                "relay_file",
                Rule::TooLarge {
                    max: u32::try_from(MAX_LEGACY_FILE_BYTES).unwrap_or(u32::MAX),
                },
            ));
        }
        if self.saved_settings()?.is_none() {
            let text = std::fs::read_to_string(path).map_err(|e| AppError::Internal {
                reason: format!("relay file: {e}"),
            })?;
            let mut seen = HashSet::new();
            let mut kept = Vec::new();
            for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
                match check_relay_url(line, UrlPolicy::OWN) {
                    Ok(u) if kept.len() < crate::relay::lists::MAX_OWN_RELAYS => {
                        let c = crate::relay::lists::canonical(&u);
                        if seen.insert(c.clone()) {
                            kept.push(c);
                        }
                    }
                    _ => out.skipped += 1,
                }
            }
            if !kept.is_empty() {
                self.save_uniform_relay_settings(&kept)?;
                out.imported = true;
            }
        }
        std::fs::remove_file(path).map_err(|e| AppError::Internal {
            reason: format!("relay file: {e}"),
        })?;
        out.removed = true;
        Ok(out)
    }

    /// Queues our kinds 10002 and 10050 when the settings differ from what was last published.
    /// `true` if something was queued.
    pub(crate) async fn publish_relay_lists_if_changed(&self) -> Result<bool, AppError> {
        let keys = self.keys()?;
        let (s, _) = self.effective_relay_settings()?;
        let json = serde_json::to_string(&s).map_err(internal)?;
        if self.inner.store.setting_get(PUBLISHED_KEY)?.as_deref() == Some(json.as_str()) {
            return Ok(false);
        }
        // Replaceable events: the newest wins, so a second change within the same second must
        // still be later than the first.
        let me = keys.public_key();
        let previous = self
            .inner
            .store
            .query_events(
                &EventQuery::new()
                    .kinds([KIND_RELAY_LIST, KIND_INBOX_RELAYS])
                    .author(me)
                    .limit(2),
            )?
            .iter()
            .map(|e| e.created_at.as_secs())
            .max();
        let at = Timestamp::from(previous.map_or(unix_now(), |p| unix_now().max(p + 1)));
        let sign = |b: nostr::EventBuilder| {
            b.custom_created_at(at)
                .sign_with_keys(&keys)
                .map_err(internal)
        };
        let events = vec![sign(s.relay_list_builder())?, sign(s.inbox_list_builder())?];
        self.publish(events).await?;
        self.inner.store.setting_set(PUBLISHED_KEY, &json)?;
        Ok(true)
    }

    /// Someone's relay lists as stored (empty if never seen).
    pub(crate) fn stored_peer_relays(&self, peer: &PublicKey) -> Result<PeerRelays, AppError> {
        self.stored_peer_relays_with(peer, self.peer_policy())
    }

    fn stored_peer_relays_with(
        &self,
        peer: &PublicKey,
        policy: UrlPolicy,
    ) -> Result<PeerRelays, AppError> {
        let events = self.inner.store.query_events(
            &EventQuery::new()
                .kinds([KIND_RELAY_LIST, KIND_INBOX_RELAYS])
                .author(*peer)
                .limit(4),
        )?;
        Ok(PeerRelays::from_events(peer, &events, policy))
    }

    /// Makes sure the relay client knows `peers`' relay lists: lists not looked up within
    /// [`LIST_TTL_SECS`] are fetched (in batches, from our read relays and the index relays),
    /// stored, and every stored list is handed to the client. Offline, or when no relay
    /// answers, the stored lists are used as they are.
    pub(crate) async fn ensure_peer_relays(&self, peers: &[PublicKey]) -> Result<(), AppError> {
        let Ok(client) = self.client() else {
            return Ok(());
        };
        let me = self.public_key()?;
        let mut seen = HashSet::new();
        let peers: Vec<PublicKey> = peers
            .iter()
            .copied()
            .filter(|p| *p != me && seen.insert(*p))
            .take(MAX_SYNC_PEERS)
            .collect();
        let now = unix_now();
        let mut stale = Vec::new();
        for chunk in peers.chunks(MAX_PEER_BATCH) {
            let marks = self.inner.store.peer_relay_marks(chunk)?;
            stale.extend(chunk.iter().copied().filter(|p| {
                marks
                    .get(p)
                    .and_then(|m| m.checked_at)
                    .is_none_or(|t| now.saturating_sub(t) >= LIST_TTL_SECS)
            }));
        }
        let index = client.own_relays().index;
        for chunk in stale.chunks(AUTHORS_PER_QUERY) {
            let f = Filter::new()
                .kinds([
                    Kind::Custom(KIND_RELAY_LIST),
                    Kind::Custom(KIND_INBOX_RELAYS),
                ])
                .authors(chunk.iter().copied())
                .limit(chunk.len() * 2);
            match client
                .query_on(f, &index, self.inner.cfg.query_timeout)
                .await
            {
                Ok(got) => {
                    // Only kinds 10002 and 10050 pass the query's filter: stored (newest wins),
                    // nothing for listeners.
                    let events: Vec<Event> = got.into_iter().map(|v| v.into_event()).collect();
                    self.store_public(&events)?;
                    self.inner.store.peer_relays_checked(chunk, now)?;
                }
                Err(e) => tracing::debug!("relay list look-up failed: {e}"),
            }
        }
        let policy = self.peer_policy();
        for p in &peers {
            client.set_peer_relays(*p, self.stored_peer_relays_with(p, policy)?);
        }
        Ok(())
    }

    /// Hands every stored relay list to a new relay client (messages left in the outbox by an
    /// earlier run are routed as they were meant to be).
    pub(crate) fn load_peer_relays_into(&self, client: &RelayClient) -> Result<(), AppError> {
        let me = self.public_key().ok();
        let events = self.inner.store.query_events(
            &EventQuery::new()
                .kinds([KIND_RELAY_LIST, KIND_INBOX_RELAYS])
                .limit(crate::store::MAX_QUERY_LIMIT),
        )?;
        let mut by_author: std::collections::HashMap<PublicKey, Vec<&Event>> =
            std::collections::HashMap::new();
        for e in &events {
            by_author.entry(e.pubkey).or_default().push(e);
        }
        let policy = self.peer_policy();
        for (a, theirs) in by_author.into_iter().filter(|(a, _)| Some(*a) != me) {
            client.set_peer_relays(a, PeerRelays::from_events(&a, theirs, policy));
        }
        Ok(())
    }

    /// Does `peer` advertise a NIP-17 inbox (a kind 10050 naming a relay we accept)? Looks
    /// their lists up first when they are not fresh (online). `Unknown` when they were never
    /// looked up successfully and nothing is stored.
    pub async fn peer_inbox(&self, peer: &PublicKey) -> Result<InboxAdvertised, AppError> {
        self.ensure_peer_relays(&[*peer]).await?;
        let stored = self.stored_peer_relays(peer)?;
        if stored.advertises_inbox() {
            return Ok(InboxAdvertised::Yes);
        }
        let checked = self
            .inner
            .store
            .peer_relay_marks(&[*peer])?
            .get(peer)
            .and_then(|m| m.checked_at)
            .is_some();
        Ok(if checked || !stored.is_unknown() {
            InboxAdvertised::No
        } else {
            InboxAdvertised::Unknown
        })
    }

    /// Someone's relay lists as known now (stored; looked up first when online and stale).
    pub async fn peer_relays(&self, peer: &PublicKey) -> Result<PeerRelays, AppError> {
        self.ensure_peer_relays(&[*peer]).await?;
        self.stored_peer_relays(peer)
    }

    /// Connections opened and bytes moved by this run's relay client (`None` offline).
    pub async fn relay_traffic(&self) -> Option<Traffic> {
        match self.client() {
            Ok(c) => Some(c.traffic().await),
            Err(_) => None,
        }
    }

    /// The people a sync reads from their own write relays: our counterparties (most recent
    /// first), then the people we follow, at most [`MAX_SYNC_PEERS`].
    pub(crate) fn sync_peers(&self) -> Result<Vec<PublicKey>, AppError> {
        let me = self.public_key()?;
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for rec in self.inner.store.list_negotiations()? {
            if let Some(p) = rec.nego.counterparty_of(&me)
                && seen.insert(p)
            {
                out.push(p);
            }
        }
        let follows = self.inner.store.query_events(
            &EventQuery::new()
                .kinds([kinds::FOLLOWS])
                .author(me)
                .limit(1),
        )?;
        if let Some(list) = follows.first().and_then(|e| parse_follows(e).ok()) {
            for p in list {
                if p != me && seen.insert(p) {
                    out.push(p);
                }
            }
        }
        out.truncate(MAX_SYNC_PEERS);
        Ok(out)
    }

    /// Reads the reputation events (profiles, follows, ratings, receipts) of `peers` from their
    /// own write relays, for those who do not write where we read anyway: relays chosen to
    /// cover them with as few connections as the cap allows, one query per relay and batch of
    /// authors, since what was read from them before (minus the overlap window). Returns the
    /// events stored.
    pub(crate) async fn read_from_peer_relays(
        &self,
        client: &RelayClient,
        peers: &[PublicKey],
    ) -> Result<u32, AppError> {
        if peers.is_empty() {
            return Ok(0);
        }
        self.ensure_peer_relays(peers).await?;
        let own = client.own_relays();
        let per = client.config().max_relays_per_peer;
        let people: Vec<(PublicKey, Vec<RelayUrl>)> = peers
            .iter()
            .map(|p| {
                let w = client
                    .peer_relays(p)
                    .map(|r| r.write.into_iter().take(per).collect())
                    .unwrap_or_default();
                (*p, w)
            })
            .collect();
        let budget = client
            .config()
            .max_extra_relays
            .saturating_sub(own.index.len())
            .max(1);
        let (chosen, uncovered) = assign_outbox_relays(&people, &own.reading(), 1, budget);
        if !uncovered.is_empty() {
            tracing::debug!(
                left = uncovered.len(),
                "some people's write relays are beyond the connection cap this sync"
            );
        }
        let started = unix_now();
        let mut marks = std::collections::HashMap::new();
        for chunk in peers.chunks(MAX_PEER_BATCH) {
            marks.extend(self.inner.store.peer_relay_marks(chunk)?);
        }
        let timeout = self.inner.cfg.query_timeout;
        let mut jobs: Vec<(RelayUrl, Vec<PublicKey>, Option<u64>)> = Vec::new();
        for (relay, authors) in chosen {
            for chunk in authors.chunks(AUTHORS_PER_QUERY) {
                // One `since` per query: the earliest of its authors (never read: everything).
                let since = chunk
                    .iter()
                    .map(|a| marks.get(a).and_then(|m| m.synced_until))
                    .try_fold(u64::MAX, |acc, s| s.map(|s| acc.min(s)));
                jobs.push((relay.clone(), chunk.to_vec(), since));
            }
        }
        let mut set: JoinSet<PeerQuery> = JoinSet::new();
        let mut jobs = jobs.into_iter();
        let mut events: Vec<Event> = Vec::new();
        let mut done: Vec<PublicKey> = Vec::new();
        loop {
            while set.len() < PEER_QUERY_CONCURRENCY {
                let Some((relay, authors, since)) = jobs.next() else {
                    break;
                };
                let mut f = Filter::new()
                    .kinds(REPUTATION_KINDS.iter().map(|k| Kind::Custom(*k)))
                    .authors(authors.iter().copied())
                    .limit(PEER_EVENTS_LIMIT);
                if let Some(s) = since {
                    f = f.since(Timestamp::from(s.saturating_sub(SYNC_OVERLAP_SECS)));
                }
                let c = client.clone();
                set.spawn(async move {
                    let got = c
                        .query_at(f, &[relay], timeout)
                        .await
                        .map(|v| v.into_iter().map(|e| e.into_event()).collect());
                    (authors, got)
                });
            }
            match set.join_next().await {
                Some(Ok((authors, Ok(got)))) => {
                    events.extend(got);
                    done.extend(authors);
                }
                Some(Ok((_, Err(e)))) => tracing::debug!("reading someone's relay failed: {e}"),
                Some(Err(e)) => tracing::warn!("peer relay task failed: {e}"),
                None => break,
            }
        }
        let n = u32::try_from(events.len()).unwrap_or(u32::MAX);
        self.ingest_public(events).await?;
        for chunk in done.chunks(MAX_PEER_BATCH) {
            self.inner.store.peer_relays_synced(chunk, started)?;
        }
        Ok(n)
    }
}

/// One query to someone's relay: the authors asked for, and what came back.
type PeerQuery = (Vec<PublicKey>, Result<Vec<Event>, crate::relay::RelayError>);

/// Our relays for one run, by role (canonical URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunRelays {
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub inbox: Vec<String>,
    pub index: Vec<String>,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal {
        reason: e.to_string(),
    }
}

/// The English sentence for a list of violations (CLI, logs).
pub fn describe_violations(v: &[RelayViolation]) -> String {
    v.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
