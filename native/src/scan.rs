//! Scans: a query without predicates over a set or a whole namespace.

use std::io::{self, Write};

use crate::clock::Clock;
use crate::error::{OpResult, ResultCode};
use crate::expr::{self, Filter, RecordView};
use crate::msg::{field, info1, info2, needs_unsupported_feature, op, put_field, put_header};
use crate::msg::{put_op_header, Message, MsgHeader};
use crate::sindex::{Predicate, Registry};
use crate::store::{partition_id, Digest, Namespace, Record, Store, N_PARTITIONS};
use crate::stream::ReplyStream;
use crate::value::Bin;

/// Field 22: secondary-index range.
const INDEX_RANGE: u8 = 22;
/// Field 23: CDT context of an index.
const INDEX_CONTEXT: u8 = 23;
/// Field 24: expression of an expression index.
const INDEX_EXPRESSION: u8 = 24;
/// Field 26: index collection type (0 = default).
const INDEX_TYPE: u8 = 26;

/// What to scan, decoded from the request.
#[derive(Debug)]
struct ScanSpec<'a> {
    set: &'a [u8],
    /// Partitions in ascending order, each with the digest to resume after.
    partitions: Vec<(usize, Option<Digest>)>,
    /// Stop after this many records (`u64::MAX` = no limit).
    max_records: u64,
    no_bins: bool,
    bins: Vec<&'a [u8]>,
    /// Filter expression (field 43): records it rejects are skipped silently.
    filter: Option<Filter<'a>>,
    /// Secondary-index predicate (field 22), checked against a defined index.
    predicate: Option<Predicate<'a>>,
    /// Now, in nanoseconds since the Unix epoch (for metadata expressions).
    now_nanos: u64,
}

/// Answers a scan on `stream`: matching records with namespace, digest, set and stored key
/// fields, ordered by partition then digest, then the LAST marker.
///
/// Malformed requests (and malformed filter expressions) end with a LAST marker carrying
/// 4; unknown namespaces with 20; secondary-index queries without a matching index with
/// 201; UDFs and background writes (not implemented) with 16.
///
/// # Errors
/// Socket write errors.
pub fn handle<W: Write>(
    store: &Store,
    clock: &Clock,
    sindexes: &Registry,
    msg: &Message<'_>,
    mut stream: ReplyStream<'_, W>,
) -> io::Result<()> {
    let ns = msg.field(field::NAMESPACE).and_then(|name| store.namespace(name));
    let Some(ns) = ns else {
        return stream.finish(ResultCode::InvalidNamespace.code());
    };
    if needs_unsupported_feature(&msg.fields) || msg.header.info2 & info2::WRITE != 0 {
        return stream.finish(ResultCode::UnsupportedFeature.code());
    }
    let spec = parse_spec(msg, clock.now_unix_nanos()).and_then(|spec| {
        let covered =
            spec.predicate.is_none_or(|p| sindexes.covers(ns.name.as_bytes(), spec.set, &p));
        if covered {
            Ok(spec)
        } else {
            Err(ResultCode::IndexNotFound)
        }
    });
    let spec = match spec {
        Ok(spec) => spec,
        Err(rc) => return stream.finish(rc.code()),
    };
    let now = clock.now_citrusleaf_secs();
    let mut sent = 0u64;
    for &(pid, after) in &spec.partitions {
        if sent >= spec.max_records {
            break;
        }
        sent += scan_partition(ns, pid, after, &spec, now, sent, stream.body());
        stream.flush_if_full()?;
    }
    stream.finish(0)
}

