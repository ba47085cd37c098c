#![no_main]
//! The reputation graph checkpoint decoder (`FPREPGR1`, read back from the database at every
//! start) on arbitrary bytes: it refuses or decodes, never panics, and whatever it accepts
//! re-encodes to the same bytes.
use std::sync::Arc;

use freeport_core::reputation::{
    DealFact, DealKey, Directory, NodeId, Params, Reputation, ReputationError,
};
use libfuzzer_sys::fuzz_target;
use nostr::PublicKey;

/// Decoding never looks anything up.
#[derive(Debug)]
struct NoDirectory;

impl Directory for NoDirectory {
    fn node(&self, _: &PublicKey) -> Result<Option<NodeId>, ReputationError> {
        Ok(None)
    }
    fn key(&self, _: NodeId) -> Result<Option<PublicKey>, ReputationError> {
        Ok(None)
    }
    fn deal(&self, _: &DealKey) -> Result<Option<DealFact>, ReputationError> {
        Ok(None)
    }
    fn first_seen(&self, _: &PublicKey) -> Result<Option<u64>, ReputationError> {
        Ok(None)
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(mut rep) =
        Reputation::from_graph_checkpoint(Params::default(), Arc::new(NoDirectory), data)
    {
        let again = rep.graph_checkpoint().expect("a decoded graph re-encodes");
        assert_eq!(again, data, "accepted bytes re-encode identically");
        let g = rep.graph();
        let entries: usize = (0..g.node_count() as NodeId).map(|x| g.degree(x)).sum();
        assert_eq!(entries, 2 * g.edge_count());
    }
});
