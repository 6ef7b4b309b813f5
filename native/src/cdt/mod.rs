//! List and map operations (CDT ops, op types 3 `CDT_READ` and 4 `CDT_MODIFY`).
//!
//! A CDT op's value is a msgpack array `[op code, args…]`: list codes 0–40, map codes
//! 64–110 (see [`list::code`] and [`map::code`]). List and map bins are stored as msgpack
//! (`Value::List` / `Value::Map`); an op decodes the bin, applies itself, and re-encodes
//! the bin if it changed. Every step is linear or `n log n` in the element count.
//!
//! Limits: nesting deeper than [`msgpack::MAX_DEPTH`] and malformed msgpack are
//! `ParameterError` (4); the context form (`[0xff, ctx, op]`) is `UnsupportedFeature` (16).

pub mod args;
pub mod list;
pub mod map;
pub mod msgpack;
pub mod order;
pub mod result;
pub mod select;

use self::args::Args;
use self::msgpack::{List, Map, Val};
use crate::error::{OpResult, ResultCode};
use crate::validate::{self, Top, Use};
use crate::value::{Bytes, Value};

/// Op code of the nested-context form, which this server does not implement.
const CONTEXT_EVAL: i64 = 0xff;
/// Particle-type byte of strings inside msgpack.
const STRING: u8 = 3;

/// What an op produced: its result, and whether the container may have changed.
#[derive(Debug)]
pub struct Outcome<'a> {
    /// The op's result value, if any.
    pub result: Option<Val<'a>>,
    /// Whether the container must be written back.
    pub changed: bool,
}

/// A parsed CDT op.
struct CdtOp<'a> {
    code: u8,
    args: Args<'a>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    List,
    Map,
}

impl CdtOp<'_> {
    fn family(&self) -> Family {
        if list::is_known(self.code) {
            Family::List
        } else {
            Family::Map
        }
    }

    fn is_read(&self) -> bool {
        match self.family() {
            Family::List => list::is_read(self.code),
            Family::Map => map::is_read(self.code),
        }
    }
}

fn parse(payload: &[u8]) -> OpResult<CdtOp<'_>> {
    // Values inside the op are held to the same rules as stored ones (range ends and
    // wildcards aside), so nothing the client cannot read gets into a bin.
    validate::check_msgpack(payload, Top::List, Use::Request)
        .map_err(|_| ResultCode::ParameterError)?;
    let Val::List(List { items, .. }) = msgpack::decode(payload)? else {
        return Err(ResultCode::ParameterError);
    };
    let mut items = items.into_iter();
    let code = match items.next() {
        Some(Val::Int(CONTEXT_EVAL)) => return Err(ResultCode::UnsupportedFeature),
        Some(Val::Int(code)) => u8::try_from(code).map_err(|_| ResultCode::ParameterError)?,
        _ => return Err(ResultCode::ParameterError),
    };
    if !list::is_known(code) && !map::is_known(code) {
        return Err(ResultCode::ParameterError);
    }
    Ok(CdtOp { code, args: Args::new(items.collect()) })
}

/// Applies a CDT read (`payload` is the msgpack op) to `bin`; returns the result value.
///
/// A missing bin gives no result.
///
/// # Errors
/// `ParameterError` for malformed ops or a modify op code, `BinTypeError` for a bin of
/// another type, or the op's own result code.
pub fn read(bin: Option<&Value>, payload: &[u8]) -> OpResult<Option<Value>> {
    let op = parse(payload)?;
    if !op.is_read() {
        return Err(ResultCode::ParameterError);
    }
    let Some(bin) = bin else {
        return Ok(None);
    };
    let outcome = match (op.family(), bin) {
        (Family::List, Value::List(bytes)) => {
            list::execute(op.code, &op.args, &mut decode_list(bytes)?)?
        }
        (Family::Map, Value::Map(bytes)) => {
            map::execute(op.code, &op.args, &mut decode_map(bytes)?)?
        }
        _ => return Err(ResultCode::BinTypeError),
    };
    to_value(outcome.result.as_ref())
}

/// What a modify leaves in the bin.
enum Stored {
    /// The bin as it was (still missing if it was missing).
    Unchanged,
    /// New list or map bytes.
    Set(Value),
}

/// Applies a CDT modify to `bin` (created when `None` and the op creates); returns the
/// op's result value. On error the bin is left as it was.
///
/// # Errors
/// `ParameterError` for malformed ops, `BinTypeError` for a bin of another type, or the
/// op's own result code.
pub fn modify(bin: &mut Option<Value>, payload: &[u8]) -> OpResult<Option<Value>> {
    let op = parse(payload)?;
    let old = bin.take();
    let outcome = match (op.family(), old.as_ref()) {
        (Family::List, None | Some(Value::List(_))) => modify_list(&op, old.as_ref()),
        (Family::Map, None | Some(Value::Map(_))) => modify_map(&op, old.as_ref()),
        _ => Err(ResultCode::BinTypeError),
    };
    match outcome {
        Ok((Stored::Set(value), result)) => {
            *bin = Some(value);
            Ok(result)
        }
        Ok((Stored::Unchanged, result)) => {
            *bin = old;
            Ok(result)
        }
        Err(rc) => {
            *bin = old;
            Err(rc)
        }
    }
}

