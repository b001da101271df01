//! Training in the page: datasets from IDX bytes (raw or gzip), and a
//! [`Trainer`] driven a few images at a time through its step interface
//! ([`Trainer::begin_pass`], [`Trainer::train_images`], [`Trainer::end_pass`]), so that
//! the script can show progress, pause, and keep its thread responsive. The same
//! configuration and data give the same weights as `lenet5 train` (the engine's loop is
//! deterministic and thread-count independent).

use std::cell::RefCell;
use std::path::Path;

use lenet5::data::Dataset;
use lenet5::data::augment::AugmentKind;
use lenet5::data::idx::parse_idx;
use lenet5::data::mnist::split_from_idx;
use lenet5::model::Arch;
use lenet5::train::checkpoint::{Checkpoint, to_bytes};
use lenet5::train::{Pass, TrainConfig, TrainOverrides, Trainer, evaluate};
use serde_json::{Map, Value, json};

use super::abi::{Table, call, input};

/// A run in progress: the trainer and the pass it is in, if any.
struct Run {
    trainer: Trainer,
    pass: Option<Pass>,
}

thread_local! {
    static DATASETS: RefCell<Table<Dataset>> = const { RefCell::new(Table::new()) };
    static RUNS: RefCell<Table<Run>> = const { RefCell::new(Table::new()) };
}

fn with_dataset<R>(h: i32, f: impl FnOnce(&Dataset) -> Result<R, String>) -> Result<R, String> {
    DATASETS.with(|d| f(d.borrow_mut().get_mut(h, "dataset")?))
}

fn with_run<R>(h: i32, f: impl FnOnce(&mut Run) -> Result<R, String>) -> Result<R, String> {
    RUNS.with(|r| f(r.borrow_mut().get_mut(h, "training run")?))
}

/// Loads a dataset from an IDX image file and an IDX label file (raw or gzip, validated
/// as `lenet5 train` validates MNIST); returns its handle. JSON: `{"len", "rows", "cols",
/// "class_counts"}`.
///
/// # Safety
/// Both `(ptr, len)` pairs must be buffers from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_dataset_load(
    images_ptr: *const u8,
    images_len: usize,
    labels_ptr: *const u8,
    labels_len: usize,
) -> i32 {
    // SAFETY: the caller's contract.
    let (images, labels) =
        unsafe { (input(images_ptr, images_len), input(labels_ptr, labels_len)) };
    call(|out| {
        let (img_name, lab_name) = (Path::new("the image file"), Path::new("the label file"));
        let img = parse_idx(images, img_name).map_err(|e| e.to_string())?;
        let lab = parse_idx(labels, lab_name).map_err(|e| e.to_string())?;
        let ds = split_from_idx(img, img_name, lab, lab_name).map_err(|e| e.to_string())?;
        out.json = json!({
            "len": ds.len(),
            "rows": ds.rows,
            "cols": ds.cols,
            "class_counts": ds.class_counts(),
        })
        .to_string();
        Ok(DATASETS.with(|d| d.borrow_mut().insert(ds)))
    })
}

/// Frees dataset `h`.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_dataset_drop(h: i32) {
    DATASETS.with(|d| d.borrow_mut().remove(h));
}

/// The settings a page may give, as `lenet5 train`'s flags: JSON with any of `preset`,
/// `arch`, `epochs`, `batch`, `lr`, `momentum`, `weight_decay`, `augment`, `seed`,
/// `limit`; the engine's table decides the rest ([`TrainConfig::from_overrides`]).
fn overrides(text: &str) -> Result<TrainOverrides, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("settings: {e}"))?;
    let obj: &Map<String, Value> = v.as_object().ok_or("settings: expected a JSON object")?;
    let mut o = TrainOverrides::default();
    let count = |k: &str, v: &Value| {
        v.as_u64()
            .and_then(|n| usize::try_from(n).ok())
            .ok_or(format!("settings: {k} must be a whole number, got {v}"))
    };
    let real = |k: &str, v: &Value| {
        v.as_f64()
            .map(|x| x as f32)
            .ok_or(format!("settings: {k} must be a number, got {v}"))
    };
    let text = |k: &str, v: &Value| {
        v.as_str()
            .map(str::to_string)
            .ok_or(format!("settings: {k} must be a string, got {v}"))
    };
    for (k, v) in obj {
        match k.as_str() {
            "preset" => o.preset = Some(text(k, v)?),
            "arch" => {
                let s = text(k, v)?;
                o.arch = Some(
                    Arch::parse(&s).ok_or(format!("settings: arch {s:?}: classic or modern"))?,
                );
            }
            "epochs" => o.epochs = Some(count(k, v)?),
            "batch" => o.batch = Some(count(k, v)?),
            "limit" => o.limit = Some(count(k, v)?),
            "seed" => {
                o.seed = Some(
                    v.as_u64()
                        .ok_or(format!("settings: seed must be a whole number, got {v}"))?,
                )
            }
            "lr" => o.lr = Some(real(k, v)?),
            "momentum" => o.momentum = Some(real(k, v)?),
            "weight_decay" => o.weight_decay = Some(real(k, v)?),
            "augment" => {
                o.augment = Some(match text(k, v)?.as_str() {
                    "none" => AugmentKind::None,
                    "affine" => AugmentKind::Affine,
                    "elastic" => AugmentKind::Elastic,
                    s => return Err(format!("settings: augment {s:?}: none, affine or elastic")),
                })
            }
            _ => {
                return Err(format!(
                    "settings: unknown setting {k:?}; known: preset, arch, epochs, batch, lr, \
                     momentum, weight_decay, augment, seed, limit"
                ));
            }
        }
    }
    Ok(o)
}

