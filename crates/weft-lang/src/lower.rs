//! Name resolution and lowering: turns the parsed files of a build into one
//! [`Program`], binding every name, inlining spindles, checking counts.

use crate::ast::{self, AssignKind, ExprKind, Ident, ItemKind, OutputKind, SpindleStmt};
use crate::builtins::{self, Func, SourceKind};
use crate::ir::{
    coord, CoordId, Expr, ExprId, InstId, Instance, Param, ParamId, Program, Segment, SegmentId,
    Sink, Source, SourceId, Uniform,
};
use std::collections::HashMap;
use std::path::PathBuf;
use weft_diagnostics::{Code, Diagnostic, FileId, Span};

/// How deep spindle calls may nest before inlining stops with an error.
const MAX_INLINE_DEPTH: usize = 64;

/// One parsed file of a build.
pub(crate) struct FileUnit {
    pub id: FileId,
    /// The folder relative paths in this file are resolved against.
    pub dir: PathBuf,
    pub ast: ast::File,
    /// The files this one `use`s: (index into the unit list, the `use` statement).
    pub uses: Vec<(usize, Span)>,
    pub is_root: bool,
}

#[derive(Clone, Copy, Debug)]
enum Binding {
    Inst(InstId),
    /// (unit, item index) of a spindle definition.
    Spindle(usize, usize),
}

#[derive(Clone)]
enum Local {
    Value(ExprId),
    Strand {
        outputs: Vec<String>,
        values: Vec<ExprId>,
    },
}

struct Env {
    unit: usize,
    locals: HashMap<String, Local>,
}

/// Lowered values of an expression: usually one; several for tuples, sources and
/// spindles returning tuples. `prefix` marks values of a multi-output builtin, of
/// which a definition may take the first few.
struct Vals {
    ids: Vec<ExprId>,
    prefix: bool,
}

impl Vals {
    fn one(id: ExprId) -> Vals {
        Vals {
            ids: vec![id],
            prefix: false,
        }
    }
}

struct Lowerer<'a> {
    units: &'a [FileUnit],
    scopes: Vec<HashMap<String, Binding>>,
    prog: Program,
    diags: Vec<Diagnostic>,
    /// Spindles being inlined, innermost last.
    stack: Vec<(usize, usize)>,
    /// The instance whose value is being lowered (names `param`s).
    current: Option<InstId>,
    params_in_current: u32,
    /// Checking a spindle body on its own: no params or sources are recorded.
    dry_run: bool,
}

/// Lowers a build's files (imports before the files that use them; the root last).
pub(crate) fn lower(units: &[FileUnit]) -> (Option<Program>, Vec<Diagnostic>) {
    let mut l = Lowerer {
        units,
        scopes: vec![HashMap::new(); units.len()],
        prog: Program::default(),
        diags: Vec::new(),
        stack: Vec::new(),
        current: None,
        params_in_current: 0,
        dry_run: false,
    };
    l.prog.coords = coord::NAMES.iter().map(|s| s.to_string()).collect();
    l.declare();
    l.check_spindles();
    l.lower_instances();
    l.lower_root();
    l.finish_deps();
    let mut diags = l.diags;
    dedup(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        (None, diags)
    } else {
        (Some(l.prog), diags)
    }
}

fn dedup(diags: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diags.retain(|d| {
        seen.insert((
            d.code,
            d.span.map(|s| (s.file, s.start, s.end)),
            d.message.clone(),
        ))
    });
}

/// The strand definitions of a file, with the segment each is in.
fn strands(file: &ast::File) -> Vec<(&ast::Item, &ast::StrandDef, Option<usize>)> {
    let mut out = Vec::new();
    let mut segment = 0;
    for item in &file.items {
        match &item.kind {
            ItemKind::Strand(def) => out.push((item, def, None)),
            ItemKind::Segment(seg) => {
                for inner in &seg.items {
                    if let ItemKind::Strand(def) = &inner.kind {
                        out.push((inner, def, Some(segment)));
                    }
                }
                segment += 1;
            }
            _ => {}
        }
    }
    out
}

