/**
 * WebGL2 backend: one program, one texture, one draw into an offscreen framebuffer (RGBA8 +
 * 24-bit depth), read back with readPixels. Same conventions as the CPU rasteriser: positions
 * given as (x, y, depth, w) are emitted as clip (x'·w, y'·w, z'·w, w) so the hardware's
 * perspective-correct interpolation uses w; LINEAR filtering and CLAMP_TO_EDGE.
 */
import { VisageError } from '@visage/protocol';
import type { DrawMesh, RasterBackend } from './types.ts';
import type { RgbaImage } from '../image.ts';

const VS = `#version 300 es
layout(location = 0) in vec4 a_pos;
layout(location = 1) in vec2 a_uv;
out vec2 v_uv;
void main() {
  float w = a_pos.w;
  // Row 0 of the framebuffer (readPixels) is the top row of the frame: y = 0 maps to NDC -1.
  gl_Position = vec4((a_pos.x * 2.0 - 1.0) * w, (a_pos.y * 2.0 - 1.0) * w, (a_pos.z * 2.0 - 1.0) * w, w);
  v_uv = a_uv;
}`;
const FS = `#version 300 es
precision highp float;
in vec2 v_uv;
uniform sampler2D u_tex;
out vec4 o_color;
void main() { o_color = vec4(texture(u_tex, v_uv).rgb, 1.0); }`;

export interface WebGlBackendOptions {
  /** Use this context (its canvas is resized as needed); default: a new OffscreenCanvas/canvas. */
  gl?: WebGL2RenderingContext;
}

export function createWebGlBackend(options: WebGlBackendOptions = {}): WebGlBackend | null {
  let gl = options.gl ?? null;
  if (!gl) {
    const canvas: OffscreenCanvas | HTMLCanvasElement | null = typeof OffscreenCanvas !== 'undefined'
      ? new OffscreenCanvas(1, 1)
      : typeof document !== 'undefined' ? document.createElement('canvas') : null;
    if (!canvas) return null;
    gl = canvas.getContext('webgl2', { antialias: false, depth: false, premultipliedAlpha: false, preserveDrawingBuffer: false }) as WebGL2RenderingContext | null;
  }
  return gl ? new WebGlBackend(gl, !options.gl) : null;
}

export class WebGlBackend implements RasterBackend {
  readonly kind = 'webgl' as const;
  private program: WebGLProgram | null;
  private readonly vao: WebGLVertexArrayObject | null;
  private readonly posBuf: WebGLBuffer | null;
  private readonly uvBuf: WebGLBuffer | null;
  private readonly idxBuf: WebGLBuffer | null;
  private texture: WebGLTexture | null = null;
  private fbo: WebGLFramebuffer | null = null;
  private color: WebGLTexture | null = null;
  private depth: WebGLRenderbuffer | null = null;
  private size = [0, 0];
  private indexCount = -1;
  private uploadedIndices: Uint32Array | null = null;
  private disposed = false;

