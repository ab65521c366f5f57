//! Live glyphs and summaries shared by the views: a health dot and a breaker badge per
//! service, auth success rate with a sparkline per environment, and the rate chart.

use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Borders, Chart, Dataset, GraphType};

use crate::live::health::Health;
use crate::live::spec::BreakerState;
use crate::live::state::AuthTrack;
use crate::tui::app::App;

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `●` up, `●` (critical) down, `○` stale or not read yet, space when not configured.
pub fn health_glyph(app: &App, env: usize, service: usize) -> Span<'static> {
    let configured = app
        .inventory
        .environments
        .get(env)
        .and_then(|e| e.services.get(service))
        .is_some_and(|s| s.live.health.is_some());
    if !configured {
        return Span::raw(" ");
    }
    let now = Instant::now();
    let interval = app.live.interval(env, service);
    match app
        .live
        .service(env, service)
        .and_then(|s| s.health.as_ref())
    {
        None => Span::styled("○", app.theme.stale),
        // A failing check backs off for up to a minute; it stays red, not stale.
        Some(h) if h.value == Health::Up && h.is_stale(interval, now) => {
            Span::styled("○", app.theme.stale)
        }
        Some(h) => match h.value {
            Health::Up => Span::styled("●", app.theme.ok),
            Health::Down(_) | Health::Unreachable(_) => Span::styled("●", app.theme.critical),
        },
    }
}

/// The worst breaker state over every instance: `⊘` open, `◐` half open, `◯` closed.
pub fn breaker_glyph(app: &App, env: usize, service: usize) -> Span<'static> {
    let Some(live) = app.live.service(env, service) else {
        return Span::raw(" ");
    };
    if live.breakers.is_empty() {
        return Span::raw(" ");
    }
    let failed = live
        .breakers
        .iter()
        .any(|b| b.as_ref().is_none_or(|o| o.value.result.is_err()));
    match live.worst_breaker() {
        Some(BreakerState::Open | BreakerState::ForcedOpen) => {
            Span::styled("⊘", app.theme.critical)
        }
        Some(BreakerState::HalfOpen) => Span::styled("◐", app.theme.warning),
        Some(_) if !failed => Span::styled("◯", app.theme.ok),
        _ => Span::styled("?", app.theme.stale),
    }
}

/// A sparkline of the success ratio over the history (a gap where there was no traffic).
pub fn sparkline(track: &AuthTrack, width: usize) -> String {
    let points: Vec<Option<f64>> = track
        .history
        .iter()
        .map(|(_, r)| r.failure_ratio().map(|f| 1.0 - f))
        .collect();
    let start = points.len().saturating_sub(width);
    points[start..]
        .iter()
        .map(|p| match p {
            None => ' ',
            Some(v) => {
                #[allow(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "0..=7"
                )]
                let i = (v.clamp(0.0, 1.0) * 7.0).round() as usize;
                BARS[i.min(7)]
            }
        })
        .collect()
}

/// `98% 12.0/s ▇▇▆` for an environment, or why there is nothing to show.
pub fn auth_summary(app: &App, env: usize, width: usize) -> Vec<Span<'static>> {
    let Some(track) = app.live.env_auth(env) else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let now = Instant::now();
    let mut spans = Vec::new();
    let mut used = 0;
    let interval = app
        .inventory
        .environments
        .get(env)
        .and_then(|e| {
            e.live
                .auth
                .as_ref()
                .or_else(|| e.services.iter().find_map(|s| s.live.auth.as_ref()))
        })
        .and_then(|a| a.interval)
        .unwrap_or(crate::live::spec::DEFAULT_INTERVAL);
    let stale = track
        .current
        .as_ref()
        .is_some_and(|o| o.is_stale(interval, now));
    match track.current.as_ref().map(|o| &o.value) {
        Some(Err(_)) => {
            spans.push(Span::styled("auth ?", app.theme.critical));
            used += 6;
        }
        Some(Ok(None)) | None => {
            spans.push(Span::styled("auth …", app.theme.stale));
            used += 6;
        }
        Some(Ok(Some(r))) => {
            let text = match r.failure_ratio() {
                None => "no traffic".to_string(),
                Some(f) => format!("{:.0}% {:.1}/s", (1.0 - f) * 100.0, r.requests_per_s()),
            };
            let rate_style = match r.failure_ratio() {
                _ if stale => app.theme.stale,
                None => app.theme.muted,
                Some(f) if f >= crate::live::findings::FAILURE_CRITICAL => app.theme.critical,
                Some(f) if f >= crate::live::findings::FAILURE_WARN => app.theme.warning,
                Some(_) => app.theme.ok,
            };
            used += text.chars().count();
            spans.push(Span::styled(text, rate_style));
        }
    }
    let room = width.saturating_sub(used + 1);
    if room >= 3 {
        let line = sparkline(track, room);
        used += 1 + line.chars().count();
        spans.push(Span::raw(" "));
        spans.push(Span::styled(line, app.theme.muted));
    }
    spans.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    spans
}

