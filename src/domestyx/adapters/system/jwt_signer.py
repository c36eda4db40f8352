"""Asymmetric access tokens (PyJWT): EdDSA or ES256, a `kid` per key, published as a JWKS."""

from __future__ import annotations

from typing import Any

import attrs
import jwt

from domestyx.adapters.system.signing_keys import PublicKey, SigningKey, load_public_keys
from domestyx.domain.model.accounts import Role
from domestyx.domain.model.errors import InvalidToken
from domestyx.domain.model.sessions import AccessClaims
from domestyx.ports.clock import Clock

_REQUIRED = ["iss", "aud", "sub", "exp", "iat", "jti", "sid", "role"]
_INTS = ("iat", "exp")


class JwtTokenSigner:
    """Signs with the current private key; verifies with it or a still-trusted previous one."""

    def __init__(
        self,
        private_pem: str,
        *,
        previous_pems: str = "",
        issuer: str,
        audience: str,
        clock: Clock,
        leeway_s: int = 5,
    ) -> None:
        self._key = SigningKey.from_pem(private_pem)
        previous = [k for k in load_public_keys(previous_pems) if k.kid != self._key.kid]
        self._trusted: dict[str, PublicKey] = {k.kid: k for k in [self._key.public, *previous]}
        self._issuer = issuer
        self._audience = audience
        self._clock = clock
        self._leeway = leeway_s

    @property
    def kid(self) -> str:
        """The key id new tokens carry."""
        return self._key.kid

    def jwks(self) -> dict[str, Any]:
        """The public keys, current first: everything a verifier needs, nothing secret."""
        return {"keys": [key.jwk() for key in self._trusted.values()]}

    def sign(self, claims: AccessClaims) -> str:
        """Encode every claim the model carries, with a typed header naming the key."""
        headers = {"typ": "at+jwt", "kid": self._key.kid}
        return jwt.encode(
            _payload(claims), self._key.private, algorithm=self._key.alg, headers=headers
        )

    def verify(self, token: str) -> AccessClaims:
        """Decode; any defect (alg, kid, signature, iss, aud, times, claims) is InvalidToken."""
        try:
            key = self._key_for(jwt.get_unverified_header(token))
            # Times are checked against our Clock port, not PyJWT's wall clock.
            data = jwt.decode(
                token,
                key.key,
                algorithms=[key.alg],
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
            return _claims(data, self._audience)
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            raise InvalidToken from exc

    def _key_for(self, header: dict[str, Any]) -> PublicKey:
        """The trusted key the header names, only with that key's own algorithm."""
        key = self._trusted.get(str(header.get("kid", "")))
        if key is None:
            raise InvalidToken("the access token names an unknown key")
        if header.get("alg") != key.alg:
            raise InvalidToken("unsupported token algorithm")
        return key

    def _check_times(self, iat: int, exp: int, nbf: object) -> None:
        now = int(self._clock.now().timestamp())
        if nbf is not None and int(str(nbf)) > now + self._leeway:
            raise InvalidToken("the access token is not valid yet")
        if exp <= now - self._leeway:
            raise InvalidToken("the access token has expired")
        if iat > now + self._leeway:
            raise InvalidToken("the access token was issued in the future")


def _payload(claims: AccessClaims) -> dict[str, Any]:
    """Every attribute of the claims: claims added to the model are signed without a change here."""
    values = attrs.asdict(claims, recurse=False)
    payload = {
        name: value.value if isinstance(value, Role) else value
        for name, value in values.items()
        if value is not None
    }
    # RFC 8176: how the session was authenticated, derived from `aal` (staff routes need 2).
    return payload | {"amr": list(claims.amr)}


def _claims(data: dict[str, Any], audience: str) -> AccessClaims:
    """The model's claims from a verified payload; unknown claims are ignored."""
    names = {field.name for field in attrs.fields(AccessClaims)}
    values: dict[str, Any] = {name: data[name] for name in names if name in data}
    values |= {name: int(values[name]) for name in _INTS}
    values |= {"role": Role(values["role"]), "aud": audience}
    values |= {n: str(values[n]) for n in ("sub", "sid", "jti", "iss")}
    values["aal"] = _aal(values.get("aal", 1))
    return AccessClaims(**values)


def _aal(value: object) -> int:
    """1 or 2; anything else (a bool, a string, 3) is a forged or foreign token."""
    if type(value) is not int or value not in (1, 2):
        raise InvalidToken("unknown assurance level")
    return value
