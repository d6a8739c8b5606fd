// The agent console (page /agents). Text from the server is always shown with textContent.
import { startSoftphone } from "./softphone.js";
const $ = (id) => document.getElementById(id);
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; };
const say = (text) => { $("avisos").textContent = text; };
const TOKEN_KEY = "pasto195.agent.token";
const PRESENCE = { available: "Disponible", away: "Ausente", offline: "Desconectado", busy: "Ocupado" };
let socket = null;
const conversations = new Map(); // conversation_id -> {node, workItemId, channel}

async function call(event, data) {
  const ack = await socket.timeout(10000).emitWithAck(event, data).catch(() => null);
  if (!ack) { say("Sin respuesta del servidor; intente de nuevo."); return null; }
  if (!ack.ok) { say(ack.error.message); return null; }
  return ack;
}

$("form-ingreso").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const resp = await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: $("correo").value, password: $("clave").value }),
  });
  const body = await resp.json();
  if (!resp.ok) { say(body.error.message); return; }
  sessionStorage.setItem(TOKEN_KEY, body.token);
  open(body.token, body.official);
});

function open(token, official) {
  socket = io("/agents", { auth: { token }, transports: ["websocket"] });
  socket.on("connect_error", (err) => { say(err.data ? err.data.message : "No se pudo conectar."); });
  socket.on("console.ready", (e) => {
    $("ingreso").hidden = true; $("consola").hidden = false;
    $("quien").textContent = `${e.official.name} (${e.official.role})`;
    showPresence(e.presence, e.reason);
    loadTickets();
    startSoftphone(token);
  });
  socket.on("presence", (e) => showPresence(e.presence, e.reason));
  socket.on("offer", addOffer);
  socket.on("offer.revoked", (e) => { removeOffer(e.offer_id); say("La oferta ya no está disponible."); });
  socket.on("assignment", (e) => { if (e.conversation_id && !conversations.has(e.conversation_id)) openConversation(e.conversation_id, e.work_item_id); });
  socket.on("message", (m) => { const c = conversations.get(m.conversation_id); if (c) addMessage(c.node, m); });
  socket.on("typing", (e) => { const c = conversations.get(e.conversation_id); if (c) c.node.querySelector(".escribiendo").textContent = e.typing ? "El ciudadano está escribiendo…" : ""; });
  socket.on("chat.ended", (e) => { const c = conversations.get(e.conversation_id); if (c && e.by === "citizen") c.node.querySelector(".titulo").append(el("span", " — el ciudadano salió", "aviso")); });
  socket.on("chat.pqrd", (e) => { const c = conversations.get(e.conversation_id); if (c) c.node.querySelector(".radicado").textContent = `Radicado ${e.radicado}`; });
  socket.on("ticket.updated", () => loadTickets());
  socket.on("ticket.escalated", (e) => { say(`Alerta de vencimiento: radicado ${e.radicado}`); loadTickets(); });
  socket.on("error", (e) => say(e.error ? e.error.message : "Error"));
}

function showPresence(presence, reason) {
  $("estado-actual").textContent = `Estado actual: ${PRESENCE[presence] || presence}${reason ? " (" + reason + ")" : ""}`;
}

$("form-estado").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const presence = $("estado-presencia").value;
  const reason = presence === "away" ? ($("estado-motivo").value || null) : null;
  const ack = await call("presence", { presence, reason });
  if (ack) showPresence(ack.presence, ack.reason);
});

function addOffer(o) {
  const li = el("li", null, "oferta"); li.dataset.offer = o.offer_id;
  const what = o.channel === "voice" ? "Llamada entrante" : o.kind === "ticket" ? "PQRD" : "Chat";
  li.append(el("strong", `${what} · cola ${o.queue}`), el("span", "", "cuenta"));
  const accept = el("button", "Aceptar"); accept.type = "button";
  const reject = el("button", "Rechazar"); reject.type = "button";
  accept.addEventListener("click", async () => {
    const ack = await call("accept", { offer_id: o.offer_id });
    removeOffer(o.offer_id);
    if (ack && ack.conversation) renderConversation(ack, ack.work_item_id);
    if (ack && ack.ticket_id) loadTickets();
  });
  reject.addEventListener("click", async () => { await call("reject", { offer_id: o.offer_id }); removeOffer(o.offer_id); });
  li.append(accept, reject);
  $("ofertas").append(li);
  say(`Nueva oferta: ${what}`);
  const expires = new Date(o.expires_at).getTime();
  const tick = () => {
    const left = Math.max(0, Math.round((expires - Date.now()) / 1000));
    li.querySelector(".cuenta").textContent = ` — ${left} s para responder `;
    if (left > 0 && li.isConnected) setTimeout(tick, 500);
  };
  tick();
}

function removeOffer(id) { document.querySelector(`[data-offer="${Number(id)}"]`)?.remove(); }

async function openConversation(id, workItemId) {
  const ack = await call("open", { conversation_id: id });
  if (ack) renderConversation(ack, workItemId);
}

function addMessage(node, m) {
  const list = node.querySelector(".mensajes");
  if (list.querySelector(`[data-id="${Number(m.id)}"]`)) return;
  const who = m.sender === "official" ? (m.author || "Funcionario") : m.sender === "citizen" ? "Ciudadano" : "Sistema";
  const li = el("li", null, "msg msg-" + m.sender + (m.internal ? " interna" : ""));
  li.dataset.id = m.id;
  li.append(el("strong", who + (m.internal ? " (nota interna)" : "") + ": "), el("span", m.body));
  list.append(li);
}

