//! Random WEFT programs: a raw expression tree drawn by proptest, then *tamed* into
//! a program whose f32 and f64 evaluations are comparable, and written as source.
//!
//! Taming is a deterministic function of the raw tree (so proptest shrinks the raw
//! tree and every shrunk case is tamed the same way). It tracks a conservative
//! [`Bounds`] of every value over the sampled domain (`me@x`, `me@y` in [0, 1],
//! `me@time` in [0, 2], remapped coordinates kept inside it) and wraps an argument
//! in a guard only where an operation would otherwise be ill-conditioned in f32:
//! denominators and `log`/`sqrt`/`pow` bases kept away from 0, `tan` away from
//! its poles, `asin`/`acos` inside (-1, 1), `exp`/`sinh`/`cosh` and every
//! intermediate value bounded (a smooth `k * tanh(v / k)`), `smoothstep` edges
//! apart, and `hash` fed integers (exact in f32; the hash of other bits is
//! another value by design). Discontinuous operations (floor, `%`, comparisons,
//! select …) are kept as drawn: the model flags the pixels where their inputs are
//! near a boundary instead.

use proptest::prelude::*;
use proptest::sample::select;
use std::fmt::{self, Write};
use weft_lang::ast::{BinOp, UnaryOp};
use weft_lang::builtins::Func;

/// Largest magnitude an intermediate value may have before it is squashed.
const BOUND: f64 = 16.0;

/// A coordinate of the sampled point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Coord {
    X,
    Y,
    Time,
}

impl Coord {
    fn name(self) -> &'static str {
        match self {
            Coord::X => "x",
            Coord::Y => "y",
            Coord::Time => "time",
        }
    }
}

/// An expression of the generated subset of WEFT.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Coord(Coord),
    Const(f64),
    Un(UnaryOp, Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
    Call(Func, Vec<Expr>),
    /// Output `.1` of instance `.0` (raw: any numbers; tamed: an earlier instance).
    Ref(usize, usize),
    /// `e[me@c ~ f]`.
    Remap(Box<Expr>, Coord, Box<Expr>),
}

/// A tamed program and its source text.
#[derive(Clone)]
pub struct Program {
    /// Instance `k` is `s{k}`, its outputs `v` and `w`; it reads only earlier ones.
    pub instances: Vec<Vec<Expr>>,
    /// One value (grey) or three (red, green, blue), each within [0, 1].
    pub display: Vec<Expr>,
    /// The WEFT source both backends draw.
    pub text: String,
}

impl fmt::Debug for Program {
    /// The source text, so that proptest's report of a failing case is the program.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\n{}", self.text)
    }
}

/// Random programs: up to three instances of one or two outputs, and a display of
/// one or three channels.
pub fn programs() -> impl Strategy<Value = Program> {
    (
        prop::collection::vec(prop::collection::vec(expr(), 1..=2), 0..=3),
        prop::collection::vec(expr(), 3),
        // Shrinks from colour to grey (`true` to `false`), keeping the first channel.
        any::<bool>(),
    )
        .prop_map(|(instances, mut display, colour)| {
            display.truncate(if colour { 3 } else { 1 });
            Program::tame(&instances, &display)
        })
}

fn constant() -> impl Strategy<Value = f64> {
    prop_oneof![
        // Halves: exact in f32, and where aligned boundaries live.
        (-8i32..=8).prop_map(|i| f64::from(i) * 0.5),
        (-4000i32..=4000).prop_map(|i| f64::from(i) / 1000.0),
    ]
}

fn coord() -> impl Strategy<Value = Coord> {
    select(vec![Coord::X, Coord::Y, Coord::Time])
}

const BINARY: [BinOp; 14] = [
    BinOp::Or,
    BinOp::And,
    BinOp::Eq,
    BinOp::Ne,
    BinOp::Lt,
    BinOp::Le,
    BinOp::Gt,
    BinOp::Ge,
    BinOp::Add,
    BinOp::Sub,
    BinOp::Mul,
    BinOp::Div,
    BinOp::Rem,
    BinOp::Pow,
];

fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        4 => coord().prop_map(Expr::Coord),
        1 => constant().prop_map(Expr::Const),
        3 => (0usize..4, 0usize..2).prop_map(|(i, o)| Expr::Ref(i, o)),
    ];
    leaf.prop_recursive(6, 64, 3, |inner| {
        prop_oneof![
            1 => (select(vec![UnaryOp::Neg, UnaryOp::Not]), inner.clone())
                .prop_map(|(op, a)| Expr::Un(op, Box::new(a))),
            4 => (select(BINARY.to_vec()), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| Expr::Bin(op, Box::new(a), Box::new(b))),
            5 => (select(Func::ALL), prop::collection::vec(inner.clone(), 3), 1usize..=3)
                .prop_map(|(f, mut args, n)| {
                    let (lo, hi) = f.arity();
                    args.truncate(n.clamp(lo, hi));
                    Expr::Call(f, args)
                }),
            1 => (inner.clone(), coord(), inner)
                .prop_map(|(e, c, f)| Expr::Remap(Box::new(e), c, Box::new(f))),
        ]
    })
}

