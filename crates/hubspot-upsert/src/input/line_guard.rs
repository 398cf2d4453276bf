//! A reader that keeps over-long physical lines out of the parsers, so that memory stays
//! bounded whatever the input holds (a line of many megabytes, a file with no newline at all),
//! and so that one such line costs its own record and not the rest of the file.
//!
//! The guard hands out whole lines only. A line longer than the limit is dropped, from its
//! first byte to its newline, and an empty line takes its place: both parsers skip empty
//! lines. The guard notes the lines it hands out in a [`LineLedger`]: where each starts in its
//! output, its number, whether it is blank and whether it was cut. The CSV reader needs every
//! line (the csv crate numbers a record from the end of the one before it, so blank lines and
//! `\r\n` endings shift its numbers); the NDJSON reader counts lines itself and needs only the
//! cut ones.

use std::collections::VecDeque;
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// The longest physical line accepted, in bytes. HubSpot caps a property value at 65,536
/// characters, so a line of a mebibyte already holds many maximal values; anything longer is
/// almost surely not a record (a binary file, or a CSV quote that never closes).
pub const MAX_LINE_BYTES: usize = 1024 * 1024;

/// How much the guard asks of the reader under it at a time.
const READ_CHUNK: usize = 64 * 1024;

/// One line handed out by a [`LineGuard`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerLine {
    /// Where the line starts in the guard's output.
    pub offset: u64,
    /// Its 1-based number in the input.
    pub line: u64,
    /// Whether it holds nothing but its line ending (a cut line is blank too).
    pub blank: bool,
    /// For a line cut out for its length: the limit it went over, in bytes.
    pub cut: Option<usize>,
}

/// The lines a [`LineGuard`] handed out and its reader has not yet accounted for, oldest
/// first. It holds the lines between the parser and the guard: a few buffers' worth.
#[derive(Debug, Clone)]
pub struct LineLedger {
    lines: Arc<Mutex<VecDeque<LedgerLine>>>,
    every_line: bool,
}

impl LineLedger {
    /// A ledger of every line (for CSV).
    pub fn every_line() -> LineLedger {
        LineLedger {
            lines: Arc::default(),
            every_line: true,
        }
    }

    /// A ledger of the cut lines only (for NDJSON).
    pub fn cut_lines() -> LineLedger {
        LineLedger {
            lines: Arc::default(),
            every_line: false,
        }
    }

    /// The lines, locked.
    pub fn lock(&self) -> MutexGuard<'_, VecDeque<LedgerLine>> {
        self.lines.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn append(&self, fresh: &mut Vec<LedgerLine>) {
        if !fresh.is_empty() {
            self.lock().extend(fresh.drain(..));
        }
    }
}

/// Wraps a reader and hands out only lines of at most `limit` bytes (newline excluded); longer
/// lines become empty lines. Every line handed out (or only the cut ones) goes to the ledger.
pub struct LineGuard<R> {
    inner: R,
    limit: usize,
    ledger: LineLedger,
    /// Ledger lines of the last scan, appended under one lock.
    fresh: Vec<LedgerLine>,
    /// Bytes read from `inner` and not yet handed out: `held[pos..ready]` are whole lines
    /// ready to go, `held[ready..]` the start of the line being read.
    held: Vec<u8>,
    pos: usize,
    ready: usize,
    /// Offset in the output of `held[0]`.
    handed: u64,
    /// 1-based number of the line that starts at `held[ready]`.
    line: u64,
    /// Whether the rest of an over-long line is being dropped until its newline.
    skipping: bool,
    eof: bool,
}

impl<R: Read> LineGuard<R> {
    /// Guards `inner` with the given per-line limit in bytes, noting lines in `ledger`.
    pub fn new(inner: R, limit: usize, ledger: LineLedger) -> Self {
        LineGuard {
            inner,
            limit,
            ledger,
            fresh: Vec::new(),
            held: Vec::with_capacity(READ_CHUNK),
            pos: 0,
            ready: 0,
            handed: 0,
            line: 1,
            skipping: false,
            eof: false,
        }
    }

    /// Notes the line starting at `held[self.ready]`, `len` bytes long without its newline.
    fn note(&mut self, len: usize, cut: Option<usize>) {
        if cut.is_none() && !self.ledger.every_line {
            return;
        }
        let blank = cut.is_some() || len == 0 || (len == 1 && self.held[self.ready] == b'\r');
        self.fresh.push(LedgerLine {
            offset: self.handed + self.ready as u64,
            line: self.line,
            blank,
            cut,
        });
    }

