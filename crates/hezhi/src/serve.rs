//! `hezhi serve`: the HTTP server, with graceful shutdown.

use crate::{backend, bootstrap, config::Config, seed};
use anyhow::Context;
use hezhi_app::{App, SystemClock};
use std::sync::Arc;

pub async fn run(config: &Config, demo: bool) -> anyhow::Result<()> {
    let (store, key_source) = backend::open_with_key_source(config).await?;
    let seed_demo = demo && store.count_cases_and_events().await?.0 == 0;
    // The administrators of a demo database belong to the demo's province.
    let province = if seed_demo { seed::province()? } else { None };
    bootstrap::administrators(&store, config, province).await?;
    if seed_demo {
        let summary = seed::demo(Arc::clone(&store), config).await?;
        eprint!("{summary}");
    }
    let app = Arc::new(
        App::new(store, Arc::new(SystemClock))
            .with_calendar(config.working_calendar()?)
            .with_sign_in_policy(config.sign_in_policy())
            .with_sms_sender(config.sms_sender()?),
    );
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let address = listener.local_addr()?;
    eprintln!(
        "Hezhi 和治 is listening on http://{address} ({})",
        backend::describe(config)
    );
    eprintln!("  health:  http://{address}/healthz");
    eprintln!(
        "  personal data: encrypted at rest; master key from {key_source} (back it up apart from the database)"
    );
    eprintln!("  web:     http://{address}/   (staff sign in with name and password)");
    eprintln!("  API:     http://{address}/api/v1/openapi.json");
    eprintln!(
        "  sign in: POST http://{address}/api/v1/session {{\"name\", \"password\", \"totp\"?}}   (a session cookie; send X-CSRF-Token with writes)"
    );
    eprintln!(
        "  residents: POST http://{address}/api/v1/resident/code {{\"phone\"}}, then /api/v1/resident/session {{\"phone\", \"code\"}}   (SMS sender: {})",
        config.sms_sender
    );
    eprintln!(
        "  a token: hezhi user add NAME --role dispatcher --region CODE   (printed once; send it as `Authorization: Bearer TOKEN`)"
    );
    if demo {
        eprintln!(
            "  demo users, tokens and demo passwords: {}",
            seed::tokens_path(config).display()
        );
    }
    // The deadline sweeper: warnings, overdue notices and escalations, once a minute.
    let sweeper = {
        let app = Arc::clone(&app);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                if let Err(error) = app.sweep_deadlines(SWEEP_BATCH).await {
                    tracing::warn!(%error, "deadline sweep failed; retried next minute");
                }
            }
        })
    };
    let years = app.calendar_years();
    eprintln!(
        "  deadlines: swept every minute; working days counted for {}–{} (for a later year put its holidays in {})",
        years.first().copied().unwrap_or_default(),
        years.last().copied().unwrap_or_default(),
        config.data_dir.join("china-holidays.csv").display()
    );
    let router = hezhi_web::router_with(Arc::clone(&app), config.web_settings());
    serve_connections(
        listener,
        router,
        std::time::Duration::from_secs(u64::from(config.header_timeout_seconds)),
        shutdown_signal(),
    )
    .await;
    sweeper.abort();
    let _ = sweeper.await;
    // Every request has finished; commit what is queued and stop.
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    eprintln!("stopped");
    Ok(())
}

/// Serves HTTP/1.1 on `listener` until `shutdown`, then stops accepting and waits for the
/// connections' requests in flight to finish.
///
/// Each request carries the client's address (`ConnectInfo`), by which sign-ins and
/// submissions are counted. A client gets `header_timeout` to send a request's headers, the
/// first and every next one on a kept-alive connection: a client that never finishes them
/// (slowloris) is cut off instead of holding a connection for ever. The body is read inside
/// the handler, under the request time limit.
async fn serve_connections(
    listener: tokio::net::TcpListener,
    router: axum::Router,
    header_timeout: std::time::Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use tower::ServiceExt as _;
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout)
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a moment rather than spin.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service =
            router
                .clone()
                .map_request(move |request: hyper::Request<hyper::body::Incoming>| {
                    let mut request = request.map(axum::body::Body::new);
                    request
                        .extensions_mut()
                        .insert(axum::extract::ConnectInfo(peer));
                    request
                });
        let connection = http.serve_connection(
            TokioIo::new(stream),
            hyper_util::service::TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// How many cases one sweep pass looks at; the rest wait for the next minute.
const SWEEP_BATCH: u32 = 2_000;

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
