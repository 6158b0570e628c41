// The selected task: what it was asked, what it got, every attempt with its errors and
// validation messages, and what it produced.
import { badge, empty, fmtDuration, fmtTime, h, jsonBlock } from './util.js';

/** The artifacts a task received: the outputs of the tasks that produced what it consumes. */
function inputsOf(planTask, run) {
  const inputs = {};
  for (const artifact of planTask.consumes) {
    const producer = run.tasks.find((t) => t.output && Object.prototype.hasOwnProperty.call(t.output, artifact));
    if (producer) inputs[artifact] = producer.output[artifact];
  }
  return inputs;
}

function attemptsTable(task) {
  if (!task || !task.attempts.length) return empty('No attempt yet.');
  return h(
    'table',
    { class: 'attempts' },
    h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'Agent'), h('th', {}, 'Status'), h('th', {}, 'Started'), h('th', { class: 'num' }, 'Took'), h('th', {}, 'Message'))),
    h(
      'tbody',
      {},
      task.attempts.map((a, i) => {
        const prev = task.attempts[i - 1];
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
