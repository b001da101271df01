//! The hot loops, written once over [`Simd`] and dispatched at run time (AVX2 + FMA, or
//! portable). Shapes are LeNet-5's; every function states them and asserts the slice
//! lengths it relies on, so the unchecked vector loads inside stay in bounds.
//!
//! | kernel | computes | vectorised over |
//! |---|---|---|
//! | [`conv1_forward`] | 1→6 maps, 5x5, 32x32 → 28x28, + bias, activation | 8 output columns |
//! | [`conv1_backward_w`] | dW, db of the same | 8 output columns |
//! | [`conv2_forward`] | 6→16 maps, 5x5, 14x14 → 10x10, + bias, activation | 16 output channels |
//! | [`conv2_backward_w`] | dW of the same (dW += Xᵀ·dY, X the implicit im2col) | 16 output channels |
//! | [`gemm`] | C (+)= A·B, small (FC backward, conv2's dX before col2im) | columns of B and C |
//! | [`dense_forward`] | y = x·Wᵀ + b (FC forward) | the input dimension (dot products) |
//! | [`activate`] | ReLU / scaled tanh in place | elements |
//!
//! Per output element, every kernel adds its terms in one fixed order that does not
//! depend on the tile it falls in or on the number of images: results are identical
//! whatever the batch size, and (per back end) on every run.

use super::simd::{LANES, Simd, scaled_tanh};
use crate::nn::act::{TANH_A, TANH_S};
use crate::simd_dispatch;

/// Activation fused into a kernel's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    /// None (linear).
    Identity,
    /// max(0, a).
    Relu,
    /// The paper's 1.7159·tanh(2/3·a).
    Tanh,
}

#[inline(always)]
unsafe fn act_v<S: Simd>(a: Act, v: S::V) -> S::V {
    // SAFETY: arithmetic only.
    unsafe {
        match a {
            Act::Identity => v,
            Act::Relu => S::max(v, S::zero()),
            Act::Tanh => scaled_tanh::<S>(v, TANH_A, TANH_S),
        }
    }
}

// ---------------------------------------------------------------------------------
// conv1: 1 → 6 maps, 5x5, stride 1, on a 32x32 (padded) image → 28x28.

/// Floats of one padded conv1 input: 32 rows of 32, plus 8 of slack so the last
/// output vector of a row may read 4 columns past the row (into the next row, or the
/// slack) for the 4 output columns it discards.
pub const XP_LEN: usize = 32 * 32 + 8;
/// Floats of one conv1 output: 6 maps of 28x28.
pub const C1_OUT: usize = 6 * 28 * 28;

/// Copies one image into the padded conv1 layout: `src` is `side`x`side`, placed at
/// offset (`pad`, `pad`) of a 32x32 field of `background`. dst: `[XP_LEN]`
pub fn pad_input(src: &[f32], side: usize, pad: usize, background: f32, dst: &mut [f32]) {
    assert!(side + 2 * pad == 32 && src.len() >= side * side && dst.len() >= XP_LEN);
    if pad > 0 {
        dst[..XP_LEN].fill(background);
    } else {
        dst[32 * 32..XP_LEN].fill(background);
    }
    for (y, row) in src[..side * side].chunks_exact(side).enumerate() {
        dst[(y + pad) * 32 + pad..][..side].copy_from_slice(row);
    }
}

/// `y[s][c][oy][ox]` = act(`b[c]` + Σ_{ki,kj} `w[c][ki][kj]` · `xp[s][oy+ki][ox+kj]`)
/// xp: `[n][XP_LEN]` (see [`pad_input`]), w: `[6][25]`, b: `[6]` → y: `[n][6][28][28]`
#[inline(always)]
unsafe fn conv1_forward_g<S: Simd>(
    n: usize,
    xp: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
    act: Act,
) {
    assert!(xp.len() >= n * XP_LEN && w.len() >= 150 && b.len() >= 6 && y.len() >= n * C1_OUT);
    // SAFETY: loads read xp[s·XP_LEN + (oy+ki)·32 + ox0 + kj + 0..16] with oy+ki ≤ 31 and
    // ox0 + kj + 15 ≤ 16 + 4 + 15 = 35, i.e. below s·XP_LEN + 31·32 + 36 ≤ (s+1)·XP_LEN;
    // stores write y[s·C1_OUT + c·784 + oy·28 + ox0 + 0..16] with ox0 + 16 ≤ 28 for ox0 = 0
    // and 12 floats (8 + part 4) for ox0 = 16: all inside image s. Weights: c·25+t < 150.
    unsafe {
        let wp = w.as_ptr();
        for s in 0..n {
            let x = xp.as_ptr().add(s * XP_LEN);
            let out = y.as_mut_ptr().add(s * C1_OUT);
            for oy in 0..28 {
                for ox0 in [0usize, 16] {
                    let mut acc = [[S::zero(); 2]; 6];
                    for (c, a) in acc.iter_mut().enumerate() {
                        *a = [S::splat(b[c]); 2];
                    }
                    for ki in 0..5 {
                        let row = x.add((oy + ki) * 32 + ox0);
                        for kj in 0..5 {
                            let x0 = S::load(row.add(kj));
                            let x1 = S::load(row.add(kj + 8));
                            for (c, a) in acc.iter_mut().enumerate() {
                                let wv = S::splat(*wp.add(c * 25 + ki * 5 + kj));
                                a[0] = S::fma(x0, wv, a[0]);
                                a[1] = S::fma(x1, wv, a[1]);
                            }
                        }
                    }
                    for (c, a) in acc.iter().enumerate() {
                        let o = out.add(c * 784 + oy * 28 + ox0);
                        S::store(o, act_v::<S>(act, a[0]));
                        if ox0 == 0 {
                            S::store(o.add(8), act_v::<S>(act, a[1]));
                        } else {
                            S::store_part(o.add(8), act_v::<S>(act, a[1]), 4);
                        }
                    }
                }
            }
        }
    }
}

simd_dispatch! {
    /// conv1 forward with bias and activation, `n` images. See `conv1_forward_g`:
    /// xp: `[n][XP_LEN]`, w: `[6][25]`, b: `[6]` → y: `[n][6][28][28]`
    pub fn conv1_forward(n: usize, xp: &[f32], w: &[f32], b: &[f32], y: &mut [f32], act: Act) => conv1_forward_g
}

