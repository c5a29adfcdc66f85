"""Finding things in lists: the parts every app's list shares.

Each app declares a django-filter FilterSet in its `filters.py` and names its `search_fields` and
`ordering_fields` on the ViewSet (without them: no search, ordering by `id` only); `LIST_FILTERS`
are the backends that read them. They apply to lists only (not to `get_object()`), break ordering
ties by id, and, above all, answer a query parameter they own that they cannot use with a `400` in
the contract's error shape, never ignoring it and never failing with a `500`:
- a filter value that does not validate (django-filter's own behaviour, kept: `raise_exception`),
  numbers and dates read as strictly as in bodies: ASCII digits, dates `YYYY-MM-DD` (core/serializers.py);
- a filter, `search` or `ordering` parameter given more than once (which value wins would be a guess);
- an `ordering` naming an unknown field, a field twice, or an empty term (`-`, `id,`);
- a `search` longer than MAX_SEARCH_LENGTH characters or of more than MAX_SEARCH_TERMS words: each
  word is one more `icontains` over every search field, so an unbounded search is an unbounded query.
Unknown query parameters stay ignored, as they always were.
"""

from django import forms
from django.db import connections
from django.db.models import F
from django.db.models.functions import Coalesce
from django_filters import rest_framework as django_filters
from drf_spectacular.drainage import set_override
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter, search_smart_split

from core.limits import MAX_ID
from core.serializers import ASCII_INTEGER, ISO_DATE
from core.text import normalize_text

MAX_SEARCH_LENGTH = 100
MAX_SEARCH_TERMS = 5
ISO_DATE_FORMATS = ["%Y-%m-%d"]


def _single_value(request, name: str) -> str | None:
    """The parameter's one value, or None when absent; 400 when it is given more than once."""
    values = request.query_params.getlist(name)
    if len(values) > 1:
        raise ValidationError({name: [f"Give {name} at most once."]})
    return values[0] if values else None


