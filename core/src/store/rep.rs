//! The compact persisted form of the reputation inputs (schema v4, node ids since v9), so a cold
//! start reads a few integer rows per deal instead of re-parsing and re-verifying every stored
//! event.
//!
//! * `rep_keys` — interned public keys, their first-seen time and, once they have a paired deal,
//!   their node id.
//! * `rep_deals` — paired deals in pairing order: deal key, both parties, final tier.
//! * `rep_halves` — the one held half per unpaired deal (or the meet half waiting to upgrade a
//!   proven deal), as a full receipt.
//! * `rep_ratings` — the latest rating per (rater, deal), in first-arrival order.
//! * `rep_follows` — the latest follow list per owner.
//! * `rep_checkpoint` / `rep_ck_dirty` — the engine's graph checkpoint with the last deal it
//!   covers, and the covered deals upgraded after it.
//! * `rep_state` — `built` (back-fill done) and `inflight` (batches stored but not yet projected;
//!   non-zero after a crash in between, which makes the app rebuild once).
//!
//! Receipts pair through [`receipt_step`], the same decision the in-memory graph makes, so the
//! rows always describe the live engine. The app's engine runs in directory mode: it looks keys,
//! deals and first-seen times up in these rows ([`super::StoreDirectory`]) and holds only the
//! graph, built from the [`GraphChange`]s [`StoreTx::rep_apply`] returns or, at a cold start,
//! from [`GraphParts`] ([`StoreTx::rep_load_graph`]) by the pure
//! [`Reputation::from_graph_parts`](crate::reputation::Reputation::from_graph_parts).

use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;

use nostr::{Event, EventId, PublicKey, Timestamp};
use rusqlite::{OptionalExtension, params};

use super::events::{EVENT_COLUMNS, StoredEvent, rebuild_events};
use super::{Store, StoreError, StoreTx, to_i64, to_u64};
use crate::protocol::NegoId;
use crate::protocol::receipt::{DealTier, MeetNonce, Receipt};
use crate::reputation::{
    DealKey, GraphChange, GraphParts, HeldRating, NodeId, RatingInput, RatingRow, ReceiptStep,
    RepInput, check_receipt_parties, receipt_step,
};

const STATE_BUILT: &str = "built";
const STATE_INFLIGHT: &str = "inflight";

/// Whether the persisted form can be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RepStatus {
    /// The back-fill from `events` has run.
    pub built: bool,
    /// Batches whose events are stored but whose projection was not written (crash in between).
    pub inflight: u64,
}

impl RepStatus {
    /// `true` if the tables describe every stored event.
    pub fn ready(&self) -> bool {
        self.built && self.inflight == 0
    }
}

fn tier_code(t: DealTier) -> i64 {
    match t {
        DealTier::OneSided => 0,
        DealTier::Proven => 1,
        DealTier::Met => 2,
    }
}

pub(super) fn tier_of(code: i64) -> Result<DealTier, StoreError> {
    match code {
        1 => Ok(DealTier::Proven),
        2 => Ok(DealTier::Met),
        c => Err(corrupt(format!("rep_deals.tier {c} is not 1 or 2"))),
    }
}

pub(super) fn corrupt(what: impl Into<String>) -> StoreError {
    StoreError::Corrupt { what: what.into() }
}

fn arr<const N: usize>(field: &str, v: &[u8]) -> Result<[u8; N], StoreError> {
    <[u8; N]>::try_from(v).map_err(|_| corrupt(format!("{field} has {} bytes, not {N}", v.len())))
}

fn blob<'r>(row: &'r rusqlite::Row<'_>, i: usize, field: &str) -> Result<&'r [u8], StoreError> {
    row.get_ref(i)?
        .as_blob()
        .map_err(|_| corrupt(format!("{field} is not a blob")))
}

/// A stored `rep_keys.node` as a [`NodeId`].
pub(super) fn node_id(v: i64) -> Result<NodeId, StoreError> {
    NodeId::try_from(v)
        .ok()
        .filter(|n| *n < NodeId::MAX)
        .ok_or_else(|| corrupt(format!("rep_keys.node {v} is not a node id")))
}

fn opt_bool(v: Option<i64>) -> Option<bool> {
    v.map(|x| x != 0)
}

/// Key rows met during one [`StoreTx::rep_apply`] call, which is the only writer of node ids
/// meanwhile.
#[derive(Default)]
struct KeyCache {
    /// `rep_keys` id and node id by key.
    keys: HashMap<PublicKey, (i64, Option<i64>)>,
    /// The next free node id, once known.
    next_node: Option<i64>,
}

/// Node ids of the stored key ids (read in one scan for a full load).
struct NodeTable {
    ids: Vec<i64>,
    nodes: Vec<Option<i64>>,
}

impl NodeTable {
    fn node(&self, id: i64) -> Result<NodeId, StoreError> {
        // Ids are dense from 1 unless rows were deleted; fall back to a search.
        let guess = usize::try_from(id - 1).ok();
        let i = match guess {
            Some(g) if self.ids.get(g) == Some(&id) => g,
            _ => self
                .ids
                .binary_search(&id)
                .map_err(|_| corrupt(format!("rep key id {id} does not exist")))?,
        };
        match self.nodes.get(i) {
            Some(Some(n)) => node_id(*n),
            _ => Err(corrupt(format!(
                "rep key id {id} has a paired deal but no node id"
            ))),
        }
    }
}

