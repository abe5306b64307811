//! The model of a generated program at one sample point: its value in f64 (with
//! `weft_lang::builtins`, the functions the CPU kernels call), its value on an
//! ideal f32 machine (every operation correctly rounded to f32, the coordinates
//! computed as the shader computes them), and whether the point is *unsettled*:
//! where f32 may legitimately give another picture, so the differential test does
//! not compare it.
//!
//! A point is unsettled when a discontinuous operation sees an input within
//! [`MARGIN`] (relative above 1) of one of its boundaries in either evaluation, or
//! an input whose two evaluations differ by more than a quarter of that (an
//! ill-conditioned chain before it), or when the display value itself differs by
//! more than [`CHANNEL_SLACK`] of a step between the two (the shader's f32 is a few
//! ulps per operation, not the ideal machine's half ulp, so it may be some times
//! further off). The boundaries: an integer for `floor`, `ceil`, `fract` and the
//! quotient of `%`; a half for `round`; zero for `sign`, `!`, `&&`, `||` and the
//! condition of `select`; equality for comparisons and `step`; the negative x
//! axis and the origin for `atan2`.
//!
//! An input at a boundary is no risk when both sides surely see the same value:
//! when it is *exact* (an f32 every conforming evaluation reproduces: constants,
//! `me@time`, the results of decisions such as `floor` or `<`, and of `+`, `-`,
//! `*`, `min`, `max`, `abs` on exact values when the result is an f32; never a
//! division or a transcendental function, which WGSL does not round correctly),
//! or when both operands of a comparison are one computation (the kernels share
//! equal sub-expressions, so `e < e` compares one register with itself). Without
//! these, `floor(me@x) < 1` or `(me@x > me@y) == 0` would settle nothing.

use super::program::{Coord, Expr, Program};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use weft_lang::ast::{BinOp, UnaryOp};
use weft_lang::builtins::{self, Func};

/// How near (absolute below 1, relative above) a boundary an input may come.
pub const MARGIN: f64 = 1e-3;
/// How far apart, in 8-bit steps, the f64 and ideal-f32 display values may be.
pub const CHANNEL_SLACK: f64 = 0.05;

/// One value in both evaluations.
#[derive(Clone, Copy, Debug)]
struct Pair {
    wide: f64,
    narrow: f32,
    /// Every f32 evaluation gets `narrow`, and it equals `wide`: a boundary at
    /// such an input is no risk (both sides decide alike).
    exact: bool,
    /// Which computation gave the value: the kernels share equal sub-expressions
    /// (one register), so two values of one computation have the same bits on
    /// the GPU too, and `e - e`, `e < e` decide alike.
    id: u64,
}

fn id_of(tag: impl Hash, args: &[Pair]) -> u64 {
    let mut h = DefaultHasher::new();
    tag.hash(&mut h);
    for a in args {
        a.id.hash(&mut h);
    }
    h.finish()
}

impl Pair {
    fn leaf(wide: f64, narrow: f32, exact: bool, tag: impl Hash) -> Pair {
        Pair {
            wide,
            narrow,
            exact,
            id: id_of(tag, &[]),
        }
    }

    /// A value both sides compute without rounding when it is an f32.
    fn exact(v: f64) -> Pair {
        Pair::leaf(v, v as f32, f64::from(v as f32) == v, v.to_bits())
    }

    /// The same operation on both: the f32 one correctly rounded.
    fn apply(tag: impl Hash, args: &[Pair], f: impl Fn(&[f64]) -> f64) -> Pair {
        let wide: Vec<f64> = args.iter().map(|p| p.wide).collect();
        let narrow: Vec<f64> = args.iter().map(|p| f64::from(p.narrow)).collect();
        Pair {
            wide: f(&wide),
            narrow: f(&narrow) as f32,
            exact: false,
            id: id_of(tag, args),
        }
    }

