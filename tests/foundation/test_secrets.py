import logging

import pytest

from netweave.foundation.errors import ConfigurationError
from netweave.foundation.logging import SecretMaskingFilter, mask_secrets
from netweave.foundation.secrets import SecretBox


def test_roundtrip_and_ciphertext_hides_plaintext() -> None:
    box = SecretBox("a-very-long-secret-key-for-tests")
    token = box.encrypt("hunter2-password")
    assert "hunter2" not in token
    assert box.decrypt(token) == "hunter2-password"


def test_rotation_keeps_old_tokens_readable() -> None:
    old = SecretBox("old-secret-key-0123456789")
    token = old.encrypt("s3cret")
    new = SecretBox("new-secret-key-0123456789", previous=["old-secret-key-0123456789"])
    assert new.decrypt(token) == "s3cret"
    rotated = new.rotate(token)
    assert SecretBox("new-secret-key-0123456789").decrypt(rotated) == "s3cret"


def test_wrong_key_is_a_clear_error() -> None:
    token = SecretBox("key-one-0123456789abcdef").encrypt("x")
    with pytest.raises(ConfigurationError, match="cannot be decrypted"):
        SecretBox("key-two-0123456789abcdef").decrypt(token)


def test_log_filter_masks_secrets(caplog: pytest.LogCaptureFixture) -> None:
    assert mask_secrets("login password=hunter2 ok") == "login password=******** ok"
    assert "hunter2" not in mask_secrets('{"password": "hunter2"}')
    logger = logging.getLogger("test.masking")
    logger.addFilter(SecretMaskingFilter())
    with caplog.at_level(logging.INFO, logger="test.masking"):
        logger.info("connecting with api_key=%s", "nwk_abc_def")
    assert "nwk_abc_def" not in caplog.text
    assert "api_key=********" in caplog.text
