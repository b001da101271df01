//! Routes and handlers. Every error answer is JSON `{"error": "...", "status": N}`.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::{ServeConfig, ServedModel};
use lenet5::data::image::{DynamicImage, GrayImage, Preprocessed, decode_image, preprocess};
use lenet5::model::Arch;
use lenet5::model::summary::{render, summary, trainable_params};
use lenet5::nn::rbf::{GLYPH_H, GLYPH_W, GLYPHS};

use lenet5_web::{ASSETS, Asset, INDEX_HTML};

/// Only this origin's own files; nothing from elsewhere.
const CSP: &str = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; \
                   script-src 'self'; connect-src 'self'; base-uri 'none'; \
                   form-action 'none'; frame-ancestors 'none'";

struct AppState {
    models: Vec<ServedModel>,
    config: ServeConfig,
    /// Inference slots.
    slots: Arc<Semaphore>,
    /// `GET /api/model`, rendered once.
    model_info: Bytes,
    healthz: Bytes,
}

/// The application: the page, `/api/predict`, `/api/model`, `/healthz`. Limits and
/// timeouts of the request handlers come from `config` (connection-level timeouts are
/// applied by [`super::serve`]).
pub fn router_with(models: Vec<ServedModel>, config: &ServeConfig) -> Router {
    let model_info = Bytes::from(model_info_json(&models, config).to_string());
    let health = Bytes::from(
        json!({"status": "ok", "models": models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()})
            .to_string(),
    );
    let state = Arc::new(AppState {
        slots: Arc::new(Semaphore::new(config.max_inflight.max(1))),
        models,
        config: config.clone(),
        model_info,
        healthz: health,
    });
    // The page's files (lenet5_web::ASSETS): the page at `/`, each other file at its name.
    let mut router = Router::new().route("/", get(index).fallback(method_not_allowed));
    for a in ASSETS.iter().filter(|a| a.path != "index.html") {
        router = router.route(
            &format!("/{}", a.path),
            get(move || page_file(a)).fallback(method_not_allowed),
        );
    }
    router
        .route("/api/predict", post(predict).fallback(method_not_allowed))
        .route("/api/read", post(read).fallback(method_not_allowed))
        .route("/api/model", get(model).fallback(method_not_allowed))
        .route("/healthz", get(healthz).fallback(method_not_allowed))
        .fallback(not_found)
        .with_state(state)
}

// ---------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------

struct ApiError {
    status: StatusCode,
    message: String,
    /// Close the connection after answering (the body may be unread or half read).
    close: bool,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            close: false,
        }
    }
    fn bad(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }
    fn closing(mut self) -> Self {
        self.close = true;
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.message, "status": self.status.as_u16()}).to_string();
        let mut r = json_response(self.status, Bytes::from(body));
        if self.close {
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}

fn json_response(status: StatusCode, body: Bytes) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    r
}

async fn not_found(req: Request) -> Response {
    ApiError::new(
        StatusCode::NOT_FOUND,
        format!(
            "no such page: {}; the pages are /, /api/predict (POST), /api/model and /healthz",
            req.uri().path()
        ),
    )
    .into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    let allowed = if req.uri().path() == "/api/predict" {
        "POST"
    } else {
        "GET"
    };
    let mut r = ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!(
            "{} is not allowed on {}; use {allowed}",
            req.method(),
            req.uri().path()
        ),
    )
    .closing()
    .into_response();
    r.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    r
}

// ---------------------------------------------------------------------------------------
// Static files and information
// ---------------------------------------------------------------------------------------

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = Response::new(Body::from(body));
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    r
}

async fn index() -> Response {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn page_file(a: &'static Asset) -> Response {
    asset(a.content_type, a.body)
}

async fn model(State(st): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, st.model_info.clone())
}

async fn healthz(State(st): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, st.healthz.clone())
}