impl<'a> Lowerer<'a> {
    fn error(&mut self, code: Code, span: Span, message: impl Into<String>) {
        self.diags.push(Diagnostic::error(code, span, message));
    }

    fn push(&mut self, e: Expr) -> ExprId {
        self.prog.exprs.push(e);
        ExprId(self.prog.exprs.len() as u32 - 1)
    }

    /// Creates an instance for every strand and binds every name of every file.
    fn declare(&mut self) {
        let mut defined: Vec<HashMap<String, Span>> = vec![HashMap::new(); self.units.len()];
        for (u, unit) in self.units.iter().enumerate() {
            for (item, def, segment) in strands(&unit.ast) {
                if def.name.name == "me" {
                    continue;
                }
                if segment.is_some() && !unit.is_root {
                    continue;
                }
                if let Some(prev) = defined[u].get(&def.name.name) {
                    let prev = *prev;
                    self.diags.push(
                        Diagnostic::error(
                            Code::DuplicateDefinition,
                            def.name.span,
                            format!("`{}` is defined twice", def.name.name),
                        )
                        .with_note(format!("first defined at byte {}", prev.start)),
                    );
                    continue;
                }
                let mut seen_out: Vec<&str> = Vec::new();
                for o in &def.outputs {
                    if seen_out.contains(&o.name.as_str()) {
                        self.error(
                            Code::DuplicateDefinition,
                            o.span,
                            format!("output `{}` is listed twice", o.name),
                        );
                    }
                    seen_out.push(&o.name);
                }
                defined[u].insert(def.name.name.clone(), def.name.span);
                let id = InstId(self.prog.instances.len() as u32);
                self.prog.instances.push(Instance {
                    name: def.name.name.clone(),
                    name_span: def.name.span,
                    span: item.span,
                    file: unit.id,
                    imported: !unit.is_root,
                    segment: segment.map(|s| SegmentId(s as u32)),
                    outputs: def.outputs.iter().map(|o| o.name.clone()).collect(),
                    values: Vec::new(),
                    prose: item.prose.clone(),
                    deps: Vec::new(),
                    sources: Vec::new(),
                });
                self.scopes[u].insert(def.name.name.clone(), Binding::Inst(id));
            }
            for (idx, item) in unit.ast.items.iter().enumerate() {
                if let ItemKind::Spindle(sp) = &item.kind {
                    if defined[u].contains_key(&sp.name.name) {
                        self.error(
                            Code::DuplicateDefinition,
                            sp.name.span,
                            format!("`{}` is defined twice", sp.name.name),
                        );
                        continue;
                    }
                    defined[u].insert(sp.name.name.clone(), sp.name.span);
                    self.scopes[u].insert(sp.name.name.clone(), Binding::Spindle(u, idx));
                }
            }
        }
        // Imports: a used file's top-level strands and spindles.
        for (u, unit) in self.units.iter().enumerate() {
            let mut from: HashMap<String, usize> = HashMap::new();
            for &(j, span) in &unit.uses {
                let exported: Vec<(String, Binding)> = self.exports(j);
                for (name, binding) in exported {
                    if defined[u].contains_key(&name) {
                        self.error(
                            Code::ImportCollision,
                            span,
                            format!("`{name}` from this file collides with a definition of the same name here"),
                        );
                    } else if let Some(&other) = from.get(&name) {
                        if other != j {
                            self.error(
                                Code::ImportCollision,
                                span,
                                format!("`{name}` from this file collides with `{name}` from an earlier `use`"),
                            );
                        }
                    } else {
                        from.insert(name.clone(), j);
                        self.scopes[u].insert(name, binding);
                    }
                }
            }
        }
    }

