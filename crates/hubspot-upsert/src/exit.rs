//! The exit statuses, one per way a run can end.

use std::process::ExitCode;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Every record succeeded (or, for a dry run, would be sent).
    Success,
    /// A fatal error: bad arguments, unreadable input, credentials refused.
    Fatal,
    /// The run finished but some records failed.
    SomeFailed,
    /// Interrupted by Ctrl-C (128 + SIGINT, as shells do).
    Interrupted,
}

impl Exit {
    /// The numeric status.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Fatal => 1,
            Exit::SomeFailed => 2,
            Exit::Interrupted => 130,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        assert_eq!(
            [
                Exit::Success,
                Exit::Fatal,
                Exit::SomeFailed,
                Exit::Interrupted
            ]
            .map(Exit::code),
            [0, 1, 2, 130]
        );
    }
}
