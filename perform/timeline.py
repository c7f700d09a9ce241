"""``perform run SHOW --dry-run``: the show as a timeline at its tempo, without running it."""

from __future__ import annotations

from perform.setlist import Setlist, seconds


def clock_text(t: float) -> str:
    minutes, secs = divmod(t, 60.0)
    return f"{int(minutes)}:{secs:04.1f}"


def timeline(setlist: Setlist, bpm: float | None = None) -> list[str]:
    """One line per scene with its absolute start time (manual GOs shown as such).

    Times after a manual GO are counted from that GO (``GO+0:12.0``), since nobody can
    know when the performer will press it.
    """
    show = setlist.show
    bpm = bpm or show.bpm
    bpb = show.beats_per_bar
    lines = [
        f"{show.name}: {len(setlist.scenes)} scenes at {bpm:g} bpm {show.time_signature}, "
        f"{show.run_order}, GO quantize {show.quantize}"
    ]
    t = 0.0
    anchor = ""
    for index, scene in enumerate(setlist.scenes):
        transition = setlist.transition(scene)
        trans_s = seconds(transition, bpm, bpb)
        hold = setlist.hold(scene)
        mode = setlist.continue_mode(scene)
        if hold == "manual":
            hold_text = "hold until GO"
        else:
            hold_s = seconds(hold, bpm, bpb)
            hold_text = f"hold {hold.describe()}" + (
                f" = {hold_s:.1f} s" if hold.unit != "seconds" else ""
            )
        quantize = setlist.quantize(scene)
        parts = [
            f"{anchor}{clock_text(t):>7}",
            f"{index + 1:>2} {scene.name}",
            f"[{scene.preset}]" if scene.preset else "",
            f"in {transition.describe()} {transition.curve}"
            + (f" = {trans_s:.1f} s" if transition.unit != "seconds" else ""),
            hold_text,
            mode,
            f"GO on {quantize}" if quantize != "none" else "",
        ]
        lines.append("  " + "  ".join(p for p in parts if p))
        if mode == "manual":
            anchor, t = "GO+", 0.0
        elif mode == "auto-continue" and scene.post_wait is not None:
            t += seconds(scene.post_wait, bpm, bpb)
        else:
            t += trans_s + (0.0 if hold == "manual" else seconds(hold, bpm, bpb))
    last = setlist.scenes[-1]
    if show.run_order == "loop":
        lines.append(f"  {anchor}{clock_text(t):>7}  loops back to 1 {setlist.scenes[0].name}")
    elif setlist.continue_mode(last) != "manual":
        lines.append(f"  {anchor}{clock_text(t):>7}  end of show")
    else:
        lines.append("  the show ends after the last scene (GO or Ctrl-C to stop)")
    return lines
