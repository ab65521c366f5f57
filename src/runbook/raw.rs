//! `[[runbook]]` tables as written, and the checks that turn them into [`RunbookSpec`]s.
//!
//! Steps are written flat (`kind`, then the fields that kind takes) because that is how people
//! write TOML tables; every field a kind does not take is an error naming the field, so a
//! misplaced `url` on a `run-command` step is not silently ignored.

use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::spec::{
    BUILT_IN, CustomBody, CustomStep, DEFAULT_COMMAND_TIMEOUT, DEFAULT_THRESHOLD, DEFAULT_WAIT,
    HttpCall, Predicate, RunbookSpec, SecretHeader,
};

/// `[[runbook]]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRunbook {
    pub name: Spanned<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default, rename = "step")]
    pub steps: Vec<Spanned<RawStep>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawKind {
    Check,
    Action,
    Manual,
    Wait,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawPredicate {
    FingerprintsAgree,
    Present,
    BreakersClosed,
    FailureRatioBelow,
    Healthy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RawAction {
    WriteSecret,
    ResetBreakers,
    RunCommand,
    HttpRequest,
}

/// `[[runbook.step]]` as written: every field of every kind, checked in [`resolve_step`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    kind: RawKind,
    name: Option<String>,
    check: Option<RawPredicate>,
    until: Option<RawPredicate>,
    action: Option<RawAction>,
    service: Option<String>,
    threshold: Option<f64>,
    timeout: Option<String>,
    text: Option<String>,
    from: Option<String>,
    program: Option<String>,
    args: Option<Vec<String>>,
    method: Option<String>,
    url: Option<String>,
    body: Option<String>,
    expect_status: Option<u16>,
    secret_header: Option<String>,
}

impl RawStep {
    /// Names of the fields that are set, besides `kind` and `name`.
    fn set_fields(&self) -> Vec<&'static str> {
        [
            ("check", self.check.is_some()),
            ("until", self.until.is_some()),
            ("action", self.action.is_some()),
            ("service", self.service.is_some()),
            ("threshold", self.threshold.is_some()),
            ("timeout", self.timeout.is_some()),
            ("text", self.text.is_some()),
            ("from", self.from.is_some()),
            ("program", self.program.is_some()),
            ("args", self.args.is_some()),
            ("method", self.method.is_some()),
            ("url", self.url.is_some()),
            ("body", self.body.is_some()),
            ("expect_status", self.expect_status.is_some()),
            ("secret_header", self.secret_header.is_some()),
        ]
        .into_iter()
        .filter_map(|(n, set)| set.then_some(n))
        .collect()
    }
}

fn predicate(kind: RawPredicate, step: &RawStep) -> Result<Predicate, String> {
    let service = step.service.clone();
    Ok(match kind {
        RawPredicate::FingerprintsAgree => Predicate::FingerprintsAgree,
        RawPredicate::Present => Predicate::Present { service },
        RawPredicate::BreakersClosed => Predicate::BreakersClosed { service },
        RawPredicate::Healthy => Predicate::Healthy { service },
        RawPredicate::FailureRatioBelow => {
            let threshold = step.threshold.unwrap_or(DEFAULT_THRESHOLD);
            if !(threshold > 0.0 && threshold <= 1.0) {
                return Err(format!(
                    "threshold {threshold} is not a ratio; write e.g. 0.05 for 5%"
                ));
            }
            Predicate::FailureRatioBelow { threshold }
        }
    })
}

/// Which fields a predicate takes besides its own name.
fn predicate_fields(kind: RawPredicate) -> &'static [&'static str] {
    match kind {
        RawPredicate::FingerprintsAgree => &[],
        RawPredicate::FailureRatioBelow => &["threshold"],
        RawPredicate::Present | RawPredicate::BreakersClosed | RawPredicate::Healthy => {
            &["service"]
        }
    }
}

fn parse_timeout(text: Option<&String>, default: Duration) -> Result<Duration, String> {
    text.map_or(Ok(default), |t| {
        humantime::parse_duration(t)
            .map_err(|e| format!("timeout \"{t}\" is not a duration ({e}); write e.g. \"2m\""))
    })
}

/// Checks one step and turns it into its resolved form.
pub fn resolve_step(step: &RawStep) -> Result<CustomStep, String> {
    let (allowed, body): (Vec<&str>, CustomBody) = match step.kind {
        RawKind::Check => {
            let kind = step
                .check
                .ok_or("a check step needs `check = \"…\"` (e.g. \"fingerprints-agree\")")?;
            let mut allowed = vec!["check"];
            allowed.extend(predicate_fields(kind));
            (allowed, CustomBody::Check(predicate(kind, step)?))
        }
        RawKind::Wait => {
            let kind = step
                .until
                .ok_or("a wait step needs `until = \"…\"` (e.g. \"breakers-closed\")")?;
            let mut allowed = vec!["until", "timeout"];
            allowed.extend(predicate_fields(kind));
            let timeout = parse_timeout(step.timeout.as_ref(), DEFAULT_WAIT)?;
            (
                allowed,
                CustomBody::Wait {
                    until: predicate(kind, step)?,
                    timeout,
                },
            )
        }
        RawKind::Manual => {
            let text = step
                .text
                .as_deref()
                .map(crate::clean_text)
                .filter(|t| !t.trim().is_empty());
            let text = text.ok_or("a manual step needs `text`: what the operator does")?;
            (vec!["text"], CustomBody::Manual { text })
        }
        RawKind::Action => action(step)?,
    };
    if let Some(extra) = step.set_fields().into_iter().find(|f| !allowed.contains(f)) {
        return Err(format!(
            "`{extra}` does not apply to this {} step; it takes: {}",
            match step.kind {
                RawKind::Action => "action",
                RawKind::Check => "check",
                RawKind::Manual => "manual",
                RawKind::Wait => "wait",
            },
            allowed.join(", ")
        ));
    }
    Ok(CustomStep {
        name: step.name.as_deref().map(crate::clean_text),
        body,
    })
}

