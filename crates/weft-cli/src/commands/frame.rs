//! `weft frame FILE [--time T] [--size WxH] [--backend auto|cpu|gpu] -o out.png`.

use crate::failure::{write_atomic, Failure};
use crate::session::{self, Drawing, Inputs};
use std::path::PathBuf;
use weft_diagnostics::{render, Code, Diagnostic};
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};

/// Arguments of `weft frame`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The program.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Time on the timeline, in seconds.
    #[arg(long, default_value = "0", value_parser = session::parse_finite)]
    time: f64,
    /// Frame size (default: the program's `me<width>`/`me<height>`, else 640x360).
    #[arg(long, value_parser = session::parse_size, value_name = "WxH")]
    size: Option<(u32, u32)>,
    /// Set a parameter: `name=value` (repeatable).
    #[arg(long = "param", value_name = "NAME=VALUE")]
    params: Vec<String>,
    /// Where to write the PNG.
    #[arg(short, long, value_name = "OUT.png")]
    output: PathBuf,
    #[command(flatten)]
    drawing: Drawing,
    #[command(flatten)]
    inputs: Inputs,
}

/// Renders one frame and writes it as PNG (atomically).
pub fn run(args: Args) -> Result<(), Failure> {
    let s = session::open(&args.file, &args.inputs)?;
    // Refused before any work: an output that is an input, a folder or a device.
    s.reads
        .check(&args.output)
        .map_err(|e| crate::failure::cannot_write(&args.output, e.to_string()))?;
    let program = &s.program;
    let mut uniforms = Uniforms::new(program);
    for p in &args.params {
        for (name, v) in
            super::eval::parse_pairs(p).map_err(|e| Failure::Usage(format!("--param: {e}")))?
        {
            if !uniforms.set_param(program, &name, v) {
                return Err(Failure::Usage(format!("no parameter `{name}`")));
            }
        }
    }
    let (scope, time) = session::locate(program, args.time);
    let graph = session::graph(program, scope)?;
    let (width, height) = args.size.unwrap_or_else(|| program.settings.size());
    let config = EngineConfig {
        width,
        height,
        audio_block: 64,
    };
    let painter = args.drawing.open()?;
    let mut c =
        Coordinator::with_painter(program.clone(), s.sources.clone(), graph, config, &painter)
            .map_err(|e| session::engine_failure(e, &s.map))?;
    if !c.visual().has_display() {
        let d = Diagnostic::spanless(
            Code::NoOutput,
            format!("{} has no `display` output to render", args.file.display()),
        );
        return Err(Failure::Program(render(&d, &s.map)));
    }
    let rgba = c.render_frame(time, args.time, &uniforms).to_vec();
    if let Some(w) = session::fallback_warning(&c.visual().drawn_by(), &s.map) {
        crate::failure::err(&w);
    }
    write_atomic(&args.output, &s.reads, |tmp| {
        image::save_buffer_with_format(
            tmp,
            &rgba,
            width,
            height,
            image::ExtendedColorType::Rgba8,
            image::ImageFormat::Png,
        )
        .map_err(|e| e.to_string())
    })
}