fn model_info_json(models: &[ServedModel], config: &ServeConfig) -> Value {
    let list: Vec<Value> = models
        .iter()
        .map(|m| {
            let arch = m.model.arch();
            let rows = summary(arch);
            let layers: Vec<Value> = rows
                .iter()
                .map(|l| {
                    json!({
                        "name": l.name,
                        "kind": l.kind,
                        "output": [l.output.0, l.output.1, l.output.2],
                        "params": l.params,
                        "fixed_params": l.fixed,
                        "connections": l.connections,
                    })
                })
                .collect();
            let side = if arch == Arch::Classic { 32 } else { 28 };
            json!({
                "name": m.name,
                "arch": arch.name(),
                "source": m.source,
                "input": [1, side, side],
                "layers": layers,
                "trainable_params": trainable_params(arch),
                "connections": rows.iter().map(|l| l.connections).sum::<usize>(),
                "output": if arch == Arch::Classic {
                    "RBF distances (smaller = closer)"
                } else {
                    "logits (larger = more likely)"
                },
                "summary": render(arch),
            })
        })
        .collect();
    json!({
        "models": list,
        "default": models.first().map(|m| m.name.as_str()),
        "glyphs": {"width": GLYPH_W, "height": GLYPH_H, "bitmaps": GLYPHS},
        "limits": {
            "max_body_bytes": config.max_body_bytes,
            "max_image_side": config.max_image_side,
            "pixels": 784,
        },
    })
}

// ---------------------------------------------------------------------------------------
// Prediction
// ---------------------------------------------------------------------------------------

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

enum Input {
    Pixels {
        pixels: Box<[u8; 784]>,
        preprocess: bool,
    },
    Image(Bytes),
}

/// Options from the query string (`?model=modern&activations=true`); JSON fields win.
#[derive(Default)]
struct Query {
    model: Option<String>,
    activations: Option<bool>,
}

fn parse_bool(key: &str, v: &str) -> Result<bool, ApiError> {
    match v {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ApiError::bad(format!(
            "query parameter {key}={v:?}: expected true or false"
        ))),
    }
}

fn parse_query(q: Option<&str>) -> Result<Query, ApiError> {
    let mut out = Query::default();
    for pair in q.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match k {
            "model" => out.model = Some(v.to_string()),
            "activations" => out.activations = Some(parse_bool(k, v)?),
            _ => {
                return Err(ApiError::bad(format!(
                    "unknown query parameter {k:?}; known: model, activations"
                )));
            }
        }
    }
    Ok(out)
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}

async fn read_body(body: Body, config: &ServeConfig) -> Result<Bytes, ApiError> {
    let limited = Limited::new(body, config.max_body_bytes);
    match tokio::time::timeout(config.body_timeout, limited.collect()).await {
        Err(_) => Err(ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            format!(
                "the request body did not arrive within {} s",
                config.body_timeout.as_secs_f32()
            ),
        )
        .closing()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => Err(too_large(config)),
        Ok(Err(e)) => Err(ApiError::bad(format!("could not read the request body: {e}")).closing()),
        Ok(Ok(c)) => Ok(c.to_bytes()),
    }
}

fn too_large(config: &ServeConfig) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "request body larger than {} bytes; send a smaller image (a few hundred pixels a side is plenty)",
            config.max_body_bytes
        ),
    )
    .closing()
}

fn parse_pixels_json(body: &[u8]) -> Result<(PixelsRequest, [u8; 784]), ApiError> {
    let req: PixelsRequest = serde_json::from_slice(body).map_err(|e| {
        if e.is_data() {
            ApiError::bad(format!(
                "JSON does not match {{\"pixels\": [784 numbers 0-255], \"model\": \"classic\"|\"modern\", \
                 \"activations\": bool, \"preprocess\": bool}}: {e}"
            ))
        } else {
            ApiError::bad(format!("malformed JSON: {e}"))
        }
    })?;
    if req.pixels.len() != 784 {
        return Err(ApiError::bad(format!(
            "pixels: expected 784 numbers (28x28, row-major), got {}",
            req.pixels.len()
        )));
    }
    let mut px = [0u8; 784];
    for (i, (&v, p)) in req.pixels.iter().zip(px.iter_mut()).enumerate() {
        if !(0.0..=255.0).contains(&v) {
            return Err(ApiError::bad(format!(
                "pixels[{i}] = {v} is out of range: values must be 0-255 (0 = background, 255 = ink)"
            )));
        }
        *p = v.round() as u8;
    }
    Ok((req, px))
}

