//! Starting, breaking, healing and stopping the fleet.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::demo::breaker::BreakerConfig;
use crate::demo::files::{self, Originals};
use crate::demo::{
    DemoError, ENVIRONMENTS, INVENTORY_FILE, Role, SECRET_VAR, SERVICES, consumer, env_file_rel,
    env_spec, inventory, validator, watch::watch_file,
};

/// What `secretops demo` was asked for.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Holds the env files, the key, the originals and the inventory; reused when it exists.
    pub workdir: PathBuf,
}

/// One running service instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceEndpoint {
    pub environment: &'static str,
    pub service: &'static str,
    pub role: Role,
    /// 1-based; only `backend` has a second instance.
    pub instance: usize,
    pub addr: SocketAddr,
}

impl ServiceEndpoint {
    /// `http://127.0.0.1:PORT`, to which paths like `/health` are appended.
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn label(&self) -> String {
        format!(
            "{}/{}#{} ({})",
            self.environment, self.service, self.instance, self.addr
        )
    }
}

/// A running fleet. Dropping it stops every task too; [`Fleet::shutdown`] also waits for them.
pub struct Fleet {
    pub workdir: PathBuf,
    pub inventory: PathBuf,
    endpoints: Vec<ServiceEndpoint>,
    originals: Originals,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
    probe: reqwest::Client,
    /// The local Secret Manager stand-in holding production's secret.
    secret_manager: Option<crate::sources::gcp::standin::StandIn>,
}

/// Project and secret names in the local Secret Manager stand-in.
pub const STANDIN_PROJECT: &str = "secretops-demo";
/// The production secret's name in the stand-in.
pub const STANDIN_SECRET: &str = "service-secret-production";
/// The environment whose validator reads the stand-in.
pub const STANDIN_ENVIRONMENT: &str = "production";

/// Binds a loopback listener on a free port: the demo is never reachable from the network.
async fn bind(what: String) -> Result<TcpListener, DemoError> {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|source| DemoError::Bind {
            service: what,
            source,
        })
}

fn local_addr(listener: &TcpListener, what: String) -> Result<SocketAddr, DemoError> {
    listener.local_addr().map_err(|source| DemoError::Bind {
        service: what,
        source,
    })
}

fn serve(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let shutdown = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let _ = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await;
    })
}

/// An HTTP client that never goes through a proxy: every target is on 127.0.0.1.
fn client(timeout: Duration) -> Result<reqwest::Client, DemoError> {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .map_err(DemoError::Client)
}

impl Fleet {
    /// Creates the workdir if needed (reusing existing env files and key, so a restarted demo
    /// keeps its values), starts every service and the traffic, and writes the inventory.
    ///
    /// # Errors
    /// A workdir file that cannot be read or written, a malformed `.demo-originals`, a failing
    /// random source, or a loopback port that cannot be bound.
    pub async fn start(opts: DemoOptions) -> Result<Fleet, DemoError> {
        let workdir = opts.workdir;
        let originals = files::prepare_workdir(&workdir)?;
        let (stop, stop_rx) = watch::channel(false);
        let mut fleet = Fleet {
            inventory: workdir.join(INVENTORY_FILE),
            workdir,
            endpoints: Vec::new(),
            originals,
            stop,
            tasks: Vec::new(),
            probe: client(Duration::from_millis(500))?,
            secret_manager: None,
        };
        // Production's secret lives in a (local) secret manager: an older version, then the
        // current value, so there is a history to restore from.
        let current = fleet
            .originals
            .get(STANDIN_ENVIRONMENT)
            .map(|v| secrecy::SecretString::from(v.secret.as_str()));
        let env = crate::demo::env_spec(STANDIN_ENVIRONMENT)?;
        let previous = files::random_value(env)?;
        let mut versions = vec![secrecy::SecretString::from(previous.as_str())];
        versions.extend(current);
        let standin =
            crate::sources::gcp::standin::start(STANDIN_PROJECT, STANDIN_SECRET, versions)
                .await
                .map_err(|e| DemoError::Bind {
                    service: "the Secret Manager stand-in".into(),
                    source: e,
                })?;
        let standin_endpoint = standin.endpoint.clone();
        fleet.secret_manager = Some(standin);
        for env in &ENVIRONMENTS {
            let mut verify_url = String::new();
            for svc in &SERVICES {
                let env_file = fleet.workdir.join(env_file_rel(env.name, svc.name));
                for instance in 1..=svc.instances {
                    let what = format!("{}/{}#{instance}", env.name, svc.name);
                    let listener = bind(what.clone()).await?;
                    let addr = local_addr(&listener, what)?;
                    // Each instance watches the file itself, as separate processes would.
                    let reads_standin =
                        env.name == STANDIN_ENVIRONMENT && svc.role == Role::Validator;
                    let (secret, watcher) = if reads_standin {
                        let mut cfg =
                            crate::sources::gcp::GcpConfig::new(STANDIN_PROJECT, STANDIN_SECRET);
                        cfg.endpoint = Some(standin_endpoint.clone());
                        cfg.anonymous = true;
                        cfg.timeout = Duration::from_secs(2);
                        crate::demo::watch::watch_secret_manager(cfg, stop_rx.clone())
                    } else {
                        watch_file(env_file.clone(), stop_rx.clone())
                    };
                    fleet.tasks.push(watcher);
                    let router = match svc.role {
                        Role::Validator => {
                            verify_url = format!("http://{addr}/auth/verify");
                            validator::router(secret)
                        }
                        Role::Consumer => {
                            let (router, traffic) = consumer::instance(
                                BreakerConfig::default(),
                                secret,
                                client(Duration::from_secs(2))?,
                                verify_url.clone(),
                                stop_rx.clone(),
                            );
                            fleet.tasks.push(tokio::spawn(traffic));
                            router
                        }
                    };
                    fleet.tasks.push(serve(listener, router, stop_rx.clone()));
                    fleet.endpoints.push(ServiceEndpoint {
                        environment: env.name,
                        service: svc.name,
                        role: svc.role,
                        instance,
                        addr,
                    });
                }
            }
        }
        inventory::write(&fleet.inventory, &fleet.endpoints, Some(&standin_endpoint))?;
        Ok(fleet)
    }

