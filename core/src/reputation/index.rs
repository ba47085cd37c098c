//! Compact lookup structures of the in-memory deal graph (memory mode; a directory-mode graph
//! holds neither): the key index (public key → node id) and the deal index (deal key → paired
//! tier).
//!
//! Both are a sorted array searched by binary search plus a small hash map of what was added
//! since the last merge. At 1M deals / 333k keys this is 16 B per deal + 1 bit, and 4 B per key,
//! instead of ≈ 36 B and ≈ 110 B per entry for hash maps. A merge runs when the overflow exceeds
//! an eighth of the sorted part (amortised O(1) per insert: a linear merge of two sorted runs).

use std::cmp::Ordering;
use std::collections::HashMap;

use nostr::PublicKey;

use super::graph::{DealKey, NodeId};
use crate::protocol::receipt::DealTier;

/// Below this many overflow entries an index never merges.
const MIN_OVERFLOW: usize = 1024;

fn merge_due(overflow: usize, sorted: usize) -> bool {
    overflow > MIN_OVERFLOW.max(sorted / 8)
}

/// Where each prefix starts in a sorted array: lookups binary-search one bucket (≈ 4–16
/// entries, one or two cache lines) instead of the whole array (≈ 20 random reads at 1M).
/// Keys are hash outputs, so buckets are even; keys ground to share a prefix only make their
/// own bucket a longer binary search.
#[derive(Debug, Clone, Default)]
struct Buckets {
    bits: u32,
    /// `starts[p]..starts[p + 1]` holds the entries whose top `bits` bits are `p`.
    starts: Vec<u32>,
}

impl Buckets {
    /// Buckets over `n` sorted entries whose 32-bit big-endian prefixes `top(i)` do not
    /// decrease; about four entries per bucket, at most 2^16 buckets.
    fn build(n: usize, top: impl Fn(usize) -> u32) -> Self {
        let bits = (usize::BITS - n.leading_zeros()).saturating_sub(2).min(16);
        let mut starts = vec![0u32; (1usize << bits) + 1];
        for i in 0..n {
            let p = Self::bucket(bits, top(i));
            if let Some(c) = starts.get_mut(p + 1) {
                *c = c.saturating_add(1);
            }
        }
        for p in 1..starts.len() {
            let prev = starts.get(p - 1).copied().unwrap_or(0);
            if let Some(c) = starts.get_mut(p) {
                *c = c.saturating_add(prev);
            }
        }
        Self { bits, starts }
    }

    fn bucket(bits: u32, top: u32) -> usize {
        if bits == 0 {
            0
        } else {
            (top >> (32 - bits)) as usize
        }
    }

    /// The range of entries that can hold a key with prefix `top` (everything if unbuilt).
    fn range(&self, top: u32, n: usize) -> (usize, usize) {
        let p = Self::bucket(self.bits, top);
        match (self.starts.get(p), self.starts.get(p + 1)) {
            (Some(lo), Some(hi)) => ((*lo as usize).min(n), (*hi as usize).min(n)),
            _ => (0, n),
        }
    }

    fn heap_bytes(&self) -> usize {
        self.starts.capacity() * 4
    }
}

fn top_of(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    for (x, y) in a.iter_mut().zip(b) {
        *x = *y;
    }
    u32::from_be_bytes(a)
}

/// Public key → node id: a permutation of node ids sorted by key, plus recent inserts.
#[derive(Debug, Clone, Default)]
pub(super) struct KeyIndex {
    /// Node ids, sorted by their key (strictly: keys are unique).
    sorted: Vec<NodeId>,
    buckets: Buckets,
    /// Ids interned since the last merge.
    recent: HashMap<PublicKey, NodeId>,
}

