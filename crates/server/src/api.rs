//! The `/api/v1` routes: authentication, search, subjects, records, judgements, requests and
//! answers, grants, notices, audit, and `/healthz`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use corridor_model::Grading;
use corridor_policy::serve::SubjectView;
use corridor_policy::{
    Access, Answer, Context, Disclosure, Grant, NewGrant, Query as SearchQuery, Role, Scope,
    handling_conditions,
};
use corridor_store::RecordKey;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::{AppState, TOKEN_SECONDS, now_seconds};

/// Most subjects (or records without a subject) a search answer lists.
pub const SEARCH_RESULTS_MAX: usize = 200;
/// Default of `limit` where a route takes one.
pub const LIMIT_DEFAULT: usize = 50;
/// Longest search text, in bytes.
pub const QUERY_TEXT_BYTES_MAX: usize = corridor_policy::QUERY_FIELD_BYTES_MAX;
/// Longest justification, in bytes.
pub const JUSTIFICATION_BYTES_MAX: usize = corridor_policy::audit::JUSTIFICATION_BYTES_MAX;
/// Longest token accepted in a header, in bytes (ours are 67).
const TOKEN_BYTES_MAX: usize = 256;
/// Longest user name at login, in bytes.
const USER_BYTES_MAX: usize = corridor_policy::ID_BYTES_MAX;
/// Longest disclosure grant from an answer, in seconds (90 days).
pub const ANSWER_GRANT_SECONDS: i64 = 90 * 86_400;
/// Most timeline events on a subject page.
pub const TIMELINE_EVENTS_MAX: usize = 200;

// ---- extractors with the one error body ----

/// `Json` whose rejection is the API's error body.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct AppJson<T>(pub T);

impl<T: Serialize> IntoResponse for AppJson<T> {
    fn into_response(self) -> axum::response::Response {
        Json(self.0).into_response()
    }
}

/// `Path` whose rejection is the API's error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct AppPath<T>(pub T);

/// `Query` whose rejection is the API's error body.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct AppQuery<T>(pub T);

/// The credentials a request presents (`Authorization: Bearer <token>`), checked for form
/// only. Who they stand for is known only once the policy layer has checked the token, in the
/// same turn under its lock as the request's work ([`AppState::read_as`],
/// [`AppState::with_as`]): handlers get a [`Context`] from there, never from the request
/// alone.
pub struct Authed {
    pub(crate) token: String,
    origin: String,
}

impl Authed {
    /// The user these credentials stand for, as a policy context: 401 for a token that is
    /// unknown, expired or revoked, or whose user is no longer active.
    pub(crate) fn verify(
        &self,
        p: &mut corridor_policy::PolicyStore<'static>,
    ) -> Result<Context, ApiError> {
        let now = now_seconds();
        let user = p
            .authenticate(&self.token, now)?
            .ok_or_else(|| ApiError::unauthenticated("unknown, expired or revoked token"))?;
        Ok(Context {
            user,
            origin: self.origin.clone(),
            now,
        })
    }
}

fn origin_of(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| format!("http {}", c.0))
        .unwrap_or_else(|| "http".to_owned())
}

/// Where a request came from, for the audit log.
pub struct Origin(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Origin {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Origin(origin_of(parts)))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(ApiError::unauthenticated(
                "missing Authorization: Bearer token",
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= TOKEN_BYTES_MAX)
            .ok_or_else(|| ApiError::unauthenticated("malformed Authorization header"))?
            .to_owned();
        Ok(Authed {
            token,
            origin: origin_of(parts),
        })
    }
}

pub(crate) fn check_justification(j: &str) -> Result<(), ApiError> {
    let chars = j.trim().chars().count();
    let min = corridor_policy::audit::JUSTIFICATION_CHARS_MIN;
    if chars < min {
        return Err(ApiError::bad_request(format!(
            "justification: at least {min} characters are needed (why you need this)"
        )));
    }
    if j.len() > JUSTIFICATION_BYTES_MAX {
        return Err(ApiError::bad_request(format!(
            "justification: at most {JUSTIFICATION_BYTES_MAX} bytes"
        )));
    }
    Ok(())
}

pub(crate) fn check_id(what: &str, id: &str) -> Result<(), ApiError> {
    corridor_policy::check_id(what, id).map_err(ApiError::bad_request)
}

// ---- routes ----

/// Every JSON route (the ingest route has its own body limit).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route("/api/v1/me", get(me))
        .route("/api/v1/search", get(search))
        .route("/api/v1/subjects/{id}", get(subject))
        .route("/api/v1/subjects/{id}/ego", get(crate::graphs::ego_graph))
        .route("/api/v1/records/{origin}/{id}", get(record))
        .route("/api/v1/judgements", post(judgement))
        .route("/api/v1/networks", get(crate::graphs::networks))
        .route(
            "/api/v1/networks/{id}/graph",
            get(crate::graphs::network_graph),
        )
        .route("/api/v1/requests", get(requests).post(new_request))
        .route("/api/v1/requests/{id}/answer", post(answer))
        .route("/api/v1/grants", get(grants).post(new_grant))
        .route("/api/v1/grants/{id}", delete(revoke_grant))
        .route("/api/v1/notices", get(notices))
        .route("/api/v1/money/alerts", get(crate::money::alerts))
        .route("/api/v1/money/flows/{subject}", get(crate::money::flows))
        .route("/api/v1/money/accounts/{id}", get(crate::money::account))
        .route("/api/v1/map", get(crate::map::map))
        .route("/api/v1/audit", get(audit))
        .route("/api/v1/audit/verify", get(audit_verify))
}

