//! The WEFT language: syntax, name resolution, imports, spindle inlining, and the
//! resolved program (`ir`) every later stage works on.
//!
//! Invariants:
//! - parsing never fails: it returns the tree and a list of diagnostics;
//! - nothing in this crate panics or overflows the stack on any input: nesting is
//!   bounded with a diagnostic;
//! - a [`ir::Program`] is only produced when every name is resolved, every count
//!   matches and no spindle recurses; later stages may rely on that.

pub mod ast;
pub mod builtins;
pub mod ir;
pub mod load;
mod lower;
pub mod syntax;

pub use load::{
    build_program, build_source, build_with, BuildOptions, Built, DiskReader, ReadError,
    SourceReader,
};
pub use syntax::{dump, parse};
