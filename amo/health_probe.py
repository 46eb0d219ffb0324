"""The container's health probe: `python -m amo.health_probe` exits 0 when /healthz answers 200.

It asks the local server the way the load balancer would, as one of ALLOWED_HOSTS over HTTPS
(X-Forwarded-Proto), so neither the host check nor the HTTPS redirect turns the probe away.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request


def probe() -> int:
    port = os.environ.get("PORT", "8000")
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip().lstrip(".") or "localhost"
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/healthz", headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"unhealthy: /healthz answered {status}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(probe())
