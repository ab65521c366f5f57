//! One environment: every service with role, source, origin, full fingerprint, length and
//! status, then the environment's findings with their messages and locations.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, Wrap};

use super::{severity_style, truncate, truncate_left};
use crate::inventory::Tier;
use crate::snapshot::Status;
use crate::tui::app::App;

/// Draws environment `index`.
pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, index: usize) {
    let Some(env) = app.snapshot.environments.get(index) else {
        return;
    };
    let rows = u16::try_from(env.services.len()).unwrap_or(u16::MAX);
    let [table_area, findings_area] = Layout::vertical([
        Constraint::Length(rows.saturating_add(3).min(area.height.saturating_sub(4))),
        Constraint::Min(0),
    ])
    .areas(area);

    let table = services_table(app, env, table_area);
    frame.render_widget(table, table_area);
    if !app.has_live {
        draw_findings(frame, app, env, findings_area);
        return;
    }

    // Live: every instance's breakers, the auth rate chart, then the findings.
    let mut breaker_lines = Vec::new();
    for (si, svc) in env.services.iter().enumerate() {
        breaker_lines.extend(super::live::breaker_lines(app, index, si, &svc.name));
    }
    let has_chart = app
        .live
        .env_auth(index)
        .is_some_and(|t| !t.history.is_empty());
    let lines = u16::try_from(breaker_lines.len()).unwrap_or(u16::MAX);
    let breaker_height = if lines == 0 {
        0
    } else {
        lines.saturating_add(2).min(findings_area.height / 3)
    };
    let chart_height = if has_chart {
        (findings_area.height / 3).clamp(0, 12)
    } else {
        0
    };
    let [breakers_area, chart_area, rest] = Layout::vertical([
        Constraint::Length(breaker_height),
        Constraint::Length(chart_height),
        Constraint::Min(0),
    ])
    .areas(findings_area);
    if breaker_height > 0 {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(app.theme.border)
            .title(Span::styled(
                " health and breakers, per instance ",
                app.theme.title,
            ));
        frame.render_widget(Paragraph::new(breaker_lines).block(block), breakers_area);
    }
    if chart_height > 0 {
        super::live::draw_rate_chart(frame, app, index, chart_area);
    }
    draw_findings(frame, app, env, rest);
}

/// Column widths of the services table; text longer than its column is cut with `…`.
const COLUMNS: [Constraint; 7] = [
    Constraint::Length(16),
    Constraint::Length(9),
    Constraint::Length(8),
    Constraint::Length(12),
    Constraint::Length(4),
    Constraint::Fill(2),
    Constraint::Fill(1),
];

fn services_table<'a>(app: &'a App, env: &'a crate::snapshot::EnvState, area: Rect) -> Table<'a> {
    let inner = Rect::new(0, 0, area.width.saturating_sub(2), 1);
    let widths: Vec<usize> = Layout::horizontal(COLUMNS)
        .spacing(1)
        .split(inner)
        .iter()
        .map(|r| usize::from(r.width))
        .collect();
    let fit = |i: usize, text: &str| truncate(text, widths.get(i).copied().unwrap_or(0));
    let header = Row::new([
        "service",
        "role",
        "status",
        "fingerprint",
        "len",
        "origin",
        "source",
    ])
    .style(app.theme.header);
    let body: Vec<Row<'_>> = env
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let status_style = match s.status {
                Status::Present => app.theme.ok,
                Status::Loading => app.theme.stale,
                Status::Missing | Status::Error => app.theme.critical,
            };
            let fp_style = s.fingerprint.as_ref().map_or(app.theme.muted, |f| {
                let slot = app.fingerprint_slots.get(f.as_str()).copied().unwrap_or(0);
                app.theme
                    .text
                    .fg(app.theme.fingerprints[slot % app.theme.fingerprints.len()])
            });
            let origin = s
                .error
                .as_ref()
                .map(|e| s.error_location.clone().unwrap_or_else(|| e.clone()))
                .or_else(|| s.origin.clone())
                .unwrap_or_else(|| "-".into());
            let row = Row::new(vec![
                Cell::from(fit(0, &s.name)).style(app.theme.text),
                Cell::from(s.role.as_str()).style(app.theme.muted),
                Cell::from(s.status.as_str()).style(status_style),
                Cell::from(
                    s.fingerprint
                        .as_ref()
                        .map_or("-", |f| f.as_str())
                        .to_string(),
                )
                .style(fp_style),
                Cell::from(s.length.map_or_else(|| "-".into(), |l| l.to_string()))
                    .style(app.theme.text),
                Cell::from(truncate_left(&origin, widths.get(5).copied().unwrap_or(0)))
                    .style(app.theme.text),
                Cell::from(fit(6, &s.source)).style(app.theme.muted),
            ]);
            if i == app.env_row {
                row.style(app.theme.selected)
            } else {
                row
            }
        })
        .collect();
    let title_style = if env.tier == Tier::Production {
        app.theme.production
    } else {
        app.theme.title
    };
    Table::new(body, COLUMNS).header(header).block(
        Block::default()
            .borders(Borders::ALL)
            .border_style(app.theme.border)
            .title(Span::styled(
                format!(" {} ({}) ", env.name, env.tier),
                title_style,
            )),
    )
}

fn draw_findings(
    frame: &mut Frame<'_>,
    app: &App,
    env: &crate::snapshot::EnvState,
    findings_area: Rect,
) {
    let width = usize::from(findings_area.width.saturating_sub(4));
    let prefix = format!("{}/", env.name);
    let mut lines: Vec<Line<'_>> = Vec::new();
    if let Some(s) = env.services.get(app.env_row) {
        if let Some(e) = &s.error {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", s.name), app.theme.critical),
                Span::styled(e.clone(), app.theme.text),
            ]));
        }
        if let Some(d) = &s.detail {
            lines.push(Line::from(vec![
                Span::styled(format!("{}: ", s.name), app.theme.header),
                Span::styled(d.clone(), app.theme.text),
            ]));
        }
        for v in &s.versions {
            let fp_style = v.fingerprint.as_ref().map_or(app.theme.muted, |f| {
                let slot = app.fingerprint_slots.get(f.as_str()).copied().unwrap_or(0);
                app.theme
                    .text
                    .fg(app.theme.fingerprints[slot % app.theme.fingerprints.len()])
            });
            let state_style = if v.state == "ENABLED" {
                app.theme.ok
            } else {
                app.theme.muted
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  v{:<5} ", v.number), app.theme.text),
                Span::styled(format!("{:<10} ", v.state), state_style),
                Span::styled(
                    format!("{:<13}", v.fingerprint.as_ref().map_or("-", |f| f.as_str())),
                    fp_style,
                ),
                Span::styled(v.create_time.clone().unwrap_or_default(), app.theme.muted),
            ]));
        }
    }
    for f in app
        .findings
        .iter()
        .filter(|f| f.services.iter().any(|s| s.starts_with(&prefix)))
    {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{:<9}", f.severity.as_str()),
                severity_style(app, f.severity),
            ),
            Span::styled(f.id, app.theme.title),
            Span::styled(
                f.location
                    .as_ref()
                    .map(|l| format!("  at {l}"))
                    .unwrap_or_default(),
                app.theme.muted,
            ),
        ]));
        lines.push(Line::styled(
            format!("         {}", truncate(&f.message, width * 3)),
            app.theme.text,
        ));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no findings in this environment",
            app.theme.ok,
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(
            " selected service, then findings ",
            app.theme.title,
        ));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.scroll, 0)),
        findings_area,
    );
}
