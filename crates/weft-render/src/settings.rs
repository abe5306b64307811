//! What a render produces and at which quality: output formats, the quality
//! presets (low 480p15, medium 720p30, high 1080p60), encoder settings, and how the
//! command line, the presets and the program's own `me<…>` settings combine.

use crate::error::RenderError;
use weft_lang::ir::Program;

/// What a render writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// H.264 video (yuv420p, closed GOP) with an AAC audio track, in MP4.
    Mp4,
    /// One PNG per frame.
    Png,
    /// The play output as 32-bit float WAV.
    Wav,
}

impl Format {
    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Mp4 => "mp4",
            Format::Png => "png",
            Format::Wav => "wav",
        }
    }

    /// Parses `mp4`, `png`, `wav`.
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "mp4" => Some(Format::Mp4),
            "png" => Some(Format::Png),
            "wav" => Some(Format::Wav),
            _ => None,
        }
    }

    /// True when the format holds pictures.
    pub fn has_video(self) -> bool {
        matches!(self, Format::Mp4 | Format::Png)
    }

    /// True when the format holds sound.
    pub fn has_audio(self) -> bool {
        matches!(self, Format::Mp4 | Format::Wav)
    }
}

/// A quality preset, like Manim's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Quality {
    /// 854×480 at 15 fps, fast encoding.
    Low,
    /// 1280×720 at 30 fps (the default).
    Medium,
    /// 1920×1080 at 60 fps, slower encoding, higher bit rate.
    High,
}

impl Quality {
    /// Lower-case name, as on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Quality::Low => "low",
            Quality::Medium => "medium",
            Quality::High => "high",
        }
    }

    /// Parses `low`, `medium`, `high`.
    pub fn parse(s: &str) -> Option<Quality> {
        match s {
            "low" => Some(Quality::Low),
            "medium" => Some(Quality::Medium),
            "high" => Some(Quality::High),
            _ => None,
        }
    }

    /// Frame size of the preset.
    pub fn size(self) -> (u32, u32) {
        match self {
            Quality::Low => (854, 480),
            Quality::Medium => (1280, 720),
            Quality::High => (1920, 1080),
        }
    }

    /// Frame rate of the preset.
    pub fn fps(self) -> f64 {
        match self {
            Quality::Low => 15.0,
            Quality::Medium => 30.0,
            Quality::High => 60.0,
        }
    }

    /// The x264 settings of the preset.
    pub fn encoder(self) -> Encoder {
        match self {
            Quality::Low => Encoder {
                preset: "veryfast",
                crf: 28,
            },
            Quality::Medium => Encoder {
                preset: "fast",
                crf: 23,
            },
            Quality::High => Encoder {
                preset: "medium",
                crf: 18,
            },
        }
    }
}

/// x264 settings; everything else (yuv420p, closed GOP of one chunk, AAC) is fixed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Encoder {
    /// x264 speed preset.
    pub preset: &'static str,
    /// Constant rate factor (lower is better).
    pub crf: u8,
}

/// What the command line asked for; `None` where it said nothing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Request {
    /// `--quality`.
    pub quality: Option<Quality>,
    /// `--size`.
    pub size: Option<(u32, u32)>,
    /// `--fps`.
    pub fps: Option<f64>,
    /// `--rate`.
    pub rate: Option<u32>,
    /// `--format`.
    pub format: Option<Format>,
    /// `--chunk` seconds.
    pub chunk: Option<f64>,
    /// `--duration` seconds (a file without segments).
    pub duration: Option<f64>,
}

/// Everything a render's output depends on besides the program.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderSettings {
    /// The preset the size, rate and encoder came from.
    pub quality: Quality,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// Audio samples per second.
    pub rate: u32,
    /// The output format.
    pub format: Format,
    /// Encoder settings (used by MP4).
    pub encoder: Encoder,
    /// Chunk length in seconds.
    pub chunk: f64,
    /// Length of a file without segments.
    pub duration: f64,
}

impl RenderSettings {
    /// Default chunk length in seconds.
    pub const DEFAULT_CHUNK: f64 = 2.0;
    /// Default length of a file without segments.
    pub const DEFAULT_DURATION: f64 = 10.0;
    /// The preset used when neither the command line nor the program says.
    pub const DEFAULT_QUALITY: Quality = Quality::Medium;

    /// Combines a request with the program: `--size`/`--fps` win; then an explicit
    /// `--quality`; then the program's `me<width>`, `me<height>`, `me<fps>`; then the
    /// medium preset. The sample rate is `--rate`, else `me<rate>`, else 48000.
    pub fn resolve(request: &Request, program: &Program) -> Result<RenderSettings, RenderError> {
        let quality = request.quality.unwrap_or(Self::DEFAULT_QUALITY);
        let s = &program.settings;
        let (width, height) = match (request.size, request.quality) {
            (Some(size), _) => size,
            (None, Some(q)) => q.size(),
            (None, None) => {
                let (pw, ph) = quality.size();
                (s.width.unwrap_or(pw), s.height.unwrap_or(ph))
            }
        };
        let fps = match (request.fps, request.quality) {
            (Some(f), _) => f,
            (None, Some(q)) => q.fps(),
            (None, None) => s.fps.unwrap_or(quality.fps()),
        };
        let settings = RenderSettings {
            quality,
            width,
            height,
            fps,
            rate: request.rate.unwrap_or_else(|| s.rate()),
            format: request.format.unwrap_or(Format::Mp4),
            encoder: quality.encoder(),
            chunk: request.chunk.unwrap_or(Self::DEFAULT_CHUNK),
            duration: request.duration.unwrap_or(Self::DEFAULT_DURATION),
        };
        settings.check()?;
        Ok(settings)
    }

    /// Refuses settings no render can honour.
    pub fn check(&self) -> Result<(), RenderError> {
        let bad = |m: String| Err(RenderError::Settings(m));
        if !(1..=16384).contains(&self.width) || !(1..=16384).contains(&self.height) {
            return bad(format!(
                "size {}x{}: each side must be from 1 to 16384",
                self.width, self.height
            ));
        }
        if !(self.fps.is_finite() && self.fps > 0.0 && self.fps <= 1000.0) {
            return bad(format!(
                "fps {}: must be above 0 and at most 1000",
                self.fps
            ));
        }
        if !(1..=384_000).contains(&self.rate) {
            return bad(format!("rate {}: must be from 1 to 384000", self.rate));
        }
        if !(self.chunk.is_finite() && self.chunk > 0.0 && self.chunk <= 3600.0) {
            return bad(format!(
                "chunk {}: must be above 0 and at most 3600 seconds",
                self.chunk
            ));
        }
        if !(self.duration.is_finite() && self.duration > 0.0 && self.duration <= 86_400.0) {
            return bad(format!(
                "duration {}: must be above 0 and at most 86400 seconds",
                self.duration
            ));
        }
        if self.format == Format::Mp4 && (self.width % 2 == 1 || self.height % 2 == 1) {
            return bad(format!(
                "size {}x{}: H.264 (yuv420p) needs an even width and height; choose one with --size",
                self.width, self.height
            ));
        }
        Ok(())
    }

    /// Frames in one chunk (at least one).
    pub fn chunk_frames(&self) -> u64 {
        ((self.chunk * self.fps).round() as u64).max(1)
    }
}
