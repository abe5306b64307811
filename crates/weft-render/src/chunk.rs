//! Rendering one chunk: its frames through the visual backend and its samples
//! through the audio backend of the same engine the live view runs (weft-engine's
//! `Coordinator`), encoded into a cache entry — an H.264 piece and raw samples for
//! MP4, PNG frames for an image sequence, raw samples for WAV.

use crate::atomic;
use crate::cache::{now_secs, Entry, EntryMeta};
use crate::encode::Ffmpeg;
use crate::error::RenderError;
use crate::settings::Format;
use crate::timeline::{Chunk, Piece, Timeline};
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};

/// Samples per audio execution.
pub const AUDIO_BLOCK: usize = 4096;

/// Renders chunks of one timeline; keeps one compiled coordinator per segment, so
/// a worker compiles a segment once however many of its chunks it renders.
pub struct ChunkRenderer<'a> {
    piece: &'a Piece,
    timeline: &'a Timeline,
    ffmpeg: Option<&'a Ffmpeg>,
    tmp: PathBuf,
    coordinators: HashMap<usize, Coordinator>,
    uniforms: Uniforms,
}

impl std::fmt::Debug for ChunkRenderer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkRenderer").finish_non_exhaustive()
    }
}

impl<'a> ChunkRenderer<'a> {
    /// A renderer writing its work files to `tmp`; `ffmpeg` is needed for MP4.
    pub fn new(
        piece: &'a Piece,
        timeline: &'a Timeline,
        ffmpeg: Option<&'a Ffmpeg>,
        tmp: PathBuf,
    ) -> ChunkRenderer<'a> {
        ChunkRenderer {
            piece,
            timeline,
            ffmpeg,
            tmp,
            coordinators: HashMap::new(),
            uniforms: Uniforms::new(&piece.program),
        }
    }

    fn coordinator(&mut self, segment: usize) -> Result<&mut Coordinator, RenderError> {
        if !self.coordinators.contains_key(&segment) {
            let s = &self.timeline.settings;
            let config = if s.format.has_video() {
                EngineConfig {
                    width: s.width,
                    height: s.height,
                    audio_block: AUDIO_BLOCK as u32,
                }
            } else {
                EngineConfig {
                    width: 1,
                    height: 1,
                    audio_block: AUDIO_BLOCK as u32,
                }
            };
            let c = Coordinator::with_painter(
                self.piece.program.clone(),
                self.piece.sources.clone(),
                self.piece.graphs[segment].clone(),
                config,
                &self.piece.painter,
            )
            .map_err(|e| RenderError::Engine(e.to_string()))?;
            self.coordinators.insert(segment, c);
        }
        Ok(self.coordinators.get_mut(&segment).expect("inserted above"))
    }

    /// Renders `chunk` into a cache entry; `progress` hears each unit of work
    /// done (frames, or audio blocks for WAV) and answers whether to go on (no:
    /// the chunk stops with [`RenderError::Cancelled`]).
    pub fn render(
        &mut self,
        chunk: &Chunk,
        progress: &mut dyn FnMut(u64) -> bool,
    ) -> Result<Entry, RenderError> {
        let settings = self.timeline.settings.clone();
        let segment = &self.timeline.segments[chunk.segment];
        let (start, first_sample) = (segment.start, segment.first_sample);
        let mut blobs = Vec::new();
        let fps = settings.fps;
        let black = opaque_black(settings.width, settings.height);
        let program = self.piece.program.clone();
        let uniforms = self.uniforms.clone();
        let time_of = |n: u64| {
            let abstime = n as f64 / fps;
            (program.settings.wrap_time(abstime - start), abstime)
        };
        match settings.format {
            Format::Mp4 if chunk.frames.is_empty() => {}
            Format::Mp4 => {
                let ffmpeg = self
                    .ffmpeg
                    .ok_or_else(|| RenderError::MissingFfmpeg("ffmpeg".into()))?;
                let out = atomic::temp_path(&self.tmp, &chunk.key.hex()[..16], "mp4");
                let c = self.coordinator(chunk.segment)?;
                let first = chunk.frames.start;
                let result = ffmpeg.encode_chunk(
                    &settings,
                    chunk.frames.end - first,
                    &out,
                    |k, w: &mut dyn Write| {
                        let (t, abs) = time_of(first + k);
                        // The next frame is drawn while this one is encoded.
                        let next =
                            (first + k + 1 < chunk.frames.end).then(|| time_of(first + k + 1));
                        let frame = if c.visual().has_display() {
                            c.render_frame_ahead(t, abs, next, &uniforms)
                        } else {
                            &black
                        };
                        w.write_all(frame).map_err(|e| RenderError::Ffmpeg {
                            what: "encoding a chunk".into(),
                            message: format!("its input closed: {e}"),
                        })?;
                        if progress(1) {
                            Ok(())
                        } else {
                            Err(RenderError::Cancelled)
                        }
                    },
                );
                let bytes =
                    result.and_then(|()| std::fs::read(&out).map_err(|e| RenderError::io(&out, e)));
                let _ = std::fs::remove_file(&out);
                blobs.push(("video.mp4".to_string(), bytes?));
            }
            Format::Png => {
                let c = self.coordinator(chunk.segment)?;
                for n in chunk.frames.clone() {
                    let (t, abs) = time_of(n);
                    let next = (n + 1 < chunk.frames.end).then(|| time_of(n + 1));
                    let frame = if c.visual().has_display() {
                        c.render_frame_ahead(t, abs, next, &uniforms)
                    } else {
                        &black
                    };
                    let mut png = Vec::new();
                    image::write_buffer_with_format(
                        &mut std::io::Cursor::new(&mut png),
                        frame,
                        settings.width,
                        settings.height,
                        image::ExtendedColorType::Rgba8,
                        image::ImageFormat::Png,
                    )
                    .map_err(|e| RenderError::Engine(format!("encoding PNG: {e}")))?;
                    blobs.push((format!("frame-{n:06}.png"), png));
                    if !progress(1) {
                        return Err(RenderError::Cancelled);
                    }
                }
            }
            Format::Wav => {}
        }
        if settings.format.has_audio() && self.piece.channels() > 0 {
            let video = settings.format.has_video();
            let c = self.coordinator(chunk.segment)?;
            let mut bytes =
                Vec::with_capacity((chunk.samples.end - chunk.samples.start) as usize * 8);
            let mut n = chunk.samples.start;
            while n < chunk.samples.end {
                let len = ((chunk.samples.end - n) as usize).min(AUDIO_BLOCK);
                if c.audio().has_play() {
                    for v in c.render_audio(n, n - first_sample, len, &uniforms) {
                        bytes.extend_from_slice(&v.to_le_bytes());
                    }
                } else {
                    bytes.resize(bytes.len() + len * 8, 0);
                }
                n += len as u64;
                if !video && !progress(1) {
                    return Err(RenderError::Cancelled);
                }
            }
            blobs.push(("audio.f32".to_string(), bytes));
        }
        Ok(Entry {
            meta: EntryMeta {
                segment: segment.name.clone(),
                chunk: chunk.index,
                file: self.piece.path.to_string_lossy().into_owned(),
                format: settings.format.name().to_string(),
                frames: chunk.frames.end - chunk.frames.start,
                samples: chunk.samples.end - chunk.samples.start,
                created: now_secs(),
            },
            blobs,
        })
    }

    /// Renders the single frame `n` (for previews) as RGBA.
    pub fn frame(&mut self, n: u64) -> Result<Vec<u8>, RenderError> {
        let fps = self.timeline.settings.fps;
        let abstime = n as f64 / fps;
        let (i, _) = self.piece.program.locate(abstime);
        let start = self.timeline.segments[i].start;
        let t = self.piece.program.settings.wrap_time(abstime - start);
        let uniforms = self.uniforms.clone();
        let c = self.coordinator(i)?;
        if !c.visual().has_display() {
            let s = &self.timeline.settings;
            return Ok(opaque_black(s.width, s.height));
        }
        Ok(c.render_frame(t, abstime, &uniforms).to_vec())
    }
}

/// An RGBA frame of opaque black: what a segment without `display` shows.
fn opaque_black(width: u32, height: u32) -> Vec<u8> {
    [0, 0, 0, 255].repeat(width as usize * height as usize)
}
