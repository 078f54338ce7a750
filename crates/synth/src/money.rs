//! The money: payments for the journeys through hawala escrow, the smuggling network's
//! collection, payroll and laundering, and the legitimate background they hide in. Written as
//! the ledger (`ledger/transactions.csv`: id, timestamp, from account, to account, amount,
//! currency, channel) with every illicit transaction labelled in `truth/transactions_truth.csv`.
//!
//! The background is generated and written in a stream, never held in memory, so the `bench`
//! preset's hundred million transactions cost no more memory than `demo`'s twenty thousand.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::Config;
use crate::rng::{civil, stream};
use crate::world::{Kind, World};

/// Reporting threshold for cash transactions in Serbia (CTR), in EUR: structuring stays under it.
pub const CTR_THRESHOLD_EUR: u32 = 15_000;

/// A transaction as the ledger holds it, with its truth label.
struct Tx {
    day: u32,
    second: u32,
    from: String,
    to: String,
    /// Amount in cents, to keep sums exact.
    cents: u64,
    currency: &'static str,
    channel: &'static str,
    typology: &'static str,
    case: String,
    stage: &'static str,
}

/// Counts of what was written.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub transactions: u64,
    pub illicit: u64,
}

fn euros(rng: &mut ChaCha8Rng, lo: u32, hi: u32) -> u64 {
    u64::from(rng.random_range(lo..=hi)) * 100 + u64::from(rng.random_range(0..100u32))
}

/// Builds the labelled illicit flows for the world's migrants and cells.
fn illicit(config: &Config, world: &World) -> Vec<Tx> {
    let mut rng = stream(config.seed, "money/illicit");
    let mut txs = Vec::new();
    // Hawala offices: origin (Kabul, Erbil) and transit (Istanbul, Belgrade).
    let origin = ["HAWALA-KBL-01", "HAWALA-ERB-01"];
    let transit = ["HAWALA-IST-01", "HAWALA-BEG-01"];
    let collectors = ["RS-COLLECTOR-01", "MK-COLLECTOR-01"];
    let drivers: Vec<&str> = world
        .persons
        .iter()
        .filter(|p| p.kind == Kind::Smuggler)
        .map(|p| p.id.as_str())
        .collect();
    let mut settle_balance = [[0i64; 2]; 2];
    for (n, p) in world
        .persons
        .iter()
        .filter(|p| p.kind == Kind::Migrant)
        .enumerate()
    {
        let case = format!("J{:07}", n + 1);
        let day = rng.random_range(0..config.days.saturating_sub(30).max(1));
        let h1 = rng.random_range(0..origin.len());
        let h2 = rng.random_range(0..transit.len());
        let price = euros(&mut rng, 1_500, 4_000);
        let commission = price * u64::from(rng.random_range(2..=5u32)) / 100;
        let payer = format!("PAYER-{}", p.id);
        let deposit_day = day;
        let release_day = day + rng.random_range(3..14);
        txs.push(Tx {
            day: deposit_day,
            second: rng.random_range(0..86_400),
            from: payer,
            to: origin[h1].to_owned(),
            cents: price + commission,
            currency: "EUR",
            channel: "hawala",
            typology: "HAWALA_ESCROW",
            case: case.clone(),
            stage: "payment",
        });
        txs.push(Tx {
            day: release_day,
            second: rng.random_range(0..86_400),
            from: transit[h2].to_owned(),
            to: collectors[rng.random_range(0..collectors.len())].to_owned(),
            cents: price,
            currency: "EUR",
            channel: "cash",
            typology: "HAWALA_ESCROW",
            case: case.clone(),
            stage: "collection",
        });
        settle_balance[h1][h2] += price as i64;
        // The collector pays the driver of a leg: payroll fan-out.
        if !drivers.is_empty() && rng.random_bool(0.5) {
            txs.push(Tx {
                day: release_day + rng.random_range(0..3),
                second: rng.random_range(0..86_400),
                from: collectors[0].to_owned(),
                to: format!("ACC-{}", drivers[rng.random_range(0..drivers.len())]),
                cents: euros(&mut rng, 100, 500),
                currency: "EUR",
                channel: "cash",
                typology: "FAN_OUT_PAYROLL",
                case: case.clone(),
                stage: "payment",
            });
        }
    }
    // Hawala settlement between the brokers: mirrored flows every few weeks, netting near zero.
    for (h1, row) in settle_balance.iter().enumerate() {
        for (h2, owed) in row.iter().enumerate() {
            let mut left = *owed;
            let mut day = 20;
            let mut k = 0;
            while left > 0 && day < config.days {
                let part = left.min(rng.random_range(500_000..4_000_000));
                txs.push(Tx {
                    day,
                    second: rng.random_range(0..86_400),
                    from: origin[h1].to_owned(),
                    to: transit[h2].to_owned(),
                    cents: part as u64,
                    currency: "EUR",
                    channel: ["cash", "bank", "crypto"][k % 3],
                    typology: "HAWALA_SETTLEMENT",
                    case: format!("S-{h1}-{h2}"),
                    stage: "layering",
                });
                left -= part;
                k += 1;
                day += rng.random_range(14..42);
            }
        }
    }
    // Structuring: the collector banks the cash in deposits just under the reporting threshold.
    let total_collected: u64 = txs
        .iter()
        .filter(|t| t.stage == "collection")
        .map(|t| t.cents)
        .sum();
    let mut left = total_collected / 2;
    let mut day = 10;
    while left > 0 && day < config.days {
        let cents = left.min(euros(&mut rng, 8_000, CTR_THRESHOLD_EUR - 100));
        txs.push(Tx {
            day,
            second: rng.random_range(0..86_400),
            from: collectors[0].to_owned(),
            to: "RS-BANK-ACC-COLLECTOR-01".to_owned(),
            cents,
            currency: "EUR",
            channel: "cash",
            typology: "STRUCTURING",
            case: "L-001".to_owned(),
            stage: "placement",
        });
        left -= cents;
        day += rng.random_range(1..4);
    }
    // Layering through a cycle of front companies.
    let fronts = [
        "CO-TRAVEL-BEG",
        "CO-TRANSPORT-SKP",
        "CO-MINIMARKET-TIA",
        "CO-CARS-PRN",
    ];
    for round in 0..(config.days / 60).max(1) {
        let cents = euros(&mut rng, 20_000, 60_000);
        let start = round * 60 + rng.random_range(0..30);
        for (i, from) in fronts.iter().enumerate() {
            txs.push(Tx {
                day: start + i as u32,
                second: rng.random_range(0..86_400),
                from: (*from).to_owned(),
                to: fronts[(i + 1) % fronts.len()].to_owned(),
                cents: cents - (i as u64) * 15_000,
                currency: "EUR",
                channel: "bank",
                typology: "CYCLE",
                case: format!("L-C{round:03}"),
                stage: "layering",
            });
        }
    }
    txs.retain(|t| t.day < config.days);
    txs.sort_by_key(|t| (t.day, t.second));
    txs
}

