//! The training configuration and the one table of its defaults.
//!
//! Every default a user can get without typing it is decided here: the recipe of each
//! architecture ([`TrainConfig::defaults`]), what follows from the optimiser
//! ([`OPTIM_DEFAULTS`]), and the named recipes ([`PRESETS`]). Front ends (the CLI, the
//! Python package) only map their options onto [`TrainOverrides`] and call
//! [`TrainConfig::from_overrides`].

use serde::{Deserialize, Serialize};

use super::optim::OptimKind;
use super::schedule::Schedule;
use crate::data::augment::{Augment, AugmentKind};
use crate::error::{Error, Result};
use crate::model::Arch;

/// Everything that defines a training run (stored in every checkpoint: the field order
/// and names are part of the checkpoint format).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    pub arch: Arch,
    pub optim: OptimKind,
    pub schedule: Schedule,
    pub epochs: usize,
    /// Images per update (1 = the paper's per-pattern SDLM).
    pub batch: usize,
    /// Base learning rate (SDLM: ε of the first passes).
    pub lr: f32,
    pub momentum: f32,
    pub weight_decay: f32,
    /// SDLM's μ.
    pub sdlm_mu: f32,
    /// Patterns used to estimate the SDLM curvature before each pass.
    pub hessian_samples: usize,
    pub seed: u64,
    /// Distortions applied to the training images.
    #[serde(default)]
    pub augment: Augment,
    /// Train on the first N images only (for quick tests); None = all.
    #[serde(default)]
    pub limit: Option<usize>,
    /// Add the labelled pieces of this many synthetic strings of training digits
    /// ([`crate::read::pieces`]) to the training set: a reader that knows what is not a
    /// digit. None = MNIST alone (and the field is not written, so the checkpoints of
    /// every other recipe keep their bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pieces: Option<usize>,
}

/// Most synthetic strings whose pieces may join a training set ([`TrainConfig::pieces`]):
/// about 6 million pieces, 4.7 GB.
pub const MAX_PIECE_STRINGS: usize = 200_000;

/// What follows from the choice of optimiser.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptimDefaults {
    pub optim: OptimKind,
    /// Base learning rate.
    pub lr: f32,
    pub schedule: Schedule,
    /// Images per update.
    pub batch: usize,
    pub momentum: f32,
}

/// The defaults that follow the optimiser: SDLM is the paper's per-pattern recipe (ε
/// 5e-4 and its step schedule); SGD and Adam run mini-batches of 64 down a cosine.
pub const OPTIM_DEFAULTS: [OptimDefaults; 3] = [
    OptimDefaults {
        optim: OptimKind::Sdlm,
        lr: 5e-4,
        schedule: Schedule::Paper,
        batch: 1,
        momentum: 0.0,
    },
    OptimDefaults {
        optim: OptimKind::Sgd,
        lr: 0.05,
        schedule: Schedule::Cosine,
        batch: 64,
        momentum: 0.9,
    },
    OptimDefaults {
        optim: OptimKind::Adam,
        lr: 1e-3,
        schedule: Schedule::Cosine,
        batch: 64,
        momentum: 0.0,
    },
];

/// A named recipe: an architecture's defaults with a few settings changed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preset {
    pub name: &'static str,
    /// One line for `--help` and the docs.
    pub about: &'static str,
    pub arch: Arch,
    pub epochs: usize,
    pub augment: AugmentKind,
    /// Replaces the optimiser's schedule.
    pub schedule: Option<Schedule>,
    /// Replaces the optimiser's learning rate.
    pub lr: Option<f32>,
    /// Strings whose cut pieces join the training set ([`TrainConfig::pieces`]).
    pub pieces: Option<usize>,
}

/// The named recipes. `classic-best`, `modern-best` and `modern-reader` are the bundled
/// networks.
pub const PRESETS: [Preset; 6] = [
    Preset {
        name: "paper",
        about: "classic, SDLM per pattern, the paper's ε schedule, 20 passes, no distortion",
        arch: Arch::Classic,
        epochs: 20,
        augment: AugmentKind::None,
        schedule: None,
        lr: None,
        pieces: None,
    },
    Preset {
        name: "paper-distorted",
        about: "the same on affinely distorted images (the paper's 0.8 % setup)",
        arch: Arch::Classic,
        epochs: 20,
        augment: AugmentKind::Affine,
        schedule: None,
        lr: None,
        pieces: None,
    },
    Preset {
        name: "classic-best",
        about: "classic, SDLM with ε from 2e-4 down a cosine, affine distortions, 40 passes (the bundled classic model)",
        arch: Arch::Classic,
        epochs: 40,
        augment: AugmentKind::Affine,
        schedule: Some(Schedule::Cosine),
        lr: Some(2e-4),
        pieces: None,
    },
    Preset {
        name: "modern",
        about: "modern, SGD + momentum, cosine, 20 epochs, no distortion",
        arch: Arch::Modern,
        epochs: 20,
        augment: AugmentKind::None,
        schedule: None,
        lr: None,
        pieces: None,
    },
    Preset {
        name: "modern-best",
        about: "modern with affine distortions, 40 epochs (the bundled modern model)",
        arch: Arch::Modern,
        epochs: 40,
        augment: AugmentKind::Affine,
        schedule: None,
        lr: None,
        pieces: None,
    },
    Preset {
        name: "modern-reader",
        about: "modern-best's recipe, 20 epochs, on MNIST plus the labelled pieces of 4,000 synthetic strings (the bundled reader)",
        arch: Arch::Modern,
        epochs: 20,
        augment: AugmentKind::Affine,
        schedule: None,
        lr: None,
        pieces: Some(4_000),
    },
];

