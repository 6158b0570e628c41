// The run parameters on the start page: a field per property of the manifest's orchestrator.params
// (a JSON Schema of type object). The server checks the values against the schema; here they are
// only read into the right JSON type.
import { h } from './util.js';

function fieldFor(name, prop, required) {
  const id = `param-${name}`;
  const type = Array.isArray(prop.type) ? prop.type.find((t) => t !== 'null') : prop.type;
  const label = h('label', { for: id }, name, required ? h('span', { class: 'required', title: 'required' }, ' *') : null);
  const hint = prop.description ? h('p', { class: 'hint' }, prop.description) : null;
  let input;
  let read;
  if (Array.isArray(prop.enum)) {
    input = h(
      'select',
      { id, name: id, 'data-param': name },
      required && prop.default === undefined ? null : h('option', { value: '' }, '(default)'),
      prop.enum.map((v) => h('option', { value: JSON.stringify(v), selected: v === prop.default }, String(v))),
    );
    read = () => (input.value === '' ? undefined : JSON.parse(input.value));
  } else if (type === 'boolean') {
    input = h('input', { id, name: id, type: 'checkbox', class: 'checkbox', 'data-param': name, checked: prop.default === true });
    read = () => input.checked;
  } else if (type === 'integer' || type === 'number') {
    input = h('input', { id, name: id, type: 'number', step: type === 'integer' ? '1' : 'any', 'data-param': name, value: prop.default ?? '', required });
    read = () => (input.value === '' ? undefined : Number(input.value));
  } else if (type === 'string') {
    const kind = prop.format === 'date' ? 'date' : prop.format === 'email' ? 'email' : 'text';
    input = h('input', { id, name: id, type: kind, 'data-param': name, value: prop.default ?? '', placeholder: prop.examples ? String(prop.examples[0]) : '', required });
    read = () => (input.value === '' ? undefined : input.value);
  } else {
    input = h('textarea', { id, name: id, rows: 3, class: 'mono', 'data-param': name, placeholder: 'JSON', required }, prop.default === undefined ? '' : JSON.stringify(prop.default, null, 2));
    read = () => {
      if (input.value.trim() === '') return undefined;
      try {
        return JSON.parse(input.value);
      } catch {
        throw new Error(`${name}: write it as JSON`);
      }
    };
  }
  return { element: h('div', { class: 'param-field' }, label, input, hint), read };
}

/**
 * The fields of a parameters schema, and a function reading them into `params` (left-out optional
 * fields are left out, so the schema's defaults apply). Undefined when the orchestrator takes no
 * parameters.
 */
export function paramsFields(schema) {
  if (!schema || typeof schema !== 'object' || !schema.properties) return undefined;
  const required = new Set(schema.required || []);
  const fields = Object.entries(schema.properties).map(([name, prop]) => [name, fieldFor(name, prop || {}, required.has(name))]);
  return {
    element: h('fieldset', { class: 'params', id: 'params-form' }, h('legend', {}, 'Parameters'), fields.map(([, f]) => f.element)),
    read() {
      const params = {};
      for (const [name, f] of fields) {
        const v = f.read();
        if (v !== undefined) params[name] = v;
      }
      return params;
    },
  };
}
