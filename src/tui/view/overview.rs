//! The overview: one matrix of services by environments, and the most severe findings.
//!
//! Each cell shows the first 8 hex digits of the fingerprint, coloured so equal fingerprints
//! share a colour, and a marker: ✓ agrees with the validator, ✗ mismatch, ∅ missing, ! error,
//! ⚠ weak (weak value, too short, equals a related secret), … loading.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::{severity_style, truncate};
use crate::findings::{Severity, ids};
use crate::inventory::Tier;
use crate::snapshot::Status;
use crate::tui::app::{App, Mode, Pane};

/// Where the matrix's parts are on screen.
struct Geometry {
    matrix: Rect,
    findings: Rect,
    label_width: u16,
    column_width: u16,
}

const HEADER_ROWS: u16 = 2;

/// Width of the finding-counts column of a transposed matrix.
const COUNTS_WIDTH: u16 = 12;
/// Width of the auth column of a transposed matrix (with live signals).
const AUTH_WIDTH: u16 = 22;

fn header_rows(app: &App) -> u16 {
    HEADER_ROWS + u16::from(app.has_live && !app.transposed())
}

fn geometry(app: &App, body: Rect) -> Geometry {
    let rows = if app.transposed() {
        app.snapshot.environments.len()
    } else {
        app.service_names.len()
    };
    let rows = u16::try_from(rows).unwrap_or(u16::MAX);
    let wanted = rows.saturating_add(header_rows(app) + 2);
    let max_matrix = body.height.saturating_sub(5).max(header_rows(app) + 3);
    let [matrix, findings] = Layout::vertical([
        Constraint::Length(wanted.min(max_matrix)),
        Constraint::Min(0),
    ])
    .areas(body);
    let columns = if app.transposed() {
        app.service_names.len()
    } else {
        app.snapshot.environments.len()
    }
    .max(1);
    let inner = matrix.width.saturating_sub(2);
    let label_width = (inner / 4).clamp(10, 20);
    // Transposed, each environment row ends with its finding counts.
    let counts = match (app.transposed(), app.has_live) {
        (true, true) => COUNTS_WIDTH + AUTH_WIDTH,
        (true, false) => COUNTS_WIDTH,
        _ => 0,
    };
    let per =
        inner.saturating_sub(label_width + counts) / u16::try_from(columns).unwrap_or(1).max(1);
    Geometry {
        matrix,
        findings,
        label_width,
        column_width: per.clamp(4, 24),
    }
}

/// The part of the matrix that fits: (first row, rows shown, first column, columns shown),
/// scrolled so the selected cell is always on screen. Only this part is built, so a fleet of
/// a thousand services costs no more to draw than one screenful.
fn window(app: &App, g: &Geometry) -> (usize, usize, usize, usize) {
    let (rows, columns, sel_row, sel_col) = if app.transposed() {
        (
            app.snapshot.environments.len(),
            app.service_names.len(),
            app.cell.1,
            app.cell.0,
        )
    } else {
        (
            app.service_names.len(),
            app.snapshot.environments.len(),
            app.cell.0,
            app.cell.1,
        )
    };
    let shown_rows = usize::from(g.matrix.height.saturating_sub(2 + header_rows(app))).max(1);
    let extra = match (app.transposed(), app.has_live) {
        (true, true) => COUNTS_WIDTH + AUTH_WIDTH,
        (true, false) => COUNTS_WIDTH,
        _ => 0,
    };
    let room = g.matrix.width.saturating_sub(2 + g.label_width + extra);
    let shown_cols = usize::from(room / g.column_width.max(1)).max(1);
    let row_off = sel_row
        .saturating_sub(shown_rows - 1)
        .min(rows.saturating_sub(shown_rows));
    let col_off = sel_col
        .saturating_sub(shown_cols - 1)
        .min(columns.saturating_sub(shown_cols));
    (
        row_off,
        shown_rows.min(rows),
        col_off,
        shown_cols.min(columns),
    )
}

