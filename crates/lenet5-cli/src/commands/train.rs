//! `lenet5 train`: flags → the engine's configuration, a progress bar, one line per epoch.

use std::path::PathBuf;

use indicatif::{ProgressBar, ProgressStyle};
use lenet5::train::{
    EpochMetrics, Progress, RunOptions, TrainConfig, TrainOverrides, Trainer, checkpoint,
    metrics_path,
};
use lenet5::{Error, Result};

use crate::args::TrainArgs;

pub fn run(a: TrainArgs) -> Result<()> {
    let mut trainer = match &a.resume {
        Some(path) => {
            let tr = Trainer::resume(checkpoint::load(path)?, a.epochs)
                .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
            eprintln!(
                "resuming {} after epoch {} of {}",
                path.display(),
                tr.epoch,
                tr.config.epochs
            );
            tr
        }
        None => Trainer::new(TrainConfig::from_overrides(&overrides(&a))?)?,
    };
    let out =
        a.out.clone().or(a.resume.clone()).unwrap_or_else(|| {
            PathBuf::from(format!("lenet5-{}.safetensors", trainer.config.arch))
        });
    let ds = super::data(&a.data)?;
    let train = lenet5::read::pieces::training_data(&trainer.config, &ds.train);
    if let Some(n) = trainer.config.pieces {
        println!(
            "training set: {} MNIST digits + {} pieces cut from {n} synthetic strings ({} of them not digits)",
            ds.train.len(),
            train.len() - ds.train.len(),
            train.labels[ds.train.len()..]
                .iter()
                .filter(|&&l| l == lenet5::read::pieces::NOT_A_DIGIT)
                .count()
        );
    }
    let c = &trainer.config;
    println!(
        "training {} LeNet-5: {} epochs, optim {}, batch {}, lr {}, schedule {:?}, augment {}, seed {}, {} threads",
        c.arch,
        c.epochs,
        c.optim.name(),
        c.batch,
        c.lr,
        c.schedule,
        c.augment.name(),
        c.seed,
        rayon::current_num_threads()
    );
    let bar = Bar::new(!a.quiet);
    let on_progress = bar.clone();
    let mut opts = RunOptions {
        out: Some(out.clone()),
        threads: None,
        on_progress: Some(Box::new(move |p| on_progress.show(p))),
        on_epoch: Some(Box::new(move |m| {
            bar.clear();
            print_epoch(m)
        })),
        stop_after: None,
    };
    trainer.run(&train, &ds.test, &mut opts)?;
    println!(
        "saved {} (metrics: {})",
        out.display(),
        metrics_path(&out).display()
    );
    Ok(())
}

/// The flags as the engine's overrides: what is not given stays `None`.
fn overrides(a: &TrainArgs) -> TrainOverrides {
    TrainOverrides {
        preset: a.preset.clone(),
        arch: a.arch,
        optim: a.optim,
        schedule: a.schedule,
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        momentum: a.momentum,
        weight_decay: a.weight_decay,
        augment: a.augment,
        seed: a.seed,
        limit: a.limit,
        pieces: a.pieces,
    }
}

fn print_epoch(m: &EpochMetrics) {
    println!(
        "epoch {:>2}  lr {:.2e}  train loss {:.4} acc {:.2}%  test loss {:.4} acc {:.2}% ({} errors)  {:.1}s  {:.0} img/s",
        m.epoch,
        m.lr,
        m.train_loss,
        100.0 * m.train_acc,
        m.test_loss,
        100.0 * m.test_acc,
        m.test_errors,
        m.seconds,
        m.images_per_sec
    );
}

/// The progress bar of the current pass (hidden with --quiet).
#[derive(Clone)]
struct Bar {
    bar: std::sync::Arc<std::sync::Mutex<Option<ProgressBar>>>,
    show: bool,
}

impl Bar {
    fn new(show: bool) -> Bar {
        Bar {
            bar: Default::default(),
            show,
        }
    }

    fn show(&self, p: &Progress) {
        if !self.show {
            return;
        }
        let mut slot = self.bar.lock().expect("no panics while held");
        let bar = slot.get_or_insert_with(|| {
            let b = ProgressBar::new(p.total as u64);
            b.set_style(
                ProgressStyle::with_template(&format!(
                    "epoch {}/{} [{{bar:30}}] {{pos}}/{{len}} {{per_sec}} {{msg}}",
                    p.epoch, p.epochs
                ))
                .expect("static template")
                .progress_chars("=> "),
            );
            b
        });
        bar.set_position(p.seen as u64);
        if p.seen > 0 {
            bar.set_message(format!("loss {:.4} acc {:.2}%", p.loss, 100.0 * p.acc));
        }
    }

    fn clear(&self) {
        if let Some(b) = self.bar.lock().expect("no panics while held").take() {
            b.finish_and_clear();
        }
    }
}
