"""The web process's application: Django's WSGI handler behind an ASGI front, served by granian.

A public port meets clients that connect and say nothing, or trickle a request a byte a second.
Here no Django thread ever waits on a socket:
- granian reads each request head in its Rust event loop and closes a connection whose head is not
  whole within WEB_HEADER_TIMEOUT (helloworld.web);
- this front reads the body in the event loop too, whole within WEB_BODY_TIMEOUT and at most the
  largest body any view accepts, answering 408 or 413 itself otherwise;
- only then does a thread of a fixed pool (WEB_THREADS per process) run Django, and it hands the
  response back as soon as it is built: a client that reads it slowly holds the event loop's
  attention, not the thread.

Why not Django's own ASGI handler: it runs each request in a new thread, so a connection kept per
thread (CONN_MAX_AGE) is never reused, and with its per-request thread hops a single POST took about
twice as long as under gunicorn (12-24 ms against 7-11 ms, with bench/bench_web.py's single-POST loop,
even with psycopg's connection pool). A fixed pool of threads, each
keeping its database connection, costs what gunicorn's gthread worker did. asgiref's WsgiToAsgi
(whose environ and start_response this reuses) runs every request on one thread, hence the pool.
"""

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from tempfile import SpooledTemporaryFile

from asgiref.wsgi import WsgiToAsgiInstance
from django.conf import settings

# Django's WSGI handler, with the web tier's settings (helloworld.wsgi names the role).
from helloworld.wsgi import application as django_application

# A response up to this size is built whole in the thread, then sent from the event loop; a larger
# one (a big static file, a long export) is streamed from the thread as it is produced.
BUFFER_RESPONSES_UP_TO = 1024 * 1024


def error_messages(status: int, message: str, path: str) -> list[dict]:
    """A refusal the front answers itself: JSON on the API, as the API's own errors are."""
    if path.startswith("/api/"):
        content_type, body = b"application/json", json.dumps({"error": message}).encode()
    else:
        content_type, body = b"text/plain; charset=utf-8", message.encode()
    headers = [(b"content-type", content_type), (b"connection", b"close")]
    return [
        {"type": "http.response.start", "status": status, "headers": headers},
        {"type": "http.response.body", "body": body},
    ]


class ClientLeft(Exception):
    """The client hung up before its request was whole: nothing to answer."""


class Request(WsgiToAsgiInstance):
    """One request: its body read in the event loop, then Django run in a thread of the pool."""

    def __init__(self, front: "WsgiInThreads"):
        super().__init__(front.wsgi_application)
        self.front = front

    async def __call__(self, scope, receive, send):
        self.scope = scope
        path = scope.get("path", "")
        with SpooledTemporaryFile(max_size=65536) as body:
            try:
                refusal = await self.read_body(scope, receive, body)
            except ClientLeft:
                return
            if refusal:
                for message in error_messages(*refusal, path):
                    await send(message)
                return
            body.seek(0)
            loop = asyncio.get_running_loop()
            content = await loop.run_in_executor(self.front.threads, self.respond, body, loop, send)
        if content is not None:  # the usual case: the thread was free before a byte went out
            await send(self.response_start)
            await send({"type": "http.response.body", "body": content})

    async def read_body(self, scope, receive, body) -> tuple[int, str] | None:
        """Read the whole body into `body`; a (status, message) refusal when it cannot be read."""
        limit = self.front.max_body_bytes
        too_large = (413, f"The body is larger than {limit} bytes, the most this site reads.")
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return too_large  # refused before a byte of it is read
        received = 0
        try:
            async with asyncio.timeout(self.front.body_seconds):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ClientLeft
                    chunk = message.get("body", b"")
                    received += len(chunk)
                    if received > limit:
                        return too_large
                    body.write(chunk)
                    if not message.get("more_body"):
                        return None
        except TimeoutError:
            seconds = f"{self.front.body_seconds:g}"
            return (408, f"The request body did not arrive within {seconds} seconds; send it at once.")

    def respond(self, body, loop, send) -> bytes | None:
        """In a pool thread: run Django; return its response's content, or None once it has been
        sent from here (a refusal, or a response too large to hold)."""

        def send_from_thread(message):
            asyncio.run_coroutine_threadsafe(send(message), loop).result()

        try:
            environ = self.build_environ(self.scope, body)
        except ValueError:  # asgiref's cap on repeated headers
            for message in error_messages(400, "Too many repeated headers.", self.scope.get("path", "")):
                send_from_thread(message)
            return None
        result = self.wsgi_application(environ, self.start_response)
        try:
            buffered, size = [], 0
            for chunk in result:
                if buffered is None:  # streaming: past the buffer's size
                    send_from_thread({"type": "http.response.body", "body": chunk, "more_body": True})
                    continue
                buffered.append(chunk)
                size += len(chunk)
                if size > BUFFER_RESPONSES_UP_TO:
                    send_from_thread(self.response_start)
                    send_from_thread({"type": "http.response.body", "body": b"".join(buffered), "more_body": True})
                    buffered = None
        finally:
            if hasattr(result, "close"):
                result.close()  # Django's request_finished: the connection is checked, kept or closed
        if buffered is None:
            send_from_thread({"type": "http.response.body"})
            return None
        return b"".join(buffered)


class WsgiInThreads:
    """An ASGI application that runs a WSGI one on `threads` threads, each request's body read first."""

    def __init__(self, wsgi_application, threads: int, body_seconds: float, max_body_bytes: int):
        self.wsgi_application = wsgi_application
        self.threads = ThreadPoolExecutor(threads, thread_name_prefix="django")
        self.body_seconds = body_seconds
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"This site serves HTTP only, not {scope['type']!r}.")
        await Request(self)(scope, receive, send)


application = WsgiInThreads(
    django_application,
    threads=settings.WEB_THREADS,
    body_seconds=settings.WEB_BODY_TIMEOUT,
    # The largest body any view reads (the bulk API); each view still applies its own, smaller cap.
    max_body_bytes=max(settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0, settings.API_BULK_MAX_BODY_BYTES),
)
