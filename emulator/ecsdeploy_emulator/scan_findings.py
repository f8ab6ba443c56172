"""Image scan findings per account, set through the control API.

moto answers DescribeImageScanFindings with one static HIGH finding for every scanned image, and
its only way to change that (`/moto-api/static/ecr/scan-finding-results`) is global: parallel
tests in different accounts would see each other's findings. Here a test sets the findings of
one image (repository and digest) in one account; DescribeImageScanFindings for that image then
answers them, shaped as ECR does (`findings[]` and `findingSeverityCounts`), with the scan
COMPLETE. Every other image keeps moto's answer.

ECR scans an image pushed to a repository with scan on push; moto records no scan, so
DescribeImageScanFindings answered ScanNotFoundException for every image. Here a push to such a
repository counts as scanned at once (moto's default finding: one HIGH).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from moto.ecr.models import ECRBackend

from .locking import EXTENSION_LOCK

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "INFORMATIONAL", "UNDEFINED")


class FindingsError(ValueError):
    """The request body is invalid; the message says how."""


@dataclass
class ImageFindings:
    findings: list[dict[str, Any]] = field(default_factory=list)

    def response(self, registry_id: str, repository: str, digest: str) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for finding in self.findings:
            counts[finding["severity"]] = counts.get(finding["severity"], 0) + 1
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "registryId": registry_id,
            "repositoryName": repository,
            "imageId": {"imageDigest": digest},
            "imageScanStatus": {"status": "COMPLETE", "description": "The scan was completed successfully."},
            "imageScanFindings": {
                "imageScanCompletedAt": now,
                "vulnerabilitySourceUpdatedAt": now,
                "findings": self.findings,
                "findingSeverityCounts": counts,
            },
        }


# (account, repository, digest) -> findings
_FINDINGS: dict[tuple[str, str, str], ImageFindings] = {}


def parse(body: dict[str, Any]) -> tuple[str, str, ImageFindings]:
    unknown = set(body) - {"repository", "image_digest", "findings"}
    if unknown:
        raise FindingsError(f"unknown field(s): {', '.join(sorted(unknown))}")
    repository, digest = body.get("repository"), body.get("image_digest")
    if not isinstance(repository, str) or not isinstance(digest, str) or not digest.startswith("sha256:"):
        raise FindingsError("repository (a name) and image_digest (sha256:...) are required")
    findings = []
    given = body.get("findings", [])
    if not isinstance(given, list) or not all(isinstance(finding, dict) for finding in given):
        raise FindingsError("findings must be a list of objects")
    for finding in given:
        severity = str(finding.get("severity", "")).upper()
        if severity not in SEVERITIES or not finding.get("name"):
            raise FindingsError(f"each finding needs a name and a severity of {', '.join(SEVERITIES)}")
        entry = {"name": finding["name"], "severity": severity, "uri": finding.get("uri", ""), "attributes": []}
        if finding.get("package"):
            entry["attributes"].append({"key": "package_name", "value": finding["package"]})
        findings.append(entry)
    return repository, digest, ImageFindings(findings)


def set_findings(account_id: str, repository: str, digest: str, findings: ImageFindings) -> None:
    _FINDINGS[(account_id, repository, digest)] = findings


def install() -> None:
    original_put = ECRBackend.put_image

    def put_image(self: ECRBackend, repository_name: str, *args: Any, **kwargs: Any) -> Any:
        image = original_put(self, repository_name, *args, **kwargs)
        repository = self.repositories.get(repository_name)
        if repository is not None and repository.image_scanning_configuration.get("scanOnPush"):
            image.last_scan = datetime.datetime.today()
        return image

    put_image.__doc__ = original_put.__doc__
    ECRBackend.put_image = put_image
    original = ECRBackend.describe_image_scan_findings

    def describe_image_scan_findings(self: ECRBackend, registry_id: str, repository_name: str, image_id: dict[str, Any]) -> Any:
        # As ECR: the repository and the image must exist (raises RepositoryNotFound/ImageNotFound).
        repository = self._get_repository(repository_name, registry_id)
        digest = repository._get_image(image_id.get("imageTag"), image_id.get("imageDigest")).image_digest
        with EXTENSION_LOCK:
            findings = _FINDINGS.get((self.account_id, repository_name, digest or ""))
        if findings is None:
            return original(self, registry_id, repository_name, image_id)
        return findings.response(registry_id or self.account_id, repository_name, digest or "")

    describe_image_scan_findings.__doc__ = original.__doc__
    ECRBackend.describe_image_scan_findings = describe_image_scan_findings
