//! The source as statement lines: the lexer's tokens with the comments between
//! them, cut into one [`Line`] per statement (a `;` between statements is a cut
//! like a line break; a `{` ends its line and a `}` starts one), each token
//! tagged with what the layout needs to know about it (its bracket depth, whether
//! the author broke the line before it, whether a `<` opens a list or compares).

use weft_lang::syntax::{tokens, Tok};

/// What a piece of source is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind {
    /// A token (never `Newline`, `Semi` between statements or `Eof`).
    Tok(Tok),
    /// `// …` (always the last piece of its source line).
    LineComment,
    /// `/* … */`.
    BlockComment,
}

/// What a token does where it stands, when its kind alone does not say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// Nothing special.
    Plain,
    /// A `<` opening an output list (`img<r, g>`) or a bundle (`<a, b>`).
    AngleOpen,
    /// The `>` closing one.
    AngleClose,
    /// A prefix `-`, `+` or `!`.
    Unary,
}

/// One token or comment with its layout facts.
#[derive(Clone, Debug)]
pub(crate) struct Piece<'a> {
    pub kind: Kind,
    pub text: &'a str,
    pub role: Role,
    /// Bracket (`(`, `[`) depth for indentation: a closer counts as outside.
    pub depth: usize,
    /// Inside a bracket, where a line break means nothing to the parser.
    pub inside: bool,
    /// The author broke the line just before this piece.
    pub break_before: bool,
}

impl Piece<'_> {
    pub fn is_comment(&self) -> bool {
        !matches!(self.kind, Kind::Tok(_))
    }

    pub fn tok(&self) -> Option<&Tok> {
        match &self.kind {
            Kind::Tok(t) => Some(t),
            _ => None,
        }
    }
}

/// One statement line (or a comment line, or a `}`).
#[derive(Clone, Debug, Default)]
pub(crate) struct Line<'a> {
    /// Block depth (`{ }`).
    pub indent: usize,
    /// A blank line above it in the source (several count as one).
    pub blank_before: bool,
    pub pieces: Vec<Piece<'a>>,
}

/// Words after which an operand comes (so a `-` after them is a prefix).
pub(crate) const OPERAND_WORDS: &[&str] = &["return", "if", "then", "else", "and", "or", "not"];

struct Cutter<'a> {
    lines: Vec<Line<'a>>,
    cur: Line<'a>,
    indent: usize,
    depth: usize,
    newlines: usize,
    /// Bundles open, by the bracket depth they were opened at.
    bundles: Vec<usize>,
    /// An output list is open (`img<r, g`…).
    in_list: bool,
}

impl<'a> Cutter<'a> {
    fn end_line(&mut self) {
        if !self.cur.pieces.is_empty() {
            let line = std::mem::take(&mut self.cur);
            self.lines.push(line);
        }
        self.in_list = false;
        self.bundles.clear();
    }

    fn push(&mut self, kind: Kind, text: &'a str, role: Role, depth: usize, inside: bool) {
        if self.cur.pieces.is_empty() {
            let after_open = self
                .lines
                .last()
                .and_then(|l| l.pieces.last())
                .is_some_and(|p| p.tok() == Some(&Tok::LBrace));
            self.cur.indent = self.indent;
            self.cur.blank_before = self.newlines >= 2
                && !self.lines.is_empty()
                && !after_open
                && kind != Kind::Tok(Tok::RBrace);
        }
        self.cur.pieces.push(Piece {
            kind,
            text,
            role,
            depth,
            inside,
            break_before: self.newlines > 0,
        });
        self.newlines = 0;
    }

