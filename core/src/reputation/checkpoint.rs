//! Graph checkpoint: a directory-mode engine's graph (per-node counters and the CSR adjacency)
//! as one byte string, so a cold start reads one blob instead of a million deal rows and
//! rebuilds nothing. Keys, deals and first-seen times are not in it: the engine looks them up
//! in its [`Directory`](super::Directory); ratings and follow lists stay rows.
//!
//! Pure: bytes in, bytes out (`store::rep` persists them with the last deal row they cover).
//! Decoding validates everything it relies on — exact length, a checksum over the whole string,
//! the header's edge count is half the adjacency entries, offsets start at 0, never decrease
//! and end at the entry count, every neighbour id is another node and every row is strictly
//! sorted — and refuses with [`ReputationError::InvalidCheckpoint`] otherwise; the caller then
//! loads the rows instead.
//!
//! Layout (little-endian): magic `FPREPGR1`; `n` nodes, `m` adjacency entries (u32 each);
//! edges, generation (u64 each); stats (8·n); offsets (4·(n+1)); neighbours (4·m); edge meta
//! (m); checksum (8).

use std::sync::Arc;

use super::graph::{DealGraph, EdgeMeta, NodeId, NodeStats};
use super::{Directory, Params, Reputation, ReputationError};

const GRAPH_MAGIC: &[u8; 8] = b"FPREPGR1";

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

fn count(section: &'static str, n: usize) -> Result<u32, ReputationError> {
    u32::try_from(n).map_err(|_| err(section, format!("{n} entries do not fit in 32 bits")))
}

