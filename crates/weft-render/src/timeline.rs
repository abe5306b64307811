//! The timeline of a piece: its segments in source order (or one segment lasting
//! `--duration` for a file without them), each cut into chunks of a fixed number of
//! frames, with the frame and sample ranges every chunk covers and its key.
//!
//! Frame `n` plays at timeline time `n / fps` and belongs to the segment whose
//! range holds that time (the live engine's `locate` rule); sample `k` likewise at
//! `k / rate`. Chunks of one segment cover its frames and samples without gap or
//! overlap.

use crate::error::RenderError;
use crate::key::{segment_basis, ChunkKey};
use crate::settings::{Format, RenderSettings};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_engine::visual::Painter;
use weft_graph::{Graph, Scope};
use weft_lang::ast::OutputKind;
use weft_lang::ir::Program;
use weft_sources::SourceSet;

/// A program ready to render: resolved, its sources loaded, one graph per scope,
/// with the render settings written into its own settings (so `me@frame` counts
/// the frames of the render).
#[derive(Debug)]
pub struct Piece {
    /// The root file.
    pub path: PathBuf,
    /// The program, with the render's size, fps and rate as its settings.
    pub program: Arc<Program>,
    /// Its sources.
    pub sources: Arc<SourceSet>,
    /// One graph per segment (or one for a file without segments).
    pub graphs: Vec<Graph>,
    /// What draws its frames (the CPU unless [`Piece::drawn_with`] says otherwise);
    /// part of every chunk's key, since the two paths may differ in the last bit.
    pub painter: Painter,
}

impl Piece {
    /// The same piece drawn by `painter`.
    pub fn drawn_with(mut self, painter: Painter) -> Piece {
        self.painter = painter;
        self
    }

    /// Builds the graphs of every scope for a render with `settings`.
    pub fn new(
        path: &Path,
        program: &Program,
        sources: Arc<SourceSet>,
        settings: &RenderSettings,
    ) -> Result<Piece, RenderError> {
        let mut program = program.clone();
        program.settings.fps = Some(settings.fps);
        program.settings.rate = Some(settings.rate);
        program.settings.width = Some(settings.width);
        program.settings.height = Some(settings.height);
        let scopes = Scope::all(&program);
        let mut graphs = Vec::with_capacity(scopes.len());
        for scope in scopes {
            let g = weft_graph::build(&program, scope).map_err(|e| {
                RenderError::Program(
                    e.iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                )
            })?;
            graphs.push(g);
        }
        Ok(Piece {
            path: path.to_path_buf(),
            program: Arc::new(program),
            sources,
            graphs,
            painter: Painter::Cpu,
        })
    }

    /// True when some scope has a `display` output.
    pub fn has_display(&self) -> bool {
        self.program
            .sinks
            .iter()
            .any(|s| s.kind == OutputKind::Display)
    }

    /// Channels of the play output: 0 without one, 1 for `play(v)`, 2 for stereo.
    pub fn channels(&self) -> u16 {
        self.program
            .sinks
            .iter()
            .filter(|s| s.kind == OutputKind::Play)
            .map(|s| s.values.len().min(2) as u16)
            .max()
            .unwrap_or(0)
    }
}

/// The first index `n` whose time `n / rate` is at or after `t`.
pub fn first_at_or_after(t: f64, rate: f64) -> u64 {
    if t <= 0.0 {
        return 0;
    }
    let mut n = (t * rate).ceil().max(0.0) as u64;
    while n > 0 && (n - 1) as f64 / rate >= t {
        n -= 1;
    }
    while (n as f64 / rate) < t {
        n += 1;
    }
    n
}

/// A part of a segment rendered as one unit and cached under its key.
#[derive(Clone, Debug, PartialEq)]
pub struct Chunk {
    /// Index of its segment in the timeline.
    pub segment: usize,
    /// Its index within the segment.
    pub index: usize,
    /// Timeline frames it covers.
    pub frames: Range<u64>,
    /// Timeline samples it covers.
    pub samples: Range<u64>,
    /// Everything its output depends on, hashed.
    pub key: ChunkKey,
}

