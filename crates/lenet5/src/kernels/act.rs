//! Activations: the enum a kernel fuses into its output, the paper's squashing function
//! on 8 lanes, and the in-place activation kernel.

use super::simd::{LANES, Simd};

/// Amplitude A of the paper's squashing function f(a) = A·tanh(S·a).
pub const TANH_A: f32 = 1.7159;
/// Slope S of the squashing function.
pub const TANH_S: f32 = 2.0 / 3.0;

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

/// `a` applied to the lanes of `v`.
#[inline(always)]
pub(super) unsafe fn act_v<S: Simd>(a: Act, v: S::V) -> S::V {
    // SAFETY: arithmetic only.
    unsafe {
        match a {
            Act::Identity => v,
            Act::Relu => S::max(v, S::zero()),
            Act::Tanh => scaled_tanh::<S>(v, TANH_A, TANH_S),
        }
    }
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

simd_kernel! {
    /// Applies `act` in place.
    pub fn activate(v: &mut [f32], act: Act) {
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
}

simd_kernel! {
    /// The squashing function's backward from its output: `d[i]` ·= (S/A)·(A² − `y[i]`²),
    /// each product and difference rounded on its own (no fused multiply-add), as the
    /// scalar formula [`crate::nn::act::tanh_deriv_from_output`] computes it.
    pub fn tanh_backward(y: &[f32], d: &mut [f32]) {
        let n = d.len();
        assert!(y.len() >= n);
        let (yp, dp) = (y.as_ptr(), d.as_mut_ptr());
        let (k, a2) = (TANH_S / TANH_A, TANH_A * TANH_A);
        let mut i = 0;
        // SAFETY: full vectors at i + 8 ≤ n, then n − i < 8 scalars; y holds ≥ n.
        unsafe {
            let (kv, a2v) = (S::splat(k), S::splat(a2));
            while i + LANES <= n {
                let yv = S::load(yp.add(i));
                let f = S::mul(kv, S::sub(a2v, S::mul(yv, yv)));
                S::store(dp.add(i), S::mul(S::load(dp.add(i)), f));
                i += LANES;
            }
            for j in i..n {
                let yv = *yp.add(j);
                *dp.add(j) *= k * (a2 - yv * yv);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "x86_64")]
    use crate::kernels::simd::{Avx2, Avx512, Avx512x16, avx2_available, avx512_available};
    use crate::kernels::simd::{Pair, Portable};

    /// The worst error of `S`'s tanh against f64 over [-12, 12], and its bits at every
    /// point (to compare back ends).
    #[inline(always)]
    unsafe fn tanh_err<S: Simd>() -> (f64, Vec<u32>) {
        let mut worst = 0.0f64;
        let mut bits = Vec::new();
        let mut x = -12.0f32;
        while x < 12.0 {
            let xs: [f32; 16] = std::array::from_fn(|i| x + i as f32 * 1e-4);
            let mut out = [0.0f32; 16];
            unsafe {
                let v = scaled_tanh::<S>(S::load(xs.as_ptr()), 1.0, 1.0);
                S::store(out.as_mut_ptr(), v);
            }
            for (a, o) in xs.iter().zip(out).take(S::LANES) {
                worst = worst.max(((*a as f64).tanh() - o as f64).abs());
                assert!(o.abs() <= 1.0, "tanh({a}) = {o}");
                bits.push(o.to_bits());
            }
            x += 0.0123;
        }
        (worst, bits)
    }

    #[test]
    fn tanh_backward_is_the_scalar_formula_bit_for_bit() {
        let y = crate::kernels::testing::rand_vec(1003, 5);
        let d = crate::kernels::testing::rand_vec(1003, 6);
        let want: Vec<f32> = d
            .iter()
            .zip(&y)
            .map(|(g, y)| g * crate::nn::act::tanh_deriv_from_output(*y))
            .collect();
        crate::kernels::testing::every_backend(|name| {
            let mut got = d.clone();
            tanh_backward(&y, &mut got);
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{name} d[{i}]");
            }
        });
    }

    #[test]
    fn fast_tanh_is_accurate() {
        // SAFETY: portable needs nothing; the others only after the CPU check.
        let (e, _) = unsafe { tanh_err::<Portable>() };
        assert!(e < 1e-6, "portable tanh error {e:e}");
        let (e, _) = unsafe { tanh_err::<Pair<Portable>>() };
        assert!(e < 1e-6, "portable wide tanh error {e:e}");
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn go() -> [(f64, Vec<u32>); 2] {
                unsafe { [tanh_err::<Avx2>(), tanh_err::<Pair<Avx2>>()] }
            }
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            let [a8, a16] = unsafe { go() };
            assert!(a8.0 < 1e-6, "avx2 tanh error {:e}", a8.0);
            assert_eq!(a16.0, a8.0);
            if avx512_available() {
                #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
                unsafe fn go512() -> [(f64, Vec<u32>); 2] {
                    unsafe { [tanh_err::<Avx512>(), tanh_err::<Avx512x16>()] }
                }
                // SAFETY: the CPU has AVX-512 F + VL (checked just above).
                let [b8, b16] = unsafe { go512() };
                // Bit for bit what AVX2 computes, on 8 lanes and on 16.
                assert!(b8.1 == a8.1, "avx512 tanh differs from avx2");
                assert!(b16.1 == a16.1, "avx512 16-lane tanh differs from avx2");
            }
        }
    }
}
