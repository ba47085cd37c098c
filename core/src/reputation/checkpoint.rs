//! Checkpoint: the engine's graph part (keys, key index, per-node counters and first-seen
//! times, CSR adjacency, deal index, first-seen times of keys outside the graph) as one byte
//! string, so a cold start reads one blob instead of a million rows and rebuilds nothing.
//!
//! Pure: bytes in, bytes out (`store::rep` persists them with the row positions they cover).
//! Decoding validates everything it relies on — exact length, a checksum over the whole string,
//! the key index is a permutation with strictly increasing keys, offsets are monotone and end at
//! the entry count, every neighbour id is a node and every row is strictly sorted, deal keys are
//! strictly increasing — and refuses with [`ReputationError::InvalidCheckpoint`] otherwise; the
//! caller then loads the rows instead.
//!
//! Layout (little-endian): magic `FPREPCK1`; `n` keys, `m` adjacency entries, `d` deals, `s`
//! other keys (u32 each); edges, generation (u64 each); keys (32·n); key index (4·n); stats
//! (8·n); first-seen (8·n); offsets (4·(n+1)); neighbours (4·m); edge meta (m); deal keys
//! (16·d); met bits (8·⌈d/64⌉); other keys with first-seen (40·s); checksum (8).

use std::collections::HashMap;

use nostr::PublicKey;

use super::graph::{DealGraph, DealKey, EdgeMeta, NodeId, NodeStats};
use super::index::{DealIndex, KeyIndex};
use super::{Params, Reputation, ReputationError};
use crate::protocol::receipt::DealTier;

const MAGIC: &[u8; 8] = b"FPREPCK1";

fn err(section: &'static str, rule: impl Into<String>) -> ReputationError {
    ReputationError::InvalidCheckpoint {
        section,
        rule: rule.into(),
    }
}

