//! Layers. Each file holds one kind of layer, its forward and backward side by side,
//! on plain contiguous `f32` buffers whose shapes are written in the comments.

pub mod act;
pub mod conv;
pub mod gradcheck;
pub mod linear;
pub mod loss;
pub mod pool;
pub mod rbf;
