//! Unit tests of the single-record engine.

use super::*;
use crate::msg::{parse_header, parse_ops, Cursor};

const DIGEST: Digest = [7; 20];

struct Fixture {
    ns: Namespace,
    clock: Clock,
    max_record_size: usize,
}

/// A decoded reply: result code, generation, void time, and (op, particle, name, value).
struct Reply {
    rc: u8,
    generation: u32,
    void_time: u32,
    ops: Vec<(u8, u8, Vec<u8>, Vec<u8>)>,
}

impl Fixture {
    fn new() -> Self {
        Self {
            ns: Namespace::new("test", 0).with_max_record_size(usize::MAX),
            clock: Clock::new(),
            max_record_size: 1 << 20,
        }
    }

    fn run(&self, req: &RecordRequest<'_, '_>) -> Reply {
        let limits = Limits { clock: &self.clock, max_record_size: self.max_record_size };
        let mut out = Vec::new();
        let rc = execute(&self.ns, &DIGEST, req, &limits, &mut out, 9);
        let mut cur = Cursor::new(&out);
        let header = parse_header(&mut cur).unwrap();
        assert_eq!(header.transaction_ttl, 9);
        assert_eq!(header.result_code, rc);
        let ops = parse_ops(&mut cur, header.n_ops).unwrap();
        assert_eq!(cur.remaining(), 0);
        Reply {
            rc,
            generation: header.generation,
            void_time: header.record_ttl,
            ops: ops
                .iter()
                .map(|o| (o.op, o.particle, o.name.to_vec(), o.value.to_vec()))
                .collect(),
        }
    }

    fn write(&self, ops: &[Op<'_>]) -> Reply {
        self.run(&RecordRequest { info2: info2::WRITE, ops, ..RecordRequest::default() })
    }

    fn get(&self) -> Reply {
        let info1 = info1::READ | info1::GET_ALL;
        self.run(&RecordRequest { info1, ..RecordRequest::default() })
    }
}

fn int_op<'a>(op_type: u8, name: &'a [u8], value: &'a [u8; 8]) -> Op<'a> {
    Op { op: op_type, particle: particle::INTEGER, name, value }
}

fn str_op<'a>(op_type: u8, name: &'a [u8], value: &'a [u8]) -> Op<'a> {
    Op { op: op_type, particle: particle::STRING, name, value }
}

fn bare(op_type: u8, name: &[u8]) -> Op<'_> {
    Op { op: op_type, particle: particle::NULL, name, value: &[] }
}

const ONE: [u8; 8] = 1i64.to_be_bytes();
const TWO: [u8; 8] = 2i64.to_be_bytes();

#[test]
fn put_then_get_returns_bins_in_order() {
    let f = Fixture::new();
    let put = f.write(&[int_op(op::WRITE, b"a", &ONE), str_op(op::WRITE, b"s", b"hi")]);
    assert_eq!((put.rc, put.generation, put.void_time, put.ops.len()), (0, 1, 0, 0));
    let got = f.get();
    assert_eq!(got.generation, 1);
    assert_eq!(got.ops[0], (op::READ, particle::INTEGER, b"a".to_vec(), ONE.to_vec()));
    assert_eq!(got.ops[1], (op::READ, particle::STRING, b"s".to_vec(), b"hi".to_vec()));
}

#[test]
fn read_of_missing_record_is_not_found_with_empty_header() {
    let got = Fixture::new().get();
    assert_eq!((got.rc, got.generation, got.ops.len()), (2, 0, 0));
}

#[test]
fn read_without_ops_or_flags_is_parameter_error() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    assert_eq!(f.run(&RecordRequest { info1: info1::READ, ..RecordRequest::default() }).rc, 4);
}

#[test]
fn header_read_has_metadata_only() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    let info1 = info1::READ | info1::GET_NO_BINS;
    let req = RecordRequest { info1, ..RecordRequest::default() };
    let got = f.run(&req);
    assert_eq!((got.rc, got.generation, got.ops.len()), (0, 1, 0));
}

#[test]
fn generation_wraps_to_one() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    f.ns.lock_digest(&DIGEST).get_mut(&DIGEST).unwrap().generation = u16::MAX;
    assert_eq!(f.write(&[int_op(op::WRITE, b"a", &TWO)]).generation, 1);
}

