//! Compressed input: gzip (as Snowflake's `COPY INTO` and BigQuery's exports write it) and
//! zstd, recognised by their first bytes, whatever the input is called, and decompressed as
//! they are read: never to disk, never whole into memory.

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

/// The compressions read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952); several members one after the other, as `cat a.gz b.gz` makes, are
    /// read as one stream.
    Gzip,
    /// Zstandard; several frames are read as one stream.
    Zstd,
}

/// The first bytes of a gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The first bytes of a Zstandard frame.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// How many first bytes tell the compressions (and Parquet's `PAR1`) apart.
pub const MAGIC_BYTES: usize = 4;

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        })
    }
}

impl Compression {
    /// The compression the first bytes of an input show, if any.
    pub fn from_magic(head: &[u8]) -> Option<Compression> {
        if head.starts_with(&GZIP_MAGIC) {
            Some(Compression::Gzip)
        } else if head.starts_with(&ZSTD_MAGIC) {
            Some(Compression::Zstd)
        } else {
            None
        }
    }

    /// The compression a file name's last extension names, if any.
    pub fn from_extension(path: &Path) -> Option<Compression> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "gz" | "gzip" => Some(Compression::Gzip),
            "zst" | "zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }

    /// Decompresses `compressed` as it is read. Errors of the decompressor come out of the
    /// reader as [`io::Error`]s carrying a [`DecompressError`].
    pub fn decoder(self, compressed: Box<dyn Read + Send>) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Compression::Gzip => Box::new(Tagged {
                inner: flate2::read::MultiGzDecoder::new(compressed),
                codec: self,
            }),
            Compression::Zstd => Box::new(Tagged {
                inner: zstd::stream::read::Decoder::new(compressed)
                    .map_err(|e| DecompressError::wrap(self, &e))?,
                codec: self,
            }),
        })
    }
}

/// The name of a file without its compression extension: `people.csv.gz` gives `people.csv`.
pub fn without_compression_extension(path: &Path) -> &Path {
    match Compression::from_extension(path) {
        Some(_) => Path::new(path.file_stem().unwrap_or_default()),
        None => path,
    }
}

/// A failure of the decompressor (a truncated or corrupt stream), carried inside an
/// [`io::Error`] so that it passes through the csv crate and `BufRead` untouched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecompressError {
    /// The compression being read.
    pub codec: Compression,
    /// What the decompressor said.
    pub message: String,
}

impl fmt::Display for DecompressError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the {} data is truncated or corrupt ({})",
            self.codec, self.message
        )
    }
}

impl std::error::Error for DecompressError {}

impl DecompressError {
    fn wrap(codec: Compression, err: &io::Error) -> io::Error {
        io::Error::new(
            io::ErrorKind::InvalidData,
            DecompressError {
                codec,
                message: err.to_string(),
            },
        )
    }

    /// Finds a [`DecompressError`] inside an I/O error.
    pub fn from_io(err: &io::Error) -> Option<&DecompressError> {
        err.get_ref()
            .and_then(|inner| inner.downcast_ref::<DecompressError>())
    }
}

/// A decompressor whose errors say they are the decompressor's.
struct Tagged<R> {
    inner: R,
    codec: Compression,
}

impl<R: Read> Read for Tagged<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                e
            } else {
                DecompressError::wrap(self.codec, &e)
            }
        })
    }
}

/// Reads up to `n` first bytes of `source` (fewer only at its end) and gives them back with a
/// reader that yields the whole input, those bytes first.
pub fn peek(
    mut source: Box<dyn Read + Send>,
    n: usize,
) -> io::Result<(Vec<u8>, Box<dyn Read + Send>)> {
    let mut head = vec![0u8; n];
    let mut got = 0;
    while got < n {
        match source.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    head.truncate(got);
    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(source));
    Ok((head, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const TEXT: &[u8] = b"email,firstname\na@x.io,A\nb@x.io,B\n";

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(data).expect("gzip");
        enc.finish().expect("gzip")
    }

    fn read_all(codec: Compression, data: Vec<u8>) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        codec
            .decoder(Box::new(io::Cursor::new(data)))?
            .read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn magic_bytes_and_extensions_name_the_compression() {
        assert_eq!(
            Compression::from_magic(&gzip(b"x")),
            Some(Compression::Gzip)
        );
        let zstd = zstd::encode_all(TEXT, 1).expect("zstd");
        assert_eq!(Compression::from_magic(&zstd), Some(Compression::Zstd));
        assert_eq!(Compression::from_magic(b"email,x"), None);
        assert_eq!(Compression::from_magic(b"\x1f"), None);
        assert_eq!(
            Compression::from_extension(Path::new("a.CSV.GZ")),
            Some(Compression::Gzip)
        );
        assert_eq!(
            Compression::from_extension(Path::new("a.ndjson.zst")),
            Some(Compression::Zstd)
        );
        assert_eq!(Compression::from_extension(Path::new("a.csv")), None);
        assert_eq!(
            without_compression_extension(Path::new("dir/people.tsv.gz")),
            Path::new("people.tsv")
        );
        assert_eq!(
            without_compression_extension(Path::new("people.tsv")),
            Path::new("people.tsv")
        );
    }

    #[test]
    fn both_decompress_and_concatenated_members_read_as_one() {
        let mut two = gzip(b"email\na@x.io\n");
        two.extend(gzip(b"b@x.io\n"));
        assert_eq!(
            read_all(Compression::Gzip, two).expect("reads"),
            b"email\na@x.io\nb@x.io\n"
        );
        let mut frames = zstd::encode_all(&b"email\n"[..], 3).expect("zstd");
        frames.extend(zstd::encode_all(&b"a@x.io\n"[..], 3).expect("zstd"));
        assert_eq!(
            read_all(Compression::Zstd, frames).expect("reads"),
            b"email\na@x.io\n"
        );
    }

    #[test]
    fn truncated_streams_are_decompress_errors() {
        for (codec, mut data) in [
            (Compression::Gzip, gzip(TEXT)),
            (Compression::Zstd, zstd::encode_all(TEXT, 3).expect("zstd")),
        ] {
            data.truncate(data.len() - 6);
            let err = read_all(codec, data).expect_err("truncated");
            let found = DecompressError::from_io(&err).expect("tagged");
            assert_eq!(found.codec, codec);
            assert!(
                err.to_string()
                    .starts_with(&format!("the {codec} data is truncated or corrupt (")),
                "{err}"
            );
        }
    }

    #[test]
    fn peek_gives_the_head_and_the_whole_input_back() {
        let (head, mut rest) = peek(Box::new(&b"abcdef"[..]), 4).expect("peek");
        assert_eq!(head, b"abcd");
        let mut all = Vec::new();
        rest.read_to_end(&mut all).expect("read");
        assert_eq!(all, b"abcdef");
        let (head, _) = peek(Box::new(&b"ab"[..]), 4).expect("peek");
        assert_eq!(head, b"ab");
    }
}
