//! `weft render FILE [-o OUT] [--quality low|medium|high] [--jobs N] [--preview]`:
//! renders the timeline through weft-render, with progress bars on a terminal
//! (plain lines otherwise) and a report per segment (`--json` for machines).

use crate::failure::{self, Failure};
use crate::session::{self, Drawing, Inputs};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use weft_render::render::Options;
use weft_render::schedule::Event;
use weft_render::shard::Shard;
use weft_render::{
    process_env, Cache, Format, Piece, Place, Quality, RenderError, RenderSettings, Request,
    Timeline,
};

/// What a render produces and where its cache is (shared by `render`, `status`
/// and `tui`).
#[derive(clap::Args, Debug, Clone)]
pub struct Target {
    /// The program.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Quality preset: low (854x480, 15 fps), medium (1280x720, 30 fps), high
    /// (1920x1080, 60 fps). Default: the program's me<width>/me<height>/me<fps>
    /// where set, else medium.
    #[arg(long, value_parser = parse_quality)]
    pub quality: Option<Quality>,
    /// Frame size, overriding the preset.
    #[arg(long, value_parser = session::parse_size, value_name = "WxH")]
    pub size: Option<(u32, u32)>,
    /// Frames per second, overriding the preset.
    #[arg(long, value_parser = session::parse_finite)]
    pub fps: Option<f64>,
    /// Sample rate (default: the program's me<rate>, else 48000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=384_000))]
    pub rate: Option<u32>,
    /// Output format: mp4 (H.264 + AAC), png (one file per frame) or wav.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Chunk length in seconds (default 2).
    #[arg(long, value_parser = session::parse_finite, value_name = "SECONDS")]
    pub chunk: Option<f64>,
    /// Length of a file without segments, in seconds (default 10).
    #[arg(long, value_parser = session::parse_finite, value_name = "SECONDS")]
    pub duration: Option<f64>,
    /// Cache folder (default: .weft-cache beside the file), or an object
    /// store: s3://BUCKET/PREFIX (gs://, azblob:// likewise), with credentials
    /// and endpoint from the environment (AWS_ACCESS_KEY_ID, AWS_ENDPOINT_URL …).
    #[arg(long, value_parser = parse_cache, value_name = "DIR|s3://BUCKET/PREFIX")]
    pub cache: Option<Place>,
    /// Bound on the cache's size, such as 500M or 2G (default 2G).
    #[arg(long, value_parser = parse_bytes, value_name = "BYTES")]
    pub cache_size: Option<u64>,
    /// Set a parameter: `name=value` (repeatable); part of every chunk's key.
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    #[command(flatten)]
    pub inputs: Inputs,
    #[command(flatten)]
    pub drawing: Drawing,
    /// Keep warnings in [`Prepared::warnings`] instead of printing them (a
    /// full-screen UI shows them itself).
    #[arg(skip)]
    pub quiet: bool,
}

/// Arguments of `weft render`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    target: Target,
    /// Where to write (default: FILE's name with .mp4 or .wav, or a folder
    /// FILE-frames/ for png, FILE-preview/ for --preview).
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Workers (default: the number of cores).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
    jobs: Option<u32>,
    /// Only the last frame of every segment, as PNG (fast; low quality unless
    /// --quality or --size say otherwise).
    #[arg(long)]
    preview: bool,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
    /// Keep watching the program's files: every save renders the chunks that
    /// changed and joins the output again (until interrupted).
    #[arg(long, conflicts_with_all = ["preview", "json"])]
    watch: bool,
    /// Render only worker I's share of N (0-based, such as 3/8) into the cache and
    /// stop without joining; a plain `weft render` joins (see docs/scale.md).
    #[arg(long, value_name = "I/N", value_parser = parse_shard, conflicts_with_all = ["preview", "watch", "output"])]
    shard: Option<Shard>,
}

fn parse_shard(s: &str) -> Result<Shard, String> {
    Shard::parse(s)
}

fn parse_quality(s: &str) -> Result<Quality, String> {
    Quality::parse(s).ok_or_else(|| format!("`{s}`: expected low, medium or high"))
}

fn parse_cache(s: &str) -> Result<Place, String> {
    Place::parse(s)
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::parse(s).ok_or_else(|| format!("`{s}`: expected mp4, png or wav"))
}

/// Parses `2G`, `500M`, `64K` or a number of bytes.
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let m = match c.to_ascii_uppercase() {
                'K' => 1_000,
                'M' => 1_000_000,
                'G' => 1_000_000_000,
                _ => return Err(format!("`{s}`: expected bytes such as 500M or 2G")),
            };
            (&t[..i], m)
        }
        _ => (t, 1),
    };
    num.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| (v * mul as f64) as u64)
        .ok_or_else(|| format!("`{s}`: expected bytes such as 500M or 2G"))
}

