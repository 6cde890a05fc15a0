/** The page shell and its stylesheet; the client builds everything inside #app. */

export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tsrl dashboard</title>
<link rel="stylesheet" href="/assets/app.css">
<link rel="icon" href="data:,">
</head>
<body>
<div id="app"></div>
<script src="/assets/echarts.min.js"></script>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`;

export const PAGE_CSS = `
:root {
  --bg: #f5f6f8; --card: #ffffff; --border: #e2e5ea; --border-strong: #cfd4dc;
  --text: #1d2330; --muted: #647084; --accent: #2563eb; --accent-soft: #eaf1ff;
  --ok: #15803d; --ok-soft: #e7f6ec; --bad: #b42318; --bad-soft: #fdecea;
  --warn: #b45309; --warn-soft: #fdf2e3; --run: #1d4ed8; --run-soft: #e8effe;
  --radius: 10px; --shadow: 0 1px 2px rgba(16, 24, 40, .05);
}
* { box-sizing: border-box; }
html, body { margin: 0; background: var(--bg); color: var(--text); }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 22px; margin: 0; font-weight: 650; overflow-wrap: anywhere; }
h2 { font-size: 15px; margin: 0 0 12px; font-weight: 650; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }

.topbar { position: sticky; top: 0; z-index: 10; display: flex; align-items: center; gap: 20px; height: 52px; padding: 0 24px; background: #fff; border-bottom: 1px solid var(--border); }
.brand { font-weight: 700; font-size: 16px; color: var(--text); letter-spacing: -.01em; }
.brand span { color: var(--muted); font-weight: 500; }
.brand:hover { text-decoration: none; }
.topbar nav { display: flex; gap: 4px; }
.topbar nav a { padding: 6px 12px; border-radius: 8px; color: var(--muted); font-weight: 550; }
.topbar nav a:hover { background: var(--bg); text-decoration: none; color: var(--text); }
.topbar nav a.active { background: var(--accent-soft); color: var(--accent); }
.topbar .spacer { flex: 1; }
.store-path { color: var(--muted); font-size: 12.5px; max-width: 40vw; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.live { display: inline-flex; align-items: center; gap: 6px; font-size: 12.5px; color: var(--muted); }
.live i { width: 8px; height: 8px; border-radius: 50%; background: #c3c8d0; }
.live.on i { background: #22c55e; box-shadow: 0 0 0 3px rgba(34, 197, 94, .18); }

main { max-width: 1440px; margin: 0 auto; padding: 24px; }
.card { background: var(--card); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 18px 20px; }
.stack { display: flex; flex-direction: column; gap: 18px; }
.row { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; }
.row.nowrap { flex-wrap: nowrap; }
.muted { color: var(--muted); }
.page-head { display: flex; align-items: flex-start; justify-content: space-between; gap: 16px; flex-wrap: wrap; }
.page-head .meta { display: flex; gap: 8px; flex-wrap: wrap; margin-top: 8px; align-items: center; }
.chip { display: inline-flex; align-items: center; gap: 4px; padding: 2px 9px; border-radius: 999px; background: var(--bg); border: 1px solid var(--border); font-size: 12.5px; color: var(--text); max-width: 100%; overflow-wrap: anywhere; }
.chip b { font-weight: 600; color: var(--muted); }

.toolbar { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.toolbar .grow { flex: 1; }
.field { display: inline-flex; align-items: center; gap: 8px; color: var(--muted); font-size: 13px; }
input[type=search], input[type=number], select { height: 34px; padding: 0 10px; border: 1px solid var(--border-strong); border-radius: 8px; background: #fff; color: var(--text); font: inherit; }
input[type=search] { width: 280px; }
input[type=number] { width: 90px; }
input[type=range] { accent-color: var(--accent); width: 140px; }
input[type=checkbox] { accent-color: var(--accent); width: 15px; height: 15px; margin: 0; vertical-align: middle; }
input:focus, select:focus, .btn:focus-visible { outline: 2px solid var(--accent-soft); border-color: var(--accent); }
.btn { display: inline-flex; align-items: center; justify-content: center; gap: 6px; height: 34px; padding: 0 14px; border-radius: 8px; border: 1px solid var(--border-strong); background: #fff; color: var(--text); font: inherit; font-weight: 550; cursor: pointer; white-space: nowrap; }
.btn:hover:not(:disabled) { background: #f2f4f7; text-decoration: none; }
.btn:disabled { opacity: .45; cursor: default; }
.btn.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
.btn.primary:hover:not(:disabled) { background: #1d4ed8; }
.btn.danger { color: var(--bad); border-color: #f3c0ba; }
.btn.small { height: 28px; padding: 0 10px; font-size: 12.5px; }
.segmented { display: inline-flex; border: 1px solid var(--border-strong); border-radius: 8px; overflow: hidden; }
.segmented button { border: 0; background: #fff; padding: 0 12px; height: 32px; font: inherit; color: var(--muted); cursor: pointer; }
.segmented button + button { border-left: 1px solid var(--border-strong); }
.segmented button.on { background: var(--accent-soft); color: var(--accent); font-weight: 600; }

.table-wrap { overflow: auto; border: 1px solid var(--border); border-radius: var(--radius); background: #fff; max-height: calc(100vh - 220px); }
table { border-collapse: separate; border-spacing: 0; width: 100%; }
th, td { padding: 9px 12px; text-align: left; border-bottom: 1px solid var(--border); white-space: nowrap; }
th { position: sticky; top: 0; background: #f9fafb; font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; z-index: 1; }
th.sortable { cursor: pointer; user-select: none; }
th.sortable:hover { color: var(--text); }
th .arrow { display: inline-block; width: 12px; color: var(--accent); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.name { max-width: 360px; overflow: hidden; text-overflow: ellipsis; font-weight: 550; }
tbody tr:hover { background: #f8faff; }
tbody tr.selected { background: var(--accent-soft); }
tbody tr:last-child td { border-bottom: 0; }
td.check, th.check { width: 36px; padding-right: 0; }

.badge { display: inline-flex; align-items: center; gap: 6px; padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; text-transform: lowercase; }
.badge::before { content: ""; width: 6px; height: 6px; border-radius: 50%; background: currentColor; }
.badge.running { color: var(--run); background: var(--run-soft); }
.badge.running::before { animation: pulse 1.4s ease-in-out infinite; }
.badge.finished { color: var(--ok); background: var(--ok-soft); }
.badge.failed { color: var(--bad); background: var(--bad-soft); }
.badge.killed { color: var(--warn); background: var(--warn-soft); }
@keyframes pulse { 50% { opacity: .25; } }

.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 16px; }
.charts.wide { grid-template-columns: 1fr; }
.chart-card { background: #fff; border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); padding: 8px; }
.chart { height: 320px; width: 100%; }
.charts.wide .chart { height: 440px; }
.chart-note { font-size: 12px; color: var(--muted); padding: 0 8px 4px; min-height: 18px; }

.grid-2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 18px; align-items: start; }
.kv { width: 100%; }
.kv td { white-space: normal; overflow-wrap: anywhere; vertical-align: top; padding: 6px 10px; }
.kv td:first-child { color: var(--muted); width: 38%; }
.kv-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); column-gap: 28px; }
.kv-item { display: flex; justify-content: space-between; gap: 16px; padding: 6px 4px; border-bottom: 1px solid var(--border); min-width: 0; }
.kv-key { color: var(--muted); overflow-wrap: anywhere; }
.kv-value { text-align: right; overflow-wrap: anywhere; }
.card-table { overflow-x: auto; margin: 0 -4px; }
.card-table th { position: static; }
.tags { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin-top: 8px; }
.tag { display: inline-flex; align-items: center; gap: 4px; padding: 1px 8px; border-radius: 999px; background: #eef2ff; color: #3730a3; border: 1px solid #c7d2fe; font-size: 12px; font-weight: 550; }
.tag-remove { border: 0; background: none; color: inherit; cursor: pointer; padding: 0 0 0 2px; font-size: 13px; line-height: 1; }
.tag-input { height: 26px; width: 110px; padding: 0 8px; border: 1px dashed var(--border-strong); border-radius: 999px; font: inherit; font-size: 12px; }
.name-input { height: 36px; min-width: 320px; padding: 0 10px; border: 1px solid var(--border-strong); border-radius: 8px; font: inherit; font-size: 18px; font-weight: 650; }
.notes { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.notes-input { width: 100%; box-sizing: border-box; padding: 8px 10px; border: 1px solid var(--border-strong); border-radius: 8px; font: inherit; resize: vertical; }
.edit-error { color: var(--bad); font-size: 12.5px; }
.row.spaced { margin-top: 8px; }
.hp-table td { font-variant-numeric: tabular-nums; }
.hp-table th { text-transform: none; letter-spacing: 0; font-size: 12.5px; }
td.name .tag { margin-left: 6px; }
.card:empty { display: none; }

.banner { padding: 12px 16px; border-radius: var(--radius); border: 1px solid; }
.banner.spaced { margin-top: 14px; }
.banner.error { background: var(--bad-soft); border-color: #f3c0ba; color: var(--bad); }
.banner.info { background: var(--accent-soft); border-color: #c7d7fe; color: #1e3a8a; }
.empty { text-align: center; padding: 56px 24px; }
.empty h2 { font-size: 18px; }
.empty pre { display: inline-block; text-align: left; background: #0f172a; color: #e2e8f0; padding: 12px 16px; border-radius: 8px; }

.replay { display: grid; grid-template-columns: minmax(0, 1fr) 360px; gap: 18px; align-items: start; }
.replay canvas { max-width: 100%; height: auto; border: 1px solid var(--border); border-radius: 8px; background: #fff; image-rendering: auto; display: block; margin: 0 auto; }
.stats-table { width: auto; min-width: 420px; margin-top: 6px; }
.stats-table th { position: static; }
.decision { padding: 2px 9px; border-radius: 999px; font-size: 12px; font-weight: 600; background: #eef0f3; color: #555; }
.decision.larger { background: #dff3ec; color: #00704f; }
.decision.smaller { background: #fbe6dc; color: #a4430b; }
.stats { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
.stat { background: var(--bg); border-radius: 8px; padding: 10px 12px; }
.stat .label { font-size: 12px; color: var(--muted); }
.stat .value { font-size: 22px; font-weight: 650; font-variant-numeric: tabular-nums; }
.episode-state { margin-top: 10px; min-height: 22px; font-weight: 550; }
@media (max-width: 900px) { .replay { grid-template-columns: 1fr; } input[type=search] { width: 100%; } }
`;
