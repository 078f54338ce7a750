//! The link graph as one viewer sees it: networks, a network's chart, a subject's ego network
//! and timeline.
//!
//! The graph is derived from ids the policy layer hands over ([`PolicyStore::link_graph`]: node
//! names and record names, no content) and rebuilt when the log moves. Each answer computes its
//! analytics on the viewer's [`View`] (edges count only records the viewer may read, so a
//! hidden record changes no centrality, community or position), screens the records behind
//! what it shows (one audit entry) and takes captions only from readable records.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use corridor_graph::{
    BetweennessMode, Day, EdgeId, Graph, LayoutConfig, LeidenConfig, NodeId, PageRankConfig, View,
    betweenness, ego, force_layout, leiden, networks as components_of, pagerank,
};
use corridor_policy::serve::{RecordCatalog, ViewerRecords};
use corridor_policy::{Access, Context, PolicyStore};
use corridor_store::RecordKey;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::{AppPath, AppQuery, Authed, Place, TimelineEvent};
use crate::error::ApiError;
use crate::{ApiError as E, AppState};

/// Most nodes one chart shows (the most central first).
pub const GRAPH_NODES_MAX: usize = 500;
/// Most networks one list shows (largest first).
pub const NETWORKS_MAX: usize = 100;
/// Subjects shown as a network's top.
pub const NETWORK_TOP_N: usize = 3;
/// Most hops of an ego network.
pub const EGO_HOPS_MAX: u32 = 3;

/// What the server derives once per log position: the policy layer's record catalog (for
/// decisions) and the link graph (ids only).
pub struct Derived {
    pub catalog: RecordCatalog,
    pub graph: Graph,
    /// The scanned payments, computed on first use.
    pub money: std::sync::Mutex<Option<Arc<crate::money::MoneyState>>>,
    /// Per resolved kind, its records prepared for link explanations, on first use (`None`:
    /// a kind with no stored model).
    pub explainers: std::sync::Mutex<
        std::collections::HashMap<String, Option<Arc<corridor_policy::explain::Explainer>>>,
    >,
}

