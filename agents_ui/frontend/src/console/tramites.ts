// The trámite search of the composer, against GET /api/v1/tramites?q= (the `tramites` branch). When the
// route is not there (404) the composer hides the search: `tramitesAvailable()` is the hook.
import { api, ApiError } from "../shared/api";

export interface Tramite { id?: number | string; code?: string; name: string; url?: string; summary?: string }
let available: boolean | null = null;

export async function searchTramites(q: string): Promise<Tramite[]> {
  const out = await api<{ tramites?: Tramite[]; items?: Tramite[] }>(`/api/v1/tramites?q=${encodeURIComponent(q)}`);
  return out.tramites ?? out.items ?? [];
}

export async function tramitesAvailable(): Promise<boolean> {
  if (available !== null) return available;
  try {
    await searchTramites("a");
    available = true;
  } catch (e) {
    available = !(e instanceof ApiError && (e.status === 404 || e.status === 405));
  }
  return available;
}
