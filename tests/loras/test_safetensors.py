"""``perform.loras.safetensors``: each verdict on real files written by the test."""

from __future__ import annotations

import struct

from perform.loras.safetensors import check_file
from tests.loras.files import WAN_1_3B, WAN_14B, safetensors_bytes, wan_lora, write_lora


def test_a_1_3b_and_a_14b_lora_are_told_apart_by_their_hidden_size(tmp_path):
    small = check_file(write_lora(tmp_path / "small.safetensors", WAN_1_3B))
    big = check_file(write_lora(tmp_path / "big.safetensors", WAN_14B))
    assert small.ok and small.base == "Wan2.1 1.3B" and small.tensors == 8
    assert big.ok and big.base == "Wan2.1 14B" and big.hidden_sizes == (WAN_14B,)


def test_a_1_3b_lora_for_a_14b_pipeline_is_refused_by_name(tmp_path):
    path = write_lora(tmp_path / "anime_1_3b.safetensors", WAN_1_3B)
    refused = check_file(path, pipeline="krea-realtime-video")
    assert not refused.ok
    (problem,) = refused.problems
    assert "a Wan2.1 1.3B LoRA (hidden size 1536) cannot load into krea-realtime-video" in problem
    assert "which is Wan2.1 14B" in problem and "anime_1_3b.safetensors" in problem
    assert check_file(path, pipeline="longlive").ok
    assert not check_file(write_lora(tmp_path / "k.safetensors", WAN_14B), "longlive").ok
    assert check_file(path, pipeline="some-plugin").ok  # unknown base: not refused


def test_a_truncated_copy_is_caught_wherever_it_was_cut(tmp_path):
    whole = write_lora(tmp_path / "whole.safetensors", WAN_14B).read_bytes()
    for keep, says in (
        (len(whole) - 1, "the header describes"),
        (len(whole) // 2, "the header describes"),
        (40, "the header alone needs"),
        (5, "not even the 8-byte header length"),
    ):
        cut = tmp_path / f"cut{keep}.safetensors"
        cut.write_bytes(whole[:keep])
        result = check_file(cut)
        assert not result.ok, keep
        assert "truncated" in result.problems[0] and says in result.problems[0], result.problems


def test_a_corrupted_header_is_named(tmp_path):
    good = safetensors_bytes(wan_lora(WAN_1_3B))
    (length,) = struct.unpack("<Q", good[:8])
    broken = bytearray(good)
    broken[8:12] = b"\x00\xff{["  # a transfer that garbled the JSON
    bad_json = tmp_path / "bad_json.safetensors"
    bad_json.write_bytes(bytes(broken))
    result = check_file(bad_json)
    assert not result.ok
    assert "corrupted header: not valid JSON" in result.problems[0]
    assert "Error while deserializing header" in result.problems[0]

    huge = tmp_path / "huge.safetensors"
    huge.write_bytes(struct.pack("<Q", 1 << 40) + good[8:])
    assert "more than 100 MB" in check_file(huge).problems[0]

    header = good[8 : 8 + length].replace(b'"data_offsets": [0, ', b'"data_offsets": [2, ', 1)
    shifted = tmp_path / "shifted.safetensors"
    shifted.write_bytes(good[:8] + header + good[8 + length :])
    assert "needs 3072 bytes but its offsets span 3070" in check_file(shifted).problems[0]

    not_lora = tmp_path / "notes.txt"
    not_lora.write_text("hello")
    assert "not a .safetensors file" in check_file(not_lora).problems[0]
