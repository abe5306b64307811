//! The second emitter: a linked [`Kernel`] written as one WGSL compute shader that
//! evaluates the display of a frame, one invocation per pixel, in f32.
//!
//! Every register is a function-local `var`, every instruction one assignment, so
//! the shader is as long as the kernel and never nests (no recursion when parsing).
//! Time, the frame number and every uniform slot (pointer, tempo, parameters) are
//! read from one uniform buffer: a new slider value is a buffer write, never a new
//! shader. The CPU's semantics are kept where WGSL leaves them open: truth values
//! are tested on the bits (NaN is true, like the CPU's `x != 0`), `round` is half
//! away from zero, `pow` of a negative base follows C's `pow`, `hash` and `noise`
//! redo `weft_lang::builtins`' splitmix64 on pairs of `u32`, and the 8-bit channel
//! is `floor(clamp(v, 0, 1) * 255 + 0.5)` with NaN as 0, as the CPU converts.

use std::fmt::Write;
use weft_kernel::{Kernel, OpCode};

/// The most instructions a kernel may have to be emitted: 8,192, which Prospero
/// (7,866) fits. A budget for hostile programs: the shader compilers (`naga`, the
/// driver) take time superlinear in a shader's length and recurse over it, so a
/// 20,000-instruction chain took minutes and 100,000 overflowed the stack. A
/// larger kernel is drawn on the CPU.
pub const MAX_INSTRS: usize = 8_192;

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

/// An emitted shader, ready for the GPU runner.
#[derive(Clone, Debug)]
pub struct Shader {
    /// The WGSL text.
    pub wgsl: String,
    /// BLAKE3 of the text: the pipeline cache's key (equal text, equal pipeline).
    pub key: [u8; 32],
    /// How many `vec4<f32>` of uniform slots the shader's uniform buffer holds.
    pub slot_vec4s: usize,
}

