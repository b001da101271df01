//! The hot loops, one file per layer, written once over a vector trait and dispatched at
//! run time to the back end the CPU has (AVX-512, AVX2 + FMA, or portable). Shapes are LeNet-5's;
//! every kernel states them and asserts the slice lengths it relies on, so the unchecked
//! vector loads inside stay in bounds. The kernels know shapes, never the model.
//!
//! | file | kernel | computes | vectorised over |
//! |---|---|---|---|
//! | [`c1`] | [`c1::forward`] | 1→6 maps, 5x5, 32x32 → 28x28, + bias, activation | 8 output columns |
//! | | [`c1::weight_grad`] | dW, db of the same | 8 output columns |
//! | | [`c1::pool_relu_weight_grad`] | max-pool + ReLU backward fused with dW (modern) | the 5 taps of a row |
//! | [`c3`] | [`c3::forward`] | 6→16 maps, 5x5, 14x14 → 10x10, + bias, activation | 16 output channels |
//! | | [`c3::weight_grad`] | dW of the same (dW += Xᵀ·dY, X the implicit im2col) | 16 output channels |
//! | | [`c3::col2im`] | the input gradient from the column gradient | 10-pixel row segments |
//! | [`dense`] | [`dense::forward`] | y = x·Wᵀ + b (C5, F6, the modern FCs) | the input dimension |
//! | | [`dense::gemm`] | C (+)= A·B, small (FC backward, C3's column gradient) | columns of B and C |
//! | | [`dense::sdlm_backward`] | per-pattern SDLM through a dense layer in one sweep | the input dimension |
//! | [`pool`] | [`pool::max_forward`], [`pool::max_relu_backward`] | 2x2 max-pooling | (scalar) |
//! | [`act`] | [`act::activate`] | ReLU / the paper's scaled tanh in place | elements |
//! | [`update`] | [`update::sdlm`], [`update::sgd`] | optimiser updates | elements |
//! | [`peak`] | [`peak::fma_loop`] | independent FMAs only: the back end's measured peak | 12 chains |
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
