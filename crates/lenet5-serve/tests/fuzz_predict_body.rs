//! The `predict_body` fuzz target's checks (fuzz/src/serve.rs is compiled into this test)
//! on every seed (fuzz/seeds/predict_body/) and every input a fuzzer found a problem with
//! (fuzz/regressions/predict_body/), so a fixed bug stays fixed without cargo-fuzz; and
//! what the parser that `POST /api/predict` and the fuzzer share makes of a few requests.

#[path = "../../../fuzz/src/serve.rs"]
mod checks;

use std::path::Path;
use std::time::{Duration, Instant};

use checks::{check_predict_body, join_request, split_request};
use lenet5_serve::{Bytes, PredictInput, parse_predict_request};

fn inputs() -> Vec<std::path::PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = vec![];
    for kind in ["regressions", "seeds"] {
        let dir = fuzz.join(kind).join("predict_body");
        let rd = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        files.extend(rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

#[test]
fn seeds_and_regressions_pass_the_fuzz_checks() {
    let files = inputs();
    assert!(files.len() >= 10, "seeds missing: {files:?}");
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 120 } else { 10 });
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let start = Instant::now();
        check_predict_body(&bytes);
        assert!(
            start.elapsed() < limit,
            "{}: took {:?}",
            f.display(),
            start.elapsed()
        );
    }
}

/// The fuzzer's first finding, now through the server's parser: a corrupt JPEG whose
/// decoder message ends in a newline. The server reads the picture's size first
/// (`check_dimensions`, which the old target, calling the engine directly, never
/// reached), and that message too must be one line.
#[test]
fn corrupt_jpeg_is_a_one_line_error() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let data = std::fs::read(fuzz.join("regressions/predict_body/jpeg-multiline-error")).unwrap();
    let (ct, q, body) = split_request(&data);
    assert_eq!((ct.as_str(), q), ("image/jpeg", None));
    let req = parse_predict_request(&ct, None, Bytes::copy_from_slice(body)).unwrap();
    let e = req.input.preprocessed(4096).unwrap_err().0;
    assert!(!e.contains('\n'), "{e:?}");
    assert!(e.starts_with("the image cannot be read: "), "{e:?}");
}

#[test]
fn the_request_line_and_body_are_split_as_documented() {
    let r = join_request("application/json", Some("model=modern"), b"{}");
    assert_eq!(r, b"application/json?model=modern\n{}");
    let (ct, q, body) = split_request(&r);
    assert_eq!(
        (ct.as_str(), q.as_deref(), body),
        ("application/json", Some("model=modern"), &b"{}"[..])
    );
    // No newline near the start: all body, no content type.
    let (ct, q, body) = split_request(&[7u8; 300]);
    assert_eq!((ct.as_str(), q, body.len()), ("", None, 300));
}

/// JSON's `model` and `activations` win over the query's; a picture takes the query's.
#[test]
fn json_fields_win_over_the_query() {
    let px = format!("[{}]", vec!["0"; 784].join(","));
    let body = format!("{{\"pixels\": {px}, \"model\": \"classic\"}}");
    let r = parse_predict_request(
        "application/json; charset=utf-8",
        Some("model=modern&activations=1"),
        Bytes::from(body),
    )
    .unwrap();
    assert_eq!(r.model.as_deref(), Some("classic"));
    assert!(r.activations);
    assert!(matches!(
        r.input,
        PredictInput::Pixels {
            preprocess: false,
            ..
        }
    ));
    let r =
        parse_predict_request("image/png", Some("model=modern"), Bytes::from_static(b"x")).unwrap();
    assert_eq!(r.model.as_deref(), Some("modern"));
    assert!(!r.activations);
    assert!(matches!(r.input, PredictInput::Image(_)));
    // Errors: empty body, unknown query parameter, JSON that is not the pixels.
    for (ct, q, body, needle) in [
        ("image/png", None, &b""[..], "empty body"),
        (
            "image/png",
            Some("x=1"),
            &b"x"[..],
            "unknown query parameter",
        ),
        (
            "application/json",
            None,
            &b"[1, 2]"[..],
            "JSON does not match",
        ),
        (
            "application/json",
            Some("activations=maybe"),
            &b"{}"[..],
            "expected true or false",
        ),
    ] {
        let e = parse_predict_request(ct, q, Bytes::copy_from_slice(body))
            .unwrap_err()
            .0;
        assert!(e.contains(needle), "{ct} {q:?}: {e}");
    }
}
