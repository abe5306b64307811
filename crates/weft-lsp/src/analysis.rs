//! One analysis of a file as the editor has it: the build through the documents'
//! overlay (so `use`d files are read as their open buffers), the same checks as
//! `weft check` (graph cycles, sources), each file's syntax tree and the
//! [`Index`] of names. It exists for any text: a file that does not build still
//! has its trees and index.

use crate::documents::{key, Documents, Overlay};
use crate::index::Index;
use crate::position::LineIndex;
use lsp_types::{DiagnosticSeverity, NumberOrString};
use std::path::{Path, PathBuf};
use weft_diagnostics::{Code, Diagnostic, FileId, Severity, SourceMap};
use weft_graph::{Graph, Scope};
use weft_lang::ast::File;
use weft_lang::ir::Program;

/// Everything known about one root file.
pub struct Analysis {
    /// The files read, by `FileId` (the root is `FileId(0)`), each as a key path.
    pub paths: Vec<PathBuf>,
    /// Their texts.
    pub sources: SourceMap,
    /// Line starts of each file, by `FileId`.
    pub lines: Vec<LineIndex>,
    /// Every diagnostic `weft check` would print.
    pub diagnostics: Vec<Diagnostic>,
    /// The program, when it builds.
    pub program: Option<Program>,
    /// The top-level graph, when the program builds and has no segments.
    pub graph: Option<Graph>,
    /// The trees of the files that parsed, in `FileId` order.
    pub trees: Vec<(FileId, File)>,
    /// The names.
    pub index: Index,
}

impl Analysis {
    /// Analyses `root` with open documents read from `docs`.
    pub fn new(root: &Path, docs: &Documents) -> Analysis {
        let built = match weft_lang::build_with(root, &Overlay(docs)) {
            Ok(b) => b,
            Err(e) => {
                let mut sources = SourceMap::new();
                sources.add(root, "");
                weft_lang::Built {
                    sources,
                    program: None,
                    diagnostics: vec![Diagnostic::spanless(Code::ImportNotFound, e.to_string())],
                    files: vec![root.to_path_buf()],
                    trees: Vec::new(),
                }
            }
        };
        let mut diagnostics = built.diagnostics;
        let mut graph = None;
        if let Some(program) = &built.program {
            match weft_graph::build(program, Scope::Main) {
                Err(cycles) => diagnostics.extend(cycles.iter().map(|c| c.to_diagnostic())),
                Ok(g) => {
                    let options = weft_sources::SourceOptions::default();
                    let (_, found) = weft_sources::SourceSet::load(program, &options);
                    diagnostics.extend(
                        found.into_iter().filter(|d| {
                            !matches!(d.code, Code::MicFallback | Code::CameraFallback)
                        }),
                    );
                    graph = Some(g);
                }
            }
        }
        let paths: Vec<PathBuf> = built.files.iter().map(|p| key(p)).collect();
        let trees = built.trees;
        let lines = built
            .sources
            .files()
            .map(|(_, file)| LineIndex::new(&file.text))
            .collect();
        let index = Index::build(&trees, &paths);
        Analysis {
            paths,
            sources: built.sources,
            lines,
            diagnostics,
            program: built.program,
            graph,
            trees,
            index,
        }
    }

    /// The `FileId` of `path` in this analysis.
    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        let k = key(path);
        self.paths
            .iter()
            .position(|p| *p == k)
            .map(|i| FileId(i as u32))
    }

    /// The text of a file.
    pub fn text(&self, file: FileId) -> &str {
        &self.sources.file(file).text
    }

    /// The LSP range of a span.
    pub fn range(&self, span: weft_diagnostics::Span) -> lsp_types::Range {
        let i = span.file.0 as usize;
        match self.lines.get(i) {
            Some(lines) => {
                lines.range(self.text(span.file), span.start as usize, span.end as usize)
            }
            None => lsp_types::Range::default(),
        }
    }

    /// The LSP diagnostics of file `path` (those without a place go on the root's
    /// first line).
    pub fn diagnostics_for(&self, path: &Path) -> Vec<lsp_types::Diagnostic> {
        let Some(file) = self.file_id(path) else {
            return Vec::new();
        };
        self.diagnostics
            .iter()
            .filter(|d| d.span.map_or(file.0 == 0, |s| s.file == file))
            .map(|d| lsp_types::Diagnostic {
                range: d.span.map(|s| self.range(s)).unwrap_or_default(),
                severity: Some(match d.severity {
                    Severity::Error => DiagnosticSeverity::ERROR,
                    Severity::Warning => DiagnosticSeverity::WARNING,
                }),
                code: Some(NumberOrString::String(d.code.as_str().to_string())),
                source: Some("weft".into()),
                message: std::iter::once(d.message.clone())
                    .chain(d.notes.iter().map(|n| format!("note: {n}")))
                    .collect::<Vec<_>>()
                    .join("\n"),
                ..Default::default()
            })
            .collect()
    }
}
