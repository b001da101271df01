//! The "modern" LeNet-5 of the seed exercise: ReLU, max-pooling, softmax. The same
//! shapes as the paper's network, so the workspace names its outputs after the paper's
//! layers (`c1` holds conv1's output, `s2` pool1's, and so on). One image (shapes per
//! image):
//! ```text
//! input 28x28  (pixels/255, then (x − 0.1307)/0.3081)
//! conv1 6@5x5, pad 2  → 6@28x28  → ReLU → max-pool → 6@14x14
//! conv2 16@5x5        → 16@10x10 → ReLU → max-pool → 16@5x5 = 400
//! fc1 400→120 → ReLU;  fc2 120→84 → ReLU;  fc3 84→10 = logits  (predict: largest)
//! ```

use super::params::Layout;
use super::{Maps, Workspace};
use crate::kernels::Act;
use crate::nn::Params;
use crate::nn::act::{relu_backward, relu_forward};
use crate::nn::conv::{
    C3TapMajor, Conv, c1_forward, c1_pool_relu_backward, c1_relu_pool_forward, c3_backward,
    c3_forward, c3_relu_pool_forward,
};
use crate::nn::linear::Dense;
use crate::nn::pool::Pool2x2;
use crate::rng::Rng;

// ---------------------------------------------------------------------------------
// The layers. Every length below is derived from these.

/// The input side: MNIST's 28x28.
pub const INPUT_SIDE: usize = 28;
/// conv1: 1 → 6 maps, 5x5, 28x28 → 28x28 ('same' padding).
pub const CONV1: Conv = Conv::new(1, INPUT_SIDE, 6, 5, 2);
/// pool1: 6 maps, 28x28 → 14x14.
pub const POOL1: Pool2x2 = Pool2x2::new(CONV1.cout, CONV1.ho());
/// conv2: 6 → 16 maps, 5x5, 14x14 → 10x10.
pub const CONV2: Conv = Conv::new(POOL1.maps, POOL1.out_side(), 16, 5, 0);
/// pool2: 16 maps, 10x10 → 5x5.
pub const POOL2: Pool2x2 = Pool2x2::new(CONV2.cout, CONV2.ho());
/// fc1: 400 → 120.
pub const FC1: Dense = Dense::new(POOL2.out_len(), 120);
/// fc2: 120 → 84.
pub const FC2: Dense = Dense::new(FC1.outputs, 84);
/// fc3: 84 → 10 logits.
pub const FC3: Dense = Dense::new(FC2.outputs, 10);

/// MNIST mean and standard deviation of the pixel values in [0, 1].
pub const MEAN: f32 = 0.1307;
/// See [`MEAN`].
pub const STD: f32 = 0.3081;

/// Tensor names and shapes (as a PyTorch `LeNet` module would name them).
pub fn layout() -> Layout {
    Layout::new(&[
        ("conv1.weight", &CONV1.weight_shape()),
        ("conv1.bias", &[CONV1.cout]),
        ("conv2.weight", &CONV2.weight_shape()),
        ("conv2.bias", &[CONV2.cout]),
        ("fc1.weight", &FC1.weight_shape()),
        ("fc1.bias", &[FC1.outputs]),
        ("fc2.weight", &FC2.weight_shape()),
        ("fc2.bias", &[FC2.outputs]),
        ("fc3.weight", &FC3.weight_shape()),
        ("fc3.bias", &[FC3.outputs]),
    ])
}

/// The network's parameters by layer, each a view into the flat vector (or a gradient
/// laid out the same way).
pub struct ModernParams<S> {
    pub conv1: Params<S>,
    pub conv2: Params<S>,
    pub fc1: Params<S>,
    pub fc2: Params<S>,
    pub fc3: Params<S>,
}

