from core.routers import OptionalSlashRouter
from tickets.views import TicketViewSet

router = OptionalSlashRouter()
router.register("tickets", TicketViewSet, basename="ticket")
urlpatterns = router.urls
