//! The fully connected layers (C5, F6; the modern fc1-fc3) and small matrix products:
//! the forward dot products, a register-tiled GEMM for the backward passes (and C3's
//! column gradient), and per-pattern SDLM through a dense layer in one sweep.

use super::simd::{Backend, LANES, Simd};

simd_kernel! {
    /// `C[i][j]` (+)= Σ_kk `A[i·a_rs + kk·a_cs]` · `B[kk·ldb + j]`, i < m, j < n.
    /// Tiles of 4 rows × 2 vectors of C; the sum over kk runs in order, starting from C
    /// (acc) or 0. (4 × 3 tiles need 12 accumulators, 3 vectors of B and a broadcast:
    /// all 16 AVX2 registers, and LLVM kept one accumulator on the stack, a store and a
    /// load in its chain every step; 4 × 2 ran 1.5-1.7x faster on the Zen 3.) With
    /// one-register 16-lane vectors (AVX-512) the vectors are 16 lanes wide: each C
    /// element is one lane either way, its sum the same.
    pub fn gemm(
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
        // SAFETY: the asserts above bound every A, B and C index gemm_v reaches.
        unsafe {
            if S::WIDE_NATIVE {
                gemm_v::<S::Wide>(m, k, n, a, a_rs, a_cs, b, ldb, c, ldc, acc);
            } else {
                gemm_v::<S>(m, k, n, a, a_rs, a_cs, b, ldb, c, ldc, acc);
            }
        }
    }
}

/// [`gemm`] on vectors of V (the bounds checked by the caller).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_v<V: Simd>(
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
    let lanes = V::LANES;
    let full = n / lanes;
    let tail = n % lanes;
    let mut i = 0;
    while i < m {
        let mr = (m - i).min(4);
        let mut jv = 0;
        while jv < full {
            let nr = (full - jv).min(2);
            // SAFETY: rows i..i+mr < m, vectors jv..jv+nr ≤ full cover columns < n, inside
            // the caller's bounds.
            unsafe {
                match (mr, nr) {
                    (4, 2) => {
                        gemm_tile::<V, 4, 2>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, lanes)
                    }
                    (4, 1) => {
                        gemm_tile::<V, 4, 1>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, lanes)
                    }
                    (_, 2) => {
                        gemm_tile::<V, 1, 2>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, lanes)
                    }
                    _ => gemm_tile::<V, 1, 1>(i, jv, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, lanes),
                }
            }
            jv += nr;
        }
        if tail > 0 {
            // SAFETY: as above; the last vector touches only the `tail` remaining columns.
            unsafe {
                if mr == 4 {
                    gemm_tile::<V, 4, 1>(i, full, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, tail)
                } else {
                    gemm_tile::<V, 1, 1>(i, full, k, a, a_rs, a_cs, b, ldb, c, ldc, acc, tail)
                }
            }
        }
        i += if mr == 4 { 4 } else { 1 };
    }
}

/// One MR × NR-vector tile of [`gemm`] at row i, vector jv (of V's lanes); the last
/// vector holds `last` (≤ V::LANES) valid lanes.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_tile<V: Simd, const MR: usize, const NR: usize>(
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
    // SAFETY: the caller (gemm_v) checked the bounds of rows i..i+MR, columns
    // L·jv .. L·(jv+NR−1) + last (L = V::LANES), and kk < k.
    unsafe {
        let (ap, bp, cp) = (a.as_ptr(), b.as_ptr(), c.as_mut_ptr());
        let ld = |p: *const f32, r: usize| {
            if r + 1 == NR && last < V::LANES {
                V::load_part(p, last)
            } else {
                V::load(p)
            }
        };
        let mut t = [[V::zero(); NR]; MR];
        if acc {
            for (ii, row) in t.iter_mut().enumerate() {
                for (r, v) in row.iter_mut().enumerate() {
                    *v = ld(cp.add((i + ii) * ldc + V::LANES * (jv + r)), r);
                }
            }
        }
        for kk in 0..k {
            let bv: [V::V; NR] =
                std::array::from_fn(|r| ld(bp.add(kk * ldb + V::LANES * (jv + r)), r));
            for (ii, row) in t.iter_mut().enumerate() {
                let av = V::splat(*ap.add((i + ii) * a_rs + kk * a_cs));
                for (r, v) in row.iter_mut().enumerate() {
                    *v = V::fma(av, bv[r], *v);
                }
            }
        }
        for (ii, row) in t.iter().enumerate() {
            for (r, v) in row.iter().enumerate() {
                let p = cp.add((i + ii) * ldc + V::LANES * (jv + r));
                if r + 1 == NR && last < V::LANES {
                    V::store_part(p, *v, last);
                } else {
                    V::store(p, *v);
                }
            }
        }
    }
}

