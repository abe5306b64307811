//! `cargo bench -p weft-bench --bench render`: segment rendering, measured in one
//! run — a cold render of an eight-segment piece, a warm re-render after editing
//! one segment (goal: at most 1.5/8 of the cold time), and the speed-up from one
//! worker to two. Each render writes the whole MP4 (chunks joined, audio muxed),
//! at the default quality (medium: 1280x720, 30 fps).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;
use weft_render::render::{render, Options};
use weft_render::{Cache, Piece, RenderSettings, Report, Request, Timeline};
use weft_sources::{SourceOptions, SourceSet};

const SEGMENTS: usize = 8;
const SIZE: (u32, u32) = (1280, 720);
const FPS: f64 = 30.0;

/// Eight four-second segments (two chunks each): rings over noise, each with its
/// own speed, and a tone; `tint` changes the body of segment `edited` only.
fn piece(edited: usize, tint: &str) -> String {
    let mut s = String::from(
        "spindle ring(cx, cy, r) {\n    d<v> = sqrt((me@x - cx)^2 + (me@y - cy)^2)\n    return smoothstep(r + 0.01, r, d@v)\n}\n",
    );
    for i in 1..=SEGMENTS {
        let t = if i == edited { tint } else { "0.3" };
        s.push_str(&format!(
            "segment part{i}(4) {{\n    n{i}<v> = noise(me@x * 8, me@y * 8, me@time * {i})\n    \
             img{i}<r, g, b> = (ring(0.5, 0.5, 0.2 + 0.1 * sin(me@time * {i})), n{i}@v, {t})\n    \
             display(img{i}@r, img{i}@g, img{i}@b)\n    play(0.2 * sin(me@time * tau * {f}))\n}}\n",
            f = 110 * i
        ));
    }
    s
}

fn run(file: &Path, cache: &Path, jobs: usize) -> (f64, Report) {
    let built =
        weft_lang::build_program(file, &weft_lang::BuildOptions).expect("reading the piece");
    let program = built.program.expect("the piece compiles");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let request = Request {
        size: Some(SIZE),
        fps: Some(FPS),
        ..Request::default()
    };
    let settings = RenderSettings::resolve(&request, &program).expect("settings");
    let started = Instant::now();
    let piece = Piece::new(file, &program, Arc::new(sources), &settings).expect("piece");
    let timeline = Timeline::new(&piece, &settings);
    let cache = Cache::open(cache, weft_render::DEFAULT_LIMIT).expect("cache");
    let options = Options {
        jobs,
        output: Some(file.with_extension("mp4")),
        only: None,
        reads: Default::default(),
        ..Options::default()
    };
    let report = render(&piece, &timeline, &cache, &options, &|_| {}).expect("render");
    assert_eq!(report.failed, 0);
    (started.elapsed().as_secs_f64(), report)
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("piece.weft");
    println!(
        "weft render benchmark: {SEGMENTS} segments x 4 s, {}x{} at {FPS} fps, 2 s chunks, MP4 (medium quality: x264 fast, crf 23, + AAC), {} cores",
        SIZE.0,
        SIZE.1,
        weft_render::render::cores()
    );
    std::fs::write(&file, piece(0, "")).expect("write");
    let (cold2, r) = run(&file, &dir.path().join("cache-2"), 2);
    println!(
        "cold render, 2 jobs     {cold2:>7.2} s  ({} chunks rendered; of which {:.2} s joining and encoding the AAC track)",
        r.rendered, r.assemble_seconds
    );
    std::fs::write(&file, piece(4, "0.7")).expect("write");
    let (warm, r) = run(&file, &dir.path().join("cache-2"), 2);
    println!(
        "warm, one segment edited {warm:>7.2} s  ({} rendered, {} cached; of which {:.2} s joining and encoding the AAC track)",
        r.rendered, r.cache_hits, r.assemble_seconds
    );
    std::fs::write(&file, piece(0, "")).expect("write");
    let (cold1, r) = run(&file, &dir.path().join("cache-1"), 1);
    println!(
        "cold render, 1 job      {cold1:>7.2} s  ({} chunks rendered)",
        r.rendered
    );
    println!(
        "warm / cold              {:>7.3}   (goal <= {:.3} = 1.5/{SEGMENTS})",
        warm / cold2,
        1.5 / SEGMENTS as f64
    );
    println!("speed-up 1 -> 2 jobs     {:>7.2}x", cold1 / cold2);
}
