//! Screening a contact before a meetup: the subject's record seen from the viewer's own
//! position in the proven-deal graph. Also the offline evaluation over a file of signed events.

use std::collections::HashMap;

use nostr::{Event, Filter, Kind, PublicKey};

use super::profile::{attestation_verdict, published_phones};
use super::{App, AppError, PhoneStatus, RaterView, ScreeningView, SignalView, lock, unix_now};
use crate::identity::to_npub;
use crate::protocol::kinds;
use crate::protocol::profile::{Profile, parse_profile};
use crate::protocol::{follows::parse_follows, rating::parse_rating, receipt::parse_receipt};
use crate::reputation::{Badge, Dimension, Params, Reputation, Screening, TrustMap, badge};

fn signal(d: &Dimension) -> SignalView {
    SignalView {
        value: d.value,
        flagged: d.flagged,
        weight: d.weight,
        raters: d.raters,
    }
}

/// What an offline evaluation read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct EvaluationStats {
    pub events: usize,
    pub rejected_signature: usize,
    pub rejected_parse: usize,
}

/// Screens `subject` from `viewer`'s position using only `events` (e.g. a JSONL file): every
/// event's id and signature are checked first; forged or malformed events are counted and
/// ignored. Pure apart from the clock passed in.
pub fn screen_events(
    events: &[Event],
    viewer: &PublicKey,
    subject: &PublicKey,
    now: u64,
    params: Params,
    explain: bool,
) -> Result<(Screening, EvaluationStats), AppError> {
    let mut rep = Reputation::new(params)?;
    let mut stats = EvaluationStats {
        events: events.len(),
        ..Default::default()
    };
    let mut ratings = Vec::new();
    // Every profile version per author, to check attestations as the live view does.
    let mut profiles: HashMap<PublicKey, Vec<(u64, Profile)>> = HashMap::new();
    for e in events {
        if e.verify().is_err() {
            stats.rejected_signature += 1;
            continue;
        }
        rep.observe(e.pubkey, e.created_at.as_secs());
        let ok = match e.kind.as_u16() {
            kinds::RECEIPT => parse_receipt(e)
                .map(|r| {
                    let _ = rep.insert_receipt(&r);
                })
                .is_ok(),
            kinds::RATING => parse_rating(e).map(|r| ratings.push(r)).is_ok(),
            kinds::PROFILE => parse_profile(e)
                .map(|p| {
                    profiles
                        .entry(e.pubkey)
                        .or_default()
                        .push((e.created_at.as_secs(), p));
                })
                .is_ok(),
            kinds::FOLLOWS => parse_follows(e)
                .map(|f| rep.set_follows(e.pubkey, f, e.created_at.as_secs()))
                .is_ok(),
            _ => true,
        };
        if !ok {
            stats.rejected_parse += 1;
        }
    }
    // Newest first; the same version seen twice (from two relays) counts once.
    let mut by_author: HashMap<PublicKey, (Option<Profile>, Vec<Profile>)> = HashMap::new();
    for (pk, mut versions) in profiles {
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        versions.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        let mut it = versions.into_iter().map(|(_, p)| p);
        let current = it.next();
        by_author.insert(pk, (current, it.collect()));
    }
    for r in ratings {
        let (safe, reliable) = r.signals();
        let (current, history) = by_author
            .get(&r.ratee)
            .map(|(c, h)| (c.as_ref(), h.as_slice()))
            .unwrap_or((None, &[]));
        let (cur, prev) = published_phones(current, history);
        let attestation_ok = attestation_verdict(&r, &cur, &prev).verifies_current_number();
        let _ = rep.insert_rating(crate::reputation::RatingInput {
            rater: r.rater,
            ratee: r.ratee,
            nego: r.nego.clone(),
            score: Some(r.score.value()),
            safe,
            reliable,
            created_at: r.created_at.as_secs(),
            pow_bits: r.pow_difficulty,
            contact_verified: r.contact_verified,
            contact_masked: r.contact_masked.clone(),
            attestation_ok,
        });
    }
    let trust = rep.trust_map(viewer)?;
    Ok((rep.screen(&trust, subject, now, explain)?, stats))
}

impl App {
    /// Our trust map; `None` without an identity.
    pub(crate) fn viewer_trust(&self) -> Result<Option<TrustMap>, AppError> {
        let Ok(me) = self.public_key() else {
            return Ok(None);
        };
        Ok(Some(lock(&self.inner.rep).trust_map(&me)?))
    }

    pub(crate) fn badge_for(
        &self,
        trust: &TrustMap,
        subject: &PublicKey,
    ) -> Result<Badge, AppError> {
        let s = lock(&self.inner.rep).screen(trust, subject, unix_now(), false)?;
        Ok(badge(&s))
    }

    /// Screens a contact (npub or hex) from our position, with what we have stored.
    pub fn screen(&self, subject: &str, explain: bool) -> Result<ScreeningView, AppError> {
        let pk = crate::identity::parse_public_key(subject)?;
        let trust = self.viewer_trust()?.ok_or(AppError::NoIdentity)?;
        self.screening_view_with(Some(&trust), &pk, explain)
    }

