//! `doctor` as text: the settings in use, then one line per check.

use crate::doctor::DoctorReport;

pub fn text(report: &DoctorReport) -> String {
    let mut out = String::new();
    let region = report.region.as_deref().unwrap_or("(none)");
    let source = serde_json::to_value(report.region_source)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    out.push_str(&format!("region:      {region} (from {source})\n"));
    out.push_str(&format!(
        "endpoint:    {}\n",
        report.endpoint.as_deref().unwrap_or("AWS (the region's public endpoints)")
    ));
    out.push_str(&format!("profile:     {}\n", report.profile));
    match (&report.credentials.source, &report.credentials.error) {
        (Some(source), _) => out.push_str(&format!("credentials: {source}\n")),
        (None, error) => {
            out.push_str(&format!("credentials: none found ({})\n", error.as_deref().unwrap_or("unknown")))
        }
    }
    if let Some(identity) = &report.identity {
        out.push_str(&format!("account:     {}\nidentity:    {}\n", identity.account_id, identity.arn));
    }
    out.push('\n');
    for check in &report.checks {
        let mark = if check.ok { "ok  " } else { "FAIL" };
        out.push_str(&format!("{mark} {:<48} {}\n", check.name, check.detail));
        if let Some(error) = &check.error {
            out.push_str(&format!("     error: {error}\n"));
        }
        for hint in &check.hints {
            out.push_str(&format!("     hint: {hint}\n"));
        }
    }
    let failed = report.checks.iter().filter(|check| !check.ok).count();
    out.push_str(&if failed == 0 {
        format!("\nAll {} checks passed.", report.checks.len())
    } else {
        format!("\n{failed} of {} checks failed.", report.checks.len())
    });
    out
}
