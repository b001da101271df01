//! Fully connected layer (C5 seen as 400→120, F6, the modern FCs).

use crate::kernels::fast::{dense_forward, gemm};

/// Forward for a batch: `y = x · wᵀ + b`.
/// `x: [n, din], w: [dout, din], b: [dout] → y: [n, dout]`
pub fn linear_forward(
    n: usize,
    din: usize,
    dout: usize,
    x: &[f32],
    w: &[f32],
    b: &[f32],
    y: &mut [f32],
) {
    // y[s][o] = b[o] + x[s]·w[o]: one dot product per output.
    dense_forward(n, din, dout, x, w, b, y);
}

/// Backward for a batch: accumulates `dw += dyᵀ · x`, `db += Σₙ dy`; overwrites
/// `dx = dy · w` when given.
/// `dy: [n, dout], dw: [dout, din], db: [dout], dx: [n, din]`
#[allow(clippy::too_many_arguments)]
pub fn linear_backward(
    n: usize,
    din: usize,
    dout: usize,
    x: &[f32],
    w: &[f32],
    dy: &[f32],
    dw: &mut [f32],
    db: &mut [f32],
    dx: Option<&mut [f32]>,
) {
    for row in dy[..n * dout].chunks_exact(dout) {
        for (g, d) in db.iter_mut().zip(row) {
            *g += d;
        }
    }
    // dw[o][i] += Σ_s dy[s][o] · x[s][i]   (A = dyᵀ through its strides)
    gemm(dout, n, din, dy, 1, dout, x, din, dw, din, true);
    if let Some(dx) = dx {
        // dx[s][i] = Σ_o dy[s][o] · w[o][i]
        gemm(n, dout, din, dy, dout, 1, w, din, dx, din, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nn::gradcheck::{check_grad, rand_vec};

    #[test]
    fn known_answer() {
        // y = [1,2]·[[1,0],[0,1],[1,1]]ᵀ + [0,0,1] = [1,2,4]
        let mut y = [0.0; 3];
        linear_forward(
            1,
            2,
            3,
            &[1.0, 2.0],
            &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
            &[0.0, 0.0, 1.0],
            &mut y,
        );
        assert_eq!(y, [1.0, 2.0, 4.0]);
    }

    #[test]
    fn gradients() {
        let (n, din, dout) = (3, 5, 4);
        let x = rand_vec(n * din, 1);
        let w = rand_vec(dout * din, 2);
        let b = rand_vec(dout, 3);
        let r = rand_vec(n * dout, 4);
        let loss = |x: &[f32], w: &[f32], b: &[f32]| {
            let mut y = vec![0.0; n * dout];
            linear_forward(n, din, dout, x, w, b, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; dout], vec![0.0; x.len()]);
        linear_backward(n, din, dout, &x, &w, &r, &mut dw, &mut db, Some(&mut dx));
        check_grad("linear dx", &x, &dx, |v| loss(v, &w, &b));
        check_grad("linear dw", &w, &dw, |v| loss(&x, v, &b));
        check_grad("linear db", &b, &db, |v| loss(&x, &w, v));
    }
}
