//! Agencies observe the world through recording profiles: their own column names and language,
//! script, date format, romanisation habits and noise. Each writes its CSV, the mapping file that
//! `corridor ingest` reads it with, and its share of the ground truth.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;

use crate::catalog::Catalog;
use crate::rng::{civil, stream};
use crate::translit::{Cyrillic, to_cyrillic};
use crate::world::{Interception, Kind, Person, World};

/// How one agency records what it sees. Rates are per record (per name token for typos).
#[derive(Debug, Clone)]
pub struct Profile {
    pub code: &'static str,
    /// The country whose interceptions it records (alpha-2).
    pub country: &'static str,
    pub contributor: &'static str,
    /// Column names of the border-stop form, in the agency's language, in [`Column`] order
    /// (empty for an agency that records something else).
    pub headers: [&'static str; 21],
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
    /// Migrants' family name left out (FNU habits for Dari, some Arabic and Kurdish names).
    pub family_missing: f64,
    /// The father's name written as the family name (AF, IQ, SY, AL).
    pub father_as_family: f64,
    /// A smuggler's alias written instead of his given name.
    pub alias: f64,
    /// A migrant claiming another nationality (Syrian or Afghan).
    pub nationality_misdeclared: f64,
    /// Day and month of birth swapped (where the day is 12 or less).
    pub dob_swap: f64,
    /// Dates written year first (ISO), as Eurodac does.
    pub iso_dates: bool,
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
    Father,
    Phone,
    PersonalNumber,
    DocType,
    DocNumber,
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
        "ime_oca",
        "telefon",
        "jmbg",
        "vrsta_dokumenta",
        "broj_dokumenta",
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
        "tatkovo_ime",
        "telefon",
        "embg",
        "vid_dokument",
        "broj_dokument",
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
        "atesia",
        "telefoni",
        "nr_personal",
        "lloji_dokumentit",
        "nr_dokumentit",
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
            family_missing: 0.20,
            father_as_family: 0.15,
            alias: 0.30,
            nationality_misdeclared: 0.07,
            dob_swap: 0.02,
            iso_dates: false,
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
            family_missing: 0.20,
            father_as_family: 0.15,
            alias: 0.30,
            nationality_misdeclared: 0.07,
            dob_swap: 0.02,
            iso_dates: false,
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
            family_missing: 0.20,
            father_as_family: 0.10,
            alias: 0.30,
            nationality_misdeclared: 0.05,
            dob_swap: 0.02,
            iso_dates: false,
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
            family_missing: 0.20,
            father_as_family: 0.10,
            alias: 0.30,
            nationality_misdeclared: 0.05,
            dob_swap: 0.02,
            iso_dates: false,
        },
    ]
}

impl Profile {
    pub(crate) fn date(&self, (y, m, d): (i32, u32, u32)) -> String {
        if self.iso_dates {
            return format!("{y:04}-{m:02}-{d:02}");
        }
        let s = self.date_sep;
        let dot = if self.trailing_dot { "." } else { "" };
        format!("{d:02}{s}{m:02}{s}{y}{dot}")
    }

    /// The date patterns its mapping declares, most specific first.
    pub(crate) fn date_formats(&self) -> Vec<String> {
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
phone_region = "{country}"
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
fatherName = "{father}"
phone = "{phone}"
idNumber = "{pno}"

[entities.vehicle]
schema = "Vehicle"
id = {{ column = "{vid}" }}
[entities.vehicle.properties]
registrationNumber = "{plate}"
model = "{model}"

[entities.document]
schema = "Identification"
id = {{ column = "{docno}", prefix = "doc-" }}
[entities.document.properties]
number = "{docno}"
type = "{doctype}"
holder = "@person"

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
            father = col(Column::Father),
            phone = col(Column::Phone),
            pno = col(Column::PersonalNumber),
            docno = col(Column::DocNumber),
            doctype = col(Column::DocType),
            when = col(Column::DateTime),
            place = col(Column::Place),
            country = self.country,
        )
    }
}

/// One noise decision, for `truth/noise_log.csv`.
pub(crate) struct Noise {
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
    let cyrillic = crate::translit::is_cyrillic(token);
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
pub(crate) struct Form<'a> {
    pub(crate) rng: &'a mut ChaCha8Rng,
    pub(crate) noise: &'a mut Vec<Noise>,
    pub(crate) record_id: &'a str,
    pub(crate) cyrillic: bool,
}

impl Form<'_> {
    /// Logs one noise decision on this record.
    pub(crate) fn log(
        &mut self,
        field: &'static str,
        kind: &'static str,
        original: &str,
        emitted: &str,
    ) {
        self.noise.push(Noise {
            record_id: self.record_id.to_owned(),
            field,
            kind,
            original: original.to_owned(),
            emitted: emitted.to_owned(),
        });
    }
}