/// `dw[c][ki][kj]` += Σ_{s,oy,ox} `dy[s][c][oy][ox]` · `xp[s][oy+ki][ox+kj]`;  `db[c]` += Σ `dy[s][c]`
/// xp: `[n][XP_LEN]`, dy: `[n][6][28][28]` → dw: `[6][25]`, db: `[6]` (accumulated)
#[inline(always)]
#[allow(clippy::needless_range_loop)] // kj indexes the accumulators and the x offset
unsafe fn conv1_backward_w_g<S: Simd>(
    n: usize,
    xp: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    assert!(xp.len() >= n * XP_LEN && dy.len() >= n * C1_OUT && dw.len() >= 150 && db.len() >= 6);
    // SAFETY: dy loads read dy[s·C1_OUT + c·784 + oy·28 + 8v + 0..8] (v < 3) or
    // + 24 + 0..4 (v = 3, partial): inside image s. xp loads read
    // xp[s·XP_LEN + (oy+ki)·32 + 8v + kj + 0..8] ≤ 31·32 + 24 + 4 + 7 = 1027 < XP_LEN. The
    // 4 lanes of the last x vector past column 27 meet zero lanes of dy, adding 0.
    unsafe {
        // Lane partial sums for (ki, channel pair) blocks: [5][3][2 channels][5 kj].
        let mut part = [[[[S::zero(); 5]; 2]; 3]; 5];
        let mut dbv = [S::zero(); 6];
        for s in 0..n {
            let x = xp.as_ptr().add(s * XP_LEN);
            let d = dy.as_ptr().add(s * C1_OUT);
            for (ki, pk) in part.iter_mut().enumerate() {
                for (cp, acc) in pk.iter_mut().enumerate() {
                    let (d0p, d1p) = (d.add(2 * cp * 784), d.add((2 * cp + 1) * 784));
                    for oy in 0..28 {
                        let row = x.add((oy + ki) * 32);
                        for v in 0..4 {
                            let (d0, d1) = if v < 3 {
                                (
                                    S::load(d0p.add(oy * 28 + 8 * v)),
                                    S::load(d1p.add(oy * 28 + 8 * v)),
                                )
                            } else {
                                (
                                    S::load_part(d0p.add(oy * 28 + 24), 4),
                                    S::load_part(d1p.add(oy * 28 + 24), 4),
                                )
                            };
                            for kj in 0..5 {
                                let xv = S::load(row.add(8 * v + kj));
                                acc[0][kj] = S::fma(d0, xv, acc[0][kj]);
                                acc[1][kj] = S::fma(d1, xv, acc[1][kj]);
                            }
                        }
                    }
                }
            }
            for (c, a) in dbv.iter_mut().enumerate() {
                let dc = d.add(c * 784);
                for i in 0..98 {
                    *a = S::add(*a, S::load(dc.add(8 * i)));
                }
            }
        }
        for (ki, pk) in part.iter().enumerate() {
            for (cp, acc) in pk.iter().enumerate() {
                for (h, a) in acc.iter().enumerate() {
                    for (kj, v) in a.iter().enumerate() {
                        dw[(2 * cp + h) * 25 + ki * 5 + kj] += S::hsum(*v);
                    }
                }
            }
        }
        for (c, a) in dbv.iter().enumerate() {
            db[c] += S::hsum(*a);
        }
    }
}

simd_dispatch! {
    /// conv1 weight and bias gradients over `n` images (accumulated):
    /// xp: `[n][XP_LEN]`, dy: `[n][6][28][28]` → dw: `[6][25]`, db: `[6]`
    pub fn conv1_backward_w(n: usize, xp: &[f32], dy: &[f32], dw: &mut [f32], db: &mut [f32]) => conv1_backward_w_g
}

// ---------------------------------------------------------------------------------
// conv2: 6 → 16 maps, 5x5, stride 1, 14x14 → 10x10, as an implicit GEMM
// Y[p][o] = Σ_k X[p][k] · W[k][o] with p = oy·10+ox (100 positions), k = (c, ki, kj)
// (150 taps), X[p][k] = x[c][oy+ki][ox+kj] read straight from the CHW input (no
// im2col copy), and the 16 output channels in two 8-lane vectors.

/// Floats of one conv2 input (6@14x14) and output (16@10x10).
pub const C2_IN: usize = 6 * 14 * 14;
/// See [`C2_IN`].
pub const C2_OUT: usize = 16 * 10 * 10;

/// Offset of tap k = (c, ki, kj) from the top-left input pixel of a window.
const fn tap_offsets() -> [u32; 150] {
    let mut t = [0u32; 150];
    let mut k = 0;
    while k < 150 {
        let (c, ki, kj) = (k / 25, (k / 5) % 5, k % 5);
        t[k] = (c * 196 + ki * 14 + kj) as u32;
        k += 1;
    }
    t
}
static TAPS: [u32; 150] = tap_offsets();

/// Top-left input pixel of the window of output position p.
#[inline(always)]
fn window(p: usize) -> usize {
    (p / 10) * 14 + p % 10
}

/// One tile of MR output positions × 16 channels.
#[inline(always)]
unsafe fn conv2_tile<S: Simd, const MR: usize>(
    x: *const f32,
    wt: *const f32,
    b: &[f32],
    p0: usize,
    out_hwc: *mut f32,
    out_chw: *mut f32,
    act: Act,
) {
    // SAFETY: (caller) x points at one 6@14x14 image, wt at [150][16], out_hwc at
    // [100][16], out_chw at [16][100]; window(p) + TAPS[k] ≤ 9·14 + 9 + 5·196 + 4·14 + 4
    // = 1175 < C2_IN.
    unsafe {
        let mut acc = [[S::load(b.as_ptr()), S::load(b.as_ptr().add(8))]; MR];
        let xb: [*const f32; MR] = std::array::from_fn(|j| x.add(window(p0 + j)));
        for (k, &off) in TAPS.iter().enumerate() {
            let w0 = S::load(wt.add(16 * k));
            let w1 = S::load(wt.add(16 * k + 8));
            for j in 0..MR {
                let xv = S::splat(*xb[j].add(off as usize));
                acc[j][0] = S::fma(xv, w0, acc[j][0]);
                acc[j][1] = S::fma(xv, w1, acc[j][1]);
            }
        }
        for (j, a) in acc.iter().enumerate() {
            let p = p0 + j;
            let (v0, v1) = (act_v::<S>(act, a[0]), act_v::<S>(act, a[1]));
            S::store(out_hwc.add(16 * p), v0);
            S::store(out_hwc.add(16 * p + 8), v1);
            let mut t = [0.0f32; 16];
            S::store(t.as_mut_ptr(), v0);
            S::store(t.as_mut_ptr().add(8), v1);
            for (o, v) in t.iter().enumerate() {
                *out_chw.add(o * 100 + p) = *v;
            }
        }
    }
}

