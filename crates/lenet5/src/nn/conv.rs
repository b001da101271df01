//! 5x5 convolution (C1, C3 and the modern conv layers), stride 1, optional zero padding.
//!
//! A connection table (C3) is expressed as a 0/1 mask over the weight tensor: the
//! weights of unconnected (output, input) pairs are kept at exactly zero because
//! [`mask_grad`] zeroes their gradients.
//!
//! Two paths:
//! - the networks run the specialised layers [`c1_forward`] / [`c1_backward`] (1→6 maps
//!   on 32x32, direct convolution) and [`c3_forward`] / [`c3_backward`] (6→16 maps on
//!   14x14, implicit GEMM over the 16 output maps), on `n` images at a time, through the
//!   SIMD kernels [`crate::kernels::c1`] and [`crate::kernels::c3`];
//! - [`conv_forward`] / [`conv_backward`] handle any shape, one image at a time, through
//!   im2col + GEMM (`y[cout, ho·wo] = w[cout, cin·k·k] · col[cin·k·k, ho·wo] + b`): the
//!   reference the fast layers are tested against, and the SDLM curvature pass.

use super::Params;
use crate::kernels::reference::{col2im, gemm_nn, gemm_nt, gemm_tn, im2col};
use crate::kernels::{Act, c1, c3};

pub use crate::kernels::ConvShape as Conv;

// ---------------------------------------------------------------------------------
// C1: the first layer of both networks, n images at a time.

/// Floats of the padded-input scratch of [`c1_forward`] for `n` images.
pub fn c1_padded_len(n: usize) -> usize {
    n * c1::PADDED_LEN
}

/// C1 forward for `n` images (classic: 32x32 inputs, no padding; modern: 28x28 padded
/// by 2): pads every input into `padded` (kept for the backward pass), then
/// `y = act(conv5x5(x) + b)`.
/// x: `[n][side][side]`, p: `[6][1][5][5]`, `[6]` → padded: `[n][PADDED_LEN]`, y: `[n][6][28][28]`
pub fn c1_forward(
    layer: &Conv,
    n: usize,
    x: &[f32],
    p: Params<&[f32]>,
    padded: &mut [f32],
    y: &mut [f32],
    act: Act,
) {
    pad_images(layer, n, x, padded);
    if n == 1 {
        // One image: by map on the grid (the same sums; fewer weight broadcasts).
        c1::forward_grid(n, padded, p.weight, p.bias, y, act);
    } else {
        c1::forward(n, padded, p.weight, p.bias, y, act);
    }
}

/// Each of the `n` `[h][w]` images of `x` padded into `padded` (`[n][PADDED_LEN]`), as
/// C1's kernels read it.
fn pad_images(layer: &Conv, n: usize, x: &[f32], padded: &mut [f32]) {
    assert_eq!((layer.cin, layer.cout, layer.k, layer.ho()), (1, 6, 5, 28));
    let side = layer.h;
    for s in 0..n {
        c1::pad_input(
            &x[s * side * side..],
            side,
            layer.pad,
            0.0,
            &mut padded[s * c1::PADDED_LEN..],
        );
    }
}

/// The modern network's C1 + ReLU + 2x2 max-pool for inference: pads every input into
/// `padded` as [`c1_forward`] does, then [`c1::forward_relu_pool`] (the same bits as
/// [`c1_forward`] with ReLU followed by the max-pool; C1's own output is not formed).
/// x: `[n][28][28]` → padded: `[n][PADDED_LEN]`, pooled: `[n][6][14][14]`
pub fn c1_relu_pool_forward(
    layer: &Conv,
    n: usize,
    x: &[f32],
    p: Params<&[f32]>,
    padded: &mut [f32],
    pooled: &mut [f32],
) {
    pad_images(layer, n, x, padded);
    c1::forward_relu_pool(n, padded, p.weight, p.bias, pooled);
}

/// C1 backward (the input gets no gradient): `g.weight += Σ dy ⋆ padded`, `g.bias += Σ dy`.
/// padded: `[n][PADDED_LEN]` (from [`c1_forward`]), dy: `[n][6][28][28]`
pub fn c1_backward(n: usize, padded: &[f32], dy: &[f32], g: Params<&mut [f32]>) {
    c1::weight_grad(n, padded, dy, g.weight, g.bias);
}

