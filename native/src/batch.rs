//! Batch index commands (field 41): `batch_read`, `batch_operate`, `batch_remove`, `batch_write`.

use std::io::{self, Write};

use crate::error::{OpResult, ResultCode};
use crate::expr::{self, Filter};
use crate::msg::{field, find_field, needs_unsupported_feature, parse_fields, parse_ops};
use crate::msg::{put_header, Cursor, Message};
use crate::msg::{MsgHeader, Op};
use crate::record_ops::{execute, Limits, RecordRequest};
use crate::store::{Digest, Namespace, Store};
use crate::stream::ReplyStream;

/// Batch flag: report every row's error instead of stopping at the first one.
const FLAG_RESPOND_ALL_KEYS: u8 = 0x04;
/// Row flag: reuse the previous row's namespace, set, flags and ops.
const ROW_REPEAT: u8 = 0x01;
/// Row flag: info2 and info3 bytes follow info1.
const ROW_INFO23: u8 = 0x02;
/// Row flag: a u16 generation follows.
const ROW_GENERATION: u8 = 0x04;
/// Row flag: a u32 TTL follows.
const ROW_TTL: u8 = 0x08;
/// Row flag: an info4 byte follows.
const ROW_INFO4: u8 = 0x10;
/// Bytes of a row before its optional parts (index, digest, flags).
const ROW_MIN_LEN: usize = 25;

/// The namespace, flags, fields and ops shared by one row and the REPEAT rows after it.
#[derive(Debug)]
struct Template<'a> {
    namespace: &'a [u8],
    info: [u8; 3],
    generation: u16,
    ttl: u32,
    set: &'a [u8],
    key: Option<&'a [u8]>,
    /// The row needs a UDF, which this server does not run.
    unsupported: bool,
    /// The row's own filter expression (field 43); a malformed one fails the row with 4.
    filter: OpResult<Option<Filter<'a>>>,
    ops: Vec<Op<'a>>,
}

impl<'a> Template<'a> {
    /// The row's request; its own filter wins over the batch-wide `parent` one.
    fn request<'s>(&'s self, parent: Option<&'s Filter<'a>>) -> RecordRequest<'a, 's> {
        let own = self.filter.as_ref().ok().and_then(Option::as_ref);
        RecordRequest {
            filter: own.or(parent),
            info1: self.info[0],
            info2: self.info[1],
            info3: self.info[2],
            generation: u32::from(self.generation),
            ttl: self.ttl,
            set: self.set,
            key: self.key,
            ops: &self.ops,
        }
    }
}

/// One batch row: its index in the request, its digest, and its template.
#[derive(Debug)]
struct Row {
    index: u32,
    digest: Digest,
    template: usize,
}

/// A parsed batch payload.
#[derive(Debug)]
struct Batch<'a> {
    flags: u8,
    rows: Vec<Row>,
    templates: Vec<Template<'a>>,
}

/// Answers a batch message on `stream`: one record per row, then the LAST marker.
///
/// A malformed payload, a batch of no keys or a batch-wide filter expression fails the
/// whole call (LAST marker with code 4); so does a batch of more than `max_keys` keys
/// (code 151), unless `max_keys` is 0 (no limit). A row whose record the filter
/// rejects answers 27; rows that carry a UDF call (not run by this server) answer 16
/// each.
///
/// # Errors
/// Socket write errors.
pub fn handle<W: Write>(
    store: &Store,
    limits: &Limits<'_>,
    msg: &Message<'_>,
    max_keys: u32,
    mut stream: ReplyStream<'_, W>,
) -> io::Result<()> {
    if needs_unsupported_feature(&msg.fields) {
        return stream.finish(ResultCode::UnsupportedFeature.code());
    }
    let parsed = msg.field(field::BATCH_INDEX).ok_or(ResultCode::ParameterError);
    let parent = expr::parse_field(msg.field(field::FILTER_EXP));
    let (batch, parent) =
        match parsed.and_then(|data| parse_batch(data, max_keys)).and_then(|b| Ok((b, parent?))) {
            Ok(parsed) => parsed,
            Err(rc) => return stream.finish(rc.code()),
        };
    let namespaces: Vec<Option<&Namespace>> =
        batch.templates.iter().map(|t| store.namespace(t.namespace)).collect();
    for row in &batch.rows {
        let start = stream.body().len();
        let ns = namespaces[row.template];
        let rc = run_row(&batch, row, ns, parent.as_ref(), limits, stream.body());
        if batch.flags & FLAG_RESPOND_ALL_KEYS == 0 && !matches!(rc, 0 | 2 | 27) {
            stream.body().truncate(start);
            return stream.finish(rc);
        }
        stream.flush_if_full()?;
    }
    stream.finish(0)
}