/// How a name part comes out on this agency's form.
pub(crate) fn render(
    form: &mut Form<'_>,
    p: &Profile,
    person: &Person,
    index: usize,
    field: &'static str,
) -> String {
    let (rng, cyrillic, record_id) = (&mut *form.rng, form.cyrillic, form.record_id);
    let noise = &mut *form.noise;
    let entry = &Catalog::get().names[index];
    let native_cyrillic = entry.is_cyrillic();
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
    let mut latin = entry.latin().to_owned();
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
pub(crate) fn names(
    form: &mut Form<'_>,
    p: &Profile,
    person: &Person,
    aliases: &[usize],
) -> (String, String) {
    let mut given_index = person.given;
    if person.kind == Kind::Smuggler && !aliases.is_empty() && form.rng.random_bool(p.alias) {
        given_index = aliases[form.rng.random_range(0..aliases.len())];
        let (true_name, alias) = (
            Catalog::get().names[person.given].canonical,
            Catalog::get().names[given_index].canonical,
        );
        form.log("given", "alias", true_name, alias);
    }
    let mut family = render(form, p, person, person.family, "family");
    let mut given = render(form, p, person, given_index, "given");
    let migrant = person.kind == Kind::Migrant;
    let fnu_group = matches!(person.group, "AF" | "SY" | "IQ" | "PK");
    let father_group = matches!(person.group, "AF" | "SY" | "IQ" | "AL");
    if migrant && fnu_group && form.rng.random_bool(p.family_missing) {
        // Many Afghans (and some Syrians and Kurds) have no family name; forms cope in three
        // ways: leave it empty, write FNU ("family name unknown") and move the name across, or
        // put the whole name in the given-name field.
        let original = format!("{given} / {family}");
        let (g, f) = match form.rng.random_range(0..3) {
            0 => (given.clone(), String::new()),
            1 => ("FNU".to_owned(), given.clone()),
            _ => (format!("{given} {family}"), String::new()),
        };
        form.log("name", "family_missing", &original, &format!("{g} / {f}"));
        (given, family) = (g, f);
    } else if (migrant || person.group == "AL")
        && father_group
        && form.rng.random_bool(p.father_as_family)
    {
        let father = render(form, p, person, person.father, "father");
        form.log("family", "father_as_family", &family, &father);
        family = father;
    }
    if form.rng.random_bool(p.swapped) {
        form.log(
            "name",
            "given_family_swapped",
            &format!("{given} / {family}"),
            &format!("{family} / {given}"),
        );
        std::mem::swap(&mut family, &mut given);
    }
    (family, given)
}

/// The nationality a migrant declares: mostly the true one; sometimes Syrian or Afghan, the
/// nationalities thought likeliest to be granted protection.
pub(crate) fn declared_nationality(
    form: &mut Form<'_>,
    p: &Profile,
    person: &Person,
) -> &'static str {
    if person.kind == Kind::Migrant && form.rng.random_bool(p.nationality_misdeclared) {
        let claimed = if person.nationality == "SYR" {
            "AFG"
        } else {
            "SYR"
        };
        form.log(
            "nationality",
            "nationality_misdeclared",
            person.nationality,
            claimed,
        );
        claimed
    } else {
        person.nationality
    }
}

/// A CSV writer for an agency's file: `dir/<code>/<name>.csv`, with its mapping written beside
/// it as `<name>.toml` and the header row written.
pub(crate) fn agency_csv(
    dir: &Path,
    code: &str,
    name: &str,
    mapping: &str,
    header: &[&str],
) -> io::Result<csv::Writer<BufWriter<File>>> {
    agency_csv_with(dir, code, name, mapping, header, b',')
}

/// [`agency_csv`] with another field delimiter.
pub(crate) fn agency_csv_with(
    dir: &Path,
    code: &str,
    name: &str,
    mapping: &str,
    header: &[&str],
    delimiter: u8,
) -> io::Result<csv::Writer<BufWriter<File>>> {
    let agency_dir = dir.join(code);
    std::fs::create_dir_all(&agency_dir)?;
    std::fs::write(agency_dir.join(format!("{name}.toml")), mapping)?;
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .from_writer(BufWriter::new(File::create(
            agency_dir.join(format!("{name}.csv")),
        )?));
    out.write_record(header)?;
    Ok(out)
}

/// What writing one agency produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AgencyOutput {
    pub code: String,
    pub rows: u64,
    /// The data file and its mapping, relative to the output directory.
    pub data_file: String,
    pub mapping_file: String,
    /// The data file holds FollowTheMoney JSON lines (else CSV).
    pub ftm: bool,
}

/// Share of records written deliberately malformed (an impossible date of birth, an unknown
/// source grade): ingest must reject exactly these, with the reason the noise log gives.
pub const MALFORMED_SHARE: f64 = 0.002;

/// Letters that look alike in Latin and Cyrillic, as a clerk typing a plate on a Cyrillic
/// keyboard mixes them.
const HOMOGLYPHS: &[(char, char)] = &[
    ('A', 'А'),
    ('B', 'В'),
    ('C', 'С'),
    ('E', 'Е'),
    ('H', 'Н'),
    ('J', 'Ј'),
    ('K', 'К'),
    ('M', 'М'),
    ('O', 'О'),
    ('P', 'Р'),
    ('T', 'Т'),
    ('X', 'Х'),
];

