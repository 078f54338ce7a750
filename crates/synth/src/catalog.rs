//! The generator's reference data — gazetteer, routes, name catalogue — compiled into the binary
//! from `data/*.tsv`, so nothing is downloaded and every run sees the same tables.

use std::sync::OnceLock;

/// A place on the route.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub id: &'static str,
    pub name: &'static str,
    /// ISO alpha-2 of the country the place is in.
    pub country: &'static str,
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
}

/// One leg of a route: from, to, and the chance that one attempt is intercepted.
#[derive(Debug, Clone, PartialEq)]
pub struct Leg {
    pub from: &'static str,
    pub to: &'static str,
    pub p_intercept: f64,
}

/// A route with its share of journeys.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub id: &'static str,
    pub weight: f64,
    pub legs: Vec<Leg>,
}

/// Which part of a name an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Given,
    Family,
}

/// A name and the ways agencies spell it.
#[derive(Debug, Clone, PartialEq)]
pub struct NameEntry {
    /// Name group: a nationality (AF, SY, IQ) for migrants, a country for locals (RS, MK, AL).
    pub group: &'static str,
    pub part: Part,
    /// The canonical form: native script for Serbian and Macedonian names, the most common
    /// romanisation for Arabic-script names.
    pub canonical: &'static str,
    pub variants: Vec<&'static str>,
    /// A given name borne by women (part `given_f` in the file).
    pub female: bool,
}

impl NameEntry {
    /// Whether the canonical form is Cyrillic (Serbian and Macedonian names).
    pub fn is_cyrillic(&self) -> bool {
        crate::translit::is_cyrillic(self.canonical)
    }

    /// The Latin spelling: the canonical form, or for a Cyrillic one its first (national Latin)
    /// variant.
    pub fn latin(&self) -> &'static str {
        if self.is_cyrillic() {
            self.variants.first().copied().unwrap_or(self.canonical)
        } else {
            self.canonical
        }
    }
}

/// The reference tables.
#[derive(Debug)]
pub struct Catalog {
    pub places: Vec<Place>,
    pub routes: Vec<Route>,
    pub names: Vec<NameEntry>,
    pub roles: Vec<RoleRange>,
}

/// How many members of a network type hold a role (`data/networks.tsv`).
#[derive(Debug, Clone, PartialEq)]
pub struct RoleRange {
    pub network: &'static str,
    pub role: &'static str,
    pub min: u32,
    pub max: u32,
    /// The role this one answers to, `None` at the top.
    pub reports_to: Option<&'static str>,
}

fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
}

impl Catalog {
    /// The compiled-in catalogue. Its consistency (every route place in the gazetteer, every
    /// row well formed) is a test, so a failure here is a build defect, not an input error.
    pub fn get() -> &'static Catalog {
        static CATALOG: OnceLock<Catalog> = OnceLock::new();
        CATALOG.get_or_init(|| {
            let places = rows(include_str!("../data/places.tsv"))
                .map(|c| Place {
                    id: c[0],
                    name: c[1],
                    country: c[2],
                    kind: c[3],
                    lat: c[4].parse().expect("places.tsv: latitude"),
                    lon: c[5].parse().expect("places.tsv: longitude"),
                })
                .collect();
            let routes = rows(include_str!("../data/routes.tsv"))
                .map(|c| Route {
                    id: c[0],
                    weight: c[1].parse().expect("routes.tsv: weight"),
                    legs: c[2..]
                        .iter()
                        .map(|leg| {
                            let mut p = leg.split('>');
                            let (from, to, prob) = (p.next(), p.next(), p.next());
                            Leg {
                                from: from.expect("routes.tsv: leg from"),
                                to: to.expect("routes.tsv: leg to"),
                                p_intercept: prob
                                    .and_then(|x| x.parse().ok())
                                    .expect("routes.tsv: leg probability"),
                            }
                        })
                        .collect(),
                })
                .collect();
            let names = rows(include_str!("../data/names.tsv"))
                .map(|c| NameEntry {
                    group: c[0],
                    part: if c[1].starts_with("given") {
                        Part::Given
                    } else {
                        Part::Family
                    },
                    female: c[1] == "given_f",
                    canonical: c[2],
                    variants: c.get(3).map_or_else(Vec::new, |v| v.split('|').collect()),
                })
                .collect();
            let roles = rows(include_str!("../data/networks.tsv"))
                .map(|c| RoleRange {
                    network: c[0],
                    role: c[1],
                    min: c[2].parse().expect("networks.tsv: min"),
                    max: c[3].parse().expect("networks.tsv: max"),
                    reports_to: Some(c[4]).filter(|r| *r != "-"),
                })
                .collect();
            Catalog {
                places,
                routes,
                names,
                roles,
            }
        })
    }

    /// The gazetteer index of the place with this id.
    pub fn place_index(&self, id: &str) -> Option<usize> {
        self.places.iter().position(|p| p.id == id)
    }

    /// The place with this id.
    pub fn place(&self, id: &str) -> Option<&Place> {
        self.places.iter().find(|p| p.id == id)
    }

    /// The roles of network type `kind`, top role first.
    pub fn roles_of(&self, kind: &str) -> impl Iterator<Item = &RoleRange> {
        self.roles.iter().filter(move |r| r.network == kind)
    }

    /// Indexes of the names of `group` for `part`.
    pub fn names_of(&self, group: &str, part: Part) -> Vec<usize> {
        self.names
            .iter()
            .enumerate()
            .filter(|(_, n)| n.group == group && n.part == part)
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_place_is_in_the_gazetteer_and_weights_sum_to_one() {
        let c = Catalog::get();
        for r in &c.routes {
            for leg in &r.legs {
                assert!(c.place(leg.from).is_some(), "{} {}", r.id, leg.from);
                assert!(c.place(leg.to).is_some(), "{} {}", r.id, leg.to);
                assert!((0.0..1.0).contains(&leg.p_intercept));
            }
        }
        let total: f64 = c.routes.iter().map(|r| r.weight).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
        for group in ["AF", "SY", "IQ", "RS", "MK", "AL"] {
            assert!(!c.names_of(group, Part::Given).is_empty(), "{group}");
            assert!(!c.names_of(group, Part::Family).is_empty(), "{group}");
        }
    }
}