    /// The last token of the current statement, comments skipped.
    fn prev(&self) -> Option<&Piece<'a>> {
        self.cur.pieces.iter().rev().find(|p| !p.is_comment())
    }

    fn operand_expected(&self) -> bool {
        let Some(p) = self.prev() else { return true };
        let Kind::Tok(t) = &p.kind else { return true };
        match t {
            Tok::Ident => OPERAND_WORDS.contains(&p.text),
            Tok::Number(_) | Tok::Str(_) | Tok::RParen | Tok::RBracket | Tok::RBrace => false,
            Tok::Gt => p.role != Role::AngleClose,
            _ => true,
        }
    }

    fn role(&mut self, t: &Tok) -> Role {
        match t {
            Tok::Lt => {
                let toks: Vec<&Piece> =
                    self.cur.pieces.iter().filter(|p| !p.is_comment()).collect();
                let n = toks.len();
                let prev = toks.last().and_then(|p| p.tok());
                // `name<…` opening a statement, after `::`, or in a pragma
                // (`#slider name<…`).
                let list = match prev {
                    Some(Tok::ColonColon) => true,
                    Some(Tok::Ident) => {
                        n == 1
                            || toks[n - 2].tok() == Some(&Tok::ColonColon)
                            || (n == 3 && toks[0].tok() == Some(&Tok::Hash))
                    }
                    _ => false,
                };
                if list && self.depth == 0 {
                    self.in_list = true;
                    Role::AngleOpen
                } else if self.operand_expected() {
                    self.bundles.push(self.depth);
                    Role::AngleOpen
                } else {
                    Role::Plain
                }
            }
            Tok::Gt if self.in_list => {
                self.in_list = false;
                Role::AngleClose
            }
            Tok::Gt if self.bundles.last() == Some(&self.depth) => {
                self.bundles.pop();
                Role::AngleClose
            }
            Tok::Minus | Tok::Plus if self.operand_expected() => Role::Unary,
            Tok::Bang => Role::Unary,
            _ => Role::Plain,
        }
    }

    /// The comments in a stretch of text between tokens.
    fn gap(&mut self, gap: &'a str) {
        let mut rest = gap;
        while !rest.is_empty() {
            if let Some(r) = rest.strip_prefix('\n') {
                self.newlines += 1;
                rest = r;
            } else if rest.starts_with("//") {
                let end = rest.find('\n').unwrap_or(rest.len());
                self.comment(Kind::LineComment, rest[..end].trim_end_matches('\r'));
                rest = &rest[end..];
            } else if let Some(body) = rest.strip_prefix("/*") {
                let end = body.find("*/").map_or(rest.len(), |i| i + 4);
                self.comment(Kind::BlockComment, &rest[..end]);
                rest = &rest[end..];
            } else {
                let c = rest.chars().next().map_or(1, char::len_utf8);
                rest = &rest[c..];
            }
        }
    }

    fn comment(&mut self, kind: Kind, text: &'a str) {
        let own_line = self.newlines > 0 || (self.lines.is_empty() && self.cur.pieces.is_empty());
        // After a `{` or a `;` on the same line: it stays on that line (on a line
        // of its own it would become the next statement's prose).
        if !own_line && self.cur.pieces.is_empty() {
            if let Some(last) = self.lines.last_mut() {
                last.pieces.push(Piece {
                    kind,
                    text,
                    role: Role::Plain,
                    depth: 0,
                    inside: false,
                    break_before: false,
                });
                return;
            }
        }
        if own_line && self.depth == 0 {
            self.end_line();
        }
        self.push(kind, text, Role::Plain, self.depth, self.depth > 0);
    }

    fn token(&mut self, kind: Tok, text: &'a str) {
        let inside = self.depth > 0;
        match kind {
            Tok::Newline if text == "\n" => {
                self.end_line();
                self.newlines += 1;
            }
            Tok::Newline => {
                // A block comment over several lines: a line break to the parser.
                self.push(Kind::BlockComment, text, Role::Plain, self.depth, inside);
                self.end_line();
            }
            Tok::Semi if self.depth == 0 => self.end_line(),
            Tok::LBrace if self.depth == 0 => {
                self.push(Kind::Tok(kind), text, Role::Plain, 0, false);
                self.end_line();
                self.indent += 1;
            }
            Tok::RBrace if self.depth == 0 => {
                self.end_line();
                self.indent = self.indent.saturating_sub(1);
                self.push(Kind::Tok(kind), text, Role::Plain, 0, false);
            }
            Tok::LParen | Tok::LBracket => {
                self.push(Kind::Tok(kind), text, Role::Plain, self.depth, inside);
                self.depth += 1;
            }
            Tok::RParen | Tok::RBracket => {
                self.depth = self.depth.saturating_sub(1);
                self.push(Kind::Tok(kind), text, Role::Plain, self.depth, inside);
            }
            // `img<v>=1` lexes `>=`: the list's closer and the `=`.
            Tok::Ge if self.in_list && text == ">=" => {
                self.in_list = false;
                self.push(Kind::Tok(Tok::Gt), &text[..1], Role::AngleClose, 0, inside);
                self.push(Kind::Tok(Tok::Eq), &text[1..], Role::Plain, 0, inside);
            }
            _ => {
                let role = self.role(&kind);
                self.push(Kind::Tok(kind), text, role, self.depth, inside);
            }
        }
    }
}

/// Cuts `text` (which parses without errors) into statement lines.
pub(crate) fn lines(text: &str) -> Vec<Line<'_>> {
    let mut cut = Cutter {
        lines: Vec::new(),
        cur: Line::default(),
        indent: 0,
        depth: 0,
        newlines: 0,
        bundles: Vec::new(),
        in_list: false,
    };
    let mut pos = if text.starts_with('\u{feff}') { 3 } else { 0 };
    for tok in tokens(text) {
        let (start, end) = (tok.start as usize, tok.end as usize);
        if let Some(gap) = text.get(pos..start) {
            cut.gap(gap);
        }
        pos = end.max(pos);
        if tok.kind == Tok::Eof {
            break;
        }
        let Some(t) = text.get(start..end) else {
            continue;
        };
        cut.token(tok.kind, t);
    }
    cut.end_line();
    cut.lines
}