/// One line per breaker instance of a service: instance, breaker, state, latency or error.
pub fn breaker_lines(app: &App, env: usize, service: usize, name: &str) -> Vec<Line<'static>> {
    let Some(live) = app.live.service(env, service) else {
        return Vec::new();
    };
    let urls = app
        .inventory
        .environments
        .get(env)
        .and_then(|e| e.services.get(service))
        .and_then(|s| s.live.breaker.as_ref())
        .map(|b| b.urls.clone())
        .unwrap_or_default();
    let mut lines = Vec::new();
    let now = Instant::now();
    let interval = app.live.interval(env, service);
    if let Some(h) = &live.health {
        let (text, style) = match &h.value {
            Health::Up => ("health up".to_string(), app.theme.ok),
            Health::Down(r) => (
                format!("health down: {}", crate::view_text(r, 50)),
                app.theme.critical,
            ),
            Health::Unreachable(r) => (
                format!("unreachable: {}", crate::view_text(r, 50)),
                app.theme.critical,
            ),
        };
        let mut spans = vec![
            Span::styled(format!("{name:<16} "), app.theme.text),
            Span::styled(text, style),
        ];
        if let Some(l) = h.latency {
            spans.push(Span::styled(
                format!("  {} ms", l.as_millis()),
                app.theme.muted,
            ));
        }
        if h.is_stale(interval, now) {
            spans.push(Span::styled(
                format!("  stale {}s", h.age(now).as_secs()),
                app.theme.stale,
            ));
        }
        lines.push(Line::from(spans));
    }
    for (i, slot) in live.breakers.iter().enumerate() {
        let age_note = slot
            .as_ref()
            .filter(|o| o.is_stale(interval, now))
            .map(|o| {
                Span::styled(
                    format!("  stale {}s", o.age(now).as_secs()),
                    app.theme.stale,
                )
            });
        let instance = urls
            .get(i)
            .map_or_else(String::new, |u| crate::live::breaker::instance_name(u));
        let head = Span::styled(format!("{name:<16} {instance:<22} "), app.theme.text);
        match slot.as_ref().map(|o| (&o.value.result, o.latency)) {
            None => lines.push(Line::from(vec![
                head,
                Span::styled("not read yet", app.theme.stale),
            ])),
            Some((Err(e), _)) => lines.push(Line::from(vec![
                head,
                Span::styled(crate::view_text(e, 60), app.theme.critical),
            ])),
            Some((Ok(list), latency)) => {
                for b in list {
                    let (text, style) = match b.state {
                        Some(s @ (BreakerState::Open | BreakerState::ForcedOpen)) => {
                            (s.as_str(), app.theme.critical)
                        }
                        Some(s @ BreakerState::HalfOpen) => (s.as_str(), app.theme.warning),
                        Some(s) => (s.as_str(), app.theme.ok),
                        None => ("UNKNOWN", app.theme.muted),
                    };
                    lines.push(Line::from(vec![
                        head.clone(),
                        Span::styled(
                            format!("{:<14} ", crate::view_text(&b.name, 14)),
                            app.theme.muted,
                        ),
                        Span::styled(format!("{text:<12}"), style),
                        Span::styled(
                            latency
                                .map(|l| format!("{} ms", l.as_millis()))
                                .unwrap_or_default(),
                            app.theme.muted,
                        ),
                        age_note.clone().unwrap_or_else(|| Span::raw("")),
                    ]));
                }
            }
        }
    }
    lines
}

/// A braille line chart of successes and failures per second over the history.
pub fn draw_rate_chart(frame: &mut Frame<'_>, app: &App, env: usize, area: Rect) {
    let Some(track) = app.live.env_auth(env) else {
        return;
    };
    let Some((first, _)) = track.history.front() else {
        return;
    };
    let secs =
        |t: &std::time::SystemTime| t.duration_since(*first).map_or(0.0, |d| d.as_secs_f64());
    let success: Vec<(f64, f64)> = track
        .history
        .iter()
        .map(|(t, r)| (secs(t), r.success_per_s))
        .collect();
    let failure: Vec<(f64, f64)> = track
        .history
        .iter()
        .map(|(t, r)| (secs(t), r.failure_per_s))
        .collect();
    let x_max = success.last().map_or(1.0, |p| p.0).max(1.0);
    let y_max = success
        .iter()
        .chain(failure.iter())
        .map(|p| p.1)
        .fold(1.0_f64, f64::max);
    let datasets = vec![
        Dataset::default()
            .name("success/s")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(app.theme.ok)
            .data(&success),
        Dataset::default()
            .name("failure/s")
            .marker(Marker::Braille)
            .graph_type(GraphType::Line)
            .style(app.theme.critical)
            .data(&failure),
    ];
    let chart = Chart::new(datasets)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(app.theme.border)
                .title(Span::styled(" auth rate, last 10 min ", app.theme.title)),
        )
        .x_axis(Axis::default().bounds([0.0, x_max]).style(Style::default()))
        .y_axis(
            Axis::default()
                .bounds([0.0, y_max * 1.1])
                .labels([Span::raw("0"), Span::raw(format!("{y_max:.0}/s"))])
                .style(app.theme.muted),
        );
    frame.render_widget(chart, area);
}
