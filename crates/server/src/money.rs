//! Money-flow alerts, flows and accounts over the store's payments, as one viewer may see them.
//!
//! The ledger is built from two sources the policy layer hands over for derivation: the
//! store's ledger table ([`PolicyStore::ledger_facts`], rows named `ledger:ORIGINATOR/TX`, their
//! accounts as the source writes them) and Payment records ([`PolicyStore::payment_facts`], rows
//! named `ORIGINATOR/ID`, their accounts by subject id or record key; the demo's FIU file is
//! such records). It is scanned once by the typology kernels of `corridor-money` and kept until
//! the log or the ledger table grows. A row is shown only to a viewer the policy layer lets
//! read it (a ledger row is decided like a record, on its originator and handling); an alert
//! is shown only with its readable rows and the accounts they touch, and the rows named are
//! audited before the answer leaves (one entry for records, one for ledger rows).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use corridor_graph::Visibility;
use corridor_money::ledger::{LedgerBuilder, parse_amount, parse_timestamp};
use corridor_money::{Config, Ledger, Typology};
use corridor_policy::PolicyStore;
use corridor_policy::ledger::{LEDGER_NAME_PREFIX, LedgerFacts, LedgerView};
use corridor_policy::serve::ViewerRecords;
use corridor_store::RecordKey;
use corridor_subjects::accounts::AccountIndex;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{AppPath, AppQuery, Authed, check_justification};
use crate::error::ApiError;
use crate::graphs::{Derived, derived};

/// Most alerts one answer lists.
pub const ALERTS_MAX: usize = 200;
/// Most payments listed per alert.
pub const ALERT_TRANSACTIONS_MAX: usize = 50;
/// Longest account name in a path, in bytes.
pub const ACCOUNT_NAME_BYTES_MAX: usize = 256;

/// Where an account name in the ledger comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountKind {
    /// A subject id (a Payment record's end, resolved).
    Subject,
    /// `ORIGINATOR/ID` of an unresolved Payment record's end: masked in answers.
    Record,
    /// An account as a ledger row writes it (IBAN, customer number, hawaladar's book).
    Number,
}

/// The scanned ledger of one log position and ledger length.
pub struct MoneyState {
    pub ledger: Ledger,
    pub alerts: Vec<corridor_money::Alert>,
    /// Per ledger account.
    pub kinds: Vec<AccountKind>,
    /// Per ledger account, its rows out in time order: the flow walk's index, built once.
    pub outgoing: Vec<Vec<u32>>,
    /// Per ledger account, its rows in, in time order.
    pub incoming: Vec<Vec<u32>>,
    /// The ledger table's rows and what deciding them needs.
    pub facts: LedgerFacts,
    /// Ledger account numbers → account subjects and holders.
    pub accounts: AccountIndex,
}

impl MoneyState {
    /// An account as answers name it: a masked digest for an unresolved record's key.
    pub fn shown_name(&self, n: u32) -> String {
        let name = &self.ledger.accounts[n as usize];
        match self.kinds[n as usize] {
            AccountKind::Record => format!("X-{}", &blake3::hash(name.as_bytes()).to_hex()[..12]),
            AccountKind::Subject | AccountKind::Number => name.clone(),
        }
    }
}

/// What one viewer may read of the money state's rows.
pub struct MoneyView {
    records: ViewerRecords,
    ledger: LedgerView,
}

impl MoneyView {
    /// True when the viewer may read the row named (a ledger row or a Payment record).
    pub fn row(&self, name: &str) -> bool {
        if name.starts_with(LEDGER_NAME_PREFIX) {
            self.ledger.visible(name)
        } else {
            self.records.record_visible(name)
        }
    }
}

pub(crate) fn money_view(
    p: &PolicyStore<'static>,
    ctx: &corridor_policy::Context,
    d: &Derived,
    m: &MoneyState,
) -> Result<MoneyView, ApiError> {
    Ok(MoneyView {
        records: p.viewer_records(ctx, &d.catalog)?,
        ledger: p.ledger_view(ctx, &m.facts)?,
    })
}

