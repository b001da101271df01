//! C3: 6 → 16 maps, 5x5, stride 1, 14x14 → 10x10 (the modern network's conv2 has the
//! same shape), as an implicit GEMM:
//! `Y[p][o] = Σ_k X[p][k] · W[k][o]` with p = oy·10+ox (100 positions), k = (c, ki, kj)
//! (150 taps), `X[p][k] = x[c][oy+ki][ox+kj]` read straight from the CHW input (no
//! im2col copy), and the 16 output channels in one wide vector (a 512-bit register on
//! AVX-512, two 8-lane vectors elsewhere: the same arithmetic per lane). The classic C3's
//! connection table is a 0/1 mask on the weights: absent connections are computed with
//! weight 0.

use super::act::{Act, act_v};
use super::simd::{Backend, Simd};

// Y[p][o] = Σ_k X[p][k] · W[k][o] with p = oy·10+ox (100 positions), k = (c, ki, kj)
// (150 taps), X[p][k] = x[c][oy+ki][ox+kj] read straight from the CHW input (no
// im2col copy), and the 16 output channels in one 16-lane wide vector.

/// Output maps, taps per output (6 input maps × 5x5) and output positions (10x10).
pub const MAPS_OUT: usize = 16;
/// See [`MAPS_OUT`].
pub const TAPS_PER_OUTPUT: usize = 6 * 25;
/// See [`MAPS_OUT`].
pub const POSITIONS: usize = 10 * 10;
/// Floats of one C3 input (6@14x14) and output (16@10x10).
pub const IN_LEN: usize = 6 * 14 * 14;
/// See [`IN_LEN`].
pub const OUT_LEN: usize = 16 * 10 * 10;
/// Floats of one max-pooled C3 output (the modern network's pool2): 16 maps of 5x5.
pub const POOLED_LEN: usize = 16 * 5 * 5;

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
pub(crate) static TAPS: [u32; 150] = tap_offsets();

/// Top-left input pixel of the window of output position p.
#[inline(always)]
pub(crate) fn window(p: usize) -> usize {
    (p / 10) * 14 + p % 10
}

/// The 16 channels of one wide vector to 16 maps: `dst[o·stride]` = lane o.
#[inline(always)]
unsafe fn store_by_map<S: Backend>(v: <S::Wide as Simd>::V, dst: *mut f32, stride: usize) {
    // SAFETY: (caller) dst[o·stride] for o < 16 is writable.
    unsafe {
        let mut t = [0.0f32; 16];
        S::Wide::store(t.as_mut_ptr(), v);
        for (o, v) in t.iter().enumerate() {
            *dst.add(o * stride) = *v;
        }
    }
}

/// One tile of MR output positions × 16 channels (one wide vector per position), stored
/// position-major to `out_hwc` and, when `out_chw` is given, map-major to it too.
#[inline(always)]
unsafe fn tile<S: Backend, const MR: usize>(
    x: *const f32,
    wt: *const f32,
    b: &[f32],
    p0: usize,
    out_hwc: *mut f32,
    out_chw: Option<*mut f32>,
    act: Act,
) {
    // SAFETY: (caller) x points at one 6@14x14 image, wt at [150][16], out_hwc at
    // [100][16], out_chw at [16][100]; window(p) + TAPS[k] ≤ 9·14 + 9 + 5·196 + 4·14 + 4
    // = 1175 < IN_LEN.
    unsafe {
        let mut acc = [S::Wide::load(b.as_ptr()); MR];
        let xb: [*const f32; MR] = std::array::from_fn(|j| x.add(window(p0 + j)));
        // Taps k = (c, ki, kj) ascending, as TAPS lists them; the row's offset
        // c·196 + ki·14 is one pointer step, kj a constant displacement (no offset table
        // to load, no index register in the broadcast loads).
        let mut wk = wt;
        for c in 0..6 {
            for ki in 0..5 {
                let row = c * 196 + ki * 14;
                for kj in 0..5 {
                    let wv = S::Wide::load(wk);
                    for j in 0..MR {
                        let xv = S::Wide::splat(*xb[j].add(row + kj));
                        acc[j] = S::Wide::fma(xv, wv, acc[j]);
                    }
                    wk = wk.add(16);
                }
            }
        }
        for (j, a) in acc.iter().enumerate() {
            let p = p0 + j;
            let v = act_v::<S::Wide>(act, *a);
            S::Wide::store(out_hwc.add(16 * p), v);
            if let Some(chw) = out_chw {
                store_by_map::<S>(v, chw.add(p), POSITIONS);
            }
        }
    }
}

