//! Chunk keys: what must change a key and what must not. Each case edits an
//! eight-segment piece (or the render settings) and names exactly the segments
//! whose keys must change; every other segment's keys must stay the same.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use weft_engine::backend::EngineError;
use weft_engine::visual::{Painter, Visual, VisualBackend, VisualDevice};
use weft_render::{ChunkKey, Format, Piece, Quality, RenderSettings, Request, Timeline};
use weft_sources::{SourceOptions, SourceSet};

/// A device that draws with the CPU backend under another name: what the key
/// sees of a GPU (weft-render knows devices only through the engine's trait).
#[derive(Debug)]
struct OtherDevice;

impl VisualDevice for OtherDevice {
    fn visual(self: Arc<Self>, width: u32, height: u32) -> Result<Box<dyn Visual>, EngineError> {
        Ok(Box::new(VisualBackend::new(width, height)?))
    }
    fn name(&self) -> String {
        "another device".into()
    }
}

const PIECE: &str = r#"// Eight segments; `wave` is shared by s2 and s5, `glow` by s7 alone.
wave<v> = 0.5 + 0.5 * sin(me@time * tau)
glow<v> = me@x * me@y
unused<v> = 42

segment s1(2.5) {
    s1v<v> = me@x
    display(s1v@v)
}
segment s2(2.5) {
    display(wave@v, me@y, 0)
}
segment s3(2.5) {
    s3v<v> = me@x
    display(s3v@v, 0, 0)
}
segment s4(2.5) {
    display(me@y)
    play(0.1 * sin(me@time * tau * 220))
}
segment s5(2.5) {
    display(wave@v * me@x)
}
segment s6(2.5) {
    display(fract(me@abstime))
}
segment s7(2.5) {
    display(glow@v)
}
segment s8(2.5) {
    img<r, g, b> = load("pic.png")
    display(img@r, img@g, img@b)
}
"#;

fn write_png(path: &Path, shade: u8) {
    let px = [shade, 255 - shade, 7, 255].repeat(4);
    image::save_buffer(path, &px, 2, 2, image::ColorType::Rgba8).expect("writing the test image");
}

/// The keys of every segment's chunks for `source` under `request`.
fn keys(dir: &Path, source: &str, request: &Request) -> Vec<Vec<ChunkKey>> {
    keys_drawn(dir, source, request, Painter::Cpu)
}

/// [`keys`] with the frames drawn by `painter`.
fn keys_drawn(dir: &Path, source: &str, request: &Request, painter: Painter) -> Vec<Vec<ChunkKey>> {
    let path = dir.join("piece.weft");
    std::fs::write(&path, source).expect("writing the piece");
    let built = weft_lang::build_program(&path, &weft_lang::BuildOptions).expect("reading");
    assert!(
        !weft_diagnostics::has_errors(&built.diagnostics),
        "{:?}",
        built.diagnostics
    );
    let program = built.program.expect("a program");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let settings = RenderSettings::resolve(request, &program).expect("settings");
    let piece = Piece::new(&path, &program, Arc::new(sources), &settings)
        .expect("piece")
        .drawn_with(painter);
    Timeline::new(&piece, &settings)
        .segments
        .iter()
        .map(|s| s.chunks.iter().map(|c| c.key).collect())
        .collect()
}

fn base_request() -> Request {
    Request {
        size: Some((32, 18)),
        fps: Some(10.0),
        ..Request::default()
    }
}

/// Segments (1-based) whose keys differ.
fn changed(a: &[Vec<ChunkKey>], b: &[Vec<ChunkKey>]) -> BTreeSet<usize> {
    a.iter()
        .zip(b)
        .enumerate()
        .filter(|(_, (x, y))| x != y)
        .map(|(i, _)| i + 1)
        .collect()
}

