//! End-to-end: the static site (`lenet5 site`) in headless Chromium, served by a plain
//! static file server (`python3 -m http.server`). tests/browser/site.mjs (playwright-core
//! driving /usr/bin/chromium) draws a 1 and a 7 with the mouse on both networks, uploads
//! a picture, writes numbers in number mode (read by the bundled reader, then by the
//! classic network), trains the modern network in the page until the loss has fallen, checks
//! the page stays responsive and that no request leaves the page's origin, and runs the
//! page's engine on the site's MNIST test digits and a short training run. This test then
//! checks those numbers against the native engine: bit for bit against the portable back
//! end (the one the WebAssembly build runs), within 1e-5 against the default one; and the
//! page's reader's reading of a written number against the native bundled reader's.
//!
//! Needs the site built (`.ci/site.sh` builds it into target/site; `LENET5_SITE` names
//! another folder), Chromium, Node.js, python3 and `npm ci` in tests/browser. Skipped,
//! with a note, when any is missing (a failure when `LENET5_REQUIRE` lists `browser`).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lenet5::Model;
use lenet5::data::Dataset;
use lenet5::data::idx::read_idx;
use lenet5::data::mnist::split_from_idx;
use lenet5::kernels::simd::with_portable;
use lenet5::parallel::with_threads;
use lenet5::train::checkpoint::{Checkpoint, to_bytes};
use lenet5::train::{TrainConfig, TrainOverrides, Trainer};
use lenet5_web::{ASSETS, WASM_FILE};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `.wasm` + scripts + both networks + the reader, gzipped, must stay under this (the
/// issue's budget).
const SIZE_BUDGET: u64 = 1_500_000;

fn site_dir() -> PathBuf {
    std::env::var_os("LENET5_SITE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/site"))
}

