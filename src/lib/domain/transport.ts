// When plain HTTP is a risk: a bearer token sent over http:// is readable by anyone on the path.
// On the loopback interface there is no path (the lab's agents on 127.0.0.1): nothing to warn of.

/** Loopback hosts as the WHATWG URL parser spells them (IPv6 in brackets, IPv4-mapped in hex). */
function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase()
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    host === '[::1]' ||
    /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(host)
  )
}

/** True when `url` would carry tokens in clear text across a network. */
export function tokensCrossNetworkInClear(url: string): boolean {
  const u = new URL(url)
  return u.protocol === 'http:' && !isLoopbackHost(u.hostname)
}
