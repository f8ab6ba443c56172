//! Which request path reaches the app: the listener rule's url-rewrite for a [`PathRewrite`], and
//! the public path the gate's HTTP check must ask for so that the app receives its health path.
//!
//! The ALB forwards a request's path as it came unless the rule rewrites it, while the target
//! group's health check asks each task for `health_check.path` directly. The gate checks through
//! the ALB (it must see what users see), so it asks for the one public path that reaches the app
//! as `health_check.path`; where the rewrite leaves no such path, validation says so. One image
//! then answers the same paths in test, stage and prod.

use super::model::PathRewrite;

/// An ALB `url-rewrite` transform: `Regex` matched against the path, `Replace` with `$1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlRewrite {
    pub regex: String,
    pub replace: String,
}

/// The rule's rewrite for a service with path pattern `service_path` in an environment whose
/// paths begin with `path_prefix` (`/stage`; prod: empty). `Ok(None)`: nothing to rewrite.
pub fn url_rewrite(rewrite: PathRewrite, path_prefix: &str, service_path: &str) -> Result<Option<UrlRewrite>, String> {
    match rewrite {
        PathRewrite::None => Ok(None),
        PathRewrite::Environment if path_prefix.is_empty() => Ok(None),
        PathRewrite::Environment => {
            Ok(Some(UrlRewrite { regex: format!("^{}(/.*)$", escape(path_prefix)), replace: "$1".into() }))
        }
        PathRewrite::Service => {
            let root = service_root(service_path)?;
            let public_root = format!("{path_prefix}{root}");
            if public_root == "/" {
                return Ok(None);
            }
            Ok(Some(UrlRewrite { regex: format!("^{}(.*)$", escape(&public_root)), replace: "/$1".into() }))
        }
    }
}

/// The public path (before the ALB) that reaches the app as `health_path`.
///
/// `Err` says why none does: the gate's check and the target group's would ask the app for
/// different paths, and an app healthy to the ALB would fail the gate.
pub fn public_health_path(
    rewrite: PathRewrite,
    path_prefix: &str,
    service_path: &str,
    health_path: &str,
) -> Result<String, String> {
    let routed = |public: &str| matches_pattern(&format!("{path_prefix}{service_path}"), public);
    let public = match rewrite {
        PathRewrite::Service => {
            format!("{path_prefix}{}{}", service_root(service_path)?, health_path.trim_start_matches('/'))
        }
        PathRewrite::Environment => format!("{path_prefix}{health_path}"),
        PathRewrite::None => health_path.to_string(),
    };
    if routed(&public) {
        return Ok(public);
    }
    Err(match rewrite {
        PathRewrite::Service => format!("`{public}` is not routed by the rule `{path_prefix}{service_path}`"),
        PathRewrite::Environment => format!(
            "with path_rewrite = \"environment\" the app sees paths under `{service_path}`, so the target group's check of `{health_path}` and the gate's check through the ALB cannot reach the same path"
        ),
        PathRewrite::None => format!(
            "with path_rewrite = \"none\" the app sees `{path_prefix}{service_path}` paths unchanged, so the target group's check of `{health_path}` and the gate's check through the ALB cannot reach the same path"
        ),
    })
}

/// `/auth/` for `/auth/*`: the literal part that `Service` takes off.
fn service_root(service_path: &str) -> Result<&str, String> {
    let root = service_path.strip_suffix('*').filter(|root| root.ends_with('/'));
    match root {
        Some(root) if !root.contains(['*', '?']) => Ok(root),
        _ => Err(format!(
            "path_rewrite = \"service\" takes the service's path off the request, which needs a path of the form `/name/*`, not `{service_path}`"
        )),
    }
}

/// Whether an ALB path pattern (`*` any run, `?` one character) matches `path`.
fn matches_pattern(pattern: &str, path: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let path: Vec<char> = path.chars().collect();
    // matched[j]: the pattern so far matches path[..j].
    let mut matched = vec![false; path.len() + 1];
    matched[0] = true;
    for symbol in pattern {
        let mut next = vec![false; path.len() + 1];
        for j in 0..=path.len() {
            next[j] = match symbol {
                '*' => matched[j] || (j > 0 && next[j - 1]),
                '?' => j > 0 && matched[j - 1],
                literal => j > 0 && matched[j - 1] && path[j - 1] == literal,
            };
        }
        matched = next;
    }
    matched[path.len()]
}

/// A literal path as a regular expression (RE2/PCRE metacharacters escaped).
fn escape(literal: &str) -> String {
    let mut escaped = String::with_capacity(literal.len());
    for character in literal.chars() {
        if "\\.+*?()|[]{}^$".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(kind: PathRewrite, prefix: &str, path: &str) -> Option<(String, String)> {
        url_rewrite(kind, prefix, path).unwrap().map(|rewrite| (rewrite.regex, rewrite.replace))
    }

    #[test]
    fn rewrites_per_mode_and_environment() {
        let pair = |regex: &str, replace: &str| Some((regex.to_string(), replace.to_string()));
        assert_eq!(rewrite(PathRewrite::Service, "/stage", "/auth/*"), pair("^/stage/auth/(.*)$", "/$1"));
        assert_eq!(rewrite(PathRewrite::Service, "", "/auth/*"), pair("^/auth/(.*)$", "/$1"));
        assert_eq!(rewrite(PathRewrite::Service, "", "/*"), None);
        assert_eq!(rewrite(PathRewrite::Service, "/test", "/v1.2/*"), pair("^/test/v1\\.2/(.*)$", "/$1"));
        assert_eq!(rewrite(PathRewrite::Environment, "/stage", "/auth/*"), pair("^/stage(/.*)$", "$1"));
        assert_eq!(rewrite(PathRewrite::Environment, "", "/auth/*"), None);
        assert_eq!(rewrite(PathRewrite::None, "/stage", "/auth/*"), None);
        assert!(url_rewrite(PathRewrite::Service, "/stage", "/auth").is_err());
        assert!(url_rewrite(PathRewrite::Service, "/stage", "/a*/x/*").is_err());
    }

    #[test]
    fn the_gate_asks_for_the_public_path_that_reaches_the_health_path() {
        let public = |kind, prefix: &str, path: &str, health: &str| public_health_path(kind, prefix, path, health);
        assert_eq!(public(PathRewrite::Service, "/stage", "/auth/*", "/health").unwrap(), "/stage/auth/health");
        assert_eq!(public(PathRewrite::Service, "", "/auth/*", "/health").unwrap(), "/auth/health");
        assert_eq!(
            public(PathRewrite::Environment, "/stage", "/auth/*", "/auth/health").unwrap(),
            "/stage/auth/health"
        );
        assert!(public(PathRewrite::Environment, "/stage", "/auth/*", "/health").is_err());
        assert_eq!(public(PathRewrite::None, "", "/auth/*", "/auth/health").unwrap(), "/auth/health");
        assert!(public(PathRewrite::None, "/stage", "/auth/*", "/auth/health").is_err());
        assert!(public(PathRewrite::None, "/stage", "/auth/*", "/health").is_err());
    }

    #[test]
    fn patterns() {
        for (pattern, path, expected) in [
            ("/auth/*", "/auth/health", true),
            ("/auth/*", "/auth/", true),
            ("/auth/*", "/auth", false),
            ("/a?c/*", "/abc/x", true),
            ("/stage/auth/*", "/auth/health", false),
            ("*", "/anything", true),
        ] {
            assert_eq!(matches_pattern(pattern, path), expected, "{pattern} {path}");
        }
    }
}
