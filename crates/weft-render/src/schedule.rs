//! The scheduler: the chunks to render go on one queue that `--jobs N` workers
//! drain. A worker first looks a chunk up in the cache (verifying the entry);
//! only a miss (or a corrupt entry) is rendered, then stored at once, so a render
//! that is killed keeps every chunk it finished. A failing chunk records its error
//! and the others go on. Pixels are computed on a thread pool of the same size, so
//! `--jobs 1` uses one core for rendering.

use crate::cache::{Cache, ChunkError, Lookup};
use crate::chunk::ChunkRenderer;
use crate::encode::Ffmpeg;
use crate::error::RenderError;
use crate::key::ChunkKey;
use crate::timeline::{Chunk, Piece, Timeline};
use arc_swap::ArcSwapOption;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Which chunk: its segment and its index there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkId {
    /// Segment index.
    pub segment: usize,
    /// Chunk index within the segment.
    pub index: usize,
}

impl ChunkId {
    /// The id of `chunk`.
    pub fn of(chunk: &Chunk) -> ChunkId {
        ChunkId {
            segment: chunk.segment,
            index: chunk.index,
        }
    }
}

/// The chunk keys still wanted, shared with a running render (`--watch`): a
/// newer save stores its timeline's keys, and every chunk whose key is not among
/// them stops — a queued one is skipped, a running one stops at its next frame;
/// finished chunks stay cached. Empty (never set) wants every chunk. Reading it
/// takes no lock.
#[derive(Debug, Default)]
pub struct LiveKeys(ArcSwapOption<HashSet<ChunkKey>>);

impl LiveKeys {
    /// From now on only `keys` are wanted.
    pub fn set(&self, keys: impl IntoIterator<Item = ChunkKey>) {
        self.0.store(Some(Arc::new(keys.into_iter().collect())));
    }

    /// Whether `key` is still wanted.
    pub fn wants(&self, key: &ChunkKey) -> bool {
        self.0.load().as_ref().is_none_or(|k| k.contains(key))
    }
}

/// How one chunk went.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Which chunk.
    pub chunk: ChunkId,
    /// True when its entry was in the cache.
    pub hit: bool,
    /// Why the cached entry was unusable, when it was (it was re-rendered).
    pub corrupt: Option<String>,
    /// Seconds spent on it.
    pub seconds: f64,
    /// Frames it holds.
    pub frames: u64,
    /// Its error, when it failed.
    pub error: Option<String>,
    /// True when a newer save made it stale before it finished (not an error).
    pub cancelled: bool,
}

/// What a render tells its observer, from any worker thread.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A worker took a chunk with `work` units (frames, or audio blocks for WAV).
    Started {
        /// The worker (0-based).
        worker: usize,
        /// The chunk.
        chunk: ChunkId,
        /// Units of work in it.
        work: u64,
    },
    /// A worker finished `units` more units of its chunk.
    Progress {
        /// The worker.
        worker: usize,
        /// Units just done.
        units: u64,
    },
    /// A worker is done with a chunk.
    Finished {
        /// The worker.
        worker: usize,
        /// How it went.
        outcome: Outcome,
    },
}

/// What the workers share.
#[derive(Clone, Copy)]
pub struct Workers<'a> {
    /// Where finished chunks go (and are looked up first).
    pub cache: &'a Cache,
    /// The encoder, for MP4.
    pub ffmpeg: Option<&'a Ffmpeg>,
    /// How many.
    pub jobs: usize,
    /// The keys still wanted, when a newer save may make chunks stale.
    pub live: Option<&'a LiveKeys>,
}

/// Renders `chunks` of `timeline` over `jobs` workers, storing each in `cache`;
/// the outcome of each, in the order they finished.
pub fn run(
    piece: &Piece,
    timeline: &Timeline,
    chunks: &[&Chunk],
    workers: &Workers<'_>,
    observer: &(dyn Fn(&Event) + Sync),
) -> Vec<Outcome> {
    let Workers {
        cache,
        ffmpeg,
        jobs,
        live,
    } = *workers;
    let jobs = jobs.clamp(1, chunks.len().max(1));
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .thread_name(|i| format!("weft-render-pixels-{i}"))
        .build()
        .ok();
    let next = AtomicUsize::new(0);
    let outcomes = std::sync::Mutex::new(Vec::with_capacity(chunks.len()));
    std::thread::scope(|scope| {
        for worker in 0..jobs {
            let (next, outcomes, pool) = (&next, &outcomes, pool.as_ref());
            std::thread::Builder::new()
                .name(format!("weft-render-{worker}"))
                .spawn_scoped(scope, move || {
                    let mut renderer = ChunkRenderer::new(piece, timeline, ffmpeg, cache.tmp_dir());
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(i) else { break };
                        let mut work = || {
                            one(
                                &mut renderer,
                                timeline,
                                chunk,
                                cache,
                                worker,
                                live,
                                observer,
                            )
                        };
                        let outcome = match pool {
                            Some(p) => p.install(work),
                            None => work(),
                        };
                        observer(&Event::Finished {
                            worker,
                            outcome: outcome.clone(),
                        });
                        outcomes
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .push(outcome);
                    }
                })
                .expect("spawning a render worker");
        }
    });
    outcomes.into_inner().unwrap_or_else(|e| e.into_inner())
}

fn one(
    renderer: &mut ChunkRenderer<'_>,
    timeline: &Timeline,
    chunk: &Chunk,
    cache: &Cache,
    worker: usize,
    live: Option<&LiveKeys>,
    observer: &(dyn Fn(&Event) + Sync),
) -> Outcome {
    let started = Instant::now();
    let id = ChunkId::of(chunk);
    let frames = chunk.frames.end - chunk.frames.start;
    let work = chunk.work(timeline.settings.format);
    observer(&Event::Started {
        worker,
        chunk: id,
        work,
    });
    let mut outcome = Outcome {
        chunk: id,
        hit: false,
        corrupt: None,
        seconds: 0.0,
        frames,
        error: None,
        cancelled: false,
    };
    let wanted = || live.is_none_or(|l| l.wants(&chunk.key));
    match cache.get(&chunk.key) {
        Lookup::Hit(_) => {
            observer(&Event::Progress {
                worker,
                units: work,
            });
            outcome.hit = true;
            outcome.seconds = started.elapsed().as_secs_f64();
            return outcome;
        }
        Lookup::Corrupt(why) => outcome.corrupt = Some(why),
        Lookup::Miss => {}
    }
    if !wanted() {
        outcome.cancelled = true;
        return outcome;
    }
    let result = renderer
        .render(chunk, &mut |units| {
            observer(&Event::Progress { worker, units });
            wanted()
        })
        .and_then(|entry| cache.put(&chunk.key, &entry));
    if let Err(RenderError::Cancelled) = result {
        outcome.cancelled = true;
    } else if let Err(e) = result {
        let message = e.to_string();
        let _ = cache.record_error(
            &chunk.key,
            &ChunkError {
                segment: timeline.segments[chunk.segment].name.clone(),
                chunk: chunk.index,
                message: message.clone(),
            },
        );
        outcome.error = Some(message);
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}
