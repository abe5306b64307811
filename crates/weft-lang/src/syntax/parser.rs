//! The parser's state and the helpers every rule shares: looking at tokens,
//! reporting problems once, closing delimiters, skipping to a recovery point, and
//! the depth limit.
//!
//! Error discipline: a rule that cannot go on reports one diagnostic and returns
//! `Err(Failed)`; the statement loop then skips to the end of the statement (a
//! newline or `;` at bracket depth 0, or the `}` of the current block). A token the
//! lexer already reported (`Tok::Error`), an end of file inside a delimiter the
//! lexer reported unclosed, a closer whose opener is unclosed, and a closer the
//! lexer reported closing over unclosed openers fail silently, so one mistake gives
//! one diagnostic.

use super::lexer::{operator, Lexed, Tok, Token};
use weft_diagnostics::{Code, Diagnostic, FileId, Span};

/// How deep expressions may nest (parser recursion and tree depth alike).
pub const MAX_DEPTH: u32 = 256;

/// The statement words no name may take.
pub(crate) const RESERVED: &[&str] = &["spindle", "return", "segment", "use"];

/// The playground forms weft does not support yet, recognized as `name(`.
pub(crate) const UNSUPPORTED_CALLS: &[&str] = &["compute", "render_3d", "midi", "data"];

/// An error was reported (or deliberately not); unwind to the statement loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Failed;

/// The result of a rule.
pub(crate) type PResult<T> = Result<T, Failed>;

/// The parser.
pub(crate) struct Parser<'a> {
    pub file: FileId,
    pub text: &'a str,
    pub toks: Vec<Token>,
    pub pos: usize,
    pub diags: Vec<Diagnostic>,
    /// Current expression nesting (recursion depth).
    pub nest: u32,
    /// Offsets of the openers the lexer found unclosed (sorted).
    pub unclosed: Vec<u32>,
    /// Offsets of closers the lexer found closing over unclosed openers (sorted).
    pub popping_closers: Vec<u32>,
    /// The lexer reported a delimiter still open at the end of the file.
    pub open_at_eof: bool,
    /// The `//` comments (sorted).
    pub line_comments: Vec<(u32, u32)>,
    /// The end of the last consumed token (or token part).
    pub last_end: u32,
    /// Statements being parsed are inside `{ }` (recovery stops at its `}`).
    pub in_block: bool,
}

impl<'a> Parser<'a> {
    /// A parser over lexed text.
    pub fn new(file: FileId, text: &'a str, lexed: Lexed) -> Self {
        Parser {
            file,
            text,
            toks: lexed.tokens,
            pos: 0,
            diags: lexed.diagnostics,
            nest: 0,
            unclosed: lexed.unclosed,
            popping_closers: lexed.popping_closers,
            open_at_eof: lexed.open_at_eof,
            line_comments: lexed.line_comments,
            last_end: 0,
            in_block: false,
        }
    }

    // ---- looking at tokens ----

    /// The current token (the lexer always ends the list with `Eof`).
    pub fn tok(&self) -> &Token {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[self.pos.min(last)]
    }

    /// The current token's kind.
    pub fn kind(&self) -> &Tok {
        &self.tok().kind
    }

    /// The kind `n` tokens ahead.
    pub fn kind_at(&self, n: usize) -> &Tok {
        let last = self.toks.len().saturating_sub(1);
        &self.toks[(self.pos + n).min(last)].kind
    }

