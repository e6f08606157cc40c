// Times as the schedule shows and takes them, kept pure so they are tested on their own.

/** A `datetime-local` input's value (this computer's time zone) for `ms`, to the minute. */
export function localInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The same instant in UTC: "2027-01-15 08:00 UTC". */
export function utcText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
