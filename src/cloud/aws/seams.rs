//! The domain seams for [`AwsCloud`]: each trait a domain module declares, delegating to the
//! API family that serves it. The resource writer is in `dispatch.rs`.

use super::AwsCloud;
use crate::actual::scope::ReadScope;
use crate::actual::{ActualState, EnvironmentReader};
use crate::cloud::secret_info::{SecretDetails, SecretValue, SecretWritten};
use crate::cloud::{Api, CallerIdentity, CloudError};
use crate::deploy_lock::{DeployLock, LockAttempt, LockStore};
use crate::desired::tags::Tags;
use crate::doctor::AccountAccess;
use crate::history::{DeployRecord, HistoryScope, HistoryStore};
use crate::images::ImageRegistry;
use crate::import::{Adoption, ImportAccess, ImportRequest, ImportSource};
use crate::rollout::{ServiceControl, ServiceObservation, TargetView};
use crate::secret_store::SecretStore;

impl AccountAccess for AwsCloud {
    async fn caller_identity(&self) -> Result<CallerIdentity, CloudError> {
        self.identity().await
    }

    async fn probe(&self, api: Api) -> Result<(), CloudError> {
        self.probe_api(api).await
    }
}

impl EnvironmentReader for AwsCloud {
    async fn read(&self, scope: &ReadScope) -> Result<ActualState, CloudError> {
        self.read_environment(scope).await
    }
}

impl ServiceControl for AwsCloud {
    async fn observe_service(
        &self,
        cluster: &str,
        service: &str,
        target_group_arn: Option<&str>,
    ) -> Result<(ServiceObservation, Vec<TargetView>), CloudError> {
        self.observe(cluster, service, target_group_arn).await
    }

    async fn deploy_revision(&self, cluster: &str, service: &str, task_definition: &str) -> Result<String, CloudError> {
        self.point_service_at(cluster, service, task_definition).await
    }

    async fn is_revision_active(&self, task_definition: &str) -> Result<bool, CloudError> {
        self.revision_is_active(task_definition).await
    }
}

impl HistoryStore for AwsCloud {
    async fn history_append(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.append_record(scope, record).await
    }

    async fn history_finish(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        self.finish_record(scope, record).await
    }

    async fn history_list(&self, scope: &HistoryScope, service: &str) -> Result<Vec<DeployRecord>, CloudError> {
        self.list_records(scope, service, None).await
    }

    async fn history_recent(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: usize,
    ) -> Result<Vec<DeployRecord>, CloudError> {
        self.list_records(scope, service, Some(limit)).await
    }
}

impl LockStore for AwsCloud {
    async fn lock_acquire(&self, scope: &HistoryScope, lock: &DeployLock, now: u64) -> Result<LockAttempt, CloudError> {
        self.acquire_lock(scope, lock, now).await
    }

    async fn lock_rewrite(&self, scope: &HistoryScope, lock: &DeployLock) -> Result<bool, CloudError> {
        self.rewrite_lock(scope, lock).await
    }

    async fn lock_read(&self, scope: &HistoryScope) -> Result<Option<DeployLock>, CloudError> {
        self.read_lock(scope).await
    }
}

impl ImageRegistry for AwsCloud {
    async fn image_tag_digest(&self, repository: &str, tag: &str) -> Result<Option<String>, CloudError> {
        self.tag_digest(repository, tag).await
    }

    async fn registry_login(&self) -> Result<(String, SecretValue), CloudError> {
        self.login().await
    }

    async fn image_scan(
        &self,
        repository: &str,
        digest: &str,
    ) -> Result<crate::cloud::image_scan::ImageScan, CloudError> {
        self.scan_findings(repository, digest).await
    }
}

impl SecretStore for AwsCloud {
    async fn describe_secret(
        &self,
        id: &str,
        project: &str,
        environment: &str,
    ) -> Result<Option<SecretDetails>, CloudError> {
        self.secret_details(id, project, environment).await
    }

    async fn write_secret(
        &self,
        name: &str,
        existing: Option<&SecretDetails>,
        value: &SecretValue,
        tags: &Tags,
    ) -> Result<SecretWritten, CloudError> {
        self.put_secret(name, existing, value, tags).await
    }
}

impl ImportAccess for AwsCloud {
    async fn read_import_source(&self, request: &ImportRequest) -> Result<Option<ImportSource>, CloudError> {
        self.read_service_to_import(request).await
    }

    async fn adopt(&self, adoption: &Adoption) -> Result<(), CloudError> {
        self.adopt_resource(adoption).await
    }

    async fn unadopt(&self, adoption: &Adoption, keys: &[String]) -> Result<(), CloudError> {
        self.unadopt_resource(adoption, keys).await
    }
}
