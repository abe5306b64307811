//! The lexer: UTF-8 text to a flat token list ending in [`Tok::Eof`].
//!
//! Newlines become [`Tok::Newline`] tokens except inside `( )` and `[ ]` (a bracket
//! stack decides; inside `{ }` newlines separate statements as at the top level). A
//! block comment that spans lines counts as one line break; a leading byte order
//! mark is skipped. Problems become
//! diagnostics and the lexer goes on: an unexpected run of characters becomes one
//! [`Tok::Error`] token (the parser reports nothing more about it), a malformed
//! number too, and an unterminated string (which also forgets the brackets opened
//! earlier on its line, as their closers are probably inside it). Openers never
//! closed are reported here (`UnclosedDelimiter`) and listed in
//! [`Lexed::unclosed`] so the parser does not report them a second time.

use weft_diagnostics::{Code, Diagnostic, FileId, Span};

/// A token kind. Comparison tokens keep their playground spelling only in the source
/// text (`<<` is [`Tok::Lt`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// `[A-Za-z_][A-Za-z0-9_]*`, keywords included (the parser decides by position).
    Ident,
    /// A number literal.
    Number(f64),
    /// A string literal, escapes resolved.
    Str(String),
    /// A line break outside `( )` and `[ ]`.
    Newline,
    /// `;`
    Semi,
    /// `,`
    Comma,
    /// `.`
    Dot,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBracket,
    /// `]`
    RBracket,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `<` or `<<`
    Lt,
    /// `<=` or `<<=`
    Le,
    /// `>` or `>>`
    Gt,
    /// `>=` or `>>=`
    Ge,
    /// `==`
    EqEq,
    /// `!=`
    Ne,
    /// `=`
    Eq,
    /// `||`
    OrOr,
    /// `&&`
    AndAnd,
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Star,
    /// `/`
    Slash,
    /// `%`
    Percent,
    /// `!`
    Bang,
    /// `^`
    Caret,
    /// `~`
    Tilde,
    /// `@`
    At,
    /// `::`
    ColonColon,
    /// `+=`
    PlusEq,
    /// `-=`
    MinusEq,
    /// `*=`
    StarEq,
    /// `/=`
    SlashEq,
    /// `:` right after a name inside `( )`: the playground's named output argument
    /// (`display(r: e)`). Anywhere else a lone `:` starts no token.
    Colon,
    /// `#` opening a line, right before a name: a control pragma (`#slider …`).
    /// Anywhere else `#` starts no token.
    Hash,
    /// Something already reported by the lexer.
    Error,
    /// The end of the text (always the last token).
    Eof,
}

/// A token and where it is (byte offsets).
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// What.
    pub kind: Tok,
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

/// The lexer's result.
#[derive(Debug, Default)]
pub(crate) struct Lexed {
    /// The tokens, ending with exactly one [`Tok::Eof`].
    pub tokens: Vec<Token>,
    /// Lexical problems.
    pub diagnostics: Vec<Diagnostic>,
    /// Byte offsets of every `(`, `[`, `{` that is never closed, sorted.
    pub unclosed: Vec<u32>,
    /// Byte ranges of the `//` comments, in order.
    pub line_comments: Vec<(u32, u32)>,
    /// Offsets of the closers that closed an outer opener over unclosed inner ones
    /// (already explained by an `UnclosedDelimiter`), in order.
    pub popping_closers: Vec<u32>,
    /// Some opener was still open at the end of the file (and is reported).
    pub open_at_eof: bool,
}

