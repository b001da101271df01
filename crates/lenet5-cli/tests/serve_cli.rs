//! `lenet5 serve` started in an empty folder serves the two networks bundled in the
//! binary: `/healthz` lists both, and each reads a digit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.1 request on a fresh connection; returns (status, body).
fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> (u16, String) {
    let mut c = TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        c,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut text = String::new();
    c.read_to_string(&mut text).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}

/// A "1": a vertical stroke 2 pixels wide in the middle of a 28x28 field, white on black.
fn one() -> Vec<u8> {
    let mut px = vec![0u8; 784];
    for y in 4..24 {
        px[y * 28 + 13] = 255;
        px[y * 28 + 14] = 255;
    }
    px
}

#[test]
fn serve_in_an_empty_folder_answers_with_both_bundled_networks() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_lenet5"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let mut loaded = Vec::new();
    let addr: SocketAddr = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(rest) = line.strip_prefix("loaded ") {
            loaded.push(rest.to_string());
        }
        if let Some(url) = line.strip_prefix("serving on http://") {
            let addr = url.split('/').next().unwrap();
            break addr.parse().unwrap();
        }
    };
    assert_eq!(loaded.len(), 2, "{loaded:?}");
    assert!(loaded.iter().all(|l| l.contains("bundled")), "{loaded:?}");

    let (status, body) = request(addr, "GET", "/healthz", "");
    assert_eq!(status, 200, "{body}");
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["models"], serde_json::json!(["classic", "modern"]));

    for model in ["classic", "modern"] {
        let req = serde_json::json!({ "pixels": one(), "model": model }).to_string();
        let (status, body) = request(addr, "POST", "/api/predict", &req);
        assert_eq!(status, 200, "{model}: {body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(answer["model"], model);
        assert_eq!(answer["digit"], 1, "{model}: {body}");
    }
    drop(server);
}