/// Appends the matching records of one partition; returns how many were appended.
fn scan_partition(
    ns: &Namespace,
    pid: usize,
    after: Option<Digest>,
    spec: &ScanSpec<'_>,
    now: u32,
    sent: u64,
    out: &mut Vec<u8>,
) -> u64 {
    let part = ns.lock(pid);
    let mut hits: Vec<(&Digest, &Record)> = part
        .iter()
        .filter(|(d, r)| after.is_none_or(|a| **d > a) && matches(d, r, spec, now))
        .collect();
    hits.sort_unstable_by_key(|(d, _)| **d);
    let budget = spec.max_records - sent;
    let take = usize::try_from(budget).unwrap_or(usize::MAX).min(hits.len());
    for (digest, rec) in &hits[..take] {
        put_record(out, &ns.name, digest, rec, spec);
    }
    u64::try_from(take).unwrap_or(u64::MAX)
}

fn matches(digest: &Digest, rec: &Record, spec: &ScanSpec<'_>, now: u32) -> bool {
    let in_set = spec.set.is_empty() || *rec.set == *spec.set;
    let has_bins = spec.bins.is_empty() || selected(rec, spec).next().is_some();
    let live = in_set && !rec.is_expired(now) && has_bins;
    live && spec.predicate.is_none_or(|p| p.matches(rec)) && passes_filter(digest, rec, spec, now)
}

fn passes_filter(digest: &Digest, record: &Record, spec: &ScanSpec<'_>, now: u32) -> bool {
    let view = RecordView { record, digest, now_secs: now, now_nanos: spec.now_nanos };
    spec.filter.as_ref().is_none_or(|f| f.matches(&view))
}

fn selected<'r>(rec: &'r Record, spec: &'r ScanSpec<'_>) -> impl Iterator<Item = &'r Bin> {
    rec.bins.iter().filter(|b| spec.bins.is_empty() || spec.bins.contains(&b.name.as_bytes()))
}

fn put_record(out: &mut Vec<u8>, ns: &str, digest: &Digest, rec: &Record, spec: &ScanSpec<'_>) {
    let n_fields = 2 + u16::from(!rec.set.is_empty()) + u16::from(rec.key.is_some());
    let bins: Vec<&Bin> = if spec.no_bins { Vec::new() } else { selected(rec, spec).collect() };
    let header = MsgHeader {
        info1: if spec.no_bins { info1::GET_NO_BINS } else { 0 },
        generation: u32::from(rec.generation),
        record_ttl: rec.void_time,
        n_fields,
        n_ops: u16::try_from(bins.len()).unwrap_or(u16::MAX),
        ..MsgHeader::default()
    };
    put_header(out, &header);
    put_field(out, field::NAMESPACE, &[ns.as_bytes()]);
    put_field(out, field::DIGEST, &[digest]);
    if !rec.set.is_empty() {
        put_field(out, field::SET, &[&rec.set]);
    }
    if let Some(key) = &rec.key {
        put_field(out, field::KEY, &[key]);
    }
    for bin in bins.iter().take(usize::from(header.n_ops)) {
        put_op_header(
            out,
            op::READ,
            bin.value.particle(),
            bin.name.as_bytes(),
            bin.value.payload_len(),
        );
        bin.value.write_payload(out);
    }
}

fn parse_spec<'a>(msg: &Message<'a>, now_nanos: u64) -> OpResult<ScanSpec<'a>> {
    crate::validate::check_set_name(msg.field(field::SET).unwrap_or_default())?;
    let mut bins = Vec::new();
    for o in &msg.ops {
        if o.op != op::READ {
            return Err(ResultCode::ParameterError);
        }
        if !o.name.is_empty() {
            bins.push(o.name);
        }
    }
    let max_records = match msg.field(field::MAX_RECORDS) {
        None => u64::MAX,
        Some(data) => match <[u8; 8]>::try_from(data).map(u64::from_be_bytes) {
            Ok(0) => u64::MAX,
            Ok(n) => n,
            Err(_) => return Err(ResultCode::ParameterError),
        },
    };
    Ok(ScanSpec {
        set: msg.field(field::SET).unwrap_or_default(),
        partitions: parse_partitions(msg)?,
        max_records,
        no_bins: msg.header.info1 & info1::GET_NO_BINS != 0,
        bins,
        filter: expr::parse_field(msg.field(field::FILTER_EXP))?,
        predicate: parse_predicate(msg)?,
        now_nanos,
    })
}

