//! The `Backend` trait and the compile step every backend shares: fuse a batch
//! into one kernel, build a value getter for each output other batches read, and
//! materialize into a buffer what later batches of the same backend read.

use crate::registry::{DataRef, Exposed, Getter, Layout, OutputKey, Registry, SharedBuffer};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use weft_graph::{BackendKind, Graph, NodeKind};
use weft_kernel::{BlockPos, Kernel, Scratch, LANES};
use weft_kernel::{Fragments, KernelBuilder, Lowering, Resolve};
use weft_lang::ir::{coord, InstId};

/// Why a program cannot run.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Kernel construction failed (a wiring bug).
    #[error(transparent)]
    Build(#[from] weft_kernel::BuildError),
    /// No such instance or output.
    #[error("no instance output `{0}`")]
    UnknownOutput(String),
    /// A size or length that cannot be rendered.
    #[error("invalid size: {0}")]
    BadSize(String),
}

/// What a backend is: its kind and the grid it evaluates on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Context {
    /// Visual, audio or OSC.
    pub kind: BackendKind,
    /// Its grid.
    pub layout: Layout,
}

/// A point to evaluate at: one value per coordinate id of the program.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Point {
    /// Coordinate values by `CoordId` (missing ones are 0).
    pub coords: Vec<f64>,
}

/// One batch to compile, with what the rest of the graph needs from it.
pub struct BatchInput<'a> {
    /// Program and sources.
    pub lowering: Lowering<'a>,
    /// The graph of the scope.
    pub graph: &'a Graph,
    /// Index of this batch in `graph.batches`.
    pub index: usize,
}

/// A backend: compiles batches, exposes their outputs, executes frames.
pub trait Backend: Send {
    /// Its kind and grid.
    fn context(&self) -> Context;
    /// Compiles one batch from its nodes' fragments, taking what it reads from
    /// `registry` and exposing there what later batches read. Nothing runs it
    /// until [`Backend::install`].
    fn compile(
        &self,
        batch: &BatchInput<'_>,
        fragments: &mut dyn Fragments,
        registry: &mut Registry,
    ) -> Result<CompiledBatch, EngineError> {
        compile_batch(self.context(), batch, fragments, registry)
    }
    /// The batches it runs, in order.
    fn batches(&self) -> &[CompiledBatch];
    /// Wall time of each batch's last execution in microseconds (batch order).
    fn timings(&self) -> &[f64];
    /// Replaces the batches it runs (the backend itself, its frame and scratch
    /// memory, stay) and binds the program's outputs among them.
    fn install(&mut self, batches: Vec<CompiledBatch>, program: &weft_lang::ir::Program);
    /// The reference this backend exposes for an output, if it produces it.
    fn handle(&self, key: OutputKey) -> Option<DataRef>;
    /// An exposed output evaluated at one point (slow path: probes, not frames).
    fn value_at(&self, key: OutputKey, point: &Point, uniforms: &[f64]) -> Option<f64>;
    /// Runs every compiled batch for one request of this backend's grid.
    fn execute(&mut self, request: &Request<'_>);
    /// Drops every compiled batch and buffer.
    fn cleanup(&mut self);
}

/// What to compute: the time of a frame (or of an audio block's first sample) and
/// the uniforms.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// `me@time` at the first point (already wrapped / segment-local).
    pub time: f64,
    /// `me@abstime` at the first point.
    pub abstime: f64,
    /// `me@frame`.
    pub frame: f64,
    /// Index of the first audio sample on the whole timeline (audio only).
    pub sample: u64,
    /// Index of the first audio sample counted from where `me@time` is 0 (audio
    /// only: the segment start, or the start of the timeline).
    pub local_sample: u64,
    /// Number of points (audio: samples in this block; others: ignored).
    pub len: usize,
    /// Mouse, tempo and parameters (see `kernel::uniform`).
    pub uniforms: &'a [f64],
    /// Loop length for `me@time` (audio wraps per sample).
    pub loop_len: Option<f64>,
    /// Audio sample rate.
    pub rate: f64,
}

