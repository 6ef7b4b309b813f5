"""A mypy plugin typing `Model.<field>` class attributes as `BinRef[<field type>]`.

Enable it in the mypy configuration: `plugins = ["aerorepo.mypy_plugin"]`. Without it,
mypy sees `Flight.dep_delay` as the field's value type (`float | None`), since the
metaclass hook that serves bin references at run time is hidden from type checkers.
Instances keep their value types either way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from mypy.nodes import TypeInfo, Var
from mypy.plugin import AttributeContext, Plugin
from mypy.types import Type

MODEL_FULLNAME: Final = "aerorepo.models.Model"
BIN_REF_FULLNAME: Final = "aerorepo.ops.BinRef"
_NOT_FIELDS: Final = frozenset({"model_config"})


class AerorepoPlugin(Plugin):
    """Reports class-level access to a model field as a bin reference."""

    def get_class_attribute_hook(
        self, fullname: str
    ) -> Callable[[AttributeContext], Type] | None:
        """Return the hook for `Class.attr` when it names a field of a Model subclass."""
        class_name, _, attribute = fullname.rpartition(".")
        if not class_name or attribute.startswith("_") or attribute in _NOT_FIELDS:
            return None
        info = self._model_info(class_name)
        if info is None or not _is_field(info, attribute):
            return None
        return _bin_ref_type

    def _model_info(self, class_name: str) -> TypeInfo | None:
        symbol = self.lookup_fully_qualified(class_name)
        node = symbol.node if symbol is not None else None
        if not isinstance(node, TypeInfo) or node.fullname == MODEL_FULLNAME:
            return None
        return node if node.has_base(MODEL_FULLNAME) else None


def _is_field(info: TypeInfo, attribute: str) -> bool:
    symbol = info.get(attribute)
    if symbol is None or not isinstance(symbol.node, Var):
        return False
    var = symbol.node
    defined_in = var.info
    return (
        not var.is_classvar
        and defined_in.fullname != MODEL_FULLNAME
        and defined_in.has_base(MODEL_FULLNAME)
    )


def _bin_ref_type(ctx: AttributeContext) -> Type:
    if ctx.is_lvalue:
        return ctx.default_attr_type
    return ctx.api.named_generic_type(BIN_REF_FULLNAME, [ctx.default_attr_type])


def plugin(version: str) -> type[Plugin]:
    """Entry point mypy calls with its version; returns the plugin class."""
    return AerorepoPlugin
