/**
 * Enroll: photos from files or camera snapshots, checked in words as they come in,
 * and a live "how others will see you" preview made exactly as receivers make it:
 * camera → tracker → codec → RemoteAvatar (decoder, retargeter, the same generator).
 */
import { DEFAULT_MODEL_ASSET_PATH, FaceTracker } from '../../src/tracking/index.ts';
import { FaceAnalyzer } from '../../src/enrollment/face-analyzer.ts';
import type { PhotoCheckResult } from '../../src/enrollment/photo-check.ts';
import { enrollPhotos, toRgba, type Enrollment } from '../../src/sender/enroll.ts';
import { CameraSource } from '../../src/sender/camera-source.ts';
import { LandmarkPublisher } from '../../src/sender/landmark-publisher.ts';
import { RemoteAvatar, avatarCodecNeutral } from '../../src/receiver/remote-avatar.ts';
import { unpackWarpContent } from '../../src/generator/warp/content.ts';
import { go, refinerOption, type AppState } from './main.ts';
import { ProgressBar, errorBanner, fetchWithProgress, h, mb } from './ui.ts';

const MAX_PHOTOS = 8;
const LIVE_CHECK_MS = 900;

interface Photo {
  blob: Blob;
  url: string;
  check: PhotoCheckResult | null;
  card: HTMLElement;
}

