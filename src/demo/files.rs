//! The demo's files: random values, env files, the originals kept for `heal`, and the
//! fingerprint key. Values live in `Zeroizing` buffers so they are wiped when dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::demo::{
    DemoError, ENVIRONMENTS, EnvSpec, KEY_FILE, ORIGINALS_FILE, RELATED_VAR, SECRET_VAR, SERVICES,
    env_file_rel,
};

/// URL-safe alphanumerics: no quoting is ever needed in env files, TOML, shells or headers.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Substrings the product reports as placeholders. A random value that happens to contain one is
/// drawn again, so the console shows only the outage the demo stages.
const AVOID: &[&str] = &[
    "changeme",
    "placeholder",
    "example",
    "dummy",
    "insecure",
    "todo",
];

/// A new random value for `env`: its prefix, then random characters up to the tier's length.
pub(crate) fn random_value(env: &EnvSpec) -> Result<Zeroizing<String>, DemoError> {
    loop {
        let mut out = Zeroizing::new(String::with_capacity(env.length));
        out.push_str(env.prefix);
        let mut buf = Zeroizing::new([0u8; 64]);
        while out.len() < env.length {
            getrandom::fill(buf.as_mut())?;
            // 248 = 4 * 62: rejecting the top bytes keeps every character equally likely.
            for b in buf.iter().filter(|b| **b < 248) {
                if out.len() == env.length {
                    break;
                }
                out.push(char::from(ALPHABET[usize::from(*b % 62)]));
            }
        }
        let lower = Zeroizing::new(out.to_lowercase());
        if !AVOID.iter().any(|m| lower.contains(m)) {
            return Ok(out);
        }
    }
}

/// The value of `key` in env-file text: `None` when the line is absent, `Some("")` when empty.
pub(crate) fn env_var(content: &str, key: &str) -> Option<Zeroizing<String>> {
    content.lines().rev().find_map(|line| {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        let (k, v) = line.split_once('=')?;
        if k.trim() != key {
            return None;
        }
        let v = v.trim();
        let v = strip_quotes(v, '"')
            .or_else(|| strip_quotes(v, '\''))
            .unwrap_or(v);
        Some(Zeroizing::new(v.to_owned()))
    })
}

fn strip_quotes(v: &str, q: char) -> Option<&str> {
    v.strip_prefix(q)?.strip_suffix(q)
}

/// `content` with `key` set to `value`: the existing line is replaced, or one is appended. Other
/// lines (comments, the related secret) stay as they are, like a hand edit would leave them.
pub(crate) fn with_env_var(content: &str, key: &str, value: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(content.len() + value.len()));
    let mut done = false;
    for line in content.lines() {
        let is_key = line
            .trim()
            .split_once('=')
            .is_some_and(|(k, _)| k.trim() == key);
        if is_key && !done {
            let _ = writeln!(out, "{key}={value}");
            done = true;
        } else if !is_key {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !done {
        let _ = writeln!(out, "{key}={value}");
    }
    out
}

/// A fresh env file for one service.
fn render_env(env: &str, service: &str, values: &EnvValues) -> Zeroizing<String> {
    let mut out = Zeroizing::new(format!(
        "# secretops demo: {env} {service}. Local stand-in values for 127.0.0.1 only.\n"
    ));
    let _ = writeln!(out, "{SECRET_VAR}={}", values.secret.as_str());
    let _ = writeln!(out, "{RELATED_VAR}={}", values.related.as_str());
    out
}

/// Writes `contents` to `path` atomically (temp file in the same folder, then rename) with
/// `mode`, so a watcher never reads half a file and the secret is never world-readable.
pub(crate) fn write_atomic(path: &Path, contents: &[u8], mode: u32) -> Result<(), DemoError> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut tag = [0u8; 6];
    getrandom::fill(&mut tag)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", hex(&tag)));
    let result = (|| {
        let mut opts = fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        #[cfg(not(unix))]
        let _ = mode;
        let mut f = opts.open(&tmp)?;
        f.write_all(contents)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    result.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        DemoError::io("write", path, e)
    })
}

/// Lowercase hex, for the key file and temp names.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Reads a file that may be missing (a missing env file means "no value").
pub(crate) fn read_optional(path: &Path) -> Result<Option<Zeroizing<String>>, DemoError> {
    match fs::read_to_string(path) {
        Ok(s) => Ok(Some(Zeroizing::new(s))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(DemoError::io("read", path, e)),
    }
}

/// The two values of one environment, as the validator holds them.
pub(crate) struct EnvValues {
    pub secret: Zeroizing<String>,
    pub related: Zeroizing<String>,
}

/// The values every validator started with, per environment name.
pub(crate) struct Originals(BTreeMap<&'static str, EnvValues>);

impl Originals {
    pub(crate) fn get(&self, env: &str) -> Option<&EnvValues> {
        self.0.get(env)
    }
}

/// Creates the workdir and its files if missing, reusing whatever exists so a restarted demo
/// keeps its values (and a staged breakage, as a real restart would).
pub(crate) fn prepare_workdir(workdir: &Path) -> Result<Originals, DemoError> {
    create_private_dir(workdir)?;
    let key = workdir.join(KEY_FILE);
    if !key.exists() {
        let mut raw = Zeroizing::new([0u8; 32]);
        getrandom::fill(raw.as_mut())?;
        let text = Zeroizing::new(hex(raw.as_ref()));
        write_atomic(&key, text.as_bytes(), 0o600)?;
    }
    let originals = load_or_create_originals(workdir)?;
    for env in &ENVIRONMENTS {
        create_private_dir(&workdir.join(env.name))?;
        let values = originals.get(env.name).ok_or_else(|| {
            DemoError::io("prepare", workdir.join(ORIGINALS_FILE), missing_entry())
        })?;
        for svc in &SERVICES {
            let path = workdir.join(env_file_rel(env.name, svc.name));
            if !path.exists() {
                write_atomic(
                    &path,
                    render_env(env.name, svc.name, values).as_bytes(),
                    0o600,
                )?;
            }
        }
    }
    Ok(originals)
}

fn missing_entry() -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        "an environment has no values",
    )
}

