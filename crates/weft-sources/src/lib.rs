//! The sampled sources of a program (`load`, `sample`, `mic`, `camera`): loaded and
//! decoded once by [`SourceSet::load`], then sampled on the hot path by
//! [`SourceData::sample`].
//!
//! Sampling rules (the contract in `docs/language.md`):
//! - `load("pic.png")` gives r, g, b, a in 0..1 (byte / 255) of the nearest pixel:
//!   column `floor(x * W)`, row `floor(y * H)` from the top, clamped to the edges; a NaN
//!   coordinate picks the first column / row; images without alpha have a = 1;
//! - `sample("f.wav")` gives l, r of the nearest sample `round(time * rate)` at the
//!   file's own rate, 0 outside the clip; a mono file gives l = r; integer samples are
//!   scaled to [-1, 1];
//! - `mic()` gives the `--mic` WAV mixed to mono (the mean of its channels), indexed
//!   the same way; silence (and warning W0601) without `--mic`; in `weft dev`, the
//!   page's live microphone ([`LiveAudio`]), indexed the same way by the
//!   transport time each sample is heard at;
//! - `camera()` gives r, g, b of the `--camera` image, or of frame
//!   `floor(time * fps)` (clamped to the first and last frames) of the `--camera`
//!   video, decoded by the system `ffmpeg`; black (and warning W0602) without
//!   `--camera`.
//!
//! Invariants: sampling never allocates, locks or panics, for any `f64` input; a
//! failed source is still present (as silence or black) next to its E0601 error, so
//! every `SourceId` of the program indexes the set.

mod live;
mod picture;
mod video;
mod wav;

pub use live::{
    held as live_held, LiveAudio, Placed, MAX_CHUNK as MAX_LIVE_CHUNK, RATES as LIVE_RATES,
};
pub use picture::Image;
pub use video::{Video, MAX_BYTES as MAX_VIDEO_BYTES, MAX_FRAMES as MAX_VIDEO_FRAMES};
pub use wav::Audio;

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wav::Layout;
use weft_diagnostics::{Code, Diagnostic, Span};
use weft_lang::builtins::SourceKind;
use weft_lang::ir::{Program, SourceId};

/// Where `mic()` and `camera()` read from.
#[derive(Clone, Debug, Default)]
pub struct SourceOptions {
    /// A WAV file (`--mic FILE.wav`).
    pub mic: Option<PathBuf>,
    /// An image or a video (`--camera FILE`).
    pub camera: Option<PathBuf>,
    /// A live input for `mic()` (the page's microphone in `weft dev`); it wins
    /// over `mic`.
    pub live_mic: Option<LiveAudio>,
}

/// The decoded data of one source.
#[derive(Clone, Debug)]
pub enum SourceData {
    /// A still image (`load`, or an image camera).
    Image(Image),
    /// An audio clip (`sample`, `mic`).
    Audio(Audio),
    /// A video camera.
    Video(Video),
    /// A live microphone.
    Live(LiveAudio),
    /// An audio source with no data: every output is 0.
    Silence,
    /// A picture source with no data: every output is 0.
    Black,
}

impl SourceData {
    /// Output `out` of this source at the point (x, y, time); 0 for an output the
    /// source does not have. Never allocates, locks or panics, whatever the input.
    #[inline]
    pub fn sample(&self, out: u32, x: f64, y: f64, time: f64) -> f64 {
        match self {
            SourceData::Image(i) => i.sample(out, x, y),
            SourceData::Audio(a) => a.sample(out, time),
            SourceData::Video(v) => v.sample(out, x, y, time),
            SourceData::Live(l) => l.sample(out, time),
            SourceData::Silence | SourceData::Black => 0.0,
        }
    }

    /// The native grid of a picture source: (width, height) in pixels.
    pub fn size(&self) -> Option<(usize, usize)> {
        match self {
            SourceData::Image(i) => Some((i.width(), i.height())),
            SourceData::Video(v) => Some((v.width(), v.height())),
            _ => None,
        }
    }

    /// The native rate of a source sampled over time: samples (audio) or frames
    /// (video) per second.
    pub fn rate(&self) -> Option<f64> {
        match self {
            SourceData::Audio(a) => Some(a.rate()),
            SourceData::Video(v) => Some(v.fps()),
            SourceData::Live(l) => l.rate(),
            _ => None,
        }
    }