/// Plate noise rates of an agency: separators dropped, homoglyphs, OCR confusions (B8).
fn plate_noise(code: &str) -> (f64, f64, f64) {
    match code {
        "RS_BP" => (0.3, 0.10, 0.02),
        "MK_BP" => (0.3, 0.15, 0.02),
        _ => (0.3, 0.0, 0.02),
    }
}

/// The plate as the form shows it, every change logged.
fn recorded_plate(form: &mut Form<'_>, code: &str, plate: &str) -> String {
    let (spacing, homoglyph, ocr) = plate_noise(code);
    let mut out = plate.to_owned();
    if form.rng.random_bool(spacing) {
        out.retain(|c| c != ' ' && c != '-');
    }
    if form.rng.random_bool(homoglyph) {
        out = out
            .chars()
            .map(|c| {
                HOMOGLYPHS
                    .iter()
                    .find(|(l, _)| *l == c)
                    .map_or(c, |(_, cyr)| *cyr)
            })
            .collect();
    }
    if form.rng.random_bool(ocr) {
        out = out
            .chars()
            .map(|c| match c {
                '0' => 'O',
                'O' => '0',
                '1' => 'I',
                'I' => '1',
                '8' => 'B',
                'B' => '8',
                c => c,
            })
            .collect();
    }
    if out != plate {
        form.log("plate", "plate_noise", plate, &out);
    }
    out
}

/// How a phone number is written: national (`063 123 4567`), international (`00381 63 123
/// 4567`), E.164 (`+381631234567`) or the number without its trunk prefix (`63 123 4567`), in the
/// agency's proportions; foreign numbers are always written with their country code.
pub(crate) fn recorded_phone(
    rng: &mut ChaCha8Rng,
    mix: [f64; 4],
    msisdn: u64,
    own_country: &str,
) -> String {
    let digits = msisdn.to_string();
    let plan = crate::phones::PLANS
        .iter()
        .find(|p| digits.starts_with(&p.calling_code.to_string()));
    let Some(plan) = plan else {
        return format!("+{digits}");
    };
    let cc = plan.calling_code.to_string();
    let national = &digits[cc.len()..];
    let spaced = |n: &str| -> String {
        let (a, b) = n.split_at(2.min(n.len()));
        let (b1, b2) = b.split_at(b.len() / 2);
        format!("{a} {b1} {b2}")
    };
    let roll: f64 = rng.random::<f64>() * mix.iter().sum::<f64>();
    let local = plan.country == own_country;
    if roll < mix[0] && local {
        format!("0{}", spaced(national))
    } else if roll < mix[0] + mix[1] {
        format!("00{cc} {}", spaced(national))
    } else if roll < mix[0] + mix[1] + mix[2] || !local {
        format!("+{digits}")
    } else {
        spaced(national)
    }
}

/// A Yugoslav-style personal number (JMBG / ЕМБГ): birth date, region, serial (men below 500),
/// and the mod-11 check digit.
pub fn jmbg(person_index: usize, person: &Person) -> Option<String> {
    let region = match person.nationality {
        "SRB" => 71 + (person_index % 9) as u32,
        "MKD" => 41 + (person_index % 9) as u32,
        _ => return None,
    };
    let (y, m, d) = person.dob;
    let serial = (person_index as u32 * 37) % 500 + if person.male { 0 } else { 500 };
    for bump in 0..500 {
        let serial = (serial + bump) % 1000;
        let body = format!(
            "{d:02}{m:02}{:03}{region:02}{serial:03}",
            y.rem_euclid(1000)
        );
        if let Some(k) = jmbg_check(&body) {
            return Some(format!("{body}{k}"));
        }
    }
    None
}

/// The check digit of the first twelve digits of a JMBG, or `None` where the rule gives 10
/// (such serials are not issued).
pub fn jmbg_check(body: &str) -> Option<u32> {
    let d: Vec<u32> = body.chars().filter_map(|c| c.to_digit(10)).collect();
    if d.len() != 12 {
        return None;
    }
    let weights = [7, 6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
    let sum: u32 = d.iter().zip(weights).map(|(a, w)| a * w).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k),
    }
}

