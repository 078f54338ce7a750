//! The schema, loaded from `schema/corridor.toml`.
//!
//! The file is the single source of truth for which schemata exist, which properties they have
//! and of which type; no other module names a property of a schema except to map data onto it.
//! Inheritance is resolved once at load time, so a lookup is one hash probe.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::types::PropType;

/// The built-in schema file, compiled into the binary (nothing is read at run time).
pub const BUILTIN_SCHEMA_TOML: &str = include_str!("../../../schema/corridor.toml");

/// A schema file that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SchemaError {
    #[error("schema file is not valid TOML: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("schema {schema}: {reason}")]
    Invalid { schema: String, reason: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemaFile {
    version: u32,
    types: BTreeMap<String, String>,
    schemata: BTreeMap<String, RawSchema>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSchema {
    label: String,
    #[serde(default, rename = "abstract")]
    is_abstract: bool,
    #[serde(default)]
    extends: Vec<String>,
    #[serde(default = "yes")]
    ftm: bool,
    #[serde(default)]
    required: Vec<String>,
    #[serde(default)]
    required_any: Vec<String>,
    #[serde(default)]
    properties: BTreeMap<String, RawProperty>,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProperty {
    #[serde(rename = "type")]
    ty: String,
    label: String,
    #[serde(default)]
    range: Option<String>,
}

/// One property of a schema, inherited ones included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDef {
    pub name: String,
    pub label: String,
    pub ty: PropType,
    /// For `entity` properties: the schema the referenced record must be (or descend from).
    pub range: Option<String>,
}

/// One schema with its inheritance resolved.
#[derive(Debug, Clone)]
pub struct SchemaDef {
    pub name: String,
    pub label: String,
    pub is_abstract: bool,
    /// False for Corridor's own schemata that FollowTheMoney does not define.
    pub ftm: bool,
    /// This schema and every schema it descends from.
    pub ancestors: BTreeSet<String>,
    pub properties: BTreeMap<String, PropertyDef>,
    pub required: Vec<String>,
    pub required_any: Vec<String>,
}

/// The loaded schema: every schema by name.
#[derive(Debug, Clone)]
pub struct Model {
    pub version: u32,
    schemata: HashMap<String, SchemaDef>,
}

impl Model {
    /// The schema compiled into the binary. Its validity is a test, so failing here is a build
    /// defect, not an input error.
    pub fn builtin() -> &'static Model {
        static MODEL: OnceLock<Model> = OnceLock::new();
        MODEL.get_or_init(|| {
            Model::from_toml(BUILTIN_SCHEMA_TOML).expect("built-in schema/corridor.toml is valid")
        })
    }

    /// Loads and checks a schema file: known types, existing parents and ranges, no cycles, no
    /// property redefined with another type, required properties that exist.
    pub fn from_toml(text: &str) -> Result<Model, SchemaError> {
        let file: SchemaFile = toml::from_str(text)?;
        for name in file.types.keys() {
            if PropType::parse(name).is_none() {
                return Err(invalid(
                    "[types]",
                    format!("type '{name}' has no implementation"),
                ));
            }
        }
        let mut schemata = HashMap::new();
        for name in file.schemata.keys() {
            let mut ancestors = BTreeSet::new();
            let mut properties = BTreeMap::new();
            resolve(&file, name, &mut ancestors, &mut properties, 0)?;
            let raw = &file.schemata[name];
            for p in raw.required.iter().chain(&raw.required_any) {
                if !properties.contains_key(p) {
                    return Err(invalid(
                        name,
                        format!("required property '{p}' is not defined"),
                    ));
                }
            }
            schemata.insert(
                name.clone(),
                SchemaDef {
                    name: name.clone(),
                    label: raw.label.clone(),
                    is_abstract: raw.is_abstract,
                    ftm: raw.ftm,
                    ancestors,
                    properties,
                    required: raw.required.clone(),
                    required_any: raw.required_any.clone(),
                },
            );
        }
        for s in schemata.values() {
            for p in s.properties.values() {
                match (&p.range, p.ty) {
                    (Some(r), PropType::Entity) if schemata.contains_key(r) => {}
                    (Some(r), PropType::Entity) => {
                        return Err(invalid(
                            &s.name,
                            format!("range '{r}' of '{}' is unknown", p.name),
                        ));
                    }
                    (None, PropType::Entity) => {
                        return Err(invalid(
                            &s.name,
                            format!("entity property '{}' has no range", p.name),
                        ));
                    }
                    (Some(_), _) => {
                        return Err(invalid(
                            &s.name,
                            format!("'{}' has a range but is not an entity", p.name),
                        ));
                    }
                    (None, _) => {}
                }
            }
        }
        Ok(Model {
            version: file.version,
            schemata,
        })
    }

    /// The schema named `name`, or `None`.
    pub fn schema(&self, name: &str) -> Option<&SchemaDef> {
        self.schemata.get(name)
    }

    /// Every schema name, sorted.
    pub fn schema_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.schemata.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl SchemaDef {
    /// True when this schema is `other` or descends from it.
    pub fn is_a(&self, other: &str) -> bool {
        self.ancestors.contains(other)
    }
}

fn invalid(schema: &str, reason: String) -> SchemaError {
    SchemaError::Invalid {
        schema: schema.to_owned(),
        reason,
    }
}

/// Depth bound for `extends` chains: deeper than this is a cycle or a mistake.
const EXTENDS_DEPTH_MAX: usize = 16;

fn resolve(
    file: &SchemaFile,
    name: &str,
    ancestors: &mut BTreeSet<String>,
    properties: &mut BTreeMap<String, PropertyDef>,
    depth: usize,
) -> Result<(), SchemaError> {
    if depth > EXTENDS_DEPTH_MAX {
        return Err(invalid(name, "extends chain is cyclic or too deep".into()));
    }
    let raw = file
        .schemata
        .get(name)
        .ok_or_else(|| invalid(name, "is extended but not defined".into()))?;
    ancestors.insert(name.to_owned());
    for parent in &raw.extends {
        resolve(file, parent, ancestors, properties, depth + 1)?;
    }
    for (pname, p) in &raw.properties {
        let ty = PropType::parse(&p.ty).ok_or_else(|| {
            invalid(
                name,
                format!("property '{pname}' has unknown type '{}'", p.ty),
            )
        })?;
        if !file.types.contains_key(&p.ty) {
            return Err(invalid(
                name,
                format!("type '{}' is not documented in [types]", p.ty),
            ));
        }
        if let Some(existing) = properties.get(pname)
            && existing.ty != ty
        {
            return Err(invalid(
                name,
                format!(
                    "property '{pname}' is redefined as {ty}, was {}",
                    existing.ty
                ),
            ));
        }
        properties.insert(
            pname.clone(),
            PropertyDef {
                name: pname.clone(),
                label: p.label.clone(),
                ty,
                range: p.range.clone(),
            },
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_schema_loads_with_every_required_schema() {
        let m = Model::builtin();
        for s in [
            "Person",
            "Organization",
            "Phone",
            "Vehicle",
            "Vessel",
            "BankAccount",
            "Address",
            "Identification",
            "Passport",
            "Crossing",
            "Interception",
            "Communication",
            "Payment",
            "Ownership",
            "Associate",
            "UnknownLink",
        ] {
            let def = m.schema(s).unwrap_or_else(|| panic!("{s} missing"));
            assert!(!def.is_abstract, "{s}");
        }
        let person = m.schema("Person").unwrap();
        assert!(person.is_a("LegalEntity") && person.is_a("Thing"));
        assert_eq!(person.properties["name"].ty, PropType::Name);
        assert_eq!(person.properties["birthDate"].ty, PropType::Date);
        assert!(m.schema("Vessel").unwrap().is_a("Vehicle"));
        assert!(m.schema("Payment").unwrap().is_a("Interval"));
        assert!(!m.schema("Phone").unwrap().ftm);
    }

    #[test]
    fn bad_schema_files_are_refused() {
        let base = "version = 1\n[types]\ntext = \"t\"\nentity = \"e\"\n";
        let cases = [
            "[schemata.A]\nlabel = \"A\"\nextends = [\"B\"]\n",
            "[schemata.A]\nlabel = \"A\"\nextends = [\"A\"]\n",
            "[schemata.A]\nlabel = \"A\"\nproperties.x = { type = \"float\", label = \"x\" }\n",
            "[schemata.A]\nlabel = \"A\"\nproperties.x = { type = \"entity\", label = \"x\" }\n",
            "[schemata.A]\nlabel = \"A\"\nproperties.x = { type = \"entity\", label = \"x\", range = \"Z\" }\n",
            "[schemata.A]\nlabel = \"A\"\nrequired = [\"y\"]\n",
            "[schemata.A]\nlabel = \"A\"\nsurprise = 1\n",
        ];
        for c in cases {
            assert!(Model::from_toml(&format!("{base}{c}")).is_err(), "{c}");
        }
    }
}
