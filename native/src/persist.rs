//! Optional persistence: one append-only log per namespace, replayed and compacted at start.
//!
//! # Log format
//! A log is a sequence of entries, each `u32 length (LE) | u32 CRC-32 (LE) | payload`,
//! where the CRC (IEEE) covers the payload. Payloads start with a kind byte:
//! - `1` put: digest (20), generation u16, void time u32, last-update nanos u64, set
//!   (u16 length + bytes), stored key (u8 present flag, u32 length + bytes), u16 bin count,
//!   then per bin: u8 name length + name, u8 particle type, u32 length + payload;
//! - `2` delete: digest (20);
//! - `3` truncate: u8 set-present flag, u16 length + set, u64 cut-off nanos.
//!
//! All integers are little-endian. Replay stops at the first entry that is incomplete,
//! longer than [`MAX_ENTRY_BYTES`] or fails its checksum. When no intact entry follows
//! (a write torn by a crash) the rest is dropped with a WARNING; when intact entries
//! follow, the start is refused unless a repair is asked for. Either way a damaged file
//! is first copied to a new `<file>.damaged` (then `.damaged.1`, ...), never overwritten.
//!
//! # Guarantee
//! Each change is handed to the OS with one `write` before the client is answered, so an
//! acknowledged write survives the server process being killed (even `kill -9`). With
//! `fsync` on, the data is also flushed to the device before the answer, so it survives a
//! power loss or OS crash as well, at the cost of one `fdatasync` per write.

use std::fmt::Write as _;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use crate::store::{Digest, Namespace, Record};
use crate::value::{Bin, BinName, Value};

/// Largest entry accepted on replay, in bytes; a length above it marks a damaged tail.
/// A record is at most a few MiB (the size limit is configurable), so 256 MiB is ample.
pub const MAX_ENTRY_BYTES: u32 = 256 << 20;
/// Bytes before each entry's payload: length and checksum.
const ENTRY_HEADER_LEN: usize = 8;
/// Name of the lock file inside a data directory.
const LOCK_FILE: &str = "aerorepo.lock";

const KIND_PUT: u8 = 1;
const KIND_DELETE: u8 = 2;
const KIND_TRUNCATE: u8 = 3;

// ---------------------------------------------------------------------------------------
// Checksum

/// CRC-32 (IEEE 802.3, reflected polynomial `0xEDB88320`) of `data`.
#[must_use]
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = [0u32; 256];
        for (i, slot) in (0u32..).zip(table.iter_mut()) {
            *slot =
                (0..8).fold(i, |c, _| if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 });
        }
        table
    });
    let crc = data.iter().fold(!0u32, |crc, &b| {
        table[usize::from(u8::try_from((crc ^ u32::from(b)) & 0xff).unwrap_or(0))] ^ (crc >> 8)
    });
    !crc
}

// ---------------------------------------------------------------------------------------
// Encoding

/// One change read back from a log.
#[derive(Debug, PartialEq)]
pub enum Entry {
    /// The record's full image after a write.
    Put(Digest, Record),
    /// The record was deleted (by a client or by expiry).
    Delete(Digest),
    /// Records of `set` (every set when `None`) last updated before `before_nanos` were
    /// removed.
    Truncate {
        /// Set name, or `None` for the whole namespace.
        set: Option<Box<[u8]>>,
        /// Cut-off, nanoseconds since the Unix epoch.
        before_nanos: u64,
    },
}

/// Appends a framed put entry for `rec` to `out`.
pub fn encode_put(digest: &Digest, rec: &Record, out: &mut Vec<u8>) {
    frame(out, |p| {
        p.push(KIND_PUT);
        p.extend_from_slice(digest);
        p.extend_from_slice(&rec.generation.to_le_bytes());
        p.extend_from_slice(&rec.void_time.to_le_bytes());
        p.extend_from_slice(&rec.last_update_nanos.to_le_bytes());
        put_bytes16(p, &rec.set);
        p.push(u8::from(rec.key.is_some()));
        put_bytes32(p, rec.key.as_deref().unwrap_or_default());
        p.extend_from_slice(&u16::try_from(rec.bins.len()).unwrap_or(u16::MAX).to_le_bytes());
        for bin in rec.bins.iter().take(usize::from(u16::MAX)) {
            let name = bin.name.as_bytes();
            p.push(u8::try_from(name.len()).unwrap_or(0));
            p.extend_from_slice(name);
            p.push(bin.value.particle());
            let len = u32::try_from(bin.value.payload_len()).unwrap_or(u32::MAX);
            p.extend_from_slice(&len.to_le_bytes());
            bin.value.write_payload(p);
        }
    });
}

