//! A page's microphone (`WMIC` binary frames) through a real WebSocket client:
//! what it sends is heard by `mic()` of the file it watches (the file's sound,
//! measured by the server's own meter, follows it), only there, and a frame
//! that is not exactly a `WMIC` is refused with the connection kept.

mod common;

use common::{Client, Served};
use futures_util::SinkExt;
use serde_json::json;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const LISTEN: &str = "heard<samples> = mic()\nplay(heard@samples)\n";

fn wmic(rate: u32, samples: &[f32]) -> Vec<u8> {
    let mut b = b"WMIC".to_vec();
    b.extend(rate.to_le_bytes());
    b.extend((samples.len() as u32).to_le_bytes());
    b.extend(samples.iter().flat_map(|s| s.to_le_bytes()));
    b
}

async fn send_binary(c: &mut Client, bytes: Vec<u8>) {
    c.ws.send(Message::Binary(bytes.into())).await.unwrap();
}

/// The loudest `meter` of the file over `window`.
async fn loudest(c: &mut Client, window: Duration) -> f64 {
    c.drain(window)
        .await
        .iter()
        .filter(|m| m["type"] == "meter")
        .map(|m| m["peakL"].as_f64().unwrap_or(0.0))
        .fold(0.0, f64::max)
}

#[tokio::test]
async fn what_a_page_sends_is_heard_by_mic_of_the_file_it_watches() {
    let s = Served::new(&[("listen.weft", LISTEN), ("other.weft", LISTEN)]).await;
    let mut page = s.client().await;
    page.watch("listen.weft").await;
    page.run().await;
    let mut other = s.client().await;
    other.watch("other.weft").await;
    other.run().await;
    assert_eq!(
        loudest(&mut page, Duration::from_millis(400)).await,
        0.0,
        "silence before"
    );
    // 1.5 s of a 0.5 square wave, 20 ms at a time, as the page sends it.
    let chunk: Vec<f32> = (0..960)
        .map(|i| if i % 96 < 48 { 0.5 } else { -0.5 })
        .collect();
    let mut peak: f64 = 0.0;
    for _ in 0..75 {
        send_binary(&mut page, wmic(48_000, &chunk)).await;
        peak = peak.max(loudest(&mut page, Duration::from_millis(20)).await);
    }
    peak = peak.max(loudest(&mut page, Duration::from_millis(400)).await);
    assert!(
        (peak - 0.5).abs() < 0.01,
        "the file's sound is the microphone: peak {peak}"
    );
    // The other file heard nothing.
    assert_eq!(loudest(&mut other, Duration::from_millis(200)).await, 0.0);
    // Stopped: silence again once what was sent has played.
    // (Placed up to 0.45 s ahead of the transport: the lead and the drift allowed.)
    tokio::time::sleep(Duration::from_millis(1000)).await;
    page.drain(Duration::from_millis(100)).await;
    assert_eq!(
        loudest(&mut page, Duration::from_millis(400)).await,
        0.0,
        "silence after"
    );
}

#[tokio::test]
async fn a_frame_that_is_not_exactly_a_wmic_is_refused_and_the_connection_stays() {
    let s = Served::new(&[("listen.weft", LISTEN)]).await;
    let mut c = s.client().await;
    // Watching nothing: not-watching.
    send_binary(&mut c, wmic(48_000, &[0.5; 16])).await;
    let e = c.until("error").await;
    assert_eq!(e["code"], "not-watching", "{e}");
    c.watch("listen.weft").await;
    c.run().await;
    let mut short = wmic(48_000, &[0.5; 16]);
    short.pop();
    let mut wrong_count = wmic(48_000, &[0.5; 16]);
    wrong_count[8] = 17;
    for bad in [
        vec![1, 2, 3],
        b"WMIC".to_vec(),
        short,
        wrong_count,
        wmic(4_000, &[0.5; 16]),
        wmic(48_000, &[]),
        wmic(48_000, &vec![0.5; 20_000]),
        b"WFRM\0\0\0\0".to_vec(),
    ] {
        send_binary(&mut c, bad).await;
        let e = c.until("error").await;
        assert_eq!(e["code"], "malformed", "{e}");
    }
    // Samples that are not numbers are silence, and loud ones are clamped.
    send_binary(&mut c, wmic(48_000, &[f32::NAN, f32::INFINITY, 9.0, -9.0])).await;
    c.send(json!({"type": "command", "text": "info"})).await;
    let r = c.until("command-result").await;
    assert_eq!(r["ok"], true, "{r}");
}
