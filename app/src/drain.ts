// How long a graceful stop takes. The platform's stop timeout (STOP_TIMEOUT_SECONDS in
// components/topology/plans.ts: the containers' stopTimeout and the VM units' TimeoutStopSec)
// must exceed DRAIN_DELAY_MS + SHUTDOWN_GRACE_MS + FORCED_EXIT_MARGIN_MS, so the drain finishes
// before SIGKILL; test/unit/stopTimeout.test.ts checks it.
import { PAGE_DEADLINE_MS } from "./poolConfig";

/**
 * How long requests in flight may take to finish once the port is closed: a page is answered
 * (or gets its 503) within PAGE_DEADLINE_MS, plus time to write the answer out.
 */
export const SHUTDOWN_GRACE_MS = PAGE_DEADLINE_MS + 500;
/**
 * How long /healthz says "draining" before the port closes: longer than the load balancer needs
 * to take the server out (2 failed checks 1 s apart by default).
 */
export const DRAIN_DELAY_MS = 3_000;
/** After the drain and the grace, the process exits on its own even if closing the pools hangs. */
export const FORCED_EXIT_MARGIN_MS = 5_000;
