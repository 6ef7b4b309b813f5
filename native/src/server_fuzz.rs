//! Time-bounded structured fuzzing of the whole request path a connection runs.
//!
//! Each input is a byte stream of one to three frames built from valid requests
//! (single-record reads and writes, operate with list and map ops and filter
//! expressions, batch, scan, info, login) and then mutated: field and op sizes, counts,
//! op and particle types, msgpack payloads, batch row flags and REPEAT rows, frame
//! headers, or plain random bytes. The stream is fed through `read_frame` and
//! `answer_frame`, as `serve` feeds a socket, against an in-memory store. Properties:
//! no panic, every input finishes within `INPUT_TIME_LIMIT`, holds at most
//! `ALLOC_LIMIT` bytes at once, and every reply is a well-formed frame (or the
//! connection is closed).
//!
//! The run lasts `AERO_FUZZ_SECONDS` seconds (default 20) and prints how many inputs it
//! tried; `AERO_FUZZ_SEED` picks another random sequence.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::{answer_frame, lock, open_store, Buffers, Shared};
use crate::config::ServerConfig;
use crate::frame::{self, read_frame, PROTO_HEADER_LEN};
use crate::msg::{field, info1, info2, op, MSG_HEADER_LEN};
use crate::test_support::{measure, mutate_bytes, Rng};

/// Default length of the run, in seconds.
const DEFAULT_SECONDS: u64 = 20;
/// Longest time one input may take, hang detection included (debug build).
const INPUT_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Most bytes one input may hold allocated at once (body, reply and store growth).
const ALLOC_LIMIT: usize = 64 << 20;
/// Inputs served by one store before a fresh one replaces it (bounds the scans).
const INPUTS_PER_STORE: u64 = 3_000;
/// Largest frame body the fuzzed server accepts, in bytes.
const FUZZ_MAX_FRAME: u64 = 1 << 20;
/// Proto types a client may send, plus one unknown (never the test-only panic type).
const PROTO_TYPES: [u8; 4] = [frame::TYPE_INFO, frame::TYPE_ADMIN, frame::TYPE_MSG, 7];

/// A field: its type and data.
#[derive(Clone)]
struct Field {
    kind: u8,
    data: Vec<u8>,
    /// Added to the declared size (a lying size field).
    size_delta: i8,
}

/// An op: its type, particle type, bin name and value.
#[derive(Clone)]
struct OpSpec {
    op: u8,
    particle: u8,
    name: Vec<u8>,
    data: Vec<u8>,
    size_delta: i8,
}

/// One batch row; `flags` decides which of the other parts are written.
#[derive(Clone)]
struct Row {
    index: u32,
    digest: [u8; 20],
    flags: u8,
    info: [u8; 3],
    fields: Vec<Field>,
    ops: Vec<OpSpec>,
}

/// An AS_MSG request; `batch` rows, when present, become field 41.
#[derive(Clone)]
struct Msg {
    header: [u8; MSG_HEADER_LEN],
    fields: Vec<Field>,
    ops: Vec<OpSpec>,
    batch: Option<(u8, Vec<Row>)>,
    /// Added to the declared field, op and batch row counts.
    count_delta: i8,
}

/// One request of an input stream.
#[derive(Clone)]
enum Request {
    Msg(Msg),
    Info(Vec<u8>),
    Admin(Vec<u8>),
}

fn fld(kind: u8, data: &[u8]) -> Field {
    Field { kind, data: data.to_vec(), size_delta: 0 }
}

fn opr(op: u8, particle: u8, name: &[u8], data: &[u8]) -> OpSpec {
    OpSpec { op, particle, name: name.to_vec(), data: data.to_vec(), size_delta: 0 }
}

/// An AS_MSG header with the given info bytes (counts are written when serialising).
fn header(i1: u8, i2: u8, i3: u8) -> [u8; MSG_HEADER_LEN] {
    let mut h = [0u8; MSG_HEADER_LEN];
    h[..4].copy_from_slice(&[22, i1, i2, i3]);
    h[14..18].copy_from_slice(&1000u32.to_be_bytes());
    h
}

fn msg(head: [u8; MSG_HEADER_LEN], fields: Vec<Field>, ops: Vec<OpSpec>) -> Msg {
    Msg { header: head, fields, ops, batch: None, count_delta: 0 }
}

