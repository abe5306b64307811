//! The OSC backend: evaluates its batches at one point per visual frame and keeps
//! the values of every `osc(…)` output (sending them is the live engine's job).

use crate::backend::{self, Backend, CompiledBatch, Context, Point, Request};
use crate::registry::{DataRef, Layout, OutputKey};
use weft_graph::BackendKind;
use weft_kernel::{BlockPos, Scratch, LANES};
use weft_lang::ir::{coord, Program};

/// One OSC message: an address and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct OscMessage {
    /// The address, such as `/pulse`.
    pub address: String,
    /// The values in argument order.
    pub values: Vec<f64>,
}

/// Values sent per frame.
#[derive(Debug, Default)]
pub struct OscBackend {
    batches: Vec<CompiledBatch>,
    /// Wall time of each batch's last execution, in microseconds.
    timings: Vec<f64>,
    scratch: Vec<Scratch>,
    messages: Vec<OscMessage>,
}

impl OscBackend {
    /// An empty backend.
    pub fn new() -> OscBackend {
        OscBackend::default()
    }

    /// The messages of the last execution.
    pub fn messages(&self) -> &[OscMessage] {
        &self.messages
    }

    /// Prepares one message slot per osc sink.
    pub fn bind_messages(&mut self, program: &Program) {
        self.messages.clear();
        for batch in &self.batches {
            for &(s, _) in &batch.sinks {
                self.messages.push(OscMessage {
                    address: program.sinks[s].address.clone().unwrap_or_default(),
                    values: vec![0.0; program.sinks[s].values.len()],
                });
            }
        }
    }
}

impl Backend for OscBackend {
    fn context(&self) -> Context {
        Context {
            kind: BackendKind::Osc,
            layout: Layout::Point,
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
        self.bind_messages(program);
    }

    fn handle(&self, key: OutputKey) -> Option<DataRef> {
        backend::handle_in(&self.batches, key)
    }

    fn value_at(&self, key: OutputKey, point: &Point, uniforms: &[f64]) -> Option<f64> {
        backend::value_in(&self.batches, key, point, uniforms)
    }

    fn execute(&mut self, req: &Request<'_>) {
        let mut m = 0;
        for (b, (batch, scratch)) in self.batches.iter().zip(self.scratch.iter_mut()).enumerate() {
            let started = std::time::Instant::now();
            let kernel = &*batch.kernel;
            scratch.set_uniforms(kernel, req.uniforms);
            for &(c, r) in kernel.coord_regs() {
                let v = match c {
                    coord::TIME => req.time,
                    coord::ABSTIME => req.abstime,
                    coord::FRAME => req.frame,
                    _ => 0.0,
                };
                *scratch.reg_mut(r) = [v; LANES];
            }
            kernel.run(scratch, BlockPos { index: 0, len: 1 });
            for (o, buf) in &batch.writes {
                buf.put(0, &scratch.reg(kernel.output_reg(*o))[..1]);
            }
            for &(_, first) in &batch.sinks {
                if let Some(msg) = self.messages.get_mut(m) {
                    for (i, v) in msg.values.iter_mut().enumerate() {
                        *v = scratch.reg(kernel.output_reg(first + i))[0];
                    }
                }
                m += 1;
            }
            self.timings[b] = started.elapsed().as_secs_f64() * 1e6;
        }
    }

    fn cleanup(&mut self) {
        self.batches.clear();
        self.timings.clear();
        self.scratch.clear();
        self.messages.clear();
    }
}
