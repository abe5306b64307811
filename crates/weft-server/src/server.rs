//! The HTTP side: the embedded browser client at `/` and `/app/…`, the WebSocket
//! at `/ws`, and the [`Server`] that ties the watcher, the hub and the listener
//! together and shuts them down cleanly. Every request must come from the page's
//! own origin or from a local tool (`origin`).

use crate::executor::BlockHook;
use crate::hub::{Hub, HubConfig, HubMsg, HubStats, Outbox, TEXT_QUEUE};
use crate::origin::Origins;
use crate::paths::ServedDir;
use crate::protocol::{self, ClientMessage};
use axum::body::Bytes;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot, watch, Notify};
use weft_engine::visual::Painter;
use weft_watch::{WatchError, Watcher};

/// The browser client, embedded at build time.
#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/"]
struct Assets;

/// How `weft dev` serves.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// The folder.
    pub root: PathBuf,
    /// Interface to bind (127.0.0.1 unless told otherwise).
    pub host: String,
    /// Port (0: any free one).
    pub port: u16,
    /// The watcher's debounce.
    pub debounce: Duration,
    /// Result cache limit in bytes.
    pub cache_bytes: usize,
    /// Results of files nobody watches are dropped after this long.
    pub evict_after: Duration,
    /// Called before each block a build evaluates (tests hold a build here).
    pub before_block: Option<BlockHook>,
    /// What draws the players' pictures.
    pub painter: Painter,
    /// The image or video `camera()` reads (`--camera`), else black.
    pub camera: Option<PathBuf>,
}

impl ServerConfig {
    /// True when only this machine can reach the server (`host` is a loopback
    /// address or `localhost`); otherwise the CLI warns.
    pub fn is_local(&self) -> bool {
        crate::origin::is_loopback(&self.host)
    }

    /// The defaults of `weft dev DIR`.
    pub fn new(root: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            root: root.into(),
            host: "127.0.0.1".into(),
            port: 7878,
            debounce: Duration::from_millis(30),
            cache_bytes: crate::executor::DEFAULT_CACHE_BYTES,
            evict_after: Duration::from_secs(30),
            before_block: None,
            painter: Painter::Cpu,
            camera: None,
        }
    }
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The folder cannot be served.
    #[error("cannot serve {}: {source}", path.display())]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The watcher could not start.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The build thread could not be started.
    #[error("cannot start the build thread: {0}")]
    Thread(std::io::Error),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// What was asked for.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

#[derive(Clone)]
struct AppState {
    hub: mpsc::UnboundedSender<HubMsg>,
    next_conn: Arc<AtomicU64>,
    /// The folder, for `GET /render/…` (its files' render caches).
    served: Arc<ServedDir>,
}

/// Applies commands to every file a server plays, from any thread.
#[derive(Clone, Debug)]
pub struct Remote {
    hub: mpsc::UnboundedSender<HubMsg>,
}

impl Remote {
    /// Queues `command` for every playing file (nothing once the server stopped).
    pub fn apply(&self, command: weft_live::command::Command) {
        let _ = self.hub.send(HubMsg::Remote(command));
    }
}

/// A running server.
pub struct Server {
    addr: SocketAddr,
    hub: mpsc::UnboundedSender<HubMsg>,
    shutdown: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
    watcher: Option<Watcher>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Server({})", self.addr)
    }
}

impl Server {
    /// Starts serving (call inside a tokio runtime).
    pub async fn start(config: ServerConfig) -> Result<Server, ServerError> {
        let dir = ServedDir::new(&config.root).map_err(|source| ServerError::Folder {
            path: config.root.clone(),
            source,
        })?;
        let (tx, rx) = mpsc::unbounded_channel();
        let fs_tx = tx.clone();
        let watcher = Watcher::start(dir.root(), config.debounce, move |change| {
            let _ = fs_tx.send(HubMsg::Fs(change));
        })?;
        let addr = format!("{}:{}", config.host, config.port);
        let listener = tokio::net::TcpListener::bind(&addr)
            .await
            .map_err(|source| ServerError::Bind {
                addr: addr.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| ServerError::Bind {
            addr: addr.clone(),
            source,
        })?;
        let served = dir.clone();
        let hub = Hub::new(
            dir,
            HubConfig {
                cache_bytes: config.cache_bytes,
                evict_after: config.evict_after,
                change_window: Duration::from_millis(100),
                before_block: config.before_block.clone(),
                painter: config.painter.clone(),
                camera: config.camera.clone(),
            },
            tx.clone(),
        )
        .map_err(ServerError::Thread)?;
        let ticker = tx.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(25));
            loop {
                every.tick().await;
                if ticker.send(HubMsg::Tick).is_err() {
                    break;
                }
            }
        });
        tokio::spawn(hub.serve(rx));
        let state = AppState {
            hub: tx.clone(),
            next_conn: Arc::new(AtomicU64::new(1)),
            served: Arc::new(served),
        };
        let origins = Arc::new(Origins::new(&config.host, local.port()));
        let app = Router::new()
            .route("/", get(index))
            .route("/app/{*file}", get(asset))
            .route("/ws", get(socket))
            .route("/render/{*rest}", get(rendered))
            .with_state(state)
            .layer(middleware::from_fn_with_state(origins, own_origin_only));
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop_rx.await;
                })
                .await;
        });
        Ok(Server {
            addr: local,
            hub: tx,
            shutdown: Some(stop_tx),
            task,
            watcher: Some(watcher),
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The hub's counters.
    pub async fn stats(&self) -> HubStats {
        let (tx, rx) = oneshot::channel();
        let _ = self.hub.send(HubMsg::Stats(tx));
        rx.await.unwrap_or_default()
    }

    /// Runs a line of the command language on the file watched most recently.
    /// A handle that applies typed commands to every file that plays (OSC in).
    pub fn remote(&self) -> Remote {
        Remote {
            hub: self.hub.clone(),
        }
    }

    pub async fn command(&self, text: &str) -> String {
        let (tx, rx) = oneshot::channel();
        let _ = self.hub.send(HubMsg::Terminal {
            text: text.to_string(),
            reply: tx,
        });
        rx.await
            .unwrap_or_else(|_| "error: the server has stopped".into())
    }

    /// Stops watching, stops every player, closes every connection and waits for
    /// the listener.
    pub async fn shutdown(mut self) {
        drop(self.watcher.take());
        let _ = self.hub.send(HubMsg::Shutdown);
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        // Open WebSockets keep graceful shutdown waiting; give them a moment.
        let _ = tokio::time::timeout(Duration::from_secs(2), &mut self.task).await;
        self.task.abort();
    }
}

/// Refuses (403) a request whose `Host` is not this server's (DNS rebinding) or
/// whose `Origin`, when it has one, is not the page's own (another web page).
async fn own_origin_only(
    State(origins): State<Arc<Origins>>,
    request: Request,
    next: Next,
) -> Response {
    let verdict = {
        let header_of = |name| {
            request
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("\u{0}"))
        };
        origins.check(header_of(header::HOST), header_of(header::ORIGIN))
    };
    match verdict {
        Ok(()) => next.run(request).await,
        Err(why) => (StatusCode::FORBIDDEN, why).into_response(),
    }
}

