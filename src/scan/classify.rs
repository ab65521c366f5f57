//! What a path says before its content is read: the kind of file, whether it is a test, a doc
//! or a deployment file, which environment its name points at, and which service owns it.

use std::collections::BTreeMap;

use crate::scan::text::Comments;

/// Languages whose environment reads the scan recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Python,
    /// JavaScript and TypeScript.
    JavaScript,
    Rust,
    Go,
    /// Java and Kotlin.
    Java,
}

/// The kind of a file, from its name alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    EnvFile,
    Compose,
    Ci,
    Helm,
    /// Any other YAML: a Kubernetes manifest (decided from the content) or a config file.
    Yaml,
    Terraform,
    Shell,
    Dockerfile,
    Code(Lang),
    Json,
    Toml,
    Ini,
    Markdown,
    Other,
}

impl Kind {
    /// Kinds that are deployment files wherever they live.
    pub(crate) fn is_deployment(self) -> bool {
        matches!(
            self,
            Self::Ci | Self::Helm | Self::Terraform | Self::Dockerfile
        )
    }

    /// How this kind writes whole-line comments.
    pub(crate) fn comments(self) -> Comments {
        match self {
            Self::Code(Lang::Python)
            | Self::EnvFile
            | Self::Compose
            | Self::Ci
            | Self::Helm
            | Self::Yaml
            | Self::Shell
            | Self::Dockerfile
            | Self::Toml => Comments::Hash,
            Self::Code(_) => Comments::Slash,
            Self::Terraform => Comments::HashSlash,
            Self::Ini => Comments::HashSemicolon,
            Self::Json | Self::Markdown | Self::Other => Comments::None,
        }
    }
}

/// Everything the path tells about a file.
#[derive(Clone, Debug)]
pub(crate) struct PathInfo {
    /// Relative to the scan root, `/`-separated.
    pub rel: String,
    pub kind: Kind,
    pub test: bool,
    pub docs: bool,
    /// May still be set from the content (a Kubernetes manifest outside a deploy folder).
    pub deploy: bool,
    pub environment: Option<String>,
}

impl PathInfo {
    pub(crate) fn new(rel: String) -> Self {
        let kind = kind_of(&rel);
        Self {
            test: is_test_path(&rel),
            docs: kind == Kind::Markdown || dirs(&rel).any(|d| matches!(d, "docs" | "doc")),
            deploy: kind.is_deployment() || is_deploy_path(&rel),
            environment: environment_of(&rel),
            kind,
            rel,
        }
    }
}

/// Whether `name` ends with `.ext`, in any case.
pub(crate) fn has_ext(name: &str, ext: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, e)| e.eq_ignore_ascii_case(ext))
}

fn file_name(rel: &str) -> &str {
    rel.rsplit('/').next().unwrap_or(rel)
}

/// The folders of a relative path, outermost first.
fn dirs(rel: &str) -> impl DoubleEndedIterator<Item = &str> {
    let parent = rel.rsplit_once('/').map_or("", |(d, _)| d);
    parent.split('/').filter(|d| !d.is_empty())
}

/// The kind of file `rel` names.
pub(crate) fn kind_of(rel: &str) -> Kind {
    let name = file_name(rel).to_ascii_lowercase();
    if name.starts_with(".env") || has_ext(&name, "env") {
        return Kind::EnvFile;
    }
    if name == "dockerfile"
        || name.starts_with("dockerfile.")
        || name.ends_with(".dockerfile")
        || name == "containerfile"
    {
        return Kind::Dockerfile;
    }
    if name == "secretops.toml" {
        // The tool's own inventory names the variables; it is not a config loader reading them.
        return Kind::Other;
    }
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "yml" | "yaml" => {
            if name.starts_with("docker-compose") || name.starts_with("compose.") {
                Kind::Compose
            } else if rel.contains(".github/workflows/") || name == ".gitlab-ci.yml" {
                Kind::Ci
            } else if name.starts_with("values") {
                Kind::Helm
            } else {
                Kind::Yaml
            }
        }
        "tf" | "tfvars" | "hcl" => Kind::Terraform,
        "sh" | "bash" | "zsh" | "ksh" => Kind::Shell,
        "py" | "pyi" => Kind::Code(Lang::Python),
        "js" | "mjs" | "cjs" | "jsx" | "ts" | "tsx" | "mts" | "cts" => Kind::Code(Lang::JavaScript),
        "rs" => Kind::Code(Lang::Rust),
        "go" => Kind::Code(Lang::Go),
        "java" | "kt" | "kts" => Kind::Code(Lang::Java),
        "json" => Kind::Json,
        "toml" => Kind::Toml,
        "ini" | "cfg" | "conf" | "properties" => Kind::Ini,
        "md" | "markdown" | "rst" | "adoc" => Kind::Markdown,
        _ => Kind::Other,
    }
}

