//! Map ops (CDT op codes 64–110) on a decoded map.
//!
//! Unordered maps keep keys in insertion order; key-ordered maps (flag `0x01`, or `0x03`
//! key-value-ordered) stay sorted by key. Map indexes always count in key order, ranks
//! in value order (ties in stored order). Value, key and list selections list their results
//! in stored order; index and rank ranges in key and value order.

use std::cell::OnceCell;
use std::cmp::Ordering;

use super::args::Args;
use super::msgpack::{Map, Val};
use super::order::compare;
use super::result::{self, Elements, Kind, Numbering};
use super::select::{self, TO_END};
use super::Outcome;
use crate::error::{OpResult, ResultCode};

/// What an op answers: its result value, if any.
type Answer<'a> = OpResult<Option<Val<'a>>>;

/// Map op codes.
pub mod code {
    /// Set the map order.
    pub const SET_TYPE: u8 = 64;
    /// Put, failing if the key exists.
    pub const ADD: u8 = 65;
    /// Put several, failing if any key exists.
    pub const ADD_ITEMS: u8 = 66;
    /// Put one pair.
    pub const PUT: u8 = 67;
    /// Put several pairs.
    pub const PUT_ITEMS: u8 = 68;
    /// Put, failing if the key is missing.
    pub const REPLACE: u8 = 69;
    /// Put several, failing if any key is missing.
    pub const REPLACE_ITEMS: u8 = 70;
    /// Add to a number.
    pub const INCREMENT: u8 = 73;
    /// Subtract from a number.
    pub const DECREMENT: u8 = 74;
    /// Remove everything.
    pub const CLEAR: u8 = 75;
    /// First remove-by op.
    pub const REMOVE_BY_KEY: u8 = 76;
    /// Last remove-by op.
    pub const REMOVE_BY_VALUE_REL_RANK_RANGE: u8 = 89;
    /// Element count.
    pub const SIZE: u8 = 96;
    /// First get-by op.
    pub const GET_BY_KEY: u8 = 97;
    /// Last get-by op.
    pub const GET_BY_VALUE_REL_RANK_RANGE: u8 = 110;
}

/// Map flag: sorted by key.
const KEY_ORDERED: u8 = 0x01;

/// How a get/remove-by op selects elements.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Selector {
    Key,
    Index,
    Value,
    Rank,
    AllByValue,
    KeyInterval,
    IndexRange,
    ValueInterval,
    RankRange,
    KeyList,
    ValueList,
    KeyRelIndexRange,
    ValueRelRankRange,
}

/// The selector of a get-by or remove-by code, and whether it removes.
fn selector(op: u8) -> Option<(Selector, bool)> {
    use Selector as S;
    let found = match op {
        76 | 97 => S::Key,
        77 | 98 => S::Index,
        78 | 99 => S::Value,
        79 | 100 => S::Rank,
        81 | 107 => S::KeyList,
        82 | 102 => S::AllByValue,
        83 | 108 => S::ValueList,
        84 | 103 => S::KeyInterval,
        85 | 104 => S::IndexRange,
        86 | 105 => S::ValueInterval,
        87 | 106 => S::RankRange,
        88 | 109 => S::KeyRelIndexRange,
        89 | 110 => S::ValueRelRankRange,
        _ => return None,
    };
    Some((found, op < code::SIZE))
}

/// True for op codes that only read.
#[must_use]
pub fn is_read(op: u8) -> bool {
    op == code::SIZE || (op > code::SIZE && selector(op).is_some())
}

/// True for known map op codes.
#[must_use]
pub fn is_known(op: u8) -> bool {
    matches!(op, code::SET_TYPE..=code::REPLACE_ITEMS | code::INCREMENT..=code::CLEAR)
        || op == code::SIZE
        || selector(op).is_some()
}

/// True for ops that do nothing (and return nothing) on a missing bin.
#[must_use]
pub fn is_noop_when_missing(op: u8) -> bool {
    op == code::CLEAR || (!is_read(op) && selector(op).is_some())
}

