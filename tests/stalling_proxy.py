"""A TCP proxy that can stall: while stalled it passes no bytes either way and
reads none, like a hung server or a network path that went silent (the
connections stay open, so nothing fails fast).

    proxy = StallingProxy("127.0.0.1", 6379)
    port = await proxy.start()
    proxy.stall()      # clients' writes fill the socket buffers, their reads wait
    proxy.resume()     # bytes held flow on
    await proxy.close()
"""

from __future__ import annotations

import asyncio
import contextlib


class StallingProxy:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        """Listen on a free local port; the port."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self._server.sockets[0].getsockname()[1]

    def stall(self) -> None:
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _serve(self, client_in: asyncio.StreamReader,
                     client_out: asyncio.StreamWriter) -> None:
        server_in, server_out = await asyncio.open_connection(self.host, self.port)
        pumps = [asyncio.create_task(self._pump(client_in, server_out)),
                 asyncio.create_task(self._pump(server_in, client_out))]
        self._tasks.update(pumps)
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
                self._tasks.discard(task)
            for writer in (client_out, server_out):
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while True:
                await self._flowing.wait()
                data = await reader.read(65536)
                if not data:
                    return
                await self._flowing.wait()  # what was read as the stall began is held
                writer.write(data)
                await writer.drain()
