//! The answers that read the index: hover, go to definition, references, rename
//! and document symbols. Each takes an analysis and a place and answers `None`
//! (nothing there) rather than fail.

use crate::analysis::Analysis;
use crate::builtins;
use crate::documents::path_uri;
use crate::index::{DefKind, Target};
use lsp_types::{
    DocumentSymbol, Location, MarkupContent, MarkupKind, Range, SymbolKind, TextEdit, Url,
    WorkspaceEdit,
};
use std::collections::{BTreeSet, HashMap};
use weft_diagnostics::{FileId, Span};
use weft_lang::ir::{Expr, InstId};

/// What the name at `offset` of `file` is, in Markdown.
pub fn hover(a: &Analysis, file: FileId, offset: usize) -> Option<(Range, MarkupContent)> {
    let occ = a.index.at(file, offset)?;
    let text = match &occ.target {
        Target::Def(d) => def_text(a, *d, None),
        Target::Output(d, k) => def_text(a, *d, Some(*k)),
        Target::Coord(c) => builtins::coord(c),
        Target::Mouse(c) => {
            format!("`mouse@{c}`: the pointer in the live view, 0..1 (0.5 when there is none).")
        }
        Target::Builtin(name) => {
            let b = builtins::doc(name)?;
            format!("```weft\n{}\n```\nbuiltin: {}", b.signature, b.doc)
        }
        Target::Constant(c) => {
            let v = weft_lang::builtins::constant(c)?;
            format!("`{c}` = {v}")
        }
        Target::Setting(s) => {
            let what = builtins::SETTINGS
                .iter()
                .find(|(n, _)| n == s)
                .map_or("not a setting weft knows", |(_, w)| w);
            format!("`me<{s}>`: {what}.")
        }
        Target::File(p) => format!("`{}`", p.display()),
        Target::Keyword | Target::Unknown => return None,
    };
    Some((
        a.range(occ.span),
        MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        },
    ))
}

fn def_text(a: &Analysis, d: usize, output: Option<usize>) -> String {
    let def = &a.index.defs[d];
    let outs: Vec<&str> = def.outputs.iter().map(|o| o.name.as_str()).collect();
    let mut s = match def.kind {
        DefKind::Instance | DefKind::Local => {
            let head = format!("```weft\n{}<{}>\n```\n", def.name, outs.join(", "));
            match output {
                Some(k) => format!(
                    "{head}output `{}` of instance `{}`",
                    outs.get(k).copied().unwrap_or("?"),
                    def.name
                ),
                None => format!(
                    "{head}instance with {} output{}",
                    outs.len(),
                    if outs.len() == 1 { "" } else { "s" }
                ),
            }
        }
        DefKind::Spindle => {
            let declared = if outs.is_empty() {
                String::new()
            } else {
                format!(" :: <{}>", outs.join(", "))
            };
            let head = format!(
                "```weft\nspindle {}({}){declared}\n```\n",
                def.name,
                def.params.join(", ")
            );
            match output {
                Some(k) => format!(
                    "{head}output `{}` of spindle `{}`",
                    outs.get(k).copied().unwrap_or("?"),
                    def.name
                ),
                None => format!("{head}spindle (inlined at every call)"),
            }
        }
        DefKind::Segment => format!(
            "```weft\nsegment {}({})\n```\nsegment of {} s",
            def.name, def.seconds, def.seconds
        ),
        DefKind::Param => {
            let of = def
                .parent
                .map(|p| a.index.defs[p].name.as_str())
                .unwrap_or("?");
            format!("parameter `{}` of spindle `{of}`", def.name)
        }
    };
    if def.kind == DefKind::Instance {
        if let Some(facts) = instance_facts(a, def.span, output) {
            s.push_str("\n\n");
            s.push_str(&facts);
        }
    }
    if def.span.file != FileId(0) {
        if let Some(p) = a.paths.get(def.span.file.0 as usize) {
            s.push_str(&format!("\n\ndefined in `{}`", p.display()));
        }
    }
    if let Some(prose) = &def.prose {
        s.push_str("\n\n---\n");
        s.push_str(prose);
    }
    s
}

