//! The outputs: the video's streams, length and frames against `weft frame`; PNG
//! frames and WAV samples equal to `weft frame` and `weft audio`.

use super::*;

#[test]
fn the_video_has_its_streams_length_and_frames_and_shows_what_weft_frame_shows() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let out = dir.path().join("smooth.mp4");
    let o = out.to_str().expect("utf-8");
    let report = render(
        &file,
        &[
            "--quality",
            "high",
            "--size",
            "64x36",
            "--fps",
            "10",
            "-o",
            o,
        ],
    );
    assert_eq!(n(&report, "failed"), 0);
    let p = probe(&out);
    assert_eq!(field(&p, "codec_name"), ["h264", "aac"], "{p}");
    assert_eq!(field(&p, "pix_fmt"), ["yuv420p"], "{p}");
    assert_eq!(field(&p, "width"), ["64"], "{p}");
    assert_eq!(field(&p, "nb_read_frames")[0], "25", "{p}");
    assert_eq!(field(&p, "channels"), ["2"], "{p}");
    let duration: f64 = field(&p, "duration")[0].parse().expect("a duration");
    assert!((duration - 2.5).abs() < 0.05, "duration {duration}");
    // Frames decoded from the video against `weft frame` at the same times; and a
    // frame against the wrong time, which must differ clearly.
    let mut diffs = Vec::new();
    for k in [0u32, 9, 14, 15, 24] {
        let decoded = dir.path().join(format!("decoded-{k}.png"));
        let status = Command::new("ffmpeg")
            .args(["-v", "error", "-y", "-i", o, "-vf"])
            .arg(format!("select=eq(n\\,{k})"))
            .args(["-frames:v", "1"])
            .arg(&decoded)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        let frame = |t: f64, name: &str| {
            let p = dir.path().join(name);
            ok(&[
                "frame",
                file.to_str().expect("utf-8"),
                "--time",
                &t.to_string(),
                "--size",
                "64x36",
                "-o",
                p.to_str().expect("utf-8"),
            ]);
            rgb(&p)
        };
        let want = frame(k as f64 / 10.0, "want.png");
        let got = rgb(&decoded);
        diffs.push((k, mean_diff(&got, &want)));
        let wrong = frame((k as f64 / 10.0 + 1.2) % 2.5, "wrong.png");
        assert!(
            mean_diff(&got, &wrong) > 8.0,
            "frame {k} also matches another time"
        );
    }
    eprintln!("mean differences per frame: {diffs:?}");
    assert!(
        diffs.iter().all(|(_, d)| *d < 4.0),
        "mean differences per frame: {diffs:?}"
    );
}

#[test]
fn png_frames_and_wav_samples_equal_weft_frame_and_weft_audio() {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join("smooth.weft");
    std::fs::write(&file, SMOOTH).expect("write");
    let f = file.to_str().expect("utf-8");
    let frames = dir.path().join("frames");
    let fo = frames.to_str().expect("utf-8");
    // A longer sequence first: its extra frames must not stay in the folder.
    render(
        &file,
        &["--format", "png", "--size", "24x16", "--fps", "8", "-o", fo],
    );
    render(
        &file,
        &["--format", "png", "--size", "24x16", "--fps", "4", "-o", fo],
    );
    let mut names: Vec<String> = std::fs::read_dir(&frames)
        .expect("frames")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 10, "{names:?}");
    for (k, name) in names.iter().enumerate() {
        assert_eq!(name, &format!("frame-{k:06}.png"));
        let want = dir.path().join("want.png");
        ok(&[
            "frame",
            f,
            "--time",
            &(k as f64 / 4.0).to_string(),
            "--size",
            "24x16",
            "-o",
            want.to_str().expect("utf-8"),
        ]);
        assert!(
            rgb(&frames.join(name)) == rgb(&want),
            "frame {k} differs from weft frame"
        );
    }
    let wav = dir.path().join("out.wav");
    let want = dir.path().join("want.wav");
    render(
        &file,
        &[
            "--format",
            "wav",
            "--rate",
            "8000",
            "--chunk",
            "0.3",
            "-o",
            wav.to_str().expect("utf-8"),
        ],
    );
    ok(&[
        "audio",
        f,
        "--rate",
        "8000",
        "-o",
        want.to_str().expect("utf-8"),
    ]);
    let read = |p: &Path| -> (u16, Vec<f32>) {
        let mut r = hound::WavReader::open(p).expect("a wav");
        let ch = r.spec().channels;
        (
            ch,
            r.samples::<f32>().map(|s| s.expect("a sample")).collect(),
        )
    };
    let (got, want) = (read(&wav), read(&want));
    assert_eq!(got.0, 2);
    assert_eq!(got.1.len(), 2 * 20_000);
    assert!(got == want, "the WAV differs from weft audio");
}
