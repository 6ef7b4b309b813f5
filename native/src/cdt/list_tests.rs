//! Unit tests of list ops.

use super::*;
use crate::cdt::result::INVERTED;

const VALUE: i64 = 7;

fn ints(values: &[i64]) -> List<'static> {
    List { flags: 0, items: values.iter().map(|v| Val::Int(*v)).collect() }
}

fn int_list(values: &[i64]) -> Val<'static> {
    Val::List(ints(values))
}

fn run(
    list: &mut List<'static>,
    op: u8,
    args: Vec<Val<'static>>,
) -> OpResult<Option<Val<'static>>> {
    execute(op, &Args::new(args), list).map(|o| o.result)
}

fn i(v: i64) -> Val<'static> {
    Val::Int(v)
}

#[test]
fn rank_ranges_on_unordered_lists_come_back_in_heap_order() {
    let mut list = ints(&[50, 10, 40, 20, 30]);
    let get = code::GET_BY_INDEX + 7;
    assert_eq!(run(&mut list, get, vec![i(VALUE), i(1), i(2)]), Ok(Some(int_list(&[30, 20]))));
    assert_eq!(run(&mut list, get, vec![i(VALUE), i(2)]), Ok(Some(int_list(&[30, 40, 50]))));
    let all = int_list(&[50, 40, 30, 20, 10]);
    assert_eq!(run(&mut list, get, vec![i(VALUE), i(0)]), Ok(Some(all)));
}

#[test]
fn set_and_insert_past_the_end_pad_with_nils_unless_bounded() {
    let mut list = ints(&[1]);
    assert_eq!(run(&mut list, code::SET, vec![i(3), i(9)]), Ok(None));
    assert_eq!(list.items, [i(1), Val::Nil, Val::Nil, i(9)]);
    let bounded = vec![i(9), i(5), i(2)];
    assert_eq!(run(&mut list, code::INSERT, bounded), Err(ResultCode::OpNotApplicable));
    let no_fail = vec![i(9), i(5), i(2 | 4)];
    assert_eq!(run(&mut list, code::INSERT, no_fail), Ok(Some(i(4))));
    assert_eq!(run(&mut list, code::INSERT, vec![i(-1), i(7)]), Ok(Some(i(5))));
    assert_eq!(list.items[3], i(7));
}

#[test]
fn single_index_ops_out_of_range_are_26() {
    let mut list = ints(&[1, 2]);
    for (op, args) in [
        (code::GET, vec![i(2)]),
        (code::POP, vec![i(-3)]),
        (code::REMOVE, vec![i(5)]),
        (code::GET_BY_INDEX, vec![i(VALUE), i(2)]),
        (code::INSERT, vec![i(-3), i(1)]),
    ] {
        assert_eq!(run(&mut list, op, args), Err(ResultCode::OpNotApplicable), "{op}");
    }
}

#[test]
fn ranges_clamp_and_negative_indexes_count_from_the_end() {
    let mut list = ints(&[1, 2, 3, 4]);
    assert_eq!(run(&mut list, code::GET_RANGE, vec![i(-2)]), Ok(Some(int_list(&[3, 4]))));
    assert_eq!(run(&mut list, code::GET_RANGE, vec![i(9), i(2)]), Ok(Some(int_list(&[]))));
    assert_eq!(run(&mut list, code::POP_RANGE, vec![i(-9), i(6)]), Ok(Some(int_list(&[1]))));
    assert_eq!(run(&mut list, code::TRIM, vec![i(1), i(1)]), Ok(Some(i(2))));
    assert_eq!(list.items, [i(3)]);
}

#[test]
fn add_unique_fails_with_24_or_skips_with_no_fail() {
    let mut list = ints(&[1, 2]);
    let dup = vec![i(2), i(0), i(1)];
    assert_eq!(run(&mut list, code::APPEND, dup), Err(ResultCode::ElementExists));
    assert_eq!(run(&mut list, code::APPEND, vec![i(2), i(0), i(1 | 4)]), Ok(Some(i(2))));
    let items = vec![int_list(&[3, 2, 4]), i(0), i(1 | 4)];
    assert_eq!(run(&mut list, code::APPEND_ITEMS, items.clone()), Ok(Some(i(2))));
    let partial = vec![items[0].clone(), i(0), i(1 | 4 | 8)];
    assert_eq!(run(&mut list, code::APPEND_ITEMS, partial), Ok(Some(i(4))));
    assert_eq!(list.items, [i(1), i(2), i(3), i(4)]);
}

