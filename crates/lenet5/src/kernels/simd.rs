//! Eight-lane `f32` vectors behind one small trait, with two back ends:
//!
//! - [`Avx2`]: AVX2 + FMA intrinsics (x86-64 only), chosen at run time when the CPU
//!   has both (`is_x86_feature_detected!`);
//! - [`Portable`]: `[f32; 8]` with plain Rust arithmetic (LLVM turns it into SSE2 on
//!   x86-64, NEON on aarch64, scalar code elsewhere). Its "fma" is a multiply then an
//!   add, rounded twice, so its results differ from the AVX2 path in the last bits.
//!
//! Kernels are written once, generic over [`Simd`], and instantiated for each back end
//! by `simd_dispatch!` (a `#[macro_export]` macro): a `#[target_feature(enable = "avx2,fma")]` copy that LLVM
//! compiles with 256-bit FMA instructions, and a portable copy. AVX-512 is not used:
//! no machine at hand has it to test on, and these shapes (6 and 16 channels, 28- and
//! 10-pixel rows) fill 8 lanes better than 16.
//!
//! `LENET5_SIMD=portable` (read once) forces the portable path, for comparisons.

use std::sync::atomic::{AtomicU8, Ordering};

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

/// The portable back end: `[f32; 8]`, plain arithmetic.
#[derive(Clone, Copy, Debug)]
pub struct Portable;

