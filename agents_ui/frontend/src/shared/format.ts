// Spanish (es-CO) wording and America/Bogota times for everything an official reads.
const TZ = "America/Bogota";
const dateTimeFmt = new Intl.DateTimeFormat("es-CO", {
  timeZone: TZ, day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit",
});
const timeFmt = new Intl.DateTimeFormat("es-CO", { timeZone: TZ, hour: "2-digit", minute: "2-digit" });
const dateFmt = new Intl.DateTimeFormat("es-CO", { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });

export const dateTime = (iso: string): string => dateTimeFmt.format(new Date(iso));
export const clockTime = (iso: string): string => timeFmt.format(new Date(iso));
/** A calendar date (YYYY-MM-DD, already a Bogotá date) in words: "9 de diciembre de 2026". */
export const calendarDate = (day: string): string => dateFmt.format(new Date(`${day}T12:00:00Z`));

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** The legal clock in words: "vence en 2 días hábiles", "vence hoy", "vencido hace 6 días hábiles". */
export function daysInWords(daysLeft: number | null | undefined, urgency?: string): string {
  if (urgency === "done") return "cerrado";
  if (daysLeft == null) return "término suspendido";
  if (daysLeft === 0) return "vence hoy";
  if (daysLeft > 0) return `vence en ${plural(daysLeft, "día hábil", "días hábiles")}`;
  return `vencido hace ${plural(-daysLeft, "día hábil", "días hábiles")}`;
}

/** Seconds as mm:ss (hh:mm:ss past an hour), for waits and handle times. */
export function mmss(seconds: number | null | undefined): string {
  if (seconds == null || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  const two = (n: number) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

/** Minutes in a state in words. */
export function minutesInWords(seconds: number | null | undefined): string {
  if (seconds == null) return "—";
  const m = Math.floor(seconds / 60);
  if (m < 1) return "menos de 1 min";
  if (m < 60) return `${m} min`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const PRESENCE: Record<string, string> = {
  available: "Disponible", away: "Ausente", offline: "Desconectado", busy: "Ocupado",
};
export const CHANNELS: Record<string, string> = {
  chat: "Chat web", voice: "Llamada", pqrd: "Formulario web", email: "Correo", web: "Portal web",
  app: "Aplicación móvil", whatsapp: "WhatsApp", presencial: "Presencial", telefono: "Teléfono",
};
export const TYPES: Record<string, string> = {
  peticion: "Petición", peticion_documentos: "Petición de documentos", consulta: "Consulta",
  peticion_autoridad: "Petición entre autoridades", queja: "Queja", reclamo: "Reclamo",
  denuncia: "Denuncia", sugerencia: "Sugerencia", felicitacion: "Felicitación",
};
export const ROLES: Record<string, string> = { agent: "Funcionario", supervisor: "Supervisor", admin: "Administrador" };
export const STATUSES: Record<string, string> = {
  radicado: "Radicado", asignado: "Asignado", en_tramite: "En trámite",
  suspendido: "Suspendido (en espera del ciudadano)", prorrogado: "Prorrogado", respondido: "Respondido",
  cerrado: "Cerrado", trasladado: "Trasladado", desistido: "Desistido",
};
export const CONVERSATION_STATES: Record<string, string> = {
  open: "abierta", queued: "en espera", offered: "ofrecida", active: "en curso", wrap_up: "en cierre",
  closed: "cerrada", abandoned: "abandonada", out_of_hours: "fuera de horario",
};
const EVENT_KINDS: Record<string, string> = {
  filed: "PQRD radicada", acknowledged: "Acuse de recibo enviado al ciudadano", assigned: "Asignada",
  status_changed: "Cambio de estado", dependencia_changed: "Cambio de dependencia",
  completion_period_extended: "Plazo para completar ampliado", escalated: "Alerta de vencimiento",
};
export const eventKind = (kind: string): string => EVENT_KINDS[kind] ?? "Novedad";
export const label = (table: Record<string, string>, code: string | null | undefined): string =>
  code == null ? "—" : table[code] ?? code.replace(/_/g, " ");
