//! `weft render FILE --watch`: the render loop where the user works. Every save
//! rebuilds the piece; only chunks whose key is new render (the rest are cached),
//! then the output is joined again. One round at a time and at most one pending
//! (the newest save); a newer save cancels the running round's chunks that
//! became stale — their keys are not in the new timeline — and keeps the ones it
//! finished; a failed build keeps the last output. One line per round says what
//! was rendered and how long it took. Runs until interrupted.

use super::render::{failure, Prepared, Target};
use crate::failure::{err, out, Failure};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use weft_render::render::Options;
use weft_render::schedule::LiveKeys;
use weft_render::{Cache, ChunkKey, RenderError, Report, Request};
use weft_watch::ProgramWatcher;

/// What the loop hears.
enum Note {
    /// A file the piece reads changed.
    Changed,
    /// A round ended.
    Done(u64, Box<Result<Report, RenderError>>),
}

/// The rendering side of the loop: what a round needs besides the piece.
struct Rounds {
    cache: Arc<Cache>,
    output: PathBuf,
    jobs: usize,
    live: Arc<LiveKeys>,
    tx: mpsc::Sender<Note>,
    started: u64,
}

impl Rounds {
    /// Starts round `n` on its own thread, wanting exactly `p`'s chunks.
    fn start(&mut self, p: Prepared) {
        self.started += 1;
        let round = self.started;
        self.live.set(p.timeline.chunks().map(|c| c.key));
        let options = Options {
            jobs: self.jobs,
            output: Some(self.output.clone()),
            only: None,
            reads: p.reads.clone(),
            live: Some(self.live.clone()),
            shard: None,
        };
        let (cache, tx) = (self.cache.clone(), self.tx.clone());
        std::thread::Builder::new()
            .name(format!("weft-render-round-{round}"))
            .spawn(move || {
                let report =
                    weft_render::render::render(&p.piece, &p.timeline, &cache, &options, &|_| {});
                let _ = tx.send(Note::Done(round, Box::new(report)));
            })
            .map(|_| ())
            .unwrap_or_else(|e| err(&format!("error: cannot start a render: {e}\n")));
    }
}

/// Watches `target`'s files and renders every save into `output`, starting with
/// `first` (already checked: it has something to render, `output` can be written).
pub fn run(
    target: &Target,
    request: &Request,
    first: Prepared,
    output: PathBuf,
    jobs: usize,
) -> Result<(), Failure> {
    let cache = first.open_cache().map_err(failure)?;
    let (tx, rx) = mpsc::channel();
    let changed = tx.clone();
    let mut watcher = ProgramWatcher::new(Duration::from_millis(30), move |_| {
        let _ = changed.send(Note::Changed);
    });
    let follow = |watcher: &mut ProgramWatcher| {
        if let Err(e) = watcher.watch(&crate::session::files_read(&target.file)) {
            err(&format!("weft render: not watched: {e}\n"));
        }
    };
    follow(&mut watcher);
    out(&format!(
        "weft render: watching {}; every save renders what changed into {} (Ctrl-C stops)\n",
        target.file.display(),
        output.display()
    ));
    let mut rounds = Rounds {
        cache: Arc::new(cache),
        output,
        jobs,
        live: Arc::new(LiveKeys::default()),
        tx,
        started: 0,
    };
    // The keys of the newest timeline, to say which segments a save dirtied.
    let mut known: HashSet<ChunkKey> = first.timeline.chunks().map(|c| c.key).collect();
    let mut running: Option<Instant> = Some(Instant::now());
    let mut pending: Option<Prepared> = None;
    rounds.start(first);
    while let Ok(note) = rx.recv() {
        match note {
            Note::Changed => match target.prepare(request) {
                Ok(p) => {
                    follow(&mut watcher);
                    say_dirty(&target.file, &known, &p);
                    known = p.timeline.chunks().map(|c| c.key).collect();
                    // Stale chunks of the running round stop now; the newest
                    // save replaces any older one waiting.
                    rounds.live.set(p.timeline.chunks().map(|c| c.key));
                    if running.is_some() {
                        pending = Some(p);
                    } else {
                        running = Some(Instant::now());
                        rounds.start(p);
                    }
                }
                Err(e) => {
                    follow(&mut watcher);
                    err(&format!(
                        "{}\nweft render: the build failed; {} keeps the last good render\n",
                        e.message().trim_end(),
                        rounds.output.display()
                    ));
                }
            },
            Note::Done(round, report) => {
                let took = running.take().map_or(0.0, |t| t.elapsed().as_secs_f64());
                say_round(round, took, &report, &rounds.output);
                if let Some(p) = pending.take() {
                    running = Some(Instant::now());
                    rounds.start(p);
                }
            }
        }
    }
    Ok(())
}

/// One line per accepted save: the segments with a chunk whose key is new.
fn say_dirty(file: &std::path::Path, known: &HashSet<ChunkKey>, p: &Prepared) {
    let dirty: Vec<&str> = p
        .timeline
        .segments
        .iter()
        .filter(|s| s.chunks.iter().any(|c| !known.contains(&c.key)))
        .map(|s| s.name.as_str())
        .collect();
    let what = if dirty.is_empty() {
        "no segment changed".to_string()
    } else {
        format!("dirty: {}", dirty.join(", "))
    };
    out(&format!("{} changed; {what}\n", file.display()));
}

/// One line per round: what rendered, where, and how long it took.
fn say_round(
    round: u64,
    took: f64,
    report: &Result<Report, RenderError>,
    output: &std::path::Path,
) {
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            err(&format!("round {round}: error: {e}\n"));
            return;
        }
    };
    let changed: Vec<String> = report
        .segments
        .iter()
        .filter(|s| s.rendered > 0)
        .map(|s| format!("{} ({})", s.name, s.rendered))
        .collect();
    let what = if changed.is_empty() {
        "nothing to render".to_string()
    } else {
        format!(
            "rendered {} chunk(s) of {}",
            report.rendered,
            changed.join(", ")
        )
    };
    let end = if report.failed > 0 {
        let why: Vec<String> = report
            .segments
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| format!("{}: {e}", s.name)))
            .collect();
        format!(
            "{} chunk(s) failed ({}); {} keeps the last good render",
            report.failed,
            why.join("; "),
            output.display()
        )
    } else if report.cancelled > 0 {
        format!(
            "{} stale chunk(s) cancelled for a newer save",
            report.cancelled
        )
    } else {
        format!("wrote {}", output.display())
    };
    out(&format!(
        "round {round}: {what}, {} cached, in {took:.2}s; {end}\n",
        report.cache_hits
    ));
}
