//! `ecsdeploy import --env E --cluster C --service S`: read a running service, write the
//! manifest entry that reproduces it, and adopt its resources (tag them as the environment's),
//! so that the next `plan` is empty.
//!
//! Nothing changes before the operator has seen the entry, the resources to tag and the plan
//! that would follow (computed from the entry and the service as read, as if already adopted).
//! An entry that cannot reproduce the service exactly is refused unless
//! `--accept-differences`; the entry is written and the tags added under the deploy lock.

use super::{CommandError, StopKind, environment};
use crate::cli::{GlobalOptions, ImportArgs};
use crate::exit_status::ExitStatus;
use crate::http_check::HttpCheck;
use crate::import::adopt::adopt_all;
use crate::import::adoption::{adopted_state, adoptions};
use crate::import::toml_text::{appended, block};
use crate::import::{Adoption, ImportRequest, ImportedEntry, imported_entry};
use crate::output::{Printer, import_view};
use crate::plan::{self, Action, Goal, Plan, ResourceChange};
use crate::run::session::Cloud;
use crate::run::session::Session;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

pub async fn run(global: &GlobalOptions, args: &ImportArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let mut session = Session::open(global, &args.env, printer).await?;
    let project = &session.checked.manifest.project;
    if args.cluster != project.cluster.value {
        return Err(CommandError::usage(
            format!("the manifest deploys to cluster {}, not {}", project.cluster.value, args.cluster),
            vec!["ecsdeploy runs every service on the manifest's one cluster; move the service there first".into()],
        ));
    }
    let request = ImportRequest {
        cluster: args.cluster.clone(),
        service: args.service.clone(),
        load_balancer: session.scope.load_balancer.clone(),
    };
    let (source, entry) = read_and_map(&session, &request, args).await?;
    if session.checked.manifest.service_names.iter().any(|name| name.value == entry.name) {
        return Err(CommandError::usage(
            format!("the manifest already has a service `{}`", entry.name),
            vec![format!("`ecsdeploy plan --env {}` shows how it differs from the running service", args.env)],
        ));
    }
    let files = ManifestFiles::with_entry(&session, &entry)?;
    let checked = crate::checked::load_from_texts(&files.services.1, &files.environment_texts())?;
    session.use_manifest(checked)?;
    let (adoptions, differences) = preview(&session, &entry, &source).await?;
    let report = import_view::Report {
        environment: &args.env,
        service: &args.service,
        entry: &entry,
        files: vec![
            (files.services.0.clone(), block(&entry.service_sections)),
            (files.environment.0.clone(), block(&entry.environment_sections)),
        ],
        adoptions: &adoptions,
        differences: &differences,
    };
    if !printer.is_json() {
        printer.data(&import_view::preview_text(&report));
        for name in import_view::secret_looking_variables(&entry) {
            printer.warning(&import_view::secret_variable_text(&name, &entry.name));
        }
    }
    if args.dry_run {
        if printer.is_json() {
            printer.json(&import_view::json(&report, false, None));
        }
        return Ok(ExitStatus::Success);
    }
    refuse_differences(args, &differences)?;
    confirm(args, printer)?;
    let lock = crate::run::lock::hold(&session, "import", &args.lock, printer).await?;
    let result = async {
        // What was shown may have changed while the question or the lock waited: the files,
        // the service, or (another run held the lock) the environment. Check all three again.
        files.check_unchanged()?;
        let (source, again) = read_and_map(&session, &request, args).await?;
        if again != entry {
            return Err(CommandError::stopped(
                StopKind::Refused,
                format!("service {} changed while the import waited; nothing was written", args.service),
                vec!["run the import again to see the entry for its new settings".into()],
            ));
        }
        let (adoptions, differences) = preview(&session, &entry, &source).await?;
        refuse_differences(args, &differences)?;
        write_and_adopt(&session, &files, &source, &adoptions, &lock, printer).await
    }
    .await;
    lock.release(printer).await;
    result?;
    // What the next `plan` will say, read back from AWS with the manifest now on disk.
    let (plan, _) = session.plan(Goal::Converge).await?;
    let remaining = service_changes(&plan, &entry.name);
    if printer.is_json() {
        printer.json(&import_view::json(&report, true, Some(&remaining)));
    } else {
        printer.data(&import_view::done_text(&report, &remaining));
    }
    Ok(ExitStatus::Success)
}

