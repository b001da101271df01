//! Memory, errors and output buffers shared by every exported function (see the
//! conventions in the [module documentation](super)).

use std::cell::RefCell;

/// What the last call left for the script to read.
#[derive(Default)]
pub struct Out {
    /// The last error message (when a call returned -1).
    pub error: String,
    /// JSON text.
    pub json: String,
    /// `f32` results (activations, scores, weights).
    pub floats: Vec<f32>,
    /// Byte results (a checkpoint).
    pub bytes: Vec<u8>,
}

thread_local! {
    static OUT: RefCell<Out> = RefCell::new(Out::default());
    /// The message of the last panic (a bug: the call trapped).
    static PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs one exported call: clears the output buffers, runs `f` with them, and turns its
/// result into the `i32` the script reads (`>= 0` as given, an error: -1 and its message).
pub fn call(f: impl FnOnce(&mut Out) -> Result<i32, String>) -> i32 {
    install_panic_hook();
    OUT.with(|cell| {
        let mut out = cell.borrow_mut();
        out.error.clear();
        out.json.clear();
        out.floats.clear();
        out.bytes.clear();
        match f(&mut out) {
            Ok(v) => v.max(0),
            Err(e) => {
                out.error = e;
                -1
            }
        }
    })
}

/// Records a panic's message before the module traps, so that the script can report
/// it (`lenet5_panic_ptr`) instead of a bare "unreachable".
fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            PANIC.with(|p| {
                if let Ok(mut p) = p.try_borrow_mut() {
                    *p = info.to_string();
                }
            });
        }));
    });
}

/// The bytes the script copied into the module at `ptr`.
///
/// # Safety
/// `ptr` must come from [`lenet5_alloc`] with at least `len` bytes, still allocated.
pub unsafe fn input<'a>(ptr: *const u8, len: usize) -> &'a [u8] {
    if len == 0 || ptr.is_null() {
        return &[];
    }
    // SAFETY: the caller's contract.
    unsafe { std::slice::from_raw_parts(ptr, len) }
}

/// A handle table: slots of `T`, a handle is a slot's index.
pub struct Table<T>(Vec<Option<T>>);

impl<T> Table<T> {
    /// An empty table.
    pub const fn new() -> Self {
        Table(Vec::new())
    }
    /// Stores `t`, returning its handle (the first free slot).
    pub fn insert(&mut self, t: T) -> i32 {
        let i = match self.0.iter().position(Option::is_none) {
            Some(i) => i,
            None => {
                self.0.push(None);
                self.0.len() - 1
            }
        };
        self.0[i] = Some(t);
        i as i32
    }
    /// The item of handle `h`, or an error naming `what`.
    pub fn get_mut(&mut self, h: i32, what: &str) -> Result<&mut T, String> {
        usize::try_from(h)
            .ok()
            .and_then(|i| self.0.get_mut(i))
            .and_then(Option::as_mut)
            .ok_or_else(|| format!("no {what} with handle {h} (dropped, or never loaded)"))
    }
    /// Frees handle `h` (nothing if it is not in use).
    pub fn remove(&mut self, h: i32) {
        if let Some(slot) = usize::try_from(h).ok().and_then(|i| self.0.get_mut(i)) {
            *slot = None;
        }
    }
}

/// The version of this interface (the script checks it: [`crate::ABI_VERSION`]).
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_abi_version() -> u32 {
    crate::ABI_VERSION
}

/// A buffer of `len` bytes for the script to fill, or null when memory runs out.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_alloc(len: usize) -> *mut u8 {
    let mut v: Vec<u8> = Vec::new();
    if v.try_reserve_exact(len).is_err() {
        return std::ptr::null_mut();
    }
    v.resize(len, 0);
    Box::into_raw(v.into_boxed_slice()) as *mut u8
}

/// Frees a buffer from [`lenet5_alloc`].
///
/// # Safety
/// `ptr` and `len` must be exactly what [`lenet5_alloc`] gave and took, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn lenet5_free(ptr: *mut u8, len: usize) {
    if !ptr.is_null() {
        // SAFETY: the caller's contract: a boxed slice of `len` bytes from lenet5_alloc.
        drop(unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, len)) });
    }
}

macro_rules! buffer_exports {
    ($($ptr:ident, $len:ident, $field:ident, $doc:literal;)*) => {$(
        #[doc = concat!("Where ", $doc, " is (valid until the next call).")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $ptr() -> *const u8 {
            OUT.with(|o| o.borrow().$field.as_ptr() as *const u8)
        }
        #[doc = concat!("The length of ", $doc, " (bytes; `f32`s for the floats).")]
        #[unsafe(no_mangle)]
        pub extern "C" fn $len() -> usize {
            OUT.with(|o| o.borrow().$field.len())
        }
    )*};
}

buffer_exports! {
    lenet5_error_ptr, lenet5_error_len, error, "the last error message (UTF-8)";
    lenet5_json_ptr, lenet5_json_len, json, "the last JSON result (UTF-8)";
    lenet5_floats_ptr, lenet5_floats_len, floats, "the last `f32` result";
    lenet5_bytes_ptr, lenet5_bytes_len, bytes, "the last byte result";
}

/// Where the last panic's message is (UTF-8; empty: no panic). Read by the script after
/// a trap, when the other buffers may be unusable.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_panic_ptr() -> *const u8 {
    PANIC.with(|p| p.try_borrow().map_or(std::ptr::null(), |s| s.as_ptr()))
}

/// The length of the last panic's message.
#[unsafe(no_mangle)]
pub extern "C" fn lenet5_panic_len() -> usize {
    PANIC.with(|p| p.try_borrow().map_or(0, |s| s.len()))
}
