//! Compiled kernels: a program's expression DAG turned into register bytecode that
//! evaluates a block of [`LANES`] points per instruction. Common sub-expressions are
//! computed once (hash-consing), pure strands are fused (never materialized),
//! constants are folded, and registers are reused after their last read.
//!
//! Two steps: each graph node is lowered on its own into a [`Fragment`]
//! (`fragment.rs`; what the per-node cache keeps across swaps), then a batch's
//! fragments are linked into one kernel (`build.rs`); both substitute remaps the
//! same way (`substitute.rs`). The reference interpreter (`reference.rs`) walks
//! the same program directly and defines every result the kernels must match.

mod build;
pub mod data;
mod eval;
mod fragment;
pub mod reference;
mod substitute;

pub use build::{BuildError, FuseAll, KernelBuilder, Lowering, Resolve};
pub use eval::Scratch;
pub use fragment::{Fragment, Fragments, Fresh};

use crate::data::{Getter, SharedBuffer};
use std::sync::Arc;
use weft_lang::ir::CoordId;
use weft_sources::SourceData;

/// The size budget of one kernel: at most this many operations in a node's
/// lowered fragment and in a batch's linked code (remaps substituted, fused
/// instances inlined). Past it, building fails with `BuildError::TooLarge`
/// (`docs/language.md`, "Limits").
pub const MAX_KERNEL_NODES: usize = 1_000_000;

/// Points evaluated per instruction dispatch.
pub const LANES: usize = 64;

/// One register: a value per lane.
pub type Lane = [f64; LANES];

/// Uniform slots: values fixed for a whole frame.
pub mod uniform {
    /// `mouse@x`
    pub const MOUSE_X: u32 = 0;
    /// `mouse@y`
    pub const MOUSE_Y: u32 = 1;
    /// Tempo in beats per minute.
    pub const BPM: u32 = 2;
    /// `me@width`: the width in pixels of the picture being drawn.
    pub const WIDTH: u32 = 3;
    /// `me@height`: its height.
    pub const HEIGHT: u32 = 4;
    /// Parameter `p` lives at `PARAMS + p`.
    pub const PARAMS: u32 = 5;
}

/// What an instruction computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum OpCode {
    // one operand
    Neg,
    Not,
    Abs,
    Sqrt,
    Square,
    Floor,
    Ceil,
    Round,
    Fract,
    Sign,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Exp,
    Log,
    Log2,
    Log10,
    Hash,
    // two operands
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Min,
    Max,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
    Atan2,
    Step,
    // three operands
    Clamp,
    Mix,
    Smoothstep,
    Select,
    Noise,
    // data
    /// `dst = source[aux].sample(out, a, b, c)` with aux = source << 8 | output.
    Source,
    /// `dst = call site aux evaluated at its argument registers`.
    Call,
    /// `dst = buffer aux at the block's points`.
    Buffer,
}

/// One instruction: `dst = op(a, b, c)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instr {
    /// The operation.
    pub op: OpCode,
    /// Destination register.
    pub dst: u32,
    /// First operand register.
    pub a: u32,
    /// Second operand register.
    pub b: u32,
    /// Third operand register.
    pub c: u32,
    /// Source, call site or buffer index.
    pub aux: u32,
}

/// A read of another batch's output through a value getter, with the registers
/// holding the coordinates to evaluate it at.
#[derive(Clone, Debug)]
pub struct CallSite {
    /// The producer.
    pub getter: Arc<Getter>,
    /// One register per coordinate input of the getter's kernel.
    pub args: Vec<u32>,
}

/// Compiled code for one set of outputs.
///
/// A kernel runs only on a [`Scratch`] made for it: each kernel has an identity
/// of its own, its scratch carries it, and [`Kernel::run`] checks it, so no safe
/// call can hand it registers it was not built for.
#[derive(Debug)]
pub struct Kernel {
    pub(crate) id: KernelId,
    pub(crate) instrs: Vec<Instr>,
    pub(crate) n_regs: usize,
    pub(crate) consts: Vec<(u32, f64)>,
    pub(crate) coords: Vec<(CoordId, u32)>,
    pub(crate) uniforms: Vec<(u32, u32)>,
    pub(crate) outputs: Vec<u32>,
    pub(crate) sources: Vec<Arc<SourceData>>,
    pub(crate) calls: Vec<CallSite>,
    pub(crate) buffers: Vec<Arc<SharedBuffer>>,
    pub(crate) fast: bool,
}

/// The identity of one built kernel (never reused within a process).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct KernelId(u64);

impl KernelId {
    pub(crate) fn fresh() -> KernelId {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        KernelId(NEXT.fetch_add(1, Ordering::Relaxed))
    }
}

impl Kernel {
    /// Number of instructions run per block.
    pub fn instr_count(&self) -> usize {
        self.instrs.len()
    }

    /// Number of registers (lanes arrays) a scratch holds.
    pub fn register_count(&self) -> usize {
        self.n_regs
    }

    /// Number of outputs.
    pub fn output_count(&self) -> usize {
        self.outputs.len()
    }

    /// The coordinates this kernel reads (the caller fills them per block).
    pub fn coords(&self) -> impl Iterator<Item = CoordId> + '_ {
        self.coords.iter().map(|(c, _)| *c)
    }

    /// Each coordinate this kernel reads with the register the caller fills with
    /// it before [`Kernel::run`].
    pub fn coord_regs(&self) -> &[(CoordId, u32)] {
        &self.coords
    }

    /// The value getters this kernel calls.
    pub fn call_sites(&self) -> &[CallSite] {
        &self.calls
    }

    /// The buffers `OpCode::Buffer` reads, by its `aux`.
    pub fn buffers(&self) -> &[Arc<SharedBuffer>] {
        &self.buffers
    }

    /// The sources `OpCode::Source` samples, by its `aux >> 8`.
    pub fn sources(&self) -> &[Arc<SourceData>] {
        &self.sources
    }

    /// The instructions, in execution order (for other emitters, such as WGSL).
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }

    /// Each constant with the register that holds it for the whole run.
    pub fn const_regs(&self) -> &[(u32, f64)] {
        &self.consts
    }

    /// Each uniform slot (see [`uniform`]) with the register it fills.
    pub fn uniform_regs(&self) -> &[(u32, u32)] {
        &self.uniforms
    }

    /// The register of every output, in output order.
    pub fn output_regs(&self) -> &[u32] {
        &self.outputs
    }

    /// A listing of the bytecode, for `weft graph --kernels` and debugging.
    pub fn listing(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for (r, v) in &self.consts {
            let _ = writeln!(s, "  r{r} = {v}");
        }
        for (c, r) in &self.coords {
            let _ = writeln!(s, "  r{r} = coord {}", c.0);
        }
        for (u, r) in &self.uniforms {
            let _ = writeln!(s, "  r{r} = uniform {u}");
        }
        for i in &self.instrs {
            let _ = writeln!(
                s,
                "  r{} = {:?} r{} r{} r{} [{}]",
                i.dst, i.op, i.a, i.b, i.c, i.aux
            );
        }
        let _ = writeln!(s, "  out {:?}", self.outputs);
        s
    }
}

/// Where a block sits in its backend's grid: the index of its first point and how
/// many lanes are real (the rest are computed and ignored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockPos {
    /// Index of lane 0 in the grid (pixel index, sample index).
    pub index: usize,
    /// Real lanes, at most [`LANES`].
    pub len: usize,
}
