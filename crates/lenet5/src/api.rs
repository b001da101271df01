//! The embedding API: load a trained LeNet-5 and recognise digits.
//!
//! ```no_run
//! # fn main() -> lenet5::Result<()> {
//! let model = lenet5::Model::load("lenet5-classic.safetensors")?;
//! let img = lenet5::data::image::load_image("digit.png".as_ref())?;
//! let p = model.predict(&img);
//! println!("digit {} with confidence {:.2}", p.digit, p.confidence());
//! # Ok(()) }
//! ```

use std::path::Path;

use crate::data::image::{DynamicImage, Preprocessed, preprocess};
use crate::error::{Error, Result};
use crate::model::{Arch, Network, Workspace};
use crate::nn::conv::C3TapMajor;
use crate::train::checkpoint;

/// What the network says about one image.
#[derive(Clone, Debug, PartialEq)]
pub struct Prediction {
    /// The recognised digit.
    pub digit: u8,
    /// Class probabilities (sum 1): softmax of the logits (modern) or of the negated
    /// RBF distances (classic).
    pub scores: [f32; 10],
    /// The raw outputs: RBF distances (classic, smaller = closer) or logits (modern).
    pub outputs: [f32; 10],
}

impl Prediction {
    /// The probability of the predicted digit.
    pub fn confidence(&self) -> f32 {
        self.scores[self.digit as usize]
    }
    /// The `k` most likely digits with their probabilities, best first.
    pub fn top(&self, k: usize) -> Vec<(u8, f32)> {
        let mut v: Vec<(u8, f32)> = (0..10u8).map(|d| (d, self.scores[d as usize])).collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        v.truncate(k);
        v
    }
}

/// Predictions whose probability is below this are flagged as low confidence (by
/// `lenet5 predict`, the server and the page). Measured on 4,560 digits rendered from
/// fonts (not MNIST, `examples/font_accuracy.rs`): a 10-epoch modern model put 26
/// predictions below it, 24 of them wrong, and got all 4,534 above it right; a 2-epoch
/// one is wrong on 10 % of those below and 2 % of those above. The classic network's
/// probabilities (softmax of negated RBF distances) are sharper: the bundled model puts
/// none below it.
pub const LOW_CONFIDENCE: f32 = 0.6;

/// What the network made of one picture: its answer and the 28x28 it saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Recognition {
    /// The network's answer (meaningless when [`Recognition::blank`]).
    pub prediction: Prediction,
    /// The 28x28 image the network saw, and what preprocessing found.
    pub input: Preprocessed,
}

impl Recognition {
    /// No ink was found: there is no digit to recognise.
    pub fn blank(&self) -> bool {
        self.input.blank
    }
    /// The predicted digit, or `None` for a blank image.
    pub fn digit(&self) -> Option<u8> {
        (!self.blank()).then_some(self.prediction.digit)
    }
    /// The network is unsure: the best probability is under [`LOW_CONFIDENCE`].
    pub fn low_confidence(&self) -> bool {
        !self.blank() && self.prediction.confidence() < LOW_CONFIDENCE
    }
}

/// Every layer's output for one image (see [`crate::model::Maps`]: maps row-major, `c1`
/// is 6 maps of 28x28, and so on; `output` the RBF distances or logits).
pub type Activations = crate::model::Maps;

/// A trained network, ready to recognise digits. Cheap to share between threads
/// (`&Model` is `Sync`; every call uses its own small workspace).
#[derive(Clone, Debug)]
pub struct Model {
    net: Network,
    /// Trained on the pieces the number reader cuts, bad cuts as "not a digit".
    knows_bad_cuts: bool,
    /// C3's weights as its forward kernels read them, made once (`net` never changes).
    c3: C3TapMajor,
}