/// A conservative range of a value over the sampled domain.
#[derive(Clone, Copy, Debug)]
struct Bounds {
    lo: f64,
    hi: f64,
}

impl Bounds {
    fn new(a: f64, b: f64) -> Bounds {
        Bounds {
            lo: a.min(b),
            hi: a.max(b),
        }
    }

    fn unit() -> Bounds {
        Bounds::new(0.0, 1.0)
    }

    fn within(self, lo: f64, hi: f64) -> bool {
        self.lo >= lo && self.hi <= hi
    }

    fn hull(self, o: Bounds) -> Bounds {
        Bounds::new(self.lo.min(o.lo), self.hi.max(o.hi))
    }

    /// The range of `f` over the four corners (`f` monotone in each argument).
    fn corners(self, o: Bounds, f: impl Fn(f64, f64) -> f64) -> Bounds {
        let v = [
            f(self.lo, o.lo),
            f(self.lo, o.hi),
            f(self.hi, o.lo),
            f(self.hi, o.hi),
        ];
        Bounds {
            lo: v.iter().copied().fold(f64::INFINITY, f64::min),
            hi: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        }
    }

    /// The range of a monotone `f`.
    fn map(self, f: impl Fn(f64) -> f64) -> Bounds {
        Bounds::new(f(self.lo), f(self.hi))
    }

    fn magnitude(self) -> f64 {
        self.lo.abs().max(self.hi.abs())
    }
}

type Tamed = (Expr, Bounds);

fn num(v: f64) -> Expr {
    Expr::Const(v)
}

fn bin(op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr::Bin(op, Box::new(a), Box::new(b))
}

fn call(f: Func, args: Vec<Expr>) -> Expr {
    Expr::Call(f, args)
}

/// `e` itself when within ±`k`, else `k * tanh(e / k)`: smooth, so no new boundary.
fn squash((e, b): Tamed, k: f64) -> Tamed {
    if b.within(-k, k) {
        return (e, b);
    }
    let t = bin(
        BinOp::Mul,
        num(k),
        call(Func::Tanh, vec![bin(BinOp::Div, e, num(k))]),
    );
    (t, b.map(|v| k * (v / k).tanh()))
}

/// `e` itself when at least `m`, else `abs(e) + m`.
fn at_least((e, b): Tamed, m: f64) -> Tamed {
    if b.lo >= m {
        return (e, b);
    }
    let t = bin(BinOp::Add, call(Func::Abs, vec![e]), num(m));
    (t, Bounds::new(m, b.magnitude() + m))
}

/// A denominator at least 0.5 away from zero.
fn apart_from_zero((e, b): Tamed) -> Tamed {
    if b.lo >= 0.5 || b.hi <= -0.5 {
        (e, b)
    } else {
        at_least((e, b), 0.5)
    }
}

/// `e` itself when within [`lo`, `hi`], else a sine wave spanning that range.
fn wave((e, b): Tamed, lo: f64, hi: f64) -> Tamed {
    if b.within(lo, hi) {
        return (e, b);
    }
    let (mid, half) = ((lo + hi) / 2.0, (hi - lo) / 2.0);
    let mut t = call(Func::Sin, vec![e]);
    if half != 1.0 {
        t = bin(BinOp::Mul, num(half), t);
    }
    if mid != 0.0 {
        t = bin(BinOp::Add, num(mid), t);
    }
    (t, Bounds::new(lo, hi))
}

impl Program {
    fn tame(instances: &[Vec<Expr>], display: &[Expr]) -> Program {
        let mut seen: Vec<Vec<Bounds>> = Vec::new();
        let mut tamed = Vec::new();
        for outs in instances {
            let t: Vec<Tamed> = outs.iter().map(|e| tame(e, &seen)).collect();
            seen.push(t.iter().map(|(_, b)| *b).collect());
            tamed.push(t.into_iter().map(|(e, _)| e).collect());
        }
        // The first channel reads the last instance, so that instances are drawn.
        let first = match seen.len() {
            0 => display[0].clone(),
            n => bin(BinOp::Add, display[0].clone(), Expr::Ref(n - 1, 0)),
        };
        let display = std::iter::once(&first)
            .chain(&display[1..])
            .map(|e| wave(tame(e, &seen), 0.0, 1.0).0)
            .collect();
        let mut p = Program {
            instances: tamed,
            display,
            text: String::new(),
        };
        p.text = p.source();
        p
    }

