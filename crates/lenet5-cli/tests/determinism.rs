//! Determinism, proved bit for bit:
//! - the same seed gives bit-identical final weights with 1, 2 and 4 threads, and in two
//!   runs with the same thread count (library and CLI);
//! - a model gives bit-identical predictions batch by batch and one by one.
//!
//! Synthetic data, so it runs without MNIST.

use std::path::Path;
use std::process::{Command, Stdio};

use lenet5::data::Dataset;
use lenet5::data::idx::write_idx;
use lenet5::model::{Arch, Network};
use lenet5::rng::Rng;
use lenet5::train::{OptimKind, RunOptions, TrainConfig, Trainer, checkpoint};
use lenet5::{Model, Prediction};

/// `n` noisy images with a label-dependent stroke.
fn dataset(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::new(seed);
    let mut images = vec![0u8; n * 784];
    let mut labels = vec![0u8; n];
    for i in 0..n {
        let l = (rng.next_u64() % 10) as usize;
        labels[i] = l as u8;
        for (p, v) in images[i * 784..(i + 1) * 784].iter_mut().enumerate() {
            let (y, x) = (p / 28, p % 28);
            let ink = (4..24).contains(&y) && (x as isize - (5 + 2 * l as isize)).abs() <= 1;
            *v = if ink { 200 } else { 0 } + (rng.next_u64() % 50) as u8;
        }
    }
    Dataset {
        images,
        labels,
        rows: 28,
        cols: 28,
    }
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn train(c: &TrainConfig, threads: usize, train: &Dataset, test: &Dataset) -> Vec<f32> {
    let mut t = Trainer::new(c.clone()).unwrap();
    t.run(train, test, &mut RunOptions::quiet(threads)).unwrap();
    t.net.params
}

#[test]
fn final_weights_identical_across_threads_and_runs() {
    let (tr, te) = (dataset(700, 1), dataset(100, 2));
    let mut configs = vec![];
    // Modern, SGD with momentum, mini-batch 64 (4 chunks of 16 per batch, a short tail).
    let mut c = TrainConfig::defaults(Arch::Modern);
    c.epochs = 2;
    configs.push(c.clone());
    // Modern with Adam and a batch that is not a multiple of the chunk.
    c.optim = OptimKind::Adam;
    c.lr = 1e-3;
    c.momentum = 0.0;
    c.batch = 37;
    configs.push(c);
    // Classic: the paper's per-pattern SDLM, and mini-batch SDLM (the parallel path).
    let mut c = TrainConfig::defaults(Arch::Classic);
    c.epochs = 1;
    c.limit = Some(300);
    c.hessian_samples = 100;
    configs.push(c.clone());
    c.batch = 50;
    c.lr = 0.02;
    configs.push(c);
    for c in &configs {
        let what = format!("{} {} batch {}", c.arch, c.optim.name(), c.batch);
        let one = bits(&train(c, 1, &tr, &te));
        // Training moved the weights (identical runs of a no-op would prove nothing).
        let start = bits(&Trainer::new(c.clone()).unwrap().net.params);
        assert_eq!(start.len(), one.len());
        let moved = start.iter().zip(&one).filter(|(a, b)| a != b).count();
        assert!(
            moved * 2 > one.len(),
            "{what}: training changed only {moved} of {} weights",
            one.len()
        );
        for threads in [2, 4] {
            assert!(
                bits(&train(c, threads, &tr, &te)) == one,
                "{what}: weights with {threads} threads differ from 1 thread"
            );
        }
        assert!(
            bits(&train(c, 2, &tr, &te)) == one,
            "{what}: a second run differs"
        );
    }
}

/// The CLI too: `--threads 1` and `--threads 4` write checkpoints with identical tensors.
#[test]
fn cli_threads_do_not_change_the_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (tr, te) = (dataset(400, 3), dataset(64, 4));
    for (name, ds) in [("train", &tr), ("t10k", &te)] {
        let n = ds.len();
        write_idx(
            &dir.join(format!("{name}-images-idx3-ubyte")),
            &[n, 28, 28],
            &ds.images,
            false,
        )
        .unwrap();
        write_idx(
            &dir.join(format!("{name}-labels-idx1-ubyte")),
            &[n],
            &ds.labels,
            false,
        )
        .unwrap();
    }
    let run = |threads: &str, out: &Path| {
        let st = Command::new(env!("CARGO_BIN_EXE_lenet5"))
            .env_remove("LENET5_DATA")
            .args([
                "train", "--arch", "modern", "--epochs", "2", "--batch", "40",
            ])
            .args(["--no-download", "--quiet", "--threads", threads, "--data"])
            .arg(dir)
            .arg("--out")
            .arg(out)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        checkpoint::load(out).unwrap()
    };
    let a = run("1", &dir.join("t1.safetensors"));
    let b = run("4", &dir.join("t4.safetensors"));
    assert!(bits(&a.params) == bits(&b.params), "weights differ");
    assert_eq!(a.optim.len(), b.optim.len(), "optimiser buffers");
    assert!(!a.optim.is_empty(), "SGD with momentum keeps a velocity");
    for ((_, x), (_, y)) in a.optim.iter().zip(&b.optim) {
        assert!(bits(x) == bits(y), "optimiser state differs");
    }
}

fn same(a: &Prediction, b: &Prediction) -> bool {
    a.digit == b.digit && bits(&a.outputs) == bits(&b.outputs) && bits(&a.scores) == bits(&b.scores)
}

/// Batched inference is bit-identical to one image at a time, for every batch size
/// (including sizes that cross the 64-image internal chunk and GEMM block edges).
///
/// Why it holds by design: the convolutions run per image (im2col + GEMM on one image,
/// whatever the batch), and in the fully connected layers' GEMM every output element is
/// one row of the input times one column of the weights, accumulated in the same k order
/// by the same micro-kernel whether the row sits in a full MR-row tile or in a padded edge
/// tile (matrixmultiply packs rows into zero-padded panels; alpha = 1 and the bias is the
/// C operand added once), so the number of rows in the batch never changes a bit.
#[test]
fn batch_predictions_equal_one_by_one_bit_for_bit() {
    let ds = dataset(300, 5);
    let imgs: Vec<[u8; 784]> = (0..ds.len())
        .map(|i| ds.image(i).try_into().unwrap())
        .collect();
    for arch in [Arch::Classic, Arch::Modern] {
        let m = Model::from_network(Network::new(arch, 11));
        let single: Vec<Prediction> = imgs.iter().map(|p| m.forward_28x28(p)).collect();
        for n in [1, 2, 3, 7, 8, 15, 16, 17, 63, 64, 65, 129, 300] {
            let batch = m.forward_batch_28x28(&imgs[..n]);
            assert_eq!(batch.len(), n);
            for (k, (b, s)) in batch.iter().zip(&single).enumerate() {
                assert!(
                    same(b, s),
                    "{arch}: image {k} in a batch of {n} differs from one by one:\n{b:?}\n{s:?}"
                );
            }
        }
        // And the same image at different positions of a batch.
        let rep = vec![imgs[0]; 70];
        for p in m.forward_batch_28x28(&rep) {
            assert!(
                same(&p, &single[0]),
                "{arch}: position in the batch matters"
            );
        }
    }
}
