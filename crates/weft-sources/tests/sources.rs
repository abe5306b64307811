//! Loading and sampling sources from real files in a temporary directory: images
//! (PNG, JPEG), WAV clips (16/24/8-bit integer, 32-bit float), the `--mic` mix-down,
//! the `--camera` image and video, the fallbacks and the load errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use weft_diagnostics::{Code, Diagnostic, FileId, Severity, Span};
use weft_lang::builtins::SourceKind;
use weft_lang::ir::{Program, Source, SourceId};
use weft_sources::{SourceData, SourceOptions, SourceSet, MAX_VIDEO_FRAMES};

/// A directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "weft-sources-{name}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn span(i: usize) -> Span {
    Span::new(FileId(0), 10 * i, 10 * i + 5)
}

/// A program whose sources are `sources` (kind and file), source `i` at `span(i)`.
fn program(sources: &[(SourceKind, Option<&Path>)]) -> Program {
    Program {
        sources: sources
            .iter()
            .enumerate()
            .map(|(i, (kind, path))| Source {
                kind: *kind,
                path: path.map(Path::to_path_buf),
                span: span(i),
            })
            .collect(),
        ..Default::default()
    }
}

fn load(
    sources: &[(SourceKind, Option<&Path>)],
    options: &SourceOptions,
) -> (SourceSet, Vec<Diagnostic>) {
    SourceSet::load(&program(sources), options)
}

fn load_ok(sources: &[(SourceKind, Option<&Path>)], options: &SourceOptions) -> SourceSet {
    let (set, diags) = load(sources, options);
    assert!(diags.is_empty(), "unexpected diagnostics: {diags:#?}");
    assert_eq!(set.len(), sources.len());
    set
}

const S0: SourceId = SourceId(0);
const S1: SourceId = SourceId(1);

/// Deterministic pseudo-random bytes (xorshift).
fn noise_bytes(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

fn write_wav<S: hound::Sample + Copy>(path: &Path, spec: hound::WavSpec, samples: &[S]) {
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for s in samples {
        w.write_sample(*s).expect("write sample");
    }
    w.finalize().expect("finalize wav");
}

fn int_spec(channels: u16, rate: u32, bits: u16) -> hound::WavSpec {
    hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: bits,
        sample_format: hound::SampleFormat::Int,
    }
}

/// The 3×2 test picture, RGBA, rows from the top.
const PIXELS: [[u8; 4]; 6] = [
    [255, 0, 0, 255],
    [0, 255, 0, 128],
    [0, 0, 255, 0],
    [10, 20, 30, 40],
    [51, 102, 153, 204],
    [255, 255, 255, 255],
];

fn write_test_png(path: &Path) {
    let raw: Vec<u8> = PIXELS.iter().flatten().copied().collect();
    image::save_buffer(path, &raw, 3, 2, image::ColorType::Rgba8).expect("write png");
}

fn assert_pixel(data: &SourceData, x: f64, y: f64, want: [u8; 4]) {
    for (out, w) in want.iter().enumerate() {
        let got = data.sample(out as u32, x, y, 0.0);
        assert_eq!(got, f64::from(*w) / 255.0, "output {out} at ({x}, {y})");
    }
}

