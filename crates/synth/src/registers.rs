//! Registers that see migrants after a stop: the reception and transit centres of Serbia and
//! North Macedonia (Preševo, Tabanovce), and Eurodac, where the EU states on the route (Greece,
//! Bulgaria, Hungary, Austria, Italy) register the people they apprehend, with fingerprints.

use std::io;
use std::path::Path;

use rand::Rng;

use crate::agency::{
    AgencyOutput, Form, Profile, declared_nationality, flush_noise, names, recorded_dob,
    recorded_phone,
};
use crate::catalog::Catalog;
use crate::rng::{civil, stream};
use crate::world::World;

/// Share of stops in Serbia and North Macedonia after which the migrant is taken to a reception
/// or transit centre and registered there.
pub const REGISTERED_SHARE: f64 = 0.5;
/// Share of stops in the EU states on the route that end in a Eurodac registration.
pub const EURODAC_SHARE: f64 = 0.7;
/// Share of fingerprint captures poor enough to give another template hash.
const POOR_CAPTURE_SHARE: f64 = 0.05;

/// A centre's columns: the police form's language.
fn centre_headers(code: &str) -> [&'static str; 12] {
    match code {
        "MK_BP" => [
            "broj_registracija",
            "id_lice",
            "centar",
            "datum_priem",
            "datum_zaminuvanje",
            "prezime",
            "ime",
            "tatkovo_ime",
            "pol",
            "datum_ragjanje",
            "drzavjanstvo",
            "telefon",
        ],
        _ => [
            "broj_registracije",
            "id_lica",
            "centar",
            "datum_prijema",
            "datum_odlaska",
            "prezime",
            "ime",
            "ime_oca",
            "pol",
            "datum_rodjenja",
            "drzavljanstvo",
            "telefon",
        ],
    }
}

fn centre_mapping(p: &Profile, h: &[&str; 12]) -> String {
    let formats: Vec<String> = p
        .date_formats()
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect();
    format!(
        r#"# {code}: registrations at the reception or transit centre, one row per person.
# Written by `corridor synth`; synthetic data.

[source]
agency = "{code}"
contributor = {{ column = "{centre}" }}
script = "mixed"
date_formats = [{formats}]
phone_region = "{country}"
review_after_days = 1095
source_ref = {{ column = "{reg}" }}

[grading]
system = "4x4"
source = "B"
information = "2"
handling = "H2"

[entities.person]
schema = "Person"
id = {{ column = "{pid}" }}
[entities.person.properties]
lastName = "{family}"
firstName = "{given}"
fatherName = "{father}"
gender = "{sex}"
birthDate = "{dob}"
nationality = "{nat}"
phone = "{phone}"

[entities.registration]
schema = "Registration"
id = {{ column = "{pid}", prefix = "reg-" }}
[entities.registration.properties]
recordId = "{reg}"
person = "@person"
place = "{centre}"
startDate = "{date_in}"
endDate = "{date_out}"
country = {{ value = "{country}" }}
"#,
        code = p.code,
        formats = formats.join(", "),
        country = p.country,
        reg = h[0],
        pid = h[1],
        centre = h[2],
        date_in = h[3],
        date_out = h[4],
        family = h[5],
        given = h[6],
        father = h[7],
        sex = h[8],
        dob = h[9],
        nat = h[10],
        phone = h[11],
    )
}

