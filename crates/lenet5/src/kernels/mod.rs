//! The hot loops, one file per layer, written once over a vector trait and dispatched at
//! run time to the back end the CPU has (AVX-512, AVX2 + FMA, or portable). Shapes are LeNet-5's;
//! every kernel states them and asserts the slice lengths it relies on, so the unchecked
//! vector loads inside stay in bounds. The kernels know shapes, never the model.
//!
//! | file | kernel | computes | vectorised over |
//! |---|---|---|---|
//! | [`c1`] | [`c1::forward`] | 1→6 maps, 5x5, 32x32 → 28x28, + bias, activation | 16 output columns (AVX-512); 8 places of the grid, three maps per input load (8 lanes) |
//! | | [`c1::forward_grid`] | the same, one map at a time on the 32-wide grid (batch 1) | 16 places of the grid (AVX-512); as `forward` (8 lanes) |
//! | | [`c1::weight_grad`] | dW, db of the same | 8 output columns |
//! | | [`c1::pool_relu_weight_grad`] | max-pool + ReLU backward fused with dW (modern) | 8 pooled places (their blocks' maxima), then the 5 taps of a row |
//! | | [`c1::forward_relu_pool`] | the same + ReLU + 2x2 max-pool, C1's maps never stored (modern inference) | 8 places of the grid, three maps per input load |
//! | [`c3`] | [`c3::forward`] | 6→16 maps, 5x5, 14x14 → 10x10, + bias, activation | 16 output channels (wide) |
//! | | [`c3::forward_relu_pool`] | the same + ReLU + 2x2 max-pool from the position-major outputs (modern inference) | 16 output channels (wide) |
//! | | [`c3::weight_grad`] | dW of the same (dW += Xᵀ·dY, X the implicit im2col) | 16 output channels (wide) |
//! | | [`c3::weight_grad_into`] | the same sums added straight into dW `[16][150]` (what the layer runs) | 16 output channels (wide) |
//! | | [`c3::col2im`] | the input gradient from the column gradient | 10-pixel row segments |
//! | | [`c3::input_grad_direct`] | its input gradient from dense gradients, one tap at a time | 16 positions of the 14-wide grid (wide) |
//! | [`dense`] | [`dense::forward`] | y = x·Wᵀ + b (C5, F6, the modern FCs) | the input dimension |
//! | | [`dense::gemm`] | C (+)= A·B, small (FC backward, C3's column gradient) | columns of B and C |
//! | | [`dense::sdlm_backward`] | per-pattern SDLM through a dense layer in one sweep | the input dimension |
//! | [`pool`] | [`pool::max_forward`], [`pool::max_relu_backward`] | 2x2 max-pooling | (scalar) |
//! | [`act`] | [`act::activate`] | ReLU / the paper's scaled tanh in place | elements |
//! | | [`act::tanh_backward`] | the scaled tanh's backward from its output | elements |
//! | [`update`] | [`update::sdlm`], [`update::sgd`] | optimiser updates | elements |
//! | [`peak`] | [`peak::fma_loop`] | independent FMAs only: the back end's measured peak | 12 chains (wide on AVX-512) |
//!
//! "(wide)": 16-lane vectors, one 512-bit register on AVX-512, two 8-lane vectors
//! elsewhere; the other kernels use 8-lane vectors on every back end (on AVX-512 with its
//! 32 registers and mask registers). The kernels that reduce across lanes (C1's dW,
//! [`dense::forward`]) keep 8 lanes so that each sum keeps AVX2's order.
//!
//! [`reference`](mod@reference) holds the simple path they are tested against (im2col + GEMM, the
//! naive convolution), which the SDLM curvature pass also runs. [`simd`] holds the
//! vector trait and its back ends.
//!
//! Per output element, every kernel adds its terms in one fixed order that does not
//! depend on the tile it falls in or on the number of images: results are identical
//! whatever the batch size, and (per back end) on every run.