    /// Fetches the subject's receipts, ratings and profile (and their partners' receipts) from
    /// our relays and from the subject's own (write relays for what they published, read
    /// relays for what others published about them), then screens.
    pub async fn screen_remote(
        &self,
        subject: &str,
        explain: bool,
    ) -> Result<ScreeningView, AppError> {
        let pk = crate::identity::parse_public_key(subject)?;
        if let Ok(client) = self.client() {
            let t = self.inner.cfg.query_timeout;
            let kinds_ = [kinds::PROFILE, kinds::RATING, kinds::RECEIPT]
                .map(Kind::Custom)
                .to_vec();
            // Their own events where they write, what others say about them where they read
            // (NIP-65), and both on our relays.
            self.ensure_peer_relays(&[pk]).await?;
            let theirs = client.peer_relays(&pk).unwrap_or_default();
            let per = client.config().max_relays_per_peer;
            let write: Vec<_> = theirs.write.iter().take(per).cloned().collect();
            let read: Vec<_> = theirs.read.iter().take(per).cloned().collect();
            let by = Filter::new().kinds(kinds_.clone()).author(pk).limit(2000);
            let about = Filter::new().kinds(kinds_).pubkey(pk).limit(2000);
            let mut got: Vec<Event> = Vec::new();
            for (f, extra) in [(by, write), (about, read)] {
                got.extend(
                    client
                        .query_on(f, &extra, t)
                        .await?
                        .into_iter()
                        .map(|v| v.into_event()),
                );
            }
            self.ingest_public(got).await?;
        }
        self.screen(&pk.to_hex(), explain)
    }

    pub(crate) fn screening_view_with(
        &self,
        trust: Option<&TrustMap>,
        subject: &PublicKey,
        explain: bool,
    ) -> Result<ScreeningView, AppError> {
        let now = unix_now();
        let s = match trust {
            Some(t) => lock(&self.inner.rep).screen(t, subject, now, explain)?,
            None => {
                let rep = lock(&self.inner.rep);
                let t = rep.trust_map(subject)?;
                rep.screen(&t, subject, now, explain)?
            }
        };
        let profile = self.profile_of(subject);
        let path_names = s
            .path
            .iter()
            .map(|hex| {
                PublicKey::from_hex(hex)
                    .ok()
                    .and_then(|pk| self.profile_of(&pk))
                    .and_then(|p| p.name)
                    .unwrap_or_else(|| short(hex))
            })
            .collect();
        let name = profile.as_ref().and_then(|p| p.name.clone());
        let mut v = screening_view(subject, &s, name, path_names, profile.and_then(|p| p.phone));
        v.blocked = self.is_blocked(subject);
        Ok(v)
    }
}

/// The view of a screening result: the reputation record plus what a screen shows (names along
/// the path, the published phone and its verification, the badge line).
pub fn screening_view(
    subject: &PublicKey,
    s: &Screening,
    name: Option<String>,
    path_names: Vec<String>,
    phone: Option<String>,
) -> ScreeningView {
    let phone_status = match phone.as_ref() {
        None => PhoneStatus::NotPublished,
        Some(_) if s.verified_by > 0 => PhoneStatus::VerifiedBy {
            count: s.verified_by,
        },
        Some(_) => PhoneStatus::NotVerified,
    };
    ScreeningView {
        subject: subject.to_hex(),
        subject_npub: to_npub(subject),
        name,
        deals: s.deals,
        partners: s.partners,
        partners_in_network: s.partners_in_network,
        met_in_person: s.met_in_person,
        verified_by: s.verified_by,
        new_account: s.new_account,
        safety: signal(&s.safety),
        reliability: signal(&s.reliability),
        score: s.score,
        weight_total: s.weight_total,
        unreachable_weight: s.unreachable_weight,
        verdict: s.verdict,
        reasons: s.reasons.clone(),
        path: s.path.clone(),
        path_names,
        badge: badge(s),
        phone,
        phone_status,
        raters: s
            .raters
            .as_ref()
            .map(|rs| {
                rs.iter()
                    .map(|r| RaterView {
                        pubkey: r.pubkey.clone(),
                        weight: r.weight,
                        hop: r.hop.map(u32::from),
                        tier: r.tier,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        blocked: false,
    }
}

fn short(hex: &str) -> String {
    hex.chars().take(8).collect()
}

impl App {
    /// The viewer's trust neighbourhood (nodes within the network, nearest and most trusted
    /// first, at most `max_nodes`), plus `extra` subjects drawn even when outside it, with the
    /// proven-deal edges among them.
    pub fn trust_neighbourhood(
        &self,
        max_nodes: usize,
        extra: &[PublicKey],
    ) -> Result<super::NeighbourhoodView, AppError> {
        let me = self.public_key()?;
        let rep = lock(&self.inner.rep);
        let trust = rep.trust_map(&me)?;
        let graph = rep.graph();
        let mut picked: Vec<(crate::reputation::NodeId, u8, f64)> =
            trust.iter().map(|(id, e)| (id, e.dist, e.trust)).collect();
        picked.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.total_cmp(&a.2)));
        picked.truncate(max_nodes);
        let mut ids: Vec<crate::reputation::NodeId> = picked.iter().map(|p| p.0).collect();
        for pk in extra {
            if let Some(id) = rep.node_of(pk)?
                && !ids.contains(&id)
            {
                ids.push(id);
            }
        }
        let index: std::collections::HashMap<_, _> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut nodes = Vec::new();
        for id in &ids {
            let Some(pk) = rep.key_of(*id)? else {
                continue;
            };
            let e = trust.entry(*id);
            nodes.push(super::NeighbourNode {
                pubkey: pk.to_hex(),
                name: None,
                hop: e.map(|e| u32::from(e.dist)),
                trust: e.map(|e| e.trust).unwrap_or(0.0),
            });
        }
        let mut edges = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            for (nb, _) in graph.neighbors(*id) {
                if let Some(&j) = index.get(&nb)
                    && i < j
                {
                    edges.push(vec![i as u32, j as u32]);
                }
            }
        }
        drop(rep);
        for n in &mut nodes {
            if let Ok(pk) = PublicKey::from_hex(&n.pubkey) {
                n.name = self.profile_of(&pk).and_then(|p| p.name);
            }
        }
        Ok(super::NeighbourhoodView { nodes, edges })
    }
}
