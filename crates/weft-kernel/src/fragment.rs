//! Lowering one graph node (an instance or a sink) into a [`Fragment`]: its
//! expressions as a small hash-consed DAG of kernel operations, with its own
//! constant folding and remap substitution done, and a hole for every read of
//! another instance. A fragment names nothing by arena id except what its cache
//! key covers (coordinates, parameter slots, sources), so the fragment of an
//! unchanged node is reused across programs; [`super::KernelBuilder`] links
//! fragments into one fused kernel. Remaps of remaps lower in time linear in the
//! code they make (`substitute.rs`); lowering stops at [`MAX_KERNEL_NODES`]
//! pieces (then the fragment is marked too large and linking it fails).

use super::substitute::{coord_bit, Dag, Substitutions};
use super::{uniform, OpCode, MAX_KERNEL_NODES};
use std::collections::HashMap;
use std::sync::Arc;
use weft_graph::NodeKind;
use weft_lang::ast::{BinOp, UnaryOp};
use weft_lang::builtins::{self, Func};
use weft_lang::ir::{coord, CoordId, Expr, ExprId, InstId, Program, SourceId, Uniform};

/// An absent operand.
pub(crate) const NONE: u32 = u32::MAX;

/// One operation of a fragment; operands are indices of earlier pieces.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Piece {
    /// A number (its bits).
    Const(u64),
    /// A coordinate.
    Coord(CoordId),
    /// A uniform slot (see `kernel::uniform`).
    Uniform(u32),
    /// An operation. `fold`: when linking turns every operand into a constant
    /// (through a hole), fold it as lowering would have; false for operations a
    /// remap substitution rebuilt (substitution never folds) and for operations
    /// with no hole beneath (lowering already folded what it could).
    Op {
        op: OpCode,
        args: [u32; 3],
        fold: bool,
    },
    /// Output `out` of a source sampled at `args` (x, y, time).
    Source {
        source: SourceId,
        out: u32,
        args: [u32; 3],
    },
    /// The hole for output `out` of the node's `dep`-th dependency (its
    /// first-use order, which the node's content hash fixes).
    Ref { dep: u32, out: u32 },
    /// A remap whose target reads another instance: substituted when linked,
    /// once the target's code is known.
    Remap {
        target: u32,
        subs: Box<[(CoordId, u32)]>,
    },
}

/// The lowered code of one graph node, independent of the program's arena ids.
#[derive(Debug, Default)]
pub struct Fragment {
    pub(crate) pieces: Vec<Piece>,
    pub(crate) outputs: Vec<u32>,
    /// Lowering stopped at [`MAX_KERNEL_NODES`] pieces: the code is incomplete.
    pub(crate) too_large: bool,
}

impl Fragment {
    /// Lowers graph node `node` of `program`.
    pub fn lower(program: &Program, node: NodeKind) -> Fragment {
        let (roots, deps) = match node {
            NodeKind::Instance(i) => {
                let inst = program.instance(i);
                (&inst.values, &inst.deps)
            }
            NodeKind::Sink(s) => (&program.sinks[s].values, &program.sinks[s].deps),
        };
        Lowerer::new(deps).run(program, roots)
    }

    /// Number of pieces (operations, leaves and holes).
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// True when it has no pieces.
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }
}

/// Where a build takes the fragments of the nodes it links.
pub trait Fragments {
    /// The fragment of `node` (an instance or a sink of the program being built).
    fn fragment(&mut self, node: NodeKind) -> Arc<Fragment>;
}

/// Lowers each node on first request and keeps it for this build only (probes,
/// one-off kernels).
pub struct Fresh<'p> {
    program: &'p Program,
    memo: HashMap<NodeKind, Arc<Fragment>>,
}

impl<'p> Fresh<'p> {
    /// Nothing lowered yet.
    pub fn new(program: &'p Program) -> Fresh<'p> {
        Fresh {
            program,
            memo: HashMap::new(),
        }
    }
}

impl Fragments for Fresh<'_> {
    fn fragment(&mut self, node: NodeKind) -> Arc<Fragment> {
        self.memo
            .entry(node)
            .or_insert_with(|| Arc::new(Fragment::lower(self.program, node)))
            .clone()
    }
}

/// What an operation becomes once the constancy of its operands is known.
pub(crate) enum Simplified {
    /// A constant.
    Const(f64),
    /// Operand `i` itself (`x ^ 1`).
    Operand(usize),
    /// The operation `op` over the first `n` operands.
    Op(OpCode, usize),
}