#[test]
fn png_samples_the_nearest_pixel_clamped_to_the_edges() {
    let dir = TempDir::new("png");
    let png = dir.path("pic.png");
    write_test_png(&png);
    let set = load_ok(&[(SourceKind::Load, Some(&png))], &SourceOptions::default());
    let img = set.get(S0);
    assert_eq!(img.size(), Some((3, 2)));
    // Pixel centres and cell edges: column floor(x * 3), row floor(y * 2).
    for j in 0..2 {
        for i in 0..3 {
            let want = PIXELS[j * 3 + i];
            assert_pixel(img, (i as f64 + 0.5) / 3.0, (j as f64 + 0.5) / 2.0, want);
            assert_pixel(img, i as f64 / 3.0 + 1e-9, j as f64 / 2.0, want);
        }
    }
    // Clamped to the edges.
    assert_pixel(img, -0.5, -3.0, PIXELS[0]);
    assert_pixel(img, 1.0, 0.0, PIXELS[2]);
    assert_pixel(img, 7.0, 0.99, PIXELS[5]);
    assert_pixel(img, -1e300, 1e300, PIXELS[3]);
    assert_pixel(img, f64::NEG_INFINITY, f64::INFINITY, PIXELS[3]);
    // NaN picks the first column / row.
    assert_pixel(img, f64::NAN, f64::NAN, PIXELS[0]);
    assert_pixel(img, 0.9, f64::NAN, PIXELS[2]);
    // Time does not matter; outputs past `a` are 0.
    assert_eq!(img.sample(0, 0.1, 0.1, 1e9), 1.0);
    assert_eq!(img.sample(4, 0.1, 0.1, 0.0), 0.0);
    assert_eq!(img.sample(u32::MAX, 0.1, 0.1, 0.0), 0.0);
}

#[test]
fn images_without_alpha_are_opaque_and_jpeg_loads() {
    let dir = TempDir::new("rgb");
    let png = dir.path("rgb.png");
    image::save_buffer(&png, &[1, 2, 3, 4, 5, 6], 2, 1, image::ColorType::Rgb8).expect("write png");
    let jpg = dir.path("gray.JPG");
    let gray = image::RgbImage::from_pixel(16, 8, image::Rgb([128, 128, 128]));
    gray.save_with_format(&jpg, image::ImageFormat::Jpeg)
        .expect("write jpeg");
    let set = load_ok(
        &[
            (SourceKind::Load, Some(&png)),
            (SourceKind::Load, Some(&jpg)),
        ],
        &SourceOptions::default(),
    );
    assert_pixel(set.get(S0), 0.75, 0.5, [4, 5, 6, 255]);
    let jpeg = set.get(S1);
    assert_eq!(jpeg.size(), Some((16, 8)));
    for out in 0..3 {
        let v = jpeg.sample(out, 0.3, 0.6, 0.0);
        assert!(
            (v - 128.0 / 255.0).abs() < 3.0 / 255.0,
            "jpeg channel {out}: {v}"
        );
    }
    assert_eq!(jpeg.sample(3, 0.3, 0.6, 0.0), 1.0);
}

#[test]
fn mono_16_bit_wav_takes_the_nearest_sample_and_is_zero_outside() {
    let dir = TempDir::new("mono");
    let wav = dir.path("mono.wav");
    // Rate 8 keeps `time * rate` exact, so the ties below really are ties.
    write_wav(
        &wav,
        int_spec(1, 8, 16),
        &[0i16, 16384, -16384, 32767, -32768],
    );
    let set = load_ok(
        &[(SourceKind::Sample, Some(&wav))],
        &SourceOptions::default(),
    );
    let clip = set.get(S0);
    assert_eq!(clip.rate(), Some(8.0));
    let want = [0.0, 0.5, -0.5, 32767.0 / 32768.0, -1.0];
    for (n, w) in want.iter().enumerate() {
        let t = n as f64 / 8.0;
        // l = r for a mono file.
        assert_eq!(clip.sample(0, 0.0, 0.0, t), *w, "l at sample {n}");
        assert_eq!(clip.sample(1, 0.0, 0.0, t), *w, "r at sample {n}");
    }
    // Nearest: round(time * rate), halves away from zero.
    assert_eq!(clip.sample(0, 0.0, 0.0, 1.4 / 8.0), 0.5);
    assert_eq!(clip.sample(0, 0.0, 0.0, 1.5 / 8.0), -0.5);
    assert_eq!(clip.sample(0, 0.0, 0.0, 0.6 / 8.0), 0.5);
    // Slightly before the start still rounds to sample 0; x and y do not matter.
    assert_eq!(clip.sample(0, 5.0, -5.0, -0.4 / 8.0), 0.0);
    assert_eq!(clip.sample(0, 0.0, 0.0, 4.4 / 8.0), -1.0);
    // Outside [0, frames): 0.
    for t in [
        -1.0,
        -0.6 / 8.0,
        4.5 / 8.0,
        5.0 / 8.0,
        1e300,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ] {
        assert_eq!(clip.sample(0, 0.0, 0.0, t), 0.0, "time {t}");
        assert_eq!(clip.sample(1, 0.0, 0.0, t), 0.0, "time {t}");
    }
    assert_eq!(clip.sample(2, 0.0, 0.0, 1.0 / 8.0), 0.0);
}

#[test]
fn stereo_wavs_of_every_depth_give_left_and_right() {
    let dir = TempDir::new("stereo");
    let s16 = dir.path("s16.wav");
    write_wav(
        &s16,
        int_spec(2, 48_000, 16),
        &[8192i16, -8192, 16384, 32767],
    );
    let s24 = dir.path("s24.wav");
    write_wav(
        &s24,
        int_spec(2, 44_100, 24),
        &[1i32 << 22, -(1 << 21), -(1 << 23), 0],
    );
    let s8 = dir.path("s8.wav");
    write_wav(&s8, int_spec(2, 22_050, 8), &[64i8, -128, 0, 127]);
    let f32_wav = dir.path("f32.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 1000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    write_wav(&f32_wav, spec, &[0.25f32, -0.75, 1.5, -0.125]);
    let files = [&s16, &s24, &s8, &f32_wav];
    let sources: Vec<_> = files
        .iter()
        .map(|p| (SourceKind::Sample, Some(p.as_path())))
        .collect();
    let set = load_ok(&sources, &SourceOptions::default());
    let cases: [(f64, [[f64; 2]; 2]); 4] = [
        (48_000.0, [[0.25, -0.25], [0.5, 32767.0 / 32768.0]]),
        (44_100.0, [[0.5, -0.25], [-1.0, 0.0]]),
        (22_050.0, [[0.5, -1.0], [0.0, 127.0 / 128.0]]),
        (1000.0, [[0.25, -0.75], [1.5, -0.125]]),
    ];
    for (i, (rate, frames)) in cases.iter().enumerate() {
        let clip = set.get(SourceId(i as u32));
        assert_eq!(clip.rate(), Some(*rate), "{}", files[i].display());
        for (n, [l, r]) in frames.iter().enumerate() {
            let t = n as f64 / rate;
            assert_eq!(
                clip.sample(0, 0.0, 0.0, t),
                *l,
                "{} l[{n}]",
                files[i].display()
            );
            assert_eq!(
                clip.sample(1, 0.0, 0.0, t),
                *r,
                "{} r[{n}]",
                files[i].display()
            );
        }
        assert_eq!(clip.sample(0, 0.0, 0.0, 2.0 / rate), 0.0);
    }
}

#[test]
fn mic_mixes_to_mono_and_has_one_output() {
    let dir = TempDir::new("mic");
    let wav = dir.path("mic.wav");
    write_wav(
        &wav,
        int_spec(2, 100, 16),
        &[16384i16, -8192, -32768, -32768, 0, 8192],
    );
    let options = SourceOptions {
        mic: Some(wav.clone()),
        camera: None,
        ..SourceOptions::default()
    };
    let set = load_ok(
        &[(SourceKind::Mic, None), (SourceKind::Mic, None)],
        &options,
    );
    let mic = set.get(S0);
    assert_eq!(mic.sample(0, 0.0, 0.0, 0.0), 0.125);
    assert_eq!(mic.sample(0, 0.0, 0.0, 0.01), -1.0);
    assert_eq!(mic.sample(0, 0.0, 0.0, 0.02), 0.125);
    assert_eq!(mic.sample(0, 0.0, 0.0, 0.03), 0.0);
    assert_eq!(mic.sample(0, 0.0, 0.0, f64::NAN), 0.0);
    assert_eq!(mic.sample(1, 0.0, 0.0, 0.0), 0.0, "mic() has one output");
    // Both calls share one decoded clip.
    assert!(std::sync::Arc::ptr_eq(&set.get_arc(S0), &set.get_arc(S1)));
    assert_eq!(set.content_hash(S0), set.content_hash(S1));
}

#[test]
fn missing_mic_and_camera_warn_and_sample_zero() {
    let (set, diags) = load(
        &[
            (SourceKind::Mic, None),
            (SourceKind::Camera, None),
            (SourceKind::Mic, None),
        ],
        &SourceOptions::default(),
    );
    assert_eq!(set.len(), 3);
    assert_eq!(diags.len(), 2, "one warning per input: {diags:#?}");
    assert_eq!(diags[0].code, Code::MicFallback);
    assert_eq!(diags[0].severity, Severity::Warning);
    assert_eq!(diags[0].span, Some(span(0)));
    assert!(
        diags[0].message.contains("--mic FILE.wav"),
        "{}",
        diags[0].message
    );
    assert_eq!(diags[1].code, Code::CameraFallback);
    assert_eq!(diags[1].severity, Severity::Warning);
    assert_eq!(diags[1].span, Some(span(1)));
    assert!(
        diags[1].message.contains("--camera"),
        "{}",
        diags[1].message
    );
    for id in 0..3 {
        let data = set.get(SourceId(id));
        assert!(data.is_fallback());
        for out in 0..4 {
            for t in [0.0, 0.5, 1e9, f64::NAN] {
                assert_eq!(data.sample(out, 0.5, 0.5, t), 0.0);
            }
        }
    }
}

/// Asserts one E0601 error per source, at its span, naming `file`.
fn assert_load_errors(set: &SourceSet, diags: &[Diagnostic], files: &[&Path]) {
    assert_eq!(diags.len(), files.len(), "{diags:#?}");
    for (i, (d, file)) in diags.iter().zip(files).enumerate() {
        assert_eq!(d.code, Code::SourceLoad, "{d:#?}");
        assert!(d.is_error());
        assert_eq!(d.span, Some(span(i)));
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        assert!(
            d.message.contains(name),
            "message names the file: {}",
            d.message
        );
        assert!(
            d.message.contains(": "),
            "message gives a reason: {}",
            d.message
        );
        let data = set.get(SourceId(i as u32));
        assert!(data.is_fallback());
        assert_eq!(data.sample(0, 0.5, 0.5, 0.0), 0.0);
    }
}

#[test]
fn garbage_truncated_and_missing_files_are_load_errors() {
    let dir = TempDir::new("garbage");
    let x_png = dir.path("x.png");
    std::fs::write(&x_png, noise_bytes(4096, 7)).expect("write");
    let x_wav = dir.path("x.wav");
    std::fs::write(&x_wav, noise_bytes(4096, 11)).expect("write");
    let empty = dir.path("empty.png");
    std::fs::write(&empty, b"").expect("write");
    // A real PNG and WAV, cut short.
    let good_png = dir.path("good.png");
    let noisy = image::RgbImage::from_fn(64, 64, |x, y| {
        image::Rgb([(x * 7 + y) as u8, (y * 3) as u8, (x ^ y) as u8])
    });
    noisy.save(&good_png).expect("write png");
    let png_bytes = std::fs::read(&good_png).expect("read");
    let cut_png = dir.path("cut.png");
    std::fs::write(&cut_png, &png_bytes[..png_bytes.len() / 2]).expect("write");
    let good_wav = dir.path("good.wav");
    let ramp: Vec<i16> = (0..1000).map(|i| i * 16).collect();
    write_wav(&good_wav, int_spec(1, 8000, 16), &ramp);
    let wav_bytes = std::fs::read(&good_wav).expect("read");
    let cut_wav = dir.path("cut.wav");
    std::fs::write(&cut_wav, &wav_bytes[..wav_bytes.len() / 2 + 1]).expect("write");
    let header_only = dir.path("header.wav");
    std::fs::write(&header_only, &wav_bytes[..20]).expect("write");
    let missing = dir.path("missing.png");
    let not_wav = dir.path("pic-as-audio.wav");
    std::fs::write(&not_wav, &png_bytes).expect("write");
    let files: [(SourceKind, &Path); 9] = [
        (SourceKind::Load, &x_png),
        (SourceKind::Sample, &x_wav),
        (SourceKind::Load, &empty),
        (SourceKind::Load, &cut_png),
        (SourceKind::Sample, &cut_wav),
        (SourceKind::Sample, &header_only),
        (SourceKind::Load, &missing),
        (SourceKind::Sample, &missing),
        (SourceKind::Sample, &not_wav),
    ];
    let sources: Vec<_> = files.iter().map(|(k, p)| (*k, Some(*p))).collect();
    let (set, diags) = load(&sources, &SourceOptions::default());
    let paths: Vec<&Path> = files.iter().map(|(_, p)| *p).collect();
    assert_load_errors(&set, &diags, &paths);
    assert!(
        diags[6].message.contains("no such file"),
        "{}",
        diags[6].message
    );
    assert!(
        diags[4].message.contains("truncated"),
        "{}",
        diags[4].message
    );
}

#[test]
fn bad_mic_and_camera_files_are_load_errors() {
    let dir = TempDir::new("badinputs");
    let x_wav = dir.path("x.wav");
    std::fs::write(&x_wav, noise_bytes(1000, 3)).expect("write");
    let x_png = dir.path("x.png");
    std::fs::write(&x_png, noise_bytes(1000, 5)).expect("write");
    let options = SourceOptions {
        mic: Some(x_wav.clone()),
        camera: Some(x_png.clone()),
        ..SourceOptions::default()
    };
    let (set, diags) = load(
        &[(SourceKind::Mic, None), (SourceKind::Camera, None)],
        &options,
    );
    assert_load_errors(&set, &diags, &[&x_wav, &x_png]);
    assert!(diags[0].message.contains("--mic"), "{}", diags[0].message);
    assert!(
        diags[1].message.contains("--camera"),
        "{}",
        diags[1].message
    );
    let missing = SourceOptions {
        mic: Some(dir.path("nope.wav")),
        camera: Some(dir.path("nope.mp4")),
        ..SourceOptions::default()
    };
    let (set, diags) = load(
        &[(SourceKind::Mic, None), (SourceKind::Camera, None)],
        &missing,
    );
    assert_load_errors(
        &set,
        &diags,
        &[&dir.path("nope.wav"), &dir.path("nope.mp4")],
    );
}

#[test]
fn image_camera_gives_rgb_at_every_time() {
    let dir = TempDir::new("camimg");
    let png = dir.path("cam.png");
    write_test_png(&png);
    let options = SourceOptions {
        mic: None,
        camera: Some(png),
        ..SourceOptions::default()
    };
    let set = load_ok(&[(SourceKind::Camera, None)], &options);
    let cam = set.get(S0);
    for t in [0.0, 3.5, -1.0, f64::NAN] {
        assert_eq!(cam.sample(0, 0.9, 0.9, t), 1.0);
        assert_eq!(cam.sample(1, 0.5, 0.9, t), 102.0 / 255.0);
        assert_eq!(cam.sample(2, 0.1, 0.9, t), 30.0 / 255.0);
    }
    assert_eq!(cam.sample(3, 0.5, 0.5, 0.0), 0.0, "camera() has no alpha");
}

#[test]
fn content_hashes_follow_decoded_content() {
    let dir = TempDir::new("hash");
    let a = dir.path("a.png");
    write_test_png(&a);
    let same = dir.path("same.png");
    write_test_png(&same);
    let other = dir.path("other.png");
    image::save_buffer(&other, &[0u8; 24], 3, 2, image::ColorType::Rgba8).expect("write png");
    let wav = dir.path("a.wav");
    write_wav(&wav, int_spec(1, 8000, 16), &[1i16, 2, 3]);
    let set = load_ok(
        &[
            (SourceKind::Load, Some(&a)),
            (SourceKind::Load, Some(&same)),
            (SourceKind::Load, Some(&other)),
            (SourceKind::Sample, Some(&wav)),
            (SourceKind::Load, Some(&a)),
        ],
        &SourceOptions::default(),
    );
    let h = |i: u32| set.content_hash(SourceId(i));
    assert_eq!(h(0), h(1), "same pixels, same hash");
    assert_ne!(h(0), h(2));
    assert_ne!(h(0), h(3));
    assert_eq!(h(0), h(4));
    assert!(
        std::sync::Arc::ptr_eq(&set.get_arc(S0), &set.get_arc(SourceId(4))),
        "one file decoded once"
    );
    // Reloading gives the same digests.
    let again = load_ok(&[(SourceKind::Load, Some(&a))], &SourceOptions::default());
    assert_eq!(again.content_hash(S0), h(0));
    // Ids the set does not hold are silent, never a panic.
    assert_eq!(set.get(SourceId(99)).sample(0, 0.0, 0.0, 0.0), 0.0);
    assert!(set.get_arc(SourceId(99)).is_fallback());
    assert_eq!(
        set.content_hash(SourceId(99)),
        SourceSet::default().content_hash(S0)
    );
    assert!(SourceSet::default().is_empty());
}

#[test]
fn sampling_never_panics() {
    let dir = TempDir::new("fuzz");
    let png = dir.path("p.png");
    write_test_png(&png);
    let wav = dir.path("w.wav");
    write_wav(&wav, int_spec(2, 44_100, 16), &[1i16, 2, 3, 4]);
    let set = load_ok(
        &[
            (SourceKind::Load, Some(&png)),
            (SourceKind::Sample, Some(&wav)),
        ],
        &SourceOptions::default(),
    );
    let values = [
        0.0,
        -0.0,
        0.5,
        1.0,
        -1.0,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::MAX,
        f64::MIN,
        f64::MIN_POSITIVE,
        1e20,
        -1e20,
        9.2e18,
        1.8e19,
    ];
    for id in [S0, S1] {
        let data = set.get(id);
        for out in [0, 1, 2, 3, 4, 255, u32::MAX] {
            for x in values {
                for t in values {
                    let v = data.sample(out, x, -x, t);
                    assert!((-1.0..=1.0).contains(&v), "{v}");
                }
            }
        }
    }
}

#[test]
fn build_source_programs_load_their_files() {
    let dir = TempDir::new("build");
    write_test_png(&dir.path("pic.png"));
    write_wav(&dir.path("drum.wav"), int_spec(1, 10, 16), &[16384i16]);
    let text = "img<r, g, b, a> = load(\"pic.png\")\nhit<l, r> = sample(\"drum.wav\")\ndisplay(img@r, img@g, hit@l)\n";
    let built = weft_lang::build_source(&dir.path("main.weft"), text);
    let Some(program) = built.program else {
        panic!("the program should build: {:#?}", built.diagnostics);
    };
    let (set, diags) = SourceSet::load(&program, &SourceOptions::default());
    assert!(diags.is_empty(), "{diags:#?}");
    assert_eq!(set.len(), program.sources.len());
    let image = (0..set.len() as u32)
        .map(SourceId)
        .find(|id| set.get(*id).size().is_some());
    let Some(image) = image else {
        panic!("no image source among {:#?}", program.sources);
    };
    assert_eq!(set.get(image).sample(3, 0.5, 0.2, 0.0), 128.0 / 255.0);
}

// ---- video cameras (need the system ffmpeg) ----

fn require_ffmpeg() {
    let ok = |tool: &str| {
        Command::new(tool)
            .arg("-version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    assert!(
        ok("ffmpeg") && ok("ffprobe"),
        "these tests need ffmpeg and ffprobe on PATH: install them with `apt-get install -y ffmpeg` \
         (after `apt-get update`)"
    );
}

fn ffmpeg(args: &[&str]) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y"])
        .args(args)
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn video_camera_takes_frame_floor_time_times_fps() {
    require_ffmpeg();
    let dir = TempDir::new("video");
    let clip = dir.path("clip.mkv");
    let clip_s = clip.to_string_lossy().into_owned();
    // Lossless RGB frames, so every pixel can be compared exactly.
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=32x24:rate=10",
        "-frames:v",
        "5",
        "-c:v",
        "png",
        "-pix_fmt",
        "rgb24",
        &clip_s,
    ]);
    let options = SourceOptions {
        mic: None,
        camera: Some(clip.clone()),
        ..SourceOptions::default()
    };
    let set = load_ok(&[(SourceKind::Camera, None)], &options);
    let cam = set.get(S0);
    assert_eq!(cam.size(), Some((32, 24)));
    assert_eq!(cam.rate(), Some(10.0));
    let SourceData::Video(video) = cam else {
        panic!("a video camera: {cam:?}");
    };
    assert_eq!(video.frames(), 5);
    // Each frame as ffmpeg extracts it on its own.
    let frames: Vec<image::RgbImage> = (0..5)
        .map(|k| {
            let png = dir.path(&format!("frame{k}.png"));
            let select = format!("select=eq(n\\,{k})");
            ffmpeg(&[
                "-i",
                &clip_s,
                "-vf",
                &select,
                "-frames:v",
                "1",
                &png.to_string_lossy(),
            ]);
            image::open(&png).expect("decode frame").to_rgb8()
        })
        .collect();
    assert_ne!(frames[0], frames[1], "testsrc moves");
    let check = |time: f64, k: usize| {
        for j in 0..24u32 {
            for i in 0..32u32 {
                let (x, y) = ((f64::from(i) + 0.5) / 32.0, (f64::from(j) + 0.5) / 24.0);
                let px = frames[k].get_pixel(i, j);
                for c in 0..3 {
                    let want = f64::from(px[c]) / 255.0;
                    assert_eq!(
                        cam.sample(c as u32, x, y, time),
                        want,
                        "frame {k} pixel ({i}, {j}) channel {c}"
                    );
                }
            }
        }
    };
    check(0.0, 0);
    check(0.099, 0);
    check(0.1, 1);
    check(0.25, 2);
    check(0.49, 4);
    // Clamped to the first and last frames.
    check(-3.0, 0);
    check(f64::NAN, 0);
    check(7.0, 4);
    check(f64::INFINITY, 4);
    assert_eq!(cam.sample(3, 0.5, 0.5, 0.0), 0.0);
}

