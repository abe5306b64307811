//! The visual backends: the [`Visual`] trait every one implements (the CPU's here,
//! the GPU's in `weft-shader`), the [`Painter`] a run chooses them with, and the CPU
//! reference, which evaluates its batches over every pixel of a frame, rows in
//! parallel on all cores, a block of pixels per kernel dispatch.

use crate::backend::{self, Backend, CompiledBatch, Context, EngineError, Point, Request};
use crate::registry::{DataRef, Layout, OutputKey};
use rayon::prelude::*;
use std::sync::Arc;
use weft_graph::BackendKind;
use weft_kernel::{BlockPos, Scratch, LANES};
use weft_lang::ast::OutputKind;
use weft_lang::ir::{coord, Program};

/// A visual backend: compiles and runs its batches like every [`Backend`], and
/// keeps the last frame.
pub trait Visual: Backend + std::fmt::Debug {
    /// The last frame, RGBA, row-major from the top.
    fn frame(&self) -> &[u8];
    /// Frame size.
    fn size(&self) -> (u32, u32);
    /// True when the scope has a display output.
    fn has_display(&self) -> bool;
    /// The kernel computing the display with its first display output and the
    /// display's channel count.
    fn display_kernel(&self) -> Option<(&Arc<weft_kernel::Kernel>, usize, usize)>;
    /// The strands its batches write for later ones, each with the code that
    /// fills it (for an emitter that computes them again where they are read).
    fn strands(&self) -> Vec<weft_kernel::data::Materialized> {
        self.batches()
            .iter()
            .flat_map(|b| {
                b.writes
                    .iter()
                    .map(|(output, buffer)| weft_kernel::data::Materialized {
                        buffer: buffer.clone(),
                        kernel: b.kernel.clone(),
                        output: *output,
                    })
            })
            .collect()
    }
    /// What draws the installed program: `cpu`, or the device and why a program
    /// it cannot draw fell back to the CPU — known once a frame was drawn (a
    /// device builds its pipelines at the program's first frame).
    fn drawn_by(&self) -> DrawnBy;
    /// Starts the frame `execute` will most likely be asked for next, so a device
    /// draws it while the caller encodes the last one (the last frame stays in
    /// [`Visual::frame`]). Asking for another frame instead only wastes the work.
    /// The CPU does nothing ahead.
    fn prefetch(&mut self, _req: &Request<'_>) {}
}

/// What draws the pictures of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DrawnBy {
    /// The CPU reference.
    Cpu,
    /// A graphics device (its adapter's name).
    Gpu(String),
    /// The CPU, though a device was chosen: why (a kernel over the shader budget,
    /// a device error), and where in the program when one batch is the cause.
    Fallback {
        /// What the device could not do.
        reason: String,
        /// The statement whose batch it could not draw.
        span: Option<weft_diagnostics::Span>,
    },
}

impl DrawnBy {
    /// `cpu` or `gpu`: which of the two paths' results a frame holds (they may
    /// differ in the last bit, so caches keep them apart).
    pub fn path(&self) -> &'static str {
        match self {
            DrawnBy::Gpu(_) => "gpu",
            DrawnBy::Cpu | DrawnBy::Fallback { .. } => "cpu",
        }
    }
}

impl std::fmt::Display for DrawnBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DrawnBy::Cpu => write!(f, "cpu"),
            DrawnBy::Gpu(adapter) => write!(f, "gpu on {adapter}"),
            DrawnBy::Fallback { reason, .. } => write!(f, "cpu ({reason})"),
        }
    }
}

/// A device that draws pictures (a GPU): makes the visual backend of each
/// coordinator, sharing its compiled pipelines among them.
pub trait VisualDevice: Send + Sync + std::fmt::Debug {
    /// A visual backend for `width × height` frames on this device.
    fn visual(self: Arc<Self>, width: u32, height: u32) -> Result<Box<dyn Visual>, EngineError>;
    /// The adapter, for messages.
    fn name(&self) -> String;
}

/// What a run draws its pictures with: the CPU reference, or a device. Cheap to
/// clone (the device is shared).
#[derive(Clone, Debug, Default)]
pub enum Painter {
    /// The CPU visual backend.
    #[default]
    Cpu,
    /// A device's visual backend.
    Device(Arc<dyn VisualDevice>),
}