/// The predicate of a secondary-index query: field 22 (range). Collection index types
/// (field 26 non-zero), context (23) and expression (24) indexes cannot be created here,
/// so such queries answer 201.
fn parse_predicate<'a>(msg: &Message<'a>) -> OpResult<Option<Predicate<'a>>> {
    let exotic = msg.field(INDEX_TYPE).is_some_and(|t| t.iter().any(|b| *b != 0))
        || msg.field(INDEX_CONTEXT).is_some()
        || msg.field(INDEX_EXPRESSION).is_some();
    match msg.field(INDEX_RANGE) {
        _ if exotic => Err(ResultCode::IndexNotFound),
        Some(data) => Predicate::parse(data).map(Some),
        None => Ok(None),
    }
}

/// Partitions from field 11 (whole) and field 12 (resume after a digest), sorted by id.
/// Without either field the whole namespace is scanned.
fn parse_partitions(msg: &Message<'_>) -> OpResult<Vec<(usize, Option<Digest>)>> {
    let pids = msg.field(field::PID_ARRAY);
    let digests = msg.field(field::DIGEST_ARRAY);
    if pids.is_none() && digests.is_none() {
        return Ok((0..N_PARTITIONS).map(|pid| (pid, None)).collect());
    }
    let mut out = Vec::new();
    if let Some(data) = pids {
        if data.len() % 2 != 0 {
            return Err(ResultCode::ParameterError);
        }
        for pair in data.chunks_exact(2) {
            let pid = usize::from(u16::from_le_bytes([pair[0], pair[1]]));
            if pid >= N_PARTITIONS {
                return Err(ResultCode::ParameterError);
            }
            out.push((pid, None));
        }
    }
    if let Some(data) = digests {
        if data.len() % 20 != 0 {
            return Err(ResultCode::ParameterError);
        }
        for chunk in data.chunks_exact(20) {
            let mut digest = [0u8; 20];
            digest.copy_from_slice(chunk);
            out.push((partition_id(&digest), Some(digest)));
        }
    }
    out.sort_by_key(|(pid, _)| *pid);
    out.dedup_by_key(|(pid, _)| *pid);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msg::{parse_fields, parse_header, parse_ops, Cursor, Field, Op};
    use crate::value::{BinName, Value};

    /// Digest in partition `pid` whose later bytes are `tail`.
    fn digest(pid: u16, tail: u8) -> Digest {
        let mut d = [tail; 20];
        d[..2].copy_from_slice(&pid.to_le_bytes());
        d
    }

    fn store() -> Store {
        let ns = Namespace::new("test", 0);
        let records = [(5, 1, "s"), (5, 2, "s"), (5, 3, "other"), (9, 1, "s"), (4095, 7, "")];
        for (pid, tail, set) in records {
            let rec = Record {
                bins: vec![Bin {
                    name: BinName::new(b"a").unwrap(),
                    value: Value::Int(tail.into()),
                }],
                generation: 1,
                set: set.as_bytes().into(),
                key: (tail == 2).then(|| Box::from(&[1u8, 0, 0, 0, 0, 0, 0, 0, 2][..])),
                ..Record::default()
            };
            ns.lock(usize::from(pid)).insert(digest(pid, tail), rec);
        }
        Store::new(vec![ns])
    }

    /// Runs a scan; returns the records' digests and field kinds, and the LAST marker's code.
    fn run(fields: &[Field<'_>], ops: &[Op<'_>], info1: u8) -> (Vec<Digest>, Vec<Vec<u8>>, u8) {
        let header = MsgHeader { info1, ..MsgHeader::default() };
        let msg = Message { header, fields: fields.to_vec(), ops: ops.to_vec() };
        let (mut sink, mut buf) = (Vec::new(), Vec::new());
        let reg = Registry::new();
        handle(&store(), &Clock::new(), &reg, &msg, ReplyStream::new(&mut sink, &mut buf))
            .unwrap();
        let mut cur = Cursor::new(&sink[8..]);
        let (mut digests, mut kinds) = (Vec::new(), Vec::new());
        loop {
            let h = parse_header(&mut cur).unwrap();
            if h.info3 & 1 != 0 {
                assert_eq!(cur.remaining(), 0);
                return (digests, kinds, h.result_code);
            }
            let fields = parse_fields(&mut cur, h.n_fields).unwrap();
            parse_ops(&mut cur, h.n_ops).unwrap();
            let d = fields.iter().find(|f| f.kind == field::DIGEST).unwrap().data;
            digests.push(d.try_into().unwrap());
            kinds.push(fields.iter().map(|f| f.kind).collect());
        }
    }

    fn ns() -> Field<'static> {
        Field { kind: field::NAMESPACE, data: b"test" }
    }

    fn set(name: &'static [u8]) -> Field<'static> {
        Field { kind: field::SET, data: name }
    }

    #[test]
    fn whole_set_in_partition_then_digest_order() {
        let (digests, kinds, rc) = run(&[ns(), set(b"s")], &[], 0);
        assert_eq!(rc, 0);
        assert_eq!(digests, [digest(5, 1), digest(5, 2), digest(9, 1)]);
        assert_eq!(kinds[0], [field::NAMESPACE, field::DIGEST, field::SET]);
        assert_eq!(kinds[1], [field::NAMESPACE, field::DIGEST, field::SET, field::KEY]);
    }

    #[test]
    fn whole_namespace_without_set_field() {
        let (digests, kinds, _) = run(&[ns()], &[], 0);
        assert_eq!(digests.len(), 5);
        assert_eq!(kinds[4], [field::NAMESPACE, field::DIGEST]);
    }

    #[test]
    fn partition_list_and_digest_resume() {
        let pids = [9u8, 0];
        let resume = digest(5, 1);
        let fields = [
            ns(),
            set(b"s"),
            Field { kind: field::PID_ARRAY, data: &pids },
            Field { kind: field::DIGEST_ARRAY, data: &resume },
        ];
        let (digests, _, _) = run(&fields, &[], 0);
        assert_eq!(digests, [digest(5, 2), digest(9, 1)]);
    }

    #[test]
    fn max_records_and_selected_bins() {
        let max = 2u64.to_be_bytes();
        let (digests, _, _) = run(&[ns(), Field { kind: field::MAX_RECORDS, data: &max }], &[], 0);
        assert_eq!(digests.len(), 2);
        let read_b = Op { op: op::READ, particle: 0, name: b"b", value: &[] };
        assert!(run(&[ns()], &[read_b], 0).0.is_empty());
    }

    #[test]
    fn bad_requests_end_with_an_error_marker() {
        let odd = [1u8];
        assert_eq!(run(&[ns(), Field { kind: field::PID_ARRAY, data: &odd }], &[], 0).2, 4);
        let big = 4096u16.to_le_bytes();
        assert_eq!(run(&[ns(), Field { kind: field::PID_ARRAY, data: &big }], &[], 0).2, 4);
        assert_eq!(run(&[Field { kind: field::NAMESPACE, data: b"nope" }], &[], 0).2, 20);
        let write = Op { op: op::WRITE, particle: 0, name: b"a", value: &[] };
        assert_eq!(run(&[ns()], &[write], 0).2, 4);
    }

    #[test]
    fn index_queries_and_udfs_are_refused() {
        let data = [
            1, 1, b'a', 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 2,
        ];
        let range = Field { kind: 22, data: &data };
        assert_eq!(run(&[ns(), range], &[], 0).2, 201);
        assert_eq!(run(&[ns(), Field { kind: 22, data: &[0] }], &[], 0).2, 4);
        let udf = Field { kind: 30, data: b"module" };
        assert_eq!(run(&[ns(), udf], &[], 0).2, 16);
    }
}