/// Flags a missing bin's new map gets from the op's order argument.
///
/// # Errors
/// `ParameterError` for a malformed argument.
pub fn create_flags(op: u8, args: &Args<'_>) -> OpResult<u8> {
    let attr = match op {
        code::SET_TYPE => args.int_or(0, 0)?,
        code::ADD | code::PUT | code::INCREMENT | code::DECREMENT => args.int_or(2, 0)?,
        code::ADD_ITEMS | code::PUT_ITEMS => args.int_or(1, 0)?,
        _ => 0,
    };
    Ok(order_flags(attr))
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // masked to 2 bits
fn order_flags(attr: i64) -> u8 {
    (attr & 0x03) as u8
}

/// Write flags of map puts.
#[derive(Clone, Copy, Debug, Default)]
struct WriteFlags(i64);

impl WriteFlags {
    const CREATE_ONLY: i64 = 0x01;
    const UPDATE_ONLY: i64 = 0x02;

    fn create_only(self) -> bool {
        self.0 & Self::CREATE_ONLY != 0
    }
    fn update_only(self) -> bool {
        self.0 & Self::UPDATE_ONLY != 0
    }
    fn no_fail(self) -> bool {
        self.0 & 0x04 != 0
    }
    fn partial(self) -> bool {
        self.0 & 0x08 != 0
    }

    /// A failed element: skipped (`Ok(false)`) with no-fail, else the error.
    fn fail(self, rc: ResultCode) -> OpResult<bool> {
        if self.no_fail() {
            Ok(false)
        } else {
            Err(rc)
        }
    }
}

/// Runs map op `op` on `map`.
///
/// # Errors
/// The op's result code: `ParameterError` for bad arguments, `ElementExists` /
/// `ElementNotFound` for create-only / update-only conflicts, `OpNotApplicable` for an
/// index or rank out of range.
pub fn execute<'a>(op: u8, args: &Args<'a>, map: &mut Map<'a>) -> OpResult<Outcome<'a>> {
    let create = WriteFlags(WriteFlags::CREATE_ONLY);
    let update = WriteFlags(WriteFlags::UPDATE_ONLY);
    let result = match op {
        code::SET_TYPE => {
            set_type(map, args.int(0)?);
            Ok(None)
        }
        code::ADD => put(map, args, create),
        code::PUT => put(map, args, WriteFlags(args.int_or(3, 0)?)),
        code::REPLACE => put(map, args, update),
        code::ADD_ITEMS => put_items(map, args.map(0)?, create),
        code::PUT_ITEMS => put_items(map, args.map(0)?, WriteFlags(args.int_or(2, 0)?)),
        code::REPLACE_ITEMS => put_items(map, args.map(0)?, update),
        code::INCREMENT | code::DECREMENT => increment(map, args, op == code::DECREMENT),
        code::CLEAR => {
            map.pairs.clear();
            Ok(None)
        }
        code::SIZE => {
            let size = Some(Val::Int(len_i64(map.pairs.len())));
            return Ok(Outcome { result: size, changed: false });
        }
        _ => {
            let (sel, remove) = selector(op).ok_or(ResultCode::ParameterError)?;
            let result = by(sel, args, map, remove)?;
            return Ok(Outcome { result, changed: remove });
        }
    };
    Ok(Outcome { result: result?, changed: true })
}

#[allow(clippy::cast_possible_wrap)] // element counts stay far below i64::MAX
fn len_i64(n: usize) -> i64 {
    n as i64
}

fn size_of(map: &Map<'_>) -> Val<'static> {
    Val::Int(len_i64(map.pairs.len()))
}

fn is_key_ordered(map: &Map<'_>) -> bool {
    map.flags & KEY_ORDERED != 0
}

/// Sorts pairs by key (stable), as key-ordered maps are stored.
pub fn sort_by_key(pairs: &mut [(Val<'_>, Val<'_>)]) {
    pairs.sort_by(|a, b| compare(&a.0, &b.0));
}

fn set_type(map: &mut Map<'_>, attr: i64) {
    let flags = order_flags(attr);
    if flags & KEY_ORDERED != 0 && !is_key_ordered(map) {
        sort_by_key(&mut map.pairs);
    }
    map.flags = flags;
}

/// Finds `key`: `Ok(position)` or `Err(insert position)`.
fn find(map: &Map<'_>, key: &Val<'_>) -> Result<usize, usize> {
    if is_key_ordered(map) {
        return map.pairs.binary_search_by(|(k, _)| compare(k, key));
    }
    map.pairs.iter().position(|(k, _)| compare(k, key) == Ordering::Equal).ok_or(map.pairs.len())
}

/// Puts one pair under `flags`; `Ok(false)` when a no-fail conflict skipped it.
fn put_one<'a>(
    map: &mut Map<'a>,
    key: Val<'a>,
    value: Val<'a>,
    flags: WriteFlags,
) -> OpResult<bool> {
    match find(map, &key) {
        Ok(_) if flags.create_only() => flags.fail(ResultCode::ElementExists),
        Ok(pos) => {
            map.pairs[pos].1 = value;
            Ok(true)
        }
        Err(_) if flags.update_only() => flags.fail(ResultCode::ElementNotFound),
        Err(at) => {
            map.pairs.insert(at, (key, value));
            Ok(true)
        }
    }
}

fn put<'a>(map: &mut Map<'a>, args: &Args<'a>, flags: WriteFlags) -> Answer<'a> {
    put_one(map, args.storable(0)?, args.storable(1)?, flags)?;
    Ok(Some(size_of(map)))
}

/// Puts many pairs in O((n + m) log(n + m)): both sides are matched through sorted views.
fn put_items<'a>(
    map: &mut Map<'a>,
    items: Vec<(Val<'a>, Val<'a>)>,
    flags: WriteFlags,
) -> Answer<'a> {
    let plan = plan_items(map, items, flags)?;
    let Some(plan) = plan else {
        return Ok(Some(size_of(map)));
    };
    for (pos, value) in plan.updates {
        map.pairs[pos].1 = value;
    }
    let grew = !plan.inserts.is_empty();
    map.pairs.extend(plan.inserts);
    if grew && is_key_ordered(map) {
        sort_by_key(&mut map.pairs);
    }
    Ok(Some(size_of(map)))
}