fn check_dimensions(bytes: &[u8], max_side: u32) -> Result<(), ApiError> {
    let not_image = || {
        ApiError::bad(
            "the body is not a PNG, JPEG or BMP image; send an image with Content-Type image/png \
             (or image/jpeg, image/bmp), or JSON with Content-Type application/json",
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
        .map_err(|e| ApiError::bad(format!("the image cannot be read: {e}")))?;
    if w > max_side || h > max_side {
        return Err(ApiError::bad(format!(
            "the image is {w}x{h} pixels; at most {max_side} a side is accepted, scale it down"
        )));
    }
    Ok(())
}

async fn predict(State(st): State<Arc<AppState>>, req: Request) -> Response {
    match predict_inner(st, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn predict_inner(st: Arc<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let query = parse_query(parts.uri.query())?;
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > st.config.max_body_bytes as u64
    {
        return Err(too_large(&st.config));
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let bytes = read_body(body, &st.config).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad(
            "empty body: send a PNG/JPEG/BMP image (Content-Type image/png) or JSON {\"pixels\": [784 numbers 0-255]}",
        ));
    }

    let (input, model_name, want_act) = if is_json(&content_type) {
        let (req, pixels) = parse_pixels_json(&bytes)?;
        (
            Input::Pixels {
                pixels: Box::new(pixels),
                preprocess: req.preprocess.unwrap_or(false),
            },
            req.model.or(query.model),
            req.activations.or(query.activations).unwrap_or(false),
        )
    } else {
        (
            Input::Image(bytes),
            query.model,
            query.activations.unwrap_or(false),
        )
    };

    if st.models.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no model is loaded; start the server with --model FILE",
        ));
    }
    let index = match &model_name {
        None => 0,
        Some(name) => st
            .models
            .iter()
            .position(|m| &m.name == name)
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "model {name:?} is not loaded; loaded: {}",
                    st.models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
    };

    let permit =
        match tokio::time::timeout(st.config.queue_timeout, st.slots.clone().acquire_owned()).await
        {
            Ok(Ok(p)) => p,
            _ => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy; try again in a moment",
                ));
            }
        };
    let st2 = st.clone();
    let job = tokio::task::spawn_blocking(move || {
        let r = infer(&st2, index, input, want_act);
        drop(permit);
        r
    });
    let value = match job.await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while recognising the image",
            ));
        }
    };
    let body = serde_json::to_vec(&value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the answer: {e}"),
        )
    })?;
    Ok(json_response(StatusCode::OK, Bytes::from(body)))
}

/// Rounds an activation to 1/1000: plenty for a picture, a third of the JSON.
fn r3(v: &[f32]) -> Vec<f32> {
    v.iter().map(|x| (x * 1000.0).round() / 1000.0).collect()
}

/// The answer of `POST /api/predict`. Floats are serialised as `f32` (shortest form).
#[derive(Serialize)]
struct PredictResponse {
    model: String,
    digit: u8,
    confidence: f32,
    scores: [f32; 10],
    outputs: [f32; 10],
    output_kind: &'static str,
    input: Vec<u8>,
    input_shape: [usize; 2],
    blank: bool,
    /// Image inputs: the picture was dark ink on light and was inverted.
    inverted: bool,
    /// Image inputs: the ink's box in the picture, `[x, y, width, height]`.
    ink_bbox: Option<[u32; 4]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rbf: Option<Rbf>,
    #[serde(skip_serializing_if = "Option::is_none")]
    activations: Option<Vec<Layer>>,
    elapsed_ms: f64,
}

