//! Identity documents (specification B2, B4): of the migrants, 20% carry a genuine passport, 25% a
//! national identity card or tazkira, 5% a forged passport (often with the number of someone
//! else's real one), half nothing. Local smugglers carry their national identity card, half of
//! them a passport too.

use rand::Rng;

use crate::Config;
use crate::rng::stream;
use crate::world::{Kind, NONE, World};

/// An identity document.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// `passport`, `national ID`, `tazkira` or `forged passport`.
    pub kind: &'static str,
    /// Issuing country (alpha-2) as printed.
    pub country: &'static str,
    pub number: String,
    pub holder: u32,
    /// For a forged document, the person whose real document it copies ([`NONE`] if made up).
    pub impersonated: u32,
}

impl Document {
    pub fn genuine(&self) -> bool {
        self.kind != "forged passport"
    }

    /// The world id of the `index`-th document.
    pub fn id(index: usize) -> String {
        format!("D{:07}", index + 1)
    }
}

fn digits(rng: &mut impl Rng, n: u32) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// A passport number in the issuing country's style.
fn passport_number(rng: &mut impl Rng, country: &str) -> String {
    match country {
        "AF" => format!("P0{}", digits(rng, 7)),
        "SY" => format!("N0{}", digits(rng, 8)),
        "TR" => format!("U{}", digits(rng, 8)),
        "IQ" => format!("A{}", digits(rng, 8)),
        "RS" | "MK" => digits(rng, 9),
        "AL" => format!("B{}", digits(rng, 7)),
        _ => format!(
            "{}{}",
            char::from(b'A' + rng.random_range(0..26u8)),
            digits(rng, 8)
        ),
    }
}

/// An identity card number (a tazkira's in its Solar Hijri year-prefixed form).
fn card_number(rng: &mut impl Rng, country: &str) -> (&'static str, String) {
    match country {
        "AF" => (
            "tazkira",
            format!(
                "{}-{:04}-{}",
                rng.random_range(1395..1402),
                rng.random_range(101..1230),
                digits(rng, 5)
            ),
        ),
        "RS" => ("national ID", digits(rng, 9)),
        "MK" => ("national ID", format!("A{}", digits(rng, 7))),
        "XK" | "AL" => (
            "national ID",
            format!(
                "{}{}",
                char::from(b'I' + rng.random_range(0..2u8)),
                digits(rng, 8)
            ),
        ),
        _ => ("national ID", digits(rng, 10)),
    }
}

/// Issues the documents of every migrant and local smuggler.
pub(crate) fn issue(config: &Config, world: &mut World) {
    let mut rng = stream(config.seed, "world/documents");
    // Genuine passports so far, by home country: what a forger copies.
    let mut genuine: Vec<(&'static str, usize)> = Vec::new();
    for (i, p) in world.persons.iter().enumerate() {
        let holder = i as u32;
        match p.kind {
            Kind::Migrant => {
                let roll: f64 = rng.random();
                if roll < 0.20 {
                    genuine.push((p.home, world.documents.len()));
                    world.documents.push(Document {
                        kind: "passport",
                        country: p.home,
                        number: passport_number(&mut rng, p.home),
                        holder,
                        impersonated: NONE,
                    });
                } else if roll < 0.45 {
                    let (kind, number) = card_number(&mut rng, p.home);
                    world.documents.push(Document {
                        kind,
                        country: p.home,
                        number,
                        holder,
                        impersonated: NONE,
                    });
                } else if roll < 0.50 {
                    // A forged passport: a copy of a real passport of a co-national where the
                    // forger has one, otherwise a made-up number.
                    let source = genuine
                        .iter()
                        .rev()
                        .take(50)
                        .filter(|(c, _)| *c == p.home)
                        .map(|(_, d)| *d)
                        .nth(rng.random_range(0..5));
                    let (number, impersonated) = match source {
                        Some(d) => (world.documents[d].number.clone(), world.documents[d].holder),
                        None => (passport_number(&mut rng, p.home), NONE),
                    };
                    world.documents.push(Document {
                        kind: "forged passport",
                        country: p.home,
                        number,
                        holder,
                        impersonated,
                    });
                }
            }
            Kind::Smuggler if matches!(p.home, "RS" | "MK" | "AL" | "XK") => {
                let (kind, number) = card_number(&mut rng, p.home);
                world.documents.push(Document {
                    kind,
                    country: p.home,
                    number,
                    holder,
                    impersonated: NONE,
                });
                if rng.random_bool(0.5) {
                    world.documents.push(Document {
                        kind: "passport",
                        country: p.home,
                        number: passport_number(&mut rng, p.home),
                        holder,
                        impersonated: NONE,
                    });
                }
            }
            _ => {}
        }
    }
}

impl World {
    /// The first document person `p` carries, if any (documents are issued in person order).
    pub fn document_of(&self, p: usize) -> Option<(usize, &Document)> {
        let at = self.documents.partition_point(|d| (d.holder as usize) < p);
        self.documents
            .get(at)
            .filter(|d| d.holder as usize == p)
            .map(|d| (at, d))
    }
}