/// `y[s][o][p]` = act(`b[o]` + Σ_k `x[s][window(p) + tap(k)]` · `wt[k][o]`), also stored
/// position-major in `y_hwc[s][p][o]` (what the backward pass reads).
/// x: `[n][6][14][14]`, wt: `[150][16]` (transposed weights), b: `[16]`
/// → y: `[n][16][10][10]`, y_hwc: `[n][100][16]`
#[inline(always)]
unsafe fn conv2_forward_g<S: Simd>(
    n: usize,
    x: &[f32],
    wt: &[f32],
    b: &[f32],
    y: &mut [f32],
    y_hwc: &mut [f32],
    act: Act,
) {
    assert!(x.len() >= n * C2_IN && wt.len() >= 2400 && b.len() >= 16);
    assert!(y.len() >= n * C2_OUT && y_hwc.len() >= n * C2_OUT);
    for s in 0..n {
        // SAFETY: image s of every buffer is in bounds (asserted above); positions
        // p0..p0+MR ≤ 100.
        unsafe {
            let (xs, ys, hs) = (
                x.as_ptr().add(s * C2_IN),
                y.as_mut_ptr().add(s * C2_OUT),
                y_hwc.as_mut_ptr().add(s * C2_OUT),
            );
            for t in 0..16 {
                conv2_tile::<S, 6>(xs, wt.as_ptr(), b, 6 * t, hs, ys, act);
            }
            conv2_tile::<S, 4>(xs, wt.as_ptr(), b, 96, hs, ys, act);
        }
    }
}

simd_dispatch! {
    /// conv2 forward with bias and activation, `n` images:
    /// x: `[n][6][14][14]`, wt: `[150][16]`, b: `[16]` → y: `[n][16][10][10]`, y_hwc: `[n][100][16]`
    pub fn conv2_forward(n: usize, x: &[f32], wt: &[f32], b: &[f32], y: &mut [f32], y_hwc: &mut [f32], act: Act) => conv2_forward_g
}

/// `dwt[k][o]` += Σ_{s,p} `x[s][window(p) + tap(k)]` · `dy_hwc[s][p][o]`
/// x: `[n][6][14][14]`, dy_hwc: `[n][100][16]` → dwt: `[150][16]` (accumulated; transposed dW)
#[inline(always)]
unsafe fn conv2_backward_w_g<S: Simd>(n: usize, x: &[f32], dy_hwc: &[f32], dwt: &mut [f32]) {
    assert!(x.len() >= n * C2_IN && dy_hwc.len() >= n * C2_OUT && dwt.len() >= 2400);
    // SAFETY: as in conv2_tile: window(p) + TAPS[k] < C2_IN; dy_hwc[s][p][0..16] and
    // dwt[k][0..16] with k < 150 are in bounds.
    unsafe {
        let dwp = dwt.as_mut_ptr();
        for kt in 0..25 {
            let k0 = 6 * kt;
            let mut acc: [[S::V; 2]; 6] = std::array::from_fn(|j| {
                [
                    S::load(dwp.add(16 * (k0 + j))),
                    S::load(dwp.add(16 * (k0 + j) + 8)),
                ]
            });
            let off: [usize; 6] = std::array::from_fn(|j| TAPS[k0 + j] as usize);
            for s in 0..n {
                let xs = x.as_ptr().add(s * C2_IN);
                let mut d = dy_hwc.as_ptr().add(s * C2_OUT);
                for oy in 0..10 {
                    // The 6 taps of this tile, for the window at (oy, 0), then moving right.
                    let mut xw: [*const f32; 6] = std::array::from_fn(|j| xs.add(oy * 14 + off[j]));
                    for _ox in 0..10 {
                        let d0 = S::load(d);
                        let d1 = S::load(d.add(8));
                        for j in 0..6 {
                            let xv = S::splat(*xw[j]);
                            acc[j][0] = S::fma(xv, d0, acc[j][0]);
                            acc[j][1] = S::fma(xv, d1, acc[j][1]);
                            xw[j] = xw[j].add(1);
                        }
                        d = d.add(16);
                    }
                }
            }
            for (j, a) in acc.iter().enumerate() {
                S::store(dwp.add(16 * (k0 + j)), a[0]);
                S::store(dwp.add(16 * (k0 + j) + 8), a[1]);
            }
        }
    }
}

simd_dispatch! {
    /// conv2 weight gradient over `n` images, transposed (accumulated):
    /// x: `[n][6][14][14]`, dy_hwc: `[n][100][16]` → dwt: `[150][16]`
    pub fn conv2_backward_w(n: usize, x: &[f32], dy_hwc: &[f32], dwt: &mut [f32]) => conv2_backward_w_g
}

/// col2im for conv2, one image: `dx[c][oy+ki][ox+kj]` = Σ `dcol[p][(c, ki, kj)]`.
/// dcol: `[100][150]` → dx: `[6][14][14]` (overwritten)
pub fn conv2_col2im(dcol: &[f32], dx: &mut [f32]) {
    assert!(dcol.len() >= 100 * 150 && dx.len() >= C2_IN);
    dx[..C2_IN].fill(0.0);
    for p in 0..100 {
        let w = window(p);
        let row = &dcol[p * 150..(p + 1) * 150];
        for (ck, run) in row.chunks_exact(5).enumerate() {
            // ck = c·5 + ki: 5 consecutive kj land on 5 consecutive input columns.
            let at = w + (ck / 5) * 196 + (ck % 5) * 14;
            for (d, g) in dx[at..at + 5].iter_mut().zip(run) {
                *d += g;
            }
        }
    }
}

