//! The pipeline every command shares: read and build the program, load its sources,
//! build its graph, render diagnostics once, and locate times on the timeline.

use crate::failure::Failure;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_diagnostics::{has_errors, render_all, Code, Diagnostic, SourceMap};
use weft_engine::visual::{DrawnBy, Painter};
use weft_files::ReadFiles;
use weft_graph::Scope;
use weft_lang::ir::{Program, SegmentId};
use weft_shader::BackendChoice;
use weft_sources::{SourceOptions, SourceSet};

/// Options shared by the commands that run a program.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Inputs {
    /// WAV file that `mic()` plays (default: silence, with a warning).
    #[arg(long, value_name = "FILE")]
    pub mic: Option<PathBuf>,
    /// Image or video that `camera()` shows (default: black, with a warning).
    #[arg(long, value_name = "FILE")]
    pub camera: Option<PathBuf>,
}

/// `--backend`, shared by the commands that draw pictures.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Drawing {
    /// What draws pictures: `auto` (the GPU when wgpu finds an adapter, Mesa's
    /// lavapipe included, else the CPU with one note), `cpu` (the reference), or
    /// `gpu` (no adapter is an error naming what to install, exit 3). A program the
    /// GPU cannot draw is drawn on the CPU with warning W0802.
    #[arg(long, value_enum, default_value_t = BackendArg::Auto)]
    pub backend: BackendArg,
}

/// The values of `--backend`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BackendArg {
    /// The GPU when there is an adapter, else the CPU.
    #[default]
    Auto,
    /// The CPU kernels (the reference).
    Cpu,
    /// The GPU through wgpu.
    Gpu,
}

impl Drawing {
    /// Opens what draws pictures, printing the note `auto` gives when it falls
    /// back to the CPU.
    pub fn open(&self) -> Result<Painter, Failure> {
        let choice = match self.backend {
            BackendArg::Auto => BackendChoice::Auto,
            BackendArg::Cpu => BackendChoice::Cpu,
            BackendArg::Gpu => BackendChoice::Gpu,
        };
        let (painter, note) = choice.open().map_err(|e| Failure::Io(e.to_string()))?;
        if let Some(note) = note {
            crate::failure::err(&format!("note: {note}\n"));
        }
        Ok(painter)
    }
}

/// Warning W0802 when a device was chosen but the CPU draws, at the statement the
/// device could not draw when there is one.
pub fn fallback_warning(drawn_by: &DrawnBy, map: &SourceMap) -> Option<String> {
    let DrawnBy::Fallback { reason, span } = drawn_by else {
        return None;
    };
    let message = format!("drawn on the CPU: {reason}");
    let d = match span {
        Some(span) => Diagnostic::warning(Code::CpuFallback, *span, message),
        None => Diagnostic {
            severity: weft_diagnostics::Severity::Warning,
            ..Diagnostic::spanless(Code::CpuFallback, message)
        },
    };
    Some(render_all(&[d], map))
}

/// A program ready to run.
pub struct Session {
    pub program: Arc<Program>,
    pub sources: Arc<SourceSet>,
    pub map: SourceMap,
    /// Every file the program was built from: no output may replace one.
    pub reads: ReadFiles,
    /// Rendered warnings (empty when there are none), already printed by [`open`].
    pub warnings: String,
}

/// Builds the program at `path`, printing warnings; errors become a failure.
pub fn open(path: &Path, inputs: &Inputs) -> Result<Session, Failure> {
    let s = open_quiet(path, inputs)?;
    if !s.warnings.is_empty() {
        crate::failure::err(&s.warnings);
    }
    Ok(s)
}

