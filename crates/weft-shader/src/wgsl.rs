//! The second emitter: a linked [`Kernel`] written as one WGSL compute shader, one
//! invocation per pixel, in f32. A shader draws the display (packed RGBA pixels),
//! writes the strands later batches read (storage buffers), or both.
//!
//! Every register is a function-local `var`, every instruction one assignment, so
//! the shader is as long as the kernel and never nests (no recursion when parsing).
//! A read of another batch through a value getter is a WGSL function holding the
//! getter's own kernel, called with the coordinates the CPU would pass it; a read of
//! an earlier batch's materialized strand indexes the strands buffer (in the
//! browser's fragment shader, which has no such buffer, it calls the code that
//! fills it at the same point: pure code, the same value); a source is
//! sampled by a function over the packed sources buffer (`sources.rs`).
//!
//! Time, the frame number and every uniform slot (pointer, tempo, parameters) are
//! read from one uniform buffer: a new slider value is a buffer write, never a new
//! shader. The CPU's semantics are kept where WGSL leaves them open: truth values
//! are tested on the bits (NaN is true, like the CPU's `x != 0`), `round` is half
//! away from zero, `pow` of a negative base follows C's `pow`, `hash` and `noise`
//! redo `weft_lang::builtins`' splitmix64 on pairs of `u32`, and the 8-bit channel
//! is `floor(clamp(v, 0, 1) * 255 + 0.5)` with NaN as 0, as the CPU converts.

use crate::sources;
use std::fmt::Write;
use std::sync::Arc;
use weft_kernel::data::Materialized;
use weft_kernel::{Kernel, OpCode};
use weft_lang::ir::coord;
use weft_sources::SourceData;

/// The most instructions a shader may hold (its kernel and the getters it calls):
/// 8,192, which Prospero (7,866) fits. A budget for hostile programs: the shader
/// compilers (`naga`, the driver) take time superlinear in a shader's length and
/// recurse over it, so a 20,000-instruction chain took minutes and 100,000
/// overflowed the stack. A larger kernel is drawn on the CPU.
pub const MAX_INSTRS: usize = 8_192;

/// How deep getters may call getters (each a WGSL function).
const MAX_CALL_DEPTH: usize = 32;

/// Which kernel outputs the display reads: `channels` outputs from `first`; three
/// are red, green and blue, any other count shows the first as grey (as the CPU
/// visual backend does).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Display {
    /// The first display output of the kernel.
    pub first: usize,
    /// How many values the display sink has.
    pub channels: usize,
}

/// What one batch's shader computes, and where its materialized strands live.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    /// The display, when this batch draws it.
    pub display: Option<Display>,
    /// Kernel outputs written to strand slots, for later batches: (output, slot).
    pub writes: Vec<(usize, u32)>,
    /// The strand slot of each buffer the kernel reads (by `OpCode::Buffer`'s aux).
    pub reads: Vec<u32>,
}

/// An emitted shader, ready for the GPU runner.
#[derive(Clone, Debug)]
pub struct Shader {
    /// The WGSL text.
    pub wgsl: String,
    /// BLAKE3 of the text: the pipeline cache's key (equal text, equal pipeline).
    pub key: [u8; 32],
    /// How many `vec4<f32>` of uniform slots the shader's uniform buffer holds.
    pub slot_vec4s: usize,
    /// The sources it samples, in the order they are packed.
    pub sources: Vec<Arc<SourceData>>,
    /// Instructions emitted (the kernel's and its getters').
    pub instrs: usize,
}

