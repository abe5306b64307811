//! Reading a program from disk: the root file, the files it `use`s (each once,
//! cycles reported), parsing, then lowering into one [`Program`].

use crate::ast::ItemKind;
use crate::ir::Program;
use crate::lower::{lower, FileUnit};
use crate::syntax::parse;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use weft_diagnostics::{has_errors, Code, Diagnostic, FileId, SourceMap, Span};

/// Where source text comes from: the disk, or an editor's unsaved buffers.
pub trait SourceReader {
    /// The bytes of the WEFT file at `path`.
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>>;

    /// The bytes of the data file (`load`, `sample`) at `path`, for content keys:
    /// from disk, regular files only, at most [`weft_files::Limit::DATA`].
    fn read_data(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        weft_files::read(path, weft_files::Limit::DATA).map_err(Into::into)
    }
}

/// Reads files from the file system: regular files only, at most
/// [`weft_files::Limit::PROGRAM`] bytes each, never blocking on a FIFO.
#[derive(Clone, Copy, Debug, Default)]
pub struct DiskReader;

impl SourceReader for DiskReader {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        weft_files::read(path, weft_files::Limit::PROGRAM).map_err(Into::into)
    }
}

/// How to build.
#[derive(Clone, Copy, Debug, Default)]
pub struct BuildOptions;

/// The result of building a program: every file read, the program when it has no
/// errors, and every diagnostic (warnings included).
#[derive(Debug)]
pub struct Built {
    /// Every file that was read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The program, when there are no errors.
    pub program: Option<Program>,
    /// Errors and warnings, by file (in the order read) and position; those
    /// without a position first.
    pub diagnostics: Vec<Diagnostic>,
    /// The paths of every file read (root first), as the build named them.
    pub files: Vec<PathBuf>,
    /// The syntax tree of every file that was parsed, in `FileId` order (for editors:
    /// a tree exists even when the program does not build).
    pub trees: Vec<(FileId, crate::ast::File)>,
}

/// The root file itself could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {}: {source}", path.display())]
pub struct ReadError {
    /// The file.
    pub path: PathBuf,
    /// Why.
    #[source]
    pub source: std::io::Error,
}

/// Builds the program rooted at `root`, reading from disk.
pub fn build_program(root: &Path, _options: &BuildOptions) -> Result<Built, ReadError> {
    build_with(root, &DiskReader)
}

/// Builds a program from text held in memory (tests, editors); `use`d files are
/// read from disk relative to `path`.
pub fn build_source(path: &Path, text: &str) -> Built {
    struct Overlay<'a>(&'a Path, &'a str);
    impl SourceReader for Overlay<'_> {
        fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
            if path == self.0 {
                Ok(self.1.as_bytes().to_vec())
            } else {
                DiskReader.read(path)
            }
        }
    }
    match build_with(path, &Overlay(path, text)) {
        Ok(b) => b,
        Err(e) => unreachable_read(e),
    }
}

fn unreachable_read(e: ReadError) -> Built {
    // The overlay always answers for the root; keep a total function anyway.
    Built {
        sources: SourceMap::new(),
        program: None,
        diagnostics: vec![Diagnostic::spanless(Code::ImportNotFound, e.to_string())],
        files: vec![e.path],
        trees: Vec::new(),
    }
}

struct Loader<'r> {
    reader: &'r dyn SourceReader,
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
    units: Vec<FileUnit>,
    files: Vec<PathBuf>,
    done: HashMap<PathBuf, usize>,
    /// Files being loaded (for cycles): (key, display path).
    stack: Vec<(PathBuf, PathBuf)>,
}

/// Builds the program rooted at `root`, reading files through `reader`.
pub fn build_with(root: &Path, reader: &dyn SourceReader) -> Result<Built, ReadError> {
    let mut loader = Loader {
        reader,
        sources: SourceMap::new(),
        diagnostics: Vec::new(),
        units: Vec::new(),
        files: Vec::new(),
        done: HashMap::new(),
        stack: Vec::new(),
    };
    let bytes = reader.read(root).map_err(|source| ReadError {
        path: root.to_path_buf(),
        source,
    })?;
    loader.load(root, bytes, true);
    let mut diagnostics = loader.diagnostics;
    let program = if has_errors(&diagnostics) {
        None
    } else {
        let (program, diags) = lower(&loader.units);
        diagnostics.extend(diags);
        program
    };
    // In reading order: by file (the root first), then by position.
    diagnostics.sort_by_key(|d| d.span.map(|s| (s.file, s.start, s.end)));
    let mut trees: Vec<_> = loader.units.into_iter().map(|u| (u.id, u.ast)).collect();
    trees.sort_by_key(|(id, _)| id.0);
    Ok(Built {
        sources: loader.sources,
        program,
        diagnostics,
        files: loader.files,
        trees,
    })
}

fn key(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

impl Loader<'_> {
    /// Loads one file and, depth first, what it uses; returns its unit index.
    fn load(&mut self, path: &Path, bytes: Vec<u8>, is_root: bool) -> Option<usize> {
        let k = key(path);
        let text = match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self.sources.add(path, lossy);
                self.files.push(path.to_path_buf());
                self.diagnostics.push(Diagnostic::error(
                    Code::InvalidUtf8,
                    Span::new(id, at, at + 1),
                    "the file is not valid UTF-8",
                ));
                return None;
            }
        };
        let id: FileId = self.sources.add(path, text.as_str());
        self.files.push(path.to_path_buf());
        let (ast, diags) = parse(id, &text);
        self.diagnostics.extend(diags);
        self.stack.push((k.clone(), path.to_path_buf()));
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut uses = Vec::new();
        for item in &ast.items {
            let ItemKind::Use {
                path: rel,
                path_span,
            } = &item.kind
            else {
                continue;
            };
            let target = dir.join(rel);
            let tk = key(&target);
            if let Some(pos) = self.stack.iter().position(|(s, _)| *s == tk) {
                let chain: Vec<String> = self.stack[pos..]
                    .iter()
                    .map(|(_, p)| p.display().to_string())
                    .chain(std::iter::once(target.display().to_string()))
                    .collect();
                self.diagnostics.push(Diagnostic::error(
                    Code::ImportCycle,
                    item.span,
                    format!("import cycle: {}", chain.join(" → ")),
                ));
                continue;
            }
            if let Some(&u) = self.done.get(&tk) {
                uses.push((u, item.span));
                continue;
            }
            match self.reader.read(&target) {
                Ok(bytes) => {
                    if let Some(u) = self.load(&target, bytes, false) {
                        uses.push((u, item.span));
                    }
                }
                Err(e) => self.diagnostics.push(Diagnostic::error(
                    Code::ImportNotFound,
                    *path_span,
                    format!("cannot read `{}`: {e}", target.display()),
                )),
            }
        }
        self.stack.pop();
        self.units.push(FileUnit {
            id,
            dir,
            ast,
            uses,
            is_root,
        });
        let u = self.units.len() - 1;
        self.done.insert(k, u);
        Some(u)
    }
}
