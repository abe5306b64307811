//! Live as you type (`weft lsp --dev HOST:PORT`): the open buffers' unsaved
//! text goes to the `weft dev` serving their folder, so its pages follow each
//! keystroke without a save. A save or a close returns that file to the disk.
//!
//! A thread of its own owns the WebSocket (a real one, as a page's), so the
//! language server never waits for the network: it only posts the latest text.
//! Texts that arrive within [`DEBOUNCE`] of each other go as one (the newest);
//! a server that is not there, or goes away, is tried again every
//! [`RETRY`], and gets every unsaved text again when it is back (a server
//! forgets a connection's texts when it closes).

use std::collections::{BTreeMap, BTreeSet};
use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// How long a burst of keystrokes is gathered before its newest text is sent.
pub const DEBOUNCE: Duration = Duration::from_millis(8);

/// How long after a failed connection the next one is tried.
pub const RETRY: Duration = Duration::from_secs(2);

/// The `weft dev` that `weft lsp --dev` talks to when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// The largest text sent (what `weft dev` takes: a program file's limit).
const MAX_TEXT: usize = 16 << 20;

enum Edit {
    /// The buffer's whole unsaved text.
    Text(PathBuf, String),
    /// Saved or closed: the file on disk is what counts again.
    Returned(PathBuf),
}

/// The language server's end of the link: posting never blocks.
pub struct DevLink {
    tx: mpsc::Sender<Edit>,
}

impl DevLink {
    /// Starts the link's thread, talking to `addr` (HOST:PORT, or a port on
    /// 127.0.0.1); `log` gets what the user should know (connected, refused,
    /// gone), once per change of state.
    pub fn start(addr: &str, log: Box<dyn Fn(String) + Send>) -> std::io::Result<DevLink> {
        let addr = match addr.parse::<u16>() {
            Ok(port) => format!("127.0.0.1:{port}"),
            Err(_) => addr.to_string(),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("weft-lsp-dev".into())
            .spawn(move || Link::new(addr, log).serve(&rx))?;
        Ok(DevLink { tx })
    }

    /// The buffer of `path` now holds `text` (not saved).
    pub fn edited(&self, path: &Path, text: &str) {
        let _ = self
            .tx
            .send(Edit::Text(path.to_path_buf(), text.to_string()));
    }

    /// The buffer of `path` was saved or closed.
    pub fn returned(&self, path: &Path) {
        let _ = self.tx.send(Edit::Returned(path.to_path_buf()));
    }
}

struct Link {
    addr: String,
    log: Box<dyn Fn(String) + Send>,
    /// Every unsaved text the editor holds.
    held: BTreeMap<PathBuf, String>,
    /// Paths whose text (or return to disk) the server has not been sent.
    dirty: BTreeSet<PathBuf>,
    socket: Option<WebSocket<TcpStream>>,
    retry_at: Instant,
    /// The last failure told to the user (told again only when it changes).
    told: Option<String>,
}

impl Link {
    fn new(addr: String, log: Box<dyn Fn(String) + Send>) -> Link {
        Link {
            addr,
            log,
            held: BTreeMap::new(),
            dirty: BTreeSet::new(),
            socket: None,
            retry_at: Instant::now(),
            told: None,
        }
    }

    fn apply(&mut self, edit: Edit) {
        match edit {
            Edit::Text(path, text) => {
                self.dirty.insert(path.clone());
                self.held.insert(path, text);
            }
            Edit::Returned(path) => {
                if self.held.remove(&path).is_some() {
                    self.dirty.insert(path);
                }
            }
        }
    }

