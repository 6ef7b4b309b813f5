//! AS_MSG codec: the 22-byte header, fields and ops, borrowed from the request buffer.

use crate::error::{OpResult, ResultCode};

/// Size of the AS_MSG header that follows the proto header.
pub const MSG_HEADER_LEN: usize = 22;
/// Longest bin name, in bytes.
pub const MAX_BIN_NAME_LEN: usize = 15;

/// info1 bits (read side).
pub mod info1 {
    /// Any read.
    pub const READ: u8 = 0x01;
    /// Read all bins.
    pub const GET_ALL: u8 = 0x02;
    /// Batch parent message.
    pub const BATCH: u8 = 0x08;
    /// Metadata only.
    pub const GET_NO_BINS: u8 = 0x20;
}

/// info2 bits (write side).
pub mod info2 {
    /// Any write, delete or touch.
    pub const WRITE: u8 = 0x01;
    /// Delete the record.
    pub const DELETE: u8 = 0x02;
    /// Apply only if the stored generation equals the sent one.
    pub const GENERATION: u8 = 0x04;
    /// Apply only if the sent generation is greater than the stored one.
    pub const GENERATION_GT: u8 = 0x08;
    /// Durable delete (Enterprise only).
    pub const DURABLE_DELETE: u8 = 0x10;
    /// Fail if the record exists.
    pub const CREATE_ONLY: u8 = 0x20;
    /// Every op gets an entry in the reply.
    pub const RESPOND_ALL_OPS: u8 = 0x80;
}

/// info3 bits (policy and stream markers).
pub mod info3 {
    /// Last record of a stream.
    pub const LAST: u8 = 0x01;
    /// The record must exist; bins are merged.
    pub const UPDATE_ONLY: u8 = 0x08;
    /// Existing bins are dropped before the ops apply.
    pub const CREATE_OR_REPLACE: u8 = 0x10;
    /// The record must exist, then its bins are replaced.
    pub const REPLACE_ONLY: u8 = 0x20;
}

/// Field types.
pub mod field {
    /// Namespace name.
    pub const NAMESPACE: u8 = 0;
    /// Set name.
    pub const SET: u8 = 1;
    /// User key: particle type byte followed by the value.
    pub const KEY: u8 = 2;
    /// 20-byte record digest.
    pub const DIGEST: u8 = 4;
    /// Partition ids, u16 little-endian each.
    pub const PID_ARRAY: u8 = 11;
    /// Resume digests, 20 bytes each.
    pub const DIGEST_ARRAY: u8 = 12;
    /// Maximum records of a scan, u64.
    pub const MAX_RECORDS: u8 = 13;
    /// Batch index payload.
    pub const BATCH_INDEX: u8 = 41;
    /// Filter expression.
    pub const FILTER_EXP: u8 = 43;
    /// Secondary-index query fields (index name, range, context, expression, type).
    pub const INDEX_FIELDS: std::ops::RangeInclusive<u8> = 21..=26;
    /// UDF fields (package, function, argument list, op).
    pub const UDF_FIELDS: std::ops::RangeInclusive<u8> = 30..=33;
}

/// Op types.
pub mod op {
    /// Read a bin (or all bins when the name is empty).
    pub const READ: u8 = 1;
    /// Write a bin (a NULL value deletes it).
    pub const WRITE: u8 = 2;
    /// List/map read.
    pub const CDT_READ: u8 = 3;
    /// List/map modify.
    pub const CDT_MODIFY: u8 = 4;
    /// Add a number.
    pub const INCR: u8 = 5;
    /// Append to a string or blob.
    pub const APPEND: u8 = 9;
    /// Prepend to a string or blob.
    pub const PREPEND: u8 = 10;
    /// Reset the TTL.
    pub const TOUCH: u8 = 11;
    /// Delete all bins.
    pub const DELETE: u8 = 14;
}

