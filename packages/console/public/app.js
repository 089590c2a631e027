// The console's page: Preact + htm, no build step (packages/console/README.md says why). Every
// text that came from a person, a client or the AI is interpolated as text: Preact escapes it,
// and nothing here sets innerHTML.
import { h, render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import htm from 'htm';

const html = htm.bind(h);

const api = async (path, body) => {
  const response = await fetch(
    path,
    body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) },
  );
  const json = await response.json().catch(() => ({}));
  return { status: response.status, json };
};

/** Re-reads every `ms` while the view is open: live updates without reloading. */
const usePolling = (load, ms, deps) => {
  const [value, setValue] = useState(undefined);
  const [error, setError] = useState('');
  const tick = useCallback(async () => {
    try {
      setValue(await load());
      setError('');
    } catch (e) {
      setError(String(e && e.message ? e.message : e));
    }
  }, deps);
  useEffect(() => {
    tick();
    const timer = setInterval(tick, ms);
    return () => clearInterval(timer);
  }, [tick]);
  return [value, error, tick];
};

const time = (iso) => (iso ? new Date(iso).toLocaleString() : '');
const ROLE_LABEL = { user: 'Person', assistant: 'AI', agent: 'Agent' };
const TICKS = {
  queued: '🕓 queued',
  sent: '✓ sent',
  delivered: '✓✓ delivered',
  read: '✓✓ read',
  failed: '✗ failed',
  undelivered: '✗ undelivered',
  received: 'received',
};
const tick = (status) => TICKS[status] || status || '';

const STATUSES = [
  'handed_off',
  'initial_message_sent',
  'reply_received',
  'reply_sent',
  'processing',
  'failed_to_send_message',
  'failed_to_process_ai',
  'failed_secrets_fetch',
  'failed_unknown',
  'opted_out',
];
const CHANNELS = ['whatsapp', 'sms', 'email'];

const Filters = ({ config, filters, setFilters }) => {
  const set = (name) => (event) => setFilters({ ...filters, [name]: event.currentTarget.value });
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()} aria-label="Filter conversations">
    <label>Project
      <select value=${filters.project} onChange=${set('project')}>
        <option value="">All projects</option>
        ${config.projects.map((p) => html`<option value=${`${p.company_id}/${p.project_id}`}>${p.company_name} / ${p.project_name}</option>`)}
      </select>
    </label>
    <label>Channel
      <select value=${filters.channel} onChange=${set('channel')}>
        <option value="">All channels</option>
        ${CHANNELS.map((c) => html`<option value=${c}>${c}</option>`)}
      </select>
    </label>
    <label>Status
      <select value=${filters.status} onChange=${set('status')}>
        <option value="">Any status</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s === 'handed_off' ? 'handed off (with a person)' : s}</option>`)}
      </select>
    </label>
    <label>Recipient
      <input type="search" value=${filters.recipient} onInput=${set('recipient')} placeholder="+44… or name@…" />
    </label>
  </form>`;
};

const ConversationList = ({
  conversations,
  selected,
  onSelect,
}) => html`<ul class="conversation-list" aria-label="Conversations, newest first">
  ${conversations.length === 0 ? html`<li class="empty">No conversations yet. Send one from the Playground.</li>` : null}
  ${conversations.map(
    (c) => html`<li key=${c.conversation_id}>
      <button type="button" class=${`conversation ${selected === c.request_id ? 'selected' : ''}`} aria-pressed=${selected === c.request_id} onClick=${() => onSelect(c)}>
        <span class="who">${[c.recipient.first_name, c.recipient.last_name].filter(Boolean).join(' ') || c.recipient.address}</span>
        <span class=${`tag ${c.channel}`}>${c.channel}</span>
        <span class="status">${c.conversation_status}</span>
        ${c.hand_off_to_human ? html`<span class="badge handoff">with a person</span>` : null}
        <span class="when">${time(c.last_message_at)}</span>
      </button>
    </li>`,
  )}
</ul>`;

