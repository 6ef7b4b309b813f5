"""Model declaration rules, conversion to and from bins, and class-level bin references."""

from __future__ import annotations

import datetime as dt
import enum
import warnings
from typing import Annotated, Any, Optional

import pydantic
import pytest
from pydantic import BaseModel, Field

from aerorepo import BinRef, Generation, Key, Model, ModelDefinitionError, Width
from aerorepo.exceptions import InvalidTTLError, ValueConversionError


class Flight(Model, namespace="test", set_name="flights", send_key=True):
    flight_id: Annotated[int, Key()]
    carrier: Annotated[str, Width(2)]
    dep_delay: float | None = None
    tailnum: str | None = Field(default=None, alias="tail")
    version: Annotated[int, Generation()] = 0


class Color(enum.IntEnum):
    RED = 1
    BLUE = 2


class Address(BaseModel):
    street_name_of_the_place: str
    number: int


class Person(Model, namespace="test", set_name="people"):
    login: Annotated[str, Key()]
    display_name: str = Field(alias="dname")
    login_count: int = Field(default=0, alias="logins")
    born: dt.datetime | None = None
    address: Address | None = None
    hist: dict[int, int] = Field(default_factory=dict)
    by_color: dict[Color, int] = Field(default_factory=dict)


def define(
    name: str,
    namespace: Any = "test",
    class_keywords: dict[str, Any] | None = None,
    **fields: Any,
) -> type[Model]:
    """Define a Model subclass at run time from field annotations (and defaults)."""
    annotations = {field: value[0] for field, value in fields.items()}
    defaults = {field: value[1] for field, value in fields.items() if len(value) > 1}
    keywords = {} if namespace is None else {"namespace": namespace}
    keywords.update(class_keywords or {})
    body = {"__annotations__": annotations, **defaults, "__module__": __name__}
    return type(name, (Model,), body, **keywords)


KEY = (Annotated[int, Key()],)