    /// Resolves once every service answers `/health` with 200, or fails at `timeout` naming the
    /// services still silent.
    ///
    /// # Errors
    /// [`DemoError::NotReady`] listing the services that did not answer in time.
    pub async fn wait_ready(&self, timeout: Duration) -> Result<(), DemoError> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut pending: Vec<&ServiceEndpoint> = self.endpoints.iter().collect();
        loop {
            let mut still = Vec::new();
            for e in pending {
                let url = format!("{}/health", e.base_url());
                let up =
                    matches!(self.probe.get(url).send().await, Ok(r) if r.status().is_success());
                if !up {
                    still.push(e);
                }
            }
            pending = still;
            if pending.is_empty() {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(DemoError::NotReady {
                    timeout,
                    pending: pending.iter().map(|e| e.label()).collect(),
                });
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Changes `env`'s backend secret in its file to a new random value: the classic mismatch
    /// after a partial rotation. Returns a one-line description (never the value).
    ///
    /// # Errors
    /// An unknown environment, or the env file cannot be read or replaced.
    pub fn break_mismatch(&self, env: &str) -> Result<String, DemoError> {
        let spec = env_spec(env)?;
        let value = files::random_value(spec)?;
        let rel = env_file_rel(spec.name, "backend");
        files::set_in_file(&self.workdir.join(&rel), SECRET_VAR, &value)?;
        Ok(format!(
            "{rel}: {SECRET_VAR} changed to a new random value; both backend instances reload it \
             within a second and their calls to auth-service get 403"
        ))
    }

    /// Empties `env`'s backend secret: a deploy that lost its variable.
    ///
    /// # Errors
    /// An unknown environment, or the env file cannot be read or replaced.
    pub fn break_missing(&self, env: &str) -> Result<String, DemoError> {
        let spec = env_spec(env)?;
        let rel = env_file_rel(spec.name, "backend");
        files::set_in_file(&self.workdir.join(&rel), SECRET_VAR, "")?;
        Ok(format!(
            "{rel}: {SECRET_VAR} emptied; both backend instances reload it within a second and \
             call auth-service without the header"
        ))
    }

    /// Restores every env file to the values the validators started with (kept in
    /// `.demo-originals`). Breakers recover by themselves via `HALF_OPEN`, or at once through
    /// the actuator's `CLOSE`.
    ///
    /// # Errors
    /// An env file cannot be read or replaced.
    pub fn heal(&self) -> Result<String, DemoError> {
        let changed = files::restore_all(&self.workdir, &self.originals)?;
        Ok(if changed.is_empty() {
            "nothing to heal: every env file already holds the validators' values".to_owned()
        } else {
            format!(
                "restored {} env file(s) to the validators' values: {}; breakers close via \
                 HALF_OPEN within about 5 s, or at once with the actuator's CLOSE",
                changed.len(),
                changed.join(", ")
            )
        })
    }

    /// Every listening address (all on 127.0.0.1).
    #[must_use]
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.endpoints.iter().map(|e| e.addr).collect()
    }

    /// Every running instance, in inventory order.
    #[must_use]
    pub fn endpoints(&self) -> &[ServiceEndpoint] {
        &self.endpoints
    }

    /// The instances of one service in one environment.
    #[must_use]
    pub fn instances(&self, env: &str, service: &str) -> Vec<&ServiceEndpoint> {
        self.endpoints
            .iter()
            .filter(|e| e.environment == env && e.service == service)
            .collect()
    }

    /// Stops traffic, watchers and servers, waiting up to 5 s for them to finish.
    pub async fn shutdown(mut self) {
        self.stop.send_replace(true);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        for mut task in std::mem::take(&mut self.tasks) {
            if tokio::time::timeout_at(deadline, &mut task).await.is_err() {
                task.abort();
            }
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.stop.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
