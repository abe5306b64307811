//! A hot swap on the GPU backend compiles only the shaders it changes: the
//! batches whose code is the same keep their pipelines (counted on the device),
//! and the frames stay equal to the CPU's.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_engine::visual::{DrawnBy, Painter};
use weft_graph::Scope;
use weft_lang::ir::Program;
use weft_shader::GpuDevice;
use weft_sources::{SourceOptions, SourceSet};

const CONFIG: EngineConfig = EngineConfig {
    width: 16,
    height: 9,
    audio_block: 64,
};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance/sources/assets")
}

/// Two visual batches around an audio one: the picture's red channel is a strand
/// batch 1 materializes for batch 3, which draws the display (see
/// `tests/conformance/sampling/cross_backend.weft`); `blue` is the display's last
/// channel, so an edit of it changes batch 3 alone.
fn program(dir: &Path, blue: &str) -> (Arc<Program>, Arc<SourceSet>) {
    let a = assets();
    let text = format!(
        "pic<r, g, b, a> = load(\"{}\")\nsnd<l, r> = sample(\"{}\")\nseen<v> = snd@l[me@time ~ me@x]\nheard<v> = pic@g[me@x ~ me@time * 100, me@y ~ 0.25]\ndisplay(seen@v, pic@r, {blue})\nplay(heard@v)\n",
        a.join("quad.png").display(),
        a.join("stereo_f32.wav").display(),
    );
    let path = dir.join("piece.weft");
    std::fs::write(&path, text).expect("writing the program");
    let built = weft_lang::build_program(&path, &weft_lang::BuildOptions).expect("reading");
    assert!(
        !weft_diagnostics::has_errors(&built.diagnostics),
        "{:?}",
        built.diagnostics
    );
    let program = Arc::new(built.program.expect("a program"));
    let (sources, found) = SourceSet::load(&program, &SourceOptions::default());
    assert!(!weft_diagnostics::has_errors(&found), "{found:?}");
    (program, Arc::new(sources))
}

fn frame(c: &mut Coordinator, program: &Program) -> Vec<u8> {
    c.render_frame(0.3, 0.3, &Uniforms::new(program)).to_vec()
}

#[test]
fn a_swap_compiles_only_the_changed_batch() {
    let Some(device) = common::adapter_or_skip(GpuDevice::open(), "drawing") else {
        return;
    };
    let device = Arc::new(device);
    let painter = Painter::Device(device.clone());
    let dir = tempfile::tempdir().expect("temp dir");
    let (p1, s1) = program(dir.path(), "0");
    let graph = |p: &Program| weft_graph::build(p, Scope::Main).expect("graph");
    let mut gpu = Coordinator::with_painter(p1.clone(), s1.clone(), graph(&p1), CONFIG, &painter)
        .expect("builds");
    assert!(
        matches!(gpu.visual().drawn_by(), DrawnBy::Gpu(_)),
        "{}",
        gpu.visual().drawn_by()
    );
    assert_eq!(gpu.graph().batches.len(), 3, "visual, audio, visual");
    let first = frame(&mut gpu, &p1);
    let (compiled, uploaded) = device.counts();
    assert_eq!(compiled, 2, "one pipeline per visual batch");
    assert_eq!(uploaded, 2, "each visual batch's sources, once");

    // The display's blue channel: batch 3 only.
    let (p2, s2) = program(dir.path(), "me@y");
    let report = gpu.swap(p2.clone(), s2.clone(), graph(&p2)).expect("swaps");
    assert_eq!(report.batches_kept, 2, "{report:?}");
    let second = frame(&mut gpu, &p2);
    assert_eq!(
        device.counts().0,
        compiled + 1,
        "only the display's pipeline is new"
    );
    assert_ne!(first, second);

    // Back and forth: every shader is one the device has seen.
    gpu.swap(p1.clone(), s1.clone(), graph(&p1))
        .expect("swaps back");
    assert_eq!(frame(&mut gpu, &p1), first);
    gpu.swap(p2.clone(), s2.clone(), graph(&p2))
        .expect("swaps again");
    assert_eq!(device.counts().0, compiled + 1, "nothing compiled twice");

    // And the GPU's frame is the CPU's, within one step per channel.
    let mut cpu = Coordinator::new(p2.clone(), s2, graph(&p2), CONFIG).expect("builds");
    let reference = frame(&mut cpu, &p2);
    let now = frame(&mut gpu, &p2);
    let worst = reference
        .iter()
        .zip(&now)
        .map(|(a, b)| a.abs_diff(*b))
        .max();
    assert!(worst <= Some(1), "largest difference {worst:?}");
}

/// Frames drawn ahead (a render's order: each frame starts the next) are the
/// frames drawn one by one, and asking for another frame than the one queued
/// still gives the frame asked for.
#[test]
fn frames_drawn_ahead_are_the_frames_asked_for() {
    let Some(device) = common::adapter_or_skip(GpuDevice::open(), "drawing") else {
        return;
    };
    let device = Arc::new(device);
    let painter = Painter::Device(device);
    let dir = tempfile::tempdir().expect("temp dir");
    let (p, s) = program(dir.path(), "fract(me@time * 3)");
    let graph = weft_graph::build(&p, Scope::Main).expect("graph");
    let build = || {
        Coordinator::with_painter(p.clone(), s.clone(), graph.clone(), CONFIG, &painter)
            .expect("builds")
    };
    let (mut one, mut ahead) = (build(), build());
    let u = Uniforms::new(&p);
    let times: Vec<f64> = (0..6).map(|n| n as f64 / 7.0).collect();
    for (n, &t) in times.iter().enumerate() {
        let want = one.render_frame(t, t, &u).to_vec();
        let next = times.get(n + 1).map(|&t| (t, t));
        let got = ahead.render_frame_ahead(t, t, next, &u).to_vec();
        assert_eq!(got, want, "frame {n}");
    }
    // The frame queued was for t = 0.5; t = 0.25 is asked for instead.
    ahead.render_frame_ahead(0.0, 0.0, Some((0.5, 0.5)), &u);
    let want = one.render_frame(0.25, 0.25, &u).to_vec();
    assert_eq!(ahead.render_frame(0.25, 0.25, &u), &want[..]);
    assert!(matches!(ahead.visual().drawn_by(), DrawnBy::Gpu(_)));
}
