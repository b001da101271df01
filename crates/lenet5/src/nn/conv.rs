//! 5x5 convolution (C1, C3 and the modern conv layers), stride 1, optional zero padding.
//!
//! A connection table (C3) is expressed as a 0/1 mask over the weight tensor: the
//! weights of unconnected (output, input) pairs are kept at exactly zero because
//! [`mask_grad`] zeroes their gradients.
//!
//! Two paths:
//! - the networks run the specialised layers [`c1_forward`] / [`c1_backward`] (1→6 maps
//!   on 32x32, direct convolution) and [`c2_forward`] / [`c2_backward`] (6→16 maps on
//!   14x14, implicit GEMM over the 16 output channels), on a whole chunk of images,
//!   through the SIMD kernels of [`crate::kernels::fast`];
//! - [`conv_forward`] / [`conv_backward`] handle any shape, one image at a time, through
//!   im2col + GEMM (`y[cout, ho·wo] = w[cout, cin·k·k] · col[cin·k·k, ho·wo] + b`): the
//!   reference the fast layers are tested against.

use crate::kernels::fast::{
    self, Act, C1_OUT, C2_IN, C2_OUT, XP_LEN, conv1_backward_w, conv1_forward, conv2_backward_w,
    conv2_col2im_t, conv2_forward, gemm,
};
use crate::kernels::{ConvShape, col2im, gemm_nn, gemm_nt, gemm_tn, im2col};

// ---------------------------------------------------------------------------------
// The layers the networks run: n images at a time.

/// C1 / conv1 forward: pads every input into `xp` (kept for the backward pass), then
/// y = act(conv5x5(x) + b). `side` is 32 (classic, `pad` 0) or 28 (modern, `pad` 2).
/// x: `[n][side·side]`, w: `[6][1][5][5]`, b: `[6]` → xp: `[n][XP_LEN]`, y: `[n][6][28][28]`
#[allow(clippy::too_many_arguments)]
pub fn c1_forward(
    n: usize,
    side: usize,
    pad: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    xp: &mut [f32],
    y: &mut [f32],
    act: Act,
) {
    for s in 0..n {
        fast::pad_input(&x[s * side * side..], side, pad, 0.0, &mut xp[s * XP_LEN..]);
    }
    conv1_forward(n, xp, w, b, y, act);
}

/// C1 / conv1 backward (the input gets no gradient): dw += Σ dy ⋆ xp, db += Σ dy.
/// xp: `[n][XP_LEN]` (from [`c1_forward`]), dy: `[n][6][28][28]` → dw: `[6][25]`, db: `[6]`
pub fn c1_backward(n: usize, xp: &[f32], dy: &[f32], dw: &mut [f32], db: &mut [f32]) {
    conv1_backward_w(n, xp, dy, dw, db);
}

/// Scratch of the conv2 layer: transposed weights, position-major activations and
/// gradients, the per-image column gradient.
pub struct C2Scratch {
    /// Weights as `[150][16]` (tap-major), refreshed by every forward / backward call.
    pub wt: Vec<f32>,
    /// Transposed weight-gradient accumulator `[150][16]`.
    pub dwt: Vec<f32>,
    /// Outputs, position-major: `[n][100][16]`.
    pub y_hwc: Vec<f32>,
    /// Output gradients, position-major: `[n][100][16]`.
    pub dy_hwc: Vec<f32>,
    /// Column gradient of one image: `[100][150]`.
    pub dcol: Vec<f32>,
}

impl C2Scratch {
    /// Scratch for `cap` images.
    pub fn new(cap: usize) -> Self {
        C2Scratch {
            wt: vec![0.0; 2400],
            dwt: vec![0.0; 2400],
            y_hwc: vec![0.0; cap * C2_OUT],
            dy_hwc: vec![0.0; cap * C2_OUT],
            dcol: vec![0.0; 100 * 150],
        }
    }
}

