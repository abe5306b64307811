//! The incremental executor: builds a watched file (only when its content or a
//! file it uses changed), splits it into blocks, and evaluates only the blocks
//! whose key is not in the result cache. Results are cached by block id under a
//! byte limit, least recently used first.

use crate::blocks::{self, Block};
use crate::preview;
use crate::protocol::{to_value, BlockInfo, ErrorInfo};
use serde_json::json;
use std::collections::{HashMap, HashSet};
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
    /// The blocks, and which of them this run evaluates.
    Start {
        /// Every block in document order.
        blocks: Vec<BlockInfo>,
        /// Ids this run evaluates.
        dirty: Vec<String>,
    },
    /// One block's result: the JSON fields after `run` and `block`
    /// (`"ok":true,"result":{…}`), shared by every client.
    Result {
        /// Block id.
        id: String,
        /// The fields.
        body: Arc<str>,
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

struct Entry {
    body: Arc<str>,
    used: u64,
    files: HashSet<String>,
}

/// Block results by id, bounded in bytes.
struct ResultCache {
    map: HashMap<String, Entry>,
    bytes: usize,
    limit: usize,
    clock: u64,
}

impl ResultCache {
    fn get(&mut self, id: &str, file: &str) -> Option<Arc<str>> {
        self.clock += 1;
        let e = self.map.get_mut(id)?;
        e.used = self.clock;
        e.files.insert(file.to_string());
        Some(e.body.clone())
    }

    fn insert(&mut self, id: String, body: Arc<str>, file: &str) {
        self.clock += 1;
        let old_id_len = id.len();
        self.bytes += body.len() + id.len();
        let old = self.map.insert(
            id,
            Entry {
                body,
                used: self.clock,
                files: HashSet::from([file.to_string()]),
            },
        );
        if let Some(old) = old {
            self.bytes -= old.body.len() + old_id_len;
        }
        if self.bytes > self.limit {
            // Rare: sort once and drop the oldest until well under the limit, so
            // the next inserts do not sort again.
            let target = self.limit - self.limit / 10;
            let mut by_age: Vec<(u64, String)> =
                self.map.iter().map(|(k, e)| (e.used, k.clone())).collect();
            by_age.sort();
            for (_, k) in by_age {
                if self.bytes <= target {
                    break;
                }
                if let Some(e) = self.map.remove(&k) {
                    self.bytes -= e.body.len() + k.len();
                }
            }
        }
    }

    fn forget(&mut self, file: &str) {
        let mut gone = Vec::new();
        for (k, e) in self.map.iter_mut() {
            e.files.remove(file);
            if e.files.is_empty() {
                gone.push(k.clone());
            }
        }
        for k in gone {
            if let Some(e) = self.map.remove(&k) {
                self.bytes -= e.body.len() + k.len();
            }
        }
    }
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

/// Runs files incrementally.
pub struct Executor {
    /// The served folder, stripped from paths in rendered diagnostics.
    root: Option<PathBuf>,
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
            root: None,
            files: HashMap::new(),
            cache: ResultCache {
                map: HashMap::new(),
                bytes: 0,
                limit: cache_bytes,
                clock: 0,
            },
            stats: ExecutorStats::default(),
        }
    }

    /// Shows paths in diagnostics relative to `root` (the served folder).
    pub fn with_root(mut self, root: &Path) -> Executor {
        self.root = Some(root.to_path_buf());
        self
    }

    fn info(&self, d: &Diagnostic, map: &SourceMap) -> ErrorInfo {
        let mut info = error_info(d, map);
        if let Some(root) = &self.root {
            info.rendered = info.rendered.replace(&format!("{}/", root.display()), "");
        }
        info
    }

    /// The counters.
    pub fn stats(&self) -> ExecutorStats {
        let mut s = self.stats.clone();
        s.cache_bytes = self.cache.bytes;
        s.cache_entries = self.cache.map.len();
        s
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
        self.cache.forget(rel);
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
                builder: Builder::new(SourceOptions::default()),
                last_good: None,
                last_failure: None,
                complete: false,
            });
        let outcome = state.builder.build(path);
        let outcome = match outcome {
            BuildOutcome::Unchanged | BuildOutcome::SkippedKnownFailure
                if state.complete && !again =>
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
                self.run_failed(path, &diagnostics, &map, &error, emit);
                return Outcome::Failed { key, error };
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
        emit(RunEvent::Start {
            blocks: blocks.iter().map(|b| b.info.clone()).collect(),
            dirty,
        });
        for block in &blocks {
            if cancel.load(Ordering::Relaxed) {
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
        emit(RunEvent::End {
            error: None,
            cancelled: false,
        });
        Outcome::Ran(Box::new(loaded))
    }

    fn run_failed(
        &mut self,
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
                Some(d) => format!("\"ok\":false,\"error\":{}", to_value(&self.info(d, map))),
                None => "\"ok\":true,\"stale\":true".to_string(),
            };
            // The id covers what is shown (which error, where), so a client never
            // keeps an old error under an id that now means another one.
            let mut h = blake3::Hasher::new();
            h.update(block.info.id.as_bytes());
            h.update(body.as_bytes());
            block.info.id = format!("s-{}", &h.finalize().to_hex()[..20]);
            bodies.push(body);
        }
        emit(RunEvent::Start {
            blocks: blocks.iter().map(|b| b.info.clone()).collect(),
            dirty: Vec::new(),
        });
        for (block, body) in blocks.iter().zip(bodies) {
            emit(RunEvent::Result {
                id: block.info.id.clone(),
                body: body.into(),
            });
        }
        let rendered = match &self.root {
            Some(root) => rendered.replace(&format!("{}/", root.display()), ""),
            None => rendered.to_string(),
        };
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
        emit(RunEvent::End {
            error: Some(first),
            cancelled: false,
        });
    }
}

fn evaluate(loaded: &LoadedProgram, block: &Block) -> Arc<str> {
    let views = match block.instance {
        Some(inst) => preview::strand_views(&loaded.program, &loaded.sources, inst),
        None => Ok(Vec::new()),
    };
    match views {
        Ok(views) => format!("\"ok\":true,\"result\":{}", json!({ "views": views })).into(),
        Err(message) => format!(
            "\"ok\":false,\"error\":{}",
            json!({"code": "", "message": message, "line": block.info.line, "column": 1, "rendered": message})
        )
        .into(),
    }
}