const AgentBox = ({ config, conversations, onDone }) => {
  const [channel, setChannel] = useState(conversations[0] ? conversations[0].conversation_id : '');
  const [text, setText] = useState('');
  const [agent, setAgent] = useState('Alex');
  const [key, setKey] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const idempotency = useRef(crypto.randomUUID());
  const target = conversations.find((c) => c.conversation_id === channel) || conversations[0];
  const projectKey = target ? target.conversation_id.split('#').slice(0, 2).join('/') : '';
  const needsKey = target && !config.projects.some((p) => `${p.company_id}/${p.project_id}` === projectKey && p.has_key);
  if (!config.actions) return html`<p class="notice">Read-only: start the console with --allow-actions to answer from here.</p>`;
  const send = async (event) => {
    event.preventDefault();
    setBusy(true);
    const answer = await api('/api/agent/message', {
      conversation_id: target.conversation_id,
      text,
      agent_name: agent,
      idempotency_key: idempotency.current,
      api_key: key,
    });
    setBusy(false);
    if (answer.status === 200 && answer.json.status === 202) {
      setText('');
      idempotency.current = crypto.randomUUID();
      setNotice('Sent: it goes out on the channel in a moment.');
      onDone();
    } else setNotice(`Not sent: ${(answer.json.answer && answer.json.answer.message) || answer.json.error || answer.status}`);
  };
  const handBack = async () => {
    setBusy(true);
    const answer = await api('/api/agent/hand-back', { conversation_id: target.conversation_id, agent_name: agent, api_key: key });
    setBusy(false);
    setNotice(
      answer.json.status === 200 ? 'Handed back: the AI answers the next message.' : `Not handed back: ${JSON.stringify(answer.json)}`,
    );
    onDone();
  };
  return html`<form class="agent-box" onSubmit=${send} aria-label="Answer as an agent">
    <label>Channel
      <select value=${channel} onChange=${(e) => setChannel(e.currentTarget.value)}>
        ${conversations.map((c) => html`<option value=${c.conversation_id}>${c.channel}</option>`)}
      </select>
    </label>
    <label>Your name <input value=${agent} onInput=${(e) => setAgent(e.currentTarget.value)} required maxlength="100" /></label>
    ${needsKey ? html`<label>API key for ${projectKey} <input type="password" value=${key} onInput=${(e) => setKey(e.currentTarget.value)} /></label>` : null}
    <label class="grow">Message to the person
      <textarea value=${text} onInput=${(e) => setText(e.currentTarget.value)} required maxlength="1600" rows="3"></textarea>
    </label>
    <div class="buttons">
      <button type="submit" disabled=${busy || !text.trim()}>Send as agent</button>
      <button type="button" class="secondary" onClick=${handBack} disabled=${busy}>Hand back to the AI</button>
    </div>
    <p class="notice" role="status" aria-live="polite">${notice}</p>
  </form>`;
};

const Thread = ({ config, selection, onChanged }) => {
  const [thread, error, reload] = usePolling(
    async () =>
      (
        await api(
          `/api/thread?company_id=${encodeURIComponent(selection.company_id)}&project_id=${encodeURIComponent(selection.project_id)}&request_id=${encodeURIComponent(selection.request_id)}`,
        )
      ).json,
    1500,
    [selection.request_id],
  );
  if (!thread) return html`<section class="thread" aria-label="Thread"><p>${error || 'Loading…'}</p></section>`;
  if (!thread.conversations) return html`<section class="thread"><p>This request has no thread yet.</p></section>`;
  const lines = thread.conversations
    .flatMap((c) => c.messages.map((m) => ({ ...m, conversation: c })))
    .sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
  const handedOff = thread.conversations.some((c) => c.summary && c.summary.hand_off_to_human);
  const reason = thread.conversations.map((c) => c.summary && c.summary.hand_off_reason).find(Boolean);
  const optedOut = thread.conversations.filter((c) => c.summary && c.summary.conversation_status === 'opted_out');
  return html`<section class="thread" aria-label="Thread">
    <h2>${[selection.recipient.first_name, selection.recipient.last_name].filter(Boolean).join(' ') || selection.recipient.address}</h2>
    <p class="meta">Request ${selection.request_id} · thread ${thread.thread_id || '(not yet)'} · ${thread.conversations.map((c) => c.channel).join(', ')}</p>
    ${handedOff ? html`<p class="banner handoff" role="note">Handed off to a person${reason ? `: ${reason}` : ''}. The AI does not answer until you hand it back.</p>` : null}
    ${optedOut.map((c) => html`<p class="banner optout" role="note">The person opted out of ${c.channel}.</p>`)}
    <ol class="messages">
      ${lines.map(
        (m) => html`<li key=${m.message_id} class=${`message ${m.role}`}>
          <div class="from"><strong>${m.role === 'agent' ? `Agent ${m.agent_name || ''}` : ROLE_LABEL[m.role] || m.role}</strong> <span class=${`tag ${m.channel}`}>${m.channel}</span> <time>${time(m.timestamp)}</time></div>
          ${m.subject ? html`<div class="subject">${m.subject}</div>` : null}
          <div class="text">${m.content}</div>
          ${m.role !== 'user' ? html`<div class="delivery">${tick((m.delivery && m.delivery.delivery_status) || 'queued')}${m.delivery && m.delivery.delivery_error ? ` — ${m.delivery.delivery_error}` : ''}</div>` : null}
        </li>`,
      )}
    </ol>
    <details class="deliveries">
      <summary>Attempts and failures</summary>
      <ul>
        ${thread.conversations.flatMap((c) =>
          c.deliveries.map(
            (d) =>
              html`<li>${c.channel} · ${d.message_key}: ${d.message_status}, ${d.attempts} attempt(s)${d.failure_reason ? ` — ${d.failure_reason}` : ''}${d.retries_exhausted_at ? ' (in the DLQ)' : ''}</li>`,
          ),
        )}
      </ul>
    </details>
    <${AgentBox} config=${config} conversations=${thread.conversations.map((c) => ({ channel: c.channel, conversation_id: c.conversation_id }))} onDone=${() => (reload(), onChanged())} />
  </section>`;
};