/// A compiled batch as backends run it.
#[derive(Clone, Debug)]
pub struct CompiledBatch {
    /// Content key (see [`crate::swap::batch_key`]): equal keys, equal code.
    pub key: [u8; 32],
    /// What its graph nodes stand for, in batch order (to rename on reuse).
    pub nodes: Vec<NodeKind>,
    /// Instructions of the kernel attributed to each node, in batch order (each
    /// instruction to the node that first made it): the weights per-node timing
    /// splits the batch's time by.
    pub node_instrs: Vec<usize>,
    /// The fused code of the batch.
    pub kernel: Arc<Kernel>,
    /// Kernel outputs written to buffers for later batches of the same backend.
    pub writes: Vec<(usize, Arc<SharedBuffer>)>,
    /// Sinks computed here: (sink index in the program, first kernel output).
    pub sinks: Vec<(usize, usize)>,
    /// Getters this batch exposes.
    pub exposed: Vec<(OutputKey, Arc<Getter>, Option<Arc<SharedBuffer>>)>,
}

struct BatchResolve<'r> {
    fused: &'r HashSet<InstId>,
    registry: &'r mut Registry,
    consumer: (BackendKind, usize),
    layout: Layout,
}

impl Resolve for BatchResolve<'_> {
    fn fused(&self, inst: InstId) -> bool {
        self.fused.contains(&inst)
    }
    fn getter(&mut self, key: OutputKey) -> Option<Arc<Getter>> {
        self.registry.getter(key)
    }
    fn wire(&mut self, key: OutputKey, same_point: bool) -> Option<DataRef> {
        self.registry
            .lookup(key, self.consumer, self.layout, same_point)
    }
}

/// The instances of batch `index` that later batches read, each with whether a
/// later batch of the same backend (`kind`) reads it; sorted.
pub fn read_later(graph: &Graph, index: usize, kind: BackendKind) -> Vec<(InstId, bool)> {
    let mut out: Vec<(InstId, bool)> = Vec::new();
    for later in &graph.batches[index + 1..] {
        for n in &later.nodes {
            for d in &graph.node(*n).deps {
                if let NodeKind::Instance(i) = graph.node(*d).kind {
                    if graph.batch_of[d.0 as usize] == Some(index) {
                        let same = later.backend == kind;
                        match out.iter_mut().find(|(x, _)| *x == i) {
                            Some(e) => e.1 |= same,
                            None => out.push((i, same)),
                        }
                    }
                }
            }
        }
    }
    out.sort();
    out
}

/// The compile step shared by every backend: links the fragments of the batch's
/// nodes (taken from `fragments`, which lowers only what it does not hold) into
/// one kernel, plus one getter kernel per output other batches read.
pub fn compile_batch(
    ctx: Context,
    input: &BatchInput<'_>,
    fragments: &mut dyn Fragments,
    registry: &mut Registry,
) -> Result<CompiledBatch, EngineError> {
    let graph = input.graph;
    let program = input.lowering.program;
    let batch = &graph.batches[input.index];
    let fused: HashSet<InstId> = batch
        .nodes
        .iter()
        .filter_map(|n| match graph.node(*n).kind {
            NodeKind::Instance(i) => Some(i),
            NodeKind::Sink(_) => None,
        })
        .collect();
    let read_later = read_later(graph, input.index, ctx.kind);
    let consumer = (ctx.kind, input.index);
    let mut builder = KernelBuilder::new(input.lowering);
    let mut sinks = Vec::new();
    let mut resolve = BatchResolve {
        fused: &fused,
        registry,
        consumer,
        layout: ctx.layout,
    };
    for n in &batch.nodes {
        if let NodeKind::Sink(s) = graph.node(*n).kind {
            let outs = builder.add_node(NodeKind::Sink(s), fragments, &mut resolve)?;
            sinks.push((s, outs.first().copied().unwrap_or(0)));
        }
    }
    let mut writes = Vec::new();
    let mut exposed = Vec::new();
    for &(inst, same_backend) in &read_later {
        for o in 0..program.instance(inst).values.len() as u32 {
            let key = OutputKey { inst, out: o };
            let buffer = if same_backend {
                let buf = Arc::new(SharedBuffer::new(ctx.layout));
                let out = builder.add_output(inst, o, fragments, &mut resolve)?;
                writes.push((out, buf.clone()));
                Some(buf)
            } else {
                None
            };
            let mut g = KernelBuilder::new(input.lowering);
            g.add_output(inst, o, fragments, &mut resolve)?;
            let getter = Arc::new(Getter {
                kernel: Arc::new(g.finish(&mut resolve)?),
                output: 0,
            });
            exposed.push((key, getter, buffer));
        }
    }
    let (kernel, attributed) = builder.finish_attributed(&mut resolve)?;
    let kernel = Arc::new(kernel);
    let attributed: HashMap<NodeKind, usize> = attributed.into_iter().collect();
    let node_instrs = batch
        .nodes
        .iter()
        .map(|n| attributed.get(&graph.node(*n).kind).copied().unwrap_or(0))
        .collect();
    for (key, getter, buffer) in &exposed {
        registry.expose(
            *key,
            Exposed {
                backend: ctx.kind,
                batch: input.index,
                getter: getter.clone(),
                buffer: buffer.clone(),
            },
        );
    }
    Ok(CompiledBatch {
        key: [0; 32],
        nodes: batch.nodes.iter().map(|n| graph.node(*n).kind).collect(),
        node_instrs,
        kernel,
        writes,
        sinks,
        exposed,
    })
}

