//! Colour maps. Every map is monotone in lightness, so a picture printed in grey still
//! reads the same way.

/// An sRGB colour.
pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const BLACK: Rgb = [0, 0, 0];
/// Text and axes.
pub const INK: Rgb = [34, 34, 34];
/// Secondary text, frames.
pub const GREY: Rgb = [120, 120, 120];
/// Grid lines.
pub const LIGHT: Rgb = [225, 225, 225];
/// Highlight (the winner, the wrong answer).
pub const ACCENT: Rgb = [214, 96, 0];
/// Good / correct.
pub const GREEN: Rgb = [26, 140, 60];
/// Series colours (colour-blind safe: blue, orange).
pub const SERIES: [Rgb; 2] = [[31, 102, 176], [222, 110, 20]];

/// ColorBrewer RdBu (7 classes), negative (blue) to positive (red), white in the middle.
const RDBU: [Rgb; 7] = [
    [33, 102, 172],
    [103, 169, 207],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [239, 138, 98],
    [178, 24, 43],
];

/// ColorBrewer Blues (9 classes), light to dark.
const BLUES: [Rgb; 9] = [
    [247, 251, 255],
    [222, 235, 247],
    [198, 219, 239],
    [158, 202, 225],
    [107, 174, 214],
    [66, 146, 198],
    [33, 113, 181],
    [8, 81, 156],
    [8, 48, 107],
];

/// Piecewise-linear interpolation through `stops` at `t` in [0, 1] (clamped; NaN → 0).
pub fn ramp(stops: &[Rgb], t: f32) -> Rgb {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let n = stops.len() - 1;
    let x = t * n as f32;
    let i = (x.floor() as usize).min(n.saturating_sub(1));
    let f = x - i as f32;
    let (a, b) = (stops[i], stops[(i + 1).min(n)]);
    std::array::from_fn(|k| (a[k] as f32 + (b[k] as f32 - a[k] as f32) * f).round() as u8)
}

/// Diverging map for signed activations: −`max` blue, 0 white, +`max` red.
pub fn diverging(v: f32, max: f32) -> Rgb {
    let m = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    ramp(&RDBU, 0.5 + 0.5 * v / m)
}

/// Sequential map, 0 → near white, 1 → dark blue.
pub fn sequential(t: f32) -> Rgb {
    ramp(&BLUES, t)
}

/// Heat-map colour of `count` out of a largest count `max`, on a log scale
/// (`ln(1+count) / ln(1+max)`) so that single errors beside a diagonal of thousands are
/// still visible. Strictly darker for every larger count; 0 is white.
pub fn heat(count: usize, max: usize) -> Rgb {
    if count == 0 {
        return WHITE;
    }
    let t = (count as f32).ln_1p() / (max.max(count) as f32).ln_1p();
    // Keep 1 visibly off white: map (0, 1] to [0.12, 1].
    sequential(0.12 + 0.88 * t)
}

/// Grey level for a value where −1 is paper (white) and +1 is ink (black): the RBF
/// bitmaps' convention.
pub fn ink_pm1(v: f32) -> Rgb {
    let t = (0.5 + 0.5 * v).clamp(0.0, 1.0);
    let g = (255.0 * (1.0 - t)).round() as u8;
    [g, g, g]
}

/// An MNIST pixel (255 = ink) as dark ink on white paper.
pub fn ink_u8(p: u8) -> Rgb {
    [255 - p; 3]
}

/// Relative luminance (Rec. 709 weights on sRGB values), 0..255.
pub fn luminance(c: Rgb) -> f32 {
    0.2126 * c[0] as f32 + 0.7152 * c[1] as f32 + 0.0722 * c[2] as f32
}

/// Black or white, whichever reads better on `bg`.
pub fn text_on(bg: Rgb) -> Rgb {
    if luminance(bg) > 140.0 { INK } else { WHITE }
}

/// `#rrggbb`.
pub fn hex(c: Rgb) -> String {
    format!("#{:02x}{:02x}{:02x}", c[0], c[1], c[2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_monotone_in_lightness() {
        let mut prev = f32::INFINITY;
        for k in 0..=100 {
            let l = luminance(sequential(k as f32 / 100.0));
            assert!(l < prev, "sequential not darkening at {k}");
            prev = l;
        }
        assert_eq!(diverging(0.0, 1.0), [247, 247, 247]);
        assert_eq!(diverging(-5.0, 1.0), RDBU[0]);
        assert_eq!(diverging(5.0, 1.0), RDBU[6]);
        assert_eq!(ink_pm1(-1.0), WHITE);
        assert_eq!(ink_pm1(1.0), BLACK);
    }
}
