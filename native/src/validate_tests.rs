use super::*;
use crate::test_support::{mutate_bytes, Rng};

fn stored(bytes: &[u8]) -> Result<(), Invalid> {
    check_msgpack(bytes, Top::Any, Use::Storage)
}

/// `levels` nested lists with `inner` at the bottom.
fn nested(levels: usize, inner: &[u8]) -> Vec<u8> {
    let mut out = vec![0x91; levels - 1];
    out.extend_from_slice(inner);
    out
}

#[test]
fn accepts_what_the_client_writes() {
    let cases: [&[u8]; 8] = [
        &[0x92, 0x01, 0xa3, 0x03, b'h', b'i'],
        &[0x82, 0xa2, 0x03, b'k', 0xc0, 0x01, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0],
        &[0x92, 0xc7, 0x00, 0x01, 0x01],
        &[0x82, 0xc7, 0x00, 0x01, 0xc0, 0x01, 0x02],
        &[0x91, 0xa1, 0x03],
        &[0x81, 0xa1, 0x04, 0x90],
        &[0x91, 0xd4, 0x05, 0x01],
        &[0xdc, 0x00, 0x01, 0x7f],
    ];
    for bytes in cases {
        assert_eq!(stored(bytes), Ok(()), "{bytes:02x?}");
    }
}

#[test]
fn malformed_msgpack_is_malformed() {
    let cases: [&[u8]; 10] = [
        &[],
        &[0x9f, 0x01],
        &[0xdd, 0xff, 0xff, 0xff, 0xff, 0x01],
        &[0xdf, 0xff, 0xff, 0xff, 0xff, 0x01, 0x01],
        &[0x91, 0xc1],
        &[0x91, 0x01, 0x02],
        &[0x91, 0xd4, 0xff, 0x01],
        &[0x81, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x01],
        &[0x81, 0x91, 0x01, 0x01],
        &[0x81, 0xc0, 0x01],
    ];
    for bytes in cases {
        assert_eq!(stored(bytes), Err(Invalid::Malformed), "{bytes:02x?}");
    }
}

#[test]
fn values_the_client_cannot_read_are_unreadable() {
    let cases: [&[u8]; 6] = [
        &[0x91, 0xa0],
        &[0x91, 0xa2, 0x09, b'x'],
        &[0x91, 0xa2, 0x03, 0xff],
        &[0x92, 0xc7, 0xff, 0x05],
        &[0x92, 0xc8, 0xff, 0xff, 0x05],
        &[0x91, 0xc4, 0x00],
    ];
    for bytes in cases {
        assert_eq!(stored(bytes), Err(Invalid::Unreadable), "{bytes:02x?}");
    }
}

#[test]
fn top_type_must_match_the_particle() {
    assert_eq!(check_msgpack(&[0x80], Top::List, Use::Storage), Err(Invalid::Malformed));
    assert_eq!(check_msgpack(&[0x90], Top::Map, Use::Storage), Err(Invalid::Malformed));
    assert_eq!(check_msgpack(&[0x01], Top::List, Use::Storage), Err(Invalid::Malformed));
}

#[test]
fn compare_values_are_allowed_only_in_requests() {
    let infinity = [0x92, 0x01, 0xd4, 0xff, 0x01];
    assert_eq!(stored(&infinity), Err(Invalid::Malformed));
    assert_eq!(check_msgpack(&infinity, Top::Any, Use::Request), Ok(()));
}

#[test]
fn depth_is_bounded_like_the_client() {
    assert_eq!(stored(&nested(64, &[0x91, 0x01])), Ok(()));
    assert_eq!(stored(&nested(65, &[0x90])), Ok(()));
    assert_eq!(stored(&nested(65, &[0x91, 0x01])), Err(Invalid::Unreadable));
    assert_eq!(stored(&nested(100_000, &[0x90])), Err(Invalid::Unreadable));
}

#[test]
fn lying_counts_fail_fast() {
    let mut huge = vec![0xdd, 0xff, 0xff, 0xff, 0xff];
    huge.extend(std::iter::repeat_n(0x01, 1000));
    assert_eq!(stored(&huge), Err(Invalid::Malformed));
}

#[test]
fn particles_get_the_real_servers_codes() {
    assert_eq!(check_particle(particle::LIST, &[0x9f, 0x01]), Err(ResultCode::ServerError));
    assert_eq!(check_particle(particle::MAP, &[0x81, 0xc3, 0x01]), Err(ResultCode::ServerError));
    assert_eq!(check_particle(particle::LIST, &[0x91, 0xa0]), Err(ResultCode::ParameterError));
    assert_eq!(check_particle(particle::STRING, &[0xc3, 0x28]), Err(ResultCode::ParameterError));
    assert_eq!(check_particle(particle::STRING, "é".as_bytes()), Ok(()));
}

#[test]
fn geojson_needs_room_for_its_cells_and_a_json_object() {
    let point = br#"{"type":"Point","coordinates":[1.0,2.0]}"#;
    let mut ok = vec![0, 0, 0];
    ok.extend_from_slice(point);
    assert_eq!(check_geojson(&ok), Ok(()));
    let mut with_cell = vec![0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8];
    with_cell.extend_from_slice(point);
    assert_eq!(check_geojson(&with_cell), Ok(()));
    let bad: [&[u8]; 5] =
        [b"", b"\x00\x00", b"garbage", b"\x00\x00\x00not json", b"\x00\x00\x05{}"];
    for bytes in bad {
        assert_eq!(check_geojson(bytes), Err(ResultCode::GeoInvalidGeojson), "{bytes:02x?}");
    }
}

#[test]
fn only_integer_string_and_blob_keys_are_stored() {
    assert_eq!(check_key(&[1, 0, 0, 0, 0, 0, 0, 0, 7]), Ok(()));
    assert_eq!(check_key(b"\x03abc"), Ok(()));
    assert_eq!(check_key(b"\x04\xff\x00"), Ok(()));
    assert_eq!(check_key(&[]), Err(ResultCode::UnsupportedFeature));
    assert_eq!(check_key(&[1, 0, 7]), Err(ResultCode::UnsupportedFeature));
    assert_eq!(check_key(b"\x63abc"), Err(ResultCode::ParameterError));
    assert_eq!(check_key(b"\x14\x90"), Err(ResultCode::ParameterError));
    assert_eq!(check_key(b"\x03\xff"), Err(ResultCode::ParameterError));
}

/// Random mutations of valid values never panic and accepted ones stay decodable.
#[test]
fn mutated_values_never_panic() {
    let seeds: [&[u8]; 3] = [
        &[0x93, 0x01, 0x92, 0xa2, 0x03, b'x', 0xcb, 0, 0, 0, 0, 0, 0, 0, 0, 0x80],
        &[0x82, 0xc7, 0x00, 0x01, 0xc0, 0xa2, 0x03, b'k', 0x91, 0xd1, 0x01, 0x02],
        &[0xdc, 0x00, 0x02, 0xc4, 0x02, 0x04, 0xff, 0xde, 0x00, 0x01, 0x01, 0xc3],
    ];
    let mut rng = Rng::new(0x2545_f491_4f6c_dd1d);
    for _ in 0..20_000 {
        let mut bytes = seeds[rng.below(seeds.len())].to_vec();
        mutate_bytes(&mut rng, &mut bytes, 3);
        if stored(&bytes).is_ok() {
            assert!(crate::cdt::msgpack::decode(&bytes).is_ok(), "{bytes:02x?}");
        }
    }
}
