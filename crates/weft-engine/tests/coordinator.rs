//! The coordinator wires every cross-batch read once, at compile time: executing
//! frames and audio blocks afterwards performs no registry look-up at all. The
//! program is the seed's cross-backend example (audio → visual → audio), whose
//! wiring needs both kinds of reference: a direct buffer (audio batch 1 read by
//! audio batch 3 at the same sample) and a value getter (the visual batch read by
//! audio at another point).

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_engine::registry::Registry;
use weft_graph::{BackendKind, Scope};
use weft_lang::ir::Program;
use weft_sources::{SourceOptions, SourceSet};

/// The seed's example, with `fx` spelled as a product that also reads the
/// microphone directly.
const FX: &str = "\
audio<samples> = mic()
img1<r> = audio@samples[me@time ~ me@x]
img2<r> = img1@r * 0.5
samp<v> = img2@r[me@x ~ 0.5, me@y ~ 0.5]
processed<s> = samp@v * audio@samples
display(img1@r, img2@r, samp@v)
play(processed@s)
";

/// A folder under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "weft-coordinator-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("create a temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Two seconds of a constant 0.5 as the microphone.
fn mic_wav(dir: &TempDir) -> PathBuf {
    let path = dir.0.join("mic.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(&path, spec).expect("create the wav");
    for _ in 0..16_000 {
        w.write_sample(0.5f32).expect("write a sample");
    }
    w.finalize().expect("finish the wav");
    path
}

fn build(dir: &TempDir) -> (Arc<Program>, Arc<SourceSet>) {
    let built = weft_lang::build_source(&dir.0.join("fx.weft"), FX);
    let Some(program) = built.program else {
        panic!("the program should build: {:#?}", built.diagnostics);
    };
    let options = SourceOptions {
        mic: Some(mic_wav(dir)),
        ..SourceOptions::default()
    };
    let (sources, diags) = SourceSet::load(&program, &options);
    assert!(diags.is_empty(), "{diags:#?}");
    (Arc::new(program), Arc::new(sources))
}

fn coordinator(dir: &TempDir, width: u32, height: u32, block: u32) -> Coordinator {
    let (program, sources) = build(dir);
    let graph = weft_graph::build(&program, Scope::Main).expect("no cycles");
    Coordinator::new(
        program,
        sources,
        graph,
        EngineConfig {
            width,
            height,
            audio_block: block,
        },
    )
    .expect("the program compiles")
}

fn kinds(registry: &Registry) -> Vec<(String, BackendKind, BackendKind)> {
    registry
        .wires()
        .iter()
        .map(|w| (w.kind.to_string(), w.from.0, w.to.0))
        .collect()
}

#[test]
fn the_example_batches_audio_visual_audio() {
    let dir = TempDir::new();
    let c = coordinator(&dir, 8, 4, 64);
    let backends: Vec<BackendKind> = c.graph().batches.iter().map(|b| b.backend).collect();
    assert_eq!(
        backends,
        [BackendKind::Audio, BackendKind::Visual, BackendKind::Audio]
    );
}

#[test]
fn wiring_uses_a_direct_buffer_and_a_value_getter() {
    let dir = TempDir::new();
    let c = coordinator(&dir, 8, 4, 64);
    let wires = kinds(c.registry());
    // The microphone, read by the second audio batch at its own sample.
    assert!(
        wires.contains(&("buffer".into(), BackendKind::Audio, BackendKind::Audio)),
        "{wires:?}"
    );
    // The visual batch's `samp`, read by audio (at a point of its own).
    assert!(
        wires.contains(&("getter".into(), BackendKind::Visual, BackendKind::Audio)),
        "{wires:?}"
    );
    // The microphone read by the visual batch at remapped times.
    assert!(
        wires.contains(&("getter".into(), BackendKind::Audio, BackendKind::Visual)),
        "{wires:?}"
    );
}

#[test]
fn executing_frames_and_blocks_performs_no_lookups() {
    let dir = TempDir::new();
    let (w, h, block) = (16u32, 9u32, 256usize);
    let mut c = coordinator(&dir, w, h, block as u32);
    let uniforms = Uniforms::new(c.program());
    let after_compile = c.registry().lookups();
    assert!(after_compile > 0, "wiring should have looked things up");
    let wires = c.registry().wires().len();

    for f in 0..5 {
        let t = f as f64 / 30.0;
        let frame = c.render_frame(t, t, &uniforms).to_vec();
        assert_eq!(frame.len(), (w * h * 4) as usize);
        // img1 = mic = 0.5; img2 = 0.25; samp = img2 at the centre = 0.25.
        for px in frame.chunks(4) {
            assert_eq!(px, [128, 64, 64, 255], "frame {f}");
        }
        assert_eq!(c.registry().lookups(), after_compile, "after frame {f}");
    }
    for b in 0..8u64 {
        let start = b * block as u64;
        let out = c.render_audio(start, start, block, &uniforms).to_vec();
        assert_eq!(out.len(), block * 2);
        // processed = samp (0.25) × mic (0.5) = 0.125, on both sides (mono).
        assert!(
            out.iter().all(|v| *v == 0.125),
            "block {b}: {:?}",
            &out[..8]
        );
        assert_eq!(c.registry().lookups(), after_compile, "after block {b}");
    }
    // Interleaved again: frames after audio, a partial block, OSC (none here).
    c.render_frame(0.5, 0.5, &uniforms);
    c.render_audio(10_000, 10_000, 17, &uniforms);
    c.osc_messages(0.5, 0.5, &uniforms);
    assert_eq!(c.registry().lookups(), after_compile);
    assert_eq!(c.registry().wires().len(), wires, "no wiring while running");

    // The counter is live: a probe (not a per-frame path) does look things up.
    let processed = c.program().find_instance("processed").expect("processed");
    let v = c
        .value_at(
            processed,
            0,
            &weft_engine::backend::Point {
                coords: vec![0.0; c.program().coords.len()],
            },
            &uniforms,
        )
        .expect("a probe");
    assert_eq!(v, 0.125);
    assert!(c.registry().lookups() > after_compile);
}
