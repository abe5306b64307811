//! Audio clips (`sample("drum.wav")`, `--mic FILE.wav`): any WAV that `hound` reads
//! (integer PCM of any depth, 32-bit float) and 64-bit float WAVs, decoded once to
//! `f32` and sampled at the nearest sample of the file's own rate.

use super::SourceError;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;
use weft_files::Input;

/// How a clip's channels are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The first two channels (left, right); a mono file keeps one.
    Stereo,
    /// The mean of all channels.
    Mono,
}

/// A decoded clip: interleaved frames of one or two channels.
#[derive(Clone)]
pub struct Audio {
    outputs: u32,
    channels: usize,
    rate: f64,
    frames: usize,
    data: Vec<f32>,
}

impl fmt::Debug for Audio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Audio({} ch, {} Hz, {} frames)",
            self.channels, self.rate, self.frames
        )
    }
}

impl Audio {
    /// A clip from interleaved samples of `channels` (1 or 2) channels at `rate` Hz,
    /// or `None` when the counts or the rate make no sense.
    pub fn from_interleaved(channels: usize, rate: f64, data: Vec<f32>) -> Option<Audio> {
        let ok = matches!(channels, 1 | 2)
            && rate.is_finite()
            && rate > 0.0
            && data.len().checked_rem(channels) == Some(0);
        ok.then(|| Audio {
            outputs: 2,
            channels,
            rate,
            frames: data.len() / channels,
            data,
        })
    }

    /// Reads a WAV file, keeping its channels as `layout` says.
    pub(crate) fn read(path: &Path, layout: Layout) -> Result<Audio, SourceError> {
        let open = || {
            weft_files::open(path, weft_files::Limit::DATA)
                .map(BufReader::new)
                .map_err(SourceError::file)
        };
        let (channels, rate, mut raw) = match float64::read(open()?)? {
            Some(clip) => clip,
            None => read_with_hound(open()?)?,
        };
        if channels == 0 {
            return Err(SourceError::new("the WAV file has no channels"));
        }
        if rate == 0 {
            return Err(SourceError::new("the WAV file has a sample rate of 0"));
        }
        let frames = raw.len() / channels;
        let data: Vec<f32> = match (layout, channels) {
            (_, 1) => {
                raw.truncate(frames);
                raw
            }
            (Layout::Stereo, 2) => {
                raw.truncate(frames * 2);
                raw
            }
            (Layout::Stereo, _) => raw
                .chunks_exact(channels)
                .flat_map(|f| [f[0], f[1]])
                .collect(),
            (Layout::Mono, _) => raw
                .chunks_exact(channels)
                .map(|f| (f.iter().map(|s| f64::from(*s)).sum::<f64>() / channels as f64) as f32)
                .collect(),
        };
        let kept = if layout == Layout::Mono {
            1
        } else {
            channels.min(2)
        };
        let audio = Audio::from_interleaved(kept, f64::from(rate), data)
            .ok_or_else(|| SourceError::new("the WAV file has an unusable layout"))?;
        Ok(match layout {
            Layout::Mono => Audio {
                outputs: 1,
                ..audio
            },
            Layout::Stereo => audio,
        })
    }

    /// How many outputs it has: the rest sample as 0.
    pub fn outputs(&self) -> u32 {
        self.outputs
    }

    /// Channels kept (1 or 2).
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// The file's sample rate, Hz.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// The samples, interleaved.
    pub fn data(&self) -> &[f32] {
        &self.data
    }

    /// Length in frames.
    pub fn frames(&self) -> usize {
        self.frames
    }

    /// Length in seconds.
    pub fn duration(&self) -> f64 {
        self.frames as f64 / self.rate
    }

    /// Channel `out` (0 l, 1 r; a mono file gives its one channel for both; a
    /// mixed-down `mic()` clip has output 0 only; others give 0) of the sample nearest
    /// to `time`: `round(time * rate)`, 0 outside `[0, frames)`.
    #[inline]
    pub fn sample(&self, out: u32, time: f64) -> f64 {
        if out >= self.outputs {
            return 0.0;
        }
        let n = (time * self.rate).round();
        // Also false for NaN.
        if !(n >= 0.0 && n < self.frames as f64) {
            return 0.0;
        }
        let channel = (out as usize).min(self.channels - 1);
        self.data
            .get(n as usize * self.channels + channel)
            .map_or(0.0, |s| f64::from(*s))
    }
}