fn create_private_dir(dir: &Path) -> Result<(), DemoError> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir).map_err(|e| DemoError::io("create", dir, e))
}

/// Loads the originals file, filling in environments it lacks from the validator's env file
/// (an older workdir) or new random values, and saves it back if anything was added.
fn load_or_create_originals(workdir: &Path) -> Result<Originals, DemoError> {
    let path = workdir.join(ORIGINALS_FILE);
    let mut map = BTreeMap::new();
    if let Some(text) = read_optional(&path)? {
        parse_originals(&text, &path, &mut map)?;
    }
    let mut changed = false;
    for env in &ENVIRONMENTS {
        if map.contains_key(env.name) {
            continue;
        }
        changed = true;
        let validator = workdir.join(env_file_rel(env.name, SERVICES[0].name));
        let existing = read_optional(&validator)?.and_then(|t| {
            let secret = env_var(&t, SECRET_VAR).filter(|v| !v.is_empty())?;
            let related = env_var(&t, RELATED_VAR).filter(|v| !v.is_empty())?;
            Some(EnvValues { secret, related })
        });
        let values = match existing {
            Some(v) => v,
            None => EnvValues {
                secret: random_value(env)?,
                related: random_value(env)?,
            },
        };
        map.insert(env.name, values);
    }
    if changed {
        let mut text = Zeroizing::new(String::from(
            "# secretops demo: the values each validator started with; `heal` restores them.\n",
        ));
        for (env, v) in &map {
            let _ = writeln!(text, "{env}.{SECRET_VAR}={}", v.secret.as_str());
            let _ = writeln!(text, "{env}.{RELATED_VAR}={}", v.related.as_str());
        }
        write_atomic(&path, text.as_bytes(), 0o600)?;
    }
    Ok(Originals(map))
}

fn parse_originals(
    text: &str,
    path: &Path,
    map: &mut BTreeMap<&'static str, EnvValues>,
) -> Result<(), DemoError> {
    let mut partial: BTreeMap<&'static str, [Option<Zeroizing<String>>; 2]> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = || DemoError::Originals {
            path: PathBuf::from(path),
            line: i + 1,
        };
        let (lhs, value) = line.split_once('=').ok_or_else(bad)?;
        let (env, var) = lhs.split_once('.').ok_or_else(bad)?;
        let env = ENVIRONMENTS
            .iter()
            .find(|e| e.name == env)
            .ok_or_else(bad)?;
        let slot = match var {
            SECRET_VAR => 0,
            RELATED_VAR => 1,
            _ => return Err(bad()),
        };
        if value.is_empty() {
            return Err(bad());
        }
        partial.entry(env.name).or_default()[slot] = Some(Zeroizing::new(value.to_owned()));
    }
    for (env, [secret, related]) in partial {
        if let (Some(secret), Some(related)) = (secret, related) {
            map.insert(env, EnvValues { secret, related });
        }
    }
    Ok(())
}

/// Sets `key` in one env file to `value`, keeping the rest of the file.
pub(crate) fn set_in_file(path: &Path, key: &str, value: &str) -> Result<(), DemoError> {
    let current = read_optional(path)?.unwrap_or_default();
    write_atomic(path, with_env_var(&current, key, value).as_bytes(), 0o600)
}

/// Rewrites every env file whose values differ from the originals. Returns the files changed,
/// relative to the workdir.
pub(crate) fn restore_all(workdir: &Path, originals: &Originals) -> Result<Vec<String>, DemoError> {
    let mut changed = Vec::new();
    for env in &ENVIRONMENTS {
        let Some(values) = originals.get(env.name) else {
            continue;
        };
        for svc in &SERVICES {
            let rel = env_file_rel(env.name, svc.name);
            let path = workdir.join(&rel);
            let current = read_optional(&path)?.unwrap_or_default();
            let same = |key: &str, want: &Zeroizing<String>| {
                env_var(&current, key).is_some_and(|v| v.as_str() == want.as_str())
            };
            if same(SECRET_VAR, &values.secret) && same(RELATED_VAR, &values.related) {
                continue;
            }
            write_atomic(
                &path,
                render_env(env.name, svc.name, values).as_bytes(),
                0o600,
            )?;
            changed.push(rel);
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_have_prefix_length_and_alphabet() {
        for env in &ENVIRONMENTS {
            let v = random_value(env).expect("random");
            assert_eq!(v.len(), env.length);
            assert!(v.starts_with(env.prefix));
            assert!(
                v[env.prefix.len()..]
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric())
            );
            assert_ne!(v, random_value(env).expect("random"));
        }
    }

    #[test]
    fn env_var_reads_and_replaces() {
        let text = "# c\nSERVICE_SECRET=abc\nJWT_SECRET_KEY=\"q\"\n";
        assert_eq!(
            env_var(text, "SERVICE_SECRET")
                .as_deref()
                .map(String::as_str),
            Some("abc")
        );
        assert_eq!(
            env_var(text, "JWT_SECRET_KEY")
                .as_deref()
                .map(String::as_str),
            Some("q")
        );
        assert!(env_var(text, "OTHER").is_none());
        let out = with_env_var(text, "SERVICE_SECRET", "");
        assert_eq!(out.as_str(), "# c\nSERVICE_SECRET=\nJWT_SECRET_KEY=\"q\"\n");
        assert_eq!(with_env_var("", "A", "b").as_str(), "A=b\n");
    }
}
