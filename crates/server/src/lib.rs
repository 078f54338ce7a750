//! Corridor's HTTP API: the policy layer over the network.
//!
//! Every answer that shows anything of a record goes through [`corridor_policy::PolicyStore`],
//! which decides and audits; the server never holds the store itself (the policy layer owns it,
//! [`PolicyStore::open_owned`]). Derived analytics (the link graph, its networks, centralities
//! and positions) are computed here from what the policy layer hands over (ids and record names
//! only) and filtered per viewer: a node, edge or subject member is shown only when a record
//! behind it is readable by the viewer.
//!
//! Entry points: [`serve`] (blocking, builds its own runtime, used by `corridor serve` and the
//! demo) and [`router`] (for tests and embedding).

pub mod api;
pub mod assets;
pub mod demo;
pub mod error;
pub mod graphs;
pub mod ingest;
pub mod map;
pub mod money;
pub mod openapi;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use corridor_policy::{Context, PolicyStore, SharedPolicy};
use corridor_store::Store;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use crate::error::ApiError;

/// Largest JSON request body, in bytes.
pub const JSON_BODY_BYTES_MAX: usize = 64 * 1024;
/// Largest ingest (CSV) body, in bytes.
pub const INGEST_BODY_BYTES_MAX: usize = 16 * 1024 * 1024;
/// Requests handled at once; more wait for a slot.
pub const CONCURRENT_REQUESTS_MAX: usize = 64;
/// Longest a request may take before it is answered with `timeout`.
pub const REQUEST_TIMEOUT_MS: u64 = 30_000;
/// Lifetime of a login token, in seconds (a working day).
pub const TOKEN_SECONDS: i64 = 12 * 3_600;
/// Longest a graceful shutdown waits for requests in flight.
pub const SHUTDOWN_GRACE_MS: u64 = 10_000;

