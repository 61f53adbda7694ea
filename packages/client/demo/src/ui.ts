/** Small DOM helpers and the pieces every screen shares: progress bars, error banners. */
import { ClientErrorCode, VisageClientError } from '../../src/transport/errors.ts';

type Child = Node | string | null | undefined | false;

/** `h('div.card', { onclick }, child, …)`: an element with classes, properties and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tagAndClasses: K | `${K}.${string}`,
  props: Partial<Record<string, unknown>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const [tag, ...classes] = tagAndClasses.split('.');
  const el = document.createElement(tag as K);
  if (classes.length) el.className = classes.join(' ');
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('data-') || key.startsWith('aria-') || key === 'for' || key === 'role') el.setAttribute(key, String(value));
    else (el as unknown as Record<string, unknown>)[key] = value;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** A labelled progress bar; `set(null)` shows an indeterminate (busy) bar. */
export class ProgressBar {
  readonly el: HTMLElement;
  readonly #fill: HTMLElement;
  readonly #detail: HTMLElement;

  constructor(label: string, id: string) {
    this.#fill = h('div.progress-fill');
    this.#detail = h('span.progress-detail', {}, 'waiting');
    this.el = h('div.progress', { 'data-progress': id },
      h('div.progress-head', {}, h('span.progress-label', {}, label), this.#detail),
      h('div.progress-track', {}, this.#fill));
  }

  /** `fraction` in [0, 1], or null while the amount of work is unknown. */
  set(fraction: number | null, detail: string): void {
    this.el.classList.toggle('indeterminate', fraction === null);
    this.el.classList.toggle('done', fraction === 1);
    this.el.classList.remove('failed');
    this.#fill.style.width = fraction === null ? '' : `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
    this.#detail.textContent = detail;
  }

  fail(detail: string): void {
    this.el.classList.remove('indeterminate');
    this.el.classList.add('failed');
    this.#detail.textContent = detail;
  }
}

/** Downloads `url` reporting byte progress (warms the cache before the tracker asks for it). */
export async function fetchWithProgress(url: string, onProgress: (loaded: number, total: number | null) => void): Promise<void> {
  const res = await fetch(url);
  if (!res.ok || !res.body) throw new VisageClientError(ClientErrorCode.Unreachable, `could not download ${url} (HTTP ${res.status})`);
  const total = Number(res.headers.get('content-length')) || null;
  const reader = res.body.getReader();
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.byteLength;
    onProgress(loaded, total);
  }
}

export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A sentence for the user, for any error the SDK or the browser throws. */
export function describeError(err: unknown): { title: string; detail: string } {
  if (err instanceof VisageClientError) {
    switch (err.code) {
      case ClientErrorCode.PermissionDenied:
        return { title: 'Camera or microphone blocked', detail: 'Visage needs your camera to follow your face. Allow access in the address bar, then try again.' };
      case ClientErrorCode.NoDevice:
        return { title: 'No camera found', detail: 'Connect a camera (or close other apps using it) and try again. You can still enroll with uploaded photos.' };
      case ClientErrorCode.Unreachable:
        return { title: 'Cannot reach the Visage server', detail: 'The call server did not answer. Check your connection or that the server is running, then retry.' };
      case ClientErrorCode.Unauthorized:
        return { title: 'Invitation refused', detail: 'The server refused this room’s join token. Ask for a new link.' };
      case ClientErrorCode.Timeout:
        return { title: 'The server is not answering', detail: err.message };
      case ClientErrorCode.Unsupported:
        return { title: 'This browser cannot run Visage', detail: err.message };
      case ClientErrorCode.Closed:
        return { title: 'Disconnected', detail: err.message };
      case ClientErrorCode.Rejected:
        return { title: 'The server said no', detail: err.message };
    }
  }
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return describeError(new VisageClientError(ClientErrorCode.PermissionDenied, ''));
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return describeError(new VisageClientError(ClientErrorCode.NoDevice, ''));
  if (name === 'EnrollmentError') return { title: 'That photo did not work', detail: (err as Error).message };
  return { title: 'Something went wrong', detail: err instanceof Error ? err.message : String(err) };
}

/** A stable code for an error (the SDK's, or the browser's camera errors mapped onto it). */
export function errorCode(err: unknown): string {
  if (err instanceof VisageClientError) return err.code;
  const name = (err as { name?: string })?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError') return ClientErrorCode.PermissionDenied;
  if (name === 'NotFoundError' || name === 'OverconstrainedError') return ClientErrorCode.NoDevice;
  return 'error';
}

/** A dismissible error banner. */
export function errorBanner(err: unknown, onRetry?: () => void): HTMLElement {
  const { title, detail } = describeError(err);
  const code = errorCode(err);
  const banner = h('div.banner.banner-error', { role: 'alert', 'data-error': code },
    h('div.banner-text', {}, h('strong', {}, title), h('span', {}, detail)),
    onRetry ? h('button.btn.btn-ghost', { type: 'button', onclick: onRetry }, 'Try again') : null,
    h('button.icon-btn', { type: 'button', title: 'Dismiss', 'aria-label': 'Dismiss', onclick: () => banner.remove() }, '×'));
  return banner;
}

/** Room names as the server accepts them. */
export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

export function randomRoomName(): string {
  const a = ['amber', 'brisk', 'calm', 'dusky', 'eager', 'fern', 'gold', 'hazel', 'indigo', 'jade', 'lunar', 'misty'];
  const b = ['otter', 'heron', 'lynx', 'maple', 'comet', 'harbor', 'meadow', 'falcon', 'willow', 'cedar', 'delta', 'pike'];
  const pick = (xs: string[]) => xs[Math.floor(Math.random() * xs.length)]!;
  return `${pick(a)}-${pick(b)}-${Math.floor(10 + Math.random() * 90)}`;
}
