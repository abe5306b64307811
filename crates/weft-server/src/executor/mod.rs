//! The incremental executor: builds a watched file (only when its content or a
//! file it uses changed), splits it into blocks, and evaluates only the blocks
//! whose key is not in the result cache. Results are cached by block id under a
//! byte limit, least recently used first. A watched file that is deleted or
//! cannot be read keeps its blocks, marked stale, under an error saying so.
//! The counters are published as an immutable snapshot, so reading them never
//! waits for a build.

mod cache;

use crate::blocks::{self, Block};
use crate::buffers::Buffers;
use crate::microphones::Microphones;
use crate::preview;
use crate::protocol::{BlockBody, BlockInfo, ErrorInfo};
use arc_swap::ArcSwap;
use cache::ResultCache;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use weft_diagnostics::{render, Diagnostic, SourceMap};
use weft_live::program::{BuildOutcome, Builder, LoadedProgram};
use weft_sources::SourceOptions;

/// Default byte limit of the result cache.
pub const DEFAULT_CACHE_BYTES: usize = 500 * 1024 * 1024;

/// What a run tells the clients, in order.
#[derive(Clone, Debug)]
pub enum RunEvent {
    /// The program built, before its blocks are evaluated (the player takes it).
    Built(Box<LoadedProgram>),
    /// The blocks, and which of them this run evaluates.
    Start {
        /// Every block in document order.
        blocks: Vec<BlockInfo>,
        /// Ids this run evaluates.
        dirty: Vec<String>,
        /// The build read an editor's unsaved text (`buffers`).
        unsaved: bool,
    },
    /// One block's result, shared by every client.
    Result {
        /// Block id.
        id: String,
        /// The result.
        body: Arc<BlockBody>,
    },
    /// The run is over.
    End {
        /// The first error of a failed build.
        error: Option<ErrorInfo>,
        /// A newer change stopped it.
        cancelled: bool,
    },
}

/// What a run did.
#[derive(Debug)]
pub enum Outcome {
    /// Nothing changed since the last complete run: no events were sent.
    Unchanged,
    /// The run happened; the built program comes with it for the player.
    Ran(Box<LoadedProgram>),
    /// The file did not build; its blocks were sent with their errors.
    Failed {
        /// The content key of what failed.
        key: [u8; 32],
        /// The rendered diagnostics.
        error: String,
    },
}

/// The last build that failed, to send again when asked.
struct Failure {
    key: [u8; 32],
    error: String,
    diagnostics: Vec<Diagnostic>,
    map: Arc<SourceMap>,
}

struct FileState {
    builder: Builder,
    /// The last program that built, to run again after a cancelled run.
    last_good: Option<LoadedProgram>,
    /// The last build, when it failed.
    last_failure: Option<Failure>,
    /// The last run finished (was not cancelled).
    complete: bool,
    /// The blocks of the last run sent (kept, stale, while the file cannot be read).
    shown: Vec<BlockInfo>,
    /// Why the file could not be read at its last run (`None`: it could).
    unreadable: Option<String>,
}

/// Counters for reports and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExecutorStats {
    /// Runs per file (a run parsed and lowered the file, or ran it again).
    pub runs: HashMap<String, u64>,
    /// Blocks evaluated (cache misses).
    pub evaluated: u64,
    /// Blocks answered from the cache.
    pub reused: u64,
    /// Bytes in the result cache.
    pub cache_bytes: usize,
    /// Entries in the result cache.
    pub cache_entries: usize,
}

/// Called with each block id just before the block is evaluated or taken from
/// the cache: tests hold a build in progress here.
#[derive(Clone)]
pub struct BlockHook(pub Arc<dyn Fn(&str) + Send + Sync>);

impl std::fmt::Debug for BlockHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlockHook")
    }
}

/// Runs files incrementally.
pub struct Executor {
    before_block: Option<BlockHook>,
    /// The counters as of the last publish, for readers on other threads.
    published: Arc<ArcSwap<ExecutorStats>>,
    /// The served folder, stripped from paths in rendered diagnostics.
    root: Option<PathBuf>,
    /// What builds read: editors' unsaved texts, else the disk.
    buffers: Buffers,
    /// Each file's live input for `mic()` (a page's microphone).
    microphones: Microphones,
    /// What `camera()` reads.
    camera: Option<PathBuf>,
    files: HashMap<String, FileState>,
    cache: ResultCache,
    stats: ExecutorStats,
}