/// The service as it runs now, and the entry that reproduces it.
async fn read_and_map<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    request: &ImportRequest,
    args: &ImportArgs,
) -> Result<(crate::import::ImportSource, ImportedEntry), CommandError> {
    let source = session.cloud.read_import_source(request).await?.ok_or_else(|| {
        CommandError::usage(
            format!("cluster {} has no active service {}", args.cluster, args.service),
            vec![format!("list them with: aws ecs list-services --cluster {}", args.cluster)],
        )
    })?;
    let environment = environment(&session.checked, &args.env)?;
    let entry = imported_entry(&session.checked.manifest.project, environment, &source).map_err(|refusal| {
        CommandError::stopped(
            StopKind::Refused,
            format!("cannot import service {}: {refusal}", args.service),
            vec!["see docs/import.md for what a service needs to be imported".into()],
        )
    })?;
    Ok((source, entry))
}

/// The tags to add, and the plan that would follow for the service once they are on:
/// `session` plans with the manifest that includes the entry.
async fn preview<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    entry: &ImportedEntry,
    source: &crate::import::ImportSource,
) -> Result<(Vec<Adoption>, Vec<ResourceChange>), CommandError> {
    let Some(desired) = session.desired.service(&entry.name).cloned() else {
        return Err(CommandError::usage(
            format!("service `{}` is not enabled in {}", entry.name, session.environment),
            Vec::new(),
        ));
    };
    let actual = session.cloud.read(&session.scope).await?;
    let adoptions = adoptions(&desired, &actual.values, source);
    let adopted = adopted_state(actual, &desired, source, &adoptions);
    let plan = plan::plan(&session.desired, &adopted, Goal::Converge).map_err(CommandError::Plan)?;
    Ok((adoptions, service_changes(&plan, &entry.name)))
}

fn refuse_differences(args: &ImportArgs, differences: &[ResourceChange]) -> Result<(), CommandError> {
    if differences.is_empty() || args.accept_differences {
        return Ok(());
    }
    Err(CommandError::stopped(
        StopKind::Refused,
        format!(
            "the entry cannot reproduce {} exactly: the next `up` would change {} resource(s); nothing was written",
            args.service,
            differences.len()
        ),
        vec![
            "pass --accept-differences to import it anyway and let the next `up` make these changes".into(),
            "or change the service so that it fits (see docs/import.md), and import again".into(),
        ],
    ))
}

/// The plan's changes to the imported service's resources.
fn service_changes(plan: &Plan, name: &str) -> Vec<ResourceChange> {
    plan.changes
        .iter()
        .filter(|change| change.action() != Action::NoOp && change.address.service_name() == Some(name))
        .cloned()
        .collect()
}

/// Writes the manifest files, then tags the resources, under the lock. All or nothing (see
/// [`adopt_all`]): when a tag cannot be added, the files get their old text back too.
async fn write_and_adopt<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    files: &ManifestFiles,
    source: &crate::import::ImportSource,
    adoptions: &[Adoption],
    lock: &crate::run::lock::HeldLock<C>,
    printer: &Printer,
) -> Result<(), CommandError> {
    lock.ensure_held()?;
    files.write(false)?;
    let told = |adoption: &Adoption| {
        if !printer.is_json() {
            printer.info(&import_view::adopted_line(adoption));
        }
    };
    let Err(failure) = adopt_all(&session.cloud, source, adoptions, || lock.ensure_held(), told).await else {
        return Ok(());
    };
    let restored = files.write(true);
    if !failure.not_undone.is_empty() || restored.is_err() {
        let not_undone: Vec<String> = failure.not_undone.iter().map(ToString::to_string).collect();
        printer.warning(&import_view::undo_failed_text(
            &not_undone,
            restored.err().as_ref().map(|error| error as &dyn std::fmt::Display),
        ));
    } else if !printer.is_json() {
        printer.info("the tags added were taken off and the manifest files restored: nothing changed");
    }
    Err(failure.cause)
}

/// The manifest's files with the imported entry appended: `(path relative to the manifest
/// directory, text)`.
struct ManifestFiles {
    directory: PathBuf,
    services: (String, String),
    environment: (String, String),
    /// The texts of `services` and `environment` before the import.
    originals: [String; 2],
    /// Every environment's `(name, text)`, the imported one's with the entry.
    environments: Vec<(String, String)>,
}

