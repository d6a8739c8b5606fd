// The supervisor dashboard (page /supervisor): the server pushes `dashboard` snapshots (coalesced,
// a few a second at most); this page never polls. Text is always shown with textContent.
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };
const say = (text) => { $("avisos").textContent = text; };
const TOKEN_KEY = "pasto195.supervisor.token";
const PRESENCE = { available: "Disponible", away: "Ausente", offline: "Desconectado", busy: "Ocupado" };
let socket = null;
let chart = null;
let slChart = null;
window.dashboardAges = [];  // ms between the snapshot's generation and its arrival (read by the tests)

$("form-ingreso").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const resp = await fetch("/api/v1/auth/login", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: $("correo").value, password: $("clave").value }) });
  const body = await resp.json();
  if (!resp.ok) { say(body.error.message); return; }
  sessionStorage.setItem(TOKEN_KEY, body.token);
  open(body.token);
});

async function call(event, data) {
  const ack = await socket.timeout(10000).emitWithAck(event, data).catch(() => null);
  if (!ack) { say("Sin respuesta del servidor."); return null; }
  if (!ack.ok) { say(ack.error.message); return null; }
  return ack;
}

function open(token) {
  socket = io("/supervisors", { auth: { token }, transports: ["websocket"] });
  socket.on("connect_error", (err) => say(err.data ? err.data.message : "No se pudo conectar."));
  socket.on("connect", () => { $("ingreso").hidden = true; $("tablero").hidden = false; });
  socket.on("dashboard", render);
  socket.on("ticket.escalated", (e) => say(`Escalamiento: radicado ${e.radicado}`));
  socket.on("error", (e) => say(e.error ? e.error.message : "Error"));
}

// A queue's business hours now: open, or closed with its next opening in Bogotá's time.
function hours(q) {
  if (q.open == null) return "—";
  if (q.open) return "Abierta";
  if (!q.next_open) return "Cerrada";
  const when = new Date(q.next_open).toLocaleString("es-CO", { timeZone: "America/Bogota", weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
  return `Cerrada (abre ${when})`;
}

function render(d) {
  window.dashboardAges.push(Date.now() - new Date(d.generated_at).getTime());
  $("actualizado").textContent = `Actualizado: ${new Date(d.generated_at).toLocaleTimeString("es-CO")}`;
  const colas = $("colas"); colas.replaceChildren();
  d.queues.forEach((q) => {
    const tr = el("tr"); tr.dataset.queue = q.code;
    const sl = q.service_level == null ? "—" : `${q.service_level} %`;
    [q.name, String(q.waiting), String(q.longest_wait_seconds), sl, hours(q)].forEach((v, i) => tr.append(el("td", v, i === 1 ? "espera" : null)));
    colas.append(tr);
  });
  const fun = $("funcionarios"); fun.replaceChildren();
  d.officials.forEach((o) => {
    const tr = el("tr");
    const since = o.in_state_seconds == null ? "—" : `${Math.floor(o.in_state_seconds / 60)} min`;
    [o.name, (PRESENCE[o.presence] || o.presence) + (o.away_reason ? ` (${o.away_reason})` : ""), since, String(o.load.conversations), String(o.load.pqrd)].forEach((v) => tr.append(el("td", v)));
    const td = el("td");
    const sel = el("select"); sel.setAttribute("aria-label", `Nuevo estado de ${o.name}`);
    [["available", "Disponible"], ["away", "Ausente"], ["offline", "Desconectado"]].forEach(([k, v]) => { const op = el("option", v); op.value = k; sel.append(op); });
    const go = el("button", "Cambiar"); go.type = "button";
    go.addEventListener("click", () => call("set_presence", { official_id: o.id, presence: sel.value, reason: sel.value === "away" ? "Indicado por el supervisor" : null }));
    td.append(sel, go); tr.append(td); fun.append(tr);
  });
  const ven = $("vencimientos"); ven.replaceChildren();
  d.pqrd.forEach((p) => {
    const tr = el("tr");
    [p.name, String(p.overdue), String(p.today), String(p.two_days)].forEach((v) => tr.append(el("td", v)));
    ven.append(tr);
  });
  const esc = $("escalamientos"); esc.replaceChildren();
  d.escalations.forEach((e) => esc.append(el("li", `${e.radicado} · ${e.subject} · vence ${e.due_date} · paso ${e.step}`)));
  drawChart(d.history || []);
  drawServiceLevel(d.service_levels || []);
}

const chartWidth = () => Math.min(520, window.innerWidth - 40);

function drawChart(history) {
  if (!window.uPlot || history.length === 0) return;
  const data = [history.map((h) => h[0]), history.map((h) => h[1])];
  if (!chart) {
    chart = new uPlot({ width: chartWidth(), height: 180, series: [{}, { label: "En espera", stroke: "#0b5394", width: 2 }], axes: [{}, { label: "Ciudadanos" }] }, data, $("grafica-espera"));
  } else chart.setData(data);
}

// One point a minute since midnight (percent, or null before the first answered contact).
function drawServiceLevel(levels) {
  const last = levels.length ? levels[levels.length - 1][1] : null;
  $("nivel-actual").textContent = last == null ? "Sin contactos atendidos hoy." : `Ahora: ${last} %`;
  if (!window.uPlot || levels.length === 0) return;
  const data = [levels.map((p) => p[0]), levels.map((p) => p[1])];
  if (!slChart) {
    slChart = new uPlot({ width: chartWidth(), height: 180, scales: { y: { range: [0, 100] } }, series: [{}, { label: "Nivel de servicio (%)", stroke: "#38761d", width: 2, spanGaps: false }], axes: [{}, { label: "%" }] }, data, $("grafica-nivel"));
  } else slChart.setData(data);
}

$("form-reasignar").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const ack = await call("reassign", { ticket_id: Number($("reasignar-ticket").value), official_id: Number($("reasignar-funcionario").value), reason: $("reasignar-motivo").value });
  if (ack) say("PQRD reasignada.");
});

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) open(saved);