/// How to run the server.
#[derive(Clone, Debug)]
pub struct Config {
    /// The store's locator (SQLite path or `postgres://` URL).
    pub db: String,
    /// Address to listen on (port 0: any free port, reported to `on_ready`).
    pub listen: SocketAddr,
    /// Worker threads of the runtime (0: one per core).
    pub worker_threads: usize,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("opening the store {locator}: {source}")]
    Store {
        locator: String,
        source: corridor_store::StoreError,
    },
    #[error("loading the policy documents: {0}")]
    Policy(#[from] corridor_policy::PolicyError),
    #[error("preparing the derived state: {0}")]
    Warm(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
}

/// A read waiting for the decision thread.
type ReadJob = Box<dyn FnOnce(&SharedPolicy) + Send>;

/// Reads waiting to be decided, at most: as many as requests may run at once, so a full queue
/// means something is stuck, and the request is refused rather than queued without end.
const READS_QUEUED_MAX: usize = CONCURRENT_REQUESTS_MAX;

/// How often an idle decision thread looks whether the server is closing.
const CLOSE_POLL_MS: u64 = 100;

/// What every handler shares: the one policy layer (shared with group commit: the store is
/// synchronous), the queue of reads to decide, and the derived graph, rebuilt when the log
/// moves.
#[derive(Clone)]
pub struct AppState {
    pub(crate) policy: Arc<SharedPolicy>,
    pub(crate) derived: Arc<Mutex<Option<Arc<graphs::Derived>>>>,
    reads: std::sync::mpsc::SyncSender<ReadJob>,
    /// Set by [`AppState::close`]: handles may outlive the server (a blocking task the
    /// runtime's shutdown left running), so the decision thread does not wait for them all.
    closing: Arc<std::sync::atomic::AtomicBool>,
    threads: Arc<Mutex<Vec<std::thread::JoinHandle<()>>>>,
}

impl AppState {
    /// State over a policy layer that owns its store; `writer` is a second handle onto the
    /// same store, on which reads' audit entries are committed in groups
    /// ([`SharedPolicy`]), so that the policy layer decides the next request while the last
    /// ones' entries sync.
    ///
    /// Reads are decided one after another, in the order they arrive, on one thread of their
    /// own, and committed on another: decisions hold the policy lock anyway, and a queue served
    /// in order keeps the slowest answers close to the rest, where blocking threads racing for
    /// the lock let a few wait behind many.
    pub fn new(
        policy: PolicyStore<'static>,
        writer: Box<dyn Store>,
    ) -> Result<AppState, ServeError> {
        let policy = Arc::new(SharedPolicy::new(policy, writer)?);
        let (reads, jobs) = std::sync::mpsc::sync_channel::<ReadJob>(READS_QUEUED_MAX);
        let spawn = |name: &str, run: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(name.into())
                .spawn(run)
                .map_err(|source| ServeError::Io {
                    what: format!("starting the {name} thread"),
                    source,
                })
        };
        let committer = {
            let policy = Arc::clone(&policy);
            spawn("corridor-commit", Box::new(move || policy.commit_loop()))?
        };
        let closing = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let decider = {
            let policy = Arc::clone(&policy);
            let closing = Arc::clone(&closing);
            spawn(
                "corridor-decide",
                Box::new(move || {
                    let run = |job: ReadJob| {
                        // A read that panics loses its own answer (the handler sees the
                        // dropped sender), not the thread every other read needs.
                        let run = std::panic::AssertUnwindSafe(|| job(&policy));
                        if std::panic::catch_unwind(run).is_err() {
                            tracing::error!("a read panicked");
                        }
                    };
                    // Ends when every handle on the state is gone (the queue hangs up), or
                    // on `close` once the reads already queued are done.
                    loop {
                        match jobs.recv_timeout(Duration::from_millis(CLOSE_POLL_MS)) {
                            Ok(job) => run(job),
                            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                                if closing.load(std::sync::atomic::Ordering::Acquire) {
                                    while let Ok(job) = jobs.try_recv() {
                                        run(job);
                                    }
                                    break;
                                }
                            }
                            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                        }
                    }
                    policy.close_commits();
                }),
            )
        };
        let decider = match decider {
            Ok(d) => d,
            Err(e) => {
                policy.close_commits();
                return Err(e);
            }
        };
        Ok(AppState {
            policy,
            derived: Arc::new(Mutex::new(None)),
            reads,
            closing,
            threads: Arc::new(Mutex::new(vec![decider, committer])),
        })
    }

    /// Lets the reads already queued finish and be committed, then waits for the decision and
    /// commit threads. Call it once the server has stopped, outside any runtime (the store
    /// may be dropped on those threads); a state merely dropped winds down the same way once
    /// its last handle is gone, without waiting.
    pub fn close(self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::Release);
        let threads = std::mem::take(
            &mut *self
                .threads
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        drop(self);
        for t in threads {
            if t.join().is_err() {
                tracing::error!("a policy thread panicked");
            }
        }
    }

    /// Runs `f` with the policy layer to itself, on a blocking thread (the store does
    /// synchronous I/O): for acts that change policy state (log in, grant, request, answer,
    /// judge), each written and synced before the next act.
    pub(crate) async fn with_policy<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PolicyStore<'static>, &AppState) -> Result<R, ApiError> + Send + 'static,
    {
        let state = self.clone();
        tokio::task::spawn_blocking(move || state.policy.with(|p| f(p, &state)))
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "a blocking task failed");
                ApiError::internal()
            })?
    }

    /// Runs a read `f` (it only audits what it shows) on the decision thread, its audit
    /// entries group-committed with other requests' ([`SharedPolicy::read_then`]): the answer
    /// is returned once they are durable, and not at all if that commit fails.
    pub(crate) async fn read_policy<R, F>(&self, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PolicyStore<'static>, &AppState) -> Result<R, ApiError> + Send + 'static,
    {
        let state = self.clone();
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: ReadJob = Box::new(move |policy| {
            policy.read_then(
                |p| f(p, &state),
                move |out| {
                    // The request may have timed out and gone: nobody to tell.
                    let _ = answer.send(out);
                },
            );
        });
        match self.reads.try_send(job) {
            Ok(()) => {}
            Err(std::sync::mpsc::TrySendError::Full(_)) => {
                return Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the server is busy",
                ));
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                tracing::error!("the decision thread is gone");
                return Err(ApiError::internal());
            }
        }
        answered.await.map_err(|_| {
            tracing::error!("a read ended without an answer");
            ApiError::internal()
        })?
    }

    /// [`AppState::read_policy`] for the user `who` stands for: the token is checked in the
    /// same turn as the read, and `f` gets the verified context.
    pub(crate) async fn read_as<R, F>(&self, who: api::Authed, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PolicyStore<'static>, &AppState, Context) -> Result<R, ApiError>
            + Send
            + 'static,
    {
        self.read_policy(move |p, st| {
            let ctx = who.verify(p)?;
            f(p, st, ctx)
        })
        .await
    }

    /// [`AppState::with_policy`] for the user `who` stands for (see [`AppState::read_as`]).
    pub(crate) async fn with_as<R, F>(&self, who: api::Authed, f: F) -> Result<R, ApiError>
    where
        R: Send + 'static,
        F: FnOnce(&mut PolicyStore<'static>, &AppState, Context) -> Result<R, ApiError>
            + Send
            + 'static,
    {
        self.with_policy(move |p, st| {
            let ctx = who.verify(p)?;
            f(p, st, ctx)
        })
        .await
    }
}

/// The whole application: API routes, `/healthz`, `/openapi.json`, the web UI, and the limits
/// (body size, time, concurrency), logging and one error body for everything.
pub fn router(state: AppState) -> Router {
    let api = api::routes()
        .layer(DefaultBodyLimit::max(JSON_BODY_BYTES_MAX))
        .merge(api::ingest_routes().layer(DefaultBodyLimit::max(INGEST_BODY_BYTES_MAX)))
        .with_state(state);
    Router::new()
        .merge(api)
        .merge(assets::router())
        .fallback(fallback)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn(json_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::GATEWAY_TIMEOUT,
            Duration::from_millis(REQUEST_TIMEOUT_MS),
        ))
        .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
            CONCURRENT_REQUESTS_MAX,
        ))
        .layer(TraceLayer::new_for_http())
}

