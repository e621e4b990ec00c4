//! Measures `ismsbook serve` from a file write to the reload message on the WebSocket.
//!
//!     cargo run --release --example serve_latency -- PORT FILE [N]
//!
//! Connects to the reload socket of a running `ismsbook serve` on 127.0.0.1:PORT, then N times
//! (default 11) appends a line to the Markdown FILE, writes it, and times until the `reload`
//! message arrives; restores FILE at the end. Prints each latency and the median in ms.

use std::net::TcpStream;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: serve_latency PORT FILE [N]");
        std::process::exit(2);
    }
    let port: u16 = args[1].parse().expect("PORT is a number");
    let file = std::path::PathBuf::from(&args[2]);
    let n: usize = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(11);
    let original = std::fs::read_to_string(&file).expect("read FILE");
    let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to serve");
    stream.set_read_timeout(Some(Duration::from_secs(60))).expect("timeout");
    let url = format!("ws://127.0.0.1:{port}/__ismsbook/ws");
    let (mut ws, _) = tungstenite::client::client(url.as_str(), stream).expect("websocket handshake");
    ws.read().expect("the first message");
    let mut times = Vec::new();
    for i in 0..n {
        std::thread::sleep(Duration::from_millis(400));
        let text = format!("{original}\nBench edit number {i}.\n");
        let started = Instant::now();
        std::fs::write(&file, text).expect("write FILE");
        loop {
            let msg = ws.read().expect("a message within 60 s");
            let Ok(text) = msg.into_text() else { continue };
            let v: serde_json::Value = serde_json::from_str(text.as_str()).unwrap_or_default();
            match v["type"].as_str() {
                Some("reload") => break,
                Some("error") => panic!("the build failed: {v}"),
                _ => {}
            }
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        println!("edit {i}: {ms:.0} ms");
        times.push(ms);
    }
    std::fs::write(&file, original).expect("restore FILE");
    times.sort_by(|a, b| a.total_cmp(b));
    println!("median {:.0} ms over {n} edits (min {:.0}, max {:.0})", times[n / 2], times[0], times[n - 1]);
}
