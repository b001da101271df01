//! How well MNIST-trained networks read digits that are not from MNIST: digits rendered
//! from installed fonts (`lenet5_testkit::fontdigits`) in many sizes, positions and colours,
//! through `Model::predict` (preprocessing included). Trains one epoch of each
//! architecture when MNIST is present (`lenet5_testkit::mnist`), and
//! skips with a note when MNIST or the fonts are missing; the bundled classic model is
//! measured too (no MNIST needed). Prints the full report. Training is deterministic, so
//! the floors sit a few points under the measured figures (with Debian's DejaVu,
//! Liberation and FreeFont, 4,560 samples; AMD EPYC Zen 4): modern 94.1 %, classic
//! 83.4 %, bundled classic 99.9 %; the margin is for other font versions.

use lenet5::Model;
use lenet5::data::mnist;
use lenet5::model::Arch;
use lenet5::train::{RunOptions, TrainConfig, Trainer};
use lenet5_testkit::fonts;

#[test]
fn mnist_trained_networks_read_font_digits() {
    let Some(dir) = lenet5_testkit::mnist() else {
        return;
    };
    let Some((names, samples)) = fonts::samples() else {
        return;
    };
    let data = mnist::load(&dir).expect("MNIST loads");
    // Modern: one epoch (about 98 % on MNIST). Classic: one SDLM pass over the first
    // 20,000 images, to keep the test short (per-pattern SDLM is the slow one).
    for (arch, limit, floor) in [
        (Arch::Modern, None, 91.0),
        (Arch::Classic, Some(20_000), 80.0),
    ] {
        let mut c = TrainConfig::defaults(arch);
        c.epochs = 1;
        c.limit = limit;
        let mut t = Trainer::new(c).expect("valid config");
        t.run(&data.train, &data.test, &mut RunOptions::quiet(2))
            .expect("training runs");
        let m = Model::from_network(t.net.clone());
        let r = fonts::score(&m, &names, &samples);
        let mnist_acc = t.history.last().map_or(0.0, |h| 100.0 * h.test_acc);
        eprint!(
            "{}",
            fonts::report(
                &format!(
                    "{arch}, 1 epoch, {} images (MNIST test {mnist_acc:.2}%)",
                    limit.unwrap_or(60_000)
                ),
                &r
            )
        );
        assert_eq!(r.blank, 0, "{arch}: font digits preprocessed as blank");
        assert!(
            r.all.pct() >= floor,
            "{arch}: font-digit accuracy {} under {floor}%",
            r.all
        );
        assert!(
            r.unsure.n < 10 || r.confident.pct() > r.unsure.pct(),
            "{arch}: confident predictions should be right more often than unsure ones"
        );
    }
}

/// The classic model bundled in the binary (`--preset classic-best`, 0.66 % MNIST test error)
/// needs no MNIST: measured 99.9 % on the font digits (6 wrong of 4,560).
#[test]
fn the_bundled_model_reads_font_digits() {
    let Some((names, samples)) = fonts::samples() else {
        return;
    };
    let r = fonts::score(&Model::bundled(Arch::Classic), &names, &samples);
    eprint!("{}", fonts::report("bundled classic model", &r));
    assert!(
        r.all.pct() >= 99.0,
        "bundled model: font-digit accuracy {}",
        r.all
    );
}