/// Outputs o .. o + MR of [`forward`] for the NS image rows from x (rows of y from y):
/// one vector accumulator per (image, output) over the input dimension, reduced by
/// [`Simd::hsum`], then + b. Each weight vector is loaded once for the NS images; each
/// (image, output) sum runs in the same order whatever NS and MR are.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
// (r indexes the second dimension of acc: the loops read as the arithmetic.)
#[allow(clippy::needless_range_loop)]
unsafe fn forward_tile<S: Simd, const NS: usize, const MR: usize>(
    din: usize,
    dout: usize,
    o: usize,
    x: *const f32,
    w: *const f32,
    b: &[f32],
    y: *mut f32,
) {
    let (full, tail) = (din / LANES, din % LANES);
    // SAFETY: (caller) rows o..o+MR ≤ dout of w, NS rows of x and y; vectors 8v+0..8 <
    // 8·full ≤ din, the tail reads din − 8·full floats.
    unsafe {
        let wp = w.add(o * din);
        let mut acc = [[S::zero(); MR]; NS];
        for v in 0..full {
            let xv: [S::V; NS] = std::array::from_fn(|s| S::load(x.add(s * din + 8 * v)));
            for r in 0..MR {
                let wv = S::load(wp.add(r * din + 8 * v));
                for s in 0..NS {
                    acc[s][r] = S::fma(xv[s], wv, acc[s][r]);
                }
            }
        }
        if tail > 0 {
            let xv: [S::V; NS] =
                std::array::from_fn(|s| S::load_part(x.add(s * din + 8 * full), tail));
            for r in 0..MR {
                let wv = S::load_part(wp.add(r * din + 8 * full), tail);
                for s in 0..NS {
                    acc[s][r] = S::fma(xv[s], wv, acc[s][r]);
                }
            }
        }
        for (s, row) in acc.iter().enumerate() {
            for (r, a) in row.iter().enumerate() {
                *y.add(s * dout + o + r) = S::hsum(*a) + b[o + r];
            }
        }
    }
}

/// Outputs o .. o + 2·MP of [`forward`] for NS image rows, as [`forward_tile`] computes
/// them, with the 8-lane sums of outputs o + 2r and o + 2r + 1 in the two halves of one
/// 16-lane vector (the image's 8 inputs in both halves, the two rows' 8 weights side by
/// side): lane for lane the same FMAs in the same order, each half reduced by the 8-lane
/// [`Simd::hsum`], so bit-identical to it.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
// (r and s index the two dimensions of acc: the loops read as the arithmetic.)
#[allow(clippy::needless_range_loop)]
unsafe fn forward_tile_pairs<S: Backend, const NS: usize, const MP: usize>(
    din: usize,
    dout: usize,
    o: usize,
    x: *const f32,
    w: *const f32,
    b: &[f32],
    y: *mut f32,
) {
    let (full, tail) = (din / LANES, din % LANES);
    // SAFETY: (caller) rows o..o+2·MP ≤ dout of w, NS rows of x and y; vectors 8v+0..8 <
    // 8·full ≤ din, the tail reads din − 8·full floats.
    unsafe {
        let wp = w.add(o * din);
        let row = |r: usize, at: usize| wp.add(r * din + at);
        let mut acc = [[S::Wide::zero(); MP]; NS];
        for v in 0..full {
            let xv: [<S::Wide as Simd>::V; NS] =
                std::array::from_fn(|s| S::load_both(x.add(s * din + 8 * v)));
            for r in 0..MP {
                let wv = S::join(S::load(row(2 * r, 8 * v)), S::load(row(2 * r + 1, 8 * v)));
                for s in 0..NS {
                    acc[s][r] = S::Wide::fma(xv[s], wv, acc[s][r]);
                }
            }
        }
        if tail > 0 {
            let at = 8 * full;
            let xv: [<S::Wide as Simd>::V; NS] = std::array::from_fn(|s| {
                let t = S::load_part(x.add(s * din + at), tail);
                S::join(t, t)
            });
            for r in 0..MP {
                let wv = S::join(
                    S::load_part(row(2 * r, at), tail),
                    S::load_part(row(2 * r + 1, at), tail),
                );
                for s in 0..NS {
                    acc[s][r] = S::Wide::fma(xv[s], wv, acc[s][r]);
                }
            }
        }
        for (s, pairs) in acc.iter().enumerate() {
            for (r, a) in pairs.iter().enumerate() {
                let (lo, hi) = S::halves(*a);
                *y.add(s * dout + o + 2 * r) = S::hsum(lo) + b[o + 2 * r];
                *y.add(s * dout + o + 2 * r + 1) = S::hsum(hi) + b[o + 2 * r + 1];
            }
        }
    }
}