/// The AS_MSG header fields the server uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MsgHeader {
    /// Read flags.
    pub info1: u8,
    /// Write flags.
    pub info2: u8,
    /// Policy and stream flags.
    pub info3: u8,
    /// Result code (responses only).
    pub result_code: u8,
    /// Expected generation (requests) or record generation (responses).
    pub generation: u32,
    /// Requests: TTL in seconds or special value; responses: void time.
    pub record_ttl: u32,
    /// Requests: timeout in ms; batch responses: row index.
    pub transaction_ttl: u32,
    /// Number of fields that follow.
    pub n_fields: u16,
    /// Number of ops that follow the fields.
    pub n_ops: u16,
}

/// One field, borrowed from the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field<'a> {
    /// Field type.
    pub kind: u8,
    /// Field payload.
    pub data: &'a [u8],
}

/// One op, borrowed from the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op<'a> {
    /// Op type (`op::READ`, ...).
    pub op: u8,
    /// Particle type of `value`.
    pub particle: u8,
    /// Bin name (may be empty).
    pub name: &'a [u8],
    /// Particle payload.
    pub value: &'a [u8],
}

/// A parsed AS_MSG.
#[derive(Clone, Debug, Default)]
pub struct Message<'a> {
    /// Header.
    pub header: MsgHeader,
    /// Fields in wire order.
    pub fields: Vec<Field<'a>>,
    /// Ops in wire order.
    pub ops: Vec<Op<'a>>,
}

impl<'a> Message<'a> {
    /// The first field of type `kind`, if any.
    #[must_use]
    pub fn field(&self, kind: u8) -> Option<&'a [u8]> {
        find_field(&self.fields, kind)
    }
}

/// Whether `fields` ask for a feature this server does not implement: a UDF call.
#[must_use]
pub fn needs_unsupported_feature(fields: &[Field<'_>]) -> bool {
    fields.iter().any(|f| field::UDF_FIELDS.contains(&f.kind))
}

/// The first field of type `kind` in `fields`.
#[must_use]
pub fn find_field<'a>(fields: &[Field<'a>], kind: u8) -> Option<&'a [u8]> {
    fields.iter().find(|f| f.kind == kind).map(|f| f.data)
}

/// A bounds-checked reader over request bytes; every shortfall is a parameter error.
#[derive(Debug)]
pub struct Cursor<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    /// Starts reading at the beginning of `data`.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self { data, pos: 0 }
    }

    /// Bytes not read yet.
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.data.len() - self.pos
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// `ParameterError` if fewer than `n` bytes remain.
    pub fn bytes(&mut self, n: usize) -> OpResult<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or(ResultCode::ParameterError)?;
        let out = self.data.get(self.pos..end).ok_or(ResultCode::ParameterError)?;
        self.pos = end;
        Ok(out)
    }

    /// Takes a fixed-size array.
    ///
    /// # Errors
    /// `ParameterError` if too few bytes remain.
    pub fn array<const N: usize>(&mut self) -> OpResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N)?);
        Ok(out)
    }

    /// Takes one byte.
    ///
    /// # Errors
    /// `ParameterError` at the end of the data.
    pub fn u8(&mut self) -> OpResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Takes a big-endian u16.
    ///
    /// # Errors
    /// `ParameterError` if too few bytes remain.
    pub fn u16(&mut self) -> OpResult<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Takes a big-endian u32.
    ///
    /// # Errors
    /// `ParameterError` if too few bytes remain.
    pub fn u32(&mut self) -> OpResult<u32> {
        Ok(u32::from_be_bytes(self.array()?))
    }
}

/// Parses a whole AS_MSG body (everything after the proto header).
///
/// # Errors
/// `ParameterError` for a wrong header size, counts that overrun the body, malformed
/// fields or ops, or bytes left over after the last op.
pub fn parse_message(body: &[u8]) -> OpResult<Message<'_>> {
    let mut cur = Cursor::new(body);
    let header = parse_header(&mut cur)?;
    let fields = parse_fields(&mut cur, header.n_fields)?;
    let ops = parse_ops(&mut cur, header.n_ops)?;
    if cur.remaining() != 0 {
        return Err(ResultCode::ParameterError);
    }
    Ok(Message { header, fields, ops })
}

