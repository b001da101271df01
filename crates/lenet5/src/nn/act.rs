//! Activations, applied in place. Their backward passes use the *output* y, so the
//! pre-activation never needs to be stored.

use crate::kernels::act::{Act, activate};
pub use crate::kernels::act::{TANH_A, TANH_S};

/// y = A·tanh(S·a), in place (a rational approximation of tanh, within a few ulp:
/// see [`crate::kernels::act::scaled_tanh`]).
pub fn tanh_forward(a: &mut [f32]) {
    activate(a, Act::Tanh);
}

/// f'(a) from y = f(a): A·S·(1 − tanh²) = (S/A)·(A² − y²).
#[inline]
pub fn tanh_deriv_from_output(y: f32) -> f32 {
    (TANH_S / TANH_A) * (TANH_A * TANH_A - y * y)
}

/// d ← d · f'(a), with y = f(a) (vectorised: [`crate::kernels::act::tanh_backward`], the
/// same roundings as [`tanh_deriv_from_output`]).
pub fn tanh_backward(y: &[f32], d: &mut [f32]) {
    crate::kernels::act::tanh_backward(y, d);
}

/// d ← d · f'(a)², with y = f(a): the curvature (Gauss-Newton diagonal) through the
/// squashing function.
pub fn tanh_curvature_backward(y: &[f32], d: &mut [f32]) {
    for (g, &y) in d.iter_mut().zip(y) {
        let f = tanh_deriv_from_output(y);
        *g *= f * f;
    }
}

/// ReLU in place.
pub fn relu_forward(a: &mut [f32]) {
    activate(a, Act::Relu);
}

/// `d ← d · [y > 0]`.
pub fn relu_backward(y: &[f32], d: &mut [f32]) {
    for (g, &y) in d.iter_mut().zip(y) {
        if y <= 0.0 {
            *g = 0.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    #[test]
    fn tanh_known_values() {
        let mut v = [0.0, 1.0, -1.0, 100.0];
        tanh_forward(&mut v);
        assert_eq!(v[0], 0.0);
        // The paper chose A, S so that f(±1) = ±1.
        assert!((v[1] - 1.0).abs() < 1e-3 && (v[2] + 1.0).abs() < 1e-3);
        assert!((v[3] - TANH_A).abs() < 1e-6);
    }

    #[test]
    fn curvature_is_the_squared_derivative() {
        let y = rand_vec(9, 3);
        let (mut d, mut c) = (vec![2.0; 9], vec![2.0; 9]);
        tanh_backward(&y, &mut d);
        tanh_curvature_backward(&y, &mut c);
        for ((d, c), y) in d.iter().zip(&c).zip(&y) {
            let f = tanh_deriv_from_output(*y);
            assert_eq!((*d, *c), (2.0 * f, 2.0 * (f * f)));
        }
    }

    #[test]
    fn gradients() {
        let a: Vec<f32> = rand_vec(20, 1).iter().map(|v| v * 2.0).collect();
        let r = rand_vec(20, 2);
        let loss_t = |a: &[f32]| {
            let mut y = a.to_vec();
            tanh_forward(&mut y);
            y.iter().zip(&r).map(|(p, q)| (*p * *q) as f64).sum::<f64>()
        };
        let mut y = a.clone();
        tanh_forward(&mut y);
        let mut d = r.clone();
        tanh_backward(&y, &mut d);
        check_grad("tanh", &a, &d, loss_t);

        // Keep ReLU inputs away from the kink so the finite difference is exact.
        let a: Vec<f32> = a
            .iter()
            .map(|v| if v.abs() < 0.05 { 0.5 } else { *v })
            .collect();
        let loss_r = |a: &[f32]| {
            let mut y = a.to_vec();
            relu_forward(&mut y);
            y.iter().zip(&r).map(|(p, q)| (*p * *q) as f64).sum::<f64>()
        };
        let mut y = a.clone();
        relu_forward(&mut y);
        let mut d = r.clone();
        relu_backward(&y, &mut d);
        check_grad("relu", &a, &d, loss_r);
    }
}
