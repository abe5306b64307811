//! A real S3-compatible server for tests: `s3s-fs` (S3 over a folder) served by
//! hyper on 127.0.0.1 at a free port, in its own thread and runtime, with static
//! credentials. Shared by weft-render's and weft-cli's tests (included by path).

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const ACCESS_KEY: &str = "weft-test-key";
pub const SECRET_KEY: &str = "weft-test-secret";

/// A running server over a temporary folder; it stops with the test process.
pub struct S3Server {
    pub addr: SocketAddr,
    root: tempfile::TempDir,
}

impl S3Server {
    /// Starts a server holding the (empty) buckets `buckets`.
    pub fn start(buckets: &[&str]) -> S3Server {
        let root = tempfile::tempdir().expect("server folder");
        for b in buckets {
            std::fs::create_dir_all(root.path().join(b)).expect("bucket folder");
        }
        let folder = root.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("server runtime");
            runtime.block_on(serve(folder, tx));
        });
        let addr = rx.recv().expect("the server starts");
        S3Server { addr, root }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The file holding object `key` of `bucket`.
    pub fn object_file(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.path().join(bucket).join(key)
    }

    /// The environment that points a store at this server.
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
            ("AWS_REGION".into(), "us-east-1".into()),
            ("AWS_ENDPOINT_URL".into(), self.endpoint()),
        ]
    }
}

async fn serve(folder: PathBuf, tx: std::sync::mpsc::Sender<SocketAddr>) {
    let fs = s3s_fs::FileSystem::new(&folder).expect("s3s-fs over the folder");
    let service = {
        let mut b = S3ServiceBuilder::new(fs);
        b.set_auth(SimpleAuth::from_single(ACCESS_KEY, SECRET_KEY));
        b.build()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    tx.send(listener.local_addr().expect("address"))
        .expect("report the address");
    let http = ConnBuilder::new(TokioExecutor::new());
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let conn = http
            .serve_connection(TokioIo::new(socket), service.clone())
            .into_owned();
        tokio::spawn(async move {
            let _ = conn.await;
        });
    }
}
