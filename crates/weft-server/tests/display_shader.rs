//! The `display-shader` message through a real WebSocket client: a page that
//! watches a file gets the display as GLSL ES with its uniform slots and
//! sources; an edit that leaves the display alone sends no new shader, one that
//! changes it sends one with a new key; a program with segments sends one per segment;
//! a picture split around sound (two visual batches) is still one shader.

mod common;

use common::{Client, Served};
use serde_json::{json, Value};

const PIECE: &str = "level<v> = param(0.25, 0, 1)\npic<r, g, b, a> = load(\"quad.png\")\ndisplay(pic@r * level@v, me@x, 0)\nplay(0.1 * sin(me@time * 440))\n";

fn png() -> Vec<u8> {
    let mut bytes = Vec::new();
    let px = [
        255u8, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 51, 102, 153, 255,
    ];
    image::write_buffer_with_format(
        &mut std::io::Cursor::new(&mut bytes),
        &px,
        2,
        2,
        image::ExtendedColorType::Rgba8,
        image::ImageFormat::Png,
    )
    .expect("encoding the test picture");
    bytes
}

async fn watch(c: &mut Client, path: &str) {
    c.send(json!({"type": "watch-file", "path": path, "clientId": "test", "preview": {"width": 32, "height": 18}}))
        .await;
}

