//! From resolved expressions to a [`Kernel`]: lowering into a hash-consed DAG
//! (common sub-expressions once, constants folded, fused strands inlined, remaps
//! as coordinate substitution), then register allocation and bytecode.
//!
//! Nothing here recurses over program structure: instances are lowered in a
//! topological order and expressions in ascending arena order (children first), so
//! a 100,000-strand chain compiles on a small stack.

use super::{CallSite, Instr, Kernel, OpCode};
use crate::registry::{DataRef, Getter, OutputKey};
use crate::sources::SourceSet;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use weft_lang::ast::{BinOp, UnaryOp};
use weft_lang::builtins::{self, Func};
use weft_lang::ir::{coord, CoordId, Expr, ExprId, InstId, Program, Uniform};

/// What lowering needs from the program.
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

type NodeId = u32;
const NONE: NodeId = u32::MAX;

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
    memo: HashMap<ExprId, NodeId>,
    lowered: HashSet<InstId>,
    source_slots: HashMap<u32, u32>,
    sources: Vec<Arc<crate::sources::SourceData>>,
    outputs: Vec<NodeId>,
}

/// Why a kernel could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// An instance outside the kernel is read but nothing exposes it.
    #[error("`{0}` is read from another batch but no batch exposes it")]
    Unwired(String),
}

impl<'p> KernelBuilder<'p> {
    /// An empty builder.
    pub fn new(lo: Lowering<'p>) -> Self {
        KernelBuilder {
            lo,
            nodes: Vec::new(),
            interned: HashMap::new(),
            memo: HashMap::new(),
            lowered: HashSet::new(),
            source_slots: HashMap::new(),
            sources: Vec::new(),
            outputs: Vec::new(),
        }
    }

    fn node(&mut self, n: N) -> NodeId {
        if let Some(&id) = self.interned.get(&n) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(n.clone());
        self.interned.insert(n, id);
        id
    }

    fn konst(&mut self, v: f64) -> NodeId {
        self.node(N::Const(v.to_bits()))
    }

    fn const_of(&self, id: NodeId) -> Option<f64> {
        match self.nodes[id as usize] {
            N::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    fn op(&mut self, op: OpCode, args: &[NodeId]) -> NodeId {
        let mut a = [NONE; 3];
        a[..args.len()].copy_from_slice(args);
        self.node(N::Op(op, a, 0))
    }

    /// Adds outputs computing `exprs` (resolving references through `r`); returns
    /// their output indices.
    pub fn add_outputs(
        &mut self,
        exprs: &[ExprId],
        r: &mut dyn Resolve,
    ) -> Result<Vec<usize>, BuildError> {
        self.lower_needed(exprs, r)?;
        let roots = self.lower_exprs(exprs, r)?;
        let first = self.outputs.len();
        self.outputs.extend(roots);
        Ok((first..self.outputs.len()).collect())
    }

    /// Lowers, in a topological order, every fused instance that `exprs` reach.
    fn lower_needed(&mut self, exprs: &[ExprId], r: &mut dyn Resolve) -> Result<(), BuildError> {
        let prog = self.lo.program;
        let refs = |roots: &[ExprId]| -> Vec<InstId> {
            prog.reachable(roots)
                .into_iter()
                .filter_map(|e| match prog.expr(e) {
                    Expr::Ref { inst, .. } => Some(*inst),
                    _ => None,
                })
                .collect()
        };
        // Iterative post-order DFS over fused instances.
        let mut order = Vec::new();
        let mut state: HashMap<InstId, bool> = HashMap::new(); // false: open, true: done
        let mut stack: Vec<(InstId, bool)> = refs(exprs)
            .into_iter()
            .filter(|i| r.fused(*i) && !self.lowered.contains(i))
            .map(|i| (i, false))
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
                if r.fused(*d) && !self.lowered.contains(d) && !state.contains_key(d) {
                    stack.push((*d, false));
                }
            }
        }
        for inst in order {
            let values = prog.instance(inst).values.clone();
            self.lower_exprs(&values, r)?;
            self.lowered.insert(inst);
        }
        Ok(())
    }

