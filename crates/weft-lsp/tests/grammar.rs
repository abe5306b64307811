//! The TextMate grammar `editors/weft.tmLanguage.json` (for editors that
//! highlight without the server): valid JSON with the fields editors require,
//! and every keyword, output, constant, builtin and source of the language named
//! in one of its patterns.

use std::path::Path;

#[test]
fn the_textmate_grammar_is_valid_json_and_covers_the_language() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../editors/weft.tmLanguage.json");
    let text = std::fs::read_to_string(&path).expect("the grammar file");
    let grammar: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(grammar["scopeName"], "source.weft");
    assert_eq!(grammar["fileTypes"][0], "weft");
    assert!(grammar["patterns"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
    // Every pattern's `match`, `begin` and `end`, and every `include` resolves.
    let mut regexes = Vec::new();
    let mut stack = vec![&grammar];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if let (true, Some(s)) =
                        (matches!(k.as_str(), "match" | "begin" | "end"), x.as_str())
                    {
                        regexes.push(s.to_string());
                    }
                    if let (true, Some(s)) = (k == "include", x.as_str()) {
                        let name = s.trim_start_matches('#');
                        assert!(
                            grammar["repository"][name].is_object(),
                            "include {s} names nothing"
                        );
                    }
                    stack.push(x);
                }
            }
            serde_json::Value::Array(a) => stack.extend(a),
            _ => {}
        }
    }
    let words: Vec<&str> = weft_lsp::builtins::KEYWORDS
        .iter()
        .copied()
        .chain(weft_lsp::builtins::BUILTINS.iter().map(|b| b.name))
        .chain(weft_lsp::builtins::PRAGMAS.iter().map(|(p, _)| *p))
        .chain(["render", "pi", "tau", "e"])
        .collect();
    for w in words {
        let named = regexes.iter().any(|r| {
            r.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|part| part == w)
        });
        assert!(named, "the grammar does not name `{w}`");
    }
}
