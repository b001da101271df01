#![no_main]
//! Fuzz target `idx`: see `lenet5_fuzz::check_idx`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lenet5_fuzz::check_idx(data);
});
