"""`sim.client()` and `sim.async_client()` are typed as the vendor's own clients — mypy --strict checks the
`assert_type` calls here (`make typecheck`) — and are those classes at run time."""

from __future__ import annotations

import asyncio
from typing import Any, assert_type

from sellerkit.sellercloud import AsyncSellercloudClient, SellercloudClient
from sellerkit.sellerscommerce import AsyncSellersCommerceClient, SellersCommerceClient
from sellerkit.selsup import AsyncSelsupClient, SelsupClient
from sellerkit.testing.sellercloud import SellercloudSimulator
from sellerkit.testing.sellerscommerce import SellersCommerceSimulator
from sellerkit.testing.selsup import SelsupSimulator
from sellerkit.testing.wabi2b import Wabi2bSimulator
from sellerkit.testing.websale import WebsaleSimulator
from sellerkit.wabi2b import AsyncWabi2bClient, Wabi2bClient
from sellerkit.websale import AsyncWebsaleClient, WebsaleClient


def _are(client: object, cls: type[Any], aclient: Any, acls: type[Any]) -> None:
    """Both are their classes at run time (the async one closed here; the sync one closes with the sim)."""
    assert isinstance(client, cls) and isinstance(aclient, acls)
    asyncio.run(aclient.aclose())


def test_wabi2b(wabi2b_sim: Wabi2bSimulator) -> None:
    client, aclient = wabi2b_sim.client(), wabi2b_sim.async_client()
    assert_type(client, Wabi2bClient)
    assert_type(aclient, AsyncWabi2bClient)
    _are(client, Wabi2bClient, aclient, AsyncWabi2bClient)


def test_sellercloud(sellercloud_sim: SellercloudSimulator) -> None:
    client, aclient = sellercloud_sim.client(), sellercloud_sim.async_client()
    assert_type(client, SellercloudClient)
    assert_type(aclient, AsyncSellercloudClient)
    _are(client, SellercloudClient, aclient, AsyncSellercloudClient)


def test_selsup(selsup_sim: SelsupSimulator) -> None:
    client, aclient = selsup_sim.client(), selsup_sim.async_client()
    assert_type(client, SelsupClient)
    assert_type(aclient, AsyncSelsupClient)
    _are(client, SelsupClient, aclient, AsyncSelsupClient)


def test_websale(websale_sim: WebsaleSimulator) -> None:
    client, aclient = websale_sim.client(), websale_sim.async_client()
    assert_type(client, WebsaleClient)
    assert_type(aclient, AsyncWebsaleClient)
    _are(client, WebsaleClient, aclient, AsyncWebsaleClient)


def test_sellerscommerce(sellerscommerce_sim: SellersCommerceSimulator) -> None:
    client, aclient = sellerscommerce_sim.client(), sellerscommerce_sim.async_client()
    assert_type(client, SellersCommerceClient)
    assert_type(aclient, AsyncSellersCommerceClient)
    _are(client, SellersCommerceClient, aclient, AsyncSellersCommerceClient)