#[test]
fn respond_all_ops_gives_null_entries_for_writes() {
    let f = Fixture::new();
    let ops = [int_op(op::INCR, b"n", &ONE), bare(op::READ, b"n"), bare(op::READ, b"zz")];
    let req = RecordRequest {
        info1: info1::READ,
        info2: info2::WRITE | info2::RESPOND_ALL_OPS,
        ops: &ops,
        ..RecordRequest::default()
    };
    let reply = f.run(&req);
    assert_eq!(reply.rc, 0);
    let particles: Vec<u8> = reply.ops.iter().map(|o| o.1).collect();
    assert_eq!(particles, [particle::NULL, particle::INTEGER, particle::NULL]);
}

#[test]
fn touch_never_produces_an_entry() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    let ops = [bare(op::TOUCH, b"")];
    let req = RecordRequest {
        info2: info2::WRITE | info2::RESPOND_ALL_OPS,
        ops: &ops,
        ..RecordRequest::default()
    };
    let reply = f.run(&req);
    assert_eq!((reply.rc, reply.generation, reply.ops.len()), (0, 2, 0));
}

#[test]
fn failed_op_rolls_back_earlier_ops() {
    let f = Fixture::new();
    f.write(&[str_op(op::WRITE, b"s", b"x")]);
    let reply = f.write(&[int_op(op::WRITE, b"a", &ONE), int_op(op::INCR, b"s", &ONE)]);
    assert_eq!(reply.rc, 12);
    assert_eq!(f.get().ops.len(), 1);
    assert_eq!(f.get().generation, 1);
}

#[test]
fn void_time_follows_ttl_rules() {
    let f = Fixture::new();
    let now = f.clock.now_citrusleaf_secs();
    let ops = [int_op(op::WRITE, b"a", &ONE)];
    let with_ttl =
        |ttl| RecordRequest { info2: info2::WRITE, ttl, ops: &ops, ..Default::default() };
    let v = f.run(&with_ttl(100)).void_time;
    assert!(v >= now + 100 && v <= now + 102);
    assert_eq!(f.run(&with_ttl(TTL_KEEP)).void_time, v);
    assert_eq!(f.run(&with_ttl(TTL_NEVER)).void_time, 0);
    assert_eq!(f.run(&with_ttl(0)).void_time, 0);
    assert_eq!(f.run(&with_ttl(MAX_TTL_SECS + 1)).rc, 4);
}

#[test]
fn namespace_default_ttl_applies() {
    let mut f = Fixture::new();
    f.ns = Namespace::new("test", 60);
    let now = f.clock.now_citrusleaf_secs();
    let v = f.write(&[int_op(op::WRITE, b"a", &ONE)]).void_time;
    assert!(v >= now + 60 && v <= now + 62);
}

#[test]
fn clock_offset_expires_records() {
    let f = Fixture::new();
    let ops = [int_op(op::WRITE, b"a", &ONE)];
    f.run(&RecordRequest { info2: info2::WRITE, ttl: 10, ops: &ops, ..Default::default() });
    assert_eq!(f.get().rc, 0);
    f.clock.advance(11);
    assert_eq!(f.get().rc, 2);
    // A write to an expired record starts a new one.
    assert_eq!(f.write(&ops).generation, 1);
}

#[test]
fn delete_of_expired_record_still_in_memory_is_ok() {
    let f = Fixture::new();
    let ops = [int_op(op::WRITE, b"a", &ONE)];
    f.run(&RecordRequest { info2: info2::WRITE, ttl: 10, ops: &ops, ..Default::default() });
    f.clock.advance(11);
    let del = RecordRequest { info2: info2::WRITE | info2::DELETE, ..RecordRequest::default() };
    assert_eq!(f.run(&del).rc, 0);
    assert_eq!(f.run(&del).rc, 2);
}

