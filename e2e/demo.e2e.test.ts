/**
 * The demo app as users see it: built with Vite, served by the real SFU, two Chromium
 * users with different fake cameras go lobby → enroll (an uploaded still) → room, and
 * each sees the other's avatar tile with its AVATAR badge and name. Screenshots of every
 * screen are kept under .artifacts/demo/. No request may leave the SFU's origin.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'vite';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../packages/client/scripts/lib/chromium.ts';
import { CLIENT_DIR } from '../packages/client/scripts/lib/paths.ts';
import { fakeCameraY4m, stillPng } from './lib/media.ts';
import { startTestSfu, type TestSfu } from './lib/sfu.ts';

const ARTIFACTS = path.resolve(import.meta.dirname, '../.artifacts/demo');
const ROOM = 'demo-room';
const USERS = [
  { id: 'ada', name: 'Ada', clip: 'edtalk-mouth_source.mp4' },
  { id: 'ben', name: 'Ben', clip: 'liveportrait-d5.mp4' },
] as const;
/** CPU everywhere: headless Chromium's WebGL is software (SwiftShader). */
const QUERY = '?backend=cpu&delegate=CPU';

let sfu: TestSfu;
let work: string;
const browsers: Browser[] = [];
const pages = new Map<string, Page>();
const stills = new Map<string, string>();
const foreignRequests: string[] = [];
const pageErrors: string[] = [];

const shot2 = (page: Page, id: string, screen: string) => page.screenshot({ path: path.join(ARTIFACTS, `${id}-${screen}.png`), fullPage: true });
const shot = (id: string, screen: string) => shot2(pages.get(id)!, id, screen);

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'visage-demo-'));
  const dist = path.join(work, 'dist');
  await build({ configFile: path.join(CLIENT_DIR, 'vite.config.ts'), logLevel: 'warn', build: { outDir: dist, emptyOutDir: true } });
  await mkdir(ARTIFACTS, { recursive: true });
  sfu = await startTestSfu({ VISAGE_STATIC_DIR: dist });
  const origin = new URL(sfu.url).origin;
  for (const user of USERS) {
    stills.set(user.id, await stillPng(user.clip, 0.3, work, `${user.id}.png`));
    const camera = await fakeCameraY4m(user.clip);
    const browser = await launchChromium({
      args: ['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`],
    });
    browsers.push(browser);
    const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
    page.on('pageerror', (e) => pageErrors.push(`[${user.id}] ${e.message}`));
    page.on('request', (r) => {
      const url = r.url();
      if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) foreignRequests.push(url);
    });
    pages.set(user.id, page);
  }
}, 120_000);

afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => undefined);
  await sfu?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

