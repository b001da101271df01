//! The paper's LeNet-5 (LeCun et al. 1998, section II.B and Figure 2), wired from the
//! layers. One image through the network (shapes per image):
//! ```text
//! input 32x32  (MNIST 28x28 padded by 2; background −0.1, ink 1.175)
//! C1  conv 6@5x5          → 6@28x28   → f = 1.7159·tanh(2/3·a)
//! S2  2x2 sum·coef + bias → 6@14x14   → f
//! C3  conv 16@5x5, table  → 16@10x10  → f
//! S4  2x2 sum·coef + bias → 16@5x5    → f
//! C5  conv 120@5x5 = full → 120       → f
//! F6  full                → 84        → f
//! RBF squared distance to the 10 fixed 7x12 bitmaps → 10   (predict: smallest)
//! ```

use super::Workspace;
use super::params::Layout;
use crate::kernels::Act;
use crate::kernels::update;
use crate::nn::Params;
use crate::nn::act::{tanh_backward, tanh_curvature_backward, tanh_forward};
use crate::nn::conv::{
    C3TapMajor, Conv, c1_backward, c1_forward, c3_backward, c3_forward, conv_backward, mask_grad,
};
use crate::nn::linear::Dense;
use crate::nn::pool::Pool2x2;
use crate::nn::rbf::{GLYPH_LEN, rbf_backward, rbf_forward};
use crate::rng::Rng;

// ---------------------------------------------------------------------------------
// The layers (Figure 2). Every length below is derived from these.

/// The input: a 32x32 field (the 28x28 digit padded by 2).
pub const INPUT_SIDE: usize = 32;
/// C1: 1 → 6 maps, 5x5, 32x32 → 28x28.
pub const C1: Conv = Conv::new(1, INPUT_SIDE, 6, 5, 0);
/// S2: 6 maps, 28x28 → 14x14.
pub const S2: Pool2x2 = Pool2x2::new(C1.cout, C1.ho());
/// C3: 6 → 16 maps, 5x5, 14x14 → 10x10, through the connection table ([`C3_TABLE`]).
pub const C3: Conv = Conv::new(S2.maps, S2.out_side(), 16, 5, 0);
/// S4: 16 maps, 10x10 → 5x5.
pub const S4: Pool2x2 = Pool2x2::new(C3.cout, C3.ho());
/// C5: 120 maps of 5x5 kernels on the 5x5 S4 maps: a full connection 400 → 120.
pub const C5: Dense = Dense::new(S4.out_len(), 120);
/// F6: 120 → 84 (one unit per pixel of the 7x12 output bitmaps).
pub const F6: Dense = Dense::new(C5.outputs, GLYPH_LEN);
/// The output: 10 Euclidean RBF units, one per digit.
pub const CLASSES: usize = 10;

/// The C3 connection table of the paper (Table I): row = S2 map, column = C3 map.
pub const C3_TABLE: [&str; 6] = [
    "X...XXX..XXXX.XX",
    "XX...XXX..XXXX.X",
    "XXX...XXX..X.XXX",
    ".XXX..XXXX..X.XX",
    "..XXX..XXXX.XX.X",
    "...XXX..XXXX.XXX",
];

/// Whether S2 map `i` feeds C3 map `o`.
pub fn c3_connected(i: usize, o: usize) -> bool {
    C3_TABLE[i].as_bytes()[o] == b'X'
}

/// The table as a 0/1 mask over `c3.weight` `[16, 6, 5, 5]`.
pub fn c3_mask() -> Vec<f32> {
    let per_pair = C3.k * C3.k;
    let mut m = vec![0.0; C3.weight_len()];
    for o in 0..C3.cout {
        for i in 0..C3.cin {
            if c3_connected(i, o) {
                m[(o * C3.cin + i) * per_pair..(o * C3.cin + i + 1) * per_pair].fill(1.0);
            }
        }
    }
    m
}

// ---------------------------------------------------------------------------------
// Parameters.

