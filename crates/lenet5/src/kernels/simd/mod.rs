//! `f32` vectors behind one small trait, with three back ends (one file each):
//!
//! - [`Avx512`]: AVX-512 (F + VL) intrinsics (x86-64 only), chosen at run time when the
//!   CPU has them (`is_x86_feature_detected!`): 8-lane vectors with AVX-512's masked
//!   loads and stores, and 16-lane [`Backend::Wide`] vectors in one 512-bit register;
//! - [`Avx2`]: AVX2 + FMA intrinsics (x86-64 only), chosen when the CPU has both but
//!   not AVX-512; its wide vectors are pairs of 8-lane ones ([`Pair`]);
//! - [`Portable`]: `[f32; 8]` with plain Rust arithmetic (LLVM turns it into SSE2 on
//!   x86-64, NEON on aarch64, scalar code elsewhere). Its "fma" is a multiply then an
//!   add, rounded twice, so its results differ from the others in the last bits.
//!
//! Kernels are written once, generic over [`Backend`], and instantiated for each back end
//! by `simd_kernel!` (in `kernels/mod.rs`): a `#[target_feature(enable = "avx512f,…")]`
//! copy, a `#[target_feature(enable = "avx2,fma")]` copy and a portable copy.
//!
//! **Same numbers on AVX2 and AVX-512.** A lane is always a different output element:
//! a 16-lane vector does, lane for lane, what the pair of 8-lane vectors does on AVX2
//! (both fuse their multiply-adds, both round every operation once, IEEE), and kernels
//! that reduce across lanes ([`Simd::hsum`]) do it on 8-lane halves in one fixed order.
//! So every kernel's output, and therefore trained weights, are bit-identical on the two.
//!
//! `LENET5_SIMD=avx512|avx2|portable` (read once) forces a back end; one the CPU does not
//! have is refused with a message on stderr, and the best one it has is used instead.

use std::cell::Cell;
use std::sync::atomic::{AtomicU8, Ordering};

/// [`Simd::evens`] and [`Simd::odds`] of two `__m256` by shuffles, for the two back ends
/// whose 8-lane vectors are `__m256` (AVX2 and AVX-512); invoked inside their impls, so
/// the intrinsics are inlined with the impl's target features.
#[cfg(target_arch = "x86_64")]
macro_rules! m256_evens_odds {
    () => {
        #[inline(always)]
        unsafe fn evens(a: __m256, b: __m256) -> __m256 {
            unsafe {
                // Per 128-bit half (a0 a2 b0 b2 | a4 a6 b4 b6), put in order by 64-bit
                // lanes (0 2 1 3).
                let e = _mm256_castps_pd(_mm256_shuffle_ps::<0b10_00_10_00>(a, b));
                _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(e))
            }
        }
        #[inline(always)]
        unsafe fn odds(a: __m256, b: __m256) -> __m256 {
            unsafe {
                let o = _mm256_castps_pd(_mm256_shuffle_ps::<0b11_01_11_01>(a, b));
                _mm256_castpd_ps(_mm256_permute4x64_pd::<0b11_01_10_00>(o))
            }
        }
    };
}

mod portable;
pub use portable::{Pair, Portable};
#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
pub use avx2::Avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
pub use avx512::{Avx512, Avx512x16};

/// Lanes of a [`Simd::V`] vector of every [`Backend`] (its [`Backend::Wide`] vectors have
/// twice as many).
pub const LANES: usize = 8;

