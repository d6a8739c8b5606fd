// The official's softphone in the console: the Twilio Voice SDK (served from the project's
// node_modules, never a CDN) registers under the identity the 195 line dials (official_{id}),
// with a token from GET /api/v1/voice/token. Calls the router hands to this official ring here.
const $ = (id) => document.getElementById(id);
const show = (text) => { $("telefono-estado").textContent = text; };
let device = null;
let current = null;

async function fetchToken(bearer) {
  const resp = await fetch("/api/v1/voice/token", { headers: { Authorization: `Bearer ${bearer}` } });
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new Error(body && body.error ? body.error.message : `HTTP ${resp.status}`);
  return body.token;
}

function buttons(ringing, talking) {
  $("contestar").hidden = !ringing;
  $("rechazar").hidden = !ringing;
  $("colgar-telefono").hidden = !talking;
}

function ended(text) { current = null; buttons(false, false); show(text); }

function ringing(call) {
  current = call;
  const from = call.parameters && call.parameters.From ? ` de ${call.parameters.From}` : "";
  show(`Llamada entrante${from}`);
  buttons(true, false);
  call.on("accept", () => { buttons(false, true); show("En llamada"); });
  call.on("disconnect", () => ended("Llamada terminada"));
  call.on("cancel", () => ended("La llamada se canceló antes de contestar"));
  call.on("reject", () => ended("Llamada rechazada"));
  call.on("error", (e) => show(`Error en la llamada: ${e.message}`));
}

export async function startSoftphone(bearer) {
  if (device) return;
  $("telefono").hidden = false;
  if (!window.Twilio || !window.Twilio.Device) { show("Teléfono no disponible: falta el componente de voz."); return; }
  let token;
  try { token = await fetchToken(bearer); } catch (e) { show(`Teléfono no disponible: ${e.message}`); return; }
  device = new window.Twilio.Device(token, { closeProtection: true });
  device.on("registering", () => show("Teléfono: registrando…"));
  device.on("registered", () => show("Teléfono listo para recibir llamadas"));
  device.on("unregistered", () => show("Teléfono desconectado"));
  device.on("error", (e) => show(`Error del teléfono: ${e.message}`));
  device.on("incoming", ringing);
  device.on("tokenWillExpire", async () => { try { device.updateToken(await fetchToken(bearer)); } catch (e) { show(`Error del teléfono: ${e.message}`); } });
  show("Teléfono: registrando…");
  try { await device.register(); } catch (e) { show(`No se pudo registrar el teléfono: ${e.message}`); }
}

$("contestar").addEventListener("click", () => { if (current) current.accept(); });
$("rechazar").addEventListener("click", () => { if (current) current.reject(); });
$("colgar-telefono").addEventListener("click", () => { if (current) current.disconnect(); });
