//! The sound card sink of `weft run`: with the `audio` feature (cpal), the engine's
//! audio ring plays on the default output device; without a device, or without
//! the feature, weft says so once and goes on.

use weft_live::AudioStream;

/// Keeps the sound card stream alive while it is held.
pub struct SoundCard {
    #[cfg(feature = "audio")]
    _stream: cpal::Stream,
}

/// Plays `audio` (interleaved stereo at `rate`) on the default output device; the
/// reason when it cannot.
#[cfg(feature = "audio")]
pub fn open(mut audio: AudioStream, rate: u32) -> Result<SoundCard, String> {
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
    let host = cpal::default_host();
    let device = host
        .default_output_device()
        .ok_or_else(|| "no sound card found".to_string())?;
    let config = cpal::StreamConfig {
        channels: 2,
        sample_rate: cpal::SampleRate(rate),
        buffer_size: cpal::BufferSize::Default,
    };
    let stream = device
        .build_output_stream(
            &config,
            move |data: &mut [f32], _: &cpal::OutputCallbackInfo| {
                // Whatever the ring does not hold yet is silence, never old data.
                let n = audio.read(data);
                data[n..].fill(0.0);
            },
            |e| crate::failure::err(&format!("sound card: {e}\n")),
            None,
        )
        .map_err(|e| format!("the sound card refused {rate} Hz stereo: {e}"))?;
    stream
        .play()
        .map_err(|e| format!("the sound card does not play: {e}"))?;
    Ok(SoundCard { _stream: stream })
}

/// Without the `audio` feature there is no sound card output.
#[cfg(not(feature = "audio"))]
pub fn open(audio: AudioStream, rate: u32) -> Result<SoundCard, String> {
    let _ = (audio, rate);
    Err("this build has no sound card output (build with `--features audio`)".to_string())
}
