//! Encoding through the system `ffmpeg`, run as a child process: each chunk's
//! frames are piped in as raw RGBA and encoded with identical settings (H.264,
//! yuv420p, one closed GOP per chunk), then the chunks are joined without
//! re-encoding (concat demuxer, `-c copy`) and the audio track, encoded once as
//! AAC and cached, muxed in.
//! `WEFT_FFMPEG` names another binary; a missing one is a clear error.

use crate::error::RenderError;
use crate::settings::RenderSettings;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Video encoder arguments every chunk shares (part of every MP4 chunk key).
/// RGB becomes limited-range YUV with the BT.709 matrix, and the stream says so
/// (primaries, transfer, matrix, range): what players assume for HD, so a colour
/// survives the trip (ffmpeg's default would be BT.601, untagged).
pub const VIDEO_ARGS: &[&str] = &[
    "-vf",
    "scale=out_color_matrix=bt709:out_range=tv",
    "-c:v",
    "libx264",
    "-pix_fmt",
    "yuv420p",
    "-colorspace",
    "bt709",
    "-color_primaries",
    "bt709",
    "-color_trc",
    "bt709",
    "-color_range",
    "tv",
    "-flags",
    "+cgop",
    "-sc_threshold",
    "0",
    "-threads",
    "1",
    "-video_track_timescale",
    "90000",
];

/// Audio encoder arguments (part of the key of the encoded audio track).
pub const AUDIO_ARGS: &[&str] = &["-c:a", "aac", "-b:a", "192k"];

/// The `ffmpeg` binary.
#[derive(Clone, Debug)]
pub struct Ffmpeg {
    program: PathBuf,
}

impl Ffmpeg {
    /// `$WEFT_FFMPEG`, else `ffmpeg` on the `PATH`; checked by running
    /// `-version`.
    pub fn find() -> Result<Ffmpeg, RenderError> {
        let program = std::env::var_os("WEFT_FFMPEG")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("ffmpeg"));
        let ok = Command::new(&program)
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            return Err(RenderError::MissingFfmpeg(
                program.to_string_lossy().into_owned(),
            ));
        }
        Ok(Ffmpeg { program })
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(["-hide_banner", "-nostdin", "-loglevel", "error", "-y"]);
        c
    }

    /// Encodes `count` RGBA frames into the MP4 file `out` (video only): `frame`
    /// writes frame `n` of the chunk into the encoder's input.
    pub fn encode_chunk(
        &self,
        settings: &RenderSettings,
        count: u64,
        out: &Path,
        mut frame: impl FnMut(u64, &mut dyn Write) -> Result<(), RenderError>,
    ) -> Result<(), RenderError> {
        let mut c = Command::new(&self.program);
        c.args(["-hide_banner", "-loglevel", "error", "-y"]);
        c.args(["-f", "rawvideo", "-pix_fmt", "rgba"]);
        c.arg("-s")
            .arg(format!("{}x{}", settings.width, settings.height));
        c.arg("-framerate").arg(format!("{}", settings.fps));
        c.args(["-i", "-"]);
        c.args(VIDEO_ARGS);
        c.args(["-preset", settings.encoder.preset]);
        c.arg("-crf").arg(settings.encoder.crf.to_string());
        let gop = settings.chunk_frames().to_string();
        c.args(["-g", &gop, "-keyint_min", &gop]);
        c.args(["-an", "-f", "mp4"]).arg(out);
        let log = out.with_extension("log");
        let err = std::fs::File::create(&log).map_err(|e| RenderError::io(&log, e))?;
        c.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(err);
        let mut child = c.spawn().map_err(|e| self.spawn_error(e))?;
        let mut result = Ok(());
        if let Some(mut stdin) = child.stdin.take() {
            for n in 0..count {
                result = frame(n, &mut stdin);
                if result.is_err() {
                    break;
                }
            }
        }
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        let message = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        if !status.success() {
            return Err(RenderError::Ffmpeg {
                what: "encoding a chunk".into(),
                message: last_lines(&message, status),
            });
        }
        result
    }

    /// Encodes the WAV `wav` as AAC ([`AUDIO_ARGS`]) into the M4A file `out`.
    pub fn encode_audio(&self, wav: &Path, out: &Path) -> Result<(), RenderError> {
        let mut c = self.command();
        c.arg("-i").arg(wav);
        c.args(["-map", "0:a:0"]).args(AUDIO_ARGS);
        c.args(["-f", "mp4"]).arg(out);
        self.run(c, "encoding the audio")
    }

    /// Joins the MP4 `parts` without re-encoding, muxes `audio` (an M4A from
    /// [`Ffmpeg::encode_audio`]) in as it is, and writes `out`.
    pub fn join(
        &self,
        parts: &[PathBuf],
        audio: Option<&Path>,
        work: &Path,
        out: &Path,
    ) -> Result<(), RenderError> {
        let list = work.join("concat.txt");
        let mut text = String::from("ffconcat version 1.0\n");
        for p in parts {
            let abs = std::fs::canonicalize(p).map_err(|e| RenderError::io(p, e))?;
            let quoted = abs.to_string_lossy().replace('\'', "'\\''");
            text.push_str(&format!("file '{quoted}'\n"));
        }
        std::fs::write(&list, text).map_err(|e| RenderError::io(&list, e))?;
        let mut c = self.command();
        c.args(["-f", "concat", "-safe", "0", "-i"]).arg(&list);
        if let Some(a) = audio {
            c.arg("-i").arg(a);
            c.args(["-map", "0:v:0", "-map", "1:a:0", "-c:a", "copy"]);
        } else {
            c.args(["-map", "0:v:0"]);
        }
        c.args(["-c:v", "copy", "-movflags", "+faststart", "-f", "mp4"])
            .arg(out);
        self.run(c, "joining the chunks")
    }

    fn run(&self, mut c: Command, what: &str) -> Result<(), RenderError> {
        let output = c
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| self.spawn_error(e))?;
        if output.status.success() {
            return Ok(());
        }
        Err(RenderError::Ffmpeg {
            what: what.into(),
            message: last_lines(&String::from_utf8_lossy(&output.stderr), output.status),
        })
    }

    fn spawn_error(&self, e: std::io::Error) -> RenderError {
        if e.kind() == std::io::ErrorKind::NotFound {
            RenderError::MissingFfmpeg(self.program.to_string_lossy().into_owned())
        } else {
            RenderError::io(&self.program, e)
        }
    }
}

fn last_lines(text: &str, status: std::process::ExitStatus) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" / ");
    if tail.is_empty() {
        format!("exited with {status}")
    } else {
        tail
    }
}
