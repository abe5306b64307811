//! A whole render: check that the program and the output can be rendered, run the
//! chunks that are not cached over the workers, record the keys, then assemble the
//! output from the cache — MP4 chunks joined without re-encoding with the audio
//! track (encoded once, cached) muxed in, a PNG sequence, or a WAV — written
//! atomically, never over the piece's own files; and the last-frame preview of
//! every segment.

use crate::atomic::{self, ReadFiles};
use crate::cache::{now_secs, Cache, Entry, EntryMeta, Lookup};
use crate::chunk::ChunkRenderer;
use crate::encode::Ffmpeg;
use crate::error::RenderError;
use crate::key::ChunkKey;
use crate::report::Report;
use crate::schedule::{self, Event};
use crate::settings::Format;
use crate::timeline::{Chunk, Piece, Timeline};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// How to run a render.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Workers (0: the number of cores).
    pub jobs: usize,
    /// Where to write the result; `None` renders into the cache only.
    pub output: Option<PathBuf>,
    /// Only these segments (indices); `None` for all. The output is written only
    /// when every segment is asked for.
    pub only: Option<Vec<usize>>,
    /// The files the piece was built from (its program, the files it uses, its
    /// data files): the output never replaces one of them.
    pub reads: ReadFiles,
    /// The keys still wanted (`--watch`): a chunk that leaves them is cancelled,
    /// and a render with a cancelled chunk writes no output.
    pub live: Option<std::sync::Arc<schedule::LiveKeys>>,
    /// Only this worker's share (`--shard I/N`): no output, no record, no
    /// eviction (other workers share the cache).
    pub shard: Option<crate::shard::Shard>,
}

/// The number of cores.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Refuses a program that has nothing to render in `format`.
pub fn check_program(piece: &Piece, format: Format) -> Result<(), RenderError> {
    let file = piece.path.display();
    match format {
        Format::Mp4 | Format::Png if !piece.has_display() => Err(RenderError::Program(format!(
            "{file} has no `display` output to render as {}",
            format.name()
        ))),
        Format::Wav if piece.channels() == 0 => Err(RenderError::Program(format!(
            "{file} has no `play` output to render as wav"
        ))),
        _ => Ok(()),
    }
}

