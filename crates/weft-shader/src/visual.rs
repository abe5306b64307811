//! The GPU visual backend behind the engine's [`Visual`] trait, and the choice a run
//! makes (`--backend auto|cpu|gpu`).
//!
//! [`GpuVisual`] compiles batches exactly as the CPU backend does (it holds one, the
//! reference), then emits each visual batch as a shader: the display's batch draws
//! pixels, a batch whose strands later batches read writes them to strand slots,
//! and reads of other backends' outputs are the getters' own code. A program the
//! shader path cannot draw (over the budget, a shader the device refuses, a device
//! error mid-run) is drawn by the CPU backend it holds, and [`Visual::drawn_by`]
//! says why — never a panic, never a missing frame.
//!
//! A hot swap re-emits only the batches whose key changed, and the device's
//! pipeline cache (keyed by the shader's text) compiles only shaders it has not
//! seen: unchanged batches keep their pipelines.

use crate::gpu::{FrameInputs, Gpu, GpuError, Pass, Submitted, Surface};
use crate::wgsl::{self, Display, Shader, Target};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use weft_engine::backend::{Backend, CompiledBatch, Context, EngineError, Point, Request};
use weft_engine::registry::{DataRef, OutputKey};
use weft_engine::visual::{DrawnBy, Painter, Visual, VisualBackend, VisualDevice};
use weft_graph::NodeKind;
use weft_kernel::Kernel;
use weft_lang::ir::Program;

/// Which backend draws pictures (`--backend`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendChoice {
    /// The GPU when `wgpu` finds an adapter (lavapipe included), else the CPU.
    #[default]
    Auto,
    /// The CPU reference.
    Cpu,
    /// The GPU; no adapter is an error.
    Gpu,
}

impl BackendChoice {
    /// Opens what draws: the painter, and for `auto` without a usable adapter the
    /// one line saying why pictures are drawn on the CPU.
    pub fn open(self) -> Result<(Painter, Option<String>), GpuError> {
        match self {
            BackendChoice::Cpu => Ok((Painter::Cpu, None)),
            BackendChoice::Gpu => Ok((Painter::Device(Arc::new(GpuDevice::open()?)), None)),
            BackendChoice::Auto => match GpuDevice::open() {
                Ok(d) => Ok((Painter::Device(Arc::new(d)), None)),
                Err(e) => Ok((
                    Painter::Cpu,
                    Some(format!("pictures are drawn on the CPU: {e}")),
                )),
            },
        }
    }
}

/// One GPU, shared by every coordinator of a run (their pipelines and uploads too).
#[derive(Debug)]
pub struct GpuDevice {
    gpu: Mutex<Gpu>,
    adapter: String,
}

impl GpuDevice {
    /// Opens the best adapter (see [`Gpu::new`]).
    pub fn open() -> Result<GpuDevice, GpuError> {
        let gpu = Gpu::new()?;
        Ok(GpuDevice {
            adapter: gpu.adapter(),
            gpu: Mutex::new(gpu),
        })
    }

    /// Pipelines compiled and sources uploaded on this device so far (cache misses).
    pub fn counts(&self) -> (usize, usize) {
        self.gpu
            .lock()
            .map_or((0, 0), |g| (g.pipelines_compiled(), g.sources_uploaded()))
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, Gpu>, GpuError> {
        self.gpu
            .lock()
            .map_err(|_| GpuError::Runtime("an earlier draw panicked".into()))
    }
}

impl VisualDevice for GpuDevice {
    fn visual(self: Arc<Self>, width: u32, height: u32) -> Result<Box<dyn Visual>, EngineError> {
        Ok(Box::new(GpuVisual::new(self, width, height)?))
    }

