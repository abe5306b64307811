//! The hub: one task that owns who watches what, the runs of every file, the
//! players, and the build guard. Connections, the watcher, the build thread and
//! players only send it messages, so no state here is shared or locked, and the
//! hub never waits for a build or an engine.

use crate::executor::{BlockHook, Executor, ExecutorStats, Outcome, RunEvent};
use crate::guard::BuildGuard;
use crate::paths::ServedDir;
use crate::player::{self, Player, PlayerEvent};
use crate::protocol::{self, BlockInfo, ClientMessage, PreviewSize, ServerMessage};
use axum::body::Bytes;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use weft_live::program::LoadedProgram;
use weft_live::Command;
use weft_watch::Change;

mod buffers;
mod desk;
mod jobs;
mod players;
mod runs;

use jobs::Jobs;

/// Bytes of text messages a connection may have waiting before it is closed as
/// too slow (its page reconnects and asks again for what it shows). Messages are
/// shared between clients, so this bounds what one slow client keeps alive.
pub const TEXT_BUDGET: usize = 16 << 20;

/// Text messages a connection may have waiting, whatever their size (a second
/// bound, on the queue's own memory).
pub const TEXT_QUEUE: usize = 1 << 16;

/// What one connection is sent: JSON text, the latest frame (older ones are
/// dropped for a slow client), and sound (dropped when the client lags).
#[derive(Clone, Debug)]
pub struct Outbox {
    /// Text messages (at most [`TEXT_QUEUE`] and [`TEXT_BUDGET`] bytes waiting).
    pub text: mpsc::Sender<Arc<str>>,
    /// Bytes of text queued and not yet written to the socket.
    pub queued: Arc<AtomicUsize>,
    /// The newest `WFRM` frame.
    pub frame: watch::Sender<Option<Bytes>>,
    /// `WPCM` chunks and `WLIV` samples (dropped when the client lags).
    pub pcm: mpsc::Sender<Bytes>,
    /// Told when the connection must close (its text queue overflowed).
    pub close: Arc<Notify>,
}

impl Outbox {
    /// Queues a text message (shared, never copied); a client too slow to take it
    /// is disconnected rather than left with a hole in what it was told.
    pub fn send(&self, text: Arc<str>) {
        let len = text.len();
        if self.queued.fetch_add(len, Ordering::Relaxed) + len > TEXT_BUDGET {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.close.notify_one();
            return;
        }
        if self.text.try_send(text).is_err() {
            self.queued.fetch_sub(len, Ordering::Relaxed);
            self.close.notify_one();
        }
    }

    /// Takes a written message off the count of bytes waiting.
    pub fn written(queued: &AtomicUsize, text: &str) {
        queued.fetch_sub(text.len(), Ordering::Relaxed);
    }
}

/// Counters for reports and tests.
#[derive(Clone, Debug, Default)]
pub struct HubStats {
    /// The executor's counters (runs per file, blocks evaluated and reused).
    pub executor: ExecutorStats,
    /// Connected clients.
    pub clients: usize,
    /// Files with a player.
    pub playing: Vec<String>,
    /// Build requests folded into a pending build.
    pub collapsed: u64,
    /// Files the hub keeps results for.
    pub files: Vec<String>,
    /// Block ids the hub remembers as held, summed over every connection.
    pub held_blocks: usize,
}