/// The ingest route (a file in a JSON body, larger limit).
pub fn ingest_routes() -> Router<AppState> {
    Router::new().route("/api/v1/ingest", post(crate::ingest::ingest))
}

// ---- health ----

#[derive(Serialize, ToSchema)]
pub struct Health {
    pub status: String,
}

/// Liveness: the server answers and its policy layer is not stuck.
#[utoipa::path(get, path = "/healthz", responses((status = 200, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state.read_policy(|_, _| Ok(())).await?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}

// ---- login ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    pub user: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserOut {
    pub id: String,
    pub name: String,
    pub agency: String,
    pub agency_name: String,
    pub roles: Vec<String>,
    pub operations: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginOut {
    pub token: String,
    /// RFC 3339.
    pub expires_at: String,
    pub user: UserOut,
}

fn user_out(p: &corridor_policy::PolicyStore<'_>, user: &str) -> Result<UserOut, ApiError> {
    let pr = p
        .directory()
        .principal(user)
        .ok_or_else(|| ApiError::unauthenticated("the user is unknown or suspended"))?;
    Ok(UserOut {
        id: pr.user.id.clone(),
        name: pr.user.id.clone(),
        agency: pr.agency.code.clone(),
        agency_name: pr.agency.name.clone(),
        roles: pr
            .user
            .roles
            .iter()
            .map(|r| format!("{r:?}").to_lowercase())
            .collect(),
        operations: pr.user.operations.clone(),
    })
}

/// Logs in with a password; the token goes in `Authorization: Bearer` from then on.
#[utoipa::path(post, path = "/api/v1/login", request_body = LoginBody,
    responses((status = 200, body = LoginOut), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Origin(origin): Origin,
    AppJson(body): AppJson<LoginBody>,
) -> Result<Json<LoginOut>, ApiError> {
    if body.user.is_empty() || body.user.len() > USER_BYTES_MAX {
        return Err(ApiError::bad_request(format!(
            "user: 1 to {USER_BYTES_MAX} bytes"
        )));
    }
    if body.password.len() > corridor_policy::PASSWORD_BYTES_MAX {
        return Err(ApiError::bad_request(format!(
            "password: at most {} bytes",
            corridor_policy::PASSWORD_BYTES_MAX
        )));
    }
    state
        .with_policy(move |p, _| {
            let now = now_seconds();
            let token = p
                .login(&origin, &body.user, &body.password, TOKEN_SECONDS, now)
                .map_err(|e| match e {
                    corridor_policy::PolicyError::Refused(_) => {
                        ApiError::unauthenticated("unknown user or wrong password")
                    }
                    other => other.into(),
                })?;
            Ok(Json(LoginOut {
                token,
                expires_at: corridor_store::format_unix_seconds(now + TOKEN_SECONDS),
                user: user_out(p, &body.user)?,
            }))
        })
        .await
}