/// Registrations at Preševo (Serbia) or Tabanovce (North Macedonia) after stops in the
/// profile's country, written beside the police force's stops.
pub(crate) fn write_centre(
    seed: u64,
    p: &Profile,
    world: &World,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let (centre, name) = match p.country {
        "MK" => ("TAB", "Транзитен центар Табановце"),
        _ => ("PRE", "Prihvatni centar Preševo"),
    };
    let headers = centre_headers(p.code);
    let mut out = crate::agency::agency_csv(
        dir,
        p.code,
        "registrations",
        &centre_mapping(p, &headers),
        &headers,
    )?;
    let mut rng = stream(seed, &format!("agency/{}/centre", p.code));
    let mut noise = Vec::new();
    let mut rows = 0u64;
    let catalog = Catalog::get();
    let days = u32::from(world.interceptions.iter().map(|e| e.day).max().unwrap_or(0)) + 1;
    for (i, e) in world.interceptions.iter().enumerate() {
        if e.place().country != p.country || !rng.random_bool(REGISTERED_SHARE) {
            continue;
        }
        let who = e.migrant as usize;
        let person = &world.persons[who];
        let day_in = u32::from(e.day);
        let day_out = (day_in + rng.random_range(1..=14)).min(days.max(day_in));
        let record_id = format!("{}-REG-{:07}", p.code, rows + 1);
        let cyrillic = p.cyrillic.is_some_and(|(_, share)| rng.random_bool(share));
        let mut form = Form {
            rng: &mut rng,
            noise: &mut noise,
            record_id: &record_id,
            cyrillic,
        };
        let (family, given) = names(&mut form, p, person, &[]);
        let father = if form.rng.random_bool(0.7) {
            crate::agency::render(&mut form, p, person, person.father, "father")
        } else {
            String::new()
        };
        let nationality = declared_nationality(&mut form, p, person);
        let phone = world.phone_on(who, day_in);
        let phone_text = phone.map_or(String::new(), |ph| {
            recorded_phone(form.rng, [0.5, 0.3, 0.1, 0.1], ph.msisdn, p.country)
        });
        let dob = recorded_dob(form.rng, p, person, &record_id, form.noise);
        let sex = match (person.male, cyrillic) {
            (true, true) => "М",
            (false, true) => "Ж",
            (true, false) => "M",
            (false, false) => "F",
        };
        let centre_name = if cyrillic {
            name
        } else {
            catalog.place(centre).map_or(name, |pl| pl.name)
        };
        out.write_record([
            record_id.as_str(),
            &record_id,
            centre_name,
            &p.date(civil(day_in)),
            &p.date(civil(day_out)),
            &family,
            &given,
            &father,
            sex,
            &dob,
            nationality,
            &phone_text,
        ])?;
        rows += 1;
        truth.person_record(p.code, &record_id, who)?;
        truth.record_event.write_record([
            p.code,
            &format!("reg-{record_id}"),
            &crate::world::Interception::id(i),
        ])?;
        if let Some(ph) = phone {
            truth.record_object.write_record([
                p.code,
                &record_id,
                "phone",
                &format!("+{}", ph.msisdn),
            ])?;
        }
        flush_noise(p.code, &mut noise, truth)?;
    }
    out.flush()?;
    Ok(AgencyOutput {
        code: p.code.to_owned(),
        rows,
        data_file: format!("{}/registrations.csv", p.code),
        mapping_file: format!("{}/registrations.toml", p.code),
        ftm: false,
    })
}

/// The Eurodac recording profile: ICAO Latin (no diacritics, capitals), ISO dates.
pub fn eurodac() -> Profile {
    Profile {
        code: "EU_EURODAC",
        country: "EU",
        contributor: "Eurodac National Access Point",
        headers: [""; 21],
        cyrillic: None,
        date_sep: '-',
        trailing_dot: false,
        typo: 0.02,
        variant: 0.20,
        diacritics_dropped: 1.0,
        swapped: 0.03,
        dob_missing: 0.02,
        dob_placeholder: 0.15,
        dob_year_only: 0.0,
        family_missing: 0.10,
        father_as_family: 0.05,
        alias: 0.20,
        nationality_misdeclared: 0.07,
        dob_swap: 0.01,
        iso_dates: true,
    }
}

const EURODAC_HEADERS: [&str; 11] = [
    "eurodac_ref",
    "member_state",
    "category",
    "apprehension_date",
    "place",
    "surname",
    "forenames",
    "sex",
    "date_of_birth",
    "nationality",
    "fingerprint_hash",
];

const EURODAC_MAPPING: &str = r#"# EU_EURODAC: registrations of persons apprehended crossing irregularly (category 2), pooled
# from the EU states on the route, with a fingerprint template hash.
# Written by `corridor synth`; synthetic data.

[source]
agency = "EU_EURODAC"
contributor = { column = "member_state" }
script = "Latn"
date_formats = ["%Y-%m-%d"]
review_after_days = 1825
source_ref = { column = "eurodac_ref" }

[grading]
system = "4x4"
source = "A"
information = "1"
handling = "H1"

[entities.person]
schema = "Person"
id = { column = "eurodac_ref" }
[entities.person.properties]
lastName = "surname"
firstName = "forenames"
gender = "sex"
birthDate = "date_of_birth"
nationality = "nationality"
fingerprintHash = "fingerprint_hash"

