//! The two state machines: [`SharedCheckin`] (the user's own check-in, which sends) and
//! [`Watch`] (a contact's copy, which receives). Pure; `now` is passed in.

use nostr::PublicKey;
use serde::{Deserialize, Serialize};

use super::message::{CheckinId, CheckinMessage, Meeting, Place, Share};
use super::{
    CheckinAction, CheckinError, CheckinPolicy, CheckinState, Closing, MAX_HELD, MAX_RECIPIENTS,
    MAX_UPDATES,
};

/// Where the user's own check-in is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Shared, not closed.
    Open,
    /// Closed by the user (safe or duress: deliberately not recorded which).
    Closed,
    /// Called off.
    Cancelled,
}

/// The user's own check-in for one deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SharedCheckin {
    /// What was shared (its `deadline` is the first one).
    pub share: Share,
    /// The deal it is about.
    pub nego: String,
    /// Who it is shared with.
    pub contacts: Vec<PublicKey>,
    /// The deadline now (after extensions).
    pub deadline: u64,
    /// Sequence number of the last message sent.
    pub seq: u32,
    pub phase: Phase,
    /// When it was closed or cancelled.
    pub closed_at: Option<u64>,
}

/// Checks a deadline the user sets at `now`.
fn check_deadline(deadline: u64, now: u64, policy: &CheckinPolicy) -> Result<(), CheckinError> {
    if deadline < now.saturating_add(policy.min_lead_secs) || deadline <= now {
        return Err(CheckinError::DeadlineTooSoon {
            deadline,
            now,
            min_lead_secs: policy.min_lead_secs,
        });
    }
    if deadline > now.saturating_add(policy.max_ahead_secs) {
        return Err(CheckinError::DeadlineTooFar {
            deadline,
            now,
            max_ahead_secs: policy.max_ahead_secs,
        });
    }
    Ok(())
}

