"""CPU the server spends on one Turnstile siteverify call, which otp/send's floor leaves out.

The stub answers from another process, so only the adapter's side (httpx, form, JSON) is timed.
Run: .venv/bin/python -m bench.captcha_cost
"""

from __future__ import annotations

import subprocess
import sys
import time

from tests.stubs.turnstile_stub import SECRET

from domestyx.adapters.turnstile.captcha import TurnstileCaptchaVerifier

_STUB = """
import time
from tests.stubs.turnstile_stub import TurnstileStub
stub = TurnstileStub().start()
print(stub.siteverify_url, flush=True)
time.sleep(600)
"""


def measure(calls: int = 2000, rounds: int = 3) -> float:
    """Milliseconds of this process's CPU per verify, the cheapest of `rounds` rounds."""
    stub = subprocess.Popen([sys.executable, "-c", _STUB], stdout=subprocess.PIPE, text=True)
    try:
        assert stub.stdout is not None
        verifier = TurnstileCaptchaVerifier(SECRET, siteverify_url=stub.stdout.readline().strip())
        for _ in range(50):  # warm the kept-alive connection
            verifier.verify("warm-up", remote_ip="127.0.0.1")
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time()
            for _ in range(calls):
                verifier.verify("token", remote_ip="127.0.0.1")
            best = min(best, (time.process_time() - start) / calls * 1000)
        return best
    finally:
        stub.kill()


if __name__ == "__main__":
    print(f"Turnstile siteverify, adapter side: {measure():.3f} ms CPU per call")
