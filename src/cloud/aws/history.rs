//! The deployment history in DynamoDB (see `crate::history` for why DynamoDB): one table per
//! project, a partition per environment and service, a record per deploy, written only with
//! conditions so that two writers never overwrite each other.

use super::AwsCloud;
use super::common::{RELEASE_DEADLINE, unsent};
use super::gone::GoneIsFine;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::desired::tags::{ENVIRONMENT_TAG, PROJECT_TAG, SHARED_ENVIRONMENT};
use crate::history::{DeployRecord, HistoryScope, Outcome};
use crate::poll::{Poll, Step};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, PointInTimeRecoverySpecification,
    ScalarAttributeType, TableStatus, Tag,
};
use std::collections::HashMap;

const IN_PROGRESS: &str = "in-progress";
const CONDITION_FAILED: &[&str] = &["ConditionalCheckFailedException"];
/// How often a new table's status is read (DynamoDB makes one active in seconds).
const TABLE_POLL: std::time::Duration = std::time::Duration::from_secs(1);

impl AwsCloud {
    pub(super) async fn append_record(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        match self.put_record(scope, record).await {
            Err(error) if error.to_string().contains("ResourceNotFoundException") => {
                self.create_history_table(scope).await?;
                self.put_record(scope, record).await
            }
            result => result,
        }
    }

