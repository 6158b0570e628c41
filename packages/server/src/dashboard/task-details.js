// The selected task: what it was asked, what it got, every attempt with its errors and
// validation messages, and what it produced.
import { badge, empty, fmtDuration, fmtTime, h, jsonBlock, STATUS_LABEL } from './util.js';

/** The artifacts a task received: the outputs of the tasks that produced what it consumes. */
function inputsOf(planTask, run) {
  const inputs = {};
  for (const artifact of planTask.consumes) {
    const producer = run.tasks.find((t) => t.output && Object.prototype.hasOwnProperty.call(t.output, artifact));
    if (producer) inputs[artifact] = producer.output[artifact];
  }
  return inputs;
}

/**
 * How many of a task's attempts its table shows, the last ones: a task retried thousands of times
 * (a poll that keeps failing) had a row made for each at every read, and its page fell tens of
 * seconds behind the run.
 */
export const ATTEMPTS_SHOWN = 50;

/** What the attempts not shown were, as "4,503 failed, 2 timed out". */
function statusCounts(attempts) {
  const counts = new Map();
  for (const a of attempts) {
    const status = a.status || 'running';
    counts.set(status, (counts.get(status) || 0) + 1);
  }
  return [...counts].map(([status, n]) => `${n.toLocaleString()} ${(STATUS_LABEL[status] || status).toLowerCase()}`).join(', ');
}

function attemptsTable(task) {
  if (!task || !task.attempts.length) return empty('No attempt yet.');
  const hidden = Math.max(0, task.attempts.length - ATTEMPTS_SHOWN);
  const earlier = task.attempts.slice(0, hidden);
  return h(
    'table',
    { class: 'attempts' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Agent'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Took'), h('th', {}, 'Message'))),
    h(
      'tbody',
      {},
      hidden > 0
        ? h(
            'tr',
            { class: 'attempts-hidden' },
            h('td', { colspan: 6, class: 'muted' }, `${hidden.toLocaleString()} earlier attempt${hidden > 1 ? 's' : ''} not shown (#${earlier[0].n} to #${earlier[hidden - 1].n}, from ${fmtTime(earlier[0].startedAt)}): ${statusCounts(earlier)}`),
          )
        : null,
      task.attempts.slice(hidden).map((a, i) => {
        const prev = task.attempts[hidden + i - 1];
        const took = a.endedAt ? Date.parse(a.endedAt) - Date.parse(a.startedAt) : Date.now() - Date.parse(a.startedAt);
        const notes = [];
        if (prev && prev.agent !== a.agent) notes.push(h('div', { class: 'note reassign' }, `↪ reassigned from ${prev.agent}`));
        if (a.feedback) notes.push(h('div', { class: 'note feedback' }, h('span', { class: 'label' }, 'Feedback given: '), a.feedback));
        if (a.error) notes.push(h('div', { class: `note ${a.status === 'invalid' ? 'validation' : 'error'}` }, h('span', { class: 'label' }, a.status === 'invalid' ? 'Validation: ' : 'Error: '), a.error));
        return h(
          'tr',
          {},
          h('td', {}, String(a.n)),
          h('td', {}, a.agent, a.agentVersion ? h('span', { class: 'muted small' }, ` v${a.agentVersion}`) : null),
          h('td', {}, badge(a.status || 'running')),
          h('td', {}, fmtTime(a.startedAt)),
          h('td', { class: 'num' }, fmtDuration(took)),
          h('td', { class: 'msg' }, notes.length ? notes : h('span', { class: 'muted' }, '—')),
        );
      }),
    ),
  );
}

function section(title, body, open = true) {
  return h('details', { class: 'section', open }, h('summary', {}, title), h('div', { class: 'section-body' }, body));
}

/** Renders the details of `taskId` in `run`. */
export function taskDetails(run, taskId) {
  const planTask = run.plan.tasks.find((t) => t.id === taskId);
  const task = run.tasks.find((t) => t.id === taskId);
  if (!planTask && !task) return empty('Select a task in the plan or the timeline.');
  const status = task ? task.status : 'pending';
  const inputs = planTask ? inputsOf(planTask, run) : {};
  const messages = (task ? task.attempts : []).filter((a) => a.error);
  return h(
    'div',
    { class: 'task-details', 'data-task': taskId },
    h(
      'div',
      { class: 'task-head' },
      h('div', {}, h('h3', {}, planTask ? planTask.title : taskId), h('div', { class: 'mono small muted' }, `${taskId} · agent ${task ? task.agent : planTask.agent}`)),
      badge(status),
    ),
    task && task.reason ? h('p', { class: `alert ${status === 'failed' ? 'danger' : 'warn'}` }, task.reason) : null,
    planTask && planTask.reason ? h('p', { class: 'muted small' }, `Planned because: ${planTask.reason}`) : null,
    section(`Attempts (${task ? task.attempts.length : 0})${messages.length ? ` · ${messages.length} message${messages.length > 1 ? 's' : ''}` : ''}`, attemptsTable(task)),
    planTask ? section('Instructions', h('pre', { class: 'instructions' }, planTask.instructions), false) : null,
    section(
      `Input${planTask && planTask.consumes.length ? `: ${planTask.consumes.join(', ')}` : ''}`,
      planTask && planTask.consumes.length ? jsonBlock(inputs) : empty('This task needs no input artifact; it starts from the goal.'),
      false,
    ),
    section(`Output${planTask ? `: ${planTask.produces.join(', ')}` : ''}`, task && task.output ? jsonBlock(task.output) : empty(status === 'running' ? 'Working…' : 'No output.'), status === 'succeeded'),
  );
}
