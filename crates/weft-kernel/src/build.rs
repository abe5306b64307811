//! From graph nodes to a [`Kernel`]: linking the nodes' lowered fragments (see
//! [`super::fragment`]) into one hash-consed DAG — common sub-expressions once
//! across nodes, holes to fused instances filled with their code (folding what
//! becomes constant), holes to other batches wired as reads, deferred remaps
//! substituted — then register allocation and bytecode.
//!
//! Nothing here recurses over program structure: instances are linked in a
//! topological order and fragments in piece order (children first), so a
//! 100,000-strand chain compiles on a small stack; remaps of remaps link in time
//! linear in the code they make (`substitute.rs`), and that code is bounded by
//! [`MAX_KERNEL_NODES`] (`BuildError::TooLarge`).

use super::fragment::{simplify, Fragment, Fragments, Piece, Simplified, NONE};
use super::substitute::{coord_bit, Dag, Substitutions};
use super::{CallSite, Instr, Kernel, KernelId, OpCode, MAX_KERNEL_NODES};
use crate::data::{DataRef, Getter, OutputKey};
use std::collections::HashMap;
use std::sync::Arc;
use weft_diagnostics::{Code, Diagnostic, Span};
use weft_graph::NodeKind;
use weft_lang::ir::{CoordId, InstId, Program};
use weft_sources::SourceSet;

/// What building needs from the program.
#[derive(Clone, Copy)]
pub struct Lowering<'p> {
    /// The program.
    pub program: &'p Program,
    /// Its decoded sources.
    pub sources: &'p SourceSet,
}

/// How references to instances that are not fused get resolved.
pub trait Resolve {
    /// True when `inst` is computed inside this kernel.
    fn fused(&self, inst: InstId) -> bool;
    /// The getter of an exposed output (for its coordinate list).
    fn getter(&mut self, key: OutputKey) -> Option<Arc<Getter>>;
    /// The final reference for a read of `key`; `same_point` when it is read at the
    /// consumer's own coordinates.
    fn wire(&mut self, key: OutputKey, same_point: bool) -> Option<DataRef>;
}

/// A resolver that fuses every instance a kernel reads into it: one-off kernels
/// (block previews, tests) that stand alone, wired to no other batch.
#[derive(Clone, Copy, Debug, Default)]
pub struct FuseAll;

impl Resolve for FuseAll {
    fn fused(&self, _inst: InstId) -> bool {
        true
    }
    fn getter(&mut self, _key: OutputKey) -> Option<Arc<Getter>> {
        None
    }
    fn wire(&mut self, _key: OutputKey, _same_point: bool) -> Option<DataRef> {
        None
    }
}

type NodeId = u32;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum N {
    Const(u64),
    Coord(CoordId),
    Uniform(u32),
    Op(OpCode, [NodeId; 3], u32),
    Extern(OutputKey, Box<[NodeId]>),
}

/// Builds one kernel.
pub struct KernelBuilder<'p> {
    lo: Lowering<'p>,
    nodes: Vec<N>,
    interned: HashMap<N, NodeId>,
    /// The DAG nodes of each fused instance's outputs, once linked.
    linked: HashMap<InstId, Box<[NodeId]>>,
    source_slots: HashMap<u32, u32>,
    sources: Vec<Arc<weft_sources::SourceData>>,
    outputs: Vec<NodeId>,
    /// Graph nodes in link order, and for each DAG node the one that first made
    /// it (instructions are attributed to it for per-node timing).
    owners: Vec<NodeKind>,
    owner_of: Vec<u32>,
    /// Per DAG node: the coordinates its value reads (see [`coord_bit`]).
    reads: Vec<u64>,
    /// The remap substitutions made so far.
    substitutions: Substitutions,
    /// The DAG outgrew [`MAX_KERNEL_NODES`]; linking stops.
    too_large: bool,
}

/// Why a kernel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// An instance outside the kernel is read but nothing exposes it.
    #[error("`{0}` is read from another batch but no batch exposes it")]
    Unwired(String),
    /// The kernel would need more than [`MAX_KERNEL_NODES`] operations.
    #[error("`{name}` needs more than {MAX_KERNEL_NODES} operations in one kernel once the remaps and instances it reads are expanded")]
    TooLarge {
        /// The instance (or output) being linked when the budget ran out.
        name: String,
        /// Its definition.
        span: Span,
    },
}

