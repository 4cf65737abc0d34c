"""The questions IOS asks before a file operation or a reload, as an interactive session
sees them (what eNMS-style "netmiko prompts" services answer):

- ``copy running-config startup-config`` → ``Destination filename [startup-config]?``
  (and ``Do you want to over write? [confirm]`` for an existing file);
- ``delete flash:x`` → ``Delete filename [x]?`` then ``Delete flash:/x? [confirm]``;
- ``reload`` → ``System configuration has been modified. Save? [yes/no]:`` (unsaved
  changes only) then ``Proceed with reload? [confirm]``.

``file prompt quiet`` in the configuration silences the file questions (as on IOS: NAPALM
configures it for its own copies), ``delete /force`` the delete ones. An exec channel
(``ssh host cmd``) and EOS never ask: nobody could answer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from netweave.lab.cli_common import Reply
from netweave.lab.files import file_name

if TYPE_CHECKING:
    from netweave.lab.cli_ios import IosCli

YES = ("", "y", "yes")  # Enter confirms a [confirm] question
RELOAD_LOG = (
    "\n*Mar  1 00:00:00.000: %SYS-5-RELOAD: Reload requested by console. "
    "Reload Reason: Reload Command.\n"
)


@dataclass
class Question:
    """A question waiting for its answer: ``text`` is shown instead of the prompt, the next
    line goes to ``answer`` (which may ask the next question)."""

    text: str
    answer: Callable[[str], Reply]


def ask(cli: IosCli, text: str, answer: Callable[[str], Reply], output: str = "") -> Reply:
    cli.question = Question(text, answer)
    return Reply(output)


def asks(cli: IosCli) -> bool:
    """Whether this session asks questions at all."""
    return cli.interactive and not cli.eos


def asks_about_files(cli: IosCli) -> bool:
    return asks(cli) and cli.config.find("file prompt quiet") is None


def file_system(path: str) -> str:
    """``flash:x`` → ``flash:``; a bare name is on the default file system."""
    return path.split(":", 1)[0] + ":" if ":" in path else "flash:"


def full_path(path: str) -> str:
    """As IOS names a file in its questions: ``flash:/x``."""
    return f"{file_system(path)}/{file_name(path)}"


def destination(
    cli: IosCli, target: str, shown: str, copy: Callable[[str], Reply], exists: bool
) -> Reply:
    """``Destination filename [shown]?``; an answer names another file on the same file
    system; an existing file is confirmed before it is overwritten."""
    if not asks_about_files(cli):
        return copy(target)

    def named(answer: str) -> Reply:
        chosen = target
        if answer and answer != shown:
            chosen = answer if ":" in answer else file_system(target) + answer
        if exists and chosen == target and cli.files.read_bytes(chosen) is not None:
            return ask(
                cli,
                "Do you want to over write? [confirm]",
                lambda confirm: copy(chosen) if confirm.lower() in YES else Reply(),
                "%Warning:There is a file already existing with this name\n",
            )
        return copy(chosen)

    return ask(cli, f"Destination filename [{shown}]? ", named)


def delete(cli: IosCli, args: list[str]) -> Reply:
    """``delete [/force] PATH``: the file name, then a confirmation (unless quiet)."""
    force = any(a.lower() == "/force" for a in args)
    paths = [a for a in args if not a.startswith("/")]
    if not paths:
        return Reply("% Incomplete command.\n")
    path = paths[0]

    def remove(target: str) -> Reply:
        if not cli.files.delete(target):
            return Reply(f"%Error deleting {full_path(target)} (No such file or directory)\n")
        return Reply()

    if force or not asks_about_files(cli):
        return remove(path)

    def named(answer: str) -> Reply:
        target = path
        if answer and answer != file_name(path):
            target = answer if ":" in answer else file_system(path) + answer
        if cli.files.read_bytes(target) is None:
            return remove(target)  # the error, as IOS prints it after the name
        return ask(
            cli,
            f"Delete {full_path(target)}? [confirm]",
            lambda confirm: remove(target) if confirm.lower() in YES else Reply(),
        )

    return ask(cli, f"Delete filename [{file_name(path)}]? ", named)


def reload(cli: IosCli) -> Reply:
    """``reload``: save unsaved changes or not, confirm, then the device restarts (every
    session dropped, the running configuration back to the saved one)."""
    restart = Reply(RELOAD_LOG, close=True, reboot=True)
    if not asks(cli):
        return restart

    def proceed(output: str = "") -> Reply:
        return ask(
            cli,
            "Proceed with reload? [confirm]",
            lambda confirm: restart if confirm.lower() in YES else Reply(),
            output,
        )

    def save(answer: str) -> Reply:
        word = answer.strip().lower()
        if word in ("y", "yes"):
            cli.save()
            return proceed("Building configuration...\n[OK]\n")
        if word in ("n", "no"):
            return proceed()
        return ask(cli, SAVE_QUESTION, save, "% Please answer 'yes' or 'no'.\n")

    if cli.config.render() != cli.saved_config():
        return ask(cli, SAVE_QUESTION, save)
    return proceed()


SAVE_QUESTION = "System configuration has been modified. Save? [yes/no]: "
