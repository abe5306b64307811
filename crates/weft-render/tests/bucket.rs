//! The cache in an object store, against a real S3-compatible server (`s3s-fs`
//! over a temporary folder, started in-process): entries round-trip and land as
//! objects under the prefix; a corrupt or truncated object (the server's file
//! overwritten) reads as corrupt and is removed, never used; error and render
//! records; listing, invalidation and clearing; a bucket is never evicted from;
//! two writers of one chunk; `--cache` values parsed; a store that cannot be
//! reached fails with an I/O error instead of hanging.

#[path = "support/s3.rs"]
mod s3;

use s3::S3Server;
use std::path::Path;
use weft_render::cache::{
    Cache, ChunkError, Entry, EntryMeta, Lookup, RecordedSettings, RenderRecord,
};
use weft_render::store::{BucketPlace, Service};
use weft_render::{ChunkKey, Place, RenderError};

fn entry(segment: &str, size: usize) -> Entry {
    Entry {
        meta: EntryMeta {
            segment: segment.into(),
            chunk: 0,
            file: "piece.weft".into(),
            format: "mp4".into(),
            frames: 3,
            samples: 100,
            created: 1,
        },
        blobs: vec![
            (
                "video.mp4".into(),
                (0..size).map(|i| (i * 7) as u8).collect(),
            ),
            ("audio.f32".into(), vec![1, 2, 3, 4, 5, 6, 7, 8]),
        ],
    }
}

fn key(n: u8) -> ChunkKey {
    ChunkKey([n; 32])
}

fn open(server: &S3Server, url: &str, limit: u64) -> Result<Cache, RenderError> {
    let env = server.env();
    let lookup = move |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let place = Place::parse(url).expect("a bucket URL");
    Cache::open_place(&place, limit, &lookup)
}

fn entry_object(server: &S3Server, prefix: &str, k: &ChunkKey) -> std::path::PathBuf {
    server.object_file("weft", &format!("{prefix}/chunks/{}.chunk", k.hex()))
}

#[test]
fn entries_round_trip_as_objects_under_the_prefix() {
    let server = S3Server::start(&["weft"]);
    let cache = open(&server, "s3://weft/pieces/one", 1 << 30).expect("open");
    assert!(cache.is_bucket());
    assert!(server
        .object_file("weft", "pieces/one/CACHEDIR.TAG")
        .is_file());
    let e = entry("intro", 5000);
    assert!(!cache.contains(&key(1)));
    assert!(matches!(cache.get(&key(1)), Lookup::Miss));
    let bytes = cache.put(&key(1), &e).expect("put");
    assert!(cache.contains(&key(1)));
    let object = entry_object(&server, "pieces/one", &key(1));
    assert_eq!(std::fs::metadata(&object).expect("object").len(), bytes);
    match cache.get(&key(1)) {
        Lookup::Hit(got) => assert_eq!(got, e),
        other => panic!("expected a hit, got {other:?}"),
    }
    // A second cache on the same prefix (another worker) sees it.
    let other = open(&server, "s3://weft/pieces/one", 1 << 30).expect("open again");
    assert!(matches!(other.get(&key(1)), Lookup::Hit(_)));
    // Another prefix is another cache.
    let elsewhere = open(&server, "s3://weft/pieces/two", 1 << 30).expect("open");
    assert!(matches!(elsewhere.get(&key(1)), Lookup::Miss));
    // Nothing but the prefixes in the bucket.
    let mut top: Vec<String> = std::fs::read_dir(server.object_file("weft", "pieces"))
        .expect("the prefix's folder")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["one", "two"]);
}

/// (what, damage done to the object's bytes on the server's disk)
type Damage = fn(&mut Vec<u8>);
const DAMAGE: &[(&str, Damage)] = &[
    ("truncated to half", |b| b.truncate(b.len() / 2)),
    ("truncated by one byte", |b| {
        b.pop();
    }),
    ("emptied", |b| b.clear()),
    ("one byte flipped in the data", |b| {
        let i = b.len() / 2;
        b[i] ^= 0x40;
    }),
    ("replaced by garbage", |b| *b = b"garbage\n".repeat(100)),
];

