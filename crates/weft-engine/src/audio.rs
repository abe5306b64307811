//! The audio backend: evaluates its batches over consecutive samples, a block of
//! samples per kernel dispatch, into interleaved stereo.

use crate::backend::{self, Backend, CompiledBatch, Context, Point, Request};
use crate::registry::{DataRef, Layout, OutputKey};
use weft_graph::BackendKind;
use weft_kernel::{BlockPos, Scratch, LANES};
use weft_lang::ast::OutputKind;
use weft_lang::ir::{coord, Program};

/// Converts a value to a sample: clamped to [-1, 1], NaN → 0.
#[inline]
pub fn to_sample(v: f64) -> f32 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-1.0, 1.0) as f32
    }
}

/// Sound over samples.
#[derive(Debug)]
pub struct AudioBackend {
    block: u32,
    batches: Vec<CompiledBatch>,
    /// Wall time of each batch's last execution, in microseconds.
    timings: Vec<f64>,
    scratch: Vec<Scratch>,
    /// (batch, first output, channel count) of the play sink.
    play: Option<(usize, usize, usize)>,
    out: Vec<f32>,
    /// The program's frame rate: `me@frame` of a sample is `floor(abstime * fps)`.
    fps: f64,
}

impl AudioBackend {
    /// A backend rendering at most `block` samples per execution.
    pub fn new(block: u32) -> AudioBackend {
        let block = block.max(LANES as u32);
        AudioBackend {
            block,
            batches: Vec::new(),
            timings: Vec::new(),
            scratch: Vec::new(),
            play: None,
            out: vec![0.0; block as usize * 2],
            fps: weft_lang::ir::Settings::DEFAULT_FPS,
        }
    }

    /// Most samples one execution renders.
    pub fn block(&self) -> usize {
        self.block as usize
    }

    /// The last block, interleaved stereo (left, right).
    pub fn output(&self) -> &[f32] {
        &self.out
    }

    /// True when the scope has a play output.
    pub fn has_play(&self) -> bool {
        self.play.is_some()
    }

    /// The compiled batches (for inspection).
    pub fn batches(&self) -> &[CompiledBatch] {
        &self.batches
    }

    /// Finds the play sink among the compiled batches (and takes the program's
    /// frame rate).
    pub fn bind_play(&mut self, program: &Program) {
        self.fps = program.settings.fps();
        self.play = None;
        for (b, batch) in self.batches.iter().enumerate() {
            for &(s, first) in &batch.sinks {
                if program.sinks[s].kind == OutputKind::Play {
                    self.play = Some((b, first, program.sinks[s].values.len()));
                }
            }
        }
    }
}

impl Backend for AudioBackend {
    fn context(&self) -> Context {
        Context {
            kind: BackendKind::Audio,
            layout: Layout::Samples { len: self.block },
        }
    }

    fn batches(&self) -> &[CompiledBatch] {
        &self.batches
    }

    fn timings(&self) -> &[f64] {
        &self.timings
    }

    fn install(&mut self, batches: Vec<CompiledBatch>, program: &Program) {
        self.scratch = batches.iter().map(|b| Scratch::new(&b.kernel)).collect();
        self.timings = vec![0.0; batches.len()];
        self.batches = batches;
        self.bind_play(program);
    }

    fn handle(&self, key: OutputKey) -> Option<DataRef> {
        backend::handle_in(&self.batches, key)
    }

    fn value_at(&self, key: OutputKey, point: &Point, uniforms: &[f64]) -> Option<f64> {
        backend::value_in(&self.batches, key, point, uniforms)
    }

    fn execute(&mut self, req: &Request<'_>) {
        let len = req.len.min(self.block as usize);
        self.out[..len * 2].fill(0.0);
        let rate = req.rate;
        for (b, (batch, scratch)) in self.batches.iter().zip(self.scratch.iter_mut()).enumerate() {
            let started = std::time::Instant::now();
            let kernel = &*batch.kernel;
            scratch.set_uniforms(kernel, req.uniforms);
            let mut k0 = 0;
            while k0 < len {
                let n = LANES.min(len - k0);
                let fps = self.fps;
                for &(c, r) in kernel.coord_regs() {
                    let lane = scratch.reg_mut(r);
                    for (k, v) in lane.iter_mut().enumerate() {
                        let local = (req.local_sample + (k0 + k) as u64) as f64 / rate;
                        let abs = (req.sample + (k0 + k) as u64) as f64 / rate;
                        *v = match c {
                            coord::TIME => match req.loop_len {
                                Some(l) if l > 0.0 => local - l * (local / l).floor(),
                                _ => local,
                            },
                            coord::ABSTIME => abs,
                            coord::SAMPLE => (req.sample + (k0 + k) as u64) as f64,
                            // The visual frame this sample plays in, per sample
                            // (not per block, so the block size never matters).
                            coord::FRAME => (abs * fps).floor(),
                            _ => 0.0,
                        };
                    }
                }
                kernel.run(scratch, BlockPos { index: k0, len: n });
                for (o, buf) in &batch.writes {
                    buf.put(k0, &scratch.reg(kernel.output_reg(*o))[..n]);
                }
                if let Some((pb, first, channels)) = self.play {
                    if pb == b {
                        let l = scratch.reg(kernel.output_reg(first));
                        let r = scratch.reg(kernel.output_reg(if channels == 2 {
                            first + 1
                        } else {
                            first
                        }));
                        for k in 0..n {
                            self.out[(k0 + k) * 2] = to_sample(l[k]);
                            self.out[(k0 + k) * 2 + 1] = to_sample(r[k]);
                        }
                    }
                }
                k0 += n;
            }
            self.timings[b] = started.elapsed().as_secs_f64() * 1e6;
        }
    }

    fn cleanup(&mut self) {
        self.batches.clear();
        self.timings.clear();
        self.scratch.clear();
        self.play = None;
    }
}