/// Tensor names and shapes (stored as such in checkpoints; C5 keeps its convolution
/// shape `[120, 16, 5, 5]`).
pub fn layout() -> Layout {
    Layout::new(&[
        ("c1.weight", &C1.weight_shape()),
        ("c1.bias", &[C1.cout]),
        ("s2.weight", &[S2.maps]),
        ("s2.bias", &[S2.maps]),
        ("c3.weight", &C3.weight_shape()),
        ("c3.bias", &[C3.cout]),
        ("s4.weight", &[S4.maps]),
        ("s4.bias", &[S4.maps]),
        (
            "c5.weight",
            &[C5.outputs, S4.maps, S4.out_side(), S4.out_side()],
        ),
        ("c5.bias", &[C5.outputs]),
        ("f6.weight", &F6.weight_shape()),
        ("f6.bias", &[F6.outputs]),
    ])
}

/// The network's parameters by layer, each a view into the flat vector (`S = &[f32]`),
/// or gradients / step sizes laid out the same way (`S = &mut [f32]`). S2's and S4's
/// `weight` is their trainable coefficient.
pub struct ClassicParams<S> {
    pub c1: Params<S>,
    pub s2: Params<S>,
    pub c3: Params<S>,
    pub s4: Params<S>,
    pub c5: Params<S>,
    pub f6: Params<S>,
}

/// Parameters of C1, S2, C3 and S4: the first entries of the flat vector.
pub const CONV_PARAMS: usize =
    C1.weight_len() + C1.cout + 2 * S2.maps + C3.weight_len() + C3.cout + 2 * S4.maps;

impl<'a> ClassicParams<&'a [f32]> {
    /// Views of the flat parameter vector (laid out as [`layout`]).
    pub fn of(flat: &'a [f32]) -> Self {
        let (c1, rest) = Params::cut(flat, C1.weight_len(), C1.cout);
        let (s2, rest) = Params::cut(rest, S2.maps, S2.maps);
        let (c3, rest) = Params::cut(rest, C3.weight_len(), C3.cout);
        let (s4, rest) = Params::cut(rest, S4.maps, S4.maps);
        let (c5, rest) = Params::cut(rest, C5.weight_len(), C5.outputs);
        let (f6, rest) = Params::cut(rest, F6.weight_len(), F6.outputs);
        assert!(
            rest.is_empty(),
            "a classic parameter vector has no extra entries"
        );
        ClassicParams {
            c1,
            s2,
            c3,
            s4,
            c5,
            f6,
        }
    }
}

impl<'a> ClassicParams<&'a mut [f32]> {
    /// Mutable views of the flat vector (or of a gradient laid out like it).
    pub fn of_mut(flat: &'a mut [f32]) -> Self {
        let (c1, rest) = Params::cut_mut(flat, C1.weight_len(), C1.cout);
        let (s2, rest) = Params::cut_mut(rest, S2.maps, S2.maps);
        let (c3, rest) = Params::cut_mut(rest, C3.weight_len(), C3.cout);
        let (s4, rest) = Params::cut_mut(rest, S4.maps, S4.maps);
        let (c5, rest) = Params::cut_mut(rest, C5.weight_len(), C5.outputs);
        let (f6, rest) = Params::cut_mut(rest, F6.weight_len(), F6.outputs);
        assert!(
            rest.is_empty(),
            "a classic parameter vector has no extra entries"
        );
        ClassicParams {
            c1,
            s2,
            c3,
            s4,
            c5,
            f6,
        }
    }
}

/// Initial weights are uniform in ±INIT_RANGE/√F, F the fan-in of the unit: standard
/// deviation 1/√F, as LeCun's "Efficient BackProp" prescribes for this squashing
/// function.
///
/// The paper's text says ±2.4/F. Taken literally (F, not √F) every layer shrinks its
/// signal about fifteen-fold: F6 starts near 1e-3, SDLM's curvature estimates are ~0,
/// every step becomes ε/μ and the paper's ε schedule diverges in the first pass (we
/// measured 9.8 % accuracy). With √F the paper's recipe trains as published.
///
/// 1.73 ≈ √3 (uniform(±√3/√F) has std exactly 1/√F). The rounded value is the one the
/// bundled model and the classic rows of the README results were trained with; with 1.7320508 the
/// first three SDLM passes measured 2.53 / 2.32 / … % instead of 2.38 / 2.21 / 1.95 %.
pub const INIT_RANGE: f32 = 1.73;

