"""API: known errors and problem proposals from recurring incidents."""

from ninja import Router

router = Router(tags=["known errors"])