/// Where a diagnostic points, for the client.
pub fn error_info(d: &Diagnostic, map: &SourceMap) -> ErrorInfo {
    let (line, column) = match d.span {
        Some(s) if (s.file.0 as usize) < map.files().count() => {
            let lc = map.file(s.file).line_col(s.start as usize);
            (lc.line, lc.col)
        }
        _ => (0, 0),
    };
    ErrorInfo {
        code: d.code.as_str().to_string(),
        message: d.message.clone(),
        line,
        column,
        rendered: render(d, map),
    }
}

impl Executor {
    /// An executor whose result cache holds at most `cache_bytes`.
    pub fn new(cache_bytes: usize) -> Executor {
        Executor {
            before_block: None,
            published: Arc::new(ArcSwap::from_pointee(ExecutorStats::default())),
            root: None,
            buffers: Buffers::new(),
            microphones: Microphones::new(),
            camera: None,
            files: HashMap::new(),
            cache: ResultCache::new(cache_bytes),
            stats: ExecutorStats::default(),
        }
    }

    /// Shows paths in diagnostics relative to `root` (the served folder).
    pub fn with_root(mut self, root: &Path) -> Executor {
        self.root = Some(root.to_path_buf());
        self
    }

    /// Reads editors' unsaved texts from `buffers` (shared with the hub).
    pub fn with_buffers(mut self, buffers: Buffers) -> Executor {
        self.buffers = buffers;
        self
    }

    /// Gives `camera()` this image or video (`weft dev --camera`).
    pub fn with_camera(mut self, camera: Option<PathBuf>) -> Executor {
        self.camera = camera;
        self
    }

    /// Gives each file's programs its live input from `microphones` (shared with
    /// the hub).
    pub fn with_microphones(mut self, microphones: Microphones) -> Executor {
        self.microphones = microphones;
        self
    }

    /// Calls `hook` before each block of every run.
    pub fn with_hook(mut self, hook: Option<BlockHook>) -> Executor {
        self.before_block = hook;
        self
    }

    /// `text` with the served folder's absolute path taken out of every path in it.
    fn relative(&self, text: &str) -> String {
        match &self.root {
            Some(root) => text.replace(&format!("{}/", root.display()), ""),
            None => text.to_string(),
        }
    }

    fn info(&self, d: &Diagnostic, map: &SourceMap) -> ErrorInfo {
        let mut info = error_info(d, map);
        info.rendered = self.relative(&info.rendered);
        info
    }

    /// The counters.
    pub fn stats(&self) -> ExecutorStats {
        let mut s = self.stats.clone();
        s.cache_bytes = self.cache.bytes;
        s.cache_entries = self.cache.map.len();
        s
    }

    /// The counters as last published (at the end of every run and after
    /// [`Executor::forget`]): read from any thread without waiting for a build.
    pub fn published(&self) -> Arc<ArcSwap<ExecutorStats>> {
        self.published.clone()
    }

    fn publish(&self) {
        self.published.store(Arc::new(self.stats()));
    }

    /// The files the last build of `rel` read (the root first).
    pub fn files_of(&self, rel: &str) -> Vec<PathBuf> {
        self.files
            .get(rel)
            .map(|f| f.builder.files().to_vec())
            .unwrap_or_default()
    }

    /// True when the last build of `rel` failed (a missing import may appear).
    pub fn failed(&self, rel: &str) -> bool {
        self.files.get(rel).is_some_and(|f| f.last_good.is_none())
    }

    /// Drops everything about `rel`: its builder and the results only it used.
    pub fn forget(&mut self, rel: &str) {
        self.files.remove(rel);
        self.microphones.forget(rel);
        self.cache.forget(rel);
        self.publish();
    }

