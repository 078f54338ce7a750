//! The store's live records of one kind, as resolution reads them: columns by role for scored
//! kinds, key values for keyed ones.

use std::hash::{DefaultHasher, Hash, Hasher};

use corridor_model::types::PropType;
use corridor_resolve::table::{Field, Table};
use corridor_store::{RecordKey, Store};

use crate::config::{KeyProperty, Kind, Method, RoleProperty};
use crate::{Error, RECORDS_MAX};

/// Live records of a kind, in key order.
pub struct Loaded {
    /// The records.
    pub keys: Vec<RecordKey>,
    /// Scored kinds: one field per role, ids `ORIGINATOR/RECORD_ID`.
    pub table: Table,
    /// Keyed kinds: per key of the kind, per record, the key's hash (0: a property missing).
    pub key_values: Vec<Vec<u64>>,
}

/// The table id of a record. Originator codes never hold '/', so the first '/' splits it back.
pub fn id_of_key(key: &RecordKey) -> String {
    format!("{}/{}", key.originator, key.record_id)
}

/// The record a table id names (see [`id_of_key`]).
pub fn key_of_id(id: &str) -> RecordKey {
    match id.split_once('/') {
        Some((o, r)) => RecordKey::new(o, r),
        None => RecordKey::new("", id),
    }
}

/// A value in the form keys compare: plates and identifiers with separators, case and
/// look-alike letters folded; everything else as stored (already canonical: E.164, IBAN, ISO
/// codes), case-folded.
fn key_form(value: &str, ty: PropType) -> String {
    match ty {
        PropType::Plate => corridor_text::plate::plate_key(value, false),
        PropType::Identifier => corridor_text::plate::document_key(value),
        _ => value.trim().to_lowercase(),
    }
}

fn key_hash(
    properties: &std::collections::BTreeMap<String, Vec<String>>,
    key: &[KeyProperty],
) -> u64 {
    let mut h = DefaultHasher::new();
    for p in key {
        let Some(v) = properties.get(&p.name).and_then(|v| v.first()) else {
            return 0;
        };
        let form = match p.read_as {
            Some(PropType::Iban) => match corridor_text::iban(v) {
                Ok(iban) => iban,
                Err(_) => return 0,
            },
            Some(PropType::Phone) => match corridor_text::phone_e164(v, None) {
                Ok(e164) => e164,
                Err(_) => return 0,
            },
            Some(ty) => key_form(v, ty),
            None => key_form(v, p.ty),
        };
        if form.is_empty() {
            return 0;
        }
        // The type goes into the hash, so that one map can hold every key of a kind: an IBAN
        // read from `iban` meets the same IBAN read from `accountNumber`, while an IMO number
        // never meets an equal MMSI string.
        p.read_as.unwrap_or(p.ty).as_str().hash(&mut h);
        form.hash(&mut h);
    }
    // 0 means "missing"; a real key hashing to 0 is moved off it.
    h.finish().max(1)
}

/// Reads every live record of each kind in one pass over the store.
pub fn load(store: &mut dyn Store, kinds: &[&Kind]) -> Result<Vec<Loaded>, Error> {
    let mut out: Vec<Builder<'_>> = kinds.iter().map(|k| Builder::new(k)).collect();
    corridor_store::for_each_live(store, |v| -> Result<(), Error> {
        for b in out.iter_mut() {
            if b.kind.schemata.contains(&v.record.schema) {
                b.push(&v.envelope.originator, &v.record)?;
            }
        }
        Ok(())
    })?;
    Ok(out.into_iter().map(Builder::finish).collect())
}

struct Builder<'k> {
    kind: &'k Kind,
    roles: &'k [RoleProperty],
    key_defs: &'k [Vec<KeyProperty>],
    keys: Vec<RecordKey>,
    fields: Vec<Field>,
    key_values: Vec<Vec<u64>>,
}

impl<'k> Builder<'k> {
    fn new(kind: &'k Kind) -> Self {
        let (roles, key_defs): (&[RoleProperty], &[Vec<KeyProperty>]) = match &kind.method {
            Method::Probabilistic(r) => (r, &[]),
            Method::Key(k) => (&[], k),
        };
        let fields = roles
            .iter()
            .map(|(prop, role, occurrence)| Field {
                role: *role,
                occurrence: *occurrence,
                name: prop.clone(),
                values: Vec::new(),
            })
            .collect();
        Builder {
            kind,
            roles,
            key_defs,
            keys: Vec::new(),
            fields,
            key_values: vec![Vec::new(); key_defs.len()],
        }
    }

    fn push(&mut self, originator: &str, record: &corridor_model::Record) -> Result<(), Error> {
        let props = &record.properties;
        for (field, (prop, _, _)) in self.fields.iter_mut().zip(self.roles) {
            field.values.push(
                props
                    .get(prop)
                    .and_then(|v| v.first())
                    .map(|s| s.as_str().into()),
            );
        }
        for (column, key) in self.key_values.iter_mut().zip(self.key_defs) {
            column.push(key_hash(props, key));
        }
        self.keys
            .push(RecordKey::new(originator, record.id.clone()));
        if self.keys.len() > RECORDS_MAX {
            return Err(Error::Limit(format!(
                "more than {RECORDS_MAX} live records of '{}'",
                self.kind.name
            )));
        }
        Ok(())
    }

    fn finish(self) -> Loaded {
        let table = Table {
            ids: self.keys.iter().map(id_of_key).collect(),
            sources: vec![0; self.keys.len()],
            fields: self.fields,
        };
        Loaded {
            keys: self.keys,
            table,
            key_values: self.key_values,
        }
    }
}
