//! The served folder: turning a client's relative path into a file inside it
//! (refusing everything that could lead out), and listing its tree.

use crate::protocol::TreeEntry;
use std::path::{Component, Path, PathBuf};

/// Why a client's path was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    /// Absolute, `..`, backslashes, NUL, percent-encoding, or a symlink out.
    #[error("path `{0}` is outside the served folder")]
    Outside(String),
    /// Not an existing `.weft` file inside the folder.
    #[error("no file `{0}` in the served folder")]
    NotFound(String),
}

impl PathError {
    /// The stable `code` of the `error` reply.
    pub fn code(&self) -> &'static str {
        match self {
            PathError::Outside(_) => "path",
            PathError::NotFound(_) => "not-found",
        }
    }
}

/// The folder `weft dev` serves.
#[derive(Clone, Debug)]
pub struct ServedDir {
    root: PathBuf,
}

impl ServedDir {
    /// Serves `root` (made absolute and canonical).
    pub fn new(root: &Path) -> std::io::Result<ServedDir> {
        let root = root.canonicalize()?;
        if !root.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("{} is not a folder", root.display()),
            ));
        }
        Ok(ServedDir { root })
    }

    /// The canonical folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `relative` as the relative path with `/` separators it names, without
    /// touching the disk (so a deleted file can still be named); refuses every
    /// form that could lead out of the folder.
    pub fn normalize(&self, relative: &str) -> Result<String, PathError> {
        let outside = || PathError::Outside(relative.chars().take(200).collect());
        if relative.is_empty()
            || relative.contains(['\\', '\0', '%'])
            || relative.starts_with('/')
            || relative.len() > 4096
        {
            return Err(outside());
        }
        let mut parts = Vec::new();
        for c in Path::new(relative).components() {
            match c {
                Component::Normal(part) => parts.push(part.to_str().ok_or_else(outside)?),
                Component::CurDir => {}
                _ => return Err(outside()),
            }
        }
        if parts.is_empty() {
            return Err(outside());
        }
        Ok(parts.join("/"))
    }

    /// The `.weft` file a client means by `relative`: it must stay inside the
    /// folder after following symlinks. Returns the normalized relative path and
    /// the file.
    pub fn resolve(&self, relative: &str) -> Result<(String, PathBuf), PathError> {
        let outside = || PathError::Outside(relative.chars().take(200).collect());
        let clean = self.normalize(relative)?;
        if !clean.ends_with(".weft") {
            return Err(PathError::NotFound(relative.chars().take(200).collect()));
        }
        let joined = self.root.join(&clean);
        let real = joined
            .canonicalize()
            .map_err(|_| PathError::NotFound(relative.chars().take(200).collect()))?;
        if !real.starts_with(&self.root) {
            return Err(outside());
        }
        if !real.is_file() {
            return Err(PathError::NotFound(relative.chars().take(200).collect()));
        }
        let rel = self.relative(&joined).ok_or_else(outside)?;
        Ok((rel, real))
    }

    /// The `.weft` file an editor means by `path`: relative as a client's, or an
    /// absolute path that leads (after following symlinks) into the folder.
    pub fn resolve_editor_path(&self, path: &str) -> Result<(String, PathBuf), PathError> {
        if !path.starts_with('/') {
            return self.resolve(path);
        }
        let shown = || path.chars().take(200).collect::<String>();
        if path.contains('\0') || path.len() > 4096 {
            return Err(PathError::Outside(shown()));
        }
        let real = Path::new(path)
            .canonicalize()
            .map_err(|_| PathError::NotFound(shown()))?;
        let rel = self
            .relative(&real)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| PathError::Outside(shown()))?;
        self.resolve(&rel)
    }

    /// `path` (inside the folder) as a relative path with `/` separators.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.root).ok()?;
        let parts: Vec<&str> = rel
            .components()
            .map(|c| c.as_os_str().to_str())
            .collect::<Option<_>>()?;
        Some(parts.join("/"))
    }

    /// The folders and `.weft` files, sorted, without hidden entries, `target/`
    /// or `.weft-cache/`. Only files a client may open are listed: a file is
    /// listed only when [`ServedDir::resolve`] accepts it (so no symlink out of
    /// the folder, no dangling one); symlinked folders are not walked.
    pub fn tree(&self) -> TreeEntry {
        let mut root = TreeEntry {
            name: String::new(),
            path: String::new(),
            dir: true,
            children: Some(Vec::new()),
        };
        // An explicit stack instead of recursion: deep folders cannot overflow it.
        let mut todo: Vec<(PathBuf, Vec<usize>)> = vec![(self.root.clone(), Vec::new())];
        let mut visited = 0usize;
        while let Some((dir, at)) = todo.pop() {
            visited += 1;
            if visited > 10_000 {
                break;
            }
            let Ok(read) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut entries: Vec<(String, PathBuf, bool)> = read
                .filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.to_string();
                    if name.starts_with('.') || name == "target" {
                        return None;
                    }
                    let ft = e.file_type().ok()?;
                    let path = e.path();
                    // Symlinked folders are not walked (they may lead anywhere).
                    let is_dir = ft.is_dir();
                    let is_weft = !is_dir && name.ends_with(".weft");
                    (is_dir || is_weft).then_some((name, path, is_dir))
                })
                .collect();
            entries.sort();
            let node = at.iter().fold(&mut root, |n, i| {
                &mut n.children.as_mut().expect("folders have children")[*i]
            });
            let children = node.children.as_mut().expect("folders have children");
            for (name, path, is_dir) in entries {
                let Some(rel) = self.relative(&path) else {
                    continue;
                };
                if !is_dir && self.resolve(&rel).is_err() {
                    continue;
                }
                let index = children.len();
                children.push(TreeEntry {
                    name,
                    path: rel,
                    dir: is_dir,
                    children: is_dir.then(Vec::new),
                });
                if is_dir && at.len() < 32 {
                    let mut next = at.clone();
                    next.push(index);
                    todo.push((path, next));
                }
            }
        }
        prune(&mut root);
        root
    }
}

