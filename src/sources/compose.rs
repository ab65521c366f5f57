//! `compose` sources: the value a container would see, by docker compose's rules.
//!
//! `environment` (map or list) beats `env_file`; env files are read top-down, later ones win;
//! values are interpolated from the calling process environment first, then the project's
//! `.env` file (in the first compose file's folder). Only the fields that decide the tracked
//! variables of the chosen service are interpolated, so a broken default elsewhere in the file
//! does not hide this service's value.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use super::env_file::{pick, read_env_file, read_raw_env_file};
use super::{LoadContext, Origin, Reading, SourceError};
use crate::dotenv::{Assignment, Dialect};
use crate::interpolate::interpolate;

#[derive(Deserialize)]
struct ComposeDoc {
    #[serde(default)]
    services: Option<BTreeMap<String, Option<ComposeService>>>,
}

#[derive(Deserialize)]
struct ComposeService {
    #[serde(default)]
    environment: Option<EnvSpec>,
    #[serde(default)]
    env_file: Option<Spanned<EnvFileSpec>>,
}

/// A YAML scalar as compose sees it: strings, numbers and booleans become strings.
enum Scalar {
    Null,
    Text(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar::Text(v))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar::Text(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar::Null)
            }
        }
        d.deserialize_any(V)
    }
}

/// `environment:` in map or list form, each entry with its position.
enum EnvSpec {
    Map(Vec<(String, Spanned<Scalar>)>),
    List(Vec<Spanned<Scalar>>),
}

