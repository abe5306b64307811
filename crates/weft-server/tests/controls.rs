//! Controls through a real WebSocket client: a control pragma's parameters come
//! with their widget, badges with their live values, and OSC commands sent over
//! real UDP to `weft dev`'s `--osc-in` reach every playing file.

mod common;

use common::Served;
use serde_json::{json, Value};
use std::net::UdpSocket;
use weft_live::osc_in::OscIn;

const PIECE: &str = "#slider freq<hz> = 55, 880, 220 \"Pitch\"\n#color tint<r, g, b> = 0.2, 0.6, 0.9\nlevel<v> = 0.5\n#badge level<v> \"Level\"\ndisplay(tint@r, tint@g, tint@b * level@v)\nplay(0.1 * sin(me@time * tau * freq@hz))\n";

async fn watch(c: &mut common::Client, path: &str) {
    c.send(json!({"type": "watch-file", "path": path, "clientId": "test", "preview": {"width": 32, "height": 18}}))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controls_carry_their_widget_and_osc_in_sets_them() {
    let served = Served::new(&[("piece.weft", PIECE)]).await;
    let mut c = served.client().await;
    watch(&mut c, "piece.weft").await;
    let params = c.until("parameters").await;
    assert_eq!(
        params["params"],
        json!([
            {"id": "freq", "min": 55.0, "max": 880.0, "default": 220.0, "value": 220.0,
             "control": {"kind": "slider", "group": "freq", "index": 0, "label": "Pitch"}},
            {"id": "tint@r", "min": 0.0, "max": 1.0, "default": 0.2, "value": 0.2,
             "control": {"kind": "color", "group": "tint", "index": 0}},
            {"id": "tint@g", "min": 0.0, "max": 1.0, "default": 0.6, "value": 0.6,
             "control": {"kind": "color", "group": "tint", "index": 1}},
            {"id": "tint@b", "min": 0.0, "max": 1.0, "default": 0.9, "value": 0.9,
             "control": {"kind": "color", "group": "tint", "index": 2}},
        ])
    );
    // The badge's value arrives with the transport once a frame is drawn.
    let state = c
        .until_match(|v: &Value| v["type"] == "state" && v["badges"][0]["value"].is_number())
        .await;
    assert_eq!(
        state["badges"],
        json!([{"name": "level@v", "label": "Level", "value": 0.5}])
    );

    let remote = served.server.remote();
    let osc = OscIn::start("127.0.0.1:0", move |cmd| remote.apply(cmd)).expect("listens");
    let sender = UdpSocket::bind("127.0.0.1:0").expect("sender");
    let send = |addr: &str, args: Vec<rosc::OscType>| {
        let p = rosc::OscPacket::Message(rosc::OscMessage {
            addr: addr.to_string(),
            args,
        });
        sender
            .send_to(&rosc::encoder::encode(&p).expect("encodes"), osc.addr())
            .expect("sent");
    };
    sender
        .send_to(b"\x00\x01garbage", osc.addr())
        .expect("sent");
    send("/param/tint@g", vec![rosc::OscType::Float(0.25)]);
    let changed = c.until("parameter-changed").await;
    assert_eq!(changed["id"], "tint@g");
    assert_eq!(changed["value"], json!(0.25));
    send("/transport/play", vec![]);
    c.until_match(|v: &Value| v["type"] == "state" && v["transport"] == "playing")
        .await;
}