/// All 100 positions of one image by [`tile`]: with one-register wide vectors
/// (AVX-512: 32 registers) 10 tiles of 10 positions (an output row each: ten
/// independent sums hide the FMA latency at two FMAs a cycle), elsewhere 16 tiles of 6
/// positions (12 accumulator registers of 8 lanes), then one of 4. Every position's sum
/// is the same whatever the tile.
#[inline(always)]
unsafe fn image_tiles<S: Backend>(
    x: *const f32,
    wt: *const f32,
    b: &[f32],
    out_hwc: *mut f32,
    out_chw: Option<*mut f32>,
    act: Act,
) {
    // SAFETY: (caller) as tile, for positions 0..100.
    unsafe {
        if S::WIDE_NATIVE {
            for t in 0..10 {
                tile::<S, 10>(x, wt, b, 10 * t, out_hwc, out_chw, act);
            }
            return;
        }
        for t in 0..16 {
            tile::<S, 6>(x, wt, b, 6 * t, out_hwc, out_chw, act);
        }
        tile::<S, 4>(x, wt, b, 96, out_hwc, out_chw, act);
    }
}

simd_kernel! {
    /// `y[s][o][p]` = act(`b[o]` + Σ_k `x[s][window(p) + tap(k)]` · `wt[k][o]`), also stored
    /// position-major in `y_hwc[s][p][o]` (what the backward pass reads).
    /// x: `[n][6][14][14]`, wt: `[150][16]` (transposed weights), b: `[16]`
    /// → y: `[n][16][10][10]`, y_hwc: `[n][100][16]`
    pub fn forward(
        n: usize,
        x: &[f32],
        wt: &[f32],
        b: &[f32],
        y: &mut [f32],
        y_hwc: &mut [f32],
        act: Act,
    ) {
        assert!(x.len() >= n * IN_LEN && wt.len() >= 2400 && b.len() >= 16);
        assert!(y.len() >= n * OUT_LEN && y_hwc.len() >= n * OUT_LEN);
        for s in 0..n {
            // SAFETY: image s of every buffer is in bounds (asserted above); positions
            // p0..p0+MR ≤ 100.
            unsafe {
                let (xs, ys, hs) = (
                    x.as_ptr().add(s * IN_LEN),
                    y.as_mut_ptr().add(s * OUT_LEN),
                    y_hwc.as_mut_ptr().add(s * OUT_LEN),
                );
                image_tiles::<S>(xs, wt.as_ptr(), b, hs, Some(ys), act);
            }
        }
    }
}

simd_kernel! {
    /// C3 + ReLU + 2x2 max-pooling (the modern network's inference): `y[s][o][i][j]` = max
    /// over the 2x2 block (2i.., 2j..) of ReLU(the sums of [`forward`], the same operations
    /// in the same order), so bit-identical to [`forward`] with [`Act::Relu`] followed by
    /// [`super::pool::max_forward`]. Each image's 10x10 outputs go position-major to
    /// `hwc` only (one wide vector per position, L1-resident), and the pooling reads
    /// them back four vectors at a time: the map-major copy of [`forward`] (16 scalar
    /// stores per position) and the separate pooling pass are never made.
    /// x: `[n][6][14][14]`, wt: `[150][16]`, b: `[16]` → y: `[n][16][5][5]`; hwc: `[100][16]` scratch
    pub fn forward_relu_pool(
        n: usize,
        x: &[f32],
        wt: &[f32],
        b: &[f32],
        hwc: &mut [f32],
        y: &mut [f32],
    ) {
        assert!(x.len() >= n * IN_LEN && wt.len() >= 2400 && b.len() >= 16);
        assert!(hwc.len() >= OUT_LEN && y.len() >= n * POOLED_LEN);
        for s in 0..n {
            // SAFETY: image s of x and y in bounds (asserted above); tile positions
            // p0..p0+MR ≤ 100 of hwc; the pooled block's positions 20i + 2j + {0, 1, 10,
            // 11} ≤ 99.
            unsafe {
                let (xs, h) = (x.as_ptr().add(s * IN_LEN), hwc.as_mut_ptr());
                image_tiles::<S>(xs, wt.as_ptr(), b, h, None, Act::Relu);
                let ys = y.as_mut_ptr().add(s * POOLED_LEN);
                for i in 0..5 {
                    for j in 0..5 {
                        let p = 20 * i + 2 * j;
                        let at = |q: usize| S::Wide::load(h.add(16 * q));
                        // ReLU outputs (≥ +0, never NaN): any order of the maxima gives
                        // the same bits.
                        let m = S::Wide::max(
                            S::Wide::max(at(p), at(p + 1)),
                            S::Wide::max(at(p + 10), at(p + 11)),
                        );
                        store_by_map::<S>(m, ys.add(5 * i + j), 25);
                    }
                }
            }
        }
    }
}