/// Why a kernel has no shader.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The kernel reads something the shader path cannot bind (a strand with no
    /// slot, a getter reading a buffer): draw it on the CPU.
    #[error("the GPU path does not support {0}")]
    Unsupported(&'static str),
    /// More instructions than [`MAX_INSTRS`].
    #[error("kernel of {0} instructions is over the shader budget of {MAX_INSTRS}")]
    TooLarge(usize),
    /// Sources over [`sources::MAX_WORDS`].
    #[error("sources of {0} words are over the GPU budget of {max}", max = sources::MAX_WORDS)]
    SourcesTooLarge(u64),
    /// The display names outputs the kernel does not have (a wiring bug).
    #[error("internal error: display outputs {first}..{end} outside the kernel's {outputs}")]
    BadDisplay {
        /// First display output.
        first: usize,
        /// One past the last.
        end: usize,
        /// Outputs of the kernel.
        outputs: usize,
    },
    /// The emitted WGSL did not validate: a bug in this emitter, reported, never a
    /// panic; the caller draws on the CPU.
    #[error("internal error: the emitted shader does not validate: {0}")]
    Invalid(String),
}

/// Invocations per workgroup along x and y (the compute shader's
/// `@workgroup_size`, which the runner's dispatch divides by). 16 × 16 measured
/// no faster on lavapipe (Prospero 0.142 against 0.139 s a frame).
pub const WORKGROUP: u32 = 8;

/// Size in bytes of the uniform buffer's header (before the slots).
pub const HEADER_BYTES: usize = 48;

/// Emits the shader drawing `display` of `kernel` (a kernel that reads no strands),
/// validated with naga.
pub fn emit(kernel: &Kernel, display: Display) -> Result<Shader, EmitError> {
    emit_target(
        kernel,
        &Target {
            display: Some(display),
            ..Target::default()
        },
    )
}

/// Emits the shader computing `target` of `kernel`, validated with naga.
pub fn emit_target(kernel: &Kernel, target: &Target) -> Result<Shader, EmitError> {
    assemble(kernel, target, Stage::Compute, Emitter::default())
}

/// Emits the display of a one-batch program as a fragment shader for the browser's
/// WebGL2 (see `glsl.rs`): one fragment per pixel of any canvas size, the colour the
/// compute shader would pack, sources read from one `u32` texture
/// [`SOURCE_TEXTURE_WIDTH`] words wide. Strands between batches have no place
/// there: such a program is `Unsupported` and the page shows streamed frames.
///
/// A source in `cameras` (the program's `camera()`) is read from a texture of its
/// own, which the page fills from the browser's camera; the live microphone
/// from one the page fills with the samples the server placed (`WLIV`). A strand
/// of an earlier visual batch is computed again where it is read, by its code
/// in `strands`.
pub fn emit_fragment(
    kernel: &Kernel,
    display: Display,
    cameras: &[Arc<SourceData>],
    strands: &[Materialized],
) -> Result<Shader, EmitError> {
    let target = Target {
        display: Some(display),
        ..Target::default()
    };
    let emitter = Emitter {
        cameras: cameras.to_vec(),
        strands: Some(strands.to_vec()),
        fragment: true,
        ..Emitter::default()
    };
    assemble(kernel, &target, Stage::Fragment, emitter)
}

/// Width of the texture a fragment shader reads its sources from (a WebGL2
/// implementation offers at least 2048).
pub const SOURCE_TEXTURE_WIDTH: u32 = 2048;

/// The two shapes of shader: a compute shader for `wgpu` (pixels and strands in
/// storage buffers), a fragment shader for WebGL2.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Compute,
    Fragment,
}

/// Bindings of the compute stage, and how it reads a source word.
const COMPUTE_BINDINGS: &str = r#"@group(0) @binding(0) var<uniform> weft: Frame;
// The display's pixels of this band, packed RGBA.
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;
// The sources the kernel samples, packed (see sources.rs), uploaded once per content.
@group(0) @binding(2) var<storage, read> sources: array<u32>;
// Strands materialized for later batches: slot * weft.stride + point of the band.
@group(0) @binding(3) var<storage, read_write> strands: array<f32>;
fn word(at: u32) -> u32 { return sources[at]; }
"#;

/// The compute shader's entry point, down to its first register.
const COMPUTE_MAIN: &str =
    "@compute @workgroup_size(8, 8)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>) {\n  \
     if (gid.x >= weft.width || gid.y >= weft.rows) { return; }\n  \
     let col = gid.x;\n  let row = gid.y + weft.row0;\n  if (row >= weft.height) { return; }\n  \
     let point = gid.y * weft.width + gid.x;\n";

