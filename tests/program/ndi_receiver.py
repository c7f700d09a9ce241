"""A real NDI receiver in its own process, as a VJ's software is: finds a source by name
on loopback and saves the first RGBA frame it gets (optionally the first of a given
width) to a ``.npy`` file.

Run as ``python -m tests.program.ndi_receiver NAME OUT.npy [--width W] [--timeout S]``;
exits 0 with the frame saved, 1 if the source never appeared, 2 if no frame came.

Why a process of its own: an NDI receiver in the sender's own process sometimes connects
and then gets no frame at all for tens of seconds while the sender's every write succeeds
(measured here: 4 of 12 receivers in-process, the sink before and after the one-thread
change alike; 0 of 30 in a separate process with the same polling).
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy


def first_frame(name: str, timeout: float, width: int | None) -> tuple[int, numpy.ndarray | None]:
    from cyndilib.finder import Finder
    from cyndilib.receiver import ReceiveFrameType, Receiver
    from cyndilib.video_frame import VideoRecvFrame
    from cyndilib.wrapper.ndi_recv import RecvBandwidth, RecvColorFormat

    deadline = time.monotonic() + timeout
    finder = Finder()
    finder.open()
    receiver = Receiver(color_format=RecvColorFormat.RGBX_RGBA, bandwidth=RecvBandwidth.highest)
    video = VideoRecvFrame()
    receiver.set_video_frame(video)
    try:
        source = None
        while source is None:
            if time.monotonic() > deadline:
                return 1, None
            finder.wait_for_sources(0.2)
            for full in finder.get_source_names():
                if full.endswith(f"({name})"):
                    source = finder.get_source(full)
        receiver.set_source(source)
        while time.monotonic() < deadline:
            got = receiver.receive(ReceiveFrameType.recv_video, 50)
            if not got & ReceiveFrameType.recv_video:
                continue
            w, h = video.get_resolution()
            data = numpy.empty(video.get_data_size(), numpy.uint8)
            video.fill_p_data(data)
            picture = data.reshape(h, video.get_line_stride())[:, : w * 4].reshape(h, w, 4)
            if width is None or w == width:
                return 0, picture
        return 2, None
    finally:
        receiver.disconnect()
        finder.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("out")
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)
    code, picture = first_frame(args.name, args.timeout, args.width)
    if picture is not None:
        numpy.save(args.out, picture)
    else:
        what = "the source never appeared" if code == 1 else "no frame came"
        print(f"NDI '{args.name}': {what} in {args.timeout:.0f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
