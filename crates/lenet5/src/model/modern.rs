//! The "modern" LeNet-5 of the seed exercise: ReLU, max-pooling, softmax.
//!
//! One image through the network (shapes per image):
//! ```text
//! input 28x28  (pixels/255, then (x − 0.1307)/0.3081)
//! conv1 6@5x5, pad 2  → 6@28x28  → ReLU → max-pool → 6@14x14
//! conv2 16@5x5        → 16@10x10 → ReLU → max-pool → 16@5x5 = 400
//! fc1 400→120 → ReLU;  fc2 120→84 → ReLU;  fc3 84→10 = logits  (predict: largest)
//! ```

use super::Workspace;
use super::params::{Layout, split, split_mut};
use crate::kernels::ConvShape;
use crate::kernels::fast::Act;
use crate::kernels::fast::{maxpool2, maxpool2_relu_backward, pool1_relu_conv1_backward_w};
use crate::nn::act::{relu_backward, relu_forward};
use crate::nn::conv::{c1_forward, c2_backward, c2_forward};
use crate::nn::linear::{linear_backward, linear_forward};
use crate::rng::Rng;

/// conv1: 1 → 6 maps, 28x28 → 28x28 ('same' padding).
pub const CONV1: ConvShape = ConvShape {
    cin: 1,
    h: 28,
    w: 28,
    cout: 6,
    k: 5,
    pad: 2,
};
/// conv2: 6 → 16 maps, 14x14 → 10x10.
pub const CONV2: ConvShape = ConvShape {
    cin: 6,
    h: 14,
    w: 14,
    cout: 16,
    k: 5,
    pad: 0,
};

/// MNIST mean and standard deviation of the pixel values in [0, 1].
pub const MEAN: f32 = 0.1307;
/// See [`MEAN`].
pub const STD: f32 = 0.3081;

/// Tensor names and shapes (as a PyTorch `LeNet` module would name them).
pub fn layout() -> Layout {
    Layout::new(&[
        ("conv1.weight", &[6, 1, 5, 5]),
        ("conv1.bias", &[6]),
        ("conv2.weight", &[16, 6, 5, 5]),
        ("conv2.bias", &[16]),
        ("fc1.weight", &[120, 400]),
        ("fc1.bias", &[120]),
        ("fc2.weight", &[84, 120]),
        ("fc2.bias", &[84]),
        ("fc3.weight", &[10, 84]),
        ("fc3.bias", &[10]),
    ])
}

/// He initialisation: weights N(0, 2/fan_in), biases 0.
pub fn init(seed: u64) -> Vec<f32> {
    let l = layout();
    let mut p = vec![0.0; l.total()];
    let mut rng = Rng::derive(seed, &[0x40de]);
    for (name, fan_in) in [
        ("conv1.weight", 25),
        ("conv2.weight", 150),
        ("fc1.weight", 400),
        ("fc2.weight", 120),
        ("fc3.weight", 84),
    ] {
        let std = (2.0 / fan_in as f32).sqrt();
        let t = l.get(name).expect("layout has it");
        for v in &mut p[t.range()] {
            *v = std * rng.normal();
        }
    }
    p
}

/// Forward for the `n` images in `ws.a0` ([n, 784]); logits in `ws.a7` ([n, 10]).
pub fn forward(p: &[f32], ws: &mut Workspace, n: usize) {
    let [w1, b1, w2, b2, w3, b3, w4, b4, w5, b5] = split(p, ws.lens10);
    // [n,784] → pad 2 → conv1 + ReLU → [n,6,28,28]
    c1_forward(n, 28, 2, &ws.a0, w1, b1, &mut ws.xp, &mut ws.a1, Act::Relu);
    maxpool2(n * 6, 28, 28, &ws.a1, &mut ws.a2);
    // [n,6,14,14] → conv2 + ReLU → [n,16,10,10]
    c2_forward(n, &ws.a2, w2, b2, &mut ws.a3, &mut ws.c2, Act::Relu);
    maxpool2(n * 16, 10, 10, &ws.a3, &mut ws.a4);
    linear_forward(n, 400, 120, &ws.a4, w3, b3, &mut ws.a5);
    relu_forward(&mut ws.a5[..n * 120]);
    linear_forward(n, 120, 84, &ws.a5, w4, b4, &mut ws.a6);
    relu_forward(&mut ws.a6[..n * 84]);
    linear_forward(n, 84, 10, &ws.a6, w5, b5, &mut ws.a7);
}

/// Backward from `ws.d7` = dE/dlogits [n, 10]; accumulates into `g`.
pub fn backward(p: &[f32], ws: &mut Workspace, n: usize, g: &mut [f32]) {
    let [_, _, w2, _, w3, _, w4, _, w5, _] = split(p, ws.lens10);
    let [gw1, gb1, gw2, gb2, gw3, gb3, gw4, gb4, gw5, gb5] = split_mut(g, ws.lens10);
    let Workspace {
        a1,
        a2,
        a3,
        a5,
        a6,
        d2,
        d3,
        d4,
        d5,
        d6,
        d7,
        xp,
        c2,
        a4,
        ..
    } = ws;
    linear_backward(n, 84, 10, a6, w5, d7, gw5, gb5, Some(d6));
    relu_backward(&a6[..n * 84], &mut d6[..n * 84]);
    linear_backward(n, 120, 84, a5, w4, d6, gw4, gb4, Some(d5));
    relu_backward(&a5[..n * 120], &mut d5[..n * 120]);
    linear_backward(n, 400, 120, a4, w3, d5, gw3, gb3, Some(d4));
    maxpool2_relu_backward(n * 16, 10, 10, a3, a4, d4, d3);
    c2_backward(n, a2, w2, d3, gw2, gb2, Some(d2), c2);
    // max-pool + ReLU + conv1 dW in one sparse pass (d1 is never formed)
    pool1_relu_conv1_backward_w(n, a1, a2, d2, xp, gw1, gb1);
}

/// Input normalisation: pixels in `[0, 1]` → `(x − mean)/std`. `out: [784]`
pub fn prepare_input(pixels: &[f32], out: &mut [f32]) {
    for (o, &p) in out[..784].iter_mut().zip(pixels) {
        *o = (p - MEAN) / STD;
    }
}
