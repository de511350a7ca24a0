"""`ivr call` and `ivr text`: the same signed webhooks, followed from a terminal."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner

from ivr import create_app
from ivr.cli import main
from ivr.content import load_content
from ivr.simulator.terminal import TerminalCall, Webhooks

from .conftest import PUBLIC_URL, TOKEN

CONTENT = load_content()


def scripted(answers: list[str]) -> tuple[list[str], Any]:
    shown: list[str] = []
    queue = list(answers)
    return shown, lambda prompt: queue.pop(0) if queue else "hangup"


def test_a_call_from_the_terminal(config: dict[str, Any]) -> None:
    webhooks = Webhooks(PUBLIC_URL, TOKEN, create_app(config))
    shown, ask = scripted(["2", "síntomas", "", "", "", "0", "n", "4"])
    TerminalCall(webhooks, ask=ask, show=shown.append).run()
    text = "\n".join(shown)
    spanish = CONTENT["es"]
    assert spanish.topic("symptoms").title in text
    for part in spanish.topic("symptoms").parts:
        assert part in text
    assert "[transferring to +18004226237]" in text
    assert spanish.prompts["voice_transfer_failed"] in text
    assert shown[-1] == "The call has ended."


def test_a_forged_token_is_refused_from_the_terminal(config: dict[str, Any]) -> None:
    webhooks = Webhooks(PUBLIC_URL, "wrong-token", create_app(config))
    shown, ask = scripted([])
    TerminalCall(webhooks, ask=ask, show=shown.append).run()
    assert "The line answered 403." in shown


def test_ivr_call_command_runs_in_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(
        main, ["call", "--no-audio"], input="1\n1\n", env={"IVR_INSTANCE_DIR": str(tmp_path)}
    )
    assert result.exit_code == 0, result.output
    assert CONTENT["en"].topic("what-is").title in result.output
    assert "The call has ended." in result.output