fn typed(body: std::borrow::Cow<'static, [u8]>, mime: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    match Assets::get("index.html") {
        Some(f) => typed(f.data, "text/html; charset=utf-8"),
        None => (StatusCode::NOT_FOUND, "the browser client is missing").into_response(),
    }
}

async fn asset(UrlPath(file): UrlPath<String>) -> Response {
    let mime = match file.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("html") => "text/html; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    };
    match Assets::get(&file) {
        Some(f) if !file.contains("..") => typed(f.data, mime),
        _ => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// `GET /render/FILE/video.mp4` and `/render/FILE/preview/NN-SEGMENT.png`: a
/// watched file's joined video and thumbnails from its render cache, with byte
/// ranges (a `<video>` seeks); `FILE` follows the folder rules of `watch-file`.
async fn rendered(
    UrlPath(rest): UrlPath<String>,
    State(state): State<AppState>,
    request: Request,
) -> Response {
    let found = crate::desk::served_file(&rest, |file| {
        state.served.resolve(file).ok().map(|(_, abs)| abs)
    });
    let Some(path) = found.filter(|p| p.is_file()) else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    match tower::ServiceExt::oneshot(tower_http::services::ServeFile::new(path), request).await {
        Ok(r) => r.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "cannot read the render").into_response(),
    }
}

async fn socket(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    // Larger than the protocol's limit, so an oversized message is answered
    // with an `error` instead of closing the connection.
    let most = protocol::MAX_BUFFER_MESSAGE + (1 << 20);
    ws.max_message_size(most)
        .max_frame_size(most)
        .on_upgrade(move |socket| connection(socket, state))
}

async fn connection(socket: WebSocket, state: AppState) {
    let conn = state.next_conn.fetch_add(1, Ordering::Relaxed);
    let (text_tx, mut text_rx) = mpsc::channel::<Arc<str>>(TEXT_QUEUE);
    let queued = Arc::new(AtomicUsize::new(0));
    let (frame_tx, mut frame_rx) = watch::channel::<Option<Bytes>>(None);
    let (pcm_tx, mut pcm_rx) = mpsc::channel::<Bytes>(64);
    let close = Arc::new(Notify::new());
    let out = Outbox {
        text: text_tx,
        queued: queued.clone(),
        frame: frame_tx,
        pcm: pcm_tx,
        close: close.clone(),
    };
    let replies = out.clone();
    if state.hub.send(HubMsg::Connect { conn, out }).is_err() {
        return;
    }
    let (mut sink, mut stream) = socket.split();
    let writer = tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                biased;
                t = text_rx.recv() => match t {
                    Some(t) => {
                        Outbox::written(&queued, &t);
                        Message::Text(t.as_ref().into())
                    }
                    None => break,
                },
                changed = frame_rx.changed() => {
                    if changed.is_err() {
                        break;
                    }
                    let frame = frame_rx.borrow_and_update().clone();
                    match frame {
                        Some(f) => Message::Binary(f),
                        None => continue,
                    }
                }
                p = pcm_rx.recv() => match p {
                    Some(p) => Message::Binary(p),
                    None => break,
                },
            };
            if sink.send(msg).await.is_err() {
                break;
            }
        }
    });
    loop {
        let msg = tokio::select! {
            m = stream.next() => match m {
                Some(Ok(m)) => m,
                _ => break,
            },
            // Too slow to take what it is sent: closed, so it reconnects and asks
            // again instead of missing messages.
            _ = close.notified() => break,
        };
        match msg {
            Message::Text(text) => match ClientMessage::parse(text.as_str()) {
                Ok(msg) => {
                    let _ = state.hub.send(HubMsg::Client { conn, msg });
                }
                Err(e) => replies.send(protocol::error(e.code(), &e.to_string())),
            },
            Message::Binary(bytes) => match protocol::MicChunk::parse(&bytes) {
                Ok(chunk) => {
                    let _ = state.hub.send(HubMsg::Mic { conn, chunk });
                }
                Err(e) => replies.send(protocol::error(e.code(), &e.to_string())),
            },
            Message::Close(_) => break,
            _ => {}
        }
    }
    let _ = state.hub.send(HubMsg::Disconnect { conn });
    drop(replies);
    writer.abort();
}