impl<'a> ModernParams<&'a [f32]> {
    /// Views of the flat parameter vector (laid out as [`layout`]).
    pub fn of(flat: &'a [f32]) -> Self {
        let (conv1, rest) = Params::cut(flat, CONV1.weight_len(), CONV1.cout);
        let (conv2, rest) = Params::cut(rest, CONV2.weight_len(), CONV2.cout);
        let (fc1, rest) = Params::cut(rest, FC1.weight_len(), FC1.outputs);
        let (fc2, rest) = Params::cut(rest, FC2.weight_len(), FC2.outputs);
        let (fc3, rest) = Params::cut(rest, FC3.weight_len(), FC3.outputs);
        assert!(
            rest.is_empty(),
            "a modern parameter vector has no extra entries"
        );
        ModernParams {
            conv1,
            conv2,
            fc1,
            fc2,
            fc3,
        }
    }
}

impl<'a> ModernParams<&'a mut [f32]> {
    /// Mutable views of the flat vector (or of a gradient laid out like it).
    pub fn of_mut(flat: &'a mut [f32]) -> Self {
        let (conv1, rest) = Params::cut_mut(flat, CONV1.weight_len(), CONV1.cout);
        let (conv2, rest) = Params::cut_mut(rest, CONV2.weight_len(), CONV2.cout);
        let (fc1, rest) = Params::cut_mut(rest, FC1.weight_len(), FC1.outputs);
        let (fc2, rest) = Params::cut_mut(rest, FC2.weight_len(), FC2.outputs);
        let (fc3, rest) = Params::cut_mut(rest, FC3.weight_len(), FC3.outputs);
        assert!(
            rest.is_empty(),
            "a modern parameter vector has no extra entries"
        );
        ModernParams {
            conv1,
            conv2,
            fc1,
            fc2,
            fc3,
        }
    }
}

/// He initialisation: weights N(0, 2/fan_in), biases 0.
pub fn init(seed: u64) -> Vec<f32> {
    let l = layout();
    let mut p = vec![0.0; l.total()];
    let mut rng = Rng::derive(seed, &[0x40de]);
    for (name, fan_in) in [
        ("conv1.weight", CONV1.col_rows()),
        ("conv2.weight", CONV2.col_rows()),
        ("fc1.weight", FC1.inputs),
        ("fc2.weight", FC2.inputs),
        ("fc3.weight", FC3.inputs),
    ] {
        let std = (2.0 / fan_in as f32).sqrt();
        let t = l.get(name).expect("layout has it");
        for v in &mut p[t.range()] {
            *v = std * rng.normal();
        }
    }
    p
}

/// Input normalisation: 28x28 pixels in `[0, 1]`, row by row → `(x − mean)/std`.
/// `out: [28·28]`
pub fn prepare_input(pixels: impl Iterator<Item = f32>, out: &mut [f32]) {
    for (o, p) in out[..INPUT_SIDE * INPUT_SIDE].iter_mut().zip(pixels) {
        *o = (p - MEAN) / STD;
    }
}

/// Forward for the `n` images in `ws.out.input` (`[n, 784]`); logits in `ws.out.output`
/// (`[n, 10]`).
pub fn forward(p: &ModernParams<&[f32]>, ws: &mut Workspace, n: usize) {
    let Workspace {
        out: a,
        c1_padded,
        c3_scratch,
        ..
    } = ws;
    // conv1: [n,28,28] → pad 2 → conv 5x5 + b → ReLU → [n,6,28,28]; pool1 → [n,6,14,14]
    c1_forward(
        &CONV1,
        n,
        &a.input,
        p.conv1,
        c1_padded,
        &mut a.c1,
        Act::Relu,
    );
    POOL1.max_forward(n, &a.c1, &mut a.s2);
    // conv2: → conv 5x5 + b → ReLU → [n,16,10,10]; pool2 → [n,16,5,5]
    c3_forward(n, &a.s2, p.conv2, None, &mut a.c3, c3_scratch, Act::Relu);
    POOL2.max_forward(n, &a.c3, &mut a.s4);
    fully_connected_forward(p, a, n);
}

