//! Building and running the server: connect, migrate, bind, serve until a signal.

use std::net::SocketAddr;

use tokio::net::TcpListener;

use crate::{config::Config, db, http::build_router, service, state::AppState};

pub struct Application {
    state: AppState,
    listener: TcpListener,
}

impl Application {
    /// Connects and migrates the database and binds the address (port 0 picks a free one).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let (conn, statements) = db::connect(&config.database_url, config.database_max_connections).await?;
        db::migrate(&conn).await?;
        crate::service::audit::seal_heads(&conn, &config.audit_key).await?;
        let listener = TcpListener::bind(config.bind).await.map_err(|err| {
            let hint = if err.kind() == std::io::ErrorKind::AddrInUse {
                " (another server, perhaps a running `continuum`, is on it: stop it or pass --bind 127.0.0.1:8081)"
            } else {
                ""
            };
            anyhow::anyhow!("cannot listen on {}: {err}{hint}", config.bind)
        })?;
        Ok(Application { state: AppState::new(config, conn, statements), listener })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves on another clock (the tests move time).
    pub fn with_clock(mut self, clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        self.state = self.state.with_clock(clock);
        self
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Creates the first administrator when there is no staff yet, printing a generated
    /// password once.
    pub async fn bootstrap(&self) -> anyhow::Result<()> {
        match service::staff::bootstrap_admin(&self.state).await {
            Ok(Some((email, Some(password)))) => {
                println!("\nFirst start: created the administrator account.");
                println!("  email:    {email}");
                println!("  password: {password}");
                println!("This password is shown only once. Sign in and change it with `changePassword`.\n");
            }
            Ok(Some((email, None))) => {
                println!(
                    "First start: created the administrator {email} with the password from CONTINUUM_ADMIN_PASSWORD."
                );
            }
            Ok(None) => {}
            Err(err) => anyhow::bail!("could not create the first administrator: {err:?}"),
        }
        Ok(())
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes; then stops accepting, completes subscriptions, lets
    /// in-flight requests finish for at most the drain time, and returns.
    pub async fn run_until(self, stop: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let router = build_router(self.state.clone());
        tracing::info!(address = %self.listener.local_addr()?, "serving");
        let shutdown = self.state.shutdown.clone();
        let mut started = shutdown.subscribe();
        let mut drained = shutdown.subscribe();
        tokio::spawn(async move {
            stop.await;
            shutdown.send_replace(true);
        });
        // Responses go out as soon as they are written, not held back by Nagle's algorithm.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(err) = tcp.set_nodelay(true) {
                tracing::debug!(error = %err, "TCP_NODELAY could not be set");
            }
        });
        let server = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move {
                let _ = started.wait_for(|s| *s).await;
                tracing::info!("shutting down: no new connections, finishing requests in flight");
            });
        let drain = self.state.config.shutdown_drain;
        tokio::select! {
            served = server => served?,
            () = async move {
                let _ = drained.wait_for(|s| *s).await;
                tokio::time::sleep(drain).await;
            } => tracing::warn!(drain_secs = drain.as_secs(), "drain time over: exiting with requests still in flight"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