/// Parses the 22-byte header.
///
/// # Errors
/// `ParameterError` if the header-size byte is not 22 or the data is short.
pub fn parse_header(cur: &mut Cursor<'_>) -> OpResult<MsgHeader> {
    if usize::from(cur.u8()?) != MSG_HEADER_LEN {
        return Err(ResultCode::ParameterError);
    }
    let [info1, info2, info3, _info4, result_code] = cur.array()?;
    Ok(MsgHeader {
        info1,
        info2,
        info3,
        result_code,
        generation: cur.u32()?,
        record_ttl: cur.u32()?,
        transaction_ttl: cur.u32()?,
        n_fields: cur.u16()?,
        n_ops: cur.u16()?,
    })
}

/// Parses `n` fields.
///
/// # Errors
/// `ParameterError` if a field's size is 0 or overruns the data.
pub fn parse_fields<'a>(cur: &mut Cursor<'a>, n: u16) -> OpResult<Vec<Field<'a>>> {
    // Each field takes at least 5 bytes, so a lying count cannot inflate the allocation.
    let mut fields = Vec::with_capacity(usize::from(n).min(cur.remaining() / 5));
    for _ in 0..n {
        let size = usize::try_from(cur.u32()?).map_err(|_| ResultCode::ParameterError)?;
        let data_len = size.checked_sub(1).ok_or(ResultCode::ParameterError)?;
        let kind = cur.u8()?;
        fields.push(Field { kind, data: cur.bytes(data_len)? });
    }
    Ok(fields)
}

/// Parses `n` ops.
///
/// # Errors
/// `ParameterError` if an op's size is below its fixed part or overruns the data.
pub fn parse_ops<'a>(cur: &mut Cursor<'a>, n: u16) -> OpResult<Vec<Op<'a>>> {
    let mut ops = Vec::with_capacity(usize::from(n).min(cur.remaining() / 8));
    for _ in 0..n {
        let size = usize::try_from(cur.u32()?).map_err(|_| ResultCode::ParameterError)?;
        let [op, particle, _flags, name_len] = cur.array()?;
        let name_len = usize::from(name_len);
        let value_len = size.checked_sub(4 + name_len).ok_or(ResultCode::ParameterError)?;
        let name = cur.bytes(name_len)?;
        ops.push(Op { op, particle, name, value: cur.bytes(value_len)? });
    }
    Ok(ops)
}

/// Encodes a 22-byte header.
#[must_use]
pub fn header_bytes(h: &MsgHeader) -> [u8; MSG_HEADER_LEN] {
    let mut out = [0u8; MSG_HEADER_LEN];
    out[..6].copy_from_slice(&[22, h.info1, h.info2, h.info3, 0, h.result_code]);
    out[6..10].copy_from_slice(&h.generation.to_be_bytes());
    out[10..14].copy_from_slice(&h.record_ttl.to_be_bytes());
    out[14..18].copy_from_slice(&h.transaction_ttl.to_be_bytes());
    out[18..20].copy_from_slice(&h.n_fields.to_be_bytes());
    out[20..].copy_from_slice(&h.n_ops.to_be_bytes());
    out
}

/// Appends a 22-byte header to `buf`.
pub fn put_header(buf: &mut Vec<u8>, h: &MsgHeader) {
    buf.extend_from_slice(&header_bytes(h));
}

/// Appends a field with the given payload parts (concatenated) to `buf`.
pub fn put_field(buf: &mut Vec<u8>, kind: u8, parts: &[&[u8]]) {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    buf.extend_from_slice(&wire_u32(len + 1).to_be_bytes());
    buf.push(kind);
    for part in parts {
        buf.extend_from_slice(part);
    }
}

/// Appends an op header for a value of `value_len` bytes; the caller appends the value.
///
/// Bin names are at most 15 bytes wherever the server builds ops, so the name length fits.
pub fn put_op_header(buf: &mut Vec<u8>, op_type: u8, particle: u8, name: &[u8], value_len: usize) {
    let name_len = u8::try_from(name.len()).unwrap_or(u8::MAX);
    let name = &name[..usize::from(name_len)];
    buf.extend_from_slice(&wire_u32(4 + name.len() + value_len).to_be_bytes());
    buf.extend_from_slice(&[op_type, particle, 0, name_len]);
    buf.extend_from_slice(name);
}

