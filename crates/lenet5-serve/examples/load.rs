//! Load generator for `lenet5 serve`: N keep-alive clients post 28x28 digits as JSON for a
//! fixed time on loopback, then it prints requests/s, latency percentiles and errors.
//! While the load runs it also sends an oversized body, malformed JSON, a non-image, a
//! body that stalls half way and a connection that never sends anything, and checks
//! that each is refused the way it should be (413, 400, 400, 408 + close, close).
//!
//! ```sh
//! cargo run --release -- serve --addr 127.0.0.1:8080 &           # the server
//! cargo run --release --example load -- --addr 127.0.0.1:8080    # 64 clients, 10 s
//! ```
//!
//! The digits are MNIST test images (from $LENET5_DATA, else ./data/mnist) when
//! present, so the answers are also checked against the labels; otherwise synthetic.
//! Only loopback addresses are accepted. Exits non-zero on any error or failed probe.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Parser)]
#[command(about = "Load test for `lenet5 serve` (loopback only)")]
struct Args {
    /// Server address (loopback only).
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Model to ask for (default: the server's default).
    #[arg(long)]
    model: Option<String>,
    /// Ask for every layer's activations too (about 90 KB per answer).
    #[arg(long)]
    activations: bool,
    /// Skip the misbehaving-client probes.
    #[arg(long)]
    no_probes: bool,
    /// The server's body timeout in seconds (how long the stalled-body probe may wait).
    #[arg(long, default_value_t = 10.0)]
    server_timeout: f64,
}

#[derive(Default)]
struct Stats {
    latencies_us: Vec<u32>,
    ok: u64,
    bad_status: u64,
    io_errors: u64,
    connects: u64,
    labelled: u64,
    correct: u64,
}

/// Request bodies: (JSON, label if known).
fn bodies(model: Option<&str>, activations: bool) -> Vec<(Bytes, Option<u8>)> {
    let dir = lenet5::data::mnist::resolve_data_dir(None);
    let make = |px: &[u8]| {
        let mut j = serde_json::json!({ "pixels": px });
        if let Some(m) = model {
            j["model"] = m.into();
        }
        if activations {
            j["activations"] = true.into();
        }
        Bytes::from(j.to_string())
    };
    match lenet5::data::mnist::load(&dir) {
        Ok(m) => (0..m.test.len().min(2000))
            .map(|i| (make(m.test.image(i)), Some(m.test.label(i))))
            .collect(),
        Err(e) => {
            eprintln!("note: no MNIST ({e}); sending synthetic digits");
            (0..200u32)
                .map(|k| {
                    let px: Vec<u8> = (0..784u32)
                        .map(|i| {
                            let (x, y) = (i % 28, i / 28);
                            if (x + k % 5).abs_diff(14) < 2 && (4..24).contains(&y) {
                                255
                            } else {
                                0
                            }
                        })
                        .collect();
                    (make(&px), None)
                })
                .collect()
        }
    }
}

/// The digit in an answer, found without parsing the whole JSON.
fn digit_of(body: &[u8]) -> Option<u8> {
    let key = b"\"digit\":";
    let p = body.windows(key.len()).position(|w| w == key)?;
    body.get(p + key.len())
        .filter(|c| c.is_ascii_digit())
        .map(|c| c - b'0')
}

async fn client(
    addr: SocketAddr,
    bodies: Arc<Vec<(Bytes, Option<u8>)>>,
    start: usize,
    step: usize,
    deadline: Instant,
) -> Stats {
    let mut st = Stats::default();
    let mut sender: Option<hyper::client::conn::http1::SendRequest<Full<Bytes>>> = None;
    let mut i = start;
    while Instant::now() < deadline {
        let s = match sender.as_mut() {
            Some(s) => s,
            None => {
                let conn = async {
                    let tcp = TcpStream::connect(addr).await?;
                    tcp.set_nodelay(true)?;
                    hyper::client::conn::http1::handshake(TokioIo::new(tcp))
                        .await
                        .map_err(std::io::Error::other)
                };
                match conn.await {
                    Ok((s, c)) => {
                        tokio::spawn(async move {
                            let _ = c.await;
                        });
                        st.connects += 1;
                        sender.insert(s)
                    }
                    Err(_) => {
                        st.io_errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                }
            }
        };
        let (body, label) = &bodies[i % bodies.len()];
        i += step;
        let req = match Request::post("/api/predict")
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(body.clone()))
        {
            Ok(r) => r,
            Err(_) => break,
        };
        let t = Instant::now();
        let answer = async {
            s.ready().await?;
            let resp = s.send_request(req).await?;
            let status = resp.status();
            let body = resp.into_body().collect().await?.to_bytes();
            Ok::<_, hyper::Error>((status, body))
        };
        match answer.await {
            Ok((status, body)) => {
                st.latencies_us
                    .push(t.elapsed().as_micros().min(u32::MAX as u128) as u32);
                if status == StatusCode::OK {
                    st.ok += 1;
                    if let Some(l) = label {
                        st.labelled += 1;
                        st.correct += (digit_of(&body) == Some(*l)) as u64;
                    }
                } else {
                    st.bad_status += 1;
                }
            }
            Err(_) => {
                st.io_errors += 1;
                sender = None;
            }
        }
    }
    st
}

/// Sends `head` then `body` (ignoring write errors once the server has answered) and
/// reads until the server closes. Returns (status, elapsed until closed).
async fn raw(
    addr: SocketAddr,
    head: String,
    body: Vec<u8>,
    stall: bool,
    limit: Duration,
) -> (Option<u16>, Duration) {
    let t0 = Instant::now();
    let Ok(tcp) = TcpStream::connect(addr).await else {
        return (None, t0.elapsed());
    };
    let (mut rd, mut wr) = tcp.into_split();
    let writer = tokio::spawn(async move {
        if wr.write_all(head.as_bytes()).await.is_ok() {
            let _ = wr.write_all(&body).await;
        }
        if stall {
            // Keep the write half open and say nothing more.
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        drop(wr);
    });
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let read = tokio::time::timeout(limit, async {
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    writer.abort();
    let status = std::str::from_utf8(got.get(9..12).unwrap_or(b""))
        .ok()
        .and_then(|s| s.parse().ok());
    if read.is_err() {
        return (status, limit + Duration::from_secs(1)); // never closed
    }
    (status, t0.elapsed())
}

struct Probe {
    name: &'static str,
    result: String,
    ok: bool,
}

async fn probes(addr: SocketAddr, server_timeout: Duration) -> Vec<Probe> {
    let limit = server_timeout + Duration::from_secs(5);
    let post = |ct: &str, len: usize| {
        format!(
            "POST /api/predict HTTP/1.1\r\nHost: {addr}\r\nContent-Type: {ct}\r\nContent-Length: {len}\r\n\r\n"
        )
    };
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Started first: they take the server's timeout to finish.
    let slow = tokio::spawn(raw(
        addr,
        post("application/json", 5000),
        b"{\"pixels\": [0, 0, 0".to_vec(),
        true,
        limit,
    ));
    let silent = tokio::spawn(raw(addr, String::new(), Vec::new(), true, limit));
    tokio::time::sleep(Duration::from_secs(1)).await;
    let big = vec![b'7'; 3_000_000];
    let (s_big, t_big) = raw(addr, post("image/png", big.len()), big, false, limit).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let bad_json = b"{\"pixels\": [0, 0,".to_vec();
    let (s_json, t_json) = raw(
        addr,
        post("application/json", bad_json.len()),
        bad_json,
        false,
        limit,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = b"this is not a picture".to_vec();
    let (s_img, t_img) = raw(addr, post("image/png", text.len()), text, false, limit).await;
    let (s_slow, t_slow) = slow.await.unwrap_or((None, limit));
    let (_, t_silent) = silent.await.unwrap_or((None, limit));
    let quick = |s: Option<u16>, want: u16, t: Duration| {
        (
            s == Some(want),
            format!(
                "{} in {:.1} ms",
                s.map_or("no answer".into(), |s| s.to_string()),
                t.as_secs_f64() * 1e3
            ),
        )
    };
    let mut out = Vec::new();
    let (ok, r) = quick(s_big, 413, t_big);
    out.push(Probe {
        name: "oversized body (3 MB)",
        result: r,
        ok,
    });
    let (ok, r) = quick(s_json, 400, t_json);
    out.push(Probe {
        name: "malformed JSON",
        result: r,
        ok,
    });
    let (ok, r) = quick(s_img, 400, t_img);
    out.push(Probe {
        name: "non-image body",
        result: r,
        ok,
    });
    out.push(Probe {
        name: "body stalled after 19 of 5000 bytes",
        result: format!(
            "{} and closed after {:.1} s",
            s_slow.map_or("no answer".into(), |s| s.to_string()),
            t_slow.as_secs_f64()
        ),
        ok: s_slow == Some(408) && t_slow < limit,
    });
    out.push(Probe {
        name: "connection that sends nothing",
        result: format!("closed after {:.1} s", t_silent.as_secs_f64()),
        ok: t_silent < limit,
    });
    out
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)] as f64 / 1000.0
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!(
            "error: {} is not a loopback address; this tool only loads servers on this machine (127.0.0.1)",
            args.addr
        );
        return ExitCode::FAILURE;
    }
    let bodies = Arc::new(bodies(args.model.as_deref(), args.activations));
    // Is the server there?
    match TcpStream::connect(args.addr).await {
        Ok(_) => {}
        Err(e) => {
            eprintln!(
                "error: cannot connect to {}: {e}; start it first: lenet5 serve --addr {}",
                args.addr, args.addr
            );
            return ExitCode::FAILURE;
        }
    }
    println!(
        "load: {} keep-alive clients for {:.0} s, POST http://{}/api/predict, JSON 28x28 pixels, model {}, activations {}",
        args.clients,
        args.seconds,
        args.addr,
        args.model.as_deref().unwrap_or("(server default)"),
        if args.activations { "on" } else { "off" }
    );
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(args.seconds);
    let probe_task = (!args.no_probes).then(|| {
        tokio::spawn(probes(
            args.addr,
            Duration::from_secs_f64(args.server_timeout),
        ))
    });
    let tasks: Vec<_> = (0..args.clients)
        .map(|c| tokio::spawn(client(args.addr, bodies.clone(), c, args.clients, deadline)))
        .collect();
    let mut all = Stats::default();
    for t in tasks {
        if let Ok(s) = t.await {
            all.latencies_us.extend(s.latencies_us);
            all.ok += s.ok;
            all.bad_status += s.bad_status;
            all.io_errors += s.io_errors;
            all.connects += s.connects;
            all.labelled += s.labelled;
            all.correct += s.correct;
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    all.latencies_us.sort_unstable();
    let l = &all.latencies_us;
    let total = all.ok + all.bad_status;
    println!(
        "requests: {total} answered ({} ok, {} non-200), {} connection errors, {} connections opened",
        all.ok, all.bad_status, all.io_errors, all.connects
    );
    println!("throughput: {:.0} requests/s", total as f64 / secs);
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(l, 0.50),
        percentile(l, 0.90),
        percentile(l, 0.99),
        percentile(l, 1.0)
    );
    if all.labelled > 0 {
        println!(
            "answers: {:.2}% of {} MNIST test digits recognised",
            100.0 * all.correct as f64 / all.labelled as f64,
            all.labelled
        );
    }
    let mut ok = all.bad_status == 0 && all.io_errors == 0 && total > 0;
    if let Some(p) = probe_task {
        println!("misbehaving clients during the load:");
        match p.await {
            Ok(list) => {
                for pr in list {
                    println!(
                        "  {:<38} {:<32} {}",
                        pr.name,
                        pr.result,
                        if pr.ok { "ok" } else { "FAILED" }
                    );
                    ok &= pr.ok;
                }
            }
            Err(e) => {
                println!("  probes crashed: {e}");
                ok = false;
            }
        }
    }
    println!("{}", if ok { "result: ok" } else { "result: FAILED" });
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
