//! The resolved program: every name bound, imports merged, spindles inlined,
//! playground forms gone. Expressions live in one arena as a DAG (`ExprId`),
//! hash-consed: equal expressions are one node, so inlining shares arguments and
//! repeated calls instead of copying them.

pub use crate::ast::ControlKind;
use crate::ast::{BinOp, OutputKind, UnaryOp};
use crate::builtins::{self, Func, SourceKind};
use std::collections::HashMap;
use std::path::PathBuf;
use weft_diagnostics::{FileId, Span};

/// The size budget of a program: at most this many distinct operations in its
/// arena once spindles are inlined, and at most this many summed over its
/// definitions and outputs (each counting the distinct operations its value
/// needs). Past it, lowering stops with a `TooLarge` diagnostic
/// (`docs/language.md`, "Limits").
pub const MAX_NODES: usize = 1_000_000;

/// An expression in [`Program::exprs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExprId(pub u32);
/// An instance in [`Program::instances`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstId(pub u32);
/// A coordinate in [`Program::coords`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CoordId(pub u32);
/// A parameter in [`Program::params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParamId(pub u32);
/// A sampled source in [`Program::sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);
/// A segment in [`Program::segments`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SegmentId(pub u32);

/// The coordinates every program knows, at fixed ids; invented ones follow.
pub mod coord {
    use super::CoordId;
    /// `me@x`
    pub const X: CoordId = CoordId(0);
    /// `me@y`
    pub const Y: CoordId = CoordId(1);
    /// `me@time` (wraps with `me<loop>`, local inside a segment)
    pub const TIME: CoordId = CoordId(2);
    /// `me@abstime` (never wraps)
    pub const ABSTIME: CoordId = CoordId(3);
    /// `me@frame`
    pub const FRAME: CoordId = CoordId(4);
    /// `me@sample`
    pub const SAMPLE: CoordId = CoordId(5);
    /// Their names, by id.
    pub const NAMES: [&str; 6] = ["x", "y", "time", "abstime", "frame", "sample"];
}

/// Values set from outside the program for a whole frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Uniform {
    /// `mouse@x`
    MouseX,
    /// `mouse@y`
    MouseY,
    /// The tempo, beats per minute.
    Bpm,
    /// `me@width`: the width in pixels of the picture being drawn.
    Width,
    /// `me@height`: its height in pixels.
    Height,
}

/// One expression node. Children are always created before their parents, so
/// ascending ids are a topological order of the arena.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A number.
    Const(f64),
    /// `me@dim`.
    Coord(CoordId),
    /// `mouse@x`, `mouse@y`, the tempo.
    Uniform(Uniform),
    /// The live value of `param(…)`.
    Param(ParamId),
    /// Output `out` of another instance, at the current point.
    Ref {
        /// The instance.
        inst: InstId,
        /// Its output index.
        out: u32,
    },
    /// A prefix operator.
    Unary(UnaryOp, ExprId),
    /// An infix operator.
    Binary(BinOp, ExprId, ExprId),
    /// A pure builtin.
    Call(Func, Box<[ExprId]>),
    /// Output `out` of a sampled source at the current point.
    Source {
        /// Which source.
        source: SourceId,
        /// Which of its outputs.
        out: u32,
    },
    /// `target` evaluated where the listed coordinates have new values.
    Remap {
        /// The remapped expression.
        target: ExprId,
        /// Coordinate substitutions, evaluated at the current point.
        subs: Box<[(CoordId, ExprId)]>,
    },
}

/// A strand definition: one node of the render graph.
#[derive(Clone, Debug)]
pub struct Instance {
    /// Its name (unique within its file).
    pub name: String,
    /// The name as written.
    pub name_span: Span,
    /// The whole statement.
    pub span: Span,
    /// The file it is defined in.
    pub file: FileId,
    /// True when it comes from a `use`d file.
    pub imported: bool,
    /// The segment it is written in, if any.
    pub segment: Option<SegmentId>,
    /// Output names.
    pub outputs: Vec<String>,
    /// One value per output.
    pub values: Vec<ExprId>,
    /// Its prose (Markdown).
    pub prose: Option<String>,
    /// The instances it reads, each once, in first-use order.
    pub deps: Vec<InstId>,
    /// The sources it samples, each once.
    pub sources: Vec<SourceId>,
}

