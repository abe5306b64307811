//! A file as blocks: each statement with its prose. A block's id is a content
//! key — the statement's normalized definition and its dependencies' keys (the
//! graph's node hash for strands and outputs, which covers imported files) — so
//! the same id always means the same result.

use crate::protocol::BlockInfo;
use weft_diagnostics::{FileId, SourceFile, Span};
use weft_graph::{NodeKind, Scope};
use weft_lang::ast::{self, ControlKind, File, Item, ItemKind, OutputKind};
use weft_lang::ir::{InstId, SegmentId};
use weft_live::program::LoadedProgram;

/// Bumped when what a block's result contains changes, so old ids die.
const RESULT_VERSION: &[u8] = b"weft-block-v1\0";

/// One block of a file.
#[derive(Clone, Debug)]
pub struct Block {
    /// What the client is told.
    pub info: BlockInfo,
    /// The instance to sample, for strands of a built program.
    pub instance: Option<InstId>,
    /// Byte range of the statement (prose excluded).
    pub span: (usize, usize),
}

fn kind_of(item: &Item) -> &'static str {
    match &item.kind {
        ItemKind::Use { .. } => "use",
        ItemKind::Strand(s) if s.name.name == "me" => "setting",
        ItemKind::Strand(_) => "strand",
        ItemKind::Spindle(_) => "spindle",
        ItemKind::Output(o) => match o.kind {
            OutputKind::Display => "display",
            OutputKind::Play => "play",
            OutputKind::Osc => "osc",
        },
        ItemKind::Segment(_) => "segment",
        ItemKind::Control(c) if c.kind == ControlKind::Badge => "badge",
        ItemKind::Control(_) => "control",
    }
}

fn name_of(item: &Item) -> String {
    match &item.kind {
        ItemKind::Use { path, .. } => path.clone(),
        ItemKind::Strand(s) if s.name.name == "me" => s
            .outputs
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        ItemKind::Strand(s) => s.name.name.clone(),
        ItemKind::Spindle(s) => s.name.name.clone(),
        ItemKind::Output(o) => o
            .address
            .as_ref()
            .map(|(a, _)| a.clone())
            .unwrap_or_else(|| o.keyword.name.clone()),
        ItemKind::Segment(s) => s.name.name.clone(),
        ItemKind::Control(c) => c.name.name.clone(),
    }
}

/// The statement normalized: its syntax tree printed without spans, prose or
/// formatting (a segment without its body: the body's statements are blocks).
fn normalized(item: &Item) -> String {
    let mut item = item.clone();
    item.prose = None;
    if let ItemKind::Segment(s) = &mut item.kind {
        s.items.clear();
    }
    weft_lang::dump(&File { items: vec![item] })
}

fn hex(bytes: &[u8]) -> String {
    bytes[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// Flattens a parsed file: top-level statements, and a segment followed by the
/// statements of its body.
fn items(tree: &File) -> Vec<&Item> {
    let mut out = Vec::new();
    for item in &tree.items {
        out.push(item);
        if let ItemKind::Segment(s) = &item.kind {
            out.extend(s.items.iter());
        }
    }
    out
}

fn info(item: &Item, file: &SourceFile, id: String) -> BlockInfo {
    let (start, end) = (item.span.start as usize, item.span.end as usize);
    let text = &file.text;
    let end = end.min(text.len()).max(start.min(text.len()));
    BlockInfo {
        id,
        kind: kind_of(item),
        name: name_of(item),
        line: file.line_col(start).line,
        end_line: file.line_col(end.saturating_sub(1).max(start)).line,
        code: text.get(start..end).unwrap_or("").to_string(),
        prose: item.prose.clone(),
    }
}

/// Blocks of a file that did not build: keyed by their text (and place, so two
/// equal broken lines stay two blocks); nothing is evaluated.
pub fn of_text(file: &SourceFile, id: FileId) -> Vec<Block> {
    let (tree, _) = weft_lang::parse(id, &file.text);
    items(&tree)
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let mut h = blake3::Hasher::new();
            h.update(b"weft-stale-v1\0");
            h.update(&(i as u64).to_le_bytes());
            h.update(normalized(item).as_bytes());
            Block {
                info: info(item, file, format!("s-{}", hex(h.finalize().as_bytes()))),
                instance: None,
                span: (item.span.start as usize, item.span.end as usize),
            }
        })
        .collect()
}

/// Blocks of the root file of a built program, with content keys.
/// `preview` is what the results are sampled at (it is part of every key).
pub fn of_program(loaded: &LoadedProgram, preview: &[u8]) -> Vec<Block> {
    let program = &loaded.program;
    let root = loaded.map.file(program.root);
    let (tree, _) = weft_lang::parse(program.root, &root.text);
    let graph_of = |segment: Option<SegmentId>| {
        let scope = segment.map(Scope::Segment).unwrap_or(Scope::Main);
        loaded
            .graphs
            .iter()
            .find(|(s, _)| *s == scope)
            .or_else(|| loaded.graphs.first())
            .map(|(_, g)| g)
    };
    let mut out: Vec<Block> = Vec::new();
    for item in items(&tree) {
        let mut h = blake3::Hasher::new();
        h.update(RESULT_VERSION);
        h.update(preview);
        h.update(kind_of(item).as_bytes());
        h.update(b"\0");
        let mut instance = None;
        match &item.kind {
            ItemKind::Strand(ast::StrandDef { name, .. })
            | ItemKind::Control(ast::ControlDef { name, .. })
                if name.name != "me" =>
            {
                let found = program
                    .instances
                    .iter()
                    .position(|i| i.file == program.root && i.name == name.name)
                    .map(|i| InstId(i as u32));
                if let Some(inst) = found {
                    instance = Some(inst);
                    let segment = program.instance(inst).segment;
                    if let Some(g) = graph_of(segment) {
                        h.update(&g.nodes[inst.0 as usize].hash.0);
                    }
                }
                h.update(normalized(item).as_bytes());
            }
            ItemKind::Output(_) => {
                let sink = program
                    .sinks
                    .iter()
                    .position(|k| span_start(k.span) == item.span.start);
                if let Some(sink) = sink {
                    let segment = program.sinks[sink].segment;
                    if let Some(node) = graph_of(segment)
                        .and_then(|g| g.nodes.iter().find(|n| n.kind == NodeKind::Sink(sink)))
                    {
                        h.update(&node.hash.0);
                    }
                }
                h.update(normalized(item).as_bytes());
            }
            ItemKind::Use { path, .. } => {
                h.update(normalized(item).as_bytes());
                // The used file's text, so the block changes when the library does.
                let dir = root.path.parent().map(|p| p.join(path));
                if let Some(used) = dir.and_then(|p| loaded.map.find(&p)) {
                    h.update(loaded.map.file(used).text.as_bytes());
                }
            }
            _ => {
                h.update(normalized(item).as_bytes());
            }
        }
        let mut id = format!("b-{}", hex(h.finalize().as_bytes()));
        // Equal statements (a repeated setting) stay distinct blocks.
        while out.iter().any(|b| b.info.id == id) {
            id.push('+');
        }
        out.push(Block {
            info: info(item, root, id),
            instance,
            span: (item.span.start as usize, item.span.end as usize),
        });
    }
    out
}

fn span_start(span: Span) -> u32 {
    span.start
}
