//! Return types of get/remove-by ops and the result values they build.
//!
//! A selection is a list of stored positions in the order results are listed. Index
//! results count maps in key order; rank results count in value order. Map-shaped results
//! (key-value, unordered map, ordered map) exist for maps only; on a list they are
//! `OpNotApplicable`.

use super::msgpack::{Map, Val};
use super::select;
use crate::error::{OpResult, ResultCode};

/// Return-type bit asking for everything except the selection.
pub const INVERTED: i64 = 0x1_0000;

/// Map flag of key-value results: pairs in the order listed.
const PRESERVE_ORDER: u8 = 0x08;
/// Map flag of key-ordered maps.
pub const KEY_ORDERED: u8 = 0x01;

/// What a get/remove-by op returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Nothing.
    None,
    /// Index of each element.
    Index,
    /// Index counted from the end.
    ReverseIndex,
    /// Rank of each element.
    Rank,
    /// Rank counted from the largest.
    ReverseRank,
    /// Number of elements.
    Count,
    /// Map keys.
    Key,
    /// Values.
    Value,
    /// Key-value pairs, as a map preserving the listed order.
    KeyValue,
    /// Whether anything was selected.
    Exists,
    /// Key-value pairs as a plain map.
    UnorderedMap,
    /// Key-value pairs as a key-ordered map.
    OrderedMap,
}

/// A parsed return-type argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReturnType {
    /// What to return.
    pub kind: Kind,
    /// Select everything except the matched elements.
    pub inverted: bool,
}

impl ReturnType {
    /// Parses a return-type integer (low 16 bits the type, bit 16 inverted).
    ///
    /// # Errors
    /// `ParameterError` for unknown types, including the index/rank-range types 9–12.
    pub fn parse(raw: i64) -> OpResult<Self> {
        let kind = match raw & 0xffff {
            0 => Kind::None,
            1 => Kind::Index,
            2 => Kind::ReverseIndex,
            3 => Kind::Rank,
            4 => Kind::ReverseRank,
            5 => Kind::Count,
            6 => Kind::Key,
            7 => Kind::Value,
            8 => Kind::KeyValue,
            13 => Kind::Exists,
            16 => Kind::UnorderedMap,
            17 => Kind::OrderedMap,
            _ => return Err(ResultCode::ParameterError),
        };
        if raw & !(0xffff | INVERTED) != 0 {
            return Err(ResultCode::ParameterError);
        }
        Ok(Self { kind, inverted: raw & INVERTED != 0 })
    }

    /// True for types that carry keys (meaningless on lists).
    #[must_use]
    pub fn needs_keys(self) -> bool {
        matches!(self.kind, Kind::Key | Kind::KeyValue | Kind::UnorderedMap | Kind::OrderedMap)
    }

    /// Applies the inverted flag to `picked` (a single-element op cannot be inverted).
    ///
    /// # Errors
    /// `OpNotApplicable` for an inverted single-element op.
    pub fn resolve(self, picked: Vec<usize>, len: usize, single: bool) -> OpResult<Vec<usize>> {
        match (self.inverted, single) {
            (false, _) => Ok(picked),
            (true, true) => Err(ResultCode::OpNotApplicable),
            (true, false) => Ok(select::complement(&picked, len)),
        }
    }
}

/// How a multi selection lists its index or rank numbers (not inverted).
///
/// The server lists them in one of three ways (aerospike-server `cdt.c`:
/// `result_data_set_int_list_by_mask`, `result_data_set_index_rank_count`,
/// `result_data_set_by_irc`): ascending over a mask, where a reverse type flips each number
/// (so the list descends); as contiguous runs, where a reverse type flips each run as a
/// whole (so it still ascends); or one number per element in the order it was found, each
/// flipped on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Numbering {
    /// Ascending over the selection.
    Sorted,
    /// One run: the selection is contiguous in the return type's own order.
    Run,
    /// One number per picked position, in picked order.
    Listed,
    /// Explicit runs `(start, count)`, in this order.
    Runs(Vec<(usize, usize)>),
    /// Explicit numbers, in this order.
    Numbers(Vec<usize>),
}

/// Read access to a container's elements for building results.
pub trait Elements<'a> {
    /// Number of elements.
    fn size(&self) -> usize;
    /// Value at a stored position.
    fn value(&self, pos: usize) -> &Val<'a>;
    /// Key at a stored position (maps only).
    fn key(&self, pos: usize) -> Option<&Val<'a>>;
    /// Index of every stored position (identity for lists and key-ordered maps).
    fn indexes(&self) -> Vec<usize>;
    /// Rank (value order) of every stored position.
    fn ranks(&self) -> Vec<usize>;
}

