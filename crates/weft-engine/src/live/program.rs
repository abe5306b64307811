//! Building a program for the live engine, off the engine thread: read, parse,
//! lower, graph and load sources, keyed by the content of every file involved, and
//! remember which content failed so the same broken save is not built twice.

use super::command::Command;
use crate::sources::{SourceOptions, SourceSet};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_diagnostics::{has_errors, render_all, Diagnostic, SourceMap};
use weft_graph::{Graph, Scope};
use weft_lang::ir::Program;

/// A program ready to swap in: built, graphed per scope, its sources loaded.
/// Cloning shares the program, sources and texts; only the graphs are copied.
#[derive(Clone, Debug)]
pub struct LoadedProgram {
    /// The root file.
    pub path: PathBuf,
    /// blake3 over the content of every file it was built from.
    pub key: [u8; 32],
    /// The resolved program.
    pub program: Arc<Program>,
    /// Its decoded sources.
    pub sources: Arc<SourceSet>,
    /// One graph per scope: the top level, or each segment in order.
    pub graphs: Vec<(Scope, Graph)>,
    /// Rendered warnings (W06xx), empty when none.
    pub warnings: String,
    /// The text of every file it was built from, as read.
    pub map: Arc<SourceMap>,
}

/// What [`Builder::build`] made of a file.
#[derive(Debug)]
pub enum BuildOutcome {
    /// A program to swap in.
    Loaded(Box<LoadedProgram>),
    /// The program has errors (rendered), or the root could not be read.
    Failed {
        /// Content key of what failed.
        key: [u8; 32],
        /// The rendered diagnostics.
        error: String,
        /// The diagnostics themselves (empty when the root could not be read).
        diagnostics: Vec<Diagnostic>,
        /// The text of the files read.
        map: Arc<SourceMap>,
    },
    /// The same content failed before; nothing was built.
    SkippedKnownFailure,
    /// The content is exactly what was built last time; nothing was built.
    Unchanged,
}

impl BuildOutcome {
    /// The command that tells the engine, if any.
    pub fn into_command(self) -> Option<Command> {
        match self {
            BuildOutcome::Loaded(p) => Some(Command::Swap(p)),
            BuildOutcome::Failed { key, error, .. } => Some(Command::BuildFailed { key, error }),
            BuildOutcome::SkippedKnownFailure | BuildOutcome::Unchanged => None,
        }
    }
}

/// Builds programs for one root file and remembers what it built.
#[derive(Debug, Default)]
pub struct Builder {
    options: SourceOptions,
    /// Files the last build read (WEFT files and data files), to key the next one.
    files: Vec<PathBuf>,
    last_key: Option<[u8; 32]>,
    failed: HashSet<[u8; 32]>,
    /// How many builds ran (parsed and lowered), for tests and reports.
    pub builds: u64,
}

impl Builder {
    /// A builder loading sources with `options` (`--mic`, `--camera`).
    pub fn new(options: SourceOptions) -> Builder {
        Builder {
            options,
            ..Builder::default()
        }
    }

    /// Every file the last build read (the root first), WEFT and data files.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Builds `path` unless its content is what was built last time or what
    /// failed before.
    pub fn build(&mut self, path: &Path) -> BuildOutcome {
        let mut files = self.files.clone();
        if files.first().map(PathBuf::as_path) != Some(path) {
            files = vec![path.to_path_buf()];
        }
        let key = content_key(&files);
        if self.failed.contains(&key) {
            return BuildOutcome::SkippedKnownFailure;
        }
        if self.last_key == Some(key) {
            return BuildOutcome::Unchanged;
        }
        self.builds += 1;
        let outcome = self.build_now(path);
        let key = match &outcome {
            BuildOutcome::Loaded(p) => p.key,
            BuildOutcome::Failed { key, .. } => *key,
            _ => key,
        };
        match &outcome {
            BuildOutcome::Failed { .. } => {
                self.failed.insert(key);
                // Going back to the last good content must build again, to
                // clear the error the engine shows.
                self.last_key = None;
            }
            _ => self.last_key = Some(key),
        }
        outcome
    }