fn key_fields(digest: u8) -> Vec<Field> {
    vec![
        fld(field::NAMESPACE, b"test"),
        fld(field::SET, b"s"),
        fld(field::KEY, &[1, 0, 0, 0, 0, 0, 0, 0, digest]),
        fld(field::DIGEST, &[digest; 20]),
    ]
}

/// Captured filter expressions: `a == 1`, `s == "ab"`, and `not(a == 1) or s == "ab"`.
const EXPRS: [&[u8]; 3] = [
    &[0x93, 0x01, 0x93, 0x51, 0x02, 0xa1, 0x61, 0x01],
    &[0x93, 0x01, 0x93, 0x51, 0x03, 0xa1, 0x73, 0xa3, 0x03, 0x61, 0x62],
    &[
        0x93, 0x11, 0x92, 0x12, 0x93, 0x01, 0x93, 0x51, 0x02, 0xa1, 0x61, 0x01, 0x93, 0x01, 0x93,
        0x51, 0x03, 0xa1, 0x73, 0xa3, 0x03, 0x61, 0x62,
    ],
];

/// Valid list and map op payloads: append, insert, size, get by index range, map put,
/// map get by key, list sort, and an append inside a nested list (context).
const CDT_PAYLOADS: [&[u8]; 8] = [
    &[0x92, 0x01, 0x07],
    &[0x93, 0x02, 0x00, 0xa2, 0x03, 0x78],
    &[0x91, 0x10],
    &[0x94, 0x18, 0x07, 0x00, 0x02],
    &[0x94, 0x43, 0x82, 0x00, 0x00, 0xa2, 0x03, 0x6b, 0x05, 0x00],
    &[0x93, 0x61, 0x07, 0xa2, 0x03, 0x6b],
    &[0x92, 0x0a, 0x00],
    &[0x93, 0xff, 0x92, 0x10, 0x00, 0x92, 0x01, 0x05],
];

fn int(v: u8) -> Vec<u8> {
    vec![0, 0, 0, 0, 0, 0, 0, v]
}

/// Single-record requests: put, get, exists, delete, operate with CDT ops and filters.
fn record_seeds() -> Vec<Request> {
    let put = vec![opr(op::WRITE, 1, b"a", &int(1)), opr(op::WRITE, 3, b"s", b"ab")];
    let list = opr(op::CDT_MODIFY, 4, b"l", CDT_PAYLOADS[0]);
    let map = opr(op::CDT_MODIFY, 4, b"m", CDT_PAYLOADS[4]);
    let ops = vec![
        opr(op::INCR, 1, b"a", &int(2)),
        opr(op::READ, 0, b"a", &[]),
        opr(op::CDT_READ, 4, b"l", CDT_PAYLOADS[2]),
        opr(op::APPEND, 3, b"s", b"x"),
        opr(op::TOUCH, 0, b"", &[]),
    ];
    let mut filtered = msg(header(1, 0, 0), key_fields(1), vec![opr(op::READ, 0, b"a", &[])]);
    filtered.fields.push(fld(field::FILTER_EXP, EXPRS[2]));
    vec![
        Request::Msg(msg(header(0, info2::WRITE, 0), key_fields(1), put)),
        Request::Msg(msg(header(info1::READ | info1::GET_ALL, 0, 0), key_fields(1), vec![])),
        Request::Msg(msg(header(info1::READ | info1::GET_NO_BINS, 0, 0), key_fields(2), vec![])),
        Request::Msg(msg(header(0, info2::WRITE | info2::DELETE, 0), key_fields(2), vec![])),
        Request::Msg(msg(header(1, info2::WRITE | 0x80, 0), key_fields(1), vec![list, map])),
        Request::Msg(msg(header(1, info2::WRITE | 0x80, 0), key_fields(3), ops)),
        Request::Msg(filtered),
    ]
}

/// Scans of a set and of a namespace, by partition and with a filter and a cap.
fn scan_seeds() -> Vec<Request> {
    let ns = fld(field::NAMESPACE, b"test");
    let pids = fld(field::PID_ARRAY, &[0x09, 0x09, 0x00, 0x00, 0x01, 0x00]);
    let max = fld(field::MAX_RECORDS, &[0, 0, 0, 0, 0, 0, 0, 5]);
    let filter = fld(field::FILTER_EXP, EXPRS[0]);
    vec![
        Request::Msg(msg(header(1, 0, 0), vec![ns.clone(), fld(field::SET, b"s"), pids], vec![])),
        Request::Msg(msg(header(3, 0, 0), vec![ns, max, filter], vec![])),
    ]
}