/// Messages to the hub.
pub enum HubMsg {
    /// A connection opened.
    Connect {
        /// Its number.
        conn: u64,
        /// Where its messages go.
        out: Outbox,
    },
    /// A connection closed.
    Disconnect {
        /// Its number.
        conn: u64,
    },
    /// A well-formed client message.
    Client {
        /// From which connection.
        conn: u64,
        /// The message.
        msg: ClientMessage,
    },
    /// A page's microphone (`WMIC`), for the file it watches.
    Mic {
        /// From which connection.
        conn: u64,
        /// The samples.
        chunk: protocol::MicChunk,
    },
    /// The watcher saw changes.
    Fs(Change),
    /// An event of a run.
    Run {
        /// The file.
        file: String,
        /// The run number.
        run: u64,
        /// What happened.
        event: RunEvent,
    },
    /// A file's run is over.
    Built {
        /// The file.
        file: String,
        /// What the run made.
        outcome: Outcome,
        /// The files its build read.
        deps: Vec<PathBuf>,
    },
    /// The build job is over.
    JobDone,
    /// Something a player produced.
    Player {
        /// The file.
        file: String,
        /// Which player of the file (events of a replaced one are dropped).
        generation: u64,
        /// What.
        event: PlayerEvent,
    },
    /// A line of the command language from the terminal.
    Terminal {
        /// The line.
        text: String,
        /// The answer.
        reply: oneshot::Sender<String>,
    },
    /// A command from outside the pages and the terminal (OSC in): applied to
    /// every file that plays.
    Remote(weft_live::command::Command),
    /// A `timeline` text from a render desk thread; `done` when its job ended.
    Timeline {
        /// The file.
        file: String,
        /// The message (empty when `done`).
        text: Arc<str>,
        /// The job ended.
        done: bool,
    },
    /// Report the counters.
    Stats(oneshot::Sender<HubStats>),
    /// Time passes (the change window, eviction).
    Tick,
    /// Stop every player and end the hub.
    Shutdown,
}

/// Settings of the hub.
#[derive(Clone, Debug)]
pub struct HubConfig {
    /// Result cache limit in bytes.
    pub cache_bytes: usize,
    /// Results of files nobody watches are dropped after this long.
    pub evict_after: Duration,
    /// The window in which exactly one changed file makes a `file-changed`.
    pub change_window: Duration,
    /// Called before each block a build evaluates (tests hold a build here).
    pub before_block: Option<BlockHook>,
    /// What draws the players' pictures.
    pub painter: weft_engine::visual::Painter,
    /// The image or video `camera()` reads.
    pub camera: Option<PathBuf>,
}

struct Client {
    out: Outbox,
    file: Option<String>,
    preview: PreviewSize,
    /// Block ids this connection holds for its file.
    held: HashSet<String>,
    /// Sources' words it was sent, which its page keeps.
    sources: crate::web_shader::HeldSources,
    /// The `--camera` frames asked of it, made one at a time.
    camera: Arc<crate::camera::CameraRequests>,
}

struct RunLog {
    run: u64,
    blocks: Vec<BlockInfo>,
    /// The build read an editor's unsaved text.
    unsaved: bool,
    results: Vec<(String, Arc<str>)>,
    end: Option<Arc<str>>,
}

struct FileEntry {
    abs: PathBuf,
    watchers: usize,
    log: Option<RunLog>,
    /// The last run that ended without being cancelled.
    complete_run: u64,
    deps: Vec<PathBuf>,
    failed: bool,
    player: Option<Player>,
    /// Which player it is (counts up over the hub's life).
    generation: u64,
    /// Where the last player was when its last watcher left (a reload resumes).
    carry: Option<player::Carry>,
    program: Option<LoadedProgram>,
    unwatched_since: Option<Instant>,
    /// Its renders.
    desk: desk::Desk,
    /// Its next run is sent even when what it builds is unchanged (an editor's
    /// unsaved text was dropped: the page must learn the run is saved now).
    resend: bool,
}

/// The hub's state.
pub struct Hub {
    dir: ServedDir,
    config: HubConfig,
    tx: mpsc::UnboundedSender<HubMsg>,
    clients: HashMap<u64, Client>,
    files: HashMap<String, FileEntry>,
    guard: BuildGuard<String>,
    job_cancel: HashMap<String, Arc<AtomicBool>>,
    jobs: Jobs,
    runs: Arc<AtomicU64>,
    window: Vec<String>,
    window_start: Option<Instant>,
    focus: Option<String>,
    generations: u64,
    /// Editors' unsaved texts, read by the build thread.
    buffers: crate::buffers::Buffers,
    /// Which connection sent each unsaved text (canonical path → connection).
    buffer_owners: HashMap<PathBuf, u64>,
    /// Each file's live input for `mic()`, shared with the build thread.
    microphones: crate::microphones::Microphones,
}

