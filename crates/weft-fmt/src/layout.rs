//! Spacing between pieces and the layout of each statement line: on one line
//! when it fits in [`MAX_WIDTH`], else its widest bracket group with commas
//! broken one element per line (recursively); brackets holding a line comment
//! keep the author's line breaks, indented by depth.

use crate::stream::{Kind, Line, Piece, Role, OPERAND_WORDS};
use crate::MAX_WIDTH;
use weft_lang::syntax::Tok;

const INDENT: &str = "    ";

/// Renders every line into the formatted text.
pub(crate) fn render(lines: &[Line]) -> String {
    let mut out = String::new();
    for line in lines {
        if line.blank_before {
            out.push('\n');
        }
        for (level, text) in layout_line(line) {
            for _ in 0..level {
                out.push_str(INDENT);
            }
            out.push_str(&text);
            out.push('\n');
        }
    }
    out
}

/// Is there a space between `a` and `b` on one line?
fn space(a: &Piece, b: &Piece) -> bool {
    if a.is_comment() || b.is_comment() {
        return true;
    }
    let (Kind::Tok(ta), Kind::Tok(tb)) = (&a.kind, &b.kind) else {
        return true;
    };
    // Never glue two pieces into another token (`<` `<` is `<<`, `<` `=` is `<=`).
    if a.text.ends_with(['<', '>']) && b.text.starts_with(['<', '>', '=']) {
        return true;
    }
    if matches!(
        tb,
        Tok::RParen | Tok::RBracket | Tok::Comma | Tok::Dot | Tok::At | Tok::Semi | Tok::Colon
    ) || b.role == Role::AngleClose
    {
        return false;
    }
    if matches!(
        ta,
        Tok::LParen | Tok::LBracket | Tok::Dot | Tok::At | Tok::Hash
    ) || a.role == Role::AngleOpen
        || a.role == Role::Unary
        || matches!(ta, Tok::Caret)
        || matches!(tb, Tok::Caret)
    {
        return false;
    }
    match tb {
        Tok::LParen | Tok::LBracket => match ta {
            Tok::Ident => OPERAND_WORDS.contains(&a.text),
            Tok::RParen | Tok::RBracket => false,
            _ => a.role != Role::AngleClose,
        },
        Tok::Lt if b.role == Role::AngleOpen => !matches!(ta, Tok::Ident),
        _ => true,
    }
}

/// The pieces on one line.
fn flat(pieces: &[Piece]) -> String {
    let mut s = String::new();
    for (i, p) in pieces.iter().enumerate() {
        if i > 0 && space(&pieces[i - 1], p) {
            s.push(' ');
        }
        s.push_str(p.text);
    }
    s
}

fn width(level: usize, text: &str) -> usize {
    level * INDENT.len() + text.chars().count()
}

/// One statement line as (indent level, text) lines.
fn layout_line(line: &Line) -> Vec<(usize, String)> {
    let pieces = &line.pieces;
    let keeps_breaks = pieces.iter().any(|p| {
        p.inside && (p.kind == Kind::LineComment || (p.is_comment() && p.text.contains('\n')))
    });
    if keeps_breaks {
        return kept(pieces, line.indent);
    }
    // Comments after the last token stay at the end, outside the width.
    let split = pieces
        .iter()
        .rposition(|p| !p.is_comment())
        .map_or(0, |i| i + 1);
    let (code, trailing) = pieces.split_at(split);
    let mut out = if code.is_empty() {
        vec![(line.indent, String::new())]
    } else {
        fit(code, line.indent)
    };
    if !trailing.is_empty() {
        let last = out.len() - 1;
        let text = &mut out[last].1;
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&flat(trailing));
    }
    out
}

/// The author's breaks inside brackets, each continuation indented by depth.
fn kept(pieces: &[Piece], indent: usize) -> Vec<(usize, String)> {
    let mut out = vec![(indent, String::new())];
    for (i, p) in pieces.iter().enumerate() {
        let after_comment = i > 0 && pieces[i - 1].kind == Kind::LineComment;
        if i > 0 && ((p.break_before && p.inside) || after_comment) {
            out.push((indent + p.depth, String::new()));
        } else if i > 0 && space(&pieces[i - 1], p) {
            if let Some(l) = out.last_mut() {
                l.1.push(' ');
            }
        }
        if let Some(l) = out.last_mut() {
            l.1.push_str(p.text);
        }
    }
    out
}

/// `pieces` on one line if they fit, else broken at the widest group.
fn fit(pieces: &[Piece], level: usize) -> Vec<(usize, String)> {
    let one = flat(pieces);
    if width(level, &one) <= MAX_WIDTH {
        return vec![(level, one)];
    }
    let Some((open, close)) = widest_group(pieces) else {
        return vec![(level, one)];
    };
    let mut out = vec![(level, flat(&pieces[..=open]))];
    let mut start = open + 1;
    let mut depth = 0usize;
    for i in open + 1..close {
        match pieces[i].tok() {
            Some(Tok::LParen | Tok::LBracket) => depth += 1,
            Some(Tok::RParen | Tok::RBracket) => depth = depth.saturating_sub(1),
            Some(Tok::Comma) if depth == 0 => {
                out.extend(fit(&pieces[start..=i], level + 1));
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < close {
        out.extend(fit(&pieces[start..close], level + 1));
    }
    out.extend(fit(&pieces[close..], level));
    out
}

/// The `(` or `[` at the top of `pieces` with a comma inside that spans the
/// most pieces, with its closer.
fn widest_group(pieces: &[Piece]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    let mut depth = 0usize;
    let mut open = 0;
    let mut commas = 0;
    for (i, p) in pieces.iter().enumerate() {
        match p.tok() {
            Some(Tok::LParen | Tok::LBracket) => {
                if depth == 0 {
                    open = i;
                    commas = 0;
                }
                depth += 1;
            }
            Some(Tok::RParen | Tok::RBracket) if depth > 0 => {
                depth -= 1;
                if depth == 0 && commas > 0 && best.is_none_or(|(o, c)| c - o < i - open) {
                    best = Some((open, i));
                }
            }
            Some(Tok::Comma) if depth == 1 => commas += 1,
            _ => {}
        }
    }
    best
}