/// What the program says about an instance: the coordinates it reads (through
/// the instances it reads), the backends that draw it, its value when constant.
fn instance_facts(a: &Analysis, name_span: Span, output: Option<usize>) -> Option<String> {
    let program = a.program.as_ref()?;
    let id = program
        .instances
        .iter()
        .position(|i| i.name_span == name_span)?;
    let inst = program.instance(InstId(id as u32));
    // The coordinates the asked outputs read, through the outputs they read.
    let mut coords = BTreeSet::new();
    let mut seen = std::collections::HashSet::new();
    let mut stack: Vec<(usize, Option<usize>)> = vec![(id, output)];
    while let Some((i, out)) = stack.pop() {
        if !seen.insert((i, out)) {
            continue;
        }
        let values = &program.instances[i].values;
        let roots: Vec<_> = match out {
            Some(k) => values.get(k).copied().into_iter().collect(),
            None => values.clone(),
        };
        for e in program.reachable(&roots) {
            match program.expr(e) {
                Expr::Coord(c) => {
                    coords.insert(program.coords[c.0 as usize].clone());
                }
                Expr::Ref { inst, out } => stack.push((inst.0 as usize, Some(*out as usize))),
                _ => {}
            }
        }
    }
    let mut lines = Vec::new();
    if coords.is_empty() {
        lines.push("varies over no coordinate".to_string());
    } else {
        let list: Vec<String> = coords.iter().map(|c| format!("`me@{c}`")).collect();
        lines.push(format!("varies over {}", list.join(", ")));
    }
    // A file with segments has one graph per segment: the instance is used
    // where any of them uses it.
    let scopes = weft_graph::Scope::all(program);
    let graphs: Vec<weft_graph::Graph> = match (&a.graph, scopes.as_slice()) {
        (Some(g), [weft_graph::Scope::Main]) => vec![g.clone()],
        _ => scopes
            .into_iter()
            .filter_map(|s| weft_graph::build(program, s).ok())
            .collect(),
    };
    let mut contexts = weft_graph::Contexts::default();
    let mut owners = BTreeSet::new();
    for graph in &graphs {
        let node = graph.node(graph.instance_node(InstId(id as u32)));
        if node.is_used() {
            node.contexts.iter().for_each(|b| contexts.insert(b));
            owners.insert(node.owner.name());
        }
    }
    if !graphs.is_empty() {
        if contexts.is_empty() {
            lines.push("no output uses it".to_string());
        } else {
            let ctx: Vec<&str> = contexts.iter().map(|b| b.name()).collect();
            let owners: Vec<&str> = owners.into_iter().collect();
            lines.push(format!(
                "used by the {} output (runs on the {} backend)",
                ctx.join(" and "),
                owners.join(" and ")
            ));
        }
    }
    let picked: Vec<usize> = match output {
        Some(k) => vec![k],
        None => (0..inst.values.len()).collect(),
    };
    for k in picked {
        if let (Some(v), Some(name)) = (
            inst.values.get(k).and_then(|&e| program.const_value(e)),
            inst.outputs.get(k),
        ) {
            lines.push(format!("`{}@{name}` = {v}", inst.name));
        }
    }
    Some(lines.join("  \n"))
}

/// Where the name at `offset` is defined.
pub fn definition(a: &Analysis, file: FileId, offset: usize) -> Option<Location> {
    let occ = a.index.at(file, offset)?;
    let span = match &occ.target {
        Target::Def(d) => a.index.defs[*d].span,
        Target::Output(d, k) => a.index.defs[*d].outputs.get(*k)?.span,
        Target::File(p) => {
            return Some(Location::new(path_uri(p)?, Range::default()));
        }
        _ => return None,
    };
    location(a, span)
}

