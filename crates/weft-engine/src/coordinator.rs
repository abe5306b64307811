//! The coordinator: owns the backends, compiles the batches of a graph in order on
//! their backends, wires every cross-batch read through the registry at compile
//! time, and runs frames, audio blocks and probes.

use crate::audio::AudioBackend;
use crate::backend::{
    eval_point, Backend, BatchInput, CompiledBatch, EngineError, Point, PointProbe, Request,
};
use crate::node_cache::NodeCache;
use crate::osc::{OscBackend, OscMessage};
use crate::registry::{DataRef, Getter, OutputKey, Registry};
use crate::swap::{self, SwapReport};
use crate::visual::{Painter, Visual};
use std::collections::HashMap;
use std::sync::Arc;
use weft_graph::{BackendKind, Graph};
use weft_kernel::{uniform, Fresh, KernelBuilder, Lowering, Resolve};
use weft_lang::ir::{InstId, Program, Settings};
use weft_sources::SourceSet;

/// Sizes the backends are built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineConfig {
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Most audio samples per execution.
    pub audio_block: u32,
}

impl EngineConfig {
    /// The program's own frame size (or the default) and a 4096-sample block.
    pub fn for_program(program: &Program) -> EngineConfig {
        let (width, height) = program.settings.size();
        EngineConfig {
            width,
            height,
            audio_block: 4096,
        }
    }
}

/// Values fixed for a whole frame: the pointer, the tempo, the parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Uniforms {
    values: Vec<f64>,
}

impl Uniforms {
    /// Mouse at the centre, the program's tempo, every parameter at its default.
    pub fn new(program: &Program) -> Uniforms {
        let (w, h) = program.settings.size();
        let mut values = vec![0.5, 0.5, program.settings.bpm(), w as f64, h as f64];
        values.extend(program.params.iter().map(|p| p.default));
        Uniforms { values }
    }

    /// Sets a parameter (clamped to its range); false when there is no such one.
    pub fn set_param(&mut self, program: &Program, name: &str, value: f64) -> bool {
        match program.find_param(name) {
            Some(p) => {
                let param = &program.params[p.0 as usize];
                let v = if value.is_nan() {
                    param.default
                } else {
                    value.clamp(param.min, param.max)
                };
                self.values[(uniform::PARAMS + p.0) as usize] = v;
                true
            }
            None => false,
        }
    }

    /// Sets the value in one slot (see `kernel::uniform`); out-of-range slots are
    /// ignored.
    pub fn set_slot(&mut self, slot: usize, value: f64) {
        if let Some(v) = self.values.get_mut(slot) {
            *v = value;
        }
    }

    /// Sets the pointer (0..1 each).
    pub fn set_mouse(&mut self, x: f64, y: f64) {
        self.values[uniform::MOUSE_X as usize] = x;
        self.values[uniform::MOUSE_Y as usize] = y;
    }

    /// Sets the tempo.
    pub fn set_bpm(&mut self, bpm: f64) {
        self.values[uniform::BPM as usize] = bpm;
    }

    /// The values in slot order.
    pub fn as_slice(&self) -> &[f64] {
        &self.values
    }

    /// Becomes a copy of `other` with `me@width` and `me@height` set to the size
    /// of the picture being drawn (no allocation once the slots fit).
    fn copy_sized(&mut self, other: &Uniforms, size: (u32, u32)) {
        self.values.clear();
        self.values.extend_from_slice(&other.values);
        self.set_size(size);
    }

    /// Sets `me@width` and `me@height` (a coordinator sets them to the size of
    /// its picture whatever the caller's say).
    pub fn set_size(&mut self, (w, h): (u32, u32)) {
        self.values[uniform::WIDTH as usize] = w as f64;
        self.values[uniform::HEIGHT as usize] = h as f64;
    }
}

/// Owns and drives the backends for one scope of one program.
#[derive(Debug)]
pub struct Coordinator {
    program: Arc<Program>,
    sources: Arc<SourceSet>,
    graph: Option<Graph>,
    registry: Registry,
    visual: Box<dyn Visual>,
    audio: AudioBackend,
    osc: OscBackend,
    /// The lowered fragments of the running graph's nodes.
    cache: NodeCache,
    /// The caller's uniforms with this coordinator's picture size: every backend
    /// reads `me@width` and `me@height` as the size of the picture it feeds.
    sized: Uniforms,
}

