//! The CPU and memory combinations Fargate accepts.
//!
//! Source: "Task CPU and memory" in the Amazon ECS Developer Guide (Fargate). The emulator accepts
//! any pair, so this table is the only thing standing between a typo and a failed deployment.

/// For each CPU size (units), the memory sizes (MiB) allowed: `(cpu, first, last, step)`.
const COMBINATIONS: &[(i64, i64, i64, i64)] = &[
    (256, 512, 2048, 512),
    (512, 1024, 4096, 1024),
    (1024, 2048, 8192, 1024),
    (2048, 4096, 16384, 1024),
    (4096, 8192, 30720, 1024),
    (8192, 16384, 61440, 4096),
    (16384, 32768, 122880, 8192),
];

/// The CPU sizes Fargate offers.
pub fn cpu_sizes() -> Vec<i64> {
    COMBINATIONS.iter().map(|(cpu, ..)| *cpu).collect()
}

/// Memory sizes allowed with `cpu`, or `None` when `cpu` is not a Fargate size.
pub fn memory_sizes(cpu: i64) -> Option<Vec<i64>> {
    let (_, first, last, step) = COMBINATIONS.iter().find(|(size, ..)| *size == cpu)?;
    // 256 CPU allows 512, 1024 and 2048 only: the generic step would add 1536.
    if cpu == 256 {
        return Some(vec![512, 1024, 2048]);
    }
    Some((*first..=*last).step_by(*step as usize).collect())
}

pub fn is_valid(cpu: i64, memory: i64) -> bool {
    memory_sizes(cpu).is_some_and(|sizes| sizes.contains(&memory))
}

/// "512, 1024 or 2048", or for long lists "1024 to 4096 in steps of 1024".
pub fn describe_memory_sizes(cpu: i64) -> Option<String> {
    let sizes = memory_sizes(cpu)?;
    if sizes.len() <= 3 {
        let (last, rest) = sizes.split_last()?;
        let rest: Vec<String> = rest.iter().map(i64::to_string).collect();
        return Some(format!("{} or {last}", rest.join(", ")));
    }
    let step = sizes.get(1)? - sizes.first()?;
    Some(format!("{} to {} in steps of {step}", sizes.first()?, sizes.last()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_pairs() {
        for (cpu, memory, valid) in [
            (256, 512, true),
            (256, 1536, false),
            (256, 2048, true),
            (512, 4096, true),
            (512, 512, false),
            (1024, 2048, true),
            (4096, 30720, true),
            (8192, 20480, true),
            (8192, 18432, false),
            (16384, 122880, true),
            (300, 512, false),
        ] {
            assert_eq!(is_valid(cpu, memory), valid, "{cpu}/{memory}");
        }
        assert_eq!(describe_memory_sizes(256).unwrap(), "512, 1024 or 2048");
        assert_eq!(describe_memory_sizes(1024).unwrap(), "2048 to 8192 in steps of 1024");
    }
}
