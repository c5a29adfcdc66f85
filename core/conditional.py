"""Conditional requests (RFC 9110 §13): the `ETag` of a single resource, `If-None-Match` on its
reads (304) and `If-Match` on its writes (412).

Every ETag the API sends is made here, by `etag_for`: a digest of the resource's JSON
representation (as the caller receives it), so it changes exactly when the representation does,
whatever write changed it (a ticket's lines, payments, mechanics, a tax rate). A resource that
keeps a version of its own (the per-ticket cache version) registers it with
`register_version_source`; its tags are then "<resource>-<id>-<version>-<digest>".

The version answers If-None-Match: a GET takes the versions its cached read read before any body
(core.caching's `versions_read`) and, when a tag of If-None-Match names them, is answered 304
before any body is built (`not_modified`, called by `cache_read` after the permission checks). A
version must be read before the body it tags: one read afterwards could name a write the body
does not show. A PUT/PATCH answer reads the version after its write, then builds the body it sends.

The digest answers If-Match, under the resource's row lock, in the transaction the write then runs
in (`ConditionalMixin.precondition`): the representation stored now must be the one the tag was
sent with. A version alone could not decide it: the cache's counters move around a commit, not
with it, so a tag read during another write's transaction can name that write's version beside a
body without it. A second client that read the same representation waits for the first write to
commit, then finds it changed and gets 412, so two clients can never both write over it.
"""

import hashlib
from collections.abc import Callable, Mapping
from functools import partial, wraps

import orjson
from django.db import transaction
from django.http import HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from core.caching import versions_read
from core.renderers import json_default
from core.services import locked_row

# source(pk, known): the resource's version, from `known` (versions read earlier, name -> value)
# when given, else read now; None when it has none (then the representation's hash is used).
VersionSource = Callable[[int, Mapping[str, int] | None], object | None]
_version_sources: dict[str, VersionSource] = {}

# The ViewSet actions whose 200 answers carry an ETag: reading, replacing or changing one resource.
ETAG_ACTIONS = frozenset({"retrieve", "update", "partial_update"})


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The resource has changed since it was read (If-Match); read it again and retry."
    default_code = "precondition_failed"


def register_version_source(resource: str, source: VersionSource) -> None:
    """Let `source(pk, known)` supply the version the ETags of `resource` ("tickets") are made
    from. It must change whenever the representation does and never repeat an earlier value;
    returning None falls back to the hash. With `known` (versions read before a body was built)
    it must use those and nothing read later, returning None when they do not hold its version."""
    _version_sources[resource] = source