async fn fallback() -> ApiError {
    ApiError::not_found("no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "method not allowed on this route",
    )
}

/// Gives every error answer that is not JSON yet (a timeout, an oversized body refused by a
/// layer, …) the one error body.
async fn json_errors(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let r = next.run(req).await;
    let status = r.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return r;
    }
    let is_json = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return r;
    }
    let (code, message) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "request body too large"),
        StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => {
            ("timeout", "the request took too long")
        }
        StatusCode::NOT_FOUND => ("not_found", "not found"),
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "method not allowed"),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ("unsupported_media_type", "unsupported media type"),
        StatusCode::SERVICE_UNAVAILABLE => ("unavailable", "the server is busy"),
        s if s.is_client_error() => ("bad_request", "bad request"),
        _ => ("internal", "internal error"),
    };
    let mut out = ApiError::new(status, code, message).into_response();
    if let Some(v) = r.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, v.clone());
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// Opens the store behind the policy layer.
pub fn open_policy(locator: &str) -> Result<PolicyStore<'static>, ServeError> {
    Ok(PolicyStore::open_owned(open_store(locator)?)?)
}

/// Opens a handle onto the store at `locator` (the policy layer's audit writer needs its own).
pub fn open_store(locator: &str) -> Result<Box<dyn Store>, ServeError> {
    corridor_store::open(locator).map_err(|source| ServeError::Store {
        locator: locator.to_owned(),
        source,
    })
}

