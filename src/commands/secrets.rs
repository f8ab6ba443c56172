//! `ecsdeploy secrets list|set`: the secrets an environment's services use.
//!
//! `list` shows metadata only. `set` is the one command that handles a value: read from stdin or
//! a file (never argv, so it never shows in `ps` or shell history), held in a `SecretValue`
//! (whose Debug is redacted) and sent to Secrets Manager; never printed, logged or stored.
//! It changes only secrets ecsdeploy created (tagged for this project and environment).

use super::{CommandError, StopKind};
use crate::cli::{GlobalOptions, SecretsArgs, SecretsCommand};
use crate::cloud::secret_info::SecretValue;
use crate::desired::tags::Tags;
use crate::desired::task_definition::SecretIdentity;
use crate::exit_status::ExitStatus;
use crate::http_check::HttpCheck;
use crate::output::secrets_view::SecretUse;
use crate::output::{Printer, secrets_view};
use crate::run::session::Cloud;
use crate::run::session::Session;
use crate::secret_store::SecretStore;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};

pub use crate::output::secrets_view::SECRETS_SCHEMA_VERSION;

pub async fn run(global: &GlobalOptions, args: &SecretsArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    match &args.command {
        SecretsCommand::List { env } => list(global, env, printer).await,
        SecretsCommand::Set { env, name, from_file, while_rotating } => {
            set(global, env, name, from_file.as_deref(), *while_rotating, printer).await
        }
    }
}

/// Secret (name or ARN) -> `service: VARIABLE` users, from the desired state; a secret the
/// manifest only sets rotation for is listed with no users.
fn uses<C: Cloud, H: HttpCheck>(session: &Session<C, H>) -> BTreeMap<String, Vec<String>> {
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for rotation in &session.desired.secret_rotations {
        uses.entry(rotation.secret_id.clone()).or_default();
    }
    for service in &session.desired.services {
        for container in &service.task_definition.container_definitions {
            for secret in &container.secrets {
                let (SecretIdentity::Name(key) | SecretIdentity::Arn(key)) = &secret.secret;
                uses.entry(key.clone()).or_default().push(format!("{}: {}", service.name, secret.name));
            }
        }
    }
    uses
}

async fn list(global: &GlobalOptions, env: &str, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, env, printer).await?;
    let project = session.checked.manifest.project.name.value.clone();
    let mut secrets = Vec::new();
    for (secret, used_by) in uses(&session) {
        let details = session.cloud.describe_secret(&secret, &project, env).await?;
        secrets.push(SecretUse { secret, used_by, details });
    }
    if printer.is_json() {
        printer.document(&secrets_view::SecretsListDocument {
            schema_version: SECRETS_SCHEMA_VERSION,
            environment: env,
            secrets: &secrets,
        });
    } else {
        printer.data(&secrets_view::list_text(&secrets));
    }
    Ok(ExitStatus::Success)
}

async fn set(
    global: &GlobalOptions,
    env: &str,
    name: &str,
    from_file: Option<&std::path::Path>,
    while_rotating: bool,
    printer: &Printer,
) -> Result<ExitStatus, CommandError> {
    let session = Session::open(global, env, printer).await?;
    let environment = super::environment(&session.checked, env)?;
    let full_name = crate::desired::names::secret_name(environment, name);
    let uses = uses(&session);
    let Some(used_by) = uses.get(&full_name).or_else(|| uses.get(name)).cloned() else {
        let prefix = &environment.secret_prefix.value;
        let known: Vec<String> =
            uses.keys().map(|key| key.strip_prefix(prefix.as_str()).unwrap_or(key).to_string()).collect();
        return Err(CommandError::usage(
            format!("no service in {env} uses a secret `{name}` (Secrets Manager name {full_name})"),
            vec![format!("secrets the manifest names: {}; add a reference in services.toml first", known.join(", "))],
        ));
    };
    let full_name = if uses.contains_key(&full_name) { full_name } else { name.to_string() };
    if full_name.starts_with("arn:") {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!("{full_name} is named by ARN: ecsdeploy sets only secrets it names (and creates) itself"),
            vec!["set it where it is managed, or name it in services.toml instead of its ARN".into()],
        ));
    }
    let value = read_value(from_file)?;
    let project = session.checked.manifest.project.name.value.clone();
    let existing = session.cloud.describe_secret(&full_name, &project, env).await?;
    if let Some(existing) = existing.as_ref().filter(|existing| !existing.owned) {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!(
                "secret {full_name} exists and is not ecsdeploy's (no ecsdeploy tags of project {project}, environment {env}): ecsdeploy never changes it"
            ),
            vec![format!(
                "change it where it is managed, e.g. aws secretsmanager put-secret-value --secret-id {} --secret-string file://<file>",
                existing.arn
            )],
        ));
    }
    if let Some(existing) = &existing
        && existing.deleted.is_some()
    {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!("secret {full_name} is scheduled for deletion: nothing was changed"),
            vec![format!("restore it first: aws secretsmanager restore-secret --secret-id {}", existing.arn)],
        ));
    }
    if let Some(existing) = existing.as_ref().filter(|existing| existing.rotation_enabled && !while_rotating) {
        return Err(CommandError::stopped(
            StopKind::Refused,
            format!(
                "secret {full_name} rotates automatically: a value set by hand can leave what it guards (a database password, say) out of step"
            ),
            vec![
                format!(
                    "let its rotation function set it (aws secretsmanager rotate-secret --secret-id {})",
                    existing.arn
                ),
                "or pass --while-rotating to set it anyway".into(),
            ],
        ));
    }
    let extra = session.checked.manifest.project.tags.iter().chain(&environment.tags);
    let tags = Tags::owned(&project, env, None, extra.map(|tag| (tag.key.value.as_str(), tag.value.value.as_str())));
    let written = session.cloud.write_secret(&full_name, existing.as_ref(), &value, &tags).await?;
    if printer.is_json() {
        printer.document(&secrets_view::SecretSetDocument {
            schema_version: SECRETS_SCHEMA_VERSION,
            environment: env,
            secret: &written,
            used_by: &used_by,
        });
    } else {
        printer.data(&secrets_view::set_text(&written, &used_by, env));
    }
    Ok(ExitStatus::Success)
}

/// The value from `file` (as is) or stdin (one trailing newline dropped, as `echo` adds one);
/// a terminal is refused, since what is typed would show on the screen.
fn read_value(file: Option<&std::path::Path>) -> Result<SecretValue, CommandError> {
    let value = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|error| {
            CommandError::stopped(
                StopKind::Io,
                format!("cannot read {}: {error}", path.display()),
                vec!["the file must be UTF-8 text".into()],
            )
        })?,
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CommandError::stopped(
                    StopKind::Refused,
                    "secrets set reads the value from stdin, and stdin is a terminal (the value would show)",
                    vec!["pipe it in (e.g. `pass show x | ecsdeploy secrets set ...`) or pass --from-file FILE".into()],
                ));
            }
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text).map_err(|error| {
                CommandError::stopped(
                    StopKind::Io,
                    format!("cannot read stdin: {error}"),
                    vec!["the value must be UTF-8 text".into()],
                )
            })?;
            let trimmed = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).map(str::to_string);
            trimmed.unwrap_or(text)
        }
    };
    if value.is_empty() {
        return Err(CommandError::usage("the secret value is empty: nothing was changed", Vec::new()));
    }
    Ok(SecretValue::new(value))
}