/// Initialisation: weights uniform in ±1.73/√F (see [`INIT_RANGE`]), biases 0, absent
/// C3 connections exactly 0.
pub fn init(seed: u64) -> Vec<f32> {
    let l = layout();
    let mut p = vec![0.0; l.total()];
    let mut rng = Rng::derive(seed, &[0x1417]);
    let taps = C3.k * C3.k;
    let fan_in: [(&str, usize); 6] = [
        ("c1.weight", C1.k * C1.k),
        ("s2.weight", 4),
        ("c3.weight", 0), // per map, from the table
        ("s4.weight", 4),
        ("c5.weight", C5.inputs),
        ("f6.weight", F6.inputs),
    ];
    for (name, f) in fan_in {
        let t = l.get(name).expect("layout has it");
        for (k, v) in p[t.range()].iter_mut().enumerate() {
            let f = if name == "c3.weight" {
                let o = k / (C3.cin * taps);
                taps * (0..C3.cin).filter(|&i| c3_connected(i, o)).count()
            } else {
                f
            };
            let r = INIT_RANGE / (f as f32).sqrt();
            *v = rng.uniform(-r, r);
        }
    }
    let mask = c3_mask();
    let t = l.get("c3.weight").expect("layout has it");
    for (v, m) in p[t.range()].iter_mut().zip(&mask) {
        *v *= m;
    }
    p
}

/// Input normalisation: 28x28 pixels in `[0, 1]` (0 = background), row by row → the
/// 32x32 field with background −0.1 and full ink 1.175, as in the paper. `out: [32·32]`
pub fn prepare_input(mut pixels: impl Iterator<Item = f32>, out: &mut [f32]) {
    let (side, pad) = (28, (INPUT_SIDE - 28) / 2);
    out[..INPUT_SIDE * INPUT_SIDE].fill(-0.1);
    for row in out.chunks_exact_mut(INPUT_SIDE).skip(pad).take(side) {
        for (o, p) in row[pad..pad + side].iter_mut().zip(&mut pixels) {
            *o = -0.1 + 1.275 * p;
        }
    }
}

// ---------------------------------------------------------------------------------
// Forward and backward. `ws.out` holds every layer's output, `ws.grad` its gradient.

/// Forward for the `n` images in `ws.out.input` (`[n, 32·32]`); leaves every layer's
/// output in `ws.out` and the RBF distances in `ws.out.output` (`[n, 10]`). `kept`: C3's
/// weights tap-major if the caller keeps them (see [`C3TapMajor`]).
pub fn forward(
    p: &ClassicParams<&[f32]>,
    centres: &[f32],
    ws: &mut Workspace,
    n: usize,
    kept: Option<&C3TapMajor>,
) {
    let Workspace {
        out: a,
        c1_padded,
        c3_scratch,
        ..
    } = ws;
    // C1: [n,32,32] → f(conv 5x5 + b) → [n,6,28,28]
    c1_forward(&C1, n, &a.input, p.c1, c1_padded, &mut a.c1, Act::Tanh);
    // S2: → f(coef · Σ 2x2 + b) → [n,6,14,14]
    S2.subsample_forward(n, &a.c1, p.s2, &mut a.s2);
    tanh_forward(&mut a.s2[..n * S2.out_len()]);
    // C3: → f(conv 5x5 + b) → [n,16,10,10]   (absent connections have weight 0)
    c3_forward(n, &a.s2, p.c3, kept, &mut a.c3, c3_scratch, Act::Tanh);
    // S4: → f(coef · Σ 2x2 + b) → [n,16,5,5]
    S4.subsample_forward(n, &a.c3, p.s4, &mut a.s4);
    tanh_forward(&mut a.s4[..n * S4.out_len()]);
    // C5: [n,400] → f(full + b) → [n,120]
    C5.forward(n, &a.s4, p.c5, &mut a.c5);
    tanh_forward(&mut a.c5[..n * C5.outputs]);
    // F6: → f(full + b) → [n,84]
    F6.forward(n, &a.c5, p.f6, &mut a.f6);
    tanh_forward(&mut a.f6[..n * F6.outputs]);
    // RBF: → squared distances to the 10 bitmaps → [n,10]
    rbf_forward(n, &a.f6, centres, &mut a.output);
}

