//! Records: what an agency sent (a [`RawRecord`]), what the log keeps (a validated [`Record`]),
//! and the content hash that makes re-ingesting the same data a no-op.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::envelope::Envelope;
use crate::limits::{PROPERTY_VALUES_PER_RECORD_MAX, RECORD_ID_BYTES_MAX};
use crate::schema::Model;
use crate::types::ValueContext;

/// A record as a source gave it: an id, a schema name and property values as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawRecord {
    pub id: String,
    pub schema: String,
    /// Property name and raw value, in source order; a property may repeat. Empty values mean
    /// "not given" and are dropped.
    pub properties: Vec<(String, String)>,
}

impl RawRecord {
    /// A raw record with no properties yet.
    pub fn new(id: impl Into<String>, schema: impl Into<String>) -> Self {
        RawRecord {
            id: id.into(),
            schema: schema.into(),
            properties: Vec::new(),
        }
    }

    /// Adds one property value (builder style, for tests and examples).
    pub fn with(mut self, property: &str, value: &str) -> Self {
        self.properties
            .push((property.to_owned(), value.to_owned()));
        self
    }
}

/// A validated record: every value in its type's canonical form, values of a property sorted and
/// without duplicates (FtM properties are sets, so order carries no meaning and must not change
/// the content hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub id: String,
    pub schema: String,
    pub properties: BTreeMap<String, Vec<String>>,
}

/// One reason a record (or a row) was refused: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The property, envelope field or column at fault; empty when the whole record is.
    pub field: String,
    pub reason: String,
}

impl FieldError {
    /// An error on `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.reason)
        } else {
            write!(f, "{}: {}", self.field, self.reason)
        }
    }
}

/// Checks a record id: 1 to [`RECORD_ID_BYTES_MAX`] bytes, no whitespace or control characters.
pub fn check_record_id(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > RECORD_ID_BYTES_MAX {
        return Err(format!(
            "record id must have 1 to {RECORD_ID_BYTES_MAX} bytes, found {}",
            id.len()
        ));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "record id '{id}' holds whitespace or a control character"
        ));
    }
    Ok(())
}

impl Model {
    /// Validates a raw record against its schema: the one function every path into the log
    /// goes through. Returns every error found, not just the first, so that a rejects file tells
    /// the source everything to fix in one pass.
    pub fn validate(&self, raw: &RawRecord, ctx: &ValueContext) -> Result<Record, Vec<FieldError>> {
        let mut errors = Vec::new();
        if let Err(e) = check_record_id(&raw.id) {
            errors.push(FieldError::new("id", e));
        }
        let Some(schema) = self.schema(&raw.schema) else {
            errors.push(FieldError::new(
                "schema",
                format!("'{}' is not a schema", raw.schema),
            ));
            return Err(errors);
        };
        if schema.is_abstract {
            errors.push(FieldError::new(
                "schema",
                format!(
                    "'{}' is abstract and cannot be a record's schema",
                    raw.schema
                ),
            ));
        }
        let mut properties: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut values = 0usize;
        for (name, value) in &raw.properties {
            if value.trim().is_empty() {
                continue;
            }
            let Some(def) = schema.properties.get(name) else {
                errors.push(FieldError::new(
                    name.as_str(),
                    format!("{} has no property '{name}'", schema.name),
                ));
                continue;
            };
            values += 1;
            if values > PROPERTY_VALUES_PER_RECORD_MAX {
                errors.push(FieldError::new(
                    name.as_str(),
                    format!(
                        "record has more than {PROPERTY_VALUES_PER_RECORD_MAX} property values"
                    ),
                ));
                break;
            }
            match def.ty.canonical(value, ctx) {
                Ok(v) => properties.entry(name.clone()).or_default().push(v),
                Err(reason) => errors.push(FieldError::new(name.as_str(), reason)),
            }
        }
        for values in properties.values_mut() {
            values.sort_unstable();
            values.dedup();
        }
        let failed: Vec<String> = errors.iter().map(|e| e.field.clone()).collect();
        let failed = |p: &str| failed.iter().any(|f| f == p);
        for p in &schema.required {
            if !properties.contains_key(p) && !failed(p) {
                errors.push(FieldError::new(
                    p.as_str(),
                    format!("{} requires '{p}'", schema.name),
                ));
            }
        }
        if !schema.required_any.is_empty()
            && !schema
                .required_any
                .iter()
                .any(|p| properties.contains_key(p) || failed(p))
        {
            errors.push(FieldError::new(
                schema.required_any.join("|"),
                format!(
                    "{} requires one of {}",
                    schema.name,
                    schema.required_any.join(", ")
                ),
            ));
        }
        if properties.is_empty() && errors.is_empty() {
            errors.push(FieldError::new("", "record has no property values"));
        }
        if errors.is_empty() {
            Ok(Record {
                id: raw.id.clone(),
                schema: raw.schema.clone(),
                properties,
            })
        } else {
            Err(errors)
        }
    }
}

