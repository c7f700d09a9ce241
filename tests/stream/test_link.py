"""Full sessions against the Scope test double: real aiortc both ways, real engine frames."""

from __future__ import annotations

import asyncio

import av
import pytest

from perform.events import SCOPE_LOAD, TEMPO_STATE, PipelineRequest, TempoState
from perform.registry import lora_param_name
from tests.scope_double import ScopeDouble
from tests.stream.conftest import running_link, wait_until

PASSTHROUGH = ["passthrough"]


async def test_full_session_frames_both_ways_and_merged_updates(scope_double):
    async with running_link(
        scope_double, latency_stamp=True, output_sinks={"ndi": {"name": "organism"}}
    ) as run:
        await run.streaming()
        session = await scope_double.wait_session()
        assert session.control["output_sinks"] == {"ndi": {"enabled": True, "name": "organism"}}
        assert session.pipeline_ids == PASSTHROUGH  # never the silent no-frames session
        assert session.worker_started and session.channel_label == "parameters"
        assert session.parameters["input_mode"] == "video"
        assert session.parameters["denoising_step_list"] == [1000, 750]
        await scope_double.wait_for(lambda: session.frames_received > 30, "organism frames")
        await wait_until(lambda: run.link.output.peek() is not None, "a frame for the preview")
        assert run.link.output.peek().rgb.shape == (128, 128, 3)
        run.store.apply_many({"scope.noise_scale": 0.25, "prompt.a": "a reef"}, "midi")
        await scope_double.wait_for(
            lambda: (
                session.parameters.get("noise_scale") == 0.25
                and session.parameters["prompts"] == [{"text": "a reef", "weight": 1.0}]
            ),
            "the update merged",
        )
        await wait_until(
            lambda: run.link.status.fps_out > 5 and run.link.status.fps_in > 5, "figures"
        )
        status = run.link.status
        assert status.version == "0.2.4" and status.pipeline == "passthrough"
        assert status.latency_ms is not None and 0 < status.latency_ms < 5000
        assert session.cache_resets == 0
    assert run.states()[:2] == ["checking", "loading"] and "streaming" in run.states()


async def test_fader_sweep_of_200_steps_ends_on_the_final_value(scope_double):
    async with running_link(scope_double) as run:
        await run.streaming()
        session = await scope_double.wait_session()
        for i in range(1, 201):
            run.store.apply("scope.noise_scale", i / 200, "midi")
            await asyncio.sleep(0.01)
        await scope_double.wait_for(
            lambda: session.parameters.get("noise_scale") == 1.0, "the final value"
        )
        assert session.updates_dropped == 0
        assert session.messages < 100  # coalesced: at most one per chunk
        assert session.cache_resets == 0


async def test_prompt_crossfade_transitions_without_cuts(scope_double):
    async with running_link(scope_double) as run:
        run.store.apply_many({"prompt.a": "fire", "prompt.b": "ice", "prompt.mix": 0.0}, "setlist")
        await run.streaming()
        session = await scope_double.wait_session()
        for i in range(1, 41):
            run.store.apply("prompt.mix", i / 40, "midi")
            await asyncio.sleep(0.025)
        run.store.apply_many({"prompt.a": "a storm over the sea", "prompt.mix": 0.0}, "setlist")
        await scope_double.wait_for(
            lambda: session.processor.prompts == (("a storm over the sea", 1.0),), "the new prompt"
        )
        assert session.processor.transitions >= 2
        assert session.cache_resets == 0, session.cut_reasons
        assert session.updates_dropped == 0


