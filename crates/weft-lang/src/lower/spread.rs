//! The playground's component-wise definition: `c<r, g, b> = img * 0.5`, where a
//! bare name of an instance with several outputs is read at the output being
//! defined. Each output gets its own copy of the value, so the copies are
//! counted against the size budget before any is made.

use super::{Binding, Env, Lowerer};
use crate::ast::{self, Ident};
use crate::ir::ExprId;

impl Lowerer<'_> {
    /// The playground's component-wise definition: `c<r, g, b> = img * 0.5`, where
    /// `img` (a bare name of an instance with several outputs) means `img@r` in
    /// `c@r`, `img@g` in `c@g` …; `None` when the value names no such instance.
    pub(super) fn componentwise(
        &mut self,
        env: &Env,
        def: &ast::StrandDef,
    ) -> Option<Option<Vec<ExprId>>> {
        let mut spread: Vec<String> = Vec::new();
        let mut stack = vec![&def.value];
        let mut size = 0usize;
        while let Some(e) = stack.pop() {
            size += 1;
            match &e.kind {
                ast::ExprKind::Name(n) if !env.locals.contains_key(n) => {
                    if let Some(Binding::Inst(id)) = self.scopes[env.unit].get(n) {
                        if self.prog.instances[id.0 as usize].outputs.len() > 1
                            && !spread.contains(n)
                        {
                            spread.push(n.clone());
                        }
                    }
                }
                ast::ExprKind::Unary { expr, .. } => stack.push(expr),
                ast::ExprKind::Binary { lhs, rest } => {
                    stack.push(lhs);
                    stack.extend(rest.iter().map(|(_, e)| e));
                }
                ast::ExprKind::Call { args, .. } => stack.extend(args.iter()),
                ast::ExprKind::If {
                    cond,
                    then,
                    otherwise,
                } => stack.extend([&**cond, &**then, &**otherwise]),
                _ => {}
            }
        }
        if spread.is_empty() {
            return None;
        }
        // Each output gets its own copy of the value: bound before copying.
        if size.saturating_mul(def.outputs.len()) > crate::ir::MAX_NODES {
            self.diags.push(super::too_large(
                def.value.span,
                format!(
                    "`{}` spreads a value of {size} operations over {} outputs, more than {} in all",
                    def.name.name,
                    def.outputs.len(),
                    crate::ir::MAX_NODES
                ),
            ));
            return Some(None);
        }
        let mut ids = Vec::with_capacity(def.outputs.len());
        for out in &def.outputs {
            let value = read_at(&def.value, &spread, out);
            match self.scalar(env, &value) {
                Some(id) => ids.push(id),
                None => return Some(None),
            }
        }
        Some(Some(ids))
    }
}

/// `e` with every bare name in `spread` read at output `out` (`img` → `img@out`).
fn read_at(e: &ast::Expr, spread: &[String], out: &Ident) -> ast::Expr {
    use ast::ExprKind as K;
    let at = |e: &ast::Expr| Box::new(read_at(e, spread, out));
    let kind = match &e.kind {
        K::Name(n) if spread.contains(n) => K::Access {
            inst: Ident {
                name: n.clone(),
                span: e.span,
            },
            out: Ident {
                name: out.name.clone(),
                span: e.span,
            },
        },
        K::Unary { op, expr } => K::Unary {
            op: *op,
            expr: at(expr),
        },
        K::Binary { lhs, rest } => K::Binary {
            lhs: at(lhs),
            rest: rest
                .iter()
                .map(|(op, e)| (*op, read_at(e, spread, out)))
                .collect(),
        },
        K::Call { callee, args } => K::Call {
            callee: callee.clone(),
            args: args.iter().map(|a| read_at(a, spread, out)).collect(),
        },
        K::If {
            cond,
            then,
            otherwise,
        } => K::If {
            cond: at(cond),
            then: at(then),
            otherwise: at(otherwise),
        },
        other => other.clone(),
    };
    ast::Expr { kind, span: e.span }
}
