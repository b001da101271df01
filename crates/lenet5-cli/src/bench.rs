//! `lenet5 bench`: a fixed, documented speed workload.
//!
//! **Workload.** Synthetic 28x28 images (deterministic: seed 7, about 20 % ink pixels
//! with random grey levels, random labels), so the benchmark needs no download and
//! every run computes the same thing. Timing does not depend on pixel values: every
//! kernel is dense.
//!
//! - `train`: one pass of the real trainer ([`Trainer::run`], `--images` images, seed 1)
//!   for each (architecture, batch) in {modern, classic} × {1, 64, 256}: the recipe of
//!   the architecture (modern: SGD + momentum; classic: SDLM, with its 500-pattern
//!   curvature estimate inside the timed pass), the batch size overridden. Only the
//!   training loop is timed (not the evaluation after it).
//! - `infer`: [`Model::forward_28x28`] one image at a time (batch 1) and
//!   [`Model::forward_batch_28x28`] on batches of 64 and 1000, `--images` images each.
//! - `kernels`: each hot kernel alone on a chunk of 16 images, one thread.
//!
//! **FLOPs** are counted from the layer shapes: 2 per multiply-add of the convolutions
//! and fully connected layers (and the RBF); pooling, activations, losses and optimiser
//! updates are not counted. The classic C3 counts its 60 connected (input, output) map
//! pairs only (1,500 weights), though the kernel computes all 96 pairs. Training counts
//! forward + backward = 3 × forward, less C1's input gradient (never computed).
//!
//! **Peak** is measured, not computed from a clock: [`measure_peak`] times the back end's
//! FMA-throughput loop ([`lenet5::kernels::peak::fma_loop`]: 12 independent chains of
//! fused multiply-adds on the back end's widest vectors, 512-bit on AVX-512, 256-bit on
//! AVX2) on each thread count the workload uses, all threads at
//! once, best of 3 runs of about 0.1 s, before the rows and again after them, the higher
//! kept (a shared machine can give its cores less for a while). Every row's fraction is
//! of the peak of its own thread count. The report names the CPU (`model name` of
//! /proc/cpuinfo) and the back end (`LENET5_SIMD` forces one).

use std::time::Instant;

use serde::Serialize;

use lenet5::api::Model;
use lenet5::data::Dataset;
use lenet5::kernels::simd;
use lenet5::kernels::{Act, act, c1, c3, dense};
use lenet5::model::{Arch, Network};
use lenet5::rng::Rng;
use lenet5::train::{RunOptions, TrainConfig, Trainer};

/// What to run.
#[derive(Clone, Debug)]
pub struct BenchConfig {
    /// Worker threads.
    pub threads: usize,
    /// Images per training measurement.
    pub train_images: usize,
    /// Images per inference measurement.
    pub infer_images: usize,
    /// Architectures to measure.
    pub archs: Vec<Arch>,
    /// Batch sizes for training.
    pub train_batches: Vec<usize>,
    /// Batch sizes for inference.
    pub infer_batches: Vec<usize>,
    /// Also time the kernels alone.
    pub kernels: bool,
}

impl Default for BenchConfig {
    fn default() -> Self {
        BenchConfig {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            train_images: 12_800,
            infer_images: 10_000,
            archs: vec![Arch::Modern, Arch::Classic],
            train_batches: vec![1, 64, 256],
            infer_batches: vec![1, 64, 1000],
            kernels: true,
        }
    }
}

/// One measurement.
#[derive(Clone, Debug, Serialize)]
pub struct BenchRow {
    /// `train`, `infer` or `kernel`.
    pub mode: String,
    /// Architecture (or kernel name).
    pub what: String,
    pub batch: usize,
    pub threads: usize,
    pub images: usize,
    pub seconds: f64,
    pub images_per_sec: f64,
    pub gflops: f64,
    /// Achieved / peak of the threads used.
    pub peak_fraction: f64,
}

