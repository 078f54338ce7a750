//! Agencies observe the world through recording profiles: their own column names and language,
//! script, date format, romanisation habits and noise. Each writes its CSV, the mapping file that
//! `corridor ingest` reads it with, and its share of the ground truth.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::Path;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::catalog::Catalog;
use crate::rng::{civil, stream};
use crate::translit::{Cyrillic, to_cyrillic};
use crate::world::{Kind, Person, World};

/// How one agency records what it sees. Rates are per record (per name token for typos).
#[derive(Debug, Clone)]
pub struct Profile {
    pub code: &'static str,
    /// The country whose interceptions it records (alpha-2).
    pub country: &'static str,
    pub contributor: &'static str,
    /// Column names of the border-stop form, in the agency's language, in [`Column`] order
    /// (empty for an agency that records something else).
    pub headers: [&'static str; 16],
    /// Cyrillic alphabet and the share of records typed in it.
    pub cyrillic: Option<(Cyrillic, f64)>,
    /// Separator of day, month and year, and whether the year ends with a dot (Serbian).
    pub date_sep: char,
    pub trailing_dot: bool,
    pub typo: f64,
    pub variant: f64,
    pub diacritics_dropped: f64,
    pub swapped: f64,
    pub dob_missing: f64,
    pub dob_placeholder: f64,
    pub dob_year_only: f64,
}

/// The columns every profile writes, in order.
#[derive(Debug, Clone, Copy)]
pub enum Column {
    Case,
    Slot,
    PersonId,
    DateTime,
    Place,
    Unit,
    Family,
    Given,
    Sex,
    Dob,
    Nationality,
    Role,
    Plate,
    Model,
    VehicleId,
    SourceGrade,
}

/// The agencies this scenario has: the border police of the route's countries.
pub fn profiles() -> Vec<Profile> {
    let sr = [
        "broj_predmeta",
        "rb",
        "id_lica",
        "datum_vreme",
        "mesto",
        "jedinica",
        "prezime",
        "ime",
        "pol",
        "datum_rodjenja",
        "drzavljanstvo",
        "uloga",
        "registracija",
        "vozilo",
        "id_vozila",
        "ocena_izvora",
    ];
    let mk = [
        "broj_predmet",
        "rb",
        "id_lice",
        "datum_vreme",
        "mesto",
        "edinica",
        "prezime",
        "ime",
        "pol",
        "datum_ragjanje",
        "drzavjanstvo",
        "uloga",
        "registracija",
        "vozilo",
        "id_vozilo",
        "ocenka_izvor",
    ];
    let sq = [
        "nr_rastit",
        "nr",
        "id_personi",
        "data_ora",
        "vendi",
        "njesia",
        "mbiemri",
        "emri",
        "gjinia",
        "datelindja",
        "shtetesia",
        "roli",
        "targa",
        "automjeti",
        "id_automjeti",
        "vleresimi_burimit",
    ];
    vec![
        Profile {
            code: "RS_BP",
            country: "RS",
            contributor: "Uprava granične policije",
            headers: sr,
            cyrillic: Some((Cyrillic::Serbian, 0.60)),
            date_sep: '.',
            trailing_dot: true,
            typo: 0.05,
            variant: 0.35,
            diacritics_dropped: 0.20,
            swapped: 0.05,
            dob_missing: 0.15,
            dob_placeholder: 0.12,
            dob_year_only: 0.08,
        },
        Profile {
            code: "MK_BP",
            country: "MK",
            contributor: "МВР Гранична полиција",
            headers: mk,
            cyrillic: Some((Cyrillic::Macedonian, 0.80)),
            date_sep: '.',
            trailing_dot: false,
            typo: 0.05,
            variant: 0.35,
            diacritics_dropped: 0.30,
            swapped: 0.05,
            dob_missing: 0.15,
            dob_placeholder: 0.12,
            dob_year_only: 0.08,
        },
        Profile {
            code: "XK_KP",
            country: "XK",
            contributor: "Policia e Kosovës, Drejtoria e Kufirit",
            headers: sq,
            cyrillic: None,
            date_sep: '.',
            trailing_dot: false,
            typo: 0.04,
            variant: 0.30,
            diacritics_dropped: 0.20,
            swapped: 0.05,
            dob_missing: 0.10,
            dob_placeholder: 0.12,
            dob_year_only: 0.05,
        },
        Profile {
            code: "AL_ASP",
            country: "AL",
            contributor: "Policia e Shtetit, Kufiri",
            headers: sq,
            cyrillic: None,
            date_sep: '/',
            trailing_dot: false,
            typo: 0.05,
            variant: 0.30,
            diacritics_dropped: 0.25,
            swapped: 0.05,
            dob_missing: 0.10,
            dob_placeholder: 0.12,
            dob_year_only: 0.05,
        },
    ]
}

impl Profile {
    fn date(&self, (y, m, d): (i32, u32, u32)) -> String {
        let s = self.date_sep;
        let dot = if self.trailing_dot { "." } else { "" };
        format!("{d:02}{s}{m:02}{s}{y}{dot}")
    }

