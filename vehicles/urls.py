from core.routers import OptionalSlashRouter
from vehicles.views import VehicleViewSet

router = OptionalSlashRouter()
router.register("vehicles", VehicleViewSet, basename="vehicle")
urlpatterns = router.urls