#[derive(Serialize)]
struct Rbf {
    glyph_shape: [usize; 2],
    /// All ten classes, nearest bitmap first.
    nearest: Vec<Nearest>,
}

#[derive(Serialize)]
struct Nearest {
    digit: usize,
    distance: f32,
    glyph: &'static str,
}

#[derive(Serialize)]
struct Layer {
    key: &'static str,
    name: &'static str,
    shape: Vec<usize>,
    data: Vec<f32>,
}

/// Runs on the blocking pool: decode, preprocess, forward.
fn infer(
    st: &AppState,
    index: usize,
    input: Input,
    want_act: bool,
) -> Result<PredictResponse, ApiError> {
    let t0 = Instant::now();
    let served = &st.models[index];
    let pre: Preprocessed = match input {
        Input::Pixels {
            pixels,
            preprocess: false,
        } => Preprocessed {
            pixels: *pixels,
            blank: pixels.iter().all(|&p| p == 0),
            inverted: false,
            ink_bbox: None,
        },
        Input::Pixels {
            pixels,
            preprocess: true,
        } => {
            let img = GrayImage::from_raw(28, 28, pixels.to_vec())
                .ok_or_else(|| ApiError::bad("pixels: expected 784 values"))?;
            preprocess(&DynamicImage::ImageLuma8(img))
        }
        Input::Image(bytes) => {
            check_dimensions(&bytes, st.config.max_image_side)?;
            let img = decode_image(&bytes, Path::new("request body"))
                .map_err(|e| ApiError::bad(e.to_string()))?;
            preprocess(&img)
        }
    };
    let model = &served.model;
    let arch = model.arch();
    let (p, act) = if want_act {
        let (p, a) = model.explain_28x28(&pre.pixels);
        (p, Some(a))
    } else {
        (model.forward_28x28(&pre.pixels), None)
    };
    let rbf = (arch == Arch::Classic).then(|| {
        let mut order: Vec<(usize, f32)> = p.outputs.iter().copied().enumerate().collect();
        order.sort_by(|a, b| a.1.total_cmp(&b.1));
        Rbf {
            glyph_shape: [GLYPH_H, GLYPH_W],
            nearest: order
                .into_iter()
                .map(|(digit, distance)| Nearest {
                    digit,
                    distance,
                    glyph: GLYPHS[digit],
                })
                .collect(),
        }
    });
    let activations = act.map(|a| {
        let names: Vec<&'static str> = summary(arch).iter().map(|l| l.name).collect();
        let name = |i: usize| names.get(i).copied().unwrap_or("?");
        let side = if arch == Arch::Classic { 32 } else { 28 };
        let layer = |key, name, shape: Vec<usize>, data: &[f32]| Layer {
            key,
            name,
            shape,
            data: r3(data),
        };
        vec![
            layer("input", "input", vec![1, side, side], &a.input),
            layer("c1", name(0), vec![6, 28, 28], &a.c1),
            layer("s2", name(1), vec![6, 14, 14], &a.s2),
            layer("c3", name(2), vec![16, 10, 10], &a.c3),
            layer("s4", name(3), vec![16, 5, 5], &a.s4),
            layer("c5", name(4), vec![120], &a.c5),
            layer("f6", name(5), vec![84], &a.f6),
            layer("output", name(6), vec![10], &a.output),
        ]
    });
    Ok(PredictResponse {
        model: served.name.clone(),
        digit: p.digit,
        confidence: p.confidence(),
        scores: p.scores,
        outputs: p.outputs,
        output_kind: if arch == Arch::Classic {
            "rbf_distance"
        } else {
            "logit"
        },
        input: pre.pixels.to_vec(),
        input_shape: [28, 28],
        blank: pre.blank,
        inverted: pre.inverted,
        ink_bbox: pre.ink_bbox.map(|(x, y, w, h)| [x, y, w, h]),
        rbf,
        activations,
        elapsed_ms: (t0.elapsed().as_secs_f64() * 1e6).round() / 1e3,
    })
}

