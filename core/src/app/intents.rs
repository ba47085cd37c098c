//! Markets, posting, withdrawing and browsing intents.

use std::collections::{HashMap, HashSet};

use nostr::{Event, EventBuilder, EventId, Filter, Keys, Kind, Timestamp};
use serde_json::Value;

use super::{
    App, AppError, AppEvent, FieldViolation, FormEntry, IntentAction, IntentView, MarketView,
    Refusal, Rule, unix_now,
};
use crate::identity::to_npub;
use crate::protocol::form::{build_payload, form_of, schema_violations};
use crate::protocol::intent::{
    Intent, IntentDraft, MAX_FLEX_MINUTES, Side, TimeWindow, build_intent, build_withdrawal,
    geohash_cover, geohash_rule, new_intent_d, parse_intent,
};
use crate::protocol::kinds;
use crate::protocol::limits::MAX_TITLE_CHARS;
use crate::protocol::market::Market;
use crate::rules::text_rule;
use crate::store::EventQuery;

/// The cancel reason sent to open negotiations when their intent is withdrawn (shown as
/// `CancelReason::Withdrawn`).
pub const WITHDRAWN_REASON: &str = "Withdrawn";

/// Most intents shown per author in one browse (one account can't flood a market).
pub const MAX_INTENTS_PER_AUTHOR: usize = 5;

/// How far back browse looks for live intents.
pub const BROWSE_LOOKBACK_SECS: u64 = 30 * 24 * 3600;

/// The payload of a post: what a form screen entered, or a JSON object (CLI, scripts).
#[derive(Debug, Clone, PartialEq)]
pub enum Payload {
    /// The market form's entries; the core builds the payload ([`build_payload`]).
    Form(Vec<FormEntry>),
    /// A ready payload object.
    Json(Value),
}

/// What a user posts.
#[derive(Debug, Clone, PartialEq)]
pub struct PostIntent {
    /// Market topic (`sg-goods`) or schema (`goods/1`).
    pub market: String,
    pub side: Side,
    /// One line, at most 200 characters (surrounding spaces are dropped).
    pub title: String,
    /// The payload (validated against the market schema).
    pub payload: Payload,
    /// Location geohash (any case, surrounding spaces dropped); its prefixes up to the
    /// configured precision become `g` tags.
    pub geohash: Option<String>,
    /// Lifetime; the market's default when `None`.
    pub expires_in_secs: Option<u64>,
    /// NIP-13 difficulty; the configured default when `None` (0 disables).
    pub pow_bits: Option<u8>,
    /// When (unix seconds), as the reference's rule-based agent matches it.
    pub window: Option<TimeWindow>,
    /// Minutes of flexibility around the window (reference `flex_minutes`).
    pub flex_minutes: Option<u32>,
}

/// What is wrong with a post's time window and flexibility, as a person can get it wrong with
/// a date picker: the end before the start (`window_end`: [`Rule::EndBeforeStart`]; a window of
/// one instant is allowed, as on the wire), a window already over (`window_end`:
/// [`Rule::InThePast`]), more flexibility than the protocol allows (`flex_minutes`:
/// [`Rule::AboveMaximum`]). A window that started earlier but is still running is fine.
fn window_violations(
    window: Option<&TimeWindow>,
    flex_minutes: Option<u32>,
    now: u64,
) -> Vec<FieldViolation> {
    let mut out = Vec::new();
    if let Some(w) = window {
        if w.end < w.start {
            out.push(FieldViolation::new("window_end", Rule::EndBeforeStart));
        } else if w.end < now {
            out.push(FieldViolation::new("window_end", Rule::InThePast));
        }
    }
    if let Some(f) = flex_minutes
        && f > MAX_FLEX_MINUTES
    {
        out.push(FieldViolation::new(
            "flex_minutes",
            Rule::AboveMaximum {
                max: f64::from(MAX_FLEX_MINUTES),
            },
        ));
    }
    out
}

