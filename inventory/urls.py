from core.routers import OptionalSlashRouter
from inventory.views import InventoryViewSet

router = OptionalSlashRouter()
router.register("inventory", InventoryViewSet, basename="inventory")
urlpatterns = router.urls
