/**
 * Room: join through the SFU with the SDK, show every participant as a `<visage-avatar>`,
 * a stats overlay (kbit/s, render fps, end-to-end latency) and readable errors.
 */
import { createVisageClient, type ClientStats, type RemotePeer, type VisageClient } from '../../src/sdk/visage-client.ts';
import { ClientErrorCode, VisageClientError } from '../../src/transport/errors.ts';
import type { VisageAvatarElement } from '../../src/element/visage-avatar.ts';
import { trackingBehind } from '../../src/sender/landmark-publisher.ts';
import { go, refinerOption, roomLink, type AppState } from './main.ts';
import { ProgressBar, errorBanner, h } from './ui.ts';

/** A join token from the SFU's development endpoint (a real app gets it from its backend). */
async function fetchToken(room: string, name: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(`/api/dev-token?room=${encodeURIComponent(room)}&name=${encodeURIComponent(name)}`);
  } catch (err) {
    throw VisageClientError.unreachable(location.origin, (err as Error).message);
  }
  if (res.status === 401 || res.status === 403 || res.status === 404) {
    throw VisageClientError.unauthorized(res.status === 404 ? 'this server hands out no demo tokens: start it with --dev' : `HTTP ${res.status}`);
  }
  if (!res.ok) throw VisageClientError.unreachable(location.origin, `HTTP ${res.status}`);
  const body = (await res.json()) as { token?: string };
  if (typeof body.token !== 'string') throw VisageClientError.unauthorized('no token in the answer');
  return body.token;
}

const fmt = (x: number | null | undefined, digits = 0) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits));

