// IPv4, CIDR and DNS name arithmetic for validation and address planning: the only place it lives. Pure.

export function isIpv4(value: string): boolean {
    const parts = value.split(".");
    return parts.length === 4 && parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
}

export function ipv4ToInt(ip: string): number {
    return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIpv4(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface Cidr {
    readonly base: number;
    readonly prefix: number;
}

export function parseCidr(value: string): Cidr | undefined {
    const m = /^([\d.]+)\/(\d{1,2})$/.exec(value);
    if (!m || !isIpv4(m[1])) return undefined;
    const prefix = Number(m[2]);
    if (prefix > 32) return undefined;
    const base = ipv4ToInt(m[1]);
    const size = 2 ** (32 - prefix);
    // The address must be the network's first address: "10.77.1.0/16" is a typo, not a range.
    return base % size === 0 ? { base, prefix } : undefined;
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c) as Cidr);

/** Whether `inner` lies wholly inside `outer`. */
export function within(inner: Cidr, outer: Cidr): boolean {
    const outerSize = 2 ** (32 - outer.prefix);
    return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + outerSize;
}

export function isPrivateIpv4Cidr(value: string, minPrefix: number, maxPrefix: number): boolean {
    const cidr = parseCidr(value);
    return (
        cidr !== undefined && cidr.prefix >= minPrefix && cidr.prefix <= maxPrefix && PRIVATE_RANGES.some((range) => within(cidr, range))
    );
}

/** The n-th /24 inside a range. */
export function nthSlash24(range: Cidr, n: number): Cidr {
    return { base: range.base + n * 256, prefix: 24 };
}

/** The address `host` places into a range, e.g. hostAddress("10.77.2.0/24", 3) = "10.77.2.3". */
export function hostAddress(cidr: Cidr | string, host: number): string {
    const range = typeof cidr === "string" ? parseCidr(cidr) : cidr;
    if (!range) throw new Error(`${String(cidr)} is not a CIDR`);
    return intToIpv4(range.base + host);
}

/**
 * The host pattern MariaDB and MySQL users accept connections from for a whole range: "10.77.2.%"
 * for a /24, else the address/netmask form both servers take ("10.0.0.0/255.255.0.0").
 */
export function databaseHostPattern(cidr: string): string {
    const range = parseCidr(cidr);
    if (!range) throw new Error(`${cidr} is not a CIDR`);
    const address = intToIpv4(range.base);
    if (range.prefix === 24) return `${address.split(".").slice(0, 3).join(".")}.%`;
    const mask = range.prefix === 0 ? 0 : (0xffffffff << (32 - range.prefix)) >>> 0;
    return `${address}/${intToIpv4(mask)}`;
}

export function formatCidr(cidr: Cidr): string {
    return `${intToIpv4(cidr.base)}/${cidr.prefix}`;
}

export function isDnsName(value: string): boolean {
    const labels = value.split(".");
    return (
        value.length <= 253 &&
        labels.length >= 2 &&
        labels.every((l) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(l)) &&
        /[a-z]/.test(labels[labels.length - 1])
    );
}

/** An address one can mail: a local part without spaces, quotes, brackets or separators, @, a dotted domain. */
const EMAIL = /^[^\s@"<>(),;:[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/;

/** RFC 5321's limits: 64 characters before the @, 254 in all. */
export const isEmailAddress = (v: string): boolean => EMAIL.test(v) && v.length <= 254 && v.indexOf("@") <= 64;

/** host:port of a server, e.g. "smtp.example.org:587": a DNS name or IPv4 address and a port. */
export function isHostPort(value: string): boolean {
    const match = /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
    return (
        match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535 && /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(match[1])
    );
}
