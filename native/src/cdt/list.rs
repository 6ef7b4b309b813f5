//! List ops (CDT op codes 0–40) on a decoded list.
//!
//! Unordered lists keep insertion order; ordered lists (flag `0x01`) stay sorted in
//! Aerospike's value order, so index equals rank. Rank-range values on an unordered list
//! come back in the server's heap order: descending when `rank <= size - rank - count`,
//! else ascending.

use std::cmp::Ordering;

use super::args::Args;
use super::msgpack::{List, Val};
use super::order::{compare, equal};
use super::result::{self, Elements, Kind, Numbering};
use super::select::{self, TO_END};
use super::Outcome;
use crate::error::{OpResult, ResultCode};

/// What an op answers: its result value, if any.
type Answer<'a> = OpResult<Option<Val<'a>>>;

/// List op codes.
pub mod code {
    /// Set the list order.
    pub const SET_TYPE: u8 = 0;
    /// Append one value.
    pub const APPEND: u8 = 1;
    /// Append several values.
    pub const APPEND_ITEMS: u8 = 2;
    /// Insert one value at an index.
    pub const INSERT: u8 = 3;
    /// Insert several values at an index.
    pub const INSERT_ITEMS: u8 = 4;
    /// Remove and return one value.
    pub const POP: u8 = 5;
    /// Remove and return a range.
    pub const POP_RANGE: u8 = 6;
    /// Remove one value.
    pub const REMOVE: u8 = 7;
    /// Remove a range.
    pub const REMOVE_RANGE: u8 = 8;
    /// Replace the value at an index.
    pub const SET: u8 = 9;
    /// Keep only a range.
    pub const TRIM: u8 = 10;
    /// Remove everything.
    pub const CLEAR: u8 = 11;
    /// Add to a number at an index.
    pub const INCREMENT: u8 = 12;
    /// Sort in value order.
    pub const SORT: u8 = 13;
    /// Element count.
    pub const SIZE: u8 = 16;
    /// Value at an index.
    pub const GET: u8 = 17;
    /// Values of an index range.
    pub const GET_RANGE: u8 = 18;
    /// First get-by op; remove-by ops are the same selections 13 codes higher.
    pub const GET_BY_INDEX: u8 = 19;
    /// Last get-by op (value relative rank range).
    pub const GET_BY_VALUE_REL_RANK_RANGE: u8 = 27;
    /// First remove-by op.
    pub const REMOVE_BY_INDEX: u8 = 32;
    /// Last remove-by op.
    pub const REMOVE_BY_VALUE_REL_RANK_RANGE: u8 = 40;
}

/// Offset from a get-by code to the matching remove-by code.
const REMOVE_OFFSET: u8 = code::REMOVE_BY_INDEX - code::GET_BY_INDEX;

/// Largest index that set, insert and increment pad up to with nils (`RecordTooBig` past it).
pub const MAX_PAD_INDEX: usize = 1 << 20;

/// List flag: kept in value order.
const ORDERED: u8 = 0x01;

/// Write flags of list ops.
#[derive(Clone, Copy, Debug, Default)]
struct WriteFlags(i64);

impl WriteFlags {
    fn unique(self) -> bool {
        self.0 & 0x01 != 0
    }
    fn bounded(self) -> bool {
        self.0 & 0x02 != 0
    }
    fn no_fail(self) -> bool {
        self.0 & 0x04 != 0
    }
    fn partial(self) -> bool {
        self.0 & 0x08 != 0
    }
}

/// True for op codes that only read.
#[must_use]
pub fn is_read(op: u8) -> bool {
    (code::SIZE..=code::GET_BY_VALUE_REL_RANK_RANGE).contains(&op)
}

/// True for known list op codes.
#[must_use]
pub fn is_known(op: u8) -> bool {
    op <= code::SORT
        || is_read(op)
        || (code::REMOVE_BY_INDEX..=code::REMOVE_BY_VALUE_REL_RANK_RANGE).contains(&op)
}

/// Flags a missing bin's new list gets from the op's create argument.
///
/// # Errors
/// `ParameterError` for a malformed argument.
pub fn create_flags(op: u8, args: &Args<'_>) -> OpResult<u8> {
    let order = match op {
        code::APPEND | code::APPEND_ITEMS => args.int_or(1, 0)?,
        code::INCREMENT => args.int_or(2, 0)?,
        _ => 0,
    };
    Ok(u8::from(order & 1 == 1) * ORDERED)
}

