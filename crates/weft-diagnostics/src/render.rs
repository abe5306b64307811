//! The one place diagnostics become text.

use crate::{Diagnostic, SourceMap};
use std::fmt::Write;

/// The most characters of a source line an excerpt shows; a longer line is cut
/// to a window around the span, with `…` where text was left out.
pub const EXCERPT_WIDTH: usize = 120;

/// Renders one diagnostic:
///
/// ```text
/// sketch.weft:3:9: error[E0301]: unknown name `pulze`
///   |
/// 3 | img<r> = pulze@v
///   |          ^^^^^
///   = note: …
/// ```
pub fn render(diagnostic: &Diagnostic, sources: &SourceMap) -> String {
    let mut out = String::new();
    let head = format!(
        "{}[{}]: {}",
        diagnostic.severity.as_str(),
        diagnostic.code.as_str(),
        diagnostic.message
    );
    // Notes line up with the excerpt's `|`, whatever the width of the line number.
    let mut gutter = 1;
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
            gutter = start.line.to_string().len();
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
            let excerpt = Excerpt::new(line_text, start.col - 1, width);
            let _ = writeln!(out, "{:gutter$} |", "");
            let _ = writeln!(out, "{} | {}", start.line, excerpt.text);
            let _ = writeln!(
                out,
                "{:gutter$} | {}{}",
                "",
                " ".repeat(excerpt.caret_col),
                "^".repeat(excerpt.caret_width)
            );
        }
    }
    for note in &diagnostic.notes {
        let _ = writeln!(out, "{:gutter$} = note: {note}", "");
    }
    out
}

/// The part of a source line an excerpt shows, and where its carets go.
struct Excerpt {
    /// The shown text (tabs as spaces, `…` where cut).
    text: String,
    /// Characters before the first caret.
    caret_col: usize,
    /// Number of carets.
    caret_width: usize,
}

impl Excerpt {
    /// The excerpt of `line` for a span starting `col` characters in (0-based),
    /// `width` characters wide.
    fn new(line: &str, col: usize, width: usize) -> Excerpt {
        let shown =
            |s: &str| -> String { s.chars().map(|c| if c == '\t' { ' ' } else { c }).collect() };
        // Counting stops early: a 5 MB line is not walked past the window.
        let fits = line.char_indices().nth(EXCERPT_WIDTH).is_none();
        if fits {
            return Excerpt {
                text: shown(line),
                caret_col: col,
                caret_width: width,
            };
        }
        // A window of EXCERPT_WIDTH characters with the span's start a third of
        // the way in (or at the line's start or end).
        let from = col.saturating_sub(EXCERPT_WIDTH / 3);
        let from_byte = line.char_indices().nth(from).map_or(line.len(), |(b, _)| b);
        let rest = &line[from_byte..];
        let (window, cut_right) = match rest.char_indices().nth(EXCERPT_WIDTH) {
            Some((b, _)) => (&rest[..b], true),
            None => (rest, false),
        };
        let window_chars = window.chars().count();
        let lead = usize::from(from > 0);
        let mut text = String::with_capacity(window.len() + 6);
        if from > 0 {
            text.push('…');
        }
        text.push_str(&shown(window));
        if cut_right {
            text.push('…');
        }
        // Carets cover the span's characters inside the window (at least one).
        let visible = (from + window_chars).saturating_sub(col).max(1);
        Excerpt {
            text,
            caret_col: lead + col - from,
            caret_width: width.min(visible),
        }
    }
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
    fn notes_line_up_with_the_bar_for_long_line_numbers() {
        let mut sources = SourceMap::new();
        let text = format!("{}img<r> = pulze@v\n", "\n".repeat(11));
        let f = sources.add("s.weft", text.as_str());
        let d = Diagnostic::error(Code::UnknownName, Span::new(f, 20, 25), "unknown")
            .with_note("a note");
        assert_eq!(
            render(&d, &sources),
            "s.weft:12:10: error[E0301]: unknown\n   |\n12 | img<r> = pulze@v\n   |          ^^^^^\n   = note: a note\n"
        );
        let spanless = Diagnostic::spanless(Code::ImportNotFound, "gone").with_note("n");
        assert_eq!(
            render(&spanless, &sources),
            "error[E0307]: gone\n  = note: n\n"
        );
    }

    /// The excerpt line and the caret line of a rendered diagnostic.
    fn excerpt(rendered: &str) -> (String, String) {
        let lines: Vec<&str> = rendered.lines().collect();
        let cut = |l: &str| {
            l.split_once(" | ")
                .map(|(_, t)| t.to_string())
                .unwrap_or_default()
        };
        (cut(lines[2]), cut(lines[3]))
    }

    #[test]
    fn a_huge_line_is_clipped_around_the_span() {
        let mut sources = SourceMap::new();
        // 5 MB of multi-byte characters with the error in the middle.
        let half = "é".repeat(1_250_000);
        let text = format!("img<r> = {half}pulze{half}\n");
        let f = sources.add("s.weft", text.as_str());
        let start = 9 + half.len();
        let d = Diagnostic::error(Code::UnknownName, Span::new(f, start, start + 5), "unknown");
        let rendered = render(&d, &sources);
        assert!(rendered.len() < 1000, "{} bytes", rendered.len());
        let (line, carets) = excerpt(&rendered);
        assert!(line.starts_with('…') && line.ends_with('…'), "{line}");
        assert_eq!(line.chars().count(), EXCERPT_WIDTH + 2);
        let at = carets.find('^').expect("carets");
        assert_eq!(carets.len() - at, 5);
        let under: String = line.chars().skip(at).take(5).collect();
        assert_eq!(under, "pulze");
    }

    #[test]
    fn clipping_at_either_end_of_a_long_line() {
        let mut sources = SourceMap::new();
        let long = "x".repeat(10_000);
        let f = sources.add("s.weft", format!("ab {long} cd").as_str());
        // At the start: no leading ellipsis; a span wider than the window stops at it.
        let d = Diagnostic::error(Code::UnknownName, Span::new(f, 0, 10_006), "wide");
        let (line, carets) = excerpt(&render(&d, &sources));
        assert!(line.starts_with("ab x") && line.ends_with('…'), "{line}");
        assert_eq!(carets, "^".repeat(EXCERPT_WIDTH));
        // At the end, and just past it.
        for (start, end, under) in [(10_004, 10_006, "cd"), (10_006, 10_006, "")] {
            let d = Diagnostic::error(Code::UnknownName, Span::new(f, start, end), "end");
            let (line, carets) = excerpt(&render(&d, &sources));
            assert!(line.starts_with('…') && line.ends_with(" cd"), "{line}");
            let at = carets.find('^').expect("carets");
            let got: String = line.chars().skip(at).take(under.len()).collect();
            assert_eq!(got, under);
            assert!(at <= line.chars().count());
        }
    }

    #[test]
    fn columns_count_characters() {
        let mut sources = SourceMap::new();
        let f = sources.add("s.weft", "// é\nx");
        assert_eq!(sources.file(f).line_col(6).col, 1);
        assert_eq!(sources.file(f).line_col(5).line, 1);
    }
}