function renderConversation(ack, workItemId) {
  const c = ack.conversation;
  if (conversations.has(c.id)) return;
  const node = $("plantilla-conversacion").content.firstElementChild.cloneNode(true);
  node.querySelector(".titulo").textContent = `${c.channel === "voice" ? "Llamada" : "Chat"} #${c.id} · ${c.topic || ""}`;
  ack.messages.forEach((m) => addMessage(node, m));
  renderHistory(node, ack.history);
  if (c.channel === "voice") { node.querySelector(".llamada").hidden = false; }
  conversations.set(c.id, { node, workItemId, channel: c.channel });
  wire(node, c.id);
  $("conversaciones").append(node);
}

function renderHistory(node, h) {
  const ul = node.querySelector(".historial ul"); ul.replaceChildren();
  if (h.citizen) node.querySelector(".historial h4").textContent = `Historial de ${h.citizen.name || "ciudadano sin nombre"}`;
  h.conversations.forEach((x) => ul.append(el("li", `${x.channel} #${x.id} · ${x.state} · ${x.started_at.slice(0, 16).replace("T", " ")}`)));
  h.tickets.forEach((t) => ul.append(el("li", `PQRD ${t.radicado} · ${t.status_label} · vence ${t.due_date}`, "urg-" + t.urgency)));
}

function wire(node, id) {
  const conv = () => conversations.get(id);
  node.querySelector(".form-responder").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = node.querySelector(".texto");
    const ack = await call("send", { conversation_id: id, client_id: crypto.randomUUID(), body: text.value, internal: node.querySelector(".interna").checked });
    if (ack) { addMessage(node, ack.message); text.value = ""; }
  });
  let last = 0;
  node.querySelector(".texto").addEventListener("input", () => {
    if (Date.now() - last > 2000) { last = Date.now(); socket.emit("typing", { conversation_id: id, typing: true }); }
  });
  const search = node.querySelector(".buscar");
  node.querySelector(".form-plantillas").addEventListener("submit", (ev) => ev.preventDefault());
  search.addEventListener("input", async () => {
    const ack = await call("canned", { query: search.value });
    const ul = node.querySelector(".plantillas"); ul.replaceChildren();
    (ack ? ack.answers : []).forEach((a) => {
      const b = el("button", `${a.shortcut} · ${a.title}`); b.type = "button";
      b.addEventListener("click", () => { node.querySelector(".texto").value = a.body; node.querySelector(".texto").focus(); });
      const li = el("li"); li.append(b); ul.append(li);
    });
  });
  node.querySelector(".form-transferir").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const queue = node.querySelector(".cola").value.trim(); const official = node.querySelector(".funcionario").value.trim();
    const ack = await call("transfer", { work_item_id: conv().workItemId, conversation_id: id, to_queue_code: queue || null, to_official_id: official ? Number(official) : null });
    if (ack) { say("Conversación transferida."); node.remove(); conversations.delete(id); }
  });
  node.querySelector(".form-pqrd").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ack = await call("convert_pqrd", { conversation_id: id, type: node.querySelector(".tipo").value, subject: node.querySelector(".asunto").value, description: node.querySelector(".descripcion").value });
    if (ack) { node.querySelector(".radicado").textContent = `Radicado ${ack.radicado}`; say(`PQRD radicada: ${ack.radicado}`); loadTickets(); }
  });
  node.querySelector(".form-cierre").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const ack = await call("complete", { conversation_id: id, work_item_id: conv().workItemId || null, wrap_up_code: node.querySelector(".tipificacion").value });
    if (ack) { node.remove(); conversations.delete(id); say("Conversación finalizada."); }
  });
  node.querySelector(".retener").addEventListener("click", async () => {
    conv().held = !conv().held;
    await call("call_hold", { conversation_id: id, on: conv().held });
  });
  node.querySelector(".colgar").addEventListener("click", () => call("call_hangup", { conversation_id: id }));
}

const ACTIONS = { start: "Iniciar trámite", answer: "Responder", request_completion: "Solicitar completar (suspende)", record_completion: "Ciudadano completó", extend: "Prorrogar", forward: "Trasladar", close: "Cerrar" };

async function loadTickets() {
  const ack = await call("tickets", {});
  if (!ack) return;
  const body = $("pqrd"); body.replaceChildren();
  ack.tickets.forEach((t) => {
    const tr = el("tr", null, "urg-" + t.urgency);
    const days = t.days_left == null ? "suspendido" : t.days_left < 0 ? `vencido (${t.days_left})` : String(t.days_left);
    [t.radicado, t.subject, t.status_label, t.due_date, days].forEach((v) => tr.append(el("td", v)));
    const td = el("td"); const form = el("form", null, "accion-pqrd");
    const sel = el("select"); sel.setAttribute("aria-label", `Acción sobre ${t.radicado}`);
    Object.entries(ACTIONS).forEach(([k, v]) => { const o = el("option", v); o.value = k; sel.append(o); });
    const text = el("input"); text.setAttribute("aria-label", `Texto, motivo o respuesta para ${t.radicado}`);
    const date = el("input"); date.type = "date"; date.setAttribute("aria-label", `Nueva fecha (prórroga) de ${t.radicado}`);
    const authority = el("input"); authority.setAttribute("aria-label", `Entidad competente (traslado) de ${t.radicado}`);
    const go = el("button", "Aplicar"); go.type = "submit";
    form.append(sel, text, date, authority, go);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ack2 = await call("ticket_action", { ticket_id: t.id, action: sel.value, text: text.value || null, new_due_date: date.value || null, authority: authority.value || null });
      if (ack2) { say(`${t.radicado}: ${ack2.ticket.status_label}`); loadTickets(); }
    });
    td.append(form); tr.append(td); body.append(tr);
  });
}
$("recargar-pqrd").addEventListener("click", loadTickets);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) open(saved, null);
