"""The terminal transcript: typed lines as they were entered, never a password, capped."""

from __future__ import annotations

from netweave.core.terminal import Data, Ignored, Resize, Transcript, close_reason, parse_frame
from netweave.core.terminal.transcript import HIDDEN, TRUNCATED


def typed(script: Transcript, *chunks: str | bytes) -> None:
    """Alternate device output (bytes) and user input (str)."""
    for chunk in chunks:
        if isinstance(chunk, bytes):
            script.device_output(chunk)
        else:
            script.user_input(chunk.encode())


def test_line_editing_and_escape_sequences() -> None:
    script = Transcript(1000)
    typed(
        script,
        b"r1>",
        "shwo\x7f\x7fow ver\r",
        b"\r\nCisco IOS\r\nr1>",
        "\x1b[A\x1bOB",  # arrow keys: not text
        "junk\x15ping 10.0.0.1\r\n",  # Ctrl-U clears; CR LF is one Enter
        "show run\x03",
        "conf t",  # typed, never entered
    )
    assert script.text().splitlines() == [
        "show ver",
        "ping 10.0.0.1",
        "show run^C",
        "conf t",
    ]


def test_password_prompts_hide_the_line_and_stored_secrets_are_masked() -> None:
    script = Transcript(1000, ["s3cret-enable", "pw", None])
    typed(
        script,
        b"r1>",
        "enable\r",
        b"\r\n\x1b[0mPassword: ",
        "s3cret-enable\r",
        b"\r\nr1#",
        "show spine-1 detail\r",  # a word containing "pin" is no prompt
        b"\r\nspine-1#",
        "username bob secret s3cret-enable\r",  # typed at an ordinary prompt: masked
        b"\r\nEnter passphrase for key:",
        "hunter22\r",
    )
    lines = script.text().splitlines()
    assert lines == [
        "enable",
        HIDDEN,
        "show spine-1 detail",
        "username bob secret ***",
        HIDDEN,
    ]
    assert "hunter22" not in script.text()


def test_transcript_is_capped() -> None:
    script = Transcript(40)
    for number in range(10):
        script.user_input(f"show interface {number}\r".encode())
    text = script.text()
    assert text.splitlines()[-1] == TRUNCATED
    assert text.splitlines()[:2] == ["show interface 0", "show interface 1"]
    assert script.truncated and len(text) <= 40 + len(TRUNCATED) + 1


def test_frames_and_close_reasons() -> None:
    assert parse_frame(None, b"\x03") == Data(b"\x03")
    assert parse_frame('{"type":"resize","cols":120,"rows":40}', None) == Resize(120, 40)
    assert parse_frame('{"type":"resize","cols":99999,"rows":2}', None) == Resize(1000, 2)
    assert isinstance(parse_frame('{"type":"resize","cols":"wide"}', None), Ignored)
    assert parse_frame('{"type":"data","data":"ls\\r"}', None) == Data(b"ls\r")
    assert parse_frame("{not json", None) == Data(b"{not json")
    assert len(close_reason("é" * 200).encode()) <= 123