/// col2im for conv2 from the tap-major column gradient, one image:
/// `dx[c][oy+ki][ox+kj]` = Σ `dcol_t[(c, ki, kj)][oy·10 + ox]`, as 1,500 row segments of 10.
/// dcol_t: `[150][100]` → dx: `[6][14][14]` (overwritten)
#[inline(always)]
unsafe fn conv2_col2im_t_g<S: Simd>(dcol_t: &[f32], dx: &mut [f32]) {
    assert!(dcol_t.len() >= 150 * 100 && dx.len() >= C2_IN);
    dx[..C2_IN].fill(0.0);
    // SAFETY: k < 150, oy < 10: source k·100 + oy·10 + 0..10 < 15,000; destination
    // TAPS[k] + oy·14 + 0..10 ≤ 5·196 − 1 + 4·14 + 4 + 9·14 + 9 < C2_IN... precisely
    // c·196 + (ki+oy)·14 + kj + 9 ≤ c·196 + 13·14 + 13 < (c+1)·196.
    unsafe {
        let (src, dst) = (dcol_t.as_ptr(), dx.as_mut_ptr());
        for (k, &off) in TAPS.iter().enumerate() {
            for oy in 0..10 {
                let (a, d) = (src.add(k * 100 + oy * 10), dst.add(off as usize + oy * 14));
                S::store(d, S::add(S::load(d), S::load(a)));
                *d.add(8) += *a.add(8);
                *d.add(9) += *a.add(9);
            }
        }
    }
}

simd_dispatch! {
    /// conv2 col2im from dcol_t: `[150][100]` → dx: `[6][14][14]` (overwritten).
    pub fn conv2_col2im_t(dcol_t: &[f32], dx: &mut [f32]) => conv2_col2im_t_g
}

/// 2x2 max-pooling of `planes` maps of h x w (h, w even):
/// `y[c][i][j]` = max(`x[c][2i][2j]`, `x[c][2i][2j+1]`, `x[c][2i+1][2j]`, `x[c][2i+1][2j+1]`).
/// x: `[planes][h][w]` → y: `[planes][h/2][w/2]`
pub fn maxpool2(planes: usize, h: usize, w: usize, x: &[f32], y: &mut [f32]) {
    let (ho, wo) = (h / 2, w / 2);
    let x = &x[..planes * h * w];
    let y = &mut y[..planes * ho * wo];
    let mx = |a: f32, b: f32| if a > b { a } else { b };
    for (xr, yr) in x.chunks_exact(2 * w).zip(y.chunks_exact_mut(wo)) {
        let (r0, r1) = xr.split_at(w);
        for ((o, a), b) in yr
            .iter_mut()
            .zip(r0.chunks_exact(2))
            .zip(r1.chunks_exact(2))
        {
            *o = mx(mx(a[0], a[1]), mx(b[0], b[1]));
        }
    }
}

/// Backward of [`maxpool2`] followed by the ReLU before it: each block's gradient goes
/// to its first maximal element (row-major) when that maximum is > 0, all else is 0.
/// x: `[planes][h][w]` (the pooled input), y: its pooled output, dy: `[planes][h/2][w/2]`
/// → dx: `[planes][h][w]` (overwritten)
pub fn maxpool2_relu_backward(
    planes: usize,
    h: usize,
    w: usize,
    x: &[f32],
    y: &[f32],
    dy: &[f32],
    dx: &mut [f32],
) {
    let (ho, wo) = (h / 2, w / 2);
    let x = &x[..planes * h * w];
    let dx = &mut dx[..planes * h * w];
    dx.fill(0.0);
    for (((xr, dr), yr), gr) in x
        .chunks_exact(2 * w)
        .zip(dx.chunks_exact_mut(2 * w))
        .zip(y[..planes * ho * wo].chunks_exact(wo))
        .zip(dy[..planes * ho * wo].chunks_exact(wo))
    {
        for (j, (&m, &g)) in yr.iter().zip(gr).enumerate() {
            if m > 0.0 {
                let k = if xr[2 * j] == m {
                    2 * j
                } else if xr[2 * j + 1] == m {
                    2 * j + 1
                } else if xr[w + 2 * j] == m {
                    w + 2 * j
                } else {
                    w + 2 * j + 1
                };
                dr[k] = g;
            }
        }
    }
}

/// The modern network's first-layer backward in one sparse pass: max-pool backward
/// (each 2x2 block's gradient goes to its first maximal element), ReLU backward (only
/// where that maximum is > 0) and conv1's weight gradient, which therefore needs only
/// the ≤ 1 in 4 conv1 outputs that receive a gradient:
/// `dw[c][ki][kj]` += Σ g · `xp[s][y+ki][x+kj]`, `db[c]` += Σ g over those outputs (y, x).
/// a1: `[n][6][28][28]` (conv1 + ReLU), a2: `[n][6][14][14]` (pooled), d2: `[n][6][14][14]`,
/// xp: `[n][XP_LEN]` → dw: `[6][25]`, db: `[6]` (accumulated)
#[inline(always)]
unsafe fn pool1_relu_conv1_backward_w_g<S: Simd>(
    n: usize,
    a1: &[f32],
    a2: &[f32],
    d2: &[f32],
    xp: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
) {
    assert!(a1.len() >= n * C1_OUT && a2.len() >= n * 1176 && d2.len() >= n * 1176);
    assert!(xp.len() >= n * XP_LEN && dw.len() >= 150 && db.len() >= 6);
    for c in 0..6 {
        // SAFETY: arithmetic only until the loads below.
        let mut acc = unsafe { [S::zero(); 5] };
        let mut gsum = 0.0f32;
        for s in 0..n {
            let x1 = &a1[s * C1_OUT + c * 784..][..784];
            let base = (s * 6 + c) * 196;
            let (m2, g2) = (&a2[base..base + 196], &d2[base..base + 196]);
            for (q, (&m, &g)) in m2.iter().zip(g2).enumerate() {
                if m <= 0.0 {
                    continue;
                }
                let (y, x) = (2 * (q / 14), 2 * (q % 14));
                let (y, x) = if x1[y * 28 + x] == m {
                    (y, x)
                } else if x1[y * 28 + x + 1] == m {
                    (y, x + 1)
                } else if x1[(y + 1) * 28 + x] == m {
                    (y + 1, x)
                } else {
                    (y + 1, x + 1)
                };
                gsum += g;
                // SAFETY: y ≤ 27, x ≤ 27: the loads read xp[s·XP_LEN + (y+ki)·32 + x + 0..8]
                // ≤ 31·32 + 34 < XP_LEN; lanes 5..7 (past the 5x5 window) are discarded.
                unsafe {
                    let gv = S::splat(g);
                    let w = xp.as_ptr().add(s * XP_LEN + y * 32 + x);
                    for (ki, a) in acc.iter_mut().enumerate() {
                        *a = S::fma(gv, S::load(w.add(ki * 32)), *a);
                    }
                }
            }
        }
        for (ki, a) in acc.iter().enumerate() {
            let mut t = [0.0f32; 8];
            // SAFETY: t holds 8 floats.
            unsafe { S::store(t.as_mut_ptr(), *a) };
            for kj in 0..5 {
                dw[c * 25 + ki * 5 + kj] += t[kj];
            }
        }
        db[c] += gsum;
    }
}

