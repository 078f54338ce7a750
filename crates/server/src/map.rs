//! The map: where the viewer's readable crossings and interceptions happened, and the legs
//! between consecutive places of one person, with coordinates from the scenario's gazetteer.

use std::collections::{BTreeMap, HashSet};

use axum::Json;
use axum::extract::State;
use corridor_graph::View;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::{AppQuery, Authed, check_justification};
use crate::error::ApiError;
use crate::graphs::derived;

/// Place names with coordinates (approximate, for drawing only): the synthetic scenario's
/// gazetteer, `id, place, country, kind, lat, lon` tab-separated.
const GAZETTEER: &str = include_str!("../../synth/data/places.tsv");

/// Most legs one map shows (the most travelled first).
pub const LEGS_MAX: usize = 500;

struct Spot {
    kind: &'static str,
    lat: f64,
    lon: f64,
}

fn gazetteer() -> BTreeMap<&'static str, Spot> {
    GAZETTEER
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let kind = match c.get(3)? {
                k if k.contains("crossing") => "crossing",
                k if k.contains("port") || k.contains("sea") => "port",
                _ => "city",
            };
            Some((
                *c.get(1)?,
                Spot {
                    kind,
                    lat: c.get(4)?.parse().ok()?,
                    lon: c.get(5)?.parse().ok()?,
                },
            ))
        })
        .collect()
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MapParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// Only the persons of this network (an id from `/api/v1/networks`).
    pub network: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PlaceOut {
    pub name: String,
    /// `crossing`, `interception`, `city` or `port`.
    pub kind: String,
    pub lat: f64,
    pub lon: f64,
    pub count: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Point {
    pub lat: f64,
    pub lon: f64,
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct LegOut {
    pub from: Point,
    pub to: Point,
    pub count: usize,
    pub first_at: String,
    pub last_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct MapOut {
    pub places: Vec<PlaceOut>,
    pub legs: Vec<LegOut>,
    /// Records at places the gazetteer does not know (not drawn).
    pub unplaced: usize,
}

/// Places and legs of the caller's readable crossings and interceptions.
#[utoipa::path(get, path = "/api/v1/map", security(("bearer" = [])), params(MapParams),
    responses((status = 200, body = MapOut), (status = 400, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn map(
    State(state): State<AppState>,
    who: Authed,
    AppQuery(q): AppQuery<MapParams>,
) -> Result<Json<MapOut>, ApiError> {
    check_justification(&q.justification)?;
    if q.network.as_ref().is_some_and(|n| n.len() > 64) {
        return Err(ApiError::bad_request("network: too long"));
    }
    state
        .read_as(who, move |p, st, ctx| {
            let d = derived(p, st)?;
            let filter: Option<HashSet<String>> = match &q.network {
                None => None,
                Some(id) => {
                    let vis = p.viewer_records(&ctx, &d.catalog)?;
                    let view = View::for_viewer(&d.graph, &vis);
                    let members = crate::graphs::viewer_network(&view, &d.graph, id)
                        .ok_or_else(|| ApiError::not_found("no such network"))?;
                    Some(
                        members
                            .iter()
                            .map(|&v| d.graph.name(v).to_owned())
                            .collect(),
                    )
                }
            };
            let keep = |s: &str| filter.as_ref().is_none_or(|f| f.contains(s));
            let moves = p.movements(&ctx, &d.catalog, &keep, &q.justification)?;
            let gaz = gazetteer();
            let mut places: BTreeMap<&str, (String, usize)> = BTreeMap::new();
            let mut unplaced = 0usize;
            let mut by_subject: BTreeMap<&str, Vec<(&str, &str)>> = BTreeMap::new();
            for m in &moves {
                let Some((name, _)) = gaz.get_key_value(m.place.as_str()) else {
                    unplaced += 1;
                    continue;
                };
                let e = places.entry(name).or_insert_with(|| (m.kind.clone(), 0));
                e.1 += 1;
                by_subject
                    .entry(m.subject.as_str())
                    .or_default()
                    .push((m.date.as_str(), name));
            }
            let mut legs: BTreeMap<(&str, &str), (usize, String, String)> = BTreeMap::new();
            for events in by_subject.values_mut() {
                events.sort();
                for w in events.windows(2) {
                    let ((_, a), (at, b)) = (w[0], w[1]);
                    if a == b {
                        continue;
                    }
                    let e = legs
                        .entry((a, b))
                        .or_insert_with(|| (0, at.to_owned(), at.to_owned()));
                    e.0 += 1;
                    if at < e.1.as_str() {
                        e.1 = at.to_owned();
                    }
                    if at > e.2.as_str() {
                        e.2 = at.to_owned();
                    }
                }
            }
            let point = |n: &str| {
                let s = &gaz[n];
                Point {
                    lat: s.lat,
                    lon: s.lon,
                    name: n.to_owned(),
                }
            };
            let mut legs: Vec<LegOut> = legs
                .into_iter()
                .map(|((a, b), (count, first_at, last_at))| LegOut {
                    from: point(a),
                    to: point(b),
                    count,
                    first_at,
                    last_at,
                })
                .collect();
            legs.sort_by_key(|l| std::cmp::Reverse(l.count));
            legs.truncate(LEGS_MAX);
            Ok(Json(MapOut {
                places: places
                    .into_iter()
                    .map(|(name, (kind, count))| {
                        let s = &gaz[name];
                        PlaceOut {
                            name: name.to_owned(),
                            kind: if kind == "interception" {
                                kind
                            } else {
                                s.kind.to_owned()
                            },
                            lat: s.lat,
                            lon: s.lon,
                            count,
                        }
                    })
                    .collect(),
                legs,
                unplaced,
            }))
        })
        .await
}
