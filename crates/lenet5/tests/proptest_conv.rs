//! Property tests of the convolution: the general path (im2col + GEMM: `conv_forward`,
//! `conv_backward`) equals the naive reference on random shapes, paddings and
//! connection masks (a C3-style table), forward and backward.

use lenet5::kernels::ConvShape;
use lenet5::kernels::reference::conv_forward_naive;
use lenet5::nn::Params;
use lenet5::nn::conv::{Im2col, conv_backward, conv_forward, mask_grad};
use proptest::prelude::*;

/// A shape, weights, a 0/1 connection mask over (output, input) map pairs, bias,
/// input and an output gradient.
#[derive(Debug)]
struct Case {
    s: ConvShape,
    w: Vec<f32>,
    mask: Vec<f32>,
    b: Vec<f32>,
    x: Vec<f32>,
    dy: Vec<f32>,
}

fn vals(n: usize) -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(-1.0f32..1.0, n)
}

fn case() -> impl Strategy<Value = Case> {
    (
        1usize..=4,
        1usize..=5,
        1usize..=5,
        0usize..=2,
        0usize..=7,
        0usize..=7,
    )
        .prop_flat_map(|(cin, cout, k, pad, dh, dw)| {
            let pad = pad.min(k - 1);
            // The padded input must hold at least one kernel: h + 2·pad ≥ k.
            let base = k.saturating_sub(2 * pad).max(1);
            let s = ConvShape {
                cin,
                h: base + dh,
                w: base + dw,
                cout,
                k,
                pad,
            };
            let kk = k * k;
            (
                Just(s),
                vals(cout * cin * kk),
                prop::collection::vec(any::<bool>(), cout * cin),
                vals(cout),
                vals(s.in_len()),
                vals(s.out_len()),
            )
                .prop_map(move |(s, w, pairs, b, x, dy)| {
                    let mask: Vec<f32> = pairs
                        .iter()
                        .flat_map(|&on| std::iter::repeat_n(if on { 1.0 } else { 0.0 }, kk))
                        .collect();
                    let w = w.iter().zip(&mask).map(|(w, m)| w * m).collect();
                    Case {
                        s,
                        w,
                        mask,
                        b,
                        x,
                        dy,
                    }
                })
        })
}

/// Naive backward in f64: dw[o][c][ki][kj] = Σ dy[o][oy][ox]·x[c][oy+ki−p][ox+kj−p],
/// db[o] = Σ dy[o], dx[c][iy][ix] = Σ w·dy.
#[allow(clippy::needless_range_loop)] // the reference reads best with explicit indices
fn naive_backward(c: &Case) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let s = &c.s;
    let (ho, wo, k) = (s.ho(), s.wo(), s.k);
    let mut dw = vec![0.0f64; c.w.len()];
    let mut db = vec![0.0f64; s.cout];
    let mut dx = vec![0.0f64; s.in_len()];
    for o in 0..s.cout {
        for oy in 0..ho {
            for ox in 0..wo {
                let g = c.dy[(o * ho + oy) * wo + ox] as f64;
                db[o] += g;
                for ch in 0..s.cin {
                    for ki in 0..k {
                        for kj in 0..k {
                            let iy = (oy + ki) as isize - s.pad as isize;
                            let ix = (ox + kj) as isize - s.pad as isize;
                            if iy < 0 || ix < 0 || iy >= s.h as isize || ix >= s.w as isize {
                                continue;
                            }
                            let xi = (ch * s.h + iy as usize) * s.w + ix as usize;
                            let wi = ((o * s.cin + ch) * k + ki) * k + kj;
                            dw[wi] += g * c.x[xi] as f64;
                            dx[xi] += g * c.w[wi] as f64;
                        }
                    }
                }
            }
        }
    }
    (dw, db, dx)
}

/// |a − b| within f32 rounding of a sum of `terms` products of magnitude ≤ 1.
fn close(a: f32, b: f64, terms: usize) -> bool {
    (a as f64 - b).abs() <= 1e-6 * (terms as f64 + 1.0) + 1e-5 * b.abs()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn forward_equals_naive(c in case()) {
        let s = c.s;
        let mut y = vec![f32::NAN; s.out_len()];
        let mut y_naive = vec![f32::NAN; s.out_len()];
        let p = Params { weight: &c.w[..], bias: &c.b[..] };
        conv_forward(&s, &c.x, p, &mut y, &mut Im2col::new(&[s]));
        conv_forward_naive(&s, &c.x, &c.w, &c.b, &mut y_naive);
        for (i, (a, b)) in y.iter().zip(&y_naive).enumerate() {
            prop_assert!(close(*a, *b as f64, s.col_rows()), "y[{}]: fast {} naive {} for {:?}", i, a, b, s);
        }
    }

    #[test]
    fn backward_equals_naive(c in case()) {
        let s = c.s;
        // The scratch starts as garbage: the backward pass must not rely on its content.
        let mut sc = Im2col::new(&[s]);
        sc.col.fill(f32::NAN);
        sc.dcol.fill(f32::NAN);
        // Gradients accumulate: start from a known non-zero value.
        let mut dw = vec![0.5f32; c.w.len()];
        let mut db = vec![0.25f32; s.cout];
        let mut dx = vec![f32::NAN; s.in_len()];
        let g = Params { weight: &mut dw[..], bias: &mut db[..] };
        conv_backward(&s, &c.x, &c.w, &c.dy, g, Some(&mut dx), &mut sc);
        let (ndw, ndb, ndx) = naive_backward(&c);
        let n = s.col_cols();
        for (i, (a, b)) in db.iter().zip(&ndb).enumerate() {
            prop_assert!(close(*a, b + 0.25, n), "db[{}]: {} vs {}", i, a, b + 0.25);
        }
        for (i, (a, b)) in dw.iter().zip(&ndw).enumerate() {
            prop_assert!(close(*a, b + 0.5, n), "dw[{}]: {} vs {}", i, a, b + 0.5);
        }
        for (i, (a, b)) in dx.iter().zip(&ndx).enumerate() {
            prop_assert!(close(*a, *b, s.cout * s.k * s.k), "dx[{}]: {} vs {}", i, a, b);
        }
        // With the connection mask applied, absent connections get exactly no gradient.
        mask_grad(&mut dw, &c.mask);
        for (i, (g, m)) in dw.iter().zip(&c.mask).enumerate() {
            if *m == 0.0 {
                prop_assert_eq!(*g, 0.0, "masked dw[{}]", i);
            } else {
                prop_assert!(close(*g, ndw[i] + 0.5, n));
            }
        }
    }
}
