//! The kinds of entity resolved, as `schema/resolution.toml` declares them, checked against
//! the data model so that a typo in a property name is a build defect, not a silent gap.

use std::collections::BTreeMap;

use corridor_model::schema::Model;
use corridor_model::types::PropType;
use corridor_resolve::Role;
use serde::Deserialize;

use crate::Error;

/// `schema/resolution.toml`, compiled in.
pub const BUILTIN_RESOLUTION_TOML: &str = include_str!("../../../schema/resolution.toml");

/// A scored kind's property, its comparison role, and the role's occurrence.
pub type RoleProperty = (String, Role, u8);

/// How a kind's records become subjects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Fellegi–Sunter over the roles: (property, role, occurrence).
    Probabilistic(Vec<RoleProperty>),
    /// Records sharing any key are one subject; a key is properties that must all be present.
    Key(Vec<Vec<KeyProperty>>),
}

/// One property of a key, with the type that decides its key form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyProperty {
    pub name: String,
    pub ty: PropType,
    /// Written `property:type` in the file: the value counts only when it is valid as that
    /// type, and is then compared in that type's form (an account number that is an IBAN).
    pub read_as: Option<PropType>,
}

/// One kind of entity.
#[derive(Clone, Debug)]
pub struct Kind {
    /// `person`, `phone`, …: the name in commands and in the store.
    pub name: String,
    pub label: String,
    /// Subject ids are `PREFIX-NNNNNNN`.
    pub prefix: String,
    /// Records of exactly these schemata are resolved together.
    pub schemata: Vec<String>,
    pub method: Method,
}

