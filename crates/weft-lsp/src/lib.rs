//! `weft lsp`: a language server over stdio (`lsp-server` and `lsp-types`, as
//! rust-analyzer does) built on weft-lang's loader and index of names.
//!
//! Invariants:
//! - every analysis reads open documents from memory ([`documents::Overlay`])
//!   and everything else from disk, so diagnostics follow keystrokes across
//!   `use`d files; the document store is keyed by path;
//! - diagnostics are exactly `weft check`'s (codes, spans, messages);
//! - every request gets a response and nothing a client sends (garbage text,
//!   positions past the end, unknown methods, malformed parameters) ends or
//!   panics the server: a bug in one answer is an internal-error response.
//!
//! Modules: `server` (state and dispatch), `documents` (the open buffers),
//! `analysis` (one build with its trees and diagnostics), `index` (every name
//! and what it stands for), `features` (hover, definition, references, rename,
//! symbols), `completion`, `semantic` (semantic tokens), `builtins` (the
//! language's own names and their docs), `position` (UTF-16 positions), `dev`
//! (unsaved text sent live to `weft dev`).

pub mod analysis;
pub mod builtins;
pub mod completion;
pub mod dev;
pub mod documents;
pub mod features;
pub mod index;
pub mod position;
pub mod semantic;
pub mod server;

use lsp_server::{Connection, Message};
use lsp_types::{
    CompletionOptions, HoverProviderCapability, OneOf, SemanticTokensFullOptions,
    SemanticTokensOptions, ServerCapabilities, TextDocumentSyncCapability, TextDocumentSyncKind,
};

/// The server stopped for a reason other than `exit`.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The protocol went wrong (initialization, a closed pipe).
    #[error("{0}")]
    Protocol(#[from] lsp_server::ProtocolError),
    /// Stdin or stdout failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The client went away without `exit`.
    #[error("the client disconnected")]
    Disconnected,
}

/// What the server can do.
pub fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::FULL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec!["@".into(), ".".into(), "<".into(), "#".into()]),
            ..Default::default()
        }),
        semantic_tokens_provider: Some(
            SemanticTokensOptions {
                legend: semantic::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..Default::default()
            }
            .into(),
        ),
        ..Default::default()
    }
}

/// How `weft lsp` runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A `weft dev` (HOST:PORT) that gets the open buffers' unsaved text.
    pub dev: Option<String>,
}

/// Serves on stdin and stdout until `exit`.
pub fn serve_stdio(options: Options) -> Result<(), ServeError> {
    let (connection, io) = Connection::stdio();
    serve_with(connection, options)?;
    io.join()?;
    Ok(())
}

/// Serves one client on `connection` until `exit`.
pub fn serve(connection: Connection) -> Result<(), ServeError> {
    serve_with(connection, Options::default())
}

/// Serves one client on `connection` until `exit`, as `options` say.
pub fn serve_with(connection: Connection, options: Options) -> Result<(), ServeError> {
    let caps = serde_json::to_value(capabilities()).unwrap_or_default();
    connection.initialize(caps)?;
    let mut server = server::Server::new();
    if let Some(addr) = &options.dev {
        let to_editor = connection.sender.clone();
        let log = Box::new(move |message: String| {
            let params = lsp_types::LogMessageParams {
                typ: lsp_types::MessageType::INFO,
                message,
            };
            let _ = to_editor.send(Message::Notification(lsp_server::Notification::new(
                <lsp_types::notification::LogMessage as lsp_types::notification::Notification>::METHOD
                    .to_string(),
                params,
            )));
        });
        server = server.with_dev(dev::DevLink::start(addr, log)?);
    }
    for msg in &connection.receiver {
        match msg {
            Message::Request(r) => {
                if connection.handle_shutdown(&r)? {
                    return Ok(());
                }
                let response = server.request(r);
                send(&connection, Message::Response(response))?;
            }
            Message::Notification(n) => {
                for out in server.notification(n) {
                    send(&connection, Message::Notification(out))?;
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

fn send(connection: &Connection, msg: Message) -> Result<(), ServeError> {
    connection
        .sender
        .send(msg)
        .map_err(|_| ServeError::Disconnected)
}
