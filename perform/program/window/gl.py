"""Draw an I420 frame letterboxed into the current OpenGL framebuffer.

The Y, U and V planes go up as three single-channel textures and a fragment shader turns
them into RGB (BT.601 limited range, the same arithmetic as
:meth:`perform.program.frame.ProgramFrame.to_rgb`), so the CPU only copies 1.5 bytes a pixel
of the *source* size and the GPU does the scaling to the screen. Independent of the window
library: whatever made the context current, :func:`moderngl.create_context` attaches to it.
"""

from __future__ import annotations

from typing import Any

import numpy

VERTEX = """
#version 330
in vec2 in_pos;
out vec2 uv;
void main() {
    // Texture row 0 is the picture's top row; GL's y axis points up.
    uv = vec2((in_pos.x + 1.0) * 0.5, (1.0 - in_pos.y) * 0.5);
    gl_Position = vec4(in_pos, 0.0, 1.0);
}
"""

FRAGMENT = """
#version 330
uniform sampler2D tex_y;
uniform sampler2D tex_u;
uniform sampler2D tex_v;
in vec2 uv;
out vec4 colour;
void main() {
    float y = (texture(tex_y, uv).r * 255.0 - 16.0) * (255.0 / 219.0);
    float u = (texture(tex_u, uv).r * 255.0 - 128.0) * (255.0 / 224.0);
    float v = (texture(tex_v, uv).r * 255.0 - 128.0) * (255.0 / 224.0);
    vec3 rgb = vec3(y + 1.402 * v, y - 0.344136 * u - 0.714136 * v, y + 1.772 * u);
    colour = vec4(clamp(rgb / 255.0, 0.0, 1.0), 1.0);
}
"""


def letterbox(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` of the largest rectangle of the source's aspect centred in the
    destination (x, y from the bottom-left, as ``glViewport`` takes them)."""
    if src_w <= 0 or src_h <= 0 or dst_w <= 0 or dst_h <= 0:
        return (0, 0, max(dst_w, 0), max(dst_h, 0))
    scale = min(dst_w / src_w, dst_h / src_h)
    w = max(1, round(src_w * scale))
    h = max(1, round(src_h * scale))
    return ((dst_w - w) // 2, (dst_h - h) // 2, w, h)


class I420Renderer:
    """Textures, shader and quad for one GL context."""

    def __init__(self, ctx: Any) -> None:
        import moderngl

        self._moderngl = moderngl
        self.ctx = ctx
        self.program = ctx.program(vertex_shader=VERTEX, fragment_shader=FRAGMENT)
        self.program["tex_y"].value = 0
        self.program["tex_u"].value = 1
        self.program["tex_v"].value = 2
        quad = numpy.array([-1, -1, 1, -1, -1, 1, 1, 1], dtype="f4")
        self.vbo = ctx.buffer(quad.tobytes())
        self.vao = ctx.vertex_array(self.program, [(self.vbo, "2f", "in_pos")])
        self.size = (0, 0)
        self.textures: list[Any] = []

    def _ensure(self, width: int, height: int) -> None:
        if self.size == (width, height):
            return
        for tex in self.textures:
            tex.release()
        sizes = [(width, height), (width // 2, height // 2), (width // 2, height // 2)]
        self.textures = []
        for size in sizes:
            tex = self.ctx.texture(size, 1, dtype="f1", alignment=1)
            tex.filter = (self._moderngl.LINEAR, self._moderngl.LINEAR)
            tex.repeat_x = False
            tex.repeat_y = False
            self.textures.append(tex)
        self.size = (width, height)

    def upload(self, yuv: numpy.ndarray) -> None:
        """Put one I420 frame (``(h * 3 // 2, w)`` uint8) into the textures."""
        height = yuv.shape[0] * 2 // 3
        width = yuv.shape[1]
        self._ensure(width, height)
        flat = numpy.ascontiguousarray(yuv).reshape(-1)
        n = width * height
        q = (width // 2) * (height // 2)
        self.textures[0].write(flat[:n])
        self.textures[1].write(flat[n : n + q])
        self.textures[2].write(flat[n + q : n + 2 * q])

    def draw(self, fb_w: int, fb_h: int) -> None:
        """Clear to black and draw the uploaded frame letterboxed into ``fb_w x fb_h``."""
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        self.ctx.clear(0.0, 0.0, 0.0, 1.0)
        if not self.textures:
            return
        self.ctx.viewport = letterbox(self.size[0], self.size[1], fb_w, fb_h)
        for unit, tex in enumerate(self.textures):
            tex.use(location=unit)
        self.vao.render(self._moderngl.TRIANGLE_STRIP)

    def read(self, fb_w: int, fb_h: int) -> numpy.ndarray:
        """The framebuffer as ``(fb_h, fb_w, 3)`` uint8 RGB, top row first."""
        self.ctx.viewport = (0, 0, fb_w, fb_h)
        raw = self.ctx.screen.read(viewport=(0, 0, fb_w, fb_h), components=3, alignment=1)
        return numpy.frombuffer(raw, numpy.uint8).reshape(fb_h, fb_w, 3)[::-1].copy()
