//! Sending the `osc(…)` outputs over UDP: one message per output per visual frame,
//! each value as a 32-bit float (the type every OSC peer reads).

use rosc::{OscPacket, OscType};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use weft_engine::osc::OscMessage;

/// Where OSC goes when nobody says: SuperCollider's language port on this machine.
pub const DEFAULT_TARGET: &str = "127.0.0.1:57120";

/// A UDP socket aimed at one OSC peer.
#[derive(Debug)]
pub struct OscOut {
    socket: UdpSocket,
    target: SocketAddr,
    packet: Vec<u8>,
}

/// Why OSC output could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum OscError {
    /// `HOST:PORT` did not resolve.
    #[error("`{0}` is not HOST:PORT")]
    BadTarget(String),
    /// The socket could not be opened.
    #[error("cannot open a UDP socket: {0}")]
    Socket(#[from] std::io::Error),
}

impl OscOut {
    /// A socket on an ephemeral local port sending to `target` (`HOST:PORT`).
    pub fn new(target: &str) -> Result<OscOut, OscError> {
        let target = target
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .ok_or_else(|| OscError::BadTarget(target.to_string()))?;
        let bind = if target.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(bind)?;
        socket.set_nonblocking(true)?;
        Ok(OscOut {
            socket,
            target,
            packet: Vec::with_capacity(256),
        })
    }

    /// Where messages go.
    pub fn target(&self) -> SocketAddr {
        self.target
    }

    /// Sends each message as one packet; returns how many were sent. A peer that
    /// is not listening is not an error (UDP), a full socket buffer drops the
    /// message.
    pub fn send(&mut self, messages: &[OscMessage]) -> usize {
        let mut sent = 0;
        for m in messages {
            let packet = OscPacket::Message(rosc::OscMessage {
                addr: m.address.clone(),
                args: m.values.iter().map(|v| OscType::Float(*v as f32)).collect(),
            });
            self.packet.clear();
            if rosc::encoder::encode_into(&packet, &mut self.packet).is_ok()
                && self.socket.send_to(&self.packet, self.target).is_ok()
            {
                sent += 1;
            }
        }
        sent
    }
}