/// The weight-gradient sums of taps `k0..k0+6` for the 16 output maps (one wide vector
/// each), added to `acc` over images then positions ascending:
/// `acc[j]` += Σ_{s,p} `x[s][window(p) + tap(k0+j)]` · `dy_hwc[s][p][0..16]`.
#[inline(always)]
unsafe fn tap_sums<S: Backend>(
    n: usize,
    x: *const f32,
    dy_hwc: *const f32,
    k0: usize,
    acc: &mut [<S::Wide as Simd>::V; 6],
) {
    // SAFETY: (caller) x points at n 6@14x14 images and dy_hwc at n [100][16] gradients;
    // window(p) + TAPS[k] < IN_LEN for k < 150.
    unsafe {
        let off: [usize; 6] = std::array::from_fn(|j| TAPS[k0 + j] as usize);
        for s in 0..n {
            let xs = x.add(s * IN_LEN);
            let mut d = dy_hwc.add(s * OUT_LEN);
            for oy in 0..10 {
                // The 6 taps of this tile, for the window at (oy, 0), then moving right.
                let mut xw: [*const f32; 6] = std::array::from_fn(|j| xs.add(oy * 14 + off[j]));
                for _ox in 0..10 {
                    let dv = S::Wide::load(d);
                    for j in 0..6 {
                        let xv = S::Wide::splat(*xw[j]);
                        acc[j] = S::Wide::fma(xv, dv, acc[j]);
                        xw[j] = xw[j].add(1);
                    }
                    d = d.add(16);
                }
            }
        }
    }
}

simd_kernel! {
    /// `dwt[k][o]` += Σ_{s,p} `x[s][window(p) + tap(k)]` · `dy_hwc[s][p][o]`
    /// x: `[n][6][14][14]`, dy_hwc: `[n][100][16]` → dwt: `[150][16]` (accumulated; transposed dW)
    pub fn weight_grad(n: usize, x: &[f32], dy_hwc: &[f32], dwt: &mut [f32]) {
        assert!(x.len() >= n * IN_LEN && dy_hwc.len() >= n * OUT_LEN && dwt.len() >= 2400);
        // SAFETY: as in `tile`: window(p) + TAPS[k] < IN_LEN; dy_hwc[s][p][0..16] and
        // dwt[k][0..16] with k < 150 are in bounds.
        unsafe {
            let dwp = dwt.as_mut_ptr();
            for kt in 0..25 {
                let k0 = 6 * kt;
                let mut acc: [<S::Wide as Simd>::V; 6] =
                    std::array::from_fn(|j| S::Wide::load(dwp.add(16 * (k0 + j))));
                tap_sums::<S>(n, x.as_ptr(), dy_hwc.as_ptr(), k0, &mut acc);
                for (j, a) in acc.iter().enumerate() {
                    S::Wide::store(dwp.add(16 * (k0 + j)), *a);
                }
            }
        }
    }
}

simd_kernel! {
    /// [`weight_grad`] from zero, added straight into the weight gradient in its own layout:
    /// `dw[o][k]` += (Σ_{s,p} `x[s][window(p) + tap(k)]` · `dy_hwc[s][p][o]`, from +0), the
    /// sum in the same order as [`weight_grad`] into a zeroed `dwt` (so bit-identical to
    /// it followed by `dw[o][k] += dwt[k][o]`), without the `[150][16]` buffer and its
    /// transposition.
    /// x: `[n][6][14][14]`, dy_hwc: `[n][100][16]` → dw: `[16][150]` (accumulated)
    pub fn weight_grad_into(n: usize, x: &[f32], dy_hwc: &[f32], dw: &mut [f32]) {
        assert!(x.len() >= n * IN_LEN && dy_hwc.len() >= n * OUT_LEN && dw.len() >= 2400);
        // SAFETY: as in `weight_grad`; dw[o·150 + k] with o < 16, k < 150 is in bounds.
        unsafe {
            // One tile's sums, [6][16] (zeroed: each sum starts at +0, as in a zeroed dwt).
            let mut tile = [0.0f32; 96];
            let tp = tile.as_mut_ptr();
            for kt in 0..25 {
                let k0 = 6 * kt;
                let mut acc: [<S::Wide as Simd>::V; 6] =
                    std::array::from_fn(|j| S::Wide::load(tp.add(16 * j)));
                tap_sums::<S>(n, x.as_ptr(), dy_hwc.as_ptr(), k0, &mut acc);
                for (j, a) in acc.iter().enumerate() {
                    S::Wide::store(tp.add(16 * j), *a);
                }
                let dwp = dw.as_mut_ptr();
                for j in 0..6 {
                    for o in 0..16 {
                        *dwp.add(o * TAPS_PER_OUTPUT + k0 + j) += *tp.add(16 * j + o);
                        *tp.add(16 * j + o) = 0.0;
                    }
                }
            }
        }
    }
}

