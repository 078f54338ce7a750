// Login: user, password and the justification every request of the session carries.
import { api, session } from '../api.js';
import { h, mount } from '../util.js';

// A justification is a sentence an auditor can read, not a tick box.
const JUSTIFICATION_CHARS_MIN = 8;
const JUSTIFICATION_CHARS_MAX = 500;

export async function render(main, { showError, ready }) {
  const user = h('input', { id: 'login-user', name: 'user', autocomplete: 'username', required: true, autofocus: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const justification = h('input', {
    id: 'login-justification', name: 'justification', required: true,
    minlength: JUSTIFICATION_CHARS_MIN, maxlength: JUSTIFICATION_CHARS_MAX,
    value: session.justification || 'Operation Kestrel: Western Balkans smuggling network',
  });
  const submit = h('button', { type: 'submit' }, 'Log in');
  const form = h('form', {
    'aria-label': 'Log in',
    onsubmit: async (e) => {
      e.preventDefault();
      const j = justification.value.trim();
      if (j.length < JUSTIFICATION_CHARS_MIN) {
        showError(new Error(`The justification needs at least ${JUSTIFICATION_CHARS_MIN} characters: name the operation or case.`));
        return;
      }
      submit.disabled = true;
      try {
        const r = await api.login(user.value.trim(), password.value);
        session.start(r.token, r.user, j);
        location.hash = '#/search';
      } catch (err) {
        showError(err);
        password.select();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('label', {}, 'User', user),
  h('label', {}, 'Password', password),
  h('label', {}, 'Justification for this session (sent with every search and read, and audited)', justification),
  submit);
  mount(main, h('section', { class: 'login' },
    h('h1', {}, 'Corridor — log in'),
    form,
    h('details', { class: 'demo-logins' }, h('summary', {}, 'Demo logins'),
      h('p', {}, 'uk.analyst, rs.analyst, mk.analyst, xk.analyst, al.analyst (each with a <x>.supervisor who answers requests), alfiu.analyst, uk.auditor — password corridor-demo (printed by corridor demo).'))));
  user.focus();
  ready('login');
}
