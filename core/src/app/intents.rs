//! Markets, posting, withdrawing and browsing intents.

use std::collections::{HashMap, HashSet};

use nostr::{Event, EventBuilder, EventId, Filter, Keys, Kind, Timestamp};
use serde_json::Value;

use super::{App, AppError, AppEvent, IntentView, MarketView, unix_now};
use crate::identity::to_npub;
use crate::protocol::intent::{
    Intent, IntentDraft, Side, TimeWindow, build_intent, build_withdrawal, geohash_cover,
    new_intent_d, parse_intent, validate_geohash,
};
use crate::protocol::kinds;
use crate::protocol::market::Market;
use crate::store::EventQuery;

/// Most intents shown per author in one browse (one account can't flood a market).
pub const MAX_INTENTS_PER_AUTHOR: usize = 5;

/// How far back browse looks for live intents.
pub const BROWSE_LOOKBACK_SECS: u64 = 30 * 24 * 3600;

/// What a user posts.
#[derive(Debug, Clone, PartialEq)]
pub struct PostIntent {
    /// Market topic (`sg-goods`) or schema (`goods/1`).
    pub market: String,
    pub side: Side,
    pub title: String,
    /// The payload object (validated against the market schema).
    pub payload: Value,
    /// Location geohash; its prefixes up to the configured precision become `g` tags.
    pub geohash: Option<String>,
    /// Lifetime; the market's default when `None`.
    pub expires_in_secs: Option<u64>,
    /// NIP-13 difficulty; the configured default when `None` (0 disables).
    pub pow_bits: Option<u8>,
    pub window: Option<TimeWindow>,
}

/// Signs `builder`, mining `bits` of proof of work on a blocking thread (never on the caller's
/// async executor or a UI thread).
pub(crate) async fn sign_with_pow(
    builder: EventBuilder,
    keys: &Keys,
    bits: u8,
) -> Result<Event, AppError> {
    let keys = keys.clone();
    tokio::task::spawn_blocking(move || {
        let b = if bits > 0 { builder.pow(bits) } else { builder };
        b.sign_with_keys(&keys)
    })
    .await
    .map_err(|e| AppError::Internal {
        reason: format!("signing task failed: {e}"),
    })?
    .map_err(|e| AppError::Internal {
        reason: format!("signing failed: {e}"),
    })
}

impl App {
    /// Every market this client knows, with its form.
    pub fn markets(&self) -> Vec<MarketView> {
        self.inner
            .markets
            .list()
            .iter()
            .map(|m| MarketView {
                topic: m.topic().to_string(),
                schema: m.schema().to_string(),
                title: m.title().to_string(),
                description: m.description().to_string(),
                default_expiry_secs: m.default_expiry_secs(),
                payload_schema_json: m.payload_schema().to_string(),
                form_json: serde_json::to_string(m.form()).unwrap_or_else(|_| "[]".into()),
            })
            .collect()
    }

    pub(crate) fn market(&self, name: &str) -> Result<&Market, AppError> {
        let m = &self.inner.markets;
        m.by_topic(name)
            .or_else(|| m.by_schema(name))
            .or_else(|| {
                // Also accept the bare family name: `goods` for `goods/1`.
                m.list()
                    .iter()
                    .find(|x| x.schema().split('/').next() == Some(name))
            })
            .ok_or_else(|| AppError::UnknownMarket {
                market: name.to_string(),
            })
    }

    /// Validates, signs (with proof of work off the caller's thread), stores and publishes an
    /// intent through the durable outbox.
    pub async fn post_intent(&self, post: PostIntent) -> Result<IntentView, AppError> {
        let keys = self.keys()?;
        let market = self.market(&post.market)?;
        let now = unix_now();
        let mut draft = IntentDraft::for_market(
            post.side,
            market,
            post.title,
            post.payload,
            Timestamp::from(now),
        );
        if let Some(secs) = post.expires_in_secs {
            if secs == 0 {
                return Err(AppError::invalid("expires_in", "must be positive"));
            }
            draft.expires_at = now.saturating_add(secs);
        }
        if let Some(g) = &post.geohash {
            validate_geohash("geohash", g)?;
        }
        draft.geohash = post.geohash;
        draft.g_precision = usize::from(self.inner.cfg.geohash_precision);
        draft.window = post.window;
        let builder = build_intent(&draft, &new_intent_d(), Timestamp::from(now))?;
        let bits = post.pow_bits.unwrap_or(self.inner.cfg.intent_pow_bits);
        let event = sign_with_pow(builder, &keys, bits).await?;
        let intent = parse_intent(&event, Timestamp::from(now))?;
        self.publish(vec![event]).await?;
        Ok(self.intent_view(&intent, None))
    }