simd_kernel! {
    /// The weight gradient of [`weight_grad`] from sparse output gradients:
    /// `dw_pad[o][c][ki][kj]` += Σ_{s,p} `x[s][c][oy+ki][ox+kj]` · `dy[s][o][p]`, the sum over
    /// images then positions ascending as there, the terms with `dy = 0` skipped (a product
    /// equal to ±0 leaves a sum that starts at +0 unchanged), so bit-identical to it.
    /// Vectorised over the 5 taps of a kernel row (lanes 5..8 of `dw_pad` hold garbage):
    /// for the max-pooled modern network, where 3 in 4 (or more, after ReLU) gradients are 0.
    /// x: `[n][6][14][14]`, dy: `[n][16][10][10]` → dw_pad: `[16][6][5][8]` (accumulated)
    pub fn weight_grad_sparse(n: usize, x: &[f32], dy: &[f32], dw_pad: &mut [f32]) {
        assert!(x.len() >= n * IN_LEN && dy.len() >= n * OUT_LEN && dw_pad.len() >= W_PAD_LEN);
        // The nonzero gradients of one map: (window offset, value), positions ascending.
        let mut list = [(0usize, 0.0f32); POSITIONS];
        for s in 0..n {
            let xs = &x[s * IN_LEN..];
            for o in 0..MAPS_OUT {
                let mut len = 0;
                for (p, &g) in dy[s * OUT_LEN + o * POSITIONS..][..POSITIONS].iter().enumerate() {
                    if g != 0.0 {
                        list[len] = (window(p), g);
                        len += 1;
                    }
                }
                if len == 0 {
                    continue;
                }
                // Two input maps (10 kernel rows) at a time, in registers.
                for c0 in (0..6).step_by(2) {
                    // SAFETY: dw_pad[o][c][ki][0..8] < W_PAD_LEN; x reads at
                    // c·196 + window(p) + ki·14 + 0..8, 8 lanes when inside `xs` (lanes 5..8
                    // only feed lanes 5..8 of dw_pad, which nobody reads), else 5.
                    unsafe {
                        let d = dw_pad.as_mut_ptr().add(o * 240 + c0 * 40);
                        let mut acc: [S::V; 10] = std::array::from_fn(|r| S::load(d.add(8 * r)));
                        for &(at, g) in &list[..len] {
                            let gv = S::splat(g);
                            for (r, a) in acc.iter_mut().enumerate() {
                                let off = (c0 + r / 5) * 196 + at + (r % 5) * 14;
                                let xp = xs.as_ptr().add(off);
                                let xv = if off + 8 <= xs.len() {
                                    S::load(xp)
                                } else {
                                    S::load_part(xp, 5)
                                };
                                *a = S::fma(xv, gv, *a);
                            }
                        }
                        for (r, a) in acc.iter().enumerate() {
                            S::store(d.add(8 * r), *a);
                        }
                    }
                }
            }
        }
    }
}

/// Floats of the padded weights of [`input_grad`]: `[16][6][5][8]`, each 5-tap kernel row
/// padded to a vector with three zeros.
pub const W_PAD_LEN: usize = 16 * 6 * 5 * 8;

/// The `[16][6][5][5]` weights as [`input_grad`] reads them: `w_pad[o][c][ki][0..5]` =
/// `w[o][c][ki][..]`, lanes 5..8 zero; and `live[c]`, bit o set when the (o, c) kernel
/// has a nonzero weight (the classic C3's table leaves 36 of the 96 pairs at exactly 0).
pub fn pad_weights(w: &[f32], w_pad: &mut [f32], live: &mut [u16; 6]) {
    assert!(w.len() >= 2400 && w_pad.len() >= W_PAD_LEN);
    w_pad[..W_PAD_LEN].fill(0.0);
    *live = [0; 6];
    for (row, (src, dst)) in w
        .chunks_exact(5)
        .zip(w_pad.chunks_exact_mut(8))
        .take(480)
        .enumerate()
    {
        dst[..5].copy_from_slice(src);
        let (o, c) = (row / 30, (row / 5) % 6);
        if src.iter().any(|&v| v != 0.0) {
            live[c] |= 1 << o;
        }
    }
}

