//! A running `ismsbook serve` for tests: the real binary on a free loopback port over a copy of
//! the sample handbook, with a raw HTTP/1.1 client and a WebSocket client (tungstenite). All
//! traffic stays on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct Served {
    child: Child,
    pub port: u16,
    /// The folder holding book.toml.
    pub dir: PathBuf,
    log: Arc<Mutex<String>>,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Copies the sample handbook (book.toml + sample-isms/) into a fresh temporary folder.
pub fn sample_copy(name: &str) -> PathBuf {
    let dir = super::temp_dir(name);
    std::fs::copy(super::repo().join("book.toml"), dir.join("book.toml")).expect("copy book.toml");
    std::fs::create_dir_all(dir.join("sample-isms")).expect("mkdir");
    super::copy_tree(&super::repo().join("sample-isms"), &dir.join("sample-isms"));
    dir
}

impl Served {
    /// Starts `ismsbook serve DIR -p PORT` and waits until it listens.
    pub fn start(dir: &Path) -> Served {
        Served::start_with(dir, &[])
    }

    pub fn start_with(dir: &Path, extra: &[&str]) -> Served {
        Served::start_env(dir, extra, &[])
    }

    /// [`Served::start_with`] with environment variables set for the server.
    pub fn start_env(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
        let port = free_port();
        let mut child = Command::new(env!("CARGO_BIN_EXE_ismsbook"))
            .arg("serve")
            .arg(dir)
            .args(["-p", &port.to_string()])
            .args(extra)
            .envs(env.iter().copied())
            .env("SOURCE_DATE_EPOCH", super::SAMPLE_EPOCH)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ismsbook serve");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut l = sink.lock().unwrap();
                l.push_str(&line);
                l.push('\n');
            }
        });
        let served = Served { child, port, dir: dir.to_path_buf(), log };
        assert!(served.wait_log("serving ", Duration::from_secs(60)), "serve did not start:\n{}", served.log());
        served
    }

    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits until the server's stderr contains `text`.
    pub fn wait_log(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.log().contains(text) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Sends `request_line` (e.g. `GET /x HTTP/1.1`) as it is, without any normalisation.
    pub fn raw(&self, method: &str, target: &str) -> Response {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(s, "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
        read_response(&mut BufReader::new(s), method == "HEAD").expect("a response")
    }

    pub fn get(&self, path: &str) -> Response {
        self.raw("GET", path)
    }

    /// A WebSocket connected to the reload socket; its first message (the state) is read.
    pub fn socket(&self) -> Socket {
        self.socket_with_first().0
    }

    /// A WebSocket connected to the reload socket, and its first message: `hello`, or the
    /// diagnostics of the failed build being shown.
    pub fn socket_with_first(&self) -> (Socket, serde_json::Value) {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(Duration::from_millis(100))).unwrap();
        let url = format!("ws://127.0.0.1:{}/__ismsbook/ws", self.port);
        let (ws, _) = tungstenite::client::client(url.as_str(), stream).expect("websocket handshake");
        let mut socket = Socket { ws };
        let first = socket.next(Duration::from_secs(10)).expect("the first message");
        (socket, first)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Socket {
    ws: tungstenite::WebSocket<TcpStream>,
}

impl Socket {
    /// The next message as JSON, or `None` after `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            match self.ws.read() {
                Ok(tungstenite::Message::Text(t)) => return serde_json::from_str(t.as_str()).ok(),
                Ok(_) => {}
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => panic!("websocket: {e}"),
            }
        }
        None
    }

    /// Waits for a message of `kind` (`reload`, `error`), skipping others.
    pub fn wait(&mut self, kind: &str, timeout: Duration) -> Option<serde_json::Value> {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            if let Some(m) = self.next(left)
                && m["type"] == kind
            {
                return Some(m);
            }
        }
        None
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Reads one HTTP/1.1 response (Content-Length or until close); `None` when the connection
/// closed before a status line.
pub fn read_response(r: &mut impl BufRead, head: bool) -> Option<Response> {
    let mut line = String::new();
    if r.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let status = line.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        r.read_line(&mut line).ok()?;
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':')?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    let len = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-length")).and_then(|(_, v)| v.parse().ok());
    let mut body = Vec::new();
    if !head {
        match len {
            Some(n) => {
                body.resize(n, 0);
                r.read_exact(&mut body).ok()?;
            }
            None => {
                r.read_to_end(&mut body).ok()?;
            }
        }
    }
    Some(Response { status, headers, body })
}
