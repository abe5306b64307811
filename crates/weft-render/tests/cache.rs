//! The chunk cache on disk: entries round-trip; every kind of damage to an entry
//! file is detected on read (the entry is removed and counts as corrupt, never
//! used), and so is an intact entry found under another key's name; garbage records and error files count as none; eviction removes the
//! least recently used entries first; `invalidate` and `clear`.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use weft_render::cache::{
    Cache, ChunkError, Entry, EntryMeta, Lookup, RecordedSettings, RenderRecord,
};
use weft_render::ChunkKey;

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

fn entry_file(cache: &Cache, k: &ChunkKey) -> PathBuf {
    cache
        .dir()
        .join("chunks")
        .join(format!("{}.chunk", k.hex()))
}

/// (what, damage done to the entry's bytes)
type Damage = fn(&mut Vec<u8>);
const DAMAGE: &[(&str, Damage)] = &[
    ("truncated to half", |b| b.truncate(b.len() / 2)),
    ("truncated by one byte", |b| {
        b.pop();
    }),
    ("cut to ten bytes", |b| b.truncate(10)),
    ("emptied", |b| b.clear()),
    ("one byte flipped in the data", |b| {
        let i = b.len() / 2;
        b[i] ^= 0x40;
    }),
    ("one byte flipped in the checksum", |b| {
        let i = b.len() - 1;
        b[i] ^= 1;
    }),
    ("one byte flipped in the header", |b| b[9] ^= 0xff),
    ("a byte appended", |b| b.push(0)),
    ("replaced by text", |b| {
        *b = b"not an entry at all\n".repeat(20)
    }),
];

#[test]
fn entries_round_trip_and_are_marked_used() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = Cache::open(dir.path(), 1 << 30).expect("open");
    let e = entry("intro", 1000);
    assert!(matches!(cache.get(&key(1)), Lookup::Miss));
    cache.put(&key(1), &e).expect("put");
    assert!(cache.contains(&key(1)));
    let path = entry_file(&cache, &key(1));
    let old = SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .append(true)
        .open(&path)
        .expect("open")
        .set_modified(old)
        .expect("mtime");
    match cache.get(&key(1)) {
        Lookup::Hit(got) => assert_eq!(got, e),
        other => panic!("expected a hit, got {other:?}"),
    }
    let used = std::fs::metadata(&path)
        .expect("meta")
        .modified()
        .expect("mtime");
    assert!(used > old, "a read marks the entry used");
    let infos = cache.entries();
    assert_eq!(infos.len(), 1);
    assert_eq!(
        infos[0].meta.as_ref().map(|m| m.segment.as_str()),
        Some("intro")
    );
    assert_eq!(infos[0].key, Some(key(1)));
}