/// Revokes the token of this request.
#[utoipa::path(post, path = "/api/v1/logout", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = crate::error::ErrorBody)))]
pub async fn logout(State(state): State<AppState>, who: Authed) -> Result<StatusCode, ApiError> {
    let token = who.token.clone();
    state
        .with_as(who, move |p, _, ctx| {
            p.logout(&ctx, &token)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/v1/me", security(("bearer" = [])),
    responses((status = 200, body = UserOut), (status = 401, body = crate::error::ErrorBody)))]
pub async fn me(State(state): State<AppState>, who: Authed) -> Result<Json<UserOut>, ApiError> {
    state
        .read_as(who, move |p, _, ctx| Ok(Json(user_out(p, &ctx.user)?)))
        .await
}

// ---- records ----

#[derive(Serialize, ToSchema, Clone)]
pub struct GradingOut {
    /// `uk_3x5x2`, `europol_4x4` or `tlp`: never converted.
    pub system: String,
    /// As the originator wrote it (`3x5x2 2/B/P`, `TLP:AMBER`).
    pub code: String,
}

pub(crate) fn grading_out(g: &Grading) -> GradingOut {
    GradingOut {
        system: match g {
            Grading::Uk3x5x2 { .. } => "uk_3x5x2",
            Grading::Europol4x4 { .. } => "europol_4x4",
            _ => "tlp",
        }
        .into(),
        code: g.to_string(),
    }
}

/// One record as disclosed.
#[derive(Serialize, ToSchema, Clone)]
pub struct RecordOut {
    pub origin: String,
    pub id: String,
    pub schema: String,
    pub caption: String,
    pub properties: BTreeMap<String, Vec<String>>,
    pub grading: GradingOut,
    /// What the grading's handling code requires.
    pub handling: Vec<String>,
    /// Conditions of the grant and of the handling code: they travel with the record.
    pub conditions: Vec<String>,
}

pub(crate) fn record_out(d: &Disclosure) -> RecordOut {
    let r = d.record();
    RecordOut {
        origin: d.envelope().originator.clone(),
        id: r.id.clone(),
        schema: r.schema.clone(),
        caption: corridor_policy::serve::caption(r),
        properties: r.properties.clone(),
        grading: grading_out(&d.envelope().grading),
        handling: handling_conditions(&d.envelope().grading),
        conditions: d.conditions().to_vec(),
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JustificationParams {
    /// Why you need this (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
}

/// One record, if the caller may read it. A record of an agency that allows discovery only is
/// a 403 `hit_only` (no content); a denied or missing record is the same 404.
#[utoipa::path(get, path = "/api/v1/records/{origin}/{id}", security(("bearer" = [])),
    params(("origin" = String, Path), ("id" = String, Path), JustificationParams),
    responses((status = 200, body = RecordOut), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn record(
    State(state): State<AppState>,
    who: Authed,
    AppPath((origin, id)): AppPath<(String, String)>,
    AppQuery(q): AppQuery<JustificationParams>,
) -> Result<Json<RecordOut>, ApiError> {
    check_justification(&q.justification)?;
    check_id("origin", &origin)?;
    if id.is_empty() || id.len() > corridor_model::limits::RECORD_ID_BYTES_MAX {
        return Err(ApiError::bad_request("record id: empty or too long"));
    }
    state
        .read_as(who, move |p, _, ctx| {
            let key = RecordKey::new(origin, id);
            match p.read(&ctx, &key, &q.justification)? {
                Access::Disclosed(d) => Ok(Json(record_out(&d))),
                Access::HitOnly {
                    agency, contact, ..
                } => Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "hit_only",
                    format!("{agency} holds this record and allows discovery only; ask {contact}"),
                )),
                Access::Denied => Err(ApiError::not_found("no such record")),
            }
        })
        .await
}

// ---- search ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for.
    #[param(min_length = 1, max_length = 256)]
    pub q: String,
    /// `name`, `phone`, `plate`, `document` or `any` (default `any`: as a name).
    pub field: Option<String>,
    /// Date of birth, full or partial (`1987`, `1987-05`, `1987-05-03`).
    pub dob: Option<String>,
    /// Why you search (at least 8 characters; audited).
    #[param(min_length = 8, max_length = 4096)]
    pub justification: String,
    /// Most subjects in the answer (default 50, at most 200).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchRecord {
    pub origin: String,
    pub id: String,
    pub schema: String,
    pub caption: String,
    pub grading: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchSubject {
    /// `null` for a record not yet resolved into a subject.
    pub subject_id: Option<String>,
    pub kind: String,
    pub caption: String,
    /// 0 to 1, from the strongest band among its records.
    pub score: f64,
    pub records: Vec<SearchRecord>,
}

#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub hit_id: String,
    pub agency: String,
    pub agency_name: String,
    pub count: usize,
    /// `strong`, `probable` or `possible`.
    pub band: String,
    /// The gradings as the originator wrote them, joined by `; `.
    pub grading: String,
    pub how_to_ask: String,
}

#[derive(Serialize, ToSchema)]
pub struct SearchOut {
    /// What the caller may read, grouped by subject.
    pub subjects: Vec<SearchSubject>,
    /// Hit-only answers: never content.
    pub hits: Vec<SearchHit>,
}

fn band_name(b: corridor_policy::Band) -> &'static str {
    match b {
        corridor_policy::Band::Strong => "strong",
        corridor_policy::Band::Probable => "probable",
        corridor_policy::Band::Possible => "possible",
    }
}

fn band_score(b: corridor_policy::Band) -> f64 {
    match b {
        corridor_policy::Band::Strong => 0.95,
        corridor_policy::Band::Probable => 0.8,
        corridor_policy::Band::Possible => 0.6,
    }
}

