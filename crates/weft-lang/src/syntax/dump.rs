//! A compact, deterministic S-expression rendering of a tree for snapshot tests.
//!
//! One item per line (a spindle's or segment's inner statements each on their own
//! indented line), prose as `;;` lines above its item. Expressions: numbers with
//! Rust's `{}`, strings quoted, `(@ inst out)`, `(neg e)`, `(not e)`, `(+ a b)` (a
//! run of left-associative operators nested as it associates: `(+ (- a b) c)`),
//! `(call f a …)`, `(tuple a …)`, `(remap t (x e) …)`, `(if c a b)`, `(error)`.
//! Spans are not shown.

use crate::ast::{
    AssignKind, Expr, ExprKind, File, Item, ItemKind, OutputKind, SpindleStmt, StrandDef, UnaryOp,
};
use std::fmt::Write;

/// Renders the whole file.
pub fn dump(file: &File) -> String {
    let mut out = String::new();
    for item in &file.items {
        dump_item(&mut out, item, "");
    }
    out
}

fn dump_item(out: &mut String, item: &Item, indent: &str) {
    if let Some(prose) = &item.prose {
        for line in prose.split('\n') {
            if line.is_empty() {
                let _ = writeln!(out, "{indent};;");
            } else {
                let _ = writeln!(out, "{indent};; {line}");
            }
        }
    }
    out.push_str(indent);
    match &item.kind {
        ItemKind::Use { path, .. } => {
            let _ = write!(out, "(use {path:?})");
        }
        ItemKind::Strand(def) => strand(out, def),
        ItemKind::Output(o) => {
            let name = match o.kind {
                OutputKind::Display => "display",
                OutputKind::Play => "play",
                OutputKind::Osc => "osc",
            };
            out.push('(');
            out.push_str(name);
            if o.keyword.name != name {
                let _ = write!(out, ":{}", o.keyword.name);
            }
            if let Some((address, _)) = &o.address {
                let _ = write!(out, " {address:?}");
            }
            for arg in &o.args {
                out.push(' ');
                expr(out, arg);
            }
            out.push(')');
        }
        ItemKind::Spindle(s) => {
            let _ = write!(out, "(spindle {} ({})", s.name.name, names(&s.params));
            if let Some(outputs) = &s.outputs {
                let _ = write!(out, " -> ({})", names(outputs));
            }
            for stmt in &s.body {
                let _ = write!(out, "\n{indent}  ");
                match stmt {
                    SpindleStmt::Strand(def) => strand(out, def),
                    SpindleStmt::Assign(a) => {
                        let head = match (a.kind, a.op) {
                            (AssignKind::Let, _) => "let".to_string(),
                            (AssignKind::Out, _) => "out".to_string(),
                            (AssignKind::Plain, None) => "=".to_string(),
                            (AssignKind::Plain, Some(op)) => format!("{}=", op.as_str()),
                        };
                        let _ = write!(out, "({head} {} ", a.target.name);
                        expr(out, &a.value);
                        out.push(')');
                    }
                    SpindleStmt::Return(e) => {
                        out.push_str("(return ");
                        expr(out, e);
                        out.push(')');
                    }
                }
            }
            out.push(')');
        }
        ItemKind::Control(c) => {
            let _ = write!(
                out,
                "(#{} {} ({})",
                c.kind.as_str(),
                c.name.name,
                names(&c.outputs)
            );
            for v in &c.values {
                out.push(' ');
                expr(out, v);
            }
            if let Some((label, _)) = &c.label {
                let _ = write!(out, " {label:?}");
            }
            out.push(')');
        }
        ItemKind::Segment(seg) => {
            let _ = write!(out, "(segment {} {}", seg.name.name, seg.duration);
            let inner = format!("{indent}  ");
            for item in &seg.items {
                out.push('\n');
                dump_item(out, item, &inner);
                if out.ends_with('\n') {
                    out.pop();
                }
            }
            out.push(')');
        }
    }
    out.push('\n');
}

fn names(idents: &[crate::ast::Ident]) -> String {
    idents
        .iter()
        .map(|i| i.name.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn strand(out: &mut String, def: &StrandDef) {
    let _ = write!(out, "(strand {} ({}) ", def.name.name, names(&def.outputs));
    expr(out, &def.value);
    out.push(')');
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Number(v) => {
            let _ = write!(out, "{v}");
        }
        ExprKind::String(s) => {
            let _ = write!(out, "{s:?}");
        }
        ExprKind::Name(n) => out.push_str(n),
        ExprKind::Access { inst, out: o } => {
            let _ = write!(out, "(@ {} {})", inst.name, o.name);
        }
        ExprKind::Unary { op, expr: inner } => {
            out.push_str(match op {
                UnaryOp::Neg => "(neg ",
                UnaryOp::Not => "(not ",
            });
            expr(out, inner);
            out.push(')');
        }
        ExprKind::Binary { lhs, rest } => {
            // Nested as it associates: `a - b + c` is `(+ (- a b) c)`.
            for (op, _) in rest.iter().rev() {
                let _ = write!(out, "({} ", op.as_str());
            }
            expr(out, lhs);
            for (_, rhs) in rest {
                out.push(' ');
                expr(out, rhs);
                out.push(')');
            }
        }
        ExprKind::Call { callee, args } => {
            let _ = write!(out, "(call {}", callee.name);
            for a in args {
                out.push(' ');
                expr(out, a);
            }
            out.push(')');
        }
        ExprKind::Tuple(items) => {
            out.push_str("(tuple");
            for a in items {
                out.push(' ');
                expr(out, a);
            }
            out.push(')');
        }
        ExprKind::Remap { target, args } => {
            out.push_str("(remap ");
            expr(out, target);
            for a in args {
                let _ = write!(out, " ({} ", a.dim.name);
                expr(out, &a.value);
                out.push(')');
            }
            out.push(')');
        }
        ExprKind::If {
            cond,
            then,
            otherwise,
        } => {
            out.push_str("(if ");
            expr(out, cond);
            out.push(' ');
            expr(out, then);
            out.push(' ');
            expr(out, otherwise);
            out.push(')');
        }
        ExprKind::Error => out.push_str("(error)"),
    }
}
