import * as assert from "node:assert/strict";
import { Batcher, BatchQueueFullError } from "../src/visitBatcher";
import { Deferred, deferred } from "./helpers";

/** A `run` whose batches the test finishes one by one. */
class Runs {
  batches: string[][] = [];
  private gates: Array<Deferred<void>> = [];
  fail: Error | undefined;

  run = async (items: readonly string[]): Promise<string[]> => {
    this.batches.push([...items]);
    const gate = deferred<void>();
    this.gates.push(gate);
    await gate.promise;
    if (this.fail !== undefined) throw this.fail;
    return items.map((item) => item.toUpperCase());
  };

  /** Lets the oldest unfinished batch end. */
  finish(): void {
    const gate = this.gates.shift();
    assert.ok(gate, "no batch in flight");
    gate.resolve();
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("Batcher (group commit)", () => {
  it("starts the first item at once, alone: no waiting when nothing is in flight", async () => {
    const runs = new Runs();
    const batcher = new Batcher(runs.run, { maxBatch: 10, maxWaiting: 10 });
    const a = batcher.submit("a");
    assert.deepEqual(runs.batches, [["a"]]);
    runs.finish();
    assert.equal(await a, "A");
  });

  it("gathers what arrives while a batch is in flight into the next batch, one batch at a time", async () => {
    const runs = new Runs();
    const batcher = new Batcher(runs.run, { maxBatch: 10, maxWaiting: 10 });
    const results = ["a", "b", "c", "d"].map((item) => batcher.submit(item));
    assert.deepEqual(runs.batches, [["a"]]);
    assert.equal(batcher.pending, 3);
    runs.finish();
    await tick();
    assert.deepEqual(runs.batches, [["a"], ["b", "c", "d"]]);
    const e = batcher.submit("e");
    await tick();
    assert.equal(runs.batches.length, 2, "e waits for the batch in flight");
    runs.finish();
    await tick();
    runs.finish();
    assert.deepEqual(await Promise.all([...results, e]), ["A", "B", "C", "D", "E"]);
    assert.deepEqual(runs.batches, [["a"], ["b", "c", "d"], ["e"]]);
  });

  it("carries at most maxBatch items; the rest go in the batch after", async () => {
    const runs = new Runs();
    const batcher = new Batcher(runs.run, { maxBatch: 2, maxWaiting: 4 });
    const results = ["a", "b", "c", "d", "e"].map((item) => batcher.submit(item));
    for (let i = 0; i < 3; i++) {
      runs.finish();
      await tick();
    }
    assert.deepEqual(await Promise.all(results), ["A", "B", "C", "D", "E"]);
    assert.deepEqual(runs.batches, [["a"], ["b", "c"], ["d", "e"]]);
  });

  it("refuses at once an item beyond maxWaiting, and serves the others", async () => {
    const runs = new Runs();
    const batcher = new Batcher(runs.run, { maxBatch: 2, maxWaiting: 2 });
    const results = ["a", "b", "c"].map((item) => batcher.submit(item));
    await assert.rejects(batcher.submit("d"), (err: unknown) => {
      assert.ok(err instanceof BatchQueueFullError);
      assert.equal(err.code, "FOOBAR_BATCH_QUEUE_FULL");
      assert.equal(err.message, "2 visits already wait for the database");
      return true;
    });
    runs.finish();
    await tick();
    runs.finish();
    assert.deepEqual(await Promise.all(results), ["A", "B", "C"]);
  });

  it("fails every item of a failed batch with its error, and goes on with the next batch", async () => {
    const runs = new Runs();
    const batcher = new Batcher(runs.run, { maxBatch: 10, maxWaiting: 10 });
    const a = batcher.submit("a");
    const b = batcher.submit("b");
    const c = batcher.submit("c");
    runs.fail = new Error("ER_LOCK_DEADLOCK");
    runs.finish();
    await assert.rejects(a, { message: "ER_LOCK_DEADLOCK" });
    runs.fail = new Error("connection lost");
    runs.finish();
    await assert.rejects(b, { message: "connection lost" });
    await assert.rejects(c, { message: "connection lost" });
    runs.fail = undefined;
    const d = batcher.submit("d");
    runs.finish();
    assert.equal(await d, "D");
  });

  it("fails a batch whose run answers the wrong number of results", async () => {
    const batcher = new Batcher(async () => ["only one"], { maxBatch: 10, maxWaiting: 10 });
    const first = batcher.submit("a");
    const [b, c] = [batcher.submit("b"), batcher.submit("c")];
    assert.equal(await first, "only one");
    await assert.rejects(b, { message: "a batch of 2 got 1 results" });
    await assert.rejects(c, { message: "a batch of 2 got 1 results" });
  });

  it("refuses limits under 1", () => {
    assert.throws(() => new Batcher(async () => [], { maxBatch: 0, maxWaiting: 1 }), {
      message: "maxBatch and maxWaiting must be at least 1",
    });
  });
});
