//! The reference interpreter: walks the resolved expressions directly, one point at
//! a time. Slow and obviously right; the conformance tests run every program
//! through it and through the compiled kernels, so the two check each other.

use crate::uniform;
use weft_lang::builtins;
use weft_lang::ir::{coord, Expr, ExprId, Program, Uniform};
use weft_sources::SourceSet;

/// Evaluates `expr` at `point` (coordinate values by id; missing ones are 0).
/// Recursion follows the program's own nesting, so keep it to test programs.
pub fn eval(
    program: &Program,
    sources: &SourceSet,
    uniforms: &[f64],
    expr: ExprId,
    point: &[f64],
) -> f64 {
    let at = |c: u32| point.get(c as usize).copied().unwrap_or(0.0);
    let u = |i: u32| uniforms.get(i as usize).copied().unwrap_or(0.0);
    let ev = |e: ExprId| eval(program, sources, uniforms, e, point);
    match program.expr(expr) {
        Expr::Const(v) => *v,
        Expr::Coord(c) => at(c.0),
        Expr::Uniform(Uniform::MouseX) => u(uniform::MOUSE_X),
        Expr::Uniform(Uniform::MouseY) => u(uniform::MOUSE_Y),
        Expr::Uniform(Uniform::Bpm) => u(uniform::BPM),
        Expr::Uniform(Uniform::Width) => u(uniform::WIDTH),
        Expr::Uniform(Uniform::Height) => u(uniform::HEIGHT),
        Expr::Param(p) => u(uniform::PARAMS + p.0),
        Expr::Ref { inst, out } => ev(program.instance(*inst).values[*out as usize]),
        Expr::Unary(op, a) => builtins::unary(*op, ev(*a)),
        Expr::Binary(op, a, b) => builtins::binary(*op, ev(*a), ev(*b)),
        Expr::Call(f, args) => {
            let vals: Vec<f64> = args.iter().map(|a| ev(*a)).collect();
            f.apply(&vals)
        }
        Expr::Source { source, out } => {
            sources
                .get(*source)
                .sample(*out, at(coord::X.0), at(coord::Y.0), at(coord::TIME.0))
        }
        Expr::Remap { target, subs } => {
            let mut moved = point.to_vec();
            moved.resize(program.coords.len().max(moved.len()), 0.0);
            for (c, v) in subs.iter() {
                moved[c.0 as usize] = ev(*v);
            }
            eval(program, sources, uniforms, *target, &moved)
        }
    }
}