async def test_lora_ride_is_rate_limited_and_permanent_merge_is_refused(scope_double):
    double = ScopeDouble(frames_per_chunk=4)
    await double.start()
    try:
        async with running_link(
            double,
            pipeline="longlive",
            loras=[
                {"file": "arcane", "scale": 0.8},
                {"file": "pixel_art", "scale": 0.5, "merge_mode": "permanent_merge"},
            ],
        ) as run:
            await run.streaming()
            session = await double.wait_session()
            arcane, pixel = lora_param_name("arcane"), lora_param_name("pixel_art")
            assert run.store.get(arcane) == 0.8  # registered from what Scope reports
            t0 = asyncio.get_running_loop().time()
            while (now := asyncio.get_running_loop().time()) - t0 < 5.0:
                run.store.apply(arcane, 0.8 + 0.4 * (now - t0) / 5.0, "midi")
                await asyncio.sleep(0.02)
            final = run.store.get(arcane)
            path = double.lora_files[0]["path"]
            await double.wait_for(
                lambda: abs(double.loader.adapter(path)["scale"] - final) < 1e-4,
                "the final LoRA scale",
            )
            assert 5 <= session.cache_resets <= 11, session.cut_reasons
            assert set(session.cut_reasons) == {"lora_scales"}
            run.store.apply(pixel, 1.5, "midi")
            refusals = await wait_until(
                lambda: [n for n in run.notices if n.title == "Scope refused"], "a refusal"
            )
            assert "permanent_merge" in refusals[0].message and len(refusals) == 1
            assert run.store.get(pixel) == 0.5  # snapped back to what Scope really uses
            assert any("pixel_art" in w for w in run.link.status.warnings)
            assert set(session.cut_reasons) == {"lora_scales"}
            assert double.loader.adapter(double.lora_files[1]["path"])["scale"] == 0.5
    finally:
        await double.stop()


async def test_killed_and_restarted_server_gets_the_whole_state_again(scope_double):
    async with running_link(scope_double) as run:
        await run.streaming()
        first = await scope_double.wait_session()
        run.store.apply_many({"prompt.a": "moss", "scope.noise_scale": 0.33}, "tui")
        await scope_double.wait_for(lambda: first.parameters.get("noise_scale") == 0.33, "noise")
        await scope_double.kill()
        await wait_until(lambda: run.link.status.state in ("stalled", "offline"), "noticed")
        await scope_double.restart()
        second = await scope_double.wait_session(after=1)
        await wait_until(lambda: run.link.status.state == "streaming", "back")
        assert second.parameters["prompts"] == [{"text": "moss", "weight": 1.0}]
        assert second.parameters["noise_scale"] == 0.33
        assert run.link.reconnects >= 1
        assert scope_double.loader.loads_started == 1  # reloaded after the restart


async def test_silent_server_trips_the_watchdog_and_recovers(scope_double):
    async with running_link(scope_double, watchdog_seconds=1.5) as run:
        await run.streaming()
        first = await scope_double.wait_session()
        loads = scope_double.loader.loads_started
        scope_double.go_silent()
        scope_double.loader.unload()  # the crash took the pipeline with it
        await wait_until(lambda: "stalled" in run.states(), "the watchdog")
        assert any("No frames from Scope" in n.message for n in run.notices)
        second = await scope_double.wait_session(after=1)
        await scope_double.wait_for(lambda: second.frames_sent > 10, "frames again")
        await run.streaming()
        assert first.closed
        assert scope_double.loader.loads_started == loads + 1  # its status said: reload


async def test_load_error_is_a_clear_message_then_a_retry_loads(scope_double):
    scope_double.loader.fail_next = "CUDA out of memory"
    async with running_link(scope_double, pipeline="longlive") as run:
        await wait_until(lambda: run.link.status.state == "error", "the load error")
        assert "failed to load; its log has the reason" in run.link.status.message
        assert run.notices and run.notices[0].title == "Scope load failed"
        await run.streaming()  # the retry loads it
        assert scope_double.loader.loads_started == 2


async def test_a_setlist_pipeline_request_reloads_and_re_offers(scope_double):
    async with running_link(scope_double) as run:
        await run.streaming()
        first = await scope_double.wait_session()
        run.session.events.publish(
            SCOPE_LOAD, PipelineRequest(("streamdiffusionv2",), {"vace_enabled": False})
        )
        second = await scope_double.wait_session(after=1)
        assert second.pipeline_ids == ["streamdiffusionv2"]
        inst = scope_double.loader.loaded("streamdiffusionv2")
        assert inst.load_params == {"vace_enabled": False, "height": 128, "width": 128}
        await scope_double.wait_for(lambda: second.frames_sent > 4, "frames")
        assert first.closed