/// Defines a safe kernel `pub fn $name(args) { body }` whose body is generic over the
/// vector back end `S: Backend`: the body is compiled three times, as an AVX-512 copy and
/// an AVX2 + FMA copy (`#[target_feature]`, run when [`simd::backend`] says so, which
/// only happens on a CPU that has the instructions) and a portable copy. The body may
/// only rely, beyond the lengths it asserts, on `S`'s instructions existing on this CPU,
/// which the dispatch guarantees.
macro_rules! simd_kernel {
    ($(#[$m:meta])* pub fn $name:ident($($a:ident : $t:ty),* $(,)?) { $($body:tt)* }) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($a: $t),*) {
            #[inline(always)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn kernel<S: $crate::kernels::simd::Backend>($($a: $t),*) { $($body)* }
            #[cfg(target_arch = "x86_64")]
            {
                match $crate::kernels::simd::backend() {
                    $crate::kernels::simd::Kind::Avx512 => {
                        #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                        #[allow(clippy::too_many_arguments)]
                        unsafe fn avx512($($a: $t),*) {
                            // SAFETY: forwarded; see the outer call.
                            unsafe { kernel::<$crate::kernels::simd::Avx512>($($a),*) }
                        }
                        // SAFETY: backend() is Avx512 only on a CPU with AVX-512 F + VL,
                        // AVX2 and FMA.
                        return unsafe { avx512($($a),*) };
                    }
                    $crate::kernels::simd::Kind::Avx2 => {
                        #[target_feature(enable = "avx2,fma")]
                        #[allow(clippy::too_many_arguments)]
                        unsafe fn avx2($($a: $t),*) {
                            // SAFETY: forwarded; see the outer call.
                            unsafe { kernel::<$crate::kernels::simd::Avx2>($($a),*) }
                        }
                        // SAFETY: backend() is Avx2 only on a CPU with AVX2 and FMA.
                        return unsafe { avx2($($a),*) };
                    }
                    $crate::kernels::simd::Kind::Portable => {}
                }
            }
            // SAFETY: the portable back end uses no special instructions.
            unsafe { kernel::<$crate::kernels::simd::Portable>($($a),*) }
        }
    };
}

pub mod act;
pub mod c1;
pub mod c3;
pub mod dense;
pub mod peak;
pub mod pool;
pub mod reference;
pub mod simd;
pub mod update;

pub use act::Act;

/// Shape of a square-kernel, stride-1 convolution on one image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Input channels, height, width.
    pub cin: usize,
    pub h: usize,
    pub w: usize,
    /// Output channels.
    pub cout: usize,
    /// Kernel size (k×k) and zero padding on each side.
    pub k: usize,
    pub pad: usize,
}

impl ConvShape {
    /// `maps_in`@`side`x`side` → `maps_out` maps, `k`x`k` kernel, `pad` zeros each side.
    pub const fn new(maps_in: usize, side: usize, maps_out: usize, k: usize, pad: usize) -> Self {
        ConvShape {
            cin: maps_in,
            h: side,
            w: side,
            cout: maps_out,
            k,
            pad,
        }
    }
    /// Output height.
    pub const fn ho(&self) -> usize {
        self.h + 2 * self.pad + 1 - self.k
    }
    /// Output width.
    pub const fn wo(&self) -> usize {
        self.w + 2 * self.pad + 1 - self.k
    }
    /// Rows of the im2col matrix: cin·k·k.
    pub const fn col_rows(&self) -> usize {
        self.cin * self.k * self.k
    }
    /// Columns of the im2col matrix: ho·wo.
    pub const fn col_cols(&self) -> usize {
        self.ho() * self.wo()
    }
    /// Input elements per image.
    pub const fn in_len(&self) -> usize {
        self.cin * self.h * self.w
    }
    /// Output elements per image.
    pub const fn out_len(&self) -> usize {
        self.cout * self.ho() * self.wo()
    }
    /// Elements of the weight tensor `[cout, cin, k, k]`.
    pub const fn weight_len(&self) -> usize {
        self.cout * self.cin * self.k * self.k
    }
    /// The weight tensor's shape `[cout, cin, k, k]`.
    pub const fn weight_shape(&self) -> [usize; 4] {
        [self.cout, self.cin, self.k, self.k]
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Helpers of the kernels' tests.

    pub use crate::rng::uniform_vec as rand_vec;

    /// `a` and `b` agree within `tol`, relative to `b` (absolute below 1).
    pub fn close(a: &[f32], b: &[f32], tol: f32, what: &str) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= tol * y.abs().max(1.0),
                "{what}[{i}]: {x} vs {y}"
            );
        }
    }

    /// Runs `f` on every back end this CPU has (portable, AVX2, AVX-512), forced on this
    /// thread, with the back end's name.
    pub fn every_backend(mut f: impl FnMut(&str)) {
        for k in super::simd::Kind::available_all() {
            super::simd::with_backend(k, || f(k.env_name()));
        }
    }
}

#[cfg(test)]
mod tests {
    //! AVX-512 against AVX2 + FMA: every kernel's output bit for bit (the contract that
    //! keeps trained weights and the bundled models identical on both back ends).

    use super::simd::{Kind, with_backend};
    use super::testing::rand_vec;
    use super::*;