/// Audits the rows an answer shows, before it leaves: Payment records through
/// [`PolicyStore::screen`], ledger rows through [`PolicyStore::screen_ledger`].
pub(crate) fn screen_rows(
    p: &mut PolicyStore<'static>,
    ctx: &corridor_policy::Context,
    d: &Derived,
    m: &MoneyState,
    names: &[&str],
    justification: &str,
    what: &str,
) -> Result<(), ApiError> {
    let mut keys: Vec<RecordKey> = Vec::new();
    let mut ledger: Vec<String> = Vec::new();
    for n in names {
        if n.starts_with(LEDGER_NAME_PREFIX) {
            ledger.push((*n).to_owned());
        } else if let Some((o, r)) = n.split_once('/') {
            keys.push(RecordKey::new(o, r));
        }
    }
    if !keys.is_empty() || ledger.is_empty() {
        p.screen(ctx, &d.catalog, &keys, justification, what)?;
    }
    if !ledger.is_empty() {
        p.screen_ledger(ctx, &m.facts, &ledger, justification, what)?;
    }
    Ok(())
}

/// The money state for the current log position and ledger length, rebuilt when either moved.
pub(crate) fn money_state(
    p: &mut PolicyStore<'static>,
    d: &Derived,
) -> Result<Arc<MoneyState>, ApiError> {
    let mut slot = d.money.lock().map_err(|_| ApiError::internal())?;
    if let Some(m) = slot.as_ref()
        && p.ledger_current(&m.facts)?
    {
        return Ok(m.clone());
    }
    let started = std::time::Instant::now();
    let facts = p.ledger_facts()?;
    let payments = p.payment_facts()?;
    let accounts = p.account_index()?;
    let mut b = LedgerBuilder::new();
    let mut kind_of: HashMap<String, AccountKind> = HashMap::new();
    let mut skipped = 0usize;
    for f in &facts.rows {
        if let Err(e) = b.push(
            &f.name,
            f.ts_seconds,
            &f.from_account,
            &f.to_account,
            f.amount_minor,
            corridor_money::ledger::channel_code(&f.channel),
        ) {
            tracing::warn!(error = %e, row = %f.name, "ledger row left out");
            skipped += 1;
            continue;
        }
        for a in [&f.from_account, &f.to_account] {
            kind_of.insert(a.clone(), AccountKind::Number);
        }
    }
    for f in &payments {
        let (Some(ts), Some(amount)) = (parse_timestamp(&f.date), parse_amount(&f.amount)) else {
            skipped += 1;
            continue;
        };
        if let Err(e) = b.push(
            &f.record.to_string(),
            ts,
            &f.from,
            &f.to,
            amount,
            corridor_money::CHANNEL_OTHER,
        ) {
            tracing::warn!(error = %e, record = %f.record, "payment left out of the ledger");
            skipped += 1;
            continue;
        }
        for a in [&f.from, &f.to] {
            let k = if a.contains('/') {
                AccountKind::Record
            } else {
                AccountKind::Subject
            };
            // A name both a ledger row and a record use is a number only when no record
            // makes it a record key (a record key is masked: the stricter reading wins).
            let e = kind_of.entry(a.clone()).or_insert(k);
            if k == AccountKind::Record {
                *e = k;
            }
        }
    }
    let ledger = b.build().map_err(|e| {
        tracing::error!(error = %e, "building the ledger");
        ApiError::internal()
    })?;
    let kinds: Vec<AccountKind> = ledger
        .accounts
        .iter()
        .map(|a| kind_of.get(a).copied().unwrap_or(AccountKind::Record))
        .collect();
    let mut outgoing: Vec<Vec<u32>> = vec![Vec::new(); ledger.accounts.len()];
    let mut incoming: Vec<Vec<u32>> = vec![Vec::new(); ledger.accounts.len()];
    for i in 0..ledger.len() {
        // Rows are in canonical (time) order, so each list is too.
        outgoing[ledger.from[i] as usize].push(i as u32);
        incoming[ledger.to[i] as usize].push(i as u32);
    }
    let alerts = corridor_money::scan(&ledger, &Config::default(), 1).map_err(|e| {
        tracing::error!(error = %e, "scanning the ledger");
        ApiError::internal()
    })?;
    tracing::info!(
        ledger_rows = facts.rows.len(),
        payment_records = payments.len(),
        skipped,
        alerts = alerts.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "scanned the payments"
    );
    let m = Arc::new(MoneyState {
        ledger,
        alerts,
        kinds,
        outgoing,
        incoming,
        facts,
        accounts,
    });
    *slot = Some(m.clone());
    Ok(m)
}

