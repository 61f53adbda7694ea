/**
 * `<visage-avatar>`: shows a remote peer's avatar stream with a visible AVATAR badge,
 * the peer's name and mute state.
 *
 * ```ts
 * const el = document.createElement('visage-avatar');
 * el.peer = remotePeer;                 // name, impersonation, mute state follow the peer
 * // or: el.stream = mediaStream; el.setAttribute('name', 'Ada'); el.toggleAttribute('impersonation');
 * ```
 *
 * Attributes: `name`, `impersonation` (boolean: the face shown is not the sender's own),
 * `muted` (boolean, shown as "muted"; set by the element itself when `peer` is given),
 * `silent` (boolean: do not play the stream's audio here), and two the element sets itself when
 * `peer` is given (or the app sets): `reconnecting` (boolean: the peer's connection dropped and
 * it is rejoining) and `lost` ('no-face': its camera shows no face it may send; 'no-data': its
 * face motion has stopped arriving — a weak link or a device too busy to track), each shown as a
 * caption over the last frame, and `choppy` ('sender': its device tracks too few frames a second
 * for smooth motion; 'network': too many of its packets are lost on the way), shown as a caption
 * over the moving face.
 * Every synthetic stream is labelled: the badge cannot be switched off.
 */
import type { RemotePeer } from '../sdk/visage-client.ts';

export const VISAGE_AVATAR_TAG = 'visage-avatar';

/** How often the element re-reads the peer's mute, connection and face state (ms). */
const PEER_POLL_MS = 500;

const STYLE = `
:host { display: block; position: relative; aspect-ratio: 1 / 1; background: #151922; border-radius: 14px;
  overflow: hidden; color: #f2f4f8; font: 500 14px/1.3 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
video { width: 100%; height: 100%; object-fit: cover; display: block; background: #151922; }
.badge { position: absolute; top: 10px; right: 10px; padding: 3px 8px; border-radius: 6px; font-size: 11px;
  font-weight: 700; letter-spacing: .08em; background: rgba(94, 106, 255, .92); color: #fff; text-transform: uppercase; }
:host([impersonation]) .badge { background: rgba(214, 48, 49, .95); }
.footer { position: absolute; left: 0; right: 0; bottom: 0; display: flex; align-items: center; gap: 8px;
  padding: 22px 12px 10px; background: linear-gradient(transparent, rgba(0, 0, 0, .72)); }
.name { flex: 1; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; font-weight: 600; }
.mute { display: none; padding: 2px 7px; border-radius: 6px; background: rgba(214, 48, 49, .9); font-size: 11px; font-weight: 700; }
:host([muted]) .mute { display: inline-block; }
.status { display: none; position: absolute; top: 10px; left: 10px; right: 96px; width: max-content; max-width: calc(100% - 116px);
  padding: 3px 8px; border-radius: 6px; font-size: 12px; background: rgba(0, 0, 0, .65); color: #ffcf70; }
:host([reconnecting]) .status, :host([lost]) .status, :host([choppy]) .status { display: block; }
:host([reconnecting]) video, :host([lost="no-data"]) video { opacity: .55; }
`;

/** The caption for a peer whose face is not drawn live, or moves in steps (null: none). */
export function avatarStatusText(reconnecting: boolean, lost: string | null, choppy: string | null = null): string | null {
  if (reconnecting) return 'Reconnecting…';
  if (lost === 'no-data') return 'Motion delayed · weak connection or busy device';
  if (lost === 'no-face') return 'Face not visible';
  if (choppy === 'sender') return 'Choppy motion · their device is busy';
  if (choppy === 'network') return 'Choppy motion · weak connection';
  return null;
}

const Base = (globalThis.HTMLElement ?? class {}) as typeof HTMLElement;

export class VisageAvatarElement extends Base {
  static readonly observedAttributes = ['name', 'impersonation', 'reconnecting', 'lost', 'choppy'];

