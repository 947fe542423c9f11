// IPv4 and DNS name arithmetic for validation and address planning. Pure.

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

function within(inner: Cidr, outer: Cidr): boolean {
    const outerSize = 2 ** (32 - outer.prefix);
    return inner.prefix >= outer.prefix && inner.base >= outer.base && inner.base < outer.base + outerSize;
}

export function isPrivateIpv4Cidr(value: string, minPrefix: number, maxPrefix: number): boolean {
    const cidr = parseCidr(value);
    return (
        cidr !== undefined && cidr.prefix >= minPrefix && cidr.prefix <= maxPrefix && PRIVATE_RANGES.some((range) => within(cidr, range))
    );
}

/** The n-th /24 inside a range, as a CIDR string. */
export function nthSlash24(range: Cidr, n: number): Cidr {
    return { base: range.base + n * 256, prefix: 24 };
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
