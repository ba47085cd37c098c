//! When other people's relay lists were looked up and their write relays last read (the lists
//! themselves are stored as events, kinds 10002 and 10050).

use std::collections::HashMap;

use nostr::PublicKey;
use rusqlite::params;

use super::{Store, StoreError, StoreTx, to_i64, to_u64};

/// Most keys one call reads or marks (callers chunk bigger sets).
pub const MAX_PEER_BATCH: usize = 1_000;

/// What the store knows about one person's relay lists.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeerRelayMarks {
    /// When their lists were last looked up on the relays.
    pub checked_at: Option<u64>,
    /// Up to when their events were read from their write relays.
    pub synced_until: Option<u64>,
}

fn check_batch(n: usize) -> Result<(), StoreError> {
    if n > MAX_PEER_BATCH {
        return Err(StoreError::InvalidInput {
            field: "peers",
            rule: format!("{n} keys in one call; at most {MAX_PEER_BATCH}"),
        });
    }
    Ok(())
}

impl StoreTx<'_> {
    /// The marks of each of `peers` that has any.
    pub fn peer_relay_marks(
        &self,
        peers: &[PublicKey],
    ) -> Result<HashMap<PublicKey, PeerRelayMarks>, StoreError> {
        check_batch(peers.len())?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT checked_at, synced_until FROM peer_relays WHERE pubkey = ?1")?;
        let mut out = HashMap::new();
        for pk in peers {
            let row: Option<(Option<i64>, Option<i64>)> = stmt
                .query_row([pk.as_bytes().as_slice()], |r| Ok((r.get(0)?, r.get(1)?)))
                .map(Some)
                .or_else(|e| match e {
                    rusqlite::Error::QueryReturnedNoRows => Ok(None),
                    e => Err(e),
                })?;
            if let Some((c, s)) = row {
                out.insert(
                    *pk,
                    PeerRelayMarks {
                        checked_at: c.map(|v| to_u64("peer_relays.checked_at", v)).transpose()?,
                        synced_until: s
                            .map(|v| to_u64("peer_relays.synced_until", v))
                            .transpose()?,
                    },
                );
            }
        }
        Ok(out)
    }

    /// Records that `peers`' lists were looked up at `at`.
    pub fn peer_relays_checked(&self, peers: &[PublicKey], at: u64) -> Result<(), StoreError> {
        check_batch(peers.len())?;
        let at = to_i64("checked_at", at)?;
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO peer_relays (pubkey, checked_at) VALUES (?1, ?2)
             ON CONFLICT(pubkey) DO UPDATE SET checked_at = excluded.checked_at",
        )?;
        for pk in peers {
            stmt.execute(params![pk.as_bytes().as_slice(), at])?;
        }
        Ok(())
    }

    /// Records that `peers`' events were read from their write relays up to `until` (never
    /// moves back).
    pub fn peer_relays_synced(&self, peers: &[PublicKey], until: u64) -> Result<(), StoreError> {
        check_batch(peers.len())?;
        let until = to_i64("synced_until", until)?;
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO peer_relays (pubkey, synced_until) VALUES (?1, ?2)
             ON CONFLICT(pubkey) DO UPDATE SET
               synced_until = MAX(COALESCE(synced_until, 0), excluded.synced_until)",
        )?;
        for pk in peers {
            stmt.execute(params![pk.as_bytes().as_slice(), until])?;
        }
        Ok(())
    }
}

impl Store {
    /// See [`StoreTx::peer_relay_marks`].
    pub fn peer_relay_marks(
        &self,
        peers: &[PublicKey],
    ) -> Result<HashMap<PublicKey, PeerRelayMarks>, StoreError> {
        self.read(|tx| tx.peer_relay_marks(peers))
    }

    /// See [`StoreTx::peer_relays_checked`].
    pub fn peer_relays_checked(&self, peers: &[PublicKey], at: u64) -> Result<(), StoreError> {
        self.transaction(|tx| tx.peer_relays_checked(peers, at))
    }

    /// See [`StoreTx::peer_relays_synced`].
    pub fn peer_relays_synced(&self, peers: &[PublicKey], until: u64) -> Result<(), StoreError> {
        self.transaction(|tx| tx.peer_relays_synced(peers, until))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DataKey;
    use nostr::Keys;

    #[test]
    fn marks_are_kept_per_person_and_synced_never_moves_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open_with_key(dir.path().join("p.db"), DataKey::generate()).unwrap();
        let (a, b) = (Keys::generate().public_key(), Keys::generate().public_key());
        assert!(s.peer_relay_marks(&[a, b]).unwrap().is_empty());
        s.peer_relays_checked(&[a], 100).unwrap();
        s.peer_relays_synced(&[a, b], 50).unwrap();
        s.peer_relays_synced(&[a], 40).unwrap();
        s.peer_relays_checked(&[a], 200).unwrap();
        let m = s.peer_relay_marks(&[a, b]).unwrap();
        assert_eq!(
            m[&a],
            PeerRelayMarks {
                checked_at: Some(200),
                synced_until: Some(50)
            }
        );
        assert_eq!(
            m[&b],
            PeerRelayMarks {
                checked_at: None,
                synced_until: Some(50)
            }
        );
        let too_many: Vec<PublicKey> = (0..=MAX_PEER_BATCH).map(|_| a).collect();
        assert!(matches!(
            s.peer_relays_checked(&too_many, 1),
            Err(StoreError::InvalidInput { .. })
        ));
    }
}
