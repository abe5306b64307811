//! Running a kernel over one block of points. This is the per-point hot path: no
//! allocation, no locking, no look-ups; one `match` per instruction, then a tight
//! loop over the lanes that the compiler vectorizes.

use super::{BlockPos, Kernel, KernelId, Lane, OpCode, LANES};
use weft_lang::builtins as b;

/// The registers one worker uses to run a kernel (and the kernels it calls). A
/// scratch belongs to the kernel it was made for: [`Kernel::run`] refuses any other.
#[derive(Debug)]
pub struct Scratch {
    kernel: KernelId,
    pub(crate) regs: Vec<Lane>,
    pub(crate) calls: Vec<Scratch>,
}

impl Scratch {
    /// Registers for `kernel`, constants filled in, uniforms zero.
    pub fn new(kernel: &Kernel) -> Scratch {
        let mut regs = vec![[0.0; LANES]; kernel.n_regs.max(1)];
        for &(r, v) in &kernel.consts {
            regs[r as usize] = [v; LANES];
        }
        Scratch {
            kernel: kernel.id,
            regs,
            calls: kernel
                .calls
                .iter()
                .map(|c| Scratch::new(&c.getter.kernel))
                .collect(),
        }
    }

    /// Fills the uniform registers (mouse, tempo, parameters) for a frame.
    ///
    /// # Panics
    /// When the scratch was made for another kernel.
    pub fn set_uniforms(&mut self, kernel: &Kernel, uniforms: &[f64]) {
        kernel.check_scratch(self);
        for &(u, r) in &kernel.uniforms {
            self.regs[r as usize] = [uniforms.get(u as usize).copied().unwrap_or(0.0); LANES];
        }
        for (sub, call) in self.calls.iter_mut().zip(&kernel.calls) {
            sub.set_uniforms(&call.getter.kernel, uniforms);
        }
    }

    /// A register, for filling coordinates.
    #[inline]
    pub fn reg_mut(&mut self, r: u32) -> &mut Lane {
        &mut self.regs[r as usize]
    }

    /// A register, for reading outputs.
    #[inline]
    pub fn reg(&self, r: u32) -> &Lane {
        &self.regs[r as usize]
    }
}