/// The modern network's C1 backward from the gradient of its pooled output, in one sparse
/// pass: max-pool backward, ReLU backward and C1's weight gradient
/// ([`c1::pool_relu_weight_grad`]; the gradient of C1's output is never formed).
/// y: `[n][6][28][28]` (C1 + ReLU), pooled, d_pooled: `[n][6][14][14]`, padded: `[n][PADDED_LEN]`
pub fn c1_pool_relu_backward(
    n: usize,
    y: &[f32],
    pooled: &[f32],
    d_pooled: &[f32],
    padded: &[f32],
    g: Params<&mut [f32]>,
) {
    c1::pool_relu_weight_grad(n, y, pooled, d_pooled, padded, g.weight, g.bias);
}

// ---------------------------------------------------------------------------------
// C3: 6 → 16 maps on 14x14, n images at a time.

/// Scratch of the C3 layer: transposed and padded weights, position-major outputs and
/// gradients.
pub struct C3Scratch {
    /// Weights as `[150][16]` (tap-major), refreshed by every forward call whose weights
    /// differ from `wt_source` (`C3Scratch::transpose_weights`).
    pub wt: Vec<f32>,
    /// The `[16][150]` weights `wt` was made from, bit for bit.
    pub wt_source: Vec<f32>,
    /// Outputs, position-major: `[n][100][16]`.
    pub y_hwc: Vec<f32>,
    /// Output gradients, position-major: `[n][100][16]`.
    pub dy_hwc: Vec<f32>,
    /// Weight-gradient accumulator of the sparse kernel, `[16][6][5][8]`.
    pub dw_pad: Vec<f32>,
    /// Weights padded for the input gradient: `[16][6][5][8]` ([`c3::pad_weights`]).
    pub w_pad: Vec<f32>,
    /// Bit o of `live[c]`: the (o, c) kernel has a nonzero weight.
    pub live: [u16; 6],
}

impl C3Scratch {
    /// Scratch for `cap` images.
    pub fn new(cap: usize) -> Self {
        let w = c3::TAPS_PER_OUTPUT * c3::MAPS_OUT;
        C3Scratch {
            wt: vec![0.0; w],
            wt_source: vec![0.0; w],
            y_hwc: vec![0.0; cap * c3::OUT_LEN],
            dy_hwc: vec![0.0; cap * c3::OUT_LEN],
            dw_pad: vec![0.0; c3::W_PAD_LEN],
            w_pad: vec![0.0; c3::W_PAD_LEN],
            live: [0; 6],
        }
    }

    /// `wt[k][o]` = `w[o][k]` for the `[16][150]` C3 weights, made again only when `w`
    /// differs, bit for bit, from the weights it was last made from: inference with the
    /// same weights (one image per call above all) does not transpose them on every call.
    /// (A zero `wt` is the transposition of zero weights, so a new scratch is consistent.)
    fn transpose_weights(&mut self, w: &[f32]) {
        let w = &w[..c3::MAPS_OUT * c3::TAPS_PER_OUTPUT];
        // No early exit, so that the comparison runs on vectors.
        let differ =
            (w.iter().zip(&self.wt_source)).fold(0, |d, (a, b)| d | (a.to_bits() ^ b.to_bits()));
        if differ == 0 {
            return;
        }
        transpose_c3(w, &mut self.wt);
        self.wt_source.copy_from_slice(w);
    }

    /// What a forward call with weights `w` reads and writes: the tap-major weights
    /// (`kept`'s, made once from `w` and checked in debug builds, or else the scratch's
    /// `wt`, made again if `w` changed) and the position-major output buffer `y_hwc`.
    fn forward_buffers<'a>(
        &'a mut self,
        w: &[f32],
        kept: Option<&'a C3TapMajor>,
    ) -> (&'a [f32], &'a mut [f32]) {
        match kept {
            Some(k) => {
                debug_assert!(*k == C3TapMajor::of(w), "kept C3 weights are stale");
                (&k.0, &mut self.y_hwc)
            }
            None => {
                self.transpose_weights(w);
                (&self.wt, &mut self.y_hwc)
            }
        }
    }
}

