//! `lenet5 eval`: accuracy, per-class accuracy and the confusion matrix on the test set.

use lenet5::Result;
use lenet5::train::{EvalResult, evaluate};

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
    Ok(())
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
