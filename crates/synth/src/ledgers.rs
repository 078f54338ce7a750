//! Seized hawala ledgers (`HAWALA_LEDGER`): when police search a broker's office they find his
//! book — one line per deposit, release, refund or settlement: the date as he writes it (the
//! Solar Hijri calendar in Kabul), a code word, the payer's first name, the amount and currency,
//! and the office on the other side. One broker in three has his book seized, covering the
//! ninety days before the search.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use rand::Rng;

use crate::catalog::Catalog;
use crate::money::{Acct, STEPS, Tx};
use crate::rng::{civil, stream};
use crate::world::{Kind, World};

/// Days of a seized book before the search.
pub const BOOK_DAYS: u32 = 90;

/// Day indexes (from 2023-01-01) of Nowruz, the first day of each Solar Hijri year, and that
/// year: 1401 began on 2022-03-21, 1402 on 2023-03-21, 1403 on 2024-03-20, 1404 on 2025-03-21,
/// 1405 on 2026-03-21.
const NOWRUZ: [(i64, i32); 5] = [
    (-286, 1401),
    (79, 1402),
    (444, 1403),
    (810, 1404),
    (1175, 1405),
];

/// The Solar Hijri date (year, month, day) of a day of the window: months 1–6 have 31 days,
/// 7–11 have 30, the twelfth the rest.
pub fn solar_hijri(day: u32) -> (i32, u32, u32) {
    let d = i64::from(day);
    let (start, year) = NOWRUZ
        .iter()
        .rev()
        .find(|(start, _)| *start <= d)
        .copied()
        .unwrap_or(NOWRUZ[0]);
    let mut offset = d - start;
    let mut month = 1;
    loop {
        let len = if month <= 6 { 31 } else { 30 };
        if offset < len || month == 12 {
            return (year, month, offset as u32 + 1);
        }
        offset -= len;
        month += 1;
    }
}

const CODE_WORDS: &[&str] = &[
    "gul", "sabz", "kitab", "anar", "shir", "baran", "chai", "nan", "sib", "setara", "mahi", "kabk",
];

/// One seized book being filled: whose, until when, and its writer.
struct Book {
    broker: usize,
    seized_day: u32,
    kabul: bool,
}

/// Where the seized books go.
pub(crate) struct Ledgers {
    books: Vec<Book>,
    out: csv::Writer<BufWriter<File>>,
    rows: u64,
    rng: rand_chacha::ChaCha8Rng,
}

const MAPPING: &str = r#"# HAWALA_LEDGER: lines of hawala brokers' books seized in searches, as written: the date in
# the broker's calendar (Solar Hijri in Kabul), a code word and step, the first name of who paid
# in or collected, the amount, the office on the other side. Written by `corridor synth`; synthetic data.

[source]
agency = "HAWALA_LEDGER"
contributor = { column = "seized_by" }
script = "Latn"
review_after_days = 1825
source_ref = { column = "book" }

[grading]
system = "4x4"
source = "B"
information = "3"
handling = "H2"

[entities.line]
schema = "Payment"
id = { column = "line_ref" }
[entities.line.properties]
recordId = "line_ref"
summary = "date_as_written"
purpose = "code"
amount = "amount"
currency = "currency"
description = ["name", "counterpart"]
"#;

impl Ledgers {
    pub(crate) fn create(seed: u64, world: &World, days: u32, out: &Path) -> io::Result<Ledgers> {
        let w = crate::agency::agency_csv(
            out,
            "HAWALA_LEDGER",
            "ledger_lines",
            MAPPING,
            &[
                "book",
                "seized_by",
                "line_ref",
                "date_as_written",
                "code",
                "name",
                "amount",
                "currency",
                "counterpart",
            ],
        )?;
        let mut rng = stream(seed, "agency/HAWALA_LEDGER");
        let mut books = Vec::new();
        for (i, p) in world.persons.iter().enumerate() {
            if p.kind == Kind::Hawaladar && rng.random_bool(1.0 / 3.0) && days > BOOK_DAYS {
                books.push(Book {
                    broker: i,
                    seized_day: rng.random_range(BOOK_DAYS..days),
                    kabul: p.home == "AF",
                });
            }
        }
        Ok(Ledgers {
            books,
            out: w,
            rows: 0,
            rng,
        })
    }