fn action(step: &RawStep) -> Result<(Vec<&'static str>, CustomBody), String> {
    let action = step.action.ok_or(
        "an action step needs `action`: write-secret, reset-breakers, run-command or http-request",
    )?;
    Ok(match action {
        RawAction::WriteSecret => {
            let from = step
                .from
                .clone()
                .ok_or("write-secret needs `from`: the service whose value is right")?;
            let service = step.service.clone();
            (
                vec!["action", "from", "service"],
                CustomBody::WriteSecret { from, service },
            )
        }
        RawAction::ResetBreakers => (
            vec!["action", "service"],
            CustomBody::ResetBreakers {
                service: step.service.clone(),
            },
        ),
        RawAction::RunCommand => {
            let program = step.program.clone().filter(|p| !p.trim().is_empty());
            let program = program.ok_or("run-command needs `program`")?;
            (
                vec!["action", "program", "args", "timeout"],
                CustomBody::RunCommand {
                    program,
                    args: step.args.clone().unwrap_or_default(),
                    timeout: parse_timeout(step.timeout.as_ref(), DEFAULT_COMMAND_TIMEOUT)?,
                },
            )
        }
        RawAction::HttpRequest => {
            let url = step.url.clone().ok_or("http-request needs `url`")?;
            let method = step
                .method
                .clone()
                .unwrap_or_else(|| "GET".into())
                .to_uppercase();
            if reqwest::Method::from_bytes(method.as_bytes()).is_err() {
                return Err(format!("method \"{method}\" is not an HTTP method"));
            }
            let probe = url.replace("{env}", "env");
            let parsed = reqwest::Url::parse(&probe)
                .map_err(|e| format!("url \"{url}\" is not a URL ({e})"))?;
            if !matches!(parsed.scheme(), "http" | "https") {
                return Err(format!("url \"{url}\" must start with http:// or https://"));
            }
            let secret = match (&step.secret_header, &step.from) {
                (Some(header), Some(from)) => {
                    if reqwest::header::HeaderName::from_bytes(header.as_bytes()).is_err() {
                        return Err(format!("secret_header \"{header}\" is not a header name"));
                    }
                    Some(SecretHeader {
                        header: header.clone(),
                        from: from.clone(),
                    })
                }
                (None, None) => None,
                _ => {
                    return Err(
                        "secret_header and from go together: the header, and the service whose \
                         value it carries"
                            .into(),
                    );
                }
            };
            (
                vec![
                    "action",
                    "method",
                    "url",
                    "body",
                    "expect_status",
                    "timeout",
                    "secret_header",
                    "from",
                ],
                CustomBody::HttpRequest(HttpCall {
                    method,
                    url,
                    body: step.body.clone(),
                    expect_status: step.expect_status.unwrap_or(200),
                    timeout: parse_timeout(
                        step.timeout.as_ref(),
                        crate::live::spec::DEFAULT_TIMEOUT,
                    )?,
                    secret,
                }),
            )
        }
    })
}

/// Checks an environment's `restart`; an error carries the byte offset it points at.
pub fn check_restart(
    restart: Option<&Spanned<super::spec::RestartSpec>>,
) -> Result<(), (usize, String)> {
    match restart {
        Some(r) if r.get_ref().program.trim().is_empty() => {
            Err((r.span().start, "restart.program is empty".into()))
        }
        _ => Ok(()),
    }
}

/// Checks every `[[runbook]]`; an error carries the byte offset it points at.
pub fn resolve_runbooks(
    raw: Vec<RawRunbook>,
    env_names: &[String],
) -> Result<Vec<RunbookSpec>, (usize, String)> {
    let mut out: Vec<RunbookSpec> = Vec::with_capacity(raw.len());
    for rb in raw {
        let at = rb.name.span().start;
        let name = rb.name.get_ref().trim().to_string();
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || crate::is_unsafe_char(c))
        {
            return Err((
                at,
                "runbook name is empty or has spaces; use e.g. \"restart-and-watch\"".into(),
            ));
        }
        if BUILT_IN.contains(&name.as_str()) {
            return Err((
                at,
                format!("runbook \"{name}\" is built in; give yours another name"),
            ));
        }
        if out.iter().any(|r| r.name == name) {
            return Err((
                at,
                format!("runbook \"{name}\" is defined twice; give each a unique name"),
            ));
        }
        if let Some(unknown) = rb.environments.iter().find(|e| !env_names.contains(e)) {
            return Err((
                at,
                format!(
                    "runbook \"{name}\": no environment \"{unknown}\"; it has: {}",
                    env_names.join(", ")
                ),
            ));
        }
        if rb.steps.is_empty() {
            return Err((at, format!("runbook \"{name}\" has no [[runbook.step]]")));
        }
        let mut steps = Vec::with_capacity(rb.steps.len());
        for (i, step) in rb.steps.iter().enumerate() {
            let step_at = step.span().start;
            steps.push(
                resolve_step(step.get_ref())
                    .map_err(|m| (step_at, format!("runbook \"{name}\" step {}: {m}", i + 1)))?,
            );
        }
        out.push(RunbookSpec {
            name,
            // Shown on a terminal: no escape sequences or direction overrides from a file.
            description: crate::clean_text(&rb.description),
            environments: rb.environments,
            steps,
        });
    }
    Ok(out)
}
