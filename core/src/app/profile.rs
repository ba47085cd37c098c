//! The user's profile and private contact. The full phone number and the commitment salt are
//! private: they live in the secret store, never in SQLite or on a relay; the profile publishes
//! the reference mask (full number only with explicit consent) and the salted commitment.

use nostr::{PublicKey, Timestamp};

use super::{App, AppError, ProfileView, unix_now};
use crate::contact::{
    Attestation, AttestationVerdict, E164, FullNumberConsent, PUBLISH_FULL_WARNING,
    PhoneVisibility, ProfilePhone, Salt, build_contact_string, evaluate_attestation, parse_phone,
    profile_phone_fields,
};
use crate::identity::to_npub;
use crate::protocol::envelope::ContactSalt;
use crate::protocol::kinds;
use crate::protocol::profile::{Profile, build_profile, parse_profile};
use crate::protocol::rating::Rating;
use crate::store::EventQuery;

/// Secret-store entry holding the private contact (full number, commitment salt).
pub const CONTACT_ENTRY: &str = "freeport.contact.v1";

/// The warning a UI must show (verbatim) before publishing the full number.
pub const FULL_NUMBER_WARNING: &str = PUBLISH_FULL_WARNING;

/// What the profile screen edits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub about: Option<String>,
    /// Any format; normalised to E.164 (national formats use the configured region).
    pub phone: Option<String>,
    /// Publish the full number: requires `full_number_warning_shown` to be the exact warning.
    pub publish_full_number: bool,
    pub full_number_warning_shown: Option<String>,
    pub vehicle_model: Option<String>,
    pub plate: Option<String>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct PrivateContact {
    e164: String,
    salt: String,
}

impl App {
    fn private_contact(&self) -> Result<Option<(E164, Salt)>, AppError> {
        let Some(bytes) = self.inner.secrets.get(CONTACT_ENTRY.to_string())? else {
            return Ok(None);
        };
        let pc: PrivateContact =
            serde_json::from_slice(&bytes).map_err(|e| AppError::Internal {
                reason: format!("private contact unreadable: {e}"),
            })?;
        let e164 = parse_phone(&pc.e164, None)?;
        let salt = Salt::from_hex(&pc.salt).map_err(|e| AppError::Internal {
            reason: e.to_string(),
        })?;
        Ok(Some((e164, salt)))
    }

    /// Publishes our profile. Unknown fields of an existing profile (written by another Nostr
    /// client) are kept. Changing the number does not touch reputation (it binds to the key).
    pub async fn set_profile(&self, update: ProfileUpdate) -> Result<ProfileView, AppError> {
        let keys = self.keys()?;
        let me = keys.public_key();
        let existing = self.latest_profile_event(&me)?;
        let mut profile = existing
            .as_ref()
            .and_then(|e| parse_profile(e).ok())
            .unwrap_or_default();
        if update.name.is_some() {
            profile.name = update.name;
        }
        if update.about.is_some() {
            profile.about = update.about;
        }
        if update.vehicle_model.is_some() {
            profile.vehicle_model = update.vehicle_model;
        }
        if update.plate.is_some() {
            profile.plate = update.plate;
        }
        if let Some(raw) = update.phone {
            let number = parse_phone(&raw, self.inner.cfg.default_region.as_deref())?;
            let visibility = if update.publish_full_number {
                let shown = update.full_number_warning_shown.unwrap_or_default();
                PhoneVisibility::Full(FullNumberConsent::acknowledge(&shown).map_err(|_| {
                    AppError::invalid("publish_full_number", crate::rules::Rule::NotConfirmed)
                })?)
            } else {
                PhoneVisibility::Masked
            };
            // A new number gets a new salt; the same number keeps its salt (stable commitment).
            let salt = match self.private_contact()? {
                Some((old, salt)) if old == number => salt,
                _ => Salt::random(),
            };
            let fields = profile_phone_fields(&number, &visibility, Some(&salt));
            profile.phone = Some(fields.phone);
            profile.phone_commit = fields.phone_commit;
            let pc = PrivateContact {
                e164: number.as_str().to_string(),
                salt: salt.to_hex(),
            };
            self.inner.secrets.set(
                CONTACT_ENTRY.to_string(),
                serde_json::to_vec(&pc).map_err(|e| AppError::Internal {
                    reason: e.to_string(),
                })?,
            )?;
        }
        // Replaceable events keep the newest `created_at`: two saves within one second must
        // still order, so stamp after the previous version.
        let at = existing
            .as_ref()
            .map(|e| e.created_at.as_secs().saturating_add(1))
            .unwrap_or(0)
            .max(unix_now());
        let ev = build_profile(&profile, existing.as_ref(), Timestamp::from(at))?
            .sign_with_keys(&keys)
            .map_err(|e| AppError::Internal {
                reason: e.to_string(),
            })?;
        self.publish(vec![ev]).await?;
        self.profile(&me.to_hex())
    }

    fn latest_profile_event(&self, pk: &PublicKey) -> Result<Option<nostr::Event>, AppError> {
        Ok(self
            .inner
            .store
            .query_events(
                &EventQuery::new()
                    .kinds([kinds::PROFILE])
                    .author(*pk)
                    .limit(1),
            )?
            .into_iter()
            .next())
    }