impl StoreTx<'_> {
    fn rep_key_id(&self, cache: &mut KeyCache, pk: &PublicKey) -> Result<i64, StoreError> {
        Ok(self.rep_key_row(cache, pk)?.0)
    }

    /// The `rep_keys` row of `pk` (created if missing): its id and node id.
    fn rep_key_row(
        &self,
        cache: &mut KeyCache,
        pk: &PublicKey,
    ) -> Result<(i64, Option<i64>), StoreError> {
        if let Some(row) = cache.keys.get(pk) {
            return Ok(*row);
        }
        let b = pk.as_bytes().as_slice();
        let found: Option<(i64, Option<i64>)> = self
            .conn
            .prepare_cached("SELECT id, node FROM rep_keys WHERE pubkey = ?1")?
            .query_row([b], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        let row = match found {
            Some(row) => row,
            None => {
                self.conn
                    .prepare_cached("INSERT INTO rep_keys (pubkey) VALUES (?1)")?
                    .execute([b])?;
                (self.conn.last_insert_rowid(), None)
            }
        };
        cache.keys.insert(*pk, row);
        Ok(row)
    }

    /// Records that `pk` signed an event at `at` (the oldest time is kept). Nothing to replay
    /// after a checkpoint: the graph checkpoint holds no first-seen times, the engine looks
    /// them up in `rep_keys`.
    fn rep_seen(&self, cache: &mut KeyCache, pk: &PublicKey, at: u64) -> Result<(), StoreError> {
        let id = self.rep_key_id(cache, pk)?;
        self.conn
            .prepare_cached(
                "UPDATE rep_keys SET first_seen = ?2
                 WHERE id = ?1 AND (first_seen IS NULL OR first_seen > ?2)",
            )?
            .execute(params![id, to_i64("created_at", at)?])?;
        Ok(())
    }

    /// Projects reputation facts into the `rep_*` tables (same semantics as
    /// [`Reputation::apply`](crate::reputation::Reputation::apply); refused receipts and ratings
    /// are not stored).
    ///
    /// Returns the graph changes the receipts made, in order, with the node ids the store
    /// assigned: a [`GraphChange::Pair`] per paired deal (a key gets the next node id at its
    /// first paired deal, the completing half's author before its peer — the order the
    /// in-memory engine interns them in) and a [`GraphChange::Upgrade`] per proven deal that
    /// became met. A directory-mode engine applies exactly these.
    pub fn rep_apply(&self, items: &[RepInput]) -> Result<Vec<GraphChange>, StoreError> {
        let mut cache = KeyCache::default();
        let mut changes = Vec::new();
        for item in items {
            match item {
                RepInput::Seen { pubkey, at } => self.rep_seen(&mut cache, pubkey, *at)?,
                RepInput::Receipt(r) => self.rep_receipt(&mut cache, r, &mut changes)?,
                RepInput::Rating(r) => self.rep_rating(&mut cache, r)?,
                RepInput::Follows {
                    owner,
                    created_at,
                    list,
                } => {
                    let id = self.rep_key_id(&mut cache, owner)?;
                    let mut blob = Vec::with_capacity(list.len() * 32);
                    for k in list {
                        blob.extend_from_slice(k.as_bytes());
                    }
                    self.conn
                        .prepare_cached(
                            "INSERT INTO rep_follows (owner, created_at, list) VALUES (?1, ?2, ?3)
                             ON CONFLICT(owner) DO UPDATE SET created_at = excluded.created_at,
                               list = excluded.list
                             WHERE excluded.created_at > rep_follows.created_at",
                        )?
                        .execute(params![id, to_i64("created_at", *created_at)?, blob])?;
                    // The engine records the owner as seen only when the list is accepted.
                    if self.conn.changes() > 0 {
                        self.rep_seen(&mut cache, owner, *created_at)?;
                    }
                }
            }
        }
        Ok(changes)
    }

    /// The next free node id: one past the largest assigned (index-backed), 0 for none.
    fn rep_next_node(&self, cache: &KeyCache) -> Result<i64, StoreError> {
        if let Some(n) = cache.next_node {
            return Ok(n);
        }
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COALESCE(MAX(node), -1) + 1 FROM rep_keys WHERE node IS NOT NULL",
            )?
            .query_row([], |r| r.get(0))?)
    }

    /// Gives key row `id` (of `pk`) the next free node id.
    fn rep_assign_node(
        &self,
        cache: &mut KeyCache,
        pk: &PublicKey,
        id: i64,
    ) -> Result<i64, StoreError> {
        let n = self.rep_next_node(cache)?;
        self.conn
            .prepare_cached("UPDATE rep_keys SET node = ?2 WHERE id = ?1")?
            .execute(params![id, n])?;
        cache.next_node = Some(n.saturating_add(1));
        cache.keys.insert(*pk, (id, Some(n)));
        Ok(n)
    }

    /// The key rows and node ids of the parties of a new pair, `a` (completing half's author)
    /// and `b`: a party without a node id gets the next free one, `a` first — the order
    /// `DealGraph::pair` interns them in. `None` (nothing assigned) when the graph is full,
    /// where the engine refuses the pair too (unreachable in practice: 2^32 keys).
    #[allow(clippy::type_complexity)]
    fn rep_pair_nodes(
        &self,
        cache: &mut KeyCache,
        a: &PublicKey,
        b: &PublicKey,
    ) -> Result<Option<((i64, NodeId), (i64, NodeId))>, StoreError> {
        let (ia, oa) = self.rep_key_row(cache, a)?;
        let (ib, ob) = self.rep_key_row(cache, b)?;
        if oa.is_none() || ob.is_none() {
            let need = i64::from(oa.is_none()) + i64::from(ob.is_none());
            if self.rep_next_node(cache)?.saturating_add(need) >= i64::from(NodeId::MAX) {
                return Ok(None);
            }
        }
        let na = match oa {
            Some(x) => x,
            None => self.rep_assign_node(cache, a, ia)?,
        };
        // Read again: `b` is `a` for a deal with oneself.
        let nb = match self.rep_key_row(cache, b)?.1 {
            Some(y) => y,
            None => self.rep_assign_node(cache, b, ib)?,
        };
        Ok(Some(((ia, node_id(na)?), (ib, node_id(nb)?))))
    }

    /// The node ids of both parties of paired deal `deal` (`a` = completing half's author).
    fn rep_deal_nodes(&self, deal: &[u8]) -> Result<(NodeId, NodeId), StoreError> {
        let (a, b): (Option<i64>, Option<i64>) = self
            .conn
            .prepare_cached(
                "SELECT ka.node, kb.node FROM rep_deals d
                 LEFT JOIN rep_keys ka ON ka.id = d.a LEFT JOIN rep_keys kb ON kb.id = d.b
                 WHERE d.deal = ?1",
            )?
            .query_row([deal], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?
            .ok_or_else(|| corrupt("an upgraded deal is not in rep_deals"))?;
        match (a, b) {
            (Some(a), Some(b)) => Ok((node_id(a)?, node_id(b)?)),
            _ => Err(corrupt("a party of a paired deal has no node id")),
        }
    }

    /// The held half of deal `deal`, if any.
    fn rep_held_half(&self, deal: &[u8]) -> Result<Option<Receipt>, StoreError> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT author, peer, nego, id, intent_id, meet, countersigns, created_at
                 FROM rep_halves WHERE deal = ?1",
            )?
            .query_row([deal], half_columns)
            .optional()?;
        row.map(|h| h.into_receipt(|id| self.rep_key_of(id)))
            .transpose()
    }

    fn rep_receipt(
        &self,
        cache: &mut KeyCache,
        r: &Receipt,
        changes: &mut Vec<GraphChange>,
    ) -> Result<(), StoreError> {
        if check_receipt_parties(r).is_err() {
            return Ok(());
        }
        // The engine records the author as seen for every receipt that passes the party rules.
        self.rep_seen(cache, &r.author, r.created_at.as_secs())?;
        let key = DealKey::of(&r.nego).to_bytes();
        let deal = key.as_slice();
        let paired: Option<i64> = self
            .conn
            .prepare_cached("SELECT tier FROM rep_deals WHERE deal = ?1")?
            .query_row([deal], |row| row.get(0))
            .optional()?;
        let paired = paired.map(tier_of).transpose()?;
        let held = self.rep_held_half(deal)?;
        match receipt_step(paired, held.as_ref(), r) {
            ReceiptStep::Ignore => {}
            ReceiptStep::Hold(_) => {
                let a = self.rep_key_id(cache, &r.author)?;
                let p = self.rep_key_id(cache, &r.peer)?;
                self.conn
                    .prepare_cached(
                        "INSERT OR REPLACE INTO rep_halves
                         (deal, author, peer, nego, id, intent_id, meet, countersigns, created_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                    )?
                    .execute(params![
                        deal,
                        a,
                        p,
                        r.nego.to_string(),
                        r.id.as_bytes().as_slice(),
                        r.intent_id.as_bytes().as_slice(),
                        r.meet.as_ref().map(|m| m.0.to_vec()),
                        r.countersigns.as_ref().map(|e| e.as_bytes().to_vec()),
                        to_i64("created_at", r.created_at.as_secs())?,
                    ])?;
            }
            ReceiptStep::Pair(tier) => {
                // A full graph refuses the pair and keeps the held half, as the engine does.
                let Some(((a, na), (b, nb))) = self.rep_pair_nodes(cache, &r.author, &r.peer)?
                else {
                    return Ok(());
                };
                changes.push(GraphChange::Pair { a: na, b: nb, tier });
                self.conn
                    .prepare_cached("DELETE FROM rep_halves WHERE deal = ?1")?
                    .execute([deal])?;
                self.conn
                    .prepare_cached(
                        "INSERT INTO rep_deals (deal, a, b, tier) VALUES (?1, ?2, ?3, ?4)",
                    )?
                    .execute(params![deal, a, b, tier_code(tier)])?;
            }
            ReceiptStep::Upgrade => {
                let (a, b) = self.rep_deal_nodes(deal)?;
                changes.push(GraphChange::Upgrade { a, b });
                self.conn
                    .prepare_cached("DELETE FROM rep_halves WHERE deal = ?1")?
                    .execute([deal])?;
                self.conn
                    .prepare_cached("UPDATE rep_deals SET tier = ?2 WHERE deal = ?1")?
                    .execute(params![deal, tier_code(DealTier::Met)])?;
                self.conn
                    .prepare_cached(
                        "INSERT OR IGNORE INTO rep_ck_dirty (kind, id)
                         SELECT 1, d.seq FROM rep_deals d, rep_checkpoint c
                         WHERE d.deal = ?1 AND d.seq <= c.deal_seq",
                    )?
                    .execute([deal])?;
            }
        }
        Ok(())
    }

    fn rep_rating(&self, cache: &mut KeyCache, r: &RatingInput) -> Result<(), StoreError> {
        if r.validate().is_err() {
            return Ok(());
        }
        self.rep_seen(cache, &r.rater, r.created_at)?;
        let rater = self.rep_key_id(cache, &r.rater)?;
        let ratee = self.rep_key_id(cache, &r.ratee)?;
        let key = DealKey::of(&r.nego).to_bytes();
        let created = to_i64("created_at", r.created_at)?;
        let held: Option<i64> = self
            .conn
            .prepare_cached("SELECT created_at FROM rep_ratings WHERE rater = ?1 AND deal = ?2")?
            .query_row(params![rater, key.as_slice()], |row| row.get(0))
            .optional()?;
        if held.is_some_and(|t| created <= t) {
            return Ok(());
        }
        // Upsert keeps the row (and its seq, the first-arrival order) when replacing.
        self.conn
            .prepare_cached(
                "INSERT INTO rep_ratings (rater, deal, ratee, nego, score, safe, reliable,
                   created_at, pow_bits, contact_verified, contact_masked, attestation_ok)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT(rater, deal) DO UPDATE SET ratee = excluded.ratee,
                   nego = excluded.nego, score = excluded.score, safe = excluded.safe,
                   reliable = excluded.reliable, created_at = excluded.created_at,
                   pow_bits = excluded.pow_bits, contact_verified = excluded.contact_verified,
                   contact_masked = excluded.contact_masked,
                   attestation_ok = excluded.attestation_ok",
            )?
            .execute(params![
                rater,
                key.as_slice(),
                ratee,
                r.nego.to_string(),
                r.score.map(i64::from),
                r.safe,
                r.reliable,
                created,
                i64::from(r.pow_bits),
                r.contact_verified,
                r.contact_masked,
                r.attestation_ok,
            ])?;
        Ok(())
    }

    /// Re-evaluates the stored attestation of `rater`'s rating of deal `nego` written at
    /// `created_at`; `true` if the row changed.
    pub fn rep_set_attestation(
        &self,
        rater: &PublicKey,
        nego: &NegoId,
        created_at: u64,
        ok: bool,
    ) -> Result<bool, StoreError> {
        let key = DealKey::of(nego).to_bytes();
        let n = self
            .conn
            .prepare_cached(
                "UPDATE rep_ratings SET attestation_ok = ?1
                 WHERE rater = (SELECT id FROM rep_keys WHERE pubkey = ?2) AND deal = ?3
                   AND created_at = ?4 AND attestation_ok != ?1",
            )?
            .execute(params![
                ok,
                rater.as_bytes().as_slice(),
                key.as_slice(),
                to_i64("created_at", created_at)?
            ])?;
        Ok(n > 0)
    }

    fn rep_state_get(&self, k: &str) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT v FROM rep_state WHERE k = ?1")?
            .query_row([k], |r| r.get(0))
            .optional()?
            .unwrap_or(0))
    }

    fn rep_state_set(&self, k: &str, v: i64) -> Result<(), StoreError> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO rep_state (k, v) VALUES (?1, ?2)")?
            .execute(params![k, v])?;
        Ok(())
    }

    /// Whether the tables can be loaded.
    pub fn rep_status(&self) -> Result<RepStatus, StoreError> {
        let inflight = self.rep_state_get(STATE_INFLIGHT)?;
        Ok(RepStatus {
            built: self.rep_state_get(STATE_BUILT)? == 1,
            inflight: to_u64("rep_state.inflight", inflight)?,
        })
    }

    /// Marks one batch stored but not yet projected (call in the events' transaction).
    pub fn rep_begin(&self) -> Result<(), StoreError> {
        let n = self.rep_state_get(STATE_INFLIGHT)?;
        self.rep_state_set(STATE_INFLIGHT, n.saturating_add(1))
    }

    /// The batch's projection is written (call in the projection's transaction).
    pub fn rep_end(&self) -> Result<(), StoreError> {
        let n = self.rep_state_get(STATE_INFLIGHT)?;
        self.rep_state_set(STATE_INFLIGHT, n.saturating_sub(1).max(0))
    }

    /// Empties every `rep_*` table and clears the state (before a back-fill).
    pub fn rep_clear(&self) -> Result<(), StoreError> {
        self.conn.execute_batch(
            "DELETE FROM rep_deals; DELETE FROM rep_halves; DELETE FROM rep_ratings;
             DELETE FROM rep_follows; DELETE FROM rep_keys; DELETE FROM rep_state;
             DELETE FROM rep_checkpoint; DELETE FROM rep_ck_dirty;",
        )?;
        Ok(())
    }

    /// Marks the tables complete (after a back-fill).
    pub fn rep_mark_built(&self) -> Result<(), StoreError> {
        self.rep_state_set(STATE_BUILT, 1)?;
        self.rep_state_set(STATE_INFLIGHT, 0)
    }

    /// Every stored event, profiles first, then oldest first (ties by id): the order a rebuild
    /// applies them in (rating attestations are checked against the ratee's profile).
    pub fn rep_scan_events(&self) -> Result<Vec<Event>, StoreError> {
        let mut st = self.conn.prepare_cached(&format!(
            "SELECT {EVENT_COLUMNS} FROM events ORDER BY kind != 0, created_at, id"
        ))?;
        let rows = st
            .query_map([], StoredEvent::read)?
            .collect::<Result<Vec<_>, _>>()?;
        rebuild_events(rows)
    }

    /// Ratings in first-arrival order, in held form.
    fn rep_load_ratings(&self, names: &KeyNames<'_>) -> Result<Vec<RatingRow>, StoreError> {
        let mut ratings = Vec::new();
        let mut st = self.conn.prepare_cached(
            "SELECT rater, ratee, deal, score, safe, reliable, created_at, pow_bits,
                    contact_verified, attestation_ok
             FROM rep_ratings ORDER BY seq",
        )?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let score: Option<i64> = row.get(3)?;
            let pow: i64 = row.get(7)?;
            let deal = arr::<16>("rep_ratings.deal", blob(row, 2, "rep_ratings.deal")?)?;
            ratings.push(RatingRow {
                ratee: names.key(row.get(1)?)?,
                rating: HeldRating {
                    rater: names.key(row.get(0)?)?,
                    deal: DealKey::from_bytes(deal),
                    created_at: to_u64("rep_ratings.created_at", row.get(6)?)?,
                    score: score
                        .map(|s| {
                            i8::try_from(s).map_err(|_| corrupt(format!("rep_ratings.score {s}")))
                        })
                        .transpose()?,
                    safe: opt_bool(row.get(4)?),
                    reliable: opt_bool(row.get(5)?),
                    pow_bits: u8::try_from(pow)
                        .map_err(|_| corrupt(format!("rep_ratings.pow_bits {pow}")))?,
                    contact_verified: row.get(8)?,
                    attestation_ok: row.get(9)?,
                },
            });
        }
        Ok(ratings)
    }

    /// Follow lists: `(owner, created_at, follows)`.
    #[allow(clippy::type_complexity)]
    fn rep_load_follows(
        &self,
        names: &KeyNames<'_>,
    ) -> Result<Vec<(PublicKey, u64, Vec<PublicKey>)>, StoreError> {
        let mut follows = Vec::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT owner, created_at, list FROM rep_follows")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            let blob = blob(row, 2, "rep_follows.list")?;
            if blob.len() % 32 != 0 {
                return Err(corrupt(format!(
                    "rep_follows.list has {} bytes, not a multiple of 32",
                    blob.len()
                )));
            }
            let list = blob
                .chunks_exact(32)
                .map(|c| arr::<32>("rep_follows.list", c).map(PublicKey::from_byte_array))
                .collect::<Result<Vec<_>, _>>()?;
            follows.push((
                names.key(row.get(0)?)?,
                to_u64("rep_follows.created_at", row.get(1)?)?,
                list,
            ));
        }
        Ok(follows)
    }

    /// How a load resolves the keys ratings and follow lists name: a large book through the
    /// whole key table (one scan), a small one id by id.
    fn rep_rating_keys(&self) -> Result<KeyNames<'_>, StoreError> {
        let many_ratings: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM rep_ratings")?
            .query_row([], |r| r.get(0))?;
        if many_ratings > LAZY_KEYS_MAX {
            self.rep_key_names_all()
        } else {
            Ok(KeyNames::each(self))
        }
    }

    /// Every `rep_keys` row's key, by id, in one scan.
    fn rep_key_names_all(&self) -> Result<KeyNames<'_>, StoreError> {
        let mut ids = Vec::new();
        let mut keys = Vec::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT id, pubkey FROM rep_keys ORDER BY id")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            ids.push(row.get(0)?);
            keys.push(pubkey_col(row, 1)?);
        }
        Ok(KeyNames::All { ids, keys })
    }

    /// The key of `rep_keys` row `id`.
    fn rep_key_of(&self, id: i64) -> Result<PublicKey, StoreError> {
        let b: Vec<u8> = self
            .conn
            .prepare_cached("SELECT pubkey FROM rep_keys WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?
            .ok_or_else(|| corrupt(format!("rep key id {id} does not exist")))?;
        Ok(PublicKey::from_byte_array(arr("rep_keys.pubkey", &b)?))
    }

    /// Reads a directory-mode engine's persisted form: the checkpoint, the deals paired after it
    /// (as [`GraphChange::Pair`] with their node ids and final tier, in pairing order) and the
    /// upgrades of deals it covers ([`GraphChange::Upgrade`]); without a checkpoint, every deal
    /// ([`StoreTx::rep_load_graph_rows`]). Plus ratings and follow lists. Held halves and
    /// first-seen times stay rows: the engine looks them up ([`super::StoreDirectory`]).
    pub fn rep_load_graph(&self) -> Result<GraphParts, StoreError> {
        let Some((deal_seq, data)) = self.rep_checkpoint_row()? else {
            return self.rep_load_graph_rows();
        };
        // The node ids of the keys the replayed deals name, fetched in id order (SQLite sorts
        // the `IN` set): page-sequential, where a join per deal row would read at random.
        let mut nodes: HashMap<i64, Option<i64>> = HashMap::new();
        {
            let mut st = self.conn.prepare_cached(
                "SELECT id, node FROM rep_keys WHERE id IN (
                   SELECT a FROM rep_deals WHERE seq > ?1
                   UNION SELECT b FROM rep_deals WHERE seq > ?1
                   UNION SELECT d.a FROM rep_ck_dirty c JOIN rep_deals d ON d.seq = c.id
                         WHERE c.kind = 1
                   UNION SELECT d.b FROM rep_ck_dirty c JOIN rep_deals d ON d.seq = c.id
                         WHERE c.kind = 1)",
            )?;
            let mut rows = st.query([deal_seq])?;
            while let Some(row) = rows.next()? {
                nodes.insert(row.get(0)?, row.get(1)?);
            }
        }
        let node = |id: i64| match nodes.get(&id) {
            Some(Some(n)) => node_id(*n),
            Some(None) => Err(corrupt(format!(
                "rep key id {id} has a paired deal but no node id"
            ))),
            None => Err(corrupt(format!("rep key id {id} does not exist"))),
        };
        let mut changes = Vec::new();
        {
            let mut st = self
                .conn
                .prepare_cached("SELECT a, b, tier FROM rep_deals WHERE seq > ?1 ORDER BY seq")?;
            let mut rows = st.query([deal_seq])?;
            while let Some(row) = rows.next()? {
                changes.push(GraphChange::Pair {
                    a: node(row.get(0)?)?,
                    b: node(row.get(1)?)?,
                    tier: tier_of(row.get(2)?)?,
                });
            }
        }
        {
            let mut st = self.conn.prepare_cached(
                "SELECT d.a, d.b FROM rep_ck_dirty c JOIN rep_deals d ON d.seq = c.id
                 WHERE c.kind = 1 AND d.tier = 2 ORDER BY c.id",
            )?;
            let mut rows = st.query([])?;
            while let Some(row) = rows.next()? {
                changes.push(GraphChange::Upgrade {
                    a: node(row.get(0)?)?,
                    b: node(row.get(1)?)?,
                });
            }
        }
        let keys = self.rep_rating_keys()?;
        Ok(GraphParts {
            checkpoint: Some(data),
            changes,
            ratings: self.rep_load_ratings(&keys)?,
            follows: self.rep_load_follows(&keys)?,
        })
    }

    /// Like [`StoreTx::rep_load_graph`] but ignoring any checkpoint: every paired deal as
    /// [`GraphChange::Pair`] in pairing order, with its final tier. The fallback when there is
    /// no checkpoint or the engine refuses it.
    pub fn rep_load_graph_rows(&self) -> Result<GraphParts, StoreError> {
        let nodes = self.rep_node_table()?;
        let mut changes = Vec::new();
        {
            let mut st = self
                .conn
                .prepare_cached("SELECT a, b, tier FROM rep_deals ORDER BY seq")?;
            let mut rows = st.query([])?;
            while let Some(row) = rows.next()? {
                changes.push(GraphChange::Pair {
                    a: nodes.node(row.get(0)?)?,
                    b: nodes.node(row.get(1)?)?,
                    tier: tier_of(row.get(2)?)?,
                });
            }
        }
        drop(nodes);
        let keys = self.rep_rating_keys()?;
        Ok(GraphParts {
            checkpoint: None,
            changes,
            ratings: self.rep_load_ratings(&keys)?,
            follows: self.rep_load_follows(&keys)?,
        })
    }

    /// The node id of every `rep_keys` row, in one scan.
    fn rep_node_table(&self) -> Result<NodeTable, StoreError> {
        let mut ids = Vec::new();
        let mut nodes = Vec::new();
        let mut st = self
            .conn
            .prepare_cached("SELECT id, node FROM rep_keys ORDER BY id")?;
        let mut rows = st.query([])?;
        while let Some(row) = rows.next()? {
            ids.push(row.get(0)?);
            nodes.push(row.get::<_, Option<i64>>(1)?);
        }
        Ok(NodeTable { ids, nodes })
    }

    /// The checkpoint row: the last deal seq it covers and its blob. A `data` that is not a
    /// blob is handed on as empty bytes, which the engine refuses (so the caller falls back to
    /// the rows) rather than failing the whole load.
    fn rep_checkpoint_row(&self) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT deal_seq, data FROM rep_checkpoint WHERE id = 1")?
            .query_row([], |r| {
                let data = r
                    .get_ref(1)?
                    .as_blob()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default();
                Ok((r.get(0)?, data))
            })
            .optional()?)
    }

    /// Stores `data` (a directory-mode engine's
    /// [`Reputation::graph_checkpoint`](crate::reputation::Reputation::graph_checkpoint), read
    /// back by [`StoreTx::rep_load_graph`]) as covering every current row, and forgets the
    /// changed-row log. The caller guarantees the engine it took the checkpoint from has applied
    /// exactly these rows (every committed batch's changes). The `key_id` column (the last key
    /// row, which only the v8 loader read) is still filled: it is `NOT NULL`.
    pub fn rep_checkpoint_write(&self, data: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO rep_checkpoint (id, deal_seq, key_id, data)
                 VALUES (1, (SELECT COALESCE(MAX(seq), 0) FROM rep_deals),
                            (SELECT COALESCE(MAX(id), 0) FROM rep_keys), ?1)",
            )?
            .execute([data])?;
        self.conn.execute("DELETE FROM rep_ck_dirty", [])?;
        Ok(())
    }

    /// Changes a load would replay after the checkpoint (deals paired after it, covered deals
    /// upgraded after it), and the number of paired deals; `None` without a checkpoint.
    pub fn rep_checkpoint_lag(&self) -> Result<(Option<u64>, u64), StoreError> {
        let total: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM rep_deals")?
            .query_row([], |r| r.get(0))?;
        let lag: Option<i64> = self
            .conn
            .prepare_cached(
                "SELECT ?1 - deal_seq + (SELECT COUNT(*) FROM rep_ck_dirty WHERE kind = 1)
                 FROM rep_checkpoint WHERE id = 1",
            )?
            .query_row([total], |r| r.get(0))
            .optional()?;
        Ok((
            lag.map(|l| to_u64("rep checkpoint lag", l.max(0)))
                .transpose()?,
            to_u64("rep_deals.seq", total)?,
        ))
    }
}

