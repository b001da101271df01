//! The two networks, their parameters and a reusable workspace.
//!
//! [`Network`] owns the flat parameter vector; [`Workspace`] owns every activation and
//! gradient buffer for up to `cap` images, allocated once and reused, so the training
//! loop never allocates.

pub mod classic;
pub mod modern;
pub mod params;
pub mod summary;

use crate::nn::conv::{C2Scratch, c1_scratch_len};
use crate::nn::loss::{map_loss, softmax, softmax_ce};
use crate::nn::rbf;
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
        match self {
            Arch::Classic => 1024,
            Arch::Modern => 784,
        }
    }
}

impl std::fmt::Display for Arch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Every buffer one forward + backward pass needs, for up to `cap` images.
/// `aK` is the output of stage K (after its activation), `dK` its gradient:
/// a0 input, a1 C1, a2 S2, a3 C3, a4 S4, a5 C5, a6 F6, a7 output (10).
pub struct Workspace {
    /// The network it is laid out for.
    pub arch: Arch,
    /// Images this workspace can hold.
    pub cap: usize,
    pub a0: Vec<f32>,
    pub a1: Vec<f32>,
    pub a2: Vec<f32>,
    pub a3: Vec<f32>,
    pub a4: Vec<f32>,
    pub a5: Vec<f32>,
    pub a6: Vec<f32>,
    pub a7: Vec<f32>,
    pub d1: Vec<f32>,
    pub d2: Vec<f32>,
    pub d3: Vec<f32>,
    pub d4: Vec<f32>,
    pub d5: Vec<f32>,
    pub d6: Vec<f32>,
    pub d7: Vec<f32>,
    /// im2col scratch and its gradient for the reference conv path (the SDLM
    /// curvature pass): `[cin·25, ho·wo]`, the larger of the two convs.
    pub col: Vec<f32>,
    pub dcol: Vec<f32>,
    /// The padded C1 input of every image: `[cap][XP_LEN]` (kept for C1's backward pass).
    pub xp: Vec<f32>,
    /// Scratch of the C3 / conv2 layer.
    pub c2: C2Scratch,
    pub(crate) lens12: [usize; 12],
    pub(crate) lens10: [usize; 10],
}

impl Workspace {
    /// Buffers for `cap` images of `arch`.
    pub fn new(arch: Arch, cap: usize) -> Self {
        let v = |k: usize| vec![0.0f32; cap * k];
        let (lens12, lens10) = match arch {
            Arch::Classic => (classic::layout().lens(), [0; 10]),
            Arch::Modern => ([0; 12], modern::layout().lens()),
        };
        Workspace {
            arch,
            cap,
            a0: v(arch.input_len()),
            a1: v(6 * 28 * 28),
            a2: v(6 * 14 * 14),
            a3: v(16 * 10 * 10),
            a4: v(400),
            a5: v(120),
            a6: v(84),
            a7: v(10),
            d1: v(6 * 28 * 28),
            d2: v(6 * 14 * 14),
            d3: v(16 * 10 * 10),
            d4: v(400),
            d5: v(120),
            d6: v(84),
            d7: v(10),
            col: vec![0.0; 25 * 784],
            dcol: vec![0.0; 25 * 784],
            xp: vec![0.0; c1_scratch_len(cap)],
            c2: C2Scratch::new(cap),
            lens12,
            lens10,
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
        let len = self.arch.input_len();
        let out = &mut ws.a0[s * len..(s + 1) * len];
        match self.arch {
            Arch::Classic => classic::prepare_input(pixels, out),
            Arch::Modern => modern::prepare_input(pixels, out),
        }
    }

    /// Writes image `s` of the workspace's input from 784 bytes (0 = background).
    pub fn prepare_input_u8(&self, pixels: &[u8], ws: &mut Workspace, s: usize) {
        let mut f = [0.0f32; 784];
        for (o, &p) in f.iter_mut().zip(pixels) {
            *o = p as f32 * (1.0 / 255.0);
        }
        self.prepare_input(&f, ws, s);
    }

    /// Forward pass for the first `n` images of `ws.a0`; outputs in `ws.a7`.
    pub fn forward(&self, ws: &mut Workspace, n: usize) {
        assert!(n <= ws.cap);
        match self.arch {
            Arch::Classic => classic::forward(&self.params, &self.centres, ws, n),
            Arch::Modern => modern::forward(&self.params, ws, n),
        }
    }

    /// Loss of each of the `n` outputs against `labels`, writing `scale · dE/doutput`
    /// into `ws.d7`. Returns (sum of losses, number of correct predictions).
    pub fn loss(&self, ws: &mut Workspace, labels: &[u8], scale: f32) -> (f64, usize) {
        let (mut total, mut correct) = (0.0f64, 0);
        for (s, &label) in labels.iter().enumerate() {
            let y = &ws.a7[s * 10..(s + 1) * 10];
            let d = &mut ws.d7[s * 10..(s + 1) * 10];
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

    /// Backward pass from `ws.d7`, accumulating parameter gradients into `grads`.
    pub fn backward(&self, ws: &mut Workspace, n: usize, grads: &mut [f32]) {
        match self.arch {
            Arch::Classic => {
                classic::backward(&self.params, &self.centres, &self.mask, ws, n, grads)
            }
            Arch::Modern => modern::backward(&self.params, ws, n, grads),
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
        let y = &ws.a7[s * 10..(s + 1) * 10];
        let better = |a: f32, b: f32| match self.arch {
            Arch::Classic => a < b,
            Arch::Modern => a > b,
        };
        (1..10).fold(0, |best, i| if better(y[i], y[best]) { i } else { best })
    }

    /// Class probabilities of image `s`: softmax of the logits (modern) or of the
    /// negated distances (classic, the posterior that eq. 9 trains).
    pub fn scores(&self, ws: &Workspace, s: usize) -> [f32; 10] {
        let y = &ws.a7[s * 10..(s + 1) * 10];
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
