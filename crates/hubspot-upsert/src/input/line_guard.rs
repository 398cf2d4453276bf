//! A reader that refuses over-long physical lines, so that memory stays bounded whatever the
//! input holds (a file with no newline at all, or a runaway quoted CSV field).

use std::fmt;
use std::io::{self, Read};

/// The longest physical line accepted, in bytes. HubSpot caps a property value at 65,536
/// characters, so a line of a mebibyte already holds many maximal values; anything longer is
/// almost surely not line-oriented data (a binary file, or a CSV quote that never closes).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// The error a [`LineGuard`] raises, carried inside an [`io::Error`] so that it passes through
/// the csv crate and `BufRead` untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineTooLong {
    /// 1-based number of the physical line that went over the limit.
    pub line: u64,
    /// The limit it went over, in bytes.
    pub limit: usize,
}

impl fmt::Display for LineTooLong {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {} is longer than {} bytes (is the file really CSV or NDJSON?)",
            self.line, self.limit
        )
    }
}

impl std::error::Error for LineTooLong {}

impl LineTooLong {
    /// Finds a [`LineTooLong`] inside an I/O error raised by a [`LineGuard`].
    pub fn from_io(err: &io::Error) -> Option<LineTooLong> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<LineTooLong>())
            .copied()
    }
}

/// Wraps a reader and fails with [`LineTooLong`] once a physical line exceeds the limit.
///
/// Bytes of complete lines before the long one are still handed out, so the records before it
/// are read normally and the error arrives exactly when the long line is reached.
pub struct LineGuard<R> {
    inner: R,
    limit: usize,
    /// 1-based number of the line currently being read.
    line: u64,
    /// Bytes seen so far in the current line.
    current_len: usize,
    /// An error found in the last read, raised on the next call once earlier bytes are out.
    pending: Option<LineTooLong>,
}

impl<R: Read> LineGuard<R> {
    /// Guards `inner` with the given per-line limit in bytes.
    pub fn new(inner: R, limit: usize) -> Self {
        LineGuard {
            inner,
            limit,
            line: 1,
            current_len: 0,
            pending: None,
        }
    }
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(err) = self.pending {
            return Err(io::Error::new(io::ErrorKind::InvalidData, err));
        }
        let n = self.inner.read(buf)?;
        for (i, &byte) in buf[..n].iter().enumerate() {
            if byte == b'\n' {
                self.line += 1;
                self.current_len = 0;
            } else {
                self.current_len += 1;
                if self.current_len > self.limit {
                    let err = LineTooLong {
                        line: self.line,
                        limit: self.limit,
                    };
                    // Hand out what came before this line; the error comes next call.
                    let line_start = buf[..i]
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |p| p + 1);
                    self.pending = Some(err);
                    if line_start == 0 {
                        return Err(io::Error::new(io::ErrorKind::InvalidData, err));
                    }
                    return Ok(line_start);
                }
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_short_lines_through_unchanged() {
        let data = b"a,b\nc,d\n".to_vec();
        let mut out = Vec::new();
        LineGuard::new(&data[..], 10)
            .read_to_end(&mut out)
            .expect("short lines pass");
        assert_eq!(out, data);
    }

    #[test]
    fn names_the_long_line_after_handing_out_the_lines_before_it() {
        let data = b"ok\nfine\n0123456789ABC\nlater\n".to_vec();
        let mut guard = LineGuard::new(&data[..], 10);
        let mut out = Vec::new();
        let err = guard.read_to_end(&mut out).expect_err("line 3 is too long");
        assert_eq!(out, b"ok\nfine\n");
        assert_eq!(
            LineTooLong::from_io(&err),
            Some(LineTooLong { line: 3, limit: 10 })
        );
    }

    #[test]
    fn a_line_exactly_at_the_limit_is_accepted() {
        let data = b"0123456789\n".to_vec();
        let mut out = Vec::new();
        LineGuard::new(&data[..], 10)
            .read_to_end(&mut out)
            .expect("limit is inclusive");
        assert_eq!(out.len(), 11);
    }

    #[test]
    fn counts_lines_across_many_small_reads() {
        // A reader that hands out one byte per read, to cross every chunk boundary.
        struct OneByte<'a>(&'a [u8]);
        impl Read for OneByte<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.split_first() {
                    Some((b, rest)) if !buf.is_empty() => {
                        buf[0] = *b;
                        self.0 = rest;
                        Ok(1)
                    }
                    _ => Ok(0),
                }
            }
        }
        let data = b"1\n2\n3\n4444444\n";
        let mut guard = LineGuard::new(OneByte(data), 5);
        let mut out = Vec::new();
        let err = guard.read_to_end(&mut out).expect_err("line 4 is too long");
        assert_eq!(LineTooLong::from_io(&err).map(|e| e.line), Some(4));
        assert_eq!(out, b"1\n2\n3\n44444");
    }
}
