use super::*;
use crate::value::Value;

fn record(generation: u16, void_time: u32, lut: u64) -> Record {
    let bins = vec![
        Bin { name: BinName::new(b"i").unwrap(), value: Value::Int(-7) },
        Bin { name: BinName::new(b"s").unwrap(), value: Value::Str(b"hi".as_slice().into()) },
    ];
    Record {
        bins,
        generation,
        void_time,
        last_update_nanos: lut,
        set: b"demo".as_slice().into(),
        key: Some(b"\x01\0\0\0\0\0\0\0\x05".as_slice().into()),
    }
}

fn digest(n: u8) -> Digest {
    [n; 20]
}

fn sample_log() -> Vec<u8> {
    let mut log = Vec::new();
    encode_put(&digest(1), &record(1, 0, 10), &mut log);
    encode_put(&digest(2), &record(3, 500, 20), &mut log);
    encode_delete(&digest(1), &mut log);
    encode_truncate(Some(b"other"), 99, &mut log);
    log
}

#[test]
fn crc32_matches_the_standard_check_value() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(crc32(b""), 0);
}

#[test]
fn entries_round_trip() {
    let log = sample_log();
    let (entries, intact) = decode_all(&log);
    assert_eq!(intact, log.len());
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[1], Entry::Put(digest(2), record(3, 500, 20)));
    assert_eq!(entries[2], Entry::Delete(digest(1)));
    let want = Entry::Truncate { set: Some(b"other".as_slice().into()), before_nanos: 99 };
    assert_eq!(entries[3], want);
}

#[test]
fn every_torn_tail_is_dropped_without_panicking() {
    let log = sample_log();
    let (_, full) = decode_all(&log);
    for cut in 0..log.len() {
        let (entries, intact) = decode_all(&log[..cut]);
        assert!(intact <= cut && entries.len() < 4, "cut at {cut}");
    }
    assert_eq!(full, log.len());
}

#[test]
fn a_flipped_byte_stops_replay_at_that_entry() {
    let mut log = sample_log();
    let first_len = decode_at(&log, 0).unwrap().1;
    let second_end = decode_at(&log, first_len).unwrap().1;
    for at in first_len..second_end {
        log[at] ^= 0x40;
        let (entries, intact) = decode_all(&log);
        assert_eq!(entries.len(), 1, "flip at {at}");
        assert_eq!(intact, first_len);
        log[at] ^= 0x40;
    }
}

#[test]
fn replay_applies_puts_deletes_and_truncates_in_order() {
    let ns = Namespace::new("test", 0);
    let mut log = sample_log();
    encode_put(&digest(3), &record(1, 0, 5), &mut log);
    encode_truncate(Some(b"demo"), 15, &mut log);
    let stats = replay(&ns, &log);
    assert_eq!(stats, ReplayStats { entries: 6, dropped_bytes: 0 });
    assert_eq!(ns.len(), 1);
    assert_eq!(ns.lock_digest(&digest(2)).get(&digest(2)), Some(&record(3, 500, 20)));
}