    /// Writes the line of `t` into every seized book it belongs to.
    pub(crate) fn record(
        &mut self,
        world: &World,
        id: u64,
        t: &Tx,
        truth: &mut crate::truth::Truth,
    ) -> io::Result<()> {
        if t.from.kind() != Acct::HAWALA && t.to.kind() != Acct::HAWALA {
            return Ok(());
        }
        let day = u32::from(t.day);
        let catalog = Catalog::get();
        for b in &self.books {
            let (_own, other) = if t.to.kind() == Acct::HAWALA && t.to.index() == b.broker {
                (t.to, t.from)
            } else if t.from.kind() == Acct::HAWALA && t.from.index() == b.broker {
                (t.from, t.to)
            } else {
                continue;
            };
            if day > b.seized_day || day + BOOK_DAYS < b.seized_day {
                continue;
            }
            self.rows += 1;
            let book = format!("BOOK-{}", world.persons[b.broker].id);
            let line_ref = format!("{book}-{:05}", self.rows);
            let date = if b.kabul {
                let (y, m, d) = solar_hijri(day);
                format!("{y}/{m:02}/{d:02}")
            } else {
                let (y, m, d) = civil(day);
                format!("{d}/{m}/{}", y % 100)
            };
            // Who paid in or collected is named by first name only, in Latin shorthand; other
            // brokers by their office.
            let payer_name = match other.kind() {
                Acct::CASH => {
                    let p = &world.persons[other.index()];
                    let entry = &catalog.names[p.given];
                    entry.latin().to_owned()
                }
                _ => String::new(),
            };
            let counterpart = match other.kind() {
                Acct::HAWALA => world.persons[other.index()].home.to_owned(),
                _ => String::new(),
            };
            let (amount, currency) = if b.kabul || world.persons[b.broker].home == "IQ" {
                (t.cents as f64 / 100.0 / 0.92, "USD")
            } else {
                (t.cents as f64 / 100.0, "EUR")
            };
            let code = CODE_WORDS[self.rng.random_range(0..CODE_WORDS.len())];
            let step = STEPS[usize::from(t.step)];
            self.out.write_record([
                book.as_str(),
                "Search team",
                &line_ref,
                &date,
                &format!("{code} {}", step.to_lowercase()),
                &payer_name,
                &format!("{:.0}", amount.round()),
                currency,
                &counterpart,
            ])?;
            // A first name in a broker's book is a lead, not an identified person: the line is
            // a payment record, tied in the truth to the transaction it notes.
            truth
                .record_event
                .write_record(["HAWALA_LEDGER", &line_ref, &format!("T{id:010}")])?;
        }
        Ok(())
    }

    pub(crate) fn finish(mut self) -> io::Result<crate::agency::AgencyOutput> {
        self.out.flush()?;
        Ok(crate::agency::AgencyOutput {
            code: "HAWALA_LEDGER".into(),
            rows: self.rows,
            data_file: "HAWALA_LEDGER/ledger_lines.csv".into(),
            mapping_file: "HAWALA_LEDGER/ledger_lines.toml".into(),
            ftm: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::solar_hijri;

    #[test]
    fn solar_hijri_dates() {
        // 2023-01-01 is 11 Dey 1401; 2023-03-21 is 1 Farvardin 1402; 2023-12-31 is 10 Dey 1402.
        assert_eq!(solar_hijri(0), (1401, 10, 11));
        assert_eq!(solar_hijri(79), (1402, 1, 1));
        assert_eq!(solar_hijri(364), (1402, 10, 10));
        // 2024-03-20 is Nowruz 1403.
        assert_eq!(solar_hijri(444), (1403, 1, 1));
    }
}
