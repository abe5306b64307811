//! `weft fmt`: one canonical layout for WEFT source.
//!
//! The formatter works on the lexer's tokens, not on the tree: it only ever
//! changes the white space between tokens (and turns a `;` between statements
//! into a line break), so comments and prose stay where they were written and
//! the meaning cannot change. Invariants:
//! - only a file that parses without errors is formatted ([`FmtError::Parse`]
//!   otherwise, with the parser's diagnostics);
//! - the result parses to the same tree as the input (checked on every call, so a
//!   formatter bug is [`FmtError::Changed`], never a changed program);
//! - `format(format(x)) == format(x)`: every layout decision depends on the
//!   tokens and comments alone, except line breaks inside brackets that hold a
//!   comment, which are kept where the author put them;
//! - nothing panics on any input.
//!
//! Modules: `stream` (tokens and comments into statement lines), `layout`
//! (spacing and breaking long lines), `file` (a file in place).

mod file;
mod layout;
mod stream;

pub use file::{format_path, FileError, Outcome};

use weft_diagnostics::{Diagnostic, FileId};

/// Lines longer than this (indentation included) are broken at their widest
/// bracket group when they have one.
pub const MAX_WIDTH: usize = 100;

/// Why a text was not formatted.
#[derive(Debug, thiserror::Error)]
pub enum FmtError {
    /// The text does not parse; nothing is formatted.
    #[error("the file has syntax errors")]
    Parse(Vec<Diagnostic>),
    /// The formatted text would parse differently (a formatter bug): refused.
    #[error(
        "formatting would change the program's meaning (a weft fmt bug); the file is left as it is"
    )]
    Changed,
}

/// Formats `text` (the diagnostics of [`FmtError::Parse`] name `file`).
pub fn format(file: FileId, text: &str) -> Result<String, FmtError> {
    let (tree, diagnostics) = weft_lang::parse(file, text);
    if weft_diagnostics::has_errors(&diagnostics) {
        return Err(FmtError::Parse(diagnostics));
    }
    let out = layout::render(&stream::lines(text));
    let (again, errors) = weft_lang::parse(file, &out);
    if weft_diagnostics::has_errors(&errors) || weft_lang::dump(&again) != weft_lang::dump(&tree) {
        return Err(FmtError::Changed);
    }
    Ok(out)
}
