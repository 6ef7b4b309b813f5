//! Single-record engine: the read, write and delete paths with Aerospike's policy checks.
//!
//! Single-record commands and batch rows both run through `execute`, which appends one
//! reply record (22-byte header plus op entries) to an output buffer.

use crate::cdt;
use crate::clock::Clock;
use crate::config::MAX_TTL_SECS;
use crate::error::{OpResult, ResultCode};
use crate::expr::{Filter, RecordView};
use crate::msg::{
    field, header_bytes, info1, info2, info3, op, put_op_header, Message, MsgHeader, Op,
    MSG_HEADER_LEN,
};
use crate::store::{Digest, Namespace, PartitionMap, Record};
use crate::validate;
use crate::value::{particle, Bin, BinName, Value};

/// TTL meaning "never expire".
const TTL_NEVER: u32 = u32::MAX;
/// TTL meaning "keep the current void time".
const TTL_KEEP: u32 = u32::MAX - 1;
/// Largest reply record, in bytes: the client refuses messages above 120 MiB. Many reads
/// of one large bin in a single operate would exceed it; such requests fail with 13.
const MAX_REPLY_BYTES: usize = 120 << 20;

/// Server-wide settings the engine needs.
#[derive(Debug)]
pub struct Limits<'a> {
    /// Time source.
    pub clock: &'a Clock,
    /// Largest record accepted, in bytes.
    pub max_record_size: usize,
}

/// One record command: what a single-record message or a batch row asks for.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordRequest<'a, 'o> {
    /// Read flags.
    pub info1: u8,
    /// Write flags.
    pub info2: u8,
    /// Policy flags.
    pub info3: u8,
    /// Expected generation (checked with `info2::GENERATION` / `GENERATION_GT`).
    pub generation: u32,
    /// Write TTL in seconds or a special value (0 default, -1 never, -2 keep).
    pub ttl: u32,
    /// Set name field; empty means none.
    pub set: &'a [u8],
    /// User key field (particle type + value), if sent.
    pub key: Option<&'a [u8]>,
    /// Ops in request order.
    pub ops: &'o [Op<'a>],
    /// Filter expression (field 43): an existing record it rejects answers 27.
    pub filter: Option<&'o Filter<'a>>,
}

impl<'a, 'o> RecordRequest<'a, 'o> {
    /// The request a single-record message makes.
    #[must_use]
    pub fn from_message(msg: &'o Message<'a>) -> Self {
        let h = &msg.header;
        Self {
            info1: h.info1,
            info2: h.info2,
            info3: h.info3,
            generation: h.generation,
            ttl: h.record_ttl,
            set: msg.field(field::SET).unwrap_or_default(),
            key: msg.field(field::KEY),
            ops: &msg.ops,
            filter: None,
        }
    }

    fn is_write(&self) -> bool {
        self.info2 & info2::WRITE != 0
    }

    fn has(&self, bits: u8) -> bool {
        self.info2 & bits != 0
    }

    fn respond_all(&self) -> bool {
        self.has(info2::RESPOND_ALL_OPS)
    }

    /// Whether a READ op with an empty name reads every bin. Only the request's
    /// `GET_ALL` bit makes it so; without it a real server reads the bin named "".
    fn gets_all(&self) -> bool {
        self.info1 & info1::GET_ALL != 0
    }

    fn is_replace(&self) -> bool {
        self.info3 & (info3::CREATE_OR_REPLACE | info3::REPLACE_ONLY) != 0
    }
}

/// Generation and void time reported in a successful reply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Meta {
    /// Record generation (0 after a delete).
    pub generation: u32,
    /// Void time (0 = never expires or deleted).
    pub void_time: u32,
}

