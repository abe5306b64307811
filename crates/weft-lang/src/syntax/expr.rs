//! Expressions: precedence climbing over an explicit operator stack (so operator
//! chains never recurse), iterative prefix/`^`/postfix chains, and primaries.
//!
//! Every node carries its tree depth while it is built; a node deeper than
//! [`MAX_DEPTH`] is a `TooDeep` error, and so is recursion (parentheses, brackets,
//! bundles, arguments, `if` branches) deeper than that. A run of left-associative
//! operators of one level (`a + b - c + …`) is one flat node, one level deep
//! however long, so only real nesting counts. Later stages may therefore walk the
//! tree recursively.

use super::lexer::Tok;
use super::parser::{Failed, PResult, Parser, MAX_DEPTH, RESERVED, UNSUPPORTED_CALLS};
use crate::ast::{BinOp, Expr, ExprKind, Ident, UnaryOp};
use weft_diagnostics::{Code, Span};

/// An expression under construction and the depth of its tree.
#[derive(Debug)]
pub(crate) struct Node {
    pub expr: Box<Expr>,
    pub depth: u32,
    /// For an unparenthesized operator run: its precedence level, so a following
    /// operator of the same level joins the run; 0 otherwise.
    pub run: u8,
}

/// Where an expression is parsed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ctx {
    /// `<` `<=` `>` `>=` are comparisons (false inside a bundle `<a, b>`).
    pub angle: bool,
}

impl Default for Ctx {
    fn default() -> Self {
        Ctx { angle: true }
    }
}

/// One step of a prefix/`^` chain: the prefix operators, the operand, and the `^`
/// after it (if any).
type PowerFrame = (Vec<(UnaryOp, Span)>, Node, Option<Span>);

/// The expressions of finished nodes and their greatest depth.
#[inline(never)]
pub(crate) fn unbox(nodes: Vec<Node>) -> (Vec<Expr>, u32) {
    let depth = nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    (nodes.into_iter().map(|n| *n.expr).collect(), depth)
}

