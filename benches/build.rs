//! Generates the Prospero baseline: the expression of `data/prospero.vm` written out
//! as one native Rust function (scalar f64), the "hand-written" loop the benchmark
//! compares weft against.

use std::fmt::Write;

fn main() {
    let src = std::path::Path::new("data/prospero.vm");
    println!("cargo:rerun-if-changed={}", src.display());
    let text = std::fs::read_to_string(src).expect("benches/data/prospero.vm");
    let mut body = String::new();
    let mut last = String::new();
    let mut count = 0usize;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let parts: Vec<&str> = line.split_whitespace().collect();
        // One flat array instead of 7866 nested `let`s: rustc's debug info recurses
        // once per lexical scope.
        let v = |s: &str| format!("v[0x{}]", &s[1..]);
        let (id, op) = (v(parts[0]), parts[1]);
        let e = match op {
            "const" => format!("{}_f64", parts[2]),
            "var-x" => "x".to_string(),
            "var-y" => "y".to_string(),
            "add" => format!("{} + {}", v(parts[2]), v(parts[3])),
            "sub" => format!("{} - {}", v(parts[2]), v(parts[3])),
            "mul" => format!("{} * {}", v(parts[2]), v(parts[3])),
            "max" => format!("{}.max({})", v(parts[2]), v(parts[3])),
            "min" => format!("{}.min({})", v(parts[2]), v(parts[3])),
            "neg" => format!("-{}", v(parts[2])),
            "square" => format!("{0} * {0}", v(parts[2])),
            "sqrt" => format!("{}.sqrt()", v(parts[2])),
            other => panic!("unknown op {other}"),
        };
        let _ = writeln!(body, "    {id} = {e};");
        count += 1;
        last = id;
    }
    let out = format!("/// Prospero at (x, y) in [-1, 1]².\n#[allow(clippy::all, unused)]\npub fn prospero(x: f64, y: f64) -> f64 {{\n    let mut v = [0.0f64; {count}];\n{body}    {last}\n}}\n");
    let dest =
        std::path::Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("prospero.rs");
    std::fs::write(dest, out).expect("write prospero.rs");
}