/// The financial intelligence units' reports: Serbia's APML receives the bank's suspicious-
/// activity reports on cash deposits just under the reporting threshold; Albania's GDPML those on
/// transfers of a Tirana front company. Each report is one CSV row in the unit's own columns.
struct Fiu {
    rs: csv::Writer<BufWriter<File>>,
    al: csv::Writer<BufWriter<File>>,
    rs_rows: u64,
    al_rows: u64,
}

const RS_FIU_MAPPING: &str = r#"# RS_FIU (APML): suspicious-activity reports on cash deposits, one transaction per row.
# Written by `corridor synth`; synthetic data.

[source]
agency = "RS_FIU"
contributor = "Uprava za sprečavanje pranja novca"
language = "sr"
script = "Latn"
date_formats = ["%d.%m.%Y %H:%M"]
review_after_days = 1825
source_ref = { column = "broj_izvestaja" }

[grading]
system = "tlp"
tlp = "AMBER"

[entities.uplatilac]
schema = "BankAccount"
id = { column = "racun_uplatioca", prefix = "acct-" }
[entities.uplatilac.properties]
accountNumber = "racun_uplatioca"

[entities.primalac]
schema = "BankAccount"
id = { column = "racun_primaoca", prefix = "acct-" }
[entities.primalac.properties]
accountNumber = "racun_primaoca"

[entities.uplata]
schema = "Payment"
id = { column = "broj_izvestaja" }
[entities.uplata.properties]
recordId = "transakcija"
date = "datum"
amount = "iznos"
currency = "valuta"
programme = "kanal"
purpose = "opis"
payerAccount = "@uplatilac"
beneficiaryAccount = "@primalac"
"#;

const AL_FIU_MAPPING: &str = r#"# AL_FIU (GDPML): suspicious-transaction reports on a front company's transfers.
# Written by `corridor synth`; synthetic data.

