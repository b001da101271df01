//! `lenet5 plot`: learning curves from the metrics log that training writes beside each
//! checkpoint (`<out>.metrics.jsonl`, one JSON object per epoch).

use std::path::Path;

use super::color::{self, Rgb};
use super::draw::{Canvas, Font, Surface, Svg};
use super::{Format, MARGIN};
use lenet5::train::EpochMetrics;
use lenet5::{Error, Result};

/// Reads a metrics log. Blank lines are skipped; any other line that is not an epoch's
/// metrics is an error naming the file and the line.
pub fn read_metrics(path: &Path) -> Result<Vec<EpochMetrics>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse_metrics(&text, path)
}

/// Parses the text of a metrics log (`path` only names it in errors).
pub fn parse_metrics(text: &str, path: &Path) -> Result<Vec<EpochMetrics>> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let m: EpochMetrics = serde_json::from_str(line).map_err(|e| {
            Error::format(
                path,
                format!("line {}: not an epoch's metrics ({e})", i + 1),
            )
        })?;
        let vals = [m.train_loss, m.train_acc, m.test_loss, m.test_acc];
        if vals.iter().any(|v| !v.is_finite()) {
            return Err(Error::format(
                path,
                format!("line {}: a loss or accuracy is not a finite number", i + 1),
            ));
        }
        out.push(m);
    }
    if out.is_empty() {
        return Err(Error::format(
            path,
            "no metrics in the file (expected one JSON object per epoch, as `lenet5 train` writes)",
        ));
    }
    Ok(out)
}

/// Reads the log `metrics` and writes its curves to `out` (PNG, or SVG for `.svg`).
pub fn plot_file(metrics: &Path, out: &Path) -> Result<()> {
    let format = Format::of(out, true)?;
    let m = read_metrics(metrics)?;
    let name = metrics
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let title = format!("{name}: {} epochs", m.len());
    match format {
        Format::Png => render_png(&m, &title).save_png(out),
        Format::Svg => render_svg(&m, &title).save(out),
    }
}

/// Size of the chart in pixels.
pub const WIDTH: usize = 1040;
/// Size of the chart in pixels.
pub const HEIGHT: usize = 446;

/// The chart as a PNG-ready raster.
pub fn render_png(m: &[EpochMetrics], title: &str) -> Canvas {
    let mut c = Canvas::new(WIDTH, HEIGHT, color::WHITE);
    draw(&mut c, m, title);
    c
}

/// The chart as SVG.
pub fn render_svg(m: &[EpochMetrics], title: &str) -> Svg {
    let mut s = Svg::new(WIDTH as f32, HEIGHT as f32);
    draw(&mut s, m, title);
    s
}

/// Round tick values covering [lo, hi], about `n` of them, steps of 1, 2 or 5 × 10^k.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = if hi > lo { hi - lo } else { hi.abs().max(1.0) };
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() * step;
    let mut v = Vec::new();
    let mut k = 0.0;
    loop {
        // Multiply, not accumulate, so 0.1-steps do not drift (0.30000000000000004).
        let t = first + k * step;
        v.push(t);
        if t >= hi - step * 1e-9 || v.len() >= 60 {
            break;
        }
        k += 1.0;
    }
    v
}

fn fmt_tick(v: f64, step: f64) -> String {
    let d = if step >= 1.0 {
        0
    } else {
        (-step.log10().floor()) as usize
    };
    format!("{v:.d$}")
}

struct Series<'a> {
    name: &'a str,
    pts: Vec<(f64, f64)>,
    color: Rgb,
    dashed: bool,
}

fn draw(s: &mut impl Surface, m: &[EpochMetrics], title: &str) {
    s.text(
        MARGIN as f32,
        MARGIN as f32,
        title,
        Font::new(2, color::INK),
    );
    let ep =
        |f: fn(&EpochMetrics) -> f64| m.iter().map(|e| (e.epoch as f64, f(e))).collect::<Vec<_>>();
    let loss = [
        Series {
            name: "train",
            pts: ep(|e| e.train_loss),
            color: color::SERIES[0],
            dashed: true,
        },
        Series {
            name: "test",
            pts: ep(|e| e.test_loss),
            color: color::SERIES[1],
            dashed: false,
        },
    ];
    let err = [
        Series {
            name: "train",
            pts: ep(|e| 100.0 * (1.0 - e.train_acc)),
            color: color::SERIES[0],
            dashed: true,
        },
        Series {
            name: "test",
            pts: ep(|e| 100.0 * (1.0 - e.test_acc)),
            color: color::SERIES[1],
            dashed: false,
        },
    ];
    let (pw, ph) = (400.0, 290.0);
    let top = MARGIN as f32 + 70.0;
    panel(
        s,
        (MARGIN as f32 + 80.0, top, pw, ph),
        "loss per epoch",
        "mean loss",
        &loss,
    );
    panel(
        s,
        (MARGIN as f32 + 80.0 + pw + 120.0, top, pw, ph),
        "error per epoch",
        "error %",
        &err,
    );
}

