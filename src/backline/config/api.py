"""REST API v1: mounts each app's router under /api/v1/."""

from ninja import NinjaAPI

from backline.accounts.api import router as accounts_router
from backline.core.api import StaffSessionAuth, TokenAuth, install_error_handlers
from backline.tickets.api import router as tickets_router

api = NinjaAPI(
    title="Backline API",
    version="1",
    description="The Level 2 support desk. Authenticate with `Authorization: Bearer <token>`.",
    auth=[TokenAuth(), StaffSessionAuth()],
    urls_namespace="api",
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/tickets", tickets_router)
