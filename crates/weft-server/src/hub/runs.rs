//! The runs of watched files: which watched files a change touches, the build
//! jobs that run them on a blocking thread, the run events sent to exactly the
//! clients that watch each file, and the replays a client gets when it starts
//! watching or asks again.

use super::{Client, Hub, HubMsg, RunLog};
use crate::executor::{Outcome, RunEvent};
use crate::protocol::{self, to_value};
use serde_json::json;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;
use weft_watch::Change;

fn run_start(file: &str, log: &RunLog, dirty: &[String]) -> String {
    let ids: Vec<&str> = log.blocks.iter().map(|b| b.id.as_str()).collect();
    protocol::message(
        "run-start",
        json!({"file": file, "run": log.run, "blockIds": ids, "dirty": dirty, "blocks": to_value(&log.blocks)}),
    )
}

fn block_result(client: &mut Client, run: u64, id: &str, body: &str) {
    let text = if client.held.contains(id) {
        format!(
            "{{\"type\":\"block-result\",\"run\":{run},\"block\":{},\"unchanged\":true}}",
            json!(id)
        )
    } else {
        client.held.insert(id.to_string());
        format!(
            "{{\"type\":\"block-result\",\"run\":{run},\"block\":{},{body}}}",
            json!(id)
        )
    };
    client.out.send(text);
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
        for (id, body) in &log.results {
            block_result(client, log.run, id, body);
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
            // A watched file that was deleted keeps what it showed (the page says
            // it is gone); it runs again when it comes back.
            if !f.abs.exists() {
                continue;
            }
            // A file it uses that disappeared shows only as a tree change.
            let hit = change.changed.iter().any(|c| c == rel)
                || f.deps.iter().any(|d| touched.contains(d))
                || (change.tree_changed
                    && (f.failed || f.deps.iter().any(|d| *d != f.abs && !d.exists())));
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
            let msg: Arc<str> = protocol::message(
                "directory-changed",
                json!({"tree": to_value(&self.dir.tree())}),
            )
            .into();
            for c in self.clients.values() {
                c.out.send(msg.clone());
            }
        }
    }

    /// Starts a build job for `files` (the guard said so).
    pub(super) fn launch(&mut self, files: Vec<String>) {
        let mut job = Vec::new();
        self.job_cancel.clear();
        for rel in files {
            let Some(entry) = self.files.get(&rel) else {
                continue;
            };
            let flag = Arc::new(AtomicBool::new(false));
            self.job_cancel.insert(rel.clone(), flag.clone());
            // The hub holds no run of it: the run must be sent even if unchanged.
            let again = entry.log.is_none();
            job.push((rel, entry.abs.clone(), flag, again));
        }
        let executor = self.executor.clone();
        let tx = self.tx.clone();
        let runs = self.runs.clone();
        tokio::task::spawn_blocking(move || {
            // A build that panicked must not stop every later one.
            let mut executor = executor
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            for (rel, abs, cancel, again) in job {
                if cancel.load(Ordering::Relaxed) {
                    continue;
                }
                let mut run = 0;
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    executor.run(&rel, &abs, &cancel, again, &mut |event| {
                        if matches!(event, RunEvent::Start { .. }) {
                            run = runs.fetch_add(1, Ordering::Relaxed) + 1;
                        }
                        let _ = tx.send(HubMsg::Run {
                            file: rel.clone(),
                            run,
                            event,
                        });
                    })
                }));
                let outcome = match ran {
                    Ok(outcome) => outcome,
                    Err(_) => {
                        // Forget the file so the next save starts it afresh.
                        executor.forget(&rel);
                        if run != 0 {
                            let _ = tx.send(HubMsg::Run {
                                file: rel.clone(),
                                run,
                                event: RunEvent::End {
                                    error: Some(crate::protocol::ErrorInfo {
                                        code: String::new(),
                                        message:
                                            "internal error while running this file (a bug in weft)"
                                                .into(),
                                        line: 0,
                                        column: 0,
                                        rendered: String::new(),
                                    }),
                                    cancelled: false,
                                },
                            });
                        }
                        Outcome::Unchanged
                    }
                };
                let deps = executor
                    .files_of(&rel)
                    .into_iter()
                    .map(|p| p.canonicalize().unwrap_or(p))
                    .collect();
                let _ = tx.send(HubMsg::Built {
                    file: rel,
                    outcome,
                    deps,
                });
            }
            let _ = tx.send(HubMsg::JobDone);
        });
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
            RunEvent::Start { blocks, dirty } => {
                let log = RunLog {
                    run,
                    blocks,
                    results: Vec::new(),
                    end: None,
                };
                let msg: Arc<str> = run_start(file, &log, &dirty).into();
                for c in watchers {
                    c.out.send(msg.clone());
                }
                entry.log = Some(log);
            }
            RunEvent::Result { id, body } => {
                for c in watchers {
                    block_result(c, run, &id, &body);
                }
                if let Some(log) = entry.log.as_mut().filter(|l| l.run == run) {
                    log.results.push((id, body));
                }
            }
            RunEvent::End { error, cancelled } => {
                let mut body = json!({"run": run});
                if let Some(e) = error {
                    body["error"] = to_value(&e);
                }
                if cancelled {
                    body["cancelled"] = json!(true);
                } else {
                    entry.complete_run = run;
                }
                let msg: Arc<str> = protocol::message("run-end", body).into();
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
            Outcome::Ran(program) => {
                entry.failed = false;
                let first = entry.program.is_none();
                if let Some(p) = &entry.player {
                    p.swap((*program).clone());
                    if first {
                        match entry.carry.take() {
                            Some(c) => p.resume(&c),
                            None => p.play(),
                        }
                    }
                }
                entry.program = Some(*program);
            }
            Outcome::Failed { key, error } => {
                entry.failed = true;
                if let Some(p) = &entry.player {
                    p.build_failed(key, error);
                }
            }
        }
    }
}