/// Bindings of the fragment stage: the sources are a texture of words.
const FRAGMENT_BINDINGS: &str = r#"@group(0) @binding(0) var<uniform> weft: Frame;
@group(0) @binding(2) var sources: texture_2d<u32>;
fn word(at: u32) -> u32 {
  return textureLoad(sources, vec2<i32>(i32(at % 2048u), i32(at / 2048u)), 0).x;
}
// The browser's camera (black until the user turns it on), rows from the top.
@group(0) @binding(4) var camera: texture_2d<f32>;
// The live microphone as the page holds it: row 0 is the rate, the first and one
// past the last index held (low 32 bits), and 1 once anything is; rows 1… are a
// ring of 2^18 samples (f32 bits), sample n at word n % 2^18.
@group(0) @binding(5) var live: texture_2d<u32>;
// The pixel's own x and y, for strands computed again inside getter functions.
var<private> here: vec2<f32>;
"#;

/// `mic()` in the browser when it is the live microphone: the sample at
/// `round(time · rate)` when the page holds it, else 0, as `LiveAudio::sample`.
const LIVE_SAMPLER: &str = r#"fn live_mic(out: u32, time: f32) -> f32 {
  let rate = textureLoad(live, vec2<i32>(0, 0), 0).x;
  if (out != 0u || rate == 0u || textureLoad(live, vec2<i32>(3, 0), 0).x == 0u) { return 0.0; }
  let n = w_round(time * f32(rate));
  if (!(n >= 0.0 && n < 4294967040.0)) { return 0.0; }
  let i = u32(n);
  if (i < textureLoad(live, vec2<i32>(1, 0), 0).x || i >= textureLoad(live, vec2<i32>(2, 0), 0).x) { return 0.0; }
  let k = i % 262144u;
  return bitcast<f32>(textureLoad(live, vec2<i32>(i32(k % 1024u), i32(k / 1024u) + 1), 0).x);
}
"#;

/// `camera()` in the browser: the nearest pixel of the camera texture.
const CAMERA_SAMPLER: &str = r#"fn cam(out: u32, x: f32, y: f32) -> f32 {
  if (out > 2u) { return 0.0; }
  let size = textureDimensions(camera, 0);
  let p = textureLoad(camera, vec2<i32>(i32(nearest(x, size.x)), i32(nearest(y, size.y))), 0);
  return p[out];
}
"#;