/// Settings a user gave (None: not given). See [`TrainConfig::from_overrides`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TrainOverrides {
    pub preset: Option<String>,
    pub arch: Option<Arch>,
    pub optim: Option<OptimKind>,
    pub schedule: Option<Schedule>,
    pub epochs: Option<usize>,
    pub batch: Option<usize>,
    pub lr: Option<f32>,
    pub momentum: Option<f32>,
    pub weight_decay: Option<f32>,
    pub augment: Option<AugmentKind>,
    pub seed: Option<u64>,
    pub limit: Option<usize>,
    pub pieces: Option<usize>,
}

impl OptimKind {
    /// The defaults that follow this optimiser ([`OPTIM_DEFAULTS`]).
    pub fn defaults(self) -> OptimDefaults {
        *OPTIM_DEFAULTS
            .iter()
            .find(|d| d.optim == self)
            .expect("every optimiser has a row")
    }
}

impl Preset {
    /// The preset called `name`.
    pub fn named(name: &str) -> Option<Preset> {
        PRESETS.iter().find(|p| p.name == name).copied()
    }
}

impl TrainConfig {
    /// The defaults of each architecture: the paper's recipe for classic (SDLM, per
    /// pattern, 20 passes), SGD + momentum + cosine with weight decay 5e-4 for modern.
    pub fn defaults(arch: Arch) -> Self {
        let (optim, weight_decay) = match arch {
            Arch::Classic => (OptimKind::Sdlm, 0.0),
            Arch::Modern => (OptimKind::Sgd, 5e-4),
        };
        let o = optim.defaults();
        TrainConfig {
            arch,
            optim,
            schedule: o.schedule,
            epochs: 20,
            batch: o.batch,
            lr: o.lr,
            momentum: o.momentum,
            weight_decay,
            sdlm_mu: 0.02,
            hessian_samples: 500,
            seed: 1,
            augment: Augment::None,
            limit: None,
            pieces: None,
        }
    }