impl Model {
    /// Loads a checkpoint written by `lenet5 train` (verified: checksum, shapes).
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        Ok(Model::from_checkpoint(&checkpoint::load(path.as_ref())?))
    }

    /// Loads a checkpoint held in memory (e.g. one compiled in with `include_bytes!`);
    /// `name` is what error messages call it. Verified like [`Model::load`].
    pub fn from_checkpoint_bytes(bytes: &[u8], name: &str) -> Result<Model> {
        Ok(Model::from_checkpoint(&checkpoint::from_bytes(
            bytes,
            Path::new(name),
        )?))
    }

    /// The network of a checkpoint, and what its recipe says about it.
    pub fn from_checkpoint(ckpt: &checkpoint::Checkpoint) -> Model {
        Model {
            knows_bad_cuts: ckpt.config.as_ref().is_some_and(|c| c.pieces.is_some()),
            ..Model::from_network(ckpt.network())
        }
    }

    /// Whether the network was trained on the pieces the number reader cuts, bad cuts as
    /// "not a digit" (`lenet5 train --pieces`, the bundled reader): then a reading can
    /// weigh its rivals ([`crate::read::search::rival_margin`]); for other networks a
    /// badly cut rival reading often costs little, and the margin would mislead.
    pub fn knows_bad_cuts(&self) -> bool {
        self.knows_bad_cuts
    }

    /// Reads an image file (PNG, JPEG, BMP or PGM) and recognises the digit in it:
    /// [`crate::data::image::load_image`] then [`Model::predict`]. Errors name the file.
    pub fn predict_file(&self, path: impl AsRef<Path>) -> Result<Prediction> {
        Ok(self.predict(&crate::data::image::load_image(path.as_ref())?))
    }

    /// Wraps a network.
    pub fn from_network(net: Network) -> Model {
        Model {
            c3: net.c3_tap_major(),
            net,
            knows_bad_cuts: false,
        }
    }

    /// The network inside.
    pub fn network(&self) -> &Network {
        &self.net
    }

    /// Classic or modern.
    pub fn arch(&self) -> Arch {
        self.net.arch
    }

    /// Predictions for the `n` prepared images of `ws` ([`Network::infer`]; with
    /// `all_layers`, [`Network::forward`], which also fills every layer's buffer).
    fn run(&self, ws: &mut Workspace, n: usize, all_layers: bool) -> Vec<Prediction> {
        if all_layers {
            self.net.forward(ws, n);
        } else {
            self.net.infer(ws, n, Some(&self.c3));
        }
        (0..n)
            .map(|s| {
                let mut outputs = [0.0f32; 10];
                outputs.copy_from_slice(&ws.out.output[s * 10..(s + 1) * 10]);
                Prediction {
                    digit: self.net.predicted(ws, s) as u8,
                    scores: self.net.scores(ws, s),
                    outputs,
                }
            })
            .collect()
    }

    /// Recognises one MNIST-style image: 28x28 bytes, white ink (255) on black (0).
    pub fn forward_28x28(&self, pixels: &[u8; 784]) -> Prediction {
        with_workspace(self.net.arch, 1, |ws| {
            self.net.prepare_input_u8(pixels, ws, 0);
            self.run(ws, 1, false).remove(0)
        })
    }

    /// Recognises many MNIST-style images (batched, chunks spread over the rayon
    /// threads; same results as one by one).
    pub fn forward_batch_28x28(&self, images: &[[u8; 784]]) -> Vec<Prediction> {
        self.forward_batch(images)
    }

    /// The prediction and every layer's activations for one 28x28 image.
    pub fn explain_28x28(&self, pixels: &[u8; 784]) -> (Prediction, Activations) {
        self.explain(pixels)
    }

    /// Like [`Model::forward_batch_28x28`], the pixels given as floats in `[0, 1]` (white
    /// ink 1.0 on black 0.0), fed to the same normalisation ([`Network::prepare_input`]).
    pub fn forward_batch_f32(&self, images: &[[f32; 784]]) -> Vec<Prediction> {
        self.forward_batch(images)
    }

    /// Like [`Model::explain_28x28`], the pixels given as floats in `[0, 1]`.
    pub fn explain_f32(&self, pixels: &[f32; 784]) -> (Prediction, Activations) {
        self.explain(pixels)
    }

    fn forward_batch<P: Pixels>(&self, images: &[P]) -> Vec<Prediction> {
        const CHUNK: usize = 32;
        let cap = CHUNK.min(images.len().max(1));
        let parts = crate::parallel::map_chunks(images, CHUNK, |chunk| {
            with_workspace(self.net.arch, cap, |ws| {
                for (s, img) in chunk.iter().enumerate() {
                    img.prepare(&self.net, ws, s);
                }
                self.run(ws, chunk.len(), false)
            })
        });
        parts.into_iter().flatten().collect()
    }

    fn explain<P: Pixels>(&self, pixels: &P) -> (Prediction, Activations) {
        let mut ws = Workspace::new(self.net.arch, 1);
        pixels.prepare(&self.net, &mut ws, 0);
        let p = self.run(&mut ws, 1, true).remove(0);
        (p, ws.out)
    }

    /// Recognises a picture of any size: MNIST-style preprocessing (see
    /// [`crate::data::image`]) then [`Model::forward_28x28`].
    pub fn predict(&self, img: &DynamicImage) -> Prediction {
        self.forward_28x28(&preprocess(img).pixels)
    }

    /// Like [`Model::predict`], also returning the preprocessed 28x28 the network saw.
    pub fn predict_with_input(&self, img: &DynamicImage) -> (Prediction, Preprocessed) {
        let pre = preprocess(img);
        (self.forward_28x28(&pre.pixels), pre)
    }

    /// Recognises a picture: the prediction and the 28x28 it was made from, with the
    /// blank and low-confidence verdicts.
    pub fn recognise(&self, img: &DynamicImage) -> Recognition {
        let (prediction, input) = self.predict_with_input(img);
        Recognition { prediction, input }
    }

    /// Recognises several pictures.
    pub fn predict_batch(&self, imgs: &[DynamicImage]) -> Vec<Prediction> {
        let pre: Vec<[u8; 784]> = imgs.iter().map(|i| preprocess(i).pixels).collect();
        self.forward_batch_28x28(&pre)
    }

    /// Checks that `n` bytes can be an MNIST-style image.
    pub fn pixels_from_slice(bytes: &[u8]) -> Result<[u8; 784]> {
        bytes
            .try_into()
            .map_err(|_| Error::Usage(format!("expected 784 pixels (28x28), got {}", bytes.len())))
    }
}