/// True for ops that do nothing (and return nothing) on a missing bin.
#[must_use]
pub fn is_noop_when_missing(op: u8) -> bool {
    matches!(op, code::POP..=code::REMOVE_RANGE | code::TRIM | code::CLEAR)
        || (code::REMOVE_BY_INDEX..=code::REMOVE_BY_VALUE_REL_RANK_RANGE).contains(&op)
}

/// Runs list op `op` on `list`.
///
/// # Errors
/// The op's result code: `ParameterError` for bad arguments, `OpNotApplicable` for an
/// index out of range, `ElementExists` for add-unique conflicts, and so on.
pub fn execute<'a>(op: u8, args: &Args<'a>, list: &mut List<'a>) -> OpResult<Outcome<'a>> {
    let result = match op {
        code::SET_TYPE => {
            set_type(list, args.int(0)?);
            Ok(None)
        }
        code::APPEND => add(list, vec![args.storable(0)?], flags_at(args, 2)?),
        code::APPEND_ITEMS => add(list, args.storable_list(0)?, flags_at(args, 2)?),
        code::INSERT => insert(list, args, vec![args.storable(1)?]),
        code::INSERT_ITEMS => insert(list, args, args.storable_list(1)?),
        code::POP | code::REMOVE => pop_one(list, args.int(0)?, op == code::POP),
        code::POP_RANGE | code::REMOVE_RANGE => pop_range(list, args, op == code::POP_RANGE),
        code::SET => set(list, args.int(0)?, args.storable(1)?, flags_at(args, 2)?),
        code::TRIM => trim(list, args),
        code::CLEAR => {
            list.items.clear();
            Ok(None)
        }
        code::INCREMENT => increment(list, args),
        code::SORT => {
            sort(list, args.int_or(0, 0)?);
            Ok(None)
        }
        _ => return read_or_select(op, args, list),
    };
    Ok(Outcome { result: result?, changed: true })
}

fn read_or_select<'a>(op: u8, args: &Args<'a>, list: &mut List<'a>) -> OpResult<Outcome<'a>> {
    let result = match op {
        code::SIZE => Some(size_of(list)),
        code::GET => {
            let i = select::single_index(args.int(0)?, list.items.len())?;
            Some(list.items[i].clone())
        }
        code::GET_RANGE => {
            let (start, count) =
                select::clamp_range(args.int(0)?, args.count(1)?, list.items.len());
            Some(plain(list.items[start..start + count].to_vec()))
        }
        code::GET_BY_INDEX..=code::GET_BY_VALUE_REL_RANK_RANGE => by(op, args, list, false)?,
        code::REMOVE_BY_INDEX..=code::REMOVE_BY_VALUE_REL_RANK_RANGE => {
            let result = by(op - REMOVE_OFFSET, args, list, true)?;
            return Ok(Outcome { result, changed: true });
        }
        _ => return Err(ResultCode::ParameterError),
    };
    Ok(Outcome { result, changed: false })
}