#[test]
fn policy_checks_and_their_codes() {
    let f = Fixture::new();
    let ops = [int_op(op::WRITE, b"a", &ONE)];
    let req = |info2: u8, info3: u8, generation: u32| RecordRequest {
        info2: info2::WRITE | info2,
        info3,
        generation,
        ops: &ops,
        ..RecordRequest::default()
    };
    assert_eq!(f.run(&req(0, info3::UPDATE_ONLY, 0)).rc, 2);
    assert_eq!(f.run(&req(0, info3::REPLACE_ONLY, 0)).rc, 2);
    assert_eq!(f.run(&req(info2::CREATE_ONLY, 0, 0)).rc, 0);
    assert_eq!(f.run(&req(info2::CREATE_ONLY, 0, 0)).rc, 5);
    assert_eq!(f.run(&req(info2::GENERATION, 0, 2)).rc, 3);
    assert_eq!(f.run(&req(info2::GENERATION, 0, 1)).rc, 0);
    assert_eq!(f.run(&req(info2::GENERATION_GT, 0, 2)).rc, 3);
    assert_eq!(f.run(&req(info2::GENERATION_GT, 0, 3)).rc, 0);
}

#[test]
fn set_and_key_mismatches() {
    let f = Fixture::new();
    let ops = [int_op(op::WRITE, b"a", &ONE)];
    let key: &[u8] = &[3, b'k', b'1'];
    let first = RecordRequest {
        info2: info2::WRITE,
        set: b"s1",
        key: Some(key),
        ops: &ops,
        ..Default::default()
    };
    assert_eq!(f.run(&first).rc, 0);
    let other_set = RecordRequest { set: b"s2", ..first };
    assert_eq!(f.run(&other_set).rc, 4);
    let other_key = RecordRequest { key: Some(&[3, b'k', b'2']), ..first };
    assert_eq!(f.run(&other_key).rc, 19);
    let read =
        RecordRequest { info1: info1::READ | info1::GET_ALL, set: b"s2", ..Default::default() };
    assert_eq!(f.run(&read).rc, 4);
    assert_eq!(f.ns.lock_digest(&DIGEST)[&DIGEST].key.as_deref(), Some(key));
}

#[test]
fn durable_delete_is_enterprise_only() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    let del = RecordRequest {
        info2: info2::WRITE | info2::DELETE | info2::DURABLE_DELETE,
        ..RecordRequest::default()
    };
    assert_eq!(f.run(&del).rc, 25);
    let ops = [bare(op::WRITE, b"a")];
    let emptying = RecordRequest {
        info2: info2::WRITE | info2::DURABLE_DELETE,
        ops: &ops,
        ..RecordRequest::default()
    };
    assert_eq!(f.run(&emptying).rc, 25);
    assert_eq!(f.get().rc, 0);
}

#[test]
fn emptying_writes() {
    let f = Fixture::new();
    assert_eq!(f.write(&[bare(op::WRITE, b"a")]).rc, 2);
    assert_eq!(f.write(&[bare(op::DELETE, b"")]).rc, 2);
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    let removed = f.write(&[bare(op::WRITE, b"a")]);
    assert_eq!((removed.rc, removed.generation, removed.void_time), (0, 0, 0));
    assert_eq!(f.get().rc, 2);
}

#[test]
fn replace_conflicts_and_read_all_combinations() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"a", &ONE)]);
    let incr = [int_op(op::INCR, b"a", &ONE)];
    let replace = RecordRequest {
        info2: info2::WRITE,
        info3: info3::CREATE_OR_REPLACE,
        ops: &incr,
        ..RecordRequest::default()
    };
    assert_eq!(f.run(&replace).rc, 4);
    // The client marks a read of all bins with GET_ALL; an empty name without it is the
    // bin named "", as a real server reads it.
    let reading_all = |ops| RecordRequest {
        info1: info1::READ | info1::GET_ALL,
        info2: info2::WRITE,
        ops,
        ..RecordRequest::default()
    };
    let combo = [int_op(op::WRITE, b"b", &ONE), bare(op::READ, b""), bare(op::READ, b"a")];
    assert_eq!(f.run(&reading_all(&combo)).rc, 4);
    let fine = [int_op(op::WRITE, b"b", &TWO), bare(op::READ, b"")];
    assert_eq!(f.run(&reading_all(&fine)).ops.len(), 2);
    assert_eq!(f.write(&combo).rc, 0);
    assert!(f.write(&fine).ops.is_empty());
}

