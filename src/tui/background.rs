//! Background work the console's runbook and audit views ask for: the runbook engine in its
//! own task, and reading the audit log off the event loop. Results come back over the same
//! channel as every other background result, as typed [`Message`]s.

use std::sync::Arc;

use tokio::sync::mpsc::{self, UnboundedSender};

use super::app::{App, Effect, Message};
use crate::fingerprint::FingerprintKey;
use crate::inventory::Inventory;
use crate::runbook::RunRequest;
use crate::runbook::engine::{self, Setup};
use crate::runbook::step::Answer;
use crate::sources::LoadContext;

/// Starts the engine; its events arrive as [`Message::Runbook`]. Returns where the operator's
/// answers go, or why it could not start.
pub fn start_runbook(
    inv: &Arc<Inventory>,
    key: &Arc<FingerprintKey>,
    ctx: &LoadContext,
    request: RunRequest,
    tx: &UnboundedSender<Message>,
) -> Result<UnboundedSender<Answer>, String> {
    let state_dir = crate::paths::state_dir()
        .ok_or("no state directory for the audit log; set HOME and start again")?;
    let setup = Setup {
        inv: Arc::clone(inv),
        key: Arc::clone(key),
        load: ctx.clone(),
        request,
        audit_path: state_dir.join(crate::audit::FILE_NAME),
        state_dir,
    };
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let (answers, answers_rx) = mpsc::unbounded_channel();
    tokio::spawn(engine::run(setup, events_tx, answers_rx));
    let tx = tx.clone();
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            if tx.send(Message::Runbook(event)).is_err() {
                break;
            }
        }
    });
    Ok(answers)
}

/// Carries out a runbook or audit effect: starts the engine (keeping where its answers go),
/// hands it the operator's answer, or reads the audit log.
pub fn recovery(
    effect: Effect,
    app: &mut App,
    (key, ctx): (&Arc<FingerprintKey>, &LoadContext),
    tx: &UnboundedSender<Message>,
    answers: &mut Option<UnboundedSender<Answer>>,
) {
    match effect {
        Effect::StartRunbook(request) => {
            match start_runbook(&app.inventory, key, ctx, *request, tx) {
                Ok(sender) => *answers = Some(sender),
                Err(e) => app.on_message(Message::Note(Err(e))),
            }
        }
        Effect::Answer(answer) => {
            if let Some(sender) = answers {
                let _ = sender.send(answer);
            }
        }
        Effect::LoadAudit => load_audit(tx),
        _ => {}
    }
}

/// Reads the audit log on the blocking pool; the records arrive as [`Message::Audit`].
pub fn load_audit(tx: &UnboundedSender<Message>) {
    let tx = tx.clone();
    tokio::task::spawn_blocking(move || {
        let result = match crate::audit::default_path() {
            None => Err("no state directory, so no audit log".to_string()),
            Some(path) => crate::audit::read(&path).map_err(|e| e.to_string()),
        };
        let _ = tx.send(Message::Audit(result));
    });
}
