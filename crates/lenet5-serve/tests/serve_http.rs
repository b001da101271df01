//! `lenet5 serve` over real HTTP on an ephemeral loopback port: good requests, each kind
//! of bad request, slow and half-open clients. Run in release mode: `cargo test --release`.

mod serve_common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use image::{DynamicImage, GrayImage, imageops};
use lenet5::model::Arch;
use lenet5_serve::{ServeConfig, ServedModel, served_models};
use lenet5_testkit::draw;
use serde_json::{Value, json};
use serve_common::*;

fn both_untrained() -> Server {
    Server::start(
        vec![untrained(Arch::Classic), untrained(Arch::Modern)],
        test_config(),
    )
}

fn pixels_json(px: &[u8]) -> Value {
    json!({ "pixels": px })
}

fn assert_error(r: &Response, status: u16, needle: &str) {
    assert_eq!(r.status, status, "body: {}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    let j = r.json();
    let msg = j["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message in {j}"));
    assert!(
        msg.contains(needle),
        "error {msg:?} should mention {needle:?}"
    );
    assert_eq!(j["status"], status);
}

#[test]
fn health_model_info_and_embedded_page() {
    let s = both_untrained();
    let h = get(s.addr, "/healthz");
    assert_eq!(h.status, 200);
    assert_eq!(
        h.json(),
        json!({"status": "ok", "models": ["classic", "modern"]})
    );

    let m = get(s.addr, "/api/model").json();
    assert_eq!(m["default"], "classic");
    let classic = &m["models"][0];
    assert_eq!(classic["name"], "classic");
    assert_eq!(classic["trainable_params"], 60_000);
    assert_eq!(classic["connections"], 340_908);
    assert_eq!(classic["input"], json!([1, 32, 32]));
    let layers: Vec<&str> = classic["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(layers, ["C1", "S2", "C3", "S4", "C5", "F6", "OUTPUT"]);
    assert_eq!(classic["layers"][2]["params"], 1516);
    assert_eq!(m["models"][1]["name"], "modern");
    assert_eq!(m["models"].as_array().unwrap().len(), 2);
    // The bundled reader (`/api/read`'s default, the page's number mode), described apart.
    assert_eq!(m["reader"]["name"], "reader");
    assert_eq!(m["reader"]["arch"], "modern");
    assert_eq!(m["reader"]["source"], "the bundled reader");
    assert_eq!(m["glyphs"]["bitmaps"].as_array().unwrap().len(), 10);
    assert_eq!(m["glyphs"]["bitmaps"][7].as_str().unwrap().len(), 84);
    assert_eq!(m["limits"]["max_body_bytes"], 2 * 1024 * 1024);

    let page = get(s.addr, "/");
    assert_eq!(page.status, 200);
    assert!(
        page.header("content-type")
            .unwrap()
            .starts_with("text/html")
    );
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("default-src 'self'")
    );
    let html = page.text();
    assert!(html.contains("<canvas id=\"pad\""));
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "nothing from outside"
    );
    let js = get(s.addr, "/app.js");
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(js.text().contains("/api/predict"));
    let css = get(s.addr, "/style.css");
    assert!(css.header("content-type").unwrap().starts_with("text/css"));
    assert!(css.text().contains("@media"));
}

