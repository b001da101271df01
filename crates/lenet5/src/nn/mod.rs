//! Layers. Each file holds one kind of layer: its shape (what the model declares, from
//! which every length is derived), its forward and backward passes side by side, on plain
//! contiguous `f32` buffers whose shapes are written in the comments, for `n` images at a
//! time. The hot loops are the [`crate::kernels`]; the layers know the shapes, never the
//! model.
//!
//! | file | layer | used as |
//! |---|---|---|
//! | [`conv`] | 5x5 convolution | C1, C3 (C5 is a full connection here); modern conv1, conv2 |
//! | [`pool`] | 2x2 trainable subsampling, max-pooling | S2, S4; modern pool1, pool2 |
//! | [`linear`] | fully connected | C5, F6; modern fc1-fc3 |
//! | [`rbf`] | Euclidean RBF units with the fixed 7x12 bitmaps | the classic output |
//! | [`act`] | the scaled tanh, ReLU | every layer's squashing |
//! | [`loss`] | the MAP criterion (eq. 9), softmax cross-entropy | classic, modern |
//!
//! The classic network's SDLM needs the diagonal Gauss-Newton curvature: the same
//! backward passes with squared factors, the `*_curvature` functions.

pub mod act;
pub mod conv;
pub mod gradcheck;
pub mod linear;
pub mod loss;
pub mod pool;
pub mod rbf;

/// A layer's trainable tensors (`S = &[f32]`), their gradients or their step sizes
/// (`S = &mut [f32]`): the weights and the biases, each a slice of the network's flat
/// parameter vector.
#[derive(Clone, Copy, Debug)]
pub struct Params<S> {
    pub weight: S,
    pub bias: S,
}

impl Params<&mut [f32]> {
    /// The same tensors, borrowed again (to pass them on and use them afterwards).
    pub fn reborrow(&mut self) -> Params<&mut [f32]> {
        Params {
            weight: self.weight,
            bias: self.bias,
        }
    }
    /// The same tensors, read-only.
    pub fn as_ref(&self) -> Params<&[f32]> {
        Params {
            weight: self.weight,
            bias: self.bias,
        }
    }
}

impl<'a> Params<&'a [f32]> {
    /// Cut from `flat` at the start: `weight_len` weights, then `bias_len` biases; returns
    /// the tensors and the rest.
    pub fn cut(flat: &'a [f32], weight_len: usize, bias_len: usize) -> (Self, &'a [f32]) {
        let (weight, rest) = flat.split_at(weight_len);
        let (bias, rest) = rest.split_at(bias_len);
        (Params { weight, bias }, rest)
    }
}

impl<'a> Params<&'a mut [f32]> {
    /// [`Params::cut`], mutable.
    pub fn cut_mut(
        flat: &'a mut [f32],
        weight_len: usize,
        bias_len: usize,
    ) -> (Self, &'a mut [f32]) {
        let (weight, rest) = flat.split_at_mut(weight_len);
        let (bias, rest) = rest.split_at_mut(bias_len);
        (Params { weight, bias }, rest)
    }
}
