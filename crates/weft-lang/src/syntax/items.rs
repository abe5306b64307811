//! Statements: the top level, segment bodies and spindle bodies, each a loop that
//! parses one statement, checks that it ends (a newline, `;`, the block's `}` or the
//! end of file) and on failure skips to the end of the statement.

use super::expr::Ctx;
use super::lexer::Tok;
use super::parser::{Failed, PResult, Parser, UNSUPPORTED_CALLS};
use crate::ast::{
    Assign, AssignKind, BinOp, Expr, ExprKind, File, Ident, Item, ItemKind, OutputKind, OutputStmt,
    SegmentDef, SpindleDef, SpindleStmt, StrandDef,
};
use weft_diagnostics::{Code, Span};

/// Where a list of items is parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// The file.
    Top,
    /// Between a segment's braces.
    Segment,
}

/// The output statements and their kinds.
fn output_kind(word: &str) -> Option<OutputKind> {
    match word {
        "display" | "render" => Some(OutputKind::Display),
        "play" => Some(OutputKind::Play),
        "osc" => Some(OutputKind::Osc),
        _ => None,
    }
}

/// The operator of an assignment token (`=` gives `Some(None)`).
fn assign_op(kind: &Tok) -> Option<Option<BinOp>> {
    match kind {
        Tok::Eq => Some(None),
        Tok::PlusEq => Some(Some(BinOp::Add)),
        Tok::MinusEq => Some(Some(BinOp::Sub)),
        Tok::StarEq => Some(Some(BinOp::Mul)),
        Tok::SlashEq => Some(Some(BinOp::Div)),
        _ => None,
    }
}

