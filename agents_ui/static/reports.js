// The PQRD report of the supervisor dashboard (page /supervisor): fetched from GET /api/v1/reports/pqrd
// only when the supervisor asks for it (a report is a query over the database, not a live figure).
// The tables carry every number the charts draw, so they are the charts' text alternative.
// Text is always shown with textContent.
const $ = (id) => document.getElementById(id);
const el = (tag, text) => { const e = document.createElement(tag); if (text != null) e.textContent = text; return e; };
const TOKEN_KEY = "pasto195.supervisor.token";  // where supervisor.js keeps the session's token
const API = "/api/v1/reports/pqrd";
const DAY_MS = 86400000;
let periodChart = null;

// Dates of receipt are Bogotá dates; "en-CA" formats them as YYYY-MM-DD.
const bogotaDate = (ms) => new Intl.DateTimeFormat("en-CA", { timeZone: "America/Bogota" }).format(new Date(ms));
const decimal = (n) => (n == null ? "—" : n.toLocaleString("es-CO", { maximumFractionDigits: 1 }));
const status = (text) => { $("informe-estado").textContent = text; };

const SUMMARY = [
  ["Recibidas", (f) => f.received],
  ["Respondidas a tiempo", (f) => f.answered_on_time],
  ["Respondidas tarde", (f) => f.answered_late],
  ["Pendientes", (f) => f.pending],
  ["Vencidas", (f) => f.pending_overdue],
  ["Trasladadas", (f) => f.forwarded],
  ["Prorrogadas", (f) => f.extended],
  ["Desistidas", (f) => f.lapsed],
  ["Promedio de días hábiles de respuesta", (f) => decimal(f.avg_response_days)],
  ["Percentil 90 de días hábiles de respuesta", (f) => decimal(f.p90_response_days)],
];

function setDefaults() {
  const today = Date.now();
  $("informe-hasta").value = bogotaDate(today);
  $("informe-desde").value = bogotaDate(today - 29 * DAY_MS);  // the last 30 days, today included
  $("informe-agrupar").value = "day";
}

function query(format) {
  const params = new URLSearchParams({
    from: $("informe-desde").value, to: $("informe-hasta").value, group_by: $("informe-agrupar").value, format,
  });
  return `${API}?${params}`;
}

async function load() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  status("Cargando el informe…");
  const resp = await fetch(query("json"), { headers: token ? { Authorization: `Bearer ${token}` } : {} })
    .catch(() => null);
  if (!resp) { status("No se pudo contactar al servidor."); return; }
  const body = await resp.json().catch(() => null);
  if (!resp.ok || !body) { status(body && body.error ? body.error.message : "No se pudo cargar el informe."); return; }
  render(body);
  $("informe-csv").href = query("csv");
  $("informe-resultado").hidden = false;
  status(`Informe del ${body.from} al ${body.to}: ${body.totals.received} PQRD recibidas.`);
}

function render(report) {
  const rows = SUMMARY.map(([label, value]) => {
    const tr = el("tr"); const th = el("th", label); th.scope = "row";
    tr.append(th, el("td", String(value(report.totals)))); return tr;
  });
  $("informe-resumen").replaceChildren(...rows);
  renderPeriods(report.periods);
  renderTypes(report.by_type);
}

function renderPeriods(periods) {
  $("informe-periodos").replaceChildren(...periods.map((p) => {
    const tr = el("tr"); const th = el("th", p.label); th.scope = "row";
    tr.append(th, el("td", String(p.figures.received)), el("td", String(p.figures.answered))); return tr;
  }));
  drawPeriods(periods);
}

// A day's ISO date is long under a narrow bar: "2026-11-23" → "23/11" (the table keeps the full date).
const shortLabel = (label) => { const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label); return m ? `${m[3]}/${m[2]}` : label; };

// x is the period's position; the axis shows the period's label (a day, an ISO week or a month).
function drawPeriods(periods) {
  if (!window.uPlot) return;
  const labels = periods.map((p) => shortLabel(p.label));
  const data = [periods.map((_, i) => i), periods.map((p) => p.figures.received), periods.map((p) => p.figures.answered)];
  if (periodChart) periodChart.destroy();
  const bars = window.uPlot.paths.bars({ size: [0.6, 40] });
  periodChart = new window.uPlot({
    width: Math.min(520, window.innerWidth - 40), height: 200,
    scales: { x: { time: false, range: () => [-0.5, Math.max(periods.length - 0.5, 0.5)] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
    series: [
      { label: "Periodo", value: (u, i) => (i == null ? "—" : labels[i]) },
      { label: "Recibidas", stroke: "#0b5394", fill: "#0b539455", paths: bars, points: { show: false } },
      { label: "Respondidas", stroke: "#b35900", width: 2 },
    ],
    axes: [
      { incrs: [1, 2, 5, 7, 10, 14, 30], values: (u, splits) => splits.map((i) => (Number.isInteger(i) ? labels[i] || "" : "")) },
      { label: "PQRD", incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] },
    ],
  }, data, $("informe-grafica"));
}

// By type: a table with a <meter> a row, so the "bars" are native, labelled and need no styles.
function renderTypes(types) {
  const top = Math.max(1, ...types.map((t) => t.figures.received));
  $("informe-tipos").replaceChildren(...types.map((t) => {
    const tr = el("tr"); const th = el("th", t.label); th.scope = "row";
    const meter = el("meter"); meter.min = 0; meter.max = top; meter.value = t.figures.received;
    meter.setAttribute("aria-label", `${t.label}: ${t.figures.received} recibidas`);
    const bar = el("td"); bar.append(meter);
    tr.append(th, el("td", String(t.figures.received)), el("td", String(t.figures.answered)), bar); return tr;
  }));
}

$("form-informe").addEventListener("submit", (ev) => { ev.preventDefault(); load(); });
setDefaults();