fn plain(items: Vec<Val<'_>>) -> Val<'_> {
    Val::List(List { flags: 0, items })
}

fn flags_at(args: &Args<'_>, i: usize) -> OpResult<WriteFlags> {
    Ok(WriteFlags(args.int_or(i, 0)?))
}

fn size_of(list: &List<'_>) -> Val<'static> {
    Val::Int(len_i64(list.items.len()))
}

fn is_ordered(list: &List<'_>) -> bool {
    list.flags & ORDERED != 0
}

fn set_type(list: &mut List<'_>, order: i64) {
    if order & 1 == 1 {
        list.items.sort_by(compare);
        list.flags |= ORDERED;
    } else {
        list.flags &= !ORDERED;
    }
}

/// Applies add-unique rules: `Ok(None)` means skip the whole op without an error.
fn unique_filter<'a>(
    existing: &[Val<'a>],
    new: Vec<Val<'a>>,
    flags: WriteFlags,
) -> OpResult<Option<Vec<Val<'a>>>> {
    if !flags.unique() {
        return Ok(Some(new));
    }
    let mut sorted: Vec<&Val<'a>> = existing.iter().collect();
    sorted.sort_by(|a, b| compare(a, b));
    let mut kept: Vec<Val<'a>> = Vec::with_capacity(new.len());
    for value in new {
        let in_list = sorted.binary_search_by(|x| compare(x, &value)).is_ok();
        if !in_list && !kept.iter().any(|k| equal(k, &value)) {
            kept.push(value);
            continue;
        }
        if !flags.no_fail() {
            let rc = if in_list { ResultCode::ElementExists } else { ResultCode::OpNotApplicable };
            return Err(rc);
        }
        if !flags.partial() {
            return Ok(None);
        }
    }
    Ok(Some(kept))
}

/// Appends (or, on an ordered list, inserts in order); returns the new size.
fn add<'a>(list: &mut List<'a>, new: Vec<Val<'a>>, flags: WriteFlags) -> Answer<'a> {
    let Some(new) = unique_filter(&list.items, new, flags)? else {
        return Ok(Some(size_of(list)));
    };
    if !is_ordered(list) {
        list.items.extend(new);
    } else if new.len() <= 8 {
        for value in new {
            let at = list.items.partition_point(|x| compare(x, &value) != Ordering::Greater);
            list.items.insert(at, value);
        }
    } else {
        list.items.extend(new);
        list.items.sort_by(compare);
    }
    Ok(Some(size_of(list)))
}

/// Resolves an insert position: negative counts from the end; past the end pads.
fn insert_position(index: i64, len: usize) -> OpResult<usize> {
    let resolved = if index < 0 { index.saturating_add(len_i64(len)) } else { index };
    if (0..=i64::from(i32::MAX)).contains(&resolved) {
        usize::try_from(resolved).map_err(|_| ResultCode::OpNotApplicable)
    } else {
        Err(ResultCode::OpNotApplicable)
    }
}

fn insert<'a>(list: &mut List<'a>, args: &Args<'a>, new: Vec<Val<'a>>) -> Answer<'a> {
    if is_ordered(list) {
        return Err(ResultCode::OpNotApplicable);
    }
    let flags = flags_at(args, 2)?;
    if new.is_empty() {
        return Ok(Some(size_of(list)));
    }
    let at = insert_position(args.int(0)?, list.items.len())?;
    if !place_allowed(at, list.items.len(), flags)? {
        return Ok(Some(size_of(list)));
    }
    let Some(new) = unique_filter(&list.items, new, flags)? else {
        return Ok(Some(size_of(list)));
    };
    pad_to(list, at)?;
    list.items.splice(at..at, new);
    Ok(Some(size_of(list)))
}

/// Insert-bounded check: `Ok(false)` skips silently (no-fail), an error fails the op.
fn place_allowed(at: usize, len: usize, flags: WriteFlags) -> OpResult<bool> {
    if !flags.bounded() || at <= len {
        return Ok(true);
    }
    if flags.no_fail() {
        Ok(false)
    } else {
        Err(ResultCode::OpNotApplicable)
    }
}

/// Pads with nils so that `at` is a valid insert position.
///
/// Padding is limited to [`MAX_PAD_INDEX`]: a list that long is already past the default
/// 1 MiB record size, and an unbounded index must not make the server allocate gigabytes.
fn pad_to(list: &mut List<'_>, at: usize) -> OpResult<()> {
    if at > MAX_PAD_INDEX {
        return Err(ResultCode::RecordTooBig);
    }
    if at > list.items.len() {
        list.items.resize(at, Val::Nil);
    }
    Ok(())
}

fn pop_one<'a>(list: &mut List<'a>, index: i64, pop: bool) -> Answer<'a> {
    let i = select::single_index(index, list.items.len())?;
    let value = list.items.remove(i);
    Ok(Some(if pop { value } else { Val::Int(1) }))
}

fn pop_range<'a>(list: &mut List<'a>, args: &Args<'a>, pop: bool) -> Answer<'a> {
    let (start, count) = select::clamp_range(args.int(0)?, args.count(1)?, list.items.len());
    let removed: Vec<Val<'a>> = list.items.drain(start..start + count).collect();
    Ok(Some(if pop { plain(removed) } else { Val::Int(len_i64(count)) }))
}

fn set<'a>(list: &mut List<'a>, index: i64, value: Val<'a>, flags: WriteFlags) -> Answer<'a> {
    if is_ordered(list) {
        return Err(ResultCode::OpNotApplicable);
    }
    replace_at(list, index, value, flags)?;
    Ok(None)
}