/// How a library error fails the command.
pub fn failure(e: RenderError) -> Failure {
    match e {
        RenderError::Settings(m) => Failure::Usage(m),
        RenderError::UnknownSegment(_) => Failure::Usage(e.to_string()),
        RenderError::Program(_)
        | RenderError::Engine(_)
        | RenderError::Chunks { .. }
        | RenderError::Cancelled => Failure::Program(format!("error: {e}")),
        RenderError::MissingFfmpeg(_) | RenderError::Ffmpeg { .. } | RenderError::Io { .. } => {
            Failure::Io(e.to_string())
        }
    }
}

/// A piece ready to render or inspect.
pub struct Prepared {
    pub piece: Piece,
    pub timeline: Timeline,
    pub cache_place: Place,
    pub limit: u64,
    /// The files the piece was built from: no output replaces one.
    pub reads: weft_files::ReadFiles,
    /// Rendered warnings (printed already unless the target is quiet).
    pub warnings: String,
}

impl Target {
    /// What the command line asked for.
    pub fn request(&self) -> Request {
        Request {
            quality: self.quality,
            size: self.size,
            fps: self.fps,
            rate: self.rate,
            format: self.format,
            chunk: self.chunk,
            duration: self.duration,
        }
    }

    /// Where the cache is.
    pub fn cache_place(&self) -> Place {
        self.cache
            .clone()
            .unwrap_or_else(|| Place::Folder(Cache::default_dir(&self.file)))
    }

    /// The cache for reading only (nothing is created or requested yet).
    pub fn cache_at(&self) -> Result<Cache, Failure> {
        Cache::connect(
            &self.cache_place(),
            weft_render::DEFAULT_LIMIT,
            &process_env,
        )
        .map_err(failure)
    }

    /// Builds the program and cuts its timeline for `request`.
    pub fn prepare(&self, request: &Request) -> Result<Prepared, Failure> {
        let s = if self.quiet {
            session::open_quiet(&self.file, &self.inputs)?
        } else {
            session::open(&self.file, &self.inputs)?
        };
        let mut program = (*s.program).clone();
        session::set_params(&mut program, &self.params)?;
        let settings = RenderSettings::resolve(request, &program).map_err(failure)?;
        let painter = self.drawing.open()?;
        let piece = Piece::new(&self.file, &program, s.sources.clone(), &settings)
            .map_err(failure)?
            .drawn_with(painter);
        let timeline = Timeline::new(&piece, &settings);
        Ok(Prepared {
            piece,
            timeline,
            cache_place: self.cache_place(),
            limit: self.cache_size.unwrap_or(weft_render::DEFAULT_LIMIT),
            reads: s.reads,
            warnings: s.warnings,
        })
    }
}

impl Prepared {
    /// Opens (creating, or reaching a bucket) the cache.
    pub fn open_cache(&self) -> Result<Cache, RenderError> {
        Cache::open_place(&self.cache_place, self.limit, &process_env)
    }
}

/// The default output of `file` in `format`.
fn default_output(file: &Path, format: Format, preview: bool) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    let dir = file.parent().unwrap_or(Path::new(""));
    match (preview, format) {
        (true, _) => dir.join(format!("{stem}-preview")),
        (false, Format::Mp4) => dir.join(format!("{stem}.mp4")),
        (false, Format::Wav) => dir.join(format!("{stem}.wav")),
        (false, Format::Png) => dir.join(format!("{stem}-frames")),
    }
}

