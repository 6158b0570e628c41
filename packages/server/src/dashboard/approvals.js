// Decisions on a run: what waits (the plan, editable as JSON, or a gated task and its input) with
// Approve and Reject buttons, and every decision taken, with who and when.
import { api } from './api.js';
import { card, fmtTime, h, jsonBlock } from './util.js';

const DECIDER_KEY = 'baton-decider';

function deciderField() {
  const input = h('input', { id: 'decider', type: 'text', maxlength: 200, placeholder: 'dashboard', value: localStorage.getItem(DECIDER_KEY) || '' });
  input.addEventListener('change', () => localStorage.setItem(DECIDER_KEY, input.value.trim()));
  return { element: h('div', { class: 'decide-field' }, h('label', { for: 'decider' }, 'Your name'), input), by: () => input.value.trim() || 'dashboard' };
}

function what(p) {
  return p.kind === 'plan' ? 'The plan' : `Task ${p.taskId}`;
}

/** The panel for one pending decision; `onDone` is told once it is taken. */
function pendingPanel(runId, p, onDone) {
  const by = deciderField();
  const words = h('input', { id: `words-${p.taskId || 'plan'}`, type: 'text', maxlength: 4000, placeholder: 'a note with an approval, the reason of a rejection' });
  const error = h('p', { class: 'form-error', role: 'alert', hidden: true });
  const original = p.plan ? JSON.stringify(p.plan, null, 2) : undefined;
  const editor = original ? h('textarea', { id: 'plan-editor', class: 'mono plan-editor', rows: 14, spellcheck: 'false', 'aria-label': 'Plan (JSON, editable)' }, original) : null;
  const approve = h('button', { class: 'btn primary', type: 'button', id: p.kind === 'plan' ? 'approve-plan' : `approve-${p.taskId}` }, 'Approve');
  const reject = h('button', { class: 'btn danger', type: 'button', id: p.kind === 'plan' ? 'reject-plan' : `reject-${p.taskId}` }, 'Reject');
  const edited = h('span', { class: 'muted small edited-flag', hidden: true }, 'edited: the plan will run as you changed it');
  editor?.addEventListener('input', () => {
    edited.hidden = editor.value.trim() === original.trim();
    approve.textContent = edited.hidden ? 'Approve' : 'Approve edited plan';
  });
  const act = async (decision) => {
    error.hidden = true;
    const body = { by: by.by() };
    if (p.taskId) body.taskId = p.taskId;
    const text = words.value.trim();
    if (text) body[decision === 'approve' ? 'note' : 'reason'] = text;
    if (decision === 'approve' && editor && editor.value.trim() !== original.trim()) {
      try {
        body.plan = JSON.parse(editor.value);
      } catch (e) {
        error.textContent = `The plan is not valid JSON: ${e.message}`;
        error.hidden = false;
        return;
      }
    }
    approve.disabled = reject.disabled = true;
    try {
      await (decision === 'approve' ? api.approve(runId, body) : api.reject(runId, body));
      onDone();
    } catch (e) {
      error.textContent = e.message;
      error.hidden = false;
      approve.disabled = reject.disabled = false;
    }
  };
  approve.addEventListener('click', () => act('approve'));
  reject.addEventListener('click', () => act('reject'));
  const body =
    p.kind === 'plan'
      ? [h('p', {}, 'Nothing runs until it is approved. Edit the JSON to change what runs (it is checked again).'), editor]
      : [
          h('p', {}, `Agent ${p.agent} would run it with this input; nothing is sent before it is approved.`),
          p.task && p.task.instructions ? h('p', { class: 'small' }, p.task.instructions) : null,
          jsonBlock(p.input || {}),
        ];
  return h(
    'div',
    { class: 'pending', 'data-kind': p.kind, 'data-task': p.taskId || '' },
    h('h3', { class: 'sub' }, `${what(p)} waits for your decision`, p.expiresAt ? h('span', { class: 'muted small' }, ` · until ${fmtTime(p.expiresAt)}`) : null),
    ...body,
    h('div', { class: 'decide-row' }, by.element, h('div', { class: 'decide-field grow' }, h('label', { for: words.id }, 'Note or reason'), words)),
    error,
    h('div', { class: 'actions' }, edited, reject, approve),
  );
}

/** What waits for a decision now (null when nothing does). */
export function pendingCard(run, onDone) {
  if (!run.awaiting || !run.awaiting.length) return null;
  return h('div', { id: 'approval' }, card('Waiting for a decision', h('span', { class: 'badge st-awaiting-approval' }, 'Awaiting approval'), ...run.awaiting.map((p) => pendingPanel(run.runId, p, onDone))));
}

/** Every decision taken on the run, with who and when; an edited plan shown before and after (null when none). */
export function decisionsCard(run, requestedPlan) {
  if (!run.approvals || !run.approvals.length) return null;
  const rows = run.approvals.map((a) =>
    h(
      'li',
      { class: `decision ${a.decision}`, 'data-by': a.by },
      h('strong', {}, `${a.kind === 'plan' ? 'The plan' : `Task ${a.taskId}`}${a.planEdited ? ' (edited)' : ''} ${a.decision}`),
      h('span', {}, ` by ${a.by}`),
      h('span', { class: 'muted small' }, ` at ${fmtTime(a.at)}`),
      a.reason ? h('p', { class: 'small' }, `Reason: ${a.reason}`) : null,
      a.note ? h('p', { class: 'small' }, `Note: ${a.note}`) : null,
      a.planEdited && requestedPlan
        ? h('div', { class: 'plan-diff' }, h('div', {}, h('h4', {}, 'Plan before the edit'), jsonBlock(requestedPlan)), h('div', {}, h('h4', {}, 'Plan as approved'), jsonBlock(run.plan)))
        : null,
    ),
  );
  return h('div', { id: 'decisions' }, card('Decisions', null, h('ul', { class: 'decision-list' }, rows)));
}
