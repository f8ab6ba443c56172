//! CloudWatch alarms of the services: one `DescribeAlarms` by the environment's name prefix
//! (100 a page) and, at the same time, their tags from the tag index (see `tag_index`);
//! `PutMetricAlarm` to create or change, `DeleteAlarms` to remove.

use super::AwsCloud;
use super::common::{PARALLEL_READS, Partial, tags_from};
use super::retag::TagChanges;
use crate::actual::Owner;
use crate::actual::ownership::owner_of;
use crate::actual::scope::ReadScope;
use crate::cloud::CloudError;
use crate::desired::Reference;
use crate::desired::alarms::{Dimension, MetricAlarm, alarm_prefix};
use crate::desired::tags::{SERVICE_TAG, Tags};
use crate::plan::address::{Address, ServicePart};
use crate::plan::resources::json_of;
use crate::plan::values::Values;
use aws_sdk_cloudwatch::types as cloudwatch;
use futures_util::stream::{self, StreamExt, TryStreamExt};

/// DescribeAlarms' largest page (`MaxRecords`, 1-100): three alarms a service, 33 services a page.
const MAX_RECORDS: i32 = 100;

impl AwsCloud {
    pub(super) async fn read_alarms(&self, scope: &ReadScope) -> Result<Partial, CloudError> {
        let prefix = alarm_prefix(&scope.project, &scope.environment);
        let mut partial = Partial::default();
        let described = self
            .cloudwatch
            .describe_alarms()
            .alarm_name_prefix(&prefix)
            .max_records(MAX_RECORDS)
            .into_paginator()
            .send()
            .try_collect();
        let index = self.tag_index("cloudwatch:alarm", &scope.project, Some(&scope.environment));
        let (pages, index) = futures_util::join!(described, index);
        let pages =
            pages.map_err(|error| self.error("cloudwatch:DescribeAlarms", format!("alarms {prefix}*"), &error))?;
        let index = index?;
        let alarms: Vec<&cloudwatch::MetricAlarm> = pages.iter().flat_map(|page| page.metric_alarms()).collect();
        // Tags the index does not hold (a new alarm, or one not tagged as ours): asked one by one.
        let tagged: Vec<Tags> = stream::iter(alarms.iter().map(|alarm| {
            let index = &index;
            async move {
                let (Some(name), Some(arn)) = (alarm.alarm_name(), alarm.alarm_arn()) else {
                    return Ok(Tags::default());
                };
                match index.confirmed(arn, scope.expected_tags.get(name)) {
                    Some(tags) => Ok(tags),
                    None => self.alarm_tags(arn, name).await,
                }
            }
        }))
        .buffered(PARALLEL_READS)
        .try_collect()
        .await?;
        for (alarm, tags) in alarms.into_iter().zip(tagged) {
            let Some(name) = alarm.alarm_name() else { continue };
            let owner = owner_of(&tags, &scope.project, &scope.environment);
            let in_scope = scope.services.iter().find(|service| service.alarms.iter().any(|wanted| wanted == name));
            let service = match (in_scope, &owner) {
                (Some(service), _) => service.name.clone(),
                (None, Owner::This) => match tags.get(SERVICE_TAG) {
                    Some(service) => service.to_string(),
                    None => continue,
                },
                _ => continue,
            };
            let address = Address::service_named(&service, ServicePart::Alarm, name);
            partial.resource(address, name, json_of(&alarm_of(alarm, tags)), owner);
        }
        Ok(partial)
    }

