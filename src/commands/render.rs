//! `ecsdeploy render --env E [--service S]`: the desired state as the AWS APIs would receive it.
//! No AWS call; values only AWS knows are shown as `<references>`; never a secret value (the
//! manifest holds none: secrets are referenced by ARN).

use super::{CommandError, environment, load_manifest};
use crate::cli::{GlobalOptions, RenderArgs};
use crate::desired::{self, Context};
use crate::exit_status::ExitStatus;
use crate::output::{Printer, render_view};

/// Region and account for ARNs without calling AWS: `--region`, the manifest, the AWS
/// environment; `--account-id`, the manifest's `account_id`, else a placeholder.
pub(super) fn offline_context(
    global: &GlobalOptions,
    manifest: &crate::manifest::Manifest,
    account_flag: Option<&str>,
) -> Result<Context, CommandError> {
    let region = global
        .region
        .clone()
        .or_else(|| manifest.project.region.as_ref().map(|region| region.value.clone()))
        .or_else(|| std::env::var("AWS_REGION").ok())
        .or_else(|| std::env::var("AWS_DEFAULT_REGION").ok())
        .ok_or_else(|| {
            CommandError::usage(
                "no region: the desired state names the region in ARNs and log settings",
                vec!["set region in [project] of services.toml, or pass --region".into()],
            )
        })?;
    if let Some(account) = account_flag
        && let Err(reason) = crate::manifest::aws_names::account_id(account)
    {
        return Err(CommandError::usage(format!("`{account}` is not an AWS account ID"), vec![reason]));
    }
    let account = account_flag
        .map(str::to_string)
        .or_else(|| manifest.project.account_id.as_ref().map(|account| account.value.clone()));
    Ok(Context::new(region, account))
}

pub fn run(global: &GlobalOptions, args: &RenderArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let checked = load_manifest(global, printer)?;
    let manifest = &checked.manifest;
    let environment = environment(&checked, &args.env)?;
    let context = offline_context(global, manifest, args.account_id.as_deref())?;
    let mut desired = desired::build(manifest, environment, &context);
    if let Some(name) = &args.service {
        let Some(service) = desired.service(name).cloned() else {
            let known: Vec<_> = environment.enabled_services().map(|service| service.name.value.clone()).collect();
            return Err(CommandError::usage(
                format!("no service `{name}` in environment {}", args.env),
                vec![format!("services deployed there: {}", known.join(", "))],
            ));
        };
        desired.services = vec![service];
        desired.dns_records.clear();
    }
    if printer.is_json() {
        let mut json = render_view::json(&desired);
        if args.service.is_some()
            && let Some(object) = json.as_object_mut()
        {
            // One service: what the environments share is not part of it.
            object.remove("shared");
        }
        printer.json(&json);
    } else if args.service.is_some() {
        printer.data(&render_view::service_only_text(&desired));
    } else {
        printer.data(&render_view::text(&desired));
    }
    Ok(ExitStatus::Success)
}