export function showRoom(app: HTMLElement, state: AppState): () => Promise<void> {
  let disposed = false;
  let client: VisageClient | null = null;
  const tiles = new Map<string, VisageAvatarElement>();
  const photoUrl = state.photos[0] ? URL.createObjectURL(state.photos[0]) : '';

  const banners = h('div.banners');
  const joinBar = new ProgressBar('Joining', 'join');
  const joinBox = h('div.card.join-card', {}, joinBar.el);
  const count = h('span.pill', { 'data-testid': 'count' }, '1 participant');
  const statsBtn = h('button.btn.btn-ghost', { type: 'button', 'aria-pressed': 'true' }, 'Stats');
  const copyBtn = h('button.btn.btn-ghost', { type: 'button' }, 'Copy invite link');
  const leaveBtn = h('button.btn.btn-danger', { type: 'button', id: 'leave' }, 'Leave');
  const selfStatus = h('span.self-status', {}, 'connecting…');
  const selfTile = h('div.tile.self-tile', { 'data-peer': 'self' },
    photoUrl ? h('img', { src: photoUrl, alt: '' }) : null,
    h('span.tile-badge', {}, 'You'),
    h('div.tile-footer', {}, h('span.tile-name', { title: 'Your enrollment photo: the others see your avatar' }, `${state.name} (you)`), selfStatus));
  const grid = h('div.grid', { 'data-testid': 'grid' }, selfTile);
  const statsBody = h('tbody');
  const trackerLine = h('p.stats-foot', {});
  const statsPanel = h('aside.stats', { 'data-testid': 'stats' },
    h('h2', {}, 'Live stats'),
    h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'kbit/s'), h('th', {}, 'fps'), h('th', {}, 'latency'))), statsBody),
    trackerLine,
    h('p.stats-note', {}, 'kbit/s: face-motion data received (sent, for you). fps: avatar frames drawn (tracked, for you). Latency: sender capture → drawn here.'));
  const waiting = h('p.waiting.muted', {}, 'Nobody else is here yet. Share the invite link:', h('br'), h('code', {}, roomLink(state.room)));

  app.append(h('section.screen.room', { 'data-testid': 'room' },
    h('div.room-bar', {},
      h('div.room-title', {}, h('h1', {}, state.room), count),
      h('div.row', {}, copyBtn, statsBtn, leaveBtn)),
    banners,
    joinBox,
    h('div.room-body', {}, h('div.stage', {}, grid, waiting), statsPanel)));

  const showError = (err: unknown, retry?: () => void) => {
    if (disposed) return;
    // One banner per kind of error; the newest wins.
    const code = err instanceof VisageClientError ? err.code : 'error';
    banners.querySelector(`[data-error="${code}"]`)?.remove();
    banners.append(errorBanner(err, retry));
  };

  statsBtn.addEventListener('click', () => {
    const shown = statsPanel.hidden;
    statsPanel.hidden = !shown;
    statsBtn.setAttribute('aria-pressed', String(shown));
  });
  copyBtn.addEventListener('click', () => {
    void navigator.clipboard?.writeText(roomLink(state.room)).then(() => (copyBtn.textContent = 'Link copied'), () => undefined);
  });
  leaveBtn.addEventListener('click', () => {
    history.pushState(null, '', `/${location.search}`);
    void go('lobby');
  });

  const refreshCount = () => {
    const n = tiles.size + 1;
    count.textContent = `${n} participant${n > 1 ? 's' : ''}`;
    waiting.hidden = tiles.size > 0;
    grid.dataset.count = String(n);
  };

  const addPeer = (peer: RemotePeer) => {
    if (tiles.has(peer.id)) return;
    const el = document.createElement('visage-avatar');
    el.dataset.peerId = peer.id;
    el.peer = peer;
    tiles.set(peer.id, el);
    grid.append(el);
    refreshCount();
  };
  const removePeer = (peerId: string) => {
    tiles.get(peerId)?.remove();
    tiles.delete(peerId);
    refreshCount();
  };

  const renderStats = (stats: ClientStats) => {
    if (!client) return;
    const rows: HTMLElement[] = [];
    const pub = stats.publisher;
    rows.push(h('tr.self-row', { 'data-peer': 'self' }, h('th', {}, 'You (sending)'), h('td', {}, fmt(pub?.kbps, 1)), h('td', {}, fmt(pub?.fps, 0)), h('td', {}, '–')));
    for (const s of stats.peers) {
      const peer = client.peers.get(s.peerId);
      const tile = tiles.get(s.peerId);
      tile?.toggleAttribute('data-live', s.state === 'live');
      rows.push(h('tr', { 'data-peer': s.peerId, title: `state ${s.state}, ${s.generator ?? 'no generator yet'} on ${s.backend ?? '–'}, render ${fmt(s.renderMs, 1)} ms, jitter buffer ${fmt(s.jitterDelayMs)} ms, sent at ${fmt(s.senderFps)} fps, ${fmt(s.lossRate === null ? null : 100 * s.lossRate)} % lost on the way` },
        h('th', {}, peer?.name ?? s.peerId, s.state === 'live' ? null : h('span.state', {}, ` · ${s.state}`)),
        h('td', {}, fmt(s.kbps, 1)), h('td', {}, fmt(s.renderFps, 0)), h('td', {}, s.latencyMs === null ? '–' : `${fmt(s.latencyMs)} ms`)));
    }
    statsBody.replaceChildren(...rows);
    if (pub) {
      // A device too busy to track its camera: the others see this sender move in steps, or stall.
      const behind = trackingBehind(pub);
      selfTile.classList.toggle('busy', behind);
      selfStatus.textContent = behind ? `sending · device busy: ${fmt(pub.fps)} of ${fmt(pub.cameraFps)} frames/s tracked` : `sending ${fmt(pub.kbps, 1)} kbit/s`;
      selfStatus.title = behind ? 'Your device cannot track every camera frame, so the others see your avatar move in steps. Closing other tabs or apps helps.' : '';
      trackerLine.textContent = `Your face tracker: ${fmt(pub.trackerMs)} ms per frame, ${fmt(pub.fps)} of the camera's ${fmt(pub.cameraFps)} fps, face found in ${fmt((100 * pub.framesWithFace) / Math.max(1, pub.framesTracked))} % of frames.`;
    }
  };

  const join = async () => {
    banners.replaceChildren();
    joinBox.hidden = false;
    try {
      joinBar.set(0.1, 'getting an invitation');
      const token = await fetchToken(state.room, state.name);
      joinBar.set(0.25, 'connecting to the server');
      const c = await createVisageClient({
        url: location.origin,
        token,
        tracker: { delegate: state.delegate },
        backend: state.backend,
        render: { mouthRefiner: refinerOption(state.refine) },
        ...(state.enrollment ? { enrollment: state.enrollment } : {}),
      });
      if (disposed) {
        await c.leave();
        return;
      }
      client = c;
      c.on('peerJoined', addPeer);
      c.on('peerLeft', removePeer);
      c.on('avatarReady', (peer) => tiles.get(peer.id)?.setAttribute('data-ready', ''));
      c.on('faceLost', ({ peerId, lost }) => {
        if (peerId === null) selfTile.classList.toggle('face-lost', lost);
        if (peerId === null && lost) selfStatus.textContent = 'face not found — look at the camera';
      });
      c.on('stats', renderStats);
      c.on('error', (err) => showError(err));
      // The SDK rejoins by itself; say so, and clear it when it is back.
      c.on('disconnected', (reason) => showError(new VisageClientError(ClientErrorCode.Closed, `The connection to the server was lost (${reason}); reconnecting…`), () => void rejoin()));
      c.on('reconnected', () => banners.replaceChildren());
      c.on('peerUpdated', (peer) => {
        tiles.get(peer.id)?.toggleAttribute('muted', peer.audioMuted);
        tiles.get(peer.id)?.toggleAttribute('reconnecting', !peer.connected);
      });
      for (const peer of c.peers.values()) addPeer(peer);
      for (const peer of c.peers.values()) if (peer.avatar.ready) tiles.get(peer.id)?.setAttribute('data-ready', '');
      joinBar.set(0.45, 'preparing your avatar (loading the face tracker)');
      if (!state.enrollment) await c.enroll(state.photos, { name: state.name });
      joinBar.set(0.8, 'starting camera and microphone');
      const watching = !(await publish(c));
      joinBar.set(1, watching ? 'joined · watching only' : 'joined');
      joinBox.hidden = true;
      document.body.dataset.joined = '1';
      renderStats(c.stats);
    } catch (err) {
      if (disposed) return;
      joinBar.fail('could not join');
      showError(err, () => void rejoin());
    }
  };

  /**
   * Publishes camera and microphone. Without a microphone: the face, muted. Without a
   * camera, or with it blocked: stays in the room watching, says why, and offers a retry.
   * Returns whether the avatar is being sent.
   */
  const publish = async (c: VisageClient): Promise<boolean> => {
    try {
      await c.publish({ camera: true, microphone: true });
      selfStatus.textContent = 'live';
      return true;
    } catch (err) {
      if (!(err instanceof VisageClientError)) throw err;
      if (err.code === ClientErrorCode.NoDevice) {
        try {
          await c.publish({ camera: true, microphone: false });
          selfTile.classList.add('muted');
          selfStatus.textContent = 'live · no microphone';
          return true;
        } catch (camErr) {
          if (!(camErr instanceof VisageClientError)) throw camErr;
          err = camErr;
        }
      }
      const e = err as VisageClientError;
      if (e.code !== ClientErrorCode.NoDevice && e.code !== ClientErrorCode.PermissionDenied) throw e;
      selfStatus.textContent = e.code === ClientErrorCode.NoDevice ? 'not sending · no camera' : 'not sending · camera blocked';
      showError(e, () => {
        banners.replaceChildren();
        void publish(c);
      });
      return false;
    }
  };

  const rejoin = async () => {
    const old = client;
    client = null;
    for (const id of [...tiles.keys()]) removePeer(id);
    delete document.body.dataset.joined;
    await old?.leave().catch(() => undefined);
    if (!disposed) await join();
  };

  refreshCount();
  void join();

  return async () => {
    disposed = true;
    delete document.body.dataset.joined;
    const c = client;
    client = null;
    await c?.leave().catch(() => undefined);
    if (photoUrl) URL.revokeObjectURL(photoUrl);
  };
}
