//! The runbook view: the steps with their status, and the step in focus with its preview,
//! its result or the live reading of a wait, the question asked, and how the run ended.
//!
//! ```text
//! ┌ emergency-restore · staging (staging) ───────────────────────┐
//! │ ✓  1 diagnose: which copies disagree          check          │
//! │ ▶  2 write the value into backend             write-secret   │
//! │ ·  3 reset the breakers on 3 instances        reset-breakers │
//! └──────────────────────────────────────────────────────────────┘
//! ┌ step 2 · write-secret ───────────────────────────────────────┐
//! │ preview, result, live reading, question, summary             │
//! └──────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::truncate;
use crate::audit::Outcome;
use crate::inventory::Tier;
use crate::tui::action::Action;
use crate::tui::app::App;
use crate::tui::recovery::{RunView, StepRow};

/// The glyph and style of a step's status.
fn status(app: &App, row: &StepRow) -> (&'static str, Style) {
    let t = &app.theme;
    match (row.outcome, row.running) {
        (None, true) => ("▶", t.warning),
        (None, false) => ("·", t.muted),
        (Some(Outcome::Ok | Outcome::AlreadyDone), _) => ("✓", t.ok),
        (Some(Outcome::Skipped), _) => ("↷", t.muted),
        (Some(Outcome::DryRun), _) => ("○", t.muted),
        (Some(Outcome::Failed | Outcome::Refused), _) => ("✗", t.critical),
        (Some(Outcome::Declined), _) => ("✗", t.warning),
    }
}

/// Draws the runbook the console started last.
pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(run) = app.recovery.run.as_ref() else {
        let text = Paragraph::new(Line::styled(
            "  no runbook yet: select an environment and press the runbook key, or type \
             :runbook emergency-restore ENV",
            app.theme.muted,
        ))
        .wrap(Wrap { trim: false });
        frame.render_widget(text, area);
        return;
    };
    let wanted = u16::try_from(run.steps.len() + run.notes.len()).unwrap_or(u16::MAX);
    let [list, detail] = Layout::vertical([
        Constraint::Length(wanted.saturating_add(2).min(area.height / 2).max(3)),
        Constraint::Min(3),
    ])
    .areas(area);
    draw_steps(frame, app, run, list);
    draw_detail(frame, app, run, detail);
}

fn draw_steps(frame: &mut Frame<'_>, app: &App, run: &RunView, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2));
    let shown = run.shown();
    let mut lines: Vec<Line<'_>> = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let (glyph, style) = status(app, row);
            let kind = row.info.kind;
            let title_width = width.saturating_sub(6 + kind.len() + 1);
            let mut body = app.theme.text;
            if Some(i) == shown {
                body = body.patch(app.theme.selected);
            }
            Line::from(vec![
                Span::styled(format!(" {glyph}"), style),
                Span::styled(format!(" {:>2} ", i + 1), body),
                Span::styled(
                    format!("{:<title_width$}", truncate(&row.info.title, title_width)),
                    body,
                ),
                Span::styled(format!(" {kind}"), app.theme.muted),
            ])
        })
        .collect();
    for n in &run.notes {
        lines.push(Line::styled(format!(" note: {n}"), app.theme.warning));
    }
    let production = run.tier == Some(Tier::Production);
    let mut title = vec![Span::styled(
        format!(" {} · ", run.runbook),
        app.theme.title,
    )];
    title.push(Span::styled(
        run.environment.clone(),
        if production {
            app.theme.production
        } else {
            app.theme.header
        },
    ));
    if let Some(tier) = run.tier {
        title.push(Span::styled(format!(" ({tier})"), app.theme.muted));
    }
    if run.dry_run {
        title.push(Span::styled(" · dry run ", app.theme.warning));
    }
    title.push(Span::raw(" "));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Line::from(title));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

fn section<'a>(lines: &mut Vec<Line<'a>>, app: &App, name: &'a str, body: &[String], style: Style) {
    if body.is_empty() {
        return;
    }
    lines.push(Line::styled(name, app.theme.header));
    lines.extend(body.iter().map(|l| Line::styled(format!("  {l}"), style)));
}

fn draw_detail(frame: &mut Frame<'_>, app: &App, run: &RunView, area: Rect) {
    let mut lines: Vec<Line<'_>> = Vec::new();
    let index = run.shown();
    let row = index.and_then(|i| run.steps.get(i));
    if let Some(row) = row {
        section(
            &mut lines,
            app,
            "what it does",
            &row.info.preview,
            app.theme.text,
        );
        let style = match row.outcome {
            Some(Outcome::Failed | Outcome::Refused) => app.theme.critical,
            _ => app.theme.text,
        };
        section(&mut lines, app, "result", &row.detail, style);
        if row.running && !run.progress.is_empty() {
            section(&mut lines, app, "now", &run.progress, app.theme.text);
        }
    }
    if let Some((i, prompt)) = &run.prompt
        && Some(*i) == index
    {
        lines.push(Line::styled("confirm", app.theme.header));
        if let Some(retry) = &prompt.retry {
            lines.push(Line::styled(format!("  {retry}"), app.theme.critical));
        }
        lines.push(Line::styled(
            format!("  {}", prompt.question),
            app.theme.warning,
        ));
        lines.push(Line::styled(
            format!(
                "  type `{}` below and press enter; esc declines",
                prompt.expect
            ),
            app.theme.muted,
        ));
    }
    if let Some(s) = &run.summary {
        let (head, style) = match (s.ok, s.dry_run) {
            (true, true) => (
                "dry run done: nothing was changed".to_string(),
                app.theme.ok,
            ),
            (true, false) => ("done: every step succeeded".to_string(), app.theme.ok),
            (false, _) => (
                format!(
                    "stopped: {}",
                    s.reason.as_deref().unwrap_or("a step failed")
                ),
                app.theme.critical,
            ),
        };
        lines.push(Line::styled(head, style));
        if let Some(next) = &s.next {
            lines.push(Line::styled(format!("next: {next}"), app.theme.text));
        }
        if !s.ok && !s.refused && !s.dry_run {
            let key = app
                .keymap
                .keys_for(Action::Runbook)
                .first()
                .map(|k| k.label())
                .unwrap_or_default();
            lines.push(Line::styled(
                format!("press {key} here to resume from the failed step"),
                app.theme.muted,
            ));
        }
    }
    let title = match (index, row) {
        (Some(i), Some(r)) => format!(
            " step {} · {} · {} ",
            i + 1,
            r.info.kind,
            r.outcome
                .map_or(if r.running { "running" } else { "to do" }, Outcome::as_str)
        ),
        _ => " starting… ".to_string(),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(title, app.theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        area,
    );
}