/// Runs `weft render`.
pub fn run(args: Args) -> Result<(), Failure> {
    let mut request = args.target.request();
    if args.preview {
        if request.quality.is_none() && request.size.is_none() {
            request.quality = Some(Quality::Low);
        }
        request.format = Some(Format::Png);
    } else if request.format.is_none() {
        request.format = args
            .output
            .as_ref()
            .and_then(|o| o.extension())
            .and_then(|e| Format::parse(&e.to_string_lossy().to_ascii_lowercase()));
    }
    let p = args.target.prepare(&request)?;
    let format = p.timeline.settings.format;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| default_output(&args.target.file, format, args.preview));
    if args.preview {
        let written = weft_render::render::preview(&p.piece, &p.timeline, &output, None, &p.reads)
            .map_err(failure)?;
        let mut text = String::new();
        for w in written {
            text.push_str(&format!("{}\n", w.display()));
        }
        failure::out(&text);
        return Ok(());
    }
    // Nothing is created (not even the cache) for a render that cannot succeed.
    weft_render::render::check_program(&p.piece, format).map_err(failure)?;
    weft_render::render::check_output(&output, format, &p.reads).map_err(failure)?;
    if args.watch {
        let jobs = args.jobs.map_or(0, |j| j as usize);
        return super::render_watch::run(&args.target, &request, p, output, jobs);
    }
    let cache = p.open_cache().map_err(failure)?;
    let options = Options {
        jobs: args.jobs.map_or(0, |j| j as usize),
        output: args.shard.is_none().then_some(output),
        only: None,
        reads: p.reads.clone(),
        live: None,
        shard: args.shard,
    };
    let jobs = if options.jobs == 0 {
        weft_render::render::cores()
    } else {
        options.jobs
    };
    let progress = Progress::new(&p.timeline, jobs);
    let report = weft_render::render::render(&p.piece, &p.timeline, &cache, &options, &|e| {
        progress.event(&p.timeline, e)
    });
    progress.finish();
    let report = report.map_err(failure)?;
    if args.json {
        failure::out(&format!("{}\n", report.to_json()));
    } else {
        failure::out(&report.table());
        if let Some(o) = &report.output {
            failure::out(&format!("wrote {o}\n"));
        }
        if let Some(s) = args.shard {
            failure::out(&format!(
                "shard {}/{}: {} of its {} chunk(s) rendered, {} were cached; join with `weft render {}` on the same cache\n",
                s.index,
                s.count,
                report.rendered,
                report.chunks,
                report.cache_hits,
                args.target.file.display()
            ));
        }
    }
    if report.failed > 0 {
        let messages: Vec<String> = report
            .segments
            .iter()
            .filter_map(|s| s.error.as_ref().map(|e| format!("segment {}: {e}", s.name)))
            .collect();
        return Err(failure(RenderError::Chunks {
            failed: report.failed,
            messages,
        }));
    }
    Ok(())
}

/// Progress bars on a terminal (the whole render and each worker, with ETA);
/// plain lines otherwise.
struct Progress {
    bars: Option<(MultiProgress, ProgressBar, Vec<ProgressBar>)>,
    done: AtomicUsize,
    total: usize,
}

impl Progress {
    fn new(timeline: &Timeline, jobs: usize) -> Progress {
        let format = timeline.settings.format;
        let work: u64 = timeline.chunks().map(|c| c.work(format)).sum();
        let total = timeline.chunks().count();
        let unit = if format.has_video() {
            "frames"
        } else {
            "blocks"
        };
        let bars = std::io::stderr().is_terminal().then(|| {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let all = multi.add(ProgressBar::new(work));
            all.set_style(
                ProgressStyle::with_template(&format!(
                    "{{prefix:>10}} [{{bar:40}}] {{pos}}/{{len}} {unit} {{per_sec}} ETA {{eta}}"
                ))
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            all.set_prefix("render");
            let workers = (0..jobs.min(total.max(1)))
                .map(|i| {
                    let b = multi.add(ProgressBar::new(1));
                    b.set_style(
                        ProgressStyle::with_template(
                            "{prefix:>10} [{bar:40}] {pos}/{len} {msg} ETA {eta}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    b.set_prefix(format!("worker {}", i + 1));
                    b
                })
                .collect();
            (multi, all, workers)
        });
        Progress {
            bars,
            done: AtomicUsize::new(0),
            total,
        }
    }

    fn event(&self, timeline: &Timeline, e: &Event) {
        match (&self.bars, e) {
            (
                Some((_, _, workers)),
                Event::Started {
                    worker,
                    chunk,
                    work,
                },
            ) => {
                if let Some(b) = workers.get(*worker) {
                    b.reset();
                    b.set_length(*work);
                    b.set_message(format!(
                        "{}#{}",
                        timeline.segments[chunk.segment].name, chunk.index
                    ));
                }
            }
            (Some((_, all, workers)), Event::Progress { worker, units }) => {
                all.inc(*units);
                if let Some(b) = workers.get(*worker) {
                    b.inc(*units);
                }
            }
            (Some((multi, _, _)), Event::Finished { outcome, .. }) => {
                if let Some(err) = &outcome.error {
                    let _ = multi.println(format!(
                        "error: {}#{}: {err}",
                        timeline.segments[outcome.chunk.segment].name, outcome.chunk.index
                    ));
                }
            }
            (None, Event::Finished { outcome, .. }) => {
                let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
                let name = &timeline.segments[outcome.chunk.segment].name;
                let what = match (&outcome.error, outcome.hit) {
                    (Some(e), _) => format!("failed: {e}"),
                    (None, true) => "cached".to_string(),
                    (None, false) => format!("rendered in {:.2}s", outcome.seconds),
                };
                failure::err(&format!(
                    "[{n}/{}] {name}#{} {what}\n",
                    self.total, outcome.chunk.index
                ));
            }
            (None, _) => {}
        }
    }

    fn finish(&self) {
        if let Some((multi, all, workers)) = &self.bars {
            for w in workers {
                w.finish_and_clear();
            }
            all.finish_and_clear();
            let _ = multi.clear();
        }
    }
}