/// The derived state for the current log position, rebuilt when the log has moved.
pub(crate) fn derived(p: &mut PolicyStore<'static>, st: &AppState) -> Result<Arc<Derived>, E> {
    let mut slot = st.derived.lock().map_err(|_| ApiError::internal())?;
    if let Some(d) = slot.as_ref()
        && p.catalog_current(&d.catalog)?
    {
        return Ok(d.clone());
    }
    let started = std::time::Instant::now();
    let catalog = p.catalog()?;
    let graph = p.link_graph()?;
    tracing::info!(
        records = catalog.len(),
        nodes = graph.nodes_n(),
        edges = graph.edges_n(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "derived the link graph"
    );
    let d = Arc::new(Derived {
        catalog,
        graph,
        money: std::sync::Mutex::new(None),
        explainers: std::sync::Mutex::new(std::collections::HashMap::new()),
    });
    *slot = Some(d.clone());
    Ok(d)
}

/// True for a node named by a subject id (`P-0000042`), not by a record key or a number.
fn is_subject(name: &str) -> bool {
    !name.contains('/') && !name.contains(':')
}

/// The id a node has in answers: its subject id, or an opaque digest for other nodes (whose
/// names carry record ids or phone numbers).
fn node_id(name: &str) -> String {
    if is_subject(name) {
        name.to_owned()
    } else {
        format!("X-{}", &blake3::hash(name.as_bytes()).to_hex()[..12])
    }
}

fn network_id(min_name: &str) -> String {
    format!("N-{}", &blake3::hash(min_name.as_bytes()).to_hex()[..12])
}

fn day_text(d: Day) -> Option<String> {
    if d == Day::MIN || d == Day::MAX {
        return None;
    }
    let (y, m, dd) = d.ymd();
    Some(format!("{y:04}-{m:02}-{dd:02}"))
}

fn parse_key(name: &str) -> Option<RecordKey> {
    let (o, r) = name.split_once('/')?;
    Some(RecordKey::new(o, r))
}

#[derive(Serialize, ToSchema)]
pub struct NodeOut {
    pub id: String,
    pub caption: String,
    pub kind: String,
    pub community: u32,
    pub x: f64,
    pub y: f64,
    pub pagerank: f64,
    pub betweenness: f64,
    pub degree: u32,
}

#[derive(Serialize, ToSchema)]
pub struct EdgeOut {
    pub id: String,
    pub source: String,
    pub target: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// Records (readable by the caller) asserting it.
    pub weight: u32,
    pub first_at: Option<String>,
    pub last_at: Option<String>,
    pub amount_minor: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct GraphOut {
    pub nodes: Vec<NodeOut>,
    pub edges: Vec<EdgeOut>,
    /// Nodes left out by the size limit.
    pub truncated_nodes: usize,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GraphParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// Hops from the subject (ego networks only; default 2, at most 3).
    #[param(minimum = 1, maximum = 3)]
    pub hops: Option<u32>,
}

/// A chart of `nodes` (in priority order) as the viewer sees them: analytics on the induced
/// viewer view, records behind the edges screened, captions from readable members.
fn chart(
    p: &mut PolicyStore<'static>,
    ctx: &Context,
    d: &Derived,
    view: &View<'_>,
    mut nodes: Vec<NodeId>,
    justification: &str,
    what: &str,
) -> Result<GraphOut, E> {
    let g = &d.graph;
    let truncated_nodes = nodes.len().saturating_sub(GRAPH_NODES_MAX);
    nodes.truncate(GRAPH_NODES_MAX);
    let sub = view.induced(&nodes);
    // Edges shown, and the readable records behind them (bounded by what one audit entry names).
    let mut edges: Vec<EdgeId> = Vec::new();
    let mut keys: Vec<RecordKey> = Vec::new();
    let cap = corridor_policy::serve::SCREEN_KEYS_MAX;
    let viewer_records: Vec<EdgeId> = sub.edges().collect();
    for e in viewer_records {
        let recs: Vec<RecordKey> = g
            .edge(e)
            .records()
            .filter_map(|(name, _)| parse_key(name))
            .collect();
        if keys.len() + recs.len() > cap {
            break;
        }
        edges.push(e);
        keys.extend(recs);
    }
    // Decide again at the policy layer, audited: only what it calls readable is counted.
    let screen = p.screen(ctx, &d.catalog, &keys, justification, what)?;
    let readable: std::collections::HashSet<String> = keys
        .iter()
        .zip(&screen.seen)
        .filter(|(_, s)| **s == corridor_policy::serve::Seen::Readable)
        .map(|(k, _)| k.to_string())
        .collect();
    edges.retain(|&e| g.edge(e).records().any(|(n, _)| readable.contains(n)));
    // Nodes shown: those with a shown edge.
    let mut shown: Vec<NodeId> = Vec::new();
    {
        let mut has = vec![false; g.nodes_n()];
        for &e in &edges {
            let er = g.edge(e);
            has[er.source as usize] = true;
            has[er.target as usize] = true;
        }
        shown.extend(nodes.iter().copied().filter(|&v| has[v as usize]));
    }
    // A subject node is shown only with a member the viewer may read (its caption comes from
    // that member); other nodes (numbers, unresolved records) are backed by the shown edges.
    let subjects: Vec<String> = shown
        .iter()
        .map(|&v| g.name(v))
        .filter(|n| is_subject(n))
        .map(str::to_owned)
        .collect();
    let captions = p.subject_captions(ctx, &d.catalog, &subjects, justification)?;
    shown.retain(|&v| !is_subject(g.name(v)) || captions.contains_key(g.name(v)));
    let mut kept = vec![false; g.nodes_n()];
    for &v in &shown {
        kept[v as usize] = true;
    }
    edges.retain(|&e| {
        let er = g.edge(e);
        kept[er.source as usize] && kept[er.target as usize]
    });
    let sub = sub.induced(&shown);
    let pr = pagerank(&sub, &PageRankConfig::default());
    let bt = betweenness(&sub, BetweennessMode::Exact);
    let comm = leiden(&sub, &LeidenConfig::networks());
    let local: HashMap<NodeId, u32> = shown
        .iter()
        .enumerate()
        .map(|(i, &v)| (v, i as u32))
        .collect();
    let layout_edges: Vec<(u32, u32, u32)> = edges
        .iter()
        .filter_map(|&e| {
            let er = g.edge(e);
            Some((
                *local.get(&er.source)?,
                *local.get(&er.target)?,
                sub.weight(e),
            ))
        })
        .collect();
    let xy = force_layout(shown.len(), &layout_edges, &LayoutConfig::default());
    let mut degree: HashMap<NodeId, u32> = HashMap::new();
    for &e in &edges {
        let er = g.edge(e);
        *degree.entry(er.source).or_default() += 1;
        *degree.entry(er.target).or_default() += 1;
    }
    let nodes_out = shown
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let name = g.name(v);
            let kind = g.kind(v).name().to_owned();
            NodeOut {
                id: node_id(name),
                caption: captions
                    .get(name)
                    .cloned()
                    .unwrap_or_else(|| format!("{kind} (no readable record)")),
                kind,
                community: comm.membership.get(v as usize).copied().unwrap_or(0),
                x: xy[i].0,
                y: xy[i].1,
                pagerank: pr.score.get(v as usize).copied().unwrap_or(0.0),
                betweenness: bt.normalized.get(v as usize).copied().unwrap_or(0.0),
                degree: degree.get(&v).copied().unwrap_or(0),
            }
        })
        .collect();
    let edges_out = edges
        .iter()
        .map(|&e| {
            let er = g.edge(e);
            let amount = sub.amount(e);
            EdgeOut {
                id: format!("E{e}"),
                source: node_id(g.name(er.source)),
                target: node_id(g.name(er.target)),
                kind: er.kind.name().to_owned(),
                weight: sub.weight(e),
                first_at: day_text(er.interval.from),
                last_at: day_text(er.interval.to),
                amount_minor: (amount > 0.0).then(|| (amount * 100.0).round() as i64),
            }
        })
        .collect();
    Ok(GraphOut {
        nodes: nodes_out,
        edges: edges_out,
        truncated_nodes,
    })
}

