//! Taking commands over OSC (`--osc-in HOST:PORT`): a phone's control app or a
//! controller bridge sends `/param/<id> <value>` and the transport addresses, and
//! each becomes the same typed [`Command`] the terminal and the page send.
//!
//! Addresses: `/param/<id> <number>`; `/transport/play`, `/transport/pause`,
//! `/transport/stop`, `/transport/seek <seconds>`, `/transport/bpm <tempo>` (also
//! without the `/transport` prefix). Bundles are opened (nested at most
//! [`MAX_BUNDLE_DEPTH`] deep). A packet that does not decode is counted as
//! malformed; a message with an unknown address or arguments that do not fit is
//! counted as ignored; neither is ever fatal.

use crate::command::Command;
use rosc::{OscMessage, OscPacket, OscType};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How deep bundles inside bundles are opened.
pub const MAX_BUNDLE_DEPTH: usize = 8;

/// The largest datagram read (larger ones are cut by the OS and do not decode).
const MAX_PACKET: usize = 65_536;

/// Why the OSC input could not start.
#[derive(Debug, thiserror::Error)]
pub enum OscInError {
    /// `HOST:PORT` did not resolve.
    #[error("`{0}` is not HOST:PORT")]
    BadAddress(String),
    /// The port could not be bound.
    #[error("cannot listen for OSC on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
}

/// What the listener has seen.
#[derive(Debug, Default)]
pub struct OscInCounts {
    /// Messages turned into commands.
    pub applied: AtomicU64,
    /// Messages with an address or arguments weft does not take.
    pub ignored: AtomicU64,
    /// Packets that are not OSC.
    pub malformed: AtomicU64,
}

/// A running OSC listener; dropping it stops the thread.
#[derive(Debug)]
pub struct OscIn {
    addr: SocketAddr,
    counts: Arc<OscInCounts>,
    stop: Arc<AtomicBool>,
}

impl OscIn {
    /// Listens on `addr` (`HOST:PORT`; port 0 picks one) and hands every command
    /// to `apply`, in arrival order, on the listener's own thread.
    pub fn start(
        addr: &str,
        mut apply: impl FnMut(Command) + Send + 'static,
    ) -> Result<OscIn, OscInError> {
        let at = addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| OscInError::BadAddress(addr.to_string()))?;
        let socket = UdpSocket::bind(at).map_err(|e| OscInError::Bind(at, e))?;
        let bound = socket.local_addr().map_err(|e| OscInError::Bind(at, e))?;
        // Wakes now and then to see whether it should stop.
        socket
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| OscInError::Bind(at, e))?;
        let counts = Arc::new(OscInCounts::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (counts.clone(), stop.clone());
        std::thread::Builder::new()
            .name("weft-osc-in".into())
            .spawn(move || {
                let mut buf = vec![0u8; MAX_PACKET];
                let mut commands = Vec::new();
                while !s.load(Ordering::Relaxed) {
                    let Ok(n) = socket.recv(&mut buf) else {
                        continue;
                    };
                    commands.clear();
                    match rosc::decoder::decode_udp(&buf[..n]) {
                        Ok((_, packet)) => read_packet(&packet, 0, &c, &mut commands),
                        Err(_) => {
                            c.malformed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    for command in commands.drain(..) {
                        apply(command);
                    }
                }
            })
            .map_err(|e| OscInError::Bind(at, e))?;
        Ok(OscIn {
            addr: bound,
            counts,
            stop,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it has seen so far.
    pub fn counts(&self) -> &OscInCounts {
        &self.counts
    }
}

impl Drop for OscIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_packet(packet: &OscPacket, depth: usize, counts: &OscInCounts, out: &mut Vec<Command>) {
    match packet {
        OscPacket::Message(m) => match command(m) {
            Some(c) => {
                counts.applied.fetch_add(1, Ordering::Relaxed);
                out.push(c);
            }
            None => {
                counts.ignored.fetch_add(1, Ordering::Relaxed);
            }
        },
        OscPacket::Bundle(b) if depth < MAX_BUNDLE_DEPTH => {
            for p in &b.content {
                read_packet(p, depth + 1, counts, out);
            }
        }
        OscPacket::Bundle(_) => {
            counts.ignored.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The command an OSC message asks for, if weft takes it.
pub fn command(m: &OscMessage) -> Option<Command> {
    let number = |i: usize| -> Option<f64> {
        let v = match m.args.get(i)? {
            OscType::Float(f) => f64::from(*f),
            OscType::Double(d) => *d,
            OscType::Int(n) => f64::from(*n),
            OscType::Long(n) => *n as f64,
            OscType::Bool(b) => f64::from(u8::from(*b)),
            _ => return None,
        };
        v.is_finite().then_some(v)
    };
    if let Some(id) = m.addr.strip_prefix("/param/") {
        let ok = !id.is_empty()
            && id.len() <= 256
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '#' | '@'));
        let value = if ok && m.args.len() == 1 {
            number(0)?
        } else {
            return None;
        };
        return Some(Command::SetParam {
            id: id.to_string(),
            value,
        });
    }
    let what = m.addr.strip_prefix("/transport").unwrap_or(&m.addr);
    match (what, m.args.len()) {
        ("/play", 0) => Some(Command::Play),
        ("/pause", 0) => Some(Command::Pause),
        ("/stop", 0) => Some(Command::Stop),
        ("/seek", 1) => number(0).filter(|t| *t >= 0.0).map(Command::Seek),
        ("/bpm", 1) => number(0).map(Command::SetTempo),
        _ => None,
    }
}
