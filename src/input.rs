//! Reading a file a user names (results, a harness's output): bounded in
//! size, and never blocked on something without an end.
//!
//! A regular file is refused before any of it is read when it is larger than
//! the limit; a pipe (`<(cmd)`, `/dev/stdin` from a pipeline, a named FIFO) is
//! read up to the limit. Anything else (`/dev/zero`, a terminal, a directory,
//! a socket) is refused by its kind. A named FIFO that no process writes to
//! reads as empty instead of blocking `open` forever.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// The default limit, in MiB: a million metrics with their samples fit.
pub const DEFAULT_MAX_MIB: u64 = 1024;

/// The environment variable that overrides the limit, in MiB.
pub const MAX_MIB_VAR: &str = "PERFGUARD_MAX_INPUT_MIB";

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("it is larger than {} MiB, the input limit (set {MAX_MIB_VAR} to raise it)", .0 >> 20)]
    TooLarge(u64),
}

/// The input limit in bytes: [`MAX_MIB_VAR`] if set, else [`DEFAULT_MAX_MIB`].
pub fn max_bytes() -> io::Result<u64> {
    match std::env::var(MAX_MIB_VAR) {
        Err(_) => Ok(DEFAULT_MAX_MIB << 20),
        Ok(v) => match v.trim().parse::<u64>() {
            Ok(mib) if mib > 0 && mib <= u64::MAX >> 20 => Ok(mib << 20),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{MAX_MIB_VAR}={v:?} is not a positive whole number of MiB"),
            )),
        },
    }
}

/// Reads all of `path`, refusing more than [`max_bytes`].
pub fn read(path: &Path) -> Result<Vec<u8>, InputError> {
    let limit = max_bytes()?;
    let file = open(path)?;
    let meta = file.metadata()?;
    if meta.file_type().is_file() && meta.len() > limit {
        return Err(InputError::TooLarge(limit));
    }
    // A regular file's size is known: one allocation, no regrowth copies.
    let expected = if meta.file_type().is_file() {
        meta.len()
    } else {
        0
    };
    read_bounded_into(file, limit, Vec::with_capacity(expected as usize + 1))
}

/// Reads `reader` to its end, refusing more than `limit` bytes.
pub fn read_bounded(reader: impl Read, limit: u64) -> Result<Vec<u8>, InputError> {
    read_bounded_into(reader, limit, Vec::new())
}

fn read_bounded_into(
    reader: impl Read,
    limit: u64,
    mut bytes: Vec<u8>,
) -> Result<Vec<u8>, InputError> {
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Opens `path` for reading if it is a regular file or a pipe.
fn open(path: &Path) -> io::Result<File> {
    // O_NONBLOCK so that opening a FIFO nobody writes to does not wait for a
    // writer; cleared once open, so reads then wait for data as usual (and a
    // FIFO without a writer reads as its end).
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    let what = if kind.is_file() || kind.is_fifo() {
        None
    } else if kind.is_dir() {
        Some("a directory")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    };
    if let Some(what) = what {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {what}, not a regular file or a pipe"),
        ));
    }
    let fd = file.as_raw_fd();
    // SAFETY: fcntl on a descriptor this function owns, with no pointers.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 || unsafe { libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_character_device_is_refused_without_reading_it() {
        let err = read(Path::new("/dev/zero")).unwrap_err();
        assert!(
            err.to_string()
                .contains("a character device, not a regular file or a pipe"),
            "{err}"
        );
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("a directory"), "{err}");
    }

    #[test]
    fn a_fifo_without_a_writer_reads_as_empty_instead_of_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert_eq!(read(&fifo).unwrap(), b"");
    }

    #[test]
    fn more_than_the_limit_is_refused_not_truncated() {
        let err = read_bounded(io::repeat(b' ').take((3 << 20) + 1), 3 << 20).unwrap_err();
        assert!(matches!(err, InputError::TooLarge(_)));
        assert!(err.to_string().contains("larger than 3 MiB"), "{err}");
        assert!(err.to_string().contains(MAX_MIB_VAR), "{err}");
        assert_eq!(
            read_bounded(io::repeat(b' ').take(3 << 20), 3 << 20)
                .unwrap()
                .len(),
            3 << 20
        );
    }
}