    /// Withdraws one of our intents (reference semantics: same `d`, title "(withdrawn)",
    /// `{"withdrawn":true}`, expiring in 10 minutes). Negotiations still open on it are
    /// cancelled; confirmed deals stand.
    pub async fn withdraw_intent(&self, intent_id: &str) -> Result<(), AppError> {
        let keys = self.keys()?;
        let intent = self.load_intent(intent_id)?;
        if intent.author != keys.public_key() {
            return Err(AppError::NotPossible {
                what: "withdraw",
                why: "only the author can withdraw an intent".into(),
            });
        }
        let now = unix_now();
        let event = build_withdrawal(&intent, Timestamp::from(now))?
            .sign_with_keys(&keys)
            .map_err(|e| AppError::Internal {
                reason: e.to_string(),
            })?;
        self.publish(vec![event]).await?;
        self.cancel_all_on_intent(&intent, "Withdrawn").await?;
        Ok(())
    }

    /// Makes sure an intent is stored, fetching it from the relays when it is not (shared out
    /// of band rather than browsed), and returns its id (hex). `intent` is an event id (hex), a
    /// `nevent1…` / `note1…` (NIP-19), or either as a `nostr:` URI: a `nevent` is also looked for
    /// on its relay hints (at most [`super::MAX_LINK_HINTS`], under the rules for other people's
    /// relays) and on its author's write relays. An intent no relay has stays unknown.
    pub(crate) async fn ensure_intent(&self, intent: &str) -> Result<String, AppError> {
        let unknown = || AppError::UnknownIntent {
            id: crate::protocol::excerpt(intent.trim()),
        };
        let (id, author, hints) = parse_intent_ref(intent).ok_or_else(unknown)?;
        if self.inner.store.get_event(&id)?.is_some() {
            return Ok(id.to_hex());
        }
        if let Ok(client) = self.client() {
            let policy = self.peer_policy();
            let mut extra: Vec<nostr::RelayUrl> = hints
                .iter()
                .filter_map(|u| {
                    crate::relay::lists::check_relay_url(u.as_str_without_trailing_slash(), policy)
                        .ok()
                })
                .take(super::MAX_LINK_HINTS)
                .collect();
            if let Some(a) = author {
                self.ensure_peer_relays(&[a]).await?;
                let per = client.config().max_relays_per_peer;
                if let Some(p) = client.peer_relays(&a) {
                    extra.extend(p.write.into_iter().take(per));
                }
            }
            let f = Filter::new()
                .id(id)
                .kinds([Kind::Custom(kinds::OFFER), Kind::Custom(kinds::REQUEST)])
                .limit(1);
            let got = client
                .query_on(f, &extra, self.inner.cfg.query_timeout)
                .await?;
            let events: Vec<Event> = got
                .into_iter()
                .map(|v| v.into_event())
                .filter(|e| e.id == id)
                .collect();
            if !events.is_empty() {
                self.store_public(&events)?;
            }
        }
        Ok(id.to_hex())
    }

    /// The `nostr:nevent1…` link of an intent, with up to [`super::MAX_LINK_HINTS`] relays where
    /// its author publishes (ours: our write relays; someone else's: their write relays when
    /// known).
    pub(crate) fn intent_link(&self, i: &Intent) -> String {
        let hints: Vec<nostr::RelayUrl> = if self.public_key().ok() == Some(i.author) {
            self.run_relays()
                .map(|r| r.write)
                .unwrap_or_default()
                .iter()
                .filter_map(|u| nostr::RelayUrl::parse(u).ok())
                .collect()
        } else {
            self.client()
                .ok()
                .and_then(|c| c.peer_relays(&i.author))
                .map(|p| p.write)
                .unwrap_or_default()
        };
        let kind = Kind::Custom(match i.side {
            crate::protocol::intent::Side::Offer => kinds::OFFER,
            crate::protocol::intent::Side::Request => kinds::REQUEST,
        });
        let nevent = nostr::nips::nip19::Nip19Event::new(i.id)
            .author(i.author)
            .kind(kind)
            .relays(hints.into_iter().take(super::MAX_LINK_HINTS));
        use nostr::nips::nip19::ToBech32;
        nevent
            .to_bech32()
            .map(|b| format!("nostr:{b}"))
            .unwrap_or_default()
    }

