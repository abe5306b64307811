//! Video cameras (`--camera clip.mp4`): decoded once, up front, by the system
//! `ffmpeg` (probed with `ffprobe`) into memory as RGB24 frames at the stream's frame
//! rate, and sampled at the nearest pixel of frame `floor(time * fps)`.

use super::{clamp_index, nearest_index, SourceError};
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// At most this many frames are kept.
pub const MAX_FRAMES: usize = 2000;
/// At most this many bytes of frames are kept.
pub const MAX_BYTES: usize = 1 << 30;

/// The commands that decode video (replaceable in tests).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Tools<'a> {
    /// `ffmpeg`.
    pub ffmpeg: &'a str,
    /// `ffprobe`.
    pub ffprobe: &'a str,
}

impl Tools<'static> {
    /// The system's `ffmpeg` and `ffprobe`, found on `PATH`.
    pub(crate) const SYSTEM: Tools<'static> = Tools {
        ffmpeg: "ffmpeg",
        ffprobe: "ffprobe",
    };
}

/// A decoded video: `frames` RGB24 frames of `width × height`, rows from the top.
#[derive(Clone)]
pub struct Video {
    width: usize,
    height: usize,
    fps: f64,
    frames: usize,
    rgb: Vec<u8>,
}

impl fmt::Debug for Video {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Video({}x{}, {} fps, {} frames)",
            self.width, self.height, self.fps, self.frames
        )
    }
}

/// A decoded video and whether it was cut short by [`MAX_FRAMES`] / [`MAX_BYTES`].
pub(crate) struct Decoded {
    pub video: Video,
    /// The frames dropped at the end, if any were: `Some(kept)`.
    pub truncated: Option<usize>,
}

impl Video {
    /// A video from raw RGB24 frames, or `None` when the sizes do not match or are zero.
    pub fn from_rgb(width: usize, height: usize, fps: f64, rgb: Vec<u8>) -> Option<Video> {
        let frame = width.checked_mul(height)?.checked_mul(3)?;
        let ok = frame > 0
            && fps.is_finite()
            && fps > 0.0
            && !rgb.is_empty()
            && rgb.len().checked_rem(frame) == Some(0);
        ok.then(|| Video {
            width,
            height,
            fps,
            frames: rgb.len() / frame,
            rgb,
        })
    }

    /// Probes and decodes `path` with `tools`.
    pub(crate) fn read(path: &Path, tools: Tools<'_>) -> Result<Decoded, SourceError> {
        let probe = probe(path, tools)?;
        let frame_bytes = probe.width * probe.height * 3;
        let cap = MAX_FRAMES.min(MAX_BYTES / frame_bytes).max(1);
        let mut child = Command::new(tools.ffmpeg)
            .args(["-v", "error", "-nostdin", "-noautorotate", "-i"])
            .arg(path)
            .args(["-map", "0:v:0", "-an", "-sn", "-dn", "-vf"])
            .arg(format!(
                "fps={},scale={}:{}",
                probe.rate, probe.width, probe.height
            ))
            .arg("-frames:v")
            .arg((cap + 1).to_string())
            .args(["-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| missing_tool(tools.ffmpeg, e))?;
        let stderr = child.stderr.take().map(|mut err| {
            std::thread::spawn(move || {
                let mut text = Vec::new();
                let _ = err.read_to_end(&mut text);
                text
            })
        });
        let limit = cap * frame_bytes;
        let mut rgb = Vec::new();
        let read = match child.stdout.take() {
            Some(out) => out.take(limit as u64 + 1).read_to_end(&mut rgb),
            None => Ok(0),
        };
        let more = rgb.len() > limit;
        if more {
            // Enough frames: stop the decoder we started.
            let _ = child.kill();
        }
        let status = child.wait();
        let err_text = stderr
            .and_then(|h| h.join().ok())
            .map(|t| String::from_utf8_lossy(&t).trim().to_string())
            .unwrap_or_default();
        read.map_err(SourceError::io)?;
        rgb.truncate(limit);
        rgb.truncate(rgb.len() - rgb.len() % frame_bytes);
        // A decoder that fails part-way still leaves the frames before the damage.
        if rgb.is_empty() {
            let why = first_line(&err_text)
                .map(str::to_string)
                .or_else(|| status.err().map(|e| e.to_string()))
                .unwrap_or_else(|| "it produced no frames".to_string());
            return Err(SourceError::new(format!(
                "ffmpeg cannot decode the video: {why}"
            )));
        }
        let video = Video::from_rgb(probe.width, probe.height, probe.fps, rgb)
            .ok_or_else(|| SourceError::new("ffmpeg returned frames of an unexpected size"))?;
        Ok(Decoded {
            truncated: more.then_some(video.frames),
            video,
        })
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Frames per second.
    pub fn fps(&self) -> f64 {
        self.fps
    }

    /// The frames, RGB24, each row-major from the top-left.
    pub fn rgb(&self) -> &[u8] {
        &self.rgb
    }

    /// Number of frames held.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Channel `out` (0 r, 1 g, 2 b; others give 0) of the pixel nearest to (x, y) in
    /// frame `floor(time * fps)`, clamped to the first and last frames (NaN: the first).
    #[inline]
    pub fn sample(&self, out: u32, x: f64, y: f64, time: f64) -> f64 {
        if out > 2 {
            return 0.0;
        }
        let f = clamp_index(time * self.fps, self.frames);
        let i = nearest_index(x, self.width);
        let j = nearest_index(y, self.height);
        let at = ((f * self.height + j) * self.width + i) * 3 + out as usize;
        self.rgb.get(at).map_or(0.0, |b| f64::from(*b) / 255.0)
    }
}

/// What `ffprobe` says about the first video stream.
struct Probe {
    width: usize,
    height: usize,
    /// The frame rate as ffmpeg writes it (`30000/1001`).
    rate: String,
    fps: f64,
}

fn probe(path: &Path, tools: Tools<'_>) -> Result<Probe, SourceError> {
    let output = Command::new(tools.ffprobe)
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height,avg_frame_rate,r_frame_rate",
            "-of",
            "default=noprint_wrappers=1",
        ])
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| missing_tool(tools.ffprobe, e))?;
    let text = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() || text.trim().is_empty() {
        let err = String::from_utf8_lossy(&output.stderr);
        let why = first_line(&err).unwrap_or("no video stream found");
        return Err(SourceError::new(format!(
            "not a video ffmpeg can read: {why}"
        )));
    }
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix('='))
            .map(str::trim)
    };
    let dim = |name: &str| {
        field(name)
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|v| *v > 0)
    };
    let (Some(width), Some(height)) = (dim("width"), dim("height")) else {
        return Err(SourceError::new("ffprobe found no video frame size"));
    };
    if width.saturating_mul(height).saturating_mul(3) > MAX_BYTES {
        return Err(SourceError::new(format!(
            "video frames of {width}x{height} are too large"
        )));
    }
    let (rate, fps) = ["avg_frame_rate", "r_frame_rate"]
        .into_iter()
        .filter_map(|name| {
            let rate = field(name)?;
            parse_rate(rate).map(|fps| (rate.to_string(), fps))
        })
        .next()
        .ok_or_else(|| SourceError::new("ffprobe found no frame rate"))?;
    Ok(Probe {
        width,
        height,
        rate,
        fps,
    })
}

