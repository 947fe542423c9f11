// A Galera node's part of MariaDB's config (database.failover "automatic"), and the scripts the
// node runs with it. Pure: plain values in, config lines out.
//
// Why Galera and not asynchronous replicas with a failover manager (README "Automatic failover"):
// a commit is acknowledged only once the majority of the nodes has certified it, so no
// acknowledged write lives on one node alone, and a node cut off from the majority refuses
// statements (wsrep_ready OFF) within evs.suspect_timeout: it cannot take a write, so there is
// nothing to fence. A node that returns rejoins by itself (incremental or full state transfer).
import { DATABASE_CA_PATH, MARIADB_CERT_PATH, MARIADB_KEY_PATH } from "./mariadb";
import { assertSafeToken } from "./text";

export const GALERA_PROVIDER_PATH = "/usr/lib/galera/libgalera_smm.so";
/** The scripts the node's keepalived runs (images/mariadb/galera/, installed by both platforms). */
export const GALERA_CHECK_COMMAND = "/usr/local/bin/foobar-galera-check";
export const GALERA_ROLE_COMMAND = "/usr/local/bin/foobar-galera-role";
/**
 * The database user the check logs in as, through the local socket only (unix_socket: the OS user
 * keepalived runs its scripts as). It may read status and nothing else.
 */
export const GALERA_CHECK_USER = "nobody";
/**
 * How long a silent node may stay silent before the others drop it from the group: the majority
 * goes on after this (plus a consensus round), and a node cut off from it stops taking statements.
 */
export const GALERA_SUSPECT_SECONDS = 3;

export interface GaleraConfigInput {
    readonly clusterName: string;
    /** The node's name in Galera's logs and status (its server's). */
    readonly nodeName: string;
    /** The node's own address on the network its peers reach it on. */
    readonly nodeAddress: string;
    /** Every node's address, this one's included: where a starting node looks for the group. */
    readonly members: readonly string[];
}

const duration = (seconds: number) => `PT${seconds}S`;

export function galeraConfigLines(input: GaleraConfigInput): string[] {
    assertSafeToken("cluster name", input.clusterName);
    assertSafeToken("node name", input.nodeName);
    [input.nodeAddress, ...input.members].forEach((a) => assertSafeToken("address", a));
    if (input.members.length < 3) throw new Error(`refusing to render a Galera cluster of ${input.members.length} nodes: a quorum needs 3`);
    const providerOptions = [
        // Group traffic over TLS with the database CA (each node presents its server certificate).
        `socket.ssl_cert=${MARIADB_CERT_PATH}`,
        `socket.ssl_key=${MARIADB_KEY_PATH}`,
        `socket.ssl_ca=${DATABASE_CA_PATH}`,
        `evs.suspect_timeout=${duration(GALERA_SUSPECT_SECONDS)}`,
        `evs.inactive_timeout=${duration(GALERA_SUSPECT_SECONDS * 2)}`,
        "evs.keepalive_period=PT1S",
        // After every node crashed at once (power loss), the last majority re-forms by itself once all return.
        "pc.recovery=TRUE",
        // What a node that was away may catch up on incrementally (else a full copy).
        "gcache.size=256M",
    ];
    return [
        "# Galera (database.failover automatic): a commit is acknowledged once the majority certified it.",
        "wsrep_on = ON",
        `wsrep_provider = ${GALERA_PROVIDER_PATH}`,
        `wsrep_cluster_name = ${input.clusterName}`,
        `wsrep_cluster_address = gcomm://${input.members.join(",")}`,
        `wsrep_node_address = ${input.nodeAddress}`,
        `wsrep_node_name = ${input.nodeName}`,
        `wsrep_provider_options = "${providerOptions.join(";")}"`,
        "# A node that (re)joins empty gets a copy from a donor, streamed over TLS; mariabackup logs in",
        "# as the mysql OS user through the socket (unix_socket), so no password is needed for it.",
        "wsrep_sst_method = mariabackup",
        "# Reads wait until the node has applied what the cluster committed before them: a page reads",
        "# its own visit from whichever node it asks.",
        "wsrep_sync_wait = 1",
        "# Galera certifies row images; interleaved auto-increment locks keep concurrent inserts apart.",
        "innodb_autoinc_lock_mode = 2",
        "# Writes go to the node holding the write address only: keepalived turns this off there.",
        "read_only = ON",
        "",
        "[sst]",
        "encrypt = 3",
        `tca = ${DATABASE_CA_PATH}`,
        `tcert = ${MARIADB_CERT_PATH}`,
        `tkey = ${MARIADB_KEY_PATH}`,
        "# Into the server's own log (the container's output), not syslog: nothing runs syslog here.",
        "sst-syslog = -1",
    ];
}
