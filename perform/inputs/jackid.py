"""Is the app still connected to a JACK port? (a replugged device comes back unconnected)

On JACK a port's name is ``client:port`` with no number in it, so a controller that is
unplugged and replugged between two port scans (gone for 0.1-0.3 s) comes back under
the very same name. The app's rtmidi port was connected to the old one; JACK drops that
connection when the old port goes, and nothing reconnects it, so the controller was
dead (no input, no LEDs) while shown connected — 14 quick replugs in 20 were missed.

A port's UUID does not help (jack2 reuses port slots: a replugged port gets the same
one back), but its *connections* do: python-rtmidi does not expose them, so this module
asks libjack directly (ctypes) through one client that never activates — no process
callback, no ports, so the MIDI graph is not touched. A scan asks, for each device port
the app has open, whether it is still connected to one of the app's own clients
(``perform``, ``perform-01``...); if not, the device was replugged and is reopened.

The connections alone were not enough. A patchbay that restores connections (QjackCtl's,
aj-snapshot) reconnects a replugged device before the next scan. And in the replug drill
under two busy loops the old connection was still reported for up to 15 s (the LEDs
stayed dark that long; the likely cause of the drill's one miss past 30 s in a loaded
CI), most likely because clients read the graph of the running cycle, which jack2
switches only when a cycle finishes in time, and the replugged port takes the old one's
slot. So the scan also asks the server for the UUID of the port's *client*, which is new
each time a client opens: a device client whose UUID changed under the same name was
replugged.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import threading
from collections.abc import Iterable

log = logging.getLogger(__name__)

_NO_START_SERVER = 0x01
_NAME = b"perform ports"
CLOSE_WAIT = 2.0
"""Seconds quitting waits for libjack to close the lookup client."""


class JackIdentity:
    """Connection lookups on the JACK server this process's clients use."""

    def __init__(self) -> None:
        self._lib: ctypes.CDLL | None = None
        self._client: int | None = None
        self._lock = threading.Lock()
        self._uuids = False
        self.unavailable: str | None = None

    def _open(self) -> bool:
        if self._client is not None:
            return True
        if self.unavailable is not None:
            return False
        name = ctypes.util.find_library("jack") or "libjack.so.0"
        try:
            lib = ctypes.CDLL(name)
        except OSError as exc:
            self.unavailable = f"libjack not found ({exc})"
            return False
        lib.jack_client_open.restype = ctypes.c_void_p
        lib.jack_client_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_void_p]
        lib.jack_port_by_name.restype = ctypes.c_void_p
        lib.jack_port_by_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.jack_port_get_all_connections.restype = ctypes.POINTER(ctypes.c_char_p)
        lib.jack_port_get_all_connections.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._uuids = hasattr(lib, "jack_get_uuid_for_client_name")  # every jack2, jack1 0.121+
        if self._uuids:
            lib.jack_get_uuid_for_client_name.restype = ctypes.c_void_p  # char*, jack_free'd
            lib.jack_get_uuid_for_client_name.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
        lib.jack_free.restype = None
        lib.jack_free.argtypes = [ctypes.c_void_p]
        lib.jack_client_close.restype = ctypes.c_int
        lib.jack_client_close.argtypes = [ctypes.c_void_p]
        status = ctypes.c_int(0)
        client = lib.jack_client_open(_NAME, _NO_START_SERVER, ctypes.byref(status))
        if not client:
            return False  # no server (yet): try again at the next scan
        self._lib, self._client = lib, client
        return True

    def connected_to_us(self, names: Iterable[str], prefix: str) -> dict[str, bool]:
        """For each existing port name: is it connected to a client named ``prefix...``?

        Ports that do not exist now are left out; an empty result when libjack or the
        server is not reachable (the caller then trusts the port list alone).
        """
        with self._lock:
            if not self._open():
                return {}
            lib = self._lib
            assert lib is not None
            found: dict[str, bool] = {}
            for name in names:
                port = lib.jack_port_by_name(self._client, name.encode())
                if not port:
                    continue
                found[name] = False
                peers = lib.jack_port_get_all_connections(self._client, port)
                if not peers:
                    continue
                try:
                    i = 0
                    while peers[i] is not None:
                        peer = peers[i].decode(errors="replace")
                        if peer.split(":", 1)[0].startswith(prefix):
                            found[name] = True
                        i += 1
                finally:
                    lib.jack_free(peers)
            return found

    def owners(self, names: Iterable[str]) -> dict[str, str]:
        """For each port name whose client exists now: that client's UUID.

        The server gives every client it opens a new UUID (jack2: a counter), so a device
        that closed its client and opened it again under the same name is told apart
        even when it is connected to the app again (a patchbay) or the connection table
        still shows the old connection (a loaded server: a replug went unseen for 15 s).
        Asked of the server itself, not read from the graph. Empty when libjack, the
        call or the server is not there.
        """
        with self._lock:
            if not self._open() or not self._uuids:
                return {}
            lib = self._lib
            assert lib is not None
            found: dict[str, str] = {}
            for name in names:
                client = name.split(":", 1)[0]
                uuid = lib.jack_get_uuid_for_client_name(self._client, client.encode())
                if not uuid:
                    continue
                try:
                    found[name] = ctypes.string_at(uuid).decode(errors="replace")
                finally:
                    lib.jack_free(uuid)
            return found

    def close(self, wait: float = CLOSE_WAIT) -> None:
        """Close the client, waiting at most ``wait`` seconds: ``jack_client_close``
        waits for the server, and a server stuck in a cycle (a loaded machine, a client
        that stopped answering) once kept it, and with it quitting, waiting for good."""
        with self._lock:
            client, lib, self._client = self._client, self._lib, None
        if client is None or lib is None:
            return
        closing = threading.Thread(
            target=_close_client, args=(lib, client), name="perform-jack-close", daemon=True
        )
        closing.start()
        closing.join(wait)
        if closing.is_alive():
            log.warning("JACK did not close the port-lookup client within %.0f s; left it", wait)


def _close_client(lib: ctypes.CDLL, client: int) -> None:
    with contextlib.suppress(Exception):
        lib.jack_client_close(client)