fn assemble(
    kernel: &Kernel,
    target: &Target,
    stage: Stage,
    mut e: Emitter,
) -> Result<Shader, EmitError> {
    let outputs = kernel.output_regs();
    if let Some(d) = target.display {
        let end = d.first + if d.channels == 3 { 3 } else { 1 };
        if d.channels == 0 || end > outputs.len() {
            return Err(EmitError::BadDisplay {
                first: d.first,
                end,
                outputs: outputs.len(),
            });
        }
    }
    if target.writes.iter().any(|&(o, _)| o >= outputs.len()) {
        return Err(EmitError::Unsupported("a strand written from no output"));
    }
    let (body, regs) = e.body(kernel, Coords::Frame, Some(&target.reads), 0)?;
    let slots = e.slots.max(1).div_ceil(4);

    let mut s = String::with_capacity(PRELUDE.len() + e.functions.len() + body.len() + 1024);
    let _ = writeln!(
        s,
        "struct Frame {{\n  width: u32, height: u32, row0: u32, rows: u32,\n  time: f32, abstime: f32, frame: f32, zero: u32,\n  stride: u32, flip: u32, pad1: u32, pad2: u32,\n  slots: array<vec4<f32>, {slots}>,\n}}"
    );
    s.push_str(match stage {
        Stage::Compute => COMPUTE_BINDINGS,
        Stage::Fragment => FRAGMENT_BINDINGS,
    });
    s.push_str(PRELUDE);
    let mut offset = 0u64;
    for (n, src) in e.sources.iter().enumerate() {
        s.push_str(&sources::sampler(n, src, offset));
        offset += sources::words(src);
    }
    if offset > sources::MAX_WORDS {
        return Err(EmitError::SourcesTooLarge(offset));
    }
    if e.uses_camera {
        s.push_str(CAMERA_SAMPLER);
    }
    if e.uses_live {
        s.push_str(LIVE_SAMPLER);
    }
    s.push_str(&e.functions);
    s.push_str(match stage {
        Stage::Compute => COMPUTE_MAIN,
        // GL counts rows from the bottom: `flip` turns them so row 0 is the top.
        Stage::Fragment => {
            "@fragment\nfn main(@builtin(position) pos: vec4<f32>) -> @location(0) vec4<f32> {\n  \
             let col = u32(pos.x);\n  \
             let row = select(u32(pos.y), weft.height - 1u - u32(pos.y), weft.flip != 0u);\n  \
             here = vec2<f32>((f32(col) + 0.5) / f32(weft.width), (f32(row) + 0.5) / f32(weft.height));\n"
        }
    });
    s.push_str(&body);
    for &(o, slot) in &target.writes {
        let _ = writeln!(
            s,
            "  strands[{slot}u * weft.stride + point] = {};",
            regs.get(outputs[o])
        );
    }
    if let Some(d) = target.display {
        let o = |k: usize| regs.get(outputs[d.first + k]);
        let (r, g, b) = if d.channels == 3 {
            (o(0), o(1), o(2))
        } else {
            (o(0), o(0), o(0))
        };
        let _ = match stage {
            Stage::Compute => writeln!(
                s,
                "  pixels[point] = channel({r}) | (channel({g}) << 8u) | (channel({b}) << 16u) | 0xff000000u;"
            ),
            // k / 255 is stored as byte k exactly.
            Stage::Fragment => writeln!(
                s,
                "  return vec4<f32>(f32(channel({r})), f32(channel({g})), f32(channel({b})), 255.0) / 255.0;"
            ),
        };
    }
    s.push_str("}\n");
    validate(&s)?;
    let key = *blake3::hash(s.as_bytes()).as_bytes();
    Ok(Shader {
        wgsl: s,
        key,
        slot_vec4s: slots,
        sources: e.sources,
        instrs: e.instrs,
    })
}

/// Registers as WGSL `let`s: every assignment binds a new name (`r5_12`), so the
/// shader is in SSA form, as the driver's compiler wants it (registers reused by
/// the kernel's allocator would otherwise be function-local `var`s).
struct Ssa {
    names: Vec<Option<String>>,
    next: usize,
}

impl Ssa {
    fn new(registers: usize) -> Ssa {
        Ssa {
            names: vec![None; registers.max(1)],
            next: 0,
        }
    }

    /// The current name of register `r` (`0.0` for one never written, as the
    /// CPU's zeroed scratch reads it).
    fn get(&self, r: u32) -> String {
        self.names
            .get(r as usize)
            .and_then(|n| n.clone())
            .unwrap_or_else(|| "0.0".into())
    }

    /// Binds `expr` to a fresh name for register `r`.
    fn set(&mut self, s: &mut String, r: u32, expr: &str) {
        let name = format!("r{r}_{}", self.next);
        self.next += 1;
        let _ = writeln!(s, "  let {name}: f32 = {expr};");
        if let Some(slot) = self.names.get_mut(r as usize) {
            *slot = Some(name);
        }
    }
}

/// Where a body's coordinates come from: the frame (the shader's own point) or
/// the arguments of a getter function, in the callee's coordinate order.
#[derive(Clone, Copy)]
enum Coords {
    Frame,
    Args,
}

