//! The render graph of a program: which instance reads which, in what order they
//! run, which backend owns each, how they batch, and a content hash per node.
//!
//! Invariants:
//! - a [`Graph`] exists only for an acyclic program: cycles are errors naming every
//!   instance on them;
//! - every node reachable from an output has exactly one owner and sits in exactly
//!   one batch; batches are in a topological order, so a batch reads only from
//!   batches before it;
//! - a node's hash depends only on its normalized definition and its dependencies'
//!   hashes: formatting, comments and source position never change it.

mod build;
mod diff;
mod hash;
mod order;

pub use build::{build, sink_name, GraphError, Scope};
pub use diff::{diff, Diff};
pub use hash::NodeHash;
pub use order::{cycles, plan, Plan, Spec, SpecNode};

use weft_lang::ir::InstId;

/// A place a node can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BackendKind {
    /// Pictures: evaluates over pixels (x, y) at a frame's time.
    Visual,
    /// Sound: evaluates over samples (time).
    Audio,
    /// OSC messages: evaluates one point per visual frame.
    Osc,
}

impl BackendKind {
    /// Every backend.
    pub const ALL: [BackendKind; 3] = [BackendKind::Visual, BackendKind::Audio, BackendKind::Osc];

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            BackendKind::Visual => "visual",
            BackendKind::Audio => "audio",
            BackendKind::Osc => "osc",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The set of backends whose outputs need a node.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Contexts(u8);

impl Contexts {
    /// Adds a backend.
    pub fn insert(&mut self, b: BackendKind) {
        self.0 |= b.bit();
    }
    /// True when `b` needs the node.
    pub fn contains(self, b: BackendKind) -> bool {
        self.0 & b.bit() != 0
    }
    /// True when no output needs the node.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The backends, in [`BackendKind::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = BackendKind> {
        BackendKind::ALL
            .into_iter()
            .filter(move |b| self.contains(*b))
    }
}

/// An index into [`Graph::nodes`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// What a node stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NodeKind {
    /// A strand definition.
    Instance(InstId),
    /// An output statement (index into `Program::sinks`).
    Sink(usize),
}

/// One node.
#[derive(Clone, Debug)]
pub struct Node {
    /// What it stands for.
    pub kind: NodeKind,
    /// Its name: the instance name, or `display`, `play`, `osc#2`.
    pub name: String,
    /// The nodes it reads.
    pub deps: Vec<NodeId>,
    /// The backend its builtins belong to, if any.
    pub natural: Option<BackendKind>,
    /// The backends whose outputs need it.
    pub contexts: Contexts,
    /// The backend that runs it.
    pub owner: BackendKind,
    /// Content hash of its definition and its dependencies.
    pub hash: NodeHash,
}

impl Node {
    /// True when some output needs the node.
    pub fn is_used(&self) -> bool {
        !self.contexts.is_empty()
    }
}

/// Consecutive nodes of one backend, compiled together.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Batch {
    /// The backend.
    pub backend: BackendKind,
    /// Its nodes, in topological order.
    pub nodes: Vec<NodeId>,
}

/// The render graph of one scope of a program (the top level, or one segment).
#[derive(Clone, Debug)]
pub struct Graph {
    /// Every instance (same index as its `InstId`), then the scope's sinks.
    pub nodes: Vec<Node>,
    /// The used nodes in the order they run.
    pub order: Vec<NodeId>,
    /// The batches, in the order they run.
    pub batches: Vec<Batch>,
    /// For each node, its batch (`None` for unused nodes).
    pub batch_of: Vec<Option<usize>>,
}

impl Graph {
    /// The node behind an id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id.0 as usize]
    }

    /// The node of an instance.
    pub fn instance_node(&self, inst: InstId) -> NodeId {
        NodeId(inst.0)
    }

    /// The node called `name`.
    pub fn find(&self, name: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|n| n.name == name)
            .map(|i| NodeId(i as u32))
    }
}
