//! The per-node lowering cache: each used graph node's [`Fragment`] under a key
//! made of its content hash and everything its lowered code bakes in (coordinate
//! ids, parameter slots, source ids) — never its arena id, so an unchanged
//! statement keeps its fragment when the program around it changes. A batch that
//! must be compiled again lowers only the nodes whose key is new and links the
//! rest from here.
//!
//! A swap works on a [`Staged`] view: new fragments go to the side and reach the
//! cache only when the whole swap succeeded, so a failing swap changes nothing;
//! a successful one drops every fragment the new graph does not use, so the cache
//! never outgrows the running program.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use weft_graph::{Graph, NodeKind};
use weft_kernel::{Fragment, Fragments};
use weft_lang::ir::Program;

/// The key of a node's fragment.
pub type FragmentKey = [u8; 32];

#[derive(Debug)]
struct Entry {
    name: String,
    fragment: Arc<Fragment>,
}

/// The fragments of the running program's nodes, by key.
#[derive(Debug, Default)]
pub struct NodeCache {
    entries: HashMap<FragmentKey, Entry>,
}

impl NodeCache {
    /// An empty cache.
    pub fn new() -> NodeCache {
        NodeCache::default()
    }

    /// Number of fragments held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The names of the nodes whose fragments it holds, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.entries.values().map(|e| e.name.clone()).collect();
        v.sort();
        v
    }

    /// A view for one swap to `graph` of `program`: the key of every used node,
    /// lookups here, lowering of what is missing on the side.
    pub fn stage<'c>(&'c self, program: &'c Program, graph: &Graph) -> Staged<'c> {
        let digests = Digests::new(program);
        let keys = graph
            .order
            .iter()
            .map(|n| {
                let node = graph.node(*n);
                (
                    node.kind,
                    (
                        key(program, &digests, node.kind, &node.hash.0),
                        node.name.clone(),
                    ),
                )
            })
            .collect();
        Staged {
            cache: self,
            program,
            keys,
            fresh: HashMap::new(),
            lowered: HashSet::new(),
        }
    }

    /// Takes in what a successful swap lowered and drops every fragment its graph
    /// does not use; returns how many were dropped.
    pub fn commit(&mut self, staged: Commit) -> usize {
        self.entries.extend(staged.fresh);
        let before = self.entries.len();
        self.entries.retain(|k, _| staged.used.contains(k));
        before - self.entries.len()
    }
}

/// The fragment lookups of one swap (see [`NodeCache::stage`]).
pub struct Staged<'c> {
    cache: &'c NodeCache,
    program: &'c Program,
    keys: HashMap<NodeKind, (FragmentKey, String)>,
    fresh: HashMap<FragmentKey, Entry>,
    lowered: HashSet<NodeKind>,
}

impl Staged<'_> {
    /// True when `node`'s fragment was lowered in this swap (not found in the
    /// cache).
    pub fn lowered(&self, node: NodeKind) -> bool {
        self.lowered.contains(&node)
    }

    /// What [`NodeCache::commit`] takes: the new fragments and every used key.
    pub fn into_commit(self) -> Commit {
        Commit {
            used: self.keys.into_values().map(|(k, _)| k).collect(),
            fresh: self.fresh,
        }
    }
}

/// The outcome of a successful swap, for [`NodeCache::commit`].
pub struct Commit {
    used: HashSet<FragmentKey>,
    fresh: HashMap<FragmentKey, Entry>,
}

impl Fragments for Staged<'_> {
    fn fragment(&mut self, node: NodeKind) -> Arc<Fragment> {
        let Some((key, name)) = self.keys.get(&node) else {
            // Not a used node of the graph (cannot happen for batch members):
            // lower it, keep nothing.
            self.lowered.insert(node);
            return Arc::new(Fragment::lower(self.program, node));
        };
        if let Some(e) = self.fresh.get(key).or_else(|| self.cache.entries.get(key)) {
            return e.fragment.clone();
        }
        let fragment = Arc::new(Fragment::lower(self.program, node));
        self.lowered.insert(node);
        self.fresh.insert(
            *key,
            Entry {
                name: name.clone(),
                fragment: fragment.clone(),
            },
        );
        fragment
    }
}

/// What the whole program contributes to every key, hashed once per swap.
struct Digests {
    /// Coordinate names by id: fragments name coordinates by id.
    coords: [u8; 32],
    /// Every source's kind and path by id, and every parameter by slot: what a
    /// sink (which lists neither) may bake in.
    sources_and_params: [u8; 32],
    /// Each instance's parameters: (slot, name).
    params: HashMap<u32, Vec<(u32, String)>>,
}

impl Digests {
    fn new(program: &Program) -> Digests {
        let mut h = blake3::Hasher::new();
        for c in &program.coords {
            h.update(&(c.len() as u64).to_le_bytes());
            h.update(c.as_bytes());
        }
        let coords = *h.finalize().as_bytes();
        let mut h = blake3::Hasher::new();
        for s in &program.sources {
            let path = s
                .path
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            h.update(s.kind.name().as_bytes());
            h.update(&[0]);
            h.update(&(path.len() as u64).to_le_bytes());
            h.update(path.as_bytes());
        }
        let mut params: HashMap<u32, Vec<(u32, String)>> = HashMap::new();
        for (i, p) in program.params.iter().enumerate() {
            h.update(&(i as u32).to_le_bytes());
            h.update(&(p.name.len() as u64).to_le_bytes());
            h.update(p.name.as_bytes());
            params
                .entry(p.inst.0)
                .or_default()
                .push((i as u32, p.name.clone()));
        }
        Digests {
            coords,
            sources_and_params: *h.finalize().as_bytes(),
            params,
        }
    }
}

/// A node's fragment key: its content hash (which covers its definition and,
/// through its dependencies' hashes, everything it reads) and the ids its
/// fragment bakes in. The backend and grid are not part of it: a fragment holds
/// no wiring (reads of other batches are resolved when linking).
fn key(program: &Program, digests: &Digests, node: NodeKind, hash: &[u8; 32]) -> FragmentKey {
    let mut h = blake3::Hasher::new();
    h.update(b"weft-fragment-v1\0");
    h.update(hash);
    h.update(&digests.coords);
    match node {
        NodeKind::Instance(i) => {
            h.update(b"i");
            for (slot, name) in digests.params.get(&i.0).map_or(&[][..], |v| v) {
                h.update(&slot.to_le_bytes());
                h.update(&(name.len() as u64).to_le_bytes());
                h.update(name.as_bytes());
            }
            h.update(b"s");
            for s in &program.instance(i).sources {
                h.update(&s.0.to_le_bytes());
            }
        }
        NodeKind::Sink(_) => {
            h.update(b"o");
            h.update(&digests.sources_and_params);
        }
    }
    *h.finalize().as_bytes()
}
