"""Redis adapters: OTP store, rate limiter, failure counter (redis-py, Lua for atomicity)."""