#[test]
fn json_pixels_with_activations_have_every_layer() {
    let s = both_untrained();
    let px: Vec<u8> = (0..784).map(|i| ((i * 37) % 256) as u8).collect();
    for (model, input_shape) in [
        ("classic", json!([1, 32, 32])),
        ("modern", json!([1, 28, 28])),
    ] {
        let r = post_json(
            s.addr,
            "/api/predict",
            &json!({"pixels": px, "model": model, "activations": true}),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let j = r.json();
        assert_eq!(j["model"], model);
        let digit = j["digit"].as_u64().unwrap();
        assert!(digit < 10);
        let scores: Vec<f64> = j["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        assert_eq!(scores.len(), 10);
        assert!((scores.iter().sum::<f64>() - 1.0).abs() < 1e-3);
        assert_eq!(j["outputs"].as_array().unwrap().len(), 10);
        assert_eq!(j["input"].as_array().unwrap().len(), 784);
        assert_eq!(j["input"][1], 37, "JSON pixels are used as given");
        let acts = j["activations"].as_array().unwrap();
        let expect = [
            ("input", input_shape.clone()),
            ("c1", json!([6, 28, 28])),
            ("s2", json!([6, 14, 14])),
            ("c3", json!([16, 10, 10])),
            ("s4", json!([16, 5, 5])),
            ("c5", json!([120])),
            ("f6", json!([84])),
            ("output", json!([10])),
        ];
        assert_eq!(acts.len(), expect.len());
        for (a, (key, shape)) in acts.iter().zip(expect) {
            assert_eq!(a["key"], key);
            assert_eq!(a["shape"], shape);
            let n: u64 = shape
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
                .product();
            assert_eq!(
                a["data"].as_array().unwrap().len() as u64,
                n,
                "{model} {key}"
            );
        }
        assert_eq!(acts[1]["data"].as_array().unwrap().len(), 6 * 28 * 28);
        if model == "classic" {
            assert_eq!(acts[1]["name"], "C1");
            let nearest = j["rbf"]["nearest"].as_array().unwrap();
            assert_eq!(nearest.len(), 10);
            assert_eq!(
                nearest[0]["digit"].as_u64().unwrap(),
                digit,
                "nearest glyph = prediction"
            );
            assert_eq!(j["rbf"]["glyph_shape"], json!([12, 7]));
            assert_eq!(j["output_kind"], "rbf_distance");
        } else {
            assert_eq!(acts[1]["name"], "conv1");
            assert!(j.get("rbf").is_none());
            assert_eq!(j["output_kind"], "logit");
        }
    }
    // Without "activations": none in the answer; default model = classic.
    let j = post_json(s.addr, "/api/predict", &pixels_json(&px)).json();
    assert!(j.get("activations").is_none());
    assert_eq!(j["model"], "classic");
    // Query parameters work for JSON too; JSON fields win.
    let j = post_json(
        s.addr,
        "/api/predict?model=modern&activations=1",
        &pixels_json(&px),
    )
    .json();
    assert_eq!(j["model"], "modern");
    assert!(j["activations"].is_array());
}

#[test]
fn image_bodies_are_preprocessed() {
    let s = both_untrained();
    // Dark ink on white paper: inverted, cropped, centred.
    let pen = draw::Pen {
        origin: (40.0, 30.0),
        size: 140.0,
        thickness: 14.0,
    };
    let img = DynamicImage::ImageRgb8(draw::draw_rgb(
        220,
        200,
        '7',
        pen,
        [20, 20, 20],
        [250, 250, 245],
    ));
    let r = post_image(
        s.addr,
        "/api/predict?activations=true",
        "image/png",
        &png(&img),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let j = r.json();
    assert_eq!(j["inverted"], true);
    assert_eq!(j["blank"], false);
    let input: Vec<u8> = j["input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    assert_eq!(input.len(), 784);
    assert_eq!(input[0], 0, "corner is background");
    assert_eq!(*input.iter().max().unwrap(), 255);
    assert_eq!(j["activations"][1]["shape"], json!([6, 28, 28]));
    // JPEG and BMP bodies too; and a blank picture is reported as blank.
    for fmt in [image::ImageFormat::Jpeg, image::ImageFormat::Bmp] {
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, fmt).unwrap();
        let ct = if fmt == image::ImageFormat::Jpeg {
            "image/jpeg"
        } else {
            "image/bmp"
        };
        let r = post_image(s.addr, "/api/predict", ct, &out.into_inner());
        assert_eq!(r.status, 200, "{ct}: {}", r.text());
    }
    let blank = DynamicImage::ImageLuma8(GrayImage::from_pixel(100, 100, image::Luma([255])));
    let j = post_image(s.addr, "/api/predict", "image/png", &png(&blank)).json();
    assert_eq!(j["blank"], true);
}

#[test]
fn trained_model_reads_mnist_digits_as_json_and_as_pictures() {
    // Without MNIST: a note, or a failure when LENET5_REQUIRE lists `data`.
    let Some(data) = mnist() else {
        return;
    };
    let model = trained(Arch::Modern);
    let s = Server::start(vec![ServedModel::new(model, "trained")], test_config());
    let n = 40;
    let (mut json_ok, mut png_ok) = (0, 0);
    for i in 0..n {
        let px = data.test.image(i);
        let label = data.test.label(i) as u64;
        let j = post_json(s.addr, "/api/predict", &pixels_json(px)).json();
        json_ok += (j["digit"] == label) as usize;
        // The same digit as a 4x larger photo-like picture: dark ink on light paper.
        let small = GrayImage::from_fn(28, 28, |x, y| {
            image::Luma([255 - px[(y * 28 + x) as usize]])
        });
        let big = imageops::resize(&small, 112, 112, imageops::FilterType::Triangle);
        let j = post_image(
            s.addr,
            "/api/predict",
            "image/png",
            &png(&DynamicImage::ImageLuma8(big)),
        )
        .json();
        png_ok += (j["digit"] == label) as usize;
    }
    eprintln!("trained modern model: {json_ok}/{n} as JSON pixels, {png_ok}/{n} as PNG pictures");
    assert!(json_ok >= n - 2, "{json_ok}/{n}");
    assert!(png_ok >= n - 3, "{png_ok}/{n}");
    // Stroke drawings like the page sends.
    for d in ['1', '7', '4', '0'] {
        let pen = draw::Pen {
            origin: (60.0, 40.0),
            size: 200.0,
            thickness: 20.0,
        };
        let img =
            DynamicImage::ImageRgb8(draw::draw_rgb(280, 280, d, pen, [0, 0, 0], [255, 255, 255]));
        let j = post_image(s.addr, "/api/predict", "image/png", &png(&img)).json();
        assert_eq!(
            j["digit"],
            d.to_digit(10).unwrap(),
            "drawn {d}: {}",
            j["scores"]
        );
    }
}

#[test]
fn bad_requests_get_clear_errors_and_the_server_survives() {
    let s = both_untrained();
    let a = s.addr;
    // Malformed JSON.
    let r = request(
        a,
        "POST",
        "/api/predict",
        &[("Content-Type", "application/json")],
        b"{\"pixels\": [1, 2,",
    );
    assert_error(&r, 400, "malformed JSON");
    let r = request(
        a,
        "POST",
        "/api/predict",
        &[("Content-Type", "application/json")],
        b"not json at all",
    );
    assert_error(&r, 400, "malformed JSON");
    // Well-formed JSON of the wrong form.
    let r = post_json(a, "/api/predict", &json!({"pixel": vec![0; 784]}));
    assert_error(&r, 400, "does not match");
    let r = post_json(a, "/api/predict", &json!({"pixels": "zeros"}));
    assert_error(&r, 400, "does not match");
    let r = post_json(a, "/api/predict", &json!([1, 2, 3]));
    assert_error(&r, 400, "does not match");
    // Wrong pixel count, out-of-range values.
    let r = post_json(a, "/api/predict", &json!({"pixels": vec![0; 783]}));
    assert_error(&r, 400, "expected 784 numbers (28x28, row-major), got 783");
    let r = post_json(a, "/api/predict", &json!({"pixels": vec![0; 785]}));
    assert_error(&r, 400, "got 785");
    let r = post_json(a, "/api/predict", &json!({"pixels": []}));
    assert_error(&r, 400, "got 0");
    let mut px = vec![0.0; 784];
    px[300] = 256.0;
    assert_error(
        &post_json(a, "/api/predict", &json!({ "pixels": px })),
        400,
        "pixels[300] = 256 is out of range",
    );
    px[300] = -0.5;
    assert_error(
        &post_json(a, "/api/predict", &json!({ "pixels": px })),
        400,
        "pixels[300]",
    );
    // Unknown model, bad query.
    let r = post_json(
        a,
        "/api/predict",
        &json!({"pixels": vec![0; 784], "model": "resnet"}),
    );
    assert_error(&r, 400, "\"resnet\" is not loaded; loaded: classic, modern");
    let r = post_json(
        a,
        "/api/predict?activations=perhaps",
        &pixels_json(&[0; 784]),
    );
    assert_error(&r, 400, "expected true or false");
    // Not an image: text, truncated PNG, empty.
    let r = post_image(
        a,
        "/api/predict",
        "image/png",
        b"hello, this is not a picture",
    );
    assert_error(&r, 400, "not a PNG, JPEG or BMP image");
    let r = post_image(a, "/api/predict", "text/plain", b"hello");
    assert_error(&r, 400, "not a PNG, JPEG or BMP image");
    let good = png(&DynamicImage::ImageLuma8(GrayImage::from_pixel(
        50,
        50,
        image::Luma([9]),
    )));
    let r = post_image(a, "/api/predict", "image/png", &good[..good.len() / 2]);
    assert_eq!(r.status, 400, "{}", r.text());
    let r = post_image(a, "/api/predict", "image/png", b"");
    assert_error(&r, 400, "empty body");
    // An image over the side limit (4096): a small file, but 25 megapixels to decode.
    let huge = png(&DynamicImage::ImageLuma8(GrayImage::new(5000, 5000)));
    let r = post_image(a, "/api/predict", "image/png", &huge);
    assert_error(&r, 400, "5000x5000");
    // Wrong routes and methods.
    assert_error(&get(a, "/nothing"), 404, "no such page");
    let r = get(a, "/api/predict");
    assert_error(&r, 405, "use POST");
    assert_eq!(r.header("allow"), Some("POST"));
    assert_error(&request(a, "DELETE", "/healthz", &[], b""), 405, "use GET");
    // Garbage instead of HTTP: the connection is closed, nothing else happens.
    for junk in [
        &b"\x00\x01\x02garbage\r\n\r\n"[..],
        b"GET / HTTP/9.9\r\n\r\n",
        b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n",
    ] {
        let mut c = TcpStream::connect(a).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = c.write_all(junk);
        let mut sink = Vec::new();
        let _ = c.read_to_end(&mut sink);
    }
    let huge_header = format!(
        "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(1 << 20)
    );
    let mut c = TcpStream::connect(a).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = c.write_all(huge_header.as_bytes());
    let mut sink = Vec::new();
    let _ = c.read_to_end(&mut sink);
    // Still serving.
    assert_eq!(get(a, "/healthz").status, 200);
    assert_eq!(
        post_json(a, "/api/predict", &pixels_json(&[0; 784])).status,
        200
    );
}

#[test]
fn oversized_bodies_get_413() {
    let s = both_untrained();
    // Declared too large: refused from the header, before any body is sent.
    let r = post_declared(s.addr, "/api/predict", 3_000_000);
    assert_error(&r, 413, "larger than 2097152 bytes");
    assert_eq!(r.header("connection"), Some("close"));

    // Not declared (chunked): counted while reading, refused once past the limit.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let head = "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    c.write_all(head.as_bytes()).unwrap();
    let mut writer = c.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..48 {
            // 3 MB in all; the server stops reading at 2 MB, so later writes may fail.
            if writer
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .is_err()
                || writer.write_all(&chunk).is_err()
                || writer.write_all(b"\r\n").is_err()
            {
                return;
            }
        }
        let _ = writer.write_all(b"0\r\n\r\n");
    });
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    // Read until the response head and body are in (the server closes afterwards; a
    // reset after the answer is fine).
    while let Ok(n) = c.read(&mut buf) {
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let _ = sender.join();
    let r = parse_response(&raw);
    assert_error(&r, 413, "larger than 2097152 bytes");

    // A body just under the limit is read (and then refused as not an image).
    let body = vec![b'x'; 2 * 1024 * 1024 - 10];
    let r = post_image(s.addr, "/api/predict", "image/png", &body);
    assert_error(&r, 400, "not a PNG");
    assert_eq!(get(s.addr, "/healthz").status, 200);
}

/// Reads until the server closes the connection; returns what arrived and how long it took.
fn read_until_closed(c: &mut TcpStream, limit: Duration) -> (Vec<u8>, Duration) {
    let t0 = Instant::now();
    c.set_read_timeout(Some(limit)).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match c.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "the server kept a stalled connection open for {:?}: {e}",
                t0.elapsed()
            ),
        }
    }
    (raw, t0.elapsed())
}