/// The matrix cell under a mouse position, as (service index, environment index).
pub fn hit(app: &App, column: u16, row: u16) -> Option<(usize, usize)> {
    let input = u16::from(app.mode != Mode::Normal);
    let body = Rect::new(0, 1, app.size.0, app.size.1.saturating_sub(2 + input));
    let g = geometry(app, body);
    let first_row = g.matrix.y + 1 + header_rows(app);
    let first_col = g.matrix.x + 1 + g.label_width;
    if row < first_row || column < first_col || row >= g.matrix.bottom().saturating_sub(1) {
        return None;
    }
    let (row_off, _, col_off, _) = window(app, &g);
    let r = usize::from(row - first_row) + row_off;
    let c = usize::from((column - first_col) / g.column_width.max(1)) + col_off;
    let (service, env) = if app.transposed() { (c, r) } else { (r, c) };
    (service < app.service_names.len() && env < app.snapshot.environments.len())
        .then_some((service, env))
}

/// Draws the matrix and the findings pane.
pub fn draw(frame: &mut Frame<'_>, app: &App, body: Rect) {
    let g = geometry(app, body);
    draw_matrix(frame, app, &g);
    draw_findings(frame, app, g.findings);
}

fn cell_spans(app: &App, service: usize, env: usize, width: usize) -> Vec<Span<'static>> {
    let state = app.cell_state(service, env);
    let live = app.cell_index(service, env).map(|si| {
        (
            super::live::health_glyph(app, env, si),
            super::live::breaker_glyph(app, env, si),
        )
    });
    let Some(s) = state else {
        return vec![Span::styled(format!("{:<width$}", "·"), app.theme.muted)];
    };
    let id = s.id();
    let has = |wanted: &[&str]| app.findings_for(&id).any(|f| wanted.contains(&f.id));
    let (text, marker, style) = match s.status {
        Status::Loading => ("loading".to_string(), "…", app.theme.stale),
        Status::Error => ("error".to_string(), "!", app.theme.critical),
        Status::Missing => ("missing".to_string(), "∅", app.theme.critical),
        Status::Present => {
            let fp = s
                .fingerprint
                .as_ref()
                .map_or("", |f| f.short(8))
                .to_string();
            let slot = s
                .fingerprint
                .as_ref()
                .and_then(|f| app.fingerprint_slots.get(f.as_str()))
                .copied()
                .unwrap_or(0);
            let color = app.theme.fingerprints[slot % app.theme.fingerprints.len()];
            // ✓ only when there is a validator to agree with.
            let reference = s.role == crate::inventory::Role::Validator
                || app.snapshot.environments.get(env).is_some_and(|e| {
                    e.services.iter().any(|v| {
                        v.role == crate::inventory::Role::Validator && v.status == Status::Present
                    })
                });
            let marker = if has(&[ids::MISMATCH]) {
                "✗"
            } else if has(&[ids::WEAK_VALUE, ids::TOO_SHORT, ids::EQUALS_RELATED_SECRET]) {
                "⚠"
            } else if reference {
                "✓"
            } else {
                "?"
            };
            (fp, marker, app.theme.text.fg(color))
        }
    };
    let marker_style = match marker {
        "✓" => app.theme.ok,
        "⚠" => app.theme.warning,
        "…" | "?" => app.theme.stale,
        _ => app.theme.critical,
    };
    let glyphs = if app.has_live { 2 } else { 0 };
    let text = truncate(&text, width.saturating_sub(3 + glyphs));
    let pad = width.saturating_sub(text.chars().count() + 2 + glyphs);
    let mut spans = vec![
        Span::styled(text, style),
        Span::raw(" "),
        Span::styled(marker.to_string(), marker_style),
    ];
    if app.has_live {
        let (health, breaker) = live.unwrap_or((Span::raw(" "), Span::raw(" ")));
        spans.push(health);
        spans.push(breaker);
    }
    spans.push(Span::raw(" ".repeat(pad)));
    spans
}

fn env_counts(app: &App, env: &str) -> Vec<(Severity, usize)> {
    let prefix = format!("{env}/");
    [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ]
    .into_iter()
    .map(|sev| {
        let n = app
            .findings
            .iter()
            .filter(|f| f.severity == sev && f.services.iter().any(|s| s.starts_with(&prefix)))
            .count();
        (sev, n)
    })
    .filter(|(_, n)| *n > 0)
    .collect()
}