/// Below this many paired deals the rows load fast enough (≈ 10 ms) without a checkpoint.
pub const CHECKPOINT_MIN_DEALS: u64 = 10_000;

/// Above this many ratings a load reads the whole key table (one scan) instead of resolving
/// the keys ratings and follow lists name one by one.
const LAZY_KEYS_MAX: i64 = 20_000;

/// Stored key ids → public keys, for the rows a load reads (ratings, follow lists).
enum KeyNames<'a> {
    /// Every key row, read in one scan: `keys[i]` is row `ids[i]` (ids increasing).
    All { ids: Vec<i64>, keys: Vec<PublicKey> },
    /// One query per distinct id (few rows reference keys).
    Each(&'a StoreTx<'a>, RefCell<HashMap<i64, PublicKey>>),
}

impl<'a> KeyNames<'a> {
    fn each(tx: &'a StoreTx<'a>) -> Self {
        KeyNames::Each(tx, RefCell::new(HashMap::new()))
    }

    fn key(&self, id: i64) -> Result<PublicKey, StoreError> {
        match self {
            KeyNames::All { ids, keys } => {
                // Ids are dense from 1 unless rows were deleted; fall back to a search.
                let guess = usize::try_from(id - 1).ok();
                let i = match guess {
                    Some(g) if ids.get(g) == Some(&id) => Ok(g),
                    _ => ids.binary_search(&id),
                };
                i.ok()
                    .and_then(|i| keys.get(i))
                    .copied()
                    .ok_or_else(|| corrupt(format!("rep key id {id} does not exist")))
            }
            KeyNames::Each(tx, cache) => {
                if let Some(k) = cache.borrow().get(&id) {
                    return Ok(*k);
                }
                let k = tx.rep_key_of(id)?;
                cache.borrow_mut().insert(id, k);
                Ok(k)
            }
        }
    }
}

