//! Routes and handlers. Every error answer is JSON `{"error": "...", "status": N}`.

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
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use super::request::{
    BadRequest, PredictInput, PredictRequest, check_dimensions, is_json, parse_predict_request,
    parse_query,
};
use super::{ServeConfig, ServedModel};
use lenet5::data::image::decode_image;
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
    /// The bundled reader: what `/api/read` uses unless `?model=` names another.
    reader: ServedModel,
    config: ServeConfig,
    /// Inference slots.
    slots: Arc<Semaphore>,
    /// `GET /api/model`, rendered once.
    model_info: Bytes,
    healthz: Bytes,
}

impl AppState {
    /// The index of the loaded model called `name`; the error lists the loaded ones and
    /// `also` (other names the endpoint answers to).
    fn find_model(&self, name: &str, also: &[&str]) -> Result<usize, ApiError> {
        self.models
            .iter()
            .position(|m| m.name == name)
            .ok_or_else(|| {
                let loaded: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
                ApiError::bad(format!(
                    "model {name:?} is not loaded; loaded: {}",
                    [loaded.as_slice(), also].concat().join(", ")
                ))
            })
    }
}

/// The application: the page, `/api/predict`, `/api/model`, `/healthz`. Limits and
/// timeouts of the request handlers come from `config` (connection-level timeouts are
/// applied by [`super::serve`]).
pub fn router_with(models: Vec<ServedModel>, config: &ServeConfig) -> Router {
    let reader = ServedModel {
        name: READER.into(),
        source: lenet5::bundled::READER_SOURCE.into(),
        model: lenet5::Model::bundled_reader(),
    };
    let model_info = Bytes::from(model_info_json(&models, &reader, config).to_string());
    let health = Bytes::from(
        json!({"status": "ok", "models": models.iter().map(|m| m.name.as_str()).collect::<Vec<_>>()})
            .to_string(),
    );
    let state = Arc::new(AppState {
        slots: Arc::new(Semaphore::new(config.max_inflight.max(1))),
        models,
        reader,
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

impl From<BadRequest> for ApiError {
    fn from(e: BadRequest) -> Self {
        ApiError::bad(e.0)
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
            "no such page: {}; the pages are /, /api/predict (POST), /api/read (POST), /api/model and /healthz",
            req.uri().path()
        ),
    )
    .into_response()
}

async fn method_not_allowed(req: Request) -> Response {
    let allowed = if matches!(req.uri().path(), "/api/predict" | "/api/read") {
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

/// `GET /api/model`: the loaded models (`/api/predict`'s choice), the bundled reader
/// (what `/api/read` uses by default: the page's number mode), the RBF bitmaps, the
/// limits.
fn model_info_json(models: &[ServedModel], reader: &ServedModel, config: &ServeConfig) -> Value {
    json!({
        "models": models.iter().map(describe).collect::<Vec<_>>(),
        "default": models.first().map(|m| m.name.as_str()),
        "reader": describe(reader),
        "glyphs": {"width": GLYPH_W, "height": GLYPH_H, "bitmaps": GLYPHS},
        "limits": {
            "max_body_bytes": config.max_body_bytes,
            "max_image_side": config.max_image_side,
            "pixels": 784,
        },
    })
}

/// One model in `GET /api/model`: its name, architecture, source, layers.
fn describe(m: &ServedModel) -> Value {
    let arch = m.model.arch();
    let rows = summary(arch);
    let layers = json!(rows);
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
}

// ---------------------------------------------------------------------------------------
// Prediction
// ---------------------------------------------------------------------------------------

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

async fn predict(State(st): State<Arc<AppState>>, req: Request) -> Response {
    match predict_inner(st, req).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn predict_inner(st: Arc<AppState>, req: Request) -> Result<Response, ApiError> {
    let (parts, body) = req.into_parts();
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
    let PredictRequest {
        input,
        model: model_name,
        activations: want_act,
    } = parse_predict_request(&content_type, parts.uri.query(), bytes)?;

    if st.models.is_empty() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "no model is loaded; start the server with --model FILE",
        ));
    }
    let index = match &model_name {
        None => 0,
        Some(name) => st.find_model(name, &[])?,
    };

    let st2 = st.clone();
    in_a_slot(&st, "recognising", move || {
        infer(&st2, index, input, want_act)
    })
    .await
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
    input: PredictInput,
    want_act: bool,
) -> Result<PredictResponse, ApiError> {
    let t0 = Instant::now();
    let served = &st.models[index];
    let pre = input.preprocessed(st.config.max_image_side)?;
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

/// The name `/api/read?model=` selects the bundled reader by (also the default).
const READER: &str = lenet5::bundled::READER_NAME;

/// `POST /api/read?model=NAME` with a PNG/JPEG/BMP body: the digits read, each one's box,
/// probabilities and runner-up, and the string's confidence. `NAME` is `reader` (the
/// default: the bundled network trained on cut pieces, [`lenet5::Model::bundled_reader`])
/// or a loaded model. Same body, size and concurrency limits as `/api/predict`.
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
    let index = match query.model.as_deref() {
        None | Some(READER) => None,
        Some(name) => Some(st.find_model(name, &[READER])?),
    };
    let st2 = st.clone();
    in_a_slot(&st, "reading", move || {
        let t0 = Instant::now();
        decode_image(&bytes, Path::new("request body"))
            .map_err(|e| ApiError::bad(e.to_string()))
            .map(|img| {
                let served = index.map_or(&st2.reader, |i| &st2.models[i]);
                ReadResponse {
                    model: served.name.clone(),
                    reading: served.model.read(&img),
                    ms: t0.elapsed().as_secs_f64() * 1000.0,
                }
            })
    })
    .await
}

/// Runs `job` (an inference, a decode) on tokio's blocking pool once an inference slot is
/// free (503 after [`ServeConfig::queue_timeout`]), and answers its value as JSON.
/// `doing` names the job in the message of a panic's 500.
async fn in_a_slot<T: Serialize + Send + 'static>(
    st: &AppState,
    doing: &str,
    job: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<Response, ApiError> {
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
    let job = tokio::task::spawn_blocking(move || {
        let r = job();
        drop(permit);
        r
    });
    let value = match job.await {
        Ok(r) => r?,
        Err(_) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("internal error while {doing} the image"),
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