/// The reference a backend's compiled batches expose for `key`.
pub fn handle_in(batches: &[CompiledBatch], key: OutputKey) -> Option<DataRef> {
    batches
        .iter()
        .flat_map(|b| &b.exposed)
        .find(|e| e.0 == key)
        .map(|(_, g, b)| match b {
            Some(buf) => DataRef::Buffer(buf.clone()),
            None => DataRef::Getter(g.clone()),
        })
}

/// Evaluates a kernel output at one point (all lanes the same point).
pub fn eval_point(kernel: &Kernel, output: usize, point: &Point, uniforms: &[f64]) -> f64 {
    let mut s = Scratch::new(kernel);
    s.set_uniforms(kernel, uniforms);
    for &(c, r) in kernel.coord_regs() {
        *s.reg_mut(r) = [point.coords.get(c.0 as usize).copied().unwrap_or(0.0); LANES];
    }
    kernel.run(&mut s, BlockPos { index: 0, len: 1 });
    s.reg(kernel.output_reg(output))[0]
}

/// One strand compiled to be read at single points again and again (a badge's
/// live value): its scratch is kept, so a read allocates nothing.
#[derive(Debug)]
pub struct PointProbe {
    getter: Getter,
    scratch: Scratch,
}

impl PointProbe {
    /// A probe over a compiled getter.
    pub fn new(getter: Getter) -> PointProbe {
        let scratch = Scratch::new(&getter.kernel);
        PointProbe { getter, scratch }
    }

    /// The value at `point` (coordinates by `CoordId`, missing ones 0).
    pub fn value(&mut self, point: &Point, uniforms: &[f64]) -> f64 {
        let kernel = &self.getter.kernel;
        let s = &mut self.scratch;
        s.set_uniforms(kernel, uniforms);
        for &(c, r) in kernel.coord_regs() {
            *s.reg_mut(r) = [point.coords.get(c.0 as usize).copied().unwrap_or(0.0); LANES];
        }
        kernel.run(s, BlockPos { index: 0, len: 1 });
        s.reg(kernel.output_reg(self.getter.output))[0]
    }
}

/// The value getter-based `value_at` shared by backends.
pub fn value_in(
    batches: &[CompiledBatch],
    key: OutputKey,
    point: &Point,
    uniforms: &[f64],
) -> Option<f64> {
    let (_, g, _) = batches
        .iter()
        .flat_map(|b| &b.exposed)
        .find(|e| e.0 == key)?;
    Some(eval_point(&g.kernel, g.output, point, uniforms))
}

/// Which coordinates a backend binds per point; the rest are 0 unless remapped.
pub fn is_bound(kind: BackendKind, c: weft_lang::ir::CoordId) -> bool {
    match kind {
        BackendKind::Visual => matches!(
            c,
            coord::X | coord::Y | coord::TIME | coord::ABSTIME | coord::FRAME
        ),
        BackendKind::Audio => matches!(
            c,
            coord::TIME | coord::ABSTIME | coord::SAMPLE | coord::FRAME
        ),
        BackendKind::Osc => matches!(c, coord::TIME | coord::ABSTIME | coord::FRAME),
    }
}