/// Runs the server until SIGINT or SIGTERM, then lets requests in flight finish (up to
/// [`SHUTDOWN_GRACE_MS`]). Blocking: it builds its own tokio runtime. `on_ready` is called with
/// the bound address once the server accepts connections.
pub fn serve(config: Config, on_ready: impl FnOnce(SocketAddr)) -> Result<(), ServeError> {
    init_tracing();
    let policy = open_policy(&config.db)?;
    let mut rt = tokio::runtime::Builder::new_multi_thread();
    rt.enable_all();
    if config.worker_threads > 0 {
        rt.worker_threads(config.worker_threads);
    }
    let rt = rt.build().map_err(|source| ServeError::Io {
        what: "starting the runtime".into(),
        source,
    })?;
    let backend = policy.backend();
    let state = AppState::new(policy, open_store(&config.db)?)?;
    warm_up(&state)?;
    let app = router(state.clone());
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| ServeError::Io {
                what: format!("listening on {}", config.listen),
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| ServeError::Io {
            what: "reading the bound address".into(),
            source,
        })?;
        tracing::info!(%addr, backend, "corridor API listening");
        on_ready(addr);
        let server = axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal());
        server.await.map_err(|source| ServeError::Io {
            what: "serving".into(),
            source,
        })
    })?;
    // Requests still running after the signal get a bounded grace period, then the runtime
    // is dropped (which cancels them).
    rt.shutdown_timeout(Duration::from_millis(SHUTDOWN_GRACE_MS));
    // The last handle on the store goes here, outside the runtime: a PostgreSQL client blocks
    // on its own runtime when it closes, which tokio forbids on a runtime's threads.
    state.close();
    tracing::info!("corridor API stopped");
    Ok(())
}

/// A server running on its own thread and runtime (for tests and for a demo that starts the
/// API beside other work). Dropping it stops the server.
pub struct RunningServer {
    /// The bound address.
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and waits for the thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::error!("the server thread panicked");
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts the API over `policy` on `listen` (port 0: any free port) on a thread of its own with
/// a runtime of `worker_threads` threads, and returns once it accepts connections. `writer` is
/// a second handle onto the policy layer's store, for the group commit of audit entries.
pub fn start(
    policy: PolicyStore<'static>,
    writer: Box<dyn Store>,
    listen: SocketAddr,
    worker_threads: usize,
) -> Result<RunningServer, ServeError> {
    let std_listener = std::net::TcpListener::bind(listen).map_err(|source| ServeError::Io {
        what: format!("listening on {listen}"),
        source,
    })?;
    let io = |what: &str| {
        let what = what.to_owned();
        move |source| ServeError::Io { what, source }
    };
    std_listener
        .set_nonblocking(true)
        .map_err(io("making the listener non-blocking"))?;
    let addr = std_listener
        .local_addr()
        .map_err(io("reading the bound address"))?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads.max(1))
        .enable_all()
        .build()
        .map_err(io("starting the runtime"))?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let state = AppState::new(policy, writer)?;
    let app = router(state.clone());
    let thread = std::thread::Builder::new()
        .name("corridor-api".into())
        .spawn(move || {
            rt.block_on(async move {
                let listener = match tokio::net::TcpListener::from_std(std_listener) {
                    Ok(l) => l,
                    Err(e) => {
                        tracing::error!(error = %e, "adopting the listener");
                        return;
                    }
                };
                let served = axum::serve(
                    listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "serving");
                }
            });
            rt.shutdown_timeout(Duration::from_millis(SHUTDOWN_GRACE_MS));
            // Outside the runtime, for the same reason as in `serve`.
            state.close();
        })
        .map_err(io("starting the server thread"))?;
    Ok(RunningServer {
        addr,
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Builds the discovery index and the link graph before the server listens: on a large store
/// either can take longer than a request may.
fn warm_up(state: &AppState) -> Result<(), ServeError> {
    let started = std::time::Instant::now();
    let indexed = state.policy.with(|p| -> Result<usize, ServeError> {
        let indexed = p.warm_up()?;
        graphs::derived(p, state).map_err(|e| ServeError::Warm(e.message))?;
        Ok(indexed)
    })?;
    tracing::info!(
        indexed,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "discovery index and link graph ready"
    );
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for SIGINT");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Structured logs on stderr: JSON lines when `CORRIDOR_LOG_FORMAT=json`, filtered by
/// `RUST_LOG` (default `info`). Safe to call twice (the second call does nothing).
pub fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,tower_http=info"));
    let json = std::env::var("CORRIDOR_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Unix seconds now.
pub(crate) fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}