impl Chunk {
    /// Units of work for progress: frames for pictures, 4096-sample blocks for WAV.
    pub fn work(&self, format: Format) -> u64 {
        if format.has_video() {
            self.frames.end - self.frames.start
        } else {
            (self.samples.end - self.samples.start)
                .div_ceil(4096)
                .max(1)
        }
    }
}

/// One segment of the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// Its name (`main` for a file without segments).
    pub name: String,
    /// Timeline start in seconds.
    pub start: f64,
    /// Length in seconds.
    pub duration: f64,
    /// The scope whose graph plays it.
    pub scope: Scope,
    /// Its first timeline frame and sample (`me@time` is 0 there).
    pub first_frame: u64,
    /// Its first timeline sample.
    pub first_sample: u64,
    /// Its chunks, in order.
    pub chunks: Vec<Chunk>,
}

/// The segments of a piece, cut into chunks, with their keys.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    /// The settings the keys were computed for.
    pub settings: RenderSettings,
    /// The segments in order.
    pub segments: Vec<Segment>,
    /// Frames of the whole timeline.
    pub frames: u64,
    /// Samples of the whole timeline.
    pub samples: u64,
    /// Length in seconds.
    pub duration: f64,
}

impl Timeline {
    /// Cuts `piece` into segments and chunks and keys every chunk.
    pub fn new(piece: &Piece, settings: &RenderSettings) -> Timeline {
        let program = &piece.program;
        let fps = settings.fps;
        let rate = settings.rate as f64;
        let spans: Vec<(String, f64, f64)> = if program.segments.is_empty() {
            vec![("main".to_string(), 0.0, settings.duration)]
        } else {
            program
                .segments
                .iter()
                .map(|s| (s.name.clone(), s.start, s.duration))
                .collect()
        };
        let duration = spans.last().map_or(0.0, |(_, s, d)| s + d);
        let per_chunk = settings.chunk_frames();
        let mut segments = Vec::with_capacity(spans.len());
        for (i, (name, start, len)) in spans.into_iter().enumerate() {
            let scope = Scope::all(program)[i];
            let end = start + len;
            let (f0, f1) = (first_at_or_after(start, fps), first_at_or_after(end, fps));
            let (s0, s1) = (first_at_or_after(start, rate), first_at_or_after(end, rate));
            let basis = segment_basis(piece, &piece.graphs[i], settings);
            let mut chunks = Vec::new();
            if f0 == f1 && s0 < s1 {
                // Shorter than a frame: no picture, but its sound still plays.
                chunks.push(Chunk {
                    segment: i,
                    index: 0,
                    frames: f0..f1,
                    samples: s0..s1,
                    key: basis.chunk(&(f0..f1), f0, &(s0..s1), s0),
                });
            }
            let mut a = f0;
            let mut index = 0;
            while a < f1 {
                let b = (a + per_chunk).min(f1);
                let sa = if a == f0 {
                    s0
                } else {
                    first_at_or_after(a as f64 / fps, rate)
                };
                let sb = if b == f1 {
                    s1
                } else {
                    first_at_or_after(b as f64 / fps, rate)
                };
                let frames = a..b;
                let samples = sa..sb;
                let key = basis.chunk(&frames, f0, &samples, s0);
                chunks.push(Chunk {
                    segment: i,
                    index,
                    frames,
                    samples,
                    key,
                });
                index += 1;
                a = b;
            }
            segments.push(Segment {
                name,
                start,
                duration: len,
                scope,
                first_frame: f0,
                first_sample: s0,
                chunks,
            });
        }
        Timeline {
            settings: settings.clone(),
            segments,
            frames: first_at_or_after(duration, fps),
            samples: first_at_or_after(duration, rate),
            duration,
        }
    }

    /// Every chunk, in timeline order.
    pub fn chunks(&self) -> impl Iterator<Item = &Chunk> {
        self.segments.iter().flat_map(|s| s.chunks.iter())
    }

    /// The segment called `name`.
    pub fn segment(&self, name: &str) -> Option<usize> {
        self.segments.iter().position(|s| s.name == name)
    }

    /// The frame the preview shows for segment `i`: its last one (`None` for a
    /// segment shorter than a frame).
    pub fn last_frame(&self, i: usize) -> Option<u64> {
        self.segments[i]
            .chunks
            .last()
            .filter(|c| !c.frames.is_empty())
            .map(|c| c.frames.end - 1)
    }
}