/// Checks, before any work, that `output` can be written: its folder exists and
/// takes a file (for PNG, the folder itself is created), and it is neither one of
/// `reads` nor a folder or a special file. Removes the temporary files a killed
/// render left beside it.
pub fn check_output(output: &Path, format: Format, reads: &ReadFiles) -> Result<(), RenderError> {
    let dir = if format == Format::Png {
        std::fs::create_dir_all(output).map_err(|e| RenderError::io(output, e))?;
        output.to_path_buf()
    } else {
        atomic::check(output, reads)?;
        atomic::parent(output).to_path_buf()
    };
    atomic::sweep(&dir);
    let probe = atomic::temp_path(&dir, "probe", "");
    std::fs::write(&probe, b"").map_err(|e| RenderError::io(&dir, e))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Renders what `options` asks for; the report says which chunks failed (then no
/// output is written, and every other chunk is cached).
pub fn render(
    piece: &Piece,
    timeline: &Timeline,
    cache: &Cache,
    options: &Options,
    observer: &(dyn Fn(&Event) + Sync),
) -> Result<Report, RenderError> {
    let started = Instant::now();
    let format = timeline.settings.format;
    check_program(piece, format)?;
    let ffmpeg = if format == Format::Mp4 {
        Some(Ffmpeg::find()?)
    } else {
        None
    };
    if let Some(out) = &options.output {
        check_output(out, format, &options.reads)?;
    }
    let mine = options
        .shard
        .map(|s| crate::shard::keys_of(timeline, cache.record(&piece.path).as_ref(), s));
    let chunks: Vec<&Chunk> = timeline
        .chunks()
        .filter(|c| options.only.as_ref().is_none_or(|o| o.contains(&c.segment)))
        .filter(|c| mine.as_ref().is_none_or(|m| m.contains(&c.key)))
        .collect();
    let jobs = if options.jobs == 0 {
        cores()
    } else {
        options.jobs
    };
    let workers = schedule::Workers {
        cache,
        ffmpeg: ffmpeg.as_ref(),
        jobs,
        live: options.live.as_deref(),
    };
    let outcomes = schedule::run(piece, timeline, &chunks, &workers, observer);
    if options.shard.is_none() {
        cache.save_record(&piece.path, &crate::status::record(&piece.path, timeline))?;
    }
    let mut report = Report::new(
        &piece.path.to_string_lossy(),
        timeline,
        &outcomes,
        jobs,
        0.0,
    );
    if report.failed == 0
        && report.cancelled == 0
        && options.only.is_none()
        && options.shard.is_none()
    {
        if let Some(out) = &options.output {
            let t = Instant::now();
            assemble(piece, timeline, cache, ffmpeg.as_ref(), out, &options.reads)?;
            report.assemble_seconds = t.elapsed().as_secs_f64();
            report.output = Some(out.to_string_lossy().into_owned());
        }
    }
    if options.shard.is_none() {
        cache.evict();
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

fn entry(cache: &Cache, chunk: &Chunk) -> Result<Entry, RenderError> {
    match cache.get(&chunk.key) {
        Lookup::Hit(e) => Ok(e),
        Lookup::Miss | Lookup::Corrupt(_) => Err(RenderError::Io {
            path: cache.dir().to_path_buf(),
            source: std::io::Error::other(format!(
                "chunk {} of segment {} left the cache while the output was assembled; render again",
                chunk.index, chunk.segment
            )),
        }),
    }
}

/// Writes the output from the cached entries of every chunk (never over one of
/// `reads`).
pub fn assemble(
    piece: &Piece,
    timeline: &Timeline,
    cache: &Cache,
    ffmpeg: Option<&Ffmpeg>,
    out: &Path,
    reads: &ReadFiles,
) -> Result<(), RenderError> {
    let channels = piece.channels();
    match timeline.settings.format {
        Format::Png => {
            for chunk in timeline.chunks() {
                for (name, png) in entry(cache, chunk)?.blobs {
                    if name.ends_with(".png") && !name.contains(['/', '\\']) {
                        atomic::write_bytes(&out.join(name), reads, &png)?;
                    }
                }
            }
            // Frames a longer earlier render left in the folder are not this one's.
            if let Ok(dir) = std::fs::read_dir(out) {
                for e in dir.flatten() {
                    let name = e.file_name().to_string_lossy().into_owned();
                    let index = name
                        .strip_prefix("frame-")
                        .and_then(|r| r.strip_suffix(".png"))
                        .and_then(|n| n.parse::<u64>().ok());
                    if index.is_some_and(|n| n >= timeline.frames) && !reads.contains(&e.path()) {
                        let _ = std::fs::remove_file(e.path());
                    }
                }
            }
            Ok(())
        }
        Format::Wav => {
            atomic::write_with(out, reads, |tmp| write_wav(cache, timeline, channels, tmp))
        }
        Format::Mp4 => {
            let ffmpeg = ffmpeg.ok_or_else(|| RenderError::MissingFfmpeg("ffmpeg".into()))?;
            let work = atomic::temp_path(&cache.tmp_dir(), "join", "");
            std::fs::create_dir_all(&work).map_err(|e| RenderError::io(&work, e))?;
            let result = (|| {
                let mut parts = Vec::new();
                let mut sound = AudioTrack::new(timeline);
                for (i, chunk) in timeline.chunks().enumerate() {
                    let e = entry(cache, chunk)?;
                    sound.add(&e);
                    if chunk.frames.is_empty() {
                        continue;
                    }
                    let video = e.blob("video.mp4").ok_or_else(|| {
                        RenderError::Engine("a cached MP4 chunk has no video".into())
                    })?;
                    let p = work.join(format!("part-{i:05}.mp4"));
                    std::fs::write(&p, video).map_err(|e| RenderError::io(&p, e))?;
                    parts.push(p);
                }
                let audio = if channels > 0 {
                    Some(sound.encoded(piece, timeline, cache, ffmpeg, &work)?)
                } else {
                    None
                };
                atomic::write_with(out, reads, |tmp| {
                    ffmpeg.join(&parts, audio.as_deref(), &work, tmp)
                })
            })();
            let _ = std::fs::remove_dir_all(&work);
            result
        }
    }
}

/// The AAC track of an MP4, cached like a chunk under the hash of exactly what it
/// encodes (the samples of every chunk, the rate, the encoder's arguments), so a
/// render whose sound did not change does not encode it again.
struct AudioTrack {
    hasher: blake3::Hasher,
}

impl AudioTrack {
    fn new(timeline: &Timeline) -> AudioTrack {
        let mut hasher = blake3::Hasher::new();
        hasher.update(b"weft-aac-v1\0");
        hasher.update(env!("CARGO_PKG_VERSION").as_bytes());
        hasher.update(&[0]);
        hasher.update(crate::encode::AUDIO_ARGS.join(" ").as_bytes());
        hasher.update(&timeline.settings.rate.to_le_bytes());
        AudioTrack { hasher }
    }

    /// Adds the samples of the next chunk.
    fn add(&mut self, entry: &Entry) {
        let samples = entry.blob("audio.f32").unwrap_or(&[]);
        self.hasher.update(&(samples.len() as u64).to_le_bytes());
        self.hasher.update(samples);
    }

    /// The encoded track as a file in `work`: from the cache, or encoded now
    /// and stored.
    fn encoded(
        &self,
        piece: &Piece,
        timeline: &Timeline,
        cache: &Cache,
        ffmpeg: &Ffmpeg,
        work: &Path,
    ) -> Result<PathBuf, RenderError> {
        let key = ChunkKey(*self.hasher.finalize().as_bytes());
        let m4a = work.join("audio.m4a");
        if let Lookup::Hit(e) = cache.get(&key) {
            if let Some(bytes) = e.blob("audio.m4a") {
                std::fs::write(&m4a, bytes).map_err(|e| RenderError::io(&m4a, e))?;
                return Ok(m4a);
            }
        }
        let wav = work.join("audio.wav");
        // Always stereo: AAC refuses the front-left-only layout of a mono float
        // WAV; a mono piece plays the same on both sides.
        write_wav(cache, timeline, 2, &wav)?;
        ffmpeg.encode_audio(&wav, &m4a)?;
        let bytes = std::fs::read(&m4a).map_err(|e| RenderError::io(&m4a, e))?;
        let entry = Entry {
            meta: EntryMeta {
                segment: AUDIO_TRACK.to_string(),
                chunk: 0,
                file: piece.path.to_string_lossy().into_owned(),
                format: "aac".into(),
                frames: 0,
                samples: timeline.samples,
                created: now_secs(),
            },
            blobs: vec![("audio.m4a".into(), bytes)],
        };
        cache.put(&key, &entry)?;
        Ok(m4a)
    }
}

/// The segment name the cached audio tracks are listed under.
pub const AUDIO_TRACK: &str = "(audio track)";

/// Writes the audio of every chunk as one float WAV (mono or stereo as played).
fn write_wav(
    cache: &Cache,
    timeline: &Timeline,
    channels: u16,
    path: &Path,
) -> Result<(), RenderError> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: timeline.settings.rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let fail = |e: hound::Error| RenderError::io(path, std::io::Error::other(e.to_string()));
    let mut w = hound::WavWriter::create(path, spec).map_err(fail)?;
    for chunk in timeline.chunks() {
        let e = entry(cache, chunk)?;
        let bytes = e.blob("audio.f32").unwrap_or(&[]);
        for pair in bytes.chunks_exact(8) {
            let l = f32::from_le_bytes([pair[0], pair[1], pair[2], pair[3]]);
            let r = f32::from_le_bytes([pair[4], pair[5], pair[6], pair[7]]);
            w.write_sample(l).map_err(fail)?;
            if channels == 2 {
                w.write_sample(r).map_err(fail)?;
            }
        }
    }
    w.finalize().map_err(fail)
}

/// The last frame of segment `i` as RGBA at the timeline's size, or `None` for a
/// segment too short to hold a frame.
pub fn last_frame(
    piece: &Piece,
    timeline: &Timeline,
    i: usize,
) -> Result<Option<Vec<u8>>, RenderError> {
    check_program(piece, Format::Png)?;
    let Some(n) = timeline.last_frame(i) else {
        return Ok(None);
    };
    ChunkRenderer::new(piece, timeline, None, std::env::temp_dir())
        .frame(n)
        .map(Some)
}

/// Renders the last frame of every segment (or of `only` those) to
/// `<dir>/<NN>-<segment>.png`; the files written.
pub fn preview(
    piece: &Piece,
    timeline: &Timeline,
    dir: &Path,
    only: Option<&[usize]>,
    reads: &ReadFiles,
) -> Result<Vec<PathBuf>, RenderError> {
    check_program(piece, Format::Png)?;
    check_output(dir, Format::Png, reads)?;
    let tmp = std::env::temp_dir();
    let mut renderer = ChunkRenderer::new(piece, timeline, None, tmp);
    let mut written = Vec::new();
    for (i, seg) in timeline.segments.iter().enumerate() {
        if only.is_some_and(|o| !o.contains(&i)) {
            continue;
        }
        let Some(n) = timeline.last_frame(i) else {
            continue;
        };
        let rgba = renderer.frame(n)?;
        let s = &timeline.settings;
        let name: String = seg
            .name
            .chars()
            .map(|c| {
                if c.is_alphanumeric() || c == '_' || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(format!("{:02}-{name}.png", i + 1));
        atomic::write_with(&path, reads, |tmp| {
            image::save_buffer_with_format(
                tmp,
                &rgba,
                s.width,
                s.height,
                image::ExtendedColorType::Rgba8,
                image::ImageFormat::Png,
            )
            .map_err(|e| RenderError::io(&path, std::io::Error::other(e.to_string())))
        })?;
        written.push(path);
    }
    Ok(written)
}
