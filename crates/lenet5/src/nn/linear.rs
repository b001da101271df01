//! Fully connected layer (C5 seen as 400→120, F6, the modern FCs).

use super::Params;
use crate::kernels::dense;

/// A fully connected layer's shape: `inputs` → `outputs`, weights `[outputs, inputs]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dense {
    pub inputs: usize,
    pub outputs: usize,
}

impl Dense {
    /// `inputs` → `outputs`.
    pub const fn new(inputs: usize, outputs: usize) -> Dense {
        Dense { inputs, outputs }
    }
    /// Elements of the weight tensor.
    pub const fn weight_len(&self) -> usize {
        self.inputs * self.outputs
    }
    /// The weight tensor's shape `[outputs, inputs]`.
    pub const fn weight_shape(&self) -> [usize; 2] {
        [self.outputs, self.inputs]
    }

    /// Forward for `n` images: `y = x · wᵀ + b`, one dot product per output.
    /// `x: [n, inputs] → y: [n, outputs]`
    pub fn forward(&self, n: usize, x: &[f32], p: Params<&[f32]>, y: &mut [f32]) {
        dense::forward(n, self.inputs, self.outputs, x, p.weight, p.bias, y);
    }

    /// Backward for `n` images: accumulates `g.weight += dyᵀ · x`, `g.bias += Σₙ dy`;
    /// overwrites `dx = dy · w` when given.
    /// `x: [n, inputs], w: [outputs, inputs], dy: [n, outputs] → dx: [n, inputs]`
    pub fn backward(
        &self,
        n: usize,
        x: &[f32],
        w: &[f32],
        dy: &[f32],
        g: Params<&mut [f32]>,
        dx: Option<&mut [f32]>,
    ) {
        let (din, dout) = (self.inputs, self.outputs);
        for row in dy[..n * dout].chunks_exact(dout) {
            for (gb, d) in g.bias.iter_mut().zip(row) {
                *gb += d;
            }
        }
        // dw[o][i] += Σ_s dy[s][o] · x[s][i]   (A = dyᵀ through its strides)
        dense::gemm(dout, n, din, dy, 1, dout, x, din, g.weight, din, true);
        if let Some(dx) = dx {
            // dx[s][i] = Σ_o dy[s][o] · w[o][i]
            dense::gemm(n, dout, din, dy, dout, 1, w, din, dx, din, false);
        }
    }
}

impl Dense {
    /// The paper's per-pattern SDLM through this layer, one image, in one sweep over its
    /// weights ([`dense::sdlm_backward`]): `dx = dy · w` with w before the update, then
    /// `w −= step.weight ⊙ (dyᵀ · x)` and `b −= step.bias ⊙ dy`. Bit-identical to
    /// [`Dense::backward`] into a zeroed gradient followed by the SDLM update.
    /// `x: [inputs], dy: [outputs] → dx: [inputs]`
    pub fn sdlm_backward(
        &self,
        x: &[f32],
        dy: &[f32],
        p: Params<&mut [f32]>,
        step: Params<&[f32]>,
        dx: &mut [f32],
    ) {
        dense::sdlm_backward(
            self.inputs,
            self.outputs,
            x,
            dy,
            p.weight,
            p.bias,
            step.weight,
            step.bias,
            dx,
        );
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
        let p = Params {
            weight: &[1.0, 0.0, 0.0, 1.0, 1.0, 1.0][..],
            bias: &[0.0, 0.0, 1.0][..],
        };
        Dense::new(2, 3).forward(1, &[1.0, 2.0], p, &mut y);
        assert_eq!(y, [1.0, 2.0, 4.0]);
    }

    #[test]
    fn gradients() {
        let (n, layer) = (3, Dense::new(5, 4));
        let x = rand_vec(n * layer.inputs, 1);
        let w = rand_vec(layer.weight_len(), 2);
        let b = rand_vec(layer.outputs, 3);
        let r = rand_vec(n * layer.outputs, 4);
        let loss = |x: &[f32], w: &[f32], b: &[f32]| {
            let mut y = vec![0.0; n * layer.outputs];
            let p = Params { weight: w, bias: b };
            layer.forward(n, x, p, &mut y);
            y.iter().zip(&r).map(|(a, b)| (*a * *b) as f64).sum::<f64>()
        };
        let (mut dw, mut db, mut dx) = (vec![0.0; w.len()], vec![0.0; b.len()], vec![0.0; x.len()]);
        let g = Params {
            weight: &mut dw[..],
            bias: &mut db[..],
        };
        layer.backward(n, &x, &w, &r, g, Some(&mut dx));
        check_grad("linear dx", &x, &dx, |v| loss(v, &w, &b));
        check_grad("linear dw", &w, &dw, |v| loss(&x, v, &b));
        check_grad("linear db", &b, &db, |v| loss(&x, &w, v));
    }
}