    /// Every kernel on the same inputs; all outputs, as bits.
    fn run_all() -> Vec<(&'static str, Vec<u32>)> {
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let mut out = Vec::new();
        let n = 3;
        // C1.
        let xp = rand_vec(n * c1::PADDED_LEN, 1);
        let w1 = rand_vec(150, 2);
        let b1 = rand_vec(6, 3);
        for (name, act) in [
            ("c1 forward identity", Act::Identity),
            ("c1 forward relu", Act::Relu),
            ("c1 forward tanh", Act::Tanh),
        ] {
            let mut y = vec![f32::NAN; n * c1::OUT_LEN];
            c1::forward(n, &xp, &w1, &b1, &mut y, act);
            out.push((name, bits(&y)));
        }
        for (name, act) in [
            ("c1 forward_grid identity", Act::Identity),
            ("c1 forward_grid tanh", Act::Tanh),
        ] {
            let mut y = vec![f32::NAN; n * c1::OUT_LEN];
            c1::forward_grid(n, &xp, &w1, &b1, &mut y, act);
            out.push((name, bits(&y)));
        }
        let mut y = vec![f32::NAN; n * c1::POOLED_LEN];
        c1::forward_relu_pool(n, &xp, &w1, &b1, &mut y);
        out.push(("c1 forward_relu_pool", bits(&y)));
        let dy1 = rand_vec(n * c1::OUT_LEN, 4);
        let (mut dw, mut db) = (rand_vec(150, 5), rand_vec(6, 6));
        c1::weight_grad(n, &xp, &dy1, &mut dw, &mut db);
        out.push(("c1 weight_grad dw", bits(&dw)));
        out.push(("c1 weight_grad db", bits(&db)));
        let mut a1 = vec![0.0; n * c1::OUT_LEN];
        c1::forward(n, &xp, &w1, &b1, &mut a1, Act::Relu);
        let mut a2 = vec![0.0; n * c1::POOLED_LEN];
        pool::max_forward(n * 6, 28, 28, &a1, &mut a2);
        out.push(("pool max_forward", bits(&a2)));
        let d2 = rand_vec(n * c1::POOLED_LEN, 7);
        let mut d1 = vec![0.0; n * c1::OUT_LEN];
        pool::max_relu_backward(n * 6, 28, 28, &a1, &a2, &d2, &mut d1);
        out.push(("pool max_relu_backward", bits(&d1)));
        let (mut dw, mut db) = (rand_vec(150, 8), rand_vec(6, 9));
        c1::pool_relu_weight_grad(n, &a1, &a2, &d2, &xp, &mut dw, &mut db);
        out.push(("c1 pool_relu_weight_grad dw", bits(&dw)));
        out.push(("c1 pool_relu_weight_grad db", bits(&db)));
        // C3.
        let x3 = rand_vec(n * c3::IN_LEN, 10);
        let wt = rand_vec(2400, 11);
        let b3 = rand_vec(16, 12);
        for (name, act) in [
            ("c3 forward identity", Act::Identity),
            ("c3 forward relu", Act::Relu),
            ("c3 forward tanh", Act::Tanh),
        ] {
            let (mut y, mut yh) = (vec![0.0; n * c3::OUT_LEN], vec![0.0; n * c3::OUT_LEN]);
            c3::forward(n, &x3, &wt, &b3, &mut y, &mut yh, act);
            out.push((name, bits(&y)));
            out.push((name, bits(&yh)));
        }
        let (mut yp, mut h) = (
            vec![f32::NAN; n * c3::POOLED_LEN],
            vec![f32::NAN; c3::OUT_LEN],
        );
        c3::forward_relu_pool(n, &x3, &wt, &b3, &mut h, &mut yp);
        out.push(("c3 forward_relu_pool", bits(&yp)));
        let mut w3 = vec![0.0; 2400];
        for o in 0..16 {
            for k in 0..150 {
                w3[o * 150 + k] = wt[k * 16 + o];
            }
        }
        let mut dy3 = rand_vec(n * c3::OUT_LEN, 13);
        let mut dx = vec![f32::NAN; n * c3::IN_LEN];
        c3::input_grad_direct(n, &wt, &dy3, &mut dx);
        out.push(("c3 input_grad_direct", bits(&dx)));
        let mut dwt = rand_vec(2400, 14);
        c3::weight_grad(n, &x3, &dy3, &mut dwt);
        out.push(("c3 weight_grad", bits(&dwt)));
        let mut dw3 = rand_vec(2400, 33);
        c3::weight_grad_into(n, &x3, &dy3, &mut dw3);
        out.push(("c3 weight_grad_into", bits(&dw3)));
        for (i, v) in dy3.iter_mut().enumerate() {
            if i % 3 != 0 {
                *v = 0.0;
            }
        }
        let mut dw_pad = rand_vec(c3::W_PAD_LEN, 15);
        c3::weight_grad_sparse(n, &x3, &dy3, &mut dw_pad);
        let live_lanes: Vec<f32> = dw_pad
            .chunks_exact(8)
            .flat_map(|r| r[..5].to_vec())
            .collect();
        out.push(("c3 weight_grad_sparse", bits(&live_lanes)));
        let (mut w_pad, mut live) = (vec![0.0; c3::W_PAD_LEN], [0u16; 6]);
        c3::pad_weights(&wt, &mut w_pad, &mut live);
        let mut dx = vec![f32::NAN; n * c3::IN_LEN];
        c3::input_grad(n, &w_pad, &live, &dy3, &mut dx);
        out.push(("c3 input_grad", bits(&dx)));
        let dcol = rand_vec(15_000, 16);
        let mut dx = vec![f32::NAN; c3::IN_LEN];
        c3::col2im(&dcol, &mut dx);
        out.push(("c3 col2im", bits(&dx)));
        // Dense.
        for (m, k, nn) in [
            (1, 1, 1),
            (5, 7, 13),
            (16, 400, 120),
            (9, 84, 10),
            (4, 150, 100),
            (7, 21, 13),
        ] {
            let a = rand_vec(m * k, 17);
            let b = rand_vec(k * nn, 18);
            let mut c = rand_vec(m * nn, 19);
            dense::gemm(m, k, nn, &a, k, 1, &b, nn, &mut c, nn, true);
            out.push(("dense gemm acc", bits(&c)));
            dense::gemm(m, k, nn, &a, 1, m, &b, nn, &mut c, nn, false);
            out.push(("dense gemm", bits(&c)));
            let mut y = vec![0.0; m * nn];
            dense::forward(m, k, nn, &a, &b, &b[..nn], &mut y);
            out.push(("dense forward", bits(&y)));
        }
        let (din, dout) = (400, 120);
        let (x, dy) = (rand_vec(din, 20), rand_vec(dout, 21));
        let (mut w, mut b) = (rand_vec(din * dout, 22), rand_vec(dout, 23));
        let (sw, sb) = (rand_vec(din * dout, 24), rand_vec(dout, 25));
        let mut dx = vec![0.0; din];
        dense::sdlm_backward(din, dout, &x, &dy, &mut w, &mut b, &sw, &sb, &mut dx);
        out.push(("dense sdlm_backward dx", bits(&dx)));
        out.push(("dense sdlm_backward w", bits(&w)));
        out.push(("dense sdlm_backward b", bits(&b)));
        // Activations, updates.
        for (name, act) in [("act relu", Act::Relu), ("act tanh", Act::Tanh)] {
            let mut v = rand_vec(1003, 26);
            act::activate(&mut v, act);
            out.push((name, bits(&v)));
        }
        let (y, mut d) = (rand_vec(1003, 31), rand_vec(1003, 32));
        act::tanh_backward(&y, &mut d);
        out.push(("act tanh_backward", bits(&d)));
        let (mut p, g, st) = (rand_vec(1003, 27), rand_vec(1003, 28), rand_vec(1003, 29));
        update::sdlm(&mut p, &g, &st);
        out.push(("update sdlm", bits(&p)));
        let mut v = rand_vec(1003, 30);
        update::sgd(&mut p, &g, &mut v, 0.1, 0.9, 5e-4);
        out.push(("update sgd", bits(&p)));
        out.push(("update sgd v", bits(&v)));
        out
    }

    #[test]
    fn avx512_computes_what_avx2_computes_bit_for_bit() {
        let (Some(a), Some(b)) = (
            with_backend(Kind::Avx2, run_all),
            with_backend(Kind::Avx512, run_all),
        ) else {
            eprintln!("note: skipped, this CPU does not have both AVX2 and AVX-512");
            return;
        };
        assert_eq!(a.len(), b.len());
        for ((name, x), (_, y)) in a.iter().zip(&b) {
            let diff = x.iter().zip(y).filter(|(p, q)| p != q).count();
            assert_eq!(diff, 0, "{name}: {diff} of {} outputs differ", x.len());
        }
        // And the portable back end is a different computation (unfused multiply-adds),
        // so this comparison can fail.
        let p = with_backend(Kind::Portable, run_all).unwrap();
        assert!(p.iter().zip(&a).any(|((_, x), (_, y))| x != y));
    }
}