    /// Marks the result exact when `rule` says it is, given `args`, and the result
    /// is an f32.
    fn exact_if(mut self, args: &[Pair], rule: Exactness) -> Pair {
        let inputs = args.iter().all(|a| a.exact);
        let fits = f64::from(self.narrow) == self.wide;
        self.exact = match rule {
            Exactness::Never => false,
            // A decision: an input near its boundary marks the point anyway.
            Exactness::Always => fits,
            // Correctly rounded in WGSL (+, -, *), or the result is an input.
            Exactness::OfInputs => inputs && fits,
        };
        self
    }

    fn is(&self, v: f64) -> bool {
        self.exact && self.wide == v
    }
}

/// When a result is [`Pair::exact`].
#[derive(Clone, Copy)]
enum Exactness {
    Never,
    Always,
    OfInputs,
}

/// A sample point in both evaluations.
#[derive(Clone, Copy)]
struct Point {
    x: Pair,
    y: Pair,
    time: Pair,
}

impl Point {
    fn with(mut self, c: Coord, v: Pair) -> Point {
        match c {
            Coord::X => self.x = v,
            Coord::Y => self.y = v,
            Coord::Time => self.time = v,
        }
        self
    }
}

/// The display of one pixel: each channel in f64, and whether it is unsettled.
pub struct Pixel {
    pub channels: [f64; 3],
    pub unsettled: bool,
}

/// Pixel (`i`, `j`) of a `w`×`h` frame at `time`, as the visual backends sample it.
pub fn pixel(p: &Program, i: u32, j: u32, (w, h): (u32, u32), time: f64) -> Pixel {
    let point = Point {
        // Divided on the GPU, which WGSL does not round correctly: not exact.
        x: Pair::leaf(
            (f64::from(i) + 0.5) / f64::from(w),
            (i as f32 + 0.5) / w as f32,
            false,
            "x",
        ),
        y: Pair::leaf(
            (f64::from(j) + 0.5) / f64::from(h),
            (j as f32 + 0.5) / h as f32,
            false,
            "y",
        ),
        time: Pair::exact(time),
    };
    let mut m = Model {
        program: p,
        unsettled: false,
    };
    let v: Vec<Pair> = p.display.iter().map(|e| m.eval(e, point)).collect();
    let v = if v.len() == 3 {
        [v[0], v[1], v[2]]
    } else {
        [v[0]; 3]
    };
    let level = |x: f64| {
        if x.is_nan() {
            0.0
        } else {
            x.clamp(0.0, 1.0) * 255.0
        }
    };
    let far = v
        .iter()
        .any(|c| (level(c.wide) - level(f64::from(c.narrow))).abs() > CHANNEL_SLACK);
    Pixel {
        channels: v.map(|c| c.wide),
        unsettled: m.unsettled || far,
    }
}

/// `floor(clamp(v, 0, 1) * 255 + 0.5)`, NaN as 0: the CPU's conversion.
pub fn to_u8(v: f64) -> u8 {
    if v.is_nan() {
        0
    } else {
        (v.clamp(0.0, 1.0) * 255.0 + 0.5).floor() as u8
    }
}

struct Model<'p> {
    program: &'p Program,
    unsettled: bool,
}

fn scale(v: &[f64]) -> f64 {
    v.iter().fold(1.0, |m, x| m.max(x.abs()))
}

/// Distance from `v` to the nearest integer, relative above 1.
fn off_integer(v: f64) -> f64 {
    (v - v.round()).abs() / scale(&[v])
}

/// How far `args` are from a boundary of `op`, relative: `None` for a continuous
/// operation.
fn boundary_distance(op: Discontinuity, a: &[f64]) -> Option<f64> {
    Some(match op {
        Discontinuity::Integer => off_integer(a[0]),
        Discontinuity::Half => off_integer(a[0] - 0.5),
        Discontinuity::Quotient => off_integer(a[0] / a[1]),
        Discontinuity::Zero => a.iter().fold(f64::INFINITY, |m, x| m.min(x.abs())),
        Discontinuity::Equal => (a[0] - a[1]).abs() / scale(a),
        Discontinuity::BranchCut => {
            let (y, x) = (a[0], a[1]);
            let cut = if x < MARGIN { y.abs() } else { f64::INFINITY };
            cut.min(x.hypot(y))
        }
        Discontinuity::None => return None,
    })
}