#[test]
fn a_damaged_object_is_corrupt_and_removed() {
    let server = S3Server::start(&["weft"]);
    let cache = open(&server, "s3://weft/p", 1 << 30).expect("open");
    for (n, (what, damage)) in DAMAGE.iter().enumerate() {
        let k = key(n as u8 + 10);
        cache.put(&k, &entry("a", 3000)).expect("put");
        let object = entry_object(&server, "p", &k);
        let mut bytes = std::fs::read(&object).expect("object");
        damage(&mut bytes);
        std::fs::write(&object, &bytes).expect("damage");
        match cache.get(&k) {
            Lookup::Corrupt(_) => {}
            other => panic!("{what}: expected corrupt, got {other:?}"),
        }
        assert!(!cache.contains(&k), "{what}: the object was removed");
        assert!(matches!(cache.get(&k), Lookup::Miss), "{what}");
    }
}

#[test]
fn an_intact_entry_under_another_keys_name_is_corrupt() {
    let server = S3Server::start(&["weft"]);
    let cache = open(&server, "s3://weft/p", 1 << 30).expect("open");
    cache.put(&key(1), &entry("a", 100)).expect("put");
    cache.put(&key(2), &entry("b", 100)).expect("put");
    let one = std::fs::read(entry_object(&server, "p", &key(1))).expect("read");
    std::fs::write(entry_object(&server, "p", &key(2)), one).expect("copy");
    match cache.get(&key(2)) {
        Lookup::Corrupt(why) => assert!(why.contains("another key"), "{why}"),
        other => panic!("expected corrupt, got {other:?}"),
    }
}

#[test]
fn error_and_render_records_live_in_the_bucket() {
    let server = S3Server::start(&["weft"]);
    let cache = open(&server, "s3://weft/p", 1 << 30).expect("open");
    let failure = ChunkError {
        segment: "intro".into(),
        chunk: 2,
        message: "division by zero".into(),
    };
    assert_eq!(cache.error(&key(3)), None);
    cache.record_error(&key(3), &failure).expect("record");
    assert_eq!(cache.error(&key(3)), Some(failure));
    assert!(server
        .object_file("weft", &format!("p/errors/{}.json", key(3).hex()))
        .is_file());
    // Storing the chunk clears its error.
    cache.put(&key(3), &entry("intro", 10)).expect("put");
    assert_eq!(cache.error(&key(3)), None);

    let record = RenderRecord {
        file: "piece.weft".into(),
        settings: RecordedSettings {
            quality: "low".into(),
            width: 32,
            height: 18,
            fps: 4.0,
            rate: 48000,
            format: "mp4".into(),
            chunk: 2.0,
            duration: 10.0,
        },
        segments: vec![("intro".into(), vec![key(3).hex()])],
    };
    let file = Path::new("piece.weft");
    assert_eq!(cache.record(file), None);
    cache.save_record(file, &record).expect("save");
    assert_eq!(cache.record(file), Some(record));
}

#[test]
fn listing_invalidating_and_clearing_a_bucket_and_no_eviction() {
    let server = S3Server::start(&["weft"]);
    // A bound far below what is stored: a bucket is still never evicted from.
    let cache = open(&server, "s3://weft/p", 10).expect("open");
    cache.put(&key(1), &entry("a", 100)).expect("put");
    cache.put(&key(2), &entry("a", 100)).expect("put");
    cache.put(&key(3), &entry("b", 100)).expect("put");
    let entries = cache.entries();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e.key.is_some() && e.meta.is_some()));
    assert_eq!(
        entries[2].meta.as_ref().map(|m| m.segment.as_str()),
        Some("b")
    );
    assert!(entries[0]
        .path
        .to_string_lossy()
        .starts_with("s3://weft/p/chunks/"));
    assert_eq!(cache.evict(), 0);
    assert_eq!(cache.entries().len(), 3);
    assert_eq!(cache.invalidate("a").expect("invalidate"), 2);
    assert!(matches!(
        cache.invalidate("a"),
        Err(RenderError::UnknownSegment(_))
    ));
    let (count, _) = cache.clear().expect("clear");
    assert_eq!(count, 1);
    assert!(cache.entries().is_empty());
}