impl KeyIndex {
    fn with(keys: &[PublicKey], sorted: Vec<NodeId>) -> Self {
        let buckets = Buckets::build(sorted.len(), |i| {
            sorted
                .get(i)
                .and_then(|id| keys.get(*id as usize))
                .map(|k| top_of(k.as_bytes()))
                .unwrap_or(u32::MAX)
        });
        Self {
            sorted,
            buckets,
            recent: HashMap::new(),
        }
    }

    /// The node id of `pk`.
    pub(super) fn get(&self, keys: &[PublicKey], pk: &PublicKey) -> Option<NodeId> {
        if !self.recent.is_empty()
            && let Some(id) = self.recent.get(pk)
        {
            return Some(*id);
        }
        let (lo, hi) = self.buckets.range(top_of(pk.as_bytes()), self.sorted.len());
        let run = self.sorted.get(lo..hi)?;
        run.binary_search_by(|id| match keys.get(*id as usize) {
            Some(k) => k.cmp(pk),
            None => Ordering::Less,
        })
        .ok()
        .and_then(|i| run.get(i).copied())
    }

    /// Records a newly interned key (`keys[id] == pk` already holds).
    pub(super) fn insert(&mut self, keys: &[PublicKey], pk: PublicKey, id: NodeId) {
        self.recent.insert(pk, id);
        if merge_due(self.recent.len(), self.sorted.len()) {
            self.merge(keys);
        }
    }

    /// Moves the recent inserts into the sorted permutation.
    pub(super) fn merge(&mut self, keys: &[PublicKey]) {
        if self.recent.is_empty() {
            return;
        }
        let mut add: Vec<NodeId> = self.recent.drain().map(|(_, id)| id).collect();
        add.sort_unstable_by(|a, b| cmp_ids(keys, *a, *b));
        let sorted = merge_sorted(&self.sorted, &add, |a, b| cmp_ids(keys, *a, *b));
        *self = Self::with(keys, sorted);
    }

    /// Approximate heap bytes.
    pub(super) fn heap_bytes(&self) -> usize {
        self.sorted.capacity() * 4
            + self.buckets.heap_bytes()
            + hash_bytes(
                self.recent.capacity(),
                std::mem::size_of::<(PublicKey, NodeId)>(),
            )
    }
}

fn cmp_ids(keys: &[PublicKey], a: NodeId, b: NodeId) -> Ordering {
    keys.get(a as usize).cmp(&keys.get(b as usize))
}

/// hashbrown: one control byte per bucket, buckets ≈ capacity × 8/7.
pub(super) fn hash_bytes(cap: usize, entry: usize) -> usize {
    cap * 8 / 7 * (entry + 1)
}

fn merge_sorted<T: Copy>(a: &[T], b: &[T], cmp: impl Fn(&T, &T) -> Ordering) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
        if cmp(x, y) == Ordering::Greater {
            out.push(*y);
            j += 1;
        } else {
            out.push(*x);
            i += 1;
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or(&[]));
    out.extend_from_slice(b.get(j..).unwrap_or(&[]));
    out
}

/// Deal key → paired tier: sorted keys with a "met" bit each, plus recent pairings.
#[derive(Debug, Clone, Default)]
pub(super) struct DealIndex {
    /// Strictly increasing.
    keys: Vec<DealKey>,
    buckets: Buckets,
    /// Bit `i` set: `keys[i]` was met in person (else proven).
    met: Vec<u64>,
    /// Deals paired (or upgraded while recent) since the last merge.
    recent: HashMap<DealKey, DealTier>,
}

