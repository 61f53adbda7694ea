/**
 * The Visage demo app: Lobby → Enroll → Room. Plain DOM, one module per screen;
 * the app state lives here and survives screen changes (not reloads: photos stay in memory only).
 */
import './style.css';
import '../../src/element/visage-avatar.ts';
import { showLobby } from './lobby.ts';
import { showEnroll } from './enroll.ts';
import { showRoom } from './room.ts';
import { ROOM_PATTERN } from './ui.ts';

export interface AppState {
  name: string;
  room: string;
  /** Enrollment photos, as the user chose them; they never leave this page. */
  photos: Blob[];
  /** The avatar made on the enroll screen (the room reuses it rather than enrolling again). */
  enrollment?: import('../../src/sender/enroll.ts').Enrollment;
  /** Redraw the others' eyes and mouths with the neural refiners (lobby options, remembered in this tab). */
  refine: { eyes: boolean; mouth: boolean };
  /** Debug knobs from the query string: `?backend=cpu&delegate=CPU`. */
  backend: 'auto' | 'webgpu' | 'webgl' | 'cpu';
  delegate: 'auto' | 'CPU' | 'GPU';
}

export type Screen = 'lobby' | 'enroll' | 'room';

const query = new URLSearchParams(location.search);
const state: AppState = {
  name: sessionStorage.getItem('visage.name') ?? '',
  room: '',
  photos: [],
  refine: { eyes: sessionStorage.getItem('visage.eyes') === '1', mouth: sessionStorage.getItem('visage.mouth') === '1' },
  backend: (['auto', 'webgpu', 'webgl', 'cpu'] as const).find((b) => b === query.get('backend')) ?? 'auto',
  delegate: (['auto', 'CPU', 'GPU'] as const).find((d) => d === query.get('delegate')) ?? 'auto',
};

const app = document.getElementById('app')!;
/** Called when the current screen is replaced: releases its camera, workers, connections. */
let teardown: (() => void | Promise<void>) | null = null;

function roomFromPath(): string | null {
  const m = /^\/r\/([^/]+)\/?$/.exec(location.pathname);
  const room = m ? decodeURIComponent(m[1]!) : null;
  return room && ROOM_PATTERN.test(room) ? room : null;
}

export function roomLink(room: string): string {
  return `${location.origin}/r/${encodeURIComponent(room)}${location.search}`;
}

/** Switches screens (and the URL for the room). */
export async function go(screen: Screen): Promise<void> {
  const previous = teardown;
  teardown = null;
  await previous?.();
  app.replaceChildren();
  document.body.dataset.screen = screen;
  window.scrollTo(0, 0);
  if (screen === 'room' && roomFromPath() !== state.room) history.pushState(null, '', roomLink(state.room));
  if (screen === 'lobby') teardown = showLobby(app, state, roomFromPath());
  if (screen === 'enroll') teardown = showEnroll(app, state);
  if (screen === 'room') teardown = showRoom(app, state);
}

function route(): void {
  const room = roomFromPath();
  if (room && state.photos.length > 0 && state.name) {
    state.room = room;
    void go('room');
  } else {
    void go('lobby');
  }
}

window.addEventListener('popstate', route);
window.addEventListener('pagehide', () => void teardown?.());
route();

/** The lobby's refiner choices as the SDK's `mouthRefiner` render option. */
export function refinerOption(r: AppState['refine']): boolean | { eyes?: boolean; mouth?: boolean } {
  if (!r.eyes && !r.mouth) return false;
  return r.eyes && r.mouth ? true : { eyes: r.eyes, mouth: r.mouth };
}
