//! The reputation engine's [`Directory`] over the store's `rep_*` tables: keys, deal facts and
//! first-seen times answered by indexed point lookups instead of being held in memory.
//!
//! * `node(pk)` / `first_seen(pk)` — `rep_keys` by its `pubkey` UNIQUE index;
//! * `key(id)` — `rep_keys` by the `rep_keys_node` index (schema v9);
//! * `deal(key)` — `rep_deals` by its `deal` UNIQUE index, else the held half in `rep_halves`
//!   (primary key `deal`) with its author's key (rowid).
//!
//! Each lookup takes the store's connection lock and runs one statement in a read transaction
//! (≈ 3–6 µs, `tests::directory_lookup_timing`). Two consequences for the caller:
//!
//! * The answers describe the committed rows, so they match an engine fed with
//!   [`Store::rep_commit`]'s changes only once it has applied every committed batch: keep
//!   lookups from running between a commit and the engine applying its changes (e.g. commit
//!   and apply under the engine's lock).
//! * The connection lock is not re-entrant: a lookup made while the same thread is inside
//!   [`Store::transaction`] (or any other store call) deadlocks. Do not consult the engine
//!   from inside a store closure.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use nostr::PublicKey;
use rusqlite::OptionalExtension;
use rusqlite::types::ValueRef;

use super::rep::{corrupt, node_id, tier_of};
use super::{Store, StoreError, StoreTx, to_u64};
use crate::reputation::{DealFact, DealKey, Directory, NodeId, ReputationError};

const NODE_SQL: &str = "SELECT node FROM rep_keys WHERE pubkey = ?1";
const KEY_SQL: &str = "SELECT pubkey FROM rep_keys WHERE node = ?1";
const FIRST_SEEN_SQL: &str = "SELECT first_seen FROM rep_keys WHERE pubkey = ?1";
/// One row: the paired tier, and only for an unpaired deal the held half (its pending first
/// half; a meet half waiting to upgrade is only held for a paired deal) with its author's key.
const DEAL_SQL: &str = "SELECT d.tier, h.author, k.pubkey FROM (SELECT ?1 AS deal) q
     LEFT JOIN rep_deals d ON d.deal = q.deal
     LEFT JOIN rep_halves h ON h.deal = q.deal AND d.tier IS NULL
     LEFT JOIN rep_keys k ON k.id = h.author";

/// [`Directory`] answered from the store (see the module docs).
#[derive(Debug, Clone)]
pub struct StoreDirectory {
    store: Arc<Store>,
}

impl StoreDirectory {
    /// A directory over `store`'s reputation tables.
    pub fn new(store: Arc<Store>) -> Self {
        Self { store }
    }