/// Backward from `ws.grad.output` = dE/d(distances) `[n, 10]`; accumulates into `g`.
/// Needs the activations left by [`forward`].
pub fn backward(
    p: &ClassicParams<&[f32]>,
    centres: &[f32],
    mask: &[f32],
    ws: &mut Workspace,
    n: usize,
    g: ClassicParams<&mut [f32]>,
) {
    backward_rbf(centres, ws, n);
    let Workspace {
        out: a, grad: d, ..
    } = ws;
    // F6: [n,120] → [n,84]
    F6.backward(n, &a.c5, p.f6.weight, &d.f6, g.f6, Some(&mut d.c5));
    tanh_backward(&a.c5[..n * C5.outputs], &mut d.c5[..n * C5.outputs]);
    // C5 (a full connection here): [n,400] → [n,120]
    C5.backward(n, &a.s4, p.c5.weight, &d.c5, g.c5, Some(&mut d.s4));
    tanh_backward(&a.s4[..n * S4.out_len()], &mut d.s4[..n * S4.out_len()]);
    backward_convs(p, mask, ws, n, [g.c1, g.s2, g.c3, g.s4]);
}

/// The paper's per-pattern SDLM update for the image whose forward pass is in `ws`
/// (n = 1): `p −= step ⊙ ∂E/∂p`. F6 and C5 (58,000 of the 60,000 parameters) are
/// updated as their gradients appear, in one sweep over their weights
/// ([`Dense::sdlm_backward`]); the conv layers' gradients go through the start of the
/// scratch `g` (at least [`CONV_PARAMS`] long). Bit-identical to [`backward`] into a
/// zeroed gradient followed by [`update::sdlm`] (a test checks it), at half the memory
/// traffic.
pub fn sdlm_step(
    p: &mut [f32],
    step: &[f32],
    centres: &[f32],
    mask: &[f32],
    ws: &mut Workspace,
    g: &mut [f32],
) {
    backward_rbf(centres, ws, 1);
    {
        let pm = ClassicParams::of_mut(p);
        let st = ClassicParams::of(step);
        let Workspace {
            out: a, grad: d, ..
        } = ws;
        F6.sdlm_backward(&a.c5, &d.f6, pm.f6, st.f6, &mut d.c5);
        tanh_backward(&a.c5[..C5.outputs], &mut d.c5[..C5.outputs]);
        C5.sdlm_backward(&a.s4, &d.c5, pm.c5, st.c5, &mut d.s4);
        tanh_backward(&a.s4[..S4.out_len()], &mut d.s4[..S4.out_len()]);
    }
    let g = &mut g[..CONV_PARAMS];
    g.fill(0.0);
    let gc = conv_grads(g);
    backward_convs(&ClassicParams::of(p), mask, ws, 1, gc);
    update::sdlm(&mut p[..CONV_PARAMS], g, &step[..CONV_PARAMS]);
}

/// The gradients of C1, S2, C3 and S4, cut from the start of `g` ([`CONV_PARAMS`] long).
fn conv_grads(g: &mut [f32]) -> [Params<&mut [f32]>; 4] {
    let (c1, rest) = Params::cut_mut(g, C1.weight_len(), C1.cout);
    let (s2, rest) = Params::cut_mut(rest, S2.maps, S2.maps);
    let (c3, rest) = Params::cut_mut(rest, C3.weight_len(), C3.cout);
    let (s4, _) = Params::cut_mut(rest, S4.maps, S4.maps);
    [c1, s2, c3, s4]
}

/// `ws.grad.output` → `ws.grad.f6`: through the RBF and F6's squashing function.
fn backward_rbf(centres: &[f32], ws: &mut Workspace, n: usize) {
    let Workspace {
        out: a, grad: d, ..
    } = ws;
    rbf_backward(n, &a.f6, centres, &d.output, &mut d.f6);
    tanh_backward(&a.f6[..n * F6.outputs], &mut d.f6[..n * F6.outputs]);
}

