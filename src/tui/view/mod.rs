//! Drawing: pure functions from [`App`] to a frame. No I/O, no state change.
//!
//! ```text
//! ┌ title: secret name, inventory, view name ─────────────────────────┐
//! │ body: overview matrix + findings pane | environment | findings |  │
//! │       help                                                        │
//! ├ status line: inventory, last load, counts, note ──────────────────┤
//! └ input line (only while filtering or typing a command) ────────────┘
//! ```

pub mod audit;
pub mod environment;
pub mod findings;
pub mod help;
pub mod live;
pub mod overview;
pub mod runbook;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Mode, View};
use crate::findings::Severity;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let input = app.mode != Mode::Normal;
    let [title, body, status, line] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(u16::from(input)),
    ])
    .areas(frame.area());

    draw_title(frame, app, title);
    match app.view {
        View::Overview => overview::draw(frame, app, body),
        View::Environment(i) => environment::draw(frame, app, body, i),
        View::Findings => findings::draw(frame, app, body),
        View::Help => help::draw(frame, app, body),
        View::Runbook => runbook::draw(frame, app, body),
        View::Audit => audit::draw(frame, app, body),
        View::References => draw_references(frame, app, body),
    }
    draw_status(frame, app, status);
    if input {
        draw_input(frame, app, line);
    }
}

fn draw_title(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let view = match app.view {
        View::Overview => "overview".to_string(),
        View::Environment(i) => app
            .snapshot
            .environments
            .get(i)
            .map_or_else(String::new, |e| format!("environment {}", e.name)),
        View::Findings => "findings".to_string(),
        View::Help => "help".to_string(),
        View::Runbook => app.recovery.run.as_ref().map_or_else(
            || "runbook".to_string(),
            |r| format!("runbook {} on {}", r.runbook, r.environment),
        ),
        View::Audit => "audit log".to_string(),
        View::References => "references".to_string(),
    };
    let help_key = app
        .keymap
        .keys_for(super::action::Action::Help)
        .first()
        .map(|k| k.label())
        .unwrap_or_default();
    let line = Line::from(vec![
        Span::styled(" secretops ", app.theme.title),
        Span::styled(format!("· {} · ", app.inventory.secret), app.theme.text),
        Span::styled(view, app.theme.header),
        Span::styled(format!("   {help_key} help"), app.theme.muted),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

/// The References view: where the secret is defined and read in the code.
fn draw_references(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let (text, style) = match &app.references {
        None => ("scanning the repository…".to_string(), app.theme.stale),
        Some(Ok(t)) => (t.clone(), app.theme.text),
        Some(Err(e)) => (e.clone(), app.theme.critical),
    };
    let block = ratatui::widgets::Block::default()
        .borders(ratatui::widgets::Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(" references ", app.theme.title));
    frame.render_widget(
        Paragraph::new(text)
            .style(style)
            .block(block)
            .scroll((app.scroll, 0)),
        area,
    );
}

fn draw_status(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let total = app.snapshot.services().count();
    let critical = app
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Critical)
        .count();
    let style = if critical > 0 {
        app.theme.critical
    } else if app.findings.is_empty() {
        app.theme.ok
    } else {
        app.theme.warning
    };
    // Most important first: a narrow terminal cuts the end of the line. An error note leads.
    let mut spans = Vec::new();
    if let Some(note) = app.note.as_ref().filter(|n| n.error) {
        spans.push(Span::styled(
            format!(" {} ·", note.text),
            app.theme.critical,
        ));
    }
    spans.push(Span::styled(
        format!(" {} findings ({critical} critical) ", app.findings.len()),
        style,
    ));
    if app.pending > 0 {
        spans.push(Span::styled(
            format!("· {} loading ", app.pending),
            app.theme.stale,
        ));
    }
    spans.push(Span::styled(format!("· {total} services "), app.theme.text));
    spans.push(Span::styled(
        match &app.loaded_at {
            Some(t) => format!("· loaded {t} "),
            None => "· loading ".to_string(),
        },
        app.theme.muted,
    ));
    spans.push(Span::styled(
        format!(
            "· {} ",
            crate::display_path(&app.inventory.path, std::path::Path::new("."))
        ),
        app.theme.muted,
    ));
    if let Some(note) = app.note.as_ref().filter(|n| !n.error) {
        spans.push(Span::styled(format!("· {}", note.text), app.theme.text));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_input(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let (prefix, input) = match app.mode {
        Mode::Filter => ("/", &app.filter),
        Mode::Confirm => ("confirm> ", &app.confirm),
        _ => (":", &app.command),
    };
    let offset = u16::try_from(prefix.chars().count()).unwrap_or(1);
    let width = area.width.saturating_sub(offset + 1) as usize;
    let scroll = input.visual_scroll(width);
    let text = Line::from(vec![
        Span::styled(prefix, app.theme.header),
        Span::styled(
            input.value().chars().skip(scroll).collect::<String>(),
            app.theme.text,
        ),
    ]);
    frame.render_widget(Paragraph::new(text), area);
    let cursor = input.visual_cursor().saturating_sub(scroll);
    let x = area.x + offset + u16::try_from(cursor).unwrap_or(0);
    frame.set_cursor_position((x.min(area.right().saturating_sub(1)), area.y));
}

/// The theme style for a severity.
pub fn severity_style(app: &App, s: Severity) -> Style {
    match s {
        Severity::Critical => app.theme.critical,
        Severity::High => app.theme.high,
        Severity::Medium => app.theme.warning,
        Severity::Low => app.theme.muted,
    }
}

/// Cuts text to `width` characters, marking the cut with `…`.
pub fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(width - 1).collect();
    out.push('…');
    out
}

/// Cuts text to `width` characters from the left, keeping the end (`…ing.yml:10`): for paths,
/// the file name and line matter more than the folder.
pub fn truncate_left(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::from("…");
    out.extend(text.chars().skip(count - (width - 1)));
    out
}