simd_kernel! {
    /// C3's input gradient, without a column buffer or a col2im pass:
    /// `dx[s][c][oy+ki][ox+kj]` = Σ over (ki, kj) ascending of
    /// (Σ over o ascending of `w[o][c][ki][kj]` · `dy[s][o][oy][ox]`), each inner sum
    /// rounded on its own: the same operations in the same order as the column gradient
    /// [`super::dense::gemm`] (`dcol = wᵀ·dy`, o ascending, from 0) followed by
    /// [`col2im`] (taps ascending), so bit-identical to them.
    ///
    /// Sparse: an output position's column is built from the (o, dy) pairs with
    /// `dy ≠ 0` and `live[c]` bit o set only (behind a max-pool, 3 of 4 positions of
    /// every map get no gradient; the classic C3 connects 60 of 96 pairs). A skipped
    /// term is a product equal to ±0, which leaves a sum that starts at +0 unchanged.
    /// Positions run from the last to the first: for one input pixel, descending
    /// positions are ascending taps, the order of [`col2im`].
    /// w_pad, live: from [`pad_weights`]; dy: `[n][16][10][10]` → dx: `[n][6][14][14]` (overwritten)
    pub fn input_grad(n: usize, w_pad: &[f32], live: &[u16; 6], dy: &[f32], dx: &mut [f32]) {
        assert!(w_pad.len() >= W_PAD_LEN && dy.len() >= n * OUT_LEN && dx.len() >= n * IN_LEN);
        // One image's gradient, with 8 floats of slack: a kernel row's 3 padding lanes
        // (adding +0) may run past the last pixel.
        let mut acc_dx = [0.0f32; IN_LEN + 8];
        for s in 0..n {
            acc_dx.fill(0.0);
            let dys = &dy[s * OUT_LEN..(s + 1) * OUT_LEN];
            for p in (0..POSITIONS).rev() {
                let mut g = [0.0f32; MAPS_OUT];
                let mut nz = 0u16;
                for (o, v) in g.iter_mut().enumerate() {
                    *v = dys[o * POSITIONS + p];
                    if *v != 0.0 {
                        nz |= 1 << o;
                    }
                }
                if nz == 0 {
                    continue;
                }
                let at = window(p);
                for (c, &lv) in live.iter().enumerate() {
                    let mut m = nz & lv;
                    if m == 0 {
                        continue;
                    }
                    // SAFETY: w_pad[o][c][ki][0..8] with o < 16, c < 6, ki < 5 is inside
                    // W_PAD_LEN; the destination c·196 + window(p) + ki·14 + 0..8 ≤
                    // 5·196 + 9·14 + 9 + 4·14 + 7 = 1178 < IN_LEN + 8.
                    unsafe {
                        let mut acc = [S::zero(); 5];
                        while m != 0 {
                            let o = m.trailing_zeros() as usize;
                            m &= m - 1;
                            let gv = S::splat(g[o]);
                            let wp = w_pad.as_ptr().add((o * 6 + c) * 40);
                            for (ki, a) in acc.iter_mut().enumerate() {
                                *a = S::fma(S::load(wp.add(ki * 8)), gv, *a);
                            }
                        }
                        let d = acc_dx.as_mut_ptr().add(c * 196 + at);
                        for (ki, a) in acc.iter().enumerate() {
                            let q = d.add(ki * 14);
                            S::store(q, S::add(S::load(q), *a));
                        }
                    }
                }
            }
            dx[s * IN_LEN..(s + 1) * IN_LEN].copy_from_slice(&acc_dx[..IN_LEN]);
        }
    }
}

