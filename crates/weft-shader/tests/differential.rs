//! The GPU path checked against its reference, as a JIT against its interpreter:
//! every conformance program with a display (`tests/conformance/**/*.weft`, the
//! libraries under `lib/` aside) is drawn by the CPU visual backend and by the
//! shader on a small grid at a few times, and the two frames must agree within
//! one step per 8-bit channel (the tolerance `docs/language.md` states). A program
//! the shader path does not support yet (sources, reads of other batches) is
//! counted and listed, not failed. Emitting needs no adapter, so every display's
//! WGSL is validated by naga on any machine; drawing needs one: without it the
//! test says so in one line and passes, unless `WEFT_REQUIRE_GPU` is set.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_shader::{Display, EmitError, FrameInputs, Gpu, GpuError};
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
    scopes: Vec<Coordinator>,
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
    for scope in Scope::all(&program) {
        let graph = weft_graph::build(&program, scope).ok()?;
        let config = EngineConfig {
            width: SIZE.0,
            height: SIZE.1,
            audio_block: 64,
        };
        let c = Coordinator::new(program.clone(), sources.clone(), graph, config).ok()?;
        if c.visual().has_display() {
            scopes.push(c);
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
        scopes,
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

#[test]
fn gpu_frames_match_the_cpu_within_one_step() {
    let mut gpu = match Gpu::new() {
        Ok(g) => g,
        Err(e @ GpuError::NoAdapter) => {
            println!("skipped: {e}");
            assert!(
                std::env::var_os("WEFT_REQUIRE_GPU").is_none(),
                "WEFT_REQUIRE_GPU is set and {e}"
            );
            return;
        }
        Err(e) => panic!("{e}"),
    };
    println!("adapter: {}", gpu.adapter());
    let (mut compared, mut worst) = (0usize, 0u8);
    let mut unsupported = Vec::new();
    let mut failures = Vec::new();
    let mut divergent = Vec::new();
    for mut case in all_cases() {
        let fps = case.program.settings.fps();
        let uniforms = Uniforms::new(&case.program);
        for c in &mut case.scopes {
            let (kernel, display) = display_of(c);
            for t in TIMES {
                let cpu = c.render_frame(t, t, &uniforms).to_vec();
                let inputs = FrameInputs {
                    time: t,
                    abstime: t,
                    frame: (t * fps).floor(),
                    uniforms: uniforms.as_slice(),
                };
                let got = match gpu.render(&kernel, display, SIZE.0, SIZE.1, &inputs) {
                    Ok(f) => f,
                    Err(GpuError::Emit(EmitError::Unsupported(why))) => {
                        unsupported.push(format!("{} ({why})", case.name));
                        break;
                    }
                    Err(e) => panic!("{}: {e}", case.name),
                };
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
    unsupported.dedup();
    println!(
        "{compared} frames compared, largest difference within tolerance {worst}; {} unsupported: {}",
        unsupported.len(),
        unsupported.join(", ")
    );
    for d in &divergent {
        println!("known divergence: {d}");
    }
    assert!(compared > 20, "only {compared} frames compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Same kernels, same shaders: drawing again compiles nothing new.
    let before = gpu.pipelines_compiled();
    for case in all_cases().iter().take(5) {
        for c in &case.scopes {
            let (kernel, display) = display_of(c);
            let inputs = FrameInputs {
                time: 0.5,
                abstime: 0.5,
                frame: 0.0,
                uniforms: &[0.25; 8],
            };
            let _ = gpu.render(&kernel, display, 4, 3, &inputs);
        }
    }
    assert_eq!(
        gpu.pipelines_compiled(),
        before,
        "a cached pipeline was rebuilt"
    );
}
