"""HS256 access tokens (PyJWT) with the algorithm pinned and every claim required."""

from __future__ import annotations

import jwt

from domestyx.domain.model.accounts import Role
from domestyx.domain.model.errors import InvalidToken
from domestyx.domain.model.sessions import AccessClaims
from domestyx.ports.clock import Clock

_REQUIRED = ["iss", "aud", "sub", "exp", "iat", "jti", "sid", "role"]


class JwtTokenSigner:
    """Signs with JWT_SIGNING_KEY; accepts only HS256 tokens for our issuer and audience."""

    def __init__(
        self, key: str, *, issuer: str, audience: str, clock: Clock, leeway_s: int = 5
    ) -> None:
        if len(key.encode()) < 32:
            raise ValueError("JWT signing key must be at least 32 bytes")
        self._key = key
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._leeway = leeway_s

    def sign(self, claims: AccessClaims) -> str:
        """Encode with a typed header."""
        payload = {
            "iss": claims.iss,
            "aud": claims.aud,
            "sub": claims.sub,
            "role": claims.role.value,
            "sid": claims.sid,
            "jti": claims.jti,
            "iat": claims.iat,
            "exp": claims.exp,
        }
        return jwt.encode(payload, self._key, algorithm="HS256", headers={"typ": "at+jwt"})

    def verify(self, token: str) -> AccessClaims:
        """Decode; any defect (alg, signature, iss, aud, exp, missing claim) is InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != "HS256":
                raise InvalidToken("unsupported token algorithm")
            # Times are checked against our Clock port, not PyJWT's wall clock.
            data = jwt.decode(
                token,
                self._key,
                algorithms=["HS256"],
                audience=self._audience,
                issuer=self._issuer,
                options={
                    "require": _REQUIRED,
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
            self._check_times(int(data["iat"]), int(data["exp"]), data.get("nbf"))
            return AccessClaims(
                sub=str(data["sub"]),
                role=Role(data["role"]),
                sid=str(data["sid"]),
                jti=str(data["jti"]),
                iat=int(data["iat"]),
                exp=int(data["exp"]),
                iss=str(data["iss"]),
                aud=self._audience,
            )
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise InvalidToken from exc

    def _check_times(self, iat: int, exp: int, nbf: object) -> None:
        now = int(self._clock.now().timestamp())
        if nbf is not None and int(str(nbf)) > now + self._leeway:
            raise InvalidToken("the access token is not valid yet")
        if exp <= now - self._leeway:
            raise InvalidToken("the access token has expired")
        if iat > now + self._leeway:
            raise InvalidToken("the access token was issued in the future")
