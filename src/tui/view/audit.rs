//! The audit view: every runbook step recorded on this machine, newest at the bottom, one line
//! each, with the selected record in full below.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::truncate;
use crate::audit::{Outcome, Record};
use crate::tui::app::App;
use crate::tui::recovery::AuditView;

fn outcome_style(app: &App, o: Outcome) -> ratatui::style::Style {
    match o {
        Outcome::Ok | Outcome::AlreadyDone => app.theme.ok,
        Outcome::Failed | Outcome::Refused => app.theme.critical,
        Outcome::Declined => app.theme.warning,
        Outcome::Skipped | Outcome::DryRun => app.theme.muted,
    }
}

/// Draws the list and the selected record.
pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let (records, bad) = match &app.recovery.audit {
        AuditView::Loaded { records, bad } => (records.as_slice(), *bad),
        other => {
            let text = match other {
                AuditView::Failed(e) => Line::styled(format!("  {e}"), app.theme.critical),
                _ => Line::styled("  reading the audit log…", app.theme.stale),
            };
            frame.render_widget(Paragraph::new(text), area);
            return;
        }
    };
    let [list, detail] = Layout::vertical([Constraint::Min(3), Constraint::Length(7)]).areas(area);
    let rows = usize::from(list.height.saturating_sub(2));
    let row = app.recovery.audit_row.min(records.len().saturating_sub(1));
    let start = row.saturating_sub(rows.saturating_sub(1));
    let width = usize::from(list.width.saturating_sub(2));
    let lines: Vec<Line<'_>> = records
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, r)| {
            let mut body = app.theme.text;
            if i == row {
                body = body.patch(app.theme.selected);
            }
            let time = r.time.get(..19).unwrap_or(&r.time).replace('T', " ");
            let head = format!("{time} {:<12} {:<18} ", r.environment, r.step);
            let rest = truncate(
                &format!("{} {}", r.action, r.target),
                width.saturating_sub(head.chars().count() + 13),
            );
            Line::from(vec![
                Span::styled(head, body),
                Span::styled(
                    format!("{:<13}", r.outcome.as_str()),
                    outcome_style(app, r.outcome),
                ),
                Span::styled(rest, body),
            ])
        })
        .collect();
    let title = if bad > 0 {
        format!(
            " audit log: {} records, {bad} unreadable lines ",
            records.len()
        )
    } else {
        format!(" audit log: {} records ", records.len())
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(title, app.theme.title));
    let body = if records.is_empty() {
        Paragraph::new(Line::styled("  no runbook has run yet", app.theme.muted))
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(body.block(block), list);
    if let Some(r) = records.get(row) {
        frame.render_widget(
            Paragraph::new(full(r))
                .style(app.theme.text)
                .wrap(Wrap { trim: false })
                .block(
                    Block::default()
                        .borders(Borders::TOP)
                        .border_style(app.theme.border),
                ),
            detail,
        );
    }
}

fn full(r: &Record) -> String {
    crate::audit::text_line(r)
}
