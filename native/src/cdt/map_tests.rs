//! Unit tests of map ops.

use super::*;
use crate::cdt::msgpack::List;

const KEY: i64 = 6;
const VALUE: i64 = 7;

fn s(text: &'static [u8]) -> Val<'static> {
    Val::Bytes(text)
}

fn i(v: i64) -> Val<'static> {
    Val::Int(v)
}

fn map(pairs: &[(Val<'static>, Val<'static>)]) -> Map<'static> {
    Map { flags: 0, pairs: pairs.to_vec() }
}

fn list(items: Vec<Val<'static>>) -> Val<'static> {
    Val::List(List { flags: 0, items })
}

fn run(m: &mut Map<'static>, op: u8, args: Vec<Val<'static>>) -> OpResult<Option<Val<'static>>> {
    execute(op, &Args::new(args), m).map(|o| o.result)
}

fn fruit() -> Map<'static> {
    map(&[(s(b"\x03pear"), i(1)), (s(b"\x03apple"), i(3)), (s(b"\x03fig"), i(2))])
}

#[test]
fn int_keys_are_found() {
    let mut m = map(&[(i(1), i(10)), (i(2), i(20))]);
    assert_eq!(run(&mut m, code::GET_BY_KEY, vec![i(VALUE), i(1)]), Ok(Some(i(10))));
    assert_eq!(run(&mut m, code::GET_BY_KEY, vec![i(VALUE), i(3)]), Ok(None));
    assert_eq!(run(&mut m, code::GET_BY_KEY, vec![i(1), i(3)]), Ok(Some(i(-1))));
}

#[test]
fn float_value_ranges_select_by_value() {
    let pairs = [(s(b"\x03a"), Val::Float(1.0)), (s(b"\x03b"), Val::Float(2.0))];
    let mut m = map(&[pairs[0].clone(), pairs[1].clone(), (s(b"\x03c"), Val::Float(3.0))]);
    let args = vec![i(KEY), Val::Float(2.0), Val::Float(2.9)];
    assert_eq!(run(&mut m, 105, args), Ok(Some(list(vec![s(b"\x03b")]))));
}

#[test]
fn indexes_count_in_key_order_and_ranks_in_value_order() {
    let mut m = fruit();
    assert_eq!(run(&mut m, 98, vec![i(KEY), i(0)]), Ok(Some(s(b"\x03apple"))));
    assert_eq!(run(&mut m, 98, vec![i(KEY), i(-1)]), Ok(Some(s(b"\x03pear"))));
    let keys = list(vec![s(b"\x03pear"), s(b"\x03fig"), s(b"\x03apple")]);
    assert_eq!(run(&mut m, 106, vec![i(KEY), i(0)]), Ok(Some(keys)));
    assert_eq!(run(&mut m, 100, vec![i(1), i(0)]), Ok(Some(i(2))));
    assert_eq!(run(&mut m, 98, vec![i(KEY), i(3)]), Err(ResultCode::OpNotApplicable));
}

#[test]
fn write_modes_answer_24_and_23() {
    let mut m = fruit();
    let add = vec![s(b"\x03fig"), i(9)];
    assert_eq!(run(&mut m, code::ADD, add), Err(ResultCode::ElementExists));
    let replace = vec![s(b"\x03kiwi"), i(9)];
    assert_eq!(run(&mut m, code::REPLACE, replace), Err(ResultCode::ElementNotFound));
    let no_fail = vec![s(b"\x03kiwi"), i(9), i(0), i(2 | 4)];
    assert_eq!(run(&mut m, code::PUT, no_fail), Ok(Some(i(3))));
    let items = Val::Map(map(&[(s(b"\x03kiwi"), i(9)), (s(b"\x03fig"), i(8))]));
    assert_eq!(run(&mut m, code::ADD_ITEMS, vec![items.clone()]), Err(ResultCode::ElementExists));
    let partial = vec![items, i(0), i(1 | 4 | 8)];
    assert_eq!(run(&mut m, code::PUT_ITEMS, partial), Ok(Some(i(4))));
    assert_eq!(m.pairs[2].1, i(2));
    assert_eq!(m.pairs[3], (s(b"\x03kiwi"), i(9)));
}

#[test]
fn key_ordered_maps_stay_sorted() {
    let mut m = Map { flags: KEY_ORDERED, pairs: vec![] };
    let items = Val::Map(map(&[(s(b"\x03b"), i(2)), (s(b"\x03a"), i(1))]));
    assert_eq!(run(&mut m, code::PUT_ITEMS, vec![items]), Ok(Some(i(2))));
    run(&mut m, code::PUT, vec![s(b"\x03c"), i(0)]).unwrap();
    run(&mut m, code::PUT, vec![s(b"\x03B"), i(0)]).unwrap();
    let keys: Vec<_> = m.pairs.iter().map(|(k, _)| k.clone()).collect();
    assert_eq!(keys, [s(b"\x03B"), s(b"\x03a"), s(b"\x03b"), s(b"\x03c")]);
}

#[test]
fn increment_keeps_int_values_int_and_rejects_strings() {
    let mut m = map(&[(s(b"\x03n"), i(1)), (s(b"\x03s"), s(b"\x03x"))]);
    assert_eq!(run(&mut m, code::INCREMENT, vec![s(b"\x03n"), Val::Float(0.5)]), Ok(Some(i(1))));
    assert_eq!(run(&mut m, code::DECREMENT, vec![s(b"\x03n"), i(3)]), Ok(Some(i(-2))));
    let wrong = run(&mut m, code::INCREMENT, vec![s(b"\x03s"), i(1)]);
    assert_eq!(wrong, Err(ResultCode::ParameterError));
    assert_eq!(run(&mut m, code::INCREMENT, vec![s(b"\x03new")]), Ok(Some(i(1))));
}

#[test]
fn key_value_results_preserve_order_and_ordered_maps_sort() {
    let mut m = fruit();
    let Ok(Some(Val::Map(kv))) = run(&mut m, 106, vec![i(8), i(0), i(2)]) else { panic!() };
    assert_eq!(kv.flags, 0x08);
    assert_eq!(kv.pairs, [(s(b"\x03pear"), i(1)), (s(b"\x03fig"), i(2))]);
    let Ok(Some(Val::Map(ordered))) = run(&mut m, 102, vec![i(17), i(1)]) else { panic!() };
    assert_eq!((ordered.flags, ordered.pairs.len()), (1, 1));
}

#[test]
fn removes_by_key_list_and_interval() {
    let mut m = fruit();
    let keys = list(vec![s(b"\x03fig"), s(b"\x03kiwi")]);
    assert_eq!(run(&mut m, 81, vec![i(5), keys]), Ok(Some(i(1))));
    let interval = vec![i(KEY), s(b"\x03a"), Val::Infinity];
    // An unordered map lists keys in key order, as a real server does.
    assert_eq!(run(&mut m, 84, interval), Ok(Some(list(vec![s(b"\x03apple"), s(b"\x03pear")]))));
    assert!(m.pairs.is_empty());
}

#[test]
fn inverted_selections_take_the_rest() {
    let mut m = fruit();
    let args = vec![i(KEY | crate::cdt::result::INVERTED), i(1)];
    let rest = list(vec![s(b"\x03apple"), s(b"\x03fig")]);
    assert_eq!(run(&mut m, 102, args), Ok(Some(rest)));
    let single = vec![i(KEY | crate::cdt::result::INVERTED), s(b"\x03fig")];
    assert_eq!(run(&mut m, code::GET_BY_KEY, single), Err(ResultCode::OpNotApplicable));
}