/// Why a kernel has no shader.
#[derive(Debug, thiserror::Error)]
pub enum EmitError {
    /// The kernel reads something the shader path does not bind yet (a picture or
    /// sound source, another batch's getter or buffer): draw it on the CPU.
    #[error("the GPU path does not support {0} yet")]
    Unsupported(&'static str),
    /// More instructions than [`MAX_INSTRS`].
    #[error("kernel of {0} instructions is over the shader budget of {MAX_INSTRS}")]
    TooLarge(usize),
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

/// Size in bytes of the uniform buffer's header (before the slots).
pub const HEADER_BYTES: usize = 32;

/// Emits the shader drawing `display` of `kernel`, validated with naga.
pub fn emit(kernel: &Kernel, display: Display) -> Result<Shader, EmitError> {
    let outputs = kernel.output_regs();
    let end = display.first + if display.channels == 3 { 3 } else { 1 };
    if display.channels == 0 || end > outputs.len() {
        return Err(EmitError::BadDisplay {
            first: display.first,
            end,
            outputs: outputs.len(),
        });
    }
    let instrs = kernel.instrs();
    if instrs.len() > MAX_INSTRS {
        return Err(EmitError::TooLarge(instrs.len()));
    }
    let slots = kernel
        .uniform_regs()
        .iter()
        .map(|&(u, _)| u as usize + 1)
        .max()
        .unwrap_or(0);
    let slot_vec4s = slots.div_ceil(4).max(1);

    let mut s = String::with_capacity(PRELUDE.len() + 48 * (instrs.len() + 16));
    let _ = writeln!(
        s,
        "struct Frame {{\n  width: u32, height: u32, row0: u32, rows: u32,\n  time: f32, abstime: f32, frame: f32, zero: u32,\n  slots: array<vec4<f32>, {slot_vec4s}>,\n}}"
    );
    s.push_str(PRELUDE);
    s.push_str(
        "@compute @workgroup_size(8, 8)\nfn main(@builtin(global_invocation_id) gid: vec3<u32>) {\n  \
         if (gid.x >= weft.width || gid.y >= weft.rows) { return; }\n  \
         let row = gid.y + weft.row0;\n  if (row >= weft.height) { return; }\n",
    );
    for r in 0..kernel.register_count().max(1) {
        let _ = writeln!(s, "  var r{r}: f32;");
    }
    for &(r, v) in kernel.const_regs() {
        let _ = writeln!(s, "  r{r} = {};", literal(v));
    }
    for &(c, r) in kernel.coord_regs() {
        let v = match c {
            weft_lang::ir::coord::X => "(f32(gid.x) + 0.5) / f32(weft.width)",
            weft_lang::ir::coord::Y => "(f32(row) + 0.5) / f32(weft.height)",
            weft_lang::ir::coord::TIME => "weft.time",
            weft_lang::ir::coord::ABSTIME => "weft.abstime",
            weft_lang::ir::coord::FRAME => "weft.frame",
            _ => "0.0",
        };
        let _ = writeln!(s, "  r{r} = {v};");
    }
    for &(u, r) in kernel.uniform_regs() {
        let _ = writeln!(s, "  r{r} = weft.slots[{}u][{}u];", u / 4, u % 4);
    }
    for i in instrs {
        let (a, b, c) = (i.a, i.b, i.c);
        let e = match i.op {
            OpCode::Neg => format!("-r{a}"),
            OpCode::Not => format!("select(0.0, 1.0, !nz(r{a}))"),
            OpCode::Abs => format!("abs(r{a})"),
            OpCode::Sqrt => format!("sqrt(r{a})"),
            OpCode::Square => format!("r{a} * r{a}"),
            OpCode::Floor => format!("floor(r{a})"),
            OpCode::Ceil => format!("ceil(r{a})"),
            OpCode::Round => format!("w_round(r{a})"),
            OpCode::Fract => format!("r{a} - floor(r{a})"),
            OpCode::Sign => format!("w_sign(r{a})"),
            OpCode::Sin => format!("sin(r{a})"),
            OpCode::Cos => format!("cos(r{a})"),
            OpCode::Tan => format!("tan(r{a})"),
            OpCode::Asin => format!("asin(r{a})"),
            OpCode::Acos => format!("acos(r{a})"),
            OpCode::Atan => format!("atan(r{a})"),
            OpCode::Sinh => format!("sinh(r{a})"),
            OpCode::Cosh => format!("cosh(r{a})"),
            OpCode::Tanh => format!("w_tanh(r{a})"),
            OpCode::Exp => format!("exp(r{a})"),
            OpCode::Log => format!("log(r{a})"),
            OpCode::Log2 => format!("log2(r{a})"),
            OpCode::Log10 => format!("log2(r{a}) * 0.30102999566398120"),
            OpCode::Hash => format!("w_hash(r{a})"),
            OpCode::Add => format!("r{a} + r{b}"),
            OpCode::Sub => format!("r{a} - r{b}"),
            OpCode::Mul => format!("r{a} * r{b}"),
            OpCode::Div => format!("r{a} / r{b}"),
            OpCode::Rem => format!("r{a} - r{b} * floor(r{a} / r{b})"),
            OpCode::Pow => format!("w_pow(r{a}, r{b})"),
            OpCode::Min => format!("min(r{a}, r{b})"),
            OpCode::Max => format!("max(r{a}, r{b})"),
            OpCode::Lt => format!("select(0.0, 1.0, r{a} < r{b})"),
            OpCode::Le => format!("select(0.0, 1.0, r{a} <= r{b})"),
            OpCode::Gt => format!("select(0.0, 1.0, r{a} > r{b})"),
            OpCode::Ge => format!("select(0.0, 1.0, r{a} >= r{b})"),
            OpCode::Eq => format!("select(0.0, 1.0, r{a} == r{b})"),
            // `!(a == b)`: naga's float `!=` is ordered (NaN != NaN false); the CPU's is not.
            OpCode::Ne => format!("select(0.0, 1.0, !(r{a} == r{b}))"),
            OpCode::And => format!("select(0.0, 1.0, nz(r{a}) && nz(r{b}))"),
            OpCode::Or => format!("select(0.0, 1.0, nz(r{a}) || nz(r{b}))"),
            OpCode::Atan2 => format!("atan2(r{a}, r{b})"),
            OpCode::Step => format!("select(1.0, 0.0, r{b} < r{a})"),
            OpCode::Clamp => format!("min(max(r{a}, r{b}), r{c})"),
            OpCode::Mix => format!("r{a} + (r{b} - r{a}) * r{c}"),
            OpCode::Smoothstep => format!("w_smoothstep(r{a}, r{b}, r{c})"),
            OpCode::Select => format!("select(r{c}, r{b}, nz(r{a}))"),
            OpCode::Noise => format!("w_noise(r{a}, r{b}, r{c})"),
            OpCode::Source => {
                return Err(EmitError::Unsupported("sources (pictures, video, sound)"))
            }
            OpCode::Call => return Err(EmitError::Unsupported("reading another batch (getter)")),
            OpCode::Buffer => return Err(EmitError::Unsupported("reading another batch (buffer)")),
        };
        let _ = writeln!(s, "  r{} = {e};", i.dst);
    }
    let o = |k: usize| outputs[display.first + k];
    let (r, g, b) = if display.channels == 3 {
        (o(0), o(1), o(2))
    } else {
        (o(0), o(0), o(0))
    };
    let _ = writeln!(
        s,
        "  pixels[gid.y * weft.width + gid.x] = channel(r{r}) | (channel(r{g}) << 8u) | (channel(r{b}) << 16u) | 0xff000000u;\n}}"
    );
    validate(&s)?;
    let key = *blake3::hash(s.as_bytes()).as_bytes();
    Ok(Shader {
        wgsl: s,
        key,
        slot_vec4s,
    })
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

/// Bindings and the helper functions, after the `Frame` struct.
const PRELUDE: &str = r#"
@group(0) @binding(0) var<uniform> weft: Frame;
@group(0) @binding(1) var<storage, read_write> pixels: array<u32>;

// Truth on the bits: anything but +0 and -0 is true, NaN included (as the CPU).
fn nz(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }

fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }

fn nan() -> f32 { return bitcast<f32>(0x7fc00000u | weft.zero); }

// floor(clamp(v, 0, 1) * 255 + 0.5), NaN as 0: the CPU's `to_u8`.
fn channel(v: f32) -> u32 {
  if (is_nan(v)) { return 0u; }
  return u32(floor(min(max(v, 0.0), 1.0) * 255.0 + 0.5));
}

// 1, -1, or the argument itself (keeps -0 and NaN).
fn w_sign(x: f32) -> f32 { return select(select(x, -1.0, x < 0.0), 1.0, x > 0.0); }

// Half away from zero (WGSL's `round` is half to even).
fn w_round(x: f32) -> f32 {
  let t = trunc(x);
  return select(t, t + w_sign(x), abs(x - t) >= 0.5);
}

// From exp(-2|x|), which never overflows (WGSL's tanh may give NaN for large x).
fn w_tanh(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}

// C's pow: x^2 is x*x, x^0 and 1^y are 1, a negative base needs an integer
// exponent (odd keeps the sign), WGSL's pow being undefined for a negative base.
fn w_pow(a: f32, b: f32) -> f32 {
  if (b == 2.0) { return a * a; }
  if (b == 0.0 || a == 1.0) { return 1.0; }
  let m = exp2(b * log2(abs(a)));
  if (a < 0.0) {
    if (floor(b) != b) { return nan(); }
    let h = b * 0.5;
    return select(m, -m, floor(h) != h);
  }
  return m;
}

fn w_smoothstep(e0: f32, e1: f32, x: f32) -> f32 {
  if (e0 == e1) { return select(1.0, 0.0, x < e0); }
  let t = min(max((x - e0) / (e1 - e0), 0.0), 1.0);
  return t * t * (3.0 - 2.0 * t);
}

// 64-bit integers as (low, high) pairs of u32, for splitmix64.
fn u64_add(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let lo = a.x + b.x;
  return vec2<u32>(lo, a.y + b.y + select(0u, 1u, lo < a.x));
}

// a ^ (a >> n), 0 < n < 32.
fn u64_xorshr(a: vec2<u32>, n: u32) -> vec2<u32> {
  return a ^ vec2<u32>((a.x >> n) | (a.y << (32u - n)), a.y >> n);
}

// The full 64-bit product of two u32, from 16-bit halves.
fn mul32(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u;
  let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  return vec2<u32>((mid << 16u) | (p00 & 0xffffu), p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u));
}

fn u64_mul(a: vec2<u32>, b: vec2<u32>) -> vec2<u32> {
  let p = mul32(a.x, b.x);
  return vec2<u32>(p.x, p.y + a.x * b.y + a.y * b.x);
}

// Rotation left by 0 < n < 32.
fn u64_rotl(a: vec2<u32>, n: u32) -> vec2<u32> {
  return vec2<u32>((a.x << n) | (a.y >> (32u - n)), (a.y << n) | (a.x >> (32u - n)));
}

fn mix64(z0: vec2<u32>) -> vec2<u32> {
  var z = u64_add(z0, vec2<u32>(0x7f4a7c15u, 0x9e3779b9u));
  z = u64_mul(u64_xorshr(z, 30u), vec2<u32>(0x1ce4e5b9u, 0xbf58476du));
  z = u64_mul(u64_xorshr(z, 27u), vec2<u32>(0x133111ebu, 0x94d049bbu));
  return u64_xorshr(z, 31u);
}

// The top 24 of the 53 bits the CPU takes: within 2^-24 of its value, below 1.
fn unit(z: vec2<u32>) -> f32 { return f32(z.y >> 8u) * (1.0 / 16777216.0); }

// The IEEE 754 double bits of an f32 (exact: every f32 is a double); -0 as 0.
fn f64_bits(x: f32) -> vec2<u32> {
  let b = bitcast<u32>(x);
  let mag = b & 0x7fffffffu;
  if (mag == 0u) { return vec2<u32>(0u, 0u); }
  let e = mag >> 23u;
  var m = mag & 0x7fffffu;
  var e64 = e + 896u;
  if (e == 255u) {
    e64 = 0x7ffu;
  } else if (e == 0u) {
    let p = 31u - countLeadingZeros(m);
    e64 = p + 874u;
    m = (m << (23u - p)) & 0x7fffffu;
  }
  return vec2<u32>(m << 29u, (b & 0x80000000u) | (e64 << 20u) | (m >> 3u));
}

fn w_hash(x: f32) -> f32 { return unit(mix64(f64_bits(x))); }

fn i64_of(i: i32) -> vec2<u32> { return vec2<u32>(bitcast<u32>(i), select(0u, 0xffffffffu, i < 0)); }

fn lattice(i: i32, j: i32, k: i32) -> f32 {
  let kk = u64_rotl(mix64(i64_of(k)), 17u);
  let jj = u64_rotl(mix64(i64_of(j) ^ kk), 31u);
  return unit(mix64(i64_of(i) ^ jj));
}

fn fade(t: f32) -> f32 { return t * t * (3.0 - 2.0 * t); }

fn lerp(a: f32, b: f32, t: f32) -> f32 { return a + (b - a) * t; }

fn w_noise(x: f32, y: f32, z: f32) -> f32 {
  let fx = floor(x); let fy = floor(y); let fz = floor(z);
  let i = i32(fx); let j = i32(fy); let k = i32(fz);
  let u = fade(x - fx); let v = fade(y - fy); let w = fade(z - fz);
  let x00 = lerp(lattice(i, j, k), lattice(i + 1, j, k), u);
  let x10 = lerp(lattice(i, j + 1, k), lattice(i + 1, j + 1, k), u);
  let x01 = lerp(lattice(i, j, k + 1), lattice(i + 1, j, k + 1), u);
  let x11 = lerp(lattice(i, j + 1, k + 1), lattice(i + 1, j + 1, k + 1), u);
  return lerp(lerp(x00, x10, v), lerp(x01, x11, v), w);
}

"#;
