//! Golden tests of the examples: every `examples/*.weft` with a `display` output
//! is rendered by the built `weft frame` at a fixed time and size and compared with
//! `tests/golden/<name>.png` (at the workspace root) within ±1 per channel; every
//! example with a `play` output is rendered by `weft audio` and must be sound (not
//! silent, finite, within [-1, 1], with the channels it plays). An example that no
//! test renders fails the suite, and so does a golden without its example.
//! `UPDATE_EXPECT=1` rewrites the goldens (look at them before committing).
//!
//! Programs that call `mic()` get a generated WAV through `--mic` (a slow sine,
//! so the picture shows it); programs that call `camera()` get a generated image
//! through `--camera`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use weft_lang::ast::OutputKind;
use weft_lang::builtins::SourceKind;

const TIME: &str = "0.5";
const SIZE: (u32, u32) = (160, 90);

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root")
}

fn golden_dir() -> PathBuf {
    workspace().join("tests/golden")
}

fn update() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|v| v != "0" && !v.is_empty())
}

/// The examples, by name (file stem), sorted.
fn examples() -> Vec<(String, PathBuf)> {
    let mut out: Vec<(String, PathBuf)> = std::fs::read_dir(workspace().join("examples"))
        .expect("the examples folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "weft"))
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, p)
        })
        .collect();
    out.sort();
    out
}

/// What an example needs and has.
struct Shape {
    display: bool,
    /// The number of channels of its `play` output, if it has one.
    play: Option<usize>,
    mic: bool,
    camera: bool,
}

fn shape(path: &Path) -> Shape {
    let built = weft_lang::build_program(path, &weft_lang::BuildOptions).expect("read");
    let Some(program) = built.program else {
        panic!(
            "{} does not build:\n{}",
            path.display(),
            weft_diagnostics::render_all(&built.diagnostics, &built.sources)
        );
    };
    let has = |k: SourceKind| program.sources.iter().any(|s| s.kind == k);
    Shape {
        display: program.sinks.iter().any(|s| s.kind == OutputKind::Display),
        play: program
            .sinks
            .iter()
            .filter(|s| s.kind == OutputKind::Play)
            .map(|s| s.values.len())
            .max(),
        mic: has(SourceKind::Mic),
        camera: has(SourceKind::Camera),
    }
}

/// Inputs for `--mic` and `--camera`, made once per run in a temporary folder.
struct Inputs {
    dir: tempfile::TempDir,
}

impl Inputs {
    fn new() -> Inputs {
        let dir = tempfile::Builder::new()
            .prefix("weft-golden-")
            .tempdir()
            .expect("a temporary folder");
        // Ten seconds (the mic example spreads them across the picture) of a
        // 0.4 Hz sine between 0 and 1.
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut w = hound::WavWriter::create(dir.path().join("mic.wav"), spec).expect("wav");
        for n in 0..80_000u32 {
            let t = n as f64 / 8000.0;
            let v = 0.5 + 0.5 * (std::f64::consts::TAU * 0.4 * t).sin();
            w.write_sample(v as f32).expect("write a sample");
        }
        w.finalize().expect("finish the wav");
        let cam = image::RgbImage::from_fn(8, 8, |x, y| {
            image::Rgb([(x * 32) as u8, (y * 32) as u8, 128])
        });
        cam.save(dir.path().join("camera.png")).expect("png");
        Inputs { dir }
    }

