from core.routers import OptionalSlashRouter
from documents.views import TicketDocumentViewSet

router = OptionalSlashRouter()
# Beside the ticket's own routes (tickets/urls.py), which know nothing of documents.
router.register("tickets", TicketDocumentViewSet, basename="ticket-document")
urlpatterns = router.urls