/// Returns the operator token at the start of `s` and its length in bytes.
pub(crate) fn operator(s: &str) -> Option<(Tok, usize)> {
    const OPS: &[(&str, Tok)] = &[
        ("<<=", Tok::Le),
        (">>=", Tok::Ge),
        ("||", Tok::OrOr),
        ("&&", Tok::AndAnd),
        ("===", Tok::EqEq),
        ("==", Tok::EqEq),
        ("!=", Tok::Ne),
        ("<=", Tok::Le),
        (">=", Tok::Ge),
        ("<<", Tok::Lt),
        (">>", Tok::Gt),
        ("::", Tok::ColonColon),
        ("+=", Tok::PlusEq),
        ("-=", Tok::MinusEq),
        ("*=", Tok::StarEq),
        ("/=", Tok::SlashEq),
        ("<", Tok::Lt),
        (">", Tok::Gt),
        ("=", Tok::Eq),
        ("+", Tok::Plus),
        ("-", Tok::Minus),
        ("*", Tok::Star),
        ("/", Tok::Slash),
        ("%", Tok::Percent),
        ("!", Tok::Bang),
        ("^", Tok::Caret),
        ("~", Tok::Tilde),
        ("@", Tok::At),
        (".", Tok::Dot),
        (",", Tok::Comma),
        (";", Tok::Semi),
        ("(", Tok::LParen),
        (")", Tok::RParen),
        ("[", Tok::LBracket),
        ("]", Tok::RBracket),
        ("{", Tok::LBrace),
        ("}", Tok::RBrace),
    ];
    OPS.iter()
        .find(|(text, _)| s.starts_with(text))
        .map(|(text, tok)| (tok.clone(), text.len()))
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Starts a token or is white space (anything else is an unexpected character).
fn is_known(c: char, next: Option<char>) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n' | '"')
        || is_ident_char(c)
        || (c == '.' && next.is_some_and(|n| n.is_ascii_digit()))
        || (c == ':' && next == Some(':'))
        || (c == '|' && next == Some('|'))
        || (c == '&' && next == Some('&'))
        || (!matches!(c, ':' | '|' | '&') && operator(c.encode_utf8(&mut [0; 4])).is_some())
}

struct Lexer<'a> {
    file: FileId,
    text: &'a str,
    pos: usize,
    out: Lexed,
    /// Open brackets: the character and its offset.
    stack: Vec<(u8, u32)>,
    /// How many of each opener (`(`, `[`, `{`) are on the stack.
    counts: [usize; 3],
}

fn slot(opener: u8) -> usize {
    match opener {
        b'(' => 0,
        b'[' => 1,
        _ => 2,
    }
}

