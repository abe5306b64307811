//! Completion from the text before the cursor: after `me@` the coordinates,
//! after `mouse@` the pointer's, after `inst@` (or `inst.`) that instance's
//! outputs, after `me<` the render settings, after `#` the control pragmas; elsewhere the builtins with their
//! signatures, the instances and spindles in scope, the constants and keywords.

use crate::analysis::Analysis;
use crate::builtins::{BUILTINS, COORDS, KEYWORDS, PRAGMAS, SETTINGS};
use crate::index::DefKind;
use lsp_types::{CompletionItem, CompletionItemKind};
use weft_diagnostics::FileId;

/// The completions at byte `offset` of `file`.
pub fn complete(a: &Analysis, file: FileId, offset: usize) -> Vec<CompletionItem> {
    let text = a.text(file);
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let lead = &before[..word_start(before)];
    if let Some(rest) = lead.strip_suffix('@').or_else(|| lead.strip_suffix('.')) {
        return outputs_of(a, file, &rest[word_start(rest)..], program_coords(a));
    }
    if let Some(rest) = lead.strip_suffix('#') {
        if rest
            .rsplit('\n')
            .next()
            .is_some_and(|l| l.trim().is_empty())
        {
            return PRAGMAS
                .iter()
                .map(|(p, form)| item(p, CompletionItemKind::KEYWORD, form))
                .collect();
        }
    }
    if let Some(rest) = lead.strip_suffix('<') {
        if rest.rsplit('\n').next().is_some_and(|l| l.trim() == "me") {
            return SETTINGS
                .iter()
                .map(|(s, what)| item(s, CompletionItemKind::PROPERTY, what))
                .collect();
        }
    }
    general(a, file)
}

/// Where the name that `s` ends with starts.
fn word_start(s: &str) -> usize {
    let name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    s.len() - s.chars().rev().take_while(|&c| name(c)).count()
}

fn item(label: &str, kind: CompletionItemKind, detail: &str) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind: Some(kind),
        detail: Some(detail.to_string()),
        ..Default::default()
    }
}

fn program_coords(a: &Analysis) -> Vec<String> {
    a.program
        .as_ref()
        .map(|p| p.coords.clone())
        .unwrap_or_default()
}

fn outputs_of(a: &Analysis, file: FileId, inst: &str, extra: Vec<String>) -> Vec<CompletionItem> {
    match inst {
        "me" => {
            let mut v: Vec<CompletionItem> = COORDS
                .iter()
                .map(|(c, what)| item(c, CompletionItemKind::FIELD, what))
                .collect();
            for c in extra {
                if !COORDS.iter().any(|(k, _)| *k == c) {
                    v.push(item(
                        &c,
                        CompletionItemKind::FIELD,
                        "a coordinate of this program",
                    ));
                }
            }
            v
        }
        "mouse" => ["x", "y"]
            .iter()
            .map(|c| item(c, CompletionItemKind::FIELD, "the pointer, 0..1"))
            .collect(),
        _ => {
            let mut outs = a.index.outputs_of(inst, file);
            if outs.is_empty() {
                // A spindle's local strand.
                if let Some(d) = a.index.defs.iter().find(|d| d.name == inst) {
                    outs = d.outputs.iter().collect();
                }
            }
            outs.iter()
                .map(|o| {
                    item(
                        &o.name,
                        CompletionItemKind::FIELD,
                        &format!("output of `{inst}`"),
                    )
                })
                .collect()
        }
    }
}

fn general(a: &Analysis, file: FileId) -> Vec<CompletionItem> {
    let mut v: Vec<CompletionItem> = BUILTINS
        .iter()
        .map(|b| CompletionItem {
            documentation: Some(lsp_types::Documentation::String(b.doc.to_string())),
            ..item(b.name, CompletionItemKind::FUNCTION, b.signature)
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for (i, d) in a.index.defs.iter().enumerate() {
        let visible = match d.kind {
            DefKind::Instance | DefKind::Spindle => a.index.global(&d.name, file) == Some(i),
            _ => false,
        };
        if !visible || !seen.insert(d.name.clone()) {
            continue;
        }
        let outs: Vec<&str> = d.outputs.iter().map(|o| o.name.as_str()).collect();
        v.push(match d.kind {
            DefKind::Spindle => item(
                &d.name,
                CompletionItemKind::FUNCTION,
                &format!("spindle {}({})", d.name, d.params.join(", ")),
            ),
            _ => item(
                &d.name,
                CompletionItemKind::VARIABLE,
                &format!("{}<{}>", d.name, outs.join(", ")),
            ),
        });
    }
    for c in ["pi", "tau", "e"] {
        v.push(item(c, CompletionItemKind::CONSTANT, "constant"));
    }
    for k in KEYWORDS {
        v.push(item(k, CompletionItemKind::KEYWORD, "keyword"));
    }
    v
}
