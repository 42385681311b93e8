"""Run a Python child under strace and list every connection it tried off the loopback.

A socket guard inside Python cannot see what native libraries do (onnxruntime's telemetry
resolves its host from its own threads through libc), so this watches the system calls:
``connect``, ``sendto``, ``sendmsg`` and ``sendmmsg`` of every thread and child process.
Only 127.0.0.0/8 and ::1 are allowed, and no DNS query at all (port 53, even to a resolver
on the loopback): ragtui has no name to look up.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_V4 = re.compile(r'sa_family=AF_INET, sin_port=htons\((\d+)\), sin_addr=inet_addr\("([0-9.]+)"\)')
_V6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((\d+)\),.*?inet_pton\(AF_INET6, "([^"]+)"')
_CALL = re.compile(r"^\d+\s+(?:<\.\.\. )?(connect|sendto|sendmsg|sendmmsg)\b")
#: onnxruntime's telemetry stays quiet where CI=true (seen: 0 lookups with it, 6 without),
#: so a check run in CI would prove nothing; the child runs as on a person's machine.
CI_MARKERS = frozenset(
    {
        "CI",
        "CONTINUOUS_INTEGRATION",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "TF_BUILD",
        "BUILDKITE",
        "CIRCLECI",
        "TRAVIS",
        "JENKINS_URL",
        "TEAMCITY_VERSION",
        "BUILD_ID",
        "BUILD_NUMBER",
    }
)
_DNS_PORT = 53
SENTINEL_PORT = 9  # the child's first act: a UDP connect to 127.0.0.1:9, proof the trace works
_SENTINEL = (
    "import socket as _s\n_x = _s.socket(_s.AF_INET, _s.SOCK_DGRAM)\n"
    f"_x.connect(('127.0.0.1', {SENTINEL_PORT}))\n_x.close()\n"
)


def _local(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def off_loopback(trace: str) -> tuple[list[str], bool]:
    """(system-call lines that reach past the loopback or ask a DNS server, whether the
    sentinel was seen)."""
    bad: list[str] = []
    sentinel = False
    for line in trace.splitlines():
        call = _CALL.search(line)
        if call is None:
            continue
        for pattern in (_V4, _V6):
            for port, address in pattern.findall(line):
                if not _local(address) or int(port) == _DNS_PORT:
                    bad.append(line.strip())
                elif int(port) == SENTINEL_PORT and call.group(1) == "connect":
                    sentinel = True
    return bad, sentinel


def strace_available() -> bool:
    """Whether strace is installed."""
    return shutil.which("strace") is not None


def traced_run(code: str, *, seconds: float, env: dict[str, str], cwd: Path) -> list[str]:
    """Run ``code`` in a fresh Python, keep it alive ``seconds`` after it finishes its work,
    and return the off-loopback system-call lines of it and every thread it started."""
    strace = shutil.which("strace")
    assert strace is not None
    with tempfile.TemporaryDirectory() as scratch:
        trace = Path(scratch) / "trace.txt"
        script = Path(scratch) / "child.py"
        script.write_text(_SENTINEL + code + f"\nimport time\ntime.sleep({seconds})\n")
        child_env = {
            k: v for k, v in env.items() if k != "ORT_DISABLE_TELEMETRY" and k not in CI_MARKERS
        }
        child_env["HOME"] = scratch  # a telemetry queue would land here, not in the real home
        done = subprocess.run(
            [
                strace,
                "-f",
                "-qq",
                "-s",
                "128",
                "-e",
                "signal=none",
                "-e",
                "trace=connect,sendto,sendmsg,sendmmsg",
                "-o",
                str(trace),
                sys.executable,
                str(script),
            ],
            env=child_env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=seconds + 600,
        )
        text = trace.read_text() if trace.exists() else ""
    if done.returncode != 0:
        raise AssertionError(f"the traced child failed ({done.returncode}): {done.stderr[-3000:]}")
    bad, sentinel = off_loopback(text)
    if not sentinel:
        raise AssertionError("strace did not record the loopback sentinel: the trace is blind")
    return bad


def child_env() -> dict[str, str]:
    """This environment (RAGTUI_HOME included), for a traced child."""
    return dict(os.environ)
