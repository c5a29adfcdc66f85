from core.routers import OptionalSlashRouter
from mechanics.views import MechanicViewSet

router = OptionalSlashRouter()
router.register("mechanics", MechanicViewSet, basename="mechanic")
urlpatterns = router.urls
