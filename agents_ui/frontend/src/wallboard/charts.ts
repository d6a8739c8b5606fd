// The wallboard's two live charts (uPlot, bundled): axes and legends in Spanish, Bogotá times.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { clockTime } from "../shared/format";

(window as any).uPlot = uPlot; // the PQRD report (static/ui/reports.js) draws with the same library
const hour = (s: number | null) => (s == null ? "—" : clockTime(new Date(s * 1000).toISOString()));
const width = () => Math.max(280, Math.min(640, (document.getElementById("grafica-espera")?.clientWidth ?? 520) - 10));
let waiting: uPlot | null = null;
let levels: uPlot | null = null;

function options(title: string, y: string, range?: [number, number]): uPlot.Options {
  return {
    width: width(), height: 180,
    scales: range ? { y: { range } } : {},
    series: [{ label: "Hora", value: (_u, v) => hour(v) }, { label: title, stroke: "#0b5394", width: 2, spanGaps: false }],
    axes: [{ values: (_u, splits) => splits.map((s) => hour(s)) }, { label: y }],
  };
}

export function drawWaiting(history: [number, number][]): void {
  const el = document.getElementById("grafica-espera");
  if (!el || history.length === 0) return;
  const data: uPlot.AlignedData = [history.map((h) => h[0]), history.map((h) => h[1])];
  if (!waiting || !el.contains(waiting.root)) waiting = new uPlot(options("En espera", "Ciudadanos"), data, el);
  else waiting.setData(data);
}

export function drawLevels(points: [number, number | null][]): void {
  const el = document.getElementById("grafica-nivel");
  if (!el || points.length === 0) return;
  const data = [points.map((p) => p[0]), points.map((p) => p[1])] as uPlot.AlignedData;
  if (!levels || !el.contains(levels.root)) levels = new uPlot(options("Nivel de servicio (%)", "Porcentaje", [0, 100]), data, el);
  else levels.setData(data);
}