/// The state of one emission: the getter functions and sources gathered so far.
#[derive(Default)]
struct Emitter {
    /// WGSL of the getter functions, each emitted once.
    functions: String,
    /// Each emitted function's kernel and output (the getter's identity).
    emitted: Vec<(*const Kernel, usize)>,
    /// Distinct sources, in first-use order (their packing order).
    sources: Vec<Arc<SourceData>>,
    /// Instructions emitted so far, against [`MAX_INSTRS`].
    instrs: usize,
    /// Uniform slots read (one past the highest).
    slots: usize,
    /// Sources read from the browser's camera instead (fragment stage).
    cameras: Vec<Arc<SourceData>>,
    /// Whether one of them is read.
    uses_camera: bool,
    /// The fragment stage (the browser's WebGL2).
    fragment: bool,
    /// Whether it reads the live microphone (fragment stage).
    uses_live: bool,
    /// The fragment stage: the code of every strand earlier batches write, to
    /// compute one again where it is read (`None`: strands are in slots).
    strands: Option<Vec<Materialized>>,
}

impl Emitter {
    /// The statements computing `kernel`'s registers. `reads` gives the strand slot
    /// of each buffer it reads (`None` in a getter, which has no point of its own).
    fn body(
        &mut self,
        kernel: &Kernel,
        coords: Coords,
        reads: Option<&[u32]>,
        depth: usize,
    ) -> Result<(String, Ssa), EmitError> {
        self.instrs += kernel.instrs().len();
        if self.instrs > MAX_INSTRS {
            return Err(EmitError::TooLarge(self.instrs));
        }
        let mut s = String::with_capacity(48 * (kernel.instrs().len() + 16));
        let mut regs = Ssa::new(kernel.register_count());
        for &(r, v) in kernel.const_regs() {
            regs.set(&mut s, r, &literal(v));
        }
        for (k, &(c, r)) in kernel.coord_regs().iter().enumerate() {
            let v = match coords {
                Coords::Args => format!("a{k}"),
                Coords::Frame => match c {
                    coord::X => "(f32(col) + 0.5) / f32(weft.width)",
                    coord::Y => "(f32(row) + 0.5) / f32(weft.height)",
                    coord::TIME => "weft.time",
                    coord::ABSTIME => "weft.abstime",
                    coord::FRAME => "weft.frame",
                    _ => "0.0",
                }
                .to_string(),
            };
            regs.set(&mut s, r, &v);
        }
        for &(u, r) in kernel.uniform_regs() {
            self.slots = self.slots.max(u as usize + 1);
            regs.set(&mut s, r, &format!("weft.slots[{}u][{}u]", u / 4, u % 4));
        }
        for i in kernel.instrs() {
            let (a, b, c) = (regs.get(i.a), regs.get(i.b), regs.get(i.c));
            let e =
                match i.op {
                    OpCode::Neg => format!("-{a}"),
                    OpCode::Not => format!("select(0.0, 1.0, !nz({a}))"),
                    OpCode::Abs => format!("abs({a})"),
                    OpCode::Sqrt => format!("sqrt({a})"),
                    OpCode::Square => format!("{a} * {a}"),
                    OpCode::Floor => format!("floor({a})"),
                    OpCode::Ceil => format!("ceil({a})"),
                    OpCode::Round => format!("w_round({a})"),
                    OpCode::Fract => format!("{a} - floor({a})"),
                    OpCode::Sign => format!("w_sign({a})"),
                    OpCode::Sin => format!("sin({a})"),
                    OpCode::Cos => format!("cos({a})"),
                    OpCode::Tan => format!("tan({a})"),
                    OpCode::Asin => format!("asin({a})"),
                    OpCode::Acos => format!("acos({a})"),
                    OpCode::Atan => format!("atan({a})"),
                    OpCode::Sinh => format!("sinh({a})"),
                    OpCode::Cosh => format!("cosh({a})"),
                    OpCode::Tanh => format!("w_tanh({a})"),
                    OpCode::Exp => format!("exp({a})"),
                    OpCode::Log => format!("log({a})"),
                    OpCode::Log2 => format!("log2({a})"),
                    OpCode::Log10 => format!("log2({a}) * 0.30102999566398120"),
                    OpCode::Hash => format!("w_hash({a})"),
                    OpCode::Add => format!("{a} + {b}"),
                    OpCode::Sub => format!("{a} - {b}"),
                    OpCode::Mul => format!("{a} * {b}"),
                    OpCode::Div => format!("{a} / {b}"),
                    OpCode::Rem => format!("{a} - {b} * floor({a} / {b})"),
                    OpCode::Pow => format!("w_pow({a}, {b})"),
                    OpCode::Min => format!("min({a}, {b})"),
                    OpCode::Max => format!("max({a}, {b})"),
                    OpCode::Lt => format!("select(0.0, 1.0, {a} < {b})"),
                    OpCode::Le => format!("select(0.0, 1.0, {a} <= {b})"),
                    OpCode::Gt => format!("select(0.0, 1.0, {a} > {b})"),
                    OpCode::Ge => format!("select(0.0, 1.0, {a} >= {b})"),
                    OpCode::Eq => format!("select(0.0, 1.0, {a} == {b})"),
                    // `!(a == b)`: naga's float `!=` is ordered (NaN != NaN false); the CPU's is not.
                    OpCode::Ne => format!("select(0.0, 1.0, !({a} == {b}))"),
                    OpCode::And => format!("select(0.0, 1.0, nz({a}) && nz({b}))"),
                    OpCode::Or => format!("select(0.0, 1.0, nz({a}) || nz({b}))"),
                    OpCode::Atan2 => format!("atan2({a}, {b})"),
                    OpCode::Step => format!("select(1.0, 0.0, {b} < {a})"),
                    OpCode::Clamp => format!("min(max({a}, {b}), {c})"),
                    OpCode::Mix => format!("{a} + ({b} - {a}) * {c}"),
                    OpCode::Smoothstep => format!("w_smoothstep({a}, {b}, {c})"),
                    OpCode::Select => format!("select({c}, {b}, nz({a}))"),
                    OpCode::Noise => format!("w_noise({a}, {b}, {c})"),
                    OpCode::Source => {
                        let src = kernel
                            .sources()
                            .get((i.aux >> 8) as usize)
                            .ok_or(EmitError::Unsupported("a source the kernel does not hold"))?;
                        if matches!(**src, weft_sources::SourceData::Live(_)) {
                            // Its samples arrive as it plays: the page holds a
                            // copy; a device has none, so the CPU draws it.
                            if !self.fragment {
                                return Err(EmitError::Unsupported(
                                    "the live microphone (drawn on the CPU)",
                                ));
                            }
                            self.uses_live = true;
                            format!("live_mic({}u, {c})", i.aux & 0xff)
                        } else if self.cameras.iter().any(|c| Arc::ptr_eq(c, src)) {
                            self.uses_camera = true;
                            format!("cam({}u, {a}, {b})", i.aux & 0xff)
                        } else {
                            let n = self.source(src);
                            format!("s{n}({}u, {a}, {b}, {c})", i.aux & 0xff)
                        }
                    }
                    OpCode::Buffer if self.strands.is_some() => {
                        self.strand(kernel, i.aux as usize, depth)?
                    }
                    OpCode::Buffer => {
                        let slot = match reads {
                            Some(r) => r
                                .get(i.aux as usize)
                                .ok_or(EmitError::Unsupported("a strand with no slot"))?,
                            None => {
                                return Err(EmitError::Unsupported(
                                    "a getter reading a materialized strand",
                                ))
                            }
                        };
                        format!("strands[{slot}u * weft.stride + point]")
                    }
                    OpCode::Call => {
                        let site = kernel.call_sites().get(i.aux as usize).ok_or(
                            EmitError::Unsupported("a call site the kernel does not hold"),
                        )?;
                        let f = self.function(&site.getter.kernel, site.getter.output, depth)?;
                        let args: Vec<String> = site.args.iter().map(|&r| regs.get(r)).collect();
                        format!("g{f}({})", args.join(", "))
                    }
                };
            regs.set(&mut s, i.dst, &e);
        }
        Ok((s, regs))
    }

