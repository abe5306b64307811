// The helper functions every emitted shader holds (after its `Frame` struct and
// its stage's bindings, which define `weft` and `word`); see wgsl.rs.
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
    // A subnormal: its highest bit from the exponent of f32(m), which is exact
    // (m < 2^23) and normal, so neither a flush to zero nor findMSB (which GLSL
    // ES 3.00 lacks) is involved.
    let p = (bitcast<u32>(f32(m)) >> 23u) - 127u;
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

// The sources' index rules (weft-sources' `clamp_index`): floor, NaN and negatives
// to 0, past the end to the last.
fn clamp_index(v: f32, n: u32) -> u32 {
  let f = floor(v);
  if (!(f >= 0.0)) { return 0u; }
  if (f >= f32(n)) { return n - 1u; }
  return min(u32(f), n - 1u);
}

// The cell of 0..n that v in [0, 1) falls in.
fn nearest(v: f32, n: u32) -> u32 { return clamp_index(v * f32(n), n); }

// Byte `k` of a packed word, as a channel value in 0..1.
fn byte_of(w: u32, k: u32) -> f32 { return f32((w >> (8u * k)) & 0xffu) * (1.0 / 255.0); }
