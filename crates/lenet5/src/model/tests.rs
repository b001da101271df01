//! Whole-network tests: exact counts, end-to-end gradient checks, SDLM curvature.

use super::summary::{summary, trainable_params};
use super::*;
use crate::rng::Rng;

#[test]
fn classic_counts_match_the_paper() {
    let want = [
        ("C1", 156, 122_304),
        ("S2", 12, 5_880),
        ("C3", 1_516, 151_600),
        ("S4", 32, 2_000),
        ("C5", 48_120, 48_120),
        ("F6", 10_164, 10_164),
    ];
    let s = summary(Arch::Classic);
    for (l, (name, p, c)) in s.iter().zip(want) {
        assert_eq!((l.name, l.params, l.connections), (name, p, c));
    }
    assert_eq!((s[6].fixed, s[6].connections), (840, 840));
    assert_eq!(trainable_params(Arch::Classic), 60_000);
    // The parameter tensors agree: non-masked entries of the flat vector = 60,000.
    let net = Network::new(Arch::Classic, 1);
    let masked = net.mask.iter().filter(|&&m| m == 0.0).count();
    assert_eq!(net.params.len() - masked, 60_000);
    let c3 = Arch::Classic.layout().get("c3.weight").unwrap().clone();
    assert!(
        net.params[c3.range()]
            .iter()
            .zip(&net.mask)
            .all(|(w, m)| *m == 1.0 || *w == 0.0)
    );
}

#[test]
fn modern_counts() {
    assert_eq!(trainable_params(Arch::Modern), 61_706);
    assert_eq!(Arch::Modern.layout().total(), 61_706);
}

fn random_inputs(net: &Network, ws: &mut Workspace, n: usize) -> Vec<u8> {
    let mut r = Rng::new(99);
    for s in 0..n {
        let px: Vec<f32> = (0..784)
            .map(|_| {
                if r.next_f32() < 0.3 {
                    r.next_f32()
                } else {
                    0.0
                }
            })
            .collect();
        net.prepare_input(&px, ws, s);
    }
    (0..n).map(|_| r.below(10) as u8).collect()
}

/// The whole network's gradient, checked against central differences of the total
/// loss along two directions u in each tensor: (L(p+hu) − L(p−hu))/2h must equal g·u.
/// The directions are u = g and u = g ⊙ r (r random in [0.5, 1.5]): they give the
/// largest signal over f32 rounding of a loss of order 100 (single coordinates drown
/// in it), and a gradient that is wrong anywhere (a wrong index, a missing term) is not
/// the true one, so the measured slope along it disagrees with |g|².
fn check_network(arch: Arch) {
    let n = 3;
    let net = Network::new(arch, 5);
    let mut ws = Workspace::new(arch, n);
    let labels = random_inputs(&net, &mut ws, n);
    net.forward(&mut ws, n);
    net.loss(&mut ws, &labels, 1.0);
    let mut g = vec![0.0; net.params.len()];
    net.backward(&mut ws, n, &mut g);
    let input = ws.out.input.clone();
    let loss_at = |p: &[f32]| {
        let m = Network::from_params(arch, p.to_vec());
        let mut w = Workspace::new(arch, n);
        w.out.input.copy_from_slice(&input);
        m.forward(&mut w, n);
        m.loss(&mut w, &labels, 1.0).0
    };
    for t in arch.layout().tensors {
        let gt = &g[t.range()];
        let gmax = gt.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(gmax > 0.0, "{arch} {}: zero gradient", t.name);
        for dir in 0..2u64 {
            let r = crate::nn::gradcheck::rand_vec(t.len(), 100 + dir);
            // Scaled so that the largest coordinate moves by h.
            let u: Vec<f32> = gt
                .iter()
                .zip(&r)
                .map(|(g, r)| g / gmax * if dir == 0 { 1.0 } else { 1.0 + 0.5 * r })
                .collect();
            let analytic: f64 = u
                .iter()
                .zip(&g[t.range()])
                .map(|(a, b)| (*a as f64) * (*b as f64))
                .sum();
            let numeric_at = |h: f32| {
                let mut p = net.params.clone();
                for (v, du) in p[t.range()].iter_mut().zip(&u) {
                    *v += h * du;
                }
                let lp = loss_at(&p);
                for (v, du) in p[t.range()].iter_mut().zip(&u) {
                    *v -= 2.0 * h * du;
                }
                (lp - loss_at(&p)) / (2.0 * h as f64)
            };
            // Richardson extrapolation of two central differences cancels the h² term.
            // The step moves the loss by about 0.1 to first order: far above f32
            // rounding, small enough for the curvature.
            let h = (0.1 / analytic.abs()).min(4e-2) as f32;
            let numeric = (4.0 * numeric_at(h / 2.0) - numeric_at(h)) / 3.0;
            // Slopes below ~0.1 are compared absolutely: their f32 noise is ~1e-3.
            let rel = |num: f64| (num - analytic).abs() / (num.abs() + analytic.abs()).max(0.1);
            let err = rel(numeric);
            // Measured worst case 2.7e-3; a dropped tanh derivative (mutation-tested)
            // shows as 2.8e-2, a wrong index as O(1).
            let tol = 1e-2;
            if std::env::var("DBG").is_ok() {
                eprintln!(
                    "{arch} {} dir {dir}: numeric {numeric:.6} analytic {analytic:.6} err {err:.2e}",
                    t.name
                );
            }
            assert!(
                err < tol,
                "{arch} {}: numeric {numeric} vs analytic {analytic} (rel. error {err:.2e})",
                t.name
            );
        }
    }
}

