//! The CLI's errors, through the real binary: a wrong `--data` path, a truncated or
//! lying IDX file, wrong-shaped images, bad labels, a corrupt or foreign checkpoint.
//! Each must exit with code 1 (not a panic's 101, not a signal) and print exactly one
//! line, `error: ...`, naming the file (or folder) at fault.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lenet5::data::idx::write_idx;
use lenet5::model::{Arch, Network};
use lenet5::train::{Checkpoint, checkpoint};

fn lenet5(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_lenet5"));
    c.env_remove("LENET5_DATA")
        .env_remove(checkpoint::TEST_PAUSE_ENV)
        .args(args)
        .stdin(Stdio::null());
    c
}

/// Runs the command and checks the one-line error; returns it.
fn fails(mut cmd: Command, names: &str) -> String {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(1),
        "want exit code 1, got {:?}; stderr:\n{stderr}",
        out.status
    );
    assert!(!stderr.contains("panicked"), "panic:\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "want one line on stderr, got:\n{stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(names), "does not name {names}: {stderr}");
    assert!(
        start.elapsed() < Duration::from_secs(30),
        "took {:?}",
        start.elapsed()
    );
    lines[0].to_string()
}

/// A small valid MNIST folder: `n` training and `n` test images of `side`x`side`.
fn mnist_dir(dir: &Path, n: usize, side: usize) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let images: Vec<u8> = (0..n * side * side).map(|i| (i * 31 % 256) as u8).collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 10) as u8).collect();
    for split in ["train", "t10k"] {
        write_idx(
            &dir.join(format!("{split}-images-idx3-ubyte")),
            &[n, side, side],
            &images,
            false,
        )
        .unwrap();
        write_idx(
            &dir.join(format!("{split}-labels-idx1-ubyte")),
            &[n],
            &labels,
            false,
        )
        .unwrap();
    }
    dir.to_path_buf()
}

fn train_on(dir: &Path) -> Command {
    let mut c = lenet5(&[
        "train",
        "--arch",
        "modern",
        "--epochs",
        "1",
        "--quiet",
        "--no-download",
    ]);
    c.arg("--data")
        .arg(dir)
        .arg("--out")
        .arg(dir.join("out.safetensors"));
    c
}

fn eval(model: &Path, data: &Path) -> Command {
    let mut c = lenet5(&["eval", "--no-download"]);
    c.arg("--model").arg(model).arg("--data").arg(data);
    c
}

#[test]
fn wrong_data_path() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-folder");
    let e = fails(train_on(&missing), "no-such-folder");
    assert!(e.contains("does not exist"), "{e}");
    // A file where a folder is expected.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, b"x").unwrap();
    fails(train_on(&file), "a-file");
    // A folder without the files.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let e = fails(train_on(&empty), "train-images-idx3-ubyte");
    assert!(e.contains("missing"), "{e}");
}

#[test]
fn truncated_lying_or_wrong_idx_files() {
    let tmp = tempfile::tempdir().unwrap();
    // Truncated: the images file loses its last 100 bytes.
    let dir = mnist_dir(&tmp.path().join("truncated"), 20, 28);
    let f = dir.join("train-images-idx3-ubyte");
    let b = std::fs::read(&f).unwrap();
    std::fs::write(&f, &b[..b.len() - 100]).unwrap();
    let e = fails(train_on(&dir), "train-images-idx3-ubyte");
    assert!(e.contains("truncated"), "{e}");

    // Lying header: 2^20 images promised by a file of 20 (gzip too); fails fast.
    for gz in [false, true] {
        let dir = mnist_dir(&tmp.path().join(format!("liar-{gz}")), 20, 28);
        let f = dir.join("t10k-images-idx3-ubyte");
        let mut b = std::fs::read(&f).unwrap();
        b[4..8].copy_from_slice(&(1u32 << 20).to_be_bytes());
        if gz {
            std::fs::remove_file(&f).unwrap();
            let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            std::io::Write::write_all(&mut enc, &b).unwrap();
            std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), enc.finish().unwrap()).unwrap();
        } else {
            std::fs::write(&f, &b).unwrap();
        }
        let e = fails(train_on(&dir), "t10k-images-idx3-ubyte");
        assert!(e.contains("truncated: header promises"), "{e}");
    }

    // A corrupt gzip stream.
    let dir = mnist_dir(&tmp.path().join("badgz"), 20, 28);
    let f = dir.join("train-labels-idx1-ubyte");
    std::fs::remove_file(&f).unwrap();
    std::fs::write(
        dir.join("train-labels-idx1-ubyte.gz"),
        [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xde, 0xad, 0xbe, 0xef],
    )
    .unwrap();
    fails(train_on(&dir), "train-labels-idx1-ubyte.gz");

    // Not an IDX file at all.
    let dir = mnist_dir(&tmp.path().join("text"), 20, 28);
    std::fs::write(dir.join("train-labels-idx1-ubyte"), b"hello\n").unwrap();
    let e = fails(train_on(&dir), "train-labels-idx1-ubyte");
    assert!(e.contains("not an IDX file"), "{e}");

    // A label out of range.
    let dir = mnist_dir(&tmp.path().join("label"), 20, 28);
    let f = dir.join("train-labels-idx1-ubyte");
    let mut b = std::fs::read(&f).unwrap();
    b[8 + 5] = 12;
    std::fs::write(&f, &b).unwrap();
    let e = fails(train_on(&dir), "train-labels-idx1-ubyte");
    assert!(e.contains("label 5 is 12"), "{e}");

    // Images that are not 28x28: refused, not silently padded.
    let dir = mnist_dir(&tmp.path().join("small"), 20, 16);
    let e = fails(train_on(&dir), "train-images-idx3-ubyte");
    assert!(e.contains("16x16"), "{e}");
}

