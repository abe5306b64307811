//! Audio clips (`sample("drum.wav")`, `--mic FILE.wav`): any WAV that `hound` reads,
//! decoded once to `f32` in [-1, 1] and sampled at the nearest sample of the file's
//! own rate.

use super::SourceError;
use std::fmt;
use std::path::Path;

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
        let reader = hound::WavReader::open(path).map_err(wav_error)?;
        let spec = reader.spec();
        let channels = usize::from(spec.channels);
        if channels == 0 {
            return Err(SourceError::new("the WAV file has no channels"));
        }
        if spec.sample_rate == 0 {
            return Err(SourceError::new("the WAV file has a sample rate of 0"));
        }
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
        let audio = Audio::from_interleaved(kept, f64::from(spec.sample_rate), data)
            .ok_or_else(|| SourceError::new("the WAV file has an unusable layout"))?;
        Ok(match layout {
            Layout::Mono => Audio {
                outputs: 1,
                ..audio
            },
            Layout::Stereo => audio,
        })
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
            SourceError::new("a WAV encoding weft cannot read (use PCM or 32-bit float)")
        }
        other => SourceError::new(format!("cannot decode the WAV file: {other}")),
    }
}