/// Header and body timeouts of 1 s, an idle timeout 30 times longer: a connection cut
/// within [`CUT`] of the start was cut by the header (or body) timeout, not by the idle
/// one, which is the next thing that would close it.
fn slow_client_config() -> ServeConfig {
    ServeConfig {
        header_timeout: Duration::from_secs(1),
        body_timeout: Duration::from_secs(1),
        idle_timeout: Duration::from_secs(30),
        ..ServeConfig::default()
    }
}

/// How late after the 1 s header or body timeout a cut may come on a loaded machine.
const CUT: std::ops::Range<Duration> = Duration::from_millis(900)..Duration::from_millis(3500);

/// How long the tests below wait for a cut before calling the connection kept.
const WAIT: Duration = Duration::from_secs(10);

#[test]
fn slow_and_half_open_clients_are_dropped() {
    let cfg = slow_client_config();
    let s = Server::start(vec![untrained(Arch::Classic)], cfg.clone());

    // Half a body, then silence: 408 and the connection closed after the body timeout.
    let mut c = TcpStream::connect(s.addr).unwrap();
    let head = "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"pixels\": [0, 0, 0";
    c.write_all(head.as_bytes()).unwrap();
    let (raw, took) = read_until_closed(&mut c, WAIT);
    let r = parse_response(&raw);
    assert_error(&r, 408, "did not arrive within 1 s");
    assert!(CUT.contains(&took), "half a body: cut after {took:?}");

    // Half the headers, then silence: closed after the header timeout.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Le")
        .unwrap();
    let (raw, took) = read_until_closed(&mut c, WAIT);
    assert!(
        raw.is_empty() || raw.starts_with(b"HTTP/1.1 408"),
        "{raw:?}"
    );
    assert!(CUT.contains(&took), "half the headers: cut after {took:?}");

    // Connected, nothing sent: closed after the header timeout.
    let mut c = TcpStream::connect(s.addr).unwrap();
    let (raw, took) = read_until_closed(&mut c, WAIT);
    assert!(
        raw.is_empty() || raw.starts_with(b"HTTP/1.1 408"),
        "{raw:?}"
    );
    assert!(CUT.contains(&took), "nothing sent: cut after {took:?}");

    // An idle keep-alive connection: closed when the header timeout runs out on the
    // next request.
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let (raw, took) = read_until_closed(&mut c, WAIT);
    assert!(raw.starts_with(b"HTTP/1.1 200"), "{raw:?}");
    assert!(
        CUT.contains(&took),
        "idle keep-alive: closed after {took:?}"
    );

    // And the server still answers.
    assert_eq!(get(s.addr, "/healthz").status, 200);
}