/// Writes the agency's CSV and mapping under `dir/<code>/` and appends its truth rows: one row
/// per person at each border stop in its country, and one per arrest it made.
pub(crate) fn write_agency(
    seed: u64,
    p: &Profile,
    world: &World,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let mut out = agency_csv(dir, p.code, "interceptions", &p.mapping(), &p.headers)?;
    let mut rng = stream(seed, &format!("agency/{}", p.code));
    let mut noise = Vec::new();
    let mut rows = 0u64;
    let catalog = Catalog::get();
    let mut documents_seen: std::collections::HashSet<String> = Default::default();
    // Border stops, then arrests, in time order within each.
    let stops = world
        .interceptions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.place().country == p.country)
        .map(|(i, e)| Event {
            id: Interception::id(i),
            day: u32::from(e.day),
            minute: u32::from(e.minute),
            place: e.place().id,
            persons: vec![(e.migrant as usize, "migrant")],
            driver: e.driver(),
            vehicle: e.vehicle(),
        });
    let arrests = world
        .arrests
        .iter()
        .filter(|a| a.country == p.country)
        .map(|a| Event {
            id: a.id.clone(),
            day: a.day,
            minute: (a.day * 7919) % (24 * 60),
            place: a.place,
            persons: vec![(a.person, "arrest")],
            driver: None,
            vehicle: None,
        });
    for (n, event) in stops.chain(arrests).enumerate() {
        let case = format!("{}-{}-{:06}", p.code, 2023 + event.day / 365, n + 1);
        let place = catalog.place(event.place).map_or(event.place, |pl| pl.name);
        let (date, minute) = (civil(event.day), event.minute);
        let when = format!("{} {:02}:{:02}", p.date(date), minute / 60, minute % 60);
        let grade = ["A", "B", "B", "B", "C", "C", "X"]
            .choose(&mut rng)
            .copied()
            .unwrap_or("B");
        let cyrillic = p.cyrillic.is_some_and(|(_, share)| rng.random_bool(share));
        let slots = event
            .persons
            .iter()
            .copied()
            .chain(event.driver.map(|d| (d, "driver")));
        for (slot, (who, role)) in slots.enumerate() {
            let person = &world.persons[who];
            let record_id = format!("{case}-{}", slot + 1);
            let mut form = Form {
                rng: &mut rng,
                noise: &mut noise,
                record_id: &record_id,
                cyrillic,
            };
            let (family, given) = names(&mut form, p, person, &world.aliases_of(who));
            let father = if form.rng.random_bool(0.7) {
                render(&mut form, p, person, person.father, "father")
            } else {
                String::new()
            };
            let vehicle = event
                .vehicle
                .map(|v| &world.vehicles[v])
                .filter(|_| role == "driver");
            let plate = vehicle.map_or(String::new(), |v| {
                recorded_plate(&mut form, p.code, v.plate_on(event.day))
            });
            let phone = world.phone_on(who, event.day);
            let phone_text = phone.map_or(String::new(), |ph| {
                recorded_phone(form.rng, [0.5, 0.3, 0.1, 0.1], ph.msisdn, p.country)
            });
            let mut personal = jmbg(who, person).unwrap_or_default();
            if !personal.is_empty() && form.rng.random_bool(p.typo) {
                let typed = digit_typo(form.rng, &personal);
                form.log("personal_number", "typo", &personal, &typed);
                personal = typed;
            }
            let nationality = declared_nationality(&mut form, p, person);
            let mut dob = recorded_dob(form.rng, p, person, &record_id, form.noise);
            let mut grade = grade.to_owned();
            // A few rows are broken on purpose; ingest must turn exactly these away.
            if form.rng.random_bool(MALFORMED_SHARE) {
                if form.rng.random_bool(0.5) {
                    let bad = p.date((person.dob.0, 2, 30));
                    form.log(
                        p.headers[Column::Dob as usize],
                        "malformed_date",
                        &dob,
                        &bad,
                    );
                    dob = bad;
                } else {
                    form.log(
                        p.headers[Column::SourceGrade as usize],
                        "malformed_grading",
                        &grade,
                        "Z",
                    );
                    grade = "Z".to_owned();
                }
            }
            let sex = match (person.male, cyrillic) {
                (true, true) => "М",
                (false, true) => "Ж",
                (true, false) => "M",
                (false, false) => "F",
            };
            let vehicle_record = vehicle.map(|_| format!("{record_id}-v"));
            // The document found on the person, if any, in the form's words.
            let document = world.document_of(who).filter(|_| form.rng.random_bool(0.8));
            let (doc_type, doc_number) = document.map_or(("", ""), |(_, d)| {
                (document_word(p.code, d.kind, cyrillic), d.number.as_str())
            });
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
                nationality,
                role,
                &plate,
                vehicle.map_or("", |v| v.model),
                vehicle_record.as_deref().unwrap_or(""),
                &grade,
                &father,
                &phone_text,
                &personal,
                doc_type,
                doc_number,
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
            if let Some(ph) = phone {
                truth.record_object.write_record([
                    p.code,
                    &record_id,
                    "phone",
                    &format!("+{}", ph.msisdn),
                ])?;
            }
            if let Some((d, doc)) = document {
                // One document record per number in the agency's register.
                if documents_seen.insert(doc.number.clone()) {
                    truth.record_object.write_record([
                        p.code,
                        &format!("doc-{}", doc.number),
                        "document",
                        &crate::documents::Document::id(d),
                    ])?;
                }
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
        ftm: false,
    })
}

/// Something a police force records: a border stop or an arrest.
struct Event {
    id: String,
    day: u32,
    minute: u32,
    place: &'static str,
    persons: Vec<(usize, &'static str)>,
    driver: Option<usize>,
    vehicle: Option<usize>,
}

/// A document type in the words of the agency's form.
fn document_word(code: &str, kind: &str, cyrillic: bool) -> &'static str {
    let passport = kind == "passport" || kind == "forged passport";
    match (code, passport, cyrillic) {
        (_, false, _) if kind == "tazkira" => "tazkira",
        ("RS_BP", true, false) => "pasoš",
        ("RS_BP", true, true) | ("MK_BP", true, true) => "пасош",
        ("RS_BP", false, false) => "lična karta",
        ("RS_BP", false, true) | ("MK_BP", false, true) => "лична карта",
        ("MK_BP", true, false) => "pasoš",
        ("MK_BP", false, false) => "lična karta",
        (_, true, _) => "pasaportë",
        (_, false, _) => "letërnjoftim",
    }
}

