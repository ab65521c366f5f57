//! What a run works with, and fresh reads of one environment.
//!
//! Every check and every post-condition reads the sources and the live endpoints again at the
//! moment it runs; nothing is taken from a cache, because a step that "worked" against a stale
//! reading is exactly the failure this tool exists to catch.

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::fingerprint::{Fingerprint, FingerprintKey};
use crate::inventory::{Environment, Inventory};
use crate::live::state::LiveState;
use crate::redact::Redactor;
use crate::snapshot::{self, ServiceState};
use crate::sources::{self, LoadContext};

/// The value every service should end up with. Held in memory only, for the writes.
pub struct Truth {
    pub value: SecretString,
    pub fingerprint: Fingerprint,
    /// Where it came from (`auth-service`, for example).
    pub from: String,
}

/// Shared by every step of a run.
pub struct RunContext {
    pub inv: Arc<Inventory>,
    /// Index of the environment in the inventory.
    pub env: usize,
    pub key: Arc<FingerprintKey>,
    pub load: LoadContext,
    /// Time between the two scrapes that give an auth rate.
    pub window: Duration,
    pub client: reqwest::Client,
    pub redactor: Redactor,
    /// Source-of-truth values: one for emergency-restore, one per `from` in a custom runbook.
    pub truths: Vec<Truth>,
}

/// One service read now, its value kept (in a secret type) for the run's own use.
pub struct Read {
    pub state: ServiceState,
    pub value: Option<SecretString>,
}

/// Which live signals a check needs; the others are not polled, so a breaker check does not
/// wait for an auth rate window.
#[derive(Clone, Copy, Debug, Default)]
pub struct LiveNeeds {
    pub health: bool,
    pub breakers: bool,
    pub auth: bool,
}

impl RunContext {
    pub fn environment(&self) -> &Environment {
        &self.inv.environments[self.env]
    }

    /// Reads one service of the environment.
    pub async fn read_service(&self, service: usize) -> Option<Read> {
        read_service(&self.inv, self.env, service, &self.key, &self.load).await
    }

    /// Reads every service of the environment, all at once.
    pub async fn read_env(&self) -> Vec<Read> {
        let count = self.environment().services.len();
        let reads = (0..count).map(|i| self.read_service(i));
        futures::future::join_all(reads)
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    /// Polls the environment's live endpoints once (auth scrapes twice, `window` apart).
    ///
    /// The result is shaped like a one-environment inventory: environment index 0.
    pub async fn read_live(&self, needs: LiveNeeds) -> LiveState {
        let mut env = self.environment().clone();
        if !needs.auth {
            env.live.auth = None;
        }
        for s in &mut env.services {
            if !needs.health {
                s.live.health = None;
            }
            if !needs.breakers {
                s.live.breaker = None;
            }
            if !needs.auth {
                s.live.auth = None;
            }
        }
        let mut one = (*self.inv).clone();
        one.environments = vec![env];
        one.runbooks = Vec::new();
        let one = Arc::new(one);
        crate::live::poller::read_once(&one, &self.load, self.window).await
    }

    /// The truth taken from `from`; with `None`, the only truth of the run.
    pub fn truth(&self, from: Option<&str>) -> Option<&Truth> {
        match from {
            Some(f) => self.truths.iter().find(|t| t.from == f),
            None if self.truths.len() == 1 => self.truths.first(),
            None => None,
        }
    }

    /// The index of a service of the environment, by name.
    pub fn service_index(&self, name: &str) -> Option<usize> {
        self.environment()
            .services
            .iter()
            .position(|s| s.name == name)
    }

    /// An error for a service name the environment does not have, listing the ones it has.
    pub fn unknown_service(&self, name: &str) -> String {
        let names: Vec<&str> = self
            .environment()
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        format!(
            "{} has no service \"{name}\"; it has: {}",
            self.environment().name,
            names.join(", ")
        )
    }
}

/// Reads one service and keeps its value next to its assessed state.
pub async fn read_service(
    inv: &Inventory,
    env: usize,
    service: usize,
    key: &FingerprintKey,
    ctx: &LoadContext,
) -> Option<Read> {
    let e = inv.environments.get(env)?;
    let svc = e.services.get(service)?;
    let state = ServiceState::loading(
        &e.name,
        &svc.name,
        svc.role,
        svc.source.describe(&inv.base_dir),
    );
    let reading = sources::read(&svc.source, ctx).await;
    let value = reading.as_ref().ok().and_then(|r| r.value.clone());
    let state = snapshot::assess(state, reading, key, &inv.base_dir);
    Some(Read { state, value })
}

/// Every value the inventory can read, in every environment (related secrets included), for
/// the redactor: command output must not show any of them, whichever environment it is from.
pub async fn known_values(inv: &Inventory, key: &FingerprintKey, ctx: &LoadContext) -> Redactor {
    let mut reads = Vec::new();
    for e in &inv.environments {
        for s in &e.services {
            reads.push(sources::read(&s.source, ctx));
        }
    }
    let mut redactor = Redactor::new();
    for reading in futures::future::join_all(reads).await.into_iter().flatten() {
        if let Some(v) = &reading.value {
            redactor.add(v, key);
        }
        for (_, v) in &reading.related {
            redactor.add(v, key);
        }
    }
    redactor
}
