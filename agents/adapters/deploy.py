"""Several instances behind nginx: the balancer's configuration, written from the instances' names
and addresses (`coach deploy nginx`).

Chainlit keeps each connection's state in its process, so a browser must keep reaching the
instance it began on. Each instance sets a `coach_instance` cookie with its name (COACH_INSTANCE);
nginx routes by it, with websocket upgrades passed through. When that instance is down, nginx sends
the browser to the next one (its other servers are `backup`), which names itself in the cookie
from then on; the interview itself is in the shared database, so it resumes there.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from agents.errors import ConfigurationError

_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
_ADDRESS = re.compile(r"^[A-Za-z0-9.\-\[\]:]+:\d{1,5}$")


def parse_instances(entries: list[str]) -> dict[str, str]:
    """'name=host:port' entries, checked: every name and address well formed and used once."""
    found: dict[str, str] = {}
    for pos, entry in enumerate(entries, start=1):
        name, sep, address = entry.partition("=")
        if not sep or not _NAME.match(name) or not _ADDRESS.match(address):
            raise ConfigurationError(
                f"--instance {pos} ({entry[:60]!r}) must look like 'a=127.0.0.1:8001': a name of lower-case "
                "letters, digits and hyphens (the instance's COACH_INSTANCE), then its host:port"
            )
        if name in found or address in found.values():
            raise ConfigurationError(f"--instance {pos}: {name} or {address} is given twice")
        found[name] = address
    if not found:
        raise ConfigurationError("give at least one --instance name=host:port")
    return found


def nginx_config(
    instances: Mapping[str, str], listen: str, *, max_body_mb: int = 3, fail_timeout_seconds: int = 5
) -> str:
    """The `http`-level part of the configuration (for Debian's /etc/nginx/conf.d/coach.conf)."""
    names = list(instances)
    lines = [
        "# Clinical interview coach: instances behind nginx, routed by the coach_instance cookie.",
        "map $http_upgrade $coach_connection { default upgrade; '' close; }",
        "",
    ]

    def servers(first: str | None) -> list[str]:
        order = ([first] if first else []) + [n for n in names if n != first]
        out = []
        for n in order:
            backup = " backup" if first is not None and n != first else ""
            out.append(f"    server {instances[n]} max_fails=1 fail_timeout={fail_timeout_seconds}s{backup};")
        return out

    lines += ["upstream coach_any {", *servers(None), "}"]
    for n in names:
        lines += [f"upstream coach_{n} {{", *servers(n), "}"]
    lines += ["map $cookie_coach_instance $coach_upstream {", "    default coach_any;"]
    lines += [f"    {n} coach_{n};" for n in names]
    lines += [
        "}",
        "",
        "server {",
        f"    listen {listen};",
        f"    client_max_body_size {max_body_mb}m;",
        "    location / {",
        "        proxy_pass http://$coach_upstream;",
        "        proxy_http_version 1.1;",
        "        proxy_set_header Upgrade $http_upgrade;",
        "        proxy_set_header Connection $coach_connection;",
        "        # The app checks Host and Origin against each other: pass the address users opened.",
        "        proxy_set_header Host $http_host;",
        "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "        proxy_set_header X-Forwarded-Proto $scheme;",
        "        proxy_read_timeout 3600s;",
        "        proxy_send_timeout 3600s;",
        "        proxy_buffering off;",
        "        # A dead instance: try the next (never for a request that may have been half done).",
        "        proxy_next_upstream error timeout http_502 http_503;",
        "    }",
        "}",
    ]
    return "\n".join(lines) + "\n"


def standalone_config(http_part: str, prefix: Path) -> str:
    """A whole nginx.conf around `http_part`, every file under `prefix` (for `nginx -p PREFIX -c …`
    as an ordinary user, in tests and benchmarks)."""
    temp = prefix / "temp"
    return "\n".join(
        [
            "worker_processes 1;",
            f"pid {prefix / 'nginx.pid'};",
            f"error_log {prefix / 'error.log'} warn;",
            "events { worker_connections 4096; }",
            "http {",
            f"    access_log {prefix / 'access.log'};",
            *(f"    {name}_temp_path {temp / name};" for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
            *("    " + line if line else "" for line in http_part.splitlines()),
            "}",
            "",
        ]
    )
