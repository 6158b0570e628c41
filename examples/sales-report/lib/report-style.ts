/** The report's stylesheet: inline in report.html, so the file needs nothing from outside. */
export const REPORT_CSS = `
:root { --ink: #1b2733; --muted: #5b6774; --line: #e3e8ee; --accent: #1f4e79; --up: #2e7d5b; --down: #b5473a; --bg: #f6f8fa; }
* { box-sizing: border-box; }
html { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); font-size: 15px; line-height: 1.5; }
body { margin: 0; }
main { max-width: 980px; margin: 0 auto; padding: 40px 48px 64px; background: white; }
header.cover { border-bottom: 3px solid var(--accent); padding-bottom: 18px; margin-bottom: 24px; }
.eyebrow { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; color: var(--accent); font-weight: 600; margin: 0 0 6px; }
h1 { font-size: 30px; margin: 0 0 6px; line-height: 1.2; }
h2 { font-size: 20px; margin: 36px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 8px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.notes { background: #fff8e6; border-left: 4px solid #e0a526; padding: 10px 14px; margin: 16px 0; font-size: 13.5px; }
.notes p { margin: 2px 0; }
.headline { font-size: 19px; font-weight: 600; line-height: 1.45; margin: 8px 0 14px; }
.summary-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 8px 32px; }
.summary-grid ul, .findings { margin: 0; padding-left: 20px; }
.summary-grid li, .findings li { margin: 5px 0; }
.kpis { display: grid; grid-template-columns: repeat(3, 1fr); gap: 12px; margin: 12px 0; }
.kpi { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; background: #fbfcfd; }
.kpi .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .05em; }
.kpi .value { font-size: 26px; font-weight: 650; margin: 2px 0 4px; }
.kpi .delta { font-size: 12.5px; color: var(--muted); margin: 0; }
.delta .up { color: var(--up); font-weight: 600; }
.delta .down { color: var(--down); font-weight: 600; }
figure.chart { margin: 18px 0 26px; padding: 14px; border: 1px solid var(--line); border-radius: 8px; }
figure.chart svg { display: block; width: 100%; max-width: 820px; height: auto; margin: 0 auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; margin: 8px 0 16px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.up { color: var(--up); } td.down { color: var(--down); }
.tables { display: grid; grid-template-columns: minmax(0, 1fr); }
.how td { font-size: 12.5px; }
.status-succeeded { color: var(--up); font-weight: 600; }
.status-failed, .status-invalid, .status-timeout { color: var(--down); font-weight: 600; }
details { margin: 8px 0; font-size: 13px; }
pre { background: var(--bg); padding: 10px; overflow-x: auto; font-size: 12px; border-radius: 6px; white-space: pre-wrap; }
footer { margin-top: 36px; color: var(--muted); font-size: 12px; border-top: 1px solid var(--line); padding-top: 10px; }
@media (max-width: 760px) { main { padding: 20px; } .kpis { grid-template-columns: 1fr 1fr; } .summary-grid, .tables { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  html { background: white; font-size: 12.5px; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure.chart, .kpi, table, .summary-grid > div { break-inside: avoid; }
  details { display: none; }
  a { color: inherit; text-decoration: none; }
}
`;