/// `wt[k][o]` = `w[o][k]`: C3's `[16][150]` weights → tap-major `[150][16]`.
fn transpose_c3(w: &[f32], wt: &mut [f32]) {
    for (o, row) in w.chunks_exact(c3::TAPS_PER_OUTPUT).enumerate() {
        for (k, v) in row.iter().enumerate() {
            wt[k * c3::MAPS_OUT + o] = *v;
        }
    }
}

/// C3's weights tap-major (`[150][16]`, as its forward kernels read them), made once for
/// weights that will not change: a [`crate::Model`] keeps them, so that its forward
/// calls skip the scratch's comparison of the weights with those of the previous call
/// (2,400 of them: 3 % of the time of a one-image call).
#[derive(Clone, Debug, PartialEq)]
pub struct C3TapMajor(Vec<f32>);

impl C3TapMajor {
    /// The tap-major copy of C3's `[16][150]` weights.
    pub fn of(w: &[f32]) -> Self {
        let mut wt = vec![0.0; c3::MAPS_OUT * c3::TAPS_PER_OUTPUT];
        transpose_c3(&w[..wt.len()], &mut wt);
        C3TapMajor(wt)
    }
}

/// C3 forward: `y = act(conv5x5(x) + b)`, also kept position-major in `sc.y_hwc`; the
/// weights tap-major from `kept` if given (made from `p.weight`), else from the scratch.
/// x: `[n][6][14][14]`, p: `[16][6][5][5]`, `[16]` → y: `[n][16][10][10]`
pub fn c3_forward(
    n: usize,
    x: &[f32],
    p: Params<&[f32]>,
    kept: Option<&C3TapMajor>,
    y: &mut [f32],
    sc: &mut C3Scratch,
    act: Act,
) {
    let (wt, y_hwc) = sc.forward_buffers(p.weight, kept);
    c3::forward(n, x, wt, p.bias, y, y_hwc, act);
}

/// The modern network's conv2 + ReLU + 2x2 max-pool for inference ([`c3::forward_relu_pool`]):
/// the bits of [`c3_forward`] with [`Act::Relu`] then the max-pool, the unpooled maps never
/// stored map-major; the weights as in [`c3_forward`].
/// x: `[n][6][14][14]`, p: `[16][6][5][5]`, `[16]` → pooled: `[n][16][5][5]`
pub fn c3_relu_pool_forward(
    n: usize,
    x: &[f32],
    p: Params<&[f32]>,
    kept: Option<&C3TapMajor>,
    pooled: &mut [f32],
    sc: &mut C3Scratch,
) {
    let (wt, y_hwc) = sc.forward_buffers(p.weight, kept);
    c3::forward_relu_pool(n, x, wt, p.bias, y_hwc, pooled);
}

/// [`c3_backward`] takes the sparse weight-gradient kernel when at most 1 in
/// `SPARSE_BELOW` output gradients is nonzero.
const SPARSE_BELOW: usize = 3;