def representation_digest(data) -> str:
    """A digest of a representation: the same data, the same digest, however it is ordered."""
    text = orjson.dumps(data, default=json_default, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(text).hexdigest()[:40]


def representation_etag(data) -> str:
    """A strong ETag from a representation alone."""
    return quote_etag(representation_digest(data))


def version_prefix(resource: str, pk: int, known: Mapping[str, int] | None = None) -> str | None:
    """The start of a versioned ETag of one resource, "<resource>-<pk>-<version>-", from its
    registered version source (from `known` versions, else the current ones); None without one."""
    source = _version_sources.get(resource)
    version = source(pk, known) if source is not None else None
    return None if version is None else f"{resource}-{pk}-{version}-"


def etag_for(resource: str, pk: int, data: Callable[[], object], known: Mapping[str, int] | None = None) -> str:
    """The ETag of one resource: its version (when it has a source) and the digest of `data()`,
    the representation sent with it."""
    prefix = version_prefix(resource, pk, known)  # before the body: it may name no later write
    digest = representation_digest(data())
    return quote_etag(digest if prefix is None else prefix + digest)


def _strong_tags(header: str) -> list[str]:
    """The header's strong tags, without their quotes."""
    return [tag.strip('"') for tag in parse_etags(header) if not tag.startswith("W/")]


def etag_matches(header: str, etag: str) -> bool:
    """Strong comparison of an If-Match / If-None-Match header with the current tag: `*` matches
    any existing resource, a weak tag (W/"...") never matches."""
    if header.strip() == "*":
        return True
    return etag in [quote_etag(tag) for tag in _strong_tags(header)]


def digest_matches(header: str, digest: str) -> bool:
    """If-Match against the representation stored now: a tag matches when the representation it
    was sent with is the current one, whatever version it names (`*`: any)."""
    if header.strip() == "*":
        return True
    return any(tag.rsplit("-", 1)[-1] == digest for tag in _strong_tags(header))


def version_matches(header: str, prefix: str) -> str | None:
    """The tag of If-None-Match that names the version `prefix` names (`*`: any), or None."""
    if header.strip() == "*":
        return "*"
    return next((tag for tag in _strong_tags(header) if tag.startswith(prefix)), None)


class ConditionalMixin:
    """For ViewSets of single resources. Sets `etag_resource` (the name a version source is
    registered under).

    - `retrieve`, `update`, `partial_update` answers (200) carry an ETag; a GET whose
      If-None-Match holds it is answered 304 with no body. This happens in finalize_response,
      outside any `cache_read` wrapper, so a 304 is never cached and a cached 200 keeps its tag;
      or, for a resource with a version source and a cached read, in `not_modified`, before the
      body is built.
    - With If-Match, `update`, `partial_update`, `destroy` (ConditionalDestroyMixin) and the actions decorated with
      `@if_match` run in one transaction that first locks the resource's row and compares the
      tag of what is stored now: stale is 412 and nothing changes.
    """

    etag_resource: str = ""

    def representation(self):
        """The resource as a GET of it answers now."""
        return self.get_serializer(self.get_object()).data

    def _resource_pk(self) -> int:
        return int(self.kwargs[self.lookup_url_kwarg or self.lookup_field])

    def precondition(self) -> None:
        """Check If-Match, when sent, under the row lock of the current transaction."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        model = self.get_queryset().model
        locked_row(model, self._resource_pk())
        if not digest_matches(header, representation_digest(self.representation())):
            raise PreconditionFailed()

    def not_modified(self, request, versions: Mapping[str, int]) -> HttpResponseNotModified | None:
        """304 when If-None-Match holds a tag of the version `versions` name (read by the cached
        read before any body); None when it does not, or the resource has no version source (the
        body decides)."""
        header = request.headers.get("If-None-Match")
        if header is None or self.action != "retrieve":
            return None
        prefix = version_prefix(self.etag_resource, self._resource_pk(), versions)
        tag = None if prefix is None else version_matches(header, prefix)
        if tag is None or tag == "*":
            return None
        response = HttpResponseNotModified()
        response["ETag"] = quote_etag(tag)
        return response

    def _answer_etag(self, request, response) -> str:
        pk = self._resource_pk()
        if request.method in ("GET", "HEAD"):
            # Only versions read before the body: none read (no cached read) means the hash.
            return etag_for(self.etag_resource, pk, lambda: response.data, versions_read(request) or {})
        prefix = version_prefix(self.etag_resource, pk)  # after the write (and its commit)
        if prefix is None:
            return representation_etag(response.data)
        # The body the write built may predate a write committed before this version was read;
        # the one sent is built after, so it shows at least what the tag names.
        response.data = self.representation()
        return quote_etag(prefix + representation_digest(response.data))

    def update(self, request, *args, **kwargs):
        return _checking_if_match(self, request, partial(super().update, request, *args, **kwargs))

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.action not in ETAG_ACTIONS or response.status_code != status.HTTP_200_OK:
            return response
        etag = response.get("ETag")
        if etag is None and isinstance(response, Response) and response.data is not None:
            etag = self._answer_etag(request, response)
            response["ETag"] = etag
        header = request.headers.get("If-None-Match")
        if etag and header is not None and request.method in ("GET", "HEAD") and etag_matches(header, etag):
            if isinstance(response, Response) and not response.is_rendered:
                # Rendered (not sent) so that a cached read stores it: the next conditional GET
                # is then answered from the version alone instead of building the body again.
                response.render()
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
        return _checking_if_match(self, request, partial(super().destroy, request, *args, **kwargs))


def _checking_if_match(view: ConditionalMixin, request, write: Callable):
    """`write()`, after If-Match (when sent) is checked under the row lock in the transaction the
    write then runs in."""
    if "If-Match" not in request.headers:
        return write()
    with transaction.atomic():
        view.precondition()
        return write()


def if_match(handler):
    """For a ViewSet action that writes one resource of a ConditionalMixin ViewSet (a ticket's
    transition): If-Match checked under the row lock, in the transaction the action runs in."""

    @wraps(handler)
    def conditional_handler(view, request, *args, **kwargs):
        return _checking_if_match(view, request, partial(handler, view, request, *args, **kwargs))

    conditional_handler.checks_if_match = True
    return conditional_handler