impl BuildError {
    /// The program's diagnostic for this error, when it is the program's fault
    /// (an unwired read is weft's).
    pub fn to_diagnostic(&self) -> Option<Diagnostic> {
        match self {
            BuildError::TooLarge { span, .. } => Some(
                Diagnostic::error(Code::TooLarge, *span, self.to_string()).with_note(format!(
                    "a kernel holds at most {MAX_KERNEL_NODES} operations (see \"Limits\" in docs/language.md); \
                     remaps of remaps can grow it exponentially: compose the coordinates instead"
                )),
            ),
            BuildError::Unwired(_) => None,
        }
    }
}

impl<'p> KernelBuilder<'p> {
    /// An empty builder.
    pub fn new(lo: Lowering<'p>) -> Self {
        KernelBuilder {
            lo,
            nodes: Vec::new(),
            interned: HashMap::new(),
            linked: HashMap::new(),
            source_slots: HashMap::new(),
            sources: Vec::new(),
            outputs: Vec::new(),
            owners: Vec::new(),
            owner_of: Vec::new(),
            reads: Vec::new(),
            substitutions: Substitutions::default(),
            too_large: false,
        }
    }

    fn node(&mut self, n: N) -> NodeId {
        if let Some(&id) = self.interned.get(&n) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        if self.nodes.len() >= MAX_KERNEL_NODES {
            self.too_large = true;
        }
        let reads = match &n {
            N::Coord(c) => coord_bit(*c),
            N::Op(_, args, _) => args
                .iter()
                .filter(|a| **a != NONE)
                .fold(0, |m, a| m | self.reads[*a as usize]),
            N::Extern(_, args) => args.iter().fold(0, |m, a| m | self.reads[*a as usize]),
            N::Const(_) | N::Uniform(_) => 0,
        };
        self.reads.push(reads);
        self.nodes.push(n.clone());
        self.owner_of
            .push(self.owners.len().saturating_sub(1) as u32);
        self.interned.insert(n, id);
        id
    }

