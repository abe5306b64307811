//! Spindles: inlining a call with its arguments bound, and checking every body.

use super::calls::MAX_INLINE_DEPTH;
use super::{Env, Local, Lowerer, Vals};
use crate::ast::{self, AssignKind, Ident, ItemKind, SpindleStmt};
use crate::ir::{Expr, ExprId};
use std::collections::HashMap;
use weft_diagnostics::{Code, Diagnostic, Span};

impl Lowerer<'_> {
    /// Lowers every spindle body once on its own, so mistakes in spindles that are
    /// never called are still reported; then forgets what it built.
    pub(super) fn check_spindles(&mut self) {
        let saved = (self.prog.exprs.len(), self.prog.coords.len());
        self.dry_run = true;
        for (u, unit) in self.units.iter().enumerate() {
            for (idx, item) in unit.ast.items.iter().enumerate() {
                if let ItemKind::Spindle(sp) = &item.kind {
                    self.site = sp.name.span;
                    let zero = self.push(Expr::Const(0.0));
                    let args: Vec<ExprId> = sp.params.iter().map(|_| zero).collect();
                    let _ = self.inline_body(u, idx, &args, sp.name.span);
                }
            }
        }
        self.dry_run = false;
        self.prog.exprs.truncate(saved.0);
        self.interned.truncate(saved.0);
        self.inlined.clear();
        self.prog.coords.truncate(saved.1);
        self.coord_ids.retain(|_, c| (c.0 as usize) < saved.1);
    }

    pub(super) fn spindle_call(
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
        let ids = self.scalars(env, args)?;
        self.inline_body(u, idx, &ids, callee.span)
    }

    /// Lowers a spindle body with its parameters bound to `args`, once per
    /// spindle and argument nodes: the same call again is the same result (unless
    /// the body made a `param`, which each call makes anew).
    pub(super) fn inline_body(
        &mut self,
        u: usize,
        idx: usize,
        args: &[ExprId],
        call: Span,
    ) -> Option<Vals> {
        let ItemKind::Spindle(sp) = &self.units[u].ast.items[idx].kind else {
            return None;
        };
        // A blocked spindle's recursion or nesting is reported once already.
        if self.too_large || self.calls.blocked((u, idx)) {
            return None;
        }
        let key = ((u, idx), Box::<[ExprId]>::from(args));
        if let Some(done) = self.inlined.get(&key) {
            return done.clone();
        }
        if self.stack.len() >= MAX_INLINE_DEPTH {
            // The call graph keeps nesting within the limit; this guards the stack
            // should it ever miss a case.
            self.error(
                Code::TooDeep,
                call,
                format!("spindle calls nest deeper than {MAX_INLINE_DEPTH} levels"),
            );
            return None;
        }
        let params = self.prog.params.len();
        let result = self.inline_fresh(u, idx, sp, args, call);
        if self.prog.params.len() == params {
            self.inlined.insert(key, result.clone());
        }
        result
    }

    pub(super) fn inline_fresh(
        &mut self,
        u: usize,
        idx: usize,
        sp: &ast::SpindleDef,
        args: &[ExprId],
        call: Span,
    ) -> Option<Vals> {
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

    pub(super) fn body(&mut self, env: &mut Env, sp: &ast::SpindleDef, call: Span) -> Option<Vals> {
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
}
