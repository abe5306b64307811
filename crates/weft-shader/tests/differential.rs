//! The GPU path checked against its reference, as a JIT against its interpreter:
//! every conformance program with a display (`tests/conformance/**/*.weft`, the
//! libraries under `lib/` aside) is drawn by the CPU visual backend and by the GPU
//! visual backend on a small grid at a few times, and the two frames must agree
//! within one step per 8-bit channel (the tolerance `docs/language.md` states);
//! none may fall back to the CPU. Emitting needs no adapter, so every display's
//! WGSL is validated by naga on any machine; drawing needs one: without it the
//! test says so in one line and passes, unless `WEFT_REQUIRE_GPU` is set.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_engine::visual::{DrawnBy, Painter};
use weft_graph::Graph;
use weft_graph::Scope;
use weft_shader::{Display, EmitError, GpuDevice};
use weft_sources::{SourceOptions, SourceSet};

/// Most an 8-bit channel may differ between the two paths.
const TOLERANCE: u8 = 1;
const SIZE: (u32, u32) = (19, 11);
const TIMES: [f64; 3] = [0.0, 0.37, 1.25];

/// Programs whose frames may differ by more, each with why (`docs/language.md`
/// names these cases too); they are drawn and reported, not failed.
const DIVERGENT: &[(&str, &str)] = &[(
    "builtins/hash.weft",
    "hash of values not exact in f32 (me@x * 100 + me@y): other bits, another value",
)];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("conformance folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if p.file_name().is_some_and(|n| n != "lib") {
                cases(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "weft") {
            out.push(p);
        }
    }
}

/// A conformance program that builds cleanly, with one coordinator per scope that
/// has a display.
struct Case {
    name: String,
    program: Arc<weft_lang::ir::Program>,
    sources: Arc<SourceSet>,
    /// CPU coordinators, one per scope with a display.
    scopes: Vec<Coordinator>,
    /// The graph of each of those scopes.
    graphs: Vec<Graph>,
}

fn config() -> EngineConfig {
    EngineConfig {
        width: SIZE.0,
        height: SIZE.1,
        audio_block: 64,
    }
}

fn load(path: &Path) -> Option<Case> {
    let built = weft_lang::build_program(path, &weft_lang::BuildOptions).ok()?;
    if weft_diagnostics::has_errors(&built.diagnostics) {
        return None;
    }
    let program = Arc::new(built.program?);
    weft_graph::build(&program, Scope::Main).ok()?;
    let (sources, found) = SourceSet::load(&program, &SourceOptions::default());
    if weft_diagnostics::has_errors(&found) {
        return None;
    }
    let sources = Arc::new(sources);
    let mut scopes = Vec::new();
    let mut graphs = Vec::new();
    for scope in Scope::all(&program) {
        let graph = weft_graph::build(&program, scope).ok()?;
        let c = Coordinator::new(program.clone(), sources.clone(), graph.clone(), config()).ok()?;
        if c.visual().has_display() {
            scopes.push(c);
            graphs.push(graph);
        }
    }
    let name = path
        .strip_prefix(root())
        .or_else(|_| path.strip_prefix(env!("CARGO_MANIFEST_DIR")))
        .unwrap_or(path)
        .display()
        .to_string();
    Some(Case {
        name,
        program,
        sources,
        scopes,
        graphs,
    })
}

fn all_cases() -> Vec<Case> {
    let mut paths = Vec::new();
    cases(&root(), &mut paths);
    assert!(paths.len() > 50, "conformance programs not found");
    cases(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/programs"),
        &mut paths,
    );
    paths
        .iter()
        .filter_map(|p| load(p))
        .filter(|c| !c.scopes.is_empty())
        .collect()
}

fn display_of(c: &Coordinator) -> (Arc<weft_kernel::Kernel>, Display) {
    let (k, first, channels) = c.visual().display_kernel().expect("display");
    (k.clone(), Display { first, channels })
}

#[test]
fn every_display_emits_wgsl_that_naga_validates_or_is_refused_by_type() {
    let mut emitted = 0;
    let mut unsupported = Vec::new();
    for case in all_cases() {
        for c in &case.scopes {
            let (kernel, display) = display_of(c);
            match weft_shader::emit(&kernel, display) {
                Ok(_) => emitted += 1,
                Err(EmitError::Unsupported(why)) => {
                    unsupported.push(format!("{} ({why})", case.name))
                }
                Err(e) => panic!("{}: {e}", case.name),
            }
        }
    }
    println!(
        "{emitted} displays emitted, {} unsupported: {}",
        unsupported.len(),
        unsupported.join(", ")
    );
    assert!(emitted > 20, "only {emitted} displays emitted");
}

/// The GPU device, or `None` (after one line) on a machine without an adapter.
fn device() -> Option<Arc<GpuDevice>> {
    common::adapter_or_skip(GpuDevice::open(), "drawing").map(Arc::new)
}