impl Hub {
    /// A hub serving `dir`; `tx` is its own inbox (for jobs and players). Fails
    /// when its build thread cannot be started.
    pub fn new(
        dir: ServedDir,
        config: HubConfig,
        tx: mpsc::UnboundedSender<HubMsg>,
    ) -> std::io::Result<Hub> {
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(1);
        let runs = Arc::new(AtomicU64::new(start));
        let buffers = crate::buffers::Buffers::new();
        let microphones = crate::microphones::Microphones::new();
        let executor = Executor::new(config.cache_bytes)
            .with_root(dir.root())
            .with_buffers(buffers.clone())
            .with_microphones(microphones.clone())
            .with_camera(config.camera.clone())
            .with_hook(config.before_block.clone());
        let jobs = Jobs::start(executor, tx.clone(), runs.clone())?;
        Ok(Hub {
            dir,
            jobs,
            config,
            tx,
            clients: HashMap::new(),
            files: HashMap::new(),
            guard: BuildGuard::new(),
            job_cancel: HashMap::new(),
            runs,
            window: Vec::new(),
            window_start: None,
            focus: None,
            generations: 0,
            buffers,
            buffer_owners: HashMap::new(),
            microphones,
        })
    }

    /// Handles messages until every sender is gone.
    pub async fn serve(mut self, mut rx: mpsc::UnboundedReceiver<HubMsg>) {
        while let Some(msg) = rx.recv().await {
            if matches!(msg, HubMsg::Shutdown) {
                break;
            }
            self.handle(msg);
        }
        // Players stop their engines when dropped; do it off the async thread.
        let players: Vec<Player> = self
            .files
            .values_mut()
            .filter_map(|f| f.player.take())
            .collect();
        let _ = tokio::task::spawn_blocking(move || drop(players)).await;
    }

    fn handle(&mut self, msg: HubMsg) {
        match msg {
            HubMsg::Connect { conn, out } => {
                out.send(
                    ServerMessage::Hello {
                        version: env!("CARGO_PKG_VERSION"),
                        root: self
                            .dir
                            .root()
                            .file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or(""),
                        tree: &self.dir.tree(),
                        run: self.runs.load(Ordering::Relaxed),
                    }
                    .text(),
                );
                self.clients.insert(
                    conn,
                    Client {
                        out,
                        file: None,
                        preview: PreviewSize::DEFAULT,
                        held: HashSet::new(),
                        sources: Default::default(),
                        camera: Default::default(),
                    },
                );
            }
            HubMsg::Disconnect { conn } => {
                self.drop_buffers_of(conn);
                self.unwatch(conn);
                self.clients.remove(&conn);
            }
            HubMsg::Client { conn, msg } => self.client_message(conn, msg),
            HubMsg::Mic { conn, chunk } => self.heard(conn, chunk),
            HubMsg::Fs(change) => self.changed(change),
            HubMsg::Run { file, run, event } => self.run_event(&file, run, event),
            HubMsg::Built {
                file,
                outcome,
                deps,
            } => self.built(&file, outcome, deps),
            HubMsg::JobDone => match self.guard.finish() {
                Some(files) => self.launch(files),
                None => self.job_cancel.clear(),
            },
            HubMsg::Player {
                file,
                generation,
                event,
            } => self.player_event(&file, generation, event),
            HubMsg::Terminal { text, reply } => match self.focus.clone() {
                Some(file) => self.command(&file, &text, move |ok, output| {
                    let _ = reply.send(if ok {
                        output
                    } else {
                        format!("error: {output}")
                    });
                }),
                None => {
                    let _ =
                        reply.send("error: no file is watched yet: open one in the browser".into());
                }
            },
            HubMsg::Remote(command) => {
                for f in self.files.values() {
                    if let (Some(player), Some(c)) = (&f.player, command.copy_values()) {
                        // Posted, not waited for: a refusal (an unknown id) is
                        // the sender's to notice, as over any OSC link.
                        let _ = player.handle().post(c);
                    }
                }
            }
            HubMsg::Timeline { file, text, done } => self.timeline(&file, text, done),
            HubMsg::Shutdown => {}
            HubMsg::Stats(reply) => {
                // A published snapshot: a build in progress is never waited for.
                let executor = self.jobs.stats();
                let mut playing: Vec<String> = self
                    .files
                    .iter()
                    .filter(|(_, f)| f.player.is_some())
                    .map(|(k, _)| k.clone())
                    .collect();
                playing.sort();
                let mut files: Vec<String> = self.files.keys().cloned().collect();
                files.sort();
                let _ = reply.send(HubStats {
                    executor,
                    clients: self.clients.len(),
                    playing,
                    collapsed: self.guard.collapsed,
                    files,
                    held_blocks: self.clients.values().map(|c| c.held.len()).sum(),
                });
            }
            HubMsg::Tick => self.tick(),
        }
    }

