//! Properties of the bounded CSV reader: whatever the `csv` crate writes, `CsvRows` reads back
//! field for field, and reports each row on the line it starts on; whatever bytes arrive, it
//! neither panics nor reports lines out of order.

use corridor_ingest::csvread::{CsvRows, RowRead};
use proptest::prelude::*;
use std::io::Read;

/// Pieces that exercise quoting (delimiters, quotes, every line ending), whitespace that must
/// survive untrimmed, and the scripts agencies' files are in.
const PIECES: &[&str] = &[
    "",
    ",",
    ";",
    "\t",
    "\"",
    "\r",
    "\n",
    "\r\n",
    " ",
    "  ",
    "a",
    "Z9",
    "Ђорђе",
    "ж",
    "محمد",
    "ب",
    "#",
    "'",
];

fn field() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..5).prop_map(|parts| parts.concat())
}

fn table() -> impl Strategy<Value = Vec<Vec<String>>> {
    (1usize..8).prop_flat_map(|columns| {
        prop::collection::vec(prop::collection::vec(field(), columns), 0..30)
    })
}

#[derive(Debug, Clone, Copy)]
struct Dialect {
    delimiter: u8,
    crlf: bool,
}

fn dialect() -> impl Strategy<Value = Dialect> {
    (
        prop::sample::select(&[b',', b';', b'\t'][..]),
        any::<bool>(),
    )
        .prop_map(|(delimiter, crlf)| Dialect { delimiter, crlf })
}

/// The bytes the writer produces, and the byte offset at which each row starts.
fn write_table(rows: &[Vec<String>], dialect: Dialect) -> (Vec<u8>, Vec<usize>) {
    let terminator = if dialect.crlf {
        csv::Terminator::CRLF
    } else {
        csv::Terminator::Any(b'\n')
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(dialect.delimiter)
        .terminator(terminator)
        .from_writer(Vec::new());
    let mut starts = Vec::with_capacity(rows.len());
    for row in rows {
        // The writer buffers internally; flushing makes the inner Vec's length the row's offset.
        writer.flush().unwrap();
        starts.push(writer.get_ref().len());
        writer.write_record(row).unwrap();
    }
    let bytes = writer.into_inner().unwrap();
    (bytes, starts)
}

/// A reader that hands out at most `chunk_bytes` per call, so that rows, quotes and `\r\n`
/// pairs straddle refills the way they do at the reader's real buffer boundaries.
struct Trickle<'a> {
    bytes: &'a [u8],
    chunk_bytes: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.chunk_bytes.min(buf.len()).min(self.bytes.len());
        buf[..n].copy_from_slice(&self.bytes[..n]);
        self.bytes = &self.bytes[n..];
        Ok(n)
    }
}

fn read_all(bytes: &[u8], delimiter: u8, chunk_bytes: usize) -> Vec<(RowRead, Vec<Vec<u8>>)> {
    let mut reader = CsvRows::new(Trickle { bytes, chunk_bytes }, delimiter);
    let mut rows = Vec::new();
    while let Some(read) = reader.next_row().unwrap() {
        let fields = (0..reader.len())
            .map(|i| reader.field(i).to_vec())
            .collect();
        rows.push((read, fields));
    }
    rows
}

#[test]
fn writer_quotes_a_lone_empty_field() {
    // The round-trip property below relies on this: a row of one empty field is written as `""`,
    // not as a blank line (which every CSV reader, csv_core included, skips).
    let (bytes, _) = write_table(
        &[vec![String::new()], vec!["x".into()]],
        Dialect {
            delimiter: b',',
            crlf: false,
        },
    );
    assert_eq!(bytes, b"\"\"\nx\n");
    let read = read_all(&bytes, b',', usize::MAX);
    assert_eq!(read.len(), 2);
    assert_eq!(read[0].1, vec![Vec::<u8>::new()]);
}

proptest! {
    #[test]
    fn written_tables_read_back_exactly(
        rows in table(),
        dialect in dialect(),
        chunk_bytes in prop_oneof![Just(usize::MAX), 1usize..8],
    ) {
        let (bytes, starts) = write_table(&rows, dialect);
        let read = read_all(&bytes, dialect.delimiter, chunk_bytes);
        prop_assert_eq!(read.len(), rows.len(), "row count of {:?}", String::from_utf8_lossy(&bytes));
        for (i, ((got, fields), want)) in read.iter().zip(&rows).enumerate() {
            let newlines_before = bytes[..starts[i]].iter().filter(|&&b| b == b'\n').count() as u64;
            prop_assert_eq!(*got, RowRead::Row { line: 1 + newlines_before }, "row {}", i);
            let want: Vec<Vec<u8>> = want.iter().map(|f| f.as_bytes().to_vec()).collect();
            prop_assert_eq!(fields, &want, "fields of row {}", i);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_lines_never_go_back(
        bytes in prop::collection::vec(
            prop_oneof![
                4 => prop::sample::select(&b",;\"\r\n \tax"[..]),
                1 => any::<u8>(),
            ],
            0..400,
        ),
        delimiter in prop::sample::select(&[b',', b';'][..]),
        chunk_bytes in prop_oneof![Just(usize::MAX), 1usize..8],
    ) {
        let newlines_total = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let mut reader = CsvRows::new(Trickle { bytes: &bytes, chunk_bytes }, delimiter);
        let mut previous_line = 1u64;
        while let Some(read) = reader.next_row().unwrap() {
            let line = match read {
                RowRead::Row { line } => {
                    for i in 0..reader.len() {
                        prop_assert!(reader.field(i).len() <= reader.row_bytes());
                    }
                    line
                }
                RowRead::TooLong { line } | RowRead::TooManyColumns { line } => line,
            };
            prop_assert!(line >= previous_line, "line {} after line {}", line, previous_line);
            prop_assert!(line <= 1 + newlines_total, "line {} of {} newlines", line, newlines_total);
            previous_line = line;
        }
        prop_assert_eq!(reader.bytes_consumed(), bytes.len() as u64);
    }
}
