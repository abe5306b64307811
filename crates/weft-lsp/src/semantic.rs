//! Semantic tokens: every token of a file classified by what the index says it
//! is (an instance, an output, a spindle, a builtin, a coordinate…), plus
//! numbers, strings, keywords and comments, in the protocol's relative encoding.

use crate::analysis::Analysis;
use crate::builtins::KEYWORDS;
use crate::index::{DefKind, Target};
use lsp_types::{SemanticToken, SemanticTokenModifier, SemanticTokenType, SemanticTokensLegend};
use std::collections::HashMap;
use weft_diagnostics::FileId;
use weft_lang::syntax::{tokens, Tok};

const TYPES: &[SemanticTokenType] = &[
    SemanticTokenType::KEYWORD,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::NUMBER,
    SemanticTokenType::STRING,
    SemanticTokenType::COMMENT,
    SemanticTokenType::NAMESPACE,
];
const KEYWORD: u32 = 0;
const VARIABLE: u32 = 1;
const PROPERTY: u32 = 2;
const FUNCTION: u32 = 3;
const PARAMETER: u32 = 4;
const NUMBER: u32 = 5;
const STRING: u32 = 6;
const COMMENT: u32 = 7;
const NAMESPACE: u32 = 8;
const DECLARATION: u32 = 1;
const DEFAULT_LIBRARY: u32 = 2;

/// The legend the server announces.
pub fn legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: TYPES.to_vec(),
        token_modifiers: vec![
            SemanticTokenModifier::DECLARATION,
            SemanticTokenModifier::DEFAULT_LIBRARY,
        ],
    }
}

/// The tokens of `file`.
pub fn tokens_of(a: &Analysis, file: FileId) -> Vec<SemanticToken> {
    let text = a.text(file);
    let Some(lines) = a.lines.get(file.0 as usize) else {
        return Vec::new();
    };
    let mut targets: HashMap<u32, &Target> = HashMap::new();
    for o in a.index.occurrences.iter().filter(|o| o.span.file == file) {
        targets.insert(o.span.start, &o.target);
    }
    let mut spans: Vec<(usize, usize, u32, u32)> = Vec::new();
    let mut pos = 0;
    for tok in tokens(text) {
        let (start, end) = (tok.start as usize, tok.end as usize);
        comments(text.get(pos..start).unwrap_or(""), pos, &mut spans);
        pos = end.max(pos);
        let class = match &tok.kind {
            Tok::Number(_) => Some((NUMBER, 0)),
            Tok::Str(_) => Some((STRING, 0)),
            Tok::Newline if end > start + 1 => Some((COMMENT, 0)),
            Tok::Ident => match targets.get(&tok.start) {
                Some(t) => class_of(a, t, tok.start),
                None => {
                    let word = text.get(start..end).unwrap_or("");
                    (KEYWORDS.contains(&word) || word == "render").then_some((KEYWORD, 0))
                }
            },
            _ => None,
        };
        if let Some((ty, mods)) = class {
            spans.push((start, end, ty, mods));
        }
    }
    spans.sort_by_key(|s| s.0);
    let mut out = Vec::new();
    let (mut line, mut col) = (0u32, 0u32);
    for (start, end, ty, mods) in spans {
        // A token spanning lines is sent one line at a time.
        let mut s = start;
        while s < end {
            let e = text[s..end].find('\n').map_or(end, |i| s + i);
            let (p, q) = (lines.position(text, s), lines.position(text, e));
            if q.character > p.character {
                let delta_line = p.line - line;
                let delta_start = if delta_line == 0 {
                    p.character - col
                } else {
                    p.character
                };
                out.push(SemanticToken {
                    delta_line,
                    delta_start,
                    length: q.character - p.character,
                    token_type: ty,
                    token_modifiers_bitset: mods,
                });
                (line, col) = (p.line, p.character);
            }
            s = e + 1;
        }
    }
    out
}

fn class_of(a: &Analysis, t: &Target, start: u32) -> Option<(u32, u32)> {
    Some(match t {
        Target::Def(d) => {
            let def = &a.index.defs[*d];
            let decl = if def.span.start == start {
                DECLARATION
            } else {
                0
            };
            let ty = match def.kind {
                DefKind::Spindle => FUNCTION,
                DefKind::Param => PARAMETER,
                DefKind::Segment => NAMESPACE,
                DefKind::Instance | DefKind::Local => VARIABLE,
            };
            (ty, decl)
        }
        Target::Output(..) | Target::Coord(_) | Target::Mouse(_) | Target::Setting(_) => {
            (PROPERTY, 0)
        }
        Target::Builtin(_) => (FUNCTION, DEFAULT_LIBRARY),
        Target::Constant(_) => (VARIABLE, DEFAULT_LIBRARY),
        Target::Keyword => (KEYWORD, 0),
        Target::File(_) | Target::Unknown => return None,
    })
}

/// The comments in a gap between tokens starting at byte `at`.
fn comments(gap: &str, at: usize, out: &mut Vec<(usize, usize, u32, u32)>) {
    let mut i = 0;
    while i < gap.len() {
        let rest = &gap[i..];
        let len = if rest.starts_with("//") {
            rest.find('\n').unwrap_or(rest.len())
        } else if let Some(body) = rest.strip_prefix("/*") {
            body.find("*/").map_or(rest.len(), |k| k + 4)
        } else {
            i += rest.chars().next().map_or(1, char::len_utf8);
            continue;
        };
        out.push((at + i, at + i + len, COMMENT, 0));
        i += len;
    }
}
