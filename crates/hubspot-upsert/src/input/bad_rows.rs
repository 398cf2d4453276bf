//! `--max-bad-rows`: malformed rows pass through as row errors until there are more than the
//! limit; then reading stops with a fatal error naming the line where it stopped.

use super::{InputError, InputProblem, InputRecord};

/// The limit when `--max-bad-rows` is not given. A hand-edited export carries a stray bad row
/// now and then, and each costs only its own record; a file with more than a hundred is
/// likely malformed throughout (a wrong delimiter under a header that still parses, a binary
/// tail), and stopping there keeps a hundred failures from growing into a million.
pub const DEFAULT_MAX_BAD_ROWS: u64 = 100;

/// Wraps a reader's items, counting row errors and stopping once there are more than `limit`.
pub struct BadRowLimit<I> {
    inner: I,
    limit: u64,
    bad: u64,
    /// The stop, yielded after the row that went over the limit.
    stop: Option<InputError>,
    finished: bool,
}

impl<I> BadRowLimit<I> {
    /// Lets through at most `limit` row errors.
    pub fn new(inner: I, limit: u64) -> Self {
        BadRowLimit {
            inner,
            limit,
            bad: 0,
            stop: None,
            finished: false,
        }
    }

    /// The wrapped reader.
    pub fn get_ref(&self) -> &I {
        &self.inner
    }
}

impl<I> Iterator for BadRowLimit<I>
where
    I: Iterator<Item = Result<InputRecord, InputError>>,
{
    type Item = Result<InputRecord, InputError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(stop) = self.stop.take() {
            self.finished = true;
            return Some(Err(stop));
        }
        if self.finished {
            return None;
        }
        let item = self.inner.next()?;
        if let Err(err) = &item
            && err.row_index.is_some()
        {
            self.bad += 1;
            if self.bad > self.limit {
                self.stop = Some(InputError::new(
                    &err.input,
                    err.line,
                    InputProblem::TooManyBadRows {
                        count: self.bad,
                        limit: self.limit,
                    },
                ));
            }
        }
        Some(item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(index: u64) -> Result<InputRecord, InputError> {
        Ok(InputRecord {
            index,
            line: index + 2,
            id: Some(format!("r{index}")),
            properties: Vec::new(),
        })
    }

    fn bad(index: u64) -> Result<InputRecord, InputError> {
        Err(InputError::row(
            "t.csv",
            index,
            index + 2,
            InputProblem::Ragged {
                found: 3,
                expected: 2,
            },
        ))
    }

    fn lines(items: Vec<Result<InputRecord, InputError>>, limit: u64) -> Vec<String> {
        BadRowLimit::new(items.into_iter(), limit)
            .map(|item| match item {
                Ok(r) => format!("ok {}", r.line),
                Err(e) => e.to_string(),
            })
            .collect()
    }

    #[test]
    fn row_errors_up_to_the_limit_pass_and_the_next_one_stops_reading() {
        let items = || vec![good(0), bad(1), good(2), bad(3), good(4), bad(5), good(6)];
        assert_eq!(
            lines(items(), 3).len(),
            7,
            "three bad rows are within a limit of 3"
        );
        assert_eq!(
            lines(items(), 1),
            vec![
                "ok 2",
                "t.csv, line 3: the row has 3 fields but the header has 2",
                "ok 4",
                "t.csv, line 5: the row has 3 fields but the header has 2",
                "t.csv, line 5: reading stopped here, at malformed row 2 (--max-bad-rows 1); the rows after this line were not read",
            ]
        );
    }

    #[test]
    fn zero_stops_at_the_first_bad_row() {
        assert_eq!(
            lines(vec![good(0), bad(1), good(2)], 0),
            vec![
                "ok 2",
                "t.csv, line 3: the row has 3 fields but the header has 2",
                "t.csv, line 3: reading stopped here, at malformed row 1 (--max-bad-rows 0); the rows after this line were not read",
            ]
        );
    }
}