    fn exports(&self, unit: usize) -> Vec<(String, Binding)> {
        let mut out = Vec::new();
        for item in &self.units[unit].ast.items {
            let name = match &item.kind {
                ItemKind::Strand(def) if def.name.name != "me" => &def.name.name,
                ItemKind::Spindle(sp) => &sp.name.name,
                _ => continue,
            };
            if let Some(b) = self.scopes[unit].get(name) {
                out.push((name.clone(), *b));
            }
        }
        out
    }

    /// Lowers every spindle body once on its own, so mistakes in spindles that are
    /// never called are still reported; then forgets what it built.
    fn check_spindles(&mut self) {
        let saved = (self.prog.exprs.len(), self.prog.coords.len());
        self.dry_run = true;
        for (u, unit) in self.units.iter().enumerate() {
            for (idx, item) in unit.ast.items.iter().enumerate() {
                if let ItemKind::Spindle(sp) = &item.kind {
                    let zero = self.push(Expr::Const(0.0));
                    let args: Vec<ExprId> = sp.params.iter().map(|_| zero).collect();
                    let _ = self.inline_body(u, idx, &args, sp.name.span);
                }
            }
        }
        self.dry_run = false;
        self.prog.exprs.truncate(saved.0);
        self.prog.coords.truncate(saved.1);
    }

    fn lower_instances(&mut self) {
        let mut next = 0usize;
        for (u, unit) in self.units.iter().enumerate() {
            for (_, def, segment) in strands(&unit.ast) {
                if def.name.name == "me" || (segment.is_some() && !unit.is_root) {
                    continue;
                }
                let Some(Binding::Inst(id)) = self.scopes[u].get(&def.name.name).copied() else {
                    continue;
                };
                if id.0 as usize != next {
                    // A duplicate: the first definition owns the instance.
                    continue;
                }
                next += 1;
                self.current = Some(id);
                self.params_in_current = 0;
                let env = Env {
                    unit: u,
                    locals: HashMap::new(),
                };
                if let Some(values) = self.definition(&env, def) {
                    self.prog.instances[id.0 as usize].values = values;
                }
                self.current = None;
            }
        }
    }

