"""A fault-injecting TCP proxy between a client and a real server (Dovecot, SMTP).

The proxy listens on a free loopback port and runs an asyncio loop in a background thread.
Without a fault it forwards bytes both ways unchanged (TLS included: it never looks inside).
A :class:`Fault` makes the next connections misbehave in one direction:

* ``cut``   -- forward ``after`` bytes, then close both sides (mid-FETCH, mid-APPEND, mid-DATA);
* ``stall`` -- forward ``after`` bytes, then forward nothing for ``seconds`` (longer than the
  client's timeout), then close;
* ``drip``  -- forward ``after`` bytes normally, then ``chunk`` bytes every ``delay`` seconds;
* ``greeting`` -- forward the server's first line, then close.

``after`` counts from the end of ``trigger`` when one is given (e.g. ``b"FETCH ("`` or
``b"\\r\\nDATA\\r\\n"``), so a fault lands at a protocol point rather than a byte offset that
shifts with every login banner. A fault applies to ``connections`` connections (default all),
counted from when it is set; later connections pass through untouched.

Triggers match case-insensitively: IMAP and SMTP commands are case-insensitive, and
Python's smtplib spells them differently across versions (``rcpt TO`` on 3.11, ``RCPT TO``
on 3.13), so a trigger written in either case fires on every Python the package supports.

Connections already open can be broken on demand too (:meth:`FaultProxy.break_open`: a
close, or a reset; :meth:`FaultProxy.inject_open`: bytes the server never sent, e.g. a
garbled TLS record), which is how a test kills a long-lived IDLE connection at a moment
of its choosing.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Literal

Direction = Literal["s2c", "c2s"]
Action = Literal["cut", "stall", "drip", "greeting"]


@dataclass(frozen=True)
class Fault:
    action: Action
    direction: Direction = "s2c"
    after: int = 0
    trigger: bytes | None = None
    seconds: float = 30.0
    chunk: int = 1
    delay: float = 0.05
    connections: int | None = None


@dataclass
class _Stream:
    """Fault bookkeeping for one direction of one connection."""

    fault: Fault | None
    triggered: bool = False
    counted: int = 0
    tail: bytes = b""
    tripped: bool = False

    def split(self, chunk: bytes) -> tuple[bytes, bytes]:
        """(bytes to forward normally, bytes from the fault point on)."""
        fault = self.fault
        if self.tripped:
            return b"", chunk
        if fault is None:
            return chunk, b""
        start = 0
        if fault.trigger is not None and not self.triggered:
            window = self.tail + chunk
            index = window.lower().find(fault.trigger.lower())
            if index < 0:
                self.tail = window[-(len(fault.trigger) - 1) :] if len(fault.trigger) > 1 else b""
                return chunk, b""
            self.triggered = True
            start = max(index + len(fault.trigger) - len(self.tail), 0)
        room = fault.after - self.counted
        consumed = chunk[start:]
        if len(consumed) < room:
            self.counted += len(consumed)
            return chunk, b""
        cut_at = start + max(room, 0)
        self.counted = fault.after
        self.tripped = True
        return chunk[:cut_at], chunk[cut_at:]


@dataclass
class Stats:
    connections: int = 0
    faulted: int = 0
    bytes_s2c: int = 0
    bytes_c2s: int = 0
    trips: list[str] = field(default_factory=list)


class FaultProxy:
    """Forward ``127.0.0.1:<port>`` to ``target_host:target_port``, injecting faults on demand."""

    def __init__(self, target_port: int, target_host: str = "127.0.0.1", host: str = "127.0.0.1") -> None:
        self.target_host = target_host
        self.target_port = target_port
        self.host = host
        self.port = 0
        self.stats = Stats()
        self._fault: Fault | None = None
        self._fault_budget: int | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faultproxy", daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = asyncio.Event()
        # Open connections: (writer to the client, the event that ends the connection).
        self._open: list[tuple[asyncio.StreamWriter, asyncio.Event]] = []

    # -- control (called from the test thread) ------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(self._start_server(), self._loop)
        self.port = future.result(timeout=10)
        return self

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def set_fault(self, fault: Fault | None) -> None:
        """Apply ``fault`` to new connections (``None``: pass everything through)."""
        with self._lock:
            self._fault = fault
            self._fault_budget = fault.connections if fault else None

    def clear(self) -> None:
        self.set_fault(None)

    def break_open(self, how: Literal["cut", "reset"] = "cut") -> int:
        """Close (or reset, RST) every connection open now; returns how many."""
        return asyncio.run_coroutine_threadsafe(self._break_open(how), self._loop).result(timeout=10)

    def inject_open(self, data: bytes) -> int:
        """Send ``data`` to the client of every connection open now, as if from the server."""
        return asyncio.run_coroutine_threadsafe(self._inject_open(data), self._loop).result(timeout=10)

    @property
    def open_connections(self) -> int:
        return len(self._open)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- inside the loop ----------------------------------------------------------------------
    async def _start_server(self) -> int:
        self._server = await asyncio.start_server(self._handle, self.host, 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _shutdown(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _break_open(self, how: str) -> int:
        broken = list(self._open)
        for writer, done in broken:
            if how == "reset":
                sock = writer.get_extra_info("socket")
                if sock is not None:
                    # Linger 0: closing sends RST instead of FIN.
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                writer.transport.abort()
            self.stats.trips.append(f"{how} open")
            done.set()
        return len(broken)

    async def _inject_open(self, data: bytes) -> int:
        targets = list(self._open)
        for writer, _done in targets:
            writer.write(data)
            with contextlib.suppress(ConnectionError, OSError):
                await writer.drain()
        return len(targets)

    def _take_fault(self) -> Fault | None:
        with self._lock:
            fault = self._fault
            if fault is None:
                return None
            if self._fault_budget is not None:
                if self._fault_budget <= 0:
                    return None
                self._fault_budget -= 1
            return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.stats.connections += 1
        fault = self._take_fault()
        if fault is not None:
            self.stats.faulted += 1
        try:
            up_reader, up_writer = await asyncio.open_connection(self.target_host, self.target_port)
        except OSError:
            writer.close()
            self._tasks.discard(task)
            return
        done = asyncio.Event()
        entry = (writer, done)
        self._open.append(entry)
        s2c = _Stream(fault if fault and fault.direction == "s2c" else None)
        c2s = _Stream(fault if fault and fault.direction == "c2s" else None)
        greeting = fault is not None and fault.action == "greeting"
        pumps = [
            asyncio.create_task(self._pump(up_reader, writer, s2c, fault, done, "s2c", greeting)),
            asyncio.create_task(self._pump(reader, up_writer, c2s, fault, done, "c2s", False)),
        ]
        try:
            await done.wait()
        finally:
            for pump in pumps:
                pump.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
            for w in (writer, up_writer):
                with contextlib.suppress(Exception):
                    w.close()
            self._open.remove(entry)
            self._tasks.discard(task)

    async def _pump(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        stream: _Stream,
        fault: Fault | None,
        done: asyncio.Event,
        direction: str,
        greeting_only: bool,
    ) -> None:
        try:
            while True:
                if greeting_only:
                    line = await reader.readline()
                    writer.write(line)
                    await writer.drain()
                    self.stats.trips.append("greeting")
                    return
                chunk = await reader.read(65536)
                if not chunk:
                    return
                before, rest = stream.split(chunk)
                if before:
                    writer.write(before)
                    await writer.drain()
                    self._count(direction, len(before))
                if not stream.tripped:
                    continue
                assert fault is not None
                if fault.action == "cut":
                    self.stats.trips.append(f"cut {direction}")
                    return
                if fault.action == "stall":
                    self.stats.trips.append(f"stall {direction}")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._closing.wait(), fault.seconds)
                    return
                if fault.action == "drip":
                    await self._drip(writer, rest, fault, direction)
                    stream.fault = None  # from now on every chunk is dripped below
                    stream.tripped = False
                    await self._drip_forever(reader, writer, fault, direction)
                    return
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            return
        finally:
            done.set()

    async def _drip(self, writer: asyncio.StreamWriter, data: bytes, fault: Fault, direction: str) -> None:
        for offset in range(0, len(data), fault.chunk):
            writer.write(data[offset : offset + fault.chunk])
            await writer.drain()
            self._count(direction, len(data[offset : offset + fault.chunk]))
            await asyncio.sleep(fault.delay)

    async def _drip_forever(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, fault: Fault, direction: str
    ) -> None:
        while True:
            chunk = await reader.read(65536)
            if not chunk:
                return
            await self._drip(writer, chunk, fault, direction)

    def _count(self, direction: str, n: int) -> None:
        if direction == "s2c":
            self.stats.bytes_s2c += n
        else:
            self.stats.bytes_c2s += n
