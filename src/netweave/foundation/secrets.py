"""Encryption of secrets at rest (Fernet), with key rotation through MultiFernet."""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from netweave.foundation.errors import ConfigurationError

if TYPE_CHECKING:
    from netweave.foundation.vault import VaultClient

_HKDF_INFO = b"netweave credentials v1"


def fernet_key_from_secret(secret: str) -> bytes:
    """Derive a Fernet key from any secret string (HKDF-SHA256)."""
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(derived)


class SecretBox:
    """Encrypts with the current key, decrypts with the current or any previous key.

    ``vault`` (when configured) reads the secrets of credentials kept in Vault/OpenBao: the
    box is what opens secrets, wherever they live. It contacts vault only when asked to."""

    def __init__(
        self, secret: str, previous: list[str] | None = None, vault: VaultClient | None = None
    ) -> None:
        keys = [Fernet(fernet_key_from_secret(secret))]
        keys += [Fernet(fernet_key_from_secret(old)) for old in previous or []]
        self._fernet = MultiFernet(keys)
        self.vault = vault

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ConfigurationError(
                "a stored secret cannot be decrypted with the configured secret key(s)"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the current key."""
        return self._fernet.rotate(token.encode()).decode()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
