// The citizen's chat (page /portal/chat). Every text from the server is shown with textContent.
const TOKEN_KEY = "pasto195.chat.token";
const $ = (id) => document.getElementById(id);
const socket = io("/chat", { transports: ["websocket"] });
const shown = new Set();      // message ids already on screen
const pending = new Map();    // client_id -> {body, li}: sent, not yet acknowledged as stored
let conversationId = null;

function say(text) { $("avisos").textContent = text; }

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
  if (state === "queued" || state === "offered") status("Esperando a un funcionario…");
  else if (state === "active") status("Conversación en curso.");
  else if (state === "out_of_hours") { status("Fuera del horario de atención."); $("dejar-pqrd").open = true; }
  else status("La conversación terminó.");
}

async function resume(token) {
  const ack = await socket.timeout(10000).emitWithAck("resume", { token }).catch(() => null);
  if (!ack || !ack.ok) { if (ack) localStorage.removeItem(TOKEN_KEY); return; }
  conversationId = ack.conversation_id;
  enterRoom(ack.state);
  ack.messages.forEach(addMessage);
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
socket.on("chat.joined", (e) => { status(`Le atiende ${e.official_name}.`); say(`${e.official_name} se unió a la conversación.`); });
socket.on("chat.ended", () => status("La conversación terminó. Gracias por comunicarse."));
socket.on("chat.pqrd", (e) => {
  $("radicado").textContent = `Su solicitud quedó radicada con el número ${e.radicado}. Código de acceso: ${e.access_code}. Respuesta a más tardar: ${e.due_date}.`;
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
  localStorage.removeItem(TOKEN_KEY);
  status("La conversación terminó. Gracias por comunicarse.");
});

$("form-pqrd").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const email = $("pqrd-correo").value.trim();
  const data = { type: $("pqrd-tipo").value, subject: $("pqrd-asunto").value, description: $("pqrd-descripcion").value, email: email || null, notify_by_email: $("pqrd-notificar").checked };
  const ack = await socket.timeout(15000).emitWithAck("leave_pqrd", data).catch(() => null);
  if (!ack) { say("No hay conexión; intente de nuevo."); return; }
  if (!ack.ok) { say(ack.error.message); return; }
  $("radicado").textContent = `Su solicitud quedó radicada con el número ${ack.radicado}. Código de acceso: ${ack.access_code}. Respuesta a más tardar: ${ack.due_date}.`;
});
