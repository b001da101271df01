//! `download_with` against a tiny local HTTP/1.1 server (std only) that serves fake MNIST
//! files from memory under several mirror prefixes:
//!
//! - `/good/`: the files whose sums the `FileSpec`s carry;
//! - `/bad/`: the same files with corrupted bytes;
//! - `/recompressed/`: the same content gzipped differently (only the raw sum matches);
//! - `/encoded/`: the good `.gz` bytes sent with `Content-Encoding: gzip`, so the client
//!   receives the decompressed content;
//! - `/cut/`: the good bytes announced in full but cut off half way;
//! - anything else (e.g. `/missing/`): 404.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use flate2::{Compression, GzBuilder};
use lenet5::Error;
use lenet5::data::idx::write_idx;
use lenet5::data::mnist::{self, FILE_NAMES, FileSpec};
use lenet5_cli::download::download_with;
use sha2::{Digest, Sha256};

/// One stored response.
#[derive(Clone)]
struct Body {
    bytes: Vec<u8>,
    /// Extra header line, e.g. `Content-Encoding: gzip`.
    header: Option<&'static str>,
    /// Announce the full length but send only half, then close.
    cut: bool,
}

/// A local server; `log` records every requested path in order.
struct Server {
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(routes: HashMap<String, Body>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(routes);
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = Arc::clone(&routes);
                let log = Arc::clone(&server_log);
                std::thread::spawn(move || handle(stream, &routes, &log));
            }
        });
        Server { base, log }
    }

    fn mirror(&self, prefix: &str) -> String {
        format!("{}/{prefix}/", self.base)
    }

    fn requests(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

fn handle(stream: TcpStream, routes: &HashMap<String, Body>, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    log.lock().unwrap().push(path.clone());
    let mut out = stream;
    let _ = match routes.get(&path) {
        Some(body) => {
            let extra = body.header.map(|h| format!("{h}\r\n")).unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\
                 Content-Length: {}\r\n{extra}Connection: close\r\n\r\n",
                body.bytes.len()
            );
            let sent = if body.cut {
                &body.bytes[..body.bytes.len() / 2]
            } else {
                &body.bytes[..]
            };
            out.write_all(head.as_bytes())
                .and_then(|_| out.write_all(sent))
        }
        None => out.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
        ),
    };
    let _ = out.flush();
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gzip_with(bytes: &[u8], level: Compression, mtime: u32) -> Vec<u8> {
    let mut gz = GzBuilder::new().mtime(mtime).write(Vec::new(), level);
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// Fake MNIST: four small IDX files (raw content), in `FILE_NAMES` order.
fn fake_raw_files() -> Vec<Vec<u8>> {
    let tmp = tempfile::tempdir().unwrap();
    let make = |name: &str, dims: &[usize], data: Vec<u8>| {
        let path = tmp.path().join(name);
        write_idx(&path, dims, &data, false).unwrap();
        std::fs::read(path).unwrap()
    };
    let pixels = |n: usize, salt: usize| -> Vec<u8> {
        (0..n * 784)
            .map(|i| ((i * 31 + salt) % 256) as u8)
            .collect()
    };
    let labels =
        |n: usize, salt: usize| -> Vec<u8> { (0..n).map(|i| ((i + salt) % 10) as u8).collect() };
    vec![
        make("a", &[30, 28, 28], pixels(30, 1)),
        make("b", &[30], labels(30, 5)),
        make("c", &[10, 28, 28], pixels(10, 2)),
        make("d", &[10], labels(10, 7)),
    ]
}

/// Everything a test needs: the server, the specs and the bytes the good mirror serves.
struct Fixture {
    server: Server,
    specs: Vec<FileSpec>,
    good_gz: Vec<Vec<u8>>,
    raw: Vec<Vec<u8>>,
    recompressed: Vec<Vec<u8>>,
}

fn fixture() -> Fixture {
    let raw = fake_raw_files();
    let good_gz: Vec<Vec<u8>> = raw
        .iter()
        .map(|r| gzip_with(r, Compression::default(), 0))
        .collect();
    let recompressed: Vec<Vec<u8>> = raw
        .iter()
        .map(|r| gzip_with(r, Compression::best(), 1_234_567))
        .collect();
    let mut routes = HashMap::new();
    let mut specs = Vec::new();
    for (i, name) in FILE_NAMES.iter().enumerate() {
        let gz = &good_gz[i];
        assert_ne!(gz, &recompressed[i], "recompressed bytes must differ");
        let file = format!("{name}.gz");
        let body = |bytes: Vec<u8>| Body {
            bytes,
            header: None,
            cut: false,
        };
        routes.insert(format!("/good/{file}"), body(gz.clone()));
        let mut bad = gz.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0x5a;
        bad[mid + 1] ^= 0xff;
        routes.insert(format!("/bad/{file}"), body(bad));
        routes.insert(
            format!("/recompressed/{file}"),
            body(recompressed[i].clone()),
        );
        routes.insert(
            format!("/encoded/{file}"),
            Body {
                header: Some("Content-Encoding: gzip"),
                ..body(gz.clone())
            },
        );
        routes.insert(
            format!("/cut/{file}"),
            Body {
                cut: true,
                ..body(gz.clone())
            },
        );
        specs.push(FileSpec::new(*name, sha256_hex(gz), sha256_hex(&raw[i])));
    }
    Fixture {
        server: Server::start(routes),
        specs,
        good_gz,
        raw,
        recompressed,
    }
}

/// Sorted names of the entries of `dir`.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn gz_names() -> Vec<String> {
    let mut names: Vec<String> = FILE_NAMES.iter().map(|n| format!("{n}.gz")).collect();
    names.sort();
    names
}

