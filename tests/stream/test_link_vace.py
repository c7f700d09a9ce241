"""The Scope link's live VACE path: a performer (or OSC) changes ``scope.vace_images``."""

from __future__ import annotations

from pathlib import Path

from tests.scope_double import ScopeDouble
from tests.scope_double.assets import ASSETS_DIR
from tests.stream.conftest import running_link, wait_until

IMAGES = Path(__file__).resolve().parents[2] / "setlists" / "vace"
GLOW, CORAL = str(IMAGES / "glow.png"), str(IMAGES / "coral.png")


def titles(running) -> list[str]:
    return [n.title for n in running.notices]


async def test_live_images_upload_send_clear_and_survive_a_failed_upload(
    scope_double: ScopeDouble,
):
    async with running_link(scope_double, pipeline="longlive", vace_enabled=True) as run:
        await run.streaming()
        scope = scope_double.session
        assert scope is not None
        scope_double.faults[("POST", "/api/v1/assets")] = (500, "No space left on device")
        run.store.apply("scope.vace_images", GLOW, "tui")
        await wait_until(lambda: "VACE upload failed" in titles(run), "the upload failure")
        failure = next(n for n in run.notices if n.title == "VACE upload failed")
        assert "No space left on device" in failure.message
        assert "the stream goes on without them" in failure.message
        assert scope.processor.ref_images == [] and run.link.status.state == "streaming"

        del scope_double.faults[("POST", "/api/v1/assets")]
        run.store.apply("scope.vace_images", f"{CORAL}\n{GLOW}", "osc")
        await wait_until(lambda: scope.processor.ref_images, "reference images at Scope")
        (sent,) = scope.processor.ref_images
        assert len(sent) == 2 and all(p.startswith(f"{ASSETS_DIR}/perform/") for p in sent)
        assert len(scope_double.files.uploads) == 2

        run.store.apply("scope.vace_images", "", "tui")  # [] clears
        await wait_until(lambda: len(scope.processor.ref_images) == 2, "the clearing message")
        assert scope.processor.ref_images[-1] == []
        assert len(scope_double.files.uploads) == 2


async def test_live_images_on_a_pipeline_without_vace_are_refused(scope_double: ScopeDouble):
    async with running_link(scope_double) as run:  # passthrough: supports_vace = false
        await run.streaming()
        run.store.apply("scope.vace_images", GLOW, "tui")
        await wait_until(lambda: "VACE refused" in titles(run), "the refusal")
        refusal = next(n for n in run.notices if n.title == "VACE refused")
        assert "passthrough has no VACE support" in refusal.message
        assert scope_double.files.uploads == []
        assert all(s.processor.ref_images == [] for s in scope_double.sessions)


async def test_a_pipeline_loaded_without_vace_is_refused_by_name(scope_double: ScopeDouble):
    async with running_link(scope_double, pipeline="longlive") as run:  # vace_enabled = false
        await run.streaming()
        run.store.apply("scope.vace_images", GLOW, "tui")
        await wait_until(lambda: "VACE refused" in titles(run), "the refusal")
        refusal = next(n for n in run.notices if n.title == "VACE refused")
        assert "loaded without VACE (vace_enabled = false)" in refusal.message
        assert scope_double.files.uploads == []
