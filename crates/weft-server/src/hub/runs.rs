//! The runs of watched files: which watched files a change touches, the build
//! jobs that run them on a blocking thread, the run events sent to exactly the
//! clients that watch each file, and the replays a client gets when it starts
//! watching or asks again.

use super::jobs::JobFile;
use super::{Client, Hub, RunLog};
use crate::executor::{Outcome, RunEvent};
use crate::protocol::{BlockReply, ServerMessage};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use weft_live::program::LoadedProgram;
use weft_watch::Change;

fn run_start(file: &str, log: &RunLog, dirty: &[String]) -> Arc<str> {
    ServerMessage::RunStart {
        file,
        run: log.run,
        block_ids: log.blocks.iter().map(|b| b.id.as_str()).collect(),
        dirty,
        blocks: &log.blocks,
        unsaved: log.unsaved,
    }
    .text()
}

/// Sends one block's result to `client`: `unchanged` when it holds the id, else
/// `full` (the message in full, shared by every client, never copied).
fn block_result(client: &mut Client, run: u64, id: &str, full: &Arc<str>) {
    if client.held.contains(id) {
        client.out.send(
            ServerMessage::BlockResult {
                run,
                block: id,
                reply: BlockReply::Unchanged,
            }
            .text(),
        );
    } else {
        client.held.insert(id.to_string());
        client.out.send(full.clone());
    }
}

impl Hub {
    /// Sends the latest run of `rel` to one client: `unchanged` for everything
    /// when it holds that complete run, else in full.
    pub(super) fn replay(&mut self, conn: u64, rel: &str, client_run: u64) {
        let Some(entry) = self.files.get(rel) else {
            return;
        };
        let Some(log) = &entry.log else {
            return;
        };
        let Some(client) = self.clients.get_mut(&conn) else {
            return;
        };
        client.held.clear();
        if client_run != 0 && client_run == entry.complete_run && log.run == client_run {
            client.held.extend(log.blocks.iter().map(|b| b.id.clone()));
        }
        client.out.send(run_start(rel, log, &[]));
        for (id, full) in &log.results {
            block_result(client, log.run, id, full);
        }
        if let Some(end) = &log.end {
            client.out.send(end.clone());
        }
    }

    pub(super) fn changed(&mut self, change: Change) {
        // Only `.weft` files count for `file-changed` (a page can follow nothing else).
        let sources: Vec<&String> = change
            .changed
            .iter()
            .filter(|c| c.ends_with(".weft"))
            .collect();
        if !sources.is_empty() {
            self.window.extend(sources.into_iter().cloned());
            self.window_start.get_or_insert_with(Instant::now);
        }
        let root = self.dir.root().to_path_buf();
        let touched: Vec<PathBuf> = change
            .changed
            .iter()
            .map(|r| {
                let p = root.join(r);
                p.canonicalize().unwrap_or(p)
            })
            .collect();
        let mut affected = Vec::new();
        for (rel, f) in self.files.iter_mut() {
            // A file that disappeared (the watched one or one it uses), or was
            // replaced by something that is not a file, shows only as a tree
            // change. A watched file gone is run too: the run says so and keeps
            // what it showed.
            let hit = change.changed.iter().any(|c| c == rel)
                || f.deps.iter().any(|d| touched.contains(d))
                || (change.tree_changed
                    && (f.failed
                        || !f.abs.is_file()
                        || f.deps.iter().any(|d| *d != f.abs && !d.exists())));
            if !hit {
                continue;
            }
            if f.watchers == 0 {
                // Not run now (nobody watches it); whoever watches it next must not
                // be shown the old results, so the next watch builds it again.
                f.log = None;
                f.complete_run = 0;
            } else {
                affected.push(rel.clone());
            }
        }
        for rel in &affected {
            if let Some(flag) = self.job_cancel.get(rel) {
                flag.store(true, Ordering::Relaxed);
            }
        }
        if let Some(files) = self.guard.request(affected) {
            self.launch(files);
        }
        if change.tree_changed {
            let msg = ServerMessage::DirectoryChanged {
                tree: &self.dir.tree(),
            }
            .text();
            for c in self.clients.values() {
                c.out.send(msg.clone());
            }
        }
    }

