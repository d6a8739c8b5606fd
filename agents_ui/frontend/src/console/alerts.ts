// The offer alert: a short tone (Web Audio, no file to load) and a blinking tab title; both can be muted.
const BASE_TITLE = "Consola de atención · Línea 195";
const MUTE_KEY = "pasto195.console.muted";
let timer: number | undefined;
let context: AudioContext | undefined;

export const isMuted = (): boolean => localStorage.getItem(MUTE_KEY) === "1";
export const setMuted = (muted: boolean): void => localStorage.setItem(MUTE_KEY, muted ? "1" : "0");

function tone(): void {
  try {
    context = context ?? new AudioContext();
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, context.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, context.currentTime + 0.6);
    osc.connect(gain).connect(context.destination);
    osc.start();
    osc.stop(context.currentTime + 0.6);
  } catch { /* no audio device: the title still blinks */ }
  (window as unknown as { offerTones: number }).offerTones = ((window as any).offerTones ?? 0) + 1;
}

/** Alert for `pending` offers (0 stops it). */
export function offerAlert(pending: number): void {
  window.clearInterval(timer);
  document.title = BASE_TITLE;
  if (pending === 0) return;
  const alerting = `(${pending}) Nueva oferta · ${BASE_TITLE}`;
  document.title = alerting;
  if (isMuted()) return;
  tone();
  let on = true;
  timer = window.setInterval(() => { on = !on; document.title = on ? alerting : BASE_TITLE; }, 1000);
}
export { BASE_TITLE };