    fn name(&self) -> String {
        self.adapter.clone()
    }
}

/// An emitted batch, kept across swaps by its key and target.
struct Emitted {
    key: [u8; 32],
    target: Target,
    shader: Shader,
}

/// Pictures over pixels, drawn by a GPU; the CPU reference draws what it cannot.
pub struct GpuVisual {
    device: Arc<GpuDevice>,
    cpu: VisualBackend,
    /// The batches' shaders, in batch order (those with nothing to draw or write
    /// are left out).
    emitted: Vec<Emitted>,
    surface: Option<Surface>,
    passes: Vec<Pass>,
    /// Instruction count of each batch: the weights the frame's time is split by.
    weights: Vec<f64>,
    timings: Vec<f64>,
    drawn_by: DrawnBy,
    frame: Vec<u8>,
    /// The last frame is in `frame` (else the CPU backend holds it).
    on_gpu: bool,
    /// A frame queued ahead by [`Visual::prefetch`], with what it was asked for.
    ahead: Option<(Submitted, Ahead)>,
    /// The key a frame ahead is recorded in, kept between frames.
    spare: Ahead,
    /// The read-back slot the next frame goes to.
    slot: usize,
    /// The installed program's shaders are emitted and its pipelines built: at
    /// its first frame, not at install, so a swap publishes the new program
    /// (and the page gets its own shader) without waiting for the device's
    /// compiler.
    planned: bool,
    /// Each installed batch's statement, for a fallback's warning.
    spans: Vec<Option<weft_diagnostics::Span>>,
}

/// What a frame drawn ahead was drawn for: equal, and it is the frame asked for.
#[derive(Debug, Default, PartialEq)]
struct Ahead {
    time: u64,
    abstime: u64,
    frame: u64,
    uniforms: Vec<u64>,
}

impl Ahead {
    /// Refills `self` from `req` (no allocation once the uniforms fit).
    fn set(&mut self, req: &Request<'_>) {
        self.time = req.time.to_bits();
        self.abstime = req.abstime.to_bits();
        self.frame = req.frame.to_bits();
        self.uniforms.clear();
        self.uniforms
            .extend(req.uniforms.iter().map(|u| u.to_bits()));
    }

    fn matches(&self, req: &Request<'_>) -> bool {
        self.time == req.time.to_bits()
            && self.abstime == req.abstime.to_bits()
            && self.frame == req.frame.to_bits()
            && self.uniforms.len() == req.uniforms.len()
            && self
                .uniforms
                .iter()
                .zip(req.uniforms)
                .all(|(a, b)| *a == b.to_bits())
    }
}

impl std::fmt::Debug for GpuVisual {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GpuVisual")
            .field("drawn_by", &self.drawn_by)
            .field("passes", &self.passes.len())
            .finish()
    }
}

impl GpuVisual {
    /// A backend for `width × height` frames on `device`.
    pub fn new(device: Arc<GpuDevice>, width: u32, height: u32) -> Result<GpuVisual, EngineError> {
        let cpu = VisualBackend::new(width, height)?;
        Ok(GpuVisual {
            drawn_by: DrawnBy::Gpu(device.adapter.clone()),
            device,
            cpu,
            emitted: Vec::new(),
            surface: None,
            passes: Vec::new(),
            weights: Vec::new(),
            timings: Vec::new(),
            frame: vec![0; width as usize * height as usize * 4],
            on_gpu: false,
            ahead: None,
            spare: Ahead::default(),
            slot: 0,
            planned: true,
            spans: Vec::new(),
        })
    }

    /// Emits and binds the installed program's shaders if not done yet; a
    /// program the device cannot draw falls back to the CPU here.
    fn ensure_planned(&mut self) {
        if self.planned {
            return;
        }
        self.planned = true;
        if let Err((e, batch)) = self.plan() {
            let span = batch.and_then(|b| self.spans.get(b).copied().flatten());
            self.fall_back(e.to_string(), span);
        }
    }

