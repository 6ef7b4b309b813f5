"""Typing pins for bin references and operation builders; checked by mypy, not run."""

from __future__ import annotations

from typing import Annotated, assert_type

from pydantic import Field

from aerorepo import BinRef, Key, Model, Op, OperateResult, Width
from aerorepo.ops import ReadingOp


class Item(Model, namespace="test", set_name="items"):
    item_id: Annotated[int, Key()]
    name: Annotated[str, Width(8)]
    price: float | None = None
    views: int = Field(default=0, alias="v")
    counts: dict[str, int] = Field(default_factory=dict)


assert_type(Item.price, BinRef[float | None])
assert_type(Item.views, BinRef[int])
assert_type(Item.views.incr(1), Op[None])
assert_type(Item.price.incr(1.5), Op[None])
assert_type(Item.name.append("x"), Op[None])
assert_type(Item.views.read(), ReadingOp[int | None])
assert_type(Item.counts.get_by_key("a"), ReadingOp[int | None])
assert_type(Item.counts.size(), ReadingOp[int])
assert_type(Item(item_id=1, name="a").price, float | None)


def results(result: OperateResult) -> None:
    read = Item.views.read()
    assert_type(result[read], int | None)


Item.name.incr(1)  # type: ignore[misc]
Item.views.append("x")  # type: ignore[misc]
Item.views.write("3")  # type: ignore[arg-type]
assert_type(Item.counts.keys_by_value_range(1, 2), ReadingOp[list[str]])
