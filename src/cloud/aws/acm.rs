//! ACM: the certificate of the shared HTTPS listener, given by ARN or found by domain.
//!
//! Only ISSUED certificates count: a listener cannot use one that is pending validation, expired
//! or revoked. A domain is covered by a certificate name that equals it or by a wildcard one label
//! up (`*.api.example.com` covers `stage.api.example.com`, not `a.stage.api.example.com`).

use super::AwsCloud;
use super::common::Partial;
use super::gone::GoneIsFine;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::Reference;
use crate::manifest::Certificate;
use aws_sdk_acm::types::{CertificateStatus, CertificateSummary, Filters, KeyAlgorithm};

const CERTIFICATE_NOT_FOUND: &[&str] = &["ResourceNotFoundException"];

/// How a certificate name covers a domain; exact names are preferred to wildcards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Coverage {
    Wildcard,
    Exact,
}

/// An ISSUED certificate that covers the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Candidate {
    arn: String,
    coverage: Coverage,
    /// Seconds since the epoch; the one valid longest wins among equals.
    not_after: i64,
}

impl AwsCloud {
    /// The listener's certificate ARN, or a missing entry saying why there is none.
    pub(super) async fn read_certificate(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let mut partial = Partial::default();
        match &scope.certificate {
            None => partial.missing(
                "certificate",
                "set [project.load_balancer] certificate = { domain = \"api.example.com\" } (an ISSUED ACM certificate \
                 for that domain) or certificate = \"arn:aws:acm:...\" in services.toml",
            ),
            Some(Certificate::Arn(arn)) => self.certificate_by_arn(&arn.value, &mut partial).await?,
            Some(Certificate::Domain(domain)) => self.certificate_by_domain(&domain.value, &mut partial).await?,
        }
        Ok(partial)
    }

    async fn certificate_by_arn(&self, arn: &str, partial: &mut Partial) -> Result<(), CloudError> {
        let what = format!("certificate {arn}");
        let described = self.acm.describe_certificate().certificate_arn(arn).send().await;
        let described = described.map_err(|error| self.error("acm:DescribeCertificate", &what, &error));
        let output = match described.gone_is_fine(CERTIFICATE_NOT_FOUND)? {
            Some(output) => output,
            None => {
                let hint = format!(
                    "no certificate with this ARN in ACM of region {} (the ALB's region) for these credentials: \
                     check [project.load_balancer] certificate in services.toml",
                    self.region
                );
                partial.missing(what, hint);
                return Ok(());
            }
        };
        match output.certificate().and_then(|certificate| certificate.status()) {
            Some(CertificateStatus::Issued) => partial.values.set(&Reference::CertificateArn, arn),
            status => {
                let status = status.map_or("of unknown status", |status| status.as_str());
                let hint = format!(
                    "it is {status}, and an HTTPS listener needs an ISSUED certificate: complete its validation \
                     (aws acm describe-certificate --certificate-arn {arn}) or name another in services.toml"
                );
                partial.missing(what, hint);
            }
        }
        Ok(())
    }

    async fn certificate_by_domain(&self, domain: &str, partial: &mut Partial) -> Result<(), CloudError> {
        let mut candidates = Vec::new();
        for summary in self.issued_certificates(domain).await? {
            if let Some(candidate) = self.candidate(&summary, domain).await? {
                candidates.push(candidate);
            }
        }
        match best(candidates) {
            Some(arn) => partial.values.set(&Reference::CertificateArn, arn),
            None => partial.missing(
                format!("certificate for {domain}"),
                format!(
                    "no ISSUED ACM certificate in region {region} covers {domain}: request one \
                     (aws acm request-certificate --region {region} --domain-name {domain} --validation-method DNS) \
                     and validate it, or set certificate = \"arn:aws:acm:...\" in services.toml",
                    region = self.region
                ),
            ),
        }
        Ok(())
    }