#[test]
fn classic_network_gradient_check() {
    check_network(Arch::Classic);
}

#[test]
fn modern_network_gradient_check() {
    check_network(Arch::Modern);
}

#[test]
fn classic_curvature_is_positive_where_connected() {
    let net = Network::new(Arch::Classic, 3);
    let mut ws = Workspace::new(Arch::Classic, 1);
    random_inputs(&net, &mut ws, 1);
    net.forward(&mut ws, 1);
    let mut h = vec![0.0; net.params.len()];
    classic::hessian_diag(&net.params, &net.mask, &mut ws, &mut h);
    assert!(h.iter().all(|v| *v >= 0.0 && v.is_finite()));
    let c3 = Arch::Classic.layout().get("c3.weight").unwrap().clone();
    for (k, m) in net.mask.iter().enumerate() {
        if *m == 0.0 {
            assert_eq!(h[c3.offset + k], 0.0);
        }
    }
    // Biases get Σ f'² ⋯ > 0 at every layer.
    for name in [
        "c1.bias", "s2.bias", "c3.bias", "s4.bias", "c5.bias", "f6.bias",
    ] {
        let t = Arch::Classic.layout().get(name).unwrap().clone();
        assert!(h[t.range()].iter().all(|v| *v > 0.0), "{name}");
    }
    // F6 bias curvature is exactly 2·f'(a)² (the output term).
    let t = Arch::Classic.layout().get("f6.bias").unwrap().clone();
    for (j, v) in h[t.range()].iter().enumerate() {
        let f = crate::nn::act::tanh_deriv_from_output(ws.out.f6[j]);
        assert!((v - 2.0 * f * f).abs() < 1e-5);
    }
}

#[test]
fn same_seed_same_weights_and_predictions_are_batch_independent() {
    for arch in [Arch::Classic, Arch::Modern] {
        assert_eq!(Network::new(arch, 7), Network::new(arch, 7));
        assert_ne!(Network::new(arch, 7).params, Network::new(arch, 8).params);
        let net = Network::new(arch, 7);
        let mut ws = Workspace::new(arch, 4);
        random_inputs(&net, &mut ws, 4);
        net.forward(&mut ws, 4);
        let batch = ws.out.output.clone();
        for s in 0..4 {
            let mut one = Workspace::new(arch, 1);
            let l = arch.input_len();
            one.out
                .input
                .copy_from_slice(&ws.out.input[s * l..(s + 1) * l]);
            net.forward(&mut one, 1);
            for k in 0..10 {
                assert!(
                    (one.out.output[k] - batch[s * 10 + k]).abs()
                        <= 1e-5 * batch[s * 10 + k].abs().max(1.0)
                );
            }
        }
    }
}

