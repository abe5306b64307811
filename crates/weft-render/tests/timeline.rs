//! The timeline: for many lengths, frame rates, sample rates and chunk lengths, the
//! chunks cover every frame and sample exactly once, in order, and every frame
//! belongs to the segment the live engine's `locate` puts its time in (a segment
//! shorter than a frame still has its sound).

use std::sync::Arc;
use weft_render::timeline::first_at_or_after;
use weft_render::{Piece, RenderSettings, Request, Timeline};
use weft_sources::{SourceOptions, SourceSet};

fn timeline(source: &str, request: &Request) -> (Piece, Timeline) {
    let dir = tempfile::tempdir().expect("tmp");
    let path = dir.path().join("t.weft");
    std::fs::write(&path, source).expect("write");
    let built = weft_lang::build_program(&path, &weft_lang::BuildOptions).expect("read");
    let program = built.program.expect("a program");
    let (sources, _) = SourceSet::load(&program, &SourceOptions::default());
    let settings = RenderSettings::resolve(request, &program).expect("settings");
    let piece = Piece::new(&path, &program, Arc::new(sources), &settings).expect("piece");
    let t = Timeline::new(&piece, &settings);
    (piece, t)
}

/// (segment lengths, fps, rate, chunk seconds)
const CASES: &[(&[f64], f64, u32, f64)] = &[
    (&[1.0, 2.0, 0.5], 30.0, 48_000, 2.0),
    (&[0.3, 0.7, 1.1], 24.0, 44_100, 0.5),
    (&[1.0 / 3.0, 2.0 / 3.0, 1.0], 29.97, 8_000, 0.25),
    (&[0.01, 2.5], 10.0, 1_000, 1.0),
    (&[5.0], 60.0, 48_000, 2.0),
    (&[0.1, 0.1, 0.1, 0.1], 7.0, 11_025, 0.3),
];

#[test]
fn chunks_cover_every_frame_and_sample_once_in_the_segment_locate_names() {
    for (lengths, fps, rate, chunk) in CASES {
        let mut src = String::new();
        for (i, l) in lengths.iter().enumerate() {
            src.push_str(&format!("segment s{i}({l}) {{\n    display(me@x)\n}}\n"));
        }
        let request = Request {
            size: Some((8, 8)),
            fps: Some(*fps),
            rate: Some(*rate),
            chunk: Some(*chunk),
            ..Request::default()
        };
        let (piece, t) = timeline(&src, &request);
        let what = format!("{lengths:?} at {fps} fps, {rate} Hz, {chunk} s chunks");
        let total: f64 = lengths.iter().sum();
        assert_eq!(t.frames, (total * fps - 1e-9).ceil() as u64, "{what}");
        let (mut f, mut s) = (0, 0);
        for c in t.chunks() {
            assert_eq!(c.frames.start, f, "{what}: frames in order without gap");
            assert_eq!(c.samples.start, s, "{what}: samples in order without gap");
            let seg = &t.segments[c.segment];
            if c.frames.is_empty() {
                assert_eq!(
                    seg.chunks.len(),
                    1,
                    "{what}: only a segment without frames has a chunk without frames"
                );
                assert!(!c.samples.is_empty());
            }
            assert!(c.frames.end - c.frames.start <= t.settings.chunk_frames());
            for n in c.frames.clone() {
                let (i, _) = piece.program.locate(n as f64 / fps);
                assert_eq!(i, c.segment, "{what}: frame {n}");
            }
            f = c.frames.end;
            s = c.samples.end;
        }
        assert_eq!((f, s), (t.frames, t.samples), "{what}: everything covered");
    }
}

#[test]
fn a_file_without_segments_is_one_segment_of_its_duration() {
    let request = Request {
        size: Some((8, 8)),
        fps: Some(10.0),
        ..Request::default()
    };
    let (_, t) = timeline("display(me@x)\n", &request);
    assert_eq!(t.segments.len(), 1);
    assert_eq!(t.segments[0].name, "main");
    assert_eq!(t.frames, 100, "10 s by default");
    assert_eq!(t.segments[0].chunks.len(), 5, "2 s chunks by default");
    let (_, t) = timeline(
        "display(me@x)\n",
        &Request {
            duration: Some(3.0),
            ..request
        },
    );
    assert_eq!((t.frames, t.segments[0].chunks.len()), (30, 2));
}

#[test]
fn presets_and_program_settings_combine_as_documented() {
    let src = "me<width, height, fps> = (320, 200, 12)\ndisplay(me@x)\n";
    // (request, expected width, height, fps)
    let cases: Vec<(Request, u32, u32, f64)> = vec![
        (Request::default(), 320, 200, 12.0),
        (
            Request {
                quality: Some(weft_render::Quality::Low),
                ..Request::default()
            },
            854,
            480,
            15.0,
        ),
        (
            Request {
                quality: Some(weft_render::Quality::High),
                fps: Some(24.0),
                ..Request::default()
            },
            1920,
            1080,
            24.0,
        ),
        (
            Request {
                size: Some((64, 32)),
                ..Request::default()
            },
            64,
            32,
            12.0,
        ),
    ];
    for (request, w, h, fps) in cases {
        let (_, t) = timeline(src, &request);
        let s = &t.settings;
        assert_eq!((s.width, s.height, s.fps), (w, h, fps), "{request:?}");
    }
    let (_, t) = timeline("display(me@x)\n", &Request::default());
    assert_eq!(
        (t.settings.width, t.settings.height, t.settings.fps),
        (1280, 720, 30.0),
        "medium by default"
    );
}

#[test]
fn first_at_or_after_is_exact() {
    for (t, rate, want) in [
        (0.0, 30.0, 0),
        (1.0, 30.0, 30),
        (0.1, 30.0, 3),
        (0.1001, 30.0, 4),
        (1.0 / 3.0, 3.0, 1),
        (0.3, 10.0, 3),
        (2.5, 48_000.0, 120_000),
    ] {
        let n = first_at_or_after(t, rate);
        assert_eq!(n, want, "{t} at {rate}");
        assert!(n as f64 / rate >= t && (n == 0 || ((n - 1) as f64 / rate) < t));
    }
}