    /// Creates the record unless its key exists. When the SDK retried a put whose answer was
    /// lost, the key exists with exactly this record: that is this run's own write, not a clash.
    async fn put_record(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        let item = item(scope, record)?;
        let result = self
            .dynamodb
            .put_item()
            .table_name(&scope.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(sk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if has_code(&error, CONDITION_FAILED) && self.stored_record(scope, record).await? => Ok(()),
            Err(error) => Err(self.error("dynamodb:PutItem", format!("history table {}", scope.table), &error)),
        }
    }

    /// Whether the table holds exactly `record` under its key (a consistent read).
    async fn stored_record(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<bool, CloudError> {
        let output = self
            .dynamodb
            .get_item()
            .table_name(&scope.table)
            .key("pk", AttributeValue::S(scope.partition(&record.service)))
            .key("sk", AttributeValue::S(record.id.clone()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| {
                self.error("dynamodb:GetItem", format!("history record {} of {}", record.id, record.service), &error)
            })?;
        let stored = output.item().and_then(|item| match item.get("record") {
            Some(AttributeValue::S(text)) => serde_json::from_str::<DeployRecord>(text).ok(),
            _ => None,
        });
        Ok(stored.as_ref() == Some(record))
    }

    /// Creates the table (pay per request, tagged as the project's shared resource, protected
    /// from deletion: it is the only record of what ran and where to roll back to), waits until
    /// DynamoDB says it is active, then turns on point-in-time recovery (DynamoDB takes that
    /// only for an active table), so that items overwritten or deleted by mistake can be got back.
    pub(super) async fn create_history_table(&self, scope: &HistoryScope) -> Result<(), CloudError> {
        let resource = format!("history table {}", scope.table);
        let key = |name: &str, kind: KeyType| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let tag = |key: &str, value: &str| Tag::builder().key(key).value(value).build();
        let request = self
            .dynamodb
            .create_table()
            .table_name(&scope.table)
            .key_schema(key("pk", KeyType::Hash).map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?)
            .key_schema(key("sk", KeyType::Range).map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?)
            .attribute_definitions(attribute("pk").map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?)
            .attribute_definitions(attribute("sk").map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?)
            .billing_mode(BillingMode::PayPerRequest)
            .deletion_protection_enabled(true)
            .tags(tag(PROJECT_TAG, &scope.project).map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?)
            .tags(
                tag(ENVIRONMENT_TAG, SHARED_ENVIRONMENT)
                    .map_err(|error| unsent("dynamodb:CreateTable", &resource, error))?,
            );
        match request.send().await {
            Ok(_) => {}
            // Another run created it at the same moment: fine.
            Err(error) if has_code(&error, &["ResourceInUseException"]) => {}
            Err(error) => return Err(self.error("dynamodb:CreateTable", &resource, &error)),
        }
        // A last look may start up to one pause after RELEASE_DEADLINE: the wait goes on while
        // the deadline has not passed when a look ends.
        let active = Poll::every(TABLE_POLL)
            .within(RELEASE_DEADLINE + TABLE_POLL)
            .until(|_| async {
                match self.dynamodb.describe_table().table_name(&scope.table).send().await {
                    Ok(output)
                        if output.table().and_then(|table| table.table_status()) == Some(&TableStatus::Active) =>
                    {
                        Step::Done(Ok(()))
                    }
                    Ok(_) => Step::NotYet(()),
                    Err(error) => Step::Done(Err(self.error("dynamodb:DescribeTable", &resource, &error))),
                }
            })
            .await;
        match active {
            Ok(described) => described?,
            // Not active in time: the table exists, without point-in-time recovery.
            Err(()) => return Ok(()),
        }
        let recovery = PointInTimeRecoverySpecification::builder()
            .point_in_time_recovery_enabled(true)
            .build()
            .map_err(|error| unsent("dynamodb:UpdateContinuousBackups", &resource, error))?;
        self.dynamodb
            .update_continuous_backups()
            .table_name(&scope.table)
            .point_in_time_recovery_specification(recovery)
            .send()
            .await
            .map_err(|error| self.error("dynamodb:UpdateContinuousBackups", &resource, &error))?;
        Ok(())
    }

    /// Finishes a record that is still in progress. A retried finish whose first answer was
    /// lost finds the record already finished exactly so: this run's own write.
    pub(super) async fn finish_record(&self, scope: &HistoryScope, record: &DeployRecord) -> Result<(), CloudError> {
        let item = item(scope, record)?;
        let result = self
            .dynamodb
            .put_item()
            .table_name(&scope.table)
            .set_item(Some(item))
            .condition_expression("outcome = :in_progress")
            .expression_attribute_values(":in_progress", AttributeValue::S(IN_PROGRESS.into()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(error) if has_code(&error, CONDITION_FAILED) && self.stored_record(scope, record).await? => Ok(()),
            Err(error) => Err(self.error(
                "dynamodb:PutItem",
                format!("history record {} of {}", record.id, record.service),
                &error,
            )),
        }
    }

    /// A service's records, newest first: all of them, or the newest `limit` (one request).
    pub(super) async fn list_records(
        &self,
        scope: &HistoryScope,
        service: &str,
        limit: Option<usize>,
    ) -> Result<Vec<DeployRecord>, CloudError> {
        let resource = format!("history of {service} in {}", scope.table);
        let mut records = Vec::new();
        let mut start = None;
        loop {
            let queried = self
                .dynamodb
                .query()
                .table_name(&scope.table)
                .key_condition_expression("pk = :partition")
                .expression_attribute_values(":partition", AttributeValue::S(scope.partition(service)))
                .scan_index_forward(false)
                // A record finished a moment ago must be seen by the run that decides on it.
                .consistent_read(true)
                .set_limit(limit.map(|limit| i32::try_from(limit).unwrap_or(i32::MAX)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|error| self.error("dynamodb:Query", &resource, &error));
            // No table yet: no history yet.
            let Some(output) = queried.gone_is_fine(&["ResourceNotFoundException"])? else { return Ok(Vec::new()) };
            for item in output.items() {
                if let Some(AttributeValue::S(text)) = item.get("record")
                    && let Ok(record) = serde_json::from_str::<DeployRecord>(text)
                {
                    records.push(record);
                }
            }
            start = output.last_evaluated_key().cloned();
            if start.is_none() || limit.is_some_and(|limit| records.len() >= limit) {
                return Ok(records);
            }
        }
    }
}

/// The DynamoDB item of a record: keys, the outcome (for conditions) and the record as JSON.
fn item(scope: &HistoryScope, record: &DeployRecord) -> Result<HashMap<String, AttributeValue>, CloudError> {
    let text = serde_json::to_string(record).map_err(|error| unsent("dynamodb:PutItem", "history record", error))?;
    let outcome = serde_json::to_value(record.outcome)
        .ok()
        .and_then(|value| value.as_str().map(str::to_string))
        .unwrap_or_default();
    debug_assert!(record.outcome != Outcome::InProgress || outcome == IN_PROGRESS);
    Ok(HashMap::from([
        ("pk".to_string(), AttributeValue::S(scope.partition(&record.service))),
        ("sk".to_string(), AttributeValue::S(record.id.clone())),
        ("outcome".to_string(), AttributeValue::S(outcome)),
        ("record".to_string(), AttributeValue::S(text)),
    ]))
}