fn row(index: u32, digest: u8, info: [u8; 3], ops: Vec<OpSpec>) -> Row {
    let fields = vec![fld(field::NAMESPACE, b"test"), fld(field::SET, b"s")];
    Row { index, digest: [digest; 20], flags: 0x02, info, fields, ops }
}

fn repeat(index: u32, digest: u8) -> Row {
    Row { flags: 0x01, ..row(index, digest, [0; 3], Vec::new()) }
}

/// Batches: writes with REPEAT rows, reads, removes and CDT operate rows.
fn batch_seeds() -> Vec<Request> {
    let write = vec![opr(op::WRITE, 1, b"a", &int(7))];
    let cdt = vec![opr(op::CDT_MODIFY, 4, b"l", CDT_PAYLOADS[1])];
    let rows = vec![
        row(0, 1, [0, info2::WRITE | 0x80, 0], write),
        repeat(1, 2),
        row(2, 1, [info1::READ | info1::GET_ALL, 0, 0], vec![]),
        repeat(3, 9),
        row(4, 2, [0, info2::WRITE | info2::DELETE, 0], vec![]),
        row(5, 3, [0, info2::WRITE | 0x80, 0], cdt),
    ];
    let mut filtered = rows[2..4].to_vec();
    filtered[0].fields.push(fld(field::FILTER_EXP, EXPRS[1]));
    let batch = |rows: Vec<Row>| {
        Request::Msg(Msg { batch: Some((0x0d, rows)), ..msg(header(8, 0, 0), vec![], vec![]) })
    };
    vec![batch(rows), batch(filtered)]
}

fn seeds() -> Vec<Request> {
    let mut all = record_seeds();
    all.extend(scan_seeds());
    all.extend(batch_seeds());
    all.push(Request::Info(b"build\nnamespaces\nnode\npartitions\nstatistics\n".to_vec()));
    all.push(Request::Info(b"sets/test\nsindex-list:\ncluster-name\n".to_vec()));
    all.push(Request::Admin(vec![0; 16]));
    all
}

// -- serialisation -------------------------------------------------------------------

fn push_sized(out: &mut Vec<u8>, len: usize, delta: i8) {
    let len = i64::try_from(len).unwrap_or(0) + i64::from(delta);
    out.extend(u32::try_from(len.max(0)).unwrap_or(u32::MAX).to_be_bytes());
}

fn push_fields(out: &mut Vec<u8>, fields: &[Field]) {
    for f in fields {
        push_sized(out, f.data.len() + 1, f.size_delta);
        out.push(f.kind);
        out.extend(&f.data);
    }
}

fn push_ops(out: &mut Vec<u8>, ops: &[OpSpec]) {
    for o in ops {
        push_sized(out, 4 + o.name.len() + o.data.len(), o.size_delta);
        let name_len = u8::try_from(o.name.len()).unwrap_or(u8::MAX);
        out.extend([o.op, o.particle, 0, name_len]);
        out.extend(&o.name);
        out.extend(&o.data);
    }
}

fn count(n: usize, delta: i8) -> [u8; 2] {
    let n = i64::try_from(n).unwrap_or(0) + i64::from(delta);
    u16::try_from(n.max(0)).unwrap_or(u16::MAX).to_be_bytes()
}

fn push_row(out: &mut Vec<u8>, row: &Row) {
    out.extend(row.index.to_be_bytes());
    out.extend(row.digest);
    out.push(row.flags);
    if row.flags & 0x01 != 0 {
        return;
    }
    out.push(row.info[0]);
    if row.flags & 0x02 != 0 {
        out.extend(&row.info[1..]);
    }
    if row.flags & 0x10 != 0 {
        out.push(0);
    }
    if row.flags & 0x04 != 0 {
        out.extend([0, 1]);
    }
    if row.flags & 0x08 != 0 {
        out.extend(100u32.to_be_bytes());
    }
    out.extend(count(row.fields.len(), 0));
    out.extend(count(row.ops.len(), 0));
    push_fields(out, &row.fields);
    push_ops(out, &row.ops);
}

fn batch_field(flags: u8, rows: &[Row], delta: i8) -> Field {
    let n = i64::try_from(rows.len()).unwrap_or(0) + i64::from(delta);
    let mut data = u32::try_from(n.max(0)).unwrap_or(0).to_be_bytes().to_vec();
    data.push(flags);
    for row in rows {
        push_row(&mut data, row);
    }
    fld(field::BATCH_INDEX, &data)
}

