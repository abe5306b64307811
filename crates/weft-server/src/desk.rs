//! The render desk: a watched file's renders, run off the hub on weft-render —
//! the same crate, cache (`.weft-cache/` beside the file), chunk keys and
//! segment states as `weft render` and `weft status` — and the `timeline`
//! message that shows them (`docs/protocol.md`).
//!
//! Everything here runs on the desk's own threads; the hub only starts a job,
//! hears `timeline` texts back, and keeps the running job's [`LiveKeys`] to
//! cancel it. The joined video and the thumbnails live under the cache's
//! `renders/` folder, where [`served_file`] finds them for `GET /render/…`.

use crate::protocol::{RenderingView, SegmentView, ServerMessage, TimelineView};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;
use weft_live::program::LoadedProgram;
use weft_render::render::Options;
use weft_render::schedule::{Event, LiveKeys};
use weft_render::{status, Cache, Format, Piece, RenderSettings, Request, Timeline};

/// How often a running render sends its progress.
const PROGRESS_EVERY_MS: u64 = 200;

/// A file ready to render: its piece, timeline, cache and output places.
pub struct Prepared {
    /// The file as the page names it (relative to the served folder).
    pub file: String,
    piece: Piece,
    timeline: Timeline,
    cache: Cache,
    /// The joined output.
    output: PathBuf,
    /// The thumbnails' folder.
    previews: PathBuf,
}

/// What a render job does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// Every chunk not cached, then the joined output and every thumbnail.
    All,
    /// One segment's chunks (by index).
    Segment(usize),
    /// One segment's last frame, as its thumbnail.
    Preview(usize),
}

/// The `renders/` folder of the cache of `abs` (a `.weft` file).
fn renders_dir(abs: &Path) -> PathBuf {
    Cache::default_dir(abs).join("renders")
}

fn stem(abs: &Path) -> String {
    abs.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "piece".into())
}

/// Builds the render side of a loaded program (`weft render`'s defaults: the
/// program's size and rate, else medium; 10 s for a file without segments).
pub fn prepare(file: &str, loaded: &LoadedProgram) -> Result<Prepared, String> {
    let program = &loaded.program;
    let has_display = program
        .sinks
        .iter()
        .any(|s| s.kind == weft_lang::ast::OutputKind::Display);
    let has_play = program
        .sinks
        .iter()
        .any(|s| s.kind == weft_lang::ast::OutputKind::Play);
    let format = match (has_display, has_play) {
        (true, _) => Format::Mp4,
        (false, true) => Format::Wav,
        (false, false) => {
            return Err(format!(
                "{file} has no `display` or `play` output to render"
            ))
        }
    };
    let request = Request {
        format: Some(format),
        ..Request::default()
    };
    let settings = RenderSettings::resolve(&request, program).map_err(|e| e.to_string())?;
    let piece = Piece::new(&loaded.path, program, loaded.sources.clone(), &settings)
        .map_err(|e| e.to_string())?;
    let timeline = Timeline::new(&piece, &settings);
    // Not created until something renders: watching a file leaves no folder.
    let cache = Cache::at(
        &Cache::default_dir(&loaded.path),
        weft_render::DEFAULT_LIMIT,
    );
    let renders = renders_dir(&loaded.path);
    let name = stem(&loaded.path);
    Ok(Prepared {
        file: file.to_string(),
        output: renders.join(format!("{name}.{}", format.name())),
        previews: renders.join(format!("{name}-preview")),
        piece,
        timeline,
        cache,
    })
}

/// The `timeline` message of a file that cannot be rendered.
pub fn unavailable(file: &str, why: &str) -> Arc<str> {
    ServerMessage::Timeline(&TimelineView {
        file: file.to_string(),
        unavailable: Some(why.to_string()),
        ..TimelineView::default()
    })
    .text()
}

/// Where a running job is, shared by its workers without locks.
struct Progress {
    what: String,
    /// Units done per segment.
    done: Vec<AtomicU64>,
    /// The segment each worker works on.
    worker_segment: Vec<AtomicUsize>,
    chunks_done: AtomicUsize,
    total: usize,
    started: Instant,
    last_sent_ms: AtomicU64,
}

impl Progress {
    fn new(what: &str, p: &Prepared, total: usize) -> Progress {
        Progress {
            what: what.to_string(),
            done: p
                .timeline
                .segments
                .iter()
                .map(|_| AtomicU64::new(0))
                .collect(),
            worker_segment: (0..256).map(|_| AtomicUsize::new(usize::MAX)).collect(),
            chunks_done: AtomicUsize::new(0),
            total,
            started: Instant::now(),
            last_sent_ms: AtomicU64::new(0),
        }
    }

