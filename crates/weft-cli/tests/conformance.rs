//! The conformance suite: every `tests/conformance/**/*.weft` next to its expected
//! `.out`. A program with errors expects its rendered diagnostics; a clean one
//! expects the values its `// eval:` lines ask for. Every value is computed twice —
//! by the compiled kernels through the coordinator and by the reference
//! interpreter — and the two must agree bit for bit; every display and play output
//! is also rendered through the backends on a small grid and compared point by
//! point with the interpreter. `// cli: …` lines run the `weft` binary itself (for
//! what only the command line does: frame and audio files, settings, usage errors,
//! exit codes) and record its exit code, output and the file it wrote. A second test
//! checks that every diagnostic code appears in some `.out` file.
//! `UPDATE_EXPECT=1` rewrites the `.out` files.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use weft_diagnostics::{has_errors, render_all};
use weft_engine::backend::Point;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_graph::Scope;
use weft_kernel::reference;
use weft_lang::ast::OutputKind;
use weft_lang::ir::{coord, Program};
use weft_sources::{SourceOptions, SourceSet};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/conformance")
}

/// Every file under `dir` whose extension is `ext`, in path order.
fn files(dir: &Path, ext: &str, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("conformance folder")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            files(&p, ext, out);
        } else if p.extension().is_some_and(|e| e == ext) {
            out.push(p);
        }
    }
}

/// The cases: every `.weft` file except the libraries they `use` (`lib/`).
fn cases(dir: &Path, out: &mut Vec<PathBuf>) {
    files(dir, "weft", out);
    out.retain(|p| !p.to_string_lossy().contains("/lib/"));
}

/// `// eval: inst@out [at x=…,y=…] [param name=v,…]`
fn queries(text: &str) -> Vec<(String, String, String)> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("// eval:"))
        .map(|q| {
            let q = q.trim();
            let (q, params) = q.split_once(" param ").unwrap_or((q, ""));
            let (target, at) = q.split_once(" at ").unwrap_or((q, ""));
            (
                target.trim().to_string(),
                at.trim().to_string(),
                params.trim().to_string(),
            )
        })
        .collect()
}

