/** Times as a person reads them: the time alone for today, with the date otherwise. */
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const withDate = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const withYear = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });

export function formatTime(ms: number, now: Date = new Date()): string {
  const date = new Date(ms);
  if (date.toDateString() === now.toDateString()) return timeOnly.format(date);
  if (date.getFullYear() === now.getFullYear()) return withDate.format(date);
  return withYear.format(date);
}

export const isoTime = (ms: number) => new Date(ms).toISOString();