    pub(crate) fn profile_of(&self, pk: &PublicKey) -> Option<Profile> {
        self.latest_profile_event(pk)
            .ok()
            .flatten()
            .and_then(|e| parse_profile(&e).ok())
    }

    /// A profile as stored (ours or anyone's we have seen).
    pub fn profile(&self, pubkey: &str) -> Result<ProfileView, AppError> {
        let pk = crate::identity::parse_public_key(pubkey)?;
        let p = self.profile_of(&pk).unwrap_or_default();
        let is_full = p
            .phone
            .as_deref()
            .map(|s| !s.contains('•') && s.starts_with('+'))
            .unwrap_or(false);
        Ok(ProfileView {
            pubkey: pk.to_hex(),
            npub: to_npub(&pk),
            name: p.name,
            about: p.about,
            phone_published: p.phone,
            phone_is_full: is_full,
            phone_commit: p.phone_commit,
            vehicle_model: p.vehicle_model,
            plate: p.plate,
        })
    }

    /// Fetches `pubkey`'s latest profile from the relays when online, then shows it as stored.
    pub async fn profile_remote(&self, pubkey: &str) -> Result<ProfileView, AppError> {
        let pk = crate::identity::parse_public_key(pubkey)?;
        if let Ok(client) = self.client() {
            let f = nostr::Filter::new()
                .kind(nostr::Kind::Custom(kinds::PROFILE))
                .author(pk)
                .limit(10);
            // Our relays and where they write.
            self.ensure_peer_relays(&[pk]).await?;
            let per = client.config().max_relays_per_peer;
            let write: Vec<_> = client
                .peer_relays(&pk)
                .map(|p| p.write.into_iter().take(per).collect())
                .unwrap_or_default();
            let got = client
                .query_on(f, &write, self.inner.cfg.query_timeout)
                .await?;
            self.ingest_public(got.into_iter().map(|v| v.into_event()).collect())
                .await?;
        }
        self.profile(&pk.to_hex())
    }

    /// Our contact card for accepts: `"<name> · <full phone>[ · 🚗 <vehicle> • <plate>]"` and the
    /// commitment salt. The full number leaves the device only inside this encrypted accept.
    pub(crate) fn my_contact_card(&self) -> Result<(String, Option<ContactSalt>), AppError> {
        let me = self.public_key()?;
        let p = self.profile_of(&me).unwrap_or_default();
        let name = p
            .name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| "Freeport user".to_string());
        match self.private_contact()? {
            Some((number, salt)) => {
                let vehicle = match (p.vehicle_model.as_deref(), p.plate.as_deref()) {
                    (Some(v), Some(pl)) => Some((v, pl)),
                    _ => None,
                };
                Ok((
                    build_contact_string(&name, &number, vehicle),
                    Some(ContactSalt(*salt.as_bytes())),
                ))
            }
            None => Ok((format!("{name} · {}", to_npub(&me)), None)),
        }
    }

    fn published_phones(&self, pk: &PublicKey) -> (ProfilePhone, Vec<ProfilePhone>) {
        let history: Vec<Profile> = self
            .inner
            .store
            .profile_history(pk)
            .unwrap_or_default()
            .iter()
            .filter_map(|e| parse_profile(e).ok())
            .collect();
        published_phones(self.profile_of(pk).as_ref(), &history)
    }

    /// The verdict on one rating's contact attestation.
    pub(crate) fn attestation_verdict(&self, r: &Rating) -> AttestationVerdict {
        let (cur, prev) = self.published_phones(&r.ratee);
        attestation_verdict(r, &cur, &prev)
    }

    pub(crate) fn attestation_ok(&self, r: &Rating) -> bool {
        self.attestation_verdict(r).verifies_current_number()
    }
}

/// The phone a ratee publishes now and the ones it published before (superseded profiles,
/// newest first, at most [`crate::store::PROFILE_HISTORY_LEN`] as the store keeps them): what an
/// attestation is checked against, live and offline alike.
pub(crate) fn published_phones(
    current: Option<&Profile>,
    history: &[Profile],
) -> (ProfilePhone, Vec<ProfilePhone>) {
    let phone = |p: &Profile| ProfilePhone {
        phone: p.phone.clone(),
        phone_commit: p.phone_commit.clone(),
    };
    let cur = current.map(phone).unwrap_or_default();
    let prev = history
        .iter()
        .take(crate::store::PROFILE_HISTORY_LEN)
        .map(phone)
        .filter(|p| *p != cur)
        .collect();
    (cur, prev)
}

/// The verdict on a rating's contact attestation against the ratee's published phones.
pub(crate) fn attestation_verdict(
    r: &Rating,
    current: &ProfilePhone,
    previous: &[ProfilePhone],
) -> AttestationVerdict {
    let att = Attestation {
        contact_verified: r.contact_verified,
        contact_masked: r.contact_masked.clone(),
        contact_commit: r.contact_commit.clone(),
    };
    evaluate_attestation(&att, current, previous)
}
