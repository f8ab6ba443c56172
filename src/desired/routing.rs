//! Listener-rule priorities and path-pattern overlap.
//!
//! Priorities must be unique on the shared ALB across all environments and must not move when a
//! service is added or removed (moving a rule is a change to an unrelated service). So a default
//! priority is a stable hash of project, environment and service; the rare collision is reported
//! by validation with the fix (`priority = N`), never silently resolved by order.

/// The lowest and highest priority ALB rules accept.
pub const PRIORITY_RANGE: std::ops::RangeInclusive<i64> = 1..=50_000;

/// The default priority of a service's rule: FNV-1a of `project/environment/service`, in range.
pub fn default_priority(project: &str, environment: &str, service: &str) -> i64 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in format!("{project}/{environment}/{service}").bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    // Keep the top 1000 priorities free for rules people add by hand.
    i64::from(hash % 49_000) + 1
}

/// Whether some request path matches both ALB path patterns (`*`: any run, `?`: one character).
///
/// Walks the product of the two patterns' automata; patterns are at most 128 characters, so the
/// state space is small.
pub fn patterns_overlap(a: &str, b: &str) -> bool {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut seen = vec![vec![false; b.len() + 1]; a.len() + 1];
    let mut stack = vec![(0usize, 0usize)];
    while let Some((i, j)) = stack.pop() {
        if seen[i][j] {
            continue;
        }
        seen[i][j] = true;
        if i == a.len() && j == b.len() {
            return true;
        }
        // A `*` may match nothing.
        if a.get(i) == Some(&'*') {
            stack.push((i + 1, j));
        }
        if b.get(j) == Some(&'*') {
            stack.push((i, j + 1));
        }
        // Both consume one common character.
        let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) else {
            continue;
        };
        let wildcard = |c: char| c == '*' || c == '?';
        if !(wildcard(x) || wildcard(y) || x == y) {
            continue;
        }
        let next_i = if x == '*' { i } else { i + 1 };
        let next_j = if y == '*' { j } else { j + 1 };
        if (next_i, next_j) != (i, j) {
            stack.push((next_i, next_j));
        } else {
            // Two stars eat characters together: equivalent to one of them moving on.
            stack.push((i + 1, j));
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_table() {
        for (a, b, expected) in [
            ("/auth/*", "/auth/*", true),
            ("/auth/*", "/gmail/*", false),
            ("/stage/auth/*", "/auth/*", false),
            ("/ai/*", "/ai/v2/*", true),
            ("/*", "/stage/auth/*", true),
            ("/a?c/*", "/abc/x", true),
            ("/a?c", "/abcd", false),
            ("/auth", "/auth/*", false),
            ("*/x", "/y/*", true),
            ("/stage*", "/stage/auth/*", true),
            ("/test/ai/*", "/stage/ai/*", false),
        ] {
            assert_eq!(patterns_overlap(a, b), expected, "{a} vs {b}");
            assert_eq!(patterns_overlap(b, a), expected, "{b} vs {a}");
        }
    }

    #[test]
    fn default_priorities_are_stable_and_in_range() {
        let priority = default_priority("acme", "stage", "auth");
        assert_eq!(priority, default_priority("acme", "stage", "auth"));
        assert_ne!(priority, default_priority("acme", "test", "auth"));
        assert!(PRIORITY_RANGE.contains(&priority) && priority <= 49_000);
    }
}