#[test]
fn two_writers_of_one_chunk_leave_one_intact_entry() {
    let server = S3Server::start(&["weft"]);
    let a = open(&server, "s3://weft/p", 1 << 30).expect("open");
    let b = open(&server, "s3://weft/p", 1 << 30).expect("open");
    let e = entry("a", 200_000);
    std::thread::scope(|s| {
        for cache in [&a, &b] {
            let e = &e;
            s.spawn(move || {
                for _ in 0..5 {
                    cache.put(&key(9), e).expect("put");
                }
            });
        }
    });
    match a.get(&key(9)) {
        Lookup::Hit(got) => assert_eq!(got, e),
        other => panic!("expected a hit, got {other:?}"),
    }
}

#[test]
fn cache_places_parse() {
    let bucket = |service, bucket: &str, prefix: &str| {
        Ok(Place::Bucket(BucketPlace {
            service,
            bucket: bucket.into(),
            prefix: prefix.into(),
        }))
    };
    let cases: &[(&str, Result<Place, &str>)] = &[
        ("s3://b/piece", bucket(Service::S3, "b", "piece")),
        ("s3://b/a/b/", bucket(Service::S3, "b", "a/b")),
        ("s3://b", bucket(Service::S3, "b", "")),
        ("gs://b/x", bucket(Service::Gcs, "b", "x")),
        ("azblob://c/x", bucket(Service::Azblob, "c", "x")),
        ("cache/dir", Ok(Place::Folder("cache/dir".into()))),
        ("/abs/dir", Ok(Place::Folder("/abs/dir".into()))),
        ("s3://", Err("no bucket")),
        ("s3:///prefix", Err("no bucket")),
        ("ftp://x", Err("unknown cache scheme")),
        ("s3://b/../up", Err("may not hold")),
        ("s3://b/a//b", Err("may not hold")),
        ("s3://b c/x", Err("not a bucket name")),
        ("", Err("empty")),
    ];
    for (text, want) in cases {
        match (Place::parse(text), want) {
            (Ok(got), Ok(want)) => assert_eq!(&got, want, "{text}"),
            (Err(got), Err(want)) => assert!(got.contains(want), "{text}: {got}"),
            (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
        }
    }
    assert_eq!(
        Place::parse("s3://b/x/").expect("parses").display(),
        "s3://b/x"
    );
}

#[test]
fn an_unreachable_store_is_an_io_error() {
    // Port 1 (tcpmux): nothing listens there, and no test server can take it
    // (a port bound and released could be given to the S3 server of another test).
    let port = 1;
    let env = move |name: &str| match name {
        "AWS_ACCESS_KEY_ID" => Some("k".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("s".to_string()),
        "AWS_ENDPOINT_URL" => Some(format!("http://127.0.0.1:{port}")),
        _ => None,
    };
    let place = Place::parse("s3://weft/p").expect("parses");
    match Cache::open_place(&place, 1 << 30, &env) {
        Err(RenderError::Io { path, .. }) => {
            assert!(
                path.to_string_lossy().starts_with("s3://weft/p"),
                "{path:?}"
            )
        }
        other => panic!("expected an I/O error, got {other:?}"),
    }
    // Read-only use does not fail: an unreachable store reads as empty.
    let cache = Cache::connect(&place, 1 << 30, &env).expect("connect");
    assert!(matches!(cache.get(&key(1)), Lookup::Miss));
    assert!(cache.entries().is_empty());
}