impl SharedCheckin {
    /// A new check-in and its `checkin.share` message. `meet_at` is kept only when it lies
    /// between now and the deadline (else the meeting is taken to start now).
    #[allow(clippy::too_many_arguments)]
    pub fn share(
        id: CheckinId,
        nego: String,
        contacts: Vec<PublicKey>,
        meeting: Meeting,
        place: Place,
        meet_at: Option<u64>,
        deadline: u64,
        now: u64,
        policy: &CheckinPolicy,
    ) -> Result<(Self, CheckinMessage), CheckinError> {
        let mut unique: Vec<PublicKey> = Vec::with_capacity(contacts.len());
        for c in contacts {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        if unique.is_empty() || unique.len() > MAX_RECIPIENTS {
            return Err(CheckinError::Recipients {
                found: unique.len(),
                max: MAX_RECIPIENTS,
            });
        }
        check_deadline(deadline, now, policy)?;
        let share = Share {
            id,
            ts: now,
            deadline,
            meet_at: meet_at.filter(|t| *t > now && *t < deadline),
            meeting,
            place,
        };
        // The wire rules (text limits, masked phone, geohash) are the builder's and parser's.
        super::message::build_message(&CheckinMessage::Share(Box::new(share.clone())))?;
        let c = Self {
            nego,
            contacts: unique,
            deadline,
            seq: 0,
            phase: Phase::Open,
            closed_at: None,
            share,
        };
        let msg = CheckinMessage::Share(Box::new(c.share.clone()));
        Ok((c, msg))
    }

    /// The id.
    pub fn id(&self) -> &CheckinId {
        &self.share.id
    }

    /// Where it stands at `now`. Closing under duress shows as [`CheckinState::Safe`].
    pub fn state(&self, now: u64) -> CheckinState {
        match self.phase {
            Phase::Closed => CheckinState::Safe,
            Phase::Cancelled => CheckinState::Cancelled,
            Phase::Open if now >= self.deadline => CheckinState::Overdue,
            Phase::Open if self.share.meet_at.is_some_and(|t| now < t) => CheckinState::Planned,
            Phase::Open => CheckinState::Active,
        }
    }

    /// `true` until closed or cancelled (an overdue check-in is still open: "I'm safe" after
    /// the deadline tells the contacts the alert was a false alarm).
    pub fn is_open(&self) -> bool {
        self.phase == Phase::Open
    }

    /// What the user may do now.
    pub fn actions(&self) -> Vec<CheckinAction> {
        if self.is_open() {
            vec![
                CheckinAction::Extend,
                CheckinAction::Safe,
                CheckinAction::Cancel,
            ]
        } else {
            Vec::new()
        }
    }

    /// When the user's phone reminds them: [`CheckinPolicy::remind_before_secs`] before the
    /// deadline, or halfway for a shorter check-in. `None` once closed.
    pub fn remind_at(&self, policy: &CheckinPolicy) -> Option<u64> {
        if !self.is_open() {
            return None;
        }
        let span = self.deadline.saturating_sub(self.share.ts);
        Some(
            self.deadline
                .saturating_sub(policy.remind_before_secs.min(span / 2)),
        )
    }

    fn check_open(&self, now: u64) -> Result<(), CheckinError> {
        if !self.is_open() {
            return Err(CheckinError::Closed {
                state: self.state(now),
            });
        }
        if self.seq >= MAX_UPDATES {
            return Err(CheckinError::TooManyUpdates { max: MAX_UPDATES });
        }
        Ok(())
    }

    /// Moves the deadline (earlier or later, but at least the policy's lead from now).
    pub fn extend(
        &mut self,
        deadline: u64,
        now: u64,
        policy: &CheckinPolicy,
    ) -> Result<CheckinMessage, CheckinError> {
        self.check_open(now)?;
        check_deadline(deadline, now, policy)?;
        self.seq += 1;
        self.deadline = deadline;
        Ok(CheckinMessage::Extend {
            id: self.id().clone(),
            seq: self.seq,
            ts: now,
            deadline,
        })
    }

    /// Closes it ("I'm safe", or duress). The check-in keeps no trace of which.
    pub fn close(&mut self, closing: Closing, now: u64) -> Result<CheckinMessage, CheckinError> {
        // A closing is always possible while open, even after many extensions.
        if !self.is_open() {
            return Err(CheckinError::Closed {
                state: self.state(now),
            });
        }
        self.seq = self.seq.saturating_add(1);
        self.phase = Phase::Closed;
        self.closed_at = Some(now);
        Ok(CheckinMessage::Close {
            id: self.id().clone(),
            seq: self.seq,
            ts: now,
            closing,
        })
    }

    /// Calls it off.
    pub fn cancel(&mut self, now: u64) -> Result<CheckinMessage, CheckinError> {
        if !self.is_open() {
            return Err(CheckinError::Closed {
                state: self.state(now),
            });
        }
        self.seq = self.seq.saturating_add(1);
        self.phase = Phase::Cancelled;
        self.closed_at = Some(now);
        Ok(CheckinMessage::Cancel {
            id: self.id().clone(),
            seq: self.seq,
            ts: now,
        })
    }
}

/// Where a contact's copy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WatchPhase {
    /// Only messages that came before the check-in itself (held).
    Waiting,
    /// The check-in arrived and is not closed.
    Open,
    /// Closed by the sender.
    Closed(Closing),
    /// Called off by the sender.
    Cancelled,
}

/// What a message or the clock did to a contact's copy (each is at most one notice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchEvent {
    /// The check-in arrived.
    Received,
    /// The deadline moved.
    Extended { deadline: u64 },
    /// The deadline (this one) passed with no closing: alert.
    Overdue { deadline: u64 },
    /// Closed: safe, or duress.
    Closed(Closing),
    /// Called off.
    Cancelled,
}