    /// Runs `rel` (the file at `path`), sending events to `emit`; stops early when
    /// `cancel` is set. Content that did not change since the last complete run
    /// sends nothing, unless `again` asks for the run to be sent anyway (a client
    /// watches a file whose results the hub no longer holds).
    pub fn run(
        &mut self,
        rel: &str,
        path: &Path,
        cancel: &AtomicBool,
        again: bool,
        emit: &mut dyn FnMut(RunEvent),
    ) -> Outcome {
        let state = self
            .files
            .entry(rel.to_string())
            .or_insert_with(|| FileState {
                builder: Builder::with_reader(
                    SourceOptions {
                        live_mic: Some(self.microphones.of(rel)),
                        camera: self.camera.clone(),
                        ..SourceOptions::default()
                    },
                    Arc::new(self.buffers.clone()),
                ),
                last_good: None,
                last_failure: None,
                complete: false,
                shown: Vec::new(),
                unreadable: None,
            });
        if let Some(why) = unreadable(rel, path) {
            if state.unreadable.as_ref() == Some(&why) && state.complete && !again {
                return Outcome::Unchanged;
            }
            state.unreadable = Some(why.clone());
            state.complete = true;
            let shown = state.shown.clone();
            *self.stats.runs.entry(rel.to_string()).or_default() += 1;
            return self.run_unreadable(&shown, why, emit);
        }
        // Back from being unreadable: whatever it holds is sent again.
        let came_back = state.unreadable.take().is_some();
        let outcome = state.builder.build(path);
        let outcome = match outcome {
            BuildOutcome::Unchanged | BuildOutcome::SkippedKnownFailure
                if state.complete && !again && !came_back =>
            {
                return Outcome::Unchanged
            }
            BuildOutcome::Unchanged | BuildOutcome::SkippedKnownFailure => {
                match (&state.last_good, &state.last_failure) {
                    (Some(p), _) => BuildOutcome::Loaded(Box::new(p.clone())),
                    (None, Some(f)) => BuildOutcome::Failed {
                        key: f.key,
                        error: f.error.clone(),
                        diagnostics: f.diagnostics.clone(),
                        map: f.map.clone(),
                    },
                    (None, None) => return Outcome::Unchanged,
                }
            }
            other => other,
        };
        let loaded = match outcome {
            BuildOutcome::Failed {
                diagnostics,
                map,
                error,
                key,
            } => {
                *self.stats.runs.entry(rel.to_string()).or_default() += 1;
                state.complete = true;
                state.last_good = None;
                state.last_failure = Some(Failure {
                    key,
                    error: error.clone(),
                    diagnostics: diagnostics.clone(),
                    map: map.clone(),
                });
                self.run_failed(rel, path, &diagnostics, &map, &error, emit);
                return Outcome::Failed {
                    key,
                    error: self.relative(&error),
                };
            }
            BuildOutcome::Loaded(p) => *p,
            BuildOutcome::Unchanged | BuildOutcome::SkippedKnownFailure => {
                return Outcome::Unchanged
            }
        };
        state.last_failure = None;
        *self.stats.runs.entry(rel.to_string()).or_default() += 1;
        state.last_good = Some(loaded.clone());
        state.complete = false;
        let preview = format!("{:?}", preview::thumb_size(&loaded.program));
        let blocks = blocks::of_program(&loaded, preview.as_bytes());
        let dirty: Vec<String> = blocks
            .iter()
            .filter(|b| !self.cache.map.contains_key(&b.info.id))
            .map(|b| b.info.id.clone())
            .collect();
        let infos: Vec<BlockInfo> = blocks.iter().map(|b| b.info.clone()).collect();
        state.shown = infos.clone();
        emit(RunEvent::Built(Box::new(loaded.clone())));
        let unsaved = self.buffers.holds_any(self.files_of(rel).as_slice());
        emit(RunEvent::Start {
            blocks: infos,
            dirty,
            unsaved,
        });
        for block in &blocks {
            if let Some(hook) = &self.before_block {
                (hook.0)(&block.info.id);
            }
            if cancel.load(Ordering::Relaxed) {
                self.publish();
                emit(RunEvent::End {
                    error: None,
                    cancelled: true,
                });
                return Outcome::Ran(Box::new(loaded));
            }
            let body = match self.cache.get(&block.info.id, rel) {
                Some(body) => {
                    self.stats.reused += 1;
                    body
                }
                None => {
                    self.stats.evaluated += 1;
                    let body = evaluate(&loaded, block);
                    self.cache.insert(block.info.id.clone(), body.clone(), rel);
                    body
                }
            };
            emit(RunEvent::Result {
                id: block.info.id.clone(),
                body,
            });
        }
        if let Some(s) = self.files.get_mut(rel) {
            s.complete = true;
        }
        self.publish();
        emit(RunEvent::End {
            error: None,
            cancelled: false,
        });
        Outcome::Ran(Box::new(loaded))
    }

