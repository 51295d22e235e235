"""Loaded by the README test's `serve` (this folder is put on its PYTHONPATH): the README's
example names resolve as they do on the internet, also on a machine without DNS (CI has
none). Every other name goes to the system's resolver, unchanged.

example.com is the RFC 2606 documentation name; the address is one IANA has served for it. The
outbound guard still checks it, as any public address, and nothing there is ever reached here.
"""

import socket

PUBLIC_NAMES = {"example.com": "23.192.228.80"}
_system_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, *args, **kwargs):
    name = host.decode() if isinstance(host, bytes) else host
    address = PUBLIC_NAMES.get((name or "").rstrip(".").lower())
    return _system_getaddrinfo(address or host, port, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo
