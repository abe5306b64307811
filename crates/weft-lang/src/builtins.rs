//! The builtin functions and sources: names, arities, and the scalar meaning of every
//! function and operator. Both evaluators (the reference interpreter and the
//! compiled kernels) call these, so they cannot disagree.

use crate::ast::{BinOp, UnaryOp};

macro_rules! funcs {
    ($($name:ident = $text:literal, $min:literal, $max:literal;)*) => {
        /// A pure builtin function.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Func { $(
            #[doc = $text]
            $name,
        )* }

        impl Func {
            /// Every function.
            pub const ALL: &'static [Func] = &[$(Func::$name),*];

            /// The name as written in WEFT.
            pub fn name(self) -> &'static str {
                match self { $(Func::$name => $text,)* }
            }

            /// The fewest and most arguments it takes.
            pub fn arity(self) -> (usize, usize) {
                match self { $(Func::$name => ($min, $max),)* }
            }
        }
    };
}

funcs! {
    Sin = "sin", 1, 1; Cos = "cos", 1, 1; Tan = "tan", 1, 1;
    Asin = "asin", 1, 1; Acos = "acos", 1, 1; Atan = "atan", 1, 1; Atan2 = "atan2", 2, 2;
    Sinh = "sinh", 1, 1; Cosh = "cosh", 1, 1; Tanh = "tanh", 1, 1;
    Sqrt = "sqrt", 1, 1; Exp = "exp", 1, 1; Log = "log", 1, 1; Log2 = "log2", 1, 1;
    Log10 = "log10", 1, 1; Pow = "pow", 2, 2; Abs = "abs", 1, 1; Sign = "sign", 1, 1;
    Floor = "floor", 1, 1; Ceil = "ceil", 1, 1; Round = "round", 1, 1; Fract = "fract", 1, 1;
    Min = "min", 2, 2; Max = "max", 2, 2; Clamp = "clamp", 3, 3; Mix = "mix", 3, 3;
    Step = "step", 2, 2; Smoothstep = "smoothstep", 3, 3; Select = "select", 3, 3;
    Hash = "hash", 1, 1; Noise = "noise", 1, 3;
}

impl Func {
    /// The function called `name`, if any.
    pub fn from_name(name: &str) -> Option<Func> {
        Func::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Applies the function. `args.len()` is within [`Func::arity`].
    #[inline]
    pub fn apply(self, args: &[f64]) -> f64 {
        let a = |i: usize| args.get(i).copied().unwrap_or(0.0);
        match self {
            Func::Sin => a(0).sin(),
            Func::Cos => a(0).cos(),
            Func::Tan => a(0).tan(),
            Func::Asin => a(0).asin(),
            Func::Acos => a(0).acos(),
            Func::Atan => a(0).atan(),
            Func::Atan2 => a(0).atan2(a(1)),
            Func::Sinh => a(0).sinh(),
            Func::Cosh => a(0).cosh(),
            Func::Tanh => a(0).tanh(),
            Func::Sqrt => a(0).sqrt(),
            Func::Exp => a(0).exp(),
            Func::Log => a(0).ln(),
            Func::Log2 => a(0).log2(),
            Func::Log10 => a(0).log10(),
            Func::Pow => pow(a(0), a(1)),
            Func::Abs => a(0).abs(),
            Func::Sign => sign(a(0)),
            Func::Floor => a(0).floor(),
            Func::Ceil => a(0).ceil(),
            Func::Round => a(0).round(),
            Func::Fract => fract(a(0)),
            Func::Min => a(0).min(a(1)),
            Func::Max => a(0).max(a(1)),
            Func::Clamp => clamp(a(0), a(1), a(2)),
            Func::Mix => mix(a(0), a(1), a(2)),
            Func::Step => step(a(0), a(1)),
            Func::Smoothstep => smoothstep(a(0), a(1), a(2)),
            Func::Select => select(a(0), a(1), a(2)),
            Func::Hash => hash(a(0)),
            Func::Noise => noise(a(0), a(1), a(2)),
        }
    }
}

/// `-1`, `0` or `1`; `sign(-0) = -0`, `sign(NaN) = NaN`.
#[inline]
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x
    }
}

/// `x - floor(x)`.
#[inline]
pub fn fract(x: f64) -> f64 {
    x - x.floor()
}