/// Lexes `text`.
pub(crate) fn lex(file: FileId, text: &str) -> Lexed {
    let mut lx = Lexer {
        file,
        text,
        // A byte order mark some editors write is not an unexpected character.
        pos: if text.starts_with('\u{feff}') { 3 } else { 0 },
        out: Lexed::default(),
        stack: Vec::new(),
        counts: [0; 3],
    };
    lx.run();
    let end = text.len() as u32;
    lx.out.tokens.push(Token {
        kind: Tok::Eof,
        start: end,
        end,
    });
    let rest = std::mem::take(&mut lx.stack);
    lx.out.open_at_eof = !rest.is_empty();
    lx.report_unclosed(&rest, "before the end of the file");
    lx.out.unclosed.sort_unstable();
    lx.out
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn push(&mut self, kind: Tok, start: usize, end: usize) {
        self.out.tokens.push(Token {
            kind,
            start: start as u32,
            end: end as u32,
        });
    }

    fn error(&mut self, code: Code, start: usize, end: usize, message: String) {
        let span = self.span(start, end);
        self.out
            .diagnostics
            .push(Diagnostic::error(code, span, message));
    }

    fn newlines_count(&self) -> bool {
        !matches!(self.stack.last(), Some((b'(' | b'[', _)))
    }

    fn run(&mut self) {
        while let Some(c) = self.text[self.pos..].chars().next() {
            let start = self.pos;
            let next = self.text[start + c.len_utf8()..].chars().next();
            match c {
                '\n' => {
                    self.pos += 1;
                    if self.newlines_count() {
                        self.push(Tok::Newline, start, start + 1);
                    }
                }
                ' ' | '\t' | '\r' => self.pos += 1,
                '/' if next == Some('/') => self.line_comment(),
                '/' if next == Some('*') => self.block_comment(),
                '"' => self.string(),
                ':' if next != Some(':') && self.after_name_in_parens(start) => {
                    self.pos += 1;
                    self.push(Tok::Colon, start, self.pos);
                }
                '#' if next.is_some_and(is_ident_start) && self.line_start(start) => {
                    self.pos += 1;
                    self.push(Tok::Hash, start, self.pos);
                }
                c if c.is_ascii_digit()
                    || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) =>
                {
                    self.number()
                }
                c if is_ident_start(c) => {
                    let len = self.text[start..]
                        .find(|c: char| !is_ident_char(c))
                        .unwrap_or(self.text.len() - start);
                    self.pos += len;
                    self.push(Tok::Ident, start, self.pos);
                }
                c if is_known(c, next) => self.punct(),
                _ => self.unexpected(),
            }
        }
    }

    /// True when the last token is a name ending at `at` (blanks between allowed)
    /// and the innermost open bracket is `(`.
    fn after_name_in_parens(&self, at: usize) -> bool {
        let in_parens = matches!(self.stack.last(), Some((b'(', _)));
        let after_name = self.out.tokens.last().is_some_and(|t| {
            t.kind == Tok::Ident
                && self.text[t.end as usize..at]
                    .bytes()
                    .all(|b| b == b' ' || b == b'\t')
        });
        in_parens && after_name
    }

    /// True when only blanks stand between the start of the line and `at`.
    fn line_start(&self, at: usize) -> bool {
        self.text[..at]
            .bytes()
            .rev()
            .take_while(|&b| b != b'\n')
            .all(|b| b == b' ' || b == b'\t')
    }

    fn line_comment(&mut self) {
        let start = self.pos;
        let len = self.text[start..]
            .find('\n')
            .unwrap_or(self.text.len() - start);
        self.pos += len;
        self.out.line_comments.push((start as u32, self.pos as u32));
    }

    fn block_comment(&mut self) {
        let start = self.pos;
        match self.text[start + 2..].find("*/") {
            Some(len) => {
                self.pos = start + 2 + len + 2;
                if self.text[start..self.pos].contains('\n') && self.newlines_count() {
                    self.push(Tok::Newline, start, self.pos);
                }
            }
            None => {
                self.pos = self.text.len();
                self.error(
                    Code::UnterminatedComment,
                    start,
                    start + 2,
                    "unterminated block comment: expected `*/` before the end of the file"
                        .to_string(),
                );
            }
        }
    }

    fn string(&mut self) {
        let start = self.pos;
        let mut value = String::new();
        let mut i = start + 1;
        while let Some(c) = self.text[i..].chars().next() {
            match c {
                '"' => {
                    self.pos = i + 1;
                    self.push(Tok::Str(value), start, self.pos);
                    return;
                }
                '\n' => break,
                '\\' => match self.text[i + 1..].chars().next() {
                    Some(e @ ('"' | '\\')) => {
                        value.push(e);
                        i += 2;
                    }
                    Some(e) if e != '\n' => {
                        self.error(
                            Code::InvalidEscape,
                            i,
                            i + 1 + e.len_utf8(),
                            format!(
                                "invalid escape `\\{}` in a string: only `\\\"` and `\\\\` are allowed",
                                e.escape_debug()
                            ),
                        );
                        value.push('\\');
                        value.push(e);
                        i += 1 + e.len_utf8();
                    }
                    _ => {
                        value.push('\\');
                        i += 1;
                    }
                },
                c => {
                    value.push(c);
                    i += c.len_utf8();
                }
            }
        }
        // No closing quote on this line.
        let end = i;
        let trimmed = start + self.text[start..end].trim_end_matches('\r').len();
        self.error(
            Code::UnterminatedString,
            start,
            trimmed,
            "unterminated string: expected `\"` before the end of the line".to_string(),
        );
        self.pos = end;
        self.push(Tok::Error, start, trimmed);
        // The closers the user meant are probably inside the string: forget the
        // `(` and `[` opened on this line (silently) so the next line starts afresh.
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1) as u32;
        while let Some(&(b, at)) = self.stack.last() {
            if at < line_start || b == b'{' {
                break;
            }
            self.stack.pop();
            self.counts[slot(b)] -= 1;
            self.out.unclosed.push(at);
        }
    }

    fn number(&mut self) {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        let digits = |mut i: usize| {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        let mut i = digits(start);
        let mut problem: Option<&str> = None;
        if i < bytes.len() && bytes[i] == b'.' {
            if bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i = digits(i + 1);
            } else if !bytes
                .get(i + 1)
                .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
            {
                // `1.` not followed by a name (`1.x` is a number and an access).
                i += 1;
                problem = Some("expected digits after `.`");
            }
        }
        if problem.is_none() && i < bytes.len() && matches!(bytes[i], b'e' | b'E') {
            let mut j = i + 1;
            if j < bytes.len() && matches!(bytes[j], b'+' | b'-') {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                i = digits(j);
            } else {
                i = j;
                problem = Some("expected digits in the exponent");
            }
        }
        // A number glued to letters, digits or another fraction is one bad token.
        let glued = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        if i < bytes.len()
            && glued(bytes[i])
            && !(bytes[i] == b'.' && problem.is_none() && {
                // `1.x` stays a number followed by `.x`.
                bytes
                    .get(i + 1)
                    .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
            })
        {
            while i < bytes.len() && glued(bytes[i]) {
                i += 1;
            }
            problem.get_or_insert("a number cannot run into letters, digits or `.`");
        }
        self.pos = i;
        let text = &self.text[start..i];
        match (problem, text.parse::<f64>()) {
            (None, Ok(value)) => self.push(Tok::Number(value), start, i),
            (problem, _) => {
                let why = problem.unwrap_or("not a number");
                self.error(
                    Code::InvalidNumber,
                    start,
                    i,
                    format!("invalid number `{text}`: {why}"),
                );
                self.push(Tok::Error, start, i);
            }
        }
    }

    fn punct(&mut self) {
        let start = self.pos;
        let Some((kind, len)) = operator(&self.text[start..]) else {
            self.unexpected();
            return;
        };
        self.pos += len;
        match kind {
            Tok::LParen | Tok::LBracket | Tok::LBrace => {
                let b = self.text.as_bytes()[start];
                self.stack.push((b, start as u32));
                self.counts[slot(b)] += 1;
            }
            Tok::RParen | Tok::RBracket | Tok::RBrace => {
                let opener = match kind {
                    Tok::RParen => b'(',
                    Tok::RBracket => b'[',
                    _ => b'{',
                };
                if self.counts[slot(opener)] > 0 {
                    // Everything opened after the matching opener is unclosed.
                    let mut dropped = Vec::new();
                    while let Some((b, at)) = self.stack.pop() {
                        self.counts[slot(b)] -= 1;
                        if b == opener {
                            break;
                        }
                        dropped.push((b, at));
                    }
                    dropped.reverse();
                    if !dropped.is_empty() {
                        self.out.popping_closers.push(start as u32);
                    }
                    let closer = &self.text[start..start + 1];
                    self.report_unclosed(&dropped, &format!("before `{closer}`"));
                } else if let Some(&(b @ (b'(' | b'['), _)) = self.stack.last() {
                    // A mistyped closer (`(1, 2]`): it closes the innermost `(` or
                    // `[` (the parser reports the mismatch) so that the next line
                    // is not swallowed.
                    self.stack.pop();
                    self.counts[slot(b)] -= 1;
                }
            }
            _ => {}
        }
        self.push(kind, start, self.pos);
    }

    /// Reports openers never closed (outermost first). More than three in one place
    /// become one diagnostic with a note.
    fn report_unclosed(&mut self, openers: &[(u8, u32)], place: &str) {
        self.out.unclosed.extend(openers.iter().map(|&(_, at)| at));
        let shown = if openers.len() > 3 { 1 } else { openers.len() };
        for &(b, at) in &openers[..shown] {
            let close = match b {
                b'(' => ')',
                b'[' => ']',
                _ => '}',
            };
            let at = at as usize;
            let mut d = Diagnostic::error(
                Code::UnclosedDelimiter,
                self.span(at, at + 1),
                format!("unclosed `{}`: expected `{close}` {place}", b as char),
            );
            if openers.len() > shown {
                d = d.with_note(format!(
                    "{} more unclosed delimiters follow it",
                    openers.len() - shown
                ));
            }
            self.out.diagnostics.push(d);
        }
    }

    fn unexpected(&mut self) {
        let start = self.pos;
        let mut end = start;
        for (i, c) in self.text[start..].char_indices() {
            let next = self.text[start + i + c.len_utf8()..].chars().next();
            if i > 0 && is_known(c, next) {
                break;
            }
            end = start + i + c.len_utf8();
        }
        self.pos = end;
        let run = &self.text[start..end];
        let shown: String = run.chars().flat_map(char::escape_debug).collect();
        let hint = match run {
            ":" => " (did you mean `::`?)",
            "|" => " (did you mean `||`?)",
            "&" => " (did you mean `&&`?)",
            _ if !run.is_ascii() => ": names use ASCII letters, digits and `_`",
            _ => "",
        };
        let what = if run.chars().count() == 1 {
            "character"
        } else {
            "characters"
        };
        self.error(
            Code::UnexpectedChar,
            start,
            end,
            format!("unexpected {what} `{shown}`{hint}"),
        );
        self.push(Tok::Error, start, end);
    }
}
