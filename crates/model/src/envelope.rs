//! The envelope every record travels in: who sent it, when, from where in their own system, how
//! it is graded, how it may be handled, and when it must be reviewed.
//!
//! Grading and handling keep the code system the originator used. A UK 3x5x2 grade is never
//! turned into a Europol 4x4 one or the other way round: the systems do not map one-to-one, and
//! a silent conversion would change what the originator said about their source. An unknown or
//! malformed code is an error, never a default.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::limits::CONDITIONS_BYTES_MAX;
use crate::types::partial_date;

/// UK 3x5x2 source evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UkSource {
    /// 1: reliable.
    Reliable,
    /// 2: untested.
    Untested,
    /// 3: not reliable.
    NotReliable,
}

/// UK 3x5x2 intelligence assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UkIntelligence {
    /// A: known directly to the source.
    KnownDirectly,
    /// B: known indirectly to the source but corroborated.
    KnownIndirectlyCorroborated,
    /// C: known indirectly to the source.
    KnownIndirectly,
    /// D: not known.
    NotKnown,
    /// E: suspected to be false.
    SuspectedFalse,
}

/// UK 3x5x2 handling code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UkHandling {
    /// P: lawful sharing permitted.
    Permitted,
    /// C: lawful sharing permitted subject to the conditions given.
    Conditions(String),
}

/// Europol 4x4 source reliability.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EuSource {
    /// A: no doubt of authenticity, trustworthiness and competence.
    A,
    /// B: source has in most instances proved reliable.
    B,
    /// C: source has in most instances proved unreliable.
    C,
    /// X: reliability cannot be assessed.
    X,
}

/// Europol 4x4 information assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EuInformation {
    /// 1: accuracy not in doubt.
    One,
    /// 2: known personally to the source but not to the official passing it on.
    Two,
    /// 3: not known personally to the source but corroborated.
    Three,
    /// 4: not known personally to the source and cannot be corroborated.
    Four,
}

/// Europol / SIENA handling code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EuHandling {
    /// H0: no restriction beyond law enforcement purposes.
    H0,
    /// H1: not to be used as evidence in judicial proceedings without the provider's consent.
    H1,
    /// H2: not to be disseminated without the provider's permission.
    H2,
    /// H3: other restrictions, stated by the provider.
    H3,
}

/// Traffic Light Protocol 2.0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tlp {
    Clear,
    Green,
    Amber,
    AmberStrict,
    Red,
}

/// A record's grading and handling, in exactly one of the code systems agencies use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grading {
    /// UK 3x5x2 (College of Policing): source 1–3, intelligence A–E, handling P or C.
    Uk3x5x2 {
        source: UkSource,
        intelligence: UkIntelligence,
        handling: UkHandling,
    },
    /// Europol 4x4 evaluation with a SIENA handling code.
    Europol4x4 {
        source: EuSource,
        information: EuInformation,
        handling: EuHandling,
    },
    /// TLP 2.0 only, for partners outside policing (FIUs, NGOs) that grade nothing else.
    Tlp(Tlp),
}

/// The flat, serialisable form of a [`Grading`]: what mapping files, FtM exports and the store
/// hold. Only the fields of the named `system` may be set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradingFields {
    /// `3x5x2`, `4x4` or `tlp`.
    pub system: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intelligence: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub information: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tlp: Option<String>,
}

/// Why a grading was refused, and which of its fields is at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GradingError {
    /// `system`, `source`, `intelligence`, `information`, `handling`, `conditions` or `tlp`.
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for GradingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for GradingError {}

fn fail<T>(field: &'static str, reason: String) -> Result<T, GradingError> {
    Err(GradingError { field, reason })
}

fn code<'a>(field: &'static str, value: &'a Option<String>) -> Result<&'a str, GradingError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => fail(field, format!("grading field '{field}' is missing")),
    }
}

