//! The syntax AWS accepts for the names and identifiers a manifest contains.
//!
//! Each function returns `Err(reason)` with a phrase that completes "… is not a valid X: reason".
//! The emulator accepts almost anything, so these rules come from the AWS API references.

/// AWS account IDs: 12 digits.
pub fn account_id(id: &str) -> Result<(), String> {
    if id.len() == 12 && id.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err("an account ID is 12 digits".into())
    }
}

/// AWS region codes: `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`,
/// `us-isob-east-1`: a geography of two or more lower-case letters, one or more words, a number.
/// (The SDK turns anything else, an empty string too, into an endpoint error on every call.)
pub fn region(region: &str) -> Result<(), String> {
    const SHAPE: &str = "a region is written like us-east-1 or eu-central-2";
    if region.is_empty() {
        return Err(format!("it is empty; {SHAPE}"));
    }
    let parts: Vec<&str> = region.split('-').collect();
    let is_word = |part: &&str| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase());
    let well_formed = region.len() <= 32
        && parts.len() >= 3
        && parts[0].len() >= 2
        && parts[..parts.len() - 1].iter().all(is_word)
        && parts.last().is_some_and(|number| !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()));
    if well_formed { Ok(()) } else { Err(SHAPE.to_string()) }
}

/// ECS service names, task definition families and cluster names: 1-255 letters, digits, `-`, `_`.
pub fn ecs_name(name: &str) -> Result<(), String> {
    limited(name, 255)?;
    only(name, |c| c.is_ascii_alphanumeric() || c == '-' || c == '_', "letters, digits, '-' and '_'")
}

/// Target group names: 1-32 letters, digits and hyphens, no hyphen at either end.
pub fn target_group_name(name: &str) -> Result<(), String> {
    limited(name, 32)?;
    only(name, |c| c.is_ascii_alphanumeric() || c == '-', "letters, digits and '-'")?;
    if name.starts_with('-') || name.ends_with('-') {
        return Err("it must not begin or end with '-'".into());
    }
    Ok(())
}

/// Load balancer names: as target group names, and not beginning with `internal-`.
pub fn load_balancer_name(name: &str) -> Result<(), String> {
    target_group_name(name)?;
    if name.starts_with("internal-") {
        return Err("it must not begin with 'internal-'".into());
    }
    Ok(())
}

/// IAM role names: 1-64 of letters, digits and `+=,.@_-`.
pub fn iam_role_name(name: &str) -> Result<(), String> {
    limited(name, 64)?;
    only(name, |c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c), "letters, digits and '+=,.@_-'")
}

/// IAM role ARNs: `arn:<partition>:iam::<account>:role/[<path>/]<name>`.
pub fn iam_role_arn(arn: &str) -> Result<(), String> {
    let shape = "it must look like arn:aws:iam::123456789012:role/NAME";
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(shape.into());
    };
    if !partition.starts_with("aws") {
        return Err(shape.into());
    }
    account_id(account)?;
    let name = resource.strip_prefix("role/").ok_or_else(|| shape.to_string())?;
    iam_role_name(name.rsplit('/').next().unwrap_or_default())
}

/// CloudWatch Logs group names: 1-512 of letters, digits and `_-/.#`.
pub fn log_group_name(name: &str) -> Result<(), String> {
    limited(name, 512)?;
    only(name, |c| c.is_ascii_alphanumeric() || "_-/.#".contains(c), "letters, digits and '_-/.#'")
}

/// Application Auto Scaling policy names: 1-256 printable characters.
pub fn scaling_policy_name(name: &str) -> Result<(), String> {
    limited(name, 256)?;
    only(name, |c| !c.is_control(), "printable characters")
}

/// Names used to build other names (project, service, environment): lower-case, digits, `-`,
/// starting with a letter, so that every derived name is valid for every AWS service.
pub fn slug(name: &str, limit: usize) -> Result<(), String> {
    limited(name, limit)?;
    only(name, |c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-', "lower-case letters, digits and '-'")?;
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("it must begin with a lower-case letter".into());
    }
    if name.ends_with('-') || name.contains("--") {
        return Err("it must not end with '-' or contain '--'".into());
    }
    Ok(())
}