    /// Sorts newly read bytes, from `held[from..]`, into whole lines and the partial one.
    fn scan(&mut self, from: usize) {
        let mut i = from;
        while i < self.held.len() {
            let newline = self.held[i..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|off| i + off);
            let Some(newline) = newline else {
                if self.skipping {
                    self.held.truncate(self.ready);
                } else if self.held.len() - self.ready > self.limit {
                    self.held.truncate(self.ready);
                    self.note(0, Some(self.limit));
                    self.skipping = true;
                }
                break;
            };
            if self.skipping || newline - self.ready > self.limit {
                // Keep only the newline: the line reads as empty.
                self.held.drain(self.ready..newline);
                if !self.skipping {
                    self.note(0, Some(self.limit));
                }
                self.skipping = false;
                self.ready += 1;
            } else {
                self.note(newline - self.ready, None);
                self.ready = newline + 1;
            }
            self.line += 1;
            i = self.ready;
        }
        self.ledger.append(&mut self.fresh);
    }
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.pos < self.ready {
                let n = out.len().min(self.ready - self.pos);
                out[..n].copy_from_slice(&self.held[self.pos..self.pos + n]);
                self.pos += n;
                return Ok(n);
            }
            if self.pos > 0 {
                self.held.drain(..self.pos);
                self.handed += self.pos as u64;
                self.ready -= self.pos;
                self.pos = 0;
            }
            if self.eof {
                // A last line without a newline is whole now (its length is checked).
                if self.held.is_empty() {
                    return Ok(0);
                }
                self.note(self.held.len(), None);
                self.ledger.append(&mut self.fresh);
                self.ready = self.held.len();
                continue;
            }
            let start = self.held.len();
            self.held.resize(start + READ_CHUNK, 0);
            let n = match self.inner.read(&mut self.held[start..]) {
                Ok(n) => n,
                Err(e) => {
                    self.held.truncate(start);
                    if e.kind() == io::ErrorKind::Interrupted {
                        continue;
                    }
                    return Err(e);
                }
            };
            self.held.truncate(start + n);
            if n == 0 {
                self.eof = true;
            } else {
                self.scan(start);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The output, and the ledger as `line@offset` with `b` for blank and `cut` for cut.
    fn guarded(data: &[u8], limit: usize, ledger: LineLedger) -> (Vec<u8>, Vec<String>) {
        let mut out = Vec::new();
        LineGuard::new(data, limit, ledger.clone())
            .read_to_end(&mut out)
            .expect("reads");
        let lines = ledger
            .lock()
            .iter()
            .map(|l| {
                format!(
                    "{}@{}{}{}",
                    l.line,
                    l.offset,
                    if l.blank { " b" } else { "" },
                    if l.cut.is_some() { " cut" } else { "" }
                )
            })
            .collect();
        (out, lines)
    }

    #[test]
    fn passes_short_lines_through_and_notes_each() {
        let data = b"a,b\n\r\n\nno newline at the end";
        assert_eq!(
            guarded(data, 30, LineLedger::every_line()),
            (
                data.to_vec(),
                vec!["1@0", "2@4 b", "3@6 b", "4@7"]
                    .into_iter()
                    .map(String::from)
                    .collect()
            )
        );
        assert_eq!(
            guarded(data, 30, LineLedger::cut_lines()).1,
            Vec::<String>::new()
        );
    }

    #[test]
    fn a_long_line_becomes_an_empty_line_and_is_noted() {
        let (out, lines) = guarded(
            b"ok\nfine\n0123456789ABC\nlater\n",
            10,
            LineLedger::cut_lines(),
        );
        assert_eq!(out, b"ok\nfine\n\nlater\n");
        assert_eq!(lines, vec!["3@8 b cut"]);
    }

    #[test]
    fn a_line_exactly_at_the_limit_is_accepted() {
        assert_eq!(
            guarded(b"0123456789\n", 10, LineLedger::cut_lines()),
            (b"0123456789\n".to_vec(), vec![])
        );
    }

    #[test]
    fn a_long_last_line_without_newline_is_dropped() {
        assert_eq!(
            guarded(b"a\n0123456789AB", 10, LineLedger::every_line()),
            (
                b"a\n".to_vec(),
                vec!["1@0".to_string(), "2@2 b cut".to_string()]
            )
        );
    }

    #[test]
    fn lines_longer_than_a_read_chunk_are_cut_and_counted() {
        let mut data = b"first\n".to_vec();
        data.extend(std::iter::repeat_n(b'x', 3 * READ_CHUNK + 17));
        data.extend(b"\nmiddle\n");
        data.extend(std::iter::repeat_n(b'y', 2 * READ_CHUNK));
        data.extend(b"\nlast\n");
        let (out, lines) = guarded(&data, READ_CHUNK, LineLedger::every_line());
        assert_eq!(out, b"first\n\nmiddle\n\nlast\n");
        assert_eq!(lines, vec!["1@0", "2@6 b cut", "3@7", "4@14 b cut", "5@15"]);
        // A long line under the limit is handed out whole.
        let mut long = std::iter::repeat_n(b'z', 2 * READ_CHUNK).collect::<Vec<u8>>();
        long.push(b'\n');
        assert_eq!(
            guarded(&long, 3 * READ_CHUNK, LineLedger::cut_lines()),
            (long.clone(), vec![])
        );
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
        let ledger = LineLedger::cut_lines();
        let mut out = Vec::new();
        LineGuard::new(OneByte(b"1\n2\n3\n4444444\n5\n"), 5, ledger.clone())
            .read_to_end(&mut out)
            .expect("reads");
        assert_eq!(out, b"1\n2\n3\n\n5\n");
        assert_eq!(
            ledger.lock().front().copied(),
            Some(LedgerLine {
                offset: 6,
                line: 4,
                blank: true,
                cut: Some(5)
            })
        );
    }

    #[test]
    fn errors_of_the_reader_underneath_pass_through() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut out = Vec::new();
        let err = LineGuard::new(Failing, 10, LineLedger::cut_lines())
            .read_to_end(&mut out)
            .expect_err("fails");
        assert_eq!(err.to_string(), "disk on fire");
    }
}