fn msg_body(m: &Msg) -> Vec<u8> {
    let mut fields = m.fields.clone();
    if let Some((flags, rows)) = &m.batch {
        fields.push(batch_field(*flags, rows, m.count_delta));
    }
    let mut out = m.header.to_vec();
    out[18..20].copy_from_slice(&count(fields.len(), m.count_delta));
    out[20..22].copy_from_slice(&count(m.ops.len(), m.count_delta));
    push_fields(&mut out, &fields);
    push_ops(&mut out, &m.ops);
    out
}

/// The frame type and body of a request.
fn to_frame(request: &Request) -> (u8, Vec<u8>) {
    match request {
        Request::Msg(m) => (frame::TYPE_MSG, msg_body(m)),
        Request::Info(text) => (frame::TYPE_INFO, text.clone()),
        Request::Admin(body) => (frame::TYPE_ADMIN, body.clone()),
    }
}

// -- mutation ------------------------------------------------------------------------

/// Appends one random msgpack value, nested at most `depth` levels, sometimes with a
/// header whose count or length overstates the data that follows.
fn msgpack(rng: &mut Rng, depth: usize, out: &mut Vec<u8>) {
    match rng.below(if depth == 0 { 9 } else { 12 }) {
        0 => out.push(rng.byte() & 0x7f),
        1 => out.push(0xe0 | (rng.byte() & 0x1f)),
        2 => out.extend([0xd3].iter().chain(&rng.next().to_be_bytes())),
        3 => out.push(rng.pick(&[0xc0, 0xc2, 0xc3])),
        4 => out.extend([0xcb].iter().chain(&rng.next().to_be_bytes())),
        5 => out.extend([0xa3, 0x03, b'a', b'b']),
        6 => out.extend([0xc4, 0x02, 0x04, rng.byte()]),
        7 => out.extend([0xd4, 0xff, rng.pick(&[0, 1])]),
        8 => out.extend(rng.pick::<&[u8]>(&[
            &[0xdd, 0xff, 0xff, 0xff, 0xff],
            &[0xdf, 0x7f, 0xff, 0xff, 0xff],
            &[0xdb, 0xff, 0xff, 0xff, 0xf0],
            &[0xc6, 0x10, 0, 0, 0],
        ])),
        9 | 10 => {
            let n = rng.below(4);
            let is_map = rng.one_in(2);
            out.push(if is_map { 0x80 } else { 0x90 } | u8::try_from(n).unwrap_or(0));
            if rng.one_in(3) {
                out.extend([0xc7, 0x00, rng.pick(&[0, 1, 3, 0xc0])]);
            }
            for _ in 0..n * if is_map { 2 } else { 1 } {
                msgpack(rng, depth - 1, out);
            }
        }
        _ => out.extend(rng.pick(&CDT_PAYLOADS)),
    }
}

/// A random list/map op or expression: a code and a few random arguments.
fn random_call(rng: &mut Rng) -> Vec<u8> {
    let args = rng.below(4);
    let mut out = vec![0x91 + u8::try_from(args).unwrap_or(0)];
    let codes = [0, 1, 2, 3, 4, 5, 6, 16, 17, 18, 19, 24, 33, 64, 67, 68, 81, 97, 109, 255];
    out.push(if rng.one_in(4) { rng.byte() & 0x7f } else { rng.pick(&codes) });
    for _ in 0..args {
        msgpack(rng, 3, &mut out);
    }
    out
}

fn mutate_op(rng: &mut Rng, o: &mut OpSpec) {
    match rng.below(7) {
        0 => o.op = rng.pick(&[1, 2, 3, 4, 5, 9, 10, 11, 14, 15, 16, 0x7f]),
        1 => o.particle = rng.pick(&[0, 1, 2, 3, 4, 5, 17, 19, 20, 23, 0x7f]),
        2 => o.name = vec![b'b'; rng.pick(&[0, 1, 15, 16, 40])],
        3 => o.data = random_call(rng),
        4 => o.size_delta = rng.pick(&[-5, -1, 1, 3, i8::MAX]),
        5 => {
            o.data.clear();
            msgpack(rng, 4, &mut o.data);
        }
        _ => mutate_bytes(rng, &mut o.data, 3),
    }
}