impl Simd for Portable {
    type V = [f32; 8];
    const NAME: &'static str = "portable";
    #[inline(always)]
    unsafe fn zero() -> Self::V {
        [0.0; 8]
    }
    #[inline(always)]
    unsafe fn splat(x: f32) -> Self::V {
        [x; 8]
    }
    #[inline(always)]
    unsafe fn load(p: *const f32) -> Self::V {
        // SAFETY: the caller guarantees 8 readable floats at p.
        unsafe { std::ptr::read_unaligned(p as *const [f32; 8]) }
    }
    #[inline(always)]
    unsafe fn store(p: *mut f32, v: Self::V) {
        // SAFETY: the caller guarantees 8 writable floats at p.
        unsafe { std::ptr::write_unaligned(p as *mut [f32; 8], v) }
    }
    #[inline(always)]
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V {
        let mut v = [0.0; 8];
        for (i, l) in v.iter_mut().enumerate().take(n) {
            // SAFETY: the caller guarantees n readable floats at p.
            *l = unsafe { *p.add(i) };
        }
        v
    }
    #[inline(always)]
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize) {
        for (i, l) in v.iter().enumerate().take(n) {
            // SAFETY: the caller guarantees n writable floats at p.
            unsafe { *p.add(i) = *l };
        }
    }
    #[inline(always)]
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i] + c[i])
    }
    #[inline(always)]
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] + b[i])
    }
    #[inline(always)]
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] - b[i])
    }
    #[inline(always)]
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] * b[i])
    }
    #[inline(always)]
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| a[i] / b[i])
    }
    #[inline(always)]
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V {
        // Same convention as `_mm256_max_ps`: b when a is not greater.
        std::array::from_fn(|i| if a[i] > b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V {
        std::array::from_fn(|i| if a[i] < b[i] { a[i] } else { b[i] })
    }
    #[inline(always)]
    unsafe fn select_gt(a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V {
        std::array::from_fn(|i| if a[i] > b[i] { x[i] } else { y[i] })
    }
    #[inline(always)]
    unsafe fn hsum(v: Self::V) -> f32 {
        ((v[0] + v[4]) + (v[2] + v[6])) + ((v[1] + v[5]) + (v[3] + v[7]))
    }
}

/// The AVX2 + FMA back end (x86-64). Only reachable through `simd_dispatch!` after
/// the run-time check, or from tests that check [`avx2_available`] first.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug)]
pub struct Avx2;

#[cfg(target_arch = "x86_64")]
mod avx2_impl {
    use super::{Avx2, Simd};
    use std::arch::x86_64::*;

    /// Lane masks for partial loads and stores: row n has its first n lanes set.
    static MASKS: [[i32; 8]; 8] = {
        let mut m = [[0i32; 8]; 8];
        let mut n = 0;
        while n < 8 {
            let mut i = 0;
            while i < n {
                m[n][i] = -1;
                i += 1;
            }
            n += 1;
        }
        m
    };

    // SAFETY (whole impl): every intrinsic here needs AVX2/FMA, which the trait's
    // contract requires of the caller's CPU; pointer validity is the caller's too.
    impl Simd for Avx2 {
        type V = __m256;
        const NAME: &'static str = "avx2+fma";
        #[inline(always)]
        unsafe fn zero() -> __m256 {
            unsafe { _mm256_setzero_ps() }
        }
        #[inline(always)]
        unsafe fn splat(x: f32) -> __m256 {
            unsafe { _mm256_set1_ps(x) }
        }
        #[inline(always)]
        unsafe fn load(p: *const f32) -> __m256 {
            unsafe { _mm256_loadu_ps(p) }
        }
        #[inline(always)]
        unsafe fn store(p: *mut f32, v: __m256) {
            unsafe { _mm256_storeu_ps(p, v) }
        }
        #[inline(always)]
        unsafe fn load_part(p: *const f32, n: usize) -> __m256 {
            unsafe {
                let m = _mm256_loadu_si256(MASKS[n & 7].as_ptr() as *const __m256i);
                _mm256_maskload_ps(p, m)
            }
        }
        #[inline(always)]
        unsafe fn store_part(p: *mut f32, v: __m256, n: usize) {
            unsafe {
                let m = _mm256_loadu_si256(MASKS[n & 7].as_ptr() as *const __m256i);
                _mm256_maskstore_ps(p, m, v)
            }
        }
        #[inline(always)]
        unsafe fn fma(a: __m256, b: __m256, c: __m256) -> __m256 {
            unsafe { _mm256_fmadd_ps(a, b, c) }
        }
        #[inline(always)]
        unsafe fn add(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_add_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn sub(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_sub_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn mul(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_mul_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn div(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_div_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn max(a: __m256, b: __m256) -> __m256 {
            // max_ps returns the second operand unless the first is greater.
            unsafe { _mm256_max_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn min(a: __m256, b: __m256) -> __m256 {
            unsafe { _mm256_min_ps(a, b) }
        }
        #[inline(always)]
        unsafe fn select_gt(a: __m256, b: __m256, x: __m256, y: __m256) -> __m256 {
            unsafe { _mm256_blendv_ps(y, x, _mm256_cmp_ps::<_CMP_GT_OQ>(a, b)) }
        }
        #[inline(always)]
        unsafe fn hsum(v: __m256) -> f32 {
            unsafe {
                // lanes (0+4, 1+5, 2+6, 3+7), then (0+4)+(2+6), (1+5)+(3+7), then the two.
                let s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
                let s = _mm_add_ps(s, _mm_movehl_ps(s, s));
                let s = _mm_add_ss(s, _mm_shuffle_ps::<1>(s, s));
                _mm_cvtss_f32(s)
            }
        }
    }
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

/// Defines a safe public kernel `$name(args)` that runs `$generic::<S>(args)` with the
/// AVX2 + FMA back end when [`use_avx2`] says so, else the portable one.
/// `$generic` must be an `unsafe fn` whose only safety requirement beyond its
/// asserted arguments is that `S`'s instructions exist on this CPU.
#[macro_export]
#[doc(hidden)]
macro_rules! simd_dispatch {
    ($(#[$m:meta])* pub fn $name:ident($($a:ident : $t:ty),* $(,)?) => $generic:ident) => {
        $(#[$m])*
        #[allow(clippy::too_many_arguments)]
        pub fn $name($($a: $t),*) {
            #[cfg(target_arch = "x86_64")]
            {
                if $crate::kernels::simd::use_avx2() {
                    #[target_feature(enable = "avx2,fma")]
                    #[allow(clippy::too_many_arguments)]
                    unsafe fn avx2($($a: $t),*) {
                        // SAFETY: forwarded; see the outer call.
                        unsafe { $generic::<$crate::kernels::simd::Avx2>($($a),*) }
                    }
                    // SAFETY: use_avx2() checked that this CPU has AVX2 and FMA.
                    return unsafe { avx2($($a),*) };
                }
            }
            // SAFETY: the portable back end uses no special instructions.
            unsafe { $generic::<$crate::kernels::simd::Portable>($($a),*) }
        }
    };
}

/// f(a) = amp·tanh(slope·a) on 8 lanes: tanh by Eigen's rational approximation (odd degree-13
/// numerator over even degree-6 denominator, inputs clamped to ±7.9053; max error a few
/// ulp, checked against f64 in the tests).
///
/// # Safety
/// `S`'s instructions must exist on this CPU.
#[inline(always)]
#[allow(clippy::excessive_precision)]
pub unsafe fn scaled_tanh<S: Simd>(a: S::V, amp: f32, slope: f32) -> S::V {
    unsafe {
        let lim = S::splat(7.905_311_107_635_498);
        let x = S::min(
            S::max(S::mul(a, S::splat(slope)), S::sub(S::zero(), lim)),
            lim,
        );
        let x2 = S::mul(x, x);
        let mut p = S::splat(-2.760_768_477_423_55e-16);
        for c in [
            2.000_187_904_824_77e-13,
            -8.604_671_522_137_35e-11,
            5.122_297_090_371_14e-8,
            1.485_722_357_179_79e-5,
            6.372_619_288_754_36e-4,
            4.893_524_558_917_86e-3,
        ] {
            p = S::fma(x2, p, S::splat(c));
        }
        p = S::mul(x, p);
        let mut q = S::splat(1.198_258_394_667_02e-6);
        for c in [
            1.185_347_056_866_54e-4,
            2.268_434_632_439_00e-3,
            4.893_525_185_543_85e-3,
        ] {
            q = S::fma(x2, q, S::splat(c));
        }
        S::mul(S::div(p, q), S::splat(amp))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(always)]
    unsafe fn tanh_err<S: Simd>() -> f64 {
        let mut worst = 0.0f64;
        let mut x = -12.0f32;
        while x < 12.0 {
            let xs: [f32; 8] = std::array::from_fn(|i| x + i as f32 * 1e-4);
            let mut out = [0.0f32; 8];
            unsafe {
                let v = scaled_tanh::<S>(S::load(xs.as_ptr()), 1.0, 1.0);
                S::store(out.as_mut_ptr(), v);
            }
            for (a, o) in xs.iter().zip(out) {
                worst = worst.max(((*a as f64).tanh() - o as f64).abs());
                assert!(o.abs() <= 1.0, "tanh({a}) = {o}");
            }
            x += 0.0123;
        }
        worst
    }

    #[test]
    fn fast_tanh_is_accurate() {
        // SAFETY: portable needs nothing; AVX2 only after the CPU check.
        let e = unsafe { tanh_err::<Portable>() };
        assert!(e < 1e-6, "portable tanh error {e:e}");
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn go() -> f64 {
                unsafe { tanh_err::<Avx2>() }
            }
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            let e = unsafe { go() };
            assert!(e < 1e-6, "avx2 tanh error {e:e}");
        }
    }

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
