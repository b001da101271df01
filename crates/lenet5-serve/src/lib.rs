//! `lenet5 serve`: a small web server that recognises digits drawn in the browser and
//! shows what every layer of LeNet-5 computed.
//!
//! * `GET /` — the page (HTML, script and style are compiled into the binary; no build
//!   step, nothing fetched from the internet).
//! * `POST /api/predict` — a PNG/JPEG/BMP body (`Content-Type: image/*`), or JSON
//!   `{"pixels": [784 numbers 0-255], "model": "classic"|"modern", "activations": true}`.
//! * `POST /api/read` — a picture of a line of digits → the number, read by the bundled
//!   reader ([`lenet5::Model::bundled_reader`]) or `?model=classic|modern`.
//! * `GET /api/model` — the architecture summary of every loaded model, and of the
//!   bundled reader (`"reader"`: what `/api/read` uses by default).
//! * `GET /healthz` — liveness.
//!
//! Hardening: bodies over [`ServeConfig::max_body_bytes`] get 413; headers must arrive
//! within [`ServeConfig::header_timeout`] and the body within
//! [`ServeConfig::body_timeout`], otherwise the connection is dropped; a connection on
//! which nothing moves for [`ServeConfig::idle_timeout`] is closed; inference runs on
//! tokio's blocking pool, at most [`ServeConfig::max_inflight`] at once; at most
//! [`ServeConfig::max_connections`] connections are served at once.

mod api;
mod idle;
pub mod request;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use lenet5::bundled::Resolved;
use lenet5::model::Arch;
use lenet5::{Error, Model, Result};

pub use api::router_with;
/// The body type of [`parse_predict_request`] (axum's, re-exported).
pub use axum::body::Bytes;
pub use request::{BadRequest, PredictInput, PredictRequest, parse_predict_request};

/// One loaded network and where it came from.
#[derive(Clone, Debug)]
pub struct ServedModel {
    /// `"classic"` or `"modern"`: the name clients select it by.
    pub name: String,
    /// Where it was loaded from (a file path), for `GET /api/model`.
    pub source: String,
    /// The network.
    pub model: Model,
}

impl ServedModel {
    /// Wraps a model; its name is its architecture.
    pub fn new(model: Model, source: impl Into<String>) -> ServedModel {
        ServedModel {
            name: model.arch().name().to_string(),
            source: source.into(),
            model,
        }
    }
}

/// Limits and timeouts of the server. [`ServeConfig::default`] is what `lenet5 serve`
/// uses; tests shorten the timeouts.
#[derive(Clone, Debug)]
pub struct ServeConfig {
    /// Largest request body accepted (larger: 413). Default 2 MB.
    pub max_body_bytes: usize,
    /// Time allowed for a request's headers, counted from when the server starts waiting
    /// for them (so it is also how long an idle keep-alive connection stays open).
    pub header_timeout: Duration,
    /// Time allowed to receive a whole request body once its handler starts reading it.
    pub body_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed (covers
    /// clients that stop reading responses).
    pub idle_timeout: Duration,
    /// Longest wait for an inference slot before answering 503.
    pub queue_timeout: Duration,
    /// Inferences (and image decodes) running at once.
    pub max_inflight: usize,
    /// Connections served at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Largest width or height of an uploaded image (larger: 400).
    pub max_image_side: u32,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            max_body_bytes: 2 * 1024 * 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            queue_timeout: Duration::from_secs(10),
            max_inflight: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_connections: 1024,
            max_image_side: 4096,
        }
    }
}

/// The models to serve, from [`lenet5::bundled::resolve`] (the files given, else the
/// default checkpoints in the folder, else the bundled networks): at most one per
/// architecture, classic first.
pub fn served_models(resolved: Vec<Resolved>) -> Result<Vec<ServedModel>> {
    let mut models: Vec<ServedModel> = resolved
        .into_iter()
        .map(|r| ServedModel::new(r.model, r.source))
        .collect();
    check_unique(&models)?;
    // Classic first: it is the default (the paper's network).
    models.sort_by_key(|m| m.model.arch() != Arch::Classic);
    Ok(models)
}

fn check_unique(models: &[ServedModel]) -> Result<()> {
    for (i, m) in models.iter().enumerate() {
        if let Some(o) = models[..i].iter().find(|o| o.name == m.name) {
            return Err(Error::Usage(format!(
                "two {} models given ({} and {}); pass at most one classic and one modern --model",
                m.name, o.source, m.source
            )));
        }
    }
    Ok(())
}

/// The application with the default limits (see [`router_with`]).
pub fn router(models: Vec<ServedModel>) -> axum::Router {
    router_with(models, &ServeConfig::default())
}

/// Serves `models` on `listener` until `shutdown` completes. Each connection is HTTP/1.1
/// with keep-alive, the header timeout of `config`, and the idle timeout.
pub async fn serve(
    listener: TcpListener,
    models: Vec<ServedModel>,
    config: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    if models.is_empty() {
        return Err(Error::Usage("no model to serve".into()));
    }
    check_unique(&models)?;
    let app = router_with(models, &config);
    let connections = Arc::new(Semaphore::new(config.max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return Ok(()),
            },
            () = &mut shutdown => return Ok(()),
        };
        let (stream, _peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(s) => s,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little, keep serving.
                    eprintln!("serve: accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(idle::IdleTimeout::new(stream, config.idle_timeout));
        let svc = TowerToHyperService::new(app.clone());
        let header_timeout = config.header_timeout;
        tokio::spawn(async move {
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                // A client may shut down its sending side and wait for the answer.
                .half_close(true);
            // Errors here are the client's (reset, timeout, bad request line): nothing to do.
            let _ = builder.serve_connection(io, svc).await;
            drop(permit);
        });
    }
}

/// `lenet5 serve`: serves `models` (see [`served_models`]) on `addr` until Ctrl-C.
pub fn run(models: Vec<Resolved>, addr: SocketAddr) -> Result<()> {
    let models = served_models(models)?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async move {
        let listener = TcpListener::bind(addr).await.map_err(|e| {
            Error::Usage(format!(
                "cannot listen on {addr}: {e} (is another server using the port? try --addr 127.0.0.1:0 for any free port)"
            ))
        })?;
        let local = listener.local_addr().map_err(|e| Error::Usage(e.to_string()))?;
        for m in &models {
            println!("loaded {} model from {}", m.name, m.source);
        }
        if !local.ip().is_loopback() {
            println!("warning: listening on {local}, reachable from other machines");
        }
        println!("serving on http://{local}/  (Ctrl-C to stop)");
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        serve(listener, models, ServeConfig::default(), shutdown).await
    })
}