/// Headers trickled a byte every 100 ms, each gap far shorter than any timeout: the
/// whole header would take 15 s, the server cuts it once it has taken the header
/// timeout (1 s). The writer keeps going until it sees the cut, so a server that waited
/// for the end would answer 200 here, and one that waited for the idle timeout would
/// not cut within [`CUT`].
#[test]
fn a_trickled_header_is_cut_at_the_header_timeout() {
    let s = Server::start(vec![untrained(Arch::Classic)], slow_client_config());
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: {}\r\n\r\n",
        "a".repeat(100)
    );
    assert!(request.len() >= 150);
    let mut c = TcpStream::connect(s.addr).unwrap();
    let mut reader = c.try_clone().unwrap();
    let closed = Arc::new(AtomicBool::new(false));
    let seen = closed.clone();
    let t0 = Instant::now();
    let read = std::thread::spawn(move || {
        let r = read_until_closed(&mut reader, Duration::from_secs(30));
        seen.store(true, Ordering::SeqCst);
        r
    });
    let mut sent = 0;
    let mut write_failed = false;
    for b in request.as_bytes() {
        if closed.load(Ordering::SeqCst) {
            break;
        }
        if c.write_all(&[*b]).is_err() {
            write_failed = true;
            break;
        }
        sent += 1;
        std::thread::sleep(Duration::from_millis(100));
    }
    let (raw, took) = read.join().unwrap();
    eprintln!(
        "trickled {sent} of {} bytes; cut after {took:?} (write failed: {write_failed})",
        request.len()
    );
    assert!(
        !raw.starts_with(b"HTTP/1.1 200"),
        "the trickled request was served after {took:?}"
    );
    assert!(
        raw.is_empty() || raw.starts_with(b"HTTP/1.1 408"),
        "{raw:?}"
    );
    assert!(sent < request.len(), "the whole header went through");
    assert!(CUT.contains(&took), "a trickled header: cut after {took:?}");
    assert!(t0.elapsed() < Duration::from_secs(6));
    assert_eq!(get(s.addr, "/healthz").status, 200);
}

