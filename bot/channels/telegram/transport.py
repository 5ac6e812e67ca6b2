"""python-telegram-bot's request interface over aiohttp's client instead of httpx.

`telegram.request.BaseRequest` is PTB's documented seam for another HTTP library: PTB
still builds every request, maps status codes to its errors, parses the JSON and applies
the rate limiter; this class only moves bytes. aiohttp is already the project's HTTP
server (webhooks, console) and its client costs a fraction of httpx + httpcore + anyio per
request, which was the largest share of the bot's CPU time under load (`python -m bench
telegram --profile 40`; BENCHMARKS.md "Telegram adapter").
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class AiohttpRequest(BaseRequest):
    """One aiohttp `ClientSession` with a bounded connection pool.

    aiohttp has no write timeout of its own: a request's whole time is bounded by its
    connect, pool and read timeouts plus the write timeout, as one total.
    """

    __slots__ = ("_connections", "_media_write", "_session", "_timeouts")

    def __init__(
        self,
        *,
        connection_pool_size: int = 8,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connection_pool_size
        self._timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts[0]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        files = request_data.contains_files if request_data else False
        default_read, default_write, default_connect, default_pool = self._timeouts
        read = _given(read_timeout, default_read)
        write = _given(write_timeout, self._media_write if files else default_write)
        connect = _given(connect_timeout, default_connect)
        pool = _given(pool_timeout, default_pool)
        parts = (read, write, connect, pool)
        timeout = aiohttp.ClientTimeout(
            total=None if None in parts else sum(p for p in parts if p is not None),
            connect=None if pool is None or connect is None else pool + connect,
            sock_connect=connect,
            sock_read=read,
        )
        headers = {"User-Agent": self.USER_AGENT}
        body: bytes | aiohttp.FormData | None = None
        if request_data is not None and files:
            body = _form(request_data)
        elif request_data is not None:
            body = _json(request_data)
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            raise NetworkError(f"aiohttp.{type(err).__name__}: {err}") from err


def _given(value: ODVInput[float], default: float | None) -> float | None:
    """PTB passes `DEFAULT_NONE` for "use this request object's own timeout"."""
    if isinstance(value, DefaultValue):
        return default
    return value


def _json(request_data: RequestData) -> bytes:
    """The parameters as one JSON object, as the Bot API accepts them (objects nested, not
    JSON strings in a form): url-encoding a message's Japanese text byte by byte in Python
    was ~8% of the bot's CPU under load (`python -m bench telegram --profile 40`)."""
    return json.dumps(request_data.parameters, ensure_ascii=False).encode()


def _form(request_data: RequestData) -> aiohttp.FormData:
    """Multipart, as uploads must be: fields as PTB encodes them, then the files."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mime)
    return form
