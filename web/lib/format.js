// Dates and words as the portal writes them, in Paris time.

const ZONE = 'Europe/Paris';

function parts(instant, options) {
  const format = new Intl.DateTimeFormat('fr-FR', { timeZone: ZONE, ...options });
  return Object.fromEntries(format.formatToParts(new Date(instant)).map((part) => [part.type, part.value]));
}

/** "lundi 7 décembre à 8 h 30" */
export function openingText(instant) {
  const p = parts(instant, { weekday: 'long', day: 'numeric', month: 'long', hour: 'numeric', minute: '2-digit', hourCycle: 'h23' });
  return `${p.weekday} ${p.day} ${p.month} à ${Number(p.hour)} h ${p.minute}`;
}

/** "02/12/2026 à 10 h 05" */
export function dateTimeText(instant) {
  const p = parts(instant, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return `${p.day}/${p.month}/${p.year} à ${Number(p.hour)} h ${p.minute}`;
}

export const STATUS_LABELS = {
  submitted: 'À traiter',
  in_progress: 'En cours',
  waiting_for_user: 'En attente de votre réponse',
  resolved: 'Résolu',
  closed: 'Clôturé',
};

const STATUS_BADGES = {
  submitted: 'fr-badge--new',
  in_progress: 'fr-badge--info',
  waiting_for_user: 'fr-badge--warning',
  resolved: 'fr-badge--success',
  closed: '',
};

export function statusBadgeClass(status) {
  return `fr-badge fr-badge--sm ${STATUS_BADGES[status] || ''}`.trim();
}

export function fileSizeText(bytes) {
  if (bytes < 1024) return `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}
