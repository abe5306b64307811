//! Lowering expressions: names, accesses, operators, calls of builtins and
//! sources, parameters.

use super::{Binding, Env, Local, Lowerer, Vals};
use crate::ast::{self, ExprKind, Ident};
use crate::builtins::{self, Func, SourceKind};
use crate::ir::{coord, CoordId, Expr, ExprId, Param, ParamId, Source, SourceId, Uniform};
use weft_diagnostics::{did_you_mean, Code, Span};

impl Lowerer<'_> {
    pub(super) fn definition(&mut self, env: &Env, def: &ast::StrandDef) -> Option<Vec<ExprId>> {
        if def.outputs.len() > 1 && !matches!(def.value.kind, ast::ExprKind::Tuple(_)) {
            if let Some(spread) = self.componentwise(env, def) {
                return spread;
            }
        }
        let vals = self.expr(env, &def.value)?;
        let want = def.outputs.len();
        let got = vals.ids.len();
        if got == want || (vals.prefix && got > want) {
            Some(vals.ids[..want].to_vec())
        } else {
            self.error(
                Code::OutputCount,
                def.value.span,
                format!(
                    "`{}` declares {} output{} but its value has {}",
                    def.name.name,
                    want,
                    if want == 1 { "" } else { "s" },
                    got
                ),
            );
            None
        }
    }

    /// Every argument lowered to one value each; every argument is lowered (so each
    /// reports its own errors) before a failure gives `None`.
    pub(super) fn scalars(&mut self, env: &Env, args: &[ast::Expr]) -> Option<Vec<ExprId>> {
        let mut ids = Vec::with_capacity(args.len());
        let mut ok = true;
        for a in args {
            match self.scalar(env, a) {
                Some(id) => ids.push(id),
                None => ok = false,
            }
        }
        ok.then_some(ids)
    }

    pub(super) fn scalar(&mut self, env: &Env, e: &ast::Expr) -> Option<ExprId> {
        let vals = self.expr(env, e)?;
        if vals.ids.len() == 1 {
            Some(vals.ids[0])
        } else {
            self.error(
                Code::TupleInScalar,
                e.span,
                format!("{} values where one is expected", vals.ids.len()),
            );
            None
        }
    }

    pub(super) fn coord(&mut self, dim: &str) -> CoordId {
        if let Some(&c) = self.coord_ids.get(dim) {
            return c;
        }
        let c = CoordId(self.prog.coords.len() as u32);
        self.prog.coords.push(dim.to_string());
        self.coord_ids.insert(dim.to_string(), c);
        c
    }

    /// True while "did you mean" suggestions may still be computed (each scans
    /// every candidate, so a file of a million typos stops asking).
    pub(super) fn may_suggest(&mut self) -> bool {
        let ok = self.suggestions_left > 0;
        self.suggestions_left = self.suggestions_left.saturating_sub(1);
        ok
    }

    /// The instance names (file definitions and imports, then spindle locals) a
    /// misspelt instance name may have meant.
    pub(super) fn instance_hint(&mut self, env: &Env, name: &str) -> String {
        if !self.may_suggest() {
            return String::new();
        }
        let scope = self.scopes[env.unit]
            .iter()
            .filter(|(_, b)| matches!(b, Binding::Inst(_)))
            .map(|(n, _)| n.as_str());
        let locals = env.locals.keys().map(String::as_str);
        did_you_mean(name, sorted(locals.chain(scope).chain(["me", "mouse"])))
    }

    pub(super) fn expr(&mut self, env: &Env, e: &ast::Expr) -> Option<Vals> {
        if self.too_large {
            return None;
        }
        match &e.kind {
            ExprKind::Number(n) => Some(Vals::one(self.push(Expr::Const(*n)))),
            ExprKind::String(_) => {
                self.error(
                    Code::MisplacedString,
                    e.span,
                    "a string can only be the file of `load`/`sample`, a `use` path or an `osc` address",
                );
                None
            }
            ExprKind::Name(name) => self.name(env, name, e.span).map(Vals::one),
            ExprKind::Access { inst, out } => self.access(env, inst, out).map(Vals::one),
            ExprKind::Unary { op, expr } => {
                let a = self.scalar(env, expr)?;
                Some(Vals::one(self.push(Expr::Unary(*op, a))))
            }
            ExprKind::Binary { lhs, rest } => {
                // A run `a + b - c …` folds from the left, without recursion.
                let mut acc = self.scalar(env, lhs);
                for (op, rhs) in rest {
                    let b = self.scalar(env, rhs);
                    acc = match (acc, b) {
                        (Some(a), Some(b)) => Some(self.push(Expr::Binary(*op, a, b))),
                        _ => None,
                    };
                }
                acc.map(Vals::one)
            }
            ExprKind::Call { callee, args } => self.call(env, callee, args, e.span),
            ExprKind::Tuple(items) => {
                let mut ids = Vec::with_capacity(items.len());
                let mut ok = true;
                for item in items {
                    match self.scalar(env, item) {
                        Some(id) => ids.push(id),
                        None => ok = false,
                    }
                }
                ok.then_some(Vals { ids, prefix: false })
            }
            ExprKind::Remap { target, args } => {
                let target = self.expr(env, target);
                let mut subs = Vec::with_capacity(args.len());
                let mut ok = true;
                for arg in args {
                    if arg.dim.name == "beat" {
                        self.error(
                            Code::BadRemap,
                            arg.dim.span,
                            "`me@beat` follows `me@time`; remap `me@time` instead",
                        );
                        ok = false;
                        continue;
                    }
                    if matches!(arg.dim.name.as_str(), "width" | "height") {
                        self.error(
                            Code::BadRemap,
                            arg.dim.span,
                            format!(
                                "`me@{}` is the size of the picture being drawn and cannot be remapped",
                                arg.dim.name
                            ),
                        );
                        ok = false;
                        continue;
                    }
                    let c = self.coord(&arg.dim.name);
                    self.coords_remapped.insert(arg.dim.name.clone());
                    match self.scalar(env, &arg.value) {
                        Some(v) => subs.push((c, v)),
                        None => ok = false,
                    }
                }
                let target = target?;
                if !ok {
                    return None;
                }
                let subs: Box<[(CoordId, ExprId)]> = subs.into();
                let ids = target
                    .ids
                    .iter()
                    .map(|&t| {
                        self.push(Expr::Remap {
                            target: t,
                            subs: subs.clone(),
                        })
                    })
                    .collect();
                Some(Vals {
                    ids,
                    prefix: target.prefix,
                })
            }
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => {
                let c = self.scalar(env, cond);
                let a = self.scalar(env, then);
                let b = self.scalar(env, otherwise);
                let args: Box<[ExprId]> = Box::new([c?, a?, b?]);
                Some(Vals::one(self.push(Expr::Call(Func::Select, args))))
            }
            ExprKind::Error => None,
        }
    }

    pub(super) fn name(&mut self, env: &Env, name: &str, span: Span) -> Option<ExprId> {
        if let Some(local) = env.locals.get(name) {
            return match local {
                Local::Value(id) => Some(*id),
                Local::Strand { values, .. } if values.len() == 1 => Some(values[0]),
                Local::Strand { outputs, .. } => {
                    self.ambiguous(name, outputs, span);
                    None
                }
            };
        }
        match self.scopes[env.unit].get(name).copied() {
            Some(Binding::Inst(inst)) => {
                if self.prog.instances[inst.0 as usize].outputs.len() == 1 {
                    Some(self.push(Expr::Ref { inst, out: 0 }))
                } else {
                    let outputs = self.prog.instances[inst.0 as usize].outputs.clone();
                    self.ambiguous(name, &outputs, span);
                    None
                }
            }
            Some(Binding::Spindle(..)) => {
                self.error(
                    Code::UnknownName,
                    span,
                    format!("`{name}` is a spindle: call it, as in `{name}(…)`"),
                );
                None
            }
            None => {
                if let Some(v) = builtins::constant(name) {
                    return Some(self.push(Expr::Const(v)));
                }
                let hint = if name == "me" || name == "mouse" {
                    format!("; read a coordinate, as in `{name}@x`")
                } else if self.may_suggest() {
                    let scope = self.scopes[env.unit]
                        .iter()
                        .filter(|(_, b)| matches!(b, Binding::Inst(_)))
                        .map(|(n, _)| n.as_str());
                    let locals = env.locals.keys().map(String::as_str);
                    let constants = ["pi", "tau", "e"];
                    did_you_mean(name, sorted(locals.chain(scope).chain(constants)))
                } else {
                    String::new()
                };
                self.error(
                    Code::UnknownName,
                    span,
                    format!("unknown name `{name}`{hint}"),
                );
                None
            }
        }
    }

    pub(super) fn ambiguous(&mut self, name: &str, outputs: &[String], span: Span) {
        self.error(
            Code::AmbiguousInstance,
            span,
            format!(
                "`{name}` has {} outputs ({}); name one, as in `{name}@{}`",
                outputs.len(),
                outputs.join(", "),
                outputs.first().map(String::as_str).unwrap_or("out")
            ),
        );
    }

    pub(super) fn access(&mut self, env: &Env, inst: &Ident, out: &Ident) -> Option<ExprId> {
        if let Some(local) = env.locals.get(&inst.name) {
            return match local {
                Local::Strand { outputs, values } => {
                    match outputs.iter().position(|o| *o == out.name) {
                        Some(i) => Some(values[i]),
                        None => {
                            let outputs = outputs.clone();
                            self.unknown_output(&inst.name, &outputs, out);
                            None
                        }
                    }
                }
                Local::Value(_) => {
                    self.error(
                        Code::UnknownOutput,
                        out.span,
                        format!(
                            "`{}` is a single value with no outputs; write `{}`",
                            inst.name, inst.name
                        ),
                    );
                    None
                }
            };
        }
        match inst.name.as_str() {
            "me" => {
                if out.name == "beat" {
                    // beat = time * bpm / 60, so remapping time moves the beat too.
                    let t = self.push(Expr::Coord(coord::TIME));
                    let bpm = self.push(Expr::Uniform(Uniform::Bpm));
                    let sixty = self.push(Expr::Const(60.0));
                    let per = self.push(Expr::Binary(ast::BinOp::Div, bpm, sixty));
                    return Some(self.push(Expr::Binary(ast::BinOp::Mul, t, per)));
                }
                match out.name.as_str() {
                    "width" => return Some(self.push(Expr::Uniform(Uniform::Width))),
                    "height" => return Some(self.push(Expr::Uniform(Uniform::Height))),
                    _ => {}
                }
                let c = self.coord(&out.name);
                self.coord_reads.entry(out.name.clone()).or_insert(out.span);
                Some(self.push(Expr::Coord(c)))
            }
            "mouse" => match out.name.as_str() {
                "x" => Some(self.push(Expr::Uniform(Uniform::MouseX))),
                "y" => Some(self.push(Expr::Uniform(Uniform::MouseY))),
                _ => {
                    let hint = did_you_mean(&out.name, ["x", "y"]);
                    self.error(
                        Code::UnknownOutput,
                        out.span,
                        format!("`mouse` has outputs `x` and `y`, not `{}`{hint}", out.name),
                    );
                    None
                }
            },
            _ => match self.scopes[env.unit].get(&inst.name).copied() {
                Some(Binding::Inst(id)) => {
                    let outputs = &self.prog.instances[id.0 as usize].outputs;
                    match outputs.iter().position(|o| *o == out.name) {
                        Some(i) => Some(self.push(Expr::Ref {
                            inst: id,
                            out: i as u32,
                        })),
                        None => {
                            let outputs = outputs.clone();
                            self.unknown_output(&inst.name, &outputs, out);
                            None
                        }
                    }
                }
                Some(Binding::Spindle(..)) => {
                    self.error(
                        Code::UnknownName,
                        inst.span,
                        format!("`{}` is a spindle, not an instance: call it", inst.name),
                    );
                    None
                }
                None => {
                    let hint = self.instance_hint(env, &inst.name);
                    self.error(
                        Code::UnknownName,
                        inst.span,
                        format!("unknown instance `{}`{hint}", inst.name),
                    );
                    None
                }
            },
        }
    }

    pub(super) fn unknown_output(&mut self, inst: &str, outputs: &[String], out: &Ident) {
        let hint = if self.may_suggest() {
            did_you_mean(&out.name, outputs.iter().map(String::as_str))
        } else {
            String::new()
        };
        self.error(
            Code::UnknownOutput,
            out.span,
            format!(
                "`{inst}` has no output `{}`; its outputs: {}{hint}",
                out.name,
                outputs.join(", ")
            ),
        );
    }

    pub(super) fn call(
        &mut self,
        env: &Env,
        callee: &Ident,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Vals> {
        let name = callee.name.as_str();
        if let Some(Binding::Spindle(u, idx)) = self.scopes[env.unit].get(name).copied() {
            let own_body = self.stack.last() == Some(&(u, idx));
            if !(own_body
                && (Func::from_name(name).is_some()
                    || SourceKind::from_name(name).is_some()
                    || name == "param"))
            {
                return self.spindle_call(env, callee, (u, idx), args, span);
            }
        }
        if let Some(f) = Func::from_name(name) {
            let (lo, hi) = f.arity();
            if args.len() < lo || args.len() > hi {
                let want = if lo == hi {
                    format!("{lo}")
                } else {
                    format!("{lo} to {hi}")
                };
                self.error(
                    Code::BuiltinArity,
                    span,
                    format!(
                        "`{name}` takes {want} argument{}, got {}",
                        if hi == 1 { "" } else { "s" },
                        args.len()
                    ),
                );
                return None;
            }
            let ids = self.scalars(env, args)?;
            return Some(Vals::one(self.push(Expr::Call(f, ids.into()))));
        }
        if let Some(kind) = SourceKind::from_name(name) {
            return self.source(env, kind, args, span);
        }
        if name == "param" {
            return self.param(env, args, span).map(Vals::one);
        }
        if matches!(name, "display" | "play" | "osc" | "render") {
            self.error(
                Code::UnknownFunction,
                callee.span,
                format!("`{name}(…)` is an output statement, not a value"),
            );
            return None;
        }
        let hint = if self.may_suggest() {
            let spindles = self.scopes[env.unit]
                .iter()
                .filter(|(_, b)| matches!(b, Binding::Spindle(..)))
                .map(|(n, _)| n.as_str());
            let builtins = Func::ALL.iter().map(|f| f.name());
            let sources = SourceKind::ALL.iter().map(|k| k.name());
            did_you_mean(
                name,
                sorted(builtins.chain(sources).chain(["param"]).chain(spindles)),
            )
        } else {
            String::new()
        };
        self.error(
            Code::UnknownFunction,
            callee.span,
            format!("unknown function `{name}`{hint}"),
        );
        None
    }

    pub(super) fn source(
        &mut self,
        env: &Env,
        kind: SourceKind,
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Vals> {
        let path = if kind.takes_path() {
            match args {
                [ast::Expr {
                    kind: ExprKind::String(p),
                    ..
                }] => Some(self.units[env.unit].dir.join(p)),
                _ => {
                    self.error(
                        Code::SourceArgs,
                        span,
                        format!(
                            "`{}` takes one file name in quotes, as in `{}(\"file\")`",
                            kind.name(),
                            kind.name()
                        ),
                    );
                    return None;
                }
            }
        } else {
            if !args.is_empty() {
                self.error(
                    Code::SourceArgs,
                    span,
                    format!(
                        "`{}()` takes no arguments (give the input with --{} FILE)",
                        kind.name(),
                        kind.name()
                    ),
                );
                return None;
            }
            None
        };
        let outputs = kind.outputs();
        if self.dry_run {
            let zero = self.push(Expr::Const(0.0));
            return Some(Vals {
                ids: vec![zero; outputs],
                prefix: true,
            });
        }
        let existing = self
            .prog
            .sources
            .iter()
            .position(|s| s.kind == kind && s.path == path);
        let source = match existing {
            Some(i) => SourceId(i as u32),
            None => {
                self.prog.sources.push(Source { kind, path, span });
                SourceId(self.prog.sources.len() as u32 - 1)
            }
        };
        let ids = (0..outputs)
            .map(|o| {
                self.push(Expr::Source {
                    source,
                    out: o as u32,
                })
            })
            .collect();
        Some(Vals { ids, prefix: true })
    }

    pub(super) fn param(&mut self, env: &Env, args: &[ast::Expr], span: Span) -> Option<ExprId> {
        if args.len() != 3 {
            self.error(
                Code::BuiltinArity,
                span,
                format!(
                    "`param` takes 3 arguments (default, min, max), got {}",
                    args.len()
                ),
            );
            return None;
        }
        let mut values = [0.0; 3];
        for (i, a) in args.iter().enumerate() {
            let id = self.scalar(env, a)?;
            match self.prog.const_value(id) {
                Some(v) if v.is_finite() => values[i] = v,
                _ => {
                    self.error(
                        Code::ParamRange,
                        a.span,
                        "`param` arguments must be constant numbers",
                    );
                    return None;
                }
            }
        }
        let [default, min, max] = values;
        if min > max {
            self.error(
                Code::ParamRange,
                span,
                format!("`param` range is empty: min {min} is above max {max}"),
            );
            return None;
        }
        if self.dry_run {
            return Some(self.push(Expr::Const(default.clamp(min, max))));
        }
        let Some(inst) = self.current else {
            return Some(self.push(Expr::Const(default.clamp(min, max))));
        };
        self.params_in_current += 1;
        let base = &self.prog.instances[inst.0 as usize].name;
        let name = if self.params_in_current == 1 {
            base.clone()
        } else {
            format!("{base}#{}", self.params_in_current)
        };
        self.prog.params.push(Param {
            name,
            inst,
            default: default.clamp(min, max),
            min,
            max,
            span,
            control: None,
        });
        let id = ParamId(self.prog.params.len() as u32 - 1);
        Some(self.push(Expr::Param(id)))
    }
}

/// Names in a fixed order, so a tie between two suggestions does not depend on a
/// hash map's order.
fn sorted<'a>(names: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut v: Vec<&str> = names.collect();
    v.sort_unstable();
    v.dedup();
    v
}
