"""Drills (issue 11, 5c and 5d): what the pipeline cannot do is refused up front.

``passthrough`` takes video input only and has no LoRA support (its schema says so). Before,
a text-mode request tore the stream down before it was refused (2–3 s dark), and a LoRA
write said the LoRA "is not loaded; add it to [scope] loras".
"""

from __future__ import annotations

from perform.registry import lora_param_name, lora_spec
from tests.scope_double import ScopeDouble
from tests.scope_double.fixture import scope_double  # noqa: F401  (pytest fixture)
from tests.stream.conftest import running_link, wait_until


async def test_text_mode_on_a_video_only_pipeline_is_refused_without_touching_the_stream(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    async with running_link(scope_double) as run:
        await run.streaming()
        session = await scope_double.wait_session()
        mark_states, mark_notices = len(run.statuses), len(run.notices)
        assert run.store.actions.invoke("scope.mode", "text", "osc")
        await wait_until(
            lambda: [n for n in run.notices[mark_notices:] if "refused" in n.message],
            "the refusal",
        )
        await wait_until(lambda: run.store.get("scope.input_mode") == "video", "mode restored")
        sent = session.frames_sent
        await scope_double.wait_for(lambda: session.frames_sent > sent + 30, "frames go on")
        assert not session.closed and len(scope_double.sessions) == 1
        assert run.link.streams == 1
        assert {s.state for s in run.statuses[mark_states:]} <= {"streaming"}
        refusal = next(n for n in run.notices[mark_notices:] if "refused" in n.message)
        assert "passthrough takes video input only" in refusal.message


async def test_lora_write_on_a_pipeline_without_lora_support_says_so(
    scope_double: ScopeDouble,  # noqa: F811
) -> None:
    async with running_link(
        scope_double, loras=[{"file": "arcane", "merge_mode": "runtime_peft"}]
    ) as run:
        await run.streaming()
        param = lora_param_name("arcane")
        if param not in run.store:
            run.store.register(lora_spec(param, default=1.0, doc="LoRA arcane."))
        mark = len(run.notices)
        run.store.apply(param, 0.4, "midi")
        found = await wait_until(
            lambda: [n.message for n in run.notices[mark:] if param in n.message],
            "a notice about the LoRA write",
        )
        assert "passthrough" in found[0] and "does not support LoRA" in found[0], found
        assert "add it to [scope] loras" not in found[0], found
