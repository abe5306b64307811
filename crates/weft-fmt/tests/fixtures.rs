//! The formatter's cases as data: every `tests/fixtures/NAME.weft` formats to
//! `NAME.expected.weft`, and the expected text is a fixed point (formatting it
//! again changes nothing). Adding a case is adding the two files.

use std::path::Path;
use weft_diagnostics::FileId;

#[test]
fn every_fixture_formats_to_its_expected_text() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases = 0;
    let mut failures = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("the fixtures folder")
        .map(|e| e.expect("an entry").path())
        .collect();
    entries.sort();
    for input in entries {
        let name = input
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let Some(stem) = name.strip_suffix(".weft") else {
            continue;
        };
        if stem.ends_with(".expected") {
            continue;
        }
        cases += 1;
        let text = std::fs::read_to_string(&input).expect("read the input");
        let expected_path = dir.join(format!("{stem}.expected.weft"));
        let expected = std::fs::read_to_string(&expected_path)
            .unwrap_or_else(|_| panic!("{} has no {}", name, expected_path.display()));
        match weft_fmt::format(FileId(0), &text) {
            Ok(out) if out == expected => {}
            Ok(out) => failures.push(format!("{stem}: got\n{out}\n--- expected\n{expected}")),
            Err(e) => failures.push(format!("{stem}: {e}")),
        }
        match weft_fmt::format(FileId(0), &expected) {
            Ok(again) if again == expected => {}
            Ok(again) => failures.push(format!("{stem}.expected is not a fixed point:\n{again}")),
            Err(e) => failures.push(format!("{stem}.expected: {e}")),
        }
    }
    assert!(cases >= 5, "only {cases} fixtures found");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_file_that_does_not_parse_is_refused_with_its_diagnostics() {
    for text in [
        "img<v> = (1 +",
        "spindle f( {",
        "a<v> = \"open",
        "/* never closed",
        "x<v> = 1 $ 2",
    ] {
        match weft_fmt::format(FileId(0), text) {
            Err(weft_fmt::FmtError::Parse(d)) => assert!(!d.is_empty(), "{text:?}"),
            other => panic!("{text:?}: expected a parse refusal, got {other:?}"),
        }
    }
}