    async fn alarm_tags(&self, arn: &str, name: &str) -> Result<Tags, CloudError> {
        let output = self
            .cloudwatch
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|error| self.error("cloudwatch:ListTagsForResource", format!("alarm {name}"), &error))?;
        Ok(tags_from(output.tags().iter().map(|tag| (tag.key().unwrap_or_default(), tag.value().unwrap_or_default()))))
    }

    /// `PutMetricAlarm` creates or replaces the alarm's settings; it ignores tags on an existing
    /// alarm, so tags of an existing one change through `TagResource` / `UntagResource`.
    pub(super) async fn put_alarm(
        &self,
        alarm: &MetricAlarm,
        before: Option<&MetricAlarm>,
    ) -> Result<Values, CloudError> {
        let resource = format!("alarm {}", alarm.alarm_name);
        let dimensions = alarm
            .dimensions
            .iter()
            .map(|dimension| {
                cloudwatch::Dimension::builder().name(&dimension.name).value(dimension.value.to_string()).build()
            })
            .collect();
        let output = self
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(&alarm.alarm_name)
            .alarm_description(&alarm.alarm_description)
            .actions_enabled(alarm.actions_enabled)
            .set_alarm_actions(Some(alarm.alarm_actions.clone()))
            .set_ok_actions(Some(alarm.ok_actions.clone()))
            .metric_name(&alarm.metric_name)
            .namespace(&alarm.namespace)
            .statistic(cloudwatch::Statistic::from(alarm.statistic.as_str()))
            .set_dimensions(Some(dimensions))
            .period(alarm.period as i32)
            .evaluation_periods(alarm.evaluation_periods as i32)
            .threshold(alarm.threshold)
            .comparison_operator(cloudwatch::ComparisonOperator::from(alarm.comparison_operator.as_str()))
            .treat_missing_data(&alarm.treat_missing_data)
            .set_tags(before.is_none().then(|| cloudwatch_tags(&alarm.tags)))
            .send()
            .await;
        output.map_err(|error| self.error("cloudwatch:PutMetricAlarm", &resource, &error))?;
        if let Some(before) = before {
            self.retag_alarm(alarm, &before.tags, &resource).await?;
        }
        Ok(Values::default())
    }

    async fn retag_alarm(&self, alarm: &MetricAlarm, before: &Tags, resource: &str) -> Result<(), CloudError> {
        let changes = TagChanges::between(before, &alarm.tags);
        if changes.is_empty() {
            return Ok(());
        }
        let arn = &self.alarm_arn(&alarm.alarm_name).await?;
        changes
            .apply(
                |added| async move {
                    let tagged =
                        self.cloudwatch.tag_resource().resource_arn(arn).set_tags(Some(cloudwatch_tags(&Tags(added))));
                    tagged
                        .send()
                        .await
                        .map(drop)
                        .map_err(|error| self.error("cloudwatch:TagResource", resource, &error))
                },
                |removed| async move {
                    let untagged = self.cloudwatch.untag_resource().resource_arn(arn).set_tag_keys(Some(removed));
                    let untagged = untagged.send().await.map(drop);
                    untagged.map_err(|error| self.error("cloudwatch:UntagResource", resource, &error))
                },
            )
            .await
    }

    async fn alarm_arn(&self, name: &str) -> Result<String, CloudError> {
        let output = self
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await
            .map_err(|error| self.error("cloudwatch:DescribeAlarms", format!("alarm {name}"), &error))?;
        Ok(output.metric_alarms().first().and_then(|alarm| alarm.alarm_arn()).unwrap_or_default().to_string())
    }

    pub(super) async fn delete_alarm(&self, name: &str) -> Result<(), CloudError> {
        self.cloudwatch
            .delete_alarms()
            .alarm_names(name)
            .send()
            .await
            .map_err(|error| self.error("cloudwatch:DeleteAlarms", format!("alarm {name}"), &error))?;
        Ok(())
    }
}

fn cloudwatch_tags(tags: &Tags) -> Vec<cloudwatch::Tag> {
    tags.0.iter().map(|(key, value)| cloudwatch::Tag::builder().key(key).value(value).build()).collect()
}

/// An alarm in the desired shape: dimensions sorted by name, actions as lists.
fn alarm_of(alarm: &cloudwatch::MetricAlarm, tags: Tags) -> MetricAlarm {
    let mut dimensions: Vec<Dimension> = alarm
        .dimensions()
        .iter()
        .map(|dimension| Dimension {
            name: dimension.name().unwrap_or_default().to_string(),
            value: Reference::known(dimension.value().unwrap_or_default()),
        })
        .collect();
    dimensions.sort_by(|a, b| a.name.cmp(&b.name));
    MetricAlarm {
        alarm_name: alarm.alarm_name().unwrap_or_default().to_string(),
        alarm_description: alarm.alarm_description().unwrap_or_default().to_string(),
        actions_enabled: alarm.actions_enabled().unwrap_or(true),
        alarm_actions: alarm.alarm_actions().to_vec(),
        ok_actions: alarm.ok_actions().to_vec(),
        metric_name: alarm.metric_name().unwrap_or_default().to_string(),
        namespace: alarm.namespace().unwrap_or_default().to_string(),
        statistic: alarm.statistic().map(|statistic| statistic.as_str().to_string()).unwrap_or_default(),
        dimensions,
        period: i64::from(alarm.period().unwrap_or_default()),
        evaluation_periods: i64::from(alarm.evaluation_periods().unwrap_or_default()),
        threshold: alarm.threshold().unwrap_or_default(),
        comparison_operator: alarm
            .comparison_operator()
            .map(|operator| operator.as_str().to_string())
            .unwrap_or_default(),
        treat_missing_data: alarm.treat_missing_data().unwrap_or("missing").to_string(),
        tags,
    }
}
