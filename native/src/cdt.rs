//! Boundary for list and map operations (CDT ops, op types 3 and 4).
//!
//! Not implemented yet: every CDT op answers `UnsupportedFeature` (16). List and map bins
//! are stored as the msgpack bytes the client sent (`Value::List` / `Value::Map`), so an
//! engine for list ops (1001–1031 on the client side) and map ops (2001–2027) with
//! Aerospike's value ordering plugs in here without touching the store or the codec.

use crate::error::{OpResult, ResultCode};
use crate::value::Value;

/// Applies a CDT read (`payload` is the msgpack op) to `bin`; returns the result value.
///
/// # Errors
/// Always `UnsupportedFeature` for now.
pub fn read(bin: Option<&Value>, payload: &[u8]) -> OpResult<Option<Value>> {
    let _ = (bin, payload);
    Err(ResultCode::UnsupportedFeature)
}

/// Applies a CDT modify to `bin` (created when `None`); returns the op's result value.
///
/// # Errors
/// Always `UnsupportedFeature` for now.
pub fn modify(bin: &mut Option<Value>, payload: &[u8]) -> OpResult<Option<Value>> {
    let _ = (bin, payload);
    Err(ResultCode::UnsupportedFeature)
}
