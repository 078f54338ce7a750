//! Any bytes through the bounded CSV reader, with both delimiters agencies use: no panic, every
//! field within the row, and line numbers that never go back.

#![no_main]

use std::hint::black_box;

use corridor_ingest::csvread::{CsvRows, RowRead};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for delimiter in [b',', b';'] {
        let mut rows = CsvRows::new(data, delimiter);
        let mut previous_line = 1;
        // Reading from a slice cannot fail, so an error simply ends the input.
        while let Ok(Some(read)) = rows.next_row() {
            let line = match read {
                RowRead::Row { line } => {
                    for i in 0..rows.len() {
                        let field = black_box(rows.field(i));
                        assert!(field.len() <= rows.row_bytes());
                    }
                    line
                }
                RowRead::TooLong { line } | RowRead::TooManyColumns { line } => line,
            };
            assert!(line >= previous_line, "line {line} after {previous_line}");
            previous_line = line;
        }
    }
});
