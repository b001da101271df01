//! `lenet5 download`: fetches the four MNIST files from a list of mirrors and accepts a
//! file only if its SHA-256 matches the published sum ([`lenet5::data::mnist::mnist_files`]).

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use flate2::read::MultiGzDecoder;
use lenet5::data::mnist::{self, FileSpec, Mnist, find_file, hex, load, mnist_files};
use lenet5::{Error, Result};
use sha2::{Digest, Sha256};

/// Mirrors tried in order by [`download`]; a file's URL is the mirror followed by
/// `NAME.gz`.
pub const DEFAULT_MIRRORS: &[&str] = &[
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
];

/// Connection timeout for each download attempt.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);
/// Longest silence tolerated while receiving a file.
const READ_TIMEOUT: Duration = Duration::from_secs(60);
/// A download (or its decompressed content) larger than this is not an MNIST file.
const MAX_DOWNLOAD_BYTES: u64 = 256 << 20;

/// Downloads whichever of the four MNIST files is missing from `dir` (creating it),
/// verifying each against its published SHA-256. An empty `mirrors` means
/// [`DEFAULT_MIRRORS`]. See [`download_with`].
pub fn download(dir: &Path, mirrors: &[String]) -> Result<()> {
    download_with(dir, mirrors, &mnist_files())
}

/// Downloads each file of `files` that is missing from `dir` (in any spelling
/// [`mnist::find_files`] accepts), creating `dir` if needed.
///
/// For each file the mirrors are tried in order (empty `mirrors` = [`DEFAULT_MIRRORS`]);
/// the URL is the mirror, a `/` if it lacks one, and `NAME.gz`. The body streams to
/// `dir/NAME.gz.part`, which is renamed to `NAME.gz` only when its SHA-256 equals
/// `gz_sha256` or the SHA-256 of its decompressed content equals `raw_sha256` (a body
/// that arrives already decompressed and matches `raw_sha256` is saved as `NAME`).
/// A failed or mismatching attempt removes the temporary file and moves on to the next
/// mirror; when every mirror fails the result is an [`Error::Download`] listing each
/// mirror's failure, and nothing is left under the file's name. Local I/O errors
/// (cannot write `dir`) stop at once. Progress goes to stderr.
pub fn download_with(dir: &Path, mirrors: &[String], files: &[FileSpec]) -> Result<()> {
    let mirrors: Vec<String> = if mirrors.is_empty() {
        DEFAULT_MIRRORS.iter().map(|m| m.to_string()).collect()
    } else {
        mirrors.to_vec()
    };
    let todo: Vec<&FileSpec> = files
        .iter()
        .filter(|spec| find_file(dir, &spec.name).is_none())
        .collect();
    if todo.is_empty() {
        return Ok(());
    }
    fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(CONNECT_TIMEOUT)
        .timeout_read(READ_TIMEOUT)
        .user_agent(concat!("lenet5/", env!("CARGO_PKG_VERSION")))
        .build();
    for spec in todo {
        let gz_name = format!("{}.gz", spec.name);
        let part = dir.join(format!("{gz_name}.part"));
        let mut failures = Vec::new();
        let mut saved = None;
        for mirror in &mirrors {
            let url = if mirror.ends_with('/') {
                format!("{mirror}{gz_name}")
            } else {
                format!("{mirror}/{gz_name}")
            };
            eprintln!("lenet5: downloading {gz_name} from {url}");
            let result = fetch(&agent, &url, &part, dir, spec);
            if result.is_err() {
                // Never leave a partial or rejected file behind.
                let _ = fs::remove_file(&part);
            }
            match result {
                Ok(done) => {
                    saved = Some(done);
                    break;
                }
                Err(Failure::Local(e)) => return Err(e),
                Err(Failure::Remote(msg)) => {
                    eprintln!("lenet5:   failed: {msg}");
                    failures.push(format!("{url}: {msg}"));
                }
            }
        }
        match saved {
            Some((path, bytes)) => eprintln!(
                "lenet5:   saved {} ({bytes} bytes, SHA-256 verified)",
                path.display()
            ),
            None => {
                return Err(Error::Download(format!(
                    "{gz_name} into {}: {}",
                    dir.display(),
                    failures.join("; ")
                )));
            }
        }
    }
    Ok(())
}

/// Downloads the missing MNIST files into `dir` (see [`download`]), then loads them.
pub fn load_or_download(dir: &Path, mirrors: &[String]) -> Result<Mnist> {
    download(dir, mirrors)?;
    load(dir)
}

/// Why one download attempt failed.
enum Failure {
    /// The mirror's fault (HTTP error, network error, wrong content): try the next one.
    Remote(String),
    /// Ours (cannot write the directory): no mirror will do better.
    Local(Error),
}

