//! 5x5 convolution (C1, C3 and the modern conv layers), stride 1, optional zero padding.
//!
//! A connection table (C3) is expressed as a 0/1 mask over the weight tensor: the
//! weights of unconnected (output, input) pairs are kept at exactly zero because
//! [`mask_grad`] zeroes their gradients.
//!
//! Forward and backward work on one image at a time through im2col + GEMM:
//! `y[cout, ho·wo] = w[cout, cin·k·k] · col[cin·k·k, ho·wo] + b`.

use crate::kernels::{ConvShape, col2im, gemm_nn, gemm_nt, gemm_tn, im2col};

/// Forward, one image.
/// `x: [cin, h, w], w: [cout, cin·k·k], b: [cout] → y: [cout, ho·wo]`; col: scratch `[cin·k·k, ho·wo]`
pub fn conv_forward(
    s: &ConvShape,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
    col: &mut [f32],
) {
    let (m, k, n) = (s.cout, s.col_rows(), s.col_cols());
    im2col(s, x, col);
    for (o, row) in y[..m * n].chunks_exact_mut(n).enumerate() {
        row.fill(b[o]);
    }
    gemm_nn(m, k, n, w, col, y, true);
}

/// Backward, one image. Accumulates `dw += dy · colᵀ` and `db += Σ dy`; when `dx` is
/// given, overwrites it with `col2im(wᵀ · dy)`. `col` must hold `im2col(x)` (as left by
/// [`conv_forward`] on the same image, or recomputed by passing `recompute = true`).
/// `dy: [cout, ho·wo], dw: [cout, cin·k·k], db: [cout], dx: [cin, h, w]`; dcol: scratch like col
#[allow(clippy::too_many_arguments)]
pub fn conv_backward(
    s: &ConvShape,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
    col: &mut [f32],
    dcol: &mut [f32],
    recompute: bool,
) {
    let (m, k, n) = (s.cout, s.col_rows(), s.col_cols());
    if recompute {
        im2col(s, x, col);
    }
    for (o, row) in dy[..m * n].chunks_exact(n).enumerate() {
        db[o] += row.iter().sum::<f32>();
    }
    gemm_nt(m, n, k, dy, col, dw, true);
    if let Some(dx) = dx {
        gemm_tn(k, m, n, w, dy, dcol, false);
        col2im(s, dcol, dx);
    }
}

/// Zero the gradient of every weight whose connection is absent (mask 0).
/// mask: [cout, cin·k·k] of 0/1, like w.
pub fn mask_grad(dw: &mut [f32], mask: &[f32]) {
    for (g, m) in dw.iter_mut().zip(mask) {
        *g *= m;
    }
}

/// The slow, obvious convolution, used as the reference in tests.
pub fn conv_forward_naive(s: &ConvShape, x: &[f32], w: &[f32], b: &[f32], y: &mut [f32]) {
    let (ho, wo, k) = (s.ho(), s.wo(), s.k);
    for o in 0..s.cout {
        for oy in 0..ho {
            for ox in 0..wo {
                let mut acc = b[o] as f64;
                for c in 0..s.cin {
                    for ki in 0..k {
                        for kj in 0..k {
                            let iy = (oy + ki) as isize - s.pad as isize;
                            let ix = (ox + kj) as isize - s.pad as isize;
                            if iy < 0 || ix < 0 || iy >= s.h as isize || ix >= s.w as isize {
                                continue;
                            }
                            let xv = x[(c * s.h + iy as usize) * s.w + ix as usize];
                            acc += (w[((o * s.cin + c) * k + ki) * k + kj] * xv) as f64;
                        }
                    }
                }
                y[(o * ho + oy) * wo + ox] = acc as f32;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    fn shapes() -> Vec<ConvShape> {
        vec![
            ConvShape {
                cin: 1,
                h: 8,
                w: 8,
                cout: 2,
                k: 5,
                pad: 0,
            },
            ConvShape {
                cin: 3,
                h: 7,
                w: 6,
                cout: 4,
                k: 3,
                pad: 1,
            },
            ConvShape {
                cin: 2,
                h: 6,
                w: 6,
                cout: 3,
                k: 5,
                pad: 2,
            },
        ]
    }

    #[test]
    fn forward_matches_naive() {
        for s in shapes() {
            let x = rand_vec(s.in_len(), 1);
            let w = rand_vec(s.cout * s.col_rows(), 2);
            let b = rand_vec(s.cout, 3);
            let mut y = vec![0.0; s.out_len()];
            let mut y2 = vec![0.0; s.out_len()];
            let mut col = vec![0.0; s.col_rows() * s.col_cols()];
            conv_forward(&s, &x, &w, &b, &mut y, &mut col);
            conv_forward_naive(&s, &x, &w, &b, &mut y2);
            for (a, b) in y.iter().zip(&y2) {
                assert!((a - b).abs() < 1e-4, "{a} vs {b} for {s:?}");
            }
        }
    }

    #[test]
    fn gradients_match_finite_differences() {
        for s in shapes() {
            let x = rand_vec(s.in_len(), 4);
            let w = rand_vec(s.cout * s.col_rows(), 5);
            let b = rand_vec(s.cout, 6);
            // Loss L = Σ r ⊙ y for a fixed random r, so dL/dy = r.
            let r = rand_vec(s.out_len(), 7);
            let loss = |x: &[f32], w: &[f32], b: &[f32]| {
                let mut y = vec![0.0; s.out_len()];
                conv_forward_naive(&s, x, w, b, &mut y);
                y.iter()
                    .zip(&r)
                    .map(|(a, b)| (*a as f64) * (*b as f64))
                    .sum::<f64>()
            };
            let mut dw = vec![0.0; w.len()];
            let mut db = vec![0.0; b.len()];
            let mut dx = vec![0.0; x.len()];
            let mut col = vec![0.0; s.col_rows() * s.col_cols()];
            let mut dcol = col.clone();
            conv_backward(
                &s,
                &x,
                &w,
                &r,
                &mut dw,
                &mut db,
                Some(&mut dx),
                &mut col,
                &mut dcol,
                true,
            );
            check_grad("conv dx", &x, &dx, |v| loss(v, &w, &b));
            check_grad("conv dw", &w, &dw, |v| loss(&x, v, &b));
            check_grad("conv db", &b, &db, |v| loss(&x, &w, v));
        }
    }

    #[test]
    fn mask_keeps_absent_weights_at_zero() {
        let mut dw = vec![1.0, 2.0, 3.0, 4.0];
        mask_grad(&mut dw, &[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(dw, vec![1.0, 0.0, 3.0, 0.0]);
    }
}
