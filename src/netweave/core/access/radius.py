"""Signing in against a RADIUS server (pyrad; FreeRADIUS, Cisco ISE, ClearPass, NPS): an
Access-Request with the password in PAP (hidden with the shared secret, RFC 2865) and a
Message-Authenticator; Access-Accept signs the user in, its group attribute's values
(``Filter-Id`` by default, or ``Class``) are the user's groups, mapped to NetWeave groups
as directory groups are (:mod:`directory_signin`). Access-Reject is a wrong password. No
answer, or an answer that fails its authenticator (a wrong shared secret), is a 503 naming
the server, never the password."""

from __future__ import annotations

import io
from dataclasses import dataclass

from pydantic import SecretStr

from netweave.core.access.directory import MAX_USERNAME_LENGTH, DirectoryUser
from netweave.foundation.errors import Unavailable

# the attributes used, from RFC 2865 / 2869 (pyrad needs a dictionary)
DICTIONARY = """\
ATTRIBUTE User-Name 1 string
ATTRIBUTE User-Password 2 string
ATTRIBUTE Filter-Id 11 string
ATTRIBUTE Reply-Message 18 string
ATTRIBUTE Class 25 octets
ATTRIBUTE NAS-Identifier 32 string
ATTRIBUTE Message-Authenticator 80 octets
"""
MAX_PASSWORD_LENGTH = 128  # RFC 2865: User-Password holds at most 128 octets


class RadiusUnavailable(Unavailable):
    """The RADIUS server cannot be used right now (or the shared secret is wrong)."""


@dataclass(frozen=True)
class RadiusConfig:
    server: str
    port: int
    secret: SecretStr
    timeout: float
    retries: int
    group_attribute: str
    nas_identifier: str


def authenticate(config: RadiusConfig, username: str, password: str) -> DirectoryUser | None:
    """The user (their groups from the reply) when the server accepts; None when it
    rejects, or before any network call for an empty or oversized password or name."""
    if not username or not password or len(username) > MAX_USERNAME_LENGTH:
        return None
    if len(password.encode()) > MAX_PASSWORD_LENGTH:
        return None
    from pyrad import packet
    from pyrad.client import Client, Timeout
    from pyrad.dictionary import Dictionary

    where = f"radius://{config.server}:{config.port}"
    client = Client(
        server=config.server,
        authport=config.port,
        secret=config.secret.get_secret_value().encode(),
        dict=Dictionary(io.StringIO(DICTIONARY)),
    )
    client.timeout = config.timeout
    client.retries = config.retries + 1  # pyrad counts tries
    request = client.CreateAuthPacket(
        code=packet.AccessRequest, User_Name=username, NAS_Identifier=config.nas_identifier
    )
    request["User-Password"] = request.PwCrypt(password)
    request.add_message_authenticator()
    try:
        reply = client.SendPacket(request)
    except Timeout as exc:
        raise RadiusUnavailable(
            f"the RADIUS server {where} did not answer (or refused the shared secret)",
            field="password",
        ) from exc
    except OSError as exc:
        raise RadiusUnavailable(
            f"the RADIUS server {where} cannot be reached: {exc.strerror or exc}",
            field="password",
        ) from exc
    if reply.code != packet.AccessAccept:
        return None
    values = reply.get(config.group_attribute, [])
    groups = [v.decode(errors="replace") if isinstance(v, bytes) else str(v) for v in values]
    return DirectoryUser(
        username=username,
        dn=where,
        display_name=None,
        email=None,
        groups=[group for group in groups if group.strip()],
    )