    /// The date patterns its mapping declares, most specific first.
    fn date_formats(&self) -> Vec<String> {
        let s = self.date_sep;
        let dot = if self.trailing_dot { "." } else { "" };
        vec![
            format!("%d{s}%m{s}%Y{dot} %H:%M"),
            format!("%d{s}%m{s}%Y{dot}"),
        ]
    }

    fn mapping(&self) -> String {
        let h = &self.headers;
        let col = |c: Column| h[c as usize];
        format!(
            r#"# {code}: interceptions at the border, one row per person found (migrant or driver).
# Written by `corridor synth`; synthetic data.

[source]
agency = "{code}"
contributor = {{ column = "{unit}" }}
script = "{script}"
date_formats = [{formats}]
review_after_days = 1095
source_ref = {{ column = "{case}" }}

[grading]
system = "4x4"
source = {{ column = "{grade}" }}
information = "2"
handling = "H2"

[entities.person]
schema = "Person"
id = {{ column = "{pid}" }}
[entities.person.properties]
lastName = "{family}"
firstName = "{given}"
gender = "{sex}"
birthDate = "{dob}"
nationality = "{nat}"
position = "{role}"

[entities.vehicle]
schema = "Vehicle"
id = {{ column = "{vid}" }}
[entities.vehicle.properties]
registrationNumber = "{plate}"
model = "{model}"

[entities.interception]
schema = "Interception"
id = {{ column = "{pid}", prefix = "stop-" }}
[entities.interception.properties]
recordId = "{case}"
date = "{when}"
place = "{place}"
person = "@person"
vehicle = "@vehicle"
country = {{ value = "{country}" }}
"#,
            code = self.code,
            unit = col(Column::Unit),
            script = if self.cyrillic.is_some() {
                "mixed"
            } else {
                "Latn"
            },
            formats = self
                .date_formats()
                .iter()
                .map(|f| format!("\"{f}\""))
                .collect::<Vec<_>>()
                .join(", "),
            case = col(Column::Case),
            grade = col(Column::SourceGrade),
            pid = col(Column::PersonId),
            family = col(Column::Family),
            given = col(Column::Given),
            sex = col(Column::Sex),
            dob = col(Column::Dob),
            nat = col(Column::Nationality),
            role = col(Column::Role),
            vid = col(Column::VehicleId),
            plate = col(Column::Plate),
            model = col(Column::Model),
            when = col(Column::DateTime),
            place = col(Column::Place),
            country = self.country,
        )
    }
}

/// One noise decision, for `truth/noise_log.csv`.
struct Noise {
    record_id: String,
    field: &'static str,
    kind: &'static str,
    original: String,
    emitted: String,
}

fn strip_diacritics(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'č' | 'ć' | 'ç' => 'c',
            'Č' | 'Ć' | 'Ç' => 'C',
            'š' => 's',
            'Š' => 'S',
            'ž' => 'z',
            'Ž' => 'Z',
            'đ' => 'd',
            'Đ' => 'D',
            'ë' => 'e',
            'Ë' => 'E',
            'î' => 'i',
            other => other,
        })
        .collect()
}