/// Test folders (`test`, `tests`, `spec`, `__tests__`, `testdata`, `*-tests`) and test file
/// names of each language. `.env.test` is not one: it defines the test environment.
pub(crate) fn is_test_path(rel: &str) -> bool {
    let test_dir = dirs(rel).map(str::to_ascii_lowercase).any(|d| {
        matches!(
            d.as_str(),
            "test" | "tests" | "spec" | "specs" | "__tests__" | "testdata"
        ) || ["-test", "_test", "-tests", "_tests"]
            .iter()
            .any(|s| d.ends_with(s))
    });
    let name = file_name(rel);
    let lower = name.to_ascii_lowercase();
    let js_ext = [".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs"];
    test_dir
        || lower.ends_with("_test.go")
        || (lower.starts_with("test_") && has_ext(&lower, "py"))
        || lower.ends_with("_test.py")
        || lower == "conftest.py"
        || ((lower.contains(".spec.") || lower.contains(".test."))
            && js_ext.iter().any(|e| lower.ends_with(e)))
        || ["Test.java", "Tests.java", "Test.kt", "Tests.kt"]
            .iter()
            .any(|s| name.ends_with(s))
}

/// Folders and file names that hold deployment: `deploy*`, `k8s`, `helm`, `charts`, `.github`,
/// `terraform`, `infra*`.
fn is_deploy_path(rel: &str) -> bool {
    rel.split('/').map(str::to_ascii_lowercase).any(|c| {
        c.contains("deploy")
            || c.contains("k8s")
            || c.contains("helm")
            || c.contains("terraform")
            || c.starts_with("infra")
            || matches!(c.as_str(), "charts" | ".github" | "kubernetes")
    })
}

/// The canonical environment a name token stands for.
pub(crate) fn env_token(token: &str) -> Option<&'static str> {
    Some(match token {
        "prod" | "prd" | "production" => "production",
        "stg" | "stage" | "staging" => "staging",
        "dev" | "develop" | "development" => "development",
        "test" | "testing" => "test",
        "qa" => "qa",
        "uat" => "uat",
        "preprod" => "preprod",
        _ => return None,
    })
}

/// Words after `.env.` that name a template rather than an environment.
const TEMPLATE_WORDS: [&str; 7] = [
    "example", "sample", "template", "dist", "default", "defaults", "tpl",
];

fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(['.', '-', '_']).filter(|t| !t.is_empty())
}

/// The environment a path names: `.env.staging`, `staging.env`, `config/production.env`,
/// `docker-compose.staging.yml`, `values-prod.yaml`; else the nearest folder that names one
/// (`k8s/production/app.yaml`). `.env` alone names none.
pub(crate) fn environment_of(rel: &str) -> Option<String> {
    let name = file_name(rel).to_ascii_lowercase();
    if let Some(rest) = name.strip_prefix(".env.") {
        let first = tokens(rest).next();
        if let Some(env) = tokens(rest).find_map(env_token) {
            return Some(env.to_string());
        }
        if first.is_some_and(|t| !TEMPLATE_WORDS.contains(&t)) {
            return Some(rest.to_string());
        }
    } else if let Some(env) = tokens(&name).find_map(env_token) {
        return Some(env.to_string());
    }
    dirs(rel)
        .rev()
        .find_map(|d| tokens(&d.to_ascii_lowercase()).find_map(env_token))
        .map(str::to_string)
}

/// Sort key putting environments in promotion order: development, test, staging, production,
/// then any other by name, then the unnamed.
pub(crate) fn env_order(env: Option<&str>) -> (u8, String) {
    match env {
        Some("development") => (0, String::new()),
        Some("test") => (1, String::new()),
        Some("staging") => (2, String::new()),
        Some("production") => (3, String::new()),
        Some(other) => (4, other.to_string()),
        None => (5, String::new()),
    }
}

/// Whether the service prefix `prefix` covers `rel`, on whole path components.
fn prefix_covers(prefix: &str, rel: &str) -> bool {
    let p = prefix.trim_start_matches("./").trim_end_matches('/');
    p.is_empty() || rel == p || (rel.starts_with(p) && rel[p.len()..].starts_with('/'))
}