/// The measured peak of `threads` threads.
#[derive(Clone, Debug, Serialize)]
pub struct Peak {
    pub threads: usize,
    /// GFLOP/s of all `threads` running the FMA loop at once: the higher of
    /// `before` and `after` once both are measured.
    pub gflops: f64,
    /// Measured before the rows.
    pub before: f64,
    /// Measured again after them ([`Machine::measure_again`]; NaN until then).
    pub after: f64,
}

/// The machine, the back end, and the measured peaks.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    /// `cpu MHz` of /proc/cpuinfo (nominal under a VM; for information only).
    pub mhz: f64,
    pub backend: String,
    /// The FMA loop's GFLOP/s, per thread count measured.
    pub peaks: Vec<Peak>,
}

impl Machine {
    /// Measures the peaks again (after the rows: a shared machine can give its cores
    /// less for a while, and a peak caught in such a moment makes every fraction read
    /// high), keeps the higher of the two per thread count, and sets every row's
    /// fraction of it.
    pub fn measure_again(&mut self, rows: &mut [BenchRow]) {
        for p in &mut self.peaks {
            p.after = measure_peak(p.threads);
            p.gflops = p.before.max(p.after);
        }
        for r in rows {
            r.peak_fraction = r.gflops / self.peak(r.threads);
        }
    }

    /// The measured peak of `threads` threads (the nearest thread count measured).
    pub fn peak(&self, threads: usize) -> f64 {
        self.peaks
            .iter()
            .min_by_key(|p| p.threads.abs_diff(threads))
            .map_or(f64::NAN, |p| p.gflops)
    }
}

/// Iterations of one run of the FMA loop (about 0.1 s on a 3 GHz AVX2 core).
const PEAK_ITERS: usize = 4_000_000;

/// GFLOP/s of `threads` threads running the back end's FMA loop at the same time
/// (best of 3 runs; FLOPs as the loop counts them).
pub fn measure_peak(threads: usize) -> f64 {
    use lenet5::kernels::peak::{fma_loop, fma_loop_flops};
    let threads = threads.max(1);
    // Each thread reads the clock itself, around its own loop: with every core busy
    // running the loops, a clock read on the spawning thread after the start could come
    // late (measured: 279-355 GFLOP/s reported for a 2-core Zen 4 whose real peak is
    // about 230), so the run lasts from the first start to the last end.
    let once = || {
        let barrier = std::sync::Barrier::new(threads);
        let spans: Vec<(Instant, Instant)> = std::thread::scope(|sc| {
            let handles: Vec<_> = (0..threads)
                .map(|_| {
                    sc.spawn(|| {
                        let mut out = [0.0f32];
                        let f = std::hint::black_box::<f32>;
                        let iters = std::hint::black_box(PEAK_ITERS);
                        barrier.wait();
                        let t0 = Instant::now();
                        fma_loop(iters, f(0.5), f(0.999), f(0.001), &mut out);
                        std::hint::black_box(out);
                        (t0, Instant::now())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("the peak loop does not panic"))
                .collect()
        });
        let start = spans
            .iter()
            .map(|s| s.0)
            .min()
            .expect("at least one thread");
        let end = spans
            .iter()
            .map(|s| s.1)
            .max()
            .expect("at least one thread");
        (end - start).as_secs_f64()
    };
    let best = (0..3).map(|_| once()).fold(f64::INFINITY, f64::min);
    fma_loop_flops(PEAK_ITERS) * threads as f64 / best * 1e-9
}

/// Names the CPU (/proc/cpuinfo on Linux, the architecture elsewhere) and the back end,
/// and measures the peak of each thread count in `threads`.
pub fn machine(threads: &[usize]) -> Machine {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split(':').nth(1))
            .map(|v| v.trim().to_string())
    };
    let cpu = field("model name").unwrap_or_else(|| std::env::consts::ARCH.to_string());
    let mhz = field("cpu MHz")
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN);
    let mut ts: Vec<usize> = threads.iter().map(|&t| t.max(1)).collect();
    ts.sort_unstable();
    ts.dedup();
    Machine {
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        mhz,
        backend: simd::backend_name().to_string(),
        peaks: ts
            .into_iter()
            .map(|threads| {
                let before = measure_peak(threads);
                Peak {
                    threads,
                    gflops: before,
                    before,
                    after: f64::NAN,
                }
            })
            .collect(),
    }
}

