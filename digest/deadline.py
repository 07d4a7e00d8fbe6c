"""A total deadline for a network exchange (a fetch, an SMTP session).

A socket timeout bounds each operation only: a server that sends a byte (or a
``250-`` continuation line) every few seconds never lets one expire, and can hold
the caller (and the store lock) for as long as it likes. A :class:`Deadline` is a
watchdog: once its seconds have passed it shuts down every socket registered with
it, so the blocked read returns and the caller fails with a clear reason.
"""

from __future__ import annotations

import socket
import threading
import time


class Deadline:
    """Shuts down every registered socket once ``seconds`` have passed since :meth:`start`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> Deadline:
        self.at = time.monotonic() + self.seconds
        self._timer.start()
        return self

    def cancel(self) -> None:
        self._timer.cancel()

    def register(self, sock: socket.socket) -> socket.socket:
        """Watch ``sock`` (a wrapped TLS socket is a new object: register it too); returns it."""
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            self._shutdown(sock)
        return sock

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            socks = list(self._sockets)
        for sock in socks:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def remaining(self) -> float:
        return self.at - time.monotonic()