/// `30`, `30/1` or `30000/1001` as a positive, finite rate.
fn parse_rate(text: &str) -> Option<f64> {
    let fps = match text.split_once('/') {
        Some((n, d)) => n.trim().parse::<f64>().ok()? / d.trim().parse::<f64>().ok()?,
        None => text.parse::<f64>().ok()?,
    };
    (fps.is_finite() && fps > 0.0).then_some(fps)
}

/// The first non-empty line of ffmpeg's stderr, without its `[demuxer @ 0x…] ` prefix.
fn first_line(text: &str) -> Option<&str> {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    match line.strip_prefix('[').and_then(|l| l.split_once("] ")) {
        Some((_, rest)) if !rest.trim().is_empty() => Some(rest.trim()),
        _ => Some(line),
    }
}

fn missing_tool(tool: &str, e: std::io::Error) -> SourceError {
    if e.kind() == std::io::ErrorKind::NotFound {
        SourceError::new(format!(
            "a video camera needs ffmpeg, and `{tool}` was not found; install it (`apt-get install ffmpeg`, \
             `brew install ffmpeg`) or give an image (.png, .jpg) with --camera"
        ))
    } else {
        SourceError::new(format!("cannot run `{tool}`: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("30/1"), Some(30.0));
        assert_eq!(parse_rate("25"), Some(25.0));
        assert!((parse_rate("30000/1001").unwrap_or(0.0) - 29.97).abs() < 0.01);
        assert_eq!(parse_rate("0/0"), None);
        assert_eq!(parse_rate("abc"), None);
    }

    #[test]
    fn missing_ffmpeg_says_how_to_install_it() {
        let tools = Tools {
            ffmpeg: "weft-no-such-ffmpeg",
            ffprobe: "weft-no-such-ffprobe",
        };
        let Err(e) = Video::read(Path::new("clip.mp4"), tools) else {
            panic!("a missing ffprobe must be an error");
        };
        assert!(e.0.contains("needs ffmpeg"), "{}", e.0);
        assert!(e.0.contains("apt-get install ffmpeg"), "{}", e.0);
    }

    #[test]
    fn frames_clamp_and_nan_is_safe() {
        // 2 frames of 1x1: red then green.
        let v = Video::from_rgb(1, 1, 10.0, vec![255, 0, 0, 0, 255, 0]).expect("valid video");
        assert_eq!(v.sample(0, 0.5, 0.5, 0.0), 1.0);
        assert_eq!(v.sample(1, 0.5, 0.5, 0.1), 1.0);
        assert_eq!(v.sample(1, 0.5, 0.5, 99.0), 1.0);
        assert_eq!(v.sample(0, 0.5, 0.5, -5.0), 1.0);
        assert_eq!(v.sample(0, f64::NAN, f64::INFINITY, f64::NAN), 1.0);
        assert_eq!(v.sample(3, 0.5, 0.5, 0.0), 0.0);
    }
}
