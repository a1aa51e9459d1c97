//! The directory a built index is served from: tantivy's memory-mapped
//! directory, except that the stored articles (`.store` files) are read
//! with `pread`.
//!
//! Why: a question reads its 20 best articles from the store, a few
//! kilobytes each, scattered over the file. Through a memory map the kernel
//! maps the neighbouring pages of every page touched too (fault-around,
//! 64 KB), and all of them count as the process's resident memory: served
//! through a map, after 300 questions at 200,000 articles 240 MB of the
//! 510 MB resident is the store's mapping. Read with `pread`, the same bytes sit in the page cache
//! (shared, dropped under pressure) and the process holds only the blocks
//! it decompresses (tantivy's block cache). The postings stay mapped: a
//! question reads whole posting lists, which a map serves without a copy.

use std::fs::File;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::HasLen;
use tantivy::directory::error::{DeleteError, LockError, OpenDirectoryError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, OwnedBytes, WatchCallback, WatchHandle, WritePtr,
};

/// Extension of tantivy's document store files.
const STORE_EXTENSION: &str = "store";

/// See the module comment.
#[derive(Clone, Debug)]
pub struct ServingDirectory {
    mmap: MmapDirectory,
    root: PathBuf,
}

impl ServingDirectory {
    /// The directory of the tantivy index at `root`.
    pub fn open(root: &Path) -> Result<ServingDirectory, OpenDirectoryError> {
        Ok(ServingDirectory {
            mmap: MmapDirectory::open(root)?,
            root: root.to_path_buf(),
        })
    }
}

/// A file read with `pread` at each request.
#[derive(Debug)]
struct ReadAt {
    file: File,
    len: usize,
}

impl HasLen for ReadAt {
    fn len(&self) -> usize {
        self.len
    }
}

impl FileHandle for ReadAt {
    fn read_bytes(&self, range: Range<usize>) -> io::Result<OwnedBytes> {
        let end = range.end.min(self.len);
        let mut buffer = vec![0; end.saturating_sub(range.start)];
        read_exact_at(&self.file, &mut buffer, range.start as u64)?;
        Ok(OwnedBytes::new(buffer))
    }
}

/// Fills `buf` from `file` at `offset`, leaving the file's cursor alone
/// (many questions read the same file at once).
#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(windows)]
fn read_exact_at(file: &File, mut buf: &mut [u8], mut offset: u64) -> io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, offset)? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                offset += n as u64;
            }
        }
    }
    Ok(())
}

impl Directory for ServingDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        if path.extension().is_none_or(|e| e != STORE_EXTENSION) {
            return self.mmap.get_file_handle(path);
        }
        let full = self.root.join(path);
        let opened = File::open(&full).and_then(|file| {
            let len = usize::try_from(file.metadata()?.len()).map_err(io::Error::other)?;
            Ok(ReadAt { file, len })
        });
        match opened {
            Ok(handle) => Ok(Arc::new(handle)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(OpenReadError::FileDoesNotExist(path.to_path_buf())),
            Err(e) => Err(OpenReadError::wrap_io_error(e, full)),
        }
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        self.mmap.delete(path)
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.mmap.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        self.mmap.open_write(path)
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.mmap.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        self.mmap.atomic_write(path, data)
    }

    fn sync_directory(&self) -> io::Result<()> {
        self.mmap.sync_directory()
    }

    fn acquire_lock(&self, lock: &Lock) -> Result<DirectoryLock, LockError> {
        self.mmap.acquire_lock(lock)
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.mmap.watch(watch_callback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_files_are_read_at_their_offsets_and_others_are_mapped() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.store"), b"0123456789").unwrap();
        std::fs::write(dir.path().join("a.idx"), b"abcdef").unwrap();
        let served = ServingDirectory::open(dir.path()).unwrap();
        let store = served.get_file_handle(Path::new("a.store")).unwrap();
        assert_eq!(store.len(), 10);
        assert_eq!(store.read_bytes(2..5).unwrap().as_slice(), b"234");
        assert_eq!(store.read_bytes(8..20).unwrap().as_slice(), b"89");
        assert!(store.read_bytes(4..4).unwrap().as_slice().is_empty());
        let idx = served.get_file_handle(Path::new("a.idx")).unwrap();
        assert_eq!(idx.read_bytes(1..3).unwrap().as_slice(), b"bc");
        assert!(matches!(
            served.get_file_handle(Path::new("missing.store")),
            Err(OpenReadError::FileDoesNotExist(_))
        ));
    }
}
