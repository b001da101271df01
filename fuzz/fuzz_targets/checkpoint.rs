#![no_main]
//! Fuzz target `checkpoint`: see `lenet5_fuzz::check_checkpoint`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lenet5_fuzz::check_checkpoint(data);
});