    fn build_now(&mut self, path: &Path) -> BuildOutcome {
        let built = match weft_lang::build_program(path, &weft_lang::BuildOptions) {
            Ok(b) => b,
            Err(e) => {
                self.files = vec![path.to_path_buf()];
                return BuildOutcome::Failed {
                    key: content_key(&self.files),
                    error: format!("{e}\n"),
                    diagnostics: Vec::new(),
                    map: Arc::new(SourceMap::new()),
                };
            }
        };
        let mut files = built.files.clone();
        if let Some(p) = &built.program {
            files.extend(p.sources.iter().filter_map(|s| s.path.clone()));
        }
        let mut seen = HashSet::new();
        files.retain(|f| seen.insert(f.clone()));
        self.files = files;
        let key = content_key(&self.files);
        let map = Arc::new(built.sources);
        let fail = |diagnostics: &[Diagnostic]| BuildOutcome::Failed {
            key,
            error: render_all(diagnostics, &map),
            diagnostics: diagnostics.to_vec(),
            map: map.clone(),
        };
        let mut diagnostics = built.diagnostics.clone();
        let Some(program) = built.program.filter(|_| !has_errors(&diagnostics)) else {
            return fail(&diagnostics);
        };
        let mut graphs = Vec::new();
        for scope in Scope::all(&program) {
            match weft_graph::build(&program, scope) {
                Ok(g) => graphs.push((scope, g)),
                Err(errors) => {
                    diagnostics.extend(errors.iter().map(|e| e.to_diagnostic()));
                    return fail(&diagnostics);
                }
            }
        }
        let (sources, found) = SourceSet::load(&program, &self.options);
        diagnostics.extend(found);
        if has_errors(&diagnostics) {
            return fail(&diagnostics);
        }
        let warnings = if diagnostics.is_empty() {
            String::new()
        } else {
            render_all(&diagnostics, &map)
        };
        BuildOutcome::Loaded(Box::new(LoadedProgram {
            path: path.to_path_buf(),
            key,
            program: Arc::new(program),
            sources: Arc::new(sources),
            graphs,
            warnings,
            map,
        }))
    }
}

/// blake3 over each file's path and content (a missing file counts as missing).
pub fn content_key(files: &[PathBuf]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"weft-build-v1\0");
    for f in files {
        let p = f.to_string_lossy();
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
        // Bounded and never blocking: a FIFO or a device counts as unreadable.
        match weft_files::read(f, weft_files::Limit::DATA) {
            Ok(bytes) => {
                h.update(&[1]);
                h.update(&(bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(_) => {
                h.update(&[0]);
            }
        }
    }
    *h.finalize().as_bytes()
}

/// Which scope plays at timeline time `t` (0 without segments, else the
/// segment's index), and `me@time` there. `me@time` wraps with `me<loop>` (inside
/// a segment, the segment's own time wraps, as the audio backend does); times
/// past the end stay in the last segment.
pub fn locate(program: &Program, t: f64) -> (usize, f64) {
    if program.segments.is_empty() {
        return (0, program.settings.wrap_time(t));
    }
    let last = program.segments.len() - 1;
    let i = program
        .segments
        .iter()
        .position(|s| t < s.start + s.duration)
        .unwrap_or(last);
    (i, program.settings.wrap_time(t - program.segments[i].start))
}

/// Parameter values carried across a swap: kept by id (clamped into the new
/// range), new ones at their default, removed ones dropped.
pub fn carry_params(old: &HashMap<String, f64>, program: &Program) -> Vec<f64> {
    program
        .params
        .iter()
        .map(|p| match old.get(&p.name) {
            Some(v) => v.clamp(p.min, p.max),
            None => p.default,
        })
        .collect()
}
