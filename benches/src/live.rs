//! What the dev server's benchmarks (`live`, `typing`) share: the program they
//! edit, a save as editors make it, and percentiles.

use std::path::Path;

/// Twenty statements: pictures, a tone, constants; edit `i` changes one of them.
pub fn program(i: usize) -> String {
    let mut s = String::from("me<width> = 320\nme<height> = 180\n");
    for k in 0..16 {
        let c = if k == 7 {
            i as f64 * 0.001
        } else {
            k as f64 * 0.01
        };
        s.push_str(&format!(
            "s{k}<v> = sin(me@x * {} + me@time) * 0.5 + me@y * {c}\n",
            k + 1
        ));
    }
    s.push_str("tone<s> = 0.2 * sin(me@time * tau * 220)\n");
    s.push_str("mix<v> = (s0@v + s7@v + s15@v) / 3\n");
    s.push_str("display(mix@v)\nplay(tone@s)\n");
    s
}

/// Saves `text` into `path` as most editors do: a temporary file renamed over.
pub fn save(path: &Path, text: &str) {
    let tmp = path.with_extension("weft.save");
    std::fs::write(&tmp, text).expect("write");
    std::fs::rename(&tmp, path).expect("rename");
}

/// The `p` percentile (0 to 1) of `sorted`.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}