    fn reply_error(&self, conn: u64, code: &str, message: &str) {
        if let Some(c) = self.clients.get(&conn) {
            c.out.send(protocol::error(code, message));
        }
    }

    fn client_message(&mut self, conn: u64, msg: ClientMessage) {
        match msg {
            ClientMessage::WatchFile {
                path,
                client_run,
                preview,
                shader_key,
                ..
            } => match self.dir.resolve(&path) {
                Ok((rel, abs)) => self.watch(conn, rel, abs, client_run, preview, &shader_key),
                Err(e) => self.reply_error(conn, e.code(), &e.to_string()),
            },
            ClientMessage::UnwatchFile { path } => {
                let watching = self.clients.get(&conn).and_then(|c| c.file.clone());
                // Not resolved on disk: the file may be gone already.
                let rel = self.dir.normalize(&path);
                match rel {
                    Ok(rel) if watching.as_deref() == Some(rel.as_str()) => self.unwatch(conn),
                    Ok(_) => {
                        self.reply_error(conn, "not-watching", &format!("not watching `{path}`"))
                    }
                    Err(e) => self.reply_error(conn, e.code(), &e.to_string()),
                }
            }
            ClientMessage::RequestLoad { path, client_run } => match self.dir.resolve(&path) {
                Ok((rel, _)) => {
                    let watching = self.clients.get(&conn).and_then(|c| c.file.clone());
                    if watching.as_deref() != Some(rel.as_str()) {
                        self.reply_error(
                            conn,
                            "not-watching",
                            &format!("watch `{path}` before asking for its results"),
                        );
                    } else {
                        self.replay(conn, &rel, client_run);
                    }
                }
                Err(e) => self.reply_error(conn, e.code(), &e.to_string()),
            },
            ClientMessage::Command { text } => {
                let Some(file) = self.clients.get(&conn).and_then(|c| c.file.clone()) else {
                    return self.reply_error(
                        conn,
                        "not-watching",
                        "watch a file before sending commands",
                    );
                };
                let Some(out) = self.clients.get(&conn).map(|c| c.out.clone()) else {
                    return;
                };
                let line = text.clone();
                self.command(&file, &text, move |ok, output| {
                    out.send(
                        ServerMessage::CommandResult {
                            text: &line,
                            ok,
                            output: &output,
                        }
                        .text(),
                    );
                });
            }
            ClientMessage::SetParam { id, value } => {
                let Some(file) = self.clients.get(&conn).and_then(|c| c.file.clone()) else {
                    return self.reply_error(
                        conn,
                        "not-watching",
                        "watch a file before setting parameters",
                    );
                };
                let Some(player) = self.files.get(&file).and_then(|f| f.player.as_ref()) else {
                    return self.reply_error(conn, "command", &format!("`{file}` is not playing"));
                };
                let out = self.clients.get(&conn).map(|c| c.out.clone());
                players::apply(player, Command::SetParam { id, value }, move |r| {
                    if let (Err(e), Some(out)) = (r, out) {
                        out.send(protocol::error("command", &e.to_string()));
                    }
                });
            }
            ClientMessage::EditBuffer { path, text } => self.edit_buffer(conn, &path, Some(text)),
            ClientMessage::DropBuffer { path } => self.edit_buffer(conn, &path, None),
            ClientMessage::CameraFrame { frame } => self.camera_frame(conn, frame),
            ClientMessage::Pointer { x, y } => {
                let file = self.clients.get(&conn).and_then(|c| c.file.clone());
                if let Some(player) = file
                    .and_then(|f| self.files.get(&f))
                    .and_then(|f| f.player.as_ref())
                {
                    let _ = player.handle().post(Command::Pointer { x, y });
                }
            }
        }
    }

