//! Every finding, filterable by minimum severity, environment and text.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{severity_style, truncate};
use crate::tui::app::App;

/// Draws the filter summary, the list, and the selected finding in full.
pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let [filters, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(5),
    ])
    .areas(area);

    let env = app
        .env_filter
        .and_then(|i| app.snapshot.environments.get(i))
        .map_or("all", |e| e.name.as_str());
    let text = app.filter.value();
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" severity ≥ ", app.theme.muted),
            Span::styled(
                app.min_severity.as_str(),
                severity_style(app, app.min_severity),
            ),
            Span::styled("   environment ", app.theme.muted),
            Span::styled(env, app.theme.header),
            Span::styled("   filter ", app.theme.muted),
            Span::styled(if text.is_empty() { "-" } else { text }, app.theme.text),
        ])),
        filters,
    );

    let visible = app.visible_findings();
    let rows = usize::from(list.height.saturating_sub(2));
    let start = app.findings_row.saturating_sub(rows.saturating_sub(1));
    let width = usize::from(list.width.saturating_sub(2));
    let lines: Vec<Line<'_>> = visible
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, f)| {
            let head = format!(
                "{:<9}{:<13}{:<22}",
                f.severity.as_str(),
                f.environment,
                f.id
            );
            let rest = truncate(
                &f.services.join(", "),
                width.saturating_sub(head.chars().count()),
            );
            let mut sev = severity_style(app, f.severity);
            let mut body = app.theme.text;
            if i == app.findings_row {
                sev = sev.patch(app.theme.selected);
                body = body.patch(app.theme.selected);
            }
            Line::from(vec![
                Span::styled(format!("{:<9}", f.severity.as_str()), sev),
                Span::styled(
                    format!("{:<13}{:<22}", truncate(&f.environment, 12), f.id),
                    body,
                ),
                Span::styled(rest, body),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(
            format!(" findings {}/{} ", visible.len(), app.findings.len()),
            app.theme.title,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), list);

    let detail_lines = visible.get(app.findings_row).map_or_else(Vec::new, |f| {
        vec![
            Line::styled(f.message.clone(), app.theme.text),
            Line::styled(
                f.location
                    .as_ref()
                    .map(|l| format!("at {l}"))
                    .unwrap_or_default(),
                app.theme.muted,
            ),
        ]
    });
    frame.render_widget(
        Paragraph::new(detail_lines)
            .wrap(Wrap { trim: true })
            .block(
                Block::default()
                    .borders(Borders::TOP)
                    .border_style(app.theme.border),
            ),
        detail,
    );
}
