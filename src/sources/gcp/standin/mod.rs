//! A minimal Secret-Manager-compatible HTTP server for demos and offline tests.
//!
//! Why it exists: Google ships no Secret Manager emulator, and a demo of the console must run
//! without a cloud project. It holds one secret in memory and speaks the same REST + JSON the
//! official client sends (access, get, list, addVersion, enable, disable), with real CRC32C
//! checks and Google-style errors. It binds 127.0.0.1 only and never destroys versions.
//!
//! ```ignore
//! let stand_in = standin::start("demo", "db-password", vec![SecretString::from("v1")]).await?;
//! let mut cfg = GcpConfig::new("demo", "db-password");
//! cfg.endpoint = Some(stand_in.endpoint.clone());
//! cfg.anonymous = true; // the stand-in checks no credentials
//! let client = Client::new(&cfg).await?;
//! ```

mod routes;

use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use secrecy::{ExposeSecret as _, SecretString};
use tokio::sync::oneshot;
use zeroize::Zeroizing;

use super::VersionState;
use routes::Store;

/// A running stand-in. Dropping it (or [`StandIn::stop`]) shuts the server down.
#[derive(Debug)]
pub struct StandIn {
    /// `http://127.0.0.1:PORT`, for [`GcpConfig::endpoint`](super::GcpConfig::endpoint) (with `anonymous = true`).
    pub endpoint: String,
    store: Arc<Mutex<Store>>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// Starts a stand-in on 127.0.0.1 with versions `1..=n` holding `initial_values`, all ENABLED.
///
/// # Errors
/// When no loopback port can be bound.
pub async fn start(
    project: impl Into<String>,
    secret: impl Into<String>,
    initial_values: Vec<SecretString>,
) -> std::io::Result<StandIn> {
    let mut store = Store::new(project.into(), secret.into());
    for value in &initial_values {
        store.add(value.expose_secret().as_bytes().to_vec().into());
    }
    let store = Arc::new(Mutex::new(store));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .fallback(routes::handle)
        .with_state(Arc::clone(&store));
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async {
            let _ = rx.await;
        });
        // An accept error ends the demo server; callers see connection refused.
        let _ = serve.await;
    });
    Ok(StandIn {
        endpoint,
        store,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl StandIn {
    /// Stops accepting requests and waits for the server task to end.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Demo/test control: sets a version's state without going through the API (e.g. to show
    /// what the console does when `latest` is disabled). Returns false for an unknown number.
    #[must_use = "false means no such version"]
    pub fn set_state(&self, number: u64, state: VersionState) -> bool {
        let mut store = self.store.lock().unwrap_or_else(PoisonError::into_inner);
        match store.versions.iter_mut().find(|v| v.number == number) {
            Some(v) => {
                v.state = state;
                if state == VersionState::Destroyed {
                    v.data = Zeroizing::new(Vec::new());
                }
                true
            }
            None => false,
        }
    }

    /// Number of versions, whatever their state.
    #[must_use]
    pub fn version_count(&self) -> usize {
        self.store
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .versions
            .len()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