/// A coordinator for the scope `graph` of a case, drawing with `painter`.
fn gpu_coordinator(
    program: &Arc<weft_lang::ir::Program>,
    sources: &Arc<SourceSet>,
    graph: &Graph,
    painter: &Painter,
) -> Coordinator {
    Coordinator::with_painter(
        program.clone(),
        sources.clone(),
        graph.clone(),
        config(),
        painter,
    )
    .expect("the GPU coordinator builds whatever the CPU one builds")
}

/// Every scope of every case drawn by the GPU backend (a coordinator with the
/// device's painter, so multi-batch programs, getters and sources are the
/// backend's own) and by the CPU, frame by frame.
#[test]
fn gpu_frames_match_the_cpu_within_one_step() {
    let Some(device) = device() else { return };
    let painter = Painter::Device(device.clone());
    println!("adapter: {}", painter.describe());
    let (mut compared, mut worst) = (0usize, 0u8);
    let mut fell_back = Vec::new();
    let mut failures = Vec::new();
    let mut divergent = Vec::new();
    for mut case in all_cases() {
        let uniforms = Uniforms::new(&case.program);
        for (c, graph) in case.scopes.iter_mut().zip(&case.graphs) {
            let mut g = gpu_coordinator(&case.program, &case.sources, graph, &painter);
            // The device builds its pipelines at the first frame: a program it
            // cannot draw falls back there.
            g.render_frame(TIMES[0], TIMES[0], &uniforms);
            if let DrawnBy::Fallback { reason, .. } = g.visual().drawn_by() {
                fell_back.push(format!("{} ({reason})", case.name));
                continue;
            }
            for t in TIMES {
                let cpu = c.render_frame(t, t, &uniforms).to_vec();
                let got = g.render_frame(t, t, &uniforms).to_vec();
                assert!(
                    matches!(g.visual().drawn_by(), DrawnBy::Gpu(_)),
                    "{}: {}",
                    case.name,
                    g.visual().drawn_by()
                );
                assert_eq!(got.len(), cpu.len());
                compared += 1;
                let bad = cpu.iter().zip(&got).enumerate().find_map(|(i, (a, b))| {
                    let d = a.abs_diff(*b);
                    worst = worst.max(d.min(TOLERANCE));
                    (d > TOLERANCE).then(|| {
                        let px = i / 4;
                        format!(
                            "{} t={t}: pixel ({},{}) channel {}: cpu {a}, gpu {b}",
                            case.name,
                            px % SIZE.0 as usize,
                            px / SIZE.0 as usize,
                            i % 4
                        )
                    })
                });
                match DIVERGENT.iter().find(|(n, _)| *n == case.name) {
                    Some((_, why)) => divergent.extend(bad.map(|b| format!("{b} ({why})"))),
                    None => failures.extend(bad),
                }
            }
        }
    }
    println!(
        "{compared} frames compared, largest difference within tolerance {worst}; {} drawn on the CPU: {}",
        fell_back.len(),
        fell_back.join(", ")
    );
    for d in &divergent {
        println!("known divergence: {d}");
    }
    assert!(compared > 20, "only {compared} frames compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        fell_back.is_empty(),
        "every conformance display draws on the GPU: {}",
        fell_back.join(", ")
    );
}

/// Same kernels, same shaders: building the same programs again compiles no
/// pipeline and uploads no source.
#[test]
fn rebuilding_compiles_no_new_pipeline() {
    let Some(device) = device() else { return };
    let painter = Painter::Device(device.clone());
    let cases = all_cases();
    let build = |case: &Case| {
        for graph in &case.graphs {
            let mut g = gpu_coordinator(&case.program, &case.sources, graph, &painter);
            let uniforms = Uniforms::new(&case.program);
            g.render_frame(0.5, 0.5, &uniforms);
        }
    };
    for case in &cases {
        build(case);
    }
    let before = device.counts();
    for case in &cases {
        build(case);
    }
    assert_eq!(
        device.counts(),
        before,
        "a cached pipeline or source was rebuilt"
    );
}

/// Every display translates to GLSL ES 3.00 for the browser, one batch or many
/// (strands of earlier batches computed again where they are read); naga's
/// writer refusing one is an internal error, never a panic.
#[test]
fn every_display_translates_to_glsl_es() {
    let (mut translated, mut refused) = (0, Vec::new());
    for case in all_cases() {
        for c in &case.scopes {
            let (kernel, display) = display_of(c);
            match weft_shader::glsl::emit(&kernel, display, &[], &c.visual().strands()) {
                Ok(w) => {
                    assert!(w.fragment.starts_with("#version 300 es"), "{}", case.name);
                    translated += 1;
                }
                Err(EmitError::Unsupported(why)) => refused.push(format!("{} ({why})", case.name)),
                Err(e) => panic!("{}: {e}", case.name),
            }
        }
    }
    assert!(
        refused.is_empty(),
        "not for the browser: {}",
        refused.join(", ")
    );
    assert!(translated > 30, "only {translated}");
}