impl Reputation {
    /// The checkpoint of a directory-mode engine's graph (compacts it first): node counters and
    /// the CSR adjacency, nothing else (layout in the module docs). Refused for an engine that
    /// holds its own keys (memory mode): it has nothing to look them up in after a load.
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
        dir: Arc<dyn Directory>,
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
        rep.graph = DealGraph::from_checkpoint_parts(stats, offsets, nbrs, meta, edges, generation);
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

/// A memory-mode checkpoint as v8 builds wrote it (format `FPREPCK1`, since removed) of one met
/// deal between two keys, checksum valid: a graph checkpoint decoder must refuse it by its
/// magic.
#[cfg(test)]
pub(crate) fn v8_checkpoint() -> Vec<u8> {
    const HEX: &str = "4650524550434b3102000000020000000100000000000000010000000000000001000000\
        00000000e8734a7734c17956da3f061d86c9ba325bbf5879ba83f089c3b9604232769af61845c94d3114650b\
        d3b4a166284a83416d971dcb19430ec780d721890cad8d0801000000000000000100000001000000010000\
        000100000001f153650000000001f15365000000000000000001000000020000000100000000000000818\
        1bbfa64204dcdf74596b328377ed4abbe0100000000000000033729ad999ecf26";
    hex::decode(HEX).expect("valid hex")
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::protocol::receipt::DealTier;
    use crate::reputation::GraphChange;
    use crate::reputation::directory::tests::Broken;
    use crate::reputation::synth;

    /// A directory-mode engine over a synthetic community: repeated deals, met and proven
    /// edges, some proven deals upgraded later, and the last changes still in the delta.
    fn engine() -> Reputation {
        let hg = synth::honest_graph(400, 20, 6, 3);
        let mut ids: HashMap<u32, NodeId> = HashMap::new();
        let mut changes = Vec::new();
        for &(a, b, tier, _) in &hg.edges {
            let mut id = |k: u32| {
                let n = ids.len() as NodeId;
                *ids.entry(k).or_insert(n)
            };
            let (x, y) = (id(a), id(b));
            changes.push(GraphChange::Pair { a: x, b: y, tier });
        }
        let upgrades: Vec<GraphChange> = changes
            .iter()
            .step_by(5)
            .filter_map(|c| match *c {
                GraphChange::Pair {
                    a,
                    b,
                    tier: DealTier::Proven,
                } => Some(GraphChange::Upgrade { a, b }),
                _ => None,
            })
            .collect();
        assert!(!upgrades.is_empty());
        // Repeat a few deals between the same partners (edge multiplicity).
        let again: Vec<GraphChange> = changes.iter().take(10).copied().collect();
        let mut rep = Reputation::with_directory(Params::default(), Arc::new(Broken)).unwrap();
        rep.apply_changes(&changes).unwrap();
        rep.apply_changes(&upgrades).unwrap();
        rep.apply_changes(&again).unwrap();
        rep
    }

    /// Re-seals `b` with a valid checksum, so the structural checks are what refuse it.
    fn reseal(b: &mut Vec<u8>) {
        b.truncate(b.len() - 8);
        let s = checksum(b);
        b.extend_from_slice(&s.to_le_bytes());
    }

    fn decode(b: &[u8]) -> Result<Reputation, ReputationError> {
        Reputation::from_graph_checkpoint(Params::default(), Arc::new(Broken), b)
    }

    fn section(e: Result<Reputation, ReputationError>) -> &'static str {
        match e {
            Err(ReputationError::InvalidCheckpoint { section, .. }) => section,
            other => panic!("expected InvalidCheckpoint, got {other:?}"),
        }
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    #[test]
    fn round_trip_keeps_the_graph_and_re_encodes_byte_for_byte() {
        let mut rep = engine();
        let bytes = rep.graph_checkpoint().unwrap();
        let back = decode(&bytes).unwrap();
        assert!(back.has_directory());
        let (g, h) = (rep.graph(), back.graph());
        assert_eq!(g.node_count(), h.node_count());
        assert_eq!(g.edge_count(), h.edge_count());
        assert_eq!(g.generation(), h.generation());
        let (mut met, mut repeated) = (0, 0);
        for x in 0..g.node_count() as NodeId {
            assert_eq!(g.deal_counts(x), h.deal_counts(x), "node {x}");
            let row: Vec<_> = g.neighbors(x).collect();
            assert_eq!(row, h.neighbors(x).collect::<Vec<_>>(), "row {x}");
            met += row.iter().filter(|e| e.1.met()).count();
            repeated += row.iter().filter(|e| e.1.deals() > 1).count();
        }
        assert!(
            met > 0 && repeated > 0,
            "the fixture has met and repeated edges"
        );
        let mut again = back.clone();
        assert_eq!(again.graph_checkpoint().unwrap(), bytes);
    }

    #[test]
    fn truncated_or_flipped_bytes_are_refused_never_panic() {
        let bytes = engine().graph_checkpoint().unwrap();
        let every_7th = (0..bytes.len()).step_by(7);
        for len in [0, 1, 7, 8, 15, 32, 40, bytes.len() / 2, bytes.len() - 1]
            .into_iter()
            .chain(every_7th)
        {
            let r = decode(&bytes[..len]);
            assert!(
                matches!(r, Err(ReputationError::InvalidCheckpoint { .. })),
                "len {len}"
            );
        }
        for at in (0..bytes.len()).step_by(5) {
            let mut b = bytes.clone();
            b[at] ^= 0x04;
            assert_eq!(section(decode(&b)), "checksum", "byte {at}");
        }
        let mut longer = bytes.clone();
        longer.splice(bytes.len() - 8..bytes.len() - 8, [0u8; 3]);
        reseal(&mut longer);
        assert_eq!(section(decode(&longer)), "trailer");
    }

    /// Each structural rule, broken alone under a valid checksum, is refused by its section.
    #[test]
    fn structurally_invalid_contents_are_refused_by_section() {
        let mut rep = engine();
        let bytes = rep.graph_checkpoint().unwrap();
        let n = rep.graph().node_count();
        let m = 2 * rep.graph().edge_count();
        let offsets_at = 32 + 8 * n;
        let nbrs_at = offsets_at + 4 * (n + 1);
        assert_eq!(bytes.len(), nbrs_at + 5 * m + 8);
        let off = |x: usize| u32_at(&bytes, offsets_at + 4 * x) as usize;
        let nbr = |i: usize| u32_at(&bytes, nbrs_at + 4 * i);
        let patch = |at: usize, v: &[u8]| {
            let mut b = bytes.clone();
            b[at..at + v.len()].copy_from_slice(v);
            reseal(&mut b);
            decode(&b)
        };
        let u32le = |v: usize| (v as u32).to_le_bytes();

        assert_eq!(section(patch(0, b"FPREPGR9")), "magic");
        assert_eq!(section(decode(&v8_checkpoint())), "magic", "the v8 format");

        // Header: the edge count is half the adjacency entries; the node count is bounded.
        assert_eq!(
            section(patch(16, &(m as u64 / 2 + 1).to_le_bytes())),
            "header"
        );
        assert_eq!(section(patch(12, &u32le(m + 2))), "header");
        assert_eq!(
            section(patch(12, &u32le(m + 1))),
            "header",
            "odd entry count"
        );
        assert_eq!(section(patch(8, &u32::MAX.to_le_bytes())), "header");
        assert!(matches!(
            patch(8, &u32le(n + 1)),
            Err(ReputationError::InvalidCheckpoint { .. })
        ));

        // Offsets: start at 0, never decrease, end at the entry count.
        assert!(off(2) < m);
        assert_eq!(section(patch(offsets_at, &u32le(1))), "offsets", "start");
        assert_eq!(
            section(patch(offsets_at + 4, &u32le(m))),
            "offsets",
            "decrease"
        );
        assert_eq!(
            section(patch(offsets_at + 4 * n, &u32le(m - 1))),
            "offsets",
            "end"
        );

        // Neighbours: other nodes, in range, each row strictly increasing.
        let last = m - 1; // the largest entry of the last row: raising it keeps the row sorted
        assert_eq!(
            section(patch(nbrs_at + 4 * last, &u32le(n))),
            "neighbours",
            "range"
        );
        // A node listed as its own neighbour where it would keep its row sorted.
        let own = (0..n)
            .find_map(|x| {
                (off(x)..off(x + 1)).find(|&i| {
                    let y = nbr(i) as usize;
                    y != x
                        && (i == off(x) || (nbr(i - 1) as usize) < x)
                        && (i + 1 == off(x + 1) || x < nbr(i + 1) as usize)
                })
            })
            .expect("a row with a slot for its own node");
        let x = (0..n).find(|&x| off(x) <= own && own < off(x + 1)).unwrap();
        assert_eq!(
            section(patch(nbrs_at + 4 * own, &u32le(x))),
            "neighbours",
            "self"
        );
        let wide = (0..n)
            .find(|&x| off(x + 1) - off(x) >= 2)
            .expect("a row of two");
        let (i, j) = (off(wide), off(wide) + 1);
        let mut swapped = [0u8; 8];
        swapped[..4].copy_from_slice(&nbr(j).to_le_bytes());
        swapped[4..].copy_from_slice(&nbr(i).to_le_bytes());
        assert_eq!(
            section(patch(nbrs_at + 4 * i, &swapped)),
            "neighbours",
            "unsorted"
        );
        assert_eq!(
            section(patch(nbrs_at + 4 * j, &nbr(i).to_le_bytes())),
            "neighbours",
            "repeated"
        );
    }
}