/// Appends a framed delete entry to `out`.
pub fn encode_delete(digest: &Digest, out: &mut Vec<u8>) {
    frame(out, |p| {
        p.push(KIND_DELETE);
        p.extend_from_slice(digest);
    });
}

/// Appends a framed truncate entry to `out`.
pub fn encode_truncate(set: Option<&[u8]>, before_nanos: u64, out: &mut Vec<u8>) {
    frame(out, |p| {
        p.push(KIND_TRUNCATE);
        p.push(u8::from(set.is_some()));
        put_bytes16(p, set.unwrap_or_default());
        p.extend_from_slice(&before_nanos.to_le_bytes());
    });
}

/// Writes the entry header around the payload that `body` appends.
fn frame(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let start = out.len();
    out.extend_from_slice(&[0u8; ENTRY_HEADER_LEN]);
    body(out);
    let payload = &out[start + ENTRY_HEADER_LEN..];
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX).to_le_bytes();
    let crc = crc32(payload).to_le_bytes();
    out[start..start + 4].copy_from_slice(&len);
    out[start + 4..start + 8].copy_from_slice(&crc);
}

fn put_bytes16(p: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    p.extend_from_slice(&len.to_le_bytes());
    p.extend_from_slice(&bytes[..usize::from(len)]);
}

fn put_bytes32(p: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    p.extend_from_slice(&len.to_le_bytes());
    p.extend_from_slice(bytes);
}

// ---------------------------------------------------------------------------------------
// Decoding

/// Decodes every intact entry of `log`; returns them and the length of the intact prefix.
///
/// Never panics: a short, oversized or corrupt entry ends the decoding there.
#[must_use]
pub fn decode_all(log: &[u8]) -> (Vec<Entry>, usize) {
    let mut entries = Vec::new();
    let mut at = 0;
    while let Some((entry, next)) = decode_at(log, at) {
        entries.push(entry);
        at = next;
    }
    (entries, at)
}

/// The entry starting at `at` and the offset after it, if it is intact.
fn decode_at(log: &[u8], at: usize) -> Option<(Entry, usize)> {
    let header = log.get(at..at.checked_add(ENTRY_HEADER_LEN)?)?;
    let len = u32::from_le_bytes(header[..4].try_into().ok()?);
    let crc = u32::from_le_bytes(header[4..].try_into().ok()?);
    if len > MAX_ENTRY_BYTES {
        return None;
    }
    let start = at + ENTRY_HEADER_LEN;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    let payload = log.get(start..end)?;
    if crc32(payload) != crc {
        return None;
    }
    Some((decode_payload(payload)?, end))
}

fn decode_payload(payload: &[u8]) -> Option<Entry> {
    let mut r = Reader(payload);
    let entry = match r.u8()? {
        KIND_PUT => {
            let digest = r.digest()?;
            Entry::Put(digest, decode_record(&mut r)?)
        }
        KIND_DELETE => Entry::Delete(r.digest()?),
        KIND_TRUNCATE => {
            let has_set = r.u8()? != 0;
            let len = usize::from(r.u16()?);
            let set = r.take(len)?;
            let before_nanos = r.u64()?;
            Entry::Truncate { set: has_set.then(|| set.into()), before_nanos }
        }
        _ => return None,
    };
    r.0.is_empty().then_some(entry)
}

fn decode_record(r: &mut Reader<'_>) -> Option<Record> {
    let generation = r.u16()?;
    let void_time = r.u32()?;
    let last_update_nanos = r.u64()?;
    let set_len = usize::from(r.u16()?);
    let set: Box<[u8]> = r.take(set_len)?.into();
    let has_key = r.u8()? != 0;
    let key_len = usize::try_from(r.u32()?).ok()?;
    let key = r.take(key_len)?;
    let n_bins = r.u16()?;
    let mut bins = Vec::with_capacity(usize::from(n_bins).min(r.0.len()));
    for _ in 0..n_bins {
        bins.push(decode_bin(r)?);
    }
    let key = has_key.then(|| key.into());
    Some(Record { bins, generation, void_time, last_update_nanos, set, key })
}

fn decode_bin(r: &mut Reader<'_>) -> Option<Bin> {
    let name_len = usize::from(r.u8()?);
    let name = BinName::new(r.take(name_len)?).ok()?;
    let particle = r.u8()?;
    let len = usize::try_from(r.u32()?).ok()?;
    let value = Value::from_particle(particle, r.take(len)?).ok()??;
    Some(Bin { name, value })
}

/// Bounds-checked little-endian reader over a payload.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_le_bytes)
    }

    fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_le_bytes)
    }

    fn digest(&mut self) -> Option<Digest> {
        self.array()
    }
}

