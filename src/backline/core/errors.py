"""Domain errors from rules and services: JSON 4xx in the API, form errors in views."""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; `field` names the input at fault when there is one."""

    status = 422
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        errors: list[dict[str, str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or self.default_code
        self.field = field
        self.errors = errors or ([{"field": field, "message": message}] if field else [])

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "message": self.message,
            "field": self.field,
            "errors": self.errors,
        }


class BadRequest(DomainError):
    status = 400
    default_code = "bad_request"


class PermissionDenied(DomainError):
    status = 403
    default_code = "forbidden"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class Conflict(DomainError):
    """Someone else changed the object first (optimistic locking) or a retry does not match."""

    status = 409
    default_code = "conflict"


class TooLarge(DomainError):
    status = 413
    default_code = "too_large"


def from_validation_error(exc) -> DomainError:
    """Turn a Django ValidationError (from full_clean) into a DomainError naming each field."""
    errors: list[dict[str, str]] = []
    if hasattr(exc, "error_dict"):
        for field, items in exc.error_dict.items():
            for item in items:
                errors.extend({"field": field, "message": m} for m in item.messages)
    else:
        errors = [{"field": "", "message": m} for m in exc.messages]
    first = errors[0] if errors else {"field": "", "message": "Invalid input."}
    return DomainError(first["message"], field=first["field"] or None, errors=errors)