fn forbid(system: &str, fields: &[(&'static str, &Option<String>)]) -> Result<(), GradingError> {
    for (name, value) in fields {
        if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
            return fail(
                name,
                format!("grading field '{name}' does not belong to the {system} system"),
            );
        }
    }
    Ok(())
}

impl Grading {
    /// Reads the flat form, rejecting unknown systems, unknown codes and fields of another
    /// system. Codes are matched without regard to case ("amber+strict" is TLP:AMBER+STRICT).
    pub fn from_fields(f: &GradingFields) -> Result<Grading, GradingError> {
        match f.system.trim().to_ascii_lowercase().as_str() {
            "3x5x2" => {
                forbid("3x5x2", &[("information", &f.information), ("tlp", &f.tlp)])?;
                let source = match code("source", &f.source)? {
                    "1" => UkSource::Reliable,
                    "2" => UkSource::Untested,
                    "3" => UkSource::NotReliable,
                    other => {
                        return fail(
                            "source",
                            format!("3x5x2 source evaluation '{other}' is not 1, 2 or 3"),
                        );
                    }
                };
                let intelligence = match code("intelligence", &f.intelligence)?
                    .to_ascii_uppercase()
                    .as_str()
                {
                    "A" => UkIntelligence::KnownDirectly,
                    "B" => UkIntelligence::KnownIndirectlyCorroborated,
                    "C" => UkIntelligence::KnownIndirectly,
                    "D" => UkIntelligence::NotKnown,
                    "E" => UkIntelligence::SuspectedFalse,
                    other => {
                        return fail(
                            "intelligence",
                            format!("3x5x2 intelligence assessment '{other}' is not A to E"),
                        );
                    }
                };
                let handling = match code("handling", &f.handling)?.to_ascii_uppercase().as_str() {
                    "P" => {
                        forbid("3x5x2 handling P", &[("conditions", &f.conditions)])?;
                        UkHandling::Permitted
                    }
                    "C" => {
                        let conditions =
                            code("conditions", &f.conditions).map_err(|_| GradingError {
                                field: "conditions",
                                reason: "3x5x2 handling code C needs its conditions".into(),
                            })?;
                        if conditions.len() > CONDITIONS_BYTES_MAX {
                            return fail(
                                "conditions",
                                format!(
                                    "handling conditions have {} bytes, the limit is {CONDITIONS_BYTES_MAX}",
                                    conditions.len()
                                ),
                            );
                        }
                        UkHandling::Conditions(conditions.to_owned())
                    }
                    other => {
                        return fail(
                            "handling",
                            format!("3x5x2 handling code '{other}' is not P or C"),
                        );
                    }
                };
                Ok(Grading::Uk3x5x2 {
                    source,
                    intelligence,
                    handling,
                })
            }
            "4x4" => {
                forbid(
                    "4x4",
                    &[
                        ("intelligence", &f.intelligence),
                        ("conditions", &f.conditions),
                        ("tlp", &f.tlp),
                    ],
                )?;
                let source = match code("source", &f.source)?.to_ascii_uppercase().as_str() {
                    "A" => EuSource::A,
                    "B" => EuSource::B,
                    "C" => EuSource::C,
                    "X" => EuSource::X,
                    other => {
                        return fail(
                            "source",
                            format!("4x4 source code '{other}' is not A, B, C or X"),
                        );
                    }
                };
                let information = match code("information", &f.information)? {
                    "1" => EuInformation::One,
                    "2" => EuInformation::Two,
                    "3" => EuInformation::Three,
                    "4" => EuInformation::Four,
                    other => {
                        return fail(
                            "information",
                            format!("4x4 information code '{other}' is not 1 to 4"),
                        );
                    }
                };
                let handling = match code("handling", &f.handling)?.to_ascii_uppercase().as_str() {
                    "H0" => EuHandling::H0,
                    "H1" => EuHandling::H1,
                    "H2" => EuHandling::H2,
                    "H3" => EuHandling::H3,
                    other => {
                        return fail(
                            "handling",
                            format!("handling code '{other}' is not H0 to H3"),
                        );
                    }
                };
                Ok(Grading::Europol4x4 {
                    source,
                    information,
                    handling,
                })
            }
            "tlp" => {
                forbid(
                    "TLP",
                    &[
                        ("source", &f.source),
                        ("intelligence", &f.intelligence),
                        ("information", &f.information),
                        ("handling", &f.handling),
                        ("conditions", &f.conditions),
                    ],
                )?;
                let raw = code("tlp", &f.tlp)?.to_ascii_uppercase();
                let level = raw.strip_prefix("TLP:").unwrap_or(&raw);
                let tlp = match level {
                    "CLEAR" => Tlp::Clear,
                    "GREEN" => Tlp::Green,
                    "AMBER" => Tlp::Amber,
                    "AMBER+STRICT" => Tlp::AmberStrict,
                    "RED" => Tlp::Red,
                    // TLP 1.0's WHITE became CLEAR in 2.0, but mapping it would be the silent
                    // conversion this module refuses; the originator must say CLEAR.
                    other => {
                        return fail(
                            "tlp",
                            format!(
                                "TLP level '{other}' is not CLEAR, GREEN, AMBER, AMBER+STRICT or RED"
                            ),
                        );
                    }
                };
                Ok(Grading::Tlp(tlp))
            }
            other => fail(
                "system",
                format!("grading system '{other}' is not 3x5x2, 4x4 or tlp"),
            ),
        }
    }

    /// The flat form, with every code as the originator's system writes it.
    pub fn to_fields(&self) -> GradingFields {
        let s = |v: &str| Some(v.to_owned());
        match self {
            Grading::Uk3x5x2 {
                source,
                intelligence,
                handling,
            } => GradingFields {
                system: "3x5x2".into(),
                source: s(match source {
                    UkSource::Reliable => "1",
                    UkSource::Untested => "2",
                    UkSource::NotReliable => "3",
                }),
                intelligence: s(match intelligence {
                    UkIntelligence::KnownDirectly => "A",
                    UkIntelligence::KnownIndirectlyCorroborated => "B",
                    UkIntelligence::KnownIndirectly => "C",
                    UkIntelligence::NotKnown => "D",
                    UkIntelligence::SuspectedFalse => "E",
                }),
                handling: s(match handling {
                    UkHandling::Permitted => "P",
                    UkHandling::Conditions(_) => "C",
                }),
                conditions: match handling {
                    UkHandling::Permitted => None,
                    UkHandling::Conditions(c) => Some(c.clone()),
                },
                ..GradingFields::default()
            },
            Grading::Europol4x4 {
                source,
                information,
                handling,
            } => GradingFields {
                system: "4x4".into(),
                source: s(match source {
                    EuSource::A => "A",
                    EuSource::B => "B",
                    EuSource::C => "C",
                    EuSource::X => "X",
                }),
                information: s(match information {
                    EuInformation::One => "1",
                    EuInformation::Two => "2",
                    EuInformation::Three => "3",
                    EuInformation::Four => "4",
                }),
                handling: s(match handling {
                    EuHandling::H0 => "H0",
                    EuHandling::H1 => "H1",
                    EuHandling::H2 => "H2",
                    EuHandling::H3 => "H3",
                }),
                ..GradingFields::default()
            },
            Grading::Tlp(t) => GradingFields {
                system: "tlp".into(),
                tlp: s(match t {
                    Tlp::Clear => "CLEAR",
                    Tlp::Green => "GREEN",
                    Tlp::Amber => "AMBER",
                    Tlp::AmberStrict => "AMBER+STRICT",
                    Tlp::Red => "RED",
                }),
                ..GradingFields::default()
            },
        }
    }
}

impl fmt::Display for Grading {
    /// The short form analysts write: `3x5x2 2/B/P`, `4x4 B/2/H1`, `TLP:AMBER+STRICT`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let x = self.to_fields();
        let g = |v: &Option<String>| v.clone().unwrap_or_default();
        match self {
            Grading::Uk3x5x2 { .. } => write!(
                f,
                "3x5x2 {}/{}/{}",
                g(&x.source),
                g(&x.intelligence),
                g(&x.handling)
            ),
            Grading::Europol4x4 { .. } => write!(
                f,
                "4x4 {}/{}/{}",
                g(&x.source),
                g(&x.information),
                g(&x.handling)
            ),
            Grading::Tlp(_) => write!(f, "TLP:{}", g(&x.tlp)),
        }
    }
}