/// `wt[k][o]` = `w[o][k]` for the `[16][150]` conv2 weights.
fn transpose_w(w: &[f32], wt: &mut [f32]) {
    for (o, row) in w[..2400].chunks_exact(150).enumerate() {
        for (k, v) in row.iter().enumerate() {
            wt[k * 16 + o] = *v;
        }
    }
}

/// C3 / conv2 forward: y = act(conv5x5(x) + b), also kept position-major in `sc.y_hwc`.
/// x: `[n][6][14][14]`, w: `[16][6][5][5]`, b: `[16]` → y: `[n][16][10][10]`
pub fn c2_forward(
    n: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
    sc: &mut C2Scratch,
    act: Act,
) {
    transpose_w(w, &mut sc.wt);
    conv2_forward(n, x, &sc.wt, b, y, &mut sc.y_hwc, act);
}

/// C3 / conv2 backward: dw += Σ dy ⋆ x, db += Σ dy, and (when given) dx = the full
/// correlation of dy with w, as dcol = dyᵀ·w then col2im, image by image.
/// x: `[n][6][14][14]`, w: `[16][150]`, dy: `[n][16][10][10]` → dw: `[16][150]`, db: `[16]`,
/// dx: `[n][6][14][14]` (overwritten)
#[allow(clippy::too_many_arguments)]
pub fn c2_backward(
    n: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
    sc: &mut C2Scratch,
) {
    for s in 0..n {
        let (d, h) = (
            &dy[s * C2_OUT..(s + 1) * C2_OUT],
            &mut sc.dy_hwc[s * C2_OUT..(s + 1) * C2_OUT],
        );
        for (o, row) in d.chunks_exact(100).enumerate() {
            db[o] += row.iter().sum::<f32>();
            for (p, v) in row.iter().enumerate() {
                h[p * 16 + o] = *v;
            }
        }
    }
    sc.dwt.fill(0.0);
    conv2_backward_w(n, x, &sc.dy_hwc, &mut sc.dwt);
    for (o, row) in dw[..2400].chunks_exact_mut(150).enumerate() {
        for (k, g) in row.iter_mut().enumerate() {
            *g += sc.dwt[k * 16 + o];
        }
    }
    if let Some(dx) = dx {
        for s in 0..n {
            // dcol_t[k][p] = Σ_o w[o][k] · dy[o][p]   (A = wᵀ through its strides)
            let dys = &dy[s * C2_OUT..];
            gemm(150, 16, 100, w, 1, 150, dys, 100, &mut sc.dcol, 100, false);
            conv2_col2im_t(&sc.dcol, &mut dx[s * C2_IN..(s + 1) * C2_IN]);
        }
    }
}

/// Floats of [`c1_forward`]'s padded-input scratch for `cap` images.
pub fn c1_scratch_len(cap: usize) -> usize {
    cap * XP_LEN
}

/// Floats of one C1 output (6@28x28).
pub const C1_LEN: usize = C1_OUT;