    /// Parses a stored intent by event id (hex).
    pub(crate) fn load_intent(&self, intent_id: &str) -> Result<Intent, AppError> {
        let id = EventId::from_hex(intent_id).map_err(|_| AppError::UnknownIntent {
            id: intent_id.to_string(),
        })?;
        let ev = self
            .inner
            .store
            .get_event(&id)?
            .ok_or_else(|| AppError::UnknownIntent {
                id: intent_id.to_string(),
            })?;
        // Parse at the event's own time: an expired intent is still the record of a deal.
        Ok(parse_intent(&ev, ev.created_at)?)
    }

    /// Intents in `market` near `near` (the cell and its neighbours out to `radius` rings, so
    /// nothing across a cell boundary is missed). Fetches from the relays when online, then
    /// lists from the store: live (not expired, not withdrawn), newest first, at most
    /// [`MAX_INTENTS_PER_AUTHOR`] per author, each with its author's screening badge.
    pub async fn browse(
        &self,
        market: &str,
        near: Option<&str>,
        radius: u32,
    ) -> Result<Vec<IntentView>, AppError> {
        let market = self.market(market)?.topic().to_string();
        // Intents publish `g` prefixes up to the configured precision, so the cover is computed
        // at that precision (a more precise `near` is truncated to it).
        let cover = match near {
            Some(g) => {
                validate_geohash("near", g)?;
                let p = g
                    .len()
                    .min(usize::from(self.inner.cfg.geohash_precision))
                    .max(1);
                Some(geohash_cover(&g[..p], radius)?)
            }
            None => None,
        };
        let now = unix_now();
        if let Ok(client) = self.client() {
            let mut f = Filter::new()
                .kinds([Kind::Custom(kinds::OFFER), Kind::Custom(kinds::REQUEST)])
                .custom_tag(
                    nostr::SingleLetterTag::lowercase(nostr::Alphabet::T),
                    market.clone(),
                )
                .since(Timestamp::from(now.saturating_sub(BROWSE_LOOKBACK_SECS)))
                .limit(1000);
            if let Some(c) = &cover {
                f = f.custom_tags(
                    nostr::SingleLetterTag::lowercase(nostr::Alphabet::G),
                    c.iter().cloned(),
                );
            }
            let got = client.query(f, self.inner.cfg.query_timeout).await?;
            let events: Vec<Event> = got.into_iter().map(|v| v.into_event()).collect();
            if !events.is_empty() {
                self.store_public(&events)?;
            }
        }
        let stored = self.inner.store.query_events(
            &EventQuery::new()
                .kinds([kinds::OFFER, kinds::REQUEST])
                .since(now.saturating_sub(BROWSE_LOOKBACK_SECS)),
        )?;
        let cover_set: Option<HashSet<String>> = cover.map(|c| c.into_iter().collect());
        let mut intents: Vec<Intent> = stored
            .iter()
            .filter_map(|e| parse_intent(e, Timestamp::from(now)).ok())
            .filter(|i| i.market == market && !i.is_withdrawn())
            .filter(|i| match &cover_set {
                None => true,
                Some(set) => i.geohashes.iter().any(|g| set.contains(g)),
            })
            .collect();
        intents.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
        let mut per_author: HashMap<nostr::PublicKey, usize> = HashMap::new();
        intents.retain(|i| {
            let n = per_author.entry(i.author).or_insert(0);
            *n += 1;
            *n <= MAX_INTENTS_PER_AUTHOR
        });
        let trust = self.viewer_trust()?;
        Ok(intents
            .iter()
            .map(|i| self.intent_view(i, trust.as_ref()))
            .collect())
    }

    /// Our own intents (live and past), newest first.
    pub fn my_intents(&self) -> Result<Vec<IntentView>, AppError> {
        let me = self.public_key()?;
        let stored = self.inner.store.query_events(
            &EventQuery::new()
                .kinds([kinds::OFFER, kinds::REQUEST])
                .author(me),
        )?;
        let mut out: Vec<Intent> = stored
            .iter()
            .filter_map(|e| parse_intent(e, e.created_at).ok())
            .collect();
        out.sort_by_key(|i| std::cmp::Reverse(i.created_at));
        Ok(out.iter().map(|i| self.intent_view(i, None)).collect())
    }

