// The official's browser softphone: the Twilio Voice SDK (served from the project's node_modules as
// /static/vendor/twilio.min.js, never a CDN) registers under the identity the 195 line dials
// (official_{id}) with a token from GET /api/v1/voice/token. Calls the router hands to this official
// ring here; the call controls of a voice conversation (ChatPanel) use the /agents call_* events.
import { reactive } from "vue";

type State = "idle" | "ready" | "incoming" | "in_call";
export const softphone = reactive({ state: "idle" as State, label: "sin conectar", shown: false });

interface Call {
  parameters?: { From?: string };
  on(event: string, handler: (arg?: any) => void): void;
  accept(): void;
  reject(): void;
  disconnect(): void;
}
let device: any = null;
let current: Call | null = null;

function show(state: State, label: string): void {
  softphone.state = state;
  softphone.label = label;
}

async function fetchToken(bearer: string): Promise<string> {
  const resp = await fetch("/api/v1/voice/token", { headers: { Authorization: `Bearer ${bearer}` } });
  const body = await resp.json().catch(() => null);
  if (!resp.ok) throw new Error(body?.error?.message ?? `HTTP ${resp.status}`);
  return body.token;
}

function ended(label: string): void {
  current = null;
  show("ready", label);
}

function ringing(call: Call): void {
  current = call;
  const from = call.parameters?.From ? ` de ${call.parameters.From}` : "";
  show("incoming", `Llamada entrante${from}`);
  call.on("accept", () => show("in_call", "En llamada"));
  call.on("disconnect", () => ended("Llamada terminada"));
  call.on("cancel", () => ended("La llamada se canceló antes de contestar"));
  call.on("reject", () => ended("Llamada rechazada"));
  call.on("error", (e) => show(softphone.state, `Error en la llamada: ${e?.message ?? ""}`));
}

export async function startSoftphone(bearer: string): Promise<void> {
  if (device) return;
  softphone.shown = true;
  const sdk = (window as any).Twilio;
  if (!sdk?.Device) return show("idle", "Teléfono no disponible: falta el componente de voz.");
  let token: string;
  try {
    token = await fetchToken(bearer);
  } catch (e: any) {
    return show("idle", `Teléfono no disponible: ${e.message}`);
  }
  device = new sdk.Device(token, { closeProtection: true });
  device.on("registering", () => show("idle", "Teléfono: registrando…"));
  device.on("registered", () => show("ready", "Teléfono listo para recibir llamadas"));
  device.on("unregistered", () => show("idle", "Teléfono desconectado"));
  device.on("error", (e: any) => show(softphone.state, `Error del teléfono: ${e?.message ?? ""}`));
  device.on("incoming", ringing);
  device.on("tokenWillExpire", async () => {
    try {
      device.updateToken(await fetchToken(bearer));
    } catch (e: any) {
      show(softphone.state, `Error del teléfono: ${e.message}`);
    }
  });
  show("idle", "Teléfono: registrando…");
  try {
    await device.register();
  } catch (e: any) {
    show("idle", `No se pudo registrar el teléfono: ${e.message}`);
  }
}

export const answer = (): void => current?.accept();
export const decline = (): void => current?.reject();
export const hangUp = (): void => current?.disconnect();
