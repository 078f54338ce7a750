//! The web workspace, embedded: `web/dist` (built by `build.rs` from `web/src` and the npm
//! packages' browser files) compiled into the binary with rust-embed, served for every path
//! that is not the API. A binary built without the UI still compiles (`allow_missing`) and
//! answers with a page that says how to build it.
//!
//! Serving rules: `/` and any path without a file extension are the single-page app's routes
//! and get `index.html`; a path with an extension is a file or a 404; `/api/…` never falls back
//! to the app (an unknown API path is a JSON `not_found`). Every file carries an `ETag` (its
//! SHA-256) and `Cache-Control: no-cache`, so browsers revalidate cheaply and never run a stale
//! UI against a newer API; `If-None-Match` answers 304.
//!
//! The routes are `/` and the catch-all `/{*path}`: the API's own routes are more specific, so
//! the router matches them first, and the catch-all sees only what no API route takes.

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// The built UI. Paths are relative to `web/dist`.
#[derive(rust_embed::RustEmbed)]
#[folder = "../../web/dist/"]
#[allow_missing = true]
struct Ui;

/// Longest request path looked up among the assets, in bytes; longer is a 404 at once.
const ASSET_PATH_BYTES_MAX: usize = 512;

/// What a browser gets when the binary was built without the UI.
const UI_NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<title>Corridor: UI not built</title><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">\
<h1>The web UI is not built into this binary</h1>\
<p>The API is up (<a href=\"/openapi.json\">/openapi.json</a>). To embed the workspace, install \
Node.js with npm and rebuild: the build runs <code>npm ci</code> and <code>node build.mjs</code> \
in <code>web/</code> by itself, or run them by hand and then <code>cargo build --release</code>.</p>";

/// True when the binary holds the UI.
pub fn ui_built() -> bool {
    Ui::get("index.html").is_some()
}

/// The content type of an asset, by extension. ES modules must be `text/javascript` or
/// browsers refuse to run them.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "png" => "image/png",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `/` and every path no other route takes: the UI's files and its routes.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/", any(serve))
        .route("/{*path}", any(serve))
}

/// Serves the UI for a path the API did not take.
pub async fn serve(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return not_found_json(path);
    }
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let rel = path.trim_start_matches('/');
    if rel.len() > ASSET_PATH_BYTES_MAX || rel.split('/').any(|seg| seg == "..") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let last = rel.rsplit('/').next().unwrap_or("");
    let is_file = last.contains('.');
    let name = if rel.is_empty() || !is_file {
        "index.html"
    } else {
        rel
    };
    match Ui::get(name) {
        Some(file) => respond(name, &file, &headers, method == Method::HEAD),
        // 200, not 503: the server is up and the page is the answer (error statuses are turned
        // into JSON errors by the router's error layer).
        None if name == "index.html" => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            UI_NOT_BUILT,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn respond(
    name: &str,
    file: &rust_embed::EmbeddedFile,
    headers: &HeaderMap,
    head_only: bool,
) -> Response {
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let cache = HeaderValue::from_static("no-cache");
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let etag_value = match HeaderValue::from_str(&etag) {
        Ok(v) => v,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if matches {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(name)),
        ),
        (header::ETAG, etag_value),
        (header::CACHE_CONTROL, cache),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if head_only {
        return (StatusCode::OK, headers).into_response();
    }
    (StatusCode::OK, headers, file.data.clone().into_owned()).into_response()
}

fn not_found_json(path: &str) -> Response {
    crate::ApiError::not_found(format!("no API route {path}")).into_response()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_are_javascript_and_unknown_is_binary() {
        assert_eq!(content_type("app.js"), "text/javascript; charset=utf-8");
        assert_eq!(
            content_type("vendor/x.min.mjs"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("noext"), "application/octet-stream");
    }

    fn get(path: &str, headers: HeaderMap) -> Response {
        let uri: Uri = path.parse().expect("a test path is a URI");
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime");
        rt.block_on(serve(Method::GET, uri, headers))
    }

    #[test]
    fn api_paths_never_fall_back_to_the_app() {
        let r = get("/api/v1/nope", HeaderMap::new());
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        assert!(
            r.headers()[header::CONTENT_TYPE]
                .as_bytes()
                .starts_with(b"application/json"),
            "an API 404 is JSON"
        );
    }

    #[test]
    fn app_routes_get_the_index_or_the_not_built_page() {
        let r = get("/subject/P-0000001", HeaderMap::new());
        if ui_built() {
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(
                r.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            let etag = r.headers()[header::ETAG].clone();
            let mut h = HeaderMap::new();
            h.insert(header::IF_NONE_MATCH, etag);
            assert_eq!(get("/", h).status(), StatusCode::NOT_MODIFIED);
            let js = get("/app.js", HeaderMap::new());
            assert_eq!(js.status(), StatusCode::OK);
            assert_eq!(
                js.headers()[header::CONTENT_TYPE],
                "text/javascript; charset=utf-8"
            );
        } else {
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
        }
        assert_eq!(
            get("/missing.js", HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get("/../Cargo.toml", HeaderMap::new()).status(),
            StatusCode::NOT_FOUND
        );
    }
}
