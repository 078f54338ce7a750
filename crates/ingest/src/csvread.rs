//! A CSV reader with a hard bound on row size and column count.
//!
//! The `csv` crate grows its buffers to fit any record, so one unterminated quote can make a
//! single "row" of the whole remaining file. This reader drives `csv_core` with fixed buffers
//! instead: a row over [`ROW_BYTES_MAX`] or [`COLUMNS_MAX`] is skipped to its end and reported,
//! and memory stays bounded whatever the input. It also strips a UTF-8 byte order mark and
//! reports the line each row starts on, counting newlines inside quoted fields.

use std::io::{self, Read};

use corridor_model::limits::{COLUMNS_MAX, ROW_BYTES_MAX};
use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// Bytes read from the underlying reader at a time.
const READ_CHUNK_BYTES: usize = 256 * 1024;

/// What one call to [`CsvRows::next_row`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowRead {
    /// A row starting on this line; its fields are available through [`CsvRows::fields`].
    Row { line: u64 },
    /// A row starting on this line was longer than [`ROW_BYTES_MAX`] and was skipped.
    TooLong { line: u64 },
    /// A row starting on this line had more than [`COLUMNS_MAX`] fields and was skipped.
    TooManyColumns { line: u64 },
}

/// Reads rows one at a time from `R` with bounded memory.
pub struct CsvRows<R> {
    core: Reader,
    input: R,
    buf: Vec<u8>,
    buf_pos: usize,
    buf_end: usize,
    eof: bool,
    started: bool,
    newlines: u64,
    last_byte: u8,
    bytes_consumed: u64,
    out: Vec<u8>,
    ends: Vec<usize>,
    fields_len: usize,
    scratch_out: Vec<u8>,
    scratch_ends: Vec<usize>,
}

impl<R: Read> CsvRows<R> {
    /// A reader splitting fields on `delimiter`.
    pub fn new(input: R, delimiter: u8) -> Self {
        CsvRows {
            core: ReaderBuilder::new().delimiter(delimiter).build(),
            input,
            buf: vec![0; READ_CHUNK_BYTES],
            buf_pos: 0,
            buf_end: 0,
            eof: false,
            started: false,
            newlines: 0,
            last_byte: 0,
            bytes_consumed: 0,
            out: vec![0; ROW_BYTES_MAX],
            ends: vec![0; COLUMNS_MAX],
            fields_len: 0,
            scratch_out: vec![0; 4096],
            scratch_ends: vec![0; 64],
        }
    }

    /// Bytes of input consumed so far (for progress).
    pub fn bytes_consumed(&self) -> u64 {
        self.bytes_consumed
    }