/// Hit / no-hit search across agencies.
#[utoipa::path(get, path = "/api/v1/search", security(("bearer" = [])), params(SearchParams),
    responses((status = 200, body = SearchOut), (status = 400, body = crate::error::ErrorBody),
              (status = 401, body = crate::error::ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    who: Authed,
    AppQuery(q): AppQuery<SearchParams>,
) -> Result<Json<SearchOut>, ApiError> {
    check_justification(&q.justification)?;
    let text = q.q.trim().to_owned();
    if text.is_empty() || text.len() > QUERY_TEXT_BYTES_MAX {
        return Err(ApiError::bad_request(format!(
            "q: 1 to {QUERY_TEXT_BYTES_MAX} bytes"
        )));
    }
    let mut query = SearchQuery::default();
    match q.field.as_deref().unwrap_or("any") {
        "name" | "any" => query.name = Some(text),
        "phone" => query.phone = Some(text),
        "plate" => query.plate = Some(text),
        "document" => query.document = Some(text),
        "account" => {
            return Err(ApiError::bad_request(
                "field: account search is not offered by discovery yet",
            ));
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "field: '{}' is not one of name, phone, plate, document, any",
                other.chars().take(32).collect::<String>()
            )));
        }
    }
    if let Some(d) = q.dob.as_deref().filter(|d| !d.trim().is_empty()) {
        if d.len() > 16 {
            return Err(ApiError::bad_request("dob: YYYY, YYYY-MM or YYYY-MM-DD"));
        }
        query.date_of_birth = Some(d.trim().to_owned());
    }
    let limit = q
        .limit
        .unwrap_or(LIMIT_DEFAULT)
        .clamp(1, SEARCH_RESULTS_MAX);
    let justification = q.justification;
    state
        .read_as(who, move |p, _, ctx| {
            let answer = p
                .search(&ctx, &query, &justification)
                .map_err(|e| match e {
                    corridor_policy::PolicyError::Refused(m) if !m.contains("role") => {
                        ApiError::bad_request(m)
                    }
                    other => other.into(),
                })?;
            // Readable records, at most `limit` subjects' worth: content only through a read.
            let mut readable = answer.readable;
            readable.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            readable.truncate(limit * 4);
            let keys: Vec<RecordKey> = readable.iter().map(|(k, _)| k.clone()).collect();
            let subjects = p.subjects_of(&keys)?;
            let access = if keys.is_empty() {
                Vec::new()
            } else {
                p.read_many(&ctx, &keys, &justification, "search results")?
            };
            let mut groups: Vec<SearchSubject> = Vec::new();
            let mut index: BTreeMap<String, usize> = BTreeMap::new();
            for (((key, band), subj), acc) in readable.iter().zip(subjects).zip(access) {
                let Access::Disclosed(d) = acc else { continue };
                let rec = SearchRecord {
                    origin: key.originator.clone(),
                    id: key.record_id.clone(),
                    schema: d.record().schema.clone(),
                    caption: corridor_policy::serve::caption(d.record()),
                    grading: d.envelope().grading.to_string(),
                };
                let group_key = subj
                    .as_ref()
                    .map_or_else(|| format!("record {key}"), |(s, _)| s.clone());
                match index.get(&group_key) {
                    Some(&i) => {
                        let g = &mut groups[i];
                        g.score = g.score.max(band_score(*band));
                        g.records.push(rec);
                    }
                    None => {
                        if groups.len() >= limit {
                            continue;
                        }
                        index.insert(group_key, groups.len());
                        groups.push(SearchSubject {
                            subject_id: subj.as_ref().map(|(s, _)| s.clone()),
                            kind: subj.as_ref().map_or_else(
                                || d.record().schema.to_lowercase(),
                                |(_, k)| k.clone(),
                            ),
                            caption: rec.caption.clone(),
                            score: band_score(*band),
                            records: vec![rec],
                        });
                    }
                }
            }
            let hits = answer
                .hits
                .into_iter()
                .map(|h| SearchHit {
                    hit_id: h.hit_ref,
                    agency: h.agency,
                    agency_name: h.agency_name,
                    count: h.records,
                    band: band_name(h.band).into(),
                    grading: h.gradings.join("; "),
                    how_to_ask: h.contact,
                })
                .collect();
            Ok(Json(SearchOut {
                subjects: groups,
                hits,
            }))
        })
        .await
}

// ---- subjects ----

#[derive(Serialize, ToSchema)]
pub struct KeyOut {
    pub origin: String,
    pub id: String,
}

#[derive(Serialize, ToSchema)]
pub struct Withheld {
    pub agency: String,
    pub count: usize,
}

/// One comparison's part of a link's match weight.
#[derive(Serialize, ToSchema)]
pub struct FieldWeight {
    /// The comparison (`given_name`, `birth_date`, …).
    pub field: String,
    /// The level the pair reached (`exact`, `null`, …).
    pub level: String,
    /// P(level | match).
    pub m: f64,
    /// P(level | non-match); the value's frequency when term-frequency adjusted.
    pub u: f64,
    /// log2(m/u), with any term-frequency adjustment.
    pub weight: f64,
}

