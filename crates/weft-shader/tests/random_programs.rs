//! The GPU path checked against its reference on random well-formed programs, as
//! Cranelift checks its JIT against its interpreter: proptest draws programs
//! (`random_programs/program.rs`: `me@x`, `me@y`, `me@time`, finite constants,
//! every operator and builtin function, remaps of any coordinate, up to three
//! instances of one or two outputs reading earlier ones, a display of one or
//! three channels), and each is drawn by the CPU visual backend
//! (`Coordinator::render_frame`, f64) and by the shader (`weft_shader::emit` on
//! the display kernel, then the GPU, f32) on a 12×10 grid at three times.
//!
//! The rule: at every *settled* pixel the two frames agree within one step per
//! 8-bit channel, the tolerance `docs/language.md` states. f32 and f64 may
//! legitimately give different pictures where a discontinuous operation
//! (`floor`, `%`, comparisons, `select` …) has its input at a boundary, or where a
//! chain of operations amplifies rounding. The generator avoids the second by
//! construction: guards keep every operation well-conditioned and every value
//! bounded (see `program.rs`). For the first, a model of the program
//! (`random_programs/model.rs`: the same expression in f64 and on an ideal f32
//! machine) marks as unsettled the pixels where an input of a discontinuous
//! operation comes within 1e-3 of a boundary (unless both sides surely see the
//! same bits there), or where the ideal f32 display value is already 0.05 step
//! from the f64 one. The marks come from the program alone, never from either
//! frame, so a wrong emitter still fails at every other pixel (breaking `Sub`,
//! `Floor`, `Rem` or `Select` in `wgsl.rs` fails within a few programs and
//! shrinks to a two-line program); the run prints how many pixels were unsettled
//! (about 7%) and fails if more than half were over at least 20 programs (a
//! generator drifting into untestable programs). At settled pixels the model must
//! also agree with the CPU frame, so the marks describe the program drawn.
//!
//! Not covered here: NaN and infinities (the guards keep values finite;
//! `tests/programs/semantics.weft` covers them), `hash` of values not exact in
//! f32 (another value by design), sources and parameters.
//!
//! `PROPTEST_CASES` sets the number of programs (96 by default). A failing case is
//! shrunk and reported as its source text. Emitting needs no adapter, so every
//! program's WGSL is validated by naga on any machine; drawing needs one: without
//! it the test says so in one line and passes, unless `WEFT_REQUIRE_GPU` is set.

mod common;
#[path = "random_programs/model.rs"]
mod model;
#[path = "random_programs/program.rs"]
mod program;

use proptest::test_runner::{Config, TestCaseError, TestError, TestRunner};
use std::cell::RefCell;
use std::path::Path;
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_shader::{Display, FrameInputs, Gpu};
use weft_sources::{SourceOptions, SourceSet};

/// Most an 8-bit channel may differ between the two paths.
const TOLERANCE: u8 = 1;
/// Both sides cut a workgroup of 8×8; no pixel centre has `x == y`, `x == 0.5`
/// or `y == 0.5` (a comparison there would settle nothing).
const SIZE: (u32, u32) = (12, 10);
/// Away from 0, where `sin`, `tan`, `sqrt` … of `me@time` are zeros the shader
/// need not give exactly, and a comparison with them would settle nothing.
const TIMES: [f64; 3] = [0.3, 0.85, 1.6];
const DEFAULT_CASES: u32 = 96;

/// Figures of a run, printed at the end.
#[derive(Default, Debug)]
struct Tally {
    programs: usize,
    instructions: usize,
    largest: usize,
    pixels: usize,
    unsettled: usize,
    worst: u8,
}

/// A coordinator drawing `text` on the CPU, with the program's uniforms and frame rate.
fn build(text: &str) -> Result<(Coordinator, Uniforms, f64), String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/random.weft");
    let built = weft_lang::build_source(&path, text);
    if weft_diagnostics::has_errors(&built.diagnostics) {
        return Err(format!(
            "the generator wrote an ill-formed program:\n{}",
            weft_diagnostics::render_all(&built.diagnostics, &built.sources)
        ));
    }
    let program = Arc::new(built.program.ok_or("no program")?);
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let graph = weft_graph::build(&program, Scope::Main).map_err(|e| format!("{e:?}"))?;
    let config = EngineConfig {
        width: SIZE.0,
        height: SIZE.1,
        audio_block: 64,
    };
    let (uniforms, fps) = (Uniforms::new(&program), program.settings.fps());
    let c =
        Coordinator::new(program, Arc::new(sources), graph, config).map_err(|e| e.to_string())?;
    Ok((c, uniforms, fps))
}