    /// Every ISSUED certificate of a key type an ALB accepts (ListCertificates returns only
    /// RSA_2048 ones unless asked for others).
    async fn issued_certificates(&self, domain: &str) -> Result<Vec<CertificateSummary>, CloudError> {
        let key_types = vec![
            KeyAlgorithm::Rsa1024,
            KeyAlgorithm::Rsa2048,
            KeyAlgorithm::Rsa3072,
            KeyAlgorithm::Rsa4096,
            KeyAlgorithm::EcPrime256v1,
            KeyAlgorithm::EcSecp384r1,
            KeyAlgorithm::EcSecp521r1,
        ];
        let request = self
            .acm
            .list_certificates()
            .certificate_statuses(CertificateStatus::Issued)
            .includes(Filters::builder().set_key_types(Some(key_types)).build());
        let mut summaries = Vec::new();
        let mut pages = request.into_paginator().items().send();
        while let Some(summary) = pages.next().await {
            summaries.push(
                summary.map_err(|error| {
                    self.error("acm:ListCertificates", format!("certificates for {domain}"), &error)
                })?,
            );
        }
        Ok(summaries)
    }

    /// The certificate as a candidate for `domain`, if one of its names covers it. The summary
    /// lists the names; when it says the list is cut short, DescribeCertificate has them all.
    async fn candidate(&self, summary: &CertificateSummary, domain: &str) -> Result<Option<Candidate>, CloudError> {
        let arn = summary.certificate_arn().unwrap_or_default();
        let mut names: Vec<String> = summary.domain_name().into_iter().map(str::to_string).collect();
        names.extend(summary.subject_alternative_name_summaries().iter().cloned());
        let is_complete = summary.subject_alternative_name_summaries.is_some()
            && summary.has_additional_subject_alternative_names() != Some(true);
        if best_coverage(&names, domain) != Some(Coverage::Exact) && !is_complete {
            names.extend(self.subject_alternative_names(arn).await?);
        }
        Ok(best_coverage(&names, domain).map(|coverage| Candidate {
            arn: arn.to_string(),
            coverage,
            not_after: summary.not_after().map_or(0, |time| time.secs()),
        }))
    }

    async fn subject_alternative_names(&self, arn: &str) -> Result<Vec<String>, CloudError> {
        let described = self.acm.describe_certificate().certificate_arn(arn).send().await;
        let described =
            described.map_err(|error| self.error("acm:DescribeCertificate", format!("certificate {arn}"), &error));
        // None: deleted between the listing and now.
        let certificate = described.gone_is_fine(CERTIFICATE_NOT_FOUND)?;
        let certificate = certificate.as_ref().and_then(|output| output.certificate());
        Ok(certificate.map(|detail| detail.subject_alternative_names().to_vec()).unwrap_or_default())
    }
}

/// How the best of `names` covers `domain` (case-insensitive, trailing dots ignored).
fn best_coverage(names: &[String], domain: &str) -> Option<Coverage> {
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    names
        .iter()
        .filter_map(|name| {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            if name == domain {
                return Some(Coverage::Exact);
            }
            let parent = name.strip_prefix("*.")?;
            let (label, rest) = domain.split_once('.')?;
            (!label.is_empty() && rest == parent).then_some(Coverage::Wildcard)
        })
        .max()
}