/// An output statement.
#[derive(Clone, Debug)]
pub struct Sink {
    /// display, play or osc.
    pub kind: OutputKind,
    /// The statement.
    pub span: Span,
    /// For osc: the address.
    pub address: Option<String>,
    /// The values (1 or 3 for display, 1 or 2 for play, any for osc).
    pub values: Vec<ExprId>,
    /// The segment it belongs to, if any.
    pub segment: Option<SegmentId>,
    /// Its prose.
    pub prose: Option<String>,
    /// The instances it reads.
    pub deps: Vec<InstId>,
}

/// A part of the timeline.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Its name.
    pub name: String,
    /// The `segment` statement.
    pub span: Span,
    /// Its length in seconds (positive).
    pub duration: f64,
    /// When it starts on the timeline (the sum of earlier durations).
    pub start: f64,
}

/// A live parameter.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its id: the name of the instance it is defined in (`name#2` for a second one).
    pub name: String,
    /// The instance.
    pub inst: InstId,
    /// Default value (already inside the range).
    pub default: f64,
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// The `param(…)` call (or the control pragma).
    pub span: Span,
    /// The widget, when a control pragma made it.
    pub control: Option<ParamControl>,
}

/// How a control pragma's parameter is shown: every parameter of one control has
/// the same `group` (the control's instance) and its own `index`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamControl {
    /// Slider, colour, pad, toggle or curve.
    pub kind: ControlKind,
    /// The control's instance name.
    pub group: String,
    /// Which of the control's values (0-based).
    pub index: u32,
    /// The label written after the values.
    pub label: Option<String>,
}

/// `#badge inst<out> "label"`: a strand whose live value the page shows.
#[derive(Clone, Debug)]
pub struct Badge {
    /// `inst@out` as written.
    pub name: String,
    /// The strand.
    pub value: ExprId,
    /// The label written after it.
    pub label: Option<String>,
    /// The pragma.
    pub span: Span,
    /// The segment it is written in, if any.
    pub segment: Option<SegmentId>,
}

/// A sampled source and where its data comes from.
#[derive(Clone, Debug)]
pub struct Source {
    /// Which builtin.
    pub kind: SourceKind,
    /// For `load` and `sample`: the file, resolved against the file that names it.
    pub path: Option<PathBuf>,
    /// The call.
    pub span: Span,
}

/// Render settings (`me<width> = 800` …); `None` where the program sets nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Frame width in pixels.
    pub width: Option<u32>,
    /// Frame height in pixels.
    pub height: Option<u32>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Audio samples per second.
    pub rate: Option<u32>,
    /// Loop length in seconds: `me@time` wraps to 0 after it.
    pub loop_len: Option<f64>,
    /// Tempo in beats per minute.
    pub bpm: Option<f64>,
}

impl Settings {
    /// Default frame size when neither program nor command line gives one.
    pub const DEFAULT_SIZE: (u32, u32) = (640, 360);
    /// Default frame rate.
    pub const DEFAULT_FPS: f64 = 30.0;
    /// Default sample rate.
    pub const DEFAULT_RATE: u32 = 48_000;
    /// Default tempo.
    pub const DEFAULT_BPM: f64 = 120.0;

    /// Frame rate, defaulted.
    pub fn fps(&self) -> f64 {
        self.fps.unwrap_or(Self::DEFAULT_FPS)
    }
    /// Sample rate, defaulted.
    pub fn rate(&self) -> u32 {
        self.rate.unwrap_or(Self::DEFAULT_RATE)
    }
    /// Tempo, defaulted.
    pub fn bpm(&self) -> f64 {
        self.bpm.unwrap_or(Self::DEFAULT_BPM)
    }
    /// Frame size, defaulted.
    pub fn size(&self) -> (u32, u32) {
        (
            self.width.unwrap_or(Self::DEFAULT_SIZE.0),
            self.height.unwrap_or(Self::DEFAULT_SIZE.1),
        )
    }
    /// `me@time` for an absolute time: wrapped by the loop length, if any.
    pub fn wrap_time(&self, abstime: f64) -> f64 {
        match self.loop_len {
            Some(l) if l > 0.0 => abstime - l * (abstime / l).floor(),
            _ => abstime,
        }
    }
}