/// C3 backward: `g.weight += Σ dy ⋆ x`, `g.bias += Σ dy`, and (when given) dx = the full
/// correlation of dy with w (the column gradient `wᵀ · dy` and col2im's sums, over the
/// connected map pairs only: [`c3::input_grad`] over the nonzero gradients when they are
/// sparse, else [`c3::input_grad_direct`]; the two are bit-identical).
/// x: `[n][6][14][14]`, w: `[16][150]`, dy: `[n][16][10][10]` → dx: `[n][6][14][14]` (overwritten)
pub fn c3_backward(
    n: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    g: Params<&mut [f32]>,
    dx: Option<&mut [f32]>,
    sc: &mut C3Scratch,
) {
    let (maps, taps, positions) = (c3::MAPS_OUT, c3::TAPS_PER_OUTPUT, c3::POSITIONS);
    let dy = &dy[..n * c3::OUT_LEN];
    // Each map's bias gradient: its positions summed in order from where std's `sum`
    // starts, then added to the bias, image by image. The 16 maps side by side (16
    // independent sums instead of one chain of 1,600 dependent adds an image).
    let start: f32 = [0.0f32; 0].iter().sum();
    for img in dy.chunks_exact(c3::OUT_LEN) {
        let mut sums = [start; c3::MAPS_OUT];
        for p in 0..positions {
            for (o, sum) in sums.iter_mut().enumerate() {
                *sum += img[o * positions + p];
            }
        }
        for (b, sum) in g.bias[..maps].iter_mut().zip(sums) {
            *b += sum;
        }
    }
    // Both weight-gradient kernels add the same terms in the same order (bit-identical
    // results); the sparse one wins when few gradients are nonzero (behind a max-pool).
    let nonzero = dy.iter().filter(|v| **v != 0.0).count();
    let sparse = nonzero <= dy.len() / SPARSE_BELOW;
    if sparse {
        sc.dw_pad.fill(0.0);
        c3::weight_grad_sparse(n, x, dy, &mut sc.dw_pad);
        let rows = g.weight[..maps * taps].chunks_exact_mut(5);
        for (row, d) in rows.zip(sc.dw_pad.chunks_exact(8)) {
            for (gw, v) in row.iter_mut().zip(d) {
                *gw += v;
            }
        }
    } else {
        for s in 0..n {
            let (d, h) = (
                &dy[s * c3::OUT_LEN..(s + 1) * c3::OUT_LEN],
                &mut sc.dy_hwc[s * c3::OUT_LEN..(s + 1) * c3::OUT_LEN],
            );
            for (o, row) in d.chunks_exact(positions).enumerate() {
                for (p, v) in row.iter().enumerate() {
                    h[p * maps + o] = *v;
                }
            }
        }
        c3::weight_grad_into(n, x, &sc.dy_hwc, g.weight);
    }
    if let Some(dx) = dx {
        if sparse {
            c3::pad_weights(w, &mut sc.w_pad, &mut sc.live);
            c3::input_grad(n, &sc.w_pad, &sc.live, dy, dx);
        } else {
            c3::input_grad_direct(n, w, dy, dx);
        }
    }
}

// ---------------------------------------------------------------------------------
// The general path: any shape, one image at a time (the reference, and the curvature).

/// The im2col matrix of one image and its gradient, `[cin·k·k, ho·wo]` each, for the
/// largest convolution they serve.
pub struct Im2col {
    pub col: Vec<f32>,
    pub dcol: Vec<f32>,
}

impl Im2col {
    /// Scratch for every shape in `layers`.
    pub fn new(layers: &[Conv]) -> Im2col {
        let len = layers
            .iter()
            .map(|s| s.col_rows() * s.col_cols())
            .max()
            .unwrap_or(0);
        Im2col {
            col: vec![0.0; len],
            dcol: vec![0.0; len],
        }
    }
}

/// Forward, one image: `y = w · im2col(x) + b`.
/// `x: [cin, h, w], p: [cout, cin·k·k], [cout] → y: [cout, ho·wo]`
pub fn conv_forward(s: &Conv, x: &[f32], p: Params<&[f32]>, y: &mut [f32], sc: &mut Im2col) {
    let (m, k, n) = (s.cout, s.col_rows(), s.col_cols());
    im2col(s, x, &mut sc.col);
    for (o, row) in y[..m * n].chunks_exact_mut(n).enumerate() {
        row.fill(p.bias[o]);
    }
    gemm_nn(m, k, n, p.weight, &sc.col, y, true);
}

/// Backward, one image. Accumulates `g.weight += dy · colᵀ` and `g.bias += Σ dy`; when
/// `dx` is given, overwrites it with `col2im(wᵀ · dy)`.
/// `x: [cin, h, w], w: [cout, cin·k·k], dy: [cout, ho·wo] → dx: [cin, h, w]`
pub fn conv_backward(
    s: &Conv,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    g: Params<&mut [f32]>,
    dx: Option<&mut [f32]>,
    sc: &mut Im2col,
) {
    let (m, k, n) = (s.cout, s.col_rows(), s.col_cols());
    im2col(s, x, &mut sc.col);
    for (o, row) in dy[..m * n].chunks_exact(n).enumerate() {
        g.bias[o] += row.iter().sum::<f32>();
    }
    gemm_nt(m, n, k, dy, &sc.col, g.weight, true);
    if let Some(dx) = dx {
        gemm_tn(k, m, n, w, dy, &mut sc.dcol, false);
        col2im(s, &sc.dcol, dx);
    }
}

