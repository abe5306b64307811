//! Benchmark support: the programs the benchmarks render (as WEFT text) and the
//! hand-written Rust loops they are measured against.

use std::sync::Arc;
use std::time::Instant;
use weft_engine::coordinator::{Coordinator, EngineConfig, Uniforms};
use weft_engine::visual::Painter;
use weft_graph::Scope;
use weft_sources::{SourceOptions, SourceSet};

pub mod live;

mod generated {
    include!(concat!(env!("OUT_DIR"), "/prospero.rs"));
}
pub use generated::prospero;

/// The Prospero expression, translated to WEFT: one strand per line of the VM.
pub fn prospero_weft(vm: &str) -> String {
    let mut out = String::with_capacity(vm.len() * 2);
    let mut last = String::new();
    for line in vm
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let p: Vec<&str> = line.split_whitespace().collect();
        let r = |s: &str| format!("{s}@v");
        let e = match p[1] {
            "const" => p[2].to_string(),
            "var-x" => "-1 + 2 * me@x".to_string(),
            "var-y" => "1 - 2 * me@y".to_string(),
            "add" => format!("{} + {}", r(p[2]), r(p[3])),
            "sub" => format!("{} - {}", r(p[2]), r(p[3])),
            "mul" => format!("{} * {}", r(p[2]), r(p[3])),
            "max" => format!("max({}, {})", r(p[2]), r(p[3])),
            "min" => format!("min({}, {})", r(p[2]), r(p[3])),
            "neg" => format!("-{}", r(p[2])),
            "square" => format!("{}^2", r(p[2])),
            "sqrt" => format!("sqrt({})", r(p[2])),
            other => panic!("unknown Prospero op {other}"),
        };
        out.push_str(&format!("{}<v> = {e}\n", p[0]));
        last = p[0].to_string();
    }
    out.push_str(&format!("inside<v> = {last}@v < 0\ndisplay(inside@v)\n"));
    out
}

/// A program with `n` strands, each reading the one before: a long fused chain of
/// cheap arithmetic with a sine every tenth strand.
pub fn chain_weft(n: usize) -> String {
    let mut s = String::from("s0<v> = me@x * 0.5 + me@y * 0.25\n");
    for i in 1..n {
        if i % 10 == 0 {
            s.push_str(&format!(
                "s{i}<v> = sin(s{}@v * 1.1 + {})\n",
                i - 1,
                i as f64 * 0.001
            ));
        } else {
            s.push_str(&format!(
                "s{i}<v> = s{}@v * 0.999 + me@x * {}\n",
                i - 1,
                i as f64 * 0.0001
            ));
        }
    }
    s.push_str(&format!("display(s{}@v, me@y, 0.5)\n", n - 1));
    s
}

/// The hand-written loop for [`chain_weft`].
pub fn chain_native(n: usize, x: f64, y: f64) -> f64 {
    let mut v = x * 0.5 + y * 0.25;
    for i in 1..n {
        v = if i % 10 == 0 {
            (v * 1.1 + i as f64 * 0.001).sin()
        } else {
            v * 0.999 + x * (i as f64 * 0.0001)
        };
    }
    v
}

/// A compiled program ready to render frames.
pub struct Compiled {
    /// The coordinator.
    pub coordinator: Coordinator,
    /// Default uniforms.
    pub uniforms: Uniforms,
    /// How long building and compiling took.
    pub compile_seconds: f64,
}

/// Builds and compiles WEFT text for `width × height` frames, drawn on the CPU.
pub fn compile(text: &str, width: u32, height: u32) -> Compiled {
    compile_on(text, width, height, &Painter::Cpu)
}

/// Builds and compiles WEFT text for `width × height` frames drawn by `painter`.
pub fn compile_on(text: &str, width: u32, height: u32, painter: &Painter) -> Compiled {
    let start = Instant::now();
    let path = std::env::temp_dir().join("weft-bench.weft");
    let built = weft_lang::build_source(&path, text);
    let program = match built.program {
        Some(p) => p,
        None => panic!(
            "benchmark program does not build:\n{}",
            weft_diagnostics::render_all(&built.diagnostics, &built.sources)
        ),
    };
    let graph = weft_graph::build(&program, Scope::Main).expect("acyclic");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let uniforms = Uniforms::new(&program);
    let coordinator = Coordinator::with_painter(
        Arc::new(program),
        Arc::new(sources),
        graph,
        EngineConfig {
            width,
            height,
            audio_block: 4096,
        },
        painter,
    )
    .expect("compiles");
    Compiled {
        coordinator,
        uniforms,
        compile_seconds: start.elapsed().as_secs_f64(),
    }
}

/// Converts a value to an 8-bit channel the way the visual backend does.
#[inline]
pub fn to_u8(v: f64) -> u8 {
    weft_engine::visual::to_u8(v)
}

/// Best-of-`runs` wall time of `f`, in seconds.
pub fn best_of(runs: usize, mut f: impl FnMut()) -> f64 {
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}
