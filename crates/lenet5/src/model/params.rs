//! Parameter buffers: one flat `Vec<f32>` per network, cut into named tensors whose
//! names and shapes follow PyTorch's conventions (`c1.weight` `[6,1,5,5]`, ...).
//! Optimisers and checkpoints see the flat vector; the networks cut it into named views
//! ([`super::classic::ClassicParams`], [`super::modern::ModernParams`]).

/// One named tensor inside the flat parameter vector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// PyTorch-style name, e.g. `c3.weight`.
    pub name: &'static str,
    /// Shape, e.g. [16, 6, 5, 5].
    pub shape: Vec<usize>,
    /// Start in the flat vector.
    pub offset: usize,
}

impl TensorInfo {
    /// Number of elements.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
    /// Whether the tensor has no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Its range in the flat vector.
    pub fn range(&self) -> std::ops::Range<usize> {
        self.offset..self.offset + self.len()
    }
}

/// The ordered list of tensors of a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub tensors: Vec<TensorInfo>,
}

impl Layout {
    /// Builds a layout from (name, shape) pairs laid out back to back.
    pub fn new(spec: &[(&'static str, &[usize])]) -> Self {
        let mut offset = 0;
        let tensors = spec
            .iter()
            .map(|(name, shape)| {
                let t = TensorInfo {
                    name,
                    shape: shape.to_vec(),
                    offset,
                };
                offset += t.len();
                t
            })
            .collect();
        Layout { tensors }
    }
    /// Total number of floats (including masked-out C3 weights).
    pub fn total(&self) -> usize {
        self.tensors.last().map_or(0, |t| t.offset + t.len())
    }
    /// The tensor called `name`.
    pub fn get(&self, name: &str) -> Option<&TensorInfo> {
        self.tensors.iter().find(|t| t.name == name)
    }
}
