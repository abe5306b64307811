//! The players of watched files: one per file, started and resized for the
//! largest preview its watchers ask for, steered by the command language, fed
//! the watchers' microphones, and what they produce sent to exactly those
//! watchers.

use super::{Hub, HubMsg};
use crate::player::{Player, PlayerEvent};
use std::path::{Path, PathBuf};
use weft_live::program::LoadedProgram;
use weft_live::script::{self, Line};
use weft_live::{Command, CommandError};

/// Queues `command` on a player; `answer` gets the engine's answer from a
/// blocking thread (the hub never waits for the engine), or the refusal at once.
pub(super) fn apply(
    player: &Player,
    command: Command,
    answer: impl FnOnce(Result<(), CommandError>) + Send + 'static,
) {
    match player.handle().send(command) {
        Ok(ticket) => {
            tokio::task::spawn_blocking(move || answer(ticket.wait()));
        }
        Err(e) => answer(Err(e)),
    }
}

impl Hub {
    /// A page's microphone (`WMIC`) for the file `conn` watches: placed ahead of
    /// where that file's transport is now (0 before its player runs), and sent
    /// where it went (`WLIV`) to every page watching the file, which draws
    /// `mic()` from its own copy of the ring.
    pub(super) fn heard(&mut self, conn: u64, chunk: crate::protocol::MicChunk) {
        let Some(file) = self.clients.get(&conn).and_then(|c| c.file.clone()) else {
            return self.reply_error(
                conn,
                "not-watching",
                "watch a file before sending the microphone",
            );
        };
        let time = self
            .files
            .get(&file)
            .and_then(|f| f.player.as_ref())
            .map_or(0.0, |p| p.handle().snapshot().time);
        let Some(placed) = self
            .microphones
            .heard(&file, time, chunk.rate, &chunk.samples)
        else {
            return;
        };
        let live = axum::body::Bytes::from(crate::protocol::live_bytes(
            chunk.rate,
            placed,
            &chunk.samples,
        ));
        for c in self
            .clients
            .values()
            .filter(|c| c.file.as_deref() == Some(file.as_str()))
        {
            let _ = c.out.pcm.try_send(live.clone());
        }
    }

    /// Frame `frame` of the `--camera` image or video the display of the file
    /// `conn` watches reads, sent to it as `WCAM` (made off the hub, one at a
    /// time per connection, the newest asked for next: see `camera.rs`); nothing
    /// when the display reads no such camera.
    pub(super) fn camera_frame(&mut self, conn: u64, frame: u64) {
        let Some(c) = self.clients.get(&conn) else {
            return;
        };
        let Some(player) = c
            .file
            .as_ref()
            .and_then(|f| self.files.get(f))
            .and_then(|f| f.player.as_ref())
        else {
            return;
        };
        let snap = player.handle().snapshot();
        let source = snap
            .display
            .iter()
            .chain(snap.segments.iter().filter_map(|s| s.display.as_ref()))
            .flat_map(|d| d.cameras.iter())
            .find(|s| s.size().is_some())
            .cloned();
        let Some(source) = source else {
            return;
        };
        let out = c.out.clone();
        c.camera.ask(frame, move |f| {
            if let Some(bytes) = crate::protocol::camera_bytes(&source, f) {
                let _ = out.pcm.try_send(axum::body::Bytes::from(bytes));
            }
        });
    }

    /// Runs one line of the command language on `file`'s player; `answer` gets
    /// whether it applied and the text to show — at once for queries and
    /// refusals, from a blocking thread once the engine has applied a command
    /// (the hub never waits for the engine).
    pub(super) fn command(
        &mut self,
        file: &str,
        text: &str,
        answer: impl FnOnce(bool, String) + Send + 'static,
    ) {
        let line = script::parse(text);
        if let Ok(Line::Render(r)) = line {
            return self.render_command(file, r, answer);
        }
        let Some(player) = self.files.get(file).and_then(|f| f.player.as_ref()) else {
            return answer(false, format!("`{file}` is not playing"));
        };
        match line {
            Err(e) => answer(false, e.to_string()),
            Ok(Line::Render(_)) => {}
            Ok(Line::Query(q)) => match player.handle().snapshot().answer(&q) {
                Ok(t) => answer(true, t),
                Err(e) => answer(false, e),
            },
            Ok(Line::Command(c)) => apply(player, c, move |r| match r {
                Ok(()) => answer(true, "ok".into()),
                Err(e) => answer(false, e.to_string()),
            }),
        }
    }

    /// Starts (or resizes) the player of `rel` for the largest preview its
    /// watchers ask for.
    pub(super) fn ensure_player(&mut self, rel: &str) {
        let (mut w, mut h) = (0, 0);
        for c in self
            .clients
            .values()
            .filter(|c| c.file.as_deref() == Some(rel))
        {
            w = w.max(c.preview.width);
            h = h.max(c.preview.height);
        }
        let Some(entry) = self.files.get_mut(rel) else {
            return;
        };
        if w == 0 {
            return;
        }
        let carry = match &entry.player {
            Some(p) if p.size() == (w, h) => return,
            Some(p) => Some(p.carry()),
            None => entry.carry.take(),
        };
        let tx = self.tx.clone();
        let file = rel.to_string();
        self.generations += 1;
        let generation = self.generations;
        entry.generation = generation;
        let painter = self.config.painter.clone();
        let player = Player::start(rel.to_string(), (w, h), painter, move |event| {
            let _ = tx.send(HubMsg::Player {
                file: file.clone(),
                generation,
                event,
            });
        });
        if let Some(program) = &entry.program {
            player.swap(Self::for_player(self.dir.root(), rel, program));
            match &carry {
                Some(c) => player.resume(c),
                None => player.play(),
            }
        } else {
            entry.carry = carry;
        }
        if let Some(old) = entry.player.replace(player) {
            tokio::task::spawn_blocking(move || drop(old));
        }
    }

    /// `program` as the player is given it: named by its path in the folder and
    /// with the folder taken out of its warnings, so `info` and `state` never
    /// show an absolute path.
    pub(super) fn for_player(root: &Path, rel: &str, program: &LoadedProgram) -> LoadedProgram {
        let mut p = program.clone();
        p.path = PathBuf::from(rel);
        p.warnings = p.warnings.replace(&format!("{}/", root.display()), "");
        p
    }

    pub(super) fn player_event(&mut self, file: &str, generation: u64, event: PlayerEvent) {
        if self
            .files
            .get(file)
            .is_none_or(|f| f.player.is_none() || f.generation != generation)
        {
            return;
        }
        for c in self
            .clients
            .values_mut()
            .filter(|c| c.file.as_deref() == Some(file))
        {
            match &event {
                PlayerEvent::Text(t) => c.out.send(t.clone()),
                PlayerEvent::Shader(m) => c.out.send(c.sources.text_for(m)),
                PlayerEvent::Frame(f) => {
                    let _ = c.out.frame.send(Some(f.clone()));
                }
                PlayerEvent::Pcm(p) => {
                    let _ = c.out.pcm.try_send(p.clone());
                }
            }
        }
    }
}