impl Coordinator {
    /// Compiles every batch of `graph` on its backend, in order; pictures are
    /// drawn on the CPU.
    pub fn new(
        program: Arc<Program>,
        sources: Arc<SourceSet>,
        graph: Graph,
        config: EngineConfig,
    ) -> Result<Coordinator, EngineError> {
        Coordinator::with_painter(program, sources, graph, config, &Painter::Cpu)
    }

    /// Compiles every batch of `graph` on its backend, in order; pictures are
    /// drawn by `painter`.
    pub fn with_painter(
        program: Arc<Program>,
        sources: Arc<SourceSet>,
        graph: Graph,
        config: EngineConfig,
        painter: &Painter,
    ) -> Result<Coordinator, EngineError> {
        let mut c = Coordinator {
            visual: painter.visual(config.width, config.height)?,
            audio: AudioBackend::new(config.audio_block),
            osc: OscBackend::new(),
            registry: Registry::new(),
            program: program.clone(),
            sources: sources.clone(),
            graph: None,
            cache: NodeCache::new(),
            sized: Uniforms { values: Vec::new() },
        };
        c.swap(program, sources, graph)?;
        Ok(c)
    }

    /// Swaps in another program (or another version of this one): batches whose
    /// key is unchanged keep their compiled code and buffers, the others are
    /// compiled — lowering only the nodes whose fragment is not in the per-node
    /// cache, linking the rest from it; the backends themselves are never
    /// recreated. When compiling fails, the running program (and the cache) is
    /// left exactly as it was.
    pub fn swap(
        &mut self,
        program: Arc<Program>,
        sources: Arc<SourceSet>,
        graph: Graph,
    ) -> Result<SwapReport, EngineError> {
        let mut report = SwapReport::default();
        swap::compare(self.graph.as_ref(), &graph, &mut report);
        let old: HashMap<[u8; 32], &CompiledBatch> = [
            self.visual.batches(),
            self.audio.batches(),
            Backend::batches(&self.osc),
        ]
        .into_iter()
        .flatten()
        .map(|b| (b.key, b))
        .collect();
        let mut registry = Registry::new();
        let mut keys: Vec<[u8; 32]> = Vec::with_capacity(graph.batches.len());
        let mut lists: [Vec<CompiledBatch>; 3] = Default::default();
        let lowering = Lowering {
            program: &program,
            sources: &sources,
        };
        let mut staged = self.cache.stage(&program, &graph);
        for (index, batch) in graph.batches.iter().enumerate() {
            let backend: &dyn Backend = match batch.backend {
                BackendKind::Visual => &*self.visual,
                BackendKind::Audio => &self.audio,
                BackendKind::Osc => &self.osc,
            };
            let ctx = backend.context();
            let key = swap::batch_key(ctx, &program, &sources, &graph, index, &keys);
            keys.push(key);
            let compiled = match old.get(&key) {
                Some(prev) => {
                    report.batches_kept += 1;
                    swap::reuse(prev, ctx, &graph, index, &mut registry)
                }
                None => {
                    report.batches_compiled += 1;
                    report
                        .nodes_compiled
                        .extend(batch.nodes.iter().map(|n| graph.node(*n).name.clone()));
                    let input = BatchInput {
                        lowering,
                        graph: &graph,
                        index,
                    };
                    let mut b = backend.compile(&input, &mut staged, &mut registry)?;
                    b.key = key;
                    b
                }
            };
            lists[batch.backend as usize].push(compiled);
        }
        for n in &graph.order {
            let node = graph.node(*n);
            match staged.lowered(node.kind) {
                true => report.nodes_lowered.push(node.name.clone()),
                false => report.nodes_reused.push(node.name.clone()),
            }
        }
        let commit = staged.into_commit();
        report.fragments_dropped = self.cache.commit(commit);
        let [visual, audio, osc] = lists;
        self.visual.install(visual, &program);
        self.audio.install(audio, &program);
        self.osc.install(osc, &program);
        self.program = program;
        self.sources = sources;
        self.graph = Some(graph);
        self.registry = registry;
        Ok(report)
    }