/// One mistyped digit.
fn digit_typo(rng: &mut ChaCha8Rng, digits: &str) -> String {
    let mut d: Vec<char> = digits.chars().collect();
    if d.is_empty() {
        return String::new();
    }
    let i = rng.random_range(0..d.len());
    let old = d[i].to_digit(10).unwrap_or(0);
    d[i] = char::from_digit((old + rng.random_range(1..10)) % 10, 10).unwrap_or('0');
    d.into_iter().collect()
}

/// The date of birth as the form shows it: smugglers' from their papers; migrants' as declared,
/// with the missing, 01-01 placeholder and year-only habits of the profile, each logged.
pub(crate) fn recorded_dob(
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
        // An Afghan's year converted from the Solar Hijri calendar is one off in one case of
        // five (the Hijri year straddles two Gregorian ones).
        if person.group == "AF" && rng.random_bool(0.2) {
            let shifted = person.dob.0 + if rng.random_bool(0.5) { 1 } else { -1 };
            noise.push(Noise {
                record_id: record_id.to_owned(),
                field: "dob",
                kind: "dob_year_shift",
                original: true_dob.clone(),
                emitted: shifted.to_string(),
            });
            return shifted.to_string();
        }
        person.dob.0.to_string()
    } else if person.dob.2 <= 12 && person.dob.2 != person.dob.1 && rng.random_bool(p.dob_swap) {
        let swapped = p.date((person.dob.0, person.dob.2, person.dob.1));
        noise.push(Noise {
            record_id: record_id.to_owned(),
            field: "dob",
            kind: "dob_day_month_swapped",
            original: true_dob.clone(),
            emitted: swapped.clone(),
        });
        return swapped;
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
pub(crate) fn flush_noise(
    code: &str,
    noise: &mut Vec<Noise>,
    truth: &mut crate::truth::Truth,
) -> io::Result<()> {
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
        headers: [""; 21],
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
        family_missing: 0.10,
        father_as_family: 0.10,
        alias: 0.25,
        nationality_misdeclared: 0.05,
        dob_swap: 0.03,
        iso_dates: false,
    }
}

/// UK Border Force's arrival columns, in the order `write_uk_arrivals` writes them.
const UK_HEADERS: [&str; 13] = [
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
    "phone",
];

const UK_MAPPING: &str = r#"# UK_BF: small-boat arrivals at Dover, one row per person.
# Written by `corridor synth`; synthetic data.

[source]
agency = "UK_BF"
contributor = { column = "team" }
language = "en"
script = "Latn"
date_formats = ["%d/%m/%Y"]
phone_region = "GB"
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
phone = "phone"

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
    rates: Option<&crate::AgencyRates>,
    world: &World,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let p = match rates {
        Some(r) => r.apply(uk_border_force()),
        None => uk_border_force(),
    };
    let mut out = agency_csv(dir, p.code, "arrivals", UK_MAPPING, &UK_HEADERS)?;
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
        let (family, given) = names(&mut form, &p, person, &[]);
        let nationality = declared_nationality(&mut form, &p, person);
        let dob = recorded_dob(&mut rng, &p, person, &record_id, &mut noise);
        // Phones seized on arrival: the handset's current SIM, as the officer copies it.
        let phone = world.phone_on(a.migrant, a.day);
        let phone_text = phone.map_or(String::new(), |ph| {
            recorded_phone(&mut rng, [0.3, 0.3, 0.3, 0.1], ph.msisdn, "GB")
        });
        if let Some(ph) = phone {
            truth.record_object.write_record([
                p.code,
                &record_id,
                "phone",
                &format!("+{}", ph.msisdn),
            ])?;
        }
        if a.pilot {
            truth.record_object.write_record([
                p.code,
                &format!("boat-{}", a.boat),
                "vessel",
                &a.boat,
            ])?;
        }
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
            nationality,
            if a.pilot { "pilot" } else { "passenger" },
            &a.boat,
            &phone_text,
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
        ftm: false,
    })
}

const FORENSIC_CALLS_MAPPING: &str = r#"# FORENSIC: calls and messages recovered from the phones of arrested smugglers, one per row.
# Written by `corridor synth`; synthetic data.

[source]
agency = "FORENSIC"
contributor = { column = "lab" }
language = "en"
script = "Latn"
date_formats = ["%Y-%m-%d %H:%M"]
review_after_days = 1825
source_ref = { column = "extraction" }

[grading]
system = "4x4"
source = "A"
information = "1"
handling = "H1"

[entities.device]
schema = "Phone"
id = { column = "extraction", prefix = "device-" }
[entities.device.properties]
number = "own_number"
imei = "imei"