#[test]
fn fused_sdlm_step_equals_backward_then_update() {
    // The trainer's per-pattern path (classic::sdlm_step) must give the same weights,
    // to the bit, as the plain backward pass into a zeroed gradient followed by the
    // optimiser's p −= step ⊙ g, over several patterns in a row.
    let mut rng = Rng::derive(5, &[1]);
    let mut fused = Network::new(Arch::Classic, 3);
    let mut plain = fused.clone();
    let n = fused.params.len();
    let step: Vec<f32> = (0..n).map(|_| rng.uniform(0.0, 0.05)).collect();
    let (mut ws_f, mut ws_p) = (
        Workspace::new(Arch::Classic, 1),
        Workspace::new(Arch::Classic, 1),
    );
    let (mut g_f, mut g_p) = (vec![7.0f32; n], vec![0.0f32; n]);
    for k in 0..5u8 {
        let px: Vec<f32> = (0..784).map(|_| rng.uniform(0.0, 1.0)).collect();
        for (net, ws) in [(&fused, &mut ws_f), (&plain, &mut ws_p)] {
            net.prepare_input(&px, ws, 0);
            net.forward(ws, 1);
            net.loss(ws, &[k % 10], 1.0);
        }
        fused.sdlm_step(&mut ws_f, &step, &mut g_f);
        g_p.fill(0.0);
        plain.backward(&mut ws_p, 1, &mut g_p);
        crate::kernels::update::sdlm(&mut plain.params, &g_p, &step);
        let same = fused
            .params
            .iter()
            .zip(&plain.params)
            .all(|(a, b)| a.to_bits() == b.to_bits());
        assert!(same, "weights differ after pattern {k}");
        assert_ne!(fused.params, Network::new(Arch::Classic, 3).params);
    }
    // The conv layers are the first tensors of the layout, as sdlm_step assumes.
    let layout = Arch::Classic.layout();
    assert_eq!(
        layout.get("c5.weight").unwrap().offset,
        classic::CONV_PARAMS
    );
    assert_eq!(classic::CONV_PARAMS, 150 + 6 + 6 + 6 + 2400 + 16 + 16 + 16);
}

#[test]
fn infer_gives_the_bits_of_forward_on_every_backend() {
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    for arch in [Arch::Classic, Arch::Modern] {
        for seed in [11, 12] {
            let net = Network::new(arch, seed);
            for n in [1usize, 5] {
                crate::kernels::testing::every_backend(|name| {
                    let mut ws = Workspace::new(arch, n);
                    random_inputs(&net, &mut ws, n);
                    net.forward(&mut ws, n);
                    let want = ws.out.clone();
                    // C3's weights from the workspace's scratch, then kept by the caller.
                    let kept = net.c3_tap_major();
                    for c3 in [None, Some(&kept)] {
                        let mut fast = Workspace::new(arch, n);
                        fast.out.input.copy_from_slice(&want.input);
                        net.infer(&mut fast, n, c3);
                        let got = &fast.out;
                        for (what, a, b) in [
                            ("s2", &got.s2, &want.s2),
                            ("s4", &got.s4, &want.s4),
                            ("c5", &got.c5, &want.c5),
                            ("f6", &got.f6, &want.f6),
                            ("output", &got.output, &want.output),
                        ] {
                            let kept = c3.is_some();
                            assert_eq!(bits(a), bits(b), "{arch} {name} n={n} kept {kept}: {what}");
                        }
                    }
                    assert!(want.s4.contains(&0.0) || arch == Arch::Classic);
                });
            }
        }
    }
}
