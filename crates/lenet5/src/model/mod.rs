//! The two networks, their parameters and a reusable workspace.
//!
//! - [`classic`]: the paper's LeNet-5 (Figure 2), [`modern`]: the ReLU / max-pool /
//!   softmax variant: each declares its layers, names its parameters
//!   ([`classic::ClassicParams`], [`modern::ModernParams`]) and wires forward and backward;
//! - [`Network`] owns the flat parameter vector (what optimisers and checkpoints see);
//! - [`Workspace`] owns every layer's output and gradient ([`Maps`]) for up to `cap`
//!   images, allocated once and reused, so the training loop never allocates;
//! - [`summary`]: per-layer shapes, parameters and connections, computed.

pub mod classic;
pub mod modern;
pub mod params;
pub mod summary;

use crate::nn::conv::{C3Scratch, C3TapMajor, Im2col, c1_padded_len};
use crate::nn::loss::{map_loss, softmax, softmax_ce};
use crate::nn::rbf;
use classic::ClassicParams;
use modern::ModernParams;
use params::Layout;

/// Which LeNet-5.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Arch {
    /// The 1998 paper: scaled tanh, trainable subsampling, C3 table, RBF output, MAP loss.
    Classic,
    /// The seed exercise: ReLU, max-pooling, softmax cross-entropy.
    Modern,
}

