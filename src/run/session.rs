//! What `plan`, `up` and `destroy` share: the checked manifest, the AWS session (with the
//! account verified), the desired state for the real account, and timed phases.

use super::{CommandError, StopKind, environment, load_manifest};
use crate::actual::ActualState;
use crate::actual::scope::ReadScope;
use crate::checked::CheckedManifest;
use crate::cli::GlobalOptions;
use crate::cloud::aws::AwsCloud;
use crate::cloud::sdk_config::{self, AwsOptions};
use crate::cloud::stats::ApiCalls;
use crate::desired::{self, Context, DesiredEnvironment};
use crate::http_check::{HttpCheck, HyperHttpCheck};
use crate::output::{Printer, plan_view, stats_view};
use crate::plan::{self, Goal, Plan};
use std::time::{Duration, Instant};

/// Everything a command may ask of AWS: the union of the seams the domain modules declare.
/// [`AwsCloud`] is one; the tests' in-memory fake is another, so that whole commands run
/// without AWS. `Clone + Send + Sync + 'static`: the deploy lock is renewed by a background task.
pub trait Cloud:
    crate::doctor::AccountAccess
    + crate::actual::EnvironmentReader
    + crate::apply::ResourceWriter
    + crate::rollout::ServiceControl
    + crate::history::HistoryStore
    + crate::deploy_lock::LockStore
    + crate::images::ImageRegistry
    + crate::secret_store::SecretStore
    + crate::import::ImportAccess
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<T> Cloud for T where
    T: crate::doctor::AccountAccess
        + crate::actual::EnvironmentReader
        + crate::apply::ResourceWriter
        + crate::rollout::ServiceControl
        + crate::history::HistoryStore
        + crate::deploy_lock::LockStore
        + crate::images::ImageRegistry
        + crate::secret_store::SecretStore
        + crate::import::ImportAccess
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// One run against one environment, over AWS (`C`) and the service's own HTTP check (`H`).
pub struct Session<C = AwsCloud, H = HyperHttpCheck> {
    pub checked: CheckedManifest,
    pub environment: String,
    pub cloud: C,
    /// The gate's HTTP check; `None` when it cannot be made (the system's TLS certificates are
    /// unreadable), which only a gate reports.
    pub http: Option<H>,
    /// The AWS calls made so far, for `--stats`.
    pub calls: ApiCalls,
    pub account_id: String,
    /// The caller's ARN (the operator, in the history).
    pub identity_arn: String,
    pub desired: DesiredEnvironment,
    pub scope: ReadScope,
    /// Timed phases for `--stats`; behind a lock so that a read can time itself while other
    /// reads of the same session run beside it.
    pub phases: std::sync::Mutex<Vec<(String, Duration)>>,
    pub manifest_dir: std::path::PathBuf,
    /// The region and account the desired state was built for.
    pub context: Context,
    /// This run, once it holds the deploy lock: what its history records name.
    pub run: Option<crate::history::RunRef>,
    /// The deploy lock as read beside the identity, by [`Session::open_to_change`]: a command
    /// that changes the environment needs it read before the environment is (see
    /// `commands::change`), and beside the identity it costs no round of its own.
    pub lock_seen: Option<Option<crate::deploy_lock::DeployLock>>,
}

impl Session {
    /// Loads the manifest, connects, checks the account, and builds the desired state.
    pub async fn open(
        global: &GlobalOptions,
        environment_name: &str,
        printer: &Printer,
    ) -> Result<Session, CommandError> {
        Self::open_reading(global, environment_name, printer, false).await
    }

    /// [`Session::open`] for `up`, `destroy` and `repositories`: also reads the deploy lock,
    /// beside the identity ([`Session::lock_seen`]).
    pub async fn open_to_change(
        global: &GlobalOptions,
        environment_name: &str,
        printer: &Printer,
    ) -> Result<Session, CommandError> {
        Self::open_reading(global, environment_name, printer, true).await
    }

    async fn open_reading(
        global: &GlobalOptions,
        environment_name: &str,
        printer: &Printer,
        read_lock: bool,
    ) -> Result<Session, CommandError> {
        let started = Instant::now();
        let checked = load_manifest(global, printer)?;
        environment(&checked, environment_name)?;
        let project = &checked.manifest.project;
        let options = AwsOptions {
            region_flag: global.region.clone(),
            manifest_region: project.region.as_ref().map(|region| region.value.clone()),
            profile: global.profile.clone(),
            endpoint_url: global.endpoint_url.clone(),
            answer_timeout: super::aws_timeout(global)?,
        };
        let config = sdk_config::load(&options).await;
        let region = config.region().ok_or_else(|| {
            CommandError::usage(
                "no AWS region",
                vec!["set region in [project], pass --region, or set AWS_REGION".into()],
            )
        })?;
        let cloud = AwsCloud::new(&config);
        let http = HyperHttpCheck::new(Duration::from_secs(5));
        let calls = cloud.calls().clone();
        let loaded = started.elapsed();
        let region = region.to_string();
        let session =
            Session::connect(checked, environment_name, cloud, http, calls, region, &global.manifest_dir, read_lock)
                .await?;
        if let Ok(mut phases) = session.phases.lock() {
            phases.insert(0, ("load manifest and AWS configuration".to_string(), loaded));
        }
        Ok(session)
    }
}

