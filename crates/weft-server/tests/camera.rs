//! `weft dev --camera FILE` through a real WebSocket client: a display reading
//! `camera()` gets a shader that says which frames the file has; the page asks
//! for a frame by index (`camera-frame`) and gets it as `WCAM`, clamped to the
//! video; a display without the camera gets none; garbage requests are refused
//! and a flood of them makes one frame at a time.

mod common;

use common::{Client, Served};
use serde_json::json;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const CAM: &str = "cam<r, g, b> = camera()\ndisplay(cam@r, cam@g, cam@b)\n";
const PLAIN: &str = "display(me@x, 0, 0)\n";

/// The `WCAM` frames among `c`'s binary messages: (width, height, index, RGBA).
fn camera_frames(c: &Client) -> Vec<(u32, u32, u32, Vec<u8>)> {
    c.binary
        .iter()
        .filter(|b| b.starts_with(b"WCAM"))
        .map(|b| {
            let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            (word(4), word(8), word(12), b[16..].to_vec())
        })
        .collect()
}

/// Asks for `frame` of a camera of `frames` frames and waits for the answer:
/// the frame shown there (clamped to the last, as `camera()` is), passing over
/// any other that arrives (a late answer to an earlier request).
async fn ask(c: &mut Client, frame: u64, frames: u64) -> (u32, u32, u32, Vec<u8>) {
    c.binary.clear();
    c.send(json!({"type": "camera-frame", "frame": frame}))
        .await;
    let want = frame.min(frames - 1) as u32;
    for _ in 0..500 {
        c.drain(Duration::from_millis(20)).await;
        if let Some(f) = camera_frames(c).into_iter().find(|f| f.2 == want) {
            return f;
        }
    }
    let got: Vec<u32> = camera_frames(c).iter().map(|f| f.2).collect();
    panic!("no WCAM of frame {want} for a request of {frame}; frames {got:?}");
}

fn clip(dir: &Path) -> std::path::PathBuf {
    let clip = dir.join("clip.mp4");
    let made = Command::new("ffmpeg")
        .args([
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc=size=32x18:rate=10",
            "-t",
            "1",
        ])
        .args(["-pix_fmt", "yuv444p", "-c:v", "libx264", "-qp", "0"])
        .arg(&clip)
        .status()
        .expect("ffmpeg (./scripts/setup.sh installs it)");
    assert!(made.success());
    clip
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_video_camera_is_sent_frame_by_frame_as_the_page_asks() {
    let tmp = tempfile::tempdir().unwrap();
    let video = clip(tmp.path());
    let s = Served::with(&[("cam.weft", CAM), ("plain.weft", PLAIN)], |c| {
        c.camera = Some(video.clone())
    })
    .await;
    let mut c = s.client().await;
    c.watch("cam.weft").await;
    let shader = c.until("display-shader").await;
    assert!(shader.get("unsupported").is_none(), "{shader}");
    assert_eq!(
        shader["cameraFrames"],
        json!({"fps": 10.0, "frames": 10, "width": 32, "height": 18}),
        "{shader}"
    );
    let (w, h, index, first) = ask(&mut c, 0, 10).await;
    assert_eq!((w, h, index), (32, 18, 0));
    assert_eq!(first.len(), 32 * 18 * 4);
    assert!(first.chunks_exact(4).all(|p| p[3] == 255), "opaque");
    let (_, _, index, fifth) = ask(&mut c, 5, 10).await;
    assert_eq!(index, 5);
    assert_ne!(first, fifth, "another frame of the test pattern");
    let (_, _, index, last) = ask(&mut c, 1_000_000, 10).await;
    assert_eq!(index, 9, "clamped to the last frame, as camera() is");
    assert_eq!(ask(&mut c, 9, 10).await.3, last);

    // Garbage: refused, the connection kept.
    for bad in [
        json!({"type": "camera-frame"}),
        json!({"type": "camera-frame", "frame": -1}),
        json!({"type": "camera-frame", "frame": "x"}),
        json!({"type": "camera-frame", "frame": 1.5}),
    ] {
        c.send(bad.clone()).await;
        let e = c.until("error").await;
        assert_eq!(e["code"], "malformed", "{bad} -> {e}");
    }
    assert_eq!(ask(&mut c, 2, 10).await.2, 2);

    // A flood of requests: one frame at a time is made, the overtaken ones
    // dropped, the last one asked for always made.
    c.binary.clear();
    for k in 0..300u64 {
        c.send(json!({"type": "camera-frame", "frame": k % 10}))
            .await;
    }
    // Until the frames stop coming (a loaded machine makes them slowly).
    let mut seen = 0;
    for _ in 0..200 {
        c.drain(Duration::from_millis(100)).await;
        let now = camera_frames(&c).len();
        if now == seen && camera_frames(&c).last().map(|f| f.2) == Some(9) {
            break;
        }
        seen = now;
    }
    let made = camera_frames(&c);
    assert!(
        (1..300).contains(&made.len()),
        "{} frames for 300 requests",
        made.len()
    );
    assert_eq!(
        made.last().map(|f| f.2),
        Some(9),
        "the last asked for (299 % 10)"
    );
    assert_eq!(ask(&mut c, 4, 10).await.2, 4);

    // A display that does not read the camera: no frames, no camera in its shader.
    let mut p = s.client().await;
    p.watch("plain.weft").await;
    let plain = p.until("display-shader").await;
    assert!(plain.get("cameraFrames").is_none(), "{plain}");
    p.binary.clear();
    p.send(json!({"type": "camera-frame", "frame": 0})).await;
    p.drain(Duration::from_millis(300)).await;
    assert!(camera_frames(&p).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_camera_is_one_frame() {
    let tmp = tempfile::tempdir().unwrap();
    let still = tmp.path().join("still.png");
    image::RgbaImage::from_fn(4, 2, |x, y| {
        image::Rgba([x as u8 * 60, y as u8 * 200, 7, 128])
    })
    .save(&still)
    .unwrap();
    let s = Served::with(&[("cam.weft", CAM)], |c| c.camera = Some(still.clone())).await;
    let mut c = s.client().await;
    c.watch("cam.weft").await;
    let shader = c.until("display-shader").await;
    assert_eq!(
        shader["cameraFrames"],
        json!({"fps": 0.0, "frames": 1, "width": 4, "height": 2}),
        "{shader}"
    );
    let (w, h, index, rgba) = ask(&mut c, 3, 1).await;
    assert_eq!((w, h, index), (4, 2, 0));
    assert_eq!(&rgba[..8], &[0, 0, 7, 255, 60, 0, 7, 255]);
    assert_eq!(&rgba[16..20], &[0, 200, 7, 255]);
}