describe('demo app', () => {
  it('two users go lobby → enroll → room and see each other as labelled avatars', async () => {
    const [ada, ben] = [pages.get('ada')!, pages.get('ben')!];

    // Lobby: Ada names a room and creates its link; Ben opens the link.
    await ada.goto(`${sfu.url}/${QUERY}`);
    await ada.fill('#name', 'Ada');
    await ada.fill('#room', ROOM);
    await ada.click('#create-link');
    const link = await ada.locator('[data-room-link]').getAttribute('data-room-link');
    expect(link).toBe(`${sfu.url}/r/${ROOM}${QUERY}`);
    await shot('ada', '1-lobby');
    await ben.goto(link!);
    await expect.poll(() => ben.locator('h1').textContent()).toContain(ROOM);
    await ben.fill('#name', 'Ben');
    // Ben draws avatars with the neural eye and mouth refiners (preview and room).
    await ben.check('#eyes');
    await ben.check('#mouth');
    await shot('ben', '1-lobby-invited');

    // Enroll: upload a still; the photo is checked in words, the preview renders, join unlocks.
    await Promise.all(USERS.map(async (user) => {
      const page = pages.get(user.id)!;
      await page.click('#continue');
      await page.waitForSelector('[data-testid="enroll"]');
      await page.setInputFiles('#photo-upload', stills.get(user.id)!);
      await page.waitForSelector('.thumb [data-verdict]', { timeout: 60_000 });
      await page.waitForSelector('#join:not([disabled])', { timeout: 60_000 });
      await page.waitForSelector('.preview-stage canvas');
    }));
    // Ada adds a camera snapshot too: a 3-2-1 countdown, then a second checked photo and a rebuild.
    await ada.click('#snapshot');
    await expect.poll(() => ada.locator('.countdown').textContent()).toBe('3');
    await shot('ada', '2-enroll-countdown');
    await ada.waitForSelector('.thumb:nth-child(2) [data-verdict]', { timeout: 30_000 });
    await ada.waitForSelector('#join:not([disabled])', { timeout: 60_000 });
    for (const user of USERS) {
      const page = pages.get(user.id)!;
      expect(await page.locator('.thumb [data-verdict]').first().textContent()).toBeTruthy();
      expect(await page.locator('[data-progress="tracker"]').getAttribute('class')).toContain('done');
      expect(await page.locator('[data-progress="generator"]').getAttribute('class')).toContain('done');
      // What the avatar's mouth will be, in words (Enrollment.mouths).
      await page.waitForSelector('[data-testid="mouth-note"]:not([hidden])');
      expect(await page.locator('[data-testid="mouth-note"]').textContent()).toMatch(/your own mouth|drawn ones/);
    }
    await new Promise((r) => setTimeout(r, 1500)); // let the preview follow the camera for a moment
    for (const user of USERS) await shot(user.id, '2-enroll');

    // Room: both join; each sees the other's tile with the badge and name, live.
    for (const user of USERS) {
      const page = pages.get(user.id)!;
      await page.click('#join');
      await page.waitForSelector('body[data-joined="1"]', { state: 'attached', timeout: 60_000 });
      expect(new URL(page.url()).pathname).toBe(`/r/${ROOM}`);
    }
    for (const [me, other] of [[USERS[0], USERS[1]], [USERS[1], USERS[0]]] as const) {
      const page = pages.get(me.id)!;
      const tile = page.locator(`visage-avatar[name="${other.name}"]`);
      await tile.waitFor({ timeout: 30_000 });
      await page.waitForSelector(`visage-avatar[name="${other.name}"][data-live]`, { timeout: 60_000 });
      expect(await tile.locator('.badge').textContent()).toBe('Avatar');
      expect(await tile.locator('.name').textContent()).toBe(other.name);
      expect(await tile.locator('.badge').isVisible()).toBe(true);
      // The stats overlay has a row for the other peer with a bitrate and a frame rate.
      const row = page.locator('[data-testid="stats"] tr', { hasText: other.name });
      await expect.poll(async () => Number(await row.locator('td').nth(1).textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
      // Which generator draws the other: the lobby's "refine eyes" and "refine mouths" options are Ben's only.
      expect(await row.getAttribute('title')).toContain(me.id === 'ben' ? 'warp+eyes+mouth on' : 'warp on');
    }
    for (const user of USERS) await shot(user.id, '3-room');

    expect(pageErrors).toEqual([]);
    expect(foreignRequests).toEqual([]);
  });

  it('explains a blocked or missing camera, and a user without one still joins to watch', async () => {
    const origin = new URL(sfu.url).origin;
    const open = async (id: string, args: string[]) => {
      const browser = await launchChromium({ args });
      browsers.push(browser);
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      page.on('pageerror', (e) => pageErrors.push(`[${id}] ${e.message}`));
      page.on('request', (r) => {
        const url = r.url();
        if (!url.startsWith('data:') && !url.startsWith('blob:') && new URL(url).origin !== origin) foreignRequests.push(url);
      });
      await page.goto(`${sfu.url}/r/${ROOM}${QUERY}`);
      await page.fill('#name', id === 'cyd' ? 'Cyd' : 'Dee');
      await page.click('#continue');
      await page.waitForSelector('[data-testid="enroll"]');
      return page;
    };
    // Cyd's browser refuses the camera permission; Dee's machine has no camera at all.
    const cyd = await open('cyd', ['--use-fake-device-for-media-stream', '--deny-permission-prompts']);
    const dee = await open('dee', ['--use-fake-ui-for-media-stream']);
    for (const [page, code, title] of [[cyd, 'permission_denied', 'Camera or microphone blocked'], [dee, 'no_device', 'No camera found']] as const) {
      await page.click('#camera-on');
      const banner = page.locator(`[data-error="${code}"]`);
      await banner.waitFor({ timeout: 15_000 });
      expect(await banner.textContent()).toContain(title);
    }
    await shot2(cyd, 'cyd', '7-enroll-camera-blocked');
    await shot2(dee, 'dee', '7-enroll-no-camera');
    // Uploading a photo still works; Cyd joins, is told why nothing is published, and watches the others.
    await cyd.setInputFiles('#photo-upload', stills.get('ada')!);
    await cyd.waitForSelector('#join:not([disabled])', { timeout: 60_000 });
    await cyd.click('#join');
    const blocked = cyd.locator('[data-error="permission_denied"]');
    await blocked.waitFor({ timeout: 60_000 });
    await cyd.waitForSelector('body[data-joined="1"]', { state: 'attached', timeout: 30_000 });
    expect(await cyd.getByText('not sending · camera blocked').count()).toBe(1);
    for (const other of USERS) await cyd.waitForSelector(`visage-avatar[name="${other.name}"][data-live]`, { timeout: 60_000 });
    await shot2(cyd, 'cyd', '8-room-watching-without-camera');
    await cyd.close();
    await dee.close();
    // The others drop Cyd's tile again once her page is gone.
    await pages.get('ada')!.waitForSelector('visage-avatar[name="Cyd"]', { state: 'detached', timeout: 30_000 });
    expect(foreignRequests).toEqual([]);
  });

  it('leaving returns to the lobby and the other side drops the tile', async () => {
    const [ada, ben] = [pages.get('ada')!, pages.get('ben')!];
    await ben.click('#leave');
    await ben.waitForSelector('[data-testid="lobby"]');
    await ada.waitForSelector('visage-avatar[name="Ben"]', { state: 'detached', timeout: 15_000 });
    await shot('ada', '4-room-alone');
    // An impersonation avatar is labelled as not the sender's face; a face that is not drawn live says why.
    const labels = await ada.evaluate(() => {
      const el = document.createElement('visage-avatar');
      el.setAttribute('name', 'Painting');
      el.toggleAttribute('impersonation', true);
      document.body.append(el);
      const root = el.shadowRoot!;
      const status = () => {
        const s = root.querySelector<HTMLElement>('.status')!;
        return getComputedStyle(s).display === 'none' ? null : s.textContent;
      };
      const out = { badge: root.querySelector('.badge')!.textContent, live: status(), choppySender: '', choppyNetwork: '', noFace: '', noData: '', reconnecting: '' as string | null };
      el.setAttribute('choppy', 'sender');
      out.choppySender = status()!;
      el.setAttribute('choppy', 'network');
      out.choppyNetwork = status()!;
      el.setAttribute('lost', 'no-face');
      out.noFace = status()!;
      el.setAttribute('lost', 'no-data');
      out.noData = status()!;
      el.toggleAttribute('reconnecting', true);
      out.reconnecting = status();
      el.remove();
      return out;
    });
    expect(labels).toEqual({
      badge: 'Avatar · not their face', live: null, noFace: 'Face not visible',
      choppySender: 'Choppy motion · their device is busy', choppyNetwork: 'Choppy motion · weak connection',
      noData: 'Motion delayed · weak connection or busy device', reconnecting: 'Reconnecting…',
    });
    expect(foreignRequests).toEqual([]);
  });

  it('explains a refused token and an unreachable server in words', async () => {
    const ben = pages.get('ben')!;
    // Back into the room from the lobby (the photos are still in memory), with the server refusing.
    await ben.route('**/api/dev-token*', (route) => route.fulfill({ status: 403, contentType: 'application/json', body: '{}' }));
    await ben.evaluate((room) => {
      history.pushState(null, '', `/r/${room}${location.search}`);
      dispatchEvent(new PopStateEvent('popstate'));
    }, ROOM);
    const refused = ben.locator('[data-error="unauthorized"]');
    await refused.waitFor();
    expect(await refused.textContent()).toContain('Invitation refused');
    await shot('ben', '5-error-token-refused');
    await ben.unroute('**/api/dev-token*');
    await ben.route('**/api/dev-token*', (route) => route.abort('connectionrefused'));
    await refused.getByRole('button', { name: 'Try again' }).click();
    const unreachable = ben.locator('[data-error="unreachable"]');
    await unreachable.waitFor();
    expect(await unreachable.textContent()).toContain('Cannot reach the Visage server');
    await shot('ben', '6-error-unreachable');
    await ben.unroute('**/api/dev-token*');
  });
});