fn env_header(app: &App, env: usize, width: usize) -> (Span<'static>, Vec<Span<'static>>) {
    let Some(e) = app.snapshot.environments.get(env) else {
        return (Span::raw(" ".repeat(width)), vec![]);
    };
    let style = if e.tier == Tier::Production {
        app.theme.production
    } else {
        app.theme.header
    };
    let name = Span::styled(
        format!("{:<width$}", truncate(&e.name, width.saturating_sub(1))),
        style,
    );
    let mut counts = vec![Span::styled(
        truncate(&format!("{} ", short_tier(e.tier)), width),
        app.theme.muted,
    )];
    let used = short_tier(e.tier).len() + 1;
    counts.extend(count_spans(app, env, width.saturating_sub(used)));
    (name, counts)
}

/// The environment's findings counted by severity (`2C 1H`), or `ok`, padded to `width`.
fn count_spans(app: &App, env: usize, width: usize) -> Vec<Span<'static>> {
    let Some(e) = app.snapshot.environments.get(env) else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let mut counts = Vec::new();
    let mut used = 0;
    let counts_list = env_counts(app, &e.name);
    if counts_list.is_empty() && e.services.iter().all(|s| s.status != Status::Loading) {
        counts.push(Span::styled("ok", app.theme.ok));
        used += 2;
    }
    for (sev, n) in counts_list {
        let label = format!(
            "{n}{} ",
            sev.as_str()
                .chars()
                .next()
                .unwrap_or('?')
                .to_ascii_uppercase()
        );
        if used + label.len() > width {
            break;
        }
        used += label.len();
        counts.push(Span::styled(label, severity_style(app, sev)));
    }
    counts.push(Span::raw(" ".repeat(width.saturating_sub(used))));
    counts
}

fn short_tier(t: Tier) -> &'static str {
    match t {
        Tier::Development => "dev",
        Tier::Test => "test",
        Tier::Staging => "stage",
        Tier::Production => "PROD",
    }
}

/// The matrix header: column titles, then (environments as columns) each one's tier and
/// finding counts, and with live signals its auth rate.
fn header_lines(app: &App, lw: usize, cw: usize, g: &Geometry) -> Vec<Line<'static>> {
    let transposed = app.transposed();
    let (_, _, col_off, shown_cols) = window(app, g);
    let mut lines: Vec<Line<'static>> = Vec::new();

    // Header: two lines, column titles and (for environments) their tier and finding counts.
    let mut top = vec![Span::styled(
        format!(
            "{:<lw$}",
            if transposed { "environment" } else { "service" }
        ),
        app.theme.muted,
    )];
    let mut second = vec![Span::raw(" ".repeat(lw))];
    if transposed {
        for name in app.service_names.iter().skip(col_off).take(shown_cols) {
            top.push(Span::styled(
                format!("{:<cw$}", truncate(name, cw.saturating_sub(1))),
                app.theme.header,
            ));
        }
        top.push(Span::styled(format!("{:<12}", "findings"), app.theme.muted));
        if app.has_live {
            top.push(Span::styled("auth", app.theme.muted));
        }
    } else {
        for env in (0..app.snapshot.environments.len())
            .skip(col_off)
            .take(shown_cols)
        {
            let (name, counts) = env_header(app, env, cw);
            top.push(name);
            second.extend(counts);
        }
    }
    lines.push(Line::from(top));
    lines.push(Line::from(second));
    if app.has_live && !transposed {
        let mut third = vec![Span::raw(" ".repeat(lw))];
        for env in (0..app.snapshot.environments.len())
            .skip(col_off)
            .take(shown_cols)
        {
            third.extend(super::live::auth_summary(app, env, cw));
        }
        lines.push(Line::from(third));
    }

    lines
}

