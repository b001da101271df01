//! Eight-lane `f32` vectors behind one small trait, with two back ends (one file each):
//!
//! - [`Avx2`]: AVX2 + FMA intrinsics (x86-64 only), chosen at run time when the CPU
//!   has both (`is_x86_feature_detected!`);
//! - [`Portable`]: `[f32; 8]` with plain Rust arithmetic (LLVM turns it into SSE2 on
//!   x86-64, NEON on aarch64, scalar code elsewhere). Its "fma" is a multiply then an
//!   add, rounded twice, so its results differ from the AVX2 path in the last bits.
//!
//! Kernels are written once, generic over [`Simd`], and instantiated for each back end
//! by `simd_kernel!` (in `kernels/mod.rs`): a `#[target_feature(enable = "avx2,fma")]`
//! copy that LLVM compiles with 256-bit FMA instructions, and a portable copy.
//!
//! `LENET5_SIMD=portable` (read once) forces the portable path, for comparisons.

use std::sync::atomic::{AtomicU8, Ordering};

mod portable;
pub use portable::Portable;
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;

/// Lanes per vector, for every back end.
pub const LANES: usize = 8;

/// An 8-lane `f32` vector back end. Every function is `unsafe`: pointers must be valid
/// for the lanes read or written (stated at each call site), and the [`Avx2`] functions
/// may only run on a CPU with AVX2 and FMA.
#[allow(clippy::missing_safety_doc)] // the contract is stated once, above
pub trait Simd: Copy + 'static {
    /// The vector type.
    type V: Copy;
    /// Back-end name, for reports.
    const NAME: &'static str;
    /// All lanes 0.
    unsafe fn zero() -> Self::V;
    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self::V;
    /// Loads 8 floats from `p` (any alignment).
    unsafe fn load(p: *const f32) -> Self::V;
    /// Stores 8 floats to `p` (any alignment).
    unsafe fn store(p: *mut f32, v: Self::V);
    /// Loads the first `n` (< 8) floats from `p`; the other lanes are 0.
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V;
    /// Stores the first `n` (< 8) lanes of `v` to `p`.
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize);
    /// `a · b + c` (fused on AVX2).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `if a > b { x } else { y }`.
    unsafe fn select_gt(a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V;
    /// Sum of the 8 lanes, always in the same order: ((0+4)+(2+6)) + ((1+5)+(3+7)).
    unsafe fn hsum(v: Self::V) -> f32;
}

const UNKNOWN: u8 = 0;
const PORTABLE: u8 = 1;
const AVX2: u8 = 2;
static BACKEND: AtomicU8 = AtomicU8::new(UNKNOWN);

/// Whether this CPU has AVX2 and FMA.
pub fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

thread_local! {
    static FORCE_PORTABLE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f` with the portable back end forced (`portable = true`) or not, on this
/// thread only (tests and benchmarks compare the two back ends with it).
pub fn with_portable<R>(portable: bool, f: impl FnOnce() -> R) -> R {
    let old = FORCE_PORTABLE.with(|c| c.replace(portable));
    let r = f();
    FORCE_PORTABLE.with(|c| c.set(old));
    r
}

/// Whether the kernels run the AVX2 + FMA back end: the CPU has it, and neither
/// `LENET5_SIMD=portable` (read once) nor [`with_portable`] asks for the portable one.
#[inline]
pub fn use_avx2() -> bool {
    if FORCE_PORTABLE.with(|c| c.get()) {
        return false;
    }
    match BACKEND.load(Ordering::Relaxed) {
        AVX2 => true,
        PORTABLE => false,
        _ => {
            let forced = std::env::var("LENET5_SIMD").is_ok_and(|v| v == "portable");
            let b = if avx2_available() && !forced {
                AVX2
            } else {
                PORTABLE
            };
            BACKEND.store(b, Ordering::Relaxed);
            b == AVX2
        }
    }
}

/// Name of the back end the kernels use.
pub fn backend_name() -> &'static str {
    if use_avx2() {
        #[cfg(target_arch = "x86_64")]
        return Avx2::NAME;
    }
    Portable::NAME
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(always)]
    unsafe fn ops<S: Simd>() -> ([f32; 8], f32, [f32; 8], [f32; 8]) {
        let a: [f32; 8] = std::array::from_fn(|i| i as f32 - 3.5);
        let b: [f32; 8] = std::array::from_fn(|i| 1.0 - i as f32 * 0.25);
        unsafe {
            let (va, vb) = (S::load(a.as_ptr()), S::load(b.as_ptr()));
            let mut o = [0.0; 8];
            S::store(o.as_mut_ptr(), S::fma(va, vb, S::select_gt(va, vb, va, vb)));
            let mut part = [9.0f32; 8];
            S::store_part(part.as_mut_ptr(), S::load_part(a.as_ptr(), 3), 5);
            let mut mx = [0.0; 8];
            S::store(mx.as_mut_ptr(), S::max(va, vb));
            (o, S::hsum(va), part, mx)
        }
    }

    #[test]
    fn backends_agree() {
        // SAFETY: as above.
        let p = unsafe { ops::<Portable>() };
        assert_eq!(p.1, 0.0);
        assert_eq!(p.2, [-3.5, -2.5, -1.5, 0.0, 0.0, 9.0, 9.0, 9.0]);
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn go() -> ([f32; 8], f32, [f32; 8], [f32; 8]) {
                unsafe { ops::<Avx2>() }
            }
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            let a = unsafe { go() };
            assert_eq!(p, a);
        }
    }
}