fn mutate_field(rng: &mut Rng, f: &mut Field) {
    match rng.below(5) {
        0 => f.kind = rng.pick(&[0, 1, 2, 4, 7, 11, 12, 13, 22, 30, 41, 43, 0xfe]),
        1 => f.size_delta = rng.pick(&[-5, -1, 1, 2, i8::MAX]),
        2 if f.kind == field::FILTER_EXP => f.data = random_call(rng),
        _ => mutate_bytes(rng, &mut f.data, 3),
    }
}

/// Mutates one random element of `items` with `mutate`, or removes or copies one.
fn mutate_list<T: Clone>(rng: &mut Rng, items: &mut Vec<T>, mutate: fn(&mut Rng, &mut T)) {
    if items.is_empty() {
        return;
    }
    let at = rng.below(items.len());
    match rng.below(6) {
        0 => {
            items.remove(at);
        }
        1 => items.push(items[at].clone()),
        _ => mutate(rng, &mut items[at]),
    }
}

fn mutate_row(rng: &mut Rng, row: &mut Row) {
    match rng.below(6) {
        0 => row.flags = rng.pick(&[0x00, 0x01, 0x02, 0x0e, 0x1e, 0xff]),
        1 => row.info[rng.below(3)] = rng.byte(),
        2 => mutate_list(rng, &mut row.fields, mutate_field),
        3 => row.index = u32::from(rng.byte()),
        _ => mutate_list(rng, &mut row.ops, mutate_op),
    }
}

fn mutate_msg(rng: &mut Rng, m: &mut Msg) {
    match (rng.below(8), &mut m.batch) {
        (0, _) => m.header[rng.pick(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 13, 17])] = rng.byte(),
        (1, _) => m.count_delta = rng.pick(&[-2, -1, 1, 5, i8::MAX]),
        (2, _) => mutate_list(rng, &mut m.fields, mutate_field),
        (3, _) => m.fields.push(fld(rng.pick(&[43, 13, 11, 12, 2, 1]), &random_call(rng))),
        (4 | 5, Some((flags, rows))) => {
            if rng.one_in(4) {
                *flags = rng.byte();
            }
            mutate_list(rng, rows, mutate_row);
        }
        (6, Some((_, rows))) => {
            rows.extend((0..rng.below(40)).map(|i| repeat(u32::try_from(i).unwrap_or(0), 4)));
        }
        _ => mutate_list(rng, &mut m.ops, mutate_op),
    }
}

fn mutate_request(rng: &mut Rng, request: &mut Request) {
    match request {
        Request::Msg(m) => mutate_msg(rng, m),
        Request::Info(text) if rng.one_in(2) => {
            let commands: [&[u8]; 6] = [
                b"truncate:namespace=test;set=s\n",
                b"sindex-create:ns=test;set=s;indexname=i;indexdata=a,numeric\n",
                b"sindex-delete:ns=test;indexname=i\n",
                b"aerorepo-clock-advance:seconds=99999999999\n",
                b"namespace/\xff\n",
                b"\n\n\t\t",
            ];
            text.extend(rng.pick(&commands));
        }
        Request::Info(text) | Request::Admin(text) => mutate_bytes(rng, text, 4),
    }
}

/// A whole input: one to three frames, each structurally mutated, then perhaps damaged
/// at the byte level or replaced by random bytes.
fn input(rng: &mut Rng, seeds: &[Request]) -> Vec<u8> {
    if rng.one_in(25) {
        return (0..rng.below(300)).map(|_| rng.byte()).collect();
    }
    let mut out = Vec::new();
    for _ in 0..=rng.below(3).saturating_sub(1) {
        let mut request = seeds[rng.below(seeds.len())].clone();
        for _ in 0..rng.below(4) {
            mutate_request(rng, &mut request);
        }
        let (mut kind, mut body) = to_frame(&request);
        if rng.one_in(6) {
            mutate_bytes(rng, &mut body, 3);
        }
        if rng.one_in(30) {
            kind = rng.pick(&PROTO_TYPES);
        }
        let mut head = frame::encode_header(kind, body.len());
        if rng.one_in(40) {
            head[rng.below(PROTO_HEADER_LEN)] = rng.byte();
        }
        out.extend(head);
        out.extend(body);
    }
    out
}

// -- running and checking ------------------------------------------------------------