/// The geohash of the first place field (in form order) the payload fills in.
fn first_place_geohash(market: &Market, payload: &Value) -> Option<String> {
    market
        .form()
        .iter()
        .filter(|f| f.input == crate::protocol::market::InputKind::Location)
        .find_map(|f| payload.pointer(&format!("{}/geohash", f.path))?.as_str())
        .map(str::to_string)
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

/// The views of a registry's markets, with their forms, in definition order.
pub fn market_views(registry: &crate::protocol::market::MarketRegistry) -> Vec<MarketView> {
    registry
        .list()
        .iter()
        .map(|m| MarketView {
            topic: m.topic().to_string(),
            schema: m.schema().to_string(),
            title: m.title().to_string(),
            description: m.description().to_string(),
            default_expiry_secs: m.default_expiry_secs(),
            form: form_of(m),
        })
        .collect()
}

impl App {
    /// The user's preferred locales (BCP 47 tags, most preferred first, e.g. Android's
    /// `LocaleList` or iOS's `Locale.preferredLanguages`): from now on every market this App
    /// shows — titles, descriptions, form labels, placeholders, option labels — reads in the
    /// first of them we have a translation for (see [`Market::localized`]); English when none
    /// matches. Payload values never change. Kept in memory only: the apps call it at start and
    /// whenever the system or per-app language changes. Malformed tags are skipped.
    pub fn set_locales(&self, locales: &[String]) {
        let registry = crate::protocol::market::builtin_localized(locales);
        match self.inner.markets.write() {
            Ok(mut m) => *m = registry,
            Err(poisoned) => *poisoned.into_inner() = registry,
        }
    }

    /// The markets as the user reads them (localized by [`App::set_locales`]).
    pub(crate) fn market_registry(&self) -> &'static crate::protocol::market::MarketRegistry {
        match self.inner.markets.read() {
            Ok(m) => *m,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Every market this client knows, with its form, in the user's language.
    pub fn markets(&self) -> Vec<MarketView> {
        market_views(self.market_registry())
    }

    /// Builds `market`'s payload (JSON text) from a form's entries, or refuses with every
    /// field's violation — the same ones [`App::post_intent`] returns; for live feedback.
    pub fn build_payload(&self, market: &str, entries: &[FormEntry]) -> Result<String, AppError> {
        let market = self.market(market)?;
        build_payload(market, entries)
            .map(|m| Value::Object(m).to_string())
            .map_err(|violations| AppError::InvalidInput { violations })
    }

    /// The market named by topic, schema or family name, as the user reads it (localized:
    /// views that show a market's labels take them from here).
    pub(crate) fn market(&self, name: &str) -> Result<&Market, AppError> {
        let m = self.market_registry();
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
    /// intent through the durable outbox. Bad input is refused with every violation at once
    /// (title, geohash, lifetime, each payload field) and nothing is published.
    pub async fn post_intent(&self, post: PostIntent) -> Result<IntentView, AppError> {
        let keys = self.keys()?;
        let market = self.market(&post.market)?;
        let now = unix_now();
        let title = post.title.trim().to_string();
        let geohash = post
            .geohash
            .map(|g| g.trim().to_lowercase())
            .filter(|g| !g.is_empty());
        let mut violations = Vec::new();
        if let Some(rule) = text_rule(&title, true, 1, MAX_TITLE_CHARS) {
            violations.push(FieldViolation::new("title", rule));
        }
        let payload = match post.payload {
            Payload::Form(entries) => match build_payload(market, &entries) {
                Ok(m) => Value::Object(m),
                Err(v) => {
                    violations.extend(v);
                    Value::Null
                }
            },
            Payload::Json(v) => {
                violations.extend(schema_violations(market, &v));
                v
            }
        };
        if let Some(rule) = geohash.as_deref().and_then(geohash_rule) {
            violations.push(FieldViolation::new("geohash", rule));
        }
        if post.expires_in_secs == Some(0) {
            violations.push(FieldViolation::new("expires_in", Rule::NotPositive));
        }
        violations.extend(window_violations(
            post.window.as_ref(),
            post.flex_minutes,
            now,
        ));
        if !violations.is_empty() {
            return Err(AppError::InvalidInput { violations });
        }
        // Without an area, an intent is published where its first place is (so "near me"
        // finds it), at the configured precision like any area.
        let geohash = geohash.or_else(|| first_place_geohash(market, &payload));
        let mut draft =
            IntentDraft::for_market(post.side, market, title, payload, Timestamp::from(now));
        if let Some(secs) = post.expires_in_secs {
            draft.expires_at = now.saturating_add(secs);
        }
        draft.geohash = geohash;
        draft.g_precision = usize::from(self.inner.cfg.geohash_precision);
        draft.window = post.window;
        draft.flex_minutes = post.flex_minutes;
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
        self.check_withdraw(&intent)?;
        let now = unix_now();
        let event = build_withdrawal(&intent, Timestamp::from(now))?
            .sign_with_keys(&keys)
            .map_err(|e| AppError::Internal {
                reason: e.to_string(),
            })?;
        self.publish(vec![event]).await?;
        self.cancel_all_on_intent(&intent, WITHDRAWN_REASON).await?;
        Ok(())
    }

    /// Whether we may withdraw `intent`: ours, and not withdrawn already. The one rule behind
    /// [`App::withdraw_intent`] and `IntentView.actions`.
    pub(crate) fn check_withdraw(&self, intent: &Intent) -> Result<(), AppError> {
        if intent.author != self.public_key()? {
            return Err(AppError::refused("withdraw", Refusal::AuthorOnly));
        }
        if intent.is_withdrawn() {
            return Err(AppError::refused("withdraw", Refusal::IntentWithdrawn));
        }
        Ok(())
    }

    /// What we may do with `intent` now.
    fn intent_actions(&self, intent: &Intent, now: u64) -> Vec<IntentAction> {
        let mine = self.public_key().is_ok_and(|me| me == intent.author);
        if mine {
            if self.check_withdraw(intent).is_ok() {
                return vec![IntentAction::Withdraw];
            }
        } else if self.check_respond(intent, now).is_ok() {
            return vec![IntentAction::Accept, IntentAction::Counter];
        }
        Vec::new()
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
        let near = near.map(|g| g.trim().to_lowercase());
        let cover = match near.as_deref() {
            Some(g) => {
                if let Some(rule) = geohash_rule(g) {
                    return Err(AppError::invalid("near", rule));
                }
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
            .filter(|i| !self.is_blocked(&i.author))
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

    /// The market an intent was posted in, by its schema (else its topic), if this app knows it.
    fn intent_market(&self, i: &Intent) -> Option<&Market> {
        let m = self.market_registry();
        m.by_schema(&i.schema).or_else(|| m.by_topic(&i.market))
    }

    pub(crate) fn intent_view(
        &self,
        i: &Intent,
        trust: Option<&crate::reputation::TrustMap>,
    ) -> IntentView {
        let me = self.public_key().ok();
        // A list still shows when a screening cannot be computed; the card then has no badge
        // (never a better one than the evidence gives).
        let badge = match trust.map(|t| self.badge_for(t, &i.author)) {
            Some(Ok(b)) => Some(b),
            Some(Err(e)) => {
                tracing::warn!("no badge for an intent: {e}");
                None
            }
            None => None,
        };
        IntentView {
            id: i.id.to_hex(),
            d: i.d.clone(),
            author: i.author.to_hex(),
            author_npub: to_npub(&i.author),
            side: i.side.into(),
            market: i.market.clone(),
            schema: i.schema.clone(),
            title: i.title.clone(),
            payload_json: Value::Object(i.payload.clone()).to_string(),
            terms: crate::protocol::terms::term_views(self.intent_market(i), &i.payload),
            geohash: i.geohash().map(str::to_string),
            created_at: i.created_at.as_secs(),
            expires_at: i.expires_at,
            window_start: i.window.as_ref().map(|w| w.start),
            window_end: i.window.as_ref().map(|w| w.end),
            flex_minutes: i.flex_minutes,
            withdrawn: i.is_withdrawn(),
            mine: me == Some(i.author),
            badge,
            actions: self.intent_actions(i, unix_now()),
            link: self.intent_link(i),
        }
    }

    pub(crate) fn emit_intent(&self, i: &Intent) {
        if self.is_blocked(&i.author) {
            return; // a blocked key's intents are hidden: no notification either
        }
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
mod window_tests {
    use super::*;

    #[test]
    fn a_window_is_judged_as_a_person_picks_it() {
        let now = 1_800_000_000;
        let w = |start, end| Some(TimeWindow { start, end });
        let rules = |window: Option<TimeWindow>, flex| -> Vec<(String, Rule)> {
            window_violations(window.as_ref(), flex, now)
                .into_iter()
                .map(|v| (v.field, v.rule))
                .collect()
        };
        // Later today, one instant, running now, none at all: fine.
        for ok in [
            w(now + 60, now + 3_660),
            w(now + 60, now + 60),
            w(now - 600, now + 600),
        ] {
            assert!(rules(ok, Some(30)).is_empty(), "{ok:?}");
        }
        assert!(rules(None, None).is_empty());
        assert_eq!(
            rules(w(now + 3_600, now + 60), None),
            vec![("window_end".to_string(), Rule::EndBeforeStart)]
        );
        assert_eq!(
            rules(w(now - 7_200, now - 3_600), None),
            vec![("window_end".to_string(), Rule::InThePast)]
        );
        // Backwards and in the past: the order is what the person fixes first.
        assert_eq!(
            rules(w(now - 60, now - 3_600), None),
            vec![("window_end".to_string(), Rule::EndBeforeStart)]
        );
        assert!(rules(None, Some(MAX_FLEX_MINUTES)).is_empty());
        assert_eq!(
            rules(None, Some(MAX_FLEX_MINUTES + 1)),
            vec![(
                "flex_minutes".to_string(),
                Rule::AboveMaximum {
                    max: f64::from(MAX_FLEX_MINUTES)
                }
            )]
        );
    }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::app::{AppConfig, InputKind};
    use crate::identity::MemorySecretStore;

    fn app(dir: &std::path::Path) -> App {
        App::open(
            AppConfig::new(dir, vec![]),
            Arc::new(MemorySecretStore::default()),
        )
        .unwrap()
    }

    fn tags(l: &[&str]) -> Vec<String> {
        l.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn markets_read_in_the_locale_set_and_payloads_do_not_change() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path());
        let english = app.markets();
        let goods = |ms: &[MarketView]| ms.iter().find(|m| m.schema == "goods/1").unwrap().clone();
        assert_eq!(goods(&english).title, "Second-hand goods");

        app.set_locales(&tags(&["ar-EG", "en-US"]));
        let ar = app.markets();
        assert_eq!(ar.len(), english.len());
        let g = goods(&ar);
        assert_eq!(g.title, "أغراض مستعملة");
        assert_eq!(g.topic, "sg-goods");
        let cond = g.form.iter().find(|f| f.path == "/condition").unwrap();
        assert_eq!(cond.label, "الحالة");
        assert_eq!(cond.input, InputKind::Select);
        let values: Vec<&str> = cond.options.iter().map(|o| o.value.as_str()).collect();
        assert_eq!(values, ["new", "like_new", "good", "fair", "for_parts"]);
        assert_eq!(cond.options[1].label, "شبه جديد");
        // The market accessor views use is the localized one.
        assert_eq!(app.market("sg-goods").unwrap().title(), "أغراض مستعملة");
        assert_eq!(app.market("goods").unwrap().form()[0].label, "الغرض");

        // The form builds the same payload in any language.
        let entries = vec![
            FormEntry::text("/item", "دراجة"),
            FormEntry::text("/condition", "like_new"),
            FormEntry::text("/price", "120"),
            FormEntry::text("/currency", "EGP"),
            FormEntry::place("/location", "المعادي", "stq4"),
        ];
        let in_arabic = app.build_payload("sg-goods", &entries).unwrap();
        app.set_locales(&[]);
        assert_eq!(app.markets(), english);
        assert_eq!(app.build_payload("sg-goods", &entries).unwrap(), in_arabic);
        assert!(in_arabic.contains("\"like_new\""), "{in_arabic}");

        // Unknown and malformed tags: English; then a language change takes effect at once.
        app.set_locales(&tags(&["", "xx-YY", "--"]));
        assert_eq!(app.markets(), english);
        // The free function gives the same views without an App.
        assert_eq!(
            market_views(crate::protocol::market::builtin_localized(&tags(&["ar"]))),
            ar
        );
        app.set_locales(&tags(&["zh-TW"]));
        assert_eq!(goods(&app.markets()).title, "二手物品");
        assert_eq!(app.market("sg-rideshare").unwrap().title(), "共乘");
    }

    #[test]
    fn an_intents_terms_read_in_the_locale_set_with_the_same_values() {
        let dir = tempfile::tempdir().unwrap();
        let app = app(dir.path());
        let market = crate::protocol::market::builtin()
            .by_topic("sg-goods")
            .unwrap();
        let payload = serde_json::json!({
            "item": "Road bike", "condition": "like_new", "price": 1200, "currency": "SGD",
            "location": { "name": "Bishan", "geohash": "w21z7" },
        });
        let draft = IntentDraft::for_market(
            Side::Offer,
            market,
            "Road bike",
            payload,
            Timestamp::from(1_700_000_000),
        );
        let event = build_intent(&draft, "00112233445566ff", Timestamp::from(1_700_000_000))
            .unwrap()
            .sign_with_keys(&nostr::Keys::generate())
            .unwrap();
        let intent = parse_intent(&event, Timestamp::from(1_700_000_000)).unwrap();
        let line = |v: &IntentView, path: &str| {
            let t = v.terms.iter().find(|t| t.path == path).unwrap();
            (t.label.clone(), t.value.clone())
        };

        let en = app.intent_view(&intent, None);
        app.set_locales(&tags(&["ar"]));
        let ar = app.intent_view(&intent, None);
        assert_eq!(line(&en, "/condition").0, "Condition");
        let (label, value) = line(&ar, "/condition");
        assert_eq!(label, "الحالة");
        assert_eq!(
            value,
            crate::protocol::terms::TermValue::Choice {
                value: "like_new".into(),
                label: "شبه جديد".into()
            }
        );
        // A counter-offer picks from the same values, labelled in the user's language.
        let cond = ar.terms.iter().find(|t| t.path == "/condition").unwrap();
        assert_eq!(cond.options[1].value, "like_new");
        assert_eq!(cond.options[1].label, "شبه جديد");
        // The price is money in either language: only its label changes.
        assert_eq!(line(&ar, "/price").0, "السعر");
        assert_eq!(line(&ar, "/price").1, line(&en, "/price").1);
        assert_eq!(ar.payload_json, en.payload_json);
    }
}