    fn const_of(&self, id: NodeId) -> Option<f64> {
        match self.nodes[id as usize] {
            N::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// Adds every output of graph node `node` (an instance's outputs, a sink's
    /// values), linking first each fused instance it reads; returns their output
    /// indices.
    pub fn add_node(
        &mut self,
        node: NodeKind,
        frags: &mut dyn Fragments,
        r: &mut dyn Resolve,
    ) -> Result<Vec<usize>, BuildError> {
        let roots = self.link_node(node, frags, r)?;
        let first = self.outputs.len();
        self.outputs.extend(roots.iter().copied());
        Ok((first..self.outputs.len()).collect())
    }

    /// Adds output `out` of instance `inst` (linking it and what it reads);
    /// returns its output index.
    pub fn add_output(
        &mut self,
        inst: InstId,
        out: u32,
        frags: &mut dyn Fragments,
        r: &mut dyn Resolve,
    ) -> Result<usize, BuildError> {
        let roots = self.link_node(NodeKind::Instance(inst), frags, r)?;
        let name = || self.lo.program.instance(inst).name.clone();
        let root = *roots
            .get(out as usize)
            .ok_or_else(|| BuildError::Unwired(format!("{}@{out}", name())))?;
        self.outputs.push(root);
        Ok(self.outputs.len() - 1)
    }

    /// The DAG nodes of `node`'s outputs, linking it (and, before it, every fused
    /// instance it reaches) unless that was done already.
    fn link_node(
        &mut self,
        node: NodeKind,
        frags: &mut dyn Fragments,
        r: &mut dyn Resolve,
    ) -> Result<Box<[NodeId]>, BuildError> {
        if let NodeKind::Instance(i) = node {
            if let Some(done) = self.linked.get(&i) {
                return Ok(done.clone());
            }
        }
        let prog = self.lo.program;
        let deps = match node {
            NodeKind::Instance(i) => &prog.instance(i).deps,
            NodeKind::Sink(s) => &prog.sinks[s].deps,
        };
        self.link_needed(deps, frags, r)?;
        let roots = self.link(node, &frags.fragment(node), r)?;
        if let NodeKind::Instance(i) = node {
            self.linked.insert(i, roots.clone());
        }
        Ok(roots)
    }

    /// Links, in a topological order, every fused instance reachable from
    /// `roots` that is not linked yet.
    fn link_needed(
        &mut self,
        roots: &[InstId],
        frags: &mut dyn Fragments,
        r: &mut dyn Resolve,
    ) -> Result<(), BuildError> {
        let prog = self.lo.program;
        // Iterative post-order DFS over fused instances.
        let mut order = Vec::new();
        let mut state: HashMap<InstId, bool> = HashMap::new(); // false: open, true: done
        let mut stack: Vec<(InstId, bool)> = roots
            .iter()
            .filter(|i| r.fused(**i) && !self.linked.contains_key(i))
            .map(|i| (*i, false))
            .collect();
        while let Some((inst, expanded)) = stack.pop() {
            if expanded {
                if state.insert(inst, true) != Some(true) {
                    order.push(inst);
                }
                continue;
            }
            if state.contains_key(&inst) {
                continue;
            }
            state.insert(inst, false);
            stack.push((inst, true));
            for d in &prog.instance(inst).deps {
                if r.fused(*d) && !self.linked.contains_key(d) && !state.contains_key(d) {
                    stack.push((*d, false));
                }
            }
        }
        for inst in order {
            let node = NodeKind::Instance(inst);
            let roots = self.link(node, &frags.fragment(node), r)?;
            self.linked.insert(inst, roots);
        }
        Ok(())
    }

    /// Copies `frag` (the fragment of `node`, whose fused reads are linked) into
    /// the DAG; returns the nodes of its outputs.
    fn link(
        &mut self,
        node: NodeKind,
        frag: &Fragment,
        r: &mut dyn Resolve,
    ) -> Result<Box<[NodeId]>, BuildError> {
        let prog = self.lo.program;
        let deps = match node {
            NodeKind::Instance(i) => &prog.instance(i).deps,
            NodeKind::Sink(s) => &prog.sinks[s].deps,
        };
        self.owners.push(node);
        let too_large = || {
            let (name, span) = match node {
                NodeKind::Instance(i) => {
                    (prog.instance(i).name.clone(), prog.instance(i).name_span)
                }
                NodeKind::Sink(s) => (weft_graph::sink_name(prog, s), prog.sinks[s].span),
            };
            BuildError::TooLarge { name, span }
        };
        if frag.too_large {
            return Err(too_large());
        }
        let mut at: Vec<NodeId> = Vec::with_capacity(frag.pieces.len());
        for piece in &frag.pieces {
            if self.too_large {
                return Err(too_large());
            }
            let map = |a: u32| if a == NONE { NONE } else { at[a as usize] };
            let id = match piece {
                Piece::Const(bits) => self.node(N::Const(*bits)),
                Piece::Coord(c) => self.node(N::Coord(*c)),
                Piece::Uniform(u) => self.node(N::Uniform(*u)),
                Piece::Op { op, args, fold } => {
                    let args = args.map(map);
                    if *fold {
                        self.simplified(*op, args)
                    } else {
                        self.node(N::Op(*op, args, 0))
                    }
                }
                Piece::Source { source, out, args } => {
                    let slot = match self.source_slots.get(&source.0) {
                        Some(s) => *s,
                        None => {
                            self.sources.push(self.lo.sources.get_arc(*source));
                            let s = self.sources.len() as u32 - 1;
                            self.source_slots.insert(source.0, s);
                            s
                        }
                    };
                    self.node(N::Op(OpCode::Source, args.map(map), (slot << 8) | out))
                }
                Piece::Ref { dep, out } => {
                    let inst = deps[*dep as usize];
                    let unwired = || BuildError::Unwired(prog.instance(inst).name.clone());
                    if r.fused(inst) {
                        *self
                            .linked
                            .get(&inst)
                            .and_then(|o| o.get(*out as usize))
                            .ok_or_else(unwired)?
                    } else {
                        let key = OutputKey { inst, out: *out };
                        let getter = r.getter(key).ok_or_else(unwired)?;
                        let args: Box<[NodeId]> = getter
                            .kernel
                            .coords()
                            .map(|c| self.node(N::Coord(c)))
                            .collect();
                        self.node(N::Extern(key, args))
                    }
                }
                Piece::Remap { target, subs } => {
                    let subs: Vec<(CoordId, NodeId)> =
                        subs.iter().map(|(c, v)| (*c, at[*v as usize])).collect();
                    // Taken out while it walks the builder's nodes.
                    let mut substitutions = std::mem::take(&mut self.substitutions);
                    let id = substitutions.apply(self, at[*target as usize], &subs);
                    self.substitutions = substitutions;
                    id
                }
            };
            at.push(id);
        }
        if self.too_large {
            return Err(too_large());
        }
        Ok(frag.outputs.iter().map(|o| at[*o as usize]).collect())
    }

    /// An operation whose operands were holes, simplified over the ones that
    /// turned out constant (see [`simplify`]).
    fn simplified(&mut self, op: OpCode, args: [NodeId; 3]) -> NodeId {
        let n = args.iter().take_while(|a| **a != NONE).count();
        let consts: Vec<Option<f64>> = args[..n].iter().map(|a| self.const_of(*a)).collect();
        match simplify(op, &consts) {
            Simplified::Const(v) => self.node(N::Const(v.to_bits())),
            Simplified::Operand(i) => args[i],
            Simplified::Op(op, n) => {
                let mut a = [NONE; 3];
                a[..n].copy_from_slice(&args[..n]);
                self.node(N::Op(op, a, 0))
            }
        }
    }

    /// Allocates registers and emits the bytecode.
    pub fn finish(self, r: &mut dyn Resolve) -> Result<Kernel, BuildError> {
        self.finish_attributed(r).map(|(k, _)| k)
    }

    /// [`KernelBuilder::finish`], also counting for each linked graph node the
    /// instructions attributed to it: each instruction counts once, for the node
    /// whose fragment first made it (a sub-expression shared by several nodes is
    /// computed once and counted once).
    pub fn finish_attributed(
        self,
        r: &mut dyn Resolve,
    ) -> Result<(Kernel, Vec<(NodeKind, usize)>), BuildError> {
        let n = self.nodes.len();
        // Live nodes: children have smaller ids, so one descending pass marks them.
        let mut live = vec![false; n];
        for &o in &self.outputs {
            live[o as usize] = true;
        }
        for i in (0..n).rev() {
            if !live[i] {
                continue;
            }
            match &self.nodes[i] {
                N::Op(_, args, _) => args
                    .iter()
                    .filter(|a| **a != NONE)
                    .for_each(|a| live[*a as usize] = true),
                N::Extern(_, args) => args.iter().for_each(|a| live[*a as usize] = true),
                _ => {}
            }
        }
        let mut reg = vec![u32::MAX; n];
        let mut n_regs = 0u32;
        let mut consts = Vec::new();
        let mut coords = Vec::new();
        let mut uniforms = Vec::new();
        for i in 0..n {
            if !live[i] {
                continue;
            }
            match self.nodes[i] {
                N::Const(bits) => consts.push((n_regs, f64::from_bits(bits))),
                N::Coord(c) => coords.push((c, n_regs)),
                N::Uniform(u) => uniforms.push((u, n_regs)),
                _ => continue,
            }
            reg[i] = n_regs;
            n_regs += 1;
        }
        // Instruction positions and last reads.
        let computed: Vec<usize> = (0..n)
            .filter(|&i| live[i] && matches!(self.nodes[i], N::Op(..) | N::Extern(..)))
            .collect();
        let mut last_read = vec![usize::MAX; n];
        for (pos, &i) in computed.iter().enumerate() {
            let args: Vec<NodeId> = match &self.nodes[i] {
                N::Op(_, a, _) => a.iter().copied().filter(|x| *x != NONE).collect(),
                N::Extern(_, a) => a.to_vec(),
                _ => Vec::new(),
            };
            for a in args {
                last_read[a as usize] = pos;
            }
        }
        for &o in &self.outputs {
            last_read[o as usize] = usize::MAX - 1;
        }
        let mut free: Vec<u32> = Vec::new();
        let mut instrs = Vec::with_capacity(computed.len());
        let mut calls = Vec::new();
        let mut buffers = Vec::new();
        for (pos, &i) in computed.iter().enumerate() {
            let dst = free.pop().unwrap_or_else(|| {
                n_regs += 1;
                n_regs - 1
            });
            let (ins, args) = match &self.nodes[i] {
                N::Op(op, a, aux) => {
                    let g = |x: NodeId| if x == NONE { dst } else { reg[x as usize] };
                    let ins = Instr {
                        op: *op,
                        dst,
                        a: g(a[0]),
                        b: g(a[1]),
                        c: g(a[2]),
                        aux: *aux,
                    };
                    (
                        ins,
                        a.iter().copied().filter(|x| *x != NONE).collect::<Vec<_>>(),
                    )
                }
                N::Extern(key, a) => {
                    let name = || self.lo.program.instance(key.inst).name.clone();
                    let getter = r.getter(*key).ok_or_else(|| BuildError::Unwired(name()))?;
                    // Read at the consumer's own point: every argument is the very
                    // coordinate the producer takes there (no remap in between).
                    let same_point = getter
                        .kernel
                        .coords()
                        .zip(a.iter())
                        .all(|(c, x)| self.nodes[*x as usize] == N::Coord(c));
                    let (op, aux) = match r
                        .wire(*key, same_point)
                        .ok_or_else(|| BuildError::Unwired(name()))?
                    {
                        DataRef::Buffer(b) => {
                            buffers.push(b);
                            (OpCode::Buffer, buffers.len() as u32 - 1)
                        }
                        DataRef::Getter(g) => {
                            calls.push(CallSite {
                                getter: g,
                                args: a.iter().map(|x| reg[*x as usize]).collect(),
                            });
                            (OpCode::Call, calls.len() as u32 - 1)
                        }
                    };
                    let ins = Instr {
                        op,
                        dst,
                        a: dst,
                        b: dst,
                        c: dst,
                        aux,
                    };
                    (ins, a.to_vec())
                }
                _ => continue,
            };
            instrs.push(ins);
            reg[i] = dst;
            let mut freed = args;
            freed.sort_unstable();
            freed.dedup();
            for a in freed {
                if last_read[a as usize] == pos
                    && matches!(self.nodes[a as usize], N::Op(..) | N::Extern(..))
                {
                    free.push(reg[a as usize]);
                }
            }
        }
        let outputs: Vec<u32> = self.outputs.iter().map(|o| reg[*o as usize]).collect();
        let mut attributed: Vec<(NodeKind, usize)> = self.owners.iter().map(|o| (*o, 0)).collect();
        for &i in &computed {
            if let Some(a) = attributed.get_mut(self.owner_of[i] as usize) {
                a.1 += 1;
            }
        }
        let kernel = Kernel {
            id: KernelId::fresh(),
            instrs,
            n_regs: n_regs as usize,
            consts,
            coords,
            uniforms,
            outputs,
            sources: self.sources,
            calls,
            buffers,
            fast: fast_cpu(),
        };
        validate(&kernel);
        Ok((kernel, attributed))
    }
}

impl Dag for KernelBuilder<'_> {
    fn reads(&self, n: u32) -> u64 {
        self.reads[n as usize]
    }

    fn operands(&self, n: u32) -> Vec<u32> {
        match &self.nodes[n as usize] {
            N::Op(_, args, _) => args.iter().copied().filter(|a| *a != NONE).collect(),
            N::Extern(_, args) => args.to_vec(),
            N::Const(_) | N::Coord(_) | N::Uniform(_) => Vec::new(),
        }
    }

    fn coord(&self, n: u32) -> Option<CoordId> {
        match self.nodes[n as usize] {
            N::Coord(c) => Some(c),
            _ => None,
        }
    }

    fn rebuild(&mut self, n: u32, new: &dyn Fn(u32) -> u32) -> u32 {
        match self.nodes[n as usize].clone() {
            N::Op(op, args, aux) => {
                let args = args.map(|a| if a == NONE { NONE } else { new(a) });
                self.node(N::Op(op, args, aux))
            }
            N::Extern(key, args) => {
                let args = args.iter().map(|a| new(*a)).collect();
                self.node(N::Extern(key, args))
            }
            N::Const(_) | N::Coord(_) | N::Uniform(_) => n,
        }
    }

    fn too_large(&self) -> bool {
        self.too_large
    }
}

/// Checks the invariants `run` relies on; a violation is a compiler bug, caught
/// here rather than as memory corruption.
fn validate(k: &Kernel) {
    for i in &k.instrs {
        let operands: &[u32] = match i.op {
            OpCode::Buffer | OpCode::Call => &[],
            op if (op as u32) <= OpCode::Hash as u32 => std::slice::from_ref(&i.a),
            op if (op as u32) <= OpCode::Step as u32 => &[i.a, i.b][..],
            _ => &[i.a, i.b, i.c][..],
        };
        assert!((i.dst as usize) < k.n_regs, "kernel register out of range");
        for &o in operands {
            assert!((o as usize) < k.n_regs, "kernel register out of range");
            assert!(o != i.dst, "kernel destination aliases an operand");
        }
        if i.op == OpCode::Call {
            for &a in &k.calls[i.aux as usize].args {
                assert!(
                    (a as usize) < k.n_regs && a != i.dst,
                    "kernel call argument"
                );
            }
        }
    }
}

fn fast_cpu() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}