simd_dispatch! {
    /// Fused max-pool + ReLU + conv1 weight-gradient backward of the modern network:
    /// a1: `[n][6][28][28]`, a2, d2: `[n][6][14][14]`, xp: `[n][XP_LEN]` → dw: `[6][25]`, db: `[6]`
    pub fn pool1_relu_conv1_backward_w(n: usize, a1: &[f32], a2: &[f32], d2: &[f32], xp: &[f32], dw: &mut [f32], db: &mut [f32]) => pool1_relu_conv1_backward_w_g
}

// ---------------------------------------------------------------------------------
// Small dense products for the fully connected layers and conv2's dX.

/// `C[i][j]` (+)= Σ_kk `A[i·a_rs + kk·a_cs]` · `B[kk·ldb + j]`, i < m, j < n.
/// Tiles of 4 rows × 3 vectors of C; the sum over kk runs in order, starting from C
/// (acc) or 0.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_g<S: Simd>(
    m: usize,
    k: usize,
    n: usize,
    a: &[f32],
    a_rs: usize,
    a_cs: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    acc: bool,
) {
    if m == 0 || n == 0 {
        return;
    }
    assert!(ldb >= n && ldc >= n);
    assert!(k == 0 || a.len() > (m - 1) * a_rs + (k - 1) * a_cs);
    assert!(k == 0 || b.len() >= (k - 1) * ldb + n);
    assert!(c.len() >= (m - 1) * ldc + n);
    let full = n / LANES;
    let tail = n % LANES;
    let mut i = 0;
    while i < m {
        let mr = (m - i).min(4);
        let mut jv = 0;
        while jv < full {
            let nr = (full - jv).min(3);
            // SAFETY: rows i..i+mr < m, vectors jv..jv+nr ≤ full cover columns < n; the
            // asserts above bound every A, B and C index reached.
            unsafe {
                match (mr, nr) {
                    (4, 3) => {
                        gemm_tile::<S, 4, 3>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES)
                    }
                    (4, 2) => {
                        gemm_tile::<S, 4, 2>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES)
                    }
                    (4, 1) => {
                        gemm_tile::<S, 4, 1>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES)
                    }
                    (_, 3) => {
                        gemm_tile::<S, 1, 3>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES)
                    }
                    (_, 2) => {
                        gemm_tile::<S, 1, 2>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES)
                    }
                    _ => gemm_tile::<S, 1, 1>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, LANES),
                }
            }
            jv += nr;
        }
        if tail > 0 {
            // SAFETY: as above; the last vector touches only the `tail` remaining columns.
            unsafe {
                if mr == 4 {
                    gemm_tile::<S, 4, 1>(i, full, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, tail)
                } else {
                    gemm_tile::<S, 1, 1>(i, full, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, tail)
                }
            }
        }
        i += if mr == 4 { 4 } else { 1 };
    }
}

/// One MR × NR-vector tile of [`gemm_g`] at row i, vector jv; the last vector holds
/// `last` (≤ 8) valid lanes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_tile<S: Simd, const MR: usize, const NR: usize>(
    i: usize,
    jv: usize,
    k: usize,
    a: &[f32],
    a_rs: usize,
    a_cs: usize,
    b: &[f32],
    ldb: usize,
    c: &mut [f32],
    ldc: usize,
    acc: bool,
    last: usize,
) {
    // SAFETY: the caller (gemm_g) checked the bounds of rows i..i+MR, columns
    // 8·jv .. 8·(jv+NR−1) + last, and kk < k.
    unsafe {
        let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let ld = |p: *const f32, r: usize| {
            if r + 1 == NR && last < LANES {
                S::load_part(p, last)
            } else {
                S::load(p)
            }
        };
        let mut t = [[S::zero(); NR]; MR];
        if acc {
            for (ii, row) in t.iter_mut().enumerate() {
                for (r, v) in row.iter_mut().enumerate() {
                    *v = ld(cp.add((i + ii) * ldc + 8 * (jv + r)), r);
                }
            }
        }
        for kk in 0..k {
            let bv: [S::V; NR] = std::array::from_fn(|r| ld(bp.add(kk * ldb + 8 * (jv + r)), r));
            for (ii, row) in t.iter_mut().enumerate() {
                let av = S::splat(*ap.add((i + ii) * a_rs + kk * a_cs));
                for (r, v) in row.iter_mut().enumerate() {
                    *v = S::fma(av, bv[r], *v);
                }
            }
        }
        for (ii, row) in t.iter().enumerate() {
            for (r, v) in row.iter().enumerate() {
                let p = cp.add((i + ii) * ldc + 8 * (jv + r));
                if r + 1 == NR && last < LANES {
                    S::store_part(p, *v, last);
                } else {
                    S::store(p, *v);
                }
            }
        }
    }
}

simd_dispatch! {
    /// `C[m×n]` (+)= A·B with `A[i][kk]` = `a[i·a_rs + kk·a_cs]` (any strides, so Aᵀ too) and
    /// `B[kk][j]` = `b[kk·ldb + j]`, `C[i][j]` = `c[i·ldc + j]`.
    pub fn gemm(m: usize, k: usize, n: usize, a: &[f32], a_rs: usize, a_cs: usize, b: &[f32], ldb: usize, c: &mut [f32], ldc: usize, acc: bool) => gemm_g
}