#[test]
fn long_video_cameras_are_cut_with_a_warning() {
    require_ffmpeg();
    let dir = TempDir::new("longvideo");
    let clip = dir.path("long.nut");
    let frames = (MAX_VIDEO_FRAMES + 50).to_string();
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc=size=8x8:rate=100",
        "-frames:v",
        &frames,
        "-c:v",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        &clip.to_string_lossy(),
    ]);
    let options = SourceOptions {
        mic: None,
        camera: Some(clip),
        ..SourceOptions::default()
    };
    let (set, diags) = load(&[(SourceKind::Camera, None)], &options);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(diags[0].severity, Severity::Warning);
    assert_eq!(diags[0].code, Code::CameraFallback);
    assert!(
        diags[0].message.contains(&MAX_VIDEO_FRAMES.to_string()),
        "{}",
        diags[0].message
    );
    let SourceData::Video(video) = set.get(S0) else {
        panic!("a video camera");
    };
    assert_eq!(video.frames(), MAX_VIDEO_FRAMES);
    assert_eq!(video.fps(), 100.0);
}

#[test]
fn a_non_video_camera_file_is_a_load_error() {
    require_ffmpeg();
    let dir = TempDir::new("notvideo");
    let bogus = dir.path("bogus.mp4");
    std::fs::write(&bogus, noise_bytes(5000, 99)).expect("write");
    let options = SourceOptions {
        mic: None,
        camera: Some(bogus.clone()),
        ..SourceOptions::default()
    };
    let (set, diags) = load(&[(SourceKind::Camera, None)], &options);
    assert_load_errors(&set, &diags, &[&bogus]);
}