[source]
agency = "AL_FIU"
contributor = "Drejtoria e Përgjithshme për Parandalimin e Pastrimit të Parave"
language = "sq"
script = "Latn"
delimiter = ";"
date_formats = ["%d.%m.%Y"]
decimal_separator = ","
thousands_separator = "."
review_after_days = 1825
source_ref = { column = "nr_raportit" }

[grading]
system = "tlp"
tlp = "AMBER"

[entities.paguesi]
schema = "BankAccount"
id = { column = "llogaria_paguese", prefix = "acct-" }
[entities.paguesi.properties]
accountNumber = "llogaria_paguese"

[entities.perfituesi]
schema = "BankAccount"
id = { column = "llogaria_perfituese", prefix = "acct-" }
[entities.perfituesi.properties]
accountNumber = "llogaria_perfituese"

[entities.pagesa]
schema = "Payment"
id = { column = "nr_raportit" }
[entities.pagesa.properties]
recordId = "transaksioni"
date = "data"
amount = "shuma"
currency = "monedha"
purpose = "pershkrimi"
payerAccount = "@paguesi"
beneficiaryAccount = "@perfituesi"
"#;

/// The Tirana front company whose transfers the Albanian unit reports.
const AL_REPORTED_COMPANY: &str = "CO-MINIMARKET-TIA";

impl Fiu {
    fn create(out: &Path) -> io::Result<Fiu> {
        let open = |code: &str, mapping: &str, delimiter: u8, header: &[&str]| -> io::Result<_> {
            let dir = out.join(code);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join("reports.toml"), mapping)?;
            let mut w = csv::WriterBuilder::new()
                .delimiter(delimiter)
                .from_writer(BufWriter::new(File::create(dir.join("reports.csv"))?));
            w.write_record(header)?;
            Ok(w)
        };
        Ok(Fiu {
            rs: open(
                "RS_FIU",
                RS_FIU_MAPPING,
                b',',
                &[
                    "broj_izvestaja",
                    "transakcija",
                    "datum",
                    "racun_uplatioca",
                    "racun_primaoca",
                    "iznos",
                    "valuta",
                    "kanal",
                    "opis",
                ],
            )?,
            al: open(
                "AL_FIU",
                AL_FIU_MAPPING,
                b';',
                &[
                    "nr_raportit",
                    "transaksioni",
                    "data",
                    "llogaria_paguese",
                    "llogaria_perfituese",
                    "shuma",
                    "monedha",
                    "pershkrimi",
                ],
            )?,
            rs_rows: 0,
            al_rows: 0,
        })
    }

    fn report(&mut self, id: u64, t: &Tx, truth: &mut crate::Truth) -> io::Result<()> {
        let tx = format!("T{id:010}");
        let (y, m, d) = civil(t.day);
        if t.typology == "STRUCTURING" {
            self.rs_rows += 1;
            let report = format!("APML-SAR-{:07}", self.rs_rows);
            self.rs.write_record([
                report.as_str(),
                &tx,
                &format!(
                    "{d:02}.{m:02}.{y} {:02}:{:02}",
                    t.second / 3600,
                    t.second / 60 % 60
                ),
                &t.from,
                &t.to,
                &amount(t.cents),
                t.currency,
                t.channel,
                "Gotovinski depozit ispod praga za prijavu",
            ])?;
            truth.record_event.write_record(["RS_FIU", &report, &tx])?;
        } else if t.typology == "CYCLE"
            && (t.from == AL_REPORTED_COMPANY || t.to == AL_REPORTED_COMPANY)
        {
            self.al_rows += 1;
            let report = format!("GDPML-STR-{:07}", self.al_rows);
            let euros = t.cents / 100;
            // Albanian number format: thousands with '.', decimals with ','.
            let shuma = format!("{}.{:03},{:02}", euros / 1000, euros % 1000, t.cents % 100);
            self.al.write_record([
                report.as_str(),
                &tx,
                &format!("{d:02}.{m:02}.{y}"),
                &t.from,
                &t.to,
                &shuma,
                t.currency,
                "Transfertë ndërmjet shoqërive pa arsye ekonomike",
            ])?;
            truth.record_event.write_record(["AL_FIU", &report, &tx])?;
        }
        Ok(())
    }

    fn finish(mut self) -> io::Result<Vec<crate::agency::AgencyOutput>> {
        self.rs.flush()?;
        self.al.flush()?;
        Ok(vec![
            crate::agency::AgencyOutput {
                code: "RS_FIU".into(),
                rows: self.rs_rows,
                data_file: "RS_FIU/reports.csv".into(),
                mapping_file: "RS_FIU/reports.toml".into(),
            },
            crate::agency::AgencyOutput {
                code: "AL_FIU".into(),
                rows: self.al_rows,
                data_file: "AL_FIU/reports.csv".into(),
                mapping_file: "AL_FIU/reports.toml".into(),
            },
        ])
    }
}

