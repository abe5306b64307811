//! Remaps: the spec's `target[me@x ~ e, …]` and the playground's
//! `inst@out(me@x ~ e, coord@y ~ e)` and positional `inst@out(e1, e2, e3)`, all
//! normalized to [`ExprKind::Remap`]; indexing `a[i]` is reported as unsupported.

use super::expr::{Ctx, Node};
use super::lexer::Tok;
use super::parser::{PResult, Parser};
use crate::ast::{Expr, ExprKind, Ident, RemapArg};
use weft_diagnostics::Code;

/// The coordinates of a positional playground remap `inst@out(e1, e2, e3)`.
const POSITIONAL_DIMS: [&str; 3] = ["x", "y", "time"];

impl Parser<'_> {
    /// `target[me@x ~ e, …]`; `target[i]` is unsupported indexing.
    #[inline(never)]
    pub(crate) fn bracket_remap(&mut self, target: Node) -> PResult<Node> {
        let open = self.span();
        self.bump();
        let mut args = Vec::new();
        let mut depth = target.depth;
        loop {
            if !args.is_empty() && self.eat(&Tok::RBracket) {
                break;
            }
            let lhs = self.expr(Ctx::default())?;
            if !self.eat(&Tok::Tilde) {
                self.unsupported(
                    open.to(lhs.expr.span),
                    "indexing `a[i]` is not supported by weft yet (a remap is written `a[me@x ~ …]`)",
                );
                self.skip_rest_of_group(Tok::RBracket);
                let span = self.since(target.expr.span);
                return Ok(self.leaf(ExprKind::Error, span));
            }
            let value = self.expr(Ctx::default())?;
            depth = depth.max(value.depth);
            self.remap_arg(lhs, Some(value), false, &mut args, &mut 0);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RBracket, open, "the remap")?;
            break;
        }
        let span = self.since(target.expr.span);
        let kind = ExprKind::Remap {
            target: target.expr,
            args,
        };
        self.node(kind, span, depth + 1, open)
    }

    /// The playground's `inst@out(me@x ~ e, coord@y ~ e)` and `inst@out(e1, e2, e3)`.
    #[inline(never)]
    pub(crate) fn paren_remap(&mut self, target: Node) -> PResult<Node> {
        let open = self.span();
        self.bump();
        let mut args = Vec::new();
        let mut depth = target.depth;
        let mut positional = 0usize;
        loop {
            if self.eat(&Tok::RParen) {
                break;
            }
            let lhs = self.expr(Ctx::default())?;
            if self.eat(&Tok::Tilde) {
                let value = self.expr(Ctx::default())?;
                depth = depth.max(value.depth);
                self.remap_arg(lhs, Some(value), true, &mut args, &mut positional);
            } else {
                depth = depth.max(lhs.depth);
                self.remap_arg(lhs, None, true, &mut args, &mut positional);
            }
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RParen, open, "the remap")?;
            break;
        }
        let span = self.since(target.expr.span);
        let kind = ExprKind::Remap {
            target: target.expr,
            args,
        };
        self.node(kind, span, depth + 1, open)
    }

    /// Adds one remap argument: `lhs ~ value` (the left side `me@dim`, or any
    /// `name@dim` when `any_inst`), or with no `value` the next positional one.
    #[inline(never)]
    fn remap_arg(
        &mut self,
        lhs: Node,
        value: Option<Node>,
        any_inst: bool,
        args: &mut Vec<RemapArg>,
        positional: &mut usize,
    ) {
        let Expr { kind, span } = *lhs.expr;
        let Some(value) = value else {
            match POSITIONAL_DIMS.get(*positional) {
                Some(dim) => args.push(RemapArg {
                    dim: Ident {
                        name: dim.to_string(),
                        span,
                    },
                    value: Expr { kind, span },
                }),
                None => {
                    self.error(
                        Code::BadRemap,
                        span,
                        "a positional remap takes at most three values (`x`, `y`, `time`)",
                    );
                }
            }
            *positional += 1;
            return;
        };
        match kind {
            ExprKind::Access { inst, out } if any_inst || inst.name == "me" => {
                args.push(RemapArg {
                    dim: out,
                    value: *value.expr,
                })
            }
            _ => {
                self.error(
                    Code::BadRemap,
                    span,
                    "the left side of `~` must be a coordinate such as `me@x`",
                );
            }
        }
    }

    /// Skips to the closer of the group whose opener is already consumed.
    #[inline(never)]
    fn skip_rest_of_group(&mut self, closer: Tok) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                Tok::Eof => return,
                k if *k == closer && depth == 0 => {
                    self.bump();
                    return;
                }
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    if depth == 0 {
                        return;
                    }
                    depth -= 1;
                }
                _ => {}
            }
            self.bump();
        }
    }
}
