//! Sampling instance outputs outside any backend, for previews: one kernel fuses
//! the instance and everything it reads, and is evaluated a block of points at a
//! time. The live view's block thumbnails and waveforms come from here.

use crate::backend::EngineError;
use weft_graph::NodeKind;
use weft_kernel::{BlockPos, Fresh, FuseAll, Kernel, KernelBuilder, Lowering, Scratch, LANES};
use weft_lang::ir::{CoordId, InstId, Program};
use weft_sources::SourceSet;

/// Every output of one instance, compiled into one kernel (output `i` is the
/// instance's output `i`).
#[derive(Debug)]
pub struct Sampler {
    kernel: Kernel,
    scratch: Scratch,
}

impl Sampler {
    /// Compiles every output of `inst`.
    pub fn new(
        program: &Program,
        sources: &SourceSet,
        inst: InstId,
    ) -> Result<Sampler, EngineError> {
        if inst.0 as usize >= program.instances.len() {
            return Err(EngineError::UnknownOutput(format!("instance #{}", inst.0)));
        }
        let mut b = KernelBuilder::new(Lowering { program, sources });
        // A one-off kernel: its fragments are lowered for it alone.
        b.add_node(
            NodeKind::Instance(inst),
            &mut Fresh::new(program),
            &mut FuseAll,
        )?;
        let kernel = b.finish(&mut FuseAll)?;
        let scratch = Scratch::new(&kernel);
        Ok(Sampler { kernel, scratch })
    }

    /// Evaluates every output at `n` points: `coord(i, c)` gives coordinate `c` of
    /// point `i` (coordinates it is not asked for are 0). `out[o][i]` receives
    /// output `o` at point `i`.
    pub fn sample(
        &mut self,
        n: usize,
        uniforms: &[f64],
        coord: impl Fn(usize, CoordId) -> f64,
        out: &mut [Vec<f64>],
    ) {
        self.scratch.set_uniforms(&self.kernel, uniforms);
        for o in out.iter_mut() {
            o.clear();
            o.reserve(n);
        }
        let mut start = 0;
        while start < n {
            let len = (n - start).min(LANES);
            for &(c, r) in self.kernel.coord_regs() {
                let lane = self.scratch.reg_mut(r);
                for (k, v) in lane.iter_mut().enumerate().take(len) {
                    *v = coord(start + k, c);
                }
            }
            self.kernel
                .run(&mut self.scratch, BlockPos { index: start, len });
            for (o, values) in out.iter_mut().enumerate().take(self.kernel.output_count()) {
                let reg = self.scratch.reg(self.kernel.output_reg(o));
                values.extend_from_slice(&reg[..len]);
            }
            start += len;
        }
    }
}
