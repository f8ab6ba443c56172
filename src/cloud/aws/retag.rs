//! Retagging an existing resource: the tags to add and the keys to remove to turn what it carries
//! into what it should, sent with the API's own pair of calls (ECS `TagResource`/`UntagResource`,
//! ELBv2 `AddTags`/`RemoveTags`, EC2 `CreateTags`/`DeleteTags`, IAM `TagRole`/`UntagRole`, ...).
//! Each call is made only when it has something to do, so an update that changes no tag sends
//! none, and a retried retag changes nothing twice.

use crate::cloud::CloudError;
use crate::desired::tags::Tags;
use std::future::Future;

/// What changes between the tags a resource carries and the ones it should.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagChanges {
    /// Tags new or with another value (a changed value is sent again, not removed first).
    pub added: Vec<(String, String)>,
    /// Keys the resource should no longer carry.
    pub removed: Vec<String>,
}

impl TagChanges {
    /// The changes that turn `before` into `after`.
    pub fn between(before: &Tags, after: &Tags) -> Self {
        let added = after.0.iter().filter(|pair| !before.0.contains(pair)).cloned().collect();
        let removed = before.0.iter().filter(|(key, _)| after.get(key).is_none()).map(|(key, _)| key.clone()).collect();
        TagChanges { added, removed }
    }

    /// Whether nothing changes: then an API that needs the resource's ARN looked up first
    /// (alarms, repositories, log groups) need not look it up.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }

    /// Adds, then removes: `add` gets the tags to add, `remove` the keys to remove, each called
    /// only when it has any.
    pub async fn apply<Add, Added, Remove, Removed>(self, add: Add, remove: Remove) -> Result<(), CloudError>
    where
        Add: FnOnce(Vec<(String, String)>) -> Added,
        Added: Future<Output = Result<(), CloudError>>,
        Remove: FnOnce(Vec<String>) -> Removed,
        Removed: Future<Output = Result<(), CloudError>>,
    {
        self.send(false, add, remove).await
    }

    /// [`TagChanges::apply`] the other way round, removing first: IAM and CloudWatch Logs cap
    /// the tags of a resource (50), and a resource near the cap makes room before it takes more.
    pub async fn apply_removing_first<Add, Added, Remove, Removed>(
        self,
        add: Add,
        remove: Remove,
    ) -> Result<(), CloudError>
    where
        Add: FnOnce(Vec<(String, String)>) -> Added,
        Added: Future<Output = Result<(), CloudError>>,
        Remove: FnOnce(Vec<String>) -> Removed,
        Removed: Future<Output = Result<(), CloudError>>,
    {
        self.send(true, add, remove).await
    }

    async fn send<Added, Removed>(
        self,
        removing_first: bool,
        add: impl FnOnce(Vec<(String, String)>) -> Added,
        remove: impl FnOnce(Vec<String>) -> Removed,
    ) -> Result<(), CloudError>
    where
        Added: Future<Output = Result<(), CloudError>>,
        Removed: Future<Output = Result<(), CloudError>>,
    {
        let mut removal = Some((self.removed, remove)).filter(|(removed, _)| !removed.is_empty());
        if removing_first && let Some((removed, remove)) = removal.take() {
            remove(removed).await?;
        }
        if !self.added.is_empty() {
            add(self.added).await?;
        }
        if let Some((removed, remove)) = removal {
            remove(removed).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        Tags(pairs.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect())
    }

    #[test]
    fn changes_add_new_and_changed_values_and_remove_lost_keys() {
        let before = tags(&[("a", "1"), ("b", "2")]);
        let after = tags(&[("a", "1"), ("b", "3"), ("c", "4")]);
        let changes = TagChanges::between(&before, &after);
        assert_eq!(changes.added, [("b".to_string(), "3".to_string()), ("c".to_string(), "4".to_string())]);
        assert!(changes.removed.is_empty());
        assert_eq!(TagChanges::between(&after, &before).removed, ["c"]);
        assert!(TagChanges::between(&before, &before).is_empty());
    }

    /// The calls made, in order, for `changes`.
    async fn calls(changes: TagChanges, removing_first: bool) -> Vec<String> {
        let calls = RefCell::new(Vec::new());
        let calls = &calls;
        let add = |added: Vec<(String, String)>| async move {
            calls.borrow_mut().push(format!("add {}", added.iter().map(|(key, _)| key.as_str()).collect::<String>()));
            Ok(())
        };
        let remove = |removed: Vec<String>| async move {
            calls.borrow_mut().push(format!("remove {}", removed.concat()));
            Ok(())
        };
        let applied = if removing_first {
            changes.apply_removing_first(add, remove).await
        } else {
            changes.apply(add, remove).await
        };
        assert_eq!(applied, Ok(()));
        calls.take()
    }

    #[tokio::test]
    async fn only_calls_with_something_to_do_are_made_in_the_order_asked() {
        let before = tags(&[("a", "1"), ("b", "2")]);
        let both = TagChanges::between(&before, &tags(&[("a", "9"), ("c", "3")]));
        assert_eq!(calls(both.clone(), false).await, ["add ac", "remove b"]);
        assert_eq!(calls(both, true).await, ["remove b", "add ac"]);
        assert_eq!(calls(TagChanges::between(&before, &tags(&[("a", "1")])), false).await, ["remove b"]);
        assert_eq!(calls(TagChanges::between(&before, &before), true).await, Vec::<String>::new());
    }

    #[tokio::test]
    async fn a_failed_first_call_stops_the_retag() {
        let changes = TagChanges::between(&tags(&[("a", "1")]), &tags(&[("b", "2")]));
        let removed = RefCell::new(false);
        let failure = CloudError::new("ecs:TagResource", "cluster acme", crate::cloud::CloudErrorKind::Throttled);
        let applied = changes
            .apply(
                |_| async { Err(failure.clone()) },
                |_| async {
                    *removed.borrow_mut() = true;
                    Ok(())
                },
            )
            .await;
        assert_eq!(applied, Err(failure.clone()));
        assert!(!*removed.borrow());
    }
}