/// (what, replace this, with this, segments whose keys change)
const EDITS: &[(&str, &str, &str, &[usize])] = &[
    (
        "a comment",
        "segment s3(2.5) {",
        "// The third part.\nsegment s3(2.5) {",
        &[],
    ),
    (
        "spacing and layout",
        "    s3v<v> = me@x\n",
        "    s3v< v >   =   me@x  ;\n\n",
        &[],
    ),
    ("an unused strand", "unused<v> = 42", "unused<v> = 43", &[]),
    (
        "a new unused strand",
        "glow<v> = me@x * me@y",
        "glow<v> = me@x * me@y\nextra<v> = 1",
        &[],
    ),
    (
        "one segment's body",
        "s3v<v> = me@x",
        "s3v<v> = me@x * 0.5",
        &[3],
    ),
    (
        "a strand shared by two segments",
        "0.5 + 0.5 * sin",
        "0.4 + 0.5 * sin",
        &[2, 5],
    ),
    (
        "a strand one segment reads",
        "me@x * me@y",
        "me@x + me@y",
        &[7],
    ),
    ("a sound", "tau * 220", "tau * 221", &[4]),
    // s1's chunks change; s6 reads me@abstime so its place on the timeline
    // matters; the others only move, and their local times are the same.
    (
        "a segment's length",
        "segment s1(2.5)",
        "segment s1(3)",
        &[1, 6],
    ),
    (
        "a segment's name",
        "segment s3(2.5)",
        "segment third(2.5)",
        &[3],
    ),
    (
        "the tempo",
        "wave<v> =",
        "me<bpm> = 90\nwave<v> =",
        &[1, 2, 3, 4, 5, 6, 7, 8],
    ),
    (
        "the loop length",
        "wave<v> =",
        "me<loop> = 1\nwave<v> =",
        &[1, 2, 3, 4, 5, 6, 7, 8],
    ),
];

#[test]
fn edits_change_exactly_the_keys_of_the_segments_they_reach() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_png(&dir.path().join("pic.png"), 10);
    let request = base_request();
    let before = keys(dir.path(), PIECE, &request);
    assert_eq!(before.len(), 8);
    assert!(before.iter().all(|s| s.len() == 2), "2.5 s at 2 s chunks");
    let mut failures = Vec::new();
    for (what, from, to, expected) in EDITS {
        assert!(PIECE.contains(from), "{what}: `{from}` is not in the piece");
        let after = keys(dir.path(), &PIECE.replacen(from, to, 1), &request);
        let got = changed(&before, &after);
        let want: BTreeSet<usize> = expected.iter().copied().collect();
        if got != want {
            failures.push(format!("{what}: changed {got:?}, expected {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_loaded_file_changes_only_the_segments_that_load_it() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_png(&dir.path().join("pic.png"), 10);
    let before = keys(dir.path(), PIECE, &base_request());
    write_png(&dir.path().join("pic.png"), 200);
    let after = keys(dir.path(), PIECE, &base_request());
    assert_eq!(changed(&before, &after), BTreeSet::from([8]));
}

#[test]
fn every_render_setting_changes_every_key() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_png(&dir.path().join("pic.png"), 10);
    let base = base_request();
    let before = keys(dir.path(), PIECE, &base);
    let all: BTreeSet<usize> = (1..=8).collect();
    let cases: Vec<(&str, Request)> = vec![
        (
            "size",
            Request {
                size: Some((34, 18)),
                ..base.clone()
            },
        ),
        (
            "fps",
            Request {
                fps: Some(12.0),
                ..base.clone()
            },
        ),
        (
            "quality (encoder)",
            Request {
                quality: Some(Quality::High),
                ..base.clone()
            },
        ),
        (
            "format",
            Request {
                format: Some(Format::Png),
                ..base.clone()
            },
        ),
        (
            "chunk length",
            Request {
                chunk: Some(1.0),
                ..base.clone()
            },
        ),
    ];
    for (what, request) in cases {
        let after = keys(dir.path(), PIECE, &request);
        assert_eq!(changed(&before, &after), all, "{what}");
    }
    // The same request twice gives the same keys, and chunks never share one.
    let again = keys(dir.path(), PIECE, &base);
    assert_eq!(before, again);
    let distinct: BTreeSet<ChunkKey> = before.iter().flatten().copied().collect();
    assert_eq!(distinct.len(), 16);
}

#[test]
fn the_sample_rate_changes_only_segments_with_sound_in_a_video() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    write_png(&dir.path().join("pic.png"), 10);
    let base = base_request();
    let before = keys(dir.path(), PIECE, &base);
    let after = keys(
        dir.path(),
        PIECE,
        &Request {
            rate: Some(44_100),
            ..base
        },
    );
    // The piece has sound (s4), so every chunk carries an audio track.
    assert_eq!(changed(&before, &after), (1..=8).collect());
}

#[test]
fn what_draws_the_frames_changes_every_picture_key_and_no_sound_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_png(&dir.path().join("pic.png"), 10);
    let other = || Painter::Device(Arc::new(OtherDevice));
    let cpu = keys(dir.path(), PIECE, &base_request());
    let gpu = keys_drawn(dir.path(), PIECE, &base_request(), other());
    assert_eq!(changed(&cpu, &gpu), (1..=8).collect::<BTreeSet<_>>());
    let wav = Request {
        format: Some(Format::Wav),
        ..base_request()
    };
    let cpu = keys(dir.path(), PIECE, &wav);
    let gpu = keys_drawn(dir.path(), PIECE, &wav, other());
    assert!(changed(&cpu, &gpu).is_empty(), "a WAV has no pictures");
}