fn draw_matrix(frame: &mut Frame<'_>, app: &App, g: &Geometry) {
    let lw = usize::from(g.label_width);
    let cw = usize::from(g.column_width);
    let transposed = app.transposed();
    let mut lines = header_lines(app, lw, cw, g);
    let (row_off, shown_rows, col_off, shown_cols) = window(app, g);

    let selected =
        |service: usize, env: usize| app.pane == Pane::Matrix && app.cell == (service, env);
    let with_selection = |spans: Vec<Span<'static>>, on: bool| -> Vec<Span<'static>> {
        if on {
            spans
                .into_iter()
                .map(|s| {
                    let style = s.style.patch(app.theme.selected);
                    s.style(style)
                })
                .collect()
        } else {
            spans
        }
    };
    if transposed {
        for (ei, env) in app
            .snapshot
            .environments
            .iter()
            .enumerate()
            .skip(row_off)
            .take(shown_rows)
        {
            let style = if env.tier == Tier::Production {
                app.theme.production
            } else {
                app.theme.header
            };
            let label = format!("{} {}", env.name, short_tier(env.tier));
            let mut spans = vec![Span::styled(
                format!("{:<lw$}", truncate(&label, lw - 1)),
                style,
            )];
            for si in (0..app.service_names.len()).skip(col_off).take(shown_cols) {
                spans.extend(with_selection(
                    cell_spans(app, si, ei, cw),
                    selected(si, ei),
                ));
            }
            // The environment's finding counts follow its cells.
            spans.extend(count_spans(app, ei, usize::from(COUNTS_WIDTH)));
            if app.has_live {
                spans.extend(super::live::auth_summary(app, ei, usize::from(AUTH_WIDTH)));
            }
            lines.push(Line::from(spans));
        }
    } else {
        for (si, name) in app
            .service_names
            .iter()
            .enumerate()
            .skip(row_off)
            .take(shown_rows)
        {
            let mut spans = vec![Span::styled(
                format!("{:<lw$}", truncate(name, lw - 1)),
                app.theme.text,
            )];
            for ei in (0..app.snapshot.environments.len())
                .skip(col_off)
                .take(shown_cols)
            {
                spans.extend(with_selection(
                    cell_spans(app, si, ei, cw),
                    selected(si, ei),
                ));
            }
            lines.push(Line::from(spans));
        }
    }

    let border = if app.pane == Pane::Matrix {
        app.theme.header
    } else {
        app.theme.border
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(" environments ", app.theme.title));
    frame.render_widget(Paragraph::new(lines).block(block), g.matrix);
}

fn draw_findings(frame: &mut Frame<'_>, app: &App, area: Rect) {
    if area.height < 3 {
        return;
    }
    let inner_w = usize::from(area.width.saturating_sub(2));
    let rows = usize::from(area.height.saturating_sub(2));
    let start = if app.pane == Pane::Findings {
        app.overview_finding.saturating_sub(rows.saturating_sub(1))
    } else {
        0
    };
    let lines: Vec<Line<'static>> = app
        .findings
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, f)| {
            let head = format!("{:<9}{:<22}", f.severity.as_str(), f.id);
            let rest = truncate(&f.message, inner_w.saturating_sub(head.chars().count()));
            let mut sev = severity_style(app, f.severity);
            let mut text = app.theme.text;
            if app.pane == Pane::Findings && i == app.overview_finding {
                sev = sev.patch(app.theme.selected);
                text = text.patch(app.theme.selected);
            }
            Line::from(vec![
                Span::styled(format!("{:<9}", f.severity.as_str()), sev),
                Span::styled(format!("{:<22}", f.id), text),
                Span::styled(rest, text),
            ])
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled(
            if app.pending > 0 {
                "reading sources…"
            } else {
                "no findings: every copy agrees"
            },
            if app.pending > 0 {
                app.theme.stale
            } else {
                app.theme.ok
            },
        )]
    } else {
        lines
    };
    let border = if app.pane == Pane::Findings {
        app.theme.header
    } else {
        app.theme.border
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(border)
        .title(Span::styled(
            format!(" findings ({}) ", app.findings.len()),
            app.theme.title,
        ));
    frame.render_widget(
        Paragraph::new(lines).block(block).style(Style::default()),
        area,
    );
}
