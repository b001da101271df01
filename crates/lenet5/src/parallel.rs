//! Data parallelism, decided in one place. With the `threads` feature (the default) rayon
//! spreads the work over threads; without it (e.g. for WebAssembly) the same functions
//! run on the calling thread. Results never depend on which, nor on the thread count:
//! every function returns its results in input order, and callers reduce them in order.

use crate::error::{Error, Result};

/// `f(piece)` for each `chunk`-sized piece of `items` (the last may be shorter), results
/// in order.
pub fn map_chunks<T: Sync, R: Send>(
    items: &[T],
    chunk: usize,
    f: impl Fn(&[T]) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        items.par_chunks(chunk).map(f).collect()
    }
    #[cfg(not(feature = "threads"))]
    {
        items.chunks(chunk).map(f).collect()
    }
}

/// `f(item)` for each item, results in order.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        items.par_iter().map(f).collect()
    }
    #[cfg(not(feature = "threads"))]
    {
        items.iter().map(f).collect()
    }
}

/// `f(state, item)` for each item, with one `state` made by `init` per worker (reused for
/// the items that worker takes), results in order.
pub fn map_with_state<T: Sync, S, R: Send>(
    items: &[T],
    init: impl Fn() -> S + Sync + Send,
    f: impl Fn(&mut S, &T) -> R + Sync + Send,
) -> Vec<R> {
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        items.par_iter().map_init(init, f).collect()
    }
    #[cfg(not(feature = "threads"))]
    {
        let mut state = init();
        items.iter().map(|t| f(&mut state, t)).collect()
    }
}

/// `f(&mut states[k], piece k)` for the `chunk`-sized pieces of `items`, piece k paired
/// with state k (there must be at least as many states as pieces).
pub fn zip_chunks<S: Send, T: Sync>(
    states: &mut [S],
    items: &[T],
    chunk: usize,
    f: impl Fn(&mut S, &[T]) + Sync + Send,
) {
    assert!(states.len() >= items.len().div_ceil(chunk));
    #[cfg(feature = "threads")]
    {
        use rayon::prelude::*;
        states
            .par_iter_mut()
            .zip(items.par_chunks(chunk))
            .for_each(|(s, piece)| f(s, piece));
    }
    #[cfg(not(feature = "threads"))]
    {
        for (s, piece) in states.iter_mut().zip(items.chunks(chunk)) {
            f(s, piece);
        }
    }
}

/// Runs `f` with `threads` worker threads for the functions above (a pool of its own,
/// so the caller's pool is untouched; its workers use the vector back end that
/// [`crate::kernels::simd::with_backend`] forces on the calling thread, if any). Without the `threads` feature, runs `f` here.
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> Result<R> {
    #[cfg(feature = "threads")]
    {
        // The workers run the kernels on the back end forced on this thread, if any.
        let forced = crate::kernels::simd::forced();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads.max(1))
            .start_handler(move |_| {
                crate::kernels::simd::set_forced(forced);
            })
            .build()
            .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))?;
        Ok(pool.install(f))
    }
    #[cfg(not(feature = "threads"))]
    {
        let _ = (threads, Error::Usage(String::new()));
        Ok(f())
    }
}

#[cfg(all(test, feature = "threads"))]
mod tests {
    use super::*;
    use crate::kernels::simd::{Kind, backend, with_backend};

    #[test]
    fn workers_take_over_the_forced_backend() {
        for kind in Kind::available_all() {
            let seen = with_backend(kind, || {
                with_threads(2, || map_chunks(&[0u8; 64], 1, |_| backend())).unwrap()
            })
            .unwrap();
            assert!(seen.iter().all(|&k| k == kind), "{kind:?}: {seen:?}");
        }
    }
}