    /// Counts `e`; true when it is time to send the progress.
    fn hear(&self, e: &Event) -> bool {
        match e {
            Event::Started { worker, chunk, .. } => {
                if let Some(w) = self.worker_segment.get(*worker) {
                    w.store(chunk.segment, Ordering::Relaxed);
                }
            }
            Event::Progress { worker, units } => {
                let seg = self
                    .worker_segment
                    .get(*worker)
                    .map_or(usize::MAX, |w| w.load(Ordering::Relaxed));
                if let Some(d) = self.done.get(seg) {
                    d.fetch_add(*units, Ordering::Relaxed);
                }
            }
            Event::Finished { outcome, .. } => {
                if !outcome.cancelled {
                    self.chunks_done.fetch_add(1, Ordering::Relaxed);
                }
                return true;
            }
        }
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.last_sent_ms.load(Ordering::Relaxed);
        now >= last + PROGRESS_EVERY_MS
            && self
                .last_sent_ms
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
    }
}

/// A version tag for a served file: changes when its length or time does.
fn version(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let h = blake3::hash(format!("{}:{modified}", meta.len()).as_bytes());
    Some(h.to_hex()[..8].to_string())
}

/// `file` in a URL path: every byte but unreserved ones and `/` escaped.
fn url_path(file: &str) -> String {
    let mut out = String::with_capacity(file.len());
    for b in file.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The thumbnail file of segment `i` (as `weft render --preview` names it).
fn preview_name(i: usize, name: &str) -> String {
    format!("{:02}-{name}.png", i + 1)
}

/// The `timeline` message of `p` now (with `job`'s progress while one runs, and
/// why the last job failed, when it did).
fn view(p: &Prepared, job: Option<&Progress>, failed: Option<String>) -> Arc<str> {
    let record = p.cache.record(&p.piece.path);
    let states = status::segments(&p.cache, record.as_ref(), &p.timeline);
    let format = p.timeline.settings.format;
    let segments = p
        .timeline
        .segments
        .iter()
        .zip(states)
        .enumerate()
        .map(|(i, (seg, st))| {
            let work: u64 = seg.chunks.iter().map(|c| c.work(format)).sum();
            let done = job.map_or(0, |j| j.done[i].load(Ordering::Relaxed));
            let rendering = job.is_some() && done > 0 && st.cached < st.chunks;
            let thumb = p.previews.join(preview_name(i, &seg.name));
            SegmentView {
                name: seg.name.clone(),
                start: seg.start,
                duration: seg.duration,
                chunks: st.chunks,
                cached: st.cached,
                state: if rendering {
                    "rendering"
                } else {
                    st.state.name()
                },
                error: match &st.state {
                    status::State::Error(e) => Some(e.clone()),
                    _ => None,
                },
                progress: rendering.then(|| (done as f64 / work.max(1) as f64).min(1.0)),
                preview: version(&thumb).map(|v| {
                    format!(
                        "/render/{}/preview/{}?v={v}",
                        url_path(&p.file),
                        url_path(&preview_name(i, &seg.name))
                    )
                }),
            }
        })
        .collect();
    let s = &p.timeline.settings;
    let settings = if format == Format::Wav {
        format!("{} Hz (wav)", s.rate)
    } else {
        format!(
            "{}x{} at {} fps ({})",
            s.width,
            s.height,
            s.fps,
            s.quality.name()
        )
    };
    let video_name = p
        .output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let video = version(&p.output).zip(video_name).map(|(v, _)| {
        format!(
            "/render/{}/video.{}?v={v}",
            url_path(&p.file),
            format.name()
        )
    });
    ServerMessage::Timeline(&TimelineView {
        file: p.file.clone(),
        unavailable: None,
        settings: Some(settings),
        segments,
        rendering: job.map(|j| RenderingView {
            what: j.what.clone(),
            done: j.chunks_done.load(Ordering::Relaxed),
            total: j.total,
        }),
        video,
        failed,
    })
    .text()
}

/// The `timeline` message of `p` with no job running.
pub fn now(p: &Prepared) -> Arc<str> {
    view(p, None, None)
}

/// `status`: each segment's state, one line each.
pub fn status_text(p: &Prepared) -> String {
    let record = p.cache.record(&p.piece.path);
    let mut out = String::new();
    for st in status::segments(&p.cache, record.as_ref(), &p.timeline) {
        let error = match &st.state {
            status::State::Error(e) => format!(": {e}"),
            _ => String::new(),
        };
        out.push_str(&format!(
            "{} {} {} ({}/{} chunks cached){error}\n",
            st.state.mark(),
            st.name,
            st.state.name(),
            st.cached,
            st.chunks
        ));
    }
    out.trim_end().to_string()
}

/// The segment called `name`, or the names there are.
pub fn segment(p: &Prepared, name: &str) -> Result<usize, String> {
    p.timeline.segment(name).ok_or_else(|| {
        let names: Vec<&str> = p
            .timeline
            .segments
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        format!("no segment `{name}`; the timeline has {}", names.join(", "))
    })
}

/// How many chunks `job` renders.
pub fn chunk_count(p: &Prepared, job: &Job) -> usize {
    match job {
        Job::All => p.timeline.chunks().count(),
        Job::Segment(i) => p.timeline.segments[*i].chunks.len(),
        Job::Preview(_) => 0,
    }
}

/// Runs `job` on the calling thread, telling `send` its progress as `timeline`
/// texts; returns the last one, for after it ended. `live` cancels it.
pub fn run(
    p: Prepared,
    job: Job,
    what: &str,
    live: Arc<LiveKeys>,
    send: &(dyn Fn(Arc<str>) + Sync),
) -> Arc<str> {
    let mut p = p;
    match Cache::open(&p.cache.dir(), p.cache.limit()) {
        Ok(c) => p.cache = c,
        Err(e) => return view(&p, None, Some(format!("cannot open the render cache: {e}"))),
    }
    let segment_only = |i: usize| {
        let mut reads = weft_files::ReadFiles::default();
        reads.push(p.output.clone());
        (vec![i], reads)
    };
    match job {
        Job::Preview(i) => {
            let (only, reads) = segment_only(i);
            if let Err(e) = weft_render::render::preview(
                &p.piece,
                &p.timeline,
                &p.previews,
                Some(&only),
                &reads,
            ) {
                return view(&p, None, Some(format!("the preview failed: {e}")));
            }
        }
        Job::All | Job::Segment(_) => {
            live.set(p.timeline.chunks().map(|c| c.key));
            let progress = Progress::new(what, &p, chunk_count(&p, &job));
            send(view(&p, Some(&progress), None));
            let options = Options {
                jobs: 0,
                output: (job == Job::All).then(|| p.output.clone()),
                only: match job {
                    Job::Segment(i) => Some(vec![i]),
                    _ => None,
                },
                reads: Default::default(),
                live: Some(live),
                shard: None,
            };
            if let Some(dir) = p.output.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let result =
                weft_render::render::render(&p.piece, &p.timeline, &p.cache, &options, &|e| {
                    if progress.hear(e) {
                        send(view(&p, Some(&progress), None));
                    }
                });
            let finished = matches!(&result, Ok(r) if r.failed == 0 && r.cancelled == 0);
            if job == Job::All && finished {
                let _ = weft_render::render::preview(
                    &p.piece,
                    &p.timeline,
                    &p.previews,
                    None,
                    &Default::default(),
                );
            }
            if let Err(e) = result {
                return view(&p, None, Some(format!("the render failed: {e}")));
            }
        }
    }
    view(&p, None, None)
}

/// The file `GET /render/{rest}` asks for, where `rest` is `FILE/video.mp4` (or
/// `.wav`) or `FILE/preview/NN-SEGMENT.png`, and `abs` resolves `FILE` inside the
/// served folder; `None` for anything else.
pub fn served_file(rest: &str, abs: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    let (file, tail) = rest.rsplit_once("/video.").map_or_else(
        || {
            let (file, name) = rest.rsplit_once("/preview/")?;
            Some((file, format!("preview/{name}")))
        },
        |(file, ext)| Some((file, format!("video.{ext}"))),
    )?;
    let abs = abs(file)?;
    let renders = renders_dir(&abs);
    let name = stem(&abs);
    if let Some(ext) = tail.strip_prefix("video.") {
        return matches!(ext, "mp4" | "wav").then(|| renders.join(format!("{name}.{ext}")));
    }
    let png = tail.strip_prefix("preview/")?;
    let plain = !png.is_empty()
        && png.ends_with(".png")
        && !png.contains(['/', '\\'])
        && !png.starts_with('.');
    plain.then(|| renders.join(format!("{name}-preview")).join(png))
}