  readonly #video: HTMLVideoElement;
  readonly #badge: HTMLElement;
  readonly #name: HTMLElement;
  readonly #status: HTMLElement;
  #peer: RemotePeer | null = null;
  #stream: MediaStream | null = null;
  #poll: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#video = document.createElement('video');
    this.#video.autoplay = true;
    this.#video.playsInline = true;
    this.#badge = document.createElement('span');
    this.#badge.className = 'badge';
    this.#badge.setAttribute('part', 'badge');
    const footer = document.createElement('div');
    footer.className = 'footer';
    this.#name = document.createElement('span');
    this.#name.className = 'name';
    this.#name.setAttribute('part', 'name');
    const mute = document.createElement('span');
    mute.className = 'mute';
    mute.setAttribute('part', 'mute');
    mute.textContent = 'muted';
    footer.append(this.#name, mute);
    this.#status = document.createElement('span');
    this.#status.className = 'status';
    this.#status.setAttribute('part', 'status');
    this.#status.setAttribute('role', 'status');
    root.append(style, this.#video, this.#badge, this.#status, footer);
    this.#render();
  }

  /** The remote peer shown; sets the stream, name, impersonation and mute state. */
  get peer(): RemotePeer | null {
    return this.#peer;
  }
  set peer(peer: RemotePeer | null) {
    this.#peer = peer;
    if (peer) {
      this.setAttribute('name', peer.name || peer.id);
      this.toggleAttribute('impersonation', peer.impersonation);
      this.#readPeer(peer);
      this.stream = peer.stream;
    } else {
      this.stream = null;
    }
    this.#syncPolling();
  }

  /** The stream shown (avatar video, and audio unless `silent`). */
  get stream(): MediaStream | null {
    return this.#stream;
  }
  set stream(stream: MediaStream | null) {
    if (stream === this.#stream) return;
    this.#stream = stream;
    this.#video.srcObject = stream;
    this.#video.muted = this.hasAttribute('silent');
    if (stream) this.#play();
  }

  /** The text of the visible badge. */
  get badgeText(): string {
    return this.#badge.textContent ?? '';
  }

  connectedCallback(): void {
    this.#syncPolling();
    if (this.#stream) this.#play();
  }

  disconnectedCallback(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  attributeChangedCallback(): void {
    this.#render();
  }

  #render(): void {
    const impersonation = this.hasAttribute('impersonation');
    this.#badge.textContent = impersonation ? 'Avatar · not their face' : 'Avatar';
    this.#badge.title = impersonation
      ? 'Synthesised video of a face that is not this person’s own'
      : 'Synthesised video: rebuilt on this device from face motion, not camera video';
    this.#name.textContent = this.getAttribute('name') ?? '';
    this.#status.textContent = avatarStatusText(this.hasAttribute('reconnecting'), this.getAttribute('lost'), this.getAttribute('choppy')) ?? '';
  }

  #readPeer(peer: RemotePeer): void {
    this.toggleAttribute('muted', peer.audioMuted);
    this.toggleAttribute('reconnecting', !peer.connected);
    const lost = peer.avatar.lost;
    if (lost) {
      if (this.getAttribute('lost') !== lost) this.setAttribute('lost', lost);
    } else {
      this.removeAttribute('lost');
    }
    const choppy = peer.avatar.stats.motionLimit;
    if (choppy) {
      if (this.getAttribute('choppy') !== choppy) this.setAttribute('choppy', choppy);
    } else {
      this.removeAttribute('choppy');
    }
  }

  #play(): void {
    this.#video.play().catch(() => {
      // Autoplay with sound refused (no user gesture yet): play silently rather than not at all.
      this.#video.muted = true;
      void this.#video.play().catch(() => undefined);
    });
  }

  #syncPolling(): void {
    clearInterval(this.#poll);
    this.#poll = undefined;
    if (!this.#peer || !this.isConnected) return;
    this.#poll = setInterval(() => {
      if (this.#peer) this.#readPeer(this.#peer);
    }, PEER_POLL_MS);
  }
}

/** Registers `<visage-avatar>` (idempotent; a no-op outside browsers). */
export function defineVisageAvatar(tag = VISAGE_AVATAR_TAG): void {
  if (typeof customElements === 'undefined' || customElements.get(tag)) return;
  customElements.define(tag, VisageAvatarElement);
}

defineVisageAvatar();

declare global {
  interface HTMLElementTagNameMap {
    'visage-avatar': VisageAvatarElement;
  }
}