/// Draws `p` both ways and compares the settled pixels.
fn check(p: &program::Program, gpu: Option<&mut Gpu>, tally: &mut Tally) -> Result<(), String> {
    let (mut cpu, uniforms, fps) = build(&p.text)?;
    let (kernel, first, channels) = cpu.visual().display_kernel().ok_or("no display kernel")?;
    let (kernel, display) = (kernel.clone(), Display { first, channels });
    let shader = weft_shader::emit(&kernel, display).map_err(|e| e.to_string())?;
    tally.programs += 1;
    tally.instructions += kernel.instrs().len();
    tally.largest = tally.largest.max(kernel.instrs().len());
    let Some(gpu) = gpu else { return Ok(()) };
    let mut failures = Vec::new();
    for t in TIMES {
        let want = cpu.render_frame(t, t, &uniforms).to_vec();
        let inputs = FrameInputs {
            time: t,
            abstime: t,
            frame: (t * fps).floor(),
            uniforms: uniforms.as_slice(),
        };
        let got = gpu
            .render_shader(&shader, SIZE.0, SIZE.1, &inputs)
            .map_err(|e| e.to_string())?;
        for j in 0..SIZE.1 {
            for i in 0..SIZE.0 {
                let px = model::pixel(p, i, j, SIZE, t);
                tally.pixels += 1;
                if px.unsettled {
                    tally.unsettled += 1;
                    continue;
                }
                let at = 4 * (j * SIZE.0 + i) as usize;
                for ch in 0..3 {
                    let (c, g) = (want[at + ch], got[at + ch]);
                    let m = model::to_u8(px.channels[ch]);
                    if c.abs_diff(m) > TOLERANCE {
                        return Err(format!(
                            "the model disagrees with the CPU at t={t} pixel ({i},{j}) channel {ch}: model {m}, cpu {c} (a test bug)"
                        ));
                    }
                    let d = c.abs_diff(g);
                    if d > TOLERANCE {
                        failures.push(format!(
                            "t={t} pixel ({i},{j}) channel {ch}: cpu {c}, gpu {g}"
                        ));
                    } else {
                        tally.worst = tally.worst.max(d);
                    }
                }
            }
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        let n = failures.len();
        failures.truncate(4);
        Err(format!(
            "{n} channels differ, first: {}",
            failures.join("; ")
        ))
    }
}

#[test]
fn random_programs_draw_alike_on_the_gpu_and_the_cpu() {
    let gpu = common::adapter_or_skip(Gpu::new(), "drawing (emitting and validating only)");
    if let Some(g) = &gpu {
        println!("adapter: {}", g.adapter());
    }
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let defaults = Config::default();
    let config = Config {
        cases,
        // Shrinking is cheap (tiny shaders): shrink far, unless told otherwise.
        max_shrink_iters: match std::env::var_os("PROPTEST_MAX_SHRINK_ITERS") {
            Some(_) => defaults.max_shrink_iters,
            None => 4096,
        },
        failure_persistence: None,
        ..defaults
    };
    let gpu = RefCell::new(gpu);
    let tally = RefCell::new(Tally::default());
    let started = std::time::Instant::now();
    let result = TestRunner::new(config).run(&program::programs(), |p| {
        let mut gpu = gpu.borrow_mut();
        check(&p, gpu.as_mut(), &mut tally.borrow_mut()).map_err(TestCaseError::fail)
    });
    let t = tally.into_inner();
    if gpu.borrow().is_some() {
        println!(
            "{} programs (shrinking included; {} kernel instructions on average, {} at most), {} pixels drawn, {} unsettled, largest difference within tolerance {}, {:.1} s",
            t.programs,
            t.instructions / t.programs.max(1),
            t.largest,
            t.pixels,
            t.unsettled,
            t.worst,
            started.elapsed().as_secs_f64()
        );
    }
    match result {
        Ok(()) => {}
        Err(TestError::Fail(why, p)) => {
            panic!("{why}\nminimal failing program:\n{}", p.text)
        }
        Err(TestError::Abort(why)) => panic!("{why}"),
    }
    assert!(
        t.programs < 20 || t.unsettled * 2 <= t.pixels,
        "{} of {} pixels unsettled: the generator drifted",
        t.unsettled,
        t.pixels
    );
}
