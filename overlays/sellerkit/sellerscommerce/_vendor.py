"""Sellers Commerce declared for the kit: its credentials, its envelope and error codes as typed errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from sellerkit._core.bodies import ErrorFacts, build_error
from sellerkit._core.calls import readable
from sellerkit._core.errors import ApiError, BadRequestError, NotFoundError
from sellerkit._core.vendor import Credential, Vendor
from sellerkit.sellerscommerce_api import AuthenticatedClient

from . import _facts

# The documented response codes 21-36 as error classes [doc: the response-code table]. Each carries `.code`
# (e.g. "24") and `.vendor_message` (the envelope's ResponseMessage); the class says what went wrong, the
# base class the HTTP status family the docs give (404 NotFound, 406 NotAcceptable = a request it refused).


class ProviderNotFoundError(NotFoundError):
    """Code 21, ProviderNotExists: "Provider Does Not Exist"."""


class UserNotFoundError(NotFoundError):
    """Code 22, UserNotExists: "User Does Not Exist"."""


class OrderNotFoundError(NotFoundError):
    """Code 24, OrderNotExist: "Order Does Not Exist"."""


class SkuNotInOrderError(NotFoundError):
    """Code 25, SkuNotExist: "Order item with provided SKU Code Does Not Exist in current order"."""


class InvalidQuantityError(BadRequestError):
    """Code 26, InvalidQty: "Shipment quantity is more than quantity to be shipped."."""


class PaymentExistsError(BadRequestError):
    """Code 27, PaymenExist: "Payment data already exist for requested order"."""


class AlreadyCapturedError(BadRequestError):
    """Code 28, AlreadyCaptured: "Requested Order already captured"."""


class ProcessFailedError(ApiError):
    """Code 29, ProcessFailed: "Process gets failed due to some internal errors" (HTTP 406, not retried)."""


class InvalidDataError(BadRequestError):
    """Code 30, InvalidData: "Invalid data provided"."""


class CategoryNotFoundError(NotFoundError):
    """Code 31, CategoryNotExist: "Category doesn't exists" (HTTP 406)."""


class ParentCategoryNotFoundError(NotFoundError):
    """Code 32, ParentCategoryNotExists: "Parent Category doesn't exists" (HTTP 406)."""


class AlreadyExistsError(BadRequestError):
    """Code 33, Exists: "Already exists for current request"."""


class InvalidSkuError(BadRequestError):
    """Code 34, InvalidSku: "Invalid SKU Data Provided"."""


class BrandNotFoundError(BadRequestError):
    """Code 35, BrandNotExists: the brand does not exist or does not match the first-level category."""


class InsertCategoryFailedError(ApiError):
    """Code 36, InsertCategoryFailed: "Category insertion for this product has been Failed"."""


ERROR_CLASSES: Mapping[int, type[ApiError]] = {
    21: ProviderNotFoundError,
    22: UserNotFoundError,
    24: OrderNotFoundError,
    25: SkuNotInOrderError,
    26: InvalidQuantityError,
    27: PaymentExistsError,
    28: AlreadyCapturedError,
    29: ProcessFailedError,
    30: InvalidDataError,
    31: CategoryNotFoundError,
    32: ParentCategoryNotFoundError,
    33: AlreadyExistsError,
    34: InvalidSkuError,
    35: BrandNotFoundError,
    36: InsertCategoryFailedError,
}
assert set(ERROR_CLASSES) == set(_facts.ERROR_CODES)

ERRORS = ErrorFacts(
    _facts.VENDOR,
    # the envelope's StatusCode is the code; its ResponseMessage the message ([doc]; both in the defaults)
    code_classes={str(code): cls for code, cls in ERROR_CLASSES.items()},
    hints={
        401: "check SELLERSCOMMERCE_ACCESS_KEY / SELLERSCOMMERCE_SHARED_SECRET (access_key=, shared_secret=)"
    },
)


def results(response: httpx.Response, what: str, errors: ErrorFacts = ERRORS) -> Any:
    """The envelope's `Results` of a 2xx answer; a StatusCode other than 20 raises its typed error even on
    HTTP 200 (the docs' envelope carries the outcome, not the status line)."""
    with readable(_facts.VENDOR, what, response):
        body = response.json()
    return checked(body, response, errors)


def checked(body: object, response: httpx.Response, errors: ErrorFacts = ERRORS) -> Any:
    """`results` for an already-parsed body."""
    if not isinstance(body, dict) or "StatusCode" not in body:
        return body.get("Results", body) if isinstance(body, dict) else body
    code = body.get("StatusCode")
    if code == _facts.OK_CODE or code is None:
        return body.get("Results")
    request = response.request
    raise build_error(
        errors,
        status=response.status_code,
        headers=response.headers,
        content=response.content,
        method=request.method,
        url=request.url,
    )


def _no_bearer(value: str) -> str | None:
    if value.lower().startswith("bearer "):
        return "pass the access key itself; sellerkit gets the bearer token from /token"
    return None


VENDOR = Vendor(
    name=_facts.VENDOR,
    title="Sellers Commerce",
    credentials=(
        Credential(
            "access_key",
            _facts.ENV_ACCESS_KEY,
            "the access key from Sellers Commerce (the token endpoint's username)",
            check=_no_bearer,
        ),
        Credential(
            "shared_secret",
            _facts.ENV_SHARED_SECRET,
            "the shared secret key that belongs to the access key (the token endpoint's password)",
        ),
    ),
    errors=ERRORS,
    generated=AuthenticatedClient,
)