/// A fresh in-memory server state; some stores cap batches at three keys.
fn fresh_shared(rng: &mut Rng) -> Shared {
    let config = ServerConfig {
        namespaces: vec!["test".to_owned(), "other".to_owned()],
        max_frame_bytes: FUZZ_MAX_FRAME,
        max_batch_keys: if rng.one_in(2) { 3 } else { 0 },
        ..ServerConfig::default()
    };
    let opened = open_store(&config).expect("an in-memory store opens");
    Shared::new(config, 3000, opened)
}

/// Feeds `input` to the server as one connection would; returns the bytes written back.
fn run_input(shared: &Shared, input: &[u8], bufs: &mut Buffers, sink: &mut Vec<u8>) {
    let mut reader = input;
    loop {
        let before = sink.len();
        let mut frame =
            read_frame(&mut reader, &mut bufs.body, shared.config.max_frame_bytes).ok();
        // The test-only type that makes a handler panic becomes an unknown type.
        if let Some(frame::Frame::Message(header)) = &mut frame {
            if header.kind == super::tests::PANIC_TYPE {
                header.kind = 7;
            }
        }
        let was_message = matches!(frame, Some(frame::Frame::Message(_)));
        if !answer_frame(shared, frame, bufs, sink) {
            return;
        }
        assert!(!was_message || sink.len() > before, "a served frame got no answer");
    }
}

/// Checks that `replies` is a sequence of whole frames whose AS_MSG bodies are whole
/// messages; returns a description of the first defect.
fn check_replies(mut replies: &[u8]) -> Result<(), String> {
    while !replies.is_empty() {
        let head = replies.first_chunk::<PROTO_HEADER_LEN>().ok_or("cut header")?;
        let header = frame::ProtoHeader::parse(*head);
        let len = usize::try_from(header.len).map_err(|e| e.to_string())?;
        let body = replies.get(PROTO_HEADER_LEN..PROTO_HEADER_LEN + len).ok_or("cut body")?;
        if header.version != frame::PROTO_VERSION || !PROTO_TYPES[..3].contains(&header.kind) {
            return Err(format!("bad proto header {head:02x?}"));
        }
        if header.kind == frame::TYPE_MSG {
            check_messages(body)?;
        }
        replies = &replies[PROTO_HEADER_LEN + len..];
    }
    Ok(())
}

/// Checks that `body` is one or more whole AS_MSG messages.
fn check_messages(mut body: &[u8]) -> Result<(), String> {
    if body.is_empty() {
        return Err("empty AS_MSG reply".to_owned());
    }
    while !body.is_empty() {
        let head = body.get(..MSG_HEADER_LEN).ok_or("cut message header")?;
        if head[0] != 22 {
            return Err(format!("header size {}", head[0]));
        }
        let n_fields = u16::from_be_bytes([head[18], head[19]]);
        let n_ops = u16::from_be_bytes([head[20], head[21]]);
        body = &body[MSG_HEADER_LEN..];
        for i in 0..u32::from(n_fields) + u32::from(n_ops) {
            let min = if i < u32::from(n_fields) { 1 } else { 4 };
            body = skip_sized(body, min)?;
        }
    }
    Ok(())
}

/// Skips one size-prefixed part of at least `min` bytes.
fn skip_sized(buf: &[u8], min: usize) -> Result<&[u8], String> {
    let size = buf.first_chunk::<4>().ok_or("cut part size")?;
    let size = usize::try_from(u32::from_be_bytes(*size)).map_err(|e| e.to_string())?;
    if size < min {
        return Err(format!("part of {size} bytes"));
    }
    buf.get(4 + size..).ok_or_else(|| "part overruns the message".to_owned())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}

/// What the fuzz loop reports to the watchdog.
struct Progress {
    inputs: AtomicU64,
    stop: AtomicBool,
    current: Mutex<Vec<u8>>,
}

/// Counts the result codes of the AS_MSG records in `replies` (already checked).
fn count_codes(mut replies: &[u8], codes: &mut [u64; 256]) {
    while let Some(head) = replies.first_chunk::<PROTO_HEADER_LEN>() {
        let header = frame::ProtoHeader::parse(*head);
        let len = usize::try_from(header.len).unwrap_or(0);
        let mut body = &replies[PROTO_HEADER_LEN..PROTO_HEADER_LEN + len];
        while header.kind == frame::TYPE_MSG && body.len() >= MSG_HEADER_LEN {
            codes[usize::from(body[5])] += 1;
            let parts = u32::from(u16::from_be_bytes([body[18], body[19]]))
                + u32::from(u16::from_be_bytes([body[20], body[21]]));
            body = &body[MSG_HEADER_LEN..];
            for _ in 0..parts {
                body = skip_sized(body, 1).unwrap_or_default();
            }
        }
        replies = &replies[PROTO_HEADER_LEN + len..];
    }
}

