//! Mapping files: which CSV column is which property of which record, who the originator is,
//! how the source writes dates, numbers and phone numbers, and how its records are graded.
//!
//! A mapping is TOML. One CSV row may describe several records (a person, their phone, the
//! interception they were found in), each an `[entities.<key>]` table; a property may take a
//! column, several columns, a literal, or `@<key>` — the id of another record from the same
//! row. See `examples/*.toml` for complete mappings and `docs/mapping.md` for the reference.
//!
//! A mapping is checked once, against the schema and the file's header, before any row is
//! read: a mistake in it is a usage error that names the mapping file and the key at fault.

use std::collections::BTreeMap;

use serde::Deserialize;

use corridor_model::envelope::check_agency;
use corridor_model::limits::{ENTITIES_PER_ROW_MAX, MAPPING_BYTES_MAX};
use corridor_model::{Model, PropType, ValueContext};

use crate::dates::check_format;

/// A value given literally or read from a column.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ValueSpec {
    Literal(String),
    Column { column: String },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceSection {
    agency: String,
    contributor: ValueSpec,
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    script: Option<String>,
    #[serde(default)]
    delimiter: Option<String>,
    #[serde(default)]
    date_formats: Vec<String>,
    #[serde(default)]
    phone_region: Option<String>,
    #[serde(default)]
    decimal_separator: Option<String>,
    #[serde(default)]
    thousands_separator: Option<String>,
    #[serde(default)]
    submitted_at: Option<ValueSpec>,
    #[serde(default)]
    source_ref: Option<ValueSpec>,
    #[serde(default)]
    review_by: Option<ValueSpec>,
    #[serde(default)]
    review_after_days: Option<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GradingSection {
    system: String,
    #[serde(default)]
    source: Option<ValueSpec>,
    #[serde(default)]
    intelligence: Option<ValueSpec>,
    #[serde(default)]
    information: Option<ValueSpec>,
    #[serde(default)]
    handling: Option<ValueSpec>,
    #[serde(default)]
    conditions: Option<ValueSpec>,
    #[serde(default)]
    tlp: Option<ValueSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct IdSection {
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    keys: Vec<String>,
    #[serde(default)]
    prefix: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum PropSection {
    One(String),
    Many(Vec<String>),
    Table(PropTable),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PropTable {
    #[serde(default)]
    column: Option<String>,
    #[serde(default)]
    columns: Vec<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    split: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntitySection {
    schema: String,
    id: IdSection,
    #[serde(default)]
    properties: BTreeMap<String, PropSection>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    source: SourceSection,
    grading: GradingSection,
    #[serde(default)]
    entities: BTreeMap<String, EntitySection>,
}

/// A value resolved against the header: literal, or the index of a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Literal(String),
    Column { index: usize, name: String },
}

/// Where one property's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropSource {
    Column {
        index: usize,
        name: String,
    },
    Literal(String),
    /// The id of the entity at this index in [`Mapping::entities`], from the same row.
    Entity(usize),
}

/// One property of a mapped entity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedProperty {
    pub name: String,
    pub ty: PropType,
    pub sources: Vec<PropSource>,
    pub split: Option<String>,
}

/// How a mapped entity gets its record id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MappedId {
    Column {
        index: usize,
        name: String,
    },
    /// A stable hash of these columns' values, for sources without an id of their own.
    Keys(Vec<(usize, String)>),
}

/// One record a row produces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedEntity {
    pub key: String,
    pub schema: String,
    pub id: MappedId,
    pub prefix: String,
    pub properties: Vec<MappedProperty>,
}