/// A 28x28 image in one of the two forms the model takes: bytes (0-255) or floats in
/// `[0, 1]`; both white ink on black.
trait Pixels: Sync {
    /// Writes this image into slot `s` of the workspace's input.
    fn prepare(&self, net: &Network, ws: &mut Workspace, s: usize);
}

impl Pixels for [u8; 784] {
    fn prepare(&self, net: &Network, ws: &mut Workspace, s: usize) {
        net.prepare_input_u8(self, ws, s);
    }
}

impl Pixels for [f32; 784] {
    fn prepare(&self, net: &Network, ws: &mut Workspace, s: usize) {
        net.prepare_input(self, ws, s);
    }
}

/// Runs `f` on this thread's workspace for `arch` holding at least `cap` images, made
/// once and reused by every later call: a fresh workspace per call costs more than the
/// forward pass at small batches (a 32-image one is over a megabyte of zeroed pages).
fn with_workspace<R>(arch: Arch, cap: usize, f: impl FnOnce(&mut Workspace) -> R) -> R {
    thread_local! {
        static WS: std::cell::RefCell<Vec<Workspace>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    WS.with(|cell| {
        let mut cache = cell.borrow_mut();
        let i = match cache.iter().position(|w| w.arch == arch && w.cap >= cap) {
            Some(i) => i,
            None => {
                cache.retain(|w| w.arch != arch);
                cache.push(Workspace::new(arch, cap));
                cache.len() - 1
            }
        };
        f(&mut cache[i])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_model_loads_and_is_classic() {
        let m = Model::bundled(Arch::Classic);
        assert_eq!(m.arch(), Arch::Classic);
        // The network itself answers anything, an empty field too (the bundled model
        // says 1 with p = 0.94): the scores are a distribution, nothing more.
        let p = m.forward_28x28(&[0u8; 784]);
        assert!(p.scores.iter().all(|s| s.is_finite() && *s >= 0.0));
        assert!((p.scores.iter().sum::<f32>() - 1.0).abs() < 1e-4);
        // So a blank picture is caught before the network: no answer at all, and not
        // reported as an unsure one.
        let white = DynamicImage::ImageLuma8(crate::data::image::GrayImage::from_pixel(
            60,
            40,
            ::image::Luma([255]),
        ));
        let r = m.recognise(&white);
        assert!(r.blank() && r.digit().is_none() && !r.low_confidence());
    }

    #[test]
    fn float_pixels_give_what_the_bytes_they_come_from_give() {
        for arch in [Arch::Classic, Arch::Modern] {
            let m = Model::from_network(Network::new(arch, 3));
            let bytes: Vec<[u8; 784]> = (0..40u32)
                .map(|k| std::array::from_fn(|i| ((i as u32 * 11 + k * 29) % 256) as u8))
                .collect();
            let floats: Vec<[f32; 784]> = bytes
                .iter()
                .map(|b| b.map(|p| p as f32 * (1.0 / 255.0)))
                .collect();
            assert_eq!(m.forward_batch_f32(&floats), m.forward_batch_28x28(&bytes));
            assert_eq!(m.explain_f32(&floats[7]), m.explain_28x28(&bytes[7]));
        }
    }

    #[test]
    fn batch_equals_one_by_one_and_scores_sum_to_one() {
        for arch in [Arch::Classic, Arch::Modern] {
            let m = Model::from_network(Network::new(arch, 4));
            let imgs: Vec<[u8; 784]> = (0..70u32)
                .map(|k| std::array::from_fn(|i| ((i as u32 * 7 + k * 13) % 256) as u8))
                .collect();
            let batch = m.forward_batch_28x28(&imgs);
            assert_eq!(batch.len(), imgs.len(), "{arch}: one prediction per image");
            for (img, b) in imgs.iter().zip(&batch) {
                let one = m.forward_28x28(img);
                assert_eq!(one.digit, b.digit);
                for k in 0..10 {
                    assert!(
                        (one.outputs[k] - b.outputs[k]).abs()
                            <= 1e-4 * one.outputs[k].abs().max(1.0)
                    );
                }
                let s: f32 = one.scores.iter().sum();
                assert!((s - 1.0).abs() < 1e-4);
                assert_eq!(one.top(1)[0].0, one.digit);
            }
        }
    }
}