/// Folds operations over constants and specializes `x ^ 2` and `x ^ 1` — the
/// rules lowering has always applied, shared by lowering and linking so a hole
/// that links to a constant gives the code inlining would have given.
pub(crate) fn simplify(op: OpCode, consts: &[Option<f64>]) -> Simplified {
    let n = consts.len();
    if n > 0 && consts.iter().all(Option::is_some) {
        let v: Vec<f64> = consts.iter().map(|c| c.unwrap_or(0.0)).collect();
        if let Some(x) = fold(op, &v) {
            return Simplified::Const(x);
        }
    }
    if op == OpCode::Pow {
        match consts.get(1).copied().flatten() {
            Some(2.0) => return Simplified::Op(OpCode::Square, 1),
            Some(1.0) => return Simplified::Operand(0),
            _ => {}
        }
    }
    Simplified::Op(op, n)
}

/// The value of `op` over constants, by the builtins' scalar meaning (the one
/// the kernels and the reference interpreter share); `None` for data reads.
fn fold(op: OpCode, v: &[f64]) -> Option<f64> {
    let a = |i: usize| v.get(i).copied().unwrap_or(0.0);
    let bin = |b: BinOp| Some(builtins::binary(b, a(0), a(1)));
    match op {
        OpCode::Neg => Some(builtins::unary(UnaryOp::Neg, a(0))),
        OpCode::Not => Some(builtins::unary(UnaryOp::Not, a(0))),
        // Only ever made from `x ^ 2`.
        OpCode::Square => Some(builtins::binary(BinOp::Pow, a(0), 2.0)),
        OpCode::Add => bin(BinOp::Add),
        OpCode::Sub => bin(BinOp::Sub),
        OpCode::Mul => bin(BinOp::Mul),
        OpCode::Div => bin(BinOp::Div),
        OpCode::Rem => bin(BinOp::Rem),
        OpCode::Pow => bin(BinOp::Pow),
        OpCode::Lt => bin(BinOp::Lt),
        OpCode::Le => bin(BinOp::Le),
        OpCode::Gt => bin(BinOp::Gt),
        OpCode::Ge => bin(BinOp::Ge),
        OpCode::Eq => bin(BinOp::Eq),
        OpCode::Ne => bin(BinOp::Ne),
        OpCode::And => bin(BinOp::And),
        OpCode::Or => bin(BinOp::Or),
        OpCode::Source | OpCode::Call | OpCode::Buffer => None,
        other => Func::ALL
            .iter()
            .find(|f| func_op(**f) == other)
            .map(|f| f.apply(v)),
    }
}

struct Lowerer {
    dep_index: HashMap<InstId, u32>,
    pieces: Vec<Piece>,
    /// Per piece: a hole (or a deferred remap) lies beneath it.
    open: Vec<bool>,
    /// Per piece: the coordinates it reads (see [`coord_bit`]).
    reads: Vec<u64>,
    interned: HashMap<Piece, u32>,
    /// The remap substitutions made so far.
    substitutions: Substitutions,
    too_large: bool,
}

impl Lowerer {
    fn new(deps: &[InstId]) -> Self {
        Lowerer {
            dep_index: deps
                .iter()
                .enumerate()
                .map(|(k, i)| (*i, k as u32))
                .collect(),
            pieces: Vec::new(),
            open: Vec::new(),
            reads: Vec::new(),
            interned: HashMap::new(),
            substitutions: Substitutions::default(),
            too_large: false,
        }
    }

    fn run(mut self, program: &Program, roots: &[ExprId]) -> Fragment {
        let mut memo: HashMap<ExprId, u32> = HashMap::new();
        // Children before parents, no recursion, in an order fixed by the
        // node's own expressions (not the shared arena's layout), so the same
        // node lowers to the same fragment in any program.
        for e in program.post_order(roots) {
            if self.too_large {
                return Fragment {
                    too_large: true,
                    ..Fragment::default()
                };
            }
            let p = self.lower_one(program, e, &memo);
            memo.insert(e, p);
        }
        Fragment {
            outputs: roots.iter().map(|r| memo[r]).collect(),
            pieces: self.pieces,
            too_large: self.too_large,
        }
    }

    fn piece(&mut self, p: Piece) -> u32 {
        if let Some(&id) = self.interned.get(&p) {
            return id;
        }
        let open = match &p {
            Piece::Ref { .. } | Piece::Remap { .. } => true,
            Piece::Op { args, .. } | Piece::Source { args, .. } => {
                args.iter().any(|a| *a != NONE && self.open[*a as usize])
            }
            _ => false,
        };
        // Holes and deferred remaps read any coordinate (known only when linked).
        let reads = match &p {
            Piece::Coord(c) => coord_bit(*c),
            Piece::Op { args, .. } | Piece::Source { args, .. } => args
                .iter()
                .filter(|a| **a != NONE)
                .fold(0, |m, a| m | self.reads[*a as usize]),
            Piece::Ref { .. } | Piece::Remap { .. } => u64::MAX,
            Piece::Const(_) | Piece::Uniform(_) => 0,
        };
        if self.pieces.len() >= MAX_KERNEL_NODES {
            self.too_large = true;
        }
        let id = self.pieces.len() as u32;
        self.pieces.push(p.clone());
        self.open.push(open);
        self.reads.push(reads);
        self.interned.insert(p, id);
        id
    }