/// Zero the gradient of every weight whose connection is absent (mask 0).
/// mask: `[cout, cin·k·k]` of 0/1, like w.
pub fn mask_grad(dw: &mut [f32], mask: &[f32]) {
    for (g, m) in dw.iter_mut().zip(mask) {
        *g *= m;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ConvShape;
    use crate::kernels::reference::conv_forward_naive;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    fn shapes() -> Vec<Conv> {
        vec![
            Conv::new(1, 8, 2, 5, 0),
            ConvShape {
                cin: 3,
                h: 7,
                w: 6,
                cout: 4,
                k: 3,
                pad: 1,
            },
            Conv::new(2, 6, 3, 5, 2),
        ]
    }

    fn params<'a>(w: &'a [f32], b: &'a [f32]) -> Params<&'a [f32]> {
        Params { weight: w, bias: b }
    }

    #[test]
    fn forward_matches_naive() {
        for s in shapes() {
            let x = rand_vec(s.in_len(), 1);
            let w = rand_vec(s.weight_len(), 2);
            let b = rand_vec(s.cout, 3);
            let mut y = vec![0.0; s.out_len()];
            let mut y2 = vec![0.0; s.out_len()];
            conv_forward(&s, &x, params(&w, &b), &mut y, &mut Im2col::new(&[s]));
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
            let w = rand_vec(s.weight_len(), 5);
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
            let g = Params {
                weight: &mut dw[..],
                bias: &mut db[..],
            };
            conv_backward(&s, &x, &w, &r, g, Some(&mut dx), &mut Im2col::new(&[s]));
            check_grad("conv dx", &x, &dx, |v| loss(v, &w, &b));
            check_grad("conv dw", &w, &dw, |v| loss(&x, v, &b));
            check_grad("conv db", &b, &db, |v| loss(&x, &w, v));
        }
    }

    /// One scratch used with weights A, B (A with one zero weight's sign flipped), C (A with
    /// its last weight changed), then A twice, forward and pooled: the outputs of a fresh
    /// scratch every time, so the transposed weights kept between calls are never stale.
    #[test]
    fn c3_kept_transposed_weights_follow_the_weights() {
        let n = 2;
        let s = Conv::new(6, 14, 16, 5, 0);
        let x = rand_vec(n * s.in_len(), 21);
        let (mut wa, b) = (rand_vec(s.weight_len(), 22), rand_vec(16, 23));
        wa[7] = 0.0;
        let mut wb = wa.clone();
        wb[7] = -0.0;
        let mut wc = wa.clone();
        wc[2399] += 1.0;
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let run = |w: &[f32], sc: &mut C3Scratch| {
            let mut y = vec![f32::NAN; n * s.out_len()];
            c3_forward(n, &x, params(w, &b), None, &mut y, sc, Act::Identity);
            let mut pooled = vec![f32::NAN; n * c3::POOLED_LEN];
            c3_relu_pool_forward(n, &x, params(w, &b), None, &mut pooled, sc);
            (bits(&y), bits(&pooled))
        };
        let mut kept = C3Scratch::new(n);
        for w in [&wa, &wb, &wc, &wa, &wa] {
            let fresh = run(w, &mut C3Scratch::new(n));
            assert_eq!(run(w, &mut kept), fresh);
            assert_eq!(kept.wt_source, **w);
        }
        // The sign of a zero weight reaches the outputs' bits only through +0/−0 sums;
        // the kept copy must still be the new weights' own.
        run(&wb, &mut kept);
        assert_eq!(kept.wt[7 * 16].to_bits(), (-0.0f32).to_bits());
    }

    /// The fast layers agree with the im2col reference, forward and backward.
    #[test]
    fn fast_layers_match_reference() {
        use crate::kernels::simd::with_portable;
        let n = 3;
        for portable in [true, false] {
            with_portable(portable, || {
                for (side, pad) in [(32usize, 0usize), (28, 2)] {
                    let s = Conv::new(1, side, 6, 5, pad);
                    let x = rand_vec(n * side * side, 1);
                    let (w, b) = (rand_vec(s.weight_len(), 2), rand_vec(6, 3));
                    let mut padded = vec![0.0; c1_padded_len(n)];
                    let mut y = vec![0.0; n * s.out_len()];
                    c1_forward(
                        &s,
                        n,
                        &x,
                        params(&w, &b),
                        &mut padded,
                        &mut y,
                        Act::Identity,
                    );
                    let dy = rand_vec(n * s.out_len(), 4);
                    let (mut dw, mut db) = (vec![0.0; w.len()], vec![0.0; 6]);
                    let g = Params {
                        weight: &mut dw[..],
                        bias: &mut db[..],
                    };
                    c1_backward(n, &padded, &dy, g);
                    let (mut dw0, mut db0) = (vec![0.0; w.len()], vec![0.0; 6]);
                    let mut sc = Im2col::new(&[s]);
                    for i in 0..n {
                        let mut y0 = vec![0.0; s.out_len()];
                        conv_forward(&s, &x[i * side * side..], params(&w, &b), &mut y0, &mut sc);
                        for (a, b) in y[i * s.out_len()..(i + 1) * s.out_len()].iter().zip(&y0) {
                            assert!((a - b).abs() < 1e-4, "c1 forward {a} vs {b}");
                        }
                        let g0 = Params {
                            weight: &mut dw0[..],
                            bias: &mut db0[..],
                        };
                        conv_backward(
                            &s,
                            &x[i * side * side..],
                            &w,
                            &dy[i * s.out_len()..],
                            g0,
                            None,
                            &mut sc,
                        );
                    }
                    for (a, b) in dw.iter().zip(&dw0).chain(db.iter().zip(&db0)) {
                        assert!(
                            (a - b).abs() < 1e-3 * b.abs().max(1.0),
                            "c1 backward {a} vs {b}"
                        );
                    }
                }
                let s = Conv::new(6, 14, 16, 5, 0);
                let x = rand_vec(n * s.in_len(), 5);
                let (w, b) = (rand_vec(s.weight_len(), 6), rand_vec(16, 7));
                let mut sc = C3Scratch::new(n);
                let mut y = vec![0.0; n * s.out_len()];
                c3_forward(n, &x, params(&w, &b), None, &mut y, &mut sc, Act::Identity);
                let dy = rand_vec(n * s.out_len(), 8);
                let (mut dw, mut db, mut dx) =
                    (vec![0.0; w.len()], vec![0.0; 16], vec![0.0; n * s.in_len()]);
                let g = Params {
                    weight: &mut dw[..],
                    bias: &mut db[..],
                };
                c3_backward(n, &x, &w, &dy, g, Some(&mut dx), &mut sc);
                let (mut dw0, mut db0) = (vec![0.0; w.len()], vec![0.0; 16]);
                let mut col = Im2col::new(&[s]);
                for i in 0..n {
                    let mut y0 = vec![0.0; s.out_len()];
                    conv_forward(&s, &x[i * s.in_len()..], params(&w, &b), &mut y0, &mut col);
                    for (a, b) in y[i * s.out_len()..(i + 1) * s.out_len()].iter().zip(&y0) {
                        assert!(
                            (a - b).abs() < 1e-4 * b.abs().max(1.0),
                            "c3 forward {a} vs {b}"
                        );
                    }
                    let mut dx0 = vec![0.0; s.in_len()];
                    let g0 = Params {
                        weight: &mut dw0[..],
                        bias: &mut db0[..],
                    };
                    conv_backward(
                        &s,
                        &x[i * s.in_len()..],
                        &w,
                        &dy[i * s.out_len()..],
                        g0,
                        Some(&mut dx0),
                        &mut col,
                    );
                    for (a, b) in dx[i * s.in_len()..(i + 1) * s.in_len()].iter().zip(&dx0) {
                        assert!((a - b).abs() < 1e-4 * b.abs().max(1.0), "c3 dx {a} vs {b}");
                    }
                }
                for (a, b) in dw.iter().zip(&dw0).chain(db.iter().zip(&db0)) {
                    assert!(
                        (a - b).abs() < 1e-3 * b.abs().max(1.0),
                        "c3 backward {a} vs {b}"
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
