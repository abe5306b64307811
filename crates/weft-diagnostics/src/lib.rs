//! Diagnostics shared by every weft crate: source files and spans, the stable error
//! codes, and the one renderer that turns a diagnostic into
//! `path:line:col: error[CODE]: message` plus a source excerpt, and the "did you
//! mean …?" suggestions messages share.
//!
//! Invariant: libraries build `Diagnostic` values; only the edge (the CLI, the server)
//! renders them, always through [`render`].

mod code;
mod render;
mod source;
mod suggest;

pub use code::{Code, Severity};
pub use render::{render, render_all};
pub use source::{FileId, LineCol, SourceFile, SourceMap, Span};
pub use suggest::{closest, did_you_mean};

/// One problem found in a program, with where it is and a stable code.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The stable code (`E0301`…), listed in `docs/language.md`.
    pub code: Code,
    /// One line, lower case, no trailing period.
    pub message: String,
    /// Where; `None` for problems that belong to no source text (a missing file given
    /// on the command line).
    pub span: Option<Span>,
    /// Extra lines shown after the excerpt (`note: …`).
    pub notes: Vec<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: Some(span),
            notes: Vec::new(),
        }
    }

    /// A warning at `span`.
    pub fn warning(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            message: message.into(),
            span: Some(span),
            notes: Vec::new(),
        }
    }

    /// An error that belongs to no source text.
    pub fn spanless(code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            span: None,
            notes: Vec::new(),
        }
    }

    /// Adds a `note:` line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// True for errors (warnings never stop a program).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// True when any diagnostic in the list is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}