/// The viewer's networks: components of the graph the viewer may see, without single-record
/// edges, largest first, each named by a digest of its smallest node name.
fn viewer_networks(view: &View<'_>, g: &Graph) -> Vec<(String, Vec<NodeId>)> {
    let comps = components_of(view, corridor_graph::NETWORK_EDGE_WEIGHT_MIN);
    let mut out: Vec<(String, Vec<NodeId>)> = comps
        .members()
        .into_iter()
        .filter(|m| m.len() >= 2)
        .map(|m| {
            let min = m.iter().map(|&v| g.name(v)).min().unwrap_or_default();
            (network_id(min), m)
        })
        .collect();
    out.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then_with(|| a.0.cmp(&b.0)));
    out
}

/// The members of the viewer's network `id`, if the viewer sees it.
pub(crate) fn viewer_network(view: &View<'_>, g: &Graph, id: &str) -> Option<Vec<NodeId>> {
    viewer_networks(view, g)
        .into_iter()
        .find(|(n, _)| n == id)
        .map(|(_, m)| m)
}

fn viewer(p: &mut PolicyStore<'static>, ctx: &Context, d: &Derived) -> Result<ViewerRecords, E> {
    Ok(p.viewer_records(ctx, &d.catalog)?)
}

/// A network's id, size and most central subjects (id, PageRank), before captions.
type NetworkTop = (String, usize, Vec<(String, f64)>);

#[derive(Serialize, ToSchema)]
pub struct TopOut {
    pub subject_id: String,
    pub caption: String,
    pub score: f64,
}