/// Every output of [`forward`] for NS image rows by [`forward_tile_pairs`], six outputs
/// at a time, then two, then the odd one left by [`forward_tile`].
#[inline(always)]
unsafe fn forward_pairs<S: Backend, const NS: usize>(
    din: usize,
    dout: usize,
    x: *const f32,
    w: *const f32,
    b: &[f32],
    y: *mut f32,
) {
    // SAFETY: (caller) NS rows of x and y, dout rows of w; rows o..o+6 (o+2, o+1) ≤ dout.
    unsafe {
        let mut o = 0;
        while o + 6 <= dout {
            forward_tile_pairs::<S, NS, 3>(din, dout, o, x, w, b, y);
            o += 6;
        }
        while o + 2 <= dout {
            forward_tile_pairs::<S, NS, 1>(din, dout, o, x, w, b, y);
            o += 2;
        }
        if o < dout {
            forward_tile::<S, NS, 1>(din, dout, o, x, w, b, y);
        }
    }
}

simd_kernel! {
    /// `y[s][o]` = `b[o]` + Σ_i `x[s][i]` · `w[o][i]`: one vector accumulator per (s, o), reduced
    /// by [`Simd::hsum`] (`forward_tile`): three images x three outputs at a time, the
    /// images left over four outputs at a time.
    /// x: `[n][din]`, w: `[dout][din]`, b: `[dout]` → y: `[n][dout]`
    pub fn forward(
        n: usize,
        din: usize,
        dout: usize,
        x: &[f32],
        w: &[f32],
        b: &[f32],
        y: &mut [f32],
    ) {
        assert!(x.len() >= n * din && w.len() >= dout * din && b.len() >= dout && y.len() >= n * dout);
        // Three images at a time: each load of w serves three images (the weights of fc1,
        // 192 KB, stream from L2 once per three images instead of once per image).
        let mut s = 0;
        // With one-register 16-lane vectors (AVX-512, 32 registers), two outputs' 8-lane
        // sums side by side in one register (half the FMAs), six images per load of w.
        while S::WIDE_NATIVE && s + 6 <= n {
            // SAFETY: images s..s+6 of x and y (asserted lengths).
            unsafe {
                let (xp, yp) = (x.as_ptr().add(s * din), y.as_mut_ptr().add(s * dout));
                forward_pairs::<S, 6>(din, dout, xp, w.as_ptr(), b, yp);
            }
            s += 6;
        }
        while s + 3 <= n {
            let mut o = 0;
            // SAFETY: images s..s+3 of x and y, rows o..o+3 ≤ dout of w (asserted lengths).
            unsafe {
                let (xp, yp) = (x.as_ptr().add(s * din), y.as_mut_ptr().add(s * dout));
                while o + 3 <= dout {
                    forward_tile::<S, 3, 3>(din, dout, o, xp, w.as_ptr(), b, yp);
                    o += 3;
                }
                while o < dout {
                    forward_tile::<S, 3, 1>(din, dout, o, xp, w.as_ptr(), b, yp);
                    o += 1;
                }
            }
            s += 3;
        }
        // The one or two images left: four outputs at a time (one load of x for four rows).
        for s in s..n {
            let mut o = 0;
            // SAFETY: o + MR ≤ dout rows of w, row s of x and y (asserted lengths).
            unsafe {
                let (xp, yp) = (x.as_ptr().add(s * din), y.as_mut_ptr().add(s * dout));
                while o + 4 <= dout {
                    forward_tile::<S, 1, 4>(din, dout, o, xp, w.as_ptr(), b, yp);
                    o += 4;
                }
                while o < dout {
                    forward_tile::<S, 1, 1>(din, dout, o, xp, w.as_ptr(), b, yp);
                    o += 1;
                }
            }
        }
    }
}

