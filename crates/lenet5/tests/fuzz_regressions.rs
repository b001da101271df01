//! Every input a fuzzer ever found a problem with (fuzz/regressions/<target>/), and
//! every seed (fuzz/seeds/<target>/), run through exactly the checks the engine's fuzz
//! targets make (fuzz/src/engine.rs is compiled into this test), so a fixed bug stays
//! fixed without cargo-fuzz. Plus the findings of the audit of outside data. The
//! `predict_body` target's inputs are replayed by the server's tests
//! (crates/lenet5-serve/tests/fuzz_predict_body.rs).

#[path = "../../../fuzz/src/engine.rs"]
#[allow(dead_code)]
mod checks;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lenet5::data::augment::Augment;
use lenet5::model::{Arch, Network};
use lenet5::train::{Checkpoint, TrainConfig, Trainer};

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = vec![];
    for kind in ["regressions", "seeds"] {
        if let Ok(rd) = std::fs::read_dir(fuzz.join(kind).join(target)) {
            files.extend(rd.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
        }
    }
    files.sort();
    files
}

/// Runs `check` on every input of `target`; each must pass within a few seconds
/// (release; debug builds get more).
fn replay(target: &str, check: fn(&[u8])) {
    let files = inputs(target);
    assert!(!files.is_empty(), "no seeds for {target}");
    let limit = Duration::from_secs(if cfg!(debug_assertions) { 120 } else { 10 });
    for f in files {
        let bytes = std::fs::read(&f).unwrap();
        let start = Instant::now();
        check(&bytes);
        assert!(
            start.elapsed() < limit,
            "{}: took {:?}",
            f.display(),
            start.elapsed()
        );
    }
}

#[test]
fn idx_inputs() {
    replay("idx", checks::check_idx);
}

#[test]
fn idx_gzip_inputs() {
    replay("idx_gzip", checks::check_idx_gzip);
}

#[test]
fn checkpoint_inputs() {
    replay("checkpoint", checks::check_checkpoint);
}

#[test]
fn image_inputs() {
    replay("image", checks::check_image);
}

/// Audit: a checkpoint's training configuration is outside data. Values that would
/// blow up when training resumes (a 1e30 elastic sigma is a kernel of 6e30 taps, a
/// NaN momentum poisons every weight) are refused by `Trainer::resume`.
#[test]
fn resume_refuses_absurd_configuration() {
    let net = Network::new(Arch::Modern, 1);
    let bad: [fn(&mut TrainConfig); 5] = [
        |c| {
            c.augment = Augment::Elastic {
                sigma: 1e30,
                alpha: 34.0,
            }
        },
        |c| {
            c.augment = Augment::Elastic {
                sigma: f32::NAN,
                alpha: 34.0,
            }
        },
        |c| {
            c.augment = Augment::Affine {
                shift: f32::INFINITY,
                scale: 0.1,
                squeeze: 0.1,
                shear: 0.2,
                rotate: 8.0,
            }
        },
        |c| c.momentum = f32::NAN,
        |c| c.weight_decay = f32::INFINITY,
    ];
    for (i, f) in bad.iter().enumerate() {
        let mut ck = Checkpoint::from_network(&net);
        let mut c = TrainConfig::defaults(Arch::Modern);
        f(&mut c);
        ck.config = Some(c);
        ck.optim = vec![("velocity".into(), vec![0.0; net.params.len()])];
        let e = Trainer::resume(ck, None)
            .err()
            .unwrap_or_else(|| panic!("case {i} accepted"));
        assert!(!e.to_string().contains('\n'));
    }
}

/// Audit: images that are not 28x28 are refused, not silently cropped or padded.
#[test]
fn trainer_refuses_images_that_are_not_28x28() {
    let ds = lenet5::data::Dataset {
        images: vec![0; 10 * 16],
        labels: vec![1; 10],
        rows: 4,
        cols: 4,
    };
    let mut t = Trainer::new(TrainConfig::defaults(Arch::Modern)).unwrap();
    let e = t
        .run(&ds, &ds, &mut lenet5::train::RunOptions::quiet(1))
        .unwrap_err();
    assert!(e.to_string().contains("4x4"), "{e}");
}

/// Audit: counters from a checkpoint at their maximum (Adam's step, the epoch count)
/// neither overflow nor panic when training resumes.
#[test]
fn resume_with_extreme_counters() {
    let ds = lenet5::data::Dataset {
        images: vec![0; 20 * 784],
        labels: (0..20).map(|i| i % 10).collect(),
        rows: 28,
        cols: 28,
    };
    let net = Network::new(Arch::Modern, 1);
    let mut ck = Checkpoint::from_network(&net);
    let mut c = TrainConfig::defaults(Arch::Modern);
    c.optim = lenet5::train::OptimKind::Adam;
    c.lr = 1e-3;
    c.momentum = 0.0;
    c.epochs = usize::MAX;
    ck.config = Some(c);
    ck.adam_t = u64::MAX;
    ck.optim = vec![
        ("m".into(), vec![0.0; net.params.len()]),
        ("v".into(), vec![0.0; net.params.len()]),
    ];
    let mut t = Trainer::resume(ck, None).unwrap();
    let mut opts = lenet5::train::RunOptions::quiet(1);
    opts.stop_after = Some(1);
    t.run(&ds, &ds, &mut opts).unwrap();
    assert!(t.net.params.iter().all(|v| v.is_finite()));
}