#[derive(Serialize, ToSchema)]
pub struct NetworkOut {
    pub network_id: String,
    pub size: usize,
    pub top: Vec<TopOut>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworksParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// Most networks (default 50, at most 100).
    pub limit: Option<usize>,
}

/// Networks the caller can see (components of the caller's view of the link graph).
#[utoipa::path(get, path = "/api/v1/networks", security(("bearer" = [])), params(NetworksParams),
    responses((status = 200, body = Vec<NetworkOut>), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn networks(
    State(state): State<AppState>,
    who: Authed,
    AppQuery(q): AppQuery<NetworksParams>,
) -> Result<Json<Vec<NetworkOut>>, ApiError> {
    crate::api::check_justification(&q.justification)?;
    let limit = q
        .limit
        .unwrap_or(crate::api::LIMIT_DEFAULT)
        .clamp(1, NETWORKS_MAX);
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let vis = viewer(p, &ctx, &d)?;
            let view = View::for_viewer(&d.graph, &vis);
            let nets = viewer_networks(&view, &d.graph);
            let pr = pagerank(&view, &PageRankConfig::default());
            let mut tops: Vec<NetworkTop> = Vec::new();
            for (id, members) in nets.into_iter().take(limit) {
                let mut ranked: Vec<(NodeId, f64)> = members
                    .iter()
                    .filter(|&&v| is_subject(d.graph.name(v)))
                    .map(|&v| (v, pr.score[v as usize]))
                    .collect();
                ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                ranked.truncate(NETWORK_TOP_N);
                tops.push((
                    id,
                    members.len(),
                    ranked
                        .into_iter()
                        .map(|(v, s)| (d.graph.name(v).to_owned(), s))
                        .collect(),
                ));
            }
            let subjects: Vec<String> = tops
                .iter()
                .flat_map(|t| t.2.iter().map(|(s, _)| s.clone()))
                .collect();
            let captions = p.subject_captions(&ctx, &d.catalog, &subjects, &q.justification)?;
            Ok(Json(
                tops.into_iter()
                    .map(|(id, size, top)| NetworkOut {
                        network_id: id,
                        size,
                        top: top
                            .into_iter()
                            .filter_map(|(s, score)| {
                                Some(TopOut {
                                    caption: captions.get(&s)?.clone(),
                                    subject_id: s,
                                    score,
                                })
                            })
                            .collect(),
                    })
                    .collect(),
            ))
        })
        .await
}

/// One network's chart, laid out on the server.
#[utoipa::path(get, path = "/api/v1/networks/{id}/graph", security(("bearer" = [])),
    params(("id" = String, Path), GraphParams),
    responses((status = 200, body = GraphOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn network_graph(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<GraphParams>,
) -> Result<Json<GraphOut>, ApiError> {
    crate::api::check_justification(&q.justification)?;
    if id.len() > 64 {
        return Err(ApiError::bad_request("network id: too long"));
    }
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let vis = viewer(p, &ctx, &d)?;
            let view = View::for_viewer(&d.graph, &vis);
            let Some((_, members)) = viewer_networks(&view, &d.graph)
                .into_iter()
                .find(|(n, _)| *n == id)
            else {
                return Err(ApiError::not_found("no such network"));
            };
            // The most central first, so that the size limit keeps the core.
            let sub = view.induced(&members);
            let pr = pagerank(&sub, &PageRankConfig::default());
            let mut nodes = members;
            nodes.sort_by(|a, b| {
                pr.score[*b as usize]
                    .total_cmp(&pr.score[*a as usize])
                    .then(a.cmp(b))
            });
            let out = chart(
                p,
                &ctx,
                &d,
                &view,
                nodes,
                &q.justification,
                &format!("network {id}"),
            )?;
            Ok(Json(out))
        })
        .await
}