/// Converts a length to the u32 the wire carries, saturating (frames are far smaller).
#[must_use]
pub fn wire_u32(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let clean: String = s.chars().filter(char::is_ascii_hexdigit).collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The put of `{"a": 1, "s": "hi"}` captured from the real client (body only).
    fn captured_put() -> Vec<u8> {
        let mut body = hex("16 00 01 00 00 00 00000000 00000000 000003e8 0003 0002");
        body.extend(hex("00000005 00"));
        body.extend(b"test");
        body.extend(hex("00000005 01"));
        body.extend(b"demo");
        body.extend(hex("00000015 04 b747f5854d0b33259928d0cfab7fad81d6abfbf6"));
        body.extend(hex("0000000d 02 01 00 01 61 0000000000000001"));
        body.extend(hex("00000007 02 03 00 01 73 6869"));
        body
    }

    #[test]
    fn parses_captured_put() {
        let body = captured_put();
        assert_eq!(body.len(), 0x5d);
        let msg = parse_message(&body).unwrap();
        assert_eq!(msg.header.info2, info2::WRITE);
        assert_eq!(msg.header.transaction_ttl, 1000);
        assert_eq!(msg.field(field::NAMESPACE), Some(&b"test"[..]));
        assert_eq!(msg.field(field::SET), Some(&b"demo"[..]));
        assert_eq!(msg.field(field::DIGEST).map(<[u8]>::len), Some(20));
        assert_eq!(msg.ops.len(), 2);
        assert_eq!(
            msg.ops[0],
            Op { op: 2, particle: 1, name: b"a", value: &[0, 0, 0, 0, 0, 0, 0, 1] }
        );
        assert_eq!(msg.ops[1], Op { op: 2, particle: 3, name: b"s", value: b"hi" });
    }

    #[test]
    fn lying_counts_and_trailing_bytes_are_parameter_errors() {
        let mut body = captured_put();
        body[21] = 3; // n_ops 3, only 2 present
        assert_eq!(parse_message(&body).unwrap_err(), ResultCode::ParameterError);
        let mut body = captured_put();
        body.push(0);
        assert_eq!(parse_message(&body).unwrap_err(), ResultCode::ParameterError);
        let mut body = captured_put();
        body[0] = 21;
        assert_eq!(parse_message(&body).unwrap_err(), ResultCode::ParameterError);
        assert!(parse_message(&body[..10]).is_err());
    }

    #[test]
    fn zero_size_field_and_short_op_are_rejected() {
        let mut body = hex("16 00 00 00 00 00 00000000 00000000 00000000 0001 0000");
        body.extend(hex("00000000 00"));
        assert!(parse_message(&body).is_err());
        let mut body = hex("16 00 00 00 00 00 00000000 00000000 00000000 0000 0001");
        body.extend(hex("00000002 01 00 00 05"));
        assert!(parse_message(&body).is_err());
    }

    #[test]
    fn builds_captured_put_reply() {
        let mut buf = Vec::new();
        put_header(&mut buf, &MsgHeader { generation: 1, ..MsgHeader::default() });
        assert_eq!(buf, hex("16 00 00 00 00 00 00000001 00000000 00000000 0000 0000"));
    }

    #[test]
    fn builds_captured_get_ops() {
        let mut buf = Vec::new();
        put_op_header(&mut buf, op::READ, 1, b"a", 8);
        buf.extend(1i64.to_be_bytes());
        put_op_header(&mut buf, op::READ, 3, b"s", 2);
        buf.extend(b"hi");
        let mut want = hex("0000000d 01 01 00 01 61 0000000000000001");
        want.extend(hex("00000007 01 03 00 01 73 6869"));
        assert_eq!(buf, want);
    }
}
