#![no_main]
//! Fuzz target `idx_gzip`: see `lenet5_fuzz::check_idx_gzip`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lenet5_fuzz::check_idx_gzip(data);
});
