//! The scan gate of `up`: before any change, the scan findings of every image a new task
//! definition revision would run. Findings at or above the environment's `block_findings_at`
//! stop the deploy with the list, unless `--allow-vulnerable`; so does an image with no
//! usable scan (nothing is known about it).

use super::session::Cloud;
use super::session::Session;
use super::{CommandError, StopKind};
use crate::cloud::image_scan::{ImageScan, ScanStatus, blocking};
use crate::desired::task_definition::container_images;
use crate::http_check::HttpCheck;
use crate::output::Printer;
use crate::plan::address::ServicePart;
use crate::plan::{Action, Plan};
use crate::poll::{Poll, Step};
use std::time::Duration;

/// How long to wait for a scan that is still running (ECR scans on push in seconds).
const SCAN_WAIT: Duration = Duration::from_secs(60);
const SCAN_POLL: Duration = Duration::from_secs(3);
/// At most this many findings are named per image.
const SHOWN_PER_IMAGE: usize = 10;

pub async fn check<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    plan: &Plan,
    allow_vulnerable: bool,
    printer: &Printer,
) -> Result<(), CommandError> {
    let environment = super::environment(&session.checked, &session.environment)?;
    let Some(threshold) = environment.block_findings_at.as_deref() else { return Ok(()) };
    let mut problems = Vec::new();
    for image in deployed_images(session, plan) {
        let Some((registry, repository, digest)) = ecr_image(&image) else {
            problems.push(format!("{image}: not an ECR image of this account by digest, so no scan is known"));
            continue;
        };
        if !registry.starts_with(&format!("{}.", session.account_id)) {
            problems
                .push(format!("{image}: in another account's registry ({registry}): its scan is not readable here"));
            continue;
        }
        match settled_scan(session, &repository, &digest).await {
            Ok(scan) => problems.extend(judge(&repository, &digest, &scan, threshold)),
            // Not readable (no permission, another region): unknown, which the gate does not pass.
            Err(error) => problems.push(format!("{repository}@{digest}: cannot read its scan: {error}")),
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if allow_vulnerable {
        for problem in &problems {
            printer.warning(&format!("--allow-vulnerable: deploying anyway: {problem}"));
        }
        return Ok(());
    }
    Err(CommandError::stopped(
        StopKind::Refused,
        format!(
            "nothing was changed: the images to deploy have scan findings at or above {threshold} (block_findings_at of {})",
            session.environment
        ),
        problems
            .into_iter()
            .chain(["fix and rebuild the images, or pass --allow-vulnerable to deploy anyway".into()])
            .collect(),
    ))
}

/// The images of the task definition revisions this plan registers (digest-pinned).
fn deployed_images<C: Cloud, H: HttpCheck>(session: &Session<C, H>, plan: &Plan) -> Vec<String> {
    let mut images = Vec::new();
    for change in &plan.changes {
        if change.address.part() != Some(ServicePart::TaskDefinition) || change.action() != Action::Create {
            continue;
        }
        let Some(desired) = change.address.service_name().and_then(|name| session.desired.service(name)) else {
            continue;
        };
        // A definition that does not serialise has no images to scan; the plan could not be
        // applied either (apply resolves the same JSON).
        if let Ok(definition) = serde_json::to_value(&desired.task_definition) {
            images.extend(container_images(&plan.values.resolve(&definition)));
        }
    }
    images.sort();
    images.dedup();
    images
}

/// `(registry, repository, digest)` of an ECR image named by digest
/// (`<account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:...`).
fn ecr_image(image: &str) -> Option<(String, String, String)> {
    let (name, digest) = image.split_once('@')?;
    let (registry, repository) = name.split_once('/')?;
    registry.contains(".dkr.ecr.").then(|| (registry.to_string(), repository.to_string(), digest.to_string()))
}

/// The scan, waiting a bounded time while it is still running.
async fn settled_scan<C: Cloud, H: HttpCheck>(
    session: &Session<C, H>,
    repository: &str,
    digest: &str,
) -> Result<ImageScan, crate::cloud::CloudError> {
    // The last look may start up to one pause after SCAN_WAIT, as it always did.
    let looked = Poll::every(SCAN_POLL)
        .within(SCAN_WAIT + SCAN_POLL)
        .until(|_| async {
            match session.cloud.image_scan(repository, digest).await {
                Ok(scan) if scan.status == ScanStatus::InProgress => Step::NotYet(scan),
                settled => Step::Done(settled),
            }
        })
        .await;
    // Still running when the time is up: judged as such.
    looked.unwrap_or_else(Ok)
}

/// What stops this image, one line each.
fn judge(repository: &str, digest: &str, scan: &ImageScan, threshold: &str) -> Vec<String> {
    let image = format!("{repository}@{}", digest.get(..19).unwrap_or(digest));
    match &scan.status {
        ScanStatus::Missing => {
            vec![format!("{image}: no scan result (turn on scan on push, or run aws ecr start-image-scan)")]
        }
        ScanStatus::InProgress => vec![format!("{image}: the scan is still running after {}s", SCAN_WAIT.as_secs())],
        ScanStatus::Failed(why) => vec![format!("{image}: the scan failed: {why}")],
        ScanStatus::Complete => {
            let (findings, total) = blocking(scan, threshold);
            if total == 0 && findings.is_empty() {
                return Vec::new();
            }
            let named: Vec<String> = findings
                .iter()
                .take(SHOWN_PER_IMAGE)
                .map(|finding| match &finding.package {
                    Some(package) => format!("{} {} ({package})", finding.name, finding.severity),
                    None => format!("{} {}", finding.name, finding.severity),
                })
                .collect();
            vec![format!(
                "{image}: {} finding(s) at or above {threshold}: {}",
                total.max(findings.len() as i64),
                named.join(", ")
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ecr_images_by_digest_are_judged() {
        let image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/acme/auth@sha256:abc";
        let registry = "123456789012.dkr.ecr.us-east-1.amazonaws.com".to_string();
        assert_eq!(ecr_image(image), Some((registry, "acme/auth".into(), "sha256:abc".into())));
        assert_eq!(ecr_image("public.ecr.aws/nginx/nginx:1.27"), None);
        assert_eq!(ecr_image("docker.io/library/nginx@sha256:abc"), None);
    }
}