/// The caller's service for `rel` (longest matching prefix), if any.
pub(crate) fn mapped_service<'a>(
    rel: &str,
    services: &'a BTreeMap<String, String>,
) -> Option<&'a str> {
    services
        .iter()
        .filter(|(p, _)| prefix_covers(p, rel))
        .max_by_key(|(p, _)| p.trim_start_matches("./").trim_end_matches('/').len())
        .map(|(_, s)| s.as_str())
}

/// The service a hit belongs to: the caller's mapping, else the compose service the entry sits
/// under, else the top-level folder, else `(root)`.
pub(crate) fn attribute(
    rel: &str,
    compose_service: Option<&str>,
    services: &BTreeMap<String, String>,
) -> String {
    mapped_service(rel, services)
        .or(compose_service)
        .or_else(|| rel.split_once('/').map(|(top, _)| top))
        .unwrap_or("(root)")
        .to_string()
}

/// `target` as written in the file `file` (relative to that file's folder), resolved to a path
/// relative to the scan root.
pub(crate) fn join_rel(file: &str, target: &str) -> String {
    let mut parts: Vec<&str> = file.split('/').collect();
    parts.pop();
    for seg in target.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of(".env"), Kind::EnvFile);
        assert_eq!(kind_of("config/production.env"), Kind::EnvFile);
        assert_eq!(kind_of("docker-compose.staging.yml"), Kind::Compose);
        assert_eq!(kind_of("compose.yaml"), Kind::Compose);
        assert_eq!(kind_of(".github/workflows/ci.yml"), Kind::Ci);
        assert_eq!(kind_of(".gitlab-ci.yml"), Kind::Ci);
        assert_eq!(kind_of("chart/values-prod.yaml"), Kind::Helm);
        assert_eq!(kind_of("svc/Dockerfile"), Kind::Dockerfile);
        assert_eq!(kind_of("a/b.kt"), Kind::Code(Lang::Java));
    }

    #[test]
    fn tests_docs_deploy() {
        assert!(is_test_path("auth/tests/test_x.py"));
        assert!(is_test_path("backend/src/__tests__/a.ts"));
        assert!(is_test_path("a/main_test.go"));
        assert!(is_test_path("web/app.spec.ts"));
        assert!(!is_test_path(".env.test"));
        assert!(!is_test_path("docker-compose.test.yml"));
        assert!(PathInfo::new("docs/a.txt".into()).docs);
        assert!(PathInfo::new("deploy/run.sh".into()).deploy);
        assert!(PathInfo::new("infra/main.tf".into()).deploy);
        assert!(!PathInfo::new("backend/src/a.ts".into()).deploy);
    }

    #[test]
    fn environments() {
        let env = |p: &str| environment_of(p);
        assert_eq!(env(".env.staging").as_deref(), Some("staging"));
        assert_eq!(env("staging.env").as_deref(), Some("staging"));
        assert_eq!(env("config/production.env").as_deref(), Some("production"));
        assert_eq!(
            env("docker-compose.staging.yml").as_deref(),
            Some("staging")
        );
        assert_eq!(env("values-prod.yaml").as_deref(), Some("production"));
        assert_eq!(env("values-stg.yaml").as_deref(), Some("staging"));
        assert_eq!(env(".env.dev").as_deref(), Some("development"));
        assert_eq!(env(".env.local").as_deref(), Some("local"));
        assert_eq!(env(".env"), None);
        assert_eq!(env(".env.example"), None);
        assert_eq!(env("docker-compose.yml"), None);
        assert_eq!(env("k8s/prod/app.yaml").as_deref(), Some("production"));
    }

    #[test]
    fn services_and_paths() {
        let mut map = BTreeMap::new();
        map.insert("deploy".to_string(), "ops".to_string());
        map.insert("deploy/k8s/auth".to_string(), "auth".to_string());
        assert_eq!(attribute("deploy/k8s/auth/a.yaml", None, &map), "auth");
        assert_eq!(attribute("deploy/k8s/authz/a.yaml", None, &map), "ops");
        assert_eq!(attribute("docker-compose.yml", Some("web"), &map), "web");
        assert_eq!(attribute("backend/a.ts", None, &map), "backend");
        assert_eq!(attribute(".env", None, &map), "(root)");
        assert_eq!(join_rel("a/docker-compose.yml", "./b.env"), "a/b.env");
        assert_eq!(join_rel("a/docker-compose.yml", "../.env"), ".env");
    }
}
