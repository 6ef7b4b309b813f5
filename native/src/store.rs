//! In-memory record store: namespaces split into 4096 partitions, each behind its own lock.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::config::DEFAULT_MAX_RECORD_SIZE;
use crate::persist::{self, Journal};
use crate::value::Bin;

/// Partitions per namespace, as in Aerospike.
pub const N_PARTITIONS: usize = 4096;

/// RIPEMD-160 digest identifying a record within a namespace.
pub type Digest = [u8; 20];

/// The partition a digest belongs to (low 12 bits of its first two bytes, little-endian).
#[must_use]
pub fn partition_id(digest: &Digest) -> usize {
    (usize::from(digest[0]) | (usize::from(digest[1]) << 8)) & (N_PARTITIONS - 1)
}

/// One stored record.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Record {
    /// Bins in insertion order; never empty for a stored record.
    pub bins: Vec<Bin>,
    /// Generation, 1..=65535 (wraps back to 1).
    pub generation: u16,
    /// Expiry in seconds since 2010-01-01; 0 = never.
    pub void_time: u32,
    /// Last update, nanoseconds since the Unix epoch (compared by truncate).
    pub last_update_nanos: u64,
    /// Set name; empty when the record has none.
    pub set: Box<[u8]>,
    /// Stored user key field (particle type byte + value), when the client sent one.
    pub key: Option<Box<[u8]>>,
}

impl Record {
    /// Whether the record has expired at `now` (seconds since 2010-01-01).
    #[must_use]
    pub fn is_expired(&self, now: u32) -> bool {
        self.void_time != 0 && self.void_time <= now
    }
}

/// Hasher for digests: they are already uniformly random, so eight of their bytes are
/// the hash (bytes 0–1 pick the partition and are skipped).
#[derive(Default)]
pub struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut word = [0u8; 8];
        let take = bytes.len().saturating_sub(2).min(8);
        word[..take].copy_from_slice(&bytes[2.min(bytes.len())..2.min(bytes.len()) + take]);
        self.0 ^= u64::from_le_bytes(word);
    }

    fn write_usize(&mut self, _len: usize) {}
}

/// The records of one partition.
pub type PartitionMap = HashMap<Digest, Record, BuildHasherDefault<DigestHasher>>;

/// One namespace and its settings.
#[derive(Debug)]
pub struct Namespace {
    /// Namespace name.
    pub name: String,
    /// TTL in seconds used when a write asks for the default; 0 = never expire.
    pub default_ttl: u32,
    /// Largest record accepted, in bytes (see `record_ops::record_size`).
    pub max_record_size: usize,
    partitions: Vec<Mutex<PartitionMap>>,
    /// Where changes are logged when the server persists its data.
    journal: OnceLock<Journal>,
}

impl Namespace {
    /// An empty namespace with the default record size limit (1 MiB).
    #[must_use]
    pub fn new(name: &str, default_ttl: u32) -> Self {
        let partitions = (0..N_PARTITIONS).map(|_| Mutex::new(PartitionMap::default())).collect();
        Self {
            name: name.to_owned(),
            default_ttl,
            max_record_size: DEFAULT_MAX_RECORD_SIZE,
            partitions,
            journal: OnceLock::new(),
        }
    }

    /// The same namespace with a record size limit of `bytes`.
    #[must_use]
    pub fn with_max_record_size(mut self, bytes: usize) -> Self {
        self.max_record_size = bytes;
        self
    }

    /// Starts logging every change to `journal` (once; later calls are ignored).
    pub fn attach_journal(&self, journal: Journal) {
        let _ = self.journal.set(journal);
    }

    /// Whether changes are logged to disk.
    #[must_use]
    pub fn is_persistent(&self) -> bool {
        self.journal.get().is_some()
    }

    /// Logs that record `digest` now is `rec` (deleted when `None`).
    ///
    /// Call it with the record's partition locked, so the log order matches memory.
    /// Returns false, after logging an error, when the disk refused the entry.
    #[must_use]
    pub fn log_change(&self, digest: &Digest, rec: Option<&Record>) -> bool {
        let Some(journal) = self.journal.get() else { return true };
        let mut entry = Vec::new();
        match rec {
            Some(rec) => persist::encode_put(digest, rec, &mut entry),
            None => persist::encode_delete(digest, &mut entry),
        }
        self.append(journal, &entry)
    }

    fn append(&self, journal: &Journal, entry: &[u8]) -> bool {
        match journal.append(entry) {
            Ok(()) => true,
            Err(e) => {
                log::error!(
                    target: "aerorepo::_native::persist",
                    "namespace {}: cannot log a change: {e}",
                    self.name
                );
                false
            }
        }
    }