#[test]
fn many_clients_at_once() {
    let s = Server::start(
        vec![untrained(Arch::Classic), untrained(Arch::Modern)],
        ServeConfig {
            max_inflight: 2,
            ..test_config()
        },
    );
    let addr = s.addr;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            std::thread::spawn(move || {
                let model = if t % 2 == 0 { "classic" } else { "modern" };
                let px: Vec<u8> = (0..784).map(|i| ((i + t) % 256) as u8).collect();
                (0..8)
                    .map(|_| {
                        let r = post_json(
                            addr,
                            "/api/predict",
                            &json!({"pixels": px, "model": model, "activations": t % 4 == 0}),
                        );
                        (r.status, r.json()["model"] == model)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for t in threads {
        for (status, right_model) in t.join().unwrap() {
            assert_eq!(status, 200);
            assert!(right_model);
        }
    }
}

#[test]
fn model_files_are_found_else_the_bundled_networks_are_served() {
    let resolve = |files: &[std::path::PathBuf], dir: &std::path::Path| {
        served_models(lenet5::bundled::resolve(files, dir)?)
    };
    // An empty folder: both bundled networks, classic first.
    let dir = tempfile::tempdir().unwrap();
    let models = resolve(&[], dir.path()).unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["classic", "modern"]);
    assert!(models[0].source.contains("bundled"), "{}", models[0].source);

    let e = resolve(&[dir.path().join("missing.safetensors")], dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("missing.safetensors"), "{e}");

    // The default names in the folder are picked up, classic first.
    let net = |arch| lenet5::model::Network::new(arch, 3);
    for arch in [Arch::Modern, Arch::Classic] {
        let ck = lenet5::train::checkpoint::Checkpoint::from_network(&net(arch));
        lenet5::train::checkpoint::save(
            &dir.path().join(format!("lenet5-{arch}.safetensors")),
            &ck,
        )
        .unwrap();
    }
    let models = resolve(&[], dir.path()).unwrap();
    let names: Vec<&str> = models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["classic", "modern"]);
    assert!(
        models
            .iter()
            .all(|m| m.source.starts_with(&dir.path().display().to_string()))
    );

    // Two of the same architecture: refused.
    let f = dir.path().join("lenet5-classic.safetensors");
    let e = resolve(&[f.clone(), f], dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("two classic models"), "{e}");
}

#[test]
fn client_that_half_closes_still_gets_its_answer() {
    let s = both_untrained();
    for (ct, body, status) in [
        ("image/png", b"not a picture".to_vec(), 400),
        (
            "application/json",
            json!({ "pixels": vec![0; 784] }).to_string().into_bytes(),
            200,
        ),
    ] {
        let mut c = TcpStream::connect(s.addr).unwrap();
        let head = format!(
            "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        c.write_all(head.as_bytes()).unwrap();
        c.write_all(&body).unwrap();
        c.shutdown(std::net::Shutdown::Write).unwrap();
        let (raw, _) = read_until_closed(&mut c, Duration::from_secs(8));
        assert_eq!(parse_response(&raw).status, status);
    }
}

#[test]
fn a_client_that_stops_reading_is_dropped() {
    // 400 pipelined requests whose answers (about 63 KB each, 25 MB in all) overflow the
    // socket buffers; the client reads nothing. The server's writes stall, and after the
    // idle timeout (3 s here) it closes the connection instead of waiting forever.
    let s = Server::start(vec![untrained(Arch::Classic)], test_config());
    let body = json!({"pixels": vec![9; 784], "activations": true}).to_string();
    let one = format!(
        "POST /api/predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let n = 400;
    let mut c = TcpStream::connect(s.addr).unwrap();
    let mut w = c.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        for _ in 0..n {
            if w.write_all(one.as_bytes()).is_err() {
                return;
            }
        }
    });
    std::thread::sleep(Duration::from_secs(8));
    let (raw, _) = read_until_closed(&mut c, Duration::from_secs(20));
    let _ = writer.join();
    let answers = raw.windows(12).filter(|w| w == b"HTTP/1.1 200").count();
    assert!(
        answers < n,
        "all {answers} answers were delivered: the stalled connection was kept"
    );
    eprintln!("{answers} of {n} answers written before the server dropped the stalled reader");
    assert_eq!(get(s.addr, "/healthz").status, 200);
}
