// The citizen's chat (page /portal/chat). Every text from the server is shown with textContent.
const TOKEN_KEY = "pasto195.chat.token";
const $ = (id) => document.getElementById(id);
const socket = io("/chat", { transports: ["websocket"] });
const shown = new Set();      // message ids already on screen
const pending = new Map();    // client_id -> {body, li}: sent, not yet acknowledged as stored
let conversationId = null;
let attended = false;     // an official joined (a PQRD left then does not end the chat)
let waitTimer = null;     // offers the PQRD after CHAT_OFFER_PQRD_AFTER_SECONDS of waiting
const LIVE = ["open", "queued", "offered", "active"];

// A due date (a Bogotá calendar date, YYYY-MM-DD) in words: "30 de diciembre de 2026".
const fecha = (day) => new Date(`${day}T12:00:00Z`).toLocaleDateString("es-CO", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });

// Errors and notices are shown on screen (next to where the citizen is) and announced.
function say(text) {
  $("avisos").textContent = text;
  const box = $("chat-sala").hidden ? $("aviso-inicio") : $("aviso-chat");
  box.textContent = text;
  box.hidden = !text;
}

function status(text) { $("estado").textContent = text; }

function addMessage(m) {
  if (m.id && shown.has(m.id)) return;
  let li = m.client_id && pending.get(m.client_id)?.li;
  if (!li) {
    li = document.createElement("li");
    $("mensajes").appendChild(li);
  }
  li.className = "msg msg-" + m.sender;
  li.replaceChildren();
  const who = document.createElement("strong");
  who.textContent = m.sender === "citizen" ? "Usted" : m.sender === "official" ? (m.author || "Funcionario") : "Sistema";
  const body = document.createElement("span");
  body.textContent = " " + m.body;
  li.append(who, body);
  if (m.id) {
    shown.add(m.id);
    li.dataset.id = m.id;
    if (m.sender === "citizen") {
      const ok = document.createElement("small");
      ok.className = "entregado";
      ok.textContent = " ✓ entregado";
      li.append(ok);
    }
  }
  if (m.client_id) pending.delete(m.client_id);
  if (m.sender === "official") $("escribiendo").textContent = "";
  li.scrollIntoView({ block: "nearest" });
}

function showPosition(p) {
  if (!p) return;
  const eta = p.eta_seconds != null ? `; espera estimada ${Math.max(1, Math.round(p.eta_seconds / 60))} min` : "";
  status(`Está en la posición ${p.position} de la fila${eta}.`);
}

function enterRoom(state) {
  $("chat-inicio").hidden = true;
  $("chat-sala").hidden = false;
  if (state === "queued" || state === "offered") { status("Esperando a un funcionario…"); startWaiting(); }
  else if (state === "active") { attended = true; status("Conversación en curso."); }
  else if (state === "out_of_hours") { status("Fuera del horario de atención."); $("dejar-pqrd").open = true; }
  else ended("La conversación terminó. Gracias por comunicarse.");
}

// Nobody answered for a while: say so on screen and open the PQRD form (the citizen may still wait).
function startWaiting() {
  clearTimeout(waitTimer);
  const after = Number($("chat-sala").dataset.offerPqrdAfter || 90);
  waitTimer = setTimeout(() => { $("sin-respuesta").hidden = false; $("dejar-pqrd").open = true; }, after * 1000);
}

function stopWaiting() { clearTimeout(waitTimer); $("sin-respuesta").hidden = true; }

// The chat is over: visibly, the box cannot be used any more, and a new chat can be started.
function ended(text) {
  stopWaiting();
  $("fin-texto").textContent = text;
  $("fin").hidden = false;
  $("escribiendo").textContent = "";
  status(text);
  for (const id of ["texto", "terminar"]) $(id).disabled = true;
  $("form-mensaje").querySelector("button[type=submit]").disabled = true;
  $("dejar-pqrd").hidden = $("radicado").textContent === "";
  for (const [clientId, p] of pending) { markUnsent(p.li, p.body, "la conversación terminó"); pending.delete(clientId); }
}

function markUnsent(li, body, why) {
  li.className = "msg msg-citizen no-enviado";
  li.textContent = `Usted: ${body} (no enviado: ${why})`;
}

async function resume(token) {
  const ack = await socket.timeout(10000).emitWithAck("resume", { token }).catch(() => null);
  if (!ack || !ack.ok) { if (ack) localStorage.removeItem(TOKEN_KEY); return; }
  conversationId = ack.conversation_id;
  ack.messages.forEach(addMessage);
  if (ack.radicado) $("radicado").textContent = `Radicado: ${ack.radicado}`;
  enterRoom(ack.state);
  if (!LIVE.includes(ack.state)) return;
  if (ack.official_name && ack.state === "active") status(`Le atiende ${ack.official_name}.`);
  showPosition(ack.position);
  if (ack.radicado) $("radicado").textContent = `Radicado: ${ack.radicado}`;
  for (const [clientId, p] of pending) send(clientId, p.body);  // resend what was not acknowledged
}

