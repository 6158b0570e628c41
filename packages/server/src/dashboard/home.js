// The home page: start a run, the orchestrator's agents, and the runs list (refreshed live).
import { api } from './api.js';
import { paramsFields } from './params-form.js';
import { badge, card, empty, fmtDuration, fmtTime, h, isEnded, runDuration } from './util.js';

const PAGE = 25;

function startForm(orchestrator, workflows) {
  const example = orchestrator && orchestrator.deliverable.length ? `e.g. Produce ${orchestrator.deliverable.join(', ')} for Q2 2025` : 'What do you want done?';
  const goal = h('textarea', { id: 'goal', name: 'goal', rows: 3, maxlength: 4000, required: true, placeholder: example, 'aria-label': 'Goal' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const submit = h('button', { type: 'submit', class: 'btn primary', id: 'start-run' }, 'Start run');
  const params = paramsFields(orchestrator && orchestrator.params);
  const workflow =
    workflows && workflows.length
      ? h(
          'select',
          { id: 'workflow', name: 'workflow' },
          h('option', { value: '' }, 'Plan it from the goal'),
          workflows.map((w) => h('option', { value: w.name }, `Workflow ${w.name}${w.description ? `: ${w.description}` : ''}`)),
        )
      : null;
  workflow?.addEventListener('change', () => {
    // A workflow is a fixed plan: the goal becomes optional.
    goal.required = workflow.value === '';
  });
  const form = h(
    'form',
    { class: 'start-form', id: 'start-form' },
    h('label', { for: 'goal' }, 'Goal'),
    goal,
    h('p', { class: 'hint' }, 'Describe the result in plain language. The orchestrator plans it into tasks, delegates them to its agents and validates every output.'),
    workflow ? h('div', { class: 'param-field' }, h('label', { for: 'workflow' }, 'Plan'), workflow) : null,
    params ? params.element : null,
    error,
    h('div', { class: 'actions' }, submit),
  );
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = goal.value.trim();
    const body = {};
    if (text) body.goal = text;
    if (workflow && workflow.value) body.workflow = workflow.value;
    error.hidden = true;
    try {
      if (params) {
        const values = params.read();
        if (Object.keys(values).length) body.params = values;
      }
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      return;
    }
    if (!body.goal && !body.workflow) return;
    submit.disabled = true;
    submit.textContent = 'Starting…';
    try {
      const { runId } = await api.startRun(body);
      location.hash = `#/runs/${runId}`;
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      submit.disabled = false;
      submit.textContent = 'Start run';
    }
  });
  goal.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) form.requestSubmit();
  });
  return form;
}

function agentsList(info) {
  if (!info) return empty('Loading agents…');
  return h(
    'ul',
    { class: 'agent-list' },
    info.agents
      .filter((a) => a.subagent)
      .map((a) =>
        h(
          'li',
          {},
          h('div', { class: 'agent-head' }, h('strong', {}, a.name), h('span', { class: 'kind' }, a.kind), h('span', { class: 'muted small' }, `v${a.version}`)),
          h('p', { class: 'small' }, a.description),
          h(
            'div',
            { class: 'chips' },
            a.consumes.map((c) => h('span', { class: 'chip in', title: 'consumes' }, c)),
            a.consumes.length ? h('span', { class: 'arrow' }, '→') : null,
            a.produces.map((p) => h('span', { class: 'chip out', title: 'produces' }, p)),
            a.fallback.length ? h('span', { class: 'muted small' }, ` fallback: ${a.fallback.join(', ')}`) : null,
            a.approval === 'required' ? h('span', { class: 'badge st-awaiting-approval', title: 'each task given to this agent waits for a decision' }, 'approval required') : null,
          ),
        ),
      ),
  );
}

function runsTable(runs) {
  if (!runs.length) return empty('No runs yet. Start one above.');
  return h(
    'table',
    { class: 'runs-table' },
    h('thead', {}, h('tr', {}, h('th', {}, 'Status'), h('th', {}, 'Goal'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Duration'), h('th', {}, 'Run'))),
    h(
      'tbody',
      {},
      runs.map((r) => {
        const row = h(
          'tr',
          { class: 'run-row', 'data-run': r.runId, 'data-status': r.status, tabindex: 0 },
          h('td', {}, badge(r.status)),
          h('td', { class: 'goal-cell' }, h('a', { href: `#/runs/${r.runId}` }, r.goal)),
          h('td', {}, fmtTime(r.createdAt)),
          h('td', { class: 'num' }, !isEnded(r.status) ? fmtDuration(runDuration(r)) : fmtDuration(Date.parse(r.updatedAt) - Date.parse(r.createdAt))),
          h('td', { class: 'mono small muted' }, r.runId),
        );
        row.addEventListener('click', (e) => {
          if (e.target.tagName !== 'A') location.hash = `#/runs/${r.runId}`;
        });
        row.addEventListener('keydown', (e) => {
          if (e.key === 'Enter') location.hash = `#/runs/${r.runId}`;
        });
        return row;
      }),
    ),
  );
}

/** Renders the home page into `root`; returns a cleanup function. */
export function homeView(root, agentsInfo) {
  const runsBody = h('div', {}, empty('Loading runs…'));
  const more = h('button', { class: 'btn', type: 'button', hidden: true }, 'Load older runs');
  const filter = h(
    'select',
    { 'aria-label': 'Filter by status', class: 'filter' },
    ['all', 'running', 'awaiting-approval', 'succeeded', 'partial', 'failed', 'cancelled'].map((st) => h('option', { value: st }, st === 'all' ? 'All statuses' : st)),
  );
  let pages = 1;
  let timer;
  let stopped = false;
  /** Counts loads: one begun since (a filter changed while a list was read) makes an earlier one stale. */
  let latest = 0;

  const load = async () => {
    const mine = ++latest;
    const current = () => !stopped && mine === latest;
    try {
      const params = { limit: String(PAGE * pages) };
      if (filter.value !== 'all') params.status = filter.value;
      const { runs, next } = await api.listRuns(params);
      if (!current()) return;
      runsBody.replaceChildren(runsTable(runs));
      more.hidden = !next;
    } catch (e) {
      if (current()) runsBody.replaceChildren(h('p', { class: 'form-error' }, `Could not load runs: ${e.message}`));
    }
    // Only the latest load polls on: a stale one scheduling too would make a second polling loop.
    if (current()) timer = setTimeout(load, 2500);
  };
  more.addEventListener('click', () => {
    pages++;
    clearTimeout(timer);
    load();
  });
  filter.addEventListener('change', () => {
    clearTimeout(timer);
    load();
  });

  const orch = agentsInfo && agentsInfo.orchestrator;
  root.replaceChildren(
    h(
      'div',
      { class: 'home-grid' },
      card('Start a run', orch ? h('span', { class: 'muted small' }, orch.description) : null, startForm(orch, agentsInfo && agentsInfo.workflows)),
      card('Agents', orch ? h('span', { class: 'muted small' }, `planner: ${orch.planner}`) : null, agentsList(agentsInfo)),
    ),
    card('Runs', filter, runsBody, h('div', { class: 'actions center' }, more)),
  );
  load();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
