//! The deploy lock in DynamoDB (see `crate::deploy_lock` for why): one item per environment in
//! the project's history table, changed only under conditions that make two runs exclusive.

use super::AwsCloud;
use super::common::unsent;
use super::gone::GoneIsFine;
use crate::cloud::CloudError;
use crate::cloud::error::has_code;
use crate::deploy_lock::{DeployLock, LockAttempt};
use crate::history::HistoryScope;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use std::collections::HashMap;

const SORT_KEY: &str = "lock";
const CONDITION_FAILED: &[&str] = &["ConditionalCheckFailedException"];

impl AwsCloud {
    /// Takes the lock when it is free (never taken, released, or expired at `now`).
    pub(super) async fn acquire_lock(
        &self,
        scope: &HistoryScope,
        lock: &DeployLock,
        now: u64,
    ) -> Result<LockAttempt, CloudError> {
        // A lock released or expired between our failed put and our read is tried once more.
        for _ in 0..2 {
            let put = match self.put_lock(scope, lock, now).await {
                Err(error) if error.to_string().contains("ResourceNotFoundException") => {
                    self.create_history_table(scope).await?;
                    self.put_lock(scope, lock, now).await
                }
                result => result,
            };
            match put? {
                Some(previous) => {
                    return Ok(LockAttempt::Acquired { lock: lock.clone(), previous: previous.map(Box::new) });
                }
                None => match self.read_lock(scope).await? {
                    Some(holder) if holder.is_held(now) => return Ok(LockAttempt::Held(holder)),
                    _ => continue,
                },
            }
        }
        match self.read_lock(scope).await? {
            Some(holder) if holder.is_held(now) => Ok(LockAttempt::Held(holder)),
            _ => Err(unsent(
                "dynamodb:PutItem",
                self.lock_resource(scope),
                "the lock changed hands twice while taking it",
            )),
        }
    }

    /// `Some(previous holding)` when the put won, `None` when the condition failed (held).
    async fn put_lock(
        &self,
        scope: &HistoryScope,
        lock: &DeployLock,
        now: u64,
    ) -> Result<Option<Option<DeployLock>>, CloudError> {
        let result = self
            .dynamodb
            .put_item()
            .table_name(&scope.table)
            .set_item(Some(item(scope, lock, false)?))
            // The last clause makes the SDK's retry of a put whose answer was lost succeed: the item
            // then holds this very holding (its token is unique to it).
            .condition_expression(
                "attribute_not_exists(pk) OR released = :yes OR expires_epoch <= :now OR #token = :token",
            )
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":token", AttributeValue::S(lock.token.clone()))
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await;
        match result {
            Ok(output) => Ok(Some(output.attributes().and_then(lock_of))),
            Err(error) if has_code(&error, CONDITION_FAILED) => Ok(None),
            Err(error) => Err(self.error("dynamodb:PutItem", self.lock_resource(scope), &error)),
        }
    }

    /// Writes `lock` (renewed or released) over the holding with its token; false when that
    /// holding is gone (released, or taken over after it expired). A write the SDK retried after
    /// its answer was lost finds its own result stored, which counts as written.
    pub(super) async fn rewrite_lock(&self, scope: &HistoryScope, lock: &DeployLock) -> Result<bool, CloudError> {
        let result = self
            .dynamodb
            .put_item()
            .table_name(&scope.table)
            .set_item(Some(item(scope, lock, lock.released_epoch.is_some())?))
            .condition_expression("#token = :token AND released = :no")
            .expression_attribute_names("#token", "token")
            .expression_attribute_values(":token", AttributeValue::S(lock.token.clone()))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(error) if has_code(&error, CONDITION_FAILED) => {
                Ok(self.read_lock(scope).await?.is_some_and(|stored| stored == *lock))
            }
            Err(error) => Err(self.error("dynamodb:PutItem", self.lock_resource(scope), &error)),
        }
    }

    /// The environment's lock item (a consistent read), `None` when it was never taken.
    pub(super) async fn read_lock(&self, scope: &HistoryScope) -> Result<Option<DeployLock>, CloudError> {
        let result = self
            .dynamodb
            .get_item()
            .table_name(&scope.table)
            .key("pk", AttributeValue::S(scope.lock_partition()))
            .key("sk", AttributeValue::S(SORT_KEY.into()))
            .consistent_read(true)
            .send()
            .await;
        let result = result.map_err(|error| self.error("dynamodb:GetItem", self.lock_resource(scope), &error));
        // No table yet: never locked.
        let output = result.gone_is_fine(&["ResourceNotFoundException"])?;
        Ok(output.and_then(|output| output.item().and_then(lock_of)))
    }

    fn lock_resource(&self, scope: &HistoryScope) -> String {
        format!("deploy lock of {} in table {}", scope.environment, scope.table)
    }
}

/// The item: keys, the attributes the conditions read, and the holding as JSON.
fn item(
    scope: &HistoryScope,
    lock: &DeployLock,
    released: bool,
) -> Result<HashMap<String, AttributeValue>, CloudError> {
    let text = serde_json::to_string(lock).map_err(|error| unsent("dynamodb:PutItem", "deploy lock", error))?;
    Ok(HashMap::from([
        ("pk".to_string(), AttributeValue::S(scope.lock_partition())),
        ("sk".to_string(), AttributeValue::S(SORT_KEY.into())),
        ("token".to_string(), AttributeValue::S(lock.token.clone())),
        ("expires_epoch".to_string(), AttributeValue::N(lock.expires_epoch.to_string())),
        ("released".to_string(), AttributeValue::Bool(released)),
        ("record".to_string(), AttributeValue::S(text)),
    ]))
}

fn lock_of(item: &HashMap<String, AttributeValue>) -> Option<DeployLock> {
    match item.get("record") {
        Some(AttributeValue::S(text)) => serde_json::from_str(text).ok(),
        _ => None,
    }
}
