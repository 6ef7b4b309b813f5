"""The Model base class: namespace, set, key, bins, TTL, generation and their checks."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import threading
import typing
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Final

import annotated_types
import pydantic
from pydantic._internal._model_construction import ModelMetaclass

from aerorepo.codec import ValueCodec, bin_codec, check_ttl, codec_for, describe
from aerorepo.exceptions import ModelDefinitionError, ValueConversionError
from aerorepo.ops import BinRef

if TYPE_CHECKING:
    import numpy as np

#: Longest stored bin name, in UTF-8 bytes.
MAX_BIN_NAME_BYTES: Final = 15
#: Longest set name, in UTF-8 bytes.
MAX_SET_NAME_BYTES: Final = 63
#: Longest namespace name, in UTF-8 bytes.
MAX_NAMESPACE_BYTES: Final = 31

KeyValue = str | int | bytes
_KEY_TYPES: Final = (str, int, bytes)
_CLASS_KWARGS: Final = ("namespace", "set_name", "ttl", "send_key", "abstract")
# pydantic takes its ConfigDict keys as class keywords too.
_PYDANTIC_KWARGS: Final = frozenset(pydantic.ConfigDict.__annotations__)


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """Marks the model field holding the record's user key: `Annotated[int, Key()]`.

    The key is not stored as a bin. Aerospike keeps only its digest unless the model
    sets `send_key=True`, which scans need to rebuild whole models.
    """


@dataclasses.dataclass(frozen=True, slots=True)
class Generation:
    """Marks an int field filled with the record's generation on reads.

    `Repository.update`, `replace` and `upsert` send it as the expected generation
    when it is above 0, so a concurrent change fails with GenerationError
    (optimistic locking). It is not stored as a bin. Generations are 16-bit on the
    server: after 65535 comes 1.
    """


@dataclasses.dataclass(frozen=True, slots=True)
class Width(annotated_types.GroupedMetadata):
    """Fixed width in characters of a str field: `Annotated[str, Width(2)]`.

    Validation refuses longer values, and columnar reads use the NumPy dtype
    `U<chars>`. `pydantic.Field(max_length=n)` has the same effect.
    """

    chars: int

    def __iter__(self) -> Iterator[object]:
        yield annotated_types.MaxLen(self.chars)


@dataclasses.dataclass(frozen=True, slots=True)
class BinSpec:
    """How one model field is stored as a bin."""

    field_name: str
    bin_name: str
    annotation: Any
    codec: ValueCodec
    nullable: bool
    path: str
    max_chars: int | None


@dataclasses.dataclass(frozen=True, slots=True)
class ModelSpec:
    """Everything derived from a model class at definition time."""

    namespace: str
    set_name: str
    ttl: int | None
    send_key: bool
    key_field: str
    key_type: type
    generation_field: str | None
    bins: tuple[BinSpec, ...]
    bin_refs: Mapping[str, BinRef[Any]]
    datetime_fields: tuple[str, ...]

    def bin_named(self, field_name: str) -> BinSpec:
        """Return the bin spec for a Python field name."""
        for spec in self.bins:
            if spec.field_name == field_name:
                return spec
        raise KeyError(field_name)


class _Building(threading.local):
    depth = 0


_building = _Building()


def _check_class_kwargs(cls_name: str, kwargs: Mapping[str, Any]) -> None:
    unknown = [
        k for k in kwargs if k not in _CLASS_KWARGS and k not in _PYDANTIC_KWARGS
    ]
    if not unknown:
        return

    name = unknown[0]
    close = _closest_keyword(name)
    hint = f" (did you mean {close}=...?)" if close else ""
    raise ModelDefinitionError(
        f"{cls_name}: unknown class keyword {name!r}{hint}; the valid keywords are "
        f"{', '.join(_CLASS_KWARGS)} (plus pydantic ConfigDict keys such as "
        "frozen=True)"
    )


def _closest_keyword(name: str) -> str | None:
    # A shared start ("set" for set_name) beats overall similarity ("sett" ~ "ttl").
    same_start = [k for k in _CLASS_KWARGS if k.startswith(name[:3].lower())]
    if len(same_start) == 1:
        return same_start[0]
    close = difflib.get_close_matches(name, _CLASS_KWARGS, n=1, cutoff=0.5)
    return close[0] if close else None


def _check_field_names(
    cls_name: str, bases: tuple[type[Any], ...], class_dict: Mapping[str, Any]
) -> None:
    # Checked before pydantic builds the class, so its shadowing warning never shows.
    parents = [base for base in bases if isinstance(base, ModelMeta)]
    annotations: Mapping[str, Any] = class_dict.get("__annotations__", {})
    for name, annotation in annotations.items():
        if name.startswith("_") or _is_class_var(annotation):
            continue
        for parent in parents:
            if callable(getattr(parent, name, None)):
                raise ModelDefinitionError(
                    f"{cls_name}.{name}: the field name hides the Model method "
                    f"{name}(); rename the field and keep the stored bin name with "
                    f"Field(alias={name!r})"
                )


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return typing.get_origin(annotation) is ClassVar


class ModelMeta(ModelMetaclass):
    """Metaclass of Model: takes the class keywords and serves bin references.

    Class attribute access such as `Flight.dep_delay` returns a `BinRef`; the hook
    doing so is hidden from type checkers, which see the field's annotation.
    """

    def __new__(
        mcs,
        cls_name: str,
        bases: tuple[type[Any], ...],
        class_dict: dict[str, Any],
        /,
        **kwargs: Any,
    ) -> type:
        """Create a model class, taking aerorepo's class keywords out of `kwargs`.

        Raises:
            ModelDefinitionError: For an unknown class keyword, or a field whose
                name hides a Model method (checked before pydantic builds the class).
        """
        _check_class_kwargs(cls_name, kwargs)
        _check_field_names(cls_name, bases, class_dict)
        settings = {name: kwargs.pop(name) for name in _CLASS_KWARGS if name in kwargs}
        class_dict["__aerorepo_settings__"] = settings

        # While pydantic builds the class it probes base classes with getattr;
        # bin references must not answer those probes.
        _building.depth += 1
        try:
            return super().__new__(mcs, cls_name, bases, class_dict, **kwargs)
        finally:
            _building.depth -= 1

    if not TYPE_CHECKING:

        def __getattr__(cls, name: str) -> Any:
            spec = cls.__dict__.get("__aerorepo_spec__")
            if spec is not None and _building.depth == 0:
                ref = spec.bin_refs.get(name)
                if ref is not None:
                    return ref
            return super().__getattr__(name)


class Model(pydantic.BaseModel, metaclass=ModelMeta):
    """Base class of records stored in Aerospike.

    Declare the namespace and set as class keywords and exactly one key field:

        class Flight(Model, namespace="test", set_name="flights", send_key=True):
            flight_id: Annotated[int, Key()]
            carrier: Annotated[str, Width(2)]
            dep_delay: float | None = None
            tailnum: str | None = Field(default=None, alias="tail")

    Class keywords:
        namespace: The Aerospike namespace (required, at most 31 bytes).
        set_name: The set (at most 63 bytes); defaults to the class name.
        ttl: Seconds until expiry applied on every write (1 .. TTL_MAX, 10 years),
            or a TTL_* constant. Without it, inserts use the namespace default and
            other writes keep the record's current TTL (TTL_KEEP_CURRENT).
        send_key: Store the user key with the record (needed by `Repository.scan`).
        abstract: Declare a base class holding shared fields; it needs no namespace.

    Any other class keyword (other than pydantic's ConfigDict keys) is refused. The
    key field cannot be Optional.

    Each other field is a bin named by its alias (or its name), at most 15 UTF-8
    bytes. None means "no bin": writing None removes the bin and an absent bin reads
    as None, while 0 and "" are stored values. Only fields that admit None can have
    their bin removed. Fields may be construct by name or by
    alias. Datetimes must be aware (a naive one is refused naming the field).
    """

    model_config = pydantic.ConfigDict(validate_by_name=True, validate_by_alias=True)

    __aerorepo_spec__: ClassVar[ModelSpec]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Check the class against Aerospike's rules and derive its bin specs."""
        super().__pydantic_init_subclass__(**kwargs)
        settings: dict[str, Any] = cls.__dict__.get("__aerorepo_settings__", {})
        if settings.get("abstract"):
            return
        cls.__aerorepo_spec__ = _build_spec(cls, settings)

    @pydantic.model_validator(mode="after")
    def _refuse_naive_datetimes(self) -> Model:
        spec = type(self).__dict__.get("__aerorepo_spec__")
        for name in spec.datetime_fields if spec is not None else ():
            value = getattr(self, name)
            if isinstance(value, dt.datetime) and value.utcoffset() is None:
                raise ValueError(
                    f"{type(self).__name__}.{name}: naive datetime {value.isoformat()} "
                    "refused; give it a time zone, e.g. tzinfo=datetime.timezone.utc"
                )
        return self

    @classmethod
    def aerospike_spec(cls) -> ModelSpec:
        """Return the storage spec derived when the class was defined.

        Raises:
            ModelDefinitionError: For Model itself or a class declared abstract.
        """
        spec = cls.__dict__.get("__aerorepo_spec__")
        if spec is None:
            raise ModelDefinitionError(
                f"{cls.__name__} is abstract (no namespace); subclass it with "
                'namespace="..." to store records'
            )
        return typing.cast(ModelSpec, spec)

    @classmethod
    def bin(cls, field_name: str) -> BinRef[Any]:
        """Return the bin reference of a field by name (same as `Model.<field>`).

        Raises:
            KeyError: When the field is not a bin (unknown, key or generation field).
        """
        refs = cls.aerospike_spec().bin_refs
        if field_name not in refs:
            raise KeyError(
                f"{cls.__name__} has no bin field {field_name!r}; bin fields are "
                f"{sorted(refs)}"
            )
        return refs[field_name]

    @classmethod
    def numpy_dtype(cls) -> np.dtype[Any]:
        """Return the structured NumPy dtype of the model's columnar fields.

        int → int64, float → float64, bool → bool, fixed-width str → `U<n>`,
        datetime → datetime64[us]. Fields of other types (str without a width,
        lists, dicts, nested models) have no column and are left out.
        """
        from aerorepo.columns import numpy_dtype

        return numpy_dtype(cls)

    def key_value(self) -> KeyValue:
        """Return this record's user key (the value of the key field)."""
        spec = self.aerospike_spec()
        return typing.cast(KeyValue, getattr(self, spec.key_field))

    def record_generation(self) -> int | None:
        """Return the generation held in the generation field, if the model has one."""
        name = self.aerospike_spec().generation_field
        return None if name is None else typing.cast(int, getattr(self, name))

    def to_bins(self) -> dict[str, Any]:
        """Return the record's bins as aerospike-py values; None removes a bin.

        Raises:
            ValueConversionError: When a value cannot be stored (e.g. an int outside
                64 bits, a naive datetime).
        """
        values = self.__dict__
        specs = type(self).__dict__.get("__aerorepo_spec__") or self.aerospike_spec()
        return {
            spec.bin_name: spec.codec.encode(values[spec.field_name], spec.path)
            for spec in specs.bins
        }

    @classmethod
    def from_bins(
        cls,
        key: KeyValue,
        bins: Mapping[str, Any],
        generation: int | None = None,
        *,
        where: str | None = None,
    ) -> typing.Self:
        """Build a model from a record's key, bins and generation.

        Absent bins read as None for fields that accept None; otherwise the field's
        default applies.

        Args:
            key: The record's user key.
            bins: The stored bins.
            generation: The record's generation, for a Generation() field.
            where: Names the namespace and set in messages (the model's by default).

        Raises:
            ValueConversionError: When the stored values do not fit the model; the
                message names the key, the field and its bin.
        """
        spec = cls.aerospike_spec()
        data = _decode_bins(spec, bins)
        data[spec.key_field] = key
        if spec.generation_field is not None and generation is not None:
            data[spec.generation_field] = generation

        try:
            return cls.model_validate(data)
        except pydantic.ValidationError as exc:
            where = where or f"{spec.namespace}.{spec.set_name}"
            problems = "; ".join(_describe_problem(spec, e) for e in exc.errors())
            raise ValueConversionError(
                f"{cls.__name__} record with key {key!r} in {where} cannot be read: the "
                f"stored data does not fit the model: {problems}; fix the stored record, "
                "or change the field's type (Optional allows an absent bin)"
            ) from exc


def _describe_problem(spec: ModelSpec, error: Any) -> str:
    loc = error.get("loc") or ("",)
    field = str(loc[0])
    # pydantic reports a field by its alias, which is also its bin name.
    bin_spec = next((b for b in spec.bins if field in (b.field_name, b.bin_name)), None)
    if bin_spec is not None:
        where = f"field {bin_spec.field_name} (bin {bin_spec.bin_name!r})"
    elif field in (spec.key_field, spec.generation_field):
        role = "key" if field == spec.key_field else "generation"
        where = f"field {field} (the {role})"
    else:
        where = "the record"

    if error.get("type") == "missing":
        return f"{where} is required but the bin is absent"
    return f"{where}: {error.get('msg')}, stored {describe(error.get('input'))}"


def _decode_bins(spec: ModelSpec, bins: Mapping[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for bin_spec in spec.bins:
        raw = bins.get(bin_spec.bin_name)
        if raw is None:
            if bin_spec.nullable:
                data[bin_spec.field_name] = None
            continue
        codec = bin_spec.codec
        data[bin_spec.field_name] = codec.decode(raw) if codec.needs_decode else raw
    return data


# Definition-time checks.


def _build_spec(cls: type[Model], settings: dict[str, Any]) -> ModelSpec:
    parent = _parent_spec(cls)
    namespace = _check_namespace(
        cls, settings.get("namespace", _get(parent, "namespace"))
    )
    set_name = _check_set_name(cls, settings.get("set_name", _get(parent, "set_name")))
    ttl = settings.get("ttl", _get(parent, "ttl"))
    if ttl is not None:
        check_ttl(ttl, f"{cls.__name__} class keyword ttl")
    send_key = bool(settings.get("send_key", _get(parent, "send_key") or False))

    key_field, key_type = _find_key_field(cls)
    generation_field = _find_generation_field(cls)
    bins = _bin_specs(cls, {key_field, generation_field} - {None})
    refs: dict[str, BinRef[Any]] = {
        spec.field_name: BinRef(
            cls.__name__, spec.field_name, spec.bin_name, spec.annotation, spec.codec
        )
        for spec in bins
    }
    datetime_fields = tuple(
        s.field_name for s in bins if s.codec.python_type is dt.datetime
    )
    return ModelSpec(
        namespace=namespace,
        set_name=set_name,
        ttl=ttl,
        send_key=send_key,
        key_field=key_field,
        key_type=key_type,
        generation_field=generation_field,
        bins=bins,
        bin_refs=refs,
        datetime_fields=datetime_fields,
    )


def check_placement(model: type[Model], namespace: str, set_name: str) -> None:
    """Check a namespace and set name against Aerospike's limits.

    Raises:
        ModelDefinitionError: When either is empty, too long or malformed.
    """
    _check_namespace(model, namespace)
    _check_set_name(model, set_name)


def _parent_spec(cls: type[Model]) -> ModelSpec | None:
    for base in cls.__mro__[1:]:
        spec = base.__dict__.get("__aerorepo_spec__")
        if spec is not None:
            return typing.cast(ModelSpec, spec)
    return None


def _get(spec: ModelSpec | None, name: str) -> Any:
    return None if spec is None else getattr(spec, name)


def _check_namespace(cls: type[Model], namespace: Any) -> str:
    if not isinstance(namespace, str) or not namespace:
        raise ModelDefinitionError(
            f"{cls.__name__}: namespace is missing or empty (got {namespace!r}); declare "
            f'it as a class keyword: class {cls.__name__}(Model, namespace="test"), or '
            "pass abstract=True for a base class"
        )
    size = len(namespace.encode())
    if size > MAX_NAMESPACE_BYTES:
        raise ModelDefinitionError(
            f"{cls.__name__}: namespace {namespace!r} is {size} bytes; Aerospike allows "
            f"at most {MAX_NAMESPACE_BYTES}"
        )
    return namespace


def _check_set_name(cls: type[Model], set_name: Any) -> str:
    if set_name is None:
        set_name = cls.__name__
    if not isinstance(set_name, str):
        raise ModelDefinitionError(
            f"{cls.__name__}: set_name must be a str, got {type(set_name).__name__}"
        )
    size = len(set_name.encode())
    if size > MAX_SET_NAME_BYTES:
        raise ModelDefinitionError(
            f"{cls.__name__}: set name {set_name!r} is {size} bytes in UTF-8; Aerospike "
            f"allows at most {MAX_SET_NAME_BYTES}; pass a shorter set_name"
        )
    if ":" in set_name or ";" in set_name:
        raise ModelDefinitionError(
            f"{cls.__name__}: set name {set_name!r} contains ':' or ';', which "
            "Aerospike refuses; pass another set_name"
        )
    return set_name


def _has_marker(info: Any, marker: type) -> bool:
    return any(isinstance(item, marker) for item in info.metadata)


def _find_key_field(cls: type[Model]) -> tuple[str, type]:
    keys = [name for name, info in cls.model_fields.items() if _has_marker(info, Key)]
    if not keys:
        _refuse_optional_marker(cls, Key, "key")
    if len(keys) != 1:
        found = ", ".join(keys) if keys else "none"
        raise ModelDefinitionError(
            f"{cls.__name__}: a model needs exactly one key field, found {len(keys)} "
            f"({found}); mark one str, int or bytes field with Annotated[..., Key()]"
        )

    name = keys[0]
    annotation = cls.model_fields[name].annotation
    if _admits_none(annotation):
        raise _optional_marker_error(cls, name, "key")
    if annotation not in _KEY_TYPES:
        raise ModelDefinitionError(
            f"{cls.__name__}.{name}: key type {_type_name(annotation)} is not supported; "
            "Aerospike user keys are str, int or bytes; change the annotation or store "
            "the value as a bin"
        )
    return name, typing.cast(type, annotation)


def _refuse_optional_marker(cls: type[Model], marker: type, role: str) -> None:
    # A marker inside Optional[...] is invisible to pydantic's field metadata.
    for name, info in cls.model_fields.items():
        if _has_nested_marker(info.annotation, marker):
            raise _optional_marker_error(cls, name, role)


def _optional_marker_error(
    cls: type[Model], name: str, role: str
) -> ModelDefinitionError:
    example = (
        f"{name}: Annotated[str, Key()] (a str, int or bytes key)"
        if role == "key"
        else f"{name}: Annotated[int, Generation()] = 0"
    )
    return ModelDefinitionError(
        f"{cls.__name__}.{name}: the {role} field cannot be Optional, as every "
        f"record has a {role}; declare it without None, e.g. {example}"
    )


def _has_nested_marker(annotation: Any, marker: type) -> bool:
    is_annotated = typing.get_origin(annotation) is typing.Annotated
    if is_annotated and any(isinstance(m, marker) for m in annotation.__metadata__):
        return True
    return any(_has_nested_marker(arg, marker) for arg in typing.get_args(annotation))


def _admits_none(annotation: Any) -> bool:
    return annotation is type(None) or type(None) in typing.get_args(annotation)


def _find_generation_field(cls: type[Model]) -> str | None:
    names = [n for n, info in cls.model_fields.items() if _has_marker(info, Generation)]
    if not names:
        _refuse_optional_marker(cls, Generation, "generation")
    if len(names) > 1:
        raise ModelDefinitionError(
            f"{cls.__name__}: found {len(names)} generation fields ({', '.join(names)}); "
            "mark at most one int field with Generation()"
        )
    if names and _admits_none(cls.model_fields[names[0]].annotation):
        raise _optional_marker_error(cls, names[0], "generation")
    if names and cls.model_fields[names[0]].annotation is not int:
        raise ModelDefinitionError(
            f"{cls.__name__}.{names[0]}: a Generation() field must be annotated int, "
            "e.g. version: Annotated[int, Generation()] = 0"
        )
    return names[0] if names else None


def _bin_specs(cls: type[Model], skip: set[str | None]) -> tuple[BinSpec, ...]:
    specs: list[BinSpec] = []
    seen: dict[str, str] = {}
    for name, info in cls.model_fields.items():
        if name in skip:
            continue
        bin_name = info.serialization_alias or info.alias or name
        _check_bin_name(cls, name, bin_name)
        if bin_name in seen:
            raise ModelDefinitionError(
                f"{cls.__name__}.{name}: bin name {bin_name!r} is already used by field "
                f"{seen[bin_name]!r}; give one of them another alias"
            )
        seen[bin_name] = name
        specs.append(_bin_spec(cls, name, bin_name, info))
    return tuple(specs)


def _bin_spec(cls: type[Model], name: str, bin_name: str, info: Any) -> BinSpec:
    annotation = info.annotation
    if info.metadata:
        annotation = typing.Annotated[(annotation, *info.metadata)]
    try:
        codec = bin_codec(codec_for(info.annotation))
    except ValueConversionError as exc:
        raise ModelDefinitionError(f"{cls.__name__}.{name}: {exc}") from exc
    return BinSpec(
        field_name=name,
        bin_name=bin_name,
        annotation=annotation,
        codec=codec,
        nullable=codec.nullable,
        path=f"{cls.__name__}.{name}",
        max_chars=_max_chars(info),
    )


def _max_chars(info: Any) -> int | None:
    for item in info.metadata:
        if isinstance(item, Width):
            return item.chars
        if isinstance(item, annotated_types.MaxLen):
            return item.max_length
    return None


def _check_bin_name(cls: type[Model], field_name: str, bin_name: str) -> None:
    size = len(bin_name.encode())
    if 0 < size <= MAX_BIN_NAME_BYTES:
        return
    fix = "give it a shorter alias, e.g. Field(alias=...)"
    if size == 0:
        raise ModelDefinitionError(
            f"{cls.__name__}.{field_name}: empty bin name; {fix}"
        )
    raise ModelDefinitionError(
        f"{cls.__name__}.{field_name}: bin name {bin_name!r} is {size} bytes in UTF-8 "
        f"({len(bin_name)} characters); Aerospike allows at most {MAX_BIN_NAME_BYTES} "
        f"bytes; {fix}"
    )


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
