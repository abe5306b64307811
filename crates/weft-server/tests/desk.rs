//! The render desk through a real WebSocket client and real HTTP: a watched
//! file's `timeline`, the render commands (`render`, `render SEGMENT`, `preview`,
//! `status`, `cancel`), progress while rendering, and the joined video and
//! thumbnails served from the file's render cache — with byte ranges, and never
//! anything outside the folder.

mod common;

use common::{Client, Served};
use serde_json::{json, Value};

const PARTS: &str = "segment intro(1) {\n    display(me@x, 0.2, 0.4)\n}\nsegment drop(1) {\n    display(0.9, me@y, 0.1)\n}\nsegment outro(1) {\n    display(0.1, 0.5, me@x)\n}\n";

async fn command(c: &mut Client, text: &str) -> Value {
    c.send(json!({"type": "command", "text": text})).await;
    c.until_match(|v: &Value| v["type"] == "command-result" && v["text"] == text)
        .await
}

async fn timeline(c: &mut Client, pred: impl Fn(&Value) -> bool) -> Value {
    c.until_match(|v: &Value| v["type"] == "timeline" && pred(v))
        .await
}

fn states(t: &Value) -> Vec<String> {
    t["segments"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| s["state"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Status line and body length of a GET with extra `headers`.
async fn get(s: &Served, path: &str, headers: &[(&str, &str)]) -> (String, Vec<u8>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(s.server.addr())
        .await
        .unwrap();
    let mut request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        s.server.addr()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(out.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&out[..split]).to_string();
    (
        head.lines().next().unwrap_or("").to_string(),
        out[split..].to_vec(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_render_from_the_page_fills_the_timeline_and_serves_the_video() {
    let served = Served::new(&[("parts.weft", PARTS)]).await;
    let mut c = served.client().await;
    c.watch("parts.weft").await;
    let t = timeline(&mut c, |_| true).await;
    assert_eq!(t["file"], "parts.weft");
    assert_eq!(states(&t), ["pending", "pending", "pending"]);
    assert_eq!(t["segments"][1]["name"], "drop");
    assert_eq!(t["segments"][1]["start"], json!(1.0));
    assert!(t.get("video").is_none());
    assert!(
        !served.path(".weft-cache").exists(),
        "watching creates no render cache"
    );

    let started = command(&mut c, "render").await;
    assert_eq!(started["ok"], true, "{started}");
    assert!(
        started["output"].as_str().unwrap().contains("3 chunk(s)"),
        "{started}"
    );
    // Another render while it runs is refused (unless the first one has ended).
    let again = command(&mut c, "render").await;
    if again["ok"] == false {
        assert!(
            again["output"]
                .as_str()
                .unwrap()
                .contains("a render is running"),
            "{again}"
        );
    }
    let done = timeline(&mut c, |t| {
        t.get("rendering").is_none() && t.get("video").is_some()
    })
    .await;
    assert_eq!(states(&done), ["cached", "cached", "cached"]);
    let video = done["video"].as_str().unwrap().to_string();
    assert!(
        video.starts_with("/render/parts.weft/video.mp4?v="),
        "{video}"
    );
    let (status, body) = get(&served, &video, &[]).await;
    assert!(status.contains("200"), "{status}");
    assert_eq!(&body[4..8], b"ftyp", "an MP4");
    let (status, part) = get(&served, &video, &[("Range", "bytes=0-99")]).await;
    assert!(status.contains("206"), "{status}");
    assert_eq!(part.len(), 100);
    // A whole render drew every thumbnail.
    let thumb = done["segments"][2]["preview"].as_str().unwrap().to_string();
    assert!(
        thumb.starts_with("/render/parts.weft/preview/03-outro.png?v="),
        "{thumb}"
    );
    let (status, png) = get(&served, &thumb, &[]).await;
    assert!(
        status.contains("200") && png.starts_with(b"\x89PNG"),
        "{status}"
    );

    let status_text = command(&mut c, "status").await;
    assert_eq!(status_text["ok"], true);
    assert!(
        status_text["output"]
            .as_str()
            .unwrap()
            .contains("✓ drop cached (1/1 chunks cached)"),
        "{status_text}"
    );

    // An edit of one segment makes it dirty, the others stay cached.
    served.save(
        "parts.weft",
        &PARTS.replace("0.9, me@y, 0.1", "0.2, me@y, 0.1"),
    );
    let t = timeline(&mut c, |t| states(t).contains(&"dirty".to_string())).await;
    assert_eq!(states(&t), ["cached", "dirty", "cached"]);
    let one = command(&mut c, "render drop").await;
    assert_eq!(one["ok"], true, "{one}");
    let t = timeline(&mut c, |t| {
        t.get("rendering").is_none() && states(t) == ["cached", "cached", "cached"]
    })
    .await;
    assert!(
        t.get("video").is_some(),
        "the old video stays until a whole render"
    );

    // Unknown segments and idle cancels are refused with the reason.
    let bad = command(&mut c, "preview nope").await;
    assert_eq!(bad["ok"], false);
    assert!(
        bad["output"]
            .as_str()
            .unwrap()
            .contains("no segment `nope`; the timeline has intro, drop, outro"),
        "{bad}"
    );
    let idle = command(&mut c, "cancel").await;
    assert_eq!(
        (idle["ok"].clone(), idle["output"].clone()),
        (json!(false), json!("nothing is rendering"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_are_served_only_from_inside_the_folder() {
    let served = Served::new(&[("parts.weft", PARTS), ("sub/other.weft", PARTS)]).await;
    for path in [
        "/render/parts.weft/video.mp4",
        "/render/../parts.weft/video.mp4",
        "/render/%2e%2e/etc/passwd/video.mp4",
        "/render/parts.weft/video.exe",
        "/render/parts.weft/preview/..%2f..%2fparts.weft",
        "/render/parts.weft/preview/.hidden.png",
        "/render/parts.weft/preview/",
        "/render/nothing.weft/video.mp4",
        "/render/parts.weft",
        "/render/",
    ] {
        let (status, _) = get(&served, path, &[]).await;
        assert!(status.contains("404"), "{path}: {status}");
    }
    let (status, _) = get(
        &served,
        "/render/parts.weft/video.mp4",
        &[("Origin", "https://evil.example.com")],
    )
    .await;
    assert!(status.contains("403"), "{status}");
}