/// Drops folders that hold no `.weft` file at any depth (depth is bounded by the
/// walk above, so the recursion is too).
fn prune(dir: &mut TreeEntry) -> bool {
    if let Some(children) = dir.children.as_mut() {
        children.retain_mut(|c| !c.dir || prune(c));
        !children.is_empty()
    } else {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_every_way_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.weft"), "x<v> = 1").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.weft"), "x<v> = 1").unwrap();
        let served = ServedDir::new(dir.path()).unwrap();
        assert_eq!(served.resolve("a.weft").unwrap().0, "a.weft");
        assert_eq!(served.resolve("./sub/b.weft").unwrap().0, "sub/b.weft");
        for bad in [
            "../a.weft",
            "sub/../../etc/passwd",
            "/etc/passwd",
            "..%2Fa.weft",
            "%2e%2e/a.weft",
            "sub\\..\\..\\x",
            "a\0.weft",
            "",
        ] {
            assert_eq!(served.resolve(bad).unwrap_err().code(), "path", "{bad:?}");
        }
        assert_eq!(served.resolve("nope.weft").unwrap_err().code(), "not-found");
        assert_eq!(served.resolve("sub").unwrap_err().code(), "not-found");
    }

    #[test]
    fn an_editor_may_name_a_file_by_its_absolute_path_inside_the_folder_only() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("o.weft"), "x<v> = 1").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b.weft"), "x<v> = 1").unwrap();
        std::os::unix::fs::symlink(outside.path().join("o.weft"), dir.path().join("s.weft"))
            .unwrap();
        let served = ServedDir::new(dir.path()).unwrap();
        let abs = dir.path().join("sub/b.weft");
        let (rel, real) = served.resolve_editor_path(abs.to_str().unwrap()).unwrap();
        assert_eq!(rel, "sub/b.weft");
        assert_eq!(real, abs.canonicalize().unwrap());
        assert_eq!(
            served.resolve_editor_path("sub/b.weft").unwrap().0,
            "sub/b.weft"
        );
        for (bad, code) in [
            (outside.path().join("o.weft"), "path"),
            (dir.path().join("s.weft"), "path"),
            (dir.path().to_path_buf(), "path"),
            (dir.path().join("nope.weft"), "not-found"),
            (dir.path().join("sub"), "not-found"),
        ] {
            let e = served
                .resolve_editor_path(bad.to_str().unwrap())
                .unwrap_err();
            assert_eq!(e.code(), code, "{bad:?}");
        }
        assert_eq!(
            served.resolve_editor_path("/a\0b").unwrap_err().code(),
            "path"
        );
    }

    #[test]
    fn refuses_symlinks_that_lead_out() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.weft"), "x<v> = 1").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(
            outside.path().join("secret.weft"),
            dir.path().join("s.weft"),
        )
        .unwrap();
        let served = ServedDir::new(dir.path()).unwrap();
        assert_eq!(
            served.resolve("link/secret.weft").unwrap_err().code(),
            "path"
        );
        assert_eq!(served.resolve("s.weft").unwrap_err().code(), "path");
        // The tree lists none of them.
        let tree = served.tree();
        assert_eq!(tree.children.as_ref().map(Vec::len), Some(0), "{tree:?}");
    }

    #[test]
    fn lists_folders_and_weft_files() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "b.weft",
            "a.weft",
            "notes.txt",
            ".hidden.weft",
            "lib/c.weft",
            "assets/p.png",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::fs::create_dir_all(dir.path().join("target/debug")).unwrap();
        let tree = ServedDir::new(dir.path()).unwrap().tree();
        let names: Vec<&str> = tree
            .children
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| e.path.as_str())
            .collect();
        assert_eq!(names, ["a.weft", "b.weft", "lib"]);
        let lib = &tree.children.as_ref().unwrap()[2];
        assert_eq!(lib.children.as_ref().unwrap()[0].path, "lib/c.weft");
    }
}