    /// Lowers expressions whose fused references are already lowered.
    fn lower_exprs(
        &mut self,
        exprs: &[ExprId],
        r: &mut dyn Resolve,
    ) -> Result<Vec<NodeId>, BuildError> {
        let prog = self.lo.program;
        for e in prog.reachable(exprs) {
            if self.memo.contains_key(&e) {
                continue;
            }
            let n = self.lower_one(e, r)?;
            self.memo.insert(e, n);
        }
        Ok(exprs.iter().map(|e| self.memo[e]).collect())
    }

    fn lower_one(&mut self, e: ExprId, r: &mut dyn Resolve) -> Result<NodeId, BuildError> {
        let prog = self.lo.program;
        let m = |b: &Self, x: &ExprId| b.memo[x];
        Ok(match prog.expr(e) {
            Expr::Const(v) => self.konst(*v),
            Expr::Coord(c) => self.node(N::Coord(*c)),
            Expr::Uniform(u) => self.node(N::Uniform(match u {
                Uniform::MouseX => super::uniform::MOUSE_X,
                Uniform::MouseY => super::uniform::MOUSE_Y,
                Uniform::Bpm => super::uniform::BPM,
            })),
            Expr::Param(p) => self.node(N::Uniform(super::uniform::PARAMS + p.0)),
            Expr::Ref { inst, out } => {
                if r.fused(*inst) {
                    let v = prog.instance(*inst).values[*out as usize];
                    m(self, &v)
                } else {
                    let key = OutputKey {
                        inst: *inst,
                        out: *out,
                    };
                    let getter = r
                        .getter(key)
                        .ok_or_else(|| BuildError::Unwired(prog.instance(*inst).name.clone()))?;
                    let args: Box<[NodeId]> = getter
                        .kernel
                        .coords()
                        .map(|c| self.node(N::Coord(c)))
                        .collect();
                    self.node(N::Extern(key, args))
                }
            }
            Expr::Unary(op, a) => {
                let a = m(self, a);
                match self.const_of(a) {
                    Some(v) => self.konst(builtins::unary(*op, v)),
                    None => self.op(
                        match op {
                            UnaryOp::Neg => OpCode::Neg,
                            UnaryOp::Not => OpCode::Not,
                        },
                        &[a],
                    ),
                }
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (m(self, a), m(self, b));
                self.binary(*op, a, b)
            }
            Expr::Call(f, args) => {
                let args: Vec<NodeId> = args.iter().map(|x| m(self, x)).collect();
                let consts: Option<Vec<f64>> = args.iter().map(|a| self.const_of(*a)).collect();
                if let Some(vals) = consts {
                    return Ok(self.konst(f.apply(&vals)));
                }
                if *f == Func::Pow {
                    return Ok(self.binary(BinOp::Pow, args[0], args[1]));
                }
                let mut args = args;
                if *f == Func::Noise {
                    let zero = self.konst(0.0);
                    args.resize(3, zero);
                }
                self.op(func_op(*f), &args)
            }
            Expr::Source { source, out } => {
                let slot = match self.source_slots.get(&source.0) {
                    Some(s) => *s,
                    None => {
                        self.sources.push(self.lo.sources.get_arc(*source));
                        let s = self.sources.len() as u32 - 1;
                        self.source_slots.insert(source.0, s);
                        s
                    }
                };
                let x = self.node(N::Coord(coord::X));
                let y = self.node(N::Coord(coord::Y));
                let t = self.node(N::Coord(coord::TIME));
                self.node(N::Op(OpCode::Source, [x, y, t], (slot << 8) | out))
            }
            Expr::Remap { target, subs } => {
                let target = m(self, target);
                let map: HashMap<CoordId, NodeId> =
                    subs.iter().map(|(c, v)| (*c, m(self, v))).collect();
                self.substitute(target, &map)
            }
        })
    }