/// Builds the result of a selection; `single` ops return bare elements.
///
/// # Errors
/// `OpNotApplicable` for key-carrying return types on a list.
pub fn build<'a>(
    rt: ReturnType,
    single: bool,
    picked: &[usize],
    elems: &impl Elements<'a>,
    numbering: &Numbering,
) -> OpResult<Option<Val<'a>>> {
    let len = elems.size();
    let count = i64::try_from(picked.len()).map_err(|_| ResultCode::ParameterError)?;
    let result = match rt.kind {
        Kind::None => return Ok(None),
        Kind::Count => Val::Int(count),
        Kind::Exists => Val::Bool(count > 0),
        Kind::Index | Kind::ReverseIndex | Kind::Rank | Kind::ReverseRank => {
            let by_rank = matches!(rt.kind, Kind::Rank | Kind::ReverseRank);
            let table = if by_rank { elems.ranks() } else { elems.indexes() };
            let reverse = matches!(rt.kind, Kind::ReverseIndex | Kind::ReverseRank);
            if single || rt.inverted {
                numbers(picked, &table, reverse, len, single)
            } else {
                listed(picked, &table, reverse, len, numbering)
            }
        }
        Kind::Value => return Ok(elements(picked, single, |p| Some(elems.value(p).clone()))),
        Kind::Key => {
            check_keyed(elems)?;
            return Ok(elements(picked, single, |p| elems.key(p).cloned()));
        }
        Kind::KeyValue | Kind::UnorderedMap | Kind::OrderedMap => {
            check_keyed(elems)?;
            Val::Map(pairs(rt.kind, picked, elems))
        }
    };
    Ok(Some(result))
}

fn check_keyed<'a>(elems: &impl Elements<'a>) -> OpResult<()> {
    if elems.size() > 0 && elems.key(0).is_none() {
        return Err(ResultCode::OpNotApplicable);
    }
    Ok(())
}

/// Index or rank numbers: ascending for multi results, -1 for a single miss.
#[allow(clippy::cast_possible_wrap)] // element counts stay far below i64::MAX
fn numbers(
    picked: &[usize],
    table: &[usize],
    reverse: bool,
    len: usize,
    single: bool,
) -> Val<'static> {
    let mut nums: Vec<usize> = picked.iter().map(|p| table[*p]).collect();
    nums.sort_unstable();
    let flip = |n: usize| if reverse { (len - 1 - n) as i64 } else { n as i64 };
    if single {
        return Val::Int(nums.first().map_or(-1, |n| flip(*n)));
    }
    Val::List(super::msgpack::List {
        flags: 0,
        items: nums.into_iter().map(|n| Val::Int(flip(n))).collect(),
    })
}

/// Index or rank numbers of a non-inverted multi selection, listed as `numbering` says.
#[allow(clippy::cast_possible_wrap)] // element counts stay far below i64::MAX
fn listed(
    picked: &[usize],
    table: &[usize],
    reverse: bool,
    len: usize,
    numbering: &Numbering,
) -> Val<'static> {
    let flip = |n: usize| if reverse { len - 1 - n } else { n };
    let run = |(start, count): (usize, usize)| {
        let first = if reverse { len - start - count } else { start };
        first..first + count
    };
    let nums: Vec<usize> = match numbering {
        Numbering::Sorted => return numbers(picked, table, reverse, len, false),
        Numbering::Run => {
            let start = picked.iter().map(|p| table[*p]).min().unwrap_or(0);
            run((start, picked.len())).collect()
        }
        Numbering::Listed => picked.iter().map(|p| flip(table[*p])).collect(),
        Numbering::Runs(runs) => runs.iter().flat_map(|r| run(*r)).collect(),
        Numbering::Numbers(ns) => ns.iter().map(|n| flip(*n)).collect(),
    };
    Val::List(super::msgpack::List {
        flags: 0,
        items: nums.into_iter().map(|n| Val::Int(n as i64)).collect(),
    })
}

fn elements<'a>(
    picked: &[usize],
    single: bool,
    get: impl Fn(usize) -> Option<Val<'a>>,
) -> Option<Val<'a>> {
    if single {
        return picked.first().and_then(|p| get(*p));
    }
    let items = picked.iter().filter_map(|p| get(*p)).collect();
    Some(Val::List(super::msgpack::List { flags: 0, items }))
}

fn pairs<'a>(kind: Kind, picked: &[usize], elems: &impl Elements<'a>) -> Map<'a> {
    let mut pairs: Vec<(Val<'a>, Val<'a>)> = picked
        .iter()
        .filter_map(|p| Some((elems.key(*p)?.clone(), elems.value(*p).clone())))
        .collect();
    let flags = match kind {
        Kind::KeyValue => PRESERVE_ORDER,
        Kind::OrderedMap => {
            pairs.sort_by(|a, b| super::order::compare(&a.0, &b.0));
            KEY_ORDERED
        }
        _ => 0,
    };
    Map { flags, pairs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_types_parse_with_the_inverted_bit() {
        let rt = ReturnType::parse(7 | INVERTED).unwrap();
        assert_eq!(rt, ReturnType { kind: Kind::Value, inverted: true });
        assert_eq!(ReturnType::parse(9), Err(ResultCode::ParameterError));
        assert_eq!(ReturnType::parse(1 << 20), Err(ResultCode::ParameterError));
    }

    #[test]
    fn inverted_single_ops_are_not_applicable() {
        let rt = ReturnType::parse(7 | INVERTED).unwrap();
        assert_eq!(rt.resolve(vec![1], 3, true), Err(ResultCode::OpNotApplicable));
        assert_eq!(rt.resolve(vec![1], 3, false), Ok(vec![0, 2]));
    }
}
