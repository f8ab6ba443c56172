//! `doctor`'s judgement over the fake: every API reachable, access denied naming the
//! permission, an account mismatch, and no credentials at all.

use crate::fake::FakeCloud;
use ecsdeploy::cloud::{Api, CloudErrorKind};
use ecsdeploy::doctor::diagnose;

#[tokio::test]
async fn all_apis_reachable() {
    let cloud = FakeCloud::with_account("123456789012");
    let (identity, checks) = diagnose(&cloud, Some("123456789012")).await;
    assert_eq!(identity.map(|identity| identity.account_id).as_deref(), Some("123456789012"));
    assert_eq!(checks.len(), Api::ALL.len() + 1);
    assert!(checks.iter().all(|check| check.ok), "{checks:#?}");
    assert_eq!(cloud.calls().len(), Api::ALL.len());
}

#[tokio::test]
async fn access_denied_names_the_permission_and_account_mismatch_fails() {
    let mut cloud = FakeCloud::with_account("111111111111");
    cloud.failing.insert(Api::Ecr, CloudErrorKind::AccessDenied { message: "not allowed".into() });
    let (_, checks) = diagnose(&cloud, Some("222222222222")).await;
    let ecr = checks.iter().find(|check| check.name == "ecr:DescribeRepositories").expect("ecr check");
    assert!(!ecr.ok);
    assert_eq!(ecr.error.as_deref(), Some("access denied (not allowed)"));
    assert!(ecr.hints[0].contains("grant the IAM permission ecr:DescribeRepositories"), "{:?}", ecr.hints);
    let account = checks.iter().find(|check| check.name == "account").expect("account check");
    assert!(!account.ok);
    assert_eq!(checks.iter().filter(|check| !check.ok).count(), 2);
}

#[tokio::test]
async fn without_credentials_every_check_says_so() {
    let cloud = FakeCloud::default();
    let (identity, checks) = diagnose(&cloud, None).await;
    assert!(identity.is_none());
    assert!(!checks[0].ok);
    assert!(checks[0].hints[0].contains("aws sso login"), "{:?}", checks[0].hints);
    assert!(checks[1..].iter().all(|check| check.error.as_deref().is_some_and(|e| e.starts_with("not tried:"))));
    assert_eq!(cloud.calls(), ["sts:GetCallerIdentity"], "no API probed once the identity showed none can succeed");
}