    /// Emits every batch that draws or writes a strand, reusing the last install's
    /// shader where a batch's key and target are unchanged, and binds them.
    fn plan(&mut self) -> Result<(), (GpuError, Option<usize>)> {
        let batches = self.cpu.batches();
        let display = self.cpu.display();
        let mut slots: HashMap<*const weft_engine::registry::SharedBuffer, u32> = HashMap::new();
        for b in batches {
            for (_, buf) in &b.writes {
                let next = slots.len() as u32;
                slots.entry(Arc::as_ptr(buf)).or_insert(next);
            }
        }
        let mut last: Vec<Emitted> = std::mem::take(&mut self.emitted);
        let mut emitted = Vec::new();
        for (b, batch) in batches.iter().enumerate() {
            let kernel: &Kernel = &batch.kernel;
            let target = Target {
                display: display.filter(|d| d.0 == b).map(|d| Display {
                    first: d.1,
                    channels: d.2,
                }),
                writes: batch
                    .writes
                    .iter()
                    .map(|(o, buf)| (*o, slots[&Arc::as_ptr(buf)]))
                    .collect(),
                reads: kernel
                    .buffers()
                    .iter()
                    .map(|buf| slots.get(&Arc::as_ptr(buf)).copied().unwrap_or(u32::MAX))
                    .collect(),
            };
            if target.display.is_none() && target.writes.is_empty() {
                continue;
            }
            if target.reads.contains(&u32::MAX) {
                return Err((
                    GpuError::Emit(wgsl::EmitError::Unsupported(
                        "a strand no earlier visual batch writes",
                    )),
                    Some(b),
                ));
            }
            let reuse = last
                .iter()
                .position(|e| e.key == batch.key && batch.key != [0; 32] && e.target == target);
            let shader = match reuse {
                Some(i) => last.swap_remove(i).shader,
                None => wgsl::emit_target(kernel, &target).map_err(|e| (e.into(), Some(b)))?,
            };
            emitted.push(Emitted {
                key: batch.key,
                target,
                shader,
            });
        }
        self.emitted = emitted;
        if self.emitted.is_empty() {
            return Ok(());
        }
        let strands = slots.len() as u32;
        let slot_vec4s = self
            .emitted
            .iter()
            .map(|e| e.shader.slot_vec4s)
            .max()
            .unwrap_or(1);
        let (width, height) = self.cpu.size();
        let mut gpu = self.device.lock().map_err(|e| (e, None))?;
        let surface = gpu
            .surface(width, height, strands, slot_vec4s)
            .map_err(|e| (e, None))?;
        let mut passes = Vec::with_capacity(self.emitted.len());
        for e in &self.emitted {
            passes.push(gpu.pass(&e.shader, &surface).map_err(|e| (e, None))?);
        }
        drop(gpu);
        self.surface = Some(surface);
        self.passes = passes;
        Ok(())
    }

    /// Draws `req`'s frame into `self.frame`: the one queued ahead when it is
    /// that frame, else a new one.
    fn draw(&mut self, req: &Request<'_>) -> Result<(), GpuError> {
        let Some(surface) = &self.surface else {
            return Err(GpuError::Runtime("no surface".into()));
        };
        let mut gpu = self.device.lock()?;
        let queued = match self.ahead.take() {
            Some((drawn, key)) if key.matches(req) => {
                self.spare = key;
                drawn
            }
            other => {
                if let Some((_, key)) = other {
                    self.spare = key;
                }
                let inputs = inputs(req);
                self.slot ^= 1;
                gpu.submit(&self.passes, surface, &inputs, self.slot)?
            }
        };
        gpu.collect(surface, queued, &mut self.frame)
    }

    /// Draws on the CPU from now on, saying why.
    fn fall_back(&mut self, reason: String, span: Option<weft_diagnostics::Span>) {
        self.ahead = None;
        self.passes.clear();
        self.surface = None;
        self.emitted.clear();
        self.drawn_by = DrawnBy::Fallback { reason, span };
    }
}

/// Where a batch is in the program: the first statement it computes.
fn batch_span(batch: &CompiledBatch, program: &Program) -> Option<weft_diagnostics::Span> {
    batch.nodes.iter().find_map(|n| match *n {
        NodeKind::Instance(i) => Some(program.instance(i).span),
        NodeKind::Sink(s) => program.sinks.get(s).map(|s| s.span),
    })
}