impl Kernel {
    /// Evaluates one block: the caller has filled the coordinate registers.
    ///
    /// # Panics
    /// When `s` was not made for this kernel by [`Scratch::new`].
    #[inline]
    pub fn run(&self, s: &mut Scratch, pos: BlockPos) {
        self.check_scratch(s);
        #[cfg(target_arch = "x86_64")]
        if self.fast {
            // SAFETY: `fast` is only set when the CPU supports AVX2 and FMA.
            unsafe { self.run_avx2(s, pos) };
            return;
        }
        self.run_body(s, pos);
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn run_avx2(&self, s: &mut Scratch, pos: BlockPos) {
        self.run_body(s, pos);
    }

    /// The register holding output `i` after [`Kernel::run`].
    #[inline]
    pub fn output_reg(&self, i: usize) -> u32 {
        self.outputs[i]
    }

    /// The one check `run_body`'s unchecked register accesses rest on: a scratch
    /// made for this kernel has `n_regs` registers and one sub-scratch per call
    /// site, each made for its callee (checked again when the callee runs).
    #[inline]
    fn check_scratch(&self, s: &Scratch) {
        assert!(
            s.kernel == self.id && s.regs.len() >= self.n_regs && s.calls.len() == self.calls.len(),
            "a kernel ran on a scratch made for another kernel"
        );
    }

    #[inline(always)]
    fn run_body(&self, s: &mut Scratch, pos: BlockPos) {
        let n = s.regs.len();
        let regs = s.regs.as_mut_ptr();
        // For every `rd`/`wr` below: the builder checked (`validate`) that every
        // register index is below `n_regs`, `run` checked that this scratch was made
        // for this kernel (so it has at least that many registers), and an
        // instruction's destination differs from its operands, so the one `&mut`
        // never aliases the `&`s.
        let rd = |i: u32| -> &Lane {
            debug_assert!((i as usize) < n);
            // SAFETY: `i < n_regs <= n` (see above), so the pointer is in bounds,
            // and no `&mut` to this register is alive (destinations never alias).
            unsafe { &*regs.add(i as usize) }
        };
        let wr = |i: u32| -> &mut Lane {
            debug_assert!((i as usize) < n);
            // SAFETY: in bounds as above; an instruction takes one `&mut`, to its
            // destination, which none of its operands alias.
            unsafe { &mut *regs.add(i as usize) }
        };
        macro_rules! un {
            ($ins:expr, $f:expr) => {{
                let (d, a) = (wr($ins.dst), rd($ins.a));
                for i in 0..LANES {
                    d[i] = $f(a[i]);
                }
            }};
        }
        macro_rules! bin {
            ($ins:expr, $f:expr) => {{
                let (d, a, bb) = (wr($ins.dst), rd($ins.a), rd($ins.b));
                for i in 0..LANES {
                    d[i] = $f(a[i], bb[i]);
                }
            }};
        }
        macro_rules! tri {
            ($ins:expr, $f:expr) => {{
                let (d, a, bb, c) = (wr($ins.dst), rd($ins.a), rd($ins.b), rd($ins.c));
                for i in 0..LANES {
                    d[i] = $f(a[i], bb[i], c[i]);
                }
            }};
        }
        let t = |c: bool| if c { 1.0 } else { 0.0 };
        for ins in &self.instrs {
            match ins.op {
                OpCode::Neg => un!(ins, |x: f64| -x),
                OpCode::Not => un!(ins, |x: f64| t(x == 0.0)),
                OpCode::Abs => un!(ins, f64::abs),
                OpCode::Sqrt => un!(ins, f64::sqrt),
                OpCode::Square => un!(ins, |x: f64| x * x),
                OpCode::Floor => un!(ins, f64::floor),
                OpCode::Ceil => un!(ins, f64::ceil),
                OpCode::Round => un!(ins, f64::round),
                OpCode::Fract => un!(ins, b::fract),
                OpCode::Sign => un!(ins, b::sign),
                OpCode::Sin => un!(ins, f64::sin),
                OpCode::Cos => un!(ins, f64::cos),
                OpCode::Tan => un!(ins, f64::tan),
                OpCode::Asin => un!(ins, f64::asin),
                OpCode::Acos => un!(ins, f64::acos),
                OpCode::Atan => un!(ins, f64::atan),
                OpCode::Sinh => un!(ins, f64::sinh),
                OpCode::Cosh => un!(ins, f64::cosh),
                OpCode::Tanh => un!(ins, f64::tanh),
                OpCode::Exp => un!(ins, f64::exp),
                OpCode::Log => un!(ins, f64::ln),
                OpCode::Log2 => un!(ins, f64::log2),
                OpCode::Log10 => un!(ins, f64::log10),
                OpCode::Hash => un!(ins, b::hash),
                OpCode::Add => bin!(ins, |x: f64, y: f64| x + y),
                OpCode::Sub => bin!(ins, |x: f64, y: f64| x - y),
                OpCode::Mul => bin!(ins, |x: f64, y: f64| x * y),
                OpCode::Div => bin!(ins, |x: f64, y: f64| x / y),
                OpCode::Rem => bin!(ins, |x: f64, y: f64| x - y * (x / y).floor()),
                OpCode::Pow => bin!(ins, b::pow),
                OpCode::Min => bin!(ins, f64::min),
                OpCode::Max => bin!(ins, f64::max),
                OpCode::Lt => bin!(ins, |x: f64, y: f64| t(x < y)),
                OpCode::Le => bin!(ins, |x: f64, y: f64| t(x <= y)),
                OpCode::Gt => bin!(ins, |x: f64, y: f64| t(x > y)),
                OpCode::Ge => bin!(ins, |x: f64, y: f64| t(x >= y)),
                OpCode::Eq => bin!(ins, |x: f64, y: f64| t(x == y)),
                OpCode::Ne => bin!(ins, |x: f64, y: f64| t(x != y)),
                OpCode::And => bin!(ins, |x: f64, y: f64| t(x != 0.0 && y != 0.0)),
                OpCode::Or => bin!(ins, |x: f64, y: f64| t(x != 0.0 || y != 0.0)),
                OpCode::Atan2 => bin!(ins, f64::atan2),
                OpCode::Step => bin!(ins, b::step),
                OpCode::Clamp => tri!(ins, b::clamp),
                OpCode::Mix => tri!(ins, b::mix),
                OpCode::Smoothstep => tri!(ins, b::smoothstep),
                OpCode::Select => tri!(ins, b::select),
                OpCode::Noise => tri!(ins, b::noise),
                OpCode::Source => {
                    let src = &self.sources[(ins.aux >> 8) as usize];
                    let out = ins.aux & 0xff;
                    tri!(ins, |x, y, time| src.sample(out, x, y, time))
                }
                OpCode::Buffer => {
                    let buf = &self.buffers[ins.aux as usize];
                    let d = wr(ins.dst);
                    for (i, v) in d.iter_mut().enumerate() {
                        *v = buf.get(pos.index + i);
                    }
                }
                OpCode::Call => {
                    let site = &self.calls[ins.aux as usize];
                    let sub = &mut s.calls[ins.aux as usize];
                    let callee = &site.getter.kernel;
                    for (k, &(_, r)) in callee.coords.iter().enumerate() {
                        sub.regs[r as usize] = *rd(site.args[k]);
                    }
                    callee.run(sub, pos);
                    *wr(ins.dst) = sub.regs[callee.outputs[site.getter.output] as usize];
                }
            }
        }
    }
}