/// Inference: the logits of [`forward`], bit for bit, with ReLU and max-pooling fused
/// into conv1 and conv2 (their unpooled maps are never stored map-major). Writes
/// `ws.out.s2`, `s4`, `c5`, `f6` and `output` (`[n, 10]`); `ws.out.c1` and `c3` are left
/// as they were, so [`backward`] needs [`forward`]. (conv2 fused by output map from
/// shifted copies of its input instead took 43 % fewer instructions but ran 12 % slower
/// at batch 1000 on a Zen 3, bound by its loads: see docs/speed.md; the kernel here keeps
/// the implicit GEMM and pools its position-major outputs.) `kept`: conv2's weights
/// tap-major if the caller keeps them (see [`C3TapMajor`]).
pub fn infer(p: &ModernParams<&[f32]>, ws: &mut Workspace, n: usize, kept: Option<&C3TapMajor>) {
    let Workspace {
        out: a,
        c1_padded,
        c3_scratch,
        ..
    } = ws;
    // conv1 + ReLU + pool1: [n,28,28] → [n,6,14,14]
    c1_relu_pool_forward(&CONV1, n, &a.input, p.conv1, c1_padded, &mut a.s2);
    // conv2 + ReLU + pool2: → [n,16,5,5]
    c3_relu_pool_forward(n, &a.s2, p.conv2, kept, &mut a.s4, c3_scratch);
    fully_connected_forward(p, a, n);
}

/// fc1: `a.s4` `[n,400]` → ReLU → `a.c5` `[n,120]`;  fc2: → ReLU → `a.f6` `[n,84]`;
/// fc3: → `a.output` `[n,10]` logits.
fn fully_connected_forward(p: &ModernParams<&[f32]>, a: &mut Maps, n: usize) {
    FC1.forward(n, &a.s4, p.fc1, &mut a.c5);
    relu_forward(&mut a.c5[..n * FC1.outputs]);
    FC2.forward(n, &a.c5, p.fc2, &mut a.f6);
    relu_forward(&mut a.f6[..n * FC2.outputs]);
    FC3.forward(n, &a.f6, p.fc3, &mut a.output);
}

/// Backward from `ws.grad.output` = dE/dlogits `[n, 10]`; accumulates into `g`.
pub fn backward(
    p: &ModernParams<&[f32]>,
    ws: &mut Workspace,
    n: usize,
    g: ModernParams<&mut [f32]>,
) {
    let Workspace {
        out: a,
        grad: d,
        c1_padded,
        c3_scratch,
        ..
    } = ws;
    // fc3, fc2, fc1 (each through the ReLU before it)
    FC3.backward(n, &a.f6, p.fc3.weight, &d.output, g.fc3, Some(&mut d.f6));
    relu_backward(&a.f6[..n * FC2.outputs], &mut d.f6[..n * FC2.outputs]);
    FC2.backward(n, &a.c5, p.fc2.weight, &d.f6, g.fc2, Some(&mut d.c5));
    relu_backward(&a.c5[..n * FC1.outputs], &mut d.c5[..n * FC1.outputs]);
    FC1.backward(n, &a.s4, p.fc1.weight, &d.c5, g.fc1, Some(&mut d.s4));
    // pool2 + ReLU → conv2 → [n,6,14,14]
    POOL2.max_relu_backward(n, &a.c3, &a.s4, &d.s4, &mut d.c3);
    c3_backward(
        n,
        &a.s2,
        p.conv2.weight,
        &d.c3,
        g.conv2,
        Some(&mut d.s2),
        c3_scratch,
    );
    // pool1 + ReLU + conv1's weights in one sparse pass (conv1's output gradient is
    // never formed)
    c1_pool_relu_backward(n, &a.c1, &a.s2, &d.s2, c1_padded, g.conv1);
}
