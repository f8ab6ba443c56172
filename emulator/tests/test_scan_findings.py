"""Per-account image scan findings: set through the control API, read with boto3's ECR client."""

from __future__ import annotations

import json

from conftest import Account

MANIFEST = {
    "schemaVersion": 2,
    "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 1, "digest": "sha256:" + "a" * 64},
    "layers": [],
}


def push(account: Account) -> str:
    ecr = account.client("ecr")
    ecr.create_repository(repositoryName="acme/auth", imageScanningConfiguration={"scanOnPush": True})
    image = ecr.put_image(repositoryName="acme/auth", imageTag="v1", imageManifest=json.dumps(MANIFEST))
    return image["image"]["imageId"]["imageDigest"]


def test_findings_set_for_one_account_are_answered_for_that_image_only(account: Account, other_account: Account) -> None:
    digest = push(account)
    other_digest = push(other_account)
    assert digest == other_digest
    account.control(
        "/ecr/scan-findings",
        {
            "repository": "acme/auth",
            "image_digest": digest,
            "findings": [
                {"name": "CVE-2026-0001", "severity": "critical", "package": "openssl"},
                {"name": "CVE-2026-0002", "severity": "LOW"},
            ],
        },
    )
    answer = account.client("ecr").describe_image_scan_findings(repositoryName="acme/auth", imageId={"imageDigest": digest})
    assert answer["imageScanStatus"]["status"] == "COMPLETE"
    assert answer["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "LOW": 1}
    assert [f["name"] for f in answer["imageScanFindings"]["findings"]] == ["CVE-2026-0001", "CVE-2026-0002"]
    by_tag = account.client("ecr").describe_image_scan_findings(repositoryName="acme/auth", imageId={"imageTag": "v1"})
    assert by_tag["imageScanFindings"]["findingSeverityCounts"] == {"CRITICAL": 1, "LOW": 1}
    # The other account keeps moto's static answer.
    other = other_account.client("ecr").describe_image_scan_findings(
        repositoryName="acme/auth", imageId={"imageDigest": other_digest}
    )
    assert "CRITICAL" not in other["imageScanFindings"].get("findingSeverityCounts", {})


def test_bad_findings_are_refused(account: Account) -> None:
    status, answer = account.emulator.request(
        "POST", f"/_ecsdeploy/accounts/{account.account_id}/ecr/scan-findings", {"repository": "x", "image_digest": "nope"}
    )
    assert status == 400 and "image_digest" in answer["error"]
    status, answer = account.emulator.request(
        "POST",
        f"/_ecsdeploy/accounts/{account.account_id}/ecr/scan-findings",
        {"repository": "x", "image_digest": "sha256:" + "b" * 64, "findings": [{"name": "x", "severity": "BAD"}]},
    )
    assert status == 400 and "severity" in answer["error"]