#[test]
fn incr_append_prepend_semantics() {
    let f = Fixture::new();
    let max = i64::MAX.to_be_bytes();
    f.write(&[int_op(op::WRITE, b"n", &max), str_op(op::WRITE, b"s", b"b")]);
    let r = f.write(&[
        int_op(op::INCR, b"n", &ONE),
        str_op(op::APPEND, b"s", b"c"),
        str_op(op::PREPEND, b"s", b"a"),
        bare(op::READ, b"n"),
        bare(op::READ, b"s"),
    ]);
    assert_eq!(r.ops[0].3, i64::MIN.to_be_bytes());
    assert_eq!(r.ops[1].3, b"abc");
    let blob = Op { op: op::APPEND, particle: particle::BLOB, name: b"s", value: b"x" };
    assert_eq!(f.write(&[blob]).rc, 12);
    let half =
        Op { op: op::INCR, particle: particle::FLOAT, name: b"n", value: &0.5f64.to_be_bytes() };
    assert_eq!(f.write(&[half]).rc, 12);
}

#[test]
fn record_size_limit() {
    let mut f = Fixture::new();
    f.max_record_size = 100;
    let small = [0u8; 40];
    let big = [0u8; 60];
    let blob = |value| Op { op: op::WRITE, particle: particle::BLOB, name: b"b", value };
    assert_eq!(f.write(&[blob(&small)]).rc, 0);
    assert_eq!(f.write(&[blob(&big)]).rc, 13);
    assert_eq!(f.get().ops[0].3.len(), 40);
}

#[test]
fn oversized_replies_are_refused() {
    let mut f = Fixture::new();
    f.max_record_size = 2 << 20;
    let blob = vec![0u8; 1 << 20];
    f.write(&[Op { op: op::WRITE, particle: particle::BLOB, name: b"b", value: &blob }]);
    let reads = vec![bare(op::READ, b"b"); 121];
    let req = RecordRequest { info1: info1::READ, ops: &reads, ..RecordRequest::default() };
    assert_eq!(f.run(&req).rc, 13);
    assert_eq!(f.run(&RecordRequest { ops: &reads[..100], ..req }).ops.len(), 100);
}

#[test]
fn cdt_append_creates_the_list_and_answers_its_size() {
    let f = Fixture::new();
    let list =
        Op { op: op::CDT_MODIFY, particle: particle::BLOB, name: b"l", value: &[0x93, 1, 1, 0] };
    let reply = f.write(&[list]);
    assert_eq!((reply.rc, reply.ops.len()), (0, 1));
    assert_eq!(reply.ops[0].3, 1i64.to_be_bytes());
    assert_eq!(f.get().ops[0].3, [0x91, 0x01]);
}

#[test]
fn cdt_read_in_a_write_gets_an_entry_even_without_a_result() {
    let f = Fixture::new();
    let map = [0x81, 0xa2, 0x03, b'a', 0x01];
    f.write(&[Op { op: op::WRITE, particle: particle::MAP, name: b"m", value: &map }]);
    // map get_by_key "z" with return type value finds nothing.
    let get = [0x93, 0x61, 0x07, 0xa2, 0x03, b'z'];
    let read = Op { op: op::CDT_READ, particle: particle::BLOB, name: b"m", value: &get };
    let reply = f.write(&[int_op(op::WRITE, b"n", &ONE), read]);
    assert_eq!(reply.ops, [(op::CDT_READ, particle::NULL, b"m".to_vec(), vec![])]);
    let missing = Op { name: b"x", ..read };
    assert!(f.write(&[int_op(op::WRITE, b"n", &ONE), missing]).ops.is_empty());
}

#[test]
fn cdt_op_on_a_bin_of_another_type_is_12() {
    let f = Fixture::new();
    f.write(&[int_op(op::WRITE, b"l", &ONE)]);
    let append =
        Op { op: op::CDT_MODIFY, particle: particle::BLOB, name: b"l", value: &[0x93, 1, 1, 0] };
    assert_eq!(f.write(&[append]).rc, 12);
}

#[test]
fn long_bin_name_is_21() {
    let f = Fixture::new();
    assert_eq!(f.write(&[int_op(op::WRITE, b"sixteen-bytes!!!", &ONE)]).rc, 21);
}