async function send(clientId, body) {
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      const ack = await socket.timeout(5000).emitWithAck("send", { client_id: clientId, body });
      if (ack.ok) { addMessage(ack.message); return; }
      const p = pending.get(clientId);
      if (p) { markUnsent(p.li, p.body, ack.error.message); pending.delete(clientId); }
      say(ack.error.message);
      return;
    } catch { await new Promise((r) => setTimeout(r, 1000)); }  // no ack: retry, the id makes it safe
  }
  say("No se pudo enviar el mensaje; se reintentará al reconectar.");
}

socket.on("connect", () => {
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) resume(token);
});
socket.on("disconnect", () => status("Conexión perdida; reconectando…"));
socket.on("message", addMessage);
socket.on("queue.position", showPosition);
socket.on("chat.joined", (e) => { attended = true; stopWaiting(); status(`Le atiende ${e.official_name}.`); say(`${e.official_name} se unió a la conversación.`); });
socket.on("chat.transferred", (e) => { attended = false; status(`Le estamos transfiriendo a ${e.to}. Un momento, por favor.`); startWaiting(); });
socket.on("chat.ended", (e) => ended(e.by === "official" ? "El funcionario finalizó la conversación. Gracias por comunicarse." : "La conversación terminó. Gracias por comunicarse."));
socket.on("chat.pqrd", (e) => {
  $("radicado").textContent = `Su solicitud quedó radicada con el número ${e.radicado}. Código de acceso: ${e.access_code}. Respuesta a más tardar el ${fecha(e.due_date)}.`;
});
let typingTimer = null;
socket.on("typing", (e) => {
  $("escribiendo").textContent = e.typing ? "El funcionario está escribiendo…" : "";
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { $("escribiendo").textContent = ""; }, 6000);
});
socket.on("error", (e) => say(e.error ? e.error.message : "Error"));

$("form-inicio").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const data = {
    name: $("nombre").value.trim() || null,
    topic: $("tema").value,
    consent: $("consentimiento").checked,
    notice_version: $("version-aviso").value,
  };
  const ack = await socket.timeout(10000).emitWithAck("start", data).catch(() => null);
  if (!ack) { say("No hay conexión; intente de nuevo."); return; }
  if (!ack.ok) { say(ack.error.message); return; }
  localStorage.setItem(TOKEN_KEY, ack.token);
  conversationId = ack.conversation_id;
  enterRoom(ack.state);
  if (ack.state === "out_of_hours") { status(ack.message); return; }
  showPosition(ack.position);
  $("texto").focus();
});

let lastTyping = 0;
$("texto").addEventListener("input", () => {
  if (Date.now() - lastTyping > 2000 && conversationId) {
    lastTyping = Date.now();
    socket.emit("typing", { typing: true });
  }
});

$("form-mensaje").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const body = $("texto").value.trim();
  if (!body) return;
  const clientId = crypto.randomUUID();
  const li = document.createElement("li");
  li.className = "msg msg-citizen pendiente";
  li.textContent = "Usted: " + body + " (enviando…)";
  $("mensajes").appendChild(li);
  pending.set(clientId, { body, li });
  $("texto").value = "";
  send(clientId, body);
});

$("terminar").addEventListener("click", async () => {
  await socket.timeout(5000).emitWithAck("end", {}).catch(() => null);
  ended("Usted terminó la conversación. Gracias por comunicarse.");
});

// A new chat starts from a fresh page: the old conversation's token is forgotten.
$("nuevo-chat").addEventListener("click", () => { localStorage.removeItem(TOKEN_KEY); location.reload(); });

$("form-pqrd").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const email = $("pqrd-correo").value.trim();
  const data = { type: $("pqrd-tipo").value, subject: $("pqrd-asunto").value, description: $("pqrd-descripcion").value, email: email || null, notify_by_email: $("pqrd-notificar").checked };
  const ack = await socket.timeout(15000).emitWithAck("leave_pqrd", data).catch(() => null);
  if (!ack) { say("No hay conexión; intente de nuevo."); return; }
  if (!ack.ok) { say(ack.error.message); return; }
  $("radicado").textContent = `Su solicitud quedó radicada con el número ${ack.radicado}. Código de acceso: ${ack.access_code}. Respuesta a más tardar el ${fecha(ack.due_date)}.`;
  if (!attended) ended("Su solicitud quedó radicada y ya no está en la fila de espera. Gracias por comunicarse.");
});