impl<'de> Deserialize<'de> for EnvSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map of variables or a list of KEY=VALUE strings")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<EnvSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    out.push((key, map.next_value::<Spanned<Scalar>>()?));
                }
                Ok(EnvSpec::Map(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnvSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Scalar>>()? {
                    out.push(item);
                }
                Ok(EnvSpec::List(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<EnvSpec, E> {
                Ok(EnvSpec::Map(Vec::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// `env_file:` as a string, or a list of strings and `{path, required, format}` items.
enum EnvFileSpec {
    One(String),
    Many(Vec<Spanned<EnvFileItem>>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnvFileObject {
    path: String,
    #[serde(default)]
    required: Option<Scalar>,
    #[serde(default)]
    format: Option<String>,
}

enum EnvFileItem {
    Path(String),
    Object(EnvFileObject),
}

impl<'de> Deserialize<'de> for EnvFileItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvFileItem;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or {path, required, format}")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvFileItem, E> {
                Ok(EnvFileItem::Path(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvFileItem, A::Error> {
                EnvFileObject::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(EnvFileItem::Object)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for EnvFileSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvFileSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a path or a list of paths")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvFileSpec, E> {
                Ok(EnvFileSpec::One(v.to_string()))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<EnvFileSpec, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<EnvFileItem>>()? {
                    out.push(item);
                }
                Ok(EnvFileSpec::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// One `environment` entry after interpolation: `None` means explicitly unset.
struct EnvEntry {
    value: Option<SecretString>,
    file: PathBuf,
    line: usize,
}

/// One `env_file` reference, resolved against the compose file that named it.
struct EnvFileRef {
    path: PathBuf,
    required: bool,
    raw: bool,
    declared_in: PathBuf,
    line: usize,
}

pub(super) fn read(
    files: &[PathBuf],
    service: &str,
    var: &str,
    ctx: &LoadContext,
) -> Result<Reading, SourceError> {
    let project_dir = files
        .first()
        .and_then(|f| f.parent())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let project_env = read_project_env(&project_dir, ctx)?;
    let env = ctx.env.clone();
    let lookup = super::chain_lookup(&env, &project_env);

    let mut environment: BTreeMap<String, EnvEntry> = BTreeMap::new();
    let mut env_files: Vec<EnvFileRef> = Vec::new();
    let mut found = false;
    for file in files {
        let Some(svc) = load_service(file, service)? else {
            continue;
        };
        found = true;
        if let Some(spec) = svc.environment {
            merge_environment(spec, file, &lookup, &mut environment)?;
        }
        if let Some(spec) = svc.env_file {
            collect_env_files(spec, file, &project_dir, &lookup, &mut env_files)?;
        }
    }
    if !found {
        let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        return Err(SourceError::at(
            format!(
                "service `{service}` is not defined in {}; check `service` in the inventory",
                names.join(", ")
            ),
            files[0].clone(),
            None,
        ));
    }

    let loaded = load_env_files(&env_files, &lookup)?;
    let resolve = |name: &str| resolve_var(name, &environment, &loaded);
    let (value, origin, duplicate_lines) = resolve(var);
    let related = ctx
        .related
        .iter()
        .filter_map(|name| resolve(name).0.map(|v| (name.clone(), v)))
        .collect();
    Ok(Reading {
        value,
        origin,
        related,
        duplicate_lines,
        ..Reading::default()
    })
}

fn read_project_env(
    dir: &Path,
    ctx: &LoadContext,
) -> Result<HashMap<String, SecretString>, SourceError> {
    let path = dir.join(".env");
    if !path.is_file() {
        return Ok(HashMap::new());
    }
    let env = ctx.env.clone();
    let assignments = read_env_file(&path, Dialect::Compose, &|n| env(n))?;
    Ok(assignments
        .into_iter()
        .filter_map(|a| a.value.map(|v| (a.key, v)))
        .collect())
}

fn yaml_error(file: &Path, e: &serde_saphyr::Error) -> SourceError {
    let loc = e.location();
    let line = loc.map(|l| usize::try_from(l.line()).unwrap_or(0));
    let column = loc.map_or(0, |l| l.column());
    let first = e.to_string();
    let first = first.lines().next().unwrap_or("invalid YAML");
    // The position is already in front; drop the library's own copy of it.
    let first = first
        .rsplit_once(" at line ")
        .map_or(first, |(head, _)| head);
    let reason = crate::redact_quoted(first);
    let at = match line {
        Some(l) => format!("{}:{l}:{column}", file.display()),
        None => file.display().to_string(),
    };
    SourceError::at(
        format!("{at}: not a valid compose file: {reason}"),
        file.to_path_buf(),
        line,
    )
}

fn load_service(file: &Path, service: &str) -> Result<Option<ComposeService>, SourceError> {
    let text = super::read_text_file(file)?;
    let mut options = serde_saphyr::Options::default();
    options.with_snippet = false;
    let doc: ComposeDoc =
        serde_saphyr::from_str_with_options(&text, options).map_err(|e| yaml_error(file, &e))?;
    Ok(doc.services.and_then(|mut s| s.remove(service)).flatten())
}

fn line_of<T>(s: &Spanned<T>) -> usize {
    usize::try_from(s.referenced.line()).unwrap_or(0)
}

fn interpolate_at(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    file: &Path,
    line: usize,
) -> Result<String, SourceError> {
    interpolate(text, lookup).map_err(|e| {
        SourceError::at(
            format!("{}:{line}: {e}", file.display()),
            file.to_path_buf(),
            Some(line),
        )
    })
}

fn merge_environment(
    spec: EnvSpec,
    file: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut BTreeMap<String, EnvEntry>,
) -> Result<(), SourceError> {
    let entry = |value: Option<String>, line| EnvEntry {
        value: value.map(SecretString::from),
        file: file.to_path_buf(),
        line,
    };
    match spec {
        EnvSpec::Map(entries) => {
            for (key, spanned) in entries {
                let line = line_of(&spanned);
                let value = match spanned.value {
                    Scalar::Text(t) => Some(interpolate_at(&t, lookup, file, line)?),
                    Scalar::Null => lookup(&key),
                };
                out.insert(key, entry(value, line));
            }
        }
        EnvSpec::List(items) => {
            for spanned in items {
                let line = line_of(&spanned);
                let Scalar::Text(item) = spanned.value else {
                    continue;
                };
                let item = zeroize::Zeroizing::new(interpolate_at(&item, lookup, file, line)?);
                match item.split_once('=') {
                    Some((key, value)) => {
                        out.insert(key.to_string(), entry(Some(value.to_string()), line));
                    }
                    None => {
                        let key = item.trim().to_string();
                        let value = lookup(&key);
                        out.insert(key, entry(value, line));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Relative `env_file` paths resolve against the project folder (the first compose file's),
/// in override files too, as `docker compose -f a -f b` does.
fn collect_env_files(
    spec: Spanned<EnvFileSpec>,
    file: &Path,
    dir: &Path,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut Vec<EnvFileRef>,
) -> Result<(), SourceError> {
    let outer_line = line_of(&spec);
    let items: Vec<(EnvFileItem, usize)> = match spec.value {
        EnvFileSpec::One(p) => vec![(EnvFileItem::Path(p), outer_line)],
        EnvFileSpec::Many(v) => v
            .into_iter()
            .map(|s| {
                let line = line_of(&s);
                (s.value, line)
            })
            .collect(),
    };
    for (item, line) in items {
        let (path, required, raw) = match item {
            EnvFileItem::Path(p) => (p, true, false),
            EnvFileItem::Object(o) => {
                let required = match o.required {
                    None | Some(Scalar::Null) => true,
                    Some(Scalar::Text(t)) => {
                        let t = interpolate_at(&t, lookup, file, line)?;
                        match t.trim().to_ascii_lowercase().as_str() {
                            "true" | "yes" | "1" => true,
                            "false" | "no" | "0" => false,
                            _ => {
                                return Err(SourceError::at(
                                    format!(
                                        "{}:{line}: env_file `required` must be true or false",
                                        file.display()
                                    ),
                                    file.to_path_buf(),
                                    Some(line),
                                ));
                            }
                        }
                    }
                };
                (o.path, required, o.format.as_deref() == Some("raw"))
            }
        };
        let path = interpolate_at(&path, lookup, file, line)?;
        out.push(EnvFileRef {
            path: dir.join(path),
            required,
            raw,
            declared_in: file.to_path_buf(),
            line,
        });
    }
    Ok(())
}

/// Each env file's assignments, in declaration order; missing optional files are skipped.
fn load_env_files(
    refs: &[EnvFileRef],
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Vec<(PathBuf, Vec<Assignment>)>, SourceError> {
    let mut loaded: Vec<(PathBuf, Vec<Assignment>)> = Vec::new();
    for r in refs {
        if !r.path.exists() {
            if r.required {
                return Err(SourceError::at(
                    format!(
                        "{}:{}: env_file {} does not exist; create it or mark it \
                         `required: false`",
                        r.declared_in.display(),
                        r.line,
                        r.path.display()
                    ),
                    r.declared_in.clone(),
                    Some(r.line),
                ));
            }
            continue;
        }
        let assignments = if r.raw {
            read_raw_env_file(&r.path)?
        } else {
            // Later files may refer to keys set by earlier ones.
            let earlier = &loaded;
            let chained = |name: &str| {
                lookup(name).or_else(|| {
                    earlier.iter().rev().find_map(|(_, list)| {
                        pick(list, name)
                            .0
                            .and_then(|a| a.value.as_ref())
                            .map(|v| v.expose_secret().to_string())
                    })
                })
            };
            read_env_file(&r.path, Dialect::Compose, &chained)?
        };
        loaded.push((r.path.clone(), assignments));
    }
    Ok(loaded)
}

fn resolve_var(
    name: &str,
    environment: &BTreeMap<String, EnvEntry>,
    env_files: &[(PathBuf, Vec<Assignment>)],
) -> (Option<SecretString>, Origin, Vec<usize>) {
    if let Some(entry) = environment.get(name) {
        return (
            entry.value.clone(),
            Origin::file(entry.file.clone(), Some(entry.line)),
            Vec::new(),
        );
    }
    for (path, assignments) in env_files.iter().rev() {
        let (last, lines) = pick(assignments, name);
        if let Some(a) = last {
            let dups = if lines.len() > 1 { lines } else { Vec::new() };
            return (
                a.value.clone(),
                Origin::file(path.clone(), Some(a.line)),
                dups,
            );
        }
    }
    (None, Origin::default(), Vec::new())
}