// ---------------------------------------------------------------------------------------
// Replay

/// What replaying one log found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplayStats {
    /// Intact entries applied.
    pub entries: usize,
    /// Bytes dropped from a damaged or torn tail.
    pub dropped_bytes: usize,
}

/// Applies every intact entry of `log` to `ns` (which should be empty and have no journal).
pub fn replay(ns: &Namespace, log: &[u8]) -> ReplayStats {
    let (entries, intact) = decode_all(log);
    let stats = ReplayStats { entries: entries.len(), dropped_bytes: log.len() - intact };
    for entry in entries {
        match entry {
            Entry::Put(digest, rec) => {
                ns.lock_digest(&digest).insert(digest, rec);
            }
            Entry::Delete(digest) => {
                ns.lock_digest(&digest).remove(&digest);
            }
            Entry::Truncate { set, before_nanos } => {
                ns.truncate(set.as_deref(), Some(before_nanos));
            }
        }
    }
    stats
}

// ---------------------------------------------------------------------------------------
// Journal (appending side)

/// The open log of one namespace; every change is appended under its lock.
#[derive(Debug)]
pub struct Journal {
    file: Mutex<File>,
    fsync: bool,
}

impl Journal {
    /// Appends the framed entries in `bytes` with one `write`, then `fdatasync` if asked.
    ///
    /// # Errors
    /// The OS refused the write or the sync (disk full, I/O error).
    pub fn append(&self, bytes: &[u8]) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(bytes)?;
        if self.fsync {
            file.sync_data()?;
        }
        Ok(())
    }
}

/// An exclusive lock on a data directory, held while the server runs.
#[derive(Debug)]
pub struct DirLock {
    _file: File,
}

/// Takes the data directory's lock, creating the directory if needed.
///
/// # Errors
/// A message naming the fix when the directory cannot be created or is already in use.
pub fn lock_dir(dir: &Path) -> Result<DirLock, String> {
    fs::create_dir_all(dir).map_err(|e| {
        format!("cannot create data_dir {}: {e}; pass a writable directory", dir.display())
    })?;
    let path = dir.join(LOCK_FILE);
    let file =
        OpenOptions::new().create(true).truncate(false).write(true).open(&path).map_err(|e| {
            format!("cannot open {}: {e}; pass a writable data_dir", path.display())
        })?;
    match file.try_lock() {
        Ok(()) => Ok(DirLock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => Err(format!(
            "data_dir {} is in use by another running server (it holds {}); stop that \
             server or pass a different data_dir",
            dir.display(),
            path.display()
        )),
        Err(fs::TryLockError::Error(e)) => {
            Err(format!("cannot lock {}: {e}; pass a data_dir on a local disk", path.display()))
        }
    }
}

/// The log file of namespace `name` in `dir` (names other than `[A-Za-z0-9_-]` are hex).
#[must_use]
pub fn log_path(dir: &Path, name: &str) -> PathBuf {
    let plain = name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        dir.join(format!("{name}.log"))
    } else {
        let hex = name.bytes().fold(String::new(), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        });
        dir.join(format!("ns-{hex}.log"))
    }
}

/// How a namespace's log is opened at start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogOptions {
    /// `fdatasync` each appended change before it is answered.
    pub fsync: bool,
    /// When the log is damaged with intact entries after the damage, keep the intact
    /// prefix (and a backup of the whole file) instead of refusing to start.
    pub repair: bool,
}

/// Loads namespace `ns` from its log in `dir`, rewrites the log compacted (only records
/// alive at `now`, seconds since 2010), and returns the journal for new changes.
///
/// A torn tail (an incomplete last entry, as `kill -9` leaves) is dropped with a WARNING;
/// damage followed by intact entries refuses the start unless `options.repair` is set.
/// Either way the whole damaged file is first copied to a new `<file>.damaged[.N]`; an
/// existing backup is never overwritten.
///
/// # Errors
/// A message naming the file, the damaged byte offset or the I/O failure, and the fix.
pub fn open_namespace(
    dir: &Path,
    ns: &Namespace,
    now: u32,
    options: LogOptions,
) -> Result<Journal, String> {
    let path = log_path(dir, &ns.name);
    let log = read_log(&path)?;
    let intact = decode_all(&log).1;
    if intact < log.len() {
        check_damage(&path, &log, intact, options.repair)?;
        keep_damaged(&path, &log, log.len() - intact)?;
    }
    let stats = replay(ns, &log);
    let live = compact(&path, ns, now).map_err(|e| io_message(&path, &e))?;
    log::info!(
        target: "aerorepo::_native::persist",
        "namespace {}: replayed {} log entries, {live} live records",
        ns.name,
        stats.entries
    );
    let file = OpenOptions::new().append(true).open(&path).map_err(|e| io_message(&path, &e))?;
    Ok(Journal { file: Mutex::new(file), fsync: options.fsync })
}

