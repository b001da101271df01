#![no_main]
//! Fuzz target `predict_body`: see `lenet5_fuzz::check_predict_body`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    lenet5_fuzz::check_predict_body(data);
});
