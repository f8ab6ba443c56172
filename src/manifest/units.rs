//! The unit spellings the manifest accepts, normalised to what AWS stores.
//!
//! ECS accepts `cpu = "1 vCPU"` and `memory = "2 GB"` in a task definition but returns `1024` and
//! `2048`; normalising here keeps a manifest written either way from ever showing a diff.

/// CPU units from `256`, `"256"`, `"0.25 vCPU"` or `"1vcpu"`.
pub fn parse_cpu(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(units) = text.parse::<i64>() {
        return Some(units);
    }
    let lower = text.to_ascii_lowercase();
    let number = lower.strip_suffix("vcpu")?.trim();
    scaled(number, 1024)
}

/// MiB from `512`, `"512"`, `"512 MiB"`, `"0.5 GB"` or `"2GiB"` (a GB here is 1024 MiB, as in ECS).
pub fn parse_memory(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(mebibytes) = text.parse::<i64>() {
        return Some(mebibytes);
    }
    let lower = text.to_ascii_lowercase();
    for (suffix, factor) in [("gib", 1024), ("gb", 1024), ("mib", 1), ("mb", 1)] {
        if let Some(number) = lower.strip_suffix(suffix) {
            return scaled(number.trim(), factor);
        }
    }
    None
}

/// `number * factor` when that is a whole number.
fn scaled(number: &str, factor: i64) -> Option<i64> {
    let value: f64 = number.parse().ok()?;
    let product = value * factor as f64;
    (product.is_finite() && product >= 0.0 && product.fract() == 0.0 && product < 1e12).then_some(product as i64)
}

/// Milliseconds from `"500ms"`, or any [`parse_duration`] form.
pub fn parse_duration_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    if let Some(millis) = text.strip_suffix("ms") {
        return millis.trim().parse().ok();
    }
    parse_duration(text).and_then(|seconds| u64::try_from(seconds).ok()?.checked_mul(1000))
}

/// Seconds from `"30s"`, `"10m"`, `"1h30m"` or `"90"`.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return (seconds >= 0).then_some(seconds);
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    let mut saw_unit = false;
    for character in text.chars() {
        if character.is_ascii_digit() {
            digits.push(character);
            continue;
        }
        let factor = match character {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return None,
        };
        let amount: i64 = digits.parse().ok()?;
        total = total.checked_add(amount.checked_mul(factor)?)?;
        digits.clear();
        saw_unit = true;
    }
    (saw_unit && digits.is_empty()).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_spellings() {
        for (text, expected) in [
            ("256", Some(256)),
            ("0.25 vCPU", Some(256)),
            ("1 vCPU", Some(1024)),
            ("2vcpu", Some(2048)),
            ("0.3 vCPU", None),
            ("fast", None),
            ("-1 vCPU", None),
        ] {
            assert_eq!(parse_cpu(text), expected, "{text}");
        }
    }

    #[test]
    fn memory_spellings() {
        for (text, expected) in [
            ("512", Some(512)),
            ("0.5 GB", Some(512)),
            ("2GB", Some(2048)),
            ("3 GiB", Some(3072)),
            ("512 MiB", Some(512)),
            ("lots", None),
        ] {
            assert_eq!(parse_memory(text), expected, "{text}");
        }
    }

    #[test]
    fn durations_in_milliseconds() {
        assert_eq!(parse_duration_millis("250ms"), Some(250));
        assert_eq!(parse_duration_millis("2s"), Some(2000));
        assert_eq!(parse_duration_millis("fast"), None);
    }

    #[test]
    fn durations() {
        for (text, expected) in [
            ("30s", Some(30)),
            ("10m", Some(600)),
            ("1h30m", Some(5400)),
            ("90", Some(90)),
            ("5x", None),
            ("m", None),
            ("10m5", None),
            ("", None),
            ("99999999999999999999h", None),
        ] {
            assert_eq!(parse_duration(text), expected, "{text}");
        }
    }
}
