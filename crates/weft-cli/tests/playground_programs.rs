//! Programs of the original WEFT project (`tests/playground/*.wft`, byte for byte,
//! with stand-in pictures beside them) run unchanged: each checks clean, draws a
//! frame, and its strands mean what the original meant, read with `weft eval`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/playground")
}

fn weft(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_weft"))
        .args(args)
        .current_dir(folder())
        .output()
        .expect("weft runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn eval(file: &str, strand: &str, x: f64, y: f64, params: &[&str]) -> f64 {
    let at = format!("x={x},y={y}");
    let mut args = vec!["eval", file, strand, "--at", &at];
    for p in params {
        args.extend(["--param", p]);
    }
    let (ok, text) = weft(&args);
    assert!(ok, "weft {args:?}: {text}");
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("a number from {args:?}: {text}"))
}

const POINTS: [(f64, f64); 6] = [
    (0.3, 0.3),
    (0.45, 0.6),
    (0.6, 0.25),
    (0.75, 0.8),
    (0.9, 0.5),
    (0.35, 0.9),
];

#[test]
fn every_program_checks_and_draws() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut seen = 0;
    for entry in std::fs::read_dir(folder()).expect("folder") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "wft") {
            continue;
        }
        seen += 1;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_string();
        let (ok, text) = weft(&["check", &name]);
        assert!(ok, "{name}: {text}");
        let png = tmp.path().join(format!("{name}.png"));
        let png = png.to_str().expect("utf-8 path");
        let (ok, text) = weft(&["frame", &name, "--size", "32x32", "-o", png]);
        assert!(ok, "{name}: {text}");
    }
    assert!(seen >= 2, "the programs are there");
}

/// `#slider test<t> = 0,0.4,0 "disp"`, then `img2<r>` and `img2<g>` defined one by
/// one: red shifted left by 0.2 − test, green up by the same.
#[test]
fn layer_shift_shifts_its_layers_by_the_slider() {
    let file = "layer_shift.wft";
    let mut moved = false;
    for (x, y) in POINTS {
        let r = eval(file, "img2@r", x, y, &[]);
        assert_eq!(r, eval(file, "img@r", x - 0.2, y, &[]), "red at ({x}, {y})");
        moved |= r != eval(file, "img@r", x, y, &[]);
        let g = eval(file, "img2@g", x, y, &["test=0.3"]);
        assert_eq!(
            g,
            eval(file, "img@g", x, y + 0.3 - 0.2, &[]),
            "green at ({x}, {y})"
        );
    }
    assert!(moved, "the shift shows in the picture");
}

/// Three outputs defined one by one and `display(img2)`: left of the pointer
/// every row shows the pointer's row.
#[test]
fn jerome_freezes_the_rows_left_of_the_pointer() {
    let file = "jerome.wft";
    for (x, y) in POINTS {
        let want_y = if x > 0.5 { y } else { 0.5 };
        for out in ["r", "g", "b"] {
            let got = eval(file, &format!("img2@{out}"), x, y, &[]);
            let want = eval(file, &format!("img@{out}"), x, want_y, &[]);
            assert_eq!(got, want, "{out} at ({x}, {y})");
        }
    }
}