/// Rows o0 .. o0 + R of [`sdlm_backward`], on vectors of V: for each vector of inputs,
/// `dx += dy[o]·W[o]` for the R rows in order, and each row's update.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn sdlm_rows<V: Simd, const R: usize>(
    din: usize,
    o0: usize,
    x: *const f32,
    dy: &[f32],
    w: *mut f32,
    step_w: *const f32,
    dx: *mut f32,
) {
    // SAFETY: (caller) rows o0 + R ≤ dout, columns i + LANES ≤ din (din a multiple of V's
    // lanes), inside the asserted lengths.
    unsafe {
        let dv: [V::V; R] = std::array::from_fn(|r| V::splat(dy[o0 + r]));
        let mut i = 0;
        while i < din {
            let xv = V::load(x.add(i));
            let mut acc = V::load(dx.add(i));
            for (r, d) in dv.iter().enumerate() {
                let at = (o0 + r) * din + i;
                let wv = V::load(w.add(at));
                acc = V::fma(*d, wv, acc);
                // The unfused gradient is accumulated onto a zeroed buffer: adding to
                // +0 here too keeps even the sign of a zero gradient the same.
                let g = V::fma(*d, xv, V::zero());
                V::store(w.add(at), V::sub(wv, V::mul(V::load(step_w.add(at)), g)));
            }
            V::store(dx.add(i), acc);
            i += V::LANES;
        }
    }
}

/// [`sdlm_backward`] on vectors of V: four rows at a time (one pass over dx and x for
/// four rows of W), then the rows left one at a time.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn sdlm_backward_v<V: Simd>(
    din: usize,
    dout: usize,
    x: &[f32],
    dy: &[f32],
    w: &mut [f32],
    step_w: &[f32],
    dx: &mut [f32],
) {
    let (xp, dxp, wp, sp) = (x.as_ptr(), dx.as_mut_ptr(), w.as_mut_ptr(), step_w.as_ptr());
    let mut o = 0;
    // SAFETY: (caller) as sdlm_rows needs.
    unsafe {
        while o + 4 <= dout {
            sdlm_rows::<V, 4>(din, o, xp, dy, wp, sp, dxp);
            o += 4;
        }
        while o < dout {
            sdlm_rows::<V, 1>(din, o, xp, dy, wp, sp, dxp);
            o += 1;
        }
    }
}