// ---------------------------------------------------------------------------------
// The general path: any shape, one image at a time (the reference).

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
/// mask: `[cout, cin·k·k]` of 0/1, like w.
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

    /// The fast chunk layers agree with the im2col reference, forward and backward.
    #[test]
    fn fast_layers_match_reference() {
        use crate::kernels::simd::with_portable;
        let n = 3;
        for portable in [true, false] {
            with_portable(portable, || {
                for (side, pad) in [(32usize, 0usize), (28, 2)] {
                    let s = ConvShape {
                        cin: 1,
                        h: side,
                        w: side,
                        cout: 6,
                        k: 5,
                        pad,
                    };
                    let x = rand_vec(n * side * side, 1);
                    let w = rand_vec(150, 2);
                    let b = rand_vec(6, 3);
                    let mut xp = vec![0.0; c1_scratch_len(n)];
                    let mut y = vec![0.0; n * C1_LEN];
                    c1_forward(n, side, pad, &x, &w, &b, &mut xp, &mut y, Act::Identity);
                    let dy = rand_vec(n * C1_LEN, 4);
                    let (mut dw, mut db) = (vec![0.0; 150], vec![0.0; 6]);
                    c1_backward(n, &xp, &dy, &mut dw, &mut db);
                    let (mut dw0, mut db0) = (vec![0.0; 150], vec![0.0; 6]);
                    let mut col = vec![0.0; s.col_rows() * s.col_cols()];
                    let mut dcol = col.clone();
                    for i in 0..n {
                        let mut y0 = vec![0.0; C1_LEN];
                        conv_forward(&s, &x[i * side * side..], &w, &b, &mut y0, &mut col);
                        for (a, b) in y[i * C1_LEN..(i + 1) * C1_LEN].iter().zip(&y0) {
                            assert!((a - b).abs() < 1e-4, "c1 forward {a} vs {b}");
                        }
                        conv_backward(
                            &s,
                            &x[i * side * side..],
                            &w,
                            &dy[i * C1_LEN..],
                            &mut dw0,
                            &mut db0,
                            None,
                            &mut col,
                            &mut dcol,
                            true,
                        );
                    }
                    for (a, b) in dw.iter().zip(&dw0).chain(db.iter().zip(&db0)) {
                        assert!(
                            (a - b).abs() < 1e-3 * b.abs().max(1.0),
                            "c1 backward {a} vs {b}"
                        );
                    }
                }
                let s = ConvShape {
                    cin: 6,
                    h: 14,
                    w: 14,
                    cout: 16,
                    k: 5,
                    pad: 0,
                };
                let x = rand_vec(n * C2_IN, 5);
                let w = rand_vec(2400, 6);
                let b = rand_vec(16, 7);
                let mut sc = C2Scratch::new(n);
                let mut y = vec![0.0; n * C2_OUT];
                c2_forward(n, &x, &w, &b, &mut y, &mut sc, Act::Identity);
                let dy = rand_vec(n * C2_OUT, 8);
                let (mut dw, mut db, mut dx) =
                    (vec![0.0; 2400], vec![0.0; 16], vec![0.0; n * C2_IN]);
                c2_backward(n, &x, &w, &dy, &mut dw, &mut db, Some(&mut dx), &mut sc);
                let (mut dw0, mut db0) = (vec![0.0; 2400], vec![0.0; 16]);
                let mut col = vec![0.0; s.col_rows() * s.col_cols()];
                let mut dcol = col.clone();
                for i in 0..n {
                    let mut y0 = vec![0.0; C2_OUT];
                    conv_forward(&s, &x[i * C2_IN..], &w, &b, &mut y0, &mut col);
                    for (a, b) in y[i * C2_OUT..(i + 1) * C2_OUT].iter().zip(&y0) {
                        assert!(
                            (a - b).abs() < 1e-4 * b.abs().max(1.0),
                            "c2 forward {a} vs {b}"
                        );
                    }
                    let mut dx0 = vec![0.0; C2_IN];
                    conv_backward(
                        &s,
                        &x[i * C2_IN..],
                        &w,
                        &dy[i * C2_OUT..],
                        &mut dw0,
                        &mut db0,
                        Some(&mut dx0),
                        &mut col,
                        &mut dcol,
                        true,
                    );
                    for (a, b) in dx[i * C2_IN..(i + 1) * C2_IN].iter().zip(&dx0) {
                        assert!((a - b).abs() < 1e-4 * b.abs().max(1.0), "c2 dx {a} vs {b}");
                    }
                }
                for (a, b) in dw.iter().zip(&dw0).chain(db.iter().zip(&db0)) {
                    assert!(
                        (a - b).abs() < 1e-3 * b.abs().max(1.0),
                        "c2 backward {a} vs {b}"
                    );
                }
            });
        }
    }

    #[test]
    fn mask_keeps_absent_weights_at_zero() {
        let mut dw = vec![1.0, 2.0, 3.0, 4.0];
        mask_grad(&mut dw, &[1.0, 0.0, 1.0, 0.0]);
        assert_eq!(dw, vec![1.0, 0.0, 3.0, 0.0]);
    }
}
