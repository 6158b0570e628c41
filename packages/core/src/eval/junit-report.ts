/**
 * JUnit XML of a suite report, the format CI systems read: one `testsuite`, one `testcase` per
 * case, a `failure` holding what differed, `skipped` with why.
 */
import type { CaseReport, EvalReport } from './types.ts';

/** The report as JUnit XML. */
export function junitXml(report: EvalReport): string {
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);
  const counts = `tests="${report.cases.length}" failures="${report.failed}" errors="0" skipped="${report.skipped}" time="${seconds(report.durationMs)}"`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="baton eval" ${counts}>`,
    `  <testsuite name="${attr(report.suite)}" ${counts}>`,
    '    <properties>',
    `      <property name="planner" value="${attr(report.planner)}"/>`,
    ...(report.manifest ? [`      <property name="manifest" value="${attr(report.manifest)}"/>`] : []),
    '    </properties>',
    ...report.cases.map((c) => testcase(c, report, seconds)),
    '  </testsuite>',
    '</testsuites>',
  ];
  return `${lines.join('\n')}\n`;
}

function testcase(c: CaseReport, report: EvalReport, seconds: (ms: number) => string): string {
  const open = `    <testcase classname="${attr(report.suite)}" name="${attr(c.name)}" time="${seconds(c.durationMs)}"${c.line !== undefined && report.file ? ` file="${attr(report.file)}" line="${c.line}"` : ''}`;
  if (c.outcome === 'passed') return `${open}/>`;
  if (c.outcome === 'skipped') return `${open}>\n      <skipped message="${attr(c.skipped ?? 'skipped')}"/>\n    </testcase>`;
  const first = c.differences[0];
  const detail = [
    ...(c.goal !== undefined ? [`goal: ${c.goal}`] : []),
    ...c.differences.map((d) => `${d.expectation}: ${d.message}`),
    ...(c.planAgents ? [`planned: ${c.planAgents.join(', ')}`] : []),
    ...(c.status !== undefined && !c.differences.some((d) => d.expectation === 'status') ? [`run: ${c.status}${c.reason ? `: ${c.reason}` : ''}`] : []),
  ].join('\n');
  const message = first ? `${first.expectation}: ${first.message}` : 'failed';
  return `${open}>\n      <failure message="${attr(message)}" type="${attr(first?.expectation ?? 'failure')}">${text(detail)}</failure>\n    </testcase>`;
}

// Characters XML 1.0 cannot hold at all, even escaped: control characters other than tab, LF, CR,
// lone surrogates, U+FFFE and U+FFFF. They are replaced so one odd byte in an agent's error cannot
// make the whole file unreadable to a CI server.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Element text: `&` and `<` escaped (and `>`, for `]]>`). */
function text(s: string): string {
  return s.replace(NOT_XML, '\uFFFD').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value in double quotes; line breaks and tabs kept as character references. */
function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
