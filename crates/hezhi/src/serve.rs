//! `hezhi serve`: the HTTP server, with graceful shutdown.

use crate::{backend, bootstrap, config::Config, seed};
use anyhow::Context;
use hezhi_app::{App, SystemClock};
use std::net::SocketAddr;
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
    // Connect info gives handlers the client's address, to count failed sign-ins and
    // tracking-code lookups by.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    sweeper.abort();
    let _ = sweeper.await;
    // Every request has finished; commit what is queued and stop.
    if let Ok(app) = Arc::try_unwrap(app) {
        app.shutdown().await;
    }
    eprintln!("stopped");
    Ok(())
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
