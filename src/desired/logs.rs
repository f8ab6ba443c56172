//! The service's CloudWatch log group, shaped as `CreateLogGroup` + `PutRetentionPolicy` receive it.

use super::names::ServiceNames;
use super::tags::{Tags, map_style};
use crate::manifest::Service;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogGroup {
    pub log_group_name: String,
    pub retention_in_days: i64,
    #[serde(serialize_with = "map_style")]
    pub tags: Tags,
}

pub fn log_group(service: &Service, names: &ServiceNames, tags: &Tags) -> LogGroup {
    LogGroup {
        log_group_name: names.log_group.clone(),
        retention_in_days: service.log_retention_days.value,
        tags: tags.clone(),
    }
}