async def test_unknown_pipeline_and_http_errors_are_messages(scope_double):
    async with running_link(scope_double, pipeline="longliv") as run:
        await wait_until(lambda: run.link.status.state == "error", "the error")
        assert "no pipeline 'longliv' (did you mean 'longlive'?)" in run.link.status.message
    scope_double.faults[("POST", "/api/v1/webrtc/offer")] = (500, "SDP negotiation failed")
    async with running_link(scope_double) as run:
        await wait_until(lambda: "internal error" in run.link.status.message, "the 500")
        assert "SDP negotiation failed" in run.link.status.message
        scope_double.faults.clear()
        await run.streaming()


async def test_text_mode_switch_re_offers_with_the_state(scope_double):
    scope_double.preload("streamdiffusionv2", height=128, width=128, vace_enabled=False)
    async with running_link(scope_double, pipeline="streamdiffusionv2") as run:
        run.store.apply("prompt.a", "glass", "tui")
        await run.streaming()
        first = await scope_double.wait_session()
        assert run.store.actions.invoke("scope.mode", "text", "midi")
        second = await scope_double.wait_session(after=1)
        assert second.input_mode == "text" and "noise_scale" not in second.parameters
        assert second.parameters["prompts"] == [{"text": "glass", "weight": 1.0}]
        await scope_double.wait_for(lambda: second.frames_sent > 4, "text-mode frames")
        assert first.closed
        assert run.store.actions.invoke("scope.mode", None, "midi")  # toggle back
        third = await scope_double.wait_session(after=2)
        assert third.input_mode == "video"
        await scope_double.wait_for(lambda: third.frames_received > 4, "video again")


# A text-mode request on a video-only pipeline: tests/drills/test_scope_refusals.py (refused
# without a restart).


async def test_cut_pause_and_tempo_forwarding(scope_double):
    scope_double.tempo_bpm = 120.0
    async with running_link(scope_double, tempo_sync=True, quantize="beat") as run:
        await run.streaming()
        session = await scope_double.wait_session()
        await scope_double.wait_for(lambda: session.control.get("quantize_mode") == "beat", "mode")
        run.session.events.publish(TEMPO_STATE, TempoState(120.0, 8.25, 4, True, "tap"))
        await scope_double.wait_for(lambda: session.control.get("bpm") == 120.0, "beats")
        assert run.store.actions.invoke("scope.cut", None, "midi")
        await scope_double.wait_for(lambda: session.cache_resets == 1, "the cut on the beat")
        assert session.cut_reasons == ["reset_cache"]
        assert any(m.get("type") == "change_applied" for m in session.sent_to_client)
        assert run.store.actions.invoke("scope.pause", None, "midi")
        await wait_until(lambda: run.link.receiver.held, "pause held on our side")
        assert not session.paused  # never sent: Scope 0.2.4's output would die


async def test_ice_uses_the_server_list_when_asked_and_still_connects_fast(scope_double):
    async with running_link(scope_double, ice="server") as run:
        t0 = asyncio.get_running_loop().time()
        await run.streaming()
        assert asyncio.get_running_loop().time() - t0 < 30


async def test_record_writes_the_program_with_scope_on_it_to_mp4(scope_double, tmp_path):
    from engines import numpy_backend
    from perform.program.component import ProgramComponent
    from perform.session import Session
    from perform.stream.link import ScopeLink
    from tests.stream.conftest import Running, stream_config

    out = tmp_path / "show.mp4"
    config = stream_config(scope_double.url)
    session = Session(config, backend=numpy_backend())
    link = ScopeLink(config)
    session.add(link)
    program = ProgramComponent(record=str(out))  # --record records the program
    session.add(program)
    run = Running(session, link)
    await session.start()
    try:
        await run.streaming()
        recorder = program.recorder
        assert recorder is not None
        await wait_until(lambda: program.bus.latest.source == "scope", "Scope on air")
        frames = recorder.frames
        await wait_until(lambda: recorder.frames > frames + 20, "recorded frames")
    finally:
        await session.stop()
    with av.open(str(out)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded >= 20


@pytest.fixture(autouse=True)
def _quiet_aioice(caplog):
    caplog.set_level("WARNING", logger="aioice")