simd_kernel! {
    /// col2im for conv2 from the tap-major column gradient, one image (the dense
    /// formulation [`input_grad`] replaces; kept as its bit-exact reference):
    /// `dx[c][oy+ki][ox+kj]` = Σ `dcol_t[(c, ki, kj)][oy·10 + ox]`, as 1,500 row segments of 10.
    /// dcol_t: `[150][100]` → dx: `[6][14][14]` (overwritten)
    pub fn col2im(dcol_t: &[f32], dx: &mut [f32]) {
        assert!(dcol_t.len() >= 150 * 100 && dx.len() >= IN_LEN);
        dx[..IN_LEN].fill(0.0);
        // SAFETY: k < 150, oy < 10: source k·100 + oy·10 + 0..10 < 15,000; destination
        // TAPS[k] + oy·14 + 0..10 ≤ 5·196 − 1 + 4·14 + 4 + 9·14 + 9 < IN_LEN... precisely
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
}

// ---------------------------------------------------------------------------------
// Direct C3 input gradient, one input map at a time: what the classic network's backward
// runs. (Its forward ran the same way, one output map at a time, until December 2026:
// the implicit GEMM above, zero-weight pairs included, measured faster on the Zen 3.)
//
// A 10x10 map is laid on a 14-wide grid: output position (oy, ox) at q = oy·14 + ox,
// columns 10..14 of each row unused. Then tap (c, ki, kj) of every position reads
// x[c][q + ki·14 + kj]: one contiguous run of the 14x14 input, so a vector of positions
// is one plain load. 136 grid places (the last row needs 10) fit in 144 = 9 x 16 lanes.
// Each (output, input) map pair is 25 taps over whole vectors, and the pairs whose 25
// weights are all zero (the classic C3's table leaves 36 of the 96 at exactly 0) are
// skipped: a product with a zero weight is ±0, which leaves every sum unchanged.

/// Floats of a map on the 14-wide grid: 10 rows of 14, rounded up to 9 vectors of 16.
pub const GRID: usize = 144;
/// Start of the second vector pass over the grid: one pass of 9 wide vectors where they
/// are one register (AVX-512), else two passes of 9 and 8 eight-lane vectors (places
/// 0..72 and 72..136), so that the accumulators stay in registers.
const PASS: usize = 72;

/// `live[c]` bit o: the (o, c) kernel of `w` (`[16][6][5][5]`) has a nonzero weight.
pub fn live_pairs(w: &[f32]) -> [u16; 6] {
    let mut live = [0u16; 6];
    for (row, k) in w[..2400].chunks_exact(25).enumerate() {
        // Any bit but the sign set: a nonzero weight (branch-free).
        let bits = k.iter().fold(0u32, |a, v| a | (v.to_bits() << 1));
        if bits != 0 {
            live[row % 6] |= 1 << (row / 6);
        }
    }
    live
}

/// One tap k of C3's input gradient for one input map on grid places q0 .. q0 + NV·LANES
/// of V: `t[q]` = Σ over the connected output maps o ascending of `w[o][c][k]` · `dyg[o][q]`
/// (from 0), then `dst[q] += t[q]`. `pairs`: for each connected o ascending, the offsets of
/// its (o, c) kernel in w (`[16][6][25]`) and of its gradient map in dyg (`[16][GRID]`);
/// dst: the input map's plane at offset ki·14 + kj.
#[inline(always)]
unsafe fn tap_input_grad<V: Simd, const NV: usize>(
    dyg: *const f32,
    w: *const f32,
    pairs: &[(usize, usize)],
    k: usize,
    q0: usize,
    dst: *mut f32,
) {
    // SAFETY: (caller) dyg[o·GRID + q0 + NV·LANES − 1] < 16·GRID, w[o·150 + c·25 + k] <
    // 2400, dst[q0 .. q0 + NV·LANES] inside its plane.
    unsafe {
        let mut t = [V::zero(); NV];
        for &(wo, go) in pairs {
            let wv = V::splat(*w.add(wo + k));
            let d = dyg.add(go + q0);
            for (v, a) in t.iter_mut().enumerate() {
                *a = V::fma(V::load(d.add(v * V::LANES)), wv, *a);
            }
        }
        for (v, a) in t.iter().enumerate() {
            let q = dst.add(q0 + v * V::LANES);
            V::store(q, V::add(V::load(q), *a));
        }
    }
}

simd_kernel! {
    /// C3's input gradient, direct, skipping the map pairs whose weights are all zero:
    /// `dx[s][c][oy+ki][ox+kj]` = Σ over (ki, kj) ascending of (Σ over o ascending of
    /// `w[o][c][ki][kj]` · `dy[s][o][oy][ox]`), each inner sum rounded on its own: the
    /// column gradient [`super::dense::gemm`] then [`col2im`], term for term, so
    /// bit-identical to them and to [`input_grad`]. Each tap's inner sums for all 100
    /// positions are one set of vectors on the 14-wide grid, added to the input map
    /// shifted by (ki, kj). The grid's unused places hold gradient 0: their sums are +0,
    /// and adding +0 changes no partial sum (none is −0: each starts at +0 and adds
    /// inner sums that start at +0). For dense gradients (the classic network, whose
    /// subsampling passes a gradient to every position).
    /// w: `[16][6][5][5]`, dy: `[n][16][10][10]` → dx: `[n][6][14][14]` (overwritten)
    pub fn input_grad_direct(n: usize, w: &[f32], dy: &[f32], dx: &mut [f32]) {
        assert!(w.len() >= 2400 && dy.len() >= n * OUT_LEN && dx.len() >= n * IN_LEN);
        let live = live_pairs(w);
        // dy on the grid (unused places 0), and one input map's gradient with slack for
        // the shifted grid: 4·14 + 4 + GRID ≤ 208.
        let mut dyg = [0.0f32; MAPS_OUT * GRID];
        let mut plane = [0.0f32; 208];
        for s in 0..n {
            for (o, g) in dyg.chunks_exact_mut(GRID).enumerate() {
                let d = &dy[s * OUT_LEN + o * POSITIONS..][..POSITIONS];
                for (row, src) in g.chunks_mut(14).zip(d.chunks_exact(10)) {
                    row[..10].copy_from_slice(src);
                }
            }
            for c in 0..6 {
                plane.fill(0.0);
                let mut pairs = [(0usize, 0usize); MAPS_OUT];
                let mut np = 0;
                for o in (0..MAPS_OUT).filter(|o| live[c] & (1 << o) != 0) {
                    pairs[np] = (o * 150 + c * 25, o * GRID);
                    np += 1;
                }
                let pairs = &pairs[..np];
                for k in 0..25 {
                    // SAFETY: dyg is 16·GRID, w 2400, plane[ki·14 + kj + q] with q < GRID
                    // ≤ 60 + 143 < 208 (see tap_input_grad).
                    unsafe {
                        let (d, wp) = (dyg.as_ptr(), w.as_ptr());
                        let p = plane.as_mut_ptr().add((k / 5) * 14 + k % 5);
                        if S::WIDE_NATIVE {
                            tap_input_grad::<S::Wide, 9>(d, wp, pairs, k, 0, p);
                        } else {
                            tap_input_grad::<S, 9>(d, wp, pairs, k, 0, p);
                            tap_input_grad::<S, 8>(d, wp, pairs, k, PASS, p);
                        }
                    }
                }
                dx[s * IN_LEN + c * 196..][..196].copy_from_slice(&plane[..196]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::ConvShape;
    use crate::kernels::reference::conv_forward_naive;
    use crate::kernels::testing::{close, every_backend, rand_vec};

    /// col2im for conv2, one image: `dx[c][oy+ki][ox+kj]` = Σ `dcol[p][(c, ki, kj)]`.
    /// dcol: `[100][150]` → dx: `[6][14][14]` (overwritten)
    pub fn col2im_position_major(dcol: &[f32], dx: &mut [f32]) {
        assert!(dcol.len() >= 100 * 150 && dx.len() >= IN_LEN);
        dx[..IN_LEN].fill(0.0);
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

    #[test]
    fn forward_and_weight_grad_match_the_naive_reference() {
        let n = 2;
        let s = ConvShape {
            cin: 6,
            h: 14,
            w: 14,
            cout: 16,
            k: 5,
            pad: 0,
        };
        let x = rand_vec(n * IN_LEN, 21);
        let w = rand_vec(2400, 22);
        let b = rand_vec(16, 23);
        let mut wt = vec![0.0; 2400];
        for o in 0..16 {
            for k in 0..150 {
                wt[k * 16 + o] = w[o * 150 + k];
            }
        }
        let mut want = vec![0.0; n * OUT_LEN];
        for i in 0..n {
            conv_forward_naive(&s, &x[i * IN_LEN..], &w, &b, &mut want[i * OUT_LEN..]);
        }
        every_backend(|name| {
            let (mut y, mut yh) = (vec![0.0; n * OUT_LEN], vec![0.0; n * OUT_LEN]);
            forward(n, &x, &wt, &b, &mut y, &mut yh, Act::Identity);
            close(&y, &want, 1e-5, name);
            for i in 0..n {
                for p in 0..100 {
                    for o in 0..16 {
                        assert_eq!(yh[i * OUT_LEN + p * 16 + o], y[i * OUT_LEN + o * 100 + p]);
                    }
                }
            }
            // dW against the obvious sum.
            let dyh = rand_vec(n * OUT_LEN, 24);
            let mut dwt = vec![0.25; 2400];
            weight_grad(n, &x, &dyh, &mut dwt);
            for k in 0..150 {
                for o in 0..16 {
                    let mut g = 0.25f64;
                    for i in 0..n {
                        for p in 0..100 {
                            g += x[i * IN_LEN + window(p) + TAPS[k] as usize] as f64
                                * dyh[i * OUT_LEN + p * 16 + o] as f64;
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

    /// The dense formulation: the column gradient by GEMM, then col2im.
    fn input_grad_dense(n: usize, w: &[f32], dy: &[f32], dx: &mut [f32]) {
        let mut dcol = vec![0.0; 15_000];
        for s in 0..n {
            crate::kernels::dense::gemm(
                150,
                16,
                100,
                w,
                1,
                150,
                &dy[s * OUT_LEN..],
                100,
                &mut dcol,
                100,
                false,
            );
            col2im(&dcol, &mut dx[s * IN_LEN..]);
        }
    }

    #[test]
    fn sparse_input_grad_is_bit_identical_to_gemm_and_col2im() {
        let n = 3;
        let mut w = rand_vec(2400, 51);
        // The classic table's shape of sparsity: some (o, c) kernels all zero.
        for o in 0..16 {
            for c in 0..6 {
                if (o + 2 * c) % 3 == 0 {
                    w[o * 150 + c * 25..o * 150 + c * 25 + 25].fill(0.0);
                }
            }
        }
        let mut dy = rand_vec(n * OUT_LEN, 52);
        // A max-pool's: one position of each 2x2 window keeps its gradient, some none;
        // image 2 dense.
        for (i, v) in dy[..2 * OUT_LEN].iter_mut().enumerate() {
            let (o, p) = ((i / 100) % 16, i % 100);
            let (oy, ox) = (p / 10, p % 10);
            let keep = (oy % 2) * 2 + ox % 2 == (o + oy / 2 + ox / 2) % 5;
            if !keep {
                *v = 0.0;
            }
        }
        let (mut w_pad, mut live) = (vec![0.0; W_PAD_LEN], [0u16; 6]);
        pad_weights(&w, &mut w_pad, &mut live);
        assert_eq!(live.iter().map(|l| l.count_ones()).sum::<u32>(), 96 - 32);
        every_backend(|name| {
            let (mut want, mut got) = (vec![1.0; n * IN_LEN], vec![2.0; n * IN_LEN]);
            input_grad_dense(n, &w, &dy, &mut want);
            input_grad(n, &w_pad, &live, &dy, &mut got);
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{name} dx[{i}]: {a} vs {b}");
            }
        });
    }

    /// Weights with the classic table's shape of sparsity: some (o, c) kernels all zero.
    fn table_weights(seed: u64) -> Vec<f32> {
        let mut w = rand_vec(2400, seed);
        for o in 0..16 {
            for c in 0..6 {
                if (o + 2 * c) % 3 == 0 {
                    w[o * 150 + c * 25..o * 150 + c * 25 + 25].fill(0.0);
                }
            }
        }
        w
    }

    #[test]
    fn direct_input_grad_is_bit_identical_to_gemm_and_col2im() {
        let n = 3;
        for w in [table_weights(91), rand_vec(2400, 92)] {
            let mut dy = rand_vec(n * OUT_LEN, 93);
            // Some exact zeros too.
            for v in dy.iter_mut().step_by(7) {
                *v = 0.0;
            }
            every_backend(|name| {
                let (mut want, mut got) = (vec![1.0; n * IN_LEN], vec![2.0; n * IN_LEN]);
                input_grad_dense(n, &w, &dy, &mut want);
                input_grad_direct(n, &w, &dy, &mut got);
                for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                    assert_eq!(a.to_bits(), b.to_bits(), "{name} dx[{i}]: {a} vs {b}");
                }
            });
        }
    }

    #[test]
    fn weight_grad_into_is_bit_identical_to_weight_grad_then_the_transposed_add() {
        let n = 3;
        let x = rand_vec(n * IN_LEN, 65);
        let mut dyh = rand_vec(n * OUT_LEN, 66);
        for v in dyh.iter_mut().step_by(5) {
            *v = 0.0;
        }
        let start = rand_vec(2400, 67);
        every_backend(|name| {
            let mut dwt = vec![0.0; 2400];
            weight_grad(n, &x, &dyh, &mut dwt);
            let mut want = start.clone();
            for o in 0..16 {
                for k in 0..150 {
                    want[o * 150 + k] += dwt[k * 16 + o];
                }
            }
            let mut got = start.clone();
            weight_grad_into(n, &x, &dyh, &mut got);
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{name} dW[{i}]: {a} vs {b}");
            }
        });
    }

    #[test]
    fn sparse_weight_grad_is_bit_identical_to_the_dense_one() {
        let n = 3;
        let x = rand_vec(n * IN_LEN, 61);
        let mut dy = rand_vec(n * OUT_LEN, 62);
        for (i, v) in dy.iter_mut().enumerate() {
            if i % 7 != 0 && i % 4 != 1 {
                *v = 0.0;
            }
        }
        let start = rand_vec(2400, 63);
        every_backend(|name| {
            // Dense: position-major gradients, [150][16] accumulator from `start`.
            let mut dyh = vec![0.0; n * OUT_LEN];
            for s in 0..n {
                for o in 0..16 {
                    for p in 0..100 {
                        dyh[s * OUT_LEN + p * 16 + o] = dy[s * OUT_LEN + o * 100 + p];
                    }
                }
            }
            let mut dwt = vec![0.0; 2400];
            for o in 0..16 {
                for k in 0..150 {
                    dwt[k * 16 + o] = start[o * 150 + k];
                }
            }
            weight_grad(n, &x, &dyh, &mut dwt);
            let mut dw_pad = vec![0.0; W_PAD_LEN];
            for (r, row) in dw_pad.chunks_exact_mut(8).enumerate() {
                row[..5].copy_from_slice(&start[r * 5..r * 5 + 5]);
            }
            weight_grad_sparse(n, &x, &dy, &mut dw_pad);
            for o in 0..16 {
                for k in 0..150 {
                    let (a, b) = (dw_pad[o * 240 + (k / 5) * 8 + k % 5], dwt[k * 16 + o]);
                    assert_eq!(a.to_bits(), b.to_bits(), "{name} dW[{o}][{k}]: {a} vs {b}");
                }
            }
        });
    }

    #[test]
    fn col2im_matches_the_reference() {
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
        let (mut a, mut b) = (vec![1.0; IN_LEN], vec![2.0; IN_LEN]);
        col2im_position_major(&d, &mut a);
        crate::kernels::reference::col2im(&s, &dt, &mut b);
        close(&a, &b, 1e-6, "col2im");
        every_backend(|name| {
            let mut c = vec![3.0; IN_LEN];
            col2im(&dt, &mut c);
            close(&c, &b, 1e-6, name);
        });
    }
}
