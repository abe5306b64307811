//! Hot program swap: each compiled batch carries a key made of its nodes' content
//! hashes and everything its code depends on; a swap keeps every batch whose key
//! is unchanged — its kernel and its buffers — and compiles only the others.
//! Compiling a batch again lowers only its nodes whose fragment key is new (see
//! `node_cache.rs`); the report says which nodes were lowered and which reused.

use crate::backend::{read_later, CompiledBatch, Context};
use crate::registry::{Exposed, OutputKey, Registry};
use std::collections::HashMap;
use weft_graph::{Graph, NodeKind};
use weft_lang::ir::{InstId, Program, SourceId};
use weft_sources::SourceSet;

/// What one swap kept and compiled.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SwapReport {
    /// Batches whose compiled code and buffers were kept.
    pub batches_kept: usize,
    /// Batches compiled anew.
    pub batches_compiled: usize,
    /// Used nodes whose hash changed or that are new, by name.
    pub nodes_changed: Vec<String>,
    /// Used nodes whose hash did not change, by name.
    pub nodes_unchanged: Vec<String>,
    /// Used nodes of the old graph that are gone.
    pub nodes_removed: Vec<String>,
    /// Nodes inside batches that were compiled anew (their fragments linked
    /// again into a fused kernel).
    pub nodes_compiled: Vec<String>,
    /// Used nodes whose code was lowered in this swap (their fragment key was
    /// new): the edited nodes and their dependents.
    pub nodes_lowered: Vec<String>,
    /// Used nodes whose lowered code was reused: inside a kept batch, or linked
    /// from the per-node cache into a batch compiled anew.
    pub nodes_reused: Vec<String>,
    /// Fragments dropped from the per-node cache because no used node has them
    /// any more (removed or changed nodes).
    pub fragments_dropped: usize,
}

impl SwapReport {
    /// One line for people: batches and nodes, compiled and kept.
    pub fn summary(&self) -> String {
        format!(
            "{} batches compiled, {} kept; {} nodes lowered, {} reused",
            self.batches_compiled,
            self.batches_kept,
            self.nodes_lowered.len(),
            self.nodes_reused.len()
        )
    }

    /// Adds another scope's report to this one.
    pub fn merge(&mut self, r: SwapReport) {
        self.batches_kept += r.batches_kept;
        self.batches_compiled += r.batches_compiled;
        self.nodes_changed.extend(r.nodes_changed);
        self.nodes_unchanged.extend(r.nodes_unchanged);
        self.nodes_removed.extend(r.nodes_removed);
        self.nodes_compiled.extend(r.nodes_compiled);
        self.nodes_lowered.extend(r.nodes_lowered);
        self.nodes_reused.extend(r.nodes_reused);
        self.fragments_dropped += r.fragments_dropped;
    }
}

/// The key of batch `index` of `graph` on a backend of `ctx`: the content hashes
/// of its nodes in order, the keys of the batches it reads from, which of its
/// outputs later batches read (and from where), the parameter slots, invented
/// coordinates and source contents its code bakes in, and its grid.
pub fn batch_key(
    ctx: Context,
    program: &Program,
    sources: &SourceSet,
    graph: &Graph,
    index: usize,
    earlier: &[[u8; 32]],
) -> [u8; 32] {
    let batch = &graph.batches[index];
    let mut h = blake3::Hasher::new();
    h.update(b"weft-batch-v1\0");
    h.update(format!("{:?}/{:?}", ctx.kind, ctx.layout).as_bytes());
    let mut insts = Vec::new();
    for n in &batch.nodes {
        let node = graph.node(*n);
        h.update(&node.hash.0);
        match node.kind {
            NodeKind::Instance(i) => {
                h.update(b"i");
                insts.push(i);
            }
            NodeKind::Sink(_) => {
                h.update(b"s");
            }
        }
        for d in &node.deps {
            if let Some(b) = graph.batch_of[d.0 as usize].filter(|b| *b != index) {
                h.update(b"r");
                h.update(&graph.node(*d).hash.0);
                // A producer that is not earlier cannot be wired: compiling
                // fails, with or without a key for it.
                h.update(earlier.get(b).unwrap_or(&[0xff; 32]));
            }
        }
    }
    for (inst, same) in read_later(graph, index, ctx.kind) {
        h.update(&graph.node(graph.instance_node(inst)).hash.0);
        h.update(&[same as u8]);
    }
    for (i, p) in program.params.iter().enumerate() {
        if insts.contains(&p.inst) {
            h.update(&(i as u64).to_le_bytes());
            h.update(p.name.as_bytes());
        }
    }
    for c in &program.coords {
        h.update(c.as_bytes());
        h.update(&[0]);
    }
    for i in 0..sources.len() {
        h.update(&sources.content_hash(SourceId(i as u32)));
    }
    *h.finalize().as_bytes()
}

/// Takes `old` (same key) into the new graph: the same kernel and buffers, its
/// node references renamed to the new program's ids, its outputs exposed again.
pub fn reuse(
    old: &CompiledBatch,
    ctx: Context,
    graph: &Graph,
    index: usize,
    registry: &mut Registry,
) -> CompiledBatch {
    let nodes: Vec<NodeKind> = graph.batches[index]
        .nodes
        .iter()
        .map(|n| graph.node(*n).kind)
        .collect();
    let mut insts: HashMap<InstId, InstId> = HashMap::new();
    let mut sinks: HashMap<usize, usize> = HashMap::new();
    for (o, n) in old.nodes.iter().zip(&nodes) {
        match (o, n) {
            (NodeKind::Instance(a), NodeKind::Instance(b)) => {
                insts.insert(*a, *b);
            }
            (NodeKind::Sink(a), NodeKind::Sink(b)) => {
                sinks.insert(*a, *b);
            }
            _ => {}
        }
    }
    let exposed: Vec<_> = old
        .exposed
        .iter()
        .map(|(k, g, b)| {
            let key = OutputKey {
                inst: insts.get(&k.inst).copied().unwrap_or(k.inst),
                out: k.out,
            };
            (key, g.clone(), b.clone())
        })
        .collect();
    for (key, getter, buffer) in &exposed {
        registry.expose(
            *key,
            Exposed {
                backend: ctx.kind,
                batch: index,
                getter: getter.clone(),
                buffer: buffer.clone(),
            },
        );
    }
    CompiledBatch {
        key: old.key,
        nodes,
        node_instrs: old.node_instrs.clone(),
        kernel: old.kernel.clone(),
        writes: old.writes.clone(),
        sinks: old
            .sinks
            .iter()
            .map(|(s, first)| (sinks.get(s).copied().unwrap_or(*s), *first))
            .collect(),
        exposed,
    }
}

/// Sorts the used nodes of two graphs into changed, unchanged and removed.
pub fn compare(old: Option<&Graph>, new: &Graph, report: &mut SwapReport) {
    let used = |g: &Graph| -> HashMap<String, weft_graph::NodeHash> {
        g.order
            .iter()
            .map(|n| (g.node(*n).name.clone(), g.node(*n).hash))
            .collect()
    };
    let before = old.map(used).unwrap_or_default();
    let after = used(new);
    for n in &new.order {
        let node = new.node(*n);
        match before.get(&node.name) {
            Some(h) if *h == node.hash => report.nodes_unchanged.push(node.name.clone()),
            _ => report.nodes_changed.push(node.name.clone()),
        }
    }
    if let Some(old) = old {
        for n in &old.order {
            let name = &old.node(*n).name;
            if !after.contains_key(name) {
                report.nodes_removed.push(name.clone());
            }
        }
    }
}
