//! One file: run the detector for its kind, keep plain mentions where the path makes them
//! interesting (tests, docs, deployment), and turn findings into classified hits.

use std::collections::HashSet;

use crate::scan::classify::{Kind, Lang, PathInfo, attribute, has_ext};
use crate::scan::compose::{self, EnvFileRef};
use crate::scan::text::{is_comment, mentions};
use crate::scan::yaml::{self, Mode};
use crate::scan::{Found, Hit, HitClass, Origin, Raw, ScanOptions};
use crate::scan::{code, config, deploy, envfile};

/// What one file contributed.
pub(crate) struct FileScan {
    pub info: PathInfo,
    pub hits: Vec<Hit>,
    /// Compose `env_file:` references, resolved after the walk.
    pub env_refs: Vec<EnvFileRef>,
    /// Variables an env file assigns (indexes into the scanned variables).
    pub defines: Vec<usize>,
    /// In test files: path-like words that may name a definition file (line, word).
    pub file_words: Vec<(usize, String)>,
}

/// Scans the text of the file at `rel`. `None` when the file has nothing to report.
pub(crate) fn scan_file(rel: String, text: &str, opts: &ScanOptions) -> Option<FileScan> {
    let vars = &opts.vars;
    let mut info = PathInfo::new(rel);
    let python = info.kind == Kind::Code(Lang::Python);
    let named = vars.iter().any(|v| {
        text.contains(v.as_str()) || (python && text.contains(v.to_ascii_lowercase().as_str()))
    });
    let file_words = if info.test {
        file_words(text)
    } else {
        Vec::new()
    };
    if !named && info.kind != Kind::Compose && file_words.is_empty() {
        return None;
    }
    let mut raws = Vec::new();
    let mut env_refs = Vec::new();
    let mut defines = Vec::new();
    let kubernetes = info.kind == Kind::Yaml && yaml::is_kubernetes(text);
    info.deploy |= kubernetes;
    let origin = base_origin(info.kind, kubernetes);
    if !info.docs {
        match info.kind {
            Kind::EnvFile => envfile::scan_env_file(text, vars, &mut raws, &mut defines),
            Kind::Shell => envfile::scan_shell(text, vars, &mut raws),
            Kind::Compose => compose::scan(&info.rel, text, vars, &mut raws, &mut env_refs),
            Kind::Ci | Kind::Helm => yaml::scan(text, vars, Mode::Deploy, &origin, &mut raws),
            Kind::Yaml => {
                let mode = if info.deploy {
                    Mode::Deploy
                } else {
                    Mode::Config
                };
                yaml::scan(text, vars, mode, &origin, &mut raws);
            }
            Kind::Terraform => deploy::scan_terraform(text, vars, &mut raws),
            Kind::Dockerfile => deploy::scan_dockerfile(text, vars, &mut raws),
            Kind::Code(lang) => code::scan(lang, text, vars, &mut raws),
            Kind::Json | Kind::Toml | Kind::Ini => config::scan(info.kind, text, vars, &mut raws),
            Kind::Markdown | Kind::Other => {}
        }
    }
    if info.test || info.docs || info.deploy {
        add_mentions(&info, text, vars, &origin, &mut raws);
    }
    let mut seen = HashSet::new();
    let hits = raws
        .into_iter()
        .filter(|r| seen.insert((r.line, r.var)))
        .filter_map(|r| make_hit(&info, r, opts))
        .collect();
    Some(FileScan {
        info,
        hits,
        env_refs,
        defines,
        file_words,
    })
}