/// `ws.grad.s4` (dE/d S4 outputs, after the squashing) → the gradients of C1, S2, C3
/// and S4 (`g`, in that order).
fn backward_convs(
    p: &ClassicParams<&[f32]>,
    mask: &[f32],
    ws: &mut Workspace,
    n: usize,
    g: [Params<&mut [f32]>; 4],
) {
    let [gc1, gs2, mut gc3, gs4] = g;
    let Workspace {
        out: a,
        grad: d,
        c1_padded,
        c3_scratch,
        ..
    } = ws;
    // S4 and C3's squashing function: [n,16,5,5] → [n,16,10,10]
    S4.subsample_tanh_backward(n, &a.c3, p.s4.weight, &d.s4, gs4, &mut d.c3);
    // C3: → [n,6,14,14]; absent connections get no gradient
    c3_backward(
        n,
        &a.s2,
        p.c3.weight,
        &d.c3,
        gc3.reborrow(),
        Some(&mut d.s2),
        c3_scratch,
    );
    mask_grad(gc3.weight, mask);
    tanh_backward(&a.s2[..n * S2.out_len()], &mut d.s2[..n * S2.out_len()]);
    // S2 and C1's squashing function: → [n,6,28,28]
    S2.subsample_tanh_backward(n, &a.c1, p.s2.weight, &d.s2, gs2, &mut d.c1);
    // C1: the weights' gradient only (the input needs none)
    c1_backward(n, c1_padded, &d.c1, gc1);
}

/// The diagonal Gauss-Newton second derivatives of the MAP loss with respect to every
/// parameter, for the single image whose forward pass is in `ws` (n = 1), accumulated
/// into `h` (laid out like the parameters). The same backward pass with every weight,
/// input and activation derivative squared (LeCun et al. 1998, appendix C); at the
/// output, ∂²E/∂x² = 2 for each F6 unit (the y_D term of eq. 9 is a sum of squares of
/// (x_j − w_Dj)).
pub fn hessian_diag(p: &[f32], mask: &[f32], ws: &mut Workspace, h: &mut [f32]) {
    let sq = |v: &[f32]| v.iter().map(|x| x * x).collect::<Vec<f32>>();
    let p = ClassicParams::of(p);
    let (c3w2, c5w2, f6w2) = (sq(p.c3.weight), sq(p.c5.weight), sq(p.f6.weight));
    let ClassicParams {
        c1: hc1,
        s2: hs2,
        c3: mut hc3,
        s4: hs4,
        c5: hc5,
        f6: hf6,
    } = ClassicParams::of_mut(h);
    let Workspace {
        out: a,
        grad: d,
        im2col,
        ..
    } = ws;
    let (input2, s2_2, s4_2, c5_2) = (
        sq(&a.input[..C1.in_len()]),
        sq(&a.s2[..S2.out_len()]),
        sq(&a.s4[..S4.out_len()]),
        sq(&a.c5[..C5.outputs]),
    );
    // F6: ∂²E/∂(F6 output)² = 2, through the squashing function.
    d.f6[..F6.outputs].fill(2.0);
    tanh_curvature_backward(&a.f6[..F6.outputs], &mut d.f6[..F6.outputs]);
    F6.backward(1, &c5_2, &f6w2, &d.f6, hf6, Some(&mut d.c5));
    tanh_curvature_backward(&a.c5[..C5.outputs], &mut d.c5[..C5.outputs]);
    C5.backward(1, &s4_2, &c5w2, &d.c5, hc5, Some(&mut d.s4));
    tanh_curvature_backward(&a.s4[..S4.out_len()], &mut d.s4[..S4.out_len()]);
    S4.subsample_curvature(&a.c3, p.s4.weight, &d.s4, hs4, Some(&mut d.c3));
    tanh_curvature_backward(&a.c3[..C3.out_len()], &mut d.c3[..C3.out_len()]);
    conv_backward(
        &C3,
        &s2_2,
        &c3w2,
        &d.c3,
        hc3.reborrow(),
        Some(&mut d.s2),
        im2col,
    );
    mask_grad(hc3.weight, mask);
    tanh_curvature_backward(&a.s2[..S2.out_len()], &mut d.s2[..S2.out_len()]);
    S2.subsample_curvature(&a.c1, p.s2.weight, &d.s2, hs2, Some(&mut d.c1));
    tanh_curvature_backward(&a.c1[..C1.out_len()], &mut d.c1[..C1.out_len()]);
    conv_backward(&C1, &input2, &[], &d.c1, hc1, None, im2col);
}