    /// The program.
    pub fn program(&self) -> &Arc<Program> {
        &self.program
    }

    /// The graph it runs.
    pub fn graph(&self) -> &Graph {
        self.graph
            .as_ref()
            .expect("a coordinator always holds a graph after `new`")
    }

    /// The per-node lowering cache (what it holds after the last swap).
    pub fn node_cache(&self) -> &NodeCache {
        &self.cache
    }

    /// The output registry (wiring decisions, look-up count).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The visual backend.
    pub fn visual(&self) -> &dyn Visual {
        &*self.visual
    }

    /// The audio backend.
    pub fn audio(&self) -> &AudioBackend {
        &self.audio
    }

    /// The backend of one kind.
    fn backend(&self, kind: BackendKind) -> &dyn Backend {
        match kind {
            BackendKind::Visual => &*self.visual,
            BackendKind::Audio => &self.audio,
            BackendKind::Osc => &self.osc,
        }
    }

    /// Each batch of the graph (by index) with the wall time of its last
    /// execution in microseconds.
    pub fn batch_timings(&self) -> impl Iterator<Item = (usize, f64)> + '_ {
        let mut seen = [0usize; 3];
        self.graph().batches.iter().enumerate().map(move |(i, b)| {
            let backend = self.backend(b.backend);
            let k = seen[b.backend as usize];
            seen[b.backend as usize] += 1;
            (i, backend.timings().get(k).copied().unwrap_or(0.0))
        })
    }

    /// Each used node with an attributed share of its batch's last execution
    /// time: (batch index, position in the batch, instructions attributed to it,
    /// microseconds). Nodes fused into one kernel are not timed apart; the
    /// batch's time is split by attributed instruction count (evenly when the
    /// kernel has none).
    pub fn node_timings(&self) -> impl Iterator<Item = (usize, usize, usize, f64)> + '_ {
        let mut seen = [0usize; 3];
        let graph = self.graph();
        graph.batches.iter().enumerate().flat_map(move |(i, b)| {
            let backend = self.backend(b.backend);
            let k = seen[b.backend as usize];
            seen[b.backend as usize] += 1;
            let micros = backend.timings().get(k).copied().unwrap_or(0.0);
            let instrs: &[usize] = backend
                .batches()
                .get(k)
                .map_or(&[], |c| c.node_instrs.as_slice());
            let total: usize = instrs.iter().sum();
            let n = b.nodes.len().max(1);
            (0..b.nodes.len()).map(move |j| {
                let own = instrs.get(j).copied().unwrap_or(0);
                let share = if total == 0 {
                    micros / n as f64
                } else {
                    micros * own as f64 / total as f64
                };
                (i, j, own, share)
            })
        })
    }

    /// The reference a backend exposes for `key`.
    pub fn handle(&self, key: OutputKey) -> Option<DataRef> {
        self.visual
            .handle(key)
            .or_else(|| self.audio.handle(key))
            .or_else(|| self.osc.handle(key))
    }

    /// Renders the display output at `time` (`me@time`) and `abstime`; RGBA rows.
    pub fn render_frame(&mut self, time: f64, abstime: f64, uniforms: &Uniforms) -> &[u8] {
        self.render_frame_ahead(time, abstime, None, uniforms)
    }

    /// [`Coordinator::render_frame`], then starts the frame at `next` (`me@time`,
    /// `me@abstime`) with the same uniforms, so a device draws it while the caller
    /// encodes this one (a render's frames come in order).
    pub fn render_frame_ahead(
        &mut self,
        time: f64,
        abstime: f64,
        next: Option<(f64, f64)>,
        uniforms: &Uniforms,
    ) -> &[u8] {
        self.sized.copy_sized(uniforms, self.visual.size());
        let settings = &self.program.settings;
        let req = frame_request(settings, time, abstime, &self.sized);
        self.visual.execute(&req);
        if let Some((t, a)) = next {
            let req = frame_request(settings, t, a, &self.sized);
            self.visual.prefetch(&req);
        }
        self.visual.frame()
    }

    /// Renders `len` samples (at most the block size) of the play output, starting
    /// at timeline sample `sample`, of which `local_sample` is `me@time`'s count;
    /// interleaved stereo.
    pub fn render_audio(
        &mut self,
        sample: u64,
        local_sample: u64,
        len: usize,
        uniforms: &Uniforms,
    ) -> &[f32] {
        let rate = self.program.settings.rate() as f64;
        let len = len.min(self.audio.block());
        self.sized.copy_sized(uniforms, self.visual.size());
        let req = Request {
            time: local_sample as f64 / rate,
            abstime: sample as f64 / rate,
            frame: (sample as f64 / rate * self.program.settings.fps()).floor(),
            sample,
            local_sample,
            len,
            uniforms: self.sized.as_slice(),
            loop_len: self.program.settings.loop_len,
            rate,
        };
        self.audio.execute(&req);
        &self.audio.output()[..len * 2]
    }

    /// Evaluates the osc outputs for the frame at `time`.
    pub fn osc_messages(&mut self, time: f64, abstime: f64, uniforms: &Uniforms) -> &[OscMessage] {
        self.sized.copy_sized(uniforms, self.visual.size());
        let req = Request {
            time,
            abstime,
            frame: (abstime * self.program.settings.fps()).floor(),
            sample: 0,
            local_sample: 0,
            len: 1,
            uniforms: self.sized.as_slice(),
            loop_len: self.program.settings.loop_len,
            rate: self.program.settings.rate() as f64,
        };
        self.osc.execute(&req);
        self.osc.messages()
    }

    /// Compiles a probe for one instance output: reads of exposed outputs go
    /// through their getters, everything else is fused.
    pub fn probe(&self, inst: InstId, out: u32) -> Result<Getter, EngineError> {
        struct Probe<'r> {
            target: InstId,
            registry: &'r Registry,
        }
        impl Resolve for Probe<'_> {
            fn fused(&self, inst: InstId) -> bool {
                inst == self.target || !self.registry.is_exposed(OutputKey { inst, out: 0 })
            }
            fn getter(&mut self, key: OutputKey) -> Option<Arc<Getter>> {
                self.registry.getter(key)
            }
            fn wire(&mut self, key: OutputKey, _same_point: bool) -> Option<DataRef> {
                self.registry.getter(key).map(DataRef::Getter)
            }
        }
        let instance = self.program.instance(inst);
        if out as usize >= instance.values.len() {
            return Err(EngineError::UnknownOutput(format!(
                "{}@{out}",
                instance.name
            )));
        }
        let mut r = Probe {
            target: inst,
            registry: &self.registry,
        };
        let mut b = KernelBuilder::new(Lowering {
            program: &self.program,
            sources: &self.sources,
        });
        b.add_output(inst, out, &mut Fresh::new(&self.program), &mut r)?;
        Ok(Getter {
            kernel: Arc::new(b.finish(&mut r)?),
            output: 0,
        })
    }

    /// A probe of one instance output, to read at single points each frame.
    pub fn point_probe(&self, inst: InstId, out: u32) -> Result<PointProbe, EngineError> {
        Ok(PointProbe::new(self.probe(inst, out)?))
    }

    /// One instance output at one point (compiles a probe; not for per-frame use).
    pub fn value_at(
        &self,
        inst: InstId,
        out: u32,
        point: &Point,
        uniforms: &Uniforms,
    ) -> Result<f64, EngineError> {
        let g = self.probe(inst, out)?;
        Ok(eval_point(&g.kernel, g.output, point, uniforms.as_slice()))
    }
}

/// The request for the picture at `time` (`me@time`) and `abstime`.
fn frame_request<'u>(
    settings: &Settings,
    time: f64,
    abstime: f64,
    uniforms: &'u Uniforms,
) -> Request<'u> {
    Request {
        time,
        abstime,
        frame: (abstime * settings.fps()).floor(),
        sample: 0,
        local_sample: 0,
        len: 0,
        uniforms: uniforms.as_slice(),
        loop_len: settings.loop_len,
        rate: settings.rate() as f64,
    }
}