impl Serialize for Grading {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_fields().serialize(s)
    }
}

impl<'de> Deserialize<'de> for Grading {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let fields = GradingFields::deserialize(d)?;
        Grading::from_fields(&fields).map_err(serde::de::Error::custom)
    }
}

/// Who sent a record, when, from where in their own system, how it is graded and handled, and
/// when it must be reviewed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The originating agency's code (`RS_BP`, `UK_NCA`): upper-case letters, digits and `_`.
    pub originator: String,
    /// The unit or officer that contributed the record, as the agency names them.
    pub contributor: String,
    /// When the originator submitted it (RFC 3339 date-time, or a date).
    pub submitted_at: String,
    /// The record's reference in the originator's own system (case number, report id).
    pub source_ref: String,
    /// The date (YYYY-MM-DD) by which the record must be reviewed or it expires.
    pub review_by: String,
    /// Grading and handling in the originator's code system.
    pub grading: Grading,
}

impl Envelope {
    /// Checks every field; the error names the field and the reason.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        check_agency(&self.originator).map_err(|e| ("originator", e))?;
        let contributor = self.contributor.trim();
        if contributor.is_empty() || contributor.len() > 256 {
            return Err(("contributor", "must have 1 to 256 bytes".into()));
        }
        if self.source_ref.trim().is_empty() || self.source_ref.len() > 256 {
            return Err(("source_ref", "must have 1 to 256 bytes".into()));
        }
        if self.review_by.len() != 10 {
            return Err((
                "review_by",
                format!("'{}' is not a full date YYYY-MM-DD", self.review_by),
            ));
        }
        partial_date(&self.review_by).map_err(|e| ("review_by", e))?;
        if self.submitted_at.len() < 10 {
            return Err((
                "submitted_at",
                format!("'{}' is not a date or date-time", self.submitted_at),
            ));
        }
        partial_date(&self.submitted_at).map_err(|e| ("submitted_at", e))?;
        Ok(())
    }
}

