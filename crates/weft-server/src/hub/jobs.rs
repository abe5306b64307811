//! The build thread: it owns the executor and runs the hub's build jobs one
//! after another, sending run events back to the hub as messages. Nothing is
//! shared with the hub but the cancel flags and the executor's published
//! counters, so the hub never waits for a build.

use super::HubMsg;
use crate::executor::{Executor, ExecutorStats, Outcome, RunEvent};
use crate::protocol::ErrorInfo;
use arc_swap::ArcSwap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use tokio::sync::mpsc::UnboundedSender;

/// One watched file of a build job.
pub(super) struct JobFile {
    /// Its relative path.
    pub rel: String,
    /// The file.
    pub abs: PathBuf,
    /// Set when a newer change makes this run pointless.
    pub cancel: Arc<AtomicBool>,
    /// The hub holds no run of it: the run must be sent even if unchanged.
    pub again: bool,
}

enum Job {
    /// Run these files, then tell the hub `JobDone`.
    Run(Vec<JobFile>),
    /// Drop everything about these files (nobody watched them for a while).
    Forget(Vec<String>),
}

/// The hub's end of the build thread.
pub(super) struct Jobs {
    tx: mpsc::Sender<Job>,
    stats: Arc<ArcSwap<ExecutorStats>>,
}

impl Jobs {
    /// Starts the thread; `hub` is the hub's inbox, `runs` the server's run counter.
    pub fn start(
        executor: Executor,
        hub: UnboundedSender<HubMsg>,
        runs: Arc<AtomicU64>,
    ) -> std::io::Result<Jobs> {
        let (tx, rx) = mpsc::channel();
        let stats = executor.published();
        std::thread::Builder::new()
            .name("weft-builds".into())
            .spawn(move || serve(executor, rx, &hub, &runs))?;
        Ok(Jobs { tx, stats })
    }

    /// Queues a build job (the guard allows one at a time).
    pub fn run(&self, files: Vec<JobFile>) {
        let _ = self.tx.send(Job::Run(files));
    }

    /// Queues forgetting files (after any job already queued).
    pub fn forget(&self, files: Vec<String>) {
        let _ = self.tx.send(Job::Forget(files));
    }

    /// The executor's counters as last published.
    pub fn stats(&self) -> ExecutorStats {
        self.stats.load().as_ref().clone()
    }
}

/// The thread's loop: ends when the hub is gone.
fn serve(
    mut executor: Executor,
    rx: mpsc::Receiver<Job>,
    hub: &UnboundedSender<HubMsg>,
    runs: &AtomicU64,
) {
    for job in rx {
        match job {
            Job::Run(files) => {
                for file in files {
                    if !file.cancel.load(Ordering::Relaxed) {
                        run_one(&mut executor, file, hub, runs);
                    }
                }
                let _ = hub.send(HubMsg::JobDone);
            }
            Job::Forget(files) => {
                for rel in files {
                    executor.forget(&rel);
                }
            }
        }
    }
}

fn run_one(
    executor: &mut Executor,
    file: JobFile,
    hub: &UnboundedSender<HubMsg>,
    runs: &AtomicU64,
) {
    let JobFile {
        rel,
        abs,
        cancel,
        again,
    } = file;
    let mut run = 0;
    // A build that panicked must not stop every later one.
    let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        executor.run(&rel, &abs, &cancel, again, &mut |event| {
            if matches!(event, RunEvent::Start { .. }) {
                run = runs.fetch_add(1, Ordering::Relaxed) + 1;
            }
            let _ = hub.send(HubMsg::Run {
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
                let _ = hub.send(HubMsg::Run {
                    file: rel.clone(),
                    run,
                    event: RunEvent::End {
                        error: Some(ErrorInfo {
                            code: String::new(),
                            message: "internal error while running this file (a bug in weft)"
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
    let _ = hub.send(HubMsg::Built {
        file: rel,
        outcome,
        deps,
    });
}
