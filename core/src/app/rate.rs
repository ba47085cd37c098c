//! Rating a deal partner: two structured yes/no signals (safe? reliable?), an optional score
//! for reference clients, and — if the user confirms they reached the partner at their number —
//! a contact attestation. No free text, ever.

use nostr::Timestamp;

use super::{App, AppError, DealAction, Refusal, Rule, unix_now};
use crate::contact::{Salt, attestation_for, extract_e164};
use crate::protocol::NegoId;
use crate::protocol::kinds;
use crate::protocol::rating::{Rating, RatingDraft, Score, build_rating_with_hint};
use crate::reputation::RatingInput;
use crate::store::EventQuery;

/// What the rate screen collects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateInput {
    /// Did you feel safe?
    pub safe: bool,
    /// Did they show up and do what was agreed?
    pub reliable: bool,
    /// Optional −1..=2 score for reference clients; derived from the answers when absent.
    pub score: Option<i8>,
    /// "I reached them at their number": attest the number we actually reached.
    pub reached_number: bool,
}

impl App {
    /// Publishes our rating of the counterparty of a confirmed (or met) deal.
    pub async fn rate(&self, nego: &str, input: RateInput) -> Result<(), AppError> {
        let keys = self.keys()?;
        let nego_id = super::deals::parse_nego(nego)?;
        let (n, _) = self.load_thread(&nego_id)?;
        n.check(DealAction::Rate, unix_now())?;
        // One rating per deal: `DealView.actions` stops offering `rate` once it is published.
        if self.has_rated(&nego_id)? {
            return Err(AppError::refused("rate", Refusal::AlreadyRated));
        }
        let score_rule = || Rule::AboveMaximum {
            max: f64::from(Score::GREAT.value()),
        };
        let score = match input.score {
            Some(s) if s < Score::BAD.value() => {
                return Err(AppError::invalid(
                    "score",
                    Rule::BelowMinimum {
                        min: f64::from(Score::BAD.value()),
                    },
                ));
            }
            Some(s) => {
                Score::new(i64::from(s)).ok_or_else(|| AppError::invalid("score", score_rule()))?
            }
            None => Score::new(match (input.safe, input.reliable) {
                (true, true) => 1,
                (_, false) => -1,
                (false, true) => 0,
            })
            .ok_or_else(|| AppError::invalid("score", score_rule()))?,
        };
        let (contact_masked, contact_commit) = if input.reached_number {
            let card = n.their_contact().ok_or_else(|| {
                AppError::refused("attest their number", Refusal::NoContactToAttest)
            })?;
            let number = extract_e164(&card.contact, self.inner.cfg.default_region.as_deref())?;
            let salt = card.salt.map(|s| Salt::from_bytes(s.0));
            let att = attestation_for(&number, salt.as_ref());
            (att.contact_masked, att.contact_commit)
        } else {
            (None, None)
        };
        let draft = RatingDraft {
            nego: nego_id,
            ratee: n.counterparty(),
            score,
            safe: input.safe,
            reliable: input.reliable,
            contact_masked,
            contact_commit,
        };
        // Where the ratee is found, and (by routing) where they read: their lists first.
        let hint = self.p_hint(&draft.ratee).await?;
        let builder = build_rating_with_hint(&draft, Timestamp::from(unix_now()), hint.as_ref())?;
        let ev =
            super::intents::sign_with_pow(builder, &keys, self.inner.cfg.rating_pow_bits).await?;
        self.publish(vec![ev]).await
    }

    /// `true` if we already published a rating for this deal.
    pub(crate) fn has_rated(&self, nego: &NegoId) -> Result<bool, AppError> {
        let me = self.public_key()?;
        Ok(!self
            .inner
            .store
            .query_events(
                &EventQuery::new()
                    .kinds([kinds::RATING])
                    .author(me)
                    .d(nego.to_string())
                    .limit(1),
            )?
            .is_empty())
    }

    /// Maps a parsed rating onto the reputation engine's input, checking its contact
    /// attestation against the ratee's published phone (and previous ones).
    pub(crate) fn rating_input(&self, r: &Rating) -> RatingInput {
        let (safe, reliable) = r.signals();
        let attestation_ok = self.attestation_ok(r);
        RatingInput {
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
        }
    }
}