    fn konst(&mut self, v: f64) -> u32 {
        self.piece(Piece::Const(v.to_bits()))
    }

    fn const_of(&self, p: u32) -> Option<f64> {
        match self.pieces[p as usize] {
            Piece::Const(bits) => Some(f64::from_bits(bits)),
            _ => None,
        }
    }

    /// An operation, simplified over the operands known to be constant.
    fn op(&mut self, op: OpCode, args: &[u32]) -> u32 {
        let consts: Vec<Option<f64>> = args.iter().map(|a| self.const_of(*a)).collect();
        match simplify(op, &consts) {
            Simplified::Const(v) => self.konst(v),
            Simplified::Operand(i) => args[i],
            Simplified::Op(op, n) => {
                let mut a = [NONE; 3];
                a[..n].copy_from_slice(&args[..n]);
                let fold = a.iter().any(|x| *x != NONE && self.open[*x as usize]);
                self.piece(Piece::Op { op, args: a, fold })
            }
        }
    }

    fn lower_one(&mut self, program: &Program, e: ExprId, memo: &HashMap<ExprId, u32>) -> u32 {
        let m = |x: &ExprId| memo[x];
        match program.expr(e) {
            Expr::Const(v) => self.konst(*v),
            Expr::Coord(c) => self.piece(Piece::Coord(*c)),
            Expr::Uniform(u) => self.piece(Piece::Uniform(match u {
                Uniform::MouseX => uniform::MOUSE_X,
                Uniform::MouseY => uniform::MOUSE_Y,
                Uniform::Bpm => uniform::BPM,
                Uniform::Width => uniform::WIDTH,
                Uniform::Height => uniform::HEIGHT,
            })),
            Expr::Param(p) => self.piece(Piece::Uniform(uniform::PARAMS + p.0)),
            Expr::Ref { inst, out } => {
                let dep = *self
                    .dep_index
                    .get(inst)
                    .expect("an instance's deps list every instance it reads");
                self.piece(Piece::Ref { dep, out: *out })
            }
            Expr::Unary(op, a) => {
                let code = match op {
                    UnaryOp::Neg => OpCode::Neg,
                    UnaryOp::Not => OpCode::Not,
                };
                self.op(code, &[m(a)])
            }
            Expr::Binary(op, a, b) => self.op(bin_op(*op), &[m(a), m(b)]),
            Expr::Call(f, args) => {
                let mut args: Vec<u32> = args.iter().map(m).collect();
                if *f == Func::Noise {
                    // Missing noise dimensions are 0 (as in `Func::apply`).
                    let zero = self.konst(0.0);
                    args.resize(3, zero);
                }
                self.op(func_op(*f), &args)
            }
            Expr::Source { source, out } => {
                let x = self.piece(Piece::Coord(coord::X));
                let y = self.piece(Piece::Coord(coord::Y));
                let t = self.piece(Piece::Coord(coord::TIME));
                self.piece(Piece::Source {
                    source: *source,
                    out: *out,
                    args: [x, y, t],
                })
            }
            Expr::Remap { target, subs } => {
                let target = m(target);
                let subs: Box<[(CoordId, u32)]> = subs.iter().map(|(c, v)| (*c, m(v))).collect();
                if self.open[target as usize] {
                    // The target's code includes another instance's: substitute
                    // once that code is linked in.
                    self.piece(Piece::Remap { target, subs })
                } else {
                    // Taken out while it walks the pieces.
                    let mut substitutions = std::mem::take(&mut self.substitutions);
                    let id = substitutions.apply(self, target, &subs);
                    self.substitutions = substitutions;
                    id
                }
            }
        }
    }
}

impl Dag for Lowerer {
    fn reads(&self, n: u32) -> u64 {
        self.reads[n as usize]
    }

    fn operands(&self, n: u32) -> Vec<u32> {
        match &self.pieces[n as usize] {
            Piece::Op { args, .. } | Piece::Source { args, .. } => {
                args.iter().copied().filter(|a| *a != NONE).collect()
            }
            _ => Vec::new(),
        }
    }

    fn coord(&self, n: u32) -> Option<CoordId> {
        match self.pieces[n as usize] {
            Piece::Coord(c) => Some(c),
            _ => None,
        }
    }

    fn rebuild(&mut self, n: u32, new: &dyn Fn(u32) -> u32) -> u32 {
        let map = |args: [u32; 3]| args.map(|a| if a == NONE { NONE } else { new(a) });
        match self.pieces[n as usize].clone() {
            Piece::Op { op, args, .. } if map(args) != args => self.piece(Piece::Op {
                op,
                args: map(args),
                fold: false,
            }),
            Piece::Source { source, out, args } => self.piece(Piece::Source {
                source,
                out,
                args: map(args),
            }),
            _ => n,
        }
    }

    fn too_large(&self) -> bool {
        self.too_large
    }
}

fn bin_op(op: BinOp) -> OpCode {
    match op {
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