/// ECR repository names: lower-case path segments of `[a-z0-9]` joined by `.`, `_`, `-` and `/`.
pub fn ecr_repository(name: &str) -> Result<(), String> {
    if name.len() < 2 || name.len() > 256 {
        return Err("it must be 2 to 256 characters long".into());
    }
    for segment in name.split('/') {
        let well_formed = !segment.is_empty()
            && segment
                .split(['.', '_', '-'])
                .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        if !well_formed {
            return Err(format!(
                "segment `{segment}` must be lower-case letters and digits, separated by single '.', '_' or '-'"
            ));
        }
    }
    Ok(())
}

/// Image tags: 1-128 of letters, digits, `_`, `.`, `-`, not starting with `.` or `-`.
pub fn image_tag(tag: &str) -> Result<(), String> {
    limited(tag, 128)?;
    only(tag, |c| c.is_ascii_alphanumeric() || "_.-".contains(c), "letters, digits, '_', '.' and '-'")?;
    if tag.starts_with(['.', '-']) {
        return Err("it must not begin with '.' or '-'".into());
    }
    Ok(())
}

/// Secrets Manager secret names: 1-512 of letters, digits and `/_+=.@-`.
pub fn secret_name(name: &str) -> Result<(), String> {
    limited(name, 512)?;
    only(name, |c| c.is_ascii_alphanumeric() || "/_+=.@-".contains(c), "letters, digits and '/_+=.@-'")
}

/// A Secrets Manager ARN: `arn:<partition>:secretsmanager:<region>:<account>:secret:<name>`.
pub fn secret_arn(arn: &str) -> Result<(), String> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    let [_, partition, service, region, account, kind, name] = parts.as_slice() else {
        return Err("it must look like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME".into());
    };
    if !partition.starts_with("aws") || *service != "secretsmanager" || *kind != "secret" {
        return Err("it must look like arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME".into());
    }
    if region.is_empty() || account.len() != 12 || !account.chars().all(|c| c.is_ascii_digit()) {
        return Err("it needs a region and a 12-digit account".into());
    }
    secret_name(name)
}

/// Environment variable names: a letter or `_`, then letters, digits and `_`.
pub fn environment_variable(name: &str) -> Result<(), String> {
    let mut characters = name.chars();
    let first_ok = characters.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    if !first_ok || !characters.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err("use letters, digits and '_', not starting with a digit".into());
    }
    Ok(())
}

/// Tag keys: 1-128 characters, not starting with `aws:` (reserved by AWS).
pub fn tag_key(key: &str) -> Result<(), String> {
    limited(key, 128)?;
    if key.to_ascii_lowercase().starts_with("aws:") {
        return Err("keys beginning with 'aws:' are reserved by AWS".into());
    }
    tag_characters(key)
}

/// Tag values: at most 256 characters.
pub fn tag_value(value: &str) -> Result<(), String> {
    if value.chars().count() > 256 {
        return Err("it is longer than 256 characters".into());
    }
    tag_characters(value)
}

/// The characters every tagging API accepts: letters, digits, spaces and `_.:/=+-@`.
fn tag_characters(text: &str) -> Result<(), String> {
    only(text, |c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c), "letters, digits, spaces and '_.:/=+-@'")
}

/// A DNS name: labels of letters, digits and `-` (a leading `*.` allowed), at most 253 characters.
pub fn dns_name(name: &str) -> Result<(), String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    limited(name, 253)?;
    let name = name.strip_prefix("*.").unwrap_or(name);
    for label in name.split('.') {
        if label.is_empty() || label.len() > 63 {
            return Err("each label between dots must be 1 to 63 characters".into());
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!("label `{label}` must be letters, digits and inner '-'"));
        }
    }
    Ok(())
}

/// ALB path patterns: at most 128 characters of `A-Za-z0-9_-.$/~"'@:+&*?`, starting with `/`.
pub fn path_pattern(pattern: &str) -> Result<(), String> {
    if !pattern.starts_with('/') {
        return Err("it must begin with '/'".into());
    }
    let length = pattern.chars().count();
    if length > 128 {
        return Err(format!("it is {length} characters long; the ALB allows 128"));
    }
    if pattern.matches(['*', '?']).count() > 5 {
        return Err("it has more than 5 wildcards ('*' or '?'), the ALB's limit per rule".into());
    }
    only(pattern, |c| c.is_ascii_alphanumeric() || "_-.$/~\"'@:+&*?".contains(c), "letters, digits and _-.$/~\"'@:+&*?")
}