    fn source(&self) -> String {
        let mut s = String::new();
        for (k, outs) in self.instances.iter().enumerate() {
            let names = ["v", "w"][..outs.len()].join(", ");
            let values: Vec<String> = outs.iter().map(text).collect();
            let _ = if values.len() == 1 {
                writeln!(s, "s{k}<{names}> = {}", values[0])
            } else {
                writeln!(s, "s{k}<{names}> = ({})", values.join(", "))
            };
        }
        let channels: Vec<String> = self.display.iter().map(text).collect();
        let _ = writeln!(s, "display({})", channels.join(", "));
        s
    }
}

/// Tames `e`, whose references may name the instances whose output bounds are `seen`.
fn tame(e: &Expr, seen: &[Vec<Bounds>]) -> Tamed {
    let t = |e: &Expr| tame(e, seen);
    match e {
        Expr::Coord(c) => {
            let b = match c {
                Coord::X | Coord::Y => Bounds::unit(),
                Coord::Time => Bounds::new(0.0, 2.0),
            };
            (e.clone(), b)
        }
        Expr::Const(v) => (e.clone(), Bounds::new(*v, *v)),
        // The first instance reads no other; a reference there is `me@x`.
        Expr::Ref(i, o) => match seen.len() {
            0 => (Expr::Coord(Coord::X), Bounds::unit()),
            n => {
                let k = i % n;
                let o = o % seen[k].len();
                (Expr::Ref(k, o), seen[k][o])
            }
        },
        Expr::Remap(e, c, f) => {
            let (e, b) = t(e);
            let (lo, hi) = if *c == Coord::Time {
                (0.0, 2.0)
            } else {
                (0.0, 1.0)
            };
            let (f, _) = wave(t(f), lo, hi);
            (Expr::Remap(Box::new(e), *c, Box::new(f)), b)
        }
        Expr::Un(op, a) => {
            let (a, b) = t(a);
            let r = match op {
                UnaryOp::Neg => b.map(|v| -v),
                UnaryOp::Not => Bounds::unit(),
            };
            (Expr::Un(*op, Box::new(a)), r)
        }
        Expr::Bin(op, a, b) => squash(tame_binary(*op, t(a), t(b)), BOUND),
        Expr::Call(f, args) => {
            let args: Vec<Tamed> = args.iter().map(t).collect();
            squash(tame_call(*f, args), BOUND)
        }
    }
}

fn tame_binary(op: BinOp, a: Tamed, b: Tamed) -> Tamed {
    let r = match op {
        BinOp::Add => a.1.corners(b.1, |x, y| x + y),
        BinOp::Sub => a.1.corners(b.1, |x, y| x - y),
        BinOp::Mul => a.1.corners(b.1, |x, y| x * y),
        BinOp::Div => {
            let b = apart_from_zero(b);
            let r = a.1.corners(b.1, |x, y| x / y);
            return (bin(op, a.0, b.0), r);
        }
        BinOp::Rem => {
            let b = apart_from_zero(b);
            // The floored remainder takes the divisor's sign.
            let r = if b.1.lo > 0.0 {
                Bounds::new(0.0, b.1.hi)
            } else {
                Bounds::new(b.1.lo, 0.0)
            };
            return (bin(op, a.0, b.0), r);
        }
        BinOp::Pow => {
            let (a, b, r) = tame_pow(a, b);
            return (bin(op, a, b), r);
        }
        _ => Bounds::unit(),
    };
    (bin(op, a.0, b.0), r)
}

/// `a ^ b`: a small integer exponent takes any base (the negative-base rule);
/// otherwise the base is kept at least 0.5 and the exponent within ±2.
fn tame_pow(a: Tamed, b: Tamed) -> (Expr, Expr, Bounds) {
    if let Expr::Const(k @ (2.0 | 3.0)) = b.0 {
        let m = a.1.magnitude();
        let r = if k == 2.0 {
            let lo = if a.1.lo <= 0.0 && a.1.hi >= 0.0 {
                0.0
            } else {
                a.1.lo.abs().min(a.1.hi.abs()).powi(2)
            };
            Bounds::new(lo, m * m)
        } else {
            a.1.map(|v| v.powi(3))
        };
        return (a.0, b.0, r);
    }
    let a = at_least(a, 0.5);
    let b = squash(b, 2.0);
    let r = a.1.corners(b.1, f64::powf);
    (a.0, b.0, r)
}

