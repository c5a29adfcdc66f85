from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, QuerySet

from audit.models import Change


def changes_of(*, model: type[Model], object_id: int) -> QuerySet[Change]:
    """One record's trail, oldest first (served by the (content type, object id, id) index)."""
    content_type = ContentType.objects.get_for_model(model)
    return Change.objects.filter(content_type=content_type, object_id=object_id).order_by("id")