/// Checks an agency code: 2 to 32 of `A-Z`, `0-9`, `_`, starting with a letter.
pub fn check_agency(code: &str) -> Result<(), String> {
    let ok = (2..=32).contains(&code.len())
        && code.as_bytes()[0].is_ascii_uppercase()
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "agency code '{code}' must be 2 to 32 of A-Z, 0-9 and _, starting with a letter"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(system: &str, kv: &[(&str, &str)]) -> GradingFields {
        let mut f = GradingFields {
            system: system.into(),
            ..GradingFields::default()
        };
        for (k, v) in kv {
            let slot = match *k {
                "source" => &mut f.source,
                "intelligence" => &mut f.intelligence,
                "information" => &mut f.information,
                "handling" => &mut f.handling,
                "conditions" => &mut f.conditions,
                "tlp" => &mut f.tlp,
                _ => unreachable!(),
            };
            *slot = Some((*v).into());
        }
        f
    }

    #[test]
    fn every_valid_code_round_trips_losslessly() {
        let mut all = Vec::new();
        for s in ["1", "2", "3"] {
            for i in ["A", "B", "C", "D", "E"] {
                all.push(fields(
                    "3x5x2",
                    &[("source", s), ("intelligence", i), ("handling", "P")],
                ));
                all.push(fields(
                    "3x5x2",
                    &[
                        ("source", s),
                        ("intelligence", i),
                        ("handling", "C"),
                        ("conditions", "Not for court without consent of NCA"),
                    ],
                ));
            }
        }
        for s in ["A", "B", "C", "X"] {
            for i in ["1", "2", "3", "4"] {
                for h in ["H0", "H1", "H2", "H3"] {
                    all.push(fields(
                        "4x4",
                        &[("source", s), ("information", i), ("handling", h)],
                    ));
                }
            }
        }
        for t in ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] {
            all.push(fields("tlp", &[("tlp", t)]));
        }
        assert_eq!(all.len(), 30 + 64 + 5);
        for f in all {
            let g = Grading::from_fields(&f).unwrap();
            assert_eq!(g.to_fields(), f);
            let json = serde_json::to_string(&g).unwrap();
            let back: Grading = serde_json::from_str(&json).unwrap();
            assert_eq!(back, g);
        }
    }

    #[test]
    fn unknown_or_malformed_codes_are_errors_not_defaults() {
        let bad = [
            fields(
                "3x5x2",
                &[("source", "4"), ("intelligence", "A"), ("handling", "P")],
            ),
            fields(
                "3x5x2",
                &[("source", "1"), ("intelligence", "F"), ("handling", "P")],
            ),
            fields(
                "3x5x2",
                &[("source", "1"), ("intelligence", "A"), ("handling", "C")],
            ),
            fields(
                "3x5x2",
                &[("source", "1"), ("intelligence", "A"), ("handling", "H2")],
            ),
            fields("3x5x2", &[("source", "1"), ("intelligence", "A")]),
            fields(
                "3x5x2",
                &[("source", "A"), ("intelligence", "1"), ("handling", "P")],
            ),
            fields(
                "4x4",
                &[("source", "D"), ("information", "1"), ("handling", "H0")],
            ),
            fields(
                "4x4",
                &[("source", "A"), ("information", "5"), ("handling", "H0")],
            ),
            fields(
                "4x4",
                &[("source", "A"), ("information", "1"), ("handling", "H4")],
            ),
            fields(
                "4x4",
                &[("source", "A"), ("intelligence", "1"), ("handling", "H0")],
            ),
            fields("tlp", &[("tlp", "WHITE")]),
            fields("tlp", &[("tlp", "AMBER STRICT")]),
            fields("tlp", &[]),
            fields("5x5x5", &[("source", "A")]),
            fields("", &[]),
        ];
        for f in bad {
            assert!(Grading::from_fields(&f).is_err(), "{f:?}");
        }
    }

    #[test]
    fn display_is_the_analysts_short_form() {
        let g = Grading::from_fields(&fields(
            "4x4",
            &[("source", "b"), ("information", "2"), ("handling", "h1")],
        ))
        .unwrap();
        assert_eq!(g.to_string(), "4x4 B/2/H1");
        let t = Grading::from_fields(&fields("tlp", &[("tlp", "tlp:amber+strict")])).unwrap();
        assert_eq!(t.to_string(), "TLP:AMBER+STRICT");
    }

    #[test]
    fn agency_codes() {
        assert!(check_agency("RS_BP").is_ok());
        assert!(check_agency("UK_NCA").is_ok());
        assert!(check_agency("rs_bp").is_err());
        assert!(check_agency("X").is_err());
        assert!(check_agency("1ABC").is_err());
    }
}
