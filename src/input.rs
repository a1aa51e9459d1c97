//! Reading what comes from outside the corpus walk with a cap, one
//! definition for every reader: a whole file (a corpus file, the
//! configuration, a token, a question file) and lines of a stream (questions
//! on standard input). A misnamed path to a log or a device, or a binary
//! file piped in, must not be read into memory whole.

use std::io::{BufRead, Read};
use std::path::Path;

/// The largest question file (`eval`, `bench`) read, in bytes.
pub const MAX_QUESTION_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The longest line read from a stream of questions, in bytes. Far above
/// any question ([`crate::query::MAX_QUESTION_CHARS`]); it only keeps a
/// stray binary file from being read whole.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// A whole file of at most `max` bytes. A larger one is an error of kind
/// [`std::io::ErrorKind::FileTooLarge`] (checked while reading, so a file
/// that grows meanwhile is caught too).
pub fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!("larger than {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// A whole UTF-8 text file of at most `max` bytes ([`read_capped`]); text
/// that is not UTF-8 is an error of kind [`std::io::ErrorKind::InvalidData`].
pub fn read_text(path: &Path, max: u64) -> std::io::Result<String> {
    String::from_utf8(read_capped(path, max)?)
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8 text"))
}

/// Why a line of a stream could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LineError {
    /// The stream failed.
    #[error("{0}")]
    Read(std::io::Error),
    /// Line `n` (from 1) is longer than [`MAX_LINE_BYTES`].
    #[error("line {0}: longer than {MAX_LINE_BYTES} bytes")]
    TooLong(usize),
    /// Line `n` (from 1) is not UTF-8 text.
    #[error("line {0}: not UTF-8 text")]
    NotText(usize),
}

/// Runs `f` on each line of `input`, trimmed, stopping at the first line
/// that cannot be read or that `f` refuses. `f` gets the line's number
/// (from 1) too.
pub fn each_line<E: From<LineError>>(
    mut input: impl BufRead,
    mut f: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<(), E> {
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let read = (&mut input)
            .take(MAX_LINE_BYTES as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(LineError::Read)?;
        if read == 0 {
            break;
        }
        if buf.len() > MAX_LINE_BYTES {
            return Err(LineError::TooLong(n).into());
        }
        let line = std::str::from_utf8(&buf).map_err(|_| LineError::NotText(n))?;
        f(n, line.trim())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Result<Vec<String>, LineError> {
        let mut out = Vec::new();
        each_line(input, |_, l| {
            out.push(l.to_owned());
            Ok::<(), LineError>(())
        })?;
        Ok(out)
    }

    #[test]
    fn lines_are_trimmed_and_capped() {
        assert_eq!(lines(b" a \n\nb").unwrap(), ["a", "", "b"]);
        let long = vec![b'x'; MAX_LINE_BYTES + 1];
        assert!(matches!(lines(&long), Err(LineError::TooLong(1))));
        assert!(matches!(lines(b"ok\n\xff\xfe\n"), Err(LineError::NotText(2))));
    }

    #[test]
    fn files_over_the_cap_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.txt");
        std::fs::write(&path, "12345").unwrap();
        assert_eq!(read_text(&path, 5).unwrap(), "12345");
        assert_eq!(
            read_text(&path, 4).unwrap_err().kind(),
            std::io::ErrorKind::FileTooLarge
        );
        std::fs::write(&path, b"\xff").unwrap();
        assert_eq!(read_text(&path, 4).unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    }
}