/// A contact's copy of someone's check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watch {
    /// Who shares it.
    pub sender: PublicKey,
    pub id: CheckinId,
    /// The check-in (`None` while only held messages came).
    pub share: Option<Share>,
    /// The deadline now (sender's clock; 0 while waiting).
    pub deadline: u64,
    /// Sequence number of the last message applied.
    pub seq: u32,
    pub phase: WatchPhase,
    /// Messages that came before the check-in, applied when it arrives.
    pub held: Vec<CheckinMessage>,
    /// When the first message arrived (our clock).
    pub received_at: u64,
    /// When something last changed (our clock).
    pub updated_at: u64,
    /// The largest `ts − our clock at receipt` seen (seconds; positive: their clock runs
    /// ahead; negative: behind, or the messages were delayed).
    pub clock_offset: Option<i64>,
    /// The deadline whose overdue alert was raised.
    pub alerted: Option<u64>,
    /// When it was closed or cancelled (our clock).
    pub closed_at: Option<u64>,
}

/// Offsets beyond a day are clamped (a wildly wrong clock is shown as "a day or more").
const MAX_SHOWN_OFFSET: i64 = 24 * 3600;

impl Watch {
    /// An empty copy, before any message.
    pub fn new(sender: PublicKey, id: CheckinId, now: u64) -> Self {
        Self {
            sender,
            id,
            share: None,
            deadline: 0,
            seq: 0,
            phase: WatchPhase::Waiting,
            held: Vec::new(),
            received_at: now,
            updated_at: now,
            clock_offset: None,
            alerted: None,
            closed_at: None,
        }
    }

    /// `true` once the check-in itself arrived (what lists show).
    pub fn is_known(&self) -> bool {
        self.share.is_some()
    }

    fn observe(&mut self, ts: u64, now: u64) {
        let raw = i128::from(ts) - i128::from(now);
        let o =
            i64::try_from(raw.clamp(i128::from(-MAX_SHOWN_OFFSET), i128::from(MAX_SHOWN_OFFSET)))
                .unwrap_or(0);
        self.clock_offset = Some(self.clock_offset.map_or(o, |old| old.max(o)));
    }

    /// How far ahead the sender's clock is taken to run for the alarm (0..=max skew).
    fn ahead(&self, policy: &CheckinPolicy) -> u64 {
        let max = i64::try_from(policy.max_skew_secs).unwrap_or(i64::MAX);
        u64::try_from(self.clock_offset.unwrap_or(0).clamp(0, max)).unwrap_or(0)
    }

    /// Their deadline in our clock (less the lead their clock was seen to have, within the
    /// policy's bound): what a countdown counts to. `None` unless open.
    pub fn due_at(&self, policy: &CheckinPolicy) -> Option<u64> {
        (self.phase == WatchPhase::Open).then(|| self.deadline.saturating_sub(self.ahead(policy)))
    }

    /// When this phone alerts if nothing closes the check-in (our clock): [`Watch::due_at`] plus
    /// the grace. `None` unless open.
    pub fn alarm_at(&self, policy: &CheckinPolicy) -> Option<u64> {
        self.due_at(policy)
            .map(|d| d.saturating_add(policy.grace_secs))
    }

    /// When the meeting starts in our clock, if later than the share.
    fn meet_at(&self, policy: &CheckinPolicy) -> Option<u64> {
        self.share
            .as_ref()
            .and_then(|s| s.meet_at)
            .map(|t| t.saturating_sub(self.ahead(policy)))
    }

    /// Where it stands at `now` (a copy still waiting for its check-in reads as planned; lists
    /// do not show it).
    pub fn state(&self, now: u64, policy: &CheckinPolicy) -> CheckinState {
        match self.phase {
            WatchPhase::Waiting => CheckinState::Planned,
            WatchPhase::Closed(Closing::Safe) => CheckinState::Safe,
            WatchPhase::Closed(Closing::Duress) => CheckinState::Duress,
            WatchPhase::Cancelled => CheckinState::Cancelled,
            WatchPhase::Open => {
                if self.alerted == Some(self.deadline)
                    || self.alarm_at(policy).is_some_and(|a| now >= a)
                {
                    CheckinState::Overdue
                } else if self.meet_at(policy).is_some_and(|t| now < t) {
                    CheckinState::Planned
                } else {
                    CheckinState::Active
                }
            }
        }
    }