/// `y[s][o]` = `b[o]` + Σ_i `x[s][i]` · `w[o][i]`: one vector accumulator per (s, o), reduced
/// by [`Simd::hsum`]. x: `[n][din]`, w: `[dout][din]`, b: `[dout]` → y: `[n][dout]`
#[inline(always)]
unsafe fn dense_forward_g<S: Simd>(
    n: usize,
    din: usize,
    dout: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
) {
    assert!(x.len() >= n * din && w.len() >= dout * din && b.len() >= dout && y.len() >= n * dout);
    let (full, tail) = (din / LANES, din % LANES);
    for s in 0..n {
        let mut o = 0;
        while o < dout {
            let mr = (dout - o).min(4);
            // SAFETY: rows o..o+mr < dout of w, row s of x; vectors 8v+0..8 < 8·full ≤ din,
            // the tail reads din − 8·full floats.
            unsafe {
                let xp = x.as_ptr().add(s * din);
                let wp = w.as_ptr().add(o * din);
                let mut acc = [S::zero(); 4];
                for v in 0..full {
                    let xv = S::load(xp.add(8 * v));
                    for (r, a) in acc.iter_mut().enumerate().take(mr) {
                        *a = S::fma(xv, S::load(wp.add(r * din + 8 * v)), *a);
                    }
                }
                if tail > 0 {
                    let xv = S::load_part(xp.add(8 * full), tail);
                    for (r, a) in acc.iter_mut().enumerate().take(mr) {
                        *a = S::fma(xv, S::load_part(wp.add(r * din + 8 * full), tail), *a);
                    }
                }
                for (r, a) in acc.iter().enumerate().take(mr) {
                    y[s * dout + o + r] = S::hsum(*a) + b[o + r];
                }
            }
            o += mr;
        }
    }
}

simd_dispatch! {
    /// Fully connected forward: x: `[n][din]`, w: `[dout][din]`, b: `[dout]` → y: `[n][dout]`
    pub fn dense_forward(n: usize, din: usize, dout: usize, x: &[f32], w: &[f32], b: &[f32], y: &mut [f32]) => dense_forward_g
}

/// Applies `act` in place.
#[inline(always)]
unsafe fn activate_g<S: Simd>(v: &mut [f32], act: Act) {
    let n = v.len();
    let p = v.as_mut_ptr();
    let mut i = 0;
    // SAFETY: full vectors at i + 8 ≤ n, then a partial one of n − i lanes.
    unsafe {
        while i + LANES <= n {
            S::store(p.add(i), act_v::<S>(act, S::load(p.add(i))));
            i += LANES;
        }
        if i < n {
            S::store_part(
                p.add(i),
                act_v::<S>(act, S::load_part(p.add(i), n - i)),
                n - i,
            );
        }
    }
}

simd_dispatch! {
    /// ReLU or scaled tanh, in place.
    pub fn activate(v: &mut [f32], act: Act) => activate_g
}

// ---------------------------------------------------------------------------------
// Optimiser updates over the flat parameter vector (per-pattern SDLM runs one per
// image, so these are hot there). Multiplies and adds are kept separate (no FMA): the
// results are the same as the scalar formulas, on every back end.

/// SDLM: `p[i]` −= `step[i]` · `g[i]`.
#[inline(always)]
unsafe fn sdlm_update_g<S: Simd>(p: &mut [f32], g: &[f32], step: &[f32]) {
    let n = p.len();
    assert!(g.len() >= n && step.len() >= n);
    let (pp, gp, sp) = (p.as_mut_ptr(), g.as_ptr(), step.as_ptr());
    let mut i = 0;
    // SAFETY: full vectors at i + 8 ≤ n, then n − i < 8 lanes; g and step hold ≥ n.
    unsafe {
        while i + LANES <= n {
            let v = S::sub(
                S::load(pp.add(i)),
                S::mul(S::load(sp.add(i)), S::load(gp.add(i))),
            );
            S::store(pp.add(i), v);
            i += LANES;
        }
        for j in i..n {
            *pp.add(j) -= *sp.add(j) * *gp.add(j);
        }
    }
}

simd_dispatch! {
    /// SDLM update: p −= step ⊙ g.
    pub fn sdlm_update(p: &mut [f32], g: &[f32], step: &[f32]) => sdlm_update_g
}

/// Per-pattern SDLM through a fully connected layer in one pass over its weights:
/// `dx[i] = Σ_o dy[o]·W[o][i]` with W before the update, then
/// `W[o][i] −= step[o][i]·(dy[o]·x[i])` and `b[o] −= step_b[o]·dy[o]`.
/// The same operations in the same order as [`gemm`] (dx, then the weight gradient
/// into a zeroed buffer) followed by [`sdlm_update`], so bit-identical to them, without
/// the gradient buffer: three sweeps over the 48,000 C5 weights instead of six.
/// x: `[din]`, dy: `[dout]`, w, step_w: `[dout][din]`, b, step_b: `[dout]` → dx: `[din]`;
/// din a multiple of 8.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn dense_backward_sdlm_g<S: Simd>(
    din: usize,
    dout: usize,
    x: &[f32],
    dy: &[f32],
    w: &mut [f32],
    b: &mut [f32],
    step_w: &[f32],
    step_b: &[f32],
    dx: &mut [f32],
) {
    assert!(
        din.is_multiple_of(LANES),
        "din {din} is not a multiple of {LANES}"
    );
    assert!(x.len() >= din && dx.len() >= din && dy.len() >= dout);
    assert!(w.len() >= dout * din && step_w.len() >= dout * din);
    assert!(b.len() >= dout && step_b.len() >= dout);
    dx[..din].fill(0.0);
    let (xp, dxp, wp, sp) = (x.as_ptr(), dx.as_mut_ptr(), w.as_mut_ptr(), step_w.as_ptr());
    // SAFETY: rows o < dout and columns i + 8 ≤ din, all within the asserted lengths.
    unsafe {
        for (o, &d) in dy[..dout].iter().enumerate() {
            let dv = S::splat(d);
            let row = o * din;
            let mut i = 0;
            while i < din {
                let wv = S::load(wp.add(row + i));
                S::store(dxp.add(i), S::fma(dv, wv, S::load(dxp.add(i))));
                // The unfused gradient is accumulated onto a zeroed buffer: adding to
                // +0 here too keeps even the sign of a zero gradient the same.
                let g = S::fma(dv, S::load(xp.add(i)), S::zero());
                S::store(
                    wp.add(row + i),
                    S::sub(wv, S::mul(S::load(sp.add(row + i)), g)),
                );
                i += LANES;
            }
            b[o] -= step_b[o] * (0.0 + d);
        }
    }
}

