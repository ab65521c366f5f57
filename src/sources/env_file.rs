//! `env-file` sources: a `.env` file read the way the service's loader reads it.

use std::path::Path;

use secrecy::SecretString;

use super::{LoadContext, Origin, Reading, SourceError};
use crate::dotenv::{self, Assignment, Dialect};
use crate::inventory::EnvDialect;

/// Reads the whole file into its assignments, in file order (repeats kept).
///
/// `lookup` serves interpolation and bare keys. Errors name the file and line.
pub fn read_env_file(
    path: &Path,
    dialect: Dialect,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<Assignment>, SourceError> {
    let text = super::read_text_file(path)?;
    let mut assignments = dotenv::parse(&text, dialect, lookup).map_err(|e| {
        SourceError::at(
            format!("{}:{}:{}: {}", path.display(), e.line, e.column, e.message),
            path.to_path_buf(),
            Some(e.line),
        )
    })?;
    if dialect == Dialect::Compose {
        // A bare `KEY` that the environment does not have assigns nothing under compose.
        assignments.retain(|a| a.value.is_some());
    }
    Ok(assignments)
}

/// Reads compose's `format: raw` env files: `KEY=VALUE` lines taken literally.
pub fn read_raw_env_file(path: &Path) -> Result<Vec<Assignment>, SourceError> {
    let text = super::read_text_file(path)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            out.push(Assignment {
                key: key.trim().to_string(),
                value: Some(SecretString::from(value.to_string())),
                line: index + 1,
                inherited: false,
            });
        }
    }
    Ok(out)
}

/// The last assignment of `var`, and every line that assigns it.
pub(crate) fn pick<'a>(
    assignments: &'a [Assignment],
    var: &str,
) -> (Option<&'a Assignment>, Vec<usize>) {
    let lines: Vec<usize> = assignments
        .iter()
        .filter(|a| a.key == var)
        .map(|a| a.line)
        .collect();
    let last = assignments.iter().rev().find(|a| a.key == var);
    (last, lines)
}

pub(super) fn read(
    path: &Path,
    dialect: EnvDialect,
    var: &str,
    ctx: &LoadContext,
) -> Result<Reading, SourceError> {
    let dialect = match dialect {
        EnvDialect::Compose => Dialect::Compose,
        EnvDialect::PythonDotenv => Dialect::PythonDotenv,
    };
    let env = ctx.env.clone();
    let assignments = read_env_file(path, dialect, &|name| env(name))?;
    let (last, lines) = pick(&assignments, var);
    let related = ctx
        .related
        .iter()
        .filter_map(|name| {
            let (found, _) = pick(&assignments, name);
            found
                .and_then(|a| a.value.clone())
                .map(|v| (name.clone(), v))
        })
        .collect();
    Ok(Reading {
        value: last.and_then(|a| a.value.clone()),
        origin: Origin::file(path.to_path_buf(), last.map(|a| a.line)),
        related,
        duplicate_lines: if lines.len() > 1 { lines } else { Vec::new() },
        ..Reading::default()
    })
}