impl Parser<'_> {
    /// The whole file.
    pub(crate) fn file(&mut self) -> File {
        File {
            items: self.items(Scope::Top),
        }
    }

    fn items(&mut self, scope: Scope) -> Vec<Item> {
        let in_block = scope == Scope::Segment;
        let outer = std::mem::replace(&mut self.in_block, in_block);
        let mut items = Vec::new();
        loop {
            match self.kind() {
                Tok::Newline | Tok::Semi => {
                    self.bump();
                    continue;
                }
                Tok::Eof => break,
                Tok::RBrace if in_block => break,
                _ => {}
            }
            let start = self.span();
            let prose = self.prose_before(start.start);
            match self.item(scope) {
                Ok(Some(kind)) => {
                    let span = self.since(start);
                    items.push(Item { kind, span, prose });
                    self.end_statement(in_block);
                }
                Ok(None) => self.end_statement(in_block),
                Err(Failed) => self.recover(in_block),
            }
        }
        self.in_block = outer;
        items
    }

    /// After a statement: a newline, `;`, the end of file or (in a block) `}`.
    fn end_statement(&mut self, in_block: bool) {
        match self.kind() {
            Tok::Newline | Tok::Semi | Tok::Eof => {}
            Tok::RBrace if in_block => {}
            _ => {
                self.expected("a new line or `;` after the statement");
                self.recover(in_block);
            }
        }
    }

    fn item(&mut self, scope: Scope) -> PResult<Option<ItemKind>> {
        if self.at(&Tok::Hash) {
            return self.control().map(Some);
        }
        let word = if self.at(&Tok::Ident) {
            self.text_at(0)
        } else {
            ""
        };
        let next = self.kind_at(1).clone();
        let here = self.span();
        match (word, &next) {
            ("use", _) if scope == Scope::Top => return self.use_stmt().map(Some),
            ("spindle", _) if scope == Scope::Top => return self.spindle().map(Some),
            ("segment", _) if scope == Scope::Top => return self.segment().map(Some),
            ("use" | "spindle" | "segment", _) => {
                return Err(self.error(
                    Code::UnexpectedToken,
                    here,
                    format!("`{word}` is not allowed inside a segment: put it at the top level"),
                ))
            }
            ("return", _) => {
                return Err(self.error(
                    Code::UnexpectedToken,
                    here,
                    "`return` is only allowed inside a spindle body",
                ))
            }
            ("for", Tok::Ident) => {
                self.unsupported(here, "`for` loops are not supported by weft yet");
                self.skip_statement_with_block(scope == Scope::Segment);
                return Ok(None);
            }
            ("let" | "out", Tok::Ident) => {
                return Err(self.error(
                    Code::UnexpectedToken,
                    here,
                    format!("`{word} x = …` is only allowed inside a spindle body"),
                ))
            }
            (_, Tok::Lt) if !word.is_empty() && self.at_multi_call() => {
                return self.multi_call().map(|s| Some(ItemKind::Strand(s)))
            }
            (_, Tok::Lt) if !word.is_empty() => {
                return self.strand_def().map(|s| Some(ItemKind::Strand(s)))
            }
            (_, Tok::LParen) if output_kind(word).is_some() => {
                return self.output().map(|o| Some(ItemKind::Output(o)))
            }
            (_, Tok::LParen) => {}
            _ if UNSUPPORTED_CALLS.contains(&word) => {
                self.unsupported(
                    here,
                    &format!("`{word}` backends are not supported by weft yet"),
                );
                self.skip_statement_with_block(scope == Scope::Segment);
                return Ok(None);
            }
            (_, kind) if !word.is_empty() && assign_op(kind).is_some() => {
                self.bump();
                return Err(self.expected(&format!(
                    "`<` and output names after `{word}` (a definition is written `{word}<v> = …`)"
                )));
            }
            _ => {}
        }
        if matches!(self.kind(), Tok::RParen | Tok::RBracket | Tok::RBrace) {
            if self.explained() {
                return Err(Failed);
            }
            let closer = self.text_at(0);
            return Err(self.error(
                Code::UnexpectedToken,
                here,
                format!("unexpected `{closer}`: nothing is open here"),
            ));
        }
        let starts_expr = matches!(
            self.kind(),
            Tok::Ident
                | Tok::Number(_)
                | Tok::Str(_)
                | Tok::LParen
                | Tok::Lt
                | Tok::Minus
                | Tok::Bang
        );
        if !starts_expr {
            return Err(self.expected("a statement"));
        }
        let value = self.expr(Ctx::default())?;
        if self.at(&Tok::ColonColon) {
            return self.binding(*value.expr).map(|s| Some(ItemKind::Strand(s)));
        }
        Err(self.bare_expression(
            &value.expr,
            "define it with `name<out> = …` or show it with `display(…)`",
        ))
    }

    /// Reports an expression where a statement belongs (silently if it is an error
    /// already reported).
    fn bare_expression(&mut self, value: &Expr, hint: &str) -> Failed {
        if matches!(value.kind, ExprKind::Error) {
            return Failed;
        }
        self.error(
            Code::UnexpectedToken,
            value.span,
            format!("expected a statement, found an expression: {hint}"),
        )
    }

    /// `use "path"`.
    fn use_stmt(&mut self) -> PResult<ItemKind> {
        self.bump();
        match self.kind().clone() {
            Tok::Str(path) => {
                let path_span = self.span();
                self.bump();
                Ok(ItemKind::Use { path, path_span })
            }
            _ => Err(self.expected("a path string after `use`")),
        }
    }

    /// `<o1, o2>` (the `<` is current).
    pub(super) fn output_list(&mut self, what: &str) -> PResult<Vec<Ident>> {
        let open = match self.split_first('<') {
            Some(first) => first,
            None if self.at(&Tok::Lt) => {
                let span = self.span();
                self.bump();
                span
            }
            None => return Err(self.expected(&format!("`<` to open {what}"))),
        };
        let mut outputs = Vec::new();
        loop {
            if !outputs.is_empty() && self.eat_gt() {
                break;
            }
            outputs.push(self.name("an output name")?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::Gt, open, what)?;
            break;
        }
        Ok(outputs)
    }

    /// `name<o1, o2> = expr`.
    fn strand_def(&mut self) -> PResult<StrandDef> {
        let name = self.name("a name")?;
        let outputs = self.output_list("the output list")?;
        if !self.eat(&Tok::Eq) {
            return Err(self.expected("`=` after the output list"));
        }
        let value = self.value_or_error();
        Ok(StrandDef {
            name,
            outputs,
            value,
        })
    }

    /// `value :: name<o1, o2>` (the `::` is current).
    fn binding(&mut self, value: Expr) -> PResult<StrandDef> {
        self.bump();
        let name = self.name("the instance name after `::`")?;
        let outputs = self.output_list("the output list")?;
        Ok(StrandDef {
            name,
            outputs,
            value,
        })
    }

    /// `display(…)`, `render(…)`, `play(…)`, `osc("/addr", …)`.
    fn output(&mut self) -> PResult<OutputStmt> {
        let keyword = Ident {
            name: self.text_at(0).to_string(),
            span: self.span(),
        };
        let kind = output_kind(&keyword.name).unwrap_or(OutputKind::Display);
        self.bump();
        let is_osc = kind == OutputKind::Osc;
        if self.at_named_output() {
            let args = self.named_output_args(&keyword, kind)?;
            return Ok(OutputStmt {
                kind,
                keyword,
                address: None,
                args,
            });
        }
        let (mut args, _) = super::expr::unbox(self.arguments(is_osc)?);
        let mut address = None;
        if is_osc {
            match args.first() {
                Some(Expr {
                    kind: ExprKind::String(s),
                    span,
                }) => {
                    address = Some((s.clone(), *span));
                    args.remove(0);
                }
                first => {
                    let span = first.map_or(keyword.span, |e| e.span);
                    self.error(
                        Code::OutputArgs,
                        span,
                        "`osc` needs the address string first: `osc(\"/address\", …)`",
                    );
                }
            }
            for arg in &mut args {
                if matches!(arg.kind, ExprKind::String(_)) {
                    self.error(
                        Code::MisplacedString,
                        arg.span,
                        "only the first argument of `osc` may be a string",
                    );
                    arg.kind = ExprKind::Error;
                }
            }
        }
        Ok(OutputStmt {
            kind,
            keyword,
            address,
            args,
        })
    }

    /// `segment name(seconds) { … }`.
    fn segment(&mut self) -> PResult<ItemKind> {
        self.bump();
        let name = self.name("the segment name after `segment`")?;
        if !self.at(&Tok::LParen) {
            return Err(self.expected("`(` and the duration in seconds after the segment name"));
        }
        let open = self.span();
        self.bump();
        let start = self.span();
        let negative = self.eat(&Tok::Minus);
        let Tok::Number(value) = *self.kind() else {
            return Err(self.expected("the duration in seconds (a number)"));
        };
        self.bump();
        let duration = if negative { -value } else { value };
        let duration_span = self.since(start);
        self.close(&Tok::RParen, open, "the duration")?;
        if !self.at(&Tok::LBrace) {
            return Err(self.expected("`{` to open the segment body"));
        }
        let brace = self.span();
        self.bump();
        let items = self.items(Scope::Segment);
        // An unclosed body is reported; keep what was parsed.
        let _ = self.close(&Tok::RBrace, brace, "the segment body");
        Ok(ItemKind::Segment(SegmentDef {
            name,
            duration,
            duration_span,
            items,
        }))
    }

    /// `spindle f(a, b) [:: <o1, o2>] { … }`.
    fn spindle(&mut self) -> PResult<ItemKind> {
        self.bump();
        let name = self.name("the spindle name after `spindle`")?;
        if !self.at(&Tok::LParen) {
            return Err(self.expected("`(` and the parameter list after the spindle name"));
        }
        let open = self.span();
        self.bump();
        let mut params = Vec::new();
        loop {
            if self.eat(&Tok::RParen) {
                break;
            }
            params.push(self.name("a parameter name")?);
            if self.eat(&Tok::Comma) {
                continue;
            }
            self.close(&Tok::RParen, open, "the parameter list")?;
            break;
        }
        let outputs = if self.eat(&Tok::ColonColon) {
            Some(self.output_list("the spindle's output list")?)
        } else {
            None
        };
        if !self.at(&Tok::LBrace) {
            return Err(self.expected("`{` to open the spindle body"));
        }
        let brace = self.span();
        self.bump();
        let outer = std::mem::replace(&mut self.in_block, true);
        let mut body = Vec::new();
        loop {
            match self.kind() {
                Tok::Newline | Tok::Semi => {
                    self.bump();
                    continue;
                }
                Tok::Eof | Tok::RBrace => break,
                _ => {}
            }
            match self.body_stmt() {
                Ok(Some(stmt)) => {
                    body.push(stmt);
                    self.end_statement(true);
                }
                Ok(None) => self.end_statement(true),
                Err(Failed) => self.recover(true),
            }
        }
        self.in_block = outer;
        let _ = self.close(&Tok::RBrace, brace, "the spindle body");
        Ok(ItemKind::Spindle(SpindleDef {
            name,
            params,
            outputs,
            body,
        }))
    }

    fn body_stmt(&mut self) -> PResult<Option<SpindleStmt>> {
        let word = if self.at(&Tok::Ident) {
            self.text_at(0)
        } else {
            ""
        };
        let next = self.kind_at(1).clone();
        let start = self.span();
        match (word, &next) {
            ("return", _) => {
                self.bump();
                let value = self.value_or_error();
                return Ok(Some(SpindleStmt::Return(value)));
            }
            ("for", Tok::Ident) => {
                self.unsupported(start, "`for` loops are not supported by weft yet");
                self.skip_statement_with_block(true);
                return Ok(None);
            }
            ("let" | "out", Tok::Ident) => {
                let kind = if word == "let" {
                    AssignKind::Let
                } else {
                    AssignKind::Out
                };
                self.bump();
                let target = self.name("a name")?;
                if !self.eat(&Tok::Eq) {
                    return Err(self.expected(&format!("`=` after `{word} {}`", target.name)));
                }
                return self.assign_rest(kind, target, None, start).map(Some);
            }
            ("use" | "spindle" | "segment", _) => {
                return Err(self.error(
                    Code::UnexpectedToken,
                    start,
                    format!("`{word}` is not allowed inside a spindle body: put it at the top level"),
                ))
            }
            (_, Tok::Lt) if !word.is_empty() => {
                return self.strand_def().map(|s| Some(SpindleStmt::Strand(s)))
            }
            (_, Tok::LParen) if output_kind(word).is_some() => {
                return Err(self.error(
                    Code::UnexpectedToken,
                    start,
                    format!("`{word}(…)` is not allowed inside a spindle body: outputs belong at the top level or in a segment"),
                ))
            }
            (_, kind) if !word.is_empty() => {
                if let Some(op) = assign_op(kind) {
                    let target = self.name("a name")?;
                    self.bump();
                    return self.assign_rest(AssignKind::Plain, target, op, start).map(Some);
                }
            }
            _ => {}
        }
        if matches!(self.kind(), Tok::RParen | Tok::RBracket | Tok::LBrace) {
            return Err(self.expected("a statement"));
        }
        let value = self.expr(Ctx::default())?;
        if self.at(&Tok::ColonColon) {
            return self
                .binding(*value.expr)
                .map(|s| Some(SpindleStmt::Strand(s)));
        }
        Err(self.bare_expression(
            &value.expr,
            "a spindle body holds `name<out> = …`, `x = …`, `out s = …` and `return …`",
        ))
    }

    fn assign_rest(
        &mut self,
        kind: AssignKind,
        target: Ident,
        op: Option<BinOp>,
        start: Span,
    ) -> PResult<SpindleStmt> {
        let value = self.value_or_error();
        let span = self.since(start);
        Ok(SpindleStmt::Assign(Assign {
            kind,
            target,
            op,
            value,
            span,
        }))
    }
}
