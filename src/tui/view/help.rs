//! The help screen, generated from the live keymap so it cannot drift from the bindings.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::action::Action;
use crate::tui::app::App;

/// Draws every binding, the commands and the mouse controls.
pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let mut lines = Vec::new();
    for &action in Action::ALL {
        let keys: Vec<String> = app
            .keymap
            .keys_for(action)
            .iter()
            .map(|k| k.label())
            .collect();
        if keys.is_empty() {
            continue;
        }
        lines.push(Line::from(vec![
            Span::styled(format!("  {:<16}", keys.join(" ")), app.theme.header),
            Span::styled(action.describe(), app.theme.text),
        ]));
    }
    lines.push(Line::default());
    lines.push(Line::styled("  commands", app.theme.title));
    for (cmd, what) in [
        (":env NAME", "open an environment"),
        (":findings", "list every finding"),
        (
            ":theme NAME",
            "switch theme (dark, light, high-contrast, colorblind, or your own)",
        ),
        (":reload", "read every source again"),
        (
            ":runbook NAME ENV",
            "run a runbook on ENV (add dry-run to preview, resume after a failure)",
        ),
        (":audit", "show the audit log"),
        (":q", "quit"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!("  {cmd:<15} "), app.theme.header),
            Span::styled(what, app.theme.text),
        ]));
    }
    if app.demo {
        for (cmd, what) in [
            (
                ":demo break mismatch ENV",
                "give ENV's backend a different secret",
            ),
            (":demo break missing ENV", "empty ENV's backend secret"),
            (":demo heal", "put every file back as it started"),
        ] {
            lines.push(Line::from(vec![
                Span::styled(format!("  {cmd:<26}"), app.theme.header),
                Span::styled(what, app.theme.text),
            ]));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled(
        "  mouse: click selects a cell, the wheel scrolls",
        app.theme.muted,
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border)
        .title(Span::styled(" keys ", app.theme.title));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false })
            .scroll((app.scroll, 0)),
        area,
    );
}
