//! End-to-end training on real MNIST (`lenet5_testkit::mnist`).
//! Run in release mode: `cargo test --release`.

use std::path::PathBuf;

use lenet5::data::mnist::{self, Mnist};
use lenet5::model::Arch;
use lenet5::train::{RunOptions, TrainConfig, Trainer, checkpoint};

fn data() -> Option<Mnist> {
    let dir = lenet5_testkit::mnist()?;
    Some(mnist::load(&dir).expect("MNIST loads"))
}

fn opts(threads: usize, out: Option<PathBuf>) -> RunOptions {
    RunOptions {
        out,
        ..RunOptions::quiet(threads)
    }
}

#[test]
fn modern_one_epoch_reaches_98_percent() {
    let Some(d) = data() else { return };
    // One epoch of the default recipe (SGD, cosine over 1 epoch) gives 97.96 %; Adam at
    // batch 32 learns faster in a single pass (98.62 % measured):
    // `lenet5 train --arch modern --epochs 1 --optim adam --lr 3e-3 --batch 32`.
    let mut c = TrainConfig::defaults(Arch::Modern);
    c.epochs = 1;
    c.optim = lenet5::train::OptimKind::Adam;
    c.lr = 3e-3;
    c.batch = 32;
    c.momentum = 0.0;
    let mut t = Trainer::new(c).unwrap();
    t.run(&d.train, &d.test, &mut opts(2, None)).unwrap();
    let m = t.history.last().unwrap();
    eprintln!("modern, 1 epoch: test accuracy {:.2}%", 100.0 * m.test_acc);
    assert!(m.test_acc >= 0.98, "test accuracy {:.4}", m.test_acc);
}

/// The paper's recipe (per-pattern SDLM, ε = 0.0005, 500-pattern curvature): we
/// measure 2.38 % test error after one pass and 1.95 % after three, so the ≤ 2 %
/// bound is asserted after pass 3 and one pass must already be under 3 %.
#[test]
fn classic_sdlm_passes_reach_2_percent_error() {
    let Some(d) = data() else { return };
    let mut c = TrainConfig::defaults(Arch::Classic);
    c.epochs = 20;
    let mut t = Trainer::new(c).unwrap();
    let mut o = opts(1, None);
    o.stop_after = Some(3);
    t.run(&d.train, &d.test, &mut o).unwrap();
    let err: Vec<f64> = t.history.iter().map(|m| 1.0 - m.test_acc).collect();
    eprintln!("classic, SDLM passes 1-3: test error {:?}", err);
    assert!(err[0] <= 0.03, "pass 1 test error {:.4}", err[0]);
    assert!(err[2] <= 0.02, "pass 3 test error {:.4}", err[2]);
}

/// The same seed gives bit-identical weights with 1 and 2 threads (mini-batches are
/// cut into fixed chunks and reduced in order), for both architectures.
#[test]
fn weights_do_not_depend_on_thread_count() {
    let Some(d) = data() else { return };
    for arch in [Arch::Modern, Arch::Classic] {
        let mut c = TrainConfig::defaults(arch);
        c.epochs = 1;
        c.limit = Some(3000);
        if arch == Arch::Classic {
            // Mini-batch SDLM exercises the parallel path for the classic network too.
            c.batch = 50;
            c.lr = 0.02;
        }
        let run = |threads| {
            let mut t = Trainer::new(c.clone()).unwrap();
            t.run(&d.train, &d.test, &mut opts(threads, None)).unwrap();
            t.net.params
        };
        let (a, b, e) = (run(1), run(2), run(3));
        assert!(
            a == b && b == e,
            "{arch}: weights differ between thread counts"
        );
    }
}