/// A whole resolved program (the root file and everything it uses).
#[derive(Clone, Debug, Default)]
pub struct Program {
    /// The expression arena.
    pub exprs: Vec<Expr>,
    /// Every instance of every file, root file last... in load order.
    pub instances: Vec<Instance>,
    /// The root file's outputs (imported files' outputs do not run).
    pub sinks: Vec<Sink>,
    /// The root file's segments, in timeline order.
    pub segments: Vec<Segment>,
    /// Render settings from the root file.
    pub settings: Settings,
    /// Coordinate names by id (the fixed ones of [`coord`] first).
    pub coords: Vec<String>,
    /// Live parameters.
    pub params: Vec<Param>,
    /// The root file's badges.
    pub badges: Vec<Badge>,
    /// Sampled sources.
    pub sources: Vec<Source>,
    /// The root file.
    pub root: FileId,
}

impl Program {
    /// The node behind an id.
    pub fn expr(&self, id: ExprId) -> &Expr {
        &self.exprs[id.0 as usize]
    }

    /// The instance behind an id.
    pub fn instance(&self, id: InstId) -> &Instance {
        &self.instances[id.0 as usize]
    }

    /// The root file's instance called `name`.
    pub fn find_instance(&self, name: &str) -> Option<InstId> {
        self.instances
            .iter()
            .position(|i| i.name == name && i.file == self.root)
            .or_else(|| self.instances.iter().position(|i| i.name == name))
            .map(|i| InstId(i as u32))
    }

    /// The coordinate called `name`, if the program mentions it.
    pub fn find_coord(&self, name: &str) -> Option<CoordId> {
        self.coords
            .iter()
            .position(|c| c == name)
            .map(|i| CoordId(i as u32))
    }

    /// The parameter called `name`.
    pub fn find_param(&self, name: &str) -> Option<ParamId> {
        self.params
            .iter()
            .position(|p| p.name == name)
            .map(|i| ParamId(i as u32))
    }

    /// The value of an expression that depends on nothing outside itself, if it is
    /// one (no coordinates, references, sources, parameters or uniforms).
    pub fn const_value(&self, id: ExprId) -> Option<f64> {
        // Children have smaller ids, so one ascending pass over the reachable part
        // evaluates without recursion.
        let reach = self.reachable(&[id]);
        let mut values: HashMap<ExprId, f64> = HashMap::new();
        for e in reach {
            let v = match self.expr(e) {
                Expr::Const(c) => *c,
                Expr::Unary(op, a) => builtins::unary(*op, values[a]),
                Expr::Binary(op, a, b) => builtins::binary(*op, values[a], values[b]),
                Expr::Call(f, args) => {
                    let args: Vec<f64> = args.iter().map(|a| values[a]).collect();
                    f.apply(&args)
                }
                Expr::Remap { target, .. } => values[target],
                _ => return None,
            };
            values.insert(e, v);
        }
        values.get(&id).copied()
    }

    /// Every expression reachable from `roots` (not crossing instance references),
    /// in ascending id order: children before parents.
    pub fn reachable(&self, roots: &[ExprId]) -> Vec<ExprId> {
        let mut seen = std::collections::HashSet::new();
        let mut stack: Vec<ExprId> = roots.to_vec();
        while let Some(e) = stack.pop() {
            if !seen.insert(e) {
                continue;
            }
            self.for_each_child(e, |c| stack.push(c));
        }
        let mut out: Vec<ExprId> = seen.into_iter().collect();
        out.sort_unstable();
        out
    }

    /// Calls `f` on each direct child of `id`.
    pub fn for_each_child(&self, id: ExprId, mut f: impl FnMut(ExprId)) {
        match self.expr(id) {
            Expr::Unary(_, a) => f(*a),
            Expr::Binary(_, a, b) => {
                f(*a);
                f(*b)
            }
            Expr::Call(_, args) => args.iter().copied().for_each(f),
            Expr::Remap { target, subs } => {
                f(*target);
                subs.iter().for_each(|(_, e)| f(*e));
            }
            Expr::Const(_)
            | Expr::Coord(_)
            | Expr::Uniform(_)
            | Expr::Param(_)
            | Expr::Ref { .. }
            | Expr::Source { .. } => {}
        }
    }