/// Runs `req` against record `digest` of `ns` and appends the reply record to `out`.
///
/// `index` goes into the transaction-ttl slot (the batch row index; 0 otherwise). Errors
/// become a header-only record carrying the result code. Returns the result code.
pub fn execute(
    ns: &Namespace,
    digest: &Digest,
    req: &RecordRequest<'_, '_>,
    limits: &Limits<'_>,
    out: &mut Vec<u8>,
    index: u32,
) -> u8 {
    let start = out.len();
    out.resize(start + MSG_HEADER_LEN, 0);
    let limit = start + MAX_REPLY_BYTES;
    let mut entries = Entries { out, count: 0, limit };
    let result = {
        let mut part = ns.lock_digest(digest);
        let limits =
            &Limits { max_record_size: limits.max_record_size.min(ns.max_record_size), ..*limits };
        let result = run(&mut part, ns.default_ttl, digest, req, limits, &mut entries);
        // Persist the change before anyone can see the answer; the partition stays locked
        // so the log keeps the order of the changes to each record.
        match result {
            Ok(_) if req.is_write() && !ns.log_change(digest, part.get(digest)) => {
                Err(ResultCode::ServerError)
            }
            other => other,
        }
    };
    let count = entries.count;
    let (header, keep_ops) = match result {
        Ok(meta) => (reply_header(0, meta, index, count), true),
        Err(rc) => (reply_header(rc.code(), Meta::default(), index, 0), false),
    };
    if !keep_ops {
        out.truncate(start + MSG_HEADER_LEN);
    }
    out[start..start + MSG_HEADER_LEN].copy_from_slice(&header_bytes(&header));
    header.result_code
}

fn reply_header(rc: u8, meta: Meta, index: u32, n_ops: u16) -> MsgHeader {
    MsgHeader {
        result_code: rc,
        generation: meta.generation,
        record_ttl: meta.void_time,
        transaction_ttl: index,
        n_ops,
        ..MsgHeader::default()
    }
}

fn run(
    part: &mut PartitionMap,
    default_ttl: u32,
    digest: &Digest,
    req: &RecordRequest<'_, '_>,
    limits: &Limits<'_>,
    entries: &mut Entries<'_>,
) -> OpResult<Meta> {
    let now = limits.clock.now_citrusleaf_secs();
    let live = part.get(digest).filter(|r| !r.is_expired(now));
    if let (Some(filter), Some(record)) = (req.filter, live) {
        let now_nanos = limits.clock.now_unix_nanos();
        let view = RecordView { record, digest, now_secs: now, now_nanos };
        if !filter.matches(&view) {
            return Err(ResultCode::FilteredOut);
        }
    }
    if !req.is_write() {
        return read(live.ok_or(ResultCode::KeyNotFound)?, req, entries);
    }
    if req.has(info2::DELETE) {
        return delete(part, digest, req);
    }
    let ctx = WriteCtx { default_ttl, now, limits };
    write(part, digest, req, &ctx, entries)
}

/// Collects reply op entries, counting them.
struct Entries<'b> {
    out: &'b mut Vec<u8>,
    count: u16,
    /// Length `out` must not exceed.
    limit: usize,
}

impl Entries<'_> {
    fn push_value(&mut self, op_type: u8, name: &[u8], value: &Value) -> OpResult<()> {
        self.bump()?;
        if self.out.len() + value.payload_len() > self.limit {
            return Err(ResultCode::RecordTooBig);
        }
        put_op_header(self.out, op_type, value.particle(), name, value.payload_len());
        value.write_payload(self.out);
        Ok(())
    }

    fn push_null(&mut self, op_type: u8, name: &[u8]) -> OpResult<()> {
        self.bump()?;
        put_op_header(self.out, op_type, particle::NULL, name, 0);
        Ok(())
    }

    fn push_bins(&mut self, bins: &[Bin]) -> OpResult<()> {
        bins.iter().try_for_each(|b| self.push_value(op::READ, b.name.as_bytes(), &b.value))
    }

    fn bump(&mut self) -> OpResult<()> {
        self.count = self.count.checked_add(1).ok_or(ResultCode::ParameterError)?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Read path

fn read(rec: &Record, req: &RecordRequest<'_, '_>, entries: &mut Entries<'_>) -> OpResult<Meta> {
    check_set(rec, req.set)?;
    let meta = Meta { generation: u32::from(rec.generation), void_time: rec.void_time };
    if req.info1 & info1::GET_NO_BINS != 0 {
        return Ok(meta);
    }
    if req.info1 & info1::GET_ALL != 0 {
        entries.push_bins(&rec.bins)?;
        return Ok(meta);
    }
    if req.ops.is_empty() {
        return Err(ResultCode::ParameterError);
    }
    if req.ops.iter().any(|o| o.name.contains(&0)) {
        return Err(ResultCode::BinNameTooLong);
    }
    for o in req.ops {
        // GET_ALL returned above, so an empty name here is the bin named "".
        let path = Path::Read { respond_all: req.respond_all() };
        read_op(&rec.bins, o, path, entries)?;
    }
    Ok(meta)
}

/// Which path a read op runs in: it decides when an op without a result gets an entry.
#[derive(Clone, Copy)]
enum Path {
    /// Read-only request: an entry only for a result, or a NULL one with `RESPOND_ALL_OPS`.
    Read { respond_all: bool },
    /// Request with writes: a CDT read of an existing bin always gets an entry, and an
    /// empty-named READ reads every bin when the request has `GET_ALL`.
    Write { respond_all: bool, gets_all: bool },
}

fn read_op(bins: &[Bin], o: &Op<'_>, path: Path, out: &mut Entries<'_>) -> OpResult<()> {
    let (Path::Read { respond_all } | Path::Write { respond_all, .. }) = path;
    match o.op {
        op::READ if o.name.is_empty() && matches!(path, Path::Write { gets_all: true, .. }) => {
            out.push_bins(bins)
        }
        op::READ => match find_bin(bins, o.name) {
            Some(b) => out.push_value(op::READ, o.name, &b.value),
            None if respond_all => out.push_null(op::READ, o.name),
            None => Ok(()),
        },
        op::CDT_READ => {
            let bin = find_bin(bins, o.name).map(|b| &b.value);
            let always = matches!(path, Path::Write { .. }) && bin.is_some();
            match cdt::read(bin, o.value)? {
                Some(v) => out.push_value(o.op, o.name, &v),
                None if respond_all || always => out.push_null(o.op, o.name),
                None => Ok(()),
            }
        }
        _ => Err(ResultCode::ParameterError),
    }
}

fn find_bin<'b>(bins: &'b [Bin], name: &[u8]) -> Option<&'b Bin> {
    bins.iter().find(|b| b.name.as_bytes() == name)
}