simd_dispatch! {
    /// Fused fully connected backward + SDLM update for one pattern (see
    /// `dense_backward_sdlm_g`): x: `[din]`, dy: `[dout]` → dx: `[din]`; W, b updated in place.
    pub fn dense_backward_sdlm(din: usize, dout: usize, x: &[f32], dy: &[f32], w: &mut [f32], b: &mut [f32], step_w: &[f32], step_b: &[f32], dx: &mut [f32]) => dense_backward_sdlm_g
}

/// SGD with momentum (PyTorch's convention): v ← m·v + g + λ·p; p ← p − lr·v.
#[inline(always)]
unsafe fn sgd_update_g<S: Simd>(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, m: f32, wd: f32) {
    let n = p.len();
    assert!(g.len() >= n && v.len() >= n);
    let (pp, gp, vp) = (p.as_mut_ptr(), g.as_ptr(), v.as_mut_ptr());
    let mut i = 0;
    // SAFETY: as in sdlm_update_g.
    unsafe {
        let (lv, mv, wv) = (S::splat(lr), S::splat(m), S::splat(wd));
        while i + LANES <= n {
            let pv = S::load(pp.add(i));
            let nv = S::add(
                S::add(S::mul(mv, S::load(vp.add(i))), S::load(gp.add(i))),
                S::mul(wv, pv),
            );
            S::store(vp.add(i), nv);
            S::store(pp.add(i), S::sub(pv, S::mul(lv, nv)));
            i += LANES;
        }
        for j in i..n {
            *vp.add(j) = m * *vp.add(j) + *gp.add(j) + wd * *pp.add(j);
            *pp.add(j) -= lr * *vp.add(j);
        }
    }
}