    /// Subscribes to live intents of a market (for "watch" / the browse screen).
    pub async fn watch_market(&self, market: &str) -> Result<(), AppError> {
        let topic = self.market(market)?.topic().to_string();
        let client = self.client()?;
        let f = Filter::new()
            .kinds([Kind::Custom(kinds::OFFER), Kind::Custom(kinds::REQUEST)])
            .custom_tag(nostr::SingleLetterTag::lowercase(nostr::Alphabet::T), topic)
            .since(Timestamp::from(unix_now()));
        client.subscribe(f).await?;
        Ok(())
    }

    pub(crate) fn intent_view(
        &self,
        i: &Intent,
        trust: Option<&crate::reputation::TrustMap>,
    ) -> IntentView {
        let me = self.public_key().ok();
        // A list still shows when a screening cannot be computed; the card then has no badge
        // (never a better one than the evidence gives).
        let (badge, verdict) = match trust.map(|t| self.badge_for(t, &i.author)) {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                tracing::warn!("no badge for an intent: {e}");
                (String::new(), String::new())
            }
            None => (String::new(), String::new()),
        };
        IntentView {
            id: i.id.to_hex(),
            d: i.d.clone(),
            author: i.author.to_hex(),
            author_npub: to_npub(&i.author),
            side: i.side.as_str().to_string(),
            market: i.market.clone(),
            schema: i.schema.clone(),
            title: i.title.clone(),
            payload_json: Value::Object(i.payload.clone()).to_string(),
            geohash: i.geohash().map(str::to_string),
            created_at: i.created_at.as_secs(),
            expires_at: i.expires_at,
            withdrawn: i.is_withdrawn(),
            mine: me == Some(i.author),
            badge,
            verdict,
            link: self.intent_link(i),
        }
    }

    pub(crate) fn emit_intent(&self, i: &Intent) {
        self.emit(AppEvent::IntentSeen {
            market: i.market.clone(),
            intent_id: i.id.to_hex(),
        });
    }
}

/// An intent reference: hex id, `note1…`, `nevent1…` (with its author and relay hints), with or
/// without `nostr:`. `None` if it is none of these.
fn parse_intent_ref(s: &str) -> Option<(EventId, Option<nostr::PublicKey>, Vec<nostr::RelayUrl>)> {
    use nostr::nips::nip19::{FromBech32, Nip19Event};
    let t = s.trim();
    if t.len() > 2_048 {
        return None;
    }
    let t = t.strip_prefix("nostr:").unwrap_or(t);
    if let Ok(id) = EventId::from_hex(t) {
        return Some((id, None, Vec::new()));
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("note1") {
        return EventId::from_bech32(t)
            .ok()
            .map(|id| (id, None, Vec::new()));
    }
    if lower.starts_with("nevent1") {
        let n = Nip19Event::from_bech32(t).ok()?;
        return Some((n.event_id, n.author, n.relays));
    }
    None
}

#[cfg(test)]
mod link_tests {
    use super::*;
    use nostr::nips::nip19::ToBech32;

    #[test]
    fn intent_references_parse_in_every_shared_form() {
        let id = EventId::all_zeros();
        let author = nostr::Keys::generate().public_key();
        let relay = nostr::RelayUrl::parse("wss://relay.example.com").unwrap();
        let nevent = nostr::nips::nip19::Nip19Event::new(id)
            .author(author)
            .relays([relay.clone()])
            .to_bech32()
            .unwrap();
        assert_eq!(parse_intent_ref(&id.to_hex()), Some((id, None, vec![])));
        assert_eq!(
            parse_intent_ref(&format!(" nostr:{nevent} ")),
            Some((id, Some(author), vec![relay.clone()]))
        );
        assert_eq!(
            parse_intent_ref(&nevent),
            Some((id, Some(author), vec![relay]))
        );
        let note = id.to_bech32().unwrap();
        assert_eq!(parse_intent_ref(&note), Some((id, None, vec![])));
        for bad in ["", "nevent1xyz", "npub1abc", &"a".repeat(5_000)] {
            assert_eq!(parse_intent_ref(bad), None, "{bad}");
        }
    }
}
