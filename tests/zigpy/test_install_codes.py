"""Install codes through zigpy: a device whose install code the trust center does not know is
refused; ``permit_with_link_key`` with the key derived from its code lets it in."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

pytest.importorskip("zigpy")

import zigpy.util  # noqa: E402

from tests.zigpy.helpers import config, wait_for  # noqa: E402
from zigmesh.zigpy import ControllerApplication, run  # noqa: E402
from zigmesh.zigpy.netinfo import eui64  # noqa: E402

CODE = "83FED3407A939723A5C639B26916D505C3B5"
HOUSE = f"""
name = "codes"
seed = 5
duration = "5m"
channel = 25
require_install_codes = true
[[nodes]]
name = "coordinator"
role = "coordinator"
position = [0.0, 0.0]
[[nodes]]
name = "plug"
role = "router"
device = "smart_plug"
position = [8.0, 0.0]
install_code = "{CODE}"
registered_install_code = "11223344556677884AF7"
"""


def test_permit_with_link_key_admits_an_install_code_device(tmp_path: Path) -> None:
    scenario = tmp_path / "codes.toml"
    scenario.write_text(HOUSE, encoding="utf-8")

    async def main() -> None:
        app = ControllerApplication(config(f"zigmesh://{scenario}"))
        await app.startup(auto_form=True)
        plug = app.house.node("plug")
        await app.permit(60)
        await asyncio.sleep(30)
        assert not plug.joined  # the trust center has the wrong code for it
        key = zigpy.util.convert_install_code(bytes.fromhex(CODE))
        assert key is not None
        await app.permit_with_link_key(eui64(plug.eui64), key, 120)
        assert await wait_for(lambda: plug.joined, 120)
        assert await wait_for(lambda: eui64(plug.eui64) in app.devices, 30)
        await app.shutdown()

    run(main())
