//! Crash-safe training, end to end through the real binary: `lenet5 train` is killed
//! with SIGKILL in the middle of an epoch and in the middle of writing a checkpoint
//! (between writing the temporary file and renaming it, held open by the test-only
//! `LENET5_TEST_PAUSE_IN_SAVE` hook). After every kill the checkpoint on disk must be
//! complete and loadable (never torn), `--resume` must continue, and the final weights
//! and optimiser state must be bit-identical to an uninterrupted run with the same seed.
//!
//! The data is a small synthetic MNIST-format set written by the test, so this runs
//! anywhere in a few seconds (release).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use lenet5::data::idx::write_idx;
use lenet5::rng::Rng;
use lenet5::train::{Checkpoint, checkpoint};

const TRAIN: usize = 1200;
const TEST: usize = 200;

/// Four MNIST files of blurry digit-like blobs (a bar and a dot whose positions depend
/// on the label, plus noise): enough to train on, deterministic, small.
fn synthetic_mnist(dir: &Path) {
    let mut rng = Rng::new(42);
    let mut make = |n: usize| {
        let mut images = vec![0u8; n * 784];
        let mut labels = vec![0u8; n];
        for i in 0..n {
            let l = (rng.next_u64() % 10) as usize;
            labels[i] = l as u8;
            let img = &mut images[i * 784..(i + 1) * 784];
            for y in 4..24 {
                for x in 4..24 {
                    let bar = (x as isize - (6 + 2 * l as isize)).abs() <= 1;
                    let dot =
                        (y as isize - (5 + 2 * l as isize)).abs() <= 1 && (12..16).contains(&x);
                    let noise = (rng.next_u64() % 40) as u8;
                    img[y * 28 + x] = if bar || dot { 215 + noise } else { noise };
                }
            }
        }
        (images, labels)
    };
    let (ti, tl) = make(TRAIN);
    let (si, sl) = make(TEST);
    write_idx(
        &dir.join("train-images-idx3-ubyte"),
        &[TRAIN, 28, 28],
        &ti,
        false,
    )
    .unwrap();
    write_idx(&dir.join("train-labels-idx1-ubyte"), &[TRAIN], &tl, false).unwrap();
    write_idx(
        &dir.join("t10k-images-idx3-ubyte.gz"),
        &[TEST, 28, 28],
        &si,
        true,
    )
    .unwrap();
    write_idx(&dir.join("t10k-labels-idx1-ubyte"), &[TEST], &sl, false).unwrap();
}

fn lenet5(data: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lenet5"));
    c.env_remove("LENET5_DATA")
        .env_remove(checkpoint::TEST_PAUSE_ENV)
        .arg("train")
        .arg("--data")
        .arg(data)
        .arg("--no-download")
        .arg("--quiet")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    c
}

/// A run's arguments (besides data and output).
struct Recipe {
    name: &'static str,
    args: &'static [&'static str],
    epochs: usize,
}

const RECIPES: [Recipe; 2] = [
    Recipe {
        name: "modern-adam",
        args: &[
            "--arch", "modern", "--optim", "adam", "--batch", "32", "--limit", "1000",
        ],
        epochs: 4,
    },
    Recipe {
        name: "classic-sdlm",
        args: &["--arch", "classic", "--limit", "500"],
        epochs: 3,
    },
];

fn run_to_end(mut cmd: Command, what: &str) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `cond` holds, failing if the child exits first or it takes too long.
fn wait_for(child: &mut Child, what: &str, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("train exited ({status}) before {what}");
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn kill(mut child: Child) {
    child.kill().unwrap(); // SIGKILL on Unix: no destructor, no flush, no cleanup.
    let status = child.wait().unwrap();
    assert!(
        !status.success(),
        "the run was over before it could be killed"
    );
}

/// The checkpoint on disk must be complete: it loads (checksum, shapes verified).
fn must_load(path: &Path, when: &str) -> Checkpoint {
    checkpoint::load(path)
        .unwrap_or_else(|e| panic!("{when}: checkpoint on disk is torn or unloadable: {e}"))
}

fn temp_files(dir: &Path, of: &str) -> Vec<PathBuf> {
    let prefix = format!(".{of}.tmp-");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&prefix))
        })
        .collect()
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Tensors and state must be bit-identical; metrics too, except their timings.
fn assert_same_run(a: &Checkpoint, b: &Checkpoint, what: &str) {
    assert_eq!(a.arch, b.arch, "{what}: arch");
    assert_eq!(a.epoch, b.epoch, "{what}: epoch");
    assert_eq!(a.config, b.config, "{what}: config");
    assert!(bits(&a.params) == bits(&b.params), "{what}: weights differ");
    assert_eq!(a.optim.len(), b.optim.len(), "{what}: optimiser buffers");
    for ((na, va), (nb, vb)) in a.optim.iter().zip(&b.optim) {
        assert_eq!(na, nb, "{what}: optimiser buffer names");
        assert!(
            bits(va) == bits(vb),
            "{what}: optimiser buffer `{na}` differs"
        );
    }
    assert_eq!(a.adam_t, b.adam_t, "{what}: Adam step");
    assert_eq!(a.metrics.len(), b.metrics.len(), "{what}: metrics");
    for (x, y) in a.metrics.iter().zip(&b.metrics) {
        assert_eq!(
            (x.epoch, x.lr, x.train_loss, x.train_acc),
            (y.epoch, y.lr, y.train_loss, y.train_acc),
            "{what}: training metrics"
        );
        assert_eq!(
            (x.test_loss, x.test_acc, x.test_errors),
            (y.test_loss, y.test_acc, y.test_errors),
            "{what}: test metrics"
        );
    }
}