/// `min(max(x, lo), hi)`.
#[inline]
pub fn clamp(x: f64, lo: f64, hi: f64) -> f64 {
    x.max(lo).min(hi)
}

/// `a + (b - a) * t`.
#[inline]
pub fn mix(a: f64, b: f64, t: f64) -> f64 {
    a + (b - a) * t
}

/// `0` where `x < edge`, else `1`.
#[inline]
pub fn step(edge: f64, x: f64) -> f64 {
    if x < edge {
        0.0
    } else {
        1.0
    }
}

/// Hermite interpolation `t²(3 - 2t)` of `t = clamp((x - e0) / (e1 - e0), 0, 1)`;
/// `e0 > e1` gives the falling edge; `e0 == e1` is `step(e0, x)`.
#[inline]
pub fn smoothstep(e0: f64, e1: f64, x: f64) -> f64 {
    if e0 == e1 {
        return step(e0, x);
    }
    let t = clamp((x - e0) / (e1 - e0), 0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// `a` where `c` is non-zero (NaN counts as non-zero), else `b`.
#[inline]
pub fn select(c: f64, a: f64, b: f64) -> f64 {
    if c != 0.0 {
        a
    } else {
        b
    }
}

/// The splitmix64 finalizer: a bijective 64-bit mix.
#[inline]
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[inline]
fn unit(z: u64) -> f64 {
    (z >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Deterministic pseudo-random value in [0, 1): the top 53 bits of the splitmix64
/// finalizer applied to the IEEE 754 bits of `x` (`-0` is taken as `0`).
#[inline]
pub fn hash(x: f64) -> f64 {
    let x = if x == 0.0 { 0.0 } else { x };
    unit(mix64(x.to_bits()))
}

#[inline]
fn lattice(i: i64, j: i64, k: i64) -> f64 {
    unit(mix64(
        (i as u64) ^ mix64((j as u64) ^ mix64(k as u64).rotate_left(17)).rotate_left(31),
    ))
}

#[inline]
fn fade(t: f64) -> f64 {
    t * t * (3.0 - 2.0 * t)
}

/// Value noise in [0, 1]: every integer lattice point gets a pseudo-random value
/// (splitmix64 of its coordinates); a point blends the eight corners of its cell
/// trilinearly with weights `t²(3 - 2t)`. `noise(x)` is `noise(x, 0, 0)`.
#[inline]
pub fn noise(x: f64, y: f64, z: f64) -> f64 {
    let (fx, fy, fz) = (x.floor(), y.floor(), z.floor());
    let (i, j, k) = (fx as i64, fy as i64, fz as i64);
    let (u, v, w) = (fade(x - fx), fade(y - fy), fade(z - fz));
    let l = |di: i64, dj: i64, dk: i64| {
        lattice(i.wrapping_add(di), j.wrapping_add(dj), k.wrapping_add(dk))
    };
    let x00 = mix(l(0, 0, 0), l(1, 0, 0), u);
    let x10 = mix(l(0, 1, 0), l(1, 1, 0), u);
    let x01 = mix(l(0, 0, 1), l(1, 0, 1), u);
    let x11 = mix(l(0, 1, 1), l(1, 1, 1), u);
    mix(mix(x00, x10, v), mix(x01, x11, v), w)
}

#[inline]
fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A prefix operator.
#[inline]
pub fn unary(op: UnaryOp, a: f64) -> f64 {
    match op {
        UnaryOp::Neg => -a,
        UnaryOp::Not => truth(a == 0.0),
    }
}

/// An infix operator: comparisons and logic give 1 or 0, `%` is floored, `^` is [`pow`].
#[inline]
pub fn binary(op: BinOp, a: f64, b: f64) -> f64 {
    match op {
        BinOp::Or => truth(a != 0.0 || b != 0.0),
        BinOp::And => truth(a != 0.0 && b != 0.0),
        BinOp::Eq => truth(a == b),
        BinOp::Ne => truth(a != b),
        BinOp::Lt => truth(a < b),
        BinOp::Le => truth(a <= b),
        BinOp::Gt => truth(a > b),
        BinOp::Ge => truth(a >= b),
        BinOp::Add => a + b,
        BinOp::Sub => a - b,
        BinOp::Mul => a * b,
        BinOp::Div => a / b,
        BinOp::Rem => a - b * (a / b).floor(),
        BinOp::Pow => pow(a, b),
    }
}

/// `a ^ b`: `a * a` when `b` is 2 (the correctly rounded square, which the C
/// library's `pow` misses by an ulp for some `a`; the kernels compute `x ^ 2` as
/// a multiplication, so every evaluator must), else `powf`.
#[inline]
pub fn pow(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else {
        a.powf(b)
    }
}

/// The named constants.
pub fn constant(name: &str) -> Option<f64> {
    match name {
        "pi" => Some(std::f64::consts::PI),
        "tau" => Some(std::f64::consts::TAU),
        "e" => Some(std::f64::consts::E),
        _ => None,
    }
}

/// Sampled sources: builtins whose value comes from outside the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// `load("pic.png")`: r, g, b, a.
    Load,
    /// `sample("drum.wav")`: l, r.
    Sample,
    /// `mic()`: samples.
    Mic,
    /// `camera()`: r, g, b.
    Camera,
}

impl SourceKind {
    /// Every source.
    pub const ALL: [SourceKind; 4] = [
        SourceKind::Load,
        SourceKind::Sample,
        SourceKind::Mic,
        SourceKind::Camera,
    ];

    /// The source called `name`, if any.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        match name {
            "load" => Some(SourceKind::Load),
            "sample" => Some(SourceKind::Sample),
            "mic" => Some(SourceKind::Mic),
            "camera" => Some(SourceKind::Camera),
            _ => None,
        }
    }

    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            SourceKind::Load => "load",
            SourceKind::Sample => "sample",
            SourceKind::Mic => "mic",
            SourceKind::Camera => "camera",
        }
    }

    /// How many outputs it has.
    pub fn outputs(self) -> usize {
        match self {
            SourceKind::Load => 4,
            SourceKind::Sample => 2,
            SourceKind::Mic => 1,
            SourceKind::Camera => 3,
        }
    }

    /// True when it takes a file name argument.
    pub fn takes_path(self) -> bool {
        matches!(self, SourceKind::Load | SourceKind::Sample)
    }

    /// True for sources sampled over time (audio-natural); false for pictures.
    pub fn is_audio(self) -> bool {
        matches!(self, SourceKind::Sample | SourceKind::Mic)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floored_modulo_and_pow() {
        assert_eq!(binary(BinOp::Rem, -1.0, 3.0), 2.0);
        assert_eq!(binary(BinOp::Rem, 5.5, 2.0), 1.5);
        assert_eq!(binary(BinOp::Pow, 2.0, 9.0), 512.0);
        // The C library's pow(x, 2) is an ulp off x * x for this x.
        let x = 359.739456325485;
        assert_eq!(binary(BinOp::Pow, x, 2.0).to_bits(), (x * x).to_bits());
        assert_eq!(Func::Pow.apply(&[x, 2.0]).to_bits(), (x * x).to_bits());
    }

    #[test]
    fn hash_and_noise_ranges() {
        for i in 0..10_000 {
            let x = i as f64 * 0.37 - 1000.0;
            let h = hash(x);
            assert!((0.0..1.0).contains(&h));
            let n = noise(x, x * 0.5, -x);
            assert!((0.0..=1.0).contains(&n), "{n}");
        }
        assert_eq!(hash(0.0), hash(-0.0));
        // continuity: small steps give small changes
        let a = noise(3.2, 1.1, 0.0);
        let b = noise(3.2 + 1e-9, 1.1, 0.0);
        assert!((a - b).abs() < 1e-6);
        // lattice points are continuous across cell edges
        assert!((noise(2.0 - 1e-12, 0.5, 0.0) - noise(2.0, 0.5, 0.0)).abs() < 1e-9);
    }

    #[test]
    fn round_half_away_and_sign() {
        assert_eq!(Func::Round.apply(&[2.5]), 3.0);
        assert_eq!(Func::Round.apply(&[-2.5]), -3.0);
        assert_eq!(sign(0.0), 0.0);
        assert_eq!(sign(-3.0), -1.0);
        assert_eq!(smoothstep(0.31, 0.3, 0.2), 1.0);
    }
}
