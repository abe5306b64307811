//! `weft frame FILE [--time T] [--size WxH] [--backend auto|cpu|gpu] -o out.png`.

use crate::failure::{write_atomic, Failure};
use crate::session::{self, Inputs};
use std::path::PathBuf;
use weft_diagnostics::{render, Code, Diagnostic};
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_shader::{Display, FrameInputs, Gpu, GpuError};

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
    /// Who draws: the GPU when there is an adapter and it supports the program
    /// (`auto`, else the CPU with a note), always the CPU, or the GPU (`gpu`: no
    /// adapter is an error; a program it does not support is drawn on the CPU).
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    #[command(flatten)]
    inputs: Inputs,
}

/// Which backend draws pictures.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// The GPU when possible, else the CPU.
    Auto,
    /// The CPU kernels (the reference).
    Cpu,
    /// The GPU through wgpu.
    Gpu,
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
    let mut c = Coordinator::new(program.clone(), s.sources.clone(), graph, config)
        .map_err(|e| session::engine_failure(e, &s.map))?;
    if !c.visual().has_display() {
        let d = Diagnostic::spanless(
            Code::NoOutput,
            format!("{} has no `display` output to render", args.file.display()),
        );
        return Err(Failure::Program(render(&d, &s.map)));
    }
    let rgba = match args.backend {
        BackendChoice::Cpu => None,
        choice => match gpu_frame(&c, width, height, time, args.time, &uniforms) {
            Ok(rgba) => Some(rgba),
            Err(e @ (GpuError::NoAdapter | GpuError::Device { .. }))
                if choice == BackendChoice::Gpu =>
            {
                return Err(Failure::Io(e.to_string()));
            }
            Err(e) => {
                eprintln!("note: drawing on the CPU: {e}");
                None
            }
        },
    };
    let rgba = match rgba {
        Some(rgba) => rgba,
        None => c.render_frame(time, args.time, &uniforms).to_vec(),
    };
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

/// The display drawn on the GPU: the display kernel emitted as a shader, with the
/// coordinator's time conventions (`me@frame` from the program's fps).
fn gpu_frame(
    c: &Coordinator,
    width: u32,
    height: u32,
    time: f64,
    abstime: f64,
    uniforms: &Uniforms,
) -> Result<Vec<u8>, GpuError> {
    let (kernel, first, channels) =
        c.visual()
            .display_kernel()
            .ok_or(GpuError::Emit(weft_shader::EmitError::Unsupported(
                "a program without a display",
            )))?;
    // Support first: a program the GPU path cannot draw says so whatever the machine.
    let shader = weft_shader::emit(kernel, Display { first, channels })?;
    let mut gpu = Gpu::new()?;
    let inputs = FrameInputs {
        time,
        abstime,
        frame: (abstime * c.program().settings.fps()).floor(),
        uniforms: uniforms.as_slice(),
    };
    gpu.render_shader(&shader, width, height, &inputs)
}
