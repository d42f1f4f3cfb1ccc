"""The list routes `rows()` and `export()` read: their generated operation, entity fields, paging and keys."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Literal

from sellerkit._core.errors import ConfigurationError
from sellerkit._core.odata import Entity
from sellerkit.sellerscommerce_api.api.categories import list_brands, list_categories
from sellerkit.sellerscommerce_api.api.embellishments import list_embellishments
from sellerkit.sellerscommerce_api.api.orders import list_orders
from sellerkit.sellerscommerce_api.api.portal_admin import list_admins, list_roles
from sellerkit.sellerscommerce_api.api.products import (
    list_all_products,
    list_product_skus,
    list_products,
    list_suppliers,
)
from sellerkit.sellerscommerce_api.api.returns import list_returns
from sellerkit.sellerscommerce_api.api.shoppers import list_shoppers

from . import _entities as e

Paging = Literal["odata", "none"]


@dataclass(frozen=True)
class Route:
    """One list route: what it returns and how it pages."""

    name: str
    operation: ModuleType
    entity: type[Entity]
    key: str
    """A field unique per row: the last `$orderby` term of an export, so `$skip` pages are stable."""
    mark: str | None
    """The change date `since=` compares (None: the rows carry none)."""
    paging: Paging = "odata"
    """`odata`: `$filter`/`$orderby` and `$top`/`$skip` (getallproductskus: its own `top`/`skip`, under the
    same generated names); `none`: one answer with every row."""

    def arguments(self, query: Mapping[str, str], skip: int, top: int) -> dict[str, Any]:
        """The generated request builder's keyword arguments for one page."""
        if self.paging == "none":
            return {}
        return {"filter_": query.get("filter"), "orderby": query.get("orderby"), "top": top, "skip": skip}

    def check(self, query: Mapping[str, str]) -> None:
        """Refuse query options the route does not take, before any request."""
        if self.paging != "odata" and query:
            raise ConfigurationError(
                f"{self.name} ({self.operation.__name__.rsplit('.', 1)[-1]}) takes no query options: "
                "leave out filter=, orderby= and since="
            )


# key and change date per entity: OrderNumber and ModifiedDate are the docs' own [doc]; the other entities'
# keys and their ModifiedDate are the spec's inferred models [inferred]
ROUTES: Mapping[str, Route] = {
    r.name: r
    for r in (
        Route("orders", list_orders, e.Orders, "OrderNumber", "ModifiedDate"),
        Route("products", list_products, e.Products, "ProductCode", "ModifiedDate"),
        Route("all_products", list_all_products, e.Products, "ProductCode", "ModifiedDate"),
        Route("product_skus", list_product_skus, e.ProductSkus, "SKUCode", "ModifiedDate"),
        Route("shoppers", list_shoppers, e.Shoppers, "UserName", "ModifiedDate"),
        Route("returns", list_returns, e.Returns, "ReturnNumber", "ModifiedDate"),
        Route("categories", list_categories, e.Categories, "CategoryCode", "ModifiedDate"),
        Route("brands", list_brands, e.Categories, "CategoryCode", "ModifiedDate"),
        Route("embellishments", list_embellishments, e.Embellishments, "EmbellishmentID", None),
        Route("suppliers", list_suppliers, e.Suppliers, "SupplierID", None),
        Route("admins", list_admins, e.Admins, "UserID", None, "none"),
        Route("roles", list_roles, e.Roles, "RoleID", None, "none"),
    )
}
ENTITIES = tuple(ROUTES)


def route(entity: object) -> Route:
    """The route of an entity name; an unknown one is a `ConfigurationError` naming the valid ones."""
    found = ROUTES.get(entity) if isinstance(entity, str) else None
    if found is None:
        raise ConfigurationError(f"entity must be one of {', '.join(ENTITIES)}, not {entity!r}")
    return found