/// FNV-style 64-bit checksum over 8-byte words (detects truncation, bit rot and torn writes;
/// not a MAC — whoever can write the database can write anything).
fn checksum(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut words = b.chunks_exact(8);
    for w in &mut words {
        let mut a = [0u8; 8];
        a.copy_from_slice(w);
        h = (h ^ u64::from_le_bytes(a)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &x in words.remainder() {
        h = (h ^ u64::from(x)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^ b.len() as u64
}

/// A bounds-checked reader over the checkpoint bytes.
struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, section: &'static str, n: usize) -> Result<&'a [u8], ReputationError> {
        if self.b.len() < n {
            return Err(err(
                section,
                format!("needs {n} bytes, {} left", self.b.len()),
            ));
        }
        let (head, rest) = self.b.split_at(n);
        self.b = rest;
        Ok(head)
    }

    fn u32(&mut self, section: &'static str) -> Result<u32, ReputationError> {
        let mut a = [0u8; 4];
        a.copy_from_slice(self.take(section, 4)?);
        Ok(u32::from_le_bytes(a))
    }

    fn u64(&mut self, section: &'static str) -> Result<u64, ReputationError> {
        let mut a = [0u8; 8];
        a.copy_from_slice(self.take(section, 8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn array(
        &mut self,
        section: &'static str,
        count: usize,
        width: usize,
    ) -> Result<&'a [u8], ReputationError> {
        let n = count
            .checked_mul(width)
            .ok_or_else(|| err(section, "size overflows"))?;
        self.take(section, n)
    }
}

fn u32s(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn u64s(b: &[u8]) -> Vec<u64> {
    b.chunks_exact(8)
        .map(|c| {
            let mut a = [0u8; 8];
            a.copy_from_slice(c);
            u64::from_le_bytes(a)
        })
        .collect()
}

fn key32(c: &[u8]) -> PublicKey {
    let mut a = [0u8; 32];
    a.copy_from_slice(c);
    PublicKey::from_byte_array(a)
}

fn count(section: &'static str, n: usize) -> Result<u32, ReputationError> {
    u32::try_from(n).map_err(|_| err(section, format!("{n} entries do not fit in 32 bits")))
}

impl Reputation {
    /// The checkpoint of the graph part (compacts the graph and merges its indexes first). The
    /// ratings, held halves and follow lists are not included: they stay rows.
    pub fn checkpoint(&mut self) -> Result<Vec<u8>, ReputationError> {
        if self.dir.is_some() {
            return Err(err(
                "magic",
                "a directory-mode engine writes a graph checkpoint",
            ));
        }
        self.graph.compact_all();
        self.sync_nodes();
        let g = &self.graph;
        let n = g.keys.len();
        let m = g.nbrs.len();
        let (deal_keys, met) = g.paired.sorted();
        let d = deal_keys.len();
        let s = self.seen_other.len();
        let mut out = Vec::with_capacity(64 + n * 56 + m * 5 + d * 16 + met.len() * 8 + s * 40 + 8);
        out.extend_from_slice(MAGIC);
        for (section, v) in [("keys", n), ("adjacency", m), ("deals", d), ("other", s)] {
            out.extend_from_slice(&count(section, v)?.to_le_bytes());
        }
        out.extend_from_slice(&(g.edges as u64).to_le_bytes());
        out.extend_from_slice(&g.generation.to_le_bytes());
        for k in &g.keys {
            out.extend_from_slice(k.as_bytes());
        }
        for id in g.index.sorted() {
            out.extend_from_slice(&id.to_le_bytes());
        }
        for st in &g.stats {
            out.extend_from_slice(&st.deals.to_le_bytes());
            out.extend_from_slice(&st.met.to_le_bytes());
        }
        for t in &self.first_seen {
            out.extend_from_slice(&t.to_le_bytes());
        }
        for o in &g.offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        for y in &g.nbrs {
            out.extend_from_slice(&y.to_le_bytes());
        }
        out.extend(g.meta.iter().map(|e| e.0));
        for k in deal_keys {
            out.extend_from_slice(&k.to_bytes());
        }
        for w in met {
            out.extend_from_slice(&w.to_le_bytes());
        }
        let mut other: Vec<(&PublicKey, &u64)> = self.seen_other.iter().collect();
        other.sort_unstable();
        for (k, t) in other {
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(&t.to_le_bytes());
        }
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(out)
    }

    /// An engine holding exactly the graph part of a checkpoint (no ratings, halves or follow
    /// lists). Refuses, with the section and the rule, anything malformed.
    pub fn from_checkpoint(params: Params, bytes: &[u8]) -> Result<Self, ReputationError> {
        let body_len = bytes
            .len()
            .checked_sub(8)
            .ok_or_else(|| err("checksum", "shorter than its checksum"))?;
        let (body, sum) = bytes.split_at(body_len);
        let mut a = [0u8; 8];
        a.copy_from_slice(sum);
        if checksum(body) != u64::from_le_bytes(a) {
            return Err(err("checksum", "does not match the contents"));
        }
        let mut r = Reader { b: body };
        if r.take("magic", 8)? != MAGIC {
            return Err(err("magic", "not a version-1 reputation checkpoint"));
        }
        let n = r.u32("header")? as usize;
        let m = r.u32("header")? as usize;
        let d = r.u32("header")? as usize;
        let s = r.u32("header")? as usize;
        let edges = r.u64("header")?;
        let generation = r.u64("header")?;
        if n >= NodeId::MAX as usize {
            return Err(err("header", format!("{n} keys is too many")));
        }
        if !m.is_multiple_of(2) || edges != (m / 2) as u64 {
            return Err(err(
                "header",
                format!("{edges} edges for {m} adjacency entries"),
            ));
        }
        let keys: Vec<PublicKey> = r
            .array("keys", n, 32)?
            .chunks_exact(32)
            .map(key32)
            .collect();
        let index = KeyIndex::from_sorted(&keys, u32s(r.array("index", n, 4)?))
            .map_err(|e| err("index", e))?;
        let stats: Vec<NodeStats> = u32s(r.array("stats", n, 8)?)
            .chunks_exact(2)
            .map(|c| NodeStats {
                deals: c[0],
                met: c[1],
            })
            .collect();
        let first_seen = u64s(r.array("first_seen", n, 8)?);
        let offsets = u32s(r.array("offsets", n + 1, 4)?);
        if offsets.first() != Some(&0)
            || offsets.last().map(|x| *x as usize) != Some(m)
            || offsets.windows(2).any(|w| w[0] > w[1])
        {
            return Err(err(
                "offsets",
                "must start at 0, never decrease and end at the entry count",
            ));
        }
        let nbrs = u32s(r.array("neighbours", m, 4)?);
        for (x, w) in offsets.windows(2).enumerate() {
            let row = nbrs
                .get(w[0] as usize..w[1] as usize)
                .ok_or_else(|| err("offsets", format!("row {x} is out of range")))?;
            if row.iter().any(|y| *y as usize >= n || *y as usize == x)
                || row.windows(2).any(|p| p[0] >= p[1])
            {
                return Err(err(
                    "neighbours",
                    format!("row {x} is not strictly sorted other nodes"),
                ));
            }
        }
        let meta: Vec<EdgeMeta> = r
            .array("meta", m, 1)?
            .iter()
            .map(|b| EdgeMeta(*b))
            .collect();
        let deal_keys: Vec<DealKey> = r
            .array("deal_keys", d, 16)?
            .chunks_exact(16)
            .map(|c| {
                let mut a = [0u8; 16];
                a.copy_from_slice(c);
                DealKey::from_bytes(a)
            })
            .collect();
        let met = u64s(r.array("deal_met", d.div_ceil(64), 8)?);
        let paired = DealIndex::from_sorted(deal_keys, met).map_err(|e| err("deal_keys", e))?;
        let mut seen_other = HashMap::with_capacity(s);
        for c in r.array("other", s, 40)?.chunks_exact(40) {
            let (k, t) = c.split_at(32);
            seen_other.insert(key32(k), u64s(t).first().copied().unwrap_or(u64::MAX));
        }
        if !r.b.is_empty() {
            return Err(err("trailer", format!("{} unexpected bytes", r.b.len())));
        }
        let mut rep = Reputation::new(params)?;
        rep.graph = DealGraph::from_checkpoint_parts(
            keys, index, stats, offsets, nbrs, meta, paired, edges, generation,
        );
        rep.first_seen = first_seen;
        rep.seen_other = seen_other;
        Ok(rep)
    }
}

const GRAPH_MAGIC: &[u8; 8] = b"FPREPGR1";

impl Reputation {
    /// The checkpoint of a directory-mode engine's graph (compacts it first): node counters and
    /// the CSR adjacency, nothing else — keys, deals and first-seen times stay in the
    /// directory's rows, ratings and follow lists are rows too.
    ///
    /// Layout (little-endian): magic `FPREPGR1`; `n` nodes, `m` adjacency entries (u32 each);
    /// edges, generation (u64 each); stats (8·n); offsets (4·(n+1)); neighbours (4·m); edge meta
    /// (m); checksum (8).
    pub fn graph_checkpoint(&mut self) -> Result<Vec<u8>, ReputationError> {
        if self.graph.holds_keys() {
            return Err(err(
                "magic",
                "an engine holding its own keys has no graph checkpoint",
            ));
        }
        self.graph.compact();
        let g = &self.graph;
        let (n, m) = (g.node_count(), g.nbrs.len());
        let mut out = Vec::with_capacity(48 + n * 12 + m * 5);
        out.extend_from_slice(GRAPH_MAGIC);
        out.extend_from_slice(&count("nodes", n)?.to_le_bytes());
        out.extend_from_slice(&count("adjacency", m)?.to_le_bytes());
        out.extend_from_slice(&(g.edges as u64).to_le_bytes());
        out.extend_from_slice(&g.generation.to_le_bytes());
        for st in &g.stats {
            out.extend_from_slice(&st.deals.to_le_bytes());
            out.extend_from_slice(&st.met.to_le_bytes());
        }
        for o in &g.offsets {
            out.extend_from_slice(&o.to_le_bytes());
        }
        for y in &g.nbrs {
            out.extend_from_slice(&y.to_le_bytes());
        }
        out.extend(g.meta.iter().map(|e| e.0));
        let sum = checksum(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        Ok(out)
    }

    /// A directory-mode engine holding exactly the graph of a [`Reputation::graph_checkpoint`].
    /// Refuses, with the section and the rule, anything malformed (length, checksum, magic,
    /// counts, offsets that decrease or overrun, rows that are not strictly sorted other nodes).
    pub fn from_graph_checkpoint(
        params: Params,
        dir: std::sync::Arc<dyn super::Directory>,
        bytes: &[u8],
    ) -> Result<Self, ReputationError> {
        let body_len = bytes
            .len()
            .checked_sub(8)
            .ok_or_else(|| err("checksum", "shorter than its checksum"))?;
        let (body, sum) = bytes.split_at(body_len);
        let mut a = [0u8; 8];
        a.copy_from_slice(sum);
        if checksum(body) != u64::from_le_bytes(a) {
            return Err(err("checksum", "does not match the contents"));
        }
        let mut r = Reader { b: body };
        if r.take("magic", 8)? != GRAPH_MAGIC {
            return Err(err("magic", "not a version-1 graph checkpoint"));
        }
        let n = r.u32("header")? as usize;
        let m = r.u32("header")? as usize;
        let edges = r.u64("header")?;
        let generation = r.u64("header")?;
        if n >= NodeId::MAX as usize {
            return Err(err("header", format!("{n} nodes is too many")));
        }
        if !m.is_multiple_of(2) || edges != (m / 2) as u64 {
            return Err(err(
                "header",
                format!("{edges} edges for {m} adjacency entries"),
            ));
        }
        let stats = read_stats(&mut r, n)?;
        let (offsets, nbrs, meta) = read_csr(&mut r, n, m)?;
        if !r.b.is_empty() {
            return Err(err("trailer", format!("{} unexpected bytes", r.b.len())));
        }
        let mut rep = Reputation::with_directory(params, dir)?;
        rep.graph = DealGraph::from_checkpoint_parts(
            Vec::new(),
            KeyIndex::default(),
            stats,
            offsets,
            nbrs,
            meta,
            DealIndex::default(),
            edges,
            generation,
        );
        Ok(rep)
    }
}

fn read_stats(r: &mut Reader<'_>, n: usize) -> Result<Vec<NodeStats>, ReputationError> {
    Ok(u32s(r.array("stats", n, 8)?)
        .chunks_exact(2)
        .map(|c| NodeStats {
            deals: c[0],
            met: c[1],
        })
        .collect())
}

/// Reads and checks CSR offsets, neighbours and edge meta of `n` nodes and `m` entries.
#[allow(clippy::type_complexity)]
fn read_csr(
    r: &mut Reader<'_>,
    n: usize,
    m: usize,
) -> Result<(Vec<u32>, Vec<NodeId>, Vec<EdgeMeta>), ReputationError> {
    let offsets = u32s(r.array("offsets", n + 1, 4)?);
    if offsets.first() != Some(&0)
        || offsets.last().map(|x| *x as usize) != Some(m)
        || offsets.windows(2).any(|w| w[0] > w[1])
    {
        return Err(err(
            "offsets",
            "must start at 0, never decrease and end at the entry count",
        ));
    }
    let nbrs = u32s(r.array("neighbours", m, 4)?);
    for (x, w) in offsets.windows(2).enumerate() {
        let row = nbrs
            .get(w[0] as usize..w[1] as usize)
            .ok_or_else(|| err("offsets", format!("row {x} is out of range")))?;
        if row.iter().any(|y| *y as usize >= n || *y as usize == x)
            || row.windows(2).any(|p| p[0] >= p[1])
        {
            return Err(err(
                "neighbours",
                format!("row {x} is not strictly sorted other nodes"),
            ));
        }
    }
    let meta: Vec<EdgeMeta> = r
        .array("meta", m, 1)?
        .iter()
        .map(|b| EdgeMeta(*b))
        .collect();
    Ok((offsets, nbrs, meta))
}

/// One change the store made after its checkpoint, replayed onto the checkpoint's engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepTail {
    /// A deal paired after the checkpoint (in pairing order): `a` authored the completing half.
    Pair {
        /// Completing half's author.
        a: PublicKey,
        /// Its counterparty.
        b: PublicKey,
        /// The deal key.
        key: DealKey,
        /// Final tier.
        tier: DealTier,
    },
    /// A deal paired before the checkpoint and upgraded to met after it.
    Upgrade {
        /// One party.
        a: PublicKey,
        /// The other.
        b: PublicKey,
        /// The deal key.
        key: DealKey,
    },
    /// A key's (new or older) first-seen time.
    Seen {
        /// The key.
        pubkey: PublicKey,
        /// Oldest event time.
        at: u64,
    },
}

impl Reputation {
    /// Replays the store's changes since the checkpoint: pairs in the given (pairing) order,
    /// upgrades and first-seen times. Refuses a pair the engine already holds.
    pub fn apply_tail(&mut self, tail: &[RepTail]) -> Result<(), ReputationError> {
        for (i, t) in tail.iter().enumerate() {
            match t {
                RepTail::Pair { a, b, key, tier } => {
                    self.graph.apply_pair(a, b, *key, *tier).map_err(|e| {
                        ReputationError::InvalidPart {
                            part: "tail",
                            index: i,
                            rule: e.to_string(),
                        }
                    })?;
                    self.sync_nodes();
                }
                RepTail::Upgrade { a, b, key } => {
                    self.graph.apply_upgrade(a, b, key);
                }
                RepTail::Seen { pubkey, at } => self.observe(*pubkey, *at),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reputation::synth::{self, T0, receipt_pair, synth_key};

    fn engine() -> (Reputation, Vec<PublicKey>) {
        let hg = synth::honest_graph(400, 20, 6, 3);
        let mut rep = Reputation::new(Params::default()).unwrap();
        for &(a, b, tier, d) in &hg.edges {
            let (ka, kb) = (hg.keys[a as usize], hg.keys[b as usize]);
            let (x, y) = receipt_pair(ka, kb, d, tier);
            rep.insert_receipt(&x).unwrap();
            rep.insert_receipt(&y).unwrap();
            let _ = rep.insert_rating(synth::rating(kb, ka, x.nego, d % 4 != 0, true, T0 + 9));
        }
        rep.observe(synth_key("lurker", 1), T0 - 500);
        (rep, hg.keys)
    }

    /// Re-seals `b` with a valid checksum, so the structural checks are what refuse it.
    fn reseal(b: &mut Vec<u8>) {
        b.truncate(b.len() - 8);
        let s = checksum(b);
        b.extend_from_slice(&s.to_le_bytes());
    }

    fn section(e: Result<Reputation, ReputationError>) -> &'static str {
        match e {
            Err(ReputationError::InvalidCheckpoint { section, .. }) => section,
            other => panic!("expected InvalidCheckpoint, got {other:?}"),
        }
    }

    #[test]
    fn round_trip_keeps_the_graph_and_first_seen_times() {
        let (mut rep, keys) = engine();
        let bytes = rep.checkpoint().unwrap();
        let back = Reputation::from_checkpoint(Params::default(), &bytes).unwrap();
        let (g, h) = (rep.graph(), back.graph());
        assert_eq!(g.node_count(), h.node_count());
        assert_eq!(g.edge_count(), h.edge_count());
        for x in 0..g.node_count() as NodeId {
            assert_eq!(g.key(x), h.key(x));
            assert_eq!(g.deal_counts(x), h.deal_counts(x));
            assert_eq!(
                g.neighbors(x).collect::<Vec<_>>(),
                h.neighbors(x).collect::<Vec<_>>()
            );
        }
        for k in keys
            .iter()
            .chain([&synth_key("lurker", 1), &synth_key("nobody", 1)])
        {
            assert_eq!(rep.first_seen(k), back.first_seen(k));
            assert_eq!(g.node(k), h.node(k));
        }
        assert_eq!(back.seen_count(), rep.seen_count());
        // Deal tiers answer the same (rating validity depends on them).
        for r in rep.ratings().about(&keys[3]) {
            assert_eq!(g.deal_by_key(&r.deal), h.deal_by_key(&r.deal));
        }
        // Re-encoding the decoded engine gives the same bytes.
        let mut again = back.clone();
        assert_eq!(again.checkpoint().unwrap(), bytes);
    }

    #[test]
    fn truncated_or_flipped_bytes_are_refused_never_panic() {
        let (mut rep, _) = engine();
        let bytes = rep.checkpoint().unwrap();
        for len in [0, 1, 7, 8, 15, 40, bytes.len() / 2, bytes.len() - 1] {
            let r = Reputation::from_checkpoint(Params::default(), &bytes[..len]);
            assert!(
                matches!(r, Err(ReputationError::InvalidCheckpoint { .. })),
                "len {len}"
            );
        }
        for at in (0..bytes.len()).step_by(bytes.len() / 97 + 1) {
            let mut b = bytes.clone();
            b[at] ^= 0x04;
            assert_eq!(
                section(Reputation::from_checkpoint(Params::default(), &b)),
                "checksum",
                "byte {at}"
            );
        }
        let mut longer = bytes.clone();
        longer.splice(bytes.len() - 8..bytes.len() - 8, [0u8; 3]);
        reseal(&mut longer);
        assert_eq!(
            section(Reputation::from_checkpoint(Params::default(), &longer)),
            "trailer"
        );
    }

    #[test]
    fn structurally_invalid_contents_are_refused_by_section() {
        let (mut rep, _) = engine();
        let bytes = rep.checkpoint().unwrap();
        let n = rep.graph().node_count();
        let m = 2 * rep.graph().edge_count();
        let keys_at = 8 + 16 + 16;
        let index_at = keys_at + 32 * n;
        let offsets_at = index_at + 4 * n + 8 * n + 8 * n;
        let nbrs_at = offsets_at + 4 * (n + 1);
        let deals_at = nbrs_at + 5 * m;
        let patch = |at: usize, v: &[u8]| {
            let mut b = bytes.clone();
            b[at..at + v.len()].copy_from_slice(v);
            reseal(&mut b);
            Reputation::from_checkpoint(Params::default(), &b)
        };
        assert_eq!(section(patch(0, b"FPREPCK9")), "magic");
        // Two keys swapped: the index no longer sorts them.
        let mut b = bytes.clone();
        let (k0, k1) = (keys_at, keys_at + 32);
        let first: Vec<u8> = b[k0..k0 + 32].to_vec();
        b.copy_within(k1..k1 + 32, k0);
        b[k1..k1 + 32].copy_from_slice(&first);
        reseal(&mut b);
        assert_eq!(
            section(Reputation::from_checkpoint(Params::default(), &b)),
            "index"
        );
        assert_eq!(section(patch(index_at, &(n as u32).to_le_bytes())), "index");
        assert_eq!(section(patch(offsets_at, &1u32.to_le_bytes())), "offsets");
        assert_eq!(
            section(patch(nbrs_at, &(n as u32 + 5).to_le_bytes())),
            "neighbours"
        );
        assert_eq!(section(patch(deals_at, &[0xff; 16])), "deal_keys");
        // The header's counts must agree with the edges and the bytes present.
        assert_eq!(section(patch(12, &(m as u32 + 2).to_le_bytes())), "header");
        assert!(matches!(
            patch(8, &(n as u32 + 1).to_le_bytes()),
            Err(ReputationError::InvalidCheckpoint { .. })
        ));
    }

    #[test]
    fn tail_pair_and_upgrade_match_live_receipts() {
        let (mut live, keys) = engine();
        let mut loaded =
            Reputation::from_checkpoint(Params::default(), &live.checkpoint().unwrap()).unwrap();
        let newbie = synth_key("new", 1);
        let (px, py) = receipt_pair(keys[0], keys[1], 77_000, DealTier::Proven);
        let (mx, my) = receipt_pair(keys[0], keys[1], 77_000, DealTier::Met);
        let (nx, ny) = receipt_pair(newbie, keys[2], 77_001, DealTier::Met);
        for r in [&px, &py, &mx, &my, &nx, &ny] {
            live.insert_receipt(r).unwrap();
        }
        let key = |r: &crate::protocol::receipt::Receipt| DealKey::of(&r.nego);
        let tail = [
            RepTail::Pair {
                a: py.author,
                b: py.peer,
                key: key(&py),
                tier: DealTier::Proven,
            },
            RepTail::Pair {
                a: ny.author,
                b: ny.peer,
                key: key(&ny),
                tier: DealTier::Met,
            },
            RepTail::Upgrade {
                a: keys[0],
                b: keys[1],
                key: key(&px),
            },
            RepTail::Upgrade {
                a: keys[0],
                b: keys[1],
                key: key(&px),
            },
            RepTail::Seen {
                pubkey: px.author,
                at: px.created_at.as_secs(),
            },
            RepTail::Seen {
                pubkey: py.author,
                at: py.created_at.as_secs(),
            },
            RepTail::Seen {
                pubkey: nx.author,
                at: nx.created_at.as_secs(),
            },
            RepTail::Seen {
                pubkey: ny.author,
                at: ny.created_at.as_secs(),
            },
        ];
        loaded.apply_tail(&tail).unwrap();
        live.compact();
        loaded.compact();
        let (g, h) = (live.graph(), loaded.graph());
        assert_eq!(g.node_count(), h.node_count());
        for x in 0..g.node_count() as NodeId {
            assert_eq!(g.key(x), h.key(x));
            assert_eq!(g.deal_counts(x), h.deal_counts(x), "node {x}");
            assert_eq!(
                g.neighbors(x).collect::<Vec<_>>(),
                h.neighbors(x).collect::<Vec<_>>()
            );
        }
        assert_eq!(g.deal(&px.nego), h.deal(&px.nego));
        assert_eq!(live.first_seen(&newbie), loaded.first_seen(&newbie));
        // A pair the engine already holds is refused.
        assert!(loaded.apply_tail(&tail[..1]).is_err());
    }
}