[entities.call]
schema = "Communication"
id = { column = "event_ref" }
[entities.call.properties]
recordId = "event_ref"
date = "timestamp"
callerNumber = "caller"
receiverNumber = "receiver"
channel = "app"
"#;

const FORENSIC_CONTACTS_MAPPING: &str = r#"# FORENSIC: the address books of the phones of arrested smugglers, names as their owners saved
# them. Written by `corridor synth`; synthetic data.

[source]
agency = "FORENSIC"
contributor = { column = "lab" }
script = "mixed"
review_after_days = 1825
source_ref = { column = "extraction" }

[grading]
system = "4x4"
source = "A"
information = "2"
handling = "H1"

[entities.contact]
schema = "Person"
id = { column = "contact_ref" }
[entities.contact.properties]
name = "saved_name"
phone = "number"
"#;

/// Words owners add to a contact's first name to remember who it is.
const CONTACT_TAGS: &[&str] = &[
    "Driver", "Kaka", "Hawala", "Taxi", "Boss", "Vozač", "Shofer", "Amigo",
];

/// The forensic labs' phone extractions: for each arrested smuggler, the handset's calls and
/// messages of the last weeks (app traffic included, which operators never see) and its address
/// book, names as the owner saved them.
pub(crate) fn write_forensic(
    seed: u64,
    world: &World,
    extractions: &[crate::truth::Extraction],
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<Vec<AgencyOutput>> {
    let mut calls = agency_csv(
        dir,
        "FORENSIC",
        "calls",
        FORENSIC_CALLS_MAPPING,
        &[
            "extraction",
            "lab",
            "imei",
            "own_number",
            "event_ref",
            "timestamp",
            "caller",
            "receiver",
            "app",
        ],
    )?;
    let mut contacts = agency_csv(
        dir,
        "FORENSIC",
        "contacts",
        FORENSIC_CONTACTS_MAPPING,
        &["extraction", "lab", "contact_ref", "saved_name", "number"],
    )?;
    let mut rng = stream(seed, "agency/FORENSIC");
    let catalog = Catalog::get();
    let (mut call_rows, mut contact_rows) = (0u64, 0u64);
    for x in extractions {
        let arrest = &world.arrests[x.arrest];
        let owner = arrest.person;
        let Some(device) = world.phone_on(owner, arrest.day.saturating_sub(1)) else {
            continue;
        };
        if x.comms.is_empty() {
            continue;
        }
        let extraction = format!("FX-{}", arrest.id);
        let lab = match arrest.country {
            "RS" => "MUP Srbije, Nacionalni kriminalističko-tehnički centar",
            "MK" => "МВР, Оддел за криминалистичка техника",
            "AL" | "XK" => "Laboratori i Ekspertizës Kriminalistike",
            _ => "Digital Forensics Unit",
        };
        let own_number = format!("+{}", device.msisdn);
        truth.record_object.write_record([
            "FORENSIC",
            &format!("device-{extraction}"),
            "phone",
            &own_number,
        ])?;
        let mut saved: Vec<usize> = Vec::new();
        for (k, (c, event)) in x.comms.iter().enumerate() {
            let other = if c.from as usize == owner {
                c.to
            } else {
                c.from
            } as usize;
            let Some(other_phone) = world.phone_on(other, c.day) else {
                continue;
            };
            // Extractions list numbers with their country code (the handset stores them so); the
            // lab's report gives no region to read a national form with.
            let other_number =
                recorded_phone(&mut rng, [0.0, 0.3, 0.7, 0.0], other_phone.msisdn, "");
            let (caller, receiver) = if c.from as usize == owner {
                (own_number.clone(), other_number.clone())
            } else {
                (other_number.clone(), own_number.clone())
            };
            let event_ref = format!("{extraction}-{:05}", k + 1);
            let (y, m, d) = civil(c.day);
            calls.write_record([
                extraction.as_str(),
                lab,
                &device.imei.to_string(),
                &own_number,
                &event_ref,
                &format!(
                    "{y:04}-{m:02}-{d:02} {:02}:{:02}",
                    c.minute / 60,
                    c.minute % 60
                ),
                &caller,
                &receiver,
                if c.channel == "app" {
                    ["WhatsApp", "Viber", "Telegram", "Signal"][rng.random_range(0..4)]
                } else {
                    "GSM"
                },
            ])?;
            call_rows += 1;
            truth
                .record_event
                .write_record(["FORENSIC", &event_ref, &format!("C{event:09}")])?;
            if !saved.contains(&other) {
                saved.push(other);
                let person = &world.persons[other];
                let given = &catalog.names[person.given];
                // Saved as the owner knows them: a first name, in the owner's script when the
                // owner is a Serbian or Macedonian speaker, often with a word for what they do.
                let owner_group = world.persons[owner].group;
                let first = if (owner_group == "RS" || owner_group == "MK") && !given.is_cyrillic()
                {
                    to_cyrillic(
                        given.canonical,
                        if owner_group == "MK" {
                            Cyrillic::Macedonian
                        } else {
                            Cyrillic::Serbian
                        },
                    )
                } else if given.is_cyrillic() && owner_group != "RS" && owner_group != "MK" {
                    given.latin().to_owned()
                } else {
                    given.canonical.to_owned()
                };
                let saved_name = match rng.random_range(0..3) {
                    0 => first,
                    1 => format!(
                        "{first} {}",
                        CONTACT_TAGS.choose(&mut rng).copied().unwrap_or("Driver")
                    ),
                    _ => {
                        let family = catalog.names[person.family].latin();
                        let initial: String = family.chars().take(1).collect();
                        format!("{first} {initial}.")
                    }
                };
                let contact_ref = format!("{extraction}-K{:03}", saved.len());
                contacts.write_record([
                    extraction.as_str(),
                    lab,
                    &contact_ref,
                    &saved_name,
                    &other_number,
                ])?;
                contact_rows += 1;
                truth.person_record("FORENSIC", &contact_ref, other)?;
                truth.record_object.write_record([
                    "FORENSIC",
                    &contact_ref,
                    "phone",
                    &format!("+{}", other_phone.msisdn),
                ])?;
            }
        }
    }
    calls.flush()?;
    contacts.flush()?;
    Ok(vec![
        AgencyOutput {
            code: "FORENSIC".into(),
            rows: call_rows,
            data_file: "FORENSIC/calls.csv".into(),
            mapping_file: "FORENSIC/calls.toml".into(),
            ftm: false,
        },
        AgencyOutput {
            code: "FORENSIC".into(),
            rows: contact_rows,
            data_file: "FORENSIC/contacts.csv".into(),
            mapping_file: "FORENSIC/contacts.toml".into(),
            ftm: false,
        },
    ])
}

const NCA_MAPPING: &str = r#"# UK_NCA: intelligence reports on organisers, coordinators, collectors and hawala brokers, as
# FollowTheMoney entities (one JSON object per line). The grading is the mapping's.
# Written by `corridor synth`; synthetic data.

[source]
agency = "UK_NCA"
contributor = "NCA Organised Immigration Crime Intelligence"
language = "en"
script = "Latn"
review_after_days = 2190
source_ref = "NCA-OIC-2023"

[grading]
system = "3x5x2"
source = "2"
intelligence = "B"
handling = "P"
"#;

/// The NCA's intelligence on the networks' upper ranks: one report per network it has
/// penetrated (two in three), naming some of the organisers, coordinators, money collectors and
/// hawala brokers, with a phone where known and who answers to whom.
pub(crate) fn write_nca(
    seed: u64,
    world: &World,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let agency_dir = dir.join("UK_NCA");
    std::fs::create_dir_all(&agency_dir)?;
    std::fs::write(agency_dir.join("intelligence.toml"), NCA_MAPPING)?;
    let mut out = BufWriter::new(File::create(agency_dir.join("intelligence.ftm.jsonl"))?);
    let mut rng = stream(seed, "agency/UK_NCA");
    let mut p = uk_border_force();
    p.code = "UK_NCA";
    let mut noise = Vec::new();
    let mut rows = 0u64;
    for (n, net) in world.networks.iter().enumerate() {
        if !matches!(net.kind, "ORGANISER_NET" | "CHANNEL_NET" | "MONEY_SERVICE")
            || !rng.random_bool(2.0 / 3.0)
        {
            continue;
        }
        let report = format!("NCA-INT-{:05}", n + 1);
        let mut named: Vec<(usize, String)> = Vec::new();
        for m in world.memberships.iter().filter(|m| m.network == n) {
            let known = match m.role {
                "ORGANISER" | "HAWALADAR" => 0.8,
                "COORDINATOR" | "MONEY_COLLECTOR" => 0.5,
                _ => 0.1,
            };
            if named.iter().any(|(who, _)| *who == m.person) || !rng.random_bool(known) {
                continue;
            }
            let person = &world.persons[m.person];
            let record_id = format!("{report}-S{:02}", named.len() + 1);
            let mut form = Form {
                rng: &mut rng,
                noise: &mut noise,
                record_id: &record_id,
                cyrillic: false,
            };
            let (family, given) = names(&mut form, &p, person, &world.aliases_of(m.person));
            let mut props = vec![
                format!("\"firstName\":[{}]", crate::truth::json_str(&given)),
                format!("\"lastName\":[{}]", crate::truth::json_str(&family)),
                format!(
                    "\"nationality\":[{}]",
                    crate::truth::json_str(&person.nationality.to_lowercase()[..])
                ),
                format!("\"position\":[{}]", crate::truth::json_str(m.role)),
            ];
            if rng.random_bool(0.5) {
                props.push(format!("\"birthDate\":[\"{}\"]", person.dob.0));
            }
            if let Some(ph) = world.phone_on(m.person, m.to.min(m.from + 30)) {
                props.push(format!("\"phone\":[\"+{}\"]", ph.msisdn));
                truth.record_object.write_record([
                    "UK_NCA",
                    &record_id,
                    "phone",
                    &format!("+{}", ph.msisdn),
                ])?;
            }
            writeln!(
                out,
                "{{\"id\":{},\"schema\":\"Person\",\"properties\":{{{}}}}}",
                crate::truth::json_str(&record_id),
                props.join(",")
            )?;
            rows += 1;
            truth.person_record("UK_NCA", &record_id, m.person)?;
            named.push((m.person, record_id));
        }
        // Who answers to whom, where both are named.
        for (k, (who, rid)) in named.iter().enumerate() {
            let boss = world
                .memberships
                .iter()
                .find(|m| m.network == n && m.person == *who)
                .and_then(|m| m.reports_to);
            if let Some((_, boss_rid)) = boss.and_then(|b| named.iter().find(|(p, _)| *p == b)) {
                writeln!(
                    out,
                    "{{\"id\":\"{report}-L{:02}\",\"schema\":\"Associate\",\"properties\":{{\"person\":[{}],\"associate\":[{}],\"relationship\":[\"reports to\"]}}}}",
                    k + 1,
                    crate::truth::json_str(rid),
                    crate::truth::json_str(boss_rid)
                )?;
                rows += 1;
            }
        }
        flush_noise("UK_NCA", &mut noise, truth)?;
    }
    out.flush()?;
    Ok(AgencyOutput {
        code: "UK_NCA".into(),
        rows,
        data_file: "UK_NCA/intelligence.ftm.jsonl".into(),
        mapping_file: "UK_NCA/intelligence.toml".into(),
        ftm: true,
    })
}

const ADVERTS_MAPPING: &str = r#"# UK_NCA: smuggling adverts found on social media by open-source monitoring, one per row: the
# posting account, the text as posted, the phone number it gives. Written by `corridor synth`;
# synthetic data.

[source]
agency = "UK_NCA"
contributor = "NCA Online Monitoring"
language = "en"
script = "mixed"
date_formats = ["%Y-%m-%d"]
phone_region = "GB"
review_after_days = 730
source_ref = { column = "advert_ref" }

[grading]
system = "3x5x2"
source = "3"
intelligence = "C"
handling = "P"

[entities.contact]
schema = "Phone"
id = { column = "advert_ref", prefix = "advert-phone-" }
[entities.contact.properties]
number = "phone"
alias = "handle"
summary = "text"
notes = "platform"
"#;

/// Advert texts by language: route, price and a call to action, with the number appended.
const ADVERT_TEXTS: &[&str] = &[
    "France to UK, value of a person £1,500, safe boat, call",
    "Turkey→Germany full package, VIP car, €8000, WhatsApp",
    "Serbia → Austria by car, no walking, price on call",
    "من تركيا إلى ألمانيا، طريق آمن، اتصل",
    "ترکیه تا آلمان، مسیر امن، تماس بگیرید",
    "لە تورکیاوە بۆ ئەڵمانیا، ڕێگای سەلامەت، پەیوەندی بکە",
];

/// Recruiters advertise one to four times a month under social-media handles they rename every
/// two to eight weeks, each advert with a route, a price and a phone number.
pub(crate) fn write_adverts(
    seed: u64,
    world: &World,
    days: u32,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let mut out = agency_csv(
        dir,
        "UK_NCA",
        "adverts",
        ADVERTS_MAPPING,
        &[
            "advert_ref",
            "platform",
            "posted",
            "handle",
            "text",
            "phone",
        ],
    )?;
    let mut rng = stream(seed, "agency/UK_NCA/adverts");
    let mut rows = 0u64;
    let catalog = Catalog::get();
    for m in world.memberships.iter().filter(|m| m.role == "RECRUITER") {
        let given = catalog.names[world.persons[m.person].given].latin();
        let mut handle_day = m.from;
        let mut handle = format!("{}_{}", given.to_lowercase(), rng.random_range(10..1000));
        let mut day = m.from + rng.random_range(0..15);
        while day <= m.to.min(days.saturating_sub(1)) {
            if day >= handle_day + rng.random_range(14..56) {
                handle = format!("{}_{}", given.to_lowercase(), rng.random_range(10..1000));
                handle_day = day;
            }
            if let Some(ph) = world.phone_on(m.person, day) {
                rows += 1;
                let advert_ref = format!("ADV-{rows:07}");
                let phone = format!("+{}", ph.msisdn);
                let text = ADVERT_TEXTS[rng.random_range(0..ADVERT_TEXTS.len())];
                out.write_record([
                    advert_ref.as_str(),
                    ["Facebook", "TikTok", "Telegram", "Instagram"][rng.random_range(0..4)],
                    &crate::truth::iso(day),
                    &handle,
                    &format!("{text} {phone}"),
                    &phone,
                ])?;
                truth.record_object.write_record([
                    "UK_NCA",
                    &format!("advert-phone-{advert_ref}"),
                    "phone",
                    &phone,
                ])?;
            }
            // One to four adverts a month.
            day += rng.random_range(7..31);
        }
    }
    out.flush()?;
    Ok(AgencyOutput {
        code: "UK_NCA".into(),
        rows,
        data_file: "UK_NCA/adverts.csv".into(),
        mapping_file: "UK_NCA/adverts.toml".into(),
        ftm: false,
    })
}
