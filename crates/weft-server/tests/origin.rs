//! Only the page's own origin and local tools may drive `weft dev`: real
//! WebSocket handshakes and plain HTTP requests with foreign `Origin` and `Host`
//! headers are refused with 403, the page's own are accepted, and what a client
//! is told names files relative to the served folder, never by absolute path.

mod common;

use common::{Served, PATIENCE};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::Message;

const SKETCH: &str = "k<v> = 0.5\ngrad<v> = me@x * k@v\ndisplay(grad@v)\n";

/// The status of a WebSocket handshake to `s` with the given headers (101 when
/// it was accepted, after checking the greeting).
async fn handshake(s: &Served, headers: &[(&str, &str)]) -> StatusCode {
    let mut request = format!("ws://{}/ws", s.server.addr())
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((mut ws, response)) => {
            let hello = tokio::time::timeout(PATIENCE, ws.next()).await.unwrap();
            let Some(Ok(Message::Text(t))) = hello else {
                panic!("no hello: {hello:?}");
            };
            let v: Value = serde_json::from_str(t.as_str()).unwrap();
            assert_eq!(v["type"], "hello");
            response.status()
        }
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status(),
        Err(e) => panic!("handshake failed without an HTTP answer: {e}"),
    }
}

/// The status line of a plain GET of `path` with `headers`.
async fn get(s: &Served, path: &str, headers: &[(&str, &str)]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(s.server.addr())
        .await
        .unwrap();
    let mut request = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn foreign_origins_and_hosts_are_refused_on_the_socket() {
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    let port = s.server.addr().port();
    let own = format!("127.0.0.1:{port}");
    let named = format!("localhost:{port}");
    for origin in [
        "https://evil.example.com".to_string(),
        "http://evil.example.com".to_string(),
        "null".to_string(),
        // Another local service is another origin.
        format!("http://127.0.0.1:{}", port.wrapping_add(1)),
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1.evil.example.com:{port}"),
    ] {
        assert_eq!(
            handshake(&s, &[("Origin", &origin)]).await,
            StatusCode::FORBIDDEN,
            "{origin}"
        );
    }
    // DNS rebinding: a foreign name that resolves to this machine.
    for host in [
        format!("evil.example.com:{port}"),
        "evil.example.com".to_string(),
        format!("127.0.0.1:{}", port.wrapping_add(1)),
    ] {
        assert_eq!(
            handshake(&s, &[("Host", &host)]).await,
            StatusCode::FORBIDDEN,
            "{host}"
        );
        assert_eq!(
            handshake(
                &s,
                &[("Host", &host), ("Origin", &format!("http://{host}"))]
            )
            .await,
            StatusCode::FORBIDDEN,
            "{host}"
        );
    }
    // The page's own origins, and local tools that send none.
    assert_eq!(handshake(&s, &[]).await, StatusCode::SWITCHING_PROTOCOLS);
    for (host, origin) in [
        (own.clone(), format!("http://{own}")),
        (named.clone(), format!("http://{named}")),
        (own.clone(), format!("http://{named}")),
    ] {
        assert_eq!(
            handshake(&s, &[("Host", &host), ("Origin", &origin)]).await,
            StatusCode::SWITCHING_PROTOCOLS,
            "{host} {origin}"
        );
    }
}

#[tokio::test]
async fn foreign_origins_and_hosts_are_refused_over_http() {
    let s = Served::new(&[("a.weft", SKETCH)]).await;
    let port = s.server.addr().port();
    let own = format!("127.0.0.1:{port}");
    for path in ["/", "/app/app.js"] {
        assert!(
            get(&s, path, &[("Host", "evil.example.com")])
                .await
                .contains(" 403 "),
            "{path}"
        );
        assert!(
            get(&s, path, &[("Host", &format!("evil.example.com:{port}"))])
                .await
                .contains(" 403 "),
            "{path}"
        );
        assert!(
            get(
                &s,
                path,
                &[("Host", &own), ("Origin", "https://evil.example.com")]
            )
            .await
            .contains(" 403 "),
            "{path}"
        );
        assert!(
            get(&s, path, &[("Host", &own)]).await.contains(" 200 "),
            "{path}"
        );
        assert!(
            get(&s, path, &[("Host", &format!("localhost:{port}"))])
                .await
                .contains(" 200 "),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_host_address_given_is_the_pages_own() {
    let s = Served::with(&[("a.weft", SKETCH)], |c| c.host = "127.0.0.2".into()).await;
    let port = s.server.addr().port();
    let own = format!("127.0.0.2:{port}");
    assert_eq!(
        handshake(&s, &[("Host", &own), ("Origin", &format!("http://{own}"))]).await,
        StatusCode::SWITCHING_PROTOCOLS
    );
    assert!(get(&s, "/", &[("Host", &own)]).await.contains(" 200 "));
    assert_eq!(
        handshake(&s, &[("Origin", "http://evil.example.com")]).await,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn what_a_client_is_told_never_names_the_folder_by_absolute_path() {
    let s = Served::new(&[("sub/a.weft", SKETCH)]).await;
    let root = s.dir.path().canonicalize().unwrap();
    let root = root.to_str().unwrap();
    let mut c = s.client().await;
    c.watch("sub/a.weft").await;
    c.run().await;
    c.until_match(|m| m["type"] == "state" && m["programVersion"].as_u64() > Some(0))
        .await;
    c.send(json!({"type": "command", "text": "info"})).await;
    let info = c.until("command-result").await;
    let text = info["output"].as_str().unwrap();
    assert!(text.contains("program sub/a.weft"), "{text}");
    assert!(!text.contains(root), "{text}");
    assert!(!s.server.command("info").await.contains(root));
    // A broken save: the error the player reports names the file relatively too.
    s.save("sub/a.weft", "k<v> = nope@v\ndisplay(k@v)\n");
    let state = c
        .until_match(|m| m["type"] == "state" && !m["lastError"].is_null())
        .await;
    let error = state["lastError"].as_str().unwrap();
    assert!(error.contains("sub/a.weft"), "{error}");
    assert!(!error.contains(root), "{error}");
    c.send(json!({"type": "command", "text": "info"})).await;
    let info = c.until("command-result").await;
    assert!(!info["output"].as_str().unwrap().contains(root), "{info}");
}
