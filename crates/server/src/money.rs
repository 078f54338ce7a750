//! Money-flow alerts over the store's payments, as one viewer may see them.
//!
//! The ledger is built from the payments the policy layer hands over for derivation
//! ([`PolicyStore::payment_facts`]) and scanned once per log position by the typology kernels of
//! `corridor-money`. An alert is shown only when at least one of its payments is readable by
//! the viewer, and then with only the readable payments and the accounts they touch; the
//! payments named are screened (one audit entry per answer).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use corridor_graph::Visibility;
use corridor_money::ledger::{LedgerBuilder, parse_amount, parse_timestamp};
use corridor_money::{Config, Ledger, Typology};
use corridor_policy::PolicyStore;
use corridor_store::RecordKey;
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

/// The scanned ledger of one log position.
pub struct MoneyState {
    pub ledger: Ledger,
    pub alerts: Vec<corridor_money::Alert>,
}

pub(crate) fn money_state(
    p: &mut PolicyStore<'static>,
    d: &Derived,
) -> Result<Arc<MoneyState>, ApiError> {
    let mut slot = d.money.lock().map_err(|_| ApiError::internal())?;
    if let Some(m) = slot.as_ref() {
        return Ok(m.clone());
    }
    let facts = p.payment_facts()?;
    let mut b = LedgerBuilder::new();
    let mut skipped = 0usize;
    for f in &facts {
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
        }
    }
    let ledger = b.build().map_err(|e| {
        tracing::error!(error = %e, "building the ledger");
        ApiError::internal()
    })?;
    let alerts = corridor_money::scan(&ledger, &Config::default(), 1).map_err(|e| {
        tracing::error!(error = %e, "scanning the ledger");
        ApiError::internal()
    })?;
    tracing::info!(
        payments = ledger.len(),
        skipped,
        alerts = alerts.len(),
        "scanned the payments"
    );
    let m = Arc::new(MoneyState { ledger, alerts });
    *slot = Some(m.clone());
    Ok(m)
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
        .read_policy(move |p, st| {
            let ctx = who.ctx();
            let d = derived(p, st)?;
            let m = money_state(p, &d)?;
            let vis = p.viewer_records(&ctx, &d.catalog)?;
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
                    .filter(|&t| t < m.ledger.len() && vis.record_visible(&m.ledger.ids[t]))
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
            let keys: Vec<RecordKey> = shown
                .iter()
                .flat_map(|(_, txs)| txs.iter())
                .filter_map(|&t| {
                    let (o, r) = m.ledger.ids[t].split_once('/')?;
                    Some(RecordKey::new(o, r))
                })
                .collect();
            p.screen(&ctx, &d.catalog, &keys, &q.justification, "money alerts")?;
            let day = |ts: i64| corridor_store::format_unix_seconds(ts);
            Ok(Json(
                shown
                    .into_iter()
                    .map(|(i, txs)| {
                        let a = &m.alerts[i];
                        let mut accounts: Vec<String> = txs
                            .iter()
                            .flat_map(|&t| [m.ledger.from[t], m.ledger.to[t]])
                            .map(|n| m.ledger.accounts[n as usize].clone())
                            .collect();
                        accounts.sort();
                        accounts.dedup();
                        let ts: Vec<i64> = txs.iter().map(|&t| m.ledger.ts[t]).collect();
                        let transactions: Vec<String> =
                            txs.iter().map(|&t| m.ledger.ids[t].clone()).collect();
                        let digest = blake3::hash(
                            format!("{}{}", a.typology.name(), transactions.join(",")).as_bytes(),
                        );
                        AlertOut {
                            alert_id: format!("M-{}", &digest.to_hex()[..12]),
                            typology: a.typology.name().to_owned(),
                            score: a.score,
                            window: WindowOut {
                                from: day(ts.iter().copied().min().unwrap_or(a.window.0)),
                                to: day(ts.iter().copied().max().unwrap_or(a.window.1)),
                            },
                            subjects: accounts
                                .iter()
                                .filter(|n| !n.contains('/'))
                                .cloned()
                                .collect(),
                            accounts: accounts
                                .into_iter()
                                .map(|n| {
                                    if n.contains('/') {
                                        format!("X-{}", &blake3::hash(n.as_bytes()).to_hex()[..12])
                                    } else {
                                        n
                                    }
                                })
                                .collect(),
                            transactions,
                        }
                    })
                    .collect(),
            ))
        })
        .await
}

/// Most hops a flow answer follows.
pub const FLOW_HOPS_MAX: u32 = 5;
/// Most payments one flow answer follows (and screens).
pub const FLOW_PAYMENTS_MAX: usize = 2_000;

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
        .read_policy(move |p, st| {
            let ctx = who.ctx();
            let d = derived(p, st)?;
            let m = money_state(p, &d)?;
            let vis = p.viewer_records(&ctx, &d.catalog)?;
            let l = &m.ledger;
            let Ok(start) = l.accounts.binary_search(&subject) else {
                return Err(ApiError::not_found("no readable payment of this subject"));
            };
            let (steps, truncated) = corridor_money::walk_flows(
                l,
                &[start as u32],
                hops as usize,
                FLOW_PAYMENTS_MAX,
                |t| vis.record_visible(&l.ids[t]),
            );
            let mut followed: Vec<usize> = steps.iter().map(|s| s.tx).collect();
            followed.sort_unstable();
            followed.dedup();
            if followed.is_empty() {
                return Err(ApiError::not_found("no readable payment of this subject"));
            }
            let keys: Vec<RecordKey> = followed
                .iter()
                .filter_map(|&t| {
                    let (o, r) = l.ids[t].split_once('/')?;
                    Some(RecordKey::new(o, r))
                })
                .collect();
            p.screen(&ctx, &d.catalog, &keys, &q.justification, "money flows")?;
            // An unresolved account is named by its record's key: masked, as in alerts.
            let name = |n: u32| {
                let s = &l.accounts[n as usize];
                if s.contains('/') {
                    format!("X-{}", &blake3::hash(s.as_bytes()).to_hex()[..12])
                } else {
                    s.clone()
                }
            };
            let mut links: std::collections::BTreeMap<(String, String), FlowLink> =
                std::collections::BTreeMap::new();
            for &t in &followed {
                let (s, g) = (name(l.from[t]), name(l.to[t]));
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
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .map(|id| FlowNode {
                    kind: if id.starts_with("X-") {
                        "account".into()
                    } else {
                        "subject".into()
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