    /// The text of the token `n` ahead.
    pub fn text_at(&self, n: usize) -> &'a str {
        let last = self.toks.len().saturating_sub(1);
        let t = &self.toks[(self.pos + n).min(last)];
        self.text
            .get(t.start as usize..t.end as usize)
            .unwrap_or("")
    }

    /// The source text of a span.
    pub fn text_of(&self, span: Span) -> &'a str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }

    /// The current token's span.
    pub fn span(&self) -> Span {
        let t = self.tok();
        Span::new(self.file, t.start as usize, t.end as usize)
    }

    /// The end offset of the previous token (for spans of what was just parsed).
    pub fn prev_end(&self) -> u32 {
        self.last_end
    }

    /// A span from `start` to the end of the previous token.
    pub fn since(&self, start: Span) -> Span {
        Span::new(
            self.file,
            start.start as usize,
            self.prev_end().max(start.end) as usize,
        )
    }

    /// True when the current token is `kind`.
    pub fn at(&self, kind: &Tok) -> bool {
        self.kind() == kind
    }

    /// True when the current token is the identifier `word`.
    pub fn at_word(&self, word: &str) -> bool {
        self.at(&Tok::Ident) && self.text_at(0) == word
    }

    /// Moves to the next token (never past `Eof`).
    pub fn bump(&mut self) {
        self.last_end = self.tok().end;
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
    }

    /// Consumes the current token if it is `kind`.
    pub fn eat(&mut self, kind: &Tok) -> bool {
        let hit = self.at(kind);
        if hit {
            self.bump();
        }
        hit
    }

    /// Consumes the first character of a current `>>`, `>=`, `>>=`, `<<`, `<=` or
    /// `<<=` token and leaves the rest as the current token; returns the consumed
    /// character's span. `None` when the token does not start with `c` or is just `c`.
    pub fn split_first(&mut self, c: char) -> Option<Span> {
        let text = self.text_at(0);
        if text.len() < 2 || !text.starts_with(c) {
            return None;
        }
        let rest = &text[1..];
        let (kind, len) = operator(rest)?;
        if len != rest.len() {
            return None;
        }
        let last = self.toks.len().saturating_sub(1);
        let t = &mut self.toks[self.pos.min(last)];
        let first = Span::new(self.file, t.start as usize, t.start as usize + 1);
        t.kind = kind;
        t.start += 1;
        self.last_end = t.start;
        Some(first)
    }

    /// Consumes a `>`, splitting `>>`, `>=` or `>>=` when needed.
    pub fn eat_gt(&mut self) -> bool {
        if self.at(&Tok::Gt) && self.text_at(0) == ">" {
            self.bump();
            return true;
        }
        self.split_first('>').is_some()
    }

    // ---- reporting ----

    /// Reports an error at `span` and returns the failure to propagate.
    pub fn error(&mut self, code: Code, span: Span, message: impl Into<String>) -> Failed {
        self.diags.push(Diagnostic::error(code, span, message));
        Failed
    }

    /// True when a problem at the current token is already explained: the lexer
    /// reported the token, the text ended inside an unclosed delimiter, or the token
    /// is a closer the lexer already reported closing over unclosed openers.
    pub fn explained(&self) -> bool {
        match self.kind() {
            Tok::Error => true,
            Tok::Eof => self.open_at_eof,
            Tok::RParen | Tok::RBracket | Tok::RBrace => self
                .popping_closers
                .binary_search(&self.tok().start)
                .is_ok(),
            _ => false,
        }
    }

    /// Reports "expected {what}, found {current}" unless already explained.
    pub fn expected(&mut self, what: &str) -> Failed {
        if self.explained() {
            return Failed;
        }
        let found = self.describe();
        let span = self.span();
        self.error(
            Code::UnexpectedToken,
            span,
            format!("expected {what}, found {found}"),
        )
    }

    /// How the current token reads in a message.
    pub fn describe(&self) -> String {
        let text = self.text_at(0);
        match self.kind() {
            Tok::Eof => "end of file".to_string(),
            Tok::Newline => "end of line".to_string(),
            Tok::Number(_) => format!("number `{text}`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Error => "an invalid token".to_string(),
            Tok::Ident if RESERVED.contains(&text) => format!("keyword `{text}`"),
            _ => format!("`{text}`"),
        }
    }

    /// Consumes the closer of a delimited construct opened at `open`, or reports
    /// "expected `)` to close {what}, found …" (an unclosed opener is the lexer's to
    /// report; a `<` that meets the end of file is reported here).
    pub fn close(&mut self, closer: &Tok, open: Span, what: &str) -> PResult<()> {
        if *closer == Tok::Gt {
            if self.eat_gt() {
                return Ok(());
            }
        } else if self.eat(closer) {
            return Ok(());
        }
        let c = match closer {
            Tok::RParen => ")",
            Tok::RBracket => "]",
            Tok::RBrace => "}",
            _ => ">",
        };
        if self.unclosed.binary_search(&open.start).is_ok() || self.explained() {
            return Err(Failed);
        }
        if self.at(&Tok::Eof) {
            let opener = self.text_of(open);
            return Err(self.error(
                Code::UnclosedDelimiter,
                open,
                format!("unclosed `{opener}`: expected `{c}` to close {what} before the end of the file"),
            ));
        }
        Err(self.expected(&format!("`{c}` to close {what}")))
    }

    // ---- depth ----

    /// Enters one level of expression nesting; reports `TooDeep` past the limit.
    pub fn enter(&mut self) -> PResult<()> {
        if self.nest >= MAX_DEPTH {
            let span = self.span();
            return Err(self.too_deep(span));
        }
        self.nest += 1;
        Ok(())
    }

    /// Leaves one level entered with [`Parser::enter`].
    pub fn leave(&mut self) {
        self.nest = self.nest.saturating_sub(1);
    }

    /// Reports that the expression nests too deeply.
    pub fn too_deep(&mut self, span: Span) -> Failed {
        self.error(
            Code::TooDeep,
            span,
            format!(
                "expression nested too deeply: more than {MAX_DEPTH} levels (split it into several definitions)"
            ),
        )
    }

    // ---- recovery ----

    /// Skips to the end of the current statement: a newline or `;` at bracket depth
    /// 0 (left in place), the `}` closing the current block when `in_block` (left in
    /// place), or the end of file.
    pub fn recover(&mut self, in_block: bool) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                Tok::Eof => return,
                Tok::Newline | Tok::Semi if depth == 0 => return,
                Tok::RBrace if depth == 0 && in_block => return,
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => depth = depth.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips a balanced group starting at the current opener (consumed), through its
    /// matching closer; stops early at the end of file.
    pub fn skip_group(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.kind() {
                Tok::Eof => return,
                Tok::LParen | Tok::LBracket | Tok::LBrace => depth += 1,
                Tok::RParen | Tok::RBracket | Tok::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.bump();
                        return;
                    }
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Skips an unsupported statement (a `for` loop, a `compute …`): through its
    /// first `{ … }` block, or to the end of the statement when no block comes.
    pub fn skip_statement_with_block(&mut self, in_block: bool) {
        loop {
            match self.kind() {
                Tok::Eof | Tok::Newline | Tok::Semi => return,
                Tok::RBrace if in_block => return,
                Tok::LBrace => {
                    self.skip_group();
                    return;
                }
                Tok::LParen | Tok::LBracket => self.skip_group(),
                _ => self.bump(),
            }
        }
    }

    /// Reports `Unsupported` for a playground form (the message names the form).
    pub fn unsupported(&mut self, span: Span, message: &str) -> Failed {
        self.error(Code::Unsupported, span, message)
    }

    /// A value expression that stays in the tree when it fails: on failure the rest
    /// of the statement is skipped and the value is [`ExprKind::Error`], so the
    /// statement (and the name it defines) survives.
    ///
    /// [`ExprKind::Error`]: crate::ast::ExprKind::Error
    pub fn value_or_error(&mut self) -> crate::ast::Expr {
        let start = self.span();
        match self.expr(super::expr::Ctx::default()) {
            Ok(node) => *node.expr,
            Err(Failed) => {
                self.recover(self.in_block);
                crate::ast::Expr {
                    kind: crate::ast::ExprKind::Error,
                    span: self.since(start),
                }
            }
        }
    }

    // ---- names ----

    /// Consumes a name (not a reserved keyword) or reports "expected {what}".
    pub fn name(&mut self, what: &str) -> PResult<crate::ast::Ident> {
        if self.at(&Tok::Ident) && !RESERVED.contains(&self.text_at(0)) {
            let ident = crate::ast::Ident {
                name: self.text_at(0).to_string(),
                span: self.span(),
            };
            self.bump();
            Ok(ident)
        } else {
            Err(self.expected(what))
        }
    }

    /// The `//` comment lines directly above the line where `start` begins, when
    /// `start` is the first token of its line: the item's prose.
    pub fn prose_before(&self, start: u32) -> Option<String> {
        let text = self.text;
        if text.len() > u32::MAX as usize {
            return None; // offsets would not fit a span
        }
        let start = start as usize;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..start].trim().is_empty() {
            return None;
        }
        let mut lines = Vec::new();
        let mut end = line_start; // start of the line below the one examined
        while end > 0 {
            let prev_end = end - 1; // the '\n'
            let prev_start = text[..prev_end].rfind('\n').map_or(0, |i| i + 1);
            let line = &text[prev_start..prev_end];
            let indent = line.len()
                - line
                    .trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}')
                    .len();
            let at = (prev_start + indent) as u32;
            let Ok(i) = self.line_comments.binary_search_by_key(&at, |&(s, _)| s) else {
                break;
            };
            let (s, e) = self.line_comments[i];
            let body = &text[s as usize + 2..e as usize];
            let body = body.strip_prefix(' ').unwrap_or(body);
            lines.push(body.trim_end_matches('\r'));
            end = prev_start;
        }
        if lines.is_empty() {
            return None;
        }
        lines.reverse();
        Some(lines.join("\n"))
    }
}
