//! From a ledger's account ids to the store's subjects: the account subject the id resolves to
//! and the persons or organisations recorded as its holders.
//!
//! A ledger names an account by the string its source writes (an IBAN, an MTO customer number,
//! a hawaladar's book). Agencies' `BankAccount` records carry the same string as `iban` or
//! `accountNumber`; the record's subject (kind `account`, keyed on the IBAN) is the account's
//! subject, and the subjects of the records its `holder` names are the holders. Where several
//! subjects carry one number (an account number without a bank code is not an identity), the
//! smallest subject id is taken and every holder of any of them is kept.

use std::collections::{BTreeSet, HashMap};

use corridor_store::{RecordKey, Store};

use crate::Error;

/// Distinct account numbers indexed: a bound on memory, far above the `bench` preset's
/// reported accounts.
pub const ACCOUNTS_MAX: usize = 10_000_000;

/// Holders kept per account.
pub const HOLDERS_PER_ACCOUNT_MAX: usize = 64;

/// What the store knows about one account number.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccountInfo {
    /// The account subject (`A-…`), or `ORIGINATOR/ID` of an unresolved record.
    pub subject: String,
    /// Subjects (or unresolved records) recorded as holding it, sorted.
    pub holders: Vec<String>,
    /// The `BankAccount` records that name it.
    pub records: Vec<RecordKey>,
}

/// Account numbers as ledgers write them → what the store knows about each.
#[derive(Clone, Debug, Default)]
pub struct AccountIndex {
    by_number: HashMap<String, AccountInfo>,
}

/// The form both sides are compared in: no spaces or dashes inside IBANs, upper case.
pub fn account_key(number: &str) -> String {
    number
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_uppercase)
        .collect()
}

impl AccountIndex {
    /// What the store knows about the account a ledger calls `number`.
    pub fn get(&self, number: &str) -> Option<&AccountInfo> {
        self.by_number.get(&account_key(number))
    }

    /// Account numbers indexed.
    pub fn len(&self) -> usize {
        self.by_number.len()
    }

    /// True when no account is known.
    pub fn is_empty(&self) -> bool {
        self.by_number.is_empty()
    }

    /// Account numbers held by `subject` (a person or organisation subject), or carried by it
    /// (an account subject), sorted.
    pub fn numbers_of(&self, subject: &str) -> Vec<String> {
        let mut out: Vec<String> = self
            .by_number
            .iter()
            .filter(|(_, a)| a.subject == subject || a.holders.iter().any(|h| h == subject))
            .map(|(n, _)| n.clone())
            .collect();
        out.sort();
        out
    }
}

/// Reads every live `BankAccount` record with the stored subjects of accounts, persons and
/// organisations.
pub fn account_index(store: &mut dyn Store) -> Result<AccountIndex, Error> {
    let mut subjects: HashMap<RecordKey, String> = HashMap::new();
    for kind in ["account", "person", "organisation"] {
        corridor_store::for_each_member(store, kind, |m| -> Result<(), Error> {
            subjects.insert(m.record, m.subject_id);
            Ok(())
        })?;
    }
    let subject_of = |key: &RecordKey| {
        subjects
            .get(key)
            .cloned()
            .unwrap_or_else(|| key.to_string())
    };
    let mut by_number: HashMap<String, AccountInfo> = HashMap::new();
    let mut holders: HashMap<String, BTreeSet<String>> = HashMap::new();
    corridor_store::for_each_live(store, |v| -> Result<(), Error> {
        if v.record.schema != "BankAccount" {
            return Ok(());
        }
        let key = RecordKey::new(&v.envelope.originator, &v.record.id);
        let subject = subject_of(&key);
        let props = &v.record.properties;
        let numbers: BTreeSet<String> = ["iban", "accountNumber"]
            .iter()
            .filter_map(|p| props.get(*p))
            .flatten()
            .map(|n| account_key(n))
            .filter(|n| !n.is_empty())
            .collect();
        let held_by: Vec<String> = props
            .get("holder")
            .into_iter()
            .flatten()
            .map(|h| subject_of(&RecordKey::new(&v.envelope.originator, h)))
            .collect();
        for number in numbers {
            if !by_number.contains_key(&number) && by_number.len() >= ACCOUNTS_MAX {
                return Err(Error::Limit(format!(
                    "more than {ACCOUNTS_MAX} account numbers on BankAccount records"
                )));
            }
            let info = by_number.entry(number.clone()).or_default();
            if info.subject.is_empty() || subject < info.subject {
                info.subject = subject.clone();
            }
            info.records.push(key.clone());
            let h = holders.entry(number).or_default();
            for x in &held_by {
                if h.len() < HOLDERS_PER_ACCOUNT_MAX {
                    h.insert(x.clone());
                }
            }
        }
        Ok(())
    })?;
    for (number, h) in holders {
        if let Some(info) = by_number.get_mut(&number) {
            info.holders = h.into_iter().collect();
            info.records.sort();
        }
    }
    Ok(AccountIndex { by_number })
}