fn modify_list(op: &CdtOp<'_>, old: Option<&Value>) -> OpResult<(Stored, Option<Value>)> {
    let mut list = match old {
        Some(Value::List(bytes)) => decode_list(bytes)?,
        _ if op.code == list::code::SORT => return Err(ResultCode::BinTypeError),
        _ if list::is_noop_when_missing(op.code) || op.is_read() => {
            return Ok((Stored::Unchanged, None));
        }
        _ => List { flags: list::create_flags(op.code, &op.args)?, items: Vec::new() },
    };
    let outcome = list::execute(op.code, &op.args, &mut list)?;
    let result = to_value(outcome.result.as_ref())?;
    let keep_missing = old.is_none() && list.items.is_empty() && op.code != list::code::SET_TYPE;
    if !outcome.changed || keep_missing {
        return Ok((Stored::Unchanged, result));
    }
    let mut out = Vec::new();
    msgpack::encode_list(&list, &mut out);
    Ok((Stored::Set(checked(Value::List(Bytes::from_vec(out)))?), result))
}

fn modify_map(op: &CdtOp<'_>, old: Option<&Value>) -> OpResult<(Stored, Option<Value>)> {
    let mut map = match old {
        Some(Value::Map(bytes)) => decode_map(bytes)?,
        _ if map::is_noop_when_missing(op.code) || op.is_read() => {
            return Ok((Stored::Unchanged, None));
        }
        _ => Map { flags: map::create_flags(op.code, &op.args)?, pairs: Vec::new() },
    };
    let outcome = map::execute(op.code, &op.args, &mut map)?;
    let result = to_value(outcome.result.as_ref())?;
    let keep_missing = old.is_none() && map.pairs.is_empty() && op.code != map::code::SET_TYPE;
    if !outcome.changed || keep_missing {
        return Ok((Stored::Unchanged, result));
    }
    let mut out = Vec::new();
    msgpack::encode_map(&map, &mut out);
    Ok((Stored::Set(checked(Value::Map(Bytes::from_vec(out)))?), result))
}

/// A list or map a modify produced, checked like any stored value.
///
/// # Errors
/// `ParameterError` (a CDT op's answer to bad values on a real server) if it could
/// not be read back, e.g. nested deeper than [`msgpack::MAX_DEPTH`].
fn checked(value: Value) -> OpResult<Value> {
    let (Value::List(bytes) | Value::Map(bytes)) = &value else { return Ok(value) };
    let top = if matches!(value, Value::List(_)) { Top::List } else { Top::Map };
    validate::check_msgpack(bytes, top, Use::Storage).map_err(|_| ResultCode::ParameterError)?;
    Ok(value)
}

/// Decodes a stored list; an ordered list that is not sorted gets sorted.
fn decode_list(bytes: &[u8]) -> OpResult<List<'_>> {
    let Val::List(mut list) = msgpack::decode(bytes)? else {
        return Err(ResultCode::ParameterError);
    };
    let is_sorted = list.items.is_sorted_by(|a, b| order::compare(a, b).is_le());
    if list.flags & 0x01 != 0 && !is_sorted {
        list.items.sort_by(order::compare);
    }
    Ok(list)
}

/// Decodes a stored map; a key-ordered map that is not sorted gets sorted.
fn decode_map(bytes: &[u8]) -> OpResult<Map<'_>> {
    let Val::Map(mut map) = msgpack::decode(bytes)? else {
        return Err(ResultCode::ParameterError);
    };
    let is_sorted = map.pairs.is_sorted_by(|a, b| order::compare(&a.0, &b.0).is_le());
    if map.flags & 0x01 != 0 && !is_sorted {
        map::sort_by_key(&mut map.pairs);
    }
    Ok(map)
}

/// Adds `delta` (nil = 1) to `current` (missing = 0) the way the server does: the stored
/// number keeps its type, so an integer plus 0.5 stays an integer (the delta truncated).
///
/// # Errors
/// `ParameterError` if `current` or `delta` is not a number.
pub fn add_delta<'a>(
    current: Option<&Val<'_>>,
    delta: &Val<'_>,
    negate: bool,
) -> OpResult<Val<'a>> {
    let (mut int, mut float, is_float) = match delta {
        Val::Nil => (1, 1.0, false),
        Val::Int(i) => (*i, 1.0, false),
        Val::Float(f) => (1, *f, true),
        _ => return Err(ResultCode::ParameterError),
    };
    if negate {
        int = int.wrapping_neg();
        float = -float;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)] // as the server
    let value = match current {
        Some(Val::Int(v)) if is_float => Val::Int(v.wrapping_add(float as i64)),
        Some(Val::Int(v)) => Val::Int(v.wrapping_add(int)),
        Some(Val::Float(v)) if is_float => Val::Float(v + float),
        Some(Val::Float(v)) => Val::Float(v + int as f64),
        Some(_) => return Err(ResultCode::ParameterError),
        None if is_float => Val::Float(float),
        None => Val::Int(int),
    };
    Ok(value)
}

/// Converts an op result to a bin value (nil gives a NULL entry).
fn to_value(result: Option<&Val<'_>>) -> OpResult<Option<Value>> {
    let value = match result {
        None | Some(Val::Nil) => return Ok(None),
        Some(Val::Bool(b)) => Value::Bool(*b),
        Some(Val::Int(i)) => Value::Int(*i),
        Some(Val::Float(f)) => Value::Float(*f),
        Some(Val::Bytes([STRING, text @ ..])) => Value::Str(Bytes::from_slice(text)),
        Some(Val::Bytes([_, data @ ..])) => Value::Blob(Bytes::from_slice(data)),
        Some(Val::Bytes([])) => Value::Blob(Bytes::new()),
        Some(Val::List(list)) => {
            let mut out = Vec::new();
            msgpack::encode_list(list, &mut out);
            Value::List(Bytes::from_vec(out))
        }
        Some(Val::Map(map)) => {
            let mut out = Vec::new();
            msgpack::encode_map(map, &mut out);
            Value::Map(Bytes::from_vec(out))
        }
        Some(Val::Ext(_) | Val::Wildcard | Val::Infinity) => {
            return Err(ResultCode::ParameterError);
        }
    };
    Ok(Some(value))
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
