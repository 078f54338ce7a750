//! The web UI, embedded from `web/dist` at build time. When the UI was not built, `/` says so.

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$CARGO_MANIFEST_DIR/../../web/dist"]
#[allow_missing = true]
struct Dist;

const NOT_BUILT: &str = "<!doctype html><meta charset=utf-8><title>Corridor</title>\
<p>The Corridor web UI was not built into this binary (run <code>npm ci &amp;&amp; npm run build</code> \
in <code>web/</code>, then rebuild). The API is at <code>/api/v1</code>, its description at \
<a href=/openapi.json>/openapi.json</a>.";

/// `/` and `/assets/*` from the embedded UI.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", get(index))
        .route("/assets/{*path}", get(asset))
}

async fn index() -> Response {
    match Dist::get("index.html") {
        Some(f) => (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            f.data.into_owned(),
        )
            .into_response(),
        None => Html(NOT_BUILT).into_response(),
    }
}

async fn asset(axum::extract::Path(path): axum::extract::Path<String>) -> Response {
    let full = format!("assets/{path}");
    let Some(f) = Dist::get(&full) else {
        return crate::ApiError::not_found("no such asset").into_response();
    };
    let mime = match full.rsplit('.').next() {
        Some("js" | "mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("woff2") => "font/woff2",
        _ => "application/octet-stream",
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, mime)],
        f.data.into_owned(),
    )
        .into_response()
}
