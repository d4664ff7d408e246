/**
 * The DNS-rebinding guard: a page on evil.example that resolves its name to 127.0.0.1 reaches this server
 * with `Host: evil.example`, so only loopback names and the names the server was told about are answered.
 */
export function hostAllowed(host: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!host) return false;
  const name = hostName(host);
  if (name === null) return false;
  return isLoopback(name) || allowed.has(name);
}

/** The name part of a Host header, lower-case, without the port (IPv6 keeps its brackets off). */
export function hostName(host: string): string | null {
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/i.exec(host);
  if (bracketed) return (bracketed[1] as string).toLowerCase();
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/i.exec(host);
  return plain ? (plain[1] as string).toLowerCase().replace(/\.$/, '') : null;
}

function isLoopback(name: string): boolean {
  return (
    name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name)
  );
}

/**
 * `hostAllowed` for every request, remembering the answer for the few Host values a server sees (its own
 * name with and without a port), so the common case is one map lookup instead of two regular expressions.
 */
export function createHostGuard(allowedHosts: readonly string[]): (host: string | undefined) => boolean {
  const allowed = new Set(allowedHosts);
  const seen = new Map<string, boolean>();
  return (host) => {
    if (!host) return false;
    const known = seen.get(host);
    if (known !== undefined) return known;
    const answer = hostAllowed(host, allowed);
    // Bounded: a client making up Host values only ever fills it, then is answered without memory.
    if (seen.size < 64) seen.set(host, answer);
    return answer;
  };
}
