//! Checking predicates against the environment as it is now.
//!
//! A predicate that has nothing to measure (no breaker configured, no auth rate, no traffic)
//! does not hold: "no evidence of a problem" is not evidence of recovery.

use super::context::{LiveNeeds, RunContext};
use super::spec::Predicate;
use crate::live::health::Health;
use crate::live::spec::BreakerState;
use crate::live::state::LiveState;
use crate::snapshot::Status;

/// Whether a predicate holds, and what was seen, line by line.
#[derive(Clone, Debug, PartialEq)]
pub struct Judgement {
    pub ok: bool,
    pub lines: Vec<String>,
}

fn needs(preds: &[Predicate]) -> (bool, LiveNeeds) {
    let mut sources = false;
    let mut live = LiveNeeds::default();
    for p in preds {
        match p {
            Predicate::FingerprintsAgree | Predicate::Present { .. } => sources = true,
            Predicate::BreakersClosed { .. } => live.breakers = true,
            Predicate::FailureRatioBelow { .. } => live.auth = true,
            Predicate::Healthy { .. } => live.health = true,
        }
    }
    (sources, live)
}

/// Judges every predicate, reading the sources and the live endpoints once for all of them.
pub async fn judge(preds: &[Predicate], rc: &RunContext) -> Vec<Judgement> {
    let (sources, live_needs) = needs(preds);
    let reads = if sources {
        rc.read_env().await
    } else {
        Vec::new()
    };
    let live = if live_needs.breakers || live_needs.auth || live_needs.health {
        Some(rc.read_live(live_needs).await)
    } else {
        None
    };
    let live = live.unwrap_or_default();
    preds
        .iter()
        .map(|p| match p {
            Predicate::FingerprintsAgree => agree(&reads, rc),
            Predicate::Present { service } => present(&reads, service.as_deref(), rc),
            _ => judge_live(p, &live, rc),
        })
        .collect()
}

/// Judges a live predicate against a reading already made (environment index 0).
pub fn judge_live(pred: &Predicate, live: &LiveState, rc: &RunContext) -> Judgement {
    match pred {
        Predicate::BreakersClosed { service } => breakers(live, service.as_deref(), rc),
        Predicate::FailureRatioBelow { threshold } => ratio(live, *threshold, rc),
        Predicate::Healthy { service } => healthy(live, service.as_deref(), rc),
        Predicate::FingerprintsAgree | Predicate::Present { .. } => Judgement {
            ok: false,
            lines: vec![format!("{} is not a live signal", pred.describe())],
        },
    }
}

fn service_line(s: &crate::snapshot::ServiceState) -> String {
    match (&s.status, &s.fingerprint) {
        (Status::Present, Some(fp)) => format!("{} {}", s.name, fp),
        (Status::Error, _) => format!(
            "{} cannot be read: {}",
            s.name,
            s.error.as_deref().unwrap_or("unknown error")
        ),
        (status, _) => format!("{} {}", s.name, status.as_str()),
    }
}

fn agree(reads: &[super::context::Read], rc: &RunContext) -> Judgement {
    let mut lines: Vec<String> = reads.iter().map(|r| service_line(&r.state)).collect();
    let fps: Vec<_> = reads.iter().map(|r| r.state.fingerprint.as_ref()).collect();
    let all_present = fps.iter().all(Option::is_some);
    let first = fps.first().copied().flatten();
    let same = all_present && fps.iter().all(|f| *f == first);
    let truth_ok = match (rc.truth(None), first) {
        (Some(t), Some(f)) if same => {
            let ok = t.fingerprint == *f;
            if !ok {
                lines.push(format!(
                    "they agree on {f}, but the source of truth ({}) is {}",
                    t.from, t.fingerprint
                ));
            }
            ok
        }
        _ => true,
    };
    Judgement {
        ok: same && truth_ok,
        lines,
    }
}

fn present(reads: &[super::context::Read], service: Option<&str>, rc: &RunContext) -> Judgement {
    let chosen: Vec<_> = reads
        .iter()
        .filter(|r| service.is_none_or(|s| r.state.name == s))
        .collect();
    if chosen.is_empty() {
        return Judgement {
            ok: false,
            lines: vec![rc.unknown_service(service.unwrap_or(""))],
        };
    }
    Judgement {
        ok: chosen.iter().all(|r| r.state.status == Status::Present),
        lines: chosen.iter().map(|r| service_line(&r.state)).collect(),
    }
}

