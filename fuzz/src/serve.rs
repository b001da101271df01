//! The `predict_body` target: a whole `POST /api/predict` request (content type, query
//! string, body) through the web server's own parser, `lenet5_serve::parse_predict_request`,
//! and `PredictInput::preprocessed`, exactly the two calls the handler makes, then both
//! networks. Panics only on a real bug: a panic in the server or the engine, an error
//! that is not one line, a parse that contradicts the request, or a prediction that is
//! not a sane probability distribution.

use lenet5::Model;
use lenet5::model::{Arch, Network};
use lenet5_serve::request::{BadRequest, is_json, parse_query};
use lenet5_serve::{PredictInput, ServeConfig, parse_predict_request};

/// The longest first line (`CONTENT-TYPE[?QUERY]`) taken from a fuzz input.
pub const MAX_HEAD: usize = 256;

/// A fuzz input as a request: the first line (up to `\n`, at most [`MAX_HEAD`] bytes) is
/// the `Content-Type`, then `?` and the query string when present; the rest is the body.
/// Without a newline in the first [`MAX_HEAD`] bytes the whole input is the body, with no
/// content type. A head that is not UTF-8 is an absent header (as the handler reads a
/// header that is not visible ASCII).
pub fn split_request(data: &[u8]) -> (String, Option<String>, &[u8]) {
    let Some(nl) = data.iter().take(MAX_HEAD).position(|&b| b == b'\n') else {
        return (String::new(), None, data);
    };
    let head = std::str::from_utf8(&data[..nl]).unwrap_or("");
    let (ct, q) = match head.split_once('?') {
        Some((ct, q)) => (ct, Some(q.to_string())),
        None => (head, None),
    };
    (ct.to_string(), q, &data[nl + 1..])
}

/// A request in the fuzz input's form (see [`split_request`]), for seeds and tests.
pub fn join_request(content_type: &str, query: Option<&str>, body: &[u8]) -> Vec<u8> {
    let mut out = content_type.as_bytes().to_vec();
    if let Some(q) = query {
        out.push(b'?');
        out.extend_from_slice(q.as_bytes());
    }
    out.push(b'\n');
    out.extend_from_slice(body);
    out
}

thread_local! {
    static MODELS: [Model; 2] = [
        Model::from_network(Network::new(Arch::Classic, 7)),
        Model::from_network(Network::new(Arch::Modern, 7)),
    ];
}

fn assert_one_line(e: &BadRequest) {
    assert!(!e.0.is_empty(), "empty error message");
    assert!(!e.0.contains('\n'), "error is not one line: {:?}", e.0);
}

/// Checks one fuzz input: see the module documentation.
pub fn check_predict_body(data: &[u8]) {
    let (content_type, query, body) = split_request(data);
    let query = query.as_deref();
    let parsed = parse_predict_request(
        &content_type,
        query,
        lenet5_serve::Bytes::copy_from_slice(body),
    );
    let req = match parsed {
        Ok(r) => r,
        Err(e) => {
            assert_one_line(&e);
            return;
        }
    };
    // What was parsed agrees with the request.
    let q = parse_query(query).expect("the query of an accepted request parses");
    assert!(!body.is_empty(), "an empty body was accepted");
    match &req.input {
        PredictInput::Pixels { .. } => assert!(is_json(&content_type), "pixels without JSON"),
        PredictInput::Image(b) => {
            assert!(!is_json(&content_type), "JSON taken as a picture");
            assert_eq!(&b[..], body, "the picture is not the body");
            assert_eq!(req.model, q.model);
            assert_eq!(req.activations, q.activations.unwrap_or(false));
        }
    }
    let raw = match &req.input {
        PredictInput::Pixels {
            pixels,
            preprocess: false,
        } => Some(**pixels),
        _ => None,
    };
    let pre = match req
        .input
        .preprocessed(ServeConfig::default().max_image_side)
    {
        Ok(p) => p,
        Err(e) => {
            assert_one_line(&e);
            return;
        }
    };
    if let Some(px) = raw {
        assert_eq!(pre.pixels, px, "pixels changed without preprocessing");
    }
    if pre.blank {
        assert!(pre.pixels.iter().all(|&v| v == 0), "blank but has ink");
    }
    MODELS.with(|models| {
        for m in models {
            let p = m.forward_28x28(&pre.pixels);
            assert!(p.digit < 10);
            assert!(p.outputs.iter().all(|v| v.is_finite()), "{:?}", p.outputs);
            let s: f32 = p.scores.iter().sum();
            assert!((s - 1.0).abs() < 1e-3, "scores sum to {s}");
            assert_eq!(
                m.forward_batch_28x28(&[pre.pixels])[0],
                p,
                "batch of one differs"
            );
        }
    });
}
