#![no_main]
//! Fuzz target `image`: see `lenet5_fuzz::check_image`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lenet5_fuzz::check_image(data);
});