/// Sets the element at `index`; past the end it pads with nils like an insert.
fn replace_at<'a>(
    list: &mut List<'a>,
    index: i64,
    value: Val<'a>,
    flags: WriteFlags,
) -> OpResult<()> {
    let len = list.items.len();
    if index >= 0 && usize::try_from(index).is_ok_and(|i| i >= len) {
        let at = insert_position(index, len)?;
        if !place_allowed(at, len, flags)? {
            return Ok(());
        }
        let Some(new) = unique_filter(&list.items, vec![value], flags)? else {
            return Ok(());
        };
        pad_to(list, at)?;
        list.items.extend(new);
        return Ok(());
    }
    let i = select::single_index(index, len)?;
    if flags.unique() && list.items.iter().enumerate().any(|(j, x)| j != i && equal(x, &value)) {
        return if flags.no_fail() { Ok(()) } else { Err(ResultCode::ElementExists) };
    }
    list.items[i] = value;
    Ok(())
}

fn trim<'a>(list: &mut List<'a>, args: &Args<'a>) -> Answer<'a> {
    let len = list.items.len();
    let (start, count) = select::clamp_range(args.int(0)?, args.count(1)?, len);
    list.items.truncate(start + count);
    list.items.drain(..start);
    Ok(Some(Val::Int(len_i64(len - count))))
}

fn increment<'a>(list: &mut List<'a>, args: &Args<'a>) -> Answer<'a> {
    let len = list.items.len();
    let index = args.int(0)?;
    let at = insert_position(index, len)?;
    let delta = args.get(1).cloned().unwrap_or(Val::Nil);
    let current = list.items.get(at);
    let value = super::add_delta(current, &delta, false)?;
    let flags = flags_at(args, 3)?;
    if is_ordered(list) {
        if at < len {
            list.items.remove(at);
        }
        add(list, vec![value.clone()], flags)?;
    } else {
        replace_at(list, len_i64(at), value.clone(), flags)?;
    }
    Ok(Some(value))
}

/// Sort flags: `0x01` descending, `0x02` drop duplicates.
fn sort(list: &mut List<'_>, flags: i64) {
    if !is_ordered(list) {
        if flags & 0x01 != 0 {
            list.items.sort_by(|a, b| compare(b, a));
        } else {
            list.items.sort_by(compare);
        }
    }
    if flags & 0x02 != 0 {
        list.items.dedup_by(|a, b| equal(a, b));
    }
}

#[allow(clippy::cast_possible_wrap)] // element counts stay far below i64::MAX
fn len_i64(n: usize) -> i64 {
    n as i64
}

// ---------------------------------------------------------------------------------------
// Get/remove by index, value or rank

/// Read access for result building.
struct ListElements<'l, 'a>(&'l [Val<'a>]);

impl<'a> Elements<'a> for ListElements<'_, 'a> {
    fn size(&self) -> usize {
        self.0.len()
    }
    fn value(&self, pos: usize) -> &Val<'a> {
        &self.0[pos]
    }
    fn key(&self, _pos: usize) -> Option<&Val<'a>> {
        None
    }
    fn indexes(&self) -> Vec<usize> {
        (0..self.0.len()).collect()
    }
    fn ranks(&self) -> Vec<usize> {
        select::ranks(&self.0.iter().collect::<Vec<_>>())
    }
}

/// A selection: positions in result order, whether it names one element, and how its
/// index or rank numbers are listed.
struct Picked {
    positions: Vec<usize>,
    single: bool,
    numbering: Numbering,
}

fn by<'a>(get_op: u8, args: &Args<'a>, list: &mut List<'a>, remove: bool) -> Answer<'a> {
    let rt = args.return_type(0)?;
    if rt.needs_keys() {
        return Err(ResultCode::OpNotApplicable);
    }
    let by_rank = matches!(rt.kind, Kind::Rank | Kind::ReverseRank);
    let picked = pick(get_op, args, list, by_rank)?;
    let positions = rt.resolve(picked.positions, list.items.len(), picked.single)?;
    let elems = ListElements(&list.items);
    let result = result::build(rt, picked.single, &positions, &elems, &picked.numbering)?;
    if remove {
        select::remove_positions(&mut list.items, &positions);
    }
    Ok(result)
}