fn pubkey_col(row: &rusqlite::Row<'_>, i: usize) -> Result<PublicKey, StoreError> {
    Ok(PublicKey::from_byte_array(arr(
        "rep_keys.pubkey",
        blob(row, i, "rep_keys.pubkey")?,
    )?))
}

/// One `rep_halves` row, undecoded.
struct HalfRow {
    author: i64,
    peer: i64,
    nego: String,
    id: Vec<u8>,
    intent_id: Vec<u8>,
    meet: Option<Vec<u8>>,
    countersigns: Option<Vec<u8>>,
    created_at: i64,
}

fn half_columns(r: &rusqlite::Row<'_>) -> rusqlite::Result<HalfRow> {
    Ok(HalfRow {
        author: r.get(0)?,
        peer: r.get(1)?,
        nego: r.get(2)?,
        id: r.get(3)?,
        intent_id: r.get(4)?,
        meet: r.get(5)?,
        countersigns: r.get(6)?,
        created_at: r.get(7)?,
    })
}

impl HalfRow {
    fn into_receipt(
        self,
        key: impl Fn(i64) -> Result<PublicKey, StoreError>,
    ) -> Result<Receipt, StoreError> {
        Ok(Receipt {
            id: EventId::from_byte_array(arr("rep_halves.id", &self.id)?),
            author: key(self.author)?,
            nego: NegoId::from_str(&self.nego)
                .map_err(|e| corrupt(format!("rep_halves.nego: {e}")))?,
            peer: key(self.peer)?,
            intent_id: EventId::from_byte_array(arr("rep_halves.intent_id", &self.intent_id)?),
            meet: self
                .meet
                .map(|m| arr("rep_halves.meet", &m).map(MeetNonce))
                .transpose()?,
            countersigns: self
                .countersigns
                .map(|e| arr("rep_halves.countersigns", &e).map(EventId::from_byte_array))
                .transpose()?,
            created_at: Timestamp::from(to_u64("rep_halves.created_at", self.created_at)?),
        })
    }
}