#[derive(Clone, Copy)]
enum Discontinuity {
    None,
    Integer,
    Half,
    Quotient,
    Zero,
    Equal,
    BranchCut,
}

fn binary_discontinuity(op: BinOp) -> Discontinuity {
    match op {
        BinOp::Or | BinOp::And => Discontinuity::Zero,
        BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            Discontinuity::Equal
        }
        BinOp::Rem => Discontinuity::Quotient,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Pow => Discontinuity::None,
    }
}

fn call_discontinuity(f: Func) -> Discontinuity {
    match f {
        Func::Floor | Func::Ceil | Func::Fract => Discontinuity::Integer,
        Func::Round => Discontinuity::Half,
        Func::Sign => Discontinuity::Zero,
        // `step(edge, x)` breaks where `x == edge`.
        Func::Step => Discontinuity::Equal,
        Func::Atan2 => Discontinuity::BranchCut,
        _ => Discontinuity::None,
    }
}

/// The operand `min` (or `max`) returns, when both sides surely return it: one
/// computation, exact operands, or operands far apart in both evaluations.
fn pick(a: Pair, b: Pair, max: bool) -> Option<Pair> {
    let first = (a.wide >= b.wide) == max;
    let apart = |x: f64, y: f64| (x - y).abs() > MARGIN * scale(&[x, y]);
    let sure = a.id == b.id
        || (a.exact && b.exact)
        || (apart(a.wide, b.wide)
            && apart(f64::from(a.narrow), f64::from(b.narrow))
            && (a.narrow >= b.narrow) == (a.wide >= b.wide));
    sure.then_some(if first { a } else { b })
}

