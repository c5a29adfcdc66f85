from core.routers import OptionalSlashRouter
from reports.views import ReportViewSet

router = OptionalSlashRouter()
router.register("reports", ReportViewSet, basename="report")
urlpatterns = router.urls