fn chromium() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("CHROMIUM").map(PathBuf::from),
        Some(PathBuf::from("/usr/bin/chromium")),
        Some(PathBuf::from("/usr/bin/chromium-browser")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

fn runs(cmd: &str) -> bool {
    Command::new(cmd)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `python3 -m http.server` on a free loopback port, serving `dir`; killed on drop.
struct StaticServer {
    child: Child,
    url: String,
}

impl StaticServer {
    fn start(dir: &Path) -> StaticServer {
        let mut child = Command::new("python3")
            .args(["-u", "-m", "http.server", "--bind", "127.0.0.1", "0"])
            .current_dir(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start python3 -m http.server");
        // "Serving HTTP on 127.0.0.1 port 41234 (http://127.0.0.1:41234/) ..."
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the server's first line");
        let port = line
            .split(" port ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or_else(|| panic!("no port in the server's line {line:?}"));
        StaticServer {
            child,
            url: format!("http://127.0.0.1:{port}/"),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn gzipped_len(bytes: &[u8]) -> u64 {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("gzip to memory");
    gz.finish().expect("gzip to memory").len() as u64
}

fn read(site: &Path, name: &str) -> Vec<u8> {
    std::fs::read(site.join(name)).unwrap_or_else(|e| panic!("{}: {e}", site.join(name).display()))
}

/// The site is this source's: its page files are the crate's, its manifest names the
/// engine, the networks and the reader. Returns the manifest.
fn check_site(site: &Path) -> Value {
    for a in ASSETS {
        assert!(
            read(site, a.path) == a.body.as_bytes(),
            "{} in {} differs from crates/lenet5-web/assets: the site is stale; rebuild it (bash .ci/site.sh)",
            a.path,
            site.display()
        );
    }
    let manifest: Value =
        serde_json::from_slice(&read(site, "api/model")).expect("api/model is JSON");
    assert_eq!(manifest["backend"], "wasm");
    assert_eq!(manifest["wasm"], WASM_FILE);
    assert_eq!(
        manifest["reader"]["name"], "reader",
        "the site has no reader for the number mode: it is stale; rebuild it (bash .ci/site.sh)"
    );
    manifest
}

/// The page's share of the budget: the `.wasm`, every script, the networks and the
/// reader, gzipped.
fn check_size(site: &Path, manifest: &Value) -> u64 {
    let mut total = gzipped_len(&read(site, WASM_FILE));
    for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
        total += gzipped_len(a.body.as_bytes());
    }
    let models = manifest["models"].as_array().expect("models");
    for m in models.iter().chain([&manifest["reader"]]) {
        total += gzipped_len(&read(site, m["file"].as_str().expect("file")));
    }
    eprintln!("site: .wasm + scripts + networks + reader = {total} bytes gzipped");
    assert!(
        total < SIZE_BUDGET,
        "{total} bytes gzipped, over the {SIZE_BUDGET} budget"
    );
    total
}

fn dataset(site: &Path, images: &str, labels: &str) -> Dataset {
    let (ip, lp) = (site.join(images), site.join(labels));
    let img = read_idx(&ip).expect("site images");
    let lab = read_idx(&lp).expect("site labels");
    split_from_idx(img, &ip, lab, &lp).expect("site dataset")
}

fn bits(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array of f32 bits")
        .iter()
        .map(|b| f32::from_bits(b.as_u64().expect("u32") as u32))
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The page's engine against the native one on the same 28x28 digits.
fn check_parity(site: &Path, parity: &Value) {
    let count = parity["count"].as_u64().expect("count") as usize;
    assert!(count >= 100, "parity on {count} digits; at least 100");
    let test_images = parity["test_images"].as_str().expect("test_images");
    let images = read_idx(&site.join(test_images)).expect("site test images");
    for (name, page) in parity["models"].as_object().expect("models") {
        let model =
            Model::from_checkpoint_bytes(&read(site, page["file"].as_str().expect("file")), name)
                .expect("site network");
        let (mut worst_portable, mut worst_default, mut exact_scores) = (0.0f32, 0.0f32, 0usize);
        for i in 0..count {
            let px: [u8; 784] = images.data[784 * i..784 * (i + 1)]
                .try_into()
                .expect("784 pixels");
            // The portable back end, on this thread: what the WebAssembly build runs.
            let (p, a) = with_portable(true, || model.explain_28x28(&px));
            let native = model.forward_28x28(&px); // the default back end (AVX2 + FMA here)
            let one = &page["one"][i];
            let batch = &page["batch"][i];
            for (what, outputs, scores) in [
                ("one by one", &one["outputs"], &one["scores"]),
                ("batched", &batch["outputs"], &batch["scores"]),
            ] {
                let (o, s) = (bits(outputs), bits(scores));
                assert!(
                    o.iter()
                        .map(|v| v.to_bits())
                        .eq(p.outputs.iter().map(|v| v.to_bits())),
                    "{name} digit {i} ({what}): the page's outputs {o:?} differ from the native portable engine's {:?}",
                    p.outputs
                );
                // Scores are a softmax: exp() is the platform's (glibc natively, Rust's
                // libm in WebAssembly), which may differ in the last bit.
                exact_scores +=
                    s.iter()
                        .map(|v| v.to_bits())
                        .eq(p.scores.iter().map(|v| v.to_bits())) as usize;
                for ((v, a), b) in s.iter().zip(&p.scores).zip(&native.scores) {
                    worst_portable = worst_portable.max((v - a).abs());
                    worst_default = worst_default.max((v - b).abs());
                }
            }
            assert_eq!(
                one["digit"].as_u64(),
                Some(native.digit as u64),
                "{name} digit {i}: the page and the native engine disagree"
            );
            let mut all = Vec::new();
            for layer in [
                &a.input, &a.c1, &a.s2, &a.c3, &a.s4, &a.c5, &a.f6, &a.output,
            ] {
                all.extend(layer.iter().flat_map(|v| v.to_le_bytes()));
            }
            assert_eq!(
                one["layers"].as_str(),
                Some(sha256_hex(&all).as_str()),
                "{name} digit {i}: some layer's output differs from the native portable engine's"
            );
        }
        eprintln!(
            "parity {name}: {count} digits, batched and one by one: every layer's output bit-identical to the native portable engine's; \
             scores bit-identical in {exact_scores} of {} cases, at most {worst_portable:e} apart; \
             {worst_default:e} at most from the native default back end's; same digits",
            2 * count
        );
        assert!(
            worst_portable <= 1e-5 && worst_default <= 1e-5,
            "{name}: scores more than 1e-5 apart"
        );
    }
}

/// The page's reader on the pad's PNG (a number written with the mouse) against the
/// native bundled reader on the same PNG: the same digits and boxes; the confidences
/// within 1e-5 (softmax's `exp` is the platform's, see [`check_parity`]).
fn check_reading_parity(page: &Value) {
    let png = hex(page["png"].as_str().expect("png hex"));
    let img = lenet5::data::image::decode_image(&png, Path::new("the page's pad"))
        .expect("the pad's PNG");
    let native = Model::bundled_reader().read(&img);
    let theirs = &page["reading"];
    assert_eq!(
        theirs["text"].as_str(),
        Some(native.text.as_str()),
        "{page}"
    );
    let digits = theirs["digits"].as_array().expect("digits");
    assert_eq!(digits.len(), native.digits.len());
    let close = |v: &Value, x: f32| v.as_f64().is_some_and(|v| (v - x as f64).abs() <= 1e-5);
    for (d, n) in digits.iter().zip(&native.digits) {
        let b = n.bbox;
        assert_eq!(d["bbox"], serde_json::json!([b.0, b.1, b.2, b.3]), "{d}");
        assert_eq!(d["digit"].as_u64(), Some(n.digit as u64));
        assert!(close(&d["confidence"], n.confidence), "{d} against {n:?}");
    }
    assert!(
        close(&theirs["confidence"], native.confidence),
        "the page's reader: confidence {} against the native bundled reader's {}",
        theirs["confidence"],
        native.confidence
    );
    eprintln!(
        "reading parity: the page's reader read {} with confidence {}; the native bundled reader {:?} with {}",
        theirs["text"], theirs["confidence"], native.text, native.confidence
    );
}

/// The page's short training run against the same run natively (portable back end).
fn check_train_parity(site: &Path, manifest: &Value, page: &Value) {
    let t = &manifest["train"];
    let s = |k: &str| t[k].as_str().expect("train file");
    let train = dataset(site, s("images"), s("labels"));
    let test = dataset(site, s("test_images"), s("test_labels"));
    let settings = &page["settings"];
    let overrides = TrainOverrides {
        arch: lenet5::model::Arch::parse(settings["arch"].as_str().expect("arch")),
        epochs: settings["epochs"].as_u64().map(|v| v as usize),
        seed: settings["seed"].as_u64(),
        limit: settings["limit"].as_u64().map(|v| v as usize),
        ..TrainOverrides::default()
    };
    let config = TrainConfig::from_overrides(&overrides).expect("config");
    // One thread, portable kernels: the WebAssembly build's arithmetic.
    let (initial, trained) = with_threads(1, || {
        with_portable(true, || {
            let mut tr = Trainer::new(config).expect("trainer");
            let initial = to_bytes(&Checkpoint::from_network(&tr.net));
            for _ in 0..tr.config.epochs {
                let mut pass = tr.begin_pass(&train).expect("pass");
                while !pass.done() {
                    tr.train_images(&mut pass, &train, 200);
                }
                tr.end_pass(pass, &test, 0.0).expect("end pass");
            }
            (initial, tr.net)
        })
    })
    .expect("one thread");
    assert_eq!(
        page["initial_sha256"].as_str(),
        Some(sha256_hex(&initial).as_str()),
        "the page's network before training ({settings}) differs from the native one"
    );
    let bytes = hex(page["checkpoint"].as_str().expect("checkpoint hex"));
    let ours = to_bytes(&Checkpoint::from_network(&trained));
    let theirs = Model::from_checkpoint_bytes(&bytes, "the page's checkpoint").expect("loads");
    let diff = theirs
        .network()
        .params
        .iter()
        .zip(&trained.params)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    let identical = bytes == ours;
    eprintln!(
        "train parity: {settings}: the same network before training; after it {}",
        if identical {
            "byte-identical weights".to_string()
        } else {
            format!("weights at most {diff:e} apart (the loss's exp() is the platform's)")
        }
    );
    // exp() in the softmax may round differently (see check_parity): the runs may part in
    // the last bits, never further than this.
    assert!(
        diff <= 1e-4,
        "the page's training drifted {diff} from the native one"
    );
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn static_site_in_headless_chromium() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    let site = site_dir();
    if !site.join("api/model").is_file() {
        return lenet5_testkit::skip(
            "browser",
            &format!(
                "no site in {} (bash .ci/site.sh builds it; LENET5_SITE names another folder)",
                site.display()
            ),
        );
    }
    let Some(chromium) = chromium() else {
        return lenet5_testkit::skip(
            "browser",
            "Chromium not found (/usr/bin/chromium); run .ci/browser-setup.sh",
        );
    };
    for cmd in ["node", "python3"] {
        if !runs(cmd) {
            return lenet5_testkit::skip("browser", &format!("{cmd} not found"));
        }
    }
    if !browser_dir.join("node_modules/playwright-core").is_dir() {
        return lenet5_testkit::skip(
            "browser",
            "crates/lenet5-web/tests/browser/node_modules missing; run .ci/site.sh (npm ci there)",
        );
    }
    let manifest = check_site(&site);
    check_size(&site, &manifest);
    assert!(
        manifest["train"].is_object(),
        "the site has no training images (built with --train-images 0)"
    );

    let server = StaticServer::start(&site);
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("site.png");
    let mut child = Command::new("node")
        .current_dir(&browser_dir)
        .arg("site.mjs")
        .args(["--url", &server.url, "--chromium"])
        .arg(&chromium)
        .arg("--screenshot")
        .arg(&shot)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node");
    // Read the output as it comes (it is large), bounded in time.
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait for node") {
            break Some(s);
        }
        if t0.elapsed() > Duration::from_secs(900) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = reader.join().expect("stdout reader");
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    drop(server);
    let results: Vec<Value> = out
        .lines()
        .filter_map(|l| l.strip_prefix("RESULT "))
        .map(|l| serde_json::from_str(l).expect("RESULT lines are JSON"))
        .collect();
    for r in &results {
        // The parity results are long: print them short.
        if r["check"] == "parity" {
            eprintln!("RESULT parity ({} digits per network)", r["count"]);
        } else if r["check"] == "reading parity" {
            eprintln!(
                "RESULT reading parity: shown {}, the page's reader read {} (the pad's PNG: {} bytes)",
                r["shown"],
                r["reading"]["text"],
                r["png"].as_str().map_or(0, |h| h.len() / 2)
            );
        } else if r["check"] == "train parity" {
            eprintln!(
                "RESULT train parity {} {} (same twice in the page: {})",
                r["settings"], r["metrics"], r["ok"]
            );
        } else {
            eprintln!("RESULT {r}");
        }
    }
    eprintln!("{err}");
    let status = status.expect("the browser test did not finish within 900 s");
    for r in &results {
        assert_eq!(r["ok"], true, "browser check failed: {r}");
    }
    let get = |check: &str| {
        results
            .iter()
            .find(|r| r["check"] == check)
            .unwrap_or_else(|| panic!("check {check:?} did not run"))
    };
    let drawn = results.iter().filter(|r| r["check"] == "draw").count();
    assert_eq!(drawn, 4, "a 1 and a 7 for each of the two networks");
    lenet5_testkit::browser::assert_numbers_read(&results);
    for check in [
        "layout",
        "upload",
        "bad upload",
        "engine errors",
        "responsive while training",
        "number switch",
        "train",
        "draw trained",
        "screenshot",
        "same origin only",
        "no page errors",
    ] {
        get(check);
    }
    let timing = get("time per drawn digit");
    for m in ["classic", "modern"] {
        assert!(
            timing[m]["median_ms"].as_f64().is_some_and(|v| v > 0.0),
            "no time measured for {m}"
        );
    }
    check_parity(&site, get("parity"));
    check_reading_parity(get("reading parity"));
    check_train_parity(&site, &manifest, get("train parity"));
    assert!(status.success(), "node exited with {status}");
    let png = std::fs::read(&shot).expect("screenshot written");
    assert!(png.starts_with(b"\x89PNG"), "screenshot is a PNG");
    if std::env::var("LENET5_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        let docs = root.join("../../docs/img/site.png");
        std::fs::write(&docs, &png).expect("write docs/img/site.png");
        eprintln!("updated {}", docs.display());
    }
}