impl Model<'_> {
    /// Marks the point unsettled when `args` come near a boundary of `op`, unless
    /// both sides are sure to decide alike: the inputs are exact or one computation
    /// (`%` and `atan2` divide first, which WGSL does not round correctly).
    fn check(&mut self, op: Discontinuity, args: &[Pair]) {
        match op {
            Discontinuity::None => return,
            // Each operand of `&&` and `||` is tested alone.
            Discontinuity::Zero if args.len() > 1 => {
                for a in args {
                    self.check(op, &[*a]);
                }
                return;
            }
            Discontinuity::Integer | Discontinuity::Half | Discontinuity::Zero if args[0].exact => {
                return
            }
            Discontinuity::Equal
                if args[0].id == args[1].id || (args[0].exact && args[1].exact) =>
            {
                return
            }
            // Zero over anything is zero however the division rounds.
            Discontinuity::Quotient if args[0].is(0.0) => return,
            _ => {}
        }
        let wide: Vec<f64> = args.iter().map(|p| p.wide).collect();
        let narrow: Vec<f64> = args.iter().map(|p| f64::from(p.narrow)).collect();
        let (Some(dw), Some(dn)) = (boundary_distance(op, &wide), boundary_distance(op, &narrow))
        else {
            return;
        };
        let drift = wide
            .iter()
            .zip(&narrow)
            .any(|(w, n)| (w - n).abs() / scale(&[*w]) > MARGIN / 4.0);
        if dw < MARGIN || dn < MARGIN || drift || dw.is_nan() || dn.is_nan() {
            self.unsettled = true;
        }
    }

    fn eval(&mut self, e: &Expr, at: Point) -> Pair {
        match e {
            Expr::Coord(Coord::X) => at.x,
            Expr::Coord(Coord::Y) => at.y,
            Expr::Coord(Coord::Time) => at.time,
            Expr::Const(v) => Pair::exact(*v),
            Expr::Ref(k, o) => {
                let program = self.program;
                self.eval(&program.instances[*k][*o], at)
            }
            Expr::Remap(e, c, f) => {
                let v = self.eval(f, at);
                self.eval(e, at.with(*c, v))
            }
            Expr::Un(op, a) => {
                let a = self.eval(a, at);
                let rule = if *op == UnaryOp::Not {
                    self.check(Discontinuity::Zero, &[a]);
                    Exactness::Always
                } else {
                    Exactness::OfInputs
                };
                Pair::apply(("unary", op), &[a], |v| builtins::unary(*op, v[0]))
                    .exact_if(&[a], rule)
            }
            Expr::Bin(op, a, b) => {
                let args = [self.eval(a, at), self.eval(b, at)];
                self.binary(*op, args)
            }
            Expr::Call(f, args) => {
                let args: Vec<Pair> = args.iter().map(|a| self.eval(a, at)).collect();
                self.call(*f, &args)
            }
        }
    }

    fn binary(&mut self, op: BinOp, [a, b]: [Pair; 2]) -> Pair {
        let v = Pair::apply(("binary", op), &[a, b], |v| {
            builtins::binary(op, v[0], v[1])
        });
        let same = a.id == b.id;
        match op {
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Sub
                if same =>
            {
                return v.exact_if(&[], Exactness::Always);
            }
            // Identities that keep the other operand's bits.
            BinOp::Add if a.is(0.0) => return b,
            BinOp::Add | BinOp::Sub if b.is(0.0) => return a,
            BinOp::Mul if a.is(1.0) => return b,
            BinOp::Mul | BinOp::Div if b.is(1.0) => return a,
            _ => {}
        }
        self.check(binary_discontinuity(op), &[a, b]);
        let rule = match op {
            BinOp::Add | BinOp::Sub | BinOp::Mul => Exactness::OfInputs,
            // `x ^ 2` is `x * x` on both sides.
            BinOp::Pow if b.is(2.0) => Exactness::OfInputs,
            // Zero over anything else is zero however division rounds.
            BinOp::Div if a.is(0.0) && !b.is(0.0) => Exactness::Always,
            BinOp::Div | BinOp::Rem | BinOp::Pow => Exactness::Never,
            _ => Exactness::Always,
        };
        if op == BinOp::Mul && (a.is(0.0) || b.is(0.0)) {
            return v.exact_if(&[], Exactness::Always);
        }
        v.exact_if(&[a, b], rule)
    }

    fn call(&mut self, f: Func, args: &[Pair]) -> Pair {
        let rule = match f {
            Func::Select => {
                self.check(Discontinuity::Zero, &args[..1]);
                // Both sides pass the chosen value on unchanged.
                return if args[0].wide != 0.0 {
                    args[1]
                } else {
                    args[2]
                };
            }
            Func::Min | Func::Max => {
                if let Some(p) = pick(args[0], args[1], f == Func::Max) {
                    return p;
                }
                Exactness::OfInputs
            }
            Func::Clamp => {
                let low = pick(args[0], args[1], true);
                if let Some(p) = low.and_then(|m| pick(m, args[2], false)) {
                    return p;
                }
                Exactness::OfInputs
            }
            // Well outside its edges it is 0 or 1 exactly.
            Func::Smoothstep => {
                let t = |e0: f64, e1: f64, x: f64| (x - e0) / (e1 - e0);
                let (w, n) = (args[0], args[1]);
                let tw = t(w.wide, n.wide, args[2].wide);
                let tn = t(
                    f64::from(w.narrow),
                    f64::from(n.narrow),
                    f64::from(args[2].narrow),
                );
                let out = |t: f64| !(-MARGIN..=1.0 + MARGIN).contains(&t);
                if out(tw) && out(tn) && (tw < 0.0) == (tn < 0.0) {
                    Exactness::Always
                } else {
                    Exactness::Never
                }
            }
            Func::Floor | Func::Ceil | Func::Round | Func::Sign | Func::Step => Exactness::Always,
            Func::Abs | Func::Fract => Exactness::OfInputs,
            Func::Pow if args[1].is(2.0) => Exactness::OfInputs,
            _ => Exactness::Never,
        };
        self.check(call_discontinuity(f), args);
        Pair::apply(("call", f), args, |v| f.apply(v)).exact_if(args, rule)
    }
}