#[test]
fn killed_training_resumes_bit_identically() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("mnist");
    std::fs::create_dir(&data).unwrap();
    synthetic_mnist(&data);

    for r in &RECIPES {
        let dir = tmp.path().join(r.name);
        std::fs::create_dir(&dir).unwrap();
        let epochs = r.epochs.to_string();
        let base = |out: &Path| {
            let mut c = lenet5(&data);
            c.args(r.args)
                .args([
                    "--epochs",
                    &epochs,
                    "--seed",
                    "7",
                    "--threads",
                    "2",
                    "--out",
                ])
                .arg(out);
            c
        };

        // The reference: one uninterrupted run.
        let reference = dir.join("reference.safetensors");
        let t0 = Instant::now();
        run_to_end(base(&reference), "reference run");
        let epoch_time = t0.elapsed() / r.epochs as u32;
        let reference = must_load(&reference, "reference");
        assert_eq!(reference.epoch, r.epochs);

        // 1. SIGKILL in the middle of an epoch: once the epoch-1 checkpoint exists,
        //    wait about 40% of an epoch (training, not saving) and kill.
        let ck = dir.join("run.safetensors");
        let mut child = base(&ck).spawn().unwrap();
        wait_for(&mut child, "the first checkpoint", || ck.exists());
        std::thread::sleep(epoch_time * 2 / 5);
        kill(child);
        let after_kill = must_load(&ck, "killed mid-epoch");
        assert!(
            (1..r.epochs).contains(&after_kill.epoch),
            "{}: epoch {} after a kill during epoch 2",
            r.name,
            after_kill.epoch
        );

        // 2. SIGKILL in the middle of writing a checkpoint: the resumed run writes the
        //    next epoch's temporary file, syncs it, then pauses before the rename; kill
        //    it there. The old checkpoint must still be in place, whole.
        let mut resume = lenet5(&data);
        resume
            .args(["--resume"])
            .arg(&ck)
            .env(checkpoint::TEST_PAUSE_ENV, "60000");
        let mut child = resume.spawn().unwrap();
        let name = ck.file_name().unwrap().to_str().unwrap().to_string();
        let pid = child.id();
        let tmp_ck = dir.join(format!(".{name}.tmp-{pid}"));
        // The pause comes after the write and the fsync: wait until the temporary file
        // is whole, then kill while the rename is still pending.
        wait_for(&mut child, "the temporary checkpoint", || {
            tmp_ck.exists() && checkpoint::load(&tmp_ck).is_ok()
        });
        kill(child);
        let after_save_kill = must_load(&ck, "killed while saving");
        assert_eq!(
            after_save_kill, after_kill,
            "{}: the checkpoint changed although the rename never happened",
            r.name
        );
        // What was being written is a complete checkpoint of the next epoch, never published.
        let next = must_load(&tmp_ck, "the unpublished temporary file");
        assert_eq!(next.epoch, after_kill.epoch + 1);
        assert_eq!(temp_files(&dir, &name), vec![tmp_ck.clone()]);

        // 3. Resume to the end, no pause: the same weights as the uninterrupted run.
        let mut resume = lenet5(&data);
        resume.args(["--resume"]).arg(&ck);
        run_to_end(resume, "final resume");
        let resumed = must_load(&ck, "after the final resume");
        assert_same_run(&reference, &resumed, r.name);
        let log = std::fs::read_to_string(lenet5::train::metrics_path(&ck)).unwrap();
        assert_eq!(
            log.lines().count(),
            r.epochs,
            "{}: one metrics line per epoch",
            r.name
        );
    }
}
