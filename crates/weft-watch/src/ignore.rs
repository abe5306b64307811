//! What the folder watcher leaves out: hidden names, build output, and every
//! editor's temporary, swap and backup files.

use std::path::{Component, Path};

/// True for paths the watcher ignores (relative to the root): a path is ignored when
/// any of its components is. Ignored components are hidden names (`.git`,
/// `.weft-cache`, `.name.swp`, `.#name`, …), `target`, and editors' temporary, swap
/// and backup files: `*.sw?` (vim's swap series), `*~`, vim's write probe `4913` (and
/// the numbers vim tries after it), `#name#`, `*___jb_tmp___`, `*___jb_old___`,
/// `*.tmp`. Applying the rule to every component keeps files inside an ignored folder
/// ignored however they are reached.
pub fn is_ignored(relative: &Path) -> bool {
    relative.components().any(|c| match c {
        Component::Normal(name) => is_ignored_name(&name.to_string_lossy()),
        // `..` would leave the root: nothing there is ours to report.
        Component::ParentDir => true,
        Component::CurDir | Component::RootDir | Component::Prefix(_) => false,
    })
}

fn is_ignored_name(name: &str) -> bool {
    name.starts_with('.')
        || name == "target"
        || name.ends_with('~')
        || is_vim_probe(name)
        || (name.len() >= 2 && name.starts_with('#') && name.ends_with('#'))
        || name.ends_with("___jb_tmp___")
        || name.ends_with("___jb_old___")
        || name.ends_with(".tmp")
        || is_vim_swap(name)
}

/// Vim's swap files run `.swp`, `.swo`, `.swn`, … down to `.swa` (then `.svz`, …,
/// never reached in practice), and `.swx` is its probe for a writable swap folder.
fn is_vim_swap(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, ext)) => {
            !stem.is_empty()
                && ext.len() == 3
                && ext.starts_with("sw")
                && ext.as_bytes()[2].is_ascii_lowercase()
        }
        None => false,
    }
}

/// Before writing, vim checks that it may create files in the folder by creating a
/// file named `4913`; if that name is taken it tries 4913 + 123, + 246, and so on.
fn is_vim_probe(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 9
        && name.bytes().all(|b| b.is_ascii_digit())
        && name
            .parse::<u64>()
            .is_ok_and(|n| n >= 4913 && (n - 4913) % 123 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_paths() {
        let table: &[(&str, bool)] = &[
            // Sources and ordinary folders are watched.
            ("main.weft", false),
            ("scenes/intro.weft", false),
            ("a/b/c/deep.weft", false),
            ("media/loop.wav", false),
            ("README", false),
            ("weft.toml", false),
            ("targets/x.weft", false),
            ("my-target.weft", false),
            ("4912", false),
            ("4914", false),
            ("49130", false),
            ("tmp/x.weft", false),
            ("x.tmpl", false),
            ("a#b.weft", false),
            ("#", false),
            ("x.sw", false),
            ("x.swpx", false),
            ("swp", false),
            ("", false),
            // Hidden files and folders, anywhere.
            (".git/HEAD", true),
            (".git", true),
            ("a/.hidden/b.weft", true),
            (".weft-cache/abc", true),
            (".weft-cache", true),
            (".env", true),
            // Build output, anywhere.
            ("target", true),
            ("target/debug/x", true),
            ("sub/target/x.weft", true),
            // Vim: swap files, backups, the write probe.
            (".main.weft.swp", true),
            (".main.weft.swo", true),
            (".main.weft.swx", true),
            ("main.weft.swp", true),
            ("main.weft.swn", true),
            ("main.weft~", true),
            ("sub/main.weft~", true),
            ("4913", true),
            ("5036", true),
            ("sub/4913", true),
            // Emacs: lock and autosave files.
            (".#main.weft", true),
            ("#main.weft#", true),
            ("sub/#main.weft#", true),
            // JetBrains safe write.
            ("main.weft___jb_tmp___", true),
            ("main.weft___jb_old___", true),
            // Generic temporaries.
            ("main.weft.tmp", true),
            (".main.weft.tmp", true),
            // Anything inside an ignored folder.
            ("backup~/x.weft", true),
            ("../outside.weft", true),
        ];
        let wrong: Vec<String> = table
            .iter()
            .filter(|(p, want)| is_ignored(Path::new(p)) != *want)
            .map(|(p, want)| format!("{p:?}: expected ignored={want}"))
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}
