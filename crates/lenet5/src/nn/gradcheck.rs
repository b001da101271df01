//! Finite-difference gradient checks, shared by every layer's tests and usable by
//! students: perturb each input by ±h, compare (L(x+h) − L(x−h)) / 2h with the
//! analytic gradient.

/// Deterministic values in [-1, 1): the layers' test data.
pub use crate::rng::uniform_vec as rand_vec;

/// The largest relative error between `analytic` and the central difference of
/// `loss` (evaluated in f64) at every coordinate of `x`.
pub fn max_rel_error(x: &[f32], analytic: &[f32], mut loss: impl FnMut(&[f32]) -> f64) -> f64 {
    assert_eq!(x.len(), analytic.len());
    let h = 1e-2f32;
    let mut v = x.to_vec();
    let mut worst = 0.0f64;
    for i in 0..x.len() {
        let orig = v[i];
        v[i] = orig + h;
        let lp = loss(&v);
        v[i] = orig - h;
        let lm = loss(&v);
        v[i] = orig;
        let num = (lp - lm) / (2.0 * h as f64);
        let ana = analytic[i] as f64;
        let err = (num - ana).abs() / (num.abs() + ana.abs()).max(1e-2);
        worst = worst.max(err);
    }
    worst
}

/// Panics with the layer name when the gradient check fails (relative error > 1e-2;
/// a wrong index or a missing term gives errors of order 1).
pub fn check_grad(what: &str, x: &[f32], analytic: &[f32], loss: impl FnMut(&[f32]) -> f64) {
    let e = max_rel_error(x, analytic, loss);
    assert!(
        e < 1e-2,
        "{what}: gradient check failed, max relative error {e:.3e}"
    );
}
