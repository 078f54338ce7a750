//! Alerts against a scenario's truth (`truth/transactions_truth.csv`): per typology, precision,
//! recall and F1 over transactions.

use std::collections::HashMap;
use std::io::BufRead;

use crate::{Alert, Ledger, MoneyError, Typology};

/// A truth list that counts any illicit transaction as correct.
pub const ANY_ILLICIT: &[&str] = &["*"];

/// What each kernel is judged on: the truth typologies whose transactions it should find
/// (recall), and those it may flag without being wrong (precision). Fan-in, fan-out and
/// pass-through describe shapes many schemes share, so any illicit transaction counts for them.
pub const TYPOLOGY_TRUTH: [(Typology, &[&str], &[&str]); 8] = [
    (
        Typology::FanIn,
        &["MTO_FAN_IN", "CASH_COLLECTION"],
        ANY_ILLICIT,
    ),
    (Typology::FanOut, &["FAN_OUT_PAYROLL"], ANY_ILLICIT),
    (
        Typology::ScatterGather,
        &["SCATTER_GATHER"],
        &["SCATTER_GATHER", "STACK", "PRO_LAUNDERER"],
    ),
    (
        Typology::GatherScatter,
        &["GATHER_SCATTER"],
        &["GATHER_SCATTER"],
    ),
    (Typology::Cycle, &["CYCLE"], &["CYCLE"]),
    (
        Typology::Structuring,
        &["STRUCTURING"],
        &["STRUCTURING", "SMURFING"],
    ),
    (Typology::PassThrough, &["CRYPTO_CASHOUT"], ANY_ILLICIT),
    (
        Typology::HawalaSettlement,
        &["HAWALA_SETTLEMENT"],
        &["HAWALA_SETTLEMENT", "HAWALA_ESCROW"],
    ),
];

/// The truth: each illicit transaction's typology, by transaction id.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    /// Typology by transaction id, illicit transactions only.
    pub typology: HashMap<String, String>,
}

/// Reads `transactions_truth.csv` (`tx_id,…,typology,…`, columns found by name).
pub fn read_truth(reader: impl BufRead, source: &str) -> Result<Truth, MoneyError> {
    let mut truth = Truth::default();
    crate::ledger::read_csv(
        reader,
        source,
        ["tx_id", "illicit", "typology"],
        |_, [id, illicit, typology]| {
            if illicit.trim() == "1" {
                truth
                    .typology
                    .insert(id.to_owned(), typology.trim().to_owned());
            }
            Ok(())
        },
    )?;
    Ok(truth)
}

/// One kernel's figures over transactions.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    /// The kernel.
    pub typology: Typology,
    /// Transactions in at least one of its alerts.
    pub flagged: usize,
    /// Flagged transactions its truth list counts as correct.
    pub correct: usize,
    /// Flagged transactions that are illicit at all.
    pub illicit: usize,
    /// Transactions of its recall typologies.
    pub truth: usize,
    /// How many of those its alerts flagged.
    pub found: usize,
}

impl Score {
    /// Flagged transactions its truth list counts as correct, as a share of all flagged.
    pub fn precision(&self) -> f64 {
        ratio(self.correct, self.flagged)
    }
    /// Share of the recall typologies' transactions flagged.
    pub fn recall(&self) -> f64 {
        ratio(self.found, self.truth)
    }
    /// Harmonic mean of precision and recall.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        }
    }
    /// Share of flagged transactions that are illicit, whatever their typology.
    pub fn illicit_precision(&self) -> f64 {
        ratio(self.illicit, self.flagged)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Per typology, the alerts' transactions (ledger row numbers) against the truth.
pub fn evaluate(ledger: &Ledger, alerts: &[Alert], truth: &Truth) -> Vec<Score> {
    let label: Vec<Option<&str>> = ledger
        .ids
        .iter()
        .map(|id| truth.typology.get(id).map(String::as_str))
        .collect();
    TYPOLOGY_TRUTH
        .iter()
        .map(|&(typology, recall, correct)| {
            let mut flagged = vec![false; ledger.len()];
            for a in alerts.iter().filter(|a| a.typology == typology) {
                for &t in &a.transactions {
                    if let Some(f) = flagged.get_mut(t as usize) {
                        *f = true;
                    }
                }
            }
            let mut s = Score {
                typology,
                flagged: 0,
                correct: 0,
                illicit: 0,
                truth: 0,
                found: 0,
            };
            for (row, l) in label.iter().enumerate() {
                let in_recall = l.is_some_and(|l| recall.contains(&l));
                s.truth += usize::from(in_recall);
                if !flagged[row] {
                    continue;
                }
                s.flagged += 1;
                s.found += usize::from(in_recall);
                s.illicit += usize::from(l.is_some());
                s.correct +=
                    usize::from(l.is_some_and(|l| correct == ANY_ILLICIT || correct.contains(&l)));
            }
            s
        })
        .collect()
}