    /// Locks partition `pid` (0..4096).
    ///
    /// A lock poisoned by a panicking connection is taken over: every record mutation is a
    /// single map insert or remove, so the map is never left half-updated.
    ///
    /// # Panics
    /// If `pid` is 4096 or more (callers derive it with `partition_id` or check it).
    pub fn lock(&self, pid: usize) -> MutexGuard<'_, PartitionMap> {
        self.partitions[pid].lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Locks the partition that holds `digest`.
    pub fn lock_digest(&self, digest: &Digest) -> MutexGuard<'_, PartitionMap> {
        self.lock(partition_id(digest))
    }

    /// Deletes the records of `set` (all sets when `None`) last updated before
    /// `before_nanos` (all of them when `None`); returns how many were deleted.
    #[allow(clippy::must_use_candidate)] // callers usually only want the side effect
    pub fn truncate(&self, set: Option<&[u8]>, before_nanos: Option<u64>) -> usize {
        if let Some(journal) = self.journal.get() {
            let mut entry = Vec::new();
            persist::encode_truncate(set, before_nanos.unwrap_or(u64::MAX), &mut entry);
            self.append(journal, &entry);
        }
        let mut removed = 0;
        for pid in 0..N_PARTITIONS {
            let mut part = self.lock(pid);
            let before = part.len();
            part.retain(|_, rec| {
                let in_set = set.is_none_or(|s| *rec.set == *s);
                let old = before_nanos.is_none_or(|lut| rec.last_update_nanos < lut);
                !(in_set && old)
            });
            removed += before - part.len();
        }
        removed
    }

    /// Removes the records expired at `now` (seconds since 2010-01-01), one partition
    /// at a time so no lock is held for long; logs each removal; returns how many.
    #[allow(clippy::must_use_candidate)] // the sweeper only wants the side effect
    pub fn sweep_expired(&self, now: u32) -> usize {
        let mut removed = 0;
        for pid in 0..N_PARTITIONS {
            let mut part = self.lock(pid);
            let expired: Vec<Digest> =
                part.iter().filter(|(_, r)| r.is_expired(now)).map(|(d, _)| *d).collect();
            for digest in &expired {
                part.remove(digest);
                // A lost delete only means the record is swept again after a restart.
                let _ = self.log_change(digest, None);
            }
            removed += expired.len();
        }
        removed
    }

    /// Number of stored records, expired ones included.
    #[must_use]
    pub fn len(&self) -> usize {
        (0..N_PARTITIONS).map(|pid| self.lock(pid).len()).sum()
    }

    /// Whether the namespace holds no records.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// All namespaces served.
#[derive(Debug)]
pub struct Store {
    namespaces: Vec<Namespace>,
}

impl Store {
    /// A store with the given empty namespaces.
    #[must_use]
    pub fn new(namespaces: Vec<Namespace>) -> Self {
        Self { namespaces }
    }

    /// The namespace called `name`.
    #[must_use]
    pub fn namespace(&self, name: &[u8]) -> Option<&Namespace> {
        self.namespaces.iter().find(|ns| ns.name.as_bytes() == name)
    }

    /// Removes expired records from every namespace; returns how many.
    #[allow(clippy::must_use_candidate)] // the sweeper only wants the side effect
    pub fn sweep_expired(&self, now: u32) -> usize {
        self.namespaces.iter().map(|ns| ns.sweep_expired(now)).sum()
    }

    /// Namespaces in configuration order.
    #[must_use]
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(first: u8, second: u8, fill: u8) -> Digest {
        let mut d = [fill; 20];
        d[0] = first;
        d[1] = second;
        d
    }

    #[test]
    fn partition_id_matches_protocol_vector() {
        // "haha" in set "set" lands in partition 2870.
        let d = [
            0x36, 0xeb, 0x02, 0xa8, 0x07, 0xdb, 0xad, 0xe8, 0xcd, 0x78, 0x4e, 0x78, 0x00, 0xd7,
            0x63, 0x08, 0xb4, 0xe8, 0x92, 0x12,
        ];
        assert_eq!(partition_id(&d), 2870);
        assert_eq!(partition_id(&digest(0xff, 0xff, 0)), 4095);
    }

    #[test]
    fn truncate_honours_set_and_lut() {
        let ns = Namespace::new("test", 0);
        for (i, set, lut) in [(1u8, "a", 10u64), (2, "a", 30), (3, "b", 10)] {
            let rec =
                Record { set: set.as_bytes().into(), last_update_nanos: lut, ..Record::default() };
            ns.lock_digest(&digest(i, 0, i)).insert(digest(i, 0, i), rec);
        }
        assert_eq!(ns.truncate(Some(b"a"), Some(20)), 1);
        assert_eq!(ns.len(), 2);
        assert_eq!(ns.truncate(None, None), 2);
        assert!(ns.is_empty());
    }

    #[test]
    fn sweep_removes_only_expired_records() {
        let ns = Namespace::new("test", 0);
        for (i, void_time) in [(1u8, 0u32), (2, 50), (3, 200)] {
            let rec = Record { void_time, ..Record::default() };
            ns.lock_digest(&digest(i, 0, i)).insert(digest(i, 0, i), rec);
        }
        assert_eq!(ns.sweep_expired(100), 1);
        assert_eq!(ns.len(), 2);
        assert_eq!(ns.sweep_expired(u32::MAX), 1);
        assert_eq!(ns.len(), 1);
    }

    #[test]
    fn expiry_is_strict_about_never() {
        let rec = Record { void_time: 0, ..Record::default() };
        assert!(!rec.is_expired(u32::MAX));
        let rec = Record { void_time: 100, ..Record::default() };
        assert!(rec.is_expired(100));
        assert!(!rec.is_expired(99));
    }
}