/// The most frequent result codes as `code:count` pairs.
fn top_codes(codes: &[u64; 256]) -> String {
    let mut seen: Vec<(u64, usize)> =
        codes.iter().enumerate().filter(|(_, n)| **n > 0).map(|(c, n)| (*n, c)).collect();
    seen.sort_unstable_by(|a, b| b.cmp(a));
    seen.iter().take(12).map(|(n, c)| format!("{c}:{n}")).collect::<Vec<_>>().join(" ")
}

/// What one run found: the slowest input, the most bytes one held, and reply codes.
struct Summary {
    slowest: Duration,
    most_bytes: usize,
    codes: [u64; 256],
}

/// Runs inputs until `progress.stop`.
fn fuzz_loop(seed: u64, progress: &Progress) -> Summary {
    let mut rng = Rng::new(seed);
    let seeds = seeds();
    let mut shared = fresh_shared(&mut rng);
    let mut bufs = Buffers { body: Vec::new(), out: Vec::new() };
    let mut sink = Vec::new();
    let mut summary = Summary { slowest: Duration::ZERO, most_bytes: 0, codes: [0; 256] };
    for n in 0.. {
        if progress.stop.load(Ordering::Relaxed) {
            break;
        }
        if n % INPUTS_PER_STORE == INPUTS_PER_STORE - 1 {
            shared = fresh_shared(&mut rng);
        }
        let input = input(&mut rng, &seeds);
        lock(&progress.current).clone_from(&input);
        sink.clear();
        let started = Instant::now();
        let ((), peak) = measure(|| run_input(&shared, &input, &mut bufs, &mut sink));
        let took = started.elapsed();
        let verdict = check_replies(&sink);
        assert!(verdict.is_ok(), "{verdict:?} for input {}", hex(&input));
        assert!(peak <= ALLOC_LIMIT, "{peak} bytes held for input {}", hex(&input));
        assert!(took <= INPUT_TIME_LIMIT, "{took:?} for input {}", hex(&input));
        summary.slowest = summary.slowest.max(took);
        summary.most_bytes = summary.most_bytes.max(peak);
        count_codes(&sink, &mut summary.codes);
        progress.inputs.fetch_add(1, Ordering::Relaxed);
    }
    summary
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Watches the fuzz loop: ends it at `deadline`, fails if one input stalls.
fn watch(progress: &Progress, deadline: Instant, worker: &thread::JoinHandle<Summary>) {
    let (mut seen, mut since) = (0, Instant::now());
    while !worker.is_finished() {
        thread::sleep(Duration::from_millis(50));
        let now = progress.inputs.load(Ordering::Relaxed);
        if now != seen {
            (seen, since) = (now, Instant::now());
        }
        let stalled = since.elapsed() > INPUT_TIME_LIMIT;
        assert!(!stalled, "input hangs: {}", hex(&lock(&progress.current)));
        if Instant::now() >= deadline {
            progress.stop.store(true, Ordering::Relaxed);
        }
    }
}

#[test]
fn fuzz_the_request_path_for_a_bounded_time() {
    let seconds = env_u64("AERO_FUZZ_SECONDS", DEFAULT_SECONDS);
    let seed = env_u64("AERO_FUZZ_SEED", 0x9e37_79b9_7f4a_7c15);
    let progress = Arc::new(Progress {
        inputs: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        current: Mutex::new(Vec::new()),
    });
    let started = Instant::now();
    let shared = Arc::clone(&progress);
    let worker = thread::spawn(move || fuzz_loop(seed, &shared));
    watch(&progress, started + Duration::from_secs(seconds), &worker);
    let summary = worker.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
    let inputs = progress.inputs.load(Ordering::Relaxed);
    eprintln!(
        "fuzz: {inputs} inputs in {:.1} s (seed {seed:#x}), no failure; slowest input \
         {:?}, most memory held by one input {} bytes; record result codes {}",
        started.elapsed().as_secs_f64(),
        summary.slowest,
        summary.most_bytes,
        top_codes(&summary.codes),
    );
    assert!(inputs > 0);
}