/// Reads until the `parameters` of the next program, returning the
/// `display-shader` messages that came before it.
async fn shaders_until_parameters(c: &mut Client) -> Vec<Value> {
    let mut shaders = Vec::new();
    loop {
        let v = c.next().await;
        match v["type"].as_str() {
            Some("display-shader") => shaders.push(v),
            Some("parameters") => return shaders,
            _ => {}
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_gets_the_display_as_glsl_es_and_a_new_one_only_when_it_changes() {
    let served = Served::new(&[("piece.weft", PIECE)]).await;
    std::fs::write(served.path("quad.png"), png()).expect("writing the picture");
    let mut c = served.client().await;
    watch(&mut c, "piece.weft").await;
    let shaders = shaders_until_parameters(&mut c).await;
    assert_eq!(shaders.len(), 1, "{shaders:?}");
    let s = &shaders[0];
    assert_eq!(s["file"], "piece.weft");
    assert!(s.get("unsupported").is_none(), "{s}");
    assert!(s["vertex"].as_str().unwrap().starts_with("#version 300 es"));
    assert!(s["fragment"]
        .as_str()
        .unwrap()
        .starts_with("#version 300 es"));
    assert!(s["fragment"]
        .as_str()
        .unwrap()
        .contains(s["uniformBlock"].as_str().unwrap()));
    assert_eq!(s["params"], json!([{"id": "level", "slot": 5}]));
    assert_eq!(
        (s["widthSlot"].as_u64(), s["heightSlot"].as_u64()),
        (Some(3), Some(4))
    );
    assert_eq!(
        (
            s["mouseX"].as_u64(),
            s["mouseY"].as_u64(),
            s["bpm"].as_u64()
        ),
        (Some(0), Some(1), Some(2))
    );
    assert_eq!(
        (s["width"].as_u64(), s["height"].as_u64()),
        (Some(640), Some(360))
    );
    assert_eq!(s["key"].as_str().unwrap().len(), 64);
    // The picture's four pixels, one word each, in a 2048-word row.
    assert_eq!(
        (s["sourcesWidth"].as_u64(), s["sourcesRows"].as_u64()),
        (Some(2048), Some(1))
    );
    assert!(s["sourcesTexture"].is_string(), "{s}");
    use base64::Engine as _;
    let words = base64::engine::general_purpose::STANDARD
        .decode(s["sources"].as_str().unwrap())
        .expect("base64");
    assert_eq!(words.len(), 2048 * 4);
    assert_eq!(&words[..8], &[255, 0, 0, 255, 0, 255, 0, 255]);

    // The sound changes, the display does not: no new shader.
    served.save("piece.weft", &PIECE.replace("440", "220"));
    assert!(shaders_until_parameters(&mut c).await.is_empty());

    // The display changes: a new shader, with a new key — and the picture left
    // out, since this page was sent it (its key names it).
    served.save("piece.weft", &PIECE.replace("me@x, 0)", "me@y, 0)"));
    let next = shaders_until_parameters(&mut c).await;
    assert_eq!(next.len(), 1, "{next:?}");
    assert_ne!(next[0]["key"], s["key"]);
    assert_eq!(s["sourcesKey"].as_str().map(str::len), Some(64), "{s}");
    assert_eq!(next[0]["sourcesKey"], s["sourcesKey"]);
    assert!(next[0].get("sources").is_none(), "sent once: {}", next[0]);

    // The frame rate alone: the page's `me@frame` changes, so a new message.
    served.save(
        "piece.weft",
        &format!("me<fps> = 12\n{}", PIECE.replace("me@x, 0)", "me@y, 0)")),
    );
    let fps = shaders_until_parameters(&mut c).await;
    assert_eq!(fps.len(), 1, "{fps:?}");
    assert_eq!(fps[0]["fps"], 12.0);
    served.save("piece.weft", &PIECE.replace("me@x, 0)", "me@y, 0)"));
    let back = shaders_until_parameters(&mut c).await;
    assert_eq!(back.len(), 1);
    assert_eq!(back[0]["key"], next[0]["key"]);

    // A second page watching gets the current one at once, with its picture.
    let mut d = served.client().await;
    watch(&mut d, "piece.weft").await;
    let got = d.until("display-shader").await;
    assert_eq!(got["key"], next[0]["key"]);
    assert!(got["fragment"].is_string());
    assert!(got["sources"].is_string(), "{got}");
    // A page that watches again is sent everything again (it may have lost
    // what it held).
    watch(&mut c, "piece.weft").await;
    let again = c.until("display-shader").await;
    assert!(again["sources"].is_string(), "{again}");

    // A page that holds it (a reconnect) is told it is unchanged; one holding an
    // older one gets the new one.
    for (held, unchanged) in [(&next[0]["key"], true), (&s["key"], false)] {
        let mut e = served.client().await;
        e.send(
            json!({"type": "watch-file", "path": "piece.weft", "clientId": "test",
            "preview": {"width": 32, "height": 18}, "shaderKey": held}),
        )
        .await;
        let got = e.until("display-shader").await;
        assert_eq!(got["key"], next[0]["key"]);
        assert_eq!(got.get("unchanged").is_some(), unchanged, "{got}");
        assert_eq!(got.get("fragment").is_none(), unchanged, "{got}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_with_segments_sends_one_shader_per_segment() {
    let text = "segment a(1) {\n  display(me@x)\n}\nsegment b(2) {\n  display(me@y)\n}\n";
    let served = Served::new(&[("parts.weft", text)]).await;
    let mut c = served.client().await;
    watch(&mut c, "parts.weft").await;
    let s = c.until("display-shader").await;
    assert!(s.get("unsupported").is_none(), "{s}");
    assert_eq!(s["key"].as_str().unwrap().len(), 64, "{s}");
    let parts = s["segments"].as_array().unwrap();
    assert_eq!(parts.len(), 2, "{s}");
    assert_eq!(
        (parts[0]["start"].as_f64(), parts[0]["duration"].as_f64()),
        (Some(0.0), Some(1.0))
    );
    assert_eq!(
        (parts[1]["start"].as_f64(), parts[1]["duration"].as_f64()),
        (Some(1.0), Some(2.0))
    );
    for p in parts {
        assert!(
            p["fragment"]
                .as_str()
                .unwrap()
                .starts_with("#version 300 es"),
            "{p}"
        );
        assert!(
            p["uniformBlock"].as_str().is_some_and(|b| !b.is_empty()),
            "{p}"
        );
    }
    assert_ne!(parts[0]["fragment"], parts[1]["fragment"]);
    // An edit of one segment sends them again under a new key.
    served.save("parts.weft", &text.replace("me@y", "me@y * 0.5"));
    let next = c.until("display-shader").await;
    assert_ne!(next["key"], s["key"]);
    assert_eq!(next["segments"][0]["fragment"], parts[0]["fragment"]);
    assert_ne!(next["segments"][1]["fragment"], parts[1]["fragment"]);
    // A segment without a display: the whole program is frames, saying which.
    served.save(
        "parts.weft",
        "segment a(1) {\n  display(me@x)\n}\nsegment b(2) {\n  tone<s> = 0\n  play(tone@s)\n}\n",
    );
    let framed = c.until("display-shader").await;
    assert!(
        framed["unsupported"]
            .as_str()
            .unwrap()
            .contains("segment 2 of 2"),
        "{framed}"
    );
    assert!(framed.get("segments").is_none(), "{framed}");
}

/// A picture split around sound: `rings` and `glow` in one visual batch, `beat`
/// (a sound file) in the audio batch, `shade` and the display in a second visual
/// batch reading both. The page gets one shader, with the first batch's strands
/// computed again where the second reads them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_picture_split_around_sound_is_one_shader() {
    let text = "rings<v> = fract(me@x * 6 - me@time)\nglow<v> = rings@v * rings@v\nbeat<l, r> = sample(\"beat.wav\")\nshade<v> = glow@v * 0.7 + abs(beat@l)\ndisplay(shade@v, glow@v, rings@v)\nplay(beat@l, beat@r)\n";
    let served = Served::new(&[("split.weft", text)]).await;
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut wav = hound::WavWriter::create(served.path("beat.wav"), spec).expect("the sound");
    for n in 0..8000 {
        wav.write_sample((n % 100) as i16 * 300).expect("a sample");
        wav.write_sample(0i16).expect("a sample");
    }
    wav.finalize().expect("the sound");
    let mut c = served.client().await;
    watch(&mut c, "split.weft").await;
    let s = c.until("display-shader").await;
    assert!(s.get("unsupported").is_none(), "{s}");
    let fragment = s["fragment"].as_str().unwrap();
    assert!(fragment.starts_with("#version 300 es"), "{s}");
    assert!(s["sources"].as_str().is_some_and(|w| !w.is_empty()), "{s}");
}

/// `mic()` in `weft dev` is the pages' live microphone: the display reading it
/// is still a shader, with the texture the page fills from its copy (`WLIV`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_of_the_live_microphone_reads_the_pages_copy() {
    let text = "heard<s> = mic()\ndisplay(abs(heard@s[me@time ~ me@time - me@x * 0.02]) * 4, 0, 0)\nplay(heard@s)\n";
    let served = Served::new(&[("scope.weft", text)]).await;
    let mut c = served.client().await;
    watch(&mut c, "scope.weft").await;
    let s = c.until("display-shader").await;
    assert!(s.get("unsupported").is_none(), "{s}");
    assert!(
        s["liveTexture"].as_str().is_some_and(|t| !t.is_empty()),
        "{s}"
    );
    assert!(
        s.get("sources").is_none(),
        "the live input is not a source sent whole: {s}"
    );
}
