//! Live signals: service health, circuit-breaker states and auth success/failure rates, read
//! from the services themselves or from Prometheus, next to the fingerprints.

pub mod auth;
pub mod breaker;
pub mod exposition;
pub mod findings;
pub mod health;
pub mod http;
pub mod poller;
pub mod rate;
pub mod spec;
pub mod state;