/// One chart: frame `(x, y, w, h)` of the plotting area, axes, ticks, grid and series.
fn panel(
    s: &mut impl Surface,
    area: (f32, f32, f32, f32),
    title: &str,
    ylabel: &str,
    series: &[Series],
) {
    let (x, y, w, h) = area;
    let all = || series.iter().flat_map(|sr| sr.pts.iter().copied());
    let xmax = all().map(|p| p.0).fold(1.0, f64::max);
    let xmin = all().map(|p| p.0).fold(xmax, f64::min);
    let (x0, x1) = if xmax > xmin {
        (xmin, xmax)
    } else {
        (xmin - 1.0, xmax + 1.0)
    };
    let ymax = all().map(|p| p.1).fold(0.0, f64::max);
    let yticks = nice_ticks(0.0, if ymax > 0.0 { ymax } else { 1.0 }, 5);
    let y1 = yticks.last().copied().unwrap_or(1.0).max(1e-9);
    let ystep = if yticks.len() > 1 {
        yticks[1] - yticks[0]
    } else {
        1.0
    };
    let xticks: Vec<f64> = nice_ticks(x0, x1, 8)
        .into_iter()
        .filter(|t| t.fract() == 0.0 && *t >= x0 && *t <= x1)
        .collect();
    let px = |v: f64| x + ((v - x0) / (x1 - x0)) as f32 * w;
    let py = |v: f64| y + h - (v / y1) as f32 * h;

    s.text(
        x + w / 2.0,
        y - 22.0,
        title,
        Font::new(2, color::INK).middle(),
    );
    for &t in &yticks {
        let yy = py(t);
        s.rect(x, yy.round(), w, 1.0, color::LIGHT);
        s.rect(x - 5.0, yy.round(), 5.0, 1.0, color::INK);
        s.text(
            x - 9.0,
            yy - 6.0,
            &fmt_tick(t, ystep),
            Font::new(2, color::INK).end(),
        );
    }
    for &t in &xticks {
        let xx = px(t).round();
        s.rect(xx, y, 1.0, h, color::LIGHT);
        s.rect(xx, y + h, 1.0, 5.0, color::INK);
        s.text(
            xx,
            y + h + 10.0,
            &fmt_tick(t, 1.0),
            Font::new(2, color::INK).middle(),
        );
    }
    s.rect(x, y, 1.0, h + 1.0, color::INK);
    s.rect(x, y + h, w, 1.0, color::INK);
    s.text(
        x + w / 2.0,
        y + h + 32.0,
        "epoch",
        Font::new(2, color::INK).middle(),
    );
    s.text(
        x - 70.0,
        y + h / 2.0,
        ylabel,
        Font::new(2, color::INK).middle().vertical(),
    );

    for sr in series {
        let pts: Vec<(f32, f32)> = sr.pts.iter().map(|&(a, b)| (px(a), py(b))).collect();
        s.polyline(&pts, 2.0, sr.color, sr.dashed);
        for &(a, b) in &pts {
            s.dot(a, b, 3.5, sr.color);
        }
    }
    // Legend, top right, with the last value.
    for (i, sr) in series.iter().enumerate() {
        let ly = y + 12.0 + 22.0 * i as f32;
        let lx = x + w - 236.0;
        s.rect(lx - 8.0, ly - 8.0, 244.0, 22.0, color::WHITE);
        s.polyline(
            &[(lx, ly + 7.0), (lx + 30.0, ly + 7.0)],
            2.0,
            sr.color,
            sr.dashed,
        );
        s.dot(lx + 15.0, ly + 7.0, 3.5, sr.color);
        let last = sr.pts.last().map_or(String::new(), |p| {
            format!(" (last {})", fmt_tick(p.1, ystep / 100.0))
        });
        s.text(
            lx + 40.0,
            ly,
            &format!("{}{last}", sr.name),
            Font::new(2, color::INK),
        );
    }
}