/// Updates to existing positions and new pairs (in request order).
struct Plan<'a> {
    updates: Vec<(usize, Val<'a>)>,
    inserts: Vec<(Val<'a>, Val<'a>)>,
}

/// Decides every item under `flags`; `Ok(None)` means skip the whole op (no-fail).
fn plan_items<'a>(
    map: &Map<'a>,
    items: Vec<(Val<'a>, Val<'a>)>,
    flags: WriteFlags,
) -> OpResult<Option<Plan<'a>>> {
    let keys: Vec<&Val<'a>> = map.pairs.iter().map(|(k, _)| k).collect();
    let order = select::sorted_order(&keys);
    let items = last_of_each_key(items);
    let mut plan = Plan { updates: Vec::new(), inserts: Vec::new() };
    for (key, value) in items {
        let found = order.binary_search_by(|p| compare(keys[*p], &key)).ok().map(|i| order[i]);
        let conflict = match found {
            Some(_) if flags.create_only() => Some(ResultCode::ElementExists),
            None if flags.update_only() => Some(ResultCode::ElementNotFound),
            _ => None,
        };
        if let Some(rc) = conflict {
            flags.fail(rc)?;
            if !flags.partial() {
                return Ok(None);
            }
            continue;
        }
        match found {
            Some(pos) => plan.updates.push((pos, value)),
            None => plan.inserts.push((key, value)),
        }
    }
    Ok(Some(plan))
}

/// Drops earlier duplicates of a key, keeping request order.
fn last_of_each_key<'a>(items: Vec<(Val<'a>, Val<'a>)>) -> Vec<(Val<'a>, Val<'a>)> {
    let keys: Vec<&Val<'a>> = items.iter().map(|(k, _)| k).collect();
    let order = select::sorted_order(&keys);
    let mut drop = vec![false; items.len()];
    for pair in order.windows(2) {
        if compare(keys[pair[0]], keys[pair[1]]) == Ordering::Equal {
            drop[pair[0]] = true;
        }
    }
    items.into_iter().zip(drop).filter(|(_, d)| !d).map(|(item, _)| item).collect()
}

fn increment<'a>(map: &mut Map<'a>, args: &Args<'a>, decrement: bool) -> Answer<'a> {
    let key = args.storable(0)?;
    let delta = args.get(1).cloned().unwrap_or(Val::Nil);
    let flags = WriteFlags(args.int_or(3, 0)?);
    let found = find(map, &key).ok();
    let value = super::add_delta(found.map(|p| &map.pairs[p].1), &delta, decrement)?;
    match found {
        Some(pos) => map.pairs[pos].1 = value.clone(),
        None => {
            put_one(map, key, value.clone(), flags)?;
        }
    }
    Ok(Some(value))
}

// ---------------------------------------------------------------------------------------
// Get/remove by key, index, value or rank

