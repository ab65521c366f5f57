//! Runbooks and the audit log in the console: the state their views draw.

/// What the console knows about guided recovery.
#[derive(Debug, Default)]
pub struct Recovery {
    /// `--read-only`: runbooks only preview; nothing acts.
    pub read_only: bool,
}
