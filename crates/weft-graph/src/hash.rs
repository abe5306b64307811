//! Content hashes of nodes (blake3).

use std::fmt;

/// A node's content hash: its normalized definition and its dependencies' hashes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub struct NodeHash(pub [u8; 32]);

impl NodeHash {
    /// The first 8 bytes as 16 hex digits (enough to tell nodes apart on screen).
    pub fn short(&self) -> String {
        self.0[..8].iter().map(|b| format!("{b:02x}")).collect()
    }

    /// All 64 hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Debug for NodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeHash({})", self.short())
    }
}

impl fmt::Display for NodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short())
    }
}

/// Hashes a node: a domain tag, its normalized definition, then its dependencies'
/// hashes in order.
pub(crate) fn node_hash(
    tag: &str,
    definition: &[u8],
    deps: impl Iterator<Item = NodeHash>,
) -> NodeHash {
    let mut h = blake3::Hasher::new();
    h.update(b"weft-node-v1\0");
    h.update(tag.as_bytes());
    h.update(&[0]);
    h.update(&(definition.len() as u64).to_le_bytes());
    h.update(definition);
    for d in deps {
        h.update(&d.0);
    }
    NodeHash(*h.finalize().as_bytes())
}
