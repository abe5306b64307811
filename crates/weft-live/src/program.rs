//! Building a program for the live engine, off the engine thread: read, parse,
//! lower, graph and load sources, keyed by the content of every file involved, and
//! remember which content failed so the same broken save is not built twice.
//!
//! The key of a build is made of the bytes that build read (each file's digest
//! taken as it was read, data files before they are decoded), never of a second
//! read: a save that lands during a build then differs from the key, so the next
//! build runs instead of answering `Unchanged`.

use super::command::Command;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_diagnostics::{has_errors, render_all, Diagnostic, SourceMap};
use weft_graph::{Graph, Scope};
use weft_lang::ir::Program;
use weft_lang::{DiskReader, SourceReader};
use weft_sources::{SourceOptions, SourceSet};

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
pub struct Builder {
    options: SourceOptions,
    /// Where WEFT files and data files are read from: the disk, or an editor's
    /// buffers over it.
    reader: Arc<dyn SourceReader + Send + Sync>,
    /// Files the last build read (WEFT files, then data files from `data_from`
    /// on), to key the next one.
    files: Vec<PathBuf>,
    data_from: usize,
    last_key: Option<[u8; 32]>,
    failed: HashSet<[u8; 32]>,
    /// The last good program's decoded sources and its data files' digests:
    /// a file whose digest is unchanged is not decoded again.
    decoded: Option<Decoded>,
    /// How many builds ran (parsed and lowered), for tests and reports.
    pub builds: u64,
}

/// What [`Builder::decoded`] keeps.
struct Decoded {
    program: Arc<Program>,
    sources: Arc<SourceSet>,
    digests: Vec<Read>,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("files", &self.files)
            .field("builds", &self.builds)
            .finish_non_exhaustive()
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new(SourceOptions::default())
    }
}

impl Builder {
    /// A builder reading from disk, loading sources with `options` (`--mic`,
    /// `--camera`).
    pub fn new(options: SourceOptions) -> Builder {
        Builder::with_reader(options, Arc::new(DiskReader))
    }

    /// A builder reading every file through `reader`.
    pub fn with_reader(
        options: SourceOptions,
        reader: Arc<dyn SourceReader + Send + Sync>,
    ) -> Builder {
        Builder {
            options,
            reader,
            files: Vec::new(),
            data_from: 0,
            last_key: None,
            failed: HashSet::new(),
            decoded: None,
            builds: 0,
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
        let mut data_from = self.data_from;
        if files.first().map(PathBuf::as_path) != Some(path) {
            files = vec![path.to_path_buf()];
            data_from = 1;
        }
        // Nothing built or failed yet: nothing to compare with, so no reading twice.
        if self.last_key.is_some() || !self.failed.is_empty() {
            let key = self.content_key(&files, data_from);
            if self.failed.contains(&key) {
                return BuildOutcome::SkippedKnownFailure;
            }
            if self.last_key == Some(key) {
                return BuildOutcome::Unchanged;
            }
        }
        self.builds += 1;
        let outcome = self.build_now(path);
        match &outcome {
            BuildOutcome::Failed { key, .. } => {
                self.failed.insert(*key);
                // Going back to the last good content must build again, to
                // clear the error the engine shows.
                self.last_key = None;
            }
            BuildOutcome::Loaded(p) => self.last_key = Some(p.key),
            BuildOutcome::SkippedKnownFailure | BuildOutcome::Unchanged => {}
        }
        outcome
    }

    /// The key of `files` as they are now (data files from `data_from` on).
    fn content_key(&self, files: &[PathBuf], data_from: usize) -> [u8; 32] {
        let reads: Vec<Read> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let bytes = if i < data_from {
                    self.reader.read(f)
                } else {
                    self.reader.read_data(f)
                };
                (f.clone(), bytes.ok().map(|b| digest(&b)))
            })
            .collect();
        key_of(&reads)
    }

    fn build_now(&mut self, path: &Path) -> BuildOutcome {
        let recorder = Recorder {
            inner: &*self.reader,
            reads: RefCell::new(Vec::new()),
        };
        let built = weft_lang::build_with(path, &recorder);
        let mut reads = recorder.reads.into_inner();
        let built = match built {
            Ok(b) => b,
            Err(e) => {
                self.files = vec![path.to_path_buf()];
                self.data_from = 1;
                return BuildOutcome::Failed {
                    key: key_of(&reads),
                    error: format!("{e}\n"),
                    diagnostics: Vec::new(),
                    map: Arc::new(SourceMap::new()),
                };
            }
        };
        // Data files are digested before they are decoded: a save in between makes
        // the key older than what was built, which costs one more build, never a
        // lost edit.
        let mut seen = HashSet::new();
        reads.retain(|(f, _)| seen.insert(f.clone()));
        self.data_from = reads.len();
        if let Some(p) = &built.program {
            for f in p.sources.iter().filter_map(|s| s.path.as_ref()) {
                if seen.insert(f.clone()) {
                    reads.push((f.clone(), self.reader.read_data(f).ok().map(|b| digest(&b))));
                }
            }
        }
        self.files = reads.iter().map(|(f, _)| f.clone()).collect();
        let key = key_of(&reads);
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
        let data = &reads[self.data_from..];
        let unchanged = |p: &Path| {
            let now = data
                .iter()
                .find(|(f, _)| f == p)
                .and_then(|(_, d)| d.as_ref());
            let then = self.decoded.as_ref().and_then(|d| {
                d.digests
                    .iter()
                    .find(|(f, _)| f == p)
                    .and_then(|(_, d)| d.as_ref())
            });
            now.is_some() && now == then
        };
        let previous = self.decoded.as_ref().map(|d| (&*d.program, &*d.sources));
        let (sources, found) =
            SourceSet::load_reusing(&program, &self.options, previous, &unchanged);
        diagnostics.extend(found);
        if has_errors(&diagnostics) {
            return fail(&diagnostics);
        }
        let program = Arc::new(program);
        let sources = Arc::new(sources);
        self.decoded = Some(Decoded {
            program: program.clone(),
            sources: sources.clone(),
            digests: data.to_vec(),
        });
        let warnings = if diagnostics.is_empty() {
            String::new()
        } else {
            render_all(&diagnostics, &map)
        };
        BuildOutcome::Loaded(Box::new(LoadedProgram {
            path: path.to_path_buf(),
            key,
            program,
            sources,
            graphs,
            warnings,
            map,
        }))
    }
}

/// One file a build read: its path and the digest of the bytes it got (`None`
/// when the read failed).
type Read = (PathBuf, Option<[u8; 32]>);

/// A reader that remembers the digest of everything it hands out.
struct Recorder<'r> {
    inner: &'r (dyn SourceReader + Send + Sync),
    reads: RefCell<Vec<Read>>,
}

impl SourceReader for Recorder<'_> {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let result = self.inner.read(path);
        let d = result.as_ref().ok().map(|b| digest(b));
        self.reads.borrow_mut().push((path.to_path_buf(), d));
        result
    }
}

fn digest(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}

/// blake3 over each file's path and content digest (a failed read counts as
/// missing), in order.
fn key_of(reads: &[Read]) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"weft-build-v2\0");
    for (f, d) in reads {
        let p = f.to_string_lossy();
        h.update(&(p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
        match d {
            Some(d) => {
                h.update(&[1]);
                h.update(d);
            }
            None => {
                h.update(&[0]);
            }
        }
    }
    *h.finalize().as_bytes()
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
