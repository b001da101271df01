//! End-to-end: the `lenet5 serve` page in headless Chromium. Starts the server with the
//! bundled classic and modern networks on an ephemeral loopback port, and runs
//! tests/browser/e2e.mjs (playwright-core driving /usr/bin/chromium), which draws a "1"
//! and a "7" with the mouse for each model, checks the digit shown, the score bars, the
//! layer maps and the RBF panel, uploads a file, writes numbers in number mode (read by
//! the bundled reader, then by the classic network chosen on the switch), draws with
//! touch on a phone-sized screen, and saves a screenshot in the target folder (copied to
//! docs/img/serve.png only when `LENET5_UPDATE_DOCS=1`).
//!
//! Needs Chromium, Node.js and `npm install` in tests/browser: `.ci/browser-setup.sh`
//! installs all three. Skipped, with a note, when any is missing (a failure when
//! `LENET5_REQUIRE` lists `browser`).

mod serve_common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lenet5::Model;
use lenet5::model::Arch;
use lenet5_serve::{ServeConfig, ServedModel};
use serve_common::*;

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn node_works() -> bool {
    Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn draw_digits_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let Some(chromium) = chromium() else {
        return lenet5_testkit::skip(
            "browser",
            "Chromium not found (/usr/bin/chromium); run .ci/browser-setup.sh",
        );
    };
    if !node_works() {
        return lenet5_testkit::skip("browser", "node not found; run .ci/browser-setup.sh");
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        return lenet5_testkit::skip(
            "browser",
            "tests/browser/node_modules missing; run .ci/browser-setup.sh (npm ci there)",
        );
    }
    let (classic, modern) = (Model::bundled(Arch::Classic), Model::bundled(Arch::Modern));
    let server = Server::start(
        vec![
            ServedModel::new(classic, "lenet5-classic.safetensors"),
            ServedModel::new(modern, "lenet5-modern.safetensors"),
        ],
        ServeConfig::default(),
    );
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("serve.png");

    let mut child = Command::new("node")
        .current_dir(&browser_dir)
        .arg("e2e.mjs")
        .arg("--url")
        .arg(server.url())
        .arg("--chromium")
        .arg(&chromium)
        .arg("--screenshot")
        .arg(&shot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    // Bounded: kill the browser run if it hangs.
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for node") {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut out = String::new();
    let mut err = String::new();
    if let Some(mut o) = child.stdout.take() {
        let _ = o.read_to_string(&mut out);
    }
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    eprintln!("{out}{err}");
    let status = status.expect("the browser test did not finish within 300 s");

    let results: Vec<serde_json::Value> = out
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| serde_json::from_str(l).expect("RESULT lines are JSON"))
        .collect();
    let drawn: Vec<(String, String, String)> = results
        .iter()
        .filter(|r| r["check"] == "draw")
        .map(|r| {
            (
                r["model"].as_str().unwrap_or("").to_string(),
                r["drawn"].as_str().unwrap_or("").to_string(),
                r["shown"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (model, d, shown) in &drawn {
        assert_eq!(
            d, shown,
            "{model} network: drew a {d}, the page shows {shown}"
        );
    }
    assert_eq!(drawn.len(), 4, "a 1 and a 7 for each of the two models");
    lenet5_testkit::browser::assert_numbers_read(&results);
    for r in &results {
        assert_eq!(r["ok"], true, "browser check failed: {r}");
    }
    for check in [
        "layout",
        "screenshot",
        "upload",
        "bad upload",
        "phone width",
        "phone touch",
        "number switch",
        "no page errors",
    ] {
        assert!(
            results.iter().any(|r| r["check"] == check),
            "check {check:?} did not run"
        );
    }
    assert!(status.success(), "node exited with {status}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
    if std::env::var("LENET5_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        let docs = root.join("../../docs/img/serve.png");
        std::fs::write(&docs, &png).expect("write docs/img/serve.png");
        eprintln!("updated {}", docs.display());
    }
}
