//! The one set of exit codes, documented in README.md.

/// How a run ended. Scripts rely on these numbers; never renumber them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: done; for `plan --detailed-exitcode`, no changes.
    Success,
    /// 1: an error; nothing was changed by the step that failed.
    Failure,
    /// 2: `plan --detailed-exitcode` found changes.
    ChangesPending,
    /// 3: a rollout failed its health gate and was rolled back to the last good revision.
    RolledBack,
    /// 4: a rollout failed and so did its rollback: a person is needed.
    RollbackFailed,
    /// 5: another run holds the environment's deploy lock; nothing was changed.
    Locked,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::ChangesPending => 2,
            ExitStatus::RolledBack => 3,
            ExitStatus::RollbackFailed => 4,
            ExitStatus::Locked => 5,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}