/// A set field that names a different set than the record's is a parameter error.
fn check_set(rec: &Record, set: &[u8]) -> OpResult<()> {
    if set.is_empty() || *rec.set == *set {
        Ok(())
    } else {
        Err(ResultCode::ParameterError)
    }
}

// ---------------------------------------------------------------------------------------
// Delete path

fn delete(part: &mut PartitionMap, digest: &Digest, req: &RecordRequest) -> OpResult<Meta> {
    if req.has(info2::DURABLE_DELETE) {
        return Err(ResultCode::EnterpriseOnly);
    }
    // An expired record still in memory is deleted with OK, as a real server does until
    // its expiry sweep has removed the record.
    let rec = part.get(digest).ok_or(ResultCode::KeyNotFound)?;
    check_generation(req, rec.generation)?;
    check_set(rec, req.set)?;
    check_key(rec, req.key)?;
    part.remove(digest);
    Ok(Meta::default())
}

fn check_generation(req: &RecordRequest<'_, '_>, stored: u16) -> OpResult<()> {
    let stored = u32::from(stored);
    let failed = (req.has(info2::GENERATION) && req.generation != stored)
        || (req.has(info2::GENERATION_GT) && req.generation <= stored);
    if failed {
        Err(ResultCode::GenerationError)
    } else {
        Ok(())
    }
}

