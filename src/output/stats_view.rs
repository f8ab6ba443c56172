//! `--stats`: AWS API calls per service and operation, their sequential rounds (the latency
//! proxy, see `cloud::stats`), and the wall time of each phase.

use crate::cloud::stats::CallCount;
use serde_json::json;
use std::time::Duration;

pub fn text(calls: &[CallCount], rounds: u64, phases: &[(String, Duration)]) -> String {
    let total: u64 = calls.iter().map(|count| count.calls).sum();
    let mut out = format!("AWS API calls: {total} in {rounds} sequential rounds\n");
    for count in calls {
        out.push_str(&format!("  {:>4}  {}:{}\n", count.calls, count.service, count.operation));
    }
    out.push_str("Phases:\n");
    for (phase, elapsed) in phases {
        out.push_str(&format!("  {:>8.3}s  {phase}\n", elapsed.as_secs_f64()));
    }
    out
}

pub fn json(calls: &[CallCount], rounds: u64, phases: &[(String, Duration)]) -> serde_json::Value {
    json!({
        "api_calls": calls,
        "total_api_calls": calls.iter().map(|count| count.calls).sum::<u64>(),
        "sequential_rounds": rounds,
        "phases": phases.iter().map(|(phase, elapsed)| json!({"phase": phase, "seconds": elapsed.as_secs_f64()})).collect::<Vec<_>>(),
    })
}