/// Multiply-adds of one forward pass, per layer, from the shapes.
pub fn forward_macs(arch: Arch) -> [(&'static str, usize); 5] {
    let c3 = match arch {
        Arch::Modern => 16 * 6 * 25,
        Arch::Classic => 60 * 25, // connected map pairs only
    };
    let last = match arch {
        Arch::Modern => ("fc3", 84 * 10),
        Arch::Classic => ("rbf", 84 * 10),
    };
    [
        ("conv1", 6 * 25 * 28 * 28),
        ("conv2", c3 * 10 * 10),
        ("fc1", 400 * 120),
        ("fc2", 120 * 84),
        last,
    ]
}

/// FLOPs per image: forward, or forward + backward (`train`).
pub fn flops_per_image(arch: Arch, train: bool) -> f64 {
    let m = forward_macs(arch);
    let fwd: usize = m.iter().map(|x| x.1).sum();
    let macs = if train { 3 * fwd - m[0].1 } else { fwd };
    2.0 * macs as f64
}

/// The deterministic synthetic images of the workload.
pub fn synthetic(n: usize) -> Dataset {
    let mut r = Rng::new(7);
    let mut images = vec![0u8; n * 784];
    for p in images.iter_mut() {
        if r.next_f32() < 0.2 {
            *p = (r.next_f32() * 255.0) as u8;
        }
    }
    let labels = (0..n).map(|_| r.below(10) as u8).collect();
    Dataset {
        images,
        labels,
        rows: 28,
        cols: 28,
    }
}

#[allow(clippy::too_many_arguments)]
fn row(
    mode: &str,
    what: &str,
    batch: usize,
    threads: usize,
    images: usize,
    seconds: f64,
    flops_per_image: f64,
    m: &Machine,
) -> BenchRow {
    let ips = images as f64 / seconds;
    let gflops = ips * flops_per_image * 1e-9;
    BenchRow {
        mode: mode.into(),
        what: what.into(),
        batch,
        threads,
        images,
        seconds,
        images_per_sec: ips,
        gflops,
        peak_fraction: gflops / m.peak(threads),
    }
}

/// The thread counts `cfg`'s rows run on (batch-1 inference runs on one thread).
pub fn thread_counts(cfg: &BenchConfig) -> Vec<usize> {
    let one = cfg.kernels || cfg.infer_batches.contains(&1);
    let mut t = vec![cfg.threads];
    if one {
        t.push(1);
    }
    t
}

/// Runs the workload on machine `m` (from [`machine`] of [`thread_counts`]); calls
/// `report` after every measurement.
pub fn run(
    cfg: &BenchConfig,
    m: &Machine,
    mut report: impl FnMut(&BenchRow),
) -> lenet5::Result<Vec<BenchRow>> {
    let mut rows = vec![];
    let train = synthetic(cfg.train_images.max(1));
    let test = synthetic(16);
    for &arch in &cfg.archs {
        for &batch in &cfg.train_batches {
            let mut c = TrainConfig::defaults(arch);
            c.epochs = 1;
            c.batch = batch;
            if arch == Arch::Classic && batch > 1 {
                c.lr = 0.02;
            }
            let mut t = Trainer::new(c)?;
            t.run(&train, &test, &mut RunOptions::quiet(cfg.threads))?;
            let secs = t.history[0].seconds;
            let r = row(
                "train",
                arch.name(),
                batch,
                cfg.threads,
                train.len(),
                secs,
                flops_per_image(arch, true),
                m,
            );
            report(&r);
            rows.push(r);
        }
    }
    let imgs: Vec<[u8; 784]> = (0..cfg.infer_images.max(1))
        .map(|i| train.image(i % train.len()).try_into().expect("784 bytes"))
        .collect();
    for &arch in &cfg.archs {
        let model = Model::from_network(Network::new(arch, 1));
        for &batch in &cfg.infer_batches {
            let secs = lenet5::parallel::with_threads(cfg.threads, || {
                // One untimed warm-up call, then the timed run.
                model.forward_batch_28x28(&imgs[..batch.min(imgs.len())]);
                let t0 = Instant::now();
                let mut sink = 0usize;
                if batch == 1 {
                    for img in &imgs {
                        sink += model.forward_28x28(img).digit as usize;
                    }
                } else {
                    for b in imgs.chunks(batch) {
                        sink += model.forward_batch_28x28(b).len();
                    }
                }
                std::hint::black_box(sink);
                t0.elapsed().as_secs_f64()
            })?;
            let th = if batch == 1 { 1 } else { cfg.threads };
            let r = row(
                "infer",
                arch.name(),
                batch,
                th,
                imgs.len(),
                secs,
                flops_per_image(arch, false),
                m,
            );
            report(&r);
            rows.push(r);
        }
    }
    if cfg.kernels {
        for r in kernel_rows(m) {
            report(&r);
            rows.push(r);
        }
    }
    Ok(rows)
}

/// Each kernel alone, one thread, on a chunk of 16 images (the trainer's unit of work),
/// repeated for about 0.2 s. `images` counts images processed, `gflops` the kernel's
/// own FLOPs.
pub fn kernel_rows(m: &Machine) -> Vec<BenchRow> {
    const N: usize = 16;
    let r = |len: usize, seed: u64| lenet5::nn::gradcheck::rand_vec(len, seed);
    let xp = r(N * c1::PADDED_LEN, 1);
    let w1 = r(150, 2);
    let b1 = r(6, 3);
    let mut y1 = vec![0.0; N * c1::OUT_LEN];
    let d1 = r(N * c1::OUT_LEN, 4);
    let x2 = r(N * c3::IN_LEN, 5);
    let w2t = r(2400, 6);
    let b2 = r(16, 7);
    let mut y2 = vec![0.0; N * c3::OUT_LEN];
    let mut y2h = vec![0.0; N * c3::OUT_LEN];
    let d2h = r(N * c3::OUT_LEN, 8);
    let w2 = r(2400, 9);
    let mut dx2 = vec![0.0; N * c3::IN_LEN];
    let a4 = r(N * 400, 10);
    let w3 = r(48_000, 11);
    let b3 = r(120, 12);
    let mut y3 = vec![0.0; N * 120];
    let d3 = r(N * 120, 13);
    let mut dx3 = vec![0.0; N * 400];
    let mut g = vec![0.0; 48_000];
    let mut tanh_buf = r(N * c1::OUT_LEN, 14);
    let time = |f: &mut dyn FnMut()| {
        f();
        let t0 = Instant::now();
        let mut reps = 0usize;
        while t0.elapsed().as_secs_f64() < 0.2 {
            f();
            reps += 1;
        }
        (reps, t0.elapsed().as_secs_f64())
    };
    let mut out = vec![];
    let mut add = |name: &str, flops_per_image: f64, f: &mut dyn FnMut()| {
        let (reps, secs) = time(f);
        out.push(row(
            "kernel",
            name,
            N,
            1,
            reps * N,
            secs,
            flops_per_image,
            m,
        ));
    };
    add("conv1 forward (+ReLU)", 2.0 * 117_600.0, &mut || {
        c1::forward(N, &xp, &w1, &b1, &mut y1, Act::Relu)
    });
    let (mut dw1, mut db1) = (vec![0.0; 150], vec![0.0; 6]);
    add("conv1 backward dW", 2.0 * 117_600.0, &mut || {
        c1::weight_grad(N, &xp, &d1, &mut dw1, &mut db1)
    });
    add("conv2 forward (+ReLU)", 2.0 * 240_000.0, &mut || {
        c3::forward(N, &x2, &w2t, &b2, &mut y2, &mut y2h, Act::Relu)
    });
    let mut dwt = vec![0.0; 2400];
    add("conv2 backward dW", 2.0 * 240_000.0, &mut || {
        c3::weight_grad(N, &x2, &d2h, &mut dwt)
    });
    // A max-pool's gradient: one position of every 2x2 window of every map nonzero
    // (which one varies), as [n][16][10][10]; the sparse kernels' FLOPs are counted as
    // the dense ones' (the work a dense kernel would do for the same result).
    let d2_pooled: Vec<f32> = (0..N * c3::OUT_LEN)
        .map(|i| {
            let (o, p) = (i / 100, i % 100);
            let (oy, ox) = (p / 10, p % 10);
            let keep = (oy % 2) * 2 + ox % 2 == (o + oy / 2 + ox / 2) % 4;
            if keep { d2h[i] } else { 0.0 }
        })
        .collect();
    let mut dw_pad = vec![0.0; c3::W_PAD_LEN];
    add(
        "conv2 backward dW (1 in 4 nonzero)",
        2.0 * 240_000.0,
        &mut || c3::weight_grad_sparse(N, &x2, &d2_pooled, &mut dw_pad),
    );
    let (mut w_pad, mut live) = (vec![0.0; c3::W_PAD_LEN], [0u16; 6]);
    c3::pad_weights(&w2, &mut w_pad, &mut live);
    add("conv2 backward dX (dense dY)", 2.0 * 240_000.0, &mut || {
        c3::input_grad(N, &w_pad, &live, &d2h, &mut dx2)
    });
    // The classic C3's table: 60 of the 96 map pairs.
    let mut w2_table = w2.clone();
    for (i, v) in w2_table.iter_mut().enumerate() {
        let (o, c) = (i / 150, (i / 25) % 6);
        if !lenet5::model::classic::c3_connected(c, o) {
            *v = 0.0;
        }
    }
    let (mut w_pad_table, mut live_table) = (vec![0.0; c3::W_PAD_LEN], [0u16; 6]);
    c3::pad_weights(&w2_table, &mut w_pad_table, &mut live_table);
    add("conv2 backward dX (C3 table)", 2.0 * 150_000.0, &mut || {
        c3::input_grad(N, &w_pad_table, &live_table, &d2h, &mut dx2)
    });
    let mut dcol = vec![0.0; 15_000];
    add(
        "conv2 backward dX (before: col2im)",
        2.0 * 240_000.0,
        &mut || {
            for s in 0..N {
                // dcol[k][p] = Σ_o w[o][k] · dy[o][p], then col2im: the previous kernels.
                dense::gemm(
                    150,
                    16,
                    100,
                    &w2,
                    1,
                    150,
                    &d2h[s * c3::OUT_LEN..],
                    100,
                    &mut dcol,
                    100,
                    false,
                );
                c3::col2im(&dcol, &mut dx2[s * c3::IN_LEN..]);
            }
        },
    );
    add(
        "conv2 backward dX (1 in 4 nonzero)",
        2.0 * 240_000.0,
        &mut || c3::input_grad(N, &w_pad, &live, &d2_pooled, &mut dx2),
    );
    add("fc1 forward 400→120", 2.0 * 48_000.0, &mut || {
        dense::forward(N, 400, 120, &a4, &w3, &b3, &mut y3)
    });
    add("fc1 backward dW", 2.0 * 48_000.0, &mut || {
        dense::gemm(120, N, 400, &d3, 1, 120, &a4, 400, &mut g, 400, true)
    });
    add("fc1 backward dX", 2.0 * 48_000.0, &mut || {
        dense::gemm(N, 120, 400, &d3, 120, 1, &w3, 400, &mut dx3, 400, false)
    });
    add("tanh 6@28x28 (no FLOPs counted)", 0.0, &mut || {
        act::activate(&mut tanh_buf, Act::Tanh)
    });
    out
}

/// The rows as an aligned text table.
pub fn render(rows: &[BenchRow], m: &Machine) -> String {
    let peaks: Vec<String> = m
        .peaks
        .iter()
        .map(|p| {
            let runs = if p.after.is_nan() {
                String::new()
            } else {
                format!(" (before the rows {:.1}, after {:.1})", p.before, p.after)
            };
            format!("{:.1} GFLOP/s on {} thread(s){runs}", p.gflops, p.threads)
        })
        .collect();
    let mut s = format!(
        "machine: {} ({} cores, {:.0} MHz nominal), kernels: {}\nmeasured peak (FMA loop): {}; % peak is of the row's thread count\n",
        m.cpu,
        m.cores,
        m.mhz,
        m.backend,
        peaks.join(", ")
    );
    s += &format!(
        "{:<7} {:<34} {:>6} {:>7} {:>8} {:>10} {:>8} {:>7}\n",
        "mode", "what", "batch", "threads", "seconds", "images/s", "GFLOP/s", "% peak"
    );
    for r in rows {
        s += &format!(
            "{:<7} {:<34} {:>6} {:>7} {:>8.3} {:>10.0} {:>8.2} {:>6.1}%\n",
            r.mode,
            r.what,
            r.batch,
            r.threads,
            r.seconds,
            r.images_per_sec,
            r.gflops,
            100.0 * r.peak_fraction
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_counts_follow_the_shapes() {
        // Modern forward: 117,600 + 240,000 + 48,000 + 10,080 + 840 multiply-adds.
        assert_eq!(flops_per_image(Arch::Modern, false), 2.0 * 416_520.0);
        assert_eq!(
            flops_per_image(Arch::Modern, true),
            2.0 * (3.0 * 416_520.0 - 117_600.0)
        );
        assert_eq!(flops_per_image(Arch::Classic, false), 2.0 * 326_520.0);
    }

    #[test]
    fn tiny_bench_runs_and_reports_against_the_measured_peak() {
        let cfg = BenchConfig {
            threads: 2,
            train_images: 64,
            infer_images: 20,
            archs: vec![Arch::Modern, Arch::Classic],
            train_batches: vec![1, 32],
            infer_batches: vec![1, 8],
            kernels: false,
        };
        let mut m = machine(&thread_counts(&cfg));
        assert_eq!(
            m.peaks.iter().map(|p| p.threads).collect::<Vec<_>>(),
            [1, 2]
        );
        assert!(
            m.peaks
                .iter()
                .all(|p| p.gflops.is_finite() && p.gflops > 0.0)
        );
        assert_eq!(m.backend, simd::backend_name());
        let mut rows = run(&cfg, &m, |_| {}).unwrap();
        assert_eq!(rows.len(), 8);
        m.measure_again(&mut rows);
        for p in &m.peaks {
            assert!(p.after.is_finite() && p.after > 0.0);
            assert_eq!(p.gflops, p.before.max(p.after));
        }
        for r in &rows {
            assert!(r.images_per_sec > 0.0 && r.gflops > 0.0);
            // Each row against the peak of its own thread count.
            let t = if r.mode == "infer" && r.batch == 1 {
                1
            } else {
                2
            };
            assert_eq!(r.threads, t);
            assert_eq!(r.peak_fraction, r.gflops / m.peak(t));
        }
        let text = render(&rows, &m);
        for want in [
            "images/s",
            "% peak",
            m.backend.as_str(),
            m.cpu.as_str(),
            "measured peak",
        ] {
            assert!(text.contains(want), "the report lacks {want:?}:\n{text}");
        }
        let json = serde_json::to_value(&m).unwrap();
        for field in ["cpu", "backend", "peaks"] {
            assert!(json.get(field).is_some(), "machine JSON lacks {field}");
        }
    }

    #[test]
    fn the_peak_is_measured_per_thread_count() {
        let m = machine(&[1]);
        assert_eq!(m.peaks.len(), 1);
        // The nearest thread count measured answers for the others.
        assert_eq!(m.peak(4), m.peaks[0].gflops);
        assert_eq!(thread_counts(&BenchConfig::default()).last(), Some(&1));
    }
}
