//! Node hashes with a shared (hash-consed) expression arena: a definition's hash
//! and the order of what it reads come from its own expressions, so editing
//! another definition — which moves where shared nodes sit in the arena — never
//! changes them.

use weft_graph::{build, Graph, Scope};

fn graph(text: &str) -> Graph {
    let built = weft_lang::build_source(std::path::Path::new("/tmp/hashes.weft"), text);
    let program = built.program.expect("builds");
    build(&program, Scope::Main).expect("acyclic")
}

fn hash(g: &Graph, name: &str) -> weft_graph::NodeHash {
    g.node(g.find(name).expect("the node")).hash
}

#[test]
fn another_definition_sharing_nodes_does_not_change_a_hash() {
    let shared = "b<v> = (me@x + 1) * 2 + p@v + q@v\np<v> = 3\nq<v> = 4\n";
    // `a` builds `1` and `me@x` first (in the other order), and reads `q`
    // before `p`; then `b` meets them already in the arena.
    let first = graph(&format!("a<v> = 1 + me@x + q@v + p@v\n{shared}"));
    let second = graph(&format!("a<v> = me@y\n{shared}"));
    let third = graph(shared);
    assert_eq!(hash(&first, "b"), hash(&second, "b"));
    assert_eq!(hash(&first, "b"), hash(&third, "b"));
    let deps = |g: &Graph| -> Vec<String> {
        let b = g.node(g.find("b").expect("b"));
        b.deps.iter().map(|d| g.node(*d).name.clone()).collect()
    };
    assert_eq!(deps(&first), ["p", "q"]);
    assert_eq!(deps(&second), ["p", "q"]);
}

#[test]
fn equal_definitions_with_different_names_hash_differently() {
    let g = graph("a<v> = me@x + 1\nb<v> = me@x + 1\n");
    assert_ne!(hash(&g, "a"), hash(&g, "b"));
}