#[derive(Serialize, ToSchema)]
pub struct Explanation {
    pub a: KeyOut,
    pub b: KeyOut,
    /// The link's match probability.
    pub probability: f64,
    /// The link's match weight (log2 odds).
    pub weight: f64,
    /// Per-field parts of the weight under the stored model (empty for a kind matched by key):
    /// with `prior_weight` they add up to `explained_weight`.
    pub fields: Vec<FieldWeight>,
    /// log2 prior odds of the stored model (null without fields).
    pub prior_weight: Option<f64>,
    /// The pair's weight re-computed now: equal to `weight` unless records were added since
    /// the resolution (term frequencies moved).
    pub explained_weight: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct Place {
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct TimelineEvent {
    /// A date or an RFC 3339 time.
    pub at: String,
    pub kind: String,
    pub caption: String,
    pub origin: String,
    pub id: String,
    pub place: Option<Place>,
}

#[derive(Serialize, ToSchema)]
pub struct SubjectOut {
    pub subject_id: String,
    pub kind: String,
    pub caption: String,
    pub records: Vec<RecordOut>,
    /// Members the caller may not read, counted per agency that allows discovery.
    pub withheld: Vec<Withheld>,
    pub explanation: Vec<Explanation>,
    pub timeline: Vec<TimelineEvent>,
}

fn subject_out(v: &SubjectView) -> SubjectOut {
    let records: Vec<RecordOut> = v.members.iter().map(|(_, d)| record_out(d)).collect();
    let readable: std::collections::HashSet<&RecordKey> =
        v.members.iter().map(|(m, _)| &m.record).collect();
    let explanation = v
        .members
        .iter()
        .filter_map(|(m, _)| {
            let (via, w) = m.via.as_ref()?;
            // A link to a member the caller may not read would name it: left out.
            if !readable.contains(via) {
                return None;
            }
            Some(Explanation {
                a: KeyOut {
                    origin: m.record.originator.clone(),
                    id: m.record.record_id.clone(),
                },
                b: KeyOut {
                    origin: via.originator.clone(),
                    id: via.record_id.clone(),
                },
                probability: 1.0 / (1.0 + (-w).exp2()),
                weight: *w,
                fields: Vec::new(),
                prior_weight: None,
                explained_weight: None,
            })
        })
        .collect();
    SubjectOut {
        subject_id: v.subject_id.clone(),
        kind: v.kind.clone(),
        caption: records
            .first()
            .map(|r| r.caption.clone())
            .unwrap_or_default(),
        records,
        withheld: v
            .withheld
            .iter()
            .map(|(a, n)| Withheld {
                agency: a.clone(),
                count: *n,
            })
            .collect(),
        explanation,
        timeline: Vec::new(),
    }
}

/// A subject: readable members with content, hit-only members counted, why members were
/// linked, and a timeline of the readable records around it. 404 when the caller may read none
/// of its members (the same answer as for no such subject).
#[utoipa::path(get, path = "/api/v1/subjects/{id}", security(("bearer" = [])),
    params(("id" = String, Path), JustificationParams),
    responses((status = 200, body = SubjectOut), (status = 404, body = crate::error::ErrorBody)))]
pub async fn subject(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
    AppQuery(q): AppQuery<JustificationParams>,
) -> Result<Json<SubjectOut>, ApiError> {
    check_justification(&q.justification)?;
    check_id("subject id", &id)?;
    state
        .read_as(who, move |p, st, ctx| {
            let view = p
                .subject(&ctx, &id, &q.justification)?
                .ok_or_else(|| ApiError::not_found("no such subject"))?;
            let mut out = subject_out(&view);
            explain(p, st, &ctx, &view.kind, &mut out.explanation)?;
            out.timeline = crate::graphs::timeline(p, st, &ctx, &id, &q.justification)?;
            Ok(Json(out))
        })
        .await
}

/// Fills each link's per-field weights from the kind's stored model, for the pairs the caller
/// may read both records of (every pair shown is such a pair already).
fn explain(
    p: &mut corridor_policy::PolicyStore<'static>,
    st: &AppState,
    ctx: &Context,
    kind: &str,
    links: &mut [Explanation],
) -> Result<(), ApiError> {
    if links.is_empty() {
        return Ok(());
    }
    let d = crate::graphs::derived(p, st)?;
    let explainer = {
        let mut cache = d.explainers.lock().map_err(|_| ApiError::internal())?;
        match cache.get(kind) {
            Some(e) => e.clone(),
            None => {
                let e = p.explainer(kind)?.map(std::sync::Arc::new);
                cache.insert(kind.to_owned(), e.clone());
                e
            }
        }
    };
    let Some(explainer) = explainer else {
        return Ok(());
    };
    let pairs: Vec<(RecordKey, RecordKey)> = links
        .iter()
        .take(corridor_policy::explain::EXPLAIN_PAIRS_MAX)
        .map(|x| {
            (
                RecordKey::new(&x.a.origin, &x.a.id),
                RecordKey::new(&x.b.origin, &x.b.id),
            )
        })
        .collect();
    let parts = p.explain_links(ctx, &d.catalog, &explainer, &pairs)?;
    for (x, part) in links.iter_mut().zip(parts) {
        let Some(part) = part else { continue };
        x.prior_weight = Some(part.prior_weight);
        x.explained_weight = Some(part.weight);
        x.fields = part
            .fields
            .into_iter()
            .map(|f| FieldWeight {
                field: f.name,
                level: f.level,
                m: f.m,
                u: f.u,
                weight: f.weight,
            })
            .collect();
    }
    Ok(())
}