    fn args(&self, shape: &Shape) -> Vec<String> {
        let mut a = Vec::new();
        if shape.mic {
            a.push("--mic".to_string());
            a.push(
                self.dir
                    .path()
                    .join("mic.wav")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        if shape.camera {
            a.push("--camera".to_string());
            a.push(
                self.dir
                    .path()
                    .join("camera.png")
                    .to_string_lossy()
                    .into_owned(),
            );
        }
        a
    }
}

fn weft(args: &[String]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .output()
        .expect("run weft");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && !stderr.contains("warning"),
        "`weft {}` failed ({}):\n{stderr}",
        args.join(" "),
        out.status
    );
    out
}

/// Renders `path` and compares with (or writes) its golden; the problem, if any.
fn check_frame(name: &str, path: &Path, extra: &[String], scratch: &Path) -> Option<String> {
    let out = scratch.join(format!("{name}.png"));
    let mut args = vec![
        "frame".to_string(),
        path.to_string_lossy().into_owned(),
        "--time".into(),
        TIME.into(),
        "--size".into(),
        format!("{}x{}", SIZE.0, SIZE.1),
    ];
    args.extend_from_slice(extra);
    args.extend(["-o".to_string(), out.to_string_lossy().into_owned()]);
    weft(&args);
    let got = image::open(&out).expect("the rendered PNG").to_rgba8();
    let golden = golden_dir().join(format!("{name}.png"));
    if update() {
        std::fs::create_dir_all(golden_dir()).expect("tests/golden");
        std::fs::copy(&out, &golden).expect("write the golden");
        return None;
    }
    let Ok(want) = image::open(&golden) else {
        return Some(format!(
            "{name}: no golden {} (run with UPDATE_EXPECT=1 and look at it)",
            golden.display()
        ));
    };
    let want = want.to_rgba8();
    if want.dimensions() != got.dimensions() {
        return Some(format!(
            "{name}: size {:?}, golden {:?}",
            got.dimensions(),
            want.dimensions()
        ));
    }
    let mut worst = 0u8;
    let mut off = 0usize;
    let mut first = None;
    for (x, y, p) in got.enumerate_pixels() {
        let q = want.get_pixel(x, y);
        let d =
            p.0.iter()
                .zip(q.0)
                .map(|(a, b)| a.abs_diff(b))
                .max()
                .unwrap_or(0);
        if d > 1 {
            off += 1;
            first.get_or_insert((x, y, p.0, q.0));
        }
        worst = worst.max(d);
    }
    if off == 0 {
        return None;
    }
    let keep = std::env::temp_dir().join(format!("weft-golden-{name}.png"));
    let _ = std::fs::copy(&out, &keep);
    let (x, y, p, q) = first.unwrap_or_default();
    Some(format!(
        "{name}: {off} pixels differ by more than 1 (worst {worst}); first at ({x}, {y}): \
         {p:?}, golden {q:?}; the render is at {}",
        keep.display()
    ))
}

/// Renders half a second of audio; the problem, if any.
fn check_audio(
    name: &str,
    path: &Path,
    channels: usize,
    extra: &[String],
    scratch: &Path,
) -> Option<String> {
    let out = scratch.join(format!("{name}.wav"));
    let mut args = vec![
        "audio".to_string(),
        path.to_string_lossy().into_owned(),
        "--duration".into(),
        "0.5".into(),
        "--rate".into(),
        "8000".into(),
    ];
    args.extend_from_slice(extra);
    args.extend(["-o".to_string(), out.to_string_lossy().into_owned()]);
    weft(&args);
    let mut r = hound::WavReader::open(&out).expect("the rendered WAV");
    let spec = r.spec();
    let samples: Vec<f32> = r
        .samples::<f32>()
        .collect::<Result<_, _>>()
        .expect("float samples");
    if spec.channels as usize != channels || spec.sample_format != hound::SampleFormat::Float {
        return Some(format!(
            "{name}: {spec:?}, expected {channels} float channels"
        ));
    }
    if samples.len() != 4000 * channels {
        return Some(format!(
            "{name}: {} samples, expected {}",
            samples.len(),
            4000 * channels
        ));
    }
    if let Some(v) = samples.iter().find(|v| !v.is_finite() || v.abs() > 1.0) {
        return Some(format!("{name}: sample {v} is outside [-1, 1]"));
    }
    let peak = samples.iter().fold(0f32, |m, v| m.max(v.abs()));
    if peak < 0.01 {
        return Some(format!("{name}: silent (peak {peak})"));
    }
    None
}

#[test]
fn examples_match_their_goldens_and_sound() {
    let inputs = Inputs::new();
    let scratch = tempfile::Builder::new()
        .prefix("weft-golden-out-")
        .tempdir()
        .expect("a temporary folder");
    let all = examples();
    assert!(!all.is_empty(), "no examples found");
    let mut tested = BTreeSet::new();
    let mut framed = BTreeSet::new();
    let mut problems = Vec::new();
    for (name, path) in &all {
        let shape = shape(path);
        let extra = inputs.args(&shape);
        if shape.display {
            problems.extend(check_frame(name, path, &extra, scratch.path()));
            framed.insert(name.clone());
            tested.insert(name.clone());
        }
        if let Some(channels) = shape.play {
            problems.extend(check_audio(name, path, channels, &extra, scratch.path()));
            tested.insert(name.clone());
        }
    }
    let names: BTreeSet<String> = all.iter().map(|(n, _)| n.clone()).collect();
    let untested: Vec<&String> = names.difference(&tested).collect();
    assert!(
        untested.is_empty(),
        "examples no test renders (give them a display or play output, or a test): {untested:?}"
    );
    assert_eq!(names, tested);
    // No golden without its example.
    let goldens: BTreeSet<String> = std::fs::read_dir(golden_dir())
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "png"))
                .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let stale: Vec<&String> = goldens.difference(&framed).collect();
    assert!(
        stale.is_empty(),
        "goldens without a displayed example: {stale:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