    /// The number of the function evaluating output `output` of getter kernel
    /// `kernel`, emitting it on first use.
    fn function(
        &mut self,
        kernel: &Kernel,
        output: usize,
        depth: usize,
    ) -> Result<usize, EmitError> {
        let id = (kernel as *const Kernel, output);
        if let Some(n) = self.emitted.iter().position(|e| *e == id) {
            return Ok(n);
        }
        if depth >= MAX_CALL_DEPTH {
            return Err(EmitError::TooLarge(self.instrs));
        }
        let out = *kernel
            .output_regs()
            .get(output)
            .ok_or(EmitError::Unsupported(
                "a getter of an output its kernel lacks",
            ))?;
        let (body, regs) = self.body(kernel, Coords::Args, None, depth + 1)?;
        let n = self.emitted.len();
        self.emitted.push(id);
        let params: Vec<String> = (0..kernel.coord_regs().len())
            .map(|k| format!("a{k}: f32"))
            .collect();
        let _ = write!(
            self.functions,
            "fn g{n}({}) -> f32 {{\n{body}  return {};\n}}\n",
            params.join(", "),
            regs.get(out)
        );
        Ok(n)
    }

    /// The fragment stage's read of buffer `aux` of `kernel`: a call of the code
    /// that fills it, at the pixel's own point, as the CPU reads a strand at its
    /// point (in a getter too).
    fn strand(&mut self, kernel: &Kernel, aux: usize, depth: usize) -> Result<String, EmitError> {
        let buffer = kernel
            .buffers()
            .get(aux)
            .ok_or(EmitError::Unsupported("a strand the kernel does not hold"))?;
        let m = self
            .strands
            .iter()
            .flatten()
            .find(|m| Arc::ptr_eq(&m.buffer, buffer))
            .cloned()
            .ok_or(EmitError::Unsupported(
                "a strand no earlier visual batch writes",
            ))?;
        let f = self.function(&m.kernel, m.output, depth)?;
        let args: Vec<&str> = m
            .kernel
            .coord_regs()
            .iter()
            .map(|&(c, _)| match c {
                coord::X => "here.x",
                coord::Y => "here.y",
                coord::TIME => "weft.time",
                coord::ABSTIME => "weft.abstime",
                coord::FRAME => "weft.frame",
                _ => "0.0",
            })
            .collect();
        Ok(format!("g{f}({})", args.join(", ")))
    }