// ---- judgements ----

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyIn {
    pub origin: String,
    pub id: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgementBody {
    pub a: KeyIn,
    pub b: KeyIn,
    /// `same` or `different`.
    pub verdict: String,
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct JudgementOut {
    pub judgement_id: i64,
}

/// Records that two readable records are (or are not) the same; the next resolution honours it.
#[utoipa::path(post, path = "/api/v1/judgements", security(("bearer" = [])),
    request_body = JudgementBody,
    responses((status = 201, body = JudgementOut), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn judgement(
    State(state): State<AppState>,
    who: Authed,
    AppJson(body): AppJson<JudgementBody>,
) -> Result<(StatusCode, Json<JudgementOut>), ApiError> {
    let same = match body.verdict.as_str() {
        "same" => true,
        "different" => false,
        _ => return Err(ApiError::bad_request("verdict: 'same' or 'different'")),
    };
    for k in [&body.a, &body.b] {
        check_id("origin", &k.origin)?;
        if k.id.is_empty() || k.id.len() > corridor_model::limits::RECORD_ID_BYTES_MAX {
            return Err(ApiError::bad_request("record id: empty or too long"));
        }
    }
    state
        .with_as(who, move |p, _, ctx| {
            let a = RecordKey::new(body.a.origin, body.a.id);
            let b = RecordKey::new(body.b.origin, body.b.id);
            let id = p.judge(&ctx, &a, &b, same, &body.reason)?;
            Ok((StatusCode::CREATED, Json(JudgementOut { judgement_id: id })))
        })
        .await
}

// ---- requests ----

#[derive(Serialize, ToSchema)]
pub struct RequestOut {
    pub id: String,
    pub hit_id: String,
    pub requester: String,
    pub requester_agency: String,
    pub originator: String,
    pub justification: String,
    /// RFC 3339.
    pub at: String,
    /// `pending`, `approved` or `refused`.
    pub status: String,
    pub reason: Option<String>,
    pub grant_ids: Vec<String>,
    /// The records asked for: shown to the originator only.
    pub records: Vec<String>,
    /// Pending longer than the originator's reminder delay (48 h unless the agency set one).
    pub overdue: bool,
}

fn request_out(r: &corridor_policy::DisclosureRequest, originator_view: bool) -> RequestOut {
    use corridor_policy::RequestStatus;
    let (status, reason, grant_ids) = match &r.status {
        RequestStatus::Pending => ("pending", None, Vec::new()),
        RequestStatus::Approved { grant_ids } => ("approved", None, grant_ids.clone()),
        RequestStatus::Refused { reason } => ("refused", Some(reason.clone()), Vec::new()),
    };
    let records = if originator_view {
        serde_json::to_value(r)
            .ok()
            .and_then(|v| v.get("record_ids").cloned())
            .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    RequestOut {
        id: r.id.clone(),
        hit_id: r.hit_ref.clone(),
        requester: r.requester.clone(),
        requester_agency: r.requester_agency.clone(),
        originator: r.originator.clone(),
        justification: r.justification.clone(),
        at: corridor_store::format_unix_seconds(r.at),
        status: status.into(),
        reason,
        grant_ids,
        records,
        overdue: r.overdue,
    }
}

#[derive(Serialize, ToSchema)]
pub struct RequestsOut {
    /// Requests the caller made.
    pub outgoing: Vec<RequestOut>,
    /// Requests to the caller's agency (supervisors).
    pub incoming: Vec<RequestOut>,
}

/// Disclosure requests, both sides.
#[utoipa::path(get, path = "/api/v1/requests", security(("bearer" = [])),
    responses((status = 200, body = RequestsOut), (status = 401, body = crate::error::ErrorBody)))]
pub async fn requests(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<RequestsOut>, ApiError> {
    state
        .with_as(who, move |p, _, ctx| {
            let agency = p
                .directory()
                .principal(&ctx.user)
                .map(|pr| pr.agency.code.clone())
                .unwrap_or_default();
            let mut out = RequestsOut {
                outgoing: Vec::new(),
                incoming: Vec::new(),
            };
            for r in p.requests(&ctx)? {
                if r.originator == agency && r.requester != ctx.user {
                    out.incoming.push(request_out(&r, true));
                } else {
                    out.outgoing.push(request_out(&r, false));
                }
            }
            Ok(Json(out))
        })
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequestBody {
    pub hit_id: String,
    #[schema(min_length = 8, max_length = 4096)]
    pub justification: String,
}

/// Asks the originator of a hit to disclose it.
#[utoipa::path(post, path = "/api/v1/requests", security(("bearer" = [])),
    request_body = NewRequestBody,
    responses((status = 201, body = RequestOut), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody)))]
pub async fn new_request(
    State(state): State<AppState>,
    who: Authed,
    AppJson(body): AppJson<NewRequestBody>,
) -> Result<(StatusCode, Json<RequestOut>), ApiError> {
    check_justification(&body.justification)?;
    check_id("hit_id", &body.hit_id)?;
    state
        .with_as(who, move |p, _, ctx| {
            let r = p.request(&ctx, &body.hit_id, &body.justification)?;
            Ok((StatusCode::CREATED, Json(request_out(&r, false))))
        })
        .await
}

/// Records a partial approval may name: a hit never holds more than this many.
const PARTIAL_RECORDS_MAX: usize = 1_000;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswerBody {
    /// `approve`, `partial` (only the request's records named in `records`) or `refuse`.
    pub decision: String,
    #[serde(default)]
    pub conditions: Vec<String>,
    #[serde(default)]
    pub records: Option<Vec<String>>,
    #[serde(default)]
    pub reason: String,
}

/// The originator's answer to a request (supervisors of the originator).
#[utoipa::path(post, path = "/api/v1/requests/{id}/answer", security(("bearer" = [])),
    params(("id" = String, Path)), request_body = AnswerBody,
    responses((status = 200, body = RequestOut), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody), (status = 404, body = crate::error::ErrorBody),
              (status = 409, body = crate::error::ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
    AppJson(body): AppJson<AnswerBody>,
) -> Result<Json<RequestOut>, ApiError> {
    check_id("request id", &id)?;
    if body.conditions.len() > 64 {
        return Err(ApiError::bad_request("conditions: at most 64"));
    }
    let ans = match body.decision.as_str() {
        "approve" => Answer::Approve {
            conditions: body.conditions.join("; "),
            expires_at: now_seconds() + ANSWER_GRANT_SECONDS,
        },
        "refuse" => {
            if body.reason.trim().is_empty() {
                return Err(ApiError::bad_request("reason: a refusal says why"));
            }
            Answer::Refuse {
                reason: body.reason.clone(),
            }
        }
        "partial" => {
            let record_ids = body.records.clone().unwrap_or_default();
            if record_ids.is_empty() || record_ids.len() > PARTIAL_RECORDS_MAX {
                return Err(ApiError::bad_request(format!(
                    "records: a partial approval names 1 to {PARTIAL_RECORDS_MAX} of the \
                     request's records"
                )));
            }
            for r in &record_ids {
                check_id("record id", r)?;
            }
            Answer::Partial {
                record_ids,
                conditions: body.conditions.join("; "),
                expires_at: now_seconds() + ANSWER_GRANT_SECONDS,
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "decision: 'approve', 'partial' or 'refuse'",
            ));
        }
    };
    state
        .with_as(who, move |p, _, ctx| {
            let r = p.answer(&ctx, &id, ans)?;
            Ok(Json(request_out(&r, true)))
        })
        .await
}