const ConversationsView = ({ config }) => {
  const [filters, setFilters] = useState({ project: '', channel: '', status: '', recipient: '' });
  const [selection, setSelection] = useState(undefined);
  const query = () => {
    const [company_id, project_id] = filters.project ? filters.project.split('/') : ['', ''];
    const params = new URLSearchParams({
      company_id,
      project_id,
      channel: filters.channel,
      status: filters.status,
      recipient: filters.recipient,
    });
    return `/api/conversations?${params}`;
  };
  const [list, error, reload] = usePolling(async () => (await api(query())).json.conversations || [], 1500, [JSON.stringify(filters)]);
  return html`<div class="split">
    <section class="list" aria-label="Conversations">
      <h1>Conversations</h1>
      <${Filters} config=${config} filters=${filters} setFilters=${setFilters} />
      ${error ? html`<p class="error" role="alert">${error}</p>` : null}
      <${ConversationList} conversations=${list || []} selected=${selection && selection.request_id} onSelect=${setSelection} />
    </section>
    ${selection ? html`<${Thread} config=${config} selection=${selection} onChanged=${reload} />` : html`<section class="thread"><p>Choose a conversation.</p></section>`}
  </div>`;
};

const PersonView = ({ person, setPerson }) => {
  const [channel, setChannel] = useState('whatsapp');
  const [text, setText] = useState('');
  const [notice, setNotice] = useState('');
  const [view] = usePolling(
    async () => (await api(`/api/person?tel=${encodeURIComponent(person.tel)}&email=${encodeURIComponent(person.email)}`)).json,
    1000,
    [person.tel, person.email],
  );
  const lines = ((view && view.lines) || []).filter((l) => l.channel === channel);
  const company = [...lines].reverse().find((l) => l.company);
  const reply = async (event) => {
    event.preventDefault();
    const answer = await api('/api/person/reply', {
      channel,
      from: channel === 'email' ? person.email : person.tel,
      to: company ? company.company : '',
      text,
    });
    if (answer.status === 200) {
      setText('');
      setNotice(`Sent (the engine's webhook answered ${answer.json.webhook_status}).`);
    } else setNotice(`Not sent: ${answer.json.error || answer.status}`);
  };
  const title = { whatsapp: 'WhatsApp chat', sms: 'SMS thread', email: 'Mailbox' }[channel];
  return html`<section class="person" aria-label="The person's side">
    <h1>The person's side</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <label>Phone <input value=${person.tel} onInput=${(e) => setPerson({ ...person, tel: e.currentTarget.value })} /></label>
      <label>E-mail <input value=${person.email} onInput=${(e) => setPerson({ ...person, email: e.currentTarget.value })} /></label>
    </form>
    <div role="tablist" aria-label="Channel" class="tabs">
      ${CHANNELS.map((c) => html`<button type="button" role="tab" aria-selected=${channel === c} class=${channel === c ? 'active' : ''} onClick=${() => setChannel(c)}>${{ whatsapp: 'WhatsApp', sms: 'SMS', email: 'E-mail' }[c]}</button>`)}
    </div>
    <div class=${`phone ${channel}`} role="tabpanel" aria-label=${title}>
      <ol class="chat">
        ${lines.length === 0 ? html`<li class="empty">Nothing on ${title} yet.</li>` : null}
        ${lines.map(
          (l) => html`<li key=${l.id} class=${`bubble ${l.direction}`}>
            ${l.subject ? html`<div class="subject">${l.subject}</div>` : null}
            <div class="text">${l.text}</div>
            <div class="meta"><time>${time(l.at)}</time> ${l.direction === 'to_person' ? tick(l.status) : ''}</div>
          </li>`,
        )}
      </ol>
      <form class="reply" onSubmit=${reply} aria-label=${`Reply on ${title}`}>
        <label class="grow">Reply as the person <textarea value=${text} onInput=${(e) => setText(e.currentTarget.value)} rows="2" required></textarea></label>
        <button type="submit" disabled=${!text.trim() || (channel !== 'email' && !company)}>Send</button>
      </form>
      <p class="notice" role="status" aria-live="polite">${notice}</p>
    </div>
  </section>`;
};