/// Starts a training run from the settings (JSON, see `overrides`); returns its handle.
/// JSON: the whole configuration, as a checkpoint stores it.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_trainer_new(ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let text = std::str::from_utf8(bytes).map_err(|_| "settings: not UTF-8 text")?;
        let config = TrainConfig::from_overrides(&overrides(text)?).map_err(|e| e.to_string())?;
        out.json = serde_json::to_string(&config).map_err(|e| e.to_string())?;
        let trainer = Trainer::new(config).map_err(|e| e.to_string())?;
        Ok(RUNS.with(|r| {
            r.borrow_mut().insert(Run {
                trainer,
                pass: None,
            })
        }))
    })
}

/// Frees training run `h`.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_trainer_drop(h: i32) {
    RUNS.with(|r| r.borrow_mut().remove(h));
}

/// Trains run `h` on the next images of dataset `train`: whole batches, at least one and
/// at most `max_images` images' worth, starting a pass if none is in progress. Returns the
/// images trained on. JSON: `{"epoch", "epochs", "seen", "total", "loss", "acc",
/// "pass_done"}` (loss and accuracy: running means over the pass so far).
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_trainer_train(h: i32, train: i32, max_images: u32) -> i32 {
    call(|out| {
        with_dataset(train, |ds| {
            with_run(h, |run| {
                if run.trainer.epoch >= run.trainer.config.epochs {
                    return Err("the run is complete".into());
                }
                let mut pass = match run.pass.take() {
                    Some(p) => p,
                    None => run.trainer.begin_pass(ds).map_err(|e| e.to_string())?,
                };
                let n = run.trainer.train_images(&mut pass, ds, max_images as usize);
                let ((seen, total), (loss, acc)) = (pass.seen(), pass.running());
                out.json = json!({
                    "epoch": run.trainer.epoch + 1,
                    "epochs": run.trainer.config.epochs,
                    "seen": seen,
                    "total": total,
                    "loss": loss,
                    "acc": acc,
                    "pass_done": pass.done(),
                })
                .to_string();
                run.pass = Some(pass);
                i32::try_from(n).map_err(|e| e.to_string())
            })
        })
    })
}

/// Ends run `h`'s finished pass: evaluates on dataset `test` and records the epoch
/// (`seconds`: the pass's training time, measured by the script). JSON: the epoch's
/// metrics, as `lenet5 train` logs them, plus `"done"`.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_trainer_end_pass(h: i32, test: i32, seconds: f64) -> i32 {
    call(|out| {
        with_dataset(test, |ds| {
            with_run(h, |run| {
                let pass = run.pass.take().ok_or("no pass in progress")?;
                if !pass.done() {
                    run.pass = Some(pass);
                    return Err("the pass is not finished".into());
                }
                let m = run
                    .trainer
                    .end_pass(pass, ds, seconds)
                    .map_err(|e| e.to_string())?;
                let mut v = serde_json::to_value(&m).map_err(|e| e.to_string())?;
                v["done"] = json!(run.trainer.epoch >= run.trainer.config.epochs);
                out.json = v.to_string();
                Ok(0)
            })
        })
    })
}

/// Accuracy and mean loss of run `h`'s network on dataset `ds`. JSON: `{"n", "correct",
/// "accuracy", "loss"}`.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_trainer_evaluate(h: i32, ds: i32) -> i32 {
    call(|out| {
        with_dataset(ds, |ds| {
            with_run(h, |run| {
                let r = evaluate(&run.trainer.net, ds);
                out.json = json!({
                    "n": r.n,
                    "correct": r.correct,
                    "accuracy": r.accuracy(),
                    "loss": r.loss,
                })
                .to_string();
                Ok(0)
            })
        })
    })
}

/// One named tensor of run `h`'s network (`conv1.weight`, `C1.weight`, ... as the
/// checkpoint names it) in the floats; JSON: `{"name", "shape"}`. Returns its length.
///
/// # Safety
/// `(ptr, len)` must be a buffer from `lenet5_alloc` holding the name (UTF-8).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_trainer_tensor(h: i32, ptr: *const u8, len: usize) -> i32 {
    // SAFETY: the caller's contract.
    let bytes = unsafe { input(ptr, len) };
    call(|out| {
        let name = std::str::from_utf8(bytes).map_err(|_| "tensor name: not UTF-8")?;
        with_run(h, |run| {
            let net = &run.trainer.net;
            let layout = net.arch.layout();
            let t = layout.get(name).ok_or_else(|| {
                let names: Vec<&str> = layout.tensors.iter().map(|t| t.name).collect();
                format!(
                    "no tensor {name:?}; the {} network has {}",
                    net.arch,
                    names.join(", ")
                )
            })?;
            out.floats.extend_from_slice(&net.params[t.range()]);
            out.json = json!({"name": t.name, "shape": t.shape}).to_string();
            i32::try_from(t.len()).map_err(|e| e.to_string())
        })
    })
}

/// Run `h`'s network as a checkpoint (weights only, as `lenet5 train` writes them) in the
/// bytes. Returns its length.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_trainer_checkpoint(h: i32) -> i32 {
    call(|out| {
        with_run(h, |run| {
            out.bytes = to_bytes(&Checkpoint::from_network(&run.trainer.net));
            i32::try_from(out.bytes.len()).map_err(|e| e.to_string())
        })
    })
}
