//! Every limit Corridor's ingest and log enforce, as named constants with the unit last.
//!
//! Over a limit is an error for that one row or record, with a reason that names the limit; it
//! is never a crash and never takes other rows with it. The values are sized so that a batch at
//! its limits fits comfortably in memory (`batch_records_max` × `record_bytes_max` ≈ 640 MiB is
//! the theoretical worst case; real records are a few hundred bytes).

/// Longest value of one property, or one CSV cell, in bytes of UTF-8.
pub const FIELD_BYTES_MAX: usize = 8 * 1024;

/// Longest CSV row or FtM JSON line, in bytes, before any parsing into fields.
pub const ROW_BYTES_MAX: usize = 64 * 1024;

/// Most property values one record may carry, summed over all its properties.
pub const PROPERTY_VALUES_PER_RECORD_MAX: usize = 256;

/// Most columns a CSV file may have.
pub const COLUMNS_MAX: usize = 512;

/// Most records (entities) one mapping may produce from one CSV row.
pub const ENTITIES_PER_ROW_MAX: usize = 16;

/// Longest record id, in bytes.
pub const RECORD_ID_BYTES_MAX: usize = 128;

/// Records per ingest batch unless the caller asks for fewer. A batch is one transaction: it
/// commits whole or not at all, so this is also the most work a crash can undo.
pub const BATCH_RECORDS_DEFAULT: usize = 10_000;

/// Most records one batch may hold, whatever the caller asks.
pub const BATCH_RECORDS_MAX: usize = 100_000;

/// Longest mapping or configuration file, in bytes.
pub const MAPPING_BYTES_MAX: usize = 1024 * 1024;

/// Longest free-text handling condition (UK 3x5x2 handling code C), in bytes.
pub const CONDITIONS_BYTES_MAX: usize = 2 * 1024;
