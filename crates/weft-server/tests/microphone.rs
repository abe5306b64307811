//! A page's microphone (`WMIC` binary frames) through a real WebSocket client:
//! what it sends is heard by `mic()` of the file it watches (the file's sound,
//! measured by the server's own meter, follows it), only there; every page
//! watching the file gets where the samples went (`WLIV`), to draw `mic()`
//! itself; and a frame that is not exactly a `WMIC` is refused with the
//! connection kept.

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
    // A loaded machine plays it late: wait (up to 10 s) for a silent 400 ms.
    let mut after = f64::NAN;
    for _ in 0..25 {
        after = loudest(&mut page, Duration::from_millis(400)).await;
        if after == 0.0 {
            break;
        }
    }
    assert_eq!(after, 0.0, "silence after");
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

/// The `WLIV` frames among `c`'s binary messages: (rate, restarted, from, samples).
fn live_frames(c: &Client) -> Vec<(u32, bool, u64, Vec<f32>)> {
    c.binary
        .iter()
        .filter(|b| b.starts_with(b"WLIV"))
        .map(|b| {
            let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
            let from = u64::from(word(12)) | (u64::from(word(16)) << 32);
            let count = word(20) as usize;
            assert_eq!(b.len(), 24 + 4 * count);
            let samples = (0..count)
                .map(|i| f32::from_le_bytes(b[24 + 4 * i..28 + 4 * i].try_into().unwrap()))
                .collect();
            (word(4), word(8) & 1 == 1, from, samples)
        })
        .collect()
}

#[tokio::test]
async fn every_page_watching_the_file_gets_where_the_samples_went() {
    let s = Served::new(&[("listen.weft", LISTEN), ("other.weft", LISTEN)]).await;
    let mut page = s.client().await;
    page.watch("listen.weft").await;
    page.run().await;
    let mut second = s.client().await;
    second.watch("listen.weft").await;
    second.run().await;
    let mut other = s.client().await;
    other.watch("other.weft").await;
    other.run().await;
    for c in [&mut page, &mut second, &mut other] {
        c.binary.clear();
    }
    let chunks: Vec<Vec<f32>> = (0..3)
        .map(|k| (0..480).map(|i| (k * 480 + i) as f32 / 2000.0).collect())
        .collect();
    for chunk in &chunks {
        send_binary(&mut page, wmic(48_000, chunk)).await;
    }
    // One more, with what the ring cannot hold as it is.
    send_binary(&mut page, wmic(48_000, &[3.0, f32::NAN, -3.0])).await;
    // Until each page has the four (a loaded machine sends them late), then a
    // little longer for any that should not come.
    for c in [&mut page, &mut second] {
        for _ in 0..100 {
            if live_frames(c).len() >= 4 {
                break;
            }
            c.drain(Duration::from_millis(100)).await;
        }
    }
    for c in [&mut page, &mut second, &mut other] {
        c.drain(Duration::from_millis(200)).await;
    }
    for c in [&page, &second] {
        let live = live_frames(c);
        assert_eq!(live.len(), 4, "one WLIV per chunk");
        assert!(live[0].1, "the first starts the ring");
        let mut end = live[0].2;
        for (k, (rate, restarted, from, samples)) in live.iter().enumerate() {
            assert_eq!(*rate, 48_000);
            assert_eq!(*from, end, "chunk {k} follows on");
            assert_eq!(*restarted, k == 0);
            end = from + samples.len() as u64;
        }
        for (k, chunk) in chunks.iter().enumerate() {
            assert_eq!(&live[k].3, chunk);
        }
        assert_eq!(live[3].3, [1.0, 0.0, -1.0], "as the ring holds them");
    }
    assert!(
        live_frames(&other).is_empty(),
        "another file's page gets none"
    );
}