    /// Lowers a definition's value and checks it against the output list.
    fn definition(&mut self, env: &Env, def: &ast::StrandDef) -> Option<Vec<ExprId>> {
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

    fn scalar(&mut self, env: &Env, e: &ast::Expr) -> Option<ExprId> {
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

    fn coord(&mut self, dim: &str) -> CoordId {
        match self.prog.coords.iter().position(|c| c == dim) {
            Some(i) => CoordId(i as u32),
            None => {
                self.prog.coords.push(dim.to_string());
                CoordId(self.prog.coords.len() as u32 - 1)
            }
        }
    }

    fn expr(&mut self, env: &Env, e: &ast::Expr) -> Option<Vals> {
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
            ExprKind::Binary { op, lhs, rhs } => {
                let a = self.scalar(env, lhs);
                let b = self.scalar(env, rhs);
                Some(Vals::one(self.push(Expr::Binary(*op, a?, b?))))
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
                    let c = self.coord(&arg.dim.name);
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

    fn name(&mut self, env: &Env, name: &str, span: Span) -> Option<ExprId> {
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
                let outputs = self.prog.instances[inst.0 as usize].outputs.clone();
                if outputs.len() == 1 {
                    Some(self.push(Expr::Ref { inst, out: 0 }))
                } else {
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

    fn ambiguous(&mut self, name: &str, outputs: &[String], span: Span) {
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

    fn access(&mut self, env: &Env, inst: &Ident, out: &Ident) -> Option<ExprId> {
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
                let c = self.coord(&out.name);
                Some(self.push(Expr::Coord(c)))
            }
            "mouse" => match out.name.as_str() {
                "x" => Some(self.push(Expr::Uniform(Uniform::MouseX))),
                "y" => Some(self.push(Expr::Uniform(Uniform::MouseY))),
                _ => {
                    self.error(
                        Code::UnknownOutput,
                        out.span,
                        format!("`mouse` has outputs `x` and `y`, not `{}`", out.name),
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
                    self.error(
                        Code::UnknownName,
                        inst.span,
                        format!("unknown instance `{}`", inst.name),
                    );
                    None
                }
            },
        }
    }

    fn unknown_output(&mut self, inst: &str, outputs: &[String], out: &Ident) {
        self.error(
            Code::UnknownOutput,
            out.span,
            format!(
                "`{inst}` has no output `{}`; its outputs: {}",
                out.name,
                outputs.join(", ")
            ),
        );
    }

    fn call(&mut self, env: &Env, callee: &Ident, args: &[ast::Expr], span: Span) -> Option<Vals> {
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
            let mut ids = Vec::with_capacity(args.len());
            let mut ok = true;
            for a in args {
                match self.scalar(env, a) {
                    Some(id) => ids.push(id),
                    None => ok = false,
                }
            }
            if !ok {
                return None;
            }
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
        self.error(
            Code::UnknownFunction,
            callee.span,
            format!("unknown function `{name}`"),
        );
        None
    }

    fn source(
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

    fn param(&mut self, env: &Env, args: &[ast::Expr], span: Span) -> Option<ExprId> {
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
        });
        let id = ParamId(self.prog.params.len() as u32 - 1);
        Some(self.push(Expr::Param(id)))
    }

    fn spindle_call(
        &mut self,
        env: &Env,
        callee: &Ident,
        (u, idx): (usize, usize),
        args: &[ast::Expr],
        span: Span,
    ) -> Option<Vals> {
        let ItemKind::Spindle(sp) = &self.units[u].ast.items[idx].kind else {
            return None;
        };
        if self.stack.contains(&(u, idx)) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .skip_while(|s| **s != (u, idx))
                .map(|&(su, si)| match &self.units[su].ast.items[si].kind {
                    ItemKind::Spindle(s) => s.name.name.clone(),
                    _ => String::new(),
                })
                .collect();
            self.error(
                Code::Recursion,
                callee.span,
                format!(
                    "spindle `{}` calls itself ({} → {}); spindles are inlined, so recursion is not allowed",
                    callee.name,
                    chain.join(" → "),
                    callee.name
                ),
            );
            return None;
        }
        if args.len() != sp.params.len() {
            self.error(
                Code::SpindleArity,
                span,
                format!(
                    "spindle `{}` takes {} argument{}, got {}",
                    callee.name,
                    sp.params.len(),
                    if sp.params.len() == 1 { "" } else { "s" },
                    args.len()
                ),
            );
            return None;
        }
        if self.stack.len() >= MAX_INLINE_DEPTH {
            self.error(
                Code::TooDeep,
                span,
                format!("spindle calls nest deeper than {MAX_INLINE_DEPTH} levels"),
            );
            return None;
        }
        let mut ids = Vec::with_capacity(args.len());
        for a in args {
            ids.push(self.scalar(env, a)?);
        }
        self.inline_body(u, idx, &ids, callee.span)
    }

    /// Lowers a spindle body with its parameters bound to `args`.
    fn inline_body(&mut self, u: usize, idx: usize, args: &[ExprId], call: Span) -> Option<Vals> {
        let ItemKind::Spindle(sp) = &self.units[u].ast.items[idx].kind else {
            return None;
        };
        let mut env = Env {
            unit: u,
            locals: HashMap::new(),
        };
        for (p, a) in sp.params.iter().zip(args) {
            if env
                .locals
                .insert(p.name.clone(), Local::Value(*a))
                .is_some()
            {
                self.error(
                    Code::DuplicateDefinition,
                    p.span,
                    format!("parameter `{}` is listed twice", p.name),
                );
            }
        }
        self.stack.push((u, idx));
        let result = self.body(&mut env, sp, call);
        self.stack.pop();
        result
    }

    fn body(&mut self, env: &mut Env, sp: &ast::SpindleDef, call: Span) -> Option<Vals> {
        let declared: Vec<String> = sp
            .outputs
            .as_ref()
            .map(|o| o.iter().map(|i| i.name.clone()).collect())
            .unwrap_or_default();
        let mut assigned: Vec<Option<ExprId>> = vec![None; declared.len()];
        let mut ok = true;
        // `return` ends the body: anything after it would never be used (or checked).
        if let Some(i) = sp
            .body
            .iter()
            .position(|s| matches!(s, SpindleStmt::Return(_)))
        {
            if let Some(next) = sp.body.get(i + 1) {
                let span = match next {
                    SpindleStmt::Strand(def) => def.name.span,
                    SpindleStmt::Assign(a) => a.span,
                    SpindleStmt::Return(e) => e.span,
                };
                self.error(
                    Code::UnexpectedToken,
                    span,
                    format!(
                        "nothing may follow `return` in spindle `{}`: `return` is its last statement",
                        sp.name.name
                    ),
                );
                ok = false;
            }
        }
        for stmt in &sp.body {
            match stmt {
                SpindleStmt::Strand(def) => match self.definition(env, def) {
                    Some(values) => {
                        env.locals.insert(
                            def.name.name.clone(),
                            Local::Strand {
                                outputs: def.outputs.iter().map(|o| o.name.clone()).collect(),
                                values,
                            },
                        );
                    }
                    None => ok = false,
                },
                SpindleStmt::Assign(a) => {
                    let Some(mut value) = self.scalar(env, &a.value) else {
                        ok = false;
                        continue;
                    };
                    if let Some(op) = a.op {
                        let Some(old) = self.name(env, &a.target.name, a.target.span) else {
                            ok = false;
                            continue;
                        };
                        value = self.push(Expr::Binary(op, old, value));
                    }
                    let slot = declared.iter().position(|d| *d == a.target.name);
                    match (a.kind, slot) {
                        (AssignKind::Out, None) => {
                            self.error(
                                Code::UnknownOutput,
                                a.target.span,
                                format!(
                                    "`out {}`: spindle `{}` declares no output `{}`",
                                    a.target.name, sp.name.name, a.target.name
                                ),
                            );
                            ok = false;
                        }
                        (AssignKind::Out | AssignKind::Plain, Some(i)) => assigned[i] = Some(value),
                        _ => {}
                    }
                    env.locals
                        .insert(a.target.name.clone(), Local::Value(value));
                }
                SpindleStmt::Return(e) => {
                    let vals = self.expr(env, e)?;
                    if !declared.is_empty() && vals.ids.len() != declared.len() {
                        self.error(
                            Code::OutputCount,
                            e.span,
                            format!(
                                "spindle `{}` declares {} output{} but its `return` gives {}",
                                sp.name.name,
                                declared.len(),
                                if declared.len() == 1 { "" } else { "s" },
                                vals.ids.len()
                            ),
                        );
                        return None;
                    }
                    return ok.then_some(Vals {
                        ids: vals.ids,
                        prefix: false,
                    });
                }
            }
        }
        if !ok {
            return None;
        }
        if declared.is_empty() {
            let mut d = Diagnostic::error(
                Code::MissingReturn,
                sp.name.span,
                format!("spindle `{}` has no `return`", sp.name.name),
            );
            // Checking the body on its own (`check_spindles`) has no call to point at.
            if !self.dry_run {
                d = d.with_note(format!("called at byte {}", call.start));
            }
            self.diags.push(d);
            return None;
        }
        let mut ids = Vec::with_capacity(declared.len());
        for (name, value) in declared.iter().zip(&assigned) {
            match value {
                Some(v) => ids.push(*v),
                None => {
                    self.error(
                        Code::MissingReturn,
                        sp.name.span,
                        format!(
                            "spindle `{}` never assigns its output `{name}`",
                            sp.name.name
                        ),
                    );
                    return None;
                }
            }
        }
        Some(Vals { ids, prefix: false })
    }

    /// The root file's settings, segments and outputs.
    fn lower_root(&mut self) {
        let Some(u) = self.units.iter().position(|u| u.is_root) else {
            return;
        };
        let unit = &self.units[u];
        self.prog.root = unit.id;
        let env = Env {
            unit: u,
            locals: HashMap::new(),
        };
        let mut top_outputs: Vec<Span> = Vec::new();
        let mut segment_spans: Vec<Span> = Vec::new();
        let mut start = 0.0;
        for item in &unit.ast.items {
            match &item.kind {
                ItemKind::Strand(def) if def.name.name == "me" => self.setting(&env, def),
                ItemKind::Output(out) => {
                    top_outputs.push(item.span);
                    self.sink(&env, out, item, None);
                }
                ItemKind::Segment(seg) => {
                    segment_spans.push(item.span);
                    let id = SegmentId(self.prog.segments.len() as u32);
                    if !(seg.duration.is_finite() && seg.duration > 0.0) {
                        self.error(
                            Code::BadDuration,
                            seg.duration_span,
                            format!(
                                "segment `{}` must last a positive number of seconds",
                                seg.name.name
                            ),
                        );
                    }
                    if self.prog.segments.iter().any(|s| s.name == seg.name.name) {
                        self.error(
                            Code::DuplicateDefinition,
                            seg.name.span,
                            format!("segment `{}` is defined twice", seg.name.name),
                        );
                    }
                    self.prog.segments.push(Segment {
                        name: seg.name.name.clone(),
                        span: item.span,
                        duration: seg.duration,
                        start,
                    });
                    start += seg.duration.max(0.0);
                    for inner in &seg.items {
                        match &inner.kind {
                            ItemKind::Output(out) => self.sink(&env, out, inner, Some(id)),
                            ItemKind::Strand(def) if def.name.name == "me" => self.error(
                                Code::UnexpectedToken,
                                def.name.span,
                                "settings (`me<…> = …`) belong at the top level, not inside a segment",
                            ),
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if let (Some(first), false) = (top_outputs.first(), segment_spans.is_empty()) {
            self.diags.push(
                Diagnostic::error(
                    Code::MixedSegments,
                    *first,
                    "this file has segments, so its outputs belong inside them",
                )
                .with_note("a file has either segments or top-level outputs, not both"),
            );
        }
        // One display and one play per scope.
        let mut seen: HashMap<(OutputKind, Option<SegmentId>), Span> = HashMap::new();
        let dups: Vec<Span> = self
            .prog
            .sinks
            .iter()
            .filter(|s| s.kind != OutputKind::Osc)
            .filter_map(|s| seen.insert((s.kind, s.segment), s.span).map(|_| s.span))
            .collect();
        for span in dups {
            self.error(
                Code::DuplicateOutput,
                span,
                "a second output of this kind in the same scope; combine them into one",
            );
        }
    }

    fn setting(&mut self, env: &Env, def: &ast::StrandDef) {
        let Some(values) = self.definition(env, def) else {
            return;
        };
        for (name, value) in def.outputs.iter().zip(values) {
            let v = self.prog.const_value(value);
            let Some(v) = v.filter(|v| v.is_finite()) else {
                self.error(
                    Code::NotConstant,
                    def.value.span,
                    format!("the setting `me<{}>` must be a constant number", name.name),
                );
                continue;
            };
            let positive_int =
                |limit: f64| (v >= 1.0 && v <= limit && v.fract() == 0.0).then_some(v as u32);
            let s = &mut self.prog.settings;
            let set = match name.name.as_str() {
                "width" => s.width.is_some(),
                "height" => s.height.is_some(),
                "rate" => s.rate.is_some(),
                "fps" => s.fps.is_some(),
                "loop" => s.loop_len.is_some(),
                "bpm" => s.bpm.is_some(),
                _ => false,
            };
            if set {
                self.error(
                    Code::DuplicateDefinition,
                    name.span,
                    format!("the setting `me<{}>` is set twice", name.name),
                );
                continue;
            }
            let s = &mut self.prog.settings;
            let ok = match name.name.as_str() {
                "width" => positive_int(16384.0).map(|w| s.width = Some(w)).is_some(),
                "height" => positive_int(16384.0).map(|h| s.height = Some(h)).is_some(),
                "rate" => positive_int(384_000.0).map(|r| s.rate = Some(r)).is_some(),
                "fps" => (v > 0.0 && v <= 1000.0).then(|| s.fps = Some(v)).is_some(),
                "loop" => (v > 0.0).then(|| s.loop_len = Some(v)).is_some(),
                "bpm" => (v > 0.0).then(|| s.bpm = Some(v)).is_some(),
                other => {
                    self.error(
                        Code::UnknownSetting,
                        name.span,
                        format!("unknown setting `me<{other}>`; settings are width, height, fps, rate, loop, bpm"),
                    );
                    continue;
                }
            };
            if !ok {
                self.error(
                    Code::NotConstant,
                    def.value.span,
                    format!("`me<{}>` = {v} is out of range", name.name),
                );
            }
        }
    }

    fn sink(
        &mut self,
        env: &Env,
        out: &ast::OutputStmt,
        item: &ast::Item,
        segment: Option<SegmentId>,
    ) {
        let mut ids = Vec::new();
        let mut prefix = false;
        for a in &out.args {
            match self.expr(env, a) {
                Some(v) => {
                    prefix = out.args.len() == 1 && v.prefix;
                    ids.extend(v.ids)
                }
                None => return,
            }
        }
        let kw = &out.keyword.name;
        let allowed: &[usize] = match out.kind {
            OutputKind::Display => &[1, 3],
            OutputKind::Play => &[1, 2],
            OutputKind::Osc => &[],
        };
        if out.kind == OutputKind::Osc {
            if ids.is_empty() {
                self.error(
                    Code::OutputArgs,
                    item.span,
                    "`osc` needs an address and at least one value",
                );
                return;
            }
        } else if !allowed.contains(&ids.len()) {
            let fits = allowed.iter().rev().find(|&&n| n < ids.len()).copied();
            match fits {
                Some(n) if prefix => ids.truncate(n),
                _ => {
                    let what = if out.kind == OutputKind::Display {
                        "1 value (gray) or 3 (r, g, b)"
                    } else {
                        "1 value (mono) or 2 (left, right)"
                    };
                    self.error(
                        Code::OutputArgs,
                        item.span,
                        format!("`{kw}` takes {what}, got {}", ids.len()),
                    );
                    return;
                }
            }
        }
        self.prog.sinks.push(Sink {
            kind: out.kind,
            span: item.span,
            address: out.address.as_ref().map(|a| a.0.clone()),
            values: ids,
            segment,
            prose: item.prose.clone(),
            deps: Vec::new(),
        });
    }

    fn finish_deps(&mut self) {
        let walk = |prog: &Program, roots: &[ExprId]| {
            let mut deps: Vec<InstId> = Vec::new();
            let mut sources: Vec<SourceId> = Vec::new();
            for e in prog.reachable(roots) {
                match prog.expr(e) {
                    Expr::Ref { inst, .. } if !deps.contains(inst) => deps.push(*inst),
                    Expr::Source { source, .. } if !sources.contains(source) => {
                        sources.push(*source)
                    }
                    _ => {}
                }
            }
            (deps, sources)
        };
        for i in 0..self.prog.instances.len() {
            let (deps, sources) = walk(&self.prog, &self.prog.instances[i].values);
            self.prog.instances[i].deps = deps;
            self.prog.instances[i].sources = sources;
        }
        for i in 0..self.prog.sinks.len() {
            let (deps, _) = walk(&self.prog, &self.prog.sinks[i].values);
            self.prog.sinks[i].deps = deps;
        }
    }
}