#[test]
fn every_kind_of_damage_is_detected_and_the_entry_removed() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = Cache::open(dir.path(), 1 << 30).expect("open");
    let mut failures = Vec::new();
    for (i, (what, damage)) in DAMAGE.iter().enumerate() {
        let k = key(i as u8 + 10);
        cache.put(&k, &entry("intro", 500)).expect("put");
        let path = entry_file(&cache, &k);
        let mut bytes = std::fs::read(&path).expect("read");
        damage(&mut bytes);
        std::fs::write(&path, &bytes).expect("write");
        match cache.get(&k) {
            Lookup::Corrupt(_) if !path.exists() => {}
            Lookup::Corrupt(_) => failures.push(format!("{what}: detected but not removed")),
            other => failures.push(format!("{what}: read as {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// (what, how an intact entry of `from` ends up in `to`'s file)
type Misplace = fn(&Path, &Path);
const MISPLACED: &[(&str, Misplace)] = &[
    ("copied over another key's entry", |from, to| {
        std::fs::copy(from, to).map(drop).expect("copy")
    }),
    ("renamed onto another key's entry", |from, to| {
        std::fs::rename(from, to).expect("rename")
    }),
    ("copied where no entry was", |from, to| {
        let _ = std::fs::remove_file(to);
        std::fs::copy(from, to).map(drop).expect("copy")
    }),
    ("linked from another key's name", |from, to| {
        let _ = std::fs::remove_file(to);
        std::fs::hard_link(from, to).expect("link")
    }),
];

#[test]
fn an_intact_entry_under_another_keys_name_is_never_used() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = Cache::open(dir.path(), 1 << 30).expect("open");
    let mut failures = Vec::new();
    for (i, (what, misplace)) in MISPLACED.iter().enumerate() {
        // Chunk 0's entry and chunk 2's: same segment, different times.
        let (k0, k2) = (key(100 + 2 * i as u8), key(101 + 2 * i as u8));
        let mut e0 = entry("intro", 300);
        e0.meta.chunk = 0;
        let mut e2 = entry("intro", 300);
        e2.meta.chunk = 2;
        cache.put(&k0, &e0).expect("put");
        cache.put(&k2, &e2).expect("put");
        misplace(&entry_file(&cache, &k0), &entry_file(&cache, &k2));
        match cache.get(&k2) {
            Lookup::Corrupt(why) if !entry_file(&cache, &k2).exists() => {
                if !why.contains("another key") {
                    failures.push(format!("{what}: the reason is {why:?}"));
                }
            }
            Lookup::Corrupt(_) => failures.push(format!("{what}: detected but not removed")),
            other => failures.push(format!("{what}: read as {other:?}")),
        }
        // Rendered again and stored, it is a hit.
        cache.put(&k2, &e2).expect("put");
        match cache.get(&k2) {
            Lookup::Hit(got) if got == e2 => {}
            other => failures.push(format!("{what}: after a new put, {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn decode_never_panics_on_prefixes_of_an_entry() {
    let bytes = entry("intro", 64).encode(&key(1));
    for n in 0..bytes.len() {
        assert!(
            Entry::decode(&bytes[..n], &key(1)).is_err(),
            "a {n}-byte prefix decoded"
        );
    }
    assert!(Entry::decode(&bytes, &key(1)).is_ok());
    assert!(Entry::decode(&bytes, &key(2)).is_err(), "another key");
}

fn garbage(path: &Path) {
    std::fs::write(path, b"\x00\xffgarbage{{{").expect("write garbage");
}

#[test]
fn garbage_records_errors_and_stray_files_count_as_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = Cache::open(dir.path(), 1 << 30).expect("open");
    let file = dir.path().join("piece.weft");
    std::fs::write(&file, "display(me@x)\n").expect("write");
    let record = RenderRecord {
        file: "piece.weft".into(),
        settings: RecordedSettings {
            quality: "low".into(),
            width: 2,
            height: 2,
            fps: 1.0,
            rate: 8000,
            format: "mp4".into(),
            chunk: 2.0,
            duration: 1.0,
        },
        segments: vec![("main".into(), vec![key(3).hex()])],
    };
    cache.save_record(&file, &record).expect("save");
    assert_eq!(cache.record(&file), Some(record));
    for e in std::fs::read_dir(dir.path().join("timelines"))
        .expect("dir")
        .flatten()
    {
        garbage(&e.path());
    }
    assert_eq!(cache.record(&file), None);
    let err = ChunkError {
        segment: "intro".into(),
        chunk: 0,
        message: "boom".into(),
    };
    cache.record_error(&key(4), &err).expect("record");
    assert_eq!(cache.error(&key(4)), Some(err));
    garbage(
        &dir.path()
            .join("errors")
            .join(format!("{}.json", key(4).hex())),
    );
    assert_eq!(cache.error(&key(4)), None);
    // A stray file in chunks/ is listed as unreadable and removed by eviction.
    garbage(&dir.path().join("chunks").join("stray.chunk"));
    garbage(&entry_file(&cache, &key(5)));
    let infos = cache.entries();
    assert_eq!(infos.iter().filter(|e| e.meta.is_none()).count(), 2);
    assert_eq!(cache.evict(), 2);
    assert!(cache.entries().is_empty());
}

#[test]
fn eviction_removes_the_least_recently_used_first() {
    let dir = tempfile::tempdir().expect("tmp");
    let probe = entry("a", 1000).encode(&key(1)).len() as u64;
    let cache = Cache::open(dir.path(), probe * 2).expect("open");
    let now = SystemTime::now();
    // Written oldest to newest: 1 (3 h ago), 2 (2 h), 3 (1 h), 4 (now).
    for (n, hours) in [(1u8, 3u64), (2, 2), (3, 1), (4, 0)] {
        cache.put(&key(n), &entry("a", 1000)).expect("put");
        let f = std::fs::File::options()
            .append(true)
            .open(entry_file(&cache, &key(n)))
            .expect("open");
        f.set_modified(now - Duration::from_secs(hours * 3600))
            .expect("mtime");
    }
    // Reading 1 makes it the most recently used.
    assert!(matches!(cache.get(&key(1)), Lookup::Hit(_)));
    assert_eq!(cache.evict(), 2);
    let left: Vec<bool> = (1..=4).map(|n| cache.contains(&key(n))).collect();
    assert_eq!(left, vec![true, false, false, true]);
}

#[test]
fn invalidate_and_clear() {
    let dir = tempfile::tempdir().expect("tmp");
    let cache = Cache::open(dir.path(), 1 << 30).expect("open");
    cache.put(&key(1), &entry("intro", 10)).expect("put");
    cache.put(&key(2), &entry("intro", 10)).expect("put");
    cache.put(&key(3), &entry("outro", 10)).expect("put");
    assert_eq!(cache.invalidate("intro").expect("invalidate"), 2);
    assert!(!cache.contains(&key(1)) && !cache.contains(&key(2)) && cache.contains(&key(3)));
    assert!(
        cache.invalidate("intro").is_err(),
        "nothing of intro is left"
    );
    let (n, bytes) = cache.clear().expect("clear");
    assert_eq!(n, 1);
    assert!(bytes > 0);
    assert!(cache.entries().is_empty());
}

#[test]
fn a_dead_renders_temporary_files_are_swept_on_open() {
    let dir = tempfile::tempdir().expect("tmp");
    Cache::open(dir.path(), 1 << 30).expect("open");
    // No process has id 4000000000; one of ours is kept.
    let dead = dir.path().join("tmp").join(".4000000000-0.abc.tmp.chunk");
    let live = dir
        .path()
        .join("tmp")
        .join(format!(".{}-9.abc.tmp.chunk", std::process::id()));
    std::fs::write(&dead, b"half").expect("write");
    std::fs::write(&live, b"half").expect("write");
    Cache::open(dir.path(), 1 << 30).expect("open");
    assert!(!dead.exists());
    assert!(live.exists());
}