const PlaygroundView = ({ config, setPerson, go }) => {
  const first = config.projects[0];
  const [form, setForm] = useState({
    project: first ? `${first.company_id}/${first.project_id}` : '',
    first_name: 'John',
    last_name: 'Doe',
    tel: `+4477009${String(Math.floor(Math.random() * 100000)).padStart(5, '0')}`,
    email: `john.${Math.floor(Math.random() * 100000)}@example.com`,
    channels: ['whatsapp', 'email'].filter((c) => !first || (first.allowed_channels || []).includes(c)),
    job_role: 'Healthcare Assistant',
  });
  const [result, setResult] = useState(undefined);
  const set = (name) => (e) => {
    const value = e.currentTarget.value;
    const project = config.projects.find((p) => `${p.company_id}/${p.project_id}` === value);
    // A project's channels: those it allows, of the ones ticked.
    setForm(
      name === 'project' && project
        ? { ...form, project: value, channels: form.channels.filter((c) => (project.allowed_channels || []).includes(c)) }
        : { ...form, [name]: value },
    );
  };
  const toggle = (c) =>
    setForm({ ...form, channels: form.channels.includes(c) ? form.channels.filter((x) => x !== c) : [...form.channels, c] });
  const send = async (event) => {
    event.preventDefault();
    const [company_id, project_id] = form.project.split('/');
    const request = {
      company_data: { company_id, project_id },
      recipient_data: {
        recipient_first_name: form.first_name,
        recipient_last_name: form.last_name,
        recipient_tel: form.tel,
        recipient_email: form.email,
        comms_consent: true,
      },
      project_data: { jobID: '9999', jobRole: form.job_role },
      request_data: { request_id: crypto.randomUUID(), channel_method: form.channels, initial_request_timestamp: new Date().toISOString() },
    };
    const answer = await api('/api/playground', { request });
    setResult(answer.json);
    setPerson({ tel: form.tel, email: form.email });
  };
  if (!config.actions) return html`<p class="notice">Read-only console: the playground sends requests, start it with --allow-actions.</p>`;
  return html`<section class="playground" aria-label="Playground">
    <h1>Playground</h1>
    <p>Sends <code>POST /initiate-conversation</code> with the project's key, as a client would.</p>
    <form onSubmit=${send} class="grid">
      <label>Project
        <select value=${form.project} onChange=${set('project')}>
          ${config.projects.map((p) => html`<option value=${`${p.company_id}/${p.project_id}`}>${p.company_name} / ${p.project_name}</option>`)}
        </select>
      </label>
      <label>First name <input value=${form.first_name} onInput=${set('first_name')} maxlength="100" /></label>
      <label>Last name <input value=${form.last_name} onInput=${set('last_name')} maxlength="100" /></label>
      <label>Phone <input value=${form.tel} onInput=${set('tel')} /></label>
      <label>E-mail <input value=${form.email} onInput=${set('email')} /></label>
      <label>Job role <input value=${form.job_role} onInput=${set('job_role')} /></label>
      <fieldset><legend>Channels</legend>
        ${CHANNELS.map((c) => html`<label class="inline"><input type="checkbox" checked=${form.channels.includes(c)} onChange=${() => toggle(c)} /> ${c}</label>`)}
      </fieldset>
      <button type="submit" disabled=${form.channels.length === 0}>Send request</button>
    </form>
    ${
      result
        ? html`<div class="result" role="status">
          <p>The API answered ${result.status}.</p>
          <pre>${JSON.stringify(result.answer, null, 2)}</pre>
          ${result.status === 200 && config.person_side ? html`<button type="button" onClick=${() => go('person')}>Open the person's side</button>` : null}
        </div>`
        : null
    }
  </section>`;
};