    /// Until the language server is gone.
    fn serve(mut self, rx: &mpsc::Receiver<Edit>) {
        loop {
            let wait = match self.socket {
                Some(_) => Duration::from_millis(100),
                None => RETRY,
            };
            match rx.recv_timeout(wait) {
                Ok(edit) => {
                    self.apply(edit);
                    // A burst goes as one.
                    let until = Instant::now() + DEBOUNCE;
                    loop {
                        let left = until.saturating_duration_since(Instant::now());
                        match rx.recv_timeout(left) {
                            Ok(edit) => self.apply(edit),
                            Err(RecvTimeoutError::Timeout) => break,
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            if self.socket.is_none() && !self.held.is_empty() && Instant::now() >= self.retry_at {
                self.connect();
            }
            self.flush();
            self.drain();
        }
    }

    fn connect(&mut self) {
        match open(&self.addr) {
            Ok(socket) => {
                self.socket = Some(socket);
                self.told = None;
                (self.log)(format!(
                    "weft dev at {}: unsaved text goes live as you type",
                    self.addr
                ));
                // A new connection holds nothing yet.
                self.dirty = self.held.keys().cloned().collect();
            }
            Err(why) => {
                self.retry_at = Instant::now() + RETRY;
                self.tell(format!(
                    "no weft dev at {} ({why}); trying again every {} s",
                    self.addr,
                    RETRY.as_secs()
                ));
            }
        }
    }

    fn tell(&mut self, what: String) {
        if self.told.as_deref() != Some(what.as_str()) {
            (self.log)(what.clone());
            self.told = Some(what);
        }
    }

    fn lost(&mut self, why: String) {
        self.socket = None;
        self.retry_at = Instant::now() + RETRY;
        self.tell(format!("lost weft dev at {} ({why})", self.addr));
    }

    fn flush(&mut self) {
        let Some(socket) = self.socket.as_mut() else {
            return;
        };
        let mut failed = None;
        let mut too_large = Vec::new();
        for path in std::mem::take(&mut self.dirty) {
            let Some(name) = path.to_str() else { continue };
            let message = match self.held.get(&path) {
                Some(text) if text.len() > MAX_TEXT => {
                    too_large.push(format!(
                        "{name} is over {} MiB: its unsaved text is not sent to weft dev",
                        MAX_TEXT >> 20
                    ));
                    continue;
                }
                Some(text) => {
                    serde_json::json!({"type": "edit-buffer", "path": name, "text": text})
                }
                None => serde_json::json!({"type": "drop-buffer", "path": name}),
            };
            if let Err(e) = socket.send(Message::text(message.to_string())) {
                failed = Some(e.to_string());
                break;
            }
        }
        for t in too_large {
            self.tell(t);
        }
        if let Some(why) = failed {
            self.lost(why);
        }
    }

    /// Reads what the server sent (its `hello`, tree and change notices, and
    /// `error`s for what it refused, which the user is told of).
    fn drain(&mut self) {
        let mut refused = Vec::new();
        let mut failed = None;
        if let Some(socket) = self.socket.as_mut() {
            loop {
                match socket.read() {
                    Ok(Message::Text(text)) => {
                        let v: serde_json::Value =
                            serde_json::from_str(text.as_str()).unwrap_or_default();
                        if v.get("type").and_then(|t| t.as_str()) == Some("error") {
                            let message = v.get("message").and_then(|m| m.as_str()).unwrap_or("");
                            refused.push(format!("weft dev refused the unsaved text: {message}"));
                        }
                    }
                    Ok(Message::Close(_)) => {
                        failed = Some("it closed the connection".to_string());
                        break;
                    }
                    Ok(_) => {}
                    Err(tungstenite::Error::Io(e))
                        if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                    {
                        break
                    }
                    Err(e) => {
                        failed = Some(e.to_string());
                        break;
                    }
                }
            }
        }
        for r in refused {
            self.tell(r);
        }
        if let Some(why) = failed {
            self.lost(why);
        }
    }
}

/// A WebSocket to `weft dev`'s `/ws` on `addr`: reads wait at most a moment
/// (the link's loop drains them between edits), writes up to 10 s.
fn open(addr: &str) -> Result<WebSocket<TcpStream>, String> {
    let target = addr
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "no such address".to_string())?;
    let stream =
        TcpStream::connect_timeout(&target, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(2)))
        .map_err(|e| e.to_string())?;
    let (socket, _) = tungstenite::client::client(format!("ws://{addr}/ws"), stream)
        .map_err(|e| e.to_string())?;
    socket
        .get_ref()
        .set_read_timeout(Some(Duration::from_millis(1)))
        .map_err(|e| e.to_string())?;
    Ok(socket)
}