    /// Starts a build job for `files` (the guard said so) on the build thread.
    pub(super) fn launch(&mut self, files: Vec<String>) {
        let mut job = Vec::new();
        self.job_cancel.clear();
        for rel in files {
            let Some(entry) = self.files.get_mut(&rel) else {
                continue;
            };
            let cancel = Arc::new(AtomicBool::new(false));
            self.job_cancel.insert(rel.clone(), cancel.clone());
            job.push(JobFile {
                again: entry.log.is_none() || std::mem::take(&mut entry.resend),
                abs: entry.abs.clone(),
                rel,
                cancel,
            });
        }
        self.jobs.run(job);
    }

    pub(super) fn run_event(&mut self, file: &str, run: u64, event: RunEvent) {
        let Some(entry) = self.files.get_mut(file) else {
            return;
        };
        let watchers = self
            .clients
            .values_mut()
            .filter(|c| c.file.as_deref() == Some(file));
        match event {
            RunEvent::Built(program) => {
                self.take_program(file, *program);
            }
            RunEvent::Start {
                blocks,
                dirty,
                unsaved,
            } => {
                let log = RunLog {
                    run,
                    blocks,
                    unsaved,
                    results: Vec::new(),
                    end: None,
                };
                let msg = run_start(file, &log, &dirty);
                for c in watchers {
                    c.out.send(msg.clone());
                }
                entry.log = Some(log);
            }
            RunEvent::Result { id, body } => {
                let full = ServerMessage::BlockResult {
                    run,
                    block: &id,
                    reply: BlockReply::Full(&body),
                }
                .text();
                for c in watchers {
                    block_result(c, run, &id, &full);
                }
                if let Some(log) = entry.log.as_mut().filter(|l| l.run == run) {
                    log.results.push((id, full));
                }
            }
            RunEvent::End { error, cancelled } => {
                if !cancelled {
                    entry.complete_run = run;
                }
                let msg = ServerMessage::RunEnd {
                    run,
                    error: error.as_ref(),
                    cancelled,
                }
                .text();
                let ids: HashSet<&str> = entry
                    .log
                    .iter()
                    .flat_map(|l| l.blocks.iter().map(|b| b.id.as_str()))
                    .collect();
                for c in watchers {
                    c.out.send(msg.clone());
                    c.held.retain(|h| ids.contains(h.as_str()));
                }
                if let Some(log) = entry.log.as_mut().filter(|l| l.run == run) {
                    log.end = Some(msg);
                }
            }
        }
    }

    pub(super) fn built(&mut self, file: &str, outcome: Outcome, deps: Vec<PathBuf>) {
        self.job_cancel.remove(file);
        let Some(entry) = self.files.get_mut(file) else {
            return;
        };
        if !deps.is_empty() {
            entry.deps = deps;
        }
        match outcome {
            Outcome::Unchanged => {}
            Outcome::Ran(program) => self.take_program(file, *program),
            Outcome::Failed { key, error } => {
                entry.failed = true;
                if let Some(p) = &entry.player {
                    p.build_failed(key, error);
                }
            }
        }
    }

    /// A file's newly built program: its player plays it at once (before the
    /// blocks are evaluated, so the picture and the page's shader follow a save
    /// as soon as it builds). Taking the same program twice does nothing.
    pub(super) fn take_program(&mut self, file: &str, program: LoadedProgram) {
        let Some(entry) = self.files.get_mut(file) else {
            return;
        };
        entry.failed = false;
        if entry.program.as_ref().is_some_and(|p| p.key == program.key) {
            return;
        }
        let first = entry.program.is_none();
        if let Some(p) = &entry.player {
            p.swap(Self::for_player(self.dir.root(), file, &program));
            if first {
                match entry.carry.take() {
                    Some(c) => p.resume(&c),
                    None => p.play(),
                }
            }
        }
        entry.program = Some(program);
        self.refresh_timeline(file);
    }
}