fn location(a: &Analysis, span: Span) -> Option<Location> {
    let uri = path_uri(a.paths.get(span.file.0 as usize)?)?;
    Some(Location::new(uri, a.range(span)))
}

/// Every place the name at `offset` stands for the same thing.
pub fn references(a: &Analysis, file: FileId, offset: usize, with_def: bool) -> Vec<Location> {
    let Some(occ) = a.index.at(file, offset) else {
        return Vec::new();
    };
    let target = occ.target.clone();
    if matches!(target, Target::Unknown | Target::Keyword | Target::File(_)) {
        return Vec::new();
    }
    let def_span = match &target {
        Target::Def(d) => Some(a.index.defs[*d].span),
        Target::Output(d, k) => a.index.defs[*d].outputs.get(*k).map(|o| o.span),
        _ => None,
    };
    a.index
        .uses_of(&target)
        .filter(|o| with_def || Some(o.span) != def_span)
        .filter_map(|o| location(a, o.span))
        .collect()
}

/// Why a rename was refused.
#[derive(Debug, thiserror::Error)]
pub enum RenameError {
    /// Not on a name that can be renamed.
    #[error("only an instance, an output, a spindle or a spindle's name can be renamed here")]
    NotRenamable,
    /// The new name is not a WEFT name.
    #[error("`{0}` is not a name (letters, digits and `_`, not starting with a digit)")]
    BadName(String),
}

/// The edits renaming what is at `offset` to `new_name`, in every file.
pub fn rename(
    a: &Analysis,
    file: FileId,
    offset: usize,
    new_name: &str,
) -> Result<WorkspaceEdit, RenameError> {
    let ok = new_name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && new_name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok {
        return Err(RenameError::BadName(new_name.to_string()));
    }
    let occ = a.index.at(file, offset).ok_or(RenameError::NotRenamable)?;
    if !matches!(occ.target, Target::Def(_) | Target::Output(..)) {
        return Err(RenameError::NotRenamable);
    }
    let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
    for o in a.index.uses_of(&occ.target) {
        if let Some(loc) = location(a, o.span) {
            changes
                .entry(loc.uri)
                .or_default()
                .push(TextEdit::new(loc.range, new_name.to_string()));
        }
    }
    Ok(WorkspaceEdit::new(changes))
}

/// The instances, spindles and segments of `file`, segments holding theirs.
pub fn symbols(a: &Analysis, file: FileId) -> Vec<DocumentSymbol> {
    let defs = &a.index.defs;
    let symbol = |d: usize, children: Option<Vec<DocumentSymbol>>| {
        let def = &defs[d];
        let (kind, detail) = match def.kind {
            DefKind::Spindle => (SymbolKind::FUNCTION, format!("({})", def.params.join(", "))),
            DefKind::Segment => (SymbolKind::NAMESPACE, format!("{} s", def.seconds)),
            _ => (
                SymbolKind::VARIABLE,
                format!(
                    "<{}>",
                    def.outputs
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        };
        #[allow(deprecated)] // `deprecated` is a required field of the struct.
        DocumentSymbol {
            name: def.name.clone(),
            detail: Some(detail),
            kind,
            tags: None,
            deprecated: None,
            range: a.range(def.item),
            selection_range: a.range(def.span),
            children,
        }
    };
    let top = |d: &&crate::index::Def| d.span.file == file && d.parent.is_none();
    defs.iter()
        .enumerate()
        .filter(|(_, d)| top(d) && d.kind != DefKind::Param && d.kind != DefKind::Local)
        .map(|(i, d)| {
            let children = (d.kind == DefKind::Segment).then(|| {
                defs.iter()
                    .enumerate()
                    .filter(|(_, c)| c.parent == Some(i) && c.kind == DefKind::Instance)
                    .map(|(j, _)| symbol(j, None))
                    .collect()
            });
            symbol(i, children)
        })
        .collect()
}