fn base_origin(kind: Kind, kubernetes: bool) -> Origin {
    match kind {
        Kind::EnvFile => Origin::EnvFile,
        Kind::Compose => Origin::Compose {
            service: None,
            via_env_file: None,
        },
        Kind::Ci => Origin::Ci,
        Kind::Helm => Origin::Helm,
        Kind::Yaml if kubernetes => Origin::Kubernetes,
        Kind::Terraform => Origin::Terraform,
        Kind::Shell => Origin::Shell,
        Kind::Dockerfile => Origin::Dockerfile,
        Kind::Code(_) => Origin::Code,
        Kind::Yaml | Kind::Json | Kind::Toml | Kind::Ini => Origin::Config,
        Kind::Markdown | Kind::Other => Origin::Text,
    }
}

/// Adds a mention for every line naming a variable that no detector reported. Comment lines
/// count only in docs, where prose is the content.
fn add_mentions(
    info: &PathInfo,
    text: &str,
    vars: &[String],
    origin: &Origin,
    raws: &mut Vec<Raw>,
) {
    let taken: HashSet<(usize, usize)> = raws.iter().map(|r| (r.line, r.var)).collect();
    let style = info.kind.comments();
    for (i, line) in text.lines().enumerate() {
        if !info.docs && is_comment(line.trim_start(), style) {
            continue;
        }
        for (v, var) in vars.iter().enumerate() {
            if !taken.contains(&(i + 1, v)) && mentions(line, var) {
                raws.push(Raw::new(i + 1, v, Found::Mention, origin.clone()));
            }
        }
    }
}

/// The class of a finding in this file, by the precedence test → docs → deployment →
/// definition → read. Plain mentions elsewhere are noise (a constant named like the variable).
fn class_of(info: &PathInfo, found: &Found) -> Option<HitClass> {
    Some(match found {
        Found::Claimed => return None,
        _ if info.test => HitClass::Test,
        _ if info.docs => HitClass::Documentation,
        _ if info.deploy => HitClass::Deployment,
        Found::Define { .. } => HitClass::Definition,
        Found::Read { .. } => HitClass::Read,
        Found::Mention => return None,
    })
}

/// Turns a finding into a hit; values survive only on definitions outside tests and docs.
pub(crate) fn make_hit(info: &PathInfo, raw: Raw, opts: &ScanOptions) -> Option<Hit> {
    let class = class_of(info, &raw.found)?;
    let (value, has_default) = match raw.found {
        Found::Define { value, has_default } => (value, has_default),
        Found::Read { has_default } => (None, has_default),
        Found::Mention | Found::Claimed => (None, false),
    };
    let value = value.filter(|_| matches!(class, HitClass::Definition | HitClass::Deployment));
    let compose_service = match &raw.origin {
        Origin::Compose { service, .. } => service.as_deref(),
        _ => None,
    };
    Some(Hit {
        path: info.rel.clone(),
        line: raw.line,
        var: opts.vars[raw.var].clone(),
        class,
        service: attribute(&info.rel, compose_service, &opts.services),
        environment: raw.environment.or_else(|| info.environment.clone()),
        value,
        has_default,
        origin: raw.origin,
    })
}

/// Path-like words in a test file that may name an env or compose file (`.env.development`,
/// `config/production.env`, `docker-compose.yml`), leading `./` and `../` removed.
fn file_words(text: &str) -> Vec<(usize, String)> {
    let is_path_char = |c: char| c.is_ascii_alphanumeric() || "_./-".contains(c);
    let mut words = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if !line.contains(".env") && !line.contains(".y") {
            continue;
        }
        for word in line.split(|c: char| !is_path_char(c)) {
            let mut w = word;
            while let Some(rest) = w.strip_prefix("./").or_else(|| w.strip_prefix("../")) {
                w = rest;
            }
            let name = w.rsplit('/').next().unwrap_or(w).to_ascii_lowercase();
            let looks_like_definitions = name.starts_with(".env")
                || has_ext(&name, "env")
                || ((name.contains("compose") || name.starts_with("values"))
                    && (has_ext(&name, "yml") || has_ext(&name, "yaml")));
            if looks_like_definitions {
                words.push((i + 1, w.to_string()));
            }
        }
    }
    words
}