/// One attempt: streams `url` to `part`, verifies it and renames it into place.
/// Returns the final path and its size.
fn fetch(
    agent: &ureq::Agent,
    url: &str,
    part: &Path,
    dir: &Path,
    spec: &FileSpec,
) -> std::result::Result<(PathBuf, u64), Failure> {
    let local = |e: io::Error| Failure::Local(Error::io(part, e));
    let response = match agent.get(url).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            return Err(Failure::Remote(format!("HTTP {code} {}", r.status_text())));
        }
        Err(ureq::Error::Transport(t)) => {
            // ureq prefixes the message with the URL, which the caller already shows.
            let msg = t.to_string();
            let msg = msg.strip_prefix(&format!("{url}: ")).unwrap_or(&msg);
            return Err(Failure::Remote(one_line(msg)));
        }
    };
    let mut body = response.into_reader().take(MAX_DOWNLOAD_BYTES + 1);
    let mut file = File::create(part).map_err(local)?;
    let mut hasher = Sha256::new();
    let mut head: Vec<u8> = Vec::with_capacity(2);
    let mut total: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Failure::Remote(format!(
                    "transfer failed after {total} bytes: {}",
                    one_line(&e.to_string())
                )));
            }
        };
        let chunk = &buf[..n];
        if head.len() < 2 {
            head.extend(chunk.iter().take(2 - head.len()));
        }
        hasher.update(chunk);
        file.write_all(chunk).map_err(local)?;
        total += n as u64;
    }
    if total > MAX_DOWNLOAD_BYTES {
        return Err(Failure::Remote(format!(
            "more than {MAX_DOWNLOAD_BYTES} bytes, not an MNIST file"
        )));
    }
    file.sync_all().map_err(local)?;
    drop(file);
    let sha = hex(&hasher.finalize());
    let is_gzip = head == [0x1f, 0x8b];
    let final_name = if sha.eq_ignore_ascii_case(&spec.gz_sha256) {
        format!("{}.gz", spec.name)
    } else if is_gzip {
        let raw_sha = gunzip_sha256(part).map_err(|e| match e {
            GunzipError::Read(e) => local(e),
            GunzipError::Corrupt(msg) => Failure::Remote(format!(
                "checksum mismatch: SHA-256 {sha}, expected {}, and the data is not valid gzip ({msg})",
                spec.gz_sha256
            )),
        })?;
        if !raw_sha.eq_ignore_ascii_case(&spec.raw_sha256) {
            return Err(Failure::Remote(format!(
                "checksum mismatch: SHA-256 {sha} (decompressed {raw_sha}), \
                 expected {} (decompressed {})",
                spec.gz_sha256, spec.raw_sha256
            )));
        }
        format!("{}.gz", spec.name)
    } else if sha.eq_ignore_ascii_case(&spec.raw_sha256) {
        // The server decoded the gzip for us (Content-Encoding): keep it raw.
        spec.name.clone()
    } else {
        return Err(Failure::Remote(format!(
            "checksum mismatch: SHA-256 {sha} (not gzip), expected {} (or {} decompressed)",
            spec.gz_sha256, spec.raw_sha256
        )));
    };
    let dest = dir.join(final_name);
    fs::rename(part, &dest).map_err(|e| Failure::Local(Error::io(&dest, e)))?;
    Ok((dest, total))
}

enum GunzipError {
    Read(io::Error),
    Corrupt(String),
}

/// SHA-256 of the decompressed content of the gzip file at `path`.
fn gunzip_sha256(path: &Path) -> std::result::Result<String, GunzipError> {
    let file = File::open(path).map_err(GunzipError::Read)?;
    let mut decoder = MultiGzDecoder::new(io::BufReader::new(file)).take(MAX_DOWNLOAD_BYTES + 1);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut total: u64 = 0;
    loop {
        match decoder.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(GunzipError::Corrupt(one_line(&e.to_string()))),
        }
    }
    if total > MAX_DOWNLOAD_BYTES {
        return Err(GunzipError::Corrupt(format!(
            "decompresses to more than {MAX_DOWNLOAD_BYTES} bytes"
        )));
    }
    Ok(hex(&hasher.finalize()))
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The MNIST of `dir`: loaded, or downloaded first when files are missing (unless
/// `no_download`); an error if its images are not 28x28.
pub fn load_data(dir: &Path, no_download: bool) -> Result<Mnist> {
    let m = if no_download || mnist::find_files(dir).is_ok() {
        load(dir)?
    } else {
        eprintln!("MNIST not found in {}; downloading it", dir.display());
        load_or_download(dir, &[])?
    };
    // The network takes 28x28 digits; other sizes would be silently cropped or padded.
    if (m.train.rows, m.train.cols) != (28, 28) {
        let file = mnist::find_files(dir).map_or(dir.to_path_buf(), |[images, ..]| images);
        return Err(Error::format(
            file,
            format!(
                "holds {}x{} images; LeNet-5 takes MNIST's 28x28",
                m.train.rows, m.train.cols
            ),
        ));
    }
    Ok(m)
}
