//! Criterion micro-benchmarks of the hot kernels, each on a chunk of 16 images (the
//! trainer's unit of work), single-threaded. `cargo bench`; the throughput printed is
//! in images/s (elements = images). `LENET5_SIMD=portable cargo bench` measures the
//! portable back end.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use lenet5::kernels::{Act, act, c1, c3, dense, pool};
use lenet5::nn::gradcheck::rand_vec;

const N: usize = 16;

fn kernels(c: &mut Criterion) {
    let mut g = c.benchmark_group("kernels (16 images)");
    g.throughput(Throughput::Elements(N as u64));
    let xp = rand_vec(N * c1::PADDED_LEN, 1);
    let (w1, b1) = (rand_vec(150, 2), rand_vec(6, 3));
    let mut y1 = vec![0.0; N * c1::OUT_LEN];
    g.bench_function("conv1 forward 1->6 5x5 32x32 +relu", |b| {
        b.iter(|| c1::forward(N, black_box(&xp), &w1, &b1, &mut y1, Act::Relu))
    });
    let d1 = rand_vec(N * c1::OUT_LEN, 4);
    let (mut dw1, mut db1) = (vec![0.0; 150], vec![0.0; 6]);
    g.bench_function("conv1 backward dW", |b| {
        b.iter(|| c1::weight_grad(N, black_box(&xp), &d1, &mut dw1, &mut db1))
    });
    let x2 = rand_vec(N * c3::IN_LEN, 5);
    let (w2t, b2, w2) = (rand_vec(2400, 6), rand_vec(16, 7), rand_vec(2400, 8));
    let (mut y2, mut y2h) = (vec![0.0; N * c3::OUT_LEN], vec![0.0; N * c3::OUT_LEN]);
    g.bench_function("conv2 forward 6->16 5x5 14x14 +relu", |b| {
        b.iter(|| c3::forward(N, black_box(&x2), &w2t, &b2, &mut y2, &mut y2h, Act::Relu))
    });
    let d2 = rand_vec(N * c3::OUT_LEN, 9);
    let mut dwt = vec![0.0; 2400];
    g.bench_function("conv2 backward dW", |b| {
        b.iter(|| c3::weight_grad(N, black_box(&x2), &d2, &mut dwt))
    });
    let (mut dcol, mut dx2) = (vec![0.0; 15_000], vec![0.0; c3::IN_LEN]);
    g.bench_function("conv2 backward dX (gemm + col2im)", |b| {
        b.iter(|| {
            for s in 0..N {
                dense::gemm(
                    150,
                    16,
                    100,
                    &w2,
                    1,
                    150,
                    &d2[s * 1600..],
                    100,
                    &mut dcol,
                    100,
                    false,
                );
                c3::col2im(&dcol, &mut dx2);
            }
        })
    });
    let (mut w_pad, mut live) = (vec![0.0; c3::W_PAD_LEN], [0u16; 6]);
    c3::pad_weights(&w2, &mut w_pad, &mut live);
    let mut dx2n = vec![0.0; N * c3::IN_LEN];
    g.bench_function("conv2 backward dX (input_grad, dense dY)", |b| {
        b.iter(|| c3::input_grad(N, &w_pad, &live, black_box(&d2), &mut dx2n))
    });
    let mut a2 = vec![0.0; N * 1176];
    g.bench_function("maxpool 6@28x28", |b| {
        b.iter(|| pool::max_forward(N * 6, 28, 28, black_box(&d1), &mut a2))
    });
    let (a4, w3, b3, d5) = (
        rand_vec(N * 400, 10),
        rand_vec(48_000, 11),
        rand_vec(120, 12),
        rand_vec(N * 120, 13),
    );
    let (mut y3, mut dx3, mut gw3) = (vec![0.0; N * 120], vec![0.0; N * 400], vec![0.0; 48_000]);
    g.bench_function("fc1 forward 400->120", |b| {
        b.iter(|| dense::forward(N, 400, 120, black_box(&a4), &w3, &b3, &mut y3))
    });
    g.bench_function("fc1 backward dW", |b| {
        b.iter(|| {
            dense::gemm(
                120,
                N,
                400,
                black_box(&d5),
                1,
                120,
                &a4,
                400,
                &mut gw3,
                400,
                true,
            )
        })
    });
    g.bench_function("fc1 backward dX", |b| {
        b.iter(|| {
            dense::gemm(
                N,
                120,
                400,
                black_box(&d5),
                120,
                1,
                &w3,
                400,
                &mut dx3,
                400,
                false,
            )
        })
    });
    let mut t = rand_vec(N * c1::OUT_LEN, 14);
    g.bench_function("tanh 6@28x28", |b| {
        b.iter(|| act::activate(black_box(&mut t), Act::Tanh))
    });
    g.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
