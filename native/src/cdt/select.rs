//! Picking elements of a list or map by index, rank, value or interval.
//!
//! Positions are indexes into the stored element vector. Index and rank arguments may be
//! negative (counted from the end). Single-element lookups outside the container fail with
//! `OpNotApplicable`; ranges are clamped instead, as the server does.

use std::cmp::Ordering;

use super::msgpack::Val;
use super::order::compare;
use crate::error::{OpResult, ResultCode};

/// Count used when a range op has no count argument (to the end).
pub const TO_END: u64 = u32::MAX as u64;

/// Resolves a single index or rank; `OpNotApplicable` when outside `0..len`.
///
/// # Errors
/// `OpNotApplicable` when the index is out of range.
pub fn single_index(index: i64, len: usize) -> OpResult<usize> {
    let resolved = if index < 0 { index.checked_add(len_i64(len)) } else { Some(index) };
    resolved
        .and_then(|i| usize::try_from(i).ok())
        .filter(|i| *i < len)
        .ok_or(ResultCode::OpNotApplicable)
}

/// Clamps `index`/`count` to `0..len`, giving `(start, count)`.
///
/// A start past the end selects nothing; a negative start before the beginning is moved
/// to 0 and the count shortened by the same amount.
#[must_use]
pub fn clamp_range(index: i64, count: u64, len: usize) -> (usize, usize) {
    let len64 = len_i64(len);
    if index >= len64 {
        return (len, 0);
    }
    let index = if index < 0 { index.saturating_add(len64) } else { index };
    if index < 0 {
        let shortfall = index.unsigned_abs();
        let left = count.saturating_sub(shortfall);
        return (0, usize::try_from(left).unwrap_or(usize::MAX).min(len));
    }
    let start = usize::try_from(index).unwrap_or(len);
    let left = len - start;
    (start, usize::try_from(count).unwrap_or(usize::MAX).min(left))
}

/// Clamps a range relative to `base` (a rank or index found from a value or key).
#[must_use]
pub fn clamp_relative(base: usize, offset: i64, count: u64, len: usize) -> (usize, usize) {
    let index = len_i64(base).saturating_add(offset);
    if index < 0 {
        let left = count.saturating_sub(index.unsigned_abs());
        return clamp_range(0, left, len);
    }
    clamp_range(index, count, len)
}

#[allow(clippy::cast_possible_wrap)] // element counts stay far below i64::MAX
fn len_i64(len: usize) -> i64 {
    len as i64
}

/// Positions sorted by value (stable: equal values keep their stored order).
#[must_use]
pub fn sorted_order(values: &[&Val<'_>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|a, b| compare(values[*a], values[*b]));
    order
}

/// Rank of each position (inverse of [`sorted_order`]).
#[must_use]
pub fn ranks(values: &[&Val<'_>]) -> Vec<usize> {
    let mut rank = vec![0; values.len()];
    for (r, pos) in sorted_order(values).into_iter().enumerate() {
        rank[pos] = r;
    }
    rank
}

/// Positions whose value equals `target`, in stored order.
#[must_use]
pub fn equal_to(values: &[&Val<'_>], target: &Val<'_>) -> Vec<usize> {
    positions(values, |v| compare(v, target) == Ordering::Equal)
}

/// The argument values in order, each once: a repeated value selects nothing more.
pub fn distinct<'t, 'v>(targets: &'t [Val<'v>]) -> impl Iterator<Item = &'t Val<'v>> {
    targets.iter().enumerate().filter_map(|(i, target)| {
        let seen = targets[..i].iter().any(|t| compare(t, target) == Ordering::Equal);
        (!seen).then_some(target)
    })
}

/// Positions whose value equals any of `targets`, in stored order.
#[must_use]
pub fn in_list(values: &[&Val<'_>], targets: &[Val<'_>]) -> Vec<usize> {
    let mut sorted: Vec<&Val<'_>> = targets.iter().collect();
    sorted.sort_by(|a, b| compare(a, b));
    positions(values, |v| sorted.binary_search_by(|t| compare(t, v)).is_ok())
}

/// Positions with `begin <= value < end`, in stored order; no `end` means no upper bound.
#[must_use]
pub fn in_interval(values: &[&Val<'_>], begin: &Val<'_>, end: Option<&Val<'_>>) -> Vec<usize> {
    positions(values, |v| {
        compare(v, begin) != Ordering::Less && end.is_none_or(|e| compare(v, e) == Ordering::Less)
    })
}

/// Number of values strictly less than `target` (where `target` would rank).
#[must_use]
pub fn rank_of(values: &[&Val<'_>], target: &Val<'_>) -> usize {
    values.iter().filter(|v| compare(v, target) == Ordering::Less).count()
}

fn positions(values: &[&Val<'_>], mut keep: impl FnMut(&Val<'_>) -> bool) -> Vec<usize> {
    values.iter().enumerate().filter(|(_, v)| keep(v)).map(|(i, _)| i).collect()
}

/// Positions not in `picked`, ascending.
#[must_use]
pub fn complement(picked: &[usize], len: usize) -> Vec<usize> {
    let mask = mask_of(picked, len);
    (0..len).filter(|i| !mask[*i]).collect()
}

/// A membership mask of `picked` over `0..len`.
#[must_use]
pub fn mask_of(picked: &[usize], len: usize) -> Vec<bool> {
    let mut mask = vec![false; len];
    for p in picked {
        mask[*p] = true;
    }
    mask
}

/// Removes the elements at `picked` positions, keeping the others' order.
pub fn remove_positions<T>(items: &mut Vec<T>, picked: &[usize]) {
    let mask = mask_of(picked, items.len());
    let mut i = 0;
    items.retain(|_| {
        let keep = !mask[i];
        i += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_index_counts_negative_from_the_end() {
        assert_eq!(single_index(-1, 3), Ok(2));
        assert_eq!(single_index(2, 3), Ok(2));
        assert_eq!(single_index(3, 3), Err(ResultCode::OpNotApplicable));
        assert_eq!(single_index(-4, 3), Err(ResultCode::OpNotApplicable));
    }

    #[test]
    fn ranges_clamp_like_the_server() {
        assert_eq!(clamp_range(1, 2, 5), (1, 2));
        assert_eq!(clamp_range(3, 10, 5), (3, 2));
        assert_eq!(clamp_range(7, 1, 5), (5, 0));
        assert_eq!(clamp_range(-2, TO_END, 5), (3, 2));
        assert_eq!(clamp_range(-7, 3, 5), (0, 1));
        assert_eq!(clamp_range(-7, 2, 5), (0, 0));
    }

    #[test]
    fn relative_ranges_shift_from_the_base() {
        assert_eq!(clamp_relative(2, -1, 2, 5), (1, 2));
        assert_eq!(clamp_relative(1, -3, 3, 5), (0, 1));
    }

    #[test]
    fn remove_positions_keeps_order() {
        let mut v = vec![10, 20, 30, 40];
        remove_positions(&mut v, &[3, 1]);
        assert_eq!(v, [10, 30]);
        assert_eq!(complement(&[0, 2], 4), [1, 3]);
    }
}