#[test]
fn ordered_lists_insert_in_order_and_refuse_insert_and_set() {
    let mut list = List { flags: ORDERED, items: vec![] };
    run(&mut list, code::APPEND_ITEMS, vec![int_list(&[5, 1, 3]), i(1)]).unwrap();
    run(&mut list, code::APPEND, vec![i(2)]).unwrap();
    assert_eq!(list.items, [i(1), i(2), i(3), i(5)]);
    assert_eq!(run(&mut list, code::INSERT, vec![i(0), i(9)]), Err(ResultCode::OpNotApplicable));
    assert_eq!(run(&mut list, code::SET, vec![i(0), i(9)]), Err(ResultCode::OpNotApplicable));
    let by_rank = code::GET_BY_INDEX + 7;
    assert_eq!(run(&mut list, by_rank, vec![i(VALUE), i(0), i(2)]), Ok(Some(int_list(&[1, 2]))));
}

#[test]
fn increment_keeps_the_element_type_and_rejects_strings() {
    let mut list = List { flags: 0, items: vec![i(1), Val::Float(1.5), Val::Bytes(b"\x03a")] };
    assert_eq!(run(&mut list, code::INCREMENT, vec![i(0), Val::Float(2.7)]), Ok(Some(i(3))));
    assert_eq!(run(&mut list, code::INCREMENT, vec![i(1), i(1)]), Ok(Some(Val::Float(2.5))));
    let wrong = run(&mut list, code::INCREMENT, vec![i(2), i(1)]);
    assert_eq!(wrong, Err(ResultCode::ParameterError));
    assert_eq!(run(&mut list, code::INCREMENT, vec![i(4)]), Ok(Some(i(1))));
    assert_eq!(list.items[3..], [Val::Nil, i(1)]);
}

#[test]
fn values_selections_and_return_types() {
    let mut list = ints(&[3, 1, 3, 2]);
    let by_value = code::GET_BY_INDEX + 3;
    assert_eq!(run(&mut list, by_value, vec![i(1), i(3)]), Ok(Some(int_list(&[0, 2]))));
    assert_eq!(run(&mut list, by_value, vec![i(2), i(3)]), Ok(Some(int_list(&[3, 1]))));
    assert_eq!(run(&mut list, by_value, vec![i(3), i(1)]), Ok(Some(int_list(&[0]))));
    assert_eq!(run(&mut list, by_value, vec![i(5), i(3)]), Ok(Some(i(2))));
    assert_eq!(run(&mut list, by_value, vec![i(13), i(9)]), Ok(Some(Val::Bool(false))));
    let inverted = vec![i(VALUE | INVERTED), i(3)];
    assert_eq!(run(&mut list, by_value, inverted), Ok(Some(int_list(&[1, 2]))));
    let interval = code::GET_BY_INDEX + 6;
    let args = vec![i(VALUE), i(2), Val::Infinity];
    assert_eq!(run(&mut list, interval, args), Ok(Some(int_list(&[3, 3, 2]))));
    let value_list = code::GET_BY_INDEX + 4;
    let args = vec![i(VALUE), int_list(&[2, 1])];
    assert_eq!(run(&mut list, value_list, args), Ok(Some(int_list(&[1, 2]))));
    assert_eq!(
        run(&mut list, code::GET_BY_INDEX, vec![i(6), i(0)]),
        Err(ResultCode::OpNotApplicable)
    );
}

#[test]
fn remove_by_value_removes_every_match() {
    let mut list = ints(&[3, 1, 3, 2]);
    let remove = code::REMOVE_BY_INDEX + 3;
    assert_eq!(run(&mut list, remove, vec![i(5), i(3)]), Ok(Some(i(2))));
    assert_eq!(list.items, [i(1), i(2)]);
}

#[test]
fn sort_orders_and_drops_duplicates() {
    let mut list = List { flags: 0, items: vec![i(2), Val::Bytes(b"\x03a"), i(1), i(2)] };
    assert_eq!(run(&mut list, code::SORT, vec![i(2)]), Ok(None));
    assert_eq!(list.items, [i(1), i(2), Val::Bytes(b"\x03a")]);
    run(&mut list, code::SET_TYPE, vec![i(1)]).unwrap();
    assert_eq!(list.flags, ORDERED);
}