impl Arch {
    /// `"classic"` or `"modern"`.
    pub fn name(self) -> &'static str {
        match self {
            Arch::Classic => "classic",
            Arch::Modern => "modern",
        }
    }
    /// Parses `"classic"` / `"modern"`.
    pub fn parse(s: &str) -> Option<Arch> {
        match s {
            "classic" => Some(Arch::Classic),
            "modern" => Some(Arch::Modern),
            _ => None,
        }
    }
    /// The parameter layout.
    pub fn layout(self) -> Layout {
        match self {
            Arch::Classic => classic::layout(),
            Arch::Modern => modern::layout(),
        }
    }
    /// Floats in one prepared input image: 32·32 (classic) or 28·28 (modern).
    pub fn input_len(self) -> usize {
        self.map_lens()[0]
    }
    /// Floats per image of each buffer of [`Maps`], input to output, from the layer
    /// definitions.
    pub fn map_lens(self) -> [usize; 8] {
        match self {
            Arch::Classic => {
                use classic::*;
                [
                    INPUT_SIDE * INPUT_SIDE,
                    C1.out_len(),
                    S2.out_len(),
                    C3.out_len(),
                    S4.out_len(),
                    C5.outputs,
                    F6.outputs,
                    CLASSES,
                ]
            }
            Arch::Modern => {
                use modern::*;
                [
                    INPUT_SIDE * INPUT_SIDE,
                    CONV1.out_len(),
                    POOL1.out_len(),
                    CONV2.out_len(),
                    POOL2.out_len(),
                    FC1.outputs,
                    FC2.outputs,
                    FC3.outputs,
                ]
            }
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One buffer per layer, for up to `cap` images, named after the paper's layers (for the
/// modern network: `c1` = conv1 + ReLU, `s2` = pool1, `c3` = conv2 + ReLU, `s4` = pool2,
/// `c5` = fc1 + ReLU, `f6` = fc2 + ReLU, `output` = fc3's logits). Image `s` of a layer
/// is `buffer[s·len .. (s+1)·len]`, `len` the layer's output length.
#[derive(Clone, Debug, PartialEq)]
pub struct Maps {
    /// The prepared input: `[cap][32·32]` (classic) or `[cap][28·28]` (modern).
    pub input: Vec<f32>,
    /// `[cap][6][28][28]`
    pub c1: Vec<f32>,
    /// `[cap][6][14][14]`
    pub s2: Vec<f32>,
    /// `[cap][16][10][10]`
    pub c3: Vec<f32>,
    /// `[cap][16][5][5]`
    pub s4: Vec<f32>,
    /// `[cap][120]`
    pub c5: Vec<f32>,
    /// `[cap][84]`
    pub f6: Vec<f32>,
    /// `[cap][10]`: RBF distances (classic) or logits (modern).
    pub output: Vec<f32>,
}

impl Maps {
    /// Zeroed buffers for `cap` images of `arch`.
    fn new(arch: Arch, cap: usize) -> Maps {
        let [input, c1, s2, c3, s4, c5, f6, output] = arch.map_lens();
        let v = |len: usize| vec![0.0f32; cap * len];
        Maps {
            input: v(input),
            c1: v(c1),
            s2: v(s2),
            c3: v(c3),
            s4: v(s4),
            c5: v(c5),
            f6: v(f6),
            output: v(output),
        }
    }
}

/// Every buffer one forward + backward pass needs, for up to `cap` images, allocated
/// once and reused: the training loop never allocates.
pub struct Workspace {
    /// The network it is laid out for.
    pub arch: Arch,
    /// Images this workspace can hold.
    pub cap: usize,
    /// Each layer's output (after its activation).
    pub out: Maps,
    /// dE/d(each layer's output); `grad.input` is never formed.
    pub grad: Maps,
    /// C1's padded input of every image, kept for its backward pass.
    pub c1_padded: Vec<f32>,
    /// Scratch of the C3 layer.
    pub c3_scratch: C3Scratch,
    /// im2col scratch of the reference convolution (the SDLM curvature pass).
    pub im2col: Im2col,
}

impl Workspace {
    /// Buffers for `cap` images of `arch`.
    pub fn new(arch: Arch, cap: usize) -> Self {
        Workspace {
            arch,
            cap,
            out: Maps::new(arch, cap),
            grad: Maps::new(arch, cap),
            c1_padded: vec![0.0; c1_padded_len(cap)],
            c3_scratch: C3Scratch::new(cap),
            im2col: match arch {
                Arch::Classic => Im2col::new(&[classic::C1, classic::C3]),
                Arch::Modern => Im2col::new(&[]),
            },
        }
    }
}

/// A LeNet-5: its architecture and parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    pub arch: Arch,
    /// All parameters, laid out as `arch.layout()` says.
    pub params: Vec<f32>,
    /// 0/1 mask over `c3.weight` (classic), empty for modern.
    pub mask: Vec<f32>,
    /// The fixed RBF centres `[10, 84]` (classic), empty for modern.
    pub centres: Vec<f32>,
}

impl Network {
    /// A freshly initialised network (deterministic in `seed`).
    pub fn new(arch: Arch, seed: u64) -> Self {
        let params = match arch {
            Arch::Classic => classic::init(seed),
            Arch::Modern => modern::init(seed),
        };
        Self::from_params(arch, params)
    }

    /// A network around existing parameters (length must match the layout).
    pub fn from_params(arch: Arch, params: Vec<f32>) -> Self {
        assert_eq!(params.len(), arch.layout().total());
        let (mask, centres) = match arch {
            Arch::Classic => (classic::c3_mask(), rbf::centres()),
            Arch::Modern => (vec![], vec![]),
        };
        Network {
            arch,
            params,
            mask,
            centres,
        }
    }

    /// Writes image `s` of the workspace's input from 784 pixels in `[0, 1]`.
    pub fn prepare_input(&self, pixels: &[f32], ws: &mut Workspace, s: usize) {
        self.prepare(pixels.iter().copied(), ws, s);
    }

    /// Writes image `s` of the workspace's input from 784 bytes (0 = background; missing
    /// ones too), scaled to `[0, 1]` on the way, in one pass.
    pub fn prepare_input_u8(&self, pixels: &[u8], ws: &mut Workspace, s: usize) {
        let scale = |&p: &u8| p as f32 * (1.0 / 255.0);
        match pixels.first_chunk::<784>() {
            Some(px) => self.prepare(px.iter().map(scale), ws, s),
            None => self.prepare(pixels.iter().map(scale).chain([0.0; 784]), ws, s),
        }
    }

    /// Image `s` of the workspace's input from 784 pixels in `[0, 1]`, row by row.
    fn prepare(&self, pixels: impl Iterator<Item = f32>, ws: &mut Workspace, s: usize) {
        let len = self.arch.input_len();
        let out = &mut ws.out.input[s * len..(s + 1) * len];
        match self.arch {
            Arch::Classic => classic::prepare_input(pixels, out),
            Arch::Modern => modern::prepare_input(pixels, out),
        }
    }

    /// Forward pass for the first `n` images of `ws.out.input`; outputs in
    /// `ws.out.output`.
    pub fn forward(&self, ws: &mut Workspace, n: usize) {
        assert!(n <= ws.cap && ws.arch == self.arch);
        match self.arch {
            Arch::Classic => {
                classic::forward(&ClassicParams::of(&self.params), &self.centres, ws, n, None)
            }
            Arch::Modern => modern::forward(&ModernParams::of(&self.params), ws, n),
        }
    }

    /// Like [`Network::forward`] when only the outputs are wanted (the same bits in
    /// `ws.out.output`): the modern network skips the unpooled conv outputs
    /// ([`modern::infer`]), so the other layers' buffers are not all written and
    /// [`Network::backward`] needs [`Network::forward`]. `kept`: [`Network::c3_tap_major`]
    /// of these parameters, if the caller keeps it (a [`crate::Model`] does): the call
    /// then skips checking whether C3's weights changed since the workspace's last call.
    pub fn infer(&self, ws: &mut Workspace, n: usize, kept: Option<&C3TapMajor>) {
        assert!(n <= ws.cap && ws.arch == self.arch);
        match self.arch {
            Arch::Classic => {
                classic::forward(&ClassicParams::of(&self.params), &self.centres, ws, n, kept)
            }
            Arch::Modern => modern::infer(&ModernParams::of(&self.params), ws, n, kept),
        }
    }

    /// C3's weights (the modern network's conv2), tap-major as its forward kernels read
    /// them, for [`Network::infer`] with weights that will not change.
    pub fn c3_tap_major(&self) -> C3TapMajor {
        C3TapMajor::of(match self.arch {
            Arch::Classic => ClassicParams::of(&self.params).c3.weight,
            Arch::Modern => ModernParams::of(&self.params).conv2.weight,
        })
    }

    /// Loss of each of the `n` outputs against `labels`, writing `scale · dE/doutput`
    /// into `ws.grad.output`. Returns (sum of losses, number of correct predictions).
    pub fn loss(&self, ws: &mut Workspace, labels: &[u8], scale: f32) -> (f64, usize) {
        let (mut total, mut correct) = (0.0f64, 0);
        for (s, &label) in labels.iter().enumerate() {
            let y = &ws.out.output[s * 10..(s + 1) * 10];
            let d = &mut ws.grad.output[s * 10..(s + 1) * 10];
            let e = match self.arch {
                Arch::Classic => map_loss(y, label as usize, d),
                Arch::Modern => softmax_ce(y, label as usize, d),
            };
            for v in d.iter_mut() {
                *v *= scale;
            }
            total += e as f64;
            correct += (self.predicted(ws, s) == label as usize) as usize;
        }
        (total, correct)
    }

    /// Backward pass from `ws.grad.output`, accumulating parameter gradients into
    /// `grads` (laid out like the parameters).
    pub fn backward(&self, ws: &mut Workspace, n: usize, grads: &mut [f32]) {
        match self.arch {
            Arch::Classic => classic::backward(
                &ClassicParams::of(&self.params),
                &self.centres,
                &self.mask,
                ws,
                n,
                ClassicParams::of_mut(grads),
            ),
            Arch::Modern => modern::backward(
                &ModernParams::of(&self.params),
                ws,
                n,
                ModernParams::of_mut(grads),
            ),
        }
    }

    /// One per-pattern SDLM update (classic network, one image, after
    /// [`Network::forward`] and [`Network::loss`]): `params −= step ⊙ gradient`, with
    /// the fully connected layers updated as their gradients appear (see
    /// [`classic::sdlm_step`]). `g` is scratch space of at least the parameter count.
    pub fn sdlm_step(&mut self, ws: &mut Workspace, step: &[f32], g: &mut [f32]) {
        assert_eq!(self.arch, Arch::Classic, "SDLM trains the classic network");
        classic::sdlm_step(&mut self.params, step, &self.centres, &self.mask, ws, g);
    }

    /// The predicted digit of image `s` after [`Network::forward`]: the nearest RBF
    /// centre (classic) or the largest logit (modern).
    pub fn predicted(&self, ws: &Workspace, s: usize) -> usize {
        let y = &ws.out.output[s * 10..(s + 1) * 10];
        let better = |a: f32, b: f32| match self.arch {
            Arch::Classic => a < b,
            Arch::Modern => a > b,
        };
        (1..10).fold(0, |best, i| if better(y[i], y[best]) { i } else { best })
    }

    /// Class probabilities of image `s`: softmax of the logits (modern) or of the
    /// negated distances (classic, the posterior that eq. 9 trains).
    pub fn scores(&self, ws: &Workspace, s: usize) -> [f32; 10] {
        let y = &ws.out.output[s * 10..(s + 1) * 10];
        let mut z = [0.0f32; 10];
        for (o, &v) in z.iter_mut().zip(y) {
            *o = if self.arch == Arch::Classic { -v } else { v };
        }
        let mut p = [0.0f32; 10];
        softmax(&z, &mut p);
        p
    }
}

#[cfg(test)]
mod tests;
