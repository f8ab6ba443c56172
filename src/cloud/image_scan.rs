//! Image scan findings (ECR) and the pure judgement of the scan gate: which findings are at or
//! above the environment's severity.

use serde::Serialize;

use crate::manifest::SEVERITIES;

/// Where an image's scan stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanStatus {
    Complete,
    InProgress,
    /// No scan exists for the image (scan on push off, or never scanned).
    Missing,
    /// ECR reports the scan failed or the image is unsupported, with why.
    Failed(String),
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub name: String,
    pub severity: String,
    pub package: Option<String>,
}

/// An image's scan: its status, severity counts and (the first page of) findings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageScan {
    pub status: ScanStatus,
    pub counts: Vec<(String, i64)>,
    pub findings: Vec<Finding>,
}

fn rank(severity: &str) -> usize {
    SEVERITIES.iter().position(|known| known.eq_ignore_ascii_case(severity)).unwrap_or(SEVERITIES.len())
}

/// Whether `severity` is at or above `threshold`.
pub fn at_or_above(severity: &str, threshold: &str) -> bool {
    rank(severity) <= rank(threshold)
}

/// The findings of `scan` at or above `threshold`, and how many there are in all (the counts
/// cover findings beyond the first page).
pub fn blocking<'a>(scan: &'a ImageScan, threshold: &str) -> (Vec<&'a Finding>, i64) {
    let findings = scan.findings.iter().filter(|finding| at_or_above(&finding.severity, threshold)).collect();
    let total =
        scan.counts.iter().filter(|(severity, _)| at_or_above(severity, threshold)).map(|(_, count)| count).sum();
    (findings, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_at_or_above_the_threshold_block() {
        let finding =
            |name: &str, severity: &str| Finding { name: name.into(), severity: severity.into(), package: None };
        let scan = ImageScan {
            status: ScanStatus::Complete,
            counts: vec![("CRITICAL".into(), 1), ("HIGH".into(), 3), ("LOW".into(), 7)],
            findings: vec![finding("a", "CRITICAL"), finding("b", "HIGH"), finding("c", "LOW")],
        };
        let (found, total) = blocking(&scan, "CRITICAL");
        assert_eq!((found.len(), total), (1, 1));
        let (found, total) = blocking(&scan, "HIGH");
        assert_eq!((found.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), total), (vec!["a", "b"], 4));
        assert!(!at_or_above("MEDIUM", "HIGH"));
        assert!(at_or_above("critical", "LOW"));
    }
}
