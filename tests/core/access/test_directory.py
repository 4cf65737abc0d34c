"""Directory sign-in (netweave.core.access.directory) against a real OpenLDAP slapd
(tests/fixtures/ldap.py): search-then-bind, groups, LDAP injection, empty passwords, TLS
(ldaps and StartTLS, with and without the CA), and a directory that cannot be used told
apart from wrong credentials."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pydantic import ValidationError

from netweave.core.access.directory import (
    DirectoryConfig,
    DirectoryUnavailable,
    authenticate,
)
from tests.fixtures.ldap import Directory


def config_for(directory: Directory, **changes: Any) -> DirectoryConfig:
    values: dict[str, Any] = {
        "url": directory.url,
        "bind_dn": directory.bind_dn,
        "bind_password": directory.bind_password,
        "user_base": directory.user_base,
        "group_base": directory.group_base,
        "ca_file": directory.ca_file,
        "timeout": 3,
    }
    values.update(changes)
    return DirectoryConfig(**values)


@pytest.fixture
def silent_port() -> Iterator[socket.socket]:
    """A loopback port that takes TCP connections (the kernel's backlog) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener


def test_members_get_their_groups(ldap_directory: Directory) -> None:
    config = config_for(ldap_directory)
    passwords = ldap_directory.passwords
    alice = authenticate(config, "alice", passwords["alice"])
    assert alice is not None
    assert alice.username == "alice"
    assert alice.dn == f"uid=alice,{ldap_directory.user_base}"
    assert alice.display_name == "Alice Admin"
    assert alice.email == "alice@netweave.test"
    assert alice.groups == ["netops"]
    carol = authenticate(config, "carol", passwords["carol"])
    assert carol is not None and carol.groups == ["netops", "noc"]
    dave = authenticate(config, "dave", passwords["dave"])
    assert dave is not None and dave.groups == []
    # uid matches case-insensitively; the name returned is the directory's
    bob = authenticate(config, "BOB", passwords["bob"])
    assert bob is not None and bob.username == "bob" and bob.groups == ["noc"]


def test_wrong_credentials_are_none(ldap_directory: Directory) -> None:
    config = config_for(ldap_directory)
    passwords = ldap_directory.passwords
    assert authenticate(config, "alice", passwords["bob"]) is None
    assert authenticate(config, "nobody", "whatever") is None
    assert authenticate(config, "erin", "anything") is None  # an entry without a password
    # a username two entries share signs nobody in, even with the right password
    assert authenticate(config, "twin", passwords["twin"]) is None


@pytest.mark.parametrize(
    "username", ["*", "a*", "alice)(uid=*", "*)(|(uid=*", "alice)(|(objectClass=*)", "\\2a"]
)
def test_filter_injection_matches_nobody(ldap_directory: Directory, username: str) -> None:
    # every user shares the password tried: a widened filter would find one and let it in
    config = config_for(ldap_directory)
    assert authenticate(config, username, ldap_directory.passwords["alice"]) is None


def test_empty_password_is_refused_before_any_connection(
    ldap_directory: Directory, silent_port: socket.socket
) -> None:
    # this slapd accepts unauthenticated binds (a DN, no password), like many directories
    assert authenticate(config_for(ldap_directory), "alice", "") is None
    port = silent_port.getsockname()[1]
    config = config_for(ldap_directory, url=f"ldap://127.0.0.1:{port}")
    assert authenticate(config, "alice", "") is None
    silent_port.setblocking(False)
    with pytest.raises(BlockingIOError):
        silent_port.accept()  # nobody connected


def test_ldaps_and_starttls_with_the_ca(ldap_directory: Directory) -> None:
    passwords = ldap_directory.passwords
    ldaps = config_for(ldap_directory, url=ldap_directory.ldaps_url)
    user = authenticate(ldaps, "carol", passwords["carol"])
    assert user is not None and user.groups == ["netops", "noc"]
    starttls = config_for(ldap_directory, start_tls=True)
    user = authenticate(starttls, "alice", passwords["alice"])
    assert user is not None and user.groups == ["netops"]
    # a certificate not checked at all (verify off) also connects
    unchecked = config_for(ldap_directory, url=ldap_directory.ldaps_url, ca_file=None, verify=False)
    assert authenticate(unchecked, "dave", passwords["dave"]) is not None


@pytest.mark.parametrize("tls", ["ldaps", "starttls"])
def test_untrusted_certificate_is_unavailable(ldap_directory: Directory, tls: str) -> None:
    # the system's CAs do not know the test CA: verify refuses the server
    if tls == "ldaps":
        config = config_for(ldap_directory, url=ldap_directory.ldaps_url, ca_file=None)
    else:
        config = config_for(ldap_directory, start_tls=True, ca_file=None)
    with pytest.raises(DirectoryUnavailable) as raised:
        authenticate(config, "alice", ldap_directory.passwords["alice"])
    assert config.url in str(raised.value)
    assert "certificate" in str(raised.value).lower()
    assert raised.value.status_code == 503


def test_refused_service_account_is_unavailable(ldap_directory: Directory) -> None:
    wrong = "not-the-bind-password-7"
    config = config_for(ldap_directory, bind_password=wrong)
    password = ldap_directory.passwords["alice"]
    with pytest.raises(DirectoryUnavailable) as raised:
        authenticate(config, "alice", password)
    message = str(raised.value)
    assert ldap_directory.url in message and ldap_directory.bind_dn in message
    assert wrong not in message and password not in message
    assert wrong not in repr(config)  # SecretStr


def test_missing_search_base_is_unavailable(ldap_directory: Directory) -> None:
    config = config_for(ldap_directory, user_base=f"ou=nowhere,{ldap_directory.base_dn}")
    with pytest.raises(DirectoryUnavailable, match="ou=nowhere"):
        authenticate(config, "alice", ldap_directory.passwords["alice"])


def test_unreachable_directory_is_unavailable_quickly(
    ldap_directory: Directory, silent_port: socket.socket
) -> None:
    with socket.socket() as probe:  # a port nobody listens on: refused
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    config = config_for(ldap_directory, url=f"ldap://127.0.0.1:{closed}")
    with pytest.raises(DirectoryUnavailable, match=f"ldap://127.0.0.1:{closed}"):
        authenticate(config, "alice", "secret-typed-1")
    # a server that takes the connection and never answers: the timeout ends the wait
    port = silent_port.getsockname()[1]
    config = config_for(ldap_directory, url=f"ldap://127.0.0.1:{port}", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable) as raised:
        authenticate(config, "alice", "secret-typed-1")
    assert time.monotonic() - started < 3
    assert "secret-typed-1" not in str(raised.value)
    assert ldap_directory.bind_password not in str(raised.value)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "http://127.0.0.1"}, "url"),
        ({"url": "ldap://"}, "url"),
        ({"url": "ldap://host:99999"}, "url"),
        ({"user_filter": "(uid=alice)"}, "user_filter"),
        ({"user_filter": "uid={username}"}, "user_filter"),
        ({"group_filter": "(member=x)"}, "group_filter"),
        ({"timeout": 0}, "timeout"),
    ],
)
def test_bad_settings_name_the_field(
    ldap_directory: Directory, change: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        config_for(ldap_directory, **change)
    assert field in str(raised.value)


def test_starttls_on_ldaps_is_refused(ldap_directory: Directory) -> None:
    with pytest.raises(ValidationError, match="start_tls"):
        config_for(ldap_directory, url=ldap_directory.ldaps_url, start_tls=True)