    /// True for the silence / black fallbacks.
    pub fn is_fallback(&self) -> bool {
        matches!(self, SourceData::Silence | SourceData::Black)
    }

    /// The blake3 digest of the decoded content (kind, shape and samples): equal
    /// digests, equal samples (the GPU uploads a source once per digest).
    pub fn digest(&self) -> [u8; 32] {
        let mut h = blake3::Hasher::new();
        h.update(b"weft-source-v1\0");
        let num = |h: &mut blake3::Hasher, v: u64| {
            h.update(&v.to_le_bytes());
        };
        match self {
            SourceData::Image(i) => {
                h.update(b"image\0");
                num(&mut h, i.width() as u64);
                num(&mut h, i.height() as u64);
                h.update(i.rgba());
            }
            SourceData::Audio(a) => {
                h.update(b"audio\0");
                num(&mut h, a.channels() as u64);
                num(&mut h, a.rate().to_bits());
                num(&mut h, a.frames() as u64);
                let mut buf = Vec::with_capacity(16 * 1024);
                for chunk in a.data().chunks(4096) {
                    buf.clear();
                    buf.extend(chunk.iter().flat_map(|s| s.to_le_bytes()));
                    h.update(&buf);
                }
            }
            SourceData::Video(v) => {
                h.update(b"video\0");
                num(&mut h, v.width() as u64);
                num(&mut h, v.height() as u64);
                num(&mut h, v.fps().to_bits());
                num(&mut h, v.frames() as u64);
                h.update(v.rgb());
            }
            // Its samples change as it hears them: it is keyed by what it is.
            SourceData::Live(_) => {
                h.update(b"live-mic\0");
            }
            SourceData::Silence => {
                h.update(b"silence\0");
            }
            SourceData::Black => {
                h.update(b"black\0");
            }
        }
        *h.finalize().as_bytes()
    }
}

/// Returned by [`SourceSet::get`] for an id the set does not hold.
static NOTHING: SourceData = SourceData::Silence;

#[derive(Clone, Debug)]
struct Entry {
    data: Arc<SourceData>,
    hash: [u8; 32],
}

impl Entry {
    fn new(data: SourceData) -> Entry {
        let hash = data.digest();
        Entry {
            data: Arc::new(data),
            hash,
        }
    }
}

/// The decoded data of every source of a program, indexed by [`SourceId`]. Sources
/// that read the same file share one decoded copy.
#[derive(Clone, Debug, Default)]
pub struct SourceSet {
    entries: Vec<Entry>,
}

impl SourceSet {
    /// Loads every `program.sources[i]`. An unreadable or undecodable `load` /
    /// `sample` file, `--mic` or `--camera` file is a [`Code::SourceLoad`] error at the
    /// source's call, naming the file and the reason; a missing `--mic` is warning
    /// [`Code::MicFallback`], a missing `--camera` warning [`Code::CameraFallback`].
    /// Failed and missing sources sample as silence / black.
    pub fn load(program: &Program, options: &SourceOptions) -> (SourceSet, Vec<Diagnostic>) {
        SourceSet::load_reusing(program, options, None, &|_| false)
    }

    /// [`SourceSet::load`], taking the decoded data of a `load` or `sample` file
    /// from `previous` (an earlier program and its set) when `unchanged` says the
    /// file is as it was then: an edit of the program decodes no picture again.
    pub fn load_reusing(
        program: &Program,
        options: &SourceOptions,
        previous: Option<(&Program, &SourceSet)>,
        unchanged: &dyn Fn(&Path) -> bool,
    ) -> (SourceSet, Vec<Diagnostic>) {
        let mut files = HashMap::new();
        if let Some((before, set)) = previous {
            for (s, entry) in before.sources.iter().zip(&set.entries) {
                let reusable = matches!(s.kind, SourceKind::Load | SourceKind::Sample)
                    && !entry.data.is_fallback();
                if let Some(path) = s.path.as_deref().filter(|p| reusable && unchanged(p)) {
                    files.insert((s.kind, path.to_path_buf()), Ok(entry.clone()));
                }
            }
        }
        let mut loader = Loader {
            options,
            files,
            mic: None,
            camera: None,
            diagnostics: Vec::new(),
        };
        let entries = program
            .sources
            .iter()
            .map(|s| loader.source(s.kind, s.path.as_deref(), s.span))
            .collect();
        (SourceSet { entries }, loader.diagnostics)
    }