impl Kind {
    /// `probabilistic` or `key`, as stored.
    pub fn method_name(&self) -> &'static str {
        match self.method {
            Method::Probabilistic(_) => "probabilistic",
            Method::Key(_) => "key",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    kinds: BTreeMap<String, RawKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKind {
    label: String,
    prefix: String,
    schemata: Vec<String>,
    method: String,
    #[serde(default)]
    roles: Vec<(String, String)>,
    #[serde(default)]
    keys: Vec<Vec<String>>,
}

/// Every kind, in name order, from a resolution file checked against `model`.
pub fn kinds_from_toml(text: &str, model: &Model) -> Result<Vec<Kind>, Error> {
    let file: File =
        toml::from_str(text).map_err(|e| Error::Config(format!("resolution file: {e}")))?;
    let mut kinds = Vec::new();
    let mut prefixes = Vec::new();
    for (name, raw) in file.kinds {
        let bad = |why: String| Error::Config(format!("kind '{name}': {why}"));
        if raw.schemata.is_empty() {
            return Err(bad("no schemata".into()));
        }
        if raw.prefix.is_empty() || !raw.prefix.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(bad(format!(
                "prefix '{}' is not capital letters",
                raw.prefix
            )));
        }
        if prefixes.contains(&raw.prefix) {
            return Err(bad(format!("prefix '{}' is used twice", raw.prefix)));
        }
        prefixes.push(raw.prefix.clone());
        let mut types: Vec<BTreeMap<String, PropType>> = Vec::new();
        for s in &raw.schemata {
            let def = model
                .schema(s)
                .ok_or_else(|| bad(format!("schema '{s}' is unknown")))?;
            types.push(
                def.properties
                    .iter()
                    .map(|(n, p)| (n.clone(), p.ty))
                    .collect(),
            );
        }
        // A property must exist, with one type, in every schema of the kind.
        let type_of = |prop: &str| -> Result<PropType, Error> {
            let mut found = None;
            for (s, t) in raw.schemata.iter().zip(&types) {
                let ty = *t
                    .get(prop)
                    .ok_or_else(|| bad(format!("schema '{s}' has no property '{prop}'")))?;
                if found.is_some_and(|f| f != ty) {
                    return Err(bad(format!("property '{prop}' has two types")));
                }
                found = Some(ty);
            }
            found.ok_or_else(|| bad("no schemata".into()))
        };
        let method = match raw.method.as_str() {
            "probabilistic" => {
                if raw.roles.is_empty() || !raw.keys.is_empty() {
                    return Err(bad("a probabilistic kind lists roles and no keys".into()));
                }
                let mut roles: Vec<RoleProperty> = Vec::new();
                for (prop, role) in &raw.roles {
                    type_of(prop)?;
                    let role = Role::parse(role)
                        .filter(|r| !matches!(r, Role::Id | Role::Source))
                        .ok_or_else(|| bad(format!("'{role}' is not a comparison role")))?;
                    if roles.iter().any(|(p, _, _)| p == prop) {
                        return Err(bad(format!("property '{prop}' is listed twice")));
                    }
                    let occurrence = roles.iter().filter(|(_, r, _)| *r == role).count();
                    let occurrence = u8::try_from(occurrence)
                        .map_err(|_| bad(format!("too many '{}' roles", role.as_str())))?;
                    roles.push((prop.clone(), role, occurrence));
                }
                Method::Probabilistic(roles)
            }
            "key" => {
                if raw.keys.is_empty() || !raw.roles.is_empty() {
                    return Err(bad("a key kind lists keys and no roles".into()));
                }
                let mut keys = Vec::new();
                for key in &raw.keys {
                    if key.is_empty() {
                        return Err(bad("an empty key".into()));
                    }
                    keys.push(
                        key.iter()
                            .map(|p| {
                                let (name, read_as) = match p.split_once(':') {
                                    Some((name, ty)) => {
                                        let ty = PropType::parse(ty)
                                            .filter(|t| {
                                                matches!(
                                                    t,
                                                    PropType::Iban
                                                        | PropType::Phone
                                                        | PropType::Plate
                                                )
                                            })
                                            .ok_or_else(|| {
                                                bad(format!("'{p}': read as iban, phone or plate"))
                                            })?;
                                        (name, Some(ty))
                                    }
                                    None => (p.as_str(), None),
                                };
                                Ok(KeyProperty {
                                    name: name.to_string(),
                                    ty: type_of(name)?,
                                    read_as,
                                })
                            })
                            .collect::<Result<Vec<_>, Error>>()?,
                    );
                }
                Method::Key(keys)
            }
            other => {
                return Err(bad(format!(
                    "method '{other}' is neither probabilistic nor key"
                )));
            }
        };
        kinds.push(Kind {
            name,
            label: raw.label,
            prefix: raw.prefix,
            schemata: raw.schemata,
            method,
        });
    }
    Ok(kinds)
}

/// The kinds compiled into the binary. Their validity is a test.
pub fn builtin_kinds() -> Vec<Kind> {
    kinds_from_toml(BUILTIN_RESOLUTION_TOML, Model::builtin())
        .expect("built-in schema/resolution.toml is valid")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_kinds_are_valid() {
        let kinds = builtin_kinds();
        let names: Vec<&str> = kinds.iter().map(|k| k.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "account",
                "organisation",
                "person",
                "phone",
                "vehicle",
                "vessel"
            ]
        );
        let person = kinds.iter().find(|k| k.name == "person").unwrap();
        let Method::Probabilistic(roles) = &person.method else {
            panic!("persons are scored")
        };
        let ids: Vec<_> = roles
            .iter()
            .filter(|(_, r, _)| *r == Role::Identifier)
            .map(|(p, _, o)| (p.as_str(), *o))
            .collect();
        assert_eq!(ids, [("idNumber", 0), ("fingerprintHash", 1)]);
    }

    #[test]
    fn mistakes_are_named() {
        let model = Model::builtin();
        let cases = [
            (
                "[kinds.x]\nlabel='X'\nprefix='X'\nschemata=['Nope']\nmethod='key'\nkeys=[['a']]",
                "schema 'Nope'",
            ),
            (
                "[kinds.x]\nlabel='X'\nprefix='X'\nschemata=['Phone']\nmethod='key'\nkeys=[['nmber']]",
                "no property 'nmber'",
            ),
            (
                "[kinds.x]\nlabel='X'\nprefix='X'\nschemata=['Person']\nmethod='probabilistic'\nroles=[['name','nose']]",
                "'nose' is not",
            ),
            (
                "[kinds.x]\nlabel='X'\nprefix='x'\nschemata=['Phone']\nmethod='key'\nkeys=[['number']]",
                "prefix",
            ),
        ];
        for (text, want) in cases {
            let err = kinds_from_toml(text, model).unwrap_err().to_string();
            assert!(err.contains(want), "{err} lacks {want}");
        }
    }
}