fn write_truth(out: &mut impl Write, id: u64, t: &Tx) -> io::Result<()> {
    // Journey payments carry their journey; everything here belongs to the one network the
    // scenario has so far.
    let journey = if t.case.starts_with('J') {
        t.case.as_str()
    } else {
        ""
    };
    writeln!(
        out,
        "T{id:010},1,{},{},{},{journey},N0001",
        t.typology, t.case, t.stage
    )
}

fn timestamp(day: u32, second: u32) -> String {
    let (y, m, d) = civil(day);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        second / 3600,
        second / 60 % 60,
        second % 60
    )
}

fn amount(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Where an illicit transaction goes: the ledger, its truth row, and any FIU report on it.
struct Outputs {
    ledger: BufWriter<File>,
    truth: BufWriter<File>,
    fiu: Fiu,
}

impl Outputs {
    fn write(&mut self, id: u64, t: &Tx, tables: &mut crate::Truth) -> io::Result<()> {
        writeln!(
            self.ledger,
            "T{id:010},{},{},{},{},{},{}",
            timestamp(t.day, t.second),
            t.from,
            t.to,
            amount(t.cents),
            t.currency,
            t.channel
        )?;
        write_truth(&mut self.truth, id, t)?;
        self.fiu.report(id, t, tables)
    }
}

/// Writes the ledger (background and illicit flows merged in time order) and its truth.
pub(crate) fn write(
    config: &Config,
    world: &World,
    out: &Path,
    truth_tables: &mut crate::Truth,
    progress: &mut dyn FnMut(crate::Progress),
) -> io::Result<(Ledger, Vec<crate::agency::AgencyOutput>)> {
    let fiu = Fiu::create(out)?;
    std::fs::create_dir_all(out.join("ledger"))?;
    let mut ledger =
        BufWriter::with_capacity(1 << 20, File::create(out.join("ledger/transactions.csv"))?);
    let mut truth = BufWriter::new(File::create(out.join("truth/transactions_truth.csv"))?);
    writeln!(
        ledger,
        "id,timestamp,from_account,to_account,amount,currency,channel"
    )?;
    // One row per illicit transaction; a ledger id without a row here is legitimate.
    writeln!(
        truth,
        "tx_id,illicit,typology,laundering_case_id,stage,journey_id,network_id"
    )?;
    let mut outputs = Outputs { ledger, truth, fiu };
    let illicit = illicit(config, world);
    let mut background = stream(config.seed, "money/background");
    let legit_accounts = (config.transactions / 20).max(100);
    let per_day = config.transactions / u64::from(config.days.max(1));
    let mut counts = Ledger::default();
    let mut next_illicit = illicit.iter().peekable();
    let mut id = 0u64;
    for day in 0..config.days {
        progress(crate::Progress {
            days_done: day,
            days_total: config.days,
        });
        let mut seconds: Vec<u32> = (0..per_day)
            .map(|_| background.random_range(0..86_400))
            .collect();
        seconds.sort_unstable();
        for second in seconds {
            while let Some(t) = next_illicit.next_if(|t| (t.day, t.second) <= (day, second)) {
                id += 1;
                outputs.write(id, t, truth_tables)?;
                counts.illicit += 1;
            }
            id += 1;
            let from = background.random_range(0..legit_accounts);
            let mut to = background.random_range(0..legit_accounts);
            if to == from {
                to = (to + 1) % legit_accounts;
            }
            // Salaries, rent, remittances (some by hawala: legitimate look-alikes), retail.
            let (lo, hi, channel) = match background.random_range(0..10u32) {
                0 => (400, 1_800, "bank"),
                1 => (200, 900, "bank"),
                2 => (100, 1_500, "mto"),
                3 => (100, 1_200, "hawala"),
                _ => (5, 300, "bank"),
            };
            let cents = euros(&mut background, lo, hi);
            writeln!(
                outputs.ledger,
                "T{id:010},{},L{from:08},L{to:08},{},EUR,{channel}",
                timestamp(day, second),
                amount(cents)
            )?;
        }
    }
    for t in next_illicit {
        id += 1;
        outputs.write(id, t, truth_tables)?;
        counts.illicit += 1;
    }
    counts.transactions = id;
    outputs.ledger.flush()?;
    outputs.truth.flush()?;
    Ok((counts, outputs.fiu.finish()?))
}