    /// A set holding `data`, source `i` being `data[i]` (for tests and tools that
    /// make sources without files).
    pub fn from_data(data: Vec<SourceData>) -> SourceSet {
        SourceSet {
            entries: data.into_iter().map(Entry::new).collect(),
        }
    }

    /// The data of source `id` (silence for an id the set does not hold).
    pub fn get(&self, id: SourceId) -> &SourceData {
        self.entries
            .get(id.0 as usize)
            .map_or(&NOTHING, |e| &*e.data)
    }

    /// The data of source `id`, shared (silence for an id the set does not hold).
    pub fn get_arc(&self, id: SourceId) -> Arc<SourceData> {
        self.entries
            .get(id.0 as usize)
            .map_or_else(|| Arc::new(SourceData::Silence), |e| Arc::clone(&e.data))
    }

    /// Number of sources.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when the program samples no source.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The blake3 digest of source `id`'s decoded content (for render caches): equal
    /// digests mean equal samples.
    pub fn content_hash(&self, id: SourceId) -> [u8; 32] {
        self.entries
            .get(id.0 as usize)
            .map_or_else(|| NOTHING.digest(), |e| e.hash)
    }
}

/// Why a source could not be loaded: one lower-case phrase.
#[derive(Clone, Debug)]
pub(crate) struct SourceError(pub(crate) String);

impl SourceError {
    /// A reason, tidied into the diagnostics' style: one line, no trailing period,
    /// lower case first (unless it starts an acronym).
    pub(crate) fn new(reason: impl Into<String>) -> SourceError {
        let reason: String = reason.into();
        let line = reason
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .trim_end_matches('.');
        let tidy = lower_first(line);
        SourceError(tidy)
    }

    /// A file that was not read: not there, not a regular file, too large.
    pub(crate) fn file(e: weft_files::ReadError) -> SourceError {
        SourceError::new(e.to_string())
    }

    pub(crate) fn io(e: std::io::Error) -> SourceError {
        use std::io::ErrorKind;
        SourceError::new(match e.kind() {
            ErrorKind::NotFound => "no such file".to_string(),
            ErrorKind::PermissionDenied => "permission denied".to_string(),
            ErrorKind::UnexpectedEof => "the file is truncated".to_string(),
            _ => e.to_string(),
        })
    }
}

/// `Format error` → `format error` (but `PNG` stays): other crates' messages in the
/// diagnostics' case.
pub(crate) fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && !b.is_uppercase() => a
            .to_lowercase()
            .chain(text[a.len_utf8()..].chars())
            .collect(),
        _ => text.to_string(),
    }
}

/// `floor(v)` as an index into `0..n`, clamped; NaN gives 0. `n` must be positive.
#[inline]
pub(crate) fn clamp_index(v: f64, n: usize) -> usize {
    // `as` saturates: NaN and negatives give 0, +inf and huge values usize::MAX.
    (v.floor() as usize).min(n.saturating_sub(1))
}

/// The cell of `0..n` that `v` in [0, 1) falls in (`floor(v * n)`), clamped.
#[inline]
pub(crate) fn nearest_index(v: f64, n: usize) -> usize {
    clamp_index(v * n as f64, n)
}