simd_dispatch! {
    /// SGD + momentum update of p with gradient g and velocity v.
    pub fn sgd_update(p: &mut [f32], g: &[f32], v: &mut [f32], lr: f32, m: f32, wd: f32) => sgd_update_g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ConvShape;
    use crate::kernels::simd::with_portable;
    use crate::nn::conv::conv_forward_naive;
    use crate::nn::gradcheck::rand_vec;

    fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * y.abs().max(1.0),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    /// Runs `f` with the portable back end, then (when the CPU has it) with AVX2.
    fn both(mut f: impl FnMut(&str)) {
        with_portable(true, || f("portable"));
        if crate::kernels::simd::avx2_available() {
            with_portable(false, || f("avx2"));
        }
    }

    #[test]
    fn conv1_matches_naive_reference() {
        let n = 3;
        for pad in [0usize, 2] {
            let side = 32 - 2 * pad;
            let s = ConvShape {
                cin: 1,
                h: side,
                w: side,
                cout: 6,
                k: 5,
                pad,
            };
            let x = rand_vec(n * side * side, 11);
            let w = rand_vec(150, 12);
            let b = rand_vec(6, 13);
            let mut xp = vec![0.0; n * XP_LEN];
            for i in 0..n {
                pad_input(&x[i * side * side..], side, pad, 0.0, &mut xp[i * XP_LEN..]);
            }
            let mut want = vec![0.0; n * C1_OUT];
            for i in 0..n {
                conv_forward_naive(&s, &x[i * side * side..], &w, &b, &mut want[i * C1_OUT..]);
            }
            both(|name| {
                let mut y = vec![f32::NAN; n * C1_OUT];
                conv1_forward(n, &xp, &w, &b, &mut y, Act::Identity);
                close(&y, &want, 1e-5, name);
                // Weight gradient against the naive one: dw[c][t] = Σ dy · x(window).
                let dy = rand_vec(n * C1_OUT, 14);
                let (mut dw, mut db) = (vec![0.5; 150], vec![0.5; 6]);
                conv1_backward_w(n, &xp, &dy, &mut dw, &mut db);
                let (mut dw0, mut db0) = (vec![0.5f64; 150], vec![0.5f64; 6]);
                for i in 0..n {
                    for c in 0..6 {
                        for p in 0..784 {
                            let g = dy[i * C1_OUT + c * 784 + p] as f64;
                            db0[c] += g;
                            for t in 0..25 {
                                let xv = xp[i * XP_LEN + (p / 28 + t / 5) * 32 + p % 28 + t % 5];
                                dw0[c * 25 + t] += g * xv as f64;
                            }
                        }
                    }
                }
                let f = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<_>>();
                close(&dw, &f(dw0.clone()), 1e-4, name);
                close(&db, &f(db0.clone()), 1e-4, name);
            });
        }
    }

    #[test]
    fn conv2_matches_naive_reference() {
        let n = 2;
        let s = ConvShape {
            cin: 6,
            h: 14,
            w: 14,
            cout: 16,
            k: 5,
            pad: 0,
        };
        let x = rand_vec(n * C2_IN, 21);
        let w = rand_vec(2400, 22);
        let b = rand_vec(16, 23);
        let mut wt = vec![0.0; 2400];
        for o in 0..16 {
            for k in 0..150 {
                wt[k * 16 + o] = w[o * 150 + k];
            }
        }
        let mut want = vec![0.0; n * C2_OUT];
        for i in 0..n {
            conv_forward_naive(&s, &x[i * C2_IN..], &w, &b, &mut want[i * C2_OUT..]);
        }
        both(|name| {
            let (mut y, mut yh) = (vec![0.0; n * C2_OUT], vec![0.0; n * C2_OUT]);
            conv2_forward(n, &x, &wt, &b, &mut y, &mut yh, Act::Identity);
            close(&y, &want, 1e-5, name);
            for i in 0..n {
                for p in 0..100 {
                    for o in 0..16 {
                        assert_eq!(yh[i * C2_OUT + p * 16 + o], y[i * C2_OUT + o * 100 + p]);
                    }
                }
            }
            // dW against the obvious sum.
            let dyh = rand_vec(n * C2_OUT, 24);
            let mut dwt = vec![0.25; 2400];
            conv2_backward_w(n, &x, &dyh, &mut dwt);
            for k in 0..150 {
                for o in 0..16 {
                    let mut g = 0.25f64;
                    for i in 0..n {
                        for p in 0..100 {
                            g += x[i * C2_IN + window(p) + TAPS[k] as usize] as f64
                                * dyh[i * C2_OUT + p * 16 + o] as f64;
                        }
                    }
                    assert!(
                        (dwt[k * 16 + o] as f64 - g).abs() < 1e-4 * g.abs().max(1.0),
                        "{name} dW"
                    );
                }
            }
        });
    }

    #[test]
    fn gemm_and_dense_match_naive() {
        for (m, k, n) in [
            (1, 1, 1),
            (5, 7, 13),
            (4, 16, 150),
            (9, 3, 84),
            (16, 400, 120),
            (3, 84, 10),
        ] {
            let a = rand_vec(m * k, 31);
            let b = rand_vec(k * n, 32);
            let c0 = rand_vec(m * n, 33);
            let mut want = c0.clone();
            for i in 0..m {
                for j in 0..n {
                    want[i * n + j] += (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum::<f32>();
                }
            }
            // A transposed through the strides: at[kk][i] = a[i][kk].
            let mut at = vec![0.0; m * k];
            for i in 0..m {
                for p in 0..k {
                    at[p * m + i] = a[i * k + p];
                }
            }
            both(|name| {
                let mut c = c0.clone();
                gemm(m, k, n, &a, k, 1, &b, n, &mut c, n, true);
                close(&c, &want, 1e-5, name);
                let mut c2 = vec![7.0; m * n];
                gemm(m, k, n, &at, 1, m, &b, n, &mut c2, n, false);
                let want0: Vec<f32> = want.iter().zip(&c0).map(|(w, c)| w - c).collect();
                close(&c2, &want0, 1e-5, name);
                // dense: y = a · bᵀ + bias with b as [n][k].
                let mut bt = vec![0.0; n * k];
                for p in 0..k {
                    for j in 0..n {
                        bt[j * k + p] = b[p * n + j];
                    }
                }
                let mut y = vec![0.0; m * n];
                dense_forward(m, k, n, &a, &bt, &c0[..n], &mut y);
                let want_d: Vec<f32> = (0..m * n).map(|q| want0[q] + c0[q % n]).collect();
                close(&y, &want_d, 1e-5, name);
            });
        }
    }

    #[test]
    fn updates_equal_the_scalar_formulas() {
        let n = 37;
        let (p0, g, st) = (rand_vec(n, 61), rand_vec(n, 62), rand_vec(n, 63));
        let v0 = rand_vec(n, 64);
        both(|name| {
            let mut p = p0.clone();
            sdlm_update(&mut p, &g, &st);
            for i in 0..n {
                assert_eq!(p[i], p0[i] - st[i] * g[i], "{name}");
            }
            let (mut p, mut v) = (p0.clone(), v0.clone());
            sgd_update(&mut p, &g, &mut v, 0.1, 0.9, 5e-4);
            for i in 0..n {
                let vv = 0.9 * v0[i] + g[i] + 5e-4 * p0[i];
                assert_eq!((v[i], p[i]), (vv, p0[i] - 0.1 * vv), "{name}");
            }
        });
    }

    #[test]
    fn pooling_matches_reference() {
        use crate::nn::act::relu_backward;
        use crate::nn::pool::{maxpool_backward, maxpool_forward};
        let (c, h, w) = (3, 10, 6);
        let mut x = rand_vec(c * h * w, 51);
        x[7] = 0.0; // some ties at zero, as after a ReLU
        x[8] = 0.0;
        for v in x.iter_mut().step_by(3) {
            *v = v.max(0.0);
        }
        let (mut y, mut y0) = (vec![0.0; c * h * w / 4], vec![0.0; c * h * w / 4]);
        maxpool2(c, h, w, &x, &mut y);
        maxpool_forward(c, h, w, &x, &mut y0);
        assert_eq!(y, y0);
        let dy = rand_vec(y.len(), 52);
        let (mut dx, mut dx0) = (vec![9.0; x.len()], vec![0.0; x.len()]);
        maxpool2_relu_backward(c, h, w, &x, &y, &dy, &mut dx);
        maxpool_backward(c, h, w, &x, &dy, &mut dx0);
        relu_backward(&x, &mut dx0);
        assert_eq!(dx, dx0);
    }

    #[test]
    fn fused_pool1_conv1_backward_matches_the_unfused_path() {
        let n = 2;
        let xp = rand_vec(n * XP_LEN, 71);
        let w = rand_vec(150, 72);
        let b = rand_vec(6, 73);
        let d2 = rand_vec(n * 1176, 74);
        both(|name| {
            let mut a1 = vec![0.0; n * C1_OUT];
            conv1_forward(n, &xp, &w, &b, &mut a1, Act::Relu);
            let mut a2 = vec![0.0; n * 1176];
            maxpool2(n * 6, 28, 28, &a1, &mut a2);
            let mut d1 = vec![0.0; n * C1_OUT];
            maxpool2_relu_backward(n * 6, 28, 28, &a1, &a2, &d2, &mut d1);
            let (mut dw0, mut db0) = (vec![0.5; 150], vec![0.5; 6]);
            conv1_backward_w(n, &xp, &d1, &mut dw0, &mut db0);
            let (mut dw, mut db) = (vec![0.5; 150], vec![0.5; 6]);
            pool1_relu_conv1_backward_w(n, &a1, &a2, &d2, &xp, &mut dw, &mut db);
            close(&dw, &dw0, 1e-4, name);
            close(&db, &db0, 1e-4, name);
        });
    }

    #[test]
    fn col2im_matches_reference() {
        let s = ConvShape {
            cin: 6,
            h: 14,
            w: 14,
            cout: 16,
            k: 5,
            pad: 0,
        };
        let d = rand_vec(100 * 150, 41);
        // The reference col2im takes [150][100]; ours [100][150].
        let mut dt = vec![0.0; d.len()];
        for p in 0..100 {
            for k in 0..150 {
                dt[k * 100 + p] = d[p * 150 + k];
            }
        }
        let (mut a, mut b) = (vec![1.0; C2_IN], vec![2.0; C2_IN]);
        conv2_col2im(&d, &mut a);
        crate::kernels::col2im(&s, &dt, &mut b);
        close(&a, &b, 1e-6, "col2im");
        both(|name| {
            let mut c = vec![3.0; C2_IN];
            conv2_col2im_t(&dt, &mut c);
            close(&c, &b, 1e-6, name);
        });
    }
}