simd_kernel! {
    /// Per-pattern SDLM through a fully connected layer in one pass over its weights:
    /// `dx[i] = Σ_o dy[o]·W[o][i]` with W before the update, then
    /// `W[o][i] −= step[o][i]·(dy[o]·x[i])` and `b[o] −= step_b[o]·dy[o]`.
    /// The same operations in the same order as [`gemm`] (dx, then the weight gradient
    /// into a zeroed buffer) followed by [`super::update::sdlm`], so bit-identical to them, without
    /// the gradient buffer: three sweeps over the 48,000 C5 weights instead of six.
    /// Four rows of W per sweep over dx and x; on 16 lanes when they are one register
    /// (AVX-512) and din allows (C5's 400), else 8 (every lane is its own input i, so
    /// the sums are the same).
    /// x: `[din]`, dy: `[dout]`, w, step_w: `[dout][din]`, b, step_b: `[dout]` → dx: `[din]`;
    /// din a multiple of 8.
    pub fn sdlm_backward(
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
        // SAFETY: rows o < dout and columns i + lanes ≤ din, all within the asserted lengths.
        unsafe {
            if S::WIDE_NATIVE && din.is_multiple_of(2 * LANES) {
                sdlm_backward_v::<S::Wide>(din, dout, x, dy, w, step_w, dx);
            } else {
                sdlm_backward_v::<S>(din, dout, x, dy, w, step_w, dx);
            }
        }
        for (o, &d) in dy[..dout].iter().enumerate() {
            b[o] -= step_b[o] * (0.0 + d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::testing::{close, every_backend, rand_vec};

    /// Images three at a time (one load of w for three images) give each image's outputs
    /// bit for bit as one image per call does, whatever the batch's remainder, and dout
    /// and din with or without a remainder of 3 and of 8.
    #[test]
    fn forward_three_images_at_a_time_is_bit_identical_to_one_at_a_time() {
        for (n, din, dout) in [
            (3, 400, 120),
            (8, 120, 84),
            (7, 84, 10),
            (5, 13, 7),
            (4, 8, 1),
        ] {
            let (x, w, b) = (
                rand_vec(n * din, 51),
                rand_vec(din * dout, 52),
                rand_vec(dout, 53),
            );
            every_backend(|name| {
                let mut y = vec![f32::NAN; n * dout];
                forward(n, din, dout, &x, &w, &b, &mut y);
                for s in 0..n {
                    let mut y1 = vec![f32::NAN; dout];
                    forward(1, din, dout, &x[s * din..(s + 1) * din], &w, &b, &mut y1);
                    let got = &y[s * dout..(s + 1) * dout];
                    for (o, (p, q)) in got.iter().zip(&y1).enumerate() {
                        assert_eq!(
                            p.to_bits(),
                            q.to_bits(),
                            "{name} n={n} {din}x{dout} [{s}][{o}]"
                        );
                    }
                }
            });
        }
    }

    /// The fused SDLM step through a dense layer against its unfused definition: dx and
    /// the weight gradient by [`gemm`], then [`super::super::update::sdlm`], bit for bit.
    #[test]
    fn sdlm_backward_is_bit_identical_to_gemm_then_update() {
        for (din, dout) in [(400, 120), (120, 84), (16, 7), (8, 1)] {
            let (x, dy) = (rand_vec(din, 41), rand_vec(dout, 42));
            let (w0, b0) = (rand_vec(din * dout, 43), rand_vec(dout, 44));
            let (sw, sb) = (rand_vec(din * dout, 45), rand_vec(dout, 46));
            every_backend(|name| {
                let (mut dx0, mut g) = (vec![0.0; din], vec![0.0; din * dout]);
                gemm(1, dout, din, &dy, dout, 1, &w0, din, &mut dx0, din, false);
                gemm(dout, 1, din, &dy, 1, dout, &x, din, &mut g, din, true);
                let (mut w1, mut b1) = (w0.clone(), b0.clone());
                super::super::update::sdlm(&mut w1, &g, &sw);
                let gb: Vec<f32> = dy.iter().map(|d| 0.0 + d).collect();
                super::super::update::sdlm(&mut b1, &gb, &sb);
                let (mut w, mut b, mut dx) = (w0.clone(), b0.clone(), vec![f32::NAN; din]);
                sdlm_backward(din, dout, &x, &dy, &mut w, &mut b, &sw, &sb, &mut dx);
                for (what, got, want) in [("dx", &dx, &dx0), ("w", &w, &w1), ("b", &b, &b1)] {
                    for (i, (p, q)) in got.iter().zip(want.iter()).enumerate() {
                        assert_eq!(p.to_bits(), q.to_bits(), "{name} {din}x{dout} {what}[{i}]");
                    }
                }
            });
        }
    }

    #[test]
    fn dense_forward_tiles_give_the_bits_of_one_output_at_a_time() {
        // Every output has its own accumulator: tiles of 4 rows and single rows add the
        // same terms in the same order as a layer of one output.
        for (n, din, dout) in [(3, 400, 120), (2, 120, 84), (2, 84, 10), (1, 13, 23)] {
            let (x, w, b) = (
                rand_vec(n * din, 34),
                rand_vec(dout * din, 35),
                rand_vec(dout, 36),
            );
            every_backend(|name| {
                let mut y = vec![f32::NAN; n * dout];
                forward(n, din, dout, &x, &w, &b, &mut y);
                for s in 0..n {
                    for o in 0..dout {
                        let mut one = [f32::NAN];
                        let (xs, wo) = (&x[s * din..(s + 1) * din], &w[o * din..(o + 1) * din]);
                        forward(1, din, 1, xs, wo, &b[o..o + 1], &mut one);
                        let got = y[s * dout + o];
                        assert_eq!(got.to_bits(), one[0].to_bits(), "{name} y[{s}][{o}]");
                    }
                }
            });
        }
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
            (7, 21, 13),
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
            every_backend(|name| {
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
                forward(m, k, n, &a, &bt, &c0[..n], &mut y);
                let want_d: Vec<f32> = (0..m * n).map(|q| want0[q] + c0[q % n]).collect();
                close(&y, &want_d, 1e-5, name);
            });
        }
    }
}