/// A mapping checked against the schema and (for CSV) a header.
#[derive(Debug, Clone)]
pub struct Mapping {
    /// The mapping file's text, kept with the source for provenance.
    pub text: String,
    pub agency: String,
    pub contributor: Resolved,
    pub language: Option<String>,
    pub script: Option<String>,
    pub delimiter: u8,
    pub date_formats: Vec<String>,
    pub context: ValueContext,
    pub submitted_at: Option<Resolved>,
    pub source_ref: Option<Resolved>,
    pub review_by: Option<Resolved>,
    pub review_after_days: Option<u32>,
    pub grading_system: String,
    /// Grading fields by name (`source`, `intelligence`, …).
    pub grading: Vec<(&'static str, Resolved)>,
    pub entities: Vec<MappedEntity>,
}

/// Scripts a source may declare.
pub const SCRIPTS: [&str; 5] = ["Latn", "Cyrl", "Arab", "Grek", "mixed"];

/// Reads a mapping. `header` is the CSV header (None for FtM JSON lines, whose mapping only
/// supplies the envelope). Every error names the key at fault.
/// The agency a mapping names (`source.agency`), read without a file's header: enough to
/// refuse another agency's mapping before anything is read.
pub fn agency_of(text: &str) -> Result<String, String> {
    if text.len() > MAPPING_BYTES_MAX {
        return Err(format!("mapping is over {MAPPING_BYTES_MAX} bytes"));
    }
    let file: MappingFile = toml::from_str(text).map_err(|e| e.to_string())?;
    check_agency(&file.source.agency).map_err(|e| format!("source.agency: {e}"))?;
    Ok(file.source.agency)
}

pub fn parse(text: &str, header: Option<&[String]>, model: &Model) -> Result<Mapping, String> {
    if text.len() > MAPPING_BYTES_MAX {
        return Err(format!("mapping is over {MAPPING_BYTES_MAX} bytes"));
    }
    let file: MappingFile = toml::from_str(text).map_err(|e| e.to_string())?;
    let column = |name: &str, key: &str| -> Result<(usize, String), String> {
        match header {
            None => Err(format!(
                "{key}: columns need a CSV source, this one has none"
            )),
            Some(h) => h
                .iter()
                .position(|c| c == name)
                .map(|i| (i, name.to_owned()))
                .ok_or_else(|| format!("{key}: column '{name}' is not in the file's header {h:?}")),
        }
    };
    let resolve = |spec: &ValueSpec, key: &str| -> Result<Resolved, String> {
        match spec {
            ValueSpec::Literal(v) => Ok(Resolved::Literal(v.clone())),
            ValueSpec::Column { column: c } => {
                let (index, name) = column(c, key)?;
                Ok(Resolved::Column { index, name })
            }
        }
    };
    let s = &file.source;
    check_agency(&s.agency).map_err(|e| format!("source.agency: {e}"))?;
    if let Some(script) = &s.script
        && !SCRIPTS.contains(&script.as_str())
    {
        return Err(format!(
            "source.script: '{script}' is not one of {SCRIPTS:?}"
        ));
    }
    let delimiter = match s.delimiter.as_deref().unwrap_or(",") {
        d if d.len() == 1 && d != "\"" && d != "\n" => d.as_bytes()[0],
        "\\t" => b'\t',
        d => {
            return Err(format!(
                "source.delimiter: '{d}' must be one ASCII character"
            ));
        }
    };
    for f in &s.date_formats {
        check_format(f).map_err(|e| format!("source.date_formats: {e}"))?;
    }
    let one_char =
        |v: &Option<String>, key: &str, default: Option<char>| -> Result<Option<char>, String> {
            match v.as_deref() {
                None => Ok(default),
                Some(x) if x.chars().count() == 1 => Ok(x.chars().next()),
                Some(x) => Err(format!("source.{key}: '{x}' must be one character")),
            }
        };
    let context = ValueContext {
        phone_region: match &s.phone_region {
            Some(r) if corridor_text::country_alpha2(r).is_some() && r.len() == 2 => {
                Some(r.to_ascii_uppercase())
            }
            Some(r) => {
                return Err(format!(
                    "source.phone_region: '{r}' is not an ISO alpha-2 code"
                ));
            }
            None => None,
        },
        decimal_separator: one_char(&s.decimal_separator, "decimal_separator", Some('.'))?
            .unwrap_or('.'),
        thousands_separator: one_char(&s.thousands_separator, "thousands_separator", None)?,
    };
    if context.thousands_separator == Some(context.decimal_separator) {
        return Err("source: decimal and thousands separators are the same".into());
    }
    if s.review_by.is_none() && s.review_after_days.is_none() {
        return Err(
            "source: give review_by (a date or column) or review_after_days: records must carry a review date"
                .into(),
        );
    }
    let g = &file.grading;
    let mut grading = Vec::new();
    for (name, spec) in [
        ("source", &g.source),
        ("intelligence", &g.intelligence),
        ("information", &g.information),
        ("handling", &g.handling),
        ("conditions", &g.conditions),
        ("tlp", &g.tlp),
    ] {
        if let Some(spec) = spec {
            grading.push((name, resolve(spec, &format!("grading.{name}"))?));
        }
    }
    // Literal codes are checked now, so a wrong code fails the mapping rather than every row.
    // Fields read from columns are stood in for by a valid code of the same system.
    {
        let system = g.system.trim().to_ascii_lowercase();
        let has_conditions = grading.iter().any(|(n, _)| *n == "conditions");
        let mut fields = corridor_model::envelope::GradingFields {
            system: g.system.clone(),
            ..Default::default()
        };
        for (name, r) in &grading {
            let value = match r {
                Resolved::Literal(v) => v.clone(),
                Resolved::Column { .. } => match (system.as_str(), *name) {
                    ("3x5x2", "source") | ("4x4", "information") => "1".into(),
                    ("3x5x2", "intelligence") | ("4x4", "source") => "A".into(),
                    ("3x5x2", "handling") if has_conditions => "C".into(),
                    ("3x5x2", "handling") => "P".into(),
                    ("4x4", "handling") => "H0".into(),
                    ("tlp", "tlp") => "CLEAR".into(),
                    _ => "-".into(),
                },
            };
            set_grading_field(&mut fields, name, value);
        }
        corridor_model::Grading::from_fields(&fields)
            .map_err(|e| format!("grading.{}: {e}", e.field))?;
    }
    if file.entities.len() > ENTITIES_PER_ROW_MAX {
        return Err(format!(
            "entities: more than {ENTITIES_PER_ROW_MAX} per row"
        ));
    }
    if header.is_some() && file.entities.is_empty() {
        return Err("entities: a CSV mapping needs at least one [entities.<key>] table".into());
    }
    let keys: Vec<&String> = file.entities.keys().collect();
    let mut entities = Vec::new();
    // Entities map columns; FtM lines carry their own entities and use only the envelope.
    let mapped = if header.is_some() {
        &file.entities
    } else {
        &BTreeMap::new()
    };
    for (key, e) in mapped {
        let at = format!("entities.{key}");
        let schema = model
            .schema(&e.schema)
            .ok_or_else(|| format!("{at}.schema: '{}' is not a schema", e.schema))?;
        if schema.is_abstract {
            return Err(format!("{at}.schema: '{}' is abstract", e.schema));
        }
        let id = match (&e.id.column, e.id.keys.is_empty()) {
            (Some(c), true) => {
                let (index, name) = column(c, &format!("{at}.id.column"))?;
                MappedId::Column { index, name }
            }
            (None, false) => MappedId::Keys(
                e.id.keys
                    .iter()
                    .map(|c| column(c, &format!("{at}.id.keys")))
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(format!("{at}.id: give exactly one of column or keys")),
        };
        let mut properties = Vec::new();
        for (pname, p) in &e.properties {
            let pat = format!("{at}.properties.{pname}");
            let def = schema
                .properties
                .get(pname)
                .ok_or_else(|| format!("{pat}: {} has no property '{pname}'", schema.name))?;
            let (names, literal, split) = match p {
                PropSection::One(c) => (vec![c.clone()], None, None),
                PropSection::Many(cs) => (cs.clone(), None, None),
                PropSection::Table(t) => {
                    let mut names = t.columns.clone();
                    names.extend(t.column.clone());
                    (names, t.value.clone(), t.split.clone())
                }
            };
            if names.is_empty() && literal.is_none() {
                return Err(format!("{pat}: give a column, columns or value"));
            }
            let mut sources = Vec::new();
            for n in names {
                if let Some(target) = n.strip_prefix('@') {
                    if def.ty != PropType::Entity {
                        return Err(format!(
                            "{pat}: '@{target}' needs an entity property, this is {}",
                            def.ty
                        ));
                    }
                    let idx = keys
                        .iter()
                        .position(|k| k.as_str() == target)
                        .ok_or_else(|| format!("{pat}: no entity '{target}' in this mapping"))?;
                    if keys[idx] == key {
                        return Err(format!("{pat}: an entity cannot refer to itself"));
                    }
                    sources.push(PropSource::Entity(idx));
                } else {
                    let (index, name) = column(&n, &pat)?;
                    sources.push(PropSource::Column { index, name });
                }
            }
            if let Some(v) = literal {
                sources.push(PropSource::Literal(v));
            }
            if split.as_deref() == Some("") {
                return Err(format!("{pat}.split: must not be empty"));
            }
            properties.push(MappedProperty {
                name: pname.clone(),
                ty: def.ty,
                sources,
                split,
            });
        }
        entities.push(MappedEntity {
            key: key.clone(),
            schema: e.schema.clone(),
            id,
            prefix: e.id.prefix.clone().unwrap_or_default(),
            properties,
        });
    }
    Ok(Mapping {
        text: text.to_owned(),
        agency: s.agency.clone(),
        contributor: resolve(&s.contributor, "source.contributor")?,
        language: s.language.clone(),
        script: s.script.clone(),
        delimiter,
        date_formats: s.date_formats.clone(),
        context,
        submitted_at: s
            .submitted_at
            .as_ref()
            .map(|v| resolve(v, "source.submitted_at"))
            .transpose()?,
        source_ref: s
            .source_ref
            .as_ref()
            .map(|v| resolve(v, "source.source_ref"))
            .transpose()?,
        review_by: s
            .review_by
            .as_ref()
            .map(|v| resolve(v, "source.review_by"))
            .transpose()?,
        review_after_days: s.review_after_days,
        grading_system: g.system.clone(),
        grading,
        entities,
    })
}

/// Reads only a mapping's delimiter, which is needed to read the header it is checked against.
pub fn delimiter_of(text: &str) -> Result<u8, String> {
    #[derive(Deserialize)]
    struct Probe {
        source: ProbeSource,
    }
    #[derive(Deserialize)]
    struct ProbeSource {
        delimiter: Option<String>,
    }
    let probe: Probe = toml::from_str(text).map_err(|e| e.to_string())?;
    match probe.source.delimiter.as_deref().unwrap_or(",") {
        "\\t" => Ok(b'\t'),
        d if d.len() == 1 => Ok(d.as_bytes()[0]),
        d => Err(format!(
            "source.delimiter: '{d}' must be one ASCII character"
        )),
    }
}

pub(crate) fn set_grading_field(
    fields: &mut corridor_model::envelope::GradingFields,
    name: &str,
    value: String,
) {
    let slot = match name {
        "source" => &mut fields.source,
        "intelligence" => &mut fields.intelligence,
        "information" => &mut fields.information,
        "handling" => &mut fields.handling,
        "conditions" => &mut fields.conditions,
        _ => &mut fields.tlp,
    };
    *slot = Some(value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    const GOOD: &str = r#"
[source]
agency = "RS_BP"
contributor = { column = "jedinica" }
script = "Cyrl"
date_formats = ["%d.%m.%Y."]
phone_region = "RS"
review_after_days = 1095

[grading]
system = "4x4"
source = { column = "izvor" }
information = "2"
handling = "H2"

[entities.lice]
schema = "Person"
id = { column = "id_lica", prefix = "lice-" }
[entities.lice.properties]
firstName = "ime"
lastName = "prezime"
phone = ["tel1", "tel2"]
alias = { column = "nadimci", split = ";" }

[entities.dogadjaj]
schema = "Interception"
id = { keys = ["broj"] }
[entities.dogadjaj.properties]
person = "@lice"
date = "datum"
country = { value = "RS" }
"#;

    #[test]
    fn good_mapping_resolves_columns_and_references() {
        let h = header(&[
            "broj", "datum", "id_lica", "ime", "prezime", "tel1", "tel2", "nadimci", "jedinica",
            "izvor",
        ]);
        let m = parse(GOOD, Some(&h), corridor_model::Model::builtin()).unwrap();
        assert_eq!(m.entities.len(), 2);
        let interception = &m.entities[0];
        assert_eq!(interception.key, "dogadjaj");
        let person = interception
            .properties
            .iter()
            .find(|p| p.name == "person")
            .unwrap();
        assert_eq!(person.sources, [PropSource::Entity(1)]);
        assert_eq!(m.context.phone_region.as_deref(), Some("RS"));
    }

    #[test]
    fn mistakes_name_the_key() {
        let h = header(&[
            "broj", "datum", "id_lica", "ime", "prezime", "tel1", "tel2", "nadimci", "jedinica",
            "izvor",
        ]);
        let model = corridor_model::Model::builtin();
        let cases = [
            (
                GOOD.replace("\"ime\"", "\"first\""),
                "entities.lice.properties.firstName: column 'first'",
            ),
            (
                GOOD.replace("lastName", "surname"),
                "Person has no property 'surname'",
            ),
            (
                GOOD.replace("\"H2\"", "\"H7\""),
                "grading.handling: handling code 'H7'",
            ),
            (GOOD.replace("@lice", "@nobody"), "no entity 'nobody'"),
            (GOOD.replace("RS_BP", "rs-bp"), "source.agency"),
            (GOOD.replace("review_after_days = 1095", ""), "review date"),
            (GOOD.replace("\"Cyrl\"", "\"Klingon\""), "source.script"),
            (GOOD.replace("%d.%m.%Y.", "%d.%m."), "no year"),
            (GOOD.replace("\"Interception\"", "\"Interval\""), "abstract"),
            (
                GOOD.replace("date = \"datum\"", "date = \"@lice\""),
                "needs an entity property",
            ),
        ];
        for (text, want) in cases {
            let err = parse(&text, Some(&h), model).unwrap_err();
            assert!(err.contains(want), "want '{want}' in '{err}'");
        }
    }
}