#[test]
fn open_namespace_compacts_and_keeps_a_damaged_tail_aside() {
    let dir = std::env::temp_dir().join(format!("aerorepo-persist-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    let path = log_path(&dir, "test");
    let mut log = sample_log();
    log.extend_from_slice(&[9, 0, 0, 0, 1, 2]);
    fs::write(&path, &log).unwrap();

    let ns = Namespace::new("test", 0);
    let journal = open_namespace(&dir, &ns, 100, LogOptions::default()).unwrap();
    assert_eq!(ns.len(), 1);
    assert!(dir.join("test.log.damaged").exists());
    let (entries, _) = decode_all(&fs::read(&path).unwrap());
    assert_eq!(entries, vec![Entry::Put(digest(2), record(3, 500, 20))]);

    // Records expired at start are left out of the compacted log.
    drop(journal);
    let later = Namespace::new("test", 0);
    drop(open_namespace(&dir, &later, 600, LogOptions::default()).unwrap());
    assert!(decode_all(&fs::read(&path).unwrap()).0.is_empty());
    fs::remove_dir_all(&dir).unwrap();
}

fn fresh_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("aerorepo-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// The sample log with one byte of its second entry flipped; returns it and that offset.
fn log_damaged_in_the_middle() -> (Vec<u8>, usize) {
    let mut log = sample_log();
    let second = decode_at(&log, 0).unwrap().1;
    log[second + ENTRY_HEADER_LEN + 3] ^= 0x40;
    (log, second)
}

#[test]
fn a_second_damaged_start_never_overwrites_the_first_backup() {
    let dir = fresh_dir("backups");
    let path = log_path(&dir, "test");
    let mut first = sample_log();
    first.extend_from_slice(&[9, 0, 0]);
    fs::write(&path, &first).unwrap();
    drop(open_namespace(&dir, &Namespace::new("test", 0), 100, LogOptions::default()).unwrap());

    let mut second = fs::read(&path).unwrap();
    second.extend_from_slice(&[7, 7]);
    fs::write(&path, &second).unwrap();
    drop(open_namespace(&dir, &Namespace::new("test", 0), 100, LogOptions::default()).unwrap());

    assert_eq!(fs::read(dir.join("test.log.damaged")).unwrap(), first);
    assert_eq!(fs::read(dir.join("test.log.damaged.1")).unwrap(), second);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damage_before_intact_entries_refuses_to_start_naming_file_offset_and_fix() {
    let dir = fresh_dir("middle");
    let path = log_path(&dir, "test");
    let (log, bad) = log_damaged_in_the_middle();
    fs::write(&path, &log).unwrap();

    let err =
        open_namespace(&dir, &Namespace::new("test", 0), 100, LogOptions::default()).unwrap_err();
    assert!(err.contains(&path.display().to_string()), "{err}");
    assert!(err.contains(&format!("byte offset {bad}")), "{err}");
    assert!(err.contains("repair_log=True") && err.contains("--repair-log"), "{err}");
    assert_eq!(fs::read(&path).unwrap(), log, "a refused start leaves the file alone");
    assert!(!dir.join("test.log.damaged").exists());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn repair_keeps_the_intact_prefix_and_a_backup() {
    let dir = fresh_dir("repair");
    let path = log_path(&dir, "test");
    let (log, _) = log_damaged_in_the_middle();
    fs::write(&path, &log).unwrap();

    let options = LogOptions { fsync: false, repair: true };
    let ns = Namespace::new("test", 0);
    drop(open_namespace(&dir, &ns, 100, options).unwrap());
    assert_eq!(ns.len(), 1, "only the first put is replayed");
    assert!(ns.lock_digest(&digest(1)).get(&digest(1)).is_some());
    assert_eq!(fs::read(dir.join("test.log.damaged")).unwrap(), log);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn next_intact_entry_tells_a_torn_tail_from_damage_in_the_middle() {
    let log = sample_log();
    let first = decode_at(&log, 0).unwrap().1;
    assert_eq!(next_intact_entry(&log[..first + 20], first), None);
    let (damaged, bad) = log_damaged_in_the_middle();
    let next = next_intact_entry(&damaged, bad).unwrap();
    assert_eq!(next, decode_at(&log, bad).unwrap().1);
}

#[test]
fn a_locked_directory_is_refused_with_the_fix() {
    let dir = std::env::temp_dir().join(format!("aerorepo-lock-{}", std::process::id()));
    let held = lock_dir(&dir).unwrap();
    let err = lock_dir(&dir).unwrap_err();
    assert!(err.contains("in use by another running server"), "{err}");
    drop(held);
    assert!(lock_dir(&dir).is_ok());
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn odd_namespace_names_become_hex_file_names() {
    let dir = Path::new("/d");
    assert_eq!(log_path(dir, "test"), Path::new("/d/test.log"));
    assert_eq!(log_path(dir, "a/b"), Path::new("/d/ns-612f62.log"));
}