    /// The number of `src` among the shader's sources, adding it on first use.
    fn source(&mut self, src: &Arc<SourceData>) -> usize {
        match self.sources.iter().position(|s| Arc::ptr_eq(s, src)) {
            Some(n) => n,
            None => {
                self.sources.push(src.clone());
                self.sources.len() - 1
            }
        }
    }
}

/// Parses and validates `wgsl` with naga.
fn validate(wgsl: &str) -> Result<(), EmitError> {
    let module = naga::front::wgsl::parse_str(wgsl)
        .map_err(|e| EmitError::Invalid(e.emit_to_string(wgsl)))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::empty(),
    )
    .validate(&module)
    .map_err(|e| EmitError::Invalid(e.emit_to_string(wgsl)))?;
    Ok(())
}

/// A constant as f32. Finite values are written by their bits (exact; no decimal
/// round trip); infinities and NaN are built at run time from the header's `zero`,
/// since WGSL refuses non-finite constant expressions.
fn literal(v: f64) -> String {
    let f = v as f32;
    if f.is_finite() {
        format!("bitcast<f32>({:#010x}u)", f.to_bits())
    } else {
        format!("bitcast<f32>({:#010x}u | weft.zero)", f.to_bits())
    }
}

/// The bindings and helper functions, after the `Frame` struct.
const PRELUDE: &str = include_str!("prelude.wgsl");

#[cfg(test)]
mod tests {
    use super::{literal, WORKGROUP};

    #[test]
    fn the_workgroup_the_runner_divides_by_is_the_shaders() {
        assert!(super::COMPUTE_MAIN.contains(&format!("@workgroup_size({WORKGROUP}, {WORKGROUP})")));
    }

    #[test]
    fn constants_are_exact_bits_and_non_finite_ones_are_built_at_run_time() {
        assert_eq!(literal(1.0), "bitcast<f32>(0x3f800000u)");
        assert!(literal(f64::INFINITY).contains("weft.zero"));
        assert!(literal(f64::NAN).contains("weft.zero"));
    }
}