impl Painter {
    /// A visual backend for `width × height` frames.
    pub fn visual(&self, width: u32, height: u32) -> Result<Box<dyn Visual>, EngineError> {
        match self {
            Painter::Cpu => Ok(Box::new(VisualBackend::new(width, height)?)),
            Painter::Device(d) => d.clone().visual(width, height),
        }
    }

    /// `cpu`, or `gpu on ADAPTER`.
    pub fn describe(&self) -> String {
        match self {
            Painter::Cpu => "cpu".into(),
            Painter::Device(d) => format!("gpu on {}", d.name()),
        }
    }
}

/// Converts a value to an 8-bit channel: `floor(clamp(v, 0, 1) * 255 + 0.5)`, NaN → 0.
#[inline]
pub fn to_u8(v: f64) -> u8 {
    // After the clamp the value is in [0.5, 255.5], where truncation is floor (and
    // cheaper: `floor` is a library call on baseline x86-64); NaN casts to 0.
    (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8
}

/// Pictures over pixels.
#[derive(Debug)]
pub struct VisualBackend {
    width: u32,
    height: u32,
    batches: Vec<CompiledBatch>,
    /// Wall time of each batch's last execution, in microseconds.
    timings: Vec<f64>,
    /// (batch, first output, channel count) of the display sink.
    display: Option<(usize, usize, usize)>,
    frame: Vec<u8>,
}

impl VisualBackend {
    /// A backend for `width × height` frames.
    pub fn new(width: u32, height: u32) -> Result<VisualBackend, EngineError> {
        if width == 0 || height == 0 || width > 16384 || height > 16384 {
            return Err(EngineError::BadSize(format!(
                "{width}x{height} (each side 1 to 16384)"
            )));
        }
        Ok(VisualBackend {
            width,
            height,
            batches: Vec::new(),
            timings: Vec::new(),
            display: None,
            frame: vec![0; width as usize * height as usize * 4],
        })
    }

    /// The last frame, RGBA, row-major from the top.
    pub fn frame(&self) -> &[u8] {
        &self.frame
    }

    /// Frame size.
    pub fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    /// True when the scope has a display output.
    pub fn has_display(&self) -> bool {
        self.display.is_some()
    }

    /// The kernel computing the display with its first display output and the
    /// display's channel count (for another emitter, such as the GPU's).
    pub fn display_kernel(&self) -> Option<(&std::sync::Arc<weft_kernel::Kernel>, usize, usize)> {
        let (b, first, channels) = self.display?;
        Some((&self.batches[b].kernel, first, channels))
    }

    /// The display: (batch, first output, channel count), when there is one.
    pub fn display(&self) -> Option<(usize, usize, usize)> {
        self.display
    }

    /// Finds the display sink among the compiled batches.
    pub fn bind_display(&mut self, program: &Program) {
        self.display = None;
        for (b, batch) in self.batches.iter().enumerate() {
            for &(s, first) in &batch.sinks {
                if program.sinks[s].kind == OutputKind::Display {
                    self.display = Some((b, first, program.sinks[s].values.len()));
                }
            }
        }
    }
}

impl Visual for VisualBackend {
    fn frame(&self) -> &[u8] {
        &self.frame
    }
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }
    fn has_display(&self) -> bool {
        self.display.is_some()
    }
    fn display_kernel(&self) -> Option<(&Arc<weft_kernel::Kernel>, usize, usize)> {
        VisualBackend::display_kernel(self)
    }
    fn drawn_by(&self) -> DrawnBy {
        DrawnBy::Cpu
    }
}

impl Backend for VisualBackend {
    fn context(&self) -> Context {
        Context {
            kind: BackendKind::Visual,
            layout: Layout::Frame {
                width: self.width,
                height: self.height,
            },
        }
    }

    fn batches(&self) -> &[CompiledBatch] {
        &self.batches
    }

    fn timings(&self) -> &[f64] {
        &self.timings
    }

