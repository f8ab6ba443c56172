//! `ecsdeploy policy --env E`: the least-privilege IAM policy of the principal that deploys the
//! environment (see `deployer_policy`). No AWS call.

use super::render::offline_context;
use super::{CommandError, environment, load_manifest};
use crate::cli::{GlobalOptions, PolicyArgs};
use crate::deployer_policy::{MANAGED_POLICY_LIMIT, deployer_policy, policy_size};
use crate::desired::{self, Context, Reference};
use crate::exit_status::ExitStatus;
use crate::output::{Printer, policy_view};

pub fn run(global: &GlobalOptions, args: &PolicyArgs, printer: &Printer) -> Result<ExitStatus, CommandError> {
    let checked = load_manifest(global, printer)?;
    let manifest = &checked.manifest;
    let environment = environment(&checked, &args.env)?;
    let context = offline_context(global, manifest, args.account_id.as_deref())?;
    // An account neither the flag nor the manifest names is `*`: the policy is valid in any account.
    let context = match context.account {
        Reference::AccountId => Context { account: Reference::known("*"), ..context },
        _ => context,
    };
    let desired = desired::build(manifest, environment, &context);
    let policy = deployer_policy(manifest, environment, &desired, &context);
    let size = policy_size(&policy);
    if printer.is_json() {
        printer.json(&policy_view::json(&args.env, &policy, size));
    } else {
        printer.data(&policy_view::text(&policy));
        if size > MANAGED_POLICY_LIMIT {
            printer.warning(&format!(
                "the policy has {size} characters (without whitespace); a managed policy takes {MANAGED_POLICY_LIMIT}: split its statements over two policies"
            ));
        }
    }
    Ok(ExitStatus::Success)
}
