//! Chunk keys: a blake3 hash of exactly what a chunk's output depends on — the
//! hashes of the nodes its outputs reach, the contents of the files those nodes
//! load, its time range, the size, frame rate, sample rate, encoder settings and
//! weft's version. Formatting and comments never change a node hash, so they never
//! change a key; an edit changes the keys of exactly the segments that reach it.

use crate::settings::RenderSettings;
use crate::timeline::Piece;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use weft_graph::{Graph, NodeKind};
use weft_lang::ast::OutputKind;
use weft_lang::ir::{coord, Expr, ExprId, Program};

/// The content key of one chunk.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkKey(pub [u8; 32]);

impl ChunkKey {
    /// All 64 hex digits (the cache entry's file name).
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses 64 hex digits.
    pub fn from_hex(s: &str) -> Option<ChunkKey> {
        if s.len() != 64 || !s.is_ascii() {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(ChunkKey(out))
    }
}

impl fmt::Debug for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChunkKey({})", &self.hex()[..16])
    }
}

impl fmt::Display for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hex()[..16])
    }
}

/// The part of a key shared by every chunk of one segment.
#[derive(Clone, Debug)]
pub struct SegmentBasis {
    hasher: blake3::Hasher,
    /// True when the segment reads timeline coordinates (`me@abstime`,
    /// `me@frame`, `me@sample`), so where it sits on the timeline matters.
    absolute: bool,
}

impl SegmentBasis {
    /// The key of the chunk covering `frames` and `samples`, given the segment's
    /// first frame and sample.
    pub fn chunk(
        &self,
        frames: &Range<u64>,
        first_frame: u64,
        samples: &Range<u64>,
        first_sample: u64,
    ) -> ChunkKey {
        let mut h = self.hasher.clone();
        for v in [
            frames.start - first_frame,
            frames.end - frames.start,
            samples.start - first_sample,
            samples.end - samples.start,
        ] {
            h.update(&v.to_le_bytes());
        }
        if self.absolute {
            h.update(b"abs");
            h.update(&frames.start.to_le_bytes());
            h.update(&samples.start.to_le_bytes());
        }
        ChunkKey(*h.finalize().as_bytes())
    }
}

/// Hashes what every chunk of the segment played by `graph` depends on.
pub fn segment_basis(piece: &Piece, graph: &Graph, settings: &RenderSettings) -> SegmentBasis {
    let program = &piece.program;
    let format = settings.format;
    let mut h = blake3::Hasher::new();
    h.update(b"weft-chunk-v1\0");
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    h.update(&[0]);
    h.update(format.name().as_bytes());
    h.update(&settings.fps.to_bits().to_le_bytes());
    if format.has_video() {
        h.update(&settings.width.to_le_bytes());
        h.update(&settings.height.to_le_bytes());
        // The CPU and each GPU may differ in the last bit of a pixel.
        h.update(piece.painter.describe().as_bytes());
        h.update(&[0]);
    }
    if format == crate::settings::Format::Mp4 {
        h.update(crate::encode::VIDEO_ARGS.join(" ").as_bytes());
        h.update(settings.encoder.preset.as_bytes());
        h.update(&[settings.encoder.crf]);
    }
    if format.has_audio() {
        h.update(&settings.rate.to_le_bytes());
        h.update(&piece.channels().to_le_bytes());
    }
    h.update(&program.settings.bpm().to_bits().to_le_bytes());
    h.update(
        &program
            .settings
            .loop_len
            .unwrap_or(0.0)
            .to_bits()
            .to_le_bytes(),
    );

    // The outputs this format renders, and every node they reach.
    let wanted = |kind: OutputKind| match kind {
        OutputKind::Display => format.has_video(),
        OutputKind::Play => format.has_audio(),
        OutputKind::Osc => false,
    };
    let mut stack = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        if let NodeKind::Sink(s) = node.kind {
            if node.is_used() && wanted(program.sinks[s].kind) {
                h.update(b"sink");
                h.update(node.name.as_bytes());
                h.update(&node.hash.0);
                stack.push(i);
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some(i) = stack.pop() {
        if reached.insert(i) {
            stack.extend(graph.nodes[i].deps.iter().map(|d| d.0 as usize));
        }
    }
    let mut roots: Vec<ExprId> = Vec::new();
    let mut sources = BTreeSet::new();
    for &i in &reached {
        match graph.nodes[i].kind {
            NodeKind::Instance(inst) => {
                let inst = program.instance(inst);
                roots.extend(inst.values.iter().copied());
                sources.extend(inst.sources.iter().map(|s| s.0));
            }
            NodeKind::Sink(s) => roots.extend(program.sinks[s].values.iter().copied()),
        }
    }
    for s in sources {
        h.update(b"source");
        h.update(&piece.sources.content_hash(weft_lang::ir::SourceId(s)));
    }
    for p in &program.params {
        if reached.contains(&(p.inst.0 as usize)) {
            h.update(b"param");
            h.update(p.name.as_bytes());
            for v in [p.default, p.min, p.max] {
                h.update(&v.to_bits().to_le_bytes());
            }
        }
    }
    SegmentBasis {
        hasher: h,
        absolute: reads_timeline(program, roots),
    }
}

/// True when an expression reachable from `roots` reads `me@abstime`, `me@frame`
/// or `me@sample`.
fn reads_timeline(program: &Program, mut stack: Vec<ExprId>) -> bool {
    let mut seen = std::collections::HashSet::new();
    while let Some(e) = stack.pop() {
        if !seen.insert(e.0) {
            continue;
        }
        match program.expr(e) {
            Expr::Coord(c) => {
                if [coord::ABSTIME, coord::FRAME, coord::SAMPLE].contains(c) {
                    return true;
                }
            }
            Expr::Unary(_, a) => stack.push(*a),
            Expr::Binary(_, a, b) => {
                stack.push(*a);
                stack.push(*b);
            }
            Expr::Call(_, args) => stack.extend(args.iter().copied()),
            Expr::Remap { target, subs } => {
                stack.push(*target);
                stack.extend(subs.iter().map(|(_, e)| *e));
            }
            Expr::Const(_)
            | Expr::Uniform(_)
            | Expr::Param(_)
            | Expr::Ref { .. }
            | Expr::Source { .. } => {}
        }
    }
    false
}
