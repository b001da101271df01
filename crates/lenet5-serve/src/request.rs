//! What a `POST /api/predict` request asks for, parsed from its content type, query
//! string and body: [`parse_predict_request`], then [`PredictInput::preprocessed`] for
//! the 28x28 the network sees. The handler calls exactly these two, and so does the
//! fuzz target `predict_body` (fuzz/src/serve.rs), so the fuzzer reaches the server's
//! own parsing (content type, query string, JSON pixels) and not a copy of it.

use std::fmt;
use std::io::Cursor;
use std::path::Path;

use axum::body::Bytes;
use serde::Deserialize;

use lenet5::data::image::{DynamicImage, GrayImage, Preprocessed, decode_image, preprocess};

/// A request the server answers with 400 Bad Request: the message says what is wrong,
/// on one line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadRequest(pub String);

impl fmt::Display for BadRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadRequest {}

/// What to recognise.
#[derive(Clone, Debug, PartialEq)]
pub enum PredictInput {
    /// JSON pixels: 28x28 grey levels (0 = background, 255 = ink), used as they are
    /// unless `preprocess` asks for the uploaded pictures' preprocessing.
    Pixels {
        pixels: Box<[u8; 784]>,
        preprocess: bool,
    },
    /// A PNG/JPEG/BMP body, not decoded yet.
    Image(Bytes),
}

/// A parsed `POST /api/predict` request.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictRequest {
    pub input: PredictInput,
    /// The model asked for (`None`: the default); JSON's `model` wins over the query's.
    pub model: Option<String>,
    /// Return every layer's activations; JSON's `activations` wins over the query's.
    pub activations: bool,
}

/// The JSON form of `POST /api/predict`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PixelsRequest {
    /// 784 grey levels, row-major 28x28, 0 = background, 255 = ink (MNIST style).
    pixels: Vec<f64>,
    model: Option<String>,
    activations: Option<bool>,
    /// Run the pixels through the same preprocessing as an uploaded picture (crop,
    /// scale into 20x20, centre by mass; dark ink on light is inverted).
    preprocess: Option<bool>,
}

/// Options from the query string (`?model=modern&activations=true`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    pub model: Option<String>,
    pub activations: Option<bool>,
}

fn parse_bool(key: &str, v: &str) -> Result<bool, BadRequest> {
    match v {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(BadRequest(format!(
            "query parameter {key}={v:?}: expected true or false"
        ))),
    }
}

/// The query string of `/api/predict` and `/api/read` (`model`, `activations`).
pub fn parse_query(q: Option<&str>) -> Result<Query, BadRequest> {
    let mut out = Query::default();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "model" => out.model = Some(v.to_string()),
            "activations" => out.activations = Some(parse_bool(k, v)?),
            _ => {
                return Err(BadRequest(format!(
                    "unknown query parameter {k:?}; known: model, activations"
                )));
            }
        }
    }
    Ok(out)
}

/// Whether a `Content-Type` is JSON (`application/json`, `text/json`, `*+json`, any case,
/// parameters ignored).
pub fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

fn parse_pixels_json(body: &[u8]) -> Result<(PixelsRequest, [u8; 784]), BadRequest> {
    let req: PixelsRequest = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            BadRequest(format!(
                "JSON does not match {{\"pixels\": [784 numbers 0-255], \"model\": \"classic\"|\"modern\", \
                 \"activations\": bool, \"preprocess\": bool}}: {e}"
            ))
        } else {
            BadRequest(format!("malformed JSON: {e}"))
        }
    })?;
    if req.pixels.len() != 784 {
        return Err(BadRequest(format!(
            "pixels: expected 784 numbers (28x28, row-major), got {}",
            req.pixels.len()
        )));
    }
    let mut px = [0u8; 784];
    for (i, (&v, p)) in req.pixels.iter().zip(px.iter_mut()).enumerate() {
        if !(0.0..=255.0).contains(&v) {
            return Err(BadRequest(format!(
                "pixels[{i}] = {v} is out of range: values must be 0-255 (0 = background, 255 = ink)"
            )));
        }
        *p = v.round() as u8;
    }
    Ok((req, px))
}