/// One typing error in a name token: substitution, deletion, insertion or transposition, in the
/// proportions the recording-noise table gives.
fn typo(rng: &mut ChaCha8Rng, token: &str) -> String {
    let mut chars: Vec<char> = token.chars().collect();
    if chars.len() < 3 {
        return token.to_owned();
    }
    let i = rng.random_range(1..chars.len() - 1);
    // The officer's keyboard is in the script of the form: a typo in Cyrillic is Cyrillic.
    let cyrillic = chars.iter().any(|c| ('\u{400}'..='\u{4ff}').contains(c));
    let letters: Vec<char> = if cyrillic {
        "аеиоунрстлмкхд".chars().collect()
    } else {
        "aeiounrstlmkhd".chars().collect()
    };
    let roll: f64 = rng.random();
    if roll < 0.60 {
        chars[i] = *letters.choose(rng).unwrap_or(&'a');
    } else if roll < 0.75 {
        chars.remove(i);
    } else if roll < 0.87 {
        chars.insert(i, *letters.choose(rng).unwrap_or(&'e'));
    } else {
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

/// One record being filled in: the agency's random stream, the noise log, the record's id and
/// the script the form is typed in.
struct Form<'a> {
    rng: &'a mut ChaCha8Rng,
    noise: &'a mut Vec<Noise>,
    record_id: &'a str,
    cyrillic: bool,
}

/// How a name part comes out on this agency's form.
fn render(
    form: &mut Form<'_>,
    p: &Profile,
    person: &Person,
    index: usize,
    field: &'static str,
) -> String {
    let (rng, cyrillic, record_id) = (&mut *form.rng, form.cyrillic, form.record_id);
    let noise = &mut *form.noise;
    let entry = &Catalog::get().names[index];
    let native_cyrillic = entry
        .canonical
        .chars()
        .any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
    let mut log = |kind: &'static str, original: &str, emitted: &str| {
        noise.push(Noise {
            record_id: record_id.to_owned(),
            field,
            kind,
            original: original.to_owned(),
            emitted: emitted.to_owned(),
        })
    };
    // The Latin spelling the officer starts from.
    let mut latin = if native_cyrillic {
        entry
            .variants
            .first()
            .copied()
            .unwrap_or(entry.canonical)
            .to_owned()
    } else {
        entry.canonical.to_owned()
    };
    if person.kind == Kind::Migrant && !entry.variants.is_empty() && rng.random_bool(p.variant) {
        let v = entry
            .variants
            .choose(rng)
            .copied()
            .unwrap_or(entry.canonical);
        log("romanisation_variant", &latin, v);
        latin = v.to_owned();
    }
    let mut out = if cyrillic {
        let alphabet = p.cyrillic.map_or(Cyrillic::Serbian, |c| c.0);
        if native_cyrillic && person.group == p.country {
            entry.canonical.to_owned()
        } else {
            to_cyrillic(&latin, alphabet)
        }
    } else {
        latin
    };
    if !cyrillic && rng.random_bool(p.diacritics_dropped) {
        let stripped = strip_diacritics(&out);
        if stripped != out {
            log("diacritics_dropped", &out, &stripped);
            out = stripped;
        }
    }
    if rng.random_bool(p.typo) {
        let typed = typo(rng, &out);
        if typed != out {
            log("typo", &out, &typed);
            out = typed;
        }
    }
    out
}

/// The (family, given) names as the form shows them: each part rendered, then swapped with
/// the profile's rate, every change logged.
fn names(form: &mut Form<'_>, p: &Profile, person: &Person) -> (String, String) {
    let mut family = render(form, p, person, person.family, "family");
    let mut given = render(form, p, person, person.given, "given");
    if form.rng.random_bool(p.swapped) {
        form.noise.push(Noise {
            record_id: form.record_id.to_owned(),
            field: "name",
            kind: "given_family_swapped",
            original: format!("{given} / {family}"),
            emitted: format!("{family} / {given}"),
        });
        std::mem::swap(&mut family, &mut given);
    }
    (family, given)
}

/// What writing one agency produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AgencyOutput {
    pub code: String,
    pub rows: u64,
    /// The data file and its mapping, relative to the output directory.
    pub data_file: String,
    pub mapping_file: String,
}

