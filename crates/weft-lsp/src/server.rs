//! The server's state and its answer to each message: the open documents, the
//! latest analysis of each, and one function per request. Every request gets a
//! response (a result, `null`, or an error for a malformed request): nothing a
//! client sends ends the server but `exit`.

use crate::analysis::Analysis;
use crate::dev::DevLink;
use crate::documents::{path_uri, uri_path, Documents};
use crate::{completion, features, semantic};
use lsp_server::{ErrorCode, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as note, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::{
    CompletionResponse, DocumentSymbolResponse, GotoDefinitionResponse, Hover, HoverContents,
    PublishDiagnosticsParams, SemanticTokens, SemanticTokensResult, TextDocumentPositionParams,
    TextEdit,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The open documents and what is known about each.
#[derive(Default)]
pub struct Server {
    /// What the editor holds.
    pub documents: Documents,
    analyses: HashMap<PathBuf, Analysis>,
    /// Where unsaved text goes live (`weft lsp --dev`).
    dev: Option<DevLink>,
}

impl Server {
    /// A server with nothing open.
    pub fn new() -> Server {
        Server::default()
    }

    /// Sends every buffer's unsaved text to a `weft dev` through `link`.
    pub fn with_dev(mut self, link: DevLink) -> Server {
        self.dev = Some(link);
        self
    }

    /// Answers one request.
    pub fn request(&mut self, r: Request) -> Response {
        let id = r.id.clone();
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.answer(r)));
        match answer {
            Ok(Ok(value)) => Response::new_ok(id, value),
            Ok(Err((code, message))) => Response::new_err(id, code as i32, message),
            Err(_) => internal(id),
        }
    }

    fn answer(&mut self, r: Request) -> Result<Value, (ErrorCode, String)> {
        let method = r.method.as_str();
        match method {
            req::HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = params(r.params)?;
                self.at(&p.text_document_position_params, |a, f, o| {
                    features::hover(a, f, o).map(|(range, value)| Hover {
                        contents: HoverContents::Markup(value),
                        range: Some(range),
                    })
                })
            }
            req::GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams = params(r.params)?;
                self.at(&p.text_document_position_params, |a, f, o| {
                    features::definition(a, f, o).map(GotoDefinitionResponse::Scalar)
                })
            }
            req::References::METHOD => {
                let p: lsp_types::ReferenceParams = params(r.params)?;
                let with_def = p.context.include_declaration;
                let mut all: Vec<lsp_types::Location> = Vec::new();
                for found in self.everywhere(&p.text_document_position, |a, f, o| {
                    Some(features::references(a, f, o, with_def))
                }) {
                    for l in found {
                        if !all.contains(&l) {
                            all.push(l);
                        }
                    }
                }
                Ok(serde_json::to_value(all).unwrap_or_default())
            }
            req::Rename::METHOD => {
                let p: lsp_types::RenameParams = params(r.params)?;
                let mut answers = self.everywhere(&p.text_document_position, |a, f, o| {
                    Some(features::rename(a, f, o, &p.new_name))
                });
                if answers.is_empty() {
                    return Ok(Value::Null);
                }
                // The file's own analysis decides; the others add the files that
                // `use` it.
                let mut edit = answers
                    .remove(0)
                    .map_err(|e| (ErrorCode::InvalidParams, e.to_string()))?;
                let changes = edit.changes.get_or_insert_with(HashMap::new);
                for more in answers.into_iter().flatten() {
                    for (uri, edits) in more.changes.unwrap_or_default() {
                        let known = changes.entry(uri).or_default();
                        for e in edits {
                            if !known.contains(&e) {
                                known.push(e);
                            }
                        }
                    }
                }
                Ok(serde_json::to_value(edit).unwrap_or_default())
            }
            req::Completion::METHOD => {
                let p: lsp_types::CompletionParams = params(r.params)?;
                self.at(&p.text_document_position, |a, f, o| {
                    Some(CompletionResponse::Array(completion::complete(a, f, o)))
                })
            }
            req::DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams = params(r.params)?;
                let path = uri_path(&p.text_document.uri);
                Ok(self.with_file(path.as_deref(), |a, f| {
                    Some(DocumentSymbolResponse::Nested(features::symbols(a, f)))
                }))
            }
            req::SemanticTokensFullRequest::METHOD => {
                let p: lsp_types::SemanticTokensParams = params(r.params)?;
                let path = uri_path(&p.text_document.uri);
                Ok(self.with_file(path.as_deref(), |a, f| {
                    Some(SemanticTokensResult::Tokens(SemanticTokens {
                        result_id: None,
                        data: semantic::tokens_of(a, f),
                    }))
                }))
            }
            req::Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams = params(r.params)?;
                let path = uri_path(&p.text_document.uri);
                Ok(self.with_file(path.as_deref(), |a, f| {
                    let text = a.text(f);
                    // A file that does not parse is left alone: its diagnostics say why.
                    let out = weft_fmt::format(f, text).ok()?;
                    let end = a.lines.get(f.0 as usize)?.position(text, text.len());
                    Some(vec![TextEdit::new(
                        lsp_types::Range::new(lsp_types::Position::new(0, 0), end),
                        out,
                    )])
                }))
            }
            _ => Err((
                ErrorCode::MethodNotFound,
                format!("unknown request `{method}`"),
            )),
        }
    }

    /// Runs `f` on the analysis of the document and the offset of a position.
    fn at<T: serde::Serialize>(
        &mut self,
        p: &TextDocumentPositionParams,
        f: impl FnOnce(&Analysis, weft_diagnostics::FileId, usize) -> Option<T>,
    ) -> Result<Value, (ErrorCode, String)> {
        let path = uri_path(&p.text_document.uri);
        let pos = p.position;
        Ok(self.with_file(path.as_deref(), |a, file| {
            let lines = a.lines.get(file.0 as usize)?;
            let offset = lines.offset(a.text(file), pos);
            f(a, file, offset)
        }))
    }

    /// Runs `f` on every analysis that reads the document (its own first, then
    /// those of the open files that `use` it).
    fn everywhere<T>(
        &mut self,
        p: &TextDocumentPositionParams,
        mut f: impl FnMut(&Analysis, weft_diagnostics::FileId, usize) -> Option<T>,
    ) -> Vec<T> {
        let Some(path) = uri_path(&p.text_document.uri) else {
            return Vec::new();
        };
        let key = crate::documents::key(&path);
        self.analysis(&key);
        let mut roots: Vec<&PathBuf> = self.analyses.keys().filter(|k| **k != key).collect();
        roots.sort();
        let mut out = Vec::new();
        for root in std::iter::once(&key).chain(roots) {
            let Some(a) = self.analyses.get(root) else {
                continue;
            };
            let Some(file) = a.file_id(&key) else {
                continue;
            };
            let Some(lines) = a.lines.get(file.0 as usize) else {
                continue;
            };
            let offset = lines.offset(a.text(file), p.position);
            out.extend(f(a, file, offset));
        }
        out
    }

    /// The analysis of `key`, made when there is none yet.
    fn analysis(&mut self, key: &Path) -> Option<&Analysis> {
        if !self.analyses.contains_key(key) {
            let a = Analysis::new(key, &self.documents);
            self.analyses.insert(key.to_path_buf(), a);
        }
        self.analyses.get(key)
    }

    fn with_file<T: serde::Serialize>(
        &mut self,
        path: Option<&Path>,
        f: impl FnOnce(&Analysis, weft_diagnostics::FileId) -> Option<T>,
    ) -> Value {
        let Some(path) = path else { return Value::Null };
        let key = crate::documents::key(path);
        let Some(a) = self.analysis(&key) else {
            return Value::Null;
        };
        let Some(file) = a.file_id(&key) else {
            return Value::Null;
        };
        f(a, file)
            .and_then(|v| serde_json::to_value(v).ok())
            .unwrap_or(Value::Null)
    }

    /// Handles one notification; returns the notifications to send back.
    pub fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notice(n)));
        outcome.unwrap_or_default()
    }

    fn notice(&mut self, n: Notification) -> Vec<Notification> {
        match n.method.as_str() {
            note::DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                // A buffer may open with unsaved text (a restored session); one
                // equal to the disk is ignored by `weft dev`.
                if let Some(dev) = &self.dev {
                    dev.edited(&path, &p.text_document.text);
                }
                self.documents
                    .set(&path, p.text_document.text, p.text_document.version);
                self.changed(&path)
            }
            note::DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                // Full sync: the last change holds the whole text.
                let Some(change) = p.content_changes.into_iter().last() else {
                    return Vec::new();
                };
                if let Some(dev) = &self.dev {
                    dev.edited(&path, &change.text);
                }
                self.documents
                    .set(&path, change.text, p.text_document.version);
                self.changed(&path)
            }
            note::DidCloseTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                if let Some(dev) = &self.dev {
                    dev.returned(&path);
                }
                self.documents.close(&path);
                self.analyses.remove(&path);
                let mut out = vec![publish(&path, Vec::new())];
                out.extend(self.changed(&path));
                out
            }
            note::DidSaveTextDocument::METHOD => {
                let Ok(p) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params)
                else {
                    return Vec::new();
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return Vec::new();
                };
                if let Some(dev) = &self.dev {
                    dev.returned(&path);
                }
                self.changed(&path)
            }
            _ => Vec::new(),
        }
    }

    /// Analyses every open document that is `path` or reads it; their
    /// diagnostics to publish.
    pub fn changed(&mut self, path: &Path) -> Vec<Notification> {
        let key = crate::documents::key(path);
        let mut out = Vec::new();
        for doc in self.documents.paths() {
            let reads = doc == key
                || self
                    .analyses
                    .get(&doc)
                    .is_some_and(|a| a.paths.contains(&key));
            if !reads {
                continue;
            }
            let a = Analysis::new(&doc, &self.documents);
            out.push(publish(&doc, a.diagnostics_for(&doc)));
            // A used file that is not open shows its errors under its own name.
            for used in a.paths.iter().skip(1) {
                if self.documents.get(used).is_none() {
                    out.push(publish(used, a.diagnostics_for(used)));
                }
            }
            self.analyses.insert(doc, a);
        }
        out
    }
}

fn params<T: DeserializeOwned>(v: Value) -> Result<T, (ErrorCode, String)> {
    serde_json::from_value(v).map_err(|e| (ErrorCode::InvalidParams, e.to_string()))
}

fn internal(id: RequestId) -> Response {
    Response::new_err(
        id,
        ErrorCode::InternalError as i32,
        "weft lsp could not answer this request (an internal error)".into(),
    )
}

fn publish(path: &Path, diagnostics: Vec<lsp_types::Diagnostic>) -> Notification {
    let params = path_uri(path).map(|uri| PublishDiagnosticsParams::new(uri, diagnostics, None));
    Notification::new(note::PublishDiagnostics::METHOD.to_string(), params)
}