fn tame_call(f: Func, mut args: Vec<Tamed>) -> Tamed {
    use Func::*;
    let one = |args: &[Tamed]| args[0].1;
    let r = match f {
        Sin | Cos => Bounds::new(-1.0, 1.0),
        Tan => {
            args[0] = squash(args[0].clone(), 1.2);
            one(&args).map(f64::tan)
        }
        Asin | Acos => {
            args[0] = wave(args[0].clone(), -0.95, 0.95);
            one(&args).map(|v| f.apply(&[v]))
        }
        Atan | Tanh => one(&args).map(|v| f.apply(&[v])),
        Atan2 => Bounds::new(-std::f64::consts::PI, std::f64::consts::PI),
        Sinh | Exp => {
            args[0] = squash(args[0].clone(), 3.0);
            one(&args).map(|v| f.apply(&[v]))
        }
        Cosh => {
            args[0] = squash(args[0].clone(), 3.0);
            Bounds::new(1.0, one(&args).magnitude().cosh())
        }
        Sqrt | Log | Log2 | Log10 => {
            args[0] = at_least(args[0].clone(), 0.05);
            one(&args).map(|v| f.apply(&[v]))
        }
        Pow => {
            let b = args.pop().expect("two arguments");
            let a = args.pop().expect("two arguments");
            let (a, b, r) = tame_pow(a, b);
            return (call(f, vec![a, b]), r);
        }
        Abs => {
            let b = one(&args);
            let lo = if b.lo <= 0.0 && b.hi >= 0.0 {
                0.0
            } else {
                b.lo.abs().min(b.hi.abs())
            };
            Bounds::new(lo, b.magnitude())
        }
        Sign => Bounds::new(-1.0, 1.0),
        Floor | Ceil | Round => one(&args).map(|v| f.apply(&[v])),
        Smoothstep => {
            // Edges at least 0.5 apart (else a constant above the first edge's range):
            // a steep or degenerate edge turns f32 noise into whole steps.
            let d = args[1].1.corners(args[0].1, |e1, e0| e1 - e0);
            if d.lo < 0.5 && d.hi > -0.5 {
                let e1 = args[0].1.hi + 0.5;
                args[1] = (num(e1), Bounds::new(e1, e1));
            }
            Bounds::unit()
        }
        Hash => {
            // Integers below 2^24 are exact in f32, so both sides hash the same bits.
            if !matches!(args[0].0, Expr::Call(Floor | Ceil | Round, _)) {
                let b = args[0].1.map(f64::floor);
                let e = std::mem::replace(&mut args[0].0, num(0.0));
                args[0] = (call(Floor, vec![e]), b);
            }
            Bounds::unit()
        }
        Fract | Step | Noise => Bounds::unit(),
        Min => args[0].1.corners(args[1].1, f64::min),
        Max => args[0].1.corners(args[1].1, f64::max),
        Clamp => {
            let low = args[0].1.corners(args[1].1, f64::max);
            low.corners(args[2].1, f64::min)
        }
        Mix => {
            let d = args[1].1.corners(args[0].1, |b, a| b - a);
            let s = d.corners(args[2].1, |d, t| d * t);
            args[0].1.corners(s, |a, s| a + s)
        }
        Select => args[1].1.hull(args[2].1),
    };
    (call(f, args.into_iter().map(|(e, _)| e).collect()), r)
}

/// The source text of `e`; every compound expression is parenthesized.
pub fn text(e: &Expr) -> String {
    match e {
        Expr::Coord(c) => format!("me@{}", c.name()),
        Expr::Const(v) if *v < 0.0 => format!("({v})"),
        Expr::Const(v) => format!("{v}"),
        Expr::Un(op, a) => {
            let o = if *op == UnaryOp::Neg { "-" } else { "!" };
            format!("({o}{})", text(a))
        }
        Expr::Bin(op, a, b) => format!("({} {} {})", text(a), op.as_str(), text(b)),
        Expr::Call(f, args) => {
            let a: Vec<String> = args.iter().map(text).collect();
            format!("{}({})", f.name(), a.join(", "))
        }
        Expr::Ref(k, o) => format!("s{k}@{}", ["v", "w"][*o]),
        Expr::Remap(e, c, f) => {
            let target = match **e {
                Expr::Ref(..) | Expr::Call(..) | Expr::Bin(..) | Expr::Un(..) => text(e),
                _ => format!("({})", text(e)),
            };
            format!("{target}[me@{} ~ {}]", c.name(), text(f))
        }
    }
}