/// Sorted views of a map, each computed at most once per selection.
struct MapElements<'m, 'a> {
    pairs: &'m [(Val<'a>, Val<'a>)],
    key_ordered: bool,
    key_order: OnceCell<Vec<usize>>,
    value_order: OnceCell<Vec<usize>>,
}

impl<'m, 'a> MapElements<'m, 'a> {
    fn new(map: &'m Map<'a>) -> Self {
        Self {
            pairs: &map.pairs,
            key_ordered: is_key_ordered(map),
            key_order: OnceCell::new(),
            value_order: OnceCell::new(),
        }
    }

    fn keys(&self) -> Vec<&Val<'a>> {
        self.pairs.iter().map(|(k, _)| k).collect()
    }

    fn values(&self) -> Vec<&Val<'a>> {
        self.pairs.iter().map(|(_, v)| v).collect()
    }

    /// Positions in key order.
    fn key_order(&self) -> &[usize] {
        self.key_order.get_or_init(|| {
            if self.key_ordered {
                (0..self.pairs.len()).collect()
            } else {
                select::sorted_order(&self.keys())
            }
        })
    }

    /// Positions in value order, ties in stored order.
    fn value_order(&self) -> &[usize] {
        self.value_order.get_or_init(|| select::sorted_order(&self.values()))
    }
}

fn inverse(order: &[usize]) -> Vec<usize> {
    let mut inv = vec![0; order.len()];
    for (i, pos) in order.iter().enumerate() {
        inv[*pos] = i;
    }
    inv
}

impl<'a> Elements<'a> for MapElements<'_, 'a> {
    fn size(&self) -> usize {
        self.pairs.len()
    }
    fn value(&self, pos: usize) -> &Val<'a> {
        &self.pairs[pos].1
    }
    fn key(&self, pos: usize) -> Option<&Val<'a>> {
        Some(&self.pairs[pos].0)
    }
    fn indexes(&self) -> Vec<usize> {
        inverse(self.key_order())
    }
    fn ranks(&self) -> Vec<usize> {
        inverse(self.value_order())
    }
}

fn by<'a>(sel: Selector, args: &Args<'a>, map: &mut Map<'a>, remove: bool) -> Answer<'a> {
    if is_key_ordered(map) {
        let (positions, result) = select_from(sel, args, map)?;
        if remove {
            select::remove_positions(&mut map.pairs, &positions);
        }
        return Ok(result);
    }

    // An unordered map answers as if it were sorted by key (aerospike-server
    // `particle_map.c` works on a key-sorted index of it) but keeps its stored order.
    let mut tagged: Vec<(usize, (Val<'a>, Val<'a>))> =
        std::mem::take(&mut map.pairs).into_iter().enumerate().collect();
    tagged.sort_by(|a, b| compare(&(a.1).0, &(b.1).0));
    let (origin, pairs): (Vec<usize>, Vec<_>) = tagged.into_iter().unzip();
    let view = Map { flags: map.flags | KEY_ORDERED, pairs };
    let outcome = select_from(sel, args, &view);
    let mut restored: Vec<(usize, (Val<'a>, Val<'a>))> =
        origin.iter().copied().zip(view.pairs).collect();
    restored.sort_unstable_by_key(|(pos, _)| *pos);
    map.pairs = restored.into_iter().map(|(_, pair)| pair).collect();

    let (positions, result) = outcome?;
    if remove {
        let stored: Vec<usize> = positions.iter().map(|p| origin[*p]).collect();
        select::remove_positions(&mut map.pairs, &stored);
    }
    Ok(result)
}

/// Selects from a key-ordered map: the stored positions picked and the op's result.
fn select_from<'a>(
    sel: Selector,
    args: &Args<'a>,
    map: &Map<'a>,
) -> OpResult<(Vec<usize>, Option<Val<'a>>)> {
    let rt = args.return_type(0)?;
    let single = matches!(sel, Selector::Key | Selector::Index | Selector::Value | Selector::Rank);
    let elems = MapElements::new(map);
    let picked = pick(sel, args, &elems)?;
    let by_rank = matches!(rt.kind, Kind::Rank | Kind::ReverseRank);
    let numbering = numbering(sel, args, &elems, by_rank)?;
    if sel == Selector::KeyList && by_rank && !rt.inverted {
        return Err(ResultCode::OpNotApplicable);
    }
    let positions = rt.resolve(picked, elems.size(), single)?;
    let result = result::build(rt, single, &positions, &elems, &numbering)?;
    Ok((positions, result))
}