    /// Every expression reachable from `roots` (not crossing instance references),
    /// each once, children before parents, in an order that depends only on the
    /// expressions' structure (a depth-first post-order, children in order), not
    /// on where they sit in the arena.
    pub fn post_order(&self, roots: &[ExprId]) -> Vec<ExprId> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        // (node, children pushed): a node is emitted when met the second time.
        let mut stack: Vec<(ExprId, bool)> = roots.iter().rev().map(|r| (*r, false)).collect();
        while let Some((e, expanded)) = stack.pop() {
            if expanded {
                out.push(e);
                continue;
            }
            if !seen.insert(e) {
                continue;
            }
            stack.push((e, true));
            let at = stack.len();
            self.for_each_child(e, |c| stack.push((c, false)));
            stack[at..].reverse();
        }
        out
    }

    /// A byte string that identifies what `roots` compute, independent of formatting,
    /// comments and arena layout: the normalized definition used for content hashes.
    /// References to other instances appear by name and output; the caller mixes in
    /// the referenced instances' own hashes.
    pub fn canonical(&self, roots: &[ExprId]) -> Vec<u8> {
        // Structural order, not arena order: with a shared arena, another
        // definition's edit must not move this one's nodes.
        let reach = self.post_order(roots);
        let local: HashMap<ExprId, u32> = reach
            .iter()
            .enumerate()
            .map(|(i, e)| (*e, i as u32))
            .collect();
        let mut out = Vec::with_capacity(reach.len() * 12);
        let put = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
        let put_str = |out: &mut Vec<u8>, s: &str| {
            out.extend_from_slice(&(s.len() as u32).to_le_bytes());
            out.extend_from_slice(s.as_bytes());
        };
        for e in &reach {
            match self.expr(*e) {
                Expr::Const(c) => {
                    out.push(1);
                    out.extend_from_slice(&c.to_bits().to_le_bytes());
                }
                Expr::Coord(c) => {
                    out.push(2);
                    put_str(&mut out, &self.coords[c.0 as usize]);
                }
                Expr::Uniform(u) => {
                    out.push(3);
                    out.push(*u as u8);
                }
                Expr::Param(p) => {
                    let p = &self.params[p.0 as usize];
                    out.push(4);
                    put_str(&mut out, &p.name);
                    for v in [p.default, p.min, p.max] {
                        out.extend_from_slice(&v.to_bits().to_le_bytes());
                    }
                }
                Expr::Ref { inst, out: o } => {
                    out.push(5);
                    put_str(&mut out, &self.instance(*inst).name);
                    put(&mut out, *o);
                }
                Expr::Unary(op, a) => {
                    out.push(6);
                    out.push(*op as u8);
                    put(&mut out, local[a]);
                }
                Expr::Binary(op, a, b) => {
                    out.push(7);
                    out.push(*op as u8);
                    put(&mut out, local[a]);
                    put(&mut out, local[b]);
                }
                Expr::Call(f, args) => {
                    out.push(8);
                    put_str(&mut out, f.name());
                    put(&mut out, args.len() as u32);
                    for a in args.iter() {
                        put(&mut out, local[a]);
                    }
                }
                Expr::Source { source, out: o } => {
                    let s = &self.sources[source.0 as usize];
                    out.push(9);
                    put_str(&mut out, s.kind.name());
                    let path = s
                        .path
                        .as_ref()
                        .map(|p| p.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    put_str(&mut out, &path);
                    put(&mut out, *o);
                }
                Expr::Remap { target, subs } => {
                    out.push(10);
                    put(&mut out, local[target]);
                    put(&mut out, subs.len() as u32);
                    for (c, v) in subs.iter() {
                        put_str(&mut out, &self.coords[c.0 as usize]);
                        put(&mut out, local[v]);
                    }
                }
            }
        }
        out.push(0xff);
        for r in roots {
            put(&mut out, local[r]);
        }
        out
    }
}

impl Program {
    /// Which scope plays at timeline time `t` (0 without segments, else the
    /// segment's index), and `me@time` there. `me@time` wraps with `me<loop>`
    /// (inside a segment, the segment's own time wraps, as the audio backend does);
    /// times past the end stay in the last segment.
    pub fn locate(&self, t: f64) -> (usize, f64) {
        let Some(last) = self.segments.len().checked_sub(1) else {
            return (0, self.settings.wrap_time(t));
        };
        let i = self
            .segments
            .iter()
            .position(|s| t < s.start + s.duration)
            .unwrap_or(last);
        (i, self.settings.wrap_time(t - self.segments[i].start))
    }
}