// ---- grants ----

#[derive(Serialize, ToSchema)]
pub struct GrantOut {
    pub id: String,
    pub grantor: String,
    pub granted_by: String,
    pub recipient: String,
    pub named_users: Vec<String>,
    /// `{kind: record|operation|standing|discovery, …}`.
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    pub conditions: String,
    pub granted_at: String,
    pub expires_at: String,
    pub revoked: bool,
}

fn grant_out(g: &Grant) -> GrantOut {
    GrantOut {
        id: g.id.clone(),
        grantor: g.grantor.clone(),
        granted_by: g.granted_by.clone(),
        recipient: g.recipient.clone(),
        named_users: g.named_users.clone(),
        scope: serde_json::to_value(&g.scope).unwrap_or(serde_json::Value::Null),
        conditions: g.conditions.clone(),
        granted_at: corridor_store::format_unix_seconds(g.granted_at),
        expires_at: corridor_store::format_unix_seconds(g.expires_at),
        revoked: g.revoked,
    }
}

/// Grants the caller's agency gives or receives.
#[utoipa::path(get, path = "/api/v1/grants", security(("bearer" = [])),
    responses((status = 200, body = Vec<GrantOut>), (status = 401, body = crate::error::ErrorBody)))]
pub async fn grants(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<GrantOut>>, ApiError> {
    state
        .with_as(who, move |p, _, ctx| {
            Ok(Json(p.grants_of(&ctx)?.iter().map(grant_out).collect()))
        })
        .await
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrantBody {
    pub recipient: String,
    #[serde(default)]
    pub named_users: Vec<String>,
    /// `{kind: record, record_id}`, `{kind: operation, operation, record_ids}`,
    /// `{kind: standing, schemata, ceiling}` or `{kind: discovery, schemata}`.
    #[schema(value_type = Object)]
    pub scope: serde_json::Value,
    #[serde(default)]
    pub conditions: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Grants a partner access to the caller's agency's records (supervisors).
#[utoipa::path(post, path = "/api/v1/grants", security(("bearer" = [])),
    request_body = NewGrantBody,
    responses((status = 201, body = GrantOut), (status = 400, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn new_grant(
    State(state): State<AppState>,
    who: Authed,
    AppJson(body): AppJson<NewGrantBody>,
) -> Result<(StatusCode, Json<GrantOut>), ApiError> {
    let scope: Scope = serde_json::from_value(body.scope)
        .map_err(|e| ApiError::bad_request(format!("scope: {e}")))?;
    check_id("recipient", &body.recipient)?;
    if body.named_users.len() > 256 {
        return Err(ApiError::bad_request("named_users: at most 256"));
    }
    state
        .with_as(who, move |p, _, ctx| {
            let agency = p
                .directory()
                .principal(&ctx.user)
                .map(|pr| pr.agency.code.clone())
                .ok_or_else(|| ApiError::unauthenticated("the user is unknown or suspended"))?;
            let records: Vec<RecordKey> = match &scope {
                Scope::Record { record_id } => vec![RecordKey::new(&agency, record_id)],
                Scope::Operation { record_ids, .. } => record_ids
                    .iter()
                    .map(|r| RecordKey::new(&agency, r))
                    .collect(),
                _ => Vec::new(),
            };
            let g = p.grant(
                &ctx,
                &records,
                NewGrant {
                    recipient: body.recipient,
                    named_users: body.named_users,
                    scope,
                    conditions: body.conditions,
                    expires_at: body.expires_at,
                },
            )?;
            Ok((StatusCode::CREATED, Json(grant_out(&g))))
        })
        .await
}

/// Revokes a grant (supervisors of the grantor).
#[utoipa::path(delete, path = "/api/v1/grants/{id}", security(("bearer" = [])),
    params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::ErrorBody),
              (status = 404, body = crate::error::ErrorBody)))]
pub async fn revoke_grant(
    State(state): State<AppState>,
    who: Authed,
    AppPath(id): AppPath<String>,
) -> Result<StatusCode, ApiError> {
    check_id("grant id", &id)?;
    state
        .with_as(who, move |p, _, ctx| {
            p.revoke(&ctx, &id)?;
            Ok(StatusCode::NO_CONTENT)
        })
        .await
}

// ---- notices ----

#[derive(Serialize, ToSchema)]
pub struct NoticeOut {
    pub id: String,
    pub searching_agency: String,
    pub searcher: String,
    pub operations: Vec<String>,
    pub holding_agency: String,
    /// The holding agency's matching records (shown to the holding agency only).
    pub record_ids: Vec<String>,
    pub at: String,
    /// `search` (a search for an operation met the holder's records), `deconfliction` (two
    /// operations work one subject) or `request_waiting` (a reminder: a request to the
    /// caller's agency waits for an answer; `id` is the request's).
    pub cause: String,
    /// Deconfliction: the subject both operations work.
    pub subject_id: String,
    /// Deconfliction: how the operations overlap; a reminder: how long the request has waited.
    pub detail: String,
    /// Whom to call.
    pub contact: String,
}

/// Deconfliction notices for the caller's agency.
#[utoipa::path(get, path = "/api/v1/notices", security(("bearer" = [])),
    responses((status = 200, body = Vec<NoticeOut>), (status = 401, body = crate::error::ErrorBody),
              (status = 403, body = crate::error::ErrorBody)))]
