//! The playground's statement forms that are not expressions: control pragmas
//! (`#slider name<o> = 0, 1, 0.5 "label"`), the multi-call binding
//! `f<3>(a, <b1, b2, b3>)::inst<p, q, r>` (normalized here into one definition of
//! three calls) and named display arguments `display(r: e1, b: e2)` (normalized
//! into `display(e1, 0, e2)`).

use super::expr::{unbox, Ctx};
use super::lexer::Tok;
use super::parser::{PResult, Parser};
use crate::ast::{ControlDef, ControlKind, Expr, ExprKind, Ident, ItemKind, OutputKind, StrandDef};
use weft_diagnostics::{Code, Span};

/// How many calls one multi-call binding may make.
pub(crate) const MAX_CALLS: usize = 64;

/// The constants a bare name in a multi-call argument may mean (anything else is
/// an instance, read at the output being defined).
const CONSTANTS: [&str; 3] = ["pi", "tau", "e"];

impl Parser<'_> {
    /// `#kind name<outputs> = values "label"` (the `#` is current).
    pub(super) fn control(&mut self) -> PResult<ItemKind> {
        self.bump();
        let keyword = self.name("the control type after `#`")?;
        let Some(kind) = ControlKind::from_word(&keyword.name) else {
            let words = ControlKind::ALL.map(ControlKind::as_str);
            let hint = match weft_diagnostics::closest(&keyword.name, words.iter().copied()) {
                Some(near) => format!("; did you mean `#{near}`?"),
                None => String::new(),
            };
            return Err(self.error(
                Code::ControlPragma,
                keyword.span,
                format!(
                    "`#{}` is not a control: weft knows `#{}`{hint}",
                    keyword.name,
                    words.join("`, `#")
                ),
            ));
        };
        let name = self.name("the control's name after its type")?;
        if !self.at(&Tok::Lt) {
            return Err(self.expected(&format!("`<` and the output names after `{}`", name.name)));
        }
        let outputs = self.output_list("the output list")?;
        let mut values = Vec::new();
        let mut label = self.label();
        if label.is_none() && self.eat(&Tok::Eq) {
            loop {
                label = self.label();
                if label.is_some() {
                    break;
                }
                values.push(*self.expr(Ctx::default())?.expr);
                if !self.eat(&Tok::Comma) {
                    label = self.label();
                    break;
                }
            }
        }
        Ok(ItemKind::Control(ControlDef {
            kind,
            keyword,
            name,
            outputs,
            values,
            label,
        }))
    }

    fn label(&mut self) -> Option<(String, Span)> {
        let Tok::Str(text) = self.kind().clone() else {
            return None;
        };
        let span = self.span();
        self.bump();
        Some((text, span))
    }

    /// True at `(name:`, output arguments given by name.
    pub(super) fn at_named_output(&self) -> bool {
        matches!(self.kind(), Tok::LParen)
            && matches!(self.kind_at(1), Tok::Ident)
            && matches!(self.kind_at(2), Tok::Colon)
    }

    /// `(r: e, g: e, b: e)` or `(rgb: e)` after `display`/`render` (the `(` is
    /// current): the three channels in order, a missing one 0.
    pub(super) fn named_output_args(
        &mut self,
        keyword: &Ident,
        kind: OutputKind,
    ) -> PResult<Vec<Expr>> {
        let open = self.span();
        self.bump();
        let mut channels: [Option<Expr>; 3] = [None, None, None];
        loop {
            if self.eat(&Tok::RParen) {
                break;
            }
            let name = self.name("an output argument's name (`r`, `g`, `b` or `rgb`)")?;
            if !self.eat(&Tok::Colon) {
                return Err(self.expected(&format!("`:` after `{}`", name.name)));
            }
            let value = *self.expr(Ctx::default())?.expr;
            let slots: &[usize] = match name.name.as_str() {
                "r" => &[0],
                "g" => &[1],
                "b" => &[2],
                "rgb" => &[0, 1, 2],
                _ => &[],
            };
            if kind != OutputKind::Display || slots.is_empty() {
                return Err(self.error(
                    Code::OutputArgs,
                    name.span,
                    format!(
                        "`{}` takes no argument named `{}`: only `display` (and `render`) name theirs, `r`, `g`, `b` or `rgb`",
                        keyword.name, name.name
                    ),
                ));
            }
            for &i in slots {
                if channels[i].is_some() {
                    return Err(self.error(
                        Code::OutputArgs,
                        name.span,
                        format!("the channel `{}` is given twice", ["r", "g", "b"][i]),
                    ));
                }
                channels[i] = Some(value.clone());
            }
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RParen, open, "the argument list")?;
            break;
        }
        let zero = Expr {
            kind: ExprKind::Number(0.0),
            span: keyword.span,
        };
        Ok(channels
            .into_iter()
            .map(|c| c.unwrap_or_else(|| zero.clone()))
            .collect())
    }

    /// True at `name<3>(`, the start of a multi-call binding.
    pub(super) fn at_multi_call(&self) -> bool {
        matches!(self.kind_at(1), Tok::Lt)
            && matches!(self.kind_at(2), Tok::Number(_))
            && matches!(self.kind_at(3), Tok::Gt)
            && matches!(self.kind_at(4), Tok::LParen)
    }

    /// `f<N>(args)::inst<o1, …, oN>`: N calls of `f`; a bundle argument gives the
    /// i-th call its i-th value (one value goes to every call), a bare instance
    /// name is read at the i-th output's name, anything else goes to every call.
    pub(super) fn multi_call(&mut self) -> PResult<StrandDef> {
        let start = self.span();
        let callee = self.name("a spindle or builtin name")?;
        self.bump();
        let count_span = self.span();
        let Tok::Number(count) = *self.kind() else {
            return Err(self.expected("the number of calls"));
        };
        self.bump();
        self.bump();
        let (args, _) = unbox(self.arguments(false)?);
        if !self.eat(&Tok::ColonColon) {
            return Err(self.expected("`::` and the instance after a multi-call"));
        }
        let name = self.name("the instance name after `::`")?;
        let outputs = self.output_list("the output list")?;
        let n = count as usize;
        if count.fract() != 0.0 || !(1.0..=MAX_CALLS as f64).contains(&count) {
            return Err(self.error(
                Code::OutputCount,
                count_span,
                format!("a multi-call makes 1 to {MAX_CALLS} calls: `{count}` is not a count"),
            ));
        }
        if outputs.len() != n {
            return Err(self.error(
                Code::OutputCount,
                count_span,
                format!(
                    "`{}<{n}>` makes {n} calls but `{}` declares {} outputs",
                    callee.name,
                    name.name,
                    outputs.len()
                ),
            ));
        }
        let mut calls = Vec::with_capacity(n);
        for (i, out) in outputs.iter().enumerate() {
            let mut call_args = Vec::with_capacity(args.len());
            for arg in &args {
                call_args.push(self.spread(arg, i, n, out)?);
            }
            calls.push(Expr {
                kind: ExprKind::Call {
                    callee: callee.clone(),
                    args: call_args,
                },
                span: self.since(start),
            });
        }
        let span = self.since(start);
        let value = if calls.len() == 1 {
            calls.pop().unwrap_or(Expr {
                kind: ExprKind::Error,
                span,
            })
        } else {
            Expr {
                kind: ExprKind::Tuple(calls),
                span,
            }
        };
        Ok(StrandDef {
            name,
            outputs,
            value,
        })
    }

    /// Argument `arg` as the `i`-th of `n` calls sees it.
    fn spread(&mut self, arg: &Expr, i: usize, n: usize, out: &Ident) -> PResult<Expr> {
        match &arg.kind {
            ExprKind::Tuple(items) if items.len() == n => Ok(items[i].clone()),
            ExprKind::Tuple(items) => Err(self.error(
                Code::OutputCount,
                arg.span,
                format!(
                    "this bundle has {} values but the multi-call makes {n} calls",
                    items.len()
                ),
            )),
            ExprKind::Name(inst) if !CONSTANTS.contains(&inst.as_str()) => Ok(Expr {
                kind: ExprKind::Access {
                    inst: Ident {
                        name: inst.clone(),
                        span: arg.span,
                    },
                    out: Ident {
                        name: out.name.clone(),
                        span: arg.span,
                    },
                },
                span: arg.span,
            }),
            _ => Ok(arg.clone()),
        }
    }
}
