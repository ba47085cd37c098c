//! Deterministic synthetic data for the Sybil evaluation, the tests and the benchmark: honest
//! neighbourhood graphs, dense puppet clusters, receipt halves and ratings. Pure and seeded;
//! never used by the app.

use nostr::{EventId, PublicKey, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha256};

use super::RatingInput;
use crate::protocol::NegoId;
use crate::protocol::receipt::{DealTier, MeetNonce, Receipt};

/// Base timestamp of synthetic events (2023-11-14).
pub const T0: u64 = 1_700_000_000;

fn digest(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// A deterministic 32-byte key for `(tag, i)`. (Not a valid curve point in general; the
/// reputation layer only uses keys as identifiers.)
pub fn synth_key(tag: &str, i: u64) -> PublicKey {
    PublicKey::from_byte_array(digest(&[
        b"freeport-synth-key",
        tag.as_bytes(),
        &i.to_le_bytes(),
    ]))
}

/// The negotiation id of synthetic deal number `deal` between `a` (intent author) and `b`.
/// Synthetic keys are distinct by construction (never input-derived), so `a != b`.
pub fn synth_nego(a: PublicKey, b: PublicKey, deal: u64) -> NegoId {
    NegoId::new(&format!("{deal:016x}"), a, b)
        .expect("a 16-hex `d` and two distinct synthetic keys form a valid negotiation id")
}

/// Both halves of synthetic deal `deal` between `a` and `b` at `tier` (`Met` halves carry the
/// same meet nonce and the scanner's half links the shower's; `Proven` halves carry neither).
pub fn receipt_pair(a: PublicKey, b: PublicKey, deal: u64, tier: DealTier) -> (Receipt, Receipt) {
    let nego = synth_nego(a, b, deal);
    let d = deal.to_le_bytes();
    let id_a = EventId::from_byte_array(digest(&[b"ra", &d, a.as_bytes()]));
    let id_b = EventId::from_byte_array(digest(&[b"rb", &d, b.as_bytes()]));
    let intent_id = EventId::from_byte_array(digest(&[b"intent", &d]));
    let met = tier == DealTier::Met;
    let nonce = met.then(|| {
        let mut n = [0u8; 16];
        n.copy_from_slice(&digest(&[b"meet", &d])[..16]);
        MeetNonce(n)
    });
    let t = Timestamp::from(T0 + deal % 86_400);
    let ha = Receipt {
        id: id_a,
        author: a,
        nego: nego.clone(),
        peer: b,
        intent_id,
        meet: nonce,
        countersigns: None,
        created_at: t,
    };
    let hb = Receipt {
        id: id_b,
        author: b,
        nego,
        peer: a,
        intent_id,
        meet: nonce,
        countersigns: met.then_some(id_a),
        created_at: t,
    };
    (ha, hb)
}

/// A structured rating of `ratee` by `rater` about `nego`.
pub fn rating(
    rater: PublicKey,
    ratee: PublicKey,
    nego: NegoId,
    safe: bool,
    reliable: bool,
    created_at: u64,
) -> RatingInput {
    RatingInput {
        rater,
        ratee,
        nego,
        score: Some(if safe && reliable { 2 } else { -1 }),
        safe: Some(safe),
        reliable: Some(reliable),
        created_at,
        pow_bits: 8,
        contact_verified: false,
        contact_masked: None,
        attestation_ok: false,
    }
}

/// A synthetic honest graph: nodes in neighbourhood communities, each with about `partners`
/// partners, most inside its community.
#[derive(Debug, Clone)]
pub struct HonestGraph {
    /// Node keys (index = node number).
    pub keys: Vec<PublicKey>,
    /// Undirected edges `(a, b, tier, deal number)`.
    pub edges: Vec<(u32, u32, DealTier, u64)>,
}

/// Builds an honest graph of `n` nodes in communities of `community` nodes; every node starts
/// `partners / 2` deals (so the mean degree is ≈ `partners`), 85 % inside its community; 70 % of
/// deals are met in person, the rest proven.
pub fn honest_graph(n: usize, community: usize, partners: usize, seed: u64) -> HonestGraph {
    let mut rng = StdRng::seed_from_u64(seed);
    let keys: Vec<PublicKey> = (0..n as u64).map(|i| synth_key("honest", i)).collect();
    let community = community.max(2).min(n.max(2));
    let per_node = (partners / 2).max(1);
    let mut seen = std::collections::HashSet::new();
    let mut edges = Vec::with_capacity(n * per_node);
    let mut deal = seed.wrapping_mul(1_000_000_007);
    if n < 2 {
        return HonestGraph { keys, edges };
    }
    for a in 0..n {
        let base = a - a % community;
        let size = community.min(n - base);
        for _ in 0..per_node {
            for _attempt in 0..8 {
                let b = if rng.gen_bool(0.85) && size > 1 {
                    base + rng.gen_range(0..size)
                } else {
                    rng.gen_range(0..n)
                };
                let key = (a.min(b), a.max(b));
                if b == a || !seen.insert(key) {
                    continue;
                }
                let tier = if rng.gen_bool(0.7) {
                    DealTier::Met
                } else {
                    DealTier::Proven
                };
                deal = deal.wrapping_add(1);
                edges.push((a as u32, b as u32, tier, deal));
                break;
            }
        }
    }
    HonestGraph { keys, edges }
}

/// A puppet cluster: `n` keys with dense internal co-signed deals (each puppet starts
/// `internal / 2` deals with other puppets, plus a ring so the cluster is connected).
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Puppet keys.
    pub keys: Vec<PublicKey>,
    /// Internal edges `(i, j, deal number)` between puppet indices.
    pub edges: Vec<(u32, u32, u64)>,
}

/// Builds a cluster of `n` puppets named by `tag`.
pub fn sybil_cluster(tag: &str, n: usize, internal: usize, seed: u64) -> Cluster {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_c0de);
    let keys: Vec<PublicKey> = (0..n as u64).map(|i| synth_key(tag, i)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut edges = Vec::new();
    let mut deal = seed.wrapping_mul(3_000_000_019).wrapping_add(1 << 40);
    if n < 2 {
        return Cluster { keys, edges };
    }
    let mut push = |a: usize, b: usize, edges: &mut Vec<(u32, u32, u64)>| {
        if a != b && seen.insert((a.min(b), a.max(b))) {
            deal = deal.wrapping_add(1);
            edges.push((a as u32, b as u32, deal));
        }
    };
    for a in 0..n {
        push(a, (a + 1) % n, &mut edges);
        for _ in 0..(internal / 2).saturating_sub(1) {
            let b = rng.gen_range(0..n);
            push(a, b, &mut edges);
        }
    }
    Cluster { keys, edges }
}