fn check_key(rec: &Record, key: Option<&[u8]>) -> OpResult<()> {
    match (rec.key.as_deref(), key) {
        (Some(stored), Some(sent)) if stored != sent => Err(ResultCode::KeyMismatch),
        _ => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------
// Write path

struct WriteCtx<'l> {
    default_ttl: u32,
    now: u32,
    limits: &'l Limits<'l>,
}

fn write(
    part: &mut PartitionMap,
    digest: &Digest,
    req: &RecordRequest<'_, '_>,
    ctx: &WriteCtx<'_>,
    entries: &mut Entries<'_>,
) -> OpResult<Meta> {
    validate_write_ops(req)?;
    let existing = part.get(digest).filter(|r| !r.is_expired(ctx.now));
    check_existence(req, existing)?;
    if let Some(rec) = existing {
        check_set(rec, req.set)?;
        check_key(rec, req.key)?;
    }
    let void_time = void_time(req.ttl, existing.map(|r| r.void_time), ctx)?;

    let mut bins = match existing {
        Some(rec) if !req.is_replace() => rec.bins.clone(),
        _ => Vec::with_capacity(req.ops.len()),
    };
    for o in req.ops {
        let path = Path::Write { respond_all: req.respond_all(), gets_all: req.gets_all() };
        apply_op(&mut bins, o, path, entries)?;
    }

    if bins.is_empty() {
        return remove_emptied(part, digest, req, existing.is_some());
    }
    let record = build_record(bins, existing, req, void_time, ctx)?;
    let meta = Meta { generation: u32::from(record.generation), void_time };
    part.insert(*digest, record);
    Ok(meta)
}

/// Request-only checks, in the server's order: ops present, bin names, flag conflicts.
fn validate_write_ops(req: &RecordRequest<'_, '_>) -> OpResult<()> {
    if req.ops.is_empty() {
        return Err(ResultCode::ParameterError);
    }
    validate::check_set_name(req.set)?;
    for o in req.ops {
        validate::check_bin_name(o.name)?;
    }
    if let Some(key) = req.key {
        validate::check_key(key)?;
    }
    if req.is_replace() && req.ops.iter().any(is_merge_only) {
        return Err(ResultCode::ParameterError);
    }
    let reads_all =
        req.gets_all() && req.ops.iter().any(|o| o.op == op::READ && o.name.is_empty());
    let other_results = req.ops.iter().any(produces_result);
    if reads_all && (req.respond_all() || other_results) {
        return Err(ResultCode::ParameterError);
    }
    Ok(())
}

/// Ops that only make sense on the existing bins, so they conflict with replace policies.
fn is_merge_only(o: &Op<'_>) -> bool {
    match o.op {
        op::TOUCH | op::INCR | op::APPEND | op::PREPEND | op::DELETE | op::CDT_MODIFY => true,
        op::WRITE => o.particle == particle::NULL,
        _ => false,
    }
}

/// Ops whose reply entry carries a value (besides read-all).
fn produces_result(o: &Op<'_>) -> bool {
    match o.op {
        op::READ => !o.name.is_empty(),
        op::CDT_READ | op::CDT_MODIFY => true,
        _ => false,
    }
}

fn check_existence(req: &RecordRequest<'_, '_>, existing: Option<&Record>) -> OpResult<()> {
    let must_exist = req.info3 & (info3::UPDATE_ONLY | info3::REPLACE_ONLY) != 0
        || req.ops.iter().any(|o| o.op == op::TOUCH);
    if must_exist && existing.is_none() {
        return Err(ResultCode::KeyNotFound);
    }
    if req.has(info2::CREATE_ONLY) && existing.is_some() {
        return Err(ResultCode::KeyExists);
    }
    check_generation(req, existing.map_or(0, |r| r.generation))
}

/// Computes the void time for a write TTL (seconds or special value).
fn void_time(ttl: u32, current: Option<u32>, ctx: &WriteCtx<'_>) -> OpResult<u32> {
    let from_now = |secs: u32| if secs == 0 { 0 } else { ctx.now.saturating_add(secs) };
    match ttl {
        0 => Ok(from_now(ctx.default_ttl)),
        TTL_NEVER => Ok(0),
        TTL_KEEP => Ok(current.unwrap_or_else(|| from_now(ctx.default_ttl))),
        secs if secs <= MAX_TTL_SECS => Ok(from_now(secs)),
        _ => Err(ResultCode::ParameterError),
    }
}

fn apply_op(
    bins: &mut Vec<Bin>,
    o: &Op<'_>,
    path: Path,
    entries: &mut Entries<'_>,
) -> OpResult<()> {
    let (Path::Read { respond_all } | Path::Write { respond_all, .. }) = path;
    match o.op {
        op::READ | op::CDT_READ => read_op(bins, o, path, entries),
        op::WRITE => {
            set_bin(bins, o.name, Value::from_particle(o.particle, o.value)?)?;
            null_entry(entries, o, respond_all)
        }
        op::INCR | op::APPEND | op::PREPEND => {
            let operand = Value::from_particle(o.particle, o.value)?;
            let operand = operand.ok_or(ResultCode::ParameterError)?;
            combine(bins, o, operand)?;
            null_entry(entries, o, respond_all)
        }
        op::DELETE => {
            bins.clear();
            null_entry(entries, o, respond_all)
        }
        op::TOUCH => Ok(()),
        op::CDT_MODIFY => cdt_modify(bins, o, respond_all, entries),
        _ => Err(ResultCode::ParameterError),
    }
}

fn null_entry(entries: &mut Entries<'_>, o: &Op<'_>, respond_all: bool) -> OpResult<()> {
    if respond_all {
        entries.push_null(o.op, o.name)
    } else {
        Ok(())
    }
}

/// Sets (or with `None`, removes) the bin `name`, keeping the other bins' order.
fn set_bin(bins: &mut Vec<Bin>, name: &[u8], value: Option<Value>) -> OpResult<()> {
    let pos = bins.iter().position(|b| b.name.as_bytes() == name);
    match (pos, value) {
        (Some(i), Some(v)) => bins[i].value = v,
        (Some(i), None) => {
            bins.remove(i);
        }
        (None, Some(v)) => bins.push(Bin { name: BinName::new(name)?, value: v }),
        (None, None) => {}
    }
    Ok(())
}

/// INCR / APPEND / PREPEND: a missing bin is created with the operand as-is.
fn combine(bins: &mut Vec<Bin>, o: &Op<'_>, operand: Value) -> OpResult<()> {
    let Some(bin) = bins.iter_mut().find(|b| b.name.as_bytes() == o.name) else {
        check_operand(o.op, &operand)?;
        return set_bin(bins, o.name, Some(operand));
    };
    match (o.op, &mut bin.value, operand) {
        (op::INCR, Value::Int(cur), Value::Int(add)) => *cur = cur.wrapping_add(add),
        (op::INCR, Value::Float(cur), Value::Float(add)) => *cur += add,
        (op::APPEND, Value::Str(cur), Value::Str(add))
        | (op::APPEND, Value::Blob(cur), Value::Blob(add)) => cur.extend_from_slice(&add),
        (op::PREPEND, Value::Str(cur), Value::Str(mut add))
        | (op::PREPEND, Value::Blob(cur), Value::Blob(mut add)) => {
            add.extend_from_slice(cur);
            *cur = add;
        }
        _ => return Err(ResultCode::BinTypeError),
    }
    Ok(())
}

fn check_operand(op_type: u8, operand: &Value) -> OpResult<()> {
    let ok = match op_type {
        op::INCR => matches!(operand, Value::Int(_) | Value::Float(_)),
        _ => matches!(operand, Value::Str(_) | Value::Blob(_)),
    };
    if ok {
        Ok(())
    } else {
        Err(ResultCode::BinTypeError)
    }
}

fn cdt_modify(
    bins: &mut Vec<Bin>,
    o: &Op<'_>,
    respond_all: bool,
    entries: &mut Entries<'_>,
) -> OpResult<()> {
    let mut value = find_bin(bins, o.name).map(|b| b.value.clone());
    let result = cdt::modify(&mut value, o.value)?;
    set_bin(bins, o.name, value)?;
    match result {
        Some(v) => entries.push_value(o.op, o.name, &v),
        None => null_entry(entries, o, respond_all),
    }
}

/// The ops removed every bin: a new record is refused, an existing one is deleted.
fn remove_emptied(
    part: &mut PartitionMap,
    digest: &Digest,
    req: &RecordRequest<'_, '_>,
    existed: bool,
) -> OpResult<Meta> {
    if !existed {
        return Err(ResultCode::KeyNotFound);
    }
    if req.has(info2::DURABLE_DELETE) {
        return Err(ResultCode::EnterpriseOnly);
    }
    part.remove(digest);
    Ok(Meta::default())
}

fn build_record(
    mut bins: Vec<Bin>,
    existing: Option<&Record>,
    req: &RecordRequest<'_, '_>,
    void_time: u32,
    ctx: &WriteCtx<'_>,
) -> OpResult<Record> {
    // Records live long; spare capacity left by pushes would be carried for their lifetime.
    bins.shrink_to_fit();
    let old_gen = existing.map_or(0, |r| r.generation);
    let key = match existing.and_then(|r| r.key.clone()) {
        Some(stored) => Some(stored),
        None => req.key.map(Box::from),
    };
    let set: Box<[u8]> = match existing {
        Some(rec) if !rec.set.is_empty() => rec.set.clone(),
        _ => req.set.into(),
    };
    let record = Record {
        bins,
        generation: if old_gen == u16::MAX { 1 } else { old_gen + 1 },
        void_time,
        last_update_nanos: ctx.limits.clock.now_unix_nanos(),
        set,
        key,
    };
    if crate::flat_size::record_size(&record) > ctx.limits.max_record_size {
        return Err(ResultCode::RecordTooBig);
    }
    Ok(record)
}

#[cfg(test)]
#[path = "record_ops_tests.rs"]
mod tests;