fn limited(text: &str, limit: usize) -> Result<(), String> {
    match text.chars().count() {
        0 => Err("it is empty".into()),
        length if length > limit => Err(format!("it is {length} characters long; the limit is {limit}")),
        _ => Ok(()),
    }
}

fn only(text: &str, allowed: impl Fn(char) -> bool, description: &str) -> Result<(), String> {
    match text.chars().find(|c| !allowed(*c)) {
        Some(bad) => Err(format!("it contains {bad:?}; use only {description}")),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_arns_log_groups_and_policies() {
        assert!(iam_role_arn("arn:aws:iam::123456789012:role/billing-task").is_ok());
        assert!(iam_role_arn("arn:aws:iam::123456789012:role/service-role/billing").is_ok());
        assert!(iam_role_arn("billing-task").is_err());
        assert!(iam_role_arn("arn:aws:iam::12345:role/x").is_err());
        assert!(iam_role_arn("arn:aws:s3:::bucket").is_err());
        assert!(log_group_name("/ecs/billing").is_ok());
        assert!(log_group_name("/ecs/bill ing").is_err());
        assert!(scaling_policy_name("billing-cpu").is_ok());
        assert!(scaling_policy_name("").is_err());
    }

    #[test]
    fn regions() {
        for code in ["us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1"] {
            assert_eq!(region(code), Ok(()), "{code}");
        }
        for code in
            ["", "local", "us-east", "US-EAST-1", "us east 1", "us--east-1", "u-east-1", "us-east-1a", "-us-east-1"]
        {
            assert!(region(code).is_err(), "{code}");
        }
        assert!(region(&format!("us-{}-1", "e".repeat(30))).is_err());
    }

    #[test]
    fn accepts_and_rejects() {
        assert!(ecs_name("stage-auth").is_ok());
        assert!(ecs_name("stage auth").is_err());
        assert!(target_group_name("acme-stage-auth").is_ok());
        assert!(target_group_name(&"a".repeat(33)).is_err());
        assert!(target_group_name("-acme").is_err());
        assert!(target_group_name("internal-auth").is_ok());
        assert!(load_balancer_name("internal-acme").is_err());
        assert!(path_pattern("/a/*/b/*/c/*/d/*/e/*/f/*").is_err());
        assert!(slug("ai-router", 32).is_ok());
        assert!(slug("AI", 32).is_err());
        assert!(slug("1ai", 32).is_err());
        assert!(slug("ai--x", 32).is_err());
        assert!(ecr_repository("acme/auth").is_ok());
        assert!(ecr_repository("acme/ai-router").is_ok());
        assert!(ecr_repository("Acme/auth").is_err());
        assert!(ecr_repository("acme//auth").is_err());
        assert!(ecr_repository("acme/-auth").is_err());
        assert!(image_tag("v1.2.3_rc-1").is_ok());
        assert!(image_tag(".hidden").is_err());
        assert!(secret_name("stage/auth/db").is_ok());
        assert!(secret_name("auth db").is_err());
        assert!(secret_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:auth/db-AbCdEf").is_ok());
        assert!(secret_arn("arn:aws:s3:::bucket").is_err());
        assert!(environment_variable("DB_PASSWORD").is_ok());
        assert!(environment_variable("9LIVES").is_err());
        assert!(environment_variable("A-B").is_err());
        assert!(tag_key("aws:createdBy").is_err());
        assert!(tag_key("CostCenter").is_ok());
        assert!(dns_name("stage.api.acme.example").is_ok());
        assert!(dns_name("*.api.acme.example").is_ok());
        assert!(dns_name("bad_label.example").is_err());
        assert!(path_pattern("/stage/auth/*").is_ok());
        assert!(path_pattern("auth/*").is_err());
        assert!(path_pattern("/a b").is_err());
    }
}