impl Store {
    /// A directory-mode engine's persisted form ([`StoreTx::rep_load_graph`]), or `None` if the
    /// projection is not complete (never back-filled, or a batch was stored without its
    /// projection): then the app rebuilds it from the events.
    pub fn rep_load_graph(&self) -> Result<Option<GraphParts>, StoreError> {
        self.read(|tx| {
            if tx.rep_status()?.ready() {
                tx.rep_load_graph().map(Some)
            } else {
                Ok(None)
            }
        })
    }

    /// Like [`Store::rep_load_graph`] but ignoring any checkpoint
    /// ([`StoreTx::rep_load_graph_rows`]): the fallback when the engine refuses the checkpoint.
    pub fn rep_load_graph_rows(&self) -> Result<Option<GraphParts>, StoreError> {
        self.read(|tx| {
            if tx.rep_status()?.ready() {
                tx.rep_load_graph_rows().map(Some)
            } else {
                Ok(None)
            }
        })
    }

    /// Stores a checkpoint of the engine as covering every current row (see
    /// [`StoreTx::rep_checkpoint_write`]); the caller holds the engine that applied them all.
    pub fn rep_checkpoint_save(&self, data: &[u8]) -> Result<(), StoreError> {
        self.transaction(|tx| tx.rep_checkpoint_write(data))
    }