/// [`open`] without printing the warnings (a full-screen UI shows them itself).
pub fn open_quiet(path: &Path, inputs: &Inputs) -> Result<Session, Failure> {
    let built = weft_lang::build_program(path, &weft_lang::BuildOptions)
        .map_err(|e| Failure::Io(e.to_string()))?;
    let mut diagnostics: Vec<Diagnostic> = built.diagnostics;
    let map = built.sources;
    let Some(program) = built.program.filter(|_| !has_errors(&diagnostics)) else {
        return Err(Failure::Program(render_all(&diagnostics, &map)));
    };
    if let Err(errors) = weft_graph::build(&program, Scope::Main) {
        diagnostics.extend(errors.iter().map(|e| e.to_diagnostic()));
        return Err(Failure::Program(render_all(&diagnostics, &map)));
    }
    let options = SourceOptions {
        mic: inputs.mic.clone(),
        camera: inputs.camera.clone(),
        ..SourceOptions::default()
    };
    let (sources, source_diags) = SourceSet::load(&program, &options);
    diagnostics.extend(source_diags);
    if has_errors(&diagnostics) {
        return Err(Failure::Program(render_all(&diagnostics, &map)));
    }
    let warnings = if diagnostics.is_empty() {
        String::new()
    } else {
        render_all(&diagnostics, &map)
    };
    let mut reads = ReadFiles::new(map.files().map(|(_, f)| f.path.clone()));
    for p in program.sources.iter().filter_map(|s| s.path.as_ref()) {
        reads.push(p.clone());
    }
    for p in [&inputs.mic, &inputs.camera].into_iter().flatten() {
        reads.push(p.clone());
    }
    Ok(Session {
        program: Arc::new(program),
        sources: Arc::new(sources),
        map,
        reads,
        warnings,
    })
}

/// Sets each `name=value` of `params` (the `--param` arguments) as the
/// parameter's value for the whole run, clamped to its range: the program's
/// default, so everything keyed on the program (render chunk keys) covers it.
pub fn set_params(program: &mut Program, params: &[String]) -> Result<(), Failure> {
    for p in params {
        let pairs = crate::commands::eval::parse_pairs(p)
            .map_err(|e| Failure::Usage(format!("--param: {e}")))?;
        for (name, v) in pairs {
            let id = program
                .find_param(&name)
                .ok_or_else(|| Failure::Usage(format!("no parameter `{name}`")))?;
            let param = &mut program.params[id.0 as usize];
            param.default = v.clamp(param.min, param.max);
        }
    }
    Ok(())
}

/// Every file a build of `path` reads: the root, the files reached by `use`
/// (as far as the build got, when it fails) and the data files it loads. What a
/// watcher follows to rebuild on any edit.
pub fn files_read(path: &Path) -> Vec<PathBuf> {
    let Ok(built) = weft_lang::build_program(path, &weft_lang::BuildOptions) else {
        return vec![path.to_path_buf()];
    };
    let mut files = built.files;
    if let Some(p) = &built.program {
        files.extend(p.sources.iter().filter_map(|s| s.path.clone()));
    }
    files
}

/// Where a timeline time falls: the scope that plays then and `me@time` there
/// (the live engine's rule, so `weft frame` shows what `weft run` plays).
pub fn locate(program: &Program, t: f64) -> (Scope, f64) {
    let (i, local) = program.locate(t);
    if program.segments.is_empty() {
        (Scope::Main, local)
    } else {
        (Scope::Segment(SegmentId(i as u32)), local)
    }
}

/// Length of the timeline when the program has segments.
pub fn timeline_length(program: &Program) -> Option<f64> {
    program.segments.last().map(|s| s.start + s.duration)
}

/// A failure of the engine: one the program causes (it exceeds a kernel's size
/// budget) as its rendered diagnostic, any other as an error line.
pub fn engine_failure(e: weft_engine::backend::EngineError, map: &SourceMap) -> Failure {
    if let weft_engine::backend::EngineError::Build(b) = &e {
        if let Some(d) = b.to_diagnostic() {
            return Failure::Program(weft_diagnostics::render(&d, map));
        }
    }
    Failure::Program(format!("error: {e}"))
}

/// The graph of a scope (the program was checked for cycles already).
pub fn graph(program: &Program, scope: Scope) -> Result<weft_graph::Graph, Failure> {
    weft_graph::build(program, scope).map_err(|e| {
        Failure::Program(
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        )
    })
}

/// Parses `WxH`.
pub fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("invalid size `{s}`: expected WIDTHxHEIGHT, such as 640x360"))?;
    let parse = |v: &str| -> Result<u32, String> {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=16384).contains(n))
            .ok_or_else(|| {
                format!("invalid size `{s}`: each side must be a whole number from 1 to 16384")
            })
    };
    Ok((parse(w)?, parse(h)?))
}

/// Parses a finite number argument.
pub fn parse_finite(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("`{s}` is not a finite number"))
}