impl<C: Cloud, H: HttpCheck> Session<C, H> {
    /// Checks the account `cloud`'s credentials are for and builds the desired state: the part
    /// of [`Session::open`] that does not depend on how AWS is reached. With `read_lock`, the
    /// deploy lock is read beside the identity ([`Session::lock_seen`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn connect(
        checked: CheckedManifest,
        environment_name: &str,
        cloud: C,
        http: Option<H>,
        calls: ApiCalls,
        region: String,
        manifest_dir: &std::path::Path,
        read_lock: bool,
    ) -> Result<Session<C, H>, CommandError> {
        environment(&checked, environment_name)?;
        let project = &checked.manifest.project;
        let mut phases = Vec::new();
        let started = Instant::now();
        let history = crate::history::HistoryScope::new(&project.name.value, environment_name);
        let lock = async {
            match read_lock {
                true => cloud.lock_read(&history).await.map(Some),
                false => Ok(None),
            }
        };
        let (identity, lock_seen) = tokio::join!(cloud.caller_identity(), lock);
        let identity = identity?;
        phases.push(("identity".into(), started.elapsed()));
        if let Some(pinned) = &project.account_id
            && pinned.value != identity.account_id
        {
            return Err(CommandError::stopped(
                StopKind::Refused,
                format!(
                    "the credentials are for account {}, but the manifest pins account {}",
                    identity.account_id, pinned.value
                ),
                vec![
                    "use credentials of the pinned account (see `ecsdeploy doctor`), or change project.account_id"
                        .into(),
                ],
            ));
        }
        let manifest = &checked.manifest;
        let environment_spec = environment(&checked, environment_name)?;
        let context = Context::new(region, Some(identity.account_id.clone()));
        let desired = desired::build(manifest, environment_spec, &context);
        let scope = ReadScope::new(manifest, environment_spec, &desired);
        Ok(Session {
            environment: environment_name.to_string(),
            account_id: identity.account_id,
            identity_arn: identity.arn,
            cloud,
            http,
            calls,
            desired,
            scope,
            phases: std::sync::Mutex::new(phases),
            checked,
            manifest_dir: manifest_dir.to_path_buf(),
            context,
            run: None,
            lock_seen: lock_seen?,
        })
    }

    /// Plans with `checked` instead of the manifest on disk (what `import` is about to write).
    pub fn use_manifest(&mut self, checked: CheckedManifest) -> Result<(), CommandError> {
        let environment = environment(&checked, &self.environment)?;
        self.desired = desired::build(&checked.manifest, environment, &self.context);
        self.scope = ReadScope::new(&checked.manifest, environment, &self.desired);
        self.checked = checked;
        Ok(())
    }

    /// Deploys `tags` (service -> image tag) instead of the manifest's tags: what `up --build`
    /// just built and pushed. Rebuilds the desired state and what is read.
    pub fn use_image_tags(&mut self, tags: &std::collections::BTreeMap<String, String>) {
        let manifest = &self.checked.manifest;
        let Some(environment) = manifest.environment(&self.environment) else { return };
        let mut environment = environment.clone();
        for service in &mut environment.services {
            if let (Some(tag), crate::manifest::Image::Ecr { tag: manifest_tag, .. }) =
                (tags.get(&service.name.value), &mut service.image)
            {
                manifest_tag.value = tag.clone();
            }
        }
        self.desired = desired::build(manifest, &environment, &self.context);
        self.scope = ReadScope::new(manifest, &environment, &self.desired);
    }

    /// Reads the environment and plans toward `goal`.
    pub async fn plan(&self, goal: Goal) -> Result<(Plan, ActualState), CommandError> {
        let started = Instant::now();
        let actual = self.cloud.read(&self.scope).await?;
        self.time("read actual state", started);
        let started = Instant::now();
        let plan = plan::plan(&self.desired, &actual, goal).map_err(CommandError::Plan)?;
        self.time("plan", started);
        Ok((plan, actual))
    }

    /// Where this project's deployment history lives, for this environment.
    pub fn history_scope(&self) -> crate::history::HistoryScope {
        crate::history::HistoryScope::new(&self.checked.manifest.project.name.value, &self.environment)
    }

    /// The manifest directory (for its git commit).
    pub fn checked_dir(&self) -> std::path::PathBuf {
        self.manifest_dir.clone()
    }

    pub fn time(&self, phase: &str, started: Instant) {
        if let Ok(mut phases) = self.phases.lock() {
            phases.push((phase.to_string(), started.elapsed()));
        }
    }

    fn phases(&self) -> Vec<(String, Duration)> {
        self.phases.lock().map(|phases| phases.clone()).unwrap_or_default()
    }

    /// `--stats` on stderr (text) or as a JSON value.
    pub fn stats_text(&self) -> String {
        stats_view::text(&self.calls.counts(), self.calls.sequential_rounds(), &self.phases())
    }

    pub fn stats_json(&self) -> serde_json::Value {
        stats_view::json(&self.calls.counts(), self.calls.sequential_rounds(), &self.phases())
    }
}

/// Prints a plan the way every command does.
pub fn print_plan(printer: &Printer, plan: &Plan, stats: Option<serde_json::Value>) {
    if printer.is_json() {
        let mut value = plan_view::json(plan);
        if let (Some(stats), Some(object)) = (stats, value.as_object_mut()) {
            object.insert("stats".into(), stats);
        }
        printer.json(&value);
    } else {
        printer.data(&plan_view::text(plan));
    }
}