/// Offset of the first intact entry after the damaged one at `bad`, if any.
///
/// Tries every byte offset; a random header almost always declares a length past the end
/// of the file, so this stays about linear in the log size.
#[must_use]
pub fn next_intact_entry(log: &[u8], bad: usize) -> Option<usize> {
    (bad + 1..log.len()).find(|&at| decode_at(log, at).is_some())
}

/// Refuses a log damaged before intact entries, unless `repair` is set.
fn check_damage(path: &Path, log: &[u8], intact: usize, repair: bool) -> Result<(), String> {
    let Some(next) = next_intact_entry(log, intact) else {
        return Ok(());
    };
    if repair {
        log::warn!(
            target: "aerorepo::_native::persist",
            "{}: repairing: entry at byte offset {intact} is damaged; intact entries from \
             byte {next} on are dropped with it",
            path.display()
        );
        return Ok(());
    }
    Err(format!(
        "{} is damaged at byte offset {intact} and intact entries follow (the next at byte \
         {next}), so starting would lose them; the file is left untouched. To start with \
         the {intact}-byte intact prefix (a backup of the whole file is kept as \
         .damaged), pass repair_log=True (aerorepo serve --repair-log)",
        path.display()
    ))
}

fn read_log(path: &Path) -> Result<Vec<u8>, String> {
    let mut log = Vec::new();
    match File::open(path) {
        Ok(mut file) => file.read_to_end(&mut log).map_err(|e| io_message(path, &e))?,
        Err(e) if e.kind() == io::ErrorKind::NotFound => 0,
        Err(e) => return Err(io_message(path, &e)),
    };
    Ok(log)
}

/// Most backups kept next to one log (`.damaged`, `.damaged.1` ... `.damaged.999`).
const MAX_BACKUPS: u32 = 1000;

/// Copies a damaged log to a fresh `<file>.damaged[.N]` and says so once.
///
/// # Errors
/// The copy could not be written; the start is refused rather than lose the only copy.
fn keep_damaged(path: &Path, log: &[u8], dropped: usize) -> Result<(), String> {
    let copy = write_backup(path, log)?;
    log::warn!(
        target: "aerorepo::_native::persist",
        "{}: dropped {dropped} bytes of a torn or damaged tail; the original is kept as {}",
        path.display(),
        copy.display()
    );
    Ok(())
}

/// Writes `log` to the first `<path>.damaged[.N]` that does not exist yet.
fn write_backup(path: &Path, log: &[u8]) -> Result<PathBuf, String> {
    for n in 0..MAX_BACKUPS {
        let mut name = path.as_os_str().to_owned();
        name.push(if n == 0 { ".damaged".to_owned() } else { format!(".damaged.{n}") });
        let copy = PathBuf::from(name);
        match OpenOptions::new().write(true).create_new(true).open(&copy) {
            Ok(mut file) => {
                file.write_all(log)
                    .and_then(|()| file.sync_all())
                    .map_err(|e| io_message(&copy, &e))?;
                return Ok(copy);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io_message(&copy, &e)),
        }
    }
    Err(format!(
        "{} is damaged and {MAX_BACKUPS} .damaged backups of it already exist; move them \
         away, then start again",
        path.display()
    ))
}

/// Rewrites `path` with one put entry per record of `ns` alive at `now`, atomically
/// (temporary file, fsync, rename, directory fsync); returns how many were written.
fn compact(path: &Path, ns: &Namespace, now: u32) -> io::Result<usize> {
    let mut tmp_path = path.as_os_str().to_owned();
    tmp_path.push(".tmp");
    let tmp_path = PathBuf::from(tmp_path);
    let mut out = io::BufWriter::new(File::create(&tmp_path)?);
    let mut buf = Vec::new();
    let mut live = 0;
    for pid in 0..crate::store::N_PARTITIONS {
        buf.clear();
        for (digest, rec) in ns.lock(pid).iter().filter(|(_, r)| !r.is_expired(now)) {
            encode_put(digest, rec, &mut buf);
            live += 1;
        }
        out.write_all(&buf)?;
    }
    let file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    file.sync_all()?;
    fs::rename(&tmp_path, path)?;
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(live)
}

fn io_message(path: &Path, err: &io::Error) -> String {
    format!(
        "cannot use {}: {err}; check the data_dir's permissions and free space",
        path.display()
    )
}

#[cfg(test)]
#[path = "persist_tests.rs"]
mod tests;