const DlqView = ({ config }) => {
  const [data, error, reload] = usePolling(async () => (await api('/api/dlqs')).json.dlqs || [], 3000, []);
  const [notice, setNotice] = useState('');
  const redrive = async (name) => {
    const answer = await api('/api/dlqs/redrive', { name });
    setNotice(
      answer.status === 200 ? `Moved ${answer.json.moved} message(s) back to the ${name} queue.` : `Not redriven: ${answer.json.error}`,
    );
    reload();
  };
  return html`<section class="dlqs" aria-label="Dead-letter queues">
    <h1>Dead-letter queues</h1>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <p class="notice" role="status" aria-live="polite">${notice}</p>
    <ul>
      ${(data || []).map(
        (q) => html`<li key=${q.name} class="dlq">
          <h2>${q.name} <span class="count">${q.depth} message(s)</span></h2>
          <ul>${q.messages.map((m) => html`<li>${m.conversation_id || m.message_id} · received ${m.receive_count} time(s) · parked ${time(m.sent_at)}${m.failure_reason ? html` · <span class="reason">${m.failure_reason}</span>` : ''}</li>`)}</ul>
          ${config.actions && q.depth > 0 ? html`<button type="button" onClick=${() => redrive(q.name)}>Redrive ${q.name}</button>` : null}
        </li>`,
      )}
    </ul>
  </section>`;
};

const ClientEventsView = () => {
  const [data, error] = usePolling(async () => (await api('/api/client-events')).json.deliveries || [], 2000, []);
  return html`<section class="dlqs" aria-label="Client events">
    <h1>Events to the client</h1>
    <p>What demo project A's events endpoint (the local demo client) received, newest first: each signed by Standard Webhooks (<code>webhook-id</code>, <code>webhook-timestamp</code>, <code>webhook-signature</code>).</p>
    ${error ? html`<p class="error" role="alert">${error}</p>` : null}
    <ul>
      ${(data || []).length === 0 ? html`<li class="empty">No event yet.</li>` : null}
      ${(data || []).map(
        (d) => html`<li key=${`${d.webhook_id}-${d.received_at}`} class="dlq">
          <strong>${d.type || '(unreadable)'}</strong> · answered ${d.status} · ${time(d.received_at)}
          <div class="meta">${d.webhook_id} · ${d.conversation_id || ''}</div>
          <details><summary>Body and signature</summary><pre>${d.webhook_signature}
${d.body}</pre></details>
        </li>`,
      )}
    </ul>
  </section>`;
};

const App = () => {
  const [config, setConfig] = useState(undefined);
  const [route, setRoute] = useState(location.hash.replace('#', '') || 'conversations');
  const [person, setPerson] = useState({ tel: '', email: '' });
  useEffect(() => {
    api('/api/config').then((answer) => setConfig(answer.json));
    const onHash = () => setRoute(location.hash.replace('#', '') || 'conversations');
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const go = (to) => (location.hash = to);
  if (!config) return html`<p class="loading">Loading the console…</p>`;
  const tabs = [
    ['conversations', 'Conversations'],
    ...(config.person_side ? [['person', "Person's side"]] : []),
    ['playground', 'Playground'],
    ['dlqs', 'Dead letters'],
    ...(config.person_side ? [['events', 'Client events']] : []),
  ];
  return html`<div class="app">
    <header>
      <span class="brand">AI Multi-Comms</span>
      <span class=${`stage ${config.local ? 'local' : 'remote'}`}>${config.local ? 'local stack' : `stage ${config.stage}`}${config.actions ? '' : ' · read-only'}</span>
      <nav aria-label="Console">
        ${tabs.map(([id, label]) => html`<a href=${`#${id}`} aria-current=${route === id ? 'page' : undefined}>${label}</a>`)}
        <a href="/reference">API reference</a>
      </nav>
    </header>
    <main>
      ${
        route === 'person' && config.person_side
          ? html`<${PersonView} person=${person} setPerson=${setPerson} />`
          : route === 'playground'
            ? html`<${PlaygroundView} config=${config} setPerson=${setPerson} go=${go} />`
            : route === 'dlqs'
              ? html`<${DlqView} config=${config} />`
              : route === 'events' && config.person_side
                ? html`<${ClientEventsView} />`
                : html`<${ConversationsView} config=${config} />`
      }
    </main>
  </div>`;
};

render(html`<${App} />`, document.getElementById('app'));