/// A vector back end: `LANES`-lane `f32` vectors and their operations. Every function is
/// `unsafe`: pointers must be valid for the lanes read or written (stated at each call
/// site), and the x86-64 back ends' functions may only run on a CPU with their
/// instructions.
#[allow(clippy::missing_safety_doc)] // the contract is stated once, above
pub trait Simd: Copy + 'static {
    /// The vector type.
    type V: Copy;
    /// Back-end name, for reports.
    const NAME: &'static str;
    /// Lanes of [`Self::V`].
    const LANES: usize;
    /// All lanes 0.
    unsafe fn zero() -> Self::V;
    /// All lanes `x`.
    unsafe fn splat(x: f32) -> Self::V;
    /// Loads `LANES` floats from `p` (any alignment).
    unsafe fn load(p: *const f32) -> Self::V;
    /// Stores `LANES` floats to `p` (any alignment).
    unsafe fn store(p: *mut f32, v: Self::V);
    /// Loads the first `n` (< `LANES`) floats from `p`; the other lanes are 0.
    unsafe fn load_part(p: *const f32, n: usize) -> Self::V;
    /// Stores the first `n` (< `LANES`) lanes of `v` to `p`.
    unsafe fn store_part(p: *mut f32, v: Self::V, n: usize);
    /// `a · b + c` (fused on AVX2 and AVX-512).
    unsafe fn fma(a: Self::V, b: Self::V, c: Self::V) -> Self::V;
    unsafe fn add(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn sub(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn mul(a: Self::V, b: Self::V) -> Self::V;
    unsafe fn div(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `if a > b { a } else { b }`.
    unsafe fn max(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `if a < b { a } else { b }`.
    unsafe fn min(a: Self::V, b: Self::V) -> Self::V;
    /// Lane-wise `if a > b { x } else { y }`.
    unsafe fn select_gt(a: Self::V, b: Self::V, x: Self::V, y: Self::V) -> Self::V;
    /// Sum of the lanes, always in the same order: for 8 lanes
    /// ((0+4)+(2+6)) + ((1+5)+(3+7)); for 16, (that of lanes 0..8) + (that of lanes 8..16).
    unsafe fn hsum(v: Self::V) -> f32;
    /// The even lanes of a row: lane i of the result is `x[2i]`, x the lanes of `a`
    /// followed by those of `b`. This default goes through memory; the AVX2 and 8-lane
    /// AVX-512 back ends shuffle.
    unsafe fn evens(a: Self::V, b: Self::V) -> Self::V {
        // SAFETY: (caller) Self's instructions exist.
        unsafe { pick::<Self>(a, b, 0) }
    }
    /// The odd lanes of a row: lane i of the result is `x[2i + 1]` (see [`Simd::evens`]).
    unsafe fn odds(a: Self::V, b: Self::V) -> Self::V {
        // SAFETY: (caller) Self's instructions exist.
        unsafe { pick::<Self>(a, b, 1) }
    }
    /// 2-to-1 max-pooling along a row: lane i of the result is `max(x[2i], x[2i+1])` as
    /// [`Simd::max`] takes it (`if x[2i] > x[2i+1] { x[2i] } else { x[2i+1] }`), x the
    /// lanes of `a` followed by those of `b`: the max of [`Simd::evens`] and [`Simd::odds`].
    unsafe fn pair_max(a: Self::V, b: Self::V) -> Self::V {
        // SAFETY: (caller) Self's instructions exist.
        unsafe { Self::max(Self::evens(a, b), Self::odds(a, b)) }
    }
}

/// Lane i of the result is `x[2i + first]`, x the lanes of `a` then `b`, through memory
/// (the defaults of [`Simd::evens`] and [`Simd::odds`]).
///
/// # Safety
/// `S`'s instructions must exist on this CPU.
unsafe fn pick<S: Simd>(a: S::V, b: S::V, first: usize) -> S::V {
    // SAFETY: t holds 2·LANES ≤ 32 floats, r LANES ≤ 16.
    unsafe {
        let (mut t, mut r) = ([0.0f32; 32], [0.0f32; 16]);
        let l = S::LANES;
        S::store(t.as_mut_ptr(), a);
        S::store(t.as_mut_ptr().add(l), b);
        for (i, v) in r[..l].iter_mut().enumerate() {
            *v = t[2 * i + first];
        }
        S::load(r.as_ptr())
    }
}

/// A back end the kernels are instantiated for: 8-lane vectors ([`Simd`]) and 16-lane
/// ones ([`Backend::Wide`]) whose lanes 0..8 and 8..16 are two 8-lane vectors.
#[allow(clippy::missing_safety_doc)] // as for Simd
pub trait Backend: Simd {
    /// 16-lane vectors: one 512-bit register on AVX-512, a [`Pair`] of 8-lane vectors
    /// elsewhere. Lane for lane the same arithmetic as [`Simd::V`].
    type Wide: Simd;
    /// Whether a wide vector is one register (AVX-512), so that kernels may keep as many
    /// of them in registers as they keep 8-lane vectors elsewhere.
    const WIDE_NATIVE: bool;
    /// The wide vector with `lo` in lanes 0..8 and `hi` in lanes 8..16.
    unsafe fn join(lo: Self::V, hi: Self::V) -> <Self::Wide as Simd>::V;
    /// Lanes 0..8 and 8..16 of `w`.
    unsafe fn halves(w: <Self::Wide as Simd>::V) -> (Self::V, Self::V);
    /// The 8 floats at `p` in both halves of a wide vector.
    unsafe fn load_both(p: *const f32) -> <Self::Wide as Simd>::V {
        // SAFETY: (caller) p[0..8] readable, Self's instructions exist.
        unsafe {
            let v = Self::load(p);
            Self::join(v, v)
        }
    }
}

/// The back ends, fastest last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// [`Portable`].
    Portable = 1,
    /// [`Avx2`].
    Avx2 = 2,
    /// [`Avx512`].
    Avx512 = 3,
}

impl Kind {
    /// Every back end, slowest first.
    pub const ALL: [Kind; 3] = [Kind::Portable, Kind::Avx2, Kind::Avx512];

    /// The name `LENET5_SIMD` takes.
    pub fn env_name(self) -> &'static str {
        match self {
            Kind::Portable => "portable",
            Kind::Avx2 => "avx2",
            Kind::Avx512 => "avx512",
        }
    }

    /// The back end's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Portable => Portable::NAME,
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => Avx2::NAME,
            #[cfg(target_arch = "x86_64")]
            Kind::Avx512 => Avx512::NAME,
            #[cfg(not(target_arch = "x86_64"))]
            Kind::Avx2 => "avx2+fma",
            #[cfg(not(target_arch = "x86_64"))]
            Kind::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the back end.
    pub fn available(self) -> bool {
        match self {
            Kind::Portable => true,
            Kind::Avx2 => avx2_available(),
            Kind::Avx512 => avx512_available(),
        }
    }

    /// The back ends this CPU can run, slowest first.
    pub fn available_all() -> Vec<Kind> {
        Kind::ALL.into_iter().filter(|k| k.available()).collect()
    }

    /// The fastest back end this CPU can run.
    pub fn best() -> Kind {
        if avx512_available() {
            Kind::Avx512
        } else if avx2_available() {
            Kind::Avx2
        } else {
            Kind::Portable
        }
    }

    fn from_u8(v: u8) -> Option<Kind> {
        match v {
            1 => Some(Kind::Portable),
            2 => Some(Kind::Avx2),
            3 => Some(Kind::Avx512),
            _ => None,
        }
    }
}

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

/// Whether this CPU has AVX-512 F and VL (and AVX2 and FMA, which every such CPU has).
pub fn avx512_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx512f")
            && is_x86_feature_detected!("avx512vl")
            && avx2_available()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The back end `LENET5_SIMD` asks for (`value`), on a CPU that has the back ends
/// `available`: `Ok` when it can be honoured (unset or empty: the best), else `Err` with
/// the message to print and the back end to use instead.
pub fn choose(value: Option<&str>, available: &[Kind]) -> Result<Kind, (String, Kind)> {
    let best = available.iter().copied().max().unwrap_or(Kind::Portable);
    let v = match value.map(str::trim) {
        None | Some("") => return Ok(best),
        Some(v) => v,
    };
    match Kind::ALL.into_iter().find(|k| k.env_name() == v) {
        Some(k) if available.contains(&k) => Ok(k),
        Some(k) => Err((
            format!(
                "LENET5_SIMD={v}: this CPU cannot run the {} back end; using {}",
                k.name(),
                best.name()
            ),
            best,
        )),
        None => Err((
            format!(
                "LENET5_SIMD={v}: unknown back end (expected avx512, avx2 or portable); using {}",
                best.name()
            ),
            best,
        )),
    }
}

static BACKEND: AtomicU8 = AtomicU8::new(0);

thread_local! {
    static FORCED: Cell<Option<Kind>> = const { Cell::new(None) };
}

/// The process-wide back end: the best the CPU has, or the one `LENET5_SIMD` asks for
/// (read once; a request the CPU cannot honour is reported on stderr, once).
fn global() -> Kind {
    if let Some(k) = Kind::from_u8(BACKEND.load(Ordering::Relaxed)) {
        return k;
    }
    let env = std::env::var("LENET5_SIMD").ok();
    let k = match choose(env.as_deref(), &Kind::available_all()) {
        Ok(k) => k,
        Err((msg, k)) => {
            // Several threads may get here at once: only the first one reports.
            if BACKEND
                .compare_exchange(0, k as u8, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
            {
                eprintln!("warning: {msg}");
            }
            k
        }
    };
    BACKEND.store(k as u8, Ordering::Relaxed);
    k
}

/// The back end the kernels run on this thread: the one [`with_backend`] forces, else
/// the process-wide one.
#[inline]
pub fn backend() -> Kind {
    match FORCED.with(|c| c.get()) {
        Some(k) => k,
        None => global(),
    }
}

/// The back end [`with_backend`] forces on this thread, if any (the worker threads of
/// [`crate::parallel::with_threads`] take it over).
pub fn forced() -> Option<Kind> {
    FORCED.with(|c| c.get())
}

/// Forces `kind` (or, with `None`, lifts the forcing) on this thread for the rest of its
/// life. A back end this CPU does not have is refused (`false`).
pub fn set_forced(kind: Option<Kind>) -> bool {
    if kind.is_some_and(|k| !k.available()) {
        return false;
    }
    FORCED.with(|c| c.set(kind));
    true
}

/// Runs `f` with the back end `kind` on this thread (and on the workers of
/// [`crate::parallel::with_threads`] it starts): tests and benchmarks compare the back
/// ends with it. `None` when this CPU does not have `kind` (`f` is not run).
pub fn with_backend<R>(kind: Kind, f: impl FnOnce() -> R) -> Option<R> {
    if !kind.available() {
        return None;
    }
    let old = FORCED.with(|c| c.replace(Some(kind)));
    let r = f();
    FORCED.with(|c| c.set(old));
    Some(r)
}

/// Runs `f` with the portable back end forced (`portable = true`) or without any
/// forcing (`false`), on this thread.
pub fn with_portable<R>(portable: bool, f: impl FnOnce() -> R) -> R {
    let old = FORCED.with(|c| c.replace(portable.then_some(Kind::Portable)));
    let r = f();
    FORCED.with(|c| c.set(old));
    r
}

/// Name of the back end the kernels use on this thread.
pub fn backend_name() -> &'static str {
    backend().name()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What one back end's operations give on 16 lanes of exact values (`S::LANES` of them
    /// used): fma/select, hsum, a partial load and store for every n, max with a NaN,
    /// pair_max (with a NaN and ties of ±0), evens and odds.
    type Ops = (
        Vec<u32>,
        u32,
        Vec<Vec<u32>>,
        Vec<u32>,
        Vec<u32>,
        Vec<u32>,
        Vec<u32>,
    );

    #[inline(always)]
    unsafe fn ops<S: Simd>() -> Ops {
        let l = S::LANES;
        let a: [f32; 16] = std::array::from_fn(|i| i as f32 - 3.5);
        let mut b: [f32; 16] = std::array::from_fn(|i| 1.0 - i as f32 * 0.25);
        b[3] = f32::NAN;
        // Pairs of b: (NaN, b2) at 2..4, a ±0 tie and a +0/−0 tie further on.
        (b[4], b[5], b[10], b[11]) = (0.0, -0.0, -0.0, 0.0);
        let bits = |v: &[f32]| v[..l].iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        unsafe {
            let (va, vb) = (S::load(a.as_ptr()), S::load(b.as_ptr()));
            let mut o = [0.0; 16];
            S::store(o.as_mut_ptr(), S::fma(va, va, S::select_gt(va, vb, va, vb)));
            let mut parts = Vec::new();
            for n in 0..l {
                let mut part = [9.0f32; 16];
                S::store_part(
                    part.as_mut_ptr(),
                    S::load_part(a.as_ptr(), n),
                    (n + 2).min(l - 1),
                );
                parts.push(bits(&part));
            }
            let mut mx = [0.0; 16];
            S::store(mx.as_mut_ptr(), S::max(va, vb));
            let mut pm = [0.0; 16];
            S::store(pm.as_mut_ptr(), S::pair_max(va, vb));
            let (mut ev, mut od) = ([0.0; 16], [0.0; 16]);
            S::store(ev.as_mut_ptr(), S::evens(va, vb));
            S::store(od.as_mut_ptr(), S::odds(va, vb));
            (
                bits(&o),
                S::hsum(va).to_bits(),
                parts,
                bits(&mx),
                bits(&pm),
                bits(&ev),
                bits(&od),
            )
        }
    }

    #[inline(always)]
    unsafe fn ops_all<B: Backend>() -> (Ops, Ops, [u32; 16]) {
        unsafe {
            let x: [f32; 16] = std::array::from_fn(|i| i as f32);
            let (lo, hi) = (B::load(x.as_ptr()), B::load(x.as_ptr().add(8)));
            let (l2, h2) = B::halves(B::join(lo, hi));
            let mut back = [0.0f32; 16];
            B::store(back.as_mut_ptr(), l2);
            B::store(back.as_mut_ptr().add(8), h2);
            (ops::<B>(), ops::<B::Wide>(), back.map(f32::to_bits))
        }
    }

    #[test]
    fn backends_agree() {
        // SAFETY: portable needs nothing.
        let p = unsafe { ops_all::<Portable>() };
        let x: [f32; 16] = std::array::from_fn(|i| i as f32);
        assert_eq!(p.2, x.map(f32::to_bits));
        assert_eq!(f32::from_bits(p.0.1), 0.0);
        assert_eq!(f32::from_bits(p.1.1), 64.0);
        let want: Vec<f32> = vec![-3.5, -2.5, -1.5, 0.0, 0.0, 9.0, 9.0, 9.0];
        assert_eq!(
            p.0.2[3],
            want.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
        // The wide vector is lane for lane the 8-lane one.
        assert_eq!(p.1.0[..8], p.0.0[..]);
        assert_eq!(p.1.3[..8], p.0.3[..]);
        assert!(f32::from_bits(p.0.3[3]).is_nan(), "max(a, NaN) = NaN");
        // pair_max: the 8-lane one against the definition on a's and b's first 8 lanes.
        let a: [f32; 8] = std::array::from_fn(|i| i as f32 - 3.5);
        let mut b: [f32; 8] = std::array::from_fn(|i| 1.0 - i as f32 * 0.25);
        (b[3], b[4], b[5]) = (f32::NAN, 0.0, -0.0);
        let x: Vec<f32> = a.iter().chain(&b).copied().collect();
        let want: Vec<u32> = (0..8)
            .map(|i| {
                let (u, v) = (x[2 * i], x[2 * i + 1]);
                (if u > v { u } else { v }).to_bits()
            })
            .collect();
        assert_eq!(p.0.4, want);
        // evens and odds: the same row's lanes 2i and 2i + 1, NaN and −0 as they are.
        let pick = |first: usize| {
            (0..8)
                .map(|i| x[2 * i + first].to_bits())
                .collect::<Vec<_>>()
        };
        assert_eq!((p.0.5.clone(), p.0.6.clone()), (pick(0), pick(1)));
        assert_eq!(f32::from_bits(p.0.4[6]).to_bits(), (-0.0f32).to_bits());
        // The wide one pools 16 + 16 lanes: its lanes 0..4 are a's, as the 8-lane one's.
        assert_eq!(p.1.4[..4], p.0.4[..4]);
        #[cfg(target_arch = "x86_64")]
        if avx2_available() {
            #[target_feature(enable = "avx2,fma")]
            unsafe fn go() -> (Ops, Ops, [u32; 16]) {
                unsafe { ops_all::<Avx2>() }
            }
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            let a = unsafe { go() };
            assert_eq!(p, a);
        }
        #[cfg(target_arch = "x86_64")]
        if avx512_available() {
            #[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
            unsafe fn go() -> (Ops, Ops, [u32; 16]) {
                unsafe { ops_all::<Avx512>() }
            }
            // SAFETY: the CPU has AVX-512 F + VL (checked just above).
            let a = unsafe { go() };
            assert_eq!(p, a);
        }
    }

    #[test]
    fn lenet5_simd_is_honoured_or_refused_with_a_message() {
        use Kind::*;
        let all = [Portable, Avx2, Avx512];
        assert_eq!(choose(None, &all), Ok(Avx512));
        assert_eq!(choose(Some(""), &all[..2]), Ok(Avx2));
        assert_eq!(choose(Some("avx2"), &all), Ok(Avx2));
        assert_eq!(choose(Some("portable"), &all), Ok(Portable));
        assert_eq!(choose(Some("avx512"), &all), Ok(Avx512));
        let (msg, k) = choose(Some("avx512"), &all[..2]).unwrap_err();
        assert_eq!(k, Avx2);
        assert!(
            msg.contains("cannot run the avx512 back end; using avx2+fma"),
            "{msg}"
        );
        let (msg, k) = choose(Some("avx2"), &all[..1]).unwrap_err();
        assert_eq!(k, Portable);
        assert!(msg.contains("using portable"), "{msg}");
        let (msg, k) = choose(Some("sse9"), &all).unwrap_err();
        assert_eq!(k, Avx512);
        assert!(msg.contains("unknown back end"), "{msg}");
        // Forcing what the CPU lacks is refused, never run.
        for k in Kind::ALL {
            assert_eq!(with_backend(k, backend).is_some(), k.available());
            if let Some(b) = with_backend(k, backend) {
                assert_eq!(b, k);
            }
        }
    }
}