fn breakers(live: &LiveState, service: Option<&str>, rc: &RunContext) -> Judgement {
    let env = rc.environment();
    let mut lines = Vec::new();
    let mut ok = true;
    let mut any = false;
    for (si, svc) in env.services.iter().enumerate() {
        if service.is_some_and(|s| s != svc.name) || svc.live.breaker.is_none() {
            continue;
        }
        any = true;
        let slots = live
            .service(0, si)
            .map_or(&[][..], |s| s.breakers.as_slice());
        for (i, slot) in slots.iter().enumerate() {
            let url = svc
                .live
                .breaker
                .as_ref()
                .and_then(|b| b.urls.get(i))
                .map_or_else(String::new, |u| crate::live::breaker::instance_name(u));
            match slot.as_ref().map(|o| &o.value.result) {
                None => {
                    ok = false;
                    lines.push(format!("{} {url}: not read", svc.name));
                }
                Some(Err(e)) => {
                    ok = false;
                    lines.push(format!("{} {url}: {e}", svc.name));
                }
                Some(Ok(list)) if list.is_empty() => {
                    ok = false;
                    lines.push(format!("{} {url}: no breaker reported", svc.name));
                }
                Some(Ok(list)) => {
                    for b in list {
                        let state = b.state.map_or("state unknown", BreakerState::as_str);
                        ok &= b.state.is_some_and(|s| s.rank() == 0);
                        lines.push(format!("{} {url} {}: {state}", svc.name, b.name));
                    }
                }
            }
        }
    }
    if !any {
        let whose = service.map_or_else(|| env.name.clone(), str::to_string);
        return Judgement {
            ok: false,
            lines: vec![format!(
                "{whose} has no breaker configured (breaker = {{ kind, urls }}); nothing to check"
            )],
        };
    }
    Judgement { ok, lines }
}

fn ratio(live: &LiveState, threshold: f64, rc: &RunContext) -> Judgement {
    let env = &rc.environment().name;
    let fail = |line: String| Judgement {
        ok: false,
        lines: vec![line],
    };
    let Some(track) = live.env_auth(0) else {
        return fail(format!(
            "{env} has no auth rate configured (auth = {{ kind, url, success, failure }})"
        ));
    };
    match track.current.as_ref().map(|o| &o.value) {
        None | Some(Ok(None)) => fail("no auth rate yet (a first scrape)".into()),
        Some(Err(e)) => fail(format!("auth rate unavailable: {e}")),
        Some(Ok(Some(rates))) => match rates.failure_ratio() {
            None => fail(format!(
                "no authentication traffic in the last {}; nothing shows recovery yet",
                humantime::format_duration(rc.window)
            )),
            Some(r) => Judgement {
                ok: r < threshold,
                lines: vec![format!(
                    "auth failure ratio {:.1}% ({:.1}/s failing, {:.1}/s succeeding); \
                     threshold {:.0}%",
                    r * 100.0,
                    rates.failure_per_s,
                    rates.success_per_s,
                    threshold * 100.0
                )],
            },
        },
    }
}

fn healthy(live: &LiveState, service: Option<&str>, rc: &RunContext) -> Judgement {
    let env = rc.environment();
    let mut lines = Vec::new();
    let mut ok = true;
    let mut any = false;
    for (si, svc) in env.services.iter().enumerate() {
        if service.is_some_and(|s| s != svc.name) || svc.live.health.is_none() {
            continue;
        }
        any = true;
        match live.service(0, si).and_then(|s| s.health.as_ref()) {
            Some(h) if h.value == Health::Up => lines.push(format!("{} up", svc.name)),
            Some(h) => {
                ok = false;
                let why = match &h.value {
                    Health::Down(r) | Health::Unreachable(r) => r.as_str(),
                    Health::Up => "",
                };
                lines.push(format!("{} down: {why}", svc.name));
            }
            None => {
                ok = false;
                lines.push(format!("{} not read", svc.name));
            }
        }
    }
    if !any {
        let whose = service.map_or_else(|| env.name.clone(), str::to_string);
        return Judgement {
            ok: false,
            lines: vec![format!(
                "{whose} has no health URL configured; nothing to check"
            )],
        };
    }
    Judgement { ok, lines }
}