fn pairs(s: &str) -> Vec<(String, f64)> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("name=value");
            (k.trim().to_string(), v.trim().parse().expect("number"))
        })
        .collect()
}

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// Renders a small frame and a few audio blocks through the backends and compares
/// them with the interpreter.
fn cross_check(
    name: &str,
    program: &Arc<Program>,
    sources: &Arc<SourceSet>,
    uniforms: &Uniforms,
) -> Result<(), String> {
    let (w, h) = (7u32, 5u32);
    // The coordinator reads `me@width`/`me@height` as its picture's size.
    let mut sized = uniforms.clone();
    sized.set_size((w, h));
    let uniforms = &sized;
    for scope in Scope::all(program) {
        let graph = weft_graph::build(program, scope).map_err(|e| format!("{e:?}"))?;
        let mut c = Coordinator::new(
            program.clone(),
            sources.clone(),
            graph,
            EngineConfig {
                width: w,
                height: h,
                audio_block: 256,
            },
        )
        .map_err(|e| e.to_string())?;
        let segment = match scope {
            Scope::Segment(s) => Some(s),
            Scope::Main => None,
        };
        let sinks: Vec<_> = program
            .sinks
            .iter()
            .filter(|s| s.segment == segment)
            .collect();
        for t in [0.0, 0.37, 1.25] {
            if let Some(display) = sinks.iter().find(|s| s.kind == OutputKind::Display) {
                let frame = c.render_frame(t, t, uniforms).to_vec();
                for j in 0..h {
                    for i in 0..w {
                        let mut p = vec![0.0; program.coords.len()];
                        p[coord::X.0 as usize] = (i as f64 + 0.5) / w as f64;
                        p[coord::Y.0 as usize] = (j as f64 + 0.5) / h as f64;
                        p[coord::TIME.0 as usize] = t;
                        p[coord::ABSTIME.0 as usize] = t;
                        p[coord::FRAME.0 as usize] = (t * program.settings.fps()).floor();
                        let px = ((j * w + i) * 4) as usize;
                        for (ch, v) in display.values.iter().enumerate() {
                            let want = weft_engine::visual::to_u8(reference::eval(
                                program,
                                sources,
                                uniforms.as_slice(),
                                *v,
                                &p,
                            ));
                            let got = frame[px + if display.values.len() == 1 { 0 } else { ch }];
                            if want != got {
                                return Err(format!("{name}: pixel ({i},{j}) channel {ch} at t={t}: kernels {got}, interpreter {want}"));
                            }
                        }
                    }
                }
            }
        }
        if let Some(play) = sinks.iter().find(|s| s.kind == OutputKind::Play) {
            let rate = program.settings.rate() as f64;
            for start in [0u64, 1000, 48_000] {
                let block = c.render_audio(start, start, 200, uniforms).to_vec();
                for k in 0..200u64 {
                    let n = start + k;
                    let mut p = vec![0.0; program.coords.len()];
                    p[coord::TIME.0 as usize] = program.settings.wrap_time(n as f64 / rate);
                    p[coord::ABSTIME.0 as usize] = n as f64 / rate;
                    p[coord::SAMPLE.0 as usize] = n as f64;
                    p[coord::FRAME.0 as usize] = (n as f64 / rate * program.settings.fps()).floor();
                    for ch in 0..2 {
                        let v = play.values[if play.values.len() == 2 { ch } else { 0 }];
                        let want = weft_engine::audio::to_sample(reference::eval(
                            program,
                            sources,
                            uniforms.as_slice(),
                            v,
                            &p,
                        ));
                        let got = block[(k * 2) as usize + ch];
                        if want.to_bits() != got.to_bits() {
                            return Err(format!("{name}: sample {n} channel {ch}: kernels {got}, interpreter {want}"));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Runs a case: its diagnostics or `// eval:` values, then its `// cli:` lines.
fn run_case(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = run_program(path)?;
    out.push_str(&run_cli(path, &text)?);
    Ok(out)
}

/// A fresh folder under the system temporary folder, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Result<TempDir, String> {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("weft-conformance-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `// cli: frame {file} --size 4x1 -o {png}`: the `weft` arguments, with `{file}`
/// the case, `{dir}` its folder, `{png}` / `{wav}` a file in a temporary folder.
/// Records the exit code, stdout, stderr (paths made relative) and what was written:
/// the pixels of a PNG of at most 64 pixels (else its size), the header and first
/// samples of a WAV.
fn run_cli(path: &Path, text: &str) -> Result<String, String> {
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("// cli:"))
        .map(str::trim)
        .collect();
    if lines.is_empty() {
        return Ok(String::new());
    }
    let root_dir = root().canonicalize().map_err(|e| e.to_string())?;
    let file = path.canonicalize().map_err(|e| e.to_string())?;
    let dir = file.parent().ok_or("case without a folder")?.to_path_buf();
    let tmp = TempDir::new()?;
    let tmp_dir = tmp.0.canonicalize().map_err(|e| e.to_string())?;
    let tidy = |s: &str| {
        s.replace(&format!("{}/", root_dir.display()), "")
            .replace(&format!("{}/", root().display()), "")
            .replace(&tmp_dir.display().to_string(), "{tmp}")
    };
    let mut out = String::new();
    for (n, line) in lines.iter().enumerate() {
        let png = tmp_dir.join(format!("out{n}.png"));
        let wav = tmp_dir.join(format!("out{n}.wav"));
        let args: Vec<String> = line
            .split_whitespace()
            .map(|a| {
                a.replace("{file}", &file.display().to_string())
                    .replace("{dir}", &dir.display().to_string())
                    .replace("{png}", &png.display().to_string())
                    .replace("{wav}", &wav.display().to_string())
            })
            .collect();
        let run = std::process::Command::new(env!("CARGO_BIN_EXE_weft"))
            .args(&args)
            .output()
            .map_err(|e| format!("run weft: {e}"))?;
        out.push_str(&format!("$ weft {line}\n"));
        let code = run
            .status
            .code()
            .map_or("killed".to_string(), |c| c.to_string());
        out.push_str(&format!("exit {code}\n"));
        for (what, bytes) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            let text = tidy(&String::from_utf8_lossy(bytes));
            if !text.is_empty() {
                out.push_str(&format!("{what}:\n"));
                for l in text.lines() {
                    out.push_str(&format!("  {l}\n").replace("  \n", "\n"));
                }
            }
        }
        if line.contains("{png}") && png.exists() {
            let img = image::open(&png).map_err(|e| e.to_string())?.to_rgba8();
            let (w, h) = img.dimensions();
            out.push_str(&format!("png {w}x{h}"));
            if w * h <= 64 {
                out.push_str(":\n");
                for row in img.rows() {
                    let px: Vec<String> = row
                        .map(|p| format!("{} {} {} {}", p[0], p[1], p[2], p[3]))
                        .collect();
                    out.push_str(&format!("  {}\n", px.join(" | ")));
                }
            } else {
                out.push('\n');
            }
        }
        if line.contains("{wav}") && wav.exists() {
            let mut reader = hound::WavReader::open(&wav).map_err(|e| e.to_string())?;
            let spec = reader.spec();
            let samples: Vec<f32> = reader
                .samples::<f32>()
                .map(|s| s.unwrap_or(f32::NAN))
                .collect();
            let frames = samples.len() / spec.channels.max(1) as usize;
            out.push_str(&format!(
                "wav {} channel(s), {} Hz, {}-bit {:?}, {frames} frames; first frames:\n",
                spec.channels, spec.sample_rate, spec.bits_per_sample, spec.sample_format
            ));
            for frame in samples.chunks(spec.channels.max(1) as usize).take(16) {
                let v: Vec<String> = frame.iter().map(|s| s.to_string()).collect();
                out.push_str(&format!("  {}\n", v.join(" ")));
            }
        }
    }
    Ok(out)
}

/// A case's diagnostics, or the values of its `// eval:` lines.
fn run_program(path: &Path) -> Result<String, String> {
    let dir = root().canonicalize().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let rel = path.canonicalize().map_err(|e| e.to_string())?;
    let rel = rel.strip_prefix(&dir).unwrap_or(&rel).to_path_buf();
    let built =
        weft_lang::build_program(path, &weft_lang::BuildOptions).map_err(|e| e.to_string())?;
    let tidy = |s: String| {
        s.replace(&format!("{}/", dir.display()), "")
            .replace(&format!("{}/", root().display()), "")
    };
    let mut diagnostics = built.diagnostics;
    let mut out = String::new();
    let Some(program) = built.program.filter(|_| !has_errors(&diagnostics)) else {
        return Ok(tidy(render_all(&diagnostics, &built.sources)));
    };
    if let Err(e) = weft_graph::build(&program, Scope::Main) {
        diagnostics.extend(e.iter().map(|e| e.to_diagnostic()));
        return Ok(tidy(render_all(&diagnostics, &built.sources)));
    }
    let (sources, found) = SourceSet::load(&program, &SourceOptions::default());
    diagnostics.extend(found);
    if !diagnostics.is_empty() {
        out.push_str(&tidy(render_all(&diagnostics, &built.sources)));
        if has_errors(&diagnostics) {
            return Ok(out);
        }
    }
    let program = Arc::new(program);
    let sources = Arc::new(sources);
    let name = rel.display().to_string();
    let graph = weft_graph::build(&program, Scope::Main).map_err(|e| format!("{e:?}"))?;
    let c = Coordinator::new(
        program.clone(),
        sources.clone(),
        graph,
        EngineConfig {
            width: 4,
            height: 4,
            audio_block: 64,
        },
    )
    .map_err(|e| e.to_string())?;
    for (target, at, params) in queries(&text) {
        let (inst, outn) = target.split_once('@').ok_or("bad eval target")?;
        let id = program
            .find_instance(inst)
            .ok_or_else(|| format!("{name}: no instance {inst}"))?;
        let o = program
            .instance(id)
            .outputs
            .iter()
            .position(|x| x == outn)
            .ok_or("no such output")?;
        let mut uniforms = Uniforms::new(&program);
        for (k, v) in pairs(&params) {
            if k == "mouse_x" || k == "mouse_y" {
                let (mx, my) = (uniforms.as_slice()[0], uniforms.as_slice()[1]);
                if k == "mouse_x" {
                    uniforms.set_mouse(v, my)
                } else {
                    uniforms.set_mouse(mx, v)
                }
            } else {
                assert!(uniforms.set_param(&program, &k, v), "{name}: no param {k}");
            }
        }
        let mut point = vec![0.0; program.coords.len()];
        let mut abstime = false;
        for (k, v) in pairs(&at) {
            abstime |= k == "abstime";
            if let Some(cid) = program.find_coord(&k) {
                point[cid.0 as usize] = v;
            }
        }
        if !abstime {
            point[coord::ABSTIME.0 as usize] = point[coord::TIME.0 as usize];
        }
        let compiled = c
            .value_at(
                id,
                o as u32,
                &Point {
                    coords: point.clone(),
                },
                &uniforms,
            )
            .map_err(|e| e.to_string())?;
        let interpreted = reference::eval(
            &program,
            &sources,
            uniforms.as_slice(),
            program.instance(id).values[o],
            &point,
        );
        if !same(compiled, interpreted) {
            return Err(format!(
                "{name}: {target} at {at}: kernels {compiled}, interpreter {interpreted}"
            ));
        }
        let params = if params.is_empty() {
            String::new()
        } else {
            format!(" param {params}")
        };
        let at = if at.is_empty() {
            String::new()
        } else {
            format!(" at {at}")
        };
        out.push_str(&format!("{target}{at}{params} = {compiled}\n"));
        cross_check(&name, &program, &sources, &uniforms)?;
    }
    cross_check(&name, &program, &sources, &Uniforms::new(&program))?;
    Ok(out)
}

#[test]
fn conformance() {
    let mut all = Vec::new();
    cases(&root(), &mut all);
    assert!(
        all.len() > 20,
        "expected the conformance suite, found {} cases",
        all.len()
    );
    let update = std::env::var_os("UPDATE_EXPECT").is_some();
    let mut failures = Vec::new();
    for case in &all {
        let expected_path = case.with_extension("out");
        let actual = match run_case(case) {
            Ok(a) => a,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if update {
            // Written beside and renamed, so `every_code_is_covered` (running at
            // the same time) never reads a half-written file.
            let tmp = case.with_extension("out.tmp");
            std::fs::write(&tmp, &actual).expect("write .out");
            std::fs::rename(&tmp, &expected_path).expect("write .out");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| String::from("<missing .out file>"));
        if expected != actual {
            failures.push(format!(
                "{}:\n--- expected\n{expected}--- actual\n{actual}",
                case.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n\n{}",
        failures.len(),
        all.len(),
        failures.join("\n\n")
    );
}

/// Every diagnostic code is expected by at least one case (as `error[E0301]` or
/// `warning[W0601]` in some `.out` file, or in a command-line case's expected
/// output for what only a command shows, such as W0802 when the GPU cannot draw),
/// so coverage cannot silently regress.
#[test]
fn every_code_is_covered() {
    let mut files = Vec::new();
    self::files(&root(), "out", &mut files);
    self::files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cli"),
        "cmd",
        &mut files,
    );
    let all: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    let missing: Vec<&str> = weft_diagnostics::Code::ALL
        .iter()
        .map(|c| c.as_str())
        .filter(|c| !all.contains(&format!("[{c}]")))
        .collect();
    assert!(
        missing.is_empty(),
        "no conformance case expects these codes: {}",
        missing.join(", ")
    );
}