/// Picks the positions of a get-by op; `by_rank` tells whether rank numbers are returned.
///
/// Numbering follows aerospike-server `particle_list.c`: a selection contiguous in the
/// returned order is one run; an unordered list's index range numbers each element by
/// the count of smaller values (ties share a number), and a value list on an unordered
/// list lists ranks value by value in the argument's order.
fn pick(get_op: u8, args: &Args<'_>, list: &List<'_>, by_rank: bool) -> OpResult<Picked> {
    let len = list.items.len();
    let values: Vec<&Val<'_>> = list.items.iter().collect();
    let ordered = is_ordered(list);
    let run_or_sorted = if ordered || by_rank { Numbering::Run } else { Numbering::Sorted };
    let multi = |positions, numbering| Ok(Picked { positions, single: false, numbering });
    let single = |positions| Ok(Picked { positions, single: true, numbering: Numbering::Sorted });
    match get_op - code::GET_BY_INDEX {
        0 => single(vec![select::single_index(args.int(1)?, len)?]),
        1 => single(select::equal_to(&values, args.value(1)?).into_iter().take(1).collect()),
        2 => {
            let r = select::single_index(args.int(1)?, len)?;
            single(vec![select::sorted_order(&values)[r]])
        }
        3 => multi(select::equal_to(&values, args.value(1)?), run_or_sorted),
        4 => Ok(by_value_list(&values, args.list(1)?, ordered, by_rank)),
        5 => {
            let (start, count) = select::clamp_range(args.int(1)?, args.count(2)?, len);
            let positions: Vec<usize> = (start..start + count).collect();
            let numbering = if by_rank && !ordered {
                Numbering::Numbers(smaller_counts(&values, &positions))
            } else {
                Numbering::Run
            };
            multi(positions, numbering)
        }
        6 => multi(select::in_interval(&values, args.value(1)?, args.range_end(2)), run_or_sorted),
        7 => {
            let (start, count) = select::clamp_range(args.int(1)?, args.count(2)?, len);
            multi(rank_range(list, &values, start, count), run_or_sorted)
        }
        8 => {
            let base = select::rank_of(&values, args.value(1)?);
            let count = args.count_or(3, TO_END)?;
            let (start, count) = select::clamp_relative(base, args.int(2)?, count, len);
            multi(select::sorted_order(&values)[start..start + count].to_vec(), run_or_sorted)
        }
        _ => Err(ResultCode::ParameterError),
    }
}

/// For each position, how many values are smaller than its value.
fn smaller_counts(values: &[&Val<'_>], positions: &[usize]) -> Vec<usize> {
    let order = select::sorted_order(values);
    let smaller =
        |v: &Val<'_>| order.partition_point(|p| compare(values[*p], v) == Ordering::Less);
    positions.iter().map(|p| smaller(values[*p])).collect()
}

/// A value-list selection: an ordered list lists each argument value's run in argument
/// order; an unordered list keeps stored order but lists ranks argument by argument.
fn by_value_list(
    values: &[&Val<'_>],
    targets: &[Val<'_>],
    ordered: bool,
    by_rank: bool,
) -> Picked {
    if !ordered && !by_rank {
        let positions = select::in_list(values, targets);
        return Picked { positions, single: false, numbering: Numbering::Sorted };
    }
    let mut positions = Vec::new();
    let mut runs = Vec::new();
    for target in select::distinct(targets) {
        let found = select::equal_to(values, target);
        runs.push((select::rank_of(values, target), found.len()));
        positions.extend(found);
    }
    let numbering = if ordered {
        Numbering::Runs(runs)
    } else {
        Numbering::Numbers(runs.into_iter().flat_map(|(start, n)| start..start + n).collect())
    };
    if !ordered {
        positions.sort_unstable();
    }
    Picked { positions, single: false, numbering }
}

/// Positions of ranks `start..start+count`, in the order the server lists their values.
fn rank_range(list: &List<'_>, values: &[&Val<'_>], start: usize, count: usize) -> Vec<usize> {
    let mut picked = select::sorted_order(values)[start..start + count].to_vec();
    let tail = values.len() - start - count;
    if !is_ordered(list) && start <= tail {
        picked.reverse();
    }
    picked
}

#[cfg(test)]
#[path = "list_tests.rs"]
mod tests;
