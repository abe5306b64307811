//! `weft audio FILE --duration S [--rate 48000] -o out.wav`.

use crate::failure::{cannot_write, stage, Failure};
use crate::session::{self, Inputs};
use std::path::PathBuf;
use weft_diagnostics::{render, Code, Diagnostic};
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_lang::ir::SegmentId;

/// The most sample bytes one WAV holds: its sizes are 32-bit, and the header
/// takes the rest of the 4 GiB.
pub const MAX_WAV_DATA: u64 = u32::MAX as u64 - 4096;

/// Arguments of `weft audio`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Seconds to render (default for a file with segments: the whole timeline).
    #[arg(long, value_parser = session::parse_finite)]
    duration: Option<f64>,
    /// Sample rate (default: the program's `me<rate>`, else 48000).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=384_000))]
    rate: Option<u32>,
    /// Set a parameter: `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Where to write the WAV.
    #[arg(short, long, value_name = "OUT.wav")]
    output: PathBuf,
    #[command(flatten)]
    inputs: Inputs,
}

/// Renders the play output (mono or stereo as the program plays it).
pub fn run(args: Args) -> Result<(), Failure> {
    let s = session::open(&args.file, &args.inputs)?;
    s.reads
        .check(&args.output)
        .map_err(|e| cannot_write(&args.output, e.to_string()))?;
    let mut program = (*s.program).clone();
    if let Some(rate) = args.rate {
        program.settings.rate = Some(rate);
    }
    let program = std::sync::Arc::new(program);
    let duration = match (args.duration, session::timeline_length(&program)) {
        (Some(d), _) if (0.0..=24.0 * 3600.0).contains(&d) => d,
        (Some(d), _) => {
            return Err(Failure::Usage(format!(
                "--duration {d}: must be between 0 and 86400 seconds"
            )))
        }
        (None, Some(len)) => len,
        (None, None) => {
            return Err(Failure::Usage(
                "--duration is required for a file without segments".into(),
            ))
        }
    };
    let mut uniforms = Uniforms::new(&program);
    for p in &args.params {
        for (name, v) in
            super::eval::parse_pairs(p).map_err(|e| Failure::Usage(format!("--param: {e}")))?
        {
            if !uniforms.set_param(&program, &name, v) {
                return Err(Failure::Usage(format!("no parameter `{name}`")));
            }
        }
    }
    let rate = program.settings.rate();
    let total = (duration * rate as f64).round() as u64;
    // The timeline's scopes with the sample ranges they play.
    let scopes: Vec<(Scope, u64, u64)> = if program.segments.is_empty() {
        vec![(Scope::Main, 0, total)]
    } else {
        program
            .segments
            .iter()
            .enumerate()
            .map(|(i, seg)| {
                let a = (seg.start * rate as f64).round() as u64;
                let b = ((seg.start + seg.duration) * rate as f64).round() as u64;
                (
                    Scope::Segment(SegmentId(i as u32)),
                    a.min(total),
                    b.min(total),
                )
            })
            .collect()
    };
    let mut channels = 0u16;
    let mut parts: Vec<(u64, Coordinator)> = Vec::new();
    for (scope, a, _) in &scopes {
        let graph = session::graph(&program, *scope)?;
        let c = Coordinator::new(
            program.clone(),
            s.sources.clone(),
            graph,
            EngineConfig {
                width: 1,
                height: 1,
                audio_block: 4096,
            },
        )
        .map_err(|e| session::engine_failure(e, &s.map))?;
        if c.audio().has_play() {
            let n = program
                .sinks
                .iter()
                .filter(|k| k.kind == weft_lang::ast::OutputKind::Play)
                .map(|k| k.values.len())
                .max()
                .unwrap_or(1);
            channels = channels.max(n as u16);
        }
        parts.push((*a, c));
    }
    if channels == 0 {
        let d = Diagnostic::spanless(
            Code::NoOutput,
            format!("{} has no `play` output to render", args.file.display()),
        );
        return Err(Failure::Program(render(&d, &s.map)));
    }
    let bytes = total.saturating_mul(u64::from(channels)).saturating_mul(4);
    if bytes > MAX_WAV_DATA {
        return Err(Failure::Usage(format!(
            "{duration} s at {rate} Hz in {channels} channel(s) is {:.1} GiB of samples; \
             a WAV file holds at most 4 GiB (shorten --duration or lower --rate)",
            bytes as f64 / f64::from(1u32 << 30)
        )));
    }
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    // Streamed to the temporary file block by block: memory stays one block,
    // whatever the duration.
    let staged = stage(&args.output, &s.reads)?;
    let fail = |e: hound::Error| cannot_write(&args.output, e.to_string());
    let mut w = hound::WavWriter::create(staged.path(), spec).map_err(fail)?;
    for ((_, a, b), (_, c)) in scopes.iter().zip(parts.iter_mut()) {
        let mut n = *a;
        while n < *b {
            let len = ((*b - n) as usize).min(4096);
            let has_play = c.audio().has_play();
            let block = c.render_audio(n, n - a, len, &uniforms);
            for k in 0..len {
                let (l, r) = if has_play {
                    (block[2 * k], block[2 * k + 1])
                } else {
                    (0.0, 0.0)
                };
                w.write_sample(l).map_err(fail)?;
                if channels == 2 {
                    w.write_sample(r).map_err(fail)?;
                }
            }
            n += len as u64;
        }
    }
    w.finalize().map_err(fail)?;
    staged
        .commit()
        .map_err(|e| cannot_write(&args.output, e.to_string()))
}
