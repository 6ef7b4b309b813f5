//! Typed access to the arguments of a CDT op (`[op code, arg0, arg1, …]`).

use super::msgpack::{List, Map, Val};
use super::result::ReturnType;
use super::select::TO_END;
use crate::error::{OpResult, ResultCode};

/// Arguments after the op code. Missing or mistyped required arguments are a
/// `ParameterError`; optional ones that are absent or nil take their default.
#[derive(Debug)]
pub struct Args<'a> {
    items: Vec<Val<'a>>,
}

impl<'a> Args<'a> {
    /// Wraps decoded arguments.
    #[must_use]
    pub fn new(items: Vec<Val<'a>>) -> Self {
        Self { items }
    }

    /// Argument `i`, if present.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<&Val<'a>> {
        self.items.get(i)
    }

    /// Required argument `i`.
    ///
    /// # Errors
    /// `ParameterError` when absent.
    pub fn value(&self, i: usize) -> OpResult<&Val<'a>> {
        self.get(i).ok_or(ResultCode::ParameterError)
    }

    /// Required argument `i`, as a value that may be stored (no Infinity or Wildcard).
    ///
    /// # Errors
    /// `ParameterError` when absent or not storable.
    pub fn storable(&self, i: usize) -> OpResult<Val<'a>> {
        let value = self.value(i)?;
        if value.is_non_storage() {
            return Err(ResultCode::ParameterError);
        }
        Ok(value.clone())
    }

    /// Required integer argument `i`.
    ///
    /// # Errors
    /// `ParameterError` when absent or not an integer.
    pub fn int(&self, i: usize) -> OpResult<i64> {
        match self.get(i) {
            Some(Val::Int(n)) => Ok(*n),
            _ => Err(ResultCode::ParameterError),
        }
    }

    /// Optional integer argument `i` (absent or nil gives `default`).
    ///
    /// # Errors
    /// `ParameterError` when present but not an integer.
    pub fn int_or(&self, i: usize, default: i64) -> OpResult<i64> {
        match self.get(i) {
            None | Some(Val::Nil) => Ok(default),
            Some(Val::Int(n)) => Ok(*n),
            Some(_) => Err(ResultCode::ParameterError),
        }
    }

    /// Optional count argument `i`: absent means to the end.
    ///
    /// # Errors
    /// `ParameterError` when negative or not an integer.
    pub fn count(&self, i: usize) -> OpResult<u64> {
        self.count_or(i, TO_END)
    }

    /// Optional count argument `i` with a default.
    ///
    /// # Errors
    /// `ParameterError` when negative or not an integer.
    pub fn count_or(&self, i: usize, default: u64) -> OpResult<u64> {
        match self.get(i) {
            None | Some(Val::Nil) => Ok(default),
            Some(Val::Int(n)) => u64::try_from(*n).map_err(|_| ResultCode::ParameterError),
            Some(_) => Err(ResultCode::ParameterError),
        }
    }

    /// Required list argument `i`.
    ///
    /// # Errors
    /// `ParameterError` when absent or not a list.
    pub fn list(&self, i: usize) -> OpResult<&[Val<'a>]> {
        match self.get(i) {
            Some(Val::List(List { items, .. })) => Ok(items),
            _ => Err(ResultCode::ParameterError),
        }
    }

    /// Required list argument `i`, every element storable.
    ///
    /// # Errors
    /// `ParameterError` when absent, not a list, or holding Infinity or Wildcard.
    pub fn storable_list(&self, i: usize) -> OpResult<Vec<Val<'a>>> {
        let items = self.list(i)?;
        if items.iter().any(Val::is_non_storage) {
            return Err(ResultCode::ParameterError);
        }
        Ok(items.to_vec())
    }

    /// Required map argument `i`, every key and value storable.
    ///
    /// # Errors
    /// `ParameterError` when absent, not a map, or holding Infinity or Wildcard.
    pub fn map(&self, i: usize) -> OpResult<Vec<(Val<'a>, Val<'a>)>> {
        match self.get(i) {
            Some(v @ Val::Map(Map { pairs, .. })) if !v.is_non_storage() => Ok(pairs.clone()),
            _ => Err(ResultCode::ParameterError),
        }
    }

    /// The end of a value or key interval: absent, nil-free Infinity means no bound.
    #[must_use]
    pub fn range_end(&self, i: usize) -> Option<&Val<'a>> {
        match self.get(i) {
            None | Some(Val::Infinity) => None,
            Some(v) => Some(v),
        }
    }

    /// Required return-type argument `i`.
    ///
    /// # Errors
    /// `ParameterError` when absent or unknown.
    pub fn return_type(&self, i: usize) -> OpResult<ReturnType> {
        ReturnType::parse(self.int(i)?)
    }
}
