//! Gate polls coalesced: while rollouts run side by side, each polls its service every few
//! seconds, and their polls come due at nearly the same moments. A look at a service waits a
//! moment ([`GATHER`]) for the other looks of that moment, and then all of them are answered by
//! `DescribeServices` calls of 10 services each (the most it takes), made at once: a gate on 40
//! services costs 4 calls a poll instead of 40.
//!
//! The calls run in a task of their own, so that a look dropped while it waits (the run was
//! interrupted) never leaves the other looks of its batch without an answer.

use super::AwsCloud;
use crate::cloud::{CloudError, CloudErrorKind};
use aws_sdk_ecs::types as ecs;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long the first look of a moment waits for the others: far below a poll interval.
const GATHER: Duration = Duration::from_millis(25);
/// `DescribeServices` takes at most 10 services.
const SERVICES_PER_CALL: usize = 10;

type Answer = Result<Option<ecs::Service>, CloudError>;

/// The looks waiting for the next batch.
#[derive(Debug, Default, Clone)]
pub(crate) struct ServiceLooks(Arc<Mutex<Vec<Waiting>>>);

#[derive(Debug)]
struct Waiting {
    cluster: String,
    service: String,
    answer: oneshot::Sender<Answer>,
}

impl AwsCloud {
    /// The service as `DescribeServices` shows it (`None` when ECS does not know it), in a batch
    /// with the other looks of the same moment.
    pub(super) async fn look_at_service(&self, cluster: &str, service: &str) -> Answer {
        let (sender, receiver) = oneshot::channel();
        let first = {
            let mut waiting = self.service_looks.0.lock().unwrap_or_else(PoisonError::into_inner);
            waiting.push(Waiting { cluster: cluster.to_string(), service: service.to_string(), answer: sender });
            waiting.len() == 1
        };
        if first {
            let cloud = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(GATHER).await;
                let batch = std::mem::take(&mut *cloud.service_looks.0.lock().unwrap_or_else(PoisonError::into_inner));
                cloud.answer_looks(batch).await;
            });
        }
        receiver.await.unwrap_or_else(|_| {
            Err(CloudError::new(
                "ecs:DescribeServices",
                format!("service {service} in cluster {cluster}"),
                CloudErrorKind::Service { code: "Internal".into(), message: "the batched look was dropped".into() },
            ))
        })
    }

    async fn answer_looks(&self, batch: Vec<Waiting>) {
        let mut by_cluster: BTreeMap<String, Vec<Waiting>> = BTreeMap::new();
        for waiting in batch {
            by_cluster.entry(waiting.cluster.clone()).or_default().push(waiting);
        }
        for (cluster, waiting) in by_cluster {
            let mut names: Vec<String> = waiting.iter().map(|look| look.service.clone()).collect();
            names.sort();
            names.dedup();
            let calls = names.chunks(SERVICES_PER_CALL).map(|chunk| self.describe_some(&cluster, chunk.to_vec()));
            let mut found: BTreeMap<String, Answer> = BTreeMap::new();
            for (names, answer) in futures_util::future::join_all(calls).await {
                for name in names {
                    let one = match &answer {
                        Ok(services) => Ok(services
                            .iter()
                            .find(|service| {
                                service.service_name() == Some(name.as_str())
                                    || service.service_arn() == Some(name.as_str())
                            })
                            .cloned()),
                        Err(error) => Err(error.clone()),
                    };
                    found.insert(name, one);
                }
            }
            for look in waiting {
                let answer = found.get(&look.service).cloned().unwrap_or(Ok(None));
                // A look whose caller went away needs no answer.
                let _ = look.answer.send(answer);
            }
        }
    }

    /// One `DescribeServices` of up to 10 services; returns the names asked with the answer.
    async fn describe_some(
        &self,
        cluster: &str,
        names: Vec<String>,
    ) -> (Vec<String>, Result<Vec<ecs::Service>, CloudError>) {
        let answer = self
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(names.clone()))
            .send()
            .await
            .map(|output| output.services.unwrap_or_default())
            .map_err(|error| {
                self.error(
                    "ecs:DescribeServices",
                    format!("services {} in cluster {cluster}", names.join(", ")),
                    &error,
                )
            });
        (names, answer)
    }
}