    /// Whether a new checkpoint is worth writing: the projection is complete, has at least
    /// [`CHECKPOINT_MIN_DEALS`] deals, and there is no checkpoint or a load would replay more
    /// than a 64th of the deals (at least [`CHECKPOINT_MIN_DEALS`] rows) after it — a replayed
    /// deal costs ≈ 100× a checkpointed one, so this keeps the tail below ≈ the blob's cost.
    pub fn rep_checkpoint_due(&self) -> Result<bool, StoreError> {
        self.read(|tx| {
            if !tx.rep_status()?.ready() {
                return Ok(false);
            }
            let (lag, total) = tx.rep_checkpoint_lag()?;
            Ok(total >= CHECKPOINT_MIN_DEALS
                && lag.is_none_or(|l| l >= CHECKPOINT_MIN_DEALS.max(total / 64)))
        })
    }

    /// Stores verified events and marks their projection as pending, in one transaction. Follow
    /// with [`Store::rep_commit`].
    pub fn insert_events_rep_begin(
        &self,
        events: &[Event],
    ) -> Result<super::InsertReport, StoreError> {
        self.transaction(|tx| {
            let report = tx.insert_events(events)?;
            tx.rep_begin()?;
            Ok(report)
        })
    }

    /// Writes a batch's projection and clears its pending mark. Returns the graph changes it
    /// made ([`StoreTx::rep_apply`]), for a directory-mode engine.
    pub fn rep_commit(&self, items: &[RepInput]) -> Result<Vec<GraphChange>, StoreError> {
        self.transaction(|tx| {
            let changes = tx.rep_apply(items)?;
            tx.rep_end()?;
            Ok(changes)
        })
    }

    /// Replaces the whole projection (back-fill) and marks it complete. Returns every graph
    /// change (node ids from 0), for a fresh directory-mode engine.
    pub fn rep_rebuild(&self, items: &[RepInput]) -> Result<Vec<GraphChange>, StoreError> {
        self.transaction(|tx| {
            tx.rep_clear()?;
            let changes = tx.rep_apply(items)?;
            tx.rep_mark_built()?;
            Ok(changes)
        })
    }

    /// Every stored event in rebuild order (see [`StoreTx::rep_scan_events`]).
    pub fn rep_scan_events(&self) -> Result<Vec<Event>, StoreError> {
        self.read(|tx| tx.rep_scan_events())
    }

    /// Re-evaluates one stored rating's attestation ([`StoreTx::rep_set_attestation`]).
    pub fn rep_set_attestation(
        &self,
        rater: &PublicKey,
        nego: &NegoId,
        created_at: u64,
        ok: bool,
    ) -> Result<bool, StoreError> {
        self.transaction(|tx| tx.rep_set_attestation(rater, nego, created_at, ok))
    }