fn run_row(
    batch: &Batch<'_>,
    row: &Row,
    ns: Option<&Namespace>,
    parent: Option<&Filter<'_>>,
    limits: &Limits<'_>,
    out: &mut Vec<u8>,
) -> u8 {
    let template = &batch.templates[row.template];
    let failure = match ns {
        None => Some(ResultCode::InvalidNamespace),
        Some(_) if template.unsupported => Some(ResultCode::UnsupportedFeature),
        Some(_) if template.filter.is_err() => Some(ResultCode::ParameterError),
        Some(ns) => {
            let req = template.request(parent);
            return execute(ns, &row.digest, &req, limits, out, row.index);
        }
    };
    let rc = failure.map_or(0, ResultCode::code);
    let header = MsgHeader { result_code: rc, transaction_ttl: row.index, ..MsgHeader::default() };
    put_header(out, &header);
    rc
}

/// Parses a batch payload of at most `max_keys` rows (0: no limit).
fn parse_batch(data: &[u8], max_keys: u32) -> OpResult<Batch<'_>> {
    let mut cur = Cursor::new(data);
    let count = cur.u32()?;
    if count == 0 {
        return Err(ResultCode::ParameterError);
    }
    if max_keys != 0 && count > max_keys {
        return Err(ResultCode::BatchMaxRequests);
    }
    let flags = cur.u8()?;
    let capacity = usize::try_from(count).unwrap_or(0).min(cur.remaining() / ROW_MIN_LEN);
    let mut rows = Vec::with_capacity(capacity);
    let mut templates: Vec<Template<'_>> = Vec::new();
    for _ in 0..count {
        let index = cur.u32()?;
        let digest: Digest = cur.array()?;
        let row_flags = cur.u8()?;
        if row_flags & ROW_REPEAT == 0 {
            templates.push(parse_template(&mut cur, row_flags)?);
        }
        let template = templates.len().checked_sub(1).ok_or(ResultCode::ParameterError)?;
        rows.push(Row { index, digest, template });
    }
    if cur.remaining() != 0 {
        return Err(ResultCode::ParameterError);
    }
    Ok(Batch { flags, rows, templates })
}