    fn ask<T>(
        &self,
        f: impl FnOnce(&StoreTx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, ReputationError> {
        self.store.read(f).map_err(|e| ReputationError::Directory {
            reason: e.to_string(),
        })
    }
}

fn deal_bytes(v: &[u8]) -> Result<[u8; 16], StoreError> {
    <[u8; 16]>::try_from(v)
        .map_err(|_| corrupt(format!("rep deal key has {} bytes, not 16", v.len())))
}

fn pubkey(v: &[u8], field: &str) -> Result<PublicKey, StoreError> {
    <[u8; 32]>::try_from(v)
        .map(PublicKey::from_byte_array)
        .map_err(|_| corrupt(format!("{field} has {} bytes, not 32", v.len())))
}

impl StoreTx<'_> {
    /// The node id of `pk`, if it has a paired deal.
    pub fn rep_dir_node(&self, pk: &PublicKey) -> Result<Option<NodeId>, StoreError> {
        let node: Option<Option<i64>> = self
            .conn
            .prepare_cached(NODE_SQL)?
            .query_row([pk.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        node.flatten().map(node_id).transpose()
    }

    /// The key of node `id`.
    pub fn rep_dir_key(&self, id: NodeId) -> Result<Option<PublicKey>, StoreError> {
        let b: Option<Vec<u8>> = self
            .conn
            .prepare_cached(KEY_SQL)?
            .query_row([i64::from(id)], |r| {
                // A non-blob pubkey is corruption, reported below rather than as a type error.
                Ok(r.get_ref(0)?
                    .as_blob()
                    .map(<[u8]>::to_vec)
                    .unwrap_or_default())
            })
            .optional()?;
        b.map(|b| pubkey(&b, "rep_keys.pubkey")).transpose()
    }

    /// What is known about deal `deal`: its paired tier, else the author of its held half.
    pub fn rep_dir_deal(&self, deal: &DealKey) -> Result<Option<DealFact>, StoreError> {
        let key = deal.to_bytes();
        let (tier, author, pk): (Option<i64>, Option<i64>, Option<Vec<u8>>) = self
            .conn
            .prepare_cached(DEAL_SQL)?
            .query_row([key.as_slice()], |r| {
                // A non-blob pubkey is corruption, reported below rather than as a type error.
                let pk = match r.get_ref(2)? {
                    ValueRef::Null => None,
                    v => Some(v.as_blob().map(<[u8]>::to_vec).unwrap_or_default()),
                };
                Ok((r.get(0)?, r.get(1)?, pk))
            })?;
        match (tier, author, pk) {
            (Some(t), _, _) => Ok(Some(DealFact::Paired(tier_of(t)?))),
            (None, None, _) => Ok(None),
            (None, Some(a), None) => Err(corrupt(format!(
                "rep_halves.author {a} of a held half does not exist"
            ))),
            (None, Some(_), Some(b)) => Ok(Some(DealFact::OneSided {
                author: pubkey(&b, "rep_keys.pubkey")?,
            })),
        }
    }

    /// [`StoreTx::rep_dir_deal`] of many deals: paired tiers by one `IN` probe per chunk, then
    /// the held halves of the rest the same way (≈ 4× cheaper per deal than one statement each).
    pub fn rep_dir_deals(&self, deals: &[DealKey]) -> Result<Vec<Option<DealFact>>, StoreError> {
        const CHUNK: usize = 500;
        let mut out: Vec<Option<DealFact>> = vec![None; deals.len()];
        let mut at: HashMap<[u8; 16], Vec<usize>> = HashMap::with_capacity(deals.len());
        for (i, d) in deals.iter().enumerate() {
            at.entry(d.to_bytes()).or_default().push(i);
        }
        let keys: Vec<[u8; 16]> = at.keys().copied().collect();
        let mut unpaired: Vec<[u8; 16]> = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let sql = format!(
                "SELECT deal, tier FROM rep_deals WHERE deal IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(
                chunk.iter().map(|k| k.as_slice()),
            ))?;
            let mut paired: HashSet<[u8; 16]> = HashSet::with_capacity(chunk.len());
            while let Some(row) = rows.next()? {
                let k = deal_bytes(row.get_ref(0)?.as_blob().unwrap_or_default())?;
                let fact = DealFact::Paired(tier_of(row.get(1)?)?);
                for &i in at.get(&k).map(Vec::as_slice).unwrap_or_default() {
                    if let Some(o) = out.get_mut(i) {
                        *o = Some(fact);
                    }
                }
                paired.insert(k);
            }
            unpaired.extend(chunk.iter().filter(|k| !paired.contains(*k)));
        }
        for chunk in unpaired.chunks(CHUNK) {
            let sql = format!(
                "SELECT h.deal, h.author, k.pubkey FROM rep_halves h
                 LEFT JOIN rep_keys k ON k.id = h.author WHERE h.deal IN ({})",
                vec!["?"; chunk.len()].join(",")
            );
            let mut st = self.conn.prepare_cached(&sql)?;
            let mut rows = st.query(rusqlite::params_from_iter(
                chunk.iter().map(|k| k.as_slice()),
            ))?;
            while let Some(row) = rows.next()? {
                let k = deal_bytes(row.get_ref(0)?.as_blob().unwrap_or_default())?;
                let author: i64 = row.get(1)?;
                let pk = match row.get_ref(2)? {
                    ValueRef::Null => {
                        return Err(corrupt(format!(
                            "rep_halves.author {author} of a held half does not exist"
                        )));
                    }
                    v => pubkey(v.as_blob().unwrap_or_default(), "rep_keys.pubkey")?,
                };
                for &i in at.get(&k).map(Vec::as_slice).unwrap_or_default() {
                    if let Some(o) = out.get_mut(i) {
                        *o = Some(DealFact::OneSided { author: pk });
                    }
                }
            }
        }
        Ok(out)
    }

    /// The oldest event time seen for `pk`.
    pub fn rep_dir_first_seen(&self, pk: &PublicKey) -> Result<Option<u64>, StoreError> {
        let t: Option<Option<i64>> = self
            .conn
            .prepare_cached(FIRST_SEEN_SQL)?
            .query_row([pk.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        t.flatten()
            .map(|t| to_u64("rep_keys.first_seen", t))
            .transpose()
    }
}

impl Directory for StoreDirectory {
    fn node(&self, pk: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
        self.ask(|tx| tx.rep_dir_node(pk))
    }

    fn key(&self, id: NodeId) -> Result<Option<PublicKey>, ReputationError> {
        self.ask(|tx| tx.rep_dir_key(id))
    }

    fn deal(&self, deal: &DealKey) -> Result<Option<DealFact>, ReputationError> {
        self.ask(|tx| tx.rep_dir_deal(deal))
    }

    fn first_seen(&self, pk: &PublicKey) -> Result<Option<u64>, ReputationError> {
        self.ask(|tx| tx.rep_dir_first_seen(pk))
    }

    // The batch forms take the connection lock and open the read transaction once.

    fn nodes(&self, pks: &[PublicKey]) -> Result<Vec<Option<NodeId>>, ReputationError> {
        self.ask(|tx| pks.iter().map(|p| tx.rep_dir_node(p)).collect())
    }

    fn keys(&self, ids: &[NodeId]) -> Result<Vec<Option<PublicKey>>, ReputationError> {
        self.ask(|tx| ids.iter().map(|i| tx.rep_dir_key(*i)).collect())
    }

    fn deals(&self, deals: &[DealKey]) -> Result<Vec<Option<DealFact>>, ReputationError> {
        self.ask(|tx| tx.rep_dir_deals(deals))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::protocol::receipt::DealTier;
    use crate::reputation::graph::DealState;
    use crate::reputation::synth::{T0, receipt_pair, synth_key};
    use crate::reputation::{DealGraph, GraphChange, Params, RepInput, Reputation};
    use crate::store::rep::tests::{checkpoint_inputs, inputs, store};

    /// What a directory-mode engine's graph must hold after a list of changes, kept plainly:
    /// per-node (deals, met) counters and per-direction (deal count, met) edges. Applying a
    /// change checks it names only existing nodes or the next new one (`a` before `b`).
    #[derive(Debug, Default, Clone, PartialEq)]
    struct Model {
        stats: Vec<(u32, u32)>,
        edges: BTreeMap<(NodeId, NodeId), (u8, bool)>,
    }

    impl Model {
        fn of(changes: &[GraphChange]) -> Self {
            let mut m = Self::default();
            m.apply(changes);
            m
        }

        fn node(&mut self, x: NodeId) {
            let n = self.stats.len() as NodeId;
            assert!(x <= n, "node {x} skips ids (count {n})");
            if x == n {
                self.stats.push((0, 0));
            }
        }

        fn apply(&mut self, changes: &[GraphChange]) {
            for c in changes {
                match *c {
                    GraphChange::Pair { a, b, tier } => {
                        assert_ne!(tier, DealTier::OneSided);
                        self.node(a);
                        self.node(b);
                        let met = tier == DealTier::Met;
                        for (u, v) in [(a, b), (b, a)] {
                            let s = &mut self.stats[u as usize];
                            s.0 += 1;
                            s.1 += u32::from(met);
                            let e = self.edges.entry((u, v)).or_default();
                            e.0 = (e.0 + 1).min(127);
                            e.1 |= met;
                        }
                    }
                    GraphChange::Upgrade { a, b } => {
                        for (u, v) in [(a, b), (b, a)] {
                            self.stats[u as usize].1 += 1;
                            self.edges.get_mut(&(u, v)).expect("upgraded edge").1 = true;
                        }
                    }
                }
            }
        }

        /// Same nodes, counters and edges as the in-memory engine's graph.
        fn assert_is(&self, g: &DealGraph) {
            assert_eq!(self.stats.len(), g.node_count());
            assert_eq!(self.edges.len() / 2, g.edge_count());
            for x in 0..g.node_count() as NodeId {
                assert_eq!(self.stats[x as usize], g.deal_counts(x), "node {x}");
                let mut have: Vec<_> = g
                    .neighbors(x)
                    .map(|(y, m)| (y, (m.deals(), m.met())))
                    .collect();
                have.sort_unstable();
                let want: Vec<_> = self
                    .edges
                    .range((x, 0)..=(x, NodeId::MAX))
                    .map(|(&(_, y), &e)| (y, e))
                    .collect();
                assert_eq!(have, want, "row {x}");
            }
        }
    }

    fn is_dir_err<T>(r: Result<T, ReputationError>) -> bool {
        matches!(r, Err(ReputationError::Directory { .. }))
    }

    fn fact(s: Option<DealState<'_>>) -> Option<DealFact> {
        s.map(|s| match s {
            DealState::OneSided { author } => DealFact::OneSided { author: *author },
            DealState::Paired(t) => DealFact::Paired(t),
        })
    }

    fn deal_of(i: &RepInput) -> Option<DealKey> {
        match i {
            RepInput::Receipt(r) => Some(DealKey::of(&r.nego)),
            RepInput::Rating(r) => Some(DealKey::of(&r.nego)),
            _ => None,
        }
    }

    /// Every key's node id, every node's key, every first-seen time and every deal the inputs
    /// name: the directory answers as the in-memory engine does.
    fn assert_directory_is(
        dir: &StoreDirectory,
        live: &Reputation,
        keys: &[PublicKey],
        items: &[RepInput],
    ) {
        let g = live.graph();
        for k in keys {
            assert_eq!(dir.node(k).unwrap(), g.node(k), "{k}");
            assert_eq!(
                dir.first_seen(k).unwrap(),
                live.first_seen(k).unwrap(),
                "{k}"
            );
        }
        for x in 0..g.node_count() as NodeId {
            assert_eq!(dir.key(x).unwrap().as_ref(), g.key(x), "node {x}");
        }
        assert_eq!(dir.key(g.node_count() as NodeId).unwrap(), None);
        for d in items.iter().filter_map(deal_of) {
            assert_eq!(dir.deal(&d).unwrap(), fact(g.deal_by_key(&d)), "{d:?}");
        }
    }

    /// The store numbers nodes exactly as the in-memory engine interns them, and the changes it
    /// hands out (live per batch, or loaded from the rows) rebuild that engine's graph.
    #[test]
    fn store_node_ids_and_changes_match_the_in_memory_engine() {
        for seed in [1u64, 2, 3] {
            let (items, mut keys) = inputs(seed);
            keys.push(synth_key("lurker", 1));
            let tmp = tempfile::tempdir().unwrap();
            let st = built_store(&tmp);
            let mut live = Reputation::new(Params::default()).unwrap();
            let mut model = Model::default();
            let mut upgrades = 0;
            for chunk in items.chunks(97) {
                st.insert_events_rep_begin(&[]).unwrap();
                for i in chunk {
                    live.apply(i);
                }
                let changes = st.rep_commit(chunk).unwrap();
                upgrades += changes
                    .iter()
                    .filter(|c| matches!(c, GraphChange::Upgrade { .. }))
                    .count();
                model.apply(&changes);
                assert_eq!(model.stats.len(), live.graph().node_count());
            }
            assert!(upgrades > 0, "the fixture upgrades deals");
            model.assert_is(live.graph());
            let dir = StoreDirectory::new(Arc::clone(&st));
            assert_directory_is(&dir, &live, &keys, &items);
            // Loaded without a checkpoint: every deal in pairing order, final tiers.
            let parts = st.rep_load_graph().unwrap().expect("ready");
            assert_eq!(parts.checkpoint, None);
            assert_eq!(Model::of(&parts.changes), model);
            assert_eq!(st.rep_load_graph_rows().unwrap().expect("ready"), parts);
            assert!(!parts.ratings.is_empty() && !parts.follows.is_empty());
            // A rebuild from the same facts numbers the same way.
            let rebuilt = st.rep_rebuild(&items).unwrap();
            assert_eq!(Model::of(&rebuilt), model);
            assert_directory_is(&dir, &live, &keys, &items);
        }
    }

    /// With a checkpoint: the changes after it (new deals, upgrades of covered deals, new keys)
    /// replayed onto what it covers give the live graph, before and after more batches.
    #[test]
    fn checkpoint_tail_replays_onto_the_covered_changes() {
        let mut kinds = [0usize; 2];
        for seed in [5u64, 6, 7] {
            let (items, keys, third) = checkpoint_inputs(seed);
            let tmp = tempfile::tempdir().unwrap();
            let st = built_store(&tmp);
            let mut live = Reputation::new(Params::default()).unwrap();
            let mut all = Vec::new();
            let commit = |live: &mut Reputation, all: &mut Vec<GraphChange>, items: &[RepInput]| {
                for chunk in items.chunks(97) {
                    st.insert_events_rep_begin(&[]).unwrap();
                    for i in chunk {
                        live.apply(i);
                    }
                    all.extend(st.rep_commit(chunk).unwrap());
                }
            };
            commit(&mut live, &mut all, &items[..third]);
            let covered = st.rep_load_graph_rows().unwrap().expect("ready").changes;
            assert_eq!(Model::of(&covered), Model::of(&all));
            st.rep_checkpoint_save(b"graph checkpoint").unwrap();
            for (from, to) in [(third, 2 * third), (2 * third, items.len())] {
                commit(&mut live, &mut all, &items[from..to]);
                let parts = st.rep_load_graph().unwrap().expect("ready");
                assert_eq!(parts.checkpoint.as_deref(), Some(&b"graph checkpoint"[..]));
                let mut upgrades_last = true;
                for c in parts.changes.iter().rev() {
                    match c {
                        GraphChange::Pair { .. } => {
                            kinds[0] += 1;
                            upgrades_last = false;
                        }
                        GraphChange::Upgrade { .. } => {
                            kinds[1] += 1;
                            assert!(upgrades_last, "pairs first, then upgrades");
                        }
                    }
                }
                let mut m = Model::of(&covered);
                m.apply(&parts.changes);
                m.assert_is(live.graph());
                assert_eq!(m, Model::of(&all));
                let rows = st.rep_load_graph_rows().unwrap().expect("ready");
                assert_eq!(rows.checkpoint, None);
                Model::of(&rows.changes).assert_is(live.graph());
                assert_eq!((rows.ratings, rows.follows), (parts.ratings, parts.follows));
            }
            assert!(live.graph().node(&synth_key("newcomer", seed)).is_some());
            assert_directory_is(&StoreDirectory::new(Arc::clone(&st)), &live, &keys, &items);
        }
        assert!(
            kinds.iter().all(|n| *n > 0),
            "the tail has pairs and upgrades: {kinds:?}"
        );
    }

    /// `deal()` for each state a deal can be in, against the in-memory graph.
    #[test]
    fn directory_answers_paired_one_sided_upgraded_and_unknown_deals() {
        let (ka, kb, kc) = (synth_key("a", 1), synth_key("b", 1), synth_key("c", 1));
        let proven = receipt_pair(ka, kb, 1, DealTier::Proven);
        let met = receipt_pair(kb, kc, 2, DealTier::Met);
        let upgraded = receipt_pair(ka, kc, 3, DealTier::Proven);
        let upgraded_meet = receipt_pair(ka, kc, 3, DealTier::Met);
        // Proven, then one meet half only: held to upgrade, the deal still answers as proven.
        let waiting = receipt_pair(kb, ka, 4, DealTier::Proven);
        let waiting_meet = receipt_pair(kb, ka, 4, DealTier::Met);
        let one_sided = receipt_pair(kc, ka, 5, DealTier::Met);
        let unknown = receipt_pair(kc, kb, 6, DealTier::Met);
        let items: Vec<RepInput> = [
            proven.0.clone(),
            proven.1.clone(),
            met.1.clone(),
            met.0.clone(),
            upgraded.0.clone(),
            upgraded.1.clone(),
            upgraded_meet.1.clone(),
            upgraded_meet.0.clone(),
            waiting.0.clone(),
            waiting.1.clone(),
            waiting_meet.1.clone(),
            one_sided.1.clone(),
        ]
        .into_iter()
        .map(RepInput::Receipt)
        .collect();
        let tmp = tempfile::tempdir().unwrap();
        let st = Arc::new(store(&tmp));
        let changes = st.rep_rebuild(&items).unwrap();
        let mut live = Reputation::new(Params::default()).unwrap();
        for i in &items {
            live.apply(i);
        }
        // `proven` pairs first, completed by `kb`'s half.
        let (na, nb, nc) = (1, 0, 2);
        assert_eq!(
            changes,
            vec![
                GraphChange::Pair {
                    a: nb,
                    b: na,
                    tier: DealTier::Proven
                },
                GraphChange::Pair {
                    a: nb,
                    b: nc,
                    tier: DealTier::Met
                },
                GraphChange::Pair {
                    a: nc,
                    b: na,
                    tier: DealTier::Proven
                },
                GraphChange::Upgrade { a: nc, b: na },
                GraphChange::Pair {
                    a: na,
                    b: nb,
                    tier: DealTier::Proven
                },
            ],
            "the completing half's author first, then its peer"
        );
        let dir = StoreDirectory::new(Arc::clone(&st));
        let d = |r: &(crate::protocol::receipt::Receipt, _)| DealKey::of(&r.0.nego);
        let want = [
            (d(&proven), Some(DealFact::Paired(DealTier::Proven))),
            (d(&met), Some(DealFact::Paired(DealTier::Met))),
            (d(&upgraded), Some(DealFact::Paired(DealTier::Met))),
            (d(&waiting), Some(DealFact::Paired(DealTier::Proven))),
            (d(&one_sided), Some(DealFact::OneSided { author: ka })),
            (d(&unknown), None),
        ];
        for (k, fact_want) in want {
            assert_eq!(dir.deal(&k).unwrap(), fact_want, "{k:?}");
            assert_eq!(fact(live.graph().deal_by_key(&k)), fact_want, "{k:?}");
        }
        // The batch forms answer the same, in order, repeated keys included, across the
        // `IN` chunks (more than 500 keys).
        let mut many: Vec<DealKey> = Vec::new();
        for i in 0..1_200u64 {
            many.push(want[(i % 6) as usize].0);
            many.push(DealKey::of(&crate::reputation::synth::synth_nego(
                kc,
                kb,
                1_000 + i,
            )));
        }
        let batch = dir.deals(&many).unwrap();
        assert_eq!(batch.len(), many.len());
        for (k, f) in many.iter().zip(&batch) {
            assert_eq!(*f, dir.deal(k).unwrap(), "{k:?}");
        }
        assert_eq!(
            dir.nodes(&[ka, kb, kc, synth_key("none", 1)]).unwrap(),
            vec![Some(na), Some(nb), Some(nc), None]
        );
        assert_eq!(
            dir.keys(&[nb, 7, na]).unwrap(),
            vec![Some(kb), None, Some(ka)]
        );
        assert_directory_is(&dir, &live, &[ka, kb, kc], &items);
        assert_eq!(dir.first_seen(&ka).unwrap(), Some(T0 + 1));
    }

    /// Directory answers cached between screenings never outlive a committed batch: a rating
    /// whose deal was unknown becomes a one-sided reliability report as soon as the rater's
    /// half is committed and applied, though nothing in the graph changed.
    #[test]
    fn cached_lookups_end_with_the_next_applied_batch() {
        let (v, r, s) = (synth_key("cv", 1), synth_key("cr", 1), synth_key("cs", 1));
        let tmp = tempfile::tempdir().unwrap();
        let st = Arc::new(store(&tmp));
        let dir: Arc<dyn Directory> = Arc::new(StoreDirectory::new(Arc::clone(&st)));
        let mut ext = Reputation::with_directory(Params::default(), dir).unwrap();
        let mut mem = Reputation::new(Params::default()).unwrap();
        let commit = |items: Vec<RepInput>, ext: &mut Reputation, mem: &mut Reputation| {
            let changes = st.rep_commit(&items).unwrap();
            for i in &items {
                ext.apply(i);
                mem.apply(i);
            }
            ext.apply_changes(&changes).unwrap();
        };
        let (vr1, vr2) = receipt_pair(v, r, 1, DealTier::Met);
        let (rs1, _) = receipt_pair(r, s, 2, DealTier::Met);
        let no_show = crate::reputation::synth::rating(r, s, rs1.nego.clone(), true, false, T0 + 9);
        commit(
            vec![
                RepInput::Receipt(vr1),
                RepInput::Receipt(vr2),
                RepInput::Rating(no_show),
            ],
            &mut ext,
            &mut mem,
        );
        let screen = |e: &Reputation| {
            let t = e.trust_map(&v).unwrap();
            e.screen(&t, &s, T0 + 86_400, true).unwrap()
        };
        let before = screen(&ext);
        assert_eq!(before, screen(&mem));
        assert!(!before.reliability.flagged, "no deal behind the rating yet");
        assert_eq!(screen(&ext), before, "served from the cache, same answer");
        // Only a held half arrives: no graph change, but the deal is now known.
        commit(vec![RepInput::Receipt(rs1)], &mut ext, &mut mem);
        let after = screen(&ext);
        assert_eq!(after, screen(&mem));
        assert!(after.reliability.flagged, "{after:?}");
    }

    /// Damaged rows are errors from the directory and the loads, never panics or wrong answers.
    #[test]
    fn corrupt_node_ids_keys_and_deals_are_reported_not_panicked_on() {
        let (items, keys) = inputs(4);
        let tmp = tempfile::tempdir().unwrap();
        let st = Arc::new(store(&tmp));
        let dir = StoreDirectory::new(Arc::clone(&st));
        let exec = |sql: &str| st.transaction(|tx| Ok(tx.conn.execute(sql, [])?)).unwrap();
        let k0 = || {
            st.rebuild_for_test(&items);
            keys.iter()
                .copied()
                .find(|k| dir.node(k).unwrap() == Some(0))
                .expect("node 0")
        };
        // Node ids that are not node ids.
        for bad in [
            "UPDATE rep_keys SET node = -5 WHERE node = 0",
            "UPDATE rep_keys SET node = 4294967295 WHERE node = 0",
            "UPDATE rep_keys SET node = 'zero' WHERE node = 0",
            "UPDATE rep_keys SET node = 0.5 WHERE node = 0",
        ] {
            let k = k0();
            assert_eq!(exec(bad), 1, "{bad}");
            assert!(is_dir_err(dir.node(&k)), "{bad}");
            assert!(st.rep_load_graph().is_err(), "{bad}");
            assert!(st.rep_load_graph_rows().is_err(), "{bad}");
            // A checkpoint before every deal: the tail names the node.
            st.rep_checkpoint_save(b"ck").unwrap();
            exec("UPDATE rep_checkpoint SET deal_seq = 0");
            assert!(st.rep_load_graph().is_err(), "{bad}: in the tail");
        }
        // A party of a paired deal without a node id.
        k0();
        assert_eq!(exec("UPDATE rep_keys SET node = NULL WHERE node = 0"), 1);
        assert!(matches!(
            st.rep_load_graph(),
            Err(StoreError::Corrupt { .. })
        ));
        // A key that is not 32 bytes.
        for bad in [
            "UPDATE rep_keys SET pubkey = x'00' WHERE node = 0",
            "UPDATE rep_keys SET pubkey = 'text' WHERE node = 0",
        ] {
            k0();
            assert_eq!(exec(bad), 1, "{bad}");
            assert!(is_dir_err(dir.key(0)), "{bad}");
        }
        // Deals: a bad tier, a held half whose author row is gone or damaged.
        k0();
        let paired = items
            .iter()
            .filter_map(deal_of)
            .find(|d| matches!(dir.deal(d).unwrap(), Some(DealFact::Paired(_))));
        let one_sided = items
            .iter()
            .filter_map(deal_of)
            .find(|d| matches!(dir.deal(d).unwrap(), Some(DealFact::OneSided { .. })));
        let (paired, one_sided) = (
            paired.expect("a paired deal"),
            one_sided.expect("a one-sided deal"),
        );
        exec("UPDATE rep_deals SET tier = 7");
        assert!(is_dir_err(dir.deal(&paired)));
        exec("UPDATE rep_halves SET author = 999999");
        assert!(is_dir_err(dir.deal(&one_sided)));
        k0();
        exec(
            "UPDATE rep_keys SET pubkey = substr(pubkey, 1, 31) WHERE id IN (SELECT author FROM rep_halves)",
        );
        assert!(is_dir_err(dir.deal(&one_sided)));
        // A negative first-seen time.
        let k = k0();
        exec("UPDATE rep_keys SET first_seen = -1");
        assert!(is_dir_err(dir.first_seen(&k)));
    }

    impl Store {
        fn rebuild_for_test(&self, items: &[RepInput]) {
            self.rep_rebuild(items).unwrap();
        }
    }

    // ---- Directory-mode engines against the in-memory engine --------------------------------

    /// A store whose (empty) projection is built, so batches project into it.
    fn built_store(tmp: &tempfile::TempDir) -> Arc<Store> {
        let st = Arc::new(store(tmp));
        st.rep_rebuild(&[]).unwrap();
        st
    }

    fn dir_engine(st: &Arc<Store>) -> Reputation {
        Reputation::with_directory(
            Params::default(),
            Arc::new(StoreDirectory::new(Arc::clone(st))),
        )
        .unwrap()
    }

    fn load(st: &Arc<Store>, parts: crate::reputation::GraphParts) -> Reputation {
        Reputation::from_graph_parts(
            Params::default(),
            Arc::new(StoreDirectory::new(Arc::clone(st))),
            parts,
        )
        .unwrap()
    }

    /// Feeds `items` in batches of 97, as the ingest loop writes them: to the in-memory engine
    /// (`apply`), to the store (`rep_commit`), and to every directory-mode engine (the batch's
    /// changes, then `apply` for ratings and follow lists).
    fn feed(st: &Store, mem: &mut Reputation, dirs: &mut [&mut Reputation], items: &[RepInput]) {
        for chunk in items.chunks(97) {
            st.insert_events_rep_begin(&[]).unwrap();
            for i in chunk {
                mem.apply(i);
            }
            let changes = st.rep_commit(chunk).unwrap();
            for d in dirs.iter_mut() {
                d.apply_changes(&changes).unwrap();
                for i in chunk {
                    d.apply(i);
                }
            }
        }
    }

    /// `d` (directory mode) holds the same graph, node numbering, ratings, follow lists and
    /// first-seen times as `mem` (memory mode), and screens every sampled viewer/subject pair
    /// to the same `Screening` (exact `==`, floats included).
    fn assert_same(mem: &Reputation, d: &Reputation, keys: &[PublicKey]) {
        assert!(!mem.has_directory() && d.has_directory());
        let (g, h) = (mem.graph(), d.graph());
        assert_eq!(g.node_count(), h.node_count());
        assert_eq!(g.edge_count(), h.edge_count());
        for x in 0..g.node_count() as NodeId {
            assert_eq!(mem.key_of(x).unwrap(), d.key_of(x).unwrap(), "node {x}");
            assert_eq!(g.deal_counts(x), h.deal_counts(x), "node {x}");
            let a: Vec<_> = g.neighbors(x).collect();
            let b: Vec<_> = h.neighbors(x).collect();
            assert_eq!(a, b, "row {x}");
        }
        assert_eq!(d.key_of(g.node_count() as NodeId).unwrap(), None);
        assert_eq!(mem.ratings().len(), d.ratings().len());
        for k in keys {
            assert_eq!(mem.node_of(k).unwrap(), d.node_of(k).unwrap(), "{k}");
            assert_eq!(mem.first_seen(k).unwrap(), d.first_seen(k).unwrap(), "{k}");
            assert_eq!(mem.follows_of(k), d.follows_of(k), "{k}");
        }
        let (mut rated, mut connected, mut flagged) = (0, 0, 0);
        for v in (0..keys.len()).step_by(37) {
            let (tm, td) = (
                mem.trust_map(&keys[v]).unwrap(),
                d.trust_map(&keys[v]).unwrap(),
            );
            // The same rings, flags and flows, node by node (exact floats).
            let entries = |t: &crate::reputation::TrustMap| -> Vec<_> {
                t.iter().map(|(x, e)| (x, *e, t.key(x).copied())).collect()
            };
            let want = entries(&tm);
            assert_eq!(entries(&td), want, "viewer {v}");
            flagged += want.iter().filter(|e| e.1.flagged).count();
            for s in (0..keys.len()).step_by(11) {
                let want = mem.screen(&tm, &keys[s], T0 + 86_400, true).unwrap();
                assert_eq!(
                    want,
                    d.screen(&td, &keys[s], T0 + 86_400, true).unwrap(),
                    "viewer {v} subject {s}"
                );
                rated += usize::from(want.weight_total > want.unreachable_weight);
                connected += usize::from(!want.path.is_empty());
            }
        }
        assert!(
            rated > 0 && connected > 10 && flagged > 0,
            "the sample screens through the network: {rated} rated, {connected} connected, \
             {flagged} keys flagged on the way"
        );
    }

    fn compacted(r: &Reputation) -> Reputation {
        let mut r = r.clone();
        r.compact();
        r
    }

    /// The in-memory engine versus a directory-mode engine fed the store's changes live, and
    /// versus one loaded from the rows: same graph, ids, first-seen times and screenings.
    #[test]
    fn directory_engines_live_and_loaded_screen_identically_to_the_in_memory_one() {
        for seed in [1u64, 2, 3] {
            let (items, mut keys) = inputs(seed);
            keys.push(synth_key("lurker", 1));
            let tmp = tempfile::tempdir().unwrap();
            let st = built_store(&tmp);
            let mut mem = Reputation::new(Params::default()).unwrap();
            let mut live = dir_engine(&st);
            feed(&st, &mut mem, &mut [&mut live], &items);
            // Same inserts in the same order: the same deltas and compactions, uncompacted too.
            assert_same(&mem, &live, &keys);
            let loaded = load(&st, st.rep_load_graph().unwrap().expect("ready"));
            let mem = compacted(&mem);
            assert_same(&mem, &loaded, &keys);
            assert_same(&mem, &compacted(&live), &keys);
        }
    }

    /// Graph checkpoint after the first third, more batches after it (new deals, upgrades of
    /// checkpointed deals, new keys), load from checkpoint + tail and from rows, then keep
    /// feeding: loaded == live == in-memory at every step.
    #[test]
    fn graph_checkpoint_plus_tail_loads_identically_and_stays_identical() {
        let mut kinds = [0usize; 2];
        for seed in [5u64, 6, 7] {
            let (items, mut keys, third) = checkpoint_inputs(seed);
            keys.push(synth_key("newcomer", seed));
            let tmp = tempfile::tempdir().unwrap();
            let st = built_store(&tmp);
            let mut mem = Reputation::new(Params::default()).unwrap();
            let mut live = dir_engine(&st);
            feed(&st, &mut mem, &mut [&mut live], &items[..third]);
            let data = live.clone().graph_checkpoint().unwrap();
            st.rep_checkpoint_save(&data).unwrap();
            assert_eq!(st.read(|tx| tx.rep_checkpoint_lag()).unwrap().0, Some(0));
            feed(&st, &mut mem, &mut [&mut live], &items[third..2 * third]);
            let parts = st.rep_load_graph().unwrap().expect("ready");
            assert_eq!(parts.checkpoint.as_deref(), Some(data.as_slice()));
            for c in &parts.changes {
                match c {
                    GraphChange::Pair { .. } => kinds[0] += 1,
                    GraphChange::Upgrade { .. } => kinds[1] += 1,
                }
            }
            let mut loaded = load(&st, parts);
            let rows = load(&st, st.rep_load_graph_rows().unwrap().expect("ready"));
            let now = compacted(&mem);
            assert_same(&now, &compacted(&loaded), &keys);
            assert_same(&now, &rows, &keys);
            assert_same(&now, &compacted(&live), &keys);
            // Incremental updates after the load (pairs, upgrades, a new key, ratings).
            feed(
                &st,
                &mut mem,
                &mut [&mut live, &mut loaded],
                &items[2 * third..],
            );
            assert!(mem.graph().node(&synth_key("newcomer", seed)).is_some());
            assert_same(&mem, &live, &keys);
            let mem = compacted(&mem);
            assert_same(&mem, &compacted(&loaded), &keys);
            assert_same(&mem, &compacted(&live), &keys);
        }
        assert!(
            kinds.iter().all(|n| *n > 0),
            "the tail replays pairs and upgrades: {kinds:?}"
        );
    }

    #[test]
    fn a_corrupt_graph_checkpoint_is_refused_and_the_rows_load_instead() {
        let (items, keys) = inputs(8);
        let tmp = tempfile::tempdir().unwrap();
        let st = built_store(&tmp);
        let mut mem = Reputation::new(Params::default()).unwrap();
        let mut live = dir_engine(&st);
        feed(&st, &mut mem, &mut [&mut live], &items);
        let good = live.graph_checkpoint().unwrap();
        let mem = compacted(&mem);
        let damage = [
            "UPDATE rep_checkpoint SET data = substr(data, 1, length(data) - 9)",
            "UPDATE rep_checkpoint SET data = x'00'",
            "UPDATE rep_checkpoint SET data = zeroblob(4096)",
            "UPDATE rep_checkpoint SET data = 'text, not a blob'",
            "FLIP",
            "OLD FORMAT",
        ];
        for sql in damage {
            st.rep_checkpoint_save(&good).unwrap();
            match sql {
                "FLIP" => {
                    let mut bad = good.clone();
                    bad[100] ^= 0x10;
                    st.rep_checkpoint_save(&bad).unwrap();
                }
                // A v8 build's blob, had it survived the migration.
                "OLD FORMAT" => st
                    .rep_checkpoint_save(&crate::reputation::v8_checkpoint())
                    .unwrap(),
                _ => {
                    st.transaction(|tx| Ok(tx.conn.execute(sql, [])?)).unwrap();
                }
            }
            let parts = st.rep_load_graph().unwrap().expect("ready");
            assert!(parts.checkpoint.is_some());
            assert!(
                matches!(
                    Reputation::from_graph_parts(
                        Params::default(),
                        Arc::new(StoreDirectory::new(Arc::clone(&st))),
                        parts
                    ),
                    Err(ReputationError::InvalidCheckpoint { .. })
                ),
                "{sql}"
            );
            let rows = load(&st, st.rep_load_graph_rows().unwrap().expect("ready"));
            assert_same(&mem, &rows, &keys);
        }
    }

    /// A damaged row met while screening fails the screening with a directory error: nothing is
    /// computed from partial data, nothing panics.
    #[test]
    fn a_directory_error_fails_the_screening_not_the_process() {
        let (items, keys) = inputs(9);
        let tmp = tempfile::tempdir().unwrap();
        let st = built_store(&tmp);
        let mut mem = Reputation::new(Params::default()).unwrap();
        let mut live = dir_engine(&st);
        feed(&st, &mut mem, &mut [&mut live], &items);
        let viewer = keys[0];
        let tm = live.trust_map(&viewer).unwrap();
        let subject = keys
            .iter()
            .copied()
            .find(|k| live.screen(&tm, k, T0, false).unwrap().weight_total > 0.0)
            .expect("a rated subject");
        st.transaction(|tx| {
            Ok(tx
                .conn
                .execute("UPDATE rep_keys SET node = 'x' || node", [])?)
        })
        .unwrap();
        // Rows changed behind the engine's back (not a committed batch): answers cached by the
        // screenings above would hide it, so look with a copy, which starts with no cache.
        let live = live.clone();
        assert!(is_dir_err(live.trust_map(&viewer)));
        assert!(is_dir_err(live.screen(&tm, &subject, T0, true)));
        assert!(is_dir_err(live.node_of(&viewer)));
    }

    /// Every lookup is a point lookup: no statement scans a table.
    #[test]
    fn every_lookup_uses_an_index() {
        let tmp = tempfile::tempdir().unwrap();
        let st = store(&tmp);
        for sql in [
            NODE_SQL,
            KEY_SQL,
            FIRST_SEEN_SQL,
            DEAL_SQL,
            "SELECT deal, tier FROM rep_deals WHERE deal IN (?1, ?1)",
            "SELECT h.deal, h.author, k.pubkey FROM rep_halves h
             LEFT JOIN rep_keys k ON k.id = h.author WHERE h.deal IN (?1, ?1)",
        ] {
            let plan = st
                .read(|tx| {
                    let mut q = tx.conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                    let rows = q.query_map([0], |r| r.get::<_, String>(3))?;
                    Ok(rows.collect::<Result<Vec<_>, _>>()?.join("; "))
                })
                .unwrap();
            assert!(!plan.contains("SCAN rep_"), "{sql}: {plan}");
            assert!(plan.contains("USING"), "{sql}: {plan}");
        }
    }

    /// Rough cost of one lookup of each kind:
    /// `cargo test -p freeport-core --lib directory_lookup_timing -- --ignored --nocapture`
    /// (add `--config 'profile.dev.package.freeport-core.opt-level=2'` for optimised numbers;
    /// SQLite itself is always optimised). Measured 30k keys / 81k deals, optimised: node 3.9,
    /// key 2.8, deal 5.6 (unknown 3.0), first_seen 3.8 µs; ≈ 1.8 µs of each is the statement
    /// itself (the same `node` lookups inside one read transaction), the rest the lock and the
    /// read transaction around it.
    #[test]
    #[ignore]
    fn directory_lookup_timing() {
        use std::time::Instant;
        let hg = crate::reputation::synth::honest_graph(30_000, 20, 6, 1);
        let mut items = Vec::new();
        for &(a, b, tier, d) in &hg.edges {
            let (x, y) = receipt_pair(hg.keys[a as usize], hg.keys[b as usize], d, tier);
            items.push(RepInput::Receipt(x));
            if d % 10 != 0 {
                items.push(RepInput::Receipt(y));
            }
        }
        let tmp = tempfile::tempdir().unwrap();
        let st = Arc::new(store(&tmp));
        let t = Instant::now();
        let changes = st.rep_rebuild(&items).unwrap();
        eprintln!(
            "{} keys, {} deals paired: rebuild {:?}",
            hg.keys.len(),
            changes.len(),
            t.elapsed()
        );
        let dir = StoreDirectory::new(Arc::clone(&st));
        let deals: Vec<DealKey> = items.iter().filter_map(deal_of).collect();
        let n = 20_000usize;
        let time = |what: &str, f: &mut dyn FnMut(usize)| {
            let t = Instant::now();
            for i in 0..n {
                f(i);
            }
            eprintln!(
                "{what}: {:.2} µs per lookup",
                t.elapsed().as_secs_f64() * 1e6 / n as f64
            );
        };
        let nk = hg.keys.len();
        time("node(pk)", &mut |i| {
            dir.node(&hg.keys[(i * 7919) % nk]).unwrap();
        });
        time("key(id)", &mut |i| {
            assert!(dir.key(((i * 7919) % nk) as NodeId).unwrap().is_some());
        });
        time("deal(key)", &mut |i| {
            assert!(
                dir.deal(&deals[(i * 7919) % deals.len()])
                    .unwrap()
                    .is_some()
            );
        });
        time("first_seen(pk)", &mut |i| {
            dir.first_seen(&hg.keys[(i * 7919) % nk]).unwrap();
        });
        // The same lookups inside one read transaction: what the per-lookup BEGIN/COMMIT costs.
        let t = Instant::now();
        st.read(|tx| {
            for i in 0..n {
                tx.rep_dir_node(&hg.keys[(i * 7919) % nk])?;
            }
            Ok(())
        })
        .unwrap();
        eprintln!(
            "  node(pk) in one transaction: {:.2} µs per lookup",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        time("deal(key), unknown", &mut |i| {
            assert!(
                dir.deal(&DealKey::from_bytes([(i % 251) as u8; 16]))
                    .unwrap()
                    .is_none()
            );
        });
    }
}
