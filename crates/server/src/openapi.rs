//! The OpenAPI 3.1 document, generated from the handlers' annotations and the answer types.

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::{api, error, graphs};

/// The API's description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Corridor API", description = "Cross-border intelligence sharing under the originator's control. Every answer that shows a record is decided and audited by the policy layer."),
    paths(
        api::healthz, api::login, api::logout, api::me, api::search, api::subject,
        api::record, api::judgement, api::requests, api::new_request, api::answer,
        api::grants, api::new_grant, api::revoke_grant, api::notices, api::audit,
        api::audit_verify, graphs::networks, graphs::network_graph, graphs::ego_graph,
        crate::money::alerts, crate::money::flows, crate::money::account, crate::map::map, crate::ingest::ingest,
    ),
    components(schemas(error::ErrorBody, error::ErrorDetail)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(components) = openapi.components.as_mut() {
            components.add_security_scheme(
                "bearer",
                SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
            );
        }
    }
}

/// The document as JSON text.
pub fn document() -> String {
    // Serialising a document built from types cannot fail; an empty object would still parse.
    ApiDoc::openapi()
        .to_json()
        .unwrap_or_else(|_| "{}".to_owned())
}

/// `GET /openapi.json`.
pub async fn openapi_json() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