/// Channels, rate and interleaved samples of a WAV that hound reads (integer PCM
/// of any depth, 32-bit float).
fn read_with_hound(input: BufReader<Input>) -> Result<(usize, u32, Vec<f32>), SourceError> {
    let reader = hound::WavReader::new(input).map_err(wav_error)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels);
    // Never trust the header's length for an allocation.
    let declared = usize::try_from(reader.len()).unwrap_or(usize::MAX);
    let mut raw: Vec<f32> = Vec::with_capacity(declared.min(1 << 24));
    match spec.sample_format {
        hound::SampleFormat::Float => {
            for s in reader.into_samples::<f32>() {
                raw.push(s.map_err(wav_error)?);
            }
        }
        hound::SampleFormat::Int => {
            let bits = u32::from(spec.bits_per_sample).clamp(1, 32);
            let scale = 1.0 / 2f64.powi(bits as i32 - 1);
            for s in reader.into_samples::<i32>() {
                raw.push((f64::from(s.map_err(wav_error)?) * scale) as f32);
            }
        }
    }
    Ok((channels, spec.sample_rate, raw))
}

/// 64-bit float WAVs, which hound refuses ("not yet supported" in its reader):
/// the RIFF chunks are walked to `fmt ` and `data`, and the samples kept as f32.
mod float64 {
    use super::{BufReader, Input, Read, SourceError};

    /// `WAVE_FORMAT_IEEE_FLOAT`, also the first two bytes of the extensible
    /// format's float sub-format GUID.
    const IEEE_FLOAT: u16 = 3;
    const EXTENSIBLE: u16 = 0xfffe;

    fn u16_at(b: &[u8], i: usize) -> u16 {
        u16::from_le_bytes([b[i], b[i + 1]])
    }

    fn u32_at(b: &[u8], i: usize) -> u32 {
        u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
    }

    fn truncated(e: std::io::Error) -> SourceError {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            SourceError::new("the WAV file is truncated")
        } else {
            SourceError::io(e)
        }
    }

    /// The clip when the file is a 64-bit float WAV; `None` for anything else
    /// (hound reads it, or says why not).
    pub(super) fn read(
        mut input: BufReader<Input>,
    ) -> Result<Option<(usize, u32, Vec<f32>)>, SourceError> {
        let mut head = [0u8; 12];
        if input.read_exact(&mut head).is_err() || &head[..4] != b"RIFF" || &head[8..] != b"WAVE" {
            return Ok(None);
        }
        let mut format: Option<(usize, u32)> = None;
        loop {
            let mut chunk = [0u8; 8];
            if input.read_exact(&mut chunk).is_err() {
                return Ok(None);
            }
            let len = u64::from(u32_at(&chunk, 4));
            match (&chunk[..4], format) {
                (b"fmt ", _) => {
                    if !(16..=1024).contains(&len) {
                        return Ok(None);
                    }
                    let mut fmt = vec![0u8; len as usize];
                    input.read_exact(&mut fmt).map_err(truncated)?;
                    let tag = match u16_at(&fmt, 0) {
                        EXTENSIBLE if fmt.len() >= 26 => u16_at(&fmt, 24),
                        tag => tag,
                    };
                    if tag != IEEE_FLOAT || u16_at(&fmt, 14) != 64 {
                        return Ok(None);
                    }
                    format = Some((usize::from(u16_at(&fmt, 2)), u32_at(&fmt, 4)));
                    if len % 2 == 1 {
                        input.read_exact(&mut [0u8; 1]).map_err(truncated)?;
                    }
                }
                (b"data", Some((channels, rate))) => {
                    // Never trust the header's length for an allocation.
                    let mut samples = Vec::with_capacity((len / 8).min(1 << 24) as usize);
                    let mut data = input.take(len);
                    let mut b = [0u8; 8];
                    for _ in 0..len / 8 {
                        data.read_exact(&mut b).map_err(truncated)?;
                        samples.push(f64::from_le_bytes(b) as f32);
                    }
                    return Ok(Some((channels, rate, samples)));
                }
                // Data before its format: not a WAV hound or this reads.
                (b"data", None) => return Ok(None),
                _ => {
                    let skip = len + len % 2;
                    let skipped = std::io::copy(&mut (&mut input).take(skip), &mut std::io::sink())
                        .map_err(SourceError::io)?;
                    if skipped < skip {
                        return Ok(None);
                    }
                }
            }
        }
    }
}

fn wav_error(e: hound::Error) -> SourceError {
    match e {
        // hound reports a short read as `Other` with this text.
        hound::Error::IoError(e)
            if e.kind() == std::io::ErrorKind::UnexpectedEof
                || e.to_string().starts_with("Failed to read enough bytes") =>
        {
            SourceError::new("the WAV file is truncated")
        }
        hound::Error::IoError(e) => SourceError::io(e),
        hound::Error::FormatError(m) => SourceError::new(format!("not a valid WAV file: {m}")),
        hound::Error::Unsupported => {
            SourceError::new("a WAV encoding weft cannot read (use PCM, 32-bit or 64-bit float)")
        }
        other => SourceError::new(format!("cannot decode the WAV file: {other}")),
    }
}
