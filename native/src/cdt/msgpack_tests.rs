//! Unit tests of the msgpack codec.

use super::*;

fn round_trip(bytes: &[u8]) -> Vec<u8> {
    to_bytes(&decode(bytes).unwrap())
}

#[test]
fn ints_use_the_smallest_encoding() {
    let cases: [(i64, &[u8]); 8] = [
        (0, &[0x00]),
        (127, &[0x7f]),
        (128, &[0xcc, 0x80]),
        (-1, &[0xff]),
        (-33, &[0xd0, 0xdf]),
        (65_536, &[0xce, 0, 1, 0, 0]),
        (1 << 40, &[0xcf, 0, 0, 1, 0, 0, 0, 0, 0]),
        (i64::MIN, &[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
    ];
    for (value, bytes) in cases {
        assert_eq!(to_bytes(&Val::Int(value)), bytes, "{value}");
        assert_eq!(decode(bytes).unwrap(), Val::Int(value));
    }
}

#[test]
fn floats_are_always_written_as_doubles() {
    assert_eq!(round_trip(&[0xca, 0x3f, 0xc0, 0, 0]), [0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn strings_keep_their_type_byte_and_never_shrink_to_zero_length() {
    assert_eq!(decode(&[0xa2, 0x03, b'a']).unwrap(), Val::Bytes(b"\x03a"));
    assert_eq!(round_trip(&[0xd9, 0x02, 0x03, b'a']), [0xa2, 0x03, b'a']);
    assert_eq!(round_trip(&[0xa0]), [0xa1, 0x04]);
    let long = [&[0xda, 0x00, 0x21, 0x03][..], &[b'x'; 32]].concat();
    assert_eq!(round_trip(&long), long);
}

#[test]
fn ordered_list_and_map_flags_round_trip() {
    let list = [0x93, 0xc7, 0x00, 0x01, 0x01, 0x02];
    let Val::List(decoded) = decode(&list).unwrap() else { panic!("not a list") };
    assert_eq!((decoded.flags, decoded.items.len()), (1, 2));
    assert_eq!(to_bytes(&Val::List(decoded)), list);
    let map = [0x82, 0xc7, 0x00, 0x01, 0xc0, 0x01, 0x02];
    let Val::Map(decoded) = decode(&map).unwrap() else { panic!("not a map") };
    assert_eq!((decoded.flags, decoded.pairs.len()), (1, 1));
    assert_eq!(to_bytes(&Val::Map(decoded)), map);
}

#[test]
fn infinity_and_wildcard_are_recognised() {
    assert_eq!(decode(&[0xd4, 0xff, 0x01]).unwrap(), Val::Infinity);
    assert_eq!(decode(&[0xd4, 0xff, 0x00]).unwrap(), Val::Wildcard);
    let Val::List(list) = decode(&[0x91, 0xd4, 0xff, 0x01]).unwrap() else { panic!() };
    assert_eq!((list.flags, list.items), (0, vec![Val::Infinity]));
}

#[test]
fn malformed_input_is_a_parameter_error() {
    let cases: [&[u8]; 8] = [
        &[],
        &[0xc1],
        &[0x92, 0x01],
        &[0xa5, 0x03],
        &[0xdd, 0xff, 0xff, 0xff, 0xff],
        &[0xcb, 0x00],
        &[0x01, 0x02],
        &[0xc7, 0x05, 0x01],
    ];
    for bytes in cases {
        assert_eq!(decode(bytes), Err(ResultCode::ParameterError), "{bytes:x?}");
    }
}

#[test]
fn nesting_is_limited_to_elements_at_depth_64() {
    let ok = [vec![0x91; MAX_DEPTH], vec![0x90]].concat();
    assert!(decode(&ok).is_ok());
    let deep = [vec![0x91; MAX_DEPTH], vec![0x91, 0x01]].concat();
    assert_eq!(decode(&deep), Err(ResultCode::ParameterError));
}

#[test]
fn nested_values_round_trip() {
    let bytes = [0x92, 0x81, 0xa2, 0x03, b'k', 0x91, 0xc3, 0xcb, 0x40, 0, 0, 0, 0, 0, 0, 0];
    assert_eq!(round_trip(&bytes), bytes);
}