/// The candidate to use: exact before wildcard, then the one valid longest, then by ARN (stable).
fn best(mut candidates: Vec<Candidate>) -> Option<String> {
    candidates.sort_by(|a, b| (b.coverage, b.not_after, &a.arn).cmp(&(a.coverage, a.not_after, &b.arn)));
    candidates.into_iter().next().map(|candidate| candidate.arn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::aws::test_support::test_cloud;
    use crate::desired::{Context, build};
    use crate::manifest::{FileId, Located, Span};
    use std::path::Path;

    fn scope(account_id: &str) -> ReadScope {
        let manifest = crate::checked::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("manifest").manifest;
        let environment = manifest.environment("stage").expect("environment").clone();
        let desired = build(&manifest, &environment, &Context::new("us-east-1", Some(account_id.to_string())));
        ReadScope::new(&manifest, &environment, &desired)
    }

    fn located(value: &str) -> Located<String> {
        Located::new(value.to_string(), Span::new(FileId(0), 0..0))
    }

    async fn world_certificate(cloud: &AwsCloud) -> String {
        let listed = cloud.acm.list_certificates().send().await.expect("list");
        listed.certificate_summary_list()[0].certificate_arn().expect("arn").to_string()
    }

    #[test]
    fn coverage_of_exact_and_wildcard_names() {
        let names = |list: &[&str]| list.iter().map(|name| name.to_string()).collect::<Vec<_>>();
        let certificate = names(&["api.acme.example", "*.api.acme.example"]);
        assert_eq!(best_coverage(&certificate, "api.acme.example"), Some(Coverage::Exact));
        assert_eq!(best_coverage(&certificate, "API.acme.example."), Some(Coverage::Exact));
        assert_eq!(best_coverage(&certificate, "stage.api.acme.example"), Some(Coverage::Wildcard));
        assert_eq!(best_coverage(&certificate, "a.stage.api.acme.example"), None);
        assert_eq!(best_coverage(&certificate, "acme.example"), None);
        assert_eq!(best_coverage(&names(&["*.acme.example"]), "api.acme.example"), Some(Coverage::Wildcard));
        assert_eq!(best_coverage(&names(&["*.api.acme.example"]), "*.api.acme.example"), Some(Coverage::Exact));
    }

    #[test]
    fn exact_beats_wildcard_then_longest_validity() {
        let candidate = |arn: &str, coverage, not_after| Candidate { arn: arn.into(), coverage, not_after };
        let candidates = vec![
            candidate("arn:wildcard-late", Coverage::Wildcard, 300),
            candidate("arn:exact-early", Coverage::Exact, 100),
            candidate("arn:exact-late", Coverage::Exact, 200),
        ];
        assert_eq!(best(candidates).as_deref(), Some("arn:exact-late"));
        let tied = vec![candidate("arn:b", Coverage::Exact, 1), candidate("arn:a", Coverage::Exact, 1)];
        assert_eq!(best(tied).as_deref(), Some("arn:a"));
        assert_eq!(best(Vec::new()), None);
    }

    #[tokio::test]
    async fn certificate_found_by_domain_or_wildcard_name() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let expected = world_certificate(cloud).await;
        let mut scope = scope(&test.account_id);
        for domain in ["api.acme.example", "stage.api.acme.example"] {
            scope.certificate = Some(Certificate::Domain(located(domain)));
            let read = cloud.read_certificate(&scope).await.expect("read");
            assert_eq!(read.values.one(&Reference::CertificateArn), Some(expected.as_str()), "{domain}");
            assert!(read.missing.is_empty());
        }
        for domain in ["a.stage.api.acme.example", "other.example"] {
            scope.certificate = Some(Certificate::Domain(located(domain)));
            let read = cloud.read_certificate(&scope).await.expect("read");
            assert_eq!(read.values.one(&Reference::CertificateArn), None);
            assert_eq!(read.missing[0].what, format!("certificate for {domain}"));
            assert!(read.missing[0].hint.contains("request-certificate"));
        }
    }

    #[tokio::test]
    async fn the_manifest_domain_is_read_from_the_manifest() {
        let test = test_cloud(true).await;
        let read = test.cloud.read_certificate(&scope(&test.account_id)).await.expect("read");
        assert_eq!(read.values.one(&Reference::CertificateArn), Some(world_certificate(&test.cloud).await.as_str()));
    }

    #[tokio::test]
    async fn certificate_by_arn_exists_or_is_missing() {
        let test = test_cloud(true).await;
        let cloud = &test.cloud;
        let arn = world_certificate(cloud).await;
        let mut scope = scope(&test.account_id);
        scope.certificate = Some(Certificate::Arn(located(&arn)));
        let read = cloud.read_certificate(&scope).await.expect("read");
        assert_eq!(read.values.one(&Reference::CertificateArn), Some(arn.as_str()));

        let absent =
            format!("arn:aws:acm:us-east-1:{}:certificate/00000000-0000-0000-0000-000000000000", test.account_id);
        scope.certificate = Some(Certificate::Arn(located(&absent)));
        let read = cloud.read_certificate(&scope).await.expect("read");
        assert_eq!(read.values.one(&Reference::CertificateArn), None);
        assert_eq!(read.missing[0].what, format!("certificate {absent}"));

        scope.certificate = None;
        let read = cloud.read_certificate(&scope).await.expect("read");
        assert_eq!(read.missing[0].what, "certificate");
        assert!(read.missing[0].hint.contains("[project.load_balancer] certificate"));
    }
}
