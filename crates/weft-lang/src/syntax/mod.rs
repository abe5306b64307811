//! Lexer and parser: WEFT source text to an [`ast::File`] plus diagnostics.
//!
//! Invariants:
//! - [`parse`] never fails and never panics: broken expressions become
//!   [`ast::ExprKind::Error`], broken statements are skipped (up to the next newline
//!   or `;` at bracket depth 0, or the `}` closing the current block), and each
//!   problem is one diagnostic (one mistake does not cascade);
//! - nesting is bounded: recursion and tree depth stop at [`MAX_DEPTH`] with one
//!   `TooDeep` diagnostic, so no input overflows the stack here or in any later
//!   stage that walks the tree recursively;
//! - diagnostics come out sorted by position.
//!
//! Modules: `lexer` (tokens), `parser` (shared state and recovery), `expr`
//! (expressions), `remap` (remaps), `items` (statements), `dump` (the snapshot
//! printer).

use crate::ast;
use weft_diagnostics::{Diagnostic, FileId};

mod control;
mod dump;
mod expr;
mod items;
mod lexer;
mod parser;
mod remap;

pub use lexer::{Tok, Token};
pub use parser::MAX_DEPTH;

/// The tokens of `text` (for formatters and editors), ending in [`Tok::Eof`].
/// Comments are not tokens: they are the text between tokens (a block comment that
/// spans lines is the span of its [`Tok::Newline`]). Never fails; problems are
/// [`Tok::Error`] tokens, reported by [`parse`].
pub fn tokens(text: &str) -> Vec<Token> {
    lexer::lex(FileId(0), text).tokens
}

/// Parses one file. Never fails: returns the tree and the diagnostics (sorted by
/// position).
pub fn parse(file: FileId, text: &str) -> (ast::File, Vec<Diagnostic>) {
    let lexed = lexer::lex(file, text);
    let mut p = parser::Parser::new(file, text, lexed);
    let tree = p.file();
    let mut diagnostics = p.diags;
    diagnostics.sort_by_key(|d| d.span.map(|s| s.start));
    (tree, diagnostics)
}

/// A compact S-expression dump of a tree, for snapshot tests: one item per line,
/// prose as `;;` lines above its item.
pub fn dump(file: &ast::File) -> String {
    dump::dump(file)
}
