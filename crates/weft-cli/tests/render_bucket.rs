//! `weft render --cache s3://bucket/prefix` as a real process against a real
//! S3-compatible server (`s3s-fs`, started in this test process), configured
//! through the usual AWS environment: a second render renders nothing (every
//! chunk is a hit from the bucket) and writes the same video; an object damaged
//! on the server's disk is reported corrupt and rendered again; nothing of the
//! render is written beside the piece.

#[path = "../../weft-render/tests/support/s3.rs"]
mod s3;

use s3::S3Server;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

const PIECE: &str =
    "segment a(1) {\n    display(1, 0, 0)\n}\nsegment b(1) {\n    display(0, 0, 1)\n}\n";

fn render(server: &S3Server, dir: &Path) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_weft"));
    cmd.current_dir(dir)
        .args([
            "render",
            "piece.weft",
            "--cache",
            "s3://weft/pieces/one",
            "--size",
            "32x18",
            "--fps",
            "4",
            "--json",
            "-o",
            "out.mp4",
        ])
        .stdin(Stdio::null());
    for (k, v) in server.env() {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("running weft");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "weft render failed:\n{err}");
    serde_json::from_slice(&out.stdout).expect("the report is JSON")
}

fn n(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn chunk_objects(server: &S3Server) -> Vec<std::path::PathBuf> {
    let dir = server.object_file("weft", "pieces/one/chunks");
    let mut list: Vec<_> = std::fs::read_dir(&dir)
        .expect("the chunks are in the bucket")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "chunk"))
        .collect();
    list.sort();
    list
}

#[test]
fn a_second_render_from_the_bucket_renders_nothing() {
    let server = S3Server::start(&["weft"]);
    let dir = tempfile::tempdir().expect("tmp");
    std::fs::write(dir.path().join("piece.weft"), PIECE).expect("write");

    let first = render(&server, dir.path());
    assert_eq!((n(&first, "rendered"), n(&first, "cache_hits")), (2, 0));
    let video = std::fs::read(dir.path().join("out.mp4")).expect("the video");
    assert_eq!(chunk_objects(&server).len(), 2);
    assert!(server
        .object_file("weft", "pieces/one/CACHEDIR.TAG")
        .is_file());
    assert!(
        !dir.path().join(".weft-cache").exists(),
        "no local cache beside the piece"
    );

    let second = render(&server, dir.path());
    assert_eq!((n(&second, "rendered"), n(&second, "cache_hits")), (0, 2));
    assert_eq!(
        std::fs::read(dir.path().join("out.mp4")).expect("the video"),
        video
    );

    // An object damaged on the server is never used: corrupt, rendered again.
    let objects = chunk_objects(&server);
    std::fs::write(&objects[0], b"garbage, not an entry").expect("damage");
    let third = render(&server, dir.path());
    assert_eq!(
        (
            n(&third, "corrupt"),
            n(&third, "rendered"),
            n(&third, "cache_hits")
        ),
        (1, 1, 1)
    );
    assert_eq!(
        std::fs::read(dir.path().join("out.mp4")).expect("the video"),
        video
    );
}