impl Parser<'_> {
    /// Builds a node, checking the depth limit (reported at `at`).
    pub(crate) fn node(
        &mut self,
        kind: ExprKind,
        span: Span,
        depth: u32,
        at: Span,
    ) -> PResult<Node> {
        if depth > MAX_DEPTH {
            return Err(self.too_deep(at));
        }
        Ok(Node {
            expr: Box::new(Expr { kind, span }),
            depth,
            run: 0,
        })
    }

    pub(crate) fn leaf(&self, kind: ExprKind, span: Span) -> Node {
        Node {
            expr: Box::new(Expr { kind, span }),
            depth: 1,
            run: 0,
        }
    }

    /// A full expression (one level of nesting).
    pub(crate) fn expr(&mut self, ctx: Ctx) -> PResult<Node> {
        self.enter()?;
        let result = self.binary(ctx);
        self.leave();
        result
    }

    /// The binary operator at the current token and its precedence (1 = `||`).
    fn binop(&self, ctx: Ctx) -> Option<(BinOp, u8)> {
        Some(match self.kind() {
            Tok::OrOr => (BinOp::Or, 1),
            Tok::AndAnd => (BinOp::And, 2),
            Tok::EqEq => (BinOp::Eq, 3),
            Tok::Ne => (BinOp::Ne, 3),
            Tok::Lt if ctx.angle => (BinOp::Lt, 4),
            Tok::Le if ctx.angle => (BinOp::Le, 4),
            Tok::Gt if ctx.angle => (BinOp::Gt, 4),
            Tok::Ge if ctx.angle => (BinOp::Ge, 4),
            Tok::Plus => (BinOp::Add, 5),
            Tok::Minus => (BinOp::Sub, 5),
            Tok::Star => (BinOp::Mul, 6),
            Tok::Slash => (BinOp::Div, 6),
            Tok::Percent => (BinOp::Rem, 6),
            Tok::Ident if self.text_at(0) == "or" => (BinOp::Or, 1),
            Tok::Ident if self.text_at(0) == "and" => (BinOp::And, 2),
            _ => return None,
        })
    }

    /// Left-associative binary operators, precedence levels 1 to 6.
    fn binary(&mut self, ctx: Ctx) -> PResult<Node> {
        let first = self.unary(ctx)?;
        if self.binop(ctx).is_none() {
            return Ok(first);
        }
        self.binary_chain(ctx, first)
    }

    /// The operator chain after a first operand (a separate function so that the
    /// common operator-free path keeps the recursion's stack frames small).
    #[inline(never)]
    fn binary_chain(&mut self, ctx: Ctx, first: Node) -> PResult<Node> {
        let mut operands = vec![first];
        let mut ops: Vec<(BinOp, u8, Span)> = Vec::new();
        while let Some((op, prec)) = self.binop(ctx) {
            let at = self.span();
            self.bump();
            while ops.last().is_some_and(|&(_, p, _)| p >= prec) {
                self.reduce(&mut operands, &mut ops)?;
            }
            ops.push((op, prec, at));
            operands.push(self.unary(ctx)?);
        }
        while !ops.is_empty() {
            self.reduce(&mut operands, &mut ops)?;
        }
        operands.pop().ok_or(Failed)
    }

    fn reduce(
        &mut self,
        operands: &mut Vec<Node>,
        ops: &mut Vec<(BinOp, u8, Span)>,
    ) -> PResult<()> {
        let (Some((op, prec, at)), Some(rhs), Some(mut lhs)) =
            (ops.pop(), operands.pop(), operands.pop())
        else {
            return Err(Failed);
        };
        let span = lhs.expr.span.to(rhs.expr.span);
        let depth = lhs.depth.max(1 + rhs.depth);
        if lhs.run == prec {
            // `a + b` followed by `- c`: one more link of the same run.
            if depth > MAX_DEPTH {
                return Err(self.too_deep(at));
            }
            if let ExprKind::Binary { rest, .. } = &mut lhs.expr.kind {
                rest.push((op, *rhs.expr));
                lhs.expr.span = span;
                lhs.depth = depth;
                operands.push(lhs);
                return Ok(());
            }
        }
        let kind = ExprKind::Binary {
            lhs: lhs.expr,
            rest: vec![(op, *rhs.expr)],
        };
        let mut node = self.node(kind, span, 1 + lhs.depth.max(rhs.depth), at)?;
        node.run = prec;
        operands.push(node);
        Ok(())
    }

    /// The prefix operator at the current token.
    fn prefix(&self) -> Option<UnaryOp> {
        match self.kind() {
            Tok::Minus => Some(UnaryOp::Neg),
            Tok::Bang => Some(UnaryOp::Not),
            Tok::Ident if self.text_at(0) == "not" => Some(UnaryOp::Not),
            _ => None,
        }
    }

    /// `('-' | '!' | 'not')* postfix ('^' unary)?`, without recursion: `-2^2` is
    /// `-(2^2)` and `2^-1` parses.
    fn unary(&mut self, ctx: Ctx) -> PResult<Node> {
        if self.prefix().is_some() {
            return self.unary_chain(ctx, None);
        }
        let operand = self.postfix(ctx)?;
        if self.at(&Tok::Caret) {
            return self.unary_chain(ctx, Some(operand));
        }
        Ok(operand)
    }

    /// A chain with prefix operators or `^` (`first`: an operand already parsed,
    /// without prefix operators).
    #[inline(never)]
    fn unary_chain(&mut self, ctx: Ctx, mut first: Option<Node>) -> PResult<Node> {
        // Each frame: the prefix operators before an operand, and the operand.
        let mut frames: Vec<PowerFrame> = Vec::new();
        let mut count = 0u32;
        loop {
            let mut prefixes = Vec::new();
            let operand = match first.take() {
                Some(operand) => operand,
                None => {
                    while let Some(op) = self.prefix() {
                        count += 1;
                        if count >= MAX_DEPTH {
                            let span = self.span();
                            return Err(self.too_deep(span));
                        }
                        prefixes.push((op, self.span()));
                        self.bump();
                    }
                    self.postfix(ctx)?
                }
            };
            if self.at(&Tok::Caret) {
                count += 1;
                if count >= MAX_DEPTH {
                    let span = self.span();
                    return Err(self.too_deep(span));
                }
                let caret = self.span();
                self.bump();
                frames.push((prefixes, operand, Some(caret)));
            } else {
                frames.push((prefixes, operand, None));
                break;
            }
        }
        self.fold_power(frames)
    }

    /// Builds the tree of a prefix/`^` chain from the right (kept out of
    /// [`Parser::unary`] so the recursion's stack frames stay small).
    #[inline(never)]
    fn fold_power(&mut self, mut frames: Vec<PowerFrame>) -> PResult<Node> {
        let mut acc: Option<Node> = None;
        while let Some((prefixes, operand, caret)) = frames.pop() {
            let mut node = match (acc.take(), caret) {
                (Some(rhs), Some(at)) => {
                    let span = operand.expr.span.to(rhs.expr.span);
                    let depth = 1 + operand.depth.max(rhs.depth);
                    let kind = ExprKind::Binary {
                        lhs: operand.expr,
                        rest: vec![(BinOp::Pow, *rhs.expr)],
                    };
                    self.node(kind, span, depth, at)?
                }
                _ => operand,
            };
            for (op, at) in prefixes.into_iter().rev() {
                let span = at.to(node.expr.span);
                let depth = node.depth + 1;
                let kind = ExprKind::Unary {
                    op,
                    expr: node.expr,
                };
                node = self.node(kind, span, depth, at)?;
            }
            acc = Some(node);
        }
        acc.ok_or(Failed)
    }

    /// A primary followed by accesses, remaps and playground remaps.
    #[inline(never)]
    fn postfix(&mut self, ctx: Ctx) -> PResult<Node> {
        let mut node = self.primary(ctx)?;
        loop {
            match self.kind() {
                Tok::At | Tok::Dot => node = self.access(node)?,
                Tok::LBracket => node = self.bracket_remap(node)?,
                Tok::LParen => {
                    if !matches!(node.expr.kind, ExprKind::Access { .. }) {
                        let span = self.span();
                        return Err(self.error(
                            Code::UnexpectedToken,
                            span,
                            "unexpected `(`: only a name can be called, and only `inst@out` can be remapped with `(…)`",
                        ));
                    }
                    node = self.paren_remap(node)?;
                }
                _ => return Ok(node),
            }
        }
    }

    /// `inst@out` / `inst.out` on a bare name.
    #[inline(never)]
    fn access(&mut self, node: Node) -> PResult<Node> {
        let op = self.text_at(0);
        let ExprKind::Name(name) = &node.expr.kind else {
            let span = self.span();
            return Err(self.error(
                Code::UnexpectedToken,
                span,
                format!("unexpected `{op}`: only an instance name can be read with `{op}` (as in `img{op}r`)"),
            ));
        };
        let inst = Ident {
            name: name.clone(),
            span: node.expr.span,
        };
        self.bump();
        let out = self.name(&format!("an output name after `{op}`"))?;
        let span = inst.span.to(out.span);
        Ok(self.leaf(ExprKind::Access { inst, out }, span))
    }

    #[inline(never)]
    fn primary(&mut self, ctx: Ctx) -> PResult<Node> {
        let span = self.span();
        match self.kind() {
            &Tok::Number(value) => {
                self.bump();
                Ok(self.leaf(ExprKind::Number(value), span))
            }
            Tok::Str(_) => {
                self.bump();
                self.error(
                    Code::MisplacedString,
                    span,
                    "a string can only be an argument of a call such as `load(\"…\")`, of `use` or of `osc`",
                );
                Ok(self.leaf(ExprKind::Error, span))
            }
            Tok::Ident => {
                let word = self.text_at(0);
                if RESERVED.contains(&word) || word == "then" || word == "else" {
                    return Err(self.expected("an expression"));
                }
                if word == "if" {
                    return self.if_expr(ctx);
                }
                if *self.kind_at(1) == Tok::LParen {
                    return self.call();
                }
                self.bump();
                Ok(self.leaf(ExprKind::Name(word.to_string()), span))
            }
            Tok::LParen => self.parens(),
            Tok::Lt => self.bundle(),
            _ => Err(self.expected("an expression")),
        }
    }

    /// `if c then a else b` (each part a full expression).
    #[inline(never)]
    fn if_expr(&mut self, ctx: Ctx) -> PResult<Node> {
        let start = self.span();
        self.bump();
        let cond = self.expr(ctx)?;
        if !self.at_word("then") {
            return Err(self.expected("`then` after the condition of `if`"));
        }
        self.bump();
        let then = self.expr(ctx)?;
        if !self.at_word("else") {
            return Err(self.expected("`else` after the `then` branch"));
        }
        self.bump();
        let otherwise = self.expr(ctx)?;
        let span = start.to(otherwise.expr.span);
        let depth = 1 + cond.depth.max(then.depth).max(otherwise.depth);
        let kind = ExprKind::If {
            cond: cond.expr,
            then: then.expr,
            otherwise: otherwise.expr,
        };
        self.node(kind, span, depth, start)
    }

    /// `name(args)`; a whole argument may be a string.
    #[inline(never)]
    fn call(&mut self) -> PResult<Node> {
        let callee = self.span();
        self.bump();
        if UNSUPPORTED_CALLS.contains(&self.text_of(callee)) {
            return Ok(self.unsupported_call(callee));
        }
        let args = self.arguments(true)?;
        self.finish_call(callee, args)
    }

    /// Builds the call node (out of [`Parser::call`] to keep recursion frames small).
    #[inline(never)]
    fn finish_call(&mut self, callee: Span, args: Vec<Node>) -> PResult<Node> {
        let (args, depth) = unbox(args);
        let span = self.since(callee);
        let name = self.text_of(callee).to_string();
        let kind = ExprKind::Call {
            callee: Ident { name, span: callee },
            args,
        };
        self.node(kind, span, depth + 1, callee)
    }

    /// `compute(…)` and the like: reported, skipped, an error node.
    #[inline(never)]
    fn unsupported_call(&mut self, callee: Span) -> Node {
        self.skip_group();
        let span = self.since(callee);
        let name = self.text_of(callee);
        self.unsupported(
            span,
            &format!("`{name}` backends are not supported by weft yet"),
        );
        self.leaf(ExprKind::Error, span)
    }

    /// `( e, … )` as call or output arguments (the `(` is current). With
    /// `strings`, an argument that is exactly a string literal is kept.
    #[inline(never)]
    pub(crate) fn arguments(&mut self, strings: bool) -> PResult<Vec<Node>> {
        let open = self.span();
        self.bump();
        let mut args = Vec::new();
        loop {
            if self.eat(&Tok::RParen) {
                break;
            }
            if strings && matches!(self.kind_at(1), Tok::Comma | Tok::RParen) {
                if let Some(arg) = self.string_argument() {
                    args.push(arg);
                    if self.eat(&Tok::Comma) {
                        continue;
                    }
                    self.close(&Tok::RParen, open, "the argument list")?;
                    break;
                }
            }
            args.push(self.expr(Ctx::default())?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RParen, open, "the argument list")?;
            break;
        }
        Ok(args)
    }

    /// A string literal as a whole argument (consumed), if the current token is one.
    #[inline(never)]
    fn string_argument(&mut self) -> Option<Node> {
        let Tok::Str(text) = self.kind() else {
            return None;
        };
        let arg = self.leaf(ExprKind::String(text.clone()), self.span());
        self.bump();
        Some(arg)
    }

    /// `(e)` or the tuple `(a, b, …)`.
    #[inline(never)]
    fn parens(&mut self) -> PResult<Node> {
        let open = self.span();
        self.bump();
        let mut items: Vec<Node> = Vec::new();
        loop {
            if !items.is_empty() && self.eat(&Tok::RParen) {
                break;
            }
            items.push(self.expr(Ctx::default())?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RParen, open, "the parenthesis")?;
            break;
        }
        let span = self.since(open);
        self.group(items, span, open)
    }

    /// The playground's bundle `<a, b, …>` (no `<` `>` comparisons inside).
    #[inline(never)]
    fn bundle(&mut self) -> PResult<Node> {
        let open = match self.split_first('<') {
            Some(first) => first,
            None => {
                let span = self.span();
                self.bump();
                span
            }
        };
        let mut items: Vec<Node> = Vec::new();
        loop {
            if !items.is_empty() && self.eat_gt() {
                break;
            }
            items.push(self.expr(Ctx { angle: false })?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            if matches!(self.kind(), Tok::Lt | Tok::Le) {
                return Err(self.comparison_in_bundle());
            }
            self.close(&Tok::Gt, open, "the bundle")?;
            break;
        }
        let span = self.since(open);
        self.group(items, span, open)
    }

    #[cold]
    #[inline(never)]
    fn comparison_in_bundle(&mut self) -> Failed {
        let (span, found) = (self.span(), self.describe());
        self.error(
            Code::UnexpectedToken,
            span,
            format!("expected `,` or `>` in the bundle, found {found} (a comparison inside a bundle needs parentheses: `<(a < b), c>`)"),
        )
    }

    /// One item is itself (spanning its brackets); several are a tuple.
    #[inline(never)]
    fn group(&mut self, mut items: Vec<Node>, span: Span, at: Span) -> PResult<Node> {
        if items.len() == 1 {
            if let Some(mut only) = items.pop() {
                only.expr.span = span;
                // `(a + b) + c` nests: parentheses close a run.
                only.run = 0;
                return Ok(only);
            }
        }
        let depth = 1 + items.iter().map(|n| n.depth).max().unwrap_or(0);
        let exprs = items.into_iter().map(|n| *n.expr).collect();
        self.node(ExprKind::Tuple(exprs), span, depth, at)
    }
}