/// Writes the agency's CSV and mapping under `dir/<code>/` and appends its truth rows.
pub(crate) fn write_agency(
    seed: u64,
    p: &Profile,
    world: &World,
    dir: &Path,
    truth: &mut crate::Truth,
) -> io::Result<AgencyOutput> {
    let agency_dir = dir.join(p.code);
    std::fs::create_dir_all(&agency_dir)?;
    std::fs::write(agency_dir.join("interceptions.toml"), p.mapping())?;
    let mut out = csv::Writer::from_writer(BufWriter::new(File::create(
        agency_dir.join("interceptions.csv"),
    )?));
    out.write_record(p.headers)?;
    let mut rng = stream(seed, &format!("agency/{}", p.code));
    let mut noise = Vec::new();
    let mut rows = 0u64;
    let catalog = Catalog::get();
    for (n, event) in world
        .interceptions
        .iter()
        .filter(|e| e.country == p.country)
        .enumerate()
    {
        let case = format!("{}-{}-{:06}", p.code, 2023 + event.day / 365, n + 1);
        let place = catalog.place(event.place).map_or(event.place, |pl| pl.name);
        let (date, minute) = (civil(event.day), event.minute);
        let when = format!("{} {:02}:{:02}", p.date(date), minute / 60, minute % 60);
        let grade = ["A", "B", "B", "B", "C", "C", "X"]
            .choose(&mut rng)
            .copied()
            .unwrap_or("B");
        let cyrillic = p.cyrillic.is_some_and(|(_, share)| rng.random_bool(share));
        let slots =
            std::iter::once((event.migrant, "migrant")).chain(event.driver.map(|d| (d, "driver")));
        for (slot, (who, role)) in slots.enumerate() {
            let person = &world.persons[who];
            let record_id = format!("{case}-{}", slot + 1);
            let mut form = Form {
                rng: &mut rng,
                noise: &mut noise,
                record_id: &record_id,
                cyrillic,
            };
            let (family, given) = names(&mut form, p, person);
            let dob = recorded_dob(&mut rng, p, person, &record_id, &mut noise);
            let sex = match (person.male, cyrillic) {
                (true, true) => "М",
                (false, true) => "Ж",
                (true, false) => "M",
                (false, false) => "F",
            };
            let vehicle = event
                .vehicle
                .map(|v| &world.vehicles[v])
                .filter(|_| role == "driver");
            let vehicle_record = vehicle.map(|_| format!("{record_id}-v"));
            out.write_record([
                case.as_str(),
                &(slot + 1).to_string(),
                &record_id,
                &when,
                place,
                p.contributor,
                &family,
                &given,
                sex,
                &dob,
                person.nationality,
                role,
                vehicle.map_or("", |v| v.plate.as_str()),
                vehicle.map_or("", |v| v.model),
                vehicle_record.as_deref().unwrap_or(""),
                grade,
            ])?;
            rows += 1;
            truth.person_record(p.code, &record_id, who)?;
            truth.record_event.write_record([
                p.code.to_owned(),
                format!("stop-{record_id}"),
                event.id.clone(),
            ])?;
            if let (Some(v), Some(rid)) = (vehicle, vehicle_record) {
                truth
                    .record_object
                    .write_record([p.code, &rid, "vehicle", &v.id])?;
            }
        }
        flush_noise(p.code, &mut noise, truth)?;
    }
    out.flush()?;
    flush_noise(p.code, &mut noise, truth)?;
    Ok(AgencyOutput {
        code: p.code.to_owned(),
        rows,
        data_file: format!("{}/interceptions.csv", p.code),
        mapping_file: format!("{}/interceptions.toml", p.code),
    })
}

/// The date of birth as the form shows it: smugglers' from their papers; migrants' as declared,
/// with the missing, 01-01 placeholder and year-only habits of the profile, each logged.
fn recorded_dob(
    rng: &mut ChaCha8Rng,
    p: &Profile,
    person: &Person,
    record_id: &str,
    noise: &mut Vec<Noise>,
) -> String {
    let true_dob = p.date(person.dob);
    let dob = if person.kind == Kind::Smuggler {
        true_dob.clone()
    } else if rng.random_bool(p.dob_missing) {
        String::new()
    } else if rng.random_bool(p.dob_placeholder) {
        p.date((person.dob.0, 1, 1))
    } else if rng.random_bool(p.dob_year_only) {
        person.dob.0.to_string()
    } else {
        true_dob.clone()
    };
    if dob != true_dob {
        let kind = match dob.len() {
            0 => "dob_missing",
            4 => "dob_year_only",
            _ => "dob_placeholder_01_01",
        };
        noise.push(Noise {
            record_id: record_id.to_owned(),
            field: "dob",
            kind,
            original: true_dob,
            emitted: dob.clone(),
        });
    }
    dob
}

/// Moves the logged noise into the truth file, leaving `noise` empty for the next record.
fn flush_noise(code: &str, noise: &mut Vec<Noise>, truth: &mut crate::Truth) -> io::Result<()> {
    for n in noise.drain(..) {
        truth.noise_log.write_record([
            code,
            &n.record_id,
            n.field,
            n.kind,
            &n.original,
            &n.emitted,
        ])?;
    }
    Ok(())
}