    fn refill(&mut self) -> io::Result<()> {
        let n = loop {
            match self.input.read(&mut self.buf) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.buf_pos = 0;
        self.buf_end = n;
        if n == 0 {
            self.eof = true;
        }
        if !self.started {
            self.started = true;
            if self.buf[..n].starts_with(b"\xEF\xBB\xBF") {
                self.buf_pos = 3;
                self.bytes_consumed += 3;
            }
        }
        Ok(())
    }

    /// Reads the next row; `None` at the end of the input.
    pub fn next_row(&mut self) -> io::Result<Option<RowRead>> {
        let mut out_len = 0usize;
        let mut ends_len = 0usize;
        let mut too_long = false;
        let mut too_many = false;
        let mut newlines_in_row = 0u64;
        loop {
            if self.buf_pos == self.buf_end && !self.eof {
                self.refill()?;
            }
            let input = &self.buf[self.buf_pos..self.buf_end];
            let input_was_empty = input.is_empty();
            let (res, nin, nout, nend) = {
                let out: &mut [u8] = if too_long {
                    &mut self.scratch_out
                } else {
                    &mut self.out[out_len..]
                };
                let ends: &mut [usize] = if too_many {
                    &mut self.scratch_ends
                } else {
                    &mut self.ends[ends_len..]
                };
                self.core.read_record(input, out, ends)
            };
            let consumed = &input[..nin];
            self.newlines += consumed.iter().filter(|&&b| b == b'\n').count() as u64;
            if let Some(&b) = consumed.last() {
                self.last_byte = b;
            }
            self.buf_pos += nin;
            self.bytes_consumed += nin as u64;
            if too_long {
                newlines_in_row += self.scratch_out[..nout]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
            } else {
                newlines_in_row += self.out[out_len..out_len + nout]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count() as u64;
                out_len += nout;
            }
            if !too_many {
                ends_len += nend;
            }
            match res {
                ReadRecordResult::InputEmpty => {
                    if self.eof && nin == 0 && nout == 0 && nend == 0 {
                        // csv_core wants an empty input to finish the last record.
                        continue;
                    }
                }
                ReadRecordResult::OutputFull => too_long = true,
                ReadRecordResult::OutputEndsFull => too_many = true,
                ReadRecordResult::Record => {
                    // A record ended by the end of input sits on the line after the last newline
                    // (even one inside its quotes); one ended by a terminator, on that line.
                    let ended_by_eof = input_was_empty;
                    let end_line = if self.last_byte == b'\n' && !ended_by_eof {
                        self.newlines
                    } else {
                        self.newlines + 1
                    };
                    let line = end_line.saturating_sub(newlines_in_row).max(1);
                    self.fields_len = if too_long || too_many { 0 } else { ends_len };
                    return Ok(Some(if too_long {
                        RowRead::TooLong { line }
                    } else if too_many {
                        RowRead::TooManyColumns { line }
                    } else {
                        RowRead::Row { line }
                    }));
                }
                ReadRecordResult::End => return Ok(None),
            }
        }
    }

    /// Number of fields of the last row read.
    pub fn len(&self) -> usize {
        self.fields_len
    }

    /// True when the last row had no fields.
    pub fn is_empty(&self) -> bool {
        self.fields_len == 0
    }

    /// Field `i` of the last row read, as raw bytes.
    pub fn field(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.out[start..self.ends[i]]
    }

    /// Total bytes of the last row's fields.
    pub fn row_bytes(&self) -> usize {
        if self.fields_len == 0 {
            0
        } else {
            self.ends[self.fields_len - 1]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &[u8]) -> Vec<(RowRead, Vec<String>)> {
        let mut r = CsvRows::new(input, b',');
        let mut all = Vec::new();
        while let Some(row) = r.next_row().unwrap() {
            let fields = (0..r.len())
                .map(|i| String::from_utf8_lossy(r.field(i)).into_owned())
                .collect();
            all.push((row, fields));
        }
        all
    }

    #[test]
    fn bom_crlf_quotes_and_lines() {
        let got = rows(b"\xEF\xBB\xBFa,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"q\"\"\"\r\n3,z");
        let want = vec![
            (RowRead::Row { line: 1 }, vec!["a", "b"]),
            (RowRead::Row { line: 2 }, vec!["1", "x\r\ny"]),
            (RowRead::Row { line: 5 }, vec!["2", "q\""]),
            (RowRead::Row { line: 6 }, vec!["3", "z"]),
        ];
        let want: Vec<(RowRead, Vec<String>)> = want
            .into_iter()
            .map(|(r, f)| (r, f.into_iter().map(String::from).collect()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn oversized_rows_are_skipped_not_buffered() {
        let mut input = b"a,b\n1,\"".to_vec();
        input.extend(std::iter::repeat_n(b'x', ROW_BYTES_MAX + 10));
        input.extend(b"\"\n2,ok\n");
        let got = rows(&input);
        assert_eq!(got[1].0, RowRead::TooLong { line: 2 });
        assert_eq!(
            got[2],
            (RowRead::Row { line: 3 }, vec!["2".into(), "ok".into()])
        );
        let mut wide = b"h\n".to_vec();
        wide.extend(std::iter::repeat_n(b',', COLUMNS_MAX + 5));
        wide.extend(b"\nlast\n");
        let got = rows(&wide);
        assert_eq!(got[1].0, RowRead::TooManyColumns { line: 2 });
        assert_eq!(got[2], (RowRead::Row { line: 3 }, vec!["last".into()]));
    }

    #[test]
    fn unterminated_quote_runs_to_the_end_within_bounds() {
        let got = rows(b"a\n\"never closed\nmore\n");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, RowRead::Row { line: 2 });
    }
}