/// The four `.gz` files in `dir` hold exactly `expected`, and nothing else is there.
fn assert_saved(dir: &Path, expected: &[Vec<u8>]) {
    assert_eq!(entries(dir), gz_names(), "exactly the four files, no .part");
    for (name, bytes) in FILE_NAMES.iter().zip(expected) {
        let saved = std::fs::read(dir.join(format!("{name}.gz"))).unwrap();
        assert!(&saved == bytes, "{name}.gz differs from what was served");
    }
}

/// `dir` loads and holds the fake data.
fn assert_loads(dir: &Path, f: &Fixture) {
    let m = mnist::load(dir).unwrap();
    assert_eq!((m.train.len(), m.test.len()), (30, 10));
    assert_eq!((m.train.rows, m.train.cols), (28, 28));
    assert_eq!(m.train.images, f.raw[0][16..]);
    assert_eq!(m.train.labels, f.raw[1][8..]);
    assert_eq!(m.test.images, f.raw[2][16..]);
    assert_eq!(m.test.labels, f.raw[3][8..]);
}

fn count(log: &[String], prefix: &str) -> usize {
    log.iter().filter(|p| p.starts_with(prefix)).count()
}

#[test]
fn good_mirror_files_land_under_real_names_and_load() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nested/mnist"); // created by download
    download_with(&data, &[f.server.mirror("good")], &f.specs).unwrap();
    assert_saved(&data, &f.good_gz);
    assert_loads(&data, &f);
    assert_eq!(count(&f.server.requests(), "/good/"), 4);
}

#[test]
fn corrupted_mirror_is_rejected_then_good_one_used() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mirrors = [f.server.mirror("bad"), f.server.mirror("good")];
    download_with(dir.path(), &mirrors, &f.specs).unwrap();
    assert_saved(dir.path(), &f.good_gz);
    assert_loads(dir.path(), &f);
    let log = f.server.requests();
    assert_eq!(count(&log, "/bad/"), 4, "{log:?}");
    assert_eq!(count(&log, "/good/"), 4, "{log:?}");
    for name in FILE_NAMES {
        let bad = log
            .iter()
            .position(|p| *p == format!("/bad/{name}.gz"))
            .unwrap();
        let good = log
            .iter()
            .position(|p| *p == format!("/good/{name}.gz"))
            .unwrap();
        assert!(bad < good, "mirrors tried in order: {log:?}");
    }
}

#[test]
fn missing_mirror_404_falls_back() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mirrors = [f.server.mirror("missing"), f.server.mirror("good")];
    download_with(dir.path(), &mirrors, &f.specs).unwrap();
    assert_saved(dir.path(), &f.good_gz);
    assert_loads(dir.path(), &f);
    assert_eq!(count(&f.server.requests(), "/missing/"), 4);
}

#[test]
fn refused_connection_and_cut_transfer_fall_back() {
    let f = fixture();
    // A port nobody listens on any more.
    let closed = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let dir = tempfile::tempdir().unwrap();
    let mirrors = [closed, f.server.mirror("cut"), f.server.mirror("good")];
    download_with(dir.path(), &mirrors, &f.specs).unwrap();
    assert_saved(dir.path(), &f.good_gz);
    let log = f.server.requests();
    assert_eq!(count(&log, "/cut/"), 4, "{log:?}");
}

#[test]
fn recompressed_mirror_accepted_by_raw_sum() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    download_with(dir.path(), &[f.server.mirror("recompressed")], &f.specs).unwrap();
    assert_saved(dir.path(), &f.recompressed);
    assert_loads(dir.path(), &f);
}

#[test]
fn content_encoded_body_is_saved_raw() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    download_with(dir.path(), &[f.server.mirror("encoded")], &f.specs).unwrap();
    let mut raw_names: Vec<String> = FILE_NAMES.iter().map(|n| n.to_string()).collect();
    raw_names.sort();
    assert_eq!(entries(dir.path()), raw_names);
    assert_loads(dir.path(), &f);
}

#[test]
fn all_mirrors_failing_is_a_download_error_and_leaves_nothing() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    let mirrors = [
        f.server.mirror("missing"),
        f.server.mirror("bad"),
        f.server.mirror("cut"),
    ];
    let err = download_with(dir.path(), &mirrors, &f.specs).unwrap_err();
    let Error::Download(msg) = &err else {
        panic!("expected Error::Download, got {err:?}");
    };
    for m in &mirrors {
        assert!(msg.contains(m.as_str()), "failure of {m} not listed: {msg}");
    }
    assert!(msg.contains("404"), "{msg}");
    assert!(msg.contains("checksum"), "{msg}");
    assert!(msg.contains(FILE_NAMES[0]), "{msg}");
    assert!(!err.to_string().contains('\n'), "{err}");
    assert_eq!(
        entries(dir.path()),
        Vec::<String>::new(),
        "nothing left behind"
    );
    assert!(mnist::find_files(dir.path()).is_err());
}

#[test]
fn present_files_are_not_downloaded_again() {
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    // Already there under two other accepted spellings (raw, dotted).
    std::fs::write(dir.path().join(FILE_NAMES[0]), &f.raw[0]).unwrap();
    std::fs::write(dir.path().join("t10k-images.idx3-ubyte"), &f.raw[2]).unwrap();
    download_with(dir.path(), &[f.server.mirror("good")], &f.specs).unwrap();
    let mut log = f.server.requests();
    log.sort();
    assert_eq!(
        log,
        [
            format!("/good/{}.gz", FILE_NAMES[3]),
            format!("/good/{}.gz", FILE_NAMES[1]),
        ]
    );
    assert_loads(dir.path(), &f);
    // Everything present: no request at all, even to a mirror that would fail.
    download_with(dir.path(), &[f.server.mirror("missing")], &f.specs).unwrap();
    assert_eq!(f.server.requests().len(), 2);
}