#[test]
fn corrupt_foreign_or_missing_checkpoint() {
    let tmp = tempfile::tempdir().unwrap();
    let data = mnist_dir(&tmp.path().join("mnist"), 20, 28);
    let good = checkpoint::to_bytes(&Checkpoint::from_network(&Network::new(Arch::Classic, 1)));
    let good_path = tmp.path().join("good.safetensors");
    std::fs::write(&good_path, &good).unwrap();
    let out = eval(&good_path, &data).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // One flipped byte in the data, one in the header.
    for (name, pos) in [
        ("corrupt.safetensors", good.len() - 1000),
        ("corrupt-header.safetensors", 20),
    ] {
        let mut b = good.clone();
        b[pos] ^= 0x04;
        let path = tmp.path().join(name);
        std::fs::write(&path, &b).unwrap();
        let e = fails(eval(&path, &data), name);
        assert!(e.contains("corrupt"), "{e}");
        // Resuming from it is refused the same way.
        let mut c = lenet5(&["train", "--quiet", "--no-download"]);
        c.arg("--resume").arg(&path).arg("--data").arg(&data);
        fails(c, name);
    }
    // Truncated.
    let path = tmp.path().join("cut.safetensors");
    std::fs::write(&path, &good[..good.len() / 3]).unwrap();
    let e = fails(eval(&path, &data), "cut.safetensors");
    assert!(e.contains("truncated or corrupt"), "{e}");
    // Not a checkpoint.
    let path = tmp.path().join("notes.txt");
    std::fs::write(&path, b"not a checkpoint\n").unwrap();
    fails(eval(&path, &data), "notes.txt");
    // Missing.
    fails(
        eval(&tmp.path().join("nowhere.safetensors"), &data),
        "nowhere.safetensors",
    );
    // A folder.
    fails(eval(tmp.path(), &data), &tmp.path().display().to_string());
    // Weights-only checkpoints cannot be resumed (no training configuration).
    let mut c = lenet5(&["train", "--quiet", "--no-download"]);
    c.arg("--resume").arg(&good_path).arg("--data").arg(&data);
    let e = fails(c, "checkpoint");
    assert!(e.contains("cannot be resumed"), "{e}");
}

/// `LENET5_SIMD` forces a vector back end; one this CPU cannot run (or an unknown name)
/// is refused with one warning and the best back end is used: never an illegal
/// instruction.
#[test]
fn lenet5_simd_is_honoured_or_refused_with_a_warning() {
    use lenet5::kernels::simd::Kind;
    let bench = |value: &str| {
        let out = lenet5(&[
            "bench",
            "--arch",
            "modern",
            "--only",
            "infer",
            "--infer-batches",
            "1",
            "--infer-images",
            "10",
            "--threads",
            "1",
        ])
        .env("LENET5_SIMD", value)
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(0), "LENET5_SIMD={value}: {out:?}");
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let best = Kind::best();
    for kind in Kind::ALL {
        let (stdout, stderr) = bench(kind.env_name());
        let used = if kind.available() {
            assert!(!stderr.contains("warning"), "{stderr}");
            kind
        } else {
            let want = format!(
                "warning: LENET5_SIMD={}: this CPU cannot run the {} back end; using {}",
                kind.env_name(),
                kind.name(),
                best.name()
            );
            assert_eq!(stderr.matches(&want).count(), 1, "{stderr}");
            best
        };
        assert!(
            stdout.contains(&format!("kernels: {}\n", used.name())),
            "{stdout}"
        );
    }
    let (stdout, stderr) = bench("sse9");
    assert_eq!(
        stderr
            .matches(
                "warning: LENET5_SIMD=sse9: unknown back end (expected avx512, avx2 or portable)"
            )
            .count(),
        1,
        "{stderr}"
    );
    assert!(
        stdout.contains(&format!("kernels: {}\n", best.name())),
        "{stdout}"
    );
}