[entities.registration]
schema = "Registration"
id = { column = "eurodac_ref", prefix = "reg-" }
[entities.registration.properties]
recordId = "eurodac_ref"
person = "@person"
date = "apprehension_date"
place = "place"
country = "member_state"
authority = { value = "Eurodac" }
"#;

/// The template hash of a person's fingerprints: the same for every capture of the same fingers,
/// but for poor captures.
pub fn fingerprint(seed: u64, person: usize) -> String {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(b"fingerprint");
    h.update(&(person as u64).to_le_bytes());
    h.finalize().to_hex()[..16].to_owned()
}

/// Eurodac registrations after stops in the EU states on the route.
pub(crate) fn write_eurodac(
    seed: u64,
    rates: Option<&crate::AgencyRates>,
    world: &World,
    dir: &Path,
    truth: &mut crate::truth::Truth,
) -> io::Result<AgencyOutput> {
    let p = match rates {
        Some(r) => r.apply(eurodac()),
        None => eurodac(),
    };
    let mut out = crate::agency::agency_csv(
        dir,
        p.code,
        "registrations",
        EURODAC_MAPPING,
        &EURODAC_HEADERS,
    )?;
    let mut rng = stream(seed, "agency/EU_EURODAC");
    let mut noise = Vec::new();
    let mut rows = 0u64;
    let mut per_state: std::collections::BTreeMap<&str, u64> = Default::default();
    for (i, e) in world.interceptions.iter().enumerate() {
        let place = e.place();
        if !matches!(place.country, "GR" | "BG" | "HU" | "AT" | "IT" | "HR")
            || !rng.random_bool(EURODAC_SHARE)
        {
            continue;
        }
        let who = e.migrant as usize;
        let person = &world.persons[who];
        let n = per_state.entry(place.country).or_default();
        *n += 1;
        let record_id = format!("{}{:010}", place.country, *n);
        let mut form = Form {
            rng: &mut rng,
            noise: &mut noise,
            record_id: &record_id,
            cyrillic: false,
        };
        let (family, given) = names(&mut form, &p, person, &[]);
        let nationality = declared_nationality(&mut form, &p, person);
        let mut hash = fingerprint(seed, who);
        if form.rng.random_bool(POOR_CAPTURE_SHARE) {
            let k = form.rng.random_range(0..hash.len());
            let bytes: Vec<char> = hash.chars().collect();
            let old = bytes[k].to_digit(16).unwrap_or(0);
            let new =
                char::from_digit((old + form.rng.random_range(1..16)) % 16, 16).unwrap_or('0');
            let poor: String = bytes
                .iter()
                .enumerate()
                .map(|(j, c)| if j == k { new } else { *c })
                .collect();
            form.log("fingerprint_hash", "fingerprint_capture", &hash, &poor);
            hash = poor;
        }
        let dob = recorded_dob(form.rng, &p, person, &record_id, form.noise);
        out.write_record([
            record_id.as_str(),
            place.country,
            "2",
            &p.date(civil(u32::from(e.day))),
            place.name,
            &icao(&family),
            &icao(&given),
            if person.male { "M" } else { "F" },
            &dob,
            nationality,
            &hash,
        ])?;
        rows += 1;
        truth.person_record(p.code, &record_id, who)?;
        truth.record_event.write_record([
            p.code,
            &format!("reg-{record_id}"),
            &crate::world::Interception::id(i),
        ])?;
        flush_noise(p.code, &mut noise, truth)?;
    }
    out.flush()?;
    Ok(AgencyOutput {
        code: p.code.to_owned(),
        rows,
        data_file: format!("{}/registrations.csv", p.code),
        mapping_file: format!("{}/registrations.toml", p.code),
        ftm: false,
    })
}

/// A name as ICAO machine-readable zones and Eurodac keep it: capitals, no diacritics.
fn icao(name: &str) -> String {
    name.chars()
        .map(|c| match c {
            'č' | 'ć' | 'ç' | 'Č' | 'Ć' | 'Ç' => 'C',
            'š' | 'Š' | 'ş' | 'Ş' => 'S',
            'ž' | 'Ž' => 'Z',
            'đ' | 'Đ' => 'D',
            'ë' | 'Ë' | 'é' => 'E',
            'ü' | 'Ü' => 'U',
            'ö' | 'Ö' => 'O',
            'ı' | 'İ' => 'I',
            'ğ' | 'Ğ' => 'G',
            c => c,
        })
        .collect::<String>()
        .to_uppercase()
}
