//! A date value and a date format, split at the first newline: a format that passes
//! `check_format` must read any value without panicking, and whatever it reads must be an ISO
//! partial date.

#![no_main]

use corridor_ingest::dates::{check_format, parse_date};
use corridor_model::types::partial_date;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    // Without a newline, a common agency format keeps the fuzzer exploring values.
    let (value, format) = input.split_once('\n').unwrap_or((input, "%d.%m.%Y"));
    if check_format(format).is_err() {
        return;
    }
    if let Ok(iso) = parse_date(value, &[format.to_owned()]) {
        assert!(
            partial_date(&iso).is_ok(),
            "{value:?} read with {format:?} as {iso:?}, which is not an ISO partial date"
        );
    }
});