/// Training gives bit-identical weights on the AVX-512 and the AVX2 + FMA back ends (the
/// kernels keep every output's summation order, lanes being different outputs), for
/// both architectures and for per-pattern and mini-batch SDLM; 2 threads (the workers
/// take over the forced back end). Skipped on a CPU without both.
#[test]
fn weights_are_the_same_on_avx2_and_avx512() {
    use lenet5::kernels::simd::{Kind, with_backend};
    let Some(d) = data() else { return };
    if !(Kind::Avx2.available() && Kind::Avx512.available()) {
        eprintln!("note: skipped, this CPU does not have both AVX2 and AVX-512");
        return;
    }
    for (arch, batch) in [
        (Arch::Modern, None),
        (Arch::Classic, None),
        (Arch::Classic, Some(50)),
    ] {
        let mut c = TrainConfig::defaults(arch);
        c.epochs = 1;
        c.limit = Some(1500);
        if let Some(b) = batch {
            c.batch = b;
            c.lr = 0.02;
        }
        let run = |kind| {
            with_backend(kind, || {
                let mut t = Trainer::new(c.clone()).unwrap();
                t.run(&d.train, &d.test, &mut opts(2, None)).unwrap();
                t.net.params
            })
            .unwrap()
        };
        let (a, b) = (run(Kind::Avx2), run(Kind::Avx512));
        assert!(
            a == b,
            "{arch} (batch {batch:?}): weights differ between avx2 and avx512"
        );
        // The portable back end rounds its multiply-adds twice: a different computation,
        // so the comparison above is one that can fail.
        assert!(
            run(Kind::Portable) != a,
            "{arch}: portable gave the same weights"
        );
    }
}

/// A run resumed from its epoch-1 checkpoint ends bit-identical to the straight run.
#[test]
fn resumed_run_equals_uninterrupted_run() {
    let Some(d) = data() else { return };
    let dir = tempfile::tempdir().unwrap();
    for (arch, optim) in [
        (Arch::Modern, None),
        (Arch::Modern, Some(lenet5::train::OptimKind::Adam)),
        (Arch::Classic, None),
    ] {
        let mut c = TrainConfig::defaults(arch);
        c.epochs = 2;
        c.limit = Some(2000);
        if let Some(o) = optim {
            c.optim = o;
            c.lr = 1e-3;
            c.momentum = 0.0;
        }
        let mut straight = Trainer::new(c.clone()).unwrap();
        straight.run(&d.train, &d.test, &mut opts(2, None)).unwrap();

        let path = dir.path().join(format!("{arch}.safetensors"));
        let mut t = Trainer::new(c.clone()).unwrap();
        let mut interrupted = opts(2, Some(path.clone()));
        interrupted.stop_after = Some(1);
        t.run(&d.train, &d.test, &mut interrupted).unwrap();
        let mut resumed = Trainer::resume(checkpoint::load(&path).unwrap(), None).unwrap();
        assert_eq!(resumed.epoch, 1);
        resumed
            .run(&d.train, &d.test, &mut opts(2, Some(path.clone())))
            .unwrap();
        assert!(
            straight.net.params == resumed.net.params,
            "{arch} {optim:?}: resumed weights differ"
        );
        assert_eq!(straight.history.len(), resumed.history.len());
        let log = std::fs::read_to_string(lenet5::train::metrics_path(&path)).unwrap();
        assert_eq!(log.lines().count(), 2, "metrics log has one line per epoch");
    }
}

#[test]
fn datasets_are_recognised_by_content() {
    if let Some(d) = data() {
        assert_eq!(d.identify(), Some(mnist::KnownDataset::Mnist));
    }
    let fashion = std::path::Path::new("/usr/share/datasets/fashion-mnist");
    if fashion.exists() {
        let f = mnist::load(fashion).unwrap();
        assert_eq!(f.identify(), Some(mnist::KnownDataset::FashionMnist));
        assert_eq!(f.identify().unwrap().class_names()[9], "Ankle boot");
    } else {
        lenet5_testkit::skip(
            "fashion",
            "no Fashion-MNIST in /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist)",
        );
    }
}
