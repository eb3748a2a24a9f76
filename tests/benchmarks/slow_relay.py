#!/usr/bin/env python3
"""A loopback HTTP/1.1 relay that makes a local registry behave like a distant one (issue 11 benchmark).

Every request waits --delay-ms before it is forwarded, and what the registry sends back is paced to --rate
bytes per second per connection (a token bucket, so docker pulling three images at once gets three times the
bandwidth, as it would from a real registry). Only the standard library; the request heads are parsed so the
delay is paid once per request on kept-alive connections too.

    slow_relay.py --upstream 127.0.0.1:5000 [--listen 127.0.0.1:0] [--delay-ms 30] [--rate 4000000]

Prints `listening HOST:PORT` on stdout once it accepts connections, then runs until killed; on SIGTERM it
prints `requests N bytes M` (what it relayed) to stderr.
"""
import argparse
import asyncio
import signal
import sys
import time

CHUNK = 16384


class Counters:
    requests = 0
    bytes_down = 0


async def forward_requests(client, upstream, delay):
    """Client to registry: one request head (plus its Content-Length body) at a time, each after the delay."""
    first = await client.read(1)
    if first and not first.isupper():
        # Not HTTP: docker tries TLS first even on an insecure registry; the registry's plain-HTTP
        # answer must reach it at once, or it waits for its TLS handshake timeout (10 s).
        await asyncio.sleep(delay)
        Counters.requests += 1
        upstream.write(first)
        await copy(client, upstream)
        first = b""
    while first:
        try:
            head = first + await client.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError as e:
            upstream.write(first + e.partial)
            break
        await asyncio.sleep(delay)
        Counters.requests += 1
        upstream.write(head)
        headers = dict((name.strip().lower(), value.strip().lower())
                       for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:]))
        if b"chunked" in headers.get(b"transfer-encoding", b""):
            # A pull never sends a chunked body; relay the rest of the connection as it is.
            await copy(client, upstream)
            break
        length = int(headers.get(b"content-length", b"0"))
        while length > 0 and (data := await client.read(min(CHUNK, length))):
            length -= len(data)
            upstream.write(data)
            await upstream.drain()
        await upstream.drain()
        first = await client.read(1)
    if upstream.can_write_eof():
        upstream.write_eof()


async def copy(reader, writer):
    while data := await reader.read(CHUNK):
        writer.write(data)
        await writer.drain()


async def forward_responses(upstream, client, rate):
    """Registry to client, paced: a byte may leave only when the connection's bucket has earned it."""
    start = time.monotonic()
    sent = 0
    while data := await upstream.read(CHUNK):
        sent += len(data)
        due = start + sent / rate
        now = time.monotonic()
        if due > now:
            await asyncio.sleep(due - now)
        else:
            # An idle connection does not save up bandwidth for later (a burst of at most one chunk).
            start = now - sent / rate
        client.write(data)
        Counters.bytes_down += len(data)
        await client.drain()
    client.close()


async def relay(client_reader, client_writer, upstream_host, upstream_port, delay, rate):
    try:
        upstream_reader, upstream_writer = await asyncio.open_connection(upstream_host, upstream_port)
    except OSError:
        client_writer.close()
        return
    try:
        await asyncio.gather(
            forward_requests(client_reader, upstream_writer, delay),
            forward_responses(upstream_reader, client_writer, rate))
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        upstream_writer.close()
        client_writer.close()


async def serve(args):
    upstream_host, _, upstream_port = args.upstream.rpartition(":")
    listen_host, _, listen_port = args.listen.rpartition(":")
    server = await asyncio.start_server(
        lambda r, w: relay(r, w, upstream_host, int(upstream_port), args.delay_ms / 1000, args.rate),
        listen_host, int(listen_port))
    host, port = server.sockets[0].getsockname()[:2]
    print(f"listening {host}:{port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with server:
        await stop.wait()
    print(f"requests {Counters.requests} bytes {Counters.bytes_down}", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True, help="the registry, HOST:PORT")
    parser.add_argument("--listen", default="127.0.0.1:0", help="HOST:PORT to accept on (port 0: any free port)")
    parser.add_argument("--delay-ms", type=float, default=30.0, help="added to every request")
    parser.add_argument("--rate", type=float, default=4_000_000, help="bytes per second per connection, registry to client")
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