/// State of one [`SourceSet::load`]: decoded files by (kind, path), and the
/// command-line inputs, each read at most once.
struct Loader<'a> {
    options: &'a SourceOptions,
    files: HashMap<(SourceKind, PathBuf), Result<Entry, SourceError>>,
    mic: Option<Entry>,
    camera: Option<Entry>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn source(&mut self, kind: SourceKind, path: Option<&Path>, span: Span) -> Entry {
        match kind {
            SourceKind::Load | SourceKind::Sample => self.file(kind, path, span),
            SourceKind::Mic => self.mic(span),
            SourceKind::Camera => self.camera(span),
        }
    }

    /// `load` and `sample`: errors are reported at every call that names the file.
    fn file(&mut self, kind: SourceKind, path: Option<&Path>, span: Span) -> Entry {
        let fallback = if kind == SourceKind::Load {
            SourceData::Black
        } else {
            SourceData::Silence
        };
        let Some(path) = path else {
            let msg = format!("`{}` needs a file name", kind.name());
            self.diagnostics
                .push(Diagnostic::error(Code::SourceLoad, span, msg));
            return Entry::new(fallback);
        };
        let loaded = self
            .files
            .entry((kind, path.to_path_buf()))
            .or_insert_with(|| {
                let data = if kind == SourceKind::Load {
                    Image::read(path).map(SourceData::Image)
                } else {
                    Audio::read(path, Layout::Stereo).map(SourceData::Audio)
                };
                data.map(Entry::new)
            });
        match loaded {
            Ok(entry) => entry.clone(),
            Err(e) => {
                let msg = format!("cannot read `{}`: {}", path.display(), e.0);
                self.diagnostics
                    .push(Diagnostic::error(Code::SourceLoad, span, msg));
                Entry::new(fallback)
            }
        }
    }

    /// `mic()`: the `--mic` file is read, and any problem reported, once.
    fn mic(&mut self, span: Span) -> Entry {
        if let Some(entry) = &self.mic {
            return entry.clone();
        }
        if let Some(live) = &self.options.live_mic {
            let entry = Entry::new(SourceData::Live(live.clone()));
            self.mic = Some(entry.clone());
            return entry;
        }
        let data = match &self.options.mic {
            None => {
                self.diagnostics.push(Diagnostic::warning(
                    Code::MicFallback,
                    span,
                    "`mic()` has no input: playing silence; give one with --mic FILE.wav",
                ));
                SourceData::Silence
            }
            Some(path) => match Audio::read(path, Layout::Mono) {
                Ok(audio) => SourceData::Audio(audio),
                Err(e) => {
                    let msg = format!("cannot read the --mic file `{}`: {}", path.display(), e.0);
                    self.diagnostics
                        .push(Diagnostic::error(Code::SourceLoad, span, msg));
                    SourceData::Silence
                }
            },
        };
        let entry = Entry::new(data);
        self.mic = Some(entry.clone());
        entry
    }

    /// `camera()`: the `--camera` file is read, and any problem reported, once.
    fn camera(&mut self, span: Span) -> Entry {
        if let Some(entry) = &self.camera {
            return entry.clone();
        }
        let data = match &self.options.camera {
            None => {
                self.diagnostics.push(Diagnostic::warning(
                    Code::CameraFallback,
                    span,
                    "`camera()` has no input: showing black; give one with --camera FILE (an image or a video)",
                ));
                SourceData::Black
            }
            Some(path) => match read_camera(path) {
                Ok((data, truncated)) => {
                    if let (Some(kept), SourceData::Video(v)) = (truncated, &data) {
                        let msg = format!(
                            "the --camera video `{}` is long: only its first {kept} frames ({:.1} s) are kept; \
                             later times show the last of them",
                            path.display(),
                            kept as f64 / v.fps()
                        );
                        self.diagnostics.push(
                            Diagnostic::warning(Code::CameraFallback, span, msg).with_note(format!(
                                "weft keeps at most {MAX_VIDEO_FRAMES} frames and {} MiB of decoded video",
                                MAX_VIDEO_BYTES >> 20
                            )),
                        );
                    }
                    data
                }
                Err(e) => {
                    let msg = format!(
                        "cannot read the --camera file `{}`: {}",
                        path.display(),
                        e.0
                    );
                    self.diagnostics
                        .push(Diagnostic::error(Code::SourceLoad, span, msg));
                    SourceData::Black
                }
            },
        };
        let entry = Entry::new(data);
        self.camera = Some(entry.clone());
        entry
    }
}

/// Reads a `--camera` file: a PNG or JPEG (by content or extension) is an image,
/// anything else a video for ffmpeg. Returns the data and, for a video cut short, how
/// many frames were kept.
fn read_camera(path: &Path) -> Result<(SourceData, Option<usize>), SourceError> {
    // ffmpeg streams a video and its decoded frames are bounded, so only the
    // kind of file is checked here, not its size.
    let input = weft_files::open(path, weft_files::Limit::STREAMED).map_err(SourceError::file)?;
    let mut head = Vec::with_capacity(64);
    input
        .take(64)
        .read_to_end(&mut head)
        .map_err(SourceError::io)?;
    let by_content = matches!(
        image::guess_format(&head),
        Ok(image::ImageFormat::Png | image::ImageFormat::Jpeg)
    );
    let by_name = path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["png", "jpg", "jpeg"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    });
    if by_content || by_name {
        let image = Image::read(path)?.with_outputs(3);
        Ok((SourceData::Image(image), None))
    } else {
        let decoded = Video::read(path, video::Tools::SYSTEM)?;
        Ok((SourceData::Video(decoded.video), decoded.truncated))
    }
}
