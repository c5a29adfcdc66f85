from core.routers import OptionalSlashRouter
from tickets.views import TicketViewSet, VehicleTicketsViewSet

router = OptionalSlashRouter()
router.register("tickets", TicketViewSet, basename="ticket")
# A vehicle's service history is a list of tickets, served here: vehicles knows nothing of tickets.
router.register("vehicles", VehicleTicketsViewSet, basename="vehicle")
urlpatterns = router.urls
