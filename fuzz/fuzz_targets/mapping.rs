//! Any text as a mapping file against a fixed header: it is accepted or refused with a
//! message, never a panic.

#![no_main]

use corridor_ingest::mapping;
use corridor_model::Model;
use libfuzzer_sys::fuzz_target;

/// Columns of a typical border-police export, so that column references can resolve.
const HEADER: [&str; 9] = [
    "id", "ime", "prezime", "rodjen", "drz", "tel", "izvor", "napomena", "tablice",
];

fuzz_target!(|text: &str| {
    let header: Vec<String> = HEADER.iter().map(|c| (*c).to_owned()).collect();
    let _ = mapping::parse(text, Some(&header), Model::builtin());
});
