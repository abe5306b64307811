//! The one place diagnostics become text.

use crate::{Diagnostic, SourceMap};
use std::fmt::Write;

/// Renders one diagnostic:
///
/// ```text
/// sketch.weft:3:9: error[E0301]: unknown name `pulze`
///   |
/// 3 | img<r> = pulze@v
///   |          ^^^^^
/// ```
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = String::new();
    let head = format!(
        "{}[{}]: {}",
        diagnostic.severity.as_str(),
        diagnostic.code.as_str(),
        diagnostic.message
    );
    match diagnostic.span {
        None => {
            let _ = writeln!(out, "{head}");
        }
        Some(span) => {
            let file = sources.file(span.file);
            let start = file.line_col(span.start as usize);
            let _ = writeln!(
                out,
                "{}:{}:{}: {head}",
                file.path.display(),
                start.line,
                start.col
            );
            let line_text = file.line_text(start.line);
            let gutter = start.line.to_string().len();
            let end_col = if span.end > span.start {
                let end = file.line_col(span.end as usize);
                if end.line == start.line {
                    end.col
                } else {
                    line_text.chars().count() + 1
                }
            } else {
                start.col + 1
            };
            let width = end_col.saturating_sub(start.col).max(1);
            let shown: String = line_text
                .chars()
                .map(|c| if c == '\t' { ' ' } else { c })
                .collect();
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", start.line, shown);
            let _ = writeln!(
                out,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(start.col - 1),
                "^".repeat(width)
            );
        }
    }
    for note in &diagnostic.notes {
        let _ = writeln!(out, "  = note: {note}");
    }
    out
}

/// Renders a list, in order, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    diagnostics
        .iter()
        .map(|d| render(d, sources))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Code, Span};

    #[test]
    fn renders_path_line_col_code_and_excerpt() {
        let mut sources = SourceMap::new();
        let f = sources.add("s.weft", "a<v> = 1\nimg<r> = pulze@v\n");
        let d = Diagnostic::error(
            Code::UnknownName,
            Span::new(f, 18, 23),
            "unknown name `pulze`",
        );
        assert_eq!(
            render(&d, &sources),
            "s.weft:2:10: error[E0301]: unknown name `pulze`\n  |\n2 | img<r> = pulze@v\n  |          ^^^^^\n"
        );
    }

    #[test]
    fn columns_count_characters() {
        let mut sources = SourceMap::new();
        let f = sources.add("s.weft", "// é\nx");
        assert_eq!(sources.file(f).line_col(6).col, 1);
        assert_eq!(sources.file(f).line_col(5).line, 1);
    }
}
