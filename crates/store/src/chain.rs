//! The event log is hash-chained: each event's hash covers the previous hash, its position
//! and its exact stored payload, so any edit, deletion or reordering shows.

use sha2::{Digest, Sha256};

use redress_domain::CaseId;

pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// SHA-256 over `prev_hash | seq | case_id | case_version | payload`, hex.
pub fn event_hash(prev_hash: &str, seq: i64, case_id: CaseId, case_version: u32, payload: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"|");
    h.update(seq.to_string().as_bytes());
    h.update(b"|");
    h.update(case_id.0.to_string().as_bytes());
    h.update(b"|");
    h.update(case_version.to_string().as_bytes());
    h.update(b"|");
    h.update(payload.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_every_input() {
        let base = event_hash(GENESIS_HASH, 1, CaseId(1), 1, "{}");
        assert_ne!(base, event_hash(GENESIS_HASH, 2, CaseId(1), 1, "{}"));
        assert_ne!(base, event_hash(GENESIS_HASH, 1, CaseId(2), 1, "{}"));
        assert_ne!(base, event_hash(GENESIS_HASH, 1, CaseId(1), 2, "{}"));
        assert_ne!(base, event_hash(GENESIS_HASH, 1, CaseId(1), 1, "{ }"));
        assert_ne!(base, event_hash(&"1".repeat(64), 1, CaseId(1), 1, "{}"));
        assert_eq!(base.len(), 64);
    }
}