    /// The run of a file that cannot be read: the blocks it showed last, each
    /// stale under a new id (so a client never takes them for results), and an
    /// error that says why.
    fn run_unreadable(
        &mut self,
        shown: &[BlockInfo],
        why: String,
        emit: &mut dyn FnMut(RunEvent),
    ) -> Outcome {
        let blocks: Vec<BlockInfo> = shown
            .iter()
            .map(|b| {
                let mut h = blake3::Hasher::new();
                h.update(b"weft-unreadable-v1\0");
                h.update(b.id.as_bytes());
                h.update(why.as_bytes());
                BlockInfo {
                    id: format!("s-{}", &h.finalize().to_hex()[..20]),
                    ..b.clone()
                }
            })
            .collect();
        let ids: Vec<String> = blocks.iter().map(|b| b.id.clone()).collect();
        emit(RunEvent::Start {
            blocks,
            dirty: Vec::new(),
            unsaved: false,
        });
        let stale = Arc::new(BlockBody::Stale);
        for id in ids {
            emit(RunEvent::Result {
                id,
                body: stale.clone(),
            });
        }
        self.publish();
        emit(RunEvent::End {
            error: Some(ErrorInfo {
                code: String::new(),
                message: why.clone(),
                line: 0,
                column: 0,
                rendered: why.clone(),
            }),
            cancelled: false,
        });
        Outcome::Failed {
            key: *blake3::hash(why.as_bytes()).as_bytes(),
            error: why,
        }
    }

    fn run_failed(
        &mut self,
        rel: &str,
        path: &Path,
        diagnostics: &[Diagnostic],
        map: &SourceMap,
        rendered: &str,
        emit: &mut dyn FnMut(RunEvent),
    ) {
        // The root file's text as the build read it, else as it is now.
        let mut own = SourceMap::new();
        let (file, map_used) = match map.files().next() {
            Some((id, _)) => (id, map),
            None => {
                let text = weft_files::read(path, weft_files::Limit::PROGRAM)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default();
                (own.add(path, text), &own)
            }
        };
        let root = map_used.file(file);
        let mut blocks = blocks::of_text(root, file);
        let errors: Vec<&Diagnostic> = diagnostics.iter().filter(|d| d.is_error()).collect();
        let mut bodies = Vec::with_capacity(blocks.len());
        for block in &mut blocks {
            let hit = errors.iter().find(|d| {
                d.span.is_some_and(|s| {
                    s.file == file
                        && (s.start as usize) < block.span.1.max(block.span.0 + 1)
                        && (s.end as usize).max(s.start as usize + 1) > block.span.0
                })
            });
            let body = match hit {
                Some(d) => BlockBody::Error(self.info(d, map)),
                None => BlockBody::Stale,
            };
            // The id covers what is shown (which error, where), so a client never
            // keeps an old error under an id that now means another one.
            let mut h = blake3::Hasher::new();
            h.update(block.info.id.as_bytes());
            h.update(&body.json());
            block.info.id = format!("s-{}", &h.finalize().to_hex()[..20]);
            bodies.push(Arc::new(body));
        }
        let infos: Vec<BlockInfo> = blocks.iter().map(|b| b.info.clone()).collect();
        if let Some(state) = self.files.get_mut(rel) {
            state.shown = infos.clone();
        }
        let unsaved = self.buffers.holds_any(&[path.to_path_buf()])
            || self.buffers.holds_any(self.files_of(rel).as_slice());
        emit(RunEvent::Start {
            blocks: infos,
            dirty: Vec::new(),
            unsaved,
        });
        for (block, body) in blocks.iter().zip(bodies) {
            emit(RunEvent::Result {
                id: block.info.id.clone(),
                body,
            });
        }
        let rendered = self.relative(rendered);
        let first = errors
            .first()
            .map(|d| self.info(d, map))
            .unwrap_or(ErrorInfo {
                code: String::new(),
                message: rendered.trim().to_string(),
                line: 0,
                column: 0,
                rendered: rendered.clone(),
            });
        self.publish();
        emit(RunEvent::End {
            error: Some(first),
            cancelled: false,
        });
    }
}

/// Why the watched file at `path` cannot be built at all (gone, not a regular
/// file, unreadable), as its watchers are told; `None` when it can be read.
fn unreadable(rel: &str, path: &Path) -> Option<String> {
    // The same check the build's reads make (never blocks on a FIFO).
    match weft_files::check(path, weft_files::Limit::PROGRAM) {
        Ok(()) => None,
        Err(weft_files::ReadError::NotFound) => Some(format!(
            "`{rel}` was deleted; what it showed stays until it comes back"
        )),
        Err(why) => Some(format!(
            "`{rel}` cannot be read ({why}); what it showed stays until it can"
        )),
    }
}

fn evaluate(loaded: &LoadedProgram, block: &Block) -> Arc<BlockBody> {
    let views = match block.instance {
        Some(inst) => preview::strand_views(&loaded.program, &loaded.sources, inst),
        None => Ok(Vec::new()),
    };
    Arc::new(match views {
        Ok(views) => BlockBody::Views(views),
        Err(message) => BlockBody::Error(ErrorInfo {
            code: String::new(),
            line: block.info.line,
            column: 1,
            rendered: message.clone(),
            message,
        }),
    })
}
