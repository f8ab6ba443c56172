//! "Not found is fine": a delete of something already gone has done its job (another run, the
//! SDK's retry of a delete whose answer was lost, or a person deleted it first), and a read of
//! something that may not exist reads it as absent. Either way only the API's not-found codes
//! count; any other failure stays one.

use crate::cloud::CloudError;

/// [`GoneIsFine::gone_is_fine`] on the result of an AWS call.
pub trait GoneIsFine<T> {
    /// `Ok(None)` when the call failed with one of `not_found` (the API's codes for "no such
    /// resource"), `Ok(Some(answer))` when it succeeded, and the error otherwise.
    fn gone_is_fine(self, not_found: &[&str]) -> Result<Option<T>, CloudError>;
}

impl<T> GoneIsFine<T> for Result<T, CloudError> {
    fn gone_is_fine(self, not_found: &[&str]) -> Result<Option<T>, CloudError> {
        match self {
            Ok(answer) => Ok(Some(answer)),
            Err(error) if error.has_code(not_found) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::CloudErrorKind;

    fn failed(kind: CloudErrorKind) -> Result<u32, CloudError> {
        Err(CloudError::new("ecs:DeleteCluster", "cluster acme", kind))
    }

    fn code(code: &str) -> CloudErrorKind {
        CloudErrorKind::Service { code: code.into(), message: String::new() }
    }

    #[test]
    fn only_the_not_found_codes_are_fine() {
        let not_found = &["ClusterNotFoundException"];
        assert_eq!(Ok(7).gone_is_fine(not_found), Ok(Some(7)));
        assert_eq!(failed(code("ClusterNotFoundException")).gone_is_fine(not_found), Ok(None));
        let busy = failed(code("ClusterContainsServicesException")).gone_is_fine(not_found);
        assert_eq!(
            busy.map_err(|error| error.to_string()),
            Err("ecs:DeleteCluster failed for cluster acme: ClusterContainsServicesException".to_string())
        );
        assert!(failed(CloudErrorKind::Throttled).gone_is_fine(not_found).is_err());
        assert!(failed(code("ClusterNotFoundException")).gone_is_fine(&[]).is_err());
    }
}
