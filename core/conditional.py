"""Conditional requests (RFC 9110 §13): the `ETag` of a single resource, `If-None-Match` on its
reads (304) and `If-Match` on its writes (412).

Every ETag the API sends is made here, by `etag_for`. By default it is a hash of the resource's
JSON representation (as the caller receives it), so it changes exactly when the representation
does, whatever write changed it (a ticket's lines, payments, mechanics, a tax rate). A resource
that keeps a version of its own (a per-ticket cache version, say) may supply it instead with
`register_version_source`: the ETag is then made from that version, without serializing.

`If-Match` is checked under the resource's row lock, in the transaction the write then runs in
(`ConditionalMixin.precondition`): a second client that read the same version waits for the
first write to commit, then finds its tag stale and gets 412, so two clients can never both
write over the same version.
"""

import hashlib
from collections.abc import Callable
from functools import wraps

import orjson
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from core.renderers import json_default
from core.services import locked_row

VersionSource = Callable[[int], object | None]
_version_sources: dict[str, VersionSource] = {}

# The ViewSet actions whose 200 answers carry an ETag: reading, replacing or changing one resource.
ETAG_ACTIONS = frozenset({"retrieve", "update", "partial_update"})


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since it was read (If-Match); read it again and retry."
    default_code = "precondition_failed"


def register_version_source(resource: str, source: VersionSource) -> None:
    """Let `source(pk)` supply the version the ETags of `resource` ("tickets") are made from. It
    must change whenever the representation does; returning None falls back to the hash."""
    _version_sources[resource] = source


def representation_etag(data) -> str:
    """A strong ETag from a representation: the same data, the same tag, however it is ordered."""
    text = orjson.dumps(data, default=json_default, option=orjson.OPT_SORT_KEYS)
    return quote_etag(hashlib.sha256(text).hexdigest()[:40])


def etag_for(resource: str, pk: int, data: Callable[[], object]) -> str:
    """The ETag of one resource: from its registered version source, else from its
    representation (`data()`, called only when needed)."""
    source = _version_sources.get(resource)
    version = source(pk) if source is not None else None
    if version is not None:
        return quote_etag(f"{resource}-{pk}-{version}")
    return representation_etag(data())


def etag_matches(header: str, etag: str) -> bool:
    """Strong comparison of an If-Match / If-None-Match header with the current tag: `*` matches
    any existing resource, a weak tag (W/"...") never matches."""
    if header.strip() == "*":
        return True
    return etag in [quote_etag(tag) for tag in parse_etags(header) if not tag.startswith("W/")]


class ConditionalMixin:
    """For ViewSets of single resources. Sets `etag_resource` (the name a version source is
    registered under).

    - `retrieve`, `update`, `partial_update` answers (200) carry an ETag; a GET whose
      If-None-Match holds it is answered 304 with no body. This happens in finalize_response,
      outside any `cache_read` wrapper, so a 304 is never cached and a cached 200 keeps its tag.
    - With If-Match, `update`, `partial_update`, `destroy` (ConditionalDestroyMixin) and the actions decorated with
      `@if_match` run in one transaction that first locks the resource's row and compares the
      tag of what is stored now: stale is 412 and nothing changes.
    """

    etag_resource: str = ""

    def representation(self):
        """The resource as a GET of it answers now."""
        return self.get_serializer(self.get_object()).data

    def current_etag(self) -> str:
        return etag_for(self.etag_resource, self._resource_pk(), self.representation)

    def _resource_pk(self) -> int:
        return int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])

    def precondition(self) -> None:
        """Check If-Match, when sent, under the row lock of the current transaction."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        model = self.get_queryset().model
        locked_row(model, self._resource_pk())
        if not etag_matches(header, self.current_etag()):
            raise PreconditionFailed()

    def update(self, request, *args, **kwargs):
        if "If-Match" not in request.headers:
            return super().update(request, *args, **kwargs)
        with transaction.atomic():
            self.precondition()
            return super().update(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action not in ETAG_ACTIONS or response.status_code != status.HTTP_200_OK:
            return response
        etag = response.get("ETag")
        if etag is None and isinstance(response, Response) and response.data is not None:
            etag = etag_for(self.etag_resource, self._resource_pk(), lambda: response.data)
            response["ETag"] = etag
        header = request.headers.get("If-None-Match")
        if etag and header is not None and request.method in ("GET", "HEAD") and etag_matches(header, etag):
            not_modified = HttpResponseNotModified()
            for name in ("ETag", "Vary", "Cache-Control"):
                if name in response:
                    not_modified[name] = response[name]
            return not_modified
        return response


class ConditionalDestroyMixin(ConditionalMixin):
    """ConditionalMixin for a ViewSet that also deletes its resources (a router routes DELETE to
    any ViewSet with a `destroy`, so that is not in ConditionalMixin)."""

    def destroy(self, request, *args, **kwargs):
        if "If-Match" not in request.headers:
            return super().destroy(request, *args, **kwargs)
        with transaction.atomic():
            self.precondition()
            return super().destroy(request, *args, **kwargs)


def if_match(handler):
    """For a ViewSet action that writes one resource of a ConditionalMixin ViewSet (a ticket's
    transition): If-Match checked under the row lock, in the transaction the action runs in."""

    @wraps(handler)
    def conditional_handler(view, request, *args, **kwargs):
        if "If-Match" not in request.headers:
            return handler(view, request, *args, **kwargs)
        with transaction.atomic():
            view.precondition()
            return handler(view, request, *args, **kwargs)

    conditional_handler.checks_if_match = True
    return conditional_handler
