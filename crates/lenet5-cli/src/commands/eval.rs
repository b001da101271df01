//! `lenet5 eval`: accuracy, per-class accuracy and the confusion matrix on the test set.

use lenet5::data::Dataset;
use lenet5::model::Arch;
use lenet5::read::benchmark::error_reject;
use lenet5::train::{EvalResult, evaluate};
use lenet5::{Model, Prediction, Result};

use crate::args::EvalArgs;
use crate::viz;

pub fn run(a: EvalArgs) -> Result<()> {
    if let Some(p) = &a.confusion {
        viz::Format::of(p, true)?;
    }
    let m = super::model(&a.model)?;
    let what = super::describe(a.model.model.as_deref(), &m.model, &m.source);
    let ds = super::data(&a.data)?;
    let r = evaluate(m.model.network(), &ds.test);
    println!("model {what}");
    print_result(&r, ds.identify().map(|k| (k.name(), k.class_names())));
    if let Some(p) = &a.confusion {
        let title = format!("confusion matrix: {what}");
        viz::confusion::write(&r.confusion, &title, p)?;
        println!("wrote {}", p.display());
    }
    if a.reject {
        print_rejection(&m.model, &ds.test);
    }
    Ok(())
}

/// How sure the network is of a digit: the gap between its two best classes (classic:
/// second-smallest minus smallest RBF distance; modern: best minus second logit).
pub fn margin(arch: Arch, p: &Prediction) -> f32 {
    let mut o = p.outputs;
    if arch == Arch::Classic {
        o.iter_mut().for_each(|v| *v = -*v);
    }
    o.sort_by(|a, b| b.total_cmp(a));
    o[0] - o[1]
}

/// The error-against-rejection curve on `test`, least sure digits rejected first.
fn print_rejection(model: &Model, test: &Dataset) {
    let imgs: Vec<[u8; 784]> = (0..test.len())
        .map(|i| test.image(i).try_into().expect("28x28 MNIST images"))
        .collect();
    let preds = model.forward_batch_28x28(&imgs);
    let curve = error_reject(
        preds
            .iter()
            .enumerate()
            .map(|(i, p)| (margin(model.arch(), p), p.digit == test.label(i))),
    );
    let need = |e: f64| {
        curve
            .iter()
            .filter(|c| c.1 <= e)
            .map(|c| c.0)
            .reduce(f64::min)
            .map_or_else(|| "never".into(), |r| format!("{:.2}%", 100.0 * r))
    };
    println!(
        "error against rejection (least sure first: smallest gap between the two best classes):"
    );
    for pct in [0.0, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0] {
        let i = curve
            .iter()
            .position(|c| c.0 >= pct / 100.0 - 1e-12)
            .unwrap_or(curve.len() - 1);
        println!(
            "  rejected {:5.2}%  error {:.3}%",
            100.0 * curve[i].0,
            100.0 * curve[i].1
        );
    }
    println!(
        "rejection needed for 0.5% error: {}; for 0.1% error: {}",
        need(0.005),
        need(0.001)
    );
}

/// Accuracy, per class (named when the dataset is a known one) and the confusion matrix.
fn print_result(r: &EvalResult, known: Option<(&str, [&str; 10])>) {
    println!(
        "test accuracy {:.2}%  errors {} / {}  error rate {:.2}%  mean loss {:.4}",
        100.0 * r.accuracy(),
        r.errors(),
        r.n,
        100.0 * (1.0 - r.accuracy()),
        r.loss
    );
    match known {
        Some((name, _)) => println!("per class ({name}):"),
        None => println!("per class:"),
    }
    for (c, row) in r.confusion.iter().enumerate() {
        let n: usize = row.iter().sum();
        let name = known.map_or(String::new(), |(_, names)| {
            if names[c] == c.to_string() {
                String::new()
            } else {
                format!(" {:<12}", names[c])
            }
        });
        println!(
            "  {c}{name}: {:6.2}%  ({} / {n})",
            100.0 * row[c] as f64 / n.max(1) as f64,
            row[c]
        );
    }
    println!("confusion matrix (rows: true digit, columns: predicted):");
    println!(
        "     {}",
        (0..10).map(|c| format!("{c:>5}")).collect::<String>()
    );
    for (c, row) in r.confusion.iter().enumerate() {
        println!(
            "  {c}: {}",
            row.iter().map(|v| format!("{v:>5}")).collect::<String>()
        );
    }
}