    /// Applies one message from the sender. Duplicates, replays and messages older than what
    /// was applied change nothing (no event); a message before its check-in is held. The clock
    /// is the caller's next [`Watch::tick`]: run after applying everything that arrived
    /// together, it raises the alert of a check-in that came after its deadline — unless a
    /// closing that came with it closed it first.
    pub fn apply(
        &mut self,
        msg: &CheckinMessage,
        now: u64,
        policy: &CheckinPolicy,
    ) -> Result<Vec<WatchEvent>, CheckinError> {
        if msg.id() != &self.id {
            return Err(CheckinError::WrongCheckin {
                expected: self.id.to_string(),
                found: msg.id().to_string(),
            });
        }
        match (self.phase, msg) {
            (WatchPhase::Closed(_) | WatchPhase::Cancelled, _) => Ok(Vec::new()),
            (WatchPhase::Open, CheckinMessage::Share(_)) => Ok(Vec::new()),
            (WatchPhase::Waiting, CheckinMessage::Share(s)) => {
                if s.deadline.saturating_add(policy.stale_after_secs) < now {
                    return Err(CheckinError::Stale {
                        deadline: s.deadline,
                        now,
                    });
                }
                self.share = Some((**s).clone());
                self.deadline = s.deadline;
                self.seq = 0;
                self.phase = WatchPhase::Open;
                self.updated_at = now;
                self.observe(s.ts, now);
                let mut events = vec![WatchEvent::Received];
                let mut held = std::mem::take(&mut self.held);
                held.sort_by_key(CheckinMessage::seq);
                for h in &held {
                    events.extend(self.apply_open(h, now));
                }
                match self.phase {
                    // Closed before it arrived: the closing says it all.
                    WatchPhase::Closed(_) => {
                        events.retain(|e| matches!(e, WatchEvent::Closed(_)));
                    }
                    WatchPhase::Cancelled => events.clear(),
                    _ => {
                        // The extensions are part of what was received.
                        events.retain(|e| !matches!(e, WatchEvent::Extended { .. }));
                    }
                }
                Ok(events)
            }
            (WatchPhase::Waiting, other) => {
                if self.held.iter().any(|h| h.seq() == other.seq()) {
                    return Ok(Vec::new());
                }
                if self.held.len() >= MAX_HELD {
                    return Err(CheckinError::TooManyHeld { max: MAX_HELD });
                }
                self.held.push(other.clone());
                self.updated_at = now;
                Ok(Vec::new())
            }
            (WatchPhase::Open, other) => Ok(self.apply_open(other, now)),
        }
    }

    /// A later message to an open copy.
    fn apply_open(&mut self, msg: &CheckinMessage, now: u64) -> Vec<WatchEvent> {
        if self.phase != WatchPhase::Open || msg.seq() <= self.seq {
            return Vec::new();
        }
        self.observe(msg.ts(), now);
        self.updated_at = now;
        self.seq = msg.seq();
        match msg {
            CheckinMessage::Share(_) => Vec::new(),
            CheckinMessage::Extend { deadline, .. } => {
                self.deadline = *deadline;
                vec![WatchEvent::Extended {
                    deadline: *deadline,
                }]
            }
            CheckinMessage::Close { closing, .. } => {
                self.phase = WatchPhase::Closed(*closing);
                self.closed_at = Some(now);
                vec![WatchEvent::Closed(*closing)]
            }
            CheckinMessage::Cancel { .. } => {
                self.phase = WatchPhase::Cancelled;
                self.closed_at = Some(now);
                vec![WatchEvent::Cancelled]
            }
        }
    }

    /// The clock: the alert once the alarm time of the current deadline passed (once per
    /// deadline: an extension re-arms it).
    pub fn tick(&mut self, now: u64, policy: &CheckinPolicy) -> Vec<WatchEvent> {
        match self.alarm_at(policy) {
            Some(at) if now >= at && self.alerted != Some(self.deadline) => {
                self.alerted = Some(self.deadline);
                self.updated_at = now;
                vec![WatchEvent::Overdue {
                    deadline: self.deadline,
                }]
            }
            _ => Vec::new(),
        }
    }
}
