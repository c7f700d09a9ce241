"""The address space over HTTP: an OSCQuery-style JSON tree plus a flat list.

``GET /`` (or any ``/vj/...`` path) returns the OSCQuery node tree (``FULL_PATH``,
``CONTENTS``, ``TYPE``, ``RANGE``, ``VALUE``, ``ACCESS``, ``DESCRIPTION``), so OSCQuery
clients (Chataigne, VDMX, TouchDesigner's OSCQuery support) can browse it;
``GET /?HOST_INFO`` says where to send OSC; ``GET /api/osc-map`` is the same flat
JSON as ``perform osc-map --json``. It listens on the OSC port number over TCP, on the
same host. There is no Zeroconf advertising and no LISTEN (WebSocket) extension.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from perform.inputs.oscspace import AddressSpace, OscEntry

if TYPE_CHECKING:
    from perform.inputs.osc import OscServer

_ACCESS = {"param": 3, "norm": 3, "action": 2, "state": 1}


def node(entry: OscEntry, store: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "FULL_PATH": entry.address,
        "TYPE": entry.type or "N",
        "ACCESS": _ACCESS[entry.kind],
        "DESCRIPTION": entry.doc,
    }
    spec = entry.spec
    if spec is not None:
        value = store.get(spec.name)
        if entry.kind == "norm":
            out["RANGE"] = [{"MIN": 0.0, "MAX": 1.0}]
            out["VALUE"] = [spec.normalized(value)]
        elif spec.kind == "continuous":
            out["RANGE"] = [{"MIN": spec.min, "MAX": spec.max}]
            out["VALUE"] = [value]
        elif spec.kind == "enum":
            out["RANGE"] = [{"VALS": list(spec.choices)}]
            out["VALUE"] = [value]
        elif spec.kind == "text":
            out["VALUE"] = [value]
    return out


def tree(space: AddressSpace, store: Any) -> dict[str, Any]:
    root: dict[str, Any] = {"FULL_PATH": "/", "ACCESS": 0, "CONTENTS": {}}
    for entry in space.entries():
        parts = entry.address.strip("/").split("/")
        here = root
        for depth, part in enumerate(parts[:-1]):
            contents = here.setdefault("CONTENTS", {})
            here = contents.setdefault(
                part, {"FULL_PATH": "/" + "/".join(parts[: depth + 1]), "ACCESS": 0}
            )
        leaf = here.setdefault("CONTENTS", {}).setdefault(parts[-1], {})
        leaf.update(node(entry, store))
    return root


def find(root: dict[str, Any], path: str) -> dict[str, Any] | None:
    here = root
    for part in [p for p in path.strip("/").split("/") if p]:
        here = here.get("CONTENTS", {}).get(part)
        if here is None:
            return None
    return here


class OscQueryServer:
    def __init__(self, osc: OscServer) -> None:
        self.osc = osc
        self._runner: web.AppRunner | None = None

    async def start(self, host: str, port: int) -> int:
        app = web.Application()
        app.router.add_get("/api/osc-map", self._flat)
        app.router.add_get("/{path:.*}", self._query)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        try:
            await site.start()
        except OSError:
            await self._runner.cleanup()
            self._runner = None
            raise
        addresses = self._runner.addresses  # the real port when asked for port 0
        return int(addresses[0][1]) if addresses else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _space(self) -> AddressSpace:
        assert self.osc.space is not None
        return self.osc.space

    async def _flat(self, request: web.Request) -> web.Response:
        rows = [e.describe() for e in self._space().entries()]
        return web.json_response({"osc_port": self.osc.port, "addresses": rows}, dumps=_dumps)

    async def _query(self, request: web.Request) -> web.Response:
        query = request.query_string
        if query == "HOST_INFO":
            return web.json_response(
                {
                    "NAME": "perform",
                    "OSC_PORT": self.osc.port,
                    "OSC_TRANSPORT": "UDP",
                    "EXTENSIONS": {
                        "ACCESS": True,
                        "VALUE": True,
                        "RANGE": True,
                        "DESCRIPTION": True,
                        "TYPE": True,
                        "LISTEN": False,
                    },
                }
            )
        found = find(tree(self._space(), self.osc.hub.store), "/" + request.match_info["path"])
        if found is None:
            return web.json_response({"error": "no such address"}, status=404)
        if query:
            if query not in found:
                return web.Response(status=204)
            return web.json_response({query: found[query]}, dumps=_dumps)
        return web.json_response(found, dumps=_dumps)


def _dumps(data: Any) -> str:
    return json.dumps(data, allow_nan=False, default=str)
