"""core.serializers: strict numbers and dates, and every serializer of the project using them."""

import importlib

import pytest
from django.apps import apps
from django.conf import settings
from rest_framework import serializers

from core.serializers import StrictDateField, StrictDecimalField, StrictIntegerField

PROJECT_APPS = [config.name for config in apps.get_app_configs() if (settings.BASE_DIR / config.name).is_dir()]
# Field classes that read numbers or dates from what the client sends.
LAX = (
    serializers.IntegerField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.TimeField,
    serializers.DurationField,
    serializers.RelatedField,
)
STRICT = (StrictIntegerField, StrictDecimalField, StrictDateField)


def _project_serializers() -> list[type[serializers.BaseSerializer]]:
    for app in PROJECT_APPS:
        for module in ("serializers", "views", "schema"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError as exc:
                if exc.name != f"{app}.{module}":
                    raise
    found, pending = [], [serializers.BaseSerializer]
    while pending:
        cls = pending.pop()
        pending += cls.__subclasses__()
        abstract = issubclass(cls, serializers.ModelSerializer) and not hasattr(cls, "Meta")
        if cls.__module__.split(".")[0] in PROJECT_APPS and ".tests" not in cls.__module__ and not abstract:
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _fields(serializer: serializers.BaseSerializer, prefix: str = ""):
    """(path, field) for every field the serializer reads, nested ones included."""
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    for name, field in serializer.fields.items():
        yield f"{prefix}{name}", field
        child = getattr(field, "child", None)
        if isinstance(field, serializers.BaseSerializer):
            yield from _fields(field, f"{prefix}{name}.")
        elif child is not None:
            yield f"{prefix}{name}.child", child
            if isinstance(child, serializers.BaseSerializer):
                yield from _fields(child, f"{prefix}{name}.child.")


SERIALIZERS = _project_serializers()


def test_the_walk_finds_the_serializers_of_every_app():
    modules = {cls.__module__.split(".")[0] for cls in SERIALIZERS}
    assert {"customers", "mechanics", "inventory", "tickets", "vehicles", "accounts", "core"} <= modules


@pytest.mark.parametrize("serializer_class", SERIALIZERS, ids=lambda cls: f"{cls.__module__}.{cls.__qualname__}")
def test_every_number_and_date_a_serializer_reads_is_strict(serializer_class):
    try:
        serializer = serializer_class()
    except TypeError:  # needs arguments: none of the project's do
        pytest.fail(f"{serializer_class} cannot be made without arguments")

    lax = [
        f"{path}: {type(field).__name__}"
        for path, field in _fields(serializer)
        if isinstance(field, LAX) and not isinstance(field, STRICT) and not field.read_only
    ]

    assert lax == [], serializer_class