    /// The recipe called `name` (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Self> {
        let p = Preset::named(name)?;
        let mut c = Self::defaults(p.arch);
        c.epochs = p.epochs;
        c.augment = p.augment.into();
        if let Some(s) = p.schedule {
            c.schedule = s;
        }
        if let Some(lr) = p.lr {
            c.lr = lr;
        }
        c.pieces = p.pieces;
        Some(c)
    }

    /// The names of the presets, in table order.
    pub fn preset_names() -> Vec<&'static str> {
        PRESETS.iter().map(|p| p.name).collect()
    }

    /// The configuration a user asked for: the preset (or the architecture's defaults),
    /// then each setting given. A different architecture than the preset's starts from
    /// that architecture's defaults (keeping the preset's epochs and distortion); a
    /// different optimiser than the architecture's brings its own learning rate,
    /// schedule, batch and momentum ([`OPTIM_DEFAULTS`]) unless they are given too.
    pub fn from_overrides(o: &TrainOverrides) -> Result<Self> {
        let mut c = match &o.preset {
            Some(name) => Self::preset(name).ok_or_else(|| {
                Error::Usage(format!(
                    "unknown preset `{name}`; choose one of: {}",
                    Self::preset_names().join(", ")
                ))
            })?,
            None => Self::defaults(o.arch.unwrap_or(Arch::Classic)),
        };
        if let Some(a) = o.arch
            && a != c.arch
        {
            let keep = (c.epochs, c.augment);
            c = Self::defaults(a);
            (c.epochs, c.augment) = keep;
        }
        if let Some(optim) = o.optim {
            c.optim = optim;
            if optim != Self::defaults(c.arch).optim {
                let d = optim.defaults();
                (c.lr, c.schedule, c.batch, c.momentum) = (d.lr, d.schedule, d.batch, d.momentum);
            }
        }
        c.schedule = o.schedule.unwrap_or(c.schedule);
        c.epochs = o.epochs.unwrap_or(c.epochs);
        c.batch = o.batch.unwrap_or(c.batch);
        c.lr = o.lr.unwrap_or(c.lr);
        c.momentum = o.momentum.unwrap_or(c.momentum);
        c.weight_decay = o.weight_decay.unwrap_or(c.weight_decay);
        if let Some(a) = o.augment {
            c.augment = a.into();
        }
        c.seed = o.seed.unwrap_or(c.seed);
        c.limit = o.limit.or(c.limit);
        c.pieces = o.pieces.or(c.pieces);
        c.validate()?;
        Ok(c)
    }

    /// Checks the combination makes sense.
    pub fn validate(&self) -> Result<()> {
        if self.epochs == 0 || self.batch == 0 {
            return Err(Error::Usage(
                "--epochs and --batch must be at least 1".into(),
            ));
        }
        if let Some(n) = self.pieces
            && !(1..=MAX_PIECE_STRINGS).contains(&n)
        {
            return Err(Error::Usage(format!(
                "--pieces must be from 1 to {MAX_PIECE_STRINGS} strings (about 30 pieces of 784 bytes each), got {n}"
            )));
        }
        if self.optim == OptimKind::Sdlm && self.arch != Arch::Classic {
            return Err(Error::Usage("--optim sdlm needs --arch classic (its curvature pass is written for the paper's network); use sgd or adam".into()));
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return Err(Error::Usage(format!(
                "--lr must be a positive number, got {}",
                self.lr
            )));
        }
        // A resumed configuration comes from a file: refuse values that would blow up
        // (a huge elastic sigma means a huge smoothing kernel).
        for (name, v) in [
            ("momentum", self.momentum),
            ("weight decay", self.weight_decay),
            ("SDLM mu", self.sdlm_mu),
        ] {
            if !v.is_finite() {
                return Err(Error::Usage(format!("{name} must be finite, got {v}")));
            }
        }
        let augment_ok = match self.augment {
            Augment::None => true,
            Augment::Affine {
                shift,
                scale,
                squeeze,
                shear,
                rotate,
            } => [shift, scale, squeeze, shear, rotate]
                .iter()
                .all(|v| v.is_finite() && v.abs() <= 100.0),
            Augment::Elastic { sigma, alpha } => {
                sigma > 0.0 && sigma <= 28.0 && alpha.is_finite() && alpha.abs() <= 1000.0
            }
        };
        if !augment_ok {
            return Err(Error::Usage(format!(
                "distortion parameters out of range: {:?}",
                self.augment
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architecture_defaults_are_the_documented_recipes() {
        let c = TrainConfig::defaults(Arch::Classic);
        assert_eq!(
            (
                c.optim,
                c.schedule,
                c.batch,
                c.lr,
                c.momentum,
                c.weight_decay
            ),
            (OptimKind::Sdlm, Schedule::Paper, 1, 5e-4, 0.0, 0.0)
        );
        let m = TrainConfig::defaults(Arch::Modern);
        assert_eq!(
            (
                m.optim,
                m.schedule,
                m.batch,
                m.lr,
                m.momentum,
                m.weight_decay
            ),
            (OptimKind::Sgd, Schedule::Cosine, 64, 0.05, 0.9, 5e-4)
        );
        assert_eq!((c.epochs, m.epochs, c.seed), (20, 20, 1));
    }

    #[test]
    fn presets_change_only_what_their_row_says() {
        let best = TrainConfig::preset("classic-best").unwrap();
        let mut want = TrainConfig::defaults(Arch::Classic);
        (want.epochs, want.augment, want.schedule, want.lr) =
            (40, Augment::affine(), Schedule::Cosine, 2e-4);
        assert_eq!(best, want);
        let mb = TrainConfig::preset("modern-best").unwrap();
        let mut want = TrainConfig::defaults(Arch::Modern);
        (want.epochs, want.augment) = (40, Augment::affine());
        assert_eq!(mb, want);
        assert_eq!(
            TrainConfig::preset("paper").unwrap(),
            TrainConfig::defaults(Arch::Classic)
        );
        assert!(TrainConfig::preset("nope").is_none());
        assert_eq!(TrainConfig::preset_names().len(), PRESETS.len());
    }

    #[test]
    fn overrides_follow_the_optimiser_and_the_architecture() {
        // Adam on the modern network brings Adam's rate, keeps the modern batch of 64.
        let c = TrainConfig::from_overrides(&TrainOverrides {
            arch: Some(Arch::Modern),
            optim: Some(OptimKind::Adam),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (c.optim, c.lr, c.momentum, c.batch),
            (OptimKind::Adam, 1e-3, 0.0, 64)
        );
        // SGD on the classic network: SGD's batch and schedule, unless given.
        let c = TrainConfig::from_overrides(&TrainOverrides {
            optim: Some(OptimKind::Sgd),
            batch: Some(8),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (c.arch, c.lr, c.batch, c.schedule),
            (Arch::Classic, 0.05, 8, Schedule::Cosine)
        );
        // A preset with another architecture keeps its epochs and distortion.
        let c = TrainConfig::from_overrides(&TrainOverrides {
            preset: Some("classic-best".into()),
            arch: Some(Arch::Modern),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            (c.arch, c.epochs, c.augment, c.optim),
            (Arch::Modern, 40, Augment::affine(), OptimKind::Sgd)
        );
        // Errors name what is wrong.
        let e = TrainConfig::from_overrides(&TrainOverrides {
            preset: Some("fast".into()),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("unknown preset `fast`") && e.contains("modern-best"),
            "{e}"
        );
        let e = TrainConfig::from_overrides(&TrainOverrides {
            arch: Some(Arch::Modern),
            optim: Some(OptimKind::Sdlm),
            ..Default::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.contains("--optim sdlm needs --arch classic"), "{e}");
    }
}
