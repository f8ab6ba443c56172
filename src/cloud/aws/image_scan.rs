//! ECR DescribeImageScanFindings for the scan gate.

use super::AwsCloud;
use super::gone::GoneIsFine;
use crate::cloud::CloudError;
use crate::cloud::image_scan::{Finding, ImageScan, ScanStatus};
use aws_sdk_ecr::types::{ImageIdentifier, ScanStatus as EcrScanStatus};

impl AwsCloud {
    pub(super) async fn scan_findings(&self, repository: &str, digest: &str) -> Result<ImageScan, CloudError> {
        let image = ImageIdentifier::builder().image_digest(digest).build();
        let result = self.ecr.describe_image_scan_findings().repository_name(repository).image_id(image).send().await;
        let result = result.map_err(|error| {
            self.error("ecr:DescribeImageScanFindings", format!("image {repository}@{digest}"), &error)
        });
        let Some(output) = result.gone_is_fine(&["ScanNotFoundException"])? else {
            return Ok(ImageScan { status: ScanStatus::Missing, counts: Vec::new(), findings: Vec::new() });
        };
        let status = output.image_scan_status();
        let status = match status.and_then(|status| status.status()) {
            // ACTIVE: enhanced scanning (Amazon Inspector) watches the image continuously.
            Some(EcrScanStatus::Complete | EcrScanStatus::Active) => ScanStatus::Complete,
            Some(EcrScanStatus::InProgress | EcrScanStatus::Pending) => ScanStatus::InProgress,
            other => ScanStatus::Failed(
                status
                    .and_then(|status| status.description())
                    .map(str::to_string)
                    .unwrap_or_else(|| other.map(|status| status.as_str().to_string()).unwrap_or_default()),
            ),
        };
        let findings = output.image_scan_findings();
        let mut counts: Vec<(String, i64)> = findings
            .and_then(|findings| findings.finding_severity_counts())
            .map(|counts| {
                counts.iter().map(|(severity, count)| (severity.as_str().to_string(), i64::from(*count))).collect()
            })
            .unwrap_or_default();
        counts.sort();
        let findings = findings
            .map(|findings| {
                findings
                    .findings()
                    .iter()
                    .map(|finding| Finding {
                        name: finding.name().unwrap_or_default().to_string(),
                        severity: finding.severity().map(|severity| severity.as_str().to_string()).unwrap_or_default(),
                        package: finding
                            .attributes()
                            .iter()
                            .find(|attribute| attribute.key() == "package_name")
                            .and_then(|attribute| attribute.value())
                            .map(str::to_string),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let mut findings: Vec<Finding> = findings;
        if let Some(enhanced) = output.image_scan_findings().map(|scan| scan.enhanced_findings()) {
            findings.extend(enhanced.iter().map(|finding| {
                let details = finding.package_vulnerability_details();
                Finding {
                    name: details
                        .and_then(|details| details.vulnerability_id())
                        .or(finding.title())
                        .unwrap_or_default()
                        .to_string(),
                    severity: finding.severity().unwrap_or_default().to_string(),
                    package: details
                        .and_then(|details| details.vulnerable_packages().first())
                        .and_then(|package| package.name())
                        .map(str::to_string),
                }
            }));
        }
        Ok(ImageScan { status, counts, findings })
    }
}