impl DealIndex {
    /// The index of paired deals. `Err(key)` names a repeated deal key.
    pub(super) fn build(mut deals: Vec<(DealKey, bool)>) -> Result<Self, DealKey> {
        deals.sort_unstable_by_key(|d| d.0);
        if let Some(w) = deals.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(w[0].0);
        }
        let mut met = vec![0u64; deals.len().div_ceil(64)];
        for (i, d) in deals.iter().enumerate() {
            if d.1
                && let Some(w) = met.get_mut(i / 64)
            {
                *w |= 1 << (i % 64);
            }
        }
        Ok(Self::with(deals.into_iter().map(|d| d.0).collect(), met))
    }

    fn with(keys: Vec<DealKey>, met: Vec<u64>) -> Self {
        let buckets = Buckets::build(keys.len(), |i| {
            keys.get(i)
                .map(|k| top_of(&k.to_bytes()))
                .unwrap_or(u32::MAX)
        });
        Self {
            keys,
            buckets,
            met,
            recent: HashMap::new(),
        }
    }

    fn pos(&self, key: &DealKey) -> Option<usize> {
        let (lo, hi) = self.buckets.range(top_of(&key.to_bytes()), self.keys.len());
        let run = self.keys.get(lo..hi)?;
        run.binary_search(key).ok().map(|i| lo + i)
    }

    fn bit(&self, i: usize) -> bool {
        self.met
            .get(i / 64)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    /// The paired tier of `key`.
    pub(super) fn get(&self, key: &DealKey) -> Option<DealTier> {
        if !self.recent.is_empty()
            && let Some(t) = self.recent.get(key)
        {
            return Some(*t);
        }
        self.pos(key).map(|i| {
            if self.bit(i) {
                DealTier::Met
            } else {
                DealTier::Proven
            }
        })
    }

    /// Number of paired deals.
    pub(super) fn len(&self) -> usize {
        self.keys.len() + self.recent.len()
    }

    /// Records a newly paired deal (the caller checked it is absent).
    pub(super) fn insert(&mut self, key: DealKey, tier: DealTier) {
        self.recent.insert(key, tier);
        if merge_due(self.recent.len(), self.keys.len()) {
            self.merge();
        }
    }

    /// Marks a paired deal as met; `false` if it is not paired or already met.
    pub(super) fn set_met(&mut self, key: &DealKey) -> bool {
        if let Some(t) = self.recent.get_mut(key) {
            let changed = *t != DealTier::Met;
            *t = DealTier::Met;
            return changed;
        }
        match self.pos(key) {
            Some(i) if !self.bit(i) => {
                if let Some(w) = self.met.get_mut(i / 64) {
                    *w |= 1 << (i % 64);
                }
                true
            }
            _ => false,
        }
    }

    /// Moves the recent pairings into the sorted arrays.
    pub(super) fn merge(&mut self) {
        if self.recent.is_empty() {
            return;
        }
        let mut all: Vec<(DealKey, bool)> = Vec::with_capacity(self.len());
        let mut add: Vec<(DealKey, bool)> = self
            .recent
            .drain()
            .map(|(k, t)| (k, t == DealTier::Met))
            .collect();
        add.sort_unstable_by_key(|d| d.0);
        let old: Vec<(DealKey, bool)> = self
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (*k, self.bit(i)))
            .collect();
        all.extend(merge_sorted(&old, &add, |a, b| a.0.cmp(&b.0)));
        // Keys were distinct across both runs (the caller inserts only absent deals).
        if let Ok(merged) = Self::build(all) {
            *self = merged;
        }
    }

    /// Approximate heap bytes.
    pub(super) fn heap_bytes(&self) -> usize {
        self.keys.capacity() * 16
            + self.met.capacity() * 8
            + self.buckets.heap_bytes()
            + hash_bytes(
                self.recent.capacity(),
                std::mem::size_of::<(DealKey, DealTier)>(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reputation::synth::synth_key;

    fn dk(i: u8) -> DealKey {
        DealKey::from_bytes([i; 16])
    }

    /// The index of `keys` (node id = position) as interning them one by one builds it, then
    /// merged: every key in the sorted part.
    fn indexed(keys: &[PublicKey]) -> KeyIndex {
        let mut ix = KeyIndex::default();
        for (i, k) in keys.iter().enumerate() {
            ix.insert(&keys[..=i], *k, i as NodeId);
        }
        ix.merge(keys);
        assert!(ix.recent.is_empty() && ix.sorted.len() == keys.len());
        ix
    }

    #[test]
    fn key_index_finds_sorted_and_recent_keys() {
        let mut keys: Vec<PublicKey> = (0..50).map(|i| synth_key("ki", i)).collect();
        let mut ix = indexed(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ix.get(&keys, k), Some(i as NodeId));
        }
        assert_eq!(ix.get(&keys, &synth_key("ki", 999)), None);
        for i in 50..3000u64 {
            let k = synth_key("ki", i);
            keys.push(k);
            ix.insert(&keys, k, (keys.len() - 1) as NodeId);
        }
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ix.get(&keys, k), Some(i as NodeId), "key {i}");
        }
        ix.merge(&keys);
        assert!(ix.recent.is_empty() && ix.sorted.len() == keys.len());
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ix.get(&keys, k), Some(i as NodeId), "key {i}, merged");
        }
        assert_eq!(ix.get(&keys, &synth_key("ki", 9999)), None);
    }

    #[test]
    fn keys_ground_to_share_a_prefix_are_still_found() {
        // 3000 keys, half of them with the same first 8 bytes (one overfull bucket).
        let keys: Vec<PublicKey> = (0..3000u32)
            .map(|i| {
                let mut b = [0u8; 32];
                if i % 2 == 0 {
                    b[..8].copy_from_slice(&[0xab; 8]);
                } else {
                    b[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
                }
                b[28..].copy_from_slice(&i.to_be_bytes());
                PublicKey::from_byte_array(b)
            })
            .collect();
        let ix = indexed(&keys);
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(ix.get(&keys, k), Some(i as NodeId));
        }
        let mut other = [0xab; 32];
        other[31] = 1;
        assert_eq!(ix.get(&keys, &PublicKey::from_byte_array(other)), None);
    }

    #[test]
    fn deal_index_tiers_upgrades_and_merges() {
        let mut ix = DealIndex::build(vec![(dk(5), false), (dk(1), true)]).unwrap();
        assert_eq!(ix.get(&dk(1)), Some(DealTier::Met));
        assert_eq!(ix.get(&dk(5)), Some(DealTier::Proven));
        assert_eq!(ix.get(&dk(3)), None);
        assert!(ix.set_met(&dk(5)));
        assert!(!ix.set_met(&dk(5)), "already met");
        assert!(!ix.set_met(&dk(9)), "not paired");
        ix.insert(dk(3), DealTier::Proven);
        assert!(ix.set_met(&dk(3)));
        ix.insert(dk(4), DealTier::Proven);
        ix.merge();
        assert_eq!(ix.len(), 4);
        let want = [
            (1, DealTier::Met),
            (3, DealTier::Met),
            (4, DealTier::Proven),
            (5, DealTier::Met),
        ];
        for (k, t) in want {
            assert_eq!(ix.get(&dk(k)), Some(t), "deal {k}");
        }
        assert!(ix.recent.is_empty() && ix.keys.len() == 4, "merged");
        assert!(DealIndex::build(vec![(dk(2), false), (dk(2), true)]).is_err());
    }

    #[test]
    fn deal_index_merges_many_recent_inserts() {
        let mut ix = DealIndex::default();
        let key = |i: u32| {
            let mut b = [0u8; 16];
            b[..4].copy_from_slice(&i.wrapping_mul(2_654_435_761).to_be_bytes());
            b[4..8].copy_from_slice(&i.to_be_bytes());
            DealKey::from_bytes(b)
        };
        for i in 0..5000u32 {
            let t = if i % 3 == 0 {
                DealTier::Met
            } else {
                DealTier::Proven
            };
            ix.insert(key(i), t);
        }
        for i in 0..5000u32 {
            let t = if i % 3 == 0 {
                DealTier::Met
            } else {
                DealTier::Proven
            };
            assert_eq!(ix.get(&key(i)), Some(t));
        }
        assert_eq!(ix.len(), 5000);
    }
}
