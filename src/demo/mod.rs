//! The demo fleet behind `secretops demo`: real local services that reproduce a `SERVICE_SECRET`
//! outage on one machine, so the console can be tried (and tested) against live endpoints instead
//! of mocks.
//!
//! Per environment there is one validator (`auth-service`) and two consumers (`backend` with two
//! instances, `analytics` with one). Each consumer calls the validator through a circuit breaker
//! named `auth-service` that speaks the Resilience4j 2.x actuator dialect. Every service reads its
//! secret from its own env file and re-reads it when the file changes, as a restart would, so
//! breaking or healing a file is all it takes to stage or end the outage.

mod actuator;
mod breaker;
mod consumer;
mod error;
mod files;
mod fleet;
mod headless;
mod inventory;
mod metrics;
mod validator;
mod watch;

pub use breaker::{BreakerConfig, State as BreakerState};
pub use error::DemoError;
pub use fleet::{DemoOptions, Fleet, ServiceEndpoint};
pub use headless::{ready_line, run_headless, run_headless_with};

/// The variable the services compare.
pub const SECRET_VAR: &str = "SERVICE_SECRET";
/// A second secret in every env file, so the console's "related secrets" checks have something
/// to look at.
pub const RELATED_VAR: &str = "JWT_SECRET_KEY";
/// The header consumers send the secret in.
pub const SECRET_HEADER: &str = "X-Service-Secret";
/// The breaker name every consumer uses, as in the inventory's `names`.
pub const BREAKER_NAME: &str = "auth-service";
/// The inventory file name inside the workdir.
pub const INVENTORY_FILE: &str = "secretops.toml";
/// The fingerprint key file name inside the workdir.
pub const KEY_FILE: &str = "fingerprint.key";
/// Where the values the validators started with are kept, so `heal` works across restarts.
pub const ORIGINALS_FILE: &str = ".demo-originals";

/// One demo environment: its name (also its tier) and how its values look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvSpec {
    pub name: &'static str,
    /// A tier marker that is not one of the prefixes the product flags as non-live
    /// (`dev`, `test`, `local`), so only the staged outage shows up as a finding.
    pub prefix: &'static str,
    /// Total length including the prefix: above each tier's minimum in the product's policy.
    pub length: usize,
}

/// The environments, in display order.
pub const ENVIRONMENTS: [EnvSpec; 3] = [
    EnvSpec {
        name: "development",
        prefix: "dv-",
        length: 32,
    },
    EnvSpec {
        name: "staging",
        prefix: "st-",
        length: 48,
    },
    EnvSpec {
        name: "production",
        prefix: "pr-",
        length: 72,
    },
];

/// Whether a service checks the secret or sends it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Validator,
    Consumer,
}

/// One kind of service in every environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSpec {
    pub name: &'static str,
    pub role: Role,
    /// Consumers with several instances share one env file, like replicas of one deployment.
    pub instances: usize,
}

/// The services of every environment, validator first.
pub const SERVICES: [ServiceSpec; 3] = [
    ServiceSpec {
        name: "auth-service",
        role: Role::Validator,
        instances: 1,
    },
    ServiceSpec {
        name: "backend",
        role: Role::Consumer,
        instances: 2,
    },
    ServiceSpec {
        name: "analytics",
        role: Role::Consumer,
        instances: 1,
    },
];

/// The environment named `name`, or an error naming the valid ones.
pub(crate) fn env_spec(name: &str) -> Result<&'static EnvSpec, DemoError> {
    ENVIRONMENTS
        .iter()
        .find(|e| e.name == name)
        .ok_or_else(|| DemoError::UnknownEnvironment(name.to_owned()))
}

/// The env file of one service, relative to the workdir (the form the inventory uses).
pub(crate) fn env_file_rel(env: &str, service: &str) -> String {
    format!("{env}/{service}.env")
}