/// A subject's ego network (nodes within `hops`), laid out on the server.
#[utoipa::path(get, path = "/api/v1/subjects/{id}/ego", security(("bearer" = [])),
    params(("id" = String, Path), GraphParams),
    responses((status = 200, body = GraphOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn ego_graph(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<GraphParams>,
) -> Result<Json<GraphOut>, ApiError> {
    crate::api::check_justification(&q.justification)?;
    corridor_policy::check_id("subject id", &id).map_err(ApiError::bad_request)?;
    let hops = q.hops.unwrap_or(2);
    if !(1..=EGO_HOPS_MAX).contains(&hops) {
        return Err(ApiError::bad_request(format!("hops: 1 to {EGO_HOPS_MAX}")));
    }
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let vis = viewer(p, &ctx, &d)?;
            let view = View::for_viewer(&d.graph, &vis);
            let centre = d
                .graph
                .find(&id)
                .filter(|&c| is_subject(&id) && view.neighbors(c).next().is_some())
                .ok_or_else(|| ApiError::not_found("no such subject in your view of the graph"))?;
            let e = ego(&view, centre, hops);
            let nodes: Vec<NodeId> = e.nodes.iter().map(|&(v, _)| v).collect();
            let out = chart(
                p,
                &ctx,
                &d,
                &view,
                nodes,
                &q.justification,
                &format!("ego {id}"),
            )?;
            Ok(Json(out))
        })
        .await
}

fn first_prop<'a>(props: &'a BTreeMap<String, Vec<String>>, names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| props.get(*n).and_then(|v| v.first()).map(String::as_str))
}

/// The readable records on the subject's edges, as dated events (at most
/// [`TIMELINE_EVENTS_MAX`](crate::api::TIMELINE_EVENTS_MAX), newest last).
pub(crate) fn timeline(
    p: &mut PolicyStore<'static>,
    st: &AppState,
    ctx: &Context,
    subject_id: &str,
    justification: &str,
) -> Result<Vec<TimelineEvent>, E> {
    let d = derived(p, st)?;
    let Some(centre) = d.graph.find(subject_id) else {
        return Ok(Vec::new());
    };
    // Only the centre's own edges matter: decide their records, not the whole graph's.
    let names: Vec<&str> = d
        .graph
        .adjacency(centre)
        .1
        .iter()
        .flat_map(|&e| {
            d.graph
                .edge_records(e)
                .iter()
                .map(|&(r, _)| d.graph.record_name(r))
        })
        .take(corridor_policy::serve::SCREEN_KEYS_MAX)
        .collect();
    let readable = p.readable_names(ctx, &d.catalog, &names)?;
    let mut keys: Vec<RecordKey> = names
        .iter()
        .zip(readable)
        .filter(|(_, r)| *r)
        .filter_map(|(n, _)| parse_key(n))
        .collect();
    keys.sort();
    keys.dedup();
    keys.truncate(crate::api::TIMELINE_EVENTS_MAX);
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let access = p.read_many(ctx, &keys, justification, &format!("timeline {subject_id}"))?;
    let mut events: Vec<TimelineEvent> = access
        .into_iter()
        .filter_map(|a| match a {
            Access::Disclosed(d) => Some(d),
            _ => None,
        })
        .filter_map(|d| {
            let r = d.record();
            let at = first_prop(&r.properties, &["date", "startDate", "endDate"])?.to_owned();
            let place = first_prop(
                &r.properties,
                &["crossingPoint", "place", "location", "address", "country"],
            )
            .map(|name| Place {
                name: name.to_owned(),
                lat: first_prop(&r.properties, &["latitude", "lat"]).and_then(|v| v.parse().ok()),
                lon: first_prop(&r.properties, &["longitude", "lon"]).and_then(|v| v.parse().ok()),
            });
            Some(TimelineEvent {
                at,
                kind: match r.schema.as_str() {
                    "Crossing" => "crossing".into(),
                    "Interception" => "interception".into(),
                    "Call" | "Communication" => "call".into(),
                    "Payment" => "payment".into(),
                    other => other.to_lowercase(),
                },
                caption: corridor_policy::serve::caption(r),
                origin: d.envelope().originator.clone(),
                id: r.id.clone(),
                place,
            })
        })
        .collect();
    events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
    Ok(events)
}
