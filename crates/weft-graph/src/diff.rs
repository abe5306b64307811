//! What changed between two versions of a graph, by node name and hash.

use crate::Graph;

/// Node names sorted into what an edit did to them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// In the new graph only.
    pub added: Vec<String>,
    /// In the old graph only.
    pub removed: Vec<String>,
    /// In both, with different hashes.
    pub changed: Vec<String>,
    /// In both, with the same hash.
    pub unchanged: Vec<String>,
}

/// Compares two graphs node by node (by name).
pub fn diff(old: &Graph, new: &Graph) -> Diff {
    let mut d = Diff::default();
    for n in &new.nodes {
        match old.nodes.iter().find(|o| o.name == n.name) {
            None => d.added.push(n.name.clone()),
            Some(o) if o.hash == n.hash => d.unchanged.push(n.name.clone()),
            Some(_) => d.changed.push(n.name.clone()),
        }
    }
    for o in &old.nodes {
        if !new.nodes.iter().any(|n| n.name == o.name) {
            d.removed.push(o.name.clone());
        }
    }
    d
}