pub async fn notices(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<Vec<NoticeOut>>, ApiError> {
    state
        .with_as(who, move |p, _, ctx| {
            Ok(Json(
                p.notices(&ctx)?
                    .into_iter()
                    .map(|n| NoticeOut {
                        id: n.id,
                        searching_agency: n.searching_agency,
                        searcher: n.searcher,
                        operations: n.operations,
                        holding_agency: n.holding_agency,
                        record_ids: n.record_ids,
                        at: corridor_store::format_unix_seconds(n.at),
                        cause: match n.cause {
                            corridor_policy::NoticeCause::Search => "search",
                            corridor_policy::NoticeCause::Deconfliction => "deconfliction",
                            corridor_policy::NoticeCause::RequestWaiting => "request_waiting",
                        }
                        .into(),
                        subject_id: n.subject_id,
                        detail: n.overlap,
                        contact: n.contact,
                    })
                    .collect(),
            ))
        })
        .await
}

// ---- audit ----

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// Entries after this sequence number (default 0).
    pub after: Option<i64>,
    /// At most this many (default 50, at most 1,000).
    pub limit: Option<usize>,
}

#[derive(Serialize, ToSchema)]
pub struct AuditEntryOut {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub agency: String,
    pub origin: String,
    pub action: String,
    pub justification: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub hash: String,
}

/// A page of the audit log (auditors only).
#[utoipa::path(get, path = "/api/v1/audit", security(("bearer" = [])), params(AuditParams),
    responses((status = 200, body = Vec<AuditEntryOut>), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit(
    State(state): State<AppState>,
    who: Authed,
    AppQuery(q): AppQuery<AuditParams>,
) -> Result<Json<Vec<AuditEntryOut>>, ApiError> {
    let after = q.after.unwrap_or(0);
    let limit = q.limit.unwrap_or(LIMIT_DEFAULT);
    state
        .with_as(who, move |p, _, ctx| {
            let rows = p.audit_page(&ctx, after, limit)?;
            Ok(Json(
                rows.into_iter()
                    .map(|r| AuditEntryOut {
                        seq: r.seq,
                        at: r.at,
                        actor: r.actor,
                        agency: r.agency,
                        origin: r.origin,
                        action: r.action,
                        justification: r.justification,
                        detail: serde_json::from_str(&r.detail)
                            .unwrap_or(serde_json::Value::String(r.detail)),
                        hash: corridor_policy::audit::hex(&r.hash),
                    })
                    .collect(),
            ))
        })
        .await
}

#[derive(Serialize, ToSchema)]
pub struct VerifyOut {
    pub intact: bool,
    pub entries: u64,
    pub checkpoints: u64,
    pub tail_seq: Option<i64>,
    pub tail_hash: Option<String>,
    pub broken_at: Option<i64>,
    pub broken_reason: Option<String>,
}

/// Checks the audit log's hash chain and checkpoints (auditors only).
#[utoipa::path(get, path = "/api/v1/audit/verify", security(("bearer" = [])),
    responses((status = 200, body = VerifyOut), (status = 403, body = crate::error::ErrorBody)))]
pub async fn audit_verify(
    State(state): State<AppState>,
    who: Authed,
) -> Result<Json<VerifyOut>, ApiError> {
    state
        .with_as(who, move |p, _, ctx| {
            let r = p.verify_audit_as(&ctx, None)?;
            Ok(Json(VerifyOut {
                intact: r.broken.is_none(),
                entries: r.entries,
                checkpoints: r.checkpoints,
                tail_seq: r.tail.as_ref().map(|t| t.0),
                tail_hash: r.tail.map(|t| t.1),
                broken_at: r.broken.as_ref().map(|b| b.seq),
                broken_reason: r.broken.map(|b| b.reason),
            }))
        })
        .await
}

/// Roles as the API names them.
pub fn role_name(r: Role) -> String {
    format!("{r:?}").to_lowercase()
}