/// BLAKE3 of what a record says and how it may be handled: originator, id, schema, properties
/// and grading. The rest of the envelope — contributor, source reference, submission time,
/// review date — is provenance of the version that first said it: the same account named in two
/// reports, or the same vehicle stopped by two units, is one version, not one per sighting.
/// A change of grading or handling is a new version, because it changes who may see what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContentHash(pub [u8; 32]);

impl ContentHash {
    /// Hash of a record version.
    pub fn of_record(record: &Record, envelope: &Envelope) -> ContentHash {
        // One buffer, hashed once: BLAKE3's cost per `update` call dominates for fields this
        // small.
        let mut buf = Vec::with_capacity(512);
        let mut field = |bytes: &[u8]| {
            // Length prefixes make the encoding unambiguous ("ab","c" differs from "a","bc").
            buf.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            buf.extend_from_slice(bytes);
        };
        field(b"corridor-record-v1");
        field(envelope.originator.as_bytes());
        field(record.id.as_bytes());
        field(record.schema.as_bytes());
        field(&(record.properties.len() as u64).to_le_bytes());
        for (name, values) in &record.properties {
            field(name.as_bytes());
            field(&(values.len() as u64).to_le_bytes());
            for v in values {
                field(v.as_bytes());
            }
        }
        let g = envelope.grading.to_fields();
        for part in [
            Some(&g.system),
            g.source.as_ref(),
            g.intelligence.as_ref(),
            g.information.as_ref(),
            g.handling.as_ref(),
            g.conditions.as_ref(),
            g.tlp.as_ref(),
        ] {
            field(part.map_or(&b"\x00"[..], |s| s.as_bytes()));
        }
        ContentHash(*blake3::hash(&buf).as_bytes())
    }

    /// Hash of a tombstone, recorded with it. Retracting a record that is already retracted is
    /// a no-op whatever the reason given: the store compares with the head's tombstone flag.
    pub fn of_tombstone(originator: &str, record_id: &str, reason: &str) -> ContentHash {
        let mut h = blake3::Hasher::new();
        for part in ["corridor-tombstone-v1", originator, record_id, reason] {
            h.update(&(part.len() as u64).to_le_bytes());
            h.update(part.as_bytes());
        }
        ContentHash(*h.finalize().as_bytes())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{EuHandling, EuInformation, EuSource, Grading};

    fn env() -> Envelope {
        Envelope {
            originator: "RS_BP".into(),
            contributor: "UGP Preševo".into(),
            submitted_at: "2024-03-01T10:00:00Z".into(),
            source_ref: "2024-117".into(),
            review_by: "2027-03-01".into(),
            grading: Grading::Europol4x4 {
                source: EuSource::B,
                information: EuInformation::Two,
                handling: EuHandling::H2,
            },
        }
    }

    #[test]
    fn validate_reports_every_error() {
        let m = Model::builtin();
        let raw = RawRecord::new("p 1", "Person")
            .with("birthDate", "31.02.1990")
            .with("nationality", "Serbia")
            .with("shoeSize", "44");
        let errs = m.validate(&raw, &ValueContext::default()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["id", "birthDate", "nationality", "shoeSize"]);
    }

    #[test]
    fn required_properties_and_abstract_schemata() {
        let m = Model::builtin();
        let ctx = ValueContext::default();
        let e = m.validate(
            &RawRecord::new("x", "Phone").with("imei", "356938035643809"),
            &ctx,
        );
        assert_eq!(e.unwrap_err()[0].field, "number");
        let e = m.validate(&RawRecord::new("x", "Thing").with("name", "a"), &ctx);
        assert_eq!(e.unwrap_err()[0].field, "schema");
        let e = m.validate(
            &RawRecord::new("x", "BankAccount").with("bankName", "B"),
            &ctx,
        );
        assert_eq!(e.unwrap_err()[0].field, "iban|accountNumber");
        let e = m.validate(&RawRecord::new("x", "Person"), &ctx);
        assert_eq!(e.unwrap_err()[0].reason, "record has no property values");
    }

    #[test]
    fn hash_ignores_order_and_submission_time_but_not_content() {
        let m = Model::builtin();
        let ctx = ValueContext::default();
        let a = m
            .validate(
                &RawRecord::new("p1", "Person")
                    .with("alias", "B")
                    .with("alias", "A"),
                &ctx,
            )
            .unwrap();
        let b = m
            .validate(
                &RawRecord::new("p1", "Person")
                    .with("alias", "A")
                    .with("alias", "B")
                    .with("alias", "A"),
                &ctx,
            )
            .unwrap();
        assert_eq!(a, b);
        let mut later = env();
        later.submitted_at = "2025-01-01".into();
        later.review_by = "2028-01-01".into();
        later.source_ref = "2025-009".into();
        later.contributor = "UGP Šid".into();
        assert_eq!(
            ContentHash::of_record(&a, &env()),
            ContentHash::of_record(&b, &later)
        );
        let mut regraded = env();
        regraded.grading = Grading::Europol4x4 {
            source: EuSource::A,
            information: EuInformation::Two,
            handling: EuHandling::H2,
        };
        assert_ne!(
            ContentHash::of_record(&a, &env()),
            ContentHash::of_record(&a, &regraded)
        );
    }
}