/// How a selection on a key-ordered map lists index or rank numbers (aerospike-server
/// `particle_map.c`): a selection contiguous in the returned order is one run, one
/// contiguous in the other order lists each element in that order, value and key lists
/// go argument by argument.
fn numbering(
    sel: Selector,
    args: &Args<'_>,
    elems: &MapElements<'_, '_>,
    by_rank: bool,
) -> OpResult<Numbering> {
    use Selector as S;
    let found = match sel {
        S::KeyInterval | S::IndexRange | S::KeyRelIndexRange if by_rank => Numbering::Listed,
        S::RankRange | S::ValueRelRankRange if !by_rank => Numbering::Listed,
        S::KeyInterval | S::IndexRange | S::KeyRelIndexRange => Numbering::Run,
        S::RankRange | S::ValueRelRankRange | S::ValueInterval | S::AllByValue if by_rank => {
            Numbering::Run
        }
        S::ValueList if by_rank => Numbering::Numbers(value_list_ranks(args, elems)?),
        S::KeyList if !by_rank => Numbering::Numbers(key_list_indexes(args, elems)?),
        _ => Numbering::Sorted,
    };
    Ok(found)
}

/// Ranks of each argument value's elements, argument by argument.
fn value_list_ranks(args: &Args<'_>, elems: &MapElements<'_, '_>) -> OpResult<Vec<usize>> {
    let values = elems.values();
    let targets = args.list(1)?;
    let mut ranks = Vec::new();
    for target in select::distinct(targets) {
        let start = select::rank_of(&values, target);
        ranks.extend(start..start + select::equal_to(&values, target).len());
    }
    Ok(ranks)
}

/// Index of each argument key found, argument by argument.
fn key_list_indexes(args: &Args<'_>, elems: &MapElements<'_, '_>) -> OpResult<Vec<usize>> {
    let keys = elems.keys();
    let targets = args.list(1)?;
    let mut indexes = Vec::new();
    for target in select::distinct(targets) {
        indexes.extend(select::equal_to(&keys, target));
    }
    Ok(indexes)
}

fn pick(sel: Selector, args: &Args<'_>, elems: &MapElements<'_, '_>) -> OpResult<Vec<usize>> {
    let len = elems.size();
    let range = |start: usize, count: usize, order: &[usize]| order[start..start + count].to_vec();
    let picked = match sel {
        Selector::Key => {
            select::equal_to(&elems.keys(), args.value(1)?).into_iter().take(1).collect()
        }
        Selector::Index => vec![elems.key_order()[select::single_index(args.int(1)?, len)?]],
        Selector::Value => {
            select::equal_to(&elems.values(), args.value(1)?).into_iter().take(1).collect()
        }
        Selector::Rank => vec![elems.value_order()[select::single_index(args.int(1)?, len)?]],
        Selector::AllByValue => select::equal_to(&elems.values(), args.value(1)?),
        Selector::KeyInterval => {
            select::in_interval(&elems.keys(), args.value(1)?, args.range_end(2))
        }
        Selector::ValueInterval => {
            select::in_interval(&elems.values(), args.value(1)?, args.range_end(2))
        }
        Selector::KeyList => select::in_list(&elems.keys(), args.list(1)?),
        Selector::ValueList => select::in_list(&elems.values(), args.list(1)?),
        Selector::IndexRange => {
            let (start, count) = select::clamp_range(args.int(1)?, args.count(2)?, len);
            range(start, count, elems.key_order())
        }
        Selector::RankRange => {
            let (start, count) = select::clamp_range(args.int(1)?, args.count(2)?, len);
            range(start, count, elems.value_order())
        }
        Selector::KeyRelIndexRange => {
            let base = select::rank_of(&elems.keys(), args.value(1)?);
            let count = args.count_or(3, TO_END)?;
            let (start, count) = select::clamp_relative(base, args.int(2)?, count, len);
            range(start, count, elems.key_order())
        }
        Selector::ValueRelRankRange => {
            let base = select::rank_of(&elems.values(), args.value(1)?);
            let count = args.count_or(3, TO_END)?;
            let (start, count) = select::clamp_relative(base, args.int(2)?, count, len);
            range(start, count, elems.value_order())
        }
    };
    Ok(picked)
}

#[cfg(test)]
#[path = "map_tests.rs"]
mod tests;