    fn install(&mut self, batches: Vec<CompiledBatch>, program: &Program) {
        self.timings = vec![0.0; batches.len()];
        self.batches = batches;
        self.bind_display(program);
    }

    fn handle(&self, key: OutputKey) -> Option<DataRef> {
        backend::handle_in(&self.batches, key)
    }

    fn value_at(&self, key: OutputKey, point: &Point, uniforms: &[f64]) -> Option<f64> {
        backend::value_in(&self.batches, key, point, uniforms)
    }

    fn execute(&mut self, req: &Request<'_>) {
        let (w, h) = (self.width as usize, self.height as usize);
        let (fw, fh) = (self.width as f64, self.height as f64);
        let display = self.display;
        // x is the same for every row: computed once per frame, copied per block.
        let xs: Vec<f64> = (0..w + LANES).map(|i| (i as f64 + 0.5) / fw).collect();
        for (b, batch) in self.batches.iter().enumerate() {
            let started = std::time::Instant::now();
            let kernel = &*batch.kernel;
            let show = display.filter(|d| d.0 == b);
            let run_row = |scratch: &mut Scratch, j: usize, row: Option<&mut [u8]>| {
                let y = (j as f64 + 0.5) / fh;
                for &(c, r) in kernel.coord_regs() {
                    let v = match c {
                        coord::Y => y,
                        coord::TIME => req.time,
                        coord::ABSTIME => req.abstime,
                        coord::FRAME => req.frame,
                        _ => 0.0,
                    };
                    if c != coord::X {
                        *scratch.reg_mut(r) = [v; LANES];
                    }
                }
                let mut row = row;
                let mut i0 = 0;
                while i0 < w {
                    let len = LANES.min(w - i0);
                    for &(c, r) in kernel.coord_regs() {
                        if c == coord::X {
                            scratch.reg_mut(r).copy_from_slice(&xs[i0..i0 + LANES]);
                        }
                    }
                    let index = j * w + i0;
                    kernel.run(scratch, BlockPos { index, len });
                    for (o, buf) in &batch.writes {
                        buf.put(index, &scratch.reg(kernel.output_reg(*o))[..len]);
                    }
                    if let (Some((_, first, channels)), Some(row)) = (show, row.as_deref_mut()) {
                        let px = &mut row[i0 * 4..(i0 + len) * 4];
                        if channels == 3 {
                            let r = scratch.reg(kernel.output_reg(first));
                            let g = scratch.reg(kernel.output_reg(first + 1));
                            let bl = scratch.reg(kernel.output_reg(first + 2));
                            for k in 0..len {
                                px[k * 4..k * 4 + 4].copy_from_slice(&[
                                    to_u8(r[k]),
                                    to_u8(g[k]),
                                    to_u8(bl[k]),
                                    255,
                                ]);
                            }
                        } else {
                            let v = scratch.reg(kernel.output_reg(first));
                            for k in 0..len {
                                let c = to_u8(v[k]);
                                px[k * 4..k * 4 + 4].copy_from_slice(&[c, c, c, 255]);
                            }
                        }
                    }
                    i0 += len;
                }
            };
            let init = || {
                let mut s = Scratch::new(kernel);
                s.set_uniforms(kernel, req.uniforms);
                s
            };
            if show.is_some() {
                self.frame
                    .par_chunks_mut(w * 4)
                    .enumerate()
                    .for_each_init(init, |s, (j, row)| run_row(s, j, Some(row)));
            } else {
                (0..h)
                    .into_par_iter()
                    .for_each_init(init, |s, j| run_row(s, j, None));
            }
            self.timings[b] = started.elapsed().as_secs_f64() * 1e6;
        }
    }

    fn cleanup(&mut self) {
        self.batches.clear();
        self.timings.clear();
        self.display = None;
    }
}

#[cfg(test)]
mod tests {
    use super::to_u8;

    #[test]
    fn channel_conversion_follows_the_spec() {
        assert_eq!(to_u8(f64::NAN), 0);
        assert_eq!(to_u8(-1.0), 0);
        assert_eq!(to_u8(2.0), 255);
        assert_eq!(to_u8(0.5), 128);
        assert_eq!(to_u8(1.0 / 255.0 * 0.49), 0);
    }
}
