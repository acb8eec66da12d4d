"""REST API v1: mounts each app's router under /api/v1/."""

from ninja import NinjaAPI

from backline.accounts.api import router as accounts_router
from backline.analytics.api import router as analytics_router
from backline.audit.api import router as audit_router
from backline.changes.api import router as changes_router
from backline.cmdb.api import router as cmdb_router
from backline.core.api import StaffSessionAuth, StrictParser, TokenAuth, install_error_handlers
from backline.diagnostics.api import router as diagnostics_router
from backline.escalation.api import router as escalation_router
from backline.escalation.collab_api import router as collab_router
from backline.imports.api import router as imports_router
from backline.intake.api import router as intake_router
from backline.knowledge.api import router as knowledge_router
from backline.notifications.api import router as notifications_router
from backline.problems.api import router as problems_router
from backline.problems.ke_api import router as known_errors_router
from backline.satisfaction.api import router as satisfaction_router
from backline.search.api import router as search_router
from backline.sla.api import router as sla_router
from backline.staffing.api import router as staffing_router
from backline.tickets.api import router as tickets_router
from backline.tickets.routing_api import router as routing_router
from backline.webhooks.api import router as webhooks_router
from backline.worklog.api import router as worklog_router

api = NinjaAPI(
    title="Backline API",
    version="1",
    description="The Level 2 support desk. Authenticate with `Authorization: Bearer <token>`.",
    auth=[TokenAuth(), StaffSessionAuth()],
    urls_namespace="api",
    parser=StrictParser(),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/tickets", tickets_router)
api.add_router("/", escalation_router)
api.add_router("/", notifications_router)
api.add_router("/routing-rules", routing_router)
api.add_router("/", collab_router)
api.add_router("/", sla_router)
api.add_router("/", search_router)
api.add_router("/kb", knowledge_router)
api.add_router("/cmdb", cmdb_router)
api.add_router("/changes", changes_router)
api.add_router("/problems", problems_router)
api.add_router("/", known_errors_router)
api.add_router("/", diagnostics_router)
api.add_router("/", intake_router)
api.add_router("/", webhooks_router)
api.add_router("/", worklog_router)
api.add_router("/", satisfaction_router)
api.add_router("/", imports_router)
api.add_router("/analytics", analytics_router)
api.add_router("/", staffing_router)
api.add_router("/", audit_router)