/// The account subject and holders of ledger account `n` that the viewer may be shown. A
/// subject id from a Payment record is shown as it is (subject ids are opaque); for a number a
/// ledger row writes, its subject only when the viewer may read a `BankAccount` record carrying
/// the number, and its holders only when the viewer may read every such record (the index
/// merges holders over them, so one unreadable record could be the one naming a holder).
/// Holders that are unresolved records are masked.
pub(crate) fn account_rollup(
    p: &PolicyStore<'static>,
    ctx: &corridor_policy::Context,
    d: &Derived,
    m: &MoneyState,
    n: u32,
) -> Result<(Option<String>, Vec<String>), ApiError> {
    let name = &m.ledger.accounts[n as usize];
    match m.kinds[n as usize] {
        AccountKind::Subject => Ok((Some(name.clone()), Vec::new())),
        AccountKind::Record => Ok((None, Vec::new())),
        AccountKind::Number => {
            let Some(info) = m.accounts.get(name) else {
                return Ok((None, Vec::new()));
            };
            let names: Vec<String> = info.records.iter().map(|k| k.to_string()).collect();
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            let readable = p.readable_names(ctx, &d.catalog, &refs)?;
            if !readable.iter().any(|&r| r) {
                return Ok((None, Vec::new()));
            }
            let holders = if readable.iter().all(|&r| r) {
                info.holders
                    .iter()
                    .map(|h| {
                        if h.contains('/') {
                            format!("X-{}", &blake3::hash(h.as_bytes()).to_hex()[..12])
                        } else {
                            h.clone()
                        }
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Ok((Some(info.subject.clone()), holders))
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AlertParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// `FAN_IN`, `FAN_OUT`, `SCATTER_GATHER`, `GATHER_SCATTER`, `CYCLE`, `STRUCTURING`,
    /// `PASS_THROUGH` or `HAWALA_SETTLEMENT` (default: all).
    pub typology: Option<String>,
    /// Most alerts (default 50, at most 200).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct WindowOut {
    pub from: String,
    pub to: String,
}

#[derive(Serialize, ToSchema)]
pub struct AlertOut {
    pub alert_id: String,
    pub typology: String,
    pub score: f64,
    pub window: WindowOut,
    /// Accounts the readable payments touch (subject ids where resolved).
    pub accounts: Vec<String>,
    /// The readable payments (`ORIGINATOR/ID`).
    pub transactions: Vec<String>,
    /// Subjects among the accounts.
    pub subjects: Vec<String>,
}

/// Money-flow alerts with at least one payment the caller may read, strongest first.
#[utoipa::path(get, path = "/api/v1/money/alerts", security(("bearer" = [])), params(AlertParams),
    responses((status = 200, body = Vec<AlertOut>), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    who: Authed,
    AppQuery(q): AppQuery<AlertParams>,
) -> Result<Json<Vec<AlertOut>>, ApiError> {
    check_justification(&q.justification)?;
    let typology = match q.typology.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => Some(Typology::from_name(t).ok_or_else(|| {
            ApiError::bad_request("typology: not one of the typologies (see the API description)")
        })?),
    };
    let limit = q
        .limit
        .unwrap_or(crate::api::LIMIT_DEFAULT)
        .clamp(1, ALERTS_MAX);
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let m = money_state(p, &d)?;
            let vis = money_view(p, &ctx, &d, &m)?;
            let mut order: Vec<usize> = (0..m.alerts.len()).collect();
            order.sort_by(|&a, &b| {
                m.alerts[b]
                    .score
                    .total_cmp(&m.alerts[a].score)
                    .then(a.cmp(&b))
            });
            let mut shown: Vec<(usize, Vec<usize>)> = Vec::new();
            for i in order {
                let a = &m.alerts[i];
                if typology.is_some_and(|t| t != a.typology) {
                    continue;
                }
                let txs: Vec<usize> = a
                    .transactions
                    .iter()
                    .map(|&t| t as usize)
                    .filter(|&t| t < m.ledger.len() && vis.row(&m.ledger.ids[t]))
                    .take(ALERT_TRANSACTIONS_MAX)
                    .collect();
                if txs.is_empty() {
                    continue;
                }
                shown.push((i, txs));
                if shown.len() >= limit {
                    break;
                }
            }
            let names: Vec<&str> = shown
                .iter()
                .flat_map(|(_, txs)| txs.iter())
                .map(|&t| m.ledger.ids[t].as_str())
                .collect();
            screen_rows(p, &ctx, &d, &m, &names, &q.justification, "money alerts")?;
            let out = shown
                .into_iter()
                .map(|(i, txs)| alert_out(p, &ctx, &d, &m, i, &txs))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Json(out))
        })
        .await
}

/// One alert as the viewer sees it: only its readable rows `txs` (already screened) and what
/// they touch.
fn alert_out(
    p: &PolicyStore<'static>,
    ctx: &corridor_policy::Context,
    d: &Derived,
    m: &MoneyState,
    i: usize,
    txs: &[usize],
) -> Result<AlertOut, ApiError> {
    let a = &m.alerts[i];
    let day = |ts: i64| corridor_store::format_unix_seconds(ts);
    let touched: BTreeSet<u32> = txs
        .iter()
        .flat_map(|&t| [m.ledger.from[t], m.ledger.to[t]])
        .collect();
    let accounts: BTreeSet<String> = touched.iter().map(|&n| m.shown_name(n)).collect();
    let mut subjects: BTreeSet<String> = BTreeSet::new();
    for &n in &touched {
        if let (Some(s), _) = account_rollup(p, ctx, d, m, n)? {
            subjects.insert(s);
        }
    }
    let ts: Vec<i64> = txs.iter().map(|&t| m.ledger.ts[t]).collect();
    let transactions: Vec<String> = txs.iter().map(|&t| m.ledger.ids[t].clone()).collect();
    let digest =
        blake3::hash(format!("{}{}", a.typology.name(), transactions.join(",")).as_bytes());
    Ok(AlertOut {
        alert_id: format!("M-{}", &digest.to_hex()[..12]),
        typology: a.typology.name().to_owned(),
        score: a.score,
        window: WindowOut {
            from: day(ts.iter().copied().min().unwrap_or(a.window.0)),
            to: day(ts.iter().copied().max().unwrap_or(a.window.1)),
        },
        subjects: subjects.into_iter().collect(),
        accounts: accounts.into_iter().collect(),
        transactions,
    })
}

/// Most hops a flow answer follows.
pub const FLOW_HOPS_MAX: u32 = 5;
/// Most payments one flow answer follows (and screens).
pub const FLOW_PAYMENTS_MAX: usize = 2_000;
/// Most accounts a flow starts from (a holder's accounts).
pub const FLOW_START_ACCOUNTS_MAX: usize = 256;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FlowParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// How many payments away from the subject to follow (default 3, at most 5).
    #[param(minimum = 1, maximum = 5)]
    pub hops: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct FlowNode {
    /// An account subject, a holder, or a masked account (`X-…`) whose record names nothing
    /// the caller may see.
    pub id: String,
    pub kind: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlowLink {
    pub source: String,
    pub target: String,
    /// Sum of the readable payments, in minor units (cents).
    pub amount_minor: i64,
    pub count: u64,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct FlowsOut {
    pub subject: String,
    pub hops: u32,
    pub nodes: Vec<FlowNode>,
    pub links: Vec<FlowLink>,
    /// True when [`FLOW_PAYMENTS_MAX`] payments were reached and the rest left out.
    pub truncated: bool,
}

/// Where the money of a subject (an account subject, or a holder's subject) went: the
/// readable payments out of it and onwards, hop by hop, each no earlier than the payment that
/// brought money to its sender, summed per pair of accounts. 404 when the caller may read no
/// payment of the subject.
#[utoipa::path(get, path = "/api/v1/money/flows/{subject}", security(("bearer" = [])),
    params(("subject" = String, Path), FlowParams),
    responses((status = 200, body = FlowsOut), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn flows(
    State(state): State<AppState>,
    who: Authed,
    AppPath(subject): AppPath<String>,
    AppQuery(q): AppQuery<FlowParams>,
) -> Result<Json<FlowsOut>, ApiError> {
    check_justification(&q.justification)?;
    crate::api::check_id("subject", &subject)?;
    let hops = q.hops.unwrap_or(3);
    if !(1..=FLOW_HOPS_MAX).contains(&hops) {
        return Err(ApiError::bad_request(format!("hops: 1 to {FLOW_HOPS_MAX}")));
    }
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let m = money_state(p, &d)?;
            let vis = money_view(p, &ctx, &d, &m)?;
            let l = &m.ledger;
            // The subject's own name (Payment records' ends), and the numbers ledger rows
            // write for it, where the viewer may be shown that they are its.
            let mut start: Vec<u32> = Vec::new();
            if let Some(n) = l.account(&subject) {
                start.push(n);
            }
            for (n, kind) in m.kinds.iter().enumerate() {
                if *kind != AccountKind::Number || start.len() >= FLOW_START_ACCOUNTS_MAX {
                    continue;
                }
                let Some(info) = m.accounts.get(&l.accounts[n]) else {
                    continue;
                };
                if info.subject != subject && !info.holders.contains(&subject) {
                    continue;
                }
                let (shown, holders) = account_rollup(p, &ctx, &d, &m, n as u32)?;
                if shown.as_deref() == Some(subject.as_str()) || holders.contains(&subject) {
                    start.push(n as u32);
                }
            }
            if start.is_empty() {
                return Err(ApiError::not_found("no readable payment of this subject"));
            }
            let (steps, truncated) = corridor_money::walk_indexed(
                l,
                &m.outgoing,
                &start,
                hops as usize,
                FLOW_PAYMENTS_MAX,
                |t| vis.row(&l.ids[t]),
            );
            let mut followed: Vec<usize> = steps.iter().map(|s| s.tx).collect();
            followed.sort_unstable();
            followed.dedup();
            if followed.is_empty() {
                return Err(ApiError::not_found("no readable payment of this subject"));
            }
            let names: Vec<&str> = followed.iter().map(|&t| l.ids[t].as_str()).collect();
            screen_rows(p, &ctx, &d, &m, &names, &q.justification, "money flows")?;
            let mut subject_nodes: BTreeSet<String> = BTreeSet::new();
            let mut links: std::collections::BTreeMap<(String, String), FlowLink> =
                std::collections::BTreeMap::new();
            for &t in &followed {
                for n in [l.from[t], l.to[t]] {
                    if m.kinds[n as usize] == AccountKind::Subject {
                        subject_nodes.insert(m.shown_name(n));
                    }
                }
                let (s, g) = (m.shown_name(l.from[t]), m.shown_name(l.to[t]));
                let day = corridor_store::format_unix_seconds(l.ts[t]);
                let e = links
                    .entry((s.clone(), g.clone()))
                    .or_insert_with(|| FlowLink {
                        source: s,
                        target: g,
                        amount_minor: 0,
                        count: 0,
                        first_at: day.clone(),
                        last_at: day.clone(),
                    });
                e.amount_minor = e.amount_minor.saturating_add(l.amount[t]);
                e.count += 1;
                // `followed` is in ledger (time) order, so the last seen is the latest.
                e.last_at = day;
            }
            let mut nodes: Vec<FlowNode> = links
                .values()
                .flat_map(|k| [k.source.clone(), k.target.clone()])
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|id| FlowNode {
                    kind: if subject_nodes.contains(&id) {
                        "subject".into()
                    } else {
                        "account".into()
                    },
                    id,
                })
                .collect();
            nodes.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(Json(FlowsOut {
                subject,
                hops,
                nodes,
                links: links.into_values().collect(),
                truncated,
            }))
        })
        .await
}

/// Most rows an account answer reads for the features (each is named in the audit entry).
pub const ACCOUNT_FEATURE_ROWS_MAX: usize = 4_000;
/// Most alerts an account answer lists.
pub const ACCOUNT_ALERTS_LIST_MAX: usize = 20;

#[derive(Serialize, ToSchema)]
pub struct AccountFeaturesOut {
    /// Readable transfers received.
    pub in_count: u64,
    /// Readable transfers sent.
    pub out_count: u64,
    /// Minor units (cents) received.
    pub in_amount_minor: i64,
    /// Minor units (cents) sent.
    pub out_amount_minor: i64,
    /// Most transfers in within one fan window.
    pub window_in_max: u32,
    /// Most transfers out within one fan window.
    pub window_out_max: u32,
    /// Amounts received in the structuring band under the threshold.
    pub near_threshold: u32,
    /// Transfers matched as rapid pass-through.
    pub pass_through: u32,
}

#[derive(Serialize, ToSchema)]
pub struct AccountOut {
    /// The account as the ledger writes it (or its subject id).
    pub account: String,
    /// Its account subject, when the caller may read a record that makes it one.
    pub subject: Option<String>,
    /// Subjects recorded as holding it, when the caller may read every record naming them.
    pub holders: Vec<String>,
    /// Computed over the readable transfers only.
    pub features: AccountFeaturesOut,
    /// Alerts naming the account with at least one readable transfer, strongest first.
    pub alerts: Vec<AlertOut>,
    /// True when [`ACCOUNT_FEATURE_ROWS_MAX`] transfers were reached and the rest left out.
    pub truncated: bool,
}

/// An account of the ledger: its features over the transfers the caller may read, the alerts
/// naming it, its subject and holders, like `corridor money account`. 404, the same answer,
/// for an account that is not in the ledger and for one none of whose transfers the caller may
/// read.
#[utoipa::path(get, path = "/api/v1/money/accounts/{id}", security(("bearer" = [])),
    params(("id" = String, Path, description = "the account as the ledger writes it (percent-encoded), or an account subject id"),
           crate::api::JustificationParams),
    responses((status = 200, body = AccountOut), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn account(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<crate::api::JustificationParams>,
) -> Result<Json<AccountOut>, ApiError> {
    check_justification(&q.justification)?;
    if id.is_empty() || id.len() > ACCOUNT_NAME_BYTES_MAX || id.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "account: 1 to {ACCOUNT_NAME_BYTES_MAX} bytes, no control characters"
        )));
    }
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let m = money_state(p, &d)?;
            let vis = money_view(p, &ctx, &d, &m)?;
            let l = &m.ledger;
            let unknown = || ApiError::not_found("no such account");
            // A record key names no account in answers (it is masked): never looked up.
            let n = l.account(&id).ok_or_else(unknown)?;
            if m.kinds[n as usize] == AccountKind::Record {
                return Err(unknown());
            }
            let mut rows: Vec<usize> = m.outgoing[n as usize]
                .iter()
                .chain(&m.incoming[n as usize])
                .map(|&t| t as usize)
                .filter(|&t| vis.row(&l.ids[t]))
                .collect();
            rows.sort_unstable();
            rows.dedup();
            if rows.is_empty() {
                return Err(unknown());
            }
            let truncated = rows.len() > ACCOUNT_FEATURE_ROWS_MAX;
            rows.truncate(ACCOUNT_FEATURE_ROWS_MAX);
            // The features of the readable transfers alone: a sub-ledger of them, scanned.
            let mut b = LedgerBuilder::new();
            for &t in &rows {
                b.push(
                    &l.ids[t],
                    l.ts[t],
                    &l.accounts[l.from[t] as usize],
                    &l.accounts[l.to[t] as usize],
                    l.amount[t],
                    l.channel[t],
                )
                .map_err(|e| {
                    tracing::error!(error = %e, "building an account's ledger");
                    ApiError::internal()
                })?;
            }
            let sub = b.build().map_err(|e| {
                tracing::error!(error = %e, "building an account's ledger");
                ApiError::internal()
            })?;
            let (_, feats) = corridor_money::features(&sub, &Config::default(), &Typology::ALL, 1)
                .map_err(|e| {
                    tracing::error!(error = %e, "an account's features");
                    ApiError::internal()
                })?;
            let f = sub
                .account(&id)
                .and_then(|k| feats.get(k as usize))
                .ok_or_else(|| {
                    tracing::error!("an account's sub-ledger lost the account");
                    ApiError::internal()
                })?;
            let mut order: Vec<usize> = (0..m.alerts.len())
                .filter(|&i| m.alerts[i].accounts.contains(&n))
                .collect();
            order.sort_by(|&a, &b| {
                m.alerts[b]
                    .score
                    .total_cmp(&m.alerts[a].score)
                    .then(a.cmp(&b))
            });
            let mut shown: Vec<(usize, Vec<usize>)> = Vec::new();
            for i in order {
                let txs: Vec<usize> = m.alerts[i]
                    .transactions
                    .iter()
                    .map(|&t| t as usize)
                    .filter(|&t| t < l.len() && vis.row(&l.ids[t]))
                    .take(ALERT_TRANSACTIONS_MAX)
                    .collect();
                if txs.is_empty() {
                    continue;
                }
                shown.push((i, txs));
                if shown.len() >= ACCOUNT_ALERTS_LIST_MAX {
                    break;
                }
            }
            let mut names: Vec<&str> = rows
                .iter()
                .chain(shown.iter().flat_map(|(_, txs)| txs.iter()))
                .map(|&t| l.ids[t].as_str())
                .collect();
            names.sort_unstable();
            names.dedup();
            screen_rows(p, &ctx, &d, &m, &names, &q.justification, "money account")?;
            let (subject, holders) = account_rollup(p, &ctx, &d, &m, n)?;
            let alerts = shown
                .into_iter()
                .map(|(i, txs)| alert_out(p, &ctx, &d, &m, i, &txs))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Json(AccountOut {
                account: id,
                subject,
                holders,
                features: AccountFeaturesOut {
                    in_count: f.in_count,
                    out_count: f.out_count,
                    in_amount_minor: f.in_amount,
                    out_amount_minor: f.out_amount,
                    window_in_max: f.window_in_max,
                    window_out_max: f.window_out_max,
                    near_threshold: f.near_threshold,
                    pass_through: f.pass_through,
                },
                alerts,
                truncated,
            }))
        })
        .await
}
