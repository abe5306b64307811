//! The hub's side of the render desk (`crate::desk`): the render commands of the
//! command language, one job per file at a time on its own thread, and the
//! `timeline` texts the jobs send back, kept per file and passed to its watchers.
//! The hub never waits for a render.

use super::{Hub, HubMsg};
use crate::desk::{self, Job};
use std::sync::Arc;
use weft_live::script::RenderCommand;
use weft_render::schedule::LiveKeys;

/// A file's renders as the hub knows them.
#[derive(Default)]
pub(super) struct Desk {
    /// The running job's wanted keys (emptied to cancel it).
    job: Option<Arc<LiveKeys>>,
    /// The newest `timeline` text.
    last: Option<Arc<str>>,
    /// The program changed while a job ran: send a fresh timeline after it.
    stale: bool,
}

impl Hub {
    /// Runs a render command on `file`; `answer` gets whether it started and what
    /// to show (a job's progress comes as `timeline` messages).
    pub(super) fn render_command(
        &mut self,
        file: &str,
        command: RenderCommand,
        answer: impl FnOnce(bool, String) + Send + 'static,
    ) {
        let Some(entry) = self.files.get_mut(file) else {
            return answer(false, format!("`{file}` is not watched"));
        };
        let Some(loaded) = entry.program.clone() else {
            return answer(
                false,
                format!("`{file}` has not built yet: fix its errors first"),
            );
        };
        let busy = entry.desk.job.is_some();
        match command {
            RenderCommand::Cancel => match &entry.desk.job {
                Some(live) => {
                    live.set(std::iter::empty());
                    answer(
                        true,
                        "cancelling: the chunks already rendered stay cached".into(),
                    )
                }
                None => answer(false, "nothing is rendering".into()),
            },
            RenderCommand::Status => {
                let file = file.to_string();
                std::thread::spawn(move || match desk::prepare(&file, &loaded) {
                    Ok(p) => answer(true, desk::status_text(&p)),
                    Err(e) => answer(false, e),
                });
            }
            _ if busy => answer(
                false,
                "a render is running; `cancel` it first, or wait".into(),
            ),
            command => {
                let live = Arc::new(LiveKeys::default());
                entry.desk.job = Some(live.clone());
                let (tx, file) = (self.tx.clone(), file.to_string());
                let what = match &command {
                    RenderCommand::All => "render".to_string(),
                    RenderCommand::Segment(s) => format!("render {s}"),
                    RenderCommand::Preview(s) => format!("preview {s}"),
                    _ => String::new(),
                };
                std::thread::Builder::new()
                    .name("weft-render-desk".into())
                    .spawn(move || {
                        let send = |text: Arc<str>| {
                            let _ = tx.send(HubMsg::Timeline {
                                file: file.clone(),
                                text,
                                done: false,
                            });
                        };
                        let job = desk::prepare(&file, &loaded).and_then(|p| {
                            let job = match command {
                                RenderCommand::Segment(s) => Job::Segment(desk::segment(&p, &s)?),
                                RenderCommand::Preview(s) => Job::Preview(desk::segment(&p, &s)?),
                                _ => Job::All,
                            };
                            Ok((p, job))
                        });
                        let last = match job {
                            Ok((p, job)) => {
                                let said = match &job {
                                    Job::Preview(_) => format!("drawing the thumbnail ({what})"),
                                    j => format!("{what}: {} chunk(s)", desk::chunk_count(&p, j)),
                                };
                                answer(true, said);
                                desk::run(p, job, &what, live, &send)
                            }
                            Err(e) => {
                                answer(false, e);
                                Arc::from("")
                            }
                        };
                        // The last text and the job's end in one message, so a
                        // page that sees it can start the next job at once.
                        let _ = tx.send(HubMsg::Timeline {
                            file,
                            text: last,
                            done: true,
                        });
                    })
                    .map(|_| ())
                    .unwrap_or_else(|e| eprintln!("weft dev: cannot start a render: {e}"));
            }
        }
    }

    /// A `timeline` text from a desk thread (`done`: its job ended with it; an
    /// empty text says nothing new).
    pub(super) fn timeline(&mut self, file: &str, text: Arc<str>, done: bool) {
        let Some(entry) = self.files.get_mut(file) else {
            return;
        };
        let refresh = done && {
            entry.desk.job = None;
            std::mem::take(&mut entry.desk.stale)
        };
        if !text.is_empty() {
            entry.desk.last = Some(text.clone());
            for c in self
                .clients
                .values()
                .filter(|c| c.file.as_deref() == Some(file))
            {
                c.out.send(text.clone());
            }
        }
        if refresh {
            self.refresh_timeline(file);
        }
    }

    /// Computes `file`'s timeline again (after a build), off the hub; while a
    /// job runs, once it ends.
    pub(super) fn refresh_timeline(&mut self, file: &str) {
        let Some(entry) = self.files.get_mut(file) else {
            return;
        };
        if entry.watchers == 0 {
            return;
        }
        if entry.desk.job.is_some() {
            entry.desk.stale = true;
            return;
        }
        let Some(loaded) = entry.program.clone() else {
            return;
        };
        let (tx, file) = (self.tx.clone(), file.to_string());
        std::thread::spawn(move || {
            let text = match desk::prepare(&file, &loaded) {
                Ok(p) => desk::now(&p),
                Err(e) => desk::unavailable(&file, &e),
            };
            let _ = tx.send(HubMsg::Timeline {
                file,
                text,
                done: false,
            });
        });
    }

    /// The newest `timeline` text of `file`, for a page that starts watching.
    pub(super) fn last_timeline(&self, file: &str) -> Option<Arc<str>> {
        self.files.get(file).and_then(|f| f.desk.last.clone())
    }
}