    fn binary(&mut self, op: BinOp, a: NodeId, b: NodeId) -> NodeId {
        match (self.const_of(a), self.const_of(b)) {
            (Some(x), Some(y)) => return self.konst(builtins::binary(op, x, y)),
            (_, Some(y)) if op == BinOp::Pow && y == 2.0 => return self.op(OpCode::Square, &[a]),
            (_, Some(y)) if op == BinOp::Pow && y == 1.0 => return a,
            _ => {}
        }
        let code = match op {
            BinOp::Or => OpCode::Or,
            BinOp::And => OpCode::And,
            BinOp::Eq => OpCode::Eq,
            BinOp::Ne => OpCode::Ne,
            BinOp::Lt => OpCode::Lt,
            BinOp::Le => OpCode::Le,
            BinOp::Gt => OpCode::Gt,
            BinOp::Ge => OpCode::Ge,
            BinOp::Add => OpCode::Add,
            BinOp::Sub => OpCode::Sub,
            BinOp::Mul => OpCode::Mul,
            BinOp::Div => OpCode::Div,
            BinOp::Rem => OpCode::Rem,
            BinOp::Pow => OpCode::Pow,
        };
        self.op(code, &[a, b])
    }

    /// `root` with coordinate leaves replaced per `map` (iterative, shares work).
    fn substitute(&mut self, root: NodeId, map: &HashMap<CoordId, NodeId>) -> NodeId {
        let mut reach = Vec::new();
        let mut seen = HashSet::new();
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            reach.push(n);
            match &self.nodes[n as usize] {
                N::Op(_, args, _) => stack.extend(args.iter().copied().filter(|a| *a != NONE)),
                N::Extern(_, args) => stack.extend(args.iter().copied()),
                _ => {}
            }
        }
        reach.sort_unstable();
        let mut new: HashMap<NodeId, NodeId> = HashMap::new();
        for n in reach {
            let rebuilt = match self.nodes[n as usize].clone() {
                N::Coord(c) => map.get(&c).copied().unwrap_or(n),
                N::Op(op, args, aux) => {
                    let args = args.map(|a| if a == NONE { NONE } else { new[&a] });
                    self.node(N::Op(op, args, aux))
                }
                N::Extern(key, args) => {
                    let args = args.iter().map(|a| new[a]).collect();
                    self.node(N::Extern(key, args))
                }
                other => self.node(other),
            };
            new.insert(n, rebuilt);
        }
        new[&root]
    }

    /// Allocates registers and emits the bytecode.
    pub fn finish(self, r: &mut dyn Resolve) -> Result<Kernel, BuildError> {
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
        let kernel = Kernel {
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
        Ok(kernel)
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

fn func_op(f: Func) -> OpCode {
    match f {
        Func::Sin => OpCode::Sin,
        Func::Cos => OpCode::Cos,
        Func::Tan => OpCode::Tan,
        Func::Asin => OpCode::Asin,
        Func::Acos => OpCode::Acos,
        Func::Atan => OpCode::Atan,
        Func::Atan2 => OpCode::Atan2,
        Func::Sinh => OpCode::Sinh,
        Func::Cosh => OpCode::Cosh,
        Func::Tanh => OpCode::Tanh,
        Func::Sqrt => OpCode::Sqrt,
        Func::Exp => OpCode::Exp,
        Func::Log => OpCode::Log,
        Func::Log2 => OpCode::Log2,
        Func::Log10 => OpCode::Log10,
        Func::Pow => OpCode::Pow,
        Func::Abs => OpCode::Abs,
        Func::Sign => OpCode::Sign,
        Func::Floor => OpCode::Floor,
        Func::Ceil => OpCode::Ceil,
        Func::Round => OpCode::Round,
        Func::Fract => OpCode::Fract,
        Func::Min => OpCode::Min,
        Func::Max => OpCode::Max,
        Func::Clamp => OpCode::Clamp,
        Func::Mix => OpCode::Mix,
        Func::Step => OpCode::Step,
        Func::Smoothstep => OpCode::Smoothstep,
        Func::Select => OpCode::Select,
        Func::Hash => OpCode::Hash,
        Func::Noise => OpCode::Noise,
    }
}
