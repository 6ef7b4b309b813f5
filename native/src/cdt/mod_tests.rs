//! Unit tests of the CDT entry points: payload parsing, bin types, missing bins.

use super::*;
use crate::test_support::{mutate_bytes, Rng};

fn payload(code: i64, args: Vec<Val<'static>>) -> Vec<u8> {
    let items = [vec![Val::Int(code)], args].concat();
    msgpack::to_bytes(&Val::List(List { flags: 0, items }))
}

fn list_bin(bytes: &[u8]) -> Value {
    Value::List(Bytes::from_slice(bytes))
}

#[test]
fn malformed_payloads_are_parameter_errors_and_context_is_unsupported() {
    let bin = Some(list_bin(&[0x91, 0x01]));
    for bad in [&[][..], &[0x91], &[0x91, 0xc0], &[0x92, 0x11], &[0x91, 0x3f], &[0x80]] {
        assert_eq!(read(bin.as_ref(), bad), Err(ResultCode::ParameterError), "{bad:x?}");
    }
    let ctx = payload(0xff, vec![Val::Nil, Val::Nil]);
    assert_eq!(read(bin.as_ref(), &ctx), Err(ResultCode::UnsupportedFeature));
}

#[test]
fn modify_codes_in_a_read_are_parameter_errors() {
    let append = payload(1, vec![Val::Int(1)]);
    assert_eq!(read(Some(&list_bin(&[0x90])), &append), Err(ResultCode::ParameterError));
}

#[test]
fn ops_on_bins_of_another_type_are_12() {
    let mut bin = Some(Value::Int(1));
    assert_eq!(modify(&mut bin, &payload(1, vec![Val::Int(1)])), Err(ResultCode::BinTypeError));
    assert_eq!(bin, Some(Value::Int(1)));
    let size = payload(96, vec![]);
    assert_eq!(read(Some(&list_bin(&[0x90])), &size), Err(ResultCode::BinTypeError));
}

#[test]
fn missing_bins_are_created_or_left_alone() {
    let mut bin = None;
    assert_eq!(modify(&mut bin, &payload(5, vec![Val::Int(0)])), Ok(None));
    assert_eq!(bin, None);
    assert_eq!(modify(&mut bin, &payload(13, vec![])), Err(ResultCode::BinTypeError));
    assert_eq!(
        modify(&mut bin, &payload(1, vec![Val::Int(7), Val::Int(1)])),
        Ok(Some(Value::Int(1)))
    );
    assert_eq!(bin, Some(list_bin(&[0x92, 0xc7, 0x00, 0x01, 0x07])));
    let mut map = None;
    let put = payload(67, vec![Val::Bytes(b"\x03z"), Val::Int(3), Val::Int(1)]);
    assert_eq!(modify(&mut map, &put), Ok(Some(Value::Int(1))));
    let stored = [0x82, 0xc7, 0x00, 0x01, 0xc0, 0xa2, 0x03, b'z', 0x03];
    assert_eq!(map, Some(Value::Map(Bytes::from_slice(&stored))));
}

#[test]
fn errors_leave_the_bin_unchanged() {
    let mut bin = Some(list_bin(&[0x91, 0x01]));
    let pop = payload(5, vec![Val::Int(3)]);
    assert_eq!(modify(&mut bin, &pop), Err(ResultCode::OpNotApplicable));
    assert_eq!(bin, Some(list_bin(&[0x91, 0x01])));
}

#[test]
fn results_become_particles() {
    let bin = Some(list_bin(&[0x93, 0xa2, 0x03, b'a', 0xa2, 0x04, 0xff, 0xc3]));
    let get = |i| read(bin.as_ref(), &payload(17, vec![Val::Int(i)]));
    assert_eq!(get(0), Ok(Some(Value::Str(Bytes::from_slice(b"a")))));
    assert_eq!(get(1), Ok(Some(Value::Blob(Bytes::from_slice(&[0xff])))));
    assert_eq!(get(2), Ok(Some(Value::Bool(true))));
}

#[test]
fn ten_thousand_elements_stay_fast() {
    let items = (0..10_000).map(Val::Int).collect();
    let bytes = msgpack::to_bytes(&Val::List(List { flags: 0, items }));
    let mut bin = Some(list_bin(&bytes));
    let start = std::time::Instant::now();
    for i in 0..20 {
        modify(&mut bin, &payload(3, vec![Val::Int(i * 7), Val::Int(-1)])).unwrap();
        read(bin.as_ref(), &payload(26, vec![Val::Int(7), Val::Int(5), Val::Int(3)])).unwrap();
    }
    // Generous even for debug builds: quadratic work would take seconds.
    assert!(start.elapsed() < std::time::Duration::from_secs(2), "{:?}", start.elapsed());
}

#[test]
fn delta_rules_follow_the_server() {
    assert_eq!(add_delta(Some(&Val::Int(1)), &Val::Float(0.5), false), Ok(Val::Int(1)));
    assert_eq!(add_delta(Some(&Val::Float(1.0)), &Val::Int(2), true), Ok(Val::Float(-1.0)));
    assert_eq!(add_delta(None, &Val::Nil, false), Ok(Val::Int(1)));
    assert_eq!(add_delta(Some(&Val::Int(i64::MAX)), &Val::Int(1), false), Ok(Val::Int(i64::MIN)));
    assert_eq!(add_delta(None, &Val::Bool(true), false), Err(ResultCode::ParameterError));
}

#[test]
fn huge_pad_indexes_are_refused_without_allocating() {
    let mut bin = Some(list_bin(&[0x90]));
    let set = payload(9, vec![Val::Int(i64::from(i32::MAX)), Val::Int(1)]);
    assert_eq!(modify(&mut bin, &set), Err(ResultCode::RecordTooBig));
}

#[test]
fn random_and_mutated_payloads_never_panic() {
    let mut rng = Rng::new(0x9e37_79b9_7f4a_7c15);
    let seeds: Vec<Vec<u8>> = vec![
        payload(26, vec![Val::Int(7), Val::Int(1), Val::Int(2)]),
        payload(68, vec![Val::Map(Map { flags: 0, pairs: vec![(Val::Int(1), Val::Nil)] })]),
        payload(4, vec![Val::Int(-1), Val::List(List { flags: 0, items: vec![Val::Int(3)] })]),
        payload(105, vec![Val::Int(8), Val::Nil, Val::Infinity]),
    ];
    let list = list_bin(&[0x94, 0x01, 0xa2, 0x03, b'a', 0x91, 0xc0, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0]);
    let map = Value::Map(Bytes::from_slice(&[0x82, 0x01, 0x02, 0xa2, 0x03, b'k', 0x90]));
    for round in 0..20_000 {
        let mut bytes = seeds[round % seeds.len()].clone();
        mutate_bytes(&mut rng, &mut bytes, 4);
        for stored in [&list, &map] {
            let _ = read(Some(stored), &bytes);
            let _ = modify(&mut Some(stored.clone()), &bytes);
        }
        let _ = modify(&mut None, &bytes);
    }
}
