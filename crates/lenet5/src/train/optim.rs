//! Optimisers over the flat parameter vector, and learning-rate schedules.
//!
//! - SDLM (stochastic diagonal Levenberg-Marquardt, LeCun et al. 1998 appendix C):
//!   each parameter k moves by ε/(μ + h_kk) · g_k, h_kk the diagonal Gauss-Newton
//!   curvature estimated before each pass.
//! - SGD with momentum (PyTorch convention: v ← μv + g + λp; p ← p − lr·v).
//! - Adam (Kingma & Ba 2015).
//!
//! Learning-rate schedules are in [`super::schedule`], their defaults in [`super::presets`].

use serde::{Deserialize, Serialize};

use crate::kernels::update;

/// Which optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OptimKind {
    /// Stochastic diagonal Levenberg-Marquardt (the paper's; classic only).
    Sdlm,
    /// SGD with momentum.
    Sgd,
    /// Adam.
    Adam,
}

impl OptimKind {
    /// Name as used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OptimKind::Sdlm => "sdlm",
            OptimKind::Sgd => "sgd",
            OptimKind::Adam => "adam",
        }
    }
}

/// Optimiser state: one or two buffers shaped like the parameters.
#[derive(Clone, Debug, PartialEq)]
pub enum OptimState {
    /// SDLM keeps only the per-pass step sizes ε/(μ + h), recomputed every pass.
    Sdlm {
        step: Vec<f32>,
    },
    Sgd {
        velocity: Vec<f32>,
    },
    Adam {
        m: Vec<f32>,
        v: Vec<f32>,
        t: u64,
    },
}

impl OptimState {
    /// Fresh state for `n` parameters.
    pub fn new(kind: OptimKind, n: usize) -> Self {
        match kind {
            OptimKind::Sdlm => OptimState::Sdlm { step: vec![0.0; n] },
            OptimKind::Sgd => OptimState::Sgd {
                velocity: vec![0.0; n],
            },
            OptimKind::Adam => OptimState::Adam {
                m: vec![0.0; n],
                v: vec![0.0; n],
                t: 0,
            },
        }
    }

    /// The named buffers to keep in a checkpoint (SDLM keeps none: its curvature is
    /// re-estimated at the start of every pass).
    pub fn buffers(&self) -> Vec<(&'static str, &[f32])> {
        match self {
            OptimState::Sdlm { .. } => vec![],
            OptimState::Sgd { velocity } => vec![("velocity", velocity)],
            OptimState::Adam { m, v, .. } => vec![("m", m), ("v", v)],
        }
    }

    /// Mutable access to the buffers, same order as [`OptimState::buffers`].
    pub fn buffers_mut(&mut self) -> Vec<(&'static str, &mut Vec<f32>)> {
        match self {
            OptimState::Sdlm { .. } => vec![],
            OptimState::Sgd { velocity } => vec![("velocity", velocity)],
            OptimState::Adam { m, v, .. } => vec![("m", m), ("v", v)],
        }
    }

    /// SDLM: sets the per-parameter steps ε/(μ + h) from the curvature `h`.
    pub fn set_sdlm_steps(&mut self, eps: f32, mu: f32, h: &[f32]) {
        if let OptimState::Sdlm { step } = self {
            for (s, &hk) in step.iter_mut().zip(h) {
                *s = eps / (mu + hk);
            }
        }
    }

    /// One update of `params` with gradient `g`.
    pub fn step(
        &mut self,
        params: &mut [f32],
        g: &[f32],
        lr: f32,
        momentum: f32,
        weight_decay: f32,
    ) {
        match self {
            // p −= step ⊙ g (vectorised; same arithmetic as the formula)
            OptimState::Sdlm { step } => update::sdlm(params, g, step),
            // v ← μv + g + λp; p ← p − lr·v
            OptimState::Sgd { velocity } => {
                update::sgd(params, g, velocity, lr, momentum, weight_decay)
            }
            OptimState::Adam { m, v, t } => {
                let (b1, b2, eps) = (0.9f32, 0.999f32, 1e-8f32);
                // Saturating: the counter may come from a checkpoint (outside data).
                *t = t.saturating_add(1);
                let e = (*t).min(i32::MAX as u64) as i32;
                let c1 = 1.0 - b1.powi(e);
                let c2 = 1.0 - b2.powi(e);
                for (((p, &gk), mk), vk) in
                    params.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut())
                {
                    let gk = gk + weight_decay * *p;
                    *mk = b1 * *mk + (1.0 - b1) * gk;
                    *vk = b2 * *vk + (1.0 - b2) * gk * gk;
                    *p -= lr * (*mk / c1) / ((*vk / c2).sqrt() + eps);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimisers_minimise_a_quadratic() {
        // f(p) = ½ Σ a_k p_k², gradient a_k p_k, curvature a_k.
        let a = [1.0f32, 10.0, 0.1];
        for kind in [OptimKind::Sdlm, OptimKind::Sgd, OptimKind::Adam] {
            let mut p = vec![1.0f32; 3];
            let mut st = OptimState::new(kind, 3);
            st.set_sdlm_steps(0.5, 0.02, &a);
            let lr = if kind == OptimKind::Adam { 0.05 } else { 0.02 };
            for _ in 0..2000 {
                let g: Vec<f32> = p.iter().zip(&a).map(|(p, a)| p * a).collect();
                st.step(&mut p, &g, lr, 0.9, 0.0);
            }
            assert!(p.iter().all(|v| v.abs() < 1e-2), "{kind:?}: {p:?}");
        }
    }

    #[test]
    fn sdlm_step_is_eps_over_mu_plus_h() {
        let mut st = OptimState::new(OptimKind::Sdlm, 2);
        st.set_sdlm_steps(0.001, 0.02, &[0.0, 0.98]);
        let mut p = vec![0.0, 0.0];
        st.step(&mut p, &[1.0, 1.0], 0.0, 0.0, 0.0);
        assert!((p[0] + 0.05).abs() < 1e-7 && (p[1] + 0.001).abs() < 1e-7);
    }
}