    /// Whether the persisted form can be loaded.
    pub fn rep_status(&self) -> Result<RepStatus, StoreError> {
        self.read(|tx| tx.rep_status())
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::reputation::synth::{self, T0, receipt_pair, synth_key};
    use crate::reputation::{Params, Reputation};
    use rand::rngs::StdRng;
    use rand::seq::SliceRandom;
    use rand::{Rng, SeedableRng};

    pub(crate) fn store(dir: &tempfile::TempDir) -> Store {
        Store::open_with_key(dir.path().join("t.db"), crate::store::DataKey::generate()).unwrap()
    }

    /// A fixed-seed mix of everything the projection must reproduce: halves in random order
    /// (some deals one-sided), proven deals later upgraded by meet halves, stale and replaced
    /// halves, ratings (valid, replaced, stale, refused), follow lists and plain sightings.
    pub(crate) fn inputs(seed: u64) -> (Vec<RepInput>, Vec<PublicKey>) {
        let mut rng = StdRng::seed_from_u64(seed);
        let hg = synth::honest_graph(300, 20, 6, seed);
        let mut halves = Vec::new();
        let mut upgrades = Vec::new();
        let mut items = Vec::new();
        for &(a, b, tier, d) in &hg.edges {
            let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
            let (x, y) = receipt_pair(ka, kb, d, tier);
            halves.push(x.clone());
            if rng.gen_bool(0.9) {
                halves.push(y.clone());
            }
            if tier == DealTier::Proven && rng.gen_bool(0.3) {
                let (mx, my) = receipt_pair(ka, kb, d, DealTier::Met);
                upgrades.push(mx);
                upgrades.push(my);
            }
            if rng.gen_bool(0.5) {
                let ok = rng.gen_bool(0.8);
                items.push(RepInput::Rating(synth::rating(
                    kb,
                    ka,
                    x.nego.clone(),
                    ok,
                    ok,
                    T0 + 9,
                )));
            }
            if rng.gen_bool(0.1) {
                // An older rating by the same rater on the same deal: stale.
                items.push(RepInput::Rating(synth::rating(
                    kb,
                    ka,
                    x.nego.clone(),
                    false,
                    false,
                    T0,
                )));
                // A newer one replaces.
                items.push(RepInput::Rating(synth::rating(
                    kb,
                    ka,
                    x.nego,
                    true,
                    false,
                    T0 + 20,
                )));
            }
        }
        halves.shuffle(&mut rng);
        for h in halves.iter().chain(upgrades.iter()) {
            items.push(RepInput::Seen {
                pubkey: h.author,
                at: h.created_at.as_secs(),
            });
            items.push(RepInput::Receipt(h.clone()));
            if rng.gen_bool(0.05) {
                items.push(RepInput::Receipt(h.clone())); // duplicate
            }
        }
        // A rating by someone who is not the counterparty: refused by both.
        let (x, _) = receipt_pair(hg.keys[0], hg.keys[1], 99, DealTier::Met);
        items.push(RepInput::Rating(synth::rating(
            hg.keys[2], hg.keys[0], x.nego, true, true, T0,
        )));
        for v in 0..5usize {
            let list: Vec<PublicKey> = (0..4).map(|_| hg.keys[rng.gen_range(0..300)]).collect();
            items.push(RepInput::Follows {
                owner: hg.keys[v],
                created_at: T0 + 3,
                list: list.clone(),
            });
            // Older list: ignored.
            items.push(RepInput::Follows {
                owner: hg.keys[v],
                created_at: T0 + 1,
                list: Vec::new(),
            });
        }
        items.push(RepInput::Seen {
            pubkey: synth_key("lurker", 1),
            at: T0 - 1000,
        });
        items.shuffle(&mut rng);
        (items, hg.keys)
    }

    /// [`inputs`] arranged for a checkpoint after the first `third` items: 20 proven deals
    /// paired just before it, the meet halves of 15 of them a little after it (upgrades of
    /// covered deals), of the other 5 at the very end, and a last deal that brings a new key
    /// (`synth_key("newcomer", seed)`). Returns the items, the keys and `third`.
    pub(crate) fn checkpoint_inputs(seed: u64) -> (Vec<RepInput>, Vec<PublicKey>, usize) {
        let (mut items, keys) = inputs(seed);
        let mut third = items.len() / 3;
        // Proven deals paired before the checkpoint whose meet halves arrive after it.
        let mut early = Vec::new();
        let mut late = Vec::new();
        for i in 0..20usize {
            let (ka, kb) = (keys[i], keys[i + 40]);
            let d = 1_000_000 + i as u64;
            let (x, y) = receipt_pair(ka, kb, d, DealTier::Proven);
            let (mx, my) = receipt_pair(ka, kb, d, DealTier::Met);
            early.extend([RepInput::Receipt(x), RepInput::Receipt(y)]);
            late.extend([RepInput::Receipt(mx), RepInput::Receipt(my)]);
        }
        // The last 10 upgrade only after the load (and one deal brings a new key).
        let after_load = late.split_off(30);
        let (nx, ny) = receipt_pair(
            synth_key("newcomer", seed),
            keys[9],
            2_000_000,
            DealTier::Met,
        );
        items.splice(third..third, early.iter().cloned());
        third += early.len();
        items.splice(third + 5..third + 5, late.iter().cloned());
        items.extend(after_load);
        items.extend([RepInput::Receipt(nx), RepInput::Receipt(ny)]);
        (items, keys, third)
    }

    #[test]
    fn checkpoint_is_due_only_for_large_or_lagging_projections_and_cleared_by_rebuild() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir);
        let (items, _) = inputs(10);
        st.rep_rebuild(&items).unwrap();
        assert!(
            !st.rep_checkpoint_due().unwrap(),
            "a small graph loads from rows"
        );
        // Pretend the projection is large: CHECKPOINT_MIN_DEALS rows and no checkpoint.
        st.transaction(|tx| {
            tx.conn.execute(
                "INSERT INTO rep_deals (seq, deal, a, b, tier)
                 VALUES (?1, x'00112233445566778899aabbccddeeff', 1, 2, 1)",
                [CHECKPOINT_MIN_DEALS as i64 + 5],
            )?;
            Ok(())
        })
        .unwrap();
        assert!(st.rep_checkpoint_due().unwrap());
        st.rep_checkpoint_save(b"x").unwrap();
        assert!(!st.rep_checkpoint_due().unwrap(), "just written");
        st.rep_rebuild(&items).unwrap();
        assert!(
            st.read(|tx| tx.rep_checkpoint_lag()).unwrap().0.is_none(),
            "a rebuild drops the checkpoint"
        );
    }

    /// The lag counts what a load replays: deals paired after the checkpoint and covered deals
    /// upgraded after it. Older first-seen times are looked up, not replayed: not logged.
    #[test]
    fn checkpoint_lag_counts_later_pairs_and_upgrades_not_first_seen_times() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir);
        let (ka, kb, kc) = (
            synth_key("lag", 1),
            synth_key("lag", 2),
            synth_key("lag", 3),
        );
        let (p1, p2) = receipt_pair(ka, kb, 1, DealTier::Proven);
        let (m1, m2) = receipt_pair(ka, kb, 1, DealTier::Met);
        let (n1, n2) = receipt_pair(kb, kc, 2, DealTier::Proven);
        st.rep_rebuild(&[RepInput::Receipt(p1), RepInput::Receipt(p2)])
            .unwrap();
        st.rep_checkpoint_save(b"ck").unwrap();
        let lag = || st.read(|tx| tx.rep_checkpoint_lag()).unwrap();
        let dirty = |kind: i64| -> i64 {
            st.read(|tx| {
                Ok(tx.conn.query_row(
                    "SELECT COUNT(*) FROM rep_ck_dirty WHERE kind = ?1",
                    [kind],
                    |r| r.get(0),
                )?)
            })
            .unwrap()
        };
        assert_eq!(lag(), (Some(0), 1));
        // Older first-seen times of covered keys, and a key seen for the first time.
        st.rep_commit(&[
            RepInput::Seen {
                pubkey: ka,
                at: T0 - 100,
            },
            RepInput::Seen {
                pubkey: kc,
                at: T0 - 50,
            },
        ])
        .unwrap();
        assert_eq!(lag(), (Some(0), 1));
        assert_eq!(dirty(0), 0, "first-seen changes are not logged");
        // An upgrade of the covered deal, and a deal paired after the checkpoint.
        let changes = st
            .rep_commit(&[m1, m2, n1, n2].map(RepInput::Receipt))
            .unwrap();
        assert_eq!(changes.len(), 2);
        assert_eq!(lag(), (Some(2), 2));
        assert_eq!(dirty(1), 1);
        st.rep_checkpoint_save(b"ck2").unwrap();
        assert_eq!(lag(), (Some(0), 2));
    }

    #[test]
    fn fresh_store_is_not_ready_and_loads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir);
        assert_eq!(
            st.rep_status().unwrap(),
            RepStatus {
                built: false,
                inflight: 0
            }
        );
        assert!(st.rep_load_graph().unwrap().is_none());
        assert!(st.rep_load_graph_rows().unwrap().is_none());
        st.rep_rebuild(&[]).unwrap();
        let parts = st.rep_load_graph().unwrap().expect("built");
        assert_eq!(parts, GraphParts::default());
        let st = std::sync::Arc::new(st);
        let dir = std::sync::Arc::new(crate::store::StoreDirectory::new(st));
        let rep = Reputation::from_graph_parts(Params::default(), dir, parts).unwrap();
        assert_eq!(rep.graph().node_count(), 0);
    }

    /// A database written by the previous build (v8: a built projection without node ids and a
    /// checkpoint in the old format) opens as v9 with the projection not ready, so the app
    /// rebuilds it from the events once; the rebuild assigns node ids from 0.
    #[test]
    fn a_v8_projection_migrates_to_not_ready_and_the_rebuild_assigns_node_ids() {
        use crate::store::schema::{REP_NODE_VERSION, SCHEMA_VERSION, migrate_to};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v8.db");
        {
            let mut c = rusqlite::Connection::open(&path).unwrap();
            migrate_to(&mut c, REP_NODE_VERSION - 1).unwrap();
            // What the v8 build wrote for one proven deal, a held half and a checkpoint.
            c.execute_batch(
                "INSERT INTO rep_keys (id, pubkey, first_seen) VALUES
                   (1, zeroblob(32), 10), (2, x'01' || zeroblob(31), 11);
                 INSERT INTO rep_deals (seq, deal, a, b, tier)
                   VALUES (1, x'00112233445566778899aabbccddeeff', 2, 1, 1);
                 INSERT INTO rep_checkpoint (id, deal_seq, key_id, data)
                   VALUES (1, 1, 2, x'0102030405');
                 INSERT INTO rep_ck_dirty (kind, id) VALUES (0, 1);
                 INSERT INTO rep_state (k, v) VALUES ('built', 1), ('inflight', 0);",
            )
            .unwrap();
        }
        let st = Store::open_with_key(&path, crate::store::DataKey::generate()).unwrap();
        let version: u32 = st
            .read(|tx| Ok(tx.conn.query_row("PRAGMA user_version", [], |r| r.get(0))?))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        assert!(!st.rep_status().unwrap().ready());
        assert_eq!(st.rep_load_graph().unwrap(), None);
        assert_eq!(st.rep_load_graph_rows().unwrap(), None);
        assert!(!st.rep_checkpoint_due().unwrap());
        assert_eq!(st.read(|tx| tx.rep_checkpoint_lag()).unwrap().0, None);
        // The app's rebuild: node ids in pairing order from 0, a loadable projection.
        let (items, _) = inputs(11);
        let changes = st.rep_rebuild(&items).unwrap();
        assert!(matches!(
            changes.first(),
            Some(GraphChange::Pair { a: 0, b: 1, .. })
        ));
        let parts = st
            .rep_load_graph()
            .unwrap()
            .expect("ready after the rebuild");
        let pairs: Vec<_> = changes
            .iter()
            .filter(|c| matches!(c, GraphChange::Pair { .. }))
            .collect();
        assert_eq!(parts.changes.len(), pairs.len());
    }

    #[test]
    fn a_batch_without_its_projection_makes_the_store_not_ready() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir);
        st.rep_rebuild(&[]).unwrap();
        st.insert_events_rep_begin(&[]).unwrap();
        assert_eq!(st.rep_status().unwrap().inflight, 1);
        assert!(st.rep_load_graph().unwrap().is_none(), "crash window");
        assert!(st.rep_load_graph_rows().unwrap().is_none(), "crash window");
        st.rep_commit(&[]).unwrap();
        assert!(st.rep_load_graph().unwrap().is_some());
        // A rebuild clears a stuck counter.
        st.insert_events_rep_begin(&[]).unwrap();
        let (items, _) = inputs(9);
        st.rep_rebuild(&items).unwrap();
        let parts = st.rep_load_graph().unwrap().expect("ready");
        assert!(!parts.changes.is_empty() && !parts.ratings.is_empty());
        // Rebuilding again with the same facts gives the same rows (idempotent back-fill).
        st.rep_rebuild(&items).unwrap();
        assert_eq!(st.rep_load_graph().unwrap().expect("ready"), parts);
    }

    /// Corrupt rows are errors from every load, with or without a checkpoint, never panics.
    #[test]
    fn corrupt_rows_are_reported_not_panicked_on() {
        let dir = tempfile::tempdir().unwrap();
        let st = store(&dir);
        let (items, _) = inputs(4);
        let first_rater = "(SELECT rater FROM rep_ratings ORDER BY seq LIMIT 1)";
        for bad in [
            "UPDATE rep_deals SET tier = 7 WHERE seq = (SELECT MAX(seq) FROM rep_deals)",
            "UPDATE rep_deals SET a = 999999 WHERE seq = (SELECT MAX(seq) FROM rep_deals)",
            &format!("UPDATE rep_keys SET pubkey = x'00' WHERE id = {first_rater}"),
            &format!("DELETE FROM rep_keys WHERE id = {first_rater}"),
            "UPDATE rep_follows SET list = x'0011'",
            // Ratings are read back in held form (deal key, no negotiation id): a short deal
            // key or an out-of-range score is corruption too.
            "UPDATE rep_ratings SET deal = x'0011' WHERE seq = (SELECT MIN(seq) FROM rep_ratings)",
            "UPDATE rep_ratings SET score = 300",
        ] {
            st.rep_rebuild(&items).unwrap();
            // A checkpoint before the last deal: the tail reads it too.
            st.rep_checkpoint_save(b"ck").unwrap();
            let exec = |sql: &str| st.transaction(|tx| Ok(tx.conn.execute(sql, [])?)).unwrap();
            exec("UPDATE rep_checkpoint SET deal_seq = deal_seq - 1");
            assert!(exec(bad) > 0, "{bad}: the fixture has such rows");
            assert!(
                matches!(st.rep_load_graph(), Err(StoreError::Corrupt { .. })),
                "{bad}"
            );
            assert!(
                matches!(st.rep_load_graph_rows(), Err(StoreError::Corrupt { .. })),
                "{bad}"
            );
        }
    }

    /// Ratings and follow lists name keys by row id; a load resolves them through the whole key
    /// table when the book is large and id by id when it is small. Both give the same rows, and
    /// an engine loaded from them holds the live engine's ratings and follow lists.
    #[test]
    fn both_ways_of_resolving_keys_read_the_same_ratings_and_follow_lists() {
        for seed in [1u64, 2] {
            let (items, keys) = inputs(seed);
            let tmp = tempfile::tempdir().unwrap();
            let st = std::sync::Arc::new(store(&tmp));
            st.rep_rebuild(&items).unwrap();
            let (all, each) = st
                .read(|tx| {
                    let all = tx.rep_key_names_all()?;
                    let each = KeyNames::each(tx);
                    Ok((
                        (tx.rep_load_ratings(&all)?, tx.rep_load_follows(&all)?),
                        (tx.rep_load_ratings(&each)?, tx.rep_load_follows(&each)?),
                    ))
                })
                .unwrap();
            assert!(!all.0.is_empty() && !all.1.is_empty());
            assert_eq!(all, each);
            let parts = st.rep_load_graph().unwrap().expect("ready");
            assert_eq!((parts.ratings.clone(), parts.follows.clone()), all);
            let mut live = Reputation::new(Params::default()).unwrap();
            for i in &items {
                live.apply(i);
            }
            let dir = std::sync::Arc::new(crate::store::StoreDirectory::new(st.clone()));
            let loaded = Reputation::from_graph_parts(Params::default(), dir, parts).unwrap();
            assert_eq!(loaded.ratings().len(), live.ratings().len());
            for k in &keys {
                let want: Vec<_> = live.ratings().about(k).collect();
                assert_eq!(loaded.ratings().about(k).collect::<Vec<_>>(), want, "{k}");
                assert_eq!(loaded.follows_of(k), live.follows_of(k), "{k}");
            }
            // A key row that is gone is corruption either way.
            st.transaction(|tx| {
                tx.conn.execute(
                    "DELETE FROM rep_keys WHERE id = (SELECT ratee FROM rep_ratings LIMIT 1)",
                    [],
                )?;
                Ok(())
            })
            .unwrap();
            let (all, each) = st
                .read(|tx| {
                    let all = tx.rep_key_names_all()?;
                    Ok((
                        tx.rep_load_ratings(&all).is_err(),
                        tx.rep_load_ratings(&KeyNames::each(tx)).is_err(),
                    ))
                })
                .unwrap();
            assert!(all && each);
        }
    }
}
