//! The `secretops.toml` the demo writes, so the console opens on the fleet with no setup. Only
//! fields the main crate's inventory parser knows are written, since it rejects unknown keys.

use std::fmt::Write as _;
use std::path::Path;

use crate::demo::fleet::ServiceEndpoint;
use crate::demo::{
    BREAKER_NAME, DemoError, ENVIRONMENTS, KEY_FILE, RELATED_VAR, Role, SECRET_VAR, SERVICES,
    env_file_rel,
};

/// The inventory text for the fleet listening on `endpoints`.
pub(crate) fn render(endpoints: &[ServiceEndpoint], standin: Option<&str>) -> String {
    let mut out = String::from(
        "# Written by `secretops demo` for this workdir. Local stand-ins on 127.0.0.1 only.\n",
    );
    let _ = write!(
        out,
        "[secret]\nname = \"{SECRET_VAR}\"\nrelated = [\"{RELATED_VAR}\"]\n\n\
         [fingerprint]\nkey_file = \"{KEY_FILE}\"\n"
    );
    for env in &ENVIRONMENTS {
        let addrs = |service: &str| -> Vec<String> {
            endpoints
                .iter()
                .filter(|e| e.environment == env.name && e.service == service)
                .map(|e| e.addr.to_string())
                .collect()
        };
        let _ = write!(
            out,
            "\n[[environment]]\nname = \"{0}\"\ntier = \"{0}\"\n",
            env.name
        );
        if let Some(auth) = addrs(SERVICES[0].name).first() {
            let _ = writeln!(
                out,
                "auth = {{ kind = \"scrape\", url = \"http://{auth}/metrics\", \
                 success = 'auth_requests_total{{result=\"success\"}}', \
                 failure = 'auth_requests_total{{result=\"failure\"}}' }}"
            );
        }
        for svc in &SERVICES {
            let addrs = addrs(svc.name);
            let Some(first) = addrs.first() else {
                continue;
            };
            let role = match svc.role {
                Role::Validator => "validator",
                Role::Consumer => "consumer",
            };
            let source = match standin {
                Some(endpoint)
                    if env.name == crate::demo::fleet::STANDIN_ENVIRONMENT
                        && svc.role == Role::Validator =>
                {
                    format!(
                        "{{ kind = \"gcp-secret-manager\", project = \"{}\", secret = \"{}\", \
                         endpoint = \"{endpoint}\", credentials = \"anonymous\" }}",
                        crate::demo::fleet::STANDIN_PROJECT,
                        crate::demo::fleet::STANDIN_SECRET,
                    )
                }
                _ => format!(
                    "{{ kind = \"env-file\", path = \"{}\" }}",
                    env_file_rel(env.name, svc.name)
                ),
            };
            let _ = write!(
                out,
                "\n[[environment.service]]\nname = \"{}\"\nrole = \"{role}\"\n\
                 source = {source}\n\
                 health = {{ url = \"http://{first}/health\", timeout = \"2s\" }}\n",
                svc.name,
            );
            if svc.role == Role::Consumer {
                let urls: Vec<String> = addrs
                    .iter()
                    .map(|a| format!("\"http://{a}/actuator/circuitbreakers\""))
                    .collect();
                let _ = writeln!(
                    out,
                    "breaker = {{ kind = \"resilience4j\", urls = [{}], names = [\"{BREAKER_NAME}\"] }}",
                    urls.join(", ")
                );
            }
        }
    }
    out
}

/// Writes the inventory atomically, so a console reading it never sees half a file.
pub(crate) fn write(
    path: &Path,
    endpoints: &[ServiceEndpoint],
    standin: Option<&str>,
) -> Result<(), DemoError> {
    crate::demo::files::write_atomic(path, render(endpoints, standin).as_bytes(), 0o644)
}