/// UK Border Force: one record per person arriving by small boat, English columns, names
/// romanised by English convention (no diacritics), dates `dd/MM/yyyy`, graded 3x5x2.
pub fn uk_border_force() -> Profile {
    Profile {
        code: "UK_BF",
        country: "GB",
        contributor: "Border Force, Small Boats Operational Command",
        // Border Force does not fill in the border-stop form; its own columns are UK_HEADERS.
        headers: [""; 16],
        cyrillic: None,
        date_sep: '/',
        trailing_dot: false,
        typo: 0.03,
        variant: 0.25,
        diacritics_dropped: 1.0,
        swapped: 0.05,
        dob_missing: 0.05,
        dob_placeholder: 0.14,
        dob_year_only: 0.02,
    }
}

/// UK Border Force's arrival columns, in the order `write_uk_arrivals` writes them.
const UK_HEADERS: [&str; 12] = [
    "arrival_ref",
    "person_ref",
    "arrival_date",
    "location",
    "team",
    "surname",
    "forenames",
    "sex",
    "date_of_birth",
    "nationality",
    "role",
    "boat_ref",
];

const UK_MAPPING: &str = r#"# UK_BF: small-boat arrivals at Dover, one row per person.
# Written by `corridor synth`; synthetic data.

[source]
agency = "UK_BF"
contributor = { column = "team" }
language = "en"
script = "Latn"
date_formats = ["%d/%m/%Y"]
review_after_days = 2190
source_ref = { column = "arrival_ref" }

[grading]
system = "3x5x2"
source = "2"
intelligence = "B"
handling = "P"

[entities.person]
schema = "Person"
id = { column = "person_ref" }
[entities.person.properties]
lastName = "surname"
firstName = "forenames"
gender = "sex"
birthDate = "date_of_birth"
nationality = "nationality"
position = "role"

[entities.boat]
schema = "Vessel"
id = { column = "boat_ref", prefix = "boat-" }
[entities.boat.properties]
name = "boat_ref"
type = { value = "small boat" }

[entities.arrival]
schema = "Crossing"
id = { column = "person_ref", prefix = "arrival-" }
[entities.arrival.properties]
recordId = "arrival_ref"
date = "arrival_date"
place = "location"
person = "@person"
vehicle = "@boat"
fromCountry = { value = "FR" }
toCountry = { value = "GB" }
"#;

/// Writes UK Border Force's arrivals under `dir/UK_BF/` and appends its truth rows.
pub(crate) fn write_uk_arrivals(
    seed: u64,
    world: &World,
    dir: &Path,
    truth: &mut crate::Truth,
) -> io::Result<AgencyOutput> {
    let p = uk_border_force();
    let agency_dir = dir.join(p.code);
    std::fs::create_dir_all(&agency_dir)?;
    std::fs::write(agency_dir.join("arrivals.toml"), UK_MAPPING)?;
    let mut out = csv::Writer::from_writer(BufWriter::new(File::create(
        agency_dir.join("arrivals.csv"),
    )?));
    out.write_record(UK_HEADERS)?;
    let mut rng = stream(seed, "agency/UK_BF");
    let mut noise = Vec::new();
    let mut rows = 0u64;
    for a in &world.arrivals {
        let person = &world.persons[a.migrant];
        let record_id = format!("UK_BF-{}", a.id);
        let mut form = Form {
            rng: &mut rng,
            noise: &mut noise,
            record_id: &record_id,
            cyrillic: false,
        };
        let (family, given) = names(&mut form, &p, person);
        let dob = recorded_dob(&mut rng, &p, person, &record_id, &mut noise);
        out.write_record([
            format!("DOV-{}", a.boat).as_str(),
            &record_id,
            &p.date(civil(a.day)),
            "Dover",
            p.contributor,
            &family.to_uppercase(),
            &given,
            if person.male { "M" } else { "F" },
            &dob,
            person.nationality,
            if a.pilot { "pilot" } else { "passenger" },
            &a.boat,
        ])?;
        rows += 1;
        truth.person_record(p.code, &record_id, a.migrant)?;
        truth.record_event.write_record([
            p.code.to_owned(),
            format!("arrival-{record_id}"),
            a.id.clone(),
        ])?;
        flush_noise(p.code, &mut noise, truth)?;
    }
    out.flush()?;
    flush_noise(p.code, &mut noise, truth)?;
    Ok(AgencyOutput {
        code: p.code.to_owned(),
        rows,
        data_file: format!("{}/arrivals.csv", p.code),
        mapping_file: format!("{}/arrivals.toml", p.code),
    })
}