    fn watch(
        &mut self,
        conn: u64,
        rel: String,
        abs: PathBuf,
        client_run: u64,
        preview: PreviewSize,
        shader_key: &str,
    ) {
        let current = self.clients.get(&conn).and_then(|c| c.file.clone());
        if current.as_deref() != Some(rel.as_str()) {
            self.unwatch(conn);
            let entry = self.files.entry(rel.clone()).or_insert_with(|| FileEntry {
                abs,
                watchers: 0,
                log: None,
                complete_run: 0,
                deps: Vec::new(),
                failed: false,
                player: None,
                generation: 0,
                carry: None,
                program: None,
                unwatched_since: None,
                desk: desk::Desk::default(),
                resend: false,
            });
            entry.watchers += 1;
            entry.unwatched_since = None;
        }
        if let Some(c) = self.clients.get_mut(&conn) {
            c.file = Some(rel.clone());
            c.preview = preview;
            c.held.clear();
            c.sources.clear();
        }
        self.focus = Some(rel.clone());
        self.ensure_player(&rel);
        let has_log = self.files.get(&rel).is_some_and(|f| f.log.is_some());
        if has_log {
            self.replay(conn, &rel, client_run);
        } else if !self.job_cancel.contains_key(&rel) {
            // Not in the running build: ask for one (a pending one takes it in).
            if let Some(files) = self.guard.request([rel.clone()]) {
                self.launch(files);
            }
        }
        // Parameters and transport now; the player's pump sends changes later.
        if let (Some(player), Some(c)) = (
            self.files.get(&rel).and_then(|f| f.player.as_ref()),
            self.clients.get_mut(&conn),
        ) {
            let snap = player.handle().snapshot();
            if snap.program_version > 0 {
                c.out.send(player::parameters_message(&rel, &snap));
            }
            if let Some(shader) = player.display_shader() {
                match !shader.key.is_empty() && shader.key == *shader_key {
                    true => c.out.send(
                        ServerMessage::DisplayShaderUnchanged {
                            file: &rel,
                            key: &shader.key,
                            unchanged: true,
                        }
                        .text(),
                    ),
                    false => c.out.send(c.sources.text_for(&shader)),
                }
            }
            c.out.send(player::state_message(&rel, &snap));
        }
        match self.last_timeline(&rel) {
            Some(t) => {
                if let Some(c) = self.clients.get(&conn) {
                    c.out.send(t);
                }
            }
            None => self.refresh_timeline(&rel),
        }
    }

    fn unwatch(&mut self, conn: u64) {
        let Some(file) = self.clients.get_mut(&conn).and_then(|c| c.file.take()) else {
            return;
        };
        if let Some(c) = self.clients.get_mut(&conn) {
            // Given back now, not when the connection goes.
            c.held = HashSet::new();
        }
        let Some(entry) = self.files.get_mut(&file) else {
            return;
        };
        entry.watchers = entry.watchers.saturating_sub(1);
        if entry.watchers == 0 {
            entry.unwatched_since = Some(Instant::now());
            if let Some(p) = entry.player.take() {
                entry.carry = Some(p.carry());
                tokio::task::spawn_blocking(move || drop(p));
            }
        } else {
            // The one that left may have wanted the largest frames.
            self.ensure_player(&file);
        }
    }

    fn tick(&mut self) {
        if let Some(start) = self.window_start {
            if start.elapsed() >= self.config.change_window {
                let distinct: HashSet<&String> = self.window.iter().collect();
                if distinct.len() == 1 {
                    let path = self.window[0].clone();
                    let watched = self.files.get(&path).is_some_and(|f| f.watchers > 0);
                    let msg = ServerMessage::FileChanged {
                        path: &path,
                        watched,
                    }
                    .text();
                    for c in self.clients.values() {
                        c.out.send(msg.clone());
                    }
                }
                self.window.clear();
                self.window_start = None;
            }
        }
        let stale: Vec<String> = self
            .files
            .iter()
            .filter(|(rel, f)| {
                f.watchers == 0
                    && f.unwatched_since
                        .is_some_and(|t| t.elapsed() >= self.config.evict_after)
                    && !self.job_cancel.contains_key(*rel)
                    && !self.guard.is_pending(rel)
            })
            .map(|(k, _)| k.clone())
            .collect();
        if stale.is_empty() {
            return;
        }
        for rel in &stale {
            self.files.remove(rel);
        }
        // The build thread forgets them after any job it has (never waited for).
        self.jobs.forget(stale);
    }
}