// ---------------------------------------------------------------------------------------
// POST /api/read: a line of digits in a picture → the number
// ---------------------------------------------------------------------------------------

/// The answer of `POST /api/read`: [`lenet5::read::Reading`] plus the model and the time.
#[derive(Serialize)]
struct ReadResponse {
    model: String,
    #[serde(flatten)]
    reading: lenet5::read::Reading,
    ms: f64,
}

/// `POST /api/read?model=NAME` with a PNG/JPEG/BMP body: the digits read, each one's box,
/// probabilities and runner-up, and the string's confidence. Same body, size and
/// concurrency limits as `/api/predict`.
async fn read(State(st): State<Arc<AppState>>, req: Request) -> Response {
    match read_inner(st, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn read_inner(st: Arc<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
    let query = parse_query(parts.uri.query())?;
    if query.activations.is_some() {
        return Err(ApiError::bad(
            "activations are not available from /api/read; known query parameter: model",
        ));
    }
    if let Some(len) = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > st.config.max_body_bytes as u64
    {
        return Err(too_large(&st.config));
    }
    let json_body = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(is_json);
    let bytes = read_body(body, &st.config).await?;
    if bytes.is_empty() || json_body {
        return Err(ApiError::bad(
            "send the picture of the number itself: a PNG/JPEG/BMP body (Content-Type image/png)",
        ));
    }
    check_dimensions(&bytes, st.config.max_image_side)?;
    if st.models.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no model is loaded; start the server with --model FILE",
        ));
    }
    let index = match &query.model {
        None => 0,
        Some(name) => st
            .models
            .iter()
            .position(|m| &m.name == name)
            .ok_or_else(|| {
                ApiError::bad(format!(
                    "model {name:?} is not loaded; loaded: {}",
                    st.models
                        .iter()
                        .map(|m| m.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
    };
    let permit =
        match tokio::time::timeout(st.config.queue_timeout, st.slots.clone().acquire_owned()).await
        {
            Ok(Ok(p)) => p,
            _ => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the server is busy; try again in a moment",
                ));
            }
        };
    let st2 = st.clone();
    let job = tokio::task::spawn_blocking(move || {
        let t0 = Instant::now();
        let r = decode_image(&bytes, Path::new("request body"))
            .map_err(|e| ApiError::bad(e.to_string()))
            .map(|img| {
                let served = &st2.models[index];
                ReadResponse {
                    model: served.name.clone(),
                    reading: served.model.read(&img),
                    ms: t0.elapsed().as_secs_f64() * 1000.0,
                }
            });
        drop(permit);
        r
    });
    let value = match job.await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error while reading the image",
            ));
        }
    };
    let body = serde_json::to_vec(&value).map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot encode the answer: {e}"),
        )
    })?;
    Ok(json_response(StatusCode::OK, Bytes::from(body)))
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
        let e = parse_pixels_json(short.as_bytes()).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("got 783")));
        let mut v = vec!["0"; 784];
        v[5] = "256";
        let big = format!("{{\"pixels\": [{}]}}", v.join(","));
        let e = parse_pixels_json(big.as_bytes()).err().map(|e| e.message);
        assert!(e.is_some_and(|m| m.contains("pixels[5]")));
        v[5] = "-1";
        let neg = format!("{{\"pixels\": [{}]}}", v.join(","));
        assert!(parse_pixels_json(neg.as_bytes()).is_err());
        let e = parse_pixels_json(b"{\"pixels\": [1,2")
            .err()
            .map(|e| e.message);
        assert!(e.is_some_and(|m| m.starts_with("malformed JSON")));
        let e = parse_pixels_json(b"{\"pixel\": []}")
            .err()
            .map(|e| e.message);
        assert!(e.is_some_and(|m| m.starts_with("JSON does not match")));
    }
}
