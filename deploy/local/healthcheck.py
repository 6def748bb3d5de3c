#!/usr/bin/env python3
"""Dependency-free protocol probes for the local Kafka broker, FerretDB, SMTP server and OpenSearch node.

Usage:
    healthcheck.py port       HOST PORT   # TCP connect only
    healthcheck.py kafka      HOST PORT   # Kafka ApiVersions request must succeed
    healthcheck.py mongo      HOST PORT   # MongoDB {ping: 1} must return ok: 1
    healthcheck.py smtp       HOST PORT   # an SMTP greeting, then EHLO must be answered 250
    healthcheck.py opensearch HOST PORT   # GET /_cluster/health must answer status green or yellow

Exit status is 0 when the probe succeeds, 1 otherwise (the reason is printed
to stderr). Only the standard library is used, so the probes work before any
project virtualenv exists.
"""

from __future__ import annotations

import http.client
import json
import os
import smtplib
import socket
import struct
import sys

TIMEOUT = float(os.environ.get("HEALTHCHECK_TIMEOUT", "2"))


class ProbeError(Exception):
    pass


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ProbeError("connection closed by peer")
        buf += chunk
    return bytes(buf)


def _connect(host: str, port: int) -> socket.socket:
    try:
        return socket.create_connection((host, port), timeout=TIMEOUT)
    except OSError as exc:
        raise ProbeError(f"cannot connect to {host}:{port}: {exc}") from exc


def probe_port(host: str, port: int) -> str:
    _connect(host, port).close()
    return "port open"


def probe_kafka(host: str, port: int) -> str:
    """Send ApiVersions v0 and check the broker answers with error_code 0."""
    correlation_id = 0x48444B31
    client_id = b"healthcheck"
    body = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    with _connect(host, port) as sock:
        sock.sendall(struct.pack(">i", len(body)) + body)
        (size,) = struct.unpack(">i", _recv_exact(sock, 4))
        payload = _recv_exact(sock, size)
    corr, error_code, count = struct.unpack(">ihi", payload[:10])
    if corr != correlation_id:
        raise ProbeError(f"unexpected correlation id {corr}")
    if error_code != 0:
        raise ProbeError(f"ApiVersions error_code={error_code}")
    if count <= 0:
        raise ProbeError("broker advertised no APIs")
    return f"ApiVersions ok ({count} APIs)"


def _bson_cstring(s: str) -> bytes:
    return s.encode() + b"\x00"


def _bson_ping() -> bytes:
    elements = (
        b"\x10"
        + _bson_cstring("ping")
        + struct.pack("<i", 1)
        + b"\x02"
        + _bson_cstring("$db")
        + struct.pack("<i", 6)
        + b"admin\x00"
    )
    return struct.pack("<i", len(elements) + 5) + elements + b"\x00"


def _bson_ok(doc: bytes) -> float | None:
    """Return the top-level numeric "ok" field of a BSON document, if any."""
    pos, end = 4, len(doc) - 1
    fixed = {0x01: 8, 0x07: 12, 0x08: 1, 0x09: 8, 0x0A: 0, 0x10: 4, 0x11: 8, 0x12: 8, 0x13: 16}
    while pos < end:
        etype = doc[pos]
        name_end = doc.index(b"\x00", pos + 1)
        name = doc[pos + 1 : name_end].decode(errors="replace")
        pos = name_end + 1
        if name == "ok":
            if etype == 0x01:
                return float(struct.unpack_from("<d", doc, pos)[0])
            if etype == 0x10:
                return float(struct.unpack_from("<i", doc, pos)[0])
            if etype == 0x12:
                return float(struct.unpack_from("<q", doc, pos)[0])
            return None
        if etype in fixed:
            pos += fixed[etype]
        elif etype in (0x02, 0x0D, 0x0E):  # string, js code, symbol
            pos += 4 + struct.unpack_from("<i", doc, pos)[0]
        elif etype in (0x03, 0x04):  # document, array
            pos += struct.unpack_from("<i", doc, pos)[0]
        elif etype == 0x05:  # binary
            pos += 5 + struct.unpack_from("<i", doc, pos)[0]
        elif etype == 0x0B:  # regex: two cstrings
            pos = doc.index(b"\x00", doc.index(b"\x00", pos) + 1) + 1
        else:
            return None
    return None


def probe_mongo(host: str, port: int) -> str:
    """Send an OP_MSG {ping: 1, $db: "admin"} and check ok == 1."""
    request_id = 0x48444D31
    msg = struct.pack("<I", 0) + b"\x00" + _bson_ping()
    header = struct.pack("<iiii", 16 + len(msg), request_id, 0, 2013)
    with _connect(host, port) as sock:
        sock.sendall(header + msg)
        length, _, response_to, opcode = struct.unpack("<iiii", _recv_exact(sock, 16))
        payload = _recv_exact(sock, length - 16)
    if response_to != request_id or opcode != 2013:
        raise ProbeError(f"unexpected reply (responseTo={response_to}, opCode={opcode})")
    if payload[4] != 0:
        raise ProbeError("unexpected OP_MSG section kind")
    ok = _bson_ok(payload[5:])
    if ok != 1.0:
        raise ProbeError(f"ping returned ok={ok}")
    return "ping ok"


def probe_smtp(host: str, port: int) -> str:
    """Read the server's greeting, say EHLO, expect 250, say goodbye."""
    try:
        with smtplib.SMTP(host, port, timeout=TIMEOUT) as smtp:
            code, _ = smtp.ehlo("healthcheck")
    except smtplib.SMTPException as exc:
        raise ProbeError(f"SMTP: {exc}") from exc
    if code != 250:
        raise ProbeError(f"EHLO answered {code}")
    return "EHLO ok"


def probe_opensearch(host: str, port: int) -> str:
    """GET /_cluster/health: green, or yellow (replicas a single node cannot place), means it serves requests."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        connection.request("GET", "/_cluster/health", headers={"Accept": "application/json"})
        response = connection.getresponse()
        body = response.read()
    except http.client.HTTPException as exc:
        raise ProbeError(f"HTTP: {exc!r}") from exc
    finally:
        connection.close()
    if response.status != 200:
        raise ProbeError(f"/_cluster/health answered HTTP {response.status}")
    health = json.loads(body)
    status = health.get("status") if isinstance(health, dict) else None
    if status not in ("green", "yellow"):
        raise ProbeError(f"cluster status is {status}")
    return f"cluster {status}"


PROBES = {
    "port": probe_port,
    "kafka": probe_kafka,
    "mongo": probe_mongo,
    "smtp": probe_smtp,
    "opensearch": probe_opensearch,
}


def main(argv: list[str]) -> int:
    if len(argv) != 4 or argv[1] not in PROBES:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    kind, host, port = argv[1], argv[2], int(argv[3])
    try:
        result = PROBES[kind](host, port)
    except (ProbeError, OSError, struct.error, ValueError, IndexError) as exc:
        print(f"{kind} {host}:{port}: {exc}", file=sys.stderr)
        return 1
    if os.environ.get("HEALTHCHECK_VERBOSE"):
        print(f"{kind} {host}:{port}: {result}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