  constructor(private readonly gl: WebGL2RenderingContext, private readonly ownsContext: boolean) {
    const vs = compile(gl, gl.VERTEX_SHADER, VS), fs = compile(gl, gl.FRAGMENT_SHADER, FS);
    const p = gl.createProgram();
    gl.attachShader(p, vs); gl.attachShader(p, fs); gl.linkProgram(p);
    gl.deleteShader(vs); gl.deleteShader(fs);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error(`WebGL link failed: ${gl.getProgramInfoLog(p)}`);
    this.program = p;
    this.vao = gl.createVertexArray();
    gl.bindVertexArray(this.vao);
    this.posBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.enableVertexAttribArray(0); gl.vertexAttribPointer(0, 4, gl.FLOAT, false, 0, 0);
    this.uvBuf = gl.createBuffer();
    gl.bindBuffer(gl.ARRAY_BUFFER, this.uvBuf);
    gl.enableVertexAttribArray(1); gl.vertexAttribPointer(1, 2, gl.FLOAT, false, 0, 0);
    this.idxBuf = gl.createBuffer();
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.idxBuf);
    gl.bindVertexArray(null);
  }

  setTexture(image: RgbaImage): void {
    this.check();
    const gl = this.gl;
    if (!this.texture) this.texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA8, image.width, image.height, 0, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength));
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.LINEAR);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  }

  private ensureTarget(width: number, height: number): void {
    const gl = this.gl;
    if (this.size[0] === width && this.size[1] === height && this.fbo) return;
    if (this.fbo) gl.deleteFramebuffer(this.fbo);
    if (this.color) gl.deleteTexture(this.color);
    if (this.depth) gl.deleteRenderbuffer(this.depth);
    this.color = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, this.color);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, width, height);
    this.depth = gl.createRenderbuffer();
    gl.bindRenderbuffer(gl.RENDERBUFFER, this.depth);
    gl.renderbufferStorage(gl.RENDERBUFFER, gl.DEPTH_COMPONENT24, width, height);
    this.fbo = gl.createFramebuffer();
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.fbo);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, this.color, 0);
    gl.framebufferRenderbuffer(gl.FRAMEBUFFER, gl.DEPTH_ATTACHMENT, gl.RENDERBUFFER, this.depth);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) throw new Error('WebGL framebuffer incomplete');
    this.size = [width, height];
  }

  async draw(mesh: DrawMesh, width: number, height: number, out: Uint8ClampedArray | Uint8Array): Promise<void> {
    this.check();
    if (!this.texture) throw VisageError.invalidState('no texture');
    if (out.length !== width * height * 4) throw new TypeError(`output buffer has ${out.length} bytes, expected ${width * height * 4}`);
    const gl = this.gl;
    this.ensureTarget(width, height);
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.fbo);
    gl.viewport(0, 0, width, height);
    gl.clearColor(0, 0, 0, 1);
    gl.clearDepth(1);
    gl.clear(gl.COLOR_BUFFER_BIT | gl.DEPTH_BUFFER_BIT);
    gl.enable(gl.DEPTH_TEST);
    gl.depthFunc(gl.LESS);
    gl.disable(gl.CULL_FACE);
    gl.disable(gl.BLEND);
    gl.useProgram(this.program);
    gl.bindVertexArray(this.vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, mesh.positions, gl.DYNAMIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.uvBuf);
    gl.bufferData(gl.ARRAY_BUFFER, mesh.uvs, gl.DYNAMIC_DRAW);
    if (this.uploadedIndices !== mesh.indices) {
      gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.idxBuf);
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, mesh.indices, gl.STATIC_DRAW);
      this.uploadedIndices = mesh.indices;
      this.indexCount = mesh.indices.length;
    }
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.texture);
    gl.uniform1i(gl.getUniformLocation(this.program!, 'u_tex'), 0);
    gl.drawElements(gl.TRIANGLES, this.indexCount, gl.UNSIGNED_INT, 0);
    gl.bindVertexArray(null);
    const dst = out instanceof Uint8Array ? out : new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, dst);
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const gl = this.gl;
    gl.deleteBuffer(this.posBuf); gl.deleteBuffer(this.uvBuf); gl.deleteBuffer(this.idxBuf);
    gl.deleteVertexArray(this.vao);
    gl.deleteTexture(this.texture); gl.deleteTexture(this.color);
    gl.deleteRenderbuffer(this.depth); gl.deleteFramebuffer(this.fbo);
    gl.deleteProgram(this.program);
    this.texture = this.color = null; this.depth = null; this.fbo = null; this.program = null;
    if (this.ownsContext) gl.getExtension('WEBGL_lose_context')?.loseContext();
  }

  private check(): void {
    if (this.disposed) throw VisageError.invalidState('backend disposed');
  }
}

function compile(gl: WebGL2RenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type);
  if (!s) throw new Error('WebGL createShader failed');
  gl.shaderSource(s, src); gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error(`WebGL shader: ${gl.getShaderInfoLog(s)}`);
  return s;
}