class AsciiIntegerField(forms.IntegerField):
    """ASCII digits with an optional leading `-`: Django's IntegerField reads with `int()`, which
    also takes `1_0`, other scripts' digits (`١٠`, `１０`) and surrounding blanks."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not ASCII_INTEGER.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IsoDateField(forms.DateField):
    """A day written `YYYY-MM-DD` in ASCII digits (strptime's `%Y` takes other scripts' digits)."""

    def __init__(self, **kwargs):
        kwargs["input_formats"] = ISO_DATE_FORMATS
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class IntegerFilter(django_filters.Filter):
    """A whole number in ASCII digits (django-filter's NumberFilter takes decimals and exponents: `1e9`)."""

    field_class = AsciiIntegerField


class IdFilter(IntegerFilter):
    """A positive 64-bit id (a foreign key column): anything else is a 400."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
        # Documented as what it accepts (the model field would say "nullable" for vehicle_id).
        schema = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}
        set_override(self, "field", {**schema, "description": kwargs.get("help_text", "")})


class IsoDateFilter(django_filters.DateFilter):
    """A date written YYYY-MM-DD in ASCII digits, as every date of the API (not Django's other input
    formats)."""

    field_class = IsoDateField


class UpperCaseFilter(django_filters.CharFilter):
    """Exact match on a column stored upper-case (VINs): the input is upper-cased, so the lookup
    stays a plain equality the column's index serves."""

    def filter(self, qs, value):
        return super().filter(qs, normalize_text(value).upper() if value else value)


class StrictBooleanField(forms.Field):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value in ("true", "false"):
            return value == "true"
        raise forms.ValidationError("Enter true or false.", code="invalid")


class StrictBooleanFilter(django_filters.Filter):
    """`true` or `false`; anything else is a 400. django-filter's BooleanFilter reads an unknown
    value as "not given", which would silently answer with the unfiltered list. Give it a
    `method` whose value is annotated `bool`: drf-spectacular documents it as a boolean."""

    field_class = StrictBooleanField


class ListOnly:
    """Find things in lists only. DRF's get_object() runs the backends too, where they would turn
    `GET /customers/5?search=x` into a 404 and `?ordering=x` into a 400."""

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        return super().filter_queryset(request, queryset, view)


class StrictFilterBackend(ListOnly, django_filters.DjangoFilterBackend):
    """DjangoFilterBackend (invalid values are a 400 already) that also refuses a filter given twice."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            for name in filterset_class.base_filters:
                _single_value(request, name)
        return super().filter_queryset(request, queryset, view)


class BoundedSearchFilter(ListOnly, SearchFilter):
    """DRF's SearchFilter (`icontains` over the view's `search_fields`, every word must match
    one of them) with a bounded, normalised input."""

    search_description = (
        f"Free text: every word (at most {MAX_SEARCH_TERMS}, {MAX_SEARCH_LENGTH} characters in all) "
        "must appear, ignoring case, in one of the searched fields."
    )

    def get_search_terms(self, request):
        value = _single_value(request, self.search_param)
        if value is None:
            return []
        try:
            value = serializers.CharField(allow_blank=True).run_validation(value)  # no NUL, no surrogates
        except ValidationError as exc:
            raise ValidationError({self.search_param: exc.detail}) from exc
        value = normalize_text(value)
        if len(value) > MAX_SEARCH_LENGTH:
            raise ValidationError({self.search_param: [f"Ensure search has at most {MAX_SEARCH_LENGTH} characters."]})
        terms = search_smart_split(value)
        if len(terms) > MAX_SEARCH_TERMS:
            raise ValidationError({self.search_param: [f"Search for at most {MAX_SEARCH_TERMS} words."]})
        return terms


class StrictOrderingFilter(ListOnly, OrderingFilter):
    """DRF's OrderingFilter over the view's `ordering_fields`, where a bad `ordering` is a 400.

    Ties are broken by id in the direction of the last term (`-service_date` is `-service_date,
    -id`), so pages never overlap and the (column, id) indexes serve the order. Nullable columns
    sort their nulls last in both directions, on every database. On PostgreSQL a search's matches
    are sorted rather than looked for in index order (see filter_queryset)."""

    ordering_description = "Order by these fields, comma-separated; `-` before a field for descending."

    def get_ordering(self, request, queryset, view):
        raw = _single_value(request, self.ordering_param)
        if raw is None:
            return self.get_default_ordering(view)
        # The view's ordering_fields, never DRF's fallback to every serializer field.
        allowed = list(getattr(view, "ordering_fields", None) or ["id"])
        terms = [term.strip() for term in raw.split(",")]
        names = [term[1:] if term.startswith("-") else term for term in terms]
        problem = None
        if any(not name for name in names):
            problem = "Name a field in every term of ordering."
        elif unknown := [name for name in names if name not in allowed]:
            problem = f"Unknown ordering field {unknown[0]!r}; use one of: {', '.join(allowed)}."
        elif len(set(names)) != len(names):
            problem = "Name each ordering field at most once."
        if problem:
            raise ValidationError({self.ordering_param: [problem]})
        if "id" not in names:
            terms.append("-id" if terms[-1].startswith("-") else "id")
        return terms

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "detail", False):
            return queryset
        ordering = self.get_ordering(request, queryset, view)
        if self._trigram_search(request, queryset, view):
            ordering = ordering or ["id"]
            # A search's words are bound parameters: once psycopg prepares the query, PostgreSQL's
            # generic plan cannot know how rare they are and reads the table in index order
            # until a page of matches turns up: the whole table for a rare word. Ordering by an
            # expression no index has makes it collect the matches (trigram indexes) and sort
            # them, a cost bounded by the number of matches, which the page's count pays anyway.
            name = ordering[0].lstrip("-")
            unindexed = Coalesce(F(name), F(name))
            first = unindexed.desc(nulls_last=True) if ordering[0].startswith("-") else unindexed.asc(nulls_last=True)
            return queryset.order_by(first, *(self._expression(queryset, term) for term in ordering[1:]))
        if not ordering:
            return queryset
        return queryset.order_by(*(self._expression(queryset, term) for term in ordering))

    @staticmethod
    def _trigram_search(request, queryset, view) -> bool:
        """Whether this is a search on PostgreSQL with a word trigram indexes can look up (three
        characters or more; shorter words are common, and found soonest in index order)."""
        if not getattr(view, "search_fields", None) or connections[queryset.db].vendor != "postgresql":
            return False
        return any(len(term) >= 3 for term in BoundedSearchFilter().get_search_terms(request))

    @staticmethod
    def _expression(queryset, term: str):
        descending = term.startswith("-")
        name = term.lstrip("-")
        field = queryset.model._meta.get_field(name)
        if not field.null:
            return term
        return F(name).desc(nulls_last=True) if descending else F(name).asc(nulls_last=True)

    def get_schema_operation_parameters(self, view):
        fields = ", ".join(getattr(view, "ordering_fields", None) or ["id"])
        default = ", ".join(getattr(view, "ordering", None) or ["id"])
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": f"{self.ordering_description} Fields: {fields}. Default: {default}.",
                "schema": {"type": "string"},
            }
        ]


# The backends of every list, in the order they apply: filters, then search, then ordering.
LIST_FILTERS = [StrictFilterBackend, BoundedSearchFilter, StrictOrderingFilter]