/// Parses a `POST /api/predict` request from its `Content-Type` (`""` when absent), its
/// query string and its body (already read, within the size limit). A JSON content type
/// means `{"pixels": [784 numbers 0-255], "model", "activations", "preprocess"}`;
/// anything else is taken as a picture, decoded later by [`PredictInput::preprocessed`].
pub fn parse_predict_request(
    content_type: &str,
    query: Option<&str>,
    body: Bytes,
) -> Result<PredictRequest, BadRequest> {
    let query = parse_query(query)?;
    if body.is_empty() {
        return Err(BadRequest(
            "empty body: send a PNG/JPEG/BMP image (Content-Type image/png) or JSON {\"pixels\": [784 numbers 0-255]}".into(),
        ));
    }
    if is_json(content_type) {
        let (req, pixels) = parse_pixels_json(&body)?;
        Ok(PredictRequest {
            input: PredictInput::Pixels {
                pixels: Box::new(pixels),
                preprocess: req.preprocess.unwrap_or(false),
            },
            model: req.model.or(query.model),
            activations: req.activations.or(query.activations).unwrap_or(false),
        })
    } else {
        Ok(PredictRequest {
            input: PredictInput::Image(body),
            model: query.model,
            activations: query.activations.unwrap_or(false),
        })
    }
}

/// Refuses a body that is not a PNG, JPEG or BMP picture, or whose header claims more
/// than `max_side` pixels a side, before anything is decoded.
pub fn check_dimensions(bytes: &[u8], max_side: u32) -> Result<(), BadRequest> {
    let not_image = || {
        BadRequest(
            "the body is not a PNG, JPEG or BMP image; send an image with Content-Type image/png \
             (or image/jpeg, image/bmp), or JSON with Content-Type application/json"
                .into(),
        )
    };
    let reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| not_image())?;
    if reader.format().is_none() {
        return Err(not_image());
    }
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| BadRequest(one_line(&format!("the image cannot be read: {e}"))))?;
    if w > max_side || h > max_side {
        return Err(BadRequest(format!(
            "the image is {w}x{h} pixels; at most {max_side} a side is accepted, scale it down"
        )));
    }
    Ok(())
}

/// Decoder messages folded onto one line (some end with a newline).
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl PredictInput {
    /// The 28x28 the network sees: JSON pixels as they are (or preprocessed when asked);
    /// a picture checked against `max_side` ([`check_dimensions`]), decoded and
    /// preprocessed (cropped, scaled into 20x20, centred, inverted when dark on light).
    /// Decoding is the slow part: the server calls this on its blocking pool.
    pub fn preprocessed(self, max_side: u32) -> Result<Preprocessed, BadRequest> {
        match self {
            PredictInput::Pixels {
                pixels,
                preprocess: false,
            } => Ok(Preprocessed {
                pixels: *pixels,
                blank: pixels.iter().all(|&p| p == 0),
                inverted: false,
                ink_bbox: None,
            }),
            PredictInput::Pixels {
                pixels,
                preprocess: true,
            } => {
                let img = GrayImage::from_raw(28, 28, pixels.to_vec())
                    .ok_or_else(|| BadRequest("pixels: expected 784 values".into()))?;
                Ok(preprocess(&DynamicImage::ImageLuma8(img)))
            }
            PredictInput::Image(bytes) => {
                check_dimensions(&bytes, max_side)?;
                let img = decode_image(&bytes, Path::new("request body"))
                    .map_err(|e| BadRequest(e.to_string()))?;
                Ok(preprocess(&img))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_content_type() {
        let q = parse_query(Some("model=modern&activations=1")).unwrap_or_default();
        assert_eq!(q.model.as_deref(), Some("modern"));
        assert_eq!(q.activations, Some(true));
        assert!(parse_query(Some("activations=maybe")).is_err());
        assert!(parse_query(Some("x=1")).is_err());
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("Application/JSON"));
        assert!(!is_json("image/png"));
        assert!(!is_json(""));
    }

    #[test]
    fn pixel_validation() {
        let ok = format!("{{\"pixels\": [{}]}}", vec!["0"; 784].join(","));
        assert!(parse_pixels_json(ok.as_bytes()).is_ok());
        let short = format!("{{\"pixels\": [{}]}}", vec!["0"; 783].join(","));
        let e = parse_pixels_json(short.as_bytes()).err().map(|e| e.0);
        assert!(e.is_some_and(|m| m.contains("got 783")));
        let mut v = vec!["0"; 784];
        v[5] = "256";
        let big = format!("{{\"pixels\": [{}]}}", v.join(","));
        let e = parse_pixels_json(big.as_bytes()).err().map(|e| e.0);
        assert!(e.is_some_and(|m| m.contains("pixels[5]")));
        v[5] = "-1";
        let neg = format!("{{\"pixels\": [{}]}}", v.join(","));
        assert!(parse_pixels_json(neg.as_bytes()).is_err());
        let e = parse_pixels_json(b"{\"pixels\": [1,2").err().map(|e| e.0);
        assert!(e.is_some_and(|m| m.starts_with("malformed JSON")));
        let e = parse_pixels_json(b"{\"pixel\": []}").err().map(|e| e.0);
        assert!(e.is_some_and(|m| m.starts_with("JSON does not match")));
    }
}