impl Visual for GpuVisual {
    fn frame(&self) -> &[u8] {
        match self.on_gpu {
            true => &self.frame,
            false => self.cpu.frame(),
        }
    }
    fn size(&self) -> (u32, u32) {
        self.cpu.size()
    }
    fn has_display(&self) -> bool {
        self.cpu.has_display()
    }
    fn display_kernel(&self) -> Option<(&Arc<Kernel>, usize, usize)> {
        self.cpu.display_kernel()
    }
    fn drawn_by(&self) -> DrawnBy {
        self.drawn_by.clone()
    }
    fn prefetch(&mut self, req: &Request<'_>) {
        self.ensure_planned();
        let Some(surface) = self.surface.as_ref().filter(|_| !self.passes.is_empty()) else {
            return;
        };
        // A frame still queued was not asked for: its slot is reused.
        if let Some((_, key)) = self.ahead.take() {
            self.spare = key;
        }
        let queued = self.device.lock().and_then(|mut gpu| {
            self.slot ^= 1;
            gpu.submit(&self.passes, surface, &inputs(req), self.slot)
        });
        match queued {
            Ok(drawn) => {
                let mut key = std::mem::take(&mut self.spare);
                key.set(req);
                self.ahead = Some((drawn, key));
            }
            // The frame will be drawn (or fall back) when it is asked for.
            Err(_) => self.ahead = None,
        }
    }
}

/// A request's time and uniforms as the shader reads them.
fn inputs<'r>(req: &Request<'r>) -> FrameInputs<'r> {
    FrameInputs {
        time: req.time,
        abstime: req.abstime,
        frame: req.frame,
        uniforms: req.uniforms,
    }
}

impl Backend for GpuVisual {
    fn context(&self) -> Context {
        self.cpu.context()
    }

    fn batches(&self) -> &[CompiledBatch] {
        self.cpu.batches()
    }

    fn timings(&self) -> &[f64] {
        &self.timings
    }

    fn install(&mut self, batches: Vec<CompiledBatch>, program: &Program) {
        self.weights = batches
            .iter()
            .map(|b| b.kernel.instr_count().max(1) as f64)
            .collect();
        self.timings = vec![0.0; batches.len()];
        self.cpu.install(batches, program);
        self.ahead = None;
        self.passes.clear();
        if matches!(self.drawn_by, DrawnBy::Fallback { .. }) {
            // A new program gets a new chance on the device.
            self.drawn_by = DrawnBy::Gpu(self.device.adapter.clone());
        }
        self.spans = self
            .cpu
            .batches()
            .iter()
            .map(|b| batch_span(b, program))
            .collect();
        self.planned = false;
    }

    fn handle(&self, key: OutputKey) -> Option<DataRef> {
        self.cpu.handle(key)
    }

    fn value_at(&self, key: OutputKey, point: &Point, uniforms: &[f64]) -> Option<f64> {
        self.cpu.value_at(key, point, uniforms)
    }

    fn execute(&mut self, req: &Request<'_>) {
        self.ensure_planned();
        if self.surface.is_some() && !self.passes.is_empty() {
            let started = std::time::Instant::now();
            match self.draw(req) {
                Ok(()) => {
                    let total = started.elapsed().as_secs_f64() * 1e6;
                    let sum: f64 = self.weights.iter().sum();
                    for (t, w) in self.timings.iter_mut().zip(&self.weights) {
                        *t = total * w / sum.max(1.0);
                    }
                    self.on_gpu = true;
                    return;
                }
                Err(e) => self.fall_back(e.to_string(), None),
            }
        }
        self.cpu.execute(req);
        for (t, c) in self.timings.iter_mut().zip(self.cpu.timings()) {
            *t = *c;
        }
        self.on_gpu = false;
    }

    fn cleanup(&mut self) {
        self.ahead = None;
        self.cpu.cleanup();
        self.passes.clear();
        self.surface = None;
        self.emitted.clear();
        self.timings.clear();
    }
}
