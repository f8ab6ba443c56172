//! `[secrets."<name>"]`: settings of the secrets themselves, as opposed to the references the
//! services make to them. Today that is rotation: which Lambda function rotates the secret and
//! how often. `services.toml` sets it for every environment; an environment's own `[secrets]`
//! merges over it (`rotation = false` turns it off there).

use super::model::SecretRotation;
use super::node::{Node, Value};
use super::problem::{Problem, Problems};
use super::reader::{TableReader, type_problem};
use super::source::Located;

const SECRET_KEYS: &[&str] = &["rotation"];
const ROTATION_KEYS: &[&str] = &["function", "schedule", "window"];
const SCHEDULE_HELP: &str =
    "write schedule = \"rate(30 days)\", \"rate(12 hours)\" or a cron expression such as \"cron(0 4 ? * SUN *)\"";

/// The rotations `secrets` (the merged `[secrets]` table) asks for, in file order.
pub fn read_secret_settings(secrets: &Node, problems: &Problems) -> Vec<SecretRotation> {
    let Some(reader) = TableReader::new(secrets, "`secrets`", problems) else {
        return Vec::new();
    };
    reader
        .remaining()
        .into_iter()
        .filter_map(|entry| {
            let secret = Located::new(entry.key.clone(), entry.key_span);
            if entry.key.starts_with("arn:") {
                problems.push(
                    Problem::error(entry.key_span, "rotation is configured for secrets by name, not by ARN").with_help(
                        "name the secret relative to the environment's secret_prefix: [secrets.\"auth/db\"]",
                    ),
                );
                return None;
            }
            let table = TableReader::new(&entry.node, format!("`secrets.\"{}\"`", entry.key), problems)?;
            let rotation = read_rotation(&table, secret);
            table.finish(SECRET_KEYS);
            rotation
        })
        .collect()
}

/// `rotation = { function, schedule, window }`, or `rotation = false`.
fn read_rotation(table: &TableReader<'_>, secret: Located<String>) -> Option<SecretRotation> {
    let entry = table.entry("rotation")?;
    let rotation = match &entry.node.value {
        Value::Boolean(false) => return None,
        Value::Table(_) => TableReader::new(&entry.node, table.key_name("rotation"), table.problems())?,
        other => {
            table.report(
                type_problem(entry.node.span, &table.key_name("rotation"), "a table or false", other).with_help(
                    "write rotation = { function = \"my-rotation-function\", schedule = \"rate(30 days)\" }, \
                     or rotation = false to turn rotation off",
                ),
            );
            return None;
        }
    };
    let function = rotation.string("function");
    let function = rotation.required(
        "function",
        function,
        "name the rotation Lambda function (its name in this account and region, or its ARN)",
    );
    let schedule = rotation.string("schedule");
    let schedule = rotation.required("schedule", schedule, SCHEDULE_HELP);
    let window = rotation.string("window");
    rotation.finish(ROTATION_KEYS);
    let (function, schedule) = (function?, schedule?);
    let mut usable = true;
    if !is_function(&function.value) {
        usable = false;
        rotation.report(
            Problem::error(function.span, format!("`{}` is not a Lambda function name or ARN", function.value))
                .with_help("a name has 1-64 letters, digits, '-' or '_'; an ARN starts with arn:aws:lambda:"),
        );
    }
    if !is_schedule(&schedule.value) {
        usable = false;
        rotation.report(
            Problem::error(schedule.span, format!("`{}` is not a rotation schedule", schedule.value))
                .with_help(SCHEDULE_HELP),
        );
    }
    if let Some(window) = &window
        && !is_window(&window.value)
    {
        usable = false;
        rotation.report(
            Problem::error(window.span, format!("`{}` is not a rotation window", window.value))
                .with_help("write whole hours from 1h to 24h, such as window = \"4h\""),
        );
    }
    usable.then_some(SecretRotation { secret, function, schedule, window })
}

fn is_function(text: &str) -> bool {
    if let Some(rest) = text.strip_prefix("arn:") {
        return rest.contains(":lambda:") && rest.contains(":function:");
    }
    (1..=64).contains(&text.len()) && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `rate(N days|hours)` (Secrets Manager's range: 4 hours to 1000 days) or `cron(...)`.
fn is_schedule(text: &str) -> bool {
    if let Some(body) = text.strip_prefix("cron(").and_then(|rest| rest.strip_suffix(')')) {
        return body.split_whitespace().count() == 6;
    }
    let Some(body) = text.strip_prefix("rate(").and_then(|rest| rest.strip_suffix(')')) else {
        return false;
    };
    // One canonical spelling: the plan compares the expression as written with what AWS keeps.
    let Some((count, unit)) = body.split_once(' ') else { return false };
    if count.starts_with('0') || !count.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let Ok(count) = count.parse::<u32>() else { return false };
    match unit {
        "day" => count == 1,
        "days" => (2..=1000).contains(&count),
        "hours" => (4..=23).contains(&count),
        _ => false,
    }
}

fn is_window(text: &str) -> bool {
    text.strip_suffix('h').and_then(|hours| hours.parse::<u32>().ok()).is_some_and(|hours| (1..=24).contains(&hours))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_follow_secrets_manager() {
        for good in ["rate(30 days)", "rate(1 day)", "rate(4 hours)", "cron(0 4 ? * SUN *)"] {
            assert!(is_schedule(good), "{good}");
        }
        for bad in
            ["30d", "rate(0 days)", "rate(1001 days)", "rate(2 hours)", "rate(2 day)", "cron(0 4 * *)", "rate(x days)"]
        {
            assert!(!is_schedule(bad), "{bad}");
        }
    }

    #[test]
    fn functions_and_windows() {
        assert!(is_function("acme-db-rotation"));
        assert!(is_function("arn:aws:lambda:us-east-1:123456789012:function:acme-db-rotation"));
        assert!(!is_function("acme db rotation"));
        assert!(!is_function("arn:aws:iam::123456789012:role/x"));
        assert!(is_window("4h") && is_window("24h"));
        assert!(!is_window("0h") && !is_window("25h") && !is_window("4"));
    }
}
