/** Lobby: who you are and which room; a shareable room link. */
import { go, roomLink, type AppState } from './main.ts';
import { h, randomRoomName, ROOM_PATTERN } from './ui.ts';

export function showLobby(app: HTMLElement, state: AppState, invitedRoom: string | null): () => void {
  const name = h('input.input', { id: 'name', name: 'name', autocomplete: 'name', placeholder: 'e.g. Ada Lovelace', maxLength: 64, value: state.name, required: true });
  const room = h('input.input', { id: 'room', name: 'room', placeholder: 'room-name', maxLength: 64, value: invitedRoom ?? (state.room || randomRoomName()), required: true });
  room.readOnly = invitedRoom !== null;
  const hint = h('p.field-hint', {}, 'Letters, digits, dots, dashes and underscores.');
  const eyes = h('input', { type: 'checkbox', id: 'eyes', name: 'eyes', checked: state.refine.eyes });
  const mouth = h('input', { type: 'checkbox', id: 'mouth', name: 'mouth', checked: state.refine.mouth });
  const linkBox = h('div.link-box', { hidden: true });
  const error = h('p.field-error', { role: 'alert' });

  const validRoom = () => ROOM_PATTERN.test(room.value.trim());
  const showLink = () => {
    if (!validRoom()) {
      error.textContent = 'Room names use letters, digits, dots, dashes and underscores only.';
      return;
    }
    error.textContent = '';
    const url = roomLink(room.value.trim());
    const copy = h('button.btn.btn-ghost', { type: 'button', onclick: () => {
      void navigator.clipboard?.writeText(url).then(() => (copy.textContent = 'Copied'), () => (copy.textContent = 'Select and copy'));
    } }, 'Copy');
    linkBox.replaceChildren(h('code.room-link', { 'data-room-link': url }, url), copy);
    linkBox.hidden = false;
  };

  const form = h('form.card.lobby-card', {
    onsubmit: (e: Event) => {
      e.preventDefault();
      if (!name.value.trim()) {
        error.textContent = 'Tell the others your name.';
        name.focus();
        return;
      }
      if (!validRoom()) {
        error.textContent = 'Room names use letters, digits, dots, dashes and underscores only.';
        return;
      }
      state.name = name.value.trim();
      state.room = room.value.trim();
      state.refine = { eyes: eyes.checked, mouth: mouth.checked };
      sessionStorage.setItem('visage.name', state.name);
      sessionStorage.setItem('visage.eyes', eyes.checked ? '1' : '0');
      sessionStorage.setItem('visage.mouth', mouth.checked ? '1' : '0');
      void go('enroll');
    },
  },
  h('h1', {}, invitedRoom ? `You’re invited to “${invitedRoom}”` : 'Join a call as your avatar'),
  h('p.lead', {}, 'Visage sends only the motion of your face and your voice. Everyone else rebuilds your face on their own device from a few photos you choose.'),
  h('label.field', { for: 'name' }, h('span.field-label', {}, 'Your name'), name),
  h('label.field', { for: 'room' }, h('span.field-label', {}, 'Room'), room, invitedRoom ? null : hint),
  invitedRoom ? null : h('button.btn.btn-ghost.btn-block', { type: 'button', id: 'create-link', onclick: showLink }, 'Create a room link'),
  linkBox,
  h('label.field.check', { for: 'eyes' }, eyes, h('span', {}, ' Refine eyes (experimental): a small neural network on this device redraws the others’ eyes, following blinks and gaze; the closest likeness (~1 MB download, more CPU).')),
  h('label.field.check', { for: 'mouth' }, mouth, h('span', {}, ' Refine mouths (experimental): another one corrects the colour and shading of their mouths — the dark slits and pasted teeth the photo warp can leave — without blurring their teeth (~1 MB download, more CPU).')),
  error,
  h('button.btn.btn-primary.btn-block', { type: 'submit', id: 'continue' }, 'Continue — set up my avatar'));

  const steps = h('ol.steps', {},
    h('li', {}, h('strong', {}, 'Enroll. '), 'Upload a photo or take snapshots. They stay on this device.'),
    h('li', {}, h('strong', {}, 'Preview. '), 'See exactly how others will see you.'),
    h('li', {}, h('strong', {}, 'Talk. '), 'A few kilobits per second of face motion, rebuilt live. Everyone’s video is labelled as an avatar.'));

  app.append(h('section.screen.lobby', { 'data-testid': 'lobby' }, form, h('aside.card.card-muted', {}, h('h2', {}, 'How it works'), steps)));
  (state.name ? room : name).focus();
  return () => undefined;
}