@pytest.mark.parametrize(
    ("fields", "kwargs", "message"),
    [
        pytest.param(
            {"k": KEY, "v": (int, Field(default=0, alias="température_moy"))},
            {},
            r"M\.v: bin name 'température_moy' is 16 bytes in UTF-8 \(15 characters\)",
            id="alias-16-bytes-15-chars",
        ),
        pytest.param(
            {"k": KEY, "a_very_long_field_name": (int, 0)},
            {},
            r"M\.a_very_long_field_name: bin name .* is 22 bytes.*shorter alias",
            id="field-name-too-long",
        ),
        pytest.param(
            {"v": (int, 0)}, {}, r"exactly one key field, found 0", id="no-key"
        ),
        pytest.param(
            {"a": KEY, "b": (Annotated[str, Key()],)},
            {},
            r"exactly one key field, found 2 \(a, b\)",
            id="two-keys",
        ),
        pytest.param(
            {"k": (Annotated[float, Key()],)},
            {},
            r"M\.k: key type float is not supported.*str, int or bytes",
            id="float-key",
        ),
        pytest.param(
            {"k": (Annotated[int | None, Key()], None)},
            {},
            r"M\.k: the key field cannot be Optional.*k: Annotated\[str, Key\(\)\]",
            id="optional-key",
        ),
        pytest.param(
            {"k": (Optional[Annotated[str, Key()]], None)},  # noqa: UP045
            {},
            r"M\.k: the key field cannot be Optional, as every record has a key",
            id="optional-around-annotated-key",
        ),
        pytest.param(
            {"k": (Annotated[str, Key()] | None, None)},
            {},
            r"M\.k: the key field cannot be Optional",
            id="union-with-none-around-annotated-key",
        ),
        pytest.param(
            {"k": KEY, "g": (Optional[Annotated[int, Generation()]], None)},  # noqa: UP045
            {},
            r"M\.g: the generation field cannot be Optional.*Generation\(\)\] = 0",
            id="optional-generation",
        ),
        pytest.param(
            {"k": KEY},
            {"class_keywords": {"ttl": 315_360_001}},
            r"M class keyword ttl: TTL 315360001 is not allowed; use seconds 1 \.\. "
            r"315360000",
            id="ttl-over-ten-years",
        ),
        pytest.param(
            {
                "k": KEY,
                "a": (int, Field(default=0, alias="x")),
                "b": (int, Field(0, alias="x")),
            },
            {},
            r"M\.b: bin name 'x' is already used by field 'a'",
            id="duplicate-bin",
        ),
        pytest.param(
            {"k": KEY, "g": (Annotated[str, Generation()], "")},
            {},
            r"M\.g: a Generation\(\) field must be annotated int",
            id="generation-not-int",
        ),
        pytest.param(
            {"k": KEY, "m": (dict[float, int], {})},
            {},
            r"M\.m: map key type <class 'float'> cannot be stored",
            id="float-map-keys",
        ),
        pytest.param(
            {"k": KEY},
            {"namespace": None},
            r"M: namespace is missing or empty \(got None\)",
            id="no-namespace",
        ),
        pytest.param(
            {"k": KEY},
            {"namespace": ""},
            r"namespace is missing or empty",
            id="empty-namespace",
        ),
    ],
)
def test_class_definition_refuses_broken_rules(
    fields: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises((ModelDefinitionError, InvalidTTLError), match=message):
        define("M", **kwargs, **fields)


@pytest.mark.parametrize(
    ("keyword", "hint"),
    [
        pytest.param("set", r" \(did you mean set_name=\.\.\.\?\)", id="set"),
        pytest.param("sett", r" \(did you mean set_name=\.\.\.\?\)", id="sett"),
        pytest.param(
            "namspace", r" \(did you mean namespace=\.\.\.\?\)", id="namspace"
        ),
        pytest.param("sendkey", r" \(did you mean send_key=\.\.\.\?\)", id="sendkey"),
        pytest.param("colour", "", id="unrelated"),
    ],
)
def test_unknown_class_keyword_is_named_with_the_valid_ones(
    keyword: str, hint: str
) -> None:
    with pytest.raises(
        ModelDefinitionError,
        match=rf"^M: unknown class keyword '{keyword}'{hint}; the valid keywords are "
        r"namespace, set_name, ttl, send_key, abstract \(plus pydantic ConfigDict",
    ):
        define("M", class_keywords={keyword: "x"}, k=KEY)


def test_pydantic_config_keywords_are_still_accepted() -> None:
    class Frozen(Model, namespace="test", frozen=True):
        k: Annotated[int, Key()]
        v: int = 0

    with pytest.raises(pydantic.ValidationError, match="frozen"):
        Frozen(k=1).v = 2  # type: ignore[misc]


def test_set_name_over_63_bytes_is_refused_with_its_size() -> None:
    with pytest.raises(ModelDefinitionError, match=r"set name 'ééé.*' is 64 bytes"):

        class Long(Model, namespace="test", set_name="é" * 32):
            k: Annotated[int, Key()]


def test_set_name_of_63_bytes_is_accepted() -> None:
    class Fits(Model, namespace="test", set_name="é" * 31 + "a"):
        k: Annotated[int, Key()]

    assert len(Fits.aerospike_spec().set_name.encode()) == 63


def test_model_definition_error_is_a_type_error() -> None:
    assert issubclass(ModelDefinitionError, TypeError)


def test_bin_name_of_exactly_15_bytes_is_accepted() -> None:
    model = define("M", k=KEY, v=(int, Field(default=0, alias="température_mo")))
    assert [b.bin_name for b in model.aerospike_spec().bins] == ["température_mo"]


def test_nested_model_field_names_are_map_keys_and_not_limited() -> None:
    person = Person(
        login="ann",
        dname="Ann",
        address=Address(street_name_of_the_place="x", number=4),
    )
    assert person.to_bins()["address"] == {"street_name_of_the_place": "x", "number": 4}


def test_abstract_base_needs_no_namespace_and_shares_fields() -> None:
    class Base(Model, abstract=True):
        created: int = 0

    class Child(Base, namespace="test", set_name="child"):
        k: Annotated[int, Key()]

    assert [b.bin_name for b in Child.aerospike_spec().bins] == ["created"]
    with pytest.raises(ModelDefinitionError, match="Base is abstract"):
        Base.aerospike_spec()


def test_set_name_defaults_to_the_class_name() -> None:
    model = define("Plane", k=KEY)
    assert model.aerospike_spec().set_name == "Plane"


def test_class_attribute_is_a_bin_reference_and_instance_attribute_a_value() -> None:
    ref: Any = Flight.tailnum
    assert isinstance(ref, BinRef)
    assert (ref.bin_name, ref.field_name) == ("tail", "tailnum")
    assert Flight(flight_id=1, carrier="UA", tail="N1").tailnum == "N1"


def test_key_and_generation_fields_are_not_bins() -> None:
    assert [b.bin_name for b in Flight.aerospike_spec().bins] == [
        "carrier",
        "dep_delay",
        "tail",
    ]
    with pytest.raises(AttributeError, match="flight_id"):
        Flight.flight_id  # noqa: B018


def test_subclass_inherits_settings_and_bin_references() -> None:
    class Delayed(Flight, set_name="delayed"):
        minutes: int = 0

    spec = Delayed.aerospike_spec()
    assert (spec.namespace, spec.set_name, spec.send_key) == ("test", "delayed", True)
    assert Delayed.minutes.bin_name == "minutes"


def test_aliases_construct_by_name_and_by_alias() -> None:
    by_alias = Person(login="a", dname="Ann", logins=3)
    by_name = Person(login="a", display_name="Ann", login_count=3)
    assert by_alias == by_name
    assert by_alias.to_bins()["dname"] == "Ann"
    assert by_alias.to_bins()["logins"] == 3


def test_to_bins_leaves_out_the_key_and_keeps_none_zero_and_empty_apart() -> None:
    bins = Flight(flight_id=7, carrier="", dep_delay=0, tail=None).to_bins()
    assert bins == {"carrier": "", "dep_delay": 0.0, "tail": None}
    assert type(bins["dep_delay"]) is float


def test_width_limits_the_value_length() -> None:
    with pytest.raises(pydantic.ValidationError, match="at most 2 characters"):
        Flight(flight_id=1, carrier="UAX")


def test_naive_datetime_is_refused_at_construction_naming_the_field() -> None:
    with pytest.raises(pydantic.ValidationError, match=r"Person\.born: naive datetime"):
        Person(login="a", dname="A", born=dt.datetime(2019, 1, 1, 12))


def test_from_bins_reads_absent_bins_as_none_and_fills_key_and_generation() -> None:
    flight = Flight.from_bins(5, {"carrier": "AA"}, generation=3)
    assert flight == Flight(flight_id=5, carrier="AA", version=3)
    assert flight.dep_delay is None


def test_from_bins_converts_stored_datetimes_and_enum_keys() -> None:
    person = Person.from_bins(
        "a",
        {"dname": "A", "born": 1546336800 * 10**6, "by_color": {1: 5}, "hist": {7: 70}},
    )
    assert person.born == dt.datetime(
        2019, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )
    assert person.born is not None
    assert person.born.utcoffset() == dt.timedelta(0)
    assert person.by_color == {Color.RED: 5}
    assert isinstance(next(iter(person.by_color)), Color)
    assert person.hist == {7: 70}


@pytest.mark.parametrize(
    ("bins", "problem"),
    [
        pytest.param(
            {"carrier": 12},
            r"field carrier \(bin 'carrier'\): Input should be a valid string, "
            r"stored int 12",
            id="wrong-type",
        ),
        pytest.param(
            {"dep_delay": 1.5},
            r"field carrier \(bin 'carrier'\) is required but the bin is absent",
            id="required-bin-absent",
        ),
        pytest.param(
            {"carrier": "AA", "tail": 7},
            r"field tailnum \(bin 'tail'\): Input should be a valid string",
            id="aliased-bin",
        ),
    ],
)
def test_from_bins_names_the_key_field_and_bin_that_do_not_fit(
    bins: dict[str, Any], problem: str
) -> None:
    with pytest.raises(
        ValueConversionError,
        match=r"^Flight record with key 5 in test\.flights cannot be read: the stored "
        rf"data does not fit the model: {problem}.*; fix the stored record",
    ):
        Flight.from_bins(5, bins)


def test_from_bins_names_a_key_of_the_wrong_type() -> None:
    with pytest.raises(ValueConversionError, match=r"field flight_id \(the key\)"):
        Flight.from_bins("x", {"carrier": "AA"})


def test_bin_lookup_by_name_names_the_valid_fields() -> None:
    assert Flight.bin("dep_delay").bin_name == "dep_delay"
    with pytest.raises(KeyError, match=r"no bin field 'nope'.*'carrier'"):
        Flight.bin("nope")


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("to_bins", id="to_bins"),
        pytest.param("bin", id="bin"),
        pytest.param("from_bins", id="from_bins"),
        pytest.param("key_value", id="key_value"),
        pytest.param("record_generation", id="record_generation"),
        pytest.param("numpy_dtype", id="numpy_dtype"),
        pytest.param("aerospike_spec", id="aerospike_spec"),
    ],
)
def test_field_hiding_a_model_method_is_refused_without_a_pydantic_warning(
    name: str,
) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(
            ModelDefinitionError,
            match=rf"Shadow\.{name}: the field name hides the Model method {name}\(\); "
            rf"rename the field .*Field\(alias='{name}'\)",
        ):
            type(
                "Shadow",
                (Model,),
                {
                    "__annotations__": {"k": Annotated[int, Key()], name: int},
                    name: 0,
                    "__module__": __name__,
                },
                namespace="test",
            )


def test_field_hiding_a_method_is_refused_in_a_subclass_too() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ModelDefinitionError, match=r"Sub\.bin: the field name"):

            class Sub(Flight):
                bin: int = 0  # type: ignore[assignment]


def test_a_field_may_keep_a_method_name_as_its_bin_name_through_an_alias() -> None:
    model = define("M", k=KEY, bin_value=(int, Field(default=0, alias="bin")))
    assert [b.bin_name for b in model.aerospike_spec().bins] == ["bin"]