export function showEnroll(app: HTMLElement, state: AppState): () => Promise<void> {
  let disposed = false;
  const photos: Photo[] = [];
  let tracker: FaceTracker | null = null;
  let analyzer: FaceAnalyzer | null = null;
  let cameraStream: MediaStream | null = null;
  let liveTimer: ReturnType<typeof setTimeout> | undefined;
  let enrollment: Enrollment | null = null;
  let buildGeneration = 0;
  let realTracker: FaceTracker | null = null;
  let preview: { avatar: RemoteAvatar; publisher: LandmarkPublisher | null; source: CameraSource | null } | null = null;

  // ---- layout ----
  const banners = h('div.banners');
  const fileInput = h('input', { type: 'file', accept: 'image/*', multiple: true, id: 'photo-upload', className: 'visually-hidden' });
  const uploadLabel = h('label.btn.btn-ghost', { for: 'photo-upload' }, 'Upload photos');
  const cameraBtn = h('button.btn.btn-ghost', { type: 'button', id: 'camera-on' }, 'Use camera');
  const video = h('video.camera-video', { autoplay: true, muted: true, playsInline: true });
  const countdown = h('div.countdown', { hidden: true });
  const liveFeedback = h('p.live-feedback', { 'data-testid': 'live-feedback', 'aria-live': 'polite' }, 'Starting camera…');
  const snapBtn = h('button.btn.btn-primary', { type: 'button', id: 'snapshot', disabled: true }, 'Take snapshot');
  const cameraBox = h('div.camera', { hidden: true }, h('div.camera-frame', {}, video, countdown), liveFeedback, snapBtn);
  const thumbs = h('div.thumbs', { 'data-testid': 'photos' });
  const emptyThumbs = h('p.muted.thumbs-empty', {}, 'No photos yet. One clear, front-facing photo is enough; two or three from slightly different angles look better, and a few taken mid-word or smiling let your avatar talk with your own mouth.');

  const trackerBar = new ProgressBar('Face tracker', 'tracker');
  const generatorBar = new ProgressBar('Avatar generator', 'generator');
  const stage = h('div.preview-stage', { 'data-testid': 'preview' }, h('p.muted', {}, 'Your avatar appears here once you add a photo.'));
  const previewNote = h('p.preview-note.muted', {}, 'Rendered on this device by the same generator the other participants use, from your face motion only.');
  const mouthNote = h('p.preview-note.muted', { 'data-testid': 'mouth-note', hidden: true });
  const joinBtn = h('button.btn.btn-primary.btn-block', { type: 'button', id: 'join', disabled: true }, `Join “${state.room}”`);
  const backBtn = h('button.btn.btn-link', { type: 'button', onclick: () => void go('lobby') }, '← Back');

  app.append(h('section.screen.enroll', { 'data-testid': 'enroll' },
    banners,
    h('div.enroll-grid', {},
      h('div.card', {},
        h('h1', {}, 'Your avatar photos'),
        h('p.lead', {}, 'Photos never leave this device: only the avatar made from them is sent, once, when you join.'),
        h('div.row', {}, uploadLabel, fileInput, cameraBtn),
        cameraBox,
        h('h2.subhead', {}, 'Photos'),
        emptyThumbs,
        thumbs),
      h('div.card.preview-card', {},
        h('h2', {}, 'How others will see you'),
        stage,
        previewNote,
        mouthNote,
        h('div.progress-list', {}, trackerBar.el, generatorBar.el),
        joinBtn,
        backBtn))));

  const showError = (err: unknown, retry?: () => void) => {
    if (!disposed) banners.replaceChildren(errorBanner(err, retry));
  };

  // ---- loading the tracker (with download progress) and the photo checker ----
  const ready = (async () => {
    trackerBar.set(0, 'downloading model');
    await fetchWithProgress(DEFAULT_MODEL_ASSET_PATH, (loaded, total) =>
      trackerBar.set(total ? (loaded / total) * 0.7 : null, `downloading model ${mb(loaded)}${total ? ` of ${mb(total)}` : ''}`));
    trackerBar.set(0.75, 'starting face tracker');
    const t = await FaceTracker.create({ delegate: state.delegate });
    if (disposed) {
      await t.close();
      throw new Error('disposed');
    }
    tracker = t; // one tracker for stills and the preview: it queues calls on one clock
    realTracker = t;
    trackerBar.set(0.9, 'starting photo checker');
    analyzer = await FaceAnalyzer.create();
    if (disposed) analyzer.close();
    trackerBar.set(1, `ready (${t.delegate}, ${t.thread})`);
  })();
  ready.catch((err: unknown) => {
    if (disposed) return;
    trackerBar.fail('failed to load');
    showError(err);
  });

  // ---- photos ----
  const refreshThumbs = () => {
    emptyThumbs.hidden = photos.length > 0;
    uploadLabel.classList.toggle('disabled', photos.length >= MAX_PHOTOS);
    snapBtn.disabled = !cameraStream || photos.length >= MAX_PHOTOS;
  };

  const verdict = (check: PhotoCheckResult | null): HTMLElement => {
    if (!check) return h('span.verdict.pending', {}, 'Checking…');
    if (check.ok) return h('span.verdict.ok', { 'data-verdict': 'ok' }, 'Good photo');
    return h('span.verdict.warn', { 'data-verdict': check.problems[0]!.code }, check.problems[0]!.message);
  };

  const addPhoto = async (blob: Blob) => {
    if (photos.length >= MAX_PHOTOS) return;
    const url = URL.createObjectURL(blob);
    const status = h('div.thumb-status', {}, verdict(null));
    const photo: Photo = { blob, url, check: null, card: h('figure.thumb', {}) };
    const remove = h('button.icon-btn.thumb-remove', { type: 'button', title: 'Remove photo', 'aria-label': 'Remove photo', onclick: () => {
      photos.splice(photos.indexOf(photo), 1);
      photo.card.remove();
      URL.revokeObjectURL(url);
      refreshThumbs();
      void rebuild();
    } }, '×');
    photo.card.append(h('img', { src: url, alt: 'enrollment photo' }), remove, status);
    photos.push(photo);
    thumbs.append(photo.card);
    refreshThumbs();
    try {
      await ready;
      const image = await toRgba(blob);
      photo.check = analyzer!.check(image).result;
    } catch (err) {
      photo.check = { ok: false, problems: [{ code: 'no_face', message: `Could not read this photo: ${(err as Error).message}` }], metrics: null };
    }
    status.replaceChildren(verdict(photo.check));
    photo.card.classList.toggle('has-problem', !photo.check.ok);
    void rebuild();
  };

  fileInput.addEventListener('change', () => {
    const files = [...(fileInput.files ?? [])].filter((f) => f.type.startsWith('image/'));
    fileInput.value = '';
    for (const f of files.slice(0, MAX_PHOTOS - photos.length)) void addPhoto(f);
  });

  // ---- camera: live feedback and 3-2-1 snapshots ----
  const startCamera = async () => {
    if (cameraStream) return;
    banners.replaceChildren();
    try {
      if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no camera API here (needs https or localhost)'), { name: 'NotFoundError' });
      cameraStream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    } catch (err) {
      showError(err, () => void startCamera());
      return;
    }
    if (disposed) {
      for (const t of cameraStream.getTracks()) t.stop();
      return;
    }
    video.srcObject = cameraStream;
    cameraBox.hidden = false;
    cameraBtn.hidden = true;
    refreshThumbs();
    void liveCheck();
    void startPreviewMotion();
  };
  cameraBtn.addEventListener('click', () => void startCamera());

  const grab = (): HTMLCanvasElement | null => {
    if (!video.videoWidth) return null;
    const c = document.createElement('canvas');
    c.width = video.videoWidth;
    c.height = video.videoHeight;
    c.getContext('2d')!.drawImage(video, 0, 0);
    return c;
  };

  const liveCheck = async () => {
    clearTimeout(liveTimer);
    if (disposed || !cameraStream) return;
    try {
      await ready;
      const frame = grab();
      if (frame && analyzer && countdown.hidden) {
        const image = await toRgba(frame);
        const { result } = analyzer.check(image);
        liveFeedback.className = `live-feedback ${result.ok ? 'ok' : 'warn'}`;
        liveFeedback.textContent = result.ok ? 'Looks good: hold still and take a snapshot.' : result.problems[0]!.message;
      }
    } catch {
      liveFeedback.textContent = 'Live photo checks are unavailable; snapshots are still checked.';
    }
    if (!disposed) liveTimer = setTimeout(() => void liveCheck(), LIVE_CHECK_MS);
  };

  snapBtn.addEventListener('click', async () => {
    snapBtn.disabled = true;
    countdown.hidden = false;
    for (const n of [3, 2, 1]) {
      countdown.textContent = String(n);
      await new Promise((r) => setTimeout(r, 1000));
      if (disposed) return;
    }
    countdown.hidden = true;
    const frame = grab();
    cameraBox.classList.add('flash');
    setTimeout(() => cameraBox.classList.remove('flash'), 300);
    if (frame) {
      const blob = await new Promise<Blob | null>((r) => frame.toBlob(r, 'image/png'));
      if (blob) await addPhoto(blob);
    }
    refreshThumbs();
  });

  // ---- enrollment and the preview ----
  const stopPreviewMotion = () => {
    preview?.publisher?.stop();
    preview?.source?.close();
    if (preview) preview.publisher = preview.source = null;
  };

  const startPreviewMotion = async () => {
    const track = cameraStream?.getVideoTracks()[0];
    if (!preview || !tracker || !enrollment || preview.publisher || !track) return;
    const content = await unpackWarpContent(enrollment.embedding);
    const source = await CameraSource.open(track, 30);
    if (!preview || disposed) {
      source.close();
      return;
    }
    const avatar = preview.avatar;
    const publisher = new LandmarkPublisher({
      source,
      tracker,
      // Straight into a local receiver: the bytes are exactly what the others get.
      sink: { send: (bytes) => avatar.pushLandmarkPacket(bytes, performance.now()) },
      neutral: avatarCodecNeutral(content.plateLandmarks, content.plate.height / content.plate.width),
    });
    publisher.on('faceLost', (lost) => stage.classList.toggle('face-lost', lost));
    preview.source = source;
    preview.publisher = publisher;
    publisher.start();
    previewNote.textContent = 'Live: move your head and talk — this is what the others see.';
  };

  const rebuild = async () => {
    const generation = ++buildGeneration;
    const usable = photos.filter((p) => p.check && p.check.problems[0]?.code !== 'no_face');
    const pending = photos.some((p) => !p.check);
    joinBtn.disabled = true;
    if (pending) return; // the last check to finish rebuilds
    if (usable.length === 0) {
      generatorBar.set(0, photos.length ? 'no usable photo yet' : 'waiting for a photo');
      return;
    }
    // Prefer photos that passed every check; fall back to the ones with a face.
    const good = usable.filter((p) => p.check!.ok);
    const chosen = good.length ? good : usable;
    try {
      await ready;
      stopPreviewMotion();
      generatorBar.set(null, `building your avatar from ${chosen.length} photo${chosen.length > 1 ? 's' : ''}`);
      const made = await enrollPhotos(tracker!, chosen.map((p) => p.blob), state.name);
      if (generation !== buildGeneration || disposed) return;
      state.enrollment = made;
      generatorBar.set(0.7, `starting generator (${(made.bytes.byteLength / 1024).toFixed(0)} KB avatar)`);
      const avatar = new RemoteAvatar({ peerId: 'you', name: state.name, impersonation: false, size: 320, backend: state.backend, mouthRefiner: refinerOption(state.refine) });
      await avatar.setEmbedding(made.embedding, made.hash);
      if (generation !== buildGeneration || disposed) {
        avatar.close();
        return;
      }
      preview?.avatar.close();
      preview = { avatar, publisher: null, source: null };
      enrollment = made;
      avatar.canvas.className = 'preview-canvas';
      stage.replaceChildren(avatar.canvas, h('span.preview-badge', {}, 'Preview'));
      generatorBar.set(1, `ready (${chosen.length} photo${chosen.length > 1 ? 's' : ''}, ${(made.bytes.byteLength / 1024).toFixed(0)} KB)`);
      state.photos = chosen.map((p) => p.blob);
      mouthNote.hidden = !made.mouths;
      if (made.mouths) mouthNote.textContent = mouthAdvice(made.mouths);
      joinBtn.disabled = false;
      if (!good.length) banners.replaceChildren(h('div.banner.banner-warn', { role: 'status' }, h('div.banner-text', {}, h('strong', {}, 'Your photos have problems'), h('span', {}, 'Your avatar may look worse than it could. See the notes under each photo.'))));
      else banners.replaceChildren();
      if (cameraStream) await startPreviewMotion();
      else previewNote.textContent = 'Turn on your camera to see your avatar follow your face.';
    } catch (err) {
      if (generation !== buildGeneration || disposed) return;
      generatorBar.fail('could not build the avatar');
      showError(err);
    }
  };

  joinBtn.addEventListener('click', () => {
    if (!state.photos.length) return;
    void go('room');
  });

  generatorBar.set(0, 'waiting for a photo');
  refreshThumbs();
  void startCamera();

  return async () => {
    disposed = true;
    clearTimeout(liveTimer);
    stopPreviewMotion();
    preview?.avatar.close();
    preview = null;
    for (const t of cameraStream?.getTracks() ?? []) t.stop();
    cameraStream = null;
    analyzer?.close();
    await ready.catch(() => undefined);
    analyzer?.close();
    await realTracker?.close().catch(() => undefined);
    for (const p of photos) URL.revokeObjectURL(p.url);
  };
}

/** What the avatar's mouth will look like, and how to make it more yours (Enrollment.mouths). */
export function mouthAdvice(m: { open: number; teeth: boolean }): string {
  if (!m.teeth) return 'None of your photos shows your teeth, so your avatar talks with drawn ones. Add a snapshot while smiling or mid-word.';
  if (m.open < 3) return `${m.open === 1 ? 'One photo shows' : 'Two photos show'} your mouth open. A few more, smiling and mid-word, give your avatar your own mouth at more openings.`;
  return `${m.open} of your photos show your mouth open: your avatar talks with your own mouth.`;
}