impl ManifestFiles {
    fn with_entry<C: Cloud, H: HttpCheck>(
        session: &Session<C, H>,
        entry: &ImportedEntry,
    ) -> Result<Self, CommandError> {
        let sources = &session.checked.sources;
        let mut services = None;
        let mut environment = None;
        let mut environments = Vec::new();
        let mut originals = [String::new(), String::new()];
        for file in sources.files() {
            let text = file.text.as_str();
            if file.name == "services.toml" {
                services = Some((file.name.clone(), appended(text, &block(&entry.service_sections))));
                originals[0] = text.to_string();
                continue;
            }
            let Some(name) = file.name.strip_prefix("environments/").and_then(|name| name.strip_suffix(".toml")) else {
                continue;
            };
            if name == session.environment {
                originals[1] = text.to_string();
                let text = appended(text, &block(&entry.environment_sections));
                environment = Some((file.name.clone(), text.clone()));
                environments.push((name.to_string(), text));
            } else {
                environments.push((name.to_string(), text.to_string()));
            }
        }
        let missing =
            || CommandError::stopped(StopKind::Io, "the manifest's files could not be found again", Vec::new());
        Ok(ManifestFiles {
            directory: session.manifest_dir.clone(),
            services: services.ok_or_else(missing)?,
            environment: environment.ok_or_else(missing)?,
            environments,
            originals,
        })
    }

    /// Writes the texts with the entry, or (`restore`) the texts as they were. Each file is
    /// replaced whole (written beside it, then renamed); when the second cannot be written, the
    /// first gets its old text back.
    fn write(&self, restore: bool) -> Result<(), CommandError> {
        let texts =
            if restore { [&self.originals[0], &self.originals[1]] } else { [&self.services.1, &self.environment.1] };
        let paths = [&self.services.0, &self.environment.0];
        replace_file(&self.directory.join(paths[0]), texts[0])?;
        if let Err(error) = replace_file(&self.directory.join(paths[1]), texts[1]) {
            if !restore {
                let _ = replace_file(&self.directory.join(paths[0]), &self.originals[0]);
            }
            return Err(error);
        }
        Ok(())
    }

    fn environment_texts(&self) -> Vec<(&str, &str)> {
        self.environments.iter().map(|(name, text)| (name.as_str(), text.as_str())).collect()
    }

    /// Refuses when someone changed either file since the import read them: writing would lose
    /// their edit.
    fn check_unchanged(&self) -> Result<(), CommandError> {
        for (index, path) in [&self.services.0, &self.environment.0].into_iter().enumerate() {
            let full = self.directory.join(path);
            let now = std::fs::read_to_string(&full).map_err(|error| {
                CommandError::stopped(
                    StopKind::Io,
                    format!("cannot read {} again: {error}; nothing was written", full.display()),
                    Vec::new(),
                )
            })?;
            if now != self.originals[index] {
                return Err(CommandError::stopped(
                    StopKind::Refused,
                    format!("{} changed while the import waited; nothing was written", full.display()),
                    vec!["run the import again".into()],
                ));
            }
        }
        Ok(())
    }
}

/// Writes `text` to `path` through a file beside it and a rename, so that a reader never sees
/// half a manifest.
fn replace_file(path: &std::path::Path, text: &str) -> Result<(), CommandError> {
    let failed = |error: std::io::Error| {
        CommandError::stopped(
            StopKind::Io,
            format!("cannot write {}: {error}; nothing was tagged", path.display()),
            Vec::new(),
        )
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".ecsdeploy-import");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, text).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        failed(error)
    })
}

/// `--yes`, or `yes` typed on a terminal.
fn confirm(args: &ImportArgs, printer: &Printer) -> Result<(), CommandError> {
    if args.yes {
        return Ok(());
    }
    if printer.is_json() || !std::io::stdin().is_terminal() {
        return Err(CommandError::stopped(
            StopKind::Confirmation,
            "refusing to import without confirmation: not run from a terminal (or --output json)",
            vec!["pass --yes to write the entry and tag the resources from a script".into()],
        ));
    }
    printer.stderr(&format!(
        "\nWrite this entry and tag these resources as environment {}'s? Only 'yes' will be accepted: ",
        args.env
    ));
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    if answer.trim() == "yes" {
        Ok(())
    } else {
        Err(CommandError::stopped(StopKind::Confirmation, "cancelled: nothing was changed", Vec::new()))
    }
}
