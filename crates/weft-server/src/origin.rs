//! Who may talk to `weft dev`: requests addressed to this server by one of its
//! own names (`Host`, against DNS rebinding) and, when they carry an `Origin`,
//! coming from the page it serves (against other web pages). Tools that send no
//! `Origin` (curl, scripts, the tests) are local by the `Host` rule.

use std::net::IpAddr;

/// True when `host` (as given to `--host`) can be reached from this machine only.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The names and port this server answers to.
#[derive(Clone, Debug)]
pub struct Origins {
    /// Host names, lowercase, IPv6 without brackets.
    names: Vec<String>,
    port: u16,
    /// Listening on every interface: any address literal of this machine is its
    /// own (DNS rebinding needs a name, so literals are safe).
    any_address: bool,
}

impl Origins {
    /// What a server bound to `host` (the `--host` value) on `port` answers to:
    /// `127.0.0.1`, `localhost`, `::1` and `host` itself.
    pub fn new(host: &str, port: u16) -> Origins {
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let any_address = host.parse::<IpAddr>().is_ok_and(|ip| ip.is_unspecified());
        let mut names: Vec<String> = ["127.0.0.1", "localhost", "::1"]
            .iter()
            .map(|n| n.to_string())
            .collect();
        if !names.contains(&host) {
            names.push(host);
        }
        Origins {
            names,
            port,
            any_address,
        }
    }

    /// True when `authority` (`host[:port]`) names this server.
    fn is_own(&self, authority: &str) -> bool {
        let authority = authority.to_ascii_lowercase();
        let (name, port) = match authority.strip_prefix('[') {
            // `[v6]` or `[v6]:port`
            Some(rest) => match rest.split_once(']') {
                Some((name, "")) => (name.to_string(), None),
                Some((name, port)) => match port.strip_prefix(':') {
                    Some(port) => (name.to_string(), Some(port)),
                    None => return false,
                },
                None => return false,
            },
            None => match authority.rsplit_once(':') {
                Some((name, port)) => (name.to_string(), Some(port)),
                None => (authority.clone(), None),
            },
        };
        // Browsers leave out the port when it is HTTP's default.
        let port = match port {
            Some(p) => p.parse::<u16>().ok(),
            None => Some(80),
        };
        if port != Some(self.port) {
            return false;
        }
        self.names.contains(&name) || (self.any_address && name.parse::<IpAddr>().is_ok())
    }

    /// Accepts a request with these `Host` and `Origin` header values, or says
    /// why not.
    pub fn check(&self, host: Option<&str>, origin: Option<&str>) -> Result<(), &'static str> {
        let Some(host) = host else {
            return Err("refused: a request must say which host it is for");
        };
        if !self.is_own(host) {
            return Err("refused: this server answers only to its own address");
        }
        match origin {
            None => Ok(()),
            Some(origin) => match origin.strip_prefix("http://") {
                Some(authority) if self.is_own(authority) => Ok(()),
                _ => Err("refused: only the page served here may use this server"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_names_only() {
        let o = Origins::new("127.0.0.1", 7878);
        for ok in [
            "127.0.0.1:7878",
            "localhost:7878",
            "LOCALHOST:7878",
            "[::1]:7878",
        ] {
            assert!(o.is_own(ok), "{ok}");
        }
        for bad in [
            "evil.example.com:7878",
            "127.0.0.1:7879",
            "127.0.0.1",
            "127.0.0.1:7878.evil",
            "[::1]7878",
            "10.0.0.1:7878",
            "",
        ] {
            assert!(!o.is_own(bad), "{bad}");
        }
        let any = Origins::new("0.0.0.0", 80);
        assert!(any.is_own("192.168.1.9") && any.is_own("192.168.1.9:80"));
        assert!(!any.is_own("evil.example.com"));
        assert!(Origins::new("::", 9).is_own("[fe80::1]:9"));
    }

    #[test]
    fn origins_must_be_the_page() {
        let o = Origins::new("127.0.0.1", 7878);
        assert!(o.check(Some("127.0.0.1:7878"), None).is_ok());
        assert!(o
            .check(Some("127.0.0.1:7878"), Some("http://localhost:7878"))
            .is_ok());
        for bad in [
            "null",
            "https://127.0.0.1:7878",
            "http://evil.example.com",
            "http://127.0.0.1:7878/x",
        ] {
            assert!(o.check(Some("127.0.0.1:7878"), Some(bad)).is_err(), "{bad}");
        }
        assert!(o.check(None, None).is_err());
    }

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"] {
            assert!(is_loopback(h), "{h}");
        }
        for h in ["0.0.0.0", "::", "192.168.1.4", "example.com"] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
