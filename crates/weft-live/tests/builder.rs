//! The builder keys a build by the bytes that build read. A save that lands while a
//! build is reading must not be mistaken for what was built (the next build would
//! answer `Unchanged` and the edit would never show). A data file whose bytes did
//! not change is not decoded again.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use weft_lang::{DiskReader, SourceReader};
use weft_live::{BuildOutcome, Builder};
use weft_sources::SourceOptions;

/// Reads from disk, and right after the first read of `target` writes `then` to
/// it: an editor saving while the build is under way.
struct SaveDuringBuild {
    target: PathBuf,
    then: Vec<u8>,
    saved: AtomicBool,
}

impl SourceReader for SaveDuringBuild {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        let bytes = DiskReader.read(path)?;
        if path == self.target && !self.saved.swap(true, Ordering::SeqCst) {
            std::fs::write(path, &self.then)?;
        }
        Ok(bytes)
    }
}

fn value(outcome: &BuildOutcome) -> f64 {
    let BuildOutcome::Loaded(p) = outcome else {
        panic!("expected a program, got {outcome:?}");
    };
    p.program.params[0].default
}

fn builder_saving(target: &Path, then: &str) -> Builder {
    Builder::with_reader(
        SourceOptions::default(),
        Arc::new(SaveDuringBuild {
            target: target.to_path_buf(),
            then: then.as_bytes().to_vec(),
            saved: AtomicBool::new(false),
        }),
    )
}

#[test]
fn a_save_during_the_read_of_the_root_is_built_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("piece.weft");
    std::fs::write(&root, "k<v> = param(1, 0, 10)\ndisplay(k@v, 0, 0)\n").unwrap();
    let mut b = builder_saving(&root, "k<v> = param(2, 0, 10)\ndisplay(k@v, 0, 0)\n");
    assert_eq!(
        value(&b.build(&root)),
        1.0,
        "the first build has what it read"
    );
    assert_eq!(
        value(&b.build(&root)),
        2.0,
        "the save that raced it is built next"
    );
    assert!(matches!(b.build(&root), BuildOutcome::Unchanged));
    assert_eq!(b.builds, 2);
}

#[test]
fn a_save_of_a_used_file_during_the_build_is_built_next() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("piece.weft");
    let lib = dir.path().join("lib.weft");
    std::fs::write(&root, "use \"lib.weft\"\ndisplay(k@v, 0, 0)\n").unwrap();
    std::fs::write(&lib, "k<v> = param(1, 0, 10)\n").unwrap();
    let mut b = builder_saving(&lib, "k<v> = param(3, 0, 10)\n");
    assert_eq!(value(&b.build(&root)), 1.0);
    assert_eq!(value(&b.build(&root)), 3.0);
    assert!(matches!(b.build(&root), BuildOutcome::Unchanged));
}

#[test]
fn a_root_that_appears_after_a_failed_read_is_built() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("piece.weft");
    let mut b = Builder::new(SourceOptions::default());
    assert!(matches!(b.build(&root), BuildOutcome::Failed { .. }));
    std::fs::write(&root, "k<v> = param(4, 0, 10)\ndisplay(k@v, 0, 0)\n").unwrap();
    assert_eq!(value(&b.build(&root)), 4.0);
}

fn wav(path: &Path, level: i16) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 8000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for _ in 0..800 {
        w.write_sample(level).unwrap();
    }
    w.finalize().unwrap();
}

fn loaded(outcome: BuildOutcome) -> Box<weft_live::program::LoadedProgram> {
    match outcome {
        BuildOutcome::Loaded(p) => p,
        other => panic!("expected a program, got {other:?}"),
    }
}

#[test]
fn an_edit_of_the_program_reuses_the_decoded_data_files_and_a_new_file_is_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("piece.weft");
    wav(&dir.path().join("a.wav"), 8192);
    std::fs::write(&root, "s<l, r> = sample(\"a.wav\")\nplay(s@l * 0.5, s@r)\n").unwrap();
    let mut b = Builder::default();
    let first = loaded(b.build(&root));
    let id = weft_lang::ir::SourceId(0);
    std::fs::write(
        &root,
        "s<l, r> = sample(\"a.wav\")\nplay(s@l * 0.25, s@r)\n",
    )
    .unwrap();
    let second = loaded(b.build(&root));
    assert!(
        Arc::ptr_eq(&first.sources.get_arc(id), &second.sources.get_arc(id)),
        "the unchanged sound is not decoded again"
    );
    wav(&dir.path().join("a.wav"), -8192);
    let third = loaded(b.build(&root));
    assert!(!Arc::ptr_eq(
        &second.sources.get_arc(id),
        &third.sources.get_arc(id)
    ));
    assert_eq!(third.sources.get(id).sample(0, 0.0, 0.0, 0.01), -0.25);
    assert_eq!(second.sources.get(id).sample(0, 0.0, 0.0, 0.01), 0.25);
}