fn parse_template<'a>(cur: &mut Cursor<'a>, row_flags: u8) -> OpResult<Template<'a>> {
    let mut info = [cur.u8()?, 0, 0];
    if row_flags & ROW_INFO23 != 0 {
        info[1] = cur.u8()?;
        info[2] = cur.u8()?;
    }
    if row_flags & ROW_INFO4 != 0 {
        cur.u8()?;
    }
    let generation = if row_flags & ROW_GENERATION != 0 { cur.u16()? } else { 0 };
    let ttl = if row_flags & ROW_TTL != 0 { cur.u32()? } else { 0 };
    let n_fields = cur.u16()?;
    let n_ops = cur.u16()?;
    let fields = parse_fields(cur, n_fields)?;
    let ops = parse_ops(cur, n_ops)?;
    Ok(Template {
        namespace: find_field(&fields, field::NAMESPACE).ok_or(ResultCode::ParameterError)?,
        info,
        generation,
        ttl,
        set: find_field(&fields, field::SET).unwrap_or_default(),
        key: find_field(&fields, field::KEY),
        unsupported: needs_unsupported_feature(&fields),
        filter: expr::parse_field(find_field(&fields, field::FILTER_EXP)),
        ops,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The captured two-key `batch_read` payload (field 41 data), second row a REPEAT.
    fn captured_batch_read() -> Vec<u8> {
        let mut data = vec![0, 0, 0, 2, 0x0d];
        data.extend([0, 0, 0, 0]);
        data.extend([0x11; 20]);
        data.extend([0x0a, 0x03, 0x00, 0x00, 0, 0, 0, 0, 0x00, 0x02, 0x00, 0x00]);
        data.extend([0, 0, 0, 5, 0]);
        data.extend(b"test");
        data.extend([0, 0, 0, 5, 1]);
        data.extend(b"demo");
        data.extend([0, 0, 0, 1]);
        data.extend([0x22; 20]);
        data.push(0x01);
        data
    }

    #[test]
    fn parses_captured_batch_with_repeat_row() {
        let data = captured_batch_read();
        assert_eq!(data.len(), 0x55 - 1);
        let batch = parse_batch(&data, 0).unwrap();
        assert_eq!(batch.flags, 0x0d);
        assert_eq!(batch.templates.len(), 1);
        assert_eq!(batch.rows.len(), 2);
        assert_eq!(batch.rows[1].index, 1);
        assert_eq!(batch.rows[1].digest, [0x22; 20]);
        assert_eq!(batch.rows[1].template, 0);
        let t = &batch.templates[0];
        assert_eq!((t.namespace, t.set, t.info), (&b"test"[..], &b"demo"[..], [3, 0, 0]));
    }

    /// Runs a batch payload; returns (row index, result code, op count) per record and the
    /// LAST marker's code.
    fn run(store: &Store, payload: &[u8]) -> (Vec<(u32, u8, u16)>, u8) {
        run_capped(store, payload, 0)
    }

    /// `run` with a batch key limit.
    fn run_capped(store: &Store, payload: &[u8], max_keys: u32) -> (Vec<(u32, u8, u16)>, u8) {
        let clock = crate::clock::Clock::new();
        let limits = Limits { clock: &clock, max_record_size: 1 << 20 };
        let fields = vec![crate::msg::Field { kind: field::BATCH_INDEX, data: payload }];
        let msg = Message { header: MsgHeader::default(), fields, ops: Vec::new() };
        let (mut sink, mut buf) = (Vec::new(), Vec::new());
        handle(store, &limits, &msg, max_keys, ReplyStream::new(&mut sink, &mut buf)).unwrap();
        let mut cur = Cursor::new(&sink[8..]);
        let mut rows = Vec::new();
        loop {
            let h = crate::msg::parse_header(&mut cur).unwrap();
            if h.info3 & 1 != 0 {
                return (rows, h.result_code);
            }
            parse_ops(&mut cur, h.n_ops).unwrap();
            rows.push((h.transaction_ttl, h.result_code, h.n_ops));
        }
    }

    /// A row with its own namespace/set/ops header (flags 0x0e: info2/3, gen, TTL).
    fn full_row(index: u32, digest: u8, info: [u8; 3], op: &[u8]) -> Vec<u8> {
        let mut row = index.to_be_bytes().to_vec();
        row.extend([digest; 20]);
        row.extend([0x0e, info[0], info[1], info[2], 0, 0, 0, 0, 0, 0, 0, 2, 0]);
        row.push(u8::from(!op.is_empty()));
        row.extend([0, 0, 0, 5, 0]);
        row.extend(b"test");
        row.extend([0, 0, 0, 1, 1]);
        row.extend(op);
        row
    }

    fn repeat_row(index: u32, digest: u8) -> Vec<u8> {
        let mut row = index.to_be_bytes().to_vec();
        row.extend([digest; 20]);
        row.push(ROW_REPEAT);
        row
    }

    #[test]
    fn writes_reads_and_missing_rows_with_repeats() {
        let store = Store::new(vec![Namespace::new("test", 0)]);
        let write_a = [0, 0, 0, 13, 2, 1, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 0, 7];
        let mut payload = vec![0, 0, 0, 5, 0x0d];
        payload.extend(full_row(0, 1, [0, 0x81, 0], &write_a));
        payload.extend(repeat_row(1, 2));
        payload.extend(full_row(2, 1, [3, 0, 0], &[]));
        payload.extend(repeat_row(3, 3));
        payload.extend(repeat_row(4, 2));
        let (rows, last) = run(&store, &payload);
        assert_eq!(last, 0);
        // Writes answer one NULL entry per op (respond-all-ops); reads all bins; 3 is missing.
        assert_eq!(rows, [(0, 0, 1), (1, 0, 1), (2, 0, 1), (3, 2, 0), (4, 0, 1)]);
    }

    #[test]
    fn without_respond_all_keys_the_first_error_ends_the_batch() {
        let store = Store::new(vec![Namespace::new("test", 0)]);
        let incr_a = [0, 0, 0, 13, 5, 1, 0, 1, b'a', 0, 0, 0, 0, 0, 0, 0, 1];
        let append_a = [0, 0, 0, 7, 9, 3, 0, 1, b'a', b'x', b'y'];
        let mut payload = vec![0, 0, 0, 3, 0x01];
        payload.extend(full_row(0, 1, [0, 0x01, 0], &incr_a));
        payload.extend(full_row(1, 1, [0, 0x01, 0], &append_a));
        payload.extend(repeat_row(2, 2));
        let (rows, last) = run(&store, &payload);
        assert_eq!((rows, last), (vec![(0, 0, 0)], 12));
    }

    #[test]
    fn malformed_payloads_are_parameter_errors() {
        let data = captured_batch_read();
        for cut in [3, 10, 30, data.len() - 1] {
            assert_eq!(parse_batch(&data[..cut], 0).unwrap_err(), ResultCode::ParameterError);
        }
        let mut first_repeat = vec![0, 0, 0, 1, 0x0d, 0, 0, 0, 0];
        first_repeat.extend([0; 20]);
        first_repeat.push(ROW_REPEAT);
        assert_eq!(parse_batch(&first_repeat, 0).unwrap_err(), ResultCode::ParameterError);
        let mut lying_count = captured_batch_read();
        lying_count[3] = 200;
        assert!(parse_batch(&lying_count, 0).is_err());
    }

    #[test]
    fn batches_above_the_key_limit_fail_whole_with_151_and_empty_ones_with_4() {
        let store = Store::new(vec![Namespace::new("test", 0)]);
        let mut payload = vec![0, 0, 0, 3, 0x0d];
        payload.extend(full_row(0, 1, [3, 0, 0], &[]));
        payload.extend(repeat_row(1, 2));
        payload.extend(repeat_row(2, 3));
        assert_eq!(run_capped(&store, &payload, 2), (vec![], 151));
        assert_eq!(run_capped(&store, &payload, 3).0.len(), 3);
        assert_eq!(run_capped(&store, &payload, 0).0.len(), 3);
        assert_eq!(run(&store, &[0, 0, 0, 0, 0x0d]), (vec![], 4));
    }
}
